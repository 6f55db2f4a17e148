//! Mapping the SDK's errors to [`monotable_core::Error`].

use aws_sdk_dynamodb::config::interceptors::InterceptorContext;
use aws_sdk_dynamodb::config::retry::{ClassifyRetry, RetryAction};
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation as op;
use monotable_core::{Error, Result};

use crate::convert::{from_map, reason, AttributeMap};

/// An SDK builder that refused its input: a bug on this side of the wire, not the caller's
/// request, so a backend error.
pub(crate) fn build_error(e: aws_sdk_dynamodb::error::BuildError) -> Error {
    Error::backend("dynamodb", false, e)
}

/// An operation's own error type: what it carries beyond the service's code.
pub(crate) trait OperationError:
    ProvideErrorMetadata + std::error::Error + Send + Sync + 'static
{
    /// Refines the error mapped from the code with what this operation's exception carries
    /// (the old item of a failed condition, the reasons of a cancelled transaction).
    fn refine(&self, mapped: Error) -> Result<Error> {
        Ok(mapped)
    }

    /// False for the operations that only read: a failed read was never "applied".
    const WRITES: bool = true;
}

macro_rules! reads {
    ($($t:ty),*) => {$(
        impl OperationError for $t {
            const WRITES: bool = false;
        }
    )*};
}

reads!(
    op::get_item::GetItemError,
    op::query::QueryError,
    op::scan::ScanError,
    op::batch_get_item::BatchGetItemError,
    op::transact_get_items::TransactGetItemsError,
    op::describe_table::DescribeTableError
);
impl OperationError for op::batch_write_item::BatchWriteItemError {}
impl OperationError for op::create_table::CreateTableError {}
impl OperationError for op::update_time_to_live::UpdateTimeToLiveError {}
impl OperationError for op::update_table::UpdateTableError {}

impl OperationError for op::put_item::PutItemError {
    fn refine(&self, mapped: Error) -> Result<Error> {
        Ok(match self {
            Self::ConditionalCheckFailedException(e) => with_old_item(mapped, e.item()),
            _ => mapped,
        })
    }
}

impl OperationError for op::update_item::UpdateItemError {
    fn refine(&self, mapped: Error) -> Result<Error> {
        Ok(match self {
            Self::ConditionalCheckFailedException(e) => with_old_item(mapped, e.item()),
            _ => mapped,
        })
    }
}

impl OperationError for op::delete_item::DeleteItemError {
    fn refine(&self, mapped: Error) -> Result<Error> {
        Ok(match self {
            Self::ConditionalCheckFailedException(e) => with_old_item(mapped, e.item()),
            _ => mapped,
        })
    }
}

impl OperationError for op::transact_write_items::TransactWriteItemsError {
    fn refine(&self, mapped: Error) -> Result<Error> {
        if let Self::TransactionCanceledException(c) = self {
            let reasons = c
                .cancellation_reasons()
                .iter()
                .map(reason)
                .collect::<Result<Vec<_>>>()?;
            if !reasons.is_empty() {
                return Ok(Error::TransactionCanceled { reasons });
            }
        }
        Ok(mapped)
    }
}

/// The response type of every operation.
pub(crate) type Response = aws_sdk_dynamodb::config::http::HttpResponse;

/// True when a transport failure happened before the request left: the connection was
/// refused or could not be made. Then the request certainly was not applied.
fn not_sent(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(e);
    while let Some(e) = next {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionRefused
                    | std::io::ErrorKind::AddrNotAvailable
                    | std::io::ErrorKind::NetworkUnreachable
                    | std::io::ErrorKind::HostUnreachable
            );
        }
        next = e.source();
    }
    false
}

/// A backend error; `maybe_applied` when the request may have been applied although it
/// failed (never for a read: `E::WRITES`).
fn backend(
    retryable: bool,
    maybe_applied: bool,
    e: impl Into<Box<dyn std::error::Error + Send + Sync>>,
) -> Error {
    Error::Backend {
        backend: "dynamodb",
        retryable,
        maybe_applied,
        source: e.into(),
    }
}

/// Whether an HTTP status means the request may have been applied: every server error but
/// 503 (the service refused it).
fn status_maybe_applied(status: u16) -> bool {
    status >= 500 && status != 503
}

/// Maps an SDK error to core's error. `size` is the item's size, for `ItemTooLarge`.
///
/// Classified as AWS classifies: throttling is [`Error::Throttled`]; server errors (HTTP
/// 5xx, `InternalServerError`, `ServiceUnavailable`), transaction conflicts, request
/// timeouts and transport failures are retryable [`Error::Backend`]s; validation and
/// conditions are not retryable. A timeout, a connection lost after sending, a response
/// that could not be read and a server error other than 503 may have been applied.
pub(crate) fn map_error<E>(e: SdkError<E, Response>, size: Option<usize>, table: &str) -> Error
where
    E: OperationError,
{
    match map_any(e, size, table) {
        Error::Backend {
            backend,
            retryable,
            maybe_applied,
            source,
        } => Error::Backend {
            backend,
            retryable,
            maybe_applied: maybe_applied && E::WRITES,
            source,
        },
        other => other,
    }
}

