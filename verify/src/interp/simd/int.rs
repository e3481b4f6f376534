//! Integer and bitwise vector instructions.
//!
//! Lane arithmetic wraps (`add`, `sub`, `mul`, `neg`, `abs` of the most
//! negative lane) or saturates where the instruction says `_sat`; shift
//! counts are taken modulo the lane width; comparisons yield all-ones or
//! all-zero lanes; narrowing saturates a signed input to the narrow lane's
//! range (`_u`: to `0..=max`), widening sign- or zero-extends.

use super::lanes::Shape;
use super::{cmp2, map1, map2, splat};
use crate::interp::code::Instr;
use crate::interp::value::Value;
use wasmparser::Operator;

/// `$op` on every lane of shape `$S` with the shift count (the `i32`
/// operand modulo the lane width `$bits`).
macro_rules! shift {
    ($S:ty, $bits:literal, |$a:ident, $n:ident| $body:expr) => {
        Instr::Binary(|x, y| {
            let $n = (y.i32() as u32) % $bits;
            let out: $S = <$S>::split(x.v128()).map(|$a| $body);
            Ok(Value::V128(out.join()))
        })
    };
}

/// `i32` whose bit `i` is the top (sign) bit of lane `i` of shape `$S`.
macro_rules! bitmask {
    ($S:ty) => {
        Instr::Unary(|x| {
            let lanes = <$S>::split(x.v128());
            let mask = lanes
                .iter()
                .enumerate()
                .fold(0u32, |m, (i, lane)| m | (u32::from(*lane < 0) << i));
            Ok(Value::I32(mask as i32))
        })
    };
}

/// `1` if every lane of shape `$S` is non-zero.
macro_rules! all_true {
    ($S:ty) => {
        Instr::Unary(|x| {
            let lanes = <$S>::split(x.v128());
            Ok(Value::from_bool(lanes.iter().all(|lane| *lane != 0)))
        })
    };
}

/// The low (`$off` 0) or high (`$off` = half the lanes) half of shape
/// `$from`, each lane widened to `$to`.
macro_rules! extend {
    ($from:ty => [$to:ty; $n:literal], $off:literal) => {
        Instr::Unary(|x| {
            let narrow = <$from>::split(x.v128());
            let wide: [$to; $n] = std::array::from_fn(|i| <$to>::from(narrow[$off + i]));
            Ok(Value::V128(wide.join()))
        })
    };
}

/// Products of the low or high halves of two `$from` vectors, widened to
/// `$to` first so that they cannot overflow.
macro_rules! extmul {
    ($from:ty => [$to:ty; $n:literal], $off:literal) => {
        Instr::Binary(|x, y| {
            let (a, b) = (<$from>::split(x.v128()), <$from>::split(y.v128()));
            let wide: [$to; $n] = std::array::from_fn(|i| {
                <$to>::from(a[$off + i]).wrapping_mul(<$to>::from(b[$off + i]))
            });
            Ok(Value::V128(wide.join()))
        })
    };
}

/// Sums of adjacent lane pairs of `$from`, widened to `$to`.
macro_rules! extadd_pairwise {
    ($from:ty => [$to:ty; $n:literal]) => {
        Instr::Unary(|x| {
            let narrow = <$from>::split(x.v128());
            let wide: [$to; $n] = std::array::from_fn(|i| {
                <$to>::from(narrow[2 * i]).wrapping_add(<$to>::from(narrow[2 * i + 1]))
            });
            Ok(Value::V128(wide.join()))
        })
    };
}

/// The lanes of both `$from` operands (first operand's lanes first), each
/// saturated to the range of `$to`.
macro_rules! narrow {
    ($from:ty => [$to:ty; $n:literal]) => {
        Instr::Binary(|x, y| {
            let (a, b) = (<$from>::split(x.v128()), <$from>::split(y.v128()));
            let half = $n / 2;
            let out: [$to; $n] = std::array::from_fn(|i| {
                let lane = if i < half { a[i] } else { b[i - half] };
                lane.clamp(<$to>::MIN.into(), <$to>::MAX.into()) as $to
            });
            Ok(Value::V128(out.join()))
        })
    };
}

