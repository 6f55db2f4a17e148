//! A serde `Serializer` that builds a [`Value`] directly.
//!
//! It produces what `serde_dynamo::to_attribute_value` followed by the conversion to
//! [`Value`] produced, shape for shape and error for error (`core/tests/serde_equivalence.rs`
//! compares the two), without the intermediate tree: integers go straight into a [`Number`],
//! struct fields into the item's map.
//!
//! The one ordering rule it keeps: serde_dynamo finished serialising before the conversion
//! looked at a number or a set's members, so a serde error (`Error::Encode`) wins over a
//! number that cannot be stored or a set with duplicates (`Error::InvalidRequest`), and a
//! map entry overwritten by a later one with the same key (`#[serde(flatten)]` can write
//! one twice) was never looked at. Here the second kind is set aside in `pending` while
//! serialisation goes on, dropped if its entry is overwritten, and reported only if
//! serialisation succeeded.

use std::collections::{BTreeMap, BTreeSet};

use serde::ser::{self, Serialize};

use crate::item::{Item, Number, Value};

type Error = serde_dynamo::Error;

/// serde_dynamo's error with serde_dynamo's message.
fn error(message: &str) -> Error {
    <Error as ser::Error>::custom(message)
}

const NOT_MAPLIKE: &str = "Not a map-like object";
const NOT_SETLIKE: &str = "Not a set-like sequence";
const KEY_MUST_BE_A_STRING: &str = "Key must be a string";

// The names serde_dynamo's `string_set`, `number_set` and `binary_set` give their newtype.
const STRING_SET: &str = "\u{037E}STRINGSET\u{037E}";
const NUMBER_SET: &str = "\u{037E}NUMBERSET\u{037E}";
const BINARY_SET: &str = "\u{037E}BYTESSET\u{037E}";

/// The value of anything serde can serialise.
pub(crate) fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value, crate::Error> {
    let mut pending = Vec::new();
    let v = value
        .serialize(ValueSerializer {
            pending: &mut pending,
        })
        .map_err(crate::Error::encode)?;
    match first(pending) {
        Some(e) => Err(e),
        None => Ok(v),
    }
}

/// The item of anything serde serialises as a map or a struct.
pub(crate) fn to_item<T: Serialize + ?Sized>(value: &T) -> Result<Item, crate::Error> {
    let mut pending = Vec::new();
    let v = value
        .serialize(ValueSerializer {
            pending: &mut pending,
        })
        .map_err(crate::Error::encode)?;
    let Value::M(map) = v else {
        return Err(crate::Error::encode(error(NOT_MAPLIKE)));
    };
    match first(pending) {
        Some(e) => Err(e),
        None => Ok(Item::from(map)),
    }
}

/// The errors the conversion would have found after serialisation, in the order written;
/// `None` for one in a map entry that was overwritten.
type Pending = Vec<Option<crate::Error>>;

fn defer(pending: &mut Pending, e: crate::Error) {
    pending.push(Some(e));
}

fn first(pending: Pending) -> Option<crate::Error> {
    pending.into_iter().flatten().next()
}

/// A number from the text serde_dynamo writes for a float; a number DynamoDB cannot hold
/// (NaN, infinite, out of range) is deferred, zero standing in for it.
fn float_number(pending: &mut Pending, text: &str) -> Value {
    match crate::item::dynamo::number_from_text(text) {
        Ok(n) => Value::N(n),
        Err(e) => {
            defer(pending, e);
            Value::N(Number::zero())
        }
    }
}

/// A float's `Display` text, on the stack when it fits (it does for all but extreme
/// magnitudes).
fn with_display<R>(v: impl std::fmt::Display, f: impl FnOnce(&str) -> R) -> R {
    use std::fmt::Write as _;
    struct Stack {
        buf: [u8; 64],
        len: usize,
    }
    impl std::fmt::Write for Stack {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            let end = self.len + s.len();
            if end > self.buf.len() {
                return Err(std::fmt::Error);
            }
            self.buf[self.len..end].copy_from_slice(s.as_bytes());
            self.len = end;
            Ok(())
        }
    }
    let mut stack = Stack {
        buf: [0; 64],
        len: 0,
    };
    if write!(stack, "{v}").is_ok() {
        if let Ok(text) = std::str::from_utf8(&stack.buf[..stack.len]) {
            return f(text);
        }
    }
    f(&v.to_string())
}

