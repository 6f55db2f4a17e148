//! The typed API, written once on top of [`Repository`](crate::Repository) for every
//! backend: entity operations ([`RepositoryExt`]), queries and collections, cursors, and
//! transactions.

mod batch;
pub(crate) mod cursor;
mod ops;
pub(crate) mod query;
mod transaction;
pub mod unique;
mod writes;

pub use batch::{BATCH_ATTEMPTS, BATCH_CONCURRENCY};
pub use cursor::Cursor;
pub use ops::RepositoryExt;
pub use query::{CollectionPage, CollectionQuery, EntityQuery, EntityScan, QueryPage};
pub use transaction::{Transaction, TransactionContext};
