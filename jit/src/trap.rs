//! Trap codes: why wasm execution stopped.
//!
//! weft has no signal handlers: every trap is an explicit check in generated
//! code that returns a [`TrapCode`] to its caller. The numeric value of a code
//! is what generated code stores and returns, so the discriminants are part of
//! the JIT ABI; `0` is reserved for "no trap".

use std::fmt;

/// Declares [`TrapCode`] from one list: each code's doc, its ABI value and
/// the spec testsuite's message, so that the enum, [`TrapCode::from_u32`]
/// and [`TrapCode::message`] cannot fall out of step.
macro_rules! trap_codes {
    ($( $(#[$doc:meta])* $name:ident = $value:literal => $message:literal, )*) => {
        /// Why wasm execution trapped. `Display` prints the spec testsuite's message.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u32)]
        #[non_exhaustive]
        pub enum TrapCode {
            $( $(#[$doc])* $name = $value, )*
        }

        impl TrapCode {
            /// Every code, in ABI order.
            #[cfg(test)]
            const ALL: &'static [TrapCode] = &[$(TrapCode::$name,)*];

            /// Decodes an ABI value; `None` for `0` ("no trap") and unknown values.
            pub const fn from_u32(code: u32) -> Option<TrapCode> {
                match code {
                    $( $value => Some(TrapCode::$name), )*
                    _ => None,
                }
            }

            /// The message the spec testsuite expects for this trap.
            pub const fn message(self) -> &'static str {
                match self {
                    $( TrapCode::$name => $message, )*
                }
            }
        }
    };
}

trap_codes! {
    /// `unreachable` was executed.
    Unreachable = 1 => "unreachable",
    /// A load, store or bulk memory operation went past the memory's length.
    MemoryOutOfBounds = 2 => "out of bounds memory access",
    /// A table access or bulk table operation went past the table's size.
    TableOutOfBounds = 3 => "out of bounds table access",
    /// `call_indirect` found a null entry.
    IndirectCallToNull = 4 => "uninitialized element",
    /// `call_indirect` found a function of the wrong type.
    BadSignature = 5 => "indirect call type mismatch",
    /// Signed division overflowed (`INT_MIN / -1`) or a float-to-int conversion
    /// was out of range.
    IntegerOverflow = 6 => "integer overflow",
    /// Integer division or remainder by zero.
    IntegerDivisionByZero = 7 => "integer divide by zero",
    /// A float-to-int conversion of a NaN.
    BadConversionToInteger = 8 => "invalid conversion to integer",
    /// An atomic access at an address that is not naturally aligned.
    UnalignedAtomic = 9 => "unaligned atomic",
    /// `memory.atomic.wait*` on a memory that is not shared.
    ExpectedSharedMemory = 10 => "expected shared memory",
    /// The wasm call stack exceeded the configured maximum.
    StackOverflow = 11 => "call stack exhausted",
    /// A host function returned an error.
    HostError = 12 => "host function error",
    /// `call_indirect` with an index past the end of the table.
    UndefinedElement = 13 => "undefined element",
    /// Stopped from outside: an [`InterruptHandle::interrupt`](crate::InterruptHandle::interrupt)
    /// of the store's group, or an epoch deadline that was reached with
    /// [`Store::epoch_deadline_trap`](crate::Store::epoch_deadline_trap).
    Interrupt = 14 => "interrupt",
    /// The store's fuel ran out ([`Config::consume_fuel`](crate::Config::consume_fuel)).
    OutOfFuel = 15 => "all fuel consumed by WebAssembly",
}

impl TrapCode {
    /// The code's ABI value, as generated code stores it.
    pub const fn as_u32(self) -> u32 {
        self as u32
    }
}

impl fmt::Display for TrapCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// A trap raised by wasm code: its [`TrapCode`] and the wasm function where
/// it happened.
///
/// `Display` prints exactly the spec's message for the code, so that test
/// harnesses can compare it; [`Trap::func_index`] and [`Trap::module_name`]
/// say where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trap {
    code: TrapCode,
    func_index: Option<u32>,
    module_name: Option<String>,
    backtrace: Vec<TrapFrame>,
    omitted_frames: u32,
}

/// One wasm frame a trap passed through on its way out: the function and
/// the name of its module.
///
/// Frames are recorded by generated code on the trap path only (where the
/// trap originates and where each caller propagates it), so calls that do
/// not trap pay nothing for them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrapFrame {
    func_index: u32,
    module_name: Option<String>,
}

impl TrapFrame {
    pub(crate) fn new(func_index: u32, module_name: Option<String>) -> TrapFrame {
        TrapFrame {
            func_index,
            module_name,
        }
    }

    /// Index of the function in its module's function index space.
    pub fn func_index(&self) -> u32 {
        self.func_index
    }

    /// Name of the function's module, if the module has one.
    pub fn module_name(&self) -> Option<&str> {
        self.module_name.as_deref()
    }
}

impl Trap {
    /// A trap with no location (raised by the host side of a call).
    pub fn new(code: TrapCode) -> Trap {
        Trap {
            code,
            func_index: None,
            module_name: None,
            backtrace: Vec::new(),
            omitted_frames: 0,
        }
    }

    pub(crate) fn at(code: TrapCode, func_index: u32, module_name: Option<String>) -> Trap {
        Trap {
            code,
            func_index: Some(func_index),
            module_name,
            backtrace: Vec::new(),
            omitted_frames: 0,
        }
    }

    pub(crate) fn with_backtrace(mut self, backtrace: Vec<TrapFrame>, omitted: u32) -> Trap {
        self.backtrace = backtrace;
        self.omitted_frames = omitted;
        self
    }

    /// The wasm functions the trap passed through, innermost (where it
    /// happened) first, up to the 64 innermost; empty for a trap raised
    /// outside wasm code. Host frames in between are not listed.
    pub fn backtrace(&self) -> &[TrapFrame] {
        &self.backtrace
    }

    /// How many outer frames the backtrace leaves out (beyond its 64).
    pub fn omitted_frames(&self) -> u32 {
        self.omitted_frames
    }

    /// Why execution stopped.
    pub fn code(&self) -> TrapCode {
        self.code
    }

    /// Index (in its module's function index space) of the wasm function
    /// that trapped; `None` if the trap was raised outside wasm code.
    pub fn func_index(&self) -> Option<u32> {
        self.func_index
    }

    /// Name of the module whose function trapped, if the module has one.
    pub fn module_name(&self) -> Option<&str> {
        self.module_name.as_deref()
    }
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code.message())
    }
}

