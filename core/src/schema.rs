//! Table schemas: key attributes, secondary indexes and their projections.

use crate::error::{Error, Result};
use crate::item::{Item, Value, ValueType};

/// The type of a key attribute: DynamoDB keys are strings, numbers or binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// String key.
    S,
    /// Number key.
    N,
    /// Binary key.
    B,
}

impl KeyType {
    /// The value type of this key type.
    pub fn value_type(self) -> ValueType {
        match self {
            KeyType::S => ValueType::S,
            KeyType::N => ValueType::N,
            KeyType::B => ValueType::B,
        }
    }

    /// True if `v` has this type.
    pub fn matches(self, v: &Value) -> bool {
        v.value_type() == self.value_type()
    }
}

/// A key attribute: its name and type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyAttribute {
    /// Attribute name.
    pub name: String,
    /// Attribute type.
    pub key_type: KeyType,
}

impl KeyAttribute {
    /// A key attribute of any type.
    pub fn new(name: impl Into<String>, key_type: KeyType) -> Self {
        KeyAttribute {
            name: name.into(),
            key_type,
        }
    }
    /// A string key attribute.
    pub fn s(name: impl Into<String>) -> Self {
        Self::new(name, KeyType::S)
    }
    /// A number key attribute.
    pub fn n(name: impl Into<String>) -> Self {
        Self::new(name, KeyType::N)
    }
    /// A binary key attribute.
    pub fn b(name: impl Into<String>) -> Self {
        Self::new(name, KeyType::B)
    }
}

/// Which attributes an index holds besides its keys and the table's keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Projection {
    /// Every attribute.
    All,
    /// Only the keys.
    KeysOnly,
    /// The keys and these attributes.
    Include(Vec<String>),
}

/// Global or local secondary index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexKind {
    /// A GSI: its own partition key.
    Global,
    /// An LSI: the table's partition key, its own sort key.
    Local,
}

/// A secondary index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexSchema {
    /// Index name.
    pub name: String,
    /// Global or local.
    pub kind: IndexKind,
    /// Partition key (for an LSI, the table's; filled in by [`TableSchema::with_index`]).
    pub partition_key: KeyAttribute,
    /// Sort key, if any (an LSI always has one).
    pub sort_key: Option<KeyAttribute>,
    /// Projected attributes.
    pub projection: Projection,
}

impl IndexSchema {
    /// A global secondary index with this partition key, projecting all attributes.
    pub fn global(name: impl Into<String>, partition_key: KeyAttribute) -> Self {
        IndexSchema {
            name: name.into(),
            kind: IndexKind::Global,
            partition_key,
            sort_key: None,
            projection: Projection::All,
        }
    }

    /// A local secondary index with this sort key, projecting all attributes.
    pub fn local(name: impl Into<String>, sort_key: KeyAttribute) -> Self {
        IndexSchema {
            name: name.into(),
            kind: IndexKind::Local,
            partition_key: KeyAttribute::s(""),
            sort_key: Some(sort_key),
            projection: Projection::All,
        }
    }

    /// Sets the sort key.
    pub fn with_sort_key(mut self, sort_key: KeyAttribute) -> Self {
        self.sort_key = Some(sort_key);
        self
    }

    /// Sets the projection.
    pub fn with_projection(mut self, projection: Projection) -> Self {
        self.projection = projection;
        self
    }

    /// The index's key attributes (partition, then sort).
    pub fn keys(&self) -> impl Iterator<Item = &KeyAttribute> {
        std::iter::once(&self.partition_key).chain(self.sort_key.as_ref())
    }
}

/// A table: name, primary key and secondary indexes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSchema {
    /// Table name.
    pub name: String,
    /// Partition key.
    pub partition_key: KeyAttribute,
    /// Sort key, if any.
    pub sort_key: Option<KeyAttribute>,
    /// Secondary indexes, global and local.
    pub indexes: Vec<IndexSchema>,
    /// Time-to-live attribute, if declared.
    pub ttl_attribute: Option<String>,
}

/// Largest item, in bytes.
pub const MAX_ITEM_SIZE: usize = 409_600;
/// Largest partition key value, in bytes.
pub const MAX_PARTITION_KEY_SIZE: usize = 2048;
/// Largest sort key value, in bytes.
pub const MAX_SORT_KEY_SIZE: usize = 1024;

impl TableSchema {
    /// A table with this partition key and no sort key.
    pub fn new(name: impl Into<String>, partition_key: KeyAttribute) -> Self {
        TableSchema {
            name: name.into(),
            partition_key,
            sort_key: None,
            indexes: Vec::new(),
            ttl_attribute: None,
        }
    }

