//! The synchronization facade: `std::sync` normally, `loom::sync` under
//! `cfg(loom)`.
//!
//! Every lock, condition variable, reference count and atomic that takes
//! part in weft-core's concurrency protocols comes from here, so that the
//! loom models in `loom-tests/` explore exactly the code that ships. Nothing
//! else in the crate names `std::sync` or `loom::sync`.
//!
//! One deliberate exception is [`raw`]: atomics *over linear memory* are
//! always `std`'s, because a wasm word is a location in a raw byte buffer and
//! loom can only track atomics that it allocated itself. The loom models
//! therefore drive the wait queues with their own loom atomic as "the word"
//! (see `WaitQueues`), and the memory's own publication protocol (the grown
//! length) uses facade atomics.

#[cfg(not(loom))]
pub use std::sync::{Arc, Condvar, Mutex, MutexGuard};

#[cfg(loom)]
pub use loom::sync::{Arc, Condvar, Mutex, MutexGuard};

/// Locks `mutex`, recovering the guard if another thread panicked while
/// holding it: weft-core never leaves a half-updated state behind a lock
/// (every critical section either completes or changes nothing), and a
/// poisoned lock must not turn into a panic in the embedder.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Blocks on `cond` until notified, recovering from poison as [`lock`] does.
pub(crate) fn wait<'a, T>(cond: &Condvar, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
    cond.wait(guard)
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Blocks on `cond` until notified or `timeout` passes (never, under loom),
/// recovering from poison as [`lock`] does.
pub(crate) fn wait_timeout<'a, T>(
    cond: &Condvar,
    guard: MutexGuard<'a, T>,
    timeout: std::time::Duration,
) -> MutexGuard<'a, T> {
    match cond.wait_timeout(guard, timeout) {
        Ok((guard, _)) => guard,
        Err(poisoned) => poisoned.into_inner().0,
    }
}

/// Atomics and fences that loom can model.
pub mod atomic {
    #[cfg(not(loom))]
    pub use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering, fence};

    #[cfg(loom)]
    pub use loom::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering, fence};
}

/// Atomics over raw linear memory, always `std`'s (loom cannot track words in
/// a byte buffer it did not allocate; see the module docs).
pub mod raw {
    pub use std::sync::atomic::{AtomicU8, AtomicU16, AtomicU32, AtomicU64, Ordering};
}

/// An `UnsafeCell` whose accesses loom checks for causality.
///
/// The heap-backed reservation marks each committed page in one of these so
/// that a loom model reports a reader touching a page it cannot yet know to
/// be committed (for example after a `Relaxed` publish of the grown length).
#[cfg(any(loom, miri, test))]
pub(crate) mod cell {
    #[cfg(loom)]
    pub(crate) use loom::cell::UnsafeCell;

    /// `std`'s `UnsafeCell` with loom's closure-based access API.
    #[cfg(not(loom))]
    #[derive(Debug)]
    pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

    #[cfg(not(loom))]
    impl<T> UnsafeCell<T> {
        pub(crate) fn new(value: T) -> Self {
            Self(std::cell::UnsafeCell::new(value))
        }

        /// Runs `f` with a shared pointer to the value.
        pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
            f(self.0.get())
        }

        /// Runs `f` with an exclusive pointer to the value.
        pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }
    }
}
