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
//! write is under way. Writes run on one writer thread, which commits the writes queued
//! together in one transaction (group commit): each runs under its own savepoint, sees the
//! writes before it, keeps its own condition and result (a failed one leaves nothing
//! behind), and is answered only once the shared commit is on disk; sixteen concurrent
//! writers pay for about one fsync instead of sixteen. On a multi-thread runtime a read
//! runs on the calling task, without a thread hop: its first rows are read in place (a point
//! read takes a few microseconds), and past [`INLINE_ROWS`] rows the rest of the read runs
//! under `tokio::task::block_in_place`, so the worker's other tasks move to another thread.
//! On a current-thread runtime, and for an in-memory database whose connection is busy,
//! reads run on the blocking pool. Table names and SQL text are formatted once per schema;
//! statements are prepared once per connection.
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

mod codec;

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::VecDeque;
use std::future::Future;
use std::ops::Bound;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{mpsc, Arc, Mutex, RwLock, TryLockError};

use monotable_core::raw::{
    self, Engine, Entries, Mutation, Space, Storage, StorageRead, Stored, StoredEntries,
};
use monotable_core::{
    Error, IndexKind, IndexSchema, Item, KeyAttribute, KeyType, Projection, Result, TableSchema,
};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};
use tokio::sync::oneshot;

/// A repository in an SQLite file.
pub type SqliteRepository = Engine<SqliteStorage>;

/// Rows fetched per round trip by a range read.
const RANGE_BATCH: usize = 128;

/// Rows a read takes on the calling task before the rest moves under `block_in_place` (a
/// 20-item query, a point read, a small batch get stay in place: tens of microseconds).
pub const INLINE_ROWS: usize = 32;

/// Prepared statements kept per connection (a read's BEGIN and COMMIT, and each space's
/// get, put, delete and 36 range shapes: a table with five indexes uses at most 236; only
/// the statements used are kept).
const STATEMENT_CACHE: usize = 256;

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

fn writer_gone() -> Error {
    Error::backend("sqlite", false, "the SQLite writer thread has stopped")
}

/// The error of a group commit that failed, for each write in it.
fn group_error(e: &rusqlite::Error) -> Error {
    let busy = matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    );
    if busy {
        Error::Throttled {
            message: "the SQLite database is busy".into(),
            source: Some(e.to_string().into()),
        }
    } else {
        Error::backend("sqlite", false, e.to_string())
    }
}

/// Writes queued more than this many at once commit in more than one group.
const MAX_GROUP: usize = 64;

/// Work that runs alone on the writer connection; given `None` if it is poisoned.
type AloneJob = Box<dyn FnOnce(Option<&mut Connection>) + Send>;

/// Work for the writer thread.
enum Job {
    /// Runs alone on the writer connection (creating tables); `None` if it is poisoned.
    Alone(AloneJob),
    /// A write of the next group commit.
    Grouped(Box<dyn GroupedWrite>),
}

/// One write of a group commit.
trait GroupedWrite: Send {
    /// Runs the write under its own savepoint in the group's open transaction: its reads see
    /// the writes before it in the group, and a write that fails leaves nothing behind.
    /// False if the transaction can no longer be trusted (a savepoint failed).
    fn run(&mut self, conn: &Connection) -> bool;
    /// Answers the caller once the group's commit is on disk, or with `failed()` if the group
    /// did not commit.
    fn finish(self: Box<Self>, failed: Option<&dyn Fn() -> Error>);
}

struct WriteJob<R, F> {
    f: Option<F>,
    sql: Arc<TableSql>,
    out: Option<Result<R>>,
    reply: oneshot::Sender<Result<R>>,
}

impl<R, F> GroupedWrite for WriteJob<R, F>
where
    R: Send,
    F: FnOnce(&dyn StorageRead) -> Result<(R, Vec<Mutation>)> + Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let Some(f) = self.f.take() else {
            return true;
        };
        if let Err(e) = conn.execute_batch("SAVEPOINT monotable_write") {
            self.out = Some(Err(sql_error(e)));
            return false;
        }
        let sql = &self.sql;
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
            check_exists(conn, sql, true)?;
            let (out, mutations) = f(&View {
                conn,
                sql,
                pace: Pace::pooled(),
            })?;
            apply(conn, sql, mutations)?;
            Ok(out)
        }))
        .unwrap_or_else(|_| Err(Error::backend("sqlite", false, "a write panicked")));
        let sound = match &result {
            Ok(_) => conn.execute_batch("RELEASE monotable_write").is_ok(),
            Err(_) => conn
                .execute_batch("ROLLBACK TO monotable_write; RELEASE monotable_write")
                .is_ok(),
        };
        self.out = Some(result);
        sound
    }

    fn finish(self: Box<Self>, failed: Option<&dyn Fn() -> Error>) {
        let out = match (self.out, failed) {
            // Its own failure: nothing of it was written, whatever the group did.
            (Some(Err(e)), _) => Err(e),
            (Some(Ok(out)), None) => Ok(out),
            (_, Some(failed)) => Err(failed()),
            (None, None) => Err(Error::backend("sqlite", false, "the write did not run")),
        };
        let _ = self.reply.send(out);
    }
}

