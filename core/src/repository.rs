//! The `Repository` contract: the item-level operations every backend implements.

use std::borrow::Cow;

use async_trait::async_trait;

use crate::error::Result;
use crate::expr::{Condition, KeyCondition, Path, Update};
use crate::item::{Item, ReadItemText, Value};
use crate::schema::TableSchema;

/// What a write returns of the item (DynamoDB's `ReturnValues`).
///
/// ```
/// # use monotable_core::*;
/// # use monotable_core::prelude::*;
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> monotable_core::Result<()> {
/// # let repo = monotable_memory::MemoryRepository::new(monotable_memory::MemoryStorage::new(), TableSchema::single_table("app"))?;
/// # repo.create_table().await?;
/// # let ada = Item::from([("pk", "USER#u1"), ("sk", "PROFILE"), ("name", "Ada")]);
/// # repo.put_item(PutItem { item: ada.clone(), ..Default::default() }).await?;
/// # let key = Item::from([("pk", "USER#u1"), ("sk", "PROFILE")]);
/// let update = Update::new().set("name", "Grace").set("age", 85);
/// let request = UpdateItem { key, update, ..Default::default() };
/// let return_values = ReturnValues::UpdatedOld;
/// let old = repo.update_item(UpdateItem { return_values, ..request }).await?;
/// assert_eq!(old, Some(Item::from([("name", "Ada")]))); // age had no old value
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ReturnValues {
    /// Nothing.
    #[default]
    None,
    /// The whole item as it was (put, update, delete).
    AllOld,
    /// The old values of the attributes the update wrote.
    UpdatedOld,
    /// The whole item as it is now (update).
    AllNew,
    /// The new values of the attributes the update wrote.
    UpdatedNew,
}

/// Reads one item by its primary key.
///
/// ```
/// # use monotable_core::*;
/// # use monotable_core::prelude::*;
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> monotable_core::Result<()> {
/// # let repo = monotable_memory::MemoryRepository::new(monotable_memory::MemoryStorage::new(), TableSchema::single_table("app"))?;
/// # repo.create_table().await?;
/// # let ada = Item::from([("pk", "USER#u1"), ("sk", "PROFILE"), ("name", "Ada")]);
/// # repo.put_item(PutItem { item: ada.clone(), ..Default::default() }).await?;
/// # let key = Item::from([("pk", "USER#u1"), ("sk", "PROFILE")]);
/// let projection = Some(vec![Path::attr("name")]);
/// let request = GetItem { key, projection, consistent_read: true };
/// assert_eq!(repo.get_item(request).await?, Some(Item::from([("name", "Ada")])));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct GetItem {
    /// The primary key: exactly the table's key attributes.
    pub key: Item,
    /// Attributes to return; all if `None`.
    pub projection: Option<Vec<Path>>,
    /// Strongly consistent read (local backends are always consistent).
    pub consistent_read: bool,
}

/// Writes a whole item, replacing any item with the same key.
///
/// ```
/// # use monotable_core::*;
/// # use monotable_core::prelude::*;
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> monotable_core::Result<()> {
/// # let repo = monotable_memory::MemoryRepository::new(monotable_memory::MemoryStorage::new(), TableSchema::single_table("app"))?;
/// # repo.create_table().await?;
/// let item = Item::from([("pk", "USER#u1"), ("sk", "PROFILE"), ("name", "Ada")]);
/// let create = PutItem {
///     item: item.clone(),
///     condition: Some(Path::attr("pk").not_exists()),
///     return_old_on_condition_failure: true,
///     ..Default::default()
/// };
/// repo.put_item(create.clone()).await?;
/// let again = repo.put_item(create).await;
/// assert!(matches!(again, Err(Error::ConditionFailed { item: Some(old) }) if *old == item));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct PutItem {
    /// The item, key attributes included.
    pub item: Item,
    /// Must hold on the existing item (an absent item has no attributes).
    pub condition: Option<Condition>,
    /// `None` or `AllOld`.
    pub return_values: ReturnValues,
    /// On a failed condition, return the existing item in [`crate::Error::ConditionFailed`].
    pub return_old_on_condition_failure: bool,
}

/// Updates (or creates) one item.
///
/// ```
/// # use monotable_core::*;
/// # use monotable_core::prelude::*;
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> monotable_core::Result<()> {
/// # let repo = monotable_memory::MemoryRepository::new(monotable_memory::MemoryStorage::new(), TableSchema::single_table("app"))?;
/// # repo.create_table().await?;
/// let key = Item::from([("pk", "COUNTER#visits"), ("sk", "COUNTER")]);
/// let hit = UpdateItem {
///     key: key.clone(),
///     update: Update::new().add("n", 1),
///     return_values: ReturnValues::AllNew,
///     ..Default::default()
/// };
/// repo.update_item(hit.clone()).await?; // creates the item
/// let now = repo.update_item(hit).await?.unwrap();
/// assert_eq!(now.get("n"), Some(&Value::from(2)));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct UpdateItem {
    /// The primary key.
    pub key: Item,
    /// The actions; empty creates a key-only item if none exists.
    pub update: Update,
    /// Must hold on the existing item.
    pub condition: Option<Condition>,
    /// What to return.
    pub return_values: ReturnValues,
    /// On a failed condition, return the existing item.
    pub return_old_on_condition_failure: bool,
}

/// Deletes one item; deleting an absent item succeeds.
///
/// ```
/// # use monotable_core::*;
/// # use monotable_core::prelude::*;
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> monotable_core::Result<()> {
/// # let repo = monotable_memory::MemoryRepository::new(monotable_memory::MemoryStorage::new(), TableSchema::single_table("app"))?;
/// # repo.create_table().await?;
/// # let ada = Item::from([("pk", "USER#u1"), ("sk", "PROFILE"), ("name", "Ada")]);
/// # repo.put_item(PutItem { item: ada.clone(), ..Default::default() }).await?;
/// # let key = Item::from([("pk", "USER#u1"), ("sk", "PROFILE")]);
/// let delete = DeleteItem { key, return_values: ReturnValues::AllOld, ..Default::default() };
/// assert_eq!(repo.delete_item(delete.clone()).await?, Some(ada));
/// assert_eq!(repo.delete_item(delete).await?, None); // deleting an absent item succeeds
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct DeleteItem {
    /// The primary key.
    pub key: Item,
    /// Must hold on the existing item.
    pub condition: Option<Condition>,
    /// `None` or `AllOld`.
    pub return_values: ReturnValues,
    /// On a failed condition, return the existing item.
    pub return_old_on_condition_failure: bool,
}

/// Reads the items of one partition of the table or of an index, in sort-key order.
///
/// ```
/// # use monotable_core::*;
/// # use monotable_core::prelude::*;
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> monotable_core::Result<()> {
/// # let repo = monotable_memory::MemoryRepository::new(monotable_memory::MemoryStorage::new(), TableSchema::single_table("app"))?;
/// # repo.create_table().await?;
/// # for sk in ["ORDER#1", "ORDER#2", "ORDER#3", "PROFILE"] {
/// #     repo.put_item(PutItem { item: Item::from([("pk", "USER#u1"), ("sk", sk)]), ..Default::default() }).await?;
/// # }
/// let orders = KeyCondition::partition("USER#u1")
///     .with_sort(SortKeyCondition::BeginsWith("ORDER#".into()));
/// let page: Page = repo.query(Query { limit: Some(2), ..Query::new(orders) }).await?;
/// assert_eq!(page.count, 2);
/// let next = page.last_evaluated_key.expect("a next page");
/// assert_eq!(next.get("sk"), Some(&Value::from("ORDER#2")));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Query {
    /// The index to read; the table if `None`.
    pub index: Option<String>,
    /// Partition value and sort-key condition.
    pub key_condition: KeyCondition,
    /// Applied after `limit`: filtered items still count as evaluated.
    pub filter: Option<Condition>,
    /// Attributes to return.
    pub projection: Option<Vec<Path>>,
    /// Ascending sort-key order (DynamoDB's `ScanIndexForward`).
    pub forward: bool,
    /// Most items to evaluate (before the filter), at least 1.
    pub limit: Option<u32>,
    /// Resume after this key (a page's `last_evaluated_key`).
    pub exclusive_start_key: Option<Item>,
    /// Count only: return no items.
    pub count_only: bool,
    /// Strongly consistent read (not on a global index).
    pub consistent_read: bool,
}

impl Query {
    /// A query of the table's partition `key_condition`, ascending, no limit.
    pub fn new(key_condition: KeyCondition) -> Self {
        Query {
            index: None,
            key_condition,
            filter: None,
            projection: None,
            forward: true,
            limit: None,
            exclusive_start_key: None,
            count_only: false,
            consistent_read: false,
        }
    }
}

/// One segment of a parallel scan; see [`Scan`]'s example.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// This segment, `0..total`.
    pub segment: u32,
    /// Number of segments.
    pub total: u32,
}

/// Reads every item of the table or of an index.
///
/// ```
/// # use monotable_core::*;
/// # use monotable_core::prelude::*;
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> monotable_core::Result<()> {
/// # let repo = monotable_memory::MemoryRepository::new(monotable_memory::MemoryStorage::new(), TableSchema::single_table("app"))?;
/// # repo.create_table().await?;
/// # for i in 0..10 {
/// #     repo.put_item(PutItem { item: Item::from([("pk", format!("ITEM#{i}")), ("sk", "ITEM".into())]), ..Default::default() }).await?;
/// # }
/// let mut seen = 0;
/// for segment in 0..3 {
///     let part = Scan { segment: Some(Segment { segment, total: 3 }), ..Default::default() };
///     seen += repo.scan(part).await?.count;
/// }
/// assert_eq!(seen, 10); // the segments split the table between them
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Scan {
    /// The index to read; the table if `None`.
    pub index: Option<String>,
    /// Applied after `limit`.
    pub filter: Option<Condition>,
    /// Attributes to return.
    pub projection: Option<Vec<Path>>,
    /// Most items to evaluate, at least 1.
    pub limit: Option<u32>,
    /// Resume after this key.
    pub exclusive_start_key: Option<Item>,
    /// One segment of a parallel scan.
    pub segment: Option<Segment>,
    /// Count only.
    pub count_only: bool,
    /// Strongly consistent read.
    pub consistent_read: bool,
}

/// One page of a query or scan; see [`Query`]'s example.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    /// The items that passed the filter (empty for a count-only request).
    pub items: Vec<Item>,
    /// Items that passed the filter.
    pub count: usize,
    /// Items evaluated, before the filter.
    pub scanned_count: usize,
    /// Where the next page starts; `None` on the last page.
    pub last_evaluated_key: Option<Item>,
}

/// One write of a batch.
///
/// ```
/// # use monotable_core::*;
/// # use monotable_core::prelude::*;
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> monotable_core::Result<()> {
/// # let repo = monotable_memory::MemoryRepository::new(monotable_memory::MemoryStorage::new(), TableSchema::single_table("app"))?;
/// # repo.create_table().await?;
/// let a = Item::from([("pk", "A"), ("sk", "A")]);
/// let b = Item::from([("pk", "B"), ("sk", "B")]);
/// let writes = vec![WriteRequest::Put(a.clone()), WriteRequest::Put(b)];
/// let out = repo.batch_write_item(writes).await?;
/// assert!(out.unprocessed.is_empty()); // else: send them again
/// repo.batch_write_item(vec![WriteRequest::Delete(a)]).await?;
/// assert_eq!(repo.scan(Scan::default()).await?.count, 1);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum WriteRequest {
    /// Put this item.
    Put(Item),
    /// Delete the item of this key.
    Delete(Item),
}

/// What a batch write left undone (the caller retries it); see [`WriteRequest`]'s
/// example.
#[derive(Debug, Clone, Default)]
pub struct BatchWriteOutput {
    /// Writes not processed.
    pub unprocessed: Vec<WriteRequest>,
}

/// What a batch get returned.
///
/// ```
/// # use monotable_core::*;
/// # use monotable_core::prelude::*;
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> monotable_core::Result<()> {
/// # let repo = monotable_memory::MemoryRepository::new(monotable_memory::MemoryStorage::new(), TableSchema::single_table("app"))?;
/// # repo.create_table().await?;
/// # let ada = Item::from([("pk", "USER#u1"), ("sk", "PROFILE"), ("name", "Ada")]);
/// # repo.put_item(PutItem { item: ada.clone(), ..Default::default() }).await?;
/// # let key = Item::from([("pk", "USER#u1"), ("sk", "PROFILE")]);
/// let absent = Item::from([("pk", "USER#u2"), ("sk", "PROFILE")]);
/// let out = repo.batch_get_item(vec![key, absent], None).await?;
/// assert_eq!(out.items, [ada]);
/// assert!(out.unprocessed_keys.is_empty());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct BatchGetOutput {
    /// The items found, in no particular order.
    pub items: Vec<Item>,
    /// Keys not processed (the caller retries them).
    pub unprocessed_keys: Vec<Item>,
}

/// One action of a write transaction.
///
/// ```
/// use monotable_core::{Item, Path, TransactWriteItem};
/// let check = TransactWriteItem::ConditionCheck {
///     key: Item::from([("pk", "USER#u1"), ("sk", "PROFILE")]),
///     condition: Path::attr("active").eq(true),
///     return_old_on_condition_failure: true,
/// };
/// assert_eq!(check.condition(), Some(&Path::attr("active").eq(true)));
/// assert!(check.return_old_on_condition_failure());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum TransactWriteItem {
    /// Put an item.
    Put {
        /// The item.
        item: Item,
        /// Must hold on the existing item.
        condition: Option<Condition>,
        /// On failure, report the existing item in the cancellation reason.
        return_old_on_condition_failure: bool,
    },
    /// Update (or create) an item.
    Update {
        /// The primary key.
        key: Item,
        /// The actions.
        update: Update,
        /// Must hold on the existing item.
        condition: Option<Condition>,
        /// On failure, report the existing item.
        return_old_on_condition_failure: bool,
    },
    /// Delete an item.
    Delete {
        /// The primary key.
        key: Item,
        /// Must hold on the existing item.
        condition: Option<Condition>,
        /// On failure, report the existing item.
        return_old_on_condition_failure: bool,
    },
    /// Check a condition on an item without writing it.
    ConditionCheck {
        /// The primary key.
        key: Item,
        /// Must hold.
        condition: Condition,
        /// On failure, report the existing item.
        return_old_on_condition_failure: bool,
    },
}

