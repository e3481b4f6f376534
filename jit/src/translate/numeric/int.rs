//! Integer constants, arithmetic, bit operations, comparisons and sign
//! extension for `i32` and `i64`.
//!
//! Most operators map one to one onto CLIF, whose definitions already match
//! wasm: shifts and rotates take their count modulo the bit width, `clz`/`ctz`
//! of zero give the bit width, arithmetic wraps. Division and remainder are
//! the exception: they are guarded here so that the machine instruction never
//! faults (see the parent module).

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{self, InstBuilder, types};
use cranelift_frontend::FunctionBuilder;
use wasmparser::Operator;

use super::NumericCx;
use crate::translate::error::{TranslateResult, misrouted};
use crate::trap::TrapCode;

/// Translates `op` if it is an integer operator.
pub(super) fn translate(cx: &mut NumericCx, op: &Operator) -> TranslateResult<()> {
    use Operator as O;
    use types::{I32, I64};
    match op {
        // ---- Constants ----
        O::I32Const { value } => {
            let value = cx.int_const(I32, i64::from(*value));
            cx.push(value);
        }
        O::I64Const { value } => {
            let value = cx.int_const(I64, *value);
            cx.push(value);
        }

        // ---- Tests and comparisons ----
        O::I32Eqz => eqz(cx, I32, op)?,
        O::I64Eqz => eqz(cx, I64, op)?,
        O::I32Eq => compare(cx, I32, IntCC::Equal, op)?,
        O::I32Ne => compare(cx, I32, IntCC::NotEqual, op)?,
        O::I32LtS => compare(cx, I32, IntCC::SignedLessThan, op)?,
        O::I32LtU => compare(cx, I32, IntCC::UnsignedLessThan, op)?,
        O::I32GtS => compare(cx, I32, IntCC::SignedGreaterThan, op)?,
        O::I32GtU => compare(cx, I32, IntCC::UnsignedGreaterThan, op)?,
        O::I32LeS => compare(cx, I32, IntCC::SignedLessThanOrEqual, op)?,
        O::I32LeU => compare(cx, I32, IntCC::UnsignedLessThanOrEqual, op)?,
        O::I32GeS => compare(cx, I32, IntCC::SignedGreaterThanOrEqual, op)?,
        O::I32GeU => compare(cx, I32, IntCC::UnsignedGreaterThanOrEqual, op)?,
        O::I64Eq => compare(cx, I64, IntCC::Equal, op)?,
        O::I64Ne => compare(cx, I64, IntCC::NotEqual, op)?,
        O::I64LtS => compare(cx, I64, IntCC::SignedLessThan, op)?,
        O::I64LtU => compare(cx, I64, IntCC::UnsignedLessThan, op)?,
        O::I64GtS => compare(cx, I64, IntCC::SignedGreaterThan, op)?,
        O::I64GtU => compare(cx, I64, IntCC::UnsignedGreaterThan, op)?,
        O::I64LeS => compare(cx, I64, IntCC::SignedLessThanOrEqual, op)?,
        O::I64LeU => compare(cx, I64, IntCC::UnsignedLessThanOrEqual, op)?,
        O::I64GeS => compare(cx, I64, IntCC::SignedGreaterThanOrEqual, op)?,
        O::I64GeU => compare(cx, I64, IntCC::UnsignedGreaterThanOrEqual, op)?,

        // ---- Bit counting ----
        O::I32Clz => unary(cx, I32, op, |b, x| b.ins().clz(x))?,
        O::I32Ctz => unary(cx, I32, op, |b, x| b.ins().ctz(x))?,
        O::I32Popcnt => unary(cx, I32, op, |b, x| b.ins().popcnt(x))?,
        O::I64Clz => unary(cx, I64, op, |b, x| b.ins().clz(x))?,
        O::I64Ctz => unary(cx, I64, op, |b, x| b.ins().ctz(x))?,
        O::I64Popcnt => unary(cx, I64, op, |b, x| b.ins().popcnt(x))?,

        // ---- Arithmetic and bitwise ----
        O::I32Add => binary(cx, I32, op, |b, x, y| b.ins().iadd(x, y))?,
        O::I32Sub => binary(cx, I32, op, |b, x, y| b.ins().isub(x, y))?,
        O::I32Mul => binary(cx, I32, op, |b, x, y| b.ins().imul(x, y))?,
        O::I32And => binary(cx, I32, op, |b, x, y| b.ins().band(x, y))?,
        O::I32Or => binary(cx, I32, op, |b, x, y| b.ins().bor(x, y))?,
        O::I32Xor => binary(cx, I32, op, |b, x, y| b.ins().bxor(x, y))?,
        O::I32Shl => binary(cx, I32, op, |b, x, y| b.ins().ishl(x, y))?,
        O::I32ShrS => binary(cx, I32, op, |b, x, y| b.ins().sshr(x, y))?,
        O::I32ShrU => binary(cx, I32, op, |b, x, y| b.ins().ushr(x, y))?,
        O::I32Rotl => binary(cx, I32, op, |b, x, y| b.ins().rotl(x, y))?,
        O::I32Rotr => binary(cx, I32, op, |b, x, y| b.ins().rotr(x, y))?,
        O::I64Add => binary(cx, I64, op, |b, x, y| b.ins().iadd(x, y))?,
        O::I64Sub => binary(cx, I64, op, |b, x, y| b.ins().isub(x, y))?,
        O::I64Mul => binary(cx, I64, op, |b, x, y| b.ins().imul(x, y))?,
        O::I64And => binary(cx, I64, op, |b, x, y| b.ins().band(x, y))?,
        O::I64Or => binary(cx, I64, op, |b, x, y| b.ins().bor(x, y))?,
        O::I64Xor => binary(cx, I64, op, |b, x, y| b.ins().bxor(x, y))?,
        O::I64Shl => binary(cx, I64, op, |b, x, y| b.ins().ishl(x, y))?,
        O::I64ShrS => binary(cx, I64, op, |b, x, y| b.ins().sshr(x, y))?,
        O::I64ShrU => binary(cx, I64, op, |b, x, y| b.ins().ushr(x, y))?,
        O::I64Rotl => binary(cx, I64, op, |b, x, y| b.ins().rotl(x, y))?,
        O::I64Rotr => binary(cx, I64, op, |b, x, y| b.ins().rotr(x, y))?,

        // ---- Division and remainder (guarded) ----
        O::I32DivS => div_s(cx, I32, op)?,
        O::I32DivU => div_u(cx, I32, op)?,
        O::I32RemS => rem_s(cx, I32, op)?,
        O::I32RemU => rem_u(cx, I32, op)?,
        O::I64DivS => div_s(cx, I64, op)?,
        O::I64DivU => div_u(cx, I64, op)?,
        O::I64RemS => rem_s(cx, I64, op)?,
        O::I64RemU => rem_u(cx, I64, op)?,

        // ---- Sign extension ----
        O::I32Extend8S => sign_extend_low(cx, I32, types::I8, op)?,
        O::I32Extend16S => sign_extend_low(cx, I32, types::I16, op)?,
        O::I64Extend8S => sign_extend_low(cx, I64, types::I8, op)?,
        O::I64Extend16S => sign_extend_low(cx, I64, types::I16, op)?,
        O::I64Extend32S => sign_extend_low(cx, I64, I32, op)?,

        _ => return Err(misrouted("integer", op)),
    }
    Ok(())
}

