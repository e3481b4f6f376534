//! The interrupt state a group of waiters registers with: one sticky flag
//! and the parkers currently waiting under it. See the module docs of
//! [`wait`](super) ("Cancellation") for the protocol and its argument.

use std::fmt;

use crate::sync::atomic::{AtomicBool, Ordering};
use crate::sync::{self, Arc, Mutex};

use super::Parker;

/// A sticky interrupt shared by a group of waiters (in weft, the stores of
/// one program, one per thread).
///
/// [`interrupt`](Self::interrupt) sets the flag and cancels every wait
/// registered with it; a wait that registers afterwards does not sleep.
/// Waits register through
/// [`WaitQueues::wait_interruptible`](super::WaitQueues::wait_interruptible).
pub struct Interrupt {
    /// The flag, read without the lock by [`is_interrupted`](Self::is_interrupted)
    /// (generated code's slow path, the host). Written only under `state`'s
    /// lock, after the locked flag.
    flag: AtomicBool,
    state: Mutex<State>,
}

struct State {
    /// The flag the protocol decides by: read and written under the lock.
    interrupted: bool,
    /// The parkers of the waits in progress under this interrupt.
    waiters: Vec<Arc<Parker>>,
}

impl fmt::Debug for Interrupt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interrupt")
            .field("interrupted", &self.is_interrupted())
            .finish_non_exhaustive()
    }
}

impl Default for Interrupt {
    fn default() -> Self {
        Self::new()
    }
}

impl Interrupt {
    /// A fresh, not interrupted state with no waiters.
    pub fn new() -> Interrupt {
        Interrupt {
            flag: AtomicBool::new(false),
            state: Mutex::new(State {
                interrupted: false,
                waiters: Vec::new(),
            }),
        }
    }

    /// Interrupts the group: sets the flag (for good) and cancels every wait
    /// registered now. Idempotent; callable from any thread.
    ///
    /// Lock order: this lock, then each parker's (leaf) lock. No bucket lock
    /// is taken here.
    pub fn interrupt(&self) {
        let mut state = sync::lock(&self.state);
        state.interrupted = true;
        // SeqCst: a plain reader of the flag (outside the protocol) that
        // runs after this store in the total order sees it.
        self.flag.store(true, Ordering::SeqCst);
        for parker in state.waiters.drain(..) {
            parker.cancel();
        }
    }

    /// Whether [`interrupt`](Self::interrupt) has been called.
    pub fn is_interrupted(&self) -> bool {
        // SeqCst: pairs with the store in `interrupt`.
        self.flag.load(Ordering::SeqCst)
    }

    /// Registers `parker` for the wait about to start; `false` (and not
    /// registered) if the group is already interrupted, in which case the
    /// wait must return without queueing.
    ///
    /// The flag is read under the same lock `interrupt` sets it under, so
    /// either `interrupt` comes first and we see the flag, or we come first
    /// and `interrupt` finds the parker and cancels it.
    pub(crate) fn register(&self, parker: &Arc<Parker>) -> bool {
        // Deliberately broken variant: the flag read before the lock, so an
        // interrupt between the read and the push finds no parker to cancel
        // and the waiter sleeps through it.
        #[cfg(feature = "loom-broken-unlocked-interrupt-check")]
        {
            if self.flag.load(Ordering::SeqCst) {
                return false;
            }
            sync::lock(&self.state).waiters.push(Arc::clone(parker));
            true
        }
        #[cfg(not(feature = "loom-broken-unlocked-interrupt-check"))]
        {
            let mut state = sync::lock(&self.state);
            if state.interrupted {
                return false;
            }
            state.waiters.push(Arc::clone(parker));
            true
        }
    }

    /// Takes `parker` out of the registry after its wait returned (a no-op
    /// if `interrupt` already drained it).
    pub(crate) fn unregister(&self, parker: &Arc<Parker>) {
        let mut state = sync::lock(&self.state);
        if let Some(position) = state.waiters.iter().position(|p| Arc::ptr_eq(p, parker)) {
            state.waiters.swap_remove(position);
        }
    }

    /// How many waits are registered now (for tests).
    pub fn registered(&self) -> usize {
        sync::lock(&self.state).waiters.len()
    }
}
