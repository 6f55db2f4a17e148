//! DynamoDB's expression language, parsed into core's AST: `KeyConditionExpression`,
//! `ConditionExpression`/`FilterExpression`, `UpdateExpression` and `ProjectionExpression`,
//! with `ExpressionAttributeNames` and `ExpressionAttributeValues`. Malformed expressions,
//! reserved words used as names, and undefined or unused placeholders are rejected with
//! DynamoDB's messages (as `Error::InvalidRequest`).
//!
//! ```
//! use std::collections::HashMap;
//! use monotable_core::expr::parse::Placeholders;
//! use monotable_core::{Path, Value};
//!
//! let mut p = Placeholders::new(
//!     Some(HashMap::from([("#s".to_string(), "status".to_string())])),
//!     Some(HashMap::from([(":open".to_string(), Value::from("open"))])),
//! )?;
//! let condition = p.condition("#s = :open AND attribute_exists(assignee)", "ConditionExpression")?;
//! p.finish()?;
//! assert_eq!(condition, Path::attr("status").eq("open").and(Path::attr("assignee").exists()));
//! # Ok::<(), monotable_core::Error>(())
//! ```

use std::collections::{BTreeSet, HashMap};

use crate::error::{Error, Result};
use crate::expr::reserved::is_reserved;
use crate::expr::{
    Comparator, Condition, KeyCondition, Operand, Path, SetValue, SortKeyCondition, Update,
    UpdateAction, UpdateOperand,
};
use crate::item::Value;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Name(String),
    Val(String),
    Num(String),
    Sym(&'static str),
    Eof,
}

impl Tok {
    fn text(&self) -> String {
        match self {
            Tok::Ident(s) | Tok::Name(s) | Tok::Val(s) | Tok::Num(s) => s.clone(),
            Tok::Sym(s) => s.to_string(),
            Tok::Eof => "<EOF>".to_string(),
        }
    }
    fn is_kw(&self, kw: &str) -> bool {
        matches!(self, Tok::Ident(s) if s.eq_ignore_ascii_case(kw))
    }
}

/// A token's byte range in the expression text.
type Span = (usize, usize);

/// The tokens of `text`, each with its byte span (`Eof` at the end).
fn lex(text: &str, clause: &str) -> Result<(Vec<Tok>, Vec<Span>)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut spans = Vec::new();
    let mut token_start = 0;
    let mut i = 0;
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    while i < b.len() {
        if spans.len() < out.len() {
            spans.push((token_start, i));
        }
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        token_start = i;
        let two = if i + 1 < b.len() { &text[i..i + 2] } else { "" };
        let sym2 = ["<>", "<=", ">="].into_iter().find(|s| *s == two);
        if let Some(s) = sym2 {
            out.push(Tok::Sym(s));
            i += 2;
            continue;
        }
        let sym1 = ["(", ")", "[", "]", ",", ".", "=", "<", ">", "+", "-"]
            .into_iter()
            .find(|s| s.as_bytes()[0] == c);
        if let Some(s) = sym1 {
            out.push(Tok::Sym(s));
            i += 1;
            continue;
        }
        let start = i;
        if c == b'#' || c == b':' {
            i += 1;
            while i < b.len() && word(b[i]) {
                i += 1;
            }
            let t = text[start..i].to_string();
            if t.len() == 1 {
                return Err(syntax(clause, &t, ""));
            }
            out.push(if c == b'#' { Tok::Name(t) } else { Tok::Val(t) });
            continue;
        }
        if c.is_ascii_digit() {
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            out.push(Tok::Num(text[start..i].to_string()));
            continue;
        }
        if word(c) {
            while i < b.len() && word(b[i]) {
                i += 1;
            }
            out.push(Tok::Ident(text[start..i].to_string()));
            continue;
        }
        let ch = text[i..].chars().next().unwrap_or('?');
        return Err(Error::invalid(format!(
            "Invalid {clause}: Invalid character encountered; character: {ch}"
        )));
    }
    if spans.len() < out.len() {
        spans.push((token_start, i));
    }
    out.push(Tok::Eof);
    spans.push((b.len(), b.len()));
    Ok((out, spans))
}

fn syntax(clause: &str, token: &str, near: &str) -> Error {
    Error::invalid(format!(
        "Invalid {clause}: Syntax error; token: \"{token}\", near: \"{near}\""
    ))
}

/// The placeholders of one request, and which of them its expressions used.
///
/// ```
/// use std::collections::HashMap;
/// use monotable_core::expr::parse::Placeholders;
/// use monotable_core::Value;
/// let values = HashMap::from([(":a".to_string(), Value::from(1)), (":b".to_string(), 2.into())]);
/// let mut p = Placeholders::new(None, Some(values))?;
/// p.condition("qty > :a", "ConditionExpression")?;
/// let unused = "Value provided in ExpressionAttributeValues unused in expressions: keys: {:b}";
/// assert_eq!(p.finish().unwrap_err().to_string(), unused);
/// let empty = Placeholders::new(Some(HashMap::new()), None).unwrap_err();
/// assert_eq!(empty.to_string(), "ExpressionAttributeNames must not be empty");
/// # Ok::<(), monotable_core::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct Placeholders {
    names: HashMap<String, String>,
    values: HashMap<String, Value>,
    used_names: BTreeSet<String>,
    used_values: BTreeSet<String>,
}

