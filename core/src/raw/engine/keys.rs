//! Encoded keys: where an item and its index entries live in a [`Storage`], the ranges a
//! key condition reads, and the checks on start keys.

use std::borrow::Cow;
use std::ops::Bound;
use std::sync::Arc;

use super::storage::{Entries, Mutation, Space, StorageRead};
use crate::error::{Error, Result};
use crate::expr::check;
use crate::expr::SortKeyCondition;
use crate::item::{Item, Value};
use crate::raw::keycodec;
use crate::raw::validate::{check_key_condition_operand, check_key_condition_value};
use crate::schema::{IndexKind, IndexSchema, KeyAttribute, Projection, QueryKeys, TableSchema};

/// The encoded table key of an item (or key): DynamoDB Local's hash of the partition key,
/// then the partition key and the sort key, so that a scan reads partitions in DynamoDB
/// Local's order while each partition stays one contiguous range.
///
/// ```
/// use monotable_core::raw::table_key;
/// use monotable_core::{Item, TableSchema};
/// let schema = TableSchema::single_table("app");
/// let key = |sk: &str| table_key(&schema, &Item::from([("pk", "USER#u1"), ("sk", sk)]));
/// assert_eq!(key("A")[..20], key("B")[..20]); // the partition key's hash comes first
/// assert!(key("ORDER#1") < key("ORDER#2")); // then the keys, in DynamoDB's order
/// ```
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
pub(super) fn partition_prefix(space: Space, value: &Value) -> Vec<u8> {
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
    index_key_at(schema, index, item, &table_key(schema, item))
}

/// [`index_key`] for an item whose [`table_key`] is `table_key`.
fn index_key_at(
    schema: &TableSchema,
    index: &IndexSchema,
    item: &Item,
    table_key: &[u8],
) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(64 + table_key.len());
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
    out.extend_from_slice(table_key);
    Some(out)
}

/// Whether index `index` projects attribute `name` (the table's and the index's keys always).
fn projects(schema: &TableSchema, index: &IndexSchema, name: &str) -> bool {
    let projected = match &index.projection {
        Projection::All => true,
        Projection::KeysOnly => false,
        Projection::Include(list) => list.iter().any(|n| n == name),
    };
    projected || schema.is_key_attribute(name) || index.keys().any(|k| k.name == name)
}

/// Index `index`'s entry for `item`: the attributes it projects.
fn index_entry(schema: &TableSchema, index: &IndexSchema, item: &Item) -> Item {
    item.iter()
        .filter(|(k, _)| projects(schema, index, k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Index `index`'s entry for `item`, sharing the item itself when the index projects all of
/// its attributes (always, for an index that projects `ALL`).
fn shared_index_entry(schema: &TableSchema, index: &IndexSchema, item: &Arc<Item>) -> Arc<Item> {
    if item.iter().all(|(k, _)| projects(schema, index, k)) {
        Arc::clone(item)
    } else {
        Arc::new(index_entry(schema, index, item))
    }
}

/// The mutations that replace `old` by `new` (either may be absent) in the table and every
/// index.
///
/// ```
/// use monotable_core::raw::{item_mutations, Space};
/// use monotable_core::{Item, TableSchema};
/// let schema = TableSchema::single_table("shop").with_gsi("gsi1");
/// let open = Item::from([("pk", "U#1"), ("sk", "O#1"), ("gsi1pk", "OPEN"), ("gsi1sk", "O#1")]);
/// let shipped = open.clone().with("gsi1pk", "SHIPPED");
/// // The table entry is replaced; the gsi1 entry moves: old key deleted, new key written.
/// let m = item_mutations(&schema, Some(&open), Some(&shipped));
/// let shape: Vec<_> = m.iter().map(|m| (m.space, m.item.is_some())).collect();
/// assert_eq!(shape, [(Space::Table, true), (Space::Index(0), false), (Space::Index(0), true)]);
/// // An item without gsi1's keys has no entry there (a sparse index).
/// let bare = Item::from([("pk", "U#1"), ("sk", "O#1")]);
/// assert_eq!(item_mutations(&schema, None, Some(&bare)).len(), 1);
/// ```
pub fn item_mutations(
    schema: &TableSchema,
    old: Option<&Item>,
    new: Option<&Item>,
) -> Vec<Mutation> {
    let key = table_key(schema, new.or(old).expect("an old or a new item"));
    item_mutations_at(schema, key, old, new.map(Cow::Borrowed))
}

/// [`item_mutations`] for the item whose [`table_key`] is `key` (both items have that
/// primary key); the new item is moved into the table entry if owned.
pub(super) fn item_mutations_at(
    schema: &TableSchema,
    key: Vec<u8>,
    old: Option<&Item>,
    new: Option<Cow<'_, Item>>,
) -> Vec<Mutation> {
    let new = new.map(|n| Arc::new(n.into_owned()));
    let mut out = Vec::with_capacity(1 + 2 * schema.indexes.len());
    for (i, index) in schema.indexes.iter().enumerate() {
        let old_key = old.and_then(|o| index_key_at(schema, index, o, &key));
        let new_key = new
            .as_deref()
            .and_then(|n| index_key_at(schema, index, n, &key));
        if let Some(ok) = &old_key {
            if new_key.as_ref() != Some(ok) {
                out.push(Mutation {
                    space: Space::Index(i),
                    key: ok.clone(),
                    item: None,
                });
            }
        }
        if let (Some(nk), Some(n)) = (new_key, &new) {
            out.push(Mutation {
                space: Space::Index(i),
                key: nk,
                item: Some(shared_index_entry(schema, index, n)),
            });
        }
    }
    // The table's entry first (the order applied and documented).
    out.insert(
        0,
        Mutation {
            space: Space::Table,
            key,
            item: new,
        },
    );
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
                item: Some(Arc::new(index_entry(schema, index, &item))),
            });
        }
    }
    Ok(out)
}

