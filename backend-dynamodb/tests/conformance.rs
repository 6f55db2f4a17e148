//! The conformance suite against Amazon's DynamoDB Local (started by `support`).

mod backend;
mod support;

monotable_testkit::conformance_suite!(backend::factory());
