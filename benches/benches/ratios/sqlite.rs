//! SQLite: monotable's typed API beside raw rusqlite on the same file, with the same
//! durability (WAL, `synchronous = FULL`, the same busy timeout).
//!
//! The raw baseline is what an application would write by hand: one table with a column per
//! field, keyed by (part, seq), and an SQLite index on (grp, id) for the GSI's access
//! pattern; rows decoded column by column into the same struct.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use monotable::entity::entity_item;
use monotable::prelude::*;
use monotable::raw::{item_mutations, Storage};
use monotable::sqlite::Durability;
use monotable::{EntityQuery, SqliteRepository, SqliteStorage};
use rusqlite::{params, Connection, Statement};
use tokio::runtime::Runtime;

use crate::harness::{compare, mix, time_async, time_sync, Line};
use crate::model::{fresh_row, row, schema, Row, RowKey, PER_PARTITION};
use crate::Config;

const SELECT: &str = "SELECT part, seq, grp, id, name, total, body FROM raw_rows";

fn data_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-data");
    std::fs::create_dir_all(&dir).expect("bench data dir");
    dir
}

fn remove_db(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

/// The connection settings of `monotable-sqlite` (see `SqliteStorage::connect`).
fn raw_connect(path: &Path) -> Connection {
    let conn = Connection::open(path).expect("raw open");
    conn.busy_timeout(Duration::from_secs(10)).expect("timeout");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("wal");
    conn.pragma_update(None, "synchronous", "FULL")
        .expect("sync");
    conn
}

fn decode(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok(Row {
        part: r.get::<_, i64>(0)? as u64,
        seq: r.get::<_, i64>(1)? as u64,
        grp: r.get::<_, i64>(2)? as u64,
        id: r.get::<_, i64>(3)? as u64,
        name: r.get(4)?,
        total: r.get::<_, i64>(5)? as u64,
        body: r.get(6)?,
    })
}

fn raw_insert(stmt: &mut Statement<'_>, r: &Row) {
    stmt.execute(params![
        r.part as i64,
        r.seq as i64,
        r.grp as i64,
        r.id as i64,
        r.name,
        r.total as i64,
        r.body
    ])
    .expect("raw insert");
}

/// Builds (once, cached under `target/bench-data`) a file holding `n` rows in the
/// monotable table and the same rows in the raw table; returns a fresh working copy.
fn prepare(rt: &Runtime, n: u64) -> PathBuf {
    let path = data_dir().join(format!("ratios-{n}.db"));
    let done = path.with_extension("v1");
    if !done.exists() {
        eprintln!("sqlite: building {} ({n} rows, once)", path.display());
        remove_db(&path);
        let storage = SqliteStorage::open_with(&path, Durability::Normal).expect("open");
        let schema = schema("bench");
        let now = monotable::entity::now_iso8601();
        rt.block_on(async {
            storage.create(&schema).await.expect("create");
            let chunk = 20_000;
            for start in (0..n).step_by(chunk as usize) {
                let (s, now) = (schema.clone(), now.clone());
                storage
                    .write(&schema, move |_| {
                        let mut mutations = Vec::new();
                        for i in start..(start + chunk).min(n) {
                            let item = entity_item(&s, &row(i, n), &now).expect("item");
                            mutations.extend(item_mutations(&s, None, Some(&item)));
                        }
                        Ok(((), mutations))
                    })
                    .await
                    .expect("load");
            }
        });
        drop(storage);
        let mut conn = raw_connect(&path);
        conn.execute_batch(
            "CREATE TABLE raw_rows (part INTEGER NOT NULL, seq INTEGER NOT NULL, grp INTEGER NOT NULL, \
             id INTEGER NOT NULL, name TEXT NOT NULL, total INTEGER NOT NULL, body TEXT NOT NULL, \
             PRIMARY KEY (part, seq)) WITHOUT ROWID; \
             CREATE INDEX raw_rows_gsi ON raw_rows (grp, id);",
        )
        .expect("raw table");
        let tx = conn.transaction().expect("tx");
        {
            let mut stmt = tx
                .prepare("INSERT INTO raw_rows VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
                .expect("prepare");
            for i in 0..n {
                raw_insert(&mut stmt, &row(i, n));
            }
        }
        tx.commit().expect("commit");
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .expect("checkpoint");
        drop(conn);
        std::fs::write(&done, b"").expect("marker");
    }
    // Inserts go to a copy, so the cached file stays as built; one per process, so two
    // runs at once (builders share the machine) do not write each other's copy.
    let work = data_dir().join(format!("ratios-{n}-work-{}.db", std::process::id()));
    remove_db(&work);
    std::fs::copy(&path, &work).expect("working copy");
    work
}

pub fn run(rt: &Runtime, cfg: &Config, out: &mut Vec<Line>) {
    for &n in &cfg.sizes {
        let path = prepare(rt, n);
        let repo = Arc::new(
            SqliteRepository::new(SqliteStorage::open(&path).expect("open"), schema("bench"))
                .expect("repo"),
        );
        let conn = raw_connect(&path);
        let parts = n / PER_PARTITION;
        let budget = cfg.budget;
        let size = |row: &str| format!("{row} @ {}k", n / 1000);

        // Point get + typed decode.
        let (mono, raw, rounds) = {
            let r = repo.clone();
            let op = Arc::new(move |i: u64| {
                let r = r.clone();
                async move {
                    let key = RowKey {
                        part: mix(i) % parts,
                        seq: 7,
                    };
                    let got: Option<Row> = r.get(&key).await.expect("get");
                    assert!(got.is_some());
                }
            });
            let mut stmt = conn
                .prepare(&format!("{SELECT} WHERE part = ?1 AND seq = ?2"))
                .expect("prepare");
            compare(
                cfg.rounds,
                || time_async(rt, budget, op.clone()),
                || {
                    time_sync(budget, |i| {
                        let got = stmt
                            .query_row(params![(mix(i) % parts) as i64, 7], decode)
                            .expect("raw get");
                        assert_eq!(got.seq, 7);
                    })
                },
            )
        };
        out.push(Line {
            section: "sqlite",
            row: size("point get + decode"),
            metric: "time",
            mono,
            raw,
            rounds,
            goal: "≤ 1.43 (≥ 0.7× throughput)",
        });

        // A 20-item partition query, and a 20-item GSI query.
        for gsi in [false, true] {
            let r = repo.clone();
            let op = Arc::new(move |i: u64| {
                let r = r.clone();
                async move {
                    let p = mix(i) % parts;
                    let q = if gsi {
                        EntityQuery::<Row>::on_index("gsi1", [("grp", p)])
                    } else {
                        EntityQuery::<Row>::new([("part", p)])
                    };
                    let page = r.query_page(&q).await.expect("query");
                    assert_eq!(page.items.len(), PER_PARTITION as usize);
                }
            });
            let sql = if gsi {
                format!("{SELECT} WHERE grp = ?1 ORDER BY id")
            } else {
                format!("{SELECT} WHERE part = ?1 ORDER BY seq")
            };
            let mut stmt = conn.prepare(&sql).expect("prepare");
            let (mono, raw, rounds) = compare(
                cfg.rounds,
                || time_async(rt, budget, op.clone()),
                || {
                    time_sync(budget, |i| {
                        let rows: Vec<Row> = stmt
                            .query_map(params![(mix(i) % parts) as i64], decode)
                            .expect("raw query")
                            .collect::<Result<_, _>>()
                            .expect("rows");
                        assert_eq!(rows.len(), PER_PARTITION as usize);
                    })
                },
            );
            out.push(Line {
                section: "sqlite",
                row: size(if gsi {
                    "GSI query, 20 items"
                } else {
                    "partition query, 20 items"
                }),
                metric: "time",
                mono,
                raw,
                rounds,
                goal: "≤ 1.43 (≥ 0.7× throughput)",
            });
        }

        // Inserts: batch_put (BatchWriteItem of 25, each one commit) beside raw commits of
        // 25 rows; transactions of 100 creates beside raw commits of 100 rows.
        let next = Arc::new(AtomicU64::new(0));
        for (label, per_commit) in [
            ("insert, batch_put", 25usize),
            ("insert, transactions of 100", 100),
        ] {
            let count = cfg.inserts;
            let take = |next: &AtomicU64| -> Vec<Row> {
                let base = next.fetch_add(count, Ordering::Relaxed);
                (base..base + count).map(fresh_row).collect()
            };
            let mono = || {
                let rows = take(&next);
                let r = repo.clone();
                let t = std::time::Instant::now();
                rt.block_on(async move {
                    tokio::spawn(async move {
                        if per_commit == 25 {
                            r.batch_put(&rows).await.expect("batch_put");
                        } else {
                            for chunk in rows.chunks(per_commit) {
                                r.transaction(|tx| {
                                    for row in chunk {
                                        tx.create(row)?;
                                    }
                                    Ok(())
                                })
                                .await
                                .expect("transaction");
                            }
                        }
                    })
                    .await
                    .expect("task")
                });
                t.elapsed().as_nanos() as f64 / count as f64
            };
            let mut raw_conn = raw_connect(&path);
            let mut raw = || {
                let rows = take(&next);
                let t = std::time::Instant::now();
                let verb = if per_commit == 25 {
                    "INSERT OR REPLACE"
                } else {
                    "INSERT"
                };
                for chunk in rows.chunks(per_commit) {
                    let tx = raw_conn
                        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                        .expect("begin");
                    {
                        let mut stmt = tx
                            .prepare_cached(&format!(
                                "{verb} INTO raw_rows VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                            ))
                            .expect("prepare");
                        for row in chunk {
                            raw_insert(&mut stmt, row);
                        }
                    }
                    tx.commit().expect("commit");
                }
                t.elapsed().as_nanos() as f64 / count as f64
            };
            let (mono, raw, rounds) = compare(cfg.insert_rounds, mono, &mut raw);
            out.push(Line {
                section: "sqlite",
                row: size(&format!("{label} ({count} rows)")),
                metric: "time",
                mono,
                raw,
                rounds,
                goal: "≤ 1.25 (≥ 0.8× throughput)",
            });
        }
        // 16 concurrent single-item writers (`create`), full durability, beside raw
        // rusqlite committing each insert on its own.
        let (mono, raw, rounds) = compare(
            cfg.insert_rounds,
            || {
                let done = Arc::new(AtomicU64::new(0));
                let start = std::time::Instant::now();
                let writers: Vec<_> = (0..16u64)
                    .map(|w| {
                        let (r, done, next) = (repo.clone(), done.clone(), next.clone());
                        rt.spawn(async move {
                            let _ = w;
                            while start.elapsed() < budget {
                                let row = fresh_row(next.fetch_add(1, Ordering::Relaxed));
                                r.create(&row).await.expect("create");
                                done.fetch_add(1, Ordering::Relaxed);
                            }
                        })
                    })
                    .collect();
                rt.block_on(async {
                    for w in writers {
                        w.await.expect("writer");
                    }
                });
                done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
            },
            || {
                let mut raw_conn = raw_connect(&path);
                let start = std::time::Instant::now();
                let mut done = 0u64;
                while start.elapsed() < budget {
                    let row = fresh_row(next.fetch_add(1, Ordering::Relaxed));
                    let tx = raw_conn
                        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                        .expect("begin");
                    {
                        let mut stmt = tx
                            .prepare_cached(
                                "INSERT INTO raw_rows VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                            )
                            .expect("prepare");
                        raw_insert(&mut stmt, &row);
                    }
                    tx.commit().expect("commit");
                    done += 1;
                }
                done as f64 / start.elapsed().as_secs_f64()
            },
        );
        out.push(Line {
            section: "sqlite",
            row: size("16 concurrent writers (create) vs one commit per insert"),
            metric: "throughput",
            mono,
            raw,
            rounds,
            goal: "group commit: > 1",
        });
        drop(repo);
        drop(conn);
        remove_db(&path);
    }
}
