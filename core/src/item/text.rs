//! An item's stored text in DynamoDB's JSON form (`{"name":{"S":"x"},...}`), as the SQLite
//! backend stores it, read without building the [`Item`] where it can be.
//!
//! The one reader of the canonical form (the text `Item::to_json` prints and the SQLite
//! backend writes: no whitespace, names in strictly ascending order, strings without escapes
//! or control characters, sets non-empty in ascending order, no binary values, at most
//! [`FAST_DEPTH`] levels) reads the text once into a flat list of [`Node`]s that point into
//! it. From that list: the [`Item`] (`to_item`), an attribute, the size, or a serde type
//! through `item/de`'s deserializer, the one the item path uses (so the decoded value and
//! every error are the item path's). Anything else is `None` here, and the caller reads it
//! the slow way, which gives core's result or error.
//!
//! A read of a stored item asks several of these of the same text (its size, its entity type
//! and schema version, then the entity): [`ReadItemText`] is a text read once, which answers
//! them all from one reading.

use std::collections::BTreeMap;

use crate::item::{Item, Number, Value};

/// An item's stored text in DynamoDB JSON (what the SQLite backend stores), read without
/// building the [`Item`] where it can be.
///
/// Each method reads the whole text (a text is canonical or not as a whole); to ask several
/// things of one text, read it once with [`ReadItemText::read`].
///
/// ```
/// use monotable_core::item::ItemText;
/// use monotable_core::{Item, Value};
/// let text = r#"{"name":{"S":"Ada"},"pk":{"S":"USER#u1"}}"#;
/// let read = ItemText::new(text);
/// assert_eq!(read.attribute("name"), Some(Some(Value::from("Ada"))));
/// assert_eq!(read.size(), Some(Item::from([("name", "Ada"), ("pk", "USER#u1")]).size()));
/// // Whitespace is not the canonical form: the caller reads it the slow way.
/// assert_eq!(ItemText::new(r#"{ "name": {"S": "Ada"} }"#).size(), None);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ItemText<'a> {
    text: &'a str,
}

impl<'a> ItemText<'a> {
    /// The text of an item.
    pub fn new(text: &'a str) -> Self {
        ItemText { text }
    }

    /// The text.
    pub fn as_str(&self) -> &'a str {
        self.text
    }

    /// The text, for `item/de`.
    pub(crate) fn text(&self) -> &'a str {
        self.text
    }

    /// The item: exactly what `Item::from_json(&serde_json::from_str(text)?)` gives, or its
    /// error as a `String`.
    ///
    /// # Errors
    ///
    /// serde_json's message if the text is not JSON, `Item::from_json`'s if it is not an
    /// item.
    pub fn to_item(&self) -> Result<Item, String> {
        if let Some(item) = self.canonical_item() {
            return Ok(item);
        }
        let json: serde_json::Value = serde_json::from_str(self.text).map_err(|e| e.to_string())?;
        Item::from_json(&json)
    }

    /// The item if the text is in the canonical form, read straight from the text; `None`
    /// otherwise (for readers with fallbacks of their own).
    pub fn canonical_item(&self) -> Option<Item> {
        with_nodes(self.text, |nodes| Item::from(map_of(nodes)))
    }

    /// The value of the top-level attribute `name`: `Some(None)` if absent, `None` if the
    /// text is not canonical.
    pub fn attribute(&self, name: &str) -> Option<Option<Value>> {
        with_nodes(self.text, |nodes| attribute_of(nodes, name))
    }

    /// The item's DynamoDB size ([`Item::size`]), `None` if the text is not canonical.
    pub fn size(&self) -> Option<usize> {
        with_nodes(self.text, size_of)
    }
}

