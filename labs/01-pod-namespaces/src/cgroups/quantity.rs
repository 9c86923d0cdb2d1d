//! Kubernetes quantities: `500m`, `2`, `0.5`, `64Mi`, `1G`, `129e6`, read exactly.
//!
//! Every number in `resources.requests` and `resources.limits` is a *quantity*, a string that
//! apimachinery's `resource.Quantity` parses (`k8s.io/apimachinery/pkg/api/resource/quantity.go`):
//!
//! ```text
//! <quantity>        ::= <signedNumber><suffix>
//! <number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
//! <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI>
//! <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei               powers of 1024
//! <decimalSI>       ::= n | u | m | "" | k | M | G | T | P | E    powers of 1000
//! <decimalExponent> ::= e <signedNumber> | E <signedNumber>       129e6 = 129 * 10^6
//! ```
//!
//! So `500m` CPU is 500 thousandths of a CPU, `64Mi` is 64 * 2^20 bytes and `1G` is 10^9 bytes
//! (not 2^30: the M/Mi difference is a classic surprise, and `1G` of memory is about 7% less than
//! `1Gi`). `E` alone is exa (10^18), `E3` is an exponent; `m` is milli, `M` mega.
//!
//! A quantity is kept here as an exact fraction (`mantissa * 10^exp10 * 2^exp2`), never as a
//! float, because the kubelet's conversions round in a precise way: `MilliValue()` and `Value()`
//! round *up* to the next whole milli-unit or unit. `0.0001` CPU is 1m, not 0m; `0.5` bytes is
//! 1 byte. [`ParsedQuantity::milli_value`] and [`ParsedQuantity::value`] do the same.

/// Why a string is not a usable resource quantity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    /// Nothing was written.
    #[error("the quantity is empty")]
    Empty,
    /// A leading `-`: the API server refuses negative requests and limits.
    #[error("resource quantities cannot be negative")]
    Negative,
    /// No digits where the number should be (`Mi`, `.`, `x1`).
    #[error("expected a number such as 2, 0.5 or .5 before any suffix")]
    NoDigits,
    /// Something after the number that is not a suffix (`64Mb`, `1K`, `2 cpus`).
    #[error(
        "unknown suffix `{suffix}`: use n, u, m, k, M, G, T, P, E (powers of 1000), Ki, Mi, Gi, Ti, Pi, Ei (powers of 1024) or an exponent such as e6"
    )]
    UnknownSuffix {
        /// What followed the number.
        suffix: String,
    },
    /// More than this runtime (and the kernel's 64-bit counters) can hold.
    #[error("the value is too large")]
    TooLarge,
}

/// A non-negative quantity, exactly: `mantissa * 10^exp10 * 2^exp2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedQuantity {
    mantissa: u128,
    exp10: i32,
    exp2: u32,
}

/// The suffixes that are not exponents, as (suffix, power of ten, power of two).
const SUFFIXES: [(&str, i32, u32); 16] = [
    ("n", -9, 0),
    ("u", -6, 0),
    ("m", -3, 0),
    ("", 0, 0),
    ("k", 3, 0),
    ("M", 6, 0),
    ("G", 9, 0),
    ("T", 12, 0),
    ("P", 15, 0),
    ("E", 18, 0),
    ("Ki", 0, 10),
    ("Mi", 0, 20),
    ("Gi", 0, 30),
    ("Ti", 0, 40),
    ("Pi", 0, 50),
    ("Ei", 0, 60),
];

/// The largest power of ten a `u128` holds (10^38 < 2^128 < 10^39).
const MAX_POW10: u32 = 38;

