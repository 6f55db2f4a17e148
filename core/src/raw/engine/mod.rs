//! The local engine: DynamoDB's semantics over any ordered key-value store.
//!
//! The memory and SQLite backends implement only [`Storage`] — get, ordered range reads and
//! an atomic apply of [`Mutation`]s — and wrap it in [`Engine`], which implements
//! [`Repository`]. Validation, key encoding, conditions, updates, pagination, limits,
//! batches and transactions are all here, once, so the local backends cannot drift apart.

mod checks;
mod keys;
mod pages;
mod storage;
mod transact;

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::ops::Bound;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use async_trait::async_trait;
use tracing::Instrument;

use crate::error::{Error, Result};
use crate::expr::check;
use crate::expr::{Path, SortKeyCondition};
use crate::item::{Item, Value};
use crate::raw::eval;
use crate::raw::validate::{self, WriteKind};
use crate::repository::*;
use crate::schema::{IndexKind, KeyAttribute, TableSchema};

use checks::*;
use keys::*;
use pages::*;
use transact::Seen;

pub use keys::{backfill_index, index_key, item_mutations, table_key};
pub use pages::PAGE_SIZE_LIMIT;
pub use storage::{Entries, Mutation, Space, Storage, StorageRead, Stored, StoredEntries};

/// A [`Repository`] over a [`Storage`], with DynamoDB's semantics.
///
/// ```
/// use monotable_core::raw::Engine;
/// use monotable_core::{IndexSchema, KeyAttribute, Repository, TableSchema};
/// use monotable_memory::MemoryStorage; // MemoryRepository is Engine<MemoryStorage>
/// let repo = Engine::new(MemoryStorage::new(), TableSchema::single_table("app"))?;
/// assert_eq!(repo.schema().name, "app");
/// // The schema is checked first: a local index needs a table sort key.
/// let lsi = IndexSchema::local("byAge", KeyAttribute::n("age"));
/// let bad = TableSchema::new("app", KeyAttribute::s("pk")).with_index(lsi);
/// assert!(Engine::new(MemoryStorage::new(), bad).is_err());
/// # Ok::<(), monotable_core::Error>(())
/// ```
pub struct Engine<S> {
    storage: S,
    schema: Arc<TableSchema>,
    tokens: Mutex<HashMap<String, (String, Instant)>>,
}

impl<S> std::fmt::Debug for Engine<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("table", &self.schema.name)
            .finish_non_exhaustive()
    }
}

impl<S: Storage> Engine<S> {
    /// A repository for `schema` over `storage`; fails if the schema itself is invalid.
    pub fn new(storage: S, schema: TableSchema) -> Result<Self> {
        schema.validate()?;
        Ok(Engine {
            storage,
            schema: Arc::new(schema),
            tokens: Mutex::new(HashMap::new()),
        })
    }

    /// The underlying storage.
    pub fn storage(&self) -> &S {
        &self.storage
    }

    fn span(&self, operation: &'static str) -> tracing::Span {
        tracing::debug_span!(
            "monotable.request",
            db.system = S::BACKEND,
            db.operation = operation,
            db.name = %self.schema.name,
        )
    }
}

