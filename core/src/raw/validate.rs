//! DynamoDB's rules for values, keys and items, checked before any write.

use crate::error::{Error, Result};
use crate::expr::{check, SortKeyCondition};
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
///
/// ```
/// use monotable_core::raw::validate::check_key;
/// use monotable_core::{Item, TableSchema};
/// let schema = TableSchema::single_table("app");
/// assert!(check_key(&schema, &Item::from([("pk", "USER#u1"), ("sk", "PROFILE")])).is_ok());
/// let message = |key: Item| check_key(&schema, &key).unwrap_err().to_string();
/// let extra = Item::from([("pk", "USER#u1"), ("sk", "PROFILE"), ("name", "Ada")]);
/// assert_eq!(message(extra), "The number of conditions on the keys is invalid");
/// let number = Item::from([("pk", "USER#u1")]).with("sk", 1);
/// let mismatch = "One or more parameter values were invalid: Type mismatch for key";
/// assert_eq!(message(number), mismatch);
/// ```
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

/// How an item reached the write path, for DynamoDB's different messages; see
/// [`check_item`]'s example.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteKind {
    /// PutItem, a batch put, a transaction put.
    Put,
    /// UpdateItem or a transaction update.
    Update,
}

/// Checks an item about to be written: key attributes present and valid, every value valid,
/// size within 400 KB, index keys of the right type (or absent).
///
/// ```
/// use monotable_core::raw::validate::{check_item, WriteKind};
/// use monotable_core::{Item, TableSchema};
/// let schema = TableSchema::single_table("app");
/// let no_sort_key = Item::from([("pk", "USER#u1")]);
/// let err = check_item(&schema, &no_sort_key, WriteKind::Put).unwrap_err();
/// assert_eq!(err.to_string(), "One of the required keys was not given a value");
/// let big = Item::from([("pk", "p"), ("sk", "s")]).with("blob", "x".repeat(409_600));
/// let err = check_item(&schema, &big, WriteKind::Update).unwrap_err();
/// let too_big = "Item size to update has exceeded the maximum allowed size";
/// assert!(err.to_string().starts_with(too_big));
/// ```
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

/// DynamoDB's message for an update that leaves an empty string or binary in an index key
/// attribute.
fn updated_to_empty(v: &Value) -> String {
    format!(
        "One or more parameter values are not valid. The update expression attempted to update a secondary index key to a value that is not supported. The AttributeValue for a key attribute cannot contain an {}.",
        empty_key_message(v)
    )
}

/// Rejects an updated item that holds an empty string or binary in any attribute that is a
/// key of some index. Inside a transaction this is a plain validation error of the whole
/// request, not a cancellation reason (rule MK11).
pub fn check_index_keys_not_emptied(schema: &TableSchema, item: &Item) -> Result<()> {
    let emptied = schema
        .indexes
        .iter()
        .flat_map(|i| i.keys())
        .find_map(|k| item.get(&k.name).filter(|v| is_empty_scalar(v)));
    match emptied {
        Some(v) => Err(Error::invalid(updated_to_empty(v))),
        None => Ok(()),
    }
}

/// Checks the item's secondary index keys: the right type, not empty, within the key size
/// limits (an absent key is fine: the item is not in that index). Indexes are checked in
/// DynamoDB Local's order ([`TableSchema::indexes_in_local_order`]), which decides the index
/// a message names when several hold the attribute (rule MK13).
pub fn check_index_keys(schema: &TableSchema, item: &Item, kind: WriteKind) -> Result<()> {
    schema
        .indexes_in_local_order()
        .try_for_each(|index| check_one_index(index, item, kind, true))
}

/// Checks a put item's secondary index keys as [`check_index_keys`] does, but not their
/// types: in a transaction an empty value or a size over a limit rejects the whole request,
/// while a key of the wrong type is the action's cancellation reason (rules MK10, MK30).
pub fn check_index_key_values(schema: &TableSchema, item: &Item) -> Result<()> {
    schema
        .indexes_in_local_order()
        .try_for_each(|index| check_one_index(index, item, WriteKind::Put, false))
}

/// A key attribute's size as DynamoDB counts it: bytes of S and B, stored bytes of N.
fn key_size(v: &Value) -> usize {
    match v {
        Value::N(n) => crate::raw::keycodec::dynamodb_number_bytes(n).len(),
        other => scalar_len(other),
    }
}

