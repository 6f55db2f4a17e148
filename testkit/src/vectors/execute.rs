//! Executing a vector: its tables and setup, and each request translated from DynamoDB's JSON
//! protocol into [`Repository`] calls, with the outcome turned back into a wire response or
//! a wire error.
//!
//! The translation answers nothing itself: a request goes to the backend under test, or is
//! a skip when the contract cannot carry it. What the runner adds to an error's text: the
//! fixed text of the kinds that carry none (`ConditionFailed`, `TableNotFound`), the
//! `TransactionCanceled` error's own text, and DynamoDB's prefix for an
//! `ExpressionAttributeValues` value that does not decode. Its own fresh table names and
//! tokens are put back to the vector's in messages.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use monotable_core::expr::parse::Placeholders;
use monotable_core::{
    DeleteItem, GetItem, IndexSchema, Item, KeyCondition, Page, Path, Projection, PutItem, Query,
    Repository, ReturnValues, Scan, Segment, TransactWrite, TransactWriteItem, Update, UpdateItem,
    Value, WriteRequest,
};
use serde_json::{json, Map, Value as Json};

use super::load::{schema_of, Refused};
use super::tables::{wire_error, Fail, Skip, Tables, Wire, WireError};
use super::{Backend, Outcome};
use crate::lent;

fn is_json_shape_error(m: &str) -> bool {
    m.contains("must be a") || m.contains("is not an object")
}

/// An item or key decoded by the item model (`Item::from_json`): an invalid value is a
/// validation error with the decoder's message; JSON of the wrong shape only the wire
/// carries.
fn item(json: &Json) -> std::result::Result<Item, Fail> {
    Item::from_json(json).map_err(|m| {
        if is_json_shape_error(&m) {
            Skip(format!(
                "JSON of the wrong shape in an item ({m}): only the wire carries it"
            ))
            .into()
        } else {
            WireError::validation(m).into()
        }
    })
}

fn consistent_read(body: &Json) -> std::result::Result<bool, Fail> {
    match body.get("ConsistentRead") {
        None => Ok(false),
        Some(Json::Bool(b)) => Ok(*b),
        Some(_) => Err(Skip(
            "ConsistentRead of a JSON type other than boolean: only the wire carries it".into(),
        )
        .into()),
    }
}

fn placeholders(body: &Json) -> Wire<Placeholders> {
    let names = body.get("ExpressionAttributeNames").map(|n| {
        n.as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default()
    });
    let values = match body.get("ExpressionAttributeValues") {
        None => None,
        Some(v) => Some(
            v.as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| {
                            Value::from_json(v)
                                .map(|v| (k.clone(), v))
                                .map_err(|m| WireError::validation(format!("ExpressionAttributeValues contains invalid value: {m} for key {k}")))
                        })
                        .collect::<Wire<HashMap<_, _>>>()
                })
                .transpose()?
                .unwrap_or_default(),
        ),
    };
    Placeholders::new(names, values).map_err(wire_error)
}

const LEGACY: [(&str, &str); 7] = [
    ("KeyConditions", "KeyConditionExpression"),
    ("Expected", "ConditionExpression"),
    ("AttributesToGet", "ProjectionExpression"),
    ("AttributeUpdates", "UpdateExpression"),
    ("QueryFilter", "FilterExpression"),
    ("ScanFilter", "FilterExpression"),
    ("ConditionalOperator", "ConditionExpression"),
];

/// Legacy (non-expression) parameters are outside the contract, alone or next to
/// expressions (which DynamoDB rejects).
fn check_legacy(body: &Json) -> std::result::Result<(), Fail> {
    for (legacy, _expression) in LEGACY {
        if body.get(legacy).is_some() {
            return Err(Skip(format!(
                "legacy parameter {legacy} is not part of the Repository contract"
            ))
            .into());
        }
    }
    for wire_only in ["ReturnConsumedCapacity", "ReturnItemCollectionMetrics"] {
        if body.get(wire_only).is_some() {
            return Err(Skip(format!(
                "{wire_only} is not part of the Repository contract"
            ))
            .into());
        }
    }
    Ok(())
}

