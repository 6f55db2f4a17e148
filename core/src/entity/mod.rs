//! Entities: domain types stored as items, with keys composed from their attributes.

pub mod collision;
pub mod encrypt;
mod keys;
pub mod template;
pub mod update;
pub mod write;

use serde::de::DeserializeOwned;
use serde::Serialize;

pub(crate) use crate::entity::keys::primary_key_of;
use crate::entity::template::{Attributes, KeyTemplate};
use crate::error::{Error, Result};
use crate::item::{Item, Value};
use crate::schema::{IndexKind, IndexSchema, KeyAttribute, TableSchema};

/// The key templates of one secondary index of an entity.
///
/// ```
/// use monotable_core::{EntityKeys, KeyTemplate};
/// let keys = EntityKeys::new("USER#{user}")
///     .with_sort("ORDER#{id}")
///     .with_index("gsi1", "ORDER#{id}", Some("ORDER"))
///     .with_local_index("lsi1", "TOTAL#{total:08}");
/// let gsi1 = keys.index("gsi1").and_then(|ix| ix.partition.as_ref());
/// assert_eq!(gsi1, Some(&KeyTemplate::new("ORDER#{id}")));
/// // A local index has no partition template: it is read with the table's.
/// let (pk, sk) = keys.templates(Some("lsi1"))?;
/// assert_eq!(pk.as_str(), "USER#{user}");
/// assert_eq!(sk.map(|t| t.as_str()), Some("TOTAL#{total:08}"));
/// # Ok::<(), monotable_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexKeys {
    /// The table's index name.
    pub index: String,
    /// Partition key template (`None` for a local index, which shares the table's).
    pub partition: Option<KeyTemplate>,
    /// Sort key template, if the index has a sort key.
    pub sort: Option<KeyTemplate>,
}

/// A global index whose keys are the entity's own attributes, stored as they are (no
/// template): a multi-attribute index (up to four partition and four sort attributes, each
/// keeping its type), or a single-attribute index over one field. Queries give every
/// partition attribute and a leading run of the sort attributes. An entity without some of
/// them (an `Option` field that is `None`) is simply not in the index.
///
/// ```
/// use monotable_core::{EntityKeys, Error, IndexSchema, KeyAttribute as K, TableSchema};
/// let keys = EntityKeys::new("TASK#{id}")
///     .with_sort("TASK")
///     .with_attribute_index("byTeam", &["org", "team"], &["priority"]);
/// let by_team = &keys.attribute_indexes[0];
/// assert_eq!(by_team.attributes().collect::<Vec<_>>(), ["org", "team", "priority"]);
///
/// let index =
///     IndexSchema::multi_attribute("byTeam", [K::s("org"), K::s("team")], [K::n("priority")]);
/// let schema = TableSchema::single_table("tasks").with_index(index);
/// assert_eq!(by_team.schema_index("Task", &schema)?.sort_keys, [K::n("priority")]);
/// // A table whose `byTeam` is over other attributes is refused.
/// let other = TableSchema::single_table("tasks").with_gsi("byTeam");
/// assert!(matches!(by_team.schema_index("Task", &other), Err(Error::InvalidKey { .. })));
/// # Ok::<(), monotable_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeIndex {
    /// The table's index name.
    pub index: String,
    /// The partition attributes, in the index's key-schema order.
    pub partition: Vec<String>,
    /// The sort attributes, in the index's key-schema order.
    pub sort: Vec<String>,
}

impl AttributeIndex {
    /// Every key attribute: partition, then sort.
    pub fn attributes(&self) -> impl Iterator<Item = &str> {
        self.partition.iter().chain(&self.sort).map(String::as_str)
    }

    /// The table's index of this name, checked to be a global index over exactly these
    /// attributes in this order.
    pub fn schema_index<'a>(
        &self,
        entity: &str,
        schema: &'a TableSchema,
    ) -> Result<&'a IndexSchema> {
        let mismatch = |reason: String| Error::InvalidKey {
            template: self.index.clone(),
            part: self.index.clone(),
            reason,
        };
        let (_, index) = schema.index(&self.index).map_err(|_| {
            mismatch(format!(
                "entity {entity} names index {} that the table does not have",
                self.index
            ))
        })?;
        let names = |keys: &[KeyAttribute]| keys.iter().map(|k| k.name.clone()).collect::<Vec<_>>();
        if index.kind != IndexKind::Global
            || names(&index.partition_keys) != self.partition
            || names(&index.sort_keys) != self.sort
        {
            return Err(mismatch(format!(
                "entity {entity} declares index {} over partition {:?} and sort {:?}; the table's \
                 index has partition {:?} and sort {:?}",
                self.index,
                self.partition,
                self.sort,
                names(&index.partition_keys),
                names(&index.sort_keys)
            )));
        }
        Ok(index)
    }
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
    /// Global indexes over the entity's own attributes (no templates).
    pub attribute_indexes: Vec<AttributeIndex>,
}

