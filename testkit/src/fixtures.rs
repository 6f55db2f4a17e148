//! Schemas, entities and helpers shared by the cases.

use monotable_core::{
    validation_error, Error, IndexSchema, Item, KeyAttribute, KeyCondition, Page, Projection,
    PutItem, Query, Repository, Result, SortKeyCondition, TableSchema, Value,
};
use monotable_derive::Entity;
use serde::{Deserialize, Serialize};

/// The single-table layout most cases use: `pk`/`sk` strings; `gsi1` (`gsi1pk`, `gsi1sk`),
/// `gsi2` (`gsi2pk`, `gsi2sk`), `gsi3` (`gsi3pk`, `gsi3sk`); `byHash` (hash-only on `hpk`);
/// `keysOnly` (`kpk`, `ksk`, keys only); `incl` (`ipk`, `isk`, including `a`); and `lsi1`
/// (sort key `lsk`).
pub fn app_schema() -> TableSchema {
    TableSchema::single_table("app")
        .with_gsi("gsi1")
        .with_gsi("gsi2")
        .with_gsi("gsi3")
        .with_index(IndexSchema::global("byHash", KeyAttribute::s("hpk")))
        .with_index(
            IndexSchema::global("keysOnly", KeyAttribute::s("kpk"))
                .with_sort_key(KeyAttribute::s("ksk"))
                .with_projection(Projection::KeysOnly),
        )
        .with_index(
            IndexSchema::global("incl", KeyAttribute::s("ipk"))
                .with_sort_key(KeyAttribute::s("isk"))
                .with_projection(Projection::Include(vec!["a".into()])),
        )
        .with_index(IndexSchema::local("lsi1", KeyAttribute::s("lsk")))
}

/// `pk` string, `sk` number.
pub fn numeric_schema() -> TableSchema {
    TableSchema::new("num", KeyAttribute::s("pk")).with_sort_key(KeyAttribute::n("sk"))
}

/// `pk` string, `sk` binary.
pub fn binary_schema() -> TableSchema {
    TableSchema::new("bin", KeyAttribute::s("pk")).with_sort_key(KeyAttribute::b("sk"))
}

/// `pk` string only.
pub fn hash_only_schema() -> TableSchema {
    TableSchema::new("hash", KeyAttribute::s("pk"))
}

/// An item from plain JSON: strings are `S`, numbers `N`, booleans `BOOL`, null `NULL`,
/// arrays `L`, objects `M`.
pub fn it(json: serde_json::Value) -> Item {
    match plain(&json) {
        Value::M(m) => Item::from(m),
        other => panic!("not an object: {other:?}"),
    }
}

/// A value from plain JSON (see [`it`]).
pub fn plain(json: &serde_json::Value) -> Value {
    use serde_json::Value as J;
    match json {
        J::String(s) => Value::S(s.clone()),
        J::Number(n) => Value::number(&n.to_string()).expect("number"),
        J::Bool(b) => Value::Bool(*b),
        J::Null => Value::Null,
        J::Array(a) => Value::L(a.iter().map(plain).collect()),
        J::Object(o) => Value::M(o.iter().map(|(k, v)| (k.clone(), plain(v))).collect()),
    }
}

/// A number value.
pub fn n(text: &str) -> Value {
    Value::number(text).expect("number")
}

/// A number set value.
pub fn ns(members: &[&str]) -> Value {
    Value::Ns(
        members
            .iter()
            .map(|m| monotable_core::Number::parse(m).expect("number"))
            .collect(),
    )
}

/// A string value.
pub fn s(text: &str) -> Value {
    Value::from(text)
}

/// The key `{pk, sk}`.
pub fn key(pk: &str, sk: impl Into<Value>) -> Item {
    Item::new().with("pk", pk).with("sk", sk)
}

/// Puts an item, panicking on error.
pub async fn put(repo: &dyn Repository, item: Item) {
    repo.put_item(PutItem {
        item,
        ..Default::default()
    })
    .await
    .expect("put");
}

/// Puts `{pk, sk}` items for each sort-key value.
pub async fn seed(repo: &dyn Repository, pk: &str, sort_keys: &[Value]) {
    for sk in sort_keys {
        put(repo, Item::new().with("pk", pk).with("sk", sk.clone())).await;
    }
}

/// A table query of partition `pk`.
pub fn q(pk: &str) -> Query {
    Query::new(KeyCondition::partition(pk))
}

/// A table query of partition `pk` with a sort condition.
pub fn qs(pk: &str, sort: SortKeyCondition) -> Query {
    Query::new(KeyCondition::partition(pk).with_sort(sort))
}

/// Runs a query, panicking on error; also reads it through
/// [`Repository::query_with`] and asserts that it lends the same page ([`crate::lent`]).
pub async fn query(repo: &dyn Repository, query: Query) -> Page {
    let copied = repo.query(query.clone()).await;
    let lent = crate::lent::query(repo, query).await;
    crate::lent::same(copied, lent, "query").expect("query")
}

