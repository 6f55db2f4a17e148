//! The conformance suite against Amazon's DynamoDB Local (started by `support`).

mod support;

use std::sync::Arc;

use monotable_core::{Repository, TableSchema};
use monotable_dynamodb::DynamoDbRepository;

async fn repository(schema: TableSchema) -> Arc<dyn Repository> {
    Arc::new(DynamoDbRepository::with_client(support::client(), schema).expect("schema"))
}

monotable_testkit::conformance_suite!(repository);
