//! The differential fuzzer, memory vs SQLite: the regression sequences, then a campaign of
//! random sequences (5,000 unless `MONOTABLE_FUZZ_SEQUENCES` says otherwise, seed
//! `MONOTABLE_FUZZ_SEED`). Any disagreement outside the documented list fails.

use std::sync::Arc;

use monotable_core::Repository;
use monotable_memory::{MemoryRepository, MemoryStorage};
use monotable_sqlite::{SqliteRepository, SqliteStorage};
use monotable_testkit::fuzz::{self, Config, Factory};

fn memory() -> Factory {
    Arc::new(|schema| {
        Box::pin(async move {
            Arc::new(MemoryRepository::new(MemoryStorage::new(), schema).expect("schema"))
                as Arc<dyn Repository>
        })
    })
}

fn sqlite() -> Factory {
    Arc::new(|schema| {
        Box::pin(async move {
            let storage = SqliteStorage::in_memory().expect("open");
            Arc::new(SqliteRepository::new(storage, schema).expect("schema")) as Arc<dyn Repository>
        })
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_vs_sqlite() {
    let (a, b) = (memory(), sqlite());
    let failed = fuzz::replay_regressions(&a, &b).await;
    assert!(failed.is_empty(), "{}", failed.join("\n"));
    let report = fuzz::campaign("memory vs sqlite", &Config::from_env(5_000), &a, &b).await;
    assert_eq!(
        report.disagreements,
        0,
        "memory and SQLite disagree:\n{}",
        report.reproductions.join("\n")
    );
}