/// An item's canonical stored text, read once: its size, its attributes and any serde type
/// decoded from it come from that one reading (as [`ItemText`]'s methods give them).
///
/// ```
/// use monotable_core::item::ReadItemText;
/// use monotable_core::Value;
/// let read = ReadItemText::read(r#"{"n":{"N":"7"},"s":{"S":"x"}}"#.to_string()).unwrap();
/// assert_eq!(read.attribute("n"), Some(Value::from(7)));
/// let decoded: std::collections::BTreeMap<String, serde_json::Value> = read.decode()?;
/// assert_eq!(decoded["s"], "x");
/// // Not canonical: the text is handed back.
/// assert!(ReadItemText::read(r#"{"b":{"B":"AAE="}}"#.to_string()).is_err());
/// # Ok::<(), monotable_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ReadItemText {
    text: String,
    nodes: Vec<Node>,
}

impl ReadItemText {
    /// Reads `text`; hands it back if it is not in the canonical form.
    ///
    /// # Errors
    ///
    /// The text itself, for the caller to read the slow way.
    pub fn read(text: String) -> Result<Self, String> {
        let mut nodes = Vec::new();
        match parse(&text, &mut nodes) {
            Some(()) => Ok(ReadItemText { text, nodes }),
            None => Err(text),
        }
    }

    pub(crate) fn nodes(&self) -> Nodes<'_> {
        Nodes {
            text: &self.text,
            nodes: &self.nodes,
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The item.
    pub fn to_item(&self) -> Item {
        Item::from(map_of(self.nodes()))
    }

    /// The value of the top-level attribute `name`.
    pub fn attribute(&self, name: &str) -> Option<Value> {
        attribute_of(self.nodes(), name)
    }

    /// The item's DynamoDB size ([`Item::size`]).
    pub fn size(&self) -> usize {
        size_of(self.nodes())
    }
}

/// The top-level attribute `name` of an item's nodes.
fn attribute_of(nodes: Nodes<'_>, name: &str) -> Option<Value> {
    // Names in ascending order: looked for until passed.
    for (n, value) in entries(nodes) {
        match n.cmp(name) {
            std::cmp::Ordering::Less => {}
            std::cmp::Ordering::Equal => return Some(value_of(value)),
            std::cmp::Ordering::Greater => break,
        }
    }
    None
}

/// [`Item::size`] of an item's nodes, summed node by node: a top-level name counts its
/// bytes; a list or map value 3 and 1 per element (plus a nested name's bytes); a set only
/// its members.
fn size_of(nodes: Nodes<'_>) -> usize {
    let mut size = 0;
    for node in nodes.nodes.get(1..).unwrap_or_default() {
        size += match node {
            Node::S(s) | Node::Name(s) => s.len(),
            Node::N(n) => n.storage_size(),
            Node::Bool(_) | Node::Null => 1,
            Node::L { len, .. } | Node::M { len, .. } => 3 + *len as usize,
            Node::Ss { .. } | Node::Ns { .. } => 0,
        };
    }
    size
}

/// `f` of the nodes of `text`, `None` if `text` is not canonical.
pub(crate) fn with_nodes<R>(text: &str, f: impl FnOnce(Nodes<'_>) -> R) -> Option<R> {
    let mut nodes = Vec::new();
    parse(text, &mut nodes)?;
    Some(f(Nodes {
        text,
        nodes: &nodes,
    }))
}

/// Where a name or a string is in the text (byte offsets).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Span {
    start: u32,
    end: u32,
}

impl Span {
    fn len(self) -> usize {
        (self.end - self.start) as usize
    }
}

/// One node of an item's text: a value, or the name of a map's entry. Containers are
/// followed by their descendants (`below` nodes): a map by its entries, each a
/// [`Node::Name`] then the value; a list by its values; a set by its members (`S` or `N`
/// nodes).
#[derive(Debug, Clone)]
pub(crate) enum Node {
    S(Span),
    N(Number),
    Bool(bool),
    Null,
    Name(Span),
    L { len: u32, below: u32 },
    M { len: u32, below: u32 },
    Ss { len: u32, below: u32 },
    Ns { len: u32, below: u32 },
}

impl Node {
    /// How many nodes follow this one as its descendants.
    #[inline]
    fn below(&self) -> usize {
        match self {
            Node::L { below, .. }
            | Node::M { below, .. }
            | Node::Ss { below, .. }
            | Node::Ns { below, .. } => *below as usize,
            _ => 0,
        }
    }

