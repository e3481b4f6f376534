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
//! every importing instance points at. Both are a thin skin over one
//! implementation of the rules (`linear`): bounds against the current
//! length, alignment then bounds for atomics, `memory.fill`/`memory.copy`
//! (all or nothing), growth. They differ only in how the host touches the
//! bytes (plain copies under `&mut` for an owned memory, relaxed atomics
//! for a shared one) and in how grows serialize. [`copy`] copies between
//! two memories of either kind. A [`MemoryImage`] gives a new memory of
//! either kind its initial contents copy-on-write.

mod access;
mod image;
#[cfg(test)]
mod image_tests;
mod limits;
mod linear;
#[cfg(test)]
mod linear_tests;
mod reservation;
mod shared;
#[cfg(test)]
mod tests;

use std::mem::offset_of;

use crate::sync::atomic::AtomicUsize;

use access::Access;
pub use access::AccessError;
pub use image::MemoryImage;
pub use limits::{MemoryError, MemoryLimits, ReservationPolicy};
use linear::Linear;
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
    linear: Linear,
}

impl Memory {
    /// Creates a non-shared memory of `limits.minimum` zeroed pages,
    /// reserving address space for its maximum under `policy`.
    ///
    /// Fails if the limits are invalid, are `shared`, if the minimum needs
    /// more than the policy's cap, or if the OS refuses the mapping.
    pub fn new(limits: MemoryLimits, policy: ReservationPolicy) -> Result<Memory, MemoryError> {
        Self::with_image(limits, policy, None)
    }

    /// As [`new`](Self::new), but the memory starts with `image`'s
    /// contents (mapped copy-on-write where the platform can, see
    /// [`MemoryImage`]); fails if the image is longer than the minimum.
    pub fn with_image(
        limits: MemoryLimits,
        policy: ReservationPolicy,
        image: Option<&MemoryImage>,
    ) -> Result<Memory, MemoryError> {
        Ok(Memory {
            linear: Linear::new(limits, policy, false, image)?,
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
        // SAFETY: `old_len` is the committed length (only grows change it)
        // and `&mut self` excludes any other grow.
        let growth = unsafe { self.linear.grow(old_len, delta_pages, approve) }?;
        Some(growth.old_pages)
    }

    /// The current size in wasm pages.
    pub fn size_pages(&self) -> u64 {
        (self.byte_len() / WASM_PAGE_SIZE) as u64
    }

    /// The current size in bytes.
    pub fn byte_len(&self) -> usize {
        self.linear.byte_len()
    }

    /// The first byte of the memory; the same for the memory's whole life.
    pub fn base(&self) -> *mut u8 {
        self.linear.base()
    }

    /// The limits the memory was created with.
    pub fn limits(&self) -> MemoryLimits {
        self.linear.limits()
    }

    /// The definition JIT code reads `base` and `current_length` through.
    ///
    /// The pointer stays valid while the `Memory` lives, even if it moves;
    /// `grow` keeps it up to date. Callers may read through it (and the
    /// length only atomically) but must not write `base`.
    pub fn definition(&self) -> *mut VMMemoryDefinition {
        self.linear.definition()
    }

    /// The memory's bytes.
    pub fn data(&self) -> &[u8] {
        // SAFETY: the bytes are committed and, the memory being unshared
        // and borrowed, not written during the borrow.
        unsafe { &*self.linear.bytes() }
    }

    /// The memory's bytes, mutably.
    pub fn data_mut(&mut self) -> &mut [u8] {
        // SAFETY: the bytes are committed, and `&mut self` makes this the
        // only access for the borrow.
        unsafe { &mut *self.linear.bytes() }
    }

    /// Copies `buf.len()` bytes starting at `offset` out of the memory.
    pub fn read(&self, offset: u64, buf: &mut [u8]) -> Result<(), AccessError> {
        // SAFETY: unshared and borrowed: no one writes it during the call.
        unsafe { self.linear.read(Access::Exclusive, offset, buf) }
    }

    /// Copies `data` into the memory starting at `offset`; all of it or,
    /// out of bounds, nothing.
    pub fn write(&mut self, offset: u64, data: &[u8]) -> Result<(), AccessError> {
        // SAFETY: `&mut self`: the only access during the call.
        unsafe { self.linear.write(Access::Exclusive, offset, data) }
    }

    /// Sets `len` bytes at `offset` to `value` (wasm's `memory.fill`); all
    /// of them or, out of bounds, none.
    pub fn fill(&mut self, offset: u64, value: u8, len: u64) -> Result<(), AccessError> {
        // SAFETY: as in `write`.
        unsafe { self.linear.fill(Access::Exclusive, offset, value, len) }
    }

    /// Copies `len` bytes from `src` to `dst` within the memory (wasm's
    /// `memory.copy`), overlapping or not; all or, out of bounds, none.
    pub fn copy_within(&mut self, dst: u64, src: u64, len: u64) -> Result<(), AccessError> {
        // SAFETY: as in `write`.
        unsafe {
            self.linear
                .copy(Access::Exclusive, dst, &self.linear, src, len)
        }
    }

    /// Wasm's `memory.atomic.notify` on an unshared memory: no one can
    /// wait on it, so it wakes no one (0), but checks alignment (4) and
    /// then bounds as on a shared memory.
    pub fn notify(&self, addr: u64, count: u32) -> Result<u32, AccessError> {
        let _ = count;
        self.linear.check_atomic(addr, 4).map(|_| 0)
    }
}

/// The destination of a [`copy`] between two memories.
#[derive(Debug)]
pub enum CopyTarget<'a> {
    /// An owned memory, borrowed exclusively for the copy.
    Owned(&'a mut Memory),
    /// A shared memory (which may be the source too).
    Shared(&'a SharedMemory),
}

/// The source of a [`copy`] between two memories.
#[derive(Debug)]
pub enum CopySource<'a> {
    /// An owned memory (necessarily another than the target).
    Owned(&'a Memory),
    /// A shared memory.
    Shared(&'a SharedMemory),
}

/// Copies `len` bytes of `src` at `src_offset` into `dst` at `dst_offset`
/// (wasm's `memory.copy` across memories): both ranges are checked before
/// a byte moves, and a shared memory copied into itself copies as if
/// through a buffer. Within one owned memory, use
/// [`Memory::copy_within`].
pub fn copy(
    dst: CopyTarget<'_>,
    dst_offset: u64,
    src: CopySource<'_>,
    src_offset: u64,
    len: u64,
) -> Result<(), AccessError> {
    let (dst, access) = match dst {
        CopyTarget::Owned(m) => (&m.linear, Access::Exclusive),
        CopyTarget::Shared(s) => (s.linear(), Access::Atomic),
    };
    let (src, access) = match src {
        CopySource::Owned(m) => (&m.linear, access),
        CopySource::Shared(s) => (s.linear(), Access::Atomic),
    };
    // SAFETY: `Exclusive` only when both are owned memories, one borrowed
    // `&mut` and the other `&`, so distinct and untouched by anyone else
    // during the call; otherwise every access is atomic.
    unsafe { dst.copy(access, dst_offset, src, src_offset, len) }
}