impl TransactWriteItem {
    /// The condition of the action, if any.
    pub fn condition(&self) -> Option<&Condition> {
        match self {
            TransactWriteItem::Put { condition, .. }
            | TransactWriteItem::Update { condition, .. }
            | TransactWriteItem::Delete { condition, .. } => condition.as_ref(),
            TransactWriteItem::ConditionCheck { condition, .. } => Some(condition),
        }
    }

    /// Whether a failed condition should report the existing item.
    pub fn return_old_on_condition_failure(&self) -> bool {
        match self {
            TransactWriteItem::Put {
                return_old_on_condition_failure: r,
                ..
            }
            | TransactWriteItem::Update {
                return_old_on_condition_failure: r,
                ..
            }
            | TransactWriteItem::Delete {
                return_old_on_condition_failure: r,
                ..
            }
            | TransactWriteItem::ConditionCheck {
                return_old_on_condition_failure: r,
                ..
            } => *r,
        }
    }
}

/// An atomic write of up to 100 actions, at most one per item.
///
/// ```
/// # use monotable_core::*;
/// # use monotable_core::prelude::*;
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> monotable_core::Result<()> {
/// # let repo = monotable_memory::MemoryRepository::new(monotable_memory::MemoryStorage::new(), TableSchema::single_table("app"))?;
/// # repo.create_table().await?;
/// # let ada = Item::from([("pk", "USER#u1"), ("sk", "PROFILE"), ("name", "Ada")]);
/// # repo.put_item(PutItem { item: ada.clone(), ..Default::default() }).await?;
/// # let key = Item::from([("pk", "USER#u1"), ("sk", "PROFILE")]);
/// let move_credit = TransactWrite {
///     items: vec![
///         TransactWriteItem::Update {
///             key,
///             update: Update::new().add("credit", -5),
///             condition: Some(Path::attr("credit").ge(5)),
///             return_old_on_condition_failure: false,
///         },
///         TransactWriteItem::Put {
///             item: Item::from([("pk", "GIFT#1"), ("sk", "GIFT")]),
///             condition: None,
///             return_old_on_condition_failure: false,
///         },
///     ],
///     client_request_token: Some("gift-1".into()),
/// };
/// let refused = repo.transact_write_items(move_credit).await; // Ada has no credit
/// assert!(matches!(refused, Err(Error::TransactionCanceled { .. })));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TransactWrite {
    /// The actions, in order.
    pub items: Vec<TransactWriteItem>,
    /// Idempotency token (at most 36 characters): a repeat within the window is not applied
    /// twice.
    pub client_request_token: Option<String>,
}

