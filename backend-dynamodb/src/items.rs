//! Single-item requests, queries and scans.

use aws_sdk_dynamodb::types as ddb;
use monotable_core::{DeleteItem, GetItem, Item, Page, PutItem, Query, Result, Scan, UpdateItem};

use crate::convert::{into_item, limit, on_failure, page, return_values, to_map, Rendered};
use crate::error::once_when_maybe_applied;
use crate::DynamoDbRepository;

pub(crate) async fn get_item(repo: &DynamoDbRepository, request: GetItem) -> Result<Option<Item>> {
    let mut r = Rendered::default();
    let projection = r.projection(&request.projection);
    let out = repo
        .send(
            "GetItem",
            None,
            repo.client
                .get_item()
                .table_name(repo.table())
                .set_key(Some(to_map(request.key)))
                .set_projection_expression(projection)
                .set_expression_attribute_names(r.names())
                .set_consistent_read(request.consistent_read.then_some(true))
                .set_return_consumed_capacity(crate::trace::capacity_wanted())
                .send(),
        )
        .await?;
    out.item.map(into_item).transpose()
}

pub(crate) async fn put_item(repo: &DynamoDbRepository, request: PutItem) -> Result<Option<Item>> {
    let mut r = Rendered::default();
    let condition = r.condition(&request.condition);
    let size = request.item.size();
    let out = repo
        .send(
            "PutItem",
            Some(size),
            once_when_maybe_applied(
                repo.client
                    .put_item()
                    .table_name(repo.table())
                    .set_item(Some(to_map(request.item)))
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(r.names())
                    .set_expression_attribute_values(r.values())
                    .set_return_values(return_values(request.return_values))
                    .set_return_values_on_condition_check_failure(on_failure(
                        request.return_old_on_condition_failure,
                    ))
                    .set_return_consumed_capacity(crate::trace::capacity_wanted())
                    .send(),
            ),
        )
        .await?;
    out.attributes.map(into_item).transpose()
}

pub(crate) async fn update_item(
    repo: &DynamoDbRepository,
    request: UpdateItem,
) -> Result<Option<Item>> {
    let mut r = Rendered::default();
    let update = (!request.update.is_empty()).then(|| r.builder.update(&request.update));
    let condition = r.condition(&request.condition);
    let out = repo
        .send(
            "UpdateItem",
            None,
            once_when_maybe_applied(
                repo.client
                    .update_item()
                    .table_name(repo.table())
                    .set_key(Some(to_map(request.key)))
                    .set_update_expression(update)
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(r.names())
                    .set_expression_attribute_values(r.values())
                    .set_return_values(return_values(request.return_values))
                    .set_return_values_on_condition_check_failure(on_failure(
                        request.return_old_on_condition_failure,
                    ))
                    .set_return_consumed_capacity(crate::trace::capacity_wanted())
                    .send(),
            ),
        )
        .await?;
    match out.attributes {
        Some(a) if !a.is_empty() => into_item(a).map(Some),
        _ => Ok(None),
    }
}

pub(crate) async fn delete_item(
    repo: &DynamoDbRepository,
    request: DeleteItem,
) -> Result<Option<Item>> {
    let mut r = Rendered::default();
    let condition = r.condition(&request.condition);
    let out = repo
        .send(
            "DeleteItem",
            None,
            once_when_maybe_applied(
                repo.client
                    .delete_item()
                    .table_name(repo.table())
                    .set_key(Some(to_map(request.key)))
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(r.names())
                    .set_expression_attribute_values(r.values())
                    .set_return_values(return_values(request.return_values))
                    .set_return_values_on_condition_check_failure(on_failure(
                        request.return_old_on_condition_failure,
                    ))
                    .set_return_consumed_capacity(crate::trace::capacity_wanted())
                    .send(),
            ),
        )
        .await?;
    out.attributes.map(into_item).transpose()
}

pub(crate) async fn query(repo: &DynamoDbRepository, request: Query) -> Result<Page> {
    let index = match &request.index {
        Some(name) => Some(repo.schema.index(name)?.1),
        None => None,
    };
    let keys = repo.schema.query_keys(index);
    // A condition built in code may not fit the keys: refuse it as DynamoDB would.
    monotable_core::raw::validate::check_key_condition_shape(keys, &request.key_condition)?;
    let mut r = Rendered::default();
    let kc = r.builder.key_condition(&request.key_condition, keys);
    let filter = request.filter.as_ref().map(|f| r.builder.condition(f));
    let projection = r.projection(&request.projection);
    let out = repo
        .send(
            "Query",
            None,
            repo.client
                .query()
                .table_name(repo.table())
                .set_index_name(request.index.clone())
                .key_condition_expression(kc)
                .set_filter_expression(filter)
                .set_projection_expression(projection)
                .set_expression_attribute_names(r.names())
                .set_expression_attribute_values(r.values())
                .set_scan_index_forward((!request.forward).then_some(false))
                .set_limit(limit(request.limit))
                .set_exclusive_start_key(request.exclusive_start_key.map(to_map))
                .set_select(request.count_only.then_some(ddb::Select::Count))
                .set_consistent_read(request.consistent_read.then_some(true))
                .set_return_consumed_capacity(crate::trace::capacity_wanted())
                .send(),
        )
        .await?;
    page(
        out.items,
        out.count,
        out.scanned_count,
        out.last_evaluated_key,
    )
}

pub(crate) async fn scan(repo: &DynamoDbRepository, request: Scan) -> Result<Page> {
    let mut r = Rendered::default();
    let filter = request.filter.as_ref().map(|f| r.builder.condition(f));
    let projection = r.projection(&request.projection);
    let (segment, total) = match request.segment {
        Some(s) => (Some(s.segment as i32), Some(s.total as i32)),
        None => (None, None),
    };
    let out = repo
        .send(
            "Scan",
            None,
            repo.client
                .scan()
                .table_name(repo.table())
                .set_index_name(request.index.clone())
                .set_filter_expression(filter)
                .set_projection_expression(projection)
                .set_expression_attribute_names(r.names())
                .set_expression_attribute_values(r.values())
                .set_limit(limit(request.limit))
                .set_exclusive_start_key(request.exclusive_start_key.map(to_map))
                .set_segment(segment)
                .set_total_segments(total)
                .set_select(request.count_only.then_some(ddb::Select::Count))
                .set_consistent_read(request.consistent_read.then_some(true))
                .set_return_consumed_capacity(crate::trace::capacity_wanted())
                .send(),
        )
        .await?;
    page(
        out.items,
        out.count,
        out.scanned_count,
        out.last_evaluated_key,
    )
}
