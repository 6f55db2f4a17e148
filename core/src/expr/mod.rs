//! Expressions: one AST for key conditions, conditions and filters, updates and projections,
//! typed builders for it ([`Path`], [`Update`]), the parser of DynamoDB's expression
//! language ([`parse`]) and the checks DynamoDB makes on an expression before it reads any
//! item ([`check`]).

mod ast;
pub mod check;
pub mod parse;
pub mod reserved;
mod typed;

pub use ast::*;
pub use typed::{AnyValue, FieldValue, KeyArg, PathOf, TypedPath};
