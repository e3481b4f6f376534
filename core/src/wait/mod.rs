//! The wait/notify queues behind `memory.atomic.wait32/wait64` and
//! `memory.atomic.notify`.
//!
//! Each [`SharedMemory`](crate::memory::SharedMemory) owns one
//! [`WaitQueues`], keyed by address. Waiters queue FIFO per address in
//! buckets sharded by address (64 by default), each bucket a lock, a queue
//! and a waiter count, so unrelated addresses rarely contend.
//!
//! # Protocol
//!
//! `wait(key, equal, deadline)`:
//!
//! 1. `bucket.waiters.fetch_add(1, Relaxed)`, then `fence(SeqCst)`;
//! 2. lock the bucket; if `equal()` is false, decrement the count and
//!    return `NotEqual`; else mark the parker `Queued` and enqueue it;
//!    unlock;
//! 3. park until taken out or expired; when expired, lock the bucket: if
//!    still `Queued`, take itself out, decrement the count and return
//!    `TimedOut`; otherwise `notify` got there first, return `Ok`.
//!
//! `notify(key, count)`:
//!
//! 1. `fence(SeqCst)`, then if `bucket.waiters.load(Relaxed) == 0`, return
//!    0 without locking;
//! 2. lock the bucket; unlink up to `count` waiters on `key`, oldest first,
//!    mark each `Notified`, decrement the count by their number; unlock;
//! 3. unpark them, after the unlock, and return their number.
//!
//! # Why no wake-up is lost
//!
//! The caller of `notify` has stored a new value in the word (the wasm
//! program's `store; notify` pattern) and a waiter that compares equal
//! before that store must be woken. Two cases:
//!
//! * **Both take the bucket lock.** The compare and the enqueue are one
//!   critical section, and `notify` looks at the queue in another critical
//!   section of the same lock. If the waiter's section comes first, `notify`
//!   finds it queued and wakes it. If `notify`'s section comes first, the
//!   store (before `notify` in program order) happens-before the waiter's
//!   compare through the lock, so the waiter sees the new value and returns
//!   `NotEqual`.
//! * **`notify` takes the fast path** (it read a zero count). The count and
//!   the word form a Dekker pair: the waiter writes the count then reads the
//!   word; the notifier writes the word then reads the count; a `SeqCst`
//!   fence sits between the two accesses on each side. Fences order all
//!   `SeqCst` fences in one total order. If the notifier's fence comes
//!   first, the waiter's read of the word (after its fence) sees the store
//!   and returns `NotEqual`. If the waiter's fence comes first, the
//!   notifier's read of the count (after its fence) sees the increment,
//!   which contradicts taking the fast path. So a notifier that skips the
//!   lock has no waiter to miss. The pair is written with fences, not with
//!   `SeqCst` loads and stores: the fence rule (C++20 [atomics.order], which
//!   Rust adopts) gives the guarantee with a `Relaxed` counter, and loom
//!   models `SeqCst` fences exactly while it treats `SeqCst` accesses as
//!   acquire/release, so only the fence form can be model-checked.
//!
//! The count may be higher than the number of queued waiters (between a
//! waiter's increment and its lock); that only sends `notify` to the slow
//! path. It is never lower: every decrement is made by whoever takes a
//! waiter out (`notify` or the waiter itself, on `NotEqual` or on a
//! timeout), under the bucket lock, after the matching increment.
//!
//! # Timeouts count once
//!
//! A waiter whose deadline passes while `notify` is unlinking it must be
//! reported exactly once: either as woken (counted by `notify`, returns
//! `Ok`) or as timed out (not counted, returns `TimedOut`). The status
//! decides, and only holders of the bucket lock change it from `Queued`:
//! `notify` sets `Notified` as it unlinks; the expired waiter's cancel
//! re-checks the status under the same lock and unlinks itself only if it is
//! still `Queued`. So exactly one of the two removes the waiter.
//!
//! # Cancellation (interrupts)
//!
//! An [`Interrupt`] is a sticky flag shared by a group of waiters (the
//! stores of one program), with a registry of the parkers now waiting under
//! it. `wait_interruptible(key, equal, parker, interrupt)`:
//!
//! 0. lock the interrupt; if its flag is set, unlock and return
//!    `Interrupted` without touching the bucket (the wait never starts,
//!    never sleeps); else push the parker into the registry; unlock;
//! 1. -3. as `wait`, with one more way for the park to end: the parker was
//!    *cancelled*. Then, as for a timeout, lock the bucket: if still
//!    `Queued`, take itself out, decrement the count and return
//!    `Interrupted`; otherwise `notify` got there first, return `Ok`;
//! 4. lock the interrupt and take the parker out of the registry (if
//!    `interrupt` has not already drained it).
//!
//! `interrupt()`: lock the interrupt; set the flag; cancel every registered
//! parker (set its `cancelled` flag under the parker lock and signal it);
//! empty the registry; unlock.
//!
//! ## Why an interrupt is never missed
//!
//! The flag is written and read under the interrupt lock, in step 0 and in
//! `interrupt`. If `interrupt`'s critical section comes first, step 0 sees
//! the flag and the wait does not start. If step 0's comes first, the parker
//! is in the registry when `interrupt` runs (only the waiter's own step 4,
//! after its wait is over, takes it out), so `interrupt` cancels it. A
//! cancel is a flag on the parker, read by the park loop under the parker
//! lock, like an expiry: it works whether the waiter is already parked,
//! still enqueueing, or not yet parked, and stays set. So a cancelled
//! waiter cannot sleep: either it is not queued any more (`notify` took it)
//! or its park loop returns `Cancelled`.
//!
//! ## Exactly one remover
//!
//! A queued waiter leaves its queue by exactly one of notify, its timeout,
//! or a cancel, and the parker status under the bucket lock decides, as in
//! "Timeouts count once": `notify` sets `Notified` as it unlinks; a timeout
//! and a cancel both run the waiter's own cancel path, which re-checks the
//! status under the bucket lock and unlinks only a still-`Queued` parker.
//! Timeout and cancel are the same remover (the waiter itself), so they
//! cannot both remove it; when both flags are set, the park loop reports
//! `Cancelled` (an interrupt is sticky, a timeout is not). So `notify`'s
//! count includes the waiter exactly when it returns `Ok`, and a cancelled
//! waiter that returns `Interrupted` was not counted and left the queue
//! (and the count) as it found them.
//!
//! # Epoch deadlines
//!
//! An [`Epoch`] is a counter (the engine's) with a registry of *watches*:
//! the waits in progress that have an absolute epoch deadline, each with
//! its parker. `wait_with_ends(key, equal, parker, ends)` with an
//! [`EpochWatch`] adds, after step 0:
//!
//! 0'. *watch*: `announced.fetch_add(1, Relaxed)`, then `fence(SeqCst)`;
//!     lock the watches; push `(parker, deadline)`; if `epoch >= deadline`
//!     poke the parker; unlock;
//!
//! and a fourth way for the park to end: the parker was *poked*. A poke is
//! not a remover: the waiter stays queued and, with no lock held, asks the
//! watch's `on_reached` (in weft, the store's deadline behaviour).
//! `Continue(deadline)`: *rewatch* (lock the watches; set the new deadline;
//! forget any pending poke; poke again if `epoch >= deadline`; unlock) and
//! park again, still queued: no re-compare, so no spurious `NotEqual` and
//! no notify lost. `Stop`: the cancel path, exactly as for an interrupt
//! (`Interrupted` if still `Queued`, else `Ok`). After the wait, *unwatch*
//! (lock; remove; unlock; `announced.fetch_sub(1, Relaxed)`).
//!
//! `increment()`: `epoch.fetch_add(1)`, then `fence(SeqCst)`; if
//! `announced.load(Relaxed) == 0` return (the cost with no waiters: one
//! add, one fence, one load); else lock the watches and poke every parker
//! whose deadline the new epoch reaches; unlock.
//!
//! ## Why a reached deadline is never slept through
//!
//! The count and the epoch are a Dekker pair, as the bucket count and the
//! word are for `notify`: the waiter writes `announced` then reads the
//! epoch, the incrementer writes the epoch then reads `announced`, with a
//! `SeqCst` fence between the two accesses on each side. If the
//! incrementer's fence comes first in the fences' total order, the waiter's
//! read of the epoch sees the bump and pokes itself. If the waiter's comes
//! first, the incrementer sees a non-zero count and takes the watch lock;
//! if it gets the lock before the waiter's push, its bump happens-before
//! the waiter's read through the lock (the waiter pokes itself); if after,
//! it finds the watch and pokes it. A poke is a flag under the parker lock,
//! read by the park loop like a cancel, so it works whether the waiter is
//! parked, still enqueueing or not yet parked. A rewatch needs no fence:
//! the count stays non-zero while watching, so every increment takes the
//! lock, and the same lock argument applies to the new deadline. Every poke
//! is made under the watch lock, so forgetting a pending poke there (the
//! one for the old deadline, which the callback just dealt with) loses no
//! poke for the new one: a deadline is reported exactly when reached, and
//! the callback never runs for a deadline not reached.
//!
//! ## Exactly one outcome
//!
//! Pokes never change the queue status, so the "Exactly one remover"
//! argument is untouched: a poke followed by `Continue` leaves the waiter
//! where it was for a later `notify` (woken `Ok`, counted once); a poke
//! followed by `Stop` is the waiter's own cancel path, which loses to a
//! `notify` that took it first (then `Ok`, counted, and the deadline stays
//! reached, so the next epoch check of running code decides again).
//!
//! # Lock order
//!
//! Interrupt, then parker; watches, then parker; bucket, then parker.
//! `notify` and cancel take a parker lock only inside the bucket lock (to
//! set or read the status); the parked waiter holds only its parker lock;
//! `interrupt` takes parker locks inside the interrupt lock, `increment`
//! and the watch calls inside the watch lock. No code takes a bucket,
//! interrupt or watch lock while holding a parker lock, no code holds two of
//! the interrupt, watch and bucket locks together, and no code holds two
//! bucket locks. The `on_reached` callback runs with no lock held.

