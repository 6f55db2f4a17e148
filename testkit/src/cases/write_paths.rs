//! The write-path matrix: each entity invariant (key attributes, index keys incl. sparse
//! ones, version, `_ct`/`_md`, the validation hook, the entity type, managed attribute
//! names) on each write path (create, put, update, patch, delete, batch put, batch delete,
//! and each transaction action). Every case reads back what is stored.

use monotable_core::{
    CancellationCode, EntityQuery, Error, Item, Repository, RepositoryExt, TransactionContext,
    Update, Value,
};
use monotable_derive::Entity;
use serde::{Deserialize, Serialize};

use crate::fixtures::*;
use crate::Harness;

fn user_key(id: &str) -> UserKey {
    UserKey { user_id: id.into() }
}

fn doc(body: &str, version: u64) -> Doc {
    Doc {
        doc_id: "d1".into(),
        rev: 7,
        body: body.into(),
        version,
    }
}

fn doc_key() -> DocKey {
    DocKey {
        doc_id: "d1".into(),
        rev: 7,
    }
}

fn order_key(o: &Order) -> OrderKey {
    OrderKey {
        user_id: o.user_id.clone(),
        created: o.created.clone(),
        order_id: o.order_id.clone(),
    }
}

async fn stored_doc(repo: &dyn Repository) -> Option<Item> {
    get(repo, "DOC#d1", "REV#000007").await
}

/// The stored doc's (body, version).
async fn doc_state(repo: &dyn Repository) -> (Value, Value) {
    let raw = stored_doc(repo).await.expect("doc is stored");
    (raw["body"].clone(), raw["version"].clone())
}

fn is_version_conflict<T: std::fmt::Debug>(r: &monotable_core::Result<T>) -> bool {
    matches!(r, Err(Error::VersionConflict { entity, .. }) if entity == "Doc")
}

fn is_validation<T: std::fmt::Debug>(r: &monotable_core::Result<T>, attribute: &str) -> bool {
    matches!(r, Err(Error::Validation { attribute: a, .. }) if a == attribute)
}

fn cancelled_with_condition<T: std::fmt::Debug>(r: &monotable_core::Result<T>) -> bool {
    matches!(r, Err(Error::TransactionCanceled { reasons })
        if reasons.iter().any(|x| x.code == CancellationCode::ConditionalCheckFailed))
}

/// Version × put: a stale copy is a VersionConflict on put, and cancels a transaction's put;
/// the stored version never moves backwards.
pub async fn stale_put_is_version_conflict_everywhere(h: &Harness) {
    let repo = h.app().await;
    let v1 = repo.create(&doc("v1", 0)).await.unwrap();
    assert_eq!(v1.version, 1);
    let v2 = repo.put(&doc("v2", v1.version)).await.unwrap();
    assert_eq!(v2.version, 2);
    let stale = doc("stale", 1);
    let r = repo.put(&stale).await;
    assert!(is_version_conflict(&r), "{r:?}");
    let r = repo.transaction(|tx| {
        tx.put(&stale, None)?;
        Ok(())
    });
    assert!(cancelled_with_condition(&r.await));
    assert_eq!(doc_state(&*repo).await, (s("v2"), n("2")));
    // A put of a new entity at version 0 creates it; at another version it finds no item.
    repo.delete_versioned::<Doc>(&doc_key(), 2).await.unwrap();
    let r = repo.put(&doc("ghost", 5)).await;
    assert!(is_version_conflict(&r), "{r:?}");
    assert!(stored_doc(&*repo).await.is_none());
    assert_eq!(repo.put(&doc("new", 0)).await.unwrap().version, 1);
}