impl EntityKeys {
    /// Keys with this partition key template.
    pub fn new(partition: impl Into<KeyTemplate>) -> Self {
        EntityKeys {
            partition: partition.into(),
            sort: None,
            indexes: Vec::new(),
            attribute_indexes: Vec::new(),
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

    /// Adds a global index whose keys are these attributes of the entity, as stored (a
    /// multi-attribute index, or a single-attribute one over a field).
    ///
    /// ```
    /// # use monotable_core::{entity::entity_item, Entity, EntityKeys, IndexSchema, KeyAttribute as K, KeySchema, TableSchema, Value};
    /// # #[derive(serde::Serialize, serde::Deserialize)] struct Task { id: String, org: String, team: Option<String>, priority: u32 }
    /// # #[derive(serde::Serialize)] struct TaskKey { id: String }
    /// # impl Entity for Task { const ENTITY_TYPE: &'static str = "Task"; type Key = TaskKey; }
    /// impl KeySchema for Task {
    ///     fn key_templates() -> EntityKeys {
    ///         EntityKeys::new("TASK#{id}")
    ///             .with_sort("TASK")
    ///             .with_attribute_index("byTeam", &["org", "team"], &["priority"])
    ///     }
    /// }
    /// # let index = IndexSchema::multi_attribute("byTeam", [K::s("org"), K::s("team")], [K::n("priority")]);
    /// # let schema = TableSchema::single_table("tasks").with_index(index);
    /// let task = Task { id: "t1".into(), org: "acme".into(), team: None, priority: 2 };
    /// let item = entity_item(&schema, &task, "2024-05-01T12:00:00Z")?;
    /// assert_eq!(item.get("priority"), Some(&Value::from(2))); // stored as it is, a number
    /// assert!(!item.contains_key("team")); // a `None` key attribute: not in the index
    /// # Ok::<(), monotable_core::Error>(())
    /// ```
    pub fn with_attribute_index(
        mut self,
        index: impl Into<String>,
        partition: &[&str],
        sort: &[&str],
    ) -> Self {
        self.attribute_indexes.push(AttributeIndex {
            index: index.into(),
            partition: partition.iter().map(|s| s.to_string()).collect(),
            sort: sort.iter().map(|s| s.to_string()).collect(),
        });
        self
    }

    /// The attribute index of this name, if the entity declares one.
    pub fn attribute_index(&self, name: &str) -> Option<&AttributeIndex> {
        self.attribute_indexes.iter().find(|i| i.index == name)
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
///
/// ```
/// # use monotable_core::{entity::*, Entity, EntityKeys, Error, Item, KeySchema, TableSchema, Value};
/// # #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)] struct Order { user: String, id: String, total: u64 }
/// # #[derive(serde::Serialize)] struct OrderKey { user: String, id: String }
/// # impl KeySchema for Order { fn key_templates() -> EntityKeys {
/// #     EntityKeys::new("USER#{user}").with_sort("ORDER#{id}").with_index("gsi1", "ORDER#{id}", Some("ORDER")) } }
/// # fn order(id: &str, total: u64) -> Order { Order { user: "u1".into(), id: id.into(), total } }
/// # let schema = TableSchema::single_table("shop").with_gsi("gsi1");
/// # use monotable_core::EntityOptions;
/// impl Entity for Order {
///     const ENTITY_TYPE: &'static str = "Order";
///     type Key = OrderKey;
///     fn options() -> EntityOptions {
///         EntityOptions {
///             entity_attribute: Some("type"),
///             version_attribute: Some("v"),
///             ..Default::default()
///         }
///     }
/// }
/// let (item, _) = write::create(&schema, &order("o1", 10), "2024-05-01T12:00:00Z")?;
/// assert_eq!(item.get("type"), Some(&Value::from("Order")));
/// assert_eq!(item.get("v"), Some(&Value::from(1)));
/// assert!(item.contains_key("_ct") && !item.contains_key("_et"));
/// # Ok::<(), monotable_core::Error>(())
/// ```
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

/// How a field's value is generated by `create` when the entity leaves it empty.
///
/// ```
/// # use monotable_core::{entity::*, Entity, EntityKeys, KeySchema, TableSchema, Value};
/// # #[derive(serde::Serialize, serde::Deserialize)] struct Note { id: String, text: String }
/// # #[derive(serde::Serialize)] struct NoteKey { id: String }
/// # impl KeySchema for Note { fn key_templates() -> EntityKeys { EntityKeys::new("NOTE#{id}").with_sort("NOTE") } }
/// impl Entity for Note {
///     const ENTITY_TYPE: &'static str = "Note";
///     type Key = NoteKey;
///     fn generated() -> &'static [(&'static str, Generate)] {
///         &[("id", Generate::Ulid)]
///     }
/// }
/// # let schema = TableSchema::single_table("notes");
/// let note = Note { id: String::new(), text: "hello".into() };
/// let item = new_entity_item(&schema, &note, "2024-05-01T12:00:00Z")?;
/// let id = item.get("id").and_then(Value::as_s).unwrap_or_default();
/// assert_eq!(id.len(), 26); // a ULID, filled in before the key is composed
/// assert_eq!(item.get("pk"), Some(&Value::from(format!("NOTE#{id}"))));
/// assert_eq!(Generate::UuidV7.value().len(), 36);
/// # Ok::<(), monotable_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generate {
    /// A ULID (26 characters, sortable by creation time), from the `ulid` crate.
    Ulid,
    /// A random UUID (version 4), from the `uuid` crate.
    UuidV4,
    /// A time-ordered UUID (version 7), from the `uuid` crate.
    UuidV7,
}

impl Generate {
    /// A new value, as text.
    pub fn value(self) -> String {
        match self {
            Generate::Ulid => ulid::Ulid::new().to_string(),
            Generate::UuidV4 => uuid::Uuid::new_v4().to_string(),
            Generate::UuidV7 => uuid::Uuid::now_v7().to_string(),
        }
    }
}

/// Whether a field counts as left empty: absent, null, or the empty string.
pub fn is_empty_field(v: Option<&Value>) -> bool {
    matches!(v, None | Some(Value::Null)) || matches!(v, Some(Value::S(s)) if s.is_empty())
}

/// One stored attribute of an entity: its name and whether every item must have it.
///
/// An update that sets every required attribute may create the item; any other must find
/// it:
///
/// ```
/// # use monotable_core::{entity::*, entity::write::UpdateTime, Entity, EntityKeys, KeySchema, TableSchema, Update};
/// # #[derive(serde::Serialize, serde::Deserialize)] struct Order { user: String, id: String, total: u64, note: Option<String> }
/// # #[derive(serde::Serialize)] struct OrderKey { user: String, id: String }
/// # impl KeySchema for Order { fn key_templates() -> EntityKeys { EntityKeys::new("USER#{user}").with_sort("ORDER#{id}") } }
/// const ATTRIBUTES: &[EntityAttribute] = &[
///     EntityAttribute { name: "user", required: true },
///     EntityAttribute { name: "id", required: true },
///     EntityAttribute { name: "total", required: true },
///     EntityAttribute { name: "note", required: false },
/// ];
/// impl Entity for Order {
///     const ENTITY_TYPE: &'static str = "Order";
///     type Key = OrderKey;
///     fn attributes() -> Option<&'static [EntityAttribute]> { Some(ATTRIBUTES) }
/// }
/// # let schema = TableSchema::single_table("shop");
/// # let key = OrderKey { user: "u1".into(), id: "o1".into() };
/// let at = UpdateTime { now: "2024-05-01T12:00:00Z", stored: None };
/// let plan = |u| write::update::<Order>(&schema, &key, u, None, None, false, at);
/// assert!(!plan(Update::new().set("total", 5))?.expect.must_exist);
/// assert!(plan(Update::new().set("note", "gift"))?.expect.must_exist);
/// # Ok::<(), monotable_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntityAttribute {
    /// The stored name (after serde's renames).
    pub name: &'static str,
    /// False for an `Option` field or one with a serde default.
    pub required: bool,
}

/// How an entity's keys are composed. Written by `#[derive(Entity)]`, or by hand.
///
/// ```
/// use monotable_core::{EntityKeys, KeySchema};
/// struct Session;
/// impl KeySchema for Session {
///     fn key_templates() -> EntityKeys {
///         EntityKeys::new("SESSION#{token}").with_sort("SESSION")
///     }
/// }
/// assert_eq!(Session::key_templates().partition.attributes(), ["token"]);
/// ```
pub trait KeySchema {
    /// The entity's key templates (monotable calls this once per type: see [`keys`]).
    fn key_templates() -> EntityKeys;
}

/// `E`'s key templates, parsed once per type and kept for the life of the process: every
/// write composes keys, and parsing the templates each time cost more than composing.
///
/// ```
/// # use monotable_core::{entity::*, Entity, EntityKeys, Error, Item, KeySchema, TableSchema, Value};
/// # #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)] struct Order { user: String, id: String, total: u64 }
/// # #[derive(serde::Serialize)] struct OrderKey { user: String, id: String }
/// # impl KeySchema for Order { fn key_templates() -> EntityKeys {
/// #     EntityKeys::new("USER#{user}").with_sort("ORDER#{id}").with_index("gsi1", "ORDER#{id}", Some("ORDER")) } }
/// # impl Entity for Order { const ENTITY_TYPE: &'static str = "Order"; type Key = OrderKey; }
/// use monotable_core::entity::keys;
/// let templates = keys::<Order>(); // parsed on the first call, then kept
/// assert!(std::ptr::eq(templates, keys::<Order>()));
/// assert_eq!(templates.partition.as_str(), "USER#{user}");
/// ```
pub fn keys<E: Entity>() -> &'static EntityKeys {
    use std::any::TypeId;
    use std::collections::HashMap;
    use std::hash::{BuildHasherDefault, Hasher};
    use std::sync::{OnceLock, RwLock};
    /// A `TypeId` is already a hash: mixing its bits once is enough (SipHash cost more than
    /// the rest of the lookup).
    #[derive(Default)]
    struct TypeIdHasher(u64);
    impl Hasher for TypeIdHasher {
        fn finish(&self) -> u64 {
            self.0
        }
        fn write(&mut self, bytes: &[u8]) {
            for chunk in bytes.chunks(8) {
                let mut word = [0u8; 8];
                word[..chunk.len()].copy_from_slice(chunk);
                self.write_u64(u64::from_le_bytes(word));
            }
        }
        fn write_u64(&mut self, n: u64) {
            self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    type Cache = HashMap<TypeId, &'static EntityKeys, BuildHasherDefault<TypeIdHasher>>;
    static CACHE: OnceLock<RwLock<Cache>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let id = TypeId::of::<E>();
    if let Some(k) = cache.read().unwrap_or_else(|e| e.into_inner()).get(&id) {
        return k;
    }
    let mut map = cache.write().unwrap_or_else(|e| e.into_inner());
    map.entry(id)
        .or_insert_with(|| Box::leak(Box::new(E::key_templates())))
}

/// A domain type stored as items of one entity type.
///
/// ```
/// use monotable_core::entity::{decode, entity_item};
/// use monotable_core::{Entity, EntityKeys, KeySchema, TableSchema, Value};
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
///
/// let user = User { user_id: "u1".into(), email: "ada@example.com".into() };
/// let item = entity_item(&TableSchema::single_table("app"), &user, "2024-05-01T12:00:00Z")?;
/// assert_eq!(item.get("pk"), Some(&Value::from("USER#u1")));
/// assert_eq!(item.get("_et"), Some(&Value::from("User")));
/// assert_eq!(decode::<User>(&item)?.email, "ada@example.com");
/// # Ok::<(), monotable_core::Error>(())
/// ```
pub trait Entity: KeySchema + Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The entity type, stored in the entity-type attribute.
    const ENTITY_TYPE: &'static str;

    /// The attributes that identify one entity (those of the primary key templates).
    type Key: Serialize + Send + Sync;

    /// Names of the managed attributes (see [`EntityOptions`]' example).
    fn options() -> EntityOptions {
        EntityOptions::default()
    }

    /// The entity's own stored attributes (its fields, by stored name) and which of them an
    /// item must have; `None` if not known. The derive lists them. The typed API uses them
    /// to remove an attribute a `put` leaves out, and to refuse an `update` that would create
    /// an item without a required attribute (see [`EntityAttribute`]'s example).
    fn attributes() -> Option<&'static [EntityAttribute]> {
        None
    }

    /// Fields (by stored name) that `create` fills with a generated identifier when the
    /// entity leaves them empty (see [`is_empty_field`]), before the keys are composed, so
    /// a generated id can be part of a key (see [`Generate`]'s example).
    fn generated() -> &'static [(&'static str, Generate)] {
        &[]
    }

    /// Fills write-time defaults into the fields the entity leaves empty, on every write of
    /// a whole entity (create, put, batch put, transaction create and put). The derive
    /// writes it from `#[monotable(default = "expression")]`.
    ///
    /// # Errors
    ///
    /// [`Error::Encode`] if a default cannot be converted. Returns whether it filled any.
    fn fill_defaults(fields: &mut Item) -> Result<bool> {
        let _ = fields;
        Ok(false)
    }

    /// The version of the entity's stored shape (`0`: not versioned). Items store it in
    /// `_sv`; an item of an older version is turned into the current shape by
    /// [`upgrade`](Self::upgrade) when read; an item of a newer version is
    /// [`Error::SchemaVersion`], never decoded silently.
    const SCHEMA_VERSION: u32 = 0;

    /// Turns a stored item of schema version `from` (older than
    /// [`SCHEMA_VERSION`](Self::SCHEMA_VERSION); `0` for items written before versioning)
    /// into the current shape, in place. The derive calls the function named by
    /// `#[monotable(schema_version = N, upgrade = "path")]`. See [`decode`]'s example.
    ///
    /// # Errors
    ///
    /// Whatever the upgrade reports (for example [`Error::Decode`]).
    fn upgrade(item: &mut Item, from: u32) -> Result<()> {
        let _ = (item, from);
        Ok(())
    }

    /// The field (by stored name) holding the item's expiry time, in epoch seconds, if the
    /// entity expires (DynamoDB's TTL). It must be the table's TTL attribute
    /// ([`TableSchema::with_ttl_attribute`]).
    const TTL: Option<&'static str> = None;

    /// Fields (by stored name) whose values no two entities of this type may share. Each
    /// value is held by a guard item written in the same transaction as the entity.
    const UNIQUE: &'static [&'static str] = &[];

    /// Fields (by stored name) stored encrypted (see [`encrypt`]): sealed on every write,
    /// opened on every read; never in a key template.
    const ENCRYPTED: &'static [&'static str] = &[];

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
    /// Return [`Error::Validation`] (see [`validation_error`] and its example) naming the
    /// attribute.
    fn validate(&self) -> Result<()> {
        Ok(())
    }
}

