//! Loading the vectors, and the table schemas and renamed bodies a vector's replay needs.

use std::collections::HashMap;

use monotable_core::{IndexSchema, KeyAttribute, KeyType, Projection, TableSchema};
use serde_json::Value as Json;

use super::BUNDLED;

/// Loads the vectors: `MONOTABLE_VECTORS` names a file in the same format, else the bundled
/// ones.
pub fn load() -> Vec<Json> {
    let text = match std::env::var("MONOTABLE_VECTORS") {
        Ok(path) => {
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
        }
        Err(_) => BUNDLED.to_string(),
    };
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

/// A `TableSchema` from a CreateTable request body.
pub(super) fn schema_of(body: &Json) -> Option<TableSchema> {
    let types: HashMap<&str, KeyType> = body["AttributeDefinitions"]
        .as_array()?
        .iter()
        .filter_map(|d| {
            Some((
                d["AttributeName"].as_str()?,
                key_type(d["AttributeType"].as_str()?)?,
            ))
        })
        .collect();
    // Every HASH attribute, then every RANGE attribute (several of each for a
    // multi-attribute index).
    let keys = |ks: &Json| -> Option<(Vec<KeyAttribute>, Vec<KeyAttribute>)> {
        let mut hash = Vec::new();
        let mut range = Vec::new();
        for k in ks.as_array()? {
            let name = k["AttributeName"].as_str()?;
            let attr = KeyAttribute::new(name, *types.get(name)?);
            match k["KeyType"].as_str()? {
                "HASH" => hash.push(attr),
                _ => range.push(attr),
            }
        }
        Some((hash, range))
    };
    let projection = |p: &Json| match p["ProjectionType"].as_str() {
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
    };
    let (pk, sk) = keys(&body["KeySchema"])?;
    let mut schema = TableSchema::new(body["TableName"].as_str()?, pk.into_iter().next()?);
    schema.sort_key = sk.into_iter().next();
    for g in body["GlobalSecondaryIndexes"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let (ipk, isk) = keys(&g["KeySchema"])?;
        let ix = IndexSchema::multi_attribute(g["IndexName"].as_str()?, ipk, isk)
            .with_projection(projection(&g["Projection"]));
        schema = schema.with_index(ix);
    }
    for l in body["LocalSecondaryIndexes"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let (_, isk) = keys(&l["KeySchema"])?;
        schema = schema.with_index(
            IndexSchema::local(l["IndexName"].as_str()?, isk.into_iter().next()?)
                .with_projection(projection(&l["Projection"])),
        );
    }
    Some(schema)
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
