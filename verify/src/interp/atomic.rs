//! The threads proposal's atomic accesses, `wait` and `notify`.
//!
//! Atomicity comes for free: every access to a memory, atomic or not, holds
//! that memory's lock (see `memory.rs`). What this module adds is the
//! proposal's checks, in the proposal's order: alignment of the effective
//! address first (`unaligned atomic`), then bounds, except for `wait`, which
//! checks that the memory is shared between the two: the proposal's
//! execution steps for `memory.atomic.wait{32,64}` trap on alignment (step
//! 9), then on an unshared memory (step 14), and check bounds only against
//! a shared memory's length (step 15b), as the reference interpreter does.

use super::code::{Instr, MemArg, NumType, RmwOp};
use super::memory::{MemoryRef, read_le, write_le};
use super::trap::Trap;
use super::wait::WaitOutcome;
use wasmparser::Operator;

/// The compiled form of an atomic operator, or `None` if `op` is not one.
pub(crate) fn compile(op: &Operator<'_>) -> Option<Instr> {
    use NumType::{I32, I64};
    use Operator as O;
    use RmwOp::*;
    let load = |m: &wasmparser::MemArg, width, ty| {
        Some(Instr::AtomicLoad {
            arg: MemArg::new(m)?,
            width,
            ty,
        })
    };
    let store = |m: &wasmparser::MemArg, width| {
        Some(Instr::AtomicStore {
            arg: MemArg::new(m)?,
            width,
        })
    };
    let rmw = |m: &wasmparser::MemArg, width, ty, op| {
        Some(Instr::AtomicRmw {
            arg: MemArg::new(m)?,
            width,
            ty,
            op,
        })
    };
    let cmpxchg = |m: &wasmparser::MemArg, width, ty| {
        Some(Instr::AtomicCmpxchg {
            arg: MemArg::new(m)?,
            width,
            ty,
        })
    };
    match op {
        O::MemoryAtomicNotify { memarg } => Some(Instr::AtomicNotify(MemArg::new(memarg)?)),
        O::MemoryAtomicWait32 { memarg } => Some(Instr::AtomicWait {
            arg: MemArg::new(memarg)?,
            width: 4,
        }),
        O::MemoryAtomicWait64 { memarg } => Some(Instr::AtomicWait {
            arg: MemArg::new(memarg)?,
            width: 8,
        }),
        O::AtomicFence { .. } => Some(Instr::AtomicFence),
        O::I32AtomicLoad { memarg } => load(memarg, 4, I32),
        O::I64AtomicLoad { memarg } => load(memarg, 8, I64),
        O::I32AtomicLoad8U { memarg } => load(memarg, 1, I32),
        O::I32AtomicLoad16U { memarg } => load(memarg, 2, I32),
        O::I64AtomicLoad8U { memarg } => load(memarg, 1, I64),
        O::I64AtomicLoad16U { memarg } => load(memarg, 2, I64),
        O::I64AtomicLoad32U { memarg } => load(memarg, 4, I64),
        O::I32AtomicStore { memarg } => store(memarg, 4),
        O::I64AtomicStore { memarg } => store(memarg, 8),
        O::I32AtomicStore8 { memarg } => store(memarg, 1),
        O::I32AtomicStore16 { memarg } => store(memarg, 2),
        O::I64AtomicStore8 { memarg } => store(memarg, 1),
        O::I64AtomicStore16 { memarg } => store(memarg, 2),
        O::I64AtomicStore32 { memarg } => store(memarg, 4),
        O::I32AtomicRmwAdd { memarg } => rmw(memarg, 4, I32, Add),
        O::I64AtomicRmwAdd { memarg } => rmw(memarg, 8, I64, Add),
        O::I32AtomicRmw8AddU { memarg } => rmw(memarg, 1, I32, Add),
        O::I32AtomicRmw16AddU { memarg } => rmw(memarg, 2, I32, Add),
        O::I64AtomicRmw8AddU { memarg } => rmw(memarg, 1, I64, Add),
        O::I64AtomicRmw16AddU { memarg } => rmw(memarg, 2, I64, Add),
        O::I64AtomicRmw32AddU { memarg } => rmw(memarg, 4, I64, Add),
        O::I32AtomicRmwSub { memarg } => rmw(memarg, 4, I32, Sub),
        O::I64AtomicRmwSub { memarg } => rmw(memarg, 8, I64, Sub),
        O::I32AtomicRmw8SubU { memarg } => rmw(memarg, 1, I32, Sub),
        O::I32AtomicRmw16SubU { memarg } => rmw(memarg, 2, I32, Sub),
        O::I64AtomicRmw8SubU { memarg } => rmw(memarg, 1, I64, Sub),
        O::I64AtomicRmw16SubU { memarg } => rmw(memarg, 2, I64, Sub),
        O::I64AtomicRmw32SubU { memarg } => rmw(memarg, 4, I64, Sub),
        O::I32AtomicRmwAnd { memarg } => rmw(memarg, 4, I32, And),
        O::I64AtomicRmwAnd { memarg } => rmw(memarg, 8, I64, And),
        O::I32AtomicRmw8AndU { memarg } => rmw(memarg, 1, I32, And),
        O::I32AtomicRmw16AndU { memarg } => rmw(memarg, 2, I32, And),
        O::I64AtomicRmw8AndU { memarg } => rmw(memarg, 1, I64, And),
        O::I64AtomicRmw16AndU { memarg } => rmw(memarg, 2, I64, And),
        O::I64AtomicRmw32AndU { memarg } => rmw(memarg, 4, I64, And),
        O::I32AtomicRmwOr { memarg } => rmw(memarg, 4, I32, Or),
        O::I64AtomicRmwOr { memarg } => rmw(memarg, 8, I64, Or),
        O::I32AtomicRmw8OrU { memarg } => rmw(memarg, 1, I32, Or),
        O::I32AtomicRmw16OrU { memarg } => rmw(memarg, 2, I32, Or),
        O::I64AtomicRmw8OrU { memarg } => rmw(memarg, 1, I64, Or),
        O::I64AtomicRmw16OrU { memarg } => rmw(memarg, 2, I64, Or),
        O::I64AtomicRmw32OrU { memarg } => rmw(memarg, 4, I64, Or),
        O::I32AtomicRmwXor { memarg } => rmw(memarg, 4, I32, Xor),
        O::I64AtomicRmwXor { memarg } => rmw(memarg, 8, I64, Xor),
        O::I32AtomicRmw8XorU { memarg } => rmw(memarg, 1, I32, Xor),
        O::I32AtomicRmw16XorU { memarg } => rmw(memarg, 2, I32, Xor),
        O::I64AtomicRmw8XorU { memarg } => rmw(memarg, 1, I64, Xor),
        O::I64AtomicRmw16XorU { memarg } => rmw(memarg, 2, I64, Xor),
        O::I64AtomicRmw32XorU { memarg } => rmw(memarg, 4, I64, Xor),
        O::I32AtomicRmwXchg { memarg } => rmw(memarg, 4, I32, Xchg),
        O::I64AtomicRmwXchg { memarg } => rmw(memarg, 8, I64, Xchg),
        O::I32AtomicRmw8XchgU { memarg } => rmw(memarg, 1, I32, Xchg),
        O::I32AtomicRmw16XchgU { memarg } => rmw(memarg, 2, I32, Xchg),
        O::I64AtomicRmw8XchgU { memarg } => rmw(memarg, 1, I64, Xchg),
        O::I64AtomicRmw16XchgU { memarg } => rmw(memarg, 2, I64, Xchg),
        O::I64AtomicRmw32XchgU { memarg } => rmw(memarg, 4, I64, Xchg),
        O::I32AtomicRmwCmpxchg { memarg } => cmpxchg(memarg, 4, I32),
        O::I64AtomicRmwCmpxchg { memarg } => cmpxchg(memarg, 8, I64),
        O::I32AtomicRmw8CmpxchgU { memarg } => cmpxchg(memarg, 1, I32),
        O::I32AtomicRmw16CmpxchgU { memarg } => cmpxchg(memarg, 2, I32),
        O::I64AtomicRmw8CmpxchgU { memarg } => cmpxchg(memarg, 1, I64),
        O::I64AtomicRmw16CmpxchgU { memarg } => cmpxchg(memarg, 2, I64),
        O::I64AtomicRmw32CmpxchgU { memarg } => cmpxchg(memarg, 4, I64),
        _ => None,
    }
}

