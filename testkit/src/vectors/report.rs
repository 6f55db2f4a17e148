//! Judging the results against the reviewed list of expected outcomes, counting and printing
//! them, and failing the test on any outcome the list does not name.
//!
//! The list of a vector file (`vectors/expected-outcomes.jsonl` for the data-plane vectors,
//! `vectors/expected-outcomes-multikey.jsonl` for the multi-attribute index ones; one JSON
//! object a line) names every vector that does not pass on a backend, with the reason:
//! `{"id", "backends": [..], "outcome": "skip" | "differs" | "fails", "reason", "message"?,
//! "number_text"?}`. A `differs` entry pins the difference: the backend's exact message
//! (`message`) and whether a number's text differs (`number_text: true`). A vector passes
//! with no entry; any other outcome without its entry — a new skip, a new failure, another
//! message — is unexpected, and so is an entry whose vector now passes or does otherwise.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::{Outcome, VectorFile, VectorResult};

/// The reviewed list of expected outcomes for the bundled vectors.
pub const EXPECTED_OUTCOMES: &str = include_str!("../../vectors/expected-outcomes.jsonl");

/// What the list expects of a vector on some backends.
#[derive(Debug, Clone, PartialEq)]
pub struct Expected {
    /// The vector's id.
    pub id: String,
    /// The backends the entry is for (`memory`, `sqlite`, `dynamodb`).
    pub backends: Vec<String>,
    /// `skip`, `differs` or `fails`.
    pub outcome: String,
    /// Why.
    pub reason: String,
    /// For `differs`: the backend's message, where it is not DynamoDB Local's.
    pub message: Option<String>,
    /// For `differs`: whether a number's text differs.
    pub number_text: bool,
}

/// Parses a list in the format above.
pub fn parse_expected(text: &str) -> Vec<Expected> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let j: Json = serde_json::from_str(l).expect("a JSON object per line");
            let s = |k: &str| j[k].as_str().map(str::to_string);
            Expected {
                id: s("id").expect("id"),
                backends: j["backends"]
                    .as_array()
                    .expect("backends")
                    .iter()
                    .filter_map(|b| b.as_str().map(str::to_string))
                    .collect(),
                outcome: s("outcome").expect("outcome"),
                reason: s("reason").expect("reason"),
                message: s("message"),
                number_text: j["number_text"].as_bool().unwrap_or(false),
            }
        })
        .collect()
}

/// The list that applies: `MONOTABLE_VECTORS_EXPECTED` names one; with `MONOTABLE_VECTORS`
/// (another vector file) and no list, none; else the bundled one.
pub fn expected_outcomes() -> Vec<Expected> {
    match std::env::var("MONOTABLE_VECTORS_EXPECTED") {
        Ok(path) => parse_expected(
            &std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}")),
        ),
        Err(_) if std::env::var("MONOTABLE_VECTORS").is_ok() => Vec::new(),
        Err(_) => parse_expected(EXPECTED_OUTCOMES),
    }
}

/// One vector's outcome judged against the list.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Matched whole, and the list names nothing.
    Passed,
    /// A difference the list names (`differs`), with its reason.
    KnownDifference(String),
    /// A failure the list names (`fails`), with its reason.
    KnownFailure(String),
    /// A skip the list names, with its reason.
    Skipped(String),
    /// Anything else: why it is unexpected.
    Unexpected(String),
}

