//! # monotable-sqlite
//!
//! The embedded default backend: one SQLite file (bundled SQLite through `rusqlite`), with
//! DynamoDB's semantics from `monotable_core::raw`. The table is an SQLite table keyed by
//! the order-preserving encoding of (partition key, sort key); each secondary index is one
//! more table keyed by (index keys, table keys), holding only the items that have the index's
//! keys (sparse, like DynamoDB's). Point reads and queries are B-tree lookups and range
//! reads on those keys, never scans.
//!
//! Writes run in `BEGIN IMMEDIATE` transactions with `synchronous = FULL` in WAL mode, so a
//! write that returned `Ok` is on disk; reads use their own connections and proceed while a
//! write is under way. All SQLite calls run on tokio's blocking pool, never on the runtime's
//! workers.
//!
//! ```no_run
//! use monotable_core::{Repository, TableSchema};
//! use monotable_sqlite::{SqliteRepository, SqliteStorage};
//! # async fn f() -> monotable_core::Result<()> {
//! let repo = SqliteRepository::new(SqliteStorage::open("app.db")?, TableSchema::single_table("app"))?;
//! repo.create_table().await?;
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

use std::collections::{HashSet, VecDeque};
use std::future::Future;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use monotable_core::raw::{self, Engine, Entries, Mutation, Space, Storage, StorageRead};
use monotable_core::{Error, Item, Result, TableSchema};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};

/// A repository in an SQLite file.
pub type SqliteRepository = Engine<SqliteStorage>;

/// Rows fetched per round trip by a range read.
const RANGE_BATCH: usize = 128;

fn sql_error(e: rusqlite::Error) -> Error {
    let busy = matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    );
    if busy {
        Error::Throttled {
            message: "the SQLite database is busy".into(),
            source: Some(Box::new(e)),
        }
    } else {
        Error::backend("sqlite", false, e)
    }
}

fn poisoned() -> Error {
    Error::backend(
        "sqlite",
        false,
        "a thread panicked while holding a connection",
    )
}

/// How durable a commit is (SQLite's `synchronous` setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `FULL`: a commit is on disk before it returns; survives power loss (the default).
    #[default]
    Full,
    /// `NORMAL`: survives a process crash; the last commits may be lost on power loss.
    Normal,
}

struct Inner {
    path: Option<PathBuf>,
    durability: Durability,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    existing: Mutex<HashSet<String>>,
}

/// An SQLite database holding monotable tables.
#[derive(Clone)]
pub struct SqliteStorage {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SqliteStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStorage")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStorage {
    /// Opens (or creates) the database file at `path`, with full durability.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path, Durability::Full)
    }

    /// Opens (or creates) the database file at `path` with the given durability.
    pub fn open_with(path: impl AsRef<Path>, durability: Durability) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let writer = Self::connect(Some(&path), durability)?;
        Ok(Self::from_writer(Some(path), durability, writer))
    }

    /// A private in-memory database (one connection; gone when dropped).
    pub fn in_memory() -> Result<Self> {
        let writer = Self::connect(None, Durability::Normal)?;
        Ok(Self::from_writer(None, Durability::Normal, writer))
    }

    fn from_writer(path: Option<PathBuf>, durability: Durability, writer: Connection) -> Self {
        SqliteStorage {
            inner: Arc::new(Inner {
                path,
                durability,
                writer: Mutex::new(writer),
                readers: Mutex::new(Vec::new()),
                existing: Mutex::new(HashSet::new()),
            }),
        }
    }

    /// The file, if not in memory.
    pub fn path(&self) -> Option<&Path> {
        self.inner.path.as_deref()
    }

    fn connect(path: Option<&Path>, durability: Durability) -> Result<Connection> {
        let conn = match path {
            Some(p) => Connection::open_with_flags(
                p,
                OpenFlags::SQLITE_OPEN_READ_WRITE
                    | OpenFlags::SQLITE_OPEN_CREATE
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            ),
            None => Connection::open_in_memory(),
        }
        .map_err(sql_error)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(sql_error)?;
        if path.is_some() {
            conn.pragma_update(None, "journal_mode", "WAL")
                .map_err(sql_error)?;
        }
        let sync = match durability {
            Durability::Full => "FULL",
            Durability::Normal => "NORMAL",
        };
        conn.pragma_update(None, "synchronous", sync)
            .map_err(sql_error)?;
        Ok(conn)
    }

    /// Runs `f` on a reader connection (the writer's for an in-memory database), on the
    /// blocking pool.
    async fn with_reader<R, F>(&self, f: F) -> Result<R>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R> + Send + 'static,
    {
        let inner = self.inner.clone();
        blocking(move || {
            if inner.path.is_none() {
                let conn = inner.writer.lock().map_err(|_| poisoned())?;
                return f(&conn);
            }
            let pooled = inner.readers.lock().map_err(|_| poisoned())?.pop();
            let conn = match pooled {
                Some(c) => c,
                None => Self::connect(inner.path.as_deref(), inner.durability)?,
            };
            let out = f(&conn);
            if let Ok(mut pool) = inner.readers.lock() {
                pool.push(conn);
            }
            out
        })
        .await
    }

    async fn with_writer<R, F>(&self, f: F) -> Result<R>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<R> + Send + 'static,
    {
        let inner = self.inner.clone();
        blocking(move || {
            let mut conn = inner.writer.lock().map_err(|_| poisoned())?;
            f(&mut conn)
        })
        .await
    }
}

