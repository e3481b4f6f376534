//! Float constants, arithmetic and comparisons for `f32` and `f64`.
//!
//! CLIF's float instructions are defined with wasm's semantics, so each wasm
//! operator is one instruction:
//!
//! - `fmin`/`fmax` propagate NaN and order `-0.0` below `+0.0`, exactly as
//!   wasm's `min`/`max`; on x64 Cranelift lowers them to a short sequence
//!   around `minss`/`maxss` that handles both cases (the tests check them).
//! - `nearest` rounds half to even, as wasm's `nearest` does.
//! - `fcmp` with `NotEqual` is "unordered or not equal", wasm's `ne`; the
//!   other comparisons are ordered, so they are false on NaN, as in wasm.
//!
//! NaN canonicalization follows the parent module's policy.

use cranelift_codegen::ir::condcodes::FloatCC;
use cranelift_codegen::ir::immediates::{Ieee32, Ieee64};
use cranelift_codegen::ir::{self, InstBuilder, types};
use cranelift_frontend::FunctionBuilder;
use wasmparser::Operator;

use super::NumericCx;
use crate::translate::error::{TranslateResult, misrouted};

/// Whether a float result goes through NaN canonicalization.
#[derive(Clone, Copy)]
enum Nan {
    /// Arithmetic: a NaN result is canonicalized when the policy asks.
    Arithmetic,
    /// Bit manipulation (`abs`, `neg`, `copysign`): wasm defines the exact
    /// result bits, NaN payloads included, so it is never touched.
    Bitwise,
}

/// Translates `op` if it is a float operator.
pub(super) fn translate(cx: &mut NumericCx, op: &Operator) -> TranslateResult<()> {
    use Nan::{Arithmetic, Bitwise};
    use Operator as O;
    use types::{F32, F64};
    match op {
        // ---- Constants (bit patterns, so NaN payloads survive) ----
        O::F32Const { value } => {
            let value = cx.builder.ins().f32const(Ieee32::with_bits(value.bits()));
            cx.push(value);
        }
        O::F64Const { value } => {
            let value = cx.builder.ins().f64const(Ieee64::with_bits(value.bits()));
            cx.push(value);
        }

        // ---- Comparisons ----
        O::F32Eq => compare(cx, F32, FloatCC::Equal, op)?,
        O::F32Ne => compare(cx, F32, FloatCC::NotEqual, op)?,
        O::F32Lt => compare(cx, F32, FloatCC::LessThan, op)?,
        O::F32Gt => compare(cx, F32, FloatCC::GreaterThan, op)?,
        O::F32Le => compare(cx, F32, FloatCC::LessThanOrEqual, op)?,
        O::F32Ge => compare(cx, F32, FloatCC::GreaterThanOrEqual, op)?,
        O::F64Eq => compare(cx, F64, FloatCC::Equal, op)?,
        O::F64Ne => compare(cx, F64, FloatCC::NotEqual, op)?,
        O::F64Lt => compare(cx, F64, FloatCC::LessThan, op)?,
        O::F64Gt => compare(cx, F64, FloatCC::GreaterThan, op)?,
        O::F64Le => compare(cx, F64, FloatCC::LessThanOrEqual, op)?,
        O::F64Ge => compare(cx, F64, FloatCC::GreaterThanOrEqual, op)?,

        // ---- Unary ----
        O::F32Abs => unary(cx, F32, Bitwise, op, |b, x| b.ins().fabs(x))?,
        O::F32Neg => unary(cx, F32, Bitwise, op, |b, x| b.ins().fneg(x))?,
        O::F32Ceil => unary(cx, F32, Arithmetic, op, |b, x| b.ins().ceil(x))?,
        O::F32Floor => unary(cx, F32, Arithmetic, op, |b, x| b.ins().floor(x))?,
        O::F32Trunc => unary(cx, F32, Arithmetic, op, |b, x| b.ins().trunc(x))?,
        O::F32Nearest => unary(cx, F32, Arithmetic, op, |b, x| b.ins().nearest(x))?,
        O::F32Sqrt => unary(cx, F32, Arithmetic, op, |b, x| b.ins().sqrt(x))?,
        O::F64Abs => unary(cx, F64, Bitwise, op, |b, x| b.ins().fabs(x))?,
        O::F64Neg => unary(cx, F64, Bitwise, op, |b, x| b.ins().fneg(x))?,
        O::F64Ceil => unary(cx, F64, Arithmetic, op, |b, x| b.ins().ceil(x))?,
        O::F64Floor => unary(cx, F64, Arithmetic, op, |b, x| b.ins().floor(x))?,
        O::F64Trunc => unary(cx, F64, Arithmetic, op, |b, x| b.ins().trunc(x))?,
        O::F64Nearest => unary(cx, F64, Arithmetic, op, |b, x| b.ins().nearest(x))?,
        O::F64Sqrt => unary(cx, F64, Arithmetic, op, |b, x| b.ins().sqrt(x))?,

        // ---- Binary ----
        O::F32Add => binary(cx, F32, Arithmetic, op, |b, x, y| b.ins().fadd(x, y))?,
        O::F32Sub => binary(cx, F32, Arithmetic, op, |b, x, y| b.ins().fsub(x, y))?,
        O::F32Mul => binary(cx, F32, Arithmetic, op, |b, x, y| b.ins().fmul(x, y))?,
        O::F32Div => binary(cx, F32, Arithmetic, op, |b, x, y| b.ins().fdiv(x, y))?,
        O::F32Min => binary(cx, F32, Arithmetic, op, |b, x, y| b.ins().fmin(x, y))?,
        O::F32Max => binary(cx, F32, Arithmetic, op, |b, x, y| b.ins().fmax(x, y))?,
        O::F32Copysign => binary(cx, F32, Bitwise, op, |b, x, y| b.ins().fcopysign(x, y))?,
        O::F64Add => binary(cx, F64, Arithmetic, op, |b, x, y| b.ins().fadd(x, y))?,
        O::F64Sub => binary(cx, F64, Arithmetic, op, |b, x, y| b.ins().fsub(x, y))?,
        O::F64Mul => binary(cx, F64, Arithmetic, op, |b, x, y| b.ins().fmul(x, y))?,
        O::F64Div => binary(cx, F64, Arithmetic, op, |b, x, y| b.ins().fdiv(x, y))?,
        O::F64Min => binary(cx, F64, Arithmetic, op, |b, x, y| b.ins().fmin(x, y))?,
        O::F64Max => binary(cx, F64, Arithmetic, op, |b, x, y| b.ins().fmax(x, y))?,
        O::F64Copysign => binary(cx, F64, Bitwise, op, |b, x, y| b.ins().fcopysign(x, y))?,

        _ => return Err(misrouted("float", op)),
    }
    Ok(())
}