fn return_values(body: &Json) -> std::result::Result<ReturnValues, Fail> {
    Ok(match body["ReturnValues"].as_str() {
        None | Some("NONE") => ReturnValues::None,
        Some("ALL_OLD") => ReturnValues::AllOld,
        Some("UPDATED_OLD") => ReturnValues::UpdatedOld,
        Some("ALL_NEW") => ReturnValues::AllNew,
        Some("UPDATED_NEW") => ReturnValues::UpdatedNew,
        Some(_) => {
            return Err(Skip("a ReturnValues value outside the contract's enum".into()).into())
        }
    })
}

fn return_old_on_failure(body: &Json) -> std::result::Result<bool, Fail> {
    match body["ReturnValuesOnConditionCheckFailure"].as_str() {
        None | Some("NONE") => Ok(false),
        Some("ALL_OLD") => Ok(true),
        Some(_) => Err(Skip(
            "a ReturnValuesOnConditionCheckFailure value outside the contract's enum".into(),
        )
        .into()),
    }
}

fn condition(
    ph: &mut Placeholders,
    body: &Json,
    field: &str,
) -> Wire<Option<monotable_core::Condition>> {
    body.get(field)
        .map(|c| {
            ph.condition(c.as_str().unwrap_or_default(), field)
                .map_err(wire_error)
        })
        .transpose()
}

/// The request's `UpdateExpression`, or no actions without one.
fn update_expression(ph: &mut Placeholders, body: &Json) -> Wire<Update> {
    match body.get("UpdateExpression") {
        Some(u) => ph
            .update(u.as_str().unwrap_or_default())
            .map_err(wire_error),
        None => Ok(Update::new()),
    }
}

fn projection(ph: &mut Placeholders, body: &Json) -> Wire<Option<Vec<Path>>> {
    body.get("ProjectionExpression")
        .map(|p| {
            ph.projection(p.as_str().unwrap_or_default())
                .map_err(wire_error)
        })
        .transpose()
}

fn attributes(out: Option<Item>) -> Json {
    match out {
        Some(i) => json!({ "Attributes": i.to_json() }),
        None => json!({}),
    }
}

fn page_json(page: &Page, count_only: bool) -> Json {
    let mut m = Map::new();
    if !count_only {
        m.insert(
            "Items".into(),
            Json::Array(page.items.iter().map(Item::to_json).collect()),
        );
    }
    m.insert("Count".into(), json!(page.count));
    m.insert("ScannedCount".into(), json!(page.scanned_count));
    if let Some(k) = &page.last_evaluated_key {
        m.insert("LastEvaluatedKey".into(), k.to_json());
    }
    Json::Object(m)
}

/// `Select`, where the contract has an equivalent: `COUNT` is `count_only` (a projection
/// beside it goes to the backend, which rejects the pair); the default reads all attributes
/// of the table or the projected ones of an index, so `ALL_ATTRIBUTES` on the table or on an
/// index projecting all, `SPECIFIC_ATTRIBUTES` with a projection and
/// `ALL_PROJECTED_ATTRIBUTES` on an index are the default. The contract carries no other
/// `Select`, so a vector that uses one is skipped.
fn select(
    body: &Json,
    has_projection: bool,
    index: Option<&IndexSchema>,
) -> std::result::Result<bool, Fail> {
    let unsupported = |what: &str| -> std::result::Result<bool, Fail> {
        Err(Skip(format!("Select={what}: the contract has no Select member")).into())
    };
    match body["Select"].as_str() {
        None => Ok(false),
        Some("COUNT") => Ok(true),
        Some("ALL_ATTRIBUTES")
            if !has_projection && index.is_none_or(|ix| ix.projection == Projection::All) =>
        {
            Ok(false)
        }
        Some("SPECIFIC_ATTRIBUTES") if has_projection => Ok(false),
        Some("ALL_PROJECTED_ATTRIBUTES") if index.is_some() && !has_projection => Ok(false),
        Some(other) => unsupported(other),
    }
}

