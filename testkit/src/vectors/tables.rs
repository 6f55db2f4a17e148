//! What a vector's execution shares with table administration (`admin`): the wire form
//! of an outcome (`WireError`, `Fail`, `Skip`) and the vector's tables (`Tables`: fresh
//! names, the repositories, whether the backend was reached).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use monotable_core::{
    BatchGetOutput, BatchWriteOutput, DeleteItem, Error, GetItem, Item, KeyAttribute, KeyType,
    Page, Path, PutItem, Query, Repository, Scan, TableSchema, TransactWrite, UpdateItem,
    WriteRequest,
};
use serde_json::{json, Map, Value as Json};

use super::load::{key_type, rename};
use super::Backend;

/// A DynamoDB-protocol error: code and message (and extra members).
#[derive(Debug, Clone)]
pub(super) struct WireError {
    pub(super) code: String,
    pub(super) message: String,
    pub(super) extra: Map<String, Json>,
}

impl WireError {
    pub(super) fn validation(message: impl Into<String>) -> Self {
        WireError {
            code: "ValidationException".into(),
            message: message.into(),
            extra: Map::new(),
        }
    }
}

pub(super) fn wire_error(e: Error) -> WireError {
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
            // No reasons is DynamoDB's absent member (a cancellation without reasons).
            if !list.is_empty() {
                extra.insert("CancellationReasons".into(), Json::Array(list));
            }
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

pub(super) type Wire<T> = std::result::Result<T, WireError>;

pub(super) struct Skip(pub(super) String);

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
    /// By this run's name; table administration adds and replaces them.
    pub(super) repos: std::sync::Mutex<HashMap<String, Arc<dyn Repository>>>,
    /// Makes the repositories (also of tables the vector never created), and administers
    /// tables.
    pub(super) backend: Backend,
    /// Whether any repository was called: a request the backend answered.
    pub(super) reached: Arc<AtomicBool>,
    /// The vector's own name → fresh name.
    pub(super) names: HashMap<String, String>,
    /// Fresh name → the vector's own name.
    pub(super) original: HashMap<String, String>,
    /// What makes this run's names and tokens its own.
    pub(super) unique: String,
    /// This run's idempotency tokens and the vector's.
    pub(super) tokens: std::sync::Mutex<Vec<(String, String)>>,
}

/// Pairs each `ClientRequestToken` of a renamed body with the original's.
fn collect_tokens(original: &Json, renamed: &Json, out: &mut Vec<(String, String)>) {
    match (original, renamed) {
        (Json::Object(o), Json::Object(r)) => {
            if let (Some(Json::String(a)), Some(Json::String(b))) =
                (o.get("ClientRequestToken"), r.get("ClientRequestToken"))
            {
                out.push((b.clone(), a.clone()));
            }
            for (k, v) in o {
                if let Some(x) = r.get(k) {
                    collect_tokens(v, x, out);
                }
            }
        }
        (Json::Array(o), Json::Array(r)) => {
            for (v, x) in o.iter().zip(r) {
                collect_tokens(v, x, out);
            }
        }
        _ => {}
    }
}

impl Tables {
    /// A request body with the vector's table names and tokens replaced by this run's.
    pub(super) fn rename(&self, body: &Json) -> Json {
        let renamed = rename(body, &self.names, &self.unique);
        collect_tokens(body, &renamed, &mut self.tokens.lock().expect("tokens"));
        renamed
    }

    /// An error with this run's table names and tokens in its message put back to the
    /// vector's own: the runner renamed them, the backend did not.
    pub(super) fn unrename(&self, fail: Fail) -> Fail {
        let Fail::Wire(mut e) = fail else { return fail };
        let mut pairs: Vec<(String, String)> = self
            .original
            .iter()
            .map(|(f, o)| (f.clone(), o.clone()))
            .chain(self.tokens.lock().expect("tokens").iter().cloned())
            .collect();
        pairs.sort_by_key(|(fresh, _)| std::cmp::Reverse(fresh.len()));
        for (fresh, original) in pairs {
            e.message = e.message.replace(&fresh, &original);
        }
        Fail::Wire(e)
    }

    /// The vector's own name of a table (`fresh` itself if the vector did not create it).
    pub(super) fn original_name(&self, fresh: &str) -> String {
        self.original
            .get(fresh)
            .cloned()
            .unwrap_or_else(|| fresh.to_string())
    }

    /// The partition key attribute of the (first) table.
    pub(super) fn partition_key(&self) -> String {
        self.repos
            .lock()
            .expect("repositories")
            .values()
            .next()
            .map(|r| r.schema().partition_key.name.clone())
            .unwrap_or_default()
    }

    /// The repository of a table the vector created (or an administration request did).
    pub(super) fn created(&self, name: &str) -> Option<Arc<dyn Repository>> {
        self.repos.lock().expect("repositories").get(name).cloned()
    }

    /// Keeps the repository of a table created or widened by an administration request.
    pub(super) fn keep(&self, name: &str, repo: Arc<dyn Repository>) {
        self.repos
            .lock()
            .expect("repositories")
            .insert(name.to_string(), repo);
    }

