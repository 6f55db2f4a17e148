//! # monotable-core
//!
//! The heart of monotable, independent of any backend.
//!
//! What an application uses is at the crate root: the item model ([`Value`], [`Item`],
//! exact [`Number`]s), entities and their key templates ([`Entity`], [`KeySchema`],
//! [`KeyTemplate`]), the table's [`TableSchema`], expressions and their builders
//! ([`Path`], [`Condition`], [`Update`]; the AST and the parser in [`expr`]), the
//! [`Repository`] contract as a type, the typed API on top of it ([`RepositoryExt`],
//! [`EntityQuery`], [`Transaction`]), cursors and errors.
//!
//! What a backend author uses — the `Storage` contract, the engine that gives any ordered
//! key-value store DynamoDB's semantics, key encoding, validation, the evaluator, the
//! renderer and the reserved words — is in [`raw`].
//!
//! Layers, from the bottom: `item` → `expr` → `schema`, `entity` → `repository` → `raw`
//! (engine) and `api` (typed API). A module imports only from layers below it.
#![deny(missing_docs)]

pub mod api;
pub mod entity;
pub mod error;
pub mod expr;
pub mod item;
pub mod raw;
pub mod repository;
pub mod schema;

pub use api::{
    CollectionPage, CollectionQuery, Cursor, EntityQuery, EntityScan, QueryPage, RepositoryExt,
    Transaction, TransactionContext,
};
pub use entity::collision::{KeyCollision, KeyCollisions};
pub use entity::template::KeyTemplate;
pub use entity::{
    validation_error, AttributeIndex, Entity, EntityKeys, EntityOptions, IndexKeys, KeySchema,
};
pub use error::{CancellationCode, CancellationReason, Error, Result};
pub use expr::{
    Comparator, Condition, KeyCondition, Path, PathOf, SortKeyCondition, TypedPath, Update,
};
pub use item::{Item, Number, Value, ValueType};
pub use repository::{
    BatchGetOutput, BatchWriteOutput, DeleteItem, GetItem, ItemVisitor, LentItem, Page, PutItem,
    Query, Repository, ReturnValues, Scan, Segment, TransactWrite, TransactWriteItem, UpdateItem,
    WriteRequest,
};
pub use schema::{
    IndexKind, IndexSchema, KeyAttribute, KeyType, Projection, QueryKeys, TableSchema,
};

/// The traits most code needs in scope: `use monotable_core::prelude::*;`.
pub mod prelude {
    pub use crate::{Entity, KeySchema, Repository, RepositoryExt, TransactionContext};
}

#[doc(hidden)]
pub mod __private {
    pub use serde;
}
