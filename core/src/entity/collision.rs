//! Key collision detection: given the entity types of a table, find two entity types whose
//! templates can compose the same key (table or index), which would let one entity's item
//! replace or shadow another's. None of the Node libraries checks this; run it at startup or
//! in a test.

use crate::entity::template::{KeyTemplate, Piece};
use crate::entity::{Entity, EntityKeys};
use crate::schema::TableSchema;

/// Two entity types whose templates can compose the same key.
///
/// ```
/// # use monotable_core::entity::collision::{KeyCollision, KeyCollisions};
/// # use monotable_core::{Entity, EntityKeys, KeySchema, TableSchema};
/// # #[derive(serde::Serialize, serde::Deserialize)] struct User { id: String, email: String }
/// # #[derive(serde::Serialize)] struct K { id: String }
/// # impl KeySchema for User { fn key_templates() -> EntityKeys {
/// #     EntityKeys::new("USER#{id}").with_sort("PROFILE").with_index("gsi1", "EMAIL#{email}", Some("ID")) } }
/// # impl Entity for User { const ENTITY_TYPE: &'static str = "User"; type Key = K; }
/// # #[derive(serde::Serialize, serde::Deserialize)] struct Org { id: String, contact: String }
/// # impl KeySchema for Org { fn key_templates() -> EntityKeys {
/// #     EntityKeys::new("ORG#{id}").with_sort("PROFILE").with_index("gsi1", "EMAIL#{contact}", Some("ID")) } }
/// # impl Entity for Org { const ENTITY_TYPE: &'static str = "Org"; type Key = K; }
/// // Users are `EMAIL#{email}` / `ID` in gsi1, and so are organisations by their contact.
/// let schema = TableSchema::single_table("app").with_gsi("gsi1");
/// let found = KeyCollisions::new(&schema).entity::<User>().entity::<Org>().check();
/// let collision = KeyCollision {
///     space: "gsi1".into(),
///     first: "User",
///     second: "Org",
///     example: vec!["EMAIL#1".into(), "ID".into()],
/// };
/// assert_eq!(found, [collision]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyCollision {
    /// The table (`"table"`) or the index name.
    pub space: String,
    /// The first entity type.
    pub first: &'static str,
    /// The second entity type.
    pub second: &'static str,
    /// A key both can compose: partition, then sort if any.
    pub example: Vec<String>,
}

impl std::fmt::Display for KeyCollision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} and {} can compose the same {} key: {}",
            self.first,
            self.second,
            self.space,
            self.example.join(" / ")
        )
    }
}

/// The entity types of one table, to check for key collisions.
///
/// ```
/// # use monotable_core::entity::collision::KeyCollisions;
/// # use monotable_core::{Entity, EntityKeys, KeySchema, TableSchema};
/// # #[derive(serde::Serialize, serde::Deserialize)] struct A { id: String }
/// # #[derive(serde::Serialize)] struct K { id: String }
/// # impl KeySchema for A { fn key_templates() -> EntityKeys { EntityKeys::new("X#{id}").with_sort("S") } }
/// # impl Entity for A { const ENTITY_TYPE: &'static str = "A"; type Key = K; }
/// # #[derive(serde::Serialize, serde::Deserialize)] struct B { id: String }
/// # impl KeySchema for B { fn key_templates() -> EntityKeys { EntityKeys::new("X#{id}").with_sort("{id}") } }
/// # impl Entity for B { const ENTITY_TYPE: &'static str = "B"; type Key = K; }
/// let found = KeyCollisions::new(&TableSchema::single_table("app"))
///     .entity::<A>()
///     .entity::<B>()
///     .check();
/// // B's sort key `{id}` can be the text `S`, A's static sort key.
/// assert_eq!(found[0].to_string(), "A and B can compose the same table key: X#1 / S");
/// ```
#[derive(Debug, Clone)]
pub struct KeyCollisions {
    schema: TableSchema,
    entities: Vec<(&'static str, EntityKeys)>,
}

impl KeyCollisions {
    /// No entity types yet, for `schema`'s table.
    pub fn new(schema: &TableSchema) -> Self {
        KeyCollisions {
            schema: schema.clone(),
            entities: Vec::new(),
        }
    }

    /// Adds entity type `E`.
    pub fn entity<E: Entity>(mut self) -> Self {
        self.entities.push((E::ENTITY_TYPE, E::key_templates()));
        self
    }