mod epoch;
#[cfg(test)]
mod epoch_tests;
mod interrupt;
#[cfg(test)]
mod interrupt_tests;
mod parker;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

use crate::sync::atomic::{AtomicUsize, Ordering, fence};
use crate::sync::{self, Arc, Mutex};

pub use epoch::{DeadlineReached, Epoch, EpochWatch};
pub use interrupt::Interrupt;
pub use parker::Parker;
use parker::{Status, Wake};

/// The result of a wait, numbered as wasm's `memory.atomic.wait*` returns
/// it.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WaitResult {
    /// Woken by a notify.
    Ok = 0,
    /// The value in memory was not the expected one; did not wait.
    NotEqual = 1,
    /// The timeout passed before any notify.
    TimedOut = 2,
    /// The wait's [`Interrupt`] was interrupted before or during the wait
    /// (before any notify). Not a value of wasm's: the caller traps.
    Interrupted = 3,
}

/// What can end a wait besides a notify and its own timeout (see
/// [`WaitQueues::wait_with_ends`]); the default is nothing.
#[derive(Default)]
pub struct WaitEnds<'a> {
    /// The group interrupt that cancels the wait.
    pub interrupt: Option<&'a Interrupt>,
    /// An epoch deadline, and what reaching it during the wait means.
    pub epoch: Option<EpochWatch<'a>>,
}

