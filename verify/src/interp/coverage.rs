//! Counts of executed operators by family, per thread (feature `coverage`).
//!
//! The fuzzers use it to say what they reached: a differential target that
//! never executes a `memory.atomic.wait32` on an unshared memory cannot find
//! a bug there, however long it runs. The executor calls [`record`] once per
//! executed instruction; the counts live in a thread-local array (the
//! single-threaded differential harness runs the interpreter on its own
//! thread, and nothing here locks). [`take`] reads and resets them.
//!
//! Numeric instructions are counted as two families (unary and binary): the
//! interpreter keeps them as function pointers without names, and the trap
//! kinds the fuzzers count already say which trapping ones ran. Atomics are
//! split by what decides their traps: the memory being shared or not, and
//! the effective address being aligned or not.

use std::cell::Cell;

use super::code::Instr;
use super::memory::MemoryRef;
use super::value::Value;

macro_rules! families {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)*) => {
        /// A family of operators, as counted by [`record`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Family {
            $($(#[$doc])* $variant,)*
        }

        impl Family {
            /// Every family, in report order.
            pub const ALL: &[Family] = &[$(Family::$variant,)*];

            /// The family's name in reports.
            pub fn name(self) -> &'static str {
                match self {
                    $(Family::$variant => $name,)*
                }
            }
        }
    };
}

families! {
    /// `unreachable`.
    Unreachable => "unreachable",
    /// `br`, `br_if`, `br_table`, `if`/`else` jumps.
    Branch => "branch (br, br_if, br_table, if/else)",
    /// `return` and function ends.
    Return => "return",
    /// `call`.
    Call => "call",
    /// `call_indirect`.
    CallIndirect => "call_indirect",
    /// `drop`, `select`.
    Parametric => "drop, select",
    /// `local.get/set/tee`.
    Local => "local.get/set/tee",
    /// `global.get`.
    GlobalGet => "global.get",
    /// `global.set`.
    GlobalSet => "global.set",
    /// Plain loads.
    Load => "load",
    /// Plain stores.
    Store => "store",
    /// `memory.size`.
    MemorySize => "memory.size",
    /// `memory.grow`.
    MemoryGrow => "memory.grow",
    /// Constants and `ref.null`.
    Const => "const, ref.null",
    /// Numeric operators of one operand.
    NumericUnary => "numeric unary",
    /// Numeric operators of two operands.
    NumericBinary => "numeric binary",
    /// `memory.init`.
    MemoryInit => "memory.init",
    /// `data.drop`.
    DataDrop => "data.drop",
    /// `memory.copy`.
    MemoryCopy => "memory.copy",
    /// `memory.fill`.
    MemoryFill => "memory.fill",
    /// `table.init`.
    TableInit => "table.init",
    /// `elem.drop`.
    ElemDrop => "elem.drop",
    /// `table.copy`.
    TableCopy => "table.copy",
    /// `ref.is_null`.
    RefIsNull => "ref.is_null",
    /// `ref.func`.
    RefFunc => "ref.func",
    /// `table.get`.
    TableGet => "table.get",
    /// `table.set`.
    TableSet => "table.set",
    /// `table.size`.
    TableSize => "table.size",
    /// `table.grow`.
    TableGrow => "table.grow",
    /// `table.fill`.
    TableFill => "table.fill",
    /// Atomic loads.
    AtomicLoad => "atomic load",
    /// Atomic stores.
    AtomicStore => "atomic store",
    /// Atomic read-modify-writes other than cmpxchg.
    AtomicRmw => "atomic rmw",
    /// `*.atomic.rmw*.cmpxchg*`.
    AtomicCmpxchg => "atomic cmpxchg",
    /// Any atomic access, wait or notify whose address is misaligned, on a
    /// shared memory.
    MisalignedAtomicShared => "misaligned atomic, shared memory",
    /// The same on an unshared memory.
    MisalignedAtomicUnshared => "misaligned atomic, unshared memory",
    /// `memory.atomic.wait32` on a shared memory.
    Wait32Shared => "memory.atomic.wait32, shared memory",
    /// `memory.atomic.wait32` on an unshared memory.
    Wait32Unshared => "memory.atomic.wait32, unshared memory",
    /// `memory.atomic.wait64` on a shared memory.
    Wait64Shared => "memory.atomic.wait64, shared memory",
    /// `memory.atomic.wait64` on an unshared memory.
    Wait64Unshared => "memory.atomic.wait64, unshared memory",
    /// `memory.atomic.notify` on a shared memory.
    NotifyShared => "memory.atomic.notify, shared memory",
    /// `memory.atomic.notify` on an unshared memory.
    NotifyUnshared => "memory.atomic.notify, unshared memory",
    /// `atomic.fence`.
    AtomicFence => "atomic.fence",
    /// Every SIMD (`v128`) operator.
    Simd => "simd (v128)",
}

