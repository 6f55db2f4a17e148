//! The one evaluator of the expression AST, shared by every backend that evaluates
//! expressions itself: conditions and filters, updates and projections, with DynamoDB's
//! semantics and error texts.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use crate::error::{Error, Result};
use crate::expr::check::{check_update_expression, compare_values};
use crate::expr::{
    Comparator, Condition, Operand, Path, PathElement, SetValue, Update, UpdateAction,
    UpdateOperand,
};
use crate::item::Number;
use crate::item::{Item, Value, ValueType};
use crate::schema::TableSchema;

/// The value at `path` in `item`, if present.
pub fn resolve<'a>(item: &'a Item, path: &Path) -> Option<&'a Value> {
    let mut v = item.get(path.root())?;
    for e in path.rest() {
        v = match (e, v) {
            (PathElement::Key(k), Value::M(m)) => m.get(k.as_ref())?,
            (PathElement::Index(i), Value::L(l)) => l.get(*i)?,
            _ => return None,
        };
    }
    Some(v)
}

enum Resolved<'a> {
    Missing,
    Value(std::borrow::Cow<'a, Value>),
}

fn operand<'a>(o: &'a Operand, item: &'a Item) -> Resolved<'a> {
    use std::borrow::Cow;
    match o {
        Operand::Value(v) => Resolved::Value(Cow::Borrowed(v)),
        Operand::Path(p) => match resolve(item, p) {
            Some(v) => Resolved::Value(Cow::Borrowed(v)),
            None => Resolved::Missing,
        },
        Operand::Size(p) => match resolve(item, p).and_then(size_of) {
            Some(n) => Resolved::Value(Cow::Owned(Value::from(n))),
            None => Resolved::Missing,
        },
    }
}

/// `size()`: UTF-16 code units of a string (as DynamoDB Local measures), bytes of binary,
/// members of a set, elements of a list or map; `None` for other types.
pub fn size_of(v: &Value) -> Option<usize> {
    Some(match v {
        Value::S(s) => s.encode_utf16().count(),
        Value::B(b) => b.len(),
        Value::Ss(s) => s.len(),
        Value::Ns(s) => s.len(),
        Value::Bs(s) => s.len(),
        Value::L(l) => l.len(),
        Value::M(m) => m.len(),
        _ => return None,
    })
}

/// Evaluates a condition against an item (an absent item is an empty one). Call
/// [`check_condition`](crate::expr::check::check_condition) first.
///
/// ```
/// use monotable_core::raw::eval::evaluate;
/// use monotable_core::{Item, Path};
/// let order = Item::from([("phase", "open")]).with("total", 25);
/// let big_and_open = Path::attr("phase").eq("open").and(Path::attr("total").gt(20));
/// assert!(evaluate(&big_and_open, &order));
/// // A comparison with an absent attribute is false; an absent item has no attributes.
/// assert!(!evaluate(&Path::attr("discount").lt(1), &order));
/// assert!(evaluate(&Path::attr("pk").not_exists(), &Item::new()));
/// ```
pub fn evaluate(cond: &Condition, item: &Item) -> bool {
    match cond {
        Condition::Compare { left, op, right } => {
            match (operand(left, item), operand(right, item)) {
                (Resolved::Value(a), Resolved::Value(b)) => match op {
                    Comparator::Eq => a == b,
                    Comparator::Ne => a != b,
                    _ => match compare_values(&a, &b) {
                        Some(o) => match op {
                            Comparator::Lt => o == Ordering::Less,
                            Comparator::Le => o != Ordering::Greater,
                            Comparator::Gt => o == Ordering::Greater,
                            Comparator::Ge => o != Ordering::Less,
                            Comparator::Eq | Comparator::Ne => unreachable!(),
                        },
                        None => false,
                    },
                },
                _ => *op == Comparator::Ne,
            }
        }
        Condition::Between { value, low, high } => {
            match (
                operand(value, item),
                operand(low, item),
                operand(high, item),
            ) {
                (Resolved::Value(v), Resolved::Value(l), Resolved::Value(h)) => {
                    matches!(
                        compare_values(&v, &l),
                        Some(Ordering::Greater | Ordering::Equal)
                    ) && matches!(
                        compare_values(&v, &h),
                        Some(Ordering::Less | Ordering::Equal)
                    )
                }
                _ => false,
            }
        }
        Condition::In { value, list } => match operand(value, item) {
            Resolved::Value(v) => list.iter().any(|o| match operand(o, item) {
                Resolved::Value(c) => c == v,
                Resolved::Missing => false,
            }),
            Resolved::Missing => false,
        },
        Condition::BeginsWith { path, prefix } => {
            match (resolve(item, path), operand(prefix, item)) {
                (Some(Value::S(s)), Resolved::Value(p)) => {
                    matches!(p.as_ref(), Value::S(p) if s.as_bytes().starts_with(p.as_bytes()))
                }
                (Some(Value::B(b)), Resolved::Value(p)) => {
                    matches!(p.as_ref(), Value::B(p) if b.starts_with(p))
                }
                _ => false,
            }
        }
        Condition::Contains { path, operand: o } => {
            let (Some(v), Resolved::Value(x)) = (resolve(item, path), operand(o, item)) else {
                return false;
            };
            match (v, x.as_ref()) {
                (Value::S(s), Value::S(sub)) => s.contains(sub.as_str()),
                (Value::B(b), Value::B(sub)) => {
                    sub.is_empty() || b.windows(sub.len()).any(|w| w == sub.as_slice())
                }
                (Value::Ss(set), Value::S(m)) => set.contains(m),
                (Value::Ns(set), Value::N(m)) => set.contains(m),
                (Value::Bs(set), Value::B(m)) => set.contains(m),
                (Value::L(l), x) => l.contains(x),
                _ => false,
            }
        }
        Condition::AttributeExists(p) => resolve(item, p).is_some(),
        Condition::AttributeNotExists(p) => resolve(item, p).is_none(),
        Condition::AttributeType { path, value_type } => {
            let expected = match value_type {
                Operand::Value(Value::S(name)) => ValueType::from_name(name),
                _ => None,
            };
            matches!((resolve(item, path), expected), (Some(v), Some(t)) if v.value_type() == t)
        }
        Condition::And(a, b) => evaluate(a, item) && evaluate(b, item),
        Condition::Or(a, b) => evaluate(a, item) || evaluate(b, item),
        Condition::Not(a) => !evaluate(a, item),
    }
}