impl Placeholders {
    /// The request's `ExpressionAttributeNames` and `ExpressionAttributeValues`; an empty
    /// map (as opposed to none) is an error, as is a value key that is not `:name`.
    pub fn new(
        names: Option<HashMap<String, String>>,
        values: Option<HashMap<String, Value>>,
    ) -> Result<Self> {
        if names.as_ref().is_some_and(HashMap::is_empty) {
            return Err(Error::invalid("ExpressionAttributeNames must not be empty"));
        }
        if values.as_ref().is_some_and(HashMap::is_empty) {
            return Err(Error::invalid(
                "ExpressionAttributeValues must not be empty",
            ));
        }
        let values = values.unwrap_or_default();
        for k in values.keys() {
            let ok = k.len() > 1
                && k.starts_with(':')
                && k[1..]
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'_');
            if !ok {
                return Err(Error::invalid(format!(
                    "ExpressionAttributeValues contains invalid key: Syntax error; key: \"{k}\""
                )));
            }
        }
        for (k, v) in &values {
            crate::item::check_value(v).map_err(|e| {
                Error::invalid(format!(
                    "ExpressionAttributeValues contains invalid value: {e} for key {k}"
                ))
            })?;
        }
        Ok(Placeholders {
            names: names.unwrap_or_default(),
            values,
            ..Default::default()
        })
    }

    /// Fails if a name or value placeholder was given and not used.
    pub fn finish(&self) -> Result<()> {
        let unused = |all: Vec<&String>, used: &BTreeSet<String>| -> Vec<String> {
            let mut v: Vec<String> = all
                .into_iter()
                .filter(|k| !used.contains(*k))
                .cloned()
                .collect();
            v.sort();
            v
        };
        let names = unused(self.names.keys().collect(), &self.used_names);
        if !names.is_empty() {
            return Err(Error::invalid(format!(
                "Value provided in ExpressionAttributeNames unused in expressions: keys: {{{}}}",
                names.join(", ")
            )));
        }
        let values = unused(self.values.keys().collect(), &self.used_values);
        if !values.is_empty() {
            return Err(Error::invalid(format!(
                "Value provided in ExpressionAttributeValues unused in expressions: keys: {{{}}}",
                values.join(", ")
            )));
        }
        Ok(())
    }

    fn parser<'a>(&'a mut self, text: &str, clause: &'a str) -> Result<Parser<'a>> {
        if text.trim().is_empty() {
            return Err(Error::invalid(format!(
                "Invalid {clause}: The expression can not be empty;"
            )));
        }
        let (toks, spans) = lex(text, clause)?;
        Ok(Parser {
            toks,
            spans,
            text: text.to_string(),
            pos: 0,
            clause,
            ph: self,
        })
    }

    /// Parses a condition; `clause` names it in messages (`ConditionExpression`,
    /// `FilterExpression`).
    ///
    /// ```
    /// use monotable_core::{Path, Value};
    /// # use std::collections::HashMap;
    /// # use monotable_core::expr::parse::Placeholders;
    /// # fn values<const N: usize>(pairs: [(&str, Value); N]) -> Option<HashMap<String, Value>> {
    /// #     Some(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()) }
    /// let mut p = Placeholders::new(None, values([(":open", Value::from("open"))]))?;
    /// let filter = p.condition("phase = :open", "FilterExpression")?;
    /// assert_eq!(filter, Path::attr("phase").eq("open"));
    /// // A reserved word is named through a placeholder (`#s` for `status`).
    /// let err = p.condition("status = :open", "ConditionExpression").unwrap_err();
    /// assert!(err.to_string().ends_with("reserved keyword; reserved keyword: status"));
    /// # Ok::<(), monotable_core::Error>(())
    /// ```
    pub fn condition(&mut self, text: &str, clause: &str) -> Result<Condition> {
        let mut p = self.parser(text, clause)?;
        let c = p.or()?;
        p.expect_end()?;
        crate::expr::check::check_condition(&c, clause)?;
        Ok(c)
    }

    /// Parses a projection.
    ///
    /// ```
    /// use monotable_core::expr::parse::Placeholders;
    /// use monotable_core::Path;
    /// let mut p = Placeholders::new(None, None)?;
    /// let paths = p.projection("id, address.city, tags[0]")?;
    /// let city = Path::attr("address").key("city");
    /// assert_eq!(paths, [Path::attr("id"), city, Path::attr("tags").index(0)]);
    /// assert!(p.projection("id, id").is_err()); // overlapping paths
    /// # Ok::<(), monotable_core::Error>(())
    /// ```
    pub fn projection(&mut self, text: &str) -> Result<Vec<Path>> {
        let clause = "ProjectionExpression";
        let mut p = self.parser(text, clause)?;
        let mut out = vec![p.path()?];
        while p.eat_sym(",") {
            out.push(p.path()?);
        }
        p.expect_end()?;
        crate::expr::check::check_projection(&out)?;
        Ok(out)
    }

    /// Parses an update.
    ///
    /// ```
    /// use monotable_core::{Update, Value};
    /// # use std::collections::HashMap;
    /// # use monotable_core::expr::parse::Placeholders;
    /// # fn values<const N: usize>(pairs: [(&str, Value); N]) -> Option<HashMap<String, Value>> {
    /// #     Some(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()) }
    /// let mut p = Placeholders::new(None, values([(":one", Value::from(1))]))?;
    /// let update = p.update("SET visits = visits + :one REMOVE draft")?;
    /// assert_eq!(update, Update::new().increment("visits", 1).remove("draft"));
    /// let twice = p.update("SET a = :one SET b = :one").unwrap_err();
    /// let once = r#"The "SET" section can only be used once in an update expression;"#;
    /// assert!(twice.to_string().ends_with(once));
    /// # Ok::<(), monotable_core::Error>(())
    /// ```
    pub fn update(&mut self, text: &str) -> Result<Update> {
        let clause = "UpdateExpression";
        let mut p = self.parser(text, clause)?;
        let mut seen = BTreeSet::new();
        let mut update = Update::new();
        while !matches!(p.peek(), Tok::Eof) {
            let kw = match p.peek() {
                Tok::Ident(s) => s.to_ascii_uppercase(),
                other => return Err(p.syntax_at(&other)),
            };
            if !matches!(kw.as_str(), "SET" | "REMOVE" | "ADD" | "DELETE") {
                return Err(p.syntax_at(&p.peek()));
            }
            p.next();
            if !seen.insert(kw.clone()) {
                return Err(Error::invalid(format!(
                    "Invalid UpdateExpression: The \"{kw}\" section can only be used once in an update expression;"
                )));
            }
            loop {
                let action = match kw.as_str() {
                    "SET" => {
                        let path = p.path()?;
                        p.expect_sym("=")?;
                        let a = p.update_operand()?;
                        let value = if p.eat_sym("+") {
                            SetValue::Plus(a, p.update_operand()?)
                        } else if p.eat_sym("-") {
                            SetValue::Minus(a, p.update_operand()?)
                        } else {
                            SetValue::Operand(a)
                        };
                        if matches!(p.peek(), Tok::Sym("+") | Tok::Sym("-")) {
                            return Err(p.syntax_at(&p.peek()));
                        }
                        UpdateAction::Set(path, value)
                    }
                    "REMOVE" => UpdateAction::Remove(p.path()?),
                    "ADD" | "DELETE" => {
                        let path = p.path()?;
                        let value = match p.next() {
                            Tok::Val(v) => p.value(&v)?,
                            other => return Err(p.syntax_at(&other)),
                        };
                        if kw == "ADD" {
                            UpdateAction::Add(path, value)
                        } else {
                            UpdateAction::Delete(path, value)
                        }
                    }
                    _ => unreachable!(),
                };
                update.actions.push(action);
                if !p.eat_sym(",") {
                    break;
                }
            }
        }
        crate::expr::check::check_update_expression(&update)?;
        Ok(update)
    }

    /// Parses a key condition on the named partition and sort key attributes (one each
    /// for a table or a single-attribute index; up to four each for a multi-attribute index).
    ///
    /// ```
    /// use monotable_core::{KeyCondition, SortKeyCondition as Sort, Value};
    /// # use std::collections::HashMap;
    /// # use monotable_core::expr::parse::Placeholders;
    /// # fn values<const N: usize>(pairs: [(&str, Value); N]) -> Option<HashMap<String, Value>> {
    /// #     Some(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()) }
    /// let given = [(":u", Value::from("USER#u1")), (":o", "O#".into())];
    /// let mut p = Placeholders::new(None, values(given))?;
    /// let kc = p.key_condition("pk = :u AND begins_with(sk, :o)", &["pk"], &["sk"])?;
    /// let orders = KeyCondition::partition("USER#u1").with_sort(Sort::BeginsWith("O#".into()));
    /// assert_eq!(kc, orders);
    /// let no_partition = p.key_condition("sk = :o", &["pk"], &["sk"]).unwrap_err();
    /// assert_eq!(no_partition.to_string(), "Query condition missed key schema element");
    /// # Ok::<(), monotable_core::Error>(())
    /// ```
    pub fn key_condition(
        &mut self,
        text: &str,
        partition_keys: &[&str],
        sort_keys: &[&str],
    ) -> Result<KeyCondition> {
        self.key_condition_checked(text, partition_keys, sort_keys, &mut |_, _| Ok(()))
    }

    /// Parses a key condition as [`key_condition`](Self::key_condition) does, and on a
    /// multi-attribute index checks each attribute's condition with `check` (its name and
    /// condition: the value's type against the key's, an empty value) where DynamoDB Local
    /// checks it (rule MK25): the partition attributes' equalities (MK14), then their
    /// values, then the sort attributes' run (MK15, MK26), then their values, then an
    /// attribute that is no key of the index. On a table or a single-attribute index the
    /// structure comes first and the values are left to the caller, as there.
    ///
    /// ```
    /// use monotable_core::raw::validate::check_key_condition_operand;
    /// use monotable_core::{IndexSchema, KeyAttribute as K, SortKeyCondition, Value};
    /// # use std::collections::HashMap;
    /// # use monotable_core::expr::parse::Placeholders;
    /// # fn values<const N: usize>(pairs: [(&str, Value); N]) -> Option<HashMap<String, Value>> {
    /// #     Some(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()) }
    /// let index =
    ///     IndexSchema::multi_attribute("byTeam", [K::s("org"), K::s("team")], [K::n("prio")]);
    /// let mut check = |name: &str, condition: &SortKeyCondition| {
    ///     let key = index.keys().find(|k| k.name == name);
    ///     key.map_or(Ok(()), |key| check_key_condition_operand(key, condition, Some("byTeam")))
    /// };
    /// let given = [(":o", Value::from("acme")), (":t", "web".into()), (":p", "high".into())];
    /// let mut p = Placeholders::new(None, values(given))?;
    /// let text = "org = :o AND team = :t AND prio = :p"; // `prio` is a number
    /// let err = p.key_condition_checked(text, &["org", "team"], &["prio"], &mut check);
    /// let mismatch = "Condition parameter type does not match schema type";
    /// assert!(err.unwrap_err().to_string().ends_with(mismatch));
    /// # Ok::<(), monotable_core::Error>(())
    /// ```
    pub fn key_condition_checked(
        &mut self,
        text: &str,
        partition_keys: &[&str],
        sort_keys: &[&str],
        check: &mut dyn FnMut(&str, &SortKeyCondition) -> Result<()>,
    ) -> Result<KeyCondition> {
        let clause = "KeyConditionExpression";
        let mut p = self.parser(text, clause)?;
        let c = p.or()?;
        p.expect_end()?;
        let mut leaves = Vec::new();
        flatten_and(c, &mut leaves)?;
        let multi = partition_keys.len() > 1 || sort_keys.len() > 1;
        let one_per_key =
            || Error::invalid("KeyConditionExpressions must only contain one condition per key");
        if !multi && leaves.len() > 2 {
            return Err(one_per_key());
        }
        let missed = || Error::invalid("Query condition missed key schema element");
        let mut partition: Vec<Option<SortKeyCondition>> = vec![None; partition_keys.len()];
        let mut sort: Vec<Option<SortKeyCondition>> = vec![None; sort_keys.len()];
        // On a multi-attribute index, an attribute that is no key of it is reported only
        // after the keys' own checks (MK25).
        let mut stranger = false;
        for leaf in leaves {
            let (name, cond) = key_leaf(leaf)?;
            let slot = if let Some(i) = partition_keys.iter().position(|k| *k == name) {
                &mut partition[i]
            } else if let Some(i) = sort_keys.iter().position(|k| *k == name) {
                &mut sort[i]
            } else if multi {
                stranger = true;
                continue;
            } else {
                return Err(missed());
            };
            if slot.is_some() {
                return Err(one_per_key());
            }
            *slot = Some(cond);
        }
        let missing: Vec<&str> = partition_keys
            .iter()
            .zip(&partition)
            .filter(|(_, c)| !matches!(c, Some(SortKeyCondition::Eq(_))))
            .map(|(k, _)| *k)
            .collect();
        if !missing.is_empty() {
            if partition_keys.len() > 1 {
                return Err(Error::invalid(format!(
                    "HASH key attributes {} must have equality conditions specified in the query",
                    missing.join(", ")
                )));
            }
            return Err(Error::invalid(if partition[0].is_some() {
                "Query key condition not supported"
            } else {
                "Query condition missed key schema element"
            }));
        }
        if multi {
            if stranger && sort_keys.is_empty() {
                // DynamoDB Local, on a multi-attribute index without sort attributes.
                return Err(Error::invalid("Query key condition not supported"));
            }
            for (name, c) in partition_keys.iter().zip(&partition) {
                if let Some(c) = c {
                    check(name, c)?;
                }
            }
        }
        let partition = partition
            .into_iter()
            .map(|c| match c {
                Some(SortKeyCondition::Eq(v)) => v,
                _ => unreachable!("checked above"),
            })
            .collect();
        if let Some(e) = sort_run_error(sort_keys, &sort) {
            return Err(e);
        }
        if multi {
            for (name, c) in sort_keys.iter().zip(&sort) {
                if let Some(c) = c {
                    check(name, c)?;
                }
            }
            if stranger {
                return Err(missed());
            }
        }
        let last = sort.iter().rposition(Option::is_some);
        let mut sort_prefix = Vec::new();
        if let Some(last) = last {
            for c in sort.iter_mut().take(last) {
                if let Some(SortKeyCondition::Eq(v)) = c.take() {
                    sort_prefix.push(v);
                }
            }
        }
        let sort = last.and_then(|i| sort[i].take());
        Ok(KeyCondition {
            partition,
            sort_prefix,
            sort,
        })
    }
}

