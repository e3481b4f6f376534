//! The weft side, configured like the wasmtime side: threads on, everything
//! else at weft's defaults (Cranelift at `speed`, parallel compilation).

use anyhow::Result;
use weft::{
    Config, Engine, Extern, Instance, Memory, MemoryType, Module, SharedMemory, Store, TypedFunc,
};

use super::Runtime;

/// One weft engine.
pub struct WeftRuntime {
    engine: Engine,
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
        let mut config = Config::new();
        config
            .wasm_threads(true)
            .parallel_compilation(parallel_compile);
        Ok(WeftRuntime {
            engine: Engine::new(&config)?,
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
}
