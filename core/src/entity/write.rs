//! How each typed write becomes a request that keeps the entity's invariants, written once
//! for [`RepositoryExt`](crate::RepositoryExt) and [`TransactionContext`](crate::TransactionContext):
//!
//! - the primary and index keys are composed from the entity (a sparse index key whose
//!   attributes are gone is removed), and an update cannot change a key attribute;
//! - the entity type attribute is written on every write, and a write never replaces an item
//!   of another entity type;
//! - the creation time is written once and never changed (`put` is sent as an update that
//!   sets it only if absent); the modification time is written on every write;
//! - the version, when declared, is checked on every write that can carry a condition and
//!   moved forward by one;
//! - no field may have the stored name of an attribute monotable manages.

use std::collections::BTreeSet;

use crate::entity::template::KeyTemplate;
use crate::entity::update::entity_update;
use crate::entity::{self, validation_error, Entity};
use crate::error::{Error, Result};
use crate::expr::{Condition, Path, SetValue, Update, UpdateAction};
use crate::item::{Item, Number, Value};
use crate::schema::TableSchema;

/// A planned write: the key, what to send, the condition that guards the entity's
/// invariants (and the caller's own), and what it expects to find.
///
/// ```
/// # use monotable_core::{entity::{*, write::*}, raw::eval::{apply_update, evaluate}, Entity, EntityKeys, EntityOptions, Error, Item, KeySchema, TableSchema, Update, Value};
/// # #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)] struct Order { user: String, id: String, total: u64 }
/// # #[derive(serde::Serialize)] struct OrderKey { user: String, id: String }
/// # impl KeySchema for Order { fn key_templates() -> EntityKeys {
/// #     EntityKeys::new("USER#{user}").with_sort("ORDER#{id}").with_index("gsi1", "ORDER#{id}", Some("ORDER")) } }
/// # impl Entity for Order { const ENTITY_TYPE: &'static str = "Order"; type Key = OrderKey; }
/// # fn order(id: &str, total: u64) -> Order { Order { user: "u1".into(), id: id.into(), total } }
/// # fn key(id: &str) -> OrderKey { OrderKey { user: "u1".into(), id: id.into() } }
/// # let schema = TableSchema::single_table("shop").with_gsi("gsi1");
/// # let now = "2024-05-01T12:00:00Z";
/// let plan = write::put(&schema, &order("o1", 10), now, None, None)?;
/// assert_eq!(plan.key, Item::from([("pk", "USER#u1"), ("sk", "ORDER#o1")]));
/// // The write may create the order or replace one, never an item of another entity type.
/// let guard = plan.condition.expect("a put is guarded");
/// assert!(evaluate(&guard, &Item::new()));
/// assert!(evaluate(&guard, &Item::from([("pk", "USER#u1"), ("_et", "Order")])));
/// assert!(!evaluate(&guard, &Item::from([("pk", "USER#u1"), ("_et", "Refund")])));
/// # Ok::<(), monotable_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Planned {
    /// The primary key.
    pub key: Item,
    /// The update to send (a `put` is sent as an update, so `_ct` survives).
    pub update: Update,
    /// The caller's condition and the invariants' guard, joined.
    pub condition: Option<Condition>,
    /// What the write expects to find, for telling a version conflict from a failed
    /// condition.
    pub expect: Expect,
}

