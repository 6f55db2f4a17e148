//! The schema file: a table's key schema, indexes and TTL attribute in TOML or JSON.
//!
//! ```toml
//! table = "shop"
//! partition_key = "pk"        # a string key; "pk:N" for a number, "pk:B" for binary
//! sort_key = "sk"             # optional
//! ttl_attribute = "expires"   # optional
//!
//! [[indexes]]
//! name = "gsi1"
//! kind = "global"             # the default; "local" takes only a sort_key
//! partition_key = "gsi1pk"
//! sort_key = "gsi1sk"
//! projection = "all"          # the default; "keys_only", or a list of attributes
//! ```
//!
//! The same fields as a JSON object are read from a file whose name ends in `.json` (or
//! whose text starts with `{`). `monotable schema <url>` prints a table's schema in this form.

use std::path::Path;

use monotable::{IndexKind, IndexSchema, KeyAttribute, KeyType, Projection, TableSchema};
use serde::{Deserialize, Serialize};

use crate::Failure;

/// A table schema as written in a schema file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemaFile {
    /// Table name.
    pub table: String,
    /// Partition key: `name` or `name:S|N|B`.
    pub partition_key: String,
    /// Sort key, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_key: Option<String>,
    /// Time-to-live attribute, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_attribute: Option<String>,
    /// Secondary indexes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indexes: Vec<IndexFile>,
}

/// A secondary index in a schema file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexFile {
    /// Index name.
    pub name: String,
    /// `global` (the default) or `local`.
    #[serde(default)]
    pub kind: KindFile,
    /// Partition key of a global index: one `name[:T]`, or a list of up to four for a
    /// multi-attribute index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_key: Option<KeysFile>,
    /// Sort key (required for a local index): one, or a list of up to four.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_key: Option<KeysFile>,
    /// `all` (the default), `keys_only`, or a list of attributes.
    #[serde(default)]
    pub projection: ProjectionFile,
}

/// One key attribute, or the list of a multi-attribute index's attributes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum KeysFile {
    /// `name` or `name:S|N|B`.
    One(String),
    /// Several, in key-schema order.
    Many(Vec<String>),
}

impl KeysFile {
    fn attributes(&self) -> Result<Vec<KeyAttribute>, String> {
        match self {
            KeysFile::One(spec) => Ok(vec![key_attribute(spec)?]),
            KeysFile::Many(specs) => specs.iter().map(|s| key_attribute(s)).collect(),
        }
    }

    fn of(keys: &[KeyAttribute]) -> Option<KeysFile> {
        match keys {
            [] => None,
            [one] => Some(KeysFile::One(key_spec(one))),
            many => Some(KeysFile::Many(many.iter().map(key_spec).collect())),
        }
    }
}

/// Global or local.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KindFile {
    /// A global secondary index.
    #[default]
    Global,
    /// A local secondary index.
    Local,
}

/// An index projection.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ProjectionFile {
    /// `all` or `keys_only`.
    Named(String),
    /// The keys and these attributes.
    Include(Vec<String>),
}

impl Default for ProjectionFile {
    fn default() -> Self {
        ProjectionFile::Named("all".into())
    }
}

fn key_attribute(spec: &str) -> Result<KeyAttribute, String> {
    let (name, ty) = match spec.rsplit_once(':') {
        Some((name, "S")) => (name, KeyType::S),
        Some((name, "N")) => (name, KeyType::N),
        Some((name, "B")) => (name, KeyType::B),
        Some((_, other)) => return Err(format!("key {spec:?}: type {other:?} is not S, N or B")),
        None => (spec, KeyType::S),
    };
    if name.is_empty() {
        return Err(format!("key {spec:?} has no attribute name"));
    }
    Ok(KeyAttribute::new(name, ty))
}

fn key_spec(k: &KeyAttribute) -> String {
    match k.key_type {
        KeyType::S => k.name.clone(),
        KeyType::N => format!("{}:N", k.name),
        KeyType::B => format!("{}:B", k.name),
    }
}

impl SchemaFile {
    /// The table schema this file describes, validated.
    pub fn to_schema(&self) -> Result<TableSchema, String> {
        let mut schema = TableSchema::new(&self.table, key_attribute(&self.partition_key)?);
        if let Some(sk) = &self.sort_key {
            schema = schema.with_sort_key(key_attribute(sk)?);
        }
        if let Some(ttl) = &self.ttl_attribute {
            schema = schema.with_ttl_attribute(ttl);
        }
        for index in &self.indexes {
            let where_ = format!("index {:?}", index.name);
            let mut built = match index.kind {
                KindFile::Global => {
                    let pk = index
                        .partition_key
                        .as_ref()
                        .ok_or_else(|| format!("{where_}: a global index needs a partition_key"))?;
                    let sk = match &index.sort_key {
                        Some(sk) => sk.attributes()?,
                        None => Vec::new(),
                    };
                    IndexSchema::multi_attribute(&index.name, pk.attributes()?, sk)
                }
                KindFile::Local => {
                    if index.partition_key.is_some() {
                        return Err(format!(
                            "{where_}: a local index has the table's partition key; give only a sort_key"
                        ));
                    }
                    let sk = index
                        .sort_key
                        .as_ref()
                        .ok_or_else(|| format!("{where_}: a local index needs a sort_key"))?;
                    let mut sk = sk.attributes()?.into_iter();
                    let (Some(first), None) = (sk.next(), sk.next()) else {
                        return Err(format!("{where_}: a local index has exactly one sort_key"));
                    };
                    IndexSchema::local(&index.name, first)
                }
            };
            built = built.with_projection(match &index.projection {
                ProjectionFile::Named(n) if n == "all" => Projection::All,
                ProjectionFile::Named(n) if n == "keys_only" => Projection::KeysOnly,
                ProjectionFile::Named(n) => {
                    return Err(format!(
                        "{where_}: projection {n:?} is not \"all\", \"keys_only\" or a list of attributes"
                    ))
                }
                ProjectionFile::Include(attrs) => Projection::Include(attrs.clone()),
            });
            schema = schema.with_index(built);
        }
        schema.validate().map_err(|e| e.to_string())?;
        Ok(schema)
    }

