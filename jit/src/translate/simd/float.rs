//! Float `v128` operators: arithmetic, `sqrt`, rounding, `abs`/`neg`,
//! `min`/`max`, `pmin`/`pmax` and comparisons, for `f32x4` and `f64x2`.
//!
//! - **`min`/`max`** are CLIF's `fmin`/`fmax`, defined as wasm defines
//!   them: a NaN in either lane gives NaN, and `-0 < +0`. x64 has no such
//!   instruction (`minps` returns its second operand for NaN and for equal
//!   zeros); Cranelift's lowering runs it both ways round and merges.
//! - **`pmin`/`pmax`** are wasm's "pseudo" forms, `b < a ? b : a` and
//!   `a < b ? b : a` exactly: a compare and a `bitselect`, so NaNs and
//!   zeros come out as that expression says (the first operand unless the
//!   ordered compare holds), which is what `minps`/`maxps` compute.
//! - **Rounding** (`ceil`, `floor`, `trunc`, `nearest`) is CLIF's vector
//!   rounding (SSE4.1 `roundps`/`roundpd`).
//! - **Comparisons** yield all-ones/all-zeros integer lanes, as wasm's.

use cranelift_codegen::ir::{self, InstBuilder, condcodes::FloatCC, types};
use cranelift_frontend::FunctionBuilder;
use wasmparser::Operator;

use super::super::FuncTranslator;
use super::bitcast;
use crate::translate::error::{TranslateResult, misrouted};

