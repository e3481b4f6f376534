//! An engine's epoch counter and the waits that watch it: how an epoch
//! deadline that passes during a wait reaches the waiting thread. See the
//! module docs of [`wait`](super) ("Epoch deadlines") for the protocol and
//! its argument.

use std::fmt;

use crate::sync::atomic::{AtomicU64, AtomicUsize, Ordering, fence};
use crate::sync::{self, Arc, Mutex};

use super::Parker;

/// An epoch deadline a wait watches, and who decides what reaching it
/// means (see [`WaitQueues::wait_with_ends`](super::WaitQueues::wait_with_ends)).
pub struct EpochWatch<'a> {
    /// The epoch the deadline is in.
    pub epoch: &'a Epoch,
    /// The absolute epoch at which the deadline is reached.
    pub deadline: u64,
    /// Called on the waiting thread, with no lock held and the waiter still
    /// queued, each time the epoch reaches the deadline during the wait.
    pub on_reached: &'a mut dyn FnMut() -> DeadlineReached,
}

/// What the waiter decides when the epoch reaches its deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeadlineReached {
    /// Wait on, still queued (no re-compare of the word), with this new
    /// absolute deadline.
    Continue(u64),
    /// Leave the queue as `Interrupted` (unless a notify took the waiter
    /// first).
    Stop,
}

/// An epoch counter (in weft, the engine's) with a registry of the waits in
/// progress that have an epoch deadline.
///
/// [`increment`](Self::increment) advances the counter and pokes every
/// watching parker whose deadline it reaches; with no wait watching it
/// costs one atomic add, one fence and one load.
pub struct Epoch {
    /// The epoch. Generated code reads it through
    /// [`counter_ptr`](Self::counter_ptr).
    counter: AtomicU64,
    /// Watches announced: incremented before the watch lock is taken,
    /// decremented after the watch is removed, so never lower than the
    /// number of watches in `watches`. The incrementer's fast path reads it.
    announced: AtomicUsize,
    watches: Mutex<Vec<Watch>>,
}

struct Watch {
    parker: Arc<Parker>,
    /// The absolute epoch at which the wait's deadline is reached.
    deadline: u64,
}

impl fmt::Debug for Epoch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Epoch")
            .field("current", &self.current())
            .finish_non_exhaustive()
    }
}

impl Default for Epoch {
    fn default() -> Self {
        Self::new()
    }
}

impl Epoch {
    /// Epoch 0, with no waits watching.
    pub fn new() -> Epoch {
        Epoch {
            counter: AtomicU64::new(0),
            announced: AtomicUsize::new(0),
            watches: Mutex::new(Vec::new()),
        }
    }

    /// The current epoch.
    pub fn current(&self) -> u64 {
        // SeqCst: as the increment; a host reading the epoch and then a
        // deadline sees them in one order.
        self.counter.load(Ordering::SeqCst)
    }

    /// The counter, for generated code's plain loads of the epoch.
    #[cfg(not(loom))]
    pub fn counter_ptr(&self) -> *const u64 {
        self.counter.as_ptr().cast_const()
    }

    /// Advances the epoch by one tick and pokes every watching wait whose
    /// deadline the new epoch reaches. Callable from any thread.
    ///
    /// Lock order: the watch lock, then each parker's (leaf) lock.
    pub fn increment(&self) {
        // SeqCst: generated code loads the counter plainly, and a timer
        // thread expects its ticks in one order with the deadlines' stores.
        let now = self.counter.fetch_add(1, Ordering::SeqCst).wrapping_add(1);
        // SeqCst fence: pairs with the fence in `watch`; our bump is before
        // it, our read of `announced` after it (the Dekker pair, see the
        // module docs).
        #[cfg(not(feature = "loom-broken-epoch-no-fence"))]
        fence(Ordering::SeqCst);
        // Relaxed: ordered by the fence above.
        if self.announced.load(Ordering::Relaxed) == 0 {
            return;
        }
        let watches = sync::lock(&self.watches);
        for watch in watches.iter().filter(|watch| now >= watch.deadline) {
            watch.parker.poke();
        }
    }

    /// Starts watching `deadline` for the wait of `parker`: from now on an
    /// increment that reaches it pokes the parker, and if the epoch has
    /// reached it already the parker is poked at once (so the wait never
    /// sleeps past it). Pair with [`unwatch`](Self::unwatch).
    pub(crate) fn watch(&self, parker: &Arc<Parker>, deadline: u64) {
        // Relaxed: ordered by the fence below.
        self.announced.fetch_add(1, Ordering::Relaxed);
        // SeqCst fence: pairs with the fence in `increment`; our
        // announcement is before it, our read of the counter after it.
        #[cfg(not(feature = "loom-broken-epoch-no-fence"))]
        fence(Ordering::SeqCst);
        let mut watches = sync::lock(&self.watches);
        watches.push(Watch {
            parker: Arc::clone(parker),
            deadline,
        });
        self.poke_if_reached(parker, deadline);
    }

    /// Moves the deadline of `parker`'s watch (the deadline callback
    /// extended it): a poke meant for the old deadline is forgotten, and one
    /// is made at once if the epoch has reached the new one.
    pub(crate) fn rewatch(&self, parker: &Arc<Parker>, deadline: u64) {
        let mut watches = sync::lock(&self.watches);
        if let Some(watch) = watches
            .iter_mut()
            .find(|watch| Arc::ptr_eq(&watch.parker, parker))
        {
            watch.deadline = deadline;
        }
        // Deliberately missing in `loom-broken-epoch-stale-poke`: a poke
        // for the old deadline then reports the new one before it is
        // reached.
        #[cfg(not(feature = "loom-broken-epoch-stale-poke"))]
        parker.clear_poke();
        self.poke_if_reached(parker, deadline);
    }

    /// Stops watching for the wait of `parker`, which is over.
    pub(crate) fn unwatch(&self, parker: &Arc<Parker>) {
        {
            let mut watches = sync::lock(&self.watches);
            if let Some(position) = watches
                .iter()
                .position(|watch| Arc::ptr_eq(&watch.parker, parker))
            {
                watches.swap_remove(position);
            }
        }
        // Relaxed: only ever makes the incrementer's fast path more likely,
        // and comes after the watch left the registry.
        self.announced.fetch_sub(1, Ordering::Relaxed);
    }

    /// The watch lock's re-read of the epoch: held by the caller, so an
    /// increment either finished its scan before (and its bump is visible
    /// here through the lock) or scans after and sees the new deadline.
    fn poke_if_reached(&self, parker: &Parker, deadline: u64) {
        // Relaxed: ordered by the watch lock or the fence in `watch`.
        if self.counter.load(Ordering::Relaxed) >= deadline {
            parker.poke();
        }
    }

    /// How many waits watch the epoch now (for tests).
    pub fn watching(&self) -> usize {
        sync::lock(&self.watches).len()
    }
}
