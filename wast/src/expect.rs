//! Comparing what an engine produced with what a script expects.

use crate::engine::Val;
use crate::script::{Expected, FloatPattern, V128Lanes};

/// Checks `actual` against `expected`, position by position. `Err` says
/// which result differed and how.
pub(crate) fn results(actual: &[Val], expected: &[Expected]) -> Result<(), String> {
    if actual.len() != expected.len() {
        return Err(format!(
            "expected {} results, got {}: {}",
            expected.len(),
            actual.len(),
            list(actual)
        ));
    }
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        if let Err(why) = value(a, e) {
            return Err(format!("result {i}: {why} (all results: {})", list(actual)));
        }
    }
    Ok(())
}

/// Checks one value; `Err` explains the mismatch.
pub(crate) fn value(actual: &Val, expected: &Expected) -> Result<(), String> {
    let ok = match (expected, actual) {
        (Expected::I32(e), Val::I32(a)) => e == a,
        (Expected::I64(e), Val::I64(a)) => e == a,
        (Expected::F32(p), Val::F32(a)) => f32_matches(*p, *a),
        (Expected::F64(p), Val::F64(a)) => f64_matches(*p, *a),
        (Expected::V128(lanes), Val::V128(a)) => v128_matches(lanes, *a),
        (Expected::NullRef(None), Val::NullRef(_)) => true,
        (Expected::NullRef(Some(e)), Val::NullRef(a)) => e == a,
        (Expected::FuncRef, Val::FuncRef) => true,
        (Expected::ExternRef(None), Val::ExternRef(_)) => true,
        (Expected::ExternRef(Some(e)), Val::ExternRef(a)) => e == a,
        (Expected::Either(alternatives), a) => alternatives.iter().any(|e| value(a, e).is_ok()),
        (Expected::Unsupported(what), _) => return Err(what.clone()),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("expected {}, got {actual}", describe(expected)))
    }
}

/// Whether an engine's trap message satisfies a script's expected message.
///
/// Engines word their messages as the spec does, but the spec sometimes adds
/// detail an engine need not print: `uninitialized element 2` for an engine
/// saying `uninitialized element`. So the engine's message must contain the
/// expected text, or be the expected text minus a trailing index.
pub(crate) fn trap_message(actual: &str, expected: &str) -> bool {
    if actual.contains(expected) {
        return true;
    }
    match expected.rsplit_once(' ') {
        Some((stem, index)) if !index.is_empty() && index.bytes().all(|b| b.is_ascii_digit()) => {
            actual.contains(stem)
        }
        _ => false,
    }
}

const F32_QUIET: u32 = 0x0040_0000;
const F32_EXP: u32 = 0x7f80_0000;
const F32_FRAC: u32 = 0x007f_ffff;
const F64_QUIET: u64 = 0x0008_0000_0000_0000;
const F64_EXP: u64 = 0x7ff0_0000_0000_0000;
const F64_FRAC: u64 = 0x000f_ffff_ffff_ffff;

fn f32_matches(pattern: FloatPattern<u32>, bits: u32) -> bool {
    let nan = bits & F32_EXP == F32_EXP && bits & F32_FRAC != 0;
    match pattern {
        FloatPattern::Bits(e) => e == bits,
        // Canonical: only the quiet bit of the payload set, either sign.
        FloatPattern::CanonicalNan => bits & !(1 << 31) == F32_EXP | F32_QUIET,
        FloatPattern::ArithmeticNan => nan && bits & F32_QUIET != 0,
    }
}

fn f64_matches(pattern: FloatPattern<u64>, bits: u64) -> bool {
    let nan = bits & F64_EXP == F64_EXP && bits & F64_FRAC != 0;
    match pattern {
        FloatPattern::Bits(e) => e == bits,
        FloatPattern::CanonicalNan => bits & !(1 << 63) == F64_EXP | F64_QUIET,
        FloatPattern::ArithmeticNan => nan && bits & F64_QUIET != 0,
    }
}

/// Lane `i` of `bits` in lanes of `width` bits, zero-extended.
fn lane(bits: u128, i: usize, width: usize) -> u64 {
    let mask = if width == 64 {
        u64::MAX
    } else {
        (1u64 << width) - 1
    };
    (bits >> (i * width)) as u64 & mask
}