/// A union of entity types that share a partition (ElectroDB's collection): usually an enum
/// with one variant per entity, written by `#[derive(Collection)]`, which decodes each item
/// into its variant by its entity type.
///
/// ```
/// # use monotable_core::{entity::*, Entity, EntityKeys, Error, Item, KeySchema, TableSchema, Value};
/// # #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)] struct Order { user: String, id: String, total: u64 }
/// # #[derive(serde::Serialize)] struct OrderKey { user: String, id: String }
/// # impl KeySchema for Order { fn key_templates() -> EntityKeys {
/// #     EntityKeys::new("USER#{user}").with_sort("ORDER#{id}").with_index("gsi1", "ORDER#{id}", Some("ORDER")) } }
/// # impl Entity for Order { const ENTITY_TYPE: &'static str = "Order"; type Key = OrderKey; }
/// # #[derive(serde::Serialize, serde::Deserialize)] struct Refund { user: String, id: String }
/// # impl KeySchema for Refund { fn key_templates() -> EntityKeys { EntityKeys::new("USER#{user}").with_sort("REFUND#{id}") } }
/// # impl Entity for Refund { const ENTITY_TYPE: &'static str = "Refund"; type Key = OrderKey; }
/// # fn order(id: &str, total: u64) -> Order { Order { user: "u1".into(), id: id.into(), total } }
/// # let schema = TableSchema::single_table("shop").with_gsi("gsi1");
/// # let now = "2024-05-01T12:00:00Z";
/// enum History { Order(Order), Refund(Refund) }
/// impl Collection for History {
///     fn from_item(item: &Item) -> monotable_core::Result<Option<Self>> {
///         if is_entity::<Order>(item) {
///             return decode(item).map(|o| Some(History::Order(o)));
///         }
///         let refund = is_entity::<Refund>(item).then(|| decode(item)).transpose()?;
///         Ok(refund.map(History::Refund))
///     }
/// }
/// let item = entity_item(&schema, &order("o1", 10), now)?;
/// assert!(matches!(History::from_item(&item)?, Some(History::Order(o)) if o.total == 10));
/// assert!(History::from_item(&Item::from([("_et", "Coupon")]))?.is_none());
/// # Ok::<(), monotable_core::Error>(())
/// ```
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
///
/// ```
/// # use monotable_core::{entity::*, Entity, EntityKeys, Error, Item, KeySchema, TableSchema, Value};
/// # #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)] struct Order { user: String, id: String, total: u64 }
/// # #[derive(serde::Serialize)] struct OrderKey { user: String, id: String }
/// # impl KeySchema for Order { fn key_templates() -> EntityKeys {
/// #     EntityKeys::new("USER#{user}").with_sort("ORDER#{id}").with_index("gsi1", "ORDER#{id}", Some("ORDER")) } }
/// impl Entity for Order {
///     const ENTITY_TYPE: &'static str = "Order";
///     type Key = OrderKey;
///     const VALIDATES: bool = true;
///     fn validate(&self) -> monotable_core::Result<()> {
///         if self.total == 0 {
///             return Err(validation_error::<Self>("total", "must be positive"));
///         }
///         Ok(())
///     }
/// }
/// # fn order(id: &str, total: u64) -> Order { Order { user: "u1".into(), id: id.into(), total } }
/// # let schema = TableSchema::single_table("shop").with_gsi("gsi1");
/// # let now = "2024-05-01T12:00:00Z";
/// let err = entity_item(&schema, &order("o1", 0), now).unwrap_err();
/// assert_eq!(err.to_string(), "invalid Order: total: must be positive");
/// ```
pub fn validation_error<E: Entity>(attribute: &str, reason: impl Into<String>) -> Error {
    Error::Validation {
        entity: E::ENTITY_TYPE.to_string(),
        attribute: attribute.to_string(),
        reason: reason.into(),
    }
}

