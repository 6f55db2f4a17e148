//! Every disagreement the fuzzer found, shrunk, kept as a sequence that both sides of every
//! pair must now agree on (memory vs SQLite, memory vs DynamoDB Local). Each names the class
//! it guards; the outcome itself is DynamoDB Local's, whatever it is.

use monotable_core::expr::{Condition, Operand, SetValue, UpdateAction, UpdateOperand};
use monotable_core::{
    DeleteItem, GetItem, Item, KeyCondition, Path, Projection, PutItem, ReturnValues,
    TransactWriteItem, Update, UpdateItem, Value,
};

use super::{Op, QueryOp, ScanOp, Sequence};

fn key(pk: &str, sk: &str) -> Item {
    Item::new().with("pk", pk).with("sk", sk)
}

fn put(item: Item) -> Op {
    Op::Put(PutItem {
        item,
        ..PutItem::default()
    })
}

fn put_if(item: Item, condition: Condition) -> Op {
    Op::Put(PutItem {
        item,
        condition: Some(condition),
        ..PutItem::default()
    })
}

fn update(key: Item, update: Update, condition: Option<Condition>) -> Op {
    Op::Update(UpdateItem {
        key,
        update,
        condition,
        return_values: ReturnValues::AllNew,
        return_old_on_condition_failure: false,
    })
}

fn get(projection: Vec<Path>) -> Op {
    Op::Get(GetItem {
        key: key("p1", "s1"),
        projection: Some(projection),
        consistent_read: false,
    })
}

fn query(index: Option<&str>, projection: Option<Vec<Path>>, filter: Option<Condition>) -> Op {
    Op::Query(QueryOp {
        index: index.map(str::to_string),
        key_condition: KeyCondition::partition("p1"),
        filter,
        projection,
        forward: true,
        limit: None,
        resume: false,
        count_only: false,
        consistent_read: false,
    })
}

fn scan(index: Option<&str>, projection: Option<Vec<Path>>, filter: Option<Condition>) -> Op {
    Op::Scan(ScanOp {
        index: index.map(str::to_string),
        filter,
        projection,
        limit: None,
        resume: false,
        segment: None,
        count_only: false,
        consistent_read: false,
    })
}

fn seq(lsi: Projection, ops: Vec<Op>) -> Sequence {
    Sequence {
        gsi: Projection::All,
        lsi,
        ops,
    }
}

fn p(name: &str) -> Path {
    Path::attr(name)
}

fn full_item(pk: &str, sk: &str, ls: i64) -> Item {
    key(pk, sk)
        .with("ls", ls)
        .with("a", "x")
        .with("b", 1)
        .with("c", Value::L(vec![Value::from("y")]))
}