impl<'a> WaitEnds<'a> {
    /// Ends by `interrupt` only.
    pub fn by_interrupt(interrupt: &'a Interrupt) -> WaitEnds<'a> {
        WaitEnds {
            interrupt: Some(interrupt),
            epoch: None,
        }
    }
}

impl fmt::Debug for WaitEnds<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitEnds")
            .field("interrupt", &self.interrupt)
            .field("epoch", &self.epoch.as_ref().map(|watch| watch.deadline))
            .finish()
    }
}

/// The deadline `timeout_ns` nanoseconds from now; `None` (wait forever)
/// for a negative timeout, or for one so far away that `Instant` cannot
/// represent it (`i64::MAX` nanoseconds is 292 years).
pub fn deadline_after(timeout_ns: i64) -> Option<Instant> {
    let nanos = u64::try_from(timeout_ns).ok()?;
    Instant::now().checked_add(Duration::from_nanos(nanos))
}

/// The number of buckets [`WaitQueues::new`] shards into.
pub const DEFAULT_BUCKETS: usize = 64;

/// Wait queues keyed by address, sharded into buckets.
///
/// Standalone (not tied to a memory): the "word" is whatever the caller's
/// `equal` closure reads, which is how the loom models drive it with a loom
/// atomic. See the module docs for the protocol and why it is correct.
pub struct WaitQueues {
    buckets: Box<[Bucket]>,
}

struct Bucket {
    /// Waiters announced on this bucket: incremented before the lock,
    /// decremented under it by whoever takes a waiter out.
    waiters: AtomicUsize,
    queue: Mutex<VecDeque<Entry>>,
}

struct Entry {
    key: u64,
    parker: Arc<Parker>,
}

impl fmt::Debug for WaitQueues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitQueues")
            .field("buckets", &self.buckets.len())
            .finish_non_exhaustive()
    }
}

impl Default for WaitQueues {
    fn default() -> Self {
        Self::new()
    }
}

