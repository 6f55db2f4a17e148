//! Typed access patterns from the derive: the partition fields with their Rust types, sort
//! conditions on a leading prefix of the sort template's fields, index names from the
//! declaration.

use monotable_core::{EntityQuery, RepositoryExt};

use crate::fixtures::*;
use crate::Harness;

async fn seed_orders(repo: &dyn monotable_core::Repository) {
    for (id, created, status) in [
        ("o1", "2024-01-05", "open"),
        ("o2", "2024-02-10", "open"),
        ("o3", "2024-02-20", "paid"),
        ("o4", "2024-03-01", "open"),
    ] {
        repo.create(&Order::new("u1", id, created, status))
            .await
            .unwrap();
    }
}

fn ids(orders: &[Order]) -> Vec<&str> {
    orders.iter().map(|o| o.order_id.as_str()).collect()
}

/// The table's pattern: partition by user, sort conditions on `created`, then on
/// `created` and `order_id` together.
pub async fn table_pattern_sorts_by_typed_prefix(h: &Harness) {
    let repo = h.app().await;
    seed_orders(&*repo).await;
    let all = repo.query_all(Order::query("u1").all()).await.unwrap();
    assert_eq!(ids(&all), ["o1", "o2", "o3", "o4"]);
    let feb = repo
        .query_all(Order::query("u1").created_begins_with("2024-02"))
        .await
        .unwrap();
    assert_eq!(ids(&feb), ["o2", "o3"]);
    let after = repo
        .query_all(Order::query("u1").created_gt("2024-02-10"))
        .await
        .unwrap();
    assert_eq!(
        ids(&after),
        ["o2", "o3", "o4"],
        "ORDER#2024-02-10#o2 > ORDER#2024-02-10"
    );
    let exact = repo
        .query_all(Order::query("u1").created_and_order_id_eq("2024-02-20", "o3"))
        .await
        .unwrap();
    assert_eq!(ids(&exact), ["o3"]);
    let range = repo
        .query_all(Order::query("u1").created_between("2024-01-01", "2024-02-15"))
        .await
        .unwrap();
    assert_eq!(ids(&range), ["o1", "o2"]);
}

/// An index's pattern: partition by status on `gsi2`, sorted by `created`; it equals the
/// string-pair query it replaces.
pub async fn index_pattern_matches_dynamic_query(h: &Harness) {
    let repo = h.app().await;
    seed_orders(&*repo).await;
    let typed = repo
        .query_all(Order::query_gsi2("open").created_ge("2024-02-01"))
        .await
        .unwrap();
    let dynamic = repo
        .query_all(
            EntityQuery::<Order>::on_index("gsi2", [("status", "open")])
                .sort_ge([("created", "2024-02-01")]),
        )
        .await
        .unwrap();
    assert_eq!(ids(&typed), ["o2", "o4"]);
    assert_eq!(typed, dynamic);
    let newest_first = repo
        .query_all(Order::query_gsi2("open").all().descending().limit(1))
        .await
        .unwrap();
    assert_eq!(ids(&newest_first), ["o4", "o2", "o1"]);
}

/// Zero-padded integer sort fields take integers and sort numerically.
pub async fn integer_sort_fields_take_integers(h: &Harness) {
    let repo = h.app().await;
    for rev in [1u32, 9, 10, 100] {
        repo.create(&Doc {
            doc_id: "d".into(),
            rev,
            body: String::new(),
            version: 0,
        })
        .await
        .unwrap();
    }
    let revs: Vec<u32> = repo
        .query_all(Doc::query("d").rev_between(5, 50))
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.rev)
        .collect();
    assert_eq!(revs, vec![9, 10]);
}
