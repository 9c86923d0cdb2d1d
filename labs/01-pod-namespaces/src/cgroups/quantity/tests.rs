//! Unit tests of quantity parsing: every suffix family, rounding up, and the refusals.

use super::{ParsedQuantity, QuantityError};

fn milli(text: &str) -> Result<u64, QuantityError> {
    ParsedQuantity::parse(text)?.milli_value()
}

fn bytes(text: &str) -> Result<u64, QuantityError> {
    ParsedQuantity::parse(text)?.value()
}

#[test]
fn cpu_quantities_become_milli_cpu() {
    assert_eq!(milli("500m"), Ok(500));
    assert_eq!(milli("2"), Ok(2000));
    assert_eq!(milli("0.5"), Ok(500));
    assert_eq!(milli(".5"), Ok(500));
    assert_eq!(milli("1."), Ok(1000));
    assert_eq!(milli("+1.5"), Ok(1500));
    assert_eq!(milli("100000u"), Ok(100));
    assert_eq!(milli("2e-1"), Ok(200));
}

#[test]
fn milli_values_round_up_like_apimachinery() {
    // MilliValue() rounds toward +infinity: a tiny request is still 1m, never 0m.
    assert_eq!(milli("0.0001"), Ok(1));
    assert_eq!(milli("1.0001"), Ok(1001));
    assert_eq!(milli("1n"), Ok(1));
    assert_eq!(milli("0"), Ok(0));
    assert_eq!(milli("0.000"), Ok(0));
}

#[test]
fn memory_quantities_become_bytes() {
    assert_eq!(bytes("64Mi"), Ok(64 << 20));
    assert_eq!(bytes("1G"), Ok(1_000_000_000));
    assert_eq!(bytes("128974848"), Ok(128_974_848));
    assert_eq!(bytes("129e6"), Ok(129_000_000));
    assert_eq!(bytes("123Mi"), Ok(128_974_848));
    assert_eq!(bytes("1.5Gi"), Ok(3 << 29));
    assert_eq!(bytes("0.5Ki"), Ok(512));
    assert_eq!(bytes("1E"), Ok(1_000_000_000_000_000_000));
    assert_eq!(bytes("1E3"), Ok(1000));
    assert_eq!(
        bytes("1m"),
        Ok(1),
        "a thousandth of a byte rounds up to one"
    );
    assert_eq!(
        bytes("1.000000000000000000000000000000000000000000000"),
        Ok(1)
    );
}

#[test]
fn bad_quantities_are_refused_with_a_reason() {
    assert_eq!(bytes(""), Err(QuantityError::Empty));
    assert_eq!(bytes("-1Gi"), Err(QuantityError::Negative));
    assert_eq!(bytes("Mi"), Err(QuantityError::NoDigits));
    assert_eq!(bytes("."), Err(QuantityError::NoDigits));
    for suffix in ["Mb", "K", "GB", "e", "e+", "Gi ", "x"] {
        assert_eq!(
            bytes(&format!("1{suffix}")),
            Err(QuantityError::UnknownSuffix {
                suffix: suffix.to_owned()
            }),
            "suffix {suffix:?}"
        );
    }
    assert_eq!(
        bytes("1.2.3"),
        Err(QuantityError::UnknownSuffix {
            suffix: ".3".to_owned()
        })
    );
}

#[test]
fn values_beyond_64_bits_are_too_large() {
    assert_eq!(
        bytes("8Ei"),
        Err(QuantityError::TooLarge),
        "2^63 > i64::MAX"
    );
    assert_eq!(bytes("7Ei"), Ok(7 << 60));
    assert_eq!(bytes("1e40"), Err(QuantityError::TooLarge));
    assert_eq!(bytes("1e99999999999"), Err(QuantityError::TooLarge));
    assert_eq!(milli("10E"), Err(QuantityError::TooLarge));
    assert_eq!(
        bytes("1000000000000000000000000000000000000000000"),
        Err(QuantityError::TooLarge)
    );
    assert_eq!(bytes("1e-99"), Ok(1), "tiny but positive rounds up to 1");
}
