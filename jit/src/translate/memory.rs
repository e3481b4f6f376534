//! Linear-memory instructions: loads, stores, `memory.size`,
//! `memory.grow` and the bulk operations.
//!
//! Bounds checks are explicit (no guard pages, no signals). Each function
//! loads every memory's definition pointer and base once at entry; weft-core
//! never moves a base. What an access compares its end with depends on who
//! can grow the memory:
//!
//! - **Unshared**: only this thread, and only through `memory.grow` or a
//!   call (a callee, wasm or host, may grow it). The length is cached in a
//!   variable, loaded at entry and reloaded after each of those, so the
//!   cache is exact and the hot path is one compare with a register.
//! - **Shared**: any thread, at any moment. Each check loads the current
//!   length atomically and compares with it, so a grow on another thread
//!   is never missed. A cached compare with a cold re-check block per
//!   access would save the load but costs the backend a block and a merge
//!   per access: a quarter of ffmpeg's compile time (`docs/jit.md`,
//!   "Shared memories: a fresh length per check"). No check reads the
//!   variable; it starts at the declared minimum, a lower bound that costs
//!   no load, and `memory.size` refreshes it.
//!
//! Either way a failing compare traps at once: every one branches to the
//! function's one `out_of_bounds` exit. The access path that calls it,
//! shared by every load and store, is `translate/access.rs`.

use cranelift_codegen::ir::{self, InstBuilder, types};
use wasmparser::{MemArg, Operator};

use weft_core::memory::{
    VMMEMORY_DEFINITION_BASE_OFFSET, VMMEMORY_DEFINITION_CURRENT_LENGTH_OFFSET,
};

use super::access::{Alignment, heap_flags};
use super::error::{TranslateError, TranslateResult, misrouted};
use super::{FuncTranslator, MemoryCache, trusted};
use crate::builtins::Builtin;
use crate::index::{DataIndex, MemoryIndex};

/// A wasm page: 64 KiB.
const PAGE_SIZE: u64 = 1 << 16;

/// A layout constant as a Cranelift offset.
pub(super) fn offset32<T: TryInto<i32>>(offset: T) -> i32 {
    offset.try_into().ok().expect("VM layout offsets are small")
}

impl FuncTranslator<'_, '_> {
    /// Loads the definition pointer, base and length of every memory.
    /// Unused loads are removed by Cranelift's dead-code elimination.
    pub(super) fn load_memory_caches(&mut self) {
        let pointer = self.env.pointer;
        for index in (0..self.env.offsets.num_memories()).map(MemoryIndex::from_u32) {
            let offset = self.env.offsets.memory_pointer(index.as_u32());
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
            let ty = self
                .env
                .info
                .memories
                .get(index)
                .expect("the VM offsets count the module's memories");
            // At most 2^16 pages of 2^16 bytes: no overflow.
            let minimum = ty.minimum.saturating_mul(PAGE_SIZE);
            let current = if ty.shared {
                // A shared memory's checks load the length afresh
                // (`bounds_check`), so the cache starts at the declared
                // minimum, a lower bound that costs no load.
                // (Zero, also a lower bound, if it were ever beyond `i64`.)
                let minimum = i64::try_from(minimum).unwrap_or(0);
                self.builder.ins().iconst(pointer, minimum)
            } else {
                self.builder.ins().load(
                    pointer,
                    trusted(),
                    definition,
                    offset32(VMMEMORY_DEFINITION_CURRENT_LENGTH_OFFSET),
                )
            };
            let length = self.builder.declare_var(pointer);
            self.builder.def_var(length, current);
            let loads = [definition, base, current]
                .map(|v| self.builder.func.dfg.value_def(v).unwrap_inst())
                .to_vec();
            self.memory_loads.push(loads);
            self.memory_used.push(false);
            self.memories.push(MemoryCache {
                definition,
                base,
                length,
                shared: ty.shared,
                minimum,
            });
        }
    }

