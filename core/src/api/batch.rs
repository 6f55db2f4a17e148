//! Batch helpers of the typed API: chunking to DynamoDB's limits, a few chunks in flight,
//! retrying unprocessed work and retryable errors with backoff, and an honest account when
//! they give up.
//!
//! When a chunk fails for good (its attempts are spent, or an error retrying cannot cure),
//! no further chunk is started, the chunks in flight are finished, and the error
//! ([`Error::Unprocessed`]) tells how many requests were done, the keys of the others, and
//! the last error of the backend.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::stream::{self, StreamExt};

use crate::error::{Error, Result};
use crate::item::{Item, Value};
use crate::repository::{Repository, WriteRequest, MAX_BATCH_GET, MAX_BATCH_WRITE};
use crate::schema::TableSchema;

/// How many batch requests the typed API keeps in flight at once.
pub const BATCH_CONCURRENCY: usize = 4;
/// How many times a batch request with unprocessed work or a retryable error is tried.
pub const BATCH_ATTEMPTS: u32 = 8;

/// The pause before attempt `attempt + 1` (exponential from 25 ms, capped at 1.6 s, with
/// jitter over its upper half).
fn jitter(attempt: u32) -> Duration {
    let base = 25u64.saturating_mul(1 << attempt.min(6));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    Duration::from_millis(base / 2 + u64::from(nanos) % (base / 2 + 1))
}

/// What became of one chunk.
struct Outcome<T> {
    /// Requests known to be done.
    done: usize,
    /// Requests not known to be done.
    pending: Vec<T>,
    /// Attempts made.
    attempts: u32,
    /// The last error, if the chunk failed on one.
    error: Option<Error>,
    /// What the requests read (batch gets).
    found: Vec<Item>,
}

/// Runs one chunk: `send` returns what the backend left undone and what it read; retries with backoff until
/// nothing is left, the attempts are spent or an error is not retryable. Starts nothing if
/// another chunk has failed already (`stop`), and sets `stop` when this one fails.
async fn run_chunk<T, F, Fut>(chunk: Vec<T>, stop: &AtomicBool, mut send: F) -> Outcome<T>
where
    T: Clone,
    F: FnMut(Vec<T>) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, Vec<Item>)>>,
{
    if stop.load(Ordering::SeqCst) {
        return Outcome {
            done: 0,
            pending: chunk,
            attempts: 0,
            error: None,
            found: Vec::new(),
        };
    }
    let total = chunk.len();
    let mut pending = chunk;
    let mut error = None;
    let mut found = Vec::new();
    for attempt in 1..=BATCH_ATTEMPTS {
        match send(pending.clone()).await {
            Ok((left, read)) => {
                pending = left;
                found.extend(read);
                error = None;
            }
            Err(e) if e.is_retryable() => error = Some(e),
            Err(e) => {
                stop.store(true, Ordering::SeqCst);
                return Outcome {
                    done: total - pending.len(),
                    pending,
                    attempts: attempt,
                    error: Some(e),
                    found,
                };
            }
        }
        if pending.is_empty() {
            return Outcome {
                done: total,
                pending,
                attempts: attempt,
                error: None,
                found,
            };
        }
        if attempt < BATCH_ATTEMPTS {
            tokio::time::sleep(jitter(attempt - 1)).await;
        }
    }
    stop.store(true, Ordering::SeqCst);
    Outcome {
        done: total - pending.len(),
        pending,
        attempts: BATCH_ATTEMPTS,
        error,
        found,
    }
}

/// Sums the chunks' outcomes: `Ok` when every request was done, else [`Error::Unprocessed`]
/// with the keys of the rest and the last error (one that retrying cannot cure first).
fn account<T>(outcomes: Vec<Outcome<T>>, key: impl Fn(T) -> Item) -> Result<Vec<Item>> {
    let done = outcomes.iter().map(|o| o.done).sum();
    let mut found = Vec::new();
    let attempts = outcomes.iter().map(|o| o.attempts).max().unwrap_or(0);
    let mut source: Option<Error> = None;
    let mut keys = Vec::new();
    for o in outcomes {
        found.extend(o.found);
        keys.extend(o.pending.into_iter().map(&key));
        if let Some(e) = o.error {
            if source.as_ref().is_none_or(|s| s.is_retryable()) {
                source = Some(e);
            }
        }
    }
    if keys.is_empty() {
        return Ok(found);
    }
    Err(Error::Unprocessed {
        count: keys.len(),
        attempts,
        done,
        keys,
        source: source.map(Box::new),
    })
}

/// The values of `item`'s key attributes, in the schema's order: equal for two items exactly
/// when their primary keys are.
pub(crate) fn key_values<'a>(schema: &TableSchema, item: &'a Item) -> Vec<Option<&'a Value>> {
    schema.keys().map(|k| item.get(&k.name)).collect()
}

/// `all` in chunks of `size`, moved, not copied.
fn into_chunks<T>(all: Vec<T>, size: usize) -> Vec<Vec<T>> {
    let mut chunks = Vec::with_capacity(all.len().div_ceil(size));
    let mut all = all.into_iter().peekable();
    while all.peek().is_some() {
        chunks.push(all.by_ref().take(size).collect());
    }
    chunks
}

/// Reads many items by primary key, in chunks of 100 with a few in flight, retrying
/// unprocessed keys with backoff.
pub(crate) async fn get_items<R: Repository + ?Sized>(
    repo: &R,
    keys: Vec<Item>,
) -> Result<Vec<Item>> {
    let stop = AtomicBool::new(false);
    let stop = &stop;
    let chunks = into_chunks(keys, MAX_BATCH_GET);
    let outcomes: Vec<Outcome<Item>> = stream::iter(chunks)
        .map(|chunk| {
            run_chunk(chunk, stop, |pending| async move {
                let out = repo.batch_get_item(pending, None).await?;
                Ok((out.unprocessed_keys, out.items))
            })
        })
        .buffer_unordered(BATCH_CONCURRENCY)
        .collect()
        .await;
    account(outcomes, |k| k)
}

/// Writes many puts and deletes, in chunks of 25 with a few in flight, retrying
/// unprocessed writes and retryable errors with backoff. Duplicate keys are rejected before
/// any write.
pub(crate) async fn write_all<R: Repository + ?Sized>(
    repo: &R,
    writes: Vec<WriteRequest>,
) -> Result<()> {
    let mut seen = HashSet::with_capacity(writes.len());
    for w in &writes {
        let (WriteRequest::Put(i) | WriteRequest::Delete(i)) = w;
        if !seen.insert(key_values(repo.schema(), i)) {
            return Err(Error::invalid(
                "Provided list of item keys contains duplicates",
            ));
        }
    }
    drop(seen);
    let stop = AtomicBool::new(false);
    let stop = &stop;
    let chunks = into_chunks(writes, MAX_BATCH_WRITE);
    let outcomes: Vec<Outcome<WriteRequest>> = stream::iter(chunks)
        .map(|chunk| {
            run_chunk(chunk, stop, |pending| async move {
                Ok((
                    repo.batch_write_item(pending).await?.unprocessed,
                    Vec::new(),
                ))
            })
        })
        .buffer_unordered(BATCH_CONCURRENCY)
        .collect()
        .await;
    let schema = repo.schema();
    account(outcomes, |w| {
        let (WriteRequest::Put(i) | WriteRequest::Delete(i)) = w;
        schema.key_of(&i)
    })?;
    Ok(())
}
