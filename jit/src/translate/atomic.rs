//! Atomic instructions (threads proposal): atomic loads, stores,
//! read-modify-writes and compare-exchange, `atomic.fence`, and
//! `memory.atomic.wait32/64` / `notify`.
//!
//! Cranelift's atomics take no offset and check no alignment, so both are
//! ours: every atomic access goes through the shared access path
//! (`translate/access.rs`) with [`Alignment::Required`], which checks the
//! effective address for natural alignment first ("unaligned atomic", the
//! same order weft-core's wait and notify use), then bounds like any access. Narrow widths reduce the operand
//! and zero-extend the result, as wasm specifies. Wait and notify call
//! weft-core through the builtins; their checks happen there.

use cranelift_codegen::ir::{self, AtomicRmwOp, InstBuilder, types};
use wasmparser::{MemArg, Operator};

use super::FuncTranslator;
use super::access::{Alignment, heap_flags, memory_index};
use super::error::{TranslateResult, misrouted};
use crate::builtins::Builtin;

/// An atomic access's width in bytes and the wasm value type it produces.
#[derive(Clone, Copy)]
struct Access {
    size: u32,
    ty: ir::Type,
}

impl Access {
    fn mem_type(self) -> ir::Type {
        match self.size {
            1 => types::I8,
            2 => types::I16,
            4 => types::I32,
            _ => types::I64,
        }
    }
}

const fn a(size: u32, ty: ir::Type) -> Access {
    Access { size, ty }
}

impl FuncTranslator<'_, '_> {
    fn atomic_load(&mut self, memarg: &MemArg, access: Access) -> TranslateResult<()> {
        let addr = self.access_addr(memarg, access.size, Alignment::Required)?;
        let mem_ty = access.mem_type();
        let v = self.builder.ins().atomic_load(mem_ty, heap_flags(), addr);
        let v = if mem_ty == access.ty {
            v
        } else {
            self.builder.ins().uextend(access.ty, v)
        };
        self.stack.push(v);
        Ok(())
    }

    fn narrow(&mut self, v: ir::Value, access: Access) -> ir::Value {
        let mem_ty = access.mem_type();
        if mem_ty == access.ty {
            v
        } else {
            self.builder.ins().ireduce(mem_ty, v)
        }
    }

    fn widen(&mut self, v: ir::Value, access: Access) -> ir::Value {
        if access.mem_type() == access.ty {
            v
        } else {
            self.builder.ins().uextend(access.ty, v)
        }
    }

    fn atomic_store(&mut self, memarg: &MemArg, access: Access) -> TranslateResult<()> {
        let value = self.pop()?;
        let addr = self.access_addr(memarg, access.size, Alignment::Required)?;
        let value = self.narrow(value, access);
        self.builder.ins().atomic_store(heap_flags(), value, addr);
        Ok(())
    }

    fn atomic_rmw(
        &mut self,
        memarg: &MemArg,
        access: Access,
        op: AtomicRmwOp,
    ) -> TranslateResult<()> {
        let value = self.pop()?;
        let addr = self.access_addr(memarg, access.size, Alignment::Required)?;
        let value = self.narrow(value, access);
        let old = self
            .builder
            .ins()
            .atomic_rmw(access.mem_type(), heap_flags(), op, addr, value);
        let old = self.widen(old, access);
        self.stack.push(old);
        Ok(())
    }

    fn atomic_cmpxchg(&mut self, memarg: &MemArg, access: Access) -> TranslateResult<()> {
        let replacement = self.pop()?;
        let expected = self.pop()?;
        let addr = self.access_addr(memarg, access.size, Alignment::Required)?;
        let expected = self.narrow(expected, access);
        let replacement = self.narrow(replacement, access);
        let old = self
            .builder
            .ins()
            .atomic_cas(heap_flags(), addr, expected, replacement);
        let old = self.widen(old, access);
        self.stack.push(old);
        Ok(())
    }

