//! The contract between the `.wast` runner and an engine that executes wasm.
//!
//! The runner owns everything a script means (names, registrations, imports,
//! expected results, threads); an engine only compiles, instantiates, calls and
//! reads globals. Keeping the trait this small is what lets two very different
//! engines sit behind it: the reference interpreter, whose instances are plain
//! `Send + Sync` values, and the JIT, whose instances live in a per-thread
//! `Store`.
//!
//! # Threads
//!
//! A `(thread $T (shared (module $M)) ...)` directive runs its commands on a
//! fresh OS thread. The only things that cross from one thread to another are
//! [`Engine::Extern`] values: when the thread starts, the runner takes the
//! exports of `$M` (as returned by [`Engine::exports`] on the parent thread)
//! and the `spectest` shared memory, clones them, and moves them to the new
//! thread. Everything else a thread uses — compiled modules, instances, the
//! rest of the `spectest` items — is created on that thread through the same
//! `&Engine`. So:
//!
//! - an engine must be `Sync` (every thread calls it through a shared
//!   reference);
//! - [`Engine::Extern`] must be `Clone + Send`;
//! - [`Engine::Module`] and [`Engine::Instance`] need be neither: they never
//!   leave the thread that made them.
//!
//! An engine whose instances are bound to a per-thread store may still refuse
//! to use an extern on a thread other than the one that made it (a function of
//! another store, say): it reports that as an [`InstantiateError::Link`] from
//! [`Engine::instantiate`] or a [`CallError::Failed`] from [`Engine::call`],
//! never by panicking. Shared memories, which are the point of the threads
//! proposal, must work from any thread.

use std::fmt;
use std::sync::Arc;

/// A value crossing the runner/engine boundary, independent of either
/// engine's own value type.
///
/// Floats are carried as bits so that NaN payloads survive the trip: the
/// spec tests check them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Val {
    /// An `i32`.
    I32(i32),
    /// An `i64`.
    I64(i64),
    /// An `f32`, as its bit pattern.
    F32(u32),
    /// An `f64`, as its bit pattern.
    F64(u64),
    /// A `v128`: its 16 bytes as one little-endian number, so lane 0 of any
    /// shape is in the low bits (`(bits >> (lane * width)) as uN`).
    V128(u128),
    /// A null reference of the given type.
    NullRef(RefType),
    /// A non-null function reference. Scripts can only observe that a
    /// function reference is non-null, so the runner never needs its
    /// identity; engines may refuse it as an argument.
    FuncRef,
    /// A non-null external reference carrying the host value of
    /// `ref.extern N`.
    ExternRef(u32),
}

/// The reference types the runner knows about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefType {
    /// `funcref`.
    Func,
    /// `externref`.
    Extern,
}

/// The value types the runner needs to describe host items.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValType {
    /// `i32`.
    I32,
    /// `i64`.
    I64,
    /// `f32`.
    F32,
    /// `f64`.
    F64,
    /// A reference type.
    Ref(RefType),
}

impl fmt::Display for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Val::I32(v) => write!(f, "i32:{v}"),
            Val::I64(v) => write!(f, "i64:{v}"),
            Val::F32(bits) => write!(f, "f32:{} (0x{bits:08x})", f32::from_bits(*bits)),
            Val::F64(bits) => write!(f, "f64:{} (0x{bits:016x})", f64::from_bits(*bits)),
            Val::V128(bits) => write!(f, "v128:0x{bits:032x}"),
            Val::NullRef(RefType::Func) => f.write_str("ref.null func"),
            Val::NullRef(RefType::Extern) => f.write_str("ref.null extern"),
            Val::FuncRef => f.write_str("ref.func"),
            Val::ExternRef(n) => write!(f, "ref.extern {n}"),
        }
    }
}

/// The body of a host function: it receives arguments already checked
/// against the declared parameter types and returns its results.
///
/// Host functions in the spec harness cannot fail, so the body returns plain
/// values; the engine wraps them in whatever its own host-call shape needs.
pub type HostBody = Arc<dyn Fn(&[Val]) -> Vec<Val> + Send + Sync>;

/// A host function described independently of any engine.
#[derive(Clone)]
pub struct HostFunc {
    /// Parameter types, in order.
    pub params: Vec<ValType>,
    /// Result types, in order.
    pub results: Vec<ValType>,
    /// What the function does.
    pub body: HostBody,
}

impl fmt::Debug for HostFunc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostFunc")
            .field("params", &self.params)
            .field("results", &self.results)
            .finish_non_exhaustive()
    }
}

