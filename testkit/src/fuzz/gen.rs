//! The seeded generator: a small PRNG and random operations over a tiny key space.

use std::collections::{BTreeMap, BTreeSet};

use monotable_core::expr::{
    Comparator, Condition, KeyCondition, Operand, Path, SetValue, SortKeyCondition, Update,
    UpdateAction, UpdateOperand,
};
use monotable_core::{
    DeleteItem, GetItem, Item, Number, Projection, PutItem, ReturnValues, Segment,
    TransactWriteItem, UpdateItem, Value, ValueType, WriteRequest,
};

use super::{Op, QueryOp, ScanOp, Sequence};

/// SplitMix64: small, fast, and the same on every platform.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for this seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with this chance, in percent.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    /// One element of a non-empty slice.
    pub fn pick<T: Clone>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())].clone()
    }
}

/// The seed of sequence `i` of a campaign with seed `seed`.
pub fn sequence_seed(seed: u64, i: u64) -> u64 {
    Rng::new(seed ^ i.wrapping_mul(0xD6E8_FEB8_6659_FD93)).next_u64()
}

const PKS: [&str; 2] = ["p1", "p2"];
const SKS: [&str; 3] = ["s1", "s2", "s3"];
const GPS: [&str; 2] = ["g1", "g2"];
const ATTRS: [&str; 3] = ["a", "b", "c"];

fn n(text: &str) -> Value {
    Value::N(Number::parse(text).expect("a valid number"))
}

/// A random value of any type; `depth` bounds nesting.
pub fn value(rng: &mut Rng, depth: usize) -> Value {
    let kinds = if depth == 0 { 8 } else { 10 };
    match rng.below(kinds) {
        0 => Value::S(rng.pick(&["x", "xy", "s1", "g1", "y"]).to_string()),
        1 => n(rng.pick(&["0", "1", "2", "-1.5", "1e2", "12345678901234567890"])),
        2 => Value::B(rng.pick(&[vec![1u8], vec![1, 2], vec![0xff]])),
        3 => Value::Bool(rng.chance(50)),
        4 => Value::Null,
        5 => Value::Ss(
            rng.pick(&[&["x"][..], &["x", "y"][..], &["y"][..]])
                .iter()
                .map(|s| s.to_string())
                .collect(),
        ),
        6 => Value::Ns(
            rng.pick(&[&["1"][..], &["1", "2"][..], &["3"][..]])
                .iter()
                .map(|s| Number::parse(s).expect("a valid number"))
                .collect(),
        ),
        7 => Value::Bs(
            rng.pick(&[&[1u8][..], &[2u8][..]])
                .iter()
                .map(|b| vec![*b])
                .collect(),
        ),
        8 => Value::L((0..rng.below(3)).map(|_| value(rng, depth - 1)).collect()),
        _ => Value::M(
            (0..rng.below(3))
                .map(|_| (rng.pick(&["x", "y"]).to_string(), value(rng, depth - 1)))
                .collect::<BTreeMap<_, _>>(),
        ),
    }
}

/// A value that DynamoDB rejects or that stresses a limit, now and then.
fn odd_value(rng: &mut Rng) -> Value {
    match rng.below(5) {
        0 => Value::Ss(BTreeSet::new()),
        1 => Value::S(String::new()),
        2 => n("9.9999999999999999999999999999999999999E+125"),
        3 => Value::S("k".repeat(1025)),
        _ => Value::B(Vec::new()),
    }
}

fn attr_value(rng: &mut Rng) -> Value {
    if rng.chance(3) {
        odd_value(rng)
    } else {
        value(rng, 2)
    }
}

fn key_string(rng: &mut Rng, space: &[&str]) -> Value {
    match rng.below(100) {
        0 => Value::S(String::new()),
        1 => n("1"),
        _ => Value::S(rng.pick(space).to_string()),
    }
}

fn key(rng: &mut Rng) -> Item {
    let mut k = Item::new()
        .with("pk", key_string(rng, &PKS))
        .with("sk", key_string(rng, &SKS));
    match rng.below(100) {
        0 => {
            k.remove("sk");
        }
        1 => {
            k.insert("a".into(), Value::S("x".into()));
        }
        _ => {}
    }
    k
}

