//! Two processes writing one SQLite file: each runs this test binary as a child that adds
//! to one counter many times (`BEGIN IMMEDIATE` serialises them; a writer that waits past
//! the busy timeout gets `Throttled`, never a lost or doubled write). The parent checks
//! that the counter equals the number of acknowledged additions of both children.

use std::process::{Command, Stdio};

use monotable_core::{Item, Repository, TableSchema, Update, UpdateItem};
use monotable_sqlite::{SqliteRepository, SqliteStorage};

const CHILD_ENV: &str = "MONOTABLE_TWO_PROCESS_CHILD";
const ADDS: u64 = 200;

fn schema() -> TableSchema {
    TableSchema::single_table("shared")
}

fn counter_key() -> Item {
    Item::new().with("pk", "counter").with("sk", "c")
}

/// The child: ADD 1 to the counter `ADDS` times, printing `<ack>` after each success and
/// `<busy>` for each Throttled.
#[tokio::test]
async fn two_process_child() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let repo = SqliteRepository::new(SqliteStorage::open(&path).unwrap(), schema()).unwrap();
    for _ in 0..ADDS {
        match repo
            .update_item(UpdateItem {
                key: counter_key(),
                update: Update::new().add("n", 1),
                ..Default::default()
            })
            .await
        {
            Ok(_) => println!("<ack>"),
            Err(monotable_core::Error::Throttled { .. }) => println!("<busy>"),
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
}

#[tokio::test]
async fn two_processes_write_one_file_without_losing_a_write() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("monotable-2p-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("shared.db");
    let repo = SqliteRepository::new(SqliteStorage::open(&path).unwrap(), schema()).unwrap();
    repo.create_table().await.unwrap();
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..2)
        .map(|_| {
            Command::new(&exe)
                .args([
                    "two_process_child",
                    "--exact",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(CHILD_ENV, &path)
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut acks = Vec::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "a child failed");
        let text = String::from_utf8_lossy(&out.stdout);
        // The harness may print on the same line as the first ack: count markers.
        acks.push(text.matches("<ack>").count() as u64);
    }
    let stored = repo
        .get_item(monotable_core::GetItem {
            key: counter_key(),
            ..Default::default()
        })
        .await
        .unwrap()
        .expect("the counter exists");
    let total: u64 = acks.iter().sum();
    assert!(
        acks.iter().all(|a| *a > 0),
        "both processes wrote: {acks:?}"
    );
    assert_eq!(stored["n"], monotable_core::Value::from(total), "{acks:?}");
    std::fs::remove_dir_all(&dir).ok();
}
