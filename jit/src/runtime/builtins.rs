//! The runtime's table of builtins: one function pointer per row of
//! `foreach_builtin!`, in index order, reached by generated code through
//! the `VMContext` header (`weft_core::vm::VMCTX_BUILTIN_FUNCTIONS_OFFSET`).
//!
//! Each field is typed with the row's Rust signature and initialized with
//! the entry point in [`libcalls`], so an entry point whose parameters or
//! result drift from its row is a type error here, not a miscompiled call.
//! One `static` serves every instance: the table holds code addresses
//! only, no per-instance state.

use crate::builtins::foreach_builtin;
use crate::runtime::libcalls;

/// The Rust type of a parameter kind.
macro_rules! rust_param {
    (vmctx) => { *mut u8 };
    (ptr) => { usize };
    (u32) => { u32 };
    (i32) => { i32 };
    (u64) => { u64 };
    (i64) => { i64 };
}

/// A builtin's Rust function pointer type, by its parameters and result
/// kind.
macro_rules! rust_fn {
    (($($kind:ident),*) -> trap_code) => {
        unsafe extern "C" fn($(rust_param!($kind)),*) -> u32
    };
    (($($kind:ident),*) -> value_or_trap) => {
        unsafe extern "C" fn($(rust_param!($kind)),*) -> i64
    };
    (($($kind:ident),*) -> none) => {
        unsafe extern "C" fn($(rust_param!($kind)),*)
    };
}

macro_rules! define_builtin_table {
    ($( $(#[$doc:meta])* $name:ident($($param:ident: $kind:ident),*) -> $result:ident; )*) => {
        /// Every builtin's entry point; field `i` is builtin index `i`, so
        /// its offset is `i` pointers (a test checks it).
        #[repr(C)]
        pub(crate) struct VMBuiltinFunctions {
            $( $(#[$doc])* $name: rust_fn!(($($kind),*) -> $result), )*
        }

        /// The one table every `VMContext` points at.
        pub(crate) static BUILTIN_FUNCTIONS: VMBuiltinFunctions = VMBuiltinFunctions {
            $( $name: libcalls::$name, )*
        };

        #[cfg(test)]
        mod layout_tests {
            use std::mem::{offset_of, size_of};

            use super::*;
            use crate::builtins::Builtin;

            #[test]
            fn each_entry_sits_at_its_index() {
                assert_eq!(
                    size_of::<VMBuiltinFunctions>(),
                    Builtin::ALL.len() * size_of::<usize>(),
                );
                $(
                    assert_eq!(
                        offset_of!(VMBuiltinFunctions, $name),
                        Builtin::$name.index() as usize * size_of::<usize>(),
                        stringify!($name),
                    );
                )*
            }
        }
    };
}

foreach_builtin!(define_builtin_table);

/// The table's address, as the `VMContext` header stores it.
pub(crate) fn table() -> *const VMBuiltinFunctions {
    &raw const BUILTIN_FUNCTIONS
}