/// Version × batch: a batch write carries no condition, so a versioned entity is refused
/// before anything is written, unless the caller opts out.
pub async fn batch_write_of_versioned_entity_is_refused(h: &Harness) {
    let repo = h.app().await;
    let r = repo.batch_put(&[doc("b", 0)]).await;
    assert!(is_validation(&r, "version"), "{r:?}");
    assert!(stored_doc(&*repo).await.is_none());
    repo.batch_put_ignoring_versions(&[doc("b", 0)])
        .await
        .unwrap();
    assert_eq!(doc_state(&*repo).await, (s("b"), n("1")));
    let r = repo.batch_delete::<Doc>(&[doc_key()]).await;
    assert!(is_validation(&r, "version"), "{r:?}");
    assert!(stored_doc(&*repo).await.is_some());
    repo.batch_delete_ignoring_versions::<Doc>(&[doc_key()])
        .await
        .unwrap();
    assert!(stored_doc(&*repo).await.is_none());
}

/// Version × update/patch: a versioned entity needs the version it read; a wrong one is a
/// VersionConflict; the right one moves the version forward by one.
pub async fn update_and_patch_check_the_version(h: &Harness) {
    let repo = h.app().await;
    repo.create(&doc("v1", 0)).await.unwrap();
    let body = Update::new().set(Doc::BODY, "x");
    let r = repo.update::<Doc>(&doc_key(), body.clone()).await;
    assert!(is_validation(&r, "version"), "{r:?}");
    let r = repo.patch::<Doc>(&doc_key(), body.clone()).await;
    assert!(is_validation(&r, "version"), "{r:?}");
    let r = repo
        .update_versioned::<Doc>(&doc_key(), 3, body.clone())
        .await;
    assert!(is_version_conflict(&r), "{r:?}");
    let r = repo
        .patch_versioned::<Doc>(&doc_key(), 0, body.clone())
        .await;
    assert!(is_version_conflict(&r), "{r:?}");
    assert_eq!(doc_state(&*repo).await, (s("v1"), n("1")));
    let d = repo
        .update_versioned::<Doc>(&doc_key(), 1, body.clone())
        .await
        .unwrap();
    assert_eq!((d.body.as_str(), d.version), ("x", 2));
    let d = repo
        .patch_versioned::<Doc>(&doc_key(), 2, Update::new().set(Doc::BODY, "y"))
        .await
        .unwrap();
    assert_eq!((d.body.as_str(), d.version), ("y", 3));
    // The version itself is managed: an update cannot set it.
    let r = repo
        .update_versioned::<Doc>(&doc_key(), 3, Update::new().set(Doc::VERSION, 99))
        .await;
    assert!(is_validation(&r, "version"), "{r:?}");
    assert_eq!(doc_state(&*repo).await, (s("y"), n("3")));
}

/// Version × delete: a versioned entity is deleted only at the version it has.
pub async fn delete_checks_the_version(h: &Harness) {
    let repo = h.app().await;
    repo.create(&doc("v1", 0)).await.unwrap();
    let r = repo.delete::<Doc>(&doc_key()).await;
    assert!(is_validation(&r, "version"), "{r:?}");
    let r = repo.delete_versioned::<Doc>(&doc_key(), 2).await;
    assert!(is_version_conflict(&r), "{r:?}");
    assert!(stored_doc(&*repo).await.is_some());
    let old = repo.delete_versioned::<Doc>(&doc_key(), 1).await.unwrap();
    assert_eq!(old.map(|d| d.body), Some("v1".to_string()));
    assert!(stored_doc(&*repo).await.is_none());
}

