//! A SQLite file is user data: it carries monotable's format version, and a file of another
//! version, or not monotable's at all, is refused with a clear error and left untouched.
// Test code: a failed step is a failed test.
#![allow(clippy::unwrap_used)]

use monotable_core::{Error, GetItem, Item, PutItem, Repository, TableSchema};
use monotable_sqlite::{
    SqliteRepository, SqliteStorage, APPLICATION_ID, FORMAT_VERSION, SPACES_TABLE,
};
use rusqlite::Connection;

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("monotable-format-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    path
}

fn pragmas(path: &std::path::Path) -> (i64, i64) {
    let c = Connection::open(path).unwrap();
    let get = |p: &str| {
        c.pragma_query_value(None, p, |r| r.get::<_, i64>(0))
            .unwrap()
    };
    (get("application_id"), get("user_version"))
}

fn refused(path: &std::path::Path, says: &str) {
    match SqliteStorage::open(path) {
        Err(Error::Configuration { message }) => assert!(message.contains(says), "{message}"),
        other => panic!("expected a Configuration error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_new_file_is_stamped_and_reopens() {
    let path = temp("new.db");
    let repo = SqliteRepository::new(
        SqliteStorage::open(&path).unwrap(),
        TableSchema::single_table("notes"),
    )
    .unwrap();
    repo.create_table().await.unwrap();
    assert_eq!(pragmas(&path), (APPLICATION_ID, 2));
    drop(repo);
    SqliteStorage::open(&path).unwrap();
}

#[tokio::test]
async fn a_file_from_before_the_stamp_is_migrated_and_read() {
    let path = temp("old.db");
    let key = Item::new().with("pk", "p").with("sk", "s");
    {
        let repo = SqliteRepository::new(
            SqliteStorage::open(&path).unwrap(),
            TableSchema::single_table("notes"),
        )
        .unwrap();
        repo.create_table().await.unwrap();
        repo.put_item(PutItem {
            item: key.clone().with("v", 1),
            ..Default::default()
        })
        .await
        .unwrap();
    }
    // What a file written before the stamp looks like: the same tables (no record of their
    // definitions, which came with version 2), no stamp.
    Connection::open(&path)
        .unwrap()
        .execute_batch(&format!(
            "DROP TABLE \"{SPACES_TABLE}\"; PRAGMA application_id = 0; PRAGMA user_version = 0;"
        ))
        .unwrap();
    let repo = SqliteRepository::new(
        SqliteStorage::open(&path).unwrap(),
        TableSchema::single_table("notes"),
    )
    .unwrap();
    let got = repo
        .get_item(GetItem {
            key: key.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(got, Some(key.with("v", 1)));
    assert_eq!(pragmas(&path), (APPLICATION_ID, FORMAT_VERSION));
}

#[test]
fn a_newer_format_is_refused_and_left_alone() {
    let path = temp("newer.db");
    drop(SqliteStorage::open(&path).unwrap());
    Connection::open(&path)
        .unwrap()
        .execute_batch(&format!("PRAGMA user_version = {};", FORMAT_VERSION + 1))
        .unwrap();
    refused(
        &path,
        &format!(
            "format version {}, newer than the {FORMAT_VERSION} this build reads",
            FORMAT_VERSION + 1
        ),
    );
    assert_eq!(pragmas(&path), (APPLICATION_ID, FORMAT_VERSION + 1));
}

#[test]
fn another_programs_database_is_refused_and_left_alone() {
    let path = temp("other.db");
    Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);")
        .unwrap();
    refused(&path, "not a monotable database (table \"users\"");
    assert_eq!(pragmas(&path), (0, 0));
    let stamped = temp("stamped.db");
    Connection::open(&stamped)
        .unwrap()
        .execute_batch("PRAGMA application_id = 42;")
        .unwrap();
    refused(&stamped, "not a monotable database (application_id 0x2a)");
}
