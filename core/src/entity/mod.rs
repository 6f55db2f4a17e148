//! Entities: domain types stored as items, with keys composed from their attributes.

pub mod collision;
pub mod template;
pub mod update;
pub mod write;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::entity::template::{Composed, KeyTemplate};
use crate::error::{Error, Result};
use crate::item::{Item, Value};
use crate::schema::{IndexKind, KeyAttribute, TableSchema};

/// The key templates of one secondary index of an entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexKeys {
    /// The table's index name.
    pub index: String,
    /// Partition key template (`None` for a local index, which shares the table's).
    pub partition: Option<KeyTemplate>,
    /// Sort key template, if the index has a sort key.
    pub sort: Option<KeyTemplate>,
}

/// How an entity's keys are composed: the primary key and any number of index keys.
///
/// ```
/// use monotable_core::EntityKeys;
/// let keys = EntityKeys::new("USER#{user_id}")
///     .with_sort("ORDER#{created}#{order_id}")
///     .with_index("gsi1", "ORDER#{order_id}", Some("ORDER"));
/// assert_eq!(keys.indexes.len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityKeys {
    /// Partition key template.
    pub partition: KeyTemplate,
    /// Sort key template (required when the table has a sort key).
    pub sort: Option<KeyTemplate>,
    /// Index key templates.
    pub indexes: Vec<IndexKeys>,
}

impl EntityKeys {
    /// Keys with this partition key template.
    pub fn new(partition: impl Into<KeyTemplate>) -> Self {
        EntityKeys {
            partition: partition.into(),
            sort: None,
            indexes: Vec::new(),
        }
    }

    /// Sets the sort key template.
    pub fn with_sort(mut self, sort: impl Into<KeyTemplate>) -> Self {
        self.sort = Some(sort.into());
        self
    }

    /// Adds a global index's templates.
    pub fn with_index(
        mut self,
        index: impl Into<String>,
        partition: impl Into<KeyTemplate>,
        sort: Option<&str>,
    ) -> Self {
        self.indexes.push(IndexKeys {
            index: index.into(),
            partition: Some(partition.into()),
            sort: sort.map(KeyTemplate::new),
        });
        self
    }

    /// Adds a local index's sort key template.
    pub fn with_local_index(
        mut self,
        index: impl Into<String>,
        sort: impl Into<KeyTemplate>,
    ) -> Self {
        self.indexes.push(IndexKeys {
            index: index.into(),
            partition: None,
            sort: Some(sort.into()),
        });
        self
    }

    /// The templates of one index.
    pub fn index(&self, name: &str) -> Option<&IndexKeys> {
        self.indexes.iter().find(|i| i.index == name)
    }

    /// The partition and sort templates used to read `index` (the table if `None`).
    pub fn templates(&self, index: Option<&str>) -> Result<(&KeyTemplate, Option<&KeyTemplate>)> {
        match index {
            None => Ok((&self.partition, self.sort.as_ref())),
            Some(name) => {
                let ix = self.index(name).ok_or_else(|| {
                    Error::invalid(format!("the entity declares no keys for index {name}"))
                })?;
                Ok((
                    ix.partition.as_ref().unwrap_or(&self.partition),
                    ix.sort.as_ref(),
                ))
            }
        }
    }
}

/// Names of the attributes monotable manages on an entity's items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntityOptions {
    /// Holds the entity type (default `_et`); `None` to not store it.
    pub entity_attribute: Option<&'static str>,
    /// Creation time, ISO 8601 (default `_ct`); `None` to turn off.
    pub created_attribute: Option<&'static str>,
    /// Last modification time, ISO 8601 (default `_md`); `None` to turn off.
    pub modified_attribute: Option<&'static str>,
    /// Optimistic-locking version number (off by default). When set, `create` writes 1;
    /// every other write (put, update, patch, delete, and each transaction action) requires
    /// the stored version to equal the one it is given and writes it plus one; batch writes,
    /// which cannot carry a condition, are refused unless the caller opts out.
    pub version_attribute: Option<&'static str>,
}