/// Version × transaction actions: stale update and delete cancel the transaction; a
/// versioned entity without a version is refused before anything is sent.
pub async fn transaction_actions_check_the_version(h: &Harness) {
    let repo = h.app().await;
    repo.create(&doc("v1", 0)).await.unwrap();
    let r = repo.transaction(|tx| {
        tx.update::<Doc>(&doc_key(), Update::new().set(Doc::BODY, "x"), None)?;
        Ok(())
    });
    assert!(is_validation(&r.await, "version"));
    let r = repo.transaction(|tx| {
        tx.update_versioned::<Doc>(&doc_key(), 5, Update::new().set(Doc::BODY, "x"), None)?;
        Ok(())
    });
    assert!(cancelled_with_condition(&r.await));
    let r = repo.transaction(|tx| {
        tx.delete_versioned::<Doc>(&doc_key(), 5, None)?;
        Ok(())
    });
    assert!(cancelled_with_condition(&r.await));
    assert_eq!(doc_state(&*repo).await, (s("v1"), n("1")));
    repo.transaction(|tx| {
        tx.patch_versioned::<Doc>(&doc_key(), 1, Update::new().set(Doc::BODY, "x"))?;
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(doc_state(&*repo).await, (s("x"), n("2")));
    repo.transaction(|tx| {
        tx.delete_versioned::<Doc>(&doc_key(), 2, None)?;
        Ok(())
    })
    .await
    .unwrap();
    assert!(stored_doc(&*repo).await.is_none());
}

/// Key attributes × update/patch/transaction: an update cannot change an attribute of the
/// primary key (the item would keep its old key); rekey moves the entity instead, keeping
/// its creation time and recomposing its index keys.
pub async fn key_attributes_change_only_by_rekey(h: &Harness) {
    let repo = h.app().await;
    let o = Order::new("u1", "o1", "2024-01-01", "open");
    repo.create(&o).await.unwrap();
    let before = get(&*repo, "USER#u1", "ORDER#2024-01-01#o1").await.unwrap();
    let moved = Update::new().set(Order::CREATED, "2024-02-02");
    let r = repo.update::<Order>(&order_key(&o), moved.clone()).await;
    assert!(
        matches!(r, Err(Error::InvalidKey { ref part, .. }) if part == "created"),
        "{r:?}"
    );
    let r = repo.patch::<Order>(&order_key(&o), moved.clone()).await;
    assert!(matches!(r, Err(Error::InvalidKey { .. })), "{r:?}");
    let r = repo.transaction(|tx| {
        tx.update::<Order>(&order_key(&o), moved.clone(), None)?;
        Ok(())
    });
    assert!(matches!(r.await, Err(Error::InvalidKey { .. })));
    assert_eq!(
        get(&*repo, "USER#u1", "ORDER#2024-01-01#o1").await.unwrap(),
        before
    );
    let mut to = o.clone();
    to.created = "2024-02-02".into();
    let stored = repo.rekey(&order_key(&o), &to).await.unwrap();
    assert_eq!(stored, to);
    assert!(get(&*repo, "USER#u1", "ORDER#2024-01-01#o1")
        .await
        .is_none());
    let after = get(&*repo, "USER#u1", "ORDER#2024-02-02#o1").await.unwrap();
    assert_eq!(after["_ct"], before["_ct"]);
    assert_eq!(after["gsi2sk"], s("2024-02-02"));
    // Rekeying onto a taken key fails and changes nothing.
    repo.create(&o).await.unwrap();
    let r = repo.rekey(&order_key(&o), &to).await;
    assert!(matches!(r, Err(Error::AlreadyExists { .. })), "{r:?}");
    assert!(get(&*repo, "USER#u1", "ORDER#2024-01-01#o1")
        .await
        .is_some());
}

/// Managed attributes × update: the entity type, the timestamps and every key attribute of
/// the table and its indexes cannot be written by an update.
pub async fn managed_attributes_cannot_be_updated(h: &Harness) {
    let repo = h.app().await;
    repo.create(&User::new("u1", "Ada")).await.unwrap();
    let before = get(&*repo, "USER#u1", "PROFILE").await.unwrap();
    for attr in ["_et", "_ct", "_md", "gsi1pk", "gsi1sk", "lsk", "pk", "sk"] {
        let r = repo
            .patch::<User>(&user_key("u1"), Update::new().set(attr, "x"))
            .await;
        assert!(is_validation(&r, attr), "{attr}: {r:?}");
    }
    assert_eq!(get(&*repo, "USER#u1", "PROFILE").await.unwrap(), before);
}

/// `_ct` × put, transaction put, batch put: the creation time is written once and kept;
/// `_md` moves on every write.
pub async fn creation_time_never_changes(h: &Harness) {
    let repo = h.app().await;
    repo.create(&User::new("u1", "Ada")).await.unwrap();
    let first = get(&*repo, "USER#u1", "PROFILE").await.unwrap();
    let (ct, mut md) = (first["_ct"].clone(), first["_md"].clone());
    let mut check = |raw: Item, what: &str| {
        assert_eq!(raw["_ct"], ct, "{what} changed _ct");
        assert_ne!(raw["_md"], md, "{what} did not move _md");
        md = raw["_md"].clone();
    };
    repo.put(&User::new("u1", "Ada 2")).await.unwrap();
    check(get(&*repo, "USER#u1", "PROFILE").await.unwrap(), "put");
    repo.transaction(|tx| {
        tx.put(&User::new("u1", "Ada 3"), None)?;
        Ok(())
    })
    .await
    .unwrap();
    check(
        get(&*repo, "USER#u1", "PROFILE").await.unwrap(),
        "transaction put",
    );
    repo.batch_put(&[User::new("u1", "Ada 4")]).await.unwrap();
    check(
        get(&*repo, "USER#u1", "PROFILE").await.unwrap(),
        "batch put",
    );
    repo.patch::<User>(&user_key("u1"), Update::new().set(User::NAME, "Ada 5"))
        .await
        .unwrap();
    check(get(&*repo, "USER#u1", "PROFILE").await.unwrap(), "patch");
    assert_eq!(
        get(&*repo, "USER#u1", "PROFILE").await.unwrap()["name"],
        s("Ada 5")
    );
}

/// Sparse index keys × put and transaction put: a put without the coupon removes the
/// coupon and the sparse index's keys, so the order leaves that index.
pub async fn put_removes_what_the_entity_left_out(h: &Harness) {
    let repo = h.app().await;
    let mut o = Order::new("u1", "o1", "2024-01-01", "open");
    o.coupon = Some("SAVE".into());
    repo.create(&o).await.unwrap();
    let by_coupon = || EntityQuery::<Order>::on_index("gsi3", [("coupon", "SAVE")]);
    assert_eq!(repo.query_all(by_coupon()).await.unwrap().len(), 1);
    o.coupon = None;
    repo.put(&o).await.unwrap();
    let raw = get(&*repo, "USER#u1", "ORDER#2024-01-01#o1").await.unwrap();
    assert!(
        !raw.contains_key("coupon") && !raw.contains_key("gsi3pk"),
        "{raw:?}"
    );
    assert!(repo.query_all(by_coupon()).await.unwrap().is_empty());
    o.coupon = Some("SAVE".into());
    repo.transaction(|tx| {
        tx.put(&o, None)?;
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(repo.query_all(by_coupon()).await.unwrap(), vec![o.clone()]);
    o.coupon = None;
    repo.transaction(|tx| {
        tx.put(&o, None)?;
        Ok(())
    })
    .await
    .unwrap();
    assert!(repo.query_all(by_coupon()).await.unwrap().is_empty());
}

/// Entity type × put, update, patch, delete and transactions: a typed write never
/// replaces, changes or deletes an item of another entity type at the same key.
pub async fn writes_never_touch_another_entity_type(h: &Harness) {
    let repo = h.app().await;
    let other = Item::new()
        .with("pk", "USER#u1")
        .with("sk", "PROFILE")
        .with("_et", "Robot")
        .with("name", "R2");
    put(&*repo, other.clone()).await;
    let r = repo.put(&User::new("u1", "Ada")).await;
    assert!(matches!(r, Err(Error::ConditionFailed { .. })), "{r:?}");
    let r = repo
        .patch::<User>(&user_key("u1"), Update::new().set(User::NAME, "x"))
        .await;
    assert!(matches!(r, Err(Error::ConditionFailed { .. })), "{r:?}");
    let r = repo.delete::<User>(&user_key("u1")).await;
    assert!(matches!(r, Err(Error::ConditionFailed { .. })), "{r:?}");
    let r = repo.transaction(|tx| {
        tx.put(&User::new("u1", "Ada"), None)?;
        Ok(())
    });
    assert!(cancelled_with_condition(&r.await));
    let r = repo.transaction(|tx| {
        tx.delete::<User>(&user_key("u1"), None)?;
        Ok(())
    });
    assert!(cancelled_with_condition(&r.await));
    assert_eq!(get(&*repo, "USER#u1", "PROFILE").await.unwrap(), other);
    assert_eq!(repo.get::<User>(&user_key("u1")).await.unwrap(), None);
}

/// Whole entity × update: an update that would create an item without the entity's
/// required attributes is NotFound and writes nothing; one that gives them all creates it.
pub async fn update_creates_only_whole_entities(h: &Harness) {
    let repo = h.app().await;
    let o = Order::new("u1", "o1", "2024-01-01", "open");
    let r = repo
        .update::<Order>(&order_key(&o), Update::new().set(Order::STATUS, "paid"))
        .await;
    assert!(matches!(r, Err(Error::NotFound { .. })), "{r:?}");
    assert!(get(&*repo, "USER#u1", "ORDER#2024-01-01#o1")
        .await
        .is_none());
    let created = repo
        .update::<Order>(
            &order_key(&o),
            Update::new()
                .set(Order::STATUS, "paid")
                .set(Order::TOTAL, 100),
        )
        .await
        .unwrap();
    assert_eq!(created.status, "paid");
    let raw = get(&*repo, "USER#u1", "ORDER#2024-01-01#o1").await.unwrap();
    assert_eq!(
        (raw["_et"].clone(), raw["gsi2pk"].clone()),
        (s("Order"), s("STATUS#paid"))
    );
}

/// Validation hook × update, patch and transaction update: the hook sees the entity as
/// the update would leave it, and a rejected update writes nothing.
pub async fn validation_hook_guards_updates(h: &Harness) {
    let repo = h.app().await;
    repo.create(&User::new("u1", "Ada")).await.unwrap();
    let before = get(&*repo, "USER#u1", "PROFILE").await.unwrap();
    let bad = Update::new().set(User::EMAIL, "no-at-sign");
    let r = repo.update::<User>(&user_key("u1"), bad.clone()).await;
    assert!(is_validation(&r, "email"), "{r:?}");
    let r = repo.patch::<User>(&user_key("u1"), bad.clone()).await;
    assert!(is_validation(&r, "email"), "{r:?}");
    let r = repo.transaction(|tx| {
        tx.update::<User>(&user_key("u1"), bad.clone(), None)?;
        Ok(())
    });
    assert!(matches!(r.await, Err(Error::Validation { .. })));
    assert_eq!(get(&*repo, "USER#u1", "PROFILE").await.unwrap(), before);
    let ok = repo
        .patch::<User>(&user_key("u1"), Update::new().set(User::EMAIL, "ada@x.org"))
        .await
        .unwrap();
    assert_eq!(ok.email, "ada@x.org");
    let raw = get(&*repo, "USER#u1", "PROFILE").await.unwrap();
    assert_eq!(raw["gsi1pk"], s("EMAIL#ada@x.org"));
}

/// Query attributes: a misspelled partition or sort attribute is InvalidKey before any
/// request, never a silently widened or emptied query.
pub async fn misspelled_query_attributes_are_errors(h: &Harness) {
    let repo = h.app().await;
    repo.create(&Order::new("u1", "o1", "2024-01-01", "open"))
        .await
        .unwrap();
    let q = || EntityQuery::<Order>::new([("user_id", "u1")]);
    for r in [
        repo.query_all(q().sort_gt([("creatd", "2023")])).await,
        repo.query_all(q().sort_eq([("creatd", "2024-01-01")]))
            .await,
        repo.query_all(q().sort_begins_with([("creatd", "2024")]))
            .await,
        repo.query_all(q().sort_between([("created", "2023")], [("creatd", "2025")]))
            .await,
        repo.query_all(EntityQuery::<Order>::new([("user", "u1")]))
            .await,
    ] {
        assert!(
            matches!(r, Err(Error::InvalidKey { ref part, .. }) if part == "creatd" || part == "user"),
            "{r:?}"
        );
    }
    assert_eq!(
        repo.query_all(q().sort_gt([("created", "2023")]))
            .await
            .unwrap()
            .len(),
        1
    );
}

/// An entity whose field has the stored name of a table's index key attribute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Entity)]
#[monotable(
    crate = "monotable_core",
    entity = "Clash",
    pk = "CLASH#{id}",
    sk = "X"
)]
pub struct Clash {
    /// Id.
    pub id: String,
    /// Named like `gsi1pk`, an index key attribute of the table.
    pub gsi1pk: String,
}

/// Managed names × create, put, batch put, transaction: a field stored under a key
/// attribute's name is refused before anything is written.
pub async fn fields_named_like_key_attributes_are_refused(h: &Harness) {
    let repo = h.app().await;
    let c = Clash {
        id: "c1".into(),
        gsi1pk: "mine".into(),
    };
    assert!(is_validation(&repo.create(&c).await, "gsi1pk"));
    assert!(is_validation(&repo.put(&c).await, "gsi1pk"));
    assert!(is_validation(
        &repo.batch_put(std::slice::from_ref(&c)).await,
        "gsi1pk"
    ));
    let r = repo.transaction(|tx| {
        tx.put(&c, None)?;
        Ok(())
    });
    assert!(is_validation(&r.await, "gsi1pk"));
    assert!(get(&*repo, "CLASH#c1", "X").await.is_none());
}

/// An entity that does not read back as itself: serde skips a field when writing that it
/// needs when reading.
#[derive(Debug, Clone, Serialize, Deserialize, Entity)]
#[monotable(
    crate = "monotable_core",
    entity = "OneWay",
    pk = "ONEWAY#{id}",
    sk = "X"
)]
pub struct OneWay {
    /// Id.
    pub id: String,
    /// Written by nobody, required by `Deserialize`.
    #[serde(skip_serializing)]
    pub note: String,
}

