//! Linear-memory instructions: loads, stores, `memory.size`,
//! `memory.grow` and the bulk operations.
//!
//! Bounds checks are explicit (no guard pages, no signals). Each function
//! loads every memory's definition pointer and base once at entry and
//! caches its `current_length` in a variable. Memories only grow and
//! weft-core never moves a base, so the cached length is a lower bound: an
//! access that passes against it is in bounds, and the hot path is one
//! compare. An access that fails goes to a cold block that reloads the
//! length atomically (another thread may have grown a shared memory),
//! updates the cache and checks again before trapping.

use cranelift_codegen::ir::Endianness;
use cranelift_codegen::ir::{self, BlockArg, InstBuilder, MemFlagsData, condcodes::IntCC, types};
use wasmparser::{MemArg, Operator};

use weft_core::memory::{
    VMMEMORY_DEFINITION_BASE_OFFSET, VMMEMORY_DEFINITION_CURRENT_LENGTH_OFFSET,
};

use super::{FuncTranslator, MemoryCache, trusted};
use crate::builtins::Builtin;
use crate::trap::TrapCode;

/// A layout constant as a Cranelift offset.
pub(super) fn offset32<T: TryInto<i32>>(offset: T) -> i32 {
    offset.try_into().ok().expect("VM layout offsets are small")
}

/// Flags for a checked wasm memory access: it cannot fault (the check
/// passed), it may be unaligned, and wasm memory is little-endian.
pub(super) fn heap_flags() -> MemFlagsData {
    MemFlagsData::new()
        .with_notrap()
        .with_endianness(Endianness::Little)
}

impl FuncTranslator<'_, '_> {
    /// Loads the definition pointer, base and length of every memory.
    /// Unused loads are removed by Cranelift's dead-code elimination.
    pub(super) fn load_memory_caches(&mut self) {
        let pointer = self.env.pointer;
        for index in 0..self.env.offsets.num_memories() {
            let offset = self.env.offsets.memory_pointer(index);
            let definition = self.builder.ins().load(
                pointer,
                trusted().with_readonly(),
                self.vmctx,
                offset32(offset),
            );
            let base = self.builder.ins().load(
                pointer,
                trusted().with_readonly(),
                definition,
                offset32(VMMEMORY_DEFINITION_BASE_OFFSET),
            );
            let current = self.builder.ins().load(
                pointer,
                trusted(),
                definition,
                offset32(VMMEMORY_DEFINITION_CURRENT_LENGTH_OFFSET),
            );
            let length = self.builder.declare_var(pointer);
            self.builder.def_var(length, current);
            self.memories.push(MemoryCache {
                definition,
                base,
                length,
            });
        }
    }

    fn memory_cache(&self, memory: u32) -> Result<MemoryCache, String> {
        self.memories
            .get(memory as usize)
            .copied()
            .ok_or_else(|| format!("memory {memory} out of range (translator bug)"))
    }

    /// The current length, reloaded atomically (it may have been grown by
    /// this thread through a host call or by another thread).
    pub(super) fn reload_length(&mut self, cache: MemoryCache) -> ir::Value {
        let addr = self.builder_addr(
            cache.definition,
            offset32(VMMEMORY_DEFINITION_CURRENT_LENGTH_OFFSET),
        );
        let length = self
            .builder
            .ins()
            .atomic_load(self.env.pointer, trusted(), addr);
        self.builder.def_var(cache.length, length);
        length
    }

    fn builder_addr(&mut self, base: ir::Value, offset: i32) -> ir::Value {
        if offset == 0 {
            base
        } else {
            self.builder.ins().iadd_imm_s(base, i64::from(offset))
        }
    }

