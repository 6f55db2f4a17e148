//! Replays the request/response vectors recorded on DynamoDB Local (`vectors/`, or the file
//! named by `MONOTABLE_VECTORS`) through the [`Repository`](monotable_core::Repository) contract of any backend.
//!
//! Each vector creates its tables (under fresh names), puts its items, runs its setup steps,
//! sends its request — translated from DynamoDB's JSON protocol into `Repository` calls, with
//! its expressions parsed by `monotable_core::parse` — and compares the outcome by the
//! format's rules: maps order-insensitive, lists order-sensitive (a batch get's items as a
//! multiset: DynamoDB documents no order), sets as sets, numbers by value; the error code
//! always, the message text counted separately. Vectors that only make sense on the wire,
//! or that use parameters outside the `Repository` contract, are skipped with the reason.
//!
//! By concern: `load` reads the vectors and renames their tables, `execute` translates a
//! wire request into `Repository` calls, `compare` judges the outcome against the recorded
//! one, `report` counts, prints and asserts.

mod compare;
mod execute;
mod load;
mod report;

use serde_json::Value as Json;

pub use crate::Factory;
pub use load::load;
pub use report::{assert_targets, report, Tally};

/// The vectors shipped with the testkit (recorded on DynamoDB Local 3.3.1).
pub const BUNDLED: &str = include_str!("../../vectors/dynamodb-vectors.jsonl");

/// What happened to one vector.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// It matched; for an expected error, whether the message text matched too.
    Passed {
        /// `Some(true)` if an expected error's message matched exactly.
        message_matched: Option<bool>,
    },
    /// It did not match: why.
    Failed(String),
    /// It was not replayed: why.
    Skipped(String),
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
    /// The outcome.
    pub outcome: Outcome,
}

/// Runs one vector against the backend that `factory` makes.
pub async fn run(vector: &Json, factory: &Factory, unique: &str) -> VectorResult {
    let id = vector["id"].as_str().unwrap_or("?").to_string();
    let topic = vector["topic"].as_str().unwrap_or("?").to_string();
    let local_specific = vector["local_specific"].as_bool().unwrap_or(false);
    let outcome = run_inner(vector, factory, unique).await;
    VectorResult {
        id,
        topic,
        local_specific,
        outcome,
    }
}

async fn run_inner(vector: &Json, factory: &Factory, unique: &str) -> Outcome {
    let request = &vector["request"];
    let tables = match execute::setup(vector, factory, unique).await {
        Ok(t) => t,
        Err(outcome) => return outcome,
    };
    let op = request["op"].as_str().unwrap_or_default();
    let body = tables.rename(&request["body"]);
    let expect = &vector["expect"];
    if request["paginate"].as_bool() == Some(true) {
        return match execute::paginate(&tables, op, body).await {
            Ok(pages) => compare::pages(expect, &pages),
            Err(outcome) => outcome,
        };
    }
    let result = execute::execute(&tables, op, &body).await;
    compare::outcome(op, expect, &tables, result)
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
