//! A plain, spec-shaped WebAssembly interpreter: the oracle that weft's JIT
//! is checked against.
//!
//! It covers Wasm 2.0 (sign extension, non-trapping float-to-int,
//! multi-value, mutable globals, bulk memory, reference types, fixed-width
//! SIMD: `simd/`) plus the threads proposal (shared memories, atomics, wait/notify across OS
//! threads). It is independent of `weft-core` and `weft` on purpose: an
//! oracle that shares code with what it checks checks nothing there.
//!
//! # How it works
//!
//! * [`Module::new`] validates with `wasmparser` and compiles each body once
//!   into an internal instruction vector whose branches already know their
//!   target index and the stack height to cut back to (`compile.rs`).
//! * [`Instance::new`] links imports (spec subtyping rules for limits,
//!   global mutability and exact function types), allocates, runs element
//!   and data segment initialization, then the start function.
//! * Execution (`exec.rs`) is one loop over an explicit frame stack: wasm
//!   calls never recurse natively, so deep recursion ends in a
//!   `call stack exhausted` trap, never a crash. Host functions may call
//!   back in; that nesting is bounded too.
//! * Each memory is one `Mutex<Vec<u8>>`: every access is atomic and
//!   sequentially consistent, trivially. `wait`/`notify` use one FIFO queue
//!   of parked waiters per memory (`wait.rs`).
//!
//! # Types
//!
//! Type descriptions are `wasmparser`'s own ([`ValType`], [`RefType`],
//! [`FuncType`], [`TableType`], [`MemoryType`], [`GlobalType`]), re-exported
//! here, so that the spec runner and the differential harness can pass
//! types between the two engines without conversion.
//!
//! # Limits
//!
//! Resource limits are the interpreter's own, and where the spec leaves a
//! choice it takes the conservative one: call depth is bounded by
//! [`MAX_FRAMES`] and [`MAX_VALUES`] (then `call stack exhausted`), host
//! re-entry by [`MAX_NESTING`]; memories allocate at most
//! [`ALLOCATION_LIMIT_PAGES`] and tables [`ALLOCATION_LIMIT_ELEMENTS`]
//! (then `memory.grow`/`table.grow` return -1, and larger minimums fail
//! instantiation with [`InstantiationError::Resource`]). A differential
//! comparison should treat stack and resource exhaustion as
//! engine-dependent outcomes.
//!
//! # Lifetimes
//!
//! Handles are reference counted, and every handle keeps alive what it can
//! reach: a `FuncRef` its instance, an exported table or global the
//! instance that defined it. An instance is freed when the last handle into
//! it goes, even if its own tables, globals or element segments hold its
//! own functions: those entries are weak (see `slot.rs`), so an instance
//! never owns itself and a fuzzer can create millions. What is not broken
//! is a cycle *between* instances (each storing the other's functions in
//! tables or globals it owns); such a pair lives until the process ends.
//!
//! ```
//! use weft_verify::interp::{Instance, Module, Value};
//! let wasm = wat::parse_str(r#"(module (func (export "add") (param i32 i32) (result i32)
//!     (i32.add (local.get 0) (local.get 1))))"#).unwrap();
//! let module = Module::new(&wasm).unwrap();
//! let instance = Instance::new(&module, &[]).unwrap();
//! assert_eq!(instance.invoke("add", &[Value::I32(2), Value::I32(3)]).unwrap(), vec![Value::I32(5)]);
//! ```

mod atomic;
mod call;
mod code;
mod compile;
#[cfg(feature = "coverage")]
pub mod coverage;
mod exec;
mod fuel;
mod func;
mod global;
mod instance;
mod memory;
mod module;
mod numeric;
mod simd;
mod slot;
mod table;
mod trap;
mod value;
mod wait;

pub use call::MAX_NESTING;
pub use exec::{MAX_FRAMES, MAX_VALUES};
pub use fuel::{fuel, set_fuel};
pub use func::{FuncRef, HostFn};
pub use global::GlobalRef;
pub use instance::Instance;
pub use memory::{ALLOCATION_LIMIT_PAGES, MAX_PAGES, MemoryRef, PAGE_SIZE};
pub use module::{Module, Options};
pub use table::{ALLOCATION_LIMIT_ELEMENTS, TableRef};
pub use trap::Trap;
pub use value::Value;
pub use wasmparser::{FuncType, GlobalType, MemoryType, RefType, TableType, ValType};

/// The type of an import or export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExternType {
    /// A function of this type.
    Func(FuncType),
    /// A table of this type.
    Table(TableType),
    /// A memory of this type.
    Memory(MemoryType),
    /// A global of this type.
    Global(GlobalType),
}

/// What kind of entity an export is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExternKind {
    /// A function.
    Func,
    /// A table.
    Table,
    /// A memory.
    Memory,
    /// A global.
    Global,
}

/// An entity that can be imported or exported.
#[derive(Clone, Debug)]
pub enum Extern {
    /// A function.
    Func(FuncRef),
    /// A table.
    Table(TableRef),
    /// A memory.
    Memory(MemoryRef),
    /// A global.
    Global(GlobalRef),
}

/// An error creating a module or a host-side entity.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Error(Box<ErrorKind>);

/// What went wrong, in detail.
#[derive(Debug, thiserror::Error)]
pub enum ErrorKind {
    /// The bytes are not a valid module (decoding or validation failed).
    #[error("invalid module: {message} (at offset {offset:#x}{})", in_function(*.function))]
    Invalid {
        /// wasmparser's description of the problem.
        message: String,
        /// Byte offset into the module where it was found.
        offset: u64,
        /// The function (in the whole function index space, imports first)
        /// whose body holds the problem, if it is in a body.
        function: Option<u32>,
    },
    /// Valid wasm that uses something this interpreter does not implement.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// Limits, sizes or values that are invalid or too large for a host-made
    /// memory, table or global.
    #[error("{0}")]
    Limits(String),
}

fn in_function(function: Option<u32>) -> String {
    function.map_or(String::new(), |f| format!(", in function {f}"))
}

impl Error {
    pub(crate) fn new(kind: ErrorKind) -> Error {
        Error(Box::new(kind))
    }

    /// Records that the error was found in the body of function `index`.
    pub(crate) fn in_function(mut self, index: u32) -> Error {
        match &mut *self.0 {
            ErrorKind::Invalid { function, .. } => *function = Some(index),
            ErrorKind::Unsupported(what) => what.push_str(&in_function(Some(index))),
            ErrorKind::Limits(_) => {}
        }
        self
    }

    /// The detailed kind of this error.
    pub fn kind(&self) -> &ErrorKind {
        &self.0
    }

    pub(crate) fn invalid(e: wasmparser::BinaryReaderError) -> Error {
        Error::new(ErrorKind::Invalid {
            message: e.message().to_string(),
            offset: e.offset(),
            function: None,
        })
    }
}

impl From<wasmparser::BinaryReaderError> for Error {
    fn from(e: wasmparser::BinaryReaderError) -> Error {
        Error::invalid(e)
    }
}

/// Why instantiation failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InstantiationError {
    /// The imports do not match the module's declared imports. The message
    /// starts with the spec's wording (`unknown import`,
    /// `incompatible import type`).
    #[error("{0}")]
    Link(String),
    /// A memory or table could not be allocated within the interpreter's
    /// limits.
    #[error("{0}")]
    Resource(String),
    /// Segment initialization or the start function trapped.
    #[error("{0}")]
    Trap(Trap),
}
