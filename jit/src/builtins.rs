//! Host calls from generated code, declared once.
//!
//! [`foreach_builtin!`] lists every runtime function that generated code may
//! call: its name, its parameters and its result, in terms of the JIT's
//! value kinds. From that one list come the [`Builtin`] enum, the Cranelift
//! signature the translator declares, and the address of the Rust entry
//! point in `runtime::libcalls` — the latter through a typed function-pointer
//! coercion, so a Rust entry point whose signature drifts from its
//! declaration does not compile.
//!
//! Kinds: `vmctx` is the caller's `VMContext` pointer, `ptr` a
//! pointer-sized value (a table element), `i32`/`i64` integers. A builtin
//! that can trap returns a trap code (`0` for none); `wait` and `notify`
//! return a non-negative result or a negated trap code.

use cranelift_codegen::ir::{self, AbiParam, Signature, types};
use cranelift_codegen::isa::CallConv;

macro_rules! foreach_builtin {
    ($mac:ident) => {
        $mac! {
            /// `memory.grow`: the old size in pages or `u32::MAX` (wasm's `-1`), or a negated trap code (a resource limiter's error).
            memory_grow(vmctx: vmctx, memory: i32, delta: i32) -> i64;
            /// `memory.fill`: a trap code.
            memory_fill(vmctx: vmctx, memory: i32, dst: i64, value: i32, len: i64) -> i32;
            /// `memory.copy`: a trap code.
            memory_copy(vmctx: vmctx, dst_memory: i32, src_memory: i32, dst: i64, src: i64, len: i64) -> i32;
            /// `memory.init`: a trap code.
            memory_init(vmctx: vmctx, memory: i32, data: i32, dst: i64, src: i32, len: i32) -> i32;
            /// `data.drop`: always `0`.
            data_drop(vmctx: vmctx, data: i32) -> i32;
            /// `table.grow`: as `memory.grow`, in elements.
            table_grow(vmctx: vmctx, table: i32, init: ptr, delta: i32) -> i64;
            /// `table.fill`: a trap code.
            table_fill(vmctx: vmctx, table: i32, dst: i32, value: ptr, len: i32) -> i32;
            /// `table.copy`: a trap code.
            table_copy(vmctx: vmctx, dst_table: i32, src_table: i32, dst: i32, src: i32, len: i32) -> i32;
            /// `table.init`: a trap code.
            table_init(vmctx: vmctx, table: i32, elem: i32, dst: i32, src: i32, len: i32) -> i32;
            /// `elem.drop`: always `0`.
            elem_drop(vmctx: vmctx, elem: i32) -> i32;
            /// `memory.atomic.notify`: the number of woken waiters, or a negated trap code.
            memory_atomic_notify(vmctx: vmctx, memory: i32, addr: i64, count: i32) -> i64;
            /// `memory.atomic.wait32`: 0 ok, 1 not-equal, 2 timed-out, or a negated trap code.
            memory_atomic_wait32(vmctx: vmctx, memory: i32, addr: i64, expected: i32, timeout: i64) -> i64;
            /// `memory.atomic.wait64`: as `wait32`.
            memory_atomic_wait64(vmctx: vmctx, memory: i32, addr: i64, expected: i64, timeout: i64) -> i64;
            /// The epoch deadline was reached (or the group interrupted): a trap code.
            epoch_interrupt(vmctx: vmctx) -> i32;
        }
    };
}

macro_rules! clif_type {
    (vmctx, $ptr:expr) => {
        $ptr
    };
    (ptr, $ptr:expr) => {
        $ptr
    };
    (i32, $ptr:expr) => {
        types::I32
    };
    (i64, $ptr:expr) => {
        types::I64
    };
}

macro_rules! rust_type {
    (vmctx) => { *mut u8 };
    (ptr) => { usize };
    (i32) => { u32 };
    (i64) => { u64 };
}

macro_rules! declare_builtins {
    ($( $(#[$doc:meta])* $name:ident($($param:ident: $kind:ident),*) -> $ret:ident; )*) => {
        /// A runtime function callable from generated code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[allow(non_camel_case_types, reason = "variants are named after their Rust entry points")]
        pub(crate) enum Builtin {
            $( $(#[$doc])* $name, )*
        }

        impl Builtin {
            /// Every builtin, in declaration order.
            #[cfg(test)]
            pub(crate) const ALL: &'static [Builtin] = &[$(Builtin::$name,)*];

            /// The Cranelift signature generated code calls it with.
            pub(crate) fn signature(self, pointer: ir::Type, call_conv: CallConv) -> Signature {
                let mut sig = Signature::new(call_conv);
                match self {
                    $(Builtin::$name => {
                        $(
                            let _ = stringify!($param);
                            sig.params.push(AbiParam::new(clif_type!($kind, pointer)));
                        )*
                        sig.returns.push(AbiParam::new(clif_type!($ret, pointer)));
                    })*
                }
                sig
            }

            /// The address of its Rust entry point.
            pub(crate) fn address(self) -> usize {
                match self {
                    $(Builtin::$name => {
                        let entry: unsafe extern "C" fn($(rust_type!($kind)),*) -> rust_type!($ret) =
                            crate::runtime::libcalls::$name;
                        entry as usize
                    })*
                }
            }
        }
    };
}

foreach_builtin!(declare_builtins);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_takes_vmctx_first_and_has_an_address() {
        for &b in Builtin::ALL {
            let sig = b.signature(types::I64, CallConv::SystemV);
            assert_eq!(sig.params[0].value_type, types::I64, "{b:?}");
            assert_eq!(sig.returns.len(), 1, "{b:?}");
            assert_ne!(b.address(), 0, "{b:?}");
        }
    }
}
