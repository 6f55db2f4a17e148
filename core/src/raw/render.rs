//! Rendering the expression AST as DynamoDB expression strings. Every attribute name becomes
//! an `ExpressionAttributeNames` placeholder (`#n0`) and every value an
//! `ExpressionAttributeValues` placeholder (`:v0`), so reserved words and any attribute name
//! are safe and no user data is ever pasted into an expression.

use std::collections::{BTreeMap, HashMap};

use crate::expr::{
    Condition, KeyCondition, Operand, Path, PathElement, SetValue, SortKeyCondition, Update,
    UpdateAction, UpdateOperand,
};
use crate::item::Value;
use crate::schema::QueryKeys;

/// Collects placeholders while rendering the expressions of one request.
///
/// ```
/// use monotable_core::raw::render::ExpressionBuilder;
/// use monotable_core::{Path, Update, Value};
/// let mut b = ExpressionBuilder::new();
/// let condition = b.condition(&Path::attr("status").eq("open")); // `status` is reserved
/// let update = b.update(&Update::new().set("status", "shipped").remove("cart"));
/// assert_eq!((condition.as_str(), update.as_str()), ("#n0 = :v0", "SET #n0 = :v1 REMOVE #n1"));
/// let names = b.names().unwrap_or_default();
/// assert_eq!((names["#n0"].as_str(), names["#n1"].as_str()), ("status", "cart"));
/// assert_eq!(b.values()[1], (":v1".to_string(), Value::from("shipped")));
/// ```
#[derive(Debug, Default, Clone)]
pub struct ExpressionBuilder {
    names: BTreeMap<String, String>,
    values: Vec<(String, Value)>,
}

impl ExpressionBuilder {
    /// No placeholders yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The placeholder of an attribute name (the same name gets the same placeholder).
    pub fn name(&mut self, name: &str) -> String {
        let next = format!("#n{}", self.names.len());
        self.names.entry(name.to_string()).or_insert(next).clone()
    }

    /// A new placeholder for a value.
    pub fn value(&mut self, v: &Value) -> String {
        let p = format!(":v{}", self.values.len());
        self.values.push((p.clone(), v.clone()));
        p
    }

