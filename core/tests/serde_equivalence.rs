//! The direct serde paths (`Item::from_serialize`, `Value::from_serialize`,
//! `Item::deserialize_into`) against the `serde_dynamo` path they replace: the same values
//! through both, the same `Item`s and decoded values out, or both failing with the same kind
//! of error (and, where only one error is possible, the same message).
//!
//! The serde_dynamo path is written out here as it was in `core/src/item/value.rs`:
//! `to_attribute_value`/`to_item` and the conversion of the result, `from_item` on a clone
//! converted to a `serde_dynamo::Item`.
//!
//! Every item decoded here is also decoded from its stored text (`ItemText::decode`, the
//! SQLite backend's typed reads) and compared with `deserialize_into` on the item, value and
//! error message alike; so is a canonical twin of it (binary made text, escaped characters
//! replaced, empty sets dropped), which the direct reader must take (see `text_agrees`).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Debug;
use std::panic::{catch_unwind, AssertUnwindSafe};

use monotable_core::item::ItemText;
use monotable_core::{Error, Item, Number, Value};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

// ---- the two paths -------------------------------------------------------------------------

fn old_value<T: Serialize + ?Sized>(v: &T) -> Result<Value, Error> {
    let av: serde_dynamo::AttributeValue =
        serde_dynamo::to_attribute_value(v).map_err(Error::encode)?;
    Value::try_from(av)
}

fn old_item<T: Serialize + ?Sized>(v: &T) -> Result<Item, Error> {
    let item: serde_dynamo::Item = serde_dynamo::to_item(v).map_err(Error::encode)?;
    Item::try_from(item)
}

fn old_decode<T: DeserializeOwned>(item: &Item) -> Result<T, Error> {
    serde_dynamo::from_item(serde_dynamo::Item::from(item.clone())).map_err(Error::decode)
}

/// How strictly two errors must agree.
#[derive(Clone, Copy, PartialEq)]
enum Errors {
    /// Same variant and message: the value holds at most one error.
    Same,
    /// Same variant: the value may hold several, which serde_dynamo meets in a `HashMap`'s
    /// order.
    SameKind,
}

fn kind(e: &Error) -> &'static str {
    match e {
        Error::Encode { .. } => "Encode",
        Error::Decode { .. } => "Decode",
        Error::InvalidRequest { .. } => "InvalidRequest",
        _ => "other",
    }
}

fn agree<T: PartialEq + Debug>(
    what: &str,
    old: Result<T, Error>,
    new: Result<T, Error>,
    errors: Errors,
) -> bool {
    match (&old, &new) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{what}: values differ"),
        (Err(a), Err(b)) => {
            assert_eq!(kind(a), kind(b), "{what}: error kinds differ: {a} / {b}");
            assert_ne!(kind(a), "other", "{what}: unexpected error {a}");
            if errors == Errors::Same {
                assert_eq!(a.to_string(), b.to_string(), "{what}: messages differ");
            }
        }
        _ => panic!("{what}: serde_dynamo gave {old:?}, the direct path {new:?}"),
    }
    old.is_ok()
}

/// Encodes `v` as a value and (if a map) as an item through both paths, then decodes the item
/// back into `T` through both; returns whether the item encoded.
fn check<T>(what: &str, v: &T, errors: Errors) -> bool
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    agree(
        &format!("{what} (value)"),
        old_value(v),
        Value::from_serialize(v),
        errors,
    );
    let encoded = agree(
        &format!("{what} (item)"),
        old_item(v),
        Item::from_serialize(v),
        errors,
    );
    if let Ok(item) = Item::from_serialize(v) {
        decode_both::<T>(&format!("{what} (decode)"), &item, errors);
    }
    encoded
}

fn decode_both<T: DeserializeOwned + PartialEq + Debug>(
    what: &str,
    item: &Item,
    errors: Errors,
) -> bool {
    text_agrees::<T>(what, item);
    text_agrees::<T>(&format!("{what} (canonical twin)"), &canonical_twin(item));
    agree(
        what,
        old_decode::<T>(item),
        item.deserialize_into::<T>(),
        errors,
    )
}

// ---- the item's stored text -----------------------------------------------------------------

/// Core's reading of an item's text, the reference `ItemText::to_item` must give.
fn core_reading(text: &str) -> Result<Item, String> {
    serde_json::from_str::<serde_json::Value>(text)
        .map_err(|e| e.to_string())
        .and_then(|j| Item::from_json(&j))
}

/// The item's stored text (`Item::to_json`'s, which the SQLite backend writes) read through
/// `ItemText`: `to_item` is core's reading of the text; `decode`, `size` and `attribute` are
/// `None` exactly when the text is not canonical, and otherwise give what the item gives
/// (`deserialize_into` value for value, error for error with the same message; `Item::size`;
/// `get`).
fn text_agrees<T: DeserializeOwned + PartialEq + Debug>(what: &str, item: &Item) {
    let text = item.to_json().to_string();
    let t = ItemText::new(&text);
    assert_eq!(t.as_str(), text);
    let reference = core_reading(&text);
    assert_eq!(t.to_item(), reference, "{what}: to_item of {text}");
    let direct = t.decode::<T>();
    assert_eq!(
        direct.is_some(),
        canonical(item),
        "{what}: taken directly? {text}"
    );
    let Some(direct) = direct else {
        assert_eq!(t.size(), None, "{what}: {text}");
        assert_eq!(t.attribute("s"), None, "{what}: {text}");
        assert_eq!(t.canonical_item(), None, "{what}: {text}");
        return;
    };
    let item = reference.expect("a canonical text is an item");
    same_decoding(what, item.deserialize_into::<T>(), direct);
    assert_eq!(t.canonical_item().as_ref(), Some(&item), "{what}: {text}");
    assert_eq!(t.size(), Some(item.size()), "{what}: size of {text}");
    for name in item.keys().map(String::as_str).chain(["", "absent", "s"]) {
        assert_eq!(
            t.attribute(name),
            Some(item.get(name).cloned()),
            "{what}: {name} of {text}"
        );
    }
}

/// Two decodings of the same item by the same deserializer: the same value, or the same error
/// (variant and message).
fn same_decoding<T: PartialEq + Debug>(what: &str, item: Result<T, Error>, text: Result<T, Error>) {
    match (&item, &text) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{what}: decoded from the text"),
        (Err(a), Err(b)) => assert_eq!(
            (kind(a), a.to_string()),
            (kind(b), b.to_string()),
            "{what}: error decoding the text"
        ),
        _ => panic!("{what}: the item gave {item:?}, its text {text:?}"),
    }
}

/// Whether the direct reader takes the item's text: no binary, no empty set, no string
/// (name, value, member) that JSON escapes, at most 32 levels of maps and lists.
fn canonical(item: &Item) -> bool {
    fn plain(s: &str) -> bool {
        !s.chars().any(|c| c == '"' || c == '\\' || c < ' ')
    }
    fn value(v: &Value, level: usize) -> bool {
        match v {
            Value::S(s) => plain(s),
            Value::N(_) | Value::Bool(_) | Value::Null => true,
            Value::B(_) | Value::Bs(_) => false,
            Value::Ss(s) => !s.is_empty() && s.iter().all(|s| plain(s)),
            Value::Ns(s) => !s.is_empty(),
            Value::L(l) => level < 32 && l.iter().all(|v| value(v, level + 1)),
            Value::M(m) => level < 32 && m.iter().all(|(k, v)| plain(k) && value(v, level + 1)),
        }
    }
    item.iter().all(|(k, v)| plain(k) && value(v, 1))
}

/// The item made canonical: binary as text, escaped characters replaced, empty sets `NULL`.
fn canonical_twin(item: &Item) -> Item {
    fn plain(s: &str) -> String {
        s.chars()
            .map(|c| {
                if c == '"' || c == '\\' || c < ' ' {
                    '#'
                } else {
                    c
                }
            })
            .collect()
    }
    fn hex(b: &[u8]) -> String {
        b.iter().map(|b| format!("{b:02x}")).collect()
    }
    fn value(v: &Value) -> Value {
        match v {
            Value::S(s) => Value::S(plain(s)),
            Value::B(b) => Value::S(hex(b)),
            Value::Ss(s) if !s.is_empty() => Value::Ss(s.iter().map(|s| plain(s)).collect()),
            Value::Bs(s) if !s.is_empty() => Value::Ss(s.iter().map(|b| hex(b)).collect()),
            Value::Ss(_) | Value::Bs(_) | Value::Null => Value::Null,
            Value::Ns(s) if s.is_empty() => Value::Null,
            Value::L(l) => Value::L(l.iter().map(value).collect()),
            Value::M(m) => Value::M(m.iter().map(|(k, v)| (plain(k), value(v))).collect()),
            Value::N(_) | Value::Ns(_) | Value::Bool(_) => v.clone(),
        }
    }
    let twin: Item = item.iter().map(|(k, v)| (plain(k), value(v))).collect();
    assert!(canonical(&twin), "{twin:?}");
    twin
}

