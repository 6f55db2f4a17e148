//! The conformance suite on SQLite: once on a file, once in memory.

use std::sync::Arc;

use monotable_core::{Repository, TableSchema};
use monotable_sqlite::{SqliteRepository, SqliteStorage};

fn temp_file(schema: &TableSchema) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join("monotable-conformance");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(format!("{}.db", schema.name));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    path
}

async fn on_file(schema: TableSchema) -> Arc<dyn Repository> {
    let storage = SqliteStorage::open(temp_file(&schema)).expect("open");
    Arc::new(SqliteRepository::new(storage, schema).expect("schema"))
}

async fn in_memory(schema: TableSchema) -> Arc<dyn Repository> {
    Arc::new(
        SqliteRepository::new(SqliteStorage::in_memory().expect("open"), schema).expect("schema"),
    )
}

mod file {
    use super::*;
    monotable_testkit::conformance_suite!(on_file);
}

mod memory {
    use super::*;
    monotable_testkit::conformance_suite!(in_memory);
}
