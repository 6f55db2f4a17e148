//! # monotable-dynamodb
//!
//! The production backend: Amazon DynamoDB through `aws-sdk-dynamodb`. Expressions are
//! rendered from core's AST with placeholders only; errors are mapped to core's variants
//! (`ConditionalCheckFailed` → [`Error::ConditionFailed`], a cancelled transaction →
//! [`Error::TransactionCanceled`] with a reason per action, throttling →
//! [`Error::Throttled`]); every request runs in a `tracing` span with the operation, the
//! table and the consumed capacity.
//!
//! ```no_run
//! use monotable_core::{Repository, TableSchema};
//! use monotable_dynamodb::DynamoDbRepository;
//! # async fn f() -> monotable_core::Result<()> {
//! // Region, credentials and `AWS_ENDPOINT_URL_DYNAMODB` come from aws-config's default chain.
//! let repo = DynamoDbRepository::from_env(TableSchema::single_table("app")).await?;
//! repo.create_table().await?;
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types as ddb;
use aws_sdk_dynamodb::Client;
use monotable_core::raw::render::ExpressionBuilder;
use monotable_core::{
    BatchGetOutput, BatchWriteOutput, CancellationCode, CancellationReason, DeleteItem, Error,
    GetItem, IndexKind, Item, Page, Path, Projection, PutItem, Query, Repository, Result,
    ReturnValues, Scan, TableSchema, TransactWrite, TransactWriteItem, UpdateItem, Value,
    WriteRequest,
};
use tracing::Instrument;

tokio::task_local! {
    /// Attempts made by the SDK for the request under way in this task.
    static ATTEMPTS: std::cell::Cell<u32>;
}

/// Counts the SDK's attempts (the first try and each retry) into [`ATTEMPTS`].
#[derive(Debug)]
struct CountAttempts;

impl aws_sdk_dynamodb::config::Intercept for CountAttempts {
    fn name(&self) -> &'static str {
        "monotable.count_attempts"
    }

    fn read_before_attempt(
        &self,
        _context: &aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _components: &aws_sdk_dynamodb::config::RuntimeComponents,
        _cfg: &mut aws_sdk_dynamodb::config::ConfigBag,
    ) -> std::result::Result<(), aws_sdk_dynamodb::error::BoxError> {
        let _ = ATTEMPTS.try_with(|a| a.set(a.get() + 1));
        Ok(())
    }
}

/// How the table is billed when [`Repository::create_table`] creates it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Billing {
    /// On-demand (`PAY_PER_REQUEST`), the default.
    #[default]
    OnDemand,
    /// Provisioned capacity, for the table and each global index.
    Provisioned {
        /// Read capacity units.
        read: i64,
        /// Write capacity units.
        write: i64,
    },
}

/// A repository on one DynamoDB table.
#[derive(Debug, Clone)]
pub struct DynamoDbRepository {
    client: Client,
    schema: TableSchema,
    billing: Billing,
}

type AttributeMap = HashMap<String, ddb::AttributeValue>;

/// The attribute an empty transactional update removes (see `transact_item`).
const NO_OP_ATTRIBUTE: &str = "__monotable_no_op";

fn to_av(v: Value) -> ddb::AttributeValue {
    serde_dynamo::AttributeValue::from(v).into()
}

fn from_av(v: ddb::AttributeValue) -> Result<Value> {
    Value::try_from(serde_dynamo::AttributeValue::from(v))
}

fn to_map(item: Item) -> AttributeMap {
    item.into_iter().map(|(k, v)| (k, to_av(v))).collect()
}

fn from_map(map: &AttributeMap) -> Result<Item> {
    map.iter()
        .map(|(k, v)| Ok((k.clone(), from_av(v.clone())?)))
        .collect::<Result<Vec<_>>>()
        .map(|v| v.into_iter().collect())
}

/// An SDK builder that refused its input: a bug on this side of the wire, not the caller's
/// request, so a backend error.
fn build_error(e: aws_sdk_dynamodb::error::BuildError) -> Error {
    Error::backend("dynamodb", false, e)
}

/// Expression strings and their placeholders for one request.
#[derive(Default)]
struct Rendered {
    builder: ExpressionBuilder,
}

impl Rendered {
    fn names(&self) -> Option<HashMap<String, String>> {
        self.builder.names()
    }
    fn values(&self) -> Option<AttributeMap> {
        let v = self.builder.values();
        (!v.is_empty()).then(|| {
            v.iter()
                .map(|(k, v)| (k.clone(), to_av(v.clone())))
                .collect()
        })
    }
    fn condition(&mut self, c: &Option<monotable_core::Condition>) -> Option<String> {
        c.as_ref().map(|c| self.builder.condition(c))
    }
    fn projection(&mut self, p: &Option<Vec<Path>>) -> Option<String> {
        p.as_ref().map(|p| self.builder.projection(p))
    }
}

