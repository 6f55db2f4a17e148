//! Memory: monotable's memory backend beside a raw `BTreeMap` of the same structs, each
//! behind an `RwLock` (both can be shared between tasks).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use monotable::entity::entity_item;
use monotable::prelude::*;
use monotable::raw::{item_mutations, Storage};
use monotable::{EntityQuery, MemoryRepository, MemoryStorage};
use tokio::runtime::Runtime;

use crate::harness::{compare, mix, time_async, time_sync, Line};
use crate::model::{fresh_row, row, schema, Row, RowKey, PER_PARTITION};
use crate::Config;

#[derive(Default)]
struct RawTables {
    table: BTreeMap<(u64, u64), Row>,
    gsi: BTreeMap<(u64, u64), Row>,
}

impl RawTables {
    /// A create: refused if the key is taken.
    fn create(&mut self, r: Row) -> bool {
        use std::collections::btree_map::Entry;
        match self.table.entry((r.part, r.seq)) {
            Entry::Occupied(_) => false,
            Entry::Vacant(v) => {
                self.gsi.insert((r.grp, r.id), r.clone());
                v.insert(r);
                true
            }
        }
    }
}

pub fn run(rt: &Runtime, cfg: &Config, out: &mut Vec<Line>) {
    for &n in &cfg.sizes {
        if n > 100_000 && std::env::var_os("MONOTABLE_BENCH_MEMORY_1M").is_none() {
            // 1M items of this shape take several GB in the memory backend.
            continue;
        }
        let schema = schema("bench");
        let repo =
            Arc::new(MemoryRepository::new(MemoryStorage::new(), schema.clone()).expect("repo"));
        let raw = Arc::new(RwLock::new(RawTables::default()));
        rt.block_on(async {
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
        });
        {
            let mut t = raw.write().expect("lock");
            for i in 0..n {
                t.create(row(i, n));
            }
        }
        let parts = n / PER_PARTITION;
        let budget = cfg.budget;
        let size = |row: &str| format!("{row} @ {}k", n / 1000);

        let r = repo.clone();
        let get = Arc::new(move |i: u64| {
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
        let (mono, rawt, rounds) = compare(
            cfg.rounds,
            || time_async(rt, budget, get.clone()),
            || {
                time_sync(budget, |i| {
                    let got = raw
                        .read()
                        .expect("lock")
                        .table
                        .get(&(mix(i) % parts, 7))
                        .cloned();
                    assert!(got.is_some());
                })
            },
        );
        out.push(Line {
            section: "memory",
            row: size("get"),
            metric: "time",
            mono,
            raw: rawt,
            rounds,
            goal: "≤ 2",
        });

        let r = repo.clone();
        let query = Arc::new(move |i: u64| {
            let r = r.clone();
            async move {
                let q = EntityQuery::<Row>::new([("part", mix(i) % parts)]);
                let page = r.query_page(&q).await.expect("query");
                assert_eq!(page.items.len(), PER_PARTITION as usize);
            }
        });
        let (mono, rawt, rounds) = compare(
            cfg.rounds,
            || time_async(rt, budget, query.clone()),
            || {
                time_sync(budget, |i| {
                    let p = mix(i) % parts;
                    let rows: Vec<Row> = raw
                        .read()
                        .expect("lock")
                        .table
                        .range((p, 0)..(p + 1, 0))
                        .map(|(_, v)| v.clone())
                        .collect();
                    assert_eq!(rows.len(), PER_PARTITION as usize);
                })
            },
        );
        out.push(Line {
            section: "memory",
            row: size("partition query, 20 items"),
            metric: "time",
            mono,
            raw: rawt,
            rounds,
            goal: "≤ 2",
        });

        // Inserts: one `create` per entity beside a checked BTreeMap insert.
        let next = Arc::new(AtomicU64::new(0));
        let count = cfg.inserts * 4;
        let (mono, rawt, rounds) = compare(
            cfg.insert_rounds,
            || {
                let base = next.fetch_add(count, Ordering::Relaxed);
                let rows: Vec<Row> = (base..base + count).map(fresh_row).collect();
                let r = repo.clone();
                let t = std::time::Instant::now();
                rt.block_on(async move {
                    tokio::spawn(async move {
                        for row in &rows {
                            r.create(row).await.expect("create");
                        }
                    })
                    .await
                    .expect("task")
                });
                t.elapsed().as_nanos() as f64 / count as f64
            },
            || {
                let base = next.fetch_add(count, Ordering::Relaxed);
                let rows: Vec<Row> = (base..base + count).map(fresh_row).collect();
                let t = std::time::Instant::now();
                for row in rows {
                    assert!(raw.write().expect("lock").create(row));
                }
                t.elapsed().as_nanos() as f64 / count as f64
            },
        );
        out.push(Line {
            section: "memory",
            row: size(&format!("insert, create ({count} rows)")),
            metric: "time",
            mono,
            raw: rawt,
            rounds,
            goal: "≤ 2",
        });
    }
}
