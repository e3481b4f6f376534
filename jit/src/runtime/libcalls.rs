//! The Rust side of the builtins generated code calls (declared in
//! `crate::builtins`, reached through the table in `runtime::builtins`,
//! which checks each signature against its row).
//!
//! Each takes the calling instance's `VMContext` and finds the store and
//! instance through the header's instance link. Nothing here may panic
//! into generated code: every index was validated at compile time and every
//! dynamic condition is a returned trap code.

use std::sync::atomic::Ordering;

use weft_core::memory::{AccessError, SharedMemory};
use weft_core::vm::VMCTX_INSTANCE_OFFSET;
use weft_core::wait::{DeadlineReached, EpochWatch, WaitEnds, WaitResult};

use crate::engine::Engine;
use crate::runtime::instance::VMInstanceLink;
use crate::runtime::interrupt::{InterruptHandle, UpdateDeadline};
use crate::runtime::limits;
use crate::runtime::memory::{MemoryStorage, access_trap};
use crate::runtime::store::{DeadlineBehavior, MemoryPair, StoreOpaque, range_within};
use crate::trap::TrapCode;

const OK: u32 = 0;

fn code(c: TrapCode) -> u32 {
    c.as_u32()
}

/// The store and instance index of `vmctx`.
///
/// # Safety
/// `vmctx` is the `VMContext` of a live instance whose store is in a wasm
/// call on this thread (so no other reference to the store is in use).
unsafe fn instance<'a>(vmctx: *mut u8) -> (&'a mut StoreOpaque, usize) {
    // SAFETY: the header's instance field holds the instance's link
    // (written at instantiation, valid as long as the instance), and the
    // store is exclusively ours during the call (contract).
    unsafe {
        let link = vmctx
            .add(VMCTX_INSTANCE_OFFSET as usize)
            .cast::<*const VMInstanceLink>()
            .read();
        (&mut *(*link).store, (*link).instance)
    }
}

/// A memory access's outcome as generated code reads it.
fn access_code(result: Result<(), weft_core::memory::AccessError>) -> u32 {
    match result {
        Ok(()) => OK,
        Err(e) => code(access_trap(e)),
    }
}

/// # Safety
/// Called by generated code only; see [`instance`].
pub(crate) unsafe extern "C" fn memory_grow(vmctx: *mut u8, index: u32, delta: u32) -> i64 {
    // SAFETY: called from generated code of a live instance.
    let (store, inst) = unsafe { instance(vmctx) };
    let limiter = store.limiter;
    match store
        .instance_memory(inst, index)
        .grow(u64::from(delta), limiter)
    {
        // At most 65,536 pages: non-negative.
        Ok(Some(old)) => old as i64,
        Ok(None) => i64::from(u32::MAX),
        Err(e) => limiter_trap(store, e),
    }
}

/// Traps the calling wasm code with a limiter's error, which the call that
/// reached the code then returns (as a host function's error is).
fn limiter_trap(store: &mut StoreOpaque, e: crate::Error) -> i64 {
    store.pending_error = Some(e);
    negated(TrapCode::HostError)
}

/// # Safety
/// Called by generated code only; see [`instance`].
pub(crate) unsafe extern "C" fn memory_fill(
    vmctx: *mut u8,
    index: u32,
    dst: u64,
    value: u32,
    len: u64,
) -> u32 {
    // SAFETY: called from generated code of a live instance.
    let (store, inst) = unsafe { instance(vmctx) };
    access_code(
        store
            .instance_memory(inst, index)
            .fill(dst, value as u8, len),
    )
}

/// # Safety
/// Called by generated code only; see [`instance`].
pub(crate) unsafe extern "C" fn memory_copy(
    vmctx: *mut u8,
    dst_index: u32,
    src_index: u32,
    dst: u64,
    src: u64,
    len: u64,
) -> u32 {
    // SAFETY: called from generated code of a live instance.
    let (store, inst) = unsafe { instance(vmctx) };
    access_code(
        match store.instance_memory_pair(inst, dst_index, src_index) {
            MemoryPair::Same(m) => m.copy_within(dst, src, len),
            MemoryPair::Distinct(d, s) => d.copy_from(dst, s, src, len),
        },
    )
}

/// # Safety
/// Called by generated code only; see [`instance`].
pub(crate) unsafe extern "C" fn memory_init(
    vmctx: *mut u8,
    index: u32,
    data: u32,
    dst: u64,
    src: u32,
    len: u32,
) -> u32 {
    // SAFETY: called from generated code of a live instance.
    let (store, inst) = unsafe { instance(vmctx) };
    let segment = std::sync::Arc::clone(&store.instance_mut(inst).data[data as usize]);
    let Some(range) = range_within(src, len, segment.len()) else {
        return code(TrapCode::MemoryOutOfBounds);
    };
    access_code(
        store
            .instance_memory(inst, index)
            .write(dst, &segment[range]),
    )
}

