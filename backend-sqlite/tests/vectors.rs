//! DynamoDB Local's recorded vectors, replayed on the SQLite backend (one file per table).

mod backend;

use std::path::PathBuf;
use std::sync::Arc;

use monotable_core::Repository;
use monotable_sqlite::{Durability, SqliteRepository, SqliteStorage};
use monotable_testkit::vectors::{self, Backend, VectorFile};

/// The SQLite backend, one file per table in `dir`; an UpdateTable reopens the table's file
/// under the wider schema.
fn sqlite(dir: PathBuf) -> Backend {
    let factory = backend::on_file(dir.clone(), Durability::Normal);
    let reopen = monotable_testkit::factory(move |schema| {
        let path = dir.join(format!("{}.db", schema.name));
        async move {
            let storage = SqliteStorage::open_with(path, Durability::Normal).expect("open");
            Arc::new(SqliteRepository::new(storage, schema).expect("schema")) as Arc<dyn Repository>
        }
    });
    Backend::new("sqlite", factory).with_reopen(reopen)
}

async fn replay(file: &VectorFile, folder: &str) {
    let dir = std::env::temp_dir().join(format!("{folder}-{}", std::process::id()));
    let results = vectors::replay(&sqlite(dir.clone()), file).await;
    std::fs::remove_dir_all(&dir).ok();
    vectors::assert_file("sqlite", file, &results, include_str!("../../README.md"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vectors() {
    replay(&vectors::MAIN, "monotable-vectors").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multikey_vectors() {
    replay(&vectors::MULTIKEY, "monotable-multikey-vectors").await;
}
