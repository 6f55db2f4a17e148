//! The stored text of an item: DynamoDB's JSON form (`{"name": {"S": "x"}, ...}`), as
//! `Item::to_json` writes it.
//!
//! Reading goes straight from the text to the item, without building a JSON tree first, in
//! up to three steps, each taking only what it is sure of and leaving the rest to the next:
//! core's reader of the exact text [`encode`] writes (`ItemText`: no whitespace, names in
//! ascending order, strings without escapes, at most 32 levels; the reader the typed reads
//! decode entities with), a serde reader of any JSON, and core's `Item::from_json` for
//! anything neither takes (binary values, whose base64 is core's, and anything malformed), so
//! the result and every error are exactly core's.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use monotable_core::item::ItemText;
use monotable_core::{Error, Item, Number, Value};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::Serialize;

/// Decodes a stored item.
pub(crate) fn decode(text: &str) -> Result<Item, Error> {
    if let Some(item) = ItemText::new(text).canonical_item() {
        return Ok(item);
    }
    match serde_json::from_str::<StoredMap>(text) {
        Ok(StoredMap(map)) => Ok(Item::from(map)),
        Err(_) => decode_through_tree(text),
    }
}

/// Core's reader, through a JSON tree: the reference the direct reader must agree with.
fn decode_through_tree(text: &str) -> Result<Item, Error> {
    let json: serde_json::Value =
        serde_json::from_str(text).map_err(|e| Error::backend("sqlite", false, e))?;
    Item::from_json(&json).map_err(|e| Error::backend("sqlite", false, e))
}

/// Encodes an item for storage: the text of `item.to_json()`, written without building the
/// JSON tree.
pub(crate) fn encode(item: &Item) -> String {
    serde_json::to_string(&MapRef(item)).unwrap_or_else(|_| item.to_json().to_string())
}

struct MapRef<'a>(&'a BTreeMap<String, Value>);

impl Serialize for MapRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            m.serialize_entry(k, &ValueRef(v))?;
        }
        m.end()
    }
}

struct ValueRef<'a>(&'a Value);

impl Serialize for ValueRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if matches!(self.0, Value::B(_) | Value::Bs(_)) {
            // Base64 is core's.
            return self.0.to_json().serialize(s);
        }
        let mut m = s.serialize_map(Some(1))?;
        match self.0 {
            Value::S(x) => m.serialize_entry("S", x)?,
            Value::N(n) => m.serialize_entry("N", &NumberText(n))?,
            Value::Bool(b) => m.serialize_entry("BOOL", b)?,
            Value::Null => m.serialize_entry("NULL", &true)?,
            Value::L(l) => m.serialize_entry("L", &ListRef(l))?,
            Value::M(x) => m.serialize_entry("M", &MapRef(x))?,
            Value::Ss(x) => m.serialize_entry("SS", x)?,
            Value::Ns(x) => m.serialize_entry("NS", &NumbersText(x))?,
            Value::B(_) | Value::Bs(_) => unreachable!("handled above"),
        }
        m.end()
    }
}

/// A number as its string, written straight into the text (no `String` of its own).
struct NumberText<'a>(&'a Number);

impl Serialize for NumberText<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self.0)
    }
}

/// A number set as its strings.
struct NumbersText<'a>(&'a BTreeSet<Number>);

impl Serialize for NumbersText<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(NumberText))
    }
}

struct ListRef<'a>(&'a [Value]);

impl Serialize for ListRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for v in self.0 {
            seq.serialize_element(&ValueRef(v))?;
        }
        seq.end()
    }
}

struct StoredMap(BTreeMap<String, Value>);

impl<'de> serde::Deserialize<'de> for StoredMap {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(MapVisitor)
    }
}

struct MapVisitor;

impl<'de> Visitor<'de> for MapVisitor {
    type Value = StoredMap;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an item")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StoredMap, A::Error> {
        let mut out = BTreeMap::new();
        while let Some(name) = map.next_key::<String>()? {
            let StoredValue(v) = map.next_value()?;
            out.insert(name, v);
        }
        Ok(StoredMap(out))
    }
}

struct StoredValue(Value);

impl<'de> serde::Deserialize<'de> for StoredValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(ValueVisitor)
    }
}

