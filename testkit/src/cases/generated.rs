//! Generated values and write-time defaults: ULID/UUID fields filled by `create` before the
//! keys are composed, defaults filled on every whole-entity write for fields left empty.

use monotable_core::{RepositoryExt, TransactionContext};
use monotable_derive::Entity;
use serde::{Deserialize, Serialize};

use crate::fixtures::get;
use crate::Harness;

/// A ticket whose id is a generated ULID (part of its key), with a UUID v7 trace id, a
/// UUID v4 nonce and a default status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Entity)]
#[monotable(
    crate = "monotable_core",
    entity = "Ticket",
    pk = "TICKET#{id}",
    sk = "TICKET"
)]
pub struct Ticket {
    /// Generated on create when empty.
    #[monotable(generate = "ulid")]
    #[serde(default)]
    pub id: String,
    /// Generated on create when empty.
    #[monotable(generate = "uuid_v7")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
    /// Generated on create when empty.
    #[monotable(generate = "uuid_v4")]
    #[serde(default)]
    pub nonce: String,
    /// `open` unless given.
    #[monotable(default = "\"open\"")]
    #[serde(default)]
    pub status: String,
    /// Title.
    pub title: String,
}

fn blank(title: &str) -> Ticket {
    Ticket {
        id: String::new(),
        trace: None,
        nonce: String::new(),
        status: String::new(),
        title: title.into(),
    }
}

/// create fills the empty generated fields (the id before the key is composed) and the
/// default; values the caller gave are kept; put fills defaults but generates nothing.
pub async fn create_generates_ids_and_defaults(h: &Harness) {
    let repo = h.app().await;
    let t = repo.create(&blank("first")).await.unwrap();
    assert_eq!(t.id.len(), 26, "a ULID: {}", t.id);
    assert!(ulid_like(&t.id));
    let trace = t.trace.clone().expect("generated");
    assert_eq!(
        (trace.len(), &trace[14..15]),
        (36, "7"),
        "a UUID v7: {trace}"
    );
    assert_eq!((t.nonce.len(), &t.nonce[14..15]), (36, "4"), "a UUID v4");
    assert_eq!(t.status, "open");
    let raw = get(&*repo, &format!("TICKET#{}", t.id), "TICKET")
        .await
        .expect("stored under the generated id");
    assert_eq!(raw["status"], "open".into());
    let second = repo.create(&blank("second")).await.unwrap();
    assert_ne!(second.id, t.id);
    let mine = Ticket {
        id: "mine".into(),
        status: "closed".into(),
        ..blank("given")
    };
    let kept = repo.create(&mine).await.unwrap();
    assert_eq!((kept.id.as_str(), kept.status.as_str()), ("mine", "closed"));
    let mut again = kept.clone();
    again.status = String::new();
    again.nonce = String::new();
    let put = repo.put(&again).await.unwrap();
    assert_eq!(put.status, "open", "put fills defaults");
    assert_eq!(put.nonce, "", "put generates nothing");
}

fn ulid_like(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_digit() || (c.is_ascii_uppercase() && !"ILOU".contains(c)))
}

/// A session that expires (TTL attribute `expires`, epoch seconds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Entity)]
#[monotable(
    crate = "monotable_core",
    entity = "Session",
    pk = "USER#{user}",
    sk = "SESSION#{id}",
    ttl = "expires"
)]
pub struct Session {
    /// Owner.
    pub user: String,
    /// Id.
    pub id: String,
    /// Expiry, epoch seconds; none: never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<u64>,
}

