//! DynamoDB numbers: exact decimals of up to 38 significant digits.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// Why a text is not a DynamoDB number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NumberError {
    /// Not of the accepted syntax (`+5`, `.5`, `1e3` are fine; `NaN`, ` 1`, `0x10` are not).
    #[error("A value provided cannot be converted into a number")]
    Syntax,
    /// More than 38 significant digits.
    #[error("DynamoDB only supports precision up to 38 digits")]
    Precision,
    /// Magnitude of 1E+126 or more.
    #[error(
        "Number overflow. Attempting to store a number with magnitude larger than supported range"
    )]
    Overflow,
    /// Magnitude below 1E-130 (and not zero).
    #[error("Number underflow. Attempting to store a number with magnitude smaller than supported range")]
    Underflow,
}

/// An exact DynamoDB number (type `N`).
///
/// Held in canonical form: `1.000`, `1e0` and `+1` are the same number and print as `1`.
/// Equality and ordering are by value.
///
/// The digits are held inline, two to a byte, so a number never allocates.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Number {
    /// The significant digits (0..=9) in packed BCD: digit `i` is the high nibble of
    /// `bcd[i / 2]` for even `i`, the low nibble for odd `i`. No leading or trailing zero
    /// digits; every nibble past the last digit is zero, so the derived `Eq` and `Hash` and
    /// the byte order of `bcd` are those of the digit sequence.
    bcd: [u8; BCD_BYTES],
    /// The number of significant digits; 0 for zero.
    len: u8,
    negative: bool,
    /// The value is `0.d1d2d3… × 10^exponent`: -129..=126, and 0 for zero.
    exponent: i16,
}

/// Largest number of significant digits DynamoDB stores.
pub const MAX_DIGITS: usize = 38;

/// Bytes of packed digits: two digits a byte.
const BCD_BYTES: usize = MAX_DIGITS.div_ceil(2);

/// The value of a byte of two packed digits.
#[inline]
fn pair_value(byte: u8) -> u8 {
    (byte >> 4) * 10 + (byte & 0x0F)
}

/// The byte of two packed digits of `pair` (0..=99).
#[inline]
fn pack_pair(pair: u8) -> u8 {
    ((pair / 10) << 4) | (pair % 10)
}

/// Sets digit `i` (0..=9) of packed digits whose nibbles from `i` on are still zero.
#[inline]
fn put_digit(bcd: &mut [u8; BCD_BYTES], i: usize, d: u8) {
    bcd[i / 2] |= (d << 4) >> ((i & 1) * 4);
}

/// Digit `i` of packed digits.
#[inline]
fn digit_at(bcd: &[u8; BCD_BYTES], i: usize) -> u8 {
    (bcd[i / 2] >> (4 - (i & 1) * 4)) & 0x0F
}

/// The significant digits of a [`Number`], most significant first (see [`Number::parts`]).
#[derive(Clone)]
struct Digits<'a> {
    bcd: &'a [u8; BCD_BYTES],
    front: usize,
    back: usize,
}

impl Iterator for Digits<'_> {
    type Item = u8;

    #[inline]
    fn next(&mut self) -> Option<u8> {
        if self.front == self.back {
            return None;
        }
        let d = digit_at(self.bcd, self.front);
        self.front += 1;
        Some(d)
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.back - self.front;
        (n, Some(n))
    }
}

impl DoubleEndedIterator for Digits<'_> {
    #[inline]
    fn next_back(&mut self) -> Option<u8> {
        if self.front == self.back {
            return None;
        }
        self.back -= 1;
        Some(digit_at(self.bcd, self.back))
    }
}

impl ExactSizeIterator for Digits<'_> {}

impl std::iter::FusedIterator for Digits<'_> {}

impl Number {
    /// Zero.
    pub fn zero() -> Self {
        Number {
            bcd: [0; BCD_BYTES],
            len: 0,
            negative: false,
            exponent: 0,
        }
    }

