//! The differential fuzzer, memory vs DynamoDB Local: the regression sequences, then a
//! campaign of random sequences (500 unless `MONOTABLE_FUZZ_SEQUENCES` says otherwise, seed
//! `MONOTABLE_FUZZ_SEED`). Any disagreement outside the documented list fails.

mod support;

use std::sync::Arc;

use monotable_core::Repository;
use monotable_dynamodb::DynamoDbRepository;
use monotable_memory::{MemoryRepository, MemoryStorage};
use monotable_testkit::fuzz::{self, Config, Factory};

fn memory() -> Factory {
    Arc::new(|schema| {
        Box::pin(async move {
            Arc::new(MemoryRepository::new(MemoryStorage::new(), schema).expect("schema"))
                as Arc<dyn Repository>
        })
    })
}

fn dynamodb() -> Factory {
    Arc::new(|schema| {
        Box::pin(async move {
            Arc::new(DynamoDbRepository::with_client(support::client(), schema).expect("schema"))
                as Arc<dyn Repository>
        })
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_vs_dynamodb_local() {
    let (a, b) = (memory(), dynamodb());
    let failed = fuzz::replay_regressions(&a, &b).await;
    assert!(failed.is_empty(), "{}", failed.join("\n"));
    let report = fuzz::campaign("memory vs dynamodb", &Config::from_env(500), &a, &b).await;
    assert_eq!(
        report.disagreements,
        0,
        "memory and DynamoDB Local disagree:\n{}",
        report.reproductions.join("\n")
    );
}