    /// The file form of a table schema.
    pub fn from_schema(schema: &TableSchema) -> SchemaFile {
        SchemaFile {
            table: schema.name.clone(),
            partition_key: key_spec(&schema.partition_key),
            sort_key: schema.sort_key.as_ref().map(key_spec),
            ttl_attribute: schema.ttl_attribute.clone(),
            indexes: schema
                .indexes
                .iter()
                .map(|i| IndexFile {
                    name: i.name.clone(),
                    kind: match i.kind {
                        IndexKind::Global => KindFile::Global,
                        IndexKind::Local => KindFile::Local,
                    },
                    partition_key: (i.kind == IndexKind::Global)
                        .then(|| KeysFile::of(&i.partition_keys))
                        .flatten(),
                    sort_key: KeysFile::of(&i.sort_keys),
                    projection: match &i.projection {
                        Projection::All => ProjectionFile::Named("all".into()),
                        Projection::KeysOnly => ProjectionFile::Named("keys_only".into()),
                        Projection::Include(a) => ProjectionFile::Include(a.clone()),
                    },
                })
                .collect(),
        }
    }

    /// Reads a schema file (TOML, or JSON by extension or first character).
    pub fn load(path: &Path) -> Result<TableSchema, Failure> {
        let fail = |why: String| Failure::new(format!("--schema {}: {why}", path.display()));
        let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
        let json =
            path.extension().is_some_and(|e| e == "json") || text.trim_start().starts_with('{');
        let file: SchemaFile = if json {
            serde_json::from_str(&text).map_err(|e| fail(e.to_string()))?
        } else {
            toml::from_str(&text).map_err(|e| fail(e.to_string()))?
        };
        file.to_schema().map_err(fail)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn round_trips_through_toml() {
        let schema = TableSchema::single_table("shop")
            .with_gsi("gsi1")
            .with_index(
                IndexSchema::local("lsi1", KeyAttribute::n("rank"))
                    .with_projection(Projection::Include(vec!["a".into()])),
            )
            .with_ttl_attribute("expires");
        let text = toml::to_string(&SchemaFile::from_schema(&schema)).unwrap();
        let back: SchemaFile = toml::from_str(&text).unwrap();
        assert_eq!(back.to_schema().unwrap(), schema, "{text}");
    }

    #[test]
    fn multi_attribute_index_takes_key_lists() {
        let text = "table = \"github\"\npartition_key = \"pk\"\nsort_key = \"sk\"\n\
                    [[indexes]]\nname = \"byStatus\"\npartition_key = [\"owner\", \"repo\"]\n\
                    sort_key = [\"status\", \"number:N\"]\n";
        let file: SchemaFile = toml::from_str(text).unwrap();
        let schema = file.to_schema().unwrap();
        assert_eq!(
            schema.indexes[0],
            IndexSchema::multi_attribute(
                "byStatus",
                [KeyAttribute::s("owner"), KeyAttribute::s("repo")],
                [KeyAttribute::s("status"), KeyAttribute::n("number")],
            )
        );
        let again = toml::to_string(&SchemaFile::from_schema(&schema)).unwrap();
        assert!(
            again.contains("partition_key = [\"owner\", \"repo\"]"),
            "{again}"
        );
        let back: SchemaFile = toml::from_str(&again).unwrap();
        assert_eq!(back.to_schema().unwrap(), schema);
        // Five partition attributes: DynamoDB's limit, with its message.
        let five = text.replace(
            "[\"owner\", \"repo\"]",
            "[\"a\", \"b\", \"c\", \"d\", \"e\"]",
        );
        let err = toml::from_str::<SchemaFile>(&five)
            .unwrap()
            .to_schema()
            .unwrap_err();
        assert!(err.contains("at most 4 partition keys"), "{err}");
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        for (text, says) in [
            ("table = \"t1x\"\npartition_key = \"pk:Q\"", "is not S, N or B"),
            ("table = \"t1x\"\npartition_key = \"pk\"\ncolour = 1", "unknown field"),
            (
                "table = \"t1x\"\npartition_key = \"pk\"\n[[indexes]]\nname = \"g1x\"",
                "needs a partition_key",
            ),
            (
                "table = \"t1x\"\npartition_key = \"pk\"\n[[indexes]]\nname = \"l1x\"\nkind = \"local\"\nsort_key = \"s\"",
                "Local secondary indexes need a table sort key",
            ),
        ] {
            let err = toml::from_str::<SchemaFile>(text)
                .map_err(|e| e.to_string())
                .and_then(|f| f.to_schema().map(|_| ()));
            assert!(err.as_ref().is_err_and(|e| e.contains(says)), "{text}: {err:?}");
        }
    }
}
