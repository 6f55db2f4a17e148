//! DynamoDB Local's recorded vectors, replayed on the memory backend; and the mutation check
//! of the runner itself.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use monotable_core::raw::Engine;
use monotable_core::Repository;
use monotable_memory::MemoryStorage;
use monotable_testkit::vectors::{self, Backend, VectorFile};

type Stores = Arc<Mutex<HashMap<String, Arc<MemoryStorage>>>>;

/// The memory backend (core's engine over a `MemoryStorage`), each table's store kept by
/// name so that an UpdateTable can reopen it under the wider schema.
fn memory() -> Backend {
    let stores = Stores::default();
    let kept = stores.clone();
    let factory = monotable_testkit::factory(move |schema| {
        let store = Arc::new(MemoryStorage::new());
        kept.lock()
            .expect("stores")
            .insert(schema.name.clone(), store.clone());
        async move { Arc::new(Engine::new(store, schema).expect("valid schema")) as Arc<dyn Repository> }
    });
    let reopen = monotable_testkit::factory(move |schema| {
        let store = stores
            .lock()
            .expect("stores")
            .get(&schema.name)
            .cloned()
            .unwrap_or_default();
        async move { Arc::new(Engine::new(store, schema).expect("valid schema")) as Arc<dyn Repository> }
    });
    Backend::new("memory", factory).with_reopen(reopen)
}

async fn replay(file: &VectorFile) {
    let results = vectors::replay(&memory(), file).await;
    vectors::assert_file("memory", file, &results, include_str!("../../README.md"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vectors() {
    replay(&vectors::MAIN).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multikey_vectors() {
    replay(&vectors::MULTIKEY).await;
}

/// Every mutant of a compared vector (one changed value, message or code, one dropped item,
/// one removed field) must fail: a mutant that passes is a comparison that cannot fail.
async fn mutants_fail(file: &VectorFile) {
    let score =
        vectors::mutation_score(&memory(), &file.vectors(), &file.expected_outcomes()).await;
    let total = score.killed + score.survived.len();
    println!(
        "mutation score of {}: {} of {total} mutants fail ({} vectors not compared: listed skips and failures)",
        file.name, score.killed, score.not_compared
    );
    for s in &score.survived {
        println!("  SURVIVED {s}");
    }
    assert!(total > 0, "no mutants of {}", file.name);
    assert!(
        score.survived.is_empty(),
        "{} mutants passed:\n{}",
        score.survived.len(),
        score.survived.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mutant_fails() {
    mutants_fail(&vectors::MAIN).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_multikey_mutant_fails() {
    mutants_fail(&vectors::MULTIKEY).await;
}
