//! The stored text of an item: DynamoDB's JSON form (`{"name": {"S": "x"}, ...}`), as
//! `Item::to_json` writes it.
//!
//! Reading goes straight from the text to the item, without building a JSON tree first, in
//! up to three steps, each taking only what it is sure of and leaving the rest to the next:
//! a scanner of the exact text [`encode`] writes (no whitespace, names in ascending order,
//! strings without escapes, at most [`FAST_DEPTH`] levels), a serde reader of any JSON, and
//! core's `Item::from_json` for anything neither takes (binary values, whose base64 is
//! core's, and anything malformed), so the result and every error are exactly core's.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use monotable_core::{Error, Item, Number, Value};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::Serialize;

/// Decodes a stored item.
pub(crate) fn decode(text: &str) -> Result<Item, Error> {
    if let Some(map) = Scan::item(text) {
        return Ok(Item::from(map));
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
            Value::N(n) => m.serialize_entry("N", &n.to_string())?,
            Value::Bool(b) => m.serialize_entry("BOOL", b)?,
            Value::Null => m.serialize_entry("NULL", &true)?,
            Value::L(l) => m.serialize_entry("L", &ListRef(l))?,
            Value::M(x) => m.serialize_entry("M", &MapRef(x))?,
            Value::Ss(x) => m.serialize_entry("SS", x)?,
            Value::Ns(x) => {
                m.serialize_entry("NS", &x.iter().map(Number::to_string).collect::<Vec<_>>())?
            }
            Value::B(_) | Value::Bs(_) => unreachable!("handled above"),
        }
        m.end()
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

/// Deepest nesting of maps and lists the scanner reads (DynamoDB allows 32; serde_json's
/// reader stops at 128): anything deeper is left to the next reader.
const FAST_DEPTH: usize = 32;

/// The scanner of the text [`encode`] writes: `None` for anything else (whitespace, escapes,
/// names out of order or repeated, binary values, sets with duplicates, an invalid number…),
/// which the next reader then reads, or refuses with core's error.
struct Scan<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Scan<'a> {
    fn item(text: &'a str) -> Option<BTreeMap<String, Value>> {
        let mut scan = Scan { text, at: 0 };
        let map = scan.map(0)?;
        (scan.at == text.len()).then_some(map)
    }

    fn next(&mut self) -> Option<u8> {
        let b = *self.text.as_bytes().get(self.at)?;
        self.at += 1;
        Some(b)
    }

    fn eat(&mut self, want: u8) -> Option<()> {
        (self.next()? == want).then_some(())
    }

    fn eat_str(&mut self, want: &str) -> bool {
        let found = self.text.as_bytes()[self.at..].starts_with(want.as_bytes());
        if found {
            self.at += want.len();
        }
        found
    }

    /// A string without escapes or control characters.
    fn string(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let start = self.at;
        let bytes = self.text.as_bytes();
        loop {
            match *bytes.get(self.at)? {
                b'"' => break,
                b'\\' | 0..=0x1f => return None,
                _ => self.at += 1,
            }
        }
        let s = self.text.get(start..self.at)?;
        self.at += 1;
        Some(s)
    }

    /// `{"name":value,...}` with names in strictly ascending order.
    fn map(&mut self, depth: usize) -> Option<BTreeMap<String, Value>> {
        if depth >= FAST_DEPTH {
            return None;
        }
        self.eat(b'{')?;
        // One allocation for up to 16 names (a larger one grows once; 16 stay in the
        // allocator's small sizes).
        let mut entries: Vec<(String, Value)> = Vec::with_capacity(if depth == 0 { 16 } else { 4 });
        if self.eat_str("}") {
            return Some(BTreeMap::new());
        }
        let mut last: Option<&str> = None;
        loop {
            let name = self.string()?;
            if last.is_some_and(|l| l >= name) {
                return None;
            }
            last = Some(name);
            self.eat(b':')?;
            let value = self.value(depth)?;
            entries.push((name.to_owned(), value));
            match self.next()? {
                b',' => {}
                b'}' => break,
                _ => return None,
            }
        }
        // Sorted already: built in bulk, without a search per name.
        Some(entries.into_iter().collect())
    }

    /// `[x,...]` of what `element` reads.
    fn list<T>(&mut self, mut element: impl FnMut(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        self.eat(b'[')?;
        let mut out = Vec::new();
        if self.eat_str("]") {
            return Some(out);
        }
        loop {
            out.push(element(self)?);
            match self.next()? {
                b',' => {}
                b']' => return Some(out),
                _ => return None,
            }
        }
    }

    /// `{"T":x}` for the types the scanner reads.
    fn value(&mut self, depth: usize) -> Option<Value> {
        self.eat(b'{')?;
        let tag = self.string()?;
        self.eat(b':')?;
        let v = match tag {
            "S" => Value::S(self.string()?.to_owned()),
            "N" => Value::N(scan_number(self.string()?)?),
            "BOOL" if self.eat_str("true") => Value::Bool(true),
            "BOOL" if self.eat_str("false") => Value::Bool(false),
            "NULL" if self.eat_str("true") => Value::Null,
            "M" => Value::M(self.map(depth + 1)?),
            "L" => {
                if depth + 1 >= FAST_DEPTH {
                    return None;
                }
                Value::L(self.list(|s| s.value(depth + 1))?)
            }
            "SS" => Value::Ss(fast_set(self.list(|s| s.string().map(str::to_owned))?)?),
            "NS" => Value::Ns(fast_set(self.list(|s| s.string().and_then(scan_number))?)?),
            _ => return None,
        };
        self.eat(b'}')?;
        Some(v)
    }
}

/// A stored number. An integer as `encode` writes one (no sign but `-`, no leading zero, up
/// to 18 digits) is built from its value, which allocates its digits once; any other text
/// goes to `Number::parse`, as does everything the serde reader reads.
fn scan_number(text: &str) -> Option<Number> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let canonical = matches!(digits.as_bytes(), [b'1'..=b'9', rest @ ..]
        if rest.len() < 18 && rest.iter().all(u8::is_ascii_digit));
    if canonical {
        let magnitude: i64 = digits.parse().ok()?;
        let value = if digits.len() < text.len() {
            -magnitude
        } else {
            magnitude
        };
        return Some(Number::from(value));
    }
    Number::parse(text).ok()
}

