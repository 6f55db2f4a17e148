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
//!
//! Every request has timeouts and retries ([`Timeouts`], [`Retries`], with defaults that
//! bound a call to an endpoint that never answers); an error that may have been applied
//! says so ([`Error::may_have_been_applied`]). To retry a write that is not idempotent (a
//! counter's `ADD`) safely, send it as a transaction with a client request token and retry
//! with the same token:
//!
//! ```no_run
//! # use monotable_core::{Repository, RepositoryExt, Transaction, TransactionContext, TableSchema, Update, Path, Entity};
//! # async fn f<C: Entity>(repo: &monotable_dynamodb::DynamoDbRepository, key: C::Key) -> monotable_core::Result<()> {
//! let mut tx = Transaction::new(repo.schema()).with_token("counter-7f3a-visit-42");
//! tx.update::<C>(&key, Update::new().add(Path::attr("visits"), 1), None)?;
//! for attempt in 0..3 {
//!     match repo.commit(tx.clone()).await {
//!         Err(e) if e.is_retryable() && attempt < 2 => continue, // same token: applied once
//!         other => return other,
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! The crate is split by concern: `convert` (SDK attribute values ⇄ core's items), `error`
//! (SDK errors → core's), `trace` (spans), `config` (timeouts and retries), `request` (the one send skeleton every operation
//! uses), `items`, `batch` and `transact` (the operations), `table` (creation and drift).
#![deny(missing_docs)]

mod batch;
mod config;
mod convert;
mod error;
mod items;
mod request;
mod table;
mod trace;
mod transact;

pub use convert::{from_av as from_attribute_value, to_av as to_attribute_value};

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
#[cfg(doc)]
use monotable_core::Error;
use monotable_core::{
    BatchGetOutput, BatchWriteOutput, DeleteItem, GetItem, Item, Page, Path, PutItem, Query,
    Repository, Result, Scan, TableSchema, TransactWrite, UpdateItem, WriteRequest,
};

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

pub use config::{Retries, RetryBudget, RetryMode, Timeouts};

/// A repository on one DynamoDB table.
#[derive(Debug, Clone)]
pub struct DynamoDbRepository {
    client: Client,
    /// The client's configuration as given, before the timeouts and retries.
    base: aws_sdk_dynamodb::Config,
    schema: TableSchema,
    billing: Billing,
    timeouts: Timeouts,
    retries: Retries,
}

impl DynamoDbRepository {
    /// A repository from aws-config's default chain: region (`AWS_REGION`, profile),
    /// credentials (environment, profile, SSO, container, instance), and endpoint
    /// (`AWS_ENDPOINT_URL_DYNAMODB`, then `AWS_ENDPOINT_URL`), with monotable's default
    /// [`Timeouts`] and [`Retries`] (change them with [`with_timeouts`](Self::with_timeouts)
    /// and [`with_retries`](Self::with_retries)).
    pub async fn from_env(schema: TableSchema) -> Result<Self> {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await;
        Self::with_client(Client::new(&config), schema)
    }

    /// A repository on an existing client. It keeps the client's region, credentials and
    /// endpoint, sets monotable's default [`Timeouts`] and [`Retries`] in place of the
    /// client's, and adds an interceptor that counts the SDK's attempts, for the spans, and a
    /// retry classifier that keeps a single-item write that may have been applied from being
    /// sent again.
    pub fn with_client(client: Client, schema: TableSchema) -> Result<Self> {
        schema.validate()?;
        let base = client.config().clone();
        let timeouts = Timeouts::default();
        let retries = Retries::default();
        Ok(DynamoDbRepository {
            client: Self::build_client(&base, &timeouts, &retries),
            base,
            schema,
            billing: Billing::default(),
            timeouts,
            retries,
        })
    }

    fn build_client(base: &aws_sdk_dynamodb::Config, t: &Timeouts, r: &Retries) -> Client {
        let builder = base
            .to_builder()
            .interceptor(trace::CountAttempts)
            .retry_classifier(error::NoRetryWhenMaybeApplied);
        Client::from_conf(config::apply(builder, t, r).build())
    }

    /// Sets the timeouts of every request.
    pub fn with_timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self.client = Self::build_client(&self.base, &self.timeouts, &self.retries);
        self
    }

    /// Sets the retries of every request, and of transactions cancelled by a conflict. A
    /// new [`RetryBudget::PerRepository`] budget starts full.
    pub fn with_retries(mut self, retries: Retries) -> Self {
        self.retries = retries;
        self.client = Self::build_client(&self.base, &self.timeouts, &self.retries);
        self
    }

    /// The timeouts in force.
    pub fn timeouts(&self) -> &Timeouts {
        &self.timeouts
    }

    /// The retries in force.
    pub fn retries(&self) -> &Retries {
        &self.retries
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
}

#[async_trait]
impl Repository for DynamoDbRepository {
    fn schema(&self) -> &TableSchema {
        &self.schema
    }

    async fn create_table(&self) -> Result<()> {
        self.create_table_now().await
    }

    async fn get_item(&self, request: GetItem) -> Result<Option<Item>> {
        items::get_item(self, request).await
    }

    async fn put_item(&self, request: PutItem) -> Result<Option<Item>> {
        items::put_item(self, request).await
    }

    async fn update_item(&self, request: UpdateItem) -> Result<Option<Item>> {
        items::update_item(self, request).await
    }

    async fn delete_item(&self, request: DeleteItem) -> Result<Option<Item>> {
        items::delete_item(self, request).await
    }

    async fn query(&self, request: Query) -> Result<Page> {
        items::query(self, request).await
    }

    async fn scan(&self, request: Scan) -> Result<Page> {
        items::scan(self, request).await
    }

    async fn batch_get_item(
        &self,
        keys: Vec<Item>,
        projection: Option<Vec<Path>>,
    ) -> Result<BatchGetOutput> {
        batch::batch_get_item(self, keys, projection).await
    }

    async fn batch_write_item(&self, writes: Vec<WriteRequest>) -> Result<BatchWriteOutput> {
        batch::batch_write_item(self, writes).await
    }

    async fn transact_write_items(&self, request: TransactWrite) -> Result<()> {
        transact::transact_write_items(self, request).await
    }

    async fn transact_get_items(&self, keys: Vec<Item>) -> Result<Vec<Option<Item>>> {
        transact::transact_get_items(self, keys).await
    }
}