    /// Translates `op`, an atomic operator.
    pub(super) fn translate_atomic(&mut self, op: &Operator<'_>) -> TranslateResult<()> {
        use types::{I32, I64};
        match op {
            Operator::AtomicFence { .. } => {
                self.builder.ins().fence();
            }
            Operator::MemoryAtomicNotify { memarg } => {
                let count = self.pop()?;
                let ea = self.pop_effective_addr(memarg)?;
                let m = self.index_const(memory_index(memarg)?);
                self.push_builtin_value(Builtin::memory_atomic_notify, &[m, ea, count])?;
            }
            Operator::MemoryAtomicWait32 { memarg } | Operator::MemoryAtomicWait64 { memarg } => {
                let timeout = self.pop()?;
                let expected = self.pop()?;
                let ea = self.pop_effective_addr(memarg)?;
                let m = self.index_const(memory_index(memarg)?);
                let builtin = if matches!(op, Operator::MemoryAtomicWait32 { .. }) {
                    Builtin::memory_atomic_wait32
                } else {
                    Builtin::memory_atomic_wait64
                };
                self.push_builtin_value(builtin, &[m, ea, expected, timeout])?;
            }
            Operator::I32AtomicLoad { memarg } => self.atomic_load(memarg, a(4, I32))?,
            Operator::I64AtomicLoad { memarg } => self.atomic_load(memarg, a(8, I64))?,
            Operator::I32AtomicLoad8U { memarg } => self.atomic_load(memarg, a(1, I32))?,
            Operator::I32AtomicLoad16U { memarg } => self.atomic_load(memarg, a(2, I32))?,
            Operator::I64AtomicLoad8U { memarg } => self.atomic_load(memarg, a(1, I64))?,
            Operator::I64AtomicLoad16U { memarg } => self.atomic_load(memarg, a(2, I64))?,
            Operator::I64AtomicLoad32U { memarg } => self.atomic_load(memarg, a(4, I64))?,
            Operator::I32AtomicStore { memarg } => self.atomic_store(memarg, a(4, I32))?,
            Operator::I64AtomicStore { memarg } => self.atomic_store(memarg, a(8, I64))?,
            Operator::I32AtomicStore8 { memarg } => self.atomic_store(memarg, a(1, I32))?,
            Operator::I32AtomicStore16 { memarg } => self.atomic_store(memarg, a(2, I32))?,
            Operator::I64AtomicStore8 { memarg } => self.atomic_store(memarg, a(1, I64))?,
            Operator::I64AtomicStore16 { memarg } => self.atomic_store(memarg, a(2, I64))?,
            Operator::I64AtomicStore32 { memarg } => self.atomic_store(memarg, a(4, I64))?,
            Operator::I32AtomicRmwCmpxchg { memarg } => self.atomic_cmpxchg(memarg, a(4, I32))?,
            Operator::I64AtomicRmwCmpxchg { memarg } => self.atomic_cmpxchg(memarg, a(8, I64))?,
            Operator::I32AtomicRmw8CmpxchgU { memarg } => self.atomic_cmpxchg(memarg, a(1, I32))?,
            Operator::I32AtomicRmw16CmpxchgU { memarg } => {
                self.atomic_cmpxchg(memarg, a(2, I32))?
            }
            Operator::I64AtomicRmw8CmpxchgU { memarg } => self.atomic_cmpxchg(memarg, a(1, I64))?,
            Operator::I64AtomicRmw16CmpxchgU { memarg } => {
                self.atomic_cmpxchg(memarg, a(2, I64))?
            }
            Operator::I64AtomicRmw32CmpxchgU { memarg } => {
                self.atomic_cmpxchg(memarg, a(4, I64))?
            }
            _ => {
                let Some((memarg, access, rmw)) = rmw_op(op) else {
                    return Err(misrouted("atomic", op));
                };
                self.atomic_rmw(memarg, access, rmw)?;
            }
        }
        Ok(())
    }
}

