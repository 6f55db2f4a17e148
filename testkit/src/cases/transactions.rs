//! Transactions (semantics §8, R132–R144).

use monotable_core::{
    CancellationCode, Error, Item, Path, TransactWrite, TransactWriteItem, Update, Value,
};

use crate::fixtures::*;
use crate::Harness;

fn put_action(item: Item) -> TransactWriteItem {
    TransactWriteItem::Put {
        item,
        condition: None,
        return_old_on_condition_failure: false,
    }
}

fn check(k: Item, cond: monotable_core::Condition) -> TransactWriteItem {
    TransactWriteItem::ConditionCheck {
        key: k,
        condition: cond,
        return_old_on_condition_failure: false,
    }
}

fn tx(items: Vec<TransactWriteItem>) -> TransactWrite {
    TransactWrite {
        items,
        client_request_token: None,
    }
}

fn canceled(r: monotable_core::Result<()>) -> Vec<monotable_core::CancellationReason> {
    match r {
        Err(Error::TransactionCanceled { reasons }) => reasons,
        other => panic!("expected TransactionCanceled, got {other:?}"),
    }
}

/// A transaction applies every action: puts, updates, deletes (R132).
pub async fn transaction_applies_all(h: &Harness) {
    let repo = h.app().await;
    put(&*repo, key("p", "gone")).await;
    put(&*repo, key("p", "counter").with("n", 1)).await;
    repo.transact_write_items(tx(vec![
        put_action(key("p", "new").with("v", 1)),
        TransactWriteItem::Update {
            key: key("p", "counter"),
            update: Update::new().add("n", 1),
            condition: None,
            return_old_on_condition_failure: false,
        },
        TransactWriteItem::Delete {
            key: key("p", "gone"),
            condition: None,
            return_old_on_condition_failure: false,
        },
    ]))
    .await
    .unwrap();
    assert_eq!(
        get(&*repo, "p", "new").await,
        Some(key("p", "new").with("v", 1))
    );
    assert_eq!(
        get(&*repo, "p", "counter").await.unwrap()["n"],
        Value::from(2)
    );
    assert!(get(&*repo, "p", "gone").await.is_none());
}

/// One failed condition cancels everything, with one reason per action in order (R135).
pub async fn failed_condition_cancels_all(h: &Harness) {
    let repo = h.app().await;
    put(&*repo, key("p", "a").with("v", 1)).await;
    let reasons = canceled(
        repo.transact_write_items(tx(vec![
            put_action(key("p", "x")),
            check(key("p", "a"), Path::attr("v").eq(2)),
            put_action(key("p", "y")),
        ]))
        .await,
    );
    let codes: Vec<CancellationCode> = reasons.iter().map(|r| r.code.clone()).collect();
    assert_eq!(
        codes,
        vec![
            CancellationCode::None,
            CancellationCode::ConditionalCheckFailed,
            CancellationCode::None
        ]
    );
    assert!(get(&*repo, "p", "x").await.is_none());
    assert!(get(&*repo, "p", "y").await.is_none());
}

/// Every failing action is reported, not only the first (R135).
pub async fn every_failure_is_reported(h: &Harness) {
    let repo = h.app().await;
    put(&*repo, key("p", "a")).await;
    put(&*repo, key("p", "b")).await;
    let reasons = canceled(
        repo.transact_write_items(tx(vec![
            check(key("p", "a"), Path::attr("pk").not_exists()),
            put_action(key("p", "c")),
            TransactWriteItem::Put {
                item: key("p", "b"),
                condition: Some(Path::attr("pk").not_exists()),
                return_old_on_condition_failure: false,
            },
        ]))
        .await,
    );
    let failed = reasons
        .iter()
        .filter(|r| r.code == CancellationCode::ConditionalCheckFailed)
        .count();
    assert_eq!(failed, 2);
}

