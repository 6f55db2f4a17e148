//! DynamoDB Local's recorded vectors, replayed on the memory backend.

use std::sync::Arc;

use monotable_core::{Repository, TableSchema};
use monotable_memory::{MemoryRepository, MemoryStorage};
use monotable_testkit::vectors;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vectors() {
    let factory: vectors::Factory = Arc::new(|schema: TableSchema| {
        Box::pin(async move {
            Arc::new(MemoryRepository::new(MemoryStorage::new(), schema).expect("schema"))
                as Arc<dyn Repository>
        })
    });
    let results = vectors::run_all("memory", factory).await;
    vectors::assert_targets(&results, false);
}
