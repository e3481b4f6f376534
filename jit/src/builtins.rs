//! Host calls from generated code, declared once.
//!
//! [`foreach_builtin!`] lists every runtime function that generated code may
//! call: its name, its parameters and its result kind. This file is the
//! compile side of that list: the [`Builtin`] enum, whose discriminant is
//! the builtin's *index*, the Cranelift signature the translator declares
//! and the [`BuiltinResult`] that says how the translator checks what comes
//! back. It names no runtime code: generated code finds the functions
//! through its `VMContext`, whose header points at the runtime's table of
//! function pointers (`runtime::builtins`, built from the same list with a
//! typed coercion, so a Rust entry point whose signature drifts from its row
//! does not compile). Compiled code therefore holds no host address, and
//! builtin calls read the same in every build (the golden tests show them).
//!
//! Parameter kinds: `vmctx` is the caller's `VMContext` pointer, `ptr` a
//! pointer-sized value (a table element), `u32`/`i32`/`u64`/`i64` integers,
//! signed where the wasm value is signed (a wait's timeout: negative means
//! forever), unsigned where it is an index, address or length. Result
//! kinds are [`BuiltinResult`]'s variants, in snake case.

use cranelift_codegen::ir::{self, AbiParam, Signature, types};
use cranelift_codegen::isa::CallConv;

/// Calls `$mac!` with every builtin's row: doc, name, parameters, result
/// kind. The order is the index order, which is also the layout of the
/// runtime's table.
macro_rules! foreach_builtin {
    ($mac:ident) => {
        $mac! {
            /// `memory.grow`: the old size in pages, or `u32::MAX` (wasm's `-1`) when refused.
            memory_grow(vmctx: vmctx, memory: u32, delta: u32) -> value_or_trap;
            /// `memory.fill`.
            memory_fill(vmctx: vmctx, memory: u32, dst: u64, value: u32, len: u64) -> trap_code;
            /// `memory.copy`.
            memory_copy(vmctx: vmctx, dst_memory: u32, src_memory: u32, dst: u64, src: u64, len: u64) -> trap_code;
            /// `memory.init`.
            memory_init(vmctx: vmctx, memory: u32, data: u32, dst: u64, src: u32, len: u32) -> trap_code;
            /// `data.drop`.
            data_drop(vmctx: vmctx, data: u32) -> none;
            /// `table.grow`: as `memory.grow`, in elements.
            table_grow(vmctx: vmctx, table: u32, init: ptr, delta: u32) -> value_or_trap;
            /// `table.fill`.
            table_fill(vmctx: vmctx, table: u32, dst: u32, value: ptr, len: u32) -> trap_code;
            /// `table.copy`.
            table_copy(vmctx: vmctx, dst_table: u32, src_table: u32, dst: u32, src: u32, len: u32) -> trap_code;
            /// `table.init`.
            table_init(vmctx: vmctx, table: u32, elem: u32, dst: u32, src: u32, len: u32) -> trap_code;
            /// `elem.drop`.
            elem_drop(vmctx: vmctx, elem: u32) -> none;
            /// `memory.atomic.notify`: the number of woken waiters.
            memory_atomic_notify(vmctx: vmctx, memory: u32, addr: u64, count: u32) -> value_or_trap;
            /// `memory.atomic.wait32`: 0 ok, 1 not-equal, 2 timed-out.
            memory_atomic_wait32(vmctx: vmctx, memory: u32, addr: u64, expected: u32, timeout: i64) -> value_or_trap;
            /// `memory.atomic.wait64`: as `wait32`.
            memory_atomic_wait64(vmctx: vmctx, memory: u32, addr: u64, expected: u64, timeout: i64) -> value_or_trap;
            /// The epoch deadline was reached (or the group interrupted).
            epoch_interrupt(vmctx: vmctx) -> trap_code;
            /// A trap starts in function `func` (of the caller's module): records
            /// where, as the backtrace's first frame. Called from the function's
            /// cold `raise` exit only.
            trap_raise(vmctx: vmctx, func: u32) -> none;
            /// A trap a callee returned passes through function `func`: appends it
            /// to the backtrace. Called from the cold `propagate` exit only.
            trap_propagate(vmctx: vmctx, func: u32) -> none;
        }
    };
}

pub(crate) use foreach_builtin;

