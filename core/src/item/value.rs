//! The item model: DynamoDB's attribute values and items.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::item::Number;

const BASE64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// One of DynamoDB's ten attribute types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ValueType {
    /// String.
    S,
    /// Number.
    N,
    /// Binary.
    B,
    /// Boolean.
    Bool,
    /// Null.
    Null,
    /// List.
    L,
    /// Map.
    M,
    /// String set.
    Ss,
    /// Number set.
    Ns,
    /// Binary set.
    Bs,
}

impl ValueType {
    /// DynamoDB's name of the type (`S`, `N`, `BOOL`, `SS`, …).
    pub fn name(self) -> &'static str {
        match self {
            ValueType::S => "S",
            ValueType::N => "N",
            ValueType::B => "B",
            ValueType::Bool => "BOOL",
            ValueType::Null => "NULL",
            ValueType::L => "L",
            ValueType::M => "M",
            ValueType::Ss => "SS",
            ValueType::Ns => "NS",
            ValueType::Bs => "BS",
        }
    }

    /// The type named by DynamoDB's name, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "S" => ValueType::S,
            "N" => ValueType::N,
            "B" => ValueType::B,
            "BOOL" => ValueType::Bool,
            "NULL" => ValueType::Null,
            "L" => ValueType::L,
            "M" => ValueType::M,
            "SS" => ValueType::Ss,
            "NS" => ValueType::Ns,
            "BS" => ValueType::Bs,
            _ => return None,
        })
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An attribute value.
///
/// Sets are held as ordered sets (strings and binaries by bytes, numbers by value), so two
/// sets with the same members are equal whatever order they were written in.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Value {
    /// A string (`S`).
    S(String),
    /// A number (`N`), exact.
    N(Number),
    /// Binary data (`B`).
    B(Vec<u8>),
    /// A boolean (`BOOL`).
    Bool(bool),
    /// Null (`NULL`).
    Null,
    /// A list (`L`).
    L(Vec<Value>),
    /// A map (`M`).
    M(BTreeMap<String, Value>),
    /// A string set (`SS`).
    Ss(BTreeSet<String>),
    /// A number set (`NS`).
    Ns(BTreeSet<Number>),
    /// A binary set (`BS`).
    Bs(BTreeSet<Vec<u8>>),
}

impl Value {
    /// The value's type.
    pub fn value_type(&self) -> ValueType {
        match self {
            Value::S(_) => ValueType::S,
            Value::N(_) => ValueType::N,
            Value::B(_) => ValueType::B,
            Value::Bool(_) => ValueType::Bool,
            Value::Null => ValueType::Null,
            Value::L(_) => ValueType::L,
            Value::M(_) => ValueType::M,
            Value::Ss(_) => ValueType::Ss,
            Value::Ns(_) => ValueType::Ns,
            Value::Bs(_) => ValueType::Bs,
        }
    }

    /// A number value from DynamoDB number text.
    pub fn number(text: &str) -> Result<Value, crate::item::NumberError> {
        Number::parse(text).map(Value::N)
    }

    /// The string, if this is an `S`.
    pub fn as_s(&self) -> Option<&str> {
        match self {
            Value::S(s) => Some(s),
            _ => None,
        }
    }

    /// The number, if this is an `N`.
    pub fn as_n(&self) -> Option<&Number> {
        match self {
            Value::N(n) => Some(n),
            _ => None,
        }
    }

    /// Size in bytes under DynamoDB's item-size rules.
    pub fn size(&self) -> usize {
        match self {
            Value::S(s) => s.len(),
            Value::N(n) => n.storage_size(),
            Value::B(b) => b.len(),
            Value::Bool(_) | Value::Null => 1,
            Value::L(l) => 3 + l.iter().map(|v| 1 + v.size()).sum::<usize>(),
            Value::M(m) => 3 + m.iter().map(|(k, v)| 1 + k.len() + v.size()).sum::<usize>(),
            Value::Ss(s) => s.iter().map(String::len).sum(),
            Value::Ns(s) => s.iter().map(Number::storage_size).sum(),
            Value::Bs(s) => s.iter().map(Vec::len).sum(),
        }
    }

