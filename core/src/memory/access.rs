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

/// Copies `buf.len()` bytes out of memory at `src`.
///
/// # Safety
///
/// `[src, src + buf.len())` must be committed memory that stays mapped for
/// the call; other threads may access it only atomically or through these
/// same relaxed copies.
pub(crate) unsafe fn copy_out(src: *const u8, buf: &mut [u8]) {
    for (i, byte) in buf.iter_mut().enumerate() {
        // SAFETY: in bounds by the caller's contract; every byte address is
        // aligned for `AtomicU8`, and all concurrent accesses are atomic.
        *byte = unsafe { AtomicU8::from_ptr(src.add(i).cast_mut()) }.load(Ordering::Relaxed);
    }
}

/// Copies `data` into memory at `dst`.
///
/// # Safety
///
/// As for [`copy_out`], for `[dst, dst + data.len())`.
pub(crate) unsafe fn copy_in(dst: *mut u8, data: &[u8]) {
    for (i, &byte) in data.iter().enumerate() {
        // SAFETY: as in `copy_out`.
        unsafe { AtomicU8::from_ptr(dst.add(i)) }.store(byte, Ordering::Relaxed);
    }
}
