//! Update expressions (semantics §7, R108–R131).

use std::sync::Arc;

use monotable_core::expr::{string_set, SetValue, UpdateAction, UpdateOperand};
use monotable_core::{
    Error, Item, Path, Repository, Result, ReturnValues, Update, UpdateItem, Value,
};

use crate::fixtures::*;
use crate::Harness;

fn base() -> Item {
    it(serde_json::json!({"pk": "p", "sk": "s", "n": 5, "str": "x", "l": ["a", "b", "c"], "m": {"a": 1, "b": 2}}))
        .with("ss", string_set(["a", "b"]))
}

async fn seeded(h: &Harness) -> Arc<dyn Repository> {
    let repo = h.app().await;
    put(&*repo, base()).await;
    repo
}

async fn update(repo: &dyn Repository, u: Update, rv: ReturnValues) -> Result<Option<Item>> {
    repo.update_item(UpdateItem {
        key: key("p", "s"),
        update: u,
        return_values: rv,
        ..Default::default()
    })
    .await
}

async fn after(repo: &dyn Repository, u: Update) -> Item {
    update(repo, u, ReturnValues::AllNew)
        .await
        .expect("update")
        .expect("item")
}

fn p(name: &str) -> Path {
    Path::attr(name)
}

fn set(path: Path, v: SetValue) -> Update {
    Update::new().action(UpdateAction::Set(path, v))
}

fn path_op(name: &str) -> UpdateOperand {
    UpdateOperand::Path(p(name))
}

fn val(v: impl Into<Value>) -> UpdateOperand {
    UpdateOperand::Value(v.into())
}