/// Judges one result on `backend` against the list.
pub fn judge(backend: &str, result: &VectorResult, expected: &[Expected]) -> Verdict {
    let entry = expected
        .iter()
        .find(|e| e.id == result.id && e.backends.iter().any(|b| b == backend));
    let listed = |e: &Expected| format!("listed as {} ({})", e.outcome, e.reason);
    match (&result.outcome, entry) {
        (Outcome::Passed, None) => Verdict::Passed,
        (Outcome::Passed, Some(e)) => Verdict::Unexpected(format!("passes but is {}", listed(e))),
        (Outcome::Skipped(why), Some(e)) if e.outcome == "skip" => Verdict::Skipped(why.clone()),
        (Outcome::Skipped(why), _) => Verdict::Unexpected(format!("a skip not listed: {why}")),
        (Outcome::Failed(why), Some(e)) if e.outcome == "fails" => {
            Verdict::KnownFailure(format!("{} [{why}]", e.reason))
        }
        (Outcome::Failed(why), _) => Verdict::Unexpected(format!("failed: {why}")),
        (Outcome::Differs(d), Some(e))
            if e.outcome == "differs"
                && e.message == d.message
                && e.number_text == d.number_text.is_some() =>
        {
            Verdict::KnownDifference(e.reason.clone())
        }
        (Outcome::Differs(d), _) => Verdict::Unexpected(format!(
            "differs, not as listed:{}{}",
            d.message
                .as_ref()
                .map(|m| format!(" message {m:?}"))
                .unwrap_or_default(),
            d.number_text
                .as_ref()
                .map(|n| format!(" number text ({n})"))
                .unwrap_or_default()
        )),
    }
}

/// Counts of verdicts.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tally {
    /// Passed whole.
    pub passed: usize,
    /// Listed differences (message or number text).
    pub known_differences: usize,
    /// Listed failures.
    pub known_failures: usize,
    /// Listed skips.
    pub skipped: usize,
    /// Outcomes the list does not name: the test fails on any.
    pub unexpected: usize,
}

impl Tally {
    fn add(&mut self, v: &Verdict) {
        match v {
            Verdict::Passed => self.passed += 1,
            Verdict::KnownDifference(_) => self.known_differences += 1,
            Verdict::KnownFailure(_) => self.known_failures += 1,
            Verdict::Skipped(_) => self.skipped += 1,
            Verdict::Unexpected(_) => self.unexpected += 1,
        }
    }

    fn line(&self) -> String {
        format!(
            "{} passed, {} known differences, {} known failures, {} skipped, {} unexpected",
            self.passed, self.known_differences, self.known_failures, self.skipped, self.unexpected
        )
    }
}

/// Every result on one backend, judged against the list.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    /// The totals.
    pub total: Tally,
    /// The totals per topic.
    pub topics: BTreeMap<String, Tally>,
    /// A line per vector that did not pass whole, and per stale list entry.
    pub lines: Vec<String>,
    /// The unexpected outcomes (stale list entries included): the test fails on any.
    pub unexpected: Vec<String>,
    /// Vectors (not skipped) answered before any repository call: by monotable's
    /// expression parser or item decoder, or by a CreateTable or UpdateTable body read into
    /// a schema and validated.
    pub before_backend: usize,
}

/// Judges every result on `backend` against `expected`.
pub fn summarise(backend: &str, results: &[VectorResult], expected: &[Expected]) -> Summary {
    let mut s = Summary::default();
    for r in results {
        let v = judge(backend, r, expected);
        s.total.add(&v);
        s.topics.entry(r.topic.clone()).or_default().add(&v);
        let local = if r.local_specific {
            " (local_specific)"
        } else {
            ""
        };
        match &v {
            Verdict::Passed => {}
            Verdict::KnownDifference(why) => {
                s.lines.push(format!("  differs {}{local}: {why}", r.id))
            }
            Verdict::KnownFailure(why) => s.lines.push(format!("  fails {}{local}: {why}", r.id)),
            Verdict::Skipped(why) => s.lines.push(format!("  skipped {}: {why}", r.id)),
            Verdict::Unexpected(why) => {
                s.lines.push(format!("  UNEXPECTED {}{local}: {why}", r.id));
                s.unexpected.push(format!("{}: {why}", r.id));
            }
        }
        if !r.reached_backend && !matches!(r.outcome, Outcome::Skipped(_)) {
            s.before_backend += 1;
        }
    }
    for e in expected
        .iter()
        .filter(|e| e.backends.iter().any(|b| b == backend))
    {
        if !results.iter().any(|r| r.id == e.id) {
            let why = format!(
                "{}: listed as {}, but no such vector was run",
                e.id, e.outcome
            );
            s.lines.push(format!("  UNEXPECTED {why}"));
            s.unexpected.push(why);
            s.total.unexpected += 1;
        }
    }
    s
}

