//! The typed entity API, written once on top of [`Repository`] for every backend.

use std::collections::BTreeSet;
use std::marker::PhantomData;
use std::time::Duration;

use async_trait::async_trait;
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};

use crate::cursor::Cursor;
use crate::entity::{self, Entity};
use crate::error::{Error, Result};
use crate::expr::{
    Condition, KeyCondition, Path, SetValue, SortKeyCondition, Update, UpdateAction, UpdateOperand,
};
use crate::repository::*;
use crate::schema::TableSchema;
use crate::template::{Composed, KeyTemplate};
use crate::transaction::Transaction;
use crate::value::{Item, Value};

/// How many batch requests the typed API keeps in flight at once.
pub const BATCH_CONCURRENCY: usize = 4;
/// How many times a batch request with unprocessed work or throttling is tried.
pub const BATCH_ATTEMPTS: u32 = 8;

/// One page of a typed query.
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
pub struct EntityQuery<E> {
    index: Option<String>,
    partition: Item,
    sort: Option<SortSpec>,
    filter: Option<Condition>,
    limit: Option<u32>,
    forward: bool,
    cursor: Option<Cursor>,
    _entity: PhantomData<fn() -> E>,
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
            _entity: PhantomData,
        }
    }

    /// Query index `index` instead, its partition composed by the entity's template for it.
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

    fn key_condition(&self) -> Result<KeyCondition> {
        let keys = E::key_templates();
        let (pk_t, sk_t) = keys.templates(self.index.as_deref())?;
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
        Ok(KeyCondition { partition, sort })
    }

    fn scope(&self, kc: &KeyCondition) -> String {
        format!("{}|{:?}|{:?}", E::ENTITY_TYPE, self.index, kc.partition)
    }
}

