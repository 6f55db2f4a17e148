//! An entity's primary key composed straight from its key struct (`E::Key`), without the
//! [`Item`] of the struct's fields: what every typed read, delete and key-only write does.
//!
//! A small serde serializer captures the struct's fields whose values a key can hold as
//! they are (strings, integers, `None`), the strings' text in one buffer; the templates are
//! then composed from those values exactly as from the item (the same code,
//! [`KeyTemplate::compose_from`](crate::entity::template::KeyTemplate)). Anything else (a
//! float, a nested value, a set, a map, an error from a `Serialize` impl) sends the key
//! down the old path, `Item::from_serialize` then [`primary_key`], which gives the same
//! item or the same error by construction.

use serde::ser::{self, Impossible, Serialize};

use crate::entity::template::{Attr, Attributes, Int};
use crate::entity::{primary_key, primary_key_from, Entity};
use crate::error::Result;
use crate::item::Item;
use crate::schema::TableSchema;

/// The table's primary key of the entity whose key is `key`: the same item, or the same
/// error, as `primary_key::<E>(schema, &Item::from_serialize(key)?)`.
pub(crate) fn primary_key_of<E: Entity>(schema: &TableSchema, key: &E::Key) -> Result<Item> {
    let mut fields = Fields::new();
    if key.serialize(StructCapture(&mut fields)).is_ok() {
        return primary_key_from::<E, _>(schema, &fields);
    }
    primary_key::<E>(schema, &Item::from_serialize(key)?)
}

/// The most fields a key struct may have for the direct path.
const MAX_FIELDS: usize = 8;

/// A captured field's value.
#[derive(Debug, Clone, Copy)]
enum Slot {
    /// `None`, `()`: `NULL`, as a template reads it an absent attribute.
    Null,
    /// A string: its range in [`Fields::text`].
    Str(u32, u32),
    /// An integer.
    Int(Int),
}

/// The fields of a key struct, by name, in the order serialised.
struct Fields {
    names: [&'static str; MAX_FIELDS],
    slots: [Slot; MAX_FIELDS],
    len: usize,
    /// The text of every string field, one after another.
    text: String,
}

impl Fields {
    fn new() -> Self {
        Fields {
            names: [""; MAX_FIELDS],
            slots: [Slot::Null; MAX_FIELDS],
            len: 0,
            text: String::new(),
        }
    }

    fn push(&mut self, name: &'static str, slot: Slot) -> std::result::Result<(), Unsupported> {
        if self.len == MAX_FIELDS {
            return Err(Unsupported);
        }
        self.names[self.len] = name;
        self.slots[self.len] = slot;
        self.len += 1;
        Ok(())
    }

    fn push_text(&mut self, s: &str) -> std::result::Result<Slot, Unsupported> {
        let start = u32::try_from(self.text.len()).map_err(|_| Unsupported)?;
        let end = u32::try_from(self.text.len() + s.len()).map_err(|_| Unsupported)?;
        self.text.push_str(s);
        Ok(Slot::Str(start, end))
    }
}

impl Attributes for Fields {
    fn attribute(&self, name: &str) -> Attr<'_> {
        // The last field of a name wins, as in the item's map.
        let found = self.names[..self.len].iter().rposition(|n| *n == name);
        match found.map(|i| self.slots[i]) {
            None | Some(Slot::Null) => Attr::Missing,
            Some(Slot::Str(start, end)) => Attr::Str(&self.text[start as usize..end as usize]),
            Some(Slot::Int(i)) => Attr::Int(i),
        }
    }
}

/// The direct path does not take this value: the caller takes the old one.
#[derive(Debug)]
struct Unsupported;

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not a plain key struct")
    }
}

impl std::error::Error for Unsupported {}

impl ser::Error for Unsupported {
    fn custom<T: std::fmt::Display>(_msg: T) -> Self {
        Unsupported
    }
}

type Res<T> = std::result::Result<T, Unsupported>;

