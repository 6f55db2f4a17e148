//! The one entity every section stores, and its raw twins' keys.

use monotable::entity::EntityAttribute;
use monotable::{Entity, EntityKeys, KeySchema, TableSchema};
use serde::{Deserialize, Serialize};

/// Items per table partition, and per GSI partition.
pub const PER_PARTITION: u64 = 20;

/// The entity, written out as `#[derive(Entity)]` with `pk = "P#{part}"`, `sk = "S#{seq:04}"`,
/// `index(name = "gsi1", pk = "G#{grp}", sk = "I#{id:09}")` expands it (written by hand so
/// the benchmark does not follow the derive's changes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub part: u64,
    pub seq: u64,
    pub grp: u64,
    pub id: u64,
    pub name: String,
    pub total: u64,
    pub body: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RowKey {
    pub part: u64,
    pub seq: u64,
}

impl KeySchema for Row {
    fn key_templates() -> EntityKeys {
        EntityKeys::new("P#{part}")
            .with_sort("S#{seq:04}")
            .with_index("gsi1", "G#{grp}", Some("I#{id:09}"))
    }
}

impl Entity for Row {
    const ENTITY_TYPE: &'static str = "Row";
    type Key = RowKey;

    fn attributes() -> Option<&'static [EntityAttribute]> {
        const fn req(name: &'static str) -> EntityAttribute {
            EntityAttribute {
                name,
                required: true,
            }
        }
        const ATTRS: [EntityAttribute; 7] = [
            req("part"),
            req("seq"),
            req("grp"),
            req("id"),
            req("name"),
            req("total"),
            req("body"),
        ];
        Some(&ATTRS)
    }
}

pub fn schema(name: &str) -> TableSchema {
    TableSchema::single_table(name).with_gsi("gsi1")
}

/// The `i`-th row of a table of `n`: 20 per partition, and 20 per GSI partition, the GSI
/// partitions spread across table partitions.
pub fn row(i: u64, n: u64) -> Row {
    let groups = (n / PER_PARTITION).max(1);
    Row {
        part: i / PER_PARTITION,
        seq: i % PER_PARTITION,
        grp: i % groups,
        id: i,
        name: format!("name {i}"),
        total: i * 7 % 1000,
        body: "x".repeat(100),
    }
}

/// A row outside the loaded ones (for inserts): its own partition and GSI partition.
pub fn fresh_row(i: u64) -> Row {
    let mut r = row(i, 1);
    r.part = 1_000_000_000 + i / PER_PARTITION;
    r.grp = 1_000_000_000 + i / PER_PARTITION;
    r
}

/// The raw single-table keys of a row, as an application using the SDK directly composes
/// them.
pub fn raw_keys(r: &Row) -> [(&'static str, String); 4] {
    [
        ("pk", format!("P#{}", r.part)),
        ("sk", format!("S#{:04}", r.seq)),
        ("gsi1pk", format!("G#{}", r.grp)),
        ("gsi1sk", format!("I#{:09}", r.id)),
    ]
}