/// Applies the NaN policy to a result of the given kind.
fn finish(cx: &mut NumericCx, nan: Nan, result: ir::Value) -> ir::Value {
    match nan {
        Nan::Arithmetic => cx.canonicalize_nan(result),
        Nan::Bitwise => result,
    }
}

/// Pops one `ty` operand, applies `emit`, pushes the result.
fn unary(
    cx: &mut NumericCx,
    ty: ir::Type,
    nan: Nan,
    op: &Operator,
    emit: impl FnOnce(&mut FunctionBuilder<'_>, ir::Value) -> ir::Value,
) -> TranslateResult<()> {
    let x = cx.pop(ty, op)?;
    let result = emit(cx.builder, x);
    let result = finish(cx, nan, result);
    cx.push(result);
    Ok(())
}

/// Pops two `ty` operands, applies `emit` left to right, pushes the result.
fn binary(
    cx: &mut NumericCx,
    ty: ir::Type,
    nan: Nan,
    op: &Operator,
    emit: impl FnOnce(&mut FunctionBuilder<'_>, ir::Value, ir::Value) -> ir::Value,
) -> TranslateResult<()> {
    let (x, y) = cx.pop2(ty, op)?;
    let result = emit(cx.builder, x, y);
    let result = finish(cx, nan, result);
    cx.push(result);
    Ok(())
}

fn compare(cx: &mut NumericCx, ty: ir::Type, cond: FloatCC, op: &Operator) -> TranslateResult<()> {
    let (x, y) = cx.pop2(ty, op)?;
    let flag = cx.builder.ins().fcmp(cond, x, y);
    let result = cx.bool_to_i32(flag);
    cx.push(result);
    Ok(())
}
