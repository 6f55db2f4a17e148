//! Key templates: keys such as `ORDER#{created}#{order_id}` composed from attributes.

use std::fmt;

use crate::error::{Error, Result};
use crate::item::{Item, Value};

/// The default delimiter between the parts of a composed key.
pub const DEFAULT_DELIMITER: char = '#';

/// A piece of one segment of a template, for comparing templates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    /// Literal text (without the delimiter).
    Literal(String),
    /// An attribute's value; digits only when zero-padded to `width`.
    Hole {
        /// The zero-padding width, if any.
        width: Option<usize>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Attribute { name: String, width: Option<usize> },
}

/// A template such as `USER#{user_id}`, `ORDER#{created}#{order_id}`, `COUNT#{n:06}` or a
/// static `PROFILE`.
///
/// Composing a key from attribute values rejects a value that is empty or contains the
/// delimiter (for a template of more than one part), so two different sets of values can
/// never compose the same key. `{name:0W}` zero-pads a non-negative integer to `W` digits so
/// that numbers sort by value inside a string key. A template that is exactly one attribute,
/// `{name}`, copies the attribute's value as it is (string, number or binary).
///
/// ```
/// use monotable_core::{Item, KeyTemplate, Value};
/// let attrs = Item::from([("created", "2024-05-01")]).with("n", 42);
/// let order = KeyTemplate::new("ORDER#{created}#{n:06}");
/// assert_eq!(order.compose_complete(&attrs)?, Value::from("ORDER#2024-05-01#000042"));
/// // A template that is one attribute keeps the value's type.
/// assert_eq!(KeyTemplate::new("{n}").compose_complete(&attrs)?, Value::from(42));
/// # Ok::<(), monotable_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct KeyTemplate {
    source: String,
    delimiter: char,
    parts: std::result::Result<Vec<Part>, String>,
}

/// The outcome of composing a template from the attributes at hand; see
/// [`KeyTemplate::compose`]'s example.
#[derive(Debug, Clone, PartialEq)]
pub enum Composed {
    /// Every attribute was present: the key.
    Complete(Value),
    /// An attribute was absent; the text composed before it.
    Partial {
        /// The text composed before the absent attribute, including the literal that follows
        /// the last present attribute (`ORDER#2024#` for `ORDER#{year}#{id}`).
        prefix: String,
        /// The same without the literal after the last present attribute (`ORDER#2024`), so
        /// that `begins_with` can match a prefix of that attribute's value; equal to
        /// `prefix` when no attribute was present.
        open_prefix: String,
        /// The first absent attribute.
        missing: String,
    },
}

impl KeyTemplate {
    /// Parses a template with the default delimiter `#`. A malformed template is reported as
    /// [`Error::InvalidKey`] when it is first used, and by [`KeyTemplate::check`].
    pub fn new(source: impl Into<String>) -> Self {
        Self::with_delimiter(source, DEFAULT_DELIMITER)
    }

    /// Parses a template with another delimiter.
    ///
    /// ```
    /// use monotable_core::{Item, KeyTemplate, Value};
    /// let user = KeyTemplate::with_delimiter("USER|{id}", '|');
    /// assert_eq!(user.compose_complete(&Item::from([("id", "a#1")]))?, Value::from("USER|a#1"));
    /// assert!(user.compose(&Item::from([("id", "a|1")])).is_err());
    /// # Ok::<(), monotable_core::Error>(())
    /// ```
    pub fn with_delimiter(source: impl Into<String>, delimiter: char) -> Self {
        let source = source.into();
        let parts = parse(&source, delimiter);
        KeyTemplate {
            source,
            delimiter,
            parts,
        }
    }

