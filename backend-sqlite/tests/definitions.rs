//! Format version 2 records, per space, the key attributes (and projection) its entries are
//! encoded for: a version-1 file is migrated and read as before; a schema that declares
//! another definition is refused instead of misread; `create_table` rebuilds a changed
//! index and refuses a changed table key, writing nothing.
// Test code: a failed step is a failed test.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use monotable_core::raw::{item_mutations, Space};
use monotable_core::{
    Error, GetItem, IndexSchema, Item, KeyAttribute as K, KeyCondition, Projection, PutItem, Query,
    Repository, SortKeyCondition, TableSchema, Value,
};
use monotable_sqlite::{SqliteRepository, SqliteStorage, FORMAT_VERSION, SPACES_TABLE};
use rusqlite::Connection;

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("monotable-definitions-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    path
}

fn repo(path: &Path, schema: TableSchema) -> SqliteRepository {
    SqliteRepository::new(SqliteStorage::open(path).unwrap(), schema).unwrap()
}

fn user_version(path: &Path) -> i64 {
    Connection::open(path)
        .unwrap()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap()
}

/// The recorded definitions, by space.
fn records(path: &Path) -> Vec<(String, String)> {
    let c = Connection::open(path).unwrap();
    let mut stmt = c
        .prepare(&format!(
            "SELECT space, definition FROM \"{SPACES_TABLE}\" ORDER BY space"
        ))
        .unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    rows
}

/// Everything in the file: each table's DDL and rows, and the pragmas.
fn contents(path: &Path) -> Vec<String> {
    let c = Connection::open(path).unwrap();
    let mut out = Vec::new();
    for p in ["application_id", "user_version", "schema_version"] {
        let v: i64 = c.pragma_query_value(None, p, |r| r.get(0)).unwrap();
        out.push(format!("{p}={v}"));
    }
    let tables: Vec<(String, String)> = c
        .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (name, sql) in tables {
        out.push(sql);
        let mut stmt = c
            .prepare(&format!("SELECT * FROM \"{name}\" ORDER BY 1"))
            .unwrap();
        let rows = stmt
            .query_map([], |r| {
                Ok(format!(
                    "{name}: {:?} {:?}",
                    r.get::<_, rusqlite::types::Value>(0)?,
                    r.get::<_, rusqlite::types::Value>(1)?
                ))
            })
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        out.extend(rows);
    }
    out
}

fn entry_count(path: &Path, space: &str) -> i64 {
    Connection::open(path)
        .unwrap()
        .query_row(&format!("SELECT count(*) FROM \"{space}\""), [], |r| {
            r.get(0)
        })
        .unwrap()
}

fn configuration(result: Result<impl std::fmt::Debug, Error>, says: &[&str]) {
    match result {
        Err(Error::Configuration { message }) => {
            for s in says {
                assert!(message.contains(s), "{s:?} not in {message}");
            }
        }
        other => panic!("expected a Configuration error, got {other:?}"),
    }
}

fn key(pk: &str, sk: &str) -> Item {
    Item::new().with("pk", pk).with("sk", sk)
}

/// Twelve items: every one in gsi1 (`gsi1pk` G, `gsi1sk` its number), the even ones also
/// with `org`/`team`/`rank` (team a or b by i % 4), and a `note` on each.
fn items() -> Vec<Item> {
    (0..12)
        .map(|i| {
            let mut item = key(&format!("p{i:02}"), "s")
                .with("gsi1pk", "G")
                .with("gsi1sk", format!("{i:02}"))
                .with("note", format!("n{i}"));
            if i % 2 == 0 {
                let team = if i % 4 == 0 { "a" } else { "b" };
                item = item
                    .with("org", "acme")
                    .with("team", team)
                    .with("rank", 100 - i);
            }
            item
        })
        .collect()
}

async fn put_all(repo: &SqliteRepository) {
    for item in items() {
        repo.put_item(PutItem {
            item,
            ..Default::default()
        })
        .await
        .unwrap();
    }
}

fn gsi1_query(kc: KeyCondition) -> Query {
    let mut q = Query::new(kc);
    q.index = Some("gsi1".into());
    q
}

