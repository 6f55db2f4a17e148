//! Unique fields (OneTable's `unique`): each value of a unique field is held by a guard item
//! `_UNIQUE#<Entity>#<field>#<value>`, written, swapped and removed in the same transaction
//! as the entity, so a failed or cancelled write leaves no guard behind and no value
//! unguarded. Writes of such entities read the stored item first (to know the values to
//! release) and commit only if it did not change in between.

use std::collections::BTreeMap;

use crate::api::{Transaction, TransactionContext};
use crate::entity::write::{self, Expect, Planned};
use crate::entity::{self, Entity};
use crate::error::{CancellationCode, Error, Result};
use crate::expr::{Path, SetValue, Update, UpdateAction, UpdateOperand};
use crate::item::{Item, Value};
use crate::repository::{GetItem, Repository, TransactWriteItem};
use crate::schema::{KeyType, TableSchema};

/// The entity type stored on guard items.
pub const GUARD_ENTITY_TYPE: &str = "_Unique";

/// The text of a unique value in its guard's key.
fn value_text(v: &Value) -> String {
    match v {
        Value::S(s) => s.clone(),
        Value::N(n) => n.to_string(),
        other => other.to_json().to_string(),
    }
}

/// The key of the guard for `field` = `value` of entity `E`.
pub fn guard_key<E: Entity>(schema: &TableSchema, field: &str, value: &Value) -> Result<Item> {
    let not_string = || Error::Configuration {
        message: format!(
            "unique fields of {} need a table whose key attributes are strings",
            E::ENTITY_TYPE
        ),
    };
    if schema.partition_key.key_type != KeyType::S {
        return Err(not_string());
    }
    let mut key = Item::new();
    key.insert(
        schema.partition_key.name.clone(),
        Value::S(format!(
            "_UNIQUE#{}#{field}#{}",
            E::ENTITY_TYPE,
            value_text(value)
        )),
    );
    if let Some(sk) = &schema.sort_key {
        if sk.key_type != KeyType::S {
            return Err(not_string());
        }
        key.insert(sk.name.clone(), Value::from("_UNIQUE"));
    }
    Ok(key)
}

/// True if `E` declares unique fields.
pub(crate) fn has_unique_fields<E: Entity>() -> bool {
    !E::UNIQUE.is_empty()
}

/// The unique values an item holds (absent and NULL values hold none).
fn values_of<E: Entity>(item: Option<&Item>) -> BTreeMap<&'static str, Value> {
    let mut out = BTreeMap::new();
    if let Some(item) = item {
        for f in E::UNIQUE {
            match item.get(*f) {
                None | Some(Value::Null) => {}
                Some(v) => {
                    out.insert(*f, v.clone());
                }
            }
        }
    }
    out
}

/// The unique values after an update: its literal SETs and REMOVEs of unique fields over
/// the old values. An update that computes a unique value (`if_not_exists`, arithmetic,
/// nested paths) is refused: its value cannot be guarded before it is known.
fn values_after_update<E: Entity>(
    old: &BTreeMap<&'static str, Value>,
    update: &Update,
) -> Result<BTreeMap<&'static str, Value>> {
    let mut out = old.clone();
    for action in &update.actions {
        let root = action.path().root();
        let Some(field) = E::UNIQUE.iter().find(|f| **f == root) else {
            continue;
        };
        match action {
            UpdateAction::Set(p, SetValue::Operand(UpdateOperand::Value(v)))
                if p.rest().is_empty() =>
            {
                if matches!(v, Value::Null) {
                    out.remove(field);
                } else {
                    out.insert(field, v.clone());
                }
            }
            UpdateAction::Remove(p) if p.rest().is_empty() => {
                out.remove(field);
            }
            _ => {
                return Err(entity::validation_error::<E>(
                    field,
                    "a unique field can only be set to a value or removed",
                ))
            }
        }
    }
    Ok(out)
}