/// A failed action can report the existing item (R136).
pub async fn cancellation_reports_old_item(h: &Harness) {
    let repo = h.app().await;
    put(&*repo, key("p", "a").with("v", 1)).await;
    let reasons = canceled(
        repo.transact_write_items(tx(vec![TransactWriteItem::ConditionCheck {
            key: key("p", "a"),
            condition: Path::attr("v").eq(2),
            return_old_on_condition_failure: true,
        }]))
        .await,
    );
    assert_eq!(reasons[0].item, Some(key("p", "a").with("v", 1)));
}

/// 1 to 100 actions: 0 and 101 are rejected (R132).
pub async fn action_count_limits(h: &Harness) {
    let repo = h.app().await;
    invalid(repo.transact_write_items(tx(vec![])).await);
    let many = |n: usize| {
        (0..n)
            .map(|i| put_action(key("p", format!("s{i:03}").as_str())))
            .collect::<Vec<_>>()
    };
    let msg = invalid(repo.transact_write_items(tx(many(101))).await);
    assert!(msg.contains("less than or equal to 100"), "{msg}");
    repo.transact_write_items(tx(many(100))).await.unwrap();
    assert_eq!(query(&*repo, q("p")).await.count, 100);
}

/// Two actions on one item are rejected, whatever their kinds (R134).
pub async fn two_actions_on_one_item_rejected(h: &Harness) {
    let repo = h.app().await;
    let msg = invalid(
        repo.transact_write_items(tx(vec![
            put_action(key("p", "a")),
            check(key("p", "a"), Path::attr("pk").exists()),
        ]))
        .await,
    );
    assert_eq!(
        msg,
        "Transaction request cannot include multiple operations on one item"
    );
    assert!(get(&*repo, "p", "a").await.is_none());
}

/// An update action upserts like UpdateItem (R143).
pub async fn transaction_update_upserts(h: &Harness) {
    let repo = h.app().await;
    repo.transact_write_items(tx(vec![TransactWriteItem::Update {
        key: key("p", "n"),
        update: Update::new().add("count", 1),
        condition: None,
        return_old_on_condition_failure: false,
    }]))
    .await
    .unwrap();
    assert_eq!(
        get(&*repo, "p", "n").await.unwrap(),
        key("p", "n").with("count", 1)
    );
}

/// An update that cannot be evaluated on the item it meets (here ADD of a number to a
/// string) rejects the whole request as a validation error, nothing written (R138).
pub async fn update_error_rejects_whole_transaction(h: &Harness) {
    let repo = h.app().await;
    put(&*repo, key("p", "a").with("s", "text")).await;
    let r = repo
        .transact_write_items(tx(vec![
            put_action(key("p", "b")),
            TransactWriteItem::Update {
                key: key("p", "a"),
                update: Update::new().add("s", 1),
                condition: None,
                return_old_on_condition_failure: false,
            },
        ]))
        .await;
    assert_eq!(
        invalid(r),
        "An operand in the update expression has an incorrect data type"
    );
    assert!(get(&*repo, "p", "b").await.is_none());
}

/// An update evaluation error wins over a failed condition in the same transaction (R138).
pub async fn update_error_wins_over_failed_condition(h: &Harness) {
    let repo = h.app().await;
    put(&*repo, key("p", "a")).await;
    put(&*repo, key("p", "b")).await;
    let r = repo
        .transact_write_items(tx(vec![
            check(key("p", "a"), Path::attr("pk").not_exists()),
            TransactWriteItem::Update {
                key: key("p", "b"),
                update: Update::new().set(Path::attr("nomap").key("x"), 1),
                condition: None,
                return_old_on_condition_failure: false,
            },
        ]))
        .await;
    assert!(invalid(r).contains("document path provided in the update expression is invalid"));
}

/// Updating a key attribute in a transaction cancels it with a ValidationError reason
/// (R138).
pub async fn key_update_cancels_with_validation_reason(h: &Harness) {
    let repo = h.app().await;
    put(&*repo, key("p", "a")).await;
    let reasons = canceled(
        repo.transact_write_items(tx(vec![TransactWriteItem::Update {
            key: key("p", "a"),
            update: Update::new().set("sk", "q"),
            condition: None,
            return_old_on_condition_failure: false,
        }]))
        .await,
    );
    assert_eq!(reasons[0].code, CancellationCode::ValidationError);
    assert!(reasons[0]
        .message
        .as_deref()
        .unwrap_or("")
        .contains("Cannot update attribute sk"));
}

