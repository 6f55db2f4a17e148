//! Typed reads on SQLite decode an entity straight from the stored text where they read on
//! the calling task (a multi-thread runtime), and from an item read on the blocking pool
//! elsewhere (a current-thread runtime). Both give what was written, and the item-level
//! lending reads give what the copying reads give, text or not (a binary attribute's
//! base64 is not the direct reader's).
// Test code: a failed step is a failed test.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use monotable_core::prelude::*;
use monotable_core::{
    EntityKeys, EntityQuery, GetItem, Item, KeyCondition, PutItem, Query, TableSchema, Value,
};
use monotable_sqlite::{SqliteRepository, SqliteStorage};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Doc {
    owner: String,
    id: u32,
    title: String,
    score: f64,
    delta: i64,
    tags: Vec<String>,
    meta: BTreeMap<String, u64>,
    note: Option<String>,
    flag: bool,
    kind: Kind,
    quoted: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Kind {
    Plain,
    Sized { width: u16 },
}

#[derive(Serialize)]
struct DocKey {
    owner: String,
    id: u32,
}

impl KeySchema for Doc {
    fn key_templates() -> EntityKeys {
        EntityKeys::new("OWNER#{owner}").with_sort("DOC#{id:05}")
    }
}

impl Entity for Doc {
    const ENTITY_TYPE: &'static str = "Doc";
    type Key = DocKey;
}

fn doc(id: u32) -> Doc {
    Doc {
        owner: "ada".into(),
        id,
        title: format!("title {id} é😀"),
        score: f64::from(id) / 3.0,
        delta: -i64::from(id) * 1_000_000_007,
        tags: vec!["a".into(), format!("t{id}")],
        meta: BTreeMap::from([("views".to_string(), u64::from(id) * 10)]),
        note: (id % 2 == 0).then(|| format!("note {id}")),
        flag: id % 3 == 0,
        kind: if id % 2 == 0 {
            Kind::Plain
        } else {
            Kind::Sized { width: id as u16 }
        },
        // Escapes keep this item's text out of the direct reader: the item path decodes it.
        quoted: if id == 3 {
            "say \"hi\"\n".into()
        } else {
            "plain".into()
        },
    }
}

async fn written(path: &std::path::Path) -> SqliteRepository {
    let repo = SqliteRepository::new(
        SqliteStorage::open(path).unwrap(),
        TableSchema::single_table("lending"),
    )
    .unwrap();
    repo.create_table().await.unwrap();
    repo
}

/// The entities written, read back by `get` and by a query page.
async fn read_back(repo: &SqliteRepository) {
    for id in 1..=6 {
        let key = DocKey {
            owner: "ada".into(),
            id,
        };
        assert_eq!(
            repo.get::<Doc>(&key).await.unwrap(),
            Some(doc(id)),
            "get {id}"
        );
    }
    let page = repo
        .query_page(&EntityQuery::<Doc>::new([("owner", "ada")]))
        .await
        .unwrap();
    assert_eq!(page.items, (1..=6).map(doc).collect::<Vec<_>>());
}

/// Item-level reads: the lent item (the stored text where `text`) is the copied one.
async fn lent_equals_copied(repo: &SqliteRepository, text: bool) {
    let key = Item::from([("pk", "RAW"), ("sk", "TEXT")]);
    let query = Query::new(KeyCondition::partition("RAW"));
    let copied = repo.query(query.clone()).await.unwrap();
    let mut lent = Vec::new();
    let page = repo
        .query_with(query, &mut |item| {
            let read = item.to_item().into_owned();
            // A binary value's base64 is not the direct reader's: that item is read first.
            let plain = !read.contains_key("bytes");
            assert_eq!(
                item.as_text().is_some(),
                text && plain,
                "query lends the text"
            );
            lent.push(read);
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(lent, copied.items);
    assert_eq!(page.count, copied.count);
    let request = GetItem {
        key,
        ..Default::default()
    };
    let copied = repo.get_item(request.clone()).await.unwrap();
    let mut lent = None;
    repo.get_item_with(request, &mut |item| {
        assert_eq!(item.as_text().is_some(), text, "get lends the text");
        lent = Some(item.to_item().into_owned());
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(lent, copied);
}

async fn seed(repo: &SqliteRepository) {
    for id in 1..=6 {
        repo.create(&doc(id)).await.unwrap();
    }
    let raw = Item::from([("pk", "RAW"), ("sk", "BIN")])
        .with("bytes", Value::B(vec![0, 1, 2, 255]))
        .with("n", Value::from(12));
    let plain = Item::from([("pk", "RAW"), ("sk", "TEXT"), ("s", "x")]).with("n", Value::from(7));
    for item in [raw, plain] {
        repo.put_item(PutItem {
            item,
            ..Default::default()
        })
        .await
        .unwrap();
    }
}

#[test]
fn both_runtimes_read_what_was_written() {
    let dir = std::env::temp_dir().join(format!("monotable-lending-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("lending.db");
    let _ = std::fs::remove_file(&path);
    let multi = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let current = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let repo = multi.block_on(written(&path));
    multi.block_on(seed(&repo));
    // The calling task reads (and lends the text) only on a multi-thread runtime.
    for (rt, text) in [(&multi, true), (&current, false)] {
        rt.block_on(async {
            read_back(&repo).await;
            lent_equals_copied(&repo, text).await;
        });
    }
    drop(repo);
    std::fs::remove_dir_all(&dir).ok();
}