/// Adds the guard actions that move `old` unique values to `new` ones.
fn push_guards<E: Entity>(
    tx: &mut Transaction,
    schema: &TableSchema,
    owner: &Item,
    old: &BTreeMap<&'static str, Value>,
    new: &BTreeMap<&'static str, Value>,
) -> Result<Vec<(&'static str, Value)>> {
    let mut claimed = Vec::new();
    // Releases first, then claims: the claims are the transaction's last actions.
    for field in E::UNIQUE {
        let (before, after) = (old.get(field), new.get(field));
        if let (Some(v), true) = (before, before != after) {
            tx.push(TransactWriteItem::Delete {
                key: guard_key::<E>(schema, field, v)?,
                condition: None,
                return_old_on_condition_failure: false,
            })?;
        }
    }
    for field in E::UNIQUE {
        let (before, after) = (old.get(field), new.get(field));
        if let (Some(v), true) = (after, before != after) {
            let key = guard_key::<E>(schema, field, v)?;
            let mut guard = key.clone();
            guard.insert("_et".to_string(), Value::from(GUARD_ENTITY_TYPE));
            guard.insert(
                "owner".to_string(),
                Value::from(write::key_string(owner).as_str()),
            );
            tx.push(TransactWriteItem::Put {
                item: guard,
                condition: Some(Path::attr(schema.partition_key.name.clone()).not_exists()),
                return_old_on_condition_failure: false,
            })?;
            claimed.push((*field, v.clone()));
        }
    }
    Ok(claimed)
}

