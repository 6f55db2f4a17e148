//! # monotable-testkit
//!
//! The conformance suite: DynamoDB's behaviour (as measured on DynamoDB Local) and the typed
//! API's, one case per behaviour, run unchanged by every backend — ours or a user's.
//!
//! A backend writes its constructor once, as a [`Factory`] that makes a repository for a
//! table schema (the harness gives each case its own table name and calls `create_table`),
//! and hands it to the suite in `tests/conformance.rs` and to the vector runner
//! ([`vectors::run_all`]) in `tests/vectors.rs`:
//!
//! ```ignore
//! pub fn factory() -> monotable_testkit::Factory {
//!     monotable_testkit::factory(|schema| async move {
//!         std::sync::Arc::new(MyRepository::new(schema)) as std::sync::Arc<dyn monotable_core::Repository>
//!     })
//! }
//! monotable_testkit::conformance_suite!(factory());
//! ```
//!
//! Each case becomes a `#[tokio::test]` named `topic::case`, so the test crate needs
//! `tokio` (with the `macros` and `rt-multi-thread` features) as a dev-dependency.
#![deny(missing_docs)]
// Test support: a failed step is a failed test, so unwrap is the clearest way to say it.
#![allow(clippy::unwrap_used)]

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use futures::future::BoxFuture;
use monotable_core::{Repository, TableSchema};

pub mod cases;
#[cfg(feature = "dynamodb-local")]
pub mod dynamodb_local;
pub mod fixtures;
pub mod fuzz;
pub mod lent;
pub mod vectors;

/// Makes a repository for a table schema on the backend under test: what a backend gives
/// both the conformance suite ([`conformance_suite!`]) and the vector runner
/// ([`vectors::run_all`]). Build one from an async function or closure with [`factory`].
pub type Factory =
    Arc<dyn Fn(TableSchema) -> BoxFuture<'static, Arc<dyn Repository>> + Send + Sync>;

/// A [`Factory`] from an async function or closure that makes a repository for a schema.
pub fn factory<F, Fut>(make: F) -> Factory
where
    F: Fn(TableSchema) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Arc<dyn Repository>> + Send + 'static,
{
    Arc::new(move |schema| Box::pin(make(schema)))
}

/// What a case gets: a way to make fresh tables on the backend under test.
pub struct Harness {
    case: &'static str,
    factory: Factory,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl Harness {
    /// A harness for `case` over a backend's [`Factory`].
    pub fn new(case: &'static str, factory: Factory) -> Self {
        Harness { case, factory }
    }

    /// A new, created table of this schema, under a name unique to this case and run.
    pub async fn table(&self, mut schema: TableSchema) -> Arc<dyn Repository> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut name = format!(
            "mt-{}-{}-{}-{}",
            self.case,
            std::process::id(),
            n,
            nanos % 1_000_000_000
        );
        name.truncate(255);
        schema.name = name;
        let repo = (self.factory)(schema).await;
        repo.create_table().await.expect("create_table");
        repo
    }

    /// A new table of the fixtures' single-table layout ([`fixtures::app_schema`]).
    pub async fn app(&self) -> Arc<dyn Repository> {
        self.table(fixtures::app_schema()).await
    }

    /// A repository whose table was never created.
    pub async fn uncreated(&self, schema: TableSchema) -> Arc<dyn Repository> {
        (self.factory)(schema).await
    }
}

/// Stamps out the whole suite as `#[tokio::test]`s, one per case, in modules named by topic.
/// `$factory` is an expression that gives a [`Factory`] (evaluated once per case).
#[macro_export]
macro_rules! conformance_suite {
    ($factory:expr) => {
        $crate::__conformance_cases!($factory);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __emit_conformance {
    ($factory:expr; $($topic:ident { $($case:ident),* $(,)? })*) => {
        $(
            mod $topic {
                #[allow(unused_imports)]
                use super::*;
                $(
                    #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $case() {
                        let harness = $crate::Harness::new(stringify!($case), $factory);
                        $crate::cases::$topic::$case(&harness).await;
                    }
                )*
            }
        )*
    };
}
