//! A differential fuzzer: random sequences of operations at the [`Repository`] level, run on
//! two repositories side by side (memory vs SQLite, a local backend vs DynamoDB Local), that
//! must agree on every result, error kind and message, page key and the final state.
//!
//! The generator is seeded ([`gen::sequence`]): a tiny key space (two partitions, three sort
//! keys, two GSI partitions, two values for each index sort key), every attribute type,
//! a table with a GSI and an LSI whose projections (ALL, KEYS_ONLY, INCLUDE) vary by
//! sequence, and every operation kind. A disagreement is shrunk ([`shrink::shrink`]) to a
//! short reproduction, printed as Rust, and kept in [`regressions`], which every run replays
//! first.
//!
//! A campaign reads `MONOTABLE_FUZZ_SEQUENCES` and `MONOTABLE_FUZZ_SEED` and prints
//! `fuzz: N sequences, M disagreements`.
//!
//! [`Repository`]: monotable_core::Repository

pub mod gen;
pub mod regressions;
pub mod run;
pub mod shrink;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use futures::StreamExt;
use monotable_core::expr::{Condition, KeyCondition, Path};
use monotable_core::{
    DeleteItem, GetItem, IndexSchema, Item, KeyAttribute, Projection, PutItem, Segment,
    TableSchema, TransactWriteItem, UpdateItem, WriteRequest,
};

pub use run::{Disagreement, Factory};

/// A query, with `resume` in place of a start key: resume from this side's own last page of
/// the same target.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryOp {
    /// The index; the table if `None`.
    pub index: Option<String>,
    /// Partition value and sort condition.
    pub key_condition: KeyCondition,
    /// Filter.
    pub filter: Option<Condition>,
    /// Projection.
    pub projection: Option<Vec<Path>>,
    /// Ascending.
    pub forward: bool,
    /// Limit.
    pub limit: Option<u32>,
    /// Start after the last page key of the previous query on this target.
    pub resume: bool,
    /// Count only.
    pub count_only: bool,
    /// Consistent read.
    pub consistent_read: bool,
}

/// A scan, with `resume` in place of a start key.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanOp {
    /// The index; the table if `None`.
    pub index: Option<String>,
    /// Filter.
    pub filter: Option<Condition>,
    /// Projection.
    pub projection: Option<Vec<Path>>,
    /// Limit.
    pub limit: Option<u32>,
    /// Start after the last page key of the previous scan on this target.
    pub resume: bool,
    /// Parallel-scan segment.
    pub segment: Option<Segment>,
    /// Count only.
    pub count_only: bool,
    /// Consistent read.
    pub consistent_read: bool,
}

/// One operation of a sequence.
#[derive(Debug, Clone)]
pub enum Op {
    /// PutItem.
    Put(PutItem),
    /// UpdateItem.
    Update(UpdateItem),
    /// DeleteItem.
    Delete(DeleteItem),
    /// GetItem.
    Get(GetItem),
    /// Query.
    Query(QueryOp),
    /// Scan.
    Scan(ScanOp),
    /// BatchGetItem.
    BatchGet(Vec<Item>, Option<Vec<Path>>),
    /// BatchWriteItem.
    BatchWrite(Vec<WriteRequest>),
    /// TransactWriteItems.
    TransactWrite(Vec<TransactWriteItem>),
    /// TransactGetItems.
    TransactGet(Vec<Item>),
}

/// A sequence of operations on a fresh table whose index projections it names.
#[derive(Debug, Clone)]
pub struct Sequence {
    /// Projection of the GSI `gsi` (partition `gp` S, sort `gs` N).
    pub gsi: Projection,
    /// Projection of the LSI `lsi` (sort `ls` N).
    pub lsi: Projection,
    /// The operations.
    pub ops: Vec<Op>,
}

impl Sequence {
    /// The table: `pk` S / `sk` S, a GSI and an LSI with this sequence's projections.
    pub fn schema(&self, name: &str) -> TableSchema {
        TableSchema::single_table(name)
            .with_index(
                IndexSchema::global("gsi", KeyAttribute::s("gp"))
                    .with_sort_key(KeyAttribute::n("gs"))
                    .with_projection(self.gsi.clone()),
            )
            .with_index(
                IndexSchema::local("lsi", KeyAttribute::n("ls")).with_projection(self.lsi.clone()),
            )
    }
}