impl<S: Storage> Engine<S> {
    /// Checks a query and plans its read.
    fn checked_query(&self, request: Query) -> Result<PageRead> {
        let schema = self.schema.clone();
        check_limit(request.limit)?;
        check_read_expressions(&request.filter, &request.projection)?;
        let index = resolve_index(&schema, &request.index, false)?;
        let space = index.map_or(Space::Table, |(i, _)| Space::Index(i));
        let ix = index.map(|(_, ix)| ix);
        let keys = schema.query_keys(ix);
        // The key condition first, then the key-attribute rule, then the rest.
        let (mut lower, upper) = query_range(
            space,
            keys,
            &request.key_condition,
            request.index.as_deref(),
        )?;
        check_scalar_keys(&schema, read_paths(&request.filter, &request.projection))?;
        resolve_index(&schema, &request.index, request.consistent_read)?;
        if let Some(f) = &request.filter {
            for p in f.paths() {
                if keys
                    .partition
                    .iter()
                    .chain(keys.sort)
                    .any(|k| k.name == p.root())
                {
                    return Err(Error::invalid(format!(
                        "Filter Expression can only contain non-primary key attributes: Primary key attribute: {}",
                        p.root()
                    )));
                }
            }
        }
        let mut upper = upper;
        check_projected(&schema, ix, &request.projection, &request.filter)?;
        check_select(request.count_only, &request.projection)?;
        let start = match &request.exclusive_start_key {
            Some(esk) => {
                let start = check_start_key(&schema, ix, esk)?;
                let in_range = start.as_slice() >= lower.as_slice()
                    && upper
                        .as_ref()
                        .is_none_or(|u| start.as_slice() < u.as_slice());
                let kc = &request.key_condition;
                let sort_ok = match (&kc.sort, keys.sort.get(kc.sort_prefix.len())) {
                    (Some(cond), Some(sk)) => {
                        esk.get(&sk.name).is_some_and(|v| sort_matches(cond, v))
                    }
                    _ => true,
                };
                let equal = |attrs: &[KeyAttribute], values: &[Value]| {
                    attrs
                        .iter()
                        .zip(values)
                        .all(|(a, v)| esk.get(&a.name) == Some(v))
                };
                if !in_range
                    || !sort_ok
                    || !equal(keys.partition, &kc.partition)
                    || !equal(keys.sort, &kc.sort_prefix)
                {
                    return Err(Error::invalid(
                        "The provided starting key does not match the range key predicate",
                    ));
                }
                Some(start)
            }
            None => None,
        };
        let forward = request.forward;
        if let Some(s) = start {
            if forward {
                lower = s;
            } else {
                upper = Some(s);
            }
        }
        // Only a table's sort key is unique within a partition: on an index, DynamoDB Local
        // gives a last key even when the page stops on the bound.
        let end_bound = match (&request.key_condition.sort, keys.sort.first(), forward) {
            _ if request.index.is_some() => None,
            (Some(SortKeyCondition::Le(v) | SortKeyCondition::Between(_, v)), Some(sk), true)
            | (Some(SortKeyCondition::Ge(v) | SortKeyCondition::Between(v, _)), Some(sk), false) => {
                Some((sk.name.clone(), v.clone()))
            }
            _ => None,
        };
        let fetch_from_table =
            fetches_from_table(&schema, ix, request.projection.iter().flatten(), false);
        let filter_on_table = false;
        let spec = PageSpec {
            end_bound,
            filter: request.filter,
            projection: request.projection,
            limit: request.limit,
            count_only: request.count_only,
            lek_keys: schema.entry_keys(ix).into_iter().cloned().collect(),
            segment: None,
            fetch_from_table,
            filter_on_table,
        };
        let exclusive_lower = request.exclusive_start_key.is_some() && forward;
        Ok(PageRead {
            entries: EntriesOf::Range {
                space,
                lower: if exclusive_lower {
                    Bound::Excluded(lower)
                } else {
                    Bound::Included(lower)
                },
                upper: upper.map_or(Bound::Unbounded, Bound::Excluded),
                reverse: !forward,
            },
            spec,
        })
    }

    /// Checks a scan and plans its read.
    fn checked_scan(&self, request: Scan) -> Result<PageRead> {
        let schema = self.schema.clone();
        check_limit(request.limit)?;
        check_read_expressions(&request.filter, &request.projection)?;
        check_select(request.count_only, &request.projection)?;
        if let Some(seg) = request.segment {
            if seg.total == 0 || seg.total > 1_000_000 || seg.segment >= seg.total {
                return Err(Error::invalid(format!(
                    "1 validation error detected: Value '{}' at 'segment' failed to satisfy constraint: Member must have value less than or equal to {}",
                    seg.segment,
                    seg.total.saturating_sub(1)
                )));
            }
        }
        let index = resolve_index(&schema, &request.index, request.consistent_read)?;
        check_scalar_keys(&schema, read_paths(&request.filter, &request.projection))?;
        let ix = index.map(|(_, ix)| ix);
        // A scan's filter may name attributes the index does not project (DynamoDB Local).
        check_projected(&schema, ix, &request.projection, &None)?;
        let space = index.map_or(Space::Table, |(i, _)| Space::Index(i));
        let start = match &request.exclusive_start_key {
            Some(esk) => {
                let s = check_start_key(&schema, ix, esk)?;
                if let Some(seg) = request.segment {
                    if segment_of(&schema, esk, seg.total) != seg.segment {
                        return Err(Error::invalid(
                            "Exclusive start key must lie within the segment",
                        ));
                    }
                }
                Some(s)
            }
            None => None,
        };
        let fetch_from_table =
            fetches_from_table(&schema, ix, request.projection.iter().flatten(), false);
        let filter_on_table = fetches_from_table(
            &schema,
            ix,
            request.filter.iter().flat_map(|f| f.paths()),
            true,
        );
        // A local index is scanned partition by partition, in the table's partition order.
        let local = index
            .filter(|(_, ix)| ix.kind == IndexKind::Local)
            .map(|(i, _)| i);
        let start_partition = request
            .exclusive_start_key
            .as_ref()
            .and_then(|esk| esk.get(&schema.partition_key.name).cloned());
        let start_key = request.exclusive_start_key.clone();
        let spec = PageSpec {
            end_bound: None,
            filter: request.filter,
            projection: request.projection,
            limit: request.limit,
            count_only: request.count_only,
            lek_keys: schema.entry_keys(ix).into_iter().cloned().collect(),
            segment: request.segment,
            fetch_from_table,
            filter_on_table,
        };
        let entries = match local {
            Some(position) => EntriesOf::LocalIndex {
                position,
                start: start_partition.zip(start_key),
            },
            None => EntriesOf::Range {
                space,
                lower: start.map_or(Bound::Unbounded, Bound::Excluded),
                upper: Bound::Unbounded,
                reverse: false,
            },
        };
        Ok(PageRead { entries, spec })
    }

