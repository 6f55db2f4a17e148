//! BatchGetItem and BatchWriteItem: one request each, unprocessed work handed back to the
//! caller (core's batch helpers retry it).

use aws_sdk_dynamodb::types as ddb;
use monotable_core::{BatchGetOutput, BatchWriteOutput, Item, Path, Result, WriteRequest};

use crate::convert::{from_map, into_item, to_map, Rendered};
use crate::error::build_error;
use crate::DynamoDbRepository;

fn keys_and_attributes(
    keys: Vec<Item>,
    projection: &Option<Vec<Path>>,
) -> Result<ddb::KeysAndAttributes> {
    let mut r = Rendered::default();
    let projection = r.projection(projection);
    ddb::KeysAndAttributes::builder()
        .set_keys(Some(keys.into_iter().map(to_map).collect()))
        .set_projection_expression(projection)
        .set_expression_attribute_names(r.names())
        .build()
        .map_err(build_error)
}

pub(crate) async fn batch_get_item(
    repo: &DynamoDbRepository,
    keys: Vec<Item>,
    projection: Option<Vec<Path>>,
) -> Result<BatchGetOutput> {
    let request = keys_and_attributes(keys, &projection)?;
    let out = repo
        .send(
            "BatchGetItem",
            None,
            repo.client
                .batch_get_item()
                .request_items(repo.table(), request)
                .set_return_consumed_capacity(crate::trace::capacity_wanted())
                .send(),
        )
        .await?;
    let items = out
        .responses
        .and_then(|mut r| r.remove(repo.table()))
        .map(|items| items.into_iter().map(into_item).collect::<Result<Vec<_>>>())
        .transpose()?
        .unwrap_or_default();
    let unprocessed_keys = out
        .unprocessed_keys
        .as_ref()
        .and_then(|u| u.get(repo.table()))
        .map(|k| k.keys().iter().map(from_map).collect::<Result<Vec<_>>>())
        .transpose()?
        .unwrap_or_default();
    Ok(BatchGetOutput {
        items,
        unprocessed_keys,
    })
}

pub(crate) async fn batch_write_item(
    repo: &DynamoDbRepository,
    writes: Vec<WriteRequest>,
) -> Result<BatchWriteOutput> {
    let size = writes
        .iter()
        .map(|w| match w {
            WriteRequest::Put(i) => i.size(),
            WriteRequest::Delete(_) => 0,
        })
        .max();
    let requests = writes
        .into_iter()
        .map(|w| {
            let b = ddb::WriteRequest::builder();
            Ok(match w {
                WriteRequest::Put(item) => b.put_request(
                    ddb::PutRequest::builder()
                        .set_item(Some(to_map(item)))
                        .build()
                        .map_err(build_error)?,
                ),
                WriteRequest::Delete(key) => b.delete_request(
                    ddb::DeleteRequest::builder()
                        .set_key(Some(to_map(key)))
                        .build()
                        .map_err(build_error)?,
                ),
            }
            .build())
        })
        .collect::<Result<Vec<_>>>()?;
    let out = repo
        .send(
            "BatchWriteItem",
            size,
            repo.client
                .batch_write_item()
                .request_items(repo.table(), requests)
                .set_return_consumed_capacity(crate::trace::capacity_wanted())
                .send(),
        )
        .await?;
    let unprocessed = out
        .unprocessed_items()
        .and_then(|u| u.get(repo.table()))
        .map(|writes| {
            writes
                .iter()
                .filter_map(|w| match (w.put_request(), w.delete_request()) {
                    (Some(p), _) => Some(from_map(p.item()).map(WriteRequest::Put)),
                    (_, Some(d)) => Some(from_map(d.key()).map(WriteRequest::Delete)),
                    _ => None,
                })
                .collect::<Result<Vec<_>>>()
        })
        .transpose()?
        .unwrap_or_default();
    Ok(BatchWriteOutput { unprocessed })
}
