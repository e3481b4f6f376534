//! Fixed-width SIMD: `v128` operators to Cranelift's vector IR, one module
//! per family (memory, lanes, integer, float, conversions).
//!
//! # One type for `v128`
//!
//! Wasm has one `v128` type and lets every operator read it in its own lane
//! shape; Cranelift types vectors by shape. Every `v128` the translator
//! keeps — on the operand stack, in a local, a block parameter, a global,
//! a call argument — is an `i8x16`; an operator bitcasts its operands to its
//! shape and its result back ([`FuncTranslator::pop_vec`],
//! [`FuncTranslator::push_vec`]). Vector bitcasts are register renames on
//! every backend and the optimizer folds chains of them, so the uniform
//! type costs nothing at run time and keeps joins (`if`, `br`, `select`)
//! type-correct without tracking shapes.
//!
//! # No faults
//!
//! As everywhere (see `DESIGN.md`, "Traps without signals"): loads and
//! stores, lane loads and stores included, go through the bounds check of
//! `translate::memory` first and are flagged `notrap`; float-to-int
//! conversions are the saturating `fcvt_to_*_sat`, which wasm's
//! `trunc_sat` requires anyway. No SIMD operator traps in wasm, so nothing
//! here branches to a trap exit except a failed bounds check.
//!
//! # NaNs
//!
//! With `canonicalize_nans`, the float operators the scalar code
//! canonicalizes (arithmetic, `min`/`max`, rounding, `demote`, `promote`)
//! replace NaN lanes of their results by the canonical NaN, lane by lane,
//! branch-free (a compare and a `bitselect`). `pmin`/`pmax` return one of
//! their operands unchanged, as `abs`/`neg` do, so they are left alone.

mod convert;
mod float;
mod int;
mod lanes;
mod memory;
#[cfg(test)]
mod tests;

use cranelift_codegen::ir::condcodes::FloatCC;
use cranelift_codegen::ir::{self, ConstantData, Endianness, InstBuilder, MemFlagsData, types};
use cranelift_frontend::FunctionBuilder;

use super::FuncTranslator;
use crate::translate::error::{TranslateError, TranslateResult};

/// The canonical `f32` NaN: quiet, positive, empty payload.
const CANONICAL_NAN_F32: u32 = 0x7fc0_0000;
/// The canonical `f64` NaN: quiet, positive, empty payload.
const CANONICAL_NAN_F64: u64 = 0x7ff8_0000_0000_0000;

/// A `v128` constant (as the translator keeps every `v128`: `i8x16`).
pub(super) fn v128_const(builder: &mut FunctionBuilder<'_>, bits: u128) -> ir::Value {
    vector_const(builder, types::I8X16, bits)
}

/// A constant of vector type `ty` with the bits `bits` (lane 0 low).
fn vector_const(builder: &mut FunctionBuilder<'_>, ty: ir::Type, bits: u128) -> ir::Value {
    let handle = builder
        .func
        .dfg
        .constants
        .insert(ConstantData::from(&bits.to_le_bytes()[..]));
    builder.ins().vconst(ty, handle)
}

/// Flags for a lane-reinterpreting bitcast: CLIF requires the byte order
/// of such a bitcast to be stated; wasm lanes are little-endian.
fn lane_order() -> MemFlagsData {
    MemFlagsData::new().with_endianness(Endianness::Little)
}

/// `value` reinterpreted as vector type `ty` (nothing if it already is).
fn bitcast(builder: &mut FunctionBuilder<'_>, value: ir::Value, ty: ir::Type) -> ir::Value {
    if builder.func.dfg.value_type(value) == ty {
        value
    } else {
        builder.ins().bitcast(ty, lane_order(), value)
    }
}

impl FuncTranslator<'_, '_> {
    /// Pops a `v128` and returns it as vector type `ty`.
    fn pop_vec(&mut self, ty: ir::Type) -> TranslateResult<ir::Value> {
        let v = self.pop()?;
        let found = self.builder.func.dfg.value_type(v);
        if found != types::I8X16 {
            return Err(TranslateError::internal(format!(
                "operand has type {found}, expected a v128"
            )));
        }
        Ok(bitcast(&mut self.builder, v, ty))
    }

    /// Pops two `v128`s as `ty` and returns them left to right.
    fn pop2_vec(&mut self, ty: ir::Type) -> TranslateResult<(ir::Value, ir::Value)> {
        let b = self.pop_vec(ty)?;
        let a = self.pop_vec(ty)?;
        Ok((a, b))
    }

    /// Pops a scalar of type `ty`.
    fn pop_scalar(&mut self, ty: ir::Type) -> TranslateResult<ir::Value> {
        let v = self.pop()?;
        let found = self.builder.func.dfg.value_type(v);
        if found != ty {
            return Err(TranslateError::internal(format!(
                "operand has type {found}, expected {ty}"
            )));
        }
        Ok(v)
    }

    /// Pushes vector `value` as a `v128`.
    fn push_vec(&mut self, value: ir::Value) {
        let v = bitcast(&mut self.builder, value, types::I8X16);
        self.stack.push(v);
    }

    /// Pushes a CLIF boolean (`i8` 0/1) as wasm's `i32`.
    fn push_bool(&mut self, flag: ir::Value) {
        let v = self.builder.ins().uextend(types::I32, flag);
        self.stack.push(v);
    }

    /// Replaces the NaN lanes of float vector `value` by the canonical NaN
    /// when the function is compiled with `canonicalize_nans`.
    fn canonicalize_vec(&mut self, value: ir::Value) -> ir::Value {
        if !self.env.canonicalize_nans {
            return value;
        }
        let ty = self.builder.func.dfg.value_type(value);
        let lanes = if ty == types::F32X4 {
            u128::from(CANONICAL_NAN_F32) * 0x0000_0001_0000_0001_0000_0001_0000_0001
        } else {
            u128::from(CANONICAL_NAN_F64) * 0x0000_0000_0000_0001_0000_0000_0000_0001
        };
        let canonical = vector_const(&mut self.builder, ty, lanes);
        let is_nan = self.builder.ins().fcmp(FloatCC::Unordered, value, value);
        let mask = bitcast(&mut self.builder, is_nan, ty);
        self.builder.ins().bitselect(mask, canonical, value)
    }
}
