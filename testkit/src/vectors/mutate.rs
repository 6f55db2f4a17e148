//! The runner's own check: mutants of the recorded vectors — one changed value, message or
//! code, one dropped item, or one removed field each — must every one be judged unexpected.
//! A mutant the runner accepts is a comparison that cannot fail.

use serde_json::Value as Json;

use super::report::{judge, Expected, Verdict};
use super::{run, Backend, VectorResult};

/// One mutant of a vector.
#[derive(Debug, Clone)]
pub struct Mutant {
    /// What was changed.
    pub change: String,
    /// The mutated vector (same id).
    pub vector: Json,
}

/// A changed scalar: strings get a suffix, numbers (as text) a trailing digit, booleans flip,
/// JSON numbers grow by one.
fn change_scalar(v: &mut Json) -> bool {
    match v {
        Json::String(s) => {
            if monotable_core::Number::parse(s).is_ok() && !s.is_empty() {
                // A different value, not just another text of the same one.
                s.push_str(if s.contains('.') { "1" } else { "7" });
            } else {
                s.push('x');
            }
            true
        }
        Json::Bool(b) => {
            *b = !*b;
            true
        }
        Json::Number(n) => {
            *v = Json::from(n.as_i64().unwrap_or(0) + 1);
            true
        }
        _ => false,
    }
}

/// Changes the first scalar found depth-first (in sorted member order); its path.
fn change_first_scalar(v: &mut Json, at: &str) -> Option<String> {
    match v {
        Json::Object(m) => {
            let keys: Vec<String> = m.keys().cloned().collect();
            keys.into_iter().find_map(|k| {
                change_first_scalar(m.get_mut(&k).expect("key"), &format!("{at}.{k}"))
            })
        }
        Json::Array(a) => a
            .iter_mut()
            .enumerate()
            .find_map(|(i, x)| change_first_scalar(x, &format!("{at}[{i}]"))),
        other => change_scalar(other).then(|| at.to_string()),
    }
}

/// Drops the first element of the first non-empty list found (an item, a page's key).
fn drop_first_element(v: &mut Json, at: &str) -> Option<String> {
    match v {
        Json::Array(a) if !a.is_empty() => {
            a.remove(0);
            Some(format!("{at}[0] dropped"))
        }
        Json::Object(m) => {
            let keys: Vec<String> = m.keys().cloned().collect();
            keys.into_iter()
                .find_map(|k| drop_first_element(m.get_mut(&k).expect("key"), &format!("{at}.{k}")))
        }
        _ => None,
    }
}

/// Removes the first member of the first map with one found, or of the response itself.
fn remove_field(v: &mut Json, at: &str) -> Option<String> {
    let Json::Object(m) = v else { return None };
    let first = m.keys().next().cloned()?;
    // An attribute value's type tag is not a field: go one level down instead.
    if m.len() == 1 && ["S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS"].contains(&first.as_str()) {
        return None;
    }
    m.remove(&first);
    Some(format!("{at}.{first} removed"))
}