/// The conditions on the sort attributes must be a run from the first: equalities, then
/// any condition on the last (MK15). DynamoDB Local reports a gap first — at the first
/// conditioned attribute with an unconditioned one before it, naming those — and then a
/// condition other than equality before the last conditioned attribute, naming every such
/// one (MK26).
fn sort_run_error(sort_keys: &[&str], sort: &[Option<SortKeyCondition>]) -> Option<Error> {
    let message = |lacking: Vec<&str>, at: &str| {
        Error::invalid(format!(
            "RANGE key attributes {} must have equality conditions specified in the query because a condition is present on key attribute {at}",
            lacking.join(", ")
        ))
    };
    for (j, c) in sort.iter().enumerate() {
        if c.is_none() {
            continue;
        }
        let gaps: Vec<&str> = (0..j)
            .filter(|i| sort[*i].is_none())
            .map(|i| sort_keys[i])
            .collect();
        if !gaps.is_empty() {
            return Some(message(gaps, sort_keys[j]));
        }
    }
    let last = sort.iter().rposition(Option::is_some)?;
    let ranges: Vec<&str> = (0..last)
        .filter(|i| !matches!(sort[*i], Some(SortKeyCondition::Eq(_))))
        .map(|i| sort_keys[i])
        .collect();
    (!ranges.is_empty()).then(|| message(ranges, sort_keys[last]))
}