/// Encodes a value that is not a map: both paths agree on the value, and both refuse it as
/// an item.
fn check_scalar<T: Serialize + ?Sized>(what: &str, v: &T) {
    agree(what, old_value(v), Value::from_serialize(v), Errors::Same);
}

fn item(pairs: &[(&str, Value)]) -> Item {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn n(text: &str) -> Value {
    Value::number(text).expect("number")
}

// ---- the shapes --------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Unit;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Newtype(u32);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Tuple(i8, String, Option<bool>);

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
enum Key {
    Alpha,
    Beta,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
struct KeyNewtype(String);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Shape {
    Empty,
    Circle(f64),
    Rect(u32, u32),
    Named { name: String, sides: Option<u8> },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
enum Internal {
    A { x: i64 },
    B { s: String, more: Vec<u16> },
    C,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", content = "c")]
enum Adjacent {
    Num(u64),
    Pair(i32, String),
    Nothing,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
enum Untagged {
    Int(i64),
    Big(u64),
    Float(f64),
    Text(String),
    Flag(bool),
    List(Vec<Untagged>),
    Pair { a: u8, b: String },
}

/// Bytes as `serde_bytes` writes and reads them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Bytes(Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Bytes;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Bytes, E> {
                Ok(Bytes(v.to_vec()))
            }
            fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Bytes, E> {
                Ok(Bytes(v))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Bytes, A::Error> {
                let mut out = Vec::new();
                while let Some(b) = a.next_element()? {
                    out.push(b);
                }
                Ok(Bytes(out))
            }
        }
        d.deserialize_byte_buf(V)
    }
}

/// A timestamp as chrono and time write one: `collect_str` out, a string visitor in.
#[derive(Debug, Clone, PartialEq)]
struct Stamp {
    secs: i64,
}

impl std::fmt::Display for Stamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "1970-01-01T00:00:{:02}Z", self.secs)
    }
}

impl Serialize for Stamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Stamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Stamp;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an RFC 3339 timestamp")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Stamp, E> {
                v.strip_prefix("1970-01-01T00:00:")
                    .and_then(|r| r.strip_suffix('Z'))
                    .and_then(|s| s.parse().ok())
                    .map(|secs| Stamp { secs })
                    .ok_or_else(|| E::custom(format!("not a timestamp: {v}")))
            }
        }
        d.deserialize_str(V)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Inner {
    label: String,
    weight: Option<f32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Everything {
    b: bool,
    i8: i8,
    i16: i16,
    i32: i32,
    i64: i64,
    u8: u8,
    u16: u16,
    u32: u32,
    u64: u64,
    f32: f32,
    f64: f64,
    c: char,
    s: String,
    none: Option<String>,
    some: Option<i32>,
    unit: (),
    unit_struct: Unit,
    newtype: Newtype,
    tuple_struct: Tuple,
    tuple: (u8, String, f64),
    array: [i16; 3],
    list: Vec<Option<u32>>,
    raw_bytes: Vec<u8>,
    bytes: Bytes,
    map: BTreeMap<String, Inner>,
    int_keys: BTreeMap<i32, String>,
    u64_keys: HashMap<u64, bool>,
    bool_keys: BTreeMap<bool, u8>,
    char_keys: BTreeMap<char, u8>,
    enum_keys: BTreeMap<Key, u8>,
    newtype_keys: BTreeMap<KeyNewtype, u8>,
    set: BTreeSet<String>,
    hash_set: HashSet<i64>,
    shapes: Vec<Shape>,
    internal: Vec<Internal>,
    adjacent: Vec<Adjacent>,
    untagged: Vec<Untagged>,
    stamp: Stamp,
    json: serde_json::Value,
    cow: Cow<'static, str>,
    boxed: Box<str>,
    nested: Option<Box<Everything>>,
}

fn everything(mut g: Gen) -> Everything {
    everything_from(&mut g, 2)
}

fn everything_from(g: &mut Gen, depth: u32) -> Everything {
    Everything {
        b: g.bool(),
        i8: g.next() as i8,
        i16: g.next() as i16,
        i32: g.next() as i32,
        i64: g.int64(),
        u8: g.next() as u8,
        u16: g.next() as u16,
        u32: g.next() as u32,
        u64: g.uint64(),
        f32: g.float() as f32,
        f64: g.float(),
        c: g.char(),
        s: g.string(),
        none: None,
        some: g.bool().then(|| g.next() as i32),
        unit: (),
        unit_struct: Unit,
        newtype: Newtype(g.next() as u32),
        tuple_struct: Tuple(g.next() as i8, g.string(), g.bool().then(|| g.bool())),
        tuple: (g.next() as u8, g.string(), g.float()),
        array: [g.next() as i16, g.next() as i16, g.next() as i16],
        list: (0..g.below(4))
            .map(|_| g.bool().then(|| g.next() as u32))
            .collect(),
        raw_bytes: g.bytes(),
        bytes: Bytes(g.bytes()),
        map: (0..g.below(3))
            .map(|_| {
                (
                    g.string(),
                    Inner {
                        label: g.string(),
                        weight: g.bool().then(|| g.float() as f32),
                    },
                )
            })
            .collect(),
        int_keys: (0..g.below(3))
            .map(|_| (g.next() as i32, g.string()))
            .collect(),
        u64_keys: (0..g.below(3)).map(|_| (g.uint64(), g.bool())).collect(),
        bool_keys: (0..g.below(3))
            .map(|_| (g.bool(), g.next() as u8))
            .collect(),
        char_keys: (0..g.below(3))
            .map(|_| (g.char(), g.next() as u8))
            .collect(),
        enum_keys: (0..g.below(3))
            .map(|_| (if g.bool() { Key::Alpha } else { Key::Beta }, 1))
            .collect(),
        newtype_keys: (0..g.below(3))
            .map(|_| (KeyNewtype(g.string()), 2))
            .collect(),
        set: (0..g.below(4)).map(|_| g.string()).collect(),
        hash_set: (0..g.below(4)).map(|_| g.int64()).collect(),
        shapes: (0..g.below(4))
            .map(|_| match g.below(4) {
                0 => Shape::Empty,
                1 => Shape::Circle(g.float()),
                2 => Shape::Rect(g.next() as u32, g.next() as u32),
                _ => Shape::Named {
                    name: g.string(),
                    sides: g.bool().then(|| g.next() as u8),
                },
            })
            .collect(),
        internal: (0..g.below(3))
            .map(|_| match g.below(3) {
                0 => Internal::A { x: g.int64() },
                1 => Internal::B {
                    s: g.string(),
                    more: (0..g.below(3)).map(|_| g.next() as u16).collect(),
                },
                _ => Internal::C,
            })
            .collect(),
        adjacent: (0..g.below(3))
            .map(|_| match g.below(3) {
                0 => Adjacent::Num(g.uint64()),
                1 => Adjacent::Pair(g.next() as i32, g.string()),
                _ => Adjacent::Nothing,
            })
            .collect(),
        untagged: (0..g.below(4)).map(|_| g.untagged(2)).collect(),
        stamp: Stamp {
            secs: g.below(60) as i64,
        },
        json: g.json(2),
        cow: Cow::Owned(g.string()),
        boxed: g.string().into(),
        nested: (depth > 0 && g.below(3) == 0).then(|| Box::new(everything_from(g, depth - 1))),
    }
}

// ---- a small seeded generator ---------------------------------------------------------------

struct Gen {
    state: u64,
    /// Only floats DynamoDB can hold.
    tame: bool,
}

impl Gen {
    fn new(seed: u64) -> Self {
        Gen {
            state: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03,
            tame: false,
        }
    }

    fn tame(seed: u64) -> Self {
        Gen {
            tame: true,
            ..Gen::new(seed)
        }
    }

    /// splitmix64.
    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn bool(&mut self) -> bool {
        self.next() & 1 == 1
    }

    fn pick<'a, T>(&mut self, from: &'a [T]) -> &'a T {
        &from[self.below(from.len() as u64) as usize]
    }

    /// Integers near the interesting places: 0, small, the limits of each width.
    fn int64(&mut self) -> i64 {
        match self.below(6) {
            0 => 0,
            1 => self.below(200) as i64 - 100,
            2 => *self.pick(&[i64::MIN, i64::MAX, i64::MIN + 1, i64::MAX - 1]),
            3 => *self.pick(&[
                i32::MIN as i64,
                i32::MAX as i64,
                i16::MIN as i64,
                u16::MAX as i64,
                -1_000_000_000_000,
                10_i64.pow(18),
            ]),
            _ => self.next() as i64,
        }
    }

    fn uint64(&mut self) -> u64 {
        match self.below(5) {
            0 => 0,
            1 => self.below(1000),
            2 => *self.pick(&[u64::MAX, u64::MAX - 1, i64::MAX as u64 + 1, 10_u64.pow(19)]),
            _ => self.next(),
        }
    }

    /// Floats, including the ones DynamoDB cannot hold (NaN, infinities, beyond 1E+126,
    /// below 1E-130) and those whose text is long.
    fn float(&mut self) -> f64 {
        if self.tame {
            return *self.pick(&[0.0, 0.5, -2.25, 1e10, 0.1, 3.0]);
        }
        match self.below(12) {
            0 => 0.0,
            1 => *self.pick(&[
                f64::NAN,
                f64::INFINITY,
                f64::NEG_INFINITY,
                1e300,
                -1e200,
                1e-300,
                5e-324,
                f64::MAX,
                f64::MIN_POSITIVE,
                1e125,
                9.9e125,
                1e-129,
                -0.0,
            ]),
            2 => *self.pick(&[0.1, 0.2, 1.0 / 3.0, 1e21, 1e-7, 123456789.12345679, 2.5]),
            3 => self.below(10_000) as f64 - 5000.0,
            4 => f64::from_bits(self.next()),
            _ => (self.next() as i64 as f64) / (self.below(1_000_000) as f64 + 1.0),
        }
    }

    fn char(&mut self) -> char {
        *self.pick(&['a', 'Z', '0', ' ', 'é', '😀', '\u{0}', '\u{37E}', '#'])
    }

    fn string(&mut self) -> String {
        let len = self.below(6);
        (0..len).map(|_| self.char()).collect()
    }

    fn bytes(&mut self) -> Vec<u8> {
        (0..self.below(5)).map(|_| self.next() as u8).collect()
    }

    fn json(&mut self, depth: u32) -> serde_json::Value {
        use serde_json::Value as J;
        match self.below(if depth == 0 { 5 } else { 7 }) {
            0 => J::Null,
            1 => J::Bool(self.bool()),
            2 => J::from(self.int64()),
            3 => J::from(self.uint64()),
            4 => {
                let f = self.float();
                serde_json::Number::from_f64(f).map_or(J::String(self.string()), J::Number)
            }
            5 => J::Array((0..self.below(3)).map(|_| self.json(depth - 1)).collect()),
            _ => J::Object(
                (0..self.below(3))
                    .map(|_| (self.string(), self.json(depth - 1)))
                    .collect(),
            ),
        }
    }

    fn untagged(&mut self, depth: u32) -> Untagged {
        match self.below(if depth == 0 { 6 } else { 7 }) {
            0 => Untagged::Int(self.int64()),
            1 => Untagged::Big(self.uint64()),
            2 => Untagged::Float(self.float()),
            3 => Untagged::Text(self.string()),
            4 => Untagged::Flag(self.bool()),
            5 => Untagged::Pair {
                a: self.next() as u8,
                b: self.string(),
            },
            _ => Untagged::List(
                (0..self.below(3))
                    .map(|_| self.untagged(depth - 1))
                    .collect(),
            ),
        }
    }

    /// Number text of every magnitude DynamoDB holds, and some it does not.
    fn number(&mut self) -> Value {
        let digits = 1 + self.below(38) as usize;
        let mut text: String = (0..digits)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect();
        if self.bool() {
            text.insert(0, '-');
        }
        let exp = self.below(240) as i64 - 150;
        let text = format!("{text}e{exp}");
        Value::number(&text).unwrap_or_else(|_| Value::from(self.int64()))
    }

    /// Any value DynamoDB holds (and empty sets, which only a write refuses).
    fn value(&mut self, depth: u32) -> Value {
        match self.below(if depth == 0 { 9 } else { 11 }) {
            0 => Value::S(self.string()),
            1 => self.number(),
            2 => Value::from(self.int64()),
            3 => Value::B(self.bytes()),
            4 => Value::Bool(self.bool()),
            5 => Value::Null,
            6 => Value::Ss((0..self.below(3)).map(|_| self.string()).collect()),
            7 => Value::Ns(
                (0..self.below(3))
                    .filter_map(|_| self.number().as_n().cloned())
                    .collect(),
            ),
            8 => Value::Bs((0..self.below(3)).map(|_| self.bytes()).collect()),
            9 => Value::L((0..self.below(4)).map(|_| self.value(depth - 1)).collect()),
            _ => Value::M(
                (0..self.below(4))
                    .map(|_| (self.key(), self.value(depth - 1)))
                    .collect(),
            ),
        }
    }

    /// Attribute names: the probe's fields, enum variant names, integers, bools.
    fn key(&mut self) -> String {
        self.pick(&[
            "s", "n", "u", "f", "b", "o", "l", "m", "e", "x", "1", "-7", "300", "true", "false",
            "Alpha", "Beta", "Empty", "Circle", "Rect", "Named", "type", "t", "c", "A", "B", "C",
            "",
        ])
        .to_string()
    }

    fn item(&mut self) -> Item {
        (0..self.below(6))
            .map(|_| (self.key(), self.value(3)))
            .collect()
    }
}