/// Most actions in one transaction.
pub const MAX_TRANSACTION_ACTIONS: usize = 100;
/// Most writes in one `BatchWriteItem`.
pub const MAX_BATCH_WRITE: usize = 25;
/// Most keys in one `BatchGetItem`.
pub const MAX_BATCH_GET: usize = 100;

/// The item-level operations of one table, implemented by each backend.
///
/// Every backend gives these operations DynamoDB's semantics; the conformance suite in
/// `monotable-testkit` holds them to it. Users seldom call them directly: the typed API in
/// [`crate::RepositoryExt`] is built on them for every backend.
///
/// # Errors
///
/// Each method fails with the [`crate::Error`] variant DynamoDB's behaviour calls for:
/// `ConditionFailed` for a failed condition, `InvalidRequest` for a request DynamoDB would
/// reject (with its message), `ItemTooLarge`, `TableNotFound` before `create_table`,
/// `TransactionCanceled` with one reason per action, `Throttled` or `Backend` for the
/// backend's own failures. A failed write writes nothing.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> monotable_core::Result<()> {
/// use std::sync::Arc;
/// use monotable_core::{GetItem, Item, PutItem, Repository, TableSchema};
/// use monotable_memory::{MemoryRepository, MemoryStorage};
///
/// let repo: Arc<dyn Repository> =
///     Arc::new(MemoryRepository::new(MemoryStorage::new(), TableSchema::single_table("app"))?);
/// repo.create_table().await?;
/// let ada = Item::from([("pk", "USER#u1"), ("sk", "PROFILE"), ("name", "Ada")]);
/// repo.put_item(PutItem { item: ada.clone(), ..Default::default() }).await?;
/// let key = Item::from([("pk", "USER#u1"), ("sk", "PROFILE")]);
/// assert_eq!(repo.get_item(GetItem { key, ..Default::default() }).await?, Some(ada));
/// # Ok(()) }
/// ```
#[async_trait]
pub trait Repository: Send + Sync + std::fmt::Debug {
    /// The table this repository reads and writes.
    fn schema(&self) -> &TableSchema;