/// # Safety
/// Called by generated code only; see [`instance`].
pub(crate) unsafe extern "C" fn data_drop(vmctx: *mut u8, data: u32) {
    // SAFETY: called from generated code of a live instance.
    let (store, inst) = unsafe { instance(vmctx) };
    store.instance_mut(inst).data[data as usize] = crate::runtime::instance::dropped_segment();
}

/// # Safety
/// Called by generated code only; see [`instance`].
pub(crate) unsafe extern "C" fn table_grow(
    vmctx: *mut u8,
    index: u32,
    init: usize,
    delta: u32,
) -> i64 {
    // SAFETY: called from generated code of a live instance.
    let (store, inst) = unsafe { instance(vmctx) };
    let limiter = store.limiter;
    match limits::grow_table(store.instance_table(inst, index), delta, init, limiter) {
        Ok(Some(old)) => i64::from(old),
        Ok(None) => i64::from(u32::MAX),
        Err(e) => limiter_trap(store, e),
    }
}

/// # Safety
/// Called by generated code only; see [`instance`].
pub(crate) unsafe extern "C" fn table_fill(
    vmctx: *mut u8,
    index: u32,
    dst: u32,
    value: usize,
    len: u32,
) -> u32 {
    // SAFETY: called from generated code of a live instance.
    let (store, inst) = unsafe { instance(vmctx) };
    let t = store.instance_table(inst, index);
    match range_within(dst, len, t.elements.len()) {
        Some(r) => {
            t.elements[r].fill(value);
            OK
        }
        None => code(TrapCode::TableOutOfBounds),
    }
}

/// # Safety
/// Called by generated code only; see [`instance`].
pub(crate) unsafe extern "C" fn table_copy(
    vmctx: *mut u8,
    dst_index: u32,
    src_index: u32,
    dst: u32,
    src: u32,
    len: u32,
) -> u32 {
    // SAFETY: called from generated code of a live instance.
    let (store, inst) = unsafe { instance(vmctx) };
    let dst_len = store.instance_table(inst, dst_index).elements.len();
    let source = store.instance_table(inst, src_index);
    let (Some(dr), Some(sr)) = (
        range_within(dst, len, dst_len),
        range_within(src, len, source.elements.len()),
    ) else {
        return code(TrapCode::TableOutOfBounds);
    };
    // Through a copy of the source: the two may be one table.
    let items = source.elements[sr].to_vec();
    store.instance_table(inst, dst_index).elements[dr].copy_from_slice(&items);
    OK
}

/// # Safety
/// Called by generated code only; see [`instance`].
pub(crate) unsafe extern "C" fn table_init(
    vmctx: *mut u8,
    index: u32,
    elem: u32,
    dst: u32,
    src: u32,
    len: u32,
) -> u32 {
    // SAFETY: called from generated code of a live instance.
    let (store, inst) = unsafe { instance(vmctx) };
    let segment = &store.instance_mut(inst).elements[elem as usize];
    let Some(sr) = range_within(src, len, segment.len()) else {
        return code(TrapCode::TableOutOfBounds);
    };
    let items = segment[sr].to_vec();
    let table = store.instance_table(inst, index);
    match range_within(dst, len, table.elements.len()) {
        Some(dr) => {
            table.elements[dr].copy_from_slice(&items);
            OK
        }
        None => code(TrapCode::TableOutOfBounds),
    }
}

/// # Safety
/// Called by generated code only; see [`instance`].
pub(crate) unsafe extern "C" fn elem_drop(vmctx: *mut u8, elem: u32) {
    // SAFETY: called from generated code of a live instance.
    let (store, inst) = unsafe { instance(vmctx) };
    store.instance_mut(inst).elements[elem as usize] = Vec::new();
}

/// A trap as a "value or trap" result.
fn negated(c: TrapCode) -> i64 {
    negated_code(c.as_u32())
}

/// A trap code as a negative result (libcalls that return a value return
/// traps that way).
fn negated_code(code: u32) -> i64 {
    -i64::from(code)
}

/// # Safety
/// Called by generated code only; see [`instance`].
pub(crate) unsafe extern "C" fn memory_atomic_notify(
    vmctx: *mut u8,
    index: u32,
    addr: u64,
    count: u32,
) -> i64 {
    // SAFETY: called from generated code of a live instance.
    let (store, inst) = unsafe { instance(vmctx) };
    match store.instance_memory(inst, index).notify(addr, count) {
        Ok(n) => i64::from(n),
        Err(e) => negated(access_trap(e)),
    }
}