const COUNT: usize = Family::ALL.len();

thread_local! {
    static COUNTS: [Cell<u64>; COUNT] = const { [const { Cell::new(0) }; COUNT] };
    /// The deepest frame stack and the tallest value stack seen.
    static HIGH_WATER: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
}

/// Executions per family, and how deep execution went, as read by [`take`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coverage {
    counts: [u64; COUNT],
    /// The most wasm frames live at once in one invocation (the outermost
    /// function counts as one).
    pub max_frames: usize,
    /// The most values (locals and operands) on one invocation's stack.
    pub max_values: usize,
}

impl Default for Coverage {
    fn default() -> Self {
        Coverage {
            counts: [0; COUNT],
            max_frames: 0,
            max_values: 0,
        }
    }
}

impl Coverage {
    /// How many times operators of `family` were executed.
    pub fn get(&self, family: Family) -> u64 {
        self.counts[family as usize]
    }

    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: &Coverage) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.max_frames = self.max_frames.max(other.max_frames);
        self.max_values = self.max_values.max(other.max_values);
    }

    /// The families never executed, in report order.
    pub fn never_executed(&self) -> Vec<Family> {
        Family::ALL
            .iter()
            .copied()
            .filter(|f| self.get(*f) == 0)
            .collect()
    }
}

/// Reads this thread's counts and resets them to zero.
pub fn take() -> Coverage {
    let (max_frames, max_values) = HIGH_WATER.take();
    COUNTS.with(|counts| Coverage {
        counts: std::array::from_fn(|i| counts[i].take()),
        max_frames,
        max_values,
    })
}

fn bump(family: Family) {
    COUNTS.with(|counts| {
        let slot = &counts[family as usize];
        slot.set(slot.get() + 1);
    });
}