    /// The cache of memory `memory`, for code that uses it (the only way
    /// to reach a cache, so that [`Self::drop_unused_memory_loads`] knows).
    pub(super) fn memory_cache(&mut self, memory: MemoryIndex) -> TranslateResult<MemoryCache> {
        let cache = self.memories.get(memory).copied().ok_or_else(|| {
            TranslateError::internal(format!("memory {} out of range", memory.as_u32()))
        })?;
        self.memory_used[memory] = true;
        Ok(cache)
    }

    /// Removes the cache loads (at entry and after calls) of every memory
    /// the function never used. Cranelift keeps an unused load of a
    /// mutable location, so a leaf without memory accesses would otherwise
    /// pay for three loads per memory on every call. Nothing can refer to
    /// the removed values: every use goes through [`Self::memory_cache`].
    pub(super) fn drop_unused_memory_loads(&mut self) {
        for (loads, &used) in self.memory_loads.values().zip(self.memory_used.values()) {
            if used {
                continue;
            }
            // Later loads first: each depends only on earlier ones.
            for &inst in loads.iter().rev() {
                self.builder.func.layout.remove_inst(inst);
            }
        }
    }

    /// The current length, reloaded atomically (it may have been grown by
    /// this thread through a host call or by another thread), which also
    /// refreshes the cache.
    pub(super) fn reload_length(&mut self, cache: MemoryCache) -> ir::Value {
        let length = self.current_length(cache);
        self.builder.def_var(cache.length, length);
        length
    }

    /// The length a bounds check (or a versioned loop's range check)
    /// compares with: the cached one of an unshared memory, which is
    /// exact, or the current one of a shared memory, loaded afresh.
    pub(super) fn check_length(&mut self, cache: MemoryCache) -> ir::Value {
        if cache.shared {
            self.current_length(cache)
        } else {
            self.builder.use_var(cache.length)
        }
    }

    /// The current length, loaded atomically, without touching the cache.
    /// Checks use it so, not [`Self::reload_length`]: refreshing the cache
    /// at every check would make the length a block parameter of every
    /// join after one.
    fn current_length(&mut self, cache: MemoryCache) -> ir::Value {
        let addr = self.builder_addr(
            cache.definition,
            offset32(VMMEMORY_DEFINITION_CURRENT_LENGTH_OFFSET),
        );
        self.builder
            .ins()
            .atomic_load(self.env.pointer, trusted(), addr)
    }

    /// Reloads the cached length of every unshared memory, after anything
    /// that may have grown one: `memory.grow` (of any index: two indices
    /// may import the same memory) or a call. Plain loads suffice, since
    /// only this thread can grow an unshared memory; for a memory the
    /// function never uses they are removed at the end.
    pub(super) fn reload_unshared_lengths(&mut self) {
        for i in self.memories.keys() {
            let cache = self.memories[i];
            if cache.shared {
                continue;
            }
            let length = self.builder.ins().load(
                self.env.pointer,
                trusted(),
                cache.definition,
                offset32(VMMEMORY_DEFINITION_CURRENT_LENGTH_OFFSET),
            );
            self.builder.def_var(cache.length, length);
            if !self.memory_used[i] {
                let inst = self.builder.func.dfg.value_def(length).unwrap_inst();
                self.memory_loads[i].push(inst);
            }
        }
    }

    fn builder_addr(&mut self, base: ir::Value, offset: i32) -> ir::Value {
        if offset == 0 {
            base
        } else {
            self.builder.ins().iadd_imm_s(base, i64::from(offset))
        }
    }

