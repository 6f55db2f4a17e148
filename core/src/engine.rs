//! The local engine: DynamoDB's semantics over any ordered key-value store.
//!
//! The memory and SQLite backends implement only [`Storage`] — get, ordered range reads and
//! an atomic apply of [`Mutation`]s — and wrap it in [`Engine`], which implements
//! [`Repository`]. Validation, key encoding, conditions, updates, pagination, limits,
//! batches and transactions are all here, once, so the local backends cannot drift apart.

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::ops::Bound;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tracing::Instrument;

use crate::error::{CancellationCode, CancellationReason, Error, Result};
use crate::eval;
use crate::expr::{Condition, Path, SortKeyCondition};
use crate::keycodec;
use crate::repository::*;
use crate::schema::{IndexKind, IndexSchema, KeyAttribute, Projection, TableSchema};
use crate::validate::{self, WriteKind};
use crate::value::{Item, Value};

/// Where an entry lives: the table, or one of its indexes (by position in the schema).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Space {
    /// The base table: key = encoded partition key then sort key.
    Table,
    /// A secondary index: key = encoded index keys then the table's keys.
    Index(usize),
}

/// Entries of a range read, in key order (or reverse).
pub type Entries<'a> = Box<dyn Iterator<Item = Result<(Vec<u8>, Item)>> + 'a>;

/// Read access to a store, inside [`Storage::read`] or [`Storage::write`].
pub trait StorageRead {
    /// The entry at `key`.
    fn get(&self, space: Space, key: &[u8]) -> Result<Option<Item>>;
    /// The entries between the bounds, ascending, or descending if `reverse`.
    fn range<'a>(
        &'a self,
        space: Space,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        reverse: bool,
    ) -> Result<Entries<'a>>;
}

/// One change to a store: put `item` at `key`, or delete `key` if `item` is `None`.
#[derive(Debug, Clone)]
pub struct Mutation {
    /// Where.
    pub space: Space,
    /// The encoded key.
    pub key: Vec<u8>,
    /// The new entry, or `None` to delete.
    pub item: Option<Item>,
}

/// An ordered key-value store that the [`Engine`] turns into a DynamoDB-faithful repository.
///
/// Reads see a consistent snapshot; a write's closure runs with exclusive write access and
/// its mutations are applied atomically, only if it returns `Ok`.
pub trait Storage: Send + Sync + 'static {
    /// The backend's name, for spans and errors (`"memory"`, `"sqlite"`).
    const BACKEND: &'static str;

    /// Creates the table's spaces for `schema` if missing (and fills a newly declared index
    /// from the existing items).
    fn create(&self, schema: &TableSchema) -> impl Future<Output = Result<()>> + Send;

    /// Runs `f` against a consistent view of `schema`'s table; [`Error::TableNotFound`] if
    /// the table was never created.
    fn read<R, F>(&self, schema: &TableSchema, f: F) -> impl Future<Output = Result<R>> + Send
    where
        R: Send + 'static,
        F: FnOnce(&dyn StorageRead) -> Result<R> + Send + 'static;

    /// Runs `f` with exclusive write access to `schema`'s table and applies its mutations
    /// atomically.
    fn write<R, F>(&self, schema: &TableSchema, f: F) -> impl Future<Output = Result<R>> + Send
    where
        R: Send + 'static,
        F: FnOnce(&dyn StorageRead) -> Result<(R, Vec<Mutation>)> + Send + 'static;
}

/// Largest page, in bytes of evaluated items.
pub const PAGE_SIZE_LIMIT: usize = 1_048_576;

/// A [`Repository`] over a [`Storage`], with DynamoDB's semantics.
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

const TOKEN_WINDOW: Duration = Duration::from_secs(600);

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

// ---- keys and index entries ----------------------------------------------------------------

/// The encoded table key of an item (or key): DynamoDB Local's hash of the partition key,
/// then the partition key and the sort key, so that a scan reads partitions in DynamoDB
/// Local's order while each partition stays one contiguous range.
pub fn table_key(schema: &TableSchema, item: &Item) -> Vec<u8> {
    let mut out = Vec::new();
    if let Some(pk) = item.get(&schema.partition_key.name) {
        out.extend_from_slice(&keycodec::local_hash(pk));
    }
    for k in schema.keys() {
        if let Some(v) = item.get(&k.name) {
            keycodec::encode_into(&mut out, v);
        }
    }
    out
}

/// The start of every key of one partition of a space.
fn partition_prefix(space: Space, value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    if space == Space::Table {
        out.extend_from_slice(&keycodec::local_hash(value));
    }
    keycodec::encode_into(&mut out, value);
    out
}