/// The table's primary key for an entity, composed from `attrs`.
///
/// ```
/// # use monotable_core::{entity::*, Entity, EntityKeys, Error, Item, KeySchema, TableSchema, Value};
/// # #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)] struct Order { user: String, id: String, total: u64 }
/// # #[derive(serde::Serialize)] struct OrderKey { user: String, id: String }
/// # impl KeySchema for Order { fn key_templates() -> EntityKeys {
/// #     EntityKeys::new("USER#{user}").with_sort("ORDER#{id}").with_index("gsi1", "ORDER#{id}", Some("ORDER")) } }
/// # impl Entity for Order { const ENTITY_TYPE: &'static str = "Order"; type Key = OrderKey; }
/// # fn order(id: &str, total: u64) -> Order { Order { user: "u1".into(), id: id.into(), total } }
/// # let schema = TableSchema::single_table("shop").with_gsi("gsi1");
/// # let now = "2024-05-01T12:00:00Z";
/// let attrs = Item::from([("user", "u1"), ("id", "o1")]);
/// let key = primary_key::<Order>(&schema, &attrs)?;
/// assert_eq!(key, Item::from([("pk", "USER#u1"), ("sk", "ORDER#o1")]));
/// let partial = primary_key::<Order>(&schema, &Item::from([("user", "u1")]));
/// assert!(matches!(partial, Err(Error::InvalidKey { part, .. }) if part == "id"));
/// # Ok::<(), monotable_core::Error>(())
/// ```
pub fn primary_key<E: Entity>(schema: &TableSchema, attrs: &Item) -> Result<Item> {
    primary_key_from::<E, _>(schema, attrs)
}

