//! Conditional writes and the condition language (semantics §6, R80–R107).

use std::sync::Arc;

use monotable_core::expr::parse::Placeholders;
use monotable_core::expr::{string_set, Comparator, Operand};
use monotable_core::{
    Condition, DeleteItem, Item, Path, PutItem, Repository, ReturnValues, Value, ValueType,
};

use crate::fixtures::*;
use crate::Harness;

fn seed_item() -> Item {
    it(serde_json::json!({
        "pk": "p", "sk": "s", "n": 5, "str": "hello", "empty": "", "flag": true, "nul": null,
        "l": ["a", 2, {"k": "v"}], "m": {"inr": {"z": 1}}, "dec": 5.00
    }))
    .with("ss", string_set(["x", "y"]))
    .with("ns", ns(&["1", "2"]))
    .with("bin", Value::B(vec![1, 2, 3]))
    .with("utf", "é😀")
}

async fn seeded(h: &Harness) -> Arc<dyn Repository> {
    let repo = h.app().await;
    put(&*repo, seed_item()).await;
    repo
}

/// Whether `cond` holds on the stored item (checked by an update that changes nothing).
async fn holds(repo: &dyn Repository, cond: Condition) -> bool {
    let check = monotable_core::UpdateItem {
        key: key("p", "s"),
        condition: Some(cond),
        ..Default::default()
    };
    match repo.update_item(check).await {
        Ok(_) => true,
        Err(monotable_core::Error::ConditionFailed { .. }) => false,
        Err(e) => panic!("unexpected error: {e}"),
    }
}

fn p(name: &str) -> Path {
    Path::attr(name)
}

/// Create-if-absent: `attribute_not_exists(pk)` passes for a new key and fails for an existing
/// one with ConditionFailed (R80).
pub async fn create_if_absent(h: &Harness) {
    let repo = h.app().await;
    let req = PutItem {
        item: key("p", "s").with("v", 1),
        condition: Some(p("pk").not_exists()),
        ..Default::default()
    };
    repo.put_item(req.clone()).await.unwrap();
    let mut again = req;
    again.item.insert("v".into(), 2.into());
    condition_failed(repo.put_item(again).await);
    assert_eq!(get(&*repo, "p", "s").await.unwrap()["v"], Value::from(1));
}

/// A failed condition reports the existing item only when asked, and only if it exists (R82).
pub async fn failed_condition_returns_old_item_when_asked(h: &Harness) {
    let repo = seeded(h).await;
    let req = PutItem {
        item: key("p", "s"),
        condition: Some(p("pk").not_exists()),
        ..Default::default()
    };
    assert_eq!(condition_failed(repo.put_item(req.clone()).await), None);
    let asked = PutItem {
        return_old_on_condition_failure: true,
        ..req
    };
    assert_eq!(
        condition_failed(repo.put_item(asked).await),
        Some(seed_item())
    );
    let missing = PutItem {
        item: key("p", "none"),
        condition: Some(p("pk").exists()),
        return_old_on_condition_failure: true,
        ..Default::default()
    };
    assert_eq!(condition_failed(repo.put_item(missing).await), None);
}

/// On a missing item every attribute is absent: attribute_exists fails, not_exists passes,
/// for deletes too (R83).
pub async fn conditions_on_missing_items(h: &Harness) {
    let repo = h.app().await;
    let del = DeleteItem {
        key: key("p", "none"),
        condition: Some(p("pk").exists()),
        ..Default::default()
    };
    condition_failed(repo.delete_item(del).await);
    let del = DeleteItem {
        key: key("p", "none"),
        condition: Some(p("pk").not_exists()),
        ..Default::default()
    };
    repo.delete_item(del).await.unwrap();
}