    /// Forgets a table deleted by an administration request.
    pub(super) fn forget(&self, name: &str) {
        self.repos.lock().expect("repositories").remove(name);
    }

    /// A repository that records that it was called.
    pub(super) fn track(&self, repo: Arc<dyn Repository>) -> Arc<dyn Repository> {
        Arc::new(Tracked {
            inner: repo,
            reached: self.reached.clone(),
        })
    }

    /// The repository of the request's `TableName`.
    pub(super) async fn get(&self, body: &Json) -> std::result::Result<Arc<dyn Repository>, Fail> {
        let name = body["TableName"].as_str().ok_or_else(|| {
            Skip("no TableName: a repository is always of one named table".into())
        })?;
        let key = body.get("Key").or_else(|| body.get("Item"));
        self.named(name, key).await
    }

    /// The repository of a table: one the vector created, else a repository of a table that
    /// was never created (the backend answers `ResourceNotFoundException`).
    pub(super) async fn named(
        &self,
        name: &str,
        key: Option<&Json>,
    ) -> std::result::Result<Arc<dyn Repository>, Fail> {
        let repo = match self.created(name) {
            Some(r) => r,
            None => {
                if monotable_core::schema::validate_table_name(name).is_err() {
                    return Err(Skip(
                        "an invalid table name: a repository of it cannot be constructed".into(),
                    )
                    .into());
                }
                // Under a name of this run's own, as the vector's tables are: a backend
                // keeps one file or table per name.
                let mut fresh = format!("{name}-{}", self.unique);
                fresh.truncate(255);
                (self.backend.factory)(schema_fitting(&fresh, key)).await
            }
        };
        Ok(self.track(repo))
    }

    /// The repository a request that names no table goes to (an empty batch or
    /// transaction): the vector's first table, else one never created.
    pub(super) async fn any(&self) -> std::result::Result<Arc<dyn Repository>, Fail> {
        let first = self
            .names
            .keys()
            .min()
            .and_then(|n| self.names.get(n))
            .cloned();
        self.named(first.as_deref().unwrap_or("monotable-vectors-none"), None)
            .await
    }
}

/// The schema of a table the vector never created: a partition key `pk` and a sort key
/// `sk`, of the types the request's key gives them, where it has them; so the backend judges
/// the request by the table's absence, not by a key shape the runner made up.
fn schema_fitting(name: &str, key: Option<&Json>) -> TableSchema {
    let type_of = |attr: &str| {
        key.and_then(|k| k[attr].as_object())
            .and_then(|v| v.keys().next())
            .and_then(|t| key_type(t))
    };
    let mut schema = TableSchema::new(
        name,
        KeyAttribute::new("pk", type_of("pk").unwrap_or(KeyType::S)),
    );
    if let Some(t) = type_of("sk") {
        schema.sort_key = Some(KeyAttribute::new("sk", t));
    }
    schema
}

/// A repository that records that it was called.
#[derive(Debug)]
struct Tracked {
    inner: Arc<dyn Repository>,
    reached: Arc<AtomicBool>,
}

impl Tracked {
    fn reach(&self) -> &dyn Repository {
        self.reached.store(true, Ordering::Relaxed);
        self.inner.as_ref()
    }
}

#[async_trait::async_trait]
impl Repository for Tracked {
    fn schema(&self) -> &TableSchema {
        self.inner.schema()
    }
    async fn create_table(&self) -> monotable_core::Result<()> {
        self.reach().create_table().await
    }
    async fn get_item(&self, r: GetItem) -> monotable_core::Result<Option<Item>> {
        self.reach().get_item(r).await
    }
    async fn put_item(&self, r: PutItem) -> monotable_core::Result<Option<Item>> {
        self.reach().put_item(r).await
    }
    async fn update_item(&self, r: UpdateItem) -> monotable_core::Result<Option<Item>> {
        self.reach().update_item(r).await
    }
    async fn delete_item(&self, r: DeleteItem) -> monotable_core::Result<Option<Item>> {
        self.reach().delete_item(r).await
    }
    async fn query(&self, r: Query) -> monotable_core::Result<Page> {
        self.reach().query(r).await
    }
    async fn scan(&self, r: Scan) -> monotable_core::Result<Page> {
        self.reach().scan(r).await
    }
    async fn batch_get_item(
        &self,
        keys: Vec<Item>,
        projection: Option<Vec<Path>>,
    ) -> monotable_core::Result<BatchGetOutput> {
        self.reach().batch_get_item(keys, projection).await
    }
    async fn batch_write_item(
        &self,
        writes: Vec<WriteRequest>,
    ) -> monotable_core::Result<BatchWriteOutput> {
        self.reach().batch_write_item(writes).await
    }
    async fn transact_write_items(&self, r: TransactWrite) -> monotable_core::Result<()> {
        self.reach().transact_write_items(r).await
    }
    async fn transact_get_items(
        &self,
        keys: Vec<Item>,
    ) -> monotable_core::Result<Vec<Option<Item>>> {
        self.reach().transact_get_items(keys).await
    }
}
