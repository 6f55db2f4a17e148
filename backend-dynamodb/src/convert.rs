//! Conversion between the SDK's `AttributeValue` and core's item model, and the small
//! request/response shapes (pages, return values, cancellation reasons, expressions).

use std::collections::HashMap;

use aws_sdk_dynamodb::types as ddb;
use monotable_core::raw::render::ExpressionBuilder;
use monotable_core::{
    CancellationCode, CancellationReason, Item, Page, Path, Result, ReturnValues, Value,
};

/// An item as the SDK holds it.
pub(crate) type AttributeMap = HashMap<String, ddb::AttributeValue>;

pub(crate) fn to_av(v: Value) -> ddb::AttributeValue {
    serde_dynamo::AttributeValue::from(v).into()
}

pub(crate) fn from_av(v: ddb::AttributeValue) -> Result<Value> {
    Value::try_from(serde_dynamo::AttributeValue::from(v))
}

pub(crate) fn to_map(item: Item) -> AttributeMap {
    item.into_iter().map(|(k, v)| (k, to_av(v))).collect()
}

pub(crate) fn from_map(map: &AttributeMap) -> Result<Item> {
    map.iter()
        .map(|(k, v)| Ok((k.clone(), from_av(v.clone())?)))
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
    items: &[AttributeMap],
    count: i32,
    scanned: i32,
    lek: Option<&AttributeMap>,
) -> Result<Page> {
    Ok(Page {
        items: items.iter().map(from_map).collect::<Result<_>>()?,
        count: count.max(0) as usize,
        scanned_count: scanned.max(0) as usize,
        last_evaluated_key: lek.map(from_map).transpose()?,
    })
}

pub(crate) fn limit(l: Option<u32>) -> Option<i32> {
    l.map(|l| i32::try_from(l).unwrap_or(i32::MAX))
}
