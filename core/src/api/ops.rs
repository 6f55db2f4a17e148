//! The typed entity API, written once on top of [`Repository`] for every backend.

use async_trait::async_trait;
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};

use super::query::{CollectionPage, CollectionQuery, EntityQuery, QueryPage};
use crate::api::batch;
use crate::api::cursor::Cursor;
use crate::api::Transaction;
use crate::entity::update::entity_update;
use crate::entity::{self, Entity};
use crate::error::{Error, Result};
use crate::expr::{Condition, KeyCondition, Path, Update};
use crate::item::{Item, Value};
use crate::repository::*;

fn key_string(key: &Item) -> String {
    key.values()
        .map(|v| match v {
            Value::S(s) => s.clone(),
            other => format!("{other:?}"),
        })
        .collect::<Vec<_>>()
        .join(" / ")
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
            .map(|c| c.decode_for(&scope, self.schema(), query.index.as_deref()))
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
            .await?;
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
            .map(|c| c.decode_for(&scope, self.schema(), query.index.as_deref()))
            .transpose()?;
        let page = self
            .query(Query {
                index: query.index.clone(),
                forward: query.forward,
                limit: query.limit,
                exclusive_start_key: start,
                ..Query::new(KeyCondition::partition(query.partition.clone()))
            })
            .await?;
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
        batch::get_items(self, keys).await
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
        batch::write_all(self, writes).await
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

impl<R: Repository + ?Sized> RepositoryExt for R {}
