//! Expressions: one typed AST for key conditions, conditions and filters, updates and
//! projections, with builders so that code names its attributes, not expression strings.
//!
//! ```
//! use monotable_core::expr::{Path, Update};
//! const AGE: Path = Path::attr_static("age");
//! let cond = AGE.ge(18).and(Path::attr("email").exists());
//! let update = Update::new().set("name", "Ada").add(AGE, 1).remove("nickname");
//! # let _ = (cond, update);
//! ```

use std::borrow::Cow;
use std::fmt;

use crate::expr::{FieldValue, PathOf};
use crate::item::{Value, ValueType};

/// One step of a document path.
///
/// ```
/// use monotable_core::expr::{Path, PathElement};
/// let path = Path::attr("tags").index(0).key("name");
/// assert_eq!(path.rest(), [PathElement::Index(0), PathElement::Key("name".into())]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathElement {
    /// A map key (or, first, a top-level attribute name).
    Key(Cow<'static, str>),
    /// A list index.
    Index(usize),
}

/// A document path: a top-level attribute, then map keys and list indexes (`a.b[0].c`).
///
/// Names are used literally: `Path::attr("a.b")` is the top-level attribute called `a.b`.
///
/// ```
/// use monotable_core::Path;
/// let city = Path::attr("address").key("city");
/// assert_eq!(city.to_string(), "address.city");
/// assert_eq!((city.root(), city.len()), ("address", 2));
/// assert!(city.overlaps(&Path::attr("address"))); // one is a prefix of the other
/// const AGE: Path = Path::attr_static("age"); // in a const
/// assert_eq!(AGE, Path::attr("age"));
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Path {
    root: Cow<'static, str>,
    rest: Vec<PathElement>,
}

impl Path {
    /// A top-level attribute.
    pub fn attr(name: impl Into<String>) -> Self {
        Path {
            root: Cow::Owned(name.into()),
            rest: Vec::new(),
        }
    }

    /// A top-level attribute, usable in a `const`.
    pub const fn attr_static(name: &'static str) -> Self {
        Path {
            root: Cow::Borrowed(name),
            rest: Vec::new(),
        }
    }

    /// This path, then a map key.
    pub fn key(mut self, name: impl Into<String>) -> Self {
        self.rest.push(PathElement::Key(Cow::Owned(name.into())));
        self
    }

    /// This path, then a list index.
    pub fn index(mut self, i: usize) -> Self {
        self.rest.push(PathElement::Index(i));
        self
    }

    /// The top-level attribute name.
    pub fn root(&self) -> &str {
        &self.root
    }

    /// The steps after the top-level attribute.
    pub fn rest(&self) -> &[PathElement] {
        &self.rest
    }

    /// All steps, the top-level attribute first.
    pub fn elements(&self) -> Vec<PathElement> {
        std::iter::once(PathElement::Key(self.root.clone()))
            .chain(self.rest.iter().cloned())
            .collect()
    }

    /// Number of steps.
    pub fn len(&self) -> usize {
        1 + self.rest.len()
    }

    /// Always false: a path has at least its top-level attribute.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// True if one path is a prefix of the other (DynamoDB's "paths overlap").
    pub fn overlaps(&self, other: &Path) -> bool {
        let a = self.elements();
        let b = other.elements();
        a.iter().zip(b.iter()).all(|(x, y)| x == y)
    }

    // ---- conditions ----

