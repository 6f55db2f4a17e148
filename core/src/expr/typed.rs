//! Paths that know their attribute's Rust type, so a condition or update built from one
//! accepts only values of that type (`User::AGE.eq("x")` does not compile). The derive
//! writes one constant per field; [`Path`] remains for everything else.

use std::marker::PhantomData;

use crate::expr::{Condition, Path, Size};
use crate::item::{Value, ValueType};

/// The path of a top-level attribute whose values are `T`.
///
/// ```
/// use monotable_core::raw::eval::evaluate;
/// use monotable_core::{Item, TypedPath, Update};
/// const AGE: TypedPath<u32> = TypedPath::new("age"); // what the derive writes as User::AGE
/// const NAME: TypedPath<String> = TypedPath::new("name");
/// let adult_a = AGE.ge(18).and(NAME.begins_with("A"));
/// assert!(evaluate(&adult_a, &Item::new().with("age", 36).with("name", "Ada")));
/// let birthday = Update::new().set(&AGE, 37).set(&NAME, "Ada L.");
/// assert_eq!(birthday.actions.len(), 2);
/// ```
pub struct TypedPath<T> {
    path: Path,
    _type: PhantomData<fn() -> T>,
}

impl<T> Clone for TypedPath<T> {
    fn clone(&self) -> Self {
        TypedPath {
            path: self.path.clone(),
            _type: PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for TypedPath<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TypedPath({})", self.path)
    }
}

impl<T> TypedPath<T> {
    /// The attribute `name`, usable in a `const`.
    pub const fn new(name: &'static str) -> Self {
        TypedPath {
            path: Path::attr_static(name),
            _type: PhantomData,
        }
    }

    /// The untyped path, for what the typed builders do not cover (nested paths, values of
    /// another type).
    pub fn path(&self) -> Path {
        self.path.clone()
    }

    /// `attribute_exists(path)`.
    pub fn exists(&self) -> Condition {
        self.path.exists()
    }

    /// `attribute_not_exists(path)`.
    pub fn not_exists(&self) -> Condition {
        self.path.not_exists()
    }

    /// `attribute_type(path, t)`.
    pub fn is_type(&self, t: ValueType) -> Condition {
        self.path.is_type(t)
    }

    /// `size(path)`, to compare.
    pub fn size(&self) -> Size {
        self.path.size()
    }

