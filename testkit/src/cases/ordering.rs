//! Sort-key ordering (semantics §1, R1–R11).

use monotable_core::{Item, Scan, SortKeyCondition, Value};

use crate::fixtures::*;
use crate::Harness;

fn strings() -> Vec<&'static str> {
    vec![
        "\u{1}", " ", "!", "#", "0", "9", "A", "B", "Z", "_", "a", "a\u{0}", "a ", "a#b", "a$",
        "aa", "ab", "b", "z", "~", "\u{7f}", "é", "ÿ", "Ā", "\u{e000}", "｡", "\u{ffff}", "😀",
    ]
}

/// String sort keys order by UTF-8 bytes (code points), not UTF-16 units or locale (R1, R2).
pub async fn strings_order_by_utf8_bytes(h: &Harness) {
    let repo = h.app().await;
    let mut shuffled = strings();
    shuffled.reverse();
    shuffled.rotate_left(7);
    seed(
        &*repo,
        "p",
        &shuffled.iter().map(|x| s(x)).collect::<Vec<_>>(),
    )
    .await;
    let page = query(&*repo, q("p")).await;
    let expected: Vec<Value> = strings().into_iter().map(s).collect();
    assert_eq!(sks(&page), expected);
}

/// `sk < '😀'` includes every BMP character, U+FFFF too: byte order, not UTF-16 (R1).
pub async fn emoji_sorts_after_bmp(h: &Harness) {
    let repo = h.app().await;
    seed(
        &*repo,
        "p",
        &strings().into_iter().map(s).collect::<Vec<_>>(),
    )
    .await;
    let page = query(&*repo, qs("p", SortKeyCondition::Lt(s("😀")))).await;
    assert_eq!(page.count, strings().len() - 1);
}

/// No Unicode normalisation: precomposed and decomposed é are different keys (R3).
pub async fn no_unicode_normalisation(h: &Harness) {
    let repo = h.app().await;
    seed(&*repo, "p", &[s("\u{e9}"), s("e\u{301}")]).await;
    let page = query(&*repo, qs("p", SortKeyCondition::BeginsWith(s("e")))).await;
    assert_eq!(sks(&page), vec![s("e\u{301}")]);
    assert_eq!(query(&*repo, q("p")).await.count, 2);
}

fn numbers() -> Vec<&'static str> {
    vec![
        "-9.99E+125",
        "-99999999999999999999999999999999999999",
        "-10",
        "-2.5",
        "-1",
        "-0.5",
        "-1E-130",
        "0",
        "1E-130",
        "0.001",
        "0.5",
        "1",
        "2",
        "10",
        "1000",
        "1000.5",
        "9.99E+125",
    ]
}

/// Number sort keys order by value across sign, magnitude and scale (R4).
pub async fn numbers_order_by_value(h: &Harness) {
    let repo = h.table(numeric_schema()).await;
    let mut shuffled = numbers();
    shuffled.reverse();
    shuffled.rotate_left(5);
    seed(
        &*repo,
        "p",
        &shuffled.iter().map(|x| n(x)).collect::<Vec<_>>(),
    )
    .await;
    let page = query(&*repo, q("p")).await;
    assert_eq!(sks(&page), numbers().into_iter().map(n).collect::<Vec<_>>());
}

/// Number keys are equal by value: `1.000` replaces `1`; `1000` finds `1e3` (R5).
pub async fn number_keys_equal_by_value(h: &Harness) {
    let repo = h.table(numeric_schema()).await;
    for text in ["1", "1.000", "1e3"] {
        put(
            &*repo,
            Item::new()
                .with("pk", "p")
                .with("sk", n(text))
                .with("orig", text),
        )
        .await;
    }
    let page = query(&*repo, q("p")).await;
    assert_eq!(page.count, 2);
    assert_eq!(get(&*repo, "p", n("1")).await.unwrap()["orig"], s("1.000"));
    assert_eq!(get(&*repo, "p", n("1000")).await.unwrap()["orig"], s("1e3"));
}

/// Numbers come back canonical: no exponent, no `+`, no trailing zeros (R6).
pub async fn numbers_come_back_canonical(h: &Harness) {
    let repo = h.table(numeric_schema()).await;
    put(
        &*repo,
        Item::new()
            .with("pk", "p")
            .with("sk", n("1e3"))
            .with("v", n("+0.10")),
    )
    .await;
    let item = get(&*repo, "p", n("1000")).await.unwrap();
    assert_eq!(item["sk"].as_n().unwrap().to_string(), "1000");
    assert_eq!(item["v"].as_n().unwrap().to_string(), "0.1");
}