    /// `path = value`.
    pub fn eq(&self, v: impl Into<Value>) -> Condition {
        self.cmp(Comparator::Eq, v)
    }
    /// `path <> value`.
    pub fn ne(&self, v: impl Into<Value>) -> Condition {
        self.cmp(Comparator::Ne, v)
    }
    /// `path < value`.
    pub fn lt(&self, v: impl Into<Value>) -> Condition {
        self.cmp(Comparator::Lt, v)
    }
    /// `path <= value`.
    pub fn le(&self, v: impl Into<Value>) -> Condition {
        self.cmp(Comparator::Le, v)
    }
    /// `path > value`.
    pub fn gt(&self, v: impl Into<Value>) -> Condition {
        self.cmp(Comparator::Gt, v)
    }
    /// `path >= value`.
    pub fn ge(&self, v: impl Into<Value>) -> Condition {
        self.cmp(Comparator::Ge, v)
    }
    fn cmp(&self, op: Comparator, v: impl Into<Value>) -> Condition {
        Condition::Compare {
            left: Operand::Path(self.clone()),
            op,
            right: Operand::Value(v.into()),
        }
    }
    /// `path BETWEEN low AND high` (inclusive).
    pub fn between(&self, low: impl Into<Value>, high: impl Into<Value>) -> Condition {
        Condition::Between {
            value: Operand::Path(self.clone()),
            low: Operand::Value(low.into()),
            high: Operand::Value(high.into()),
        }
    }
    /// `path IN (v1, v2, …)`.
    ///
    /// ```
    /// use monotable_core::raw::eval::evaluate;
    /// use monotable_core::{Item, Path};
    /// let open = Path::attr("status").is_in(["new", "paid"]);
    /// assert!(evaluate(&open, &Item::new().with("status", "paid")));
    /// assert!(!evaluate(&open, &Item::new().with("status", "shipped")));
    /// ```
    pub fn is_in<V: Into<Value>>(&self, values: impl IntoIterator<Item = V>) -> Condition {
        Condition::In {
            value: Operand::Path(self.clone()),
            list: values
                .into_iter()
                .map(|v| Operand::Value(v.into()))
                .collect(),
        }
    }
    /// `begins_with(path, prefix)`.
    pub fn begins_with(&self, prefix: impl Into<Value>) -> Condition {
        Condition::BeginsWith {
            path: self.clone(),
            prefix: Operand::Value(prefix.into()),
        }
    }
    /// `contains(path, value)`: substring, set member or list element.
    pub fn contains(&self, v: impl Into<Value>) -> Condition {
        Condition::Contains {
            path: self.clone(),
            operand: Operand::Value(v.into()),
        }
    }
    /// `attribute_exists(path)`.
    pub fn exists(&self) -> Condition {
        Condition::AttributeExists(self.clone())
    }
    /// `attribute_not_exists(path)`.
    pub fn not_exists(&self) -> Condition {
        Condition::AttributeNotExists(self.clone())
    }
    /// `attribute_type(path, t)`.
    pub fn is_type(&self, t: ValueType) -> Condition {
        Condition::AttributeType {
            path: self.clone(),
            value_type: Operand::Value(Value::S(t.name().to_string())),
        }
    }
    /// `size(path)`, to compare.
    pub fn size(&self) -> Size {
        Size(self.clone())
    }
    /// Compares this path with another attribute's path: `path <op> other`.
    pub fn compare_path(&self, op: Comparator, other: &Path) -> Condition {
        Condition::Compare {
            left: Operand::Path(self.clone()),
            op,
            right: Operand::Path(other.clone()),
        }
    }
}

impl fmt::Debug for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.root)?;
        for e in &self.rest {
            match e {
                PathElement::Key(k) => write!(f, ".{k}")?,
                PathElement::Index(i) => write!(f, "[{i}]")?,
            }
        }
        Ok(())
    }
}

impl From<&str> for Path {
    fn from(s: &str) -> Self {
        Path::attr(s)
    }
}
impl From<String> for Path {
    fn from(s: String) -> Self {
        Path::attr(s)
    }
}
impl From<&Path> for Path {
    fn from(p: &Path) -> Self {
        p.clone()
    }
}

/// `size(path)`, waiting for a comparison.
///
/// ```
/// use monotable_core::raw::eval::evaluate;
/// use monotable_core::{expr::string_set, Item, Path};
/// let busy = Path::attr("tags").size().ge(2);
/// assert!(evaluate(&busy, &Item::new().with("tags", string_set(["a", "b"]))));
/// assert!(!evaluate(&busy, &Item::new().with("tags", 7))); // a number has no size
/// ```
#[derive(Debug, Clone)]
pub struct Size(Path);

