//! Durability that can be checked: with `Durability::Full` every commit reaches the disk
//! (SQLite calls fsync/fdatasync on the WAL at each commit); with `Durability::Normal` it
//! does not. A process kill cannot tell the two apart (the OS cache survives it), so this
//! test counts the sync calls themselves: it runs this test binary as a child under
//! `strace` (shipped with the machine image; CI fails, never skips, without it) for each
//! setting, 50 commits each.

// Test code: a failed step is a failed test.
#![allow(clippy::unwrap_used)]

use std::process::Command;

use monotable_core::{Item, PutItem, Repository, TableSchema};
use monotable_sqlite::{Durability, SqliteRepository, SqliteStorage};

const CHILD_ENV: &str = "MONOTABLE_SYNC_CHILD";
const COMMITS: usize = 50;

/// The child: `COMMITS` single-item writes, each its own commit.
#[tokio::test]
async fn sync_child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let (durability, path) = spec.split_once(':').unwrap();
    let durability = match durability {
        "full" => Durability::Full,
        _ => Durability::Normal,
    };
    let storage = SqliteStorage::open_with(path, durability).unwrap();
    let repo = SqliteRepository::new(storage, TableSchema::single_table("synced")).unwrap();
    repo.create_table().await.unwrap();
    for i in 0..COMMITS {
        repo.put_item(PutItem {
            item: Item::new().with("pk", format!("p{i}")).with("sk", "s"),
            ..Default::default()
        })
        .await
        .unwrap();
    }
}

/// Sync calls made by a child writing `COMMITS` items with `durability`.
fn syncs(durability: &str) -> usize {
    let dir = std::env::temp_dir().join(format!("monotable-sync-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join(format!("{durability}.db"));
    let trace = dir.join(format!("{durability}.strace"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let status = Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=fsync,fdatasync", "-o"])
        .arg(&trace)
        .arg(std::env::current_exe().unwrap())
        .args(["sync_child", "--exact", "--test-threads=1"])
        .env(CHILD_ENV, format!("{durability}:{}", db.display()))
        .status()
        .expect("strace is needed to count sync calls (Debian package strace)");
    assert!(status.success(), "the child failed under strace");
    let text = std::fs::read_to_string(&trace).unwrap();
    text.lines()
        .filter(|l| l.contains("fsync(") || l.contains("fdatasync("))
        .count()
}

#[test]
fn full_durability_syncs_every_commit_and_normal_does_not() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let full = syncs("full");
    let normal = syncs("normal");
    eprintln!("sync calls for {COMMITS} commits: FULL {full}, NORMAL {normal}");
    assert!(
        full >= COMMITS,
        "FULL made {full} sync calls for {COMMITS} commits"
    );
    assert!(
        normal < COMMITS / 2,
        "NORMAL made {normal} sync calls for {COMMITS} commits (FULL made {full})"
    );
}