/// TTL: expired items are still read until swept; `unexpired` hides them; the sweep removes
/// exactly the expired ones at the injected time; an entity whose TTL field is not the
/// table's TTL attribute is refused.
pub async fn ttl_expires_by_sweep(h: &Harness) {
    use std::time::{Duration, UNIX_EPOCH};
    let repo = h
        .table(crate::fixtures::app_schema().with_ttl_attribute("expires"))
        .await;
    let at = |secs: u64| UNIX_EPOCH + Duration::from_secs(secs);
    let session = |id: &str, expires: Option<u64>| Session {
        user: "u1".into(),
        id: id.into(),
        expires,
    };
    for s in [
        session("s1", Some(1_000)),
        session("s2", Some(3_000)),
        session("s3", None),
    ] {
        repo.create(&s).await.unwrap();
    }
    let ids = |v: Vec<Session>| v.into_iter().map(|s| s.id).collect::<Vec<_>>();
    let all = repo.query_all(Session::query("u1").all()).await.unwrap();
    assert_eq!(ids(all), ["s1", "s2", "s3"], "expired but not yet swept");
    let live = repo
        .query_all(Session::query("u1").all().unexpired(at(2_000)))
        .await
        .unwrap();
    assert_eq!(ids(live), ["s2", "s3"]);
    let key = |id: &str| SessionKey {
        user: "u1".into(),
        id: id.into(),
    };
    assert!(repo
        .get_unexpired::<Session>(&key("s1"), at(2_000))
        .await
        .unwrap()
        .is_none());
    assert!(repo.get::<Session>(&key("s1")).await.unwrap().is_some());
    assert_eq!(repo.sweep_expired(at(2_000)).await.unwrap(), 1);
    assert!(repo.get::<Session>(&key("s1")).await.unwrap().is_none());
    assert_eq!(repo.sweep_expired(at(2_000)).await.unwrap(), 0);
    assert_eq!(repo.sweep_expired(at(5_000)).await.unwrap(), 1);
    let left = repo.query_all(Session::query("u1").all()).await.unwrap();
    assert_eq!(ids(left), ["s3"]);
    let plain = h.app().await;
    let r = plain.create(&session("s9", Some(1))).await;
    assert!(
        matches!(r, Err(monotable_core::Error::Configuration { .. })),
        "{r:?}"
    );
}

/// A profile as it was first stored: one `name`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Entity)]
#[monotable(
    crate = "monotable_core",
    entity = "Profile",
    pk = "PROFILE#{id}",
    sk = "PROFILE"
)]
pub struct ProfileV1 {
    /// Id.
    pub id: String,
    /// Full name.
    pub name: String,
}

/// The profile now (schema version 2): the name split in two.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Entity)]
#[monotable(
    crate = "monotable_core",
    entity = "Profile",
    pk = "PROFILE#{id}",
    sk = "PROFILE",
    schema_version = 2,
    upgrade = "upgrade_profile"
)]
pub struct Profile {
    /// Id.
    pub id: String,
    /// First name.
    pub first: String,
    /// Last name.
    pub last: String,
}

fn upgrade_profile(item: &mut monotable_core::Item, from: u32) -> monotable_core::Result<()> {
    if from < 2 {
        let name = item
            .remove("name")
            .and_then(|v| v.as_s().map(str::to_string))
            .unwrap_or_default();
        let (first, last) = name.split_once(' ').unwrap_or((name.as_str(), ""));
        item.insert("first".into(), first.into());
        item.insert("last".into(), last.into());
    }
    Ok(())
}

