//! Checks shared by the operations, made before any storage is read.

use std::borrow::Cow;
use std::collections::BTreeSet;

use crate::error::{Error, Result};
use crate::expr::check;
use crate::expr::{Condition, Path, SetValue, Update, UpdateAction, UpdateOperand};
use crate::item::{Item, Value};
use crate::raw::eval;
use crate::raw::validate::{self, WriteKind};
use crate::repository::*;
use crate::schema::{IndexKind, IndexSchema, Projection, TableSchema};

pub(super) fn check_condition(c: &Option<Condition>) -> Result<()> {
    match c {
        Some(c) => check::check_condition(c, "ConditionExpression"),
        None => Ok(()),
    }
}

pub(super) fn check_projection(p: &Option<Vec<Path>>) -> Result<()> {
    match p {
        Some(p) => check::check_projection(p),
        None => Ok(()),
    }
}

pub(super) fn condition_holds(c: &Option<Condition>, old: Option<&Item>) -> bool {
    match c {
        None => true,
        Some(c) => eval::evaluate(c, old.unwrap_or(&Item::new())),
    }
}

/// Fails with [`Error::ConditionFailed`] (the old item in it if asked) unless `c` holds
/// on `old`.
pub(super) fn require_condition(
    c: &Option<Condition>,
    old: Option<&Item>,
    return_old: bool,
) -> Result<()> {
    if condition_holds(c, old) {
        Ok(())
    } else {
        Err(condition_failed(old.cloned(), return_old))
    }
}

pub(super) fn condition_failed(old: Option<Item>, return_old: bool) -> Error {
    Error::ConditionFailed {
        item: if return_old { old.map(Box::new) } else { None },
    }
}

/// The item, or the attributes of it the projection names (a new item).
pub(super) fn project<'a>(item: Cow<'a, Item>, projection: &Option<Vec<Path>>) -> Cow<'a, Item> {
    match projection {
        Some(p) => Cow::Owned(eval::project(&item, p)),
        None => item,
    }
}

pub(super) fn only_none_or_all_old(rv: ReturnValues) -> Result<()> {
    match rv {
        ReturnValues::None | ReturnValues::AllOld => Ok(()),
        _ => Err(Error::invalid("Return values set to invalid value")),
    }
}

pub(super) fn check_limit(limit: Option<u32>) -> Result<()> {
    match limit {
        Some(0) => Err(Error::invalid("Limit must be greater than or equal to 1")),
        _ => Ok(()),
    }
}

pub(super) fn select_touched(item: Option<Item>, touched: &BTreeSet<String>) -> Option<Item> {
    let item = item?;
    let out: Item = item
        .into_iter()
        .filter(|(k, _)| touched.contains(k))
        .collect();
    (!out.is_empty()).then_some(out)
}

pub(super) fn resolve_index<'a>(
    schema: &'a TableSchema,
    name: &Option<String>,
    consistent: bool,
) -> Result<Option<(usize, &'a IndexSchema)>> {
    match name {
        None => Ok(None),
        Some(n) => {
            let (i, index) = schema.index(n)?;
            if consistent && index.kind == IndexKind::Global {
                return Err(Error::invalid(
                    "Consistent reads are not supported on global secondary indexes",
                ));
            }
            Ok(Some((i, index)))
        }
    }
}

/// DynamoDB's check that no path reads into a key attribute of the table (`Key`) or of an
/// index (`IndexKey`) with `.` or `[]`. The first key attribute that some path misuses is
/// named, in DynamoDB Local's order: the table's keys, the local indexes', the global ones'.
pub(super) fn check_scalar_keys<'a>(
    schema: &TableSchema,
    paths: impl IntoIterator<Item = &'a Path>,
) -> Result<()> {
    let nested: Vec<&Path> = paths.into_iter().filter(|p| !p.rest().is_empty()).collect();
    if nested.is_empty() {
        return Ok(());
    }
    let table = schema.keys().map(|k| ("Key", k));
    let of_kind = |kind: IndexKind| {
        schema
            .indexes
            .iter()
            .filter(move |i| i.kind == kind)
            .flat_map(|i| i.keys())
            .map(|k| ("IndexKey", k))
    };
    let indexes = of_kind(IndexKind::Local).chain(of_kind(IndexKind::Global));
    for (label, key) in table.chain(indexes) {
        if nested.iter().any(|p| p.root() == key.name) {
            return Err(Error::invalid(format!(
                "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: {label}: {}",
                key.name
            )));
        }
    }
    Ok(())
}

/// An index key attribute holding a set, list, map, boolean or null is a request error, in a
/// transaction too (a wrong scalar type is a cancellation reason there).
pub(super) fn check_index_key_types(schema: &TableSchema, item: &Item) -> Result<()> {
    for key in schema.indexes.iter().flat_map(|i| i.keys()) {
        if item
            .get(&key.name)
            .is_some_and(|v| !matches!(v, Value::S(_) | Value::N(_) | Value::B(_)))
        {
            return Err(Error::invalid("Invalid attribute value type"));
        }
    }
    Ok(())
}