/// What a write expects to find, to classify a failed condition.
///
/// ```
/// # use monotable_core::{entity::{*, write::*}, raw::eval::{apply_update, evaluate}, Entity, EntityKeys, EntityOptions, Error, Item, KeySchema, TableSchema, Update, Value};
/// # #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)] struct Order { user: String, id: String, total: u64 }
/// # #[derive(serde::Serialize)] struct OrderKey { user: String, id: String }
/// # impl KeySchema for Order { fn key_templates() -> EntityKeys {
/// #     EntityKeys::new("USER#{user}").with_sort("ORDER#{id}").with_index("gsi1", "ORDER#{id}", Some("ORDER")) } }
/// # impl Entity for Order { const ENTITY_TYPE: &'static str = "Order"; type Key = OrderKey; }
/// # fn order(id: &str, total: u64) -> Order { Order { user: "u1".into(), id: id.into(), total } }
/// # fn key(id: &str) -> OrderKey { OrderKey { user: "u1".into(), id: id.into() } }
/// # let schema = TableSchema::single_table("shop").with_gsi("gsi1");
/// # let now = "2024-05-01T12:00:00Z";
/// let at = UpdateTime { now, stored: None };
/// let total = Update::new().set("total", 5);
/// let patch = write::update::<Order>(&schema, &key("o1"), total, None, None, true, at)?;
/// assert!(patch.expect.must_exist);
/// // The condition failed on no item at all: the order is not there.
/// let failed = Error::ConditionFailed { item: None };
/// let err = write::condition_error::<Order>(failed, &patch.key, &patch.expect);
/// assert_eq!(err.to_string(), "Order not found: USER#u1 / ORDER#o1");
/// # Ok::<(), monotable_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Expect {
    /// The stored version it expects (`0`: no item yet), if the entity is versioned.
    pub version: Option<Number>,
    /// The write needs an existing item (`patch`, or an `update` that does not give the
    /// whole entity).
    pub must_exist: bool,
}

/// Every attribute name monotable writes itself on `E`'s items: the table's key
/// attributes, the key attributes of the indexes whose keys templates compose (not those of
/// multi-attribute indexes, nor of `E`'s own indexes over its fields), the entity type and
/// the timestamps.
///
/// ```
/// # use monotable_core::{entity::{*, write::*}, raw::eval::{apply_update, evaluate}, Entity, EntityKeys, EntityOptions, Error, Item, KeySchema, TableSchema, Update, Value};
/// # #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)] struct Order { user: String, id: String, total: u64 }
/// # #[derive(serde::Serialize)] struct OrderKey { user: String, id: String }
/// # impl KeySchema for Order { fn key_templates() -> EntityKeys {
/// #     EntityKeys::new("USER#{user}").with_sort("ORDER#{id}").with_index("gsi1", "ORDER#{id}", Some("ORDER")) } }
/// # impl Entity for Order { const ENTITY_TYPE: &'static str = "Order"; type Key = OrderKey; }
/// # fn order(id: &str, total: u64) -> Order { Order { user: "u1".into(), id: id.into(), total } }
/// # fn key(id: &str) -> OrderKey { OrderKey { user: "u1".into(), id: id.into() } }
/// # let schema = TableSchema::single_table("shop").with_gsi("gsi1");
/// # let now = "2024-05-01T12:00:00Z";
/// let managed: Vec<String> = write::managed_attributes::<Order>(&schema).into_iter().collect();
/// assert_eq!(managed, ["_ct", "_et", "_md", "gsi1pk", "gsi1sk", "pk", "sk"]);
/// // An entity with a field stored as `sk` would have it overwritten: refused.
/// let fields = Item::from([("user", "u1"), ("sk", "mine")]);
/// let err = write::check_no_managed_fields::<Order>(&schema, &fields).unwrap_err();
/// assert!(matches!(err, Error::Validation { attribute, .. } if attribute == "sk"));
/// ```
pub fn managed_attributes<E: Entity>(schema: &TableSchema) -> BTreeSet<String> {
    let options = E::options();
    let candidates = schema
        .keys()
        .chain(schema.indexes.iter().flat_map(|ix| ix.keys()))
        .map(|k| k.name.as_str())
        .chain(
            [
                options.entity_attribute,
                options.created_attribute,
                options.modified_attribute,
            ]
            .into_iter()
            .flatten(),
        )
        .chain(std::iter::once(crate::entity::SCHEMA_VERSION_ATTRIBUTE));
    candidates
        .filter(|name| is_managed::<E>(schema, name))
        .map(str::to_string)
        .collect()
}

