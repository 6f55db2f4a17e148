//! The entity-level writes behind [`RepositoryExt`](super::RepositoryExt): each sends the
//! plan `entity::write` makes, through the unique-field guards when the entity has them,
//! and names a failed condition by what was stored.

use crate::api::query::decode_lent;
use crate::api::{batch, unique, RepositoryExt};
use crate::entity::write::{self, Planned};
use crate::entity::{self, Entity};
use crate::error::{Error, Result};
use crate::expr::{Condition, Update};
use crate::item::{Item, Value};
use crate::repository::*;

/// Sends a planned write as one update and decodes the entity as stored.
pub(super) async fn send<R: Repository + ?Sized, E: Entity>(repo: &R, plan: Planned) -> Result<E> {
    let item = repo
        .update_item(UpdateItem {
            key: plan.key.clone(),
            update: plan.update,
            condition: plan.condition,
            return_values: ReturnValues::AllNew,
            return_old_on_condition_failure: true,
        })
        .await
        .map_err(|e| write::condition_error::<E>(e, &plan.key, &plan.expect))?
        .unwrap_or_default();
    entity::decode::<E>(&item)
}

pub(super) async fn get_entity<R: Repository + ?Sized, E: Entity>(
    repo: &R,
    key: &E::Key,
    consistent_read: bool,
) -> Result<Option<E>> {
    let key = entity::primary_key_of::<E>(repo.schema(), key)?;
    let mut found = None;
    let request = GetItem {
        key,
        consistent_read,
        ..Default::default()
    };
    repo.get_item_with(request, &mut |lent| {
        found = decode_lent::<E>(lent)?;
        Ok(())
    })
    .await?;
    Ok(found)
}

/// An update of `E`; an entity with a validation hook is read, updated locally, validated,
/// and written only if unchanged since the read.
pub(super) async fn write_update<R: Repository + ?Sized, E: Entity>(
    repo: &R,
    key: &E::Key,
    update: Update,
    expected: Option<u64>,
    condition: Option<Condition>,
    must_exist: bool,
) -> Result<E> {
    let now = entity::now_iso8601();
    // A validation hook needs the whole entity, and an index key using a timestamp the
    // stored attributes: both read the item first and write only if it is unchanged.
    let old = if E::VALIDATES || entity::timestamps_in_index_keys::<E>() {
        let table_key = entity::primary_key_of::<E>(repo.schema(), key)?;
        Some(read_stored(repo, table_key).await?)
    } else {
        None
    };
    let stored = old.as_ref().and_then(Option::as_ref);
    let mut plan = write::update::<E>(
        repo.schema(),
        key,
        update,
        expected,
        condition,
        must_exist,
        write::UpdateTime { now: &now, stored },
    )?;
    if let Some(old) = &old {
        if plan.expect.must_exist && old.is_none() {
            return Err(write::condition_error::<E>(
                Error::ConditionFailed { item: None },
                &plan.key,
                &plan.expect,
            ));
        }
        if let Some(other) = old.as_ref().filter(|o| !entity::is_entity::<E>(o)) {
            // An item of another entity type: the write's guard would refuse it.
            return Err(Error::ConditionFailed {
                item: Some(Box::new(other.clone())),
            });
        }
        if E::VALIDATES {
            let applied = crate::raw::eval::apply_update(stored, &plan.key, &plan.update)?;
            let entity: E = entity::decode::<E>(&applied.item)?;
            entity.validate()?;
        }
        plan.condition = Some(and_unchanged::<E>(repo.schema(), plan.condition, stored));
    }
    if unique::has_unique_fields::<E>() {
        return unique::update::<R, E>(repo, plan, None).await;
    }
    send(repo, plan).await
}

/// The item stored at `key`, read consistently, for a write that must know it.
pub(super) async fn read_stored<R: Repository + ?Sized>(
    repo: &R,
    key: Item,
) -> Result<Option<Item>> {
    repo.get_item(GetItem {
        key,
        consistent_read: true,
        ..Default::default()
    })
    .await
}

/// `condition` (if any) and the item still being as it was read (`old`): a write planned
/// from a read goes through only if nothing changed in between.
pub(super) fn and_unchanged<E: Entity>(
    schema: &crate::schema::TableSchema,
    condition: Option<Condition>,
    old: Option<&Item>,
) -> Condition {
    let unchanged = write::unchanged::<E>(schema, old);
    match condition {
        Some(c) => c.and(unchanged),
        None => unchanged,
    }
}

pub(super) async fn delete_entity<R: Repository + ?Sized, E: Entity>(
    repo: &R,
    key: &E::Key,
    expected: Option<u64>,
    condition: Option<Condition>,
) -> Result<Option<E>> {
    let (key, condition, expect) = write::delete::<E>(repo.schema(), key, expected, condition)?;
    if unique::has_unique_fields::<E>() {
        return unique::delete::<R, E>(repo, key, condition, expect).await;
    }
    let old = repo
        .delete_item(DeleteItem {
            key: key.clone(),
            condition,
            return_values: ReturnValues::AllOld,
            return_old_on_condition_failure: true,
        })
        .await
        .map_err(|e| write::condition_error::<E>(e, &key, &expect))?;
    old.map(|i| entity::decode::<E>(&i)).transpose()
}