/// True if a read of an index that does not project everything names an attribute it does
/// not hold: DynamoDB Local then fetches the whole item from the table, for a local index's
/// projection and for any index's Scan filter (`global_too`).
pub(super) fn fetches_from_table<'a>(
    schema: &TableSchema,
    index: Option<&IndexSchema>,
    paths: impl IntoIterator<Item = &'a Path>,
    global_too: bool,
) -> bool {
    let Some(index) = index else {
        return false;
    };
    (index.kind == IndexKind::Local || global_too)
        && paths.into_iter().any(|p| {
            let name = p.root();
            !(schema.is_key_attribute(name)
                || index.keys().any(|k| k.name == name)
                || match &index.projection {
                    Projection::All => true,
                    Projection::KeysOnly => false,
                    Projection::Include(list) => list.iter().any(|n| n == name),
                })
        })
}

/// [`validate::check_item`], with DynamoDB's message for an index key of a non-key type.
pub(super) fn check_item(schema: &TableSchema, item: &Item, kind: WriteKind) -> Result<()> {
    validate::check_item_except_index_keys(schema, item, kind)?;
    check_index_key_types(schema, item)?;
    validate::check_index_keys(schema, item, kind)
}

/// The checks of a query's or scan's expressions on their own.
pub(super) fn check_read_expressions(
    filter: &Option<Condition>,
    projection: &Option<Vec<Path>>,
) -> Result<()> {
    check_projection(projection)?;
    if let Some(f) = filter {
        check::check_condition(f, "FilterExpression")?;
    }
    Ok(())
}

/// Every path an update reads or writes (DynamoDB checks them once the condition holds and
/// no key attribute is updated).
pub(super) fn update_paths(update: &Update) -> Vec<&Path> {
    fn operand<'a>(o: &'a UpdateOperand, out: &mut Vec<&'a Path>) {
        match o {
            UpdateOperand::Path(p) => out.push(p),
            UpdateOperand::Value(_) => {}
            UpdateOperand::IfNotExists(p, v) => {
                out.push(p);
                operand(v, out);
            }
            UpdateOperand::ListAppend(a, b) => {
                operand(a, out);
                operand(b, out);
            }
        }
    }
    let mut out = Vec::new();
    for action in &update.actions {
        out.push(action.path());
        if let UpdateAction::Set(_, sv) = action {
            match sv {
                SetValue::Operand(o) => operand(o, &mut out),
                SetValue::Plus(a, b) | SetValue::Minus(a, b) => {
                    operand(a, &mut out);
                    operand(b, &mut out);
                }
            }
        }
    }
    out
}

/// The paths of an optional condition and an optional projection.
pub(super) fn read_paths<'a>(
    condition: &'a Option<Condition>,
    projection: &'a Option<Vec<Path>>,
) -> Vec<&'a Path> {
    let mut out: Vec<&Path> = condition.iter().flat_map(|c| c.paths()).collect();
    out.extend(projection.iter().flatten());
    out
}

/// An index that does not project every attribute cannot filter on the others; a global
/// one cannot return them either (a local index fetches them from the table).
pub(super) fn check_projected(
    schema: &TableSchema,
    index: Option<&IndexSchema>,
    projection: &Option<Vec<Path>>,
    filter: &Option<Condition>,
) -> Result<()> {
    let Some(index) = index.filter(|i| i.projection != Projection::All) else {
        return Ok(());
    };
    let projected = |name: &str| {
        schema.is_key_attribute(name)
            || index.keys().any(|k| k.name == name)
            || matches!(&index.projection, Projection::Include(list) if list.iter().any(|n| n == name))
    };
    let missing = |paths: Vec<&Path>| -> Vec<String> {
        let mut names: Vec<String> = paths
            .into_iter()
            .map(|p| p.root().to_string())
            .filter(|n| !projected(n))
            .collect();
        names.sort();
        names.dedup();
        names
    };
    if let (Some(p), IndexKind::Global) = (projection, index.kind) {
        let names = missing(p.iter().collect());
        if !names.is_empty() {
            return Err(Error::invalid(format!(
                "One or more parameter values were invalid: Global secondary index {} does not project [{}]",
                index.name,
                names.join(", ")
            )));
        }
    }
    if let Some(f) = filter {
        let names = missing(f.paths());
        if !names.is_empty() {
            return Err(Error::invalid(format!(
                "One or more parameter values were invalid: Secondary index {} does not project one or more filter attributes: [{}]",
                index.name,
                names.join(", ")
            )));
        }
    }
    Ok(())
}

pub(super) fn check_select(count_only: bool, projection: &Option<Vec<Path>>) -> Result<()> {
    if count_only && projection.is_some() {
        return Err(Error::invalid(
            "Cannot specify the ProjectionExpression when choosing to get only the Count",
        ));
    }
    check_projection(projection)
}