/// True if `name` is an attribute monotable writes itself on `E`'s items (see
/// [`managed_attributes`]); asked per field on every write, so it allocates nothing.
pub fn is_managed<E: Entity>(schema: &TableSchema, name: &str) -> bool {
    let options = E::options();
    if schema.is_key_attribute(name)
        || [
            options.entity_attribute,
            options.created_attribute,
            options.modified_attribute,
        ]
        .contains(&Some(name))
        || (E::SCHEMA_VERSION > 0 && name == crate::entity::SCHEMA_VERSION_ATTRIBUTE)
    {
        return true;
    }
    // A multi-attribute index is over ordinary attributes (no template composes its keys),
    // which any entity type may have: an item with all of them is in the index. The keys of
    // the entity's own attribute indexes are its fields.
    schema
        .indexes
        .iter()
        .filter(|ix| !ix.is_multi_attribute())
        .any(|ix| ix.keys().any(|k| k.name == name))
        && !entity::keys::<E>()
            .attribute_indexes
            .iter()
            .any(|ai| ai.attributes().any(|a| a == name))
}

/// Fails if a field of the entity has the stored name of a managed attribute (it would be
/// overwritten silently).
pub fn check_no_managed_fields<E: Entity>(schema: &TableSchema, fields: &Item) -> Result<()> {
    match fields.keys().find(|name| is_managed::<E>(schema, name)) {
        Some(name) => Err(validation_error::<E>(
            name,
            "this field's stored name is an attribute monotable manages (a key attribute of \
             the table or an index, the entity type or a timestamp); rename the field",
        )),
        None => Ok(()),
    }
}

/// The version an entity carries (`0` when the field is absent), if `E` is versioned.
pub fn version_of<E: Entity>(fields: &Item) -> Result<Option<Number>> {
    let Some(v) = E::options().version_attribute else {
        return Ok(None);
    };
    match fields.get(v) {
        None | Some(Value::Null) => Ok(Some(Number::from(0))),
        Some(Value::N(n)) => Ok(Some(n.clone())),
        Some(_) => Err(validation_error::<E>(v, "the version must be a number")),
    }
}

fn next_version<E: Entity>(n: &Number) -> Result<Value> {
    n.checked_add(&Number::from(1)).map(Value::N).map_err(|e| {
        validation_error::<E>(E::options().version_attribute.unwrap_or(""), e.to_string())
    })
}

fn and(a: Option<Condition>, b: Condition) -> Option<Condition> {
    Some(match a {
        Some(a) => a.and(b),
        None => b,
    })
}

/// The caller's condition joined with the invariants' guard: the item is absent or of
/// entity type `E`; the stored version is the expected one; the item exists if it must.
/// See [`Planned`]'s example.
pub fn guard<E: Entity>(
    schema: &TableSchema,
    expect: &Expect,
    user: Option<Condition>,
) -> Option<Condition> {
    let pk = Path::attr(schema.partition_key.name.clone());
    let options = E::options();
    let mut c = user;
    if expect.must_exist {
        c = and(c, pk.exists());
    }
    if let Some(a) = options.entity_attribute {
        c = and(c, pk.not_exists().or(Path::attr(a).eq(E::ENTITY_TYPE)));
    }
    if let (Some(v), Some(n)) = (options.version_attribute, &expect.version) {
        c = and(
            c,
            if n.is_zero() {
                pk.not_exists()
            } else {
                Path::attr(v).eq(n.clone())
            },
        );
    }
    c
}