/// `Limit`: a negative one does not fit the contract's unsigned limit (0 goes to the
/// backend, which rejects it).
fn limit(body: &Json) -> std::result::Result<Option<u32>, Fail> {
    match body.get("Limit").and_then(Json::as_i64) {
        None => Ok(None),
        Some(n) if n < 0 => {
            Err(Skip("a negative Limit: the contract's limit is unsigned".into()).into())
        }
        Some(n) => Ok(Some(u32::try_from(n).unwrap_or(u32::MAX))),
    }
}

fn start_key(body: &Json) -> std::result::Result<Option<Item>, Fail> {
    body.get("ExclusiveStartKey").map(item).transpose()
}

async fn query(
    tables: &Tables,
    body: &Json,
) -> std::result::Result<(Query, bool, Arc<dyn Repository>), Fail> {
    let repo = tables.get(body).await?;
    check_legacy(body)?;
    let kce = body["KeyConditionExpression"].as_str().ok_or_else(|| {
        Skip(
            "a Query without KeyConditionExpression: the contract's Query has a key condition"
                .into(),
        )
    })?;
    let index = body["IndexName"].as_str().map(str::to_string);
    let schema = repo.schema();
    // The key condition is parsed against the index's keys. An index the table does not
    // have goes to the backend, which must reject it before reading the key condition: the
    // condition is parsed against the table's keys, or is a bare partition value when it
    // does not fit them.
    let ix = index
        .as_deref()
        .and_then(|name| schema.index(name).ok().map(|(_, ix)| ix));
    let keys = schema.query_keys(ix);
    let pk: Vec<&str> = keys.partition.iter().map(|k| k.name.as_str()).collect();
    let sk: Vec<&str> = keys.sort.iter().map(|k| k.name.as_str()).collect();
    let mut ph = placeholders(body)?;
    let mut unknown_index = false;
    // On a multi-attribute index the parser checks each key's values where DynamoDB does,
    // between its checks of the key condition's shape (MK25), with the engine's checks.
    let index_name = ix.map(|i| i.name.as_str());
    let mut check = |name: &str, cond: &monotable_core::SortKeyCondition| match keys
        .partition
        .iter()
        .chain(keys.sort)
        .find(|k| k.name == name)
    {
        Some(attr) => {
            monotable_core::raw::validate::check_key_condition_operand(attr, cond, index_name)
        }
        None => Ok(()),
    };
    let key_condition = match ph.key_condition_checked(kce, &pk, &sk, &mut check) {
        Ok(k) => k,
        Err(_) if index.is_some() && ix.is_none() => {
            ph = placeholders(body)?;
            unknown_index = true;
            KeyCondition::partition(Value::S(String::new()))
        }
        Err(e) => return Err(wire_error(e).into()),
    };
    let filter = condition(&mut ph, body, "FilterExpression")?;
    let projection = projection(&mut ph, body)?;
    if !unknown_index {
        ph.finish().map_err(wire_error)?;
    }
    let count_only = select(body, projection.is_some(), ix)?;
    let q = Query {
        index,
        key_condition,
        filter,
        projection,
        forward: body["ScanIndexForward"].as_bool().unwrap_or(true),
        limit: limit(body)?,
        exclusive_start_key: start_key(body)?,
        count_only,
        consistent_read: consistent_read(body)?,
    };
    Ok((q, count_only, repo))
}

/// The one table of a batch request and its part of the request; `None` for an empty
/// `RequestItems` (which goes to the backend as an empty batch).
fn single_table(request_items: &Json) -> std::result::Result<Option<(&String, &Json)>, Fail> {
    let m = request_items.as_object().ok_or_else(|| {
        Skip("RequestItems that is not a JSON object: only the wire carries it".into())
    })?;
    if m.len() > 1 {
        return Err(
            Skip("the request spans several tables; a Repository is one table".into()).into(),
        );
    }
    Ok(m.iter().next())
}