fn item(rng: &mut Rng) -> Item {
    let mut it = key(rng);
    for name in ATTRS {
        if rng.chance(50) {
            it.insert(name.into(), attr_value(rng));
        }
    }
    if rng.chance(60) {
        let v = if rng.chance(95) {
            Value::S(rng.pick(&GPS).to_string())
        } else {
            value(rng, 0)
        };
        it.insert("gp".into(), v);
    }
    for name in ["gs", "ls"] {
        if rng.chance(60) {
            let v = if rng.chance(95) {
                n(rng.pick(&["1", "2"]))
            } else {
                value(rng, 0)
            };
            it.insert(name.into(), v);
        }
    }
    it
}

/// A document path: usually a plain attribute, sometimes nested, now and then a key.
pub fn path(rng: &mut Rng) -> Path {
    let root = match rng.below(100) {
        0..=59 => rng.pick(&ATTRS),
        60..=89 => rng.pick(&["gp", "gs", "ls"]),
        _ => rng.pick(&["pk", "sk"]),
    };
    let mut p = Path::attr(root);
    for _ in 0..rng.pick(&[0, 0, 0, 1, 1, 2]) {
        p = if rng.chance(50) {
            p.key(rng.pick(&["x", "y"]))
        } else {
            p.index(rng.below(2))
        };
    }
    p
}

fn operand(rng: &mut Rng) -> Operand {
    match rng.below(10) {
        0..=2 => Operand::Path(path(rng)),
        3 => Operand::Size(path(rng)),
        _ => Operand::Value(scalar_or_any(rng)),
    }
}

fn scalar_or_any(rng: &mut Rng) -> Value {
    if rng.chance(70) {
        match rng.below(3) {
            0 => Value::S(rng.pick(&["x", "xy", "s1", "s2", "g1"]).to_string()),
            1 => n(rng.pick(&["0", "1", "2", "3"])),
            _ => Value::B(vec![1]),
        }
    } else {
        value(rng, 1)
    }
}

/// A random condition or filter.
pub fn condition(rng: &mut Rng, depth: usize) -> Condition {
    let kinds = if depth == 0 { 9 } else { 12 };
    match rng.below(kinds) {
        0 | 1 => Condition::Compare {
            left: if rng.chance(80) {
                Operand::Path(path(rng))
            } else {
                operand(rng)
            },
            op: rng.pick(&[
                Comparator::Eq,
                Comparator::Ne,
                Comparator::Lt,
                Comparator::Le,
                Comparator::Gt,
                Comparator::Ge,
            ]),
            right: operand(rng),
        },
        2 => Condition::Between {
            value: Operand::Path(path(rng)),
            low: operand(rng),
            high: operand(rng),
        },
        3 => Condition::In {
            value: Operand::Path(path(rng)),
            list: (0..1 + rng.below(3)).map(|_| operand(rng)).collect(),
        },
        4 => Condition::BeginsWith {
            path: path(rng),
            prefix: operand(rng),
        },
        5 => Condition::Contains {
            path: path(rng),
            operand: operand(rng),
        },
        6 => Condition::AttributeExists(path(rng)),
        7 => Condition::AttributeNotExists(path(rng)),
        8 => Condition::AttributeType {
            path: path(rng),
            value_type: Operand::Value(Value::S(
                rng.pick(&[
                    ValueType::S,
                    ValueType::N,
                    ValueType::M,
                    ValueType::L,
                    ValueType::Ss,
                ])
                .name()
                .to_string(),
            )),
        },
        9 => condition(rng, depth - 1).and(condition(rng, depth - 1)),
        10 => condition(rng, depth - 1).or(condition(rng, depth - 1)),
        _ => condition(rng, depth - 1).negate(),
    }
}

fn maybe_condition(rng: &mut Rng, percent: u64) -> Option<Condition> {
    rng.chance(percent).then(|| condition(rng, 1))
}

fn update_operand(rng: &mut Rng, depth: usize) -> UpdateOperand {
    match rng.below(if depth == 0 { 2 } else { 4 }) {
        0 => UpdateOperand::Value(if rng.chance(30) {
            Value::L(vec![value(rng, 0)])
        } else {
            attr_value(rng)
        }),
        1 => UpdateOperand::Path(path(rng)),
        2 => UpdateOperand::IfNotExists(path(rng), Box::new(update_operand(rng, 0))),
        _ => UpdateOperand::ListAppend(
            Box::new(update_operand(rng, 0)),
            Box::new(update_operand(rng, 0)),
        ),
    }
}