/// The mask of the low `width` bytes.
fn mask(width: u8) -> u64 {
    if width == 8 {
        u64::MAX
    } else {
        (1u64 << (8 * u32::from(width))) - 1
    }
}

/// The `unaligned atomic` check, which the proposal puts before bounds.
fn check_aligned(address: u64, width: u8) -> Result<(), Trap> {
    if !address.is_multiple_of(u64::from(width)) {
        return Err(Trap::UnalignedAtomic);
    }
    Ok(())
}

/// Atomic load: the zero-extended `width` bytes at `address`.
pub(crate) fn load(mem: &MemoryRef, address: u64, width: u8) -> Result<u64, Trap> {
    check_aligned(address, width)?;
    read_le(&mem.lock(), address, width)
}

/// Atomic store of the low `width` bytes of `value`.
pub(crate) fn store(mem: &MemoryRef, address: u64, width: u8, value: u64) -> Result<(), Trap> {
    check_aligned(address, width)?;
    write_le(&mut mem.lock(), address, width, value)
}

/// Read-modify-write; returns the old (zero-extended) value.
pub(crate) fn rmw(
    mem: &MemoryRef,
    address: u64,
    width: u8,
    op: RmwOp,
    operand: u64,
) -> Result<u64, Trap> {
    check_aligned(address, width)?;
    let mut bytes = mem.lock();
    let old = read_le(&bytes, address, width)?;
    let new = match op {
        RmwOp::Add => old.wrapping_add(operand),
        RmwOp::Sub => old.wrapping_sub(operand),
        RmwOp::And => old & operand,
        RmwOp::Or => old | operand,
        RmwOp::Xor => old ^ operand,
        RmwOp::Xchg => operand,
    };
    write_le(&mut bytes, address, width, new & mask(width))?;
    Ok(old)
}