/// Return values: NONE, ALL_OLD, UPDATED_OLD, ALL_NEW, UPDATED_NEW (R108).
pub async fn update_return_values(h: &Harness) {
    let repo = seeded(h).await;
    let u = || Update::new().set("n", 6).set("fresh", "y");
    assert_eq!(update(&*repo, u(), ReturnValues::None).await.unwrap(), None);
    assert_eq!(
        update(&*repo, Update::new().set("n", 7), ReturnValues::AllOld)
            .await
            .unwrap()
            .unwrap()["n"],
        Value::from(6)
    );
    let old = update(
        &*repo,
        Update::new().set("n", 8).set("new2", 1),
        ReturnValues::UpdatedOld,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(old, Item::new().with("n", 7));
    let new = update(&*repo, Update::new().set("n", 9), ReturnValues::UpdatedNew)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(new, Item::new().with("n", 9));
    let all = update(&*repo, Update::new().set("n", 9), ReturnValues::AllNew)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(all["str"], s("x"));
}

/// Updating a missing key creates the item from the key and the actions; old values are
/// absent (R109).
pub async fn update_missing_item_upserts(h: &Harness) {
    let repo = h.app().await;
    let old = update(
        &*repo,
        Update::new().set("a", 1).add("c", 2),
        ReturnValues::AllOld,
    )
    .await
    .unwrap();
    assert_eq!(old, None);
    assert_eq!(
        get(&*repo, "p", "s").await.unwrap(),
        key("p", "s").with("a", 1).with("c", 2)
    );
}

/// An update without actions on a missing key creates a key-only item (R110).
pub async fn empty_update_creates_key_only_item(h: &Harness) {
    let repo = h.app().await;
    update(&*repo, Update::new(), ReturnValues::None)
        .await
        .unwrap();
    assert_eq!(get(&*repo, "p", "s").await.unwrap(), key("p", "s"));
}

/// Right-hand sides read the item as it was before the update: SET a = b, b = a swaps (R111).
pub async fn right_hand_sides_read_old_values(h: &Harness) {
    let repo = seeded(h).await;
    let u = set(p("n"), SetValue::Operand(path_op("str")))
        .action(UpdateAction::Set(p("str"), SetValue::Operand(path_op("n"))));
    let item = after(&*repo, u).await;
    assert_eq!(
        (item["n"].clone(), item["str"].clone()),
        (s("x"), Value::from(5))
    );
}

/// A right-hand side naming a missing attribute is an error (R112).
pub async fn missing_operand_is_error(h: &Harness) {
    let repo = seeded(h).await;
    let msg = invalid(
        update(
            &*repo,
            set(p("x"), SetValue::Operand(path_op("nope"))),
            ReturnValues::None,
        )
        .await,
    );
    assert!(
        msg.contains("refers to an attribute that does not exist"),
        "{msg}"
    );
    invalid(
        update(
            &*repo,
            set(p("x"), SetValue::Plus(path_op("nope"), val(1))),
            ReturnValues::None,
        )
        .await,
    );
}

/// `+` and `-` on numbers; a non-number operand is an error (R113).
pub async fn plus_and_minus(h: &Harness) {
    let repo = seeded(h).await;
    let item = after(
        &*repo,
        set(p("a"), SetValue::Plus(path_op("n"), val(3))).action(UpdateAction::Set(
            p("b"),
            SetValue::Minus(path_op("n"), val(n("0.5"))),
        )),
    )
    .await;
    assert_eq!(
        (item["a"].clone(), item["b"].clone()),
        (Value::from(8), n("4.5"))
    );
    let msg = invalid(
        update(
            &*repo,
            set(p("c"), SetValue::Plus(path_op("str"), val(1))),
            ReturnValues::None,
        )
        .await,
    );
    assert!(msg.contains("incorrect data type"), "{msg}");
    invalid(
        update(
            &*repo,
            set(p("c"), SetValue::Plus(path_op("n"), val("1"))),
            ReturnValues::None,
        )
        .await,
    );
}

/// if_not_exists keeps an existing value, else uses the operand (R114).
pub async fn if_not_exists(h: &Harness) {
    let repo = seeded(h).await;
    let item = after(
        &*repo,
        Update::new()
            .set_if_not_exists("n", 1)
            .set_if_not_exists("fresh", 1),
    )
    .await;
    assert_eq!(
        (item["n"].clone(), item["fresh"].clone()),
        (Value::from(5), Value::from(1))
    );
    let other = UpdateOperand::IfNotExists(p("nope"), Box::new(val(10)));
    let item = after(&*repo, set(p("c"), SetValue::Plus(other, val(1)))).await;
    assert_eq!(item["c"], Value::from(11));
}

/// list_append concatenates in order; a non-list operand is an error (R115).
pub async fn list_append(h: &Harness) {
    let repo = seeded(h).await;
    let item = after(&*repo, Update::new().append("l", vec![s("d")])).await;
    assert_eq!(item["l"], Value::L(["a", "b", "c", "d"].map(s).to_vec()));
    let prepend = UpdateOperand::ListAppend(
        Box::new(val(Value::L(vec![s("z")]))),
        Box::new(path_op("l")),
    );
    let item = after(&*repo, set(p("l"), SetValue::Operand(prepend))).await;
    assert_eq!(
        item["l"],
        Value::L(["z", "a", "b", "c", "d"].map(s).to_vec())
    );
    let bad = UpdateOperand::ListAppend(Box::new(path_op("str")), Box::new(val(Value::L(vec![]))));
    invalid(
        update(
            &*repo,
            set(p("x"), SetValue::Operand(bad)),
            ReturnValues::None,
        )
        .await,
    );
}

/// `SET l[i]` overwrites; an index past the end appends, without padding (R116).
pub async fn set_list_index(h: &Harness) {
    let repo = seeded(h).await;
    let item = after(
        &*repo,
        Update::new()
            .set(p("l").index(1), "B")
            .set(p("l").index(10), "end"),
    )
    .await;
    assert_eq!(item["l"], Value::L(["a", "B", "c", "end"].map(s).to_vec()));
}

/// A nested SET needs an existing parent of the right type (R117).
pub async fn nested_set_needs_parent(h: &Harness) {
    let repo = seeded(h).await;
    let item = after(&*repo, Update::new().set(p("m").key("c"), 3)).await;
    assert_eq!(
        item["m"],
        plain(&serde_json::json!({"a": 1, "b": 2, "c": 3}))
    );
    for bad in [
        p("nope").key("x"),
        p("str").key("x"),
        p("m").index(0),
        p("l").key("x"),
    ] {
        let msg = invalid(update(&*repo, Update::new().set(bad, 1), ReturnValues::None).await);
        assert!(
            msg.contains("document path provided in the update expression is invalid"),
            "{msg}"
        );
    }
}

/// REMOVE: missing attributes and indexes are no-ops; several indexes refer to the original
/// positions; nested keys go (R119).
pub async fn remove_semantics(h: &Harness) {
    let repo = seeded(h).await;
    let item = after(
        &*repo,
        Update::new()
            .remove("nope")
            .remove(p("l").index(0))
            .remove(p("l").index(2))
            .remove(p("l").index(7))
            .remove(p("m").key("a")),
    )
    .await;
    assert_eq!(item["l"], Value::L(vec![s("b")]));
    assert_eq!(item["m"], plain(&serde_json::json!({"b": 2})));
    let item = after(
        &*repo,
        Update::new()
            .remove("n")
            .remove("str")
            .remove("l")
            .remove("m")
            .remove("ss"),
    )
    .await;
    assert_eq!(item, key("p", "s"));
}

/// ADD adds to numbers (creating them), and unions sets, numbers by value (R120).
pub async fn add_numbers_and_sets(h: &Harness) {
    let repo = seeded(h).await;
    let item = after(
        &*repo,
        Update::new()
            .add("n", -2)
            .add("fresh", 4)
            .add("ss", string_set(["b", "c"]))
            .add("ns", ns(&["1", "2"])),
    )
    .await;
    assert_eq!(item["n"], Value::from(3));
    assert_eq!(item["fresh"], Value::from(4));
    assert_eq!(item["ss"], string_set(["a", "b", "c"]));
    let item = after(&*repo, Update::new().add("ns", ns(&["1.0", "3"]))).await;
    assert_eq!(item["ns"], ns(&["1", "2", "3"]));
}

/// ADD needs a number or set operand matching the attribute (R121).
pub async fn add_type_errors(h: &Harness) {
    let repo = seeded(h).await;
    let msg = invalid(update(&*repo, Update::new().add("str", "y"), ReturnValues::None).await);
    assert!(msg.contains("operator: ADD, operand type: STRING"), "{msg}");
    let msg = invalid(update(&*repo, Update::new().add("ss", 1), ReturnValues::None).await);
    assert!(msg.contains("incorrect data type"), "{msg}");
    invalid(
        update(
            &*repo,
            Update::new().add("ss", ns(&["1"])),
            ReturnValues::None,
        )
        .await,
    );
}

/// DELETE removes set members; removing them all removes the attribute; a missing attribute
/// is a no-op; a non-set operand is an error (R122).
pub async fn delete_from_sets(h: &Harness) {
    let repo = seeded(h).await;
    let item = after(
        &*repo,
        Update::new()
            .delete("ss", string_set(["a", "zz"]))
            .delete("nope", string_set(["a"])),
    )
    .await;
    assert_eq!(item["ss"], string_set(["b"]));
    let item = after(&*repo, Update::new().delete("ss", string_set(["b"]))).await;
    assert!(!item.contains_key("ss"));
    let msg = invalid(update(&*repo, Update::new().delete("str", "x"), ReturnValues::None).await);
    assert!(msg.contains("operator: DELETE"), "{msg}");
    invalid(
        update(
            &*repo,
            Update::new().delete("str", string_set(["x"])),
            ReturnValues::None,
        )
        .await,
    );
}

/// Key attributes cannot be updated, even to the same value (R123).
pub async fn key_attributes_cannot_be_updated(h: &Harness) {
    let repo = seeded(h).await;
    for u in [
        Update::new().set("pk", "p"),
        Update::new().remove("sk"),
        Update::new().set(p("sk").key("x"), 1),
    ] {
        let msg = invalid(update(&*repo, u, ReturnValues::None).await);
        assert!(msg.contains("This attribute is part of the key"), "{msg}");
    }
}

/// Two actions on overlapping paths are an error; siblings are fine (R124).
pub async fn overlapping_paths_are_rejected(h: &Harness) {
    let repo = seeded(h).await;
    let msg = invalid(
        update(
            &*repo,
            Update::new().set("m", 1).remove(p("m").key("a")),
            ReturnValues::None,
        )
        .await,
    );
    assert!(msg.contains("Two document paths overlap"), "{msg}");
    invalid(
        update(
            &*repo,
            Update::new().set("n", 1).add("n", 1),
            ReturnValues::None,
        )
        .await,
    );
    after(
        &*repo,
        Update::new()
            .set(p("m").key("a"), 9)
            .set(p("m").key("b"), 9),
    )
    .await;
}

/// SET of a whole map replaces it, no deep merge (R130).
pub async fn set_whole_map_replaces(h: &Harness) {
    let repo = seeded(h).await;
    let item = after(
        &*repo,
        Update::new().set("m", plain(&serde_json::json!({"z": 1}))),
    )
    .await;
    assert_eq!(item["m"], plain(&serde_json::json!({"z": 1})));
}

/// Empty sets cannot be written by an update (R118).
pub async fn update_with_empty_set_is_rejected(h: &Harness) {
    let repo = seeded(h).await;
    let msg = invalid(
        update(
            &*repo,
            Update::new().set("e", Value::Ss(Default::default())),
            ReturnValues::None,
        )
        .await,
    );
    assert!(msg.contains("may not be empty"), "{msg}");
    assert!(!get(&*repo, "p", "s").await.unwrap().contains_key("e"));
    // An empty string is a value, not an empty set: written, and read back.
    update(&*repo, Update::new().set("e", ""), ReturnValues::None)
        .await
        .unwrap();
    assert_eq!(get(&*repo, "p", "s").await.unwrap()["e"], Value::from(""));
}

/// A failing action leaves the item untouched, whatever other actions did.
pub async fn failed_update_changes_nothing(h: &Harness) {
    let repo = seeded(h).await;
    let r = update(
        &*repo,
        Update::new().set("n", 100).add("str", 1),
        ReturnValues::None,
    )
    .await;
    assert!(matches!(r, Err(Error::InvalidRequest { .. })));
    assert_eq!(get(&*repo, "p", "s").await.unwrap(), base());
}
