//! `SharedMemory`: one linear memory used by many instances on many threads.

use super::access::{Access, AccessError};
use super::image::MemoryImage;
use super::limits::{MemoryError, MemoryLimits, ReservationPolicy};
use super::linear::Linear;
use super::{VMMemoryDefinition, WASM_PAGE_SIZE};
use crate::sync::{self, raw};
use crate::sync::{Arc, Mutex};
use crate::wait::{Parker, WaitEnds, WaitQueues, WaitResult, deadline_after};

/// A wasm `shared` memory: `Send + Sync + Clone`, every clone the same
/// memory.
///
/// Its single [`VMMemoryDefinition`] lives inside the shared allocation and
/// never moves, so every instance importing the memory points at it and
/// sees one `current_length`. Growth is serialized by a grow lock and
/// publishes the new length only after the pages are committed. The host
/// never gets a `&[u8]` to the bytes (other threads write them at any
/// time); it copies with [`read`](Self::read) / [`write`](Self::write) or
/// uses the atomic accessors. Each memory has its own wait queues, keyed by
/// address.
#[derive(Clone, Debug)]
pub struct SharedMemory {
    inner: Arc<SharedInner>,
}

#[derive(Debug)]
struct SharedInner {
    /// The memory and its rules; its definition is heap-allocated, so it
    /// never moves either.
    linear: Linear,
    /// The grow lock, holding the committed length in bytes. Held while
    /// committing and publishing: concurrent grows serialize, and
    /// `Reservation::commit`'s exclusivity contract holds. `grow` reads the
    /// old length from here, not from `current_length`, so the atomic is
    /// only ever stored under the lock and loaded by readers (which also
    /// keeps loom's dependency tracking exact: it remembers only the last
    /// access to an atomic, so a grower's own load before its store would
    /// hide a reader's earlier load from the model checker).
    grow_lock: Mutex<usize>,
    queues: WaitQueues,
}

// SAFETY: `base` is written once, before sharing; `current_length` is
// atomic; the reservation is `Send + Sync`; the host accesses the bytes of
// a shared memory only with `Access::Atomic` (see the module docs of
// `access`), and grows only under the grow lock.
unsafe impl Sync for SharedInner {}

impl SharedMemory {
    /// Creates a shared memory of `limits.minimum` zeroed pages, reserving
    /// address space for its maximum under `policy`.
    ///
    /// Fails if the limits are invalid, not `shared`, have no maximum, if
    /// the minimum needs more than the policy's cap, or if the OS refuses.
    pub fn new(
        limits: MemoryLimits,
        policy: ReservationPolicy,
    ) -> Result<SharedMemory, MemoryError> {
        Self::with_image(limits, policy, None)
    }

    /// As [`new`](Self::new), but the memory starts with `image`'s
    /// contents (mapped copy-on-write where the platform can: one private
    /// mapping of the process that every thread shares, see
    /// [`MemoryImage`]); fails if the image is longer than the minimum.
    pub fn with_image(
        limits: MemoryLimits,
        policy: ReservationPolicy,
        image: Option<&MemoryImage>,
    ) -> Result<SharedMemory, MemoryError> {
        let linear = Linear::new(limits, policy, true, image)?;
        // Read before the memory is shared: no grow can race it.
        let initial = linear.byte_len();
        Ok(SharedMemory {
            inner: Arc::new(SharedInner {
                linear,
                grow_lock: Mutex::new(initial),
                queues: WaitQueues::new(),
            }),
        })
    }

    /// Grows the memory by `delta_pages`, returning the old size in pages,
    /// or `None` (wasm's `-1`) if the result would pass the maximum, the
    /// 65536-page limit or the reservation, or if the OS refuses to commit.
    ///
    /// Concurrent grows serialize; each sees the size the previous one left,
    /// so their old sizes are distinct and add up. Never grows partially.
    pub fn grow(&self, delta_pages: u64) -> Option<u64> {
        self.grow_with(delta_pages, |_, _| true)
    }

