//! The one interface every benchmark is written against, so that weft and
//! wasmtime run exactly the same steps on exactly the same bytes.
//!
//! The interface is deliberately narrow: every kernel export has the type
//! `(i32) -> i64` (an iteration count or size in, a checkable result out), and
//! the only import a kernel may have is `env.memory`, a shared memory the host
//! created. That is enough for every benchmark here, and it keeps the two
//! implementations small enough to read side by side.

use std::sync::OnceLock;

use anyhow::{Context, Result};

mod wasmtime;
#[cfg(feature = "weft")]
mod weft;

pub use self::wasmtime::WasmtimeRuntime;
#[cfg(feature = "weft")]
pub use self::weft::WeftRuntime;

/// What stops running code, for the `_epoch` and `_fuel` rows: each
/// runtime's own feature, configured as its docs say (an epoch check or a
/// fuel counter compiled in; the store's deadline or fuel set so that it
/// never triggers), so the rows measure what the checks cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interruption {
    /// Neither (every other row).
    None,
    /// `Config::epoch_interruption(true)`, deadline `u64::MAX`.
    Epoch,
    /// `Config::consume_fuel(true)`, fuel `u64::MAX`.
    Fuel,
}

/// Interrupts the store of one instance from another thread.
pub type Interrupter = Box<dyn Fn() + Send + Sync>;

/// A WebAssembly runtime under measurement.
///
/// `Sync` because threaded benchmarks share one runtime (one engine) among
/// host threads, each with its own instance, as embedders do.
pub trait Runtime: Sync {
    /// A compiled module, shareable across threads.
    type Module: Send + Sync;
    /// A shared linear memory the host can hand to several instances.
    type Shared: Clone + Send + Sync;
    /// An instance together with the store that owns it.
    type Instance: Send;
    /// A typed handle to an `(i32) -> i64` export, looked up once so that
    /// name lookup stays out of the timed region.
    type Func: Clone + Send + Sync;

    /// Validates and compiles `wasm` (binary).
    fn compile(&self, wasm: &[u8]) -> Result<Self::Module>;

    /// Creates a shared memory of `min..=max` 64 KiB pages.
    fn shared_memory(&self, min: u32, max: u32) -> Result<Self::Shared>;

    /// Instantiates `module` in a fresh store; `memory`, if given, satisfies
    /// the import `env.memory`.
    fn instantiate(
        &self,
        module: &Self::Module,
        memory: Option<&Self::Shared>,
    ) -> Result<Self::Instance>;

    /// Looks up the export `name`, which must have type `(i32) -> i64`.
    fn func(&self, instance: &mut Self::Instance, name: &str) -> Result<Self::Func>;

    /// Calls `func` with `arg`; a trap is an `Err`.
    fn call(&self, instance: &mut Self::Instance, func: &Self::Func, arg: i32) -> Result<i64>;

    /// The same runtime with `mode` on: a second engine, created on first
    /// use and kept, so that compile and instantiate stay outside the
    /// timed region as everywhere else.
    fn with_interruption(&self, mode: Interruption) -> Result<&Self>;

    /// The same runtime (same interruption mode) compiling on the calling
    /// thread only: itself if it already does. For the real modules'
    /// `_serial` rows, which separate per-function work from scheduling.
    fn serial_compiler(&self) -> Result<&Self>;

    /// How many exports `module` declares: a compile row's check that both
    /// runtimes read the same whole module.
    fn export_count(&self, module: &Self::Module) -> usize;

    /// A way to interrupt `instance`'s store, waits included, from another
    /// thread; `Err` (the row's n/a reason) if the runtime has none.
    fn interrupter(&self, instance: &Self::Instance) -> Result<Interrupter>;
}

/// Looks up `name` on `instance` and calls it once: for set-up and result
/// checks, never inside a timed region.
pub fn call_once<R: Runtime>(
    runtime: &R,
    instance: &mut R::Instance,
    name: &str,
    arg: i32,
) -> Result<i64> {
    let func = runtime.func(instance, name)?;
    runtime.call(instance, &func, arg)
}

/// The engine variant in `cell`, made by `make` on first use and kept, so
/// that compiling and instantiating with it stays outside timed regions.
fn variant<R>(cell: &OnceLock<Box<R>>, make: impl FnOnce() -> Result<R>) -> Result<&R> {
    if cell.get().is_none() {
        // Only the driver's thread sets up benchmarks: a lost race is
        // impossible, and harmless (the other variant is dropped).
        let _ = cell.set(Box::new(make()?));
    }
    cell.get()
        .map(|boxed| &**boxed)
        .context("the variant was just set")
}