/// The differences between the backends that are deliberate (README, "Known differences
/// from DynamoDB"), recognised by the operation and the two outcomes. Each returns its
/// reason; anything else fails the run.
pub fn documented(op: &Op, a: &str, b: &str) -> Option<&'static str> {
    let either = |s: &str| a.contains(s) || b.contains(s);
    match op {
        // DynamoDB Local accepts an LSI sort key of the wrong type in UpdateItem (README).
        Op::Update(u)
            if a.contains("Type mismatch for Index Key")
                && u.update.actions.iter().any(|x| x.path().root() == "ls") =>
        {
            Some("LSI sort key of the wrong type in an update is rejected locally")
        }
        // DynamoDB Local answers a transactional get with a key of the wrong shape with a
        // TransactionCanceledException without reasons.
        Op::TransactGet(_) if either("TransactionCanceled []") => {
            Some("TransactGetItems key of the wrong shape is a validation error locally")
        }
        _ if clash_naming(a, b) => Some(
            "a clash of document paths in an expression of three or more paths names another pair of paths",
        ),
        // The wire names the placeholder of an invalid value (`for key :v0`); the AST has
        // no placeholders.
        _ if b.contains("ExpressionAttributeValues contains invalid value: ")
            && rejected(a)
            && b.contains(a.trim_start_matches("InvalidRequest: ")) =>
        {
            Some("an invalid value in an expression: DynamoDB names its placeholder")
        }
        _ if known_rejection(a) && known_rejection(b) => Some(
            "both reject the request with different messages, each a rule the engine checks (a request that breaks two rules, where DynamoDB Local names another first)",
        ),
        // Transactions with several failing actions, or two actions on one item.
        Op::TransactWrite(_) if failed(a) && failed(b) => Some(
            "a transaction with several failing actions or two actions on one item: another failure is reported",
        ),
        _ => None,
    }
}

/// Both outcomes say two document paths of the same expression overlap or conflict.
fn clash_naming(a: &str, b: &str) -> bool {
    let clause = |s: &str| {
        s.strip_prefix("InvalidRequest: Invalid ")
            .filter(|rest| rest.contains("Two document paths"))
            .and_then(|rest| rest.split(':').next())
            .map(str::to_string)
    };
    clause(a).is_some() && clause(a) == clause(b)
}

/// The rules whose messages may differ between the sides when a request breaks two of them
/// (DynamoDB Local checks them in another order): each is a rule the engine checks too. A
/// rejection whose message is not one of these — a rule the engine does not know — fails
/// the campaign. Gathered from the campaigns in the README (seeds 1 and 7).
const KNOWN_REJECTIONS: &[&str] = &[
    "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed",
    "Invalid UpdateExpression: Incorrect operand type for operator or function",
    "Invalid ConditionExpression: Incorrect operand type for operator or function",
    "Invalid FilterExpression: Incorrect operand type for operator or function",
    "Invalid KeyConditionExpression: Incorrect operand type for operator or function",
    "The document path provided in the update expression is invalid for update",
    "Provided list of item keys contains duplicates",
    "The provided expression refers to an attribute that does not exist in the item",
    "Invalid ProjectionExpression: Two document paths ",
    "Invalid UpdateExpression: Two document paths ",
    "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty ",
    "One or more parameter values are not valid. A value specified for a secondary index key is not supported.",
    "One or more parameter values are not valid. The update expression attempted to update a secondary index key",
    "The number of conditions on the keys is invalid",
    "One or more parameter values were invalid: Global secondary index ",
    "One or more parameter values were invalid: Secondary index ",
    "An operand in the update expression has an incorrect data type",
    "One or more parameter values were invalid: Condition parameter type does not match schema type",
    "One or more parameter values were invalid: Type mismatch for key",
    "One or more parameter values were invalid: Type mismatch for Index Key",
    "One or more parameter values were invalid: An string set  may not be empty",
    "One or more parameter values were invalid: An number set  may not be empty",
    "One or more parameter values were invalid: An binary set  may not be empty",
    "One or more parameter values were invalid: Cannot update attribute ",
    "Invalid attribute value type",
    "Consistent reads are not supported on global secondary indexes",
    "Cannot specify the ProjectionExpression when choosing to get only the Count",
    "Transaction request cannot include multiple operations on one item",
    "One of the required keys was not given a value",
    "Invalid ConditionExpression: The BETWEEN operator requires ",
    "Invalid KeyConditionExpression: The BETWEEN operator requires ",
    "ExpressionAttributeValues contains invalid value: ",
    "DynamoDB only supports precision up to ",
    "Invalid UpdateExpression: The first operand must be distinct from the remaining operands",
    "Invalid FilterExpression: The first operand must be distinct from the remaining operands",
    "Invalid ConditionExpression: The first operand must be distinct from the remaining operands",
];