    /// Every pair of entity types that can compose the same key, with an example.
    pub fn check(&self) -> Vec<KeyCollision> {
        let mut spaces: Vec<Option<String>> = vec![None];
        spaces.extend(self.schema.indexes.iter().map(|i| Some(i.name.clone())));
        let mut out = Vec::new();
        for space in &spaces {
            let templates: Vec<(&'static str, &KeyTemplate, Option<&KeyTemplate>)> = self
                .entities
                .iter()
                .filter_map(|(name, keys)| {
                    let declared = match space {
                        None => true,
                        Some(ix) => keys.indexes.iter().any(|k| &k.index == ix),
                    };
                    if !declared {
                        return None;
                    }
                    let (pk, sk) = keys.templates(space.as_deref()).ok()?;
                    Some((*name, pk, sk))
                })
                .collect();
            for (i, (a, apk, ask)) in templates.iter().enumerate() {
                for (b, bpk, bsk) in &templates[i + 1..] {
                    if a == b {
                        continue;
                    }
                    let Some(pk) = common(apk, bpk) else { continue };
                    let sk = match (ask, bsk) {
                        (Some(x), Some(y)) => match common(x, y) {
                            Some(s) => Some(s),
                            None => continue,
                        },
                        (None, None) => None,
                        _ => continue,
                    };
                    out.push(KeyCollision {
                        space: space.clone().unwrap_or_else(|| "table".to_string()),
                        first: a,
                        second: b,
                        example: std::iter::once(pk).chain(sk).collect(),
                    });
                }
            }
        }
        out
    }
}

/// A string both templates can compose, if there is one.
fn common(a: &KeyTemplate, b: &KeyTemplate) -> Option<String> {
    let (sa, delimiter) = a.segments()?;
    let (sb, _) = b.segments()?;
    // A template that is one attribute alone may hold anything, delimiters included.
    let lone = |s: &Vec<Vec<Piece>>| {
        s.len() == 1 && matches!(s[0].as_slice(), [Piece::Hole { width: None }])
    };
    if lone(&sa) {
        return Some(b.as_str().replace(['{', '}'], ""));
    }
    if lone(&sb) {
        return Some(a.as_str().replace(['{', '}'], ""));
    }
    if sa.len() != sb.len() {
        return None;
    }
    let mut parts = Vec::new();
    for (x, y) in sa.iter().zip(&sb) {
        parts.push(segment(x, y)?);
    }
    Some(parts.join(&delimiter.to_string()))
}

/// A text both segments can be, if there is one (conservative for segments that mix
/// literals and attributes: their literal heads and tails must agree).
fn segment(x: &[Piece], y: &[Piece]) -> Option<String> {
    let literal = |p: &[Piece]| match p {
        [] => Some(String::new()),
        [Piece::Literal(s)] => Some(s.clone()),
        _ => None,
    };
    let fits_hole = |text: &str, width: Option<usize>| {
        !text.is_empty()
            && width.is_none_or(|w| text.len() >= w && text.bytes().all(|c| c.is_ascii_digit()))
    };
    match (literal(x), literal(y)) {
        (Some(a), Some(b)) => (a == b).then_some(a),
        (Some(a), None) => matches_pieces(&a, y, fits_hole).then_some(a),
        (None, Some(b)) => matches_pieces(&b, x, fits_hole).then_some(b),
        (None, None) => {
            let head = |p: &[Piece]| match p.first() {
                Some(Piece::Literal(s)) => s.clone(),
                _ => String::new(),
            };
            let tail = |p: &[Piece]| match p.last() {
                Some(Piece::Literal(s)) if p.len() > 1 => s.clone(),
                _ => String::new(),
            };
            let (hx, hy, tx, ty) = (head(x), head(y), tail(x), tail(y));
            if !(hx.starts_with(&hy) || hy.starts_with(&hx))
                || !(tx.ends_with(&ty) || ty.ends_with(&tx))
            {
                return None;
            }
            let h = if hx.len() >= hy.len() { hx } else { hy };
            let t = if tx.len() >= ty.len() { tx } else { ty };
            Some(format!("{h}1{t}"))
        }
    }
}

/// Whether a literal text can be what `pieces` compose (a single hole, or literal text
/// around one hole).
fn matches_pieces(
    text: &str,
    pieces: &[Piece],
    fits_hole: impl Fn(&str, Option<usize>) -> bool,
) -> bool {
    match pieces {
        [Piece::Hole { width }] => fits_hole(text, *width),
        [Piece::Literal(h), Piece::Hole { width }] => text
            .strip_prefix(h.as_str())
            .is_some_and(|rest| fits_hole(rest, *width)),
        [Piece::Hole { width }, Piece::Literal(t)] => text
            .strip_suffix(t.as_str())
            .is_some_and(|rest| fits_hole(rest, *width)),
        [Piece::Literal(h), Piece::Hole { width }, Piece::Literal(t)] => text
            .strip_prefix(h.as_str())
            .and_then(|r| r.strip_suffix(t.as_str()))
            .is_some_and(|rest| fits_hole(rest, *width)),
        // Several attributes in one segment: assume they can.
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> KeyTemplate {
        KeyTemplate::new(s)
    }

    #[test]
    fn templates_that_can_and_cannot_meet() {
        assert_eq!(
            common(&t("USER#{id}"), &t("USER#{user_id}")),
            Some("USER#1".into())
        );
        assert!(common(&t("USER#{id}"), &t("ORDER#{id}")).is_none());
        assert!(common(&t("PROFILE"), &t("ORDER#{created}#{id}")).is_none());
        assert_eq!(
            common(&t("ORDER#{a}#{b}"), &t("ORDER#2024#{c}")),
            Some("ORDER#2024#1".into())
        );
        assert_eq!(common(&t("REV#{n:06}"), &t("REV#latest")), None);
        assert_eq!(
            common(&t("REV#{n:06}"), &t("REV#000123")),
            Some("REV#000123".into())
        );
        assert!(common(&t("{anything}"), &t("A#B")).is_some());
        assert!(common(&t("A{x}"), &t("B{y}")).is_none());
    }
}
