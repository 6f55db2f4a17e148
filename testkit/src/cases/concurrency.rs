//! Atomicity under concurrent use: conditional writes and transactions from many tasks.

use monotable_core::{
    CancellationCode, Error, Path, PutItem, TransactWrite, TransactWriteItem, Update, UpdateItem,
    Value,
};

use crate::fixtures::*;
use crate::Harness;

/// Of many concurrent creates of one key, exactly one succeeds.
pub async fn concurrent_creates_one_wins(h: &Harness) {
    let repo = h.app().await;
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let r = repo.clone();
            tokio::spawn(async move {
                r.put_item(PutItem {
                    item: key("p", "s").with("by", i),
                    condition: Some(Path::attr("pk").not_exists()),
                    ..Default::default()
                })
                .await
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(Error::ConditionFailed { .. }) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(ok, 1);
}

/// Concurrent ADDs are never lost.
pub async fn concurrent_adds_are_atomic(h: &Harness) {
    let repo = h.app().await;
    let tasks: Vec<_> = (0..40)
        .map(|_| {
            let r = repo.clone();
            tokio::spawn(async move {
                r.update_item(UpdateItem {
                    key: key("p", "c"),
                    update: Update::new().add("n", 1),
                    ..Default::default()
                })
                .await
                .unwrap();
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(get(&*repo, "p", "c").await.unwrap()["n"], Value::from(40));
}

/// Concurrent transfers between two accounts keep the total, and each account's balance is
/// exactly what the committed transfers made it: transactions are atomic, and a cancelled
/// one says why.
pub async fn concurrent_transactions_keep_invariants(h: &Harness) {
    let repo = h.app().await;
    put(&*repo, key("acct", "a").with("bal", 100)).await;
    put(&*repo, key("acct", "b").with("bal", 100)).await;
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let r = repo.clone();
            let (from, to) = if i % 2 == 0 { ("a", "b") } else { ("b", "a") };
            tokio::spawn(async move {
                let tx = TransactWrite {
                    items: vec![
                        TransactWriteItem::Update {
                            key: key("acct", from),
                            update: Update::new().add("bal", -10),
                            condition: Some(Path::attr("bal").ge(10)),
                            return_old_on_condition_failure: false,
                        },
                        TransactWriteItem::Update {
                            key: key("acct", to),
                            update: Update::new().add("bal", 10),
                            condition: None,
                            return_old_on_condition_failure: false,
                        },
                    ],
                    client_request_token: None,
                };
                // Whether it committed, and from which account.
                match r.transact_write_items(tx).await {
                    Ok(()) => Some(from),
                    Err(Error::TransactionCanceled { reasons }) => {
                        // Cancelled for a reason: the balance condition, or (on DynamoDB)
                        // another transaction on the same item.
                        assert!(
                            reasons.iter().any(|r| matches!(
                                r.code,
                                CancellationCode::ConditionalCheckFailed
                                    | CancellationCode::TransactionConflict
                            )),
                            "{reasons:?}"
                        );
                        None
                    }
                    Err(e) if e.is_retryable() => None,
                    Err(e) => panic!("{e}"),
                }
            })
        })
        .collect();
    let (mut from_a, mut from_b) = (0i128, 0i128);
    for t in tasks {
        match t.await.unwrap() {
            Some("a") => from_a += 1,
            Some(_) => from_b += 1,
            None => {}
        }
    }
    assert!(from_a + from_b > 0, "no transfer committed");
    let a = get(&*repo, "acct", "a").await.unwrap()["bal"]
        .as_n()
        .unwrap()
        .to_i128()
        .unwrap();
    let b = get(&*repo, "acct", "b").await.unwrap()["bal"]
        .as_n()
        .unwrap()
        .to_i128()
        .unwrap();
    assert_eq!(a, 100 - 10 * from_a + 10 * from_b);
    assert_eq!(b, 100 + 10 * from_a - 10 * from_b);
    assert!(a >= 0 && b >= 0);
}