    /// Pops an `i32` address and returns the native address of the
    /// `size`-byte access at `memarg.offset` past it, after the bounds
    /// check described in the module docs.
    pub(super) fn checked_addr(&mut self, memarg: &MemArg, size: u32) -> Result<ir::Value, String> {
        let memory = match memarg.target {
            wasmparser::MemArgTarget::Memory(m) => m,
            wasmparser::MemArgTarget::Array(_) => return Err("array memory access".into()),
        };
        let cache = self.memory_cache(memory)?;
        let pointer = self.env.pointer;
        let index = self.pop()?;
        let index = self.builder.ins().uextend(pointer, index);
        // A 32-bit index plus a 32-bit offset plus a small size cannot
        // overflow 64 bits.
        let end_offset = memarg
            .offset
            .checked_add(u64::from(size))
            .and_then(|e| i64::try_from(e).ok())
            .ok_or("memory offset out of range")?;
        let end = self.builder.ins().iadd_imm_s(index, end_offset);
        let length = self.builder.use_var(cache.length);
        let oob = self
            .builder
            .ins()
            .icmp(IntCC::UnsignedGreaterThan, end, length);
        let recheck = self.builder.create_block();
        let cont = self.builder.create_block();
        self.builder.set_cold_block(recheck);
        self.builder.ins().brif(oob, recheck, &[], cont, &[]);
        self.builder.seal_block(recheck);

        self.builder.switch_to_block(recheck);
        let fresh = self.reload_length(cache);
        let still_oob = self
            .builder
            .ins()
            .icmp(IntCC::UnsignedGreaterThan, end, fresh);
        let raise = self.traps.raise_block(&mut self.builder);
        let code = self
            .builder
            .ins()
            .iconst(types::I32, i64::from(TrapCode::MemoryOutOfBounds.as_u32()));
        self.builder
            .ins()
            .brif(still_oob, raise, &[BlockArg::Value(code)], cont, &[]);
        self.builder.seal_block(cont);

        self.builder.switch_to_block(cont);
        let addr = self.builder.ins().iadd(cache.base, index);
        Ok(match i64::try_from(memarg.offset) {
            Ok(0) => addr,
            Ok(o) => self.builder.ins().iadd_imm_s(addr, o),
            Err(_) => return Err("memory offset out of range".into()),
        })
    }

    fn load(&mut self, memarg: &MemArg, size: u32, build: LoadKind) -> Result<(), String> {
        let addr = self.checked_addr(memarg, size)?;
        let flags = heap_flags();
        let ins = self.builder.ins();
        let v = match build {
            LoadKind::Plain(ty) => ins.load(ty, flags, addr, 0),
            LoadKind::Sext8(ty) => ins.sload8(ty, flags, addr, 0),
            LoadKind::Zext8(ty) => ins.uload8(ty, flags, addr, 0),
            LoadKind::Sext16(ty) => ins.sload16(ty, flags, addr, 0),
            LoadKind::Zext16(ty) => ins.uload16(ty, flags, addr, 0),
            LoadKind::Sext32 => ins.sload32(flags, addr, 0),
            LoadKind::Zext32 => ins.uload32(flags, addr, 0),
        };
        self.stack.push(v);
        Ok(())
    }

    fn store(&mut self, memarg: &MemArg, size: u32) -> Result<(), String> {
        let value = self.pop()?;
        let addr = self.checked_addr(memarg, size)?;
        let flags = heap_flags();
        let ins = self.builder.ins();
        match size {
            1 => ins.istore8(flags, value, addr, 0),
            2 => ins.istore16(flags, value, addr, 0),
            4 if self.builder.func.dfg.value_type(value) == types::I64 => {
                self.builder.ins().istore32(flags, value, addr, 0)
            }
            _ => self.builder.ins().store(flags, value, addr, 0),
        };
        Ok(())
    }