// ---- updates -------------------------------------------------------------------------------

const INVALID_PATH: &str =
    "The document path provided in the update expression is invalid for update";
const BAD_TYPE: &str = "An operand in the update expression has an incorrect data type";
const MISSING_OPERAND: &str =
    "The provided expression refers to an attribute that does not exist in the item";

/// The outcome of applying an update; see [`apply_update`]'s example.
#[derive(Debug, Clone)]
pub struct Updated {
    /// The item after the update.
    pub item: Item,
    /// The top-level attributes the update wrote (for `UPDATED_OLD`): a REMOVE of a path
    /// the item lacked writes nothing.
    pub touched: BTreeSet<String>,
    /// The top-level attributes `UPDATED_NEW` returns: those an action other than REMOVE
    /// wrote (after a REMOVE, even of a nested path, DynamoDB Local returns nothing for it;
    /// R128).
    pub touched_new: BTreeSet<String>,
}
/// Checks an update before it is applied: key attributes untouched, no overlapping paths,
/// operand types DynamoDB rejects whatever the item, path depth.
pub fn check_update(schema: &TableSchema, update: &Update) -> Result<()> {
    check_update_expression(update)?;
    check_update_keys(schema, update)
}

/// Fails if the update writes one of the table's key attributes.
pub fn check_update_keys(schema: &TableSchema, update: &Update) -> Result<()> {
    for action in &update.actions {
        let root = action.path().root();
        if schema.is_key_attribute(root) {
            return Err(Error::invalid(format!(
                "One or more parameter values were invalid: Cannot update attribute {root}. This attribute is part of the key"
            )));
        }
    }
    Ok(())
}

fn eval_update_operand(o: &UpdateOperand, old: &Item) -> Result<Value> {
    match o {
        UpdateOperand::Value(v) => Ok(v.clone()),
        UpdateOperand::Path(p) => resolve(old, p)
            .cloned()
            .ok_or_else(|| Error::invalid(MISSING_OPERAND)),
        // DynamoDB evaluates the fallback even when the attribute exists.
        UpdateOperand::IfNotExists(p, v) => {
            let fallback = eval_update_operand(v, old)?;
            Ok(resolve(old, p).cloned().unwrap_or(fallback))
        }
        UpdateOperand::ListAppend(a, b) => {
            match (eval_update_operand(a, old)?, eval_update_operand(b, old)?) {
                (Value::L(mut x), Value::L(y)) => {
                    x.extend(y);
                    Ok(Value::L(x))
                }
                _ => Err(Error::invalid(BAD_TYPE)),
            }
        }
    }
}

