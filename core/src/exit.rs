//! How a multi-threaded program ends: the first outcome wins, the exit's
//! side effects run once, no thread is spawned past the exit unnoticed, and
//! every thread is joined.
//!
//! weft-wasi's wasi-threads programs end when any thread calls `proc_exit`,
//! traps, or when `_start` returns. [`Termination`] is that protocol with
//! everything host-specific left out: it is generic over the outcome `O`
//! (an exit code or a trap, in weft-wasi), over the join handle `H` of a
//! thread (`std::thread::JoinHandle` there, loom's in the models) and over
//! the *on-exit action* (interrupting the program's store group and writing
//! its wake pipe, in weft-wasi), which [`finish`](Termination::finish) takes
//! as a closure.
//!
//! ## The protocol
//!
//! State: an outcome slot (`Mutex<Option<O>>`), an `exiting` flag
//! (`AtomicBool`), and the thread table (`Mutex`: live tids, the next tid
//! to try, the join handles not yet joined).
//!
//! - **finish(outcome, on_exit)**: (1) under the outcome lock, store
//!   `outcome` if the slot is empty; (2) `exiting.swap(true, AcqRel)`; (3)
//!   if the swap returned `false`, run `on_exit` (no lock held).
//! - **exiting()**: `exiting.load(Acquire)`.
//! - **allocate_tid()**: under the thread-table lock, refuse if `exiting`
//!   or the live-thread limit is reached, else insert a free tid into the
//!   live set. **release_tid(tid)** removes it under the same lock.
//! - **add_handle(h)**: under the thread-table lock, push `h`. The caller
//!   does this before the spawn it belongs to returns to its spawner.
//! - **join_all(join)**: repeat: take every handle out of the table under
//!   its lock, release the lock, `join` each; stop when a round takes none.
//!
//! ## Why it is right
//!
//! **Who wins.** The outcome slot is written only while empty, under its
//! lock, so the first `finish` in the lock's order records its outcome and
//! every later one leaves it alone: exactly one outcome is recorded, and it
//! is never overwritten. `finish` records before it sets `exiting`
//! (release), so a thread that sees `exiting` (acquire) also sees a recorded
//! outcome; in weft-wasi a thread that unwinds because of the exit checks
//! `exiting` first and does not try to record its own trap.
//!
//! **The on-exit action runs exactly once.** `swap` is one atomic
//! read-modify-write: of all the `finish` calls exactly one reads `false`
//! (the modification order of `exiting` has one first `true`), and only that
//! one runs `on_exit`. A load followed by a store would let two callers both
//! read `false` (the `loom-broken-exit-load-store` variant, caught by the
//! loom model `racing_exits_record_one_outcome_and_act_once`). The action
//! runs after `exiting` is set: anything it wakes sees the exit.
//!
//! **No spawn escapes the exit.** A spawn whose `allocate_tid` reads
//! `exiting` as set is refused. Every other spawn read the flag before the
//! swap's write in the flag's modification order, so nothing orders its
//! thread after the exit: that thread may start before or after the on-exit
//! action. (The thread-table lock keeps the live set consistent; it does not
//! order spawns against `finish`, which never takes it.) The action must
//! therefore be *sticky*: its effect has to stay in force for threads that
//! start later (weft's interrupt is: a store joining an interrupted group
//! traps at its first entry, and the wake pipe stays readable for good).
//! With a sticky action every thread that a successful spawn starts
//! observes the exit, whenever it runs; a thread that has observed the
//! exit and then spawns is refused, because its load of `exiting` comes
//! after the swap.
//!
//! **join_all ends with every thread joined.** A thread is started only by
//! the runner's thread (which calls `join_all` after its own last spawn) or
//! by a thread that is itself in the table; each spawn pushes its handle
//! before returning to its spawner, so before its spawner can end. Suppose
//! a round takes no handle. Every handle ever pushed was either taken by an
//! earlier round, whose `join` returned (so that thread ended, and all of
//! *its* pushes happened before), or is in the table now — and the table is
//! empty. By induction over spawn depth, every thread is joined. Stopping
//! after one round instead (the `loom-broken-join-one-round` variant) misses
//! a thread recorded while joining; the model
//! `join_all_joins_a_thread_spawned_while_joining` catches it. Nothing
//! here needs the exit: `join_all` is correct on its own, and the exit only
//! makes it come back (a spawned thread never outlives its interruption).
//!
//! **Lock order.** The outcome lock and the thread-table lock are never held
//! together; `on_exit` and `join` run with neither held (a joined thread may
//! still need the table lock to push a handle or release its tid, so joining
//! under it would deadlock).

use std::collections::BTreeSet;

use crate::sync::atomic::{AtomicBool, Ordering};
use crate::sync::{self, Mutex};

/// Thread ids run from 1 to 2^29-1 (the wasi-threads range).
pub const MAX_TID: u32 = (1 << 29) - 1;

