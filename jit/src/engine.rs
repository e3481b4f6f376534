//! The engine: configuration, the target ISA and the signature registry.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use weft_core::wait::Epoch;

use crate::config::{Config, OptLevel};
use crate::error::{Error, Result};
use crate::types::FuncType;

/// A compilation environment shared by modules and stores.
///
/// Cheap to clone (`Arc`), `Send + Sync`. Function signatures get an
/// engine-wide canonical id here, so `call_indirect` between any two
/// instances of one engine compares one integer.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<EngineInner>,
}

struct EngineInner {
    config: Config,
    isa: OwnedTargetIsa,
    types: Mutex<TypeRegistry>,
    /// The epoch, advanced by [`Engine::increment_epoch`]; every store's
    /// `VMStoreContext` points at its counter, and the waits in progress
    /// with an epoch deadline watch it (weft-core's protocol).
    epoch: Epoch,
}

/// Interned signatures. Ids are never reused, so an id baked into code
/// stays meaningful; the registry grows with the number of distinct
/// signatures ever compiled, which real programs bound.
#[derive(Default)]
struct TypeRegistry {
    ids: HashMap<FuncType, u32>,
    types: Vec<FuncType>,
}

impl Engine {
    /// Creates an engine for the host CPU.
    pub fn new(config: &Config) -> Result<Engine> {
        let mut flags = settings::builder();
        let opt = match config.opt_level {
            OptLevel::None => "none",
            OptLevel::Speed => "speed",
            OptLevel::SpeedAndSize => "speed_and_size",
        };
        let set = |flags: &mut settings::Builder, k: &str, v: &str| {
            flags
                .set(k, v)
                .map_err(|e| Error::usage(format!("cranelift setting {k}={v}: {e}")))
        };
        set(&mut flags, "opt_level", opt)?;
        set(
            &mut flags,
            "enable_verifier",
            if config.verifier { "true" } else { "false" },
        )?;
        // Function bodies return the trap code and every wasm result in
        // registers; past the registers the platform convention has none
        // left, and this lets Cranelift add a hidden return area.
        set(&mut flags, "enable_multi_ret_implicit_sret", "true")?;
        // cranelift-jit needs absolute, non-PIC code.
        set(&mut flags, "is_pic", "false")?;
        set(&mut flags, "use_colocated_libcalls", "false")?;
        let isa_builder = cranelift_native::builder()
            .map_err(|e| Error::usage(format!("host CPU not supported: {e}")))?;
        let isa = isa_builder
            .finish(settings::Flags::new(flags))
            .map_err(|e| Error::usage(format!("building the target ISA: {e}")))?;
        Ok(Engine {
            inner: Arc::new(EngineInner {
                config: config.clone(),
                isa,
                types: Mutex::new(TypeRegistry::default()),
                epoch: Epoch::new(),
            }),
        })
    }

    /// Advances the epoch by one tick: stores whose deadline it reaches
    /// trap (or run their callback) at their next check
    /// ([`Config::epoch_interruption`]); with that option, so does a store
    /// blocked in `memory.atomic.wait32/64`, at once. Callable from any thread (a timer
    /// thread, typically); cheap: one atomic add, one fence and one load
    /// while no store waits with a deadline (see `weft_core::wait`, "Epoch
    /// deadlines").
    pub fn increment_epoch(&self) {
        self.inner.epoch.increment();
    }

    /// The current epoch.
    pub(crate) fn current_epoch(&self) -> u64 {
        self.inner.epoch.current()
    }

    /// The epoch and its watching waits.
    pub(crate) fn epoch(&self) -> &Epoch {
        &self.inner.epoch
    }

    /// The epoch counter generated code reads.
    pub(crate) fn epoch_counter(&self) -> *const u64 {
        self.inner.epoch.counter_ptr()
    }

    /// The configuration this engine was created with.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Whether two handles name the same engine.
    pub fn same(a: &Engine, b: &Engine) -> bool {
        Arc::ptr_eq(&a.inner, &b.inner)
    }

    pub(crate) fn isa(&self) -> &OwnedTargetIsa {
        &self.inner.isa
    }

    /// The canonical id of `ty`, interning it on first sight.
    pub(crate) fn type_id(&self, ty: &FuncType) -> u32 {
        let mut reg = self
            .inner
            .types
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(&id) = reg.ids.get(ty) {
            return id;
        }
        let id = u32::try_from(reg.types.len()).expect("fewer than 2^32 distinct signatures");
        reg.types.push(ty.clone());
        reg.ids.insert(ty.clone(), id);
        id
    }
}

impl Default for Engine {
    fn default() -> Engine {
        Engine::new(&Config::new()).expect("the default configuration is valid on supported hosts")
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.inner.config)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::ValType;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn engine_is_send_and_sync() {
        assert_send_sync::<Engine>();
    }

    #[test]
    fn every_opt_level_and_the_verifier_compile_and_run() {
        use crate::config::OptLevel;
        for level in [OptLevel::None, OptLevel::Speed, OptLevel::SpeedAndSize] {
            for verifier in [false, true] {
                let mut config = Config::new();
                config
                    .cranelift_opt_level(level)
                    .cranelift_debug_verifier(verifier);
                let engine = Engine::new(&config).expect("valid settings");
                let module = crate::Module::new(
                    &engine,
                    r#"(module (func (export "f") (param i32) (result i32)
                        local.get 0 i32.const 3 i32.mul))"#,
                )
                .expect("compiles");
                let mut store = crate::Store::new(&engine, ());
                let i = crate::Instance::new(&mut store, &module, &[]).expect("instantiates");
                let f = i.get_typed_func::<i32, i32>(&store, "f").expect("typed");
                assert_eq!(f.call(&mut store, 14).expect("runs"), 42, "{level:?}");
            }
        }
    }

    #[test]
    fn equal_signatures_share_an_id() {
        let engine = Engine::default();
        let a = FuncType::new([ValType::I32], [ValType::I64]);
        let b = FuncType::new([ValType::I32], [ValType::I64]);
        let c = FuncType::new([ValType::I64], [ValType::I64]);
        assert_eq!(engine.type_id(&a), engine.type_id(&b));
        assert_ne!(engine.type_id(&a), engine.type_id(&c));
    }
}