/// [`map_error`], as if every operation wrote.
fn map_any<E>(e: SdkError<E, Response>, size: Option<usize>, table: &str) -> Error
where
    E: OperationError,
{
    let status = e.raw_response().map(|r| r.status().as_u16());
    let service = match &e {
        SdkError::ServiceError(_) => e.as_service_error(),
        SdkError::TimeoutError(_) | SdkError::ResponseError(_) => None,
        // A request the client could not even form (a bad endpoint, say) was not sent, and
        // sending it again fails the same way.
        SdkError::DispatchFailure(d) if d.is_user() => return backend(false, false, e),
        SdkError::DispatchFailure(d) => {
            let sent = !d.as_connector_error().is_some_and(|c| not_sent(c));
            return backend(true, sent, e);
        }
        _ => return backend(false, false, e),
    };
    let Some(service) = service else {
        return backend(true, true, e);
    };
    let message = service.message().unwrap_or_default().to_string();
    let mapped = match service.code().unwrap_or_default() {
        "ConditionalCheckFailedException" => Error::ConditionFailed { item: None },
        // Reasons, when DynamoDB gives them, are added by `OperationError::refine`.
        "TransactionCanceledException" => Error::TransactionCanceled {
            reasons: Vec::new(),
        },
        "ResourceNotFoundException" => Error::TableNotFound {
            table: table.to_string(),
        },
        "ValidationException"
            if message.contains("size has exceeded the maximum allowed size")
                || message.contains("size to update has exceeded") =>
        {
            Error::ItemTooLarge {
                message,
                size: size.unwrap_or(0),
                limit: monotable_core::schema::MAX_ITEM_SIZE,
            }
        }
        "ValidationException" => Error::InvalidRequest { message },
        "IdempotentParameterMismatchException" => Error::IdempotencyMismatch { message },
        "ProvisionedThroughputExceededException"
        | "ThrottlingException"
        | "RequestLimitExceeded"
        | "LimitExceededException" => {
            return Error::Throttled {
                message,
                source: Some(Box::new(e)),
            }
        }
        // Another request is working on the item, or the request was not read in time:
        // nothing was applied.
        "TransactionConflictException" | "RequestTimeout" | "RequestTimeoutException" => {
            return backend(true, false, e)
        }
        "ServiceUnavailable" | "ServiceUnavailableException" => return backend(true, false, e),
        // A transaction with the same token is still under way: it may yet be applied.
        "TransactionInProgressException" | "InternalServerError" | "InternalFailure" => {
            return backend(true, true, e)
        }
        _ => {
            let server = status.is_some_and(|s| s >= 500);
            return backend(server, status.is_some_and(status_maybe_applied), e);
        }
    };
    match service.refine(mapped) {
        Ok(refined) => refined,
        Err(decode) => decode,
    }
}

tokio::task_local! {
    /// Set while a single-item write (PutItem, UpdateItem, DeleteItem) is under way in this
    /// task: [`NoRetryWhenMaybeApplied`] acts only then.
    static SINGLE_WRITE: ();
}

/// Sends `request`, a single-item write, so that the SDK does not send it again once it may
/// have been applied (see [`NoRetryWhenMaybeApplied`]).
///
/// The classifier sits on the client (installed once); this marks the request it acts on.
/// It replaces a per-request `config_override`, which had the SDK layer a configuration
/// onto every write (measured: about 12k instructions, 2.5 %, of a request).
pub(crate) fn once_when_maybe_applied<F: std::future::Future>(
    request: F,
) -> impl std::future::Future<Output = F::Output> {
    SINGLE_WRITE.scope((), request)
}

/// A retry classifier for single-item writes: the SDK must not send again a write that may
/// have been applied (a timeout, a connection lost after sending, an unreadable response,
/// a server error other than 503), since a second `ADD` would count twice. The failure comes
/// back as an error that says it may have been applied. Installed on the client, it acts
/// only on the requests sent through [`once_when_maybe_applied`]; the SDK classifies
/// retries in the task that sends the request, where that mark is visible.
#[derive(Debug)]
pub(crate) struct NoRetryWhenMaybeApplied;

