//! Item limits and value rules (semantics §5, R59–R79).

use std::collections::BTreeMap;

use monotable_core::expr::string_set;
use monotable_core::{Error, GetItem, Item, PutItem, Update, UpdateItem, Value};

use crate::fixtures::*;
use crate::Harness;

fn sized(total: usize) -> Item {
    // pk:'p' + sk:'s' + f: 3 + 3 + 1 bytes before the value.
    key("p", "s").with("f", "x".repeat(total - 7))
}

/// An item of exactly 409,600 bytes is accepted (R59).
pub async fn item_of_400kb_is_accepted(h: &Harness) {
    let repo = h.app().await;
    put(&*repo, sized(409_600)).await;
    assert_eq!(get(&*repo, "p", "s").await.unwrap().size(), 409_600);
}

/// One byte more is rejected as ItemTooLarge, and nothing is written (R59).
pub async fn item_over_400kb_is_rejected(h: &Harness) {
    let repo = h.app().await;
    let r = repo
        .put_item(PutItem {
            item: sized(409_601),
            ..Default::default()
        })
        .await;
    assert!(
        matches!(r, Err(Error::ItemTooLarge { size: 409_601, .. })),
        "{r:?}"
    );
    assert!(get(&*repo, "p", "s").await.is_none());
}

/// Sizes follow DynamoDB's formula: names, UTF-8 strings, numbers in digit pairs, maps and
/// lists with overhead (R60, R61).
pub async fn item_size_accounting(h: &Harness) {
    let repo = h.app().await;
    // 'é' is 2 bytes; N 12345 is 1 + 3 pairs = 4 bytes; M{k:'v'} = 6; L['a'] = 5.
    let fixed = key("p", "s")
        .with("e", "é")
        .with("n", n("12345"))
        .with("m", Value::M(BTreeMap::from([("k".to_string(), s("v"))])))
        .with("l", Value::L(vec![s("a")]));
    let used = 6 + (1 + 2) + (1 + 4) + (1 + 6) + (1 + 5);
    assert_eq!(fixed.size(), used);
    let fill = 409_600 - used - 1;
    put(&*repo, fixed.clone().with("f", "x".repeat(fill))).await;
    let r = repo
        .put_item(PutItem {
            item: fixed.with("f", "x".repeat(fill + 1)),
            ..Default::default()
        })
        .await;
    assert!(matches!(r, Err(Error::ItemTooLarge { .. })));
}