    /// Checks a GetItem and encodes its key.
    fn checked_get(&self, request: &GetItem) -> Result<Vec<u8>> {
        check_projection(&request.projection)?;
        check_scalar_keys(&self.schema, request.projection.iter().flatten())?;
        validate::check_key(&self.schema, &request.key)?;
        Ok(table_key(&self.schema, &request.key))
    }

    /// Reads a page, its items copied out of the store.
    async fn read_page(&self, read: PageRead, operation: &'static str) -> Result<Page> {
        let schema = self.schema.clone();
        self.storage
            .read(&self.schema, move |view| {
                let entries = read.entries.of(&schema, view)?;
                read_owned_page(&schema, view, entries, &read.spec)
            })
            .instrument(self.span(operation))
            .await
    }

    /// Reads a page, lending its items to `visit`: on the calling thread where the store can
    /// read there (no copies), else through [`Engine::read_page`].
    async fn lend_page(
        &self,
        read: PageRead,
        operation: &'static str,
        visit: &mut ItemVisitor<'_>,
    ) -> Result<Page> {
        let schema = &*self.schema;
        let here = self.span(operation).in_scope(|| {
            self.storage.read_here(schema, |view| {
                let entries = read.entries.of(schema, view)?;
                pages::read_page(schema, view, entries, &read.spec, &mut |kept| {
                    visit(lent(&kept))
                })
            })
        });
        if let Ok(out) = here {
            return out;
        }
        let mut page = self.read_page(read, operation).await?;
        for item in std::mem::take(&mut page.items) {
            visit(LentItem::item(&item))?;
        }
        Ok(page)
    }
}

/// A checked query or scan: which entries it reads, and how it makes its page of them.
struct PageRead {
    entries: EntriesOf,
    spec: PageSpec,
}

/// The entries a page is read from.
enum EntriesOf {
    /// A range of one space.
    Range {
        space: Space,
        lower: Bound<Vec<u8>>,
        upper: Bound<Vec<u8>>,
        reverse: bool,
    },
    /// A local index, partition by partition in the table's order, after the start (its
    /// partition value and the exclusive start key).
    LocalIndex {
        position: usize,
        start: Option<(Value, Item)>,
    },
}

impl EntriesOf {
    fn of<'a>(&self, schema: &TableSchema, view: &'a dyn StorageRead) -> Result<StoredEntries<'a>> {
        match self {
            EntriesOf::Range {
                space,
                lower,
                upper,
                reverse,
            } => view.range_stored(
                *space,
                lower.as_ref().map(Vec::as_slice),
                upper.as_ref().map(Vec::as_slice),
                *reverse,
            ),
            EntriesOf::LocalIndex { position, start } => {
                let entries = local_index_entries(
                    view,
                    schema,
                    *position,
                    start.as_ref().map(|(pk, esk)| (pk, esk)),
                )?;
                Ok(Box::new(entries.map(|entry| {
                    entry.map(|(key, item)| (key, Stored::Item(item)))
                })))
            }
        }
    }
}

#[async_trait]
impl<S: Storage> Repository for Engine<S> {
    fn schema(&self) -> &TableSchema {
        &self.schema
    }

    async fn create_table(&self) -> Result<()> {
        self.storage
            .create(&self.schema)
            .instrument(self.span("CreateTable"))
            .await
    }

    async fn get_item(&self, request: GetItem) -> Result<Option<Item>> {
        let key = self.checked_get(&request)?;
        self.storage
            .read(&self.schema, move |view| {
                Ok(view
                    .get(Space::Table, &key)?
                    .map(|item| project(item, &request.projection).into_owned()))
            })
            .instrument(self.span("GetItem"))
            .await
    }

