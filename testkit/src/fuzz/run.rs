//! Running one sequence on two repositories side by side, and what counts as the same answer.

use std::collections::BTreeMap;
use std::sync::Arc;

use monotable_core::{Error, Item, Page, Query, Repository, Scan, TableSchema, TransactWrite};

use super::{Op, Sequence};
use crate::lent;

/// One side's answer to one operation, as text: results, error kind and message, pagination
/// key — everything the comparison looks at.
pub fn outcome_text<T>(r: &Result<T, Error>, ok: impl Fn(&T) -> String) -> String {
    match r {
        Ok(v) => format!("ok {}", ok(v)),
        Err(e) => error_text(e),
    }
}

/// An error as the comparison sees it: its kind and DynamoDB's message.
pub fn error_text(e: &Error) -> String {
    match e {
        Error::ConditionFailed { item } => format!("ConditionFailed item={item:?}"),
        Error::TransactionCanceled { reasons } => {
            let rs: Vec<String> = reasons
                .iter()
                .map(|r| {
                    format!(
                        "{}:{}{}",
                        r.code.as_str(),
                        r.message.as_deref().unwrap_or("-"),
                        r.item
                            .as_ref()
                            .map(|i| format!(" item={i:?}"))
                            .unwrap_or_default()
                    )
                })
                .collect();
            format!("TransactionCanceled [{}]", rs.join(" | "))
        }
        Error::InvalidRequest { message } => format!("InvalidRequest: {message}"),
        Error::ItemTooLarge { message, .. } => format!("ItemTooLarge: {message}"),
        other => format!("Other: {other}"),
    }
}

fn page_text(p: &Page) -> String {
    format!(
        "items={:?} count={} scanned={} lek={:?}",
        p.items, p.count, p.scanned_count, p.last_evaluated_key
    )
}

/// What each side keeps between operations: the last page key of every query and scan
/// target, so that a later read can resume from its own previous page.
#[derive(Default)]
pub struct State {
    last_keys: BTreeMap<String, Item>,
}

/// The outcome of a read, unless reading it again by lending (`get_item_with`,
/// `query_with`, `scan_with`) gave another: then both, marked, so the campaign reports the
/// backend whose two read paths disagree.
fn same_when_lent(owned: String, lent: String) -> String {
    if owned == lent {
        owned
    } else {
        format!("LENT READ DIFFERS: {owned} / lent: {lent}")
    }
}

fn target(kind: &str, index: &Option<String>) -> String {
    format!("{kind}:{}", index.as_deref().unwrap_or("table"))
}

/// Runs one operation and describes its outcome.
pub async fn execute(repo: &dyn Repository, op: &Op, state: &mut State) -> String {
    match op {
        Op::Put(r) => outcome_text(&repo.put_item(r.clone()).await, |o| format!("{o:?}")),
        Op::Update(r) => outcome_text(&repo.update_item(r.clone()).await, |o| format!("{o:?}")),
        Op::Delete(r) => outcome_text(&repo.delete_item(r.clone()).await, |o| format!("{o:?}")),
        Op::Get(r) => same_when_lent(
            outcome_text(&repo.get_item(r.clone()).await, |o| format!("{o:?}")),
            outcome_text(&lent::get_item(repo, r.clone()).await, |o| format!("{o:?}")),
        ),
        Op::Query(q) => {
            let t = target("query", &q.index);
            let request = Query {
                index: q.index.clone(),
                key_condition: q.key_condition.clone(),
                filter: q.filter.clone(),
                projection: q.projection.clone(),
                forward: q.forward,
                limit: q.limit,
                exclusive_start_key: if q.resume {
                    state.last_keys.get(&t).cloned()
                } else {
                    None
                },
                count_only: q.count_only,
                consistent_read: q.consistent_read,
            };
            let r = repo.query(request.clone()).await;
            if let Ok(p) = &r {
                match &p.last_evaluated_key {
                    Some(k) => state.last_keys.insert(t, k.clone()),
                    None => state.last_keys.remove(&t),
                };
            }
            let lent = lent::query(repo, request).await;
            same_when_lent(outcome_text(&r, page_text), outcome_text(&lent, page_text))
        }
        Op::Scan(s) => {
            let t = target("scan", &s.index);
            let request = Scan {
                index: s.index.clone(),
                filter: s.filter.clone(),
                projection: s.projection.clone(),
                limit: s.limit,
                exclusive_start_key: if s.resume {
                    state.last_keys.get(&t).cloned()
                } else {
                    None
                },
                segment: s.segment,
                count_only: s.count_only,
                consistent_read: s.consistent_read,
            };
            let r = repo.scan(request.clone()).await;
            if let Ok(p) = &r {
                match &p.last_evaluated_key {
                    Some(k) => state.last_keys.insert(t, k.clone()),
                    None => state.last_keys.remove(&t),
                };
            }
            let lent = lent::scan(repo, request).await;
            same_when_lent(outcome_text(&r, page_text), outcome_text(&lent, page_text))
        }
        Op::BatchGet(keys, projection) => outcome_text(
            &repo.batch_get_item(keys.clone(), projection.clone()).await,
            |o| {
                let mut items: Vec<String> = o.items.iter().map(|i| format!("{i:?}")).collect();
                items.sort();
                format!("items={items:?} unprocessed={}", o.unprocessed_keys.len())
            },
        ),
        Op::BatchWrite(writes) => outcome_text(
            &repo.batch_write_item(writes.clone()).await,
            |o: &monotable_core::BatchWriteOutput| format!("unprocessed={}", o.unprocessed.len()),
        ),
        Op::TransactWrite(items) => outcome_text(
            &repo
                .transact_write_items(TransactWrite {
                    items: items.clone(),
                    client_request_token: None,
                })
                .await,
            |_| String::new(),
        ),
        Op::TransactGet(keys) => outcome_text(&repo.transact_get_items(keys.clone()).await, |o| {
            format!("{o:?}")
        }),
    }
}

