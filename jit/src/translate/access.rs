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
//!    [`FuncTranslator::index_upper_bound`]) or an earlier check covers it
//!    (`translate/bounds.rs`); the bounds check itself is described in
//!    `translate/memory.rs`;
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
use crate::index::MemoryIndex;
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
pub(super) fn memory_index(memarg: &MemArg) -> TranslateResult<MemoryIndex> {
    match memarg.target {
        wasmparser::MemArgTarget::Memory(m) => Ok(MemoryIndex::from_u32(m)),
        wasmparser::MemArgTarget::Array(_) => {
            Err(TranslateError::unsupported("array memory access"))
        }
    }
}

/// `memarg.offset` as a Cranelift immediate. Without memory64 it is a
/// `u32`, so it always fits.
fn offset_imm(memarg: &MemArg) -> TranslateResult<i64> {
    i64::try_from(memarg.offset).map_err(|_| TranslateError::internal("memory offset beyond 2^63"))
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
        let memory = memory_index(memarg)?;
        let cache = self.memory_cache(memory)?;
        let address = self.pop()?;
        let offset = offset_imm(memarg)?;
        // A 32-bit index plus a 32-bit offset plus a small size cannot
        // overflow 64 bits.
        let end_offset = offset
            .checked_add(i64::from(size))
            .ok_or_else(|| TranslateError::internal("memory offset beyond 2^63"))?;
        let always_in_bounds = self
            .index_upper_bound(address)
            .is_some_and(|max| max + end_offset.unsigned_abs() <= cache.minimum);
        let index = self.builder.ins().uextend(self.env.pointer, address);
        if alignment == Alignment::Required && size > 1 {
            self.alignment_check(index, offset, size);
        }
        if !always_in_bounds && !self.covered_by_range_check {
            self.check_access_bounds(memory, cache, address, index, end_offset, alignment);
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
        let unaligned =
            self.builder
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
    pub(super) fn bounds_check(&mut self, cache: MemoryCache, end: ir::Value) {
        let length = self.check_length(cache);
        let oob = self
            .builder
            .ins()
            .icmp(IntCC::UnsignedGreaterThan, end, length);
        let out_of_bounds = self.traps.out_of_bounds_block(&mut self.builder);
        let cont = self.builder.create_block();
        self.builder.ins().brif(oob, out_of_bounds, &[], cont, &[]);
        self.builder.seal_block(cont);
        self.builder.switch_to_block(cont);
    }
}

#[cfg(test)]
mod tests {
    //! The alignment check compares the index with `-offset mod size`
    //! instead of forming `index + offset`: these pin it down for offsets
    //! that are not multiples of the access size, and its order before the
    //! bounds check.

    use crate::{Config, Engine, Instance, Module, Store, TrapCode};

    fn run(wat: &str, export: &str, address: i32) -> Result<i64, Option<TrapCode>> {
        let mut config = Config::new();
        config.wasm_threads(true);
        let engine = Engine::new(&config).expect("supported host");
        let module = Module::new(&engine, wat).expect("valid module");
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
        let f = instance
            .get_typed_func::<i32, i64>(&store, export)
            .expect("exported");
        f.call(&mut store, address)
            .map_err(|e| e.as_trap().map(|t| t.code()))
    }

    const WAT: &str = r#"(module
      (memory 1)
      (data (i32.const 4) "\01\00\00\00\02\00\00\00\03\00")
      (func (export "load32_offset1") (param i32) (result i64)
        (i64.extend_i32_u (i32.atomic.load offset=1 (local.get 0))))
      (func (export "load64_offset6") (param i32) (result i64)
        (i64.atomic.load offset=6 (local.get 0)))
      (func (export "load16_offset3") (param i32) (result i64)
        (i64.atomic.load16_u offset=3 (local.get 0))))"#;

    #[test]
    fn the_effective_address_is_what_must_be_aligned() {
        use TrapCode::UnalignedAtomic;
        assert_eq!(run(WAT, "load32_offset1", 3), Ok(1), "3 + 1 = 4");
        assert_eq!(run(WAT, "load32_offset1", 7), Ok(2), "7 + 1 = 8");
        assert_eq!(run(WAT, "load32_offset1", 0), Err(Some(UnalignedAtomic)));
        assert_eq!(run(WAT, "load32_offset1", 4), Err(Some(UnalignedAtomic)));
        assert_eq!(
            run(WAT, "load64_offset6", 2),
            Ok(0x3_0000_0002),
            "2 + 6 = 8"
        );
        assert_eq!(run(WAT, "load64_offset6", 0), Err(Some(UnalignedAtomic)));
        assert_eq!(run(WAT, "load64_offset6", 6), Err(Some(UnalignedAtomic)));
        assert_eq!(run(WAT, "load16_offset3", 1), Ok(1), "1 + 3 = 4");
        assert_eq!(run(WAT, "load16_offset3", 2), Err(Some(UnalignedAtomic)));
    }

    #[test]
    fn alignment_is_checked_before_bounds() {
        // 65534 + 1 is misaligned and past the end: unaligned wins.
        assert_eq!(
            run(WAT, "load32_offset1", 65534),
            Err(Some(TrapCode::UnalignedAtomic))
        );
        // 65535 + 1 = 65536 is aligned and past the end.
        assert_eq!(
            run(WAT, "load32_offset1", 65535),
            Err(Some(TrapCode::MemoryOutOfBounds))
        );
        // Wrapping would make -1 + 1 = 0 look aligned and in bounds; the
        // index is widened first, so it is 2^32 - 1 + 1.
        assert_eq!(
            run(WAT, "load32_offset1", -1),
            Err(Some(TrapCode::MemoryOutOfBounds))
        );
    }
}
