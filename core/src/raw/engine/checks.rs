//! Checks shared by the operations, made before any storage is read.

use std::collections::BTreeSet;

use crate::error::{Error, Result};
use crate::expr::check;
use crate::expr::{Condition, Path};
use crate::item::Item;
use crate::raw::eval;
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

pub(super) fn condition_failed(old: Option<Item>, return_old: bool) -> Error {
    Error::ConditionFailed {
        item: if return_old { old.map(Box::new) } else { None },
    }
}

pub(super) fn project(item: Item, projection: &Option<Vec<Path>>) -> Item {
    match projection {
        Some(p) => eval::project(&item, p),
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

/// A global index that does not project every attribute cannot return or filter on the
/// others (a local index fetches them from the table).
pub(super) fn check_projected(
    schema: &TableSchema,
    index: Option<&IndexSchema>,
    projection: &Option<Vec<Path>>,
    filter: &Option<Condition>,
) -> Result<()> {
    let Some(index) =
        index.filter(|i| i.kind == IndexKind::Global && i.projection != Projection::All)
    else {
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
        names.dedup();
        names
    };
    if let Some(p) = projection {
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
