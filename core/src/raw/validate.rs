//! DynamoDB's rules for values, keys and items, checked before any write.

use crate::error::{Error, Result};
use crate::item::check_value;
use crate::item::{Item, Value};
use crate::schema::{
    IndexSchema, KeyAttribute, QueryKeys, TableSchema, MAX_ITEM_SIZE, MAX_PARTITION_KEY_SIZE,
    MAX_SORT_KEY_SIZE,
};

fn empty_key_message(v: &Value) -> &'static str {
    if matches!(v, Value::B(_)) {
        "empty binary value"
    } else {
        "empty string value"
    }
}

fn is_empty_scalar(v: &Value) -> bool {
    matches!(v, Value::S(s) if s.is_empty()) || matches!(v, Value::B(b) if b.is_empty())
}

fn scalar_len(v: &Value) -> usize {
    match v {
        Value::S(s) => s.len(),
        Value::B(b) => b.len(),
        _ => 0,
    }
}

/// Checks one table key attribute's value in an item or key.
fn check_table_key_value(attr: &KeyAttribute, v: &Value, is_sort: bool) -> Result<()> {
    if matches!(
        v,
        Value::Ss(_)
            | Value::Ns(_)
            | Value::Bs(_)
            | Value::M(_)
            | Value::L(_)
            | Value::Null
            | Value::Bool(_)
    ) {
        return Err(Error::invalid("Invalid attribute value type"));
    }
    if !attr.key_type.matches(v) {
        return Err(Error::invalid(
            "One or more parameter values were invalid: Type mismatch for key",
        ));
    }
    if is_empty_scalar(v) {
        return Err(Error::invalid(format!(
            "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an {}. Key: {}",
            empty_key_message(v),
            attr.name
        )));
    }
    let limit = if is_sort {
        MAX_SORT_KEY_SIZE
    } else {
        MAX_PARTITION_KEY_SIZE
    };
    if scalar_len(v) > limit {
        return Err(Error::invalid(
            "One or more parameter values were invalid: Size limit exceeded",
        ));
    }
    Ok(())
}

/// Checks a key given to get, delete or update: exactly the table's key attributes, of the
/// right types, non-empty, within the size limits.
pub fn check_key(schema: &TableSchema, key: &Item) -> Result<()> {
    let expected = schema.keys().count();
    if key.len() != expected {
        return Err(Error::invalid(
            "The number of conditions on the keys is invalid",
        ));
    }
    for (i, attr) in schema.keys().enumerate() {
        let v = key
            .get(&attr.name)
            .ok_or_else(|| Error::invalid("One of the required keys was not given a value"))?;
        check_table_key_value(attr, v, i == 1).map_err(size_message)?;
    }
    Ok(())
}

fn size_message(e: Error) -> Error {
    match e {
        // DynamoDB Local's text, without the usual "One or more parameter values were invalid".
        Error::InvalidRequest { message } if message.ends_with("Size limit exceeded") => Error::invalid(
            "Hash primary key values must be under 2048 bytes, and range primary key values must be under 1024 bytes",
        ),
        other => other,
    }
}

/// How an item reached the write path, for DynamoDB's different messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteKind {
    /// PutItem, a batch put, a transaction put.
    Put,
    /// UpdateItem or a transaction update.
    Update,
}

/// Checks an item about to be written: key attributes present and valid, every value valid,
/// size within 400 KB, index keys of the right type (or absent).
pub fn check_item(schema: &TableSchema, item: &Item, kind: WriteKind) -> Result<()> {
    check_item_except_index_keys(schema, item, kind)?;
    check_index_keys(schema, item, kind)
}

/// Checks an item's key attributes, values and size, as [`check_item`] does, but not its
/// index keys (a transaction reports those as a cancellation reason, not as a request error).
pub fn check_item_except_index_keys(
    schema: &TableSchema,
    item: &Item,
    kind: WriteKind,
) -> Result<()> {
    for (i, attr) in schema.keys().enumerate() {
        let v = item
            .get(&attr.name)
            .ok_or_else(|| Error::invalid("One of the required keys was not given a value"))?;
        check_table_key_value(attr, v, i == 1).map_err(size_message)?;
    }
    for (name, v) in item.iter() {
        if name.is_empty() {
            return Err(Error::invalid("Empty attribute name"));
        }
        // DynamoDB Local's UpdateItem text for too deep a value stops where PutItem's goes on.
        if kind == WriteKind::Update && crate::item::container_depth(v) >= crate::item::MAX_NESTING
        {
            return Err(Error::invalid(
                "Nesting Levels have exceeded supported limits",
            ));
        }
        check_value(v)?;
    }
    check_item_size(item, kind)
}

/// Checks the item's size against the 400 KB limit.
pub fn check_item_size(item: &Item, kind: WriteKind) -> Result<()> {
    let size = item.size();
    if size > MAX_ITEM_SIZE {
        let message = match kind {
            WriteKind::Put => "Item size has exceeded the maximum allowed size",
            WriteKind::Update => "Item size to update has exceeded the maximum allowed size",
        };
        return Err(Error::ItemTooLarge {
            message: message.to_string(),
            size,
            limit: MAX_ITEM_SIZE,
        });
    }
    Ok(())
}

