//! Scans and parallel scans (semantics §11, R169–R174).

use std::collections::BTreeSet;

use monotable_core::{Item, Path, Scan, Segment, Value};

use crate::fixtures::*;
use crate::Harness;

async fn table_of(
    h: &Harness,
    partitions: usize,
    per: usize,
) -> std::sync::Arc<dyn monotable_core::Repository> {
    let repo = h.app().await;
    for p in 0..partitions {
        for i in 0..per {
            put(&*repo, key(&format!("p{p}"), format!("s{i}").as_str())).await;
        }
    }
    repo
}

async fn scan_all(repo: &dyn monotable_core::Repository, mut req: Scan) -> Vec<Item> {
    let mut out = Vec::new();
    loop {
        let copied = repo.scan(req.clone()).await;
        let lent = crate::lent::scan(repo, req.clone()).await;
        let page = crate::lent::same(copied, lent, "scan").unwrap();
        out.extend(page.items);
        match page.last_evaluated_key {
            Some(k) => req.exclusive_start_key = Some(k),
            None => return out,
        }
    }
}

/// A scan pages through the whole table with Limit and the last key.
pub async fn scan_pages_cover_table(h: &Harness) {
    let repo = table_of(h, 5, 3).await;
    let items = scan_all(
        &*repo,
        Scan {
            limit: Some(4),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(items.len(), 15);
    let distinct: BTreeSet<String> = items.iter().map(|i| format!("{i:?}")).collect();
    assert_eq!(distinct.len(), 15);
}

/// Segments split by partition: each item in exactly one segment, a partition in one
/// segment, the union is the table (R169).
pub async fn parallel_scan_partitions_by_partition_key(h: &Harness) {
    let repo = table_of(h, 12, 2).await;
    for total in [1u32, 2, 4, 7] {
        let mut seen = Vec::new();
        for segment in 0..total {
            let items = scan_all(
                &*repo,
                Scan {
                    segment: Some(Segment { segment, total }),
                    limit: Some(3),
                    ..Default::default()
                },
            )
            .await;
            for i in items {
                seen.push((format!("{:?}", i["pk"]), format!("{:?}", i["sk"]), segment));
            }
        }
        assert_eq!(seen.len(), 24, "total {total}");
        let keys: BTreeSet<_> = seen
            .iter()
            .map(|(p, s, _)| (p.clone(), s.clone()))
            .collect();
        assert_eq!(keys.len(), 24);
        for (p, _, seg) in &seen {
            assert!(
                seen.iter()
                    .filter(|(q, _, _)| q == p)
                    .all(|(_, _, s)| s == seg),
                "partition {p} split"
            );
        }
    }
}

/// A segment must lie in `0..total` (R171).
pub async fn segment_out_of_range_rejected(h: &Harness) {
    let repo = table_of(h, 1, 1).await;
    invalid(
        repo.scan(Scan {
            segment: Some(Segment {
                segment: 2,
                total: 2,
            }),
            ..Default::default()
        })
        .await,
    );
    invalid(
        repo.scan(Scan {
            segment: Some(Segment {
                segment: 0,
                total: 0,
            }),
            ..Default::default()
        })
        .await,
    );
}

/// A scan filter with Limit: Count after, ScannedCount before (R35, R41).
pub async fn scan_limit_and_filter(h: &Harness) {
    let repo = h.app().await;
    for i in 0..10 {
        put(&*repo, key("p", format!("s{i}").as_str()).with("n", i)).await;
    }
    let page = repo
        .scan(Scan {
            limit: Some(5),
            filter: Some(Path::attr("n").ge(3)),
            ..Default::default()
        })
        .await
        .unwrap();
    // One partition, read in sort-key order: s0..s4 are evaluated, s3 and s4 pass.
    assert_eq!(page.scanned_count, 5);
    assert_eq!(page.count, 2);
    let ns: Vec<Value> = page.items.iter().map(|i| i["n"].clone()).collect();
    assert_eq!(ns, vec![Value::from(3), Value::from(4)]);
    assert_eq!(page.last_evaluated_key, Some(key("p", "s4")));
}
