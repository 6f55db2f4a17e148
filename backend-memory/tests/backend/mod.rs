//! The memory backend's constructor, written once for the conformance suite and the vectors.

use std::sync::Arc;

use monotable_core::Repository;
use monotable_memory::{MemoryRepository, MemoryStorage};
use monotable_testkit::Factory;

/// A fresh in-memory repository per table.
pub fn factory() -> Factory {
    monotable_testkit::factory(|schema| async move {
        Arc::new(MemoryRepository::new(MemoryStorage::new(), schema).expect("valid schema"))
            as Arc<dyn Repository>
    })
}
