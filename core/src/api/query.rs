//! Typed queries: one entity type on the table or an index, or a collection of several.

use std::marker::PhantomData;

use crate::api::cursor::Cursor;
use crate::entity::template::{Composed, KeyTemplate};
use crate::entity::{self, AttributeIndex, Entity};
use crate::error::{Error, Result};
use crate::expr::{Condition, KeyCondition, SortKeyCondition};
use crate::item::{Item, Value};
use crate::repository::LentItem;
use crate::schema::TableSchema;

/// One page of a typed query.
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
/// let query = EntityQuery::<Order>::new([("user", "u1")]).filter(Path::attr("total").gt(25));
/// let page = repo.query_page(&query).await?;
/// assert_eq!(page.items, [order("o3", 30)]);
/// assert_eq!(page.scanned_count, 3); // read before the filter
/// assert!(page.cursor.is_none()); // the last page
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct QueryPage<E> {
    /// The entities of the page (items of other entity types are left out).
    pub items: Vec<E>,
    /// Where the next page starts; `None` on the last page.
    pub cursor: Option<Cursor>,
    /// Items evaluated by the backend, before any filter.
    pub scanned_count: usize,
}

#[derive(Debug, Clone)]
enum SortSpec {
    Op(fn(Value) -> SortKeyCondition, Item),
    BeginsWith(Item),
    Between(Item, Item),
}

/// A query for entities of type `E`: a partition of the table or of an index, an optional
/// sort-key condition given by attribute values, a filter, a direction, a limit, a cursor.
///
/// Without a sort condition, a query whose sort template starts with a literal (such as
/// `ORDER#`) is limited to keys with that prefix, so it reads only `E`'s items.
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
/// // User u1's orders o1 to o3, newest first, those of at least 20.
/// let query = EntityQuery::<Order>::new([("user", "u1")])
///     .sort_between([("id", "o1")], [("id", "o3")])
///     .filter(Path::attr("total").ge(20))
///     .descending();
/// let ids: Vec<String> = repo.query_all(query).await?.into_iter().map(|o| o.id).collect();
/// assert_eq!(ids, ["o3", "o2"]);
/// # Ok(()) }
/// ```
pub struct EntityQuery<E> {
    pub(super) index: Option<String>,
    pub(super) partition: Item,
    sort: Option<SortSpec>,
    pub(super) filter: Option<Condition>,
    pub(super) limit: Option<u32>,
    pub(super) forward: bool,
    pub(super) cursor: Option<Cursor>,
    pub(super) consistent_read: bool,
    /// A typed argument that could not be converted, reported when the query runs.
    deferred: Option<String>,
    pub(super) _entity: PhantomData<fn() -> E>,
}

impl<E> Clone for EntityQuery<E> {
    fn clone(&self) -> Self {
        EntityQuery {
            index: self.index.clone(),
            partition: self.partition.clone(),
            sort: self.sort.clone(),
            filter: self.filter.clone(),
            limit: self.limit,
            forward: self.forward,
            cursor: self.cursor.clone(),
            consistent_read: self.consistent_read,
            deferred: self.deferred.clone(),
            _entity: PhantomData,
        }
    }
}

impl<E> std::fmt::Debug for EntityQuery<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EntityQuery")
            .field("index", &self.index)
            .field("partition", &self.partition)
            .field("sort", &self.sort)
            .field("limit", &self.limit)
            .field("forward", &self.forward)
            .finish_non_exhaustive()
    }
}

impl<E: Entity> EntityQuery<E> {
    /// Query the table's partition composed from `attrs` by the entity's partition template.
    pub fn new(attrs: impl Into<Item>) -> Self {
        EntityQuery {
            index: None,
            partition: attrs.into(),
            sort: None,
            filter: None,
            limit: None,
            forward: true,
            cursor: None,
            consistent_read: false,
            deferred: None,
            _entity: PhantomData,
        }
    }

    /// Reads with strong consistency. Not allowed on a global secondary index, which
    /// DynamoDB keeps eventually consistent (the request fails with its message).
    pub fn consistent_read(mut self) -> Self {
        self.consistent_read = true;
        self
    }