/// The compiled form of an integer or bitwise vector operator, or `None`.
pub(super) fn compile(op: &Operator<'_>) -> Option<Instr> {
    use Operator as O;
    type I8 = [i8; 16];
    type U8 = [u8; 16];
    type I16 = [i16; 8];
    type U16 = [u16; 8];
    type I32 = [i32; 4];
    type U32 = [u32; 4];
    type I64 = [i64; 2];
    type U64 = [u64; 2];
    Some(match op {
        // ---- bitwise ----
        O::V128Not => Instr::Unary(|x| Ok(Value::V128(!x.v128()))),
        O::V128And => Instr::Binary(|x, y| Ok(Value::V128(x.v128() & y.v128()))),
        O::V128AndNot => Instr::Binary(|x, y| Ok(Value::V128(x.v128() & !y.v128()))),
        O::V128Or => Instr::Binary(|x, y| Ok(Value::V128(x.v128() | y.v128()))),
        O::V128Xor => Instr::Binary(|x, y| Ok(Value::V128(x.v128() ^ y.v128()))),
        O::V128AnyTrue => Instr::Unary(|x| Ok(Value::from_bool(x.v128() != 0))),
        // ---- splats ----
        O::I8x16Splat => splat!(I8, i32),
        O::I16x8Splat => splat!(I16, i32),
        O::I32x4Splat => splat!(I32, i32),
        O::I64x2Splat => splat!(I64, i64),
        O::F32x4Splat => splat!(U32, f32_bits),
        O::F64x2Splat => splat!(U64, f64_bits),
        // ---- swizzle: out-of-range indices select 0 ----
        O::I8x16Swizzle => Instr::Binary(|x, y| {
            let (a, s) = (x.v128().to_le_bytes(), y.v128().to_le_bytes());
            let out: U8 = s.map(|i| a.get(usize::from(i)).copied().unwrap_or(0));
            Ok(Value::V128(out.join()))
        }),
        // ---- comparisons ----
        O::I8x16Eq => cmp2!(I8 => I8, |a, b| a == b),
        O::I8x16Ne => cmp2!(I8 => I8, |a, b| a != b),
        O::I8x16LtS => cmp2!(I8 => I8, |a, b| a < b),
        O::I8x16LtU => cmp2!(U8 => I8, |a, b| a < b),
        O::I8x16GtS => cmp2!(I8 => I8, |a, b| a > b),
        O::I8x16GtU => cmp2!(U8 => I8, |a, b| a > b),
        O::I8x16LeS => cmp2!(I8 => I8, |a, b| a <= b),
        O::I8x16LeU => cmp2!(U8 => I8, |a, b| a <= b),
        O::I8x16GeS => cmp2!(I8 => I8, |a, b| a >= b),
        O::I8x16GeU => cmp2!(U8 => I8, |a, b| a >= b),
        O::I16x8Eq => cmp2!(I16 => I16, |a, b| a == b),
        O::I16x8Ne => cmp2!(I16 => I16, |a, b| a != b),
        O::I16x8LtS => cmp2!(I16 => I16, |a, b| a < b),
        O::I16x8LtU => cmp2!(U16 => I16, |a, b| a < b),
        O::I16x8GtS => cmp2!(I16 => I16, |a, b| a > b),
        O::I16x8GtU => cmp2!(U16 => I16, |a, b| a > b),
        O::I16x8LeS => cmp2!(I16 => I16, |a, b| a <= b),
        O::I16x8LeU => cmp2!(U16 => I16, |a, b| a <= b),
        O::I16x8GeS => cmp2!(I16 => I16, |a, b| a >= b),
        O::I16x8GeU => cmp2!(U16 => I16, |a, b| a >= b),
        O::I32x4Eq => cmp2!(I32 => I32, |a, b| a == b),
        O::I32x4Ne => cmp2!(I32 => I32, |a, b| a != b),
        O::I32x4LtS => cmp2!(I32 => I32, |a, b| a < b),
        O::I32x4LtU => cmp2!(U32 => I32, |a, b| a < b),
        O::I32x4GtS => cmp2!(I32 => I32, |a, b| a > b),
        O::I32x4GtU => cmp2!(U32 => I32, |a, b| a > b),
        O::I32x4LeS => cmp2!(I32 => I32, |a, b| a <= b),
        O::I32x4LeU => cmp2!(U32 => I32, |a, b| a <= b),
        O::I32x4GeS => cmp2!(I32 => I32, |a, b| a >= b),
        O::I32x4GeU => cmp2!(U32 => I32, |a, b| a >= b),
        O::I64x2Eq => cmp2!(I64 => I64, |a, b| a == b),
        O::I64x2Ne => cmp2!(I64 => I64, |a, b| a != b),
        O::I64x2LtS => cmp2!(I64 => I64, |a, b| a < b),
        O::I64x2GtS => cmp2!(I64 => I64, |a, b| a > b),
        O::I64x2LeS => cmp2!(I64 => I64, |a, b| a <= b),
        O::I64x2GeS => cmp2!(I64 => I64, |a, b| a >= b),
        // ---- i8x16 ----
        O::I8x16Abs => map1!(I8, |a| a.wrapping_abs()),
        O::I8x16Neg => map1!(I8, |a| a.wrapping_neg()),
        O::I8x16Popcnt => map1!(U8, |a| a.count_ones() as u8),
        O::I8x16AllTrue => all_true!(I8),
        O::I8x16Bitmask => bitmask!(I8),
        O::I8x16NarrowI16x8S => narrow!(I16 => [i8; 16]),
        O::I8x16NarrowI16x8U => narrow!(I16 => [u8; 16]),
        O::I8x16Shl => shift!(I8, 8, |a, n| a.wrapping_shl(n)),
        O::I8x16ShrS => shift!(I8, 8, |a, n| a.wrapping_shr(n)),
        O::I8x16ShrU => shift!(U8, 8, |a, n| a.wrapping_shr(n)),
        O::I8x16Add => map2!(I8, |a, b| a.wrapping_add(b)),
        O::I8x16AddSatS => map2!(I8, |a, b| a.saturating_add(b)),
        O::I8x16AddSatU => map2!(U8, |a, b| a.saturating_add(b)),
        O::I8x16Sub => map2!(I8, |a, b| a.wrapping_sub(b)),
        O::I8x16SubSatS => map2!(I8, |a, b| a.saturating_sub(b)),
        O::I8x16SubSatU => map2!(U8, |a, b| a.saturating_sub(b)),
        O::I8x16MinS => map2!(I8, |a, b| a.min(b)),
        O::I8x16MinU => map2!(U8, |a, b| a.min(b)),
        O::I8x16MaxS => map2!(I8, |a, b| a.max(b)),
        O::I8x16MaxU => map2!(U8, |a, b| a.max(b)),
        O::I8x16AvgrU => map2!(U8, |a, b| (u16::from(a) + u16::from(b)).div_ceil(2) as u8),
        // ---- i16x8 ----
        O::I16x8ExtAddPairwiseI8x16S => extadd_pairwise!(I8 => [i16; 8]),
        O::I16x8ExtAddPairwiseI8x16U => extadd_pairwise!(U8 => [u16; 8]),
        O::I16x8Abs => map1!(I16, |a| a.wrapping_abs()),
        O::I16x8Neg => map1!(I16, |a| a.wrapping_neg()),
        O::I16x8Q15MulrSatS => map2!(I16, |a, b| {
            let product = (i32::from(a) * i32::from(b) + 0x4000) >> 15;
            product.clamp(i16::MIN.into(), i16::MAX.into()) as i16
        }),
        O::I16x8AllTrue => all_true!(I16),
        O::I16x8Bitmask => bitmask!(I16),
        O::I16x8NarrowI32x4S => narrow!(I32 => [i16; 8]),
        O::I16x8NarrowI32x4U => narrow!(I32 => [u16; 8]),
        O::I16x8ExtendLowI8x16S => extend!(I8 => [i16; 8], 0),
        O::I16x8ExtendHighI8x16S => extend!(I8 => [i16; 8], 8),
        O::I16x8ExtendLowI8x16U => extend!(U8 => [u16; 8], 0),
        O::I16x8ExtendHighI8x16U => extend!(U8 => [u16; 8], 8),
        O::I16x8Shl => shift!(I16, 16, |a, n| a.wrapping_shl(n)),
        O::I16x8ShrS => shift!(I16, 16, |a, n| a.wrapping_shr(n)),
        O::I16x8ShrU => shift!(U16, 16, |a, n| a.wrapping_shr(n)),
        O::I16x8Add => map2!(I16, |a, b| a.wrapping_add(b)),
        O::I16x8AddSatS => map2!(I16, |a, b| a.saturating_add(b)),
        O::I16x8AddSatU => map2!(U16, |a, b| a.saturating_add(b)),
        O::I16x8Sub => map2!(I16, |a, b| a.wrapping_sub(b)),
        O::I16x8SubSatS => map2!(I16, |a, b| a.saturating_sub(b)),
        O::I16x8SubSatU => map2!(U16, |a, b| a.saturating_sub(b)),
        O::I16x8Mul => map2!(I16, |a, b| a.wrapping_mul(b)),
        O::I16x8MinS => map2!(I16, |a, b| a.min(b)),
        O::I16x8MinU => map2!(U16, |a, b| a.min(b)),
        O::I16x8MaxS => map2!(I16, |a, b| a.max(b)),
        O::I16x8MaxU => map2!(U16, |a, b| a.max(b)),
        O::I16x8AvgrU => map2!(U16, |a, b| (u32::from(a) + u32::from(b)).div_ceil(2) as u16),
        O::I16x8ExtMulLowI8x16S => extmul!(I8 => [i16; 8], 0),
        O::I16x8ExtMulHighI8x16S => extmul!(I8 => [i16; 8], 8),
        O::I16x8ExtMulLowI8x16U => extmul!(U8 => [u16; 8], 0),
        O::I16x8ExtMulHighI8x16U => extmul!(U8 => [u16; 8], 8),
        // ---- i32x4 ----
        O::I32x4ExtAddPairwiseI16x8S => extadd_pairwise!(I16 => [i32; 4]),
        O::I32x4ExtAddPairwiseI16x8U => extadd_pairwise!(U16 => [u32; 4]),
        O::I32x4Abs => map1!(I32, |a| a.wrapping_abs()),
        O::I32x4Neg => map1!(I32, |a| a.wrapping_neg()),
        O::I32x4AllTrue => all_true!(I32),
        O::I32x4Bitmask => bitmask!(I32),
        O::I32x4ExtendLowI16x8S => extend!(I16 => [i32; 4], 0),
        O::I32x4ExtendHighI16x8S => extend!(I16 => [i32; 4], 4),
        O::I32x4ExtendLowI16x8U => extend!(U16 => [u32; 4], 0),
        O::I32x4ExtendHighI16x8U => extend!(U16 => [u32; 4], 4),
        O::I32x4Shl => shift!(I32, 32, |a, n| a.wrapping_shl(n)),
        O::I32x4ShrS => shift!(I32, 32, |a, n| a.wrapping_shr(n)),
        O::I32x4ShrU => shift!(U32, 32, |a, n| a.wrapping_shr(n)),
        O::I32x4Add => map2!(I32, |a, b| a.wrapping_add(b)),
        O::I32x4Sub => map2!(I32, |a, b| a.wrapping_sub(b)),
        O::I32x4Mul => map2!(I32, |a, b| a.wrapping_mul(b)),
        O::I32x4MinS => map2!(I32, |a, b| a.min(b)),
        O::I32x4MinU => map2!(U32, |a, b| a.min(b)),
        O::I32x4MaxS => map2!(I32, |a, b| a.max(b)),
        O::I32x4MaxU => map2!(U32, |a, b| a.max(b)),
        // Two products of at most 2^30 each; only their sum can wrap.
        O::I32x4DotI16x8S => Instr::Binary(|x, y| {
            let (a, b) = (I16::split(x.v128()), I16::split(y.v128()));
            let product = |i: usize| i32::from(a[i]) * i32::from(b[i]);
            let out: I32 = std::array::from_fn(|i| product(2 * i).wrapping_add(product(2 * i + 1)));
            Ok(Value::V128(out.join()))
        }),
        O::I32x4ExtMulLowI16x8S => extmul!(I16 => [i32; 4], 0),
        O::I32x4ExtMulHighI16x8S => extmul!(I16 => [i32; 4], 4),
        O::I32x4ExtMulLowI16x8U => extmul!(U16 => [u32; 4], 0),
        O::I32x4ExtMulHighI16x8U => extmul!(U16 => [u32; 4], 4),
        // ---- i64x2 ----
        O::I64x2Abs => map1!(I64, |a| a.wrapping_abs()),
        O::I64x2Neg => map1!(I64, |a| a.wrapping_neg()),
        O::I64x2AllTrue => all_true!(I64),
        O::I64x2Bitmask => bitmask!(I64),
        O::I64x2ExtendLowI32x4S => extend!(I32 => [i64; 2], 0),
        O::I64x2ExtendHighI32x4S => extend!(I32 => [i64; 2], 2),
        O::I64x2ExtendLowI32x4U => extend!(U32 => [u64; 2], 0),
        O::I64x2ExtendHighI32x4U => extend!(U32 => [u64; 2], 2),
        O::I64x2Shl => shift!(I64, 64, |a, n| a.wrapping_shl(n)),
        O::I64x2ShrS => shift!(I64, 64, |a, n| a.wrapping_shr(n)),
        O::I64x2ShrU => shift!(U64, 64, |a, n| a.wrapping_shr(n)),
        O::I64x2Add => map2!(I64, |a, b| a.wrapping_add(b)),
        O::I64x2Sub => map2!(I64, |a, b| a.wrapping_sub(b)),
        O::I64x2Mul => map2!(I64, |a, b| a.wrapping_mul(b)),
        O::I64x2ExtMulLowI32x4S => extmul!(I32 => [i64; 2], 0),
        O::I64x2ExtMulHighI32x4S => extmul!(I32 => [i64; 2], 2),
        O::I64x2ExtMulLowI32x4U => extmul!(U32 => [u64; 2], 0),
        O::I64x2ExtMulHighI32x4U => extmul!(U32 => [u64; 2], 2),
        _ => return None,
    })
}
