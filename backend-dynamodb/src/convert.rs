//! Conversion between the SDK's `AttributeValue` and core's item model, and the small
//! request/response shapes (pages, return values, cancellation reasons, expressions).

use std::collections::HashMap;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types as ddb;
use monotable_core::item::{number_from_text, unique_set};
use monotable_core::raw::render::ExpressionBuilder;
use monotable_core::{
    CancellationCode, CancellationReason, Error, Item, Page, Path, Result, ReturnValues, Value,
};

/// An item as the SDK holds it.
pub(crate) type AttributeMap = HashMap<String, ddb::AttributeValue>;

/// A value as the SDK holds it: a direct mapping of the ten types (numbers by their
/// canonical text), without an intermediate tree.
///
/// ```
/// use aws_sdk_dynamodb::types::AttributeValue;
/// use monotable_core::{Number, Value};
/// use monotable_dynamodb::{from_attribute_value, to_attribute_value};
///
/// let n = Value::N(Number::parse("2.50").unwrap());
/// let v = to_attribute_value(n.clone());
/// assert_eq!(v, AttributeValue::N("2.5".into()), "the canonical text");
/// assert_eq!(from_attribute_value(&v).unwrap(), n);
/// let dup = AttributeValue::Ss(vec!["a".into(), "a".into()]);
/// assert!(from_attribute_value(&dup).is_err(), "a set holds each member once");
/// ```
pub fn to_av(v: Value) -> ddb::AttributeValue {
    use ddb::AttributeValue as A;
    match v {
        Value::S(s) => A::S(s),
        Value::N(n) => A::N(n.to_string()),
        Value::B(b) => A::B(Blob::new(b)),
        Value::Bool(b) => A::Bool(b),
        Value::Null => A::Null(true),
        Value::L(l) => A::L(l.into_iter().map(to_av).collect()),
        Value::M(m) => A::M(m.into_iter().map(|(k, v)| (k, to_av(v))).collect()),
        Value::Ss(s) => A::Ss(s.into_iter().collect()),
        Value::Ns(s) => A::Ns(s.iter().map(ToString::to_string).collect()),
        Value::Bs(s) => A::Bs(s.into_iter().map(Blob::new).collect()),
    }
}

/// A value from the SDK's form (numbers parsed, sets checked for duplicates); a variant
/// this SDK version does not know is an error. The backend itself moves the values of the
/// responses it owns instead of copying them.
pub fn from_av(v: &ddb::AttributeValue) -> Result<Value> {
    into_value(v.clone())
}

/// A value from the SDK's form, its strings and bytes moved, not copied.
pub(crate) fn into_value(v: ddb::AttributeValue) -> Result<Value> {
    use ddb::AttributeValue as A;
    Ok(match v {
        A::S(s) => Value::S(s),
        A::N(n) => Value::N(number_from_text(&n)?),
        A::B(b) => Value::B(b.into_inner()),
        A::Bool(b) => Value::Bool(b),
        A::Null(_) => Value::Null,
        A::L(l) => Value::L(l.into_iter().map(into_value).collect::<Result<_>>()?),
        A::M(m) => Value::M(
            m.into_iter()
                .map(|(k, v)| Ok((k, into_value(v)?)))
                .collect::<Result<_>>()?,
        ),
        A::Ss(s) => Value::Ss(unique_set(s.into_iter().map(Ok))?),
        A::Ns(s) => Value::Ns(unique_set(s.iter().map(|n| number_from_text(n)))?),
        A::Bs(s) => Value::Bs(unique_set(s.into_iter().map(|b| Ok(b.into_inner())))?),
        other => {
            return Err(Error::InvalidRequest {
                message: format!("an attribute value of a type this SDK does not know: {other:?}"),
            })
        }
    })
}

pub(crate) fn to_map(item: Item) -> AttributeMap {
    item.into_iter().map(|(k, v)| (k, to_av(v))).collect()
}

/// An item from the SDK's form, copied (see [`into_item`]).
pub(crate) fn from_map(map: &AttributeMap) -> Result<Item> {
    into_item(map.clone())
}

/// An item from the SDK's form, its names and values moved, not copied.
pub(crate) fn into_item(map: AttributeMap) -> Result<Item> {
    map.into_iter()
        .map(|(k, v)| Ok((k, into_value(v)?)))
        .collect::<Result<Vec<_>>>()
        .map(|v| v.into_iter().collect())
}

/// Expression strings and their placeholders for one request.
#[derive(Default)]
pub(crate) struct Rendered {
    pub(crate) builder: ExpressionBuilder,
}

impl Rendered {
    pub(crate) fn names(&self) -> Option<HashMap<String, String>> {
        self.builder.names()
    }
    pub(crate) fn values(&self) -> Option<AttributeMap> {
        let v = self.builder.values();
        (!v.is_empty()).then(|| {
            v.iter()
                .map(|(k, v)| (k.clone(), to_av(v.clone())))
                .collect()
        })
    }
    pub(crate) fn condition(&mut self, c: &Option<monotable_core::Condition>) -> Option<String> {
        c.as_ref().map(|c| self.builder.condition(c))
    }
    pub(crate) fn projection(&mut self, p: &Option<Vec<Path>>) -> Option<String> {
        p.as_ref().map(|p| self.builder.projection(p))
    }
}

/// The `ReturnValues` of a write, `None` for DynamoDB's default (`NONE`): a request carries
/// only what differs from the defaults (`ConsistentRead`, `ScanIndexForward` likewise).
pub(crate) fn return_values(rv: ReturnValues) -> Option<ddb::ReturnValue> {
    (rv != ReturnValues::None).then(|| return_value(rv))
}

pub(crate) fn return_value(rv: ReturnValues) -> ddb::ReturnValue {
    match rv {
        ReturnValues::None => ddb::ReturnValue::None,
        ReturnValues::AllOld => ddb::ReturnValue::AllOld,
        ReturnValues::UpdatedOld => ddb::ReturnValue::UpdatedOld,
        ReturnValues::AllNew => ddb::ReturnValue::AllNew,
        ReturnValues::UpdatedNew => ddb::ReturnValue::UpdatedNew,
    }
}

pub(crate) fn on_failure(return_old: bool) -> Option<ddb::ReturnValuesOnConditionCheckFailure> {
    return_old.then_some(ddb::ReturnValuesOnConditionCheckFailure::AllOld)
}

pub(crate) fn reason(r: &ddb::CancellationReason) -> Result<CancellationReason> {
    Ok(CancellationReason {
        code: CancellationCode::from_name(r.code().unwrap_or("None")),
        message: r.message().map(str::to_string),
        item: r.item().map(from_map).transpose()?,
    })
}

pub(crate) fn page(
    items: Option<Vec<AttributeMap>>,
    count: i32,
    scanned: i32,
    lek: Option<AttributeMap>,
) -> Result<Page> {
    Ok(Page {
        items: items
            .unwrap_or_default()
            .into_iter()
            .map(into_item)
            .collect::<Result<_>>()?,
        count: count.max(0) as usize,
        scanned_count: scanned.max(0) as usize,
        last_evaluated_key: lek.map(into_item).transpose()?,
    })
}

pub(crate) fn limit(l: Option<u32>) -> Option<i32> {
    l.map(|l| i32::try_from(l).unwrap_or(i32::MAX))
}
