//! The `spectest` host module that spec scripts import from.
//!
//! Its contents are fixed by the spec's reference interpreter: print
//! functions, four globals, a table, a memory, and (for the threads proposal)
//! a shared memory. The items are described engine-neutrally here and created
//! by each engine through [`Engine::host`](crate::engine::Engine::host).
//!
//! The print functions discard their arguments: test output would otherwise
//! drown in the thousands of calls the suite makes, and nothing checks it.

use std::sync::Arc;

use crate::engine::{HostFunc, HostItem, RefType, Val, ValType};

/// Name of the shared memory export. It is created once per script and the
/// same memory is handed to every thread, so threads that import it from
/// `spectest` see one memory.
pub(crate) const SHARED_MEMORY: &str = "shared_memory";

/// Every `spectest` export except [`SHARED_MEMORY`], by name.
pub(crate) fn thread_local_items() -> Vec<(&'static str, HostItem)> {
    use ValType::{F32, F64, I32, I64};
    vec![
        ("print", print(&[])),
        ("print_i32", print(&[I32])),
        ("print_i64", print(&[I64])),
        ("print_f32", print(&[F32])),
        ("print_f64", print(&[F64])),
        ("print_i32_f32", print(&[I32, F32])),
        ("print_f64_f64", print(&[F64, F64])),
        ("global_i32", global(I32, Val::I32(666))),
        ("global_i64", global(I64, Val::I64(666))),
        ("global_f32", global(F32, Val::F32(666.6f32.to_bits()))),
        ("global_f64", global(F64, Val::F64(666.6f64.to_bits()))),
        (
            "table",
            HostItem::Table {
                elem: RefType::Func,
                min: 10,
                max: Some(20),
            },
        ),
        (
            "memory",
            HostItem::Memory {
                min: 1,
                max: Some(2),
                shared: false,
            },
        ),
    ]
}

/// The `spectest.shared_memory` item: one page, at most one page, shared.
pub(crate) fn shared_memory() -> HostItem {
    HostItem::Memory {
        min: 1,
        max: Some(1),
        shared: true,
    }
}

fn print(params: &[ValType]) -> HostItem {
    HostItem::Func(HostFunc {
        params: params.to_vec(),
        results: Vec::new(),
        body: Arc::new(|_args| Vec::new()),
    })
}

fn global(ty: ValType, value: Val) -> HostItem {
    HostItem::Global {
        ty,
        mutable: false,
        value,
    }
}
