//! The typed API, written once on top of [`Repository`](crate::Repository) for every
//! backend: entity operations ([`RepositoryExt`]), queries and collections, cursors, and
//! transactions.

pub(crate) mod cursor;
mod ops;
pub(crate) mod query;
mod transaction;

pub use cursor::Cursor;
pub use ops::{RepositoryExt, BATCH_ATTEMPTS, BATCH_CONCURRENCY};
pub use query::{CollectionPage, CollectionQuery, EntityQuery, QueryPage};
pub use transaction::{Transaction, TransactionContext};