/// Schema versions: an older stored shape is upgraded on read; migrate_all rewrites it in
/// the current shape with progress; a newer version is a SchemaVersion error, not a
/// silent decode.
pub async fn schema_versions_upgrade_and_migrate(h: &Harness) {
    let repo = h.app().await;
    repo.create(&ProfileV1 {
        id: "p1".into(),
        name: "Ada Lovelace".into(),
    })
    .await
    .unwrap();
    let key = |id: &str| ProfileKey { id: id.into() };
    let p1 = repo.get::<Profile>(&key("p1")).await.unwrap().unwrap();
    assert_eq!((p1.first.as_str(), p1.last.as_str()), ("Ada", "Lovelace"));
    let created = repo
        .create(&Profile {
            id: "p2".into(),
            first: "Grace".into(),
            last: "Hopper".into(),
        })
        .await
        .unwrap();
    assert_eq!(created.first, "Grace");
    let raw = get(&*repo, "PROFILE#p2", "PROFILE").await.unwrap();
    assert_eq!(raw["_sv"], monotable_core::Value::from(2u32));
    let mut seen = Vec::new();
    let n = repo
        .migrate_all::<Profile>(|done| seen.push(done))
        .await
        .unwrap();
    assert_eq!((n, seen), (1, vec![1]));
    let raw = get(&*repo, "PROFILE#p1", "PROFILE").await.unwrap();
    assert_eq!(raw["_sv"], monotable_core::Value::from(2u32));
    assert_eq!(raw["first"], "Ada".into());
    assert!(!raw.contains_key("name"), "{raw:?}");
    assert_eq!(repo.migrate_all::<Profile>(|_| {}).await.unwrap(), 0);
    let mut newer = raw.clone();
    newer.insert("pk".into(), "PROFILE#p3".into());
    newer.insert("_sv".into(), monotable_core::Value::from(3u32));
    crate::fixtures::put(&*repo, newer).await;
    let r = repo.get::<Profile>(&key("p3")).await;
    assert!(
        matches!(
            r,
            Err(monotable_core::Error::SchemaVersion {
                stored: 3,
                supported: 2,
                ..
            })
        ),
        "{r:?}"
    );
}

/// A post listed by creation time (`gsi1`: `POSTS#{author}` / `{_ct}`) and by last change
/// within a status (`gsi2`: `STATUS#{status}` / `{_md}#{post_id}`): index key templates that
/// use the timestamps monotable writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Entity)]
#[monotable(
    crate = "monotable_core",
    entity = "Post",
    pk = "POST#{post_id}",
    sk = "POST",
    index(name = "gsi1", pk = "POSTS#{author}", sk = "{_ct}"),
    index(name = "gsi2", pk = "STATUS#{status}", sk = "{_md}#{post_id}")
)]
pub struct Post {
    /// Id.
    pub post_id: String,
    /// Author.
    pub author: String,
    /// `draft` or `live`.
    pub status: String,
    /// Title.
    pub title: String,
}

fn post(id: &str, status: &str) -> Post {
    Post {
        post_id: id.into(),
        author: "ann".into(),
        status: status.into(),
        title: format!("Post {id}"),
    }
}

fn post_ids(posts: &[Post]) -> Vec<&str> {
    posts.iter().map(|p| p.post_id.as_str()).collect()
}

