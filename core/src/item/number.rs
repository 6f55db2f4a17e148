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
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Number {
    negative: bool,
    /// Significant digits (0..=9), no leading or trailing zeros; empty for zero.
    digits: Box<[u8]>,
    /// The value is `0.d1d2d3… × 10^exponent`.
    exponent: i32,
}

/// Largest number of significant digits DynamoDB stores.
pub const MAX_DIGITS: usize = 38;

impl Number {
    /// Zero.
    pub fn zero() -> Self {
        Number {
            negative: false,
            digits: Box::new([]),
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
        let digits: Box<[u8]> = bytes[start..end]
            .iter()
            .filter(|b| b.is_ascii_digit())
            .skip(lead as usize)
            .take(len as usize)
            .map(|b| b - b'0')
            .collect();
        Ok(Number {
            negative,
            digits,
            exponent: exponent as i32,
        })
    }

    /// The number of an unsigned magnitude and a sign, without going through text.
    fn from_magnitude(negative: bool, mut magnitude: u64) -> Self {
        if magnitude == 0 {
            return Number::zero();
        }
        // Digits from the lowest; trailing zeros of the value are not significant.
        let mut low_first = [0u8; 20];
        let mut n = 0;
        while magnitude > 0 {
            low_first[n] = (magnitude % 10) as u8;
            magnitude /= 10;
            n += 1;
        }
        let zeros = low_first[..n].iter().take_while(|d| **d == 0).count();
        Number {
            negative,
            digits: low_first[zeros..n].iter().rev().copied().collect(),
            exponent: n as i32,
        }
    }

    /// True for zero.
    pub fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    /// True below zero.
    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// The significant digits (each 0..=9) and the exponent `e` such that the magnitude is
    /// `0.d1d2… × 10^e`; used by order-preserving key encodings.
    pub fn parts(&self) -> (&[u8], i32) {
        (&self.digits, self.exponent)
    }

    /// True if the value has no fractional part.
    pub fn is_integer(&self) -> bool {
        self.exponent >= self.digits.len() as i32
    }

    /// The value as an `i128`, if it is an integer that fits.
    pub fn to_i128(&self) -> Option<i128> {
        if !self.is_integer() || self.exponent > 38 {
            return None;
        }
        let mut v: i128 = 0;
        for i in 0..self.exponent as usize {
            let d = self.digits.get(i).copied().unwrap_or(0);
            v = v.checked_mul(10)?.checked_add(i128::from(d))?;
        }
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
        let p_max = self.exponent - 1;
        let p_min = self.exponent - self.digits.len() as i32;
        let pairs = p_max.div_euclid(2) - p_min.div_euclid(2) + 1;
        1 + pairs as usize + usize::from(self.negative)
    }

    fn to_bigdecimal(&self) -> bigdecimal::BigDecimal {
        // Canonical text always parses.
        bigdecimal::BigDecimal::from_str(&self.to_string()).unwrap_or_default()
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
        self.exponent
            .cmp(&other.exponent)
            .then_with(|| self.digits.cmp(&other.digits))
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
        let n = self.digits.len() as i32;
        let e = self.exponent;
        if e <= 0 {
            push(b'0');
            push(b'.');
            (0..-e).for_each(|_| push(b'0'));
            self.digits.iter().for_each(|d| push(b'0' + d));
        } else if e < n {
            self.digits[..e as usize]
                .iter()
                .for_each(|d| push(b'0' + d));
            push(b'.');
            self.digits[e as usize..]
                .iter()
                .for_each(|d| push(b'0' + d));
        } else {
            self.digits.iter().for_each(|d| push(b'0' + d));
            (0..e - n).for_each(|_| push(b'0'));
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
        self.to_i128().and_then(|v| i64::try_from(v).ok())
    }

    /// The value as a `u64`, if it is an integer that fits (as `text.parse::<u64>()`).
    pub(crate) fn to_u64(&self) -> Option<u64> {
        self.to_i128().and_then(|v| u64::try_from(v).ok())
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
        let digits: Box<[u8]> = mantissa[lead..mantissa.len() - trail].into();
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
        Ok(Number {
            negative,
            digits,
            exponent: exponent as i32,
        })
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
        let len = n.digits.len() as i32;
        let e = n.exponent;
        if e <= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-e) as usize));
            out.extend(n.digits.iter().map(digit));
        } else if e < len {
            out.extend(n.digits[..e as usize].iter().map(digit));
            out.push('.');
            out.extend(n.digits[e as usize..].iter().map(digit));
        } else {
            out.extend(n.digits.iter().map(digit));
            out.extend(std::iter::repeat_n('0', (e - len) as usize));
        }
        out
    }

    fn same(a: &Result<Number, NumberError>, b: &Result<Number, NumberError>) -> bool {
        match (a, b) {
            (Ok(x), Ok(y)) => {
                x.negative == y.negative && x.digits == y.digits && x.exponent == y.exponent
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
