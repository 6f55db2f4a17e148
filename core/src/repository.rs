//! The `Repository` contract: the item-level operations every backend implements.

use async_trait::async_trait;

use crate::error::Result;
use crate::expr::{Condition, KeyCondition, Path, Update};
use crate::item::Item;
use crate::schema::TableSchema;

/// What a write returns of the item (DynamoDB's `ReturnValues`).
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

/// One segment of a parallel scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// This segment, `0..total`.
    pub segment: u32,
    /// Number of segments.
    pub total: u32,
}

/// Reads every item of the table or of an index.
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

/// One page of a query or scan.
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
#[derive(Debug, Clone, PartialEq)]
pub enum WriteRequest {
    /// Put this item.
    Put(Item),
    /// Delete the item of this key.
    Delete(Item),
}

/// What a batch write left undone (the caller retries it).
#[derive(Debug, Clone, Default)]
pub struct BatchWriteOutput {
    /// Writes not processed.
    pub unprocessed: Vec<WriteRequest>,
}

/// What a batch get returned.
#[derive(Debug, Clone, Default)]
pub struct BatchGetOutput {
    /// The items found, in no particular order.
    pub items: Vec<Item>,
    /// Keys not processed (the caller retries them).
    pub unprocessed_keys: Vec<Item>,
}

/// One action of a write transaction.
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
}