/// Classifies a failed condition of a planned write by the item that was there: a missing
/// item that had to exist is [`Error::NotFound`], another version is
/// [`Error::VersionConflict`], anything else stays [`Error::ConditionFailed`].
///
/// ```
/// # use monotable_core::{entity::{*, write::*}, raw::eval::{apply_update, evaluate}, Entity, EntityKeys, EntityOptions, Error, Item, KeySchema, TableSchema, Update, Value};
/// # #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)] struct Order { user: String, id: String, total: u64 }
/// # #[derive(serde::Serialize)] struct OrderKey { user: String, id: String }
/// # impl KeySchema for Order { fn key_templates() -> EntityKeys {
/// #     EntityKeys::new("USER#{user}").with_sort("ORDER#{id}").with_index("gsi1", "ORDER#{id}", Some("ORDER")) } }
/// # impl Entity for Order { const ENTITY_TYPE: &'static str = "Order"; type Key = OrderKey;
/// #     fn options() -> EntityOptions { EntityOptions { version_attribute: Some("v"), ..Default::default() } } }
/// # fn order(id: &str, total: u64) -> Order { Order { user: "u1".into(), id: id.into(), total } }
/// # fn key(id: &str) -> OrderKey { OrderKey { user: "u1".into(), id: id.into() } }
/// # let schema = TableSchema::single_table("shop").with_gsi("gsi1");
/// # let now = "2024-05-01T12:00:00Z";
/// let at = UpdateTime { now, stored: None };
/// let total = Update::new().set("total", 5);
/// let plan = write::update::<Order>(&schema, &key("o1"), total, Some(3), None, false, at)?;
/// // The order is stored at version 4: someone else wrote it since we read version 3.
/// let stored = Item::from([("pk", "USER#u1"), ("sk", "ORDER#o1")]).with("v", 4);
/// let failed = Error::ConditionFailed { item: Some(Box::new(stored)) };
/// let err = write::condition_error::<Order>(failed, &plan.key, &plan.expect);
/// assert!(matches!(err, Error::VersionConflict { expected, .. } if expected == "3"));
/// # Ok::<(), monotable_core::Error>(())
/// ```
pub fn condition_error<E: Entity>(err: Error, key: &Item, expect: &Expect) -> Error {
    let Error::ConditionFailed { item } = err else {
        return err;
    };
    let old = item.as_deref();
    if expect.must_exist && old.is_none() {
        return Error::NotFound {
            entity: E::ENTITY_TYPE.to_string(),
            key: key_string(key),
        };
    }
    if let (Some(v), Some(n)) = (E::options().version_attribute, &expect.version) {
        let stored = old.map(|o| match o.get(v) {
            Some(Value::N(s)) => s.clone(),
            _ => Number::from(0),
        });
        let conflict = match stored {
            None => !n.is_zero(),
            Some(s) => n.is_zero() || &s != n,
        };
        if conflict {
            return Error::VersionConflict {
                entity: E::ENTITY_TYPE.to_string(),
                key: key_string(key),
                expected: n.to_string(),
            };
        }
    }
    Error::ConditionFailed { item }
}

/// A composed key as text, for messages.
pub fn key_string(key: &Item) -> String {
    key.values()
        .map(|v| match v {
            Value::S(s) => s.clone(),
            other => format!("{other:?}"),
        })
        .collect::<Vec<_>>()
        .join(" / ")
}

/// The item of a new entity (version 1) and the condition that its key is free.
///
/// ```
/// # use monotable_core::{entity::{*, write::*}, raw::eval::{apply_update, evaluate}, Entity, EntityKeys, EntityOptions, Error, Item, KeySchema, TableSchema, Update, Value};
/// # #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)] struct Order { user: String, id: String, total: u64 }
/// # #[derive(serde::Serialize)] struct OrderKey { user: String, id: String }
/// # impl KeySchema for Order { fn key_templates() -> EntityKeys {
/// #     EntityKeys::new("USER#{user}").with_sort("ORDER#{id}").with_index("gsi1", "ORDER#{id}", Some("ORDER")) } }
/// # impl Entity for Order { const ENTITY_TYPE: &'static str = "Order"; type Key = OrderKey; }
/// # fn order(id: &str, total: u64) -> Order { Order { user: "u1".into(), id: id.into(), total } }
/// # fn key(id: &str) -> OrderKey { OrderKey { user: "u1".into(), id: id.into() } }
/// # let schema = TableSchema::single_table("shop").with_gsi("gsi1");
/// # let now = "2024-05-01T12:00:00Z";
/// let (item, condition) = write::create(&schema, &order("o1", 10), now)?;
/// assert_eq!(item.get("gsi1pk"), Some(&Value::from("ORDER#o1")));
/// assert!(evaluate(&condition, &Item::new())); // the key is free
/// assert!(!evaluate(&condition, &item)); // the key is taken
/// # Ok::<(), monotable_core::Error>(())
/// ```
pub fn create<E: Entity>(schema: &TableSchema, entity: &E, now: &str) -> Result<(Item, Condition)> {
    let mut item = entity::new_entity_item(schema, entity, now)?;
    if let Some(v) = E::options().version_attribute {
        item.insert(v.to_string(), Value::from(1));
    }
    let pk = Path::attr(schema.partition_key.name.clone());
    Ok((item, pk.not_exists()))
}

