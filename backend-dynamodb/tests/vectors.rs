//! DynamoDB Local's recorded vectors, replayed through the DynamoDB backend against DynamoDB
//! Local itself: every replayable vector must pass, the local-specific ones included.

mod support;

use std::sync::Arc;

use monotable_core::{Repository, TableSchema};
use monotable_dynamodb::DynamoDbRepository;
use monotable_testkit::vectors;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vectors() {
    let factory: vectors::Factory = Arc::new(|schema: TableSchema| {
        Box::pin(async move {
            Arc::new(DynamoDbRepository::with_client(support::client(), schema).expect("schema"))
                as Arc<dyn Repository>
        })
    });
    let results = vectors::run_all("dynamodb", factory).await;
    vectors::assert_targets(&results, true);
}