/// The key itself: a struct, nothing else.
struct StructCapture<'f>(&'f mut Fields);

macro_rules! unsupported {
    ($($f:ident($($t:ty),*) -> $ok:ty;)*) => {$(
        fn $f(self, $(_: $t),*) -> Res<$ok> {
            Err(Unsupported)
        }
    )*};
}

impl<'f> ser::Serializer for StructCapture<'f> {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = Impossible<(), Unsupported>;
    type SerializeTuple = Impossible<(), Unsupported>;
    type SerializeTupleStruct = Impossible<(), Unsupported>;
    type SerializeTupleVariant = Impossible<(), Unsupported>;
    type SerializeMap = Impossible<(), Unsupported>;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<(), Unsupported>;

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Res<Self> {
        Ok(self)
    }

    unsupported! {
        serialize_bool(bool) -> ();
        serialize_i8(i8) -> ();
        serialize_i16(i16) -> ();
        serialize_i32(i32) -> ();
        serialize_i64(i64) -> ();
        serialize_u8(u8) -> ();
        serialize_u16(u16) -> ();
        serialize_u32(u32) -> ();
        serialize_u64(u64) -> ();
        serialize_f32(f32) -> ();
        serialize_f64(f64) -> ();
        serialize_char(char) -> ();
        serialize_str(&str) -> ();
        serialize_bytes(&[u8]) -> ();
        serialize_none() -> ();
        serialize_unit() -> ();
        serialize_unit_struct(&'static str) -> ();
        serialize_unit_variant(&'static str, u32, &'static str) -> ();
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Res<()> {
        Err(Unsupported)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _value: &T,
    ) -> Res<()> {
        Err(Unsupported)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Res<()> {
        Err(Unsupported)
    }
}

impl ser::SerializeStruct for StructCapture<'_> {
    type Ok = ();
    type Error = Unsupported;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Res<()> {
        let slot = value.serialize(FieldCapture(self.0))?;
        self.0.push(key, slot)
    }

    fn end(self) -> Res<()> {
        Ok(())
    }
}

/// One field's value: what `item/ser` would make a string, a number or `NULL` of.
struct FieldCapture<'f>(&'f mut Fields);

impl<'f> ser::Serializer for FieldCapture<'f> {
    type Ok = Slot;
    type Error = Unsupported;
    type SerializeSeq = Impossible<Slot, Unsupported>;
    type SerializeTuple = Impossible<Slot, Unsupported>;
    type SerializeTupleStruct = Impossible<Slot, Unsupported>;
    type SerializeTupleVariant = Impossible<Slot, Unsupported>;
    type SerializeMap = Impossible<Slot, Unsupported>;
    type SerializeStruct = Impossible<Slot, Unsupported>;
    type SerializeStructVariant = Impossible<Slot, Unsupported>;

