//! The conformance suite on SQLite: once on a file, once in memory.

mod backend;

mod file {
    fn on_file() -> monotable_testkit::Factory {
        super::backend::on_file(
            std::env::temp_dir().join("monotable-conformance"),
            monotable_sqlite::Durability::Full,
        )
    }
    monotable_testkit::conformance_suite!(on_file());
}

mod memory {
    fn in_memory() -> monotable_testkit::Factory {
        super::backend::in_memory()
    }
    monotable_testkit::conformance_suite!(in_memory());
}
