//! The per-waiter parker: where a waiting thread blocks, and the one place
//! time enters the wait protocol.

use std::fmt;
use std::time::Instant;

use crate::sync::{self, Condvar, Mutex};

/// Where a waiter stands with respect to its bucket's queue. Written only
/// under the bucket lock (lock order: bucket, then parker), so that exactly
/// one party -- `notify` or the waiter's own cancel -- takes it out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    /// Not in any queue.
    Idle,
    /// In its bucket's queue, waiting.
    Queued,
    /// Taken out of the queue by `notify`; the wait returns `Ok`.
    Notified,
}

/// Why [`Parker::park`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wake {
    /// No longer queued: `notify` took the waiter out.
    Removed,
    /// The deadline passed (or [`Parker::expire`] was called) while still
    /// queued, as far as the parker knows; the waiter must cancel under the
    /// bucket lock to find out who wins.
    Expired,
    /// [`Parker::cancel`] was called (an interrupt) while still queued, as
    /// far as the parker knows; as for `Expired`, the waiter's cancel path
    /// under the bucket lock decides between `Interrupted` and `Ok`.
    Cancelled,
    /// [`Parker::poke`] was called (the epoch reached the waiter's
    /// deadline) while still queued. Not a way out of the queue: the waiter
    /// decides what the deadline means and either parks again, still
    /// queued, or leaves by its cancel path.
    Poked,
}

#[derive(Debug)]
struct ParkState {
    status: Status,
    /// Set once the deadline has passed; stays set.
    expired: bool,
    /// Set once an interrupt cancelled the wait; stays set.
    cancelled: bool,
    /// Set by an epoch increment that reached the wait's deadline; consumed
    /// by the park that reports it (a poke is an event, not a state).
    poked: bool,
}

/// One waiting thread's blocking point, with its deadline.
///
/// Time is a flag here, not a clock reading buried in a condition-variable
/// call: the real path sets `expired` when `wait_timeout` comes back past
/// the deadline, and a loom model sets it with [`expire`](Self::expire) from
/// another thread at any point of the protocol. Either way the waiter's loop
/// sees the flag and runs the same cancel path, so the models check the
/// code that ships. (loom's `wait_timeout` never times out, and it injects
/// no spurious wake-ups, so waits must loop on their condition.)
///
/// A parker may serve consecutive waits of one thread; once expired, it
/// stays expired. Using one parker for two waits at once is a logic error
/// (the results are unspecified, memory safety is not affected).
pub struct Parker {
    state: Mutex<ParkState>,
    cond: Condvar,
    deadline: Option<Instant>,
}

impl fmt::Debug for Parker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Parker")
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

impl Default for Parker {
    fn default() -> Self {
        Self::new()
    }
}

impl Parker {
    /// A parker without a deadline: it waits until notified or expired.
    pub fn new() -> Parker {
        Self::with_deadline(None)
    }

    /// A parker that expires by itself at `deadline` (`None`: never).
    ///
    /// Under loom time does not pass, so a deadline never fires there; use
    /// [`expire`](Self::expire).
    pub fn with_deadline(deadline: Option<Instant>) -> Parker {
        Parker {
            state: Mutex::new(ParkState {
                status: Status::Idle,
                expired: false,
                cancelled: false,
                poked: false,
            }),
            cond: Condvar::new(),
            deadline,
        }
    }

    /// Makes the parker's deadline pass now, waking its waiter if it is
    /// parked. The waiter then times out unless a notify took it first.
    pub fn expire(&self) {
        sync::lock(&self.state).expired = true;
        self.cond.notify_one();
    }

    /// Cancels the wait, waking its waiter if it is parked: the waiter then
    /// returns `Interrupted` unless a notify took it first. Called by
    /// [`Interrupt::interrupt`](super::Interrupt::interrupt) for every
    /// registered parker; stays in effect for later waits on this parker.
    pub fn cancel(&self) {
        sync::lock(&self.state).cancelled = true;
        self.cond.notify_one();
    }

    /// Pokes the waiter, waking it if it is parked: its park returns
    /// `Poked` (unless it was removed, cancelled or expired meanwhile),
    /// once, and the waiter stays queued. Called by
    /// [`Epoch::increment`](super::Epoch::increment) for a wait whose
    /// deadline it reached.
    pub(crate) fn poke(&self) {
        sync::lock(&self.state).poked = true;
        self.cond.notify_one();
    }

    /// Forgets a poke not yet reported (one meant for a deadline the waiter
    /// has since moved). Called under the epoch's watch lock, which every
    /// poke is made under, so no poke for the new deadline is lost.
    #[cfg_attr(feature = "loom-broken-epoch-stale-poke", allow(dead_code))]
    pub(crate) fn clear_poke(&self) {
        sync::lock(&self.state).poked = false;
    }

    /// Whether the wait was cancelled by an interrupt.
    pub fn is_cancelled(&self) -> bool {
        sync::lock(&self.state).cancelled
    }

    /// Whether the deadline has passed (as far as the parker has noticed).
    pub fn is_expired(&self) -> bool {
        sync::lock(&self.state).expired
    }

    pub(crate) fn status(&self) -> Status {
        sync::lock(&self.state).status
    }

    /// Sets the status; callers hold the bucket lock.
    pub(crate) fn set_status(&self, status: Status) {
        sync::lock(&self.state).status = status;
    }

    /// Wakes the parked waiter after `notify` marked it `Notified`. Called
    /// with no lock held, so that the woken thread does not at once block
    /// on a lock its waker still holds.
    pub(crate) fn unpark(&self) {
        self.cond.notify_one();
    }

    /// Blocks until the waiter is no longer queued, the parker expires, it
    /// is cancelled or it is poked.
    ///
    /// Loops on the condition: it is the status and the flags, all read
    /// under the parker lock that `set_status`, `expire`, `cancel`, `poke`
    /// and the deadline check write under, so neither a wake-up, a deadline,
    /// a cancel nor a poke is missed. A cancel wins over an expiry seen at
    /// the same time (an interrupt is sticky, a timeout is not), and both
    /// over a poke (they end the wait anyway; the poke stays pending).
    pub(crate) fn park(&self) -> Wake {
        let mut state = sync::lock(&self.state);
        loop {
            if state.status != Status::Queued {
                return Wake::Removed;
            }
            if state.cancelled {
                return Wake::Cancelled;
            }
            if state.expired {
                return Wake::Expired;
            }
            if state.poked {
                state.poked = false;
                return Wake::Poked;
            }
            state = match self.deadline {
                None => sync::wait(&self.cond, state),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        state.expired = true;
                        continue;
                    }
                    sync::wait_timeout(&self.cond, state, deadline - now)
                }
            };
        }
    }
}
