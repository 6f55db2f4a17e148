//! `tracing` spans: one per request, with the operation, the table, the consumed capacity
//! and the number of retries the SDK made.

use std::cell::Cell;

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::types as ddb;
use tracing::Instrument;

tokio::task_local! {
    /// Attempts made by the SDK for the request under way in this task.
    static ATTEMPTS: Cell<u32>;
}

/// Counts the SDK's attempts (the first try and each retry) into [`ATTEMPTS`].
#[derive(Debug)]
pub(crate) struct CountAttempts;

impl Intercept for CountAttempts {
    fn name(&self) -> &'static str {
        "monotable.count_attempts"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> std::result::Result<(), aws_sdk_dynamodb::error::BoxError> {
        let _ = ATTEMPTS.try_with(|a| a.set(a.get() + 1));
        Ok(())
    }
}

/// The span of one request.
pub(crate) fn span(table: &str, operation: &'static str) -> tracing::Span {
    tracing::info_span!(
        "monotable.request",
        db.system = "dynamodb",
        db.operation = operation,
        db.name = %table,
        aws.dynamodb.consumed_capacity = tracing::field::Empty,
        aws.dynamodb.retries = tracing::field::Empty,
    )
}

/// `Total` if a subscriber records request spans, else `None`: DynamoDB reports consumed
/// capacity only when asked, and asking costs on every request (measured: about 16% of the
/// put throughput against DynamoDB Local), so it is asked only when someone reads it.
pub(crate) fn capacity_wanted() -> Option<ddb::ReturnConsumedCapacity> {
    tracing::span_enabled!(tracing::Level::INFO).then_some(ddb::ReturnConsumedCapacity::Total)
}

/// Records the consumed capacity on the span.
pub(crate) fn record_capacity(span: &tracing::Span, capacity: Option<&ddb::ConsumedCapacity>) {
    if let Some(units) = capacity.and_then(|c| c.capacity_units()) {
        span.record("aws.dynamodb.consumed_capacity", units);
    }
}

/// Runs one request in its span, and records how many times the SDK retried it.
pub(crate) async fn traced<F: std::future::Future>(
    span: tracing::Span,
    request: F,
) -> (F::Output, tracing::Span) {
    if span.is_disabled() {
        // Nobody records the span: no attempt counting, no instrumentation.
        return (request.await, span);
    }
    let (out, attempts) = ATTEMPTS
        .scope(Cell::new(0), async move {
            let out = request.await;
            (out, ATTEMPTS.with(Cell::get))
        })
        .instrument(span.clone())
        .await;
    // Recorded only when the interceptor counted the attempts (it always should).
    if attempts > 0 {
        span.record("aws.dynamodb.retries", attempts - 1);
    }
    (out, span)
}