async fn blocking<R: Send + 'static>(f: impl FnOnce() -> Result<R> + Send + 'static) -> Result<R> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::backend("sqlite", false, e))?
}

/// SQLite table names of a monotable table: the table, then one per index.
#[derive(Clone)]
struct Names {
    table: String,
    indexes: Vec<String>,
}

impl Names {
    fn of(schema: &TableSchema) -> Self {
        Names {
            table: quote(&schema.name),
            indexes: schema
                .indexes
                .iter()
                .map(|i| quote(&format!("{}::{}", schema.name, i.name)))
                .collect(),
        }
    }

    fn space(&self, space: Space) -> &str {
        match space {
            Space::Table => &self.table,
            Space::Index(i) => &self.indexes[i],
        }
    }
}

/// Table names are `[A-Za-z0-9_.-]` (checked by the schema) plus `::`; quoting is enough.
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn table_exists(conn: &Connection, quoted: &str) -> Result<bool> {
    let bare = quoted.trim_matches('"').replace("\"\"", "\"");
    conn.query_row(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
        [bare],
        |_| Ok(()),
    )
    .optional()
    .map(|r| r.is_some())
    .map_err(sql_error)
}

fn create_space(conn: &Connection, quoted: &str) -> Result<()> {
    conn.execute_batch(&format!("CREATE TABLE IF NOT EXISTS {quoted} (k BLOB PRIMARY KEY, item TEXT NOT NULL) WITHOUT ROWID"))
        .map_err(sql_error)
}

fn decode(text: &str) -> Result<Item> {
    let json: serde_json::Value =
        serde_json::from_str(text).map_err(|e| Error::backend("sqlite", false, e))?;
    Item::from_json(&json).map_err(|e| Error::backend("sqlite", false, e))
}

/// A view of the database through one connection.
struct View<'c> {
    conn: &'c Connection,
    names: Names,
}

impl StorageRead for View<'_> {
    fn get(&self, space: Space, key: &[u8]) -> Result<Option<Item>> {
        let sql = format!("SELECT item FROM {} WHERE k = ?1", self.names.space(space));
        let mut stmt = self.conn.prepare_cached(&sql).map_err(sql_error)?;
        let text: Option<String> = stmt
            .query_row([key], |r| r.get(0))
            .optional()
            .map_err(sql_error)?;
        text.map(|t| decode(&t)).transpose()
    }

    fn range<'a>(
        &'a self,
        space: Space,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        reverse: bool,
    ) -> Result<Entries<'a>> {
        Ok(Box::new(RangeIter {
            view: self,
            table: self.names.space(space).to_string(),
            lower: lower.map(<[u8]>::to_vec),
            upper: upper.map(<[u8]>::to_vec),
            reverse,
            buffer: VecDeque::new(),
            done: false,
        }))
    }
}

/// Reads a key range in batches, each batch resuming after the last key it returned.
struct RangeIter<'a> {
    view: &'a View<'a>,
    table: String,
    lower: Bound<Vec<u8>>,
    upper: Bound<Vec<u8>>,
    reverse: bool,
    buffer: VecDeque<(Vec<u8>, String)>,
    done: bool,
}

impl RangeIter<'_> {
    fn fill(&mut self) -> Result<()> {
        let mut clauses = Vec::new();
        let mut args: Vec<Vec<u8>> = Vec::new();
        for (bound, inclusive, exclusive) in [(&self.lower, ">=", ">"), (&self.upper, "<=", "<")] {
            match bound {
                Bound::Included(k) => {
                    args.push(k.clone());
                    clauses.push(format!("k {inclusive} ?{}", args.len()));
                }
                Bound::Excluded(k) => {
                    args.push(k.clone());
                    clauses.push(format!("k {exclusive} ?{}", args.len()));
                }
                Bound::Unbounded => {}
            }
        }
        let filter = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        let order = if self.reverse { "DESC" } else { "ASC" };
        let sql = format!(
            "SELECT k, item FROM {} {filter} ORDER BY k {order} LIMIT {RANGE_BATCH}",
            self.table
        );
        let mut stmt = self.view.conn.prepare_cached(&sql).map_err(sql_error)?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args.iter()), |r| {
                Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(sql_error)?;
        for row in rows {
            self.buffer.push_back(row.map_err(sql_error)?);
        }
        if self.buffer.len() < RANGE_BATCH {
            self.done = true;
        }
        if let Some((last, _)) = self.buffer.back() {
            if self.reverse {
                self.upper = Bound::Excluded(last.clone());
            } else {
                self.lower = Bound::Excluded(last.clone());
            }
        }
        Ok(())
    }
}