/// The read-modify-write operators: memarg, width and operation.
fn rmw_op<'a>(op: &'a Operator<'_>) -> Option<(&'a MemArg, Access, AtomicRmwOp)> {
    use AtomicRmwOp::*;
    use types::{I32, I64};
    Some(match op {
        Operator::I32AtomicRmwAdd { memarg } => (memarg, a(4, I32), Add),
        Operator::I64AtomicRmwAdd { memarg } => (memarg, a(8, I64), Add),
        Operator::I32AtomicRmw8AddU { memarg } => (memarg, a(1, I32), Add),
        Operator::I32AtomicRmw16AddU { memarg } => (memarg, a(2, I32), Add),
        Operator::I64AtomicRmw8AddU { memarg } => (memarg, a(1, I64), Add),
        Operator::I64AtomicRmw16AddU { memarg } => (memarg, a(2, I64), Add),
        Operator::I64AtomicRmw32AddU { memarg } => (memarg, a(4, I64), Add),
        Operator::I32AtomicRmwSub { memarg } => (memarg, a(4, I32), Sub),
        Operator::I64AtomicRmwSub { memarg } => (memarg, a(8, I64), Sub),
        Operator::I32AtomicRmw8SubU { memarg } => (memarg, a(1, I32), Sub),
        Operator::I32AtomicRmw16SubU { memarg } => (memarg, a(2, I32), Sub),
        Operator::I64AtomicRmw8SubU { memarg } => (memarg, a(1, I64), Sub),
        Operator::I64AtomicRmw16SubU { memarg } => (memarg, a(2, I64), Sub),
        Operator::I64AtomicRmw32SubU { memarg } => (memarg, a(4, I64), Sub),
        Operator::I32AtomicRmwAnd { memarg } => (memarg, a(4, I32), And),
        Operator::I64AtomicRmwAnd { memarg } => (memarg, a(8, I64), And),
        Operator::I32AtomicRmw8AndU { memarg } => (memarg, a(1, I32), And),
        Operator::I32AtomicRmw16AndU { memarg } => (memarg, a(2, I32), And),
        Operator::I64AtomicRmw8AndU { memarg } => (memarg, a(1, I64), And),
        Operator::I64AtomicRmw16AndU { memarg } => (memarg, a(2, I64), And),
        Operator::I64AtomicRmw32AndU { memarg } => (memarg, a(4, I64), And),
        Operator::I32AtomicRmwOr { memarg } => (memarg, a(4, I32), Or),
        Operator::I64AtomicRmwOr { memarg } => (memarg, a(8, I64), Or),
        Operator::I32AtomicRmw8OrU { memarg } => (memarg, a(1, I32), Or),
        Operator::I32AtomicRmw16OrU { memarg } => (memarg, a(2, I32), Or),
        Operator::I64AtomicRmw8OrU { memarg } => (memarg, a(1, I64), Or),
        Operator::I64AtomicRmw16OrU { memarg } => (memarg, a(2, I64), Or),
        Operator::I64AtomicRmw32OrU { memarg } => (memarg, a(4, I64), Or),
        Operator::I32AtomicRmwXor { memarg } => (memarg, a(4, I32), Xor),
        Operator::I64AtomicRmwXor { memarg } => (memarg, a(8, I64), Xor),
        Operator::I32AtomicRmw8XorU { memarg } => (memarg, a(1, I32), Xor),
        Operator::I32AtomicRmw16XorU { memarg } => (memarg, a(2, I32), Xor),
        Operator::I64AtomicRmw8XorU { memarg } => (memarg, a(1, I64), Xor),
        Operator::I64AtomicRmw16XorU { memarg } => (memarg, a(2, I64), Xor),
        Operator::I64AtomicRmw32XorU { memarg } => (memarg, a(4, I64), Xor),
        Operator::I32AtomicRmwXchg { memarg } => (memarg, a(4, I32), Xchg),
        Operator::I64AtomicRmwXchg { memarg } => (memarg, a(8, I64), Xchg),
        Operator::I32AtomicRmw8XchgU { memarg } => (memarg, a(1, I32), Xchg),
        Operator::I32AtomicRmw16XchgU { memarg } => (memarg, a(2, I32), Xchg),
        Operator::I64AtomicRmw8XchgU { memarg } => (memarg, a(1, I64), Xchg),
        Operator::I64AtomicRmw16XchgU { memarg } => (memarg, a(2, I64), Xchg),
        Operator::I64AtomicRmw32XchgU { memarg } => (memarg, a(4, I64), Xchg),
        _ => return None,
    })
}
