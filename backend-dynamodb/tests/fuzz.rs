//! The differential fuzzer, memory vs DynamoDB Local: the regression sequences, then a
//! campaign of random sequences (500 unless `MONOTABLE_FUZZ_SEQUENCES` says otherwise, seed
//! `MONOTABLE_FUZZ_SEED`). Any disagreement outside the documented list fails. A long
//! campaign: `MONOTABLE_FUZZ_SEQUENCES=10000 MONOTABLE_FUZZ_SEED=7 cargo test -p
//! monotable-dynamodb --test fuzz -- --nocapture`.

mod support;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

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

/// Tables created so far, oldest first.
static TABLES: Mutex<VecDeque<String>> = Mutex::new(VecDeque::new());
/// Past this many tables, the oldest are deleted (a long campaign would otherwise fill
/// DynamoDB Local's memory and slow it down); the newest `KEEP` stay, far more than the
/// sequences in flight at once (4), so no table in use is deleted.
const CLEAN_AFTER: usize = 600;
const KEEP: usize = 200;

fn dynamodb() -> Factory {
    Arc::new(|schema| {
        Box::pin(async move {
            let old: Vec<String> = {
                let mut tables = TABLES.lock().expect("tables");
                tables.push_back(schema.name.clone());
                if tables.len() > CLEAN_AFTER {
                    let n = tables.len() - KEEP;
                    tables.drain(..n).collect()
                } else {
                    Vec::new()
                }
            };
            let client = support::client();
            for name in old {
                let _ = client.delete_table().table_name(name).send().await;
            }
            Arc::new(DynamoDbRepository::with_client(client, schema).expect("schema"))
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