fn return_value(rv: ReturnValues) -> ddb::ReturnValue {
    match rv {
        ReturnValues::None => ddb::ReturnValue::None,
        ReturnValues::AllOld => ddb::ReturnValue::AllOld,
        ReturnValues::UpdatedOld => ddb::ReturnValue::UpdatedOld,
        ReturnValues::AllNew => ddb::ReturnValue::AllNew,
        ReturnValues::UpdatedNew => ddb::ReturnValue::UpdatedNew,
    }
}

fn on_failure(return_old: bool) -> Option<ddb::ReturnValuesOnConditionCheckFailure> {
    return_old.then_some(ddb::ReturnValuesOnConditionCheckFailure::AllOld)
}

fn reason(r: &ddb::CancellationReason) -> Result<CancellationReason> {
    Ok(CancellationReason {
        code: CancellationCode::from_name(r.code().unwrap_or("None")),
        message: r.message().map(str::to_string),
        item: r.item().map(from_map).transpose()?,
    })
}

/// Maps an SDK error to core's error. `size` is the item's size, for `ItemTooLarge`.
fn map_error<E, R>(e: SdkError<E, R>, size: Option<usize>, table: &str) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let Some(service) = e.as_service_error() else {
        let retryable = matches!(
            e,
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_)
        );
        return Error::backend("dynamodb", retryable, e);
    };
    let message = service.message().unwrap_or_default().to_string();
    match service.code().unwrap_or_default() {
        "ConditionalCheckFailedException" => Error::ConditionFailed { item: None },
        // Reasons, when DynamoDB gives them, are read by the caller from the typed error.
        "TransactionCanceledException" => Error::TransactionCanceled {
            reasons: Vec::new(),
        },
        "ResourceNotFoundException" => Error::TableNotFound {
            table: table.to_string(),
        },
        "ValidationException"
            if message.contains("size has exceeded the maximum allowed size")
                || message.contains("size to update has exceeded") =>
        {
            Error::ItemTooLarge {
                message,
                size: size.unwrap_or(0),
                limit: monotable_core::schema::MAX_ITEM_SIZE,
            }
        }
        "ValidationException" => Error::InvalidRequest { message },
        "IdempotentParameterMismatchException" => Error::IdempotencyMismatch { message },
        "ProvisionedThroughputExceededException"
        | "ThrottlingException"
        | "RequestLimitExceeded"
        | "LimitExceededException" => Error::Throttled {
            message,
            source: Some(Box::new(e)),
        },
        _ => Error::backend("dynamodb", false, e),
    }
}

/// The existing item carried by a `ConditionalCheckFailedException`, if any.
fn with_old_item(err: Error, item: Option<&AttributeMap>) -> Error {
    match (err, item) {
        (Error::ConditionFailed { .. }, Some(map)) => Error::ConditionFailed {
            item: from_map(map).ok().map(Box::new),
        },
        (other, _) => other,
    }
}

macro_rules! condition_item {
    ($err:expr, $variant:path) => {
        match $err.as_service_error() {
            Some($variant(e)) => e.item().cloned(),
            _ => None,
        }
    };
}

impl DynamoDbRepository {
    /// A repository from aws-config's default chain: region (`AWS_REGION`, profile),
    /// credentials (environment, profile, SSO, container, instance), and endpoint
    /// (`AWS_ENDPOINT_URL_DYNAMODB`, then `AWS_ENDPOINT_URL`).
    pub async fn from_env(schema: TableSchema) -> Result<Self> {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await;
        Self::with_client(Client::new(&config), schema)
    }

    /// A repository on an existing client (to which it adds an interceptor that counts the
    /// SDK's attempts, for the spans).
    pub fn with_client(client: Client, schema: TableSchema) -> Result<Self> {
        schema.validate()?;
        let config = client
            .config()
            .to_builder()
            .interceptor(CountAttempts)
            .build();
        Ok(DynamoDbRepository {
            client: Client::from_conf(config),
            schema,
            billing: Billing::default(),
        })
    }

