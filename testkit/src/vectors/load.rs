//! Loading the vectors, and the table schemas and renamed bodies a vector's replay needs.

use std::collections::HashMap;

use monotable_core::{IndexSchema, KeyAttribute, KeyType, Projection, TableSchema};
use serde_json::Value as Json;

use super::BUNDLED;

/// Loads the vectors: `MONOTABLE_VECTORS` names a file in the same format, else the bundled
/// ones ([`MAIN`](super::MAIN)).
pub fn load() -> Vec<Json> {
    match std::env::var("MONOTABLE_VECTORS") {
        Ok(path) => parse(
            &std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}")),
        ),
        Err(_) => parse(BUNDLED),
    }
}

/// The vectors of a file's text, one JSON object a line.
pub fn parse(text: &str) -> Vec<Json> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("a JSON vector per line"))
        .collect()
}

pub(super) fn key_type(t: &str) -> Option<KeyType> {
    match t {
        "S" => Some(KeyType::S),
        "N" => Some(KeyType::N),
        "B" => Some(KeyType::B),
        _ => None,
    }
}

/// A request body that does not make a table: DynamoDB's validation message, or a body the
/// contract cannot carry.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Refused {
    /// DynamoDB's `ValidationException` message.
    Invalid(String),
    /// Outside the schema model: why.
    Outside(String),
}

fn invalid(m: impl Into<String>) -> Refused {
    Refused::Invalid(m.into())
}

const TOO_BIG: &str =
    "Key Schema too big.  Key Schema must at most consist of the hash and range key of a table";
const KEY_ORDER: &str = "Invalid key order. Hash Key must be specified first in key schema, Range Key must be specifed second";

/// The attribute types of an `AttributeDefinitions` list, checked against DynamoDB's enum.
fn attribute_types(defs: &Json) -> Result<Vec<(String, KeyType)>, Refused> {
    let Some(defs) = defs.as_array() else {
        return Err(Refused::Outside(
            "AttributeDefinitions that is not a list".into(),
        ));
    };
    let mut out = Vec::new();
    for (i, d) in defs.iter().enumerate() {
        let name = d["AttributeName"].as_str().ok_or_else(|| {
            Refused::Outside("an attribute definition without AttributeName".into())
        })?;
        let t = d["AttributeType"].as_str().unwrap_or_default();
        let Some(t) = key_type(t) else {
            return Err(invalid(format!(
                "1 validation error detected: Value '{t}' at 'attributeDefinitions.{}.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]",
                i + 1
            )));
        };
        out.push((name.to_string(), t));
    }
    Ok(out)
}

/// One KeySchema: its HASH attributes, then its RANGE attributes, in order, each of its
/// defined type. `at` is where the list sits in the request, for DynamoDB's enum message.
///
/// DynamoDB keeps the order and wants every HASH element before every RANGE one (MK2), every
/// element a defined attribute (MK4) and a KeyType of its enum. DynamoDB Local accepts
/// another KeyType (MK8, [Local]); the service rejects it, and so does this conversion.
fn key_schema(
    ks: &Json,
    types: &[(String, KeyType)],
    at: &str,
) -> Result<(Vec<KeyAttribute>, Vec<KeyAttribute>), Refused> {
    let Some(ks) = ks.as_array() else {
        return Err(Refused::Outside("a KeySchema that is not a list".into()));
    };
    for (i, k) in ks.iter().enumerate() {
        let t = k["KeyType"].as_str().unwrap_or_default();
        if t != "HASH" && t != "RANGE" {
            return Err(invalid(format!(
                "1 validation error detected: Value '{t}' at '{at}.{}.member.keyType' failed to satisfy constraint: Member must satisfy enum value set: [HASH, RANGE]",
                i + 1
            )));
        }
    }
    let mut hash = Vec::new();
    let mut range = Vec::new();
    for k in ks {
        let name = k["AttributeName"]
            .as_str()
            .ok_or_else(|| Refused::Outside("a key without AttributeName".into()))?;
        let Some((_, t)) = types.iter().find(|(n, _)| n == name) else {
            return Err(invalid(format!(
                "Attribute {name} is not defined in AttributeDefinitions"
            )));
        };
        let attr = KeyAttribute::new(name, *t);
        if k["KeyType"] == "HASH" {
            if !range.is_empty() {
                return Err(invalid(KEY_ORDER));
            }
            hash.push(attr);
        } else {
            range.push(attr);
        }
    }
    Ok((hash, range))
}

