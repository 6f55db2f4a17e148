//! DynamoDB Local's recorded vectors, replayed on the memory backend; and the mutation check
//! of the runner itself.

mod backend;

use monotable_testkit::vectors;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vectors() {
    let results = vectors::run_all("memory", backend::factory()).await;
    vectors::assert_expected("memory", &results, include_str!("../../README.md"));
}

/// Every mutant of a compared vector (one changed value, message or code, one dropped item,
/// one removed field) must fail: a mutant that passes is a comparison that cannot fail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mutant_fails() {
    let score = vectors::mutation_score(
        "memory",
        backend::factory(),
        &vectors::load(),
        &vectors::expected_outcomes(),
    )
    .await;
    let total = score.killed + score.survived.len();
    println!(
        "mutation score: {} of {total} mutants fail ({} vectors not compared: listed skips and failures)",
        score.killed, score.not_compared
    );
    for s in &score.survived {
        println!("  SURVIVED {s}");
    }
    assert!(
        score.survived.is_empty(),
        "{} mutants passed:\n{}",
        score.survived.len(),
        score.survived.join("\n")
    );
}