impl Size {
    fn cmp(self, op: Comparator, n: impl Into<Value>) -> Condition {
        Condition::Compare {
            left: Operand::Size(self.0),
            op,
            right: Operand::Value(n.into()),
        }
    }
    /// `size(path) = n`.
    pub fn eq(self, n: impl Into<Value>) -> Condition {
        self.cmp(Comparator::Eq, n)
    }
    /// `size(path) <> n`.
    pub fn ne(self, n: impl Into<Value>) -> Condition {
        self.cmp(Comparator::Ne, n)
    }
    /// `size(path) < n`.
    pub fn lt(self, n: impl Into<Value>) -> Condition {
        self.cmp(Comparator::Lt, n)
    }
    /// `size(path) <= n`.
    pub fn le(self, n: impl Into<Value>) -> Condition {
        self.cmp(Comparator::Le, n)
    }
    /// `size(path) > n`.
    pub fn gt(self, n: impl Into<Value>) -> Condition {
        self.cmp(Comparator::Gt, n)
    }
    /// `size(path) >= n`.
    pub fn ge(self, n: impl Into<Value>) -> Condition {
        self.cmp(Comparator::Ge, n)
    }
}

/// A comparison operator.
///
/// ```
/// use monotable_core::raw::eval::evaluate;
/// use monotable_core::expr::{Comparator, Condition, Operand};
/// use monotable_core::{Item, Path};
/// let within = Path::attr("spent").compare_path(Comparator::Le, &Path::attr("budget"));
/// assert!(evaluate(&within, &Item::new().with("spent", 5).with("budget", 10)));
/// let Condition::Compare { op, right: Operand::Path(p), .. } = &within else { unreachable!() };
/// assert_eq!((op.symbol(), p.root()), ("<=", "budget"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparator {
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl Comparator {
    /// The operator as DynamoDB writes it.
    pub fn symbol(self) -> &'static str {
        match self {
            Comparator::Eq => "=",
            Comparator::Ne => "<>",
            Comparator::Lt => "<",
            Comparator::Le => "<=",
            Comparator::Gt => ">",
            Comparator::Ge => ">=",
        }
    }
}

/// An operand of a condition. [`Comparator`]'s example takes one apart.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// An attribute's value.
    Path(Path),
    /// A literal value.
    Value(Value),
    /// `size(path)`.
    Size(Path),
}

/// A condition (`ConditionExpression`) or filter (`FilterExpression`).
///
/// ```
/// use monotable_core::raw::eval::evaluate;
/// use monotable_core::{Item, Path};
/// let adult = Path::attr("age").ge(18);
/// let reachable = Path::attr("email").exists().or(Path::attr("phone").exists());
/// let wanted = adult.and(reachable).and(!Path::attr("banned").eq(true));
/// let ada = Item::new().with("age", 36).with("email", "ada@example.com");
/// assert!(evaluate(&wanted, &ada));
/// assert!(!evaluate(&wanted, &ada.clone().with("banned", true)));
/// assert_eq!(wanted.paths().len(), 4);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// `a <op> b`.
    Compare {
        /// Left operand.
        left: Operand,
        /// Operator.
        op: Comparator,
        /// Right operand.
        right: Operand,
    },
    /// `value BETWEEN low AND high`.
    Between {
        /// Tested operand.
        value: Operand,
        /// Lower bound, inclusive.
        low: Operand,
        /// Upper bound, inclusive.
        high: Operand,
    },
    /// `value IN (list)`.
    In {
        /// Tested operand.
        value: Operand,
        /// Candidates (at most 100).
        list: Vec<Operand>,
    },
    /// `begins_with(path, prefix)`.
    BeginsWith {
        /// Tested attribute.
        path: Path,
        /// Prefix.
        prefix: Operand,
    },
    /// `contains(path, operand)`.
    Contains {
        /// Tested attribute.
        path: Path,
        /// Substring, member or element.
        operand: Operand,
    },
    /// `attribute_exists(path)`.
    AttributeExists(Path),
    /// `attribute_not_exists(path)`.
    AttributeNotExists(Path),
    /// `attribute_type(path, type)`; the type operand must be an `S` naming a type.
    AttributeType {
        /// Tested attribute.
        path: Path,
        /// The type's name (`S`, `N`, `SS`, `BOOL`, …).
        value_type: Operand,
    },
    /// `a AND b`.
    And(Box<Condition>, Box<Condition>),
    /// `a OR b`.
    Or(Box<Condition>, Box<Condition>),
    /// `NOT a`.
    Not(Box<Condition>),
}