fn projection(p: &Json) -> Projection {
    match p["ProjectionType"].as_str() {
        Some("KEYS_ONLY") => Projection::KeysOnly,
        Some("INCLUDE") => Projection::Include(
            p["NonKeyAttributes"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
        ),
        _ => Projection::All,
    }
}

/// A global index of a CreateTable's `GlobalSecondaryIndexes` or an UpdateTable's `Create`.
fn global_index(g: &Json, types: &[(String, KeyType)], at: &str) -> Result<IndexSchema, Refused> {
    let name = g["IndexName"]
        .as_str()
        .ok_or_else(|| Refused::Outside("an index without IndexName".into()))?;
    let (hash, range) = key_schema(&g["KeySchema"], types, at)?;
    Ok(IndexSchema::multi_attribute(name, hash, range)
        .with_projection(projection(&g["Projection"])))
}

/// A `TableSchema` from a CreateTable request body, or DynamoDB's message for one it
/// rejects while reading the body: enum values, key order (MK2), undefined and unused
/// attribute definitions (MK4), a table key of several HASH or RANGE elements and a local
/// index of more than one of each (MK5). What [`TableSchema::validate`] checks (too many
/// index keys, repeated names: MK1, MK3) it leaves to it.
pub(super) fn schema_of(body: &Json) -> Result<TableSchema, Refused> {
    let name = body["TableName"]
        .as_str()
        .ok_or_else(|| Refused::Outside("a CreateTable without TableName".into()))?;
    let types = attribute_types(&body["AttributeDefinitions"])?;
    let mut used: Vec<String> = Vec::new();
    let mut note = |attrs: &[KeyAttribute]| {
        for a in attrs {
            if !used.contains(&a.name) {
                used.push(a.name.clone());
            }
        }
    };
    let (pk, sk) = key_schema(&body["KeySchema"], &types, "keySchema")?;
    if pk.len() + sk.len() > 2 || sk.len() > 1 {
        return Err(invalid(TOO_BIG));
    }
    if pk.len() > 1 {
        return Err(invalid(
            "Too many hash keys specified.  All Dynamo DB tables must have exactly one hash key",
        ));
    }
    let Some(partition_key) = pk.first().cloned() else {
        return Err(invalid(
            "No Hash Key specified in schema.  All Dynamo DB tables must have exactly one hash key",
        ));
    };
    note(&pk);
    note(&sk);
    let mut schema = TableSchema::new(name, partition_key.clone());
    schema.sort_key = sk.first().cloned();
    let list = |member: &str| body[member].as_array().cloned().unwrap_or_default();
    for (i, g) in list("GlobalSecondaryIndexes").iter().enumerate() {
        let at = format!("globalSecondaryIndexes.{}.member.keySchema", i + 1);
        let index = global_index(g, &types, &at)?;
        note(&index.partition_keys);
        note(&index.sort_keys);
        schema.indexes.push(index);
    }
    for (i, l) in list("LocalSecondaryIndexes").iter().enumerate() {
        let at = format!("localSecondaryIndexes.{}.member.keySchema", i + 1);
        let index_name = l["IndexName"]
            .as_str()
            .ok_or_else(|| Refused::Outside("an index without IndexName".into()))?;
        let (hash, range) = key_schema(&l["KeySchema"], &types, &at)?;
        if hash.len() > 1 || range.len() > 1 {
            return Err(invalid(TOO_BIG));
        }
        if let Some(h) = hash.first().filter(|h| h.name != partition_key.name) {
            return Err(invalid(format!(
                "Index KeySchema does not have the same leading hash key as table KeySchema for index: {index_name}. index hash key: {}, table hash key: {}",
                h.name, partition_key.name
            )));
        }
        note(&hash);
        note(&range);
        let Some(sort) = range.into_iter().next() else {
            return Err(invalid(
                "Local secondary indexes need a table sort key and an index sort key",
            ));
        };
        schema = schema.with_index(
            IndexSchema::local(index_name, sort).with_projection(projection(&l["Projection"])),
        );
    }
    if types.len() != used.len() {
        return Err(invalid(
            "The number of attributes in key schema must match the number of attributes defined in attribute definitions.",
        ));
    }
    Ok(schema)
}

/// The schema after an UpdateTable that creates global indexes (MK7), or DynamoDB's message
/// for an index it rejects; any other update is outside the contract. The new indexes'
/// attributes are those of the request's `AttributeDefinitions` and the table's keys.
pub(super) fn updated_schema(current: &TableSchema, body: &Json) -> Result<TableSchema, Refused> {
    let Some(fields) = body.as_object() else {
        return Err(Refused::Outside(
            "an UpdateTable body that is not an object".into(),
        ));
    };
    if let Some(other) = fields.keys().find(|k| {
        ![
            "TableName",
            "AttributeDefinitions",
            "GlobalSecondaryIndexUpdates",
        ]
        .contains(&k.as_str())
    }) {
        return Err(Refused::Outside(format!(
            "UpdateTable with {other}: the contract's schema has only keys and indexes"
        )));
    }
    let mut types = match body.get("AttributeDefinitions") {
        Some(defs) => attribute_types(defs)?,
        None => Vec::new(),
    };
    let known = current
        .keys()
        .chain(current.indexes.iter().flat_map(|i| i.keys()));
    for k in known {
        if !types.iter().any(|(n, _)| *n == k.name) {
            types.push((k.name.clone(), k.key_type));
        }
    }
    let mut schema = current.clone();
    let updates = body["GlobalSecondaryIndexUpdates"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for (i, u) in updates.iter().enumerate() {
        let Some(create) = u
            .get("Create")
            .filter(|_| u.as_object().is_some_and(|o| o.len() == 1))
        else {
            return Err(Refused::Outside(
                "an index update other than Create: the contract cannot drop or change an index"
                    .into(),
            ));
        };
        let at = format!(
            "globalSecondaryIndexUpdates.{}.member.create.keySchema",
            i + 1
        );
        let index = global_index(create, &types, &at)?;
        if schema.indexes.iter().any(|x| x.name == index.name) {
            return Err(invalid(
                "Attempting to create an index which already exists",
            ));
        }
        schema.indexes.push(index);
    }
    Ok(schema)
}

/// A fresh idempotency token of the same length: DynamoDB Local remembers tokens across
/// tables and runs, so every run uses its own (R141).
fn fresh_token(token: &str, unique: &str) -> String {
    let seed = format!("{unique}-{token}");
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut out = String::with_capacity(token.len());
    for i in 0..token.len() {
        for b in seed.bytes().chain([i as u8]) {
            h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
        out.push(char::from(
            b"abcdefghijklmnopqrstuvwxyz0123456789"[(h % 36) as usize],
        ));
    }
    out
}

/// Renames the vector's tables to fresh names, and its idempotency tokens to fresh tokens,
/// in a request body (the backends may share one server).
pub(super) fn rename(body: &Json, names: &HashMap<String, String>, unique: &str) -> Json {
    match body {
        Json::Object(m) => Json::Object(
            m.iter()
                .map(|(k, v)| {
                    let key = if k != "TableName" && names.contains_key(k) {
                        names[k].clone()
                    } else {
                        k.clone()
                    };
                    let value = match (k.as_str(), v) {
                        ("TableName", Json::String(s)) => {
                            Json::String(names.get(s).cloned().unwrap_or_else(|| s.clone()))
                        }
                        ("ClientRequestToken", Json::String(t)) => {
                            Json::String(fresh_token(t, unique))
                        }
                        _ => rename(v, names, unique),
                    };
                    (key, value)
                })
                .collect(),
        ),
        Json::Array(a) => Json::Array(a.iter().map(|x| rename(x, names, unique)).collect()),
        other => other.clone(),
    }
}