    /// As [`grow`](Self::grow), but first asks `approve(current_pages,
    /// desired_pages)` and fails (`None`, the memory unchanged) if it says
    /// no. A grow by 0 pages asks nothing.
    ///
    /// `approve` runs *under the grow lock*: `current_pages` is the exact
    /// size the grow starts from, and no other grow of this memory, from
    /// any thread, happens between the decision and the growth. So a
    /// resource limiter that approves only up to N pages bounds the memory
    /// at N however many threads grow it at once. The price is that
    /// `approve` must not grow this memory (it would deadlock) and should
    /// be quick: other threads' grows (only grows; accesses, waits and
    /// notifies take no grow lock) wait for it. It is asked even for a
    /// grow that the maximum then refuses, as wasmtime's limiter is, so it
    /// sees every attempt.
    pub fn grow_with(
        &self,
        delta_pages: u64,
        approve: impl FnOnce(u64, u64) -> bool,
    ) -> Option<u64> {
        let inner = &*self.inner;
        // Deliberately broken, for the loom models to catch: the decision
        // taken on a size read before the lock, so concurrent grows can
        // each be approved against the same old size.
        #[cfg(feature = "loom-broken-limiter-outside-lock")]
        if delta_pages > 0 {
            let seen = self.size_pages();
            if !approve(seen, seen.saturating_add(delta_pages)) {
                return None;
            }
        }
        #[cfg(feature = "loom-broken-limiter-outside-lock")]
        let approve = |_: u64, _: u64| true;
        let mut committed = sync::lock(&inner.grow_lock);
        // SAFETY: `*committed` is the committed length (every grow updates
        // it under this lock), and the lock excludes other grows. The grow
        // publishes the new length (SeqCst, after the commit); the lock
        // only keeps the number.
        let growth = unsafe { inner.linear.grow(*committed, delta_pages, approve) }?;
        *committed = growth.new_len;
        Some(growth.old_pages)
    }

    /// The current size in wasm pages.
    pub fn size_pages(&self) -> u64 {
        (self.byte_len() / WASM_PAGE_SIZE) as u64
    }

    /// The current size in bytes; may grow the moment after it is read.
    pub fn byte_len(&self) -> usize {
        self.inner.linear.byte_len()
    }

    /// The limits the memory was created with.
    pub fn limits(&self) -> MemoryLimits {
        self.inner.linear.limits()
    }

    /// The one definition every importing instance points at; valid while
    /// any clone of this memory lives. Read `current_length` atomically and
    /// never write `base`.
    pub fn definition(&self) -> *mut VMMemoryDefinition {
        self.inner.linear.definition()
    }

    /// Whether `self` and `other` are the same memory.
    pub fn same(&self, other: &SharedMemory) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// The first byte of the memory; the same for its whole life.
    pub fn base(&self) -> *mut u8 {
        self.inner.linear.base()
    }

    /// The memory and its rules, for [`copy`](super::copy).
    pub(super) fn linear(&self) -> &Linear {
        &self.inner.linear
    }

    /// The memory's wait queues, for tests that watch them.
    #[cfg(test)]
    pub(crate) fn queues(&self) -> &WaitQueues {
        &self.inner.queues
    }

    /// Copies `buf.len()` bytes starting at `offset` out of the memory.
    ///
    /// Other threads may be writing the same bytes: each byte read is one
    /// of the values written to it, but the copy is not a snapshot.
    pub fn read(&self, offset: u64, buf: &mut [u8]) -> Result<(), AccessError> {
        // SAFETY: atomic access needs nothing more than a live memory.
        unsafe { self.inner.linear.read(Access::Atomic, offset, buf) }
    }

    /// Copies `data` into the memory starting at `offset`.
    ///
    /// Concurrent readers may see part of the copy; each byte is written
    /// once, atomically.
    pub fn write(&self, offset: u64, data: &[u8]) -> Result<(), AccessError> {
        // SAFETY: as in `read`.
        unsafe { self.inner.linear.write(Access::Atomic, offset, data) }
    }

    /// Sets `len` bytes at `offset` to `value` (wasm's `memory.fill`),
    /// each byte atomically; none of them if the range is out of bounds.
    pub fn fill(&self, offset: u64, value: u8, len: u64) -> Result<(), AccessError> {
        // SAFETY: as in `read`.
        unsafe { self.inner.linear.fill(Access::Atomic, offset, value, len) }
    }

    /// Copies `len` bytes from `src` to `dst` within the memory (wasm's
    /// `memory.copy`), each byte atomically, overlapping ranges as if
    /// through a buffer; nothing if either range is out of bounds.
    pub fn copy_within(&self, dst: u64, src: u64, len: u64) -> Result<(), AccessError> {
        let linear = &self.inner.linear;
        // SAFETY: as in `read`.
        unsafe { linear.copy(Access::Atomic, dst, linear, src, len) }
    }

