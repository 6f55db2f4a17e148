//! Does the cost of a point get and of a 20-item partition query stay flat as the table
//! grows from 10k to 100k to 1M items? Each is measured beside a raw `rusqlite` baseline
//! doing the same read on a plain `(pk, sk)` table in the same file, in the same run.
//!
//! `cargo bench -p monotable-sqlite --bench scale` (set `MONOTABLE_BENCH_SIZES=10000,100000`
//! for fewer sizes). Data files are cached under `target/bench-data`.

#![allow(missing_docs)] // criterion_group! generates an undocumented function.

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use monotable_core::raw::{item_mutations, Storage};
use monotable_core::{GetItem, Item, KeyCondition, Query, Repository, TableSchema};
use monotable_sqlite::{Durability, SqliteRepository, SqliteStorage};
use rusqlite::{params, Connection};

const PER_PARTITION: u64 = 20;

fn schema() -> TableSchema {
    TableSchema::single_table("bench").with_gsi("gsi1")
}

fn item(i: u64) -> Item {
    Item::new()
        .with("pk", format!("P#{:08}", i / PER_PARTITION))
        .with("sk", format!("S#{:02}", i % PER_PARTITION))
        .with("gsi1pk", format!("G#{}", i % 1000))
        .with("gsi1sk", format!("{i:08}"))
        .with("body", "x".repeat(100))
}

fn data_file(n: u64) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench-data");
    std::fs::create_dir_all(&dir).expect("bench data dir");
    dir.join(format!("scale-{n}.db"))
}

/// Builds (once) a file holding `n` items in the monotable table and the same rows in a raw
/// table.
fn prepare(rt: &tokio::runtime::Runtime, n: u64) -> PathBuf {
    let path = data_file(n);
    let done = path.with_extension("done");
    if done.exists() {
        return path;
    }
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let storage = SqliteStorage::open_with(&path, Durability::Normal).expect("open");
    let schema = schema();
    rt.block_on(async {
        storage.create(&schema).await.expect("create");
        let chunk = 50_000;
        for start in (0..n).step_by(chunk as usize) {
            let s = schema.clone();
            storage
                .write(&schema, move |_| {
                    let mutations = (start..(start + chunk).min(n))
                        .flat_map(|i| item_mutations(&s, None, Some(&item(i))))
                        .collect();
                    Ok(((), mutations))
                })
                .await
                .expect("load");
        }
    });
    let conn = Connection::open(&path).expect("raw open");
    conn.execute_batch("CREATE TABLE raw (pk TEXT NOT NULL, sk TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (pk, sk)) WITHOUT ROWID; BEGIN")
        .expect("raw table");
    {
        let mut stmt = conn
            .prepare("INSERT INTO raw VALUES (?1, ?2, ?3)")
            .expect("prepare");
        for i in 0..n {
            let it = item(i);
            stmt.execute(params![it["pk"].as_s(), it["sk"].as_s(), it["body"].as_s()])
                .expect("insert");
        }
    }
    conn.execute_batch("COMMIT").expect("commit");
    std::fs::write(&done, b"").expect("marker");
    path
}

/// Deterministic pseudo-random partition numbers.
fn partitions(n: u64) -> impl FnMut() -> u64 {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let count = n / PER_PARTITION;
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % count
    }
}

fn sizes() -> Vec<u64> {
    std::env::var("MONOTABLE_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 100_000, 1_000_000])
}

fn scale(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let mut get = c.benchmark_group("point_get");
    get.sample_size(50)
        .measurement_time(std::time::Duration::from_secs(4));
    let mut files = Vec::new();
    for n in sizes() {
        files.push((n, prepare(&rt, n)));
    }
    for (n, path) in &files {
        let repo = SqliteRepository::new(SqliteStorage::open(path).expect("open"), schema())
            .expect("repo");
        let mut next = partitions(*n);
        get.bench_with_input(BenchmarkId::new("monotable", n), n, |b, _| {
            b.iter(|| {
                let key = Item::new()
                    .with("pk", format!("P#{:08}", next()))
                    .with("sk", "S#07");
                let got = rt
                    .block_on(repo.get_item(GetItem {
                        key,
                        ..Default::default()
                    }))
                    .expect("get");
                assert!(got.is_some());
            })
        });
        let conn = Connection::open(path).expect("raw");
        let mut next = partitions(*n);
        get.bench_with_input(BenchmarkId::new("raw_rusqlite", n), n, |b, _| {
            let mut stmt = conn
                .prepare("SELECT pk, sk, body FROM raw WHERE pk = ?1 AND sk = ?2")
                .expect("prepare");
            b.iter(|| {
                let row: (String, String, String) = stmt
                    .query_row(params![format!("P#{:08}", next()), "S#07"], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                    })
                    .expect("row");
                assert_eq!(row.1, "S#07");
            })
        });
    }
    get.finish();
    let mut query = c.benchmark_group("partition_query_20");
    query
        .sample_size(50)
        .measurement_time(std::time::Duration::from_secs(4));
    for (n, path) in &files {
        let repo = SqliteRepository::new(SqliteStorage::open(path).expect("open"), schema())
            .expect("repo");
        let mut next = partitions(*n);
        query.bench_with_input(BenchmarkId::new("monotable", n), n, |b, _| {
            b.iter(|| {
                let q = Query::new(KeyCondition::partition(format!("P#{:08}", next())));
                let page = rt.block_on(repo.query(q)).expect("query");
                assert_eq!(page.count, PER_PARTITION as usize);
            })
        });
        let conn = Connection::open(path).expect("raw");
        let mut next = partitions(*n);
        query.bench_with_input(BenchmarkId::new("raw_rusqlite", n), n, |b, _| {
            let mut stmt = conn
                .prepare("SELECT pk, sk, body FROM raw WHERE pk = ?1 ORDER BY sk")
                .expect("prepare");
            b.iter(|| {
                let rows: Vec<(String, String, String)> = stmt
                    .query_map(params![format!("P#{:08}", next())], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                    })
                    .expect("rows")
                    .collect::<Result<_, _>>()
                    .expect("rows");
                assert_eq!(rows.len(), PER_PARTITION as usize);
            })
        });
    }
    query.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default();
    targets = scale
}
criterion_main!(benches);
