//! Errors, reads and projections (semantics §12, R175–R182).

use monotable_core::{
    DeleteItem, Error, GetItem, Item, Path, PutItem, Repository, TableSchema, UpdateItem,
};

use crate::fixtures::*;
use crate::Harness;

/// Every operation on a table that was never created fails with TableNotFound (R175).
pub async fn table_not_found_before_create(h: &Harness) {
    let mut schema = TableSchema::single_table("x");
    schema.name = format!("mt-never-created-{}", std::process::id());
    let repo = h.uncreated(schema).await;
    let get = repo
        .get_item(GetItem {
            key: key("p", "s"),
            ..Default::default()
        })
        .await;
    assert!(matches!(get, Err(Error::TableNotFound { .. })), "{get:?}");
    let put = repo
        .put_item(PutItem {
            item: key("p", "s"),
            ..Default::default()
        })
        .await;
    assert!(matches!(put, Err(Error::TableNotFound { .. })), "{put:?}");
    let q = repo.query(q("p")).await;
    assert!(matches!(q, Err(Error::TableNotFound { .. })), "{q:?}");
}

/// create_table is idempotent and keeps the data.
pub async fn create_table_is_idempotent(h: &Harness) {
    let repo = h.app().await;
    put(&*repo, key("p", "s")).await;
    repo.create_table().await.unwrap();
    assert_eq!(get(&*repo, "p", "s").await, Some(key("p", "s")));
}

/// A get of a missing item is `None`; of an existing item, the whole item (R179).
pub async fn get_missing_is_none(h: &Harness) {
    let repo = h.app().await;
    assert!(get(&*repo, "p", "s").await.is_none());
    put(&*repo, key("p", "s").with("v", 1)).await;
    let consistent = repo
        .get_item(GetItem {
            key: key("p", "s"),
            consistent_read: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(consistent, Some(key("p", "s").with("v", 1)));
}

/// Projections keep the enclosing structure of nested paths; nothing projected gives an
/// empty item, not a missing one (R180).
pub async fn projection_of_nested_paths(h: &Harness) {
    let repo = h.app().await;
    put(&*repo, it(serde_json::json!({"pk": "p", "sk": "s", "m": {"x": 1, "y": 2}, "l": [1, 2, 3], "v": 0}))).await;
    let proj = vec![Path::attr("m").key("x"), Path::attr("l").index(1)];
    let got = repo
        .get_item(GetItem {
            key: key("p", "s"),
            projection: Some(proj),
            ..Default::default()
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got, it(serde_json::json!({"m": {"x": 1}, "l": [2]})));
    let none = repo
        .get_item(GetItem {
            key: key("p", "s"),
            projection: Some(vec![Path::attr("nope")]),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(none, Some(Item::new()));
}

/// Overlapping or repeated projection paths are rejected (R180).
pub async fn overlapping_projection_rejected(h: &Harness) {
    let repo = h.app().await;
    for proj in [
        vec![Path::attr("v"), Path::attr("v")],
        vec![Path::attr("m"), Path::attr("m").key("x")],
    ] {
        let msg = invalid(
            repo.get_item(GetItem {
                key: key("p", "s"),
                projection: Some(proj),
                ..Default::default()
            })
            .await,
        );
        assert!(msg.contains("Two document paths overlap"), "{msg}");
    }
}

/// Keys given to get, delete and update must be exactly the table's keys (R127, R177).
pub async fn key_shape_is_checked(h: &Harness) {
    let repo = h.app().await;
    let cases = [
        (
            Item::new().with("pk", "p"),
            "The number of conditions on the keys is invalid",
        ),
        (
            key("p", "s").with("x", 1),
            "The number of conditions on the keys is invalid",
        ),
        (
            Item::new().with("pk", "p").with("other", "s"),
            "One of the required keys was not given a value",
        ),
        (
            key("p", 1),
            "One or more parameter values were invalid: Type mismatch for key",
        ),
    ];
    for (k, text) in cases {
        assert_eq!(
            invalid(
                repo.get_item(GetItem {
                    key: k.clone(),
                    ..Default::default()
                })
                .await
            ),
            text
        );
        assert_eq!(
            invalid(
                repo.delete_item(DeleteItem {
                    key: k.clone(),
                    ..Default::default()
                })
                .await
            ),
            text
        );
        assert_eq!(
            invalid(
                repo.update_item(UpdateItem {
                    key: k,
                    ..Default::default()
                })
                .await
            ),
            text
        );
    }
}

/// A repository is usable as `Arc<dyn Repository>` from many tasks.
pub async fn repository_is_shareable(h: &Harness) {
    let repo = h.app().await;
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let r = repo.clone();
            tokio::spawn(async move { put(&*r, key("p", format!("s{i}").as_str())).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(query(&*repo, q("p")).await.count, 8);
    fn assert_send_sync<T: Send + Sync + ?Sized>(_: &T) {}
    assert_send_sync::<dyn Repository>(&*repo);
}
