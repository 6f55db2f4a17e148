//! Comparing a replayed outcome with the recorded one, by the format's rules.

use serde_json::{json, Value as Json};

use super::execute::{Fail, Tables};
use super::Outcome;

/// Compares an expected and an actual JSON value by the format's rules.
fn same(expected: &Json, actual: &Json) -> bool {
    match (expected, actual) {
        (Json::Object(e), Json::Object(a)) if e.len() == 1 && a.len() == 1 => {
            let (ek, ev) = e.iter().next().expect("one");
            let (ak, av) = a.iter().next().expect("one");
            if ek != ak {
                return false;
            }
            match ek.as_str() {
                "N" => numbers_equal(ev, av),
                "SS" | "BS" => as_sorted(ev) == as_sorted(av),
                "NS" => {
                    let parse = |j: &Json| -> Option<Vec<monotable_core::Number>> {
                        let mut v: Vec<_> = j
                            .as_array()?
                            .iter()
                            .map(|x| {
                                x.as_str()
                                    .and_then(|s| monotable_core::Number::parse(s).ok())
                            })
                            .collect::<Option<_>>()?;
                        v.sort();
                        Some(v)
                    };
                    parse(ev) == parse(av)
                }
                _ => same(ev, av),
            }
        }
        (Json::Object(e), Json::Object(a)) => {
            e.len() == a.len() && e.iter().all(|(k, v)| a.get(k).is_some_and(|x| same(v, x)))
        }
        (Json::Array(e), Json::Array(a)) => {
            e.len() == a.len() && e.iter().zip(a).all(|(x, y)| same(x, y))
        }
        (Json::Number(e), Json::Number(a)) => e.as_f64() == a.as_f64(),
        _ => expected == actual,
    }
}

fn numbers_equal(a: &Json, b: &Json) -> bool {
    match (
        a.as_str().map(monotable_core::Number::parse),
        b.as_str().map(monotable_core::Number::parse),
    ) {
        (Some(Ok(x)), Some(Ok(y))) => x == y,
        _ => a == b,
    }
}

