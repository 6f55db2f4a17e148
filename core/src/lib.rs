//! # monotable-core
//!
//! The heart of monotable, independent of any backend: the item model ([`Value`], [`Item`],
//! exact [`Number`]s), entities and their key templates ([`Entity`], [`KeySchema`],
//! [`KeyTemplate`]), one expression AST with its evaluator ([`expr`], [`eval`]), the
//! [`Repository`] contract every backend implements, the typed API on top of it
//! ([`RepositoryExt`], [`Transaction`]), cursors, errors, and the [`engine`] that gives any
//! ordered key-value store DynamoDB's semantics.
#![deny(missing_docs)]

pub mod api;
pub mod cursor;
pub mod engine;
pub mod entity;
pub mod error;
pub mod eval;
pub mod expr;
pub mod keycodec;
pub mod number;
pub mod parse;
pub mod render;
pub mod repository;
pub mod reserved;
pub mod schema;
pub mod template;
pub mod transaction;
pub mod validate;
pub mod value;

pub use api::{CollectionPage, CollectionQuery, EntityQuery, QueryPage, RepositoryExt};
pub use cursor::Cursor;
pub use entity::{validation_error, Entity, EntityKeys, EntityOptions, IndexKeys, KeySchema};
pub use error::{CancellationCode, CancellationReason, Error, Result};
pub use expr::{Comparator, Condition, KeyCondition, Path, SortKeyCondition, Update};
pub use number::Number;
pub use repository::{
    BatchGetOutput, BatchWriteOutput, DeleteItem, GetItem, Page, PutItem, Query, Repository,
    ReturnValues, Scan, Segment, TransactWrite, TransactWriteItem, UpdateItem, WriteRequest,
};
pub use schema::{IndexKind, IndexSchema, KeyAttribute, KeyType, Projection, TableSchema};
pub use template::KeyTemplate;
pub use transaction::{Transaction, TransactionContext};
pub use value::{Item, Value, ValueType};

#[doc(hidden)]
pub mod __private {
    pub use serde;
}