    /// Sets how `create_table` bills a new table.
    pub fn with_billing(mut self, billing: Billing) -> Self {
        self.billing = billing;
        self
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    fn table(&self) -> &str {
        &self.schema.name
    }

    fn span(&self, operation: &'static str) -> tracing::Span {
        tracing::info_span!(
            "monotable.request",
            db.system = "dynamodb",
            db.operation = operation,
            db.name = %self.schema.name,
            aws.dynamodb.consumed_capacity = tracing::field::Empty,
            aws.dynamodb.retries = tracing::field::Empty,
        )
    }

    fn record_capacity(span: &tracing::Span, capacity: Option<&ddb::ConsumedCapacity>) {
        if let Some(units) = capacity.and_then(|c| c.capacity_units()) {
            span.record("aws.dynamodb.consumed_capacity", units);
        }
    }

    /// Runs one request in its span, and records how many times the SDK retried it.
    async fn traced<F: std::future::Future>(
        &self,
        operation: &'static str,
        request: F,
    ) -> (F::Output, tracing::Span) {
        let span = self.span(operation);
        let (out, attempts) = ATTEMPTS
            .scope(std::cell::Cell::new(0), async move {
                let out = request.await;
                (out, ATTEMPTS.with(std::cell::Cell::get))
            })
            .instrument(span.clone())
            .await;
        // Recorded only when the interceptor counted the attempts (it always should).
        if attempts > 0 {
            span.record("aws.dynamodb.retries", attempts - 1);
        }
        (out, span)
    }

    fn key_schema(
        attrs: impl Iterator<Item = (String, ddb::KeyType)>,
    ) -> Result<Vec<ddb::KeySchemaElement>> {
        attrs
            .map(|(name, kt)| {
                ddb::KeySchemaElement::builder()
                    .attribute_name(name)
                    .key_type(kt)
                    .build()
                    .map_err(build_error)
            })
            .collect()
    }

    fn keys_of(
        partition: &monotable_core::KeyAttribute,
        sort: Option<&monotable_core::KeyAttribute>,
    ) -> Result<Vec<ddb::KeySchemaElement>> {
        Self::key_schema(
            std::iter::once((partition.name.clone(), ddb::KeyType::Hash))
                .chain(sort.map(|s| (s.name.clone(), ddb::KeyType::Range))),
        )
    }

    fn projection(p: &Projection) -> ddb::Projection {
        match p {
            Projection::All => ddb::Projection::builder()
                .projection_type(ddb::ProjectionType::All)
                .build(),
            Projection::KeysOnly => ddb::Projection::builder()
                .projection_type(ddb::ProjectionType::KeysOnly)
                .build(),
            Projection::Include(list) => ddb::Projection::builder()
                .projection_type(ddb::ProjectionType::Include)
                .set_non_key_attributes(Some(list.clone()))
                .build(),
        }
    }

    fn throughput(&self) -> Result<Option<ddb::ProvisionedThroughput>> {
        match self.billing {
            Billing::OnDemand => Ok(None),
            Billing::Provisioned { read, write } => ddb::ProvisionedThroughput::builder()
                .read_capacity_units(read)
                .write_capacity_units(write)
                .build()
                .map(Some)
                .map_err(build_error),
        }
    }

    async fn wait_active(&self) -> Result<()> {
        for attempt in 0..120u32 {
            let out = self
                .client
                .describe_table()
                .table_name(self.table())
                .send()
                .await
                .map_err(|e| map_error(e, None, self.table()))?;
            let table = out.table();
            let active = table.and_then(|t| t.table_status()) == Some(&ddb::TableStatus::Active)
                && table
                    .map(|t| t.global_secondary_indexes())
                    .unwrap_or_default()
                    .iter()
                    .all(|g| g.index_status() == Some(&ddb::IndexStatus::Active));
            if active {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt.min(20)) + 50)).await;
        }
        Err(Error::backend(
            "dynamodb",
            true,
            format!("table {} did not become active", self.table()),
        ))
    }

    /// Compares the existing table with the schema; returns one sentence per difference
    /// (empty when they agree).
    ///
    /// # Errors
    ///
    /// [`Error::TableNotFound`] if the table does not exist.
    pub async fn check_table(&self) -> Result<Vec<String>> {
        let out = self
            .client
            .describe_table()
            .table_name(self.table())
            .send()
            .await
            .map_err(|e| map_error(e, None, self.table()))?;
        let Some(table) = out.table() else {
            return Err(Error::TableNotFound {
                table: self.table().to_string(),
            });
        };
        let mut diffs = Vec::new();
        let types: HashMap<&str, &ddb::ScalarAttributeType> = table
            .attribute_definitions()
            .iter()
            .map(|d| (d.attribute_name(), d.attribute_type()))
            .collect();
        let describe = |keys: &[ddb::KeySchemaElement]| -> Vec<String> {
            keys.iter()
                .map(|k| {
                    format!(
                        "{} {} {}",
                        k.key_type().as_str(),
                        k.attribute_name(),
                        types
                            .get(k.attribute_name())
                            .map(|t| t.as_str())
                            .unwrap_or("?")
                    )
                })
                .collect()
        };
        let expect = |p: &monotable_core::KeyAttribute,
                      sort: Option<&monotable_core::KeyAttribute>|
         -> Vec<String> {
            let ty = |k: &monotable_core::KeyAttribute| k.key_type.value_type().name().to_string();
            std::iter::once(format!("HASH {} {}", p.name, ty(p)))
                .chain(sort.map(|s| format!("RANGE {} {}", s.name, ty(s))))
                .collect()
        };
        let want = expect(&self.schema.partition_key, self.schema.sort_key.as_ref());
        let have = describe(table.key_schema());
        if want != have {
            diffs.push(format!(
                "table key: schema has {want:?}, table has {have:?}"
            ));
        }
        for index in &self.schema.indexes {
            let found: Option<(Vec<String>, Option<&ddb::Projection>)> = match index.kind {
                IndexKind::Global => table
                    .global_secondary_indexes()
                    .iter()
                    .find(|g| g.index_name() == Some(index.name.as_str()))
                    .map(|g| (describe(g.key_schema()), g.projection())),
                IndexKind::Local => table
                    .local_secondary_indexes()
                    .iter()
                    .find(|l| l.index_name() == Some(index.name.as_str()))
                    .map(|l| (describe(l.key_schema()), l.projection())),
            };
            match found {
                None => diffs.push(format!("index {}: missing from the table", index.name)),
                Some((have, projection)) => {
                    let want = expect(&index.partition_key, index.sort_key.as_ref());
                    if want != have {
                        diffs.push(format!(
                            "index {}: schema has keys {want:?}, table has {have:?}",
                            index.name
                        ));
                    }
                    let want_p = Self::projection(&index.projection);
                    let same = projection.map(|p| (p.projection_type(), p.non_key_attributes()))
                        == Some((want_p.projection_type(), want_p.non_key_attributes()));
                    if !same {
                        diffs.push(format!(
                            "index {}: projection differs ({:?} in the table)",
                            index.name,
                            projection.and_then(|p| p.projection_type())
                        ));
                    }
                }
            }
        }
        for g in table.global_secondary_indexes() {
            if !self
                .schema
                .indexes
                .iter()
                .any(|i| Some(i.name.as_str()) == g.index_name())
            {
                diffs.push(format!(
                    "index {}: in the table, not in the schema",
                    g.index_name().unwrap_or("?")
                ));
            }
        }
        Ok(diffs)
    }

    fn keys_and_attributes(
        &self,
        keys: Vec<Item>,
        projection: &Option<Vec<Path>>,
    ) -> Result<ddb::KeysAndAttributes> {
        let mut r = Rendered::default();
        let projection = r.projection(projection);
        ddb::KeysAndAttributes::builder()
            .set_keys(Some(keys.into_iter().map(to_map).collect()))
            .set_projection_expression(projection)
            .set_expression_attribute_names(r.names())
            .build()
            .map_err(build_error)
    }

    fn transact_item(&self, action: TransactWriteItem) -> Result<ddb::TransactWriteItem> {
        let mut r = Rendered::default();
        let table = self.table().to_string();
        let fail = on_failure(action.return_old_on_condition_failure());
        let b = ddb::TransactWriteItem::builder();
        let b = match action {
            TransactWriteItem::Put {
                item, condition, ..
            } => {
                let c = r.condition(&condition);
                b.put(
                    ddb::Put::builder()
                        .table_name(table)
                        .set_item(Some(to_map(item)))
                        .set_condition_expression(c)
                        .set_expression_attribute_names(r.names())
                        .set_expression_attribute_values(r.values())
                        .set_return_values_on_condition_check_failure(fail)
                        .build()
                        .map_err(build_error)?,
                )
            }
            TransactWriteItem::Update {
                key,
                update,
                condition,
                ..
            } => {
                // TransactWriteItems requires an update expression; an empty update (an upsert of
                // the key alone, as UpdateItem allows) becomes the removal of an attribute no
                // item has, which changes nothing and creates the item if absent.
                let u = if update.is_empty() {
                    format!("REMOVE {}", r.builder.name(NO_OP_ATTRIBUTE))
                } else {
                    r.builder.update(&update)
                };
                let c = r.condition(&condition);
                b.update(
                    ddb::Update::builder()
                        .table_name(table)
                        .set_key(Some(to_map(key)))
                        .update_expression(u)
                        .set_condition_expression(c)
                        .set_expression_attribute_names(r.names())
                        .set_expression_attribute_values(r.values())
                        .set_return_values_on_condition_check_failure(fail)
                        .build()
                        .map_err(build_error)?,
                )
            }
            TransactWriteItem::Delete { key, condition, .. } => {
                let c = r.condition(&condition);
                b.delete(
                    ddb::Delete::builder()
                        .table_name(table)
                        .set_key(Some(to_map(key)))
                        .set_condition_expression(c)
                        .set_expression_attribute_names(r.names())
                        .set_expression_attribute_values(r.values())
                        .set_return_values_on_condition_check_failure(fail)
                        .build()
                        .map_err(build_error)?,
                )
            }
            TransactWriteItem::ConditionCheck { key, condition, .. } => {
                let c = r.builder.condition(&condition);
                b.condition_check(
                    ddb::ConditionCheck::builder()
                        .table_name(table)
                        .set_key(Some(to_map(key)))
                        .condition_expression(c)
                        .set_expression_attribute_names(r.names())
                        .set_expression_attribute_values(r.values())
                        .set_return_values_on_condition_check_failure(fail)
                        .build()
                        .map_err(build_error)?,
                )
            }
        };
        Ok(b.build())
    }
}