/// The encoded index key of an item, or `None` if the item is not in the index (sparse):
/// the index keys, then DynamoDB Local's tie order (for a global index, its hash of the
/// table keys; for a local one, the hash of the table's sort key), then the table key.
pub fn index_key(schema: &TableSchema, index: &IndexSchema, item: &Item) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for k in index.keys() {
        let v = item.get(&k.name).filter(|v| k.key_type.matches(v))?;
        keycodec::encode_into(&mut out, v);
    }
    let pk = item.get(&schema.partition_key.name)?;
    let sk = schema.sort_key.as_ref().and_then(|k| item.get(&k.name));
    match (index.kind, sk) {
        (IndexKind::Local, Some(sk)) => out.extend_from_slice(&keycodec::local_hash(sk)),
        _ => out.extend_from_slice(&keycodec::local_tie(pk, sk)),
    }
    out.extend(table_key(schema, item));
    Some(out)
}

fn index_entry(schema: &TableSchema, index: &IndexSchema, item: &Item) -> Item {
    let keep = |name: &str| {
        schema.is_key_attribute(name)
            || index.keys().any(|k| k.name == name)
            || match &index.projection {
                Projection::All => true,
                Projection::KeysOnly => false,
                Projection::Include(list) => list.iter().any(|n| n == name),
            }
    };
    item.iter()
        .filter(|(k, _)| keep(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The mutations that replace `old` by `new` (either may be absent) in the table and every
/// index.
pub fn item_mutations(
    schema: &TableSchema,
    old: Option<&Item>,
    new: Option<&Item>,
) -> Vec<Mutation> {
    let mut out = Vec::new();
    let key = table_key(schema, new.or(old).expect("an old or a new item"));
    out.push(Mutation {
        space: Space::Table,
        key,
        item: new.cloned(),
    });
    for (i, index) in schema.indexes.iter().enumerate() {
        let old_key = old.and_then(|o| index_key(schema, index, o));
        let new_key = new.and_then(|n| index_key(schema, index, n));
        if let Some(ok) = &old_key {
            if new_key.as_ref() != Some(ok) {
                out.push(Mutation {
                    space: Space::Index(i),
                    key: ok.clone(),
                    item: None,
                });
            }
        }
        if let (Some(nk), Some(n)) = (new_key, new) {
            out.push(Mutation {
                space: Space::Index(i),
                key: nk,
                item: Some(index_entry(schema, index, n)),
            });
        }
    }
    out
}

/// Every mutation that builds index `position` from the table's existing items.
pub fn backfill_index(
    schema: &TableSchema,
    position: usize,
    view: &dyn StorageRead,
) -> Result<Vec<Mutation>> {
    let index = &schema.indexes[position];
    let mut out = Vec::new();
    for entry in view.range(Space::Table, Bound::Unbounded, Bound::Unbounded, false)? {
        let (_, item) = entry?;
        if let Some(key) = index_key(schema, index, &item) {
            out.push(Mutation {
                space: Space::Index(position),
                key,
                item: Some(index_entry(schema, index, &item)),
            });
        }
    }
    Ok(out)
}

// ---- checks shared by the operations -------------------------------------------------------

fn check_condition(c: &Option<Condition>) -> Result<()> {
    match c {
        Some(c) => eval::check_condition(c, "ConditionExpression"),
        None => Ok(()),
    }
}

fn check_projection(p: &Option<Vec<Path>>) -> Result<()> {
    match p {
        Some(p) => eval::check_projection(p),
        None => Ok(()),
    }
}

fn condition_holds(c: &Option<Condition>, old: Option<&Item>) -> bool {
    match c {
        None => true,
        Some(c) => eval::evaluate(c, old.unwrap_or(&Item::new())),
    }
}

fn condition_failed(old: Option<Item>, return_old: bool) -> Error {
    Error::ConditionFailed {
        item: if return_old { old.map(Box::new) } else { None },
    }
}

fn project(item: Item, projection: &Option<Vec<Path>>) -> Item {
    match projection {
        Some(p) => eval::project(&item, p),
        None => item,
    }
}

fn only_none_or_all_old(rv: ReturnValues) -> Result<()> {
    match rv {
        ReturnValues::None | ReturnValues::AllOld => Ok(()),
        _ => Err(Error::invalid("Return values set to invalid value")),
    }
}

fn check_limit(limit: Option<u32>) -> Result<()> {
    match limit {
        Some(0) => Err(Error::invalid("Limit must be greater than or equal to 1")),
        _ => Ok(()),
    }
}

fn select_touched(item: Option<Item>, touched: &BTreeSet<String>) -> Option<Item> {
    let item = item?;
    let out: Item = item
        .into_iter()
        .filter(|(k, _)| touched.contains(k))
        .collect();
    (!out.is_empty()).then_some(out)
}

/// The key attributes of a space: for an index, its keys then the table's.
fn space_keys<'a>(
    schema: &'a TableSchema,
    index: Option<&'a IndexSchema>,
) -> Vec<&'a KeyAttribute> {
    let mut keys: Vec<&KeyAttribute> = index.map(|i| i.keys().collect()).unwrap_or_default();
    for k in schema.keys() {
        if !keys.iter().any(|x| x.name == k.name) {
            keys.push(k);
        }
    }
    keys
}

fn lek_of(keys: &[&KeyAttribute], item: &Item) -> Item {
    keys.iter()
        .filter_map(|k| item.get(&k.name).map(|v| (k.name.clone(), v.clone())))
        .collect()
}

fn check_start_key(
    schema: &TableSchema,
    index: Option<&IndexSchema>,
    esk: &Item,
) -> Result<Vec<u8>> {
    let keys = space_keys(schema, index);
    if esk.is_empty() {
        return Err(Error::invalid("The provided starting key is invalid"));
    }
    if index.is_none() && esk.len() != keys.len() {
        return Err(Error::invalid(
            "Exclusive Start Key must have same size as table's key schema",
        ));
    }
    if esk.len() != keys.len() || keys.iter().any(|k| !esk.contains_key(&k.name)) {
        return Err(Error::invalid("The provided starting key is invalid"));
    }
    for k in &keys {
        let v = &esk[&k.name];
        if !k.key_type.matches(v) {
            return Err(Error::invalid(
                "The provided starting key is invalid: Type mismatch for attribute to update",
            ));
        }
        if matches!(v, Value::S(s) if s.is_empty()) || matches!(v, Value::B(b) if b.is_empty()) {
            return Err(Error::invalid(format!(
                "The provided starting key is invalid: One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: {}",
                k.name
            )));
        }
    }
    Ok(match index {
        Some(i) => index_key(schema, i, esk).unwrap_or_default(),
        None => table_key(schema, esk),
    })
}

fn check_key_value(attr: &KeyAttribute, v: &Value) -> Result<()> {
    if !attr.key_type.matches(v) {
        return Err(Error::invalid(
            "One or more parameter values were invalid: Condition parameter type does not match schema type",
        ));
    }
    if matches!(v, Value::S(s) if s.is_empty()) || matches!(v, Value::B(b) if b.is_empty()) {
        return Err(Error::invalid(format!(
            "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: {}",
            attr.name
        )));
    }
    Ok(())
}

/// The byte range of a query's key condition, and the sort attribute for the start-key check.
fn query_range(
    space: Space,
    partition_attr: &KeyAttribute,
    sort_attr: Option<&KeyAttribute>,
    kc: &crate::expr::KeyCondition,
) -> Result<(Vec<u8>, Option<Vec<u8>>)> {
    check_key_value(partition_attr, &kc.partition)?;
    let p = partition_prefix(space, &kc.partition);
    let end = |bytes: &[u8]| keycodec::prefix_successor(bytes);
    let Some(sort) = &kc.sort else {
        return Ok((p.clone(), end(&p)));
    };
    let sort_attr =
        sort_attr.ok_or_else(|| Error::invalid("Query condition missed key schema element"))?;
    let with = |v: &Value| -> Result<Vec<u8>> {
        check_key_value(sort_attr, v)?;
        if v.as_s().map(str::len).unwrap_or(0) > crate::schema::MAX_SORT_KEY_SIZE {
            return Err(Error::invalid("One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes"));
        }
        let mut x = p.clone();
        keycodec::encode_into(&mut x, v);
        Ok(x)
    };
    Ok(match sort {
        SortKeyCondition::Eq(v) => {
            let k = with(v)?;
            let e = end(&k);
            (k, e)
        }
        SortKeyCondition::Lt(v) => (p.clone(), Some(with(v)?)),
        SortKeyCondition::Le(v) => (p.clone(), end(&with(v)?)),
        SortKeyCondition::Gt(v) => (end(&with(v)?).unwrap_or_default(), end(&p)),
        SortKeyCondition::Ge(v) => (with(v)?, end(&p)),
        SortKeyCondition::Between(a, b) => {
            let (lo, hi) = (with(a)?, with(b)?);
            if a.value_type() != b.value_type() {
                return Err(Error::invalid("Invalid KeyConditionExpression: The BETWEEN operator requires same data type for lower and upper bounds"));
            }
            if eval::compare_values(a, b) == Some(std::cmp::Ordering::Greater) {
                return Err(Error::invalid(format!(
                    "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {}, upper bound operand: AttributeValue: {}",
                    short(a), short(b)
                )));
            }
            (lo, end(&hi))
        }
        SortKeyCondition::BeginsWith(v) => {
            if sort_attr.key_type == crate::schema::KeyType::N {
                return Err(Error::invalid("Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"));
            }
            check_key_value(sort_attr, v)?;
            let mut k = p.clone();
            k.extend(keycodec::encode_prefix(v));
            let e = end(&k);
            (k, e)
        }
    })
}

fn short(v: &Value) -> String {
    match v {
        Value::S(s) => format!("{{S:{s}}}"),
        Value::N(n) => format!("{{N:{n}}}"),
        other => format!("{other:?}"),
    }
}

fn segment_of(schema: &TableSchema, item: &Item, total: u32) -> u32 {
    match item.get(&schema.partition_key.name) {
        Some(pk) => keycodec::local_segment(&keycodec::local_hash(pk), total),
        None => 0,
    }
}

struct PageSpec {
    /// The sort attribute and the inclusive bound at the end of the range in the direction
    /// of travel: stopping by Limit on that value gives no last key (DynamoDB Local, R44).
    end_bound: Option<(String, Value)>,
    filter: Option<Condition>,
    projection: Option<Vec<Path>>,
    limit: Option<u32>,
    count_only: bool,
    lek_keys: Vec<KeyAttribute>,
    segment: Option<Segment>,
}

fn read_page(schema: &TableSchema, entries: Entries<'_>, spec: &PageSpec) -> Result<Page> {
    let mut page = Page::default();
    let mut bytes = 0usize;
    let keys: Vec<&KeyAttribute> = spec.lek_keys.iter().collect();
    for entry in entries {
        let (_, item) = entry?;
        if let Some(seg) = spec.segment {
            if segment_of(schema, &item, seg.total) != seg.segment {
                continue;
            }
        }
        page.scanned_count += 1;
        bytes += item.size();
        let by_limit = spec.limit.is_some_and(|l| page.scanned_count >= l as usize);
        let full = by_limit || bytes >= PAGE_SIZE_LIMIT;
        let at_end_bound = spec
            .end_bound
            .as_ref()
            .is_some_and(|(attr, bound)| item.get(attr) == Some(bound));
        if full && !(by_limit && at_end_bound && bytes < PAGE_SIZE_LIMIT) {
            page.last_evaluated_key = Some(lek_of(&keys, &item));
        }
        if spec
            .filter
            .as_ref()
            .is_none_or(|f| eval::evaluate(f, &item))
        {
            page.count += 1;
            if !spec.count_only {
                page.items.push(project(item, &spec.projection));
            }
        }
        if full {
            break;
        }
    }
    Ok(page)
}

fn resolve_index<'a>(
    schema: &'a TableSchema,
    name: &Option<String>,
    consistent: bool,
) -> Result<Option<(usize, &'a IndexSchema)>> {
    match name {
        None => Ok(None),
        Some(n) => {
            let (i, index) = schema.index(n)?;
            if consistent && index.kind == IndexKind::Global {
                return Err(Error::invalid(
                    "Consistent reads are not supported on global secondary indexes",
                ));
            }
            Ok(Some((i, index)))
        }
    }
}

