//! For backend authors: what a backend is built from. Applications do not need this
//! module.
//!
//! A local backend implements [`Storage`] (an ordered key-value store with consistent reads
//! and atomic writes) and wraps it in an [`Engine`], which implements
//! [`Repository`](crate::Repository) with DynamoDB's semantics: validation ([`validate`]),
//! order-preserving key encoding ([`keycodec`]), the expression evaluator ([`eval`]),
//! pagination, batches and transactions. A backend that talks to a service which evaluates
//! expressions itself (DynamoDB) renders the AST with [`render`] instead.
//!
//! Every rule these modules follow is numbered in `docs/dynamodb-semantics.md` (`R44`,
//! `§3`), and each module names the rules it keeps.

mod engine;
pub mod eval;
pub mod keycodec;
pub mod render;
pub mod validate;

pub use crate::expr::check::{check_condition, check_projection, check_update_expression};
pub use crate::expr::reserved::{is_reserved, RESERVED_WORDS};
pub use engine::{
    backfill_index, index_key, item_mutations, table_key, Engine, Entries, Mutation, Space,
    Storage, StorageRead, Stored, StoredEntries, PAGE_SIZE_LIMIT,
};