async fn query_pks(repo: &SqliteRepository, q: Query) -> Vec<Item> {
    repo.query(q).await.unwrap().items
}

fn pks(items: &[Item]) -> Vec<Value> {
    items.iter().map(|i| i["pk"].clone()).collect()
}

fn pk_list(ns: &[u32]) -> Vec<Value> {
    ns.iter().map(|n| Value::from(format!("p{n:02}"))).collect()
}

/// gsi1 over two item attributes and a number: `org`, `team` / `rank`.
fn by_team(projection: Projection) -> TableSchema {
    TableSchema::single_table("app").with_index(
        IndexSchema::multi_attribute("gsi1", [K::s("org"), K::s("team")], [K::n("rank")])
            .with_projection(projection),
    )
}

fn team(name: &str) -> Query {
    gsi1_query(KeyCondition::partitions([
        Value::from("acme"),
        Value::from(name),
    ]))
}

#[tokio::test]
async fn a_version_1_file_is_migrated_and_reads_the_same_items() {
    let path = temp("v1.db");
    let schema = TableSchema::single_table("app").with_gsi("gsi1");
    // A file as version 1 wrote it: the two-column tables, the entries, the stamp.
    {
        let c = Connection::open(&path).unwrap();
        c.execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE \"app\" (k BLOB PRIMARY KEY, item TEXT NOT NULL) WITHOUT ROWID;
             CREATE TABLE \"app::gsi1\" (k BLOB PRIMARY KEY, item TEXT NOT NULL) WITHOUT ROWID;
             PRAGMA application_id = 0x4D54424C; PRAGMA user_version = 1;",
        )
        .unwrap();
        for item in items() {
            for m in item_mutations(&schema, None, Some(&item)) {
                let space = match m.space {
                    Space::Table => "app",
                    Space::Index(_) => "app::gsi1",
                };
                c.execute(
                    &format!("INSERT INTO \"{space}\" (k, item) VALUES (?1, ?2)"),
                    rusqlite::params![m.key, m.item.unwrap().to_json().to_string()],
                )
                .unwrap();
            }
        }
    }
    let before = contents(&path);
    let repo = repo(&path, schema);
    assert_eq!(user_version(&path), FORMAT_VERSION);
    assert_eq!(FORMAT_VERSION, 2);
    // Migrated: the record table exists, nothing recorded yet; the same items read back.
    assert_eq!(records(&path), []);
    let got = repo
        .get_item(GetItem {
            key: key("p03", "s"),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(got, Some(items()[3].clone()));
    let all = query_pks(&repo, gsi1_query(KeyCondition::partition("G"))).await;
    assert_eq!(all, items());
    // Only the stamp and the record table changed.
    let after = contents(&path);
    let gone: Vec<_> = before.iter().filter(|l| !after.contains(l)).collect();
    assert!(
        gone.iter()
            .all(|l| l.starts_with("user_version=") || l.starts_with("schema_version=")),
        "{gone:?}"
    );
    // create_table records the spaces as they stand (trusted, as version 1 did).
    repo.create_table().await.unwrap();
    assert_eq!(
        records(&path),
        [
            ("app".into(), "HASH \"pk\" S RANGE \"sk\" S".into()),
            (
                "app::gsi1".into(),
                "GLOBAL HASH \"gsi1pk\" S RANGE \"gsi1sk\" S PROJECTION ALL".into()
            ),
        ]
    );
    let all = query_pks(&repo, gsi1_query(KeyCondition::partition("G"))).await;
    assert_eq!(all, items());
}

#[tokio::test]
async fn a_changed_index_is_refused_until_create_table_rebuilds_it() {
    let path = temp("index.db");
    {
        let repo = repo(&path, TableSchema::single_table("app").with_gsi("gsi1"));
        repo.create_table().await.unwrap();
        put_all(&repo).await;
    }
    let before = contents(&path);
    // gsi1 re-declared over org, team / rank.
    let repo = repo(&path, by_team(Projection::All));
    let said = [
        "index \"gsi1\" of table \"app\"",
        "gsi1pk",
        "\"org\" S, \"team\" S",
        "create_table rebuilds",
    ];
    configuration(repo.query(team("a")).await, &said);
    configuration(
        repo.get_item(GetItem {
            key: key("p00", "s"),
            ..Default::default()
        })
        .await,
        &said,
    );
    configuration(
        repo.put_item(PutItem {
            item: key("new", "s"),
            ..Default::default()
        })
        .await,
        &said,
    );
    assert_eq!(contents(&path), before, "a refused write wrote nothing");
    repo.create_table().await.unwrap();
    // Team a: items 0, 4, 8 (ranks 100, 96, 92), in rank order; team b: 2, 6, 10.
    assert_eq!(pks(&query_pks(&repo, team("a")).await), pk_list(&[8, 4, 0]));
    assert_eq!(
        pks(&query_pks(&repo, team("b")).await),
        pk_list(&[10, 6, 2])
    );
    let ranked = team("b");
    let ranked = Query {
        key_condition: KeyCondition::partitions([Value::from("acme"), Value::from("b")])
            .with_sort(SortKeyCondition::Ge(Value::from(94))),
        ..ranked
    };
    assert_eq!(pks(&query_pks(&repo, ranked).await), pk_list(&[6, 2]));
    // The old index's entries are gone: the index holds the six items with its keys.
    assert_eq!(entry_count(&path, "app::gsi1"), 6);
    // A write after the rebuild keeps the new index.
    repo.put_item(PutItem {
        item: key("p99", "s")
            .with("org", "acme")
            .with("team", "a")
            .with("rank", 1),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(
        pks(&query_pks(&repo, team("a")).await),
        pk_list(&[99, 8, 4, 0])
    );
    drop(repo);

    // Another projection is another definition: refused, then rebuilt.
    let repo = self::repo(&path, by_team(Projection::KeysOnly));
    configuration(
        repo.query(team("a")).await,
        &["PROJECTION ALL", "PROJECTION KEYS_ONLY"],
    );
    repo.create_table().await.unwrap();
    let entries = query_pks(&repo, team("a")).await;
    assert_eq!(pks(&entries), pk_list(&[99, 8, 4, 0]));
    assert!(
        entries.iter().all(|e| !e.contains_key("note")),
        "{entries:?}"
    );
    let keys_only = key("p08", "s")
        .with("org", "acme")
        .with("team", "a")
        .with("rank", 92);
    assert_eq!(entries[1], keys_only);
    drop(repo);

    // And the original declaration is now the changed one.
    let repo = self::repo(&path, TableSchema::single_table("app").with_gsi("gsi1"));
    configuration(
        repo.query(gsi1_query(KeyCondition::partition("G"))).await,
        &["KEYS_ONLY"],
    );
    repo.create_table().await.unwrap();
    let all = query_pks(&repo, gsi1_query(KeyCondition::partition("G"))).await;
    assert_eq!(all, items());
}

#[tokio::test]
async fn a_changed_table_key_is_refused_and_nothing_is_written() {
    let path = temp("table.db");
    {
        let repo = repo(&path, TableSchema::single_table("app").with_gsi("gsi1"));
        repo.create_table().await.unwrap();
        put_all(&repo).await;
    }
    let before = contents(&path);
    // The sort key is now a number; and a new index is declared, which must not be created.
    let changed = TableSchema::new("app", K::s("pk"))
        .with_sort_key(K::n("sk"))
        .with_gsi("gsi1")
        .with_gsi("gsi2");
    let repo = repo(&path, changed);
    let said = [
        "table \"app\"",
        "HASH \"pk\" S RANGE \"sk\" S",
        "HASH \"pk\" S RANGE \"sk\" N",
        "cannot be opened",
    ];
    configuration(repo.create_table().await, &said);
    assert_eq!(contents(&path), before, "create_table wrote nothing");
    let changed = TableSchema::new("app", K::s("pk"))
        .with_sort_key(K::n("sk"))
        .with_gsi("gsi1");
    let repo = self::repo(&path, changed);
    configuration(
        repo.get_item(GetItem {
            key: Item::new().with("pk", "p00").with("sk", 1),
            ..Default::default()
        })
        .await,
        &said,
    );
    configuration(
        repo.put_item(PutItem {
            item: Item::new().with("pk", "p00").with("sk", 1),
            ..Default::default()
        })
        .await,
        &said,
    );
    assert_eq!(contents(&path), before, "a refused write wrote nothing");
    // The declared key still opens.
    let repo = self::repo(&path, TableSchema::single_table("app").with_gsi("gsi1"));
    let got = repo
        .get_item(GetItem {
            key: key("p05", "s"),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(got, Some(items()[5].clone()));
}

#[tokio::test]
async fn reopening_with_the_same_schema_changes_nothing() {
    let path = temp("same.db");
    let schema = by_team(Projection::Include(vec!["note".into(), "gsi1pk".into()]));
    {
        let repo = repo(&path, schema.clone());
        repo.create_table().await.unwrap();
        put_all(&repo).await;
    }
    let before = contents(&path);
    let watcher = Connection::open(&path).unwrap();
    let data_version = || -> i64 {
        watcher
            .pragma_query_value(None, "data_version", |r| r.get(0))
            .unwrap()
    };
    let seen = data_version();
    // The include list in another order is the same definition.
    let reordered = by_team(Projection::Include(vec!["gsi1pk".into(), "note".into()]));
    for schema in [schema, reordered] {
        let repo = repo(&path, schema);
        repo.create_table().await.unwrap();
        let entries = query_pks(&repo, team("a")).await;
        assert_eq!(pks(&entries), pk_list(&[8, 4, 0]));
        assert_eq!(entries[0]["note"], Value::from("n8"));
        assert!(!entries[0].contains_key("gsi1sk"));
    }
    assert_eq!(
        data_version(),
        seen,
        "no other connection committed anything"
    );
    assert_eq!(contents(&path), before);
}

/// Two schemas of one table on one storage: once create_table rebuilt the index for one,
/// the other, checked before, is checked again and refused.
#[tokio::test]
async fn a_rebuild_is_seen_by_the_other_schemas_on_the_same_storage() {
    let path = temp("shared.db");
    let storage = SqliteStorage::open(&path).unwrap();
    let old = SqliteRepository::new(
        storage.clone(),
        TableSchema::single_table("app").with_gsi("gsi1"),
    )
    .unwrap();
    old.create_table().await.unwrap();
    put_all(&old).await;
    let new = SqliteRepository::new(storage, by_team(Projection::All)).unwrap();
    new.create_table().await.unwrap();
    configuration(
        old.query(gsi1_query(KeyCondition::partition("G"))).await,
        &["gsi1"],
    );
    configuration(
        old.put_item(PutItem {
            item: items()[1].clone(),
            ..Default::default()
        })
        .await,
        &["gsi1"],
    );
    assert_eq!(pks(&query_pks(&new, team("a")).await), pk_list(&[8, 4, 0]));
}

/// Another process rebuilding the index while this one writes: the write sees the file's
/// schema change and checks again, instead of adding entries in the old layout.
#[tokio::test]
async fn a_write_checks_again_after_another_connection_rebuilt_the_index() {
    let path = temp("other.db");
    let old = repo(&path, TableSchema::single_table("app").with_gsi("gsi1"));
    old.create_table().await.unwrap();
    put_all(&old).await;
    {
        let other = repo(&path, by_team(Projection::All));
        other.create_table().await.unwrap();
    }
    configuration(
        old.put_item(PutItem {
            item: items()[1].clone(),
            ..Default::default()
        })
        .await,
        &["gsi1", "create_table rebuilds"],
    );
    let other = repo(&path, by_team(Projection::All));
    assert_eq!(
        pks(&query_pks(&other, team("a")).await),
        pk_list(&[8, 4, 0])
    );
}

#[test]
fn a_newer_version_is_still_refused() {
    let path = temp("newer.db");
    drop(SqliteStorage::open(&path).unwrap());
    Connection::open(&path)
        .unwrap()
        .execute_batch("PRAGMA user_version = 3;")
        .unwrap();
    configuration(
        SqliteStorage::open(&path),
        &["format version 3, newer than the 2 this build reads"],
    );
    assert_eq!(user_version(&path), 3);
}
