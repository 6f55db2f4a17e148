//! The DynamoDB backend's constructor, written once for the conformance suite and the
//! vectors: a repository on DynamoDB Local (found or started by `support`).

use std::sync::Arc;

use monotable_core::Repository;
use monotable_dynamodb::DynamoDbRepository;
use monotable_testkit::Factory;

use super::support;

/// A repository per table, all on one DynamoDB Local client.
pub fn factory() -> Factory {
    monotable_testkit::factory(|schema| async move {
        Arc::new(DynamoDbRepository::with_client(support::client(), schema).expect("schema"))
            as Arc<dyn Repository>
    })
}
