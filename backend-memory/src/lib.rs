//! # monotable-memory
//!
//! The in-memory backend: one `BTreeMap` per table and per index, behind a lock, given
//! DynamoDB's semantics by `monotable_core::raw`. Made for unit tests: no I/O, starts in
//! microseconds, safe to share between tasks; conditional writes and transactions are atomic.
//!
//! ```
//! use monotable_core::{Repository, TableSchema};
//! use monotable_memory::{MemoryRepository, MemoryStorage};
//! # tokio_test();
//! # fn tokio_test() {
//! # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
//! # rt.block_on(async {
//! let repo = MemoryRepository::new(MemoryStorage::new(), TableSchema::single_table("app"))?;
//! repo.create_table().await?;
//! # Ok::<(), monotable_core::Error>(()) }).unwrap();
//! # }
//! ```
#![deny(missing_docs)]

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::future::Future;
use std::ops::Bound;
use std::sync::{Arc, RwLock};

use monotable_core::raw::{self, Engine, Entries, Mutation, Space, Storage, StorageRead};
use monotable_core::{Error, Item, Result, TableSchema};

/// A repository held in memory.
pub type MemoryRepository = Engine<MemoryStorage>;

/// Index entries that project all of an item share the table entry's `Arc`.
type Tree = BTreeMap<Vec<u8>, Arc<Item>>;

#[derive(Debug, Default)]
struct Tables {
    table: Tree,
    indexes: Vec<Tree>,
}

/// The in-memory store: `None` until the table is created.
#[derive(Debug, Default)]
pub struct MemoryStorage {
    state: RwLock<Option<Tables>>,
}

impl MemoryStorage {
    /// An empty store with no table yet.
    pub fn new() -> Self {
        MemoryStorage::default()
    }
}

fn missing(schema: &TableSchema) -> Error {
    Error::TableNotFound {
        table: schema.name.clone(),
    }
}

fn poisoned() -> Error {
    Error::backend("memory", false, "a writer panicked while holding the lock")
}

impl Tables {
    fn tree(&self, space: Space) -> Option<&Tree> {
        match space {
            Space::Table => Some(&self.table),
            Space::Index(i) => self.indexes.get(i),
        }
    }

    fn apply(&mut self, mutations: Vec<Mutation>) {
        for m in mutations {
            let tree = match m.space {
                Space::Table => &mut self.table,
                Space::Index(i) => &mut self.indexes[i],
            };
            match m.item {
                Some(item) => tree.insert(m.key, item),
                None => tree.remove(&m.key),
            };
        }
    }
}

fn empty_range(lower: Bound<&[u8]>, upper: Bound<&[u8]>) -> bool {
    use Bound::*;
    match (lower, upper) {
        (Included(l), Included(u)) => l > u,
        (Included(l), Excluded(u)) | (Excluded(l), Included(u)) | (Excluded(l), Excluded(u)) => {
            l >= u
        }
        _ => false,
    }
}

impl StorageRead for Tables {
    fn get(&self, space: Space, key: &[u8]) -> Result<Option<Cow<'_, Item>>> {
        Ok(self
            .tree(space)
            .and_then(|t| t.get(key))
            .map(|item| Cow::Borrowed(&**item)))
    }

    fn range<'a>(
        &'a self,
        space: Space,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        reverse: bool,
    ) -> Result<Entries<'a>> {
        let Some(tree) = self.tree(space) else {
            return Ok(Box::new(std::iter::empty()));
        };
        if empty_range(lower, upper) {
            return Ok(Box::new(std::iter::empty()));
        }
        let range = tree
            .range::<[u8], _>((lower, upper))
            .map(|(k, v)| Ok((Cow::Borrowed(k.as_slice()), Cow::Borrowed(&**v))));
        Ok(if reverse {
            Box::new(range.rev())
        } else {
            Box::new(range)
        })
    }
}

impl MemoryStorage {
    /// Runs `f` under the read lock.
    fn read_now<R>(
        &self,
        schema: &TableSchema,
        f: impl FnOnce(&dyn StorageRead) -> Result<R>,
    ) -> Result<R> {
        match self.state.read() {
            Err(_) => Err(poisoned()),
            Ok(state) => match state.as_ref() {
                None => Err(missing(schema)),
                Some(tables) => f(tables),
            },
        }
    }
}

impl Storage for MemoryStorage {
    const BACKEND: &'static str = "memory";

    fn create(&self, schema: &TableSchema) -> impl Future<Output = Result<()>> + Send {
        let result = (|| {
            let mut state = self.state.write().map_err(|_| poisoned())?;
            let tables = state.get_or_insert_with(Tables::default);
            while tables.indexes.len() < schema.indexes.len() {
                let position = tables.indexes.len();
                tables.indexes.push(Tree::new());
                let fill = raw::backfill_index(schema, position, &*tables)?;
                tables.apply(fill);
            }
            Ok(())
        })();
        std::future::ready(result)
    }

    fn read<R, F>(&self, schema: &TableSchema, f: F) -> impl Future<Output = Result<R>> + Send
    where
        R: Send + 'static,
        F: FnOnce(&dyn StorageRead) -> Result<R> + Send + 'static,
    {
        std::future::ready(self.read_now(schema, f))
    }

    /// Always reads here: the items are lent from the trees under the read lock.
    fn read_here<R, F>(&self, schema: &TableSchema, f: F) -> std::result::Result<Result<R>, F>
    where
        F: FnOnce(&dyn StorageRead) -> Result<R>,
    {
        Ok(self.read_now(schema, f))
    }

    fn write<R, F>(&self, schema: &TableSchema, f: F) -> impl Future<Output = Result<R>> + Send
    where
        R: Send + 'static,
        F: FnOnce(&dyn StorageRead) -> Result<(R, Vec<Mutation>)> + Send + 'static,
    {
        let result = match self.state.write() {
            Err(_) => Err(poisoned()),
            Ok(mut state) => match state.as_mut() {
                None => Err(missing(schema)),
                Some(tables) => f(&*tables).map(|(out, mutations)| {
                    tables.apply(mutations);
                    out
                }),
            },
        };
        std::future::ready(result)
    }
}