/// A global index that does not project every attribute cannot return or filter on the
/// others (a local index fetches them from the table).
fn check_projected(
    schema: &TableSchema,
    index: Option<&IndexSchema>,
    projection: &Option<Vec<Path>>,
    filter: &Option<Condition>,
) -> Result<()> {
    let Some(index) =
        index.filter(|i| i.kind == IndexKind::Global && i.projection != Projection::All)
    else {
        return Ok(());
    };
    let projected = |name: &str| {
        schema.is_key_attribute(name)
            || index.keys().any(|k| k.name == name)
            || matches!(&index.projection, Projection::Include(list) if list.iter().any(|n| n == name))
    };
    let missing = |paths: Vec<&Path>| -> Vec<String> {
        let mut names: Vec<String> = paths
            .into_iter()
            .map(|p| p.root().to_string())
            .filter(|n| !projected(n))
            .collect();
        names.dedup();
        names
    };
    if let Some(p) = projection {
        let names = missing(p.iter().collect());
        if !names.is_empty() {
            return Err(Error::invalid(format!(
                "One or more parameter values were invalid: Global secondary index {} does not project [{}]",
                index.name,
                names.join(", ")
            )));
        }
    }
    if let Some(f) = filter {
        let names = missing(f.paths());
        if !names.is_empty() {
            return Err(Error::invalid(format!(
                "One or more parameter values were invalid: Secondary index {} does not project one or more filter attributes: [{}]",
                index.name,
                names.join(", ")
            )));
        }
    }
    Ok(())
}

