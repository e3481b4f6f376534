//! Lane operators: `v128.const`, splats, lane extraction and replacement,
//! `i8x16.shuffle` and `i8x16.swizzle`.
//!
//! Lane indices are immediates the validator has already checked against
//! the shape (an index out of range is a validation error, never IR).
//! `swizzle` uses CLIF's `swizzle`, whose semantics are wasm's: an index of
//! 16 or more selects zero (x64 lowers it as a saturating add of 0x70 and
//! `pshufb`, which zeroes lanes whose index byte has its top bit set).

use cranelift_codegen::ir::{self, ConstantData, InstBuilder, types};
use wasmparser::Operator;

use super::super::FuncTranslator;
use super::v128_const;
use crate::translate::error::{TranslateResult, misrouted};

impl FuncTranslator<'_, '_> {
    /// `splat` of the scalar on top, narrowed first for 8- and 16-bit lanes
    /// (which wasm passes as an `i32`).
    fn splat(&mut self, scalar: ir::Type, vector: ir::Type) -> TranslateResult<()> {
        let lane = vector.lane_type();
        let x = self.pop_scalar(scalar)?;
        let x = if lane.bits() < scalar.bits() {
            self.builder.ins().ireduce(lane, x)
        } else {
            x
        };
        let v = self.builder.ins().splat(vector, x);
        self.push_vec(v);
        Ok(())
    }

    /// `extract_lane`; `sign` says how 8- and 16-bit lanes widen to `i32`
    /// (`None` for lanes that are already a wasm type).
    fn extract_lane(
        &mut self,
        vector: ir::Type,
        lane: u8,
        sign: Option<bool>,
    ) -> TranslateResult<()> {
        let v = self.pop_vec(vector)?;
        let x = self.builder.ins().extractlane(v, lane);
        let x = match sign {
            Some(true) => self.builder.ins().sextend(types::I32, x),
            Some(false) => self.builder.ins().uextend(types::I32, x),
            None => x,
        };
        self.stack.push(x);
        Ok(())
    }

    /// `replace_lane`: the scalar is on top, the vector below it.
    fn replace_lane(
        &mut self,
        scalar: ir::Type,
        vector: ir::Type,
        lane: u8,
    ) -> TranslateResult<()> {
        let x = self.pop_scalar(scalar)?;
        let v = self.pop_vec(vector)?;
        let lane_ty = vector.lane_type();
        let x = if lane_ty.bits() < scalar.bits() {
            self.builder.ins().ireduce(lane_ty, x)
        } else {
            x
        };
        let r = self.builder.ins().insertlane(v, x, lane);
        self.push_vec(r);
        Ok(())
    }

    /// Translates `op`, a lane operator.
    pub(in crate::translate) fn translate_simd_lanes(
        &mut self,
        op: &Operator<'_>,
    ) -> TranslateResult<()> {
        use types::{F32, F32X4, F64, F64X2, I8X16, I16X8, I32, I32X4, I64, I64X2};
        match *op {
            Operator::V128Const { value } => {
                let v = v128_const(&mut self.builder, u128::from_le_bytes(*value.bytes()));
                self.stack.push(v);
            }
            Operator::I8x16Shuffle { lanes } => {
                let (a, b) = self.pop2_vec(I8X16)?;
                let mask = self
                    .builder
                    .func
                    .dfg
                    .immediates
                    .push(ConstantData::from(&lanes[..]));
                let v = self.builder.ins().shuffle(a, b, mask);
                self.push_vec(v);
            }
            Operator::I8x16Swizzle => {
                let (a, b) = self.pop2_vec(I8X16)?;
                let v = self.builder.ins().swizzle(a, b);
                self.push_vec(v);
            }
            Operator::I8x16Splat => self.splat(I32, I8X16)?,
            Operator::I16x8Splat => self.splat(I32, I16X8)?,
            Operator::I32x4Splat => self.splat(I32, I32X4)?,
            Operator::I64x2Splat => self.splat(I64, I64X2)?,
            Operator::F32x4Splat => self.splat(F32, F32X4)?,
            Operator::F64x2Splat => self.splat(F64, F64X2)?,
            Operator::I8x16ExtractLaneS { lane } => self.extract_lane(I8X16, lane, Some(true))?,
            Operator::I8x16ExtractLaneU { lane } => self.extract_lane(I8X16, lane, Some(false))?,
            Operator::I16x8ExtractLaneS { lane } => self.extract_lane(I16X8, lane, Some(true))?,
            Operator::I16x8ExtractLaneU { lane } => self.extract_lane(I16X8, lane, Some(false))?,
            Operator::I32x4ExtractLane { lane } => self.extract_lane(I32X4, lane, None)?,
            Operator::I64x2ExtractLane { lane } => self.extract_lane(I64X2, lane, None)?,
            Operator::F32x4ExtractLane { lane } => self.extract_lane(F32X4, lane, None)?,
            Operator::F64x2ExtractLane { lane } => self.extract_lane(F64X2, lane, None)?,
            Operator::I8x16ReplaceLane { lane } => self.replace_lane(I32, I8X16, lane)?,
            Operator::I16x8ReplaceLane { lane } => self.replace_lane(I32, I16X8, lane)?,
            Operator::I32x4ReplaceLane { lane } => self.replace_lane(I32, I32X4, lane)?,
            Operator::I64x2ReplaceLane { lane } => self.replace_lane(I64, I64X2, lane)?,
            Operator::F32x4ReplaceLane { lane } => self.replace_lane(F32, F32X4, lane)?,
            Operator::F64x2ReplaceLane { lane } => self.replace_lane(F64, F64X2, lane)?,
            _ => return Err(misrouted("SIMD lane", op)),
        }
        Ok(())
    }
}