/// An item the runner asks an engine to create on the host side, such as the
/// members of the `spectest` module.
#[derive(Clone, Debug)]
pub enum HostItem {
    /// A function.
    Func(HostFunc),
    /// A global with an initial value.
    Global {
        /// Its type.
        ty: ValType,
        /// Whether wasm may write it.
        mutable: bool,
        /// Its initial value (of type `ty`).
        value: Val,
    },
    /// A linear memory, sizes in 64 KiB pages.
    Memory {
        /// Initial size in pages.
        min: u64,
        /// Maximum size in pages, if any.
        max: Option<u64>,
        /// Whether it is a shared memory (threads proposal).
        shared: bool,
    },
    /// A table, filled with null references.
    Table {
        /// Element type.
        elem: RefType,
        /// Initial size in elements.
        min: u64,
        /// Maximum size in elements, if any.
        max: Option<u64>,
    },
}

/// A table's limits as 32-bit element counts, which is what Wasm 2.0 tables
/// hold; every engine converts a [`HostItem::Table`]'s sizes the same way.
pub fn table_limits(min: u64, max: Option<u64>) -> Result<(u32, Option<u32>), String> {
    let min = u32::try_from(min).map_err(|_| format!("table size {min} is too large"))?;
    let max = max
        .map(|m| u32::try_from(m).map_err(|_| format!("table maximum {m} is too large")))
        .transpose()?;
    Ok((min, max))
}

/// Why compiling module bytes failed: decoding or validation. The message is
/// the engine's own and is only reported, never compared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileError(pub String);

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why instantiation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InstantiateError {
    /// An import did not fit its declaration (wrong kind, wrong type, limits
    /// out of range) or could not be used: what `assert_unlinkable` expects.
    Link(String),
    /// A memory or table could not be allocated within the engine's limits.
    Resource(String),
    /// Instantiation ran and trapped (an out-of-bounds segment or a trap in
    /// the start function): what `assert_trap (module ...)` expects. The
    /// message is the engine's trap message.
    Trap(String),
    /// Anything else the engine reported (a host error, an API misuse):
    /// what no directive expects, `assert_unlinkable` included.
    Failed(String),
}

impl fmt::Display for InstantiateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstantiateError::Link(m) => write!(f, "link error: {m}"),
            InstantiateError::Resource(m) => write!(f, "resource limit: {m}"),
            InstantiateError::Trap(m) => write!(f, "trap: {m}"),
            InstantiateError::Failed(m) => write!(f, "failed: {m}"),
        }
    }
}

/// Why a call did not return values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallError {
    /// The wasm code trapped (including stack exhaustion); the message is the
    /// spec's wording as the engine reports it, e.g. `integer divide by zero`
    /// or `call stack exhausted`.
    Trap(String),
    /// The call could not be made at all: the extern is not a function,
    /// arguments do not fit its type, a value cannot be represented. This is
    /// a harness problem, never an expected outcome.
    Failed(String),
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Trap(m) => write!(f, "trap: {m}"),
            CallError::Failed(m) => write!(f, "call failed: {m}"),
        }
    }
}

/// An engine the runner can drive. See the [module docs](self) for the
/// threading contract.
pub trait Engine: Sync {
    /// A compiled, validated module. Stays on the thread that compiled it.
    type Module;
    /// An instance. Stays on the thread that made it; the runner keeps it
    /// alive as long as the script can still reach it.
    type Instance;
    /// An exported (or host-created) item: function, global, memory or
    /// table. This is the only engine value that crosses threads.
    type Extern: Clone + Send;

    /// The engine's name as the CLI spells it (`interp`, `jit`).
    fn name(&self) -> &'static str;

    /// Decodes and validates `wasm` (with the threads proposal enabled).
    fn compile(&self, wasm: &[u8]) -> Result<Self::Module, CompileError>;

    /// The module's imports as `(module, name)` pairs, in declaration order:
    /// the order [`Engine::instantiate`] expects its externs in.
    fn imports(&self, module: &Self::Module) -> Vec<(String, String)>;

    /// Instantiates `module` with one extern per import, in import order,
    /// running segment initialization and the start function.
    fn instantiate(
        &self,
        module: &Self::Module,
        imports: &[Self::Extern],
    ) -> Result<Self::Instance, InstantiateError>;

    /// Every export of `instance`, by name, in declaration order.
    fn exports(&self, instance: &Self::Instance) -> Vec<(String, Self::Extern)>;

    /// Calls the function `func` with `args`.
    fn call(&self, func: &Self::Extern, args: &[Val]) -> Result<Vec<Val>, CallError>;

    /// Reads the current value of the global `global`. An `Err` says why the
    /// extern cannot be read (it is not a global, its value is not
    /// representable as a [`Val`]).
    fn global_value(&self, global: &Self::Extern) -> Result<Val, String>;

    /// Creates a host item on the calling thread.
    fn host(&self, item: &HostItem) -> Result<Self::Extern, String>;
}
