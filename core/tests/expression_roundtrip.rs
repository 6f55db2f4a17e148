//! Property tests of the expression parser: it never panics, whatever the input, and
//! rendering an AST to DynamoDB's text and parsing it back gives the same AST.

use std::collections::HashMap;

use monotable_core::expr::check::{check_condition, check_update_expression};
use monotable_core::expr::parse::Placeholders;
use monotable_core::expr::{Comparator, Operand, SetValue, UpdateAction, UpdateOperand};
use monotable_core::raw::render::ExpressionBuilder;
use monotable_core::{Condition, Path, Update, Value};
use proptest::prelude::*;

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9_]{0,6}",
        Just("status".to_string()),
        Just("a.b".to_string()),
        Just("size".to_string()),
        "[ -~]{1,8}",
    ]
}

fn path() -> impl Strategy<Value = Path> {
    (
        name(),
        prop::collection::vec(
            prop_oneof![name().prop_map(Ok), (0usize..20).prop_map(Err)],
            0..3,
        ),
    )
        .prop_map(|(root, rest)| {
            rest.into_iter().fold(Path::attr(root), |p, e| match e {
                Ok(k) => p.key(k),
                Err(i) => p.index(i),
            })
        })
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        "[ -~]{0,10}".prop_map(Value::S),
        (-1_000_000i64..1_000_000).prop_map(Value::from),
        prop::collection::vec(any::<u8>(), 1..6).prop_map(Value::B),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![4 => scalar(), 1 => prop::collection::vec(scalar(), 0..3).prop_map(Value::L)]
}

fn operand() -> impl Strategy<Value = Operand> {
    prop_oneof![
        path().prop_map(Operand::Path),
        value().prop_map(Operand::Value),
        path().prop_map(Operand::Size)
    ]
}

fn comparator() -> impl Strategy<Value = Comparator> {
    prop_oneof![
        Just(Comparator::Eq),
        Just(Comparator::Ne),
        Just(Comparator::Lt),
        Just(Comparator::Le),
        Just(Comparator::Gt),
        Just(Comparator::Ge),
    ]
}

fn leaf() -> impl Strategy<Value = Condition> {
    prop_oneof![
        (operand(), comparator(), operand()).prop_map(|(left, op, right)| Condition::Compare {
            left,
            op,
            right
        }),
        (operand(), operand(), operand()).prop_map(|(value, low, high)| Condition::Between {
            value,
            low,
            high
        }),
        (operand(), prop::collection::vec(operand(), 1..4))
            .prop_map(|(value, list)| Condition::In { value, list }),
        (path(), operand()).prop_map(|(path, prefix)| Condition::BeginsWith { path, prefix }),
        (path(), operand()).prop_map(|(path, operand)| Condition::Contains { path, operand }),
        path().prop_map(Condition::AttributeExists),
        path().prop_map(Condition::AttributeNotExists),
        (path(), operand())
            .prop_map(|(path, value_type)| Condition::AttributeType { path, value_type }),
    ]
}

fn condition() -> impl Strategy<Value = Condition> {
    leaf().prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| a.and(b)),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| a.or(b)),
            inner.prop_map(|a| !a),
        ]
    })
}

fn update_operand() -> impl Strategy<Value = UpdateOperand> {
    let base = prop_oneof![
        path().prop_map(UpdateOperand::Path),
        value().prop_map(UpdateOperand::Value)
    ];
    base.prop_recursive(2, 6, 2, |inner| {
        prop_oneof![
            (path(), inner.clone()).prop_map(|(p, o)| UpdateOperand::IfNotExists(p, Box::new(o))),
            (inner.clone(), inner)
                .prop_map(|(a, b)| UpdateOperand::ListAppend(Box::new(a), Box::new(b))),
        ]
    })
}

fn update() -> impl Strategy<Value = Update> {
    let action = prop_oneof![
        (path(), update_operand()).prop_map(|(p, o)| UpdateAction::Set(p, SetValue::Operand(o))),
        (path(), update_operand(), update_operand())
            .prop_map(|(p, a, b)| UpdateAction::Set(p, SetValue::Plus(a, b))),
        (path(), update_operand(), update_operand())
            .prop_map(|(p, a, b)| UpdateAction::Set(p, SetValue::Minus(a, b))),
        path().prop_map(UpdateAction::Remove),
        (path(), value()).prop_map(|(p, v)| UpdateAction::Add(p, v)),
        (path(), value()).prop_map(|(p, v)| UpdateAction::Delete(p, v)),
    ];
    // Clauses render grouped (SET, REMOVE, ADD, DELETE), so order the actions that way.
    prop::collection::vec(action, 1..5).prop_map(|mut actions| {
        actions.sort_by_key(|a| match a {
            UpdateAction::Set(..) => 0,
            UpdateAction::Remove(_) => 1,
            UpdateAction::Add(..) => 2,
            UpdateAction::Delete(..) => 3,
        });
        Update { actions }
    })
}

fn placeholders(b: &ExpressionBuilder) -> Placeholders {
    let values: HashMap<String, Value> = b.values().iter().cloned().collect();
    Placeholders::new(b.names(), (!values.is_empty()).then_some(values)).expect("placeholders")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn condition_round_trips(c in condition()) {
        let mut b = ExpressionBuilder::new();
        let text = b.condition(&c);
        let mut p = placeholders(&b);
        // The parser fails exactly where core's semantic check fails on the original AST.
        match (p.condition(&text, "ConditionExpression"), check_condition(&c, "ConditionExpression")) {
            (Ok(parsed), Ok(())) => prop_assert_eq!(parsed, c),
            (Err(e), Err(expected)) => prop_assert_eq!(e.to_string(), expected.to_string()),
            (parsed, checked) => prop_assert!(false, "parse {:?} but check {:?} for {}", parsed, checked, text),
        }
    }

    #[test]
    fn update_round_trips(u in update()) {
        let mut b = ExpressionBuilder::new();
        let text = b.update(&u);
        let mut p = placeholders(&b);
        match (p.update(&text), check_update_expression(&u)) {
            (Ok(parsed), Ok(())) => prop_assert_eq!(parsed, u),
            (Err(e), Err(expected)) => prop_assert_eq!(e.to_string(), expected.to_string()),
            (parsed, checked) => prop_assert!(false, "parse {:?} but check {:?} for {}", parsed, checked, text),
        }
    }

    #[test]
    fn parser_never_panics(text in "[a-z#:()\\[\\]0-9,.=<>+ -]{0,40}|(SET|REMOVE|ADD|DELETE|AND|OR|NOT|BETWEEN|IN|size|begins_with|if_not_exists|list_append| |a|#n|:v|\\(|\\)|,|=|\\+|\\[1\\]|\\.){0,20}") {
        let names = HashMap::from([("#n".to_string(), "n".to_string())]);
        let values = HashMap::from([(":v".to_string(), Value::from(1))]);
        let mut p = Placeholders::new(Some(names), Some(values)).expect("placeholders");
        let _ = p.condition(&text, "ConditionExpression");
        let _ = p.update(&text);
        let _ = p.projection(&text);
        let _ = p.key_condition(&text, &["pk"], &["sk"]);
        let _ = p.finish();
    }
}