fn number_operand(rng: &mut Rng) -> UpdateOperand {
    if rng.chance(50) {
        UpdateOperand::Value(if rng.chance(90) {
            n(rng.pick(&[
                "1",
                "-2",
                "0.5",
                "9.9999999999999999999999999999999999999E+125",
            ]))
        } else {
            value(rng, 0)
        })
    } else {
        UpdateOperand::Path(path(rng))
    }
}

/// A random update of one to three actions, every kind.
pub fn update(rng: &mut Rng) -> Update {
    let mut u = Update::new();
    for _ in 0..1 + rng.below(3) {
        let p = path(rng);
        let action = match rng.below(8) {
            0..=2 => UpdateAction::Set(p, SetValue::Operand(update_operand(rng, 1))),
            3 => {
                let (a, b) = (number_operand(rng), number_operand(rng));
                if rng.chance(50) {
                    UpdateAction::Set(p, SetValue::Plus(a, b))
                } else {
                    UpdateAction::Set(p, SetValue::Minus(a, b))
                }
            }
            4 | 5 => UpdateAction::Remove(p),
            6 => UpdateAction::Add(
                p,
                match rng.below(5) {
                    0 | 1 => {
                        n(rng.pick(&["1", "-1", "9.9999999999999999999999999999999999999E+125"]))
                    }
                    2 => value(rng, 0),
                    _ => set_value(rng),
                },
            ),
            _ => UpdateAction::Delete(
                p,
                if rng.chance(90) {
                    set_value(rng)
                } else {
                    value(rng, 0)
                },
            ),
        };
        u = u.action(action);
    }
    u
}

fn set_value(rng: &mut Rng) -> Value {
    loop {
        let v = value(rng, 0);
        if matches!(v, Value::Ss(_) | Value::Ns(_) | Value::Bs(_)) {
            return v;
        }
    }
}

fn projection(rng: &mut Rng, percent: u64) -> Option<Vec<Path>> {
    rng.chance(percent).then(|| {
        let mut out: Vec<Path> = Vec::new();
        for _ in 0..1 + rng.below(3) {
            let p = if rng.chance(20) {
                Path::attr(rng.pick(&["pk", "sk"]))
            } else {
                path(rng)
            };
            out.push(p);
        }
        out
    })
}

fn return_values(rng: &mut Rng, all: bool) -> ReturnValues {
    match rng.below(if all { 5 } else { 3 }) {
        0 => ReturnValues::None,
        1 => ReturnValues::AllOld,
        2 if !all => ReturnValues::AllNew,
        2 => ReturnValues::AllNew,
        3 => ReturnValues::UpdatedOld,
        _ => ReturnValues::UpdatedNew,
    }
}

fn index(rng: &mut Rng) -> Option<String> {
    match rng.below(3) {
        0 => None,
        1 => Some("gsi".into()),
        _ => Some("lsi".into()),
    }
}

fn sort_condition(rng: &mut Rng, string_key: bool) -> SortKeyCondition {
    let v = |rng: &mut Rng| {
        if rng.chance(3) {
            value(rng, 0)
        } else if string_key {
            Value::S(rng.pick(&["s1", "s2", "s3", "s"]).to_string())
        } else {
            n(rng.pick(&["1", "2", "0"]))
        }
    };
    match rng.below(7) {
        0 => SortKeyCondition::Eq(v(rng)),
        1 => SortKeyCondition::Lt(v(rng)),
        2 => SortKeyCondition::Le(v(rng)),
        3 => SortKeyCondition::Gt(v(rng)),
        4 => SortKeyCondition::Ge(v(rng)),
        5 => {
            let (a, b) = (v(rng), v(rng));
            SortKeyCondition::Between(a, b)
        }
        _ => SortKeyCondition::BeginsWith(v(rng)),
    }
}

fn query(rng: &mut Rng) -> QueryOp {
    let index = index(rng);
    let partition = match index.as_deref() {
        Some("gsi") => key_string(rng, &GPS),
        _ => key_string(rng, &PKS),
    };
    let sort = rng.chance(50).then(|| sort_condition(rng, index.is_none()));
    QueryOp {
        index,
        key_condition: KeyCondition {
            partition: vec![partition],
            sort_prefix: Vec::new(),
            sort,
        },
        filter: maybe_condition(rng, 30),
        projection: projection(rng, 30),
        forward: rng.chance(75),
        limit: rng.chance(35).then(|| 1 + rng.below(3) as u32),
        resume: rng.chance(30),
        count_only: rng.chance(8),
        consistent_read: rng.chance(8),
    }
}