/// The values of attribute `name` in a page's items.
pub fn col(page: &Page, name: &str) -> Vec<Value> {
    page.items
        .iter()
        .map(|i| i.get(name).cloned().unwrap_or(Value::Null))
        .collect()
}

/// The `sk` values of a page's items.
pub fn sks(page: &Page) -> Vec<Value> {
    col(page, "sk")
}

/// Asserts an [`Error::InvalidRequest`] and returns its message.
pub fn invalid<T: std::fmt::Debug>(r: Result<T>) -> String {
    match r {
        Err(Error::InvalidRequest { message }) => message,
        other => panic!("expected InvalidRequest, got {other:?}"),
    }
}

/// Asserts an [`Error::ConditionFailed`] and returns the reported old item.
pub fn condition_failed<T: std::fmt::Debug>(r: Result<T>) -> Option<Item> {
    match r {
        Err(Error::ConditionFailed { item }) => item.map(|b| *b),
        other => panic!("expected ConditionFailed, got {other:?}"),
    }
}

/// Reads all pages of a query, feeding each last evaluated key back.
pub async fn all_pages(repo: &dyn Repository, mut request: Query) -> Vec<Page> {
    let mut pages = Vec::new();
    loop {
        let page = query(repo, request.clone()).await;
        let next = page.last_evaluated_key.clone();
        pages.push(page);
        match next {
            Some(k) => request.exclusive_start_key = Some(k),
            None => return pages,
        }
    }
}

/// Gets an item by `{pk, sk}`; also reads it through [`Repository::get_item_with`] and
/// asserts that it lends the same item.
pub async fn get(repo: &dyn Repository, pk: &str, sk: impl Into<Value>) -> Option<Item> {
    let request = monotable_core::GetItem {
        key: key(pk, sk),
        ..Default::default()
    };
    let copied = repo.get_item(request.clone()).await;
    let lent = crate::lent::get_item(repo, request).await;
    crate::lent::same(copied, lent, "get").expect("get")
}

// ---- entities ------------------------------------------------------------------------------

/// A user: one per partition, found by email through `gsi1`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Entity)]
#[monotable(
    crate = "monotable_core",
    entity = "User",
    pk = "USER#{user_id}",
    sk = "PROFILE",
    index(name = "gsi1", pk = "EMAIL#{email}", sk = "USER"),
    validate = "check_user"
)]
pub struct User {
    /// Id.
    pub user_id: String,
    /// Email, unique by convention.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Age.
    #[serde(default)]
    pub age: u32,
}

fn check_user(u: &User) -> Result<()> {
    if u.email.contains('@') {
        Ok(())
    } else {
        Err(validation_error::<User>("email", "must contain @"))
    }
}

impl User {
    /// A user with an email derived from the id.
    pub fn new(id: &str, name: &str) -> Self {
        User {
            user_id: id.into(),
            email: format!("{id}@example.com"),
            name: name.into(),
            age: 30,
        }
    }
}

/// An order: in its user's partition, sorted by creation; by id through `gsi1`, by status
/// through `gsi2`, and, when it has a coupon, through the sparse `gsi3`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Entity)]
#[monotable(
    crate = "monotable_core",
    entity = "Order",
    pk = "USER#{user_id}",
    sk = "ORDER#{created}#{order_id}",
    index(name = "gsi1", pk = "ORDER#{order_id}", sk = "ORDER"),
    index(name = "gsi2", pk = "STATUS#{status}", sk = "{created}"),
    index(name = "gsi3", pk = "COUPON#{coupon}", sk = "{order_id}")
)]
pub struct Order {
    /// Owner.
    pub user_id: String,
    /// Id.
    pub order_id: String,
    /// Creation date, ISO 8601.
    pub created: String,
    /// Status.
    pub status: String,
    /// Total in cents.
    pub total: u64,
    /// Coupon code, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon: Option<String>,
}

impl Order {
    /// An order.
    pub fn new(user: &str, id: &str, created: &str, status: &str) -> Self {
        Order {
            user_id: user.into(),
            order_id: id.into(),
            created: created.into(),
            status: status.into(),
            total: 100,
            coupon: None,
        }
    }
}

/// A versioned document with a zero-padded number in its sort key and a renamed field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Entity)]
#[monotable(
    crate = "monotable_core",
    entity = "Doc",
    pk = "DOC#{docId}",
    sk = "REV#{rev:06}",
    version = "version",
    entity_attribute = "kind",
    timestamps = false
)]
pub struct Doc {
    /// Id.
    #[serde(rename = "docId")]
    pub doc_id: String,
    /// Revision number.
    pub rev: u32,
    /// Body.
    pub body: String,
    /// Optimistic-locking version.
    #[serde(default)]
    pub version: u64,
}