/// An update that would grow the item past 400 KB cancels the transaction with a
/// ValidationError reason; the other actions are None (R138).
pub async fn oversize_update_cancels_with_validation_reason(h: &Harness) {
    let repo = h.app().await;
    put(&*repo, key("p", "grow").with("f", "x".repeat(400_000))).await;
    let reasons = canceled(
        repo.transact_write_items(tx(vec![
            put_action(key("p", "v8")),
            TransactWriteItem::Update {
                key: key("p", "grow"),
                update: Update::new().set("g", "y".repeat(20_000)),
                condition: None,
                return_old_on_condition_failure: false,
            },
        ]))
        .await,
    );
    let codes: Vec<_> = reasons.iter().map(|r| r.code.clone()).collect();
    assert_eq!(
        codes,
        vec![CancellationCode::None, CancellationCode::ValidationError]
    );
    assert!(reasons[1]
        .message
        .as_deref()
        .unwrap_or("")
        .contains("Item size to update has exceeded"));
    assert!(get(&*repo, "p", "v8").await.is_none());
}

/// An index key of the wrong type in a transactional put cancels it with a ValidationError
/// reason (R163).
pub async fn index_key_type_mismatch_cancels_transaction(h: &Harness) {
    let repo = h.app().await;
    let reasons = canceled(
        repo.transact_write_items(tx(vec![put_action(key("w", "9").with("gsi1pk", 1))]))
            .await,
    );
    assert_eq!(reasons[0].code, CancellationCode::ValidationError);
    assert!(reasons[0]
        .message
        .as_deref()
        .unwrap_or("")
        .contains("Type mismatch for Index Key"));
}

/// Static errors (missing key, oversize item) reject the request before anything runs
/// (R139).
pub async fn static_errors_reject_whole_request(h: &Harness) {
    let repo = h.app().await;
    let r = repo
        .transact_write_items(tx(vec![
            put_action(key("p", "ok")),
            put_action(Item::new().with("pk", "p")),
        ]))
        .await;
    assert_eq!(invalid(r), "One of the required keys was not given a value");
    let big = key("p", "big").with("f", "x".repeat(409_600));
    let r = repo
        .transact_write_items(tx(vec![put_action(key("p", "ok")), put_action(big)]))
        .await;
    assert!(matches!(r, Err(Error::ItemTooLarge { .. })), "{r:?}");
    assert!(get(&*repo, "p", "ok").await.is_none());
}

/// A transactional read returns items aligned with the keys, `None` where absent (R142).
pub async fn transact_get_is_aligned(h: &Harness) {
    let repo = h.app().await;
    put(&*repo, key("p", "a")).await;
    put(&*repo, key("p", "c")).await;
    let got = repo
        .transact_get_items(vec![key("p", "c"), key("p", "b"), key("p", "a")])
        .await
        .unwrap();
    assert_eq!(got, vec![Some(key("p", "c")), None, Some(key("p", "a"))]);
    invalid(
        repo.transact_get_items(vec![key("p", "a"), key("p", "a")])
            .await,
    );
}

/// Replaying a token with the same request does not apply it twice (R141).
pub async fn idempotency_token(h: &Harness) {
    let repo = h.app().await;
    let token = format!(
        "tok-{}",
        std::process::id() as u64 * 1000
            + (std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_micros() as u64)
    );
    let req = TransactWrite {
        items: vec![TransactWriteItem::Update {
            key: key("p", "c"),
            update: Update::new().add("n", 1),
            condition: None,
            return_old_on_condition_failure: false,
        }],
        client_request_token: Some(token),
    };
    repo.transact_write_items(req.clone()).await.unwrap();
    repo.transact_write_items(req.clone()).await.unwrap();
    assert_eq!(get(&*repo, "p", "c").await.unwrap()["n"], Value::from(1));
    let mut long = req;
    long.client_request_token = Some("x".repeat(37));
    invalid(repo.transact_write_items(long).await);
}