/// Checks the item's secondary index keys: the right type, not empty, within the key size
/// limits (an absent key is fine: the item is not in that index). Indexes are checked in
/// DynamoDB Local's order ([`TableSchema::indexes_in_local_order`]), which decides the index
/// a message names when several hold the attribute (rule MK13).
pub fn check_index_keys(schema: &TableSchema, item: &Item, kind: WriteKind) -> Result<()> {
    schema
        .indexes_in_local_order()
        .try_for_each(|index| check_one_index(index, item, kind))
}

/// A key attribute's size as DynamoDB counts it: bytes of S and B, stored bytes of N.
fn key_size(v: &Value) -> usize {
    match v {
        Value::N(n) => crate::raw::keycodec::dynamodb_number_bytes(n).len(),
        other => scalar_len(other),
    }
}

fn check_one_index(index: &IndexSchema, item: &Item, kind: WriteKind) -> Result<()> {
    let hash_count = index.partition_keys.len();
    for (i, attr) in index.keys().enumerate() {
        let Some(v) = item.get(&attr.name) else {
            continue;
        };
        if !attr.key_type.matches(v) {
            return Err(Error::invalid(
                "One or more parameter values were invalid: Type mismatch for Index Key",
            ));
        }
        if is_empty_scalar(v) {
            return Err(Error::invalid(match kind {
                WriteKind::Put => format!(
                    "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an {}. IndexName: {}, IndexKey: {}",
                    empty_key_message(v),
                    index.name, attr.name
                ),
                WriteKind::Update => "One or more parameter values are not valid. The update expression attempted to update a secondary index key to a value that is not supported. The AttributeValue for a key attribute cannot contain an empty string value.".to_string(),
            }));
        }
        let limit = if i >= hash_count {
            MAX_SORT_KEY_SIZE
        } else {
            MAX_PARTITION_KEY_SIZE
        };
        if scalar_len(v) > limit {
            return Err(Error::invalid(
                "One or more parameter values were invalid: Size limit exceeded",
            ));
        }
    }
    // A multi-attribute index also limits the sum over its partition attributes and over its
    // sort attributes, counting those present (rule MK12).
    if index.is_multi_attribute() {
        for (label, attrs, limit) in [
            ("HASH", &index.partition_keys, MAX_PARTITION_KEY_SIZE),
            ("RANGE", &index.sort_keys, MAX_SORT_KEY_SIZE),
        ] {
            let present: Vec<(&str, usize)> = attrs
                .iter()
                .filter_map(|a| item.get(&a.name).map(|v| (a.name.as_str(), key_size(v))))
                .collect();
            let total: usize = present.iter().map(|(_, n)| n).sum();
            if total > limit {
                let names: Vec<&str> = present.iter().map(|(n, _)| *n).collect();
                return Err(Error::invalid(format!(
                    "Aggregate size for {label} key attributes {} of index {} has exceeded limit {limit} bytes, with actual size {total} bytes",
                    names.join(", "),
                    index.name
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_size_boundary() {
        let schema = TableSchema::single_table("t_t");
        let item = |n: usize| {
            Item::new()
                .with("pk", "p")
                .with("sk", "s")
                .with("f", "x".repeat(n))
        };
        assert!(check_item(&schema, &item(409_593), WriteKind::Put).is_ok());
        assert!(matches!(
            check_item(&schema, &item(409_594), WriteKind::Put),
            Err(Error::ItemTooLarge { size: 409_601, .. })
        ));
    }

    #[test]
    fn key_rules() {
        let schema = TableSchema::single_table("t_t");
        assert!(check_key(&schema, &Item::new().with("pk", "p").with("sk", "s")).is_ok());
        assert!(check_key(&schema, &Item::new().with("pk", "p")).is_err());
        assert!(check_key(&schema, &Item::new().with("pk", "").with("sk", "s")).is_err());
        assert!(check_key(&schema, &Item::new().with("pk", 1).with("sk", "s")).is_err());
        assert!(check_key(
            &schema,
            &Item::new().with("pk", "x".repeat(2048)).with("sk", "s")
        )
        .is_ok());
        assert!(check_key(
            &schema,
            &Item::new().with("pk", "x".repeat(2049)).with("sk", "s")
        )
        .is_err());
    }
}

/// The key condition names each partition attribute once and no more sort attributes than
/// there are (a condition parsed from text always does; one built in code may not).
pub fn check_key_condition_shape(keys: QueryKeys<'_>, kc: &crate::expr::KeyCondition) -> Result<()> {
    let missed = || Error::invalid("Query condition missed key schema element");
    let sort_named = kc.sort_prefix.len() + usize::from(kc.sort.is_some());
    if kc.partition.len() > keys.partition.len() || sort_named > keys.sort.len() {
        if keys.is_multi_attribute() && keys.sort.is_empty() {
            return Err(Error::invalid("Query key condition not supported"));
        }
        return Err(missed());
    }
    if kc.partition.len() < keys.partition.len() {
        if keys.partition.len() > 1 {
            let names: Vec<&str> = keys.partition[kc.partition.len()..]
                .iter()
                .map(|k| k.name.as_str())
                .collect();
            return Err(Error::invalid(format!(
                "HASH key attributes {} must have equality conditions specified in the query",
                names.join(", ")
            )));
        }
        return Err(missed());
    }
    Ok(())
}