impl Condition {
    /// `self AND other`.
    pub fn and(self, other: Condition) -> Condition {
        Condition::And(Box::new(self), Box::new(other))
    }
    /// `self OR other`.
    pub fn or(self, other: Condition) -> Condition {
        Condition::Or(Box::new(self), Box::new(other))
    }
    /// `NOT self`.
    pub fn negate(self) -> Condition {
        Condition::Not(Box::new(self))
    }

    /// Every path the condition reads.
    pub fn paths(&self) -> Vec<&Path> {
        let mut out = Vec::new();
        self.collect_paths(&mut out);
        out
    }

    fn collect_paths<'a>(&'a self, out: &mut Vec<&'a Path>) {
        let op = |o: &'a Operand, out: &mut Vec<&'a Path>| {
            if let Operand::Path(p) | Operand::Size(p) = o {
                out.push(p)
            }
        };
        match self {
            Condition::Compare { left, right, .. } => {
                op(left, out);
                op(right, out);
            }
            Condition::Between { value, low, high } => {
                op(value, out);
                op(low, out);
                op(high, out);
            }
            Condition::In { value, list } => {
                op(value, out);
                list.iter().for_each(|o| op(o, out));
            }
            Condition::BeginsWith { path, prefix: o }
            | Condition::Contains { path, operand: o }
            | Condition::AttributeType {
                path,
                value_type: o,
            } => {
                out.push(path);
                op(o, out);
            }
            Condition::AttributeExists(p) | Condition::AttributeNotExists(p) => out.push(p),
            Condition::And(a, b) | Condition::Or(a, b) => {
                a.collect_paths(out);
                b.collect_paths(out);
            }
            Condition::Not(a) => a.collect_paths(out),
        }
    }
}

impl std::ops::Not for Condition {
    type Output = Condition;
    fn not(self) -> Condition {
        self.negate()
    }
}

/// A condition on the sort key of a query; see [`KeyCondition`]'s example.
#[derive(Debug, Clone, PartialEq)]
pub enum SortKeyCondition {
    /// `sk = v`
    Eq(Value),
    /// `sk < v`
    Lt(Value),
    /// `sk <= v`
    Le(Value),
    /// `sk > v`
    Gt(Value),
    /// `sk >= v`
    Ge(Value),
    /// `sk BETWEEN a AND b`
    Between(Value, Value),
    /// `begins_with(sk, v)`
    BeginsWith(Value),
}

/// A query's key condition: the partition key's value and, optionally, a sort-key condition.
/// The attribute names are the queried table's or index's key attributes.
///
/// On a multi-attribute index, `partition` holds one value per partition attribute and
/// `sort_prefix` the values the leading sort attributes equal; `sort` then applies to the
/// next sort attribute (`sort_prefix` is empty on a table or a single-attribute index).
///
/// ```
/// use monotable_core::{KeyCondition, SortKeyCondition};
/// let january = KeyCondition::partition("USER#u1")
///     .with_sort(SortKeyCondition::BeginsWith("ORDER#2024-01".into()));
/// assert_eq!(january.partition, ["USER#u1".into()]);
/// // On a multi-attribute index: equalities on the leading sort attributes, then one condition.
/// let late = KeyCondition::partitions(["eu".into(), "shop-7".into()])
///     .with_sort_prefix(["open".into()])
///     .with_sort(SortKeyCondition::Gt(20240101.into()));
/// assert_eq!(late.sort_conditions().count(), 2);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct KeyCondition {
    /// The partition attributes' values (`pk = v`), in key-schema order.
    pub partition: Vec<Value>,
    /// Equalities on the leading sort attributes, in key-schema order.
    pub sort_prefix: Vec<Value>,
    /// The condition on the sort attribute after `sort_prefix`.
    pub sort: Option<SortKeyCondition>,
}