/// Runs one request; the response body or the error.
pub(super) async fn execute(
    tables: &Tables,
    op: &str,
    body: &Json,
) -> std::result::Result<Json, Fail> {
    match op {
        "GetItem" => {
            let repo = tables.get(body).await?;
            check_legacy(body)?;
            if body.get("IndexName").is_some() {
                return Err(Skip("GetItem with IndexName: DynamoDB Local ignores the member".into()).into());
            }
            // A GetItem has no expression that could use values: only names are checked.
            let mut without_values = body.clone();
            if let Some(m) = without_values.as_object_mut() {
                m.remove("ExpressionAttributeValues");
            }
            let mut ph = placeholders(&without_values)?;
            let projection = projection(&mut ph, body)?;
            ph.finish().map_err(wire_error)?;
            let key = item(&body["Key"])?;
            let request = GetItem { key, projection, consistent_read: consistent_read(body)? };
            let copied = repo.get_item(request.clone()).await;
            let got = lent::same(copied, lent::get_item(&*repo, request).await, "GetItem")?;
            Ok(match got {
                Some(i) => json!({ "Item": i.to_json() }),
                None => json!({}),
            })
        }
        "PutItem" => {
            let repo = tables.get(body).await?;
            check_legacy(body)?;
            let mut ph = placeholders(body)?;
            let cond = condition(&mut ph, body, "ConditionExpression")?;
            ph.finish().map_err(wire_error)?;
            let req = PutItem {
                item: item(&body["Item"])?,
                condition: cond,
                return_values: return_values(body)?,
                return_old_on_condition_failure: return_old_on_failure(body)?,
            };
            Ok(attributes(repo.put_item(req).await?))
        }
        "UpdateItem" => {
            let repo = tables.get(body).await?;
            check_legacy(body)?;
            let mut ph = placeholders(body)?;
            let update = update_expression(&mut ph, body)?;
            let cond = condition(&mut ph, body, "ConditionExpression")?;
            ph.finish().map_err(wire_error)?;
            let req = UpdateItem {
                key: item(&body["Key"])?,
                update,
                condition: cond,
                return_values: return_values(body)?,
                return_old_on_condition_failure: return_old_on_failure(body)?,
            };
            Ok(attributes(repo.update_item(req).await?))
        }
        "DeleteItem" => {
            let repo = tables.get(body).await?;
            check_legacy(body)?;
            let mut ph = placeholders(body)?;
            let cond = condition(&mut ph, body, "ConditionExpression")?;
            ph.finish().map_err(wire_error)?;
            let req = DeleteItem {
                key: item(&body["Key"])?,
                condition: cond,
                return_values: return_values(body)?,
                return_old_on_condition_failure: return_old_on_failure(body)?,
            };
            Ok(attributes(repo.delete_item(req).await?))
        }
        "Query" => {
            let (q, count_only, repo) = query(tables, body).await?;
            let copied = repo.query(q.clone()).await;
            let page = lent::same(copied, lent::query(&*repo, q).await, "Query")?;
            Ok(page_json(&page, count_only))
        }
        "Scan" => {
            let repo = tables.get(body).await?;
            check_legacy(body)?;
            let mut ph = placeholders(body)?;
            let filter = condition(&mut ph, body, "FilterExpression")?;
            let projection = projection(&mut ph, body)?;
            ph.finish().map_err(wire_error)?;
            let index = body["IndexName"].as_str().map(str::to_string);
            let ix = index.as_deref().and_then(|name| repo.schema().index(name).ok().map(|(_, ix)| ix));
            let count_only = select(body, projection.is_some(), ix)?;
            let segment = match (body.get("Segment").and_then(Json::as_i64), body.get("TotalSegments").and_then(Json::as_i64)) {
                (None, None) => None,
                (Some(s), Some(t)) => match (u32::try_from(s), u32::try_from(t)) {
                    (Ok(segment), Ok(total)) => Some(Segment { segment, total }),
                    _ => return Err(Skip("a negative Segment or TotalSegments: the contract's are unsigned".into()).into()),
                },
                _ => return Err(Skip("Segment without TotalSegments or the reverse: the contract's segment has both".into()).into()),
            };
            let req = Scan {
                index,
                filter,
                projection,
                limit: limit(body)?,
                exclusive_start_key: start_key(body)?,
                segment,
                count_only,
                consistent_read: consistent_read(body)?,
            };
            let copied = repo.scan(req.clone()).await;
            let page = lent::same(copied, lent::scan(&*repo, req).await, "Scan")?;
            Ok(page_json(&page, count_only))
        }
        "BatchGetItem" => {
            let (repo, name, spec) = match single_table(&body["RequestItems"])? {
                Some((table, spec)) => (tables.named(table, spec["Keys"].get(0)).await?, tables.original_name(table), spec.clone()),
                None => (tables.any().await?, String::new(), json!({})),
            };
            check_legacy(&spec)?;
            let keys = spec["Keys"].as_array().cloned().unwrap_or_default();
            let keys = keys.iter().map(item).collect::<std::result::Result<Vec<_>, Fail>>()?;
            let mut ph = placeholders(&spec)?;
            let projection = projection(&mut ph, &spec)?;
            ph.finish().map_err(wire_error)?;
            let out = repo.batch_get_item(keys, projection).await?;
            let mut responses = Map::new();
            responses.insert(name.clone(), Json::Array(out.items.iter().map(Item::to_json).collect()));
            let mut unprocessed = Map::new();
            if !out.unprocessed_keys.is_empty() {
                unprocessed.insert(name, json!({ "Keys": out.unprocessed_keys.iter().map(Item::to_json).collect::<Vec<_>>() }));
            }
            Ok(json!({ "Responses": responses, "UnprocessedKeys": unprocessed }))
        }
        "BatchWriteItem" => {
            let (repo, name, list) = match single_table(&body["RequestItems"])? {
                Some((table, list)) => (tables.named(table, list.get(0).and_then(|w| w["PutRequest"].get("Item").or_else(|| w["DeleteRequest"].get("Key")))).await?, tables.original_name(table), list.as_array().cloned().unwrap_or_default()),
                None => (tables.any().await?, String::new(), Vec::new()),
            };
            let mut writes = Vec::new();
            for w in &list {
                writes.push(match (w.get("PutRequest"), w.get("DeleteRequest")) {
                    (Some(p), None) => WriteRequest::Put(item(&p["Item"])?),
                    (None, Some(d)) => WriteRequest::Delete(item(&d["Key"])?),
                    _ => return Err(Skip("a batch write entry that is not one PutRequest or one DeleteRequest: the contract's is one of them".into()).into()),
                });
            }
            let out = repo.batch_write_item(writes).await?;
            let mut unprocessed = Map::new();
            if !out.unprocessed.is_empty() {
                let list: Vec<Json> = out.unprocessed.iter().map(|w| match w {
                    WriteRequest::Put(i) => json!({ "PutRequest": { "Item": i.to_json() } }),
                    WriteRequest::Delete(k) => json!({ "DeleteRequest": { "Key": k.to_json() } }),
                }).collect();
                unprocessed.insert(name, Json::Array(list));
            }
            Ok(json!({ "UnprocessedItems": unprocessed }))
        }
        "TransactWriteItems" => {
            let list = body["TransactItems"].as_array().cloned().unwrap_or_default();
            let mut repo: Option<Arc<dyn Repository>> = None;
            let mut actions = Vec::new();
            for (i, entry) in list.iter().enumerate() {
                let kinds: Vec<&str> = ["Put", "Update", "Delete", "ConditionCheck"].into_iter().filter(|k| entry.get(*k).is_some()).collect();
                if kinds.len() != 1 {
                    return Err(Skip("a transaction entry that is not one action: the contract's is one of them".into()).into());
                }
                let a = &entry[kinds[0]];
                let r = tables.get(a).await?;
                if repo.as_ref().is_some_and(|x| x.schema().name != r.schema().name) {
                    return Err(Skip("the transaction spans several tables; a Repository is one table".into()).into());
                }
                repo = Some(r);
                let mut ph = placeholders(a)?;
                let cond = condition(&mut ph, a, "ConditionExpression")?;
                let return_old = return_old_on_failure(a)?;
                let action = match kinds[0] {
                    "Put" => TransactWriteItem::Put { item: item(&a["Item"])?, condition: cond, return_old_on_condition_failure: return_old },
                    "Update" => {
                        let update = update_expression(&mut ph, a)?;
                        TransactWriteItem::Update { key: item(&a["Key"])?, update, condition: cond, return_old_on_condition_failure: return_old }
                    }
                    "Delete" => TransactWriteItem::Delete { key: item(&a["Key"])?, condition: cond, return_old_on_condition_failure: return_old },
                    _ => TransactWriteItem::ConditionCheck {
                        key: item(&a["Key"])?,
                        condition: cond.ok_or_else(|| {
                            Skip(format!("ConditionCheck {} without a condition: the contract's has one", i + 1))
                        })?,
                        return_old_on_condition_failure: return_old,
                    },
                };
                ph.finish().map_err(wire_error)?;
                actions.push(action);
            }
            let repo = match repo {
                Some(r) => r,
                None => tables.any().await?,
            };
            let token = body["ClientRequestToken"].as_str().map(str::to_string);
            repo.transact_write_items(TransactWrite { items: actions, client_request_token: token }).await?;
            Ok(json!({}))
        }
        "TransactGetItems" => {
            let list = body["TransactItems"].as_array().cloned().unwrap_or_default();
            let mut repo: Option<Arc<dyn Repository>> = None;
            let mut keys = Vec::new();
            let mut projections = Vec::new();
            for entry in &list {
                let g = &entry["Get"];
                let r = tables.get(g).await?;
                if repo.as_ref().is_some_and(|x| x.schema().name != r.schema().name) {
                    return Err(Skip("the transaction spans several tables; a Repository is one table".into()).into());
                }
                repo = Some(r);
                let mut ph = placeholders(g)?;
                projections.push(projection(&mut ph, g)?);
                ph.finish().map_err(wire_error)?;
                keys.push(item(&g["Key"])?);
            }
            if projections.iter().any(Option::is_some) {
                return Err(Skip("a projection per transactional get is not part of the Repository contract".into()).into());
            }
            let repo = match repo {
                Some(r) => r,
                None => tables.any().await?,
            };
            let got = repo.transact_get_items(keys).await?;
            Ok(json!({ "Responses": got.into_iter().map(|i| match i { Some(i) => json!({"Item": i.to_json()}), None => json!({}) }).collect::<Vec<_>>() }))
        }
        "DescribeTable" | "DeleteTable" | "CreateTable" | "UpdateTable" => {
            super::admin::execute(tables, op, body).await
        }
        "ListTables" => {
            Err(Skip(format!("{op} lists every table of an endpoint: a Repository is one table")).into())
        }
        other => Err(Skip(format!("{other} is not a DynamoDB operation the contract has (UnknownOperationException on the wire)")).into()),
    }
}