/// A whole-entity write, sent as an update: every attribute of the entity set, the creation
/// time set only if absent, the entity's attributes it leaves out and the sparse index keys
/// it no longer has removed; the version checked and moved forward.
///
/// `stored_created` is the stored item's creation time, for an entity whose index keys use
/// it ([`entity::created_in_index_keys`]); the caller read it, and conditions the write on
/// the item being unchanged since.
///
/// ```
/// # use monotable_core::{entity::{*, write::*}, raw::eval::{apply_update, evaluate}, Entity, EntityKeys, EntityOptions, Error, Item, KeySchema, TableSchema, Update, Value};
/// # #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)] struct Order { user: String, id: String, total: u64 }
/// # #[derive(serde::Serialize)] struct OrderKey { user: String, id: String }
/// # impl KeySchema for Order { fn key_templates() -> EntityKeys {
/// #     EntityKeys::new("USER#{user}").with_sort("ORDER#{id}").with_index("gsi1", "ORDER#{id}", Some("ORDER")) } }
/// # impl Entity for Order { const ENTITY_TYPE: &'static str = "Order"; type Key = OrderKey; }
/// # fn order(id: &str, total: u64) -> Order { Order { user: "u1".into(), id: id.into(), total } }
/// # fn key(id: &str) -> OrderKey { OrderKey { user: "u1".into(), id: id.into() } }
/// # let schema = TableSchema::single_table("shop").with_gsi("gsi1");
/// # let now = "2024-05-01T12:00:00Z";
/// let stored = entity_item(&schema, &order("o1", 10), "2024-01-01T00:00:00Z")?;
/// let plan = write::put(&schema, &order("o1", 20), "2024-05-01T12:00:00Z", None, None)?;
/// let after = apply_update(Some(&stored), &plan.key, &plan.update)?.item;
/// assert_eq!(after.get("total"), Some(&Value::from(20)));
/// assert_eq!(after.get("_ct"), Some(&Value::from("2024-01-01T00:00:00Z"))); // kept
/// assert_eq!(after.get("_md"), Some(&Value::from("2024-05-01T12:00:00Z")));
/// # Ok::<(), monotable_core::Error>(())
/// ```
pub fn put<E: Entity>(
    schema: &TableSchema,
    entity: &E,
    now: &str,
    user: Option<Condition>,
    stored_created: Option<&Value>,
) -> Result<Planned> {
    let mut item = entity::entity_item_created(schema, entity, now, stored_created)?;
    let expect = Expect {
        version: version_of::<E>(&item)?,
        must_exist: false,
    };
    if let (Some(v), Some(n)) = (E::options().version_attribute, &expect.version) {
        item.insert(v.to_string(), next_version::<E>(n)?);
    }
    let key = schema.key_of(&item);
    let created = E::options().created_attribute;
    let mut update = Update::new();
    for (name, value) in item.iter() {
        if key.contains_key(name) {
            continue;
        }
        update = if Some(name.as_str()) == created {
            update.set_if_not_exists(name.as_str(), value.clone())
        } else {
            update.set(name.as_str(), value.clone())
        };
    }
    let mut absent: BTreeSet<String> = BTreeSet::new();
    if let Some(attrs) = E::attributes() {
        absent.extend(attrs.iter().map(|a| a.name.to_string()));
    }
    for ik in &entity::keys::<E>().indexes {
        for (attr, _) in entity::index_key_templates::<E>(schema, ik)? {
            absent.insert(attr.name.clone());
        }
    }
    for name in absent {
        if !item.contains_key(&name) && !key.contains_key(&name) {
            update = update.remove(name.as_str());
        }
    }
    let condition = guard::<E>(schema, &expect, user);
    Ok(Planned {
        key,
        update,
        condition,
        expect,
    })
}

/// When an update is planned: the time it writes, and the stored item if the caller read it
/// (an entity whose index keys use a timestamp needs it to compose them). See [`update`]'s
/// example.
#[derive(Debug, Clone, Copy)]
pub struct UpdateTime<'a> {
    /// The modification time written.
    pub now: &'a str,
    /// The item as stored, when read first.
    pub stored: Option<&'a Item>,
}