    /// Creates the table and its indexes if they do not exist (idempotent).
    async fn create_table(&self) -> Result<()>;

    /// Reads one item; `None` if absent.
    async fn get_item(&self, request: GetItem) -> Result<Option<Item>>;

    /// Writes one item; returns the old item if asked (`ReturnValues::AllOld`) and present.
    async fn put_item(&self, request: PutItem) -> Result<Option<Item>>;

    /// Updates or creates one item; returns what `return_values` asks for.
    async fn update_item(&self, request: UpdateItem) -> Result<Option<Item>>;

    /// Deletes one item; returns the old item if asked and present.
    async fn delete_item(&self, request: DeleteItem) -> Result<Option<Item>>;

    /// Reads one page of a partition.
    async fn query(&self, request: Query) -> Result<Page>;

    /// Reads one page of the whole table or index.
    async fn scan(&self, request: Scan) -> Result<Page>;

    /// Reads up to 100 items by key; absent items are left out.
    async fn batch_get_item(
        &self,
        keys: Vec<Item>,
        projection: Option<Vec<Path>>,
    ) -> Result<BatchGetOutput>;

    /// Writes up to 25 puts and deletes, each atomic on its own; returns what is left to retry.
    async fn batch_write_item(&self, writes: Vec<WriteRequest>) -> Result<BatchWriteOutput>;