pub(super) fn refuse_versioned_batch<E: Entity>() -> Result<()> {
    unique::refuse::<E>("a batch write")?;
    match E::options().version_attribute {
        Some(v) => Err(entity::validation_error::<E>(
            v,
            "a batch write carries no condition, so it cannot check versions: use a \
             transaction, or the batch's _ignoring_versions form",
        )),
        None => Ok(()),
    }
}

pub(super) async fn batch_put_entities<R: Repository + ?Sized, E: Entity>(
    repo: &R,
    entities: &[E],
) -> Result<()> {
    unique::refuse::<E>("a batch write")?;
    let now = entity::now_iso8601();
    let options = E::options();
    let mut items = Vec::with_capacity(entities.len());
    for e in entities {
        let mut item = entity::entity_item(repo.schema(), e, &now)?;
        if let (Some(v), Some(n)) = (options.version_attribute, write::version_of::<E>(&item)?) {
            let next = n
                .checked_add(&crate::item::Number::from(1))
                .map_err(|e| entity::validation_error::<E>(v, e.to_string()))?;
            item.insert(v.to_string(), Value::N(next));
        }
        items.push(item);
    }
    if let Some(created) = options.created_attribute {
        // Keep the creation time of items that exist: read it first.
        let keys: Vec<Item> = items.iter().map(|i| repo.schema().key_of(i)).collect();
        let stored = batch::get_items(repo, keys).await?;
        let created_at: std::collections::HashMap<Vec<Option<&Value>>, &Value> = stored
            .iter()
            .filter_map(|i| Some((batch::key_values(repo.schema(), i), i.get(created)?)))
            .collect();
        let recompose = entity::created_in_index_keys::<E>().is_some();
        for (item, e) in items.iter_mut().zip(entities) {
            let stored_created = created_at.get(&batch::key_values(repo.schema(), item));
            if let Some(c) = stored_created.map(|&c| c.clone()) {
                if recompose {
                    // An index key uses the creation time: compose it with the stored one.
                    let version = item.get(options.version_attribute.unwrap_or("")).cloned();
                    *item = entity::entity_item_created(repo.schema(), e, &now, Some(&c))?;
                    if let (Some(v), Some(n)) = (options.version_attribute, version) {
                        item.insert(v.to_string(), n);
                    }
                }
                item.insert(created.to_string(), c);
            }
        }
    }
    repo.batch_write(items.into_iter().map(WriteRequest::Put).collect())
        .await
}

pub(super) async fn rekey_entity<R: Repository + ?Sized, E: Entity>(
    repo: &R,
    from: &E::Key,
    to: &E,
) -> Result<E> {
    unique::refuse::<E>("rekey")?;
    let schema = repo.schema();
    let old_key = entity::primary_key_of::<E>(schema, from)?;
    let not_found = || Error::NotFound {
        entity: E::ENTITY_TYPE.to_string(),
        key: write::key_string(&old_key),
    };
    let old = read_stored(repo, old_key.clone())
        .await?
        .filter(|i| entity::is_entity::<E>(i))
        .ok_or_else(not_found)?;
    let now = entity::now_iso8601();
    let (mut item, free) = write::create(schema, to, &now)?;
    let new_key = schema.key_of(&item);
    if new_key == old_key {
        return Err(Error::invalid(
            "rekey: the new entity has the same key as the old one; use put",
        ));
    }
    let options = E::options();
    if let Some(c) = options.created_attribute {
        if let Some(v) = old.get(c) {
            if entity::created_in_index_keys::<E>().is_some() {
                // An index key uses the creation time: compose it with the kept one.
                let decoded: E = entity::decode::<E>(&item)?;
                item = entity::entity_item_created(schema, &decoded, &now, Some(v))?;
            }
            item.insert(c.to_string(), v.clone());
        }
    }
    let old_version = write::version_of::<E>(&old)?;
    if let (Some(v), Some(n)) = (options.version_attribute, &old_version) {
        let next = n
            .checked_add(&crate::item::Number::from(1))
            .map_err(|e| entity::validation_error::<E>(v, e.to_string()))?;
        item.insert(v.to_string(), Value::N(next));
    }
    let expect = write::Expect {
        version: old_version,
        must_exist: true,
    };
    let unchanged = write::unchanged::<E>(schema, Some(&old));
    let delete_condition = write::guard::<E>(schema, &expect, Some(unchanged));
    let request = TransactWrite {
        items: vec![
            TransactWriteItem::Delete {
                key: old_key.clone(),
                condition: delete_condition,
                return_old_on_condition_failure: false,
            },
            TransactWriteItem::Put {
                item: item.clone(),
                condition: Some(free),
                return_old_on_condition_failure: false,
            },
        ],
        client_request_token: None,
    };
    match repo.transact_write_items(request).await {
        Err(Error::TransactionCanceled { reasons })
            if reasons.get(1).is_some_and(|r| {
                r.code == crate::error::CancellationCode::ConditionalCheckFailed
            }) =>
        {
            Err(Error::AlreadyExists {
                entity: E::ENTITY_TYPE.to_string(),
                key: write::key_string(&new_key),
            })
        }
        Err(e) => Err(e),
        Ok(()) => entity::decode::<E>(&item),
    }
}