impl std::error::Error for Trap {}

#[cfg(test)]
mod tests {
    use super::TrapCode;

    #[test]
    fn every_code_round_trips_through_its_abi_value() {
        assert_eq!(TrapCode::ALL.len(), 15);
        for (i, &code) in TrapCode::ALL.iter().enumerate() {
            // The ABI values are 1, 2, ... in order: 0 is "no trap".
            assert_eq!(code.as_u32() as usize, i + 1, "{code:?}");
            assert_eq!(TrapCode::from_u32(code.as_u32()), Some(code));
        }
        assert_eq!(TrapCode::from_u32(0), None);
        assert_eq!(TrapCode::from_u32(16), None);
    }

    #[test]
    fn messages_are_the_spec_testsuites() {
        assert_eq!(
            TrapCode::MemoryOutOfBounds.to_string(),
            "out of bounds memory access"
        );
        assert_eq!(TrapCode::UnalignedAtomic.message(), "unaligned atomic");
        assert_eq!(
            TrapCode::IndirectCallToNull.message(),
            "uninitialized element"
        );
        let mut messages: Vec<_> = TrapCode::ALL.iter().map(|c| c.message()).collect();
        messages.sort_unstable();
        messages.dedup();
        assert_eq!(messages.len(), TrapCode::ALL.len(), "messages are distinct");
    }
}