/// Every item of the table and of each index, read by full scans, in a canonical order.
pub async fn final_state(repo: &dyn Repository) -> String {
    let mut out = String::new();
    for index in [None, Some("gsi"), Some("lsi")] {
        let mut items: Vec<String> = Vec::new();
        let mut start = None;
        for _ in 0..100 {
            let page = repo
                .scan(Scan {
                    index: index.map(str::to_string),
                    exclusive_start_key: start.take(),
                    ..Scan::default()
                })
                .await;
            match page {
                Ok(p) => {
                    items.extend(p.items.iter().map(|i| format!("{i:?}")));
                    match p.last_evaluated_key {
                        Some(k) => start = Some(k),
                        None => break,
                    }
                }
                Err(e) => {
                    items.push(error_text(&e));
                    break;
                }
            }
        }
        items.sort();
        out.push_str(&format!(
            "{}: {}\n",
            index.unwrap_or("table"),
            items.join(", ")
        ));
    }
    out
}

/// Where and how two repositories disagreed on a sequence.
#[derive(Debug, Clone)]
pub struct Disagreement {
    /// The operation (its position in the sequence), or `None` for the final state.
    pub step: Option<usize>,
    /// Side A's outcome.
    pub a: String,
    /// Side B's outcome.
    pub b: String,
    /// The reason, when the difference is a documented one.
    pub documented: Option<&'static str>,
}

/// Makes a repository for a schema (the fuzzer creates the table); the same shape as the
/// conformance suite's factory.
pub type Factory = Arc<
    dyn Fn(TableSchema) -> futures::future::BoxFuture<'static, Arc<dyn Repository>> + Send + Sync,
>;

/// Runs `seq` on a fresh table of each side and returns the first disagreement, if any.
/// Documented differences are noted and the run goes on.
pub async fn run_pair(
    seq: &Sequence,
    name: &str,
    a: &Factory,
    b: &Factory,
) -> (Option<Disagreement>, Vec<Disagreement>) {
    let schema = seq.schema(name);
    let ra = a(schema.clone()).await;
    let rb = b(schema).await;
    for r in [&ra, &rb] {
        if let Err(e) = r.create_table().await {
            let d = Disagreement {
                step: None,
                a: format!("create_table: {e}"),
                b: String::new(),
                documented: None,
            };
            return (Some(d), Vec::new());
        }
    }
    let (mut sa, mut sb) = (State::default(), State::default());
    let mut documented = Vec::new();
    for (i, op) in seq.ops.iter().enumerate() {
        let (oa, ob) = (
            execute(ra.as_ref(), op, &mut sa).await,
            execute(rb.as_ref(), op, &mut sb).await,
        );
        if oa != ob {
            let d = Disagreement {
                step: Some(i),
                documented: super::documented(op, &oa, &ob),
                a: oa,
                b: ob,
            };
            if d.documented.is_none() {
                return (Some(d), documented);
            }
            documented.push(d);
        }
    }
    let (fa, fb) = (
        final_state(ra.as_ref()).await,
        final_state(rb.as_ref()).await,
    );
    // Every documented difference but one is one where neither side wrote, so the states
    // still agree; after an LSI sort key written only by DynamoDB Local they cannot.
    let diverged = documented
        .iter()
        .any(|d| d.documented.is_some_and(|r| r.starts_with("LSI sort key")));
    let first = (fa != fb && !diverged).then_some(Disagreement {
        step: None,
        a: fa,
        b: fb,
        documented: None,
    });
    (first, documented)
}

/// The kind of an operation, for grouping disagreements.
pub fn op_kind(op: &Op) -> &'static str {
    match op {
        Op::Put(_) => "PutItem",
        Op::Update(_) => "UpdateItem",
        Op::Delete(_) => "DeleteItem",
        Op::Get(_) => "GetItem",
        Op::Query(_) => "Query",
        Op::Scan(_) => "Scan",
        Op::BatchGet(..) => "BatchGetItem",
        Op::BatchWrite(_) => "BatchWriteItem",
        Op::TransactWrite(_) => "TransactWriteItems",
        Op::TransactGet(_) => "TransactGetItems",
    }
}