struct ValueVisitor;

fn number<E: de::Error>(text: &str) -> Result<Number, E> {
    Number::parse(text).map_err(E::custom)
}

/// A set, refused (and so left to core's reader) if it holds duplicates.
fn set<T: Ord, E: de::Error>(values: Vec<T>) -> Result<BTreeSet<T>, E> {
    let count = values.len();
    let set: BTreeSet<T> = values.into_iter().collect();
    if set.len() != count || count == 0 {
        return Err(E::custom("not a valid set"));
    }
    Ok(set)
}

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = StoredValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value in DynamoDB's JSON form")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StoredValue, A::Error> {
        let Some(tag) = map.next_key::<std::borrow::Cow<'de, str>>()? else {
            return Err(de::Error::custom("empty value"));
        };
        let v = match &*tag {
            "S" => Value::S(map.next_value()?),
            "N" => Value::N(number(&map.next_value::<std::borrow::Cow<'de, str>>()?)?),
            "BOOL" => Value::Bool(map.next_value()?),
            "NULL" => {
                if !map.next_value::<bool>()? {
                    return Err(de::Error::custom("NULL must be true"));
                }
                Value::Null
            }
            "L" => Value::L(map.next_value_seed(ListSeed)?),
            "M" => Value::M(map.next_value::<StoredMap>()?.0),
            "SS" => Value::Ss(set(map.next_value::<Vec<String>>()?)?),
            "NS" => {
                let texts = map.next_value::<Vec<std::borrow::Cow<'de, str>>>()?;
                let numbers = texts
                    .iter()
                    .map(|t| number(t))
                    .collect::<Result<Vec<_>, _>>()?;
                Value::Ns(set(numbers)?)
            }
            // Binary (base64) and anything unknown: core's reader.
            _ => return Err(de::Error::custom("left to core")),
        };
        if map.next_key::<de::IgnoredAny>()?.is_some() {
            return Err(de::Error::custom("more than one type"));
        }
        Ok(StoredValue(v))
    }
}

struct ListSeed;

