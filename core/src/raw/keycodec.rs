//! Order-preserving byte encoding of key values, so that an ordered byte store (a
//! `BTreeMap<Vec<u8>, _>`, an SQLite `BLOB` primary key) orders keys exactly as DynamoDB:
//! strings by UTF-8 bytes, numbers by value, binary by unsigned bytes.
//!
//! Every encoded value is self-delimiting, so a composite key (partition, then sort) is the
//! concatenation of its encoded parts and still orders part by part.

use crate::item::Value;

const TAG_S: u8 = 0x01;
const TAG_B: u8 = 0x02;
const TAG_N: u8 = 0x03;

fn escape_into(out: &mut Vec<u8>, bytes: &[u8]) {
    for &b in bytes {
        out.push(b);
        if b == 0 {
            out.push(0xFF);
        }
    }
}

/// Appends the encoding of a key value (S, N or B) to `out`. Other types do not occur in
/// keys; they encode as nothing.
///
/// ```
/// use monotable_core::raw::keycodec::encode_into;
/// let pair = |pk: &str, sk: &str| {
///     let mut key = Vec::new();
///     encode_into(&mut key, &pk.into());
///     encode_into(&mut key, &sk.into());
///     key
/// };
/// // Each part is self-delimiting, so a pair orders part by part ("az" > "aba" as text).
/// assert!(pair("a", "z") < pair("ab", "a"));
/// ```
pub fn encode_into(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::S(s) => {
            out.push(TAG_S);
            escape_into(out, s.as_bytes());
            out.extend_from_slice(&[0x00, 0x01]);
        }
        Value::B(b) => {
            out.push(TAG_B);
            escape_into(out, b);
            out.extend_from_slice(&[0x00, 0x01]);
        }
        Value::N(n) => {
            out.push(TAG_N);
            if n.is_zero() {
                out.push(0x02);
                return;
            }
            let (digits, exponent) = n.parts();
            let exp = (exponent + 0x4000) as u16;
            if n.is_negative() {
                out.push(0x01);
                out.extend_from_slice(&(!exp).to_be_bytes());
                out.extend(digits.map(|d| !(b'0' + d)));
                out.push(0xFF);
            } else {
                out.push(0x03);
                out.extend_from_slice(&exp.to_be_bytes());
                out.extend(digits.map(|d| b'0' + d));
                out.push(0x00);
            }
        }
        _ => {}
    }
}

/// DynamoDB's own byte form of a number (`LocalDBUtils.encodeBigDecimal` in DynamoDB
/// Local): zero is `0x80`; otherwise a byte for the base-100 exponent, then one byte per
/// base-100 digit pair aligned on the decimal point (`p + 1`, or `101 - p` and the exponent
/// byte inverted for negatives, which end with `102` below 20 pairs). Order-preserving; its
/// length is the number's size in DynamoDB's item-size accounting.
pub fn dynamodb_number_bytes(n: &crate::Number) -> Vec<u8> {
    if n.is_zero() {
        return vec![0x80];
    }
    let (digits, exponent) = n.parts();
    // Align on the decimal point: an odd exponent gets a leading zero digit.
    let mut padded: Vec<u8> = Vec::with_capacity(digits.len() + 2);
    let mut e = exponent;
    if e.rem_euclid(2) != 0 {
        padded.push(0);
        e += 1;
    }
    padded.extend(digits);
    if padded.len() % 2 != 0 {
        padded.push(0);
    }
    let pairs: Vec<u8> = padded.chunks(2).map(|c| c[0] * 10 + c[1]).collect();
    let head = (192 + e / 2) as u8;
    let mut out = Vec::with_capacity(pairs.len() + 2);
    if n.is_negative() {
        out.push(!head);
        out.extend(pairs.iter().map(|p| 101 - p));
        if pairs.len() < 20 {
            out.push(102);
        }
    } else {
        out.push(head);
        out.extend(pairs.iter().map(|p| p + 1));
    }
    out
}