    fn load(&mut self, memarg: &MemArg, size: u32, build: LoadKind) -> TranslateResult<()> {
        let addr = self.access_addr(memarg, size, Alignment::Hint)?;
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

    fn store(&mut self, memarg: &MemArg, size: u32) -> TranslateResult<()> {
        let value = self.pop()?;
        let addr = self.access_addr(memarg, size, Alignment::Hint)?;
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

    /// Translates `op`, a memory operator.
    pub(super) fn translate_memory(&mut self, op: &Operator<'_>) -> TranslateResult<()> {
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
                let cache = self.memory_cache(MemoryIndex::from_u32(*mem))?;
                let length = self.reload_length(cache);
                let pages = self.builder.ins().ushr_imm_u(length, 16);
                let v = self.builder.ins().ireduce(I32, pages);
                self.stack.push(v);
            }
            Operator::MemoryGrow { mem } => {
                let delta = self.pop()?;
                let m = self.index_const(MemoryIndex::from_u32(*mem));
                self.push_builtin_value(Builtin::memory_grow, &[m, delta])?;
                self.reload_unshared_lengths();
            }
            Operator::MemoryFill { mem } => {
                let len = self.pop()?;
                let value = self.pop()?;
                let dst = self.pop()?;
                let m = self.index_const(MemoryIndex::from_u32(*mem));
                let len = self.builder.ins().uextend(I64, len);
                let dst = self.builder.ins().uextend(I64, dst);
                self.call_builtin(Builtin::memory_fill, &[m, dst, value, len]);
            }
            Operator::MemoryCopy { dst_mem, src_mem } => {
                let len = self.pop()?;
                let src = self.pop()?;
                let dst = self.pop()?;
                let d = self.index_const(MemoryIndex::from_u32(*dst_mem));
                let s = self.index_const(MemoryIndex::from_u32(*src_mem));
                let len = self.builder.ins().uextend(I64, len);
                let src = self.builder.ins().uextend(I64, src);
                let dst = self.builder.ins().uextend(I64, dst);
                self.call_builtin(Builtin::memory_copy, &[d, s, dst, src, len]);
            }
            Operator::MemoryInit { data_index, mem } => {
                let len = self.pop()?;
                let src = self.pop()?;
                let dst = self.pop()?;
                let m = self.index_const(MemoryIndex::from_u32(*mem));
                let d = self.index_const(DataIndex::from_u32(*data_index));
                let dst = self.builder.ins().uextend(I64, dst);
                self.call_builtin(Builtin::memory_init, &[m, d, dst, src, len]);
            }
            Operator::DataDrop { data_index } => {
                let d = self.index_const(DataIndex::from_u32(*data_index));
                self.call_builtin(Builtin::data_drop, &[d]);
            }
            _ => return Err(misrouted("memory", op)),
        }
        Ok(())
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

#[cfg(test)]
mod tests {
    //! An unshared memory's cached length is exact only if it is reloaded
    //! after everything that can grow the memory: these tests grow it in
    //! each such way and then touch the new page in the same function.

    use crate::{
        Caller, Config, Engine, Extern, Func, Instance, Memory, MemoryType, Module, Store, TrapCode,
    };

    fn engine(multi_memory: bool) -> Engine {
        let mut config = Config::new();
        config.wasm_multi_memory(multi_memory);
        Engine::new(&config).expect("supported host")
    }

    fn trap_code(e: &crate::Error) -> Option<TrapCode> {
        e.as_trap().map(|t| t.code())
    }

    #[test]
    fn growth_by_a_host_call_is_seen_after_the_call() -> crate::Result<()> {
        let engine = engine(false);
        let module = Module::new(
            &engine,
            r#"(module
              (import "host" "grow" (func $grow))
              (memory (export "memory") 1 4)
              (func (export "run") (param $at i32) (result i32)
                (call $grow)
                (i32.store (local.get $at) (i32.const 2))
                (i32.load (local.get $at))))"#,
        )?;
        let mut store = Store::new(&engine, ());
        let grow = Func::wrap(&mut store, |mut caller: Caller<'_, ()>| {
            if let Some(Extern::Memory(m)) = caller.get_export("memory") {
                // Past the maximum this fails, which the last call expects.
                let _ = m.grow(&mut caller, 1);
            }
        });
        let instance = Instance::new(&mut store, &module, &[grow.into()])?;
        let run = instance.get_typed_func::<i32, i32>(&store, "run")?;
        assert_eq!(run.call(&mut store, 65536)?, 2, "the page the call added");
        assert_eq!(run.call(&mut store, 3 * 65536 - 4)?, 2, "the last word");
        let e = run.call(&mut store, 4 * 65536).expect_err("past the end");
        assert_eq!(trap_code(&e), Some(TrapCode::MemoryOutOfBounds));
        let e = run
            .call(&mut store, 4 * 65536 - 3)
            .expect_err("crosses the end");
        assert_eq!(trap_code(&e), Some(TrapCode::MemoryOutOfBounds));
        Ok(())
    }

