//! Host access to linear memory that other threads (and JIT code) may be
//! writing at the same time.
//!
//! No `&[u8]` over a shared memory is ever formed: that would promise the
//! compiler the bytes do not change under it. Copies go byte by byte with
//! `Relaxed` atomics (wasm's own plain accesses are unordered, so nothing
//! stronger is owed), and the typed accessors are `SeqCst` atomics, the
//! ordering of wasm's atomic instructions.

use std::fmt;

use crate::sync::raw::{AtomicU8, Ordering};

/// Why a host access to memory failed; `Display` gives the wasm spec's trap
/// message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessError {
    /// An atomic access at an address that is not a multiple of its width.
    Unaligned,
    /// An access that reaches past the memory's current length.
    OutOfBounds,
}

impl fmt::Display for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Unaligned => "unaligned atomic",
            Self::OutOfBounds => "out of bounds memory access",
        })
    }
}

impl std::error::Error for AccessError {}

/// Checks that `[offset, offset + len)` lies inside `current_length`
/// bytes and returns `offset` as a `usize`. Never overflows.
pub(crate) fn check_bounds(
    offset: u64,
    len: u64,
    current_length: usize,
) -> Result<usize, AccessError> {
    let end = offset.checked_add(len).ok_or(AccessError::OutOfBounds)?;
    if end > current_length as u64 {
        return Err(AccessError::OutOfBounds);
    }
    // `offset <= end <= current_length`, which is a usize.
    usize::try_from(offset).map_err(|_| AccessError::OutOfBounds)
}

/// Checks an atomic access of `width` bytes: alignment first, then bounds
/// (the order wasm's atomic instructions trap in).
pub(crate) fn check_atomic(
    offset: u64,
    width: u64,
    current_length: usize,
) -> Result<usize, AccessError> {
    if !offset.is_multiple_of(width) {
        return Err(AccessError::Unaligned);
    }
    check_bounds(offset, width, current_length)
}

/// How the host may touch a memory's bytes during one access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    /// Nothing else reads or writes the bytes during the access (an
    /// unshared memory, borrowed by its owner, with no JIT code running on
    /// it): plain copies, as over a slice.
    Exclusive,
    /// Other threads (and their JIT code) may access the bytes at any time:
    /// byte by byte with `Relaxed` atomics, never through a reference.
    Atomic,
}

impl Access {
    /// Copies `buf.len()` bytes out of memory at `src`.
    ///
    /// # Safety
    ///
    /// `[src, src + buf.len())` is committed memory that stays mapped for
    /// the call, not overlapping `buf`, and `self` holds for it.
    pub(crate) unsafe fn copy_out(self, src: *const u8, buf: &mut [u8]) {
        match self {
            // SAFETY: valid for reads by the contract; no one writes it.
            Self::Exclusive => unsafe {
                std::ptr::copy_nonoverlapping(src, buf.as_mut_ptr(), buf.len());
            },
            Self::Atomic => {
                for (i, out) in buf.iter_mut().enumerate() {
                    // SAFETY: byte `i` lies in the range our contract makes
                    // committed, and (`Atomic`) every concurrent access to it
                    // is atomic: `byte`'s contract.
                    *out = unsafe { byte(src.add(i).cast_mut()) }.load(Ordering::Relaxed);
                }
            }
        }
    }

    /// Copies `data` into memory at `dst`.
    ///
    /// # Safety
    ///
    /// As for [`copy_out`](Self::copy_out), for `[dst, dst + data.len())`.
    pub(crate) unsafe fn copy_in(self, dst: *mut u8, data: &[u8]) {
        match self {
            // SAFETY: valid for writes by the contract; no one else uses it.
            Self::Exclusive => unsafe {
                std::ptr::copy_nonoverlapping(data.as_ptr(), dst, data.len());
            },
            Self::Atomic => {
                for (i, &value) in data.iter().enumerate() {
                    // SAFETY: byte `i` lies in the range our contract makes
                    // committed, and (`Atomic`) every concurrent access to it
                    // is atomic: `byte`'s contract.
                    unsafe { byte(dst.add(i)) }.store(value, Ordering::Relaxed);
                }
            }
        }
    }

    /// Sets `len` bytes at `dst` to `value`.
    ///
    /// # Safety
    ///
    /// As for [`copy_out`](Self::copy_out), for `[dst, dst + len)`.
    pub(crate) unsafe fn fill(self, dst: *mut u8, value: u8, len: usize) {
        match self {
            // SAFETY: valid for writes by the contract; no one else uses it.
            Self::Exclusive => unsafe { dst.write_bytes(value, len) },
            Self::Atomic => {
                for i in 0..len {
                    // SAFETY: byte `i` lies in the range our contract makes
                    // committed, and (`Atomic`) every concurrent access to it
                    // is atomic: `byte`'s contract.
                    unsafe { byte(dst.add(i)) }.store(value, Ordering::Relaxed);
                }
            }
        }
    }

    /// Copies `len` bytes from `src` to `dst`, which may overlap: as if
    /// through a buffer.
    ///
    /// # Safety
    ///
    /// As for [`copy_out`](Self::copy_out), for both ranges.
    pub(crate) unsafe fn copy(self, dst: *mut u8, src: *const u8, len: usize) {
        match self {
            // SAFETY: both valid by the contract; `copy` allows overlap.
            Self::Exclusive => unsafe { std::ptr::copy(src, dst, len) },
            Self::Atomic => {
                // Backwards when the destination lies above the source, so
                // that no byte is overwritten before it is read.
                let backwards = dst.cast_const() > src;
                for step in 0..len {
                    let i = if backwards { len - 1 - step } else { step };
                    // SAFETY: byte `i` of either range is committed (our
                    // contract) and only accessed atomically by others.
                    let value = unsafe { byte(src.add(i).cast_mut()) }.load(Ordering::Relaxed);
                    // SAFETY: as above.
                    unsafe { byte(dst.add(i)) }.store(value, Ordering::Relaxed);
                }
            }
        }
    }
}

/// The byte at `at` as an atomic.
///
/// # Safety
///
/// `at` is committed memory that stays mapped while the result is used, and
/// every concurrent access to it is atomic (any address is aligned for
/// `AtomicU8`).
unsafe fn byte<'a>(at: *mut u8) -> &'a AtomicU8 {
    // SAFETY: the contract.
    unsafe { AtomicU8::from_ptr(at) }
}
