//! Linear memories: the VM-visible definition, address-space reservation,
//! growth, and host access.
//!
//! Every memory reserves its whole maximum (the 4 GiB 32-bit space when it
//! declares none, capped by [`ReservationPolicy`]) as inaccessible address
//! space when it is created, and `grow` only commits more of it. So a
//! memory's `base` never moves, and JIT code may load it once per function.
//!
//! [`Memory`] is owned by one instance; [`SharedMemory`] is the wasm
//! `shared` memory, reference-counted, whose single [`VMMemoryDefinition`]
//! every importing instance points at.

mod access;
mod limits;
mod reservation;
mod shared;
#[cfg(test)]
mod tests;

use std::mem::offset_of;
use std::ptr::NonNull;

use crate::sync::atomic::{AtomicUsize, Ordering};

pub use access::AccessError;
pub use limits::{MemoryError, MemoryLimits, ReservationPolicy};
use reservation::{Backing, Reservation};
pub use shared::SharedMemory;

/// The size of a wasm page in bytes.
pub const WASM_PAGE_SIZE: usize = 65536;

/// The most pages a 32-bit memory can have (4 GiB).
pub const WASM32_MAX_PAGES: u64 = 65536;

/// What JIT code knows about a memory: where it starts and how long it is
/// now.
///
/// `#[repr(C)]` with offsets exported as constants, so that generated code
/// and the runtime agree by construction. The JIT reaches it through a
/// pointer (the `VMContext`'s memory table), never by value: for a shared
/// memory this one definition is seen by every instance on every thread.
#[repr(C)]
#[derive(Debug)]
pub struct VMMemoryDefinition {
    /// The first byte of the memory; never changes after creation.
    pub base: *mut u8,
    /// The accessible length in bytes. Only grows. For a shared memory it is
    /// raised with a `SeqCst` store after the new pages are committed; read
    /// it with an acquiring (or `SeqCst`) load.
    pub current_length: AtomicUsize,
}

/// Offset of [`VMMemoryDefinition::base`], for generated code.
pub const VMMEMORY_DEFINITION_BASE_OFFSET: u32 = offset_of!(VMMemoryDefinition, base) as u32;
/// Offset of [`VMMemoryDefinition::current_length`], for generated code.
pub const VMMEMORY_DEFINITION_CURRENT_LENGTH_OFFSET: u32 =
    offset_of!(VMMemoryDefinition, current_length) as u32;
/// Size of [`VMMemoryDefinition`], for generated code.
pub const VMMEMORY_DEFINITION_SIZE: u32 = size_of::<VMMemoryDefinition>() as u32;

/// An owned, non-shared linear memory.
///
/// `Send` (an instance may move between threads) but not `Sync`: only its
/// owner touches it, so it needs no locks and its bytes are plain slices.
#[derive(Debug)]
pub struct Memory {
    /// Heap-allocated so that [`Memory::definition`] stays valid when the
    /// `Memory` moves.
    definition: DefinitionBox,
    limits: MemoryLimits,
    /// Dropped last (field order): nothing may point into the mapping then.
    reservation: Backing,
}

// SAFETY: a `Memory` exclusively owns its mapping and its definition; the
// raw pointers in them make it `!Send` only by default, not by any
// thread-affinity of the memory itself.
unsafe impl Send for Memory {}

impl Memory {
    /// Creates a non-shared memory of `limits.minimum` zeroed pages,
    /// reserving address space for its maximum under `policy`.
    ///
    /// Fails if the limits are invalid, are `shared`, if the minimum needs
    /// more than the policy's cap, or if the OS refuses the mapping.
    pub fn new(limits: MemoryLimits, policy: ReservationPolicy) -> Result<Memory, MemoryError> {
        let plan = limits::plan(limits, policy, false)?;
        let reservation = Backing::reserve(plan.reserved_bytes)?;
        // SAFETY: `[0, initial)` lies in the fresh reservation (checked by
        // `plan`), nothing is committed yet and no one else has seen it.
        unsafe { reservation.commit(0, plan.initial_bytes)? };
        Ok(Memory {
            definition: DefinitionBox::new(VMMemoryDefinition {
                base: reservation.base(),
                current_length: AtomicUsize::new(plan.initial_bytes),
            }),
            limits,
            reservation,
        })
    }

    /// Grows the memory by `delta_pages`, returning the old size in pages,
    /// or `None` (wasm's `-1`) if the result would pass the maximum, the
    /// 65536-page limit or the reservation, or if the OS refuses to commit.
    /// Never grows partially; any `delta_pages` is accepted.
    pub fn grow(&mut self, delta_pages: u64) -> Option<u64> {
        self.grow_with(delta_pages, |_, _| true)
    }