impl ClassifyRetry for NoRetryWhenMaybeApplied {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        if SINGLE_WRITE.try_with(|_| ()).is_err() {
            return RetryAction::NoActionIndicated;
        }
        let Some(Err(err)) = ctx.output_or_error() else {
            return RetryAction::NoActionIndicated;
        };
        let status = ctx.response().map(|r| r.status().as_u16());
        let maybe_applied = err.is_timeout_error()
            || err.is_response_error()
            || err.as_connector_error().is_some_and(|c| !not_sent(c))
            || (err.is_operation_error() && status.is_some_and(status_maybe_applied));
        if maybe_applied {
            RetryAction::RetryForbidden
        } else {
            RetryAction::NoActionIndicated
        }
    }

    fn name(&self) -> &'static str {
        "monotable.no_retry_when_maybe_applied"
    }

    // The default priority: a `RetryForbidden` ends classification wherever it runs, and a
    // later classifier's verdict overrides an earlier one, so this one wins either way.
}

/// The existing item carried by a `ConditionalCheckFailedException`, if any.
fn with_old_item(err: Error, item: Option<&AttributeMap>) -> Error {
    match (err, item) {
        (Error::ConditionFailed { .. }, Some(map)) => Error::ConditionFailed {
            item: from_map(map).ok().map(Box::new),
        },
        (other, _) => other,
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::error::{ConnectorError, ErrorMetadata, SdkError};
    use aws_sdk_dynamodb::operation::get_item::GetItemError;
    use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
    use monotable_core::Error;

    use super::{map_error, Response};

    fn service(code: &str, status: u16) -> Error {
        let err = UpdateItemError::generic(ErrorMetadata::builder().code(code).build());
        let raw = Response::new(status.try_into().expect("status"), "".into());
        map_error(SdkError::service_error(err, raw), None, "t")
    }

    fn transport(kind: std::io::ErrorKind) -> Error {
        let e = ConnectorError::io(Box::new(std::io::Error::from(kind)));
        map_error(
            SdkError::<UpdateItemError, Response>::dispatch_failure(e),
            None,
            "t",
        )
    }

    fn flags(e: &Error) -> (bool, bool) {
        (e.is_retryable(), e.may_have_been_applied())
    }

    #[test]
    fn server_errors_throttling_and_conflicts_are_retryable_as_aws_says() {
        for (code, status, retryable, maybe_applied) in [
            ("InternalServerError", 500, true, true),
            ("InternalFailure", 500, true, true),
            ("ServiceUnavailable", 503, true, false),
            ("ServiceUnavailableException", 503, true, false),
            ("SomethingNew", 502, true, true),
            ("SomethingNew", 503, true, false),
            ("TransactionConflictException", 400, true, false),
            ("TransactionInProgressException", 400, true, true),
            ("RequestTimeout", 400, true, false),
            ("ProvisionedThroughputExceededException", 400, true, false),
            ("ThrottlingException", 400, true, false),
            ("ValidationException", 400, false, false),
            ("ConditionalCheckFailedException", 400, false, false),
            ("AccessDeniedException", 400, false, false),
        ] {
            let e = service(code, status);
            assert_eq!(
                flags(&e),
                (retryable, maybe_applied),
                "{code} {status}: {e:?}"
            );
        }
        assert!(matches!(
            service("ThrottlingException", 400),
            Error::Throttled { .. }
        ));
        assert!(matches!(
            service("ValidationException", 400),
            Error::InvalidRequest { .. }
        ));
    }

    #[test]
    fn a_request_that_never_left_was_not_applied_and_one_that_did_may_have_been() {
        use std::io::ErrorKind;
        assert_eq!(
            flags(&transport(ErrorKind::ConnectionRefused)),
            (true, false)
        );
        assert_eq!(flags(&transport(ErrorKind::ConnectionReset)), (true, true));
        assert_eq!(flags(&transport(ErrorKind::UnexpectedEof)), (true, true));
        let timeout = map_error(
            SdkError::<UpdateItemError, Response>::timeout_error("attempt timeout"),
            None,
            "t",
        );
        assert_eq!(flags(&timeout), (true, true));
        let user = map_error(
            SdkError::<UpdateItemError, Response>::dispatch_failure(ConnectorError::user(
                "bad endpoint".into(),
            )),
            None,
            "t",
        );
        assert_eq!(flags(&user), (false, false));
    }

    #[test]
    fn a_failed_read_was_never_applied() {
        let err =
            GetItemError::generic(ErrorMetadata::builder().code("InternalServerError").build());
        let raw = Response::new(500u16.try_into().expect("status"), "".into());
        let e = map_error(SdkError::service_error(err, raw), None, "t");
        assert_eq!(flags(&e), (true, false));
        let e = map_error(
            SdkError::<GetItemError, Response>::timeout_error("attempt timeout"),
            None,
            "t",
        );
        assert_eq!(flags(&e), (true, false));
    }
}