/// [`primary_key`] over any source of attribute values (an item, or a key struct's fields).
pub(crate) fn primary_key_from<E: Entity, A: Attributes + ?Sized>(
    schema: &TableSchema,
    attrs: &A,
) -> Result<Item> {
    let (partition, sort) = primary_key_values::<E, A>(schema, attrs)?;
    let mut out = Item::new();
    out.insert(schema.partition_key.name.clone(), partition);
    if let Some((name, v)) = sort {
        out.insert(name.to_string(), v);
    }
    Ok(out)
}

/// The values of the table's partition key and of its sort key (with the sort key's name),
/// composed from `attrs`.
fn primary_key_values<'s, E: Entity, A: Attributes + ?Sized>(
    schema: &'s TableSchema,
    attrs: &A,
) -> Result<(Value, Option<(&'s str, Value)>)> {
    let keys = keys::<E>();
    let partition = keys.partition.compose_complete_from(attrs)?;
    match (&schema.sort_key, &keys.sort) {
        (Some(sk), Some(t)) => Ok((partition, Some((&sk.name, t.compose_complete_from(attrs)?)))),
        (Some(sk), None) => Err(Error::InvalidKey {
            template: keys.partition.to_string(),
            part: sk.name.clone(),
            reason: format!(
                "the table has a sort key; entity {} declares no sort template",
                E::ENTITY_TYPE
            ),
        }),
        (None, Some(t)) => Err(Error::InvalidKey {
            template: t.to_string(),
            part: t.to_string(),
            reason: "the table has no sort key".into(),
        }),
        (None, None) => Ok((partition, None)),
    }
}

/// The index key attributes of an entity, composed from `attrs`. An index whose template
/// names an absent attribute is left out (a sparse index).
///
/// ```
/// # use monotable_core::{entity::index_keys, Entity, EntityKeys, Item, KeySchema, TableSchema, Value};
/// # #[derive(serde::Serialize, serde::Deserialize)] struct Order { user: String, id: String, status: Option<String> }
/// # #[derive(serde::Serialize)] struct OrderKey { user: String, id: String }
/// # impl Entity for Order { const ENTITY_TYPE: &'static str = "Order"; type Key = OrderKey; }
/// # let schema = TableSchema::single_table("shop").with_gsi("gsi1");
/// impl KeySchema for Order {
///     fn key_templates() -> EntityKeys {
///         EntityKeys::new("USER#{user}")
///             .with_sort("ORDER#{id}")
///             .with_index("gsi1", "STATUS#{status}", Some("ORDER#{id}"))
///     }
/// }
/// let open = Item::from([("user", "u1"), ("id", "o1"), ("status", "open")]);
/// let keys = index_keys::<Order>(&schema, &open)?;
/// assert_eq!(keys[0], ("gsi1pk".to_string(), Value::from("STATUS#open")));
/// assert_eq!(keys.len(), 2);
/// // Without a status the order is not in gsi1 (a sparse index).
/// let no_status = Item::from([("user", "u1"), ("id", "o1")]);
/// assert!(index_keys::<Order>(&schema, &no_status)?.is_empty());
/// # Ok::<(), monotable_core::Error>(())
/// ```
pub fn index_keys<E: Entity>(schema: &TableSchema, attrs: &Item) -> Result<Vec<(String, Value)>> {
    let mut out = Vec::new();
    push_index_keys::<E>(schema, attrs, &mut out)?;
    Ok(out)
}

/// [`index_keys`], appended to `out`.
fn push_index_keys<E: Entity>(
    schema: &TableSchema,
    attrs: &Item,
    out: &mut Vec<(String, Value)>,
) -> Result<()> {
    for ik in &keys::<E>().indexes {
        let (partition, sort) = index_key_pair::<E>(schema, ik)?;
        let start = out.len();
        let mut complete = true;
        for (attr, template) in partition.into_iter().chain(sort) {
            match template.value_if_complete(attrs)? {
                Some(v) => out.push((attr.name.clone(), v)),
                None => complete = false,
            }
        }
        if !complete {
            out.truncate(start);
        }
    }
    Ok(())
}

/// The key attributes of one of the entity's indexes, each with the entity's template for
/// it. A local index's partition key is the table's, composed by the table's template, so
/// only its sort key is listed.
pub(crate) fn index_key_templates<'a, E: Entity>(
    schema: &'a TableSchema,
    ik: &'a IndexKeys,
) -> Result<Vec<(&'a KeyAttribute, &'a KeyTemplate)>> {
    let (partition, sort) = index_key_pair::<E>(schema, ik)?;
    Ok(partition.into_iter().chain(sort).collect())
}

