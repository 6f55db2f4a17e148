//! Conversions between core's item model and `serde_dynamo`'s (`AttributeValue`, `Item`),
//! and the two rules every conversion from a wire form shares: a number's text, and a set
//! holding each member once.

use std::collections::{BTreeMap, BTreeSet};

use crate::item::{Item, Number, Value};

impl TryFrom<serde_dynamo::AttributeValue> for Value {
    type Error = crate::Error;
    fn try_from(v: serde_dynamo::AttributeValue) -> Result<Self, crate::Error> {
        use serde_dynamo::AttributeValue as A;
        let num = number_from_text;
        Ok(match v {
            A::S(s) => Value::S(s),
            A::N(n) => Value::N(num(&n)?),
            A::B(b) => Value::B(b),
            A::Bool(b) => Value::Bool(b),
            A::Null(_) => Value::Null,
            A::L(l) => Value::L(
                l.into_iter()
                    .map(Value::try_from)
                    .collect::<Result<_, _>>()?,
            ),
            A::M(m) => Value::M(
                m.into_iter()
                    .map(|(k, v)| Ok((k, Value::try_from(v)?)))
                    .collect::<Result<_, crate::Error>>()?,
            ),
            A::Ss(s) => Value::Ss(unique_set(s.into_iter().map(Ok))?),
            A::Ns(s) => Value::Ns(unique_set(s.iter().map(|n| num(n)))?),
            A::Bs(s) => Value::Bs(unique_set(s.into_iter().map(Ok))?),
        })
    }
}

/// The number a text stands for (an `N` value as serde_dynamo and the SDK carry it), or
/// the request error DynamoDB gives for it.
///
/// ```
/// use monotable_core::item::number_from_text;
/// assert_eq!(number_from_text("2.50").unwrap().to_string(), "2.5");
/// assert!(number_from_text("two").is_err());
/// ```
pub fn number_from_text(s: &str) -> Result<Number, crate::Error> {
    Number::parse(s).map_err(|e| crate::Error::InvalidRequest {
        message: format!("{e}: {s:?}"),
    })
}

/// The members of a set (`SS`, `NS`, `BS` as serde_dynamo and the SDK carry them, a list),
/// each once: a repeated member is the request error DynamoDB gives.
///
/// ```
/// use monotable_core::item::unique_set;
/// let set = unique_set(["a", "b"].into_iter().map(Ok)).unwrap();
/// assert_eq!(set.len(), 2);
/// assert!(unique_set(["a", "a"].into_iter().map(Ok)).is_err());
/// ```
pub fn unique_set<T: Ord>(
    values: impl Iterator<Item = Result<T, crate::Error>>,
) -> Result<BTreeSet<T>, crate::Error> {
    let mut set = BTreeSet::new();
    for v in values {
        if !set.insert(v?) {
            return Err(crate::Error::InvalidRequest {
                message: "Input collection contains duplicates".into(),
            });
        }
    }
    Ok(set)
}

impl From<Value> for serde_dynamo::AttributeValue {
    fn from(v: Value) -> Self {
        use serde_dynamo::AttributeValue as A;
        match v {
            Value::S(s) => A::S(s),
            Value::N(n) => A::N(n.to_string()),
            Value::B(b) => A::B(b),
            Value::Bool(b) => A::Bool(b),
            Value::Null => A::Null(true),
            Value::L(l) => A::L(l.into_iter().map(Into::into).collect()),
            Value::M(m) => A::M(m.into_iter().map(|(k, v)| (k, v.into())).collect()),
            Value::Ss(s) => A::Ss(s.into_iter().collect()),
            Value::Ns(s) => A::Ns(s.iter().map(Number::to_string).collect()),
            Value::Bs(s) => A::Bs(s.into_iter().collect()),
        }
    }
}

impl TryFrom<serde_dynamo::Item> for Item {
    type Error = crate::Error;
    fn try_from(item: serde_dynamo::Item) -> Result<Self, crate::Error> {
        item.into_inner()
            .into_iter()
            .map(|(k, v)| Ok((k, Value::try_from(v)?)))
            .collect::<Result<BTreeMap<_, _>, _>>()
            .map(Item::from)
    }
}

impl From<Item> for serde_dynamo::Item {
    fn from(item: Item) -> Self {
        let map: std::collections::HashMap<String, serde_dynamo::AttributeValue> =
            item.into_iter().map(|(k, v)| (k, v.into())).collect();
        serde_dynamo::Item::from(map)
    }
}
