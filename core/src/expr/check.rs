//! Checks of an expression on its own, before any item is read: what DynamoDB rejects
//! whatever the item holds (path depth, `IN` operand counts, operand types, overlapping
//! paths). The parser runs them on what it parses; the engine runs them on every request.

use std::cmp::Ordering;

use crate::error::{Error, Result};
use crate::expr::ast::{
    Comparator, Condition, Operand, Path, PathElement, SetValue, Update, UpdateAction,
    UpdateOperand,
};
use crate::item::check_value;
use crate::item::{Value, ValueType};

/// Deepest document path DynamoDB accepts.
pub const MAX_PATH_DEPTH: usize = 32;
/// Most operands of `IN`.
pub const MAX_IN_OPERANDS: usize = 100;

/// Formats a path as DynamoDB's messages do: `[m, a]`, `[l, [0]]`.
pub fn path_for_message(path: &Path) -> String {
    let parts: Vec<String> = path
        .elements()
        .into_iter()
        .map(|e| match e {
            PathElement::Key(k) => k.to_string(),
            PathElement::Index(i) => format!("[{i}]"),
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

fn is_ordered(t: ValueType) -> bool {
    matches!(t, ValueType::S | ValueType::N | ValueType::B)
}

/// Orders two values of the same ordered type (S by bytes, N by value, B by unsigned bytes).
pub fn compare_values(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::S(x), Value::S(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (Value::N(x), Value::N(y)) => Some(x.cmp(y)),
        (Value::B(x), Value::B(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn type_label(v: &Value) -> &'static str {
    v.value_type().name()
}

fn operand_error(clause: &str, function: &str, v: &Value) -> Error {
    Error::invalid(format!(
        "Invalid {clause}: Incorrect operand type for operator or function; operator or function: {function}, operand type: {}",
        type_label(v)
    ))
}

/// Checks a condition before it is evaluated: what DynamoDB rejects whatever the item
/// (`IN` with over 100 operands, ordered comparison of unordered constants, inverted or
/// mixed-type constant `BETWEEN` bounds, bad `attribute_type` names, too deep paths).
/// `clause` names the expression in messages (`ConditionExpression`, `FilterExpression`).
///
/// ```
/// use monotable_core::expr::check::check_condition;
/// use monotable_core::{Error, Path};
/// let ok = Path::attr("status").is_in(["new", "paid"]);
/// assert!(check_condition(&ok, "ConditionExpression").is_ok());
/// let too_many = Path::attr("id").is_in(0..101); // IN takes at most 100 operands
/// let refused = check_condition(&too_many, "FilterExpression");
/// let Err(Error::InvalidRequest { message }) = refused else { panic!("{refused:?}") };
/// assert!(message.starts_with("Invalid FilterExpression"));
/// ```
pub fn check_condition(cond: &Condition, clause: &str) -> Result<()> {
    for p in cond.paths() {
        check_path_depth(p, clause)?;
    }
    check_node(cond, clause)
}

fn check_path_depth(p: &Path, clause: &str) -> Result<()> {
    if p.len() > MAX_PATH_DEPTH {
        return Err(Error::invalid(format!(
            "Invalid {clause}: The document path has too many nesting levels; nesting levels: {}",
            p.len()
        )));
    }
    Ok(())
}

fn check_node(cond: &Condition, clause: &str) -> Result<()> {
    let constant = |o: &Operand| match o {
        Operand::Value(v) => Some(v.clone()),
        _ => None,
    };
    match cond {
        Condition::Compare { left, op, right } => {
            if let (Operand::Path(p), true) = (left, left == right) {
                return Err(Error::invalid(format!(
                    "Invalid {clause}: The first operand must be distinct from the remaining operands for this operator or function; operator: {}, first operand: {}",
                    op.symbol(),
                    path_for_message(p)
                )));
            }
            if !matches!(op, Comparator::Eq | Comparator::Ne) {
                for v in [constant(left), constant(right)].into_iter().flatten() {
                    if !is_ordered(v.value_type()) {
                        return Err(operand_error(clause, op.symbol(), &v));
                    }
                }
            }
            Ok(())
        }
        Condition::Between { value, low, high } => {
            distinct_first_operand(clause, "BETWEEN", value, [low, high])?;
            for v in [constant(value), constant(low), constant(high)]
                .into_iter()
                .flatten()
            {
                if !is_ordered(v.value_type()) {
                    return Err(operand_error(clause, "BETWEEN", &v));
                }
            }
            if let (Some(l), Some(h)) = (constant(low), constant(high)) {
                if l.value_type() != h.value_type() {
                    return Err(Error::invalid(format!(
                        "Invalid {clause}: The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {}, upper bound operand: AttributeValue: {}",
                        short(&l), short(&h)
                    )));
                }
                match compare_values(&l, &h) {
                    Some(Ordering::Greater) => {
                        return Err(Error::invalid(format!(
                            "Invalid {clause}: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {}, upper bound operand: AttributeValue: {}",
                            short(&l), short(&h)
                        )))
                    }
                    None => return Err(operand_error(clause, "BETWEEN", &l)),
                    _ => {}
                }
            }
            if let Some(v) = constant(value) {
                if !is_ordered(v.value_type()) {
                    return Err(operand_error(clause, "BETWEEN", &v));
                }
            }
            Ok(())
        }
        Condition::In { value, list } => {
            if list.len() > MAX_IN_OPERANDS {
                return Err(Error::invalid(format!(
                    "Invalid {clause}: The IN operator is provided with too many operands; number of operands: {}",
                    list.len()
                )));
            }
            if list.is_empty() {
                return Err(Error::invalid(format!("Invalid {clause}: Syntax error; token: \")\"")));
            }
            distinct_first_operand(clause, "IN", value, list)
        }
        Condition::BeginsWith { path, prefix } => match (constant(prefix), prefix) {
            _ if *prefix == Operand::Path(path.clone()) => distinct_first_operand(
                clause,
                "begins_with",
                &Operand::Path(path.clone()),
                [prefix],
            ),
            (Some(v), _) if !matches!(v, Value::S(_) | Value::B(_)) => {
                Err(operand_error(clause, "begins_with", &v))
            }
            // size() is a number.
            (_, Operand::Size(_)) => Err(operand_error(clause, "begins_with", &Value::from(0))),
            _ => Ok(()),
        },
        Condition::Contains { path, operand } => {
            distinct_first_operand(clause, "contains", &Operand::Path(path.clone()), [operand])
        }
        Condition::AttributeExists(_)
        | Condition::AttributeNotExists(_) => Ok(()),
        Condition::AttributeType { value_type, .. } => match value_type {
            Operand::Value(Value::S(name)) => {
                if ValueType::from_name(name).is_some() {
                    Ok(())
                } else {
                    Err(Error::invalid(format!(
                        "Invalid {clause}: Invalid attribute type name found; type: {name}, valid types: {{N,BS,L,B,NULL,M,S,SS,NS,BOOL}}"
                    )))
                }
            }
            Operand::Value(v) => Err(operand_error(clause, "attribute_type", v)),
            _ => Err(Error::invalid(format!(
                "Invalid {clause}: Incorrect operand type for operator or function; operator or function: attribute_type"
            ))),
        },
        Condition::And(a, b) | Condition::Or(a, b) => {
            check_node(a, clause)?;
            check_node(b, clause)
        }
        Condition::Not(a) => check_node(a, clause),
    }
}

/// DynamoDB rejects `IN`, `contains` and `BETWEEN` whose first operand is a path that also
/// appears among the others.
fn distinct_first_operand<'a>(
    clause: &str,
    operator: &str,
    first: &Operand,
    rest: impl IntoIterator<Item = &'a Operand>,
) -> Result<()> {
    if let Operand::Path(p) = first {
        if rest.into_iter().any(|o| o == first) {
            return Err(Error::invalid(format!(
                "Invalid {clause}: The first operand must be distinct from the remaining operands for this operator or function; operator: {operator}, first operand: {}",
                path_for_message(p)
            )));
        }
    }
    Ok(())
}

/// How two document paths of one expression clash, if they do: one is a prefix of the other
/// (`overlap`), or they part where one reads a map key and the other a list index
/// (`conflict`).
fn clash(a: &Path, b: &Path) -> Option<&'static str> {
    let (x, y) = (a.elements(), b.elements());
    for (p, q) in x.iter().zip(y.iter()) {
        if p != q {
            return match (p, q) {
                (PathElement::Key(_), PathElement::Index(_))
                | (PathElement::Index(_), PathElement::Key(_)) => Some("conflict"),
                _ => None,
            };
        }
    }
    Some("overlap")
}

/// The first path that clashes with an earlier one, reported as DynamoDB Local does: the
/// earlier path, then the path that follows it in the expression (not counting the clashing
/// one), or the clashing one if none follows.
fn check_clashes(paths: &[&Path], clause: &str) -> Result<()> {
    for (j, p) in paths.iter().enumerate() {
        for (i, q) in paths[..j].iter().enumerate() {
            if let Some(kind) = clash(q, p) {
                let next = if i + 1 == j { j + 1 } else { i + 1 };
                let two = paths.get(next).unwrap_or(p);
                return Err(Error::invalid(format!(
                    "Invalid {clause}: Two document paths {kind} with each other; must remove or rewrite one of these paths; path one: {}, path two: {}",
                    path_for_message(q),
                    path_for_message(two)
                )));
            }
        }
    }
    Ok(())
}

/// An operand as DynamoDB Local prints it in a message (`{S:x}`, `{N:1}`, a binary as its
/// Java buffer).
pub(crate) fn short(v: &Value) -> String {
    match v {
        Value::S(s) => format!("{{S:{s}}}"),
        Value::N(n) => format!("{{N:{n}}}"),
        // DynamoDB Local prints the Java buffer that holds a binary value.
        Value::B(b) => format!(
            "{{B:java.nio.HeapByteBuffer[pos=0 lim={} cap={}]}}",
            b.len(),
            b.len()
        ),
        other => format!("{{{}:…}}", type_label(other)),
    }
}

fn type_word(v: &Value) -> &'static str {
    match v.value_type() {
        ValueType::S => "STRING",
        ValueType::N => "NUMBER",
        ValueType::B => "BINARY",
        ValueType::Bool => "BOOLEAN",
        ValueType::Null => "NULL",
        ValueType::L => "LIST",
        ValueType::M => "MAP",
        ValueType::Ss => "STRING_SET",
        ValueType::Ns => "NUMBER_SET",
        ValueType::Bs => "BINARY_SET",
    }
}

/// The checks of [`check_update`](crate::raw::eval::check_update) that do not depend on the table: not empty, no
/// overlapping paths, operand types, path depth.
///
/// ```
/// use monotable_core::expr::check::check_update_expression;
/// use monotable_core::{Path, Update};
/// assert!(check_update_expression(&Update::new().set("a", 1).remove("b")).is_ok());
/// let city = Path::attr("address").key("city");
/// let overlapping = Update::new().set("address", "x").remove(city);
/// assert!(check_update_expression(&overlapping).is_err());
/// assert!(check_update_expression(&Update::new()).is_err()); // empty
/// ```
pub fn check_update_expression(update: &Update) -> Result<()> {
    if update.actions.is_empty() {
        return Err(Error::invalid(
            "Invalid UpdateExpression: The expression can not be empty;",
        ));
    }
    let clause_order = |a: &UpdateAction| match a {
        UpdateAction::Set(..) => 0,
        UpdateAction::Remove(_) => 1,
        UpdateAction::Add(..) => 2,
        UpdateAction::Delete(..) => 3,
    };
    let mut ordered: Vec<&UpdateAction> = update.actions.iter().collect();
    ordered.sort_by_key(|a| clause_order(a));
    let paths: Vec<&Path> = ordered.iter().map(|a| a.path()).collect();
    for p in &paths {
        check_path_depth(p, "UpdateExpression")?;
    }
    check_clashes(&paths, "UpdateExpression")?;
    for action in ordered {
        match action {
            UpdateAction::Add(_, v) => {
                if !matches!(v, Value::N(_) | Value::Ss(_) | Value::Ns(_) | Value::Bs(_)) {
                    return Err(Error::invalid(format!(
                        "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: {}, typeSet: ALLOWED_FOR_ADD_OPERAND",
                        type_word(v)
                    )));
                }
                check_value(v)?;
            }
            UpdateAction::Delete(_, v) => {
                if !matches!(v, Value::Ss(_) | Value::Ns(_) | Value::Bs(_)) {
                    return Err(Error::invalid(format!(
                        "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: {}, typeSet: ALLOWED_FOR_DELETE_OPERAND",
                        type_word(v)
                    )));
                }
                check_value(v)?;
            }
            UpdateAction::Set(_, sv) => match sv {
                SetValue::Operand(o) => check_update_operand(o)?,
                SetValue::Plus(a, b) | SetValue::Minus(a, b) => {
                    for o in [a, b] {
                        check_update_operand(o)?;
                        if let UpdateOperand::Value(v) = o {
                            if !matches!(v, Value::N(_)) {
                                return Err(Error::invalid(format!(
                                    "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: {}, operand type: {}",
                                    if matches!(sv, SetValue::Plus(..)) { "+" } else { "-" },
                                    type_label(v)
                                )));
                            }
                        }
                    }
                }
            },
            UpdateAction::Remove(_) => {}
        }
    }
    Ok(())
}

fn check_update_operand(o: &UpdateOperand) -> Result<()> {
    match o {
        UpdateOperand::Path(p) => check_path_depth(p, "UpdateExpression"),
        UpdateOperand::Value(v) => check_value(v),
        UpdateOperand::IfNotExists(p, v) => {
            check_path_depth(p, "UpdateExpression")?;
            if matches!(v.as_ref(), UpdateOperand::Path(q) if q == p) {
                return Err(Error::invalid(format!(
                    "Invalid UpdateExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: if_not_exists, first operand: {}",
                    path_for_message(p)
                )));
            }
            check_update_operand(v)
        }
        UpdateOperand::ListAppend(a, b) => {
            for x in [a, b] {
                if let UpdateOperand::Value(v) = x.as_ref() {
                    if !matches!(v, Value::L(_)) {
                        return Err(Error::invalid(format!(
                            "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: {}",
                            type_label(v)
                        )));
                    }
                }
                check_update_operand(x)?;
            }
            Ok(())
        }
    }
}

// ---- projections ---------------------------------------------------------------------------

/// Checks a projection: not empty, no overlapping (or repeated) or conflicting paths.
///
/// ```
/// use monotable_core::expr::check::check_projection;
/// use monotable_core::Path;
/// assert!(check_projection(&[Path::attr("name"), Path::attr("age")]).is_ok());
/// assert!(check_projection(&[Path::attr("m"), Path::attr("m").key("a")]).is_err());
/// ```
pub fn check_projection(paths: &[Path]) -> Result<()> {
    if paths.is_empty() {
        return Err(Error::invalid(
            "Invalid ProjectionExpression: The expression can not be empty;",
        ));
    }
    for p in paths {
        check_path_depth(p, "ProjectionExpression")?;
    }
    check_clashes(&paths.iter().collect::<Vec<_>>(), "ProjectionExpression")
}