/// A key attribute of an index with the entity's template for it.
type KeyPart<'a> = Option<(&'a KeyAttribute, &'a KeyTemplate)>;

/// [`index_key_templates`] without the list: the partition key (global indexes only) and
/// the sort key.
fn index_key_pair<'a, E: Entity>(
    schema: &'a TableSchema,
    ik: &'a IndexKeys,
) -> Result<(KeyPart<'a>, KeyPart<'a>)> {
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
        IndexKind::Global => index.partition_keys.first().zip(ik.partition.as_ref()),
        IndexKind::Local => None,
    };
    let sort = index.sort_keys.first().zip(ik.sort.as_ref());
    Ok((partition, sort))
}

/// The current time in ISO 8601 (RFC 3339, UTC).
pub fn now_iso8601() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The full item for an entity: its attributes (with write-time defaults), composed keys,
/// entity type and timestamps.
///
/// ```
/// # use monotable_core::{entity::*, Entity, EntityKeys, Error, Item, KeySchema, TableSchema, Value};
/// # #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)] struct Order { user: String, id: String, total: u64 }
/// # #[derive(serde::Serialize)] struct OrderKey { user: String, id: String }
/// # impl KeySchema for Order { fn key_templates() -> EntityKeys {
/// #     EntityKeys::new("USER#{user}").with_sort("ORDER#{id}").with_index("gsi1", "ORDER#{id}", Some("ORDER")) } }
/// # impl Entity for Order { const ENTITY_TYPE: &'static str = "Order"; type Key = OrderKey; }
/// # fn order(id: &str, total: u64) -> Order { Order { user: "u1".into(), id: id.into(), total } }
/// # let schema = TableSchema::single_table("shop").with_gsi("gsi1");
/// # let now = "2024-05-01T12:00:00Z";
/// let item = entity_item(&schema, &order("o1", 10), "2024-05-01T12:00:00Z")?;
/// assert_eq!(item.get("pk"), Some(&Value::from("USER#u1")));
/// assert_eq!(item.get("gsi1sk"), Some(&Value::from("ORDER")));
/// assert_eq!(item.get("_et"), Some(&Value::from("Order")));
/// assert_eq!(item.get("_ct"), Some(&Value::from("2024-05-01T12:00:00Z")));
/// // The 3 fields, 4 key attributes, the entity type and the 2 timestamps.
/// assert_eq!(item.len(), 10);
/// # Ok::<(), monotable_core::Error>(())
/// ```
pub fn entity_item<E: Entity>(schema: &TableSchema, entity: &E, now: &str) -> Result<Item> {
    build_item(schema, entity, now, None, false)
}