/// The entries of local index `position`, partition by partition in the table's partition
/// order (DynamoDB Local's order for a scan of a local index), starting after `start` (the
/// partition value and the exclusive start key).
pub(super) fn local_index_entries<'a>(
    view: &'a dyn StorageRead,
    schema: &TableSchema,
    position: usize,
    start: Option<(&Value, &Item)>,
) -> Result<Entries<'a>> {
    let table_lo = start.map(|(pk, _)| partition_prefix(Space::Table, pk));
    let lower = match &table_lo {
        Some(lo) => Bound::Included(lo.as_slice()),
        None => Bound::Unbounded,
    };
    let pk_name = schema.partition_key.name.clone();
    let mut previous: Option<Value> = None;
    let partitions = view
        .range(Space::Table, lower, Bound::Unbounded, false)?
        .filter_map(move |entry| match entry {
            Err(e) => Some(Err(e)),
            Ok((_, item)) => {
                let pk = item.get(&pk_name)?;
                if previous.as_ref() == Some(pk) {
                    return None;
                }
                previous = Some(pk.clone());
                Some(Ok(pk.clone()))
            }
        });
    let space = Space::Index(position);
    let start = start.map(|(pk, esk)| (pk.clone(), esk.clone()));
    let ls_name = schema.indexes[position]
        .sort_keys
        .first()
        .map(|k| k.name.clone())
        .unwrap_or_default();
    let sk_name = schema
        .sort_key
        .as_ref()
        .map(|k| k.name.clone())
        .unwrap_or_default();
    let out = partitions.flat_map(move |pk| -> Entries<'a> {
        let pk = match pk {
            Ok(pk) => pk,
            Err(e) => return Box::new(std::iter::once(Err(e))),
        };
        let prefix = partition_prefix(space, &pk);
        let upper = keycodec::prefix_successor(&prefix);
        let hi = match &upper {
            Some(u) => Bound::Excluded(u.as_slice()),
            None => Bound::Unbounded,
        };
        let entries = match view
            .range(space, Bound::Included(prefix.as_slice()), hi, false)
            .and_then(|e| e.collect::<Result<Vec<_>>>())
        {
            Ok(entries) => entries,
            Err(e) => return Box::new(std::iter::once(Err(e))),
        };
        // Within a partition a scan gives equal index sort keys in table sort-key order.
        let order = |item: &Item| {
            let mut k = Vec::new();
            for name in [&ls_name, &sk_name] {
                if let Some(v) = item.get(name.as_str()) {
                    keycodec::encode_into(&mut k, v);
                }
            }
            k
        };
        let mut entries: Vec<_> = entries
            .into_iter()
            .map(|(key, item)| (order(&item), key, item))
            .collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        if let Some((_, start_item)) = start.as_ref().filter(|(first, _)| *first == pk) {
            let from = order(start_item);
            entries.retain(|(o, _, _)| *o > from);
        }
        Box::new(entries.into_iter().map(|(_, key, item)| Ok((key, item))))
    });
    Ok(Box::new(out))
}

/// The key attributes of a space: for an index, its keys then the table's.
pub(super) fn lek_of(keys: &[&KeyAttribute], item: &Item) -> Item {
    keys.iter()
        .filter_map(|k| item.get(&k.name).map(|v| (k.name.clone(), v.clone())))
        .collect()
}