fn dedup<T: Ord>(pending: &mut Pending, values: impl Iterator<Item = T>) -> BTreeSet<T> {
    let mut set = BTreeSet::new();
    let mut duplicate = false;
    for v in values {
        duplicate |= !set.insert(v);
    }
    if duplicate {
        defer(
            pending,
            crate::Error::InvalidRequest {
                message: "Input collection contains duplicates".into(),
            },
        );
    }
    set
}

/// serde_dynamo's `convert_to_set` for its three set wrappers, then the conversion's
/// duplicate check.
fn to_set(pending: &mut Pending, name: &'static str, v: Value) -> Result<Value, Error> {
    let Value::L(list) = v else {
        return Err(error(NOT_SETLIKE));
    };
    if name == STRING_SET {
        let strings = list
            .into_iter()
            .map(|v| match v {
                Value::S(s) => Ok(s),
                _ => Err(error("String set element does not serialize to string")),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Value::Ss(dedup(pending, strings.into_iter())))
    } else if name == NUMBER_SET {
        let numbers = list
            .into_iter()
            .map(|v| match v {
                Value::N(n) => Ok(n),
                _ => Err(error("Number set element does not serialize to number")),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Value::Ns(dedup(pending, numbers.into_iter())))
    } else {
        let binaries = list
            .into_iter()
            .map(|v| match v {
                Value::B(b) => Ok(b),
                _ => Err(error("Binary set element does not serialize to binary")),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Value::Bs(dedup(pending, binaries.into_iter())))
    }
}

fn is_set_name(name: &str) -> bool {
    // Only a name starting with U+037E can be one of them: one byte compared for all others.
    name.starts_with('\u{037E}') && [STRING_SET, NUMBER_SET, BINARY_SET].contains(&name)
}

/// Serialises one value; `pending` collects the conversion's errors.
struct ValueSerializer<'p> {
    pending: &'p mut Pending,
}

impl<'p> ValueSerializer<'p> {
    fn child(&mut self) -> ValueSerializer<'_> {
        ValueSerializer {
            pending: self.pending,
        }
    }
}

impl<'p> ser::Serializer for ValueSerializer<'p> {
    type Ok = Value;
    type Error = Error;

    type SerializeSeq = SeqSerializer<'p>;
    type SerializeTuple = SeqSerializer<'p>;
    type SerializeTupleStruct = SeqSerializer<'p>;
    type SerializeTupleVariant = VariantSerializer<SeqSerializer<'p>>;
    type SerializeMap = MapSerializer<'p>;
    type SerializeStruct = MapSerializer<'p>;
    type SerializeStructVariant = VariantSerializer<MapSerializer<'p>>;

    fn serialize_bool(self, v: bool) -> Result<Value, Error> {
        Ok(Value::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Value, Error> {
        Ok(Value::N(Number::from(v)))
    }
    fn serialize_i16(self, v: i16) -> Result<Value, Error> {
        Ok(Value::N(Number::from(v)))
    }
    fn serialize_i32(self, v: i32) -> Result<Value, Error> {
        Ok(Value::N(Number::from(v)))
    }
    fn serialize_i64(self, v: i64) -> Result<Value, Error> {
        Ok(Value::N(Number::from(v)))
    }
    fn serialize_u8(self, v: u8) -> Result<Value, Error> {
        Ok(Value::N(Number::from(v)))
    }
    fn serialize_u16(self, v: u16) -> Result<Value, Error> {
        Ok(Value::N(Number::from(v)))
    }
    fn serialize_u32(self, v: u32) -> Result<Value, Error> {
        Ok(Value::N(Number::from(v)))
    }
    fn serialize_u64(self, v: u64) -> Result<Value, Error> {
        Ok(Value::N(Number::from(v)))
    }
    // i128 and u128: serde's default, "i128 is not supported", as serde_dynamo.
    fn serialize_f32(self, v: f32) -> Result<Value, Error> {
        Ok(with_display(v, |t| float_number(self.pending, t)))
    }
    fn serialize_f64(self, v: f64) -> Result<Value, Error> {
        Ok(with_display(v, |t| float_number(self.pending, t)))
    }
    fn serialize_char(self, v: char) -> Result<Value, Error> {
        Ok(Value::S(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Value, Error> {
        Ok(Value::S(v.to_string()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value, Error> {
        Ok(Value::B(v.to_vec()))
    }
    fn serialize_none(self) -> Result<Value, Error> {
        Ok(Value::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value, Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value, Error> {
        Ok(Value::Null)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value, Error> {
        Ok(Value::Null)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Value, Error> {
        Ok(Value::S(variant.to_string()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        mut self,
        name: &'static str,
        value: &T,
    ) -> Result<Value, Error> {
        let v = value.serialize(self.child())?;
        if is_set_name(name) {
            to_set(self.pending, name, v)
        } else {
            Ok(v)
        }
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value, Error> {
        let v = value.serialize(self)?;
        Ok(Value::M(BTreeMap::from([(variant.to_string(), v)])))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqSerializer<'p>, Error> {
        Ok(SeqSerializer {
            pending: self.pending,
            list: Vec::with_capacity(len.unwrap_or(0)),
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqSerializer<'p>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<SeqSerializer<'p>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Ok(VariantSerializer {
            variant,
            inner: self.serialize_seq(Some(len))?,
        })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<MapSerializer<'p>, Error> {
        Ok(MapSerializer {
            pending: self.pending,
            map: BTreeMap::new(),
            next_key: None,
            deferred: Vec::new(),
        })
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<MapSerializer<'p>, Error> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Ok(VariantSerializer {
            variant,
            inner: self.serialize_map(Some(len))?,
        })
    }
}

/// A list, a tuple or a tuple struct: `L`.
pub(crate) struct SeqSerializer<'p> {
    pending: &'p mut Pending,
    list: Vec<Value>,
}

impl SeqSerializer<'_> {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let v = value.serialize(ValueSerializer {
            pending: self.pending,
        })?;
        self.list.push(v);
        Ok(())
    }
}

impl ser::SerializeSeq for SeqSerializer<'_> {
    type Ok = Value;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(Value::L(self.list))
    }
}

impl ser::SerializeTuple for SeqSerializer<'_> {
    type Ok = Value;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(Value::L(self.list))
    }
}

impl ser::SerializeTupleStruct for SeqSerializer<'_> {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.push(value)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(Value::L(self.list))
    }
}

/// A map or a struct: `M`. A key written twice keeps its last value, as serde_dynamo's
/// `HashMap` did.
pub(crate) struct MapSerializer<'p> {
    pending: &'p mut Pending,
    map: BTreeMap<String, Value>,
    next_key: Option<String>,
    /// The entries whose value deferred errors, and where those are in `pending`.
    deferred: Vec<(String, std::ops::Range<usize>)>,
}

impl MapSerializer<'_> {
    fn insert<T: Serialize + ?Sized>(&mut self, key: String, value: &T) -> Result<(), Error> {
        let start = self.pending.len();
        let v = value.serialize(ValueSerializer {
            pending: self.pending,
        })?;
        let end = self.pending.len();
        if start != end || !self.deferred.is_empty() {
            // An overwritten value's errors go with it.
            if let Some(i) = self.deferred.iter().position(|(k, _)| *k == key) {
                let (_, range) = self.deferred.swap_remove(i);
                self.pending[range].iter_mut().for_each(|e| *e = None);
            }
            if start != end {
                self.deferred.push((key.clone(), start..end));
            }
        }
        self.map.insert(key, v);
        Ok(())
    }
}

impl ser::SerializeMap for MapSerializer<'_> {
    type Ok = Value;
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        if self.next_key.is_some() {
            return Err(error("SerializeMap::serialize_key called twice"));
        }
        self.next_key = Some(key.serialize(KeySerializer)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let key = self.next_key.take().ok_or_else(|| {
            error("SerializeMap::serialize_value called before SerializeMap::serialize_key")
        })?;
        self.insert(key, value)
    }
    fn serialize_entry<K: Serialize + ?Sized, V: Serialize + ?Sized>(
        &mut self,
        key: &K,
        value: &V,
    ) -> Result<(), Error> {
        let key = key.serialize(KeySerializer)?;
        self.insert(key, value)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(Value::M(self.map))
    }
}

impl ser::SerializeStruct for MapSerializer<'_> {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.insert(key.to_string(), value)
    }
    fn end(self) -> Result<Value, Error> {
        Ok(Value::M(self.map))
    }
}