fn check_select(count_only: bool, projection: &Option<Vec<Path>>) -> Result<()> {
    if count_only && projection.is_some() {
        return Err(Error::invalid(
            "Cannot specify the ProjectionExpression when choosing to get only the Count",
        ));
    }
    check_projection(projection)
}

#[derive(Default)]
struct Seen(BTreeSet<Vec<u8>>);

impl Seen {
    fn insert(&mut self, key: Vec<u8>, message: &str) -> Result<()> {
        if self.0.insert(key) {
            Ok(())
        } else {
            Err(Error::invalid(message))
        }
    }
}

enum Prepared {
    Put(Item),
    Update(Item, crate::expr::Update),
    Delete(Item),
    Check(Item),
}

impl Prepared {
    fn key(&self) -> &Item {
        match self {
            Prepared::Put(i)
            | Prepared::Update(i, _)
            | Prepared::Delete(i)
            | Prepared::Check(i) => i,
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
        validate::check_key(&self.schema, &request.key)?;
        check_projection(&request.projection)?;
        let key = table_key(&self.schema, &request.key);
        self.storage
            .read(&self.schema, move |view| {
                Ok(view
                    .get(Space::Table, &key)?
                    .map(|item| project(item, &request.projection)))
            })
            .instrument(self.span("GetItem"))
            .await
    }

    async fn put_item(&self, request: PutItem) -> Result<Option<Item>> {
        validate::check_item(&self.schema, &request.item, WriteKind::Put)?;
        check_condition(&request.condition)?;
        only_none_or_all_old(request.return_values)?;
        let schema = self.schema.clone();
        self.storage
            .write(&self.schema, move |view| {
                let key = table_key(&schema, &request.item);
                let old = view.get(Space::Table, &key)?;
                if !condition_holds(&request.condition, old.as_ref()) {
                    return Err(condition_failed(
                        old,
                        request.return_old_on_condition_failure,
                    ));
                }
                let mutations = item_mutations(&schema, old.as_ref(), Some(&request.item));
                let out = (request.return_values == ReturnValues::AllOld)
                    .then_some(old)
                    .flatten();
                Ok((out, mutations))
            })
            .instrument(self.span("PutItem"))
            .await
    }

    async fn update_item(&self, request: UpdateItem) -> Result<Option<Item>> {
        validate::check_key(&self.schema, &request.key)?;
        if !request.update.is_empty() {
            eval::check_update(&self.schema, &request.update)?;
        }
        check_condition(&request.condition)?;
        let schema = self.schema.clone();
        self.storage
            .write(&self.schema, move |view| {
                let key = table_key(&schema, &request.key);
                let old = view.get(Space::Table, &key)?;
                if !condition_holds(&request.condition, old.as_ref()) {
                    return Err(condition_failed(
                        old,
                        request.return_old_on_condition_failure,
                    ));
                }
                let updated = if request.update.is_empty() {
                    eval::Updated {
                        item: old.clone().unwrap_or_else(|| request.key.clone()),
                        touched: BTreeSet::new(),
                    }
                } else {
                    eval::apply_update(old.as_ref(), &request.key, &request.update)?
                };
                validate::check_item(&schema, &updated.item, WriteKind::Update)?;
                let mutations = item_mutations(&schema, old.as_ref(), Some(&updated.item));
                let out = match request.return_values {
                    ReturnValues::None => None,
                    ReturnValues::AllOld => old,
                    ReturnValues::AllNew => Some(updated.item),
                    ReturnValues::UpdatedOld => select_touched(old, &updated.touched),
                    ReturnValues::UpdatedNew => {
                        select_touched(Some(updated.item), &updated.touched)
                    }
                };
                Ok((out, mutations))
            })
            .instrument(self.span("UpdateItem"))
            .await
    }

    async fn delete_item(&self, request: DeleteItem) -> Result<Option<Item>> {
        validate::check_key(&self.schema, &request.key)?;
        check_condition(&request.condition)?;
        only_none_or_all_old(request.return_values)?;
        let schema = self.schema.clone();
        self.storage
            .write(&self.schema, move |view| {
                let key = table_key(&schema, &request.key);
                let old = view.get(Space::Table, &key)?;
                if !condition_holds(&request.condition, old.as_ref()) {
                    return Err(condition_failed(
                        old,
                        request.return_old_on_condition_failure,
                    ));
                }
                let mutations = match &old {
                    Some(o) => item_mutations(&schema, Some(o), None),
                    None => Vec::new(),
                };
                let out = (request.return_values == ReturnValues::AllOld)
                    .then_some(old)
                    .flatten();
                Ok((out, mutations))
            })
            .instrument(self.span("DeleteItem"))
            .await
    }

    async fn query(&self, request: Query) -> Result<Page> {
        let schema = self.schema.clone();
        check_limit(request.limit)?;
        check_select(request.count_only, &request.projection)?;
        let index = resolve_index(&schema, &request.index, request.consistent_read)?;
        let (space, pk_attr, sk_attr) = match index {
            Some((i, ix)) => (Space::Index(i), &ix.partition_key, ix.sort_key.as_ref()),
            None => (
                Space::Table,
                &schema.partition_key,
                schema.sort_key.as_ref(),
            ),
        };
        if let Some(f) = &request.filter {
            eval::check_condition(f, "FilterExpression")?;
            for p in f.paths() {
                if p.root() == pk_attr.name || sk_attr.is_some_and(|s| s.name == p.root()) {
                    return Err(Error::invalid(format!(
                        "Filter Expression can only contain non-primary key attributes: Primary key attribute: {}",
                        p.root()
                    )));
                }
            }
        }
        let (mut lower, upper) = query_range(space, pk_attr, sk_attr, &request.key_condition)?;
        let mut upper = upper;
        let ix = index.map(|(_, ix)| ix);
        check_projected(&schema, ix, &request.projection, &request.filter)?;
        let start = match &request.exclusive_start_key {
            Some(esk) => {
                let start = check_start_key(&schema, ix, esk)?;
                let in_range = start.as_slice() >= lower.as_slice()
                    && upper
                        .as_ref()
                        .is_none_or(|u| start.as_slice() < u.as_slice());
                let sort_ok = match (&request.key_condition.sort, sk_attr) {
                    (Some(cond), Some(sk)) => {
                        esk.get(&sk.name).is_some_and(|v| sort_matches(cond, v))
                    }
                    _ => true,
                };
                if !in_range
                    || !sort_ok
                    || esk.get(&pk_attr.name) != Some(&request.key_condition.partition)
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
        let end_bound = match (&request.key_condition.sort, sk_attr, forward) {
            (Some(SortKeyCondition::Le(v) | SortKeyCondition::Between(_, v)), Some(sk), true)
            | (Some(SortKeyCondition::Ge(v) | SortKeyCondition::Between(v, _)), Some(sk), false) => {
                Some((sk.name.clone(), v.clone()))
            }
            _ => None,
        };
        let spec = PageSpec {
            end_bound,
            filter: request.filter,
            projection: request.projection,
            limit: request.limit,
            count_only: request.count_only,
            lek_keys: space_keys(&schema, ix).into_iter().cloned().collect(),
            segment: None,
        };
        let exclusive_lower = request.exclusive_start_key.is_some() && forward;
        let schema2 = schema.clone();
        self.storage
            .read(&self.schema, move |view| {
                let lo = if exclusive_lower {
                    Bound::Excluded(lower.as_slice())
                } else {
                    Bound::Included(lower.as_slice())
                };
                let hi = match &upper {
                    Some(u) => Bound::Excluded(u.as_slice()),
                    None => Bound::Unbounded,
                };
                let entries = view.range(space, lo, hi, !forward)?;
                read_page(&schema2, entries, &spec)
            })
            .instrument(self.span("Query"))
            .await
    }

    async fn scan(&self, request: Scan) -> Result<Page> {
        let schema = self.schema.clone();
        check_limit(request.limit)?;
        check_select(request.count_only, &request.projection)?;
        if let Some(f) = &request.filter {
            eval::check_condition(f, "FilterExpression")?;
        }
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
        let ix = index.map(|(_, ix)| ix);
        check_projected(&schema, ix, &request.projection, &request.filter)?;
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
        let spec = PageSpec {
            end_bound: None,
            filter: request.filter,
            projection: request.projection,
            limit: request.limit,
            count_only: request.count_only,
            lek_keys: space_keys(&schema, ix).into_iter().cloned().collect(),
            segment: request.segment,
        };
        let schema2 = schema.clone();
        self.storage
            .read(&self.schema, move |view| {
                let lo = match &start {
                    Some(s) => Bound::Excluded(s.as_slice()),
                    None => Bound::Unbounded,
                };
                let entries = view.range(space, lo, Bound::Unbounded, false)?;
                read_page(&schema2, entries, &spec)
            })
            .instrument(self.span("Scan"))
            .await
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
                        items.push(project(item, &projection));
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
        for w in &writes {
            let key = match w {
                WriteRequest::Put(item) => {
                    validate::check_item(&self.schema, item, WriteKind::Put)?;
                    item
                }
                WriteRequest::Delete(key) => {
                    validate::check_key(&self.schema, key)?;
                    key
                }
            };
            seen.insert(
                table_key(&self.schema, key),
                "Provided list of item keys contains duplicates",
            )?;
        }
        let schema = self.schema.clone();
        self.storage
            .write(&self.schema, move |view| {
                let mut mutations = Vec::new();
                for w in &writes {
                    let (key, new) = match w {
                        WriteRequest::Put(item) => (item, Some(item)),
                        WriteRequest::Delete(key) => (key, None),
                    };
                    let old = view.get(Space::Table, &table_key(&schema, key))?;
                    if old.is_some() || new.is_some() {
                        mutations.extend(item_mutations(&schema, old.as_ref(), new));
                    }
                }
                Ok((BatchWriteOutput::default(), mutations))
            })
            .instrument(self.span("BatchWriteItem"))
            .await
    }

    async fn transact_write_items(&self, request: TransactWrite) -> Result<()> {
        let n = request.items.len();
        if n == 0 {
            return Err(Error::invalid("1 validation error detected: Value '[]' at 'transactItems' failed to satisfy constraint: Member must have length greater than or equal to 1"));
        }
        if n > MAX_TRANSACTION_ACTIONS {
            return Err(Error::invalid("1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100"));
        }
        if let Some(token) = &request.client_request_token {
            if token.len() > 36 || token.is_empty() {
                return Err(Error::invalid(format!("1 validation error detected: Value '{token}' at 'clientRequestToken' failed to satisfy constraint: Member must have length less than or equal to 36")));
            }
        }
        let mut seen = Seen::default();
        let mut prepared = Vec::with_capacity(n);
        for action in &request.items {
            if let Some(c) = action.condition() {
                eval::check_condition(c, "ConditionExpression")?;
            }
            // Static checks reject the whole request; what depends on the table's keys and
            // indexes is reported per action below, as DynamoDB does.
            let p = match action {
                TransactWriteItem::Put { item, .. } => {
                    validate::check_item_except_index_keys(&self.schema, item, WriteKind::Put)?;
                    Prepared::Put(item.clone())
                }
                TransactWriteItem::Update { key, update, .. } => {
                    validate::check_key(&self.schema, key)?;
                    if !update.is_empty() {
                        eval::check_update_expression(update)?;
                    }
                    Prepared::Update(key.clone(), update.clone())
                }
                TransactWriteItem::Delete { key, .. } => {
                    validate::check_key(&self.schema, key)?;
                    Prepared::Delete(key.clone())
                }
                TransactWriteItem::ConditionCheck { key, .. } => {
                    validate::check_key(&self.schema, key)?;
                    Prepared::Check(key.clone())
                }
            };
            seen.insert(
                table_key(&self.schema, p.key()),
                "Transaction request cannot include multiple operations on one item",
            )?;
            prepared.push(p);
        }
        if let Some(token) = &request.client_request_token {
            let fingerprint = format!("{:?}", request.items);
            let mut tokens = self
                .tokens
                .lock()
                .map_err(|_| Error::invalid("token table poisoned"))?;
            tokens.retain(|_, (_, at)| at.elapsed() < TOKEN_WINDOW);
            if let Some((seen, _)) = tokens.get(token) {
                return if *seen == fingerprint {
                    Ok(())
                } else {
                    Err(Error::invalid(
                        "IdempotentParameterMismatch: the token was used with a different request",
                    ))
                };
            }
            tokens.insert(token.clone(), (fingerprint, Instant::now()));
        }
        let schema = self.schema.clone();
        let actions = request.items;
        let result = self
            .storage
            .write(&self.schema, move |view| {
                let olds = prepared
                    .iter()
                    .map(|p| view.get(Space::Table, &table_key(&schema, p.key())))
                    .collect::<Result<Vec<_>>>()?;
                // First every update is evaluated: an error there (a missing operand, a bad
                // path, a wrong operand type) rejects the whole request, conditions or not.
                let mut news = Vec::with_capacity(n);
                for (p, old) in prepared.iter().zip(&olds) {
                    news.push(match p {
                        Prepared::Put(item) => Some(item.clone()),
                        Prepared::Delete(_) | Prepared::Check(_) => None,
                        Prepared::Update(key, update) if update.is_empty() => {
                            Some(old.clone().unwrap_or_else(|| key.clone()))
                        }
                        Prepared::Update(key, update) => {
                            if eval::check_update_keys(&schema, update).is_err() {
                                None
                            } else {
                                Some(eval::apply_update(old.as_ref(), key, update)?.item)
                            }
                        }
                    });
                }
                // Then conditions and what the table's keys and limits say, one reason each.
                let mut reasons = Vec::with_capacity(n);
                let mut mutations = Vec::new();
                for ((action, p), (old, new)) in actions
                    .iter()
                    .zip(&prepared)
                    .zip(olds.into_iter().zip(news))
                {
                    let reason = if !condition_holds(&action.condition().cloned(), old.as_ref()) {
                        CancellationReason {
                            code: CancellationCode::ConditionalCheckFailed,
                            message: Some("The conditional request failed".into()),
                            item: if action.return_old_on_condition_failure() {
                                old.clone()
                            } else {
                                None
                            },
                        }
                    } else {
                        let invalid = match (p, &new) {
                            // No new item: the first pass found a key attribute updated.
                            (Prepared::Update(_, update), None) => {
                                eval::check_update_keys(&schema, update).err()
                            }
                            (Prepared::Put(_), Some(item)) => {
                                validate::check_index_keys(&schema, item, WriteKind::Put).err()
                            }
                            (Prepared::Update(..), Some(item)) => {
                                validate::check_item(&schema, item, WriteKind::Update).err()
                            }
                            _ => None,
                        };
                        match invalid {
                            Some(e) => CancellationReason {
                                code: CancellationCode::ValidationError,
                                message: Some(e.to_string()),
                                item: None,
                            },
                            None => {
                                if !matches!(p, Prepared::Check(_))
                                    && (old.is_some() || new.is_some())
                                {
                                    mutations.extend(item_mutations(
                                        &schema,
                                        old.as_ref(),
                                        new.as_ref(),
                                    ));
                                }
                                CancellationReason::none()
                            }
                        }
                    };
                    reasons.push(reason);
                }
                if reasons.iter().any(|r| r.code != CancellationCode::None) {
                    return Err(Error::TransactionCanceled { reasons });
                }
                Ok(((), mutations))
            })
            .instrument(self.span("TransactWriteItems"))
            .await;
        if result.is_err() {
            if let Some(token) = &request.client_request_token {
                if let Ok(mut tokens) = self.tokens.lock() {
                    tokens.remove(token);
                }
            }
        }
        result
    }

    async fn transact_get_items(&self, keys: Vec<Item>) -> Result<Vec<Option<Item>>> {
        if keys.is_empty() {
            return Err(Error::invalid("1 validation error detected: Value null at 'transactItems' failed to satisfy constraint: Member must not be null"));
        }
        if keys.len() > MAX_TRANSACTION_ACTIONS {
            return Err(Error::invalid("1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100"));
        }
        let mut seen = Seen::default();
        let mut encoded = Vec::new();
        for k in &keys {
            validate::check_key(&self.schema, k)?;
            let e = table_key(&self.schema, k);
            seen.insert(
                e.clone(),
                "Transaction request cannot include multiple operations on one item",
            )?;
            encoded.push(e);
        }
        self.storage
            .read(&self.schema, move |view| {
                encoded.iter().map(|k| view.get(Space::Table, k)).collect()
            })
            .instrument(self.span("TransactGetItems"))
            .await
    }
}

fn sort_matches(cond: &SortKeyCondition, v: &Value) -> bool {
    use std::cmp::Ordering::*;
    let c = |x: &Value| eval::compare_values(v, x);
    match cond {
        SortKeyCondition::Eq(x) => c(x) == Some(Equal),
        SortKeyCondition::Lt(x) => c(x) == Some(Less),
        SortKeyCondition::Le(x) => matches!(c(x), Some(Less | Equal)),
        SortKeyCondition::Gt(x) => c(x) == Some(Greater),
        SortKeyCondition::Ge(x) => matches!(c(x), Some(Greater | Equal)),
        SortKeyCondition::Between(a, b) => {
            matches!(c(a), Some(Greater | Equal)) && matches!(c(b), Some(Less | Equal))
        }
        SortKeyCondition::BeginsWith(p) => match (v, p) {
            (Value::S(s), Value::S(p)) => s.as_bytes().starts_with(p.as_bytes()),
            (Value::B(s), Value::B(p)) => s.starts_with(p),
            _ => false,
        },
    }
}
