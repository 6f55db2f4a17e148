//! Memory budget per item (issue 14 item 4): bytes held per stored item beside the item's
//! DynamoDB size (`Item::size`, what DynamoDB bills), for the memory backend (heap bytes,
//! counted by this binary's allocator) and the SQLite file (bytes on disk after a
//! checkpoint). Each item is in the table and in the GSI (projection ALL), as DynamoDB
//! itself stores it: the memory backend shares one copy between the two, SQLite writes two.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};

use monotable::entity::entity_item;
use monotable::prelude::*;
use monotable::raw::{item_mutations, Storage};
use monotable::sqlite::Durability;
use monotable::{MemoryRepository, MemoryStorage, SqliteStorage};
use tokio::runtime::Runtime;

use crate::harness::Line;
use crate::model::{row, schema};

/// Counts the heap bytes held while `COUNTING` is set (one relaxed load per allocation
/// otherwise).
pub struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static HELD: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is passed to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            HELD.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if COUNTING.load(Ordering::Relaxed) {
            HELD.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        }
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            HELD.fetch_add(
                new_size as isize - layout.size() as isize,
                Ordering::Relaxed,
            );
        }
        System.realloc(ptr, layout, new_size)
    }
}

pub fn run(rt: &Runtime, out: &mut Vec<Line>) {
    let n = 10_000u64;
    let schema = schema("bench");
    let now = monotable::entity::now_iso8601();
    let items: Vec<_> = (0..n)
        .map(|i| entity_item(&schema, &row(i, n), &now).expect("item"))
        .collect();
    let ddb_size = items.iter().map(|i| i.size()).sum::<usize>() as f64 / n as f64;

    // Memory backend: heap bytes held by the store after loading, per item.
    let repo = MemoryRepository::new(MemoryStorage::new(), schema.clone()).expect("repo");
    rt.block_on(repo.create_table()).expect("create");
    let mutations = || -> Vec<_> {
        items
            .iter()
            .flat_map(|item| item_mutations(&schema, None, Some(item)))
            .collect()
    };
    HELD.store(0, Ordering::SeqCst);
    COUNTING.store(true, Ordering::SeqCst);
    let stored = mutations();
    rt.block_on(repo.storage().write(&schema, move |_| Ok(((), stored))))
        .expect("load");
    COUNTING.store(false, Ordering::SeqCst);
    let held = HELD.load(Ordering::SeqCst) as f64 / n as f64;
    drop(repo);
    out.push(Line {
        section: "budget",
        row: "memory backend: heap bytes per item (table + GSI) ÷ DynamoDB item size".into(),
        metric: "bytes",
        mono: held,
        raw: ddb_size,
        rounds: vec![held / ddb_size],
        goal: "budget: ≤ 12",
    });

    // SQLite: file bytes per item after a checkpoint.
    let dir = std::env::temp_dir().join(format!("monotable-budget-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("budget.db");
    let storage = SqliteStorage::open_with(&path, Durability::Normal).expect("open");
    let empty = {
        rt.block_on(storage.create(&schema)).expect("create");
        std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0)
    };
    let stored = mutations();
    rt.block_on(storage.write(&schema, move |_| Ok(((), stored))))
        .expect("load");
    drop(storage);
    let conn = rusqlite::Connection::open(&path).expect("raw open");
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .expect("checkpoint");
    drop(conn);
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) - empty;
    let per_item = bytes as f64 / n as f64;
    std::fs::remove_dir_all(&dir).ok();
    out.push(Line {
        section: "budget",
        row: "SQLite file: bytes per item (table + GSI) ÷ DynamoDB item size".into(),
        metric: "bytes",
        mono: per_item,
        raw: ddb_size,
        rounds: vec![per_item / ddb_size],
        goal: "budget: ≤ 5",
    });
}
