//! The typed entity API: create, put, get, update, patch, delete, queries, cursors,
//! collections, batches, transactions, versions, timestamps and key rules.

use futures::TryStreamExt;
use monotable_core::{
    CancellationCode, CollectionQuery, Cursor, EntityQuery, Error, Item, RepositoryExt,
    TransactionContext, Update,
};

use crate::fixtures::*;
use crate::Harness;

fn user_key(id: &str) -> UserKey {
    UserKey { user_id: id.into() }
}

/// The stored user's name (the user must exist).
async fn user_name(repo: &dyn monotable_core::Repository, id: &str) -> String {
    repo.get::<User>(&user_key(id)).await.unwrap().unwrap().name
}

/// create writes the entity with its composed keys and entity type; get reads it back.
pub async fn create_then_get(h: &Harness) {
    let repo = h.app().await;
    let ada = User::new("u1", "Ada");
    let stored = repo.create(&ada).await.unwrap();
    assert_eq!(stored, ada);
    assert_eq!(repo.get::<User>(&user_key("u1")).await.unwrap(), Some(ada));
    let raw = get(&*repo, "USER#u1", "PROFILE").await.unwrap();
    assert_eq!(raw["_et"], s("User"));
    assert_eq!(raw["gsi1pk"], s("EMAIL#u1@example.com"));
    assert_eq!(raw["gsi1sk"], s("USER"));
    assert!(repo
        .get::<User>(&user_key("nobody"))
        .await
        .unwrap()
        .is_none());
}

/// create on an existing key fails with AlreadyExists and leaves the item alone.
pub async fn create_existing_is_already_exists(h: &Harness) {
    let repo = h.app().await;
    repo.create(&User::new("u1", "Ada")).await.unwrap();
    let r = repo.create(&User::new("u1", "Eve")).await;
    assert!(
        matches!(r, Err(Error::AlreadyExists { ref entity, .. }) if entity == "User"),
        "{r:?}"
    );
    assert_eq!(user_name(&*repo, "u1").await, "Ada");
}

/// put replaces an existing entity (an upsert).
pub async fn put_replaces(h: &Harness) {
    let repo = h.app().await;
    repo.put(&User::new("u1", "Ada")).await.unwrap();
    repo.put(&User::new("u1", "Ada Lovelace")).await.unwrap();
    assert_eq!(user_name(&*repo, "u1").await, "Ada Lovelace");
}

/// Timestamps: `_ct` and `_md` are ISO 8601; an update moves `_md` and keeps `_ct`.
pub async fn timestamps_are_written(h: &Harness) {
    let repo = h.app().await;
    repo.create(&User::new("u1", "Ada")).await.unwrap();
    let before = get(&*repo, "USER#u1", "PROFILE").await.unwrap();
    let ct = before["_ct"].as_s().unwrap().to_string();
    assert!(
        ct.len() >= 20 && ct.contains('T') && ct.ends_with('Z'),
        "{ct}"
    );
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    repo.update::<User>(&user_key("u1"), Update::new().set(User::NAME, "Ada L"))
        .await
        .unwrap();
    let after = get(&*repo, "USER#u1", "PROFILE").await.unwrap();
    assert_eq!(after["_ct"].as_s().unwrap(), ct);
    assert!(after["_md"].as_s().unwrap() > before["_md"].as_s().unwrap());
}

/// update upserts and returns the entity as it is now.
pub async fn update_upserts_and_returns_entity(h: &Harness) {
    let repo = h.app().await;
    repo.create(&User::new("u1", "Ada")).await.unwrap();
    let u = repo
        .update::<User>(
            &user_key("u1"),
            Update::new().set(User::NAME, "Countess").add(User::AGE, 1),
        )
        .await
        .unwrap();
    assert_eq!((u.name.as_str(), u.age), ("Countess", 31));
    let created = repo
        .update::<User>(
            &user_key("u2"),
            Update::new()
                .set(User::NAME, "Bob")
                .set(User::EMAIL, "bob@example.com"),
        )
        .await
        .unwrap();
    assert_eq!(created.user_id, "u2");
    assert_eq!(
        get(&*repo, "USER#u2", "PROFILE").await.unwrap()["_et"],
        s("User")
    );
}

