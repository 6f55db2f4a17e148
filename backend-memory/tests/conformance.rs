//! The conformance suite on the memory backend.

mod backend;

monotable_testkit::conformance_suite!(backend::factory());
