//! The conformance suite on the memory backend.

use std::sync::Arc;

use monotable_core::{Repository, TableSchema};
use monotable_memory::{MemoryRepository, MemoryStorage};

async fn repository(schema: TableSchema) -> Arc<dyn Repository> {
    Arc::new(MemoryRepository::new(MemoryStorage::new(), schema).expect("valid schema"))
}

monotable_testkit::conformance_suite!(repository);
