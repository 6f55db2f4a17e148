//! Batch helpers of the typed API: chunking to DynamoDB's limits, a few chunks in flight,
//! retrying unprocessed work and throttling with backoff.

use std::collections::BTreeSet;
use std::time::Duration;

use futures::stream::{self, StreamExt, TryStreamExt};

use crate::error::{Error, Result};
use crate::item::Item;
use crate::repository::{Repository, WriteRequest, MAX_BATCH_GET, MAX_BATCH_WRITE};

/// How many batch requests the typed API keeps in flight at once.
pub const BATCH_CONCURRENCY: usize = 4;
/// How many times a batch request with unprocessed work or throttling is tried.
pub const BATCH_ATTEMPTS: u32 = 8;

fn jitter(attempt: u32) -> Duration {
    let base = 25u64.saturating_mul(1 << attempt.min(6));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    Duration::from_millis(base / 2 + u64::from(nanos) % (base / 2 + 1))
}

/// Reads many items by primary key, in chunks of 100 with a few in flight, retrying
/// unprocessed keys with backoff.
pub(crate) async fn get_items<R: Repository + ?Sized>(
    repo: &R,
    keys: Vec<Item>,
) -> Result<Vec<Item>> {
    let chunks: Vec<Vec<Item>> = keys.chunks(MAX_BATCH_GET).map(<[Item]>::to_vec).collect();
    let results: Vec<Vec<Item>> = stream::iter(chunks)
        .map(|chunk| async move {
            let mut pending = chunk;
            let mut found = Vec::new();
            for attempt in 0..BATCH_ATTEMPTS {
                match repo.batch_get_item(pending.clone(), None).await {
                    Ok(out) => {
                        found.extend(out.items);
                        pending = out.unprocessed_keys;
                    }
                    Err(e) if e.is_retryable() => {}
                    Err(e) => return Err(e),
                }
                if pending.is_empty() {
                    return Ok(found);
                }
                tokio::time::sleep(jitter(attempt)).await;
            }
            Err(Error::Unprocessed {
                count: pending.len(),
                attempts: BATCH_ATTEMPTS,
            })
        })
        .buffer_unordered(BATCH_CONCURRENCY)
        .try_collect()
        .await?;
    Ok(results.into_iter().flatten().collect())
}

/// Writes many puts and deletes, in chunks of 25 with a few in flight, retrying
/// unprocessed writes with backoff. Duplicate keys are rejected before any write.
pub(crate) async fn write_all<R: Repository + ?Sized>(
    repo: &R,
    writes: Vec<WriteRequest>,
) -> Result<()> {
    let mut seen = BTreeSet::new();
    for w in &writes {
        let (WriteRequest::Put(i) | WriteRequest::Delete(i)) = w;
        // The key attributes' values, in the schema's order: one entry per item.
        let key = format!("{:?}", repo.schema().key_of(i));
        if !seen.insert(key) {
            return Err(Error::invalid(
                "Provided list of item keys contains duplicates",
            ));
        }
    }
    let chunks: Vec<Vec<WriteRequest>> = writes
        .chunks(MAX_BATCH_WRITE)
        .map(<[WriteRequest]>::to_vec)
        .collect();
    stream::iter(chunks)
        .map(|chunk| async move {
            let mut pending = chunk;
            for attempt in 0..BATCH_ATTEMPTS {
                match repo.batch_write_item(pending.clone()).await {
                    Ok(out) => pending = out.unprocessed,
                    Err(e) if e.is_retryable() => {}
                    Err(e) => return Err(e),
                }
                if pending.is_empty() {
                    return Ok(());
                }
                tokio::time::sleep(jitter(attempt)).await;
            }
            Err(Error::Unprocessed {
                count: pending.len(),
                attempts: BATCH_ATTEMPTS,
            })
        })
        .buffer_unordered(BATCH_CONCURRENCY)
        .try_collect::<Vec<()>>()
        .await?;
    Ok(())
}