impl ParsedQuantity {
    /// Parses a quantity string as the API server would, refusing negative values.
    pub fn parse(text: &str) -> Result<Self, QuantityError> {
        if text.is_empty() {
            return Err(QuantityError::Empty);
        }
        let unsigned = match text.as_bytes()[0] {
            b'-' => return Err(QuantityError::Negative),
            b'+' => &text[1..],
            _ => text,
        };
        // The number is the longest prefix of digits with at most one dot.
        let number_len = unsigned
            .char_indices()
            .scan(false, |seen_dot, (at, c)| match c {
                '0'..='9' => Some(at + 1),
                '.' if !*seen_dot => {
                    *seen_dot = true;
                    Some(at + 1)
                }
                _ => None,
            })
            .last()
            .unwrap_or(0);
        let (number, suffix) = unsigned.split_at(number_len);
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if whole.is_empty() && fraction.is_empty() {
            return Err(QuantityError::NoDigits);
        }
        // Trailing zeros after the dot add nothing but digits that could overflow.
        let fraction = fraction.trim_end_matches('0');
        let mut mantissa: u128 = 0;
        for digit in whole.bytes().chain(fraction.bytes()) {
            mantissa = mantissa
                .checked_mul(10)
                .and_then(|m| m.checked_add(u128::from(digit - b'0')))
                .ok_or(QuantityError::TooLarge)?;
        }
        let (suffix_exp10, exp2) = suffix_scale(suffix)?;
        // `fraction` is at most the length of the input, so this fits an i32 for any sane input;
        // saturate rather than wrap for an insane one.
        let fraction_len = i32::try_from(fraction.len()).unwrap_or(i32::MAX);
        Ok(Self {
            mantissa,
            exp10: suffix_exp10.saturating_sub(fraction_len),
            exp2,
        })
    }

    /// The value in thousandths, rounded up: apimachinery's `MilliValue()`, used for CPU.
    pub fn milli_value(&self) -> Result<u64, QuantityError> {
        self.scaled_ceil(3)
    }

    /// The value in units, rounded up: apimachinery's `Value()`, used for bytes of memory.
    pub fn value(&self) -> Result<u64, QuantityError> {
        self.scaled_ceil(0)
    }

    /// `ceil(self * 10^shift)`, refused above `i64::MAX` (Kubernetes and the kernel files hold
    /// signed 64-bit numbers).
    fn scaled_ceil(&self, shift: i32) -> Result<u64, QuantityError> {
        let scaled = 1u128
            .checked_shl(self.exp2)
            .and_then(|power| self.mantissa.checked_mul(power))
            .ok_or(QuantityError::TooLarge)?;
        let exp10 = self.exp10.saturating_add(shift);
        let result = if scaled == 0 {
            0
        } else if exp10 >= 0 {
            let power = pow10(exp10.unsigned_abs()).ok_or(QuantityError::TooLarge)?;
            scaled.checked_mul(power).ok_or(QuantityError::TooLarge)?
        } else {
            match pow10(exp10.unsigned_abs()) {
                Some(power) => scaled.div_ceil(power),
                // Dividing by more than 10^38 leaves less than one: rounded up, that is 1.
                None => 1,
            }
        };
        i64::try_from(result)
            .ok()
            .and_then(|signed| u64::try_from(signed).ok())
            .ok_or(QuantityError::TooLarge)
    }
}

/// The scale a suffix stands for, as (power of ten, power of two).
fn suffix_scale(suffix: &str) -> Result<(i32, u32), QuantityError> {
    if let Some(&(_, exp10, exp2)) = SUFFIXES.iter().find(|(name, ..)| *name == suffix) {
        return Ok((exp10, exp2));
    }
    let unknown = || QuantityError::UnknownSuffix {
        suffix: suffix.to_owned(),
    };
    // Not a named suffix: it may be a decimal exponent, `e` or `E` then a signed integer.
    let exponent = suffix
        .strip_prefix(['e', 'E'])
        .filter(|rest| {
            let digits = rest.strip_prefix(['+', '-']).unwrap_or(rest);
            !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
        })
        .ok_or_else(unknown)?;
    // An exponent too long for an i32 is far beyond anything a u64 holds either way.
    let exp10 = exponent
        .parse::<i32>()
        .map_err(|_| QuantityError::TooLarge)?;
    Ok((exp10, 0))
}

/// 10^exp when it fits a `u128`.
fn pow10(exp: u32) -> Option<u128> {
    (exp <= MAX_POW10).then(|| 10u128.pow(exp))
}

#[cfg(test)]
mod tests;