fn as_sorted(j: &Json) -> Vec<String> {
    let mut v: Vec<String> = j
        .as_array()
        .map(|a| a.iter().map(|x| x.to_string()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// Compares lists as multisets (for batch get responses).
fn same_multiset(expected: &Json, actual: &Json) -> bool {
    let (Some(e), Some(a)) = (expected.as_array(), actual.as_array()) else {
        return same(expected, actual);
    };
    if e.len() != a.len() {
        return false;
    }
    let mut used = vec![false; a.len()];
    e.iter().all(|x| {
        let found = a.iter().enumerate().find(|(i, y)| !used[*i] && same(x, y));
        match found {
            Some((i, _)) => {
                used[i] = true;
                true
            }
            None => false,
        }
    })
}

fn compare_response(
    op: &str,
    expected: &Json,
    absent: &[Json],
    actual: &Json,
) -> std::result::Result<(), String> {
    let e = expected.as_object().cloned().unwrap_or_default();
    for (k, v) in &e {
        let Some(a) = actual.get(k) else {
            return Err(format!("response lacks {k}: expected {v}, got {actual}"));
        };
        let ok = if op == "BatchGetItem" && k == "Responses" {
            v.as_object().is_some_and(|m| {
                m.iter()
                    .all(|(t, items)| a.get(t).is_some_and(|x| same_multiset(items, x)))
            })
        } else {
            same(v, a)
        };
        if !ok {
            return Err(format!("{k}: expected {v}, got {a}"));
        }
    }
    for k in absent {
        if let Some(k) = k.as_str() {
            if actual.get(k).is_some() {
                return Err(format!("{k} should be absent, got {actual}"));
            }
        }
    }
    Ok(())
}

/// Compares every page of a paginated request: counts and last key.
pub(super) fn pages(expect: &Json, pages: &[Json]) -> Outcome {
    let want = expect["pages"].as_array().cloned().unwrap_or_default();
    if want.len() != pages.len() {
        return Outcome::Failed(format!("{} pages, expected {}", pages.len(), want.len()));
    }
    for (w, p) in want.iter().zip(pages) {
        let ok = w["Count"] == p["Count"]
            && w["ScannedCount"] == p["ScannedCount"]
            && same(&w["LEK"], p.get("LastEvaluatedKey").unwrap_or(&Json::Null));
        if !ok {
            return Outcome::Failed(format!("page {p} differs from {w}"));
        }
    }
    Outcome::Passed {
        message_matched: None,
    }
}

/// Compares the outcome of one request with the vector's expectation.
pub(super) fn outcome(
    op: &str,
    expect: &Json,
    tables: &Tables,
    result: std::result::Result<Json, Fail>,
) -> Outcome {
    if let Err(Fail::Wire(e)) = &result {
        if e.code == "SerializationException" && expect["status"] == json!(500) {
            return Outcome::Skipped("malformed JSON: DynamoDB Local answers HTTP 500, the service and monotable reject the body".into());
        }
    }
    for member in ["ConsumedCapacity", "ItemCollectionMetrics"] {
        if expect["response"].get(member).is_some() {
            return Outcome::Skipped(format!("{member} is not part of the Repository contract"));
        }
    }
    if let Some(order) = expect.get("order_of_pk") {
        return match result {
            Ok(out) => {
                let pk = tables.partition_key();
                let got: Vec<Json> = out["Items"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|i| {
                        i[&pk]
                            .as_object()
                            .and_then(|m| m.values().next().cloned())
                            .unwrap_or(Json::Null)
                    })
                    .collect();
                let mut dedup: Vec<Json> = Vec::new();
                for g in got {
                    if dedup.last() != Some(&g) {
                        dedup.push(g);
                    }
                }
                if &Json::Array(dedup.clone()) == order {
                    Outcome::Passed {
                        message_matched: None,
                    }
                } else {
                    Outcome::Failed(format!("partition order {dedup:?}, expected {order}"))
                }
            }
            Err(Fail::Skip(why)) => Outcome::Skipped(why),
            Err(Fail::Wire(e)) => Outcome::Failed(format!("{}: {}", e.code, e.message)),
        };
    }
    match (result, expect.get("error").and_then(Json::as_str)) {
        (Err(Fail::Skip(why)), _) => Outcome::Skipped(why),
        (Ok(out), None) => match compare_response(
            op,
            &expect["response"],
            expect["absent_keys"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or(&[]),
            &out,
        ) {
            Ok(()) => Outcome::Passed {
                message_matched: None,
            },
            Err(why) => Outcome::Failed(why),
        },
        (Ok(out), Some(code)) => Outcome::Failed(format!("expected {code}, got success {out}")),
        (Err(Fail::Wire(e)), None) => {
            Outcome::Failed(format!("expected success, got {}: {}", e.code, e.message))
        }
        (Err(Fail::Wire(e)), Some(code)) => {
            if e.code != code {
                return Outcome::Failed(format!("expected {code}, got {}: {}", e.code, e.message));
            }
            if let Some(reasons) = expect.get("CancellationReasons").and_then(Json::as_array) {
                let codes =
                    |list: &[Json]| list.iter().map(|r| r["Code"].clone()).collect::<Vec<_>>();
                let got = e
                    .extra
                    .get("CancellationReasons")
                    .and_then(Json::as_array)
                    .map(|l| codes(l))
                    .unwrap_or_default();
                if codes(reasons) != got {
                    return Outcome::Failed(format!(
                        "cancellation codes {got:?}, expected {:?}",
                        codes(reasons)
                    ));
                }
            }
            if let Some(item) = expect.get("Item") {
                if !e.extra.get("Item").is_some_and(|i| same(item, i)) {
                    return Outcome::Failed(format!(
                        "error Item {:?}, expected {item}",
                        e.extra.get("Item")
                    ));
                }
            }
            let expected_message = expect["message"].as_str().unwrap_or_default();
            Outcome::Passed {
                message_matched: Some(expected_message == e.message),
            }
        }
    }
}
