//! Limit versus filter, and pagination (semantics §3–§4, R35–R58).

use monotable_core::{Item, Path, Repository, Scan, SortKeyCondition as K};

use crate::fixtures::*;
use crate::Harness;

async fn ten(h: &Harness) -> std::sync::Arc<dyn Repository> {
    let repo = h.app().await;
    for i in 0..10 {
        put(&*repo, key("p", format!("s{i:02}").as_str()).with("n", i)).await;
    }
    repo
}

/// Limit counts items evaluated before the filter: none of the first 3 match → Count 0,
/// ScannedCount 3, a last key (R35).
pub async fn limit_counts_before_filter(h: &Harness) {
    let repo = ten(h).await;
    let mut req = q("p");
    req.limit = Some(3);
    req.filter = Some(Path::attr("n").ge(5));
    let page = query(&*repo, req).await;
    assert_eq!(
        (page.count, page.scanned_count, page.items.len()),
        (0, 3, 0)
    );
    assert_eq!(page.last_evaluated_key, Some(key("p", "s02")));
}

/// Count is after the filter, ScannedCount before; equal without a filter (R36).
pub async fn count_and_scanned_count(h: &Harness) {
    let repo = ten(h).await;
    let mut req = q("p");
    req.filter = Some(Path::attr("n").lt(4));
    let page = query(&*repo, req).await;
    assert_eq!((page.count, page.scanned_count), (4, 10));
    let page = query(&*repo, q("p")).await;
    assert_eq!((page.count, page.scanned_count), (10, 10));
}

/// Reaching Limit returns a last key even at the partition's end; the next page is empty
/// and final (R37).
pub async fn limit_at_end_still_returns_last_key(h: &Harness) {
    let repo = ten(h).await;
    let mut req = q("p");
    req.limit = Some(10);
    let page = query(&*repo, req.clone()).await;
    assert_eq!(page.count, 10);
    assert_eq!(page.last_evaluated_key, Some(key("p", "s09")));
    req.exclusive_start_key = page.last_evaluated_key;
    let next = query(&*repo, req).await;
    assert_eq!(next.count, 0);
    assert!(next.last_evaluated_key.is_none());
}

/// A limit larger than what is left gives no last key (R37).
pub async fn limit_beyond_end_has_no_last_key(h: &Harness) {
    let repo = ten(h).await;
    let mut req = q("p");
    req.limit = Some(11);
    let page = query(&*repo, req).await;
    assert_eq!(page.count, 10);
    assert!(page.last_evaluated_key.is_none());
}

/// Count-only requests return counts and no items (R39).
pub async fn count_only_returns_no_items(h: &Harness) {
    let repo = ten(h).await;
    let mut req = q("p");
    req.count_only = true;
    req.filter = Some(Path::attr("n").lt(3));
    let page = query(&*repo, req).await;
    assert!(page.items.is_empty());
    assert_eq!((page.count, page.scanned_count), (3, 10));
}

/// Limit 0 is a validation error (R40).
pub async fn limit_zero_is_error(h: &Harness) {
    let repo = ten(h).await;
    let mut req = q("p");
    req.limit = Some(0);
    assert_eq!(
        invalid(repo.query(req).await),
        "Limit must be greater than or equal to 1"
    );
}