/// A set, if it is one (not empty, no duplicates).
fn fast_set<T: Ord>(values: Vec<T>) -> Option<BTreeSet<T>> {
    let count = values.len();
    let set: BTreeSet<T> = values.into_iter().collect();
    (count > 0 && set.len() == count).then_some(set)
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

    /// The scanner reads what `encode` writes, as core reads it, and leaves binary values to
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
        assert_eq!(Scan::item(&text), Some(item.clone().into_inner()));
        assert_eq!(decode_through_tree(&text).expect("core"), item);
        assert_eq!(Scan::item("{}"), Some(BTreeMap::new()));
        let binary = Item::new().with("b", Value::B(vec![1, 2]));
        assert_eq!(Scan::item(&encode(&binary)), None);
        assert_eq!(decode(&encode(&binary)).expect("decode"), binary);
    }

    /// Text the scanner does not write is left to the next reader, which reads it as core
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
            assert_eq!(Scan::item(text), None, "{text}");
            assert_eq!(
                decode(text).map_err(|e| e.to_string()),
                decode_through_tree(text).map_err(|e| e.to_string()),
                "{text}"
            );
        }
    }

    /// Whatever the scanner accepts of damaged text, core reads the same way: every text
    /// one byte away from an encoded item (replaced, removed or doubled).
    #[test]
    fn scanner_agrees_with_core_on_damaged_text() {
        let item = Item::new()
            .with("a", "xy")
            .with("b", Value::number("12.5").expect("n"))
            .with("c", Value::L(vec![Value::from(true), Value::Null]))
            .with(
                "d",
                Value::M(BTreeMap::from([("e".to_string(), Value::from("f"))])),
            )
            .with("g", Value::Ss(["h", "i"].map(String::from).into()))
            .with("j", Value::Ns([Number::parse("1").expect("n")].into()));
        let text = encode(&item).into_bytes();
        let mut accepted = 0;
        let alphabet = b"{}[]:,\"\\ 0123456789.eE+-abcdefghijSNLMBOtrufalsx\x01";
        for at in 0..text.len() {
            let mut variants = vec![];
            for &b in alphabet {
                let mut t = text.clone();
                t[at] = b;
                variants.push(t);
            }
            let mut t = text.clone();
            t.remove(at);
            variants.push(t);
            let mut t = text.clone();
            t.insert(at, text[at]);
            variants.push(t);
            for t in variants {
                let Ok(t) = String::from_utf8(t) else {
                    continue;
                };
                if let Some(map) = Scan::item(&t) {
                    accepted += 1;
                    assert_eq!(
                        decode_through_tree(&t).map_err(|e| e.to_string()),
                        Ok(Item::from(map)),
                        "{t}"
                    );
                }
            }
        }
        assert!(accepted > 10, "the scanner took {accepted} variants");
    }

    /// An integer read from its value is the number core parses from its text.
    #[test]
    fn scanned_integers_are_cores_numbers() {
        let mut texts: Vec<String> = (0..20_000i64).map(|n| n.to_string()).collect();
        for p in 0..19u32 {
            let ten = 10i64.pow(p);
            for n in [ten, ten - 1, ten + 1, 7 * ten, ten.saturating_mul(9) + 9] {
                texts.push(n.to_string());
                texts.push((-n).to_string());
            }
        }
        texts.extend(
            [
                "0",
                "-0",
                "007",
                "+5",
                "1e3",
                "1.0",
                "-",
                "",
                "12a",
                "9999999999999999999",
            ]
            .map(String::from),
        );
        texts.push(i64::MAX.to_string());
        texts.push(i64::MIN.to_string());
        for t in &texts {
            assert_eq!(scan_number(t), Number::parse(t).ok(), "{t}");
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