/// The writer thread: takes every write queued (up to [`MAX_GROUP`]), runs them in one
/// `BEGIN IMMEDIATE` transaction, each under its own savepoint, commits once, and only then
/// answers each: many concurrent writers share one commit (and one fsync).
fn writer_thread(conn: &Mutex<Connection>, queue: &mpsc::Receiver<Job>) {
    while let Ok(first) = queue.recv() {
        let mut jobs = vec![first];
        while jobs.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let mut guard = conn.lock();
        let mut group = Vec::new();
        for job in jobs {
            match (job, guard.as_deref_mut()) {
                (Job::Grouped(w), Ok(_)) => group.push(w),
                (Job::Grouped(w), Err(_)) => w.finish(Some(&poisoned)),
                (Job::Alone(f), Ok(conn)) => {
                    commit_group(conn, std::mem::take(&mut group));
                    let _ = std::panic::catch_unwind(AssertUnwindSafe(|| f(Some(conn))));
                }
                (Job::Alone(f), Err(_)) => f(None),
            }
        }
        if let Ok(conn) = guard.as_deref_mut() {
            commit_group(conn, group);
        }
    }
}

fn commit_group(conn: &mut Connection, mut group: Vec<Box<dyn GroupedWrite>>) {
    if group.is_empty() {
        return;
    }
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        for w in group {
            w.finish(Some(&|| group_error(&e)));
        }
        return;
    }
    let sound = group.iter_mut().all(|w| w.run(conn));
    let commit = if sound {
        conn.execute_batch("COMMIT")
    } else {
        Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
            Some("a savepoint of the group commit failed".into()),
        ))
    };
    match commit {
        Ok(()) => group.into_iter().for_each(|w| w.finish(None)),
        Err(e) => {
            if !conn.is_autocommit() {
                let _ = conn.execute_batch("ROLLBACK");
            }
            for w in group {
                w.finish(Some(&|| group_error(&e)));
            }
        }
    }
}

/// The version of the file layout this build writes and reads: one SQLite table per
/// monotable table and per index (`k BLOB PRIMARY KEY, item TEXT`), keys in
/// `raw::keycodec`'s order-preserving encoding, items as DynamoDB JSON text, and the table
/// [`SPACES_TABLE`] recording, per space, the definition its keys were encoded for (the
/// table's key attributes and types; an index's kind, key attributes in order with their
/// types, and projection). Stored in `PRAGMA user_version`; any change to the layout bumps
/// it, with a migration from the previous version.
///
/// Version 2 added [`SPACES_TABLE`]. A version-1 file is migrated when it is opened (the
/// table is created, empty); each of its spaces is recorded, as it stands, the first time
/// `create_table` runs on it. From then on a schema that declares another definition for a
/// recorded space is refused on first use (`Error::Configuration`) instead of misreading it:
/// `create_table` rebuilds a changed index from the table's items, and refuses a changed
/// table key (nothing is written). An index no longer declared keeps its space and record.
pub const FORMAT_VERSION: i64 = 2;

/// `PRAGMA application_id` of a monotable file (`"MTBL"`).
pub const APPLICATION_ID: i64 = 0x4D54_424C;

/// The SQLite table that records each space's definition (`space TEXT PRIMARY KEY,
/// definition TEXT`): its `:` cannot appear in a monotable table name, and an index's space
/// is `table::index`, so no monotable table or index can take its name.
pub const SPACES_TABLE: &str = "monotable:spaces";

fn format_error(path: &Path, why: String) -> Error {
    Error::Configuration {
        message: format!("{}: {why}", path.display()),
    }
}

/// Checks, or stamps, the file's format: a file of this format opens; a new file, or one
/// written before files were stamped (its tables already in version 1's layout), is stamped
/// with it; a version-1 file is migrated; anything else is refused before it is read or
/// written.
fn check_format(conn: &Connection, path: &Path) -> Result<()> {
    match read_format(conn)? {
        (APPLICATION_ID, FORMAT_VERSION) => return Ok(()),
        (APPLICATION_ID, 1) | (0, 0) => {}
        other => return refuse_format(other, path),
    }
    // Stamp or migrate in one write transaction, deciding again inside it: another process
    // may have done it meanwhile.
    conn.execute_batch("BEGIN IMMEDIATE").map_err(sql_error)?;
    let done =
        stamp_or_migrate(conn, path).and_then(|()| conn.execute_batch("COMMIT").map_err(sql_error));
    if done.is_err() && !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    done
}

fn read_format(conn: &Connection) -> Result<(i64, i64)> {
    let read = |pragma: &str| -> Result<i64> {
        conn.pragma_query_value(None, pragma, |r| r.get(0))
            .map_err(sql_error)
    };
    Ok((read("application_id")?, read("user_version")?))
}

fn refuse_format((id, v): (i64, i64), path: &Path) -> Result<()> {
    Err(match id {
        APPLICATION_ID if v > FORMAT_VERSION => format_error(
            path,
            format!(
                "the file has monotable format version {v}, newer than the {FORMAT_VERSION} \
                 this build reads: open it with a newer monotable"
            ),
        ),
        APPLICATION_ID => format_error(
            path,
            format!("monotable format version {v} is not one this build can migrate"),
        ),
        other => format_error(
            path,
            format!("not a monotable database (application_id {other:#x})"),
        ),
    })
}

