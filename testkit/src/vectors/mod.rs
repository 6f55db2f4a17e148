//! Replays the request/response vectors recorded on DynamoDB Local (`vectors/`, or the file
//! named by `MONOTABLE_VECTORS`) through the [`Repository`](monotable_core::Repository)
//! contract of any backend: the data-plane vectors ([`MAIN`]) and the multi-attribute index
//! ones ([`MULTIKEY`]), each file with its own reviewed list of expected outcomes.
//!
//! Each vector creates its tables (under fresh names), puts its items, runs its setup steps
//! (a failing step fails the vector), sends its request — translated from DynamoDB's JSON
//! protocol into `Repository` calls, with its expressions parsed by
//! `monotable_core::expr::parse`; table administration as [`Backend`] says — and compares
//! the whole outcome strictly (see `compare`): every member both ways, error messages
//! exactly, numbers by their text. Every outcome that is not a whole match must be named in
//! the file's reviewed list (a skip, a known difference, a known failure, each with its
//! reason); [`assert_file`] fails on any other.
//!
//! By concern: `load` reads the vectors, the schemas of CreateTable and UpdateTable bodies
//! and renames tables, `execute` translates a wire request into `Repository` calls, `admin`
//! replays table administration, `compare` judges the outcome against the recorded one,
//! `report` judges it against the reviewed list of expected outcomes, counts, prints and
//! asserts, and `mutate` checks that the comparisons can fail.

mod admin;
mod compare;
mod execute;
mod load;
mod mutate;
mod report;
mod tables;

use futures::future::BoxFuture;
use serde_json::Value as Json;

pub use crate::Factory;
pub use load::{load, parse};
pub use mutate::{mutants, mutation_score, Mutant, MutationScore};
pub use report::{
    assert_expected, assert_file, expected_outcomes, judge, parse_expected, report, stated_counts,
    summarise, Expected, Summary, Tally, Verdict, EXPECTED_OUTCOMES,
};

/// The vectors shipped with the testkit (recorded on DynamoDB Local 3.3.1).
pub const BUNDLED: &str = include_str!("../../vectors/dynamodb-vectors.jsonl");

/// A file of vectors and the reviewed list of its expected outcomes.
#[derive(Debug, Clone, Copy)]
pub struct VectorFile {
    /// The file's name under `testkit/vectors/` (the README names it above its counts).
    pub name: &'static str,
    /// Its text: one vector a line.
    pub text: &'static str,
    /// More vectors replayed with it, recorded the same way (`""` if none).
    pub more: &'static str,
    /// The name of its list of expected outcomes.
    pub expected_name: &'static str,
    /// That list's text.
    pub expected: &'static str,
    /// Whether `MONOTABLE_VECTORS` (and `MONOTABLE_VECTORS_EXPECTED`) replace it.
    pub overridable: bool,
}

/// The data-plane vectors (`dynamodb-vectors.jsonl`, 502 recorded on DynamoDB Local 3.3.1,
/// rules R1–R182 of `docs/dynamodb-semantics.md`).
pub const MAIN: VectorFile = VectorFile {
    name: "dynamodb-vectors.jsonl",
    text: BUNDLED,
    more: "",
    expected_name: "expected-outcomes.jsonl",
    expected: EXPECTED_OUTCOMES,
    overridable: true,
};

/// The multi-attribute index vectors: `dynamodb-multikey-vectors.jsonl` (110 recorded on
/// DynamoDB Local 3.3.1 with the rules MK1–MK24 of `docs/dynamodb-multikey.md`), and
/// `dynamodb-multikey-vectors-monotable.jsonl` (160 recorded on DynamoDB Local 3.3.1 by
/// monotable's own probes, rules MK25–MK33 there and confirmations of earlier ones).
pub const MULTIKEY: VectorFile = VectorFile {
    name: "dynamodb-multikey-vectors.jsonl",
    text: include_str!("../../vectors/dynamodb-multikey-vectors.jsonl"),
    more: include_str!("../../vectors/dynamodb-multikey-vectors-monotable.jsonl"),
    expected_name: "expected-outcomes-multikey.jsonl",
    expected: include_str!("../../vectors/expected-outcomes-multikey.jsonl"),
    overridable: false,
};

impl VectorFile {
    /// True if the environment replaces this file (`MONOTABLE_VECTORS`).
    pub fn overridden(&self) -> bool {
        self.overridable && std::env::var("MONOTABLE_VECTORS").is_ok()
    }

    /// Its vectors (for [`MAIN`], those `MONOTABLE_VECTORS` names if set).
    pub fn vectors(&self) -> Vec<Json> {
        if self.overridable && self.overridden() {
            load()
        } else {
            let mut v = parse(self.text);
            v.extend(parse(self.more));
            v
        }
    }

    /// Its reviewed list of expected outcomes (for [`MAIN`], the one
    /// `MONOTABLE_VECTORS_EXPECTED` names, or none for another file without one).
    pub fn expected_outcomes(&self) -> Vec<Expected> {
        if self.overridable {
            expected_outcomes()
        } else {
            parse_expected(self.expected)
        }
    }
}

