//! DynamoDB's rules for a single value, whatever item or key it is in.

use crate::error::{Error, Result};
use crate::item::Value;

/// Most nested containers inside one top-level attribute (the attribute counts as one).
pub const MAX_NESTING: usize = 32;

/// Checks a value: no empty sets, no empty map keys, nesting within 32 levels.
pub fn check_value(v: &Value) -> Result<()> {
    check_nested(v, 1)
}

/// How many containers (lists and maps) the value's deepest path goes through: 0 for a
/// scalar, 1 for a flat list or map. [`check_value`] rejects `MAX_NESTING` or more.
pub fn container_depth(v: &Value) -> usize {
    match v {
        Value::L(l) => 1 + l.iter().map(container_depth).max().unwrap_or(0),
        Value::M(m) => 1 + m.values().map(container_depth).max().unwrap_or(0),
        _ => 0,
    }
}

fn check_nested(v: &Value, depth: usize) -> Result<()> {
    let too_deep = || {
        Error::invalid("Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit")
    };
    match v {
        Value::Ss(s) if s.is_empty() => Err(Error::invalid(
            "One or more parameter values were invalid: An string set  may not be empty",
        )),
        Value::Ns(s) if s.is_empty() => Err(Error::invalid(
            "One or more parameter values were invalid: An number set  may not be empty",
        )),
        Value::Bs(s) if s.is_empty() => Err(Error::invalid(
            "One or more parameter values were invalid: Binary sets should not be empty",
        )),
        Value::L(l) => {
            if depth > MAX_NESTING - 1 {
                return Err(too_deep());
            }
            l.iter().try_for_each(|x| check_nested(x, depth + 1))
        }
        Value::M(m) => {
            if depth > MAX_NESTING - 1 {
                return Err(too_deep());
            }
            for (k, x) in m {
                if k.is_empty() {
                    return Err(Error::invalid("Empty attribute name"));
                }
                check_nested(x, depth + 1)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}