// ---- the cases -----------------------------------------------------------------------------

#[test]
fn every_shape_round_trips_the_same() {
    for seed in 0..300 {
        let v = everything(Gen::new(seed));
        check(&format!("everything #{seed}"), &v, Errors::SameKind);
    }
}

#[test]
fn a_fixed_value_of_every_shape_encodes_to_the_same_item() {
    for seed in 0..100 {
        let v = everything(Gen::tame(seed));
        assert!(check(
            &format!("everything #{seed}, tame"),
            &v,
            Errors::Same
        ));
    }
    let mut v = everything(Gen::tame(7));
    v.shapes = vec![
        Shape::Empty,
        Shape::Circle(0.1),
        Shape::Rect(1, 2),
        Shape::Named {
            name: "x".into(),
            sides: None,
        },
    ];
    v.internal = vec![Internal::A { x: -1 }, Internal::C];
    v.adjacent = vec![Adjacent::Num(u64::MAX), Adjacent::Nothing];
    v.untagged = vec![
        Untagged::Int(-1),
        Untagged::Big(u64::MAX),
        Untagged::Float(0.5),
        Untagged::Text("t".into()),
        Untagged::Flag(true),
        Untagged::Pair {
            a: 1,
            b: "b".into(),
        },
        Untagged::List(vec![Untagged::Int(2)]),
    ];
    v.json = serde_json::json!({"a": [1, -2, u64::MAX, 0.5, null, "s", {"b": true}]});
    v.nested = Some(Box::new(everything(Gen::tame(8))));
    assert!(check("everything, fixed", &v, Errors::Same));
}

#[test]
fn numbers_at_the_limits() {
    for i in [
        0,
        1,
        -1,
        i64::MIN,
        i64::MAX,
        i32::MIN as i64,
        10_i64.pow(18),
    ] {
        check_scalar("i64", &i);
        check_scalar("i8", &(i as i8));
        check_scalar("i16", &(i as i16));
        check_scalar("i32", &(i as i32));
    }
    for u in [
        0,
        1,
        9,
        10,
        100,
        1234500,
        u64::MAX,
        u64::MAX - 1,
        10_u64.pow(19),
    ] {
        check_scalar("u64", &u);
        check_scalar("u8", &(u as u8));
        check_scalar("u16", &(u as u16));
        check_scalar("u32", &(u as u32));
        check_scalar("usize", &(u as usize));
    }
    // serde_dynamo refuses 128-bit integers ("i128 is not supported").
    check_scalar("i128", &1_i128);
    check_scalar("u128", &1_u128);
    for f in [
        0.0,
        -0.0,
        0.1,
        1.0 / 3.0,
        1e21,
        1e-7,
        f64::MAX,
        f64::MIN,
        f64::MIN_POSITIVE,
        5e-324,
        1e125,
        1e126,
        1e-129,
        1e-130,
        1e-131,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ] {
        check_scalar(&format!("f64 {f:e}"), &f);
        check_scalar(&format!("f32 {f:e}"), &(f as f32));
        check(
            &format!("f64 field {f:e}"),
            &BTreeMap::from([("f".to_string(), f)]),
            Errors::Same,
        );
    }
    let mut g = Gen::new(99);
    for _ in 0..2000 {
        let f = g.float();
        check_scalar("random f64", &f);
        check_scalar("random f32", &(f as f32));
        check_scalar("random i64", &g.int64());
        check_scalar("random u64", &g.uint64());
    }
}

