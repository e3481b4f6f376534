//! `v128` loads and stores: whole vectors, the extending loads, the
//! `load*_splat`/`load*_zero` loads and the single-lane loads and stores.
//!
//! Every access goes through [`FuncTranslator::access_addr`], the same
//! bounds check as scalar accesses, with the access's own width (8 bytes
//! for `load8x8_s`, one lane's for the lane forms), so an access that
//! crosses the end of memory traps and nothing faults. wasm's alignment
//! hint is only a hint: `heap_flags` leaves the access unaligned-capable.

use cranelift_codegen::ir::{self, InstBuilder, types};
use wasmparser::{MemArg, Operator};

use super::super::FuncTranslator;
use super::super::access::{Alignment, heap_flags};
use crate::translate::error::{TranslateError, TranslateResult, misrouted};

/// How a load builds its vector from memory.
#[derive(Clone, Copy)]
enum VecLoad {
    /// All sixteen bytes.
    Whole,
    /// Eight bytes, each lane widened (`sload8x8` and friends).
    Extend(ir::Opcode),
    /// One scalar of this type, copied into every lane of `.1`.
    Splat(ir::Type, ir::Type),
    /// One scalar of this type into lane 0 of `.1`, the other lanes zero.
    Zero(ir::Type, ir::Type),
}

impl FuncTranslator<'_, '_> {
    fn vec_load(&mut self, memarg: &MemArg, kind: VecLoad) -> TranslateResult<()> {
        let size = match kind {
            VecLoad::Whole => 16,
            VecLoad::Extend(_) => 8,
            VecLoad::Splat(t, _) | VecLoad::Zero(t, _) => t.bytes(),
        };
        let addr = self.access_addr(memarg, size, Alignment::Hint)?;
        let flags = heap_flags();
        let ins = self.builder.ins();
        let v = match kind {
            VecLoad::Whole => ins.load(types::I8X16, flags, addr, 0),
            VecLoad::Extend(op) => match op {
                ir::Opcode::Sload8x8 => ins.sload8x8(flags, addr, 0),
                ir::Opcode::Uload8x8 => ins.uload8x8(flags, addr, 0),
                ir::Opcode::Sload16x4 => ins.sload16x4(flags, addr, 0),
                ir::Opcode::Uload16x4 => ins.uload16x4(flags, addr, 0),
                ir::Opcode::Sload32x2 => ins.sload32x2(flags, addr, 0),
                ir::Opcode::Uload32x2 => ins.uload32x2(flags, addr, 0),
                other => {
                    return Err(TranslateError::internal(format!(
                        "{other} is not an extending load"
                    )));
                }
            },
            VecLoad::Splat(scalar, vector) => {
                let x = ins.load(scalar, flags, addr, 0);
                self.builder.ins().splat(vector, x)
            }
            VecLoad::Zero(scalar, vector) => {
                let x = ins.load(scalar, flags, addr, 0);
                self.builder.ins().scalar_to_vector(vector, x)
            }
        };
        self.push_vec(v);
        Ok(())
    }

    /// `v128.loadN_lane`: the vector is on top, the address below it.
    fn load_lane(&mut self, memarg: &MemArg, vector: ir::Type, lane: u8) -> TranslateResult<()> {
        let v = self.pop_vec(vector)?;
        let addr = self.access_addr(memarg, vector.lane_type().bytes(), Alignment::Hint)?;
        let x = self
            .builder
            .ins()
            .load(vector.lane_type(), heap_flags(), addr, 0);
        let r = self.builder.ins().insertlane(v, x, lane);
        self.push_vec(r);
        Ok(())
    }

    /// `v128.storeN_lane`: the vector is on top, the address below it.
    fn store_lane(&mut self, memarg: &MemArg, vector: ir::Type, lane: u8) -> TranslateResult<()> {
        let v = self.pop_vec(vector)?;
        let addr = self.access_addr(memarg, vector.lane_type().bytes(), Alignment::Hint)?;
        let x = self.builder.ins().extractlane(v, lane);
        self.builder.ins().store(heap_flags(), x, addr, 0);
        Ok(())
    }

    /// Translates `op`, a SIMD memory operator.
    pub(in crate::translate) fn translate_simd_memory(
        &mut self,
        op: &Operator<'_>,
    ) -> TranslateResult<()> {
        use VecLoad::*;
        use ir::Opcode as O;
        use types::{I8, I8X16, I16, I16X8, I32, I32X4, I64, I64X2};
        match *op {
            Operator::V128Load { ref memarg } => self.vec_load(memarg, Whole)?,
            Operator::V128Load8x8S { ref memarg } => self.vec_load(memarg, Extend(O::Sload8x8))?,
            Operator::V128Load8x8U { ref memarg } => self.vec_load(memarg, Extend(O::Uload8x8))?,
            Operator::V128Load16x4S { ref memarg } => {
                self.vec_load(memarg, Extend(O::Sload16x4))?
            }
            Operator::V128Load16x4U { ref memarg } => {
                self.vec_load(memarg, Extend(O::Uload16x4))?
            }
            Operator::V128Load32x2S { ref memarg } => {
                self.vec_load(memarg, Extend(O::Sload32x2))?
            }
            Operator::V128Load32x2U { ref memarg } => {
                self.vec_load(memarg, Extend(O::Uload32x2))?
            }
            Operator::V128Load8Splat { ref memarg } => self.vec_load(memarg, Splat(I8, I8X16))?,
            Operator::V128Load16Splat { ref memarg } => self.vec_load(memarg, Splat(I16, I16X8))?,
            Operator::V128Load32Splat { ref memarg } => self.vec_load(memarg, Splat(I32, I32X4))?,
            Operator::V128Load64Splat { ref memarg } => self.vec_load(memarg, Splat(I64, I64X2))?,
            Operator::V128Load32Zero { ref memarg } => self.vec_load(memarg, Zero(I32, I32X4))?,
            Operator::V128Load64Zero { ref memarg } => self.vec_load(memarg, Zero(I64, I64X2))?,
            Operator::V128Store { ref memarg } => {
                let v = self.pop_vec(I8X16)?;
                let addr = self.access_addr(memarg, 16, Alignment::Hint)?;
                self.builder.ins().store(heap_flags(), v, addr, 0);
            }
            Operator::V128Load8Lane { ref memarg, lane } => self.load_lane(memarg, I8X16, lane)?,
            Operator::V128Load16Lane { ref memarg, lane } => self.load_lane(memarg, I16X8, lane)?,
            Operator::V128Load32Lane { ref memarg, lane } => self.load_lane(memarg, I32X4, lane)?,
            Operator::V128Load64Lane { ref memarg, lane } => self.load_lane(memarg, I64X2, lane)?,
            Operator::V128Store8Lane { ref memarg, lane } => {
                self.store_lane(memarg, I8X16, lane)?
            }
            Operator::V128Store16Lane { ref memarg, lane } => {
                self.store_lane(memarg, I16X8, lane)?
            }
            Operator::V128Store32Lane { ref memarg, lane } => {
                self.store_lane(memarg, I32X4, lane)?
            }
            Operator::V128Store64Lane { ref memarg, lane } => {
                self.store_lane(memarg, I64X2, lane)?
            }
            _ => return Err(misrouted("SIMD memory", op)),
        }
        Ok(())
    }
}