    /// Parses DynamoDB number text, checking precision and range.
    pub fn parse(text: &str) -> Result<Self, NumberError> {
        let bytes = text.as_bytes();
        let mut i = 0;
        let mut negative = false;
        if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
            negative = bytes[i] == b'-';
            i += 1;
        }
        // The mantissa is `bytes[start..end]`: digits with at most one point. Its digits are
        // counted, not copied: `lead` zeros first, significant digits up to the last nonzero.
        let start = i;
        let mut count: i64 = 0;
        let mut point: Option<i64> = None;
        let mut lead: Option<i64> = None;
        let mut last_nonzero: i64 = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'0' => count += 1,
                b'1'..=b'9' => {
                    lead.get_or_insert(count);
                    count += 1;
                    last_nonzero = count;
                }
                b'.' if point.is_none() => point = Some(count),
                _ => break,
            }
            i += 1;
        }
        let end = i;
        if count == 0 {
            return Err(NumberError::Syntax);
        }
        let mut exp: i64 = 0;
        if i < bytes.len() {
            if bytes[i] != b'e' && bytes[i] != b'E' {
                return Err(NumberError::Syntax);
            }
            i += 1;
            let mut exp_negative = false;
            if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
                exp_negative = bytes[i] == b'-';
                i += 1;
            }
            let digits_start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                exp = (exp * 10 + i64::from(bytes[i] - b'0')).min(1_000_000);
                i += 1;
            }
            if digits_start == i || i != bytes.len() {
                return Err(NumberError::Syntax);
            }
            if exp_negative {
                exp = -exp;
            }
        }
        let Some(lead) = lead else {
            return Ok(Number::zero());
        };
        let int_len = point.unwrap_or(count);
        // value = 0.mantissa × 10^(int_len + exp), then strip zeros.
        let exponent = int_len + exp - lead;
        let len = last_nonzero - lead;
        if len > MAX_DIGITS as i64 {
            return Err(NumberError::Precision);
        }
        if exponent > 126 {
            return Err(NumberError::Overflow);
        }
        if exponent < -129 {
            return Err(NumberError::Underflow);
        }
        // Pack the digits `lead..last_nonzero` of the mantissa (the point is not a digit).
        let mut bcd = [0u8; BCD_BYTES];
        let (lead, len) = (lead as usize, len as usize);
        let mut pos = 0;
        let mut k = 0;
        for &b in &bytes[start..end] {
            if b == b'.' {
                continue;
            }
            if pos >= lead {
                put_digit(&mut bcd, k, b - b'0');
                k += 1;
                if k == len {
                    break;
                }
            }
            pos += 1;
        }
        Ok(Number {
            bcd,
            len: len as u8,
            negative,
            exponent: exponent as i16,
        })
    }

    /// The number of an unsigned magnitude and a sign, without going through text.
    fn from_magnitude(negative: bool, magnitude: u64) -> Self {
        if magnitude == 0 {
            return Number::zero();
        }
        // The value has `n` digits; its trailing zeros are not significant.
        let n = magnitude.ilog10() + 1;
        let mut m = magnitude;
        let mut len = n as usize;
        while m % 10 == 0 {
            m /= 10;
            len -= 1;
        }
        // Place the digits from the lowest, two at a time once the rest pair up.
        let mut bcd = [0u8; BCD_BYTES];
        let mut p = len;
        if p % 2 == 1 {
            bcd[p / 2] = ((m % 10) as u8) << 4;
            m /= 10;
            p -= 1;
        }
        while p > 0 {
            bcd[p / 2 - 1] = pack_pair((m % 100) as u8);
            m /= 100;
            p -= 2;
        }
        Number {
            bcd,
            len: len as u8,
            negative,
            exponent: n as i16,
        }
    }

    /// True for zero.
    pub fn is_zero(&self) -> bool {
        self.len == 0
    }

    /// True below zero.
    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// The significant digits (each 0..=9, most significant first; none for zero) and the
    /// exponent `e` such that the magnitude is `0.d1d2… × 10^e`; used by order-preserving
    /// key encodings. The digits are read from the number's inline form, without allocating.
    pub fn parts(
        &self,
    ) -> (
        impl ExactSizeIterator<Item = u8> + DoubleEndedIterator + Clone + '_,
        i32,
    ) {
        let digits = Digits {
            bcd: &self.bcd,
            front: 0,
            back: usize::from(self.len),
        };
        (digits, i32::from(self.exponent))
    }

    /// Digit `i` (below `len`).
    #[inline]
    fn digit(&self, i: usize) -> u8 {
        digit_at(&self.bcd, i)
    }

    /// True if the value has no fractional part.
    pub fn is_integer(&self) -> bool {
        self.exponent >= i16::from(self.len)
    }

    /// The value of the first `count` digits (at most 19, so it fits).
    #[inline]
    fn leading_value(&self, count: usize) -> u64 {
        let mut v: u64 = 0;
        let mut i = 0;
        while i + 1 < count {
            v = v * 100 + u64::from(pair_value(self.bcd[i / 2]));
            i += 2;
        }
        if i < count {
            v = v * 10 + u64::from(self.digit(i));
        }
        v
    }

    /// The magnitude as a `u64`, if the value is an integer and its magnitude fits.
    fn integer_magnitude_u64(&self) -> Option<u64> {
        // u64::MAX has 20 digits.
        if !self.is_integer() || self.exponent > 20 {
            return None;
        }
        let len = usize::from(self.len);
        let head = len.min(19);
        let mut v = self.leading_value(head);
        if len > head {
            v = v
                .checked_mul(10)?
                .checked_add(u64::from(self.digit(head)))?;
        }
        v.checked_mul(10_u64.checked_pow((self.exponent - i16::from(self.len)) as u32)?)
    }

    /// The value as an `i128`, if it is an integer that fits.
    pub fn to_i128(&self) -> Option<i128> {
        if !self.is_integer() || self.exponent > 38 {
            return None;
        }
        // At most 38 digits: below 10^38, which fits an i128.
        let len = usize::from(self.len);
        let head = len.min(19);
        let mut v = u128::from(self.leading_value(head));
        for i in head..len {
            v = v * 10 + u128::from(self.digit(i));
        }
        let v = (v * 10_u128.pow((self.exponent - i16::from(self.len)) as u32)) as i128;
        Some(if self.negative { -v } else { v })
    }

    /// The value as an `f64` (may round).
    pub fn to_f64(&self) -> f64 {
        self.with_text(|text| text.parse().unwrap_or(f64::NAN))
    }

    /// Size in bytes under DynamoDB's item-size rules: one byte plus one per base-100 digit
    /// pair of the mantissa, plus one if negative.
    pub fn storage_size(&self) -> usize {
        if self.is_zero() {
            return 1;
        }
        let exponent = i32::from(self.exponent);
        let p_max = exponent - 1;
        let p_min = exponent - i32::from(self.len);
        let pairs = p_max.div_euclid(2) - p_min.div_euclid(2) + 1;
        1 + pairs as usize + usize::from(self.negative)
    }

    fn to_bigdecimal(&self) -> bigdecimal::BigDecimal {
        // Canonical text always parses.
        self.with_text(|text| bigdecimal::BigDecimal::from_str(text).unwrap_or_default())
    }

    fn from_bigdecimal(value: bigdecimal::BigDecimal) -> Result<Self, NumberError> {
        let text = value.to_plain_string();
        match Number::parse(&text) {
            // DynamoDB reports an arithmetic result out of range as a precision error.
            Err(NumberError::Overflow) | Err(NumberError::Underflow) => Err(NumberError::Precision),
            other => other,
        }
    }

    /// `self + other`, exactly; fails if the result needs more than 38 digits.
    pub fn checked_add(&self, other: &Number) -> Result<Number, NumberError> {
        Number::from_bigdecimal(self.to_bigdecimal() + other.to_bigdecimal())
    }

    /// `self - other`, exactly; fails if the result needs more than 38 digits.
    pub fn checked_sub(&self, other: &Number) -> Result<Number, NumberError> {
        Number::from_bigdecimal(self.to_bigdecimal() - other.to_bigdecimal())
    }

    fn cmp_magnitude(&self, other: &Number) -> Ordering {
        match (self.is_zero(), other.is_zero()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            _ => {}
        }
        // Unused nibbles are zero and the digits have no trailing zeros, so the packed bytes
        // order as the digit sequences do.
        self.exponent
            .cmp(&other.exponent)
            .then_with(|| self.bcd.cmp(&other.bcd))
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        let sign = |n: &Number| {
            if n.is_zero() {
                0
            } else if n.negative {
                -1
            } else {
                1
            }
        };
        match sign(self).cmp(&sign(other)) {
            Ordering::Equal if self.negative => other.cmp_magnitude(self),
            Ordering::Equal => self.cmp_magnitude(other),
            unequal => unequal,
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; TEXT_MAX];
        f.write_str(self.write_text(&mut buf))
    }
}