    /// The value in DynamoDB's JSON form (`{"S": "x"}`, `{"N": "1"}`, `{"B": "<base64>"}`…).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            Value::S(s) => json!({ "S": s }),
            Value::N(n) => json!({ "N": n.to_string() }),
            Value::B(b) => json!({ "B": BASE64.encode(b) }),
            Value::Bool(b) => json!({ "BOOL": b }),
            Value::Null => json!({ "NULL": true }),
            Value::L(l) => json!({ "L": l.iter().map(Value::to_json).collect::<Vec<_>>() }),
            Value::M(m) => json!({ "M": map_to_json(m) }),
            Value::Ss(s) => json!({ "SS": s }),
            Value::Ns(s) => json!({ "NS": s.iter().map(Number::to_string).collect::<Vec<_>>() }),
            Value::Bs(s) => json!({ "BS": s.iter().map(|b| BASE64.encode(b)).collect::<Vec<_>>() }),
        }
    }

    /// Reads a value in DynamoDB's JSON form, with DynamoDB's checks (one type tag, valid
    /// numbers and base64, no empty or duplicate sets, `NULL` only `true`).
    pub fn from_json(json: &serde_json::Value) -> Result<Value, String> {
        let obj = json
            .as_object()
            .ok_or_else(|| "Supplied AttributeValue is not an object".to_string())?;
        if obj.len() > 1 {
            return Err("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes".into());
        }
        let empty = || {
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
                .to_string()
        };
        let (tag, inner) = obj.iter().next().ok_or_else(empty)?;
        let string = |v: &serde_json::Value| -> Result<String, String> {
            v.as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("{tag} value must be a string"))
        };
        let list = |v: &serde_json::Value| -> Result<Vec<serde_json::Value>, String> {
            v.as_array()
                .cloned()
                .ok_or_else(|| format!("{tag} value must be a list"))
        };
        let number = |s: &str| Number::parse(s).map_err(|e| e.to_string());
        let binary = |s: &str| BASE64.decode(s).map_err(|e| format!("invalid base64: {e}"));
        Ok(match tag.as_str() {
            "S" => Value::S(string(inner)?),
            "N" => Value::N(number(&string(inner)?)?),
            "B" => Value::B(binary(&string(inner)?)?),
            "BOOL" => Value::Bool(
                inner
                    .as_bool()
                    .ok_or_else(|| "BOOL value must be a boolean".to_string())?,
            ),
            "NULL" => {
                if inner.as_bool() != Some(true) {
                    return Err("One or more parameter values were invalid: Null attribute value types must have the value of true".into());
                }
                Value::Null
            }
            "L" => Value::L(
                list(inner)?
                    .iter()
                    .map(Value::from_json)
                    .collect::<Result<_, _>>()?,
            ),
            "M" => Value::M(map_from_json(inner)?),
            "SS" => Value::Ss(set_from(list(inner)?.iter().map(string), |_| {
                // DynamoDB Local prints the input list as Java does: `[a, a]`.
                let input: Vec<String> = list(inner)
                    .map(|l| l.iter().filter_map(|v| string(v).ok()).collect())
                    .unwrap_or_default();
                format!(
                    "One or more parameter values were invalid: Input collection [{}] contains duplicates",
                    input.join(", ")
                )
            })?),
            "NS" => Value::Ns(set_from(
                list(inner)?
                    .iter()
                    .map(|v| string(v).and_then(|s| number(&s))),
                |_| "Input collection contains duplicates".to_string(),
            )?),
            "BS" => Value::Bs(set_from(
                list(inner)?
                    .iter()
                    .map(|v| string(v).and_then(|s| binary(&s))),
                |_| {
                    "One or more parameter values were invalid: Input collection of type BS contains duplicates.".to_string()
                },
            )?),
            _ => return Err(empty()),
        })
    }
}

fn set_from<T: Ord + fmt::Debug>(
    values: impl Iterator<Item = Result<T, String>>,
    duplicate: impl Fn(&[T]) -> String,
) -> Result<BTreeSet<T>, String> {
    let values: Vec<T> = values.collect::<Result<_, _>>()?;
    let count = values.len();
    let set: BTreeSet<T> = values.into_iter().collect();
    if set.len() != count {
        let all: Vec<T> = set.into_iter().collect();
        return Err(duplicate(&all));
    }
    Ok(set)
}

