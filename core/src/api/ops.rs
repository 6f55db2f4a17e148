//! The typed entity API, written once on top of [`Repository`] for every backend.

use async_trait::async_trait;
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};

use super::query::{
    decode_into, entity_filter, entity_page, CollectionPage, CollectionQuery, EntityQuery,
    EntityScan, QueryPage,
};
use crate::api::cursor::Cursor;
use crate::api::writes::*;
use crate::api::Transaction;
use crate::api::{batch, unique};
use crate::entity::write;
use crate::entity::{self, Entity};
use crate::error::{Error, Result};
use crate::expr::{Condition, Update};
use crate::item::{Item, Value};
use crate::repository::*;

/// The typed entity API, for every [`Repository`]. Do not implement: it is implemented for
/// all repositories.
///
/// The examples of its methods use this entity on the in-memory backend, with helpers
/// `order(id, total)` (an order of user `u1`) and `key(id)` (its key); the examples of
/// queries and scans start with orders `o1`, `o2`, `o3` of totals 10, 20 and 30.
///
/// ```
/// use monotable_core::prelude::*;
/// use monotable_core::{EntityKeys, TableSchema};
/// use monotable_memory::{MemoryRepository, MemoryStorage};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
/// struct Order { user: String, id: String, total: u64 }
///
/// #[derive(Serialize)]
/// struct OrderKey { user: String, id: String }
///
/// impl KeySchema for Order {
///     fn key_templates() -> EntityKeys {
///         EntityKeys::new("USER#{user}")
///             .with_sort("ORDER#{id}")
///             .with_index("gsi1", "ORDER#{id}", Some("ORDER"))
///     }
/// }
/// impl Entity for Order {
///     const ENTITY_TYPE: &'static str = "Order";
///     type Key = OrderKey;
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> monotable_core::Result<()> {
/// let schema = TableSchema::single_table("shop").with_gsi("gsi1");
/// let repo = MemoryRepository::new(MemoryStorage::new(), schema)?;
/// repo.create_table().await?;
/// let order = Order { user: "u1".into(), id: "o1".into(), total: 990 };
/// repo.create(&order).await?;
/// let key = OrderKey { user: "u1".into(), id: "o1".into() };
/// assert_eq!(repo.get::<Order>(&key).await?, Some(order));
/// # Ok(()) }
/// ```
///
/// # Errors
///
/// As [`Repository`], plus: [`Error::AlreadyExists`] from `create`, [`Error::NotFound`] from
/// `patch`, [`Error::InvalidKey`] when a key cannot be composed, [`Error::Validation`] from
/// the entity's own check, [`Error::InvalidCursor`], [`Error::Decode`].
#[async_trait]
pub trait RepositoryExt: Repository {
    /// Writes a new entity; fails with [`Error::AlreadyExists`] if its key is taken. A
    /// versioned entity is written at version 1.
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
    /// let created = repo.create(&order("o1", 10)).await?;
    /// assert_eq!(created.total, 10);
    /// let again = repo.create(&order("o1", 99)).await;
    /// assert!(matches!(again, Err(Error::AlreadyExists { .. })));
    /// # Ok(()) }
    /// ```
    async fn create<E: Entity>(&self, entity: &E) -> Result<E> {
        let (item, condition) = write::create(self.schema(), entity, &entity::now_iso8601())?;
        // The entity as created (`write::create` has read the item back already), decoded
        // before the write so that the item moves into the request.
        let created = entity::decode::<E>(&item)?;
        if unique::has_unique_fields::<E>() {
            unique::create::<Self, E>(self, item, condition).await?;
            return Ok(created);
        }
        let key = self.schema().key_of(&item);
        match self
            .put_item(PutItem {
                item,
                condition: Some(condition),
                ..Default::default()
            })
            .await
        {
            Err(Error::ConditionFailed { .. }) => Err(Error::AlreadyExists {
                entity: E::ENTITY_TYPE.to_string(),
                key: write::key_string(&key),
            }),
            Err(e) => Err(e),
            Ok(_) => Ok(created),
        }
    }

    /// Writes an entity, replacing the stored one (or creating it). The creation time of an
    /// existing item is kept: the write is sent as one update that sets every attribute and
    /// removes the entity's attributes the value leaves out. A versioned entity must carry
    /// the stored version ([`Error::VersionConflict`] otherwise; `0` for a new item) and is
    /// written at the next one. An item of another entity type is never replaced.
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
    /// repo.put(&order("o1", 10)).await?; // creates
    /// repo.put(&order("o1", 20)).await?; // replaces
    /// let stored = repo.get::<Order>(&key("o1")).await?;
    /// assert_eq!(stored.map(|o| o.total), Some(20));
    /// # Ok(()) }
    /// ```
    async fn put<E: Entity>(&self, entity: &E) -> Result<E> {
        self.put_if(entity, None).await
    }

    /// Writes an entity as [`put`](Self::put) does, if `condition` also holds on the stored
    /// item.
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
    /// repo.create(&order("o1", 10)).await?;
    /// let small = Path::attr("total").lt(15);
    /// repo.put_if(&order("o1", 20), Some(small.clone())).await?;
    /// let again = repo.put_if(&order("o1", 30), Some(small)).await;
    /// assert!(matches!(again, Err(Error::ConditionFailed { .. })));
    /// # Ok(()) }
    /// ```
    async fn put_if<E: Entity>(&self, entity: &E, condition: Option<Condition>) -> Result<E> {
        let now = entity::now_iso8601();
        // An index key using the creation time is composed with the stored one: read it,
        // and write only if the item is unchanged since.
        let (stored_created, condition) = match entity::created_in_index_keys::<E>() {
            None => (None, condition),
            Some(created) => {
                let fields = Item::from_serialize(entity)?;
                let key = entity::primary_key::<E>(self.schema(), &fields)?;
                let old = read_stored(self, key).await?;
                let condition = and_unchanged::<E>(self.schema(), condition, old.as_ref());
                (old.and_then(|o| o.get(created).cloned()), Some(condition))
            }
        };
        let plan = write::put(
            self.schema(),
            entity,
            &now,
            condition,
            stored_created.as_ref(),
        )?;
        if unique::has_unique_fields::<E>() {
            let item = entity::entity_item(self.schema(), entity, &now)?;
            return unique::update::<Self, E>(self, plan, Some(&item)).await;
        }
        send(self, plan).await
    }

    /// Reads one entity by key (eventually consistent on DynamoDB).
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
    /// repo.create(&order("o1", 10)).await?;
    /// assert_eq!(repo.get::<Order>(&key("o1")).await?, Some(order("o1", 10)));
    /// assert_eq!(repo.get::<Order>(&key("o9")).await?, None);
    /// # Ok(()) }
    /// ```
    async fn get<E: Entity>(&self, key: &E::Key) -> Result<Option<E>> {
        get_entity(self, key, false).await
    }

    /// Reads one entity by key with a strongly consistent read.
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
    /// repo.create(&order("o1", 10)).await?;
    /// let read = repo.get_consistent::<Order>(&key("o1")).await?;
    /// assert_eq!(read.map(|o| o.total), Some(10));
    /// # Ok(()) }
    /// ```
    async fn get_consistent<E: Entity>(&self, key: &E::Key) -> Result<Option<E>> {
        get_entity(self, key, true).await
    }

    /// Updates an entity and returns it as it is now. It creates the entity only if the
    /// update sets every required attribute (the derive knows them); otherwise the entity
    /// must exist ([`Error::NotFound`]). An index key is recomposed when the update sets
    /// every attribute of its template. Key attributes and managed attributes cannot be
    /// updated; a versioned entity needs [`update_versioned`](Self::update_versioned).
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
    /// repo.create(&order("o1", 10)).await?;
    /// let updated = repo.update::<Order>(&key("o1"), Update::new().add("total", 5)).await?;
    /// assert_eq!(updated.total, 15);
    /// # Ok(()) }
    /// ```
    async fn update<E: Entity>(&self, key: &E::Key, update: Update) -> Result<E> {
        self.update_if::<E>(key, update, None).await
    }

    /// Updates an entity as [`update`](Self::update) does, if `condition` holds.
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
    /// repo.create(&order("o1", 10)).await?;
    /// let discount = Update::new().set("total", 8);
    /// let big = Path::attr("total").ge(100);
    /// let refused = repo.update_if::<Order>(&key("o1"), discount, Some(big)).await;
    /// assert!(matches!(refused, Err(Error::ConditionFailed { .. })));
    /// # Ok(()) }
    /// ```
    async fn update_if<E: Entity>(
        &self,
        key: &E::Key,
        update: Update,
        condition: Option<Condition>,
    ) -> Result<E> {
        write_update(self, key, update, None, condition, false).await
    }

    /// Updates a versioned entity whose stored version is `version`
    /// ([`Error::VersionConflict`] otherwise); it is written at the next version.
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
    /// let created = repo.create(&doc("draft")).await?;
    /// assert_eq!(created.version, 1);
    /// let set = || Update::new().set("body", "final");
    /// let updated = repo.update_versioned::<Doc>(&key, 1, set()).await?;
    /// assert_eq!((updated.body.as_str(), updated.version), ("final", 2));
    /// let stale = repo.update_versioned::<Doc>(&key, 1, set()).await;
    /// assert!(matches!(stale, Err(Error::VersionConflict { .. })));
    /// # Ok(()) }
    /// ```
    async fn update_versioned<E: Entity>(
        &self,
        key: &E::Key,
        version: u64,
        update: Update,
    ) -> Result<E> {
        write_update(self, key, update, Some(version), None, false).await
    }

    /// Updates an existing entity; fails with [`Error::NotFound`] if absent.
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
    /// repo.create(&order("o1", 10)).await?;
    /// let patched = repo.patch::<Order>(&key("o1"), Update::new().set("total", 12)).await?;
    /// assert_eq!(patched.total, 12);
    /// let absent = repo.patch::<Order>(&key("o9"), Update::new().set("total", 1)).await;
    /// assert!(matches!(absent, Err(Error::NotFound { .. })));
    /// # Ok(()) }
    /// ```
    async fn patch<E: Entity>(&self, key: &E::Key, update: Update) -> Result<E> {
        write_update(self, key, update, None, None, true).await
    }

    /// Updates an existing versioned entity whose stored version is `version`.
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
    /// repo.create(&doc("draft")).await?;
    /// let patched = repo.patch_versioned::<Doc>(&key, 1, Update::new().set("body", "v2")).await?;
    /// assert_eq!(patched.version, 2);
    /// # Ok(()) }
    /// ```
    async fn patch_versioned<E: Entity>(
        &self,
        key: &E::Key,
        version: u64,
        update: Update,
    ) -> Result<E> {
        write_update(self, key, update, Some(version), None, true).await
    }

    /// Deletes an entity; returns it as it was, if it existed. A versioned entity needs
    /// [`delete_versioned`](Self::delete_versioned).
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
    /// repo.create(&order("o1", 10)).await?;
    /// let old = repo.delete::<Order>(&key("o1")).await?;
    /// assert_eq!(old.map(|o| o.total), Some(10));
    /// assert_eq!(repo.delete::<Order>(&key("o1")).await?, None);
    /// # Ok(()) }
    /// ```
    async fn delete<E: Entity>(&self, key: &E::Key) -> Result<Option<E>> {
        self.delete_if::<E>(key, None).await
    }

    /// Deletes an entity if `condition` holds; returns it as it was.
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
    /// repo.create(&order("o1", 10)).await?;
    /// let paid = Path::attr("total").eq(0);
    /// let refused = repo.delete_if::<Order>(&key("o1"), Some(paid)).await;
    /// assert!(matches!(refused, Err(Error::ConditionFailed { .. })));
    /// assert!(repo.get::<Order>(&key("o1")).await?.is_some());
    /// # Ok(()) }
    /// ```
    async fn delete_if<E: Entity>(
        &self,
        key: &E::Key,
        condition: Option<Condition>,
    ) -> Result<Option<E>> {
        delete_entity(self, key, None, condition).await
    }

    /// Deletes a versioned entity whose stored version is `version`; returns it as it was.
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
    /// repo.create(&doc("draft")).await?;
    /// let stale = repo.delete_versioned::<Doc>(&key, 7).await;
    /// assert!(matches!(stale, Err(Error::VersionConflict { .. })));
    /// let old = repo.delete_versioned::<Doc>(&key, 1).await?;
    /// assert_eq!(old.map(|d| d.body), Some("draft".to_string()));
    /// # Ok(()) }
    /// ```
    async fn delete_versioned<E: Entity>(&self, key: &E::Key, version: u64) -> Result<Option<E>> {
        delete_entity(self, key, Some(version), None).await
    }

    /// Moves an entity to a new key (the key attributes of `to` differ from `from`'s): one
    /// transaction deletes the old item, if unchanged since it was read, and creates the new
    /// one, keeping the creation time and moving the version forward. Fails with
    /// [`Error::NotFound`] if there is no entity at `from`, and [`Error::AlreadyExists`] if
    /// the new key is taken.
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
    /// repo.create(&order("o1", 10)).await?;
    /// let moved = repo.rekey::<Order>(&key("o1"), &order("o2", 10)).await?;
    /// assert_eq!(moved.id, "o2");
    /// assert_eq!(repo.get::<Order>(&key("o1")).await?, None);
    /// # Ok(()) }
    /// ```
    async fn rekey<E: Entity>(&self, from: &E::Key, to: &E) -> Result<E> {
        rekey_entity(self, from, to).await
    }

    /// Reads one page of a query.
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
    /// let query = EntityQuery::<Order>::new([("user", "u1")]).limit(2);
    /// let first = repo.query_page(&query).await?;
    /// assert_eq!(first.items.len(), 2);
    /// let second = repo.query_page(&query.after(first.cursor)).await?;
    /// assert_eq!(second.items, [order("o3", 30)]);
    /// assert!(second.cursor.is_none());
    /// # Ok(()) }
    /// ```
    async fn query_page<E: Entity>(&self, query: &EntityQuery<E>) -> Result<QueryPage<E>> {
        let kc = query.key_condition(self.schema())?;
        let start = query
            .cursor
            .as_ref()
            .map(|c| {
                c.decode_for(
                    &query.scope(&kc.partition),
                    self.schema(),
                    query.index.as_deref(),
                )
            })
            .transpose()?;
        // The cursor's scope is written only for a page that has a last key.
        let partition = kc.partition.clone();
        let mut items = Vec::new();
        let request = Query {
            index: query.index.clone(),
            filter: query.filter.clone(),
            forward: query.forward,
            limit: query.limit,
            exclusive_start_key: start,
            consistent_read: query.consistent_read,
            ..Query::new(kc)
        };
        let page = self
            .query_with(request, &mut decode_into(&mut items))
            .await?;
        Ok(entity_page(page, items, || query.scope(&partition)))
    }

    /// Every entity of a query, page after page, as a stream.
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
    /// use futures::TryStreamExt;
    /// let query = EntityQuery::<Order>::new([("user", "u1")]).limit(1); // one per page
    /// let totals: Vec<u64> = repo.query_stream(query).map_ok(|o| o.total).try_collect().await?;
    /// assert_eq!(totals, [10, 20, 30]);
    /// # Ok(()) }
    /// ```
    fn query_stream<'a, E: Entity>(&'a self, query: EntityQuery<E>) -> BoxStream<'a, Result<E>>
    where
        Self: Sync,
    {
        let pages = stream::try_unfold(Some(query), move |state| async move {
            let Some(q) = state else { return Ok(None) };
            let page = self.query_page(&q).await?;
            let next = page.cursor.clone().map(|c| q.clone().after(Some(c)));
            Ok(Some((stream::iter(page.items.into_iter().map(Ok)), next)))
        });
        pages.try_flatten().boxed()
    }

    /// As [`query_stream`](Self::query_stream), resumable: an error comes as
    /// [`Error::Interrupted`], carrying the cursor after the last page the stream yielded
    /// whole (or the query's own cursor), so `query.after(..)` with it continues where the
    /// stream stopped, repeating and skipping nothing.
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
    /// use futures::TryStreamExt;
    /// let query = EntityQuery::<Order>::new([("user", "u1")]);
    /// match repo.query_stream_resumable(query.clone()).try_collect::<Vec<_>>().await {
    ///     Ok(orders) => assert_eq!(orders.len(), 3),
    ///     Err(Error::Interrupted { resume_from, .. }) => {
    ///         let cursor = resume_from.map(|c| c.parse().unwrap());
    ///         let _rest = repo.query_stream_resumable(query.after(cursor)); // continue here
    ///     }
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    fn query_stream_resumable<'a, E: Entity>(
        &'a self,
        query: EntityQuery<E>,
    ) -> BoxStream<'a, Result<E>>
    where
        Self: Sync,
    {
        let start = query.cursor.clone();
        let pages = stream::try_unfold((Some(query), start), move |(state, done)| async move {
            let Some(q) = state else { return Ok(None) };
            let page = self.query_page(&q).await.map_err(|e| Error::Interrupted {
                resume_from: done.as_ref().map(Cursor::to_string),
                source: Box::new(e),
            })?;
            let next = page.cursor.clone().map(|c| q.clone().after(Some(c)));
            let items = stream::iter(page.items.into_iter().map(Ok));
            Ok(Some((items, (next, page.cursor))))
        });
        pages.try_flatten().boxed()
    }

    /// One page of a query on a KEYS_ONLY or INCLUDE index, each entry followed to its
    /// whole entity in the table (OneTable's `follow`, ElectroDB's `hydrate`): the page's
    /// table keys are read by batch get and returned in the query's order; the cursor is the
    /// index query's, so pagination is unchanged. Entries whose item is gone or of another
    /// entity type are left out.
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
    /// # let repo = monotable_memory::MemoryRepository::new(monotable_memory::MemoryStorage::new(), TableSchema::single_table("shop").with_index(monotable_core::IndexSchema::global("gsi1", monotable_core::KeyAttribute::s("gsi1pk")).with_sort_key(monotable_core::KeyAttribute::s("gsi1sk")).with_projection(monotable_core::Projection::KeysOnly)))?;
    /// # repo.create_table().await?;
    /// # for (id, total) in [("o1", 10), ("o2", 20), ("o3", 30)] { repo.create(&order(id, total)).await?; }
    /// // gsi1 is a KEYS_ONLY index: its entries hold the keys, not the totals.
    /// let query = EntityQuery::<Order>::on_index("gsi1", [("id", "o2")]);
    /// let page = repo.query_page_follow(&query).await?;
    /// assert_eq!(page.items, [order("o2", 20)]);
    /// # Ok(()) }
    /// ```
    async fn query_page_follow<E: Entity>(&self, query: &EntityQuery<E>) -> Result<QueryPage<E>> {
        let kc = query.key_condition(self.schema())?;
        let scope = query.scope(&kc.partition);
        let start = query
            .cursor
            .as_ref()
            .map(|c| c.decode_for(&scope, self.schema(), query.index.as_deref()))
            .transpose()?;
        let page = self
            .query(Query {
                index: query.index.clone(),
                forward: query.forward,
                limit: query.limit,
                exclusive_start_key: start,
                ..Query::new(kc)
            })
            .await?;
        let keys: Vec<Item> = page.items.iter().map(|i| self.schema().key_of(i)).collect();
        let found = self.batch_get_items(keys.clone()).await?;
        let mut items = Vec::with_capacity(keys.len());
        for k in &keys {
            let whole = found.iter().find(|i| &self.schema().key_of(i) == k);
            if let Some(item) = whole.filter(|i| entity::is_entity::<E>(i)) {
                let keep = query
                    .filter
                    .as_ref()
                    .is_none_or(|f| crate::raw::eval::evaluate(f, item));
                if keep {
                    items.push(entity::decode::<E>(item)?);
                }
            }
        }
        Ok(QueryPage {
            items,
            cursor: page.last_evaluated_key.map(|k| Cursor::encode(&scope, &k)),
            scanned_count: page.scanned_count,
        })
    }

    /// Every entity of a query on a KEYS_ONLY or INCLUDE index, followed to the table (see
    /// [`query_page_follow`](Self::query_page_follow)).
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
    /// # let repo = monotable_memory::MemoryRepository::new(monotable_memory::MemoryStorage::new(), TableSchema::single_table("shop").with_index(monotable_core::IndexSchema::global("gsi1", monotable_core::KeyAttribute::s("gsi1pk")).with_sort_key(monotable_core::KeyAttribute::s("gsi1sk")).with_projection(monotable_core::Projection::KeysOnly)))?;
    /// # repo.create_table().await?;
    /// # for (id, total) in [("o1", 10), ("o2", 20), ("o3", 30)] { repo.create(&order(id, total)).await?; }
    /// let query = EntityQuery::<Order>::on_index("gsi1", [("id", "o3")]);
    /// assert_eq!(repo.query_all_follow(query).await?, [order("o3", 30)]);
    /// # Ok(()) }
    /// ```
    async fn query_all_follow<E: Entity>(&self, query: EntityQuery<E>) -> Result<Vec<E>> {
        let mut query = query;
        let mut out = Vec::new();
        loop {
            let page = self.query_page_follow(&query).await?;
            out.extend(page.items);
            match page.cursor {
                Some(c) => query = query.after(Some(c)),
                None => return Ok(out),
            }
        }
    }

    /// Reads one entity by key, as `None` if it has expired at `now` (see
    /// [`EntityQuery::unexpired`]).
    ///
    /// ```
    /// # use monotable_core::{prelude::*, EntityKeys, TableSchema};
    /// # use std::time::{Duration, UNIX_EPOCH};
    /// # #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)] struct Session { id: String, expires: u64 }
    /// # #[derive(serde::Serialize)] struct SessionKey { id: String }
    /// # impl KeySchema for Session { fn key_templates() -> EntityKeys { EntityKeys::new("SESSION#{id}").with_sort("SESSION") } }
    /// # impl Entity for Session { const ENTITY_TYPE: &'static str = "Session"; type Key = SessionKey; const TTL: Option<&'static str> = Some("expires"); }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> monotable_core::Result<()> {
    /// # let repo = monotable_memory::MemoryRepository::new(monotable_memory::MemoryStorage::new(), TableSchema::single_table("app").with_ttl_attribute("expires"))?;
    /// # repo.create_table().await?;
    /// repo.create(&Session { id: "s1".into(), expires: 1_000 }).await?;
    /// let key = SessionKey { id: "s1".into() };
    /// let before = UNIX_EPOCH + Duration::from_secs(999);
    /// assert!(repo.get_unexpired::<Session>(&key, before).await?.is_some());
    /// let after = UNIX_EPOCH + Duration::from_secs(1_000);
    /// assert!(repo.get_unexpired::<Session>(&key, after).await?.is_none());
    /// # Ok(()) }
    /// ```
    async fn get_unexpired<E: Entity>(
        &self,
        key: &E::Key,
        now: std::time::SystemTime,
    ) -> Result<Option<E>> {
        let item = get_entity::<Self, E>(self, key, false).await?;
        let Some(ttl) = E::TTL else { return Ok(item) };
        let Some(entity) = item else { return Ok(None) };
        let fields = Item::from_serialize(&entity)?;
        let expired = match fields.get(ttl) {
            Some(Value::N(n)) => {
                n.to_string().parse::<f64>().unwrap_or(f64::MAX)
                    <= super::query::epoch_seconds(now) as f64
            }
            _ => false,
        };
        Ok((!expired).then_some(entity))
    }

    /// Removes the items of the table whose TTL attribute ([`TableSchema::ttl_attribute`](crate::TableSchema::ttl_attribute))
    /// is at or before `now`, as DynamoDB's TTL sweep does; each delete is conditional on
    /// the item still being expired, so an item refreshed meanwhile stays. Returns how many
    /// were removed. The local backends have no background sweep: call this (for example on
    /// a timer, with the real clock, or with a chosen time in tests). On DynamoDB the
    /// service sweeps by itself (this works there too, at the cost of a scan).
    ///
    /// ```
    /// # use monotable_core::{prelude::*, EntityKeys, TableSchema};
    /// # use std::time::{Duration, UNIX_EPOCH};
    /// # #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)] struct Session { id: String, expires: u64 }
    /// # #[derive(serde::Serialize)] struct SessionKey { id: String }
    /// # impl KeySchema for Session { fn key_templates() -> EntityKeys { EntityKeys::new("SESSION#{id}").with_sort("SESSION") } }
    /// # impl Entity for Session { const ENTITY_TYPE: &'static str = "Session"; type Key = SessionKey; const TTL: Option<&'static str> = Some("expires"); }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> monotable_core::Result<()> {
    /// # let repo = monotable_memory::MemoryRepository::new(monotable_memory::MemoryStorage::new(), TableSchema::single_table("app").with_ttl_attribute("expires"))?;
    /// # repo.create_table().await?;
    /// repo.create(&Session { id: "old".into(), expires: 1_000 }).await?;
    /// repo.create(&Session { id: "new".into(), expires: 5_000 }).await?;
    /// let removed = repo.sweep_expired(UNIX_EPOCH + Duration::from_secs(2_000)).await?;
    /// assert_eq!(removed, 1);
    /// assert!(repo.get::<Session>(&SessionKey { id: "old".into() }).await?.is_none());
    /// # Ok(()) }
    /// ```
    async fn sweep_expired(&self, now: std::time::SystemTime) -> Result<usize> {
        let Some(ttl) = self.schema().ttl_attribute.clone() else {
            return Ok(0);
        };
        let now = super::query::epoch_seconds(now);
        let expired = crate::expr::Path::attr(ttl.as_str())
            .is_type(crate::item::ValueType::N)
            .and(crate::expr::Path::attr(ttl.as_str()).le(now));
        let mut request = Scan {
            filter: Some(expired.clone()),
            consistent_read: true,
            ..Default::default()
        };
        let mut removed = 0;
        loop {
            let page = self.scan(request.clone()).await?;
            for item in &page.items {
                match self
                    .delete_item(DeleteItem {
                        key: self.schema().key_of(item),
                        condition: Some(expired.clone()),
                        ..Default::default()
                    })
                    .await
                {
                    Ok(_) => removed += 1,
                    Err(Error::ConditionFailed { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
            match page.last_evaluated_key {
                Some(k) => request.exclusive_start_key = Some(k),
                None => return Ok(removed),
            }
        }
    }

    /// Rewrites every stored `E` of an older schema version in the current shape (read,
    /// upgraded by [`Entity::upgrade`], written back with `put` if unchanged meanwhile),
    /// calling `progress` with the number rewritten so far after each one. Returns how many
    /// were rewritten; an item changed concurrently is left for the next run.
    ///
    /// ```
    /// # use monotable_core::{prelude::*, EntityKeys, Item, TableSchema};
    /// # #[derive(serde::Serialize)] struct OrderKey { user: String, id: String }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> monotable_core::Result<()> {
    /// # let repo = monotable_memory::MemoryRepository::new(monotable_memory::MemoryStorage::new(), TableSchema::single_table("shop"))?;
    /// # repo.create_table().await?;
    /// // Version 1 of the shape added `total`; items written before have none.
    /// # #[derive(Debug, serde::Serialize, serde::Deserialize)] struct Order { user: String, id: String, total: u64 }
    /// # impl KeySchema for Order { fn key_templates() -> EntityKeys { EntityKeys::new("USER#{user}").with_sort("ORDER#{id}") } }
    /// impl Entity for Order {
    ///     const ENTITY_TYPE: &'static str = "Order";
    ///     type Key = OrderKey;
    ///     const SCHEMA_VERSION: u32 = 1;
    ///     fn upgrade(item: &mut Item, _from: u32) -> monotable_core::Result<()> {
    ///         item.insert("total".into(), 0.into());
    ///         Ok(())
    ///     }
    /// }
    /// # let old = Item::from([("pk", "USER#u1"), ("sk", "ORDER#o1"), ("_et", "Order"), ("user", "u1"), ("id", "o1")]);
    /// # repo.put_item(monotable_core::PutItem { item: old, ..Default::default() }).await?;
    /// let rewritten = repo.migrate_all::<Order>(|_done| {}).await?;
    /// assert_eq!(rewritten, 1);
    /// assert_eq!(repo.migrate_all::<Order>(|_done| {}).await?, 0); // nothing old is left
    /// # Ok(()) }
    /// ```
    async fn migrate_all<E: Entity>(
        &self,
        mut progress: impl FnMut(usize) + Send,
    ) -> Result<usize> {
        if E::SCHEMA_VERSION == 0 {
            return Ok(0);
        }
        let sv = crate::expr::Path::attr(entity::SCHEMA_VERSION_ATTRIBUTE);
        let old_shape = sv.not_exists().or(sv.lt(E::SCHEMA_VERSION));
        let filter = match E::options().entity_attribute {
            Some(a) => crate::expr::Path::attr(a).eq(E::ENTITY_TYPE).and(old_shape),
            None => old_shape,
        };
        let mut request = Scan {
            filter: Some(filter),
            consistent_read: true,
            ..Default::default()
        };
        let mut done = 0;
        loop {
            let page = self.scan(request.clone()).await?;
            for item in &page.items {
                let current: E = entity::decode::<E>(item)?;
                let unchanged = write::unchanged::<E>(self.schema(), Some(item));
                let now = entity::now_iso8601();
                let created = E::options().created_attribute.and_then(|c| item.get(c));
                let mut plan = write::put(self.schema(), &current, &now, Some(unchanged), created)?;
                // Attributes of the old shape that the new one no longer has go too.
                let new_item = entity::entity_item_created(self.schema(), &current, &now, created)?;
                for name in item.keys() {
                    if !new_item.contains_key(name) && !self.schema().is_key_attribute(name) {
                        plan.update = plan.update.remove(name.as_str());
                    }
                }
                let written = if unique::has_unique_fields::<E>() {
                    unique::update::<Self, E>(self, plan, Some(&new_item)).await
                } else {
                    send::<Self, E>(self, plan).await
                };
                match written {
                    Ok(_) => {
                        done += 1;
                        progress(done);
                    }
                    Err(Error::ConditionFailed { .. } | Error::VersionConflict { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
            match page.last_evaluated_key {
                Some(k) => request.exclusive_start_key = Some(k),
                None => return Ok(done),
            }
        }
    }

    /// Every entity of a query, collected.
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
    /// let query = EntityQuery::<Order>::new([("user", "u1")]).sort_ge([("id", "o2")]);
    /// let orders = repo.query_all(query).await?;
    /// assert_eq!(orders, [order("o2", 20), order("o3", 30)]);
    /// # Ok(()) }
    /// ```
    async fn query_all<E: Entity>(&self, query: EntityQuery<E>) -> Result<Vec<E>> {
        self.query_stream(query).try_collect().await
    }

    /// One page of a collection: every entity type of one partition.
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
    /// # use monotable_core::CollectionQuery;
    /// # #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)] struct Profile { user: String, name: String }
    /// # #[derive(serde::Serialize)] struct ProfileKey { user: String }
    /// # impl KeySchema for Profile { fn key_templates() -> EntityKeys { EntityKeys::new("USER#{user}").with_sort("PROFILE") } }
    /// # impl Entity for Profile { const ENTITY_TYPE: &'static str = "Profile"; type Key = ProfileKey; }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> monotable_core::Result<()> {
    /// # let repo = monotable_memory::MemoryRepository::new(monotable_memory::MemoryStorage::new(), TableSchema::single_table("shop").with_gsi("gsi1"))?;
    /// # repo.create_table().await?;
    /// # for (id, total) in [("o1", 10), ("o2", 20), ("o3", 30)] { repo.create(&order(id, total)).await?; }
    /// # repo.create(&Profile { user: "u1".into(), name: "Ada".into() }).await?;
    /// // User u1's partition holds a Profile and three Orders.
    /// let query = CollectionQuery::for_entity::<Order>(None, [("user", "u1")])?;
    /// let page = repo.collection(&query).await?;
    /// assert_eq!(page.items.len(), 4);
    /// assert_eq!(page.entities::<Order>()?.len(), 3);
    /// assert_eq!(page.entities::<Profile>()?[0].name, "Ada");
    /// # Ok(()) }
    /// ```
    async fn collection(&self, query: &CollectionQuery) -> Result<CollectionPage> {
        let scope = query.scope();
        let start = query
            .cursor
            .as_ref()
            .map(|c| c.decode_for(&scope, self.schema(), query.index.as_deref()))
            .transpose()?;
        let page = self
            .query(Query {
                index: query.index.clone(),
                forward: query.forward,
                limit: query.limit,
                filter: query.filter.clone(),
                exclusive_start_key: start,
                ..Query::new(query.key_condition())
            })
            .await?;
        Ok(CollectionPage {
            items: page.items,
            cursor: page.last_evaluated_key.map(|k| Cursor::encode(&scope, &k)),
        })
    }

    /// Every item of a collection, page after page, decoded into the collection type `C`
    /// (see [`Collection`](crate::entity::Collection)), as a stream.
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
    /// # use monotable_core::CollectionQuery;
    /// # #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)] struct Profile { user: String, name: String }
    /// # #[derive(serde::Serialize)] struct ProfileKey { user: String }
    /// # impl KeySchema for Profile { fn key_templates() -> EntityKeys { EntityKeys::new("USER#{user}").with_sort("PROFILE") } }
    /// # impl Entity for Profile { const ENTITY_TYPE: &'static str = "Profile"; type Key = ProfileKey; }
    /// #
    /// # use monotable_core::entity::{decode, Collection};
    /// # // An enum of the partition's entity types (what #[derive(Collection)] writes).
    /// #[derive(Debug)]
    /// # enum Account { Profile(Profile), Order(Order) }
    /// # impl Collection for Account {
    /// #     fn from_item(item: &Item) -> monotable_core::Result<Option<Self>> {
    /// #         Ok(match item.get("_et").and_then(|t| t.as_s()) {
    /// #             Some("Profile") => Some(Account::Profile(decode(item)?)),
    /// #             Some("Order") => Some(Account::Order(decode(item)?)),
    /// #             _ => None,
    /// #         })
    /// #     }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> monotable_core::Result<()> {
    /// # let repo = monotable_memory::MemoryRepository::new(monotable_memory::MemoryStorage::new(), TableSchema::single_table("shop").with_gsi("gsi1"))?;
    /// # repo.create_table().await?;
    /// # for (id, total) in [("o1", 10), ("o2", 20), ("o3", 30)] { repo.create(&order(id, total)).await?; }
    /// # repo.create(&Profile { user: "u1".into(), name: "Ada".into() }).await?;
    /// use futures::TryStreamExt;
    /// let query = CollectionQuery::new(None, "USER#u1").limit(2);
    /// let orders = repo.collection_stream::<Account>(query)
    ///     .try_filter(|a| std::future::ready(matches!(a, Account::Order(_))))
    ///     .try_collect::<Vec<_>>().await?;
    /// assert_eq!(orders.len(), 3);
    /// # Ok(()) }
    /// ```
    fn collection_stream<'a, C: crate::entity::Collection>(
        &'a self,
        query: CollectionQuery,
    ) -> BoxStream<'a, Result<C>>
    where
        Self: Sync,
    {
        let pages = stream::try_unfold(Some(query), move |state| async move {
            let Some(q) = state else { return Ok(None) };
            let page = self.collection(&q).await?;
            let items = page.decode::<C>()?;
            let next = page.cursor.clone().map(|c| q.clone().after(Some(c)));
            Ok(Some((stream::iter(items.into_iter().map(Ok)), next)))
        });
        pages.try_flatten().boxed()
    }

    /// Every item of a collection, decoded into `C`, in sort-key order.
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
    /// # use monotable_core::CollectionQuery;
    /// # #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)] struct Profile { user: String, name: String }
    /// # #[derive(serde::Serialize)] struct ProfileKey { user: String }
    /// # impl KeySchema for Profile { fn key_templates() -> EntityKeys { EntityKeys::new("USER#{user}").with_sort("PROFILE") } }
    /// # impl Entity for Profile { const ENTITY_TYPE: &'static str = "Profile"; type Key = ProfileKey; }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> monotable_core::Result<()> {
    /// # let repo = monotable_memory::MemoryRepository::new(monotable_memory::MemoryStorage::new(), TableSchema::single_table("shop").with_gsi("gsi1"))?;
    /// # repo.create_table().await?;
    /// # for (id, total) in [("o1", 10), ("o2", 20), ("o3", 30)] { repo.create(&order(id, total)).await?; }
    /// # repo.create(&Profile { user: "u1".into(), name: "Ada".into() }).await?;
    /// # use monotable_core::entity::{decode, Collection};
    /// // An enum of the partition's entity types (what #[derive(Collection)] writes).
    /// #[derive(Debug)]
    /// enum Account { Profile(Profile), Order(Order) }
    /// impl Collection for Account {
    ///     fn from_item(item: &Item) -> monotable_core::Result<Option<Self>> {
    ///         Ok(match item.get("_et").and_then(|t| t.as_s()) {
    ///             Some("Profile") => Some(Account::Profile(decode(item)?)),
    ///             Some("Order") => Some(Account::Order(decode(item)?)),
    ///             _ => None,
    ///         })
    ///     }
    /// }
    ///
    /// let all = repo.collection_all::<Account>(CollectionQuery::new(None, "USER#u1")).await?;
    /// assert_eq!(all.len(), 4); // in sort-key order: ORDER#o1, ORDER#o2, ORDER#o3, PROFILE
    /// assert!(matches!(&all[3], Account::Profile(p) if p.name == "Ada"));
    /// # Ok(()) }
    /// ```
    async fn collection_all<C: crate::entity::Collection>(
        &self,
        query: CollectionQuery,
    ) -> Result<Vec<C>> {
        self.collection_stream(query).try_collect().await
    }

    /// How many entities a query matches (every page, counting only; the items are not
    /// returned).
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
    /// let query = EntityQuery::<Order>::new([("user", "u1")]);
    /// assert_eq!(repo.count(&query).await?, 3);
    /// let big = query.filter(Path::attr("total").gt(15));
    /// assert_eq!(repo.count(&big).await?, 2);
    /// # Ok(()) }
    /// ```
    async fn count<E: Entity>(&self, query: &EntityQuery<E>) -> Result<usize> {
        let kc = query.key_condition(self.schema())?;
        let filter = entity_filter::<E>(query.filter.clone());
        let mut request = Query {
            index: query.index.clone(),
            filter,
            forward: query.forward,
            count_only: true,
            consistent_read: query.consistent_read,
            ..Query::new(kc)
        };
        let mut total = 0;
        loop {
            let page = self.query(request.clone()).await?;
            total += page.count;
            match page.last_evaluated_key {
                Some(k) => request.exclusive_start_key = Some(k),
                None => return Ok(total),
            }
        }
    }

    /// Every entity of a query, reading only `projection` (the entity-type attribute is
    /// added to tell entities apart) and decoding each into the partial type `P`.
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
    /// #[derive(serde::Deserialize)]
    /// struct Total { total: u64 }
    /// let query = EntityQuery::<Order>::new([("user", "u1")]);
    /// let totals: Vec<Total> = repo.query_projected(&query, vec![Path::attr("total")]).await?;
    /// assert_eq!(totals.iter().map(|t| t.total).sum::<u64>(), 60);
    /// # Ok(()) }
    /// ```
    async fn query_projected<E: Entity, P: serde::de::DeserializeOwned + Send>(
        &self,
        query: &EntityQuery<E>,
        projection: Vec<crate::expr::Path>,
    ) -> Result<Vec<P>> {
        let kc = query.key_condition(self.schema())?;
        let mut projection = projection;
        if let Some(a) = E::options().entity_attribute {
            if !projection
                .iter()
                .any(|p| p.root() == a && p.rest().is_empty())
            {
                projection.push(crate::expr::Path::attr(a));
            }
        }
        let mut request = Query {
            index: query.index.clone(),
            filter: query.filter.clone(),
            forward: query.forward,
            projection: Some(projection),
            consistent_read: query.consistent_read,
            ..Query::new(kc)
        };
        let mut out = Vec::new();
        loop {
            let page = self.query(request.clone()).await?;
            for item in page.items.iter().filter(|i| entity::is_entity::<E>(i)) {
                out.push(item.deserialize_into()?);
            }
            match page.last_evaluated_key {
                Some(k) => request.exclusive_start_key = Some(k),
                None => return Ok(out),
            }
        }
    }

    /// One page of a scan of `E`'s entities.
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
    /// let scan = EntityScan::<Order>::new().limit(2);
    /// let first = repo.scan_page(&scan).await?;
    /// assert_eq!(first.items.len(), 2);
    /// let rest = repo.scan_page(&scan.after(first.cursor)).await?;
    /// assert_eq!(rest.items.len(), 1);
    /// # Ok(()) }
    /// ```
    async fn scan_page<E: Entity>(&self, scan: &EntityScan<E>) -> Result<QueryPage<E>> {
        let start = scan
            .cursor
            .as_ref()
            .map(|c| c.decode_for(&scan.scope(), self.schema(), scan.index.as_deref()))
            .transpose()?;
        let mut items = Vec::new();
        let request = Scan {
            index: scan.index.clone(),
            filter: scan.full_filter(),
            limit: scan.limit,
            exclusive_start_key: start,
            segment: scan.segment,
            consistent_read: scan.consistent_read,
            ..Default::default()
        };
        let page = self
            .scan_with(request, &mut decode_into(&mut items))
            .await?;
        Ok(entity_page(page, items, || scan.scope()))
    }

    /// Every entity of a scan (or of one segment of a parallel scan), as a stream.
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
    /// use futures::TryStreamExt;
    /// let big = EntityScan::<Order>::new().filter(Path::attr("total").ge(20));
    /// let ids: Vec<String> = repo.scan_stream(big).map_ok(|o| o.id).try_collect().await?;
    /// assert_eq!(ids, ["o2", "o3"]);
    /// # Ok(()) }
    /// ```
    fn scan_stream<'a, E: Entity>(&'a self, scan: EntityScan<E>) -> BoxStream<'a, Result<E>>
    where
        Self: Sync,
    {
        let pages = stream::try_unfold(Some(scan), move |state| async move {
            let Some(s) = state else { return Ok(None) };
            let page = self.scan_page(&s).await?;
            let next = page.cursor.clone().map(|c| s.clone().after(Some(c)));
            Ok(Some((stream::iter(page.items.into_iter().map(Ok)), next)))
        });
        pages.try_flatten().boxed()
    }

    /// Every entity of a scan, collected; with `segments > 1` the segments of a parallel
    /// scan are read concurrently (the order is then by segment).
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
    /// let all = repo.scan_all(EntityScan::<Order>::new(), 4).await?; // four segments at once
    /// assert_eq!(all.len(), 3);
    /// # Ok(()) }
    /// ```
    async fn scan_all<E: Entity>(&self, scan: EntityScan<E>, segments: u32) -> Result<Vec<E>>
    where
        Self: Sync,
    {
        if segments <= 1 {
            return self.scan_stream(scan).try_collect().await;
        }
        let parts: Vec<Vec<E>> = futures::future::try_join_all(
            scan.segments(segments)
                .into_iter()
                .map(|s| self.scan_stream(s).try_collect::<Vec<E>>()),
        )
        .await?;
        Ok(parts.into_iter().flatten().collect())
    }

    /// Reads many entities by key, in the caller's order, `None` where absent (batch reads,
    /// eventually consistent on DynamoDB).
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
    /// let found = repo.get_many::<Order>(&[key("o2"), key("o9"), key("o1")]).await?;
    /// let totals: Vec<Option<u64>> = found.iter().map(|o| o.as_ref().map(|o| o.total)).collect();
    /// assert_eq!(totals, [Some(20), None, Some(10)]);
    /// # Ok(()) }
    /// ```
    async fn get_many<E: Entity>(&self, keys: &[E::Key]) -> Result<Vec<Option<E>>> {
        let keys: Vec<Item> = keys
            .iter()
            .map(|k| entity::primary_key_of::<E>(self.schema(), k))
            .collect::<Result<_>>()?;
        let mut unique: Vec<Item> = Vec::new();
        for k in &keys {
            if !unique.contains(k) {
                unique.push(k.clone());
            }
        }
        let found = self.batch_get_items(unique).await?;
        keys.iter()
            .map(|k| {
                found
                    .iter()
                    .find(|i| &self.schema().key_of(i) == k)
                    .filter(|i| entity::is_entity::<E>(i))
                    .map(entity::decode::<E>)
                    .transpose()
            })
            .collect()
    }

    /// Reads up to 100 entities at one point in time (TransactGetItems: consistent and
    /// isolated from concurrent transactions), in the caller's order, `None` where absent.
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
    /// let found = repo.get_many_atomic::<Order>(&[key("o3"), key("o9")]).await?;
    /// assert_eq!(found, [Some(order("o3", 30)), None]);
    /// # Ok(()) }
    /// ```
    async fn get_many_atomic<E: Entity>(&self, keys: &[E::Key]) -> Result<Vec<Option<E>>> {
        let keys: Vec<Item> = keys
            .iter()
            .map(|k| entity::primary_key_of::<E>(self.schema(), k))
            .collect::<Result<_>>()?;
        self.transact_get_items(keys)
            .await?
            .into_iter()
            .map(|i| {
                i.filter(|i| entity::is_entity::<E>(i))
                    .map(|i| entity::decode::<E>(&i))
                    .transpose()
            })
            .collect()
    }

    /// Read, decide, write: reads `keys` at one point in time, lets `f` build a transaction
    /// from what it read, and commits it only if none of the read items changed in between
    /// (each read item is guarded by its modification time or version, or its absence). On
    /// a conflict it reads again and calls `f` again, at most `attempts` times in all.
    ///
    /// # Errors
    ///
    /// `f`'s error (nothing is written); the last [`Error::TransactionCanceled`] when every
    /// attempt met a change.
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
    /// // Move 5 from o1's total to o2's, if neither changed since they were read.
    /// let sum = repo.read_then_write::<Order, _, _>(&[key("o1"), key("o2")], 3, |read, tx| {
    ///     let (Some(a), Some(b)) = (&read[0], &read[1]) else {
    ///         return Err(Error::invalid("missing"));
    ///     };
    ///     tx.update::<Order>(&key("o1"), Update::new().set("total", a.total - 5), None)?;
    ///     tx.update::<Order>(&key("o2"), Update::new().set("total", b.total + 5), None)?;
    ///     Ok(a.total + b.total)
    /// }).await?;
    /// assert_eq!(sum, 30);
    /// assert_eq!(repo.get::<Order>(&key("o2")).await?.map(|o| o.total), Some(25));
    /// # Ok(()) }
    /// ```
    async fn read_then_write<E, T, F>(&self, keys: &[E::Key], attempts: u32, f: F) -> Result<T>
    where
        E: Entity,
        T: Send,
        F: Fn(&[Option<E>], &mut Transaction) -> Result<T> + Send + Sync,
    {
        let composed: Vec<Item> = keys
            .iter()
            .map(|k| entity::primary_key_of::<E>(self.schema(), k))
            .collect::<Result<_>>()?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let raw = self.transact_get_items(composed.clone()).await?;
            let read: Vec<Option<E>> = raw
                .iter()
                .map(|i| {
                    i.as_ref()
                        .filter(|i| entity::is_entity::<E>(i))
                        .map(entity::decode::<E>)
                        .transpose()
                })
                .collect::<Result<_>>()?;
            let mut tx = Transaction::new(self.schema());
            let out = f(&read, &mut tx)?;
            for (key, old) in composed.iter().zip(&raw) {
                tx.guard(key, write::unchanged::<E>(self.schema(), old.as_ref()))?;
            }
            match self.commit(tx).await {
                Ok(()) => return Ok(out),
                Err(Error::TransactionCanceled { reasons })
                    if attempt < attempts.max(1)
                        && reasons.iter().any(|r| {
                            matches!(
                                r.code,
                                crate::error::CancellationCode::ConditionalCheckFailed
                                    | crate::error::CancellationCode::TransactionConflict
                            )
                        }) => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads many entities by key, in chunks of 100, retrying unprocessed keys. The result
    /// is in no particular order; absent keys are left out.
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
    /// let mut found = repo.batch_get::<Order>(&[key("o3"), key("o9"), key("o1")]).await?;
    /// found.sort_by_key(|o| o.total); // no particular order
    /// assert_eq!(found, [order("o1", 10), order("o3", 30)]);
    /// # Ok(()) }
    /// ```
    async fn batch_get<E: Entity>(&self, keys: &[E::Key]) -> Result<Vec<E>> {
        let keys: Vec<Item> = keys
            .iter()
            .map(|k| entity::primary_key_of::<E>(self.schema(), k))
            .collect::<Result<_>>()?;
        let items = self.batch_get_items(keys).await?;
        items
            .iter()
            .filter(|i| entity::is_entity::<E>(i))
            .map(entity::decode::<E>)
            .collect()
    }

    /// Reads many items by primary key, in chunks of 100 with a few in flight, retrying
    /// unprocessed keys with backoff.
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
    /// let key = Item::from([("pk", "USER#u1"), ("sk", "ORDER#o2")]);
    /// let items = repo.batch_get_items(vec![key]).await?;
    /// assert_eq!(items[0].get("total"), Some(&20.into()));
    /// # Ok(()) }
    /// ```
    async fn batch_get_items(&self, keys: Vec<Item>) -> Result<Vec<Item>> {
        batch::get_items(self, keys).await
    }

    /// Writes many entities, in chunks of 25 with a few in flight, retrying unprocessed
    /// writes. Every entity is checked before anything is written; chunks are not atomic
    /// with each other (use a transaction for that). The stored creation times are read
    /// first and kept. A batch write carries no condition, so a versioned entity is refused
    /// (use a transaction, or [`batch_put_ignoring_versions`](Self::batch_put_ignoring_versions)),
    /// and an item of another entity type at the same key is replaced.
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
    /// let orders: Vec<Order> = (1..=30).map(|i| order(&format!("o{i:02}"), i)).collect();
    /// repo.batch_put(&orders).await?; // two chunks
    /// assert_eq!(repo.count(&EntityQuery::<Order>::new([("user", "u1")])).await?, 30);
    /// # Ok(()) }
    /// ```
    async fn batch_put<E: Entity>(&self, entities: &[E]) -> Result<()> {
        refuse_versioned_batch::<E>()?;
        batch_put_entities(self, entities).await
    }

    /// [`batch_put`](Self::batch_put) for a versioned entity, without checking versions:
    /// each entity is written at its version plus one, whatever is stored (last writer wins).
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
    /// let refused = repo.batch_put(&[doc("a")]).await; // a batch cannot check versions
    /// assert!(matches!(refused, Err(Error::Validation { .. })));
    /// repo.batch_put_ignoring_versions(&[doc("a")]).await?;
    /// assert_eq!(repo.get::<Doc>(&key).await?.map(|d| d.version), Some(1));
    /// # Ok(()) }
    /// ```
    async fn batch_put_ignoring_versions<E: Entity>(&self, entities: &[E]) -> Result<()> {
        batch_put_entities(self, entities).await
    }

    /// Deletes many entities by key, in chunks of 25, retrying unprocessed deletes. A
    /// versioned entity is refused (see [`batch_put`](Self::batch_put)).
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
    /// repo.batch_delete::<Order>(&[key("o1"), key("o2"), key("o9")]).await?;
    /// assert_eq!(repo.count(&EntityQuery::<Order>::new([("user", "u1")])).await?, 1);
    /// # Ok(()) }
    /// ```
    async fn batch_delete<E: Entity>(&self, keys: &[E::Key]) -> Result<()> {
        refuse_versioned_batch::<E>()?;
        self.batch_delete_ignoring_versions::<E>(keys).await
    }

    /// [`batch_delete`](Self::batch_delete) for a versioned entity, without checking
    /// versions.
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
    /// repo.create(&doc("a")).await?;
    /// repo.batch_delete_ignoring_versions::<Doc>(&[key]).await?;
    /// assert_eq!(repo.get::<Doc>(&DocKey { id: "d1".into() }).await?, None);
    /// # Ok(()) }
    /// ```
    async fn batch_delete_ignoring_versions<E: Entity>(&self, keys: &[E::Key]) -> Result<()> {
        let writes = keys
            .iter()
            .map(|k| {
                Ok(WriteRequest::Delete(entity::primary_key_of::<E>(
                    self.schema(),
                    k,
                )?))
            })
            .collect::<Result<Vec<_>>>()?;
        self.batch_write(writes).await
    }

    /// Writes many puts and deletes, in chunks of 25 with a few in flight, retrying
    /// unprocessed writes with backoff. Duplicate keys are rejected before any write.
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
    /// use monotable_core::WriteRequest;
    /// let note = Item::from([("pk", "NOTE#1"), ("sk", "NOTE"), ("text", "hi")]);
    /// let o1 = Item::from([("pk", "USER#u1"), ("sk", "ORDER#o1")]);
    /// repo.batch_write(vec![WriteRequest::Put(note), WriteRequest::Delete(o1)]).await?;
    /// assert_eq!(repo.count(&EntityQuery::<Order>::new([("user", "u1")])).await?, 2);
    /// # Ok(()) }
    /// ```
    async fn batch_write(&self, writes: Vec<WriteRequest>) -> Result<()> {
        batch::write_all(self, writes).await
    }

    /// Commits a transaction: all its actions or none.
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
    /// use monotable_core::Transaction;
    /// let mut tx = Transaction::new(repo.schema());
    /// tx.create(&order("o1", 10))?.create(&order("o2", 20))?;
    /// repo.commit(tx).await?;
    /// assert_eq!(repo.count(&EntityQuery::<Order>::new([("user", "u1")])).await?, 2);
    /// # Ok(()) }
    /// ```
    async fn commit(&self, transaction: Transaction) -> Result<()> {
        self.transact_write_items(transaction.into_request()).await
    }

    /// Builds a transaction in `f` and commits it if `f` returns `Ok`; an `Err` drops it
    /// unwritten.
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
    /// repo.create(&order("o1", 10)).await?;
    /// let failed = repo.transaction(|tx| {
    ///     tx.create(&order("o2", 20))?;
    ///     tx.create(&order("o1", 30))?; // taken: the whole transaction is cancelled
    ///     Ok(())
    /// }).await;
    /// assert!(matches!(failed, Err(Error::TransactionCanceled { .. })));
    /// assert_eq!(repo.get::<Order>(&key("o2")).await?, None);
    /// # Ok(()) }
    /// ```
    async fn transaction<T, F>(&self, f: F) -> Result<T>
    where
        T: Send,
        F: FnOnce(&mut Transaction) -> Result<T> + Send,
    {
        let mut tx = Transaction::new(self.schema());
        let out = f(&mut tx)?;
        self.commit(tx).await?;
        Ok(out)
    }

    /// As [`transaction`](Self::transaction), committed with a client request token (at most
    /// 36 characters) that the backend's own retries keep: DynamoDB applies a token's
    /// transaction once, however often it is sent within ten minutes (without a token, the
    /// DynamoDB backend makes one per commit). To retry yourself after an error that
    /// [may have been applied](Error::may_have_been_applied) — a counter's `ADD`, say —
    /// build the [`Transaction`] once with [`Transaction::with_token`] and commit clones of
    /// it: rebuilt, it would stamp new times, and the token would meet a different request
    /// ([`Error::IdempotencyMismatch`]: refused, never applied twice).
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
    /// let token = "checkout-o1".to_string();
    /// let id = repo.transaction_with_token(token, |tx| {
    ///     tx.create(&order("o1", 10))?;
    ///     Ok("o1")
    /// }).await?;
    /// assert_eq!(repo.get::<Order>(&key(id)).await?.map(|o| o.total), Some(10));
    /// # Ok(()) }
    /// ```
    async fn transaction_with_token<T, F>(&self, token: String, f: F) -> Result<T>
    where
        T: Send,
        F: FnOnce(&mut Transaction) -> Result<T> + Send,
    {
        let mut tx = Transaction::new(self.schema()).with_token(token);
        let out = f(&mut tx)?;
        self.commit(tx).await?;
        Ok(out)
    }
}

impl<R: Repository + ?Sized> RepositoryExt for R {}