/// Longest canonical text: a sign, `0.`, 129 zeros and 38 digits.
const TEXT_MAX: usize = 1 + 2 + 129 + MAX_DIGITS;

impl Number {
    /// Writes the canonical text into `buf` (without allocating) and returns it.
    fn write_text<'b>(&self, buf: &'b mut [u8; TEXT_MAX]) -> &'b str {
        if self.is_zero() {
            return "0";
        }
        let mut len = 0;
        let mut push = |b: u8| {
            buf[len] = b;
            len += 1;
        };
        if self.negative {
            push(b'-');
        }
        let n = usize::from(self.len);
        let e = i32::from(self.exponent);
        if e <= 0 {
            push(b'0');
            push(b'.');
            (0..-e).for_each(|_| push(b'0'));
            (0..n).for_each(|i| push(b'0' + self.digit(i)));
        } else if (e as usize) < n {
            let e = e as usize;
            (0..e).for_each(|i| push(b'0' + self.digit(i)));
            push(b'.');
            (e..n).for_each(|i| push(b'0' + self.digit(i)));
        } else {
            (0..n).for_each(|i| push(b'0' + self.digit(i)));
            (0..e as usize - n).for_each(|_| push(b'0'));
        }
        // Only ASCII digits, `-` and `.` were written.
        std::str::from_utf8(&buf[..len]).unwrap_or("0")
    }

    /// Calls `f` with the canonical text, formatted on the stack.
    pub(crate) fn with_text<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        let mut buf = [0u8; TEXT_MAX];
        f(self.write_text(&mut buf))
    }

    /// The value as an `i64`, if it is an integer that fits (as `text.parse::<i64>()`).
    pub(crate) fn to_i64(&self) -> Option<i64> {
        let magnitude = self.integer_magnitude_u64()?;
        if self.negative {
            // -2^63 is the one magnitude past i64::MAX that fits.
            (magnitude <= 1 << 63).then(|| (magnitude as i64).wrapping_neg())
        } else {
            i64::try_from(magnitude).ok()
        }
    }

    /// The value as a `u64`, if it is an integer that fits (as `text.parse::<u64>()`).
    pub(crate) fn to_u64(&self) -> Option<u64> {
        let magnitude = self.integer_magnitude_u64()?;
        // Zero is never negative.
        (!self.negative).then_some(magnitude)
    }
}