    /// The template text.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Fails with [`Error::InvalidKey`] if the template is malformed.
    ///
    /// ```
    /// use monotable_core::KeyTemplate;
    /// assert!(KeyTemplate::new("ORDER#{created}#{id}").check().is_ok());
    /// assert!(KeyTemplate::new("USER#{id").check().is_err()); // unclosed
    /// // Two attributes must be apart by the delimiter, or values could shift between them.
    /// let err = KeyTemplate::new("{first}-{last}").check().unwrap_err();
    /// assert!(err.to_string().ends_with("must contain the delimiter '#'"));
    /// ```
    pub fn check(&self) -> Result<()> {
        self.parts().map(|_| ())
    }

    fn parts(&self) -> Result<&[Part]> {
        self.parts.as_deref().map_err(|reason| Error::InvalidKey {
            template: self.source.clone(),
            part: self.source.clone(),
            reason: reason.clone(),
        })
    }

    /// The template as segments between delimiters, each a list of pieces: literal text, or
    /// an attribute (with its zero-padding width). `None` if the template is malformed.
    /// A template that is one attribute alone is one segment that may hold the delimiter.
    pub(crate) fn segments(&self) -> Option<(Vec<Vec<Piece>>, char)> {
        let parts = self.parts.as_ref().ok()?;
        let mut segments = vec![Vec::new()];
        for p in parts {
            match p {
                Part::Literal(text) => {
                    let mut pieces = text.split(self.delimiter);
                    if let Some(first) = pieces.next() {
                        if !first.is_empty() {
                            segments.last_mut()?.push(Piece::Literal(first.to_string()));
                        }
                    }
                    for rest in pieces {
                        segments.push(Vec::new());
                        if !rest.is_empty() {
                            segments.last_mut()?.push(Piece::Literal(rest.to_string()));
                        }
                    }
                }
                Part::Attribute { width, .. } => {
                    segments.last_mut()?.push(Piece::Hole { width: *width })
                }
            }
        }
        Some((segments, self.delimiter))
    }

