//! Table schemas: key attributes, secondary indexes and their projections.

use crate::error::{Error, Result};
use crate::item::{Item, Value, ValueType};

/// The type of a key attribute: DynamoDB keys are strings, numbers or binary.
///
/// ```
/// use monotable_core::{KeyType, Value, ValueType};
/// assert_eq!(KeyType::N.value_type(), ValueType::N);
/// assert!(KeyType::N.matches(&Value::from(42)));
/// assert!(!KeyType::S.matches(&Value::from(42)));
/// ```
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
///
/// ```
/// use monotable_core::{KeyAttribute, KeyType};
/// assert_eq!(KeyAttribute::n("created"), KeyAttribute::new("created", KeyType::N));
/// assert_eq!(KeyAttribute::s("pk").key_type, KeyType::S);
/// assert_eq!(KeyAttribute::b("digest").name, "digest");
/// ```
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
///
/// ```
/// use monotable_core::raw::{item_mutations, Space};
/// use monotable_core::{IndexSchema, Item, KeyAttribute, Projection, TableSchema};
///
/// let by_status = IndexSchema::global("byStatus", KeyAttribute::s("status"))
///     .with_projection(Projection::Include(vec!["total".into()]));
/// let schema = TableSchema::single_table("shop").with_index(by_status);
/// let order = Item::from([("pk", "U#1"), ("sk", "O#1"), ("status", "open"), ("note", "gift")])
///     .with("total", 10);
/// // The index entry keeps the keys and `total`, not `note`.
/// let entry = &item_mutations(&schema, None, Some(&order))[1];
/// assert_eq!(entry.space, Space::Index(0));
/// assert_eq!(entry.item.as_ref().map(|e| e.contains_key("note")), Some(false));
/// assert_eq!(entry.item.as_ref().map(|e| e.len()), Some(4));
/// ```
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
///
/// ```
/// use monotable_core::{IndexKind, IndexSchema, KeyAttribute, TableSchema};
/// let schema = TableSchema::single_table("shop")
///     .with_index(IndexSchema::local("byTotal", KeyAttribute::n("total")));
/// let (_, lsi) = schema.index("byTotal")?;
/// assert_eq!(lsi.kind, IndexKind::Local);
/// // A local index shares the table's partition key.
/// assert_eq!(lsi.partition_keys, [KeyAttribute::s("pk")]);
/// # Ok::<(), monotable_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexKind {
    /// A GSI: its own partition key.
    Global,
    /// An LSI: the table's partition key, its own sort key.
    Local,
}

/// A secondary index.
///
/// A local index has the table's partition key and one sort key. A global index has one
/// partition key and at most one sort key, or, as a multi-attribute index, up to
/// [`MAX_INDEX_KEY_ATTRIBUTES`] partition attributes and as many sort attributes, each with
/// its own type: queries give every partition attribute and a leading run of the sort
/// attributes, and entries order by the sort attributes left to right.
///
/// ```
/// use monotable_core::{IndexSchema, KeyAttribute};
/// let by_email = IndexSchema::global("byEmail", KeyAttribute::s("email"))
///     .with_sort_key(KeyAttribute::n("created"));
/// let names: Vec<&str> = by_email.keys().map(|k| k.name.as_str()).collect();
/// assert_eq!(names, ["email", "created"]);
/// assert!(!by_email.is_multi_attribute());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexSchema {
    /// Index name.
    pub name: String,
    /// Global or local.
    pub kind: IndexKind,
    /// Partition key attributes, in key-schema order (for an LSI, the table's; filled in by
    /// [`TableSchema::with_index`]).
    pub partition_keys: Vec<KeyAttribute>,
    /// Sort key attributes, in key-schema order (an LSI always has exactly one).
    pub sort_keys: Vec<KeyAttribute>,
    /// Projected attributes.
    pub projection: Projection,
}

/// Most partition attributes, and most sort attributes, of a multi-attribute global index.
pub const MAX_INDEX_KEY_ATTRIBUTES: usize = 4;

impl IndexSchema {
    /// A global secondary index with this partition key, projecting all attributes.
    pub fn global(name: impl Into<String>, partition_key: KeyAttribute) -> Self {
        IndexSchema {
            name: name.into(),
            kind: IndexKind::Global,
            partition_keys: vec![partition_key],
            sort_keys: Vec::new(),
            projection: Projection::All,
        }
    }

