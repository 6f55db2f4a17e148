//! Timeouts and retries of the requests a [`DynamoDbRepository`](crate::DynamoDbRepository)
//! sends, and how they are applied to the SDK's client. What they mean is on [`Retries`].

use std::time::Duration;

use aws_sdk_dynamodb::config::retry::{RetryConfig, RetryPartition, TokenBucket};
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;

/// Timeouts of every request. The defaults bound a call to an endpoint that accepts the
/// connection and never answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Establishing a connection. Default: 3 s.
    pub connect: Duration,
    /// One attempt, from sending the request to the end of the response. Default: 10 s.
    pub attempt: Duration,
    /// One operation, all its attempts and pauses included. Default: 30 s.
    pub operation: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(3),
            attempt: Duration::from_secs(10),
            operation: Duration::from_secs(30),
        }
    }
}

/// How the SDK paces its retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RetryMode {
    /// Exponential backoff with jitter (the AWS SDKs' `standard` mode). The default.
    #[default]
    Standard,
    /// Standard, plus a client-side rate limiter that slows down after throttling
    /// (the AWS SDKs' `adaptive` mode).
    Adaptive,
}

/// Which retry budget (the SDK's token bucket) a repository spends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RetryBudget {
    /// A bucket of its own, shared only by the repository's clones. The default: another
    /// client's failures cannot exhaust it.
    #[default]
    PerRepository,
    /// The SDK's process-wide bucket for DynamoDB in the region, shared with every client
    /// that does not choose otherwise.
    Shared,
    /// No budget: every request may use all its attempts. Bounded only by the attempts and
    /// the timeouts.
    Unlimited,
}

/// Retries of every request, and of transactions cancelled by a conflict.
///
/// Two layers retry. The SDK retries one request (`Retries::max_attempts` attempts in all,
/// with exponential backoff) when the answer is throttling, a server error (HTTP 5xx,
/// `InternalServerError`, `ServiceUnavailable`), a transient error or a connection failure —
/// except, for a single-item write (PutItem, UpdateItem, DeleteItem), a failure after which
/// the write may already be applied (a timeout, a connection lost after sending, HTTP 500):
/// sending it again could apply it twice (an `ADD` counted twice), so it comes back at once
/// as an error with [`Error::may_have_been_applied`](monotable_core::Error::may_have_been_applied).
/// Above the SDK, the repository retries a transaction cancelled by a conflict
/// (`Retries::transaction_attempts`), with the same client request token, and core's batch
/// helpers retry unprocessed work.
///
/// The SDK spends retries from a token bucket, its retry budget: 500 tokens; a retry costs
/// 14 (5 after throttling); a retry that succeeds gives its tokens back, and a first attempt
/// that succeeds adds one. An empty bucket means no retries at all until it refills. The
/// SDK's default shares one bucket per service and region across the whole process, so a
/// batch against a dead endpoint can empty it for every client of the process. monotable
/// gives each repository a bucket of its own by default; [`RetryBudget`] chooses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retries {
    /// Attempts the SDK makes for one request, the first included (`1`: no retry).
    /// Default: 3 (the AWS SDKs' standard).
    pub max_attempts: u32,
    /// How the SDK paces retries. Default: [`RetryMode::Standard`].
    pub mode: RetryMode,
    /// The first pause between two attempts, doubled each time, with jitter. Default: 50 ms.
    pub initial_backoff: Duration,
    /// The longest pause between two attempts. Default: 2 s.
    pub max_backoff: Duration,
    /// The budget the SDK's retries spend. Default: [`RetryBudget::PerRepository`].
    pub budget: RetryBudget,
    /// Attempts for a transaction that DynamoDB cancels because of a conflict with another
    /// transaction (`TransactionConflict`), the first included, each with the same client
    /// request token; pauses as `initial_backoff`/`max_backoff`. Default: 3.
    pub transaction_attempts: u32,
}

impl Default for Retries {
    fn default() -> Self {
        Retries {
            max_attempts: 3,
            mode: RetryMode::Standard,
            initial_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(2),
            budget: RetryBudget::PerRepository,
            transaction_attempts: 3,
        }
    }
}

impl Retries {
    /// The pause before attempt `attempt + 1` of monotable's own retries: exponential from
    /// `initial_backoff`, capped at `max_backoff`, with jitter over its upper half.
    pub(crate) fn backoff(&self, attempt: u32) -> Duration {
        let base = self
            .initial_backoff
            .saturating_mul(1 << attempt.min(16))
            .min(self.max_backoff);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let half = base / 2;
        half + Duration::from_nanos(u64::from(nanos) % (half.as_nanos() as u64 + 1))
    }
}

/// Applies the timeouts and retries to a client's configuration.
pub(crate) fn apply(
    builder: aws_sdk_dynamodb::config::Builder,
    timeouts: &Timeouts,
    retries: &Retries,
) -> aws_sdk_dynamodb::config::Builder {
    let retry = match retries.mode {
        RetryMode::Standard => RetryConfig::standard(),
        RetryMode::Adaptive => RetryConfig::adaptive(),
    }
    .with_max_attempts(retries.max_attempts.max(1))
    .with_initial_backoff(retries.initial_backoff)
    .with_max_backoff(retries.max_backoff);
    let builder = builder.retry_config(retry).timeout_config(
        TimeoutConfig::builder()
            .connect_timeout(timeouts.connect)
            .operation_attempt_timeout(timeouts.attempt)
            .operation_timeout(timeouts.operation)
            .build(),
    );
    match retries.budget {
        RetryBudget::Shared => builder,
        // A custom partition owns its bucket, whatever its name.
        RetryBudget::PerRepository => builder.retry_partition(
            RetryPartition::custom("monotable-dynamodb")
                .token_bucket(TokenBucket::default())
                .build(),
        ),
        RetryBudget::Unlimited => builder.retry_partition(
            RetryPartition::custom("monotable-dynamodb-unlimited")
                .token_bucket(TokenBucket::unlimited())
                .build(),
        ),
    }
}