/// `x + y` (or `x - y`), exactly; DynamoDB's message if the result does not fit (more than
/// 38 digits is reported before a magnitude out of range, as DynamoDB Local does).
fn arithmetic(x: &Number, y: &Number, subtract: bool) -> Result<Number> {
    let r = if subtract {
        x.checked_sub(y)
    } else {
        x.checked_add(y)
    };
    r.map_err(|e| Error::invalid(e.to_string()))
}

fn eval_set_value(sv: &SetValue, old: &Item) -> Result<Value> {
    match sv {
        SetValue::Operand(o) => eval_update_operand(o, old),
        SetValue::Plus(a, b) | SetValue::Minus(a, b) => {
            match (eval_update_operand(a, old)?, eval_update_operand(b, old)?) {
                (Value::N(x), Value::N(y)) => {
                    arithmetic(&x, &y, matches!(sv, SetValue::Minus(..))).map(Value::N)
                }
                _ => Err(Error::invalid(BAD_TYPE)),
            }
        }
    }
}

/// The container that holds the last step of `path` (the item's top level is a map).
fn parent_mut<'a>(
    item: &'a mut BTreeMap<String, Value>,
    path: &Path,
) -> Result<Option<&'a mut Value>> {
    let rest = path.rest();
    if rest.is_empty() {
        return Ok(None);
    }
    let mut v = item
        .get_mut(path.root())
        .ok_or_else(|| Error::invalid(INVALID_PATH))?;
    for e in &rest[..rest.len() - 1] {
        v = match (e, v) {
            (PathElement::Key(k), Value::M(m)) => m.get_mut(k.as_ref()),
            (PathElement::Index(i), Value::L(l)) => l.get_mut(*i),
            _ => None,
        }
        .ok_or_else(|| Error::invalid(INVALID_PATH))?;
    }
    Ok(Some(v))
}

/// True if the container of a nested path's last step exists in `item` with the right type.
fn has_container(item: &Item, path: &Path) -> bool {
    let rest = path.rest();
    let Some((last, inner)) = rest.split_last() else {
        return true;
    };
    let mut v = item.get(path.root());
    for e in inner {
        v = match (e, v) {
            (PathElement::Key(k), Some(Value::M(m))) => m.get(k.as_ref()),
            (PathElement::Index(i), Some(Value::L(l))) => l.get(*i),
            _ => None,
        };
    }
    matches!(
        (last, v),
        (PathElement::Key(_), Some(Value::M(_))) | (PathElement::Index(_), Some(Value::L(_)))
    )
}

fn last(path: &Path) -> PathElement {
    path.rest()
        .last()
        .cloned()
        .unwrap_or_else(|| PathElement::Key(path.root().to_string().into()))
}

fn current(item: &mut BTreeMap<String, Value>, path: &Path) -> Result<Option<Value>> {
    if path.rest().is_empty() {
        return Ok(item.get(path.root()).cloned());
    }
    let parent = parent_mut(item, path)?.ok_or_else(|| Error::invalid(INVALID_PATH))?;
    match (last(path), parent) {
        (PathElement::Key(k), Value::M(m)) => Ok(m.get(k.as_ref()).cloned()),
        (PathElement::Index(i), Value::L(l)) => Ok(l.get(i).cloned()),
        _ => Err(Error::invalid(INVALID_PATH)),
    }
}

fn set_at(item: &mut BTreeMap<String, Value>, path: &Path, value: Value) -> Result<()> {
    match parent_mut(item, path)? {
        None => {
            item.insert(path.root().to_string(), value);
        }
        Some(parent) => match (last(path), parent) {
            (PathElement::Key(k), Value::M(m)) => {
                m.insert(k.to_string(), value);
            }
            (PathElement::Index(i), Value::L(l)) => {
                if i < l.len() {
                    l[i] = value;
                } else {
                    l.push(value);
                }
            }
            _ => return Err(Error::invalid(INVALID_PATH)),
        },
    }
    Ok(())
}

fn remove_at(item: &mut BTreeMap<String, Value>, path: &Path) -> Result<()> {
    match parent_mut(item, path)? {
        None => {
            item.remove(path.root());
        }
        Some(parent) => match (last(path), parent) {
            (PathElement::Key(k), Value::M(m)) => {
                m.remove(k.as_ref());
            }
            (PathElement::Index(i), Value::L(l)) => {
                if i < l.len() {
                    l.remove(i);
                }
            }
            _ => return Err(Error::invalid(INVALID_PATH)),
        },
    }
    Ok(())
}