fn page(
    items: &[AttributeMap],
    count: i32,
    scanned: i32,
    lek: Option<&AttributeMap>,
) -> Result<Page> {
    Ok(Page {
        items: items.iter().map(from_map).collect::<Result<_>>()?,
        count: count.max(0) as usize,
        scanned_count: scanned.max(0) as usize,
        last_evaluated_key: lek.map(from_map).transpose()?,
    })
}

fn limit(l: Option<u32>) -> Option<i32> {
    l.map(|l| i32::try_from(l).unwrap_or(i32::MAX))
}

#[async_trait]
impl Repository for DynamoDbRepository {
    fn schema(&self) -> &TableSchema {
        &self.schema
    }

    async fn create_table(&self) -> Result<()> {
        let span = self.span("CreateTable");
        async {
            let mut defs: Vec<(String, ddb::ScalarAttributeType)> = Vec::new();
            let attrs = self
                .schema
                .keys()
                .chain(self.schema.indexes.iter().flat_map(|i| i.keys()));
            for a in attrs {
                if !defs.iter().any(|(n, _)| n == &a.name) {
                    let t = match a.key_type {
                        monotable_core::KeyType::S => ddb::ScalarAttributeType::S,
                        monotable_core::KeyType::N => ddb::ScalarAttributeType::N,
                        monotable_core::KeyType::B => ddb::ScalarAttributeType::B,
                    };
                    defs.push((a.name.clone(), t));
                }
            }
            let definitions = defs
                .into_iter()
                .map(|(n, t)| {
                    ddb::AttributeDefinition::builder()
                        .attribute_name(n)
                        .attribute_type(t)
                        .build()
                        .map_err(build_error)
                })
                .collect::<Result<Vec<_>>>()?;
            let throughput = self.throughput()?;
            let mut gsis = Vec::new();
            let mut lsis = Vec::new();
            for index in &self.schema.indexes {
                let keys = Self::keys_of(&index.partition_key, index.sort_key.as_ref())?;
                match index.kind {
                    IndexKind::Global => gsis.push(
                        ddb::GlobalSecondaryIndex::builder()
                            .index_name(&index.name)
                            .set_key_schema(Some(keys))
                            .projection(Self::projection(&index.projection))
                            .set_provisioned_throughput(throughput.clone())
                            .build()
                            .map_err(build_error)?,
                    ),
                    IndexKind::Local => lsis.push(
                        ddb::LocalSecondaryIndex::builder()
                            .index_name(&index.name)
                            .set_key_schema(Some(keys))
                            .projection(Self::projection(&index.projection))
                            .build()
                            .map_err(build_error)?,
                    ),
                }
            }
            let billing = match self.billing {
                Billing::OnDemand => ddb::BillingMode::PayPerRequest,
                Billing::Provisioned { .. } => ddb::BillingMode::Provisioned,
            };
            let created = self
                .client
                .create_table()
                .table_name(self.table())
                .set_attribute_definitions(Some(definitions))
                .set_key_schema(Some(Self::keys_of(
                    &self.schema.partition_key,
                    self.schema.sort_key.as_ref(),
                )?))
                .set_global_secondary_indexes((!gsis.is_empty()).then_some(gsis))
                .set_local_secondary_indexes((!lsis.is_empty()).then_some(lsis))
                .billing_mode(billing)
                .set_provisioned_throughput(throughput)
                .send()
                .await;
            match created {
                Ok(_) => {}
                Err(e)
                    if e.as_service_error()
                        .map(|s| s.is_resource_in_use_exception())
                        == Some(true) => {}
                Err(e) => return Err(map_error(e, None, self.table())),
            }
            self.wait_active().await?;
            if let Some(ttl) = &self.schema.ttl_attribute {
                let spec = ddb::TimeToLiveSpecification::builder()
                    .enabled(true)
                    .attribute_name(ttl)
                    .build()
                    .map_err(build_error)?;
                let r = self
                    .client
                    .update_time_to_live()
                    .table_name(self.table())
                    .time_to_live_specification(spec)
                    .send()
                    .await;
                if let Err(e) = r {
                    // Enabling TTL twice is refused with a ValidationException: already done.
                    if e.as_service_error().and_then(|s| s.code()) != Some("ValidationException") {
                        return Err(map_error(e, None, self.table()));
                    }
                }
            }
            Ok(())
        }
        .instrument(span)
        .await
    }