/// Index keys may use the creation and modification times: `create` composes them with
/// the time it writes; a put, an update, a batch put and a rekey keep the creation time,
/// and its key, from the stored item (read first); every write moves the `_md` key. A
/// transaction, which cannot read, refuses the writes that would need the stored item.
pub async fn timestamps_in_index_keys(h: &Harness) {
    use monotable_core::{Error, KeyCondition, Query, Update, Value};
    let repo = h.app().await;
    let pause = || tokio::time::sleep(std::time::Duration::from_millis(5));
    for id in ["p1", "p2", "p3"] {
        repo.create(&post(id, "draft")).await.unwrap();
        pause().await;
    }
    let by_created = || monotable_core::EntityQuery::<Post>::on_index("gsi1", [("author", "ann")]);
    let ids = post_ids(&repo.query_all(by_created()).await.unwrap())
        .into_iter()
        .map(str::to_string)
        .collect::<Vec<_>>();
    assert_eq!(ids, ["p1", "p2", "p3"], "in creation order");
    let stored = |id: &'static str| {
        let repo = repo.clone();
        async move {
            get(&*repo, &format!("POST#{id}"), "POST")
                .await
                .expect("stored")
        }
    };
    let p1_before = stored("p1").await;
    assert_eq!(p1_before["gsi1sk"], p1_before["_ct"]);
    assert_eq!(
        p1_before["gsi2sk"],
        Value::from(format!("{}#p1", p1_before["_md"].as_s().unwrap()))
    );
    // A put keeps the creation time and its key; the modification key moves.
    pause().await;
    let mut p1 = post("p1", "draft");
    p1.title = "Edited".into();
    repo.put(&p1).await.unwrap();
    let p1_after = stored("p1").await;
    assert_eq!(p1_after["_ct"], p1_before["_ct"]);
    assert_eq!(
        p1_after["gsi1sk"], p1_before["_ct"],
        "gsi1sk is the stored _ct"
    );
    assert_ne!(p1_after["_md"], p1_before["_md"]);
    assert_eq!(
        p1_after["gsi2sk"],
        Value::from(format!("{}#p1", p1_after["_md"].as_s().unwrap()))
    );
    // A patch that does not name any key attribute still moves the `_md` key, composed
    // with the stored status; the order by creation is unchanged.
    pause().await;
    repo.patch::<Post>(
        &PostKey {
            post_id: "p2".into(),
        },
        Update::new().set("title", "Retitled"),
    )
    .await
    .unwrap();
    let p2 = stored("p2").await;
    assert_eq!(
        p2["gsi2sk"],
        Value::from(format!("{}#p2", p2["_md"].as_s().unwrap()))
    );
    assert_eq!(p2["gsi2pk"], Value::from("STATUS#draft"));
    assert_eq!(p2["gsi1sk"], p2["_ct"]);
    // Most recently changed drafts first: p2, then p1.
    let recent = repo
        .query(Query {
            index: Some("gsi2".into()),
            forward: false,
            ..Query::new(KeyCondition::partition("STATUS#draft"))
        })
        .await
        .unwrap();
    let order: Vec<&Value> = recent.items.iter().map(|i| &i["post_id"]).collect();
    assert_eq!(
        order,
        [&Value::from("p2"), &Value::from("p1"), &Value::from("p3")]
    );
    // A batch put keeps every stored creation time in the key.
    repo.batch_put(&[post("p1", "live"), post("p3", "live")])
        .await
        .unwrap();
    for (id, before) in [("p1", &p1_before), ("p3", &stored("p3").await)] {
        let after = stored(id).await;
        assert_eq!(after["gsi1sk"], before["_ct"], "{id}");
        assert_eq!(after["_ct"], before["_ct"], "{id}");
    }
    let ids = post_ids(&repo.query_all(by_created()).await.unwrap())
        .into_iter()
        .map(str::to_string)
        .collect::<Vec<_>>();
    assert_eq!(ids, ["p1", "p2", "p3"], "still in creation order");
    // A rekey keeps the creation time, and so its place in gsi1.
    let p2_ct = stored("p2").await["_ct"].clone();
    repo.rekey(
        &PostKey {
            post_id: "p2".into(),
        },
        &post("p2b", "draft"),
    )
    .await
    .unwrap();
    let p2b = stored("p2b").await;
    assert_eq!(p2b["_ct"], p2_ct);
    assert_eq!(p2b["gsi1sk"], p2_ct);
    // A transaction cannot read: its put and update of a Post are refused; create is fine.
    let refused = repo
        .transaction(|tx| {
            tx.put(&post("p1", "live"), None)?;
            Ok(())
        })
        .await;
    assert!(
        matches!(refused, Err(Error::Validation { .. })),
        "{refused:?}"
    );
    let refused = repo
        .transaction(|tx| {
            tx.patch::<Post>(
                &PostKey {
                    post_id: "p1".into(),
                },
                Update::new().set("title", "x"),
            )?;
            Ok(())
        })
        .await;
    assert!(
        matches!(refused, Err(Error::Validation { .. })),
        "{refused:?}"
    );
    repo.transaction(|tx| {
        tx.create(&post("p4", "draft"))?;
        Ok(())
    })
    .await
    .unwrap();
    let p4 = stored("p4").await;
    assert_eq!(p4["gsi1sk"], p4["_ct"]);
}