/// An update that sets every attribute of an index key recomposes that key; one that sets
/// only part of it is rejected before any write.
pub async fn update_recomposes_index_keys(h: &Harness) {
    let repo = h.app().await;
    repo.create(&User::new("u1", "Ada")).await.unwrap();
    repo.update::<User>(
        &user_key("u1"),
        Update::new().set(User::EMAIL, "ada@new.org"),
    )
    .await
    .unwrap();
    let raw = get(&*repo, "USER#u1", "PROFILE").await.unwrap();
    assert_eq!(raw["gsi1pk"], s("EMAIL#ada@new.org"));
    let by_email = repo
        .query_page(&EntityQuery::<User>::on_index(
            "gsi1",
            [("email", "ada@new.org")],
        ))
        .await
        .unwrap();
    assert_eq!(by_email.items.len(), 1);
    repo.create(&Order::new("u1", "o1", "2024-01-01", "open"))
        .await
        .unwrap();
    let key = OrderKey {
        user_id: "u1".into(),
        created: "2024-01-01".into(),
        order_id: "o1".into(),
    };
    let r = repo
        .update::<Order>(
            &key,
            Update::new()
                .remove(Order::COUPON)
                .set(Order::STATUS, "shipped"),
        )
        .await;
    assert_eq!(r.unwrap().status, "shipped");
    let raw = get(&*repo, "USER#u1", "ORDER#2024-01-01#o1").await.unwrap();
    assert_eq!(raw["gsi2pk"], s("STATUS#shipped"));
    // An index key composed from two attributes that the update sets only one of.
    let shipment = Shipment {
        id: "s1".into(),
        carrier: "ups".into(),
        tracking: "1Z".into(),
    };
    repo.create(&shipment).await.unwrap();
    let before = get(&*repo, "SHIPMENT#s1", "SHIPMENT").await.unwrap();
    assert_eq!(before["gsi1pk"], s("CARRIER#ups#1Z"));
    let r = repo
        .patch::<Shipment>(
            &ShipmentKey { id: "s1".into() },
            Update::new().set(Shipment::CARRIER, "dhl"),
        )
        .await;
    assert!(
        matches!(&r, Err(Error::InvalidKey { part, .. }) if part == "tracking"),
        "{r:?}"
    );
    assert_eq!(
        get(&*repo, "SHIPMENT#s1", "SHIPMENT").await.unwrap(),
        before
    );
}

/// A shipment, found by carrier and tracking number through `gsi1`.
#[derive(
    Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, monotable_derive::Entity,
)]
#[monotable(
    crate = "monotable_core",
    entity = "Shipment",
    pk = "SHIPMENT#{id}",
    sk = "SHIPMENT",
    index(name = "gsi1", pk = "CARRIER#{carrier}#{tracking}", sk = "SHIPMENT")
)]
pub struct Shipment {
    /// Id.
    pub id: String,
    /// Carrier.
    pub carrier: String,
    /// Tracking number.
    pub tracking: String,
}

/// patch updates an existing entity and fails with NotFound, writing nothing, otherwise.
pub async fn patch_requires_existing(h: &Harness) {
    let repo = h.app().await;
    let r = repo
        .patch::<User>(&user_key("u1"), Update::new().set(User::NAME, "x"))
        .await;
    assert!(matches!(r, Err(Error::NotFound { .. })), "{r:?}");
    assert!(get(&*repo, "USER#u1", "PROFILE").await.is_none());
    repo.create(&User::new("u1", "Ada")).await.unwrap();
    let u = repo
        .patch::<User>(&user_key("u1"), Update::new().set(User::NAME, "x"))
        .await
        .unwrap();
    assert_eq!(u.name, "x");
}

/// delete returns the old entity; delete_if honours its condition.
pub async fn delete_returns_old_and_honours_condition(h: &Harness) {
    let repo = h.app().await;
    repo.create(&User::new("u1", "Ada")).await.unwrap();
    let r = repo
        .delete_if::<User>(&user_key("u1"), Some(User::NAME.eq("Eve")))
        .await;
    assert!(matches!(r, Err(Error::ConditionFailed { .. })), "{r:?}");
    let old = repo.delete::<User>(&user_key("u1")).await.unwrap();
    assert_eq!(old.map(|u| u.name), Some("Ada".to_string()));
    assert_eq!(repo.delete::<User>(&user_key("u1")).await.unwrap(), None);
}

