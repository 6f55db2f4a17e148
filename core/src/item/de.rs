//! A serde `Deserializer` that reads an [`Item`](crate::item::Item) in place.
//!
//! It decodes what `serde_dynamo::from_item` decoded from the same item converted to a
//! `serde_dynamo::Item`, visitor call for visitor call and error for error
//! (`core/tests/serde_equivalence.rs` compares the two), without cloning the item or writing
//! its numbers as text: strings and bytes are lent to the visitor, integers read from the
//! [`Number`]. What differs: a map's entries come in key order (serde_dynamo drained a
//! `HashMap`, in its order); errors are `serde_dynamo::Error`s with serde_dynamo's messages,
//! but built through `serde::de::Error::custom` (their `Debug` shows a message where
//! serde_dynamo's showed a variant); and a visitor asking for a map value before its key
//! gets an error where serde_dynamo panicked.
//!
//! The same deserializer reads an item's stored text in place (`item/text`: its lists, maps
//! and sets as nodes pointing into the text), so a value decoded from the text is the one
//! decoded from the item the text holds, error for error.

use std::collections::{BTreeMap, BTreeSet};

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{self, DeserializeSeed, Visitor};
use serde::forward_to_deserialize_any;

use crate::item::text::{self, ItemText, Nodes, Read, ReadItemText};
use crate::item::{Number, Value};

type Error = serde_dynamo::Error;
type Result<T> = std::result::Result<T, Error>;

/// serde_dynamo's error with serde_dynamo's message.
fn error(message: &str) -> Error {
    <Error as de::Error>::custom(message)
}

/// Decodes the attributes of an item into `T`.
pub(crate) fn from_map<'de, T: de::Deserialize<'de>>(
    map: &'de BTreeMap<String, Value>,
) -> std::result::Result<T, crate::Error> {
    T::deserialize(ValueDeserializer(Ref::M(map))).map_err(crate::Error::decode)
}

/// Decodes the item whose text's nodes are `nodes` (`item/text`) into `T`: what [`from_map`]
/// decodes from the item.
fn from_nodes<'de, T: de::Deserialize<'de>>(
    nodes: Nodes<'de>,
) -> std::result::Result<T, crate::Error> {
    T::deserialize(ValueDeserializer(Ref::TextM(nodes))).map_err(crate::Error::decode)
}

// The serde entry points of `item/text`, beside the deserializer they run.
impl ItemText<'_> {
    /// `T` decoded straight from the text: exactly `self.to_item()?.deserialize_into::<T>()`'s
    /// result (same value, same error), or `None` when the text is not in the canonical form
    /// the direct reader takes (the caller then builds the item).
    pub fn decode<T: serde::de::DeserializeOwned>(&self) -> Option<crate::Result<T>> {
        text::with_nodes(self.text(), |nodes| from_nodes(nodes))
    }
}

impl ReadItemText {
    /// `T` decoded from the text, exactly as from [`to_item`](Self::to_item)'s item.
    ///
    /// # Errors
    ///
    /// [`crate::Error::Decode`], as [`Item::deserialize_into`](crate::Item::deserialize_into)
    /// gives it.
    pub fn decode<T: serde::de::DeserializeOwned>(&self) -> crate::Result<T> {
        from_nodes(self.nodes())
    }
}