/// A request refused with one of the [`KNOWN_REJECTIONS`].
fn known_rejection(outcome: &str) -> bool {
    outcome
        .strip_prefix("InvalidRequest: ")
        .is_some_and(|m| KNOWN_REJECTIONS.iter().any(|k| m.starts_with(k)))
}

/// The request was refused as a whole (not a failed condition or a cancelled transaction).
fn rejected(outcome: &str) -> bool {
    outcome.starts_with("InvalidRequest: ") || outcome.starts_with("ItemTooLarge: ")
}

/// The request wrote nothing: refused, or a transaction cancelled.
fn failed(outcome: &str) -> bool {
    rejected(outcome) || outcome.starts_with("TransactionCanceled ")
}

/// A campaign's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Number of random sequences.
    pub sequences: u64,
    /// The campaign's seed; sequence `i` has seed [`gen::sequence_seed`]`(seed, i)`.
    pub seed: u64,
    /// Operations per sequence.
    pub length: usize,
    /// Sequences run at once.
    pub concurrency: usize,
    /// Disagreements shrunk and printed (the others are only counted).
    pub shrink: usize,
    /// Runs of a sequence the shrinker may spend on one disagreement.
    pub shrink_budget: usize,
}

impl Config {
    /// `sequences` sequences unless `MONOTABLE_FUZZ_SEQUENCES` says otherwise; the seed from
    /// `MONOTABLE_FUZZ_SEED` (default 1, so that CI runs the same sequences every time).
    pub fn from_env(sequences: u64) -> Self {
        let var = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
        Config {
            sequences: var("MONOTABLE_FUZZ_SEQUENCES").unwrap_or(sequences),
            seed: var("MONOTABLE_FUZZ_SEED").unwrap_or(1),
            length: 20,
            concurrency: 4,
            shrink: var("MONOTABLE_FUZZ_SHRINK").map_or(5, |n| n as usize),
            shrink_budget: 300,
        }
    }
}