    /// A document path: `#n0.#n1[2]`.
    pub fn path(&mut self, p: &Path) -> String {
        let mut out = self.name(p.root());
        for e in p.rest() {
            match e {
                PathElement::Key(k) => {
                    out.push('.');
                    out.push_str(&self.name(k));
                }
                PathElement::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }

    fn operand(&mut self, o: &Operand) -> String {
        match o {
            Operand::Path(p) => self.path(p),
            Operand::Value(v) => self.value(v),
            Operand::Size(p) => format!("size({})", self.path(p)),
        }
    }

    /// A condition or filter expression.
    pub fn condition(&mut self, c: &Condition) -> String {
        match c {
            Condition::Compare { left, op, right } => {
                let l = self.operand(left);
                let r = self.operand(right);
                format!("{l} {} {r}", op.symbol())
            }
            Condition::Between { value, low, high } => {
                let v = self.operand(value);
                let l = self.operand(low);
                let h = self.operand(high);
                format!("{v} BETWEEN {l} AND {h}")
            }
            Condition::In { value, list } => {
                let v = self.operand(value);
                let items: Vec<String> = list.iter().map(|o| self.operand(o)).collect();
                format!("{v} IN ({})", items.join(", "))
            }
            Condition::BeginsWith { path, prefix } => {
                let p = self.path(path);
                format!("begins_with({p}, {})", self.operand(prefix))
            }
            Condition::Contains { path, operand } => {
                let p = self.path(path);
                format!("contains({p}, {})", self.operand(operand))
            }
            Condition::AttributeExists(p) => format!("attribute_exists({})", self.path(p)),
            Condition::AttributeNotExists(p) => format!("attribute_not_exists({})", self.path(p)),
            Condition::AttributeType { path, value_type } => {
                let p = self.path(path);
                format!("attribute_type({p}, {})", self.operand(value_type))
            }
            Condition::And(a, b) => format!("({}) AND ({})", self.condition(a), self.condition(b)),
            Condition::Or(a, b) => format!("({}) OR ({})", self.condition(a), self.condition(b)),
            Condition::Not(a) => format!("NOT ({})", self.condition(a)),
        }
    }

    /// A key condition on these key attributes: each partition value and each sort-prefix
    /// value with its attribute, in order, then the sort condition on the next sort
    /// attribute. Values beyond the attributes are not rendered (see
    /// [`KeyCondition`]'s shape check in the backends).
    ///
    /// ```
    /// use monotable_core::raw::render::ExpressionBuilder;
    /// use monotable_core::{IndexSchema, KeyAttribute as K, KeyCondition, SortKeyCondition};
    /// let index = IndexSchema::multi_attribute(
    ///     "byTeam",
    ///     [K::s("org"), K::s("team")],
    ///     [K::n("priority"), K::s("phase")],
    /// );
    /// let kc = KeyCondition::partitions(["acme".into(), "web".into()])
    ///     .with_sort_prefix([1.into()])
    ///     .with_sort(SortKeyCondition::BeginsWith("op".into()));
    /// let text = ExpressionBuilder::new().key_condition(&kc, index.query_keys());
    /// assert_eq!(text, "#n0 = :v0 AND #n1 = :v1 AND #n2 = :v2 AND begins_with(#n3, :v3)");
    /// ```
    pub fn key_condition(&mut self, kc: &KeyCondition, keys: QueryKeys<'_>) -> String {
        let mut parts = Vec::new();
        for (attr, v) in keys.partition.iter().zip(&kc.partition) {
            let name = self.name(&attr.name);
            parts.push(format!("{name} = {}", self.value(v)));
        }
        for (attr, v) in keys.sort.iter().zip(&kc.sort_prefix) {
            let name = self.name(&attr.name);
            parts.push(format!("{name} = {}", self.value(v)));
        }
        if let (Some(cond), Some(attr)) = (&kc.sort, keys.sort.get(kc.sort_prefix.len())) {
            let sk = self.name(&attr.name);
            parts.push(match cond {
                SortKeyCondition::Eq(v) => format!("{sk} = {}", self.value(v)),
                SortKeyCondition::Lt(v) => format!("{sk} < {}", self.value(v)),
                SortKeyCondition::Le(v) => format!("{sk} <= {}", self.value(v)),
                SortKeyCondition::Gt(v) => format!("{sk} > {}", self.value(v)),
                SortKeyCondition::Ge(v) => format!("{sk} >= {}", self.value(v)),
                SortKeyCondition::Between(a, b) => {
                    let a = self.value(a);
                    format!("{sk} BETWEEN {a} AND {}", self.value(b))
                }
                SortKeyCondition::BeginsWith(v) => format!("begins_with({sk}, {})", self.value(v)),
            });
        }
        parts.join(" AND ")
    }

    fn update_operand(&mut self, o: &UpdateOperand) -> String {
        match o {
            UpdateOperand::Path(p) => self.path(p),
            UpdateOperand::Value(v) => self.value(v),
            UpdateOperand::IfNotExists(p, v) => {
                let p = self.path(p);
                format!("if_not_exists({p}, {})", self.update_operand(v))
            }
            UpdateOperand::ListAppend(a, b) => {
                let a = self.update_operand(a);
                format!("list_append({a}, {})", self.update_operand(b))
            }
        }
    }

    /// An update expression: `SET … REMOVE … ADD … DELETE …`.
    pub fn update(&mut self, u: &Update) -> String {
        let (mut set, mut remove, mut add, mut delete) = (vec![], vec![], vec![], vec![]);
        for a in &u.actions {
            match a {
                UpdateAction::Set(p, sv) => {
                    let p = self.path(p);
                    let rhs = match sv {
                        SetValue::Operand(o) => self.update_operand(o),
                        SetValue::Plus(x, y) => {
                            let x = self.update_operand(x);
                            format!("{x} + {}", self.update_operand(y))
                        }
                        SetValue::Minus(x, y) => {
                            let x = self.update_operand(x);
                            format!("{x} - {}", self.update_operand(y))
                        }
                    };
                    set.push(format!("{p} = {rhs}"));
                }
                UpdateAction::Remove(p) => remove.push(self.path(p)),
                UpdateAction::Add(p, v) => {
                    let p = self.path(p);
                    add.push(format!("{p} {}", self.value(v)));
                }
                UpdateAction::Delete(p, v) => {
                    let p = self.path(p);
                    delete.push(format!("{p} {}", self.value(v)));
                }
            }
        }
        [
            ("SET", set),
            ("REMOVE", remove),
            ("ADD", add),
            ("DELETE", delete),
        ]
        .into_iter()
        .filter(|(_, parts)| !parts.is_empty())
        .map(|(kw, parts)| format!("{kw} {}", parts.join(", ")))
        .collect::<Vec<_>>()
        .join(" ")
    }

    /// A projection expression.
    pub fn projection(&mut self, paths: &[Path]) -> String {
        paths
            .iter()
            .map(|p| self.path(p))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `ExpressionAttributeNames` (placeholder → name), or `None` if empty.
    pub fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| {
            self.names
                .iter()
                .map(|(n, p)| (p.clone(), n.clone()))
                .collect()
        })
    }

    /// `ExpressionAttributeValues` (placeholder → value).
    pub fn values(&self) -> &[(String, Value)] {
        &self.values
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_values_are_placeholders() {
        let mut b = ExpressionBuilder::new();
        let c = Path::attr("status")
            .eq("open'; DROP")
            .and(Path::attr("a.b").key("c").exists());
        let text = b.condition(&c);
        assert_eq!(text, "(#n0 = :v0) AND (attribute_exists(#n1.#n2))");
        assert!(!text.contains("status") && !text.contains("DROP"));
        assert_eq!(b.names().unwrap()["#n1"], "a.b");
        let u = b.update(&Update::new().set("status", "x").remove("old").add("n", 1));
        assert_eq!(u, "SET #n0 = :v1 REMOVE #n3 ADD #n4 :v2");
    }
}