    /// How many elements (entries, values, members) a container holds.
    fn len(&self) -> usize {
        match self {
            Node::L { len, .. }
            | Node::M { len, .. }
            | Node::Ss { len, .. }
            | Node::Ns { len, .. } => *len as usize,
            _ => 0,
        }
    }
}

/// A value read from a text: its node first, then its descendants, and the text they point
/// into.
#[derive(Clone, Copy)]
pub(crate) struct Nodes<'a> {
    text: &'a str,
    nodes: &'a [Node],
}

/// What a value's nodes are, as `item/de` reads them.
pub(crate) enum Read<'a> {
    S(&'a str),
    N(&'a Number),
    Bool(bool),
    Null,
    L(Nodes<'a>),
    M(Nodes<'a>),
    Ss(Nodes<'a>),
    Ns(Nodes<'a>),
}

/// The text at `span`.
#[inline]
fn str_at(text: &str, span: Span) -> &str {
    text.get(span.start as usize..span.end as usize)
        .unwrap_or_default()
}

impl<'a> Nodes<'a> {
    /// What the value is.
    #[inline]
    pub(crate) fn read(self) -> Read<'a> {
        match self.nodes.first() {
            Some(Node::S(s) | Node::Name(s)) => Read::S(str_at(self.text, *s)),
            Some(Node::N(n)) => Read::N(n),
            Some(Node::Bool(b)) => Read::Bool(*b),
            Some(Node::L { .. }) => Read::L(self),
            Some(Node::M { .. }) => Read::M(self),
            Some(Node::Ss { .. }) => Read::Ss(self),
            Some(Node::Ns { .. }) => Read::Ns(self),
            Some(Node::Null) | None => Read::Null,
        }
    }
}

/// A container's elements: the nodes of each, in order (for a map, each entry's value with
/// its name before it).
#[derive(Clone)]
pub(crate) struct Children<'a> {
    text: &'a str,
    rest: &'a [Node],
    left: usize,
}

/// The elements of the container `nodes`.
pub(crate) fn children(nodes: Nodes<'_>) -> Children<'_> {
    Children {
        text: nodes.text,
        left: nodes.nodes.first().map_or(0, Node::len),
        rest: nodes.nodes.get(1..).unwrap_or_default(),
    }
}

impl<'a> Children<'a> {
    /// The next element's nodes (itself and its descendants).
    #[inline]
    fn element(&mut self) -> Option<Nodes<'a>> {
        let first = self.rest.first()?;
        let (element, rest) = self.rest.split_at_checked(1 + first.below())?;
        self.rest = rest;
        Some(Nodes {
            text: self.text,
            nodes: element,
        })
    }
}

impl<'a> Iterator for Children<'a> {
    type Item = Nodes<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        self.element()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Children<'_> {}

/// A map's entries: each name with its value's nodes.
#[derive(Clone)]
pub(crate) struct Entries<'a>(Children<'a>);

/// The entries of the map `nodes`.
pub(crate) fn entries(nodes: Nodes<'_>) -> Entries<'_> {
    Entries(children(nodes))
}

impl<'a> Iterator for Entries<'a> {
    type Item = (&'a str, Nodes<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.0.left == 0 {
            return None;
        }
        self.0.left -= 1;
        let [Node::Name(name), value @ ..] = self.0.rest else {
            return None;
        };
        let (value, rest) = value.split_at_checked(1 + value.first()?.below())?;
        self.0.rest = rest;
        let text = self.0.text;
        Some((str_at(text, *name), Nodes { text, nodes: value }))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl ExactSizeIterator for Entries<'_> {}

/// The members of the string set `nodes`, in order.
pub(crate) fn strings(nodes: Nodes<'_>) -> Members<'_, &str> {
    Members {
        text: nodes.text,
        nodes: nodes.nodes.get(1..).unwrap_or_default().iter(),
        member: |text, node| match node {
            Node::S(s) => Some(str_at(text, *s)),
            _ => None,
        },
    }
}

/// The members of the number set `nodes`, in order.
pub(crate) fn numbers(nodes: Nodes<'_>) -> Members<'_, &Number> {
    Members {
        text: nodes.text,
        nodes: nodes.nodes.get(1..).unwrap_or_default().iter(),
        member: |_, node| match node {
            Node::N(n) => Some(n),
            _ => None,
        },
    }
}

/// A set's members: its descendants, one node each.
pub(crate) struct Members<'a, T> {
    text: &'a str,
    nodes: std::slice::Iter<'a, Node>,
    member: fn(&'a str, &'a Node) -> Option<T>,
}

impl<T> Iterator for Members<'_, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        let (text, member) = (self.text, self.member);
        self.nodes.by_ref().find_map(|node| member(text, node))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.nodes.len(), Some(self.nodes.len()))
    }
}

impl<T> ExactSizeIterator for Members<'_, T> {}

/// The value whose nodes are `nodes`.
fn value_of(nodes: Nodes<'_>) -> Value {
    match nodes.read() {
        Read::S(s) => Value::S(s.to_owned()),
        Read::N(n) => Value::N(n.clone()),
        Read::Bool(b) => Value::Bool(b),
        Read::Null => Value::Null,
        Read::L(l) => Value::L(children(l).map(value_of).collect()),
        Read::M(m) => Value::M(map_of(m)),
        Read::Ss(s) => Value::Ss(strings(s).map(str::to_owned).collect()),
        Read::Ns(s) => Value::Ns(numbers(s).cloned().collect()),
    }
}

/// The map whose nodes are `nodes` (its entries in order already: built in bulk).
fn map_of(nodes: Nodes<'_>) -> BTreeMap<String, Value> {
    entries(nodes)
        .map(|(name, value)| (name.to_owned(), value_of(value)))
        .collect()
}

/// Deepest nesting of maps and lists the reader takes (DynamoDB allows 32; serde_json's
/// reader stops at 128): anything deeper is left to the caller's reader.
pub(crate) const FAST_DEPTH: usize = 32;

/// Reads the nodes of a canonical item's text (the item's map first) into `nodes` (cleared
/// first); `None` if the text is not canonical.
fn parse(text: &str, nodes: &mut Vec<Node>) -> Option<()> {
    nodes.clear();
    // Offsets are u32.
    u32::try_from(text.len()).ok()?;
    // Some 12 bytes of text a node at least (`"a":{"N":"1"}` is two).
    nodes.reserve(text.len() / 12 + 4);
    let mut scan = Scan { text, at: 0, nodes };
    scan.map(0)?;
    (scan.at == text.len()).then_some(())
}

/// The reader of the canonical form: `None` for anything else (whitespace, escapes, names
/// out of order or repeated, binary values, sets empty, out of order or with duplicates, an
/// invalid number…).
struct Scan<'a> {
    text: &'a str,
    at: usize,
    nodes: &'a mut Vec<Node>,
}

impl<'a> Scan<'a> {
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.at).copied()
    }

    fn eat(&mut self, want: u8) -> Option<()> {
        (self.peek()? == want).then(|| self.at += 1)
    }

    /// Eats `want` if the text goes on with it.
    fn eat_bytes(&mut self, want: &[u8]) -> bool {
        let found = self.bytes()[self.at..].starts_with(want);
        if found {
            self.at += want.len();
        }
        found
    }

    /// A string without escapes or control characters: where it is, and its bytes.
    #[inline]
    fn string(&mut self) -> Option<(Span, &'a [u8])> {
        self.eat(b'"')?;
        let start = self.at;
        let end = start + special(&self.bytes()[start..])?;
        if self.bytes()[end] != b'"' {
            return None;
        }
        self.at = end + 1;
        // Between two quotes (ASCII), so on character boundaries; the text's length fits
        // in a u32 (`parse`).
        let span = Span {
            start: start as u32,
            end: end as u32,
        };
        Some((span, &self.bytes()[start..end]))
    }

    /// A number's string. An integer as `Item::to_json` writes one (no sign but `-`, no
    /// leading zero, up to 18 digits) is built from its value as the digits are read; any
    /// other text goes to `Number::parse`.
    fn number(&mut self) -> Option<Number> {
        let bytes = self.bytes();
        let start = self.at + 1;
        let negative = bytes.get(start) == Some(&b'-');
        let first = start + usize::from(negative);
        let mut at = first;
        let mut magnitude: u64 = 0;
        while let Some(d @ b'0'..=b'9') = bytes.get(at) {
            magnitude = magnitude * 10 + u64::from(d - b'0');
            at += 1;
            if at - first > 18 {
                break;
            }
        }
        let digits = at - first;
        let canonical = bytes.get(self.at) == Some(&b'"')
            && bytes.get(at) == Some(&b'"')
            && (1..=18).contains(&digits)
            && (bytes[first] != b'0' || (digits == 1 && !negative));
        if canonical {
            self.at = at + 1;
            // Up to 18 digits: within i64.
            let value = magnitude as i64;
            return Some(Number::from(if negative { -value } else { value }));
        }
        let (span, _) = self.string()?;
        Number::parse(str_at(self.text, span)).ok()
    }

    /// Pushes a container's node, to be completed by [`Scan::close`].
    fn open(&mut self) -> usize {
        self.nodes.push(Node::Null);
        self.nodes.len() - 1
    }

    /// Completes the container opened at `at` with its `len` elements.
    fn close(&mut self, at: usize, len: usize, node: fn(u32, u32) -> Node) -> Option<()> {
        let below = u32::try_from(self.nodes.len() - at - 1).ok()?;
        self.nodes[at] = node(u32::try_from(len).ok()?, below);
        Some(())
    }

    /// `{"name":value,...}` with names in strictly ascending order.
    fn map(&mut self, depth: usize) -> Option<()> {
        if depth >= FAST_DEPTH {
            return None;
        }
        self.eat(b'{')?;
        let at = self.open();
        let mut len = 0;
        if self.eat(b'}').is_none() {
            let mut last: Option<&[u8]> = None;
            loop {
                let (span, name) = self.string()?;
                if last.is_some_and(|l| !ascending(l, name)) {
                    return None;
                }
                last = Some(name);
                self.eat(b':')?;
                self.nodes.push(Node::Name(span));
                self.value(depth)?;
                len += 1;
                match self.peek()? {
                    b',' => self.at += 1,
                    b'}' => {
                        self.at += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        self.close(at, len, |len, below| Node::M { len, below })
    }

    /// `[x,...]` of what `element` reads (and pushes); the number of elements.
    fn list(&mut self, mut element: impl FnMut(&mut Self) -> Option<()>) -> Option<usize> {
        self.eat(b'[')?;
        if self.eat(b']').is_some() {
            return Some(0);
        }
        let mut len = 0;
        loop {
            element(self)?;
            len += 1;
            match self.peek()? {
                b',' => self.at += 1,
                b']' => {
                    self.at += 1;
                    return Some(len);
                }
                _ => return None,
            }
        }
    }

    /// `{"T":x}` for the types the reader takes.
    fn value(&mut self, depth: usize) -> Option<()> {
        let (tag, skip): (&[u8], usize) = match &self.bytes()[self.at..] {
            [b'{', b'"', t @ (b'S' | b'N' | b'M' | b'L'), b'"', b':', ..] => {
                (std::slice::from_ref(t), 5)
            }
            [b'{', b'"', t @ (b'S' | b'N'), b'S', b'"', b':', ..] => {
                (if *t == b'S' { b"SS" } else { b"NS" }, 6)
            }
            _ => {
                let scalar = if self.eat_bytes(b"{\"BOOL\":true}") {
                    Node::Bool(true)
                } else if self.eat_bytes(b"{\"BOOL\":false}") {
                    Node::Bool(false)
                } else if self.eat_bytes(b"{\"NULL\":true}") {
                    Node::Null
                } else {
                    return None;
                };
                self.nodes.push(scalar);
                return Some(());
            }
        };
        self.at += skip;
        match tag {
            b"S" => {
                let (span, _) = self.string()?;
                self.nodes.push(Node::S(span));
            }
            b"N" => {
                let n = self.number()?;
                self.nodes.push(Node::N(n));
            }
            b"M" => self.map(depth + 1)?,
            b"L" => {
                if depth + 1 >= FAST_DEPTH {
                    return None;
                }
                let at = self.open();
                let len = self.list(|s| s.value(depth + 1))?;
                self.close(at, len, |len, below| Node::L { len, below })?;
            }
            b"SS" => {
                let at = self.open();
                let mut last: Option<&[u8]> = None;
                let len = self.list(|s| {
                    let (span, member) = s.string()?;
                    if last.is_some_and(|l| !ascending(l, member)) {
                        return None;
                    }
                    last = Some(member);
                    s.nodes.push(Node::S(span));
                    Some(())
                })?;
                if len == 0 {
                    return None;
                }
                self.close(at, len, |len, below| Node::Ss { len, below })?;
            }
            _ => {
                let at = self.open();
                let len = self.list(|s| {
                    let member = s.number()?;
                    if let Some(Node::N(last)) = s.nodes.last() {
                        if *last >= member {
                            return None;
                        }
                    }
                    s.nodes.push(Node::N(member));
                    Some(())
                })?;
                if len == 0 {
                    return None;
                }
                self.close(at, len, |len, below| Node::Ns { len, below })?;
            }
        }
        self.eat(b'}')
    }
}

/// Whether `a < b`, deciding on the first bytes where they differ (names mostly do).
fn ascending(a: &[u8], b: &[u8]) -> bool {
    match (a.first(), b.first()) {
        (Some(x), Some(y)) if x != y => x < y,
        _ => a < b,
    }
}

/// Where the first byte a string stops at (`"`, `\\` or a control character) is in `bytes`,
/// eight bytes at a time.
fn special(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        let quote = x ^ (ONES * u64::from(b'"'));
        let backslash = x ^ (ONES * u64::from(b'\\'));
        // The high bit of each byte that is zero (`quote`, `backslash`) or below 0x20; a byte
        // past a flagged one may be flagged wrongly, never the first.
        let found = (quote.wrapping_sub(ONES) & !quote
            | backslash.wrapping_sub(ONES) & !backslash
            | x.wrapping_sub(ONES * 0x20) & !x)
            & HIGH;
        if found != 0 {
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    let tail = chunks
        .remainder()
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
    Some(at + tail)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An integer read from its value is the number core parses from its text.
    #[test]
    fn scanned_integers_are_cores_numbers() {
        let mut texts: Vec<String> = (0..20_000i64).map(|n| n.to_string()).collect();
        for p in 0..19u32 {
            let ten = 10i64.pow(p);
            for n in [ten, ten - 1, ten + 1, 7 * ten, ten.saturating_mul(9) + 9] {
                texts.push(n.to_string());
                texts.push((-n).to_string());
            }
        }
        texts.extend(
            [
                "0",
                "-0",
                "007",
                "+5",
                "1e3",
                "1.0",
                "-",
                "",
                "12a",
                "9999999999999999999",
            ]
            .map(String::from),
        );
        texts.push(i64::MAX.to_string());
        texts.push(i64::MIN.to_string());
        for t in &texts {
            let quoted = format!("\"{t}\"");
            let mut nodes = vec![];
            let mut scan = Scan {
                text: &quoted,
                at: 0,
                nodes: &mut nodes,
            };
            let read = scan.number();
            assert_eq!(read, Number::parse(t).ok(), "{t}");
            if read.is_some() {
                assert_eq!(scan.at, quoted.len(), "{t}");
            }
        }
    }

    /// The eight-bytes-at-a-time search finds what a byte-by-byte one finds: every byte
    /// value at every position of a chunk and the tail, with a second stop after it.
    #[test]
    fn string_stops_are_found_as_byte_by_byte() {
        let naive = |bytes: &[u8]| {
            bytes
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        };
        for len in [0, 1, 7, 8, 9, 16, 19] {
            for at in 0..len {
                for b in 0..=255u8 {
                    for filler in [b'a', 0xC3, 0x7F, 0x20, 0x21, 0x5D] {
                        let mut bytes = vec![filler; len];
                        bytes[at] = b;
                        assert_eq!(special(&bytes), naive(&bytes), "{bytes:?}");
                        if at + 1 < len {
                            bytes[at + 1] = b'"';
                            assert_eq!(special(&bytes), naive(&bytes), "{bytes:?}");
                        }
                    }
                }
            }
        }
    }

    fn item_of(text: &str) -> Item {
        let json: serde_json::Value = serde_json::from_str(text).expect("json");
        Item::from_json(&json).expect("item")
    }

    /// A text read once ([`ReadItemText`]) answers what [`ItemText`] and the item answer, and
    /// a text that is not canonical is handed back.
    #[test]
    fn a_text_read_once_answers_as_the_item() {
        let long = format!(
            r#"{{"a":{{"S":"{}"}},"b":{{"N":"7"}}}}"#,
            "x".repeat(70_000)
        );
        let texts = [
            r#"{"a":{"N":"1"}}"#,
            r#"{"a":{"N":"2"}}"#,
            r#"{"a":{"N":"x"}}"#,
            r#"{"b":{"N":"1"}}"#,
            r#"{"a":{"S":"x"},"b":{"L":[{"N":"1"},{"M":{"c":{"BOOL":true}}}]}}"#,
            r#"{"a":{"SS":["p","q"]},"z":{"NULL":true}}"#,
            r#"{ "a": {"S":"y"}}"#,
            long.as_str(),
        ];
        for text in texts {
            let t = ItemText::new(text);
            let read = match ReadItemText::read(text.to_string()) {
                Ok(read) => read,
                Err(back) => {
                    assert_eq!(back, text, "handed back");
                    assert_eq!(t.size(), None, "{text}");
                    assert_eq!(
                        t.decode::<BTreeMap<String, serde_json::Value>>()
                            .map(|_| ()),
                        None
                    );
                    continue;
                }
            };
            let item = item_of(text);
            assert_eq!(read.as_str(), text);
            assert_eq!(read.to_item(), item, "{text}");
            assert_eq!(t.canonical_item().as_ref(), Some(&item), "{text}");
            assert_eq!(read.size(), item.size(), "{text}");
            assert_eq!(t.size(), Some(item.size()), "{text}");
            for name in ["a", "b", "z", "zz", ""] {
                assert_eq!(
                    read.attribute(name).as_ref(),
                    item.get(name),
                    "{text} {name}"
                );
                assert_eq!(
                    t.attribute(name),
                    Some(item.get(name).cloned()),
                    "{text} {name}"
                );
            }
            let via_item = item
                .deserialize_into::<BTreeMap<String, serde_json::Value>>()
                .map_err(|e| e.to_string());
            let once = read.decode::<BTreeMap<String, serde_json::Value>>();
            assert_eq!(once.map_err(|e| e.to_string()), via_item, "{text}");
            let direct = t.decode::<BTreeMap<String, serde_json::Value>>();
            assert_eq!(
                direct.map(|r| r.map_err(|e| e.to_string())),
                Some(via_item),
                "{text}"
            );
        }
    }
}
