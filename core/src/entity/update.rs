//! An entity-level update turned into an item update that keeps the entity's managed
//! attributes and composed keys in step.

use std::collections::BTreeSet;

use crate::entity::{self, template::Composed, Entity};
use crate::error::{Error, Result};
use crate::expr::{SetValue, Update, UpdateAction, UpdateOperand};
use crate::item::{Item, Value};
use crate::schema::TableSchema;

/// The key and full update for an entity update: the caller's actions plus the entity's
/// managed attributes, the attributes of its key, and every index key whose attributes the
/// update gives.
/// The version is left to [`write::update`](super::write::update), which checks it.
///
/// ```
/// # use monotable_core::{entity::update::entity_update, raw::eval::{apply_update, evaluate}, Entity, EntityKeys, EntityOptions, Error, Item, KeySchema, TableSchema, Update, Value};
/// # #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)] struct Order { user: String, id: String, total: u64 }
/// # #[derive(serde::Serialize)] struct OrderKey { user: String, id: String }
/// # impl KeySchema for Order { fn key_templates() -> EntityKeys {
/// #     EntityKeys::new("USER#{user}").with_sort("ORDER#{id}").with_index("gsi1", "ORDER#{id}", Some("ORDER")) } }
/// # impl Entity for Order { const ENTITY_TYPE: &'static str = "Order"; type Key = OrderKey; }
/// # fn order(id: &str, total: u64) -> Order { Order { user: "u1".into(), id: id.into(), total } }
/// # fn key(id: &str) -> OrderKey { OrderKey { user: "u1".into(), id: id.into() } }
/// # let schema = TableSchema::single_table("shop").with_gsi("gsi1");
/// # let now = "2024-05-01T12:00:00Z";
/// let total = Update::new().set("total", 5);
/// let (key, update) = entity_update::<Order>(&schema, &key("o1"), total, now, None)?;
/// assert_eq!(key, Item::from([("pk", "USER#u1"), ("sk", "ORDER#o1")]));
/// // On no item (an upsert), the update alone makes a whole order.
/// let created = apply_update(None, &key, &update)?.item;
/// assert_eq!(created.get("id"), Some(&Value::from("o1")));
/// assert_eq!(created.get("gsi1pk"), Some(&Value::from("ORDER#o1")));
/// assert_eq!(created.get("_et"), Some(&Value::from("Order")));
/// # Ok::<(), monotable_core::Error>(())
/// ```
pub fn entity_update<E: Entity>(
    schema: &TableSchema,
    key: &E::Key,
    update: Update,
    now: &str,
    stored: Option<&Item>,
) -> Result<(Item, Update)> {
    let key_attrs = Item::from_serialize(key)?;
    let table_key = entity::primary_key::<E>(schema, &key_attrs)?;
    // Which top-level attributes the update writes, and which it removes.
    let mut changed = BTreeSet::new();
    let mut removed = BTreeSet::new();
    for action in &update.actions {
        let p = action.path();
        changed.insert(p.root().to_string());
        if let (UpdateAction::Remove(_), true) = (action, p.rest().is_empty()) {
            removed.insert(p.root().to_string());
        }
    }
    // What is known after the update: the stored item's attributes it leaves alone (when the
    // caller read it: an entity whose index keys use a timestamp), the key, what the update
    // gives literally, and the timestamps (`now`; the stored creation time).
    let mut known: Item = stored
        .map(|old| {
            old.iter()
                .filter(|(k, _)| !changed.contains(*k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    known.extend(key_attrs.clone());
    for action in &update.actions {
        if let (UpdateAction::Set(p, SetValue::Operand(UpdateOperand::Value(v))), true) =
            (action, action.path().rest().is_empty())
        {
            known.insert(p.root().to_string(), v.clone());
        }
    }
    let options = E::options();
    if let Some(a) = options.modified_attribute {
        known.insert(a.to_string(), Value::from(now));
        changed.insert(a.to_string());
    }
    if let Some(a) = options.created_attribute {
        match stored.and_then(|old| old.get(a)) {
            Some(v) => {
                known.insert(a.to_string(), v.clone());
            }
            // A new item: the update sets the creation time to `now` (if absent).
            None if stored.is_some() => {
                known.insert(a.to_string(), Value::from(now));
            }
            None => {}
        }
    }
    let mut full = update;
    for (name, value) in key_attrs.iter() {
        if !changed.contains(name) {
            full = full.set(name.as_str(), value.clone());
        }
    }
    let keys = entity::keys::<E>();
    for ik in &keys.indexes {
        for (attr, template) in entity::index_key_templates::<E>(schema, ik)? {
            let touched = template.attributes().iter().any(|a| changed.contains(*a));
            if template.attributes().iter().any(|a| removed.contains(*a)) {
                // Removing an attribute of a sparse index key takes the item out of the index.
                if !changed.contains(&attr.name) {
                    full = full.remove(attr.name.as_str());
                }
                continue;
            }
            match template.compose(&known)? {
                Composed::Complete(v) => full = full.set(attr.name.as_str(), v),
                Composed::Partial { missing, .. } if touched => {
                    return Err(Error::InvalidKey {
                        template: template.to_string(),
                        part: missing,
                        reason: format!(
                            "the update changes part of the {} key; set every attribute of {}",
                            ik.index, template
                        ),
                    })
                }
                Composed::Partial { .. } => {}
            }
        }
    }
    if let Some(a) = options.entity_attribute {
        full = full.set(a, E::ENTITY_TYPE);
    }
    if let Some(a) = options.modified_attribute {
        full = full.set(a, now);
    }
    if let Some(a) = options.created_attribute {
        full = full.set_if_not_exists(a, now);
    }
    Ok((table_key, full))
}