impl Default for EntityOptions {
    fn default() -> Self {
        EntityOptions {
            entity_attribute: Some("_et"),
            created_attribute: Some("_ct"),
            modified_attribute: Some("_md"),
            version_attribute: None,
        }
    }
}

/// One stored attribute of an entity: its name and whether every item must have it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntityAttribute {
    /// The stored name (after serde's renames).
    pub name: &'static str,
    /// False for an `Option` field or one with a serde default.
    pub required: bool,
}

/// How an entity's keys are composed. Written by `#[derive(Entity)]`, or by hand.
pub trait KeySchema {
    /// The entity's key templates.
    fn key_templates() -> EntityKeys;
}

/// A domain type stored as items of one entity type.
///
/// ```
/// use monotable_core::{Entity, EntityKeys, KeySchema};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize)]
/// struct User { user_id: String, email: String }
///
/// #[derive(Serialize)]
/// struct UserKey { user_id: String }
///
/// impl KeySchema for User {
///     fn key_templates() -> EntityKeys {
///         EntityKeys::new("USER#{user_id}").with_sort("PROFILE")
///     }
/// }
///
/// impl Entity for User {
///     const ENTITY_TYPE: &'static str = "User";
///     type Key = UserKey;
/// }
/// ```
pub trait Entity: KeySchema + Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The entity type, stored in the entity-type attribute.
    const ENTITY_TYPE: &'static str;

    /// The attributes that identify one entity (those of the primary key templates).
    type Key: Serialize + Send + Sync;

    /// Names of the managed attributes.
    fn options() -> EntityOptions {
        EntityOptions::default()
    }

    /// The entity's own stored attributes (its fields, by stored name) and which of them an
    /// item must have; `None` if not known. The derive lists them. The typed API uses them
    /// to remove an attribute a `put` leaves out, and to refuse an `update` that would create
    /// an item without a required attribute.
    fn attributes() -> Option<&'static [EntityAttribute]> {
        None
    }

    /// Fields (by stored name) whose values no two entities of this type may share. Each
    /// value is held by a guard item written in the same transaction as the entity.
    const UNIQUE: &'static [&'static str] = &[];

    /// Fields (by stored name) whose values are sensitive: monotable's error messages
    /// print `<redacted>` for them, and the derive's `debug` option does so in `Debug`.
    const SENSITIVE: &'static [&'static str] = &[];

    /// True if [`validate`](Self::validate) checks anything. `update` and `patch` of such
    /// an entity read the item, apply the update locally, validate the result and write it
    /// only if the item did not change in between.
    const VALIDATES: bool = false;

    /// Runs before every write; an error stops the write before any I/O.
    ///
    /// # Errors
    ///
    /// Return [`Error::Validation`] (see [`validation_error`]) naming the attribute.
    fn validate(&self) -> Result<()> {
        Ok(())
    }
}

/// A union of entity types that share a partition (ElectroDB's collection): usually an enum
/// with one variant per entity, written by `#[derive(Collection)]`, which decodes each item
/// into its variant by its entity type.
pub trait Collection: Sized + Send + 'static {
    /// The item decoded into its variant; `None` for an entity type the collection does
    /// not name.
    ///
    /// # Errors
    ///
    /// [`Error::Decode`] if the item is of a named entity type but does not decode.
    fn from_item(item: &Item) -> Result<Option<Self>>;
}

/// An [`Error::Validation`] for entity `E`.
pub fn validation_error<E: Entity>(attribute: &str, reason: impl Into<String>) -> Error {
    Error::Validation {
        entity: E::ENTITY_TYPE.to_string(),
        attribute: attribute.to_string(),
        reason: reason.into(),
    }
}