    /// A multi-attribute global index: these partition attributes and these sort
    /// attributes, in order, projecting all attributes.
    ///
    /// ```
    /// use monotable_core::{IndexSchema, KeyAttribute as K, TableSchema};
    /// let by_team = IndexSchema::multi_attribute(
    ///     "byTeam",
    ///     [K::s("org"), K::s("team")],
    ///     [K::n("priority"), K::s("status")],
    /// );
    /// assert!(by_team.is_multi_attribute());
    /// assert!(TableSchema::single_table("tasks").with_index(by_team).validate().is_ok());
    ///
    /// let five = IndexSchema::multi_attribute("wide", ["a", "b", "c", "d", "e"].map(K::s), []);
    /// let err = TableSchema::single_table("tasks").with_index(five).validate().unwrap_err();
    /// let expected = "Too many partition keys. GSI can have at most 4 partition keys";
    /// assert_eq!(err.to_string(), expected);
    /// ```
    pub fn multi_attribute(
        name: impl Into<String>,
        partition_keys: impl IntoIterator<Item = KeyAttribute>,
        sort_keys: impl IntoIterator<Item = KeyAttribute>,
    ) -> Self {
        IndexSchema {
            name: name.into(),
            kind: IndexKind::Global,
            partition_keys: partition_keys.into_iter().collect(),
            sort_keys: sort_keys.into_iter().collect(),
            projection: Projection::All,
        }
    }

    /// A local secondary index with this sort key, projecting all attributes.
    pub fn local(name: impl Into<String>, sort_key: KeyAttribute) -> Self {
        IndexSchema {
            name: name.into(),
            kind: IndexKind::Local,
            partition_keys: Vec::new(),
            sort_keys: vec![sort_key],
            projection: Projection::All,
        }
    }

    /// Adds a sort key attribute (after any already declared).
    pub fn with_sort_key(mut self, sort_key: KeyAttribute) -> Self {
        self.sort_keys.push(sort_key);
        self
    }

    /// Sets the projection.
    pub fn with_projection(mut self, projection: Projection) -> Self {
        self.projection = projection;
        self
    }

    /// The index's key attributes (partition attributes, then sort attributes).
    pub fn keys(&self) -> impl Iterator<Item = &KeyAttribute> {
        self.partition_keys.iter().chain(&self.sort_keys)
    }

    /// True if the index has more than one partition or more than one sort attribute.
    pub fn is_multi_attribute(&self) -> bool {
        self.partition_keys.len() > 1 || self.sort_keys.len() > 1
    }

    /// The partition and sort attributes a query of this index names.
    pub fn query_keys(&self) -> QueryKeys<'_> {
        QueryKeys {
            partition: &self.partition_keys,
            sort: &self.sort_keys,
        }
    }
}

/// The key attributes a query names: those of the table or of one index.
///
/// ```
/// use monotable_core::{IndexSchema, KeyAttribute as K, TableSchema};
/// let schema = TableSchema::single_table("tasks").with_index(IndexSchema::multi_attribute(
///     "byTeam",
///     [K::s("org"), K::s("team")],
///     [K::n("priority")],
/// ));
/// let table = schema.query_keys(None);
/// assert_eq!((table.partition[0].name.as_str(), table.sort.len()), ("pk", 1));
/// let by_team = schema.query_keys(Some(schema.index("byTeam")?.1));
/// assert_eq!(by_team.partition.len(), 2);
/// assert!(by_team.is_multi_attribute() && !table.is_multi_attribute());
/// # Ok::<(), monotable_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct QueryKeys<'a> {
    /// Partition attributes (one, or several for a multi-attribute index), in order.
    pub partition: &'a [KeyAttribute],
    /// Sort attributes (none, one, or several for a multi-attribute index), in order.
    pub sort: &'a [KeyAttribute],
}

impl QueryKeys<'_> {
    /// True if the keys are those of a multi-attribute index.
    pub fn is_multi_attribute(&self) -> bool {
        self.partition.len() > 1 || self.sort.len() > 1
    }
}

impl IndexSchema {
    /// The shape of the index's key, with DynamoDB's messages (rules MK1–MK5).
    fn validate_keys(&self) -> Result<()> {
        const TOO_BIG: &str = "Key Schema too big.  Key Schema must at most consist of the hash and range key of a table";
        let (hash, range) = (self.partition_keys.len(), self.sort_keys.len());
        match self.kind {
            IndexKind::Local => {
                if hash > 1 || range > 1 {
                    return Err(Error::invalid(TOO_BIG));
                }
                if range == 0 {
                    return Err(Error::invalid(
                        "Local secondary indexes need a table sort key and an index sort key",
                    ));
                }
            }
            IndexKind::Global => {
                if hash + range > 2 * MAX_INDEX_KEY_ATTRIBUTES {
                    return Err(Error::invalid(TOO_BIG));
                }
                if hash > MAX_INDEX_KEY_ATTRIBUTES {
                    return Err(Error::invalid(
                        "Too many partition keys. GSI can have at most 4 partition keys",
                    ));
                }
                if range > MAX_INDEX_KEY_ATTRIBUTES {
                    return Err(Error::invalid(
                        "Too many sort keys. GSI can have at most 4 sort keys",
                    ));
                }
                if hash == 0 {
                    return Err(Error::invalid(
                        "No Hash Key specified in schema.  All Dynamo DB tables must have exactly one hash key",
                    ));
                }
            }
        }
        let keys: Vec<&KeyAttribute> = self.keys().collect();
        for (i, k) in keys.iter().enumerate() {
            if keys[..i].iter().any(|o| o.name == k.name) {
                return Err(Error::invalid("Two keys can not have the same name"));
            }
        }
        Ok(())
    }
}

