//! Stopping wasm from outside: interrupt groups and epoch deadlines.
//!
//! Every store belongs to one interrupt group (its own, unless it joined
//! another with [`Store::set_interrupt_handle`](crate::Store::set_interrupt_handle)).
//! A group is weft-core's [`Interrupt`] (the sticky flag and the waits in
//! progress under it, see `weft_core::wait`) plus the epoch deadlines of its
//! stores. [`InterruptHandle::interrupt`] sets the flag, which cancels every
//! wait of the group, and then sets every member's deadline to 0, so that
//! the one check generated code has (`epoch >= deadline`, at function
//! entries and loop headers) takes its slow path; the slow path sees the
//! flag and traps `interrupt`.
//!
//! An epoch deadline reached while a store is blocked in a wasm wait is the
//! engine's business, not the group's: the wait watches the engine's
//! `weft_core::wait::Epoch`, whose increments poke it, and the store's
//! deadline behaviour decides on the waiting thread (`docs/interruption.md`,
//! "An epoch deadline that passes during a wait"). An interrupt still wins:
//! it cancels the wait whatever the deadline.
//!
//! The deadline race: a store writes a new deadline (from its own thread)
//! while another thread interrupts. The store stores its deadline and then
//! reads the flag; `interrupt` stores the flag and then the zero deadlines;
//! all `SeqCst`. If the store reads the flag unset, the flag's store comes
//! later in the total order, so the zero lands after the store's deadline;
//! if it reads it set, the store writes the zero itself. Either way the
//! deadline ends at 0.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use weft_core::wait::Interrupt;

/// What an [`epoch_deadline_callback`](crate::Store::epoch_deadline_callback)
/// decides when the deadline is reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateDeadline {
    /// Keep running; the new deadline is this many ticks beyond the
    /// current epoch (saturating).
    Continue(u64),
}

/// A handle on a store's interrupt group: `Send + Sync + Clone`, usable
/// from any thread, and valid whatever happens to the stores (a handle
/// outliving every store of its group is harmless).
///
/// ```
/// use weft::{Config, Engine, InterruptHandle, Module, Store, TrapCode};
/// let mut config = Config::new();
/// config.epoch_interruption(true);
/// let engine = Engine::new(&config)?;
/// let module = Module::new(&engine, r#"(module (func (export "spin") (loop (br 0))))"#)?;
/// let mut store = Store::new(&engine, ());
/// store.set_epoch_deadline(u64::MAX);
/// let handle: InterruptHandle = store.interrupt_handle();
/// let instance = weft::Instance::new(&mut store, &module, &[])?;
/// let spin = instance.get_typed_func::<(), ()>(&mut store, "spin")?;
/// std::thread::spawn(move || handle.interrupt());
/// let error = spin.call(&mut store, ()).unwrap_err();
/// assert_eq!(error.as_trap().map(|t| t.code()), Some(TrapCode::Interrupt));
/// # Ok::<(), weft::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct InterruptHandle {
    group: Arc<Group>,
}

#[derive(Default)]
pub(crate) struct Group {
    /// The flag and the waits in progress (weft-core's protocol).
    core: Interrupt,
    /// The members' epoch deadlines; dead entries are dropped as found.
    deadlines: Mutex<Vec<Weak<AtomicU64>>>,
}

impl fmt::Debug for InterruptHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InterruptHandle")
            .field("interrupted", &self.is_interrupted())
            .finish_non_exhaustive()
    }
}

impl InterruptHandle {
    /// A fresh group, not interrupted, with no stores.
    pub fn new() -> InterruptHandle {
        InterruptHandle::default()
    }

    /// Interrupts every store of the group, for good: running wasm traps
    /// `interrupt` at its next check (with [`Config::epoch_interruption`](crate::Config::epoch_interruption)),
    /// every wait in progress or started later returns that trap, and
    /// every later call into wasm traps at once. Idempotent; any thread.
    pub fn interrupt(&self) {
        self.group.core.interrupt();
        let mut deadlines = self
            .group
            .deadlines
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        deadlines.retain(|deadline| match deadline.upgrade() {
            Some(deadline) => {
                // SeqCst: after the flag's store; see the module docs.
                deadline.store(0, Ordering::SeqCst);
                true
            }
            None => false,
        });
    }

    /// Whether [`interrupt`](Self::interrupt) was called on the group.
    pub fn is_interrupted(&self) -> bool {
        self.group.core.is_interrupted()
    }

    /// weft-core's interrupt state, which waits register with.
    pub(crate) fn core(&self) -> &Interrupt {
        &self.group.core
    }

    pub(crate) fn same_group(&self, other: &InterruptHandle) -> bool {
        Arc::ptr_eq(&self.group, &other.group)
    }

    /// Adds a store's deadline to the group; zeroes it if the group is
    /// already interrupted.
    pub(crate) fn join(&self, deadline: &Arc<AtomicU64>) {
        self.group
            .deadlines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Arc::downgrade(deadline));
        self.zero_if_interrupted(deadline);
    }

    /// Takes a store's deadline out of the group (it joins another).
    pub(crate) fn leave(&self, deadline: &Arc<AtomicU64>) {
        let target = Arc::as_ptr(deadline);
        self.group
            .deadlines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|d| d.strong_count() > 0 && d.as_ptr() != target);
    }

    /// The second half of a deadline update: after storing the deadline,
    /// re-read the flag (see the module docs).
    pub(crate) fn zero_if_interrupted(&self, deadline: &AtomicU64) {
        if self.is_interrupted() {
            // SeqCst: see the module docs.
            deadline.store(0, Ordering::SeqCst);
        }
    }
}
