//! `memory.atomic.wait32/64` and `memory.atomic.notify`: one FIFO queue of
//! parked waiters per memory.
//!
//! The whole protocol rests on one ordering rule: a waiter compares the
//! memory word **and** joins the queue while holding the memory's byte lock,
//! and every store to the memory also takes that lock. So a store that makes
//! the comparison stale either happens before the comparison (the waiter sees
//! it and returns "not-equal") or after the waiter is queued (and the notify
//! that follows the store finds it). No wake-up can be lost in between.
//! Lock order: memory bytes, then the queue, then a waiter's flag.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// What `wait` returns to wasm, with the spec's numeric codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WaitOutcome {
    /// Woken by `notify` (0).
    Woken = 0,
    /// The value in memory differed from the expected one (1).
    NotEqual = 1,
    /// The timeout elapsed first (2).
    TimedOut = 2,
}

/// One parked thread. `woken` is set exactly once, by the notifier that
/// removed it from the queue.
struct Waiter {
    address: u64,
    woken: Mutex<bool>,
    wake: Condvar,
}

/// The queue of parked waiters of one memory, oldest first.
#[derive(Default)]
pub(crate) struct WaitQueue {
    waiters: Mutex<VecDeque<Arc<Waiter>>>,
}

/// A waiter that has joined the queue but not yet blocked. Created while the
/// caller holds the memory lock; `block` is called after releasing it.
pub(crate) struct Ticket<'q> {
    queue: &'q WaitQueue,
    waiter: Arc<Waiter>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A poisoned lock only means some other thread panicked while holding it;
    // the queue itself is never left half-updated (every update is a single
    // push or remove), so carrying on is sound.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl WaitQueue {
    /// Joins the queue for `address`. Must be called while the caller holds
    /// the memory's byte lock, right after comparing the expected value.
    pub(crate) fn enqueue(&self, address: u64) -> Ticket<'_> {
        let waiter = Arc::new(Waiter {
            address,
            woken: Mutex::new(false),
            wake: Condvar::new(),
        });
        lock(&self.waiters).push_back(Arc::clone(&waiter));
        Ticket {
            queue: self,
            waiter,
        }
    }

    /// Wakes up to `count` waiters on `address`, oldest first, and returns
    /// how many were woken.
    pub(crate) fn notify(&self, address: u64, count: u32) -> u32 {
        let mut waiters = lock(&self.waiters);
        let mut woken = 0;
        let mut i = 0;
        while woken < count && i < waiters.len() {
            if waiters[i].address == address {
                let waiter = waiters
                    .remove(i)
                    .expect("index is below the queue length checked above");
                *lock(&waiter.woken) = true;
                waiter.wake.notify_one();
                woken += 1;
            } else {
                i += 1;
            }
        }
        woken
    }
}

impl Ticket<'_> {
    /// Blocks until notified or until `timeout_ns` nanoseconds pass (negative
    /// means forever). Exactly one party removes the waiter from the queue:
    /// the notifier (then the result is `Woken`) or this timeout path, which
    /// re-checks under the queue lock so a notify racing with the timeout is
    /// counted once, as a wake-up.
    pub(crate) fn block(self, timeout_ns: i64) -> WaitOutcome {
        // Huge timeouts saturate instead of overflowing `Instant`: a deadline
        // that cannot be represented is treated as "forever".
        let deadline = u64::try_from(timeout_ns)
            .ok()
            .and_then(|ns| Instant::now().checked_add(Duration::from_nanos(ns)));
        let mut woken = lock(&self.waiter.woken);
        loop {
            if *woken {
                return WaitOutcome::Woken;
            }
            match deadline {
                None => {
                    woken = self
                        .waiter
                        .wake
                        .wait(woken)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        break;
                    }
                    woken = self
                        .waiter
                        .wake
                        .wait_timeout(woken, deadline - now)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                }
            }
        }
        // Timed out: release our flag before taking the queue lock (lock
        // order is queue, then flag), then remove ourselves unless a
        // notifier already did.
        drop(woken);
        let mut waiters = lock(&self.queue.waiters);
        if let Some(pos) = waiters.iter().position(|w| Arc::ptr_eq(w, &self.waiter)) {
            waiters.remove(pos);
            WaitOutcome::TimedOut
        } else {
            WaitOutcome::Woken
        }
    }
}