/// The regression sequences, by name.
pub fn cases() -> Vec<(&'static str, Sequence)> {
    vec![
        // An LSI that does not project an attribute fetches it from the table (Query, Scan).
        (
            "lsi_query_fetches_from_table",
            seq(
                Projection::KeysOnly,
                vec![
                    put(full_item("p1", "s1", 1)),
                    query(Some("lsi"), Some(vec![p("sk"), p("a"), p("c")]), None),
                    query(Some("lsi"), None, None),
                ],
            ),
        ),
        (
            "lsi_scan_fetches_from_table",
            seq(
                Projection::Include(vec!["a".into()]),
                vec![
                    put(full_item("p1", "s1", 1)),
                    scan(Some("lsi"), Some(vec![p("a"), p("b")]), None),
                ],
            ),
        ),
        // A Query filter on an attribute an index does not project is rejected; a Scan's runs.
        (
            "lsi_filter_not_projected",
            seq(
                Projection::KeysOnly,
                vec![
                    put(full_item("p1", "s1", 1)),
                    query(Some("lsi"), None, Some(p("c").exists())),
                    scan(Some("lsi"), None, Some(p("c").exists())),
                    scan(Some("gsi"), None, Some(p("c").exists())),
                ],
            ),
        ),
        // Key attributes read with `.` or `[]`, in every expression, named in Local's order.
        (
            "key_attributes_are_scalars",
            seq(
                Projection::All,
                vec![
                    get(vec![p("c"), p("ls").key("y"), p("gs").key("x")]),
                    get(vec![p("sk").key("x")]),
                    query(None, Some(vec![p("gp").index(0)]), None),
                    scan(
                        Some("lsi"),
                        None,
                        Some(p("b").contains(Value::from(1)).and(Condition::Contains {
                            path: p("b"),
                            operand: Operand::Path(p("gs").index(0)),
                        })),
                    ),
                    put_if(key("p1", "s1"), p("sk").key("y").exists()),
                    // The right side of a comparison is not checked.
                    put_if(
                        key("p1", "s2"),
                        Condition::Compare {
                            left: Operand::Path(p("b")),
                            op: monotable_core::Comparator::Gt,
                            right: Operand::Path(p("sk").key("x")),
                        }
                        .negate(),
                    ),
                    update(
                        key("p1", "s1"),
                        Update::new().remove(p("gp").key("x")),
                        None,
                    ),
                ],
            ),
        ),
        // BETWEEN with an operand of a type that has no order.
        (
            "between_unordered_operand",
            seq(
                Projection::All,
                vec![
                    put_if(
                        key("p1", "s1"),
                        p("a").between(Value::Ss(["x".to_string()].into()), "y"),
                    ),
                    put_if(
                        key("p1", "s1"),
                        p("a").between(Value::Bool(true), Value::B(vec![1])),
                    ),
                    put_if(key("p1", "s1"), p("a").between(Value::Null, "y")),
                    put_if(key("p1", "s1"), p("a").between("a", Value::L(vec![]))),
                    put_if(key("p1", "s1"), p("a").between(Value::B(vec![1]), "y")),
                ],
            ),
        ),
        // The same path on both sides of IN, contains, BETWEEN.
        (
            "first_operand_distinct",
            seq(
                Projection::All,
                vec![
                    put_if(
                        key("p1", "s1"),
                        Condition::In {
                            value: Operand::Path(p("a")),
                            list: vec![Operand::Value("x".into()), Operand::Path(p("a"))],
                        },
                    ),
                    put_if(
                        key("p1", "s1"),
                        Condition::Contains {
                            path: p("a"),
                            operand: Operand::Path(p("a")),
                        },
                    ),
                    put_if(
                        key("p1", "s1"),
                        Condition::Between {
                            value: Operand::Path(p("a")),
                            low: Operand::Path(p("a")),
                            high: Operand::Value("z".into()),
                        },
                    ),
                ],
            ),
        ),
        // Overlapping and conflicting paths, and which two paths the message names.
        (
            "document_paths_clash",
            seq(
                Projection::All,
                vec![
                    get(vec![p("a"), p("b"), p("a")]),
                    get(vec![p("b"), p("c"), p("b").key("x")]),
                    get(vec![p("c"), p("b"), p("b").key("x")]),
                    get(vec![p("gs").index(1).index(0), p("gs").key("y")]),
                    update(
                        key("p1", "s1"),
                        Update::new().remove(p("c").key("y")).set("c", 1),
                        None,
                    ),
                    update(
                        key("p1", "s1"),
                        Update::new()
                            .set(p("b").key("y"), 1)
                            .delete(p("b").index(1), Value::Ns([1.into()].into())),
                        None,
                    ),
                ],
            ),
        ),
        // A failed condition wins over an update of a key attribute.
        (
            "condition_before_key_update",
            seq(
                Projection::All,
                vec![
                    update(
                        key("p1", "s2"),
                        Update::new().delete(p("pk").index(0), Value::Ns([3.into()].into())),
                        Some(p("b").index(1).exists()),
                    ),
                    update(
                        key("p1", "s2"),
                        Update::new().set("sk", "x"),
                        Some(p("a").exists()),
                    ),
                    update(key("p1", "s2"), Update::new().set("sk", "x"), None),
                ],
            ),
        ),
        // A REMOVE of a nested path the item lacks updates nothing: UPDATED_NEW and
        // UPDATED_OLD return no attribute for it.
        (
            "remove_missing_nested_path",
            seq(
                Projection::All,
                vec![
                    put(key("p1", "s1").with(
                        "a",
                        Value::M([("y".to_string(), Value::from(1))].into_iter().collect()),
                    )),
                    // REMOVE of a nested path that exists: UPDATED_NEW is still empty.
                    Op::Update(UpdateItem {
                        key: key("p1", "s1"),
                        update: Update::new().remove(p("a").key("y")),
                        condition: None,
                        return_values: ReturnValues::UpdatedNew,
                        return_old_on_condition_failure: false,
                    }),
                    Op::Update(UpdateItem {
                        key: key("p1", "s1"),
                        update: Update::new().remove(p("a").key("x")),
                        condition: None,
                        return_values: ReturnValues::UpdatedNew,
                        return_old_on_condition_failure: false,
                    }),
                    Op::Update(UpdateItem {
                        key: key("p1", "s1"),
                        update: Update::new().remove(p("a").key("x")).set("b", 2),
                        condition: None,
                        return_values: ReturnValues::UpdatedOld,
                        return_old_on_condition_failure: false,
                    }),
                ],
            ),
        ),
        // ReturnValues is checked before the key and the item.
        (
            "return_values_first",
            seq(
                Projection::All,
                vec![
                    Op::Delete(DeleteItem {
                        key: Item::new().with("pk", 1).with("sk", "s1"),
                        return_values: ReturnValues::AllNew,
                        ..DeleteItem::default()
                    }),
                    Op::Put(PutItem {
                        item: key("p1", "s1").with("gp", true),
                        return_values: ReturnValues::AllNew,
                        ..PutItem::default()
                    }),
                ],
            ),
        ),
        // An index key of a type keys cannot have, in a put, a batch, an update.
        (
            "index_key_of_non_key_type",
            seq(
                Projection::All,
                vec![
                    put(key("p1", "s1").with("gp", false)),
                    Op::BatchWrite(vec![monotable_core::WriteRequest::Put(
                        key("p1", "s2").with("gp", Value::Bs([vec![1]].into())),
                    )]),
                    update(
                        key("p1", "s1"),
                        Update::new().add("ls", Value::Ss(["x".to_string()].into())),
                        None,
                    ),
                ],
            ),
        ),
        // Transactions: a put's index key of the wrong type is a reason, before its
        // condition; a condition check's message ends with a period, a put's does not.
        (
            "transaction_reasons",
            seq(
                Projection::All,
                vec![
                    Op::TransactWrite(vec![TransactWriteItem::Put {
                        item: key("p2", "s3").with("ls", "x"),
                        condition: Some(p("a").is_type(monotable_core::ValueType::L)),
                        return_old_on_condition_failure: false,
                    }]),
                    Op::TransactWrite(vec![
                        TransactWriteItem::ConditionCheck {
                            key: key("p1", "s1"),
                            condition: p("a").exists(),
                            return_old_on_condition_failure: true,
                        },
                        TransactWriteItem::Put {
                            item: key("p1", "s2"),
                            condition: Some(p("a").exists()),
                            return_old_on_condition_failure: false,
                        },
                    ]),
                    Op::TransactWrite(vec![TransactWriteItem::Put {
                        item: key("p1", "s1").with("gp", Value::Bs([vec![1]].into())),
                        condition: None,
                        return_old_on_condition_failure: false,
                    }]),
                ],
            ),
        ),
        // A Scan of an LSI reads partitions in the table's order, ties by the sort key.
        (
            "lsi_scan_partition_order",
            seq(
                Projection::All,
                vec![
                    put(key("p2", "s2").with("ls", 1)),
                    put(key("p1", "s2").with("ls", 1)),
                    put(key("p1", "s1").with("ls", 1)),
                    put(key("p2", "s1").with("ls", 2)),
                    scan(Some("lsi"), None, None),
                    Op::Scan(ScanOp {
                        index: Some("lsi".into()),
                        filter: None,
                        projection: None,
                        limit: Some(1),
                        resume: false,
                        segment: None,
                        count_only: false,
                        consistent_read: false,
                    }),
                    Op::Scan(ScanOp {
                        index: Some("lsi".into()),
                        filter: None,
                        projection: None,
                        limit: Some(2),
                        resume: true,
                        segment: None,
                        count_only: false,
                        consistent_read: false,
                    }),
                ],
            ),
        ),
        // A nested update target without its container is reported before a missing operand.
        (
            "update_target_before_operand",
            seq(
                Projection::All,
                vec![update(
                    key("p2", "s1"),
                    Update::new().action(UpdateAction::Set(
                        p("c").key("y").index(1),
                        SetValue::Operand(UpdateOperand::Path(p("b"))),
                    )),
                    None,
                )],
            ),
        ),
        // begins_with of a size() is an operand-type error.
        (
            "begins_with_size",
            seq(
                Projection::All,
                vec![scan(
                    Some("gsi"),
                    None,
                    Some(Condition::BeginsWith {
                        path: p("b"),
                        prefix: Operand::Size(p("a")),
                    }),
                )],
            ),
        ),
    ]
}
