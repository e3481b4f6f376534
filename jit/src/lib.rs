//! weft: a WebAssembly runtime whose point is threads you can trust.
//!
//! weft compiles WebAssembly 2.0 (fixed-width SIMD included) and the threads proposal
//! with Cranelift and runs it with no signal handlers: every trap is an
//! explicit check in generated code that returns a code to its caller
//! (`docs/jit.md` describes the calling convention and the `VMContext`).
//! The API follows wasmtime's shape.
//!
//! ```
//! use weft::{Caller, Engine, Func, Instance, Module, Store};
//!
//! let engine = Engine::default();
//! let module = Module::new(&engine, r#"
//!     (module
//!       (import "host" "log" (func $log (param i32)))
//!       (func (export "run") (param i32) (result i32)
//!         local.get 0
//!         call $log
//!         local.get 0
//!         i32.const 1
//!         i32.add))"#)?;
//! let mut store = Store::new(&engine, Vec::new());
//! let log = Func::wrap(&mut store, |mut caller: Caller<'_, Vec<i32>>, x: i32| {
//!     caller.data_mut().push(x);
//! });
//! let instance = Instance::new(&mut store, &module, &[log.into()])?;
//! let run = instance.get_typed_func::<i32, i32>(&mut store, "run")?;
//! assert_eq!(run.call(&mut store, 41)?, 42);
//! assert_eq!(store.data(), &[41]);
//! # Ok::<(), weft::Error>(())
//! ```

#![deny(missing_docs)]

// The pipeline, in order: each stage uses only earlier stages and the
// support modules after them; only `runtime` names runtime code.
/// The host functions generated code may call: indices and signatures.
mod builtins;
/// Translates and compiles every function, in parallel, into code memory.
mod compile;
/// Reads and validates a module's sections into a `ModuleInfo`.
mod environ;
/// `Module`: a compiled module, its code and what instances need of it.
mod module;
/// Stores, instances, the objects they own and the builtins' entry points.
mod runtime;
/// Wasm operators to Cranelift IR, one module per instruction family.
mod translate;

/// `Config`: the engine's features and compiler settings.
mod config;
/// `Engine`: the configuration, the target ISA and the signature registry.
mod engine;
/// weft's error type.
mod error;
/// Typed indices for the module's function, type, table, memory, global
/// and segment spaces.
mod index;
/// `Linker`: imports by name.
mod linker;
// Trap codes and the `Trap` error (documented in the module).
pub mod trap;
/// Value, function, memory, table and global types.
mod types;
// Running `.wast` scripts on weft (documented in the module).
#[cfg(feature = "wast")]
pub mod wast;

pub use config::{Config, OptLevel};
pub use engine::Engine;
pub use error::{Error, ErrorKind, Result};
pub use linker::Linker;
pub use module::Module;
pub use runtime::func::{
    Caller, DynHostFn, Func, HostResults, IntoFunc, TypedFunc, WasmParams, WasmResults,
    WasmResultsInto, WasmTy,
};
pub use runtime::global::Global;
pub use runtime::instance::{Extern, Instance};
pub use runtime::interrupt::{InterruptHandle, UpdateDeadline};
pub use runtime::limits::{
    DEFAULT_INSTANCE_LIMIT, DEFAULT_MEMORY_LIMIT, DEFAULT_TABLE_LIMIT, ResourceLimiter,
    StoreLimits, StoreLimitsBuilder,
};
pub use runtime::memory::{Memory, SharedMemory};
pub use runtime::shared_atomics::WaitResult;
pub use runtime::store::{AsContext, AsContextMut, Store, StoreContext, StoreContextMut};
pub use runtime::table::Table;
pub use runtime::values::{ExternRef, V128, Val};
pub use trap::{Trap, TrapCode, TrapFrame};
pub use types::{ExternType, FuncType, GlobalType, MemoryType, TableType, ValType};

/// The README's Rust examples, compiled and run as doctests so that its
/// claims stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
