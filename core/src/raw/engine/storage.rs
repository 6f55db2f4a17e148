//! The contract a local backend implements: an ordered key-value store with consistent
//! reads and atomic writes.

use std::borrow::Cow;
use std::future::Future;
use std::ops::Bound;
use std::sync::Arc;

use crate::error::Result;
use crate::item::{Item, ItemText};
use crate::schema::TableSchema;

/// Where an entry lives: the table, or one of its indexes (by position in the schema). See
/// [`Mutation`]'s example.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Space {
    /// The base table: key = encoded partition key then sort key.
    Table,
    /// A secondary index: key = encoded index keys then the table's keys.
    Index(usize),
}

/// Entries of a range read, in key order (or reverse); see [`StorageRead`]'s example. A store
/// that holds its items lends them ([`Cow::Borrowed`]: the memory backend); one that decodes
/// them hands out owned ones (SQLite).
pub type Entries<'a> = Box<dyn Iterator<Item = Result<(Cow<'a, [u8]>, Cow<'a, Item>)>> + 'a>;

/// An entry as a store keeps it: an item, or the item's stored text (DynamoDB JSON, as
/// SQLite keeps it), which a reader that only decodes it need not turn into an [`Item`].
#[derive(Debug, Clone)]
pub enum Stored<'a> {
    /// The item, lent by a store that holds it.
    Item(Cow<'a, Item>),
    /// The item's text.
    Text(String),
}

/// Entries of a range read in the form the store keeps them; see
/// [`StorageRead::range_stored`].
pub type StoredEntries<'a> = Box<dyn Iterator<Item = Result<(Cow<'a, [u8]>, Stored<'a>)>> + 'a>;

/// Read access to a store, inside [`Storage::read`] or [`Storage::write`].
///
/// ```
/// # use monotable_core::raw::{item_mutations, Space, Storage, StorageRead};
/// # use monotable_core::{Item, Result, TableSchema, Value};
/// # use std::ops::Bound;
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> monotable_core::Result<()> {
/// # let schema = TableSchema::single_table("app");
/// # let storage = monotable_memory::MemoryStorage::new();
/// # storage.create(&schema).await?;
/// # for sk in ["ORDER#2", "PROFILE", "ORDER#1"] {
/// #     let put = item_mutations(&schema, None, Some(&Item::from([("pk", "USER#u1"), ("sk", sk)])));
/// #     storage.write(&schema, move |_| Ok(((), put))).await?;
/// # }
/// // The items of partition USER#u1 were written; read the table backwards.
/// let sort_keys = storage
///     .read(&schema, |view: &dyn StorageRead| {
///         let entries = view.range(Space::Table, Bound::Unbounded, Bound::Unbounded, true)?;
///         entries.map(|entry| Ok(entry?.1["sk"].clone())).collect::<Result<Vec<Value>>>()
///     })
///     .await?;
/// assert_eq!(sort_keys, ["PROFILE", "ORDER#2", "ORDER#1"].map(Value::from));
/// # Ok(()) }
/// ```
pub trait StorageRead {
    /// The entry at `key`, lent by a store that holds it (see [`Entries`]).
    fn get(&self, space: Space, key: &[u8]) -> Result<Option<Cow<'_, Item>>>;
    /// The entries between the bounds, ascending, or descending if `reverse`.
    fn range<'a>(
        &'a self,
        space: Space,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        reverse: bool,
    ) -> Result<Entries<'a>>;

    /// The entry at `key` as the store keeps it. The default is [`get`](Self::get)'s item;
    /// a store that keeps text gives the text, so that a typed read can decode straight
    /// from it ([`LentItem`](crate::LentItem)).
    fn get_stored(&self, space: Space, key: &[u8]) -> Result<Option<Stored<'_>>> {
        Ok(self.get(space, key)?.map(Stored::Item))
    }

    /// [`range`](Self::range), each entry as the store keeps it (see
    /// [`get_stored`](Self::get_stored)).
    fn range_stored<'a>(
        &'a self,
        space: Space,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        reverse: bool,
    ) -> Result<StoredEntries<'a>> {
        let entries = self.range(space, lower, upper, reverse)?;
        Ok(Box::new(entries.map(|entry| {
            entry.map(|(key, item)| (key, Stored::Item(item)))
        })))
    }

    /// The item of a stored text (see [`Stored::Text`]), read as the store reads its own
    /// entries. The default reads DynamoDB JSON through [`ItemText::to_item`].
    fn item_of_text(&self, text: &str) -> Result<Item> {
        ItemText::new(text)
            .to_item()
            .map_err(|e| crate::Error::backend("storage", false, e))
    }

    /// The item of a stored entry.
    fn item_of<'a>(&self, stored: Stored<'a>) -> Result<Cow<'a, Item>> {
        match stored {
            Stored::Item(item) => Ok(item),
            Stored::Text(text) => self.item_of_text(&text).map(Cow::Owned),
        }
    }
}