/// The bytes DynamoDB Local hashes for a key value: UTF-8 of a string, the bytes of a
/// binary, [`dynamodb_number_bytes`] of a number.
fn raw_bytes(v: &Value) -> std::borrow::Cow<'_, [u8]> {
    match v {
        Value::S(s) => s.as_bytes().into(),
        Value::B(b) => b.as_slice().into(),
        Value::N(n) => dynamodb_number_bytes(n).into(),
        _ => (&[][..]).into(),
    }
}

/// DynamoDB Local's hash of a key value, `SHA1("LocalDdb" || bytes)`: it orders a Scan's
/// partitions, assigns parallel-scan segments, and (combined) orders index ties.
///
/// ```
/// use monotable_core::raw::keycodec::local_hash;
/// use monotable_core::Value;
/// // DynamoDB Local scans partitions p0..p5 in this order.
/// let mut partitions = ["p0", "p1", "p2", "p3", "p4", "p5"].map(Value::from);
/// partitions.sort_by_key(local_hash);
/// assert_eq!(partitions, ["p3", "p0", "p2", "p5", "p1", "p4"].map(Value::from));
/// ```
pub fn local_hash(v: &Value) -> [u8; 20] {
    use sha1::{Digest, Sha1};
    let mut h = Sha1::new();
    h.update(b"LocalDdb");
    h.update(raw_bytes(v));
    h.finalize().into()
}

/// DynamoDB Local's order of items with equal index keys: `SHA1("LocalDdb" || H(pk) ||
/// H(sk))` for a table with a sort key, `H(pk)` without one.
pub fn local_tie(pk: &Value, sk: Option<&Value>) -> [u8; 20] {
    use sha1::{Digest, Sha1};
    match sk {
        None => local_hash(pk),
        Some(sk) => {
            let mut h = Sha1::new();
            h.update(b"LocalDdb");
            h.update(local_hash(pk));
            h.update(local_hash(sk));
            h.finalize().into()
        }
    }
}

/// The parallel-scan segment of a partition-key hash, as DynamoDB Local assigns it:
/// `min(H / ((2^160 - 1) / total), total - 1)`.
pub fn local_segment(hash: &[u8; 20], total: u32) -> u32 {
    use num_bigint::BigUint;
    let h = BigUint::from_bytes_be(hash);
    let max = (BigUint::from(1u8) << 160u32) - 1u32;
    let width = max / BigUint::from(total.max(1));
    let s = h / width;
    u32::try_from(s)
        .unwrap_or(u32::MAX)
        .min(total.saturating_sub(1))
}

/// The encoding of one key value.
///
/// ```
/// use monotable_core::raw::keycodec::encode;
/// use monotable_core::Value;
/// // Numbers order by value, strings by UTF-8 bytes, as DynamoDB orders keys.
/// assert!(encode(&Value::from(-5)) < encode(&Value::from(2)));
/// assert!(encode(&Value::from(2)) < encode(&Value::from(10)));
/// assert!(encode(&Value::from("Z")) < encode(&Value::from("a")));
/// assert!(encode(&Value::from("a")) < encode(&Value::from("a\0")));
/// ```
pub fn encode(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    encode_into(&mut out, v);
    out
}

/// The encoding of a `begins_with` prefix: every key value of the same type that starts with
/// `prefix` has an encoding that starts with this.
pub fn encode_prefix(prefix: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    match prefix {
        Value::S(s) => {
            out.push(TAG_S);
            escape_into(&mut out, s.as_bytes());
        }
        Value::B(b) => {
            out.push(TAG_B);
            escape_into(&mut out, b);
        }
        other => encode_into(&mut out, other),
    }
    out
}

