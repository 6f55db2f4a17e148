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
//! The crate is split by concern: `convert` (SDK attribute values ⇄ core's items), `error`
//! (SDK errors → core's), `trace` (spans), `request` (the one send skeleton every operation
//! uses), `items`, `batch` and `transact` (the operations), `table` (creation and drift).
#![deny(missing_docs)]

mod batch;
mod convert;
mod error;
mod items;
mod request;
mod table;
mod trace;
mod transact;

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

/// A repository on one DynamoDB table.
#[derive(Debug, Clone)]
pub struct DynamoDbRepository {
    client: Client,
    schema: TableSchema,
    billing: Billing,
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
            .interceptor(trace::CountAttempts)
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