/// A table administration request's failure on the wire: its error code and message.
#[derive(Debug, Clone, PartialEq)]
pub struct AdminError {
    /// `ValidationException`, `ResourceNotFoundException`, ...
    pub code: String,
    /// The message.
    pub message: String,
}

/// Sends a table administration request (operation, JSON body) to a DynamoDB endpoint as it
/// is, and gives the response body or the error.
pub type AdminSend = std::sync::Arc<
    dyn Fn(String, Json) -> BoxFuture<'static, Result<Json, AdminError>> + Send + Sync,
>;

/// The backend a replay runs on: its name in the lists of expected outcomes, the factory of
/// its repositories, and how its tables are administered.
///
/// Table administration (CreateTable, UpdateTable, DescribeTable, DeleteTable) is not part
/// of the `Repository` contract. With `admin` set, it goes to the endpoint as recorded, and
/// the runner keeps its repositories in step (a table created is a repository made with
/// `factory`, an index added one made with `reopen`). Without it, the runner replays it
/// through the contract: CreateTable converts the body into a `TableSchema` (DynamoDB's
/// messages for what the conversion sees), `TableSchema::validate`s it, makes the
/// repository and calls `create_table`; UpdateTable adding global indexes reopens the
/// table's store with the wider schema through `reopen` and calls `create_table`, which
/// fills the new index from the items (without `reopen` it is a skip); DescribeTable and
/// DeleteTable ask the backend whether the table exists (a Scan of one item): DeleteTable of
/// an existing table is a skip, the contract cannot drop one. A success is compared by its
/// status only: the vectors record no table description (it holds timestamps).
#[derive(Clone)]
pub struct Backend {
    /// `memory`, `sqlite`, `dynamodb`: the name in the lists of expected outcomes.
    pub name: String,
    /// Makes a repository of a new table (its store is fresh).
    pub factory: Factory,
    /// Makes a repository over the table already stored under the schema's name, with this
    /// (wider) schema.
    pub reopen: Option<Factory>,
    /// Sends table administration to the endpoint as recorded.
    pub admin: Option<AdminSend>,
}

impl Backend {
    /// A backend whose table administration goes through the contract, without `reopen`.
    pub fn new(name: impl Into<String>, factory: Factory) -> Self {
        Backend {
            name: name.into(),
            factory,
            reopen: None,
            admin: None,
        }
    }

    /// With a factory that reopens a stored table under a wider schema.
    pub fn with_reopen(mut self, reopen: Factory) -> Self {
        self.reopen = Some(reopen);
        self
    }

    /// With table administration sent to an endpoint.
    pub fn with_admin(mut self, admin: AdminSend) -> Self {
        self.admin = Some(admin);
        self
    }
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backend")
            .field("name", &self.name)
            .field("reopen", &self.reopen.is_some())
            .field("admin", &self.admin.is_some())
            .finish_non_exhaustive()
    }
}

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

/// Runs one vector on `backend`.
pub async fn run(vector: &Json, backend: &Backend, unique: &str) -> VectorResult {
    let id = vector["id"].as_str().unwrap_or("?").to_string();
    let topic = vector["topic"].as_str().unwrap_or("?").to_string();
    let local_specific = vector["local_specific"].as_bool().unwrap_or(false);
    let (outcome, reached_backend) = run_inner(vector, backend, unique).await;
    VectorResult {
        id,
        topic,
        local_specific,
        reached_backend,
        outcome,
    }
}

/// The outcome, and whether the request reached a repository.
async fn run_inner(vector: &Json, backend: &Backend, unique: &str) -> (Outcome, bool) {
    let request = &vector["request"];
    let tables = match execute::setup(vector, backend, unique).await {
        Ok(t) => t,
        Err(outcome) => return (outcome, false),
    };
    let op = request["op"].as_str().unwrap_or_default();
    let body = tables.rename(&request["body"]);
    let expect = &vector["expect"];
    let outcome = if request["paginate"].as_bool() == Some(true) {
        match execute::paginate(&tables, op, body).await {
            Ok(pages) => compare::pages(expect, vector["note"].as_str(), &pages),
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

/// Runs every vector of the bundled data-plane file ([`MAIN`], or the file
/// `MONOTABLE_VECTORS` names) on the backend `factory` makes, table administration through
/// the contract, and prints one line per topic and a total; returns the results.
pub async fn run_all(backend: &str, factory: Factory) -> Vec<VectorResult> {
    replay(&Backend::new(backend, factory), &MAIN).await
}

/// Runs every vector of `file` on `backend` (a few at a time), judges them against the
/// file's list and prints one line per topic and a total; returns the results.
pub async fn replay(backend: &Backend, file: &VectorFile) -> Vec<VectorResult> {
    use futures::StreamExt;
    let vectors = file.vectors();
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0)
        % 1_000_000_000;
    let results: Vec<VectorResult> = futures::stream::iter(vectors.iter().enumerate())
        .map(|(i, v)| async move { run(v, backend, &format!("{stamp}-{i}")).await })
        .buffered(8)
        .collect()
        .await;
    report(&backend.name, file, &results);
    results
}
