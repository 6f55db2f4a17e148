//! DynamoDB Local's recorded vectors, replayed on the memory backend.

mod backend;

use monotable_testkit::vectors;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vectors() {
    let results = vectors::run_all("memory", backend::factory()).await;
    vectors::assert_targets(&results, false);
}
