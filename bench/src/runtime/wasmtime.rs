//! The wasmtime side, configured as an embedder would for threads: the
//! threads proposal and shared memories on, everything else at its defaults
//! (Cranelift at `speed`, parallel compilation, signal-based bounds checks).

use std::sync::OnceLock;

use anyhow::{Result, anyhow, bail};
use wasmtime::{
    Config, Engine, Extern, Instance, MemoryType, Module, SharedMemory, Store, TypedFunc,
};

use super::{Interrupter, Interruption, Runtime};

/// wasmtime's errors do not implement `std::error::Error`, so they are
/// carried over as their full (`{:#}`) message.
fn carry<T>(result: wasmtime::Result<T>) -> Result<T> {
    result.map_err(|e| anyhow!("wasmtime: {e:#}"))
}

/// One wasmtime engine.
pub struct WasmtimeRuntime {
    engine: Engine,
    mode: Interruption,
    explicit_bounds_checks: bool,
    parallel_compile: bool,
    /// The epoch, fuel and serial-compile variants, made on first use.
    variants: [OnceLock<Box<WasmtimeRuntime>>; 3],
}

/// A wasmtime store holding one instance.
pub struct WasmtimeInstance {
    store: Store<()>,
    instance: Instance,
}

impl WasmtimeRuntime {
    /// An engine with threads and shared memory enabled, compiling on
    /// several threads if `parallel_compile`. With `explicit_bounds_checks`,
    /// wasmtime is told not to rely on signals and guard pages (memories
    /// still reserve their address space up front, so bases do not move),
    /// so it bounds-checks every access as weft does: the configuration that
    /// isolates the cost of that one design choice.
    pub fn new(explicit_bounds_checks: bool, parallel_compile: bool) -> Result<WasmtimeRuntime> {
        Self::with_mode(explicit_bounds_checks, parallel_compile, Interruption::None)
    }

    fn with_mode(
        explicit_bounds_checks: bool,
        parallel_compile: bool,
        mode: Interruption,
    ) -> Result<WasmtimeRuntime> {
        let mut config = Config::new();
        config
            .wasm_threads(true)
            .shared_memory(true)
            .parallel_compilation(parallel_compile)
            .epoch_interruption(mode == Interruption::Epoch)
            .consume_fuel(mode == Interruption::Fuel);
        if explicit_bounds_checks {
            config.signals_based_traps(false).memory_guard_size(0);
        }
        let engine = carry(Engine::new(&config))?;
        Ok(WasmtimeRuntime {
            engine,
            mode,
            explicit_bounds_checks,
            parallel_compile,
            variants: [OnceLock::new(), OnceLock::new(), OnceLock::new()],
        })
    }
}

impl Runtime for WasmtimeRuntime {
    type Module = Module;
    type Shared = SharedMemory;
    type Instance = WasmtimeInstance;
    type Func = TypedFunc<i32, i64>;

    fn compile(&self, wasm: &[u8]) -> Result<Module> {
        carry(Module::new(&self.engine, wasm))
    }

    fn shared_memory(&self, min: u32, max: u32) -> Result<SharedMemory> {
        carry(SharedMemory::new(
            &self.engine,
            MemoryType::shared(min, max),
        ))
    }

    fn instantiate(
        &self,
        module: &Module,
        memory: Option<&SharedMemory>,
    ) -> Result<WasmtimeInstance> {
        let mut store = Store::new(&self.engine, ());
        match self.mode {
            Interruption::None => {}
            Interruption::Epoch => store.set_epoch_deadline(u64::MAX),
            Interruption::Fuel => carry(store.set_fuel(u64::MAX))?,
        }
        // wasmtime takes a `SharedMemory` as an import directly.
        let imports: Vec<Extern> = memory
            .map(|shared| shared.clone().into())
            .into_iter()
            .collect();
        let instance = carry(Instance::new(&mut store, module, &imports))?;
        Ok(WasmtimeInstance { store, instance })
    }

    fn func(&self, instance: &mut WasmtimeInstance, name: &str) -> Result<Self::Func> {
        carry(
            instance
                .instance
                .get_typed_func::<i32, i64>(&mut instance.store, name),
        )
    }

    fn call(&self, instance: &mut WasmtimeInstance, func: &Self::Func, arg: i32) -> Result<i64> {
        carry(func.call(&mut instance.store, arg))
    }

    fn with_interruption(&self, mode: Interruption) -> Result<&Self> {
        match mode {
            Interruption::None => Ok(self),
            Interruption::Epoch | Interruption::Fuel => {
                let index = usize::from(mode == Interruption::Fuel);
                super::variant(&self.variants[index], || {
                    Self::with_mode(self.explicit_bounds_checks, self.parallel_compile, mode)
                })
            }
        }
    }

    fn serial_compiler(&self) -> Result<&Self> {
        if !self.parallel_compile {
            return Ok(self);
        }
        super::variant(&self.variants[2], || {
            Self::with_mode(self.explicit_bounds_checks, false, self.mode)
        })
    }

    fn export_count(&self, module: &Module) -> usize {
        module.exports().len()
    }

    fn interrupter(&self, _instance: &WasmtimeInstance) -> Result<Interrupter> {
        bail!("wasmtime cannot interrupt a blocked wait (wasmtime issue #7734)")
    }
}
