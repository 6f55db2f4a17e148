//! DynamoDB under faults: a proxy between the SDK and DynamoDB Local injects throttling,
//! server errors, transaction conflicts, connection resets after the request was applied,
//! an endpoint that never answers and an endpoint that is down. Each test counts what was
//! attempted, acknowledged and applied (read directly from DynamoDB Local), and prints a
//! line per fault (`cargo test -p monotable-dynamodb --test faults -- --nocapture`).

mod faults {
    pub mod proxy;
}
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use faults::proxy::{Fault, Plan, Proxy};
use monotable_core::{
    Error, GetItem, Item, Path, Query, Repository, RepositoryExt, Scan, TableSchema, TransactWrite,
    TransactWriteItem, Update, UpdateItem, Value, WriteRequest,
};
use monotable_dynamodb::{DynamoDbRepository, Retries, RetryBudget, Timeouts};

/// A table name of its own for each test.
fn table(name: &str) -> String {
    format!("mt-faults-{name}-{}", std::process::id())
}

/// True for about `percent` of `n`s, the same ones on every run.
fn chance(seed: u64, n: u64, percent: u64) -> bool {
    let mut z = seed.wrapping_add(n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) % 100 < percent
}

fn plan(f: impl Fn(&str, u64) -> Fault + Send + Sync + 'static) -> Plan {
    Arc::new(f)
}

/// Fast retries with no budget, so the counts do not depend on other tests.
fn quick_retries() -> Retries {
    Retries {
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(50),
        budget: RetryBudget::Unlimited,
        ..Retries::default()
    }
}

/// A repository that talks to DynamoDB Local directly: the truth.
async fn direct(table: &str) -> DynamoDbRepository {
    let repo = DynamoDbRepository::with_client(support::client(), TableSchema::single_table(table))
        .expect("schema");
    repo.create_table().await.expect("table");
    repo
}

/// A repository that talks through `url`.
fn through(url: &str, table: &str) -> DynamoDbRepository {
    DynamoDbRepository::with_client(support::client_at(url), TableSchema::single_table(table))
        .expect("schema")
        .with_retries(quick_retries())
}

fn key(pk: &str) -> Item {
    Item::new().with("pk", pk).with("sk", "s")
}

fn add_one(pk: &str) -> Update {
    let _ = pk;
    Update::new().add(Path::attr("n"), 1)
}

/// The counter `n` of an item, read directly.
async fn counter(repo: &DynamoDbRepository, pk: &str) -> i64 {
    let item = repo
        .get_item(GetItem {
            key: key(pk),
            consistent_read: true,
            ..Default::default()
        })
        .await
        .expect("read")
        .unwrap_or_default();
    match item.get("n") {
        Some(Value::N(n)) => n.to_string().parse().expect("integer"),
        _ => 0,
    }
}

/// Items in the table, read directly.
async fn stored_keys(repo: &DynamoDbRepository) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    let mut start = None;
    for _ in 0..1000 {
        let page = repo
            .scan(Scan {
                exclusive_start_key: start,
                consistent_read: true,
                ..Default::default()
            })
            .await
            .expect("scan");
        keys.extend(page.items.iter().filter_map(|i| match i.get("pk") {
            Some(Value::S(s)) => Some(s.clone()),
            _ => None,
        }));
        start = page.last_evaluated_key;
        if start.is_none() {
            break;
        }
    }
    keys
}

/// An error's variant and flags, for the tallies.
fn kind(e: &Error) -> String {
    let name = match e {
        Error::Backend { .. } => "Backend",
        Error::Throttled { .. } => "Throttled",
        Error::TransactionCanceled { .. } => "TransactionCanceled",
        Error::Unprocessed { .. } => "Unprocessed",
        Error::IdempotencyMismatch { .. } => "IdempotencyMismatch",
        Error::Interrupted { .. } => "Interrupted",
        _ => "other",
    };
    format!(
        "{name}{{retryable: {}, maybe_applied: {}}}",
        e.is_retryable(),
        e.may_have_been_applied()
    )
}

