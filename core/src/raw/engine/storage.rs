//! The contract a local backend implements: an ordered key-value store with consistent
//! reads and atomic writes.

use std::future::Future;
use std::ops::Bound;

use crate::error::Result;
use crate::item::Item;
use crate::schema::TableSchema;

/// Where an entry lives: the table, or one of its indexes (by position in the schema).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Space {
    /// The base table: key = encoded partition key then sort key.
    Table,
    /// A secondary index: key = encoded index keys then the table's keys.
    Index(usize),
}

/// Entries of a range read, in key order (or reverse).
pub type Entries<'a> = Box<dyn Iterator<Item = Result<(Vec<u8>, Item)>> + 'a>;

/// Read access to a store, inside [`Storage::read`] or [`Storage::write`].
pub trait StorageRead {
    /// The entry at `key`.
    fn get(&self, space: Space, key: &[u8]) -> Result<Option<Item>>;
    /// The entries between the bounds, ascending, or descending if `reverse`.
    fn range<'a>(
        &'a self,
        space: Space,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        reverse: bool,
    ) -> Result<Entries<'a>>;
}

/// One change to a store: put `item` at `key`, or delete `key` if `item` is `None`.
#[derive(Debug, Clone)]
pub struct Mutation {
    /// Where.
    pub space: Space,
    /// The encoded key.
    pub key: Vec<u8>,
    /// The new entry, or `None` to delete.
    pub item: Option<Item>,
}

/// An ordered key-value store that the [`Engine`](super::Engine) turns into a DynamoDB-faithful repository.
///
/// Reads see a consistent snapshot; a write's closure runs with exclusive write access and
/// its mutations are applied atomically, only if it returns `Ok`.
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

    fn write<R, F>(&self, schema: &TableSchema, f: F) -> impl Future<Output = Result<R>> + Send
    where
        R: Send + 'static,
        F: FnOnce(&dyn StorageRead) -> Result<(R, Vec<Mutation>)> + Send + 'static,
    {
        S::write(self, schema, f)
    }
}
