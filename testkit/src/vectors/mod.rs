//! Replays the request/response vectors recorded on DynamoDB Local (`vectors/`, or the file
//! named by `MONOTABLE_VECTORS`) through the [`Repository`](monotable_core::Repository)
//! contract of any backend.
//!
//! Each vector creates its tables (under fresh names), puts its items, runs its setup steps
//! (a failing step fails the vector), sends its request — translated from DynamoDB's JSON
//! protocol into `Repository` calls, with its expressions parsed by
//! `monotable_core::expr::parse` — and compares the whole outcome strictly (see `compare`):
//! every member both ways, error messages exactly, numbers by their text. Every outcome that
//! is not a whole match must be named in the reviewed list [`EXPECTED_OUTCOMES`] (a skip, a
//! known difference, a known failure, each with its reason); [`assert_expected`] fails on any
//! other.
//!
//! By concern: `load` reads the vectors and renames their tables, `execute` translates a
//! wire request into `Repository` calls, `compare` judges the outcome against the recorded
//! one, `report` judges it against the reviewed list of expected outcomes, counts, prints
//! and asserts, and `mutate` checks that the comparisons can fail.

mod compare;
mod execute;
mod load;
mod mutate;
mod report;

use serde_json::Value as Json;

pub use crate::Factory;
pub use load::load;
pub use mutate::{mutants, mutation_score, Mutant, MutationScore};
pub use report::{
    assert_expected, expected_outcomes, judge, parse_expected, report, summarise, Expected,
    Summary, Tally, Verdict, EXPECTED_OUTCOMES,
};

/// The vectors shipped with the testkit (recorded on DynamoDB Local 3.3.1).
pub const BUNDLED: &str = include_str!("../../vectors/dynamodb-vectors.jsonl");

/// What happened to one vector.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The whole outcome matched: every member, every number's text, the message.
    Passed,
    /// It matched but for these differences (a test accepts them only where
    /// [`EXPECTED_OUTCOMES`] lists them).
    Differs(Differences),
    /// It did not match: why.
    Failed(String),
    /// It was not replayed: why.
    Skipped(String),
}

/// How an outcome differs from the recorded one where everything else matched.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Differences {
    /// The backend's error message, where it is not DynamoDB Local's text.
    pub message: Option<String>,
    /// The first number whose text differs (equal by value).
    pub number_text: Option<String>,
}

/// One vector's result.
#[derive(Debug, Clone)]
pub struct VectorResult {
    /// The vector's id.
    pub id: String,
    /// Its topic.
    pub topic: String,
    /// Whether it documents a behaviour of DynamoDB Local only.
    pub local_specific: bool,
    /// Whether the request reached a repository (else monotable's parser or item decoder
    /// answered it, or it was skipped).
    pub reached_backend: bool,
    /// The outcome.
    pub outcome: Outcome,
}

/// Runs one vector against the backend that `factory` makes.
pub async fn run(vector: &Json, factory: &Factory, unique: &str) -> VectorResult {
    let id = vector["id"].as_str().unwrap_or("?").to_string();
    let topic = vector["topic"].as_str().unwrap_or("?").to_string();
    let local_specific = vector["local_specific"].as_bool().unwrap_or(false);
    let (outcome, reached_backend) = run_inner(vector, factory, unique).await;
    VectorResult {
        id,
        topic,
        local_specific,
        reached_backend,
        outcome,
    }
}

/// The outcome, and whether the request reached a repository.
async fn run_inner(vector: &Json, factory: &Factory, unique: &str) -> (Outcome, bool) {
    let request = &vector["request"];
    let tables = match execute::setup(vector, factory, unique).await {
        Ok(t) => t,
        Err(outcome) => return (outcome, false),
    };
    let op = request["op"].as_str().unwrap_or_default();
    let body = tables.rename(&request["body"]);
    let expect = &vector["expect"];
    let outcome = if request["paginate"].as_bool() == Some(true) {
        match execute::paginate(&tables, op, body).await {
            Ok(pages) => compare::pages(expect, &pages),
            Err(outcome) => outcome,
        }
    } else {
        let result = execute::execute(&tables, op, &body)
            .await
            .map_err(|f| tables.unrename(f));
        compare::outcome(op, expect, &tables, result)
    };
    (
        outcome,
        tables.reached.load(std::sync::atomic::Ordering::Relaxed),
    )
}

/// Runs every vector (a few at a time) and prints one line per topic and a total; returns
/// the results.
pub async fn run_all(backend: &str, factory: Factory) -> Vec<VectorResult> {
    use futures::StreamExt;
    let vectors = load();
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0)
        % 1_000_000_000;
    let results: Vec<VectorResult> = futures::stream::iter(vectors.iter().enumerate())
        .map(|(i, v)| {
            let factory = factory.clone();
            async move { run(v, &factory, &format!("{stamp}-{i}")).await }
        })
        .buffered(8)
        .collect()
        .await;
    report(backend, &results);
    results
}