/// A query filter may not name key attributes; a scan filter may (R41).
pub async fn query_filter_on_key_is_error(h: &Harness) {
    let repo = ten(h).await;
    let mut req = q("p");
    req.filter = Some(Path::attr("sk").eq("s01"));
    let msg = invalid(repo.query(req).await);
    assert!(msg.contains("Primary key attribute: sk"), "{msg}");
    let page = repo
        .scan(Scan {
            filter: Some(Path::attr("sk").eq("s01")),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.count, 1);
}

/// A filter may read attributes the projection does not return (R42).
pub async fn filter_reads_unprojected_attributes(h: &Harness) {
    let repo = ten(h).await;
    let mut req = q("p");
    req.filter = Some(Path::attr("n").eq(4));
    req.projection = Some(vec![Path::attr("sk")]);
    let page = query(&*repo, req).await;
    assert_eq!(page.items, vec![Item::new().with("sk", "s04")]);
}

/// Count-only with a projection is a validation error (R43).
pub async fn count_only_with_projection_is_error(h: &Harness) {
    let repo = ten(h).await;
    let mut req = q("p");
    req.count_only = true;
    req.projection = Some(vec![Path::attr("n")]);
    let msg = invalid(repo.query(req).await);
    assert!(msg.contains("only the Count"), "{msg}");
}

/// Paging with a limit and a filter: pages may be empty while a last key is present; every
/// match is seen exactly once (R45).
pub async fn filtered_pages_may_be_empty(h: &Harness) {
    let repo = ten(h).await;
    let mut req = q("p");
    req.limit = Some(3);
    req.filter = Some(Path::attr("n").ge(4));
    let pages = all_pages(&*repo, req).await;
    let counts: Vec<usize> = pages.iter().map(|p| p.count).collect();
    assert_eq!(counts, vec![0, 2, 3, 1]);
    assert!(pages.last().unwrap().last_evaluated_key.is_none());
}

/// Descending pages resume before the last key (R50).
pub async fn descending_pages_resume_before_last_key(h: &Harness) {
    let repo = ten(h).await;
    let mut req = q("p");
    req.forward = false;
    req.limit = Some(4);
    let pages = all_pages(&*repo, req).await;
    let all: Vec<_> = pages.iter().flat_map(sks).collect();
    let expected: Vec<_> = (0..10).rev().map(|i| s(&format!("s{i:02}"))).collect();
    assert_eq!(all, expected);
}

/// A table's last key is exactly its primary key attributes (R46).
pub async fn table_last_key_is_primary_key(h: &Harness) {
    let repo = ten(h).await;
    let mut req = q("p");
    req.limit = Some(2);
    let page = query(&*repo, req).await;
    assert_eq!(page.last_evaluated_key, Some(key("p", "s01")));
    let scan = repo
        .scan(Scan {
            limit: Some(1),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(scan.last_evaluated_key.unwrap().len(), 2);
}

/// A GSI's last key holds the index keys and the table keys (R47).
pub async fn gsi_last_key_has_index_and_table_keys(h: &Harness) {
    let repo = h.app().await;
    for i in 0..3 {
        put(
            &*repo,
            key("p", format!("s{i}").as_str())
                .with("gsi1pk", "G")
                .with("gsi1sk", format!("g{i}"))
                .with("x", 1),
        )
        .await;
    }
    let mut req = q("G");
    req.index = Some("gsi1".into());
    req.limit = Some(1);
    let page = query(&*repo, req).await;
    assert_eq!(
        page.last_evaluated_key,
        Some(key("p", "s0").with("gsi1pk", "G").with("gsi1sk", "g0"))
    );
}

/// An LSI's last key holds the table keys and the LSI sort key (R48).
pub async fn lsi_last_key(h: &Harness) {
    let repo = h.app().await;
    for i in 0..3 {
        put(
            &*repo,
            key("p", format!("s{i}").as_str()).with("lsk", format!("l{}", 9 - i)),
        )
        .await;
    }
    let mut req = q("p");
    req.index = Some("lsi1".into());
    req.limit = Some(1);
    let page = query(&*repo, req).await;
    assert_eq!(page.items[0]["sk"], s("s2"));
    assert_eq!(
        page.last_evaluated_key,
        Some(key("p", "s2").with("lsk", "l7"))
    );
}

/// A start key need not be an item: the query resumes strictly after its position, and past
/// the end gives an empty final page (R50).
pub async fn start_key_need_not_exist(h: &Harness) {
    let repo = h.app().await;
    seed(&*repo, "p", &["a", "c", "e"].map(s)).await;
    let mut req = q("p");
    req.exclusive_start_key = Some(key("p", "b"));
    assert_eq!(sks(&query(&*repo, req.clone()).await), vec![s("c"), s("e")]);
    req.forward = false;
    assert_eq!(sks(&query(&*repo, req.clone()).await), vec![s("a")]);
    req.forward = true;
    req.exclusive_start_key = Some(key("p", "z"));
    let page = query(&*repo, req).await;
    assert!(page.items.is_empty() && page.last_evaluated_key.is_none());
}

/// A start key from another partition or outside the sort condition is rejected (R51).
pub async fn start_key_outside_condition_is_error(h: &Harness) {
    let repo = ten(h).await;
    let mut req = q("p");
    req.exclusive_start_key = Some(key("other", "s01"));
    let msg = invalid(repo.query(req).await);
    assert!(
        msg.contains("does not match the range key predicate"),
        "{msg}"
    );
    let mut req = qs("p", K::BeginsWith(s("s0")));
    req.exclusive_start_key = Some(key("p", "t"));
    assert!(invalid(repo.query(req).await).contains("range key predicate"));
}

/// A start key of the wrong shape is rejected (R52, R53).
pub async fn start_key_of_wrong_shape_is_error(h: &Harness) {
    let repo = ten(h).await;
    let mut req = q("p");
    req.exclusive_start_key = Some(Item::new().with("pk", "p"));
    invalid(repo.query(req.clone()).await);
    req.exclusive_start_key = Some(key("p", "s").with("extra", 1));
    invalid(repo.query(req.clone()).await);
    req.exclusive_start_key = Some(Item::new());
    invalid(repo.query(req.clone()).await);
    req.index = Some("gsi1".into());
    req.exclusive_start_key = Some(key("p", "s"));
    invalid(repo.query(req).await);
}

async fn big_items(repo: &dyn Repository, count: usize, size: usize, with_filter_attr: bool) {
    for i in 0..count {
        let mut item = key("p", format!("s{i:03}").as_str());
        let base = item.size() + "f".len() + if with_filter_attr { "m".len() + 2 } else { 0 };
        item.insert("f".into(), s(&"x".repeat(size - base)));
        if with_filter_attr {
            item.insert("m".into(), monotable_core::Value::from(i % 2));
        }
        assert_eq!(item.size(), size);
        put(repo, item).await;
    }
}

/// Pages end right after the item that brings them to 1 MB: 100,009-byte items give pages
/// of 11, 11 and 3 (R54).
pub async fn pages_stop_at_one_megabyte(h: &Harness) {
    let repo = h.app().await;
    big_items(&*repo, 25, 100_009, false).await;
    let pages = all_pages(&*repo, q("p")).await;
    let counts: Vec<usize> = pages.iter().map(|p| p.count).collect();
    assert_eq!(counts, vec![11, 11, 3]);
}

/// The 1 MB budget counts whole stored items, also for projected and count-only reads
/// (R55).
pub async fn one_megabyte_counts_stored_size(h: &Harness) {
    let repo = h.app().await;
    big_items(&*repo, 25, 100_009, false).await;
    let mut req = q("p");
    req.projection = Some(vec![Path::attr("sk")]);
    assert_eq!(query(&*repo, req).await.count, 11);
    let mut req = q("p");
    req.count_only = true;
    assert_eq!(query(&*repo, req).await.scanned_count, 11);
}

/// A scan's 1 MB budget counts items the filter rejects (R56).
pub async fn scan_budget_counts_filtered_items(h: &Harness) {
    let repo = h.app().await;
    big_items(&*repo, 25, 100_009, false).await;
    let page = repo
        .scan(Scan {
            filter: Some(Path::attr("nope").exists()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!((page.count, page.scanned_count), (0, 11));
    // The eleventh item evaluated (s000..s010) ends the page.
    assert_eq!(page.last_evaluated_key, Some(key("p", "s010")));
}

/// When both Limit and 1 MB apply, whichever comes first ends the page (R58).
pub async fn limit_or_megabyte_whichever_first(h: &Harness) {
    let repo = h.app().await;
    big_items(&*repo, 25, 100_009, false).await;
    let mut req = q("p");
    req.limit = Some(5);
    assert_eq!(query(&*repo, req.clone()).await.count, 5);
    req.limit = Some(20);
    assert_eq!(query(&*repo, req).await.count, 11);
}