fn report(
    fault: &str,
    attempted: u64,
    acknowledged: u64,
    applied: u64,
    errors: &BTreeMap<String, u64>,
    time: Duration,
) {
    println!(
        "FAULT | {fault} | attempted {attempted} | acknowledged {acknowledged} | applied {applied} | errors {errors:?} | {:.2} s",
        time.as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counter_update_is_never_resent_once_it_may_have_been_applied() {
    let name = table("counter");
    let truth = direct(&name).await;
    let proxy = Proxy::start(
        support::endpoint(),
        plan(|op, n| {
            if op == "UpdateItem" && chance(1, n, 30) {
                Fault::ResetAfterForward
            } else {
                Fault::Pass
            }
        }),
    )
    .await;
    let repo = through(&proxy.url(), &name);
    let attempted = 200u64;
    let (mut acknowledged, mut maybe) = (0u64, 0u64);
    let mut errors = BTreeMap::new();
    let started = Instant::now();
    for _ in 0..attempted {
        let r = repo
            .update_item(UpdateItem {
                key: key("c"),
                update: add_one("c"),
                ..Default::default()
            })
            .await;
        match r {
            Ok(_) => acknowledged += 1,
            Err(e) => {
                assert!(
                    matches!(
                        e,
                        Error::Backend {
                            retryable: true,
                            maybe_applied: true,
                            ..
                        }
                    ),
                    "{e:?}"
                );
                maybe += 1;
                *errors.entry(kind(&e)).or_insert(0) += 1;
            }
        }
    }
    let time = started.elapsed();
    let applied = counter(&truth, "c").await as u64;
    report(
        "connection reset after UpdateItem ADD applied (30%)",
        attempted,
        acknowledged,
        applied,
        &errors,
        time,
    );
    let counts = proxy.counts();
    assert!(maybe > 0, "the proxy injected no reset: {counts:?}");
    // Each logical update was sent exactly once: none was resent after a reset.
    assert_eq!(counts.forwarded["UpdateItem"], attempted, "{counts:?}");
    // So every acknowledged one was applied once, and every reset one exactly once.
    assert_eq!(applied, acknowledged + maybe);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counter_as_tokened_transaction_applies_exactly_what_was_acknowledged() {
    let name = table("tokened");
    let truth = direct(&name).await;
    let proxy = Proxy::start(
        support::endpoint(),
        plan(|op, n| {
            if op == "TransactWriteItems" && chance(2, n, 40) {
                Fault::ResetAfterForward
            } else {
                Fault::Pass
            }
        }),
    )
    .await;
    let repo = through(&proxy.url(), &name);
    let attempted = 150u64;
    let mut acknowledged = 0u64;
    let mut errors = BTreeMap::new();
    let started = Instant::now();
    for i in 0..attempted {
        let request = TransactWrite {
            items: vec![TransactWriteItem::Update {
                key: key("c"),
                update: add_one("c"),
                condition: None,
                return_old_on_condition_failure: false,
            }],
            client_request_token: Some(format!("faults-{}-{i}", std::process::id())),
        };
        // The caller's own retries, with the same token.
        for attempt in 0..6 {
            match repo.transact_write_items(request.clone()).await {
                Ok(()) => {
                    acknowledged += 1;
                    break;
                }
                Err(e) => {
                    *errors.entry(kind(&e)).or_insert(0) += 1;
                    assert!(e.is_retryable(), "{e:?}");
                    assert!(attempt < 5, "gave up: {e:?}");
                }
            }
        }
    }
    let time = started.elapsed();
    let applied = counter(&truth, "c").await as u64;
    let counts = proxy.counts();
    report(
        "connection reset after TransactWriteItems applied (40%), same token on retry",
        attempted,
        acknowledged,
        applied,
        &errors,
        time,
    );
    assert!(
        counts
            .injected
            .get(&Fault::ResetAfterForward)
            .copied()
            .unwrap_or(0)
            > 0,
        "{counts:?}"
    );
    assert_eq!(applied, acknowledged);
    assert_eq!(acknowledged, attempted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_and_throttling_are_classified_and_retried_as_aws_does() {
    let name = table("classes");
    let _truth = direct(&name).await;
    let proxy = Proxy::start(
        support::endpoint(),
        plan(|op, _| match op {
            "GetItem" | "UpdateItem" => Fault::Internal500,
            "Query" | "DeleteItem" => Fault::Unavailable503,
            "Scan" => Fault::Throttle,
            _ => Fault::Pass,
        }),
    )
    .await;
    let repo = through(&proxy.url(), &name);
    let attempts = u64::from(repo.retries().max_attempts);
    let started = Instant::now();

    let e = repo
        .get_item(GetItem {
            key: key("a"),
            ..Default::default()
        })
        .await
        .expect_err("500");
    // A read is never "applied".
    assert!(
        matches!(
            e,
            Error::Backend {
                retryable: true,
                maybe_applied: false,
                ..
            }
        ),
        "{e:?}"
    );
    let e = repo
        .query(Query::new(monotable_core::KeyCondition::partition("a")))
        .await
        .expect_err("503");
    assert!(
        matches!(
            e,
            Error::Backend {
                retryable: true,
                maybe_applied: false,
                ..
            }
        ),
        "{e:?}"
    );
    let e = repo.scan(Scan::default()).await.expect_err("throttled");
    assert!(
        matches!(e, Error::Throttled { .. }) && e.is_retryable(),
        "{e:?}"
    );
    assert!(!e.may_have_been_applied());
    let e = repo
        .update_item(UpdateItem {
            key: key("a"),
            update: add_one("a"),
            ..Default::default()
        })
        .await
        .expect_err("500");
    assert!(e.is_retryable() && e.may_have_been_applied(), "{e:?}");
    let e = repo
        .delete_item(monotable_core::DeleteItem {
            key: key("a"),
            ..Default::default()
        })
        .await
        .expect_err("503");
    assert!(e.is_retryable() && !e.may_have_been_applied(), "{e:?}");

    let counts = proxy.counts();
    println!(
        "FAULT | 500/503/throttling on every request | received {:?} | {:.2} s",
        counts.received,
        started.elapsed().as_secs_f64()
    );
    // Reads and writes that certainly were not applied are retried by the SDK...
    for op in ["GetItem", "Query", "Scan", "DeleteItem"] {
        assert_eq!(counts.received[op], attempts, "{op}: {counts:?}");
    }
    // ...an update that may have been applied is not.
    assert_eq!(counts.received["UpdateItem"], 1, "{counts:?}");
    assert!(counts.forwarded.is_empty(), "{counts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_endpoint_times_out_in_bounded_time() {
    let name = table("silent");
    let _truth = direct(&name).await;
    let proxy = Proxy::start(support::endpoint(), plan(|_, _| Fault::Hang)).await;
    let timeouts = Timeouts {
        attempt: Duration::from_millis(300),
        operation: Duration::from_secs(2),
        ..Timeouts::default()
    };
    let repo = through(&proxy.url(), &name).with_timeouts(timeouts);
    let started = Instant::now();
    let e = repo
        .get_item(GetItem {
            key: key("a"),
            ..Default::default()
        })
        .await
        .expect_err("no answer");
    let get_time = started.elapsed();
    assert!(e.is_retryable() && !e.may_have_been_applied(), "{e:?}");
    let mut errors = BTreeMap::new();
    errors.insert(format!("GetItem: {}", kind(&e)), 1);
    let started = Instant::now();
    let e = repo
        .update_item(UpdateItem {
            key: key("a"),
            update: add_one("a"),
            ..Default::default()
        })
        .await
        .expect_err("no answer");
    let update_time = started.elapsed();
    assert!(e.is_retryable() && e.may_have_been_applied(), "{e:?}");
    let counts = proxy.counts();
    errors.insert(format!("UpdateItem: {}", kind(&e)), 1);
    report(
        "endpoint never answers (attempt 300 ms, operation 2 s)",
        2,
        0,
        0,
        &errors,
        get_time + update_time,
    );
    // The read used its attempts within the operation timeout; the update was sent once.
    assert!(counts.received["GetItem"] >= 2, "{counts:?}");
    assert_eq!(counts.received["UpdateItem"], 1, "{counts:?}");
    assert!(get_time < Duration::from_secs(10), "{get_time:?}");
    assert!(update_time < Duration::from_secs(10), "{update_time:?}");
    // Without settings, a repository still has an operation timeout.
    let default =
        DynamoDbRepository::with_client(support::client(), TableSchema::single_table(&name))
            .expect("schema");
    assert!(default.timeouts().operation <= Duration::from_secs(60));
}

fn puts(n: usize) -> Vec<WriteRequest> {
    (0..n)
        .map(|i| WriteRequest::Put(key(&format!("item-{i:04}")).with("v", i as u64)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_against_a_dead_endpoint_reports_the_real_error_and_every_key() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let repo = through(&format!("http://127.0.0.1:{port}"), &table("dead"));
    let started = Instant::now();
    let e = repo.batch_write(puts(1000)).await.expect_err("down");
    let time = started.elapsed();
    let Error::Unprocessed {
        count,
        done,
        keys,
        source,
        attempts,
    } = &e
    else {
        panic!("{e:?}")
    };
    let mut errors = BTreeMap::new();
    errors.insert(kind(&e), 1);
    report(
        "endpoint down, batch_write of 1000",
        1000,
        0,
        0,
        &errors,
        time,
    );
    assert_eq!((*done, *count, keys.len()), (0, 1000, 1000));
    assert_eq!(*attempts, monotable_core::api::BATCH_ATTEMPTS);
    let source = source.as_deref().expect("the connection error");
    assert!(
        matches!(
            source,
            Error::Backend {
                retryable: true,
                maybe_applied: false,
                ..
            }
        ),
        "{source:?}"
    );
    assert!(!e.may_have_been_applied());
    assert!(time < Duration::from_secs(60), "{time:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_under_throttling_and_server_errors_writes_every_item() {
    let name = table("batchok");
    let truth = direct(&name).await;
    let proxy = Proxy::start(
        support::endpoint(),
        plan(|op, n| match op {
            "BatchWriteItem" if chance(3, n, 30) => Fault::Throttle,
            "BatchWriteItem" if chance(4, n, 20) => Fault::Unavailable503,
            "BatchWriteItem" if chance(5, n, 10) => Fault::Internal500,
            _ => Fault::Pass,
        }),
    )
    .await;
    let repo = through(&proxy.url(), &name);
    let started = Instant::now();
    repo.batch_write(puts(1000)).await.expect("written");
    let time = started.elapsed();
    let stored = stored_keys(&truth).await;
    let counts = proxy.counts();
    report(
        "batch_write of 1000 under 30% throttling, 20% 503, 10% 500",
        1000,
        1000,
        stored.len() as u64,
        &BTreeMap::new(),
        time,
    );
    assert!(!counts.injected.is_empty(), "{counts:?}");
    assert_eq!(stored.len(), 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_batch_says_what_was_written_and_what_was_not() {
    let name = table("batchfail");
    let truth = direct(&name).await;
    // Ten chunks get through, then the service fails every request.
    let proxy = Proxy::start(
        support::endpoint(),
        plan(|op, n| match op {
            "BatchWriteItem" if n >= 10 => Fault::Internal500,
            _ => Fault::Pass,
        }),
    )
    .await;
    let repo = through(&proxy.url(), &name);
    let started = Instant::now();
    let e = repo.batch_write(puts(1000)).await.expect_err("fails");
    let time = started.elapsed();
    let Error::Unprocessed {
        done, keys, source, ..
    } = &e
    else {
        panic!("{e:?}")
    };
    let stored = stored_keys(&truth).await;
    let mut errors = BTreeMap::new();
    errors.insert(kind(&e), 1);
    report(
        "batch_write of 1000, HTTP 500 after 10 chunks",
        1000,
        *done as u64,
        stored.len() as u64,
        &errors,
        time,
    );
    assert_eq!(*done, 250);
    assert_eq!(stored.len(), *done);
    assert_eq!(done + keys.len(), 1000);
    let unwritten: BTreeSet<String> = keys
        .iter()
        .filter_map(|k| match k.get("pk") {
            Some(Value::S(s)) => Some(s.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(unwritten.len(), keys.len());
    assert!(unwritten.is_disjoint(&stored));
    assert!(
        matches!(
            source.as_deref(),
            Some(Error::Backend {
                retryable: true,
                ..
            })
        ),
        "{source:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transaction_conflicts_are_retried_with_the_same_token_within_bounds() {
    let name = table("conflict");
    let truth = direct(&name).await;
    // The first two transactions meet a conflict.
    let proxy = Proxy::start(
        support::endpoint(),
        plan(|op, n| match op {
            "TransactWriteItems" if n < 2 => Fault::Conflict,
            _ => Fault::Pass,
        }),
    )
    .await;
    let repo = through(&proxy.url(), &name);
    let request = TransactWrite {
        items: vec![TransactWriteItem::Update {
            key: key("c"),
            update: add_one("c"),
            condition: None,
            return_old_on_condition_failure: false,
        }],
        client_request_token: None,
    };
    let started = Instant::now();
    repo.transact_write_items(request.clone())
        .await
        .expect("third attempt");
    let counts = proxy.counts();
    assert_eq!(counts.received["TransactWriteItems"], 3, "{counts:?}");
    assert_eq!(counter(&truth, "c").await, 1);
    report(
        "TransactionConflict on the first 2 attempts (3 allowed)",
        1,
        1,
        1,
        &BTreeMap::new(),
        started.elapsed(),
    );
    // With one attempt allowed, the conflict comes back, retryable.
    let once = through(&proxy.url(), &name).with_retries(Retries {
        transaction_attempts: 1,
        ..quick_retries()
    });
    let proxy2 = Proxy::start(support::endpoint(), plan(|_, _| Fault::Conflict)).await;
    let once = DynamoDbRepository::with_client(
        support::client_at(&proxy2.url()),
        TableSchema::single_table(&name),
    )
    .expect("schema")
    .with_retries(*once.retries());
    let e = once
        .transact_write_items(request)
        .await
        .expect_err("conflict");
    assert!(
        matches!(e, Error::TransactionCanceled { .. }) && e.is_retryable(),
        "{e:?}"
    );
    assert_eq!(proxy2.counts().received["TransactWriteItems"], 1);
    assert_eq!(counter(&truth, "c").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_query_stream_resumes_from_its_last_complete_page() {
    use futures::StreamExt;
    use monotable_core::{Cursor, EntityQuery};
    use monotable_testkit::fixtures::{app_schema, Order};

    let mut schema = app_schema();
    schema.name = table("stream");
    let truth = DynamoDbRepository::with_client(support::client(), schema.clone()).expect("schema");
    truth.create_table().await.expect("table");
    let orders: Vec<Order> = (0..25)
        .map(|i| Order::new("u1", &format!("o{i:02}"), "2024-01-01", "new"))
        .collect();
    truth.batch_put(&orders).await.expect("orders");
    // The third page fails on every attempt the SDK makes.
    let attempts = u64::from(quick_retries().max_attempts);
    let proxy = Proxy::start(
        support::endpoint(),
        plan(move |op, n| match op {
            "Query" if (2..2 + attempts).contains(&n) => Fault::Unavailable503,
            _ => Fault::Pass,
        }),
    )
    .await;
    let repo = DynamoDbRepository::with_client(support::client_at(&proxy.url()), schema)
        .expect("schema")
        .with_retries(quick_retries());
    let query = EntityQuery::<Order>::new([("user_id", "u1")]).limit(5);
    let started = Instant::now();
    let mut seen = Vec::new();
    let mut stream = repo.query_stream_resumable(query.clone());
    let error = loop {
        match stream.next().await {
            Some(Ok(o)) => seen.push(o.order_id),
            Some(Err(e)) => break e,
            None => panic!("the stream ended without the injected error"),
        }
    };
    drop(stream);
    let Error::Interrupted {
        resume_from: Some(cursor),
        source,
    } = &error
    else {
        panic!("{error:?}")
    };
    assert!(error.is_retryable(), "{source:?}");
    assert_eq!(seen.len(), 10, "two whole pages before the failure");
    let cursor: Cursor = cursor.parse().expect("a cursor");
    let mut rest = repo.query_stream_resumable(query.after(Some(cursor)));
    while let Some(o) = rest.next().await {
        seen.push(o.expect("resumed").order_id);
    }
    let mut errors = BTreeMap::new();
    errors.insert(kind(&error), 1);
    report(
        "query_stream of 25 (pages of 5), third page 503 on every attempt, then resumed",
        25,
        seen.len() as u64,
        25,
        &errors,
        started.elapsed(),
    );
    let expected: Vec<String> = (0..25).map(|i| format!("o{i:02}")).collect();
    assert_eq!(seen, expected, "nothing repeated, nothing skipped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_repository_spends_its_own_retry_budget() {
    let name = table("budget");
    let _truth = direct(&name).await;
    let failing = || {
        plan(|op, n| match op {
            "BatchWriteItem" => Fault::Unavailable503,
            "GetItem" if n < 2 => Fault::Unavailable503,
            _ => Fault::Pass,
        })
    };
    // The default budget, fast pauses.
    let retries = Retries {
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(50),
        ..Retries::default()
    };
    assert_eq!(retries.budget, RetryBudget::PerRepository);
    let proxy_a = Proxy::start(support::endpoint(), failing()).await;
    let a = through(&proxy_a.url(), &name).with_retries(retries);
    let started = Instant::now();
    let e = a.batch_write(puts(1000)).await.expect_err("503 throughout");
    assert!(matches!(e, Error::Unprocessed { .. }), "{e:?}");
    // The batch emptied A's budget: its next request gets no retry.
    let e = a
        .get_item(GetItem {
            key: key("a"),
            ..Default::default()
        })
        .await
        .expect_err("no retry left");
    assert!(e.is_retryable() && !e.may_have_been_applied(), "{e:?}");
    assert_eq!(proxy_a.counts().received["GetItem"], 1);
    // Another repository in the same process still has all of its own.
    let proxy_b = Proxy::start(support::endpoint(), failing()).await;
    let b = through(&proxy_b.url(), &name).with_retries(retries);
    b.get_item(GetItem {
        key: key("a"),
        ..Default::default()
    })
    .await
    .expect("third attempt");
    assert_eq!(proxy_b.counts().received["GetItem"], 3);
    println!(
        "FAULT | retry budget: batch against 503s, then GetItem on the same and on another repository | A: {:?} | B: {:?} | {:.2} s",
        proxy_a.counts().received,
        proxy_b.counts().received,
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partially_processed_batches_are_finished_with_nothing_resent() {
    let name = table("partial");
    let truth = direct(&name).await;
    let proxy = Proxy::start(
        support::endpoint(),
        plan(|op, n| match op {
            "BatchWriteItem" if chance(6, n, 30) => Fault::Throttle,
            "BatchWriteItem" if chance(7, n, 30) => Fault::PartialBatch,
            _ => Fault::Pass,
        }),
    )
    .await;
    let repo = through(&proxy.url(), &name);
    let started = Instant::now();
    repo.batch_write(puts(1000)).await.expect("written");
    let time = started.elapsed();
    let stored = stored_keys(&truth).await;
    let counts = proxy.counts();
    report(
        "batch_write of 1000, 30% throttling, 30% half left unprocessed",
        1000,
        1000,
        stored.len() as u64,
        &BTreeMap::new(),
        time,
    );
    assert!(
        counts
            .injected
            .get(&Fault::PartialBatch)
            .copied()
            .unwrap_or(0)
            > 0,
        "{counts:?}"
    );
    assert_eq!(stored.len(), 1000);
    // Every put reached DynamoDB Local exactly once: the unprocessed halves were sent again,
    // the processed ones never.
    assert_eq!(counts.batch_writes_forwarded, 1000, "{counts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_batch_get_says_which_keys_were_not_read() {
    let name = table("batchget");
    let truth = direct(&name).await;
    truth.batch_write(puts(300)).await.expect("items");
    // The first request gets through, then the service fails every request.
    let proxy = Proxy::start(
        support::endpoint(),
        plan(|op, n| match op {
            "BatchGetItem" if n >= 1 => Fault::Internal500,
            _ => Fault::Pass,
        }),
    )
    .await;
    let repo = through(&proxy.url(), &name);
    let keys: Vec<Item> = (0..300).map(|i| key(&format!("item-{i:04}"))).collect();
    let started = Instant::now();
    let e = repo.batch_get_items(keys).await.expect_err("fails");
    let Error::Unprocessed {
        done, keys, source, ..
    } = &e
    else {
        panic!("{e:?}")
    };
    let mut errors = BTreeMap::new();
    errors.insert(kind(&e), 1);
    report(
        "batch_get_items of 300, HTTP 500 after the first chunk",
        300,
        *done as u64,
        0,
        &errors,
        started.elapsed(),
    );
    assert_eq!((*done, keys.len()), (100, 200));
    let distinct: BTreeSet<String> = keys
        .iter()
        .filter_map(|k| match k.get("pk") {
            Some(Value::S(s)) => Some(s.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(distinct.len(), 200);
    assert!(
        source.as_deref().is_some_and(Error::is_retryable),
        "{source:?}"
    );
}

/// Latency: delayed requests within the attempt timeout are answered and applied once each;
/// past it, a write fails as maybe-applied and is never sent again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_slows_but_never_doubles_a_write() {
    let name = table("latency");
    let truth = direct(&name).await;
    let proxy = Proxy::start(
        support::endpoint(),
        plan(|op, n| {
            if op == "UpdateItem" && chance(7, n, 30) {
                Fault::Delay
            } else {
                Fault::Pass
            }
        }),
    )
    .await;
    let repo = through(&proxy.url(), &name);
    let started = Instant::now();
    for _ in 0..20 {
        repo.update_item(UpdateItem {
            key: key("slow"),
            update: add_one("slow"),
            ..Default::default()
        })
        .await
        .expect("a slow answer is still an answer");
    }
    assert_eq!(counter(&truth, "slow").await, 20);
    assert!(
        proxy
            .counts()
            .injected
            .get(&Fault::Delay)
            .copied()
            .unwrap_or(0)
            > 0
    );
    report(
        "30% of updates delayed 400 ms (attempt timeout 10 s)",
        20,
        20,
        20,
        &BTreeMap::new(),
        started.elapsed(),
    );

    let proxy = Proxy::start(support::endpoint(), plan(|_, _| Fault::Delay)).await;
    let impatient = through(&proxy.url(), &name).with_timeouts(Timeouts {
        attempt: Duration::from_millis(150),
        operation: Duration::from_secs(3),
        ..Timeouts::default()
    });
    let started = Instant::now();
    let mut errors = BTreeMap::new();
    for _ in 0..5 {
        let e = impatient
            .update_item(UpdateItem {
                key: key("late"),
                update: add_one("late"),
                ..Default::default()
            })
            .await
            .expect_err("the answer comes after the attempt timeout");
        assert!(e.may_have_been_applied(), "{e:?}");
        *errors
            .entry(format!("UpdateItem: {}", kind(&e)))
            .or_insert(0) += 1;
    }
    // Give the delayed requests time to reach DynamoDB Local, then count.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let applied = counter(&truth, "late").await;
    assert_eq!(proxy.counts().received["UpdateItem"], 5, "never sent twice");
    assert!((0..=5).contains(&applied), "applied {applied}");
    report(
        "every update delayed 400 ms past a 150 ms attempt timeout",
        5,
        0,
        applied as u64,
        &errors,
        started.elapsed(),
    );
}