/// A key part holding the template's delimiter, or empty, is rejected before any write.
pub async fn invalid_key_parts_rejected(h: &Harness) {
    let repo = h.app().await;
    for id in ["a#b", ""] {
        let r = repo.create(&User::new(id, "x")).await;
        match r {
            Err(Error::InvalidKey { template, part, .. }) => {
                assert_eq!(
                    (template.as_str(), part.as_str()),
                    ("USER#{user_id}", "user_id")
                );
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(repo.scan(Default::default()).await.unwrap().count, 0);
}

/// The entity's validation hook runs before every write.
pub async fn validation_hook_runs_before_write(h: &Harness) {
    let repo = h.app().await;
    let mut bad = User::new("u1", "Ada");
    bad.email = "nope".into();
    let r = repo.create(&bad).await;
    assert!(
        matches!(r, Err(Error::Validation { ref attribute, .. }) if attribute == "email"),
        "{r:?}"
    );
    let r = repo.put(&bad).await;
    assert!(matches!(r, Err(Error::Validation { .. })));
    assert_eq!(repo.scan(Default::default()).await.unwrap().count, 0);
}

async fn orders(h: &Harness, n: usize) -> std::sync::Arc<dyn monotable_core::Repository> {
    let repo = h.app().await;
    repo.create(&User::new("u1", "Ada")).await.unwrap();
    for i in 0..n {
        let mut o = Order::new(
            "u1",
            &format!("o{i:02}"),
            &format!("2024-01-{:02}", i + 1),
            if i % 2 == 0 { "open" } else { "shipped" },
        );
        if i % 3 == 0 {
            o.coupon = Some("SAVE".into());
        }
        repo.create(&o).await.unwrap();
    }
    repo
}

/// A query of one entity type in a shared partition reads only that type, in order.
pub async fn query_reads_only_its_entity(h: &Harness) {
    let repo = orders(h, 5).await;
    let page = repo
        .query_page(&EntityQuery::<Order>::new([("user_id", "u1")]))
        .await
        .unwrap();
    let ids: Vec<_> = page.items.iter().map(|o| o.order_id.as_str()).collect();
    assert_eq!(ids, vec!["o00", "o01", "o02", "o03", "o04"]);
    let desc = repo
        .query_page(
            &EntityQuery::<Order>::new([("user_id", "u1")])
                .descending()
                .limit(2),
        )
        .await
        .unwrap();
    assert_eq!(
        desc.items
            .iter()
            .map(|o| o.order_id.as_str())
            .collect::<Vec<_>>(),
        vec!["o04", "o03"]
    );
}

/// Sort conditions from attribute values: begins_with on leading attributes, between.
pub async fn query_sort_conditions(h: &Harness) {
    let repo = orders(h, 12).await;
    let q =
        EntityQuery::<Order>::new([("user_id", "u1")]).sort_begins_with([("created", "2024-01-1")]);
    assert_eq!(repo.query_all(q).await.unwrap().len(), 3);
    let q = EntityQuery::<Order>::new([("user_id", "u1")])
        .sort_between([("created", "2024-01-03")], [("created", "2024-01-05")]);
    let got: Vec<_> = repo
        .query_all(q)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.order_id)
        .collect();
    assert_eq!(got, vec!["o02", "o03"]);
}

/// Pages through an index with cursors: every entity once, in order.
pub async fn index_query_paginates_with_cursor(h: &Harness) {
    let repo = orders(h, 9).await;
    let mut q = EntityQuery::<Order>::on_index("gsi2", [("status", "open")]).limit(2);
    let mut seen = Vec::new();
    loop {
        let page = repo.query_page(&q).await.unwrap();
        seen.extend(page.items.into_iter().map(|o| o.order_id));
        match page.cursor {
            Some(c) => q = q.after(Some(c)),
            None => break,
        }
    }
    assert_eq!(seen, vec!["o00", "o02", "o04", "o06", "o08"]);
}

/// The stream yields every entity across pages.
pub async fn stream_reads_all_pages(h: &Harness) {
    let repo = orders(h, 7).await;
    let all: Vec<Order> = repo
        .query_stream(EntityQuery::<Order>::new([("user_id", "u1")]).limit(2))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 7);
}

/// A tampered cursor, or one from another query, is InvalidCursor.
pub async fn bad_cursors_rejected(h: &Harness) {
    let repo = orders(h, 4).await;
    let q = EntityQuery::<Order>::new([("user_id", "u1")]).limit(1);
    let cursor = repo.query_page(&q).await.unwrap().cursor.unwrap();
    let mut text = cursor.to_string();
    let last = text.pop().unwrap();
    text.push(if last == 'A' { 'B' } else { 'A' });
    let r = repo
        .query_page(&q.clone().after(Some(Cursor::from(text))))
        .await;
    assert!(matches!(r, Err(Error::InvalidCursor { .. })), "{r:?}");
    let other = EntityQuery::<Order>::on_index("gsi2", [("status", "open")]).after(Some(cursor));
    let r = repo.query_page(&other).await;
    assert!(matches!(r, Err(Error::InvalidCursor { .. })), "{r:?}");
    let r = repo
        .query_page(&q.after(Some(Cursor::from("not a cursor".to_string()))))
        .await;
    assert!(matches!(r, Err(Error::InvalidCursor { .. })), "{r:?}");
}

/// A sparse index holds only the entities that have its attribute.
pub async fn sparse_entity_index(h: &Harness) {
    let repo = orders(h, 7).await;
    let with_coupon = repo
        .query_all(EntityQuery::<Order>::on_index("gsi3", [("coupon", "SAVE")]))
        .await
        .unwrap();
    assert_eq!(
        with_coupon
            .iter()
            .map(|o| o.order_id.as_str())
            .collect::<Vec<_>>(),
        vec!["o00", "o03", "o06"]
    );
}

/// A collection reads several entity types of one partition in one query.
pub async fn collection_returns_several_types(h: &Harness) {
    let repo = orders(h, 3).await;
    let page = repo
        .collection(&CollectionQuery::for_entity::<User>(None, [("user_id", "u1")]).unwrap())
        .await
        .unwrap();
    assert_eq!(page.items.len(), 4);
    assert_eq!(page.entities::<User>().unwrap().len(), 1);
    assert_eq!(page.entities::<Order>().unwrap().len(), 3);
    let first = repo
        .collection(&CollectionQuery::new(None, "USER#u1").limit(2))
        .await
        .unwrap();
    let rest = repo
        .collection(&CollectionQuery::new(None, "USER#u1").after(first.cursor.clone()))
        .await
        .unwrap();
    assert_eq!(first.items.len() + rest.items.len(), 4);
}

/// Batch put and get chunk beyond DynamoDB's 25 / 100 per call.
pub async fn batches_chunk_beyond_limits(h: &Harness) {
    let repo = h.app().await;
    let users: Vec<User> = (0..130)
        .map(|i| User::new(&format!("u{i:03}"), "x"))
        .collect();
    repo.batch_put(&users).await.unwrap();
    let keys: Vec<UserKey> = (0..135).map(|i| user_key(&format!("u{i:03}"))).collect();
    let mut got = repo.batch_get::<User>(&keys).await.unwrap();
    got.sort_by(|a, b| a.user_id.cmp(&b.user_id));
    assert_eq!(got, users);
    repo.batch_delete::<User>(&keys[..60]).await.unwrap();
    assert_eq!(repo.batch_get::<User>(&keys).await.unwrap().len(), 70);
}

/// A batch with one invalid entity writes nothing.
pub async fn batch_put_checks_everything_first(h: &Harness) {
    let repo = h.app().await;
    let mut users: Vec<User> = (0..40)
        .map(|i| User::new(&format!("u{i:03}"), "x"))
        .collect();
    users[35].email = "bad".into();
    assert!(matches!(
        repo.batch_put(&users).await,
        Err(Error::Validation { .. })
    ));
    assert_eq!(repo.scan(Default::default()).await.unwrap().count, 0);
}

/// The transaction closure commits on Ok and drops everything on Err.
pub async fn transaction_closure(h: &Harness) {
    let repo = h.app().await;
    repo.transaction(|tx| {
        tx.create(&User::new("u1", "Ada"))?.create(&Order::new(
            "u1",
            "o1",
            "2024-01-01",
            "open",
        ))?;
        Ok(())
    })
    .await
    .unwrap();
    let r: monotable_core::Result<()> = repo
        .transaction(|tx| {
            tx.create(&User::new("u2", "Bob"))?;
            Err(Error::invalid("changed my mind"))
        })
        .await;
    assert!(r.is_err());
    assert!(repo.get::<User>(&user_key("u1")).await.unwrap().is_some());
    assert!(repo.get::<User>(&user_key("u2")).await.unwrap().is_none());
}

/// A transaction's create on a taken key cancels it: ConditionalCheckFailed for that action,
/// None for the others, nothing written.
pub async fn transaction_create_conflict(h: &Harness) {
    let repo = h.app().await;
    repo.create(&User::new("u1", "Ada")).await.unwrap();
    let r = repo
        .transaction(|tx| {
            tx.create(&Order::new("u1", "o1", "2024-01-01", "open"))?
                .create(&User::new("u1", "Eve"))?;
            Ok(())
        })
        .await;
    match r {
        Err(Error::TransactionCanceled { reasons }) => {
            let codes: Vec<_> = reasons.iter().map(|r| r.code.clone()).collect();
            assert_eq!(
                codes,
                vec![
                    CancellationCode::None,
                    CancellationCode::ConditionalCheckFailed
                ]
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        repo.query_all(EntityQuery::<Order>::new([("user_id", "u1")]))
            .await
            .unwrap()
            .len(),
        0
    );
    assert_eq!(user_name(&*repo, "u1").await, "Ada");
}

/// Optimistic locking: create writes version 1; a put with a stale version fails.
pub async fn version_attribute_locks(h: &Harness) {
    let repo = h.app().await;
    let doc = Doc {
        doc_id: "d1".into(),
        rev: 7,
        body: "v1".into(),
        version: 0,
    };
    let created = repo.create(&doc).await.unwrap();
    assert_eq!(created.version, 1);
    let mut edit = created.clone();
    edit.body = "v2".into();
    let saved = repo.put(&edit).await.unwrap();
    assert_eq!(saved.version, 2);
    let r = repo.put(&edit).await;
    assert!(matches!(r, Err(Error::VersionConflict { .. })), "{r:?}");
    let raw = get(&*repo, "DOC#d1", "REV#000007").await.unwrap();
    assert_eq!(
        (raw["body"].clone(), raw["kind"].clone()),
        (s("v2"), s("Doc"))
    );
    assert!(!raw.contains_key("_ct"));
}

/// Renamed fields and zero-padded numbers compose keys; padded keys sort numerically.
pub async fn padded_numbers_sort_numerically(h: &Harness) {
    let repo = h.app().await;
    for rev in [10u32, 9, 100, 1] {
        repo.put(&Doc {
            doc_id: "d".into(),
            rev,
            body: String::new(),
            version: 0,
        })
        .await
        .unwrap();
    }
    let revs: Vec<u32> = repo
        .query_all(EntityQuery::<Doc>::new([("docId", "d")]))
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.rev)
        .collect();
    assert_eq!(revs, vec![1, 9, 10, 100]);
    let raw = Item::from_serialize(&DocKey {
        doc_id: "d".into(),
        rev: 5,
    })
    .unwrap();
    assert_eq!(raw["docId"], s("d"));
}

/// get of a key holding another entity type returns `None`, not a wrong decode.
pub async fn get_checks_entity_type(h: &Harness) {
    let repo = h.app().await;
    put(
        &*repo,
        key("USER#u1", "PROFILE")
            .with("_et", "Impostor")
            .with("user_id", "u1")
            .with("email", "a@b")
            .with("name", "x"),
    )
    .await;
    assert!(repo.get::<User>(&user_key("u1")).await.unwrap().is_none());
    // The item is there; only the typed read declined it.
    let raw = get(&*repo, "USER#u1", "PROFILE").await.unwrap();
    assert_eq!(raw["_et"], s("Impostor"));
}
