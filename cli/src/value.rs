//! Wasm values on the command line: parsing arguments by parameter type,
//! printing results so that they parse back to the same value.
//!
//! Integers are decimal or `0x` hex, with an optional `-`; an `i32` accepts
//! anything from `-2^31` to `2^32-1` (the unsigned range wraps, as `.wat`
//! does). Floats are decimal (`1.5`, `-2e10`), `inf`, `-inf`, `nan`, or
//! `nan:0xPAYLOAD` for a NaN with a particular payload; results print in the
//! same forms, so every bit of a result survives a round trip. A `v128` is
//! `0x` and up to 32 hex digits, lane 0 in the lowest digits; it prints as
//! exactly 32.

use anyhow::{Result, bail};
use weft::{Val, ValType};

/// Parses `text` as a value of type `ty`.
pub fn parse(ty: ValType, text: &str) -> Result<Val> {
    let value = match ty {
        ValType::I32 => Val::I32(parse_int(text, 32)? as u32 as i32),
        ValType::I64 => Val::I64(parse_int(text, 64)? as u64 as i64),
        ValType::F32 => Val::F32(parse_f32(text)?),
        ValType::F64 => Val::F64(parse_f64(text)?),
        ValType::V128 => Val::V128(parse_v128(text)?.into()),
        ValType::FuncRef | ValType::ExternRef => {
            bail!("a {ty} cannot be given on the command line")
        }
    };
    Ok(value)
}

/// A `v128` as `0x` and 1 to 32 hex digits.
fn parse_v128(text: &str) -> Result<u128> {
    let hex = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .filter(|h| !h.is_empty() && h.len() <= 32);
    match hex.map(|h| u128::from_str_radix(h, 16)) {
        Some(Ok(v)) => Ok(v),
        _ => bail!("\"{text}\" is not a v128 (0x and 1 to 32 hex digits)"),
    }
}

/// An integer of `bits` width, two's complement or unsigned, as `i128`.
fn parse_int(text: &str, bits: u32) -> Result<i128> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let magnitude = match digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        Some(hex) => u128::from_str_radix(hex, 16),
        None => digits.parse::<u128>(),
    };
    let Ok(magnitude) = magnitude else {
        bail!("\"{text}\" is not an integer (decimal or 0x hex)");
    };
    let value = if negative {
        -i128::try_from(magnitude).unwrap_or(i128::MAX)
    } else {
        i128::try_from(magnitude).unwrap_or(i128::MAX)
    };
    let min = -(1i128 << (bits - 1));
    let max = (1i128 << bits) - 1;
    if value < min || value > max {
        bail!("{text} does not fit in {bits} bits");
    }
    Ok(value)
}

fn parse_f32(text: &str) -> Result<u32> {
    if let Some(bits) = nan_with_payload(text, 23)? {
        return Ok(bits as u32);
    }
    match text.parse::<f32>() {
        Ok(v) => Ok(v.to_bits()),
        Err(_) => bail!("\"{text}\" is not a float (decimal, inf, nan or nan:0xPAYLOAD)"),
    }
}

fn parse_f64(text: &str) -> Result<u64> {
    if let Some(bits) = nan_with_payload(text, 52)? {
        return Ok(bits);
    }
    match text.parse::<f64>() {
        Ok(v) => Ok(v.to_bits()),
        Err(_) => bail!("\"{text}\" is not a float (decimal, inf, nan or nan:0xPAYLOAD)"),
    }
}

/// `[-]nan:0xPAYLOAD` as the bits of a float with a `mantissa`-bit
/// mantissa; `None` if `text` is not of that form.
fn nan_with_payload(text: &str, mantissa: u32) -> Result<Option<u64>> {
    let (sign, rest) = match text.strip_prefix('-') {
        Some(rest) => (1u64, rest),
        None => (0, text.strip_prefix('+').unwrap_or(text)),
    };
    let Some(hex) = rest.strip_prefix("nan:0x") else {
        return Ok(None);
    };
    let payload = u64::from_str_radix(hex, 16).ok();
    match payload {
        Some(p) if p != 0 && p < (1 << mantissa) => {
            let exponent_bits = if mantissa == 23 { 8 } else { 11 };
            let exponent = ((1u64 << exponent_bits) - 1) << mantissa;
            Ok(Some((sign << (mantissa + exponent_bits)) | exponent | p))
        }
        _ => bail!("\"{text}\": a NaN payload is 1 to 2^{mantissa}-1, in hex"),
    }
}