    /// Returns `Ok(false)` if `op` is not a memory operator.
    pub(super) fn translate_memory(&mut self, op: &Operator<'_>) -> Result<bool, String> {
        use LoadKind::*;
        use types::{F32, F64, I32, I64};
        match op {
            Operator::I32Load { memarg } => self.load(memarg, 4, Plain(I32))?,
            Operator::I64Load { memarg } => self.load(memarg, 8, Plain(I64))?,
            Operator::F32Load { memarg } => self.load(memarg, 4, Plain(F32))?,
            Operator::F64Load { memarg } => self.load(memarg, 8, Plain(F64))?,
            Operator::I32Load8S { memarg } => self.load(memarg, 1, Sext8(I32))?,
            Operator::I32Load8U { memarg } => self.load(memarg, 1, Zext8(I32))?,
            Operator::I32Load16S { memarg } => self.load(memarg, 2, Sext16(I32))?,
            Operator::I32Load16U { memarg } => self.load(memarg, 2, Zext16(I32))?,
            Operator::I64Load8S { memarg } => self.load(memarg, 1, Sext8(I64))?,
            Operator::I64Load8U { memarg } => self.load(memarg, 1, Zext8(I64))?,
            Operator::I64Load16S { memarg } => self.load(memarg, 2, Sext16(I64))?,
            Operator::I64Load16U { memarg } => self.load(memarg, 2, Zext16(I64))?,
            Operator::I64Load32S { memarg } => self.load(memarg, 4, Sext32)?,
            Operator::I64Load32U { memarg } => self.load(memarg, 4, Zext32)?,
            Operator::I32Store { memarg } | Operator::F32Store { memarg } => {
                self.store(memarg, 4)?
            }
            Operator::I64Store { memarg } | Operator::F64Store { memarg } => {
                self.store(memarg, 8)?
            }
            Operator::I32Store8 { memarg } | Operator::I64Store8 { memarg } => {
                self.store(memarg, 1)?
            }
            Operator::I32Store16 { memarg } | Operator::I64Store16 { memarg } => {
                self.store(memarg, 2)?
            }
            Operator::I64Store32 { memarg } => self.store(memarg, 4)?,
            Operator::MemorySize { mem } => {
                let cache = self.memory_cache(*mem)?;
                let length = self.reload_length(cache);
                let pages = self.builder.ins().ushr_imm_u(length, 16);
                let v = self.builder.ins().ireduce(I32, pages);
                self.stack.push(v);
            }
            Operator::MemoryGrow { mem } => {
                let delta = self.pop()?;
                let m = self.i32_const(*mem);
                let v = self.call_builtin(Builtin::memory_grow, &[m, delta]);
                self.stack.push(v);
            }
            Operator::MemoryFill { mem } => {
                let len = self.pop()?;
                let value = self.pop()?;
                let dst = self.pop()?;
                let m = self.i32_const(*mem);
                let len = self.builder.ins().uextend(I64, len);
                let dst = self.builder.ins().uextend(I64, dst);
                self.call_trapping_builtin(Builtin::memory_fill, &[m, dst, value, len]);
            }
            Operator::MemoryCopy { dst_mem, src_mem } => {
                let len = self.pop()?;
                let src = self.pop()?;
                let dst = self.pop()?;
                let d = self.i32_const(*dst_mem);
                let s = self.i32_const(*src_mem);
                let len = self.builder.ins().uextend(I64, len);
                let src = self.builder.ins().uextend(I64, src);
                let dst = self.builder.ins().uextend(I64, dst);
                self.call_trapping_builtin(Builtin::memory_copy, &[d, s, dst, src, len]);
            }
            Operator::MemoryInit { data_index, mem } => {
                let len = self.pop()?;
                let src = self.pop()?;
                let dst = self.pop()?;
                let m = self.i32_const(*mem);
                let d = self.i32_const(*data_index);
                let dst = self.builder.ins().uextend(I64, dst);
                self.call_trapping_builtin(Builtin::memory_init, &[m, d, dst, src, len]);
            }
            Operator::DataDrop { data_index } => {
                let d = self.i32_const(*data_index);
                self.call_builtin(Builtin::data_drop, &[d]);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

#[derive(Clone, Copy)]
enum LoadKind {
    Plain(ir::Type),
    Sext8(ir::Type),
    Zext8(ir::Type),
    Sext16(ir::Type),
    Zext16(ir::Type),
    Sext32,
    Zext32,
}