/// The table's primary key for an entity, composed from `attrs`.
pub fn primary_key<E: Entity>(schema: &TableSchema, attrs: &Item) -> Result<Item> {
    let keys = E::key_templates();
    let mut out = Item::new();
    out.insert(
        schema.partition_key.name.clone(),
        keys.partition.compose_complete(attrs)?,
    );
    match (&schema.sort_key, &keys.sort) {
        (Some(sk), Some(t)) => {
            out.insert(sk.name.clone(), t.compose_complete(attrs)?);
        }
        (Some(sk), None) => {
            return Err(Error::InvalidKey {
                template: keys.partition.to_string(),
                part: sk.name.clone(),
                reason: format!(
                    "the table has a sort key; entity {} declares no sort template",
                    E::ENTITY_TYPE
                ),
            })
        }
        (None, Some(t)) => {
            return Err(Error::InvalidKey {
                template: t.to_string(),
                part: t.to_string(),
                reason: "the table has no sort key".into(),
            })
        }
        (None, None) => {}
    }
    Ok(out)
}

/// The index key attributes of an entity, composed from `attrs`. An index whose template
/// names an absent attribute is left out (a sparse index).
pub fn index_keys<E: Entity>(schema: &TableSchema, attrs: &Item) -> Result<Vec<(String, Value)>> {
    let keys = E::key_templates();
    let mut out = Vec::new();
    for ik in &keys.indexes {
        let mut composed = Vec::new();
        let mut complete = true;
        for (attr, template) in index_key_templates::<E>(schema, ik)? {
            match template.compose(attrs)? {
                Composed::Complete(v) => composed.push((attr.name.clone(), v)),
                Composed::Partial { .. } => complete = false,
            }
        }
        if complete {
            out.extend(composed);
        }
    }
    Ok(out)
}

/// The key attributes of one of the entity's indexes, each with the entity's template for
/// it. A local index's partition key is the table's, composed by the table's template, so
/// only its sort key is listed.
pub(crate) fn index_key_templates<'a, E: Entity>(
    schema: &'a TableSchema,
    ik: &'a IndexKeys,
) -> Result<Vec<(&'a KeyAttribute, &'a KeyTemplate)>> {
    let (_, index) = schema.index(&ik.index).map_err(|_| Error::InvalidKey {
        template: ik.index.clone(),
        part: ik.index.clone(),
        reason: format!(
            "entity {} names index {} that the table does not have",
            E::ENTITY_TYPE,
            ik.index
        ),
    })?;
    let partition = match index.kind {
        IndexKind::Global => ik.partition.as_ref().map(|t| (&index.partition_key, t)),
        IndexKind::Local => None,
    };
    let sort = index.sort_key.as_ref().zip(ik.sort.as_ref());
    Ok(partition.into_iter().chain(sort).collect())
}

/// The current time in ISO 8601 (RFC 3339, UTC).
pub fn now_iso8601() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The full item for an entity: its attributes, composed keys, entity type and timestamps.
pub fn entity_item<E: Entity>(schema: &TableSchema, entity: &E, now: &str) -> Result<Item> {
    entity.validate()?;
    let mut item = Item::from_serialize(entity)?;
    write::check_no_managed_fields::<E>(schema, &item)?;
    let key = primary_key::<E>(schema, &item)?;
    let index_keys = index_keys::<E>(schema, &item)?;
    item.extend(key);
    item.extend(index_keys);
    let options = E::options();
    if let Some(a) = options.entity_attribute {
        item.insert(a.to_string(), Value::from(E::ENTITY_TYPE));
    }
    for a in [options.created_attribute, options.modified_attribute]
        .into_iter()
        .flatten()
    {
        item.insert(a.to_string(), Value::from(now));
    }
    Ok(item)
}

/// True if `item` is of entity `E` (or carries no entity type to tell).
pub fn is_entity<E: Entity>(item: &Item) -> bool {
    match E::options().entity_attribute {
        Some(a) => match item.get(a) {
            Some(Value::S(t)) => t == E::ENTITY_TYPE,
            _ => false,
        },
        None => true,
    }
}