/// An update that would grow an item past 400 KB is rejected and changes nothing (R62).
pub async fn update_beyond_400kb_is_rejected(h: &Harness) {
    let repo = h.app().await;
    put(&*repo, sized(409_000)).await;
    let r = repo
        .update_item(UpdateItem {
            key: key("p", "s"),
            update: Update::new().set("g", "y".repeat(1000)),
            ..Default::default()
        })
        .await;
    match r {
        Err(Error::ItemTooLarge { message, .. }) => {
            assert!(message.contains("to update"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert!(!get(&*repo, "p", "s").await.unwrap().contains_key("g"));
}

/// Partition keys up to 2048 bytes and sort keys up to 1024 bytes, inclusive (R63).
pub async fn key_size_limits(h: &Harness) {
    let repo = h.app().await;
    put(&*repo, key(&"p".repeat(2048), "s")).await;
    put(&*repo, key("p", "s".repeat(1024).as_str())).await;
    put(&*repo, key(&"é".repeat(1024), "s")).await;
    for item in [
        key(&"p".repeat(2049), "s"),
        key("p", "s".repeat(1025).as_str()),
        key(&"é".repeat(1025), "s"),
    ] {
        let msg = invalid(
            repo.put_item(PutItem {
                item,
                ..Default::default()
            })
            .await,
        );
        assert!(msg.contains("2048 bytes"), "{msg}");
    }
}

/// Empty strings and binaries are fine outside keys, also nested, and round-trip (R64).
pub async fn empty_values_outside_keys_round_trip(h: &Harness) {
    let repo = h.app().await;
    let item = key("p", "s")
        .with("e", "")
        .with("b", Value::B(vec![]))
        .with("m", Value::M(BTreeMap::from([("x".to_string(), s(""))])))
        .with("l", Value::L(vec![s("")]));
    put(&*repo, item.clone()).await;
    assert_eq!(get(&*repo, "p", "s").await.unwrap(), item);
}

/// Empty strings or binaries in key attributes are rejected, in puts and gets (R65).
pub async fn empty_key_values_are_rejected(h: &Harness) {
    let repo = h.app().await;
    let msg = invalid(
        repo.put_item(PutItem {
            item: key("", "s"),
            ..Default::default()
        })
        .await,
    );
    assert!(msg.contains("empty string value. Key: pk"), "{msg}");
    let msg = invalid(
        repo.put_item(PutItem {
            item: key("p", ""),
            ..Default::default()
        })
        .await,
    );
    assert!(msg.contains("Key: sk"), "{msg}");
    let msg = invalid(
        repo.get_item(GetItem {
            key: key("p", ""),
            ..Default::default()
        })
        .await,
    );
    assert!(msg.contains("Key: sk"), "{msg}");
    let bin = h.table(binary_schema()).await;
    let msg = invalid(
        bin.put_item(PutItem {
            item: key("p", Value::B(vec![])),
            ..Default::default()
        })
        .await,
    );
    assert!(msg.contains("empty binary value"), "{msg}");
}

/// Empty sets are rejected; empty lists and maps are fine (R66).
pub async fn empty_sets_are_rejected(h: &Harness) {
    let repo = h.app().await;
    for (set, text) in [
        (
            Value::Ss(Default::default()),
            "An string set  may not be empty",
        ),
        (
            Value::Ns(Default::default()),
            "An number set  may not be empty",
        ),
        (
            Value::Bs(Default::default()),
            "Binary sets should not be empty",
        ),
    ] {
        let msg = invalid(
            repo.put_item(PutItem {
                item: key("p", "s").with("x", set),
                ..Default::default()
            })
            .await,
        );
        assert!(msg.contains(text), "{msg}");
    }
    put(
        &*repo,
        key("p", "s")
            .with("l", Value::L(vec![]))
            .with("m", Value::M(BTreeMap::new())),
    )
    .await;
}

/// Sets are sets: members come back whatever order they were written in, without
/// duplicates (R68, R72).
pub async fn sets_round_trip_as_sets(h: &Harness) {
    let repo = h.app().await;
    put(
        &*repo,
        key("p", "s")
            .with("ss", string_set(["b", "a", "c"]))
            .with("ns", ns(&["10", "1.50", "9"])),
    )
    .await;
    let item = get(&*repo, "p", "s").await.unwrap();
    assert_eq!(item["ss"], string_set(["a", "b", "c"]));
    assert_eq!(item["ns"], ns(&["1.5", "9", "10"]));
}

/// Empty attribute names are rejected, top level and in maps (R69).
pub async fn empty_attribute_names_are_rejected(h: &Harness) {
    let repo = h.app().await;
    let msg = invalid(
        repo.put_item(PutItem {
            item: key("p", "s").with("", 1),
            ..Default::default()
        })
        .await,
    );
    assert_eq!(msg, "Empty attribute name");
    let nested = Value::M(BTreeMap::from([(String::new(), s("v"))]));
    invalid(
        repo.put_item(PutItem {
            item: key("p", "s").with("m", nested),
            ..Default::default()
        })
        .await,
    );
}

/// Missing or mistyped key attributes are rejected (R71).
pub async fn key_attributes_must_be_present_and_typed(h: &Harness) {
    let repo = h.app().await;
    let msg = invalid(
        repo.put_item(PutItem {
            item: Item::new().with("pk", "p"),
            ..Default::default()
        })
        .await,
    );
    assert_eq!(msg, "One of the required keys was not given a value");
    let msg = invalid(
        repo.put_item(PutItem {
            item: Item::new().with("pk", "p").with("sk", 1),
            ..Default::default()
        })
        .await,
    );
    assert!(msg.contains("Type mismatch for key"), "{msg}");
    let msg = invalid(
        repo.put_item(PutItem {
            item: Item::new().with("pk", "p").with("sk", string_set(["a"])),
            ..Default::default()
        })
        .await,
    );
    assert_eq!(msg, "Invalid attribute value type");
}

/// Numbers keep 38 significant digits exactly (R73).
pub async fn numbers_keep_38_digits(h: &Harness) {
    let repo = h.app().await;
    let big = "12345678901234567890123456789012345678";
    let small = "0.00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001";
    put(
        &*repo,
        key("p", "s")
            .with("big", n(big))
            .with("small", n(small))
            .with("neg", n("-9.9999999999999999999999999999999999999E+125")),
    )
    .await;
    let item = get(&*repo, "p", "s").await.unwrap();
    assert_eq!(item["big"].as_n().unwrap().to_string(), big);
    assert_eq!(item["small"].as_n().unwrap().to_string(), small);
    assert!(item["neg"]
        .as_n()
        .unwrap()
        .to_string()
        .starts_with("-99999999999999999999999999999999999999000"));
}

/// Arithmetic whose result needs more than 38 digits is rejected (R76).
pub async fn arithmetic_beyond_38_digits_is_rejected(h: &Harness) {
    let repo = h.app().await;
    put(
        &*repo,
        key("p", "s")
            .with("a", n("99999999999999999999999999999999999999"))
            .with("b", n("12345678901234567890123456789012345678")),
    )
    .await;
    let out = repo
        .update_item(UpdateItem {
            key: key("p", "s"),
            update: Update::new().add("a", 1),
            return_values: monotable_core::ReturnValues::UpdatedNew,
            ..Default::default()
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        out["a"].as_n().unwrap().to_string(),
        "100000000000000000000000000000000000000"
    );
    let msg = invalid(
        repo.update_item(UpdateItem {
            key: key("p", "s"),
            update: Update::new().add("b", n("0.5")),
            ..Default::default()
        })
        .await,
    );
    assert!(msg.contains("38 digits"), "{msg}");
}

fn nested(depth: usize) -> Value {
    (0..depth).fold(s("leaf"), |v, _| {
        Value::M(BTreeMap::from([("k".to_string(), v)]))
    })
}

/// At most 32 levels of nesting: 31 nested maps are fine, 32 are not (R78).
pub async fn nesting_beyond_32_levels_is_rejected(h: &Harness) {
    let repo = h.app().await;
    put(&*repo, key("p", "s").with("m", nested(31))).await;
    let msg = invalid(
        repo.put_item(PutItem {
            item: key("p", "s").with("m", nested(32)),
            ..Default::default()
        })
        .await,
    );
    assert!(
        msg.contains("Nesting Levels have exceeded supported limits"),
        "{msg}"
    );
}

/// Attribute names are case-sensitive: `PK` is an ordinary attribute next to `pk` (R178).
pub async fn attribute_names_are_case_sensitive(h: &Harness) {
    let repo = h.app().await;
    put(&*repo, key("p", "s").with("PK", "other")).await;
    assert_eq!(get(&*repo, "p", "s").await.unwrap()["PK"], s("other"));
}
