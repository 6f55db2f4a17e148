//! DynamoDB Local's recorded vectors, replayed on the SQLite backend (one file per table).

use std::sync::Arc;

use monotable_core::{Repository, TableSchema};
use monotable_sqlite::{Durability, SqliteRepository, SqliteStorage};
use monotable_testkit::vectors;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vectors() {
    let dir = std::env::temp_dir().join(format!("monotable-vectors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let root = dir.clone();
    let factory: vectors::Factory = Arc::new(move |schema: TableSchema| {
        let path = root.join(format!("{}.db", schema.name));
        Box::pin(async move {
            let storage = SqliteStorage::open_with(path, Durability::Normal).expect("open");
            Arc::new(SqliteRepository::new(storage, schema).expect("schema")) as Arc<dyn Repository>
        })
    });
    let results = vectors::run_all("sqlite", factory).await;
    std::fs::remove_dir_all(&dir).ok();
    vectors::assert_targets(&results, false);
}
