//! TransactWriteItems and TransactGetItems.

use aws_sdk_dynamodb::types as ddb;
use monotable_core::{
    CancellationCode, CancellationReason, Error, Item, Result, TransactWrite, TransactWriteItem,
};

use crate::convert::{from_map, on_failure, to_map, Rendered};
use crate::error::build_error;
use crate::DynamoDbRepository;

/// The attribute an empty transactional update removes (see `transact_item`).
const NO_OP_ATTRIBUTE: &str = "__monotable_no_op";

fn transact_item(table: &str, action: TransactWriteItem) -> Result<ddb::TransactWriteItem> {
    let mut r = Rendered::default();
    let table = table.to_string();
    let fail = on_failure(action.return_old_on_condition_failure());
    let b = ddb::TransactWriteItem::builder();
    let b = match action {
        TransactWriteItem::Put {
            item, condition, ..
        } => {
            let c = r.condition(&condition);
            b.put(
                ddb::Put::builder()
                    .table_name(table)
                    .set_item(Some(to_map(item)))
                    .set_condition_expression(c)
                    .set_expression_attribute_names(r.names())
                    .set_expression_attribute_values(r.values())
                    .set_return_values_on_condition_check_failure(fail)
                    .build()
                    .map_err(build_error)?,
            )
        }
        TransactWriteItem::Update {
            key,
            update,
            condition,
            ..
        } => {
            // TransactWriteItems requires an update expression; an empty update (an upsert of
            // the key alone, as UpdateItem allows) becomes the removal of an attribute no
            // item has, which changes nothing and creates the item if absent.
            let u = if update.is_empty() {
                format!("REMOVE {}", r.builder.name(NO_OP_ATTRIBUTE))
            } else {
                r.builder.update(&update)
            };
            let c = r.condition(&condition);
            b.update(
                ddb::Update::builder()
                    .table_name(table)
                    .set_key(Some(to_map(key)))
                    .update_expression(u)
                    .set_condition_expression(c)
                    .set_expression_attribute_names(r.names())
                    .set_expression_attribute_values(r.values())
                    .set_return_values_on_condition_check_failure(fail)
                    .build()
                    .map_err(build_error)?,
            )
        }
        TransactWriteItem::Delete { key, condition, .. } => {
            let c = r.condition(&condition);
            b.delete(
                ddb::Delete::builder()
                    .table_name(table)
                    .set_key(Some(to_map(key)))
                    .set_condition_expression(c)
                    .set_expression_attribute_names(r.names())
                    .set_expression_attribute_values(r.values())
                    .set_return_values_on_condition_check_failure(fail)
                    .build()
                    .map_err(build_error)?,
            )
        }
        TransactWriteItem::ConditionCheck { key, condition, .. } => {
            let c = r.builder.condition(&condition);
            b.condition_check(
                ddb::ConditionCheck::builder()
                    .table_name(table)
                    .set_key(Some(to_map(key)))
                    .condition_expression(c)
                    .set_expression_attribute_names(r.names())
                    .set_expression_attribute_values(r.values())
                    .set_return_values_on_condition_check_failure(fail)
                    .build()
                    .map_err(build_error)?,
            )
        }
    };
    Ok(b.build())
}

pub(crate) async fn transact_write_items(
    repo: &DynamoDbRepository,
    request: TransactWrite,
) -> Result<()> {
    let size = request
        .items
        .iter()
        .filter_map(|a| match a {
            TransactWriteItem::Put { item, .. } => Some(item.size()),
            _ => None,
        })
        .max();
    let items = request
        .items
        .into_iter()
        .map(|a| transact_item(repo.table(), a))
        .collect::<Result<Vec<_>>>()?;
    // One token for every attempt, the SDK's and this loop's: an attempt that was applied
    // is not applied again.
    let token = request.client_request_token.unwrap_or_else(new_token);
    let attempts = repo.retries.transaction_attempts.max(1);
    let mut attempt = 1;
    loop {
        let sent = repo
            .send(
                "TransactWriteItems",
                size,
                repo.client
                    .transact_write_items()
                    .set_transact_items(Some(items.clone()))
                    .client_request_token(&token)
                    .set_return_consumed_capacity(crate::trace::capacity_wanted())
                    .send(),
            )
            .await;
        match sent {
            Err(Error::TransactionCanceled { reasons })
                if attempt < attempts && conflict_only(&reasons) =>
            {
                tokio::time::sleep(repo.retries.backoff(attempt - 1)).await;
                attempt += 1;
            }
            other => return other.map(|_| ()),
        }
    }
}

/// True when a cancelled transaction met only conflicts with other transactions (and
/// throttling): the same request may succeed later. A failed condition or a validation
/// error would fail again.
fn conflict_only(reasons: &[CancellationReason]) -> bool {
    reasons
        .iter()
        .any(|r| r.code == CancellationCode::TransactionConflict)
        && reasons.iter().all(|r| {
            matches!(
                r.code,
                CancellationCode::None
                    | CancellationCode::TransactionConflict
                    | CancellationCode::ThrottlingError
            )
        })
}

/// A fresh client request token (34 characters; DynamoDB allows 36): 64 random bits and
/// the time in nanoseconds.
fn new_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    format!("mt{random:016x}{nanos:016x}")
}

pub(crate) async fn transact_get_items(
    repo: &DynamoDbRepository,
    keys: Vec<Item>,
) -> Result<Vec<Option<Item>>> {
    let items = keys
        .into_iter()
        .map(|k| {
            let get = ddb::Get::builder()
                .table_name(repo.table())
                .set_key(Some(to_map(k)))
                .build()
                .map_err(build_error)?;
            Ok(ddb::TransactGetItem::builder().get(get).build())
        })
        .collect::<Result<Vec<_>>>()?;
    let out = repo
        .send(
            "TransactGetItems",
            None,
            repo.client
                .transact_get_items()
                .set_transact_items(Some(items))
                .set_return_consumed_capacity(crate::trace::capacity_wanted())
                .send(),
        )
        .await?;
    out.responses()
        .iter()
        .map(|r| r.item().map(from_map).transpose())
        .collect()
}