/// Applies an update to `old` (or, for an upsert, to an item made of `key` alone), reading
/// every right-hand side from the item as it was. Call [`check_update`] first. The result is
/// not yet checked against the item limits.
///
/// ```
/// use monotable_core::raw::eval::apply_update;
/// use monotable_core::{Item, Update};
/// let key = Item::from([("pk", "COUNTER#visits")]);
/// let update = Update::new().add("n", 2).set("seen", "2024-05-01").remove("draft");
/// let old = key.clone().with("n", 1).with("draft", true);
/// let out = apply_update(Some(&old), &key, &update)?;
/// assert_eq!(out.item, key.clone().with("n", 3).with("seen", "2024-05-01"));
/// assert_eq!(out.touched.len(), 3); // UPDATED_OLD: n, seen, draft
/// assert_eq!(out.touched_new.len(), 2); // UPDATED_NEW: n, seen
/// // On no item (an upsert), the update starts from the key.
/// let fresh = apply_update(None, &key, &update)?.item;
/// assert_eq!(fresh, key.clone().with("n", 2).with("seen", "2024-05-01"));
/// # Ok::<(), monotable_core::Error>(())
/// ```
pub fn apply_update(old: Option<&Item>, key: &Item, update: &Update) -> Result<Updated> {
    let before = old.cloned().unwrap_or_else(|| key.clone());
    // Right-hand sides first, all against the old item; a nested target must have its
    // container there, which DynamoDB checks before it reads the action's operands.
    let mut sets = Vec::new();
    for action in &update.actions {
        if let UpdateAction::Set(p, sv) = action {
            if !has_container(&before, p) {
                return Err(Error::invalid(INVALID_PATH));
            }
            sets.push((p, eval_set_value(sv, &before)?));
        }
    }
    let mut item = before.clone().into_inner();
    for (p, v) in sets {
        set_at(&mut item, p, v)?;
    }
    // REMOVE: list indexes refer to the original positions, so remove the highest first.
    let mut removes: Vec<&Path> = update
        .actions
        .iter()
        .filter_map(|a| match a {
            UpdateAction::Remove(p) => Some(p),
            _ => None,
        })
        .collect();
    removes.sort_by_key(|p| match p.rest().last() {
        Some(PathElement::Index(i)) => std::cmp::Reverse(*i),
        _ => std::cmp::Reverse(usize::MAX),
    });
    for p in removes {
        remove_at(&mut item, p)?;
    }
    for action in &update.actions {
        match action {
            UpdateAction::Add(p, v) => {
                let merged = match (current(&mut item, p)?, v) {
                    (None, v) => v.clone(),
                    (Some(Value::N(a)), Value::N(b)) => Value::N(arithmetic(&a, b, false)?),
                    (Some(Value::Ss(a)), Value::Ss(b)) => Value::Ss(a.union(b).cloned().collect()),
                    (Some(Value::Ns(a)), Value::Ns(b)) => Value::Ns(a.union(b).cloned().collect()),
                    (Some(Value::Bs(a)), Value::Bs(b)) => Value::Bs(a.union(b).cloned().collect()),
                    _ => return Err(Error::invalid(BAD_TYPE)),
                };
                set_at(&mut item, p, merged)?;
            }
            UpdateAction::Delete(p, v) => {
                let remaining = match (current(&mut item, p)?, v) {
                    (None, _) => continue,
                    (Some(Value::Ss(a)), Value::Ss(b)) => {
                        Value::Ss(a.difference(b).cloned().collect())
                    }
                    (Some(Value::Ns(a)), Value::Ns(b)) => {
                        Value::Ns(a.difference(b).cloned().collect())
                    }
                    (Some(Value::Bs(a)), Value::Bs(b)) => {
                        Value::Bs(a.difference(b).cloned().collect())
                    }
                    _ => return Err(Error::invalid(BAD_TYPE)),
                };
                let empty = matches!(&remaining, Value::Ss(s) if s.is_empty())
                    || matches!(&remaining, Value::Ns(s) if s.is_empty())
                    || matches!(&remaining, Value::Bs(s) if s.is_empty());
                if empty {
                    remove_at(&mut item, p)?;
                } else {
                    set_at(&mut item, p, remaining)?;
                }
            }
            _ => {}
        }
    }
    // A REMOVE of a path the item did not have updates nothing: its attribute is not
    // returned by UPDATED_OLD/UPDATED_NEW (DynamoDB Local, found by the fuzzer).
    let touched = update
        .actions
        .iter()
        .filter(|a| !matches!(a, UpdateAction::Remove(p) if resolve(&before, p).is_none()))
        .map(|a| a.path().root().to_string())
        .collect();
    let touched_new = update
        .actions
        .iter()
        .filter(|a| !matches!(a, UpdateAction::Remove(_)))
        .map(|a| a.path().root().to_string())
        .collect();
    Ok(Updated {
        item: Item::from(item),
        touched,
        touched_new,
    })
}