impl KeyCondition {
    /// `pk = partition`.
    pub fn partition(partition: impl Into<Value>) -> Self {
        KeyCondition {
            partition: vec![partition.into()],
            sort_prefix: Vec::new(),
            sort: None,
        }
    }
    /// Every partition attribute of a multi-attribute index equal to these values, in order.
    pub fn partitions(values: impl IntoIterator<Item = Value>) -> Self {
        KeyCondition {
            partition: values.into_iter().collect(),
            sort_prefix: Vec::new(),
            sort: None,
        }
    }
    /// Adds a sort-key condition (on the sort attribute after any equalities given).
    pub fn with_sort(mut self, sort: SortKeyCondition) -> Self {
        self.sort = Some(sort);
        self
    }
    /// Sets the values the leading sort attributes of a multi-attribute index equal; the
    /// condition of [`with_sort`](Self::with_sort) applies to the sort attribute after them.
    pub fn with_sort_prefix(mut self, values: impl IntoIterator<Item = Value>) -> Self {
        self.sort_prefix = values.into_iter().collect();
        self
    }
    /// The sort attributes named, in order: the prefix's equalities, then the condition.
    pub fn sort_conditions(&self) -> impl Iterator<Item = SortKeyCondition> + '_ {
        self.sort_prefix
            .iter()
            .cloned()
            .map(SortKeyCondition::Eq)
            .chain(self.sort.clone())
    }
}

/// An operand on the right of a `SET` action; see [`UpdateAction`]'s example.
#[derive(Debug, Clone, PartialEq)]
pub enum UpdateOperand {
    /// The value of an attribute (as it was before the update).
    Path(Path),
    /// A literal.
    Value(Value),
    /// `if_not_exists(path, operand)`.
    IfNotExists(Path, Box<UpdateOperand>),
    /// `list_append(a, b)`.
    ListAppend(Box<UpdateOperand>, Box<UpdateOperand>),
}

/// The right-hand side of a `SET` action; see [`UpdateAction`]'s example.
#[derive(Debug, Clone, PartialEq)]
pub enum SetValue {
    /// `path = operand`.
    Operand(UpdateOperand),
    /// `path = a + b` (numbers).
    Plus(UpdateOperand, UpdateOperand),
    /// `path = a - b` (numbers).
    Minus(UpdateOperand, UpdateOperand),
}

/// One update action.
///
/// ```
/// use monotable_core::expr::{SetValue, Update, UpdateAction, UpdateOperand};
/// use monotable_core::Path;
/// let update = Update::new().set("name", "Ada").increment("visits", 1).remove("draft");
/// let ada = UpdateOperand::Value("Ada".into());
/// let name = UpdateAction::Set(Path::attr("name"), SetValue::Operand(ada));
/// let (visits, one) = (UpdateOperand::Path(Path::attr("visits")), UpdateOperand::Value(1.into()));
/// let visits = UpdateAction::Set(Path::attr("visits"), SetValue::Plus(visits, one));
/// assert_eq!(update.actions, [name, visits, UpdateAction::Remove(Path::attr("draft"))]);
/// assert_eq!(update.actions[2].path().root(), "draft");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum UpdateAction {
    /// `SET path = value`.
    Set(Path, SetValue),
    /// `REMOVE path`.
    Remove(Path),
    /// `ADD path value`: add to a number, or union into a set.
    Add(Path, Value),
    /// `DELETE path value`: remove members from a set.
    Delete(Path, Value),
}