    /// The usual single-table layout: string keys `pk` and `sk`.
    pub fn single_table(name: impl Into<String>) -> Self {
        Self::new(name, KeyAttribute::s("pk")).with_sort_key(KeyAttribute::s("sk"))
    }

    /// Sets the sort key.
    pub fn with_sort_key(mut self, sort_key: KeyAttribute) -> Self {
        self.sort_key = Some(sort_key);
        self
    }

    /// Adds a secondary index. For a local index the partition key is the table's.
    pub fn with_index(mut self, mut index: IndexSchema) -> Self {
        if index.kind == IndexKind::Local {
            index.partition_key = self.partition_key.clone();
        }
        self.indexes.push(index);
        self
    }

    /// Adds a global index with string keys `{name}pk` / `{name}sk`, the usual single-table
    /// GSI (`gsi1` → `gsi1pk`, `gsi1sk`).
    pub fn with_gsi(self, name: &str) -> Self {
        let index = IndexSchema::global(name, KeyAttribute::s(format!("{name}pk")))
            .with_sort_key(KeyAttribute::s(format!("{name}sk")));
        self.with_index(index)
    }

    /// Declares the time-to-live attribute.
    pub fn with_ttl_attribute(mut self, name: impl Into<String>) -> Self {
        self.ttl_attribute = Some(name.into());
        self
    }

    /// The table's key attributes (partition, then sort).
    pub fn keys(&self) -> impl Iterator<Item = &KeyAttribute> {
        std::iter::once(&self.partition_key).chain(self.sort_key.as_ref())
    }

    /// True if `name` is one of the table's key attributes.
    pub fn is_key_attribute(&self, name: &str) -> bool {
        self.keys().any(|k| k.name == name)
    }

    /// The index of this name and its position.
    pub fn index(&self, name: &str) -> Result<(usize, &IndexSchema)> {
        self.indexes
            .iter()
            .enumerate()
            .find(|(_, i)| i.name == name)
            .ok_or_else(|| {
                Error::invalid(format!(
                    "The table does not have the specified index: {name}"
                ))
            })
    }

    /// Checks the schema itself: table and index names, distinct index names, consistent
    /// attribute types.
    pub fn validate(&self) -> Result<()> {
        validate_table_name(&self.name)?;
        let mut types: Vec<&KeyAttribute> = self.keys().collect();
        for (i, index) in self.indexes.iter().enumerate() {
            validate_table_name(&index.name)?;
            if self.indexes[..i].iter().any(|o| o.name == index.name) {
                return Err(Error::invalid(format!(
                    "Duplicate index name: {}",
                    index.name
                )));
            }
            if index.kind == IndexKind::Local
                && (self.sort_key.is_none() || index.sort_key.is_none())
            {
                return Err(Error::invalid(
                    "Local secondary indexes need a table sort key and an index sort key",
                ));
            }
            types.extend(index.keys());
        }
        for (i, a) in types.iter().enumerate() {
            if types[..i]
                .iter()
                .any(|b| b.name == a.name && b.key_type != a.key_type)
            {
                return Err(Error::invalid(format!(
                    "Attribute {} is declared with two different types",
                    a.name
                )));
            }
        }
        Ok(())
    }

    /// The key attributes of an entry in the table (`index` `None`) or in an index: the
    /// index's keys, then the table's that the index does not already have. A page's last
    /// evaluated key has exactly these.
    pub fn entry_keys<'a>(&'a self, index: Option<&'a IndexSchema>) -> Vec<&'a KeyAttribute> {
        let mut keys: Vec<&KeyAttribute> = index.map(|i| i.keys().collect()).unwrap_or_default();
        for k in self.keys() {
            if !keys.iter().any(|x| x.name == k.name) {
                keys.push(k);
            }
        }
        keys
    }

    /// The primary key of an item: its key attributes only.
    pub fn key_of(&self, item: &Item) -> Item {
        self.keys()
            .filter_map(|k| item.get(&k.name).map(|v| (k.name.clone(), v.clone())))
            .collect()
    }
}

/// DynamoDB's rule for table and index names: 3 to 255 of `[a-zA-Z0-9_.-]`.
pub fn validate_table_name(name: &str) -> Result<()> {
    let ok = (3..=255).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "Invalid table/index name.  Table/index names must be between 3 and 255 characters long, and may contain only the characters a-z, A-Z, 0-9, '_', '-', and '.'",
        ))
    }
}
