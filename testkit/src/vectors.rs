//! Replays the request/response vectors recorded on DynamoDB Local (`vectors/`, or the file
//! named by `MONOTABLE_VECTORS`) through the [`Repository`] contract of any backend.
//!
//! Each vector creates its tables (under fresh names), puts its items, runs its setup steps,
//! sends its request — translated from DynamoDB's JSON protocol into `Repository` calls, with
//! its expressions parsed by `monotable_core::parse` — and compares the outcome by the
//! format's rules: maps order-insensitive, lists order-sensitive (a batch get's items as a
//! multiset: DynamoDB documents no order), sets as sets, numbers by value; the error code
//! always, the message text counted separately. Vectors that only make sense on the wire,
//! or that use parameters outside the `Repository` contract, are skipped with the reason.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use futures::future::BoxFuture;
use monotable_core::expr::parse::Placeholders;
use monotable_core::{
    DeleteItem, Error, GetItem, IndexSchema, Item, KeyAttribute, KeyType, Page, Path, Projection,
    PutItem, Query, Repository, ReturnValues, Scan, Segment, TableSchema, TransactWrite,
    TransactWriteItem, Update, UpdateItem, Value, WriteRequest,
};
use serde_json::{json, Map, Value as Json};

/// The vectors shipped with the testkit (recorded on DynamoDB Local 3.3.1).
pub const BUNDLED: &str = include_str!("../vectors/dynamodb-vectors.jsonl");

/// Makes a repository for a table schema (the backend under test).
pub type Factory =
    Arc<dyn Fn(TableSchema) -> BoxFuture<'static, Arc<dyn Repository>> + Send + Sync>;

/// What happened to one vector.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// It matched; for an expected error, whether the message text matched too.
    Passed {
        /// `Some(true)` if an expected error's message matched exactly.
        message_matched: Option<bool>,
    },
    /// It did not match: why.
    Failed(String),
    /// It was not replayed: why.
    Skipped(String),
}

/// One vector's result.
#[derive(Debug, Clone)]
pub struct VectorResult {
    /// The vector's id.
    pub id: String,
    /// Its topic.
    pub topic: String,
    /// Whether it documents a behaviour of DynamoDB Local only.
    pub local_specific: bool,
    /// The outcome.
    pub outcome: Outcome,
}

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