/// A tuple or struct variant: a map of one entry, the variant's name to its list or map.
pub(crate) struct VariantSerializer<S> {
    variant: &'static str,
    inner: S,
}

impl<'p> ser::SerializeTupleVariant for VariantSerializer<SeqSerializer<'p>> {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.inner.push(value)
    }
    fn end(self) -> Result<Value, Error> {
        let list = Value::L(self.inner.list);
        Ok(Value::M(BTreeMap::from([(self.variant.to_string(), list)])))
    }
}

impl<'p> ser::SerializeStructVariant for VariantSerializer<MapSerializer<'p>> {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.inner.insert(key.to_string(), value)
    }
    fn end(self) -> Result<Value, Error> {
        let map = Value::M(self.inner.map);
        Ok(Value::M(BTreeMap::from([(self.variant.to_string(), map)])))
    }
}

/// A map key: a string, a number or a bool written as text, a unit variant's name, as
/// serde_dynamo's `MapKeySerializer`. Where that one panics (`unreachable!`: a key that is a
/// sequence, a map or bytes), this one refuses the key as it refuses other non-string keys.
struct KeySerializer;

fn not_a_key<T>() -> Result<T, Error> {
    Err(error(KEY_MUST_BE_A_STRING))
}

impl ser::Serializer for KeySerializer {
    type Ok = String;
    type Error = Error;