    async fn get_item(&self, request: GetItem) -> Result<Option<Item>> {
        let mut r = Rendered::default();
        let projection = r.projection(&request.projection);
        let (out, span) = self
            .traced(
                "GetItem",
                self.client
                    .get_item()
                    .table_name(self.table())
                    .set_key(Some(to_map(request.key)))
                    .set_projection_expression(projection)
                    .set_expression_attribute_names(r.names())
                    .consistent_read(request.consistent_read)
                    .return_consumed_capacity(ddb::ReturnConsumedCapacity::Total)
                    .send(),
            )
            .await;
        let out = out.map_err(|e| map_error(e, None, self.table()))?;
        Self::record_capacity(&span, out.consumed_capacity());
        out.item().map(from_map).transpose()
    }

    async fn put_item(&self, request: PutItem) -> Result<Option<Item>> {
        let mut r = Rendered::default();
        let condition = r.condition(&request.condition);
        let size = request.item.size();
        let (out, span) = self
            .traced(
                "PutItem",
                self.client
                    .put_item()
                    .table_name(self.table())
                    .set_item(Some(to_map(request.item)))
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(r.names())
                    .set_expression_attribute_values(r.values())
                    .return_values(return_value(request.return_values))
                    .set_return_values_on_condition_check_failure(on_failure(
                        request.return_old_on_condition_failure,
                    ))
                    .return_consumed_capacity(ddb::ReturnConsumedCapacity::Total)
                    .send(),
            )
            .await;
        let out = out
            .map_err(|e| {
                let old = condition_item!(e, aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException);
                with_old_item(map_error(e, Some(size), self.table()), old.as_ref())
            })?;
        Self::record_capacity(&span, out.consumed_capacity());
        out.attributes().map(from_map).transpose()
    }

