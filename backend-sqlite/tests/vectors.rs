//! DynamoDB Local's recorded vectors, replayed on the SQLite backend (one file per table).

mod backend;

use monotable_sqlite::Durability;
use monotable_testkit::vectors;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vectors() {
    let dir = std::env::temp_dir().join(format!("monotable-vectors-{}", std::process::id()));
    let results =
        vectors::run_all("sqlite", backend::on_file(dir.clone(), Durability::Normal)).await;
    std::fs::remove_dir_all(&dir).ok();
    vectors::assert_expected("sqlite", &results, include_str!("../../README.md"));
}
