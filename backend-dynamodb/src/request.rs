//! The one request skeleton every operation uses: send in a span, record the SDK's retries
//! and the consumed capacity, map the error to core's.

use std::future::Future;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation as op;
use aws_sdk_dynamodb::types as ddb;
use monotable_core::Result;

use crate::error::{map_error, OperationError, Response};
use crate::{trace, DynamoDbRepository};

/// An operation's output: the capacity it reports, if any.
pub(crate) trait Capacity {
    /// The consumed capacity on this table.
    fn capacity(&self) -> Option<&ddb::ConsumedCapacity>;
}

macro_rules! capacity {
    (one: $($t:ty),*) => {$(
        impl Capacity for $t {
            fn capacity(&self) -> Option<&ddb::ConsumedCapacity> {
                self.consumed_capacity()
            }
        }
    )*};
    (list: $($t:ty),*) => {$(
        impl Capacity for $t {
            fn capacity(&self) -> Option<&ddb::ConsumedCapacity> {
                self.consumed_capacity().first()
            }
        }
    )*};
}

capacity!(one:
    op::get_item::GetItemOutput,
    op::put_item::PutItemOutput,
    op::update_item::UpdateItemOutput,
    op::delete_item::DeleteItemOutput,
    op::query::QueryOutput,
    op::scan::ScanOutput
);
capacity!(list:
    op::batch_get_item::BatchGetItemOutput,
    op::batch_write_item::BatchWriteItemOutput,
    op::transact_write_items::TransactWriteItemsOutput,
    op::transact_get_items::TransactGetItemsOutput
);

impl DynamoDbRepository {
    /// Sends one request in a `monotable.request` span named by `operation`, records the
    /// SDK's retries and the consumed capacity, and maps an error to core's (`size` is the
    /// largest item's size, for `ItemTooLarge`).
    pub(crate) async fn send<O, E, F>(
        &self,
        operation: &'static str,
        size: Option<usize>,
        request: F,
    ) -> Result<O>
    where
        F: Future<Output = std::result::Result<O, SdkError<E, Response>>>,
        E: OperationError,
        O: Capacity,
    {
        let (out, span) = trace::traced(trace::span(self.table(), operation), request).await;
        let out = out.map_err(|e| map_error(e, size, self.table()))?;
        trace::record_capacity(&span, out.capacity());
        Ok(out)
    }
}