fn compose_any(t: &KeyTemplate, attrs: &Item) -> Result<Value> {
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
#[derive(Debug, Clone)]
pub struct CollectionQuery {
    index: Option<String>,
    partition: Value,
    limit: Option<u32>,
    forward: bool,
    cursor: Option<Cursor>,
}

impl CollectionQuery {
    /// The partition `partition` (an already composed key) of the table or of `index`.
    pub fn new(index: Option<&str>, partition: impl Into<Value>) -> Self {
        CollectionQuery {
            index: index.map(str::to_string),
            partition: partition.into(),
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
    fn scope(&self) -> String {
        format!("collection|{:?}|{:?}", self.index, self.partition)
    }
}

/// One page of a collection: items of several entity types.
#[derive(Debug, Clone)]
pub struct CollectionPage {
    /// The raw items, in sort-key order.
    pub items: Vec<Item>,
    /// Where the next page starts.
    pub cursor: Option<Cursor>,
}

impl CollectionPage {
    /// The items of entity type `E`, decoded.
    pub fn entities<E: Entity>(&self) -> Result<Vec<E>> {
        self.items
            .iter()
            .filter(|i| entity::is_entity::<E>(i))
            .map(Item::deserialize_into)
            .collect()
    }
}

fn key_string(key: &Item) -> String {
    key.values()
        .map(|v| match v {
            Value::S(s) => s.clone(),
            other => format!("{other:?}"),
        })
        .collect::<Vec<_>>()
        .join(" / ")
}

/// The key and full update for an entity update: the caller's actions plus the entity's
/// managed attributes, the attributes of its key, and every index key whose attributes the
/// update gives.
pub(crate) fn entity_update<E: Entity>(
    schema: &TableSchema,
    key: &E::Key,
    update: Update,
    now: &str,
) -> Result<(Item, Update)> {
    let key_attrs = Item::from_serialize(key)?;
    let table_key = entity::primary_key::<E>(schema, &key_attrs)?;
    // What the update gives literally, which top-level attributes it writes, and which it
    // removes.
    let mut known = key_attrs.clone();
    let mut changed = BTreeSet::new();
    let mut removed = BTreeSet::new();
    for action in &update.actions {
        let p = action.path();
        changed.insert(p.root().to_string());
        if let (UpdateAction::Remove(_), true) = (action, p.rest().is_empty()) {
            removed.insert(p.root().to_string());
        }
        if let (UpdateAction::Set(p, SetValue::Operand(UpdateOperand::Value(v))), true) =
            (action, action.path().rest().is_empty())
        {
            known.insert(p.root().to_string(), v.clone());
        }
    }
    let mut full = update;
    for (name, value) in key_attrs.iter() {
        if !changed.contains(name) {
            full = full.set(name.as_str(), value.clone());
        }
    }
    let keys = E::key_templates();
    for ik in &keys.indexes {
        for (attr, template) in entity::index_key_templates::<E>(schema, ik)? {
            let touched = template.attributes().iter().any(|a| changed.contains(*a));
            if template.attributes().iter().any(|a| removed.contains(*a)) {
                // Removing an attribute of a sparse index key takes the item out of the index.
                if !changed.contains(&attr.name) {
                    full = full.remove(attr.name.as_str());
                }
                continue;
            }
            match template.compose(&known)? {
                Composed::Complete(v) => full = full.set(attr.name.as_str(), v),
                Composed::Partial { missing, .. } if touched => {
                    return Err(Error::InvalidKey {
                        template: template.to_string(),
                        part: missing,
                        reason: format!(
                            "the update changes part of the {} key; set every attribute of {}",
                            ik.index, template
                        ),
                    })
                }
                Composed::Partial { .. } => {}
            }
        }
    }
    let options = E::options();
    if let Some(a) = options.entity_attribute {
        full = full.set(a, E::ENTITY_TYPE);
    }
    if let Some(a) = options.modified_attribute {
        full = full.set(a, now);
    }
    if let Some(a) = options.created_attribute {
        full = full.set_if_not_exists(a, now);
    }
    if let Some(a) = options.version_attribute {
        if !changed.contains(a) {
            full = full.add(a, 1);
        }
    }
    Ok((table_key, full))
}

fn jitter(attempt: u32) -> Duration {
    let base = 25u64.saturating_mul(1 << attempt.min(6));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    Duration::from_millis(base / 2 + u64::from(nanos) % (base / 2 + 1))
}

/// The typed entity API, for every [`Repository`]. Do not implement: it is implemented for
/// all repositories.
///
/// # Errors
///
/// As [`Repository`], plus: [`Error::AlreadyExists`] from `create`, [`Error::NotFound`] from
/// `patch`, [`Error::InvalidKey`] when a key cannot be composed, [`Error::Validation`] from
/// the entity's own check, [`Error::InvalidCursor`], [`Error::Decode`].
#[async_trait]
pub trait RepositoryExt: Repository {
    /// Writes a new entity; fails with [`Error::AlreadyExists`] if its key is taken.
    async fn create<E: Entity>(&self, entity: &E) -> Result<E> {
        let mut item = entity::entity_item(self.schema(), entity, &entity::now_iso8601())?;
        if let Some(v) = E::options().version_attribute {
            item.insert(v.to_string(), Value::from(1));
        }
        let pk = Path::attr(self.schema().partition_key.name.clone());
        let key = self.schema().key_of(&item);
        match self
            .put_item(PutItem {
                item: item.clone(),
                condition: Some(pk.not_exists()),
                ..Default::default()
            })
            .await
        {
            Err(Error::ConditionFailed { .. }) => Err(Error::AlreadyExists {
                entity: E::ENTITY_TYPE.to_string(),
                key: key_string(&key),
            }),
            Err(e) => Err(e),
            Ok(_) => item.deserialize_into(),
        }
    }

    /// Writes an entity, replacing any item with the same key.
    async fn put<E: Entity>(&self, entity: &E) -> Result<E> {
        self.put_if(entity, None).await
    }

    /// Writes an entity if `condition` holds on the existing item.
    async fn put_if<E: Entity>(&self, entity: &E, condition: Option<Condition>) -> Result<E> {
        let mut item = entity::entity_item(self.schema(), entity, &entity::now_iso8601())?;
        let mut condition = condition;
        if let Some(v) = E::options().version_attribute {
            let current = item.get(v).cloned().unwrap_or(Value::from(0));
            let Value::N(n) = &current else {
                return Err(entity::validation_error::<E>(
                    v,
                    "the version must be a number",
                ));
            };
            let next = n
                .checked_add(&crate::Number::from(1))
                .map_err(|e| Error::invalid(e.to_string()))?;
            item.insert(v.to_string(), Value::N(next));
            let pk = Path::attr(self.schema().partition_key.name.clone());
            let version = pk.not_exists().or(Path::attr(v).eq(current));
            condition = Some(match condition {
                Some(c) => c.and(version),
                None => version,
            });
        }
        self.put_item(PutItem {
            item: item.clone(),
            condition,
            ..Default::default()
        })
        .await?;
        item.deserialize_into()
    }

    /// Reads one entity by key.
    async fn get<E: Entity>(&self, key: &E::Key) -> Result<Option<E>> {
        let key = entity::primary_key::<E>(self.schema(), &Item::from_serialize(key)?)?;
        match self
            .get_item(GetItem {
                key,
                ..Default::default()
            })
            .await?
        {
            Some(item) if entity::is_entity::<E>(&item) => item.deserialize_into().map(Some),
            _ => Ok(None),
        }
    }

    /// Updates an entity, creating it if absent (an upsert), and returns it as it is now.
    /// An index key is recomposed when the update sets every attribute of its template.
    async fn update<E: Entity>(&self, key: &E::Key, update: Update) -> Result<E> {
        self.update_if::<E>(key, update, None).await
    }

    /// Updates an entity if `condition` holds.
    async fn update_if<E: Entity>(
        &self,
        key: &E::Key,
        update: Update,
        condition: Option<Condition>,
    ) -> Result<E> {
        let (key, update) = entity_update::<E>(self.schema(), key, update, &entity::now_iso8601())?;
        let item = self
            .update_item(UpdateItem {
                key,
                update,
                condition,
                return_values: ReturnValues::AllNew,
                ..Default::default()
            })
            .await?
            .unwrap_or_default();
        item.deserialize_into()
    }

    /// Updates an existing entity; fails with [`Error::NotFound`] if absent.
    async fn patch<E: Entity>(&self, key: &E::Key, update: Update) -> Result<E> {
        let exists = Path::attr(self.schema().partition_key.name.clone()).exists();
        let composed = entity::primary_key::<E>(self.schema(), &Item::from_serialize(key)?)?;
        match self.update_if::<E>(key, update, Some(exists)).await {
            Err(Error::ConditionFailed { .. }) => Err(Error::NotFound {
                entity: E::ENTITY_TYPE.to_string(),
                key: key_string(&composed),
            }),
            other => other,
        }
    }

    /// Deletes an entity; returns it as it was, if it existed.
    async fn delete<E: Entity>(&self, key: &E::Key) -> Result<Option<E>> {
        self.delete_if::<E>(key, None).await
    }

    /// Deletes an entity if `condition` holds; returns it as it was.
    async fn delete_if<E: Entity>(
        &self,
        key: &E::Key,
        condition: Option<Condition>,
    ) -> Result<Option<E>> {
        let key = entity::primary_key::<E>(self.schema(), &Item::from_serialize(key)?)?;
        let old = self
            .delete_item(DeleteItem {
                key,
                condition,
                return_values: ReturnValues::AllOld,
                ..Default::default()
            })
            .await?;
        old.map(|i| i.deserialize_into()).transpose()
    }

    /// Reads one page of a query.
    async fn query_page<E: Entity>(&self, query: &EntityQuery<E>) -> Result<QueryPage<E>> {
        let kc = query.key_condition()?;
        let scope = query.scope(&kc);
        let start = query
            .cursor
            .as_ref()
            .map(|c| c.decode(&scope))
            .transpose()?;
        let page = self
            .query(Query {
                index: query.index.clone(),
                filter: query.filter.clone(),
                forward: query.forward,
                limit: query.limit,
                exclusive_start_key: start,
                ..Query::new(kc)
            })
            .await
            .map_err(|e| cursor_error(e, query.cursor.is_some()))?;
        Ok(QueryPage {
            items: page
                .items
                .iter()
                .filter(|i| entity::is_entity::<E>(i))
                .map(Item::deserialize_into)
                .collect::<Result<_>>()?,
            cursor: page.last_evaluated_key.map(|k| Cursor::encode(&scope, &k)),
            scanned_count: page.scanned_count,
        })
    }

    /// Every entity of a query, page after page, as a stream.
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

    /// Every entity of a query, collected.
    async fn query_all<E: Entity>(&self, query: EntityQuery<E>) -> Result<Vec<E>> {
        self.query_stream(query).try_collect().await
    }

    /// One page of a collection: every entity type of one partition.
    async fn collection(&self, query: &CollectionQuery) -> Result<CollectionPage> {
        let scope = query.scope();
        let start = query
            .cursor
            .as_ref()
            .map(|c| c.decode(&scope))
            .transpose()?;
        let page = self
            .query(Query {
                index: query.index.clone(),
                forward: query.forward,
                limit: query.limit,
                exclusive_start_key: start,
                ..Query::new(KeyCondition::partition(query.partition.clone()))
            })
            .await
            .map_err(|e| cursor_error(e, query.cursor.is_some()))?;
        Ok(CollectionPage {
            items: page.items,
            cursor: page.last_evaluated_key.map(|k| Cursor::encode(&scope, &k)),
        })
    }

    /// Reads many entities by key, in chunks of 100, retrying unprocessed keys. The result
    /// is in no particular order; absent keys are left out.
    async fn batch_get<E: Entity>(&self, keys: &[E::Key]) -> Result<Vec<E>> {
        let keys: Vec<Item> = keys
            .iter()
            .map(|k| entity::primary_key::<E>(self.schema(), &Item::from_serialize(k)?))
            .collect::<Result<_>>()?;
        let items = self.batch_get_items(keys).await?;
        items
            .iter()
            .filter(|i| entity::is_entity::<E>(i))
            .map(Item::deserialize_into)
            .collect()
    }

    /// Reads many items by primary key, in chunks of 100 with a few in flight, retrying
    /// unprocessed keys with backoff.
    async fn batch_get_items(&self, keys: Vec<Item>) -> Result<Vec<Item>> {
        let chunks: Vec<Vec<Item>> = keys.chunks(MAX_BATCH_GET).map(<[Item]>::to_vec).collect();
        let results: Vec<Vec<Item>> = stream::iter(chunks)
            .map(|chunk| async move {
                let mut pending = chunk;
                let mut found = Vec::new();
                for attempt in 0..BATCH_ATTEMPTS {
                    match self.batch_get_item(pending.clone(), None).await {
                        Ok(out) => {
                            found.extend(out.items);
                            pending = out.unprocessed_keys;
                        }
                        Err(e) if e.is_retryable() => {}
                        Err(e) => return Err(e),
                    }
                    if pending.is_empty() {
                        return Ok(found);
                    }
                    tokio::time::sleep(jitter(attempt)).await;
                }
                Err(Error::Unprocessed {
                    count: pending.len(),
                    attempts: BATCH_ATTEMPTS,
                })
            })
            .buffer_unordered(BATCH_CONCURRENCY)
            .try_collect()
            .await?;
        Ok(results.into_iter().flatten().collect())
    }

    /// Writes many entities, in chunks of 25 with a few in flight, retrying unprocessed
    /// writes. Every entity is checked before anything is written; chunks are not atomic
    /// with each other (use a transaction for that).
    async fn batch_put<E: Entity>(&self, entities: &[E]) -> Result<()> {
        let now = entity::now_iso8601();
        let writes = entities
            .iter()
            .map(|e| entity::entity_item(self.schema(), e, &now).map(WriteRequest::Put))
            .collect::<Result<Vec<_>>>()?;
        self.batch_write(writes).await
    }

    /// Deletes many entities by key, in chunks of 25, retrying unprocessed deletes.
    async fn batch_delete<E: Entity>(&self, keys: &[E::Key]) -> Result<()> {
        let writes = keys
            .iter()
            .map(|k| {
                Ok(WriteRequest::Delete(entity::primary_key::<E>(
                    self.schema(),
                    &Item::from_serialize(k)?,
                )?))
            })
            .collect::<Result<Vec<_>>>()?;
        self.batch_write(writes).await
    }

    /// Writes many puts and deletes, in chunks of 25 with a few in flight, retrying
    /// unprocessed writes with backoff. Duplicate keys are rejected before any write.
    async fn batch_write(&self, writes: Vec<WriteRequest>) -> Result<()> {
        let mut seen = BTreeSet::new();
        for w in &writes {
            let (WriteRequest::Put(i) | WriteRequest::Delete(i)) = w;
            if !seen.insert(crate::engine::table_key(self.schema(), i)) {
                return Err(Error::invalid(
                    "Provided list of item keys contains duplicates",
                ));
            }
        }
        let chunks: Vec<Vec<WriteRequest>> = writes
            .chunks(MAX_BATCH_WRITE)
            .map(<[WriteRequest]>::to_vec)
            .collect();
        stream::iter(chunks)
            .map(|chunk| async move {
                let mut pending = chunk;
                for attempt in 0..BATCH_ATTEMPTS {
                    match self.batch_write_item(pending.clone()).await {
                        Ok(out) => pending = out.unprocessed,
                        Err(e) if e.is_retryable() => {}
                        Err(e) => return Err(e),
                    }
                    if pending.is_empty() {
                        return Ok(());
                    }
                    tokio::time::sleep(jitter(attempt)).await;
                }
                Err(Error::Unprocessed {
                    count: pending.len(),
                    attempts: BATCH_ATTEMPTS,
                })
            })
            .buffer_unordered(BATCH_CONCURRENCY)
            .try_collect::<Vec<()>>()
            .await?;
        Ok(())
    }

    /// Commits a transaction: all its actions or none.
    async fn commit(&self, transaction: Transaction) -> Result<()> {
        self.transact_write_items(transaction.into_request()).await
    }

    /// Builds a transaction in `f` and commits it if `f` returns `Ok`; an `Err` drops it
    /// unwritten.
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
}

fn cursor_error(e: Error, had_cursor: bool) -> Error {
    match e {
        Error::InvalidRequest { message } if had_cursor && message.contains("starting key") => {
            Error::InvalidCursor { reason: message }
        }
        other => other,
    }
}

impl<R: Repository + ?Sized> RepositoryExt for R {}