/// Deleting a missing item succeeds and returns nothing, even when the old item is asked for
/// (R84).
pub async fn delete_missing_item_is_noop(h: &Harness) {
    let repo = h.app().await;
    let out = repo
        .delete_item(DeleteItem {
            key: key("p", "none"),
            return_values: ReturnValues::AllOld,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(out, None);
}

/// Put and delete return the old item with AllOld; other return values are rejected (R85).
pub async fn put_and_delete_return_values(h: &Harness) {
    let repo = h.app().await;
    let first = repo
        .put_item(PutItem {
            item: key("p", "s").with("v", 1),
            return_values: ReturnValues::AllOld,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(first, None);
    let second = repo
        .put_item(PutItem {
            item: key("p", "s").with("v", 2),
            return_values: ReturnValues::AllOld,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(second, Some(key("p", "s").with("v", 1)));
    let msg = invalid(
        repo.put_item(PutItem {
            item: key("p", "s"),
            return_values: ReturnValues::AllNew,
            ..Default::default()
        })
        .await,
    );
    assert_eq!(msg, "Return values set to invalid value");
    invalid(
        repo.delete_item(DeleteItem {
            key: key("p", "s"),
            return_values: ReturnValues::UpdatedOld,
            ..Default::default()
        })
        .await,
    );
    let old = repo
        .delete_item(DeleteItem {
            key: key("p", "s"),
            return_values: ReturnValues::AllOld,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(old, Some(key("p", "s").with("v", 2)));
}

/// Comparing different types never errors: `=` false, `<>` true, `<` false (R86).
pub async fn type_mismatch_compares_false(h: &Harness) {
    let repo = seeded(h).await;
    assert!(!holds(&*repo, p("n").eq("5")).await);
    assert!(holds(&*repo, p("n").ne("5")).await);
    assert!(!holds(&*repo, p("n").lt("9")).await);
}

/// A missing attribute compares false, except `<>`, which is true (R87).
pub async fn missing_attribute_comparisons(h: &Harness) {
    let repo = seeded(h).await;
    assert!(!holds(&*repo, p("nope").eq(1)).await);
    assert!(!holds(&*repo, p("nope").lt(1)).await);
    assert!(!holds(&*repo, p("nope").between(0, 9)).await);
    assert!(holds(&*repo, p("nope").ne(1)).await);
    assert!(holds(&*repo, !p("nope").eq(1)).await);
}

/// Numbers are equal by value, binaries order unsigned, sets equal in any order, lists and
/// maps equal deeply (R88).
pub async fn equality_by_value(h: &Harness) {
    let repo = seeded(h).await;
    assert!(holds(&*repo, p("n").eq(n("5.00"))).await);
    assert!(holds(&*repo, p("dec").eq(5)).await);
    assert!(holds(&*repo, p("bin").lt(Value::B(vec![0x80]))).await);
    assert!(holds(&*repo, p("ss").eq(string_set(["y", "x"]))).await);
    assert!(
        holds(
            &*repo,
            p("m").eq(plain(&serde_json::json!({"inr": {"z": 1}})))
        )
        .await
    );
    assert!(
        holds(
            &*repo,
            p("l").eq(plain(&serde_json::json!(["a", 2, {"k": "v"}])))
        )
        .await
    );
}

/// An out-of-range list index is simply absent (R89).
pub async fn list_index_out_of_range_is_absent(h: &Harness) {
    let repo = seeded(h).await;
    assert!(!holds(&*repo, p("l").index(9).eq("a")).await);
    assert!(holds(&*repo, p("l").index(9).not_exists()).await);
}

/// attribute_type checks the type; an unknown type name is an error; a missing attribute is
/// false (R90).
pub async fn attribute_type(h: &Harness) {
    let repo = seeded(h).await;
    assert!(holds(&*repo, p("str").is_type(ValueType::S)).await);
    assert!(holds(&*repo, p("ss").is_type(ValueType::Ss)).await);
    assert!(holds(&*repo, p("nul").is_type(ValueType::Null)).await);
    assert!(!holds(&*repo, p("nope").is_type(ValueType::S)).await);
    let bad = Condition::AttributeType {
        path: p("str"),
        value_type: Operand::Value(s("STRING")),
    };
    let msg = invalid(
        repo.put_item(PutItem {
            item: seed_item(),
            condition: Some(bad),
            ..Default::default()
        })
        .await,
    );
    assert!(
        msg.contains("Invalid attribute type name found; type: STRING"),
        "{msg}"
    );
}

/// begins_with works on S and B, is false on N, and rejects a number operand (R91, R106).
pub async fn begins_with_in_conditions(h: &Harness) {
    let repo = seeded(h).await;
    assert!(holds(&*repo, p("str").begins_with("he")).await);
    assert!(holds(&*repo, p("str").begins_with("")).await);
    assert!(holds(&*repo, p("bin").begins_with(Value::B(vec![1, 2]))).await);
    assert!(!holds(&*repo, p("n").begins_with("5")).await);
    let msg = invalid(
        repo.put_item(PutItem {
            item: seed_item(),
            condition: Some(p("str").begins_with(5)),
            ..Default::default()
        })
        .await,
    );
    assert!(msg.contains("begins_with"), "{msg}");
}

/// contains: substring, byte subsequence, set member (numbers by value), list element, and
/// false on maps (R92).
pub async fn contains_semantics(h: &Harness) {
    let repo = seeded(h).await;
    assert!(holds(&*repo, p("str").contains("ell")).await);
    assert!(holds(&*repo, p("str").contains("")).await);
    assert!(holds(&*repo, p("bin").contains(Value::B(vec![2, 3]))).await);
    assert!(holds(&*repo, p("ss").contains("x")).await);
    assert!(holds(&*repo, p("ns").contains(n("1.0"))).await);
    assert!(!holds(&*repo, p("ns").contains("1")).await);
    assert!(
        holds(
            &*repo,
            p("l").contains(plain(&serde_json::json!({"k": "v"})))
        )
        .await
    );
    assert!(!holds(&*repo, p("m").contains("inr")).await);
}

/// size(): UTF-16 units of strings, bytes of binary, members of sets, lists and maps; false on
/// numbers and missing attributes (R93).
pub async fn size_semantics(h: &Harness) {
    let repo = seeded(h).await;
    assert!(holds(&*repo, p("utf").size().eq(3)).await);
    assert!(holds(&*repo, p("bin").size().eq(3)).await);
    assert!(holds(&*repo, p("ss").size().eq(2)).await);
    assert!(holds(&*repo, p("l").size().eq(3)).await);
    assert!(holds(&*repo, p("m").size().eq(1)).await);
    assert!(holds(&*repo, p("empty").size().eq(0)).await);
    assert!(!holds(&*repo, p("n").size().ge(0)).await);
    assert!(holds(&*repo, p("nope").size().ne(0)).await);
}

/// IN takes up to 100 operands; 101 is an error (R94).
pub async fn in_operand_limit(h: &Harness) {
    let repo = seeded(h).await;
    assert!(holds(&*repo, p("n").is_in((1..=100).collect::<Vec<i32>>())).await);
    assert!(!holds(&*repo, p("n").is_in(vec![1, 2])).await);
    let msg = invalid(
        repo.put_item(PutItem {
            item: seed_item(),
            condition: Some(p("n").is_in((1..=101).collect::<Vec<i32>>())),
            ..Default::default()
        })
        .await,
    );
    assert!(msg.contains("number of operands: 101"), "{msg}");
}

/// BETWEEN in a condition: inclusive; inverted bounds are an error; bounds of another type
/// than the attribute are false (R95, R106).
pub async fn between_in_conditions(h: &Harness) {
    let repo = seeded(h).await;
    assert!(holds(&*repo, p("n").between(5, 5)).await);
    assert!(!holds(&*repo, p("n").between("a", "z")).await);
    let msg = invalid(
        repo.put_item(PutItem {
            item: seed_item(),
            condition: Some(p("n").between(9, 1)),
            ..Default::default()
        })
        .await,
    );
    assert!(msg.contains("BETWEEN"), "{msg}");
    invalid(
        repo.put_item(PutItem {
            item: seed_item(),
            condition: Some(p("n").between(1, "z")),
            ..Default::default()
        })
        .await,
    );
}

/// Ordering comparisons on booleans are an error: only N, S and B are ordered (R96).
pub async fn ordering_unordered_types_is_error(h: &Harness) {
    let repo = seeded(h).await;
    let msg = invalid(
        repo.put_item(PutItem {
            item: seed_item(),
            condition: Some(p("flag").lt(true)),
            ..Default::default()
        })
        .await,
    );
    assert!(msg.contains("operand type: BOOL"), "{msg}");
}

/// The same path on both sides of a comparison is an error (R97).
pub async fn same_path_both_sides_is_error(h: &Harness) {
    let repo = seeded(h).await;
    let cond = p("str").compare_path(Comparator::Eq, &p("str"));
    let msg = invalid(
        repo.put_item(PutItem {
            item: seed_item(),
            condition: Some(cond),
            ..Default::default()
        })
        .await,
    );
    assert!(msg.contains("first operand must be distinct"), "{msg}");
}

/// NOT binds tighter than AND, which binds tighter than OR, as parsed from text (R102).
pub async fn operator_precedence(h: &Harness) {
    let repo = seeded(h).await;
    // Parsed from text, so the parser's precedence is what is tested (a built tree, once
    // rendered for DynamoDB, is parenthesised throughout). `n` is 5.
    let parsed = |text: &str| {
        let values = [(":five", Value::from(5)), (":six", Value::from(6))]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        let mut ph = Placeholders::new(None, Some(values)).unwrap();
        ph.condition(text, "ConditionExpression").unwrap()
    };
    let cases = [
        // true OR (false AND false): AND binds tighter than OR.
        ("n = :five OR n = :six AND n = :six", true),
        ("(n = :five OR n = :six) AND n = :six", false),
        // (false AND false) OR true.
        ("n = :six AND n = :six OR n = :five", true),
        // (NOT false) AND true: NOT binds tighter than AND.
        ("NOT n = :six AND n = :five", true),
        ("NOT n = :five AND n = :six", false),
        ("NOT (n = :six OR n = :five)", false),
        // NOT binds tighter than OR too: (NOT true) OR true.
        ("NOT n = :five OR n = :five", true),
        // Comparisons bind tighter than NOT, and BETWEEN's AND is its own.
        ("n BETWEEN :five AND :six AND n = :five", true),
        ("n BETWEEN :six AND :six OR n = :five", true),
    ];
    for (text, expected) in cases {
        assert_eq!(holds(&*repo, parsed(text)).await, expected, "{text}");
    }
}

/// Conditions may compare two attributes, size() with an attribute, and key attributes
/// (R103).
pub async fn compare_attributes(h: &Harness) {
    let repo = seeded(h).await;
    put(&*repo, seed_item().with("n2", 5).with("lo", 1)).await;
    assert!(holds(&*repo, p("n").compare_path(Comparator::Eq, &p("n2"))).await);
    assert!(holds(&*repo, p("lo").compare_path(Comparator::Lt, &p("n"))).await);
    assert!(holds(&*repo, p("pk").eq("p")).await);
}

/// Nested paths, list indexes and an empty string that exists (R104, R106).
pub async fn nested_paths(h: &Harness) {
    let repo = seeded(h).await;
    assert!(holds(&*repo, p("l").index(2).key("k").eq("v")).await);
    assert!(holds(&*repo, p("m").key("inr").key("z").eq(1)).await);
    assert!(holds(&*repo, p("m").key("inr").exists()).await);
    assert!(holds(&*repo, p("empty").exists()).await);
    assert!(!holds(&*repo, p("m.inr").exists()).await);
}

/// Condition basics on every scalar type: S, N, B, BOOL, NULL and `<` on strings (R106).
pub async fn scalar_equalities(h: &Harness) {
    let repo = seeded(h).await;
    assert!(holds(&*repo, p("str").eq("hello")).await);
    assert!(holds(&*repo, p("bin").eq(Value::B(vec![1, 2, 3]))).await);
    assert!(holds(&*repo, p("flag").eq(true)).await);
    assert!(holds(&*repo, p("nul").eq(Value::Null)).await);
    assert!(holds(&*repo, p("str").lt("help")).await);
}

/// A failed condition writes nothing, for updates and deletes too.
pub async fn failed_condition_writes_nothing(h: &Harness) {
    let repo = seeded(h).await;
    let upd = monotable_core::UpdateItem {
        key: key("p", "s"),
        update: monotable_core::Update::new().set("str", "changed"),
        condition: Some(p("n").eq(6)),
        return_old_on_condition_failure: true,
        ..Default::default()
    };
    assert_eq!(
        condition_failed(repo.update_item(upd).await),
        Some(seed_item())
    );
    let del = DeleteItem {
        key: key("p", "s"),
        condition: Some(p("n").eq(6)),
        ..Default::default()
    };
    condition_failed(repo.delete_item(del).await);
    assert_eq!(get(&*repo, "p", "s").await.unwrap(), seed_item());
}
