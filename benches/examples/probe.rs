//! A steady loop of one benchmark operation, for `perf`: the monotable side of one row of
//! the `ratios` bench, on its data (the SQLite rows read the file `cargo bench -p
//! monotable-benches -- sqlite` builds under `target/bench-data`).
//!
//! ```text
//! cargo build --profile bench -p monotable-benches --example probe
//! perf record --call-graph dwarf target/release/examples/probe memory-query 20000
//! valgrind --tool=callgrind target/release/examples/probe sqlite-get 1200   # instructions
//! ```
//!
//! Operations: `sqlite-get`, `sqlite-query`, `sqlite-gsi`, `sqlite-batch` and `sqlite-tx`
//! (written to a copy of the file in the temporary directory), `memory-get`, `memory-query`,
//! `memory-create`, `memory-batch` (25 rows by `batch_put`), `memory-tx` (100 creates in one
//! transaction); then the number of operations (default 10,000) and the table size
//! (default 10,000). Prints the time per operation, which is noisy on a shared machine:
//! to compare two builds, count instructions instead (callgrind's total for two operation
//! counts, differenced, gives the instructions of one operation without the setup; they
//! repeat to within 0.3 %).

#[path = "../benches/ratios/harness.rs"]
#[allow(dead_code)]
mod harness;
#[path = "../benches/ratios/model.rs"]
#[allow(dead_code)]
mod model;

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use monotable::entity::entity_item;
use monotable::prelude::*;
use monotable::raw::{item_mutations, Storage};
use monotable::{EntityQuery, MemoryRepository, MemoryStorage, SqliteRepository, SqliteStorage};

use harness::mix;
use model::{fresh_row, row, schema, Row, RowKey, PER_PARTITION};

async fn get<R: Repository>(repo: &R, parts: u64, i: u64) {
    let key = RowKey {
        part: mix(i) % parts,
        seq: 7,
    };
    let got: Option<Row> = repo.get(&key).await.expect("get");
    assert!(got.is_some());
}

async fn query<R: Repository>(repo: &R, parts: u64, i: u64, gsi: bool) {
    let p = mix(i) % parts;
    let q = if gsi {
        EntityQuery::<Row>::on_index("gsi1", [("grp", p)])
    } else {
        EntityQuery::<Row>::new([("part", p)])
    };
    let page = repo.query_page(&q).await.expect("query");
    assert_eq!(page.items.len(), PER_PARTITION as usize);
}

/// One operation: 25 fresh rows by `batch_put` (as the insert rows of the bench write them).
async fn batch<R: Repository>(repo: &R, i: u64) {
    let rows: Vec<Row> = (i * 25..(i + 1) * 25).map(fresh_row).collect();
    repo.batch_put(&rows).await.expect("batch_put");
}

/// One operation: 100 fresh rows created in one transaction.
async fn transaction<R: Repository>(repo: &R, i: u64) {
    let rows: Vec<Row> = (i * 100..(i + 1) * 100).map(fresh_row).collect();
    repo.transaction(|tx| {
        for row in &rows {
            tx.create(row)?;
        }
        Ok(())
    })
    .await
    .expect("transaction");
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let op = args
        .first()
        .map_or("sqlite-get", String::as_str)
        .to_string();
    let count: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let n: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let parts = n / PER_PARTITION;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let elapsed = rt.block_on(async move {
        tokio::spawn(async move {
            if let Some(rest) = op.strip_prefix("sqlite-") {
                let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join(format!("../target/bench-data/ratios-{n}.db"));
                assert!(
                    path.with_extension("v1").exists(),
                    "{} is built by `cargo bench -p monotable-benches -- sqlite`",
                    path.display()
                );
                // Writes go to a copy of the file, so the bench's data stays as it was.
                let copy = matches!(rest, "batch" | "tx").then(|| {
                    let copy =
                        std::env::temp_dir().join(format!("probe-{n}-{}.db", std::process::id()));
                    std::fs::copy(&path, &copy).expect("copy the bench file");
                    let wal = path.with_extension("db-wal");
                    if wal.exists() {
                        std::fs::copy(&wal, copy.with_extension("db-wal")).expect("copy its WAL");
                    }
                    copy
                });
                let path = copy.clone().unwrap_or(path);
                let repo = SqliteRepository::new(
                    SqliteStorage::open(&path).expect("open"),
                    schema("bench"),
                )
                .expect("repo");
                let start = Instant::now();
                for i in 0..count {
                    match rest {
                        "get" => get(&repo, parts, i).await,
                        "query" => query(&repo, parts, i, false).await,
                        "gsi" => query(&repo, parts, i, true).await,
                        "batch" => batch(&repo, i).await,
                        "tx" => transaction(&repo, i).await,
                        other => panic!("unknown operation sqlite-{other}"),
                    }
                }
                let elapsed = start.elapsed();
                drop(repo);
                if let Some(copy) = copy {
                    for ext in ["db", "db-wal", "db-shm"] {
                        let _ = std::fs::remove_file(copy.with_extension(ext));
                    }
                }
                elapsed
            } else {
                let schema = schema("bench");
                let repo = Arc::new(
                    MemoryRepository::new(MemoryStorage::new(), schema.clone()).expect("repo"),
                );
                repo.create_table().await.expect("create");
                let now = monotable::entity::now_iso8601();
                let s = schema.clone();
                repo.storage()
                    .write(&schema, move |_| {
                        let mut mutations = Vec::new();
                        for i in 0..n {
                            let item = entity_item(&s, &row(i, n), &now).expect("item");
                            mutations.extend(item_mutations(&s, None, Some(&item)));
                        }
                        Ok(((), mutations))
                    })
                    .await
                    .expect("load");
                let start = Instant::now();
                for i in 0..count {
                    match op.as_str() {
                        "memory-get" => get(&*repo, parts, i).await,
                        "memory-query" => query(&*repo, parts, i, false).await,
                        "memory-create" => {
                            repo.create(&fresh_row(i)).await.expect("create");
                        }
                        // One operation: 25 fresh rows by `batch_put`, or 100 created in one
                        // transaction (as the SQLite insert rows write them).
                        "memory-batch" => batch(&*repo, i).await,
                        "memory-tx" => transaction(&*repo, i).await,
                        other => panic!("unknown operation {other}"),
                    }
                }
                start.elapsed()
            }
        })
        .await
        .expect("probe task")
    });
    println!(
        "{:.0} ns per operation",
        elapsed.as_nanos() as f64 / count as f64
    );
}
