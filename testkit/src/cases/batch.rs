//! Batch operations (semantics §9, R145–R155).

use monotable_core::{Item, Path, WriteRequest};

use crate::fixtures::*;
use crate::Harness;

fn puts(n: usize) -> Vec<WriteRequest> {
    (0..n)
        .map(|i| WriteRequest::Put(key("p", format!("s{i:02}").as_str())))
        .collect()
}

/// Up to 25 writes per batch; 26 is rejected and nothing written (R145).
pub async fn batch_write_limit(h: &Harness) {
    let repo = h.app().await;
    let msg = invalid(repo.batch_write_item(puts(26)).await);
    assert_eq!(msg, "Too many items requested for the BatchWriteItem call");
    assert_eq!(query(&*repo, q("p")).await.count, 0);
    let out = repo.batch_write_item(puts(25)).await.unwrap();
    assert!(out.unprocessed.is_empty());
    assert_eq!(query(&*repo, q("p")).await.count, 25);
}

/// The same key twice in a batch is rejected, numbers equal by value included (R146).
pub async fn batch_write_duplicates_rejected(h: &Harness) {
    let repo = h.app().await;
    let msg = invalid(
        repo.batch_write_item(vec![
            WriteRequest::Put(key("p", "a")),
            WriteRequest::Delete(key("p", "a")),
        ])
        .await,
    );
    assert_eq!(msg, "Provided list of item keys contains duplicates");
    let nums = h.table(numeric_schema()).await;
    invalid(
        nums.batch_write_item(vec![
            WriteRequest::Put(key("p", n("1"))),
            WriteRequest::Put(key("p", n("1.0"))),
        ])
        .await,
    );
}

/// One bad request fails the whole batch: nothing is written (R148).
pub async fn batch_write_bad_item_writes_nothing(h: &Harness) {
    let repo = h.app().await;
    let mut writes = puts(3);
    writes.push(WriteRequest::Put(Item::new().with("pk", "p")));
    invalid(repo.batch_write_item(writes).await);
    assert_eq!(query(&*repo, q("p")).await.count, 0);
    invalid(repo.batch_write_item(vec![]).await);
}

/// Batch deletes remove items; deleting a missing key is fine.
pub async fn batch_write_deletes(h: &Harness) {
    let repo = h.app().await;
    repo.batch_write_item(puts(5)).await.unwrap();
    repo.batch_write_item(vec![
        WriteRequest::Delete(key("p", "s00")),
        WriteRequest::Delete(key("p", "nope")),
        WriteRequest::Put(key("p", "new")),
    ])
    .await
    .unwrap();
    let page = query(&*repo, q("p")).await;
    assert_eq!(page.count, 5);
    assert!(get(&*repo, "p", "s00").await.is_none());
}

/// Up to 100 keys per batch get; 101 and duplicates are rejected (R150).
pub async fn batch_get_limits(h: &Harness) {
    let repo = h.app().await;
    let keys = |n: usize| {
        (0..n)
            .map(|i| key("p", format!("s{i:03}").as_str()))
            .collect::<Vec<_>>()
    };
    repo.batch_get_item(keys(100), None).await.unwrap();
    let msg = invalid(repo.batch_get_item(keys(101), None).await);
    assert_eq!(msg, "Too many items requested for the BatchGetItem call");
    invalid(
        repo.batch_get_item(vec![key("p", "a"), key("p", "a")], None)
            .await,
    );
    invalid(repo.batch_get_item(vec![], None).await);
}

/// Missing items are left out of a batch get (R151); match results by key, not order (R152).
pub async fn batch_get_omits_missing(h: &Harness) {
    let repo = h.app().await;
    repo.batch_write_item(puts(5)).await.unwrap();
    let out = repo
        .batch_get_item(vec![key("p", "s03"), key("p", "zz"), key("p", "s01")], None)
        .await
        .unwrap();
    let mut got: Vec<_> = out.items.iter().map(|i| i["sk"].clone()).collect();
    got.sort_by_key(|v| format!("{v:?}"));
    assert_eq!(got, vec![s("s01"), s("s03")]);
    assert!(out.unprocessed_keys.is_empty());
}

/// A batch get honours its projection (R155).
pub async fn batch_get_projection(h: &Harness) {
    let repo = h.app().await;
    put(&*repo, key("p", "a").with("x", 1).with("y", 2)).await;
    let out = repo
        .batch_get_item(vec![key("p", "a")], Some(vec![Path::attr("x")]))
        .await
        .unwrap();
    assert_eq!(out.items, vec![Item::new().with("x", 1)]);
}