    /// Leaves out entities whose expiry time ([`Entity::TTL`]) is at or before `now`:
    /// DynamoDB (and the local backends) remove expired items some time after they expire,
    /// and until then they are still read.
    ///
    /// ```
    /// # use monotable_core::{prelude::*, EntityKeys, TableSchema};
    /// # use monotable_core::EntityQuery;
    /// # use std::time::{Duration, UNIX_EPOCH};
    /// # #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)] struct Session { id: String, expires: u64 }
    /// # #[derive(serde::Serialize)] struct SessionKey { id: String }
    /// # impl KeySchema for Session { fn key_templates() -> EntityKeys { EntityKeys::new("SESSION#{id}").with_sort("SESSION") } }
    /// # impl Entity for Session { const ENTITY_TYPE: &'static str = "Session"; type Key = SessionKey; const TTL: Option<&'static str> = Some("expires"); }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> monotable_core::Result<()> {
    /// # let repo = monotable_memory::MemoryRepository::new(monotable_memory::MemoryStorage::new(), TableSchema::single_table("app").with_ttl_attribute("expires"))?;
    /// # repo.create_table().await?;
    /// # repo.create(&Session { id: "s1".into(), expires: 1_000 }).await?;
    /// let now = UNIX_EPOCH + Duration::from_secs(2_000); // s1 expired at 1,000
    /// let all = EntityQuery::<Session>::new([("id", "s1")]);
    /// assert_eq!(repo.count(&all).await?, 1); // not swept yet
    /// assert_eq!(repo.count(&all.unexpired(now)).await?, 0);
    /// # Ok(()) }
    /// ```
    pub fn unexpired(mut self, now: std::time::SystemTime) -> Self {
        if let Some(c) = unexpired_condition::<E>(now) {
            self.filter = Some(match self.filter.take() {
                Some(f) => f.and(c),
                None => c,
            });
        }
        self
    }

    /// Query index `index` instead, its partition composed by the entity's template for it.
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
    /// // gsi1's partition is ORDER#{id}: find an order by its id alone.
    /// let query = EntityQuery::<Order>::on_index("gsi1", [("id", "o2")]);
    /// assert_eq!(repo.query_all(query).await?, [order("o2", 20)]);
    /// # Ok(()) }
    /// ```
    pub fn on_index(index: impl Into<String>, attrs: impl Into<Item>) -> Self {
        let mut q = Self::new(attrs);
        q.index = Some(index.into());
        q
    }

    /// Sort key equal to the key composed from `attrs`.
    pub fn sort_eq(self, attrs: impl Into<Item>) -> Self {
        self.sort(SortSpec::Op(SortKeyCondition::Eq, attrs.into()))
    }
    /// Sort key below the key composed from `attrs`.
    pub fn sort_lt(self, attrs: impl Into<Item>) -> Self {
        self.sort(SortSpec::Op(SortKeyCondition::Lt, attrs.into()))
    }
    /// Sort key at most the key composed from `attrs`.
    pub fn sort_le(self, attrs: impl Into<Item>) -> Self {
        self.sort(SortSpec::Op(SortKeyCondition::Le, attrs.into()))
    }
    /// Sort key above the key composed from `attrs`.
    pub fn sort_gt(self, attrs: impl Into<Item>) -> Self {
        self.sort(SortSpec::Op(SortKeyCondition::Gt, attrs.into()))
    }
    /// Sort key at least the key composed from `attrs`.
    pub fn sort_ge(self, attrs: impl Into<Item>) -> Self {
        self.sort(SortSpec::Op(SortKeyCondition::Ge, attrs.into()))
    }
    /// Sort key starting with what `attrs` compose (the leading attributes of the template).
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
    /// # for id in ["2024-01-a", "2024-02-b"] { repo.create(&order(id, 1)).await?; }
    /// let january =
    ///     EntityQuery::<Order>::new([("user", "u1")]).sort_begins_with([("id", "2024-01")]);
    /// let found = repo.query_all(january).await?;
    /// assert_eq!(found, [order("2024-01-a", 1)]);
    /// # Ok(()) }
    /// ```
    pub fn sort_begins_with(self, attrs: impl Into<Item>) -> Self {
        self.sort(SortSpec::BeginsWith(attrs.into()))
    }
    /// Sort key between the keys composed from `low` and `high`, inclusive.
    pub fn sort_between(self, low: impl Into<Item>, high: impl Into<Item>) -> Self {
        self.sort(SortSpec::Between(low.into(), high.into()))
    }
    fn sort(mut self, s: SortSpec) -> Self {
        self.sort = Some(s);
        self
    }
    /// Keeps only the items for which `filter` holds (after the limit, as in DynamoDB).
    pub fn filter(mut self, filter: Condition) -> Self {
        self.filter = Some(filter);
        self
    }
    /// Evaluates at most `n` items per page.
    pub fn limit(mut self, n: u32) -> Self {
        self.limit = Some(n);
        self
    }
    /// Descending sort-key order.
    pub fn descending(mut self) -> Self {
        self.forward = false;
        self
    }
    /// Starts after a previous page's cursor.
    pub fn after(mut self, cursor: Option<Cursor>) -> Self {
        self.cursor = cursor;
        self
    }

