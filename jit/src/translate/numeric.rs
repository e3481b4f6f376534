//! Numeric instructions: constants, integer and float arithmetic,
//! comparisons, conversions and sign extension.
//!
//! The dispatch (`translate/dispatch.rs`) hands the integer, float and
//! conversion operators to [`translate_numeric`], which routes each to its
//! sub-family: `int`, `float` or `convert`.
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

use cranelift_codegen::ir::condcodes::FloatCC;
use cranelift_codegen::ir::immediates::{Ieee32, Ieee64};
use cranelift_codegen::ir::{self, InstBuilder, types};
use cranelift_frontend::FunctionBuilder;
use wasmparser::Operator;

use super::FuncTranslator;
use super::dispatch::{self, Family};
use super::error::{TranslateError, TranslateResult, misrouted};
use super::trap::TrapSink;

/// Translates one numeric operator.
///
/// Covers the `i32`/`i64`/`f32`/`f64` constants; every integer and float
/// unary, binary and comparison operator; the conversions (`wrap`, `extend`,
/// trapping and saturating `trunc`, `convert`, `demote`, `promote`,
/// `reinterpret`); and the sign-extension operators. Operands are popped from
/// `stack` and the result pushed to it, in wasm order (the last value pushed
/// is the top, so a binary operator's right operand is popped first).
///
/// It takes the function translator's parts rather than the translator
/// itself so that its unit tests can drive it on a bare `FunctionBuilder`,
/// without a module. Returns [`TranslateError::Internal`] and emits nothing
/// when `op` is not a numeric operator (the dispatch routed it wrongly), and
/// an internal error when `stack` lacks operands of the types `op` needs;
/// the function being built is then abandoned, so `stack` and `builder` are
/// left as they are. `canonicalize_nans` is described in the module docs.
pub(crate) fn translate_numeric(
    op: &Operator,
    builder: &mut FunctionBuilder,
    stack: &mut Vec<ir::Value>,
    traps: &mut dyn TrapSink,
    canonicalize_nans: bool,
) -> TranslateResult<()> {
    let family = match dispatch::family(op) {
        Family::Int => int::translate,
        Family::Float => float::translate,
        Family::Conversion => convert::translate,
        _ => return Err(misrouted("numeric", op)),
    };
    let mut cx = NumericCx {
        builder,
        stack,
        traps,
        canonicalize_nans,
    };
    family(&mut cx, op)
}

impl FuncTranslator<'_, '_> {
    /// The numeric family, on this function's builder, stack and traps.
    pub(super) fn translate_numeric(&mut self, op: &Operator<'_>) -> TranslateResult<()> {
        translate_numeric(
            op,
            &mut self.builder,
            &mut self.stack,
            &mut self.traps,
            self.env.canonicalize_nans,
        )
    }
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
    fn pop(&mut self, ty: ir::Type, op: &Operator) -> TranslateResult<ir::Value> {
        let value = self.stack.pop().ok_or_else(|| {
            TranslateError::internal(format!("{op:?}: operand stack is empty, expected an {ty}"))
        })?;
        let found = self.builder.func.dfg.value_type(value);
        if found != ty {
            return Err(TranslateError::internal(format!(
                "{op:?}: operand has type {found}, expected {ty}"
            )));
        }
        Ok(value)
    }

    /// Pops the two operands of a binary operator, both of type `ty`, and
    /// returns them left to right.
    fn pop2(&mut self, ty: ir::Type, op: &Operator) -> TranslateResult<(ir::Value, ir::Value)> {
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