/// An entity that does not read back × create, put, batch put, transaction: refused with
/// the decode error before anything is written (every path reads the item back before it
/// writes).
pub async fn entities_that_do_not_read_back_are_refused(h: &Harness) {
    let repo = h.app().await;
    let w = OneWay {
        id: "w1".into(),
        note: "n".into(),
    };
    fn is_decode<T>(r: &monotable_core::Result<T>) -> bool {
        matches!(r, Err(Error::Decode { .. }))
    }
    let r = repo.create(&w).await;
    assert!(is_decode(&r), "{r:?}");
    let r = repo.put(&w).await;
    assert!(is_decode(&r), "{r:?}");
    let r = repo.batch_put(std::slice::from_ref(&w)).await;
    assert!(is_decode(&r), "{r:?}");
    let r = repo
        .transaction(|tx| {
            tx.put(&w, None)?;
            Ok(())
        })
        .await;
    assert!(is_decode(&r), "{r:?}");
    let r = repo
        .transaction(|tx| {
            tx.create(&w)?;
            Ok(())
        })
        .await;
    assert!(is_decode(&r), "{r:?}");
    assert!(get(&*repo, "ONEWAY#w1", "X").await.is_none());
}

/// Consistent reads: get_consistent reads what was just written.
pub async fn consistent_get_reads_own_write(h: &Harness) {
    let repo = h.app().await;
    repo.create(&User::new("u1", "Ada")).await.unwrap();
    let u = repo.get_consistent::<User>(&user_key("u1")).await.unwrap();
    assert_eq!(u.map(|u| u.name), Some("Ada".to_string()));
    let q = EntityQuery::<User>::new([("user_id", "u1")]).consistent_read();
    assert_eq!(repo.query_all(q).await.unwrap().len(), 1);
}