impl UpdateAction {
    /// The path the action writes.
    pub fn path(&self) -> &Path {
        match self {
            UpdateAction::Set(p, _)
            | UpdateAction::Remove(p)
            | UpdateAction::Add(p, _)
            | UpdateAction::Delete(p, _) => p,
        }
    }
}

/// An update (`UpdateExpression`): a list of actions applied at once, every right-hand side
/// reading the item as it was before.
///
/// ```
/// use monotable_core::raw::eval::apply_update;
/// use monotable_core::{Item, Update, Value};
/// let key = Item::new().with("pk", "USER#u1");
/// let old = key.clone().with("visits", 1).with("draft", true);
/// let update = Update::new().set("name", "Ada").add("visits", 1).remove("draft");
/// let new = apply_update(Some(&old), &key, &update)?.item;
/// assert_eq!(new, key.with("name", "Ada").with("visits", 2));
/// # Ok::<(), monotable_core::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Update {
    /// The actions, in order.
    pub actions: Vec<UpdateAction>,
}

impl Update {
    /// No actions.
    pub fn new() -> Self {
        Update::default()
    }

    /// Adds any action.
    pub fn action(mut self, action: UpdateAction) -> Self {
        self.actions.push(action);
        self
    }

    /// `SET path = value`. With a field's [`TypedPath`](crate::expr::TypedPath) constant
    /// (`User::AGE`), the value must convert to the field's type.
    pub fn set<P: PathOf>(self, path: P, value: impl FieldValue<P::Value>) -> Self {
        self.action(UpdateAction::Set(
            path.into_path(),
            SetValue::Operand(UpdateOperand::Value(value.into_value())),
        ))
    }

    /// `SET path = if_not_exists(path, value)`; typed as [`Update::set`].
    ///
    /// ```
    /// use monotable_core::raw::eval::apply_update;
    /// use monotable_core::{Item, Update};
    /// let key = Item::new().with("pk", "USER#u1");
    /// let first_seen = Update::new().set_if_not_exists("since", "2024-05-01");
    /// let once = apply_update(None, &key, &first_seen)?.item;
    /// let again = Update::new().set_if_not_exists("since", "2025-01-01");
    /// let twice = apply_update(Some(&once), &key, &again)?.item;
    /// assert_eq!(twice.get("since"), Some(&"2024-05-01".into()));
    /// # Ok::<(), monotable_core::Error>(())
    /// ```
    pub fn set_if_not_exists<P: PathOf>(self, path: P, value: impl FieldValue<P::Value>) -> Self {
        let path = path.into_path();
        self.action(UpdateAction::Set(
            path.clone(),
            SetValue::Operand(UpdateOperand::IfNotExists(
                path,
                Box::new(UpdateOperand::Value(value.into_value())),
            )),
        ))
    }

    /// `SET path = value` for any serde-serializable value (a struct, a map, a list, an
    /// `f64`…), converted through `serde_dynamo`.
    ///
    /// # Errors
    ///
    /// [`crate::Error::Encode`] if the value cannot be converted.
    ///
    /// ```
    /// use monotable_core::raw::eval::apply_update;
    /// use monotable_core::{Item, Update, Value};
    /// #[derive(serde::Serialize)]
    /// struct Address { city: String, zip: String }
    /// let home = Address { city: "Paris".into(), zip: "75001".into() };
    /// let update = Update::new().set_serialized("address", &home)?;
    /// let key = Item::new().with("pk", "USER#u1");
    /// let new = apply_update(None, &key, &update)?.item;
    /// let Some(Value::M(address)) = new.get("address") else { panic!("a map") };
    /// assert_eq!(address.get("city"), Some(&Value::from("Paris")));
    /// # Ok::<(), monotable_core::Error>(())
    /// ```
    pub fn set_serialized<T: serde::Serialize + ?Sized>(
        self,
        path: impl Into<Path>,
        value: &T,
    ) -> crate::Result<Self> {
        Ok(self.set(path.into(), Value::from_serialize(value)?))
    }

