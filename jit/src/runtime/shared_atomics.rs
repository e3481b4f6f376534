//! Atomic access to a [`SharedMemory`] from the host: typed loads, stores
//! and read-modify-writes, and wait/notify interoperating with wasm's
//! `memory.atomic.*` instructions on the same memory.
//!
//! Everything is `SeqCst`, the ordering of wasm's atomics, so a host thread
//! takes part in the same total order as the wasm threads. Every accessor
//! checks natural alignment, then bounds, as wasm does, and fails with the
//! matching trap (`unaligned atomic`, `out of bounds memory access`) as an
//! `Err`; nothing panics on any address.

use std::time::Duration;

use weft_core::memory::AccessError;
use weft_core::wait::{WaitEnds, WaitResult as CoreWaitResult};

use crate::error::Result;
use crate::runtime::interrupt::InterruptHandle;
use crate::runtime::memory::{SharedMemory, access_trap};
use crate::trap::{Trap, TrapCode};

/// How a host wait on a shared memory ended
/// ([`SharedMemory::atomic_wait32`] / [`atomic_wait64`](SharedMemory::atomic_wait64)).
///
/// Named as wasmtime names them; the wasm instruction returns 0, 1 and 2
/// for the three.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WaitResult {
    /// Woken by a notify (from wasm or from the host).
    Ok,
    /// The value at the address was not the expected one: did not wait.
    Mismatch,
    /// The timeout passed before any notify.
    TimedOut,
}

/// weft-core's result as the host sees it: an interrupted wait is the
/// trap `interrupt`.
fn host_result(r: CoreWaitResult) -> Result<WaitResult> {
    match r {
        CoreWaitResult::Ok => Ok(WaitResult::Ok),
        CoreWaitResult::NotEqual => Ok(WaitResult::Mismatch),
        CoreWaitResult::TimedOut => Ok(WaitResult::TimedOut),
        CoreWaitResult::Interrupted => Err(Trap::new(TrapCode::Interrupt).into()),
    }
}

/// A host wait's outcome from weft-core's: access errors and an interrupt
/// as traps.
fn host_wait(r: std::result::Result<CoreWaitResult, AccessError>) -> Result<WaitResult> {
    r.map_err(trap).and_then(host_result)
}

fn trap(e: AccessError) -> crate::Error {
    Trap::new(access_trap(e)).into()
}

/// weft-core's timeout: nanoseconds, negative for "forever". A timeout
/// beyond `i64::MAX` nanoseconds (292 years) is forever too.
fn timeout_ns(timeout: Option<Duration>) -> i64 {
    timeout.map_or(-1, |d| i64::try_from(d.as_nanos()).unwrap_or(-1))
}