/// A value, borrowed.
#[derive(Clone, Copy)]
enum Ref<'de> {
    S(&'de str),
    N(&'de Number),
    B(&'de [u8]),
    Bool(bool),
    Null,
    L(&'de [Value]),
    M(&'de BTreeMap<String, Value>),
    Ss(&'de BTreeSet<String>),
    Ns(&'de BTreeSet<Number>),
    Bs(&'de BTreeSet<Vec<u8>>),
    /// A list, map, string set or number set read from an item's text: its node and its
    /// descendants' (`item/text`), read as `L`, `M`, `Ss`, `Ns` are.
    TextL(Nodes<'de>),
    TextM(Nodes<'de>),
    TextSs(Nodes<'de>),
    TextNs(Nodes<'de>),
}

impl<'de> From<&'de Value> for Ref<'de> {
    fn from(v: &'de Value) -> Self {
        match v {
            Value::S(s) => Ref::S(s),
            Value::N(n) => Ref::N(n),
            Value::B(b) => Ref::B(b),
            Value::Bool(b) => Ref::Bool(*b),
            Value::Null => Ref::Null,
            Value::L(l) => Ref::L(l),
            Value::M(m) => Ref::M(m),
            Value::Ss(s) => Ref::Ss(s),
            Value::Ns(s) => Ref::Ns(s),
            Value::Bs(s) => Ref::Bs(s),
        }
    }
}

impl<'de> From<Nodes<'de>> for Ref<'de> {
    #[inline]
    fn from(nodes: Nodes<'de>) -> Self {
        match nodes.read() {
            Read::S(s) => Ref::S(s),
            Read::N(n) => Ref::N(n),
            Read::Bool(b) => Ref::Bool(b),
            Read::Null => Ref::Null,
            Read::L(l) => Ref::TextL(l),
            Read::M(m) => Ref::TextM(m),
            Read::Ss(s) => Ref::TextSs(s),
            Read::Ns(s) => Ref::TextNs(s),
        }
    }
}

/// One value: serde_dynamo's `Deserializer`.
struct ValueDeserializer<'de>(Ref<'de>);

macro_rules! number_methods {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
            match self.0 {
                Ref::N(n) => NumberDeserializer(n).$method(visitor),
                _ => Err(error("Expected num")),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for ValueDeserializer<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.0 {
            Ref::N(n) => NumberDeserializer(n).deserialize_any(visitor),
            Ref::S(s) => visitor.visit_borrowed_str(s),
            Ref::Bool(b) => visitor.visit_bool(b),
            Ref::B(b) => visitor.visit_borrowed_bytes(b),
            Ref::Null => visitor.visit_unit(),
            Ref::M(_) | Ref::TextM(_) => self.deserialize_map(visitor),
            Ref::L(_)
            | Ref::Ss(_)
            | Ref::Ns(_)
            | Ref::Bs(_)
            | Ref::TextL(_)
            | Ref::TextSs(_)
            | Ref::TextNs(_) => self.deserialize_seq(visitor),
        }
    }

    number_methods!(
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_f32 deserialize_f64
    );
    // i128 and u128: serde's default, "i128 is not supported", as serde_dynamo.

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_string(visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.0 {
            Ref::S(s) => visitor.visit_borrowed_str(s),
            _ => Err(error("Expected string")),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_string(visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.0 {
            Ref::L(l) => visitor.visit_seq(Seq(l.iter().map(|v| ValueDeserializer(v.into())))),
            Ref::Ss(s) => visitor.visit_seq(Seq(s.iter().map(|s| StrDeserializer::new(s)))),
            Ref::Ns(s) => visitor.visit_seq(Seq(s.iter().map(NumberDeserializer))),
            Ref::Bs(s) => visitor.visit_seq(Seq(s.iter().map(|b| BytesDeserializer(b)))),
            Ref::TextL(n) => {
                visitor.visit_seq(Seq(text::children(n).map(|v| ValueDeserializer(v.into()))))
            }
            Ref::TextSs(n) => visitor.visit_seq(Seq(text::strings(n).map(StrDeserializer::new))),
            Ref::TextNs(n) => visitor.visit_seq(Seq(text::numbers(n).map(NumberDeserializer))),
            _ => Err(error("Expected seq")),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.0 {
            Ref::M(m) => visitor.visit_map(Map {
                entries: m.iter().map(|(k, v)| (k.as_str(), v.into())),
                value: None,
            }),
            Ref::TextM(n) => visitor.visit_map(Map {
                entries: text::entries(n).map(|(k, v)| (k, v.into())),
                value: None,
            }),
            _ => Err(error("Expected map")),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        match self.0 {
            Ref::L(_) | Ref::TextL(_) => self.deserialize_seq(visitor),
            _ => self.deserialize_map(visitor),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.0 {
            Ref::Bool(b) => visitor.visit_bool(b),
            _ => Err(error("Expected bool")),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let Ref::S(s) = self.0 else {
            return Err(error("Expected char"));
        };
        let mut chars = s.chars();
        let Some(c) = chars.next() else {
            return Err(error("Expected char"));
        };
        let v = visitor.visit_char(c)?;
        if chars.next().is_some() {
            return Err(error("Expected char"));
        }
        Ok(v)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.0 {
            Ref::Null => visitor.visit_unit(),
            _ => Err(error("Expected unit")),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        match self.0 {
            Ref::Null => visitor.visit_unit(),
            _ => Err(error("Expected unit struct")),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.0 {
            Ref::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        match self.0 {
            Ref::S(s) => visitor.visit_enum(StrDeserializer::new(s)),
            Ref::M(m) => {
                let mut entries = m.iter();
                match (entries.next(), entries.next()) {
                    (Some((variant, value)), None) => visitor.visit_enum(Enum {
                        variant,
                        value: value.into(),
                    }),
                    _ => Err(error("Expected an item with a single key")),
                }
            }
            Ref::TextM(n) => {
                let mut entries = text::entries(n);
                match (entries.next(), entries.next()) {
                    (Some((variant, value)), None) => visitor.visit_enum(Enum {
                        variant,
                        value: value.into(),
                    }),
                    _ => Err(error("Expected an item with a single key")),
                }
            }
            _ => Err(error("Expected enum")),
        }
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.0 {
            Ref::B(b) => visitor.visit_borrowed_bytes(b),
            _ => Err(error("Expected binary data")),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_any(visitor)
    }
}

/// A string lent to the visitor: serde's own string deserializer, as serde_dynamo's
/// `String::into_deserializer()` (unit variants included).
type StrDeserializer<'de> = BorrowedStrDeserializer<'de, Error>;

/// A number: serde_dynamo's `DeserializerNumber`, which parsed the number's text as the
/// visitor asked. The text's parse is kept where its result cannot be had otherwise (floats,
/// and the errors' messages); integers are read from the digits.
struct NumberDeserializer<'de>(&'de Number);

macro_rules! integer_methods {
    ($($method:ident $visit:ident $t:ty, $read:ident;)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
            let read = self.0.$read().and_then(|v| <$t>::try_from(v).ok());
            match read {
                Some(v) => visitor.$visit(v),
                None => self.0.with_text(|text| match text.parse::<$t>() {
                    Ok(v) => visitor.$visit(v),
                    Err(e) => Err(<Error as de::Error>::custom(format_args!(
                        "Failed to parse '{text}' as an integer: {e}"
                    ))),
                }),
            }
        }
    )*};
}

macro_rules! float_methods {
    ($($method:ident $visit:ident $t:ty;)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
            self.0.with_text(|text| match text.parse::<$t>() {
                Ok(v) => visitor.$visit(v),
                Err(e) => Err(<Error as de::Error>::custom(format_args!(
                    "Failed to parse '{text}' as a float: {e}"
                ))),
            })
        }
    )*};
}

impl<'de> de::Deserializer<'de> for NumberDeserializer<'de> {
    type Error = Error;

    /// As serde_dynamo: an `i64` if the text parses as one, else a `u64`, else an `f64`.
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if let Some(i) = self.0.to_i64() {
            return visitor.visit_i64(i);
        }
        if let Some(u) = self.0.to_u64() {
            return visitor.visit_u64(u);
        }
        self.deserialize_f64(visitor)
    }

    integer_methods! {
        deserialize_i8 visit_i8 i8, to_i64;
        deserialize_i16 visit_i16 i16, to_i64;
        deserialize_i32 visit_i32 i32, to_i64;
        deserialize_i64 visit_i64 i64, to_i64;
        deserialize_u8 visit_u8 u8, to_u64;
        deserialize_u16 visit_u16 u16, to_u64;
        deserialize_u32 visit_u32 u32, to_u64;
        deserialize_u64 visit_u64 u64, to_u64;
    }

    float_methods! {
        deserialize_f32 visit_f32 f32;
        deserialize_f64 visit_f64 f64;
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_any(visitor)
    }

    forward_to_deserialize_any! {
        str string seq map bool char unit enum bytes tuple option struct byte_buf identifier
        unit_struct tuple_struct newtype_struct
    }
}

/// A member of a binary set: serde_dynamo's `DeserializerBytes`, bytes whatever is asked.
struct BytesDeserializer<'de>(&'de [u8]);

impl<'de> de::Deserializer<'de> for BytesDeserializer<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_borrowed_bytes(self.0)
    }

    forward_to_deserialize_any! {
        i8 i16 i32 i64 u8 u16 u32 u64 f32 f64 str string seq map bool char unit enum tuple
        option struct identifier unit_struct tuple_struct newtype_struct bytes byte_buf
        ignored_any
    }
}

/// The members of a list or a set.
struct Seq<I>(I);

impl<'de, I, D> de::SeqAccess<'de> for Seq<I>
where
    I: ExactSizeIterator<Item = D>,
    D: de::Deserializer<'de, Error = Error>,
{
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        match self.0.next() {
            Some(de) => seed.deserialize(de).map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

/// The entries of a map, in key order.
struct Map<'de, I> {
    entries: I,
    value: Option<Ref<'de>>,
}

impl<'de, I> de::MapAccess<'de> for Map<'de, I>
where
    I: ExactSizeIterator<Item = (&'de str, Ref<'de>)>,
{
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        match self.entries.next() {
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(KeyDeserializer(k)).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        match self.value.take() {
            Some(v) => seed.deserialize(ValueDeserializer(v)),
            None => Err(error("value asked before its key")),
        }
    }

    fn next_entry_seed<K: DeserializeSeed<'de>, V: DeserializeSeed<'de>>(
        &mut self,
        kseed: K,
        vseed: V,
    ) -> Result<Option<(K::Value, V::Value)>> {
        match self.entries.next() {
            Some((k, v)) => {
                let key = kseed.deserialize(KeyDeserializer(k))?;
                let value = vseed.deserialize(ValueDeserializer(v))?;
                Ok(Some((key, value)))
            }
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// A map key: serde_dynamo's `DeserializerMapKey` (a string; integers and bools parsed from
/// it; a unit variant by name).
struct KeyDeserializer<'de>(&'de str);

macro_rules! key_integer_methods {
    ($($method:ident $visit:ident;)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
            visitor.$visit(self.0.parse().map_err(|_| error("Expected num"))?)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for KeyDeserializer<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_borrowed_str(self.0)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_borrowed_str(self.0)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_borrowed_str(self.0)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_borrowed_str(self.0)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        ValueDeserializer(Ref::S(self.0)).deserialize_enum(name, variants, visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        visitor.visit_newtype_struct(self)
    }

    key_integer_methods! {
        deserialize_i8 visit_i8;
        deserialize_i16 visit_i16;
        deserialize_i32 visit_i32;
        deserialize_i64 visit_i64;
        deserialize_i128 visit_i128;
        deserialize_u8 visit_u8;
        deserialize_u16 visit_u16;
        deserialize_u32 visit_u32;
        deserialize_u64 visit_u64;
        deserialize_u128 visit_u128;
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.0 {
            "true" => visitor.visit_bool(true),
            "false" => visitor.visit_bool(false),
            _ => Err(error("Expected string")),
        }
    }

    forward_to_deserialize_any! {
        f32 f64 char bytes byte_buf option unit unit_struct seq tuple tuple_struct map struct
        ignored_any
    }
}

/// An externally tagged variant: a map of one entry, the variant's name to its value.
struct Enum<'de> {
    variant: &'de str,
    value: Ref<'de>,
}

impl<'de> de::EnumAccess<'de> for Enum<'de> {
    type Error = Error;
    type Variant = Variant<'de>;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Variant<'de>)> {
        let variant = seed.deserialize(StrDeserializer::new(self.variant))?;
        Ok((variant, Variant(self.value)))
    }
}

struct Variant<'de>(Ref<'de>);

impl<'de> de::VariantAccess<'de> for Variant<'de> {
    type Error = Error;

    /// As serde_dynamo: a unit variant's value is not looked at.
    fn unit_variant(self) -> Result<()> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value> {
        seed.deserialize(ValueDeserializer(self.0))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        de::Deserializer::deserialize_seq(ValueDeserializer(self.0), visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        de::Deserializer::deserialize_map(ValueDeserializer(self.0), visitor)
    }
}

impl crate::item::Item {
    /// Decodes the item into a serde-deserializable type, as `serde_dynamo::from_item` on
    /// the item's `serde_dynamo::Item` would, reading the item in place (no clone, numbers
    /// not written as text). The one difference: a map is visited in key order.
    ///
    /// # Errors
    ///
    /// [`crate::Error::Decode`], with serde_dynamo's error and message.
    pub fn deserialize_into<T: serde::de::DeserializeOwned>(
        &self,
    ) -> std::result::Result<T, crate::Error> {
        from_map(self)
    }
}