/// Creates a vector's tables (under fresh names), puts its items and runs its setup steps;
/// the outcome instead when the vector cannot be replayed or its setup fails.
pub(super) async fn setup(
    vector: &Json,
    backend: &Backend,
    unique: &str,
) -> std::result::Result<Tables, Outcome> {
    let request = &vector["request"];
    if request.get("raw_body").is_some() {
        return Err(Outcome::Skipped(
            "raw_body: only meaningful on the wire".into(),
        ));
    }
    if vector["setup"]["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|s| s.get("raw_body").is_some())
    {
        return Err(Outcome::Skipped(
            "setup steps in raw_body: only meaningful on the wire".into(),
        ));
    }
    let mut names = HashMap::new();
    let mut repos = HashMap::new();
    let fresh_name = |original: &str| {
        let mut fresh = format!("{original}-{unique}");
        fresh.truncate(255);
        fresh
    };
    for t in vector["setup"]["tables"].as_array().into_iter().flatten() {
        let mut schema = match schema_of(t) {
            Ok(s) => s,
            Err(Refused::Outside(why)) => {
                return Err(Outcome::Skipped(format!(
                    "a table definition outside the schema model: {why}"
                )))
            }
            Err(Refused::Invalid(m)) => {
                return Err(Outcome::Failed(format!("a setup table is refused: {m}")))
            }
        };
        let original = schema.name.clone();
        let fresh = fresh_name(&original);
        names.insert(original, fresh.clone());
        schema.name = fresh.clone();
        let repo = (backend.factory)(schema).await;
        if let Err(e) = repo.create_table().await {
            return Err(Outcome::Failed(format!("create_table: {e}")));
        }
        repos.insert(fresh, repo);
    }
    // A table the vector creates or deletes by a request gets a name of this run's own too.
    let administered = std::iter::once(request)
        .chain(vector["setup"]["steps"].as_array().into_iter().flatten())
        .filter(|r| matches!(r["op"].as_str(), Some("CreateTable" | "DeleteTable")))
        .filter_map(|r| r["body"]["TableName"].as_str());
    for name in administered {
        if !names.contains_key(name) && monotable_core::schema::validate_table_name(name).is_ok() {
            names.insert(name.to_string(), fresh_name(name));
        }
    }
    let original = names.iter().map(|(o, f)| (f.clone(), o.clone())).collect();
    let tables = Tables {
        repos: std::sync::Mutex::new(repos),
        backend: backend.clone(),
        reached: Arc::new(AtomicBool::new(false)),
        names,
        original,
        unique: unique.to_string(),
        tokens: Default::default(),
    };
    for (table, items) in vector["setup"]["items"].as_object().into_iter().flatten() {
        let Some(repo) = tables.names.get(table).and_then(|n| tables.created(n)) else {
            return Err(Outcome::Failed(format!(
                "setup items for {table}, a table the vector does not create"
            )));
        };
        for i in items.as_array().into_iter().flatten() {
            let put = match Item::from_json(i) {
                Ok(item) => {
                    repo.put_item(PutItem {
                        item,
                        ..Default::default()
                    })
                    .await
                }
                Err(e) => return Err(Outcome::Failed(format!("setup item: {e}"))),
            };
            if let Err(e) = put {
                return Err(Outcome::Failed(format!("setup put failed: {e}")));
            }
        }
    }
    for (n, step) in vector["setup"]["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let body = tables.rename(&step["body"]);
        let op = step["op"].as_str().unwrap_or_default();
        match execute(&tables, op, &body).await {
            Ok(_) => {}
            // A step that deletes a table establishes that there is none: a table that
            // already was not there is that state (the vectors delete before they create,
            // so that they can be replayed).
            Err(Fail::Wire(e)) if op == "DeleteTable" && e.code == "ResourceNotFoundException" => {}
            Err(Fail::Skip(why)) => {
                return Err(Outcome::Skipped(format!("setup step {}: {why}", n + 1)))
            }
            Err(Fail::Wire(e)) => {
                return Err(Outcome::Failed(format!(
                    "setup step {} ({op}) failed: {}: {}",
                    n + 1,
                    e.code,
                    e.message
                )))
            }
        }
    }
    tables.reached.store(false, Ordering::Relaxed);
    Ok(tables)
}

/// Runs a paginated request, feeding each page's `LastEvaluatedKey` back as
/// `ExclusiveStartKey` until there is none; every page's response.
pub(super) async fn paginate(
    tables: &Tables,
    op: &str,
    mut body: Json,
) -> std::result::Result<Vec<Json>, Outcome> {
    let mut pages = Vec::new();
    loop {
        let out = match execute(tables, op, &body)
            .await
            .map_err(|f| tables.unrename(f))
        {
            Ok(o) => o,
            Err(Fail::Skip(why)) => return Err(Outcome::Skipped(why)),
            Err(Fail::Wire(e)) => {
                return Err(Outcome::Failed(format!("{}: {}", e.code, e.message)))
            }
        };
        let lek = out.get("LastEvaluatedKey").cloned();
        pages.push(out);
        match lek {
            Some(k) => body["ExclusiveStartKey"] = k,
            None => break,
        }
        if pages.len() > 1000 {
            return Err(Outcome::Failed("more than 1000 pages".into()));
        }
    }
    Ok(pages)
}