/// The item of an entity already stored with creation time `created` (`None`: a new one),
/// as [`entity_item`]: index keys whose templates use the creation time are composed with
/// the stored one.
pub fn entity_item_created<E: Entity>(
    schema: &TableSchema,
    entity: &E,
    now: &str,
    created: Option<&Value>,
) -> Result<Item> {
    build_item(schema, entity, now, created, false)
}

/// The item of a new entity, as [`entity_item`], with generated fields filled first.
pub fn new_entity_item<E: Entity>(schema: &TableSchema, entity: &E, now: &str) -> Result<Item> {
    build_item(schema, entity, now, None, true)
}

/// True if one of `E`'s index key templates uses `attribute`.
fn index_templates_use<E: Entity>(attribute: &str) -> bool {
    keys::<E>()
        .indexes
        .iter()
        .flat_map(|ik| ik.partition.iter().chain(ik.sort.iter()))
        .any(|t| t.uses(attribute))
}

/// The creation-time attribute, if one of `E`'s index key templates uses it: a put that
/// composes such a key needs the stored creation time (read first, or refused where it
/// cannot be read, as in a transaction).
pub fn created_in_index_keys<E: Entity>() -> Option<&'static str> {
    E::options()
        .created_attribute
        .filter(|c| index_templates_use::<E>(c))
}

/// True if one of `E`'s index key templates uses a timestamp (creation or modification
/// time): an update that does not give the whole entity must read the stored item to
/// compose that key.
pub fn timestamps_in_index_keys<E: Entity>() -> bool {
    let options = E::options();
    [options.created_attribute, options.modified_attribute]
        .into_iter()
        .flatten()
        .any(index_templates_use::<E>)
}

fn build_item<E: Entity>(
    schema: &TableSchema,
    entity: &E,
    now: &str,
    stored_created: Option<&Value>,
    creating: bool,
) -> Result<Item> {
    let mut item = Item::from_serialize(entity)?;
    write::check_no_managed_fields::<E>(schema, &item)?;
    let keys = keys::<E>();
    for ai in &keys.attribute_indexes {
        ai.schema_index(E::ENTITY_TYPE, schema)?;
        // A `None` key attribute leaves the entity out of the index (DynamoDB refuses NULL
        // as a key value).
        for a in ai.attributes() {
            if matches!(item.get(a), Some(Value::Null)) {
                item.remove(a);
            }
        }
    }
    if let Some(ttl) = E::TTL {
        if schema.ttl_attribute.as_deref() != Some(ttl) {
            return Err(Error::Configuration {
                message: format!(
                    "{} expires by `{ttl}`, but table {} has {}: declare it with \
                     TableSchema::with_ttl_attribute(\"{ttl}\")",
                    E::ENTITY_TYPE,
                    schema.name,
                    match &schema.ttl_attribute {
                        Some(a) => format!("TTL attribute `{a}`"),
                        None => "no TTL attribute".to_string(),
                    }
                ),
            });
        }
    }
    let mut filled = E::fill_defaults(&mut item)?;
    if creating {
        for (field, how) in E::generated() {
            if is_empty_field(item.get(*field)) {
                item.insert(field.to_string(), Value::from(how.value()));
                filled = true;
            }
        }
    }
    // The hook sees the entity as it will be stored.
    if filled {
        item.deserialize_into::<E>()?.validate()?;
    } else {
        entity.validate()?;
    }
    let (partition, sort) = primary_key_values::<E, _>(schema, &item)?;
    item.insert(schema.partition_key.name.clone(), partition);
    if let Some((name, v)) = sort {
        item.insert(name.to_string(), v);
    }
    let options = E::options();
    if let Some(a) = options.entity_attribute {
        item.insert(a.to_string(), Value::from(E::ENTITY_TYPE));
    }
    if E::SCHEMA_VERSION > 0 {
        item.insert(
            SCHEMA_VERSION_ATTRIBUTE.to_string(),
            Value::from(E::SCHEMA_VERSION),
        );
    }
    for a in [options.created_attribute, options.modified_attribute]
        .into_iter()
        .flatten()
    {
        item.insert(a.to_string(), Value::from(now));
    }
    if let (Some(a), Some(v)) = (options.created_attribute, stored_created) {
        item.insert(a.to_string(), v.clone());
    }
    // Index keys last: their templates may use the timestamps.
    let mut index_keys = Vec::with_capacity(2 * keys.indexes.len());
    push_index_keys::<E>(schema, &item, &mut index_keys)?;
    item.extend(index_keys);
    // The item must read back as the entity, or no read could decode what is stored (a
    // field serde writes but cannot read, `deny_unknown_fields`…): refused before any write,
    // on every write path. Read before sealing, which opening undoes.
    item.deserialize_into::<E>()?;
    encrypt::seal_fields(&mut item, E::ENCRYPTED, E::ENTITY_TYPE)?;
    Ok(item)
}

/// The attribute holding an item's schema version.
pub const SCHEMA_VERSION_ATTRIBUTE: &str = "_sv";