    /// For the derive's typed access patterns: the query of `index` (the table if `None`)
    /// whose partition attributes are `partition`.
    #[doc(hidden)]
    pub fn __pattern(index: Option<&str>, partition: Vec<(&str, Result<Value>)>) -> Self {
        let mut q = Self::new(Item::new());
        q.index = index.map(str::to_string);
        q.partition = q.collect(partition);
        q
    }

    /// For the derive's typed access patterns: a sort condition (`eq`, `lt`, `le`, `gt`,
    /// `ge`, `begins_with`, `between`) on a leading prefix of the sort template's attributes.
    #[doc(hidden)]
    pub fn __sort(
        mut self,
        op: &str,
        low: Vec<(&str, Result<Value>)>,
        high: Vec<(&str, Result<Value>)>,
    ) -> Self {
        let low = self.collect(low);
        let high = self.collect(high);
        let spec = match op {
            "eq" => SortSpec::Op(SortKeyCondition::Eq, low),
            "lt" => SortSpec::Op(SortKeyCondition::Lt, low),
            "le" => SortSpec::Op(SortKeyCondition::Le, low),
            "gt" => SortSpec::Op(SortKeyCondition::Gt, low),
            "ge" => SortSpec::Op(SortKeyCondition::Ge, low),
            "begins_with" => SortSpec::BeginsWith(low),
            _ => SortSpec::Between(low, high),
        };
        self.sort(spec)
    }

    fn collect(&mut self, attrs: Vec<(&str, Result<Value>)>) -> Item {
        let mut item = Item::new();
        for (name, value) in attrs {
            match value {
                Ok(v) => {
                    item.insert(name.to_string(), v);
                }
                Err(e) => {
                    self.deferred.get_or_insert_with(|| format!("{name}: {e}"));
                }
            }
        }
        item
    }

    pub(super) fn key_condition(&self, schema: &TableSchema) -> Result<KeyCondition> {
        if let Some(e) = &self.deferred {
            return Err(Error::Encode {
                source: e.clone().into(),
            });
        }
        let keys = entity::keys::<E>();
        if let Some(ai) = self.index.as_deref().and_then(|n| keys.attribute_index(n)) {
            ai.schema_index(E::ENTITY_TYPE, schema)?;
            return self.attribute_key_condition(ai);
        }
        let (pk_t, sk_t) = keys.templates(self.index.as_deref())?;
        only_attributes_of(pk_t, &self.partition)?;
        if let (Some(spec), Some(t)) = (&self.sort, sk_t) {
            match spec {
                SortSpec::Op(_, attrs) | SortSpec::BeginsWith(attrs) => {
                    only_attributes_of(t, attrs)?
                }
                SortSpec::Between(a, b) => {
                    only_attributes_of(t, a)?;
                    only_attributes_of(t, b)?;
                }
            }
        }
        let partition = pk_t.compose_complete(&self.partition)?;
        let sort = match (&self.sort, sk_t) {
            (None, Some(t)) if !t.literal_prefix().is_empty() => Some(
                SortKeyCondition::BeginsWith(Value::from(t.literal_prefix())),
            ),
            (None, _) => None,
            (Some(_), None) => {
                return Err(Error::invalid("a sort condition needs a sort key template"))
            }
            (Some(spec), Some(t)) => Some(match spec {
                SortSpec::Op(op, attrs) => op(compose_any(t, attrs)?),
                SortSpec::BeginsWith(attrs) => match t.compose(attrs)? {
                    Composed::Complete(v) => SortKeyCondition::BeginsWith(v),
                    Composed::Partial { open_prefix, .. } => {
                        SortKeyCondition::BeginsWith(Value::S(open_prefix))
                    }
                },
                SortSpec::Between(a, b) => {
                    SortKeyCondition::Between(compose_any(t, a)?, compose_any(t, b)?)
                }
            }),
        };
        Ok(KeyCondition {
            partition: vec![partition],
            sort_prefix: Vec::new(),
            sort,
        })
    }