/// A DynamoDB-protocol error: code and message (and extra members).
#[derive(Debug, Clone)]
struct WireError {
    code: String,
    message: String,
    extra: Map<String, Json>,
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

enum Fail {
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

fn key_type(t: &str) -> Option<KeyType> {
    match t {
        "S" => Some(KeyType::S),
        "N" => Some(KeyType::N),
        "B" => Some(KeyType::B),
        _ => None,
    }
}

/// A `TableSchema` from a CreateTable request body.
fn schema_of(body: &Json) -> Option<TableSchema> {
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
    let keys = |ks: &Json| -> Option<(KeyAttribute, Option<KeyAttribute>)> {
        let mut hash = None;
        let mut range = None;
        for k in ks.as_array()? {
            let name = k["AttributeName"].as_str()?;
            let attr = KeyAttribute::new(name, *types.get(name)?);
            match k["KeyType"].as_str()? {
                "HASH" => hash = Some(attr),
                _ => range = Some(attr),
            }
        }
        Some((hash?, range))
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
    let mut schema = TableSchema::new(body["TableName"].as_str()?, pk);
    schema.sort_key = sk;
    for g in body["GlobalSecondaryIndexes"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let (ipk, isk) = keys(&g["KeySchema"])?;
        let mut ix = IndexSchema::global(g["IndexName"].as_str()?, ipk)
            .with_projection(projection(&g["Projection"]));
        ix.sort_key = isk;
        schema = schema.with_index(ix);
    }
    for l in body["LocalSecondaryIndexes"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let (_, isk) = keys(&l["KeySchema"])?;
        schema = schema.with_index(
            IndexSchema::local(l["IndexName"].as_str()?, isk?)
                .with_projection(projection(&l["Projection"])),
        );
    }
    Some(schema)
}

/// The tables of one vector: their names in the vector, and the repositories.
struct Tables {
    repos: HashMap<String, Arc<dyn Repository>>,
    /// Fresh name → the vector's own name.
    original: HashMap<String, String>,
}

impl Tables {
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
async fn execute(tables: &Tables, op: &str, body: &Json) -> std::result::Result<Json, Fail> {
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

/// Compares an expected and an actual JSON value by the format's rules.
fn same(expected: &Json, actual: &Json) -> bool {
    match (expected, actual) {
        (Json::Object(e), Json::Object(a)) if e.len() == 1 && a.len() == 1 => {
            let (ek, ev) = e.iter().next().expect("one");
            let (ak, av) = a.iter().next().expect("one");
            if ek != ak {
                return false;
            }
            match ek.as_str() {
                "N" => numbers_equal(ev, av),
                "SS" | "BS" => as_sorted(ev) == as_sorted(av),
                "NS" => {
                    let parse = |j: &Json| -> Option<Vec<monotable_core::Number>> {
                        let mut v: Vec<_> = j
                            .as_array()?
                            .iter()
                            .map(|x| {
                                x.as_str()
                                    .and_then(|s| monotable_core::Number::parse(s).ok())
                            })
                            .collect::<Option<_>>()?;
                        v.sort();
                        Some(v)
                    };
                    parse(ev) == parse(av)
                }
                _ => same(ev, av),
            }
        }
        (Json::Object(e), Json::Object(a)) => {
            e.len() == a.len() && e.iter().all(|(k, v)| a.get(k).is_some_and(|x| same(v, x)))
        }
        (Json::Array(e), Json::Array(a)) => {
            e.len() == a.len() && e.iter().zip(a).all(|(x, y)| same(x, y))
        }
        (Json::Number(e), Json::Number(a)) => e.as_f64() == a.as_f64(),
        _ => expected == actual,
    }
}

fn numbers_equal(a: &Json, b: &Json) -> bool {
    match (
        a.as_str().map(monotable_core::Number::parse),
        b.as_str().map(monotable_core::Number::parse),
    ) {
        (Some(Ok(x)), Some(Ok(y))) => x == y,
        _ => a == b,
    }
}

fn as_sorted(j: &Json) -> Vec<String> {
    let mut v: Vec<String> = j
        .as_array()
        .map(|a| a.iter().map(|x| x.to_string()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// Compares lists as multisets (for batch get responses).
fn same_multiset(expected: &Json, actual: &Json) -> bool {
    let (Some(e), Some(a)) = (expected.as_array(), actual.as_array()) else {
        return same(expected, actual);
    };
    if e.len() != a.len() {
        return false;
    }
    let mut used = vec![false; a.len()];
    e.iter().all(|x| {
        let found = a.iter().enumerate().find(|(i, y)| !used[*i] && same(x, y));
        match found {
            Some((i, _)) => {
                used[i] = true;
                true
            }
            None => false,
        }
    })
}

fn compare_response(
    op: &str,
    expected: &Json,
    absent: &[Json],
    actual: &Json,
) -> std::result::Result<(), String> {
    let e = expected.as_object().cloned().unwrap_or_default();
    for (k, v) in &e {
        let Some(a) = actual.get(k) else {
            return Err(format!("response lacks {k}: expected {v}, got {actual}"));
        };
        let ok = if op == "BatchGetItem" && k == "Responses" {
            v.as_object().is_some_and(|m| {
                m.iter()
                    .all(|(t, items)| a.get(t).is_some_and(|x| same_multiset(items, x)))
            })
        } else {
            same(v, a)
        };
        if !ok {
            return Err(format!("{k}: expected {v}, got {a}"));
        }
    }
    for k in absent {
        if let Some(k) = k.as_str() {
            if actual.get(k).is_some() {
                return Err(format!("{k} should be absent, got {actual}"));
            }
        }
    }
    Ok(())
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
fn rename(body: &Json, names: &HashMap<String, String>, unique: &str) -> Json {
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

/// Runs one vector against the backend that `factory` makes.
pub async fn run(vector: &Json, factory: &Factory, unique: &str) -> VectorResult {
    let id = vector["id"].as_str().unwrap_or("?").to_string();
    let topic = vector["topic"].as_str().unwrap_or("?").to_string();
    let local_specific = vector["local_specific"].as_bool().unwrap_or(false);
    let outcome = run_inner(vector, factory, unique).await;
    VectorResult {
        id,
        topic,
        local_specific,
        outcome,
    }
}

async fn run_inner(vector: &Json, factory: &Factory, unique: &str) -> Outcome {
    let request = &vector["request"];
    if request.get("raw_body").is_some() {
        return Outcome::Skipped("raw_body: only meaningful on the wire".into());
    }
    if vector["setup"]["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|s| s.get("raw_body").is_some())
    {
        return Outcome::Skipped("setup steps in raw_body: only meaningful on the wire".into());
    }
    let op = request["op"].as_str().unwrap_or_default();
    let mut names = HashMap::new();
    let mut repos = HashMap::new();
    for t in vector["setup"]["tables"].as_array().into_iter().flatten() {
        let Some(mut schema) = schema_of(t) else {
            return Outcome::Skipped("a table definition outside the schema model".into());
        };
        let original = schema.name.clone();
        let mut fresh = format!("{original}-{unique}");
        fresh.truncate(255);
        names.insert(original, fresh.clone());
        schema.name = fresh.clone();
        let repo = factory(schema).await;
        if let Err(e) = repo.create_table().await {
            return Outcome::Failed(format!("create_table: {e}"));
        }
        repos.insert(fresh, repo);
    }
    let original = names.iter().map(|(o, f)| (f.clone(), o.clone())).collect();
    let tables = Tables { repos, original };
    for (table, items) in vector["setup"]["items"].as_object().into_iter().flatten() {
        let Some(repo) = names.get(table).and_then(|n| tables.repos.get(n)) else {
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
                Err(e) => return Outcome::Failed(format!("setup item: {e}")),
            };
            if let Err(e) = put {
                return Outcome::Failed(format!("setup put failed: {e}"));
            }
        }
    }
    for step in vector["setup"]["steps"].as_array().into_iter().flatten() {
        let body = rename(&step["body"], &names, unique);
        if let Err(Fail::Wire(e)) =
            execute(&tables, step["op"].as_str().unwrap_or_default(), &body).await
        {
            if e.code == "SerializationException" {
                return Outcome::Skipped(
                    "setup sends JSON of the wrong type, which only the wire can carry".into(),
                );
            }
        }
    }
    let body = rename(&request["body"], &names, unique);
    let expect = &vector["expect"];
    // Paginated requests: every page's counts and last key.
    if request["paginate"].as_bool() == Some(true) {
        let mut pages = Vec::new();
        let mut body = body.clone();
        loop {
            let out = match execute(&tables, op, &body).await {
                Ok(o) => o,
                Err(Fail::Skip(why)) => return Outcome::Skipped(why),
                Err(Fail::Wire(e)) => return Outcome::Failed(format!("{}: {}", e.code, e.message)),
            };
            let lek = out.get("LastEvaluatedKey").cloned();
            pages.push(out);
            match lek {
                Some(k) => body["ExclusiveStartKey"] = k,
                None => break,
            }
            if pages.len() > 1000 {
                return Outcome::Failed("more than 1000 pages".into());
            }
        }
        let want = expect["pages"].as_array().cloned().unwrap_or_default();
        if want.len() != pages.len() {
            return Outcome::Failed(format!("{} pages, expected {}", pages.len(), want.len()));
        }
        for (w, p) in want.iter().zip(&pages) {
            let ok = w["Count"] == p["Count"]
                && w["ScannedCount"] == p["ScannedCount"]
                && same(&w["LEK"], p.get("LastEvaluatedKey").unwrap_or(&Json::Null));
            if !ok {
                return Outcome::Failed(format!("page {p} differs from {w}"));
            }
        }
        return Outcome::Passed {
            message_matched: None,
        };
    }
    let result = execute(&tables, op, &body).await;
    if let Err(Fail::Wire(e)) = &result {
        if e.code == "SerializationException" && expect["status"] == json!(500) {
            return Outcome::Skipped("malformed JSON: DynamoDB Local answers HTTP 500, the service and monotable reject the body".into());
        }
    }
    for member in ["ConsumedCapacity", "ItemCollectionMetrics"] {
        if expect["response"].get(member).is_some() {
            return Outcome::Skipped(format!("{member} is not part of the Repository contract"));
        }
    }
    if let Some(order) = expect.get("order_of_pk") {
        return match result {
            Ok(out) => {
                let got: Vec<Json> = out["Items"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|i| {
                        let pk = &tables
                            .repos
                            .values()
                            .next()
                            .map(|r| r.schema().partition_key.name.clone())
                            .unwrap_or_default();
                        i[pk]
                            .as_object()
                            .and_then(|m| m.values().next().cloned())
                            .unwrap_or(Json::Null)
                    })
                    .collect();
                let mut dedup: Vec<Json> = Vec::new();
                for g in got {
                    if dedup.last() != Some(&g) {
                        dedup.push(g);
                    }
                }
                if &Json::Array(dedup.clone()) == order {
                    Outcome::Passed {
                        message_matched: None,
                    }
                } else {
                    Outcome::Failed(format!("partition order {dedup:?}, expected {order}"))
                }
            }
            Err(Fail::Skip(why)) => Outcome::Skipped(why),
            Err(Fail::Wire(e)) => Outcome::Failed(format!("{}: {}", e.code, e.message)),
        };
    }
    match (result, expect.get("error").and_then(Json::as_str)) {
        (Err(Fail::Skip(why)), _) => Outcome::Skipped(why),
        (Ok(out), None) => match compare_response(
            op,
            &expect["response"],
            expect["absent_keys"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or(&[]),
            &out,
        ) {
            Ok(()) => Outcome::Passed {
                message_matched: None,
            },
            Err(why) => Outcome::Failed(why),
        },
        (Ok(out), Some(code)) => Outcome::Failed(format!("expected {code}, got success {out}")),
        (Err(Fail::Wire(e)), None) => {
            Outcome::Failed(format!("expected success, got {}: {}", e.code, e.message))
        }
        (Err(Fail::Wire(e)), Some(code)) => {
            if e.code != code {
                return Outcome::Failed(format!("expected {code}, got {}: {}", e.code, e.message));
            }
            if let Some(reasons) = expect.get("CancellationReasons").and_then(Json::as_array) {
                let codes =
                    |list: &[Json]| list.iter().map(|r| r["Code"].clone()).collect::<Vec<_>>();
                let got = e
                    .extra
                    .get("CancellationReasons")
                    .and_then(Json::as_array)
                    .map(|l| codes(l))
                    .unwrap_or_default();
                if codes(reasons) != got {
                    return Outcome::Failed(format!(
                        "cancellation codes {got:?}, expected {:?}",
                        codes(reasons)
                    ));
                }
            }
            if let Some(item) = expect.get("Item") {
                if !e.extra.get("Item").is_some_and(|i| same(item, i)) {
                    return Outcome::Failed(format!(
                        "error Item {:?}, expected {item}",
                        e.extra.get("Item")
                    ));
                }
            }
            let expected_message = expect["message"].as_str().unwrap_or_default();
            Outcome::Passed {
                message_matched: Some(expected_message == e.message),
            }
        }
    }
}

/// Counts per topic.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    /// Passed.
    pub passed: usize,
    /// Failed.
    pub failed: usize,
    /// Skipped, by reason.
    pub skipped: BTreeMap<String, usize>,
    /// Passed expected errors whose message matched exactly / all passed expected errors.
    pub messages: (usize, usize),
}

impl Tally {
    fn add(&mut self, o: &Outcome) {
        match o {
            Outcome::Passed { message_matched } => {
                self.passed += 1;
                if let Some(m) = message_matched {
                    self.messages.1 += 1;
                    self.messages.0 += usize::from(*m);
                }
            }
            Outcome::Failed(_) => self.failed += 1,
            Outcome::Skipped(r) => *self.skipped.entry(r.clone()).or_default() += 1,
        }
    }

    /// Number skipped.
    pub fn skipped_count(&self) -> usize {
        self.skipped.values().sum()
    }
}

/// Runs every vector (a few at a time) and prints one line per topic and a total; returns
/// the results.
pub async fn run_all(backend: &str, factory: Factory) -> Vec<VectorResult> {
    use futures::StreamExt;
    let vectors = load();
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0)
        % 1_000_000_000;
    let results: Vec<VectorResult> = futures::stream::iter(vectors.iter().enumerate())
        .map(|(i, v)| {
            let factory = factory.clone();
            async move { run(v, &factory, &format!("{stamp}-{i}")).await }
        })
        .buffered(8)
        .collect()
        .await;
    report(backend, &results);
    results
}

/// Prints the per-topic table, the local-specific counts, the skip reasons and the failures.
pub fn report(backend: &str, results: &[VectorResult]) {
    let mut topics: BTreeMap<String, Tally> = BTreeMap::new();
    let mut local = Tally::default();
    let mut total = Tally::default();
    for r in results {
        total.add(&r.outcome);
        if r.local_specific {
            local.add(&r.outcome);
        }
        topics.entry(r.topic.clone()).or_default().add(&r.outcome);
    }
    println!("vectors on {backend}:");
    for (topic, t) in &topics {
        println!(
            "  {topic}: {} passed, {} failed, {} skipped",
            t.passed,
            t.failed,
            t.skipped_count()
        );
    }
    println!(
        "  of which local_specific: {} passed, {} failed, {} skipped",
        local.passed,
        local.failed,
        local.skipped_count()
    );
    for (why, n) in &total.skipped {
        println!("  skipped {n}: {why}");
    }
    println!(
        "  error messages matching DynamoDB Local's text exactly: {} of {}",
        total.messages.0, total.messages.1
    );
    for r in results {
        if let Outcome::Failed(why) = &r.outcome {
            println!(
                "  FAILED {}{}: {why}",
                r.id,
                if r.local_specific {
                    " (local_specific)"
                } else {
                    ""
                }
            );
        }
    }
    println!(
        "vectors: {} passed, {} failed, {} skipped",
        total.passed,
        total.failed,
        total.skipped_count()
    );
}

/// Fails the test if a vector that must pass failed: every replayable one on DynamoDB
/// Local (`all = true`), every replayable one not marked `local_specific` elsewhere.
pub fn assert_targets(results: &[VectorResult], all: bool) {
    let failed: Vec<&VectorResult> = results
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Failed(_)) && (all || !r.local_specific))
        .collect();
    assert!(
        failed.is_empty(),
        "{} vectors failed: {}",
        failed.len(),
        failed
            .iter()
            .map(|r| r.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
}