fn map_to_json(m: &BTreeMap<String, Value>) -> serde_json::Value {
    serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
}

fn map_from_json(json: &serde_json::Value) -> Result<BTreeMap<String, Value>, String> {
    json.as_object()
        .ok_or_else(|| "M value must be an object".to_string())?
        .iter()
        .map(|(k, v)| Ok((k.clone(), Value::from_json(v)?)))
        .collect()
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_json())
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = serde_json::Value::deserialize(deserializer)?;
        Value::from_json(&json).map_err(serde::de::Error::custom)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::S(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::S(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<Number> for Value {
    fn from(v: Number) -> Self {
        Value::N(v)
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::B(v)
    }
}
impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Self {
        Value::L(v)
    }
}
macro_rules! value_from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Self {
                Value::N(Number::from(v))
            }
        }
    )*};
}
value_from_int!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

/// An item: attribute names to values.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Item(BTreeMap<String, Value>);

impl Item {
    /// An empty item.
    pub fn new() -> Self {
        Item::default()
    }

    /// Adds an attribute, builder style.
    pub fn with(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.0.insert(name.into(), value.into());
        self
    }

    /// Size in bytes under DynamoDB's rules: the sum over attributes of name bytes + value size.
    pub fn size(&self) -> usize {
        self.0.iter().map(|(k, v)| k.len() + v.size()).sum()
    }

    /// The item in DynamoDB's JSON form.
    pub fn to_json(&self) -> serde_json::Value {
        map_to_json(&self.0)
    }

    /// Reads an item in DynamoDB's JSON form.
    pub fn from_json(json: &serde_json::Value) -> Result<Item, String> {
        map_from_json(json).map(Item)
    }

    /// The underlying map.
    pub fn into_inner(self) -> BTreeMap<String, Value> {
        self.0
    }
}

impl std::ops::Deref for Item {
    type Target = BTreeMap<String, Value>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Item {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl fmt::Debug for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_json())
    }
}

impl From<BTreeMap<String, Value>> for Item {
    fn from(m: BTreeMap<String, Value>) -> Self {
        Item(m)
    }
}

impl<K: Into<String>, V: Into<Value>> FromIterator<(K, V)> for Item {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Item(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

impl<K: Into<String>, V: Into<Value>, const N: usize> From<[(K, V); N]> for Item {
    fn from(pairs: [(K, V); N]) -> Self {
        pairs.into_iter().collect()
    }
}

impl IntoIterator for Item {
    type Item = (String, Value);
    type IntoIter = std::collections::btree_map::IntoIter<String, Value>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl Serialize for Item {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Item {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = serde_json::Value::deserialize(deserializer)?;
        Item::from_json(&json).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_dynamodb() {
        let m = |v: Value| v.size();
        assert_eq!(m(Value::M(BTreeMap::new())), 3);
        assert_eq!(m(Value::M([("k".to_string(), Value::from("v"))].into())), 6);
        assert_eq!(m(Value::L(vec![])), 3);
        assert_eq!(m(Value::L(vec![Value::from("a")])), 5);
        assert_eq!(m(Value::L(vec![Value::L(vec![])])), 7);
        assert_eq!(m(Value::from("é😀")), 6);
        let item = Item::new().with("pk", "p").with("sk", "s");
        assert_eq!(item.size(), 6);
    }

    #[test]
    fn json_round_trip_and_checks() {
        let json = serde_json::json!({
            "s": {"S": "x"}, "n": {"N": "1.50"}, "b": {"B": "AAE="}, "l": {"L": [{"NULL": true}]},
            "ss": {"SS": ["b", "a"]}, "ns": {"NS": ["10", "1.5"]}
        });
        let item = Item::from_json(&json).unwrap();
        assert_eq!(item["n"], Value::number("1.5").unwrap());
        assert_eq!(item["b"], Value::B(vec![0, 1]));
        assert_eq!(Item::from_json(&item.to_json()).unwrap(), item);
        assert!(Value::from_json(&serde_json::json!({"NS": ["1", "1.0"]})).is_err());
        assert!(Value::from_json(&serde_json::json!({"NULL": false})).is_err());
        assert!(Value::from_json(&serde_json::json!({"S": "a", "N": "1"})).is_err());
        assert!(Value::from_json(&serde_json::json!({})).is_err());
    }
}