    /// `SET path = list_append(path, values)`; the list must exist.
    ///
    /// ```
    /// use monotable_core::raw::eval::apply_update;
    /// use monotable_core::{Item, Update, Value};
    /// let key = Item::new().with("pk", "LOG#1");
    /// let old = key.clone().with("events", vec![Value::from("created")]);
    /// let update = Update::new().append("events", vec!["paid".into()]);
    /// let new = apply_update(Some(&old), &key, &update)?.item;
    /// assert_eq!(new.get("events"), Some(&Value::L(vec!["created".into(), "paid".into()])));
    /// # Ok::<(), monotable_core::Error>(())
    /// ```
    pub fn append(self, path: impl Into<Path>, values: Vec<Value>) -> Self {
        let path = path.into();
        self.action(UpdateAction::Set(
            path.clone(),
            SetValue::Operand(UpdateOperand::ListAppend(
                Box::new(UpdateOperand::Path(path)),
                Box::new(UpdateOperand::Value(Value::L(values))),
            )),
        ))
    }

    /// `SET path = path + n`; the attribute must exist (use [`Update::add`] otherwise).
    ///
    /// ```
    /// use monotable_core::raw::eval::apply_update;
    /// use monotable_core::{Item, Update};
    /// let key = Item::new().with("pk", "COUNTER#1");
    /// let bump = Update::new().increment("n", 1);
    /// assert!(apply_update(None, &key, &bump).is_err()); // no n to add to
    /// let new = apply_update(Some(&key.clone().with("n", 41)), &key, &bump)?.item;
    /// assert_eq!(new.get("n"), Some(&42.into()));
    /// # Ok::<(), monotable_core::Error>(())
    /// ```
    pub fn increment(self, path: impl Into<Path>, n: impl Into<Value>) -> Self {
        let path = path.into();
        self.action(UpdateAction::Set(
            path.clone(),
            SetValue::Plus(UpdateOperand::Path(path), UpdateOperand::Value(n.into())),
        ))
    }

    /// `REMOVE path`.
    pub fn remove(self, path: impl Into<Path>) -> Self {
        self.action(UpdateAction::Remove(path.into()))
    }

    /// `ADD path value`.
    pub fn add(self, path: impl Into<Path>, value: impl Into<Value>) -> Self {
        self.action(UpdateAction::Add(path.into(), value.into()))
    }

    /// `DELETE path set`.
    pub fn delete(self, path: impl Into<Path>, set: impl Into<Value>) -> Self {
        self.action(UpdateAction::Delete(path.into(), set.into()))
    }

    /// True if there are no actions.
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }
}

/// Builds a string set value.
///
/// ```
/// use monotable_core::raw::eval::apply_update;
/// use monotable_core::expr::{number_set, string_set};
/// use monotable_core::{Item, Update};
/// let key = Item::new().with("pk", "POST#1");
/// let old = key.clone().with("tags", string_set(["rust", "draft"]));
/// let update = Update::new()
///     .add("tags", string_set(["db"]))
///     .delete("tags", string_set(["draft"]));
/// let new = apply_update(Some(&old), &key, &update)?.item;
/// assert_eq!(new.get("tags"), Some(&string_set(["db", "rust"])));
/// assert_eq!(number_set([3, 1, 3]), number_set([1, 3])); // a set: no order, no repeats
/// # Ok::<(), monotable_core::Error>(())
/// ```
pub fn string_set<S: Into<String>>(members: impl IntoIterator<Item = S>) -> Value {
    Value::Ss(members.into_iter().map(Into::into).collect())
}

/// Builds a number set value; see [`string_set`]'s example.
pub fn number_set<N: Into<crate::Number>>(members: impl IntoIterator<Item = N>) -> Value {
    Value::Ns(members.into_iter().map(Into::into).collect())
}