    /// The attributes the template zero-pads (`{n:06}`): each must be an integer.
    pub fn padded_attributes(&self) -> Vec<&str> {
        match &self.parts {
            Ok(parts) => parts
                .iter()
                .filter_map(|p| match p {
                    Part::Attribute {
                        name,
                        width: Some(_),
                    } => Some(name.as_str()),
                    _ => None,
                })
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// The attributes the template reads, in order.
    ///
    /// ```
    /// use monotable_core::KeyTemplate;
    /// let revision = KeyTemplate::new("REV#{doc}#{n:06}");
    /// assert_eq!(revision.attributes(), ["doc", "n"]);
    /// assert_eq!(revision.padded_attributes(), ["n"]);
    /// assert_eq!(revision.literal_prefix(), "REV#");
    /// ```
    pub fn attributes(&self) -> Vec<&str> {
        match &self.parts {
            Ok(parts) => parts
                .iter()
                .filter_map(|p| match p {
                    Part::Attribute { name, .. } => Some(name.as_str()),
                    Part::Literal(_) => None,
                })
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// The literal text before the first attribute (the whole key for a static template).
    pub fn literal_prefix(&self) -> &str {
        match self.parts.as_deref() {
            Ok([Part::Literal(l), ..]) => l,
            _ => "",
        }
    }

    fn invalid(&self, part: &str, reason: impl Into<String>) -> Error {
        Error::InvalidKey {
            template: self.source.clone(),
            part: part.to_string(),
            reason: reason.into(),
        }
    }

    /// Composes the key from `attrs`; absent (or `NULL`) attributes give
    /// [`Composed::Partial`]. Present values are checked: a bad value is an error.
    ///
    /// ```
    /// use monotable_core::entity::template::Composed;
    /// use monotable_core::{Item, KeyTemplate};
    /// let order = KeyTemplate::new("ORDER#{year}#{id}");
    /// let prefix = Composed::Partial {
    ///     prefix: "ORDER#2024#".into(),
    ///     open_prefix: "ORDER#2024".into(),
    ///     missing: "id".into(),
    /// };
    /// assert_eq!(order.compose(&Item::from([("year", "2024")]))?, prefix);
    /// // A value holding the delimiter could compose another item's key: refused.
    /// assert!(order.compose(&Item::from([("year", "2024#x")])).is_err());
    /// # Ok::<(), monotable_core::Error>(())
    /// ```
    pub fn compose(&self, attrs: &Item) -> Result<Composed> {
        let parts = self.parts()?;
        if let [Part::Attribute { name, width: None }] = parts {
            return match attrs.get(name) {
                None | Some(Value::Null) => Ok(Composed::Partial {
                    prefix: String::new(),
                    open_prefix: String::new(),
                    missing: name.clone(),
                }),
                Some(v @ (Value::S(_) | Value::N(_) | Value::B(_))) => {
                    if matches!(v, Value::S(s) if s.is_empty())
                        || matches!(v, Value::B(b) if b.is_empty())
                    {
                        return Err(self.invalid(name, "empty value"));
                    }
                    Ok(Composed::Complete(v.clone()))
                }
                Some(v) => Err(self.invalid(name, format!("a {} cannot be a key", v.value_type()))),
            };
        }
        let mut out = String::new();
        let mut open_prefix = None;
        for part in parts {
            match part {
                Part::Literal(l) => out.push_str(l),
                Part::Attribute { name, width } => {
                    let text = match attrs.get(name) {
                        None | Some(Value::Null) => {
                            return Ok(Composed::Partial {
                                open_prefix: open_prefix.unwrap_or_else(|| out.clone()),
                                prefix: out,
                                missing: name.clone(),
                            })
                        }
                        Some(v) => self.render(name, v, *width)?,
                    };
                    out.push_str(&text);
                    open_prefix = Some(out.clone());
                }
            }
        }
        Ok(Composed::Complete(Value::S(out)))
    }

    /// Composes a key that must be complete: an absent attribute is an error.
    ///
    /// ```
    /// use monotable_core::{Item, KeyTemplate};
    /// let err = KeyTemplate::new("USER#{id}").compose_complete(&Item::new()).unwrap_err();
    /// let expected = r#"invalid key for template "USER#{id}": part "id": missing attribute"#;
    /// assert_eq!(err.to_string(), expected);
    /// ```
    pub fn compose_complete(&self, attrs: &Item) -> Result<Value> {
        match self.compose(attrs)? {
            Composed::Complete(v) => Ok(v),
            Composed::Partial { missing, .. } => Err(self.invalid(&missing, "missing attribute")),
        }
    }

    fn render(&self, name: &str, value: &Value, width: Option<usize>) -> Result<String> {
        let text = match value {
            Value::S(s) => {
                if width.is_some() {
                    return Err(self.invalid(name, "zero padding needs a number"));
                }
                s.clone()
            }
            Value::N(n) => match width {
                None => n.to_string(),
                Some(w) => {
                    if n.is_negative() || !n.is_integer() {
                        return Err(self.invalid(name, "zero padding needs a non-negative integer"));
                    }
                    let digits = n.to_string();
                    if digits.len() > w {
                        return Err(
                            self.invalid(name, format!("{digits} is wider than {w} digits"))
                        );
                    }
                    format!("{digits:0>w$}")
                }
            },
            other => {
                return Err(self.invalid(
                    name,
                    format!("a {} cannot be part of a key", other.value_type()),
                ))
            }
        };
        if text.is_empty() {
            return Err(self.invalid(name, "empty value"));
        }
        if text.contains(self.delimiter) {
            return Err(self.invalid(
                name,
                format!("value {text:?} contains the delimiter {:?}", self.delimiter),
            ));
        }
        Ok(text)
    }
}

fn parse(source: &str, delimiter: char) -> std::result::Result<Vec<Part>, String> {
    let mut parts = Vec::new();
    let mut rest = source;
    while !rest.is_empty() {
        if let Some(open) = rest.find('{') {
            if open > 0 {
                parts.push(Part::Literal(rest[..open].to_string()));
            }
            let close = rest[open..]
                .find('}')
                .ok_or_else(|| "unclosed '{'".to_string())?
                + open;
            let inner = &rest[open + 1..close];
            let (name, width) = match inner.split_once(':') {
                Some((name, fmt)) => {
                    let w = fmt
                        .strip_prefix('0')
                        .and_then(|w| w.parse::<usize>().ok())
                        .filter(|w| (1..=38).contains(w))
                        .ok_or_else(|| {
                            format!("bad format {fmt:?}: expected 0 and a width, as in {{n:06}}")
                        })?;
                    (name, Some(w))
                }
                None => (inner, None),
            };
            if name.is_empty() || name.contains(['{', '}']) {
                return Err(format!("bad attribute name {name:?}"));
            }
            if let Some(Part::Attribute { .. }) = parts.last() {
                return Err(format!(
                    "attributes must be separated by a literal containing {delimiter:?}"
                ));
            }
            parts.push(Part::Attribute {
                name: name.to_string(),
                width,
            });
            rest = &rest[close + 1..];
        } else {
            if rest.contains('}') {
                return Err("unmatched '}'".to_string());
            }
            parts.push(Part::Literal(rest.to_string()));
            rest = "";
        }
    }
    if parts.is_empty() {
        return Err("empty template".to_string());
    }
    // Two attributes must be separated by the delimiter, or values could shift between them.
    for w in parts.windows(3) {
        if let [Part::Attribute { .. }, Part::Literal(l), Part::Attribute { .. }] = w {
            if !l.contains(delimiter) {
                return Err(format!(
                    "literal {l:?} between two attributes must contain the delimiter {delimiter:?}"
                ));
            }
        }
    }
    Ok(parts)
}

impl fmt::Debug for KeyTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyTemplate({:?})", self.source)
    }
}

impl fmt::Display for KeyTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl From<&str> for KeyTemplate {
    fn from(s: &str) -> Self {
        KeyTemplate::new(s)
    }
}

impl From<String> for KeyTemplate {
    fn from(s: String) -> Self {
        KeyTemplate::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(pairs: &[(&str, Value)]) -> Item {
        pairs.iter().cloned().collect()
    }

    #[test]
    fn composes_literals_attributes_and_padding() {
        let t = KeyTemplate::new("ORDER#{created}#{n:06}");
        let item = attrs(&[("created", "2024-01-01".into()), ("n", 42.into())]);
        assert_eq!(
            t.compose_complete(&item).unwrap(),
            Value::from("ORDER#2024-01-01#000042")
        );
        assert_eq!(t.attributes(), vec!["created", "n"]);
        assert_eq!(
            KeyTemplate::new("PROFILE")
                .compose_complete(&Item::new())
                .unwrap(),
            Value::from("PROFILE")
        );
    }

    #[test]
    fn rejects_empty_and_delimiter_parts() {
        let t = KeyTemplate::new("USER#{id}");
        let err = t.compose(&attrs(&[("id", "a#b".into())])).unwrap_err();
        assert!(
            matches!(err, Error::InvalidKey { ref part, .. } if part == "id"),
            "{err}"
        );
        assert!(t.compose(&attrs(&[("id", "".into())])).is_err());
    }

    #[test]
    fn partial_prefix_includes_following_literal() {
        let t = KeyTemplate::new("ORDER#{created}#{id}");
        let c = t.compose(&attrs(&[("created", "2024".into())])).unwrap();
        assert_eq!(
            c,
            Composed::Partial {
                prefix: "ORDER#2024#".into(),
                open_prefix: "ORDER#2024".into(),
                missing: "id".into()
            }
        );
    }

    #[test]
    fn malformed_templates() {
        for bad in ["{a}{b}", "A#{a}-{b}", "{", "X}", "{n:6}", "{}", ""] {
            assert!(KeyTemplate::new(bad).check().is_err(), "{bad}");
        }
    }
}