fn v128_matches(expected: &V128Lanes, bits: u128) -> bool {
    fn ints<const N: usize, T: Copy + Into<u64>>(lanes: &[T; N], bits: u128) -> bool {
        let width = 128 / N;
        lanes
            .iter()
            .enumerate()
            .all(|(i, e)| lane(bits, i, width) == (*e).into())
    }
    match expected {
        V128Lanes::I8x16(l) => ints(l, bits),
        V128Lanes::I16x8(l) => ints(l, bits),
        V128Lanes::I32x4(l) => ints(l, bits),
        V128Lanes::I64x2(l) => ints(l, bits),
        V128Lanes::F32x4(l) => l
            .iter()
            .enumerate()
            .all(|(i, p)| f32_matches(*p, lane(bits, i, 32) as u32)),
        V128Lanes::F64x2(l) => l
            .iter()
            .enumerate()
            .all(|(i, p)| f64_matches(*p, lane(bits, i, 64))),
    }
}

fn describe_v128(lanes: &V128Lanes) -> String {
    fn join<T: ToString>(shape: &str, lanes: &[T]) -> String {
        let all: Vec<String> = lanes.iter().map(T::to_string).collect();
        format!("v128:{shape} {}", all.join(" "))
    }
    fn float<T: std::fmt::LowerHex + Copy>(p: &FloatPattern<T>) -> String {
        match p {
            FloatPattern::Bits(b) => format!("0x{b:x}"),
            FloatPattern::CanonicalNan => "nan:canonical".into(),
            FloatPattern::ArithmeticNan => "nan:arithmetic".into(),
        }
    }
    match lanes {
        V128Lanes::I8x16(l) => join("i8x16", l),
        V128Lanes::I16x8(l) => join("i16x8", l),
        V128Lanes::I32x4(l) => join("i32x4", l),
        V128Lanes::I64x2(l) => join("i64x2", l),
        V128Lanes::F32x4(l) => join("f32x4", &l.map(|p| float(&p))),
        V128Lanes::F64x2(l) => join("f64x2", &l.map(|p| float(&p))),
    }
}

fn describe(expected: &Expected) -> String {
    match expected {
        Expected::I32(v) => Val::I32(*v).to_string(),
        Expected::I64(v) => Val::I64(*v).to_string(),
        Expected::F32(FloatPattern::Bits(b)) => Val::F32(*b).to_string(),
        Expected::F64(FloatPattern::Bits(b)) => Val::F64(*b).to_string(),
        Expected::F32(FloatPattern::CanonicalNan) => "f32:nan:canonical".into(),
        Expected::F32(FloatPattern::ArithmeticNan) => "f32:nan:arithmetic".into(),
        Expected::F64(FloatPattern::CanonicalNan) => "f64:nan:canonical".into(),
        Expected::F64(FloatPattern::ArithmeticNan) => "f64:nan:arithmetic".into(),
        Expected::NullRef(None) => "a null reference".into(),
        Expected::NullRef(Some(ty)) => Val::NullRef(*ty).to_string(),
        Expected::FuncRef => "a non-null funcref".into(),
        Expected::ExternRef(None) => "a non-null externref".into(),
        Expected::ExternRef(Some(n)) => Val::ExternRef(*n).to_string(),
        Expected::V128(lanes) => describe_v128(lanes),
        Expected::Either(alternatives) => {
            let all: Vec<String> = alternatives.iter().map(describe).collect();
            format!("one of [{}]", all.join(", "))
        }
        Expected::Unsupported(what) => what.clone(),
    }
}