#[test]
fn scalars_and_non_maps() {
    check_scalar("str", "text");
    check_scalar("char", &'é');
    check_scalar("bool", &true);
    check_scalar("unit", &());
    check_scalar("unit struct", &Unit);
    check_scalar("none", &None::<u8>);
    check_scalar("newtype", &Newtype(5));
    check_scalar("tuple", &(1, "a", 2.5));
    check_scalar("list", &vec![1, 2, 3]);
    check_scalar("bytes", &Bytes(vec![0, 255]));
    check_scalar("unit variant", &Shape::Empty);
    check_scalar("newtype variant", &Shape::Circle(1.0));
    check_scalar("tuple variant", &Shape::Rect(3, 4));
    check_scalar("a Value", &Value::from("x"));
    check_scalar("an Item", &Item::new().with("a", 1));
    // Not maps: both refuse them as items, with serde_dynamo's "Not a map-like object".
    for (what, old, new) in [
        ("str", old_item("x"), Item::from_serialize("x")),
        ("list", old_item(&vec![1]), Item::from_serialize(&vec![1])),
        ("unit", old_item(&()), Item::from_serialize(&())),
        // A non-map with a bad number: the shape is refused first, as before.
        ("NaN", old_item(&f64::NAN), Item::from_serialize(&f64::NAN)),
    ] {
        assert!(old.is_err(), "{what}");
        agree(what, old, new, Errors::Same);
    }
    // Maps and struct-like variants are items.
    check(
        "struct variant",
        &Shape::Named {
            name: "n".into(),
            sides: Some(3),
        },
        Errors::Same,
    );
    check("newtype variant as item", &Shape::Circle(2.0), Errors::Same);
    check("tuple variant as item", &Shape::Rect(1, 2), Errors::Same);
    check(
        "internally tagged",
        &Internal::B {
            s: "s".into(),
            more: vec![1],
        },
        Errors::Same,
    );
    check("internally tagged unit", &Internal::C, Errors::Same);
    check(
        "adjacently tagged",
        &Adjacent::Pair(-3, "x".into()),
        Errors::Same,
    );
    check(
        "untagged struct",
        &Untagged::Pair {
            a: 200,
            b: String::new(),
        },
        Errors::Same,
    );
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Flattened {
    id: u64,
    #[serde(flatten)]
    inner: Inner,
    #[serde(flatten)]
    rest: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct FlattenedEnum {
    id: String,
    #[serde(flatten)]
    shape: Internal,
}

#[test]
fn flatten() {
    let v = Flattened {
        id: u64::MAX,
        inner: Inner {
            label: "l".into(),
            weight: Some(0.5),
        },
        rest: BTreeMap::from([
            ("x".to_string(), serde_json::json!(-5)),
            (
                "y".to_string(),
                serde_json::json!([1.5, "a", {"k": u64::MAX}]),
            ),
        ]),
    };
    check("flatten", &v, Errors::Same);
    check(
        "flatten, enum",
        &FlattenedEnum {
            id: "i".into(),
            shape: Internal::A { x: -9 },
        },
        Errors::Same,
    );
    // A flattened map whose key is also a field: the last one written wins on both paths.
    let dup = Flattened {
        id: 1,
        inner: Inner {
            label: "first".into(),
            weight: None,
        },
        rest: BTreeMap::from([("label".to_string(), serde_json::json!("second"))]),
    };
    agree(
        "duplicate key",
        old_item(&dup),
        Item::from_serialize(&dup),
        Errors::Same,
    );
    // …and an overwritten value is never converted: its bad number is no error, on both.
    let overwritten = Flattened {
        id: 1,
        inner: Inner {
            label: "l".into(),
            weight: Some(f32::NAN),
        },
        rest: BTreeMap::from([("weight".to_string(), serde_json::json!(1))]),
    };
    assert!(agree(
        "overwritten NaN",
        old_item(&overwritten),
        Item::from_serialize(&overwritten),
        Errors::Same,
    ));
    let overwriting = Flattened {
        rest: BTreeMap::from([("weight".to_string(), serde_json::json!(1e300))]),
        ..overwritten.clone()
    };
    agree(
        "overwriting 1e300",
        old_item(&overwriting),
        Item::from_serialize(&overwriting),
        Errors::Same,
    );
    check_scalar(
        "overwritten NaN, nested",
        &RawMap(vec![
            ("a", RawMap(vec![("x", f64::NAN), ("y", f64::INFINITY)])),
            ("b", RawMap(vec![("z", 1e300)])),
            ("a", RawMap(vec![("x", 1.0)])),
        ]),
    );
    check_scalar(
        "overwritten NaN, one of two",
        &RawMap(vec![("a", f64::NAN), ("b", 1e-300), ("a", 1.0)]),
    );
    check_scalar(
        "overwritten NaN, only one",
        &RawMap(vec![("a", f64::NAN), ("a", 1.0)]),
    );
    let mut g = Gen::new(5);
    for seed in 0..200 {
        let v = Flattened {
            id: g.uint64(),
            inner: Inner {
                label: g.string(),
                weight: g.bool().then(|| g.float() as f32),
            },
            rest: (0..g.below(4)).map(|_| (g.string(), g.json(2))).collect(),
        };
        check(&format!("flatten #{seed}"), &v, Errors::SameKind);
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Sets {
    #[serde(with = "serde_dynamo::string_set")]
    names: Vec<String>,
    #[serde(with = "serde_dynamo::number_set")]
    counts: Vec<i64>,
    #[serde(with = "serde_dynamo::number_set")]
    ratios: Vec<f64>,
    #[serde(with = "serde_dynamo::binary_set")]
    blobs: Vec<Bytes>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct WrongSets {
    #[serde(with = "serde_dynamo::string_set")]
    not_strings: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct NotASet {
    #[serde(with = "serde_dynamo::number_set")]
    scalar: u8,
}

#[test]
fn set_wrappers() {
    let sets = Sets {
        names: vec!["b".into(), "a".into()],
        counts: vec![3, -1, 20],
        ratios: vec![0.5, 2.0],
        blobs: vec![Bytes(vec![2]), Bytes(vec![1, 0])],
    };
    // Sets come back in the set's order.
    agree(
        "sets",
        old_item(&sets),
        Item::from_serialize(&sets),
        Errors::Same,
    );
    let item = Item::from_serialize(&sets).expect("sets");
    assert!(matches!(item["names"], Value::Ss(_)));
    assert!(matches!(item["counts"], Value::Ns(_)));
    assert!(matches!(item["blobs"], Value::Bs(_)));
    decode_both::<Sets>("sets, decoded", &item, Errors::Same);
    decode_both::<BTreeMap<String, Vec<serde_json::Value>>>(
        "sets, as json lists",
        &item
            .clone()
            .into_iter()
            .filter(|(k, _)| k != "blobs")
            .collect(),
        Errors::Same,
    );
    let empty = Sets {
        names: vec![],
        counts: vec![],
        ratios: vec![],
        blobs: vec![],
    };
    check("empty sets", &empty, Errors::Same);
    for (what, v) in [
        (
            "duplicate strings",
            Sets {
                names: vec!["a".into(), "a".into()],
                ..empty.clone()
            },
        ),
        (
            "duplicate numbers",
            Sets {
                counts: vec![1, 1],
                ..empty.clone()
            },
        ),
        (
            "duplicate numbers, written differently",
            Sets {
                ratios: vec![1.0, 1.0],
                ..empty.clone()
            },
        ),
        (
            "duplicate bytes",
            Sets {
                blobs: vec![Bytes(vec![1]), Bytes(vec![1])],
                ..empty.clone()
            },
        ),
        (
            "NaN in a number set",
            Sets {
                ratios: vec![f64::NAN],
                ..empty.clone()
            },
        ),
    ] {
        agree(what, old_item(&v), Item::from_serialize(&v), Errors::Same);
        assert!(Item::from_serialize(&v).is_err(), "{what}");
    }
    let wrong = WrongSets {
        not_strings: vec![1],
    };
    agree(
        "string set of numbers",
        old_item(&wrong),
        Item::from_serialize(&wrong),
        Errors::Same,
    );
    let scalar = NotASet { scalar: 1 };
    agree(
        "a set of a scalar",
        old_item(&scalar),
        Item::from_serialize(&scalar),
        Errors::Same,
    );
    check_scalar(
        "StringSet wrapper",
        &serde_dynamo::string_set::StringSet(vec!["x", "y"]),
    );
    check_scalar(
        "NumberSet wrapper",
        &serde_dynamo::number_set::NumberSet(vec![1.5, 2.5]),
    );
    check_scalar(
        "BinarySet wrapper",
        &serde_dynamo::binary_set::BinarySet(vec![Bytes(vec![1])]),
    );
}

/// A map written by hand, with keys of any serde shape.
struct RawMap<K, V = u8>(Vec<(K, V)>);

impl<K: Serialize, V: Serialize> Serialize for RawMap<K, V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// A type whose serialisation fails after some fields were written.
struct Failing {
    before: f64,
}

impl Serialize for Failing {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error as _, SerializeStruct};
        let mut st = s.serialize_struct("Failing", 2)?;
        st.serialize_field("before", &self.before)?;
        st.serialize_field("x", &1)?;
        Err(S::Error::custom("boom"))
    }
}

/// Calls to a map serializer out of order.
struct Misordered(bool);

impl Serialize for Misordered {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        if self.0 {
            m.serialize_key("a")?;
            m.serialize_key("b")?;
        } else {
            m.serialize_value(&1)?;
        }
        m.end()
    }
}

#[test]
fn map_keys_and_serialisation_errors() {
    check_scalar("int keys", &RawMap(vec![(-1_i64, 1), (7, 2)]));
    check_scalar("i128 keys", &RawMap(vec![(i128::MIN, 1)]));
    check_scalar("u128 keys", &RawMap(vec![(u128::MAX, 1)]));
    check_scalar("bool keys", &RawMap(vec![(true, 1)]));
    check_scalar("char keys", &RawMap(vec![('x', 1)]));
    check_scalar("unit variant keys", &RawMap(vec![(Key::Beta, 1)]));
    check_scalar("newtype keys", &RawMap(vec![(Newtype(3), 1)]));
    check_scalar(
        "keys written twice",
        &RawMap(vec![("a", 1), ("b", 2), ("a", 3)]),
    );
    check_scalar("int and text key alike", &RawMap(vec![(1_u8, 1)]));
    // Keys that are not strings.
    check_scalar("f64 keys", &RawMap(vec![(1.5_f64, 1)]));
    check_scalar("f32 keys", &RawMap(vec![(1.5_f32, 1)]));
    check_scalar("option keys", &RawMap(vec![(Some("a"), 1)]));
    check_scalar("none keys", &RawMap(vec![(None::<&str>, 1)]));
    check_scalar("unit keys", &RawMap(vec![((), 1)]));
    check_scalar("unit struct keys", &RawMap(vec![(Unit, 1)]));
    check_scalar("tuple keys", &RawMap(vec![((1, 2), 1)]));
    check_scalar(
        "tuple struct keys",
        &RawMap(vec![(Tuple(1, "a".into(), None), 1)]),
    );
    check_scalar(
        "struct keys",
        &RawMap(vec![(
            Inner {
                label: "l".into(),
                weight: None,
            },
            1,
        )]),
    );
    check_scalar(
        "newtype variant keys",
        &RawMap(vec![(Shape::Circle(1.0), 1)]),
    );
    check_scalar("tuple variant keys", &RawMap(vec![(Shape::Rect(1, 1), 1)]));
    check_scalar(
        "struct variant keys",
        &RawMap(vec![(
            Shape::Named {
                name: "n".into(),
                sides: None,
            },
            1,
        )]),
    );
    // serde_dynamo panics on a key that is a sequence, a map or bytes (`unreachable!`); the
    // direct path refuses it as any other key that is not a string.
    for (what, panicked, new) in [
        (
            "seq keys",
            catch_unwind(AssertUnwindSafe(|| old_value(&RawMap(vec![(vec![1], 1)])))).is_err(),
            Value::from_serialize(&RawMap(vec![(vec![1], 1)])),
        ),
        (
            "map keys",
            catch_unwind(AssertUnwindSafe(|| {
                old_value(&RawMap(vec![(BTreeMap::from([(1, 2)]), 1)]))
            }))
            .is_err(),
            Value::from_serialize(&RawMap(vec![(BTreeMap::from([(1, 2)]), 1)])),
        ),
        (
            "bytes keys",
            catch_unwind(AssertUnwindSafe(|| {
                old_value(&RawMap(vec![(Bytes(vec![1]), 1)]))
            }))
            .is_err(),
            Value::from_serialize(&RawMap(vec![(Bytes(vec![1]), 1)])),
        ),
    ] {
        assert!(panicked, "{what}: serde_dynamo no longer panics");
        let e = new.expect_err(what);
        assert_eq!(
            e.to_string(),
            "cannot encode entity: Key must be a string",
            "{what}"
        );
    }
    // serde errors.
    check_scalar("custom error", &Failing { before: 1.0 });
    check_scalar("map key twice", &Misordered(true));
    check_scalar("map value before key", &Misordered(false));
    // A serde error wins over a number that cannot be stored, written before it.
    check_scalar("custom error after NaN", &Failing { before: f64::NAN });
    check_scalar("i128 after NaN", &(f64::NAN, 1_i128));
    check_scalar("bad key after NaN", &(f64::INFINITY, RawMap(vec![((), 1)])));
    check_scalar(
        "not a string set after a duplicate",
        &(
            serde_dynamo::string_set::StringSet(vec!["a", "a"]),
            serde_dynamo::string_set::StringSet(vec![1]),
        ),
    );
}

#[derive(Debug, PartialEq, Deserialize)]
struct Probe {
    s: Option<String>,
    n: Option<i64>,
    u: Option<u64>,
    f: Option<f64>,
    b: Option<Bytes>,
    o: Option<bool>,
    l: Option<Vec<serde_json::Value>>,
    m: Option<BTreeMap<String, serde_json::Value>>,
    e: Option<Shape>,
    x: Option<Untagged>,
}

#[derive(Debug, PartialEq, Deserialize)]
struct Narrow {
    n: Option<u8>,
    s: Option<char>,
    l: Option<(i16, String)>,
    m: Option<Inner>,
    u: Option<Unit>,
    e: Option<Key>,
    f: Option<f32>,
    x: Option<Newtype>,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Strict {
    s: String,
}

/// The item as a serde_json tree, decoded the way `deserialize_any` sees it.
type Tree = BTreeMap<String, serde_json::Value>;

#[test]
fn random_items_decode_the_same() {
    let mut g = Gen::new(2024);
    let mut decoded = [0usize; 9];
    for i in 0..3000 {
        let item = g.item();
        let what = |t: &str| format!("item #{i} as {t}: {item:?}");
        let results = [
            decode_both::<Tree>(&what("a json tree"), &item, Errors::SameKind),
            decode_both::<Probe>(&what("Probe"), &item, Errors::SameKind),
            decode_both::<Narrow>(&what("Narrow"), &item, Errors::SameKind),
            decode_both::<BTreeMap<String, Untagged>>(&what("untagged"), &item, Errors::SameKind),
            decode_both::<BTreeMap<String, Shape>>(&what("enums"), &item, Errors::SameKind),
            decode_both::<BTreeMap<i32, serde::de::IgnoredAny>>(
                &what("int keys"),
                &item,
                Errors::SameKind,
            ),
            decode_both::<BTreeMap<bool, Option<String>>>(
                &what("bool keys"),
                &item,
                Errors::SameKind,
            ),
            decode_both::<Strict>(&what("Strict"), &item, Errors::SameKind),
            decode_both::<HashMap<Key, Vec<u64>>>(&what("enum keys"), &item, Errors::SameKind),
        ];
        for (count, ok) in decoded.iter_mut().zip(results) {
            *count += usize::from(ok);
        }
    }
    // Each target decodes some items and refuses others.
    assert!(decoded.iter().all(|c| *c > 0), "decoded: {decoded:?}");
}

#[test]
fn random_values_encode_the_same() {
    let mut g = Gen::new(77);
    for i in 0..2000 {
        let v = g.value(4);
        check_scalar(&format!("value #{i}"), &v);
        let j = g.json(4);
        check_scalar(&format!("json #{i}"), &j);
        let item = g.item();
        check(&format!("item #{i}"), &item, Errors::SameKind);
    }
}

#[test]
fn decoding_mismatches() {
    let cases: Vec<(&str, Item)> = vec![
        ("1.5 into u32", item(&[("v", n("1.5"))])),
        ("300 into u8", item(&[("v", n("300"))])),
        ("negative into u64", item(&[("v", n("-5"))])),
        ("u64::MAX into i64", item(&[("v", Value::from(u64::MAX))])),
        (
            "38 digits",
            item(&[("v", n("12345678901234567890123456789012345678"))]),
        ),
        ("1e125", item(&[("v", n("1e125"))])),
        ("1e-129", item(&[("v", n("-1e-129"))])),
        ("zero", item(&[("v", n("0"))])),
        ("string", item(&[("v", Value::from("12"))])),
        ("bool", item(&[("v", Value::Bool(true))])),
        ("null", item(&[("v", Value::Null)])),
        ("bytes", item(&[("v", Value::B(vec![1, 2]))])),
        (
            "list",
            item(&[("v", Value::L(vec![n("1"), Value::from("a")]))]),
        ),
        (
            "list of 3",
            item(&[("v", Value::L(vec![n("1"), n("2"), n("3")]))]),
        ),
        (
            "map",
            item(&[("v", Value::M(BTreeMap::from([("a".to_string(), n("1"))])))]),
        ),
        (
            "map of two",
            item(&[(
                "v",
                Value::M(BTreeMap::from([
                    ("Circle".to_string(), n("1")),
                    ("Rect".to_string(), n("1")),
                ])),
            )]),
        ),
        ("empty map", item(&[("v", Value::M(BTreeMap::new()))])),
        (
            "unit variant with a value",
            item(&[(
                "v",
                Value::M(BTreeMap::from([("Empty".to_string(), n("1"))])),
            )]),
        ),
        ("unknown variant", item(&[("v", Value::from("Hexagon"))])),
        (
            "string set",
            item(&[("v", Value::Ss(["a".to_string(), "b".to_string()].into()))]),
        ),
        (
            "number set",
            item(&[("v", Value::Ns([Number::from(1), Number::from(2)].into()))]),
        ),
        (
            "binary set",
            item(&[("v", Value::Bs([vec![1], vec![2]].into()))]),
        ),
        ("char", item(&[("v", Value::from("é"))])),
        ("two chars", item(&[("v", Value::from("ab"))])),
        ("no char", item(&[("v", Value::from(""))])),
        ("missing", Item::new()),
    ];
    macro_rules! each_type {
        ($($t:ty),*) => {
            for (what, item) in &cases {
                $(decode_both::<Single<$t>>(&format!("{what} as {}", stringify!($t)), item, Errors::Same);)*
            }
        };
    }
    each_type!(
        u8,
        u16,
        u32,
        u64,
        i8,
        i16,
        i32,
        i64,
        f32,
        f64,
        i128,
        u128,
        String,
        char,
        bool,
        (),
        Unit,
        Newtype,
        Tuple,
        (u8, u8),
        [u8; 3],
        Vec<u8>,
        Vec<String>,
        Vec<Bytes>,
        Bytes,
        BTreeSet<u32>,
        Option<u8>,
        Option<()>,
        Shape,
        Key,
        Inner,
        Untagged,
        serde_json::Value,
        Value,
        Box<str>,
        Cow<'static, str>,
        Stamp,
        serde::de::IgnoredAny,
        Vec<serde_json::Value>
    );
}

#[derive(Debug, PartialEq, Deserialize)]
struct Single<T> {
    v: T,
}

#[test]
fn items_with_managed_attributes_decode_the_same() {
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Row {
        part: u64,
        seq: u64,
        name: String,
        total: u64,
        body: String,
    }
    let row = Row {
        part: 12,
        seq: 345,
        name: "name".into(),
        total: 9_999_999_999,
        body: "b".repeat(100),
    };
    let mut item = Item::from_serialize(&row).expect("row");
    for (k, v) in [
        ("pk", Value::from("P#12")),
        ("sk", Value::from("S#0345")),
        ("_et", Value::from("Row")),
        ("_ct", Value::from("2024-01-01T00:00:00Z")),
        ("_v", Value::from(3)),
        ("tags", Value::Ss(["a".to_string()].into())),
    ] {
        item.insert(k.to_string(), v);
    }
    assert!(decode_both::<Row>("row", &item, Errors::Same));
}

// ---- visitor calls, one by one ----------------------------------------------------------------

/// How many `deserialize_*` hints [`Hint`] can give.
const HINTS: u64 = 31;

/// Decodes whatever is there through one `deserialize_*` hint, recording the visitor calls it
/// gets (`i64(5)`, `str("a")`, `map{…}`…): the two paths must make the same calls, not only
/// build equal values. Nested values get other hints, chosen by depth and position (a map's
/// value by its key), so that the choice does not depend on the order of a map's entries.
#[derive(Clone, Copy)]
struct Hint {
    hint: u64,
    depth: u64,
}

impl Hint {
    fn child(self, salt: u64) -> Hint {
        let depth = self.depth + 1;
        let hint = if depth > 5 {
            0
        } else {
            (self.hint * 31 + salt * 17 + depth * 7) % HINTS
        };
        Hint { hint, depth }
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for Hint {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        let v = Recorder(self);
        const FIELDS: &[&str] = &["a", "s"];
        const VARIANTS: &[&str] = &["Empty", "Circle", "Rect", "Named"];
        match self.hint {
            0 => d.deserialize_any(v),
            1 => d.deserialize_bool(v),
            2 => d.deserialize_i8(v),
            3 => d.deserialize_i16(v),
            4 => d.deserialize_i32(v),
            5 => d.deserialize_i64(v),
            6 => d.deserialize_i128(v),
            7 => d.deserialize_u8(v),
            8 => d.deserialize_u16(v),
            9 => d.deserialize_u32(v),
            10 => d.deserialize_u64(v),
            11 => d.deserialize_u128(v),
            12 => d.deserialize_f32(v),
            13 => d.deserialize_f64(v),
            14 => d.deserialize_char(v),
            15 => d.deserialize_str(v),
            16 => d.deserialize_string(v),
            17 => d.deserialize_bytes(v),
            18 => d.deserialize_byte_buf(v),
            19 => d.deserialize_option(v),
            20 => d.deserialize_unit(v),
            21 => d.deserialize_unit_struct("U", v),
            22 => d.deserialize_newtype_struct("N", v),
            23 => d.deserialize_seq(v),
            24 => d.deserialize_tuple(3, v),
            25 => d.deserialize_tuple_struct("T", 2, v),
            26 => d.deserialize_map(v),
            27 => d.deserialize_struct("S", FIELDS, v),
            28 => d.deserialize_enum("E", VARIANTS, v),
            29 => d.deserialize_identifier(v),
            _ => d.deserialize_ignored_any(v),
        }
    }
}

/// A decoded value: the trace of the visitor calls.
#[derive(Debug, PartialEq)]
struct Trace(String);

impl<'de> Deserialize<'de> for Trace {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Trace::with(Hint { hint: 0, depth: 0 }, d)
    }
}

impl Trace {
    fn with<'de, D: Deserializer<'de>>(hint: Hint, d: D) -> Result<Self, D::Error> {
        serde::de::DeserializeSeed::deserialize(hint, d).map(Trace)
    }
}

/// `Trace` through a given top-level hint.
#[derive(Debug, PartialEq)]
struct TraceVia<const H: u64>(String);

impl<'de, const H: u64> Deserialize<'de> for TraceVia<H> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Trace::with(Hint { hint: H, depth: 0 }, d).map(|t| TraceVia(t.0))
    }
}

struct Recorder(Hint);

macro_rules! record {
    ($($visit:ident $t:ty;)*) => {$(
        fn $visit<E: serde::de::Error>(self, v: $t) -> Result<String, E> {
            Ok(format!("{}({v:?})", &stringify!($visit)[6..]))
        }
    )*};
}

impl<'de> serde::de::Visitor<'de> for Recorder {
    type Value = String;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "anything (hint {})", self.0.hint)
    }

    record! {
        visit_bool bool; visit_i8 i8; visit_i16 i16; visit_i32 i32; visit_i64 i64;
        visit_i128 i128; visit_u8 u8; visit_u16 u16; visit_u32 u32; visit_u64 u64;
        visit_u128 u128; visit_char char;
    }

    fn visit_f32<E: serde::de::Error>(self, v: f32) -> Result<String, E> {
        Ok(format!("f32({v:?}, {:x})", v.to_bits()))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<String, E> {
        Ok(format!("f64({v:?}, {:x})", v.to_bits()))
    }
    // Borrowed or not, a string is a string to an owned type.
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<String, E> {
        Ok(format!("str({v:?})"))
    }
    fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<String, E> {
        Ok(format!("bytes({v:?})"))
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<String, E> {
        Ok("none".into())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        Ok(format!("some({})", Trace::with(self.0.child(1), d)?.0))
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<String, E> {
        Ok("unit".into())
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        Ok(format!("newtype({})", Trace::with(self.0.child(2), d)?.0))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<String, A::Error> {
        let mut out = Vec::new();
        while let Some(t) = a.next_element_seed(self.0.child(10 + out.len() as u64))? {
            out.push(t);
        }
        Ok(format!("seq[{}]", out.join(", ")))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<String, A::Error> {
        let mut out = Vec::new();
        while let Some(k) = a.next_key_seed(self.0.child(3))? {
            let salt = k
                .bytes()
                .fold(5u64, |h, b| h.wrapping_mul(33) ^ u64::from(b));
            let v = a.next_value_seed(self.0.child(salt % 1000))?;
            out.push(format!("{k}: {v}"));
        }
        // serde_dynamo visits a map in a HashMap's order.
        out.sort();
        Ok(format!("map{{{}}}", out.join(", ")))
    }
    fn visit_enum<A: serde::de::EnumAccess<'de>>(self, a: A) -> Result<String, A::Error> {
        use serde::de::VariantAccess;
        let (name, va) = a.variant_seed(self.0.child(4))?;
        let value = if name.contains("Empty") {
            va.unit_variant().map(|()| "unit".to_string())?
        } else if name.contains("Circle") {
            va.newtype_variant_seed(self.0.child(5))?
        } else if name.contains("Rect") {
            va.tuple_variant(2, Recorder(self.0.child(6)))?
        } else {
            va.struct_variant(&["a"], Recorder(self.0.child(7)))?
        };
        Ok(format!("enum({name}, {value})"))
    }
}

#[test]
fn random_items_make_the_same_visitor_calls() {
    let mut g = Gen::new(31337);
    let mut ok = [0usize; HINTS as usize];
    for i in 0..1500 {
        let mut item = g.item();
        // Now and then an item the enum and option hints get into.
        if i % 5 == 0 {
            item.insert(
                g.pick(&["Empty", "Circle", "Rect", "Named"]).to_string(),
                g.value(2),
            );
            item.retain(|k, _| ["Empty", "Circle", "Rect", "Named"].contains(&k.as_str()));
        }
        macro_rules! via {
            ($($h:literal)*) => {$(
                ok[$h] += usize::from(decode_both::<TraceVia<$h>>(
                    &format!("item #{i} through hint {}: {item:?}", $h),
                    &item,
                    Errors::SameKind,
                ));
            )*};
        }
        via!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30);
    }
    // The hints a map answers decode some items (nested values meet hints that refuse
    // them); the others refuse them all, as serde_dynamo does.
    for h in [0, 26, 27, 30] {
        assert!(ok[h as usize] > 100, "hint {h}: {ok:?}");
    }
    assert!(ok[28] > 0, "enum: {ok:?}");
}

#[test]
fn random_values_make_the_same_visitor_calls() {
    // Each value as the one attribute of an item, so that it meets every hint itself.
    let mut g = Gen::new(4242);
    let mut ok = [0usize; HINTS as usize];
    for i in 0..2000 {
        let v = g.value(3);
        let item = Item::new().with("v", v.clone());
        macro_rules! via {
            ($($h:literal)*) => {$(
                ok[$h] += usize::from(decode_both::<Single<TraceVia<$h>>>(
                    &format!("value #{i} through hint {}: {v:?}", $h),
                    &item,
                    Errors::SameKind,
                ));
            )*};
        }
        via!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30);
    }
    // Every hint but the 128-bit integers' decodes some values.
    for h in 0..HINTS {
        assert_eq!(
            ok[h as usize] > 0,
            ![6, 11].contains(&h),
            "hint {h}: {ok:?}"
        );
    }
}

// ---- serializer calls, at random -------------------------------------------------------------

/// A value that makes any sequence of serializer calls: every serde shape, serde_dynamo's
/// set wrappers around anything, keys of every shape, fields written twice, errors.
#[derive(Debug)]
enum Calls {
    Bool(bool),
    I8(i8),
    I16(i16),
    I32(i32),
    I64(i64),
    I128(i128),
    U8(u8),
    U16(u16),
    U32(u32),
    U64(u64),
    U128(u128),
    F32(f32),
    F64(f64),
    Char(char),
    Str(String),
    Bytes(Vec<u8>),
    None,
    Some(Box<Calls>),
    Unit,
    UnitStruct,
    UnitVariant(&'static str),
    Newtype(Box<Calls>),
    NewtypeVariant(&'static str, Box<Calls>),
    Seq(Vec<Calls>),
    Tuple(Vec<Calls>),
    TupleStruct(Vec<Calls>),
    TupleVariant(&'static str, Vec<Calls>),
    Map(Vec<(Calls, Calls)>),
    Struct(Vec<(&'static str, Calls)>),
    StructVariant(&'static str, Vec<(&'static str, Calls)>),
    StringSet(Box<Calls>),
    NumberSet(Box<Calls>),
    BinarySet(Box<Calls>),
    Fail,
}

impl Serialize for Calls {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::*;
        match self {
            Calls::Bool(v) => s.serialize_bool(*v),
            Calls::I8(v) => s.serialize_i8(*v),
            Calls::I16(v) => s.serialize_i16(*v),
            Calls::I32(v) => s.serialize_i32(*v),
            Calls::I64(v) => s.serialize_i64(*v),
            Calls::I128(v) => s.serialize_i128(*v),
            Calls::U8(v) => s.serialize_u8(*v),
            Calls::U16(v) => s.serialize_u16(*v),
            Calls::U32(v) => s.serialize_u32(*v),
            Calls::U64(v) => s.serialize_u64(*v),
            Calls::U128(v) => s.serialize_u128(*v),
            Calls::F32(v) => s.serialize_f32(*v),
            Calls::F64(v) => s.serialize_f64(*v),
            Calls::Char(v) => s.serialize_char(*v),
            Calls::Str(v) => s.serialize_str(v),
            Calls::Bytes(v) => s.serialize_bytes(v),
            Calls::None => s.serialize_none(),
            Calls::Some(v) => s.serialize_some(v),
            Calls::Unit => s.serialize_unit(),
            Calls::UnitStruct => s.serialize_unit_struct("U"),
            Calls::UnitVariant(name) => s.serialize_unit_variant("E", 0, name),
            Calls::Newtype(v) => s.serialize_newtype_struct("N", v),
            Calls::NewtypeVariant(name, v) => s.serialize_newtype_variant("E", 1, name, v),
            Calls::Seq(vs) => {
                let mut seq = s.serialize_seq(Some(vs.len()))?;
                vs.iter().try_for_each(|v| seq.serialize_element(v))?;
                seq.end()
            }
            Calls::Tuple(vs) => {
                let mut t = s.serialize_tuple(vs.len())?;
                vs.iter().try_for_each(|v| t.serialize_element(v))?;
                t.end()
            }
            Calls::TupleStruct(vs) => {
                let mut t = s.serialize_tuple_struct("T", vs.len())?;
                vs.iter().try_for_each(|v| t.serialize_field(v))?;
                t.end()
            }
            Calls::TupleVariant(name, vs) => {
                let mut t = s.serialize_tuple_variant("E", 2, name, vs.len())?;
                vs.iter().try_for_each(|v| t.serialize_field(v))?;
                t.end()
            }
            Calls::Map(entries) => {
                let mut m = s.serialize_map(None)?;
                for (i, (k, v)) in entries.iter().enumerate() {
                    // Both ways of writing an entry.
                    if i % 2 == 0 {
                        m.serialize_entry(k, v)?;
                    } else {
                        m.serialize_key(k)?;
                        m.serialize_value(v)?;
                    }
                }
                m.end()
            }
            Calls::Struct(fields) => {
                let mut st = s.serialize_struct("S", fields.len())?;
                fields
                    .iter()
                    .try_for_each(|(k, v)| st.serialize_field(k, v))?;
                st.end()
            }
            Calls::StructVariant(name, fields) => {
                let mut st = s.serialize_struct_variant("E", 3, name, fields.len())?;
                fields
                    .iter()
                    .try_for_each(|(k, v)| st.serialize_field(k, v))?;
                st.end()
            }
            Calls::StringSet(v) => serde_dynamo::string_set::StringSet(&**v).serialize(s),
            Calls::NumberSet(v) => serde_dynamo::number_set::NumberSet(&**v).serialize(s),
            Calls::BinarySet(v) => serde_dynamo::binary_set::BinarySet(&**v).serialize(s),
            Calls::Fail => Err(S::Error::custom("boom")),
        }
    }
}

impl Gen {
    fn name(&mut self) -> &'static str {
        const NAMES: [&str; 6] = ["a", "b", "c", "", "Empty", "😀"];
        NAMES[self.below(6) as usize]
    }

    fn calls(&mut self, depth: u32) -> Calls {
        let leaf = depth == 0;
        match self.below(if leaf { 22 } else { 34 }) {
            0 => Calls::Bool(self.bool()),
            1 => Calls::I8(self.next() as i8),
            2 => Calls::I16(self.next() as i16),
            3 => Calls::I32(self.next() as i32),
            4 => Calls::I64(self.int64()),
            5 => Calls::U8(self.next() as u8),
            6 => Calls::U16(self.next() as u16),
            7 => Calls::U32(self.next() as u32),
            8 => Calls::U64(self.uint64()),
            9 => Calls::F32(self.float() as f32),
            10 | 11 => Calls::F64(self.float()),
            12 => Calls::Char(self.char()),
            13 => Calls::Str(self.string()),
            14 => Calls::Bytes(self.bytes()),
            15 => Calls::None,
            16 => Calls::Unit,
            17 => Calls::UnitStruct,
            18 => Calls::UnitVariant(self.name()),
            // Rare: the 128-bit integers and a failing value abort the whole value.
            19 if self.below(8) == 0 => Calls::I128(self.next() as i128),
            19 => Calls::I64(self.next() as i64),
            20 if self.below(8) == 0 => Calls::U128(u128::from(self.next())),
            20 => Calls::Str(self.string()),
            21 if self.below(8) == 0 => Calls::Fail,
            21 => Calls::U64(self.next()),
            22 => Calls::Some(Box::new(self.calls(depth - 1))),
            23 => Calls::Newtype(Box::new(self.calls(depth - 1))),
            24 => Calls::NewtypeVariant(self.name(), Box::new(self.calls(depth - 1))),
            25 => Calls::Seq(self.list(depth - 1)),
            26 => Calls::Tuple(self.list(depth - 1)),
            27 => Calls::TupleStruct(self.list(depth - 1)),
            28 => Calls::TupleVariant(self.name(), self.list(depth - 1)),
            29 => Calls::Map(
                (0..self.below(4))
                    .map(|_| (self.key_calls(2), self.calls(depth - 1)))
                    .collect(),
            ),
            30 => Calls::Struct(self.fields(depth - 1)),
            31 => Calls::StructVariant(self.name(), self.fields(depth - 1)),
            _ => {
                // A set wrapper, mostly around a list of the right members.
                let members: Vec<Calls> = (0..self.below(4))
                    .map(|_| match self.below(8) {
                        0 => self.calls(0),
                        1..=2 => Calls::Str(self.pick(&["x", "y"]).to_string()),
                        3..=5 => Calls::F64(if self.bool() { self.float() } else { 1.0 }),
                        _ => Calls::Bytes(vec![self.below(2) as u8]),
                    })
                    .collect();
                let inner = Box::new(if self.below(6) == 0 {
                    self.calls(depth - 1)
                } else {
                    Calls::Seq(members)
                });
                match self.below(3) {
                    0 => Calls::StringSet(inner),
                    1 => Calls::NumberSet(inner),
                    _ => Calls::BinarySet(inner),
                }
            }
        }
    }

    fn list(&mut self, depth: u32) -> Vec<Calls> {
        (0..self.below(4)).map(|_| self.calls(depth)).collect()
    }

    /// Fields from a few names, so that some are written twice.
    fn fields(&mut self, depth: u32) -> Vec<(&'static str, Calls)> {
        (0..self.below(5))
            .map(|_| (self.name(), self.calls(depth)))
            .collect()
    }

    /// A map key of any shape but those serde_dynamo panics on (a sequence, a map, bytes).
    fn key_calls(&mut self, depth: u32) -> Calls {
        match self.below(if depth == 0 { 14 } else { 20 }) {
            0 => Calls::Str(self.name().to_string()),
            1 => Calls::I64(self.below(3) as i64),
            2 => Calls::U8(self.below(3) as u8),
            3 => Calls::I128(self.below(3) as i128 - 1),
            4 => Calls::U128(u128::from(self.below(3))),
            5 => Calls::Bool(self.bool()),
            6 => Calls::Char('a'),
            7 => Calls::UnitVariant(self.name()),
            8 => Calls::F64(1.0),
            9 => Calls::F32(1.0),
            10 => Calls::None,
            11 => Calls::Unit,
            12 => Calls::UnitStruct,
            13 => Calls::Fail,
            14 => Calls::Newtype(Box::new(self.key_calls(depth - 1))),
            15 => Calls::Some(Box::new(self.calls(depth - 1))),
            16 => Calls::Tuple(self.list(depth - 1)),
            17 => Calls::Struct(self.fields(depth - 1)),
            18 => Calls::NewtypeVariant(self.name(), Box::new(self.calls(depth - 1))),
            _ => Calls::StructVariant(self.name(), self.fields(depth - 1)),
        }
    }
}

#[test]
fn random_serializer_calls_encode_the_same() {
    let mut g = Gen::new(8080);
    let mut outcomes: BTreeMap<&str, usize> = BTreeMap::new();
    for i in 0..20_000 {
        let depth = 1 + g.below(5) as u32;
        let calls = g.calls(depth);
        let what = format!("calls #{i}: {calls:?}");
        let old = old_value(&calls);
        let outcome = old.as_ref().map_or_else(kind, |_| "ok");
        *outcomes.entry(outcome).or_default() += 1;
        agree(&what, old, Value::from_serialize(&calls), Errors::SameKind);
        let old = old_item(&calls);
        let outcome = old.as_ref().map_or_else(kind, |_| "item");
        *outcomes.entry(outcome).or_default() += 1;
        agree(&what, old, Item::from_serialize(&calls), Errors::SameKind);
    }
    // Values encode, items encode, and both kinds of refusal happen.
    for outcome in ["ok", "item", "Encode", "InvalidRequest"] {
        assert!(outcomes.get(outcome) > Some(&100), "{outcomes:?}");
    }
}

// ---- stored text the direct reader leaves, or takes damaged -----------------------------------

/// Text not in the canonical form is left to the item (`None`), and `to_item` reads it as
/// core does, or refuses it with core's message.
#[test]
fn text_not_canonical_is_left_to_the_item() {
    let deep = (0..40).fold("{\"S\":\"x\"}".to_string(), |inner, _| {
        format!("{{\"M\":{{\"a\":{inner}}}}}")
    });
    let deep = format!("{{\"a\":{deep}}}");
    let deep_list = (0..40).fold("{\"S\":\"x\"}".to_string(), |inner, _| {
        format!("{{\"L\":[{inner}]}}")
    });
    let deep_list = format!("{{\"a\":{deep_list}}}");
    for text in [
        " {}",
        "{} ",
        "{ }",
        "{\"a\": {\"S\":\"x\"}}",
        "{\"a\":{\"S\": \"x\"}}",
        "{\"a\":{\"S\":\"x\\\"y\"}}",
        "{\"a\":{\"S\":\"\\u0041\"}}",
        "{\"a\\u0041\":{\"S\":\"x\"}}",
        "{\"a\":{\"S\":\"\u{1}\"}}",
        "{\"b\":{\"S\":\"x\"},\"a\":{\"S\":\"y\"}}",
        "{\"a\":{\"S\":\"x\"},\"a\":{\"S\":\"y\"}}",
        "{\"a\":{\"M\":{\"d\":{\"NULL\":true},\"c\":{\"NULL\":true}}}}",
        "{\"a\":{\"N\":\"1e999\"}}",
        "{\"a\":{\"N\":\"x\"}}",
        "{\"a\":{\"N\":1}}",
        "{\"a\":{\"NULL\":false}}",
        "{\"a\":{\"BOOL\":1}}",
        "{\"a\":{\"SS\":[]}}",
        "{\"a\":{\"NS\":[]}}",
        "{\"a\":{\"SS\":[\"x\",\"x\"]}}",
        "{\"a\":{\"SS\":[\"y\",\"x\"]}}",
        "{\"a\":{\"NS\":[\"1\",\"1.0\"]}}",
        "{\"a\":{\"NS\":[\"2\",\"10\",\"3\"]}}",
        "{\"a\":{\"S\":\"x\",\"N\":\"1\"}}",
        "{\"a\":{}}",
        "{\"a\":{\"X\":\"1\"}}",
        "{\"a\":{\"B\":\"AQI=\"}}",
        "{\"a\":{\"BS\":[\"AQI=\"]}}",
        "{\"a\":{\"L\":[{\"B\":\"AQI=\"}]}}",
        "{\"a\":{\"S\":\"x\"}}x",
        "{\"a\":{\"S\":\"x\"}",
        "{\"a\":{\"S\":\"x\"},}",
        "{\"a\":{\"L\":[{\"NULL\":true},]}}",
        "[1]",
        "\"x\"",
        "",
        deep.as_str(),
        deep_list.as_str(),
    ] {
        let t = ItemText::new(text);
        assert!(t.decode::<Tree>().is_none(), "{text}");
        assert!(t.decode::<serde::de::IgnoredAny>().is_none(), "{text}");
        assert_eq!(t.size(), None, "{text}");
        assert_eq!(t.attribute("a"), None, "{text}");
        assert_eq!(t.canonical_item(), None, "{text}");
        assert_eq!(t.to_item(), core_reading(text), "{text}");
    }
    // The deepest canonical nesting is taken.
    let deep = (0..30).fold("{\"S\":\"x\"}".to_string(), |inner, _| {
        format!("{{\"M\":{{\"a\":{inner}}}}}")
    });
    let deep = format!("{{\"a\":{{\"L\":[{deep}]}}}}");
    let t = ItemText::new(&deep);
    let item = core_reading(&deep).expect("deep");
    assert_eq!(t.canonical_item(), Some(item.clone()));
    same_decoding(
        "deep",
        item.deserialize_into::<Tree>(),
        t.decode().expect("taken"),
    );
}

/// Whatever the direct reader takes of damaged text is an item, decoded as the item is: every
/// text one byte away from a canonical one (replaced, removed or doubled).
#[test]
fn damaged_text_is_decoded_as_its_item_or_left() {
    let item = Item::new()
        .with("a", "xy")
        .with("b", n("12.5"))
        .with("c", Value::L(vec![Value::from(true), Value::Null, n("-3")]))
        .with(
            "d",
            Value::M(BTreeMap::from([("e".to_string(), Value::from("f"))])),
        )
        .with("g", Value::Ss(["h", "i"].map(String::from).into()))
        .with("j", Value::Ns([Number::from(1), Number::from(20)].into()))
        .with("k", Value::from(7u64));
    let text = item.to_json().to_string().into_bytes();
    let alphabet = b"{}[]:,\"\\ 0123456789.eE+-abcdefghijkSNLMBOtrufalsx\x01";
    let (mut taken, mut left) = (0, 0);
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
            let text = ItemText::new(&t);
            let reference = core_reading(&t);
            assert_eq!(text.to_item(), reference, "{t}");
            let Some(direct) = text.decode::<Tree>() else {
                left += 1;
                assert_eq!(text.size(), None, "{t}");
                continue;
            };
            taken += 1;
            let item = reference.expect("taken, so an item");
            same_decoding(&t, item.deserialize_into::<Tree>(), direct);
            same_decoding(
                &t,
                item.deserialize_into::<Probe>(),
                text.decode().expect("taken"),
            );
            assert_eq!(text.size(), Some(item.size()), "{t}");
            assert_eq!(text.attribute("k"), Some(item.get("k").cloned()), "{t}");
        }
    }
    assert!(taken > 50 && left > 1000, "taken {taken}, left {left}");
}

/// Random items: many texts are taken directly and some left (binary, escapes, empty sets).
#[test]
fn random_items_are_mostly_read_from_their_text() {
    let mut g = Gen::new(99);
    let (mut taken, mut left) = (0, 0);
    for _ in 0..2000 {
        let item = g.item();
        let text = item.to_json().to_string();
        if ItemText::new(&text).decode::<Tree>().is_some() {
            taken += 1;
        } else {
            left += 1;
        }
        text_agrees::<Tree>("random", &item);
    }
    assert!(taken > 200 && left > 200, "taken {taken}, left {left}");
}
