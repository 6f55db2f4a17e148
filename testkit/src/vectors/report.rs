//! Counting and printing the results, and failing the test on the ones that must pass.

use std::collections::BTreeMap;

use super::{Outcome, VectorResult};

/// Counts per topic.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    /// Passed.
    pub passed: usize,
    /// Failed.
    pub failed: usize,
    /// Skipped, by reason.
    pub skipped: BTreeMap<String, usize>,
    /// Passed expected errors whose message matched exactly / all passed expected errors.
    pub messages: (usize, usize),
}

impl Tally {
    fn add(&mut self, o: &Outcome) {
        match o {
            Outcome::Passed { message_matched } => {
                self.passed += 1;
                if let Some(m) = message_matched {
                    self.messages.1 += 1;
                    self.messages.0 += usize::from(*m);
                }
            }
            Outcome::Failed(_) => self.failed += 1,
            Outcome::Skipped(r) => *self.skipped.entry(r.clone()).or_default() += 1,
        }
    }

    /// Number skipped.
    pub fn skipped_count(&self) -> usize {
        self.skipped.values().sum()
    }
}

/// Prints the per-topic table, the local-specific counts, the skip reasons and the failures.
pub fn report(backend: &str, results: &[VectorResult]) {
    let mut topics: BTreeMap<String, Tally> = BTreeMap::new();
    let mut local = Tally::default();
    let mut total = Tally::default();
    for r in results {
        total.add(&r.outcome);
        if r.local_specific {
            local.add(&r.outcome);
        }
        topics.entry(r.topic.clone()).or_default().add(&r.outcome);
    }
    println!("vectors on {backend}:");
    for (topic, t) in &topics {
        println!(
            "  {topic}: {} passed, {} failed, {} skipped",
            t.passed,
            t.failed,
            t.skipped_count()
        );
    }
    println!(
        "  of which local_specific: {} passed, {} failed, {} skipped",
        local.passed,
        local.failed,
        local.skipped_count()
    );
    for (why, n) in &total.skipped {
        println!("  skipped {n}: {why}");
    }
    println!(
        "  error messages matching DynamoDB Local's text exactly: {} of {}",
        total.messages.0, total.messages.1
    );
    for r in results {
        if let Outcome::Failed(why) = &r.outcome {
            println!(
                "  FAILED {}{}: {why}",
                r.id,
                if r.local_specific {
                    " (local_specific)"
                } else {
                    ""
                }
            );
        }
    }
    println!(
        "vectors: {} passed, {} failed, {} skipped",
        total.passed,
        total.failed,
        total.skipped_count()
    );
}

/// Fails the test if a vector that must pass failed: every replayable one on DynamoDB
/// Local (`all = true`), every replayable one not marked `local_specific` elsewhere.
pub fn assert_targets(results: &[VectorResult], all: bool) {
    let failed: Vec<&VectorResult> = results
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Failed(_)) && (all || !r.local_specific))
        .collect();
    assert!(
        failed.is_empty(),
        "{} vectors failed: {}",
        failed.len(),
        failed
            .iter()
            .map(|r| r.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
}
