//! Comparing a replayed outcome with the recorded one, whole and strictly.
//!
//! A success response is compared member by member in both directions: a member the backend
//! returns that the vector does not record fails, and so does one it records that the
//! backend does not return. Maps compare order-insensitively, lists in order (a batch get's
//! items as a multiset: DynamoDB documents no order), sets as sets. An error compares its
//! code, every other member it records (`CancellationReasons` whole: `Code`, `Message` and
//! `Item` of each; an error `Item`), and no member more; its message text exactly. Numbers
//! compare by their text: a response equal only by value, or an error whose message alone
//! differs, is a [`Differences`] — accepted only where the reviewed list names it. A paginated
//! vector compares every page whole and its items by the attributes it records per page; a
//! scan-order vector records only the order of partitions, and that is what it compares.

use serde_json::{Map, Value as Json};

use super::tables::{Fail, Tables, WireError};
use super::{Differences, Outcome};

/// How numbers (`{"N": ..}`, `{"NS": [..]}`) compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Numbers {
    /// By their exact text, as DynamoDB returned it.
    Text,
    /// By value (`"2.50"` equals `"2.5"`).
    Value,
}

const TYPE_TAGS: [&str; 10] = ["S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"];

/// The first difference between an expected and an actual JSON value, at `at`.
fn diff(expected: &Json, actual: &Json, numbers: Numbers, at: &str) -> Option<String> {
    match (expected, actual) {
        (Json::Object(e), Json::Object(a)) if is_attribute_value(e) && is_attribute_value(a) => {
            let (ek, ev) = e.iter().next().expect("one member");
            let (ak, av) = a.iter().next().expect("one member");
            if ek != ak {
                return Some(format!("{at}: expected {expected}, got {actual}"));
            }
            let sets = ev.is_array() && av.is_array();
            let same = match ek.as_str() {
                "N" if ev.is_string() && av.is_string() => number_eq(ev, av, numbers),
                "NS" if sets => {
                    let (e, a) = (sorted_numbers(ev, numbers), sorted_numbers(av, numbers));
                    e.is_some() && e == a
                }
                "SS" | "BS" if sets => sorted_texts(ev) == sorted_texts(av),
                _ => return diff(ev, av, numbers, &format!("{at}.{ek}")),
            };
            (!same).then(|| format!("{at}: expected {expected}, got {actual}"))
        }
        (Json::Object(e), Json::Object(a)) => {
            for (k, v) in e {
                match a.get(k) {
                    None => return Some(format!("{at}.{k}: missing, expected {v}")),
                    Some(x) => {
                        if let Some(d) = diff(v, x, numbers, &format!("{at}.{k}")) {
                            return Some(d);
                        }
                    }
                }
            }
            a.iter()
                .find(|(k, _)| !e.contains_key(*k))
                .map(|(k, v)| format!("{at}.{k}: not expected, got {v}"))
        }
        (Json::Array(e), Json::Array(a)) => {
            if e.len() != a.len() {
                return Some(format!(
                    "{at}: {} elements, expected {}: got {actual}",
                    a.len(),
                    e.len()
                ));
            }
            e.iter()
                .zip(a)
                .enumerate()
                .find_map(|(i, (x, y))| diff(x, y, numbers, &format!("{at}[{i}]")))
        }
        _ => (expected != actual).then(|| format!("{at}: expected {expected}, got {actual}")),
    }
}

/// `{"S": ..}` and the other typed attribute values.
fn is_attribute_value(m: &Map<String, Json>) -> bool {
    m.len() == 1 && m.keys().all(|k| TYPE_TAGS.contains(&k.as_str()))
}

fn number_eq(a: &Json, b: &Json, numbers: Numbers) -> bool {
    if numbers == Numbers::Text {
        return a == b;
    }
    match (
        a.as_str().map(monotable_core::Number::parse),
        b.as_str().map(monotable_core::Number::parse),
    ) {
        (Some(Ok(x)), Some(Ok(y))) => x == y,
        _ => a == b,
    }
}