/// Why [`Termination::allocate_tid`] handed out no id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpawnRefused {
    /// The program is ending.
    Exiting,
    /// The live-thread limit is reached.
    Limit,
}

/// The live threads and the handles not yet joined.
struct Threads<H> {
    live: BTreeSet<u32>,
    next: u32,
    handles: Vec<H>,
}

/// The termination state of one program; see the [module docs](self).
pub struct Termination<O, H> {
    outcome: Mutex<Option<O>>,
    exiting: AtomicBool,
    threads: Mutex<Threads<H>>,
    max_threads: u32,
}

impl<O, H> std::fmt::Debug for Termination<O, H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Termination")
            .field("exiting", &self.exiting())
            .field("max_threads", &self.max_threads)
            .finish_non_exhaustive()
    }
}

impl<O, H> Termination<O, H> {
    /// A running program with no outcome yet and at most `max_threads`
    /// live spawned threads at a time.
    pub fn new(max_threads: u32) -> Self {
        Self::starting_at(max_threads, 1)
    }

    /// As [`new`](Self::new), with the first tid to try (tests of the
    /// wrap-around).
    fn starting_at(max_threads: u32, next: u32) -> Self {
        Termination {
            outcome: Mutex::new(None),
            exiting: AtomicBool::new(false),
            threads: Mutex::new(Threads {
                live: BTreeSet::new(),
                next,
                handles: Vec::new(),
            }),
            max_threads,
        }
    }

    /// Whether the program is ending (some [`finish`](Self::finish) has
    /// happened).
    pub fn exiting(&self) -> bool {
        self.exiting.load(Ordering::Acquire)
    }

    /// Ends the program with `outcome` unless an outcome is recorded
    /// already, then runs `on_exit` if no earlier call ran its own. Returns
    /// whether this call ran `on_exit`. `on_exit` must be sticky (see the
    /// module docs): threads that start after it must still observe it.
    pub fn finish(&self, outcome: O, on_exit: impl FnOnce()) -> bool {
        {
            let mut slot = sync::lock(&self.outcome);
            if slot.is_none() {
                *slot = Some(outcome);
            }
        }
        if self.first_to_exit() {
            on_exit();
            true
        } else {
            false
        }
    }

    /// Sets `exiting`; whether it was clear before.
    #[cfg(not(feature = "loom-broken-exit-load-store"))]
    fn first_to_exit(&self) -> bool {
        !self.exiting.swap(true, Ordering::AcqRel)
    }

    /// BROKEN (loom models only): a load and a separate store, so two
    /// racing exits can both see the flag clear and both run the action.
    #[cfg(feature = "loom-broken-exit-load-store")]
    fn first_to_exit(&self) -> bool {
        if self.exiting.load(Ordering::Acquire) {
            return false;
        }
        self.exiting.store(true, Ordering::Release);
        true
    }

    /// Takes the recorded outcome (meant for after [`join_all`](Self::join_all)).
    pub fn take_outcome(&self) -> Option<O> {
        sync::lock(&self.outcome).take()
    }

    /// A fresh thread id in `1..=MAX_TID`, unless the program is ending or
    /// `max_threads` threads are live.
    pub fn allocate_tid(&self) -> Result<u32, SpawnRefused> {
        let mut threads = sync::lock(&self.threads);
        if self.exiting() {
            return Err(SpawnRefused::Exiting);
        }
        if threads.live.len() >= self.max_threads as usize {
            return Err(SpawnRefused::Limit);
        }
        // At most `max_threads` (far below 2^29) ids are taken, so a free
        // one is found quickly; `max_threads == 0` never gets here.
        loop {
            let tid = threads.next;
            threads.next = if tid >= MAX_TID { 1 } else { tid + 1 };
            if threads.live.insert(tid) {
                return Ok(tid);
            }
        }
    }

    /// Gives `tid` back when its thread ends (or failed to start).
    pub fn release_tid(&self, tid: u32) {
        sync::lock(&self.threads).live.remove(&tid);
    }

    /// How many tids are handed out and not released.
    pub fn live_threads(&self) -> usize {
        sync::lock(&self.threads).live.len()
    }

    /// Records the join handle of a started thread. Call it before the
    /// spawn returns to its spawner, or [`join_all`](Self::join_all) may
    /// miss the thread.
    pub fn add_handle(&self, handle: H) {
        sync::lock(&self.threads).handles.push(handle);
    }

    /// Joins (with `join`) every recorded thread, including those recorded
    /// while joining, and returns once a round finds none left.
    pub fn join_all(&self, mut join: impl FnMut(H)) {
        loop {
            let handles = std::mem::take(&mut sync::lock(&self.threads).handles);
            if handles.is_empty() {
                return;
            }
            for handle in handles {
                join(handle);
            }
            // BROKEN (loom models only): one round, as if a thread could
            // not be recorded while joining.
            if cfg!(feature = "loom-broken-join-one-round") {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests;
