//! Traps: the ways a wasm computation can stop abnormally.
//!
//! A trap is an ordinary value here (`Result<_, Trap>`), never a panic or an
//! unwind, so the interpreter can report it the same way the JIT does.

/// Why execution stopped. `Display` is the exact message the official spec
/// testsuite expects in `assert_trap` / `assert_exhaustion`, so a runner can
/// compare strings without a translation table.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Trap {
    /// `unreachable` was executed.
    #[error("unreachable")]
    Unreachable,
    /// A load, store, bulk memory operation or atomic touched bytes past the
    /// end of linear memory.
    #[error("out of bounds memory access")]
    MemoryOutOfBounds,
    /// A table access (`table.get/set/fill/copy/init`) was out of range.
    #[error("out of bounds table access")]
    TableOutOfBounds,
    /// `call_indirect` with an index past the end of the table.
    #[error("undefined element")]
    UndefinedElement,
    /// `call_indirect` through a null table entry.
    #[error("uninitialized element")]
    IndirectCallToNull,
    /// `call_indirect` whose callee has a different function type.
    #[error("indirect call type mismatch")]
    BadSignature,
    /// Signed division overflow, or a float-to-int conversion out of range.
    #[error("integer overflow")]
    IntegerOverflow,
    /// Integer division or remainder by zero.
    #[error("integer divide by zero")]
    IntegerDivisionByZero,
    /// A trapping float-to-int conversion of NaN.
    #[error("invalid conversion to integer")]
    BadConversionToInteger,
    /// An atomic access whose effective address is not a multiple of its width.
    #[error("unaligned atomic")]
    UnalignedAtomic,
    /// `memory.atomic.wait32/64` on a memory that is not shared.
    #[error("expected shared memory")]
    ExpectedSharedMemory,
    /// The call stack (frames or values) hit the interpreter's limit.
    #[error("call stack exhausted")]
    StackExhausted,
    /// The thread's fuel ran out (see `fuel.rs`).
    #[error("all fuel consumed by WebAssembly")]
    OutOfFuel,
    /// An error raised by a host function, with its message.
    #[error("{0}")]
    Host(String),
    /// The embedder called something with the wrong arguments: an unknown
    /// export name, a wrong argument count or a wrong argument type.
    #[error("invalid invocation: {0}")]
    InvalidInvocation(String),
}