/// The schema version an item was written with (`0` if it carries none).
pub fn stored_schema_version(item: &Item) -> u32 {
    schema_version_of(item.get(SCHEMA_VERSION_ATTRIBUTE))
}

/// The schema version a stored [`SCHEMA_VERSION_ATTRIBUTE`] value says: 0 if absent,
/// `u32::MAX` for a number that is not one (so that it is refused as too new).
pub(crate) fn schema_version_of(value: Option<&Value>) -> u32 {
    match value {
        Some(Value::N(n)) => n
            .to_u64()
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(u32::MAX),
        _ => 0,
    }
}

/// Decodes a stored item into `E`, upgrading an older shape first
/// ([`Entity::upgrade`]).
///
/// # Errors
///
/// [`Error::SchemaVersion`] for an item of a newer schema version than `E` knows;
/// [`Error::Decode`] if it does not decode.
///
/// ```
/// # use monotable_core::{entity::*, Entity, EntityKeys, Error, Item, KeySchema, TableSchema, Value};
/// # #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)] struct Order { user: String, id: String, total: u64 }
/// # #[derive(serde::Serialize)] struct OrderKey { user: String, id: String }
/// # impl KeySchema for Order { fn key_templates() -> EntityKeys {
/// #     EntityKeys::new("USER#{user}").with_sort("ORDER#{id}").with_index("gsi1", "ORDER#{id}", Some("ORDER")) } }
/// impl Entity for Order {
///     const ENTITY_TYPE: &'static str = "Order";
///     type Key = OrderKey;
///     const SCHEMA_VERSION: u32 = 1;
///     fn upgrade(item: &mut Item, _from: u32) -> monotable_core::Result<()> {
///         if let Some(amount) = item.remove("amount") {
///             item.insert("total".into(), amount); // renamed in version 1
///         }
///         Ok(())
///     }
/// }
/// let old = Item::from([("user", "u1"), ("id", "o1")]).with("amount", 10); // no `_sv`: 0
/// assert_eq!(decode::<Order>(&old)?.total, 10);
/// let newer = old.with("_sv", 2); // written by a newer program
/// assert!(matches!(decode::<Order>(&newer), Err(Error::SchemaVersion { stored: 2, .. })));
/// # Ok::<(), monotable_core::Error>(())
/// ```
pub fn decode<E: Entity>(item: &Item) -> Result<E> {
    if !E::ENCRYPTED.is_empty() {
        let mut opened = item.clone();
        encrypt::open_fields(&mut opened, E::ENCRYPTED, E::ENTITY_TYPE)?;
        return decode_opened::<E>(&opened);
    }
    decode_opened::<E>(item)
}

fn decode_opened<E: Entity>(item: &Item) -> Result<E> {
    let stored = stored_schema_version(item);
    if stored == E::SCHEMA_VERSION {
        return item.deserialize_into();
    }
    if stored > E::SCHEMA_VERSION {
        return Err(Error::SchemaVersion {
            entity: E::ENTITY_TYPE.to_string(),
            stored,
            supported: E::SCHEMA_VERSION,
        });
    }
    let mut upgraded = item.clone();
    E::upgrade(&mut upgraded, stored)?;
    upgraded.deserialize_into()
}

/// True if `item` is of entity `E`: its entity-type attribute names `E` (an item without one
/// is not). If `E` stores no entity type ([`EntityOptions::entity_attribute`] `None`), every
/// item is.
///
/// ```
/// # use monotable_core::{entity::*, Entity, EntityKeys, Error, Item, KeySchema, TableSchema, Value};
/// # #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)] struct Order { user: String, id: String, total: u64 }
/// # #[derive(serde::Serialize)] struct OrderKey { user: String, id: String }
/// # impl KeySchema for Order { fn key_templates() -> EntityKeys {
/// #     EntityKeys::new("USER#{user}").with_sort("ORDER#{id}").with_index("gsi1", "ORDER#{id}", Some("ORDER")) } }
/// # impl Entity for Order { const ENTITY_TYPE: &'static str = "Order"; type Key = OrderKey; }
/// assert!(is_entity::<Order>(&Item::from([("_et", "Order")])));
/// assert!(!is_entity::<Order>(&Item::from([("_et", "Refund")])));
/// assert!(!is_entity::<Order>(&Item::new()));
/// ```
pub fn is_entity<E: Entity>(item: &Item) -> bool {
    match E::options().entity_attribute {
        Some(a) => names_entity::<E>(item.get(a)),
        None => true,
    }
}

/// True if a stored entity-type attribute's value names `E`.
pub(crate) fn names_entity<E: Entity>(value: Option<&Value>) -> bool {
    matches!(value, Some(Value::S(t)) if t == E::ENTITY_TYPE)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The schema version read without printing the number, as the printed text parsed.
    #[test]
    fn schema_version_of_reads_the_number_as_its_text_parses() {
        let texts = "0 1 3 1000 1E3 1.5 -1 -0 4294967295 4294967296 1E30 0.0001 \
                     99999999999999999999999999999999999999";
        for text in texts.split_whitespace() {
            let n: crate::item::Number = text.parse().expect("a number");
            let by_text = n.to_string().parse().unwrap_or(u32::MAX);
            assert_eq!(schema_version_of(Some(&Value::N(n))), by_text, "{text}");
        }
        assert_eq!(schema_version_of(None), 0);
        assert_eq!(schema_version_of(Some(&Value::from("2"))), 0);
    }
}