/// A result as the user reads it (and as [`parse`] reads it back).
pub fn format(value: &Val) -> String {
    match *value {
        Val::I32(v) => v.to_string(),
        Val::I64(v) => v.to_string(),
        Val::F32(bits) => format_float(f32::from_bits(bits).is_nan(), bits.into(), 23, || {
            f32::from_bits(bits).to_string()
        }),
        Val::F64(bits) => format_float(f64::from_bits(bits).is_nan(), bits, 52, || {
            f64::from_bits(bits).to_string()
        }),
        Val::V128(v) => format!("0x{:032x}", v.as_u128()),
        Val::FuncRef(None) => "ref.null func".to_string(),
        Val::FuncRef(Some(_)) => "ref.func".to_string(),
        Val::ExternRef(None) => "ref.null extern".to_string(),
        Val::ExternRef(Some(r)) => format!("ref.extern {}", r.token()),
    }
}

/// Rust's float `Display` is the shortest text that parses back to the
/// same value (and prints `inf`); only NaN needs its sign and payload
/// spelled out. The canonical NaN prints as plain `nan`.
fn format_float(is_nan: bool, bits: u64, mantissa: u32, display: impl Fn() -> String) -> String {
    if !is_nan {
        return display();
    }
    let payload = bits & ((1 << mantissa) - 1);
    let negative = bits >> (mantissa + if mantissa == 23 { 8 } else { 11 }) & 1 == 1;
    let sign = if negative { "-" } else { "" };
    if payload == 1 << (mantissa - 1) {
        format!("{sign}nan")
    } else {
        format!("{sign}nan:0x{payload:x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(ty: ValType, text: &str) -> String {
        let value = parse(ty, text).expect("parses");
        let printed = format(&value);
        assert_eq!(parse(ty, &printed).expect("reparses"), value, "{text}");
        printed
    }

    #[test]
    fn v128_is_hex_and_prints_all_32_digits() {
        assert_eq!(
            round_trip(ValType::V128, "0x1"),
            "0x00000000000000000000000000000001"
        );
        let all = "0xffeeddccbbaa99887766554433221100";
        assert_eq!(round_trip(ValType::V128, all), all);
        assert!(parse(ValType::V128, "0x").is_err());
        assert!(parse(ValType::V128, "12").is_err());
        assert!(parse(ValType::V128, "0x1ffeeddccbbaa99887766554433221100").is_err());
    }

    #[test]
    fn integers_take_decimal_hex_and_the_unsigned_range() {
        assert_eq!(round_trip(ValType::I32, "42"), "42");
        assert_eq!(round_trip(ValType::I32, "-7"), "-7");
        assert_eq!(round_trip(ValType::I32, "0xffffffff"), "-1");
        assert_eq!(round_trip(ValType::I32, "4294967295"), "-1");
        assert_eq!(
            round_trip(ValType::I64, "-0x8000000000000000"),
            i64::MIN.to_string()
        );
        assert!(parse(ValType::I32, "4294967296").is_err());
        assert!(parse(ValType::I32, "-2147483649").is_err());
        assert!(parse(ValType::I32, "12a").is_err());
        assert!(parse(ValType::I64, "").is_err());
    }

    #[test]
    fn floats_round_trip_including_nan_payloads() {
        assert_eq!(round_trip(ValType::F32, "1.5"), "1.5");
        assert_eq!(round_trip(ValType::F64, "0.1"), "0.1");
        assert_eq!(round_trip(ValType::F64, "-inf"), "-inf");
        assert_eq!(round_trip(ValType::F32, "nan"), "nan");
        assert_eq!(round_trip(ValType::F64, "-nan"), "-nan");
        assert_eq!(round_trip(ValType::F32, "nan:0x1"), "nan:0x1");
        assert_eq!(
            round_trip(ValType::F64, "-nan:0x8000000000001"),
            "-nan:0x8000000000001"
        );
        assert_eq!(
            round_trip(ValType::F32, "3.4028235e38"),
            "340282350000000000000000000000000000000"
        );
        assert!(parse(ValType::F32, "nan:0x800000").is_err());
        assert!(parse(ValType::F64, "one").is_err());
        assert!(parse(ValType::FuncRef, "0").is_err());
    }
}