/// Renders values as `[i32:1, f32:...]` for messages.
pub(crate) fn list(values: &[Val]) -> String {
    let all: Vec<String> = values.iter().map(Val::to_string).collect();
    format!("[{}]", all.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RefType;

    #[test]
    fn canonical_nan_accepts_either_sign_only() {
        let p = FloatPattern::CanonicalNan;
        assert!(f32_matches(p, 0x7fc0_0000));
        assert!(f32_matches(p, 0xffc0_0000));
        assert!(!f32_matches(p, 0x7fc0_0001));
        assert!(!f32_matches(p, 0x7f80_0000));
        let p = FloatPattern::CanonicalNan;
        assert!(f64_matches(p, 0x7ff8_0000_0000_0000));
        assert!(f64_matches(p, 0xfff8_0000_0000_0000));
        assert!(!f64_matches(p, 0x7ff8_0000_0000_0001));
    }

    #[test]
    fn arithmetic_nan_needs_the_quiet_bit() {
        let p = FloatPattern::ArithmeticNan;
        assert!(f32_matches(p, 0x7fc0_0001));
        assert!(f32_matches(p, 0xffe0_0000));
        assert!(!f32_matches(p, 0x7fa0_0000));
        assert!(!f32_matches(p, 0x3f80_0000));
        let p = FloatPattern::ArithmeticNan;
        assert!(f64_matches(p, 0x7ff8_0000_0000_0001));
        assert!(!f64_matches(p, 0x7ff4_0000_0000_0000));
        assert!(!f64_matches(p, 0x7ff0_0000_0000_0000));
    }

    #[test]
    fn references_match_by_kind_and_payload() {
        assert!(value(&Val::NullRef(RefType::Func), &Expected::NullRef(None)).is_ok());
        assert!(
            value(
                &Val::NullRef(RefType::Extern),
                &Expected::NullRef(Some(RefType::Func))
            )
            .is_err()
        );
        assert!(value(&Val::ExternRef(3), &Expected::ExternRef(Some(3))).is_ok());
        assert!(value(&Val::ExternRef(3), &Expected::ExternRef(Some(4))).is_err());
        assert!(value(&Val::FuncRef, &Expected::FuncRef).is_ok());
        assert!(value(&Val::NullRef(RefType::Func), &Expected::FuncRef).is_err());
    }

    #[test]
    fn v128_integer_lanes_compare_as_bits_in_lane_order() {
        // Lane 0 is the lowest-addressed byte, i.e. the low bits.
        let bits = 0x0000_0004_0000_0003_0000_0002_ffff_ffffu128;
        let e = Expected::V128(V128Lanes::I32x4([u32::MAX, 2, 3, 4]));
        assert!(value(&Val::V128(bits), &e).is_ok());
        let e = Expected::V128(V128Lanes::I32x4([u32::MAX, 2, 4, 3]));
        assert!(value(&Val::V128(bits), &e).is_err());
        let e = Expected::V128(V128Lanes::I64x2([
            0x0000_0002_ffff_ffff,
            0x0000_0004_0000_0003,
        ]));
        assert!(value(&Val::V128(bits), &e).is_ok());
        let mut bytes = [0u8; 16];
        bytes[15] = 0x80;
        let e = Expected::V128(V128Lanes::I8x16(bytes));
        assert!(value(&Val::V128(0x80 << 120), &e).is_ok());
        assert!(value(&Val::V128(0x80), &e).is_err());
        let e = Expected::V128(V128Lanes::I16x8([0, 0, 0, 0, 0, 0, 0, 0xffff]));
        assert!(value(&Val::V128(0xffff << 112), &e).is_ok());
    }

    #[test]
    fn v128_float_lanes_take_nan_patterns_lane_by_lane() {
        let lanes = [
            FloatPattern::CanonicalNan,
            FloatPattern::ArithmeticNan,
            FloatPattern::Bits(0x3f80_0000),
            FloatPattern::Bits(0),
        ];
        let e = Expected::V128(V128Lanes::F32x4(lanes));
        let ok = 0x0000_0000_3f80_0000_7fc0_0001_ffc0_0000u128;
        assert!(value(&Val::V128(ok), &e).is_ok());
        // Lane 1 a signalling NaN: not arithmetic.
        let bad = 0x0000_0000_3f80_0000_7fa0_0000_ffc0_0000u128;
        assert!(value(&Val::V128(bad), &e).is_err());
        let e = Expected::V128(V128Lanes::F64x2([
            FloatPattern::Bits(0x4000_0000_0000_0000),
            FloatPattern::CanonicalNan,
        ]));
        let ok = 0x7ff8_0000_0000_0000_4000_0000_0000_0000u128;
        assert!(value(&Val::V128(ok), &e).is_ok());
        assert!(value(&Val::V128(ok.rotate_left(64)), &e).is_err());
        assert!(value(&Val::I32(0), &e).is_err());
    }

    #[test]
    fn either_accepts_any_alternative() {
        let e = Expected::Either(vec![Expected::I32(1), Expected::I32(2)]);
        assert!(value(&Val::I32(2), &e).is_ok());
        assert!(value(&Val::I32(3), &e).is_err());
    }

    #[test]
    fn trap_messages_match_by_containment_or_trailing_index() {
        assert!(trap_message(
            "integer divide by zero",
            "integer divide by zero"
        ));
        assert!(trap_message(
            "uninitialized element",
            "uninitialized element 2"
        ));
        assert!(!trap_message(
            "out of bounds memory access",
            "integer overflow"
        ));
        assert!(!trap_message(
            "indirect call",
            "indirect call type mismatch"
        ));
    }

    #[test]
    fn result_count_must_match() {
        assert!(results(&[Val::I32(1)], &[]).is_err());
        assert!(results(&[Val::I32(1)], &[Expected::I32(1)]).is_ok());
    }
}