    /// The key condition on an index over the entity's own attributes: every partition
    /// attribute's value, then equalities on the sort attributes given but the last, and the
    /// condition on the last.
    fn attribute_key_condition(&self, ai: &AttributeIndex) -> Result<KeyCondition> {
        let error = |part: &str, reason: String| Error::InvalidKey {
            template: ai.index.clone(),
            part: part.to_string(),
            reason,
        };
        if let Some(unknown) = self.partition.keys().find(|a| !ai.partition.contains(a)) {
            return Err(error(
                unknown,
                format!(
                    "not a partition attribute of this index (it has: {})",
                    ai.partition.join(", ")
                ),
            ));
        }
        let partition = ai
            .partition
            .iter()
            .map(|a| {
                self.partition
                    .get(a)
                    .cloned()
                    .ok_or_else(|| error(a, "missing partition attribute".into()))
            })
            .collect::<Result<Vec<_>>>()?;
        // The sort attributes given: a leading run of the index's, in its order.
        let leading = |attrs: &Item| -> Result<Vec<Value>> {
            if let Some(unknown) = attrs.keys().find(|a| !ai.sort.contains(a)) {
                return Err(error(
                    unknown,
                    format!(
                        "not a sort attribute of this index (it has: {})",
                        ai.sort.join(", ")
                    ),
                ));
            }
            ai.sort[..attrs.len()]
                .iter()
                .map(|a| {
                    attrs.get(a).cloned().ok_or_else(|| {
                        error(
                            a,
                            "a sort condition gives a leading run of the sort attributes".into(),
                        )
                    })
                })
                .collect()
        };
        let last = |mut values: Vec<Value>| -> Result<(Vec<Value>, Value)> {
            let last = values
                .pop()
                .ok_or_else(|| error(&ai.index, "a sort condition names no attribute".into()))?;
            Ok((values, last))
        };
        let (sort_prefix, sort) = match &self.sort {
            None => (Vec::new(), None),
            Some(SortSpec::Op(op, attrs)) => {
                let (prefix, v) = last(leading(attrs)?)?;
                (prefix, Some(op(v)))
            }
            Some(SortSpec::BeginsWith(attrs)) => {
                let (prefix, v) = last(leading(attrs)?)?;
                (prefix, Some(SortKeyCondition::BeginsWith(v)))
            }
            Some(SortSpec::Between(a, b)) => {
                let (prefix, low) = last(leading(a)?)?;
                let (high_prefix, high) = last(leading(b)?)?;
                if prefix != high_prefix {
                    let at = ai.sort[prefix.len().min(high_prefix.len()).saturating_sub(1)].clone();
                    return Err(error(
                        &at,
                        "the bounds of a between differ before its last attribute".into(),
                    ));
                }
                (prefix, Some(SortKeyCondition::Between(low, high)))
            }
        };
        Ok(KeyCondition {
            partition,
            sort_prefix,
            sort,
        })
    }

    /// What a cursor of this query is for: the entity type, the index and the partition.
    pub(super) fn scope(&self, partition: &[Value]) -> String {
        format!("{}|{:?}|{:?}", E::ENTITY_TYPE, self.index, partition)
    }
}

/// Fails with [`Error::InvalidKey`] if `attrs` names an attribute that `t` does not use: a
/// misspelled name would otherwise silently widen or empty a query.
fn only_attributes_of(t: &KeyTemplate, attrs: &Item) -> Result<()> {
    let known = t.attributes();
    match attrs.keys().find(|a| !known.contains(&a.as_str())) {
        Some(unknown) => Err(Error::InvalidKey {
            template: t.to_string(),
            part: unknown.clone(),
            reason: format!(
                "not an attribute of this template (it has: {})",
                known.join(", ")
            ),
        }),
        None => Ok(()),
    }
}