/// Generates a host wait of one width and its interruptible twin over
/// weft-core's waits; the docs come with the names.
macro_rules! host_waits {
    ($(
        $ty:ty: $(#[$doc:meta])* $wait:ident = $core_wait:ident,
        $(#[$idoc:meta])* $interruptible:ident = $core_ends:ident;
    )*) => {
        impl SharedMemory {
            $(
                $(#[$doc])*
                pub fn $wait(
                    &self,
                    addr: u64,
                    expected: $ty,
                    timeout: Option<Duration>,
                ) -> Result<WaitResult> {
                    host_wait(self.inner.$core_wait(addr, expected, timeout_ns(timeout)))
                }

                $(#[$idoc])*
                pub fn $interruptible(
                    &self,
                    addr: u64,
                    expected: $ty,
                    timeout: Option<Duration>,
                    interrupt: &InterruptHandle,
                ) -> Result<WaitResult> {
                    let ends = WaitEnds::by_interrupt(interrupt.core());
                    host_wait(self.inner.$core_ends(addr, expected, timeout_ns(timeout), ends))
                }
            )*
        }
    };
}

host_waits! {
    u32:
        /// Waits while the `u32` at `addr` equals `expected`, as wasm's
        /// `memory.atomic.wait32`: until a notify on `addr` (from wasm or
        /// [`atomic_notify`](Self::atomic_notify)), or until `timeout` passes
        /// (`None`: forever). Blocks the calling thread.
        ///
        /// ```
        /// use std::time::Duration;
        /// use weft::{Config, Engine, MemoryType, SharedMemory, WaitResult};
        /// let engine = Engine::new(Config::new().wasm_threads(true))?;
        /// let memory = SharedMemory::new(&engine, MemoryType::shared(1, 1))?;
        /// assert_eq!(memory.atomic_wait32(0, 1, None)?, WaitResult::Mismatch);
        /// let short = Some(Duration::from_millis(1));
        /// assert_eq!(memory.atomic_wait32(0, 0, short)?, WaitResult::TimedOut);
        /// assert!(memory.atomic_wait32(2, 0, short).is_err()); // unaligned
        /// # Ok::<(), weft::Error>(())
        /// ```
        atomic_wait32 = wait32,
        /// [`atomic_wait32`](Self::atomic_wait32) that `interrupt` ends: if the
        /// handle's group is interrupted before or during the wait, returns the
        /// trap [`TrapCode::Interrupt`] as an `Err` (unless a notify woke it
        /// first). What a host function of a store calls, with
        /// [`Store::interrupt_handle`](crate::Store::interrupt_handle), so that
        /// its wait is stopped with the store.
        atomic_wait32_interruptible = wait32_with_ends;
    u64:
        /// Waits while the `u64` at `addr` equals `expected`, as wasm's
        /// `memory.atomic.wait64`; otherwise as
        /// [`atomic_wait32`](Self::atomic_wait32), with an alignment of 8.
        atomic_wait64 = wait64,
        /// [`atomic_wait64`](Self::atomic_wait64) that `interrupt` ends; as
        /// [`atomic_wait32_interruptible`](Self::atomic_wait32_interruptible).
        atomic_wait64_interruptible = wait64_with_ends;
}

/// Generates the typed atomic accessors of one width over weft-core's.
macro_rules! host_atomics {
    // One read-modify-write: `value` in, the old value out. First, so that
    // the main rule's `ty` fragment never sees the `@`.
    (@rmw $ty:ty, $name:ident = $core:ident, $doc:expr) => {
        #[doc = $doc]
        pub fn $name(&self, addr: u64, value: $ty) -> Result<$ty> {
            self.inner.$core(addr, value).map_err(trap)
        }
    };
    ($(
        $ty:ty:
        $load:ident = $core_load:ident,
        $store:ident = $core_store:ident,
        $swap:ident = $core_swap:ident,
        $cmpxchg:ident = $core_cmpxchg:ident,
        $add:ident = $core_add:ident,
        $sub:ident = $core_sub:ident,
        $and:ident = $core_and:ident,
        $or:ident = $core_or:ident,
        $xor:ident = $core_xor:ident;
    )*) => {
        impl SharedMemory {
            $(
                #[doc = concat!("Atomically loads the `", stringify!($ty), "` at `addr`.")]
                pub fn $load(&self, addr: u64) -> Result<$ty> {
                    self.inner.$core_load(addr).map_err(trap)
                }

                #[doc = concat!("Atomically stores `value` as the `", stringify!($ty), "` at `addr`.")]
                pub fn $store(&self, addr: u64, value: $ty) -> Result<()> {
                    self.inner.$core_store(addr, value).map_err(trap)
                }

                host_atomics!(@rmw $ty, $swap = $core_swap, concat!("Atomically replaces the `", stringify!($ty), "` at `addr` by `value`; returns the old value."));

                #[doc = concat!("Atomically replaces the `", stringify!($ty), "` at `addr` by `replacement` if it equals `expected`. Returns `Ok(Ok(expected))` if it did, `Ok(Err(found))` with the value found if not.")]
                pub fn $cmpxchg(
                    &self,
                    addr: u64,
                    expected: $ty,
                    replacement: $ty,
                ) -> Result<std::result::Result<$ty, $ty>> {
                    let found = self
                        .inner
                        .$core_cmpxchg(addr, expected, replacement)
                        .map_err(trap)?;
                    Ok(if found == expected { Ok(found) } else { Err(found) })
                }

                host_atomics!(@rmw $ty, $add = $core_add, concat!("Atomically adds `value` (wrapping) to the `", stringify!($ty), "` at `addr`; returns the old value."));

                host_atomics!(@rmw $ty, $sub = $core_sub, concat!("Atomically subtracts `value` (wrapping) from the `", stringify!($ty), "` at `addr`; returns the old value."));

                host_atomics!(@rmw $ty, $and = $core_and, concat!("Atomically ANDs `value` into the `", stringify!($ty), "` at `addr`; returns the old value."));

                host_atomics!(@rmw $ty, $or = $core_or, concat!("Atomically ORs `value` into the `", stringify!($ty), "` at `addr`; returns the old value."));

                host_atomics!(@rmw $ty, $xor = $core_xor, concat!("Atomically XORs `value` into the `", stringify!($ty), "` at `addr`; returns the old value."));
            )*
        }
    };
}

host_atomics! {
    u8: atomic_load_u8 = load_u8, atomic_store_u8 = store_u8, atomic_swap_u8 = swap_u8,
        atomic_compare_exchange_u8 = compare_exchange_u8, atomic_fetch_add_u8 = fetch_add_u8,
        atomic_fetch_sub_u8 = fetch_sub_u8, atomic_fetch_and_u8 = fetch_and_u8,
        atomic_fetch_or_u8 = fetch_or_u8, atomic_fetch_xor_u8 = fetch_xor_u8;
    u16: atomic_load_u16 = load_u16, atomic_store_u16 = store_u16, atomic_swap_u16 = swap_u16,
        atomic_compare_exchange_u16 = compare_exchange_u16, atomic_fetch_add_u16 = fetch_add_u16,
        atomic_fetch_sub_u16 = fetch_sub_u16, atomic_fetch_and_u16 = fetch_and_u16,
        atomic_fetch_or_u16 = fetch_or_u16, atomic_fetch_xor_u16 = fetch_xor_u16;
    u32: atomic_load_u32 = load_u32, atomic_store_u32 = store_u32, atomic_swap_u32 = swap_u32,
        atomic_compare_exchange_u32 = compare_exchange_u32, atomic_fetch_add_u32 = fetch_add_u32,
        atomic_fetch_sub_u32 = fetch_sub_u32, atomic_fetch_and_u32 = fetch_and_u32,
        atomic_fetch_or_u32 = fetch_or_u32, atomic_fetch_xor_u32 = fetch_xor_u32;
    u64: atomic_load_u64 = load_u64, atomic_store_u64 = store_u64, atomic_swap_u64 = swap_u64,
        atomic_compare_exchange_u64 = compare_exchange_u64, atomic_fetch_add_u64 = fetch_add_u64,
        atomic_fetch_sub_u64 = fetch_sub_u64, atomic_fetch_and_u64 = fetch_and_u64,
        atomic_fetch_or_u64 = fetch_or_u64, atomic_fetch_xor_u64 = fetch_xor_u64;
}
