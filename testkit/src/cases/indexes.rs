//! Secondary indexes (semantics §10, R156–R168).

use std::sync::Arc;

use monotable_core::{
    Item, KeyCondition, Path, PutItem, Query, Repository, Scan, SortKeyCondition, Update,
    UpdateItem,
};

use crate::fixtures::*;
use crate::Harness;

fn iq(index: &str, pk: &str) -> Query {
    let mut q = Query::new(KeyCondition::partition(pk));
    q.index = Some(index.into());
    q
}

async fn repo_with(h: &Harness, items: Vec<Item>) -> Arc<dyn Repository> {
    let repo = h.app().await;
    for i in items {
        put(&*repo, i).await;
    }
    repo
}

/// Sparse indexes: only items with all of the index's keys are in it (R156).
pub async fn gsi_is_sparse(h: &Harness) {
    let repo = repo_with(
        h,
        vec![
            key("p", "a").with("gsi1pk", "G").with("gsi1sk", "1"),
            key("p", "b").with("gsi1pk", "G"),
            key("p", "c"),
        ],
    )
    .await;
    assert_eq!(sks(&query(&*repo, iq("gsi1", "G")).await), vec![s("a")]);
    let scan = repo
        .scan(Scan {
            index: Some("gsi1".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(scan.count, 1);
    assert_eq!(repo.scan(Scan::default()).await.unwrap().count, 3);
}

/// An index sorts by its own sort key, and queries support sort conditions on it.
pub async fn gsi_sorts_by_index_key(h: &Harness) {
    let repo = repo_with(
        h,
        vec![
            key("p1", "a").with("gsi1pk", "G").with("gsi1sk", "3"),
            key("p2", "b").with("gsi1pk", "G").with("gsi1sk", "1"),
            key("p3", "c").with("gsi1pk", "G").with("gsi1sk", "2"),
        ],
    )
    .await;
    assert_eq!(
        sks(&query(&*repo, iq("gsi1", "G")).await),
        vec![s("b"), s("c"), s("a")]
    );
    let mut q = iq("gsi1", "G");
    q.key_condition.sort = Some(SortKeyCondition::Ge(s("2")));
    q.forward = false;
    assert_eq!(sks(&query(&*repo, q).await), vec![s("a"), s("c")]);
}

/// A hash-only index returns its partition.
pub async fn hash_only_gsi(h: &Harness) {
    let repo = repo_with(
        h,
        vec![
            key("p", "a").with("hpk", "H"),
            key("q", "b").with("hpk", "H"),
            key("r", "c").with("hpk", "X"),
        ],
    )
    .await;
    assert_eq!(query(&*repo, iq("byHash", "H")).await.count, 2);
}

/// KEYS_ONLY holds table and index keys only; INCLUDE adds the listed attributes (R159).
pub async fn index_projections(h: &Harness) {
    let repo = repo_with(
        h,
        vec![key("p", "a")
            .with("kpk", "K")
            .with("ksk", "1")
            .with("ipk", "I")
            .with("isk", "1")
            .with("a", 1)
            .with("b", 2)],
    )
    .await;
    let page = query(&*repo, iq("keysOnly", "K")).await;
    assert_eq!(
        page.items,
        vec![key("p", "a").with("kpk", "K").with("ksk", "1")]
    );
    let page = query(&*repo, iq("incl", "I")).await;
    assert_eq!(
        page.items,
        vec![key("p", "a").with("ipk", "I").with("isk", "1").with("a", 1)]
    );
}

/// Consistent reads are rejected on a GSI and allowed on an LSI (R160).
pub async fn consistent_read_on_gsi_rejected(h: &Harness) {
    let repo = h.app().await;
    let mut q = iq("gsi1", "G");
    q.consistent_read = true;
    assert_eq!(
        invalid(repo.query(q).await),
        "Consistent reads are not supported on global secondary indexes"
    );
    invalid(
        repo.scan(Scan {
            index: Some("gsi1".into()),
            consistent_read: true,
            ..Default::default()
        })
        .await,
    );
    let mut q = iq("lsi1", "p");
    q.consistent_read = true;
    repo.query(q).await.unwrap();
}

/// An unknown index is an error (R161).
pub async fn unknown_index_rejected(h: &Harness) {
    let repo = h.app().await;
    assert_eq!(
        invalid(repo.query(iq("nope", "G")).await),
        "The table does not have the specified index: nope"
    );
}

/// A GSI query filter may name the table's keys but not the index's (R162).
pub async fn gsi_filter_on_keys(h: &Harness) {
    let repo = repo_with(
        h,
        vec![
            key("p", "a").with("gsi1pk", "G").with("gsi1sk", "1"),
            key("p", "b").with("gsi1pk", "G").with("gsi1sk", "2"),
        ],
    )
    .await;
    let mut q = iq("gsi1", "G");
    q.filter = Some(Path::attr("sk").eq("b"));
    assert_eq!(query(&*repo, q.clone()).await.count, 1);
    q.filter = Some(Path::attr("gsi1sk").eq("1"));
    assert!(invalid(repo.query(q).await).contains("Primary key attribute: gsi1sk"));
}

/// An index key of the wrong type is rejected in puts and updates (R163).
pub async fn index_key_type_mismatch_rejected(h: &Harness) {
    let repo = h.app().await;
    let msg = invalid(
        repo.put_item(PutItem {
            item: key("p", "a").with("gsi1pk", 1),
            ..Default::default()
        })
        .await,
    );
    assert!(msg.contains("Type mismatch for Index Key"), "{msg}");
    let upd = UpdateItem {
        key: key("p", "a"),
        update: Update::new().set("gsi1sk", 1),
        ..Default::default()
    };
    assert!(invalid(repo.update_item(upd).await).contains("Type mismatch for Index Key"));
    assert!(get(&*repo, "p", "a").await.is_none());
}

/// An empty string for an index key is rejected (R164).
pub async fn empty_index_key_rejected(h: &Harness) {
    let repo = h.app().await;
    let msg = invalid(
        repo.put_item(PutItem {
            item: key("p", "a").with("gsi1pk", ""),
            ..Default::default()
        })
        .await,
    );
    assert!(msg.contains("IndexName: gsi1, IndexKey: gsi1pk"), "{msg}");
    let upd = UpdateItem {
        key: key("p", "a"),
        update: Update::new().set("gsi1pk", ""),
        ..Default::default()
    };
    assert!(invalid(repo.update_item(upd).await).contains("secondary index key"));
}

/// Index keys follow the key size limits (R165).
pub async fn index_key_size_limits(h: &Harness) {
    let repo = h.app().await;
    put(&*repo, key("p", "a").with("gsi1pk", "g".repeat(2048))).await;
    let msg = invalid(
        repo.put_item(PutItem {
            item: key("p", "b").with("gsi1pk", "g".repeat(2049)),
            ..Default::default()
        })
        .await,
    );
    assert!(msg.contains("Size limit exceeded"), "{msg}");
    invalid(
        repo.put_item(PutItem {
            item: key("p", "b")
                .with("gsi1pk", "G")
                .with("gsi1sk", "g".repeat(1025)),
            ..Default::default()
        })
        .await,
    );
}

/// Changing an index key moves the item between index partitions at once; removing it
/// takes the item out (R166, R156).
pub async fn index_follows_key_changes(h: &Harness) {
    let repo = repo_with(
        h,
        vec![key("p", "a").with("gsi1pk", "OLD").with("gsi1sk", "1")],
    )
    .await;
    repo.update_item(UpdateItem {
        key: key("p", "a"),
        update: Update::new().set("gsi1pk", "NEW"),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(query(&*repo, iq("gsi1", "OLD")).await.count, 0);
    assert_eq!(query(&*repo, iq("gsi1", "NEW")).await.count, 1);
    repo.update_item(UpdateItem {
        key: key("p", "a"),
        update: Update::new().remove("gsi1sk"),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(query(&*repo, iq("gsi1", "NEW")).await.count, 0);
    monotable_core::Repository::delete_item(
        &*repo,
        monotable_core::DeleteItem {
            key: key("p", "a"),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        repo.scan(Scan {
            index: Some("gsi1".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .count,
        0
    );
}

/// An LSI sorts a partition by its own key and is sparse (R168).
pub async fn lsi_sorts_and_is_sparse(h: &Harness) {
    let repo = repo_with(
        h,
        vec![
            key("p", "a").with("lsk", "3"),
            key("p", "b").with("lsk", "1"),
            key("p", "c"),
            key("p", "d").with("lsk", "2"),
        ],
    )
    .await;
    assert_eq!(
        sks(&query(&*repo, iq("lsi1", "p")).await),
        vec![s("b"), s("d"), s("a")]
    );
}

/// Paging through equal index keys (ties) neither skips nor repeats an item (R158).
pub async fn paging_through_ties(h: &Harness) {
    let mut items = Vec::new();
    for (pk, sk) in [
        ("p3", "b"),
        ("p1", "z"),
        ("p2", "a"),
        ("p1", "a"),
        ("p10", "a"),
        ("p0", "m"),
        ("p2", "b"),
    ] {
        items.push(key(pk, sk).with("gsi1pk", "T").with("gsi1sk", "same"));
    }
    let repo = repo_with(h, items).await;
    let mut q = iq("gsi1", "T");
    q.limit = Some(2);
    let pages = all_pages(&*repo, q).await;
    let mut seen: Vec<(String, String)> = pages
        .iter()
        .flat_map(|p| {
            p.items
                .iter()
                .map(|i| (format!("{:?}", i["pk"]), format!("{:?}", i["sk"])))
        })
        .collect();
    assert_eq!(seen.len(), 7);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 7);
}

/// Resuming a GSI query from its last key continues right after that entry (R49).
pub async fn gsi_resumes_from_last_key(h: &Harness) {
    let repo = repo_with(
        h,
        (0..5)
            .map(|i| {
                key("p", format!("s{i}").as_str())
                    .with("gsi1pk", "G")
                    .with("gsi1sk", format!("{}", 4 - i))
            })
            .collect(),
    )
    .await;
    let mut q = iq("gsi1", "G");
    q.limit = Some(2);
    let first = query(&*repo, q.clone()).await;
    q.exclusive_start_key = first.last_evaluated_key.clone();
    let second = query(&*repo, q).await;
    assert_eq!(sks(&first), vec![s("s4"), s("s3")]);
    assert_eq!(sks(&second), vec![s("s2"), s("s1")]);
}
