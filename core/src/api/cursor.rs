//! Opaque pagination cursors: a page's last evaluated key, bound to the query that made it.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;

use crate::error::{Error, Result};
use crate::item::{Item, Value};
use crate::schema::TableSchema;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;
const VERSION: u8 = 1;

/// Where the next page of a query starts. Opaque: print it, hand it to a client, parse it
/// back; a cursor that was altered, or that another query produced, is rejected as
/// [`Error::InvalidCursor`].
///
/// ```
/// # use monotable_core::{prelude::*, EntityKeys, EntityQuery, EntityScan, Error, Item, Path, TableSchema, Update};
/// # use monotable_core::Cursor;
/// # #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)] struct Order { user: String, id: String, total: u64 }
/// # #[derive(serde::Serialize)] struct OrderKey { user: String, id: String }
/// # impl KeySchema for Order { fn key_templates() -> EntityKeys {
/// #     EntityKeys::new("USER#{user}").with_sort("ORDER#{id}").with_index("gsi1", "ORDER#{id}", Some("ORDER")) } }
/// # impl Entity for Order { const ENTITY_TYPE: &'static str = "Order"; type Key = OrderKey; }
/// # fn order(id: &str, total: u64) -> Order { Order { user: "u1".into(), id: id.into(), total } }
/// # fn key(id: &str) -> OrderKey { OrderKey { user: "u1".into(), id: id.into() } }
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> monotable_core::Result<()> {
/// # let repo = monotable_memory::MemoryRepository::new(monotable_memory::MemoryStorage::new(), TableSchema::single_table("shop").with_gsi("gsi1"))?;
/// # repo.create_table().await?;
/// # for (id, total) in [("o1", 10), ("o2", 20), ("o3", 30)] { repo.create(&order(id, total)).await?; }
/// let query = EntityQuery::<Order>::new([("user", "u1")]).limit(2);
/// let page = repo.query_page(&query).await?;
/// let text = page.cursor.expect("more pages").to_string(); // hand it to a client
/// let cursor: Cursor = text.parse().unwrap(); // … and back
/// let next = repo.query_page(&query.clone().after(Some(cursor))).await?;
/// assert_eq!(next.items, [order("o3", 30)]);
/// let altered = Cursor::from(format!("x{text}"));
/// let refused = repo.query_page(&query.after(Some(altered))).await;
/// assert!(matches!(refused, Err(Error::InvalidCursor { .. })));
/// # Ok(()) }
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Cursor(String);

impl Cursor {
    /// Encodes a last evaluated key for the query identified by `scope`.
    ///
    /// ```
    /// use monotable_core::{Cursor, Item};
    /// let key = Item::from([("pk", "USER#u1"), ("sk", "ORDER#o2")]);
    /// let cursor = Cursor::encode("orders of u1", &key);
    /// assert_eq!(cursor.decode("orders of u1").unwrap(), key);
    /// assert!(cursor.decode("orders of u2").is_err()); // another query's cursor
    /// ```
    pub fn encode(scope: &str, last_evaluated_key: &Item) -> Cursor {
        let payload = last_evaluated_key.to_json().to_string();
        let mut bytes = vec![VERSION];
        bytes.extend_from_slice(&checksum(scope, payload.as_bytes()).to_be_bytes());
        bytes.extend_from_slice(payload.as_bytes());
        Cursor(B64.encode(bytes))
    }

    /// Decodes the last evaluated key, checking that the cursor belongs to `scope`.
    pub fn decode(&self, scope: &str) -> Result<Item> {
        let invalid = |reason: &str| Error::InvalidCursor {
            reason: reason.to_string(),
        };
        let bytes = B64.decode(&self.0).map_err(|_| invalid("not base64"))?;
        if bytes.len() < 5 || bytes[0] != VERSION {
            return Err(invalid("unknown cursor format"));
        }
        let (sum, payload) = bytes[1..].split_at(4);
        let expected = u32::from_be_bytes([sum[0], sum[1], sum[2], sum[3]]);
        if checksum(scope, payload) != expected {
            return Err(invalid(
                "the cursor was altered or belongs to another query",
            ));
        }
        let json: serde_json::Value =
            serde_json::from_slice(payload).map_err(|_| invalid("unreadable key"))?;
        Item::from_json(&json).map_err(|_| invalid("unreadable key"))
    }

    /// Decodes the last evaluated key as [`decode`](Self::decode) does, and checks that it
    /// is a key of `schema`'s table or of `index` (its attributes, their types, none empty),
    /// so that a cursor that cannot start this query is [`Error::InvalidCursor`] before any
    /// request is sent.
    pub fn decode_for(
        &self,
        scope: &str,
        schema: &TableSchema,
        index: Option<&str>,
    ) -> Result<Item> {
        let key = self.decode(scope)?;
        let index = index
            .map(|name| schema.index(name).map(|(_, i)| i))
            .transpose()?;
        let expected = schema.entry_keys(index);
        let fits = key.len() == expected.len()
            && expected.iter().all(|k| {
                key.get(&k.name).is_some_and(|v| {
                    k.key_type.matches(v)
                        && !matches!(v, Value::S(s) if s.is_empty())
                        && !matches!(v, Value::B(b) if b.is_empty())
                })
            });
        if fits {
            Ok(key)
        } else {
            Err(Error::InvalidCursor {
                reason: "its key does not fit this query's table or index".to_string(),
            })
        }
    }

    /// The cursor's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn checksum(scope: &str, payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&(scope.len() as u64).to_be_bytes());
    h.update(scope.as_bytes());
    h.update(payload);
    h.finalize()
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cursor({})", self.0)
    }
}

impl FromStr for Cursor {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        Ok(Cursor(s.to_string()))
    }
}

impl From<String> for Cursor {
    fn from(s: String) -> Self {
        Cursor(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let key = Item::new().with("pk", "p").with("sk", "s");
        let c = Cursor::encode("q1", &key);
        assert_eq!(c.decode("q1").unwrap(), key);
        assert!(c.decode("q2").is_err());
        let mut s = c.to_string();
        s.pop();
        s.push(if c.as_str().ends_with('A') { 'B' } else { 'A' });
        assert!(Cursor::from(s).decode("q1").is_err());
        assert!(Cursor::from("!!".to_string()).decode("q1").is_err());
    }
}
