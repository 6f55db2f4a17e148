#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

// What an application uses: the item model, entities and templates, expressions, the
// `Repository` type, the typed API and errors.
pub use monotable_core::{api, entity, error, expr, item, repository, schema};
pub use monotable_core::{
    validation_error, AttributeIndex, BatchGetOutput, BatchWriteOutput, CancellationCode,
    CancellationReason, CollectionPage, CollectionQuery, Comparator, Condition, Cursor, DeleteItem,
    Entity, EntityKeys, EntityOptions, EntityQuery, EntityScan, Error, GetItem, IndexKeys,
    IndexKind, IndexSchema, Item, ItemVisitor, KeyAttribute, KeyCondition, KeySchema, KeyTemplate,
    KeyType, LentItem, Number, Page, Path, PathOf, Projection, PutItem, Query, QueryKeys,
    QueryPage, Repository, RepositoryExt, Result, ReturnValues, Scan, Segment, SortKeyCondition,
    TableSchema, TransactWrite, TransactWriteItem, Transaction, TransactionContext, TypedPath,
    Update, UpdateItem, Value, ValueType, WriteRequest,
};

mod connect;
pub use connect::connect;

/// For backend authors: the `Storage` contract, the engine, key encoding, validation, the
/// evaluator and the renderer. Applications do not need it.
pub use monotable_core::raw;

#[doc(hidden)]
pub use monotable_core::__private;
/// `#[derive(Entity)]`: the [`Entity`](trait@Entity) and [`KeySchema`] impls, a key struct
/// (`{Name}Key`), a typed path constant per field (`Order::TOTAL`) and typed access patterns
/// (`Order::query(..)`); see [`monotable_derive`] for its options.
///
/// ```
/// use monotable::prelude::*;
/// use monotable::Update;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Debug, PartialEq, Serialize, Deserialize, monotable::Entity)]
/// #[monotable(pk = "USER#{user}", sk = "ORDER#{created}#{id}")]
/// struct Order { user: String, created: String, id: String, total: u64 }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> monotable::Result<()> {
/// # let repo = monotable::connect("sqlite::memory:", monotable::TableSchema::single_table("shop")).await?;
/// # repo.create_table().await?;
/// # for (created, id, total) in [("2024-01-05", "o1", 10), ("2024-01-20", "o2", 20), ("2024-02-01", "o3", 30)] {
/// #     repo.create(&Order { user: "u1".into(), created: created.into(), id: id.into(), total }).await?;
/// # }
/// // Typed: a misspelled field, or a total that is not a u64, does not compile.
/// let january = Order::query("u1").created_begins_with("2024-01");
/// let big = january.filter(Order::TOTAL.gt(15));
/// assert_eq!(repo.query_all(big).await?.len(), 1);
/// let key = OrderKey { user: "u1".into(), created: "2024-01-05".into(), id: "o1".into() };
/// let o1 = repo.update::<Order>(&key, Update::new().set(Order::TOTAL, 12)).await?;
/// assert_eq!(o1.total, 12);
/// # Ok(()) }
/// ```
pub use monotable_derive::Entity;

/// `#[derive(Collection)]`: decodes the items of one partition, of several entity types,
/// into an enum with one variant per entity
/// ([`Collection`](monotable_core::entity::Collection)).
///
/// ```
/// use monotable::prelude::*;
/// use monotable::CollectionQuery;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Debug, Serialize, Deserialize, monotable::Entity)]
/// #[monotable(pk = "USER#{user}", sk = "PROFILE")]
/// struct Profile { user: String, name: String }
///
/// #[derive(Debug, Serialize, Deserialize, monotable::Entity)]
/// #[monotable(pk = "USER#{user}", sk = "ORDER#{id}")]
/// struct Order { user: String, id: String, total: u64 }
///
/// #[derive(Debug, monotable::Collection)]
/// enum Account { Profile(Profile), Order(Order) }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> monotable::Result<()> {
/// # let repo = monotable::connect("sqlite::memory:", monotable::TableSchema::single_table("shop")).await?;
/// # repo.create_table().await?;
/// # repo.create(&Profile { user: "u1".into(), name: "Ada".into() }).await?;
/// # repo.create(&Order { user: "u1".into(), id: "o1".into(), total: 10 }).await?;
/// let query = CollectionQuery::new(None, "USER#u1");
/// let account: Vec<Account> = repo.collection_all(query).await?; // in sort-key order
/// let [Account::Order(o1), Account::Profile(ada)] = &account[..] else { panic!("{account:?}") };
/// assert_eq!((o1.total, ada.name.as_str()), (10, "Ada"));
/// # Ok(()) }
/// ```
pub use monotable_derive::Collection;

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
///
/// ```
/// use monotable::prelude::*; // Entity, KeySchema, Repository, RepositoryExt, TransactionContext
/// use monotable::TableSchema;
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Debug, PartialEq, Serialize, Deserialize, monotable::Entity)]
/// #[monotable(pk = "USER#{user_id}", sk = "PROFILE")]
/// struct User { user_id: String, name: String }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> monotable::Result<()> {
/// let repo = monotable::connect("sqlite::memory:", TableSchema::single_table("app")).await?;
/// repo.create_table().await?;
/// let ada = repo.create(&User { user_id: "u1".into(), name: "Ada".into() }).await?;
/// assert_eq!(repo.get::<User>(&UserKey { user_id: "u1".into() }).await?, Some(ada));
/// # Ok(()) }
/// ```
pub mod prelude {
    pub use monotable_core::prelude::*;
}
