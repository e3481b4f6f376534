//! `Linear`: the one implementation of a linear memory's host-observable
//! rules, under both [`Memory`](super::Memory) and
//! [`SharedMemory`](super::SharedMemory).
//!
//! Creation (plan, reserve, commit the minimum), growth (approve, target,
//! commit, publish), and every host access (bounds against the current
//! length, alignment for atomics, the copy itself) are written here once.
//! The two memory kinds differ only in how they serialize growth (`&mut`
//! or the grow lock) and in how the host may touch the bytes, which each
//! access names with an [`Access`]: so the code loom and Miri check through
//! `SharedMemory` is the code an owned memory runs too.

use std::ptr::NonNull;

use super::access::{self, Access, AccessError};
use super::image::MemoryImage;
use super::limits::{self, MemoryError, MemoryLimits, ReservationPolicy};
use super::reservation::{Backing, Reservation};
use super::{VMMemoryDefinition, WASM_PAGE_SIZE};
use crate::sync::atomic::{AtomicUsize, Ordering};

/// A reserved linear memory with its definition and limits.
#[derive(Debug)]
pub(crate) struct Linear {
    /// Heap-allocated so that [`Linear::definition`] stays valid when the
    /// owner moves.
    definition: DefinitionBox,
    limits: MemoryLimits,
    /// Dropped last (field order): nothing may point into the mapping then.
    reservation: Backing,
}

// SAFETY: a `Linear` exclusively owns its mapping and its definition; the
// raw pointers in them make it `!Send` only by default, not by any
// thread-affinity of the memory itself. (Not `Sync`: sharing is
// `SharedMemory`'s business, which argues it for its own inner value.)
unsafe impl Send for Linear {}

/// What a successful grow did.
pub(crate) struct Growth {
    /// The size before the grow, in pages (what wasm's `memory.grow`
    /// returns).
    pub(crate) old_pages: u64,
    /// The committed (and published) length after it, in bytes.
    pub(crate) new_len: usize,
}

impl Linear {
    /// Reserves address space for `limits`' maximum under `policy` and
    /// commits its minimum; `shared` is the kind the caller creates, which
    /// `limits.shared` must match.
    ///
    /// With an `image`, the memory starts with the image's contents (see
    /// [`MemoryImage`]) instead of zeros in the pages it covers, which must
    /// lie within the minimum.
    pub(crate) fn new(
        limits: MemoryLimits,
        policy: ReservationPolicy,
        shared: bool,
        image: Option<&MemoryImage>,
    ) -> Result<Linear, MemoryError> {
        let plan = limits::plan(limits, policy, shared)?;
        let image_len = image.map_or(0, MemoryImage::len);
        if image_len > plan.initial_bytes {
            return Err(MemoryError::ImageExceedsMinimum {
                image_bytes: image_len as u64,
                minimum_bytes: plan.initial_bytes as u64,
            });
        }
        let reservation = Backing::reserve(plan.reserved_bytes)?;
        if let Some(image) = image {
            // SAFETY: the image fits the minimum (checked above), which lies
            // in the fresh reservation (checked by `plan`); nothing is
            // committed yet and no one else has seen it.
            unsafe { reservation.map_image(image)? };
        }
        // SAFETY: `[image_len, initial)` lies in the fresh reservation,
        // `[0, image_len)` is what is committed, and no one else has seen
        // it.
        unsafe { reservation.commit(image_len, plan.initial_bytes)? };
        Ok(Linear {
            definition: DefinitionBox::new(VMMemoryDefinition {
                base: reservation.base(),
                current_length: AtomicUsize::new(plan.initial_bytes),
            }),
            limits,
            reservation,
        })
    }

    /// Grows from the committed length `old_len` by `delta_pages`, first
    /// asking `approve(current_pages, desired_pages)` (not for a grow by
    /// 0). `None` if refused, past the maximum, the 65536-page limit or the
    /// reservation, or if the OS refuses to commit; never grows partially.
    ///
    /// # Safety
    ///
    /// `old_len` is the committed length, and no other grow of this memory
    /// runs until this one returns (the caller holds `&mut` or the grow
    /// lock).
    pub(crate) unsafe fn grow(
        &self,
        old_len: usize,
        delta_pages: u64,
        approve: impl FnOnce(u64, u64) -> bool,
    ) -> Option<Growth> {
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
        // `old_len` is the committed length and no other grow runs (our
        // contract); no one touches `[old_len, new_len)` before the store
        // below publishes it.
        unsafe { self.reservation.commit(old_len, new_len) }.ok()?;
        // SeqCst (a Release at least): pairs with the acquiring loads of the
        // length in `byte_len` and JIT code, so whoever sees the new length
        // also sees the pages committed. SeqCst so that the grow of a
        // shared memory takes its place in the total order of wasm's SeqCst
        // atomics (an owned memory's owner is its only reader, for which
        // the stronger ordering costs nothing).
        #[cfg(not(feature = "loom-broken-relaxed-publish"))]
        let publish = Ordering::SeqCst;
        // Deliberately broken, for the loom models to catch.
        #[cfg(feature = "loom-broken-relaxed-publish")]
        let publish = Ordering::Relaxed;
        self.definition.current_length.store(new_len, publish);
        Some(Growth { old_pages, new_len })
    }