fn sorted_numbers(j: &Json, numbers: Numbers) -> Option<Vec<String>> {
    let mut v: Vec<String> = j
        .as_array()?
        .iter()
        .map(|x| {
            let s = x.as_str()?;
            Some(match numbers {
                Numbers::Text => s.to_string(),
                Numbers::Value => monotable_core::Number::parse(s).ok()?.to_string(),
            })
        })
        .collect::<Option<_>>()?;
    v.sort();
    Some(v)
}

fn sorted_texts(j: &Json) -> Vec<String> {
    let mut v: Vec<String> = j
        .as_array()
        .map(|a| a.iter().map(|x| x.to_string()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// A batch get's `Responses`: per table, the items as a multiset.
fn diff_multisets(expected: &Json, actual: &Json, numbers: Numbers, at: &str) -> Option<String> {
    let (Some(e), Some(a)) = (expected.as_object(), actual.as_object()) else {
        return diff(expected, actual, numbers, at);
    };
    if let Some(d) = diff(
        &Json::Array(e.keys().map(|k| Json::String(k.clone())).collect()),
        &Json::Array(a.keys().map(|k| Json::String(k.clone())).collect()),
        numbers,
        &format!("{at} tables"),
    ) {
        return Some(d);
    }
    for (table, items) in e {
        let (Some(want), Some(got)) = (items.as_array(), a[table].as_array()) else {
            return diff(items, &a[table], numbers, &format!("{at}.{table}"));
        };
        if want.len() != got.len() {
            return Some(format!(
                "{at}.{table}: {} items, expected {}",
                got.len(),
                want.len()
            ));
        }
        let mut used = vec![false; got.len()];
        for w in want {
            let found = got
                .iter()
                .enumerate()
                .find(|(i, g)| !used[*i] && diff(w, g, numbers, "").is_none());
            match found {
                Some((i, _)) => used[i] = true,
                None => return Some(format!("{at}.{table}: no item {w} in {}", a[table])),
            }
        }
    }
    None
}

/// The first difference of a whole success response.
fn diff_response(op: &str, expected: &Json, actual: &Json, numbers: Numbers) -> Option<String> {
    if op == "BatchGetItem" {
        let (mut e, mut a) = (expected.clone(), actual.clone());
        let (er, ar) = (
            e.as_object_mut().and_then(|m| m.remove("Responses")),
            a.as_object_mut().and_then(|m| m.remove("Responses")),
        );
        if let (Some(er), Some(ar)) = (&er, &ar) {
            if let Some(d) = diff_multisets(er, ar, numbers, "Responses") {
                return Some(d);
            }
        } else if er.is_some() != ar.is_some() {
            return Some(format!("Responses: expected {er:?}, got {ar:?}"));
        }
        return diff(&e, &a, numbers, "response");
    }
    diff(expected, actual, numbers, "response")
}

/// Judges by text first; equal by value only is a number-text difference.
fn judge(check: impl Fn(Numbers) -> Option<String>) -> Result<Option<String>, String> {
    match check(Numbers::Text) {
        None => Ok(None),
        Some(by_text) => match check(Numbers::Value) {
            None => Ok(Some(by_text)),
            Some(_) => Err(by_text),
        },
    }
}

/// The items in page order that a vector's note records, where its pages record none:
/// `items in page order (pk/prio/status): i04/-1/open, i07/2.5/pending` gives the attribute
/// names and, per item, each one's value as text (`None` for an absent attribute).
pub(super) fn noted_items(note: &str) -> Option<(Vec<String>, Vec<Vec<String>>)> {
    let rest = &note[note.find("items in page order (")? + "items in page order (".len()..];
    let (attrs, rest) = rest.split_once("): ")?;
    let attrs: Vec<String> = attrs.split('/').map(str::to_string).collect();
    let rows: Vec<Vec<String>> = rest
        .split(", ")
        .map(|item| item.split('/').map(str::to_string).collect())
        .collect();
    rows.iter()
        .all(|r| r.len() == attrs.len())
        .then_some((attrs, rows))
}

/// An attribute value's text as a note records it: a scalar's text, `None` when absent.
fn noted_text(item: &Json, attr: &str) -> String {
    match item
        .get(attr)
        .and_then(Json::as_object)
        .and_then(|m| m.values().next())
    {
        None => "None".to_string(),
        Some(Json::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// Compares every page of a paginated request: each page whole (its members, its counts,
/// its last key) and its items' sort keys, which the vector records per page — or, where
/// its pages record no items, the items in page order its note records, split by each
/// page's count.
pub(super) fn pages(expect: &Json, note: Option<&str>, pages: &[Json]) -> Outcome {
    let want = expect["pages"].as_array().cloned().unwrap_or_default();
    if want.len() != pages.len() {
        return Outcome::Failed(format!("{} pages, expected {}", pages.len(), want.len()));
    }
    let noted = note.and_then(noted_items);
    let mut noted_rows = noted.as_ref().map(|(_, rows)| rows.iter());
    let mut number_text = None;
    for (n, (w, p)) in want.iter().zip(pages).enumerate() {
        let mut expected = Map::new();
        expected.insert("Count".into(), w["Count"].clone());
        expected.insert("ScannedCount".into(), w["ScannedCount"].clone());
        if !w["LEK"].is_null() {
            expected.insert("LastEvaluatedKey".into(), w["LEK"].clone());
        }
        let mut actual = p.clone();
        let items = actual
            .as_object_mut()
            .and_then(|m| m.remove("Items"))
            .unwrap_or(Json::Null);
        // The page's items as the vector records them: per attribute (`"sk": [..]`), the
        // list of the items' values of it, in order.
        let recorded: Vec<&String> = w
            .as_object()
            .into_iter()
            .flat_map(|m| m.keys())
            .filter(|k| !["Count", "ScannedCount", "LEK"].contains(&k.as_str()))
            .collect();
        if recorded.is_empty() {
            let (Some((attrs, _)), Some(rows)) = (&noted, noted_rows.as_mut()) else {
                return Outcome::Failed(format!("page {} records no items to compare", n + 1));
            };
            let got: Vec<Vec<String>> = items
                .as_array()
                .into_iter()
                .flatten()
                .map(|i| attrs.iter().map(|a| noted_text(i, a)).collect())
                .collect();
            let count = w["Count"].as_u64().unwrap_or(0) as usize;
            let expected_rows: Vec<Vec<String>> = rows.by_ref().take(count).cloned().collect();
            if got != expected_rows {
                return Outcome::Failed(format!(
                    "page {}: items ({}) {got:?}, the note records {expected_rows:?}",
                    n + 1,
                    attrs.join("/")
                ));
            }
        }
        for attr in recorded {
            let values: Vec<Json> = items
                .as_array()
                .into_iter()
                .flatten()
                .map(|i| {
                    i[attr.as_str()]
                        .as_object()
                        .and_then(|m| m.values().next().cloned())
                        .unwrap_or(Json::Null)
                })
                .collect();
            expected.insert(attr.clone(), w[attr.as_str()].clone());
            if let Some(m) = actual.as_object_mut() {
                m.insert(attr.clone(), Json::Array(values));
            }
        }
        match judge(|numbers| diff(&Json::Object(expected.clone()), &actual, numbers, "page")) {
            Ok(None) => {}
            Ok(Some(d)) => number_text = Some(format!("page {}: {d}", n + 1)),
            Err(d) => return Outcome::Failed(format!("page {}: {d}", n + 1)),
        }
    }
    if let Some(left) = noted_rows.map(|rows| rows.count()).filter(|n| *n > 0) {
        return Outcome::Failed(format!(
            "the note records {left} items more than the pages hold"
        ));
    }
    match number_text {
        None => Outcome::Passed,
        Some(d) => Outcome::Differs(Differences {
            message: None,
            number_text: Some(d),
        }),
    }
}

/// Compares an error with the recorded one: code, every other member, then the message.
fn error(expect: &Json, code: &str, e: &WireError) -> Outcome {
    if e.code != code {
        return Outcome::Failed(format!("expected {code}, got {}: {}", e.code, e.message));
    }
    if let Some(t) = expect["__type"].as_str() {
        if !t.ends_with(&format!("#{code}")) {
            return Outcome::Failed(format!("recorded __type {t} is not of {code}"));
        }
    }
    let members: Map<String, Json> = expect
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| !["status", "error", "message", "__type"].contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let members = Json::Object(members);
    let extra = Json::Object(e.extra.clone());
    let number_text = match judge(|numbers| diff(&members, &extra, numbers, "error")) {
        Ok(d) => d,
        Err(d) => return Outcome::Failed(d),
    };
    let expected_message = expect["message"].as_str().unwrap_or_default();
    let message = (expected_message != e.message).then(|| e.message.clone());
    if message.is_none() && number_text.is_none() {
        Outcome::Passed
    } else {
        Outcome::Differs(Differences {
            message,
            number_text,
        })
    }
}

/// Compares the outcome of one request with the vector's expectation.
pub(super) fn outcome(
    op: &str,
    expect: &Json,
    tables: &Tables,
    result: std::result::Result<Json, Fail>,
) -> Outcome {
    for member in ["ConsumedCapacity", "ItemCollectionMetrics"] {
        if expect["response"].get(member).is_some() {
            return Outcome::Skipped(format!("{member} is not part of the Repository contract"));
        }
    }
    let result = match result {
        Err(Fail::Skip(why)) => return Outcome::Skipped(why),
        Err(Fail::Wire(e)) => Err(e),
        Ok(out) => Ok(out),
    };
    if let Some(order) = expect.get("order_of_pk") {
        return match result {
            Ok(out) => partition_order(order, &out, tables),
            Err(e) => Outcome::Failed(format!("{}: {}", e.code, e.message)),
        };
    }
    match (result, expect.get("error").and_then(Json::as_str)) {
        (Ok(out), None) => {
            if let Some(k) = expect["absent_keys"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Json::as_str)
                .find(|k| out.get(*k).is_some())
            {
                return Outcome::Failed(format!("{k} should be absent, got {out}"));
            }
            match judge(|numbers| diff_response(op, &expect["response"], &out, numbers)) {
                Ok(None) => Outcome::Passed,
                Ok(Some(d)) => Outcome::Differs(Differences {
                    message: None,
                    number_text: Some(d),
                }),
                Err(d) => Outcome::Failed(d),
            }
        }
        (Ok(out), Some(code)) => Outcome::Failed(format!("expected {code}, got success {out}")),
        (Err(e), None) => {
            Outcome::Failed(format!("expected success, got {}: {}", e.code, e.message))
        }
        (Err(e), Some(code)) => error(expect, code, &e),
    }
}

/// A scan's order of partitions (each partition's items are contiguous).
fn partition_order(order: &Json, out: &Json, tables: &Tables) -> Outcome {
    let pk = tables.partition_key();
    let mut got: Vec<Json> = Vec::new();
    for i in out["Items"].as_array().into_iter().flatten() {
        let v = i[&pk]
            .as_object()
            .and_then(|m| m.values().next().cloned())
            .unwrap_or(Json::Null);
        if got.last() != Some(&v) {
            got.push(v);
        }
    }
    if &Json::Array(got.clone()) == order {
        Outcome::Passed
    } else {
        Outcome::Failed(format!("partition order {got:?}, expected {order}"))
    }
}