    async fn get_item_with(&self, request: GetItem, visit: &mut ItemVisitor<'_>) -> Result<bool> {
        let key = self.checked_get(&request)?;
        let here = self.span("GetItem").in_scope(|| {
            // One request of the view: get_stored, once.
            self.storage.read_one_here(&self.schema, |view| {
                let Some(stored) = view.get_stored(Space::Table, &key)? else {
                    return Ok(false);
                };
                let kept = match Kept::of(view, stored, request.projection.is_some())? {
                    Kept::Item(item) => Kept::Item(project(item, &request.projection)),
                    read => read,
                };
                visit(lent(&kept)).map(|()| true)
            })
        });
        if let Ok(out) = here {
            return out;
        }
        match self.get_item(request).await? {
            Some(item) => visit(LentItem::item(&item)).map(|()| true),
            None => Ok(false),
        }
    }

    async fn query_with(&self, request: Query, visit: &mut ItemVisitor<'_>) -> Result<Page> {
        let read = self.checked_query(request)?;
        self.lend_page(read, "Query", visit).await
    }

    async fn scan_with(&self, request: Scan, visit: &mut ItemVisitor<'_>) -> Result<Page> {
        let read = self.checked_scan(request)?;
        self.lend_page(read, "Scan", visit).await
    }

    async fn put_item(&self, request: PutItem) -> Result<Option<Item>> {
        only_none_or_all_old(request.return_values)?;
        check_item(&self.schema, &request.item, WriteKind::Put)?;
        check_condition(&request.condition)?;
        check_scalar_keys(&self.schema, read_paths(&request.condition, &None))?;
        let schema = self.schema.clone();
        self.storage
            .write(&self.schema, move |view| {
                let key = table_key(&schema, &request.item);
                let old = view.get(Space::Table, &key)?;
                require_condition(
                    &request.condition,
                    old.as_deref(),
                    request.return_old_on_condition_failure,
                )?;
                let new = Some(Cow::Owned(request.item));
                let mutations = item_mutations_at(&schema, key, old.as_deref(), new);
                let out = (request.return_values == ReturnValues::AllOld)
                    .then(|| old.map(Cow::into_owned))
                    .flatten();
                Ok((out, mutations))
            })
            .instrument(self.span("PutItem"))
            .await
    }

    async fn update_item(&self, request: UpdateItem) -> Result<Option<Item>> {
        validate::check_key(&self.schema, &request.key)?;
        if !request.update.is_empty() {
            check::check_update_expression(&request.update)?;
        }
        check_condition(&request.condition)?;
        check_scalar_keys(&self.schema, read_paths(&request.condition, &None))?;
        let schema = self.schema.clone();
        self.storage
            .write(&self.schema, move |view| {
                let key = table_key(&schema, &request.key);
                let old = view.get(Space::Table, &key)?;
                let old = old.as_deref();
                require_condition(
                    &request.condition,
                    old,
                    request.return_old_on_condition_failure,
                )?;
                // A key attribute in the update, or a path into one, is reported only once
                // the condition holds.
                if !request.update.is_empty() {
                    eval::check_update_keys(&schema, &request.update)?;
                    check_scalar_keys(&schema, update_paths(&request.update))?;
                }
                let updated = if request.update.is_empty() {
                    eval::Updated {
                        item: old.cloned().unwrap_or_else(|| request.key.clone()),
                        touched: BTreeSet::new(),
                        touched_new: BTreeSet::new(),
                    }
                } else {
                    eval::apply_update(old, &request.key, &request.update)?
                };
                check_item(&schema, &updated.item, WriteKind::Update)?;
                let out = match request.return_values {
                    ReturnValues::None => None,
                    ReturnValues::AllOld => old.cloned(),
                    ReturnValues::AllNew => Some(updated.item.clone()),
                    ReturnValues::UpdatedOld => select_touched(old.cloned(), &updated.touched),
                    ReturnValues::UpdatedNew => {
                        select_touched(Some(updated.item.clone()), &updated.touched_new)
                    }
                };
                let new = Some(Cow::Owned(updated.item));
                let mutations = item_mutations_at(&schema, key, old, new);
                Ok((out, mutations))
            })
            .instrument(self.span("UpdateItem"))
            .await
    }