impl<'de> DeserializeSeed<'de> for ListSeed {
    type Value = Vec<Value>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<Value>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ListSeed {
    type Value = Vec<Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Value>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(StoredValue(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Core's reader of the canonical text, as the codec uses it.
    fn scan(text: &str) -> Option<BTreeMap<String, Value>> {
        ItemText::new(text).canonical_item().map(Item::into_inner)
    }

    /// The direct reader agrees with core's on every type, and leaves binary to core.
    #[test]
    fn direct_reader_agrees_with_core() {
        let item = Item::new()
            .with("s", "a \"quoted\" \\ string ünï")
            .with("n", Value::number("-12.50e3").expect("number"))
            .with("b", Value::B(vec![0, 1, 2, 255]))
            .with("t", true)
            .with("z", Value::Null)
            .with(
                "l",
                Value::L(vec![Value::from("x"), Value::from(3), Value::L(vec![])]),
            )
            .with(
                "m",
                Value::M(BTreeMap::from([
                    ("k".to_string(), Value::from("v")),
                    ("e".to_string(), Value::M(BTreeMap::new())),
                ])),
            )
            .with("ss", Value::Ss(["b", "a"].map(String::from).into()))
            .with(
                "ns",
                Value::Ns(
                    ["1", "10", "2.5"]
                        .iter()
                        .map(|n| Number::parse(n).expect("n"))
                        .collect(),
                ),
            )
            .with("bs", Value::Bs([vec![1u8], vec![2u8]].into()));
        let text = encode(&item);
        assert_eq!(text, item.to_json().to_string());
        assert_eq!(decode(&text).expect("decode"), item);
        assert_eq!(decode_through_tree(&text).expect("core"), item);
        let no_binary: Item = item
            .iter()
            .filter(|(k, _)| !k.starts_with('b'))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let text = encode(&no_binary);
        assert!(serde_json::from_str::<StoredMap>(&text).is_ok());
        assert_eq!(decode(&text).expect("decode"), no_binary);
    }

    /// Core's reader takes what `encode` writes, as core reads it, and leaves binary values to
    /// the next reader.
    #[test]
    fn scanner_reads_what_encode_writes() {
        let nested = Value::M(BTreeMap::from([
            (
                "a".to_string(),
                Value::L(vec![Value::Null, Value::from(false)]),
            ),
            ("b".to_string(), Value::M(BTreeMap::new())),
            ("c".to_string(), Value::L(vec![])),
        ]));
        let item = Item::new()
            .with("s", "ünïcødé € 𝄞 / ' \u{7f}")
            .with("empty", "")
            .with("n", Value::number("-12.50e3").expect("number"))
            .with("zero", Value::number("0").expect("number"))
            .with("t", true)
            .with("f", false)
            .with("z", Value::Null)
            .with("m", nested.clone())
            .with(
                "l",
                Value::L(vec![nested, Value::from("x"), Value::from(3)]),
            )
            .with("ss", Value::Ss(["b", "a", ""].map(String::from).into()))
            .with(
                "ns",
                Value::Ns(
                    ["1", "10", "2.5", "-3"]
                        .iter()
                        .map(|n| Number::parse(n).expect("n"))
                        .collect(),
                ),
            );
        let text = encode(&item);
        assert_eq!(scan(&text), Some(item.clone().into_inner()));
        assert_eq!(decode_through_tree(&text).expect("core"), item);
        assert_eq!(scan("{}"), Some(BTreeMap::new()));
        let binary = Item::new().with("b", Value::B(vec![1, 2]));
        assert_eq!(scan(&encode(&binary)), None);
        assert_eq!(decode(&encode(&binary)).expect("decode"), binary);
    }

    /// Text core's scanner does not take is left to the next reader, which reads it as core
    /// does (or refuses it with core's error).
    #[test]
    fn scanner_leaves_other_text_to_the_next_reader() {
        let deep = (0..40).fold("{\"S\":\"x\"}".to_string(), |inner, _| {
            format!("{{\"M\":{{\"a\":{inner}}}}}")
        });
        let deep = format!("{{\"a\":{deep}}}");
        for text in [
            " {}",
            "{} ",
            "{\"a\": {\"S\":\"x\"}}",
            "{\"a\":{\"S\":\"x\\\"y\"}}",
            "{\"a\":{\"S\":\"\\u0041\"}}",
            "{\"b\":{\"S\":\"x\"},\"a\":{\"S\":\"y\"}}",
            "{\"a\":{\"S\":\"x\"},\"a\":{\"S\":\"y\"}}",
            "{\"a\":{\"N\":\"1e999\"}}",
            "{\"a\":{\"N\":\"x\"}}",
            "{\"a\":{\"N\":1}}",
            "{\"a\":{\"NULL\":false}}",
            "{\"a\":{\"BOOL\":1}}",
            "{\"a\":{\"SS\":[]}}",
            "{\"a\":{\"SS\":[\"x\",\"x\"]}}",
            "{\"a\":{\"NS\":[\"1\",\"1.0\"]}}",
            "{\"a\":{\"S\":\"x\",\"N\":\"1\"}}",
            "{\"a\":{}}",
            "{\"a\":{\"X\":\"1\"}}",
            "{\"a\":{\"B\":\"AQI=\"}}",
            "{\"a\":{\"S\":\"x\"}}x",
            "{\"a\":{\"S\":\"x\"}",
            "[1]",
            "",
            deep.as_str(),
        ] {
            assert_eq!(scan(text), None, "{text}");
            assert_eq!(
                decode(text).map_err(|e| e.to_string()),
                decode_through_tree(text).map_err(|e| e.to_string()),
                "{text}"
            );
        }
    }

    /// Malformed text gets core's error.
    #[test]
    fn malformed_text_gets_cores_error() {
        for text in [
            "{\"a\": {\"N\": \"x\"}}",
            "{\"a\": {\"S\": \"x\", \"N\": \"1\"}}",
            "{\"a\": {\"NULL\": false}}",
            "{\"a\": {\"SS\": [\"x\", \"x\"]}}",
            "{\"a\": {}}",
            "[1]",
        ] {
            assert!(serde_json::from_str::<StoredMap>(text).is_err(), "{text}");
            assert_eq!(
                decode(text).map_err(|e| e.to_string()),
                decode_through_tree(text).map_err(|e| e.to_string()),
                "{text}"
            );
        }
    }
}