fn flatten_and(c: Condition, out: &mut Vec<Condition>) -> Result<()> {
    match c {
        Condition::And(a, b) => {
            flatten_and(*a, out)?;
            flatten_and(*b, out)
        }
        Condition::Or(..) => Err(Error::invalid(
            "Invalid operator used in KeyConditionExpression: OR",
        )),
        Condition::Not(..) => Err(Error::invalid(
            "Invalid operator used in KeyConditionExpression: NOT",
        )),
        other => {
            out.push(other);
            Ok(())
        }
    }
}

fn key_leaf(c: Condition) -> Result<(String, SortKeyCondition)> {
    let op_error = |op: &str| {
        Error::invalid(format!(
            "Invalid operator used in KeyConditionExpression: {op}"
        ))
    };
    let nested = || Error::invalid("KeyConditionExpressions cannot contain nested operations");
    let attr = |p: &Path| -> Result<String> {
        if p.rest().is_empty() {
            Ok(p.root().to_string())
        } else {
            Err(nested())
        }
    };
    match c {
        Condition::Compare { left, op, right } => {
            let (path, value, op) = match (left, right) {
                (Operand::Path(p), Operand::Value(v)) => (p, v, op),
                (Operand::Value(v), Operand::Path(p)) => (
                    p,
                    v,
                    match op {
                        Comparator::Lt => Comparator::Gt,
                        Comparator::Le => Comparator::Ge,
                        Comparator::Gt => Comparator::Lt,
                        Comparator::Ge => Comparator::Le,
                        o => o,
                    },
                ),
                (Operand::Path(_), Operand::Path(_)) => {
                    return Err(Error::invalid(
                        "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition",
                    ))
                }
                (Operand::Size(_), _) | (_, Operand::Size(_)) => return Err(nested()),
                _ => return Err(Error::invalid("Query condition missed key schema element")),
            };
            let cond = match op {
                Comparator::Eq => SortKeyCondition::Eq(value),
                Comparator::Lt => SortKeyCondition::Lt(value),
                Comparator::Le => SortKeyCondition::Le(value),
                Comparator::Gt => SortKeyCondition::Gt(value),
                Comparator::Ge => SortKeyCondition::Ge(value),
                Comparator::Ne => return Err(op_error("<>")),
            };
            Ok((attr(&path)?, cond))
        }
        Condition::Between { value: Operand::Path(p), low: Operand::Value(a), high: Operand::Value(b) } => {
            Ok((attr(&p)?, SortKeyCondition::Between(a, b)))
        }
        Condition::Between { .. } => Err(nested()),
        Condition::BeginsWith { path, prefix: Operand::Value(v) } => Ok((attr(&path)?, SortKeyCondition::BeginsWith(v))),
        Condition::BeginsWith { .. } => Err(Error::invalid(
            "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition",
        )),
        Condition::In { .. } => Err(op_error("IN")),
        Condition::Contains { .. } => Err(op_error("contains")),
        Condition::AttributeExists(_) => Err(op_error("attribute_exists")),
        Condition::AttributeNotExists(_) => Err(op_error("attribute_not_exists")),
        Condition::AttributeType { .. } => Err(op_error("attribute_type")),
        Condition::And(..) | Condition::Or(..) | Condition::Not(..) => Err(op_error("OR")),
    }
}