/// Prints a line per topic, every listed difference, failure and skip with its reason,
/// every unexpected outcome, and the total.
pub fn report(backend: &str, file: &VectorFile, results: &[VectorResult]) -> Summary {
    let s = summarise(backend, results, &file.expected_outcomes());
    println!("vectors of {} on {backend}:", file.name);
    for (topic, t) in &s.topics {
        println!("  {topic}: {}", t.line());
    }
    for l in &s.lines {
        println!("{l}");
    }
    println!(
        "  answered before any repository call (monotable's expression parser or item decoder; a table's schema read from its CreateTable or UpdateTable body, validated): {}",
        s.before_backend
    );
    println!("vectors of {}: {}", file.name, s.total.line());
    s
}

/// The counts the README states for `backend` and the vector file `file`: in the table
/// that follows the first line naming the file (`` `file` ``) after the heading "Fidelity,
/// measured", the row whose first cell starts with the backend's name, then passed, known
/// differences, known failures, skipped.
pub fn stated_counts(readme: &str, file: &str, backend: &str) -> Option<[usize; 4]> {
    let named = format!("`{file}`");
    readme
        .lines()
        .skip_while(|l| !l.starts_with("## Fidelity, measured"))
        .skip_while(|l| !l.contains(&named))
        .find_map(|line| {
            let cells: Vec<&str> = line
                .trim()
                .trim_matches('|')
                .split('|')
                .map(str::trim)
                .collect();
            if !line.trim_start().starts_with('|')
                || cells.len() != 5
                || !cells[0].starts_with(backend)
            {
                return None;
            }
            let mut n = [0; 4];
            for (slot, cell) in n.iter_mut().zip(&cells[1..]) {
                *slot = cell.parse().ok()?;
            }
            Some(n)
        })
}

/// [`assert_file`] for the data-plane file ([`MAIN`](super::MAIN)).
pub fn assert_expected(backend: &str, results: &[VectorResult], readme: &str) {
    assert_file(backend, &super::MAIN, results, readme)
}

/// Fails the test on any outcome the file's list does not name (see the module doc), and,
/// for a bundled file, if `readme`'s table for it ("Fidelity, measured") states other
/// counts for `backend` than the run gives.
pub fn assert_file(backend: &str, file: &VectorFile, results: &[VectorResult], readme: &str) {
    let s = summarise(backend, results, &file.expected_outcomes());
    assert!(
        s.unexpected.is_empty(),
        "{} vector outcomes of {} on {backend} are not in vectors/{}:\n{}",
        s.unexpected.len(),
        file.name,
        file.expected_name,
        s.unexpected.join("\n")
    );
    if !file.overridden() {
        let t = &s.total;
        let counts = [t.passed, t.known_differences, t.known_failures, t.skipped];
        assert_eq!(
            stated_counts(readme, file.name, backend),
            Some(counts),
            "the README's counts of {} for {backend} (passed, known differences, known \
             failures, skipped) are not the run's",
            file.name
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_read_from_the_table_after_the_file_name() {
        let readme = "# x\n| memory | 9 | 9 | 9 | 9 |\n## Fidelity, measured\n\
            `a.jsonl` first\n\n| backend | passed | d | f | s |\n| --- | --- |\n\
            | memory | 1 | 2 | 3 | 4 |\n| sqlite | 5 | 6 | 7 | 8 |\n\n\
            `b.jsonl` second\n\n| memory | 10 | 0 | 0 | 1 |\n";
        assert_eq!(
            stated_counts(readme, "a.jsonl", "memory"),
            Some([1, 2, 3, 4])
        );
        assert_eq!(
            stated_counts(readme, "a.jsonl", "sqlite"),
            Some([5, 6, 7, 8])
        );
        assert_eq!(
            stated_counts(readme, "b.jsonl", "memory"),
            Some([10, 0, 0, 1])
        );
        assert_eq!(stated_counts(readme, "c.jsonl", "memory"), None);
    }
}