/// A table: name, primary key and secondary indexes.
///
/// ```
/// use monotable_core::{KeyAttribute, TableSchema};
/// // `pk` and `sk`, and a global index `gsi1` over `gsi1pk` and `gsi1sk`.
/// let schema = TableSchema::single_table("shop").with_gsi("gsi1").with_ttl_attribute("expires");
/// assert_eq!(schema.sort_key, Some(KeyAttribute::s("sk")));
/// assert_eq!(schema.indexes[0].sort_keys, [KeyAttribute::s("gsi1sk")]);
/// // A table with a numeric partition key and no sort key.
/// let counters = TableSchema::new("counters", KeyAttribute::n("id"));
/// assert_eq!(counters.keys().count(), 1);
/// ```
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
            index.partition_keys = vec![self.partition_key.clone()];
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

    /// The partition and sort attributes a query of the table (`None`) or of an index names.
    pub fn query_keys<'a>(&'a self, index: Option<&'a IndexSchema>) -> QueryKeys<'a> {
        match index {
            Some(index) => index.query_keys(),
            None => QueryKeys {
                partition: std::slice::from_ref(&self.partition_key),
                sort: self.sort_key.as_slice(),
            },
        }
    }

    /// The indexes in DynamoDB Local's internal order: local indexes, then global ones, each
    /// in the iteration order of a Java `HashMap` keyed by index name (the order of
    /// DescribeTable's lists, and the index a write error names when several hold the
    /// attribute: rule MK13).
    ///
    /// ```
    /// use monotable_core::{IndexSchema, KeyAttribute, TableSchema};
    /// let schema = TableSchema::single_table("tasks")
    ///     .with_index(IndexSchema::global("byOT", KeyAttribute::s("g")))
    ///     .with_index(IndexSchema::global("byOTh", KeyAttribute::s("g")))
    ///     .with_index(IndexSchema::local("lsi", KeyAttribute::s("l")));
    /// let order: Vec<&str> = schema.indexes_in_local_order().map(|i| i.name.as_str()).collect();
    /// assert_eq!(order, ["lsi", "byOTh", "byOT"]);
    /// ```
    pub fn indexes_in_local_order(&self) -> impl Iterator<Item = &IndexSchema> {
        let of_kind = |kind: IndexKind| {
            let mut v: Vec<&IndexSchema> = self.indexes.iter().filter(|i| i.kind == kind).collect();
            let buckets = java_hash_map_capacity(v.len());
            // A stable sort keeps insertion order within a bucket, as the map's chains do.
            v.sort_by_key(|i| java_hash_map_bucket(&i.name, buckets));
            v
        };
        of_kind(IndexKind::Local)
            .into_iter()
            .chain(of_kind(IndexKind::Global))
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

    /// Checks the schema itself: table and index names, distinct index names, the shape of
    /// each index's key (DynamoDB's messages), consistent attribute types.
    ///
    /// ```
    /// use monotable_core::{IndexSchema, KeyAttribute, TableSchema};
    /// let message = |s: TableSchema| s.validate().unwrap_err().to_string();
    /// let no_sort = TableSchema::new("users", KeyAttribute::s("pk"))
    ///     .with_index(IndexSchema::local("byAge", KeyAttribute::n("age")));
    /// assert_eq!(
    ///     message(no_sort),
    ///     "Local secondary indexes need a table sort key and an index sort key"
    /// );
    /// let retyped = TableSchema::single_table("users")
    ///     .with_index(IndexSchema::global("byPk", KeyAttribute::n("pk")));
    /// assert_eq!(message(retyped), "Attribute pk is declared with two different types");
    /// assert!(TableSchema::single_table("ab").validate().is_err()); // names have 3 to 255 bytes
    /// ```
    pub fn validate(&self) -> Result<()> {
        validate_table_name(&self.name)?;
        if self
            .indexes
            .iter()
            .any(|i| i.kind == IndexKind::Local && self.sort_key.is_none())
        {
            return Err(Error::invalid(
                "Local secondary indexes need a table sort key and an index sort key",
            ));
        }
        let mut types: Vec<&KeyAttribute> = self.keys().collect();
        for (i, index) in self.indexes.iter().enumerate() {
            validate_table_name(&index.name)?;
            if self.indexes[..i].iter().any(|o| o.name == index.name) {
                return Err(Error::invalid(format!(
                    "Duplicate index name: {}",
                    index.name
                )));
            }
            index.validate_keys()?;
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
    ///
    /// ```
    /// use monotable_core::TableSchema;
    /// let schema = TableSchema::single_table("shop").with_gsi("gsi1");
    /// let index = schema.index("gsi1")?.1;
    /// let names: Vec<&str> = schema.entry_keys(Some(index)).iter().map(|k| &*k.name).collect();
    /// assert_eq!(names, ["gsi1pk", "gsi1sk", "pk", "sk"]);
    /// # Ok::<(), monotable_core::Error>(())
    /// ```
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
    ///
    /// ```
    /// use monotable_core::{Item, TableSchema};
    /// let schema = TableSchema::single_table("shop");
    /// let item = Item::from([("pk", "USER#u1"), ("sk", "PROFILE"), ("name", "Ada")]);
    /// assert_eq!(schema.key_of(&item), Item::from([("pk", "USER#u1"), ("sk", "PROFILE")]));
    /// assert!(schema.is_key_attribute("sk") && !schema.is_key_attribute("name"));
    /// ```
    pub fn key_of(&self, item: &Item) -> Item {
        self.keys()
            .filter_map(|k| item.get(&k.name).map(|v| (k.name.clone(), v.clone())))
            .collect()
    }
}

/// The bucket count of a Java `HashMap` holding `entries` after default construction: 16,
/// doubled whenever the entries exceed three quarters of it.
fn java_hash_map_capacity(entries: usize) -> u32 {
    let mut capacity = 16u32;
    while entries as u32 > capacity / 4 * 3 {
        capacity *= 2;
    }
    capacity
}

/// The bucket of a string key in a Java `HashMap` of `capacity` buckets: `String.hashCode`
/// (UTF-16 code units), spread by `h ^ (h >>> 16)`, masked.
fn java_hash_map_bucket(key: &str, capacity: u32) -> u32 {
    let h = key
        .encode_utf16()
        .fold(0u32, |h, c| h.wrapping_mul(31).wrapping_add(u32::from(c)));
    (h ^ (h >> 16)) & (capacity - 1)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn names(schema: &TableSchema) -> Vec<&str> {
        schema
            .indexes_in_local_order()
            .map(|i| i.name.as_str())
            .collect()
    }

    fn with_globals(names: &[&str]) -> TableSchema {
        names.iter().fold(TableSchema::single_table("t_t"), |s, n| {
            s.with_index(IndexSchema::global(*n, KeyAttribute::s("g")))
        })
    }

    #[test]
    fn indexes_follow_a_java_hash_map() {
        // Created byOT, byOTh, byStatus, byBin, keysOnly, DynamoDB Local describes them as
        // byOTh, byOT, keysOnly, byBin, byStatus (p13/ct-describe-main): String.hashCode,
        // spread and masked to 16 buckets, puts them in buckets 2, 1, 14, 13, 7.
        let schema = with_globals(&["byOT", "byOTh", "byStatus", "byBin", "keysOnly"]);
        assert_eq!(
            names(&schema),
            ["byOTh", "byOT", "keysOnly", "byBin", "byStatus"]
        );
        assert_eq!(java_hash_map_bucket("byOT", 16), 2);
        assert_eq!(java_hash_map_bucket("byOTh", 16), 1);
    }

    #[test]
    fn a_thirteenth_index_doubles_the_buckets() {
        // Twelve entries fit 16 buckets (load factor 0.75); the thirteenth makes 32, which
        // moves i9 from bucket 0 to bucket 16.
        let twelve: Vec<String> = (0..12).map(|i| format!("i{i}")).collect();
        let refs: Vec<&str> = twelve.iter().map(String::as_str).collect();
        assert_eq!(java_hash_map_capacity(12), 16);
        assert_eq!(
            names(&with_globals(&refs)),
            ["i9", "i0", "i1", "i11", "i2", "i10", "i3", "i4", "i5", "i6", "i7", "i8"]
        );
        let mut thirteen = refs.clone();
        thirteen.push("i12");
        assert_eq!(java_hash_map_capacity(13), 32);
        assert_eq!(
            names(&with_globals(&thirteen)),
            ["i0", "i1", "i11", "i2", "i10", "i3", "i4", "i12", "i5", "i6", "i7", "i8", "i9"]
        );
    }

    #[test]
    fn local_indexes_come_first() {
        let schema =
            with_globals(&["byOT"]).with_index(IndexSchema::local("lsi", KeyAttribute::s("l")));
        assert_eq!(names(&schema), ["lsi", "byOT"]);
    }
}