type Binary = fn(&mut FunctionBuilder<'_>, ir::Value, ir::Value) -> ir::Value;
type Unary = fn(&mut FunctionBuilder<'_>, ir::Value) -> ir::Value;

impl FuncTranslator<'_, '_> {
    /// A binary operator; `canonicalize` says whether its NaNs are
    /// arithmetic (and so canonicalized under `canonicalize_nans`).
    fn float_binary(
        &mut self,
        ty: ir::Type,
        canonicalize: bool,
        lower: Binary,
    ) -> TranslateResult<()> {
        let (a, b) = self.pop2_vec(ty)?;
        let mut v = lower(&mut self.builder, a, b);
        if canonicalize {
            v = self.canonicalize_vec(v);
        }
        self.push_vec(v);
        Ok(())
    }

    fn float_unary(
        &mut self,
        ty: ir::Type,
        canonicalize: bool,
        lower: Unary,
    ) -> TranslateResult<()> {
        let a = self.pop_vec(ty)?;
        let mut v = lower(&mut self.builder, a);
        if canonicalize {
            v = self.canonicalize_vec(v);
        }
        self.push_vec(v);
        Ok(())
    }

    fn float_compare(&mut self, ty: ir::Type, cc: FloatCC) -> TranslateResult<()> {
        let (a, b) = self.pop2_vec(ty)?;
        let v = self.builder.ins().fcmp(cc, a, b);
        self.push_vec(v);
        Ok(())
    }

    /// `pmin` (`b < a ? b : a`) or `pmax` (`a < b ? b : a`).
    fn pseudo_min_max(&mut self, ty: ir::Type, max: bool) -> TranslateResult<()> {
        let (a, b) = self.pop2_vec(ty)?;
        let take_b = if max {
            self.builder.ins().fcmp(FloatCC::LessThan, a, b)
        } else {
            self.builder.ins().fcmp(FloatCC::LessThan, b, a)
        };
        let take_b = bitcast(&mut self.builder, take_b, ty);
        let v = self.builder.ins().bitselect(take_b, b, a);
        self.push_vec(v);
        Ok(())
    }

    /// Translates `op`, a float SIMD operator.
    pub(in crate::translate) fn translate_simd_float(
        &mut self,
        op: &Operator<'_>,
    ) -> TranslateResult<()> {
        use FloatCC::*;
        use types::{F32X4, F64X2};
        match *op {
            Operator::F32x4Eq => self.float_compare(F32X4, Equal)?,
            Operator::F32x4Ne => self.float_compare(F32X4, NotEqual)?,
            Operator::F32x4Lt => self.float_compare(F32X4, LessThan)?,
            Operator::F32x4Gt => self.float_compare(F32X4, GreaterThan)?,
            Operator::F32x4Le => self.float_compare(F32X4, LessThanOrEqual)?,
            Operator::F32x4Ge => self.float_compare(F32X4, GreaterThanOrEqual)?,
            Operator::F64x2Eq => self.float_compare(F64X2, Equal)?,
            Operator::F64x2Ne => self.float_compare(F64X2, NotEqual)?,
            Operator::F64x2Lt => self.float_compare(F64X2, LessThan)?,
            Operator::F64x2Gt => self.float_compare(F64X2, GreaterThan)?,
            Operator::F64x2Le => self.float_compare(F64X2, LessThanOrEqual)?,
            Operator::F64x2Ge => self.float_compare(F64X2, GreaterThanOrEqual)?,

            Operator::F32x4Add => self.float_binary(F32X4, true, |b, x, y| b.ins().fadd(x, y))?,
            Operator::F32x4Sub => self.float_binary(F32X4, true, |b, x, y| b.ins().fsub(x, y))?,
            Operator::F32x4Mul => self.float_binary(F32X4, true, |b, x, y| b.ins().fmul(x, y))?,
            Operator::F32x4Div => self.float_binary(F32X4, true, |b, x, y| b.ins().fdiv(x, y))?,
            Operator::F32x4Min => self.float_binary(F32X4, true, |b, x, y| b.ins().fmin(x, y))?,
            Operator::F32x4Max => self.float_binary(F32X4, true, |b, x, y| b.ins().fmax(x, y))?,
            Operator::F64x2Add => self.float_binary(F64X2, true, |b, x, y| b.ins().fadd(x, y))?,
            Operator::F64x2Sub => self.float_binary(F64X2, true, |b, x, y| b.ins().fsub(x, y))?,
            Operator::F64x2Mul => self.float_binary(F64X2, true, |b, x, y| b.ins().fmul(x, y))?,
            Operator::F64x2Div => self.float_binary(F64X2, true, |b, x, y| b.ins().fdiv(x, y))?,
            Operator::F64x2Min => self.float_binary(F64X2, true, |b, x, y| b.ins().fmin(x, y))?,
            Operator::F64x2Max => self.float_binary(F64X2, true, |b, x, y| b.ins().fmax(x, y))?,
            Operator::F32x4PMin => self.pseudo_min_max(F32X4, false)?,
            Operator::F32x4PMax => self.pseudo_min_max(F32X4, true)?,
            Operator::F64x2PMin => self.pseudo_min_max(F64X2, false)?,
            Operator::F64x2PMax => self.pseudo_min_max(F64X2, true)?,

            Operator::F32x4Sqrt => self.float_unary(F32X4, true, |b, x| b.ins().sqrt(x))?,
            Operator::F32x4Ceil => self.float_unary(F32X4, true, |b, x| b.ins().ceil(x))?,
            Operator::F32x4Floor => self.float_unary(F32X4, true, |b, x| b.ins().floor(x))?,
            Operator::F32x4Trunc => self.float_unary(F32X4, true, |b, x| b.ins().trunc(x))?,
            Operator::F32x4Nearest => self.float_unary(F32X4, true, |b, x| b.ins().nearest(x))?,
            Operator::F32x4Abs => self.float_unary(F32X4, false, |b, x| b.ins().fabs(x))?,
            Operator::F32x4Neg => self.float_unary(F32X4, false, |b, x| b.ins().fneg(x))?,
            Operator::F64x2Sqrt => self.float_unary(F64X2, true, |b, x| b.ins().sqrt(x))?,
            Operator::F64x2Ceil => self.float_unary(F64X2, true, |b, x| b.ins().ceil(x))?,
            Operator::F64x2Floor => self.float_unary(F64X2, true, |b, x| b.ins().floor(x))?,
            Operator::F64x2Trunc => self.float_unary(F64X2, true, |b, x| b.ins().trunc(x))?,
            Operator::F64x2Nearest => self.float_unary(F64X2, true, |b, x| b.ins().nearest(x))?,
            Operator::F64x2Abs => self.float_unary(F64X2, false, |b, x| b.ins().fabs(x))?,
            Operator::F64x2Neg => self.float_unary(F64X2, false, |b, x| b.ins().fneg(x))?,
            _ => return Err(misrouted("SIMD float", op)),
        }
        Ok(())
    }
}
