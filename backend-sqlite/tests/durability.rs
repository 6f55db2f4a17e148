//! A write that returned Ok survives the process being killed, and nothing is half-written.
//!
//! The test starts this same test binary as a child process that writes in a loop — a
//! transaction of two items per step, each with a checksummed payload — and prints each
//! acknowledged step. After a while the parent kills it with SIGKILL, reopens the file and
//! checks that every acknowledged step is there, whole, and that every step present is
//! complete (both items or neither).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use monotable_core::{
    Item, KeyCondition, Query, Repository, TableSchema, TransactWrite, TransactWriteItem, Value,
};
use monotable_sqlite::{SqliteRepository, SqliteStorage};

const CHILD_ENV: &str = "MONOTABLE_DURABILITY_CHILD";

fn schema() -> TableSchema {
    TableSchema::single_table("durable").with_gsi("gsi1")
}

fn payload(step: u64, side: &str) -> String {
    format!("{side}-{step}-").repeat(50 + (step % 17) as usize)
}

fn checksum(text: &str) -> u64 {
    text.bytes().fold(1469598103934665603u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(1099511628211)
    })
}

fn item(step: u64, side: &str) -> Item {
    let body = payload(step, side);
    Item::new()
        .with("pk", format!("step#{step:08}"))
        .with("sk", side)
        .with("gsi1pk", "all")
        .with("gsi1sk", format!("{step:08}#{side}"))
        .with("sum", checksum(&body).to_string())
        .with("body", body)
}

/// The child: writes steps until killed, printing `ack N` after each commit.
#[tokio::test]
async fn durability_child() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let repo = SqliteRepository::new(SqliteStorage::open(&path).unwrap(), schema()).unwrap();
    repo.create_table().await.unwrap();
    for step in 0.. {
        let tx = TransactWrite {
            items: ["a", "b"]
                .iter()
                .map(|side| TransactWriteItem::Put {
                    item: item(step, side),
                    condition: None,
                    return_old_on_condition_failure: false,
                })
                .collect(),
            client_request_token: None,
        };
        repo.transact_write_items(tx).await.unwrap();
        println!("ack {step}");
    }
}

#[tokio::test]
async fn acknowledged_writes_survive_sigkill() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("monotable-durability-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("kill.db");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "durability_child",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CHILD_ENV, &path)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let mut acked: Option<u64> = None;
    let start = Instant::now();
    for line in stdout.lines() {
        let line = line.unwrap();
        if let Some(n) = line.strip_prefix("ack ") {
            acked = Some(n.trim().parse().unwrap());
        }
        if acked.is_some_and(|n| n >= 300) || start.elapsed() > Duration::from_secs(60) {
            break;
        }
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    let acked = acked.expect("the child acknowledged no write");
    assert!(acked >= 10, "too few writes before the kill: {acked}");

    let repo = SqliteRepository::new(SqliteStorage::open(&path).unwrap(), schema()).unwrap();
    for step in 0..=acked {
        for side in ["a", "b"] {
            let got = repo
                .get_item(monotable_core::GetItem {
                    key: Item::new()
                        .with("pk", format!("step#{step:08}"))
                        .with("sk", side),
                    ..Default::default()
                })
                .await
                .unwrap();
            assert_eq!(
                got,
                Some(item(step, side)),
                "acknowledged step {step} side {side} lost or damaged"
            );
        }
    }
    // Nothing half-written: every step in the index has both items, whole.
    let mut request = Query::new(KeyCondition::partition("all"));
    request.index = Some("gsi1".into());
    let mut steps = std::collections::BTreeMap::<String, usize>::new();
    loop {
        let page = repo.query(request.clone()).await.unwrap();
        for it in &page.items {
            let body = it["body"].as_s().unwrap();
            assert_eq!(
                it["sum"],
                Value::from(checksum(body).to_string()),
                "damaged item {it:?}"
            );
            *steps
                .entry(it["pk"].as_s().unwrap().to_string())
                .or_default() += 1;
        }
        match page.last_evaluated_key {
            Some(k) => request.exclusive_start_key = Some(k),
            None => break,
        }
    }
    assert!(
        steps.values().all(|&n| n == 2),
        "a transaction was half-written"
    );
    assert!(steps.len() as u64 > acked);
    println!(
        "durability: {} steps acknowledged before SIGKILL, {} found after reopening",
        acked + 1,
        steps.len()
    );
    std::fs::remove_dir_all(&dir).ok();
}