    fn serialize_i8(self, v: i8) -> Res<Slot> {
        Ok(Slot::Int(Int::Signed(v.into())))
    }
    fn serialize_i16(self, v: i16) -> Res<Slot> {
        Ok(Slot::Int(Int::Signed(v.into())))
    }
    fn serialize_i32(self, v: i32) -> Res<Slot> {
        Ok(Slot::Int(Int::Signed(v.into())))
    }
    fn serialize_i64(self, v: i64) -> Res<Slot> {
        Ok(Slot::Int(Int::Signed(v)))
    }
    fn serialize_u8(self, v: u8) -> Res<Slot> {
        Ok(Slot::Int(Int::Unsigned(v.into())))
    }
    fn serialize_u16(self, v: u16) -> Res<Slot> {
        Ok(Slot::Int(Int::Unsigned(v.into())))
    }
    fn serialize_u32(self, v: u32) -> Res<Slot> {
        Ok(Slot::Int(Int::Unsigned(v.into())))
    }
    fn serialize_u64(self, v: u64) -> Res<Slot> {
        Ok(Slot::Int(Int::Unsigned(v)))
    }
    fn serialize_char(self, v: char) -> Res<Slot> {
        self.0.push_text(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Res<Slot> {
        self.0.push_text(v)
    }
    fn serialize_none(self) -> Res<Slot> {
        Ok(Slot::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Res<Slot> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Res<Slot> {
        Ok(Slot::Null)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Res<Slot> {
        Ok(Slot::Null)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Res<Slot> {
        self.0.push_text(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Res<Slot> {
        // serde_dynamo's set wrappers are newtypes named from U+037E: the old path.
        if name.starts_with('\u{037E}') {
            return Err(Unsupported);
        }
        value.serialize(self)
    }

    unsupported! {
        serialize_bool(bool) -> Slot;
        serialize_f32(f32) -> Slot;
        serialize_f64(f64) -> Slot;
        serialize_bytes(&[u8]) -> Slot;
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct(&'static str, usize) -> Self::SerializeStruct;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Res<Slot> {
        Err(Unsupported)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Serialize};

    use super::*;
    use crate::entity::{EntityKeys, KeySchema, KeyTemplate};
    use crate::item::Value;
    use crate::schema::KeyAttribute;

    macro_rules! entity {
        ($name:ident, $key:ty, $keys:expr) => {
            #[derive(Serialize, Deserialize)]
            struct $name {}
            impl KeySchema for $name {
                fn key_templates() -> EntityKeys {
                    $keys
                }
            }
            impl Entity for $name {
                const ENTITY_TYPE: &'static str = stringify!($name);
                type Key = $key;
            }
        };
    }

    fn table() -> TableSchema {
        TableSchema::single_table("t")
    }

    fn table_without_sort() -> TableSchema {
        TableSchema::new("t", KeyAttribute::s("pk"))
    }

    /// Whether the key takes the direct path (not the old one).
    fn direct<K: Serialize>(key: &K) -> bool {
        key.serialize(StructCapture(&mut Fields::new())).is_ok()
    }

    /// The two paths give the same item or the same error; returns the item.
    fn same<E: Entity>(schema: &TableSchema, key: &E::Key) -> Result<Item> {
        let old = Item::from_serialize(key).and_then(|item| primary_key::<E>(schema, &item));
        let new = primary_key_of::<E>(schema, key);
        assert_eq!(format!("{new:?}"), format!("{old:?}"));
        if let (Err(a), Err(b)) = (&new, &old) {
            assert_eq!(a.to_string(), b.to_string());
        }
        new
    }

    #[derive(Serialize)]
    struct Strings {
        user: String,
        id: String,
    }
    entity!(
        Order,
        Strings,
        EntityKeys::new("USER#{user}").with_sort("ORDER#{id}")
    );

    #[test]
    fn strings() {
        let key = |user: &str, id: &str| Strings {
            user: user.into(),
            id: id.into(),
        };
        assert!(direct(&key("u1", "o1")));
        let item = same::<Order>(&table(), &key("u1", "o1")).unwrap();
        assert_eq!(item, Item::from([("pk", "USER#u1"), ("sk", "ORDER#o1")]));
        let long = "x".repeat(300);
        assert!(same::<Order>(&table(), &key(&long, "é✓")).is_ok());
        for (user, id) in [
            ("", "o1"),
            ("u1", ""),
            ("u#1", "o1"),
            ("u1", "o#1"),
            ("#", "#"),
        ] {
            assert!(same::<Order>(&table(), &key(user, id)).is_err());
        }
        // The table and the templates disagree on a sort key.
        assert!(same::<Order>(&table_without_sort(), &key("u1", "o1")).is_err());
    }

    #[derive(Serialize)]
    struct Numbers {
        part: u64,
        seq: u64,
    }
    entity!(
        Row,
        Numbers,
        EntityKeys::new("P#{part}").with_sort("S#{seq:04}")
    );

    #[test]
    fn padded_numbers() {
        for (part, seq) in [
            (0, 0),
            (7, 7),
            (10, 9999),
            (1, 10_000),
            (u64::MAX, 42),
            (42, u64::MAX),
            (100, 100),
        ] {
            let key = Numbers { part, seq };
            assert!(direct(&key));
            let got = same::<Row>(&table(), &key);
            assert_eq!(got.is_ok(), seq < 10_000, "{part} {seq}");
        }
        let key = Numbers { part: 3, seq: 12 };
        assert_eq!(
            same::<Row>(&table(), &key).unwrap(),
            Item::from([("pk", "P#3"), ("sk", "S#0012")])
        );
    }

    #[derive(Serialize)]
    struct Signed {
        a: i64,
        b: i32,
        c: i8,
        d: u8,
        e: i16,
        f: u16,
        g: u32,
    }
    entity!(
        Small,
        Signed,
        EntityKeys::new("A#{a}#{c}#{d}#{e}").with_sort("B#{b:03}#{f:05}#{g:010}")
    );
    entity!(
        Dashed,
        Signed,
        EntityKeys::new(KeyTemplate::with_delimiter("A-{a}", '-'))
            .with_sort(KeyTemplate::with_delimiter("B-{b:03}", '-'))
    );

    #[test]
    fn signed_and_small_integers() {
        let base = Signed {
            a: 1,
            b: 2,
            c: 3,
            d: 4,
            e: 5,
            f: 6,
            g: 7,
        };
        assert!(direct(&base));
        assert!(same::<Small>(&table(), &base).is_ok());
        assert!(same::<Dashed>(&table(), &base).is_ok());
        for a in [i64::MIN, -1, 0, i64::MAX] {
            for b in [i32::MIN, -5, 0, 999, 1000, i32::MAX] {
                let key = Signed { a, b, ..base };
                let small = same::<Small>(&table(), &key);
                assert_eq!(small.is_ok(), (0..1000).contains(&b), "{a} {b}");
                // A negative number holds the delimiter '-'.
                let dashed = same::<Dashed>(&table(), &key);
                assert_eq!(dashed.is_ok(), a >= 0 && (0..1000).contains(&b), "{a} {b}");
            }
        }
        let extremes = Signed {
            a: i64::MIN,
            b: 0,
            c: i8::MIN,
            d: u8::MAX,
            e: i16::MIN,
            f: u16::MAX,
            g: u32::MAX,
        };
        assert!(same::<Small>(&table(), &extremes).is_ok());
    }

    #[derive(Serialize)]
    struct Optional {
        a: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        b: Option<u32>,
        c: Option<Option<i64>>,
    }
    entity!(
        Maybe,
        Optional,
        EntityKeys::new("A#{a}").with_sort("B#{b:02}#C#{c}")
    );
    entity!(Whole, Optional, EntityKeys::new("{a}").with_sort("{b}"));
    entity!(WholeC, Optional, EntityKeys::new("{c}").with_sort("X"));

    #[test]
    fn option_fields_and_missing_attributes() {
        for a in [None, Some(""), Some("x"), Some("x#y")] {
            for b in [None, Some(0), Some(99), Some(100)] {
                for c in [None, Some(None), Some(Some(-3)), Some(Some(4))] {
                    let key = Optional {
                        a: a.map(str::to_string),
                        b,
                        c,
                    };
                    assert!(direct(&key));
                    same::<Maybe>(&table(), &key).ok();
                    same::<Whole>(&table(), &key).ok();
                    same::<WholeC>(&table(), &key).ok();
                }
            }
        }
        let key = Optional {
            a: Some("a#1".into()),
            b: Some(7),
            c: Some(Some(-2)),
        };
        // A template that is one attribute keeps the value, delimiter and type.
        assert_eq!(
            same::<Whole>(&table(), &key).unwrap(),
            Item::from([("pk", Value::from("a#1")), ("sk", Value::from(7))])
        );
        assert_eq!(
            same::<WholeC>(&table(), &key).unwrap().get("pk"),
            Some(&Value::from(-2))
        );
        let missing = Optional {
            a: Some("a".into()),
            b: None,
            c: None,
        };
        let err = same::<Maybe>(&table(), &missing).unwrap_err();
        assert!(
            err.to_string().ends_with(r#"part "b": missing attribute"#),
            "{err}"
        );
    }

    #[derive(Serialize, Clone, Copy)]
    enum Status {
        Open,
        #[serde(rename = "done")]
        Closed,
    }

    #[derive(Serialize)]
    struct Id(String);

    #[derive(Serialize)]
    struct Unit;

    #[derive(Serialize)]
    struct Mixed {
        status: Status,
        letter: char,
        #[serde(rename = "ident")]
        id: Id,
        nothing: (),
        unit: Unit,
    }
    entity!(
        Tagged,
        Mixed,
        EntityKeys::new("S#{status}#{letter}").with_sort("I#{ident}")
    );
    entity!(
        Absent,
        Mixed,
        EntityKeys::new("S#{status}").with_sort("N#{nothing}#{unit}")
    );
    entity!(
        Misnamed,
        Mixed,
        EntityKeys::new("S#{status}").with_sort("I#{id}")
    );
    entity!(
        PaddedText,
        Mixed,
        EntityKeys::new("S#{status:04}").with_sort("I#{ident}")
    );

    #[test]
    fn variants_chars_newtypes_units_and_renames() {
        for status in [Status::Open, Status::Closed] {
            for letter in ['a', '#', 'é', '🦀'] {
                for id in ["i1", "", "i#1"] {
                    let key = Mixed {
                        status,
                        letter,
                        id: Id(id.into()),
                        nothing: (),
                        unit: Unit,
                    };
                    assert!(direct(&key));
                    same::<Tagged>(&table(), &key).ok();
                    assert!(same::<Absent>(&table(), &key).is_err());
                    // The stored name is the renamed one.
                    assert!(same::<Misnamed>(&table(), &key).is_err());
                    assert!(same::<PaddedText>(&table(), &key).is_err());
                }
            }
        }
        let key = Mixed {
            status: Status::Closed,
            letter: 'z',
            id: Id("i1".into()),
            nothing: (),
            unit: Unit,
        };
        assert_eq!(
            same::<Tagged>(&table(), &key).unwrap(),
            Item::from([("pk", "S#done#z"), ("sk", "I#i1")])
        );
    }

    #[derive(Serialize)]
    struct Nested {
        a: u32,
    }

    #[derive(Serialize)]
    struct Other {
        id: String,
        float: f64,
        flag: bool,
        bytes: Vec<u8>,
        nested: Nested,
    }
    entity!(
        Odd,
        Other,
        EntityKeys::new("ID#{id}").with_sort("F#{float}")
    );
    entity!(
        Flag,
        Other,
        EntityKeys::new("ID#{id}").with_sort("F#{flag}")
    );
    entity!(
        Whole2,
        Other,
        EntityKeys::new("{bytes}").with_sort("{nested}")
    );
    entity!(IdOnly, Other, EntityKeys::new("ID#{id}").with_sort("X"));

    #[test]
    fn other_values_take_the_old_path() {
        for float in [1.5, -0.0, f64::NAN, f64::INFINITY, 1e300] {
            let key = Other {
                id: "i".into(),
                float,
                flag: true,
                bytes: vec![1, 2],
                nested: Nested { a: 1 },
            };
            assert!(!direct(&key));
            same::<Odd>(&table(), &key).ok();
            same::<Flag>(&table(), &key).ok();
            same::<Whole2>(&table(), &key).ok();
            // A field the templates do not name still fails the same way.
            same::<IdOnly>(&table(), &key).ok();
        }
    }

    #[derive(Serialize)]
    struct Wide {
        id: i128,
    }
    entity!(WideKey, Wide, EntityKeys::new("ID#{id}").with_sort("X"));
    entity!(
        MapKey,
        Item,
        EntityKeys::new("ID#{id}").with_sort("N#{n:03}")
    );
    entity!(
        BTreeKey,
        BTreeMap<String, String>,
        EntityKeys::new("ID#{id}").with_sort("X")
    );
    entity!(
        BadTemplate,
        Strings,
        EntityKeys::new("USER#{user").with_sort("ORDER#{id}")
    );
    entity!(NoSort, Strings, EntityKeys::new("USER#{user}#{id}"));

    #[test]
    fn maps_wide_integers_and_bad_templates() {
        assert!(same::<WideKey>(&table(), &Wide { id: 5 }).is_err());
        // An item serialises as DynamoDB JSON: a map of maps, not a key.
        let item = Item::from([("id", "i1")]).with("n", 5);
        assert!(!direct(&item));
        assert!(same::<MapKey>(&table(), &item).is_err());
        let map = BTreeMap::from([("id".to_string(), "i1".to_string())]);
        assert!(same::<BTreeKey>(&table(), &map).is_ok());
        let key = Strings {
            user: "u".into(),
            id: "i".into(),
        };
        assert!(same::<BadTemplate>(&table(), &key).is_err());
        assert!(same::<NoSort>(&table(), &key).is_err());
        assert_eq!(
            same::<NoSort>(&table_without_sort(), &key).unwrap(),
            Item::from([("pk", "USER#u#i")])
        );
    }

    #[derive(Serialize)]
    struct Many {
        a: u8,
        b: u8,
        c: u8,
        d: u8,
        e: u8,
        f: u8,
        g: u8,
        h: u8,
        i: u8,
    }
    entity!(ManyKey, Many, EntityKeys::new("A#{a}").with_sort("I#{i}"));

    #[test]
    fn more_fields_than_the_direct_path_holds() {
        let key = Many {
            a: 1,
            b: 2,
            c: 3,
            d: 4,
            e: 5,
            f: 6,
            g: 7,
            h: 8,
            i: 9,
        };
        assert!(!direct(&key));
        assert_eq!(
            same::<ManyKey>(&table(), &key).unwrap(),
            Item::from([("pk", "A#1"), ("sk", "I#9")])
        );
    }
}

/// A loop to count the instructions of composing a key, by the direct path or through the
/// item: run core's test binary (built with `cargo test --profile bench -p monotable-core
/// --lib --no-run`) under `valgrind --tool=callgrind` with `--ignored --exact
/// entity::keys::cost::primary_key_loop` and `MONOTABLE_COST=direct,1000` (or `item,1000`),
/// then again with 2000: the difference over 1000 is one key's instructions.
#[cfg(test)]
mod cost {
    use serde::{Deserialize, Serialize};

    use super::*;
    use crate::entity::{EntityKeys, KeySchema};

    #[derive(Serialize)]
    struct RowKey {
        part: u64,
        seq: u64,
    }

    #[derive(Serialize, Deserialize)]
    struct Row {}

    impl KeySchema for Row {
        fn key_templates() -> EntityKeys {
            EntityKeys::new("P#{part}").with_sort("S#{seq:04}")
        }
    }

    impl Entity for Row {
        const ENTITY_TYPE: &'static str = "Row";
        type Key = RowKey;
    }

    #[test]
    #[ignore = "a loop for callgrind, not a check"]
    fn primary_key_loop() {
        let spec = std::env::var("MONOTABLE_COST").unwrap_or_default();
        let (path, n) = spec.split_once(',').unwrap_or(("direct", "1000"));
        let n: u64 = n.parse().unwrap_or(1000);
        let schema = TableSchema::single_table("t");
        let mut total = 0;
        for i in 0..n {
            let key = RowKey { part: i, seq: 7 };
            let item = match path {
                "direct" => primary_key_of::<Row>(&schema, &key),
                "item" => {
                    Item::from_serialize(&key).and_then(|item| primary_key::<Row>(&schema, &item))
                }
                _ => Ok(Item::new()),
            };
            total += item.map(|i| i.len()).unwrap_or(0);
        }
        println!("{total}");
    }
}