/// The mutants of one vector, one per kind that applies: for an error, its message (where
/// `message_compared`), its code, and each recorded member removed; for a success, a
/// changed value, a dropped item and a removed field; for pages and partition orders, a
/// changed count or key and a dropped key.
pub fn mutants(vector: &Json, message_compared: bool) -> Vec<Mutant> {
    let mut out = Vec::new();
    let mut push = |change: Option<String>, vector: Json| {
        if let Some(change) = change {
            out.push(Mutant { change, vector });
        }
    };
    let expect = &vector["expect"];
    if expect.get("error").is_some() {
        if message_compared {
            let mut m = vector.clone();
            let c = change_scalar(&mut m["expect"]["message"]).then(|| "message changed".into());
            push(c, m);
        }
        let mut m = vector.clone();
        m["expect"]["error"] = Json::String("InternalServerError".into());
        push(Some("error code changed".into()), m);
        for member in ["CancellationReasons", "Item"] {
            if expect.get(member).is_some() {
                let mut m = vector.clone();
                let c = change_first_scalar(&mut m["expect"][member], member);
                push(c.map(|c| format!("{c} changed")), m);
                let mut m = vector.clone();
                m["expect"].as_object_mut().expect("object").remove(member);
                push(Some(format!("{member} removed")), m);
            }
        }
    } else if expect.get("response").is_some() {
        let mut m = vector.clone();
        let c = change_first_scalar(&mut m["expect"]["response"], "response");
        push(c.map(|c| format!("{c} changed")), m);
        let mut m = vector.clone();
        let c = drop_first_element(&mut m["expect"]["response"], "response");
        push(c, m);
        let mut m = vector.clone();
        let c = remove_field(&mut m["expect"]["response"], "response");
        push(c, m);
        if expect["response"].as_object().is_some_and(|r| r.is_empty()) {
            // Nothing recorded to change: a member the backend must then not return.
            let mut m = vector.clone();
            m["expect"]["response"]["Attributes"] = serde_json::json!({"x": {"S": "x"}});
            push(Some("response.Attributes added".into()), m);
        }
    } else if expect.get("pages").is_some() {
        let mut m = vector.clone();
        let c = change_first_scalar(&mut m["expect"]["pages"], "pages");
        push(c.map(|c| format!("{c} changed")), m);
        let mut m = vector.clone();
        let c = drop_first_element(&mut m["expect"]["pages"], "pages");
        push(c, m);
        // Pages that record no items are compared with the items the note records.
        if let Some((attrs, mut rows)) = vector["note"]
            .as_str()
            .and_then(super::compare::noted_items)
            .filter(|(_, rows)| rows.len() > 1)
        {
            let noted = |rows: &[Vec<String>]| {
                let list: Vec<String> = rows.iter().map(|r| r.join("/")).collect();
                format!(
                    "items in page order ({}): {}",
                    attrs.join("/"),
                    list.join(", ")
                )
            };
            let note = vector["note"].as_str().unwrap_or_default();
            let original = noted(&rows);
            rows.swap(0, 1);
            let mut m = vector.clone();
            m["note"] = Json::String(note.replace(&original, &noted(&rows)));
            push(Some("note: first two items swapped".into()), m);
        }
    } else if expect.get("order_of_pk").is_some() {
        let mut m = vector.clone();
        if let Some(list) = m["expect"]["order_of_pk"].as_array_mut() {
            if list.len() > 1 {
                list.swap(0, 1);
            }
        }
        push(Some("order_of_pk: first two swapped".into()), m);
        let mut m = vector.clone();
        let c = drop_first_element(&mut m["expect"]["order_of_pk"], "order_of_pk");
        push(c, m);
    }
    out
}

/// The mutation check's result.
#[derive(Debug, Default, Clone)]
pub struct MutationScore {
    /// Mutants judged unexpected: killed.
    pub killed: usize,
    /// Mutants the runner accepted, with what was changed: each a comparison that cannot
    /// fail.
    pub survived: Vec<String>,
    /// Vectors not mutated: listed skips and listed failures, which are not compared.
    pub not_compared: usize,
}

/// Runs every mutant of every compared vector on `backend`, and judges it against
/// `expected` as the original would be judged.
pub async fn mutation_score(
    backend: &Backend,
    vectors: &[Json],
    expected: &[Expected],
) -> MutationScore {
    use futures::StreamExt;
    let name = backend.name.as_str();
    let mut score = MutationScore::default();
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0)
        % 1_000_000_000;
    let mut all = Vec::new();
    for v in vectors {
        let id = v["id"].as_str().unwrap_or("?");
        let entry = expected
            .iter()
            .find(|e| e.id == id && e.backends.iter().any(|b| b == name));
        if entry.is_some_and(|e| e.outcome != "differs") {
            score.not_compared += 1;
            continue;
        }
        let message_compared = entry.is_none_or(|e| e.message.is_none());
        all.extend(mutants(v, message_compared));
    }
    let results: Vec<(String, VectorResult)> = futures::stream::iter(all.iter().enumerate())
        .map(|(i, m)| async move {
            let r = run(&m.vector, backend, &format!("m{stamp}-{i}")).await;
            (m.change.clone(), r)
        })
        .buffered(8)
        .collect()
        .await;
    for (change, r) in results {
        match judge(name, &r, expected) {
            Verdict::Unexpected(_) => score.killed += 1,
            other => score
                .survived
                .push(format!("{} ({change}): {other:?}", r.id)),
        }
    }
    score
}