/// Compare-exchange; the expected value is wrapped to `width` before the
/// comparison, and the old (zero-extended) value is returned either way.
pub(crate) fn cmpxchg(
    mem: &MemoryRef,
    address: u64,
    width: u8,
    expected: u64,
    replacement: u64,
) -> Result<u64, Trap> {
    check_aligned(address, width)?;
    let mut bytes = mem.lock();
    let old = read_le(&bytes, address, width)?;
    if old == expected & mask(width) {
        write_le(&mut bytes, address, width, replacement & mask(width))?;
    }
    Ok(old)
}

/// `memory.atomic.wait32/64`: 0 woken, 1 not-equal, 2 timed out.
pub(crate) fn wait(
    mem: &MemoryRef,
    address: u64,
    width: u8,
    expected: u64,
    timeout_ns: i64,
) -> Result<i32, Trap> {
    check_aligned(address, width)?;
    if !mem.is_shared() {
        return Err(Trap::ExpectedSharedMemory);
    }
    let bytes = mem.lock();
    let current = read_le(&bytes, address, width)?;
    if current != expected & mask(width) {
        return Ok(WaitOutcome::NotEqual as i32);
    }
    // Join the queue before releasing the byte lock: see `wait.rs`.
    let ticket = mem.inner().waiters.enqueue(address);
    drop(bytes);
    Ok(ticket.block(timeout_ns) as i32)
}

/// `memory.atomic.notify`: wakes up to `count` waiters, returns how many.
/// On an unshared memory nobody can be waiting, so it returns 0 (after the
/// alignment and bounds checks, which still apply).
pub(crate) fn notify(mem: &MemoryRef, address: u64, count: u32) -> Result<i32, Trap> {
    check_aligned(address, 4)?;
    read_le(&mem.lock(), address, 4)?;
    if !mem.is_shared() {
        return Ok(0);
    }
    let woken = mem.inner().waiters.notify(address, count);
    // wasm reads the result as an unsigned count.
    Ok(woken as i32)
}
