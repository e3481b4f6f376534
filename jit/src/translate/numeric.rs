//! Numeric instructions: constants, integer and float arithmetic,
//! comparisons, conversions and sign extension.
//!
//! The function translator hands every operator to [`translate_numeric`]
//! first; it emits IR for the operators it owns and answers `Ok(false)` for
//! all others, so control flow, memory and calls stay with the caller.
//!
//! # Traps are branches, never faults
//!
//! weft has no signal handlers (see `DESIGN.md`, "Traps without signals"), so
//! every trapping numeric operator checks its trap condition explicitly and
//! leaves through [`TrapSink::trap_if`] *before* the Cranelift instruction
//! that could fault:
//!
//! - `div_s`/`div_u`/`rem_s`/`rem_u` test the divisor for zero, and `div_s`
//!   also tests `MIN / -1`. `rem_s` needs no overflow test: CLIF defines
//!   `srem` of `MIN % -1` as `0` and Cranelift 0.135's x64 backend lowers a
//!   non-constant `srem` to a sequence that compares the divisor with `-1`
//!   and skips the `idiv` (`CheckedSRemSeq`); the tests pin this down.
//!   A divisor that is an `iconst` decides its guards at compile time (no
//!   zero test when it is nonzero, no overflow test unless it is `-1`).
//! - Trapping float-to-int conversions test for NaN, then test the range
//!   against exact bounds, and only then convert with the saturating
//!   `fcvt_to_*_sat`, which has no trap sites at all.
//!
//! # NaNs
//!
//! Without `canonicalize_nans`, float results are whatever the hardware
//! produces; wasm allows any arithmetic NaN there. With it, every
//! float-producing arithmetic operator (`add`, `sub`, `mul`, `div`, `sqrt`,
//! `min`, `max`, `ceil`, `floor`, `trunc`, `nearest`, `demote`, `promote`)
//! replaces a NaN result by the canonical NaN, so that results are
//! deterministic (the differential fuzzer relies on this). `abs`, `neg` and
//! `copysign` are bit operations in wasm and are never canonicalized;
//! conversions from integers cannot produce NaN.

mod convert;
mod float;
mod int;
#[cfg(test)]
mod tests;

use std::fmt;

use cranelift_codegen::ir::condcodes::FloatCC;
use cranelift_codegen::ir::immediates::{Ieee32, Ieee64};
use cranelift_codegen::ir::{self, InstBuilder, types};
use cranelift_frontend::FunctionBuilder;
use wasmparser::Operator;

use crate::trap::TrapCode;

/// Where translated code sends a trap.
///
/// The function translator owns the trap exit (one cold block per function
/// that takes the code as a block parameter); numeric code only says when
/// and why to go there.
pub(crate) trait TrapSink {
    /// Emits "if `cond` != 0, leave the function with `code`" at the builder's
    /// current position and leaves the builder in the block where execution
    /// continues when `cond` is zero. `cond` may be any integer type.
    fn trap_if(&mut self, builder: &mut FunctionBuilder, cond: ir::Value, code: TrapCode);
}

/// An operator this module owns but could not translate.
///
/// Valid wasm never causes one: the validator runs in lockstep with the
/// translator, so an error here means the translator's operand stack went out
/// of step with the validator's. It is still an error, not a panic, because a
/// translator bug must not take down an embedding process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NumericError(pub String);

impl fmt::Display for NumericError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NumericError {}