/// One change to a store: put `item` at `key`, or delete `key` if `item` is `None`.
///
/// ```
/// use monotable_core::raw::{item_mutations, Space};
/// use monotable_core::{Item, TableSchema};
/// let schema = TableSchema::single_table("shop").with_gsi("gsi1");
/// let order = Item::from([("pk", "U#1"), ("sk", "O#1"), ("gsi1pk", "OPEN"), ("gsi1sk", "O#1")]);
/// // Deleting the order deletes its table entry and its gsi1 entry.
/// let delete = item_mutations(&schema, Some(&order), None);
/// let spaces: Vec<Space> = delete.iter().map(|m| m.space).collect();
/// assert_eq!(spaces, [Space::Table, Space::Index(0)]);
/// assert!(delete.iter().all(|m| m.item.is_none()));
/// ```
#[derive(Debug, Clone)]
pub struct Mutation {
    /// Where.
    pub space: Space,
    /// The encoded key.
    pub key: Vec<u8>,
    /// The new entry, or `None` to delete. Shared: an index entry that projects every
    /// attribute of its item is the table entry's own `Arc` (a store may keep one copy, or
    /// encode it once, by [`Arc::ptr_eq`]).
    pub item: Option<Arc<Item>>,
}

/// An ordered key-value store that the [`Engine`](super::Engine) turns into a DynamoDB-faithful repository.
///
/// Reads see a consistent snapshot; a write's closure runs with exclusive write access and
/// its mutations are applied atomically, only if it returns `Ok`. `monotable-memory`
/// implements it over `BTreeMap`s; this drives that store by hand, as the engine does:
///
/// ```
/// use monotable_core::raw::{item_mutations, table_key, Space, Storage};
/// use monotable_core::{Item, TableSchema};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> monotable_core::Result<()> {
/// let schema = TableSchema::single_table("app");
/// let storage = monotable_memory::MemoryStorage::new();
/// storage.create(&schema).await?;
/// let item = Item::from([("pk", "USER#u1"), ("sk", "PROFILE"), ("name", "Ada")]);
/// let put = item_mutations(&schema, None, Some(&item));
/// storage.write(&schema, move |_view| Ok(((), put))).await?;
/// let key = table_key(&schema, &item);
/// let stored = storage
///     .read(&schema, move |view| Ok(view.get(Space::Table, &key)?.map(|i| i.into_owned())))
///     .await?;
/// assert_eq!(stored, Some(item));
/// # Ok(()) }
/// ```
pub trait Storage: Send + Sync + 'static {
    /// The backend's name, for spans and errors (`"memory"`, `"sqlite"`).
    const BACKEND: &'static str;

    /// Creates the table's spaces for `schema` if missing (and fills a newly declared index
    /// from the existing items).
    fn create(&self, schema: &TableSchema) -> impl Future<Output = Result<()>> + Send;

    /// Runs `f` against a consistent view of `schema`'s table; [`Error::TableNotFound`](crate::Error::TableNotFound) if
    /// the table was never created.
    fn read<R, F>(&self, schema: &TableSchema, f: F) -> impl Future<Output = Result<R>> + Send
    where
        R: Send + 'static,
        F: FnOnce(&dyn StorageRead) -> Result<R> + Send + 'static;

    /// Runs `f` against a consistent view on the calling thread, if the store can do that
    /// now without waiting; otherwise hands `f` back (`Err(f)`), and the caller reads through
    /// [`Storage::read`] instead. Because `f` need not be `'static`, it may borrow: the engine
    /// lends stored items to the caller's decoder this way
    /// ([`Repository::get_item_with`](crate::Repository::get_item_with)). The default never
    /// can.
    ///
    /// ```
    /// # use monotable_core::raw::{item_mutations, table_key, Space, Storage};
    /// # use monotable_core::{Item, TableSchema, Value};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> monotable_core::Result<()> {
    /// # let schema = TableSchema::single_table("app");
    /// let storage = monotable_memory::MemoryStorage::new();
    /// storage.create(&schema).await?;
    /// let item = Item::from([("pk", "USER#u1"), ("sk", "PROFILE"), ("name", "Ada")]);
    /// let put = item_mutations(&schema, None, Some(&item));
    /// storage.write(&schema, move |_| Ok(((), put))).await?;
    /// // The memory store always reads here, and lends its item: no copy is made.
    /// let mut name = String::new();
    /// let read = storage.read_here(&schema, |view| {
    ///     if let Some(stored) = view.get(Space::Table, &table_key(&schema, &item))? {
    ///         name.push_str(stored["name"].as_s().unwrap_or_default());
    ///     }
    ///     Ok(())
    /// });
    /// assert!(matches!(read, Ok(Ok(()))));
    /// assert_eq!(name, "Ada");
    /// # Ok(()) }
    /// ```
    fn read_here<R, F>(&self, schema: &TableSchema, f: F) -> std::result::Result<Result<R>, F>
    where
        F: FnOnce(&dyn StorageRead) -> Result<R>,
    {
        let _ = schema;
        Err(f)
    }

    /// [`read_here`](Self::read_here) for a read that makes one request of the view (one
    /// [`get_stored`](StorageRead::get_stored) or [`get`](StorageRead::get)): one request
    /// sees one state of the store by itself, so a store may skip the snapshot a longer read
    /// opens (SQLite's `BEGIN`/`COMMIT` around a single `SELECT`). The default is
    /// `read_here`.
    fn read_one_here<R, F>(&self, schema: &TableSchema, f: F) -> std::result::Result<Result<R>, F>
    where
        F: FnOnce(&dyn StorageRead) -> Result<R>,
    {
        self.read_here(schema, f)
    }

    /// Runs `f` with exclusive write access to `schema`'s table and applies its mutations
    /// atomically.
    fn write<R, F>(&self, schema: &TableSchema, f: F) -> impl Future<Output = Result<R>> + Send
    where
        R: Send + 'static,
        F: FnOnce(&dyn StorageRead) -> Result<(R, Vec<Mutation>)> + Send + 'static;
}