/// What a wasm wait needs once it has left the store: clones, so that the
/// wait blocks without holding on to the store.
struct WaitTarget {
    shared: SharedMemory,
    /// The store's interrupt group, which the wait registers with.
    interrupt: InterruptHandle,
    /// The engine and the store's absolute epoch deadline, when the wait
    /// must watch it: with epoch interruption on and a deadline that can be
    /// reached (`u64::MAX` cannot: nothing but the store's own thread,
    /// blocked here, or an interrupt, which cancels the wait anyway, can
    /// move it).
    epoch: Option<(Engine, u64)>,
}

/// The shared memory `index` of the calling instance for a wait of `width`
/// bytes at `addr`, or the negated trap, with what else can end the wait.
///
/// The threads proposal's execution steps for `memory.atomic.wait{32,64}`
/// check, in this order: the effective address's alignment (step 9, "If ea
/// modulo N/8 is not equal to 0, then trap"), that the memory is shared
/// (step 14), and only then bounds (step 15b, against the shared memory's
/// length). So an unshared memory traps `unaligned atomic` before `expected
/// shared memory`, and `expected shared memory` before any bounds check;
/// for a shared memory weft-core checks alignment, then bounds.
///
/// # Safety
/// Called from generated code's libcalls only; see [`instance`].
unsafe fn memory_to_wait_on(
    vmctx: *mut u8,
    index: u32,
    addr: u64,
    width: u64,
) -> Result<WaitTarget, i64> {
    // SAFETY: the caller is a libcall of a live instance's generated code.
    let (store, inst) = unsafe { instance(vmctx) };
    let interrupt = store.interrupt.clone();
    // SeqCst: as the deadline's stores.
    let deadline = store.epoch_deadline.load(Ordering::SeqCst);
    let epoch = (store.engine.config().epoch_interruption && deadline != u64::MAX)
        .then(|| (store.engine.clone(), deadline));
    match store.instance_memory(inst, index) {
        MemoryStorage::Shared(s) => Ok(WaitTarget {
            shared: s.inner.clone(),
            interrupt,
            epoch,
        }),
        MemoryStorage::Owned(..) if !addr.is_multiple_of(width) => {
            Err(negated(TrapCode::UnalignedAtomic))
        }
        MemoryStorage::Owned(..) => Err(negated(TrapCode::ExpectedSharedMemory)),
    }
}