pub(super) fn check_start_key(
    schema: &TableSchema,
    index: Option<&IndexSchema>,
    esk: &Item,
) -> Result<Vec<u8>> {
    let keys = schema.entry_keys(index);
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
    // Every key's type first, then empty values: the table's keys, then the index's (rule
    // MK28). DynamoDB Local's texts.
    if keys.iter().any(|k| !k.key_type.matches(&esk[&k.name])) {
        return Err(Error::invalid("Type mismatch for attribute to update"));
    }
    let table_keys = schema.keys();
    let index_keys = keys
        .iter()
        .copied()
        .filter(|k| !schema.is_key_attribute(&k.name));
    for (i, k) in table_keys.chain(index_keys).enumerate() {
        let v = &esk[&k.name];
        let empty = match v {
            Value::S(s) if s.is_empty() => "empty string value",
            Value::B(b) if b.is_empty() => "empty binary value",
            _ => continue,
        };
        return Err(Error::invalid(match index {
            Some(ix) if !schema.is_key_attribute(&k.name) => format!(
                "The provided starting key is invalid: One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an {empty}. IndexName: {}, IndexKey: {}",
                ix.name, k.name
            ),
            // The table's partition key.
            _ if i == 0 => format!(
                "The query can return at most one row and cannot be restarted. The provided starting key is invalid: One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an {empty}. Key: {}",
                k.name
            ),
            _ => format!(
                "The provided starting key is invalid: One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an {empty}. Key: {}",
                k.name
            ),
        }));
    }
    Ok(match index {
        Some(i) => index_key(schema, i, esk).unwrap_or_default(),
        None => table_key(schema, esk),
    })
}

/// A key condition operand of a type keys cannot have is rejected before anything else.
fn check_key_operand_types(kc: &crate::expr::KeyCondition) -> Result<()> {
    let mut operands: Vec<(&str, &Value)> = kc.partition.iter().map(|v| ("=", v)).collect();
    operands.extend(kc.sort_prefix.iter().map(|v| ("=", v)));
    match &kc.sort {
        Some(SortKeyCondition::Eq(v)) => operands.push(("=", v)),
        Some(SortKeyCondition::Lt(v)) => operands.push(("<", v)),
        Some(SortKeyCondition::Le(v)) => operands.push(("<=", v)),
        Some(SortKeyCondition::Gt(v)) => operands.push((">", v)),
        Some(SortKeyCondition::Ge(v)) => operands.push((">=", v)),
        Some(SortKeyCondition::Between(a, b)) => {
            operands.push(("BETWEEN", a));
            operands.push(("BETWEEN", b));
        }
        Some(SortKeyCondition::BeginsWith(v)) => operands.push(("begins_with", v)),
        None => {}
    }
    for (operator, v) in operands {
        if !matches!(v, Value::S(_) | Value::N(_) | Value::B(_)) {
            return Err(Error::invalid(format!(
                "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: {operator}, operand type: {}",
                v.value_type().name()
            )));
        }
    }
    Ok(())
}

/// The byte range of a query's key condition on these keys.
pub(super) fn query_range(
    space: Space,
    keys: QueryKeys<'_>,
    kc: &crate::expr::KeyCondition,
    index: Option<&str>,
) -> Result<(Vec<u8>, Option<Vec<u8>>)> {
    check_key_operand_types(kc)?;
    crate::raw::validate::check_key_condition_shape(keys, kc)?;
    let mut p = Vec::new();
    for (attr, v) in keys.partition.iter().zip(&kc.partition) {
        check_key_condition_value(attr, v, index)?;
        if space == Space::Table {
            p.extend_from_slice(&keycodec::local_hash(v));
        }
        keycodec::encode_into(&mut p, v);
    }
    for (attr, v) in keys.sort.iter().zip(&kc.sort_prefix) {
        check_key_condition_value(attr, v, index)?;
        keycodec::encode_into(&mut p, v);
    }
    let end = |bytes: &[u8]| keycodec::prefix_successor(bytes);
    let Some(sort) = &kc.sort else {
        return Ok((p.clone(), end(&p)));
    };
    let sort_attr = &keys.sort[kc.sort_prefix.len()];
    check_key_condition_operand(sort_attr, sort, index)?;
    let with = |v: &Value| -> Result<Vec<u8>> {
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
            if check::compare_values(a, b) == Some(std::cmp::Ordering::Greater) {
                return Err(Error::invalid(format!(
                    "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {}, upper bound operand: AttributeValue: {}",
                    check::short(a), check::short(b)
                )));
            }
            (lo, end(&hi))
        }
        SortKeyCondition::BeginsWith(v) => {
            let mut k = p.clone();
            k.extend(keycodec::encode_prefix(v));
            let e = end(&k);
            (k, e)
        }
    })
}

pub(super) fn sort_matches(cond: &SortKeyCondition, v: &Value) -> bool {
    use std::cmp::Ordering::*;
    let c = |x: &Value| check::compare_values(v, x);
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