impl fmt::Debug for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Number({self})")
    }
}

impl FromStr for Number {
    type Err = NumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Number::parse(s)
    }
}

macro_rules! number_from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Number {
            fn from(v: $t) -> Self {
                #[allow(clippy::cast_lossless, clippy::unnecessary_cast)]
                let wide = v as i128;
                Number::from_magnitude(wide < 0, wide.unsigned_abs() as u64)
            }
        }
    )*};
}
number_from_int!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Number {
        Number::parse(s).expect(s)
    }

    #[test]
    fn canonical_text() {
        for (input, out) in [
            ("+5", "5"),
            (".5", "0.5"),
            ("5.", "5"),
            ("1e3", "1000"),
            ("1E+3", "1000"),
            ("15e-1", "1.5"),
            ("-0", "0"),
            ("0.0", "0"),
            ("0.10", "0.1"),
            ("007", "7"),
            ("1.000", "1"),
            ("-0.001", "-0.001"),
        ] {
            assert_eq!(n(input).to_string(), out, "{input}");
        }
        assert_eq!(n("1E-130").to_string().len(), 132);
    }

    #[test]
    fn rejected_syntax() {
        for bad in [
            "", " 1", "1 ", "1e", "NaN", "Infinity", "0x10", "1_000", "--1", "1,5", ".",
        ] {
            assert_eq!(Number::parse(bad), Err(NumberError::Syntax), "{bad:?}");
        }
    }

    #[test]
    fn precision_and_range() {
        assert!(Number::parse("12345678901234567890123456789012345678").is_ok());
        assert_eq!(
            Number::parse("123456789012345678901234567890123456789"),
            Err(NumberError::Precision)
        );
        assert!(Number::parse("1000000000000000000000000000000000000000000").is_ok());
        assert!(Number::parse("9.9999999999999999999999999999999999999E+125").is_ok());
        assert_eq!(Number::parse("1E+126"), Err(NumberError::Overflow));
        assert_eq!(Number::parse("-1E+126"), Err(NumberError::Overflow));
        assert!(Number::parse("1E-130").is_ok());
        assert_eq!(Number::parse("1E-131"), Err(NumberError::Underflow));
    }

    #[test]
    fn ordering_by_value() {
        let sorted = [
            "-9.99E+125",
            "-10",
            "-0.5",
            "-1E-130",
            "0",
            "1E-130",
            "0.5",
            "1",
            "10",
            "1000",
            "1000.5",
            "9.99E+125",
        ];
        for w in sorted.windows(2) {
            assert!(n(w[0]) < n(w[1]), "{} < {}", w[0], w[1]);
        }
        assert_eq!(n("5"), n("5.00"));
    }

    #[test]
    fn storage_sizes() {
        for (s, size) in [
            ("0", 1),
            ("1", 2),
            ("12", 2),
            ("100", 2),
            ("1e38", 2),
            ("0.15", 2),
            ("0.001", 2),
            ("123", 3),
            ("101", 3),
            ("1.5", 3),
            ("1.05", 3),
            ("0.015", 3),
            ("11.1", 3),
            ("12345678901234567890", 11),
            ("-1", 3),
            ("-0.5", 3),
            ("-123", 4),
        ] {
            assert_eq!(n(s).storage_size(), size, "{s}");
        }
    }

    #[test]
    fn arithmetic() {
        assert_eq!(n("1.5").checked_add(&n("1")).unwrap().to_string(), "2.5");
        let nines = "99999999999999999999999999999999999999";
        assert_eq!(
            n(nines).checked_add(&n("1")).unwrap().to_string(),
            "100000000000000000000000000000000000000"
        );
        assert_eq!(
            n("12345678901234567890123456789012345678").checked_add(&n("0.5")),
            Err(NumberError::Precision)
        );
        assert_eq!(n("3").checked_sub(&n("5")).unwrap().to_string(), "-2");
    }

    /// The parser and printer as they were before they stopped allocating on the way.
    fn parse_reference(text: &str) -> Result<Number, NumberError> {
        let bytes = text.as_bytes();
        let mut i = 0;
        let mut negative = false;
        if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
            negative = bytes[i] == b'-';
            i += 1;
        }
        let mut mantissa = Vec::new();
        let mut point: Option<usize> = None;
        let mut seen_digit = false;
        while i < bytes.len() {
            match bytes[i] {
                b @ b'0'..=b'9' => {
                    mantissa.push(b - b'0');
                    seen_digit = true;
                }
                b'.' if point.is_none() => point = Some(mantissa.len()),
                _ => break,
            }
            i += 1;
        }
        if !seen_digit {
            return Err(NumberError::Syntax);
        }
        let mut exp: i64 = 0;
        if i < bytes.len() {
            if bytes[i] != b'e' && bytes[i] != b'E' {
                return Err(NumberError::Syntax);
            }
            i += 1;
            let mut exp_negative = false;
            if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
                exp_negative = bytes[i] == b'-';
                i += 1;
            }
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                exp = (exp * 10 + i64::from(bytes[i] - b'0')).min(1_000_000);
                i += 1;
            }
            if start == i || i != bytes.len() {
                return Err(NumberError::Syntax);
            }
            if exp_negative {
                exp = -exp;
            }
        }
        let int_len = point.unwrap_or(mantissa.len()) as i64;
        let lead = mantissa.iter().take_while(|d| **d == 0).count();
        if lead == mantissa.len() {
            return Ok(Number::zero());
        }
        let trail = mantissa.iter().rev().take_while(|d| **d == 0).count();
        let digits = &mantissa[lead..mantissa.len() - trail];
        let exponent = int_len + exp - lead as i64;
        if digits.len() > MAX_DIGITS {
            return Err(NumberError::Precision);
        }
        if exponent > 126 {
            return Err(NumberError::Overflow);
        }
        if exponent < -129 {
            return Err(NumberError::Underflow);
        }
        Ok(from_digits(negative, digits, exponent as i32))
    }

    /// The number of a sign, significant digits (no leading or trailing zeros) and an
    /// exponent, packed one digit at a time.
    fn from_digits(negative: bool, digits: &[u8], exponent: i32) -> Number {
        let mut bcd = [0u8; BCD_BYTES];
        for (i, d) in digits.iter().enumerate() {
            put_digit(&mut bcd, i, *d);
        }
        Number {
            bcd,
            len: digits.len() as u8,
            negative,
            exponent: exponent as i16,
        }
    }

    /// The digits as a vector, for comparisons.
    fn digit_vec(n: &Number) -> Vec<u8> {
        n.parts().0.collect()
    }

    fn display_reference(n: &Number) -> String {
        if n.is_zero() {
            return "0".into();
        }
        let mut out = String::new();
        if n.negative {
            out.push('-');
        }
        let digit = |d: &u8| char::from(b'0' + d);
        let digits = digit_vec(n);
        let len = digits.len() as i32;
        let e = i32::from(n.exponent);
        if e <= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-e) as usize));
            out.extend(digits.iter().map(digit));
        } else if e < len {
            out.extend(digits[..e as usize].iter().map(digit));
            out.push('.');
            out.extend(digits[e as usize..].iter().map(digit));
        } else {
            out.extend(digits.iter().map(digit));
            out.extend(std::iter::repeat_n('0', (e - len) as usize));
        }
        out
    }

    /// The representation's invariants: digits 0..=9, no leading or trailing zero digit,
    /// zero nibbles past the last digit, the exponent in range, zero held one way.
    fn well_formed(n: &Number) -> bool {
        let len = usize::from(n.len);
        let nibbles_ok = (0..BCD_BYTES * 2).all(|i| {
            let d = digit_at(&n.bcd, i);
            if i < len {
                d <= 9
            } else {
                d == 0
            }
        });
        if len == 0 {
            return nibbles_ok && !n.negative && n.exponent == 0;
        }
        nibbles_ok
            && len <= MAX_DIGITS
            && n.digit(0) != 0
            && n.digit(len - 1) != 0
            && (-129..=126).contains(&n.exponent)
    }

    fn hash_of(n: &Number) -> u64 {
        use std::hash::{BuildHasher, BuildHasherDefault};
        BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(n)
    }

    fn same(a: &Result<Number, NumberError>, b: &Result<Number, NumberError>) -> bool {
        match (a, b) {
            (Ok(x), Ok(y)) => {
                well_formed(x)
                    && well_formed(y)
                    && x.negative == y.negative
                    && digit_vec(x) == digit_vec(y)
                    && x.exponent == y.exponent
                    && x.bcd == y.bcd
                    && x.len == y.len
            }
            (Err(x), Err(y)) => x == y,
            _ => false,
        }
    }

    proptest::proptest! {
        #[test]
        fn parse_as_before(text in "[+-]?[0-9]{0,45}(\\.[0-9]{0,45})?([eE][+-]?[0-9]{0,4})?") {
            let (new, old) = (Number::parse(&text), parse_reference(&text));
            proptest::prop_assert!(same(&new, &old), "{text:?}: {new:?} / {old:?}");
            if let Ok(n) = new {
                proptest::prop_assert_eq!(n.to_string(), display_reference(&n));
                proptest::prop_assert_eq!(n.with_text(str::to_string), n.to_string());
                proptest::prop_assert!(same(&Number::parse(&n.to_string()), &Ok(n.clone())));
            }
        }

        #[test]
        fn order_equality_and_hash_by_value(
            a in "-?[0-9]{1,19}(\\.[0-9]{0,19})?(e-?[0-9])?",
            b in "-?[0-9]{1,19}(\\.[0-9]{0,19})?(e-?[0-9])?",
        ) {
            let (x, y) = (n(&a), n(&b));
            let exact = |s: &str| bigdecimal::BigDecimal::from_str(s).unwrap();
            proptest::prop_assert_eq!(x.cmp(&y), exact(&a).cmp(&exact(&b)), "{} {}", a, b);
            proptest::prop_assert_eq!(x == y, exact(&a) == exact(&b));
            if x == y {
                proptest::prop_assert_eq!(hash_of(&x), hash_of(&y));
            }
            // The same value written another way is the same number, hash and all.
            let (sign, rest) = a.strip_prefix('-').map_or(("", a.as_str()), |r| ("-", r));
            let z = n(&format!("{sign}00{rest}"));
            proptest::prop_assert!(same(&Ok(z.clone()), &Ok(x.clone())));
            proptest::prop_assert_eq!(hash_of(&z), hash_of(&x));
        }

        #[test]
        fn integers_of_text(text in "-?[0-9]{1,21}(\\.[0-9]{0,3})?(e[0-9])?") {
            let x = n(&text);
            let canonical = x.to_string();
            proptest::prop_assert_eq!(x.to_i64(), canonical.parse::<i64>().ok());
            proptest::prop_assert_eq!(x.to_u64(), canonical.parse::<u64>().ok());
            proptest::prop_assert_eq!(x.to_i128(), canonical.parse::<i128>().ok());
        }

        #[test]
        fn parse_any_text_as_before(text in "[-+.eE0-9a ]{0,12}") {
            let (new, old) = (Number::parse(&text), parse_reference(&text));
            proptest::prop_assert!(same(&new, &old), "{text:?}: {new:?} / {old:?}");
        }

        #[test]
        fn integers_as_their_text(i in proptest::num::i64::ANY, u in proptest::num::u64::ANY) {
            let n = Number::from(i);
            proptest::prop_assert!(same(&Ok(n.clone()), &Number::parse(&i.to_string())));
            proptest::prop_assert_eq!(n.to_i64(), Some(i));
            proptest::prop_assert_eq!(n.to_u64(), u64::try_from(i).ok());
            let n = Number::from(u);
            proptest::prop_assert!(same(&Ok(n.clone()), &Number::parse(&u.to_string())));
            proptest::prop_assert_eq!(n.to_u64(), Some(u));
            proptest::prop_assert_eq!(n.to_i64(), i64::try_from(u).ok());
            for small in [i as i8 as i64, i as i16 as i64, i as i32 as i64, 0, -1, 10, 100] {
                proptest::prop_assert!(same(&Ok(Number::from(small)), &Number::parse(&small.to_string())));
            }
        }
    }

    #[test]
    fn no_larger_than_before() {
        // Before the digits were held inline: `Number` was 24 bytes (a bool, a boxed slice
        // and an i32) and `Value` 32; the memory backend's bytes per item depend on both.
        assert!(std::mem::size_of::<Number>() <= 24);
        assert!(std::mem::size_of::<crate::item::Value>() <= 32);
        assert_eq!(
            std::mem::size_of::<Option<Number>>(),
            std::mem::size_of::<Number>()
        );
    }

    #[test]
    fn parts_and_integers() {
        let x = n("-12.5");
        let (digits, e) = x.parts();
        assert_eq!((digits.collect::<Vec<_>>(), e), (vec![1, 2, 5], 2));
        let x = n("0");
        let (digits, e) = x.parts();
        assert_eq!((digits.len(), e), (0, 0));
        let x = n("1E-130");
        let (digits, e) = x.parts();
        assert_eq!((digits.rev().collect::<Vec<_>>(), e), (vec![1], -129));
        let full = "12345678901234567890123456789012345678";
        let x = n(full);
        let (digits, e) = x.parts();
        let text: String = digits.map(|d| char::from(b'0' + d)).collect();
        assert_eq!((text.as_str(), e), (full, 38));
        assert_eq!(n(full).to_i128(), Some(full.parse().unwrap()));
        assert_eq!(n("-1e37").to_i128(), Some(-(10_i128.pow(37))));
        assert_eq!(n("1e38").to_i128(), None);
        assert_eq!(n("1.5").to_i128(), None);
        assert_eq!(n("0").to_i128(), Some(0));
        assert_eq!(n("-9223372036854775808").to_i64(), Some(i64::MIN));
        assert_eq!(n("-9223372036854775809").to_i64(), None);
        assert_eq!(n("18446744073709551615").to_u64(), Some(u64::MAX));
        assert_eq!(n("18446744073709551616").to_u64(), None);
        assert_eq!(n("1e19").to_u64(), Some(10_u64.pow(19)));
        assert_eq!(n("1e20").to_u64(), None);
        assert_eq!(n("-1").to_u64(), None);
    }

    #[test]
    fn integer_limits_as_their_text() {
        for i in [i64::MIN, i64::MAX, 0, -1, 1, 10, -100, 1_000_000] {
            assert!(
                same(&Ok(Number::from(i)), &Number::parse(&i.to_string())),
                "{i}"
            );
        }
        for u in [u64::MAX, 0, 10_u64.pow(19), 18_000_000_000_000_000_000] {
            assert!(
                same(&Ok(Number::from(u)), &Number::parse(&u.to_string())),
                "{u}"
            );
        }
        assert!(same(&Ok(Number::from(u8::MAX)), &Number::parse("255")));
        assert!(same(&Ok(Number::from(i8::MIN)), &Number::parse("-128")));
        assert!(same(
            &Ok(Number::from(usize::MAX)),
            &Number::parse(&usize::MAX.to_string())
        ));
        assert!(same(
            &Ok(Number::from(isize::MIN)),
            &Number::parse(&isize::MIN.to_string())
        ));
    }
}
