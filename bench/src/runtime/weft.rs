//! The weft side, configured like the wasmtime side: threads on, everything
//! else at weft's defaults (Cranelift at `speed`, parallel compilation).

use std::sync::OnceLock;

use anyhow::Result;
use weft::{
    Config, Engine, Extern, Instance, Memory, MemoryType, Module, SharedMemory, Store, TypedFunc,
};

use super::{Interrupter, Interruption, Runtime};

/// One weft engine.
pub struct WeftRuntime {
    engine: Engine,
    mode: Interruption,
    parallel_compile: bool,
    /// The epoch, fuel and serial-compile variants, made on first use.
    variants: [OnceLock<Box<WeftRuntime>>; 3],
}

/// A weft store holding one instance.
pub struct WeftInstance {
    store: Store<()>,
    instance: Instance,
}

impl WeftRuntime {
    /// An engine with the threads proposal enabled, compiling on several
    /// threads if `parallel_compile`.
    pub fn new(parallel_compile: bool) -> Result<WeftRuntime> {
        Self::with_mode(parallel_compile, Interruption::None)
    }

    fn with_mode(parallel_compile: bool, mode: Interruption) -> Result<WeftRuntime> {
        let mut config = Config::new();
        config
            .wasm_threads(true)
            .parallel_compilation(parallel_compile)
            .epoch_interruption(mode == Interruption::Epoch)
            .consume_fuel(mode == Interruption::Fuel);
        Ok(WeftRuntime {
            engine: Engine::new(&config)?,
            mode,
            parallel_compile,
            variants: [OnceLock::new(), OnceLock::new(), OnceLock::new()],
        })
    }
}

impl Runtime for WeftRuntime {
    type Module = Module;
    type Shared = SharedMemory;
    type Instance = WeftInstance;
    type Func = TypedFunc<i32, i64>;

    fn compile(&self, wasm: &[u8]) -> Result<Module> {
        Ok(Module::new(&self.engine, wasm)?)
    }

    fn shared_memory(&self, min: u32, max: u32) -> Result<SharedMemory> {
        Ok(SharedMemory::new(
            &self.engine,
            MemoryType::shared(min, max),
        )?)
    }

    fn instantiate(&self, module: &Module, memory: Option<&SharedMemory>) -> Result<WeftInstance> {
        let mut store = Store::new(&self.engine, ());
        match self.mode {
            Interruption::None => {}
            Interruption::Epoch => store.set_epoch_deadline(u64::MAX),
            Interruption::Fuel => store.set_fuel(u64::MAX)?,
        }
        let imports: Vec<Extern> = match memory {
            Some(shared) => vec![Memory::from_shared_memory(&mut store, shared)?.into()],
            None => Vec::new(),
        };
        let instance = Instance::new(&mut store, module, &imports)?;
        Ok(WeftInstance { store, instance })
    }

    fn func(&self, instance: &mut WeftInstance, name: &str) -> Result<Self::Func> {
        Ok(instance
            .instance
            .get_typed_func::<i32, i64>(&instance.store, name)?)
    }

    fn call(&self, instance: &mut WeftInstance, func: &Self::Func, arg: i32) -> Result<i64> {
        Ok(func.call(&mut instance.store, arg)?)
    }

    fn with_interruption(&self, mode: Interruption) -> Result<&Self> {
        match mode {
            Interruption::None => Ok(self),
            Interruption::Epoch | Interruption::Fuel => {
                let index = usize::from(mode == Interruption::Fuel);
                super::variant(&self.variants[index], || {
                    Self::with_mode(self.parallel_compile, mode)
                })
            }
        }
    }

    fn serial_compiler(&self) -> Result<&Self> {
        if !self.parallel_compile {
            return Ok(self);
        }
        super::variant(&self.variants[2], || Self::with_mode(false, self.mode))
    }

    fn export_count(&self, module: &Module) -> usize {
        module.exports().len()
    }

    fn interrupter(&self, instance: &WeftInstance) -> Result<Interrupter> {
        let handle = instance.store.interrupt_handle();
        Ok(Box::new(move || handle.interrupt()))
    }
}