/// What a campaign found.
#[derive(Debug, Default)]
pub struct Report {
    /// Sequences run.
    pub sequences: u64,
    /// Sequences with an undocumented disagreement.
    pub disagreements: u64,
    /// Sequences with only documented differences, by reason.
    pub documented: Vec<(&'static str, u64)>,
    /// Shrunk reproductions, as text.
    pub reproductions: Vec<String>,
}

static TABLES: AtomicU64 = AtomicU64::new(0);

fn table_name(tag: &str) -> String {
    format!(
        "fz-{tag}-{}-{}",
        std::process::id(),
        TABLES.fetch_add(1, Ordering::Relaxed)
    )
}

/// Runs one sequence; `Some` on an undocumented disagreement.
pub async fn check(seq: &Sequence, a: &Factory, b: &Factory) -> Option<Disagreement> {
    run::run_pair(seq, &table_name("s"), a, b).await.0
}

fn describe(seq: &Sequence, d: &Disagreement) -> String {
    let mut out = format!("gsi {:?}, lsi {:?}\n", seq.gsi, seq.lsi);
    for (i, op) in seq.ops.iter().enumerate() {
        out.push_str(&format!("  {i}: {op:?}\n"));
    }
    let at = match d.step {
        Some(i) => format!("operation {i}"),
        None => "final state".to_string(),
    };
    out.push_str(&format!(
        "  disagree at {at}:\n    a: {}\n    b: {}\n",
        d.a, d.b
    ));
    out
}

/// A disagreement's class, to group them: the operation kind and both outcomes with their
/// data left out.
fn class_of(seq: &Sequence, d: &Disagreement) -> String {
    let kind = d.step.map_or("final state", |i| run::op_kind(&seq.ops[i]));
    let short = |s: &str| -> String {
        let s = s.split(" item=").next().unwrap_or(s);
        let s = s.split("items=").next().unwrap_or(s);
        s.chars().take(110).collect()
    };
    format!("{kind}: a: {} / b: {}", short(&d.a), short(&d.b))
}

/// Shrinks a disagreeing sequence and describes the reproduction.
pub async fn minimize(seq: Sequence, a: &Factory, b: &Factory, budget: usize) -> String {
    let mut seq = seq;
    if let Some(d) = check(&seq, a, b).await {
        if let Some(i) = d.step {
            seq.ops.truncate(i + 1);
        }
    }
    let small = shrink::shrink(
        seq,
        budget,
        |s| async move { check(&s, a, b).await.is_some() },
    )
    .await;
    match check(&small, a, b).await {
        Some(d) => describe(&small, &d),
        None => format!("(flaky) {small:?}"),
    }
}

/// Replays every [`regressions`] case; returns the descriptions of those that disagree.
pub async fn replay_regressions(a: &Factory, b: &Factory) -> Vec<String> {
    let mut failed = Vec::new();
    for (name, seq) in regressions::cases() {
        if let Some(d) = check(&seq, a, b).await {
            failed.push(format!("regression {name}: {}", describe(&seq, &d)));
        }
    }
    failed
}

/// Runs a campaign of random sequences on `a` and `b`, shrinks the first disagreements,
/// prints `fuzz: N sequences, M disagreements` and returns the report.
pub async fn campaign(label: &str, config: &Config, a: &Factory, b: &Factory) -> Report {
    let started = Instant::now();
    let results: Vec<(u64, Option<Disagreement>, Vec<Disagreement>)> =
        futures::stream::iter(0..config.sequences)
            .map(|i| async move {
                let seq = gen::sequence(gen::sequence_seed(config.seed, i), config.length);
                let (first, documented) = run::run_pair(&seq, &table_name("c"), a, b).await;
                (i, first, documented)
            })
            .buffer_unordered(config.concurrency.max(1))
            .collect()
            .await;
    let mut report = Report {
        sequences: config.sequences,
        ..Report::default()
    };
    let mut failing: Vec<u64> = Vec::new();
    let mut classes: Vec<(String, u64, u64)> = Vec::new();
    for (i, first, documented) in results {
        if let Some(d) = &first {
            report.disagreements += 1;
            let seq = gen::sequence(gen::sequence_seed(config.seed, i), config.length);
            let class = class_of(&seq, d);
            match classes.iter_mut().find(|(c, _, _)| *c == class) {
                Some((_, n, _)) => *n += 1,
                None => {
                    classes.push((class, 1, i));
                    failing.push(i);
                }
            }
        }
        if let Some(d) = documented.first().and_then(|d| d.documented) {
            match report.documented.iter_mut().find(|(r, _)| *r == d) {
                Some((_, n)) => *n += 1,
                None => report.documented.push((d, 1)),
            }
        }
    }
    classes.sort_by_key(|c| std::cmp::Reverse(c.1));
    for (class, n, first) in &classes {
        println!("fuzz: {label}: {n} sequences (first {first}): {class}");
    }
    for i in failing.iter().take(config.shrink) {
        let seq = gen::sequence(gen::sequence_seed(config.seed, *i), config.length);
        let repro = minimize(seq, a, b, config.shrink_budget).await;
        println!(
            "fuzz: {label}: sequence {i} (seed {}) shrinks to\n{repro}",
            config.seed
        );
        report.reproductions.push(repro);
    }
    for (reason, n) in &report.documented {
        println!("fuzz: {label}: documented difference in {n} sequences: {reason}");
    }
    println!(
        "fuzz: {} sequences, {} disagreements ({label}, seed {}, {:.1} s)",
        report.sequences,
        report.disagreements,
        config.seed,
        started.elapsed().as_secs_f64()
    );
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two different rejections are documented only when each is a rule the engine checks:
    /// a DynamoDB message of a rule the engine does not know is a disagreement.
    #[test]
    fn only_known_rejections_are_documented() {
        let op = Op::BatchWrite(Vec::new());
        let local =
            "InvalidRequest: One or more parameter values were invalid: Type mismatch for key";
        let known = "InvalidRequest: Provided list of item keys contains duplicates";
        let unknown = "InvalidRequest: A rule nobody implemented";
        assert!(documented(&op, local, known).is_some());
        assert!(documented(&op, local, unknown).is_none());
        assert!(documented(&op, unknown, known).is_none());
        assert!(documented(&op, "ConditionFailed", known).is_none());
    }
}