fn scan(rng: &mut Rng) -> ScanOp {
    ScanOp {
        index: index(rng),
        filter: maybe_condition(rng, 30),
        projection: projection(rng, 30),
        limit: rng.chance(35).then(|| 1 + rng.below(3) as u32),
        resume: rng.chance(30),
        segment: rng.chance(10).then(|| Segment {
            segment: rng.below(2) as u32,
            total: 2,
        }),
        count_only: rng.chance(8),
        consistent_read: rng.chance(8),
    }
}

fn transact_item(rng: &mut Rng) -> TransactWriteItem {
    let return_old = rng.chance(30);
    match rng.below(4) {
        0 => TransactWriteItem::Put {
            item: item(rng),
            condition: maybe_condition(rng, 50),
            return_old_on_condition_failure: return_old,
        },
        1 => TransactWriteItem::Update {
            key: key(rng),
            update: update(rng),
            condition: maybe_condition(rng, 50),
            return_old_on_condition_failure: return_old,
        },
        2 => TransactWriteItem::Delete {
            key: key(rng),
            condition: maybe_condition(rng, 50),
            return_old_on_condition_failure: return_old,
        },
        _ => TransactWriteItem::ConditionCheck {
            key: key(rng),
            condition: condition(rng, 1),
            return_old_on_condition_failure: return_old,
        },
    }
}

/// One random operation.
pub fn op(rng: &mut Rng) -> Op {
    match rng.below(20) {
        0..=3 => Op::Put(PutItem {
            item: item(rng),
            condition: maybe_condition(rng, 40),
            return_values: return_values(rng, false),
            return_old_on_condition_failure: rng.chance(30),
        }),
        4..=6 => Op::Update(UpdateItem {
            key: key(rng),
            update: if rng.chance(5) {
                Update::new()
            } else {
                update(rng)
            },
            condition: maybe_condition(rng, 40),
            return_values: return_values(rng, true),
            return_old_on_condition_failure: rng.chance(30),
        }),
        7 => Op::Delete(DeleteItem {
            key: key(rng),
            condition: maybe_condition(rng, 40),
            return_values: return_values(rng, false),
            return_old_on_condition_failure: rng.chance(30),
        }),
        8 | 9 => Op::Get(GetItem {
            key: key(rng),
            projection: projection(rng, 50),
            consistent_read: rng.chance(50),
        }),
        10..=12 => Op::Query(query(rng)),
        13 | 14 => Op::Scan(scan(rng)),
        15 => Op::BatchGet(
            (0..1 + rng.below(3)).map(|_| key(rng)).collect(),
            projection(rng, 30),
        ),
        16 => Op::BatchWrite(
            (0..1 + rng.below(3))
                .map(|_| {
                    if rng.chance(70) {
                        WriteRequest::Put(item(rng))
                    } else {
                        WriteRequest::Delete(key(rng))
                    }
                })
                .collect(),
        ),
        17 | 18 => Op::TransactWrite((0..1 + rng.below(3)).map(|_| transact_item(rng)).collect()),
        _ => Op::TransactGet((0..1 + rng.below(3)).map(|_| key(rng)).collect()),
    }
}

fn index_projection(rng: &mut Rng) -> Projection {
    match rng.below(3) {
        0 => Projection::All,
        1 => Projection::KeysOnly,
        _ => Projection::Include(vec!["a".into()]),
    }
}

/// A sequence of `len` operations over a table whose index projections are chosen too.
pub fn sequence(seed: u64, len: usize) -> Sequence {
    let mut rng = Rng::new(seed);
    let gsi = index_projection(&mut rng);
    let lsi = index_projection(&mut rng);
    let mut ops = Vec::with_capacity(len);
    // Start with a few puts so that reads find something.
    for _ in 0..len.min(4) {
        ops.push(Op::Put(PutItem {
            item: item(&mut rng),
            ..PutItem::default()
        }));
    }
    while ops.len() < len {
        ops.push(op(&mut rng));
    }
    Sequence { gsi, lsi, ops }
}