/// Pops one `ty` operand, applies `emit`, pushes the result.
fn unary(
    cx: &mut NumericCx,
    ty: ir::Type,
    op: &Operator,
    emit: impl FnOnce(&mut FunctionBuilder<'_>, ir::Value) -> ir::Value,
) -> TranslateResult<()> {
    let x = cx.pop(ty, op)?;
    let result = emit(cx.builder, x);
    cx.push(result);
    Ok(())
}

/// Pops two `ty` operands, applies `emit` left to right, pushes the result.
fn binary(
    cx: &mut NumericCx,
    ty: ir::Type,
    op: &Operator,
    emit: impl FnOnce(&mut FunctionBuilder<'_>, ir::Value, ir::Value) -> ir::Value,
) -> TranslateResult<()> {
    let (x, y) = cx.pop2(ty, op)?;
    let result = emit(cx.builder, x, y);
    cx.push(result);
    Ok(())
}

fn eqz(cx: &mut NumericCx, ty: ir::Type, op: &Operator) -> TranslateResult<()> {
    let x = cx.pop(ty, op)?;
    let flag = cx.builder.ins().icmp_imm_u(IntCC::Equal, x, 0);
    let result = cx.bool_to_i32(flag);
    cx.push(result);
    Ok(())
}

fn compare(cx: &mut NumericCx, ty: ir::Type, cond: IntCC, op: &Operator) -> TranslateResult<()> {
    let (x, y) = cx.pop2(ty, op)?;
    let flag = cx.builder.ins().icmp(cond, x, y);
    let result = cx.bool_to_i32(flag);
    cx.push(result);
    Ok(())
}

/// The value of `value` when the translator can see it is a constant (an
/// `iconst`, as `i32.const`/`i64.const` produce), sign-extended from its
/// type; `None` otherwise.
///
/// Division by a constant is common (`x / 10`) and its guards are decided at
/// compile time: no branch for a nonzero divisor, no overflow test for a
/// divisor other than `-1`. Cranelift then sees a plain division by a
/// constant, which it lowers without a divide instruction where it can.
fn known_constant(cx: &NumericCx, value: ir::Value) -> Option<i64> {
    let dfg = &cx.builder.func.dfg;
    let ir::ValueDef::Result(inst, 0) = dfg.value_def(value) else {
        return None;
    };
    let ir::InstructionData::UnaryImm {
        opcode: ir::Opcode::Iconst,
        imm,
    } = dfg.insts[inst]
    else {
        return None;
    };
    let bits = imm.bits();
    Some(if dfg.value_type(value) == types::I32 {
        // The immediate holds the zero-extended low 32 bits.
        i64::from(bits as i32)
    } else {
        bits
    })
}

/// Leaves with `IntegerDivisionByZero` when `divisor` is zero; emits nothing
/// for a divisor known to be nonzero.
fn trap_if_zero(cx: &mut NumericCx, divisor: ir::Value) {
    if known_constant(cx, divisor).is_some_and(|d| d != 0) {
        return;
    }
    let is_zero = cx.builder.ins().icmp_imm_u(IntCC::Equal, divisor, 0);
    cx.traps
        .trap_if(cx.builder, is_zero, TrapCode::IntegerDivisionByZero);
}

/// The most negative value of `ty` (`i32` or `i64`).
fn signed_min(ty: ir::Type) -> i64 {
    if ty == types::I32 {
        i64::from(i32::MIN)
    } else {
        i64::MIN
    }
}

/// `div_s`: zero is checked first, as the spec orders the traps, then
/// `MIN / -1`, whose quotient does not fit.
fn div_s(cx: &mut NumericCx, ty: ir::Type, op: &Operator) -> TranslateResult<()> {
    let (x, y) = cx.pop2(ty, op)?;
    trap_if_zero(cx, y);
    // A constant divisor other than -1 cannot overflow; a constant -1 still
    // needs the test on `x`.
    if known_constant(cx, y).is_some_and(|d| d != -1) {
        let result = cx.builder.ins().sdiv(x, y);
        cx.push(result);
        return Ok(());
    }
    let min = cx.int_const(ty, signed_min(ty));
    let minus_one = cx.int_const(ty, -1);
    let x_is_min = cx.builder.ins().icmp(IntCC::Equal, x, min);
    let y_is_minus_one = cx.builder.ins().icmp(IntCC::Equal, y, minus_one);
    let overflows = cx.builder.ins().band(x_is_min, y_is_minus_one);
    cx.traps
        .trap_if(cx.builder, overflows, TrapCode::IntegerOverflow);
    let result = cx.builder.ins().sdiv(x, y);
    cx.push(result);
    Ok(())
}

/// `rem_s`: only zero traps. `MIN % -1` is `0` in wasm and in CLIF, and
/// Cranelift's x64 lowering of `srem` special-cases a `-1` divisor so the
/// faulting `idiv` never runs for it (see the parent module).
fn rem_s(cx: &mut NumericCx, ty: ir::Type, op: &Operator) -> TranslateResult<()> {
    let (x, y) = cx.pop2(ty, op)?;
    trap_if_zero(cx, y);
    let result = cx.builder.ins().srem(x, y);
    cx.push(result);
    Ok(())
}

fn div_u(cx: &mut NumericCx, ty: ir::Type, op: &Operator) -> TranslateResult<()> {
    let (x, y) = cx.pop2(ty, op)?;
    trap_if_zero(cx, y);
    let result = cx.builder.ins().udiv(x, y);
    cx.push(result);
    Ok(())
}

fn rem_u(cx: &mut NumericCx, ty: ir::Type, op: &Operator) -> TranslateResult<()> {
    let (x, y) = cx.pop2(ty, op)?;
    trap_if_zero(cx, y);
    let result = cx.builder.ins().urem(x, y);
    cx.push(result);
    Ok(())
}

/// `extendN_s`: sign-extends the low `narrow` bits of a `ty` operand.
fn sign_extend_low(
    cx: &mut NumericCx,
    ty: ir::Type,
    narrow: ir::Type,
    op: &Operator,
) -> TranslateResult<()> {
    let x = cx.pop(ty, op)?;
    let low = cx.builder.ins().ireduce(narrow, x);
    let result = cx.builder.ins().sextend(ty, low);
    cx.push(result);
    Ok(())
}