    async fn update_item(&self, request: UpdateItem) -> Result<Option<Item>> {
        let mut r = Rendered::default();
        let update = (!request.update.is_empty()).then(|| r.builder.update(&request.update));
        let condition = r.condition(&request.condition);
        let (out, span) = self
            .traced(
                "UpdateItem",
                self.client
                    .update_item()
                    .table_name(self.table())
                    .set_key(Some(to_map(request.key)))
                    .set_update_expression(update)
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(r.names())
                    .set_expression_attribute_values(r.values())
                    .return_values(return_value(request.return_values))
                    .set_return_values_on_condition_check_failure(on_failure(
                        request.return_old_on_condition_failure,
                    ))
                    .return_consumed_capacity(ddb::ReturnConsumedCapacity::Total)
                    .send(),
            )
            .await;
        let out = out
            .map_err(|e| {
                let old = condition_item!(e, aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException);
                with_old_item(map_error(e, None, self.table()), old.as_ref())
            })?;
        Self::record_capacity(&span, out.consumed_capacity());
        match out.attributes() {
            Some(a) if !a.is_empty() => from_map(a).map(Some),
            _ => Ok(None),
        }
    }

    async fn delete_item(&self, request: DeleteItem) -> Result<Option<Item>> {
        let mut r = Rendered::default();
        let condition = r.condition(&request.condition);
        let (out, span) = self
            .traced(
                "DeleteItem",
                self.client
                    .delete_item()
                    .table_name(self.table())
                    .set_key(Some(to_map(request.key)))
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(r.names())
                    .set_expression_attribute_values(r.values())
                    .return_values(return_value(request.return_values))
                    .set_return_values_on_condition_check_failure(on_failure(
                        request.return_old_on_condition_failure,
                    ))
                    .return_consumed_capacity(ddb::ReturnConsumedCapacity::Total)
                    .send(),
            )
            .await;
        let out = out
            .map_err(|e| {
                let old = condition_item!(e, aws_sdk_dynamodb::operation::delete_item::DeleteItemError::ConditionalCheckFailedException);
                with_old_item(map_error(e, None, self.table()), old.as_ref())
            })?;
        Self::record_capacity(&span, out.consumed_capacity());
        out.attributes().map(from_map).transpose()
    }