impl WaitQueues {
    /// Queues with [`DEFAULT_BUCKETS`] buckets.
    pub fn new() -> WaitQueues {
        Self::with_buckets(DEFAULT_BUCKETS)
    }

    /// Queues with `buckets` buckets (at least one). Small counts are for
    /// models and tests: many keys then share a bucket.
    pub fn with_buckets(buckets: usize) -> WaitQueues {
        WaitQueues {
            buckets: (0..buckets.max(1))
                .map(|_| Bucket {
                    waiters: AtomicUsize::new(0),
                    queue: Mutex::new(VecDeque::new()),
                })
                .collect(),
        }
    }

    /// The waiter count of `key`'s bucket (announced waiters, see the
    /// module docs), for the loom models: after every wait has returned it
    /// must be zero.
    #[cfg(loom)]
    #[doc(hidden)]
    pub fn announced_waiters(&self, key: u64) -> usize {
        self.bucket(key).waiters.load(Ordering::SeqCst)
    }

    fn bucket(&self, key: u64) -> &Bucket {
        // Fibonacci hashing of the word index: neighbouring words land in
        // different buckets.
        let hash = (key >> 2).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
        &self.buckets[(hash % self.buckets.len() as u64) as usize]
    }

    /// Waits on `key` while `equal()` holds, until notified or `deadline`
    /// (`None`: forever).
    ///
    /// `equal` runs once, under the bucket lock that `notify` takes.
    pub fn wait(
        &self,
        key: u64,
        equal: impl FnOnce() -> bool,
        deadline: Option<Instant>,
    ) -> WaitResult {
        self.wait_with_parker(key, equal, &Arc::new(Parker::with_deadline(deadline)))
    }

    /// [`wait`](Self::wait) with the caller's parker, whose deadline (or
    /// [`Parker::expire`] from another thread) ends the wait.
    pub fn wait_with_parker(
        &self,
        key: u64,
        equal: impl FnOnce() -> bool,
        parker: &Arc<Parker>,
    ) -> WaitResult {
        self.wait_with_ends(key, equal, parker, WaitEnds::default())
    }

    /// [`wait_with_parker`](Self::wait_with_parker) that `interrupt` can
    /// end: returns [`WaitResult::Interrupted`] if the group was interrupted
    /// before the wait started (without queueing or sleeping) or while it
    /// was queued (unless a notify took it first: then `Ok`). See the
    /// module docs ("Cancellation").
    pub fn wait_interruptible(
        &self,
        key: u64,
        equal: impl FnOnce() -> bool,
        parker: &Arc<Parker>,
        interrupt: &Interrupt,
    ) -> WaitResult {
        self.wait_with_ends(key, equal, parker, WaitEnds::by_interrupt(interrupt))
    }

    /// [`wait_with_parker`](Self::wait_with_parker) that `ends` can also
    /// end: an interrupt (as [`wait_interruptible`](Self::wait_interruptible))
    /// and an epoch deadline, whose callback decides, on this thread, between
    /// waiting on in the queue and leaving it as `Interrupted` (unless a
    /// notify took the waiter first: then `Ok`). See the module docs
    /// ("Epoch deadlines").
    pub fn wait_with_ends(
        &self,
        key: u64,
        equal: impl FnOnce() -> bool,
        parker: &Arc<Parker>,
        ends: WaitEnds<'_>,
    ) -> WaitResult {
        let WaitEnds {
            interrupt,
            mut epoch,
        } = ends;
        if let Some(interrupt) = interrupt
            && !interrupt.register(parker)
        {
            return WaitResult::Interrupted;
        }
        if let Some(watch) = &epoch {
            watch.epoch.watch(parker, watch.deadline);
        }
        let result = self.enqueue_and_park(key, equal, parker, epoch.as_mut());
        if let Some(watch) = &epoch {
            watch.epoch.unwatch(parker);
        }
        if let Some(interrupt) = interrupt {
            interrupt.unregister(parker);
        }
        result
    }

