//! Order-preserving byte encoding of key values, so that an ordered byte store (a
//! `BTreeMap<Vec<u8>, _>`, an SQLite `BLOB` primary key) orders keys exactly as DynamoDB:
//! strings by UTF-8 bytes, numbers by value, binary by unsigned bytes.
//!
//! Every encoded value is self-delimiting, so a composite key (partition, then sort) is the
//! concatenation of its encoded parts and still orders part by part.

use crate::value::Value;

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
                out.extend(digits.iter().map(|d| !(b'0' + d)));
                out.push(0xFF);
            } else {
                out.push(0x03);
                out.extend_from_slice(&exp.to_be_bytes());
                out.extend(digits.iter().map(|d| b'0' + d));
                out.push(0x00);
            }
        }
        _ => {}
    }
}

/// The encoding of one key value.
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