#[derive(Default)]
struct Tree {
    leaf: bool,
    keys: BTreeMap<String, Tree>,
    indexes: BTreeMap<usize, Tree>,
}

fn pick(v: &Value, t: &Tree) -> Option<Value> {
    if t.leaf {
        return Some(v.clone());
    }
    match v {
        Value::M(m) if !t.keys.is_empty() => {
            let out: BTreeMap<String, Value> = t
                .keys
                .iter()
                .filter_map(|(k, sub)| Some((k.clone(), pick(m.get(k)?, sub)?)))
                .collect();
            (!out.is_empty()).then_some(Value::M(out))
        }
        Value::L(l) if !t.indexes.is_empty() => {
            let out: Vec<Value> = t
                .indexes
                .iter()
                .filter_map(|(i, sub)| pick(l.get(*i)?, sub))
                .collect();
            (!out.is_empty()).then_some(Value::L(out))
        }
        _ => None,
    }
}

/// The parts of `item` named by `paths`: nested paths keep their enclosing maps and lists
/// (`l[1]` gives a list holding only the second element).
pub fn project(item: &Item, paths: &[Path]) -> Item {
    let mut root: BTreeMap<String, Tree> = BTreeMap::new();
    for p in paths {
        let mut t = root.entry(p.root().to_string()).or_default();
        for e in p.rest() {
            t = match e {
                PathElement::Key(k) => t.keys.entry(k.to_string()).or_default(),
                PathElement::Index(i) => t.indexes.entry(*i).or_default(),
            };
        }
        t.leaf = true;
    }
    root.iter()
        .filter_map(|(k, t)| Some((k.clone(), pick(item.get(k)?, t)?)))
        .collect::<BTreeMap<_, _>>()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::Path;

    fn item() -> Item {
        Item::from_json(&serde_json::json!({
            "pk": {"S": "p"}, "n": {"N": "5"}, "s": {"S": "hello"},
            "l": {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}]},
            "m": {"M": {"a": {"N": "1"}, "b": {"N": "2"}}},
            "ss": {"SS": ["x", "y"]}
        }))
        .unwrap()
    }

    #[test]
    fn conditions() {
        let i = item();
        assert!(evaluate(&Path::attr("n").eq(5), &i));
        assert!(!evaluate(&Path::attr("n").eq("5"), &i));
        assert!(evaluate(&Path::attr("n").ne("5"), &i));
        assert!(evaluate(&Path::attr("nope").ne(1), &i));
        assert!(!evaluate(&Path::attr("nope").lt(1), &i));
        assert!(evaluate(&Path::attr("s").begins_with("he"), &i));
        assert!(evaluate(&Path::attr("l").index(1).eq("b"), &i));
        assert!(evaluate(&Path::attr("l").index(9).not_exists(), &i));
        assert!(evaluate(&Path::attr("ss").contains("x"), &i));
        assert!(evaluate(&Path::attr("l").size().eq(3), &i));
        assert!(evaluate(&Path::attr("m").key("a").between(0, 1), &i));
    }

    #[test]
    fn updates_read_old_values_and_remove_by_original_index() {
        let schema = TableSchema::new("t_t", crate::KeyAttribute::s("pk"));
        let u = Update::new()
            .action(UpdateAction::Set(
                Path::attr("copy"),
                SetValue::Operand(UpdateOperand::Path(Path::attr("n"))),
            ))
            .set("n", 7)
            .remove(Path::attr("l").index(0))
            .remove(Path::attr("l").index(2));
        check_update(&schema, &u).unwrap();
        let out = apply_update(Some(&item()), &Item::new(), &u).unwrap();
        assert_eq!(out.item["copy"], Value::from(5));
        assert_eq!(out.item["n"], Value::from(7));
        assert_eq!(out.item["l"], Value::L(vec!["b".into()]));
        let overlap = Update::new().set("m", 1).remove(Path::attr("m").key("a"));
        assert!(check_update(&schema, &overlap).is_err());
        assert!(check_update(&schema, &Update::new().set("pk", "x")).is_err());
    }

    #[test]
    fn projection_keeps_structure() {
        let out = project(
            &item(),
            &[Path::attr("l").index(1), Path::attr("m").key("b")],
        );
        assert_eq!(out["l"], Value::L(vec!["b".into()]));
        assert_eq!(
            out["m"],
            Value::M([("b".to_string(), Value::from(2))].into())
        );
    }
}