    /// Applies all actions or none.
    async fn transact_write_items(&self, request: TransactWrite) -> Result<()>;

    /// Reads up to 100 items at one point in time; `None` where absent.
    async fn transact_get_items(&self, keys: Vec<Item>) -> Result<Vec<Option<Item>>>;

    /// Reads one item like [`get_item`](Self::get_item), but lends it to `visit` instead of
    /// handing out a copy; returns whether there was one. A local store lends the item it
    /// holds, so a caller that only decodes it (the typed API) copies nothing. The default
    /// calls `get_item`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> monotable_core::Result<()> {
    /// use monotable_core::{GetItem, Item, PutItem, Repository, TableSchema};
    /// # let repo = monotable_memory::MemoryRepository::new(
    /// #     monotable_memory::MemoryStorage::new(), TableSchema::single_table("app"))?;
    /// # repo.create_table().await?;
    /// let ada = Item::from([("pk", "USER#u1"), ("sk", "PROFILE"), ("name", "Ada")]);
    /// repo.put_item(PutItem { item: ada, ..Default::default() }).await?;
    /// let key = Item::from([("pk", "USER#u1"), ("sk", "PROFILE")]);
    /// let mut name = None;
    /// let found = repo
    ///     .get_item_with(GetItem { key, ..Default::default() }, &mut |item| {
    ///         name = item.attribute("name").and_then(|n| n.as_s().map(str::len));
    ///         Ok(())
    ///     })
    ///     .await?;
    /// assert!(found);
    /// assert_eq!(name, Some(3));
    /// # Ok(()) }
    /// ```
    async fn get_item_with(&self, request: GetItem, visit: &mut ItemVisitor<'_>) -> Result<bool> {
        match self.get_item(request).await? {
            Some(item) => visit(LentItem::item(&item)).map(|()| true),
            None => Ok(false),
        }
    }