    async fn query(&self, request: Query) -> Result<Page> {
        let (pk, sk) = match &request.index {
            Some(name) => {
                let (_, ix) = self.schema.index(name)?;
                (
                    ix.partition_key.name.clone(),
                    ix.sort_key.as_ref().map(|s| s.name.clone()),
                )
            }
            None => (
                self.schema.partition_key.name.clone(),
                self.schema.sort_key.as_ref().map(|s| s.name.clone()),
            ),
        };
        if request.key_condition.sort.is_some() && sk.is_none() {
            return Err(Error::invalid("Query condition missed key schema element"));
        }
        let mut r = Rendered::default();
        let kc = r
            .builder
            .key_condition(&request.key_condition, &pk, sk.as_deref());
        let filter = request.filter.as_ref().map(|f| r.builder.condition(f));
        let projection = r.projection(&request.projection);
        let (out, span) = self
            .traced(
                "Query",
                self.client
                    .query()
                    .table_name(self.table())
                    .set_index_name(request.index.clone())
                    .key_condition_expression(kc)
                    .set_filter_expression(filter)
                    .set_projection_expression(projection)
                    .set_expression_attribute_names(r.names())
                    .set_expression_attribute_values(r.values())
                    .scan_index_forward(request.forward)
                    .set_limit(limit(request.limit))
                    .set_exclusive_start_key(request.exclusive_start_key.map(to_map))
                    .set_select(request.count_only.then_some(ddb::Select::Count))
                    .consistent_read(request.consistent_read)
                    .return_consumed_capacity(ddb::ReturnConsumedCapacity::Total)
                    .send(),
            )
            .await;
        let out = out.map_err(|e| map_error(e, None, self.table()))?;
        Self::record_capacity(&span, out.consumed_capacity());
        page(
            out.items(),
            out.count(),
            out.scanned_count(),
            out.last_evaluated_key(),
        )
    }

    async fn scan(&self, request: Scan) -> Result<Page> {
        let mut r = Rendered::default();
        let filter = request.filter.as_ref().map(|f| r.builder.condition(f));
        let projection = r.projection(&request.projection);
        let (segment, total) = match request.segment {
            Some(s) => (Some(s.segment as i32), Some(s.total as i32)),
            None => (None, None),
        };
        let (out, span) = self
            .traced(
                "Scan",
                self.client
                    .scan()
                    .table_name(self.table())
                    .set_index_name(request.index.clone())
                    .set_filter_expression(filter)
                    .set_projection_expression(projection)
                    .set_expression_attribute_names(r.names())
                    .set_expression_attribute_values(r.values())
                    .set_limit(limit(request.limit))
                    .set_exclusive_start_key(request.exclusive_start_key.map(to_map))
                    .set_segment(segment)
                    .set_total_segments(total)
                    .set_select(request.count_only.then_some(ddb::Select::Count))
                    .consistent_read(request.consistent_read)
                    .return_consumed_capacity(ddb::ReturnConsumedCapacity::Total)
                    .send(),
            )
            .await;
        let out = out.map_err(|e| map_error(e, None, self.table()))?;
        Self::record_capacity(&span, out.consumed_capacity());
        page(
            out.items(),
            out.count(),
            out.scanned_count(),
            out.last_evaluated_key(),
        )
    }

    async fn batch_get_item(
        &self,
        keys: Vec<Item>,
        projection: Option<Vec<Path>>,
    ) -> Result<BatchGetOutput> {
        let request = self.keys_and_attributes(keys, &projection)?;
        let (out, span) = self
            .traced(
                "BatchGetItem",
                self.client
                    .batch_get_item()
                    .request_items(self.table(), request)
                    .return_consumed_capacity(ddb::ReturnConsumedCapacity::Total)
                    .send(),
            )
            .await;
        let out = out.map_err(|e| map_error(e, None, self.table()))?;
        Self::record_capacity(&span, out.consumed_capacity().first());
        let items = out
            .responses()
            .and_then(|r| r.get(self.table()))
            .map(|items| items.iter().map(from_map).collect::<Result<Vec<_>>>())
            .transpose()?
            .unwrap_or_default();
        let unprocessed_keys = out
            .unprocessed_keys()
            .and_then(|u| u.get(self.table()))
            .map(|k| k.keys().iter().map(from_map).collect::<Result<Vec<_>>>())
            .transpose()?
            .unwrap_or_default();
        Ok(BatchGetOutput {
            items,
            unprocessed_keys,
        })
    }

