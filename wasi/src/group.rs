//! The program's interrupt group: the one place weft-wasi touches weft's
//! interruption API (`InterruptHandle`, `Store::set_interrupt_handle`).
//!
//! Every store of a program joins the group; ending the program interrupts
//! it, which stops running wasm at its next check and wakes every
//! `memory.atomic.wait` of the program with the trap `interrupt`.
//!
//! Until weft's interruption API is on this branch, the group has nothing
//! to interrupt: exit still wakes blocking host calls (the wake pipe in
//! `program`), but a thread busy in wasm or waiting in
//! `memory.atomic.wait` keeps the program from finishing. `docs/wasi.md`
//! says so.

/// The interrupt group of one program.
#[derive(Debug, Default)]
pub(crate) struct Group {}

impl Group {
    pub(crate) fn new() -> Group {
        Group {}
    }

    /// Stops every store of the group (sticky).
    pub(crate) fn interrupt(&self) {}

    /// Puts `store` in the group and lets it run without an epoch deadline.
    pub(crate) fn join<T>(&self, store: &mut weft::Store<T>) {
        let _ = store;
    }
}