    #[test]
    fn growth_by_a_wasm_callee_is_seen_after_the_call() -> crate::Result<()> {
        let engine = engine(false);
        let module = Module::new(
            &engine,
            r#"(module
              (memory 1)
              (table 1 funcref)
              (elem (i32.const 0) $grow)
              (func $grow (drop (memory.grow (i32.const 1))))
              (func (export "direct") (param $at i32) (result i32)
                (call $grow)
                (i32.store (local.get $at) (i32.const 7))
                (i32.load (local.get $at)))
              (func (export "indirect") (param $at i32) (result i32)
                (call_indirect (i32.const 0))
                (i32.store (local.get $at) (i32.const 8))
                (i32.load (local.get $at)))
              (func (export "in_a_loop") (param $n i32) (result i32)
                (local $i i32)
                (loop $next
                  (call $grow)
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  ;; The first word of the page just added.
                  (i32.store (i32.mul (local.get $i) (i32.const 65536)) (local.get $i))
                  (br_if $next (i32.lt_u (local.get $i) (local.get $n))))
                (i32.load (i32.mul (local.get $n) (i32.const 65536)))))"#,
        )?;
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &module, &[])?;
        let direct = instance.get_typed_func::<i32, i32>(&store, "direct")?;
        let indirect = instance.get_typed_func::<i32, i32>(&store, "indirect")?;
        let in_a_loop = instance.get_typed_func::<i32, i32>(&store, "in_a_loop")?;
        assert_eq!(direct.call(&mut store, 2 * 65536 - 4)?, 7);
        assert_eq!(indirect.call(&mut store, 3 * 65536 - 4)?, 8);
        // Three pages now; the loop adds four more, one per iteration.
        assert_eq!(in_a_loop.call(&mut store, 4)?, 4);
        let e = direct
            .call(&mut store, 8 * 65536)
            .expect_err("one past the eighth page");
        assert_eq!(trap_code(&e), Some(TrapCode::MemoryOutOfBounds));
        Ok(())
    }

    #[test]
    fn growth_through_another_index_of_the_same_memory_is_seen() -> crate::Result<()> {
        let engine = engine(true);
        let module = Module::new(
            &engine,
            r#"(module
              (import "env" "a" (memory 1))
              (import "env" "b" (memory 1))
              (func (export "run") (param $at i32) (result i32)
                (drop (memory.grow 1 (i32.const 1)))
                (i32.store 0 (local.get $at) (i32.const 5))
                (i32.load 0 (local.get $at))))"#,
        )?;
        let mut store = Store::new(&engine, ());
        let memory = Memory::new(&mut store, MemoryType::new(1, None))?;
        let instance = Instance::new(&mut store, &module, &[memory.into(), memory.into()])?;
        let run = instance.get_typed_func::<i32, i32>(&store, "run")?;
        assert_eq!(run.call(&mut store, 2 * 65536 - 4)?, 5);
        Ok(())
    }

    #[test]
    fn constant_addresses_below_the_minimum_pass_and_past_it_trap() -> crate::Result<()> {
        let engine = engine(false);
        let module = Module::new(
            &engine,
            r#"(module
              (memory (export "memory") 1)
              (func (export "last_word") (result i32)
                (i32.store (i32.const 65532) (i32.const 9))
                (i32.load (i32.const 65532)))
              (func (export "crossing") (result i32)
                (i32.load (i32.const 65533)))
              (func (export "grow") (drop (memory.grow (i32.const 1)))))"#,
        )?;
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &module, &[])?;
        let last_word = instance.get_typed_func::<(), i32>(&store, "last_word")?;
        let crossing = instance.get_typed_func::<(), i32>(&store, "crossing")?;
        let grow = instance.get_typed_func::<(), ()>(&store, "grow")?;
        assert_eq!(last_word.call(&mut store, ())?, 9);
        let e = crossing.call(&mut store, ()).expect_err("crosses the end");
        assert_eq!(trap_code(&e), Some(TrapCode::MemoryOutOfBounds));
        grow.call(&mut store, ())?;
        assert_eq!(crossing.call(&mut store, ())?, 0, "within the grown page");
        Ok(())
    }
}
