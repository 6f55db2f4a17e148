//! Key condition operators (semantics §2, R12–R34).

use monotable_core::{KeyCondition, Query, SortKeyCondition as K, Value};

use crate::fixtures::*;
use crate::Harness;

async fn letters(h: &Harness) -> std::sync::Arc<dyn monotable_core::Repository> {
    let repo = h.app().await;
    seed(&*repo, "p", &["a", "b", "c", "d", "e"].map(s)).await;
    seed(&*repo, "other", &["a", "c"].map(s)).await;
    repo
}

async fn sorted(h: &Harness, cond: K) -> Vec<Value> {
    let repo = letters(h).await;
    sks(&query(&*repo, qs("p", cond)).await)
}

fn v(list: &[&str]) -> Vec<Value> {
    list.iter().map(|x| s(x)).collect()
}

/// `sk = v` selects one item (R12).
pub async fn sort_eq(h: &Harness) {
    assert_eq!(sorted(h, K::Eq(s("c"))).await, v(&["c"]));
}

/// `sk < v` is strict (R12).
pub async fn sort_lt(h: &Harness) {
    assert_eq!(sorted(h, K::Lt(s("c"))).await, v(&["a", "b"]));
}

/// `sk <= v` includes v (R12).
pub async fn sort_le(h: &Harness) {
    assert_eq!(sorted(h, K::Le(s("c"))).await, v(&["a", "b", "c"]));
}

/// `sk > v` is strict (R12).
pub async fn sort_gt(h: &Harness) {
    assert_eq!(sorted(h, K::Gt(s("c"))).await, v(&["d", "e"]));
}

/// `sk >= v` includes v (R12).
pub async fn sort_ge(h: &Harness) {
    assert_eq!(sorted(h, K::Ge(s("c"))).await, v(&["c", "d", "e"]));
}

/// BETWEEN is inclusive and its bounds need not exist as items (R12).
pub async fn between_is_inclusive(h: &Harness) {
    assert_eq!(
        sorted(h, K::Between(s("b"), s("d"))).await,
        v(&["b", "c", "d"])
    );
    assert_eq!(
        sorted(h, K::Between(s("bb"), s("dd"))).await,
        v(&["c", "d"])
    );
}

/// BETWEEN with equal bounds acts as `=` (R13).
pub async fn between_equal_bounds(h: &Harness) {
    assert_eq!(sorted(h, K::Between(s("c"), s("c"))).await, v(&["c"]));
}

/// BETWEEN with lower > upper is a validation error, not an empty result (R14).
pub async fn between_inverted_is_error(h: &Harness) {
    let repo = letters(h).await;
    let msg = invalid(repo.query(qs("p", K::Between(s("e"), s("b")))).await);
    assert!(
        msg.contains(
            "BETWEEN operator requires upper bound to be greater than or equal to lower bound"
        ),
        "{msg}"
    );
}

/// Number sort keys: BETWEEN by value, exponent forms included (R12).
pub async fn number_between_by_value(h: &Harness) {
    let repo = h.table(numeric_schema()).await;
    seed(&*repo, "p", &["1", "5", "10", "100", "1000"].map(n)).await;
    let page = query(&*repo, qs("p", K::Between(n("2"), n("1e2")))).await;
    assert_eq!(sks(&page), vec![n("5"), n("10"), n("100")]);
}

/// `begins_with` on a number sort key is a validation error (R16).
pub async fn begins_with_on_number_key_is_error(h: &Harness) {
    let repo = h.table(numeric_schema()).await;
    let msg = invalid(repo.query(qs("p", K::BeginsWith(n("1")))).await);
    assert!(msg.contains("begins_with"), "{msg}");
}

/// An empty string as a key value in a key condition is a validation error (R17).
pub async fn empty_string_in_key_condition_is_error(h: &Harness) {
    let repo = letters(h).await;
    let msg = invalid(repo.query(qs("p", K::Eq(s("")))).await);
    assert!(
        msg.contains("cannot contain an empty string value. Key: sk"),
        "{msg}"
    );
    let msg = invalid(repo.query(q("")).await);
    assert!(msg.contains("Key: pk"), "{msg}");
}

/// A sort condition on a table without a sort key is an error (R20).
pub async fn sort_condition_without_sort_key_is_error(h: &Harness) {
    let repo = h.table(hash_only_schema()).await;
    let msg = invalid(repo.query(qs("p", K::Eq(s("a")))).await);
    assert_eq!(msg, "Query condition missed key schema element");
}

/// A key value of the wrong type is a validation error (R25).
pub async fn wrong_type_in_key_condition_is_error(h: &Harness) {
    let repo = letters(h).await;
    let msg = invalid(
        repo.query(Query::new(KeyCondition::partition(n("1"))))
            .await,
    );
    assert!(
        msg.contains("Condition parameter type does not match schema type"),
        "{msg}"
    );
    let nums = h.table(numeric_schema()).await;
    let msg = invalid(nums.query(qs("p", K::Eq(s("1")))).await);
    assert!(
        msg.contains("Condition parameter type does not match schema type"),
        "{msg}"
    );
}

/// No match is not an error: empty items, zero counts, no last key (R33).
pub async fn no_match_is_empty_page(h: &Harness) {
    let repo = letters(h).await;
    let page = query(&*repo, q("nope")).await;
    assert_eq!(
        (page.count, page.scanned_count, page.items.len()),
        (0, 0, 0)
    );
    assert!(page.last_evaluated_key.is_none());
    let page = query(&*repo, qs("p", K::BeginsWith(s("zz")))).await;
    assert_eq!(page.count, 0);
    assert!(page.last_evaluated_key.is_none());
}

/// `pk = v` alone returns the whole partition, in sort-key order, and only it (R33).
pub async fn partition_only_returns_whole_partition(h: &Harness) {
    let repo = letters(h).await;
    let page = query(&*repo, q("p")).await;
    assert_eq!(sks(&page), v(&["a", "b", "c", "d", "e"]));
    assert!(page.items.iter().all(|i| i["pk"] == s("p")));
}

/// A sort key over 1024 bytes in a key condition is rejected (R63).
pub async fn oversize_sort_key_in_condition_is_error(h: &Harness) {
    let repo = letters(h).await;
    let msg = invalid(repo.query(qs("p", K::Eq(s(&"x".repeat(1025))))).await);
    assert!(msg.contains("1024 bytes"), "{msg}");
}
