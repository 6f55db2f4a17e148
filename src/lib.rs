#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

// What an application uses: the item model, entities and templates, expressions, the
// `Repository` type, the typed API and errors.
pub use monotable_core::{api, entity, error, expr, item, repository, schema};
pub use monotable_core::{
    validation_error, AttributeIndex, BatchGetOutput, BatchWriteOutput, CancellationCode,
    CancellationReason, CollectionPage, CollectionQuery, Comparator, Condition, Cursor, DeleteItem,
    Entity, EntityKeys, EntityOptions, EntityQuery, EntityScan, Error, GetItem, IndexKeys,
    IndexKind, IndexSchema, Item, KeyAttribute, KeyCondition, KeySchema, KeyTemplate, KeyType,
    Number, Page, Path, PathOf, Projection, PutItem, Query, QueryKeys, QueryPage, Repository,
    RepositoryExt, Result, ReturnValues, Scan, Segment, SortKeyCondition, TableSchema,
    TransactWrite, TransactWriteItem, Transaction, TransactionContext, TypedPath, Update,
    UpdateItem, Value, ValueType, WriteRequest,
};

mod connect;
pub use connect::connect;

/// For backend authors: the `Storage` contract, the engine, key encoding, validation, the
/// evaluator and the renderer. Applications do not need it.
pub use monotable_core::raw;

#[doc(hidden)]
pub use monotable_core::__private;
pub use monotable_derive::{Collection, Entity};

/// The in-memory backend (feature `memory`).
#[cfg(feature = "memory")]
pub use monotable_memory as memory;
#[cfg(feature = "memory")]
pub use monotable_memory::{MemoryRepository, MemoryStorage};

/// The SQLite backend (feature `sqlite`, on by default).
#[cfg(feature = "sqlite")]
pub use monotable_sqlite as sqlite;
#[cfg(feature = "sqlite")]
pub use monotable_sqlite::{SqliteRepository, SqliteStorage};

/// The DynamoDB backend (feature `dynamodb`).
#[cfg(feature = "dynamodb")]
pub use monotable_dynamodb as dynamodb;
#[cfg(feature = "dynamodb")]
pub use monotable_dynamodb::DynamoDbRepository;

/// The traits most code needs in scope: `use monotable::prelude::*;`.
pub mod prelude {
    pub use monotable_core::prelude::*;
}
