//! Shrinking a disagreeing sequence to a short reproduction: drop operations, then simplify
//! the ones left, keeping every change after which the two sides still disagree.

use std::future::Future;

use monotable_core::expr::{Condition, Update};
use monotable_core::{Projection, TransactWriteItem};

use super::{Op, Sequence};

/// Simpler variants of one operation: fewer parts, no condition, filter or projection.
fn simplify(op: &Op) -> Vec<Op> {
    let mut out = Vec::new();
    let fewer_actions = |u: &Update| -> Vec<Update> {
        if u.actions.len() < 2 {
            return Vec::new();
        }
        (0..u.actions.len())
            .map(|i| {
                let mut v = u.clone();
                v.actions.remove(i);
                v
            })
            .collect()
    };
    let simpler_conditions = |c: &Condition| -> Vec<Condition> {
        match c {
            Condition::And(a, b) | Condition::Or(a, b) => vec![(**a).clone(), (**b).clone()],
            Condition::Not(a) => vec![(**a).clone()],
            _ => Vec::new(),
        }
    };
    match op {
        Op::Put(r) => {
            if r.condition.is_some() {
                out.push(Op::Put(monotable_core::PutItem {
                    condition: None,
                    ..r.clone()
                }));
            }
            for c in r.condition.iter().flat_map(simpler_conditions) {
                let mut v = r.clone();
                v.condition = Some(c);
                out.push(Op::Put(v));
            }
            for name in r.item.keys().filter(|k| *k != "pk" && *k != "sk") {
                let mut v = r.clone();
                v.item.remove(name);
                out.push(Op::Put(v));
            }
        }
        Op::Update(r) => {
            if r.condition.is_some() {
                let mut v = r.clone();
                v.condition = None;
                out.push(Op::Update(v));
            }
            for c in r.condition.iter().flat_map(simpler_conditions) {
                let mut v = r.clone();
                v.condition = Some(c);
                out.push(Op::Update(v));
            }
            for u in fewer_actions(&r.update) {
                let mut v = r.clone();
                v.update = u;
                out.push(Op::Update(v));
            }
        }
        Op::Delete(r) if r.condition.is_some() => {
            let mut v = r.clone();
            v.condition = None;
            out.push(Op::Delete(v));
        }
        Op::Get(r) if r.projection.is_some() => {
            let mut v = r.clone();
            v.projection = None;
            out.push(Op::Get(v));
        }
        Op::Query(q) => {
            let mut push = |f: &dyn Fn(&mut super::QueryOp)| {
                let mut v = q.clone();
                f(&mut v);
                if v != *q {
                    out.push(Op::Query(v));
                }
            };
            push(&|v| v.filter = None);
            push(&|v| v.projection = None);
            push(&|v| v.limit = None);
            push(&|v| v.resume = false);
            push(&|v| v.key_condition.sort = None);
            push(&|v| v.count_only = false);
            push(&|v| v.consistent_read = false);
            push(&|v| v.forward = true);
            if let Some(c) = &q.filter {
                for c in simpler_conditions(c) {
                    let mut v = q.clone();
                    v.filter = Some(c);
                    out.push(Op::Query(v));
                }
            }
        }
        Op::Scan(s) => {
            let mut push = |f: &dyn Fn(&mut super::ScanOp)| {
                let mut v = s.clone();
                f(&mut v);
                if v != *s {
                    out.push(Op::Scan(v));
                }
            };
            push(&|v| v.filter = None);
            push(&|v| v.projection = None);
            push(&|v| v.limit = None);
            push(&|v| v.resume = false);
            push(&|v| v.segment = None);
            push(&|v| v.count_only = false);
            push(&|v| v.consistent_read = false);
            if let Some(c) = &s.filter {
                for c in simpler_conditions(c) {
                    let mut v = s.clone();
                    v.filter = Some(c);
                    out.push(Op::Scan(v));
                }
            }
        }
        Op::BatchGet(keys, projection) => {
            if projection.is_some() {
                out.push(Op::BatchGet(keys.clone(), None));
            }
            if keys.len() > 1 {
                for i in 0..keys.len() {
                    let mut k = keys.clone();
                    k.remove(i);
                    out.push(Op::BatchGet(k, projection.clone()));
                }
            }
        }
        Op::BatchWrite(w) if w.len() > 1 => {
            for i in 0..w.len() {
                let mut v = w.clone();
                v.remove(i);
                out.push(Op::BatchWrite(v));
            }
        }
        Op::TransactWrite(items) => {
            if items.len() > 1 {
                for i in 0..items.len() {
                    let mut v = items.clone();
                    v.remove(i);
                    out.push(Op::TransactWrite(v));
                }
            }
            for (i, item) in items.iter().enumerate() {
                let simpler: Vec<TransactWriteItem> = match item {
                    TransactWriteItem::Put {
                        condition: Some(_), ..
                    }
                    | TransactWriteItem::Update {
                        condition: Some(_), ..
                    }
                    | TransactWriteItem::Delete {
                        condition: Some(_), ..
                    } => {
                        let mut x = item.clone();
                        match &mut x {
                            TransactWriteItem::Put { condition, .. }
                            | TransactWriteItem::Update { condition, .. }
                            | TransactWriteItem::Delete { condition, .. } => *condition = None,
                            TransactWriteItem::ConditionCheck { .. } => {}
                        }
                        vec![x]
                    }
                    TransactWriteItem::Update { update, .. } => fewer_actions(update)
                        .into_iter()
                        .map(|u| {
                            let mut x = item.clone();
                            if let TransactWriteItem::Update { update, .. } = &mut x {
                                *update = u;
                            }
                            x
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                for s in simpler {
                    let mut v = items.clone();
                    v[i] = s;
                    out.push(Op::TransactWrite(v));
                }
            }
        }
        Op::TransactGet(keys) if keys.len() > 1 => {
            for i in 0..keys.len() {
                let mut k = keys.clone();
                k.remove(i);
                out.push(Op::TransactGet(k));
            }
        }
        _ => {}
    }
    out
}

/// Shrinks `seq` while `fails` holds, within `budget` runs of `fails`.
pub async fn shrink<F, Fut>(mut seq: Sequence, budget: usize, fails: F) -> Sequence
where
    F: Fn(Sequence) -> Fut,
    Fut: Future<Output = bool>,
{
    let mut runs = 0usize;
    // Drop chunks of operations, halving the chunk size.
    let mut chunk = seq.ops.len().div_ceil(2).max(1);
    loop {
        let mut start = 0;
        while start < seq.ops.len() && runs < budget {
            let mut candidate = seq.clone();
            let end = (start + chunk).min(candidate.ops.len());
            candidate.ops.drain(start..end);
            runs += 1;
            if !candidate.ops.is_empty() && fails(candidate.clone()).await {
                seq = candidate;
            } else {
                start += chunk;
            }
        }
        if chunk == 1 || runs >= budget {
            break;
        }
        chunk = chunk.div_ceil(2);
    }
    // Simplify the schema, then each operation, until nothing simpler still fails.
    for all in [true, false] {
        let mut candidate = seq.clone();
        let slot = if all {
            &mut candidate.gsi
        } else {
            &mut candidate.lsi
        };
        let changed = *slot != Projection::All;
        *slot = Projection::All;
        if changed && runs < budget {
            runs += 1;
            if fails(candidate.clone()).await {
                seq = candidate;
            }
        }
    }
    let mut progress = true;
    while progress && runs < budget {
        progress = false;
        for i in 0..seq.ops.len() {
            for simpler in simplify(&seq.ops[i]) {
                if runs >= budget {
                    break;
                }
                let mut candidate = seq.clone();
                candidate.ops[i] = simpler;
                runs += 1;
                if fails(candidate.clone()).await {
                    seq = candidate;
                    progress = true;
                    break;
                }
            }
        }
    }
    seq
}