/// The smallest byte string greater than every string that starts with `prefix`, or `None`
/// if there is none (the prefix is all `0xFF`).
pub fn prefix_successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut out = prefix.to_vec();
    while let Some(last) = out.pop() {
        if last < 0xFF {
            out.push(last + 1);
            return Some(out);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash_order(values: &[Value]) -> Vec<Value> {
        let mut v = values.to_vec();
        v.sort_by_key(local_hash);
        v
    }

    #[test]
    fn local_hash_orders_partitions_as_dynamodb_local() {
        // scan-order: p3, p0, p2, p5, p1, p4.
        let s: Vec<Value> = ["p0", "p1", "p2", "p3", "p4", "p5"]
            .map(Value::from)
            .to_vec();
        assert_eq!(
            hash_order(&s),
            ["p3", "p0", "p2", "p5", "p1", "p4"]
                .map(Value::from)
                .to_vec()
        );
        // scan-order-N-hash-keys.
        let order = [
            "1",
            "7",
            "12345678901234567890",
            "-0.001",
            "100",
            "0",
            "99999999999999999999999999999999999999",
            "1.5",
            "-1",
            "1000",
        ];
        let n: Vec<Value> = order.iter().map(|x| Value::number(x).unwrap()).collect();
        let mut shuffled = n.clone();
        shuffled.reverse();
        assert_eq!(hash_order(&shuffled), n);
        // scan-order-B-hash-keys: /w==, YWJj, AA==, AQ==, gAA=.
        let b: Vec<Value> = [
            vec![0xff],
            b"abc".to_vec(),
            vec![0x00],
            vec![0x01],
            vec![0x80, 0x00],
        ]
        .map(Value::B)
        .to_vec();
        let mut shuffled = b.clone();
        shuffled.rotate_left(2);
        assert_eq!(hash_order(&shuffled), b);
    }

    #[test]
    fn number_bytes_length_is_the_item_size() {
        for t in [
            "1",
            "12",
            "123",
            "0.015",
            "-1",
            "-123",
            "12345678901234567890",
            "0",
            "1E-130",
            "9.9999999999999999999999999999999999999E+125",
        ] {
            let n = crate::Number::parse(t).unwrap();
            assert_eq!(dynamodb_number_bytes(&n).len(), n.storage_size(), "{t}");
        }
    }

    #[test]
    fn strings_order_by_utf8_bytes() {
        let order = [
            "", "\u{0}", "\u{1}", " ", "#", "A", "a", "a\u{0}", "a ", "aa", "é", "\u{e000}",
            "\u{ffff}", "😀",
        ];
        let enc: Vec<_> = order
            .iter()
            .skip(1)
            .map(|s| encode(&Value::from(*s)))
            .collect();
        for w in enc.windows(2) {
            assert!(w[0] < w[1]);
        }
    }

    #[test]
    fn numbers_order_by_value() {
        let order = [
            "-9.99E+125",
            "-100",
            "-10",
            "-1.23",
            "-1.2",
            "-1E-130",
            "0",
            "1E-130",
            "0.5",
            "1",
            "1.2",
            "1.23",
            "10",
            "9.99E+125",
        ];
        let enc: Vec<_> = order
            .iter()
            .map(|s| encode(&Value::number(s).unwrap()))
            .collect();
        for (i, w) in enc.windows(2).enumerate() {
            assert!(w[0] < w[1], "{} < {}", order[i], order[i + 1]);
        }
    }

    #[test]
    fn composite_keys_order_part_by_part() {
        let k = |a: &str, b: &str| {
            let mut v = encode(&Value::from(a));
            encode_into(&mut v, &Value::from(b));
            v
        };
        assert!(k("a", "z") < k("aa", "a"));
        assert!(k("a", "\u{0}") > k("a", ""));
        let bytes = |b: &[u8]| encode(&Value::B(b.to_vec()));
        assert!(bytes(&[0x00]) < bytes(&[0x00, 0x00]));
        assert!(bytes(&[0x7f]) < bytes(&[0x80]));
        assert!(bytes(&[0xff]) < bytes(&[0xff, 0x00]));
    }
}