    async fn delete_item(&self, request: DeleteItem) -> Result<Option<Item>> {
        only_none_or_all_old(request.return_values)?;
        validate::check_key(&self.schema, &request.key)?;
        check_condition(&request.condition)?;
        check_scalar_keys(&self.schema, read_paths(&request.condition, &None))?;
        let schema = self.schema.clone();
        self.storage
            .write(&self.schema, move |view| {
                let key = table_key(&schema, &request.key);
                let old = view.get(Space::Table, &key)?;
                require_condition(
                    &request.condition,
                    old.as_deref(),
                    request.return_old_on_condition_failure,
                )?;
                let mutations = match &old {
                    Some(o) => item_mutations_at(&schema, key, Some(o), None),
                    None => Vec::new(),
                };
                let out = (request.return_values == ReturnValues::AllOld)
                    .then(|| old.map(Cow::into_owned))
                    .flatten();
                Ok((out, mutations))
            })
            .instrument(self.span("DeleteItem"))
            .await
    }

    async fn query(&self, request: Query) -> Result<Page> {
        let read = self.checked_query(request)?;
        self.read_page(read, "Query").await
    }

    async fn scan(&self, request: Scan) -> Result<Page> {
        let read = self.checked_scan(request)?;
        self.read_page(read, "Scan").await
    }

    async fn batch_get_item(
        &self,
        keys: Vec<Item>,
        projection: Option<Vec<Path>>,
    ) -> Result<BatchGetOutput> {
        if keys.is_empty() {
            return Err(Error::invalid("BatchGetItem must have some requests set"));
        }
        if keys.len() > MAX_BATCH_GET {
            return Err(Error::invalid(
                "Too many items requested for the BatchGetItem call",
            ));
        }
        check_projection(&projection)?;
        check_scalar_keys(&self.schema, projection.iter().flatten())?;
        let mut seen = Seen::default();
        let mut encoded = Vec::with_capacity(keys.len());
        for k in &keys {
            validate::check_key(&self.schema, k)?;
            let e = table_key(&self.schema, k);
            seen.insert(e.clone(), "Provided list of item keys contains duplicates")?;
            encoded.push(e);
        }
        self.storage
            .read(&self.schema, move |view| {
                let mut items = Vec::new();
                for k in &encoded {
                    if let Some(item) = view.get(Space::Table, k)? {
                        items.push(project(item, &projection).into_owned());
                    }
                }
                Ok(BatchGetOutput {
                    items,
                    unprocessed_keys: Vec::new(),
                })
            })
            .instrument(self.span("BatchGetItem"))
            .await
    }

    async fn batch_write_item(&self, writes: Vec<WriteRequest>) -> Result<BatchWriteOutput> {
        if writes.is_empty() {
            return Err(Error::invalid(
                "BatchWriteItem cannot have a null or no requests set",
            ));
        }
        if writes.len() > MAX_BATCH_WRITE {
            return Err(Error::invalid(
                "Too many items requested for the BatchWriteItem call",
            ));
        }
        let mut seen = Seen::default();
        let mut keys = Vec::with_capacity(writes.len());
        for w in &writes {
            let key = match w {
                WriteRequest::Put(item) => {
                    check_item(&self.schema, item, WriteKind::Put)?;
                    item
                }
                WriteRequest::Delete(key) => {
                    validate::check_key(&self.schema, key)?;
                    key
                }
            };
            let key = table_key(&self.schema, key);
            seen.insert(
                key.clone(),
                "Provided list of item keys contains duplicates",
            )?;
            keys.push(key);
        }
        let schema = self.schema.clone();
        self.storage
            .write(&self.schema, move |view| {
                let mut mutations = Vec::new();
                for (w, key) in writes.into_iter().zip(keys) {
                    let new = match w {
                        WriteRequest::Put(item) => Some(item),
                        WriteRequest::Delete(_) => None,
                    };
                    let old = view.get(Space::Table, &key)?;
                    if old.is_some() || new.is_some() {
                        let new = new.map(Cow::Owned);
                        mutations.extend(item_mutations_at(&schema, key, old.as_deref(), new));
                    }
                }
                Ok((BatchWriteOutput::default(), mutations))
            })
            .instrument(self.span("BatchWriteItem"))
            .await
    }

    async fn transact_write_items(&self, request: TransactWrite) -> Result<()> {
        self.transact_write(request).await
    }

    async fn transact_get_items(&self, keys: Vec<Item>) -> Result<Vec<Option<Item>>> {
        self.transact_get(keys).await
    }
}

/// A kept entry as the item a read lends.
fn lent<'a>(kept: &'a Kept<'_>) -> LentItem<'a> {
    match kept {
        Kept::Item(item) => LentItem::item(item),
        Kept::Read(read) => LentItem::read(read),
    }
}
