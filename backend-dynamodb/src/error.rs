//! Mapping the SDK's errors to [`monotable_core::Error`].

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
}

impl OperationError for op::get_item::GetItemError {}
impl OperationError for op::query::QueryError {}
impl OperationError for op::scan::ScanError {}
impl OperationError for op::batch_get_item::BatchGetItemError {}
impl OperationError for op::batch_write_item::BatchWriteItemError {}
impl OperationError for op::transact_get_items::TransactGetItemsError {}
impl OperationError for op::describe_table::DescribeTableError {}
impl OperationError for op::create_table::CreateTableError {}
impl OperationError for op::update_time_to_live::UpdateTimeToLiveError {}

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

/// Maps an SDK error to core's error. `size` is the item's size, for `ItemTooLarge`.
pub(crate) fn map_error<E, R>(e: SdkError<E, R>, size: Option<usize>, table: &str) -> Error
where
    E: OperationError,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let Some(service) = e.as_service_error() else {
        let retryable = matches!(
            e,
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_)
        );
        return Error::backend("dynamodb", retryable, e);
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
        _ => return Error::backend("dynamodb", false, e),
    };
    match service.refine(mapped) {
        Ok(refined) => refined,
        Err(decode) => decode,
    }
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
