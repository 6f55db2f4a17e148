#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub use monotable_core::*;
pub use monotable_derive::Entity;

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
    pub use monotable_core::{Entity, KeySchema, Repository, RepositoryExt, TransactionContext};
}