    async fn batch_write_item(&self, writes: Vec<WriteRequest>) -> Result<BatchWriteOutput> {
        let largest = writes.iter().map(|w| match w {
            WriteRequest::Put(i) => i.size(),
            WriteRequest::Delete(_) => 0,
        });
        let size = largest.max();
        let requests = writes
            .into_iter()
            .map(|w| {
                let b = ddb::WriteRequest::builder();
                Ok(match w {
                    WriteRequest::Put(item) => b.put_request(
                        ddb::PutRequest::builder()
                            .set_item(Some(to_map(item)))
                            .build()
                            .map_err(build_error)?,
                    ),
                    WriteRequest::Delete(key) => b.delete_request(
                        ddb::DeleteRequest::builder()
                            .set_key(Some(to_map(key)))
                            .build()
                            .map_err(build_error)?,
                    ),
                }
                .build())
            })
            .collect::<Result<Vec<_>>>()?;
        let (out, span) = self
            .traced(
                "BatchWriteItem",
                self.client
                    .batch_write_item()
                    .request_items(self.table(), requests)
                    .return_consumed_capacity(ddb::ReturnConsumedCapacity::Total)
                    .send(),
            )
            .await;
        let out = out.map_err(|e| map_error(e, size, self.table()))?;
        Self::record_capacity(&span, out.consumed_capacity().first());
        let unprocessed = out
            .unprocessed_items()
            .and_then(|u| u.get(self.table()))
            .map(|writes| {
                writes
                    .iter()
                    .filter_map(|w| match (w.put_request(), w.delete_request()) {
                        (Some(p), _) => Some(from_map(p.item()).map(WriteRequest::Put)),
                        (_, Some(d)) => Some(from_map(d.key()).map(WriteRequest::Delete)),
                        _ => None,
                    })
                    .collect::<Result<Vec<_>>>()
            })
            .transpose()?
            .unwrap_or_default();
        Ok(BatchWriteOutput { unprocessed })
    }

    async fn transact_write_items(&self, request: TransactWrite) -> Result<()> {
        let size = request
            .items
            .iter()
            .filter_map(|a| match a {
                TransactWriteItem::Put { item, .. } => Some(item.size()),
                _ => None,
            })
            .max();
        let items = request
            .items
            .into_iter()
            .map(|a| self.transact_item(a))
            .collect::<Result<Vec<_>>>()?;
        let (out, span) = self
            .traced(
                "TransactWriteItems",
                self.client
                    .transact_write_items()
                    .set_transact_items(Some(items))
                    .set_client_request_token(request.client_request_token)
                    .return_consumed_capacity(ddb::ReturnConsumedCapacity::Total)
                    .send(),
            )
            .await;
        let out = out;
        match out {
            Ok(out) => {
                Self::record_capacity(&span, out.consumed_capacity().first());
                Ok(())
            }
            Err(e) => {
                if let Some(aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(c)) = e.as_service_error() {
                    let reasons = c.cancellation_reasons().iter().map(reason).collect::<Result<Vec<_>>>()?;
                    if !reasons.is_empty() {
                        return Err(Error::TransactionCanceled { reasons });
                    }
                }
                Err(map_error(e, size, self.table()))
            }
        }
    }

    async fn transact_get_items(&self, keys: Vec<Item>) -> Result<Vec<Option<Item>>> {
        let items = keys
            .into_iter()
            .map(|k| {
                let get = ddb::Get::builder()
                    .table_name(self.table())
                    .set_key(Some(to_map(k)))
                    .build()
                    .map_err(build_error)?;
                Ok(ddb::TransactGetItem::builder().get(get).build())
            })
            .collect::<Result<Vec<_>>>()?;
        let (out, span) = self
            .traced(
                "TransactGetItems",
                self.client
                    .transact_get_items()
                    .set_transact_items(Some(items))
                    .return_consumed_capacity(ddb::ReturnConsumedCapacity::Total)
                    .send(),
            )
            .await;
        let out = out.map_err(|e| map_error(e, None, self.table()))?;
        Self::record_capacity(&span, out.consumed_capacity().first());
        out.responses()
            .iter()
            .map(|r| r.item().map(from_map).transpose())
            .collect()
    }
}