    /// Steps 1 to 3 of the protocol: announce, compare and enqueue, park
    /// until removed, expired or cancelled. A poke (the epoch reached the
    /// deadline of `epoch`) asks the watch's callback, with no lock held,
    /// and either parks again without leaving the queue or cancels.
    fn enqueue_and_park(
        &self,
        key: u64,
        equal: impl FnOnce() -> bool,
        parker: &Arc<Parker>,
        mut epoch: Option<&mut EpochWatch<'_>>,
    ) -> WaitResult {
        let bucket = self.bucket(key);
        // Relaxed: ordered against the word by the fence below.
        bucket.waiters.fetch_add(1, Ordering::Relaxed);
        // SeqCst fence: pairs with the fence in `notify`, between its
        // caller's store to the word and its read of `waiters`. Either
        // `notify` sees our increment, or our compare sees its store.
        #[cfg(not(feature = "loom-broken-no-fence"))]
        fence(Ordering::SeqCst);
        {
            let mut queue = sync::lock(&bucket.queue);
            if !equal() {
                // Relaxed: decrements happen under the bucket lock.
                // Deliberately missing in `loom-broken-missing-decrement`,
                // for the loom models to catch the count leaking upward.
                #[cfg(not(feature = "loom-broken-missing-decrement"))]
                bucket.waiters.fetch_sub(1, Ordering::Relaxed);
                return WaitResult::NotEqual;
            }
            parker.set_status(Status::Queued);
            queue.push_back(Entry {
                key,
                parker: Arc::clone(parker),
            });
        }
        loop {
            match parker.park() {
                Wake::Removed => return WaitResult::Ok,
                Wake::Expired => return self.cancel(bucket, parker, WaitResult::TimedOut),
                Wake::Cancelled => return self.cancel(bucket, parker, WaitResult::Interrupted),
                Wake::Poked => {
                    // No watch, no poker: a stray poke changes nothing.
                    let Some(watch) = epoch.as_deref_mut() else {
                        continue;
                    };
                    match (watch.on_reached)() {
                        DeadlineReached::Continue(deadline) => {
                            watch.epoch.rewatch(parker, deadline);
                        }
                        DeadlineReached::Stop => {
                            return self.cancel(bucket, parker, WaitResult::Interrupted);
                        }
                    }
                }
            }
        }
    }

    /// The timeout and cancel path: takes the waiter out unless `notify`
    /// already did, and then returns `reason`.
    fn cancel(&self, bucket: &Bucket, parker: &Arc<Parker>, reason: WaitResult) -> WaitResult {
        let mut queue = sync::lock(&bucket.queue);
        // Re-check under the bucket lock: `notify` changes the status only
        // under it, so whichever of us holds it first is the one remover.
        // (The broken variant skips it and reports `reason` even when
        // `notify` already counted the waiter.)
        #[cfg(not(feature = "loom-broken-cancel-no-recheck"))]
        if parker.status() != Status::Queued {
            return WaitResult::Ok;
        }
        let position = queue
            .iter()
            .position(|entry| Arc::ptr_eq(&entry.parker, parker));
        // A `Queued` parker is always in its bucket's queue, unless a caller
        // shared one parker between concurrent waits (a documented logic
        // error); that must not become a panic, so report the wake-up.
        let Some(position) = position else {
            #[cfg(feature = "loom-broken-cancel-no-recheck")]
            return reason;
            #[cfg(not(feature = "loom-broken-cancel-no-recheck"))]
            {
                debug_assert!(false, "a Queued parker is in its bucket's queue");
                return WaitResult::Ok;
            }
        };
        queue.remove(position);
        // Relaxed: decrements happen under the bucket lock.
        bucket.waiters.fetch_sub(1, Ordering::Relaxed);
        parker.set_status(Status::Idle);
        reason
    }

    /// Wakes up to `count` waiters on `key`, oldest first; returns how many.
    pub fn notify(&self, key: u64, count: u32) -> u32 {
        let bucket = self.bucket(key);
        // SeqCst fence: pairs with the fence in `wait_with_parker`; our
        // caller's store to the word is before it, our read of `waiters`
        // after it.
        #[cfg(not(feature = "loom-broken-no-fence"))]
        fence(Ordering::SeqCst);
        // Relaxed: ordered by the fence above.
        if count == 0 || bucket.waiters.load(Ordering::Relaxed) == 0 {
            return 0;
        }
        let mut woken = Vec::new();
        {
            let mut queue = sync::lock(&bucket.queue);
            let limit = count as usize;
            queue.retain(|entry| {
                if woken.len() < limit && entry.key == key {
                    entry.parker.set_status(Status::Notified);
                    woken.push(Arc::clone(&entry.parker));
                    false
                } else {
                    true
                }
            });
            // Relaxed: decrements happen under the bucket lock.
            bucket.waiters.fetch_sub(woken.len(), Ordering::Relaxed);
        }
        for parker in &woken {
            parker.unpark();
        }
        u32::try_from(woken.len()).expect("woke at most `count: u32` waiters")
    }
}