/// An entity update: refuses changes to key and managed attributes, checks the version (a
/// versioned entity needs `expected`), and requires an existing item unless the update
/// gives every required attribute of the entity.
///
/// ```
/// # use monotable_core::{entity::{*, write::*}, raw::eval::{apply_update, evaluate}, Entity, EntityKeys, EntityOptions, Error, Item, KeySchema, TableSchema, Update, Value};
/// # #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)] struct Order { user: String, id: String, total: u64 }
/// # #[derive(serde::Serialize)] struct OrderKey { user: String, id: String }
/// # impl KeySchema for Order { fn key_templates() -> EntityKeys {
/// #     EntityKeys::new("USER#{user}").with_sort("ORDER#{id}").with_index("gsi1", "ORDER#{id}", Some("ORDER")) } }
/// # impl Entity for Order { const ENTITY_TYPE: &'static str = "Order"; type Key = OrderKey; }
/// # fn order(id: &str, total: u64) -> Order { Order { user: "u1".into(), id: id.into(), total } }
/// # fn key(id: &str) -> OrderKey { OrderKey { user: "u1".into(), id: id.into() } }
/// # let schema = TableSchema::single_table("shop").with_gsi("gsi1");
/// # let now = "2024-05-01T12:00:00Z";
/// let stored = entity_item(&schema, &order("o1", 10), "2024-01-01T00:00:00Z")?;
/// let at = UpdateTime { now, stored: None };
/// let total = Update::new().set("total", 5);
/// let plan = write::update::<Order>(&schema, &key("o1"), total, None, None, false, at)?;
/// let after = apply_update(Some(&stored), &plan.key, &plan.update)?.item;
/// assert_eq!(after.get("total"), Some(&Value::from(5)));
/// assert_eq!(after.get("_md"), Some(&Value::from(now)));
/// // A key attribute cannot change: the item would keep its old key.
/// let moved = Update::new().set("id", "o2");
/// let refused = write::update::<Order>(&schema, &key("o1"), moved, None, None, false, at);
/// assert!(matches!(refused, Err(Error::InvalidKey { .. })));
/// # Ok::<(), monotable_core::Error>(())
/// ```
pub fn update<E: Entity>(
    schema: &TableSchema,
    key: &E::Key,
    update: Update,
    expected: Option<u64>,
    user: Option<Condition>,
    must_exist: bool,
    at: UpdateTime<'_>,
) -> Result<Planned> {
    let UpdateTime { now, stored } = at;
    let options = E::options();
    let version = match (options.version_attribute, expected) {
        (Some(v), None) => {
            return Err(validation_error::<E>(
                v,
                format!(
                    "{} is versioned: pass the version you read (update_versioned, \
                     patch_versioned)",
                    E::ENTITY_TYPE
                ),
            ))
        }
        (Some(_), Some(n)) => Some(Number::from(n)),
        (None, _) => None,
    };
    check_update_targets::<E>(schema, &update)?;
    let update = seal_update::<E>(update)?;
    let gives_whole_entity = match E::attributes() {
        Some(attrs) => {
            let key_fields = primary_key_fields::<E>();
            let set: BTreeSet<&str> = update
                .actions
                .iter()
                .filter_map(|a| match a {
                    UpdateAction::Set(p, SetValue::Operand(_)) if p.rest().is_empty() => {
                        Some(p.root())
                    }
                    _ => None,
                })
                .collect();
            attrs
                .iter()
                .filter(|a| a.required)
                .all(|a| set.contains(a.name) || key_fields.iter().any(|k| k == a.name))
        }
        None => false,
    };
    let (table_key, mut full) = entity_update::<E>(schema, key, update, now, stored)?;
    if let (Some(v), Some(n)) = (options.version_attribute, &version) {
        full = full.set(v, next_version::<E>(n)?);
    }
    let expect = Expect {
        version,
        must_exist: must_exist || !gives_whole_entity,
    };
    let condition = guard::<E>(schema, &expect, user);
    Ok(Planned {
        key: table_key,
        update: full,
        condition,
        expect,
    })
}