fn check_one_index(index: &IndexSchema, item: &Item, kind: WriteKind, types: bool) -> Result<()> {
    let hash_count = index.partition_keys.len();
    for (i, attr) in index.keys().enumerate() {
        let Some(v) = item.get(&attr.name) else {
            continue;
        };
        if !attr.key_type.matches(v) {
            if !types {
                continue;
            }
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
                WriteKind::Update => updated_to_empty(v),
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
    // sort attributes, counting those present (rule MK12) — of an item put, not of an
    // item updated: DynamoDB Local lets an update exceed the sums (rule MK29).
    if index.is_multi_attribute() && kind == WriteKind::Put {
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

/// A key condition's value against its key attribute: the type, then not empty (naming the
/// index's key, for a query of an index).
pub fn check_key_condition_value(
    attr: &KeyAttribute,
    v: &Value,
    index: Option<&str>,
) -> Result<()> {
    if !attr.key_type.matches(v) {
        return Err(Error::invalid(
            "One or more parameter values were invalid: Condition parameter type does not match schema type",
        ));
    }
    if is_empty_scalar(v) {
        return Err(Error::invalid(match index {
            Some(index) => format!(
                "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an {}. IndexName: {index}, IndexKey: {}",
                empty_key_message(v),
                attr.name
            ),
            None => format!(
                "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an {}. Key: {}",
                empty_key_message(v),
                attr.name
            ),
        }));
    }
    Ok(())
}

/// One key attribute's condition in a query, in DynamoDB Local's order: a number given to
/// `begins_with` (whatever the key's type), the bounds of `BETWEEN` of two types, then each
/// value against the key ([`check_key_condition_value`]). The parser calls it on a
/// multi-attribute index where DynamoDB Local checks (rule MK25); the engine on every
/// query.
pub fn check_key_condition_operand(
    attr: &KeyAttribute,
    cond: &SortKeyCondition,
    index: Option<&str>,
) -> Result<()> {
    match cond {
        SortKeyCondition::BeginsWith(Value::N(_)) => {
            return Err(Error::invalid("Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"));
        }
        SortKeyCondition::Between(a, b) if a.value_type() != b.value_type() => {
            return Err(Error::invalid(format!(
                "Invalid KeyConditionExpression: The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {}, upper bound operand: AttributeValue: {}",
                check::short(a), check::short(b)
            )));
        }
        _ => {}
    }
    match cond {
        SortKeyCondition::Between(a, b) => {
            check_key_condition_value(attr, a, index)?;
            check_key_condition_value(attr, b, index)
        }
        SortKeyCondition::Eq(v)
        | SortKeyCondition::Lt(v)
        | SortKeyCondition::Le(v)
        | SortKeyCondition::Gt(v)
        | SortKeyCondition::Ge(v)
        | SortKeyCondition::BeginsWith(v) => check_key_condition_value(attr, v, index),
    }
}

/// The key condition names each partition attribute once and no more sort attributes than
/// there are (a condition parsed from text always does; one built in code may not).
///
/// ```
/// use monotable_core::raw::validate::check_key_condition_shape;
/// use monotable_core::{IndexSchema, KeyAttribute as K, KeyCondition};
/// let by_team = IndexSchema::multi_attribute("byTeam", [K::s("org"), K::s("team")], []);
/// let org_only = KeyCondition::partition("acme");
/// let err = check_key_condition_shape(by_team.query_keys(), &org_only).unwrap_err();
/// let expected = "HASH key attributes team must have equality conditions specified in the query";
/// assert_eq!(err.to_string(), expected);
/// let both = KeyCondition::partitions(["acme".into(), "web".into()]);
/// assert!(check_key_condition_shape(by_team.query_keys(), &both).is_ok());
/// ```
pub fn check_key_condition_shape(
    keys: QueryKeys<'_>,
    kc: &crate::expr::KeyCondition,
) -> Result<()> {
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

    /// A table with the multi-attribute indexes of the MK vectors' `mk_t`, and a `wide`
    /// one whose RANGE attributes are a number and a string.
    fn mk_schema() -> TableSchema {
        TableSchema::single_table("mk_t")
            .with_index(IndexSchema::multi_attribute(
                "byOT",
                [KeyAttribute::s("org"), KeyAttribute::s("team")],
                [
                    KeyAttribute::n("prio"),
                    KeyAttribute::s("status"),
                    KeyAttribute::s("ts"),
                ],
            ))
            .with_index(IndexSchema::multi_attribute(
                "byOTh",
                [KeyAttribute::s("org"), KeyAttribute::s("team")],
                [],
            ))
            .with_index(IndexSchema::multi_attribute(
                "wide",
                [KeyAttribute::s("a"), KeyAttribute::s("b")],
                [KeyAttribute::n("r1"), KeyAttribute::s("r2")],
            ))
    }

    fn number(text: &str) -> Value {
        Value::N(crate::Number::parse(text).unwrap())
    }

    fn put(item: Item) -> std::result::Result<(), String> {
        check_index_keys(&mk_schema(), &item, WriteKind::Put).map_err(|e| e.to_string())
    }

    #[test]
    fn sums_count_a_number_by_its_stored_size() {
        let base = || Item::new().with("pk", "p").with("sk", "s");
        // MK12: prio 1 is 2 bytes, so 2 + 1000 + 22 = 1024 is within the RANGE limit.
        let by_ot = |ts: usize| {
            base()
                .with("prio", number("1"))
                .with("status", "s".repeat(1000))
                .with("ts", "t".repeat(ts))
        };
        assert_eq!(put(by_ot(22)), Ok(()));
        let e = put(by_ot(23)).unwrap_err();
        assert!(
            e.contains("RANGE key attributes prio, status, ts of index byOT has exceeded limit 1024 bytes, with actual size 1025 bytes"),
            "{e}"
        );
        // Recorded as p13m/put-wide-range-agg3..7: -1 is 3 bytes (with its terminator), 0
        // one, 123.45 four; a 20-digit integer eleven, 1e20 two (one digit pair); the
        // largest string that still fits is 1024 minus that.
        for (n, size) in [
            ("-1", 3),
            ("0", 1),
            ("123.45", 4),
            ("12345678901234567890", 11),
            ("1e20", 2),
        ] {
            let wide = |s: usize| base().with("r1", number(n)).with("r2", "x".repeat(s));
            assert_eq!(put(wide(1024 - size)), Ok(()), "{n}");
            let e = put(wide(1025 - size)).unwrap_err();
            assert!(e.contains("with actual size 1025 bytes"), "{n}: {e}");
        }
    }

    #[test]
    fn only_a_put_is_held_to_the_sums() {
        // MK29: an update may take the HASH attributes past 2048 bytes in sum; each one
        // stays within its own limit.
        let item = Item::new()
            .with("pk", "p")
            .with("sk", "s")
            .with("org", "o".repeat(1500))
            .with("team", "t".repeat(1000));
        let schema = mk_schema();
        assert!(check_index_keys(&schema, &item, WriteKind::Update).is_ok());
        let e = check_index_keys(&schema, &item, WriteKind::Put).unwrap_err();
        // byOTh comes before byOT in DynamoDB Local's order (MK13).
        assert!(e.to_string().contains("org, team of index byOTh"), "{e}");
        let over = item.clone().with("team", "t".repeat(2049));
        assert!(check_index_keys(&schema, &over, WriteKind::Update)
            .unwrap_err()
            .to_string()
            .contains("Size limit exceeded"));
    }

    #[test]
    fn a_transaction_put_leaves_a_wrong_type_to_its_reason() {
        // MK30: check_index_key_values rejects an empty key, not one of the wrong type.
        let schema = mk_schema();
        let base = Item::new().with("pk", "p").with("sk", "s");
        let wrong = base.clone().with("team", 1);
        assert!(check_index_key_values(&schema, &wrong).is_ok());
        assert!(check_index_keys(&schema, &wrong, WriteKind::Put).is_err());
        let empty = base.with("team", "");
        assert!(check_index_key_values(&schema, &empty)
            .unwrap_err()
            .to_string()
            .contains("IndexName: byOTh, IndexKey: team"));
    }

    #[test]
    fn an_update_names_the_empty_value_by_its_type() {
        let schema = mk_schema();
        let item = |v: Value| Item::new().with("pk", "p").with("sk", "s").with("r2", v);
        let e = check_index_keys_not_emptied(&schema, &item(Value::B(Vec::new()))).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("cannot contain an empty binary value."),
            "{e}"
        );
        let e = check_index_keys_not_emptied(&schema, &item(Value::from(""))).unwrap_err();
        assert!(
            e.to_string()
                .ends_with("cannot contain an empty string value."),
            "{e}"
        );
        assert!(check_index_keys_not_emptied(&schema, &item(Value::from("x"))).is_ok());
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
