//! Fuel, counted by the rule of `docs/interruption.md`, independently of
//! the JIT: each segment of straight-line code costs its operator count,
//! charged on entry (`Instr::Charge`, placed by `compile.rs`), trapping
//! `all fuel consumed by WebAssembly` with the fuel unchanged when less is
//! left.
//!
//! The tank belongs to the calling thread, as the JIT's belongs to a store
//! (one per thread): every invocation on a thread, host re-entry included,
//! draws from it. `None` (the default) turns fuel off.

use std::cell::Cell;

use wasmparser::Operator;

use super::trap::Trap;

thread_local! {
    static FUEL: Cell<Option<u64>> = const { Cell::new(None) };
}

/// Sets this thread's fuel (`None`: unmetered, the default).
pub fn set_fuel(fuel: Option<u64>) {
    FUEL.with(|f| f.set(fuel));
}

/// This thread's fuel left (`None`: unmetered).
pub fn fuel() -> Option<u64> {
    FUEL.with(Cell::get)
}

/// Charges one segment of `cost` operators.
pub(crate) fn charge(cost: u64) -> Result<(), Trap> {
    FUEL.with(|f| match f.get() {
        None => Ok(()),
        Some(left) if left < cost => Err(Trap::OutOfFuel),
        Some(left) => {
            f.set(Some(left - cost));
            Ok(())
        }
    })
}

/// Whether `op` is the last operator of its segment (the rule's list).
pub(crate) fn ends_segment(op: &Operator<'_>) -> bool {
    use Operator as O;
    matches!(
        op,
        O::Block { .. }
            | O::Loop { .. }
            | O::If { .. }
            | O::Else
            | O::End
            | O::Br { .. }
            | O::BrIf { .. }
            | O::BrTable { .. }
            | O::Return
            | O::Unreachable
    )
}