    /// Waits on the 32-bit word at `addr` while it equals `expected`
    /// (wasm's `memory.atomic.wait32`).
    ///
    /// Checks alignment (4) and then bounds. `timeout_ns` is in
    /// nanoseconds; negative means forever. Returns
    /// [`NotEqual`](WaitResult::NotEqual) at once if the word differs,
    /// [`Ok`](WaitResult::Ok) when woken by [`notify`](Self::notify),
    /// [`TimedOut`](WaitResult::TimedOut) otherwise.
    pub fn wait32(
        &self,
        addr: u64,
        expected: u32,
        timeout_ns: i64,
    ) -> Result<WaitResult, AccessError> {
        self.wait32_with_ends(addr, expected, timeout_ns, WaitEnds::default())
    }

    /// Waits on the 64-bit word at `addr` while it equals `expected`
    /// (wasm's `memory.atomic.wait64`); as [`wait32`](Self::wait32) with an
    /// alignment of 8.
    pub fn wait64(
        &self,
        addr: u64,
        expected: u64,
        timeout_ns: i64,
    ) -> Result<WaitResult, AccessError> {
        self.wait64_with_ends(addr, expected, timeout_ns, WaitEnds::default())
    }

    /// [`wait32`](Self::wait32) that `ends` can also end (after the
    /// alignment and bounds checks): returns
    /// [`Interrupted`](WaitResult::Interrupted) if its interrupt comes
    /// before or during the wait, or if its epoch deadline's callback says
    /// stop (see [`WaitQueues::wait_with_ends`]).
    pub fn wait32_with_ends(
        &self,
        addr: u64,
        expected: u32,
        timeout_ns: i64,
        ends: WaitEnds<'_>,
    ) -> Result<WaitResult, AccessError> {
        let word = self.atomic_u32(addr)?;
        // SeqCst: wait's load is one of wasm's SeqCst atomics. The ordering
        // against notify comes from the queue's fences and bucket lock.
        let equal = || word.load(raw::Ordering::SeqCst) == expected;
        Ok(self.wait_on(addr, equal, timeout_ns, ends))
    }

    /// [`wait64`](Self::wait64) that `ends` can also end; as
    /// [`wait32_with_ends`](Self::wait32_with_ends).
    pub fn wait64_with_ends(
        &self,
        addr: u64,
        expected: u64,
        timeout_ns: i64,
        ends: WaitEnds<'_>,
    ) -> Result<WaitResult, AccessError> {
        let word = self.atomic_u64(addr)?;
        // SeqCst: as in `wait32_with_ends`.
        let equal = || word.load(raw::Ordering::SeqCst) == expected;
        Ok(self.wait_on(addr, equal, timeout_ns, ends))
    }

    /// The wait of both widths, once the word is checked and found.
    fn wait_on(
        &self,
        addr: u64,
        equal: impl FnOnce() -> bool,
        timeout_ns: i64,
        ends: WaitEnds<'_>,
    ) -> WaitResult {
        let parker = Arc::new(Parker::with_deadline(deadline_after(timeout_ns)));
        self.inner.queues.wait_with_ends(addr, equal, &parker, ends)
    }

    /// Wakes up to `count` waiters on `addr`, oldest first, and returns how
    /// many it woke (wasm's `memory.atomic.notify`). Checks alignment (4)
    /// and then bounds, even when nobody waits.
    pub fn notify(&self, addr: u64, count: u32) -> Result<u32, AccessError> {
        self.inner.linear.check_atomic(addr, 4)?;
        Ok(self.inner.queues.notify(addr, count))
    }
}