    /// Reads one page of a partition like [`query`](Self::query), but lends each item of the
    /// page to `visit`, in order, instead of handing out copies; the page returned has no
    /// `items` (its counts and last evaluated key are as `query` gives them). The default
    /// calls `query`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> monotable_core::Result<()> {
    /// use monotable_core::{Item, KeyCondition, PutItem, Query, Repository, TableSchema};
    /// # let repo = monotable_memory::MemoryRepository::new(
    /// #     monotable_memory::MemoryStorage::new(), TableSchema::single_table("app"))?;
    /// # repo.create_table().await?;
    /// for sk in ["ORDER#1", "ORDER#2", "PROFILE"] {
    ///     let item = Item::from([("pk", "USER#u1"), ("sk", sk)]);
    ///     repo.put_item(PutItem { item, ..Default::default() }).await?;
    /// }
    /// let mut sort_keys = Vec::new();
    /// let query = Query { limit: Some(2), ..Query::new(KeyCondition::partition("USER#u1")) };
    /// let page = repo
    ///     .query_with(query, &mut |item| {
    ///         sort_keys.push(item.to_item()["sk"].as_s().unwrap_or_default().to_string());
    ///         Ok(())
    ///     })
    ///     .await?;
    /// assert_eq!(sort_keys, ["ORDER#1", "ORDER#2"]);
    /// assert!(page.items.is_empty());
    /// assert_eq!(page.count, 2);
    /// assert!(page.last_evaluated_key.is_some());
    /// # Ok(()) }
    /// ```
    async fn query_with(&self, request: Query, visit: &mut ItemVisitor<'_>) -> Result<Page> {
        lend_page(self.query(request).await?, visit)
    }

