//! Write transactions: DynamoDB's write set, collected and committed at once.

use crate::api::unique;
use crate::entity::write;
use crate::entity::{self, Entity};
use crate::error::{Error, Result};
use crate::expr::{Condition, Update};
use crate::item::Item;
use crate::repository::{TransactWrite, TransactWriteItem, MAX_TRANSACTION_ACTIONS};
use crate::schema::TableSchema;

/// Something that collects transaction actions: entity-level helpers over [`push`].
///
/// The examples use the `Order` entity and the helpers of the examples of
/// [`RepositoryExt`](crate::RepositoryExt).
///
/// ```
/// # use monotable_core::{prelude::*, EntityKeys, EntityQuery, EntityScan, Error, Item, Path, TableSchema, Update};
/// # #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)] struct Order { user: String, id: String, total: u64 }
/// # #[derive(serde::Serialize)] struct OrderKey { user: String, id: String }
/// # impl KeySchema for Order { fn key_templates() -> EntityKeys {
/// #     EntityKeys::new("USER#{user}").with_sort("ORDER#{id}").with_index("gsi1", "ORDER#{id}", Some("ORDER")) } }
/// # impl Entity for Order { const ENTITY_TYPE: &'static str = "Order"; type Key = OrderKey; }
/// # fn order(id: &str, total: u64) -> Order { Order { user: "u1".into(), id: id.into(), total } }
/// # fn key(id: &str) -> OrderKey { OrderKey { user: "u1".into(), id: id.into() } }
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> monotable_core::Result<()> {
/// # let repo = monotable_memory::MemoryRepository::new(monotable_memory::MemoryStorage::new(), TableSchema::single_table("shop").with_gsi("gsi1"))?;
/// # repo.create_table().await?;
/// # for (id, total) in [("o1", 10), ("o2", 20), ("o3", 30)] { repo.create(&order(id, total)).await?; }
/// repo.transaction(|tx| {
///     tx.create(&order("o4", 40))?
///         .update::<Order>(&key("o1"), Update::new().add("total", 1), None)?
///         .delete::<Order>(&key("o2"), None)?;
///     Ok(())
/// }).await?;
/// let orders = repo.scan_all(EntityScan::<Order>::new(), 1).await?;
/// let ids: Vec<&str> = orders.iter().map(|o| o.id.as_str()).collect();
/// assert_eq!(ids, ["o1", "o3", "o4"]);
/// # Ok(()) }
/// ```
///
/// [`push`]: TransactionContext::push
pub trait TransactionContext {
    /// The table the actions are for.
    fn schema(&self) -> &TableSchema;

    /// The time stamp written by this transaction's actions.
    fn now(&self) -> &str;

    /// Adds a raw action.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] past 100 actions.
    fn push(&mut self, action: TransactWriteItem) -> Result<()>;

    /// Creates an entity (a versioned one at version 1); the transaction is cancelled if
    /// its key is taken.
    fn create<E: Entity>(&mut self, entity: &E) -> Result<&mut Self>
    where
        Self: Sized,
    {
        let (item, condition) = write::create(self.schema(), entity, self.now())?;
        let guards = unique::create_guards::<E>(self.schema(), &item)?;
        self.push(TransactWriteItem::Put {
            item,
            condition: Some(condition),
            return_old_on_condition_failure: false,
        })?;
        for g in guards {
            self.push(g)?;
        }
        Ok(self)
    }

    /// Writes an entity as [`RepositoryExt::put`](crate::RepositoryExt::put) does (an update
    /// that keeps the creation time, checks the version and the entity type), if `condition`
    /// also holds.
    ///
    /// ```
    /// # use monotable_core::{prelude::*, EntityKeys, EntityQuery, EntityScan, Error, Item, Path, TableSchema, Update};
    /// # #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)] struct Order { user: String, id: String, total: u64 }
    /// # #[derive(serde::Serialize)] struct OrderKey { user: String, id: String }
    /// # impl KeySchema for Order { fn key_templates() -> EntityKeys {
    /// #     EntityKeys::new("USER#{user}").with_sort("ORDER#{id}").with_index("gsi1", "ORDER#{id}", Some("ORDER")) } }
    /// # impl Entity for Order { const ENTITY_TYPE: &'static str = "Order"; type Key = OrderKey; }
    /// # fn order(id: &str, total: u64) -> Order { Order { user: "u1".into(), id: id.into(), total } }
    /// # fn key(id: &str) -> OrderKey { OrderKey { user: "u1".into(), id: id.into() } }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> monotable_core::Result<()> {
    /// # let repo = monotable_memory::MemoryRepository::new(monotable_memory::MemoryStorage::new(), TableSchema::single_table("shop").with_gsi("gsi1"))?;
    /// # repo.create_table().await?;
    /// # for (id, total) in [("o1", 10), ("o2", 20), ("o3", 30)] { repo.create(&order(id, total)).await?; }
    /// let unpaid = Path::attr("total").gt(0);
    /// repo.transaction(|tx| {
    ///     tx.put(&order("o1", 0), Some(unpaid))?; // replaces o1, if o1's total is above 0
    ///     Ok(())
    /// }).await?;
    /// assert_eq!(repo.get::<Order>(&key("o1")).await?, Some(order("o1", 0)));
    /// # Ok(()) }
    /// ```
    fn put<E: Entity>(&mut self, entity: &E, condition: Option<Condition>) -> Result<&mut Self>
    where
        Self: Sized,
    {
        unique::refuse::<E>("a transaction's put")?;
        if let Some(created) = entity::created_in_index_keys::<E>() {
            return Err(entity::validation_error::<E>(
                created,
                "an index key of this entity uses its creation time, which a put must read \
                 from the stored item: a transaction cannot read it, so use put outside the \
                 transaction (create is fine)",
            ));
        }
        let plan = write::put(self.schema(), entity, self.now(), condition, None)?;
        self.push_planned(plan)
    }

    /// Updates an entity as [`RepositoryExt::update`](crate::RepositoryExt::update) does, if
    /// `condition` holds. An entity with a validation hook is refused: the hook needs the
    /// whole entity, which a transaction cannot read; use `put`.
    ///
    /// ```
    /// # use monotable_core::{prelude::*, EntityKeys, EntityQuery, EntityScan, Error, Item, Path, TableSchema, Update};
    /// # use monotable_core::Transaction;
    /// # #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)] struct Order { user: String, id: String, total: u64 }
    /// # #[derive(serde::Serialize)] struct OrderKey { user: String, id: String }
    /// # impl KeySchema for Order { fn key_templates() -> EntityKeys {
    /// #     EntityKeys::new("USER#{user}").with_sort("ORDER#{id}").with_index("gsi1", "ORDER#{id}", Some("ORDER")) } }
    /// # impl Entity for Order { const ENTITY_TYPE: &'static str = "Order"; type Key = OrderKey; }
    /// # fn order(id: &str, total: u64) -> Order { Order { user: "u1".into(), id: id.into(), total } }
    /// # fn key(id: &str) -> OrderKey { OrderKey { user: "u1".into(), id: id.into() } }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> monotable_core::Result<()> {
    /// # let repo = monotable_memory::MemoryRepository::new(monotable_memory::MemoryStorage::new(), TableSchema::single_table("shop").with_gsi("gsi1"))?;
    /// # repo.create_table().await?;
    /// # for (id, total) in [("o1", 10), ("o2", 20), ("o3", 30)] { repo.create(&order(id, total)).await?; }
    /// // Move 5 from o1 to o2, only if o1 has at least 5.
    /// let enough = Path::attr("total").ge(5);
    /// let mut tx = Transaction::new(repo.schema());
    /// tx.update::<Order>(&key("o1"), Update::new().add("total", -5), Some(enough))?
    ///     .update::<Order>(&key("o2"), Update::new().add("total", 5), None)?;
    /// repo.commit(tx).await?;
    /// assert_eq!(repo.get::<Order>(&key("o2")).await?.map(|o| o.total), Some(25));
    /// # Ok(()) }
    /// ```
    fn update<E: Entity>(
        &mut self,
        key: &E::Key,
        update: Update,
        condition: Option<Condition>,
    ) -> Result<&mut Self>
    where
        Self: Sized,
    {
        self.push_update::<E>(key, update, None, condition, false)
    }

    /// Updates a versioned entity whose stored version is `version`, if `condition` holds.
    fn update_versioned<E: Entity>(
        &mut self,
        key: &E::Key,
        version: u64,
        update: Update,
        condition: Option<Condition>,
    ) -> Result<&mut Self>
    where
        Self: Sized,
    {
        self.push_update::<E>(key, update, Some(version), condition, false)
    }

    /// Updates an entity that must exist.
    ///
    /// ```
    /// # use monotable_core::{prelude::*, EntityKeys, EntityQuery, EntityScan, Error, Item, Path, TableSchema, Update};
    /// # #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)] struct Order { user: String, id: String, total: u64 }
    /// # #[derive(serde::Serialize)] struct OrderKey { user: String, id: String }
    /// # impl KeySchema for Order { fn key_templates() -> EntityKeys {
    /// #     EntityKeys::new("USER#{user}").with_sort("ORDER#{id}").with_index("gsi1", "ORDER#{id}", Some("ORDER")) } }
    /// # impl Entity for Order { const ENTITY_TYPE: &'static str = "Order"; type Key = OrderKey; }
    /// # fn order(id: &str, total: u64) -> Order { Order { user: "u1".into(), id: id.into(), total } }
    /// # fn key(id: &str) -> OrderKey { OrderKey { user: "u1".into(), id: id.into() } }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> monotable_core::Result<()> {
    /// # let repo = monotable_memory::MemoryRepository::new(monotable_memory::MemoryStorage::new(), TableSchema::single_table("shop").with_gsi("gsi1"))?;
    /// # repo.create_table().await?;
    /// # for (id, total) in [("o1", 10), ("o2", 20), ("o3", 30)] { repo.create(&order(id, total)).await?; }
    /// let failed = repo.transaction(|tx| {
    ///     tx.create(&order("o4", 40))?
    ///         .patch::<Order>(&key("o9"), Update::new().set("total", 1))?; // no o9
    ///     Ok(())
    /// }).await;
    /// assert!(matches!(failed, Err(Error::TransactionCanceled { .. })));
    /// assert_eq!(repo.get::<Order>(&key("o4")).await?, None); // all or nothing
    /// # Ok(()) }
    /// ```
    fn patch<E: Entity>(&mut self, key: &E::Key, update: Update) -> Result<&mut Self>
    where
        Self: Sized,
    {
        self.push_update::<E>(key, update, None, None, true)
    }

    /// Updates an existing versioned entity whose stored version is `version`.
    fn patch_versioned<E: Entity>(
        &mut self,
        key: &E::Key,
        version: u64,
        update: Update,
    ) -> Result<&mut Self>
    where
        Self: Sized,
    {
        self.push_update::<E>(key, update, Some(version), None, true)
    }

    /// Deletes an entity, if `condition` holds. A versioned entity needs
    /// [`delete_versioned`](Self::delete_versioned).
    fn delete<E: Entity>(&mut self, key: &E::Key, condition: Option<Condition>) -> Result<&mut Self>
    where
        Self: Sized,
    {
        unique::refuse::<E>("a transaction's delete")?;
        let (key, condition, _) = write::delete::<E>(self.schema(), key, None, condition)?;
        self.push(TransactWriteItem::Delete {
            key,
            condition,
            return_old_on_condition_failure: false,
        })?;
        Ok(self)
    }

    /// Deletes a versioned entity whose stored version is `version`, if `condition` holds.
    ///
    /// ```
    /// # use monotable_core::{prelude::*, EntityKeys, EntityOptions, Error, TableSchema, Update};
    /// # #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)] struct Doc { id: String, body: String, version: u64 }
    /// # #[derive(serde::Serialize)] struct DocKey { id: String }
    /// # impl KeySchema for Doc { fn key_templates() -> EntityKeys { EntityKeys::new("DOC#{id}").with_sort("DOC") } }
    /// # impl Entity for Doc { const ENTITY_TYPE: &'static str = "Doc"; type Key = DocKey;
    /// #     fn options() -> EntityOptions { EntityOptions { version_attribute: Some("version"), ..Default::default() } } }
    /// # fn doc(body: &str) -> Doc { Doc { id: "d1".into(), body: body.into(), version: 0 } }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> monotable_core::Result<()> {
    /// # let repo = monotable_memory::MemoryRepository::new(monotable_memory::MemoryStorage::new(), TableSchema::single_table("docs"))?;
    /// # repo.create_table().await?;
    /// # let key = DocKey { id: "d1".into() };
    /// repo.create(&doc("draft")).await?; // version 1
    /// let stale = repo
    ///     .transaction(|tx| {
    ///         tx.delete_versioned::<Doc>(&key, 2, None)?;
    ///         Ok(())
    ///     })
    ///     .await;
    /// assert!(matches!(stale, Err(Error::TransactionCanceled { .. })));
    /// repo.transaction(|tx| {
    ///     tx.delete_versioned::<Doc>(&key, 1, None)?;
    ///     Ok(())
    /// }).await?;
    /// assert_eq!(repo.get::<Doc>(&key).await?, None);
    /// # Ok(()) }
    /// ```
    fn delete_versioned<E: Entity>(
        &mut self,
        key: &E::Key,
        version: u64,
        condition: Option<Condition>,
    ) -> Result<&mut Self>
    where
        Self: Sized,
    {
        unique::refuse::<E>("a transaction's delete")?;
        let (key, condition, _) = write::delete::<E>(self.schema(), key, Some(version), condition)?;
        self.push(TransactWriteItem::Delete {
            key,
            condition,
            return_old_on_condition_failure: false,
        })?;
        Ok(self)
    }

    /// Adds an entity update (see [`write::update`]) as an update action; an entity with a
    /// validation hook or unique fields is refused (both need the stored item).
    #[doc(hidden)]
    fn push_update<E: Entity>(
        &mut self,
        key: &E::Key,
        update: Update,
        version: Option<u64>,
        condition: Option<Condition>,
        must_exist: bool,
    ) -> Result<&mut Self>
    where
        Self: Sized,
    {
        refuse_validating::<E>()?;
        let plan = write::update::<E>(
            self.schema(),
            key,
            update,
            version,
            condition,
            must_exist,
            write::UpdateTime {
                now: self.now(),
                stored: None,
            },
        )?;
        self.push_planned(plan)
    }

    /// Adds a planned write as an update action.
    #[doc(hidden)]
    fn push_planned(&mut self, plan: write::Planned) -> Result<&mut Self>
    where
        Self: Sized,
    {
        self.push(TransactWriteItem::Update {
            key: plan.key,
            update: plan.update,
            condition: plan.condition,
            return_old_on_condition_failure: false,
        })?;
        Ok(self)
    }

    /// Requires `condition` to hold on an entity, without writing it.
    ///
    /// ```
    /// # use monotable_core::{prelude::*, EntityKeys, EntityQuery, EntityScan, Error, Item, Path, TableSchema, Update};
    /// # #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)] struct Order { user: String, id: String, total: u64 }
    /// # #[derive(serde::Serialize)] struct OrderKey { user: String, id: String }
    /// # impl KeySchema for Order { fn key_templates() -> EntityKeys {
    /// #     EntityKeys::new("USER#{user}").with_sort("ORDER#{id}").with_index("gsi1", "ORDER#{id}", Some("ORDER")) } }
    /// # impl Entity for Order { const ENTITY_TYPE: &'static str = "Order"; type Key = OrderKey; }
    /// # fn order(id: &str, total: u64) -> Order { Order { user: "u1".into(), id: id.into(), total } }
    /// # fn key(id: &str) -> OrderKey { OrderKey { user: "u1".into(), id: id.into() } }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> monotable_core::Result<()> {
    /// # let repo = monotable_memory::MemoryRepository::new(monotable_memory::MemoryStorage::new(), TableSchema::single_table("shop").with_gsi("gsi1"))?;
    /// # repo.create_table().await?;
    /// # for (id, total) in [("o1", 10), ("o2", 20), ("o3", 30)] { repo.create(&order(id, total)).await?; }
    /// // Create o4 only while o1 is still unpaid (total above 0).
    /// repo.transaction(|tx| {
    ///     tx.check::<Order>(&key("o1"), Path::attr("total").gt(0))?
    ///         .create(&order("o4", 40))?;
    ///     Ok(())
    /// }).await?;
    /// assert!(repo.get::<Order>(&key("o4")).await?.is_some());
    /// # Ok(()) }
    /// ```
    fn check<E: Entity>(&mut self, key: &E::Key, condition: Condition) -> Result<&mut Self>
    where
        Self: Sized,
    {
        let key = entity::primary_key_of::<E>(self.schema(), key)?;
        self.push(TransactWriteItem::ConditionCheck {
            key,
            condition,
            return_old_on_condition_failure: false,
        })?;
        Ok(self)
    }
}

fn refuse_validating<E: Entity>() -> Result<()> {
    unique::refuse::<E>("a transaction's update")?;
    if E::VALIDATES {
        return Err(entity::validation_error::<E>(
            "",
            "this entity has a validation hook, which needs the whole entity: a transaction \
             cannot read it, so use put with the whole entity",
        ));
    }
    if entity::timestamps_in_index_keys::<E>() {
        return Err(entity::validation_error::<E>(
            "",
            "an index key of this entity uses a timestamp, which an update must compose \
             with the stored item's other attributes: a transaction cannot read it, so \
             update outside the transaction",
        ));
    }
    Ok(())
}

/// A write transaction being built: up to 100 actions, at most one per item, committed with
/// [`crate::RepositoryExt::commit`] or built inside [`crate::RepositoryExt::transaction`].
///
/// ```
/// # use monotable_core::{prelude::*, EntityKeys, EntityQuery, EntityScan, Error, Item, Path, TableSchema, Update};
/// # use monotable_core::Transaction;
/// # #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)] struct Order { user: String, id: String, total: u64 }
/// # #[derive(serde::Serialize)] struct OrderKey { user: String, id: String }
/// # impl KeySchema for Order { fn key_templates() -> EntityKeys {
/// #     EntityKeys::new("USER#{user}").with_sort("ORDER#{id}").with_index("gsi1", "ORDER#{id}", Some("ORDER")) } }
/// # impl Entity for Order { const ENTITY_TYPE: &'static str = "Order"; type Key = OrderKey; }
/// # fn order(id: &str, total: u64) -> Order { Order { user: "u1".into(), id: id.into(), total } }
/// # fn key(id: &str) -> OrderKey { OrderKey { user: "u1".into(), id: id.into() } }
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> monotable_core::Result<()> {
/// # let repo = monotable_memory::MemoryRepository::new(monotable_memory::MemoryStorage::new(), TableSchema::single_table("shop").with_gsi("gsi1"))?;
/// # repo.create_table().await?;
/// let mut tx = Transaction::new(repo.schema());
/// assert!(tx.is_empty());
/// tx.create(&order("o1", 10))?.create(&order("o2", 20))?;
/// assert_eq!(tx.len(), 2);
/// repo.commit(tx).await?;
/// assert_eq!(repo.scan_all(EntityScan::<Order>::new(), 1).await?.len(), 2);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Transaction {
    schema: TableSchema,
    now: String,
    request: TransactWrite,
}

impl Transaction {
    /// An empty transaction on `schema`'s table.
    pub fn new(schema: &TableSchema) -> Self {
        Transaction {
            schema: schema.clone(),
            now: entity::now_iso8601(),
            request: TransactWrite::default(),
        }
    }

    /// Sets the idempotency token (at most 36 characters).
    ///
    /// ```
    /// # use monotable_core::{prelude::*, EntityKeys, EntityQuery, EntityScan, Error, Item, Path, TableSchema, Update};
    /// # use monotable_core::Transaction;
    /// # #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)] struct Order { user: String, id: String, total: u64 }
    /// # #[derive(serde::Serialize)] struct OrderKey { user: String, id: String }
    /// # impl KeySchema for Order { fn key_templates() -> EntityKeys {
    /// #     EntityKeys::new("USER#{user}").with_sort("ORDER#{id}").with_index("gsi1", "ORDER#{id}", Some("ORDER")) } }
    /// # impl Entity for Order { const ENTITY_TYPE: &'static str = "Order"; type Key = OrderKey; }
    /// # fn order(id: &str, total: u64) -> Order { Order { user: "u1".into(), id: id.into(), total } }
    /// # fn key(id: &str) -> OrderKey { OrderKey { user: "u1".into(), id: id.into() } }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> monotable_core::Result<()> {
    /// # let repo = monotable_memory::MemoryRepository::new(monotable_memory::MemoryStorage::new(), TableSchema::single_table("shop").with_gsi("gsi1"))?;
    /// # repo.create_table().await?;
    /// let mut tx = Transaction::new(repo.schema()).with_token("order-o1");
    /// tx.create(&order("o1", 10))?;
    /// repo.commit(tx.clone()).await?;
    /// // Sent again (a retry after a timeout, say): applied once, not refused as a
    /// // duplicate create.
    /// repo.commit(tx).await?;
    /// assert_eq!(repo.scan_all(EntityScan::<Order>::new(), 1).await?.len(), 1);
    /// # Ok(()) }
    /// ```
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.request.client_request_token = Some(token.into());
        self
    }

    /// Number of actions so far.
    pub fn len(&self) -> usize {
        self.request.items.len()
    }

    /// True if there is no action yet.
    pub fn is_empty(&self) -> bool {
        self.request.items.is_empty()
    }

    /// The request to send.
    pub fn into_request(self) -> TransactWrite {
        self.request
    }

    /// Requires `condition` on the item at `key`: joined to the condition of this
    /// transaction's action on that item, or as a condition check if it has none.
    pub(crate) fn guard(&mut self, key: &Item, condition: Condition) -> Result<()> {
        let key_of = |action: &TransactWriteItem| match action {
            TransactWriteItem::Put { item, .. } => self.schema.key_of(item),
            TransactWriteItem::Update { key, .. }
            | TransactWriteItem::Delete { key, .. }
            | TransactWriteItem::ConditionCheck { key, .. } => key.clone(),
        };
        let position = self.request.items.iter().position(|a| &key_of(a) == key);
        match position.map(|i| &mut self.request.items[i]) {
            Some(
                TransactWriteItem::Put { condition: c, .. }
                | TransactWriteItem::Update { condition: c, .. }
                | TransactWriteItem::Delete { condition: c, .. },
            ) => {
                *c = Some(match c.take() {
                    Some(existing) => existing.and(condition),
                    None => condition,
                });
                Ok(())
            }
            Some(TransactWriteItem::ConditionCheck { condition: c, .. }) => {
                *c = c.clone().and(condition);
                Ok(())
            }
            None => self.push(TransactWriteItem::ConditionCheck {
                key: key.clone(),
                condition,
                return_old_on_condition_failure: false,
            }),
        }
    }
}

impl TransactionContext for Transaction {
    fn schema(&self) -> &TableSchema {
        &self.schema
    }

    fn now(&self) -> &str {
        &self.now
    }

    fn push(&mut self, action: TransactWriteItem) -> Result<()> {
        if self.request.items.len() >= MAX_TRANSACTION_ACTIONS {
            return Err(Error::invalid(
                "Member must have length less than or equal to 100",
            ));
        }
        self.request.items.push(action);
        Ok(())
    }
}
