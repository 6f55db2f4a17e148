//! Executing a vector: its tables and setup, and each request translated from DynamoDB's JSON
//! protocol into [`Repository`] calls, with the outcome turned back into a wire response or
//! a wire error.

use std::collections::HashMap;
use std::sync::Arc;

use monotable_core::expr::parse::Placeholders;
use monotable_core::{
    DeleteItem, Error, GetItem, Item, Page, Path, Projection, PutItem, Query, Repository,
    ReturnValues, Scan, Segment, TableSchema, TransactWrite, TransactWriteItem, Update, UpdateItem,
    Value, WriteRequest,
};
use serde_json::{json, Map, Value as Json};

use super::load::{rename, schema_of};
use super::{Factory, Outcome};

/// A DynamoDB-protocol error: code and message (and extra members).
#[derive(Debug, Clone)]
pub(super) struct WireError {
    pub(super) code: String,
    pub(super) message: String,
    pub(super) extra: Map<String, Json>,
}

impl WireError {
    fn validation(message: impl Into<String>) -> Self {
        WireError {
            code: "ValidationException".into(),
            message: message.into(),
            extra: Map::new(),
        }
    }
}

fn wire_error(e: Error) -> WireError {
    let mut extra = Map::new();
    let (code, message) = match e {
        Error::ConditionFailed { item } => {
            if let Some(i) = item {
                extra.insert("Item".into(), i.to_json());
            }
            (
                "ConditionalCheckFailedException",
                "The conditional request failed".to_string(),
            )
        }
        Error::TransactionCanceled { ref reasons } => {
            let list: Vec<Json> = reasons
                .iter()
                .map(|r| {
                    let mut m = Map::new();
                    m.insert("Code".into(), json!(r.code.as_str()));
                    if let Some(msg) = &r.message {
                        m.insert("Message".into(), json!(msg));
                    }
                    if let Some(i) = &r.item {
                        m.insert("Item".into(), i.to_json());
                    }
                    Json::Object(m)
                })
                .collect();
            extra.insert("CancellationReasons".into(), Json::Array(list));
            ("TransactionCanceledException", e.to_string())
        }
        Error::TableNotFound { .. } => (
            "ResourceNotFoundException",
            "Cannot do operations on a non-existent table".to_string(),
        ),
        Error::IdempotencyMismatch { message } => ("IdempotentParameterMismatchException", message),
        Error::InvalidRequest { message } => ("ValidationException", message),
        Error::ItemTooLarge { message, .. } => ("ValidationException", message),
        Error::InvalidKey { .. } | Error::Validation { .. } | Error::InvalidCursor { .. } => {
            ("ValidationException", e.to_string())
        }
        Error::Throttled { message, .. } => ("ThrottlingException", message),
        other => ("InternalFailure", other.to_string()),
    };
    WireError {
        code: code.into(),
        message,
        extra,
    }
}

type Wire<T> = std::result::Result<T, WireError>;

struct Skip(String);

pub(super) enum Fail {
    Wire(WireError),
    Skip(String),
}

impl From<WireError> for Fail {
    fn from(e: WireError) -> Self {
        Fail::Wire(e)
    }
}
impl From<Error> for Fail {
    fn from(e: Error) -> Self {
        Fail::Wire(wire_error(e))
    }
}
impl From<Skip> for Fail {
    fn from(s: Skip) -> Self {
        Fail::Skip(s.0)
    }
}

/// The tables of one vector: their names in the vector, and the repositories.
pub(super) struct Tables {
    repos: HashMap<String, Arc<dyn Repository>>,
    /// The vector's own name → fresh name.
    names: HashMap<String, String>,
    /// Fresh name → the vector's own name.
    original: HashMap<String, String>,
    /// What makes this run's names and tokens its own.
    unique: String,
}

impl Tables {
    /// A request body with the vector's table names and tokens replaced by this run's.
    pub(super) fn rename(&self, body: &Json) -> Json {
        rename(body, &self.names, &self.unique)
    }

    /// The partition key attribute of the (first) table.
    pub(super) fn partition_key(&self) -> String {
        self.repos
            .values()
            .next()
            .map(|r| r.schema().partition_key.name.clone())
            .unwrap_or_default()
    }

    fn get(&self, body: &Json) -> Wire<Arc<dyn Repository>> {
        let name = body["TableName"]
            .as_str()
            .ok_or_else(|| WireError::validation("1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null"))?;
        self.named(name)
    }

    fn named(&self, name: &str) -> Wire<Arc<dyn Repository>> {
        monotable_core::schema::validate_table_name(name).map_err(wire_error)?;
        self.repos.get(name).cloned().ok_or_else(|| WireError {
            code: "ResourceNotFoundException".into(),
            message: "Cannot do operations on a non-existent table".into(),
            extra: Map::new(),
        })
    }
}