    type SerializeSeq = ser::Impossible<String, Error>;
    type SerializeTuple = ser::Impossible<String, Error>;
    type SerializeTupleStruct = ser::Impossible<String, Error>;
    type SerializeTupleVariant = ser::Impossible<String, Error>;
    type SerializeMap = ser::Impossible<String, Error>;
    type SerializeStruct = ser::Impossible<String, Error>;
    type SerializeStructVariant = ser::Impossible<String, Error>;

    fn serialize_bool(self, v: bool) -> Result<String, Error> {
        Ok(if v { "true" } else { "false" }.to_string())
    }
    fn serialize_i8(self, v: i8) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_i16(self, v: i16) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_i32(self, v: i32) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_i64(self, v: i64) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_i128(self, v: i128) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_u8(self, v: u8) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_u16(self, v: u16) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_u32(self, v: u32) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_u64(self, v: u64) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_u128(self, v: u128) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_f32(self, _v: f32) -> Result<String, Error> {
        not_a_key()
    }
    fn serialize_f64(self, _v: f64) -> Result<String, Error> {
        not_a_key()
    }
    fn serialize_char(self, v: char) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_str(self, v: &str) -> Result<String, Error> {
        Ok(v.to_string())
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<String, Error> {
        not_a_key()
    }
    fn serialize_none(self) -> Result<String, Error> {
        not_a_key()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<String, Error> {
        not_a_key()
    }
    fn serialize_unit(self) -> Result<String, Error> {
        not_a_key()
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<String, Error> {
        not_a_key()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<String, Error> {
        Ok(variant.to_string())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<String, Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<String, Error> {
        not_a_key()
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        not_a_key()
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Error> {
        not_a_key()
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        not_a_key()
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        not_a_key()
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        not_a_key()
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Error> {
        not_a_key()
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        not_a_key()
    }
}

impl Value {
    /// Converts any serde-serializable value (a number of any width, `f64`, a string, a
    /// struct, a map, a sequence…) into a value, as `serde_dynamo::to_attribute_value` and
    /// the conversion from its `AttributeValue` would (serde_dynamo's shapes, its set
    /// wrappers included), without the intermediate tree.
    ///
    /// # Errors
    ///
    /// [`crate::Error::Encode`] if serde fails (an `i128`, a map key that is not a string…);
    /// [`crate::Error::InvalidRequest`] if a number cannot be stored (NaN, infinity, beyond
    /// DynamoDB's range) or a set has duplicates.
    pub fn from_serialize<T: Serialize + ?Sized>(value: &T) -> Result<Value, crate::Error> {
        to_value(value)
    }
}

impl Item {
    /// Converts any serde-serializable value that serializes as a map into an item, as
    /// `serde_dynamo::to_item` and the conversion from its `Item` would (see
    /// [`Value::from_serialize`]).
    ///
    /// # Errors
    ///
    /// As [`Value::from_serialize`]; [`crate::Error::Encode`] if the value is not a map or
    /// a struct.
    pub fn from_serialize<T: Serialize + ?Sized>(value: &T) -> Result<Item, crate::Error> {
        to_item(value)
    }
}

/// An `f64` as a number; NaN and infinities cannot be stored.
impl TryFrom<f64> for Value {
    type Error = crate::Error;
    fn try_from(f: f64) -> Result<Self, crate::Error> {
        Value::from_serialize(&f)
    }
}