/// Generates, per width, the internal `&Atomic` lookup and the public
/// SeqCst accessors over it.
macro_rules! atomic_accessors {
    ($(
        $ty:ty, $atomic:ident, $lookup:ident,
        $load:ident, $store:ident, $swap:ident, $cmpxchg:ident,
        $add:ident, $sub:ident, $and:ident, $or:ident, $xor:ident;
    )*) => {
        impl SharedMemory {
            $(
                /// The atomic word at `offset`, after the alignment and then
                /// the bounds check.
                fn $lookup(&self, offset: u64) -> Result<&raw::$atomic, AccessError> {
                    let word = self.inner.linear.atomic_ptr(offset, size_of::<$ty>())?;
                    // SAFETY: `atomic_ptr` checked that the word is aligned
                    // to its width and committed (below the published
                    // length); it stays so while `&self` keeps the memory
                    // alive; the host only accesses memory atomically.
                    Ok(unsafe { raw::$atomic::from_ptr(word.cast()) })
                }

                #[doc = concat!("Atomically loads the `", stringify!($ty), "` at `offset` (SeqCst).")]
                pub fn $load(&self, offset: u64) -> Result<$ty, AccessError> {
                    // SeqCst: the ordering of wasm's atomic loads.
                    Ok(self.$lookup(offset)?.load(raw::Ordering::SeqCst))
                }

                #[doc = concat!("Atomically stores the `", stringify!($ty), "` `value` at `offset` (SeqCst).")]
                pub fn $store(&self, offset: u64, value: $ty) -> Result<(), AccessError> {
                    // SeqCst: the ordering of wasm's atomic stores.
                    self.$lookup(offset)?.store(value, raw::Ordering::SeqCst);
                    Ok(())
                }

                #[doc = concat!("Atomically replaces the `", stringify!($ty), "` at `offset`, returning the old value (SeqCst).")]
                pub fn $swap(&self, offset: u64, value: $ty) -> Result<$ty, AccessError> {
                    // SeqCst: wasm's read-modify-writes are SeqCst.
                    Ok(self.$lookup(offset)?.swap(value, raw::Ordering::SeqCst))
                }

                #[doc = concat!("Atomically replaces the `", stringify!($ty), "` at `offset` by `replacement` if it equals `expected`; returns the value found (equal to `expected` exactly when replaced), as wasm's `cmpxchg` does.")]
                pub fn $cmpxchg(&self, offset: u64, expected: $ty, replacement: $ty) -> Result<$ty, AccessError> {
                    // SeqCst both ways: wasm's cmpxchg is SeqCst whether or
                    // not it stores.
                    let found = self.$lookup(offset)?.compare_exchange(
                        expected,
                        replacement,
                        raw::Ordering::SeqCst,
                        raw::Ordering::SeqCst,
                    );
                    Ok(found.unwrap_or_else(|current| current))
                }

                #[doc = concat!("Atomically adds (wrapping) to the `", stringify!($ty), "` at `offset`, returning the old value (SeqCst).")]
                pub fn $add(&self, offset: u64, value: $ty) -> Result<$ty, AccessError> {
                    // SeqCst: wasm's read-modify-writes are SeqCst.
                    Ok(self.$lookup(offset)?.fetch_add(value, raw::Ordering::SeqCst))
                }

                #[doc = concat!("Atomically subtracts (wrapping) from the `", stringify!($ty), "` at `offset`, returning the old value (SeqCst).")]
                pub fn $sub(&self, offset: u64, value: $ty) -> Result<$ty, AccessError> {
                    // SeqCst: wasm's read-modify-writes are SeqCst.
                    Ok(self.$lookup(offset)?.fetch_sub(value, raw::Ordering::SeqCst))
                }

                #[doc = concat!("Atomically ANDs into the `", stringify!($ty), "` at `offset`, returning the old value (SeqCst).")]
                pub fn $and(&self, offset: u64, value: $ty) -> Result<$ty, AccessError> {
                    // SeqCst: wasm's read-modify-writes are SeqCst.
                    Ok(self.$lookup(offset)?.fetch_and(value, raw::Ordering::SeqCst))
                }

                #[doc = concat!("Atomically ORs into the `", stringify!($ty), "` at `offset`, returning the old value (SeqCst).")]
                pub fn $or(&self, offset: u64, value: $ty) -> Result<$ty, AccessError> {
                    // SeqCst: wasm's read-modify-writes are SeqCst.
                    Ok(self.$lookup(offset)?.fetch_or(value, raw::Ordering::SeqCst))
                }

                #[doc = concat!("Atomically XORs into the `", stringify!($ty), "` at `offset`, returning the old value (SeqCst).")]
                pub fn $xor(&self, offset: u64, value: $ty) -> Result<$ty, AccessError> {
                    // SeqCst: wasm's read-modify-writes are SeqCst.
                    Ok(self.$lookup(offset)?.fetch_xor(value, raw::Ordering::SeqCst))
                }
            )*
        }
    };
}

atomic_accessors! {
    u8, AtomicU8, atomic_u8, load_u8, store_u8, swap_u8, compare_exchange_u8,
        fetch_add_u8, fetch_sub_u8, fetch_and_u8, fetch_or_u8, fetch_xor_u8;
    u16, AtomicU16, atomic_u16, load_u16, store_u16, swap_u16, compare_exchange_u16,
        fetch_add_u16, fetch_sub_u16, fetch_and_u16, fetch_or_u16, fetch_xor_u16;
    u32, AtomicU32, atomic_u32, load_u32, store_u32, swap_u32, compare_exchange_u32,
        fetch_add_u32, fetch_sub_u32, fetch_and_u32, fetch_or_u32, fetch_xor_u32;
    u64, AtomicU64, atomic_u64, load_u64, store_u64, swap_u64, compare_exchange_u64,
        fetch_add_u64, fetch_sub_u64, fetch_and_u64, fetch_or_u64, fetch_xor_u64;
}