/// A JSON member of the wrong JSON type: the service rejects the body as a whole.
fn serialization(m: String) -> WireError {
    WireError {
        code: "SerializationException".into(),
        message: m,
        extra: Map::new(),
    }
}

fn is_json_shape_error(m: &str) -> bool {
    m.contains("must be a") || m.contains("is not an object")
}

fn item(json: &Json) -> Wire<Item> {
    Item::from_json(json).map_err(|m| {
        if is_json_shape_error(&m) {
            serialization(m)
        } else {
            WireError::validation(format!("One or more parameter values were invalid: {m}"))
        }
    })
}

fn consistent_read(body: &Json) -> Wire<bool> {
    match body.get("ConsistentRead") {
        None => Ok(false),
        Some(Json::Bool(b)) => Ok(*b),
        Some(other) => Err(serialization(format!(
            "ConsistentRead must be a boolean, got {other}"
        ))),
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

/// Legacy (non-expression) parameters: an error next to expressions, else outside the
/// contract.
fn check_legacy(body: &Json) -> std::result::Result<(), Fail> {
    for (legacy, expression) in LEGACY {
        if body.get(legacy).is_some() {
            if body.get(expression).is_some() {
                return Err(WireError::validation(format!(
                    "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {{{legacy}}} Expression parameters: {{{expression}}}"
                ))
                .into());
            }
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

fn return_values(body: &Json) -> Wire<ReturnValues> {
    Ok(match body["ReturnValues"].as_str() {
        None | Some("NONE") => ReturnValues::None,
        Some("ALL_OLD") => ReturnValues::AllOld,
        Some("UPDATED_OLD") => ReturnValues::UpdatedOld,
        Some("ALL_NEW") => ReturnValues::AllNew,
        Some("UPDATED_NEW") => ReturnValues::UpdatedNew,
        Some(_) => return Err(WireError::validation("Return values set to invalid value")),
    })
}

fn return_old_on_failure(body: &Json) -> Wire<bool> {
    match body["ReturnValuesOnConditionCheckFailure"].as_str() {
        None | Some("NONE") => Ok(false),
        Some("ALL_OLD") => Ok(true),
        Some(other) => Err(WireError::validation(format!(
            "1 validation error detected: Value '{other}' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]"
        ))),
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

fn select(body: &Json, has_projection: bool, has_index: bool) -> Wire<bool> {
    match body["Select"].as_str() {
        None | Some("ALL_ATTRIBUTES") if !has_projection => Ok(false),
        None | Some("SPECIFIC_ATTRIBUTES") if has_projection => Ok(false),
        None | Some("ALL_PROJECTED_ATTRIBUTES") if has_index && !has_projection => Ok(false),
        Some("ALL_PROJECTED_ATTRIBUTES") => Err(WireError::validation("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")),
        Some("COUNT") if has_projection => Err(WireError::validation("Cannot specify the ProjectionExpression when choosing to get only the Count")),
        Some("COUNT") => Ok(true),
        Some("ALL_ATTRIBUTES") => Err(WireError::validation("Cannot specify the ProjectionExpression when choosing to get ALL_ATTRIBUTES")),
        Some("SPECIFIC_ATTRIBUTES") => Err(WireError::validation("Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES")),
        Some(_) => Err(WireError::validation("Invalid Select value")),
        None => Ok(false),
    }
}

/// `Select=ALL_ATTRIBUTES` asks a global index for attributes it may not hold; the contract
/// cannot express that request, so the translation rejects it as DynamoDB does.
fn check_select_all(schema: &TableSchema, index: Option<&str>, body: &Json) -> Wire<()> {
    let Some(name) = index else { return Ok(()) };
    if body["Select"].as_str() != Some("ALL_ATTRIBUTES") {
        return Ok(());
    }
    let (_, ix) = schema.index(name).map_err(wire_error)?;
    if ix.kind == monotable_core::IndexKind::Global && ix.projection != Projection::All {
        return Err(WireError::validation(format!(
            "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index {name} because its projection type is not ALL"
        )));
    }
    Ok(())
}

fn limit(body: &Json) -> Wire<Option<u32>> {
    match body.get("Limit").and_then(Json::as_i64) {
        None => Ok(None),
        Some(n) if n < 1 => Err(WireError::validation(
            "Limit must be greater than or equal to 1",
        )),
        Some(n) => Ok(Some(u32::try_from(n).unwrap_or(u32::MAX))),
    }
}

fn start_key(body: &Json) -> Wire<Option<Item>> {
    body.get("ExclusiveStartKey").map(item).transpose()
}

async fn query(
    tables: &Tables,
    body: &Json,
) -> std::result::Result<(Query, bool, Arc<dyn Repository>), Fail> {
    let repo = tables.get(body)?;
    check_legacy(body)?;
    let kce = body["KeyConditionExpression"]
        .as_str()
        .ok_or_else(|| WireError::validation("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request."))?;
    let index = body["IndexName"].as_str().map(str::to_string);
    let schema = repo.schema();
    let (pk, sk) = match &index {
        Some(name) => {
            let (_, ix) = schema.index(name).map_err(wire_error)?;
            (
                ix.partition_key.name.clone(),
                ix.sort_key.as_ref().map(|s| s.name.clone()),
            )
        }
        None => (
            schema.partition_key.name.clone(),
            schema.sort_key.as_ref().map(|s| s.name.clone()),
        ),
    };
    let mut ph = placeholders(body)?;
    let key_condition = ph
        .key_condition(kce, &pk, sk.as_deref())
        .map_err(wire_error)?;
    let filter = condition(&mut ph, body, "FilterExpression")?;
    let projection = projection(&mut ph, body)?;
    ph.finish().map_err(wire_error)?;
    let count_only = select(body, projection.is_some(), index.is_some())?;
    check_select_all(schema, index.as_deref(), body)?;
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

fn single_table<'a>(
    request_items: &'a Json,
    op: &str,
) -> std::result::Result<(&'a String, &'a Json), Fail> {
    let m = request_items
        .as_object()
        .ok_or_else(|| WireError::validation("RequestItems must be a map"))?;
    if m.is_empty() {
        return Err(WireError::validation(match op {
            "BatchGetItem" => "BatchGetItem must have some requests set",
            _ => "BatchWriteItem cannot have a null or no requests set",
        })
        .into());
    }
    if m.len() > 1 {
        return Err(
            Skip("the request spans several tables; a Repository is one table".into()).into(),
        );
    }
    Ok(m.iter().next().expect("one table"))
}

/// Runs one request; the response body or the error.
pub(super) async fn execute(
    tables: &Tables,
    op: &str,
    body: &Json,
) -> std::result::Result<Json, Fail> {
    match op {
        "GetItem" => {
            let repo = tables.get(body)?;
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
            let got = repo.get_item(GetItem { key, projection, consistent_read: consistent_read(body)? }).await?;
            Ok(match got {
                Some(i) => json!({ "Item": i.to_json() }),
                None => json!({}),
            })
        }
        "PutItem" => {
            let repo = tables.get(body)?;
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
            let repo = tables.get(body)?;
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
            let repo = tables.get(body)?;
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
            Ok(page_json(&repo.query(q).await?, count_only))
        }
        "Scan" => {
            let repo = tables.get(body)?;
            check_legacy(body)?;
            let mut ph = placeholders(body)?;
            let filter = condition(&mut ph, body, "FilterExpression")?;
            let projection = projection(&mut ph, body)?;
            ph.finish().map_err(wire_error)?;
            let index = body["IndexName"].as_str().map(str::to_string);
            let count_only = select(body, projection.is_some(), index.is_some())?;
            check_select_all(repo.schema(), index.as_deref(), body)?;
            let segment = match (body.get("Segment").and_then(Json::as_i64), body.get("TotalSegments").and_then(Json::as_i64)) {
                (None, None) => None,
                (Some(_), None) => return Err(WireError::validation("If segment is specified, total segment must also be specified").into()),
                (None, Some(_)) => return Err(WireError::validation("If total segments is specified, a particular segment must also be specified for this request").into()),
                (Some(s), Some(t)) => Some(Segment { segment: s.max(0) as u32, total: t.max(0) as u32 }),
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
            Ok(page_json(&repo.scan(req).await?, count_only))
        }
        "BatchGetItem" => {
            let (table, spec) = single_table(&body["RequestItems"], op)?;
            let repo = tables.named(table)?;
            check_legacy(spec)?;
            let keys = spec["Keys"].as_array().cloned().unwrap_or_default();
            if keys.is_empty() {
                return Err(WireError::validation(format!("The list of keys in RequestItems for BatchGetItem is required: {table} has empty list")).into());
            }
            let keys = keys.iter().map(item).collect::<Wire<Vec<_>>>()?;
            let mut ph = placeholders(spec)?;
            let projection = projection(&mut ph, spec)?;
            ph.finish().map_err(wire_error)?;
            let out = repo.batch_get_item(keys, projection).await?;
            let mut responses = Map::new();
            let name = tables.original.get(table).cloned().unwrap_or_else(|| table.clone());
            responses.insert(name, Json::Array(out.items.iter().map(Item::to_json).collect()));
            Ok(json!({ "Responses": responses, "UnprocessedKeys": {} }))
        }
        "BatchWriteItem" => {
            let (table, list) = single_table(&body["RequestItems"], op)?;
            let repo = tables.named(table)?;
            let list = list.as_array().cloned().unwrap_or_default();
            if list.is_empty() {
                return Err(WireError::validation(format!("The batch write request list for a table cannot be null or empty: {table}")).into());
            }
            let writes = list
                .iter()
                .map(|w| match (w.get("PutRequest"), w.get("DeleteRequest")) {
                    (Some(p), None) => item(&p["Item"]).map(WriteRequest::Put),
                    (None, Some(d)) => item(&d["Key"]).map(WriteRequest::Delete),
                    _ => Err(WireError::validation("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")),
                })
                .collect::<Wire<Vec<_>>>()?;
            let out = repo.batch_write_item(writes).await?;
            if !out.unprocessed.is_empty() {
                return Err(Skip("the backend left writes unprocessed".into()).into());
            }
            Ok(json!({ "UnprocessedItems": {} }))
        }
        "TransactWriteItems" => {
            let list = body["TransactItems"].as_array().cloned().unwrap_or_default();
            let mut repo: Option<Arc<dyn Repository>> = None;
            let mut actions = Vec::new();
            for (i, entry) in list.iter().enumerate() {
                let kinds: Vec<&str> = ["Put", "Update", "Delete", "ConditionCheck"].into_iter().filter(|k| entry.get(*k).is_some()).collect();
                if kinds.len() != 1 {
                    return Err(WireError::validation("TransactItems can only contain one of Check, Put, Update or Delete").into());
                }
                let a = &entry[kinds[0]];
                let r = tables.get(a)?;
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
                            WireError::validation(format!(
                                "1 validation error detected: Value null at 'transactItems.{}.member.conditionCheck.conditionExpression' failed to satisfy constraint: Member must not be null",
                                i + 1
                            ))
                        })?,
                        return_old_on_condition_failure: return_old,
                    },
                };
                ph.finish().map_err(wire_error)?;
                actions.push(action);
            }
            let Some(repo) = repo else {
                return Err(WireError::validation("1 validation error detected: Value '[]' at 'transactItems' failed to satisfy constraint: Member must have length greater than or equal to 1").into());
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
                let r = tables.get(g)?;
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
            let Some(repo) = repo else {
                return Err(WireError::validation("1 validation error detected: Value null at 'transactItems' failed to satisfy constraint: Member must not be null").into());
            };
            let got = repo.transact_get_items(keys).await?;
            Ok(json!({ "Responses": got.into_iter().map(|i| match i { Some(i) => json!({"Item": i.to_json()}), None => json!({}) }).collect::<Vec<_>>() }))
        }
        "DescribeTable" | "DeleteTable" | "CreateTable" | "ListTables" => {
            Err(Skip(format!("{op} is table administration, not part of the Repository contract")).into())
        }
        other => Err(Skip(format!("{other} is not a DynamoDB operation the contract has (UnknownOperationException on the wire)")).into()),
    }
}

/// Creates a vector's tables (under fresh names), puts its items and runs its setup steps;
/// the outcome instead when the vector cannot be replayed or its setup fails.
pub(super) async fn setup(
    vector: &Json,
    factory: &Factory,
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
    for t in vector["setup"]["tables"].as_array().into_iter().flatten() {
        let Some(mut schema) = schema_of(t) else {
            return Err(Outcome::Skipped(
                "a table definition outside the schema model".into(),
            ));
        };
        let original = schema.name.clone();
        let mut fresh = format!("{original}-{unique}");
        fresh.truncate(255);
        names.insert(original, fresh.clone());
        schema.name = fresh.clone();
        let repo = factory(schema).await;
        if let Err(e) = repo.create_table().await {
            return Err(Outcome::Failed(format!("create_table: {e}")));
        }
        repos.insert(fresh, repo);
    }
    let original = names.iter().map(|(o, f)| (f.clone(), o.clone())).collect();
    let tables = Tables {
        repos,
        names,
        original,
        unique: unique.to_string(),
    };
    for (table, items) in vector["setup"]["items"].as_object().into_iter().flatten() {
        let Some(repo) = tables.names.get(table).and_then(|n| tables.repos.get(n)) else {
            continue;
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
    for step in vector["setup"]["steps"].as_array().into_iter().flatten() {
        let body = tables.rename(&step["body"]);
        if let Err(Fail::Wire(e)) =
            execute(&tables, step["op"].as_str().unwrap_or_default(), &body).await
        {
            if e.code == "SerializationException" {
                return Err(Outcome::Skipped(
                    "setup sends JSON of the wrong type, which only the wire can carry".into(),
                ));
            }
        }
    }
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
        let out = match execute(tables, op, &body).await {
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
