//! The typed entity API, written once on top of [`Repository`] for every backend.

use async_trait::async_trait;
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};

use super::query::{
    entity_filter, entity_page, CollectionPage, CollectionQuery, EntityQuery, EntityScan, QueryPage,
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
/// # Errors
///
/// As [`Repository`], plus: [`Error::AlreadyExists`] from `create`, [`Error::NotFound`] from
/// `patch`, [`Error::InvalidKey`] when a key cannot be composed, [`Error::Validation`] from
/// the entity's own check, [`Error::InvalidCursor`], [`Error::Decode`].
#[async_trait]
pub trait RepositoryExt: Repository {
    /// Writes a new entity; fails with [`Error::AlreadyExists`] if its key is taken. A
    /// versioned entity is written at version 1.
    async fn create<E: Entity>(&self, entity: &E) -> Result<E> {
        let (item, condition) = write::create(self.schema(), entity, &entity::now_iso8601())?;
        let key = self.schema().key_of(&item);
        if unique::has_unique_fields::<E>() {
            unique::create::<Self, E>(self, item.clone(), condition).await?;
            return entity::decode::<E>(&item);
        }
        match self
            .put_item(PutItem {
                item: item.clone(),
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
            Ok(_) => entity::decode::<E>(&item),
        }
    }

    /// Writes an entity, replacing the stored one (or creating it). The creation time of an
    /// existing item is kept: the write is sent as one update that sets every attribute and
    /// removes the entity's attributes the value leaves out. A versioned entity must carry
    /// the stored version ([`Error::VersionConflict`] otherwise; `0` for a new item) and is
    /// written at the next one. An item of another entity type is never replaced.
    async fn put<E: Entity>(&self, entity: &E) -> Result<E> {
        self.put_if(entity, None).await
    }

    /// Writes an entity as [`put`](Self::put) does, if `condition` also holds on the stored
    /// item.
    async fn put_if<E: Entity>(&self, entity: &E, condition: Option<Condition>) -> Result<E> {
        let now = entity::now_iso8601();
        // An index key using the creation time is composed with the stored one: read it,
        // and write only if the item is unchanged since.
        let (stored_created, condition) = match entity::created_in_index_keys::<E>() {
            None => (None, condition),
            Some(created) => {
                let key = self
                    .schema()
                    .key_of(&entity::entity_item(self.schema(), entity, &now)?);
                let old = self
                    .get_item(GetItem {
                        key,
                        consistent_read: true,
                        ..Default::default()
                    })
                    .await?;
                let unchanged = write::unchanged::<E>(self.schema(), old.as_ref());
                (
                    old.and_then(|o| o.get(created).cloned()),
                    Some(match condition {
                        Some(c) => c.and(unchanged),
                        None => unchanged,
                    }),
                )
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
    async fn get<E: Entity>(&self, key: &E::Key) -> Result<Option<E>> {
        get_entity(self, key, false).await
    }

    /// Reads one entity by key with a strongly consistent read.
    async fn get_consistent<E: Entity>(&self, key: &E::Key) -> Result<Option<E>> {
        get_entity(self, key, true).await
    }

    /// Updates an entity and returns it as it is now. It creates the entity only if the
    /// update sets every required attribute (the derive knows them); otherwise the entity
    /// must exist ([`Error::NotFound`]). An index key is recomposed when the update sets
    /// every attribute of its template. Key attributes and managed attributes cannot be
    /// updated; a versioned entity needs [`update_versioned`](Self::update_versioned).
    async fn update<E: Entity>(&self, key: &E::Key, update: Update) -> Result<E> {
        self.update_if::<E>(key, update, None).await
    }

    /// Updates an entity as [`update`](Self::update) does, if `condition` holds.
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
    async fn update_versioned<E: Entity>(
        &self,
        key: &E::Key,
        version: u64,
        update: Update,
    ) -> Result<E> {
        write_update(self, key, update, Some(version), None, false).await
    }

    /// Updates an existing entity; fails with [`Error::NotFound`] if absent.
    async fn patch<E: Entity>(&self, key: &E::Key, update: Update) -> Result<E> {
        write_update(self, key, update, None, None, true).await
    }

    /// Updates an existing versioned entity whose stored version is `version`.
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
    async fn delete<E: Entity>(&self, key: &E::Key) -> Result<Option<E>> {
        self.delete_if::<E>(key, None).await
    }

    /// Deletes an entity if `condition` holds; returns it as it was.
    async fn delete_if<E: Entity>(
        &self,
        key: &E::Key,
        condition: Option<Condition>,
    ) -> Result<Option<E>> {
        delete_entity(self, key, None, condition).await
    }

    /// Deletes a versioned entity whose stored version is `version`; returns it as it was.
    async fn delete_versioned<E: Entity>(&self, key: &E::Key, version: u64) -> Result<Option<E>> {
        delete_entity(self, key, Some(version), None).await
    }

    /// Moves an entity to a new key (the key attributes of `to` differ from `from`'s): one
    /// transaction deletes the old item, if unchanged since it was read, and creates the new
    /// one, keeping the creation time and moving the version forward. Fails with
    /// [`Error::NotFound`] if there is no entity at `from`, and [`Error::AlreadyExists`] if
    /// the new key is taken.
    async fn rekey<E: Entity>(&self, from: &E::Key, to: &E) -> Result<E> {
        rekey_entity(self, from, to).await
    }

    /// Reads one page of a query.
    async fn query_page<E: Entity>(&self, query: &EntityQuery<E>) -> Result<QueryPage<E>> {
        let kc = query.key_condition(self.schema())?;
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
                consistent_read: query.consistent_read,
                ..Query::new(kc)
            })
            .await?;
        entity_page(page, &scope)
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

    /// As [`query_stream`](Self::query_stream), resumable: an error comes as
    /// [`Error::Interrupted`], carrying the cursor after the last page the stream yielded
    /// whole (or the query's own cursor), so `query.after(..)` with it continues where the
    /// stream stopped, repeating and skipping nothing.
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
    async fn query_page_follow<E: Entity>(&self, query: &EntityQuery<E>) -> Result<QueryPage<E>> {
        let kc = query.key_condition(self.schema())?;
        let scope = query.scope(&kc);
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
    async fn collection_all<C: crate::entity::Collection>(
        &self,
        query: CollectionQuery,
    ) -> Result<Vec<C>> {
        self.collection_stream(query).try_collect().await
    }

    /// How many entities a query matches (every page, counting only; the items are not
    /// returned).
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
    async fn scan_page<E: Entity>(&self, scan: &EntityScan<E>) -> Result<QueryPage<E>> {
        let scope = scan.scope();
        let start = scan
            .cursor
            .as_ref()
            .map(|c| c.decode_for(&scope, self.schema(), scan.index.as_deref()))
            .transpose()?;
        let page = self
            .scan(Scan {
                index: scan.index.clone(),
                filter: scan.full_filter(),
                limit: scan.limit,
                exclusive_start_key: start,
                segment: scan.segment,
                consistent_read: scan.consistent_read,
                ..Default::default()
            })
            .await?;
        entity_page(page, &scope)
    }

    /// Every entity of a scan (or of one segment of a parallel scan), as a stream.
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
    async fn get_many<E: Entity>(&self, keys: &[E::Key]) -> Result<Vec<Option<E>>> {
        let keys: Vec<Item> = keys
            .iter()
            .map(|k| entity::primary_key::<E>(self.schema(), &Item::from_serialize(k)?))
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
    async fn get_many_atomic<E: Entity>(&self, keys: &[E::Key]) -> Result<Vec<Option<E>>> {
        let keys: Vec<Item> = keys
            .iter()
            .map(|k| entity::primary_key::<E>(self.schema(), &Item::from_serialize(k)?))
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
    async fn read_then_write<E, T, F>(&self, keys: &[E::Key], attempts: u32, f: F) -> Result<T>
    where
        E: Entity,
        T: Send,
        F: Fn(&[Option<E>], &mut Transaction) -> Result<T> + Send + Sync,
    {
        let composed: Vec<Item> = keys
            .iter()
            .map(|k| entity::primary_key::<E>(self.schema(), &Item::from_serialize(k)?))
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
    async fn batch_get<E: Entity>(&self, keys: &[E::Key]) -> Result<Vec<E>> {
        let keys: Vec<Item> = keys
            .iter()
            .map(|k| entity::primary_key::<E>(self.schema(), &Item::from_serialize(k)?))
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
    async fn batch_get_items(&self, keys: Vec<Item>) -> Result<Vec<Item>> {
        batch::get_items(self, keys).await
    }

    /// Writes many entities, in chunks of 25 with a few in flight, retrying unprocessed
    /// writes. Every entity is checked before anything is written; chunks are not atomic
    /// with each other (use a transaction for that). The stored creation times are read
    /// first and kept. A batch write carries no condition, so a versioned entity is refused
    /// (use a transaction, or [`batch_put_ignoring_versions`](Self::batch_put_ignoring_versions)),
    /// and an item of another entity type at the same key is replaced.
    async fn batch_put<E: Entity>(&self, entities: &[E]) -> Result<()> {
        refuse_versioned_batch::<E>()?;
        batch_put_entities(self, entities).await
    }

    /// [`batch_put`](Self::batch_put) for a versioned entity, without checking versions:
    /// each entity is written at its version plus one, whatever is stored (last writer wins).
    async fn batch_put_ignoring_versions<E: Entity>(&self, entities: &[E]) -> Result<()> {
        batch_put_entities(self, entities).await
    }

    /// Deletes many entities by key, in chunks of 25, retrying unprocessed deletes. A
    /// versioned entity is refused (see [`batch_put`](Self::batch_put)).
    async fn batch_delete<E: Entity>(&self, keys: &[E::Key]) -> Result<()> {
        refuse_versioned_batch::<E>()?;
        self.batch_delete_ignoring_versions::<E>(keys).await
    }

    /// [`batch_delete`](Self::batch_delete) for a versioned entity, without checking
    /// versions.
    async fn batch_delete_ignoring_versions<E: Entity>(&self, keys: &[E::Key]) -> Result<()> {
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

    /// As [`transaction`](Self::transaction), committed with a client request token (at most
    /// 36 characters) that the backend's own retries keep: DynamoDB applies a token's
    /// transaction once, however often it is sent within ten minutes (without a token, the
    /// DynamoDB backend makes one per commit). To retry yourself after an error that
    /// [may have been applied](Error::may_have_been_applied) — a counter's `ADD`, say —
    /// build the [`Transaction`] once with [`Transaction::with_token`] and commit clones of
    /// it: rebuilt, it would stamp new times, and the token would meet a different request
    /// ([`Error::IdempotencyMismatch`]: refused, never applied twice).
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
