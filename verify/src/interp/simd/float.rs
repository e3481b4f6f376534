//! Float vector instructions and the conversions between vector shapes.
//!
//! Each lane follows the scalar instruction of its type (`numeric.rs`), so
//! the lane-wise forms reuse the interpreter's own scalar helpers for
//! `min`/`max` and for quieting the NaNs of rounding functions. The
//! `pmin`/`pmax` "pseudo" forms are plain selections (`b < a ? b : a`),
//! never producing a new NaN. Conversions to integers saturate (NaN to 0),
//! from integers round to nearest, ties to even; the `_zero` forms fill the
//! upper half of the result with zeros, the `_low` forms read the lower
//! half of their operand.

use super::lanes::Shape;
use super::{cmp2, map1, map2};
use crate::interp::code::Instr;
use crate::interp::numeric::{max_f32, max_f64, min_f32, min_f64, quiet_32, quiet_64};
use crate::interp::value::Value;
use wasmparser::Operator;

/// Converts the first `$used` lanes of `$from` with `$conv` into the first
/// lanes of `$to`, leaving the rest zero.
macro_rules! convert {
    ($from:ty => [$to:ty; $n:literal], $used:literal, |$a:ident| $conv:expr) => {
        Instr::Unary(|x| {
            let lanes = <$from>::split(x.v128());
            let out: [$to; $n] = std::array::from_fn(|i| {
                if i < $used {
                    let $a = lanes[i];
                    $conv
                } else {
                    Default::default()
                }
            });
            Ok(Value::V128(out.join()))
        })
    };
}

/// The compiled form of a float vector operator or shape conversion.
pub(super) fn compile(op: &Operator<'_>) -> Option<Instr> {
    use Operator as O;
    type F32 = [f32; 4];
    type F64 = [f64; 2];
    type U32 = [u32; 4];
    type U64 = [u64; 2];
    type I32 = [i32; 4];
    type I64 = [i64; 2];
    Some(match op {
        // ---- f32x4 ----
        O::F32x4Eq => cmp2!(F32 => I32, |a, b| a == b),
        O::F32x4Ne => cmp2!(F32 => I32, |a, b| a != b),
        O::F32x4Lt => cmp2!(F32 => I32, |a, b| a < b),
        O::F32x4Gt => cmp2!(F32 => I32, |a, b| a > b),
        O::F32x4Le => cmp2!(F32 => I32, |a, b| a <= b),
        O::F32x4Ge => cmp2!(F32 => I32, |a, b| a >= b),
        O::F32x4Abs => map1!(U32, |a| a & 0x7fff_ffff),
        O::F32x4Neg => map1!(U32, |a| a ^ 0x8000_0000),
        O::F32x4Ceil => map1!(F32, |a| quiet_32(a.ceil())),
        O::F32x4Floor => map1!(F32, |a| quiet_32(a.floor())),
        O::F32x4Trunc => map1!(F32, |a| quiet_32(a.trunc())),
        O::F32x4Nearest => map1!(F32, |a| quiet_32(a.round_ties_even())),
        O::F32x4Sqrt => map1!(F32, |a| quiet_32(a.sqrt())),
        O::F32x4Add => map2!(F32, |a, b| a + b),
        O::F32x4Sub => map2!(F32, |a, b| a - b),
        O::F32x4Mul => map2!(F32, |a, b| a * b),
        O::F32x4Div => map2!(F32, |a, b| a / b),
        O::F32x4Min => map2!(F32, |a, b| min_f32(a, b)),
        O::F32x4Max => map2!(F32, |a, b| max_f32(a, b)),
        O::F32x4PMin => map2!(F32, |a, b| if b < a { b } else { a }),
        O::F32x4PMax => map2!(F32, |a, b| if a < b { b } else { a }),
        // ---- f64x2 ----
        O::F64x2Eq => cmp2!(F64 => I64, |a, b| a == b),
        O::F64x2Ne => cmp2!(F64 => I64, |a, b| a != b),
        O::F64x2Lt => cmp2!(F64 => I64, |a, b| a < b),
        O::F64x2Gt => cmp2!(F64 => I64, |a, b| a > b),
        O::F64x2Le => cmp2!(F64 => I64, |a, b| a <= b),
        O::F64x2Ge => cmp2!(F64 => I64, |a, b| a >= b),
        O::F64x2Abs => map1!(U64, |a| a & 0x7fff_ffff_ffff_ffff),
        O::F64x2Neg => map1!(U64, |a| a ^ 0x8000_0000_0000_0000),
        O::F64x2Ceil => map1!(F64, |a| quiet_64(a.ceil())),
        O::F64x2Floor => map1!(F64, |a| quiet_64(a.floor())),
        O::F64x2Trunc => map1!(F64, |a| quiet_64(a.trunc())),
        O::F64x2Nearest => map1!(F64, |a| quiet_64(a.round_ties_even())),
        O::F64x2Sqrt => map1!(F64, |a| quiet_64(a.sqrt())),
        O::F64x2Add => map2!(F64, |a, b| a + b),
        O::F64x2Sub => map2!(F64, |a, b| a - b),
        O::F64x2Mul => map2!(F64, |a, b| a * b),
        O::F64x2Div => map2!(F64, |a, b| a / b),
        O::F64x2Min => map2!(F64, |a, b| min_f64(a, b)),
        O::F64x2Max => map2!(F64, |a, b| max_f64(a, b)),
        O::F64x2PMin => map2!(F64, |a, b| if b < a { b } else { a }),
        O::F64x2PMax => map2!(F64, |a, b| if a < b { b } else { a }),
        // ---- conversions: Rust's `as` from float to int saturates and
        // maps NaN to 0, exactly `trunc_sat`; int to float rounds to
        // nearest, ties to even; f32 to f64 is exact ----
        O::I32x4TruncSatF32x4S => convert!(F32 => [i32; 4], 4, |a| a as i32),
        O::I32x4TruncSatF32x4U => convert!(F32 => [u32; 4], 4, |a| a as u32),
        O::I32x4TruncSatF64x2SZero => convert!(F64 => [i32; 4], 2, |a| a as i32),
        O::I32x4TruncSatF64x2UZero => convert!(F64 => [u32; 4], 2, |a| a as u32),
        O::F32x4ConvertI32x4S => convert!(I32 => [f32; 4], 4, |a| a as f32),
        O::F32x4ConvertI32x4U => convert!(U32 => [f32; 4], 4, |a| a as f32),
        O::F64x2ConvertLowI32x4S => convert!(I32 => [f64; 2], 2, |a| f64::from(a)),
        O::F64x2ConvertLowI32x4U => convert!(U32 => [f64; 2], 2, |a| f64::from(a)),
        // Demotion rounds to nearest; a NaN stays a NaN, with its quiet bit
        // set (the spec's arithmetic NaN) whatever the hardware does.
        O::F32x4DemoteF64x2Zero => convert!(F64 => [f32; 4], 2, |a| quiet_32(a as f32)),
        O::F64x2PromoteLowF32x4 => convert!(F32 => [f64; 2], 2, |a| quiet_64(f64::from(a))),
        _ => return None,
    })
}