fn binaries() -> Vec<Vec<u8>> {
    vec![
        vec![0x00],
        vec![0x00, 0x00],
        vec![0x01],
        vec![0x41],
        vec![0x61],
        vec![0x7f],
        vec![0x80],
        vec![0x80, 0x00],
        vec![0xfe, 0xff],
        vec![0xff],
        vec![0xff, 0x00],
    ]
}

/// Binary sort keys order as unsigned bytes, shorter prefix first (R7).
pub async fn binary_orders_unsigned(h: &Harness) {
    let repo = h.table(binary_schema()).await;
    let mut shuffled = binaries();
    shuffled.reverse();
    seed(
        &*repo,
        "p",
        &shuffled.into_iter().map(Value::B).collect::<Vec<_>>(),
    )
    .await;
    let page = query(&*repo, q("p")).await;
    assert_eq!(
        sks(&page),
        binaries().into_iter().map(Value::B).collect::<Vec<_>>()
    );
    let gt = query(&*repo, qs("p", SortKeyCondition::Gt(Value::B(vec![0x7f])))).await;
    assert_eq!(gt.count, 5);
}

/// `begins_with` on binary keys is a byte-prefix test (R8).
pub async fn binary_begins_with(h: &Harness) {
    let repo = h.table(binary_schema()).await;
    seed(
        &*repo,
        "p",
        &binaries().into_iter().map(Value::B).collect::<Vec<_>>(),
    )
    .await;
    let page = query(
        &*repo,
        qs("p", SortKeyCondition::BeginsWith(Value::B(vec![0xff]))),
    )
    .await;
    assert_eq!(
        sks(&page),
        vec![Value::B(vec![0xff]), Value::B(vec![0xff, 0x00])]
    );
}

/// Descending order is the exact reverse of ascending, for S, N and B (R9).
pub async fn descending_is_exact_reverse(h: &Harness) {
    let strings: Vec<Value> = strings().into_iter().map(s).collect();
    let numbers: Vec<Value> = numbers().into_iter().map(n).collect();
    let binaries: Vec<Value> = binaries().into_iter().map(Value::B).collect();
    for (schema, ascending) in [
        (crate::fixtures::app_schema(), strings),
        (numeric_schema(), numbers),
        (binary_schema(), binaries),
    ] {
        let repo = h.table(schema).await;
        seed(&*repo, "p", &ascending).await;
        let mut desc = q("p");
        desc.forward = false;
        let mut expected = ascending;
        expected.reverse();
        assert_eq!(sks(&query(&*repo, desc).await), expected);
    }
}

/// A scan returns each partition's items together and in sort-key order (R10).
pub async fn scan_keeps_partitions_contiguous(h: &Harness) {
    let repo = h.app().await;
    for p in 0..6 {
        for sk in ["b", "a"] {
            put(&*repo, key(&format!("p{p}"), sk)).await;
        }
    }
    let page = repo.scan(Scan::default()).await.unwrap();
    assert_eq!(page.count, 12);
    let keys: Vec<(Value, Value)> = page
        .items
        .iter()
        .map(|i| (i["pk"].clone(), i["sk"].clone()))
        .collect();
    for pair in keys.chunks(2) {
        assert_eq!(pair[0].0, pair[1].0, "partition split: {keys:?}");
        assert_eq!((pair[0].1.clone(), pair[1].1.clone()), (s("a"), s("b")));
    }
}

/// `begins_with` on strings is a byte-prefix test, case-sensitive, and matches the prefix
/// itself (R11).
pub async fn string_begins_with_is_byte_prefix(h: &Harness) {
    let repo = h.app().await;
    seed(
        &*repo,
        "p",
        &strings().into_iter().map(s).collect::<Vec<_>>(),
    )
    .await;
    let page = query(&*repo, qs("p", SortKeyCondition::BeginsWith(s("a")))).await;
    assert_eq!(
        sks(&page),
        ["a", "a\u{0}", "a ", "a#b", "a$", "aa", "ab"]
            .into_iter()
            .map(s)
            .collect::<Vec<_>>()
    );
}