pub(super) fn compose_any(t: &KeyTemplate, attrs: &Item) -> Result<Value> {
    Ok(match t.compose(attrs)? {
        Composed::Complete(v) => v,
        Composed::Partial {
            prefix, missing, ..
        } => {
            if prefix.is_empty() {
                return Err(Error::InvalidKey {
                    template: t.to_string(),
                    part: missing,
                    reason: "missing attribute".into(),
                });
            }
            Value::S(prefix)
        }
    })
}

/// A query that returns every entity type of one partition (a collection), each item
/// decoded later into its own type.
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
/// # use monotable_core::{CollectionQuery, SortKeyCondition};
/// # #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)] struct Profile { user: String, name: String }
/// # #[derive(serde::Serialize)] struct ProfileKey { user: String }
/// # impl KeySchema for Profile { fn key_templates() -> EntityKeys { EntityKeys::new("USER#{user}").with_sort("PROFILE") } }
/// # impl Entity for Profile { const ENTITY_TYPE: &'static str = "Profile"; type Key = ProfileKey; }
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> monotable_core::Result<()> {
/// # let repo = monotable_memory::MemoryRepository::new(monotable_memory::MemoryStorage::new(), TableSchema::single_table("shop").with_gsi("gsi1"))?;
/// # repo.create_table().await?;
/// # for (id, total) in [("o1", 10), ("o2", 20), ("o3", 30)] { repo.create(&order(id, total)).await?; }
/// # repo.create(&Profile { user: "u1".into(), name: "Ada".into() }).await?;
/// // User u1's partition holds a Profile (sort key PROFILE) and orders (ORDER#…).
/// let everything = CollectionQuery::new(None, "USER#u1");
/// assert_eq!(repo.collection(&everything).await?.items.len(), 4);
/// let orders = everything.sort(SortKeyCondition::BeginsWith("ORDER#".into())).limit(2);
/// let page = repo.collection(&orders).await?;
/// assert_eq!(page.entities::<Order>()?, [order("o1", 10), order("o2", 20)]);
/// assert!(page.cursor.is_some());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct CollectionQuery {
    pub(super) index: Option<String>,
    pub(super) partition: Value,
    pub(super) sort: Option<SortKeyCondition>,
    pub(super) filter: Option<Condition>,
    pub(super) limit: Option<u32>,
    pub(super) forward: bool,
    pub(super) cursor: Option<Cursor>,
}

impl CollectionQuery {
    /// The partition `partition` (an already composed key) of the table or of `index`.
    pub fn new(index: Option<&str>, partition: impl Into<Value>) -> Self {
        CollectionQuery {
            index: index.map(str::to_string),
            partition: partition.into(),
            sort: None,
            filter: None,
            limit: None,
            forward: true,
            cursor: None,
        }
    }

    /// The partition that `E`'s template for `index` composes from `attrs`.
    pub fn for_entity<E: Entity>(index: Option<&str>, attrs: impl Into<Item>) -> Result<Self> {
        let keys = E::key_templates();
        let (pk_t, _) = keys.templates(index)?;
        Ok(Self::new(index, pk_t.compose_complete(&attrs.into())?))
    }

    /// Only sort keys that meet `condition` (already composed: the members' sort templates
    /// differ, so a collection's sort condition is on the stored key).
    pub fn sort(mut self, condition: SortKeyCondition) -> Self {
        self.sort = Some(condition);
        self
    }
    /// Only items that pass `filter` (applied after the limit, as DynamoDB does).
    pub fn filter(mut self, filter: Condition) -> Self {
        self.filter = Some(filter);
        self
    }
    /// At most `n` items per page.
    pub fn limit(mut self, n: u32) -> Self {
        self.limit = Some(n);
        self
    }
    /// Descending sort-key order.
    pub fn descending(mut self) -> Self {
        self.forward = false;
        self
    }
    /// Starts after a previous page's cursor.
    pub fn after(mut self, cursor: Option<Cursor>) -> Self {
        self.cursor = cursor;
        self
    }
    pub(super) fn key_condition(&self) -> KeyCondition {
        KeyCondition {
            partition: vec![self.partition.clone()],
            sort_prefix: Vec::new(),
            sort: self.sort.clone(),
        }
    }
    pub(super) fn scope(&self) -> String {
        format!(
            "collection|{:?}|{:?}|{:?}",
            self.index, self.partition, self.sort
        )
    }
}