const CONDITION_FUNCTIONS: [&str; 5] = [
    "attribute_exists",
    "attribute_not_exists",
    "attribute_type",
    "begins_with",
    "contains",
];

struct Parser<'a> {
    toks: Vec<Tok>,
    /// Each token's byte span in `text`.
    spans: Vec<Span>,
    text: String,
    pos: usize,
    clause: &'a str,
    ph: &'a mut Placeholders,
}

impl Parser<'_> {
    fn peek(&self) -> Tok {
        self.toks.get(self.pos).cloned().unwrap_or(Tok::Eof)
    }
    fn peek_at(&self, n: usize) -> Tok {
        self.toks.get(self.pos + n).cloned().unwrap_or(Tok::Eof)
    }
    fn next(&mut self) -> Tok {
        let t = self.peek();
        self.pos += 1;
        t
    }
    /// DynamoDB Local's excerpt around the token at `pos`: the source text from the token
    /// before it through the token after it, or to the end of the text when none follows.
    fn near(&self) -> String {
        let start = self.spans[self.pos.saturating_sub(1).min(self.spans.len() - 1)].0;
        let end = match self.toks.get(self.pos + 1) {
            Some(t) if *t != Tok::Eof => self.spans[self.pos + 1].1,
            _ => self.text.len(),
        };
        self.text[start..end].to_string()
    }
    fn syntax_at(&self, t: &Tok) -> Error {
        syntax(self.clause, &t.text(), &self.near())
    }
    fn eat_sym(&mut self, s: &str) -> bool {
        if matches!(self.peek(), Tok::Sym(x) if x == s) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn expect_sym(&mut self, s: &str) -> Result<()> {
        if self.eat_sym(s) {
            Ok(())
        } else {
            Err(self.syntax_at(&self.peek()))
        }
    }
    fn expect_end(&self) -> Result<()> {
        match self.peek() {
            Tok::Eof => Ok(()),
            t => Err(self.syntax_at(&t)),
        }
    }

    fn name(&mut self, tok: &Tok) -> Result<String> {
        match tok {
            Tok::Name(ph) => {
                let n = self.ph.names.get(ph).cloned().ok_or_else(|| {
                    Error::invalid(format!(
                        "Invalid {}: An expression attribute name used in the document path is not defined; attribute name: {ph}",
                        self.clause
                    ))
                })?;
                self.ph.used_names.insert(ph.clone());
                Ok(n)
            }
            Tok::Ident(n) => {
                if is_reserved(n) && !n.eq_ignore_ascii_case("size") {
                    return Err(Error::invalid(format!(
                        "Invalid {}: Attribute name is a reserved keyword; reserved keyword: {n}",
                        self.clause
                    )));
                }
                Ok(n.clone())
            }
            other => Err(self.syntax_at(other)),
        }
    }

    fn value(&mut self, ph: &str) -> Result<Value> {
        let v = self.ph.values.get(ph).cloned().ok_or_else(|| {
            Error::invalid(format!(
                "Invalid {}: An expression attribute value used in expression is not defined; attribute value: {ph}",
                self.clause
            ))
        })?;
        self.ph.used_values.insert(ph.to_string());
        Ok(v)
    }

    fn path(&mut self) -> Result<Path> {
        let first = self.next();
        let mut path = Path::attr(self.name(&first)?);
        loop {
            if self.eat_sym(".") {
                let t = self.next();
                path = path.key(self.name(&t)?);
            } else if self.eat_sym("[") {
                let i = match self.next() {
                    Tok::Num(n) => n
                        .parse::<usize>()
                        .map_err(|_| self.syntax_at(&Tok::Num(n.clone())))?,
                    other => return Err(self.syntax_at(&other)),
                };
                self.expect_sym("]")?;
                path = path.index(i);
            } else {
                return Ok(path);
            }
        }
    }

    fn is_function_call(&self) -> bool {
        matches!(self.peek(), Tok::Ident(_)) && self.peek_at(1) == Tok::Sym("(")
    }

    /// `size(path)`, a path or a value.
    fn operand(&mut self) -> Result<Operand> {
        if self.is_function_call() {
            let Tok::Ident(f) = self.next() else {
                unreachable!()
            };
            self.next();
            if f != "size" {
                if CONDITION_FUNCTIONS.contains(&f.as_str()) {
                    return Err(Error::invalid(format!(
                        "Invalid {}: The function is not allowed to be used this way in an expression; function: {f}",
                        self.clause
                    )));
                }
                return Err(Error::invalid(format!(
                    "Invalid {}: Invalid function name; function: {f}",
                    self.clause
                )));
            }
            let p = self.path_argument("size")?;
            self.expect_sym(")")?;
            return Ok(Operand::Size(p));
        }
        match self.peek() {
            Tok::Val(v) => {
                self.next();
                Ok(Operand::Value(self.value(&v)?))
            }
            Tok::Ident(_) | Tok::Name(_) => Ok(Operand::Path(self.path()?)),
            other => Err(self.syntax_at(&other)),
        }
    }

    fn path_argument(&mut self, function: &str) -> Result<Path> {
        match self.peek() {
            Tok::Ident(_) | Tok::Name(_) => self.path(),
            _ => Err(Error::invalid(format!(
                "Invalid {}: Operator or function requires a document path; operator or function: {function}",
                self.clause
            ))),
        }
    }

    fn or(&mut self) -> Result<Condition> {
        let mut c = self.and()?;
        while self.peek().is_kw("OR") {
            self.next();
            c = c.or(self.and()?);
        }
        Ok(c)
    }

    fn and(&mut self) -> Result<Condition> {
        let mut c = self.not()?;
        while self.peek().is_kw("AND") {
            self.next();
            c = c.and(self.not()?);
        }
        Ok(c)
    }

    fn not(&mut self) -> Result<Condition> {
        if self.peek().is_kw("NOT") {
            self.next();
            return Ok(Condition::Not(Box::new(self.not()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Condition> {
        if self.eat_sym("(") {
            let c = self.or()?;
            self.expect_sym(")")?;
            return Ok(c);
        }
        if self.is_function_call() {
            if let Tok::Ident(f) = self.peek() {
                if CONDITION_FUNCTIONS.contains(&f.as_str()) {
                    self.next();
                    self.next();
                    let c = self.function(&f)?;
                    if matches!(self.peek(), Tok::Sym("=" | "<>" | "<" | "<=" | ">" | ">=")) {
                        return Err(Error::invalid(format!(
                            "Invalid {}: The function is not allowed to be used this way in an expression; function: {f}",
                            self.clause
                        )));
                    }
                    return Ok(c);
                }
            }
        }
        let left = self.operand()?;
        let t = self.peek();
        let op = match t {
            Tok::Sym("=") => Comparator::Eq,
            Tok::Sym("<>") => Comparator::Ne,
            Tok::Sym("<") => Comparator::Lt,
            Tok::Sym("<=") => Comparator::Le,
            Tok::Sym(">") => Comparator::Gt,
            Tok::Sym(">=") => Comparator::Ge,
            ref k if k.is_kw("BETWEEN") => {
                self.next();
                let low = self.operand()?;
                if !self.peek().is_kw("AND") {
                    return Err(self.syntax_at(&self.peek()));
                }
                self.next();
                let high = self.operand()?;
                return Ok(Condition::Between {
                    value: left,
                    low,
                    high,
                });
            }
            ref k if k.is_kw("IN") => {
                self.next();
                self.expect_sym("(")?;
                let mut list = vec![self.operand()?];
                while self.eat_sym(",") {
                    list.push(self.operand()?);
                }
                self.expect_sym(")")?;
                return Ok(Condition::In { value: left, list });
            }
            _ => {
                if let Operand::Size(_) = left {
                    return Err(Error::invalid(format!(
                        "Invalid {}: The function is not allowed to be used this way in an expression; function: size",
                        self.clause
                    )));
                }
                return Err(self.syntax_at(&t));
            }
        };
        self.next();
        let right = self.operand()?;
        Ok(Condition::Compare { left, op, right })
    }

    fn function(&mut self, f: &str) -> Result<Condition> {
        let path = self.path_argument(f)?;
        let c = match f {
            "attribute_exists" => Condition::AttributeExists(path),
            "attribute_not_exists" => Condition::AttributeNotExists(path),
            _ => {
                if !self.eat_sym(",") {
                    return Err(Error::invalid(format!(
                        "Invalid {}: Incorrect number of operands for operator or function; operator or function: {f}, number of operands: 1",
                        self.clause
                    )));
                }
                let operand = self.operand()?;
                match f {
                    "attribute_type" => Condition::AttributeType {
                        path,
                        value_type: operand,
                    },
                    "begins_with" => Condition::BeginsWith {
                        path,
                        prefix: operand,
                    },
                    _ => Condition::Contains { path, operand },
                }
            }
        };
        self.expect_sym(")")?;
        Ok(c)
    }

    fn update_operand(&mut self) -> Result<UpdateOperand> {
        if self.is_function_call() {
            let Tok::Ident(f) = self.next() else {
                unreachable!()
            };
            self.next();
            let out = match f.as_str() {
                "if_not_exists" => {
                    let p = self.path_argument("if_not_exists")?;
                    self.expect_sym(",")?;
                    UpdateOperand::IfNotExists(p, Box::new(self.update_operand()?))
                }
                "list_append" => {
                    let a = self.update_operand()?;
                    self.expect_sym(",")?;
                    UpdateOperand::ListAppend(Box::new(a), Box::new(self.update_operand()?))
                }
                "size" | "attribute_exists" | "attribute_not_exists" | "attribute_type" | "begins_with" | "contains" => {
                    return Err(Error::invalid(format!(
                        "Invalid UpdateExpression: The function is not allowed in an update expression; function: {f}"
                    )))
                }
                _ => return Err(Error::invalid(format!("Invalid UpdateExpression: Invalid function name; function: {f}"))),
            };
            self.expect_sym(")")?;
            return Ok(out);
        }
        match self.peek() {
            Tok::Val(v) => {
                self.next();
                Ok(UpdateOperand::Value(self.value(&v)?))
            }
            Tok::Ident(_) | Tok::Name(_) => Ok(UpdateOperand::Path(self.path()?)),
            other => Err(self.syntax_at(&other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ph(names: &[(&str, &str)], values: &[(&str, Value)]) -> Placeholders {
        let n = (!names.is_empty()).then(|| {
            names
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        });
        let v = (!values.is_empty()).then(|| {
            values
                .iter()
                .map(|(a, b)| (a.to_string(), b.clone()))
                .collect()
        });
        Placeholders::new(n, v).unwrap()
    }

    #[test]
    fn precedence_and_functions() {
        let mut p = ph(
            &[("#s", "status")],
            &[(":a", Value::from(1)), (":b", Value::from("x"))],
        );
        let c = p
            .condition(
                "a = :a OR NOT b = :a AND begins_with(#s, :b)",
                "ConditionExpression",
            )
            .unwrap();
        let expected = Path::attr("a")
            .eq(1)
            .or((!Path::attr("b").eq(1)).and(Path::attr("status").begins_with("x")));
        assert_eq!(c, expected);
        p.finish().unwrap();
    }

    #[test]
    fn errors_read_as_dynamodb() {
        let mut p = ph(&[], &[(":v", Value::from(1))]);
        let e = p
            .condition("status = :v", "ConditionExpression")
            .unwrap_err();
        assert!(e.to_string().contains("reserved keyword: status"), "{e}");
        let e = p.condition("a = :nope", "ConditionExpression").unwrap_err();
        assert!(e.to_string().contains("attribute value: :nope"), "{e}");
        let e = p.condition("foo(a)", "ConditionExpression").unwrap_err();
        assert!(
            e.to_string()
                .contains("Invalid function name; function: foo"),
            "{e}"
        );
        let mut q = ph(&[("#u", "u")], &[(":v", Value::from(1))]);
        q.condition("a = :v", "ConditionExpression").unwrap();
        assert!(q.finish().unwrap_err().to_string().contains("{#u}"));
    }

    #[test]
    fn updates_and_key_conditions() {
        let mut p = ph(&[], &[(":v", Value::from(1)), (":l", Value::L(vec![]))]);
        let u = p
            .update(
                "SET a = if_not_exists(a, :v) + :v, l = list_append(l, :l) REMOVE b[2] ADD c :v",
            )
            .unwrap();
        assert_eq!(u.actions.len(), 4);
        assert!(p.update("SET a = :v SET b = :v").is_err());
        assert!(p.update("SET a = :v + :v + :v").is_err());
        let mut k = ph(&[], &[(":p", Value::from("p")), (":s", Value::from("s"))]);
        let kc = k
            .key_condition(":s <= sk AND pk = :p", &["pk"], &["sk"])
            .unwrap();
        assert_eq!(kc.sort, Some(SortKeyCondition::Ge(Value::from("s"))));
        assert!(k
            .key_condition("pk = :p OR sk = :s", &["pk"], &["sk"])
            .is_err());
        assert!(k.key_condition("sk = :s", &["pk"], &["sk"]).is_err());
    }

    /// The message of a key condition on the `wide` index of the MK vectors (HASH a, b;
    /// RANGE r1..r4), every value `:v`.
    fn wide(text: &str) -> String {
        let mut k = ph(&[], &[(":v", Value::from("v"))]);
        match k.key_condition(text, &["a", "b"], &["r1", "r2", "r3", "r4"]) {
            Ok(_) => "ok".into(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_gap_in_the_range_run_is_reported_before_a_range_condition() {
        let h = "a = :v AND b = :v AND ";
        let msg = |lacking: &str, at: &str| {
            format!("RANGE key attributes {lacking} must have equality conditions specified in the query because a condition is present on key attribute {at}")
        };
        // MK26, recorded as p13m/w1..w6 and h-wide-*: a gap first, at the first conditioned
        // attribute after one, naming the unconditioned ones before it...
        let c = |s: &str| wide(&format!("{h}{s}"));
        assert!(c("r1 > :v AND r3 > :v AND r4 = :v").ends_with(&msg("r2", "r3")));
        assert!(c("r2 = :v AND r4 = :v").ends_with(&msg("r1", "r2")));
        assert!(c("r1 > :v AND r3 = :v AND r4 = :v").ends_with(&msg("r2", "r3")));
        // ... then every condition other than equality before the last conditioned one.
        assert!(c("r1 > :v AND r2 > :v AND r3 = :v").ends_with(&msg("r1, r2", "r3")));
        assert!(c("r1 = :v AND r2 > :v AND r3 > :v AND r4 > :v").ends_with(&msg("r2, r3", "r4")));
        assert_eq!(c("r1 = :v AND r2 = :v AND r3 > :v"), "ok");
    }

    #[test]
    fn an_attribute_outside_a_multi_attribute_key_is_reported_last() {
        // MK25: the HASH equalities first, then the RANGE run, then the stranger.
        assert!(wide("a = :v AND x = :v").contains("HASH key attributes b must"));
        assert!(wide("a = :v AND b = :v AND x = :v AND r2 = :v")
            .contains("RANGE key attributes r1 must"));
        assert!(wide("a = :v AND b = :v AND r1 = :v AND x = :v")
            .contains("Query condition missed key schema element"));
        // On a hash-only index, after the HASH equalities.
        let mut k = ph(&[], &[(":v", Value::from("v"))]);
        let e = k
            .key_condition("a = :v AND x = :v", &["a", "b"], &[])
            .unwrap_err();
        assert!(e.to_string().contains("HASH key attributes b must"), "{e}");
        let e = k
            .key_condition("a = :v AND b = :v AND x = :v", &["a", "b"], &[])
            .unwrap_err();
        assert!(
            e.to_string().contains("Query key condition not supported"),
            "{e}"
        );
    }

    #[test]
    fn values_are_checked_between_the_hash_and_the_range_checks() {
        // MK25: a HASH value is checked before the RANGE run, a RANGE value after it and
        // before an attribute outside the key.
        let mut k = ph(&[], &[(":v", Value::from("v"))]);
        let mut seen = Vec::new();
        let mut check = |name: &str, _: &SortKeyCondition| {
            seen.push(name.to_string());
            Err(Error::invalid(format!("bad {name}")))
        };
        let e = k
            .key_condition_checked(
                "a = :v AND b = :v AND r2 = :v",
                &["a", "b"],
                &["r1", "r2"],
                &mut check,
            )
            .unwrap_err();
        assert_eq!(e.to_string(), "bad a");
        let mut ok_hash = |name: &str, _: &SortKeyCondition| {
            if name.starts_with('r') {
                Err(Error::invalid(format!("bad {name}")))
            } else {
                Ok(())
            }
        };
        let e = k
            .key_condition_checked(
                "a = :v AND b = :v AND r2 = :v",
                &["a", "b"],
                &["r1", "r2"],
                &mut ok_hash,
            )
            .unwrap_err();
        assert!(
            e.to_string().contains("RANGE key attributes r1 must"),
            "{e}"
        );
        let e = k
            .key_condition_checked(
                "a = :v AND b = :v AND r1 = :v AND x = :v",
                &["a", "b"],
                &["r1", "r2"],
                &mut ok_hash,
            )
            .unwrap_err();
        assert_eq!(e.to_string(), "bad r1");
        assert_eq!(seen, ["a"]);
    }
}