/// The key and condition of an entity delete; a versioned entity needs `expected`.
pub fn delete<E: Entity>(
    schema: &TableSchema,
    key: &E::Key,
    expected: Option<u64>,
    user: Option<Condition>,
) -> Result<(Item, Option<Condition>, Expect)> {
    let version = match (E::options().version_attribute, expected) {
        (Some(v), None) => {
            return Err(validation_error::<E>(
                v,
                format!(
                    "{} is versioned: pass the version you read (delete_versioned)",
                    E::ENTITY_TYPE
                ),
            ))
        }
        (Some(_), Some(n)) => Some(Number::from(n)),
        (None, _) => None,
    };
    let key = entity::primary_key_of::<E>(schema, key)?;
    let expect = Expect {
        version,
        must_exist: false,
    };
    let condition = guard::<E>(schema, &expect, user);
    Ok((key, condition, expect))
}

/// The attributes the entity's primary key templates are composed from.
pub fn primary_key_fields<E: Entity>() -> Vec<String> {
    let keys = entity::keys::<E>();
    let mut out: Vec<String> = Vec::new();
    let templates: Vec<&KeyTemplate> = std::iter::once(&keys.partition)
        .chain(keys.sort.iter())
        .collect();
    for t in templates {
        for a in t.attributes() {
            if !out.iter().any(|x| x == a) {
                out.push(a.to_string());
            }
        }
    }
    out
}

/// An update may not write a primary key's attribute (the item would keep its old key) nor
/// an attribute monotable manages.
fn check_update_targets<E: Entity>(schema: &TableSchema, update: &Update) -> Result<()> {
    let keys = entity::keys::<E>();
    let version = E::options().version_attribute;
    for action in &update.actions {
        let root = action.path().root();
        if keys.partition.uses(root) || keys.sort.as_ref().is_some_and(|t| t.uses(root)) {
            let template = if keys.partition.uses(root) {
                &keys.partition
            } else {
                keys.sort.as_ref().unwrap_or(&keys.partition)
            };
            return Err(Error::InvalidKey {
                template: template.to_string(),
                part: root.to_string(),
                reason: "an update cannot change an attribute of the primary key (the item \
                         would keep its old key); use rekey to move the entity"
                    .into(),
            });
        }
        // `is_managed` is membership in `managed_attributes`, without building the set.
        if is_managed::<E>(schema, root) || version == Some(root) {
            return Err(validation_error::<E>(
                root,
                "this attribute is managed by monotable and cannot be updated directly",
            ));
        }
    }
    Ok(())
}

/// A condition that holds only while the item is as `old` was read (absent if `old` is
/// `None`): its modification time (or, without one, every attribute) unchanged.
pub fn unchanged<E: Entity>(schema: &TableSchema, old: Option<&Item>) -> Condition {
    let pk = Path::attr(schema.partition_key.name.clone());
    let Some(old) = old else {
        return pk.not_exists();
    };
    if let Some(md) = E::options().modified_attribute {
        if let Some(v) = old.get(md) {
            return Path::attr(md).eq(v.clone());
        }
    }
    old.iter()
        .map(|(name, v)| Path::attr(name.as_str()).eq(v.clone()))
        .reduce(Condition::and)
        .unwrap_or_else(|| pk.exists())
}

/// Seals the values an update sets on encrypted fields; any other action on one (ADD,
/// arithmetic, a nested path) is refused: a sealed value cannot be computed on.
fn seal_update<E: Entity>(update: Update) -> Result<Update> {
    if E::ENCRYPTED.is_empty() {
        return Ok(update);
    }
    let mut out = Update::new();
    for action in update.actions {
        let root = action.path().root().to_string();
        if !E::ENCRYPTED.contains(&root.as_str()) {
            out = out.action(action);
            continue;
        }
        match action {
            UpdateAction::Set(p, SetValue::Operand(crate::expr::UpdateOperand::Value(v)))
                if p.rest().is_empty() =>
            {
                let mut item = Item::new();
                item.insert(root.clone(), v);
                crate::entity::encrypt::seal_fields(&mut item, E::ENCRYPTED, E::ENTITY_TYPE)?;
                let sealed = item.remove(&root).unwrap_or(Value::Null);
                out = out.set(p, sealed);
            }
            UpdateAction::Remove(p) if p.rest().is_empty() => out = out.remove(p),
            _ => {
                return Err(validation_error::<E>(
                    &root,
                    "an encrypted field can only be set to a value or removed",
                ))
            }
        }
    }
    Ok(out)
}
