//! The program's interrupt group: the one place weft-wasi touches weft's
//! interruption API (`InterruptHandle`, `Store::set_interrupt_handle`).
//!
//! Every store of a program joins the group; ending the program interrupts
//! it, which stops running wasm at its next check and wakes every
//! `memory.atomic.wait` of the program with the trap `interrupt` (sticky:
//! a store that joins later traps at its first function entry). Running
//! code is only stopped where checks are compiled, i.e. on an engine with
//! `Config::epoch_interruption(true)`; waits are woken whatever the config.

use weft::InterruptHandle;

/// The interrupt group of one program.
#[derive(Debug, Default)]
pub(crate) struct Group {
    handle: InterruptHandle,
}

impl Group {
    pub(crate) fn new() -> Group {
        Group {
            handle: InterruptHandle::new(),
        }
    }

    /// Stops every store of the group (sticky, idempotent).
    pub(crate) fn interrupt(&self) {
        self.handle.interrupt();
    }

    /// Puts `store` in the group and lets it run without an epoch deadline
    /// (with epoch interruption on, a store's deadline starts as already
    /// reached; an interrupted group keeps its deadline at 0 regardless).
    pub(crate) fn join<T>(&self, store: &mut weft::Store<T>) {
        store.set_interrupt_handle(&self.handle);
        store.set_epoch_deadline(u64::MAX);
    }
}