/// A shared store is a store: several [`Engine`](super::Engine)s may hold one, each with its
/// own schema (a table reopened with a newly declared index, as UpdateTable adds one, is
/// the same store under a wider schema; [`Storage::create`] then fills the new index).
impl<S: Storage> Storage for std::sync::Arc<S> {
    const BACKEND: &'static str = S::BACKEND;

    fn create(&self, schema: &TableSchema) -> impl Future<Output = Result<()>> + Send {
        S::create(self, schema)
    }

    fn read<R, F>(&self, schema: &TableSchema, f: F) -> impl Future<Output = Result<R>> + Send
    where
        R: Send + 'static,
        F: FnOnce(&dyn StorageRead) -> Result<R> + Send + 'static,
    {
        S::read(self, schema, f)
    }

    fn read_here<R, F>(&self, schema: &TableSchema, f: F) -> std::result::Result<Result<R>, F>
    where
        F: FnOnce(&dyn StorageRead) -> Result<R>,
    {
        S::read_here(self, schema, f)
    }

    fn read_one_here<R, F>(&self, schema: &TableSchema, f: F) -> std::result::Result<Result<R>, F>
    where
        F: FnOnce(&dyn StorageRead) -> Result<R>,
    {
        S::read_one_here(self, schema, f)
    }

    fn write<R, F>(&self, schema: &TableSchema, f: F) -> impl Future<Output = Result<R>> + Send
    where
        R: Send + 'static,
        F: FnOnce(&dyn StorageRead) -> Result<(R, Vec<Mutation>)> + Send + 'static,
    {
        S::write(self, schema, f)
    }
}
