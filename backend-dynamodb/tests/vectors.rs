//! DynamoDB Local's recorded vectors, replayed through the DynamoDB backend against DynamoDB
//! Local itself: every replayable vector must pass, the local-specific ones included.

mod backend;
mod support;

use monotable_testkit::vectors;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vectors() {
    let results = vectors::run_all("dynamodb", backend::factory()).await;
    vectors::assert_expected("dynamodb", &results, include_str!("../../README.md"));
}