/// Runs `wait` (one width's weft-core wait) on the target of a wasm wait,
/// ended by the store's interrupt and, if watched, its epoch deadline, and
/// returns the libcall's result: the wait's value or a negated trap.
///
/// A deadline reached during the wait runs [`reach_epoch_deadline`], the
/// epoch check's own slow path, on this thread while the waiter stays
/// queued: its `OK` continues the wait with the store's (new) deadline,
/// its trap ends the wait with that trap, unless a notify took the waiter
/// first. Then the wake-up stands, an error the callback returned is
/// dropped, and the deadline stays reached, so the next check decides
/// again.
///
/// # Safety
/// Called from generated code's libcalls only; see [`instance`].
unsafe fn wait_on(
    vmctx: *mut u8,
    target: &WaitTarget,
    wait: impl FnOnce(&SharedMemory, WaitEnds<'_>) -> Result<WaitResult, AccessError>,
) -> i64 {
    let mut stopped = None;
    let mut on_reached = || {
        // SAFETY: the wait holds no borrow of the store (only clones), and
        // we are on the store's thread, inside its wasm call.
        let code = unsafe { reach_epoch_deadline(vmctx) };
        if code == OK {
            // SAFETY: as above; `reach_epoch_deadline`'s borrow has ended.
            let (store, _) = unsafe { instance(vmctx) };
            // SeqCst: as the deadline's stores.
            DeadlineReached::Continue(store.epoch_deadline.load(Ordering::SeqCst))
        } else {
            stopped = Some(code);
            DeadlineReached::Stop
        }
    };
    let ends = WaitEnds {
        interrupt: Some(target.interrupt.core()),
        epoch: target.epoch.as_ref().map(|(engine, deadline)| EpochWatch {
            epoch: engine.epoch(),
            deadline: *deadline,
            on_reached: &mut on_reached,
        }),
    };
    match (wait(&target.shared, ends), stopped) {
        (Ok(WaitResult::Interrupted), Some(code)) => negated_code(code),
        (Ok(WaitResult::Interrupted), None) => negated(TrapCode::Interrupt),
        (result, stopped) => {
            if stopped.is_some() {
                // SAFETY: as above; the wait is over.
                let (store, _) = unsafe { instance(vmctx) };
                store.pending_error = None;
            }
            match result {
                Ok(w) => w as i64,
                Err(e) => negated(access_trap(e)),
            }
        }
    }
}

/// # Safety
/// Called by generated code only; see [`instance`].
pub(crate) unsafe extern "C" fn memory_atomic_wait32(
    vmctx: *mut u8,
    index: u32,
    addr: u64,
    expected: u32,
    timeout: i64,
) -> i64 {
    // SAFETY: called from generated code of a live instance.
    match unsafe { memory_to_wait_on(vmctx, index, addr, 4) } {
        // SAFETY: as above.
        Ok(target) => unsafe {
            wait_on(vmctx, &target, |shared, ends| {
                shared.wait32_with_ends(addr, expected, timeout, ends)
            })
        },
        Err(trap) => trap,
    }
}

/// # Safety
/// Called by generated code only; see [`instance`].
pub(crate) unsafe extern "C" fn memory_atomic_wait64(
    vmctx: *mut u8,
    index: u32,
    addr: u64,
    expected: u64,
    timeout: i64,
) -> i64 {
    // SAFETY: called from generated code of a live instance.
    match unsafe { memory_to_wait_on(vmctx, index, addr, 8) } {
        // SAFETY: as above.
        Ok(target) => unsafe {
            wait_on(vmctx, &target, |shared, ends| {
                shared.wait64_with_ends(addr, expected, timeout, ends)
            })
        },
        Err(trap) => trap,
    }
}

/// The epoch check's slow path: the group was interrupted, or the epoch
/// reached the store's deadline. Traps `interrupt`, or runs the deadline
/// callback and continues with its new deadline.
///
/// # Safety
/// Called by generated code only; see [`instance`].
pub(crate) unsafe extern "C" fn epoch_interrupt(vmctx: *mut u8) -> u32 {
    // SAFETY: called from generated code of a live instance.
    unsafe { reach_epoch_deadline(vmctx) }
}

/// Records where a trap starts; see `Builtin::trap_raise`.
///
/// # Safety
/// Called by generated code only; see [`instance`].
pub(crate) unsafe extern "C" fn trap_raise(vmctx: *mut u8, func: u32) {
    // SAFETY: called from generated code of a live instance.
    let (store, _) = unsafe { instance(vmctx) };
    store.record_trap_origin(vmctx, func);
}

/// Appends a frame to a trap's backtrace; see `Builtin::trap_propagate`.
///
/// # Safety
/// Called by generated code only; see [`instance`].
pub(crate) unsafe extern "C" fn trap_propagate(vmctx: *mut u8, func: u32) {
    // SAFETY: called from generated code of a live instance.
    let (store, _) = unsafe { instance(vmctx) };
    store.record_trap_frame(vmctx, func);
}

/// What reaching the epoch deadline does, for running code's check
/// ([`epoch_interrupt`]) and for a wait in progress ([`wait_on`]) alike:
/// `OK` to go on (the deadline moved meanwhile, or the callback extended
/// it), else the trap: `interrupt` (the group is interrupted, or the
/// store's behaviour is to trap) or `host error` (the callback failed, its
/// error pending in the store).
///
/// # Safety
/// As [`instance`]: `vmctx` is a live instance's, whose store is in a wasm
/// call on this thread with no other borrow of it in use.
unsafe fn reach_epoch_deadline(vmctx: *mut u8) -> u32 {
    let (callback, inner) = {
        // SAFETY: the caller's contract.
        let (store, _) = unsafe { instance(vmctx) };
        if store.interrupt.is_interrupted() {
            return code(TrapCode::Interrupt);
        }
        // SeqCst: as the deadline's stores.
        let deadline = store.epoch_deadline.load(Ordering::SeqCst);
        if store.engine.current_epoch() < deadline {
            return OK; // the deadline moved since the check's load
        }
        match &mut store.deadline_behavior {
            DeadlineBehavior::Trap => return code(TrapCode::Interrupt),
            // `None`: wasm called from the callback itself reached the
            // deadline; it cannot re-enter the callback, so it traps.
            DeadlineBehavior::Callback(slot) => match slot.take() {
                Some(callback) => (callback, store.inner_ptr),
                None => return code(TrapCode::Interrupt),
            },
        }
    };
    let mut callback = callback;
    // No borrow of the store is live while the callback has it.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| callback(inner)));
    // SAFETY: as above; the callback's borrow of the store has ended.
    let (store, _) = unsafe { instance(vmctx) };
    if let DeadlineBehavior::Callback(slot @ None) = &mut store.deadline_behavior {
        *slot = Some(callback);
    }
    match outcome {
        Ok(Ok(UpdateDeadline::Continue(ticks))) => {
            store.set_epoch_deadline(ticks);
            if store.interrupt.is_interrupted() {
                code(TrapCode::Interrupt)
            } else {
                OK
            }
        }
        Ok(Err(error)) => {
            store.pending_error = Some(error);
            code(TrapCode::HostError)
        }
        Err(_) => {
            store.pending_error = Some(crate::error::Error::from(crate::error::ErrorKind::Host(
                "the epoch deadline callback panicked".to_owned(),
            )));
            code(TrapCode::HostError)
        }
    }
}