/// Translates one numeric operator.
///
/// Covers the `i32`/`i64`/`f32`/`f64` constants; every integer and float
/// unary, binary and comparison operator; the conversions (`wrap`, `extend`,
/// trapping and saturating `trunc`, `convert`, `demote`, `promote`,
/// `reinterpret`); and the sign-extension operators. Operands are popped from
/// `stack` and the result pushed to it, in wasm order (the last value pushed
/// is the top, so a binary operator's right operand is popped first).
///
/// Returns `Ok(false)` and emits nothing when `op` is not a numeric operator.
/// Returns `Err` when `stack` lacks operands of the types `op` needs; the
/// function being built is then abandoned, so `stack` and `builder` are left
/// as they are.
/// `canonicalize_nans` is described in the module docs.
pub(crate) fn translate_numeric(
    op: &Operator,
    builder: &mut FunctionBuilder,
    stack: &mut Vec<ir::Value>,
    traps: &mut dyn TrapSink,
    canonicalize_nans: bool,
) -> Result<bool, NumericError> {
    let mut cx = NumericCx {
        builder,
        stack,
        traps,
        canonicalize_nans,
    };
    // Each family answers `Ok(false)` without emitting anything for an
    // operator that is not its own.
    Ok(int::translate(&mut cx, op)?
        || float::translate(&mut cx, op)?
        || convert::translate(&mut cx, op)?)
}

/// The canonical `f32` NaN: quiet, positive, empty payload.
const CANONICAL_NAN_F32: u32 = 0x7fc0_0000;
/// The canonical `f64` NaN: quiet, positive, empty payload.
const CANONICAL_NAN_F64: u64 = 0x7ff8_0000_0000_0000;

/// What the family translators work with: the builder, the operand stack,
/// the trap exit and the NaN policy of one function being translated.
struct NumericCx<'a, 'f> {
    builder: &'a mut FunctionBuilder<'f>,
    stack: &'a mut Vec<ir::Value>,
    traps: &'a mut dyn TrapSink,
    canonicalize_nans: bool,
}

impl NumericCx<'_, '_> {
    /// Pops the top operand, which must have type `ty`.
    fn pop(&mut self, ty: ir::Type, op: &Operator) -> Result<ir::Value, NumericError> {
        let value = self.stack.pop().ok_or_else(|| {
            NumericError(format!("{op:?}: operand stack is empty, expected an {ty}"))
        })?;
        let found = self.builder.func.dfg.value_type(value);
        if found != ty {
            return Err(NumericError(format!(
                "{op:?}: operand has type {found}, expected {ty}"
            )));
        }
        Ok(value)
    }

    /// Pops the two operands of a binary operator, both of type `ty`, and
    /// returns them left to right.
    fn pop2(
        &mut self,
        ty: ir::Type,
        op: &Operator,
    ) -> Result<(ir::Value, ir::Value), NumericError> {
        let rhs = self.pop(ty, op)?;
        let lhs = self.pop(ty, op)?;
        Ok((lhs, rhs))
    }

    fn push(&mut self, value: ir::Value) {
        self.stack.push(value);
    }

    /// An integer constant of type `ty` holding the low bits of `value`.
    ///
    /// CLIF requires a narrow `iconst`'s immediate to be zero-extended, so a
    /// negative `i32` must not be passed through sign-extended.
    fn int_const(&mut self, ty: ir::Type, value: i64) -> ir::Value {
        let imm = if ty == types::I32 {
            // Truncation to the low 32 bits is the point here.
            i64::from(value as u32)
        } else {
            value
        };
        self.builder.ins().iconst(ty, imm)
    }

    /// Replaces a NaN `value` (an `f32` or `f64`) by the canonical NaN when
    /// the function is compiled with `canonicalize_nans`; otherwise returns
    /// `value` as is. Branch-free, so it costs a compare and a select.
    fn canonicalize_nan(&mut self, value: ir::Value) -> ir::Value {
        if !self.canonicalize_nans {
            return value;
        }
        let canonical = if self.builder.func.dfg.value_type(value) == types::F32 {
            self.builder
                .ins()
                .f32const(Ieee32::with_bits(CANONICAL_NAN_F32))
        } else {
            self.builder
                .ins()
                .f64const(Ieee64::with_bits(CANONICAL_NAN_F64))
        };
        let is_nan = self.builder.ins().fcmp(FloatCC::Unordered, value, value);
        self.builder.ins().select(is_nan, canonical, value)
    }

    /// Widens a CLIF boolean (`i8` 0/1 from `icmp`/`fcmp`) to wasm's `i32`.
    fn bool_to_i32(&mut self, flag: ir::Value) -> ir::Value {
        self.builder.ins().uextend(types::I32, flag)
    }
}