    /// Reads one page of the table or index like [`scan`](Self::scan), lending each item to
    /// `visit` as [`query_with`](Self::query_with) does. The default calls `scan`.
    async fn scan_with(&self, request: Scan, visit: &mut ItemVisitor<'_>) -> Result<Page> {
        lend_page(self.scan(request).await?, visit)
    }
}

/// What [`Repository::get_item_with`], [`Repository::query_with`] and
/// [`Repository::scan_with`] lend each item to.
pub type ItemVisitor<'a> = dyn FnMut(LentItem<'_>) -> Result<()> + Send + 'a;

/// An item a read lends: one the store holds, or the store's text of it read once
/// (SQLite's), from which [`decode`](Self::decode) goes straight to the type without building
/// the item.
///
/// ```
/// use monotable_core::item::ReadItemText;
/// use monotable_core::{Item, LentItem, Value};
/// let ada = Item::from([("pk", "USER#u1"), ("sk", "PROFILE"), ("name", "Ada")]);
/// let read = ReadItemText::read(ada.to_json().to_string()).expect("canonical text");
/// for lent in [LentItem::item(&ada), LentItem::read(&read)] {
///     assert_eq!(lent.attribute("name").as_deref(), Some(&Value::from("Ada")));
///     assert_eq!(*lent.to_item(), ada);
/// }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct LentItem<'a>(Lent<'a>);

#[derive(Debug, Clone, Copy)]
enum Lent<'a> {
    Item(&'a Item),
    Read(&'a ReadItemText),
}

impl<'a> LentItem<'a> {
    /// An item the store holds.
    pub fn item(item: &'a Item) -> Self {
        LentItem(Lent::Item(item))
    }

    /// An item's stored text, read.
    pub fn read(read: &'a ReadItemText) -> Self {
        LentItem(Lent::Read(read))
    }

    /// The stored text, if the store lent its text.
    pub fn as_text(&self) -> Option<&'a str> {
        match self.0 {
            Lent::Read(read) => Some(read.as_str()),
            Lent::Item(_) => None,
        }
    }

    /// The item (built from the text if the store lent its text).
    pub fn to_item(&self) -> Cow<'a, Item> {
        match self.0 {
            Lent::Item(item) => Cow::Borrowed(item),
            Lent::Read(read) => Cow::Owned(read.to_item()),
        }
    }

    /// The top-level attribute `name`.
    pub fn attribute(&self, name: &str) -> Option<Cow<'a, Value>> {
        match self.0 {
            Lent::Item(item) => item.get(name).map(Cow::Borrowed),
            Lent::Read(read) => read.attribute(name).map(Cow::Owned),
        }
    }

    /// The item decoded into `T`, as [`Item::deserialize_into`] decodes it (from the text
    /// directly if the store lent its text).
    ///
    /// # Errors
    ///
    /// [`crate::Error::Decode`] if it does not decode.
    pub fn decode<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        match self.0 {
            Lent::Item(item) => item.deserialize_into(),
            Lent::Read(read) => read.decode(),
        }
    }
}

/// Lends a page's items to `visit` and returns the page without them.
fn lend_page(mut page: Page, visit: &mut ItemVisitor<'_>) -> Result<Page> {
    for item in std::mem::take(&mut page.items) {
        visit(LentItem::item(&item))?;
    }
    Ok(page)
}