impl Iterator for RangeIter<'_> {
    type Item = Result<(Vec<u8>, Item)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.buffer.is_empty() && !self.done {
            if let Err(e) = self.fill() {
                self.done = true;
                return Some(Err(e));
            }
        }
        let (k, text) = self.buffer.pop_front()?;
        Some(decode(&text).map(|item| (k, item)))
    }
}

fn apply(conn: &Connection, names: &Names, mutations: Vec<Mutation>) -> Result<()> {
    for m in mutations {
        let table = names.space(m.space);
        match m.item {
            Some(item) => {
                let sql = format!("INSERT OR REPLACE INTO {table} (k, item) VALUES (?1, ?2)");
                conn.prepare_cached(&sql)
                    .and_then(|mut s| s.execute(params![m.key, item.to_json().to_string()]))
                    .map_err(sql_error)?;
            }
            None => {
                let sql = format!("DELETE FROM {table} WHERE k = ?1");
                conn.prepare_cached(&sql)
                    .and_then(|mut s| s.execute([m.key]))
                    .map_err(sql_error)?;
            }
        }
    }
    Ok(())
}

impl SqliteStorage {
    fn check_exists(&self, conn: &Connection, schema: &TableSchema, names: &Names) -> Result<()> {
        let mut known = self.inner.existing.lock().map_err(|_| poisoned())?;
        if known.contains(&names.table) {
            return Ok(());
        }
        if !table_exists(conn, &names.table)?
            || names
                .indexes
                .iter()
                .any(|i| !table_exists(conn, i).unwrap_or(false))
        {
            return Err(Error::TableNotFound {
                table: schema.name.clone(),
            });
        }
        known.insert(names.table.clone());
        Ok(())
    }
}

impl Storage for SqliteStorage {
    const BACKEND: &'static str = "sqlite";

    fn create(&self, schema: &TableSchema) -> impl Future<Output = Result<()>> + Send {
        let schema = schema.clone();
        let this = self.clone();
        async move {
            let names = Names::of(&schema);
            let schema2 = schema.clone();
            let names2 = names.clone();
            this.with_writer(move |conn| {
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(sql_error)?;
                create_space(&tx, &names2.table)?;
                for (position, index) in names2.indexes.iter().enumerate() {
                    if !table_exists(&tx, index)? {
                        create_space(&tx, index)?;
                        let view = View {
                            conn: &tx,
                            names: names2.clone(),
                        };
                        let fill = raw::backfill_index(&schema2, position, &view)?;
                        apply(&tx, &names2, fill)?;
                    }
                }
                tx.commit().map_err(sql_error)
            })
            .await?;
            this.inner
                .existing
                .lock()
                .map_err(|_| poisoned())?
                .insert(names.table);
            Ok(())
        }
    }

    fn read<R, F>(&self, schema: &TableSchema, f: F) -> impl Future<Output = Result<R>> + Send
    where
        R: Send + 'static,
        F: FnOnce(&dyn StorageRead) -> Result<R> + Send + 'static,
    {
        let names = Names::of(schema);
        let schema = schema.clone();
        let this = self.clone();
        async move {
            let this2 = this.clone();
            this.with_reader(move |conn| {
                this2.check_exists(conn, &schema, &names)?;
                // One read transaction: a consistent snapshot for the whole request.
                conn.execute_batch("BEGIN DEFERRED").map_err(sql_error)?;
                let out = f(&View { conn, names });
                conn.execute_batch("COMMIT").map_err(sql_error)?;
                out
            })
            .await
        }
    }

    fn write<R, F>(&self, schema: &TableSchema, f: F) -> impl Future<Output = Result<R>> + Send
    where
        R: Send + 'static,
        F: FnOnce(&dyn StorageRead) -> Result<(R, Vec<Mutation>)> + Send + 'static,
    {
        let names = Names::of(schema);
        let schema = schema.clone();
        let this = self.clone();
        async move {
            let this2 = this.clone();
            this.with_writer(move |conn| {
                this2.check_exists(conn, &schema, &names)?;
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(sql_error)?;
                let (out, mutations) = f(&View {
                    conn: &tx,
                    names: names.clone(),
                })?;
                apply(&tx, &names, mutations)?;
                tx.commit().map_err(sql_error)?;
                Ok(out)
            })
            .await
        }
    }
}