    /// `contains(path, v)`: a substring, or a member of a set or list.
    pub fn contains(&self, v: impl Into<Value>) -> Condition {
        self.path.contains(v)
    }
}

impl<T: Into<Value>> TypedPath<T> {
    /// `path = v`.
    pub fn eq(&self, v: impl FieldValue<T>) -> Condition {
        self.path.eq(v.into_value())
    }
    /// `path <> v`.
    pub fn ne(&self, v: impl FieldValue<T>) -> Condition {
        self.path.ne(v.into_value())
    }
    /// `path < v`.
    pub fn lt(&self, v: impl FieldValue<T>) -> Condition {
        self.path.lt(v.into_value())
    }
    /// `path <= v`.
    pub fn le(&self, v: impl FieldValue<T>) -> Condition {
        self.path.le(v.into_value())
    }
    /// `path > v`.
    pub fn gt(&self, v: impl FieldValue<T>) -> Condition {
        self.path.gt(v.into_value())
    }
    /// `path >= v`.
    pub fn ge(&self, v: impl FieldValue<T>) -> Condition {
        self.path.ge(v.into_value())
    }
    /// `path BETWEEN low AND high`.
    pub fn between(&self, low: impl FieldValue<T>, high: impl FieldValue<T>) -> Condition {
        self.path.between(low.into_value(), high.into_value())
    }
    /// `path IN (v1, v2, …)`.
    pub fn is_in<V: FieldValue<T>>(&self, values: impl IntoIterator<Item = V>) -> Condition {
        self.path
            .is_in(values.into_iter().map(FieldValue::into_value))
    }
}

/// A value accepted for an attribute of type `T`: a `T` itself, or a `&str`/`&String` for a
/// `String`. For an untyped path (`T` = [`AnyValue`]), anything that converts to a
/// [`Value`]. (One impl per target type, so an integer literal takes the field's type.)
///
/// ```compile_fail
/// use monotable_core::TypedPath;
/// const AGE: TypedPath<u32> = TypedPath::new("age");
/// let wrong = AGE.eq("thirty"); // a &str is not a u32: does not compile
/// ```
///
/// ```
/// use monotable_core::expr::FieldValue;
/// use monotable_core::Value;
/// assert_eq!(FieldValue::<String>::into_value("Ada"), Value::from("Ada"));
/// assert_eq!(FieldValue::<u32>::into_value(36u32), Value::from(36));
/// ```
pub trait FieldValue<T> {
    /// The value to store.
    fn into_value(self) -> Value;
}

impl<T: Into<Value>> FieldValue<T> for T {
    fn into_value(self) -> Value {
        self.into()
    }
}

impl FieldValue<String> for &str {
    fn into_value(self) -> Value {
        Value::from(self)
    }
}

impl FieldValue<String> for &String {
    fn into_value(self) -> Value {
        Value::from(self.as_str())
    }
}

/// The value type of an untyped path: any value (see [`PathOf`]'s example).
#[derive(Debug, Clone, Copy)]
pub enum AnyValue {}

impl<V: Into<Value>> FieldValue<AnyValue> for V {
    fn into_value(self) -> Value {
        self.into()
    }
}

impl TypedPath<String> {
    /// `begins_with(path, prefix)`.
    pub fn begins_with(&self, prefix: impl Into<String>) -> Condition {
        self.path.begins_with(prefix.into())
    }
}

/// Something that names an attribute in an update: a [`TypedPath`] (whose values must be
/// its type), or a [`Path`] or name (any value).
///
/// ```
/// use monotable_core::{Path, TypedPath, Update};
/// const AGE: TypedPath<u32> = TypedPath::new("age");
/// let update = Update::new()
///     .set(&AGE, 36) // typed: a u32
///     .set("nickname", "Ada") // a name: any value
///     .set(Path::attr("prefs").key("theme"), "dark"); // a path: any value
/// let roots: Vec<&str> = update.actions.iter().map(|a| a.path().root()).collect();
/// assert_eq!(roots, ["age", "nickname", "prefs"]);
/// ```
pub trait PathOf {
    /// The type of value the attribute takes ([`AnyValue`] for an untyped path).
    type Value;
    /// The path.
    fn into_path(self) -> Path;
}

impl<T: Into<Value>> PathOf for TypedPath<T> {
    type Value = T;
    fn into_path(self) -> Path {
        self.path
    }
}

impl<T: Into<Value>> PathOf for &TypedPath<T> {
    type Value = T;
    fn into_path(self) -> Path {
        self.path.clone()
    }
}

macro_rules! untyped_path_of {
    ($($t:ty),*) => {$(
        impl PathOf for $t {
            type Value = AnyValue;
            fn into_path(self) -> Path {
                Path::from(self)
            }
        }
    )*};
}
untyped_path_of!(Path, &Path, &str, String);

impl<T> From<TypedPath<T>> for Path {
    fn from(p: TypedPath<T>) -> Path {
        p.path
    }
}

impl<T> From<&TypedPath<T>> for Path {
    fn from(p: &TypedPath<T>) -> Path {
        p.path.clone()
    }
}

/// An argument for a key field of type `T` in a typed access pattern: a `T` itself (any
/// serde type), or a `&str`/`&String` for a `String`. One impl per target type, so an
/// integer literal takes the field's type.
///
/// ```
/// use monotable_core::expr::KeyArg;
/// use monotable_core::Value;
/// assert_eq!(KeyArg::<String>::into_key_value("u1")?, Value::from("u1"));
/// assert_eq!(KeyArg::<u64>::into_key_value(2024u64)?, Value::from(2024));
/// # Ok::<(), monotable_core::Error>(())
/// ```
pub trait KeyArg<T> {
    /// The value, converted through serde.
    ///
    /// # Errors
    ///
    /// [`crate::Error::Encode`] if serde cannot convert it.
    fn into_key_value(self) -> crate::Result<Value>;
}

impl<T: serde::Serialize> KeyArg<T> for T {
    fn into_key_value(self) -> crate::Result<Value> {
        Value::from_serialize(&self)
    }
}

impl KeyArg<String> for &str {
    fn into_key_value(self) -> crate::Result<Value> {
        Ok(Value::from(self))
    }
}

impl KeyArg<String> for &String {
    fn into_key_value(self) -> crate::Result<Value> {
        Ok(Value::from(self.as_str()))
    }
}