    /// As [`grow`](Self::grow), but first asks `approve(current_pages,
    /// desired_pages)` and fails (`None`, the memory unchanged) if it says
    /// no; a grow by 0 pages asks nothing. The same contract as
    /// [`SharedMemory::grow_with`], which needs a lock for it; `&mut self`
    /// makes the decision and the growth one step here.
    pub fn grow_with(
        &mut self,
        delta_pages: u64,
        approve: impl FnOnce(u64, u64) -> bool,
    ) -> Option<u64> {
        let old_len = self.byte_len();
        let old_pages = (old_len / WASM_PAGE_SIZE) as u64;
        if delta_pages > 0 && !approve(old_pages, old_pages.saturating_add(delta_pages)) {
            return None;
        }
        let target = limits::grow_target(
            old_pages,
            delta_pages,
            self.limits.maximum,
            self.reservation.len(),
        )?;
        // `target` is within the reservation, a usize: no overflow.
        let new_len = target as usize * WASM_PAGE_SIZE;
        // SAFETY: `grow_target` bounds `new_len` by the reservation;
        // `old_len` is the committed length; `&mut self` excludes any
        // concurrent commit or access.
        unsafe { self.reservation.commit(old_len, new_len) }.ok()?;
        // Release: pairs with the acquiring loads in `byte_len` and in JIT
        // code, so a reader of the new length finds the pages committed.
        // Only the owner's thread reads an owned memory, so this is cheap
        // insurance, not a protocol.
        self.definition
            .current_length
            .store(new_len, Ordering::Release);
        Some(old_pages)
    }

    /// The current size in wasm pages.
    pub fn size_pages(&self) -> u64 {
        (self.byte_len() / WASM_PAGE_SIZE) as u64
    }

    /// The current size in bytes.
    pub fn byte_len(&self) -> usize {
        // Acquire: pairs with the Release store in `grow`.
        self.definition.current_length.load(Ordering::Acquire)
    }

    /// The first byte of the memory; the same for the memory's whole life.
    pub fn base(&self) -> *mut u8 {
        self.definition.base
    }

    /// The limits the memory was created with.
    pub fn limits(&self) -> MemoryLimits {
        self.limits
    }

    /// The definition JIT code reads `base` and `current_length` through.
    ///
    /// The pointer stays valid while the `Memory` lives, even if it moves;
    /// `grow` keeps it up to date. Callers may read through it (and the
    /// length only atomically) but must not write `base`.
    pub fn definition(&self) -> *mut VMMemoryDefinition {
        self.definition.as_ptr()
    }

    /// The memory's bytes.
    pub fn data(&self) -> &[u8] {
        let len = self.byte_len();
        self.reservation.check_touch(0, len);
        // SAFETY: `[base, base + len)` is committed and, the memory being
        // unshared and borrowed, not written during the borrow.
        unsafe { std::slice::from_raw_parts(self.base(), len) }
    }

    /// The memory's bytes, mutably.
    pub fn data_mut(&mut self) -> &mut [u8] {
        let len = self.byte_len();
        self.reservation.check_touch(0, len);
        // SAFETY: `[base, base + len)` is committed, and `&mut self` makes
        // this the only access for the borrow.
        unsafe { std::slice::from_raw_parts_mut(self.base(), len) }
    }
}

/// A heap-allocated [`VMMemoryDefinition`] held by raw pointer.
///
/// Not a `Box`: moving a `Box` asserts unique ownership of its contents,
/// which (under Stacked Borrows, as Miri showed) invalidates the pointer that
/// JIT code and the `VMContext` keep to the definition. A raw pointer moves
/// without claiming anything, so that pointer stays valid for the owner's
/// whole life.
#[derive(Debug)]
struct DefinitionBox(NonNull<VMMemoryDefinition>);

impl DefinitionBox {
    fn new(definition: VMMemoryDefinition) -> Self {
        Self(NonNull::from(Box::leak(Box::new(definition))))
    }

    fn as_ptr(&self) -> *mut VMMemoryDefinition {
        self.0.as_ptr()
    }
}

impl std::ops::Deref for DefinitionBox {
    type Target = VMMemoryDefinition;

    fn deref(&self) -> &VMMemoryDefinition {
        // SAFETY: allocated in `new` and freed only in `drop`; no one writes
        // `base`, and `current_length` is atomic, so shared access is sound.
        unsafe { self.0.as_ref() }
    }
}

impl Drop for DefinitionBox {
    fn drop(&mut self) {
        // SAFETY: allocated by `Box` in `new`, freed exactly once, here; the
        // owning `Memory` is going away, so no one uses the pointer after.
        drop(unsafe { Box::from_raw(self.0.as_ptr()) });
    }
}