/// Commits `tx` (whose first action is the entity's) and names a failure: the entity's
/// condition as the single-item paths do, a taken guard as [`Error::UniqueViolation`].
async fn commit<R: Repository + ?Sized, E: Entity>(
    repo: &R,
    tx: Transaction,
    key: &Item,
    expect: &Expect,
    claimed: &[(&'static str, Value)],
    creating: bool,
) -> Result<()> {
    use crate::api::RepositoryExt;
    // Guards come after the entity's action and the deletions of released guards.
    let first_claim = tx.len() - claimed.len();
    match repo.commit(tx).await {
        Err(Error::TransactionCanceled { reasons }) => {
            for (i, r) in reasons.iter().enumerate() {
                if r.code != CancellationCode::ConditionalCheckFailed {
                    continue;
                }
                if i == 0 {
                    if creating {
                        return Err(Error::AlreadyExists {
                            entity: E::ENTITY_TYPE.to_string(),
                            key: write::key_string(key),
                        });
                    }
                    let item = r.item.clone().map(Box::new);
                    return Err(write::condition_error::<E>(
                        Error::ConditionFailed { item },
                        key,
                        expect,
                    ));
                }
                if let Some((field, value)) =
                    i.checked_sub(first_claim).and_then(|j| claimed.get(j))
                {
                    let value = if E::SENSITIVE.contains(field) {
                        "<redacted>".to_string()
                    } else {
                        value_text(value)
                    };
                    return Err(Error::UniqueViolation {
                        entity: E::ENTITY_TYPE.to_string(),
                        field: field.to_string(),
                        value,
                    });
                }
            }
            Err(Error::TransactionCanceled { reasons })
        }
        other => other,
    }
}

async fn read<R: Repository + ?Sized>(repo: &R, key: &Item) -> Result<Option<Item>> {
    repo.get_item(GetItem {
        key: key.clone(),
        consistent_read: true,
        ..Default::default()
    })
    .await
}

/// `create` of an entity with unique fields: the entity and one guard per value, at once.
pub(crate) async fn create<R: Repository + ?Sized, E: Entity>(
    repo: &R,
    item: Item,
    condition: crate::expr::Condition,
) -> Result<()> {
    let key = repo.schema().key_of(&item);
    let new = values_of::<E>(Some(&item));
    let mut tx = Transaction::new(repo.schema());
    tx.push(TransactWriteItem::Put {
        item,
        condition: Some(condition),
        return_old_on_condition_failure: false,
    })?;
    let claimed = push_guards::<E>(&mut tx, repo.schema(), &key, &BTreeMap::new(), &new)?;
    commit::<R, E>(repo, tx, &key, &Expect::default(), &claimed, true).await
}

/// A planned update (a put or an update) of an entity with unique fields: read the stored
/// item, write the entity if unchanged, swap the guards of the values that change.
pub(crate) async fn update<R: Repository + ?Sized, E: Entity>(
    repo: &R,
    plan: Planned,
    put_item: Option<&Item>,
) -> Result<E> {
    let old = read(repo, &plan.key).await?;
    if let Some(other) = old.as_ref().filter(|o| !entity::is_entity::<E>(o)) {
        return Err(Error::ConditionFailed {
            item: Some(Box::new(other.clone())),
        });
    }
    let before = values_of::<E>(old.as_ref());
    let after = match put_item {
        Some(item) => values_of::<E>(Some(item)),
        None => values_after_update::<E>(&before, &plan.update)?,
    };
    let unchanged = write::unchanged::<E>(repo.schema(), old.as_ref());
    let mut tx = Transaction::new(repo.schema());
    tx.push(TransactWriteItem::Update {
        key: plan.key.clone(),
        update: plan.update,
        condition: Some(match plan.condition {
            Some(c) => c.and(unchanged),
            None => unchanged,
        }),
        return_old_on_condition_failure: true,
    })?;
    let claimed = push_guards::<E>(&mut tx, repo.schema(), &plan.key, &before, &after)?;
    commit::<R, E>(repo, tx, &plan.key, &plan.expect, &claimed, false).await?;
    read(repo, &plan.key)
        .await?
        .ok_or_else(|| Error::NotFound {
            entity: E::ENTITY_TYPE.to_string(),
            key: write::key_string(&plan.key),
        })
        .and_then(|item| entity::decode::<E>(&item))
}

/// `delete` of an entity with unique fields: the entity, if unchanged since read, and its
/// guards, at once.
pub(crate) async fn delete<R: Repository + ?Sized, E: Entity>(
    repo: &R,
    key: Item,
    condition: Option<crate::expr::Condition>,
    expect: Expect,
) -> Result<Option<E>> {
    let Some(old) = read(repo, &key).await? else {
        return Ok(None);
    };
    if !entity::is_entity::<E>(&old) {
        return Err(Error::ConditionFailed {
            item: Some(Box::new(old)),
        });
    }
    let before = values_of::<E>(Some(&old));
    let unchanged = write::unchanged::<E>(repo.schema(), Some(&old));
    let mut tx = Transaction::new(repo.schema());
    tx.push(TransactWriteItem::Delete {
        key: key.clone(),
        condition: Some(match condition {
            Some(c) => c.and(unchanged),
            None => unchanged,
        }),
        return_old_on_condition_failure: true,
    })?;
    push_guards::<E>(&mut tx, repo.schema(), &key, &before, &BTreeMap::new())?;
    commit::<R, E>(repo, tx, &key, &expect, &[], false).await?;
    entity::decode::<E>(&old).map(Some)
}

/// Batch writes and the transaction actions that would need a read refuse entities with
/// unique fields.
pub(crate) fn refuse<E: Entity>(what: &str) -> Result<()> {
    if has_unique_fields::<E>() {
        return Err(entity::validation_error::<E>(
            E::UNIQUE[0],
            format!(
                "{} has unique fields, whose guards need the stored item: {what} cannot \
                 keep them; use the single-item operations",
                E::ENTITY_TYPE
            ),
        ));
    }
    Ok(())
}

/// Guard actions for a transaction's `create` of an entity with unique fields.
pub(crate) fn create_guards<E: Entity>(
    schema: &TableSchema,
    item: &Item,
) -> Result<Vec<TransactWriteItem>> {
    if !has_unique_fields::<E>() {
        return Ok(Vec::new());
    }
    let key = schema.key_of(item);
    let mut tx = Transaction::new(schema);
    push_guards::<E>(
        &mut tx,
        schema,
        &key,
        &BTreeMap::new(),
        &values_of::<E>(Some(item)),
    )?;
    Ok(tx.into_request().items)
}
