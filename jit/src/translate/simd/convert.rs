//! `v128` conversions between float and integer lanes and between float
//! widths.
//!
//! Float-to-int conversions are wasm's saturating `trunc_sat`: NaN lanes
//! become 0 and out-of-range lanes the nearest bound. That is exactly
//! CLIF's `fcvt_to_{s,u}int_sat`, which (unlike the trapping
//! `fcvt_to_*int`) has no trap sites. x64 has no unsigned conversion; the
//! lowering of `fcvt_to_uint_sat` for `i32x4` builds it from `cvttps2dq`
//! with explicit clamping, which the tests cover at the edges (NaN, -0.5,
//! 2^31, 2^32, +inf).
//!
//! The `_zero` forms convert two `f64` lanes into the low two `i32` lanes
//! and zero the high two: convert to `i64x2` saturating, then narrow with
//! saturation against a zero vector. A lane beyond the `i32` range is
//! clamped by the narrowing, NaN is already 0, so the composition is
//! wasm's `trunc_sat` to `i32` (x64 matches the pair to `cvttpd2dq` with
//! clamping).

use cranelift_codegen::ir::{InstBuilder, types};
use wasmparser::Operator;

use super::super::FuncTranslator;
use super::vector_const;
use crate::translate::error::{TranslateResult, misrouted};

impl FuncTranslator<'_, '_> {
    /// Translates `op`, a SIMD conversion.
    pub(in crate::translate) fn translate_simd_convert(
        &mut self,
        op: &Operator<'_>,
    ) -> TranslateResult<()> {
        use types::{F32X4, F64X2, I32X4, I64X2};
        let v = match *op {
            Operator::I32x4TruncSatF32x4S => {
                let a = self.pop_vec(F32X4)?;
                self.builder.ins().fcvt_to_sint_sat(I32X4, a)
            }
            Operator::I32x4TruncSatF32x4U => {
                let a = self.pop_vec(F32X4)?;
                self.builder.ins().fcvt_to_uint_sat(I32X4, a)
            }
            Operator::I32x4TruncSatF64x2SZero => {
                let a = self.pop_vec(F64X2)?;
                let wide = self.builder.ins().fcvt_to_sint_sat(I64X2, a);
                let zero = vector_const(&mut self.builder, I64X2, 0);
                self.builder.ins().snarrow(wide, zero)
            }
            Operator::I32x4TruncSatF64x2UZero => {
                let a = self.pop_vec(F64X2)?;
                let wide = self.builder.ins().fcvt_to_uint_sat(I64X2, a);
                let zero = vector_const(&mut self.builder, I64X2, 0);
                self.builder.ins().uunarrow(wide, zero)
            }
            Operator::F32x4ConvertI32x4S => {
                let a = self.pop_vec(I32X4)?;
                self.builder.ins().fcvt_from_sint(F32X4, a)
            }
            Operator::F32x4ConvertI32x4U => {
                let a = self.pop_vec(I32X4)?;
                self.builder.ins().fcvt_from_uint(F32X4, a)
            }
            Operator::F64x2ConvertLowI32x4S => {
                let a = self.pop_vec(I32X4)?;
                let wide = self.builder.ins().swiden_low(a);
                self.builder.ins().fcvt_from_sint(F64X2, wide)
            }
            Operator::F64x2ConvertLowI32x4U => {
                let a = self.pop_vec(I32X4)?;
                let wide = self.builder.ins().uwiden_low(a);
                self.builder.ins().fcvt_from_uint(F64X2, wide)
            }
            Operator::F32x4DemoteF64x2Zero => {
                let a = self.pop_vec(F64X2)?;
                let v = self.builder.ins().fvdemote(a);
                self.canonicalize_vec(v)
            }
            Operator::F64x2PromoteLowF32x4 => {
                let a = self.pop_vec(F32X4)?;
                let v = self.builder.ins().fvpromote_low(a);
                self.canonicalize_vec(v)
            }
            _ => return Err(misrouted("SIMD conversion", op)),
        };
        self.push_vec(v);
        Ok(())
    }
}
