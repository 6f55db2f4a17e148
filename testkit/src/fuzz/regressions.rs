//! Every disagreement the fuzzer found, shrunk, kept as a sequence that both sides of every
//! pair must now agree on. Each names the class it guards.

use super::{Op, Sequence};
use monotable_core::{Projection, PutItem};

/// The regression sequences, by name.
pub fn cases() -> Vec<(&'static str, Sequence)> {
    vec![("put_then_scan", put_then_scan())]
}

fn put_then_scan() -> Sequence {
    Sequence {
        gsi: Projection::All,
        lsi: Projection::All,
        ops: vec![Op::Put(PutItem {
            item: [("pk", "p1"), ("sk", "s1")].into(),
            ..PutItem::default()
        })],
    }
}