/// In an open write transaction: stamps a new or unstamped file, or migrates a version-1
/// file, to [`FORMAT_VERSION`].
fn stamp_or_migrate(conn: &Connection, path: &Path) -> Result<()> {
    match read_format(conn)? {
        (APPLICATION_ID, FORMAT_VERSION) => return Ok(()),
        (APPLICATION_ID, 1) => {}
        (0, 0) => {
            let mut stmt = conn
                .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
                .map_err(sql_error)?;
            let tables: Vec<String> = stmt
                .query_map([], |r| r.get(0))
                .map_err(sql_error)?
                .collect::<std::result::Result<_, _>>()
                .map_err(sql_error)?;
            for t in &tables {
                let mut cols = conn
                    .prepare(&format!(
                        "SELECT name FROM pragma_table_info({})",
                        quote_literal(t)
                    ))
                    .map_err(sql_error)?;
                let names: Vec<String> = cols
                    .query_map([], |r| r.get(0))
                    .map_err(sql_error)?
                    .collect::<std::result::Result<_, _>>()
                    .map_err(sql_error)?;
                if names != ["k", "item"] {
                    return Err(format_error(
                        path,
                        format!("not a monotable database (table {t:?} is not monotable's)"),
                    ));
                }
            }
        }
        other => return refuse_format(other, path),
    }
    conn.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS {} (space TEXT PRIMARY KEY, definition TEXT NOT NULL) \
         WITHOUT ROWID; PRAGMA application_id = {APPLICATION_ID}; \
         PRAGMA user_version = {FORMAT_VERSION};",
        quote(SPACES_TABLE)
    ))
    .map_err(sql_error)
}

fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
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
    /// The writer connection: the writer thread's, and the readers' for an in-memory
    /// database.
    writer: Arc<Mutex<Connection>>,
    /// The writer thread's queue.
    jobs: mpsc::Sender<Job>,
    readers: Mutex<Vec<Connection>>,
    /// Names and SQL of each schema seen, built once.
    tables: RwLock<Vec<Arc<TableSql>>>,
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
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`] for a file that is not a monotable database, or whose
    /// format version ([`FORMAT_VERSION`]) this build cannot read; nothing is changed in it.
    pub fn open_with(path: impl AsRef<Path>, durability: Durability) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let writer = Self::connect(Some(&path), durability)?;
        check_format(&writer, &path)?;
        Ok(Self::from_writer(Some(path), durability, writer))
    }

    /// A private in-memory database (one connection; gone when dropped).
    pub fn in_memory() -> Result<Self> {
        let writer = Self::connect(None, Durability::Normal)?;
        check_format(&writer, Path::new(":memory:"))?;
        Ok(Self::from_writer(None, Durability::Normal, writer))
    }

    fn from_writer(path: Option<PathBuf>, durability: Durability, writer: Connection) -> Self {
        let writer = Arc::new(Mutex::new(writer));
        let (jobs, queue) = mpsc::channel();
        let conn = writer.clone();
        std::thread::Builder::new()
            .name("monotable-sqlite-writer".into())
            .spawn(move || writer_thread(&conn, &queue))
            .expect("cannot start the SQLite writer thread");
        SqliteStorage {
            inner: Arc::new(Inner {
                path,
                durability,
                writer,
                jobs,
                readers: Mutex::new(Vec::new()),
                tables: RwLock::new(Vec::new()),
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
        // Every connection is checked, not trusted: a setting SQLite did not take would
        // silently weaken durability (tests/sync.rs counts the syncs that follow from it).
        let read = |pragma: &str| -> Result<String> {
            conn.pragma_query_value(None, pragma, |r| {
                r.get::<_, rusqlite::types::Value>(0).map(|v| match v {
                    rusqlite::types::Value::Integer(i) => i.to_string(),
                    rusqlite::types::Value::Text(t) => t.to_lowercase(),
                    other => format!("{other:?}"),
                })
            })
            .map_err(sql_error)
        };
        let want_sync = match durability {
            Durability::Full => "2",
            Durability::Normal => "1",
        };
        let got_sync = read("synchronous")?;
        let got_journal = read("journal_mode")?;
        let want_journal = if path.is_some() { "wal" } else { "memory" };
        if got_sync != want_sync || got_journal != want_journal {
            return Err(Error::backend(
                "sqlite",
                false,
                format!(
                    "the connection runs with synchronous={got_sync}, journal_mode={got_journal}; \
                     monotable needs synchronous={want_sync}, journal_mode={want_journal}"
                ),
            ));
        }
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(conn)
    }

    /// The names and SQL of `schema`'s table, formatted on first use.
    fn table_sql(&self, schema: &TableSchema) -> Result<Arc<TableSql>> {
        if let Some(t) = self
            .inner
            .tables
            .read()
            .map_err(|_| poisoned())?
            .iter()
            .find(|t| t.matches(schema))
        {
            return Ok(t.clone());
        }
        let mut tables = self.inner.tables.write().map_err(|_| poisoned())?;
        if let Some(t) = tables.iter().find(|t| t.matches(schema)) {
            return Ok(t.clone());
        }
        let t = Arc::new(TableSql::of(schema));
        tables.push(t.clone());
        Ok(t)
    }

    /// Runs `run(state, …)` on a reader connection on the calling thread, if that is
    /// possible without waiting (a file database: a pooled or new reader; in memory: the
    /// writer's connection if it is free). `Err(state)` hands `state` back when it is not.
    fn read_inline<T, R>(
        &self,
        state: T,
        run: impl FnOnce(T, &Connection, Pace) -> Result<R>,
    ) -> std::result::Result<Result<R>, T> {
        let inner = &self.inner;
        if inner.path.is_none() {
            return match inner.writer.try_lock() {
                Ok(conn) => Ok(run(state, &conn, Pace::inline())),
                Err(TryLockError::WouldBlock) => Err(state),
                Err(TryLockError::Poisoned(_)) => Ok(Err(poisoned())),
            };
        }
        Ok(self.with_pooled_reader(|conn| run(state, conn, Pace::inline())))
    }

    fn with_pooled_reader<R>(&self, f: impl FnOnce(&Connection) -> Result<R>) -> Result<R> {
        let inner = &self.inner;
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
    }

    /// Runs `f` on a reader connection (the writer's for an in-memory database), on the
    /// blocking pool.
    async fn with_reader<R, F>(&self, f: F) -> Result<R>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R> + Send + 'static,
    {
        let this = self.clone();
        blocking(move || {
            if this.inner.path.is_none() {
                let conn = this.inner.writer.lock().map_err(|_| poisoned())?;
                return f(&conn);
            }
            this.with_pooled_reader(f)
        })
        .await
    }

    /// Runs `f` alone on the writer connection, on the writer thread.
    async fn with_writer<R, F>(&self, f: F) -> Result<R>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<R> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        self.inner
            .jobs
            .send(Job::Alone(Box::new(move |conn| {
                let _ = reply.send(match conn {
                    Some(conn) => f(conn),
                    None => Err(poisoned()),
                });
            })))
            .map_err(|_| writer_gone())?;
        answer.await.map_err(|_| writer_gone())?
    }

    /// Runs a write in the writer thread's next group commit.
    async fn write_grouped<R, F>(&self, sql: Arc<TableSql>, f: F) -> Result<R>
    where
        R: Send + 'static,
        F: FnOnce(&dyn StorageRead) -> Result<(R, Vec<Mutation>)> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = WriteJob {
            f: Some(f),
            sql,
            out: None,
            reply,
        };
        self.inner
            .jobs
            .send(Job::Grouped(Box::new(job)))
            .map_err(|_| writer_gone())?;
        answer.await.map_err(|_| writer_gone())?
    }
}

async fn blocking<R: Send + 'static>(f: impl FnOnce() -> Result<R> + Send + 'static) -> Result<R> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::backend("sqlite", false, e))?
}

/// The SQL of one space (the table or an index), formatted once.
struct SpaceSql {
    /// The SQLite table's name (`table` or `table::index`).
    bare: String,
    /// The definition its entries are encoded for, as [`SPACES_TABLE`] records it.
    definition: String,
    quoted: String,
    get: String,
    put: String,
    delete: String,
    /// Range reads by batch size ([`INLINE_ROWS`], then [`RANGE_BATCH`]) × lower bound kind ×
    /// upper bound kind × direction (see [`range_slot`]). The limit is written into the text,
    /// not bound: SQLite re-prepares a statement whose bound `LIMIT` changes on every rebind.
    range: Vec<String>,
}

impl SpaceSql {
    fn of(bare: String, definition: String) -> Self {
        let quoted = quote(&bare);
        let mut range = Vec::with_capacity(36);
        for limit in [INLINE_ROWS, RANGE_BATCH] {
            for lower in [None, Some(">="), Some(">")] {
                for upper in [None, Some("<="), Some("<")] {
                    for order in ["ASC", "DESC"] {
                        let mut clauses = Vec::new();
                        if let Some(op) = lower {
                            clauses.push(format!("k {op} ?{}", clauses.len() + 1));
                        }
                        if let Some(op) = upper {
                            clauses.push(format!("k {op} ?{}", clauses.len() + 1));
                        }
                        let filter = if clauses.is_empty() {
                            String::new()
                        } else {
                            format!("WHERE {}", clauses.join(" AND "))
                        };
                        range.push(format!(
                            "SELECT k, item FROM {quoted} {filter} ORDER BY k {order} LIMIT {limit}"
                        ));
                    }
                }
            }
        }
        SpaceSql {
            get: format!("SELECT item FROM {quoted} WHERE k = ?1"),
            put: format!("INSERT OR REPLACE INTO {quoted} (k, item) VALUES (?1, ?2)"),
            delete: format!("DELETE FROM {quoted} WHERE k = ?1"),
            range,
            quoted,
            bare,
            definition,
        }
    }
}

/// Where the statement for a batch of `batch` rows ([`INLINE_ROWS`] or [`RANGE_BATCH`]) with
/// these bounds is in [`SpaceSql::range`].
fn range_slot(
    batch: usize,
    lower: &Bound<Vec<u8>>,
    upper: &Bound<Vec<u8>>,
    reverse: bool,
) -> usize {
    let kind = |b: &Bound<Vec<u8>>| match b {
        Bound::Unbounded => 0,
        Bound::Included(_) => 1,
        Bound::Excluded(_) => 2,
    };
    let size = usize::from(batch != INLINE_ROWS);
    size * 18 + kind(lower) * 6 + kind(upper) * 2 + usize::from(reverse)
}

/// A monotable table's SQLite names and statements: the table, then one space per index.
/// Built once per schema (recognised by its table name, key and indexes).
struct TableSql {
    name: String,
    partition_key: KeyAttribute,
    sort_key: Option<KeyAttribute>,
    indexes: Vec<IndexSchema>,
    spaces: Vec<SpaceSql>,
    /// `PRAGMA schema_version` when the spaces were last found to exist with these
    /// definitions ([`check_exists`]), or [`UNVERIFIED`].
    verified: AtomicI64,
}

/// [`TableSql::verified`] before the spaces are checked.
const UNVERIFIED: i64 = -1;

impl TableSql {
    fn of(schema: &TableSchema) -> Self {
        let mut spaces = vec![SpaceSql::of(schema.name.clone(), table_definition(schema))];
        spaces.extend(
            schema
                .indexes
                .iter()
                .map(|i| SpaceSql::of(format!("{}::{}", schema.name, i.name), index_definition(i))),
        );
        TableSql {
            name: schema.name.clone(),
            partition_key: schema.partition_key.clone(),
            sort_key: schema.sort_key.clone(),
            indexes: schema.indexes.clone(),
            spaces,
            verified: AtomicI64::new(UNVERIFIED),
        }
    }

    fn matches(&self, schema: &TableSchema) -> bool {
        self.name == schema.name
            && self.partition_key == schema.partition_key
            && self.sort_key == schema.sort_key
            && self.indexes == schema.indexes
    }

    fn space(&self, space: Space) -> &SpaceSql {
        match space {
            Space::Table => &self.spaces[0],
            Space::Index(i) => &self.spaces[i + 1],
        }
    }
}

/// Key attributes as recorded: each name as a JSON string, then its type.
fn key_list(keys: &[KeyAttribute]) -> String {
    keys.iter()
        .map(|k| {
            let t = match k.key_type {
                KeyType::S => "S",
                KeyType::N => "N",
                KeyType::B => "B",
            };
            format!("{} {t}", serde_json::Value::String(k.name.clone()))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The table's recorded definition: `HASH "pk" S RANGE "sk" S`.
fn table_definition(schema: &TableSchema) -> String {
    let mut out = format!(
        "HASH {}",
        key_list(std::slice::from_ref(&schema.partition_key))
    );
    if let Some(sk) = &schema.sort_key {
        out.push_str(&format!(" RANGE {}", key_list(std::slice::from_ref(sk))));
    }
    out
}

/// An index's recorded definition: `GLOBAL HASH "a" S, "b" N RANGE "c" S PROJECTION ALL`
/// (`KEYS_ONLY`, or `INCLUDE "x", "y"`, the names sorted: their order changes no entry).
fn index_definition(index: &IndexSchema) -> String {
    let kind = match index.kind {
        IndexKind::Global => "GLOBAL",
        IndexKind::Local => "LOCAL",
    };
    let mut out = format!("{kind} HASH {}", key_list(&index.partition_keys));
    if !index.sort_keys.is_empty() {
        out.push_str(&format!(" RANGE {}", key_list(&index.sort_keys)));
    }
    match &index.projection {
        Projection::All => out.push_str(" PROJECTION ALL"),
        Projection::KeysOnly => out.push_str(" PROJECTION KEYS_ONLY"),
        Projection::Include(names) => {
            let mut names: Vec<&String> = names.iter().collect();
            names.sort();
            names.dedup();
            let names: Vec<String> = names
                .into_iter()
                .map(|n| serde_json::Value::String(n.clone()).to_string())
                .collect();
            out.push_str(&format!(" PROJECTION INCLUDE {}", names.join(", ")));
        }
    }
    out
}

/// The definition recorded for a space, if any.
fn recorded_definition(conn: &Connection, space: &SpaceSql) -> Result<Option<String>> {
    conn.prepare_cached(&format!(
        "SELECT definition FROM {} WHERE space = ?1",
        quote(SPACES_TABLE)
    ))
    .and_then(|mut s| s.query_row([&space.bare], |r| r.get(0)).optional())
    .map_err(sql_error)
}

fn record_definition(conn: &Connection, space: &SpaceSql) -> Result<()> {
    conn.prepare_cached(&format!(
        "INSERT OR REPLACE INTO {} (space, definition) VALUES (?1, ?2)",
        quote(SPACES_TABLE)
    ))
    .and_then(|mut s| s.execute([&space.bare, &space.definition]))
    .map(|_| ())
    .map_err(sql_error)
}

fn schema_version(conn: &Connection) -> Result<i64> {
    conn.prepare_cached("PRAGMA schema_version")
        .and_then(|mut s| s.query_row([], |r| r.get(0)))
        .map_err(sql_error)
}

/// The table's key differs from the one its items are stored under.
fn changed_table_key(sql: &TableSql, recorded: &str) -> Error {
    Error::Configuration {
        message: format!(
            "table {:?} was created with the key {recorded}, but the schema declares the key \
             {}: a changed table key cannot be opened (the items are stored under the \
             recorded key); declare the recorded key, or copy the items into a new table",
            sql.name, sql.spaces[0].definition
        ),
    }
}

/// An index's definition differs from the one its entries were built for.
fn changed_index(sql: &TableSql, space: &SpaceSql, recorded: &str) -> Error {
    let index = space.bare.rsplit("::").next().unwrap_or(&space.bare);
    Error::Configuration {
        message: format!(
            "index {index:?} of table {:?} was built for {recorded}, but the schema declares \
             {}: its entries cannot be read as the declared index; create_table rebuilds a \
             changed index from the table's items",
            sql.name, space.definition
        ),
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

/// Runs `f` in place, or, once a read on the calling task has taken [`INLINE_ROWS`] rows,
/// under `block_in_place` (only set on a multi-thread runtime, where it is allowed).
struct Pace {
    escalate: bool,
    rows: Cell<usize>,
}

impl Pace {
    fn pooled() -> Self {
        Pace {
            escalate: false,
            rows: Cell::new(0),
        }
    }

    fn inline() -> Self {
        Pace {
            escalate: true,
            rows: Cell::new(0),
        }
    }

    fn run<T>(&self, rows: usize, f: impl FnOnce() -> T) -> T {
        let before = self.rows.get();
        self.rows.set(before + rows);
        if self.escalate && before >= INLINE_ROWS {
            tokio::task::block_in_place(f)
        } else {
            f()
        }
    }
}

/// A view of the database through one connection.
struct View<'c> {
    conn: &'c Connection,
    sql: &'c TableSql,
    pace: Pace,
}

impl StorageRead for View<'_> {
    fn get(&self, space: Space, key: &[u8]) -> Result<Option<Cow<'_, Item>>> {
        match self.get_stored(space, key)? {
            Some(stored) => self.item_of(stored).map(Some),
            None => Ok(None),
        }
    }

    fn range<'a>(
        &'a self,
        space: Space,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        reverse: bool,
    ) -> Result<Entries<'a>> {
        let entries = self.range_stored(space, lower, upper, reverse)?;
        Ok(Box::new(entries.map(move |entry| {
            let (key, stored) = entry?;
            Ok((key, self.item_of(stored)?))
        })))
    }

    /// The stored text: a typed read decodes straight from it.
    fn get_stored(&self, space: Space, key: &[u8]) -> Result<Option<Stored<'_>>> {
        self.pace.run(1, || {
            let mut stmt = self
                .conn
                .prepare_cached(&self.sql.space(space).get)
                .map_err(sql_error)?;
            let mut rows = stmt.query([key]).map_err(sql_error)?;
            match rows.next().map_err(sql_error)? {
                Some(row) => {
                    let text = row.get_ref(0).map_err(sql_error)?;
                    let text = text
                        .as_str()
                        .map_err(|e| Error::backend("sqlite", false, e))?;
                    Ok(Some(Stored::Text(text.to_owned())))
                }
                None => Ok(None),
            }
        })
    }

    fn range_stored<'a>(
        &'a self,
        space: Space,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        reverse: bool,
    ) -> Result<StoredEntries<'a>> {
        Ok(Box::new(RangeIter {
            view: self,
            sql: self.sql.space(space),
            lower: lower.map(<[u8]>::to_vec),
            upper: upper.map(<[u8]>::to_vec),
            reverse,
            buffer: VecDeque::new(),
            done: false,
        }))
    }

    fn item_of_text(&self, text: &str) -> Result<Item> {
        codec::decode(text)
    }
}

/// Reads a key range in batches, each batch resuming after the last key it returned; the
/// first batch is [`INLINE_ROWS`] rows, the next ones [`RANGE_BATCH`].
struct RangeIter<'a> {
    view: &'a View<'a>,
    sql: &'a SpaceSql,
    lower: Bound<Vec<u8>>,
    upper: Bound<Vec<u8>>,
    reverse: bool,
    buffer: VecDeque<(Vec<u8>, String)>,
    done: bool,
}

impl RangeIter<'_> {
    fn fill(&mut self) -> Result<()> {
        let batch = if self.view.pace.rows.get() < INLINE_ROWS {
            INLINE_ROWS
        } else {
            RANGE_BATCH
        };
        let view = self.view;
        view.pace.run(batch, || self.fill_batch(batch))
    }

    fn fill_batch(&mut self, batch: usize) -> Result<()> {
        let sql = &self.sql.range[range_slot(batch, &self.lower, &self.upper, self.reverse)];
        let mut stmt = self.view.conn.prepare_cached(sql).map_err(sql_error)?;
        let mut args: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(2);
        for bound in [&self.lower, &self.upper] {
            if let Bound::Included(k) | Bound::Excluded(k) = bound {
                args.push(k);
            }
        }
        let mut rows = stmt.query(args.as_slice()).map_err(sql_error)?;
        let mut got = 0;
        while let Some(row) = rows.next().map_err(sql_error)? {
            let key: Vec<u8> = row.get(0).map_err(sql_error)?;
            let text = row.get_ref(1).map_err(sql_error)?;
            let text = text
                .as_str()
                .map_err(|e| Error::backend("sqlite", false, e))?;
            self.buffer.push_back((key, text.to_owned()));
            got += 1;
        }
        drop(rows);
        drop(stmt);
        if got < batch {
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

impl<'a> Iterator for RangeIter<'a> {
    type Item = Result<(Cow<'a, [u8]>, Stored<'a>)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.buffer.is_empty() && !self.done {
            if let Err(e) = self.fill() {
                self.done = true;
                return Some(Err(e));
            }
        }
        self.buffer
            .pop_front()
            .map(|(key, text)| Ok((Cow::Owned(key), Stored::Text(text))))
    }
}

fn apply(conn: &Connection, sql: &TableSql, mutations: Vec<Mutation>) -> Result<()> {
    // An index entry that shares its table entry's item is stored as the same text, encoded once.
    let mut last: Option<(Arc<Item>, String)> = None;
    for m in mutations {
        let space = sql.space(m.space);
        match m.item {
            Some(item) => {
                let text = match last.take() {
                    Some((shared, text)) if Arc::ptr_eq(&shared, &item) => text,
                    _ => codec::encode(&item),
                };
                conn.prepare_cached(&space.put)
                    .and_then(|mut s| s.execute(params![m.key, text]))
                    .map_err(sql_error)?;
                last = Some((item, text));
            }
            None => {
                conn.prepare_cached(&space.delete)
                    .and_then(|mut s| s.execute([m.key]))
                    .map_err(sql_error)?;
            }
        }
    }
    Ok(())
}

/// Runs `f` in one read transaction: a consistent snapshot for the whole request.
fn read_in_snapshot<R>(
    conn: &Connection,
    sql: &TableSql,
    pace: Pace,
    f: impl FnOnce(&dyn StorageRead) -> Result<R>,
) -> Result<R> {
    check_exists(conn, sql, false)?;
    // Cached statements, and checked: the connection must be in a transaction after BEGIN and
    // out of it after COMMIT, so no read ever runs in a snapshot left open by another.
    run_cached(conn, "BEGIN DEFERRED")?;
    if conn.is_autocommit() {
        return Err(Error::backend(
            "sqlite",
            false,
            "BEGIN did not open a transaction",
        ));
    }
    let out = f(&View { conn, sql, pace });
    let ended = run_cached(conn, "COMMIT");
    if !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
        return Err(ended.err().unwrap_or_else(|| {
            Error::backend("sqlite", false, "COMMIT left a read transaction open")
        }));
    }
    ended?;
    out
}

/// Runs a statement without parameters or rows through the connection's statement cache.
fn run_cached(conn: &Connection, sql: &str) -> Result<()> {
    conn.prepare_cached(sql)
        .and_then(|mut s| s.execute([]))
        .map(|_| ())
        .map_err(sql_error)
}

/// [`Error::TableNotFound`] unless the table and its index tables exist, and
/// [`Error::Configuration`] if one of them was recorded with another definition than the
/// schema's (a space without a record, from a version-1 file, is trusted until
/// `create_table` records it). Checked once for a read; a write checks again whenever the
/// file's SQLite schema changed since (another process's `create_table` rebuilding an index
/// drops and recreates its table), so no write ever adds entries in an index's old layout.
fn check_exists(conn: &Connection, sql: &TableSql, write: bool) -> Result<()> {
    let verified = sql.verified.load(Ordering::Acquire);
    if verified != UNVERIFIED && !write {
        return Ok(());
    }
    let version = schema_version(conn)?;
    if verified == version {
        return Ok(());
    }
    for (i, space) in sql.spaces.iter().enumerate() {
        if !table_exists(conn, &space.quoted)? {
            return Err(Error::TableNotFound {
                table: sql.name.clone(),
            });
        }
        match recorded_definition(conn, space)? {
            Some(r) if r != space.definition && i == 0 => return Err(changed_table_key(sql, &r)),
            Some(r) if r != space.definition => return Err(changed_index(sql, space, &r)),
            _ => {}
        }
    }
    sql.verified.store(version, Ordering::Release);
    Ok(())
}

/// In `create_table`'s write transaction: makes the file's spaces match `schema`. A missing
/// space is created (an index filled from the table's items) and recorded; a space without a
/// record (from a version-1 file) is recorded as declared; an index recorded with another
/// definition is rebuilt (its table dropped, created and filled again); a table recorded with
/// another key is refused, before anything is written. Spaces of indexes the schema no
/// longer declares are left as they are.
fn create_spaces(conn: &Connection, schema: &TableSchema, sql: &TableSql) -> Result<()> {
    let table = &sql.spaces[0];
    if table_exists(conn, &table.quoted)? {
        match recorded_definition(conn, table)? {
            Some(r) if r != table.definition => return Err(changed_table_key(sql, &r)),
            Some(_) => {}
            None => record_definition(conn, table)?,
        }
    } else {
        create_space(conn, &table.quoted)?;
        record_definition(conn, table)?;
    }
    for (position, space) in sql.spaces[1..].iter().enumerate() {
        let fill = if !table_exists(conn, &space.quoted)? {
            create_space(conn, &space.quoted)?;
            true
        } else {
            match recorded_definition(conn, space)? {
                None => {
                    record_definition(conn, space)?;
                    false
                }
                Some(r) if r == space.definition => false,
                Some(_) => {
                    conn.execute_batch(&format!("DROP TABLE {}", space.quoted))
                        .map_err(sql_error)?;
                    create_space(conn, &space.quoted)?;
                    true
                }
            }
        };
        if fill {
            let view = View {
                conn,
                sql,
                pace: Pace::pooled(),
            };
            let entries = raw::backfill_index(schema, position, &view)?;
            apply(conn, sql, entries)?;
            record_definition(conn, space)?;
        }
    }
    Ok(())
}

/// True when a read may run on the calling task: a multi-thread runtime, where a long read
/// can move the worker's other tasks away with `block_in_place`.
fn may_read_in_place() -> bool {
    tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread)
}

impl Storage for SqliteStorage {
    const BACKEND: &'static str = "sqlite";

    fn create(&self, schema: &TableSchema) -> impl Future<Output = Result<()>> + Send {
        let schema = schema.clone();
        let this = self.clone();
        async move {
            let sql = this.table_sql(&schema)?;
            let sql2 = sql.clone();
            let version = this
                .with_writer(move |conn| {
                    let tx = conn
                        .transaction_with_behavior(TransactionBehavior::Immediate)
                        .map_err(sql_error)?;
                    create_spaces(&tx, &schema, &sql2)?;
                    let version = schema_version(&tx)?;
                    tx.commit().map_err(sql_error)?;
                    Ok(version)
                })
                .await?;
            // Other schemas of this table seen by this storage check their spaces again.
            for t in this.inner.tables.read().map_err(|_| poisoned())?.iter() {
                if t.name == sql.name {
                    t.verified.store(UNVERIFIED, Ordering::Release);
                }
            }
            sql.verified.store(version, Ordering::Release);
            Ok(())
        }
    }

    fn read<R, F>(&self, schema: &TableSchema, f: F) -> impl Future<Output = Result<R>> + Send
    where
        R: Send + 'static,
        F: FnOnce(&dyn StorageRead) -> Result<R> + Send + 'static,
    {
        let this = self.clone();
        let found = self.table_sql(schema);
        async move {
            let sql = found?;
            let f = if may_read_in_place() {
                match this.read_inline(f, |f, conn, pace| read_in_snapshot(conn, &sql, pace, f)) {
                    Ok(out) => return out,
                    Err(f) => f,
                }
            } else {
                f
            };
            this.with_reader(move |conn| read_in_snapshot(conn, &sql, Pace::pooled(), f))
                .await
        }
    }

    /// Reads here on a multi-thread runtime, as [`Storage::read`] does.
    fn read_here<R, F>(&self, schema: &TableSchema, f: F) -> std::result::Result<Result<R>, F>
    where
        F: FnOnce(&dyn StorageRead) -> Result<R>,
    {
        if !may_read_in_place() {
            return Err(f);
        }
        let sql = match self.table_sql(schema) {
            Ok(sql) => sql,
            Err(e) => return Ok(Err(e)),
        };
        self.read_inline(f, |f, conn, pace| read_in_snapshot(conn, &sql, pace, f))
    }

    /// One `SELECT` in autocommit: a statement is its own snapshot.
    fn read_one_here<R, F>(&self, schema: &TableSchema, f: F) -> std::result::Result<Result<R>, F>
    where
        F: FnOnce(&dyn StorageRead) -> Result<R>,
    {
        if !may_read_in_place() {
            return Err(f);
        }
        let sql = match self.table_sql(schema) {
            Ok(sql) => sql,
            Err(e) => return Ok(Err(e)),
        };
        self.read_inline(f, |f, conn, pace| {
            check_exists(conn, &sql, false)?;
            if !conn.is_autocommit() {
                return Err(Error::backend(
                    "sqlite",
                    false,
                    "a reader connection was left in a transaction",
                ));
            }
            f(&View {
                conn,
                sql: &sql,
                pace,
            })
        })
    }

    fn write<R, F>(&self, schema: &TableSchema, f: F) -> impl Future<Output = Result<R>> + Send
    where
        R: Send + 'static,
        F: FnOnce(&dyn StorageRead) -> Result<(R, Vec<Mutation>)> + Send + 'static,
    {
        let this = self.clone();
        let found = self.table_sql(schema);
        async move { this.write_grouped(found?, f).await }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use monotable_core::Value;

    /// Each read, on the calling task or on the blocking pool, sees every write committed
    /// before it: the reader connections' cached BEGIN/COMMIT leave no snapshot open.
    #[test]
    fn reads_see_every_committed_write() {
        let dir = std::env::temp_dir().join(format!("monotable-ryw-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let storage = SqliteStorage::open(dir.join("ryw.db")).expect("open");
        let schema = TableSchema::single_table("ryw_table");
        let multi = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let current = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        multi.block_on(storage.create(&schema)).expect("create");
        for n in 0..200u32 {
            let rt = if n % 2 == 0 { &multi } else { &current };
            rt.block_on(async {
                storage
                    .write(&schema, move |_| {
                        let item = Item::new().with("n", n);
                        let put = Mutation {
                            space: Space::Table,
                            key: b"k".to_vec(),
                            item: Some(Arc::new(item)),
                        };
                        Ok(((), vec![put]))
                    })
                    .await
                    .expect("write");
                let seen = storage
                    .read(&schema, |view| {
                        // Two statements, one snapshot.
                        let first = view.get(Space::Table, b"k")?.map(Cow::into_owned);
                        let range = view
                            .range(Space::Table, Bound::Unbounded, Bound::Unbounded, false)?
                            .map(|e| e.map(|(_, item)| item.into_owned()))
                            .collect::<Result<Vec<_>>>()?;
                        Ok((first, range))
                    })
                    .await
                    .expect("read");
                let want = Item::new().with("n", n);
                assert_eq!(seen, (Some(want.clone()), vec![want]), "after write {n}");
            });
        }
        let pool = storage.inner.readers.lock().expect("pool");
        assert!(!pool.is_empty());
        assert!(pool.iter().all(Connection::is_autocommit));
        drop(pool);
        drop(storage);
        std::fs::remove_dir_all(&dir).ok();
    }

    /// Concurrent writes grouped into shared commits each keep their own result: every
    /// increment of one counter lands (each write reads the ones before it in the group),
    /// and a write that fails leaves nothing behind while the others commit.
    #[test]
    fn grouped_writes_keep_their_own_results() {
        let dir = std::env::temp_dir().join(format!("monotable-group-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let storage = SqliteStorage::open(dir.join("group.db")).expect("open");
        let schema = TableSchema::single_table("group_table");
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            storage.create(&schema).await.expect("create");
            let tasks: Vec<_> = (0..64u8)
                .map(|i| {
                    let (storage, schema) = (storage.clone(), schema.clone());
                    tokio::spawn(async move {
                        storage
                            .write(&schema, move |view| {
                                let old = view.get(Space::Table, b"counter")?;
                                let n = old
                                    .as_ref()
                                    .and_then(|o| o.get("n"))
                                    .and_then(Value::as_n)
                                    .map_or(0, |n| n.to_string().parse::<u32>().unwrap_or(0));
                                let mut mutations = vec![Mutation {
                                    space: Space::Table,
                                    key: vec![b'k', i],
                                    item: Some(Arc::new(Item::new().with("i", u32::from(i)))),
                                }];
                                if i % 8 == 0 {
                                    return Err(Error::invalid("refused"));
                                }
                                mutations.push(Mutation {
                                    space: Space::Table,
                                    key: b"counter".to_vec(),
                                    item: Some(Arc::new(Item::new().with("n", n + 1))),
                                });
                                Ok(((), mutations))
                            })
                            .await
                    })
                })
                .collect();
            let mut refused = 0;
            for t in tasks {
                if t.await.expect("task").is_err() {
                    refused += 1;
                }
            }
            assert_eq!(refused, 8);
            let (counter, keys) = storage
                .read(&schema, |view| {
                    let counter = view.get(Space::Table, b"counter")?.map(Cow::into_owned);
                    let keys = view
                        .range(
                            Space::Table,
                            Bound::Included(b"k"),
                            Bound::Excluded(b"l"),
                            false,
                        )?
                        .count();
                    Ok((counter, keys))
                })
                .await
                .expect("read");
            assert_eq!(counter, Some(Item::new().with("n", 56u32)));
            assert_eq!(keys, 56);
        });
        drop(storage);
        std::fs::remove_dir_all(&dir).ok();
    }
}