/// One page of a collection: items of several entity types.
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
/// # use monotable_core::{CollectionQuery, SortKeyCondition};
/// # #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)] struct Profile { user: String, name: String }
/// # #[derive(serde::Serialize)] struct ProfileKey { user: String }
/// # impl KeySchema for Profile { fn key_templates() -> EntityKeys { EntityKeys::new("USER#{user}").with_sort("PROFILE") } }
/// # impl Entity for Profile { const ENTITY_TYPE: &'static str = "Profile"; type Key = ProfileKey; }
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> monotable_core::Result<()> {
/// # let repo = monotable_memory::MemoryRepository::new(monotable_memory::MemoryStorage::new(), TableSchema::single_table("shop").with_gsi("gsi1"))?;
/// # repo.create_table().await?;
/// # for (id, total) in [("o1", 10), ("o2", 20), ("o3", 30)] { repo.create(&order(id, total)).await?; }
/// # repo.create(&Profile { user: "u1".into(), name: "Ada".into() }).await?;
/// let query = CollectionQuery::for_entity::<Profile>(None, [("user", "u1")])?;
/// let page = repo.collection(&query).await?;
/// let profiles = page.entities::<Profile>()?;
/// assert_eq!(profiles[0].name, "Ada");
/// assert_eq!(page.items.len(), 4); // the profile and three orders
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct CollectionPage {
    /// The raw items, in sort-key order.
    pub items: Vec<Item>,
    /// Where the next page starts.
    pub cursor: Option<Cursor>,
}

impl CollectionPage {
    /// Every item decoded into the collection type `C` (an enum that derives
    /// [`Collection`](crate::entity::Collection)), in sort-key order; items of entity types
    /// `C` does not name are left out.
    pub fn decode<C: crate::entity::Collection>(&self) -> Result<Vec<C>> {
        let mut out = Vec::with_capacity(self.items.len());
        for item in &self.items {
            if let Some(c) = C::from_item(item)? {
                out.push(c);
            }
        }
        Ok(out)
    }

    /// The items of entity type `E`, decoded.
    pub fn entities<E: Entity>(&self) -> Result<Vec<E>> {
        self.items
            .iter()
            .filter(|i| entity::is_entity::<E>(i))
            .map(entity::decode::<E>)
            .collect()
    }
}

/// A scan of every entity of type `E` in the table or an index: items of other entity
/// types are filtered out (they still count against the limit and the 1 MB page, as
/// DynamoDB counts them).
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
/// let big = EntityScan::<Order>::new().filter(Path::attr("total").gt(15));
/// let mut ids: Vec<String> = repo.scan_all(big, 1).await?.into_iter().map(|o| o.id).collect();
/// ids.sort();
/// assert_eq!(ids, ["o2", "o3"]);
/// # Ok(()) }
/// ```
pub struct EntityScan<E> {
    pub(super) index: Option<String>,
    pub(super) filter: Option<Condition>,
    pub(super) limit: Option<u32>,
    pub(super) segment: Option<crate::repository::Segment>,
    pub(super) consistent_read: bool,
    pub(super) cursor: Option<Cursor>,
    _entity: PhantomData<fn() -> E>,
}

impl<E> Clone for EntityScan<E> {
    fn clone(&self) -> Self {
        EntityScan {
            index: self.index.clone(),
            filter: self.filter.clone(),
            limit: self.limit,
            segment: self.segment,
            consistent_read: self.consistent_read,
            cursor: self.cursor.clone(),
            _entity: PhantomData,
        }
    }
}

impl<E> std::fmt::Debug for EntityScan<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EntityScan")
            .field("index", &self.index)
            .field("segment", &self.segment)
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

impl<E: Entity> Default for EntityScan<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Entity> EntityScan<E> {
    /// A scan of the table.
    pub fn new() -> Self {
        EntityScan {
            index: None,
            filter: None,
            limit: None,
            segment: None,
            consistent_read: false,
            cursor: None,
            _entity: PhantomData,
        }
    }
    /// A scan of index `index` instead.
    pub fn on_index(index: impl Into<String>) -> Self {
        let mut s = Self::new();
        s.index = Some(index.into());
        s
    }
    /// Only entities that pass `filter`.
    pub fn filter(mut self, filter: Condition) -> Self {
        self.filter = Some(filter);
        self
    }
    /// At most `n` items evaluated per page.
    pub fn limit(mut self, n: u32) -> Self {
        self.limit = Some(n);
        self
    }
    /// Strongly consistent reads (not on a global index).
    pub fn consistent_read(mut self) -> Self {
        self.consistent_read = true;
        self
    }
    /// Starts after a previous page's cursor.
    pub fn after(mut self, cursor: Option<Cursor>) -> Self {
        self.cursor = cursor;
        self
    }
    /// This scan split into `total` segments of a parallel scan, to read concurrently.
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
    /// let mut found = 0;
    /// for segment in EntityScan::<Order>::new().segments(3) {
    ///     found += repo.scan_all(segment, 1).await?.len(); // or each on its own task
    /// }
    /// assert_eq!(found, 3);
    /// # Ok(()) }
    /// ```
    pub fn segments(self, total: u32) -> Vec<Self> {
        (0..total)
            .map(|segment| {
                let mut s = self.clone();
                s.segment = Some(crate::repository::Segment { segment, total });
                s
            })
            .collect()
    }
    /// The filter sent: the entity type, and the caller's filter.
    pub(super) fn full_filter(&self) -> Option<Condition> {
        entity_filter::<E>(self.filter.clone())
    }
    pub(super) fn scope(&self) -> String {
        format!(
            "scan|{}|{:?}|{:?}",
            E::ENTITY_TYPE,
            self.index,
            self.segment
        )
    }
}

/// `attribute_not_exists(ttl) OR ttl > now`, for an entity that expires.
pub(crate) fn unexpired_condition<E: Entity>(now: std::time::SystemTime) -> Option<Condition> {
    let ttl = crate::expr::Path::attr(E::TTL?);
    Some(ttl.not_exists().or(ttl.gt(epoch_seconds(now))))
}

/// Seconds since the Unix epoch (0 before it).
pub(crate) fn epoch_seconds(t: std::time::SystemTime) -> u64 {
    t.duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A backend page as a page of `E`: items of other entity types left out, the rest decoded,
/// the last evaluated key as a cursor of `scope`.
/// Decodes each lent item of entity type `E` into `items` (the visitor of a typed page).
pub(super) fn decode_into<E: Entity>(
    items: &mut Vec<E>,
) -> impl FnMut(LentItem<'_>) -> Result<()> + Send + '_ {
    move |lent| {
        if let Some(entity) = decode_lent::<E>(lent)? {
            items.push(entity);
        }
        Ok(())
    }
}

/// `E` from a lent item as [`entity::is_entity`] and [`entity::decode`] read it from the item,
/// or `None` if it is of another entity type. A stored text of `E`'s current schema version
/// (and without encrypted fields) is decoded straight from the text.
pub(super) fn decode_lent<E: Entity>(lent: LentItem<'_>) -> Result<Option<E>> {
    if lent.as_text().is_some() && E::ENCRYPTED.is_empty() {
        if let Some(a) = E::options().entity_attribute {
            if !entity::names_entity::<E>(lent.attribute(a).as_deref()) {
                return Ok(None);
            }
        }
        let version = lent.attribute(entity::SCHEMA_VERSION_ATTRIBUTE);
        if entity::schema_version_of(version.as_deref()) == E::SCHEMA_VERSION {
            return lent.decode::<E>().map(Some);
        }
    }
    let item = lent.to_item();
    if !entity::is_entity::<E>(&item) {
        return Ok(None);
    }
    entity::decode::<E>(&item).map(Some)
}

/// The typed page of a page read by `query_with`/`scan_with` into `items`; `scope` is the
/// cursor's scope, asked only if the page has a last key.
pub(super) fn entity_page<E: Entity>(
    page: crate::repository::Page,
    items: Vec<E>,
    scope: impl FnOnce() -> String,
) -> QueryPage<E> {
    QueryPage {
        items,
        cursor: page
            .last_evaluated_key
            .map(|k| Cursor::encode(&scope(), &k)),
        scanned_count: page.scanned_count,
    }
}

/// `filter` joined with "the item is of entity type `E`" (when `E` stores its type).
pub(super) fn entity_filter<E: Entity>(filter: Option<Condition>) -> Option<Condition> {
    let et = E::options()
        .entity_attribute
        .map(|a| crate::expr::Path::attr(a).eq(E::ENTITY_TYPE));
    match (et, filter) {
        (Some(a), Some(b)) => Some(a.and(b)),
        (a, b) => a.or(b),
    }
}