/// Counts `instr`, about to execute with `stack` as its value stack in an
/// instance with `memories`, below `callers` suspended frames.
pub(crate) fn record(instr: &Instr, stack: &[Value], memories: &[MemoryRef], callers: usize) {
    use Family as F;
    HIGH_WATER.with(|high| {
        let (frames, values) = high.get();
        high.set((frames.max(callers + 1), values.max(stack.len())));
    });
    let family = match instr {
        Instr::Unreachable => F::Unreachable,
        Instr::Jump(_) | Instr::JumpIfZero(_) | Instr::Br(_) | Instr::BrIf(_) => F::Branch,
        Instr::BrTable(_) => F::Branch,
        Instr::Return => F::Return,
        Instr::Call(_) => F::Call,
        Instr::CallIndirect { .. } => F::CallIndirect,
        Instr::Drop | Instr::Select => F::Parametric,
        Instr::LocalGet(_) | Instr::LocalSet(_) | Instr::LocalTee(_) => F::Local,
        Instr::GlobalGet(_) => F::GlobalGet,
        Instr::GlobalSet(_) => F::GlobalSet,
        Instr::Load { .. } => F::Load,
        Instr::Store { .. } => F::Store,
        Instr::MemorySize(_) => F::MemorySize,
        Instr::MemoryGrow(_) => F::MemoryGrow,
        Instr::Const(_) => F::Const,
        Instr::Unary(_) => F::NumericUnary,
        Instr::Binary(_) => F::NumericBinary,
        Instr::MemoryInit { .. } => F::MemoryInit,
        Instr::DataDrop(_) => F::DataDrop,
        Instr::MemoryCopy { .. } => F::MemoryCopy,
        Instr::MemoryFill(_) => F::MemoryFill,
        Instr::TableInit { .. } => F::TableInit,
        Instr::ElemDrop(_) => F::ElemDrop,
        Instr::TableCopy { .. } => F::TableCopy,
        Instr::RefIsNull => F::RefIsNull,
        Instr::RefFunc(_) => F::RefFunc,
        Instr::TableGet(_) => F::TableGet,
        Instr::TableSet(_) => F::TableSet,
        Instr::TableSize(_) => F::TableSize,
        Instr::TableGrow(_) => F::TableGrow,
        Instr::TableFill(_) => F::TableFill,
        Instr::AtomicFence => F::AtomicFence,
        Instr::Simd(_) => F::Simd,
        // The fuel charge of a block: no operator of the program.
        Instr::Charge(_) => return,
        Instr::AtomicLoad { arg, width, .. } => {
            atomic(stack, memories, arg.memory, arg.offset, *width, 1);
            F::AtomicLoad
        }
        Instr::AtomicStore { arg, width } => {
            atomic(stack, memories, arg.memory, arg.offset, *width, 2);
            F::AtomicStore
        }
        Instr::AtomicRmw { arg, width, .. } => {
            atomic(stack, memories, arg.memory, arg.offset, *width, 2);
            F::AtomicRmw
        }
        Instr::AtomicCmpxchg { arg, width, .. } => {
            atomic(stack, memories, arg.memory, arg.offset, *width, 3);
            F::AtomicCmpxchg
        }
        Instr::AtomicWait { arg, width } => {
            let shared = atomic(stack, memories, arg.memory, arg.offset, *width, 3);
            match (*width, shared) {
                (4, true) => F::Wait32Shared,
                (4, false) => F::Wait32Unshared,
                (_, true) => F::Wait64Shared,
                (_, false) => F::Wait64Unshared,
            }
        }
        Instr::AtomicNotify(arg) => {
            if atomic(stack, memories, arg.memory, arg.offset, 4, 2) {
                F::NotifyShared
            } else {
                F::NotifyUnshared
            }
        }
    };
    bump(family);
}

/// Counts a misaligned atomic access whose address operand sits `depth`
/// slots below the top of `stack`; returns whether the memory is shared.
fn atomic(
    stack: &[Value],
    memories: &[MemoryRef],
    memory: u32,
    offset: u64,
    width: u8,
    depth: usize,
) -> bool {
    let shared = memories
        .get(memory as usize)
        .is_some_and(MemoryRef::is_shared);
    let address = stack
        .len()
        .checked_sub(depth)
        .and_then(|i| stack.get(i))
        .map(|v| match v {
            Value::I32(a) => u64::from(*a as u32),
            _ => 0,
        });
    if let Some(address) = address
        && !(address + offset).is_multiple_of(u64::from(width.max(1)))
    {
        bump(if shared {
            Family::MisalignedAtomicShared
        } else {
            Family::MisalignedAtomicUnshared
        });
    }
    shared
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interp::{Instance, Module};

    #[test]
    fn counts_what_runs_and_splits_atomics_by_memory_and_alignment() {
        let wasm = wat::parse_str(
            r#"(module (memory 1 1)
                 (func (export "f") (param i32) (result i32)
                   (drop (i32.atomic.load (local.get 0)))
                   (memory.atomic.notify (local.get 0) (i32.const 1))))"#,
        )
        .expect("valid text");
        let module = Module::new(&wasm).expect("valid");
        let instance = Instance::new(&module, &[]).expect("instantiates");
        take();
        instance
            .invoke("f", &[Value::I32(8)])
            .expect("aligned: runs");
        let aligned = take();
        assert_eq!(aligned.get(Family::AtomicLoad), 1);
        assert_eq!(aligned.get(Family::NotifyUnshared), 1);
        assert_eq!(aligned.get(Family::MisalignedAtomicUnshared), 0);
        assert!(aligned.never_executed().contains(&Family::Wait32Shared));
        let _ = instance.invoke("f", &[Value::I32(2)]);
        let misaligned = take();
        assert_eq!(misaligned.get(Family::MisalignedAtomicUnshared), 1);
        assert_eq!(
            misaligned.get(Family::NotifyUnshared),
            0,
            "the load trapped"
        );
        assert_eq!(misaligned.max_frames, 1);
        assert_eq!(take(), Coverage::default(), "take resets");
    }
}