/// What a builtin returns, hence how the call site checks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BuiltinResult {
    /// A `u32` trap code, `0` for none: the call site raises a non-zero one.
    TrapCode,
    /// An `i64`: non-negative is the operator's `i32` result (its bit
    /// pattern, so a grow's `-1` sentinel travels as `u32::MAX`, never
    /// mistaken for a trap), negative the negated trap code to raise.
    ValueOrTrap,
    /// Nothing: the builtin cannot fail.
    None,
}

macro_rules! clif_param {
    (vmctx, $ptr:expr) => {
        $ptr
    };
    (ptr, $ptr:expr) => {
        $ptr
    };
    (u32, $ptr:expr) => {
        types::I32
    };
    (i32, $ptr:expr) => {
        types::I32
    };
    (u64, $ptr:expr) => {
        types::I64
    };
    (i64, $ptr:expr) => {
        types::I64
    };
}

macro_rules! result_kind {
    (trap_code) => {
        BuiltinResult::TrapCode
    };
    (value_or_trap) => {
        BuiltinResult::ValueOrTrap
    };
    (none) => {
        BuiltinResult::None
    };
}

macro_rules! declare_builtins {
    ($( $(#[$doc:meta])* $name:ident($($param:ident: $kind:ident),*) -> $result:ident; )*) => {
        /// A runtime function callable from generated code; the
        /// discriminant is its index in the runtime's table.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[allow(non_camel_case_types, reason = "variants are named after their Rust entry points")]
        pub(crate) enum Builtin {
            $( $(#[$doc])* $name, )*
        }

        impl Builtin {
            /// Every builtin, in index order.
            #[cfg(test)]
            pub(crate) const ALL: &'static [Builtin] = &[$(Builtin::$name,)*];

            /// Its result kind.
            pub(crate) fn result(self) -> BuiltinResult {
                match self {
                    $( Builtin::$name => result_kind!($result), )*
                }
            }

            /// The Cranelift signature generated code calls it with.
            pub(crate) fn signature(self, pointer: ir::Type, call_conv: CallConv) -> Signature {
                let mut sig = Signature::new(call_conv);
                match self {
                    $(Builtin::$name => {
                        $(
                            let _ = stringify!($param);
                            sig.params.push(AbiParam::new(clif_param!($kind, pointer)));
                        )*
                    })*
                }
                match self.result() {
                    BuiltinResult::TrapCode => sig.returns.push(AbiParam::new(types::I32)),
                    BuiltinResult::ValueOrTrap => sig.returns.push(AbiParam::new(types::I64)),
                    BuiltinResult::None => {}
                }
                sig
            }
        }
    };
}

foreach_builtin!(declare_builtins);

impl Builtin {
    /// Its index in the runtime's table of function pointers.
    pub(crate) fn index(self) -> u32 {
        self as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types(params: &[AbiParam]) -> Vec<ir::Type> {
        params.iter().map(|p| p.value_type).collect()
    }

    #[test]
    fn every_builtin_takes_vmctx_first_and_returns_by_its_kind() {
        for &b in Builtin::ALL {
            let sig = b.signature(types::I64, CallConv::SystemV);
            assert_eq!(sig.params[0].value_type, types::I64, "{b:?}");
            let expected: &[ir::Type] = match b.result() {
                BuiltinResult::TrapCode => &[types::I32],
                BuiltinResult::ValueOrTrap => &[types::I64],
                BuiltinResult::None => &[],
            };
            assert_eq!(types(&sig.returns), expected, "{b:?}");
        }
    }

    #[test]
    fn rows_give_the_signatures_the_translator_passes() {
        use types::{I32, I64};
        let sig = |b: Builtin| b.signature(I64, CallConv::SystemV);
        let wait32 = sig(Builtin::memory_atomic_wait32);
        assert_eq!(types(&wait32.params), [I64, I32, I64, I32, I64]);
        assert_eq!(
            Builtin::memory_atomic_wait32.result(),
            BuiltinResult::ValueOrTrap
        );
        let fill = sig(Builtin::table_fill);
        assert_eq!(types(&fill.params), [I64, I32, I32, I64, I32]);
        assert_eq!(Builtin::table_fill.result(), BuiltinResult::TrapCode);
        assert_eq!(Builtin::memory_grow.result(), BuiltinResult::ValueOrTrap);
        assert_eq!(Builtin::elem_drop.result(), BuiltinResult::None);
        assert_eq!(types(&sig(Builtin::epoch_interrupt).params), [I64]);
    }

    #[test]
    fn indices_are_dense_in_declaration_order() {
        for (i, &b) in Builtin::ALL.iter().enumerate() {
            assert_eq!(b.index() as usize, i, "{b:?}");
        }
    }
}
