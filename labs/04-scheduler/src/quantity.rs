//! Resource quantities: the strings in `resources.requests` and `status.allocatable`
//! (`500m`, `1.5`, `2Gi`, `1e3`), parsed the way apimachinery's `resource.Quantity` reads them.
//!
//! A quantity is a decimal number followed by one suffix: a binary SI suffix (`Ki Mi Gi Ti Pi
//! Ei`, powers of 1024), a decimal SI suffix (`n u m` below one, `k M G T P E` above), or a
//! decimal exponent (`e3`, `E-2`). The scheduler reads CPU in millicores and everything else as a
//! whole number, rounding *up* like `Quantity.MilliValue()` and `Quantity.Value()` do, so a
//! request of `0.1m` CPU still counts as one millicore.

use thiserror::Error;

/// A quantity string that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum QuantityError {
    /// Not a number with a known suffix.
    #[error(
        "{0:?} is not a quantity (expected a number with an optional suffix: 500m, 1.5, 2Gi, 1e3)"
    )]
    Malformed(String),
    /// Requests and allocatable resources are never negative.
    #[error("{0:?} is negative")]
    Negative(String),
    /// More than fits in 64 bits once scaled.
    #[error("{0:?} is too large")]
    TooLarge(String),
}

/// A parsed quantity: `digits * 10^exp10 * 1024^exp1024`, kept exact so rounding happens once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantity {
    digits: i128,
    exp10: i32,
    exp1024: u32,
}

// ANCHOR: quantity_api
impl Quantity {
    /// The value in thousandths, rounded up: CPU in millicores (`Quantity.MilliValue()`).
    pub fn milli_value(&self) -> Option<i64> {
        self.scaled(3)
    }

    /// The value as a whole number, rounded up: bytes, pods, devices (`Quantity.Value()`).
    pub fn value(&self) -> Option<i64> {
        self.scaled(0)
    }
}

/// Parses a quantity string such as `250m`, `1Gi`, `1.5G` or `2e3`.
pub fn parse_quantity(text: &str) -> Result<Quantity, QuantityError> {
    // BEGIN SOLUTION step-1: split number and suffix; the suffix picks a power of 10 or of 1024
    let malformed = || QuantityError::Malformed(text.to_string());
    let (negative, rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    // The number: digits with at most one decimal point, at least one digit.
    let number_len = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (number, suffix) = rest.split_at(number_len);
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() || fraction.contains('.') {
        return Err(malformed());
    }
    let mut digits: i128 = 0;
    for c in whole.chars().chain(fraction.chars()) {
        let d = i128::from(c.to_digit(10).ok_or_else(malformed)?);
        digits = digits
            .checked_mul(10)
            .and_then(|v| v.checked_add(d))
            .ok_or_else(|| QuantityError::TooLarge(text.to_string()))?;
    }
    let fraction_len = i32::try_from(fraction.len()).map_err(|_| malformed())?;
    let (exp10, exp1024) = match suffix {
        "" => (0, 0),
        "n" => (-9, 0),
        "u" => (-6, 0),
        "m" => (-3, 0),
        "k" => (3, 0),
        "M" => (6, 0),
        "G" => (9, 0),
        "T" => (12, 0),
        "P" => (15, 0),
        "E" => (18, 0),
        "Ki" => (0, 1),
        "Mi" => (0, 2),
        "Gi" => (0, 3),
        "Ti" => (0, 4),
        "Pi" => (0, 5),
        "Ei" => (0, 6),
        // A decimal exponent: e or E, then a signed integer.
        _ => {
            let exponent = suffix
                .strip_prefix(['e', 'E'])
                .filter(|e| !e.is_empty())
                .ok_or_else(malformed)?;
            let value: i32 = exponent.parse().map_err(|_| malformed())?;
            (value, 0)
        }
    };
    if negative && digits != 0 {
        return Err(QuantityError::Negative(text.to_string()));
    }
    let quantity = Quantity {
        digits,
        exp10: exp10 - fraction_len,
        exp1024,
    };
    // Reject now what cannot be represented, so the accessors' `None` never surprises a caller.
    quantity
        .value()
        .ok_or_else(|| QuantityError::TooLarge(text.to_string()))?;
    Ok(quantity)
    // END SOLUTION
}
// ANCHOR_END: quantity_api

impl Quantity {
    /// `ceil(self * 10^extra10)` as an i64, or `None` when it does not fit.
    fn scaled(&self, extra10: i32) -> Option<i64> {
        let mut value = self.digits;
        for _ in 0..self.exp1024 {
            value = value.checked_mul(1024)?;
        }
        let exp = self.exp10 + extra10;
        if exp >= 0 {
            for _ in 0..exp {
                value = value.checked_mul(10)?;
            }
        } else {
            // Dividing by 10^-exp, rounding up; past 10^38 every value rounds up to 1 (or 0).
            let divisor = 10i128.checked_pow(exp.unsigned_abs()).unwrap_or(i128::MAX);
            value = value / divisor + i128::from(value % divisor != 0);
        }
        i64::try_from(value).ok()
    }
}
