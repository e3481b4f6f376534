//! The one memory-access path, shared by every load and store: plain,
//! atomic and SIMD.
//!
//! An access pops its `i32` address and then, in this order and each once:
//!
//! 1. widens it to the native index (one `uextend`);
//! 2. for an atomic access, checks that the effective address
//!    (`index + offset`) is naturally aligned and traps with "unaligned
//!    atomic" if not. The threads proposal checks alignment before bounds
//!    (`spec/tests/trap_order_*.wast`), as weft-core's wait and notify do;
//! 3. checks that the access's end (`index + offset + size`) is within the
//!    memory, unless the index is known small enough (see
//!    [`FuncTranslator::index_upper_bound`]); the bounds check itself is
//!    described in `translate/memory.rs`;
//! 4. forms the native address `base + index + offset`.
//!
//! Nothing here faults: every access is flagged `notrap` ([`heap_flags`])
//! because the checks above ran first. `memory.atomic.wait`/`notify` only
//! need step 1 and the effective address ([`FuncTranslator::pop_effective_addr`]):
//! weft-core checks their alignment and bounds.

use cranelift_codegen::ir::Endianness;
use cranelift_codegen::ir::{self, InstBuilder, MemFlagsData, condcodes::IntCC, types};
use wasmparser::MemArg;

use super::error::{TranslateError, TranslateResult};
use super::trap::TrapSink;
use super::{FuncTranslator, MemoryCache};
use crate::trap::TrapCode;

/// Flags for a checked wasm memory access: it cannot fault (the check
/// passed), it may be unaligned, and wasm memory is little-endian.
pub(super) fn heap_flags() -> MemFlagsData {
    MemFlagsData::new()
        .with_notrap()
        .with_endianness(Endianness::Little)
}

/// Whether an access must be naturally aligned.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Alignment {
    /// Plain and SIMD accesses: wasm's alignment is only a hint.
    Hint,
    /// Atomic accesses: a misaligned effective address traps.
    Required,
}

/// The memory a `memarg` names.
pub(super) fn memory_index(memarg: &MemArg) -> TranslateResult<u32> {
    match memarg.target {
        wasmparser::MemArgTarget::Memory(m) => Ok(m),
        wasmparser::MemArgTarget::Array(_) => {
            Err(TranslateError::unsupported("array memory access"))
        }
    }
}

/// `memarg.offset` as a Cranelift immediate. Without memory64 it is a
/// `u32`, so it always fits.
fn offset_imm(memarg: &MemArg) -> TranslateResult<i64> {
    i64::try_from(memarg.offset)
        .map_err(|_| TranslateError::internal("memory offset beyond 2^63"))
}

impl FuncTranslator<'_, '_> {
    /// Pops an `i32` address and returns the native address of the
    /// `size`-byte access at `memarg.offset` past it, after the checks
    /// the module docs list.
    pub(super) fn access_addr(
        &mut self,
        memarg: &MemArg,
        size: u32,
        alignment: Alignment,
    ) -> TranslateResult<ir::Value> {
        let cache = self.memory_cache(memory_index(memarg)?)?;
        let index = self.pop()?;
        let offset = offset_imm(memarg)?;
        // A 32-bit index plus a 32-bit offset plus a small size cannot
        // overflow 64 bits.
        let end_offset = offset
            .checked_add(i64::from(size))
            .ok_or_else(|| TranslateError::internal("memory offset beyond 2^63"))?;
        let always_in_bounds = self
            .index_upper_bound(index)
            .is_some_and(|max| max + end_offset.unsigned_abs() <= cache.minimum);
        let index = self.builder.ins().uextend(self.env.pointer, index);
        if alignment == Alignment::Required && size > 1 {
            self.alignment_check(index, offset, size);
        }
        if !always_in_bounds {
            let end = self.builder.ins().iadd_imm_s(index, end_offset);
            self.bounds_check(cache, end);
        }
        let addr = self.builder.ins().iadd(cache.base, index);
        Ok(if offset == 0 {
            addr
        } else {
            self.builder.ins().iadd_imm_s(addr, offset)
        })
    }

    /// Pops an `i32` address and returns the effective address
    /// `index + offset` as an `i64`, unchecked: for the builtins that check
    /// it themselves.
    pub(super) fn pop_effective_addr(&mut self, memarg: &MemArg) -> TranslateResult<ir::Value> {
        let index = self.pop()?;
        let offset = offset_imm(memarg)?;
        let index = self.builder.ins().uextend(types::I64, index);
        Ok(if offset == 0 {
            index
        } else {
            self.builder.ins().iadd_imm_s(index, offset)
        })
    }

    /// Traps with "unaligned atomic" unless `index + offset` is a multiple
    /// of `size` (a power of two). Compares the index's low bits with those
    /// `offset` needs, `-offset mod size`, so the sum is never formed.
    fn alignment_check(&mut self, index: ir::Value, offset: i64, size: u32) {
        let mask = i64::from(size - 1);
        let low = self.builder.ins().band_imm_u(index, mask);
        let unaligned = self
            .builder
            .ins()
            .icmp_imm_u(IntCC::NotEqual, low, offset.wrapping_neg() & mask);
        self.traps
            .trap_if(&mut self.builder, unaligned, TrapCode::UnalignedAtomic);
    }

    /// An upper bound on the `i32` index `value` known while translating:
    /// the value of a constant, or the mask of an `and` with one (masking
    /// an index into a power-of-two buffer is common). An access whose end
    /// stays below the declared minimum with it needs no bounds check.
    fn index_upper_bound(&self, value: ir::Value) -> Option<u64> {
        let dfg = &self.builder.func.dfg;
        let constant = |v: ir::Value| {
            let inst = dfg.value_def(dfg.resolve_aliases(v)).inst()?;
            match dfg.insts[inst] {
                ir::InstructionData::UnaryImm {
                    opcode: ir::Opcode::Iconst,
                    imm,
                } => Some(imm.bits().cast_unsigned() & u64::from(u32::MAX)),
                _ => None,
            }
        };
        let inst = dfg.value_def(dfg.resolve_aliases(value)).inst()?;
        match dfg.insts[inst] {
            // `x & m <= m` as unsigned, whatever `x` is.
            ir::InstructionData::Binary {
                opcode: ir::Opcode::Band,
                args,
            } => args.into_iter().filter_map(constant).min(),
            _ => constant(value),
        }
    }

    /// Leaves for the `out_of_bounds` exit unless `end` (the access's end
    /// offset) is within the memory, and continues in a new block.
    fn bounds_check(&mut self, cache: MemoryCache, end: ir::Value) {
        let length = self.builder.use_var(cache.length);
        let oob = self
            .builder
            .ins()
            .icmp(IntCC::UnsignedGreaterThan, end, length);
        let out_of_bounds = self.traps.out_of_bounds_block(&mut self.builder);
        let cont = self.builder.create_block();
        if cache.shared {
            let recheck = self.builder.create_block();
            self.builder.set_cold_block(recheck);
            self.builder.ins().brif(oob, recheck, &[], cont, &[]);
            self.builder.seal_block(recheck);
            self.builder.switch_to_block(recheck);
            let fresh = self.reload_length(cache);
            let still_oob = self
                .builder
                .ins()
                .icmp(IntCC::UnsignedGreaterThan, end, fresh);
            self.builder
                .ins()
                .brif(still_oob, out_of_bounds, &[], cont, &[]);
        } else {
            self.builder.ins().brif(oob, out_of_bounds, &[], cont, &[]);
        }
        self.builder.seal_block(cont);
        self.builder.switch_to_block(cont);
    }
}
