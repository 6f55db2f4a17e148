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
        self.compose_from(attrs)
    }

    /// [`compose`](Self::compose) over any source of attribute values: an [`Item`], or the
    /// fields of a key struct captured without building one (`entity::keys`). The key is
    /// written into one string sized first, each value straight into it.
    pub(crate) fn compose_from<A: Attributes + ?Sized>(&self, attrs: &A) -> Result<Composed> {
        self.compose_with(attrs, true)
    }

    /// The key if every attribute is present, `None` if one is absent; errors as
    /// [`compose`](Self::compose).
    pub(crate) fn value_if_complete<A: Attributes + ?Sized>(
        &self,
        attrs: &A,
    ) -> Result<Option<Value>> {
        match self.compose_with(attrs, false)? {
            Composed::Complete(v) => Ok(Some(v)),
            Composed::Partial { .. } => Ok(None),
        }
    }

    /// True if the template reads `attribute`.
    pub(crate) fn uses(&self, attribute: &str) -> bool {
        self.parts.as_deref().is_ok_and(|parts| {
            parts
                .iter()
                .any(|p| matches!(p, Part::Attribute { name, .. } if name == attribute))
        })
    }

    /// Composes the key; `prefixes`: whether a [`Composed::Partial`] carries its prefixes
    /// (left empty otherwise, for callers that only need to know the key is incomplete).
    fn compose_with<A: Attributes + ?Sized>(&self, attrs: &A, prefixes: bool) -> Result<Composed> {
        let parts = self.parts()?;
        if let [Part::Attribute { name, width: None }] = parts {
            return match attrs.attribute(name).plain() {
                Attr::Missing => Ok(Composed::Partial {
                    prefix: String::new(),
                    open_prefix: String::new(),
                    missing: name.clone(),
                }),
                Attr::Str(s) => {
                    if s.is_empty() {
                        return Err(self.invalid(name, "empty value"));
                    }
                    Ok(Composed::Complete(Value::S(s.to_owned())))
                }
                Attr::Int(i) => Ok(Composed::Complete(Value::N(i.number()))),
                Attr::Value(v @ Value::N(_)) => Ok(Composed::Complete(v.clone())),
                Attr::Value(Value::B(b)) => {
                    if b.is_empty() {
                        return Err(self.invalid(name, "empty value"));
                    }
                    Ok(Composed::Complete(Value::B(b.clone())))
                }
                Attr::Value(v) => {
                    Err(self.invalid(name, format!("a {} cannot be a key", v.value_type())))
                }
            };
        }
        // The values of the first attributes, looked up once: their lengths size the key.
        const AHEAD: usize = 4;
        let mut ahead = [Attr::Missing; AHEAD];
        let mut capacity = 0;
        let mut n = 0;
        for part in parts {
            match part {
                Part::Literal(l) => capacity += l.len(),
                Part::Attribute { name, width } => {
                    let v = if n < AHEAD {
                        let v = attrs.attribute(name);
                        ahead[n] = v;
                        v
                    } else {
                        Attr::Missing
                    };
                    n += 1;
                    capacity += v.text_len_hint().max(width.unwrap_or(0));
                }
            }
        }
        let mut out = String::with_capacity(capacity);
        let mut open_len: Option<usize> = None;
        let mut n = 0;
        for part in parts {
            match part {
                Part::Literal(l) => out.push_str(l),
                Part::Attribute { name, width } => {
                    let v = if n < AHEAD {
                        ahead[n]
                    } else {
                        attrs.attribute(name)
                    };
                    n += 1;
                    if let Attr::Missing = v {
                        let (prefix, open_prefix) = if prefixes {
                            let open_prefix = match open_len {
                                Some(len) => out[..len].to_string(),
                                None => out.clone(),
                            };
                            (out, open_prefix)
                        } else {
                            (String::new(), String::new())
                        };
                        return Ok(Composed::Partial {
                            prefix,
                            open_prefix,
                            missing: name.clone(),
                        });
                    }
                    self.render_into(&mut out, name, v, *width)?;
                    open_len = Some(out.len());
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
        self.compose_complete_from(attrs)
    }

    /// [`compose_complete`](Self::compose_complete) over any source of attribute values.
    pub(crate) fn compose_complete_from<A: Attributes + ?Sized>(&self, attrs: &A) -> Result<Value> {
        match self.compose_with(attrs, false)? {
            Composed::Complete(v) => Ok(v),
            Composed::Partial { missing, .. } => Err(self.invalid(&missing, "missing attribute")),
        }
    }

    /// Appends one present attribute's text to `out`, checked: not empty, no delimiter,
    /// zero padding only of a non-negative integer that fits the width.
    fn render_into(
        &self,
        out: &mut String,
        name: &str,
        value: Attr<'_>,
        width: Option<usize>,
    ) -> Result<()> {
        let start = out.len();
        // An integer stored as a number is written as one given as an integer: its digits
        // straight into the key, not through the number's general text.
        let value = match value.plain() {
            Attr::Value(Value::N(n)) => n.to_i64().map_or(value, |v| Attr::Int(Int::Signed(v))),
            other => other,
        };
        match value {
            Attr::Str(s) => {
                if width.is_some() {
                    return Err(self.invalid(name, "zero padding needs a number"));
                }
                out.push_str(s);
            }
            Attr::Int(i) => {
                let mut buf = [0u8; 20];
                let digits = i.magnitude_digits(&mut buf);
                match width {
                    None => {
                        if i.is_negative() {
                            out.push('-');
                        }
                        push_ascii(out, digits);
                    }
                    Some(w) => {
                        if i.is_negative() {
                            return Err(
                                self.invalid(name, "zero padding needs a non-negative integer")
                            );
                        }
                        if digits.len() > w {
                            let digits = String::from_utf8_lossy(digits);
                            return Err(
                                self.invalid(name, format!("{digits} is wider than {w} digits"))
                            );
                        }
                        out.extend(std::iter::repeat_n('0', w - digits.len()));
                        push_ascii(out, digits);
                    }
                }
            }
            Attr::Value(Value::N(n)) => match width {
                None => n.with_text(|t| out.push_str(t)),
                Some(w) => {
                    if n.is_negative() || !n.is_integer() {
                        return Err(self.invalid(name, "zero padding needs a non-negative integer"));
                    }
                    n.with_text(|digits| self.pad_into(out, name, digits, w))?;
                }
            },
            Attr::Value(other) => {
                return Err(self.invalid(
                    name,
                    format!("a {} cannot be part of a key", other.value_type()),
                ))
            }
            // The caller handles an absent attribute.
            Attr::Missing => {}
        }
        let text = &out[start..];
        if text.is_empty() {
            return Err(self.invalid(name, "empty value"));
        }
        // Most delimiters are ASCII: a byte compare, cheaper than the general search for
        // the few bytes of a key part.
        let holds_delimiter = match u8::try_from(self.delimiter) {
            Ok(d) if d.is_ascii() => text.bytes().any(|b| b == d),
            _ => text.contains(self.delimiter),
        };
        if holds_delimiter {
            return Err(self.invalid(
                name,
                format!("value {text:?} contains the delimiter {:?}", self.delimiter),
            ));
        }
        Ok(())
    }

    /// Appends `digits` zero-padded to `width`; more digits than that is an error.
    fn pad_into(&self, out: &mut String, name: &str, digits: &str, width: usize) -> Result<()> {
        if digits.len() > width {
            return Err(self.invalid(name, format!("{digits} is wider than {width} digits")));
        }
        out.extend(std::iter::repeat_n('0', width - digits.len()));
        out.push_str(digits);
        Ok(())
    }
}

/// Appends ASCII bytes (digits) to `out`.
fn push_ascii(out: &mut String, bytes: &[u8]) {
    out.extend(bytes.iter().map(|&b| char::from(b)));
}

/// One attribute's value as a template reads it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Attr<'a> {
    /// Absent or `NULL`.
    Missing,
    /// A string (`S`) not held in a [`Value`].
    Str(&'a str),
    /// An integer (`N`) not held in a [`Value`].
    Int(Int),
    /// Any other present value.
    Value(&'a Value),
}

impl<'a> Attr<'a> {
    /// A string value as [`Attr::Str`], so that each kind of value has one form.
    fn plain(self) -> Attr<'a> {
        match self {
            Attr::Value(Value::S(s)) => Attr::Str(s),
            other => other,
        }
    }

    /// About how long the value's text is, to size a key.
    fn text_len_hint(self) -> usize {
        match self.plain() {
            Attr::Missing => 0,
            Attr::Str(s) => s.len(),
            Attr::Int(_) => 20,
            Attr::Value(Value::N(_)) => 24,
            Attr::Value(_) => 0,
        }
    }
}

/// An integer, as serde gives it; the same value as `Number::from` of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Int {
    /// From a signed type.
    Signed(i64),
    /// From an unsigned type.
    Unsigned(u64),
}

impl Int {
    fn is_negative(self) -> bool {
        matches!(self, Int::Signed(v) if v < 0)
    }

    /// The number.
    pub(crate) fn number(self) -> crate::item::Number {
        match self {
            Int::Signed(v) => v.into(),
            Int::Unsigned(v) => v.into(),
        }
    }

    /// The decimal digits (ASCII) of the magnitude, written at the end of `buf`.
    fn magnitude_digits(self, buf: &mut [u8; 20]) -> &[u8] {
        let mut m = match self {
            Int::Signed(v) => v.unsigned_abs(),
            Int::Unsigned(v) => v,
        };
        let mut at = buf.len();
        loop {
            at -= 1;
            buf[at] = b'0' + (m % 10) as u8;
            m /= 10;
            if m == 0 {
                break;
            }
        }
        &buf[at..]
    }
}

/// Where a template finds the values of the attributes it names.
pub(crate) trait Attributes {
    /// The value of attribute `name`.
    fn attribute(&self, name: &str) -> Attr<'_>;
}

impl Attributes for Item {
    fn attribute(&self, name: &str) -> Attr<'_> {
        match self.get(name) {
            None | Some(Value::Null) => Attr::Missing,
            Some(v) => Attr::Value(v),
        }
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

    /// `compose` as it was before it wrote into one string (each value formatted into its
    /// own, the open prefix cloned at each attribute): the reference the new one must match.
    fn reference_compose(t: &KeyTemplate, attrs: &Item) -> Result<Composed> {
        let parts = t.parts()?;
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
                        return Err(t.invalid(name, "empty value"));
                    }
                    Ok(Composed::Complete(v.clone()))
                }
                Some(v) => Err(t.invalid(name, format!("a {} cannot be a key", v.value_type()))),
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
                        Some(v) => reference_render(t, name, v, *width)?,
                    };
                    out.push_str(&text);
                    open_prefix = Some(out.clone());
                }
            }
        }
        Ok(Composed::Complete(Value::S(out)))
    }

    fn reference_render(
        t: &KeyTemplate,
        name: &str,
        value: &Value,
        width: Option<usize>,
    ) -> Result<String> {
        let text = match value {
            Value::S(s) => {
                if width.is_some() {
                    return Err(t.invalid(name, "zero padding needs a number"));
                }
                s.clone()
            }
            Value::N(n) => match width {
                None => n.to_string(),
                Some(w) => {
                    if n.is_negative() || !n.is_integer() {
                        return Err(t.invalid(name, "zero padding needs a non-negative integer"));
                    }
                    let digits = n.to_string();
                    if digits.len() > w {
                        return Err(t.invalid(name, format!("{digits} is wider than {w} digits")));
                    }
                    format!("{digits:0>w$}")
                }
            },
            other => {
                return Err(t.invalid(
                    name,
                    format!("a {} cannot be part of a key", other.value_type()),
                ))
            }
        };
        if text.is_empty() {
            return Err(t.invalid(name, "empty value"));
        }
        if text.contains(t.delimiter) {
            return Err(t.invalid(
                name,
                format!("value {text:?} contains the delimiter {:?}", t.delimiter),
            ));
        }
        Ok(text)
    }

    #[test]
    fn composes_as_the_reference_over_every_kind_of_value() {
        let number = |s: &str| Value::number(s).unwrap();
        let values = [
            None,
            Some(Value::Null),
            Some(Value::from("")),
            Some(Value::from("x")),
            Some(Value::from("a#b")),
            Some(Value::from("a|b")),
            Some(Value::from("a-b")),
            Some(Value::from("✓".repeat(40))),
            Some(number("0")),
            Some(number("7")),
            Some(number("-7")),
            Some(number("1.5")),
            Some(number("1000")),
            Some(number("123456")),
            Some(number("1E+30")),
            Some(number("1E-30")),
            Some(number("99999999999999999999999999999999999999")),
            Some(Value::from(true)),
            Some(Value::B(vec![])),
            Some(Value::B(vec![1])),
            Some(Value::L(vec![])),
        ];
        let templates = [
            KeyTemplate::new("{a}"),
            KeyTemplate::new("{a:04}"),
            KeyTemplate::new("A#{a}"),
            KeyTemplate::new("A#{a}#B#{b:03}"),
            KeyTemplate::new("{a}#{b}#C"),
            KeyTemplate::new("A#{a:02}#{b:05}#{c}#{d}#{e:01}"),
            KeyTemplate::new("PROFILE"),
            KeyTemplate::new("{a"),
            KeyTemplate::with_delimiter("A|{a}|{b}", '|'),
            KeyTemplate::with_delimiter("A-{a}-{b:06}", '-'),
        ];
        for t in &templates {
            for a in &values {
                for b in &values {
                    let mut item = Item::new();
                    for (name, v) in [("a", a), ("b", b), ("c", a), ("d", b), ("e", a)] {
                        if let Some(v) = v {
                            item.insert(name.into(), v.clone());
                        }
                    }
                    let new = t.compose(&item);
                    let old = reference_compose(t, &item);
                    assert_eq!(format!("{new:?}"), format!("{old:?}"), "{t:?} {item:?}");
                    let new = t.compose_complete(&item);
                    let old = match reference_compose(t, &item) {
                        Ok(Composed::Complete(v)) => Ok(v),
                        Ok(Composed::Partial { missing, .. }) => {
                            Err(t.invalid(&missing, "missing attribute"))
                        }
                        Err(e) => Err(e),
                    };
                    assert_eq!(format!("{new:?}"), format!("{old:?}"), "{t:?} {item:?}");
                    let complete = t.value_if_complete(&item);
                    match (complete, new) {
                        (Ok(Some(v)), Ok(w)) => assert_eq!(v, w),
                        (Ok(None), Err(Error::InvalidKey { reason, .. })) => {
                            assert_eq!(reason, "missing attribute")
                        }
                        (Err(e), Err(f)) => assert_eq!(e.to_string(), f.to_string()),
                        (c, n) => panic!("{t:?} {item:?}: {c:?} / {n:?}"),
                    }
                }
            }
        }
    }

    #[test]
    fn uses_names_the_attributes() {
        let t = KeyTemplate::new("REV#{doc}#{n:06}");
        assert!(t.uses("doc") && t.uses("n") && !t.uses("REV") && !t.uses("x"));
        assert!(!KeyTemplate::new("{a").uses("a"));
    }
}