    /// The current length in bytes; may grow the moment after it is read
    /// (for a shared memory).
    pub(crate) fn byte_len(&self) -> usize {
        // SeqCst (an Acquire at least): pairs with the store in `grow`, so
        // every byte below the returned length is committed for us.
        self.definition.current_length.load(Ordering::SeqCst)
    }

    /// The first byte; the same for the memory's whole life.
    pub(crate) fn base(&self) -> *mut u8 {
        self.definition.base
    }

    pub(crate) fn limits(&self) -> MemoryLimits {
        self.limits
    }

    /// The definition JIT code reads `base` and `current_length` through;
    /// valid while `self` lives, wherever it moves.
    pub(crate) fn definition(&self) -> *mut VMMemoryDefinition {
        self.definition.as_ptr()
    }

    /// The whole current memory as a raw slice, its pages checked with the
    /// backing.
    pub(crate) fn bytes(&self) -> *mut [u8] {
        let len = self.byte_len();
        self.reservation.check_touch(0, len);
        std::ptr::slice_from_raw_parts_mut(self.base(), len)
    }

    /// Checks that `[offset, offset + len)` lies below the current length
    /// and returns `offset` as a `usize`; never overflows.
    fn checked(&self, offset: u64, len: u64) -> Result<usize, AccessError> {
        let start = access::check_bounds(offset, len, self.byte_len())?;
        // `start + len` is at most the length, a usize.
        self.reservation.check_touch(start, start + len as usize);
        Ok(start)
    }

    /// Checks an atomic access of `width` bytes at `offset` (alignment,
    /// then bounds: the order wasm traps in) without touching it; what
    /// `notify` checks.
    pub(crate) fn check_atomic(&self, offset: u64, width: usize) -> Result<usize, AccessError> {
        access::check_atomic(offset, width as u64, self.byte_len())
    }

    /// The address of the `width`-byte word at `offset`, after the
    /// alignment and then the bounds check; the word is committed and
    /// aligned to `width` (the base being page-aligned).
    pub(crate) fn atomic_ptr(&self, offset: u64, width: usize) -> Result<*mut u8, AccessError> {
        let start = self.check_atomic(offset, width)?;
        self.reservation.check_touch(start, start + width);
        // SAFETY: `start + width` is below the length, inside the
        // reservation that starts at `base`.
        Ok(unsafe { self.base().add(start) })
    }

    /// Copies `buf.len()` bytes at `offset` out.
    ///
    /// # Safety
    ///
    /// `access` holds for the call (see [`Access`]).
    pub(crate) unsafe fn read(
        &self,
        access: Access,
        offset: u64,
        buf: &mut [u8],
    ) -> Result<(), AccessError> {
        let start = self.checked(offset, buf.len() as u64)?;
        // SAFETY: `[start, start + len)` is below the length we loaded, so
        // committed (the length is published after the commit, and pages
        // are never decommitted while `self` lives); `access` holds by our
        // contract.
        unsafe { access.copy_out(self.base().add(start), buf) };
        Ok(())
    }

    /// Copies `data` in at `offset`.
    ///
    /// # Safety
    ///
    /// As for [`read`](Self::read).
    pub(crate) unsafe fn write(
        &self,
        access: Access,
        offset: u64,
        data: &[u8],
    ) -> Result<(), AccessError> {
        let start = self.checked(offset, data.len() as u64)?;
        // SAFETY: as in `read`.
        unsafe { access.copy_in(self.base().add(start), data) };
        Ok(())
    }

    /// Sets `len` bytes at `offset` to `value` (wasm's `memory.fill`): all
    /// or, out of bounds, none.
    ///
    /// # Safety
    ///
    /// As for [`read`](Self::read).
    pub(crate) unsafe fn fill(
        &self,
        access: Access,
        offset: u64,
        value: u8,
        len: u64,
    ) -> Result<(), AccessError> {
        let start = self.checked(offset, len)?;
        // SAFETY: as in `read`; `len` fits the length, a usize.
        unsafe { access.fill(self.base().add(start), value, len as usize) };
        Ok(())
    }

    /// Copies `len` bytes of `src` at `src_offset` into `self` at
    /// `dst_offset` (wasm's `memory.copy`): both ranges are checked before
    /// a byte moves, and overlapping ranges (`src` may be `self`) copy as
    /// if through a buffer.
    ///
    /// # Safety
    ///
    /// `access` holds for the call, for both memories.
    pub(crate) unsafe fn copy(
        &self,
        access: Access,
        dst_offset: u64,
        src: &Linear,
        src_offset: u64,
        len: u64,
    ) -> Result<(), AccessError> {
        let dst_start = self.checked(dst_offset, len)?;
        let src_start = src.checked(src_offset, len)?;
        // SAFETY: both ranges are committed, as in `read`; `access` holds
        // by our contract; `len` fits both lengths.
        unsafe {
            access.copy(
                self.base().add(dst_start),
                src.base().add(src_start),
                len as usize,
            );
        }
        Ok(())
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
        // owning memory is going away, so no one uses the pointer after.
        drop(unsafe { Box::from_raw(self.0.as_ptr()) });
    }
}
