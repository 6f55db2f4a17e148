//! The SQLite backend's constructors, written once for the conformance suite and the vectors.

#![allow(dead_code)] // each test crate uses some of them

use std::path::PathBuf;
use std::sync::Arc;

use monotable_core::Repository;
use monotable_sqlite::{Durability, SqliteRepository, SqliteStorage};
use monotable_testkit::Factory;

/// One SQLite file per table, in `dir`, opened with `durability` (a leftover file of the same
/// name is removed first).
pub fn on_file(dir: PathBuf, durability: Durability) -> Factory {
    std::fs::create_dir_all(&dir).expect("temp dir");
    monotable_testkit::factory(move |schema| {
        let path = dir.join(format!("{}.db", schema.name));
        async move {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
            let storage = SqliteStorage::open_with(path, durability).expect("open");
            Arc::new(SqliteRepository::new(storage, schema).expect("schema")) as Arc<dyn Repository>
        }
    })
}

/// One in-memory SQLite database per table.
pub fn in_memory() -> Factory {
    monotable_testkit::factory(|schema| async move {
        let storage = SqliteStorage::in_memory().expect("open");
        Arc::new(SqliteRepository::new(storage, schema).expect("schema")) as Arc<dyn Repository>
    })
}
