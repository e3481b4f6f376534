//! weft's JIT as an engine of the `.wast` runner ([`weft_wast`]).
//!
//! This lives in weft rather than beside the runner so that the `weft`
//! binary can run scripts (`weft wast`) without a package cycle: `weft-wast`
//! knows no engine, `weft` plugs itself in here, and `weft-spec` uses this
//! adapter for `--engine jit`. It is behind the `wast` feature, so an
//! embedder that does not run scripts does not build the runner.
//!
//! ```
//! let engine = weft::wast::JitEngine::new()?;
//! let report = weft_wast::run_script(&engine, r#"
//!     (module (func (export "f") (result i32) i32.const 7))
//!     (assert_return (invoke "f") (i32.const 7))
//!     (assert_trap (invoke "f") "unreachable")
//! "#);
//! assert_eq!(report.passed, 2);
//! assert_eq!(report.failures[0].pos.line, 4);
//! # Ok::<(), String>(())
//! ```
//!
//! JIT objects live in a `Store`, and a store belongs to one thread at a
//! time, so this engine keeps one store per OS thread (thread-local): every
//! module a thread instantiates and every host item it creates live in that
//! thread's store, and die with the thread. Externs are store handles plus
//! shared memories; a handle used on a thread other than its store's is
//! refused with an error by weft (never a panic), while shared memories work
//! everywhere, which is what the threads proposal needs.

use std::cell::RefCell;

use weft_wast::engine::{
    CallError, CompileError, Engine as ScriptEngine, HostItem, InstantiateError, RefType, Val,
    ValType, table_limits,
};

use crate::{
    Config, Engine, ErrorKind, Extern, Func, FuncType, Global, GlobalType, Instance, Memory,
    MemoryType, Module, SharedMemory, Store, Table, TableType,
};

/// The JIT as a runner engine.
pub struct JitEngine {
    engine: Engine,
    fuel: bool,
    /// With fuel: what every instantiation and call used, on any thread.
    used: std::sync::atomic::AtomicU64,
}

impl JitEngine {
    /// A JIT engine with the threads proposal enabled.
    pub fn new() -> Result<JitEngine, String> {
        let mut config = Config::new();
        config.wasm_threads(true);
        JitEngine::with_config(&config)
    }

    /// A JIT engine built from `config`, for scripts that need proposals
    /// beyond [`JitEngine::new`]'s (the threads proposal is the caller's to
    /// enable too). With `consume_fuel`, each thread's store starts with
    /// `u64::MAX` fuel and [`fuel_used`](Self::fuel_used) counts it.
    pub fn with_config(config: &Config) -> Result<JitEngine, String> {
        let engine = Engine::new(config).map_err(|e| e.to_string())?;
        Ok(JitEngine {
            engine,
            fuel: config.consume_fuel,
            used: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// With fuel on, the fuel every instantiation and call of the script
    /// used, on every thread.
    pub fn fuel_used(&self) -> Option<u64> {
        // Relaxed: read after the script's threads were joined.
        self.fuel
            .then(|| self.used.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// Runs `f` on this thread's store, adding the fuel it used.
    fn metered<R>(&self, f: impl FnOnce(&mut Store<()>) -> R) -> R {
        self.with_store(|store| {
            let before = store.get_fuel().ok();
            let result = f(store);
            if let (Some(before), Ok(after)) = (before, store.get_fuel()) {
                self.used.fetch_add(
                    before.saturating_sub(after),
                    std::sync::atomic::Ordering::Relaxed,
                );
            }
            result
        })
    }

    /// Runs `f` with this thread's store, creating it on first use.
    fn with_store<R>(&self, f: impl FnOnce(&mut Store<()>) -> R) -> R {
        thread_local! {
            static STORE: RefCell<Option<Store<()>>> = const { RefCell::new(None) };
        }
        STORE.with(|cell| {
            let mut slot = cell.borrow_mut();
            let store = match &mut *slot {
                Some(s) if Engine::same(s.engine(), &self.engine) => s,
                _ => {
                    let mut store = Store::new(&self.engine, ());
                    if self.fuel {
                        // Fuel is on for this engine: cannot fail.
                        let _ = store.set_fuel(u64::MAX);
                    }
                    slot.insert(store)
                }
            };
            f(store)
        })
    }
}

impl ScriptEngine for JitEngine {
    type Module = Module;
    type Instance = Instance;
    type Extern = Extern;

    fn name(&self) -> &'static str {
        "jit"
    }

    fn compile(&self, wasm: &[u8]) -> Result<Module, CompileError> {
        Module::from_binary(&self.engine, wasm).map_err(|e| CompileError(e.to_string()))
    }

    fn imports(&self, module: &Module) -> Vec<(String, String)> {
        module
            .imports()
            .map(|(m, n, _)| (m.to_string(), n.to_string()))
            .collect()
    }

    fn instantiate(
        &self,
        module: &Module,
        imports: &[Extern],
    ) -> Result<Instance, InstantiateError> {
        self.metered(|store| {
            Instance::new(store, module, imports).map_err(|e| match e.kind() {
                ErrorKind::Trap(t) => InstantiateError::Trap(t.to_string()),
                ErrorKind::Link(m) if m.starts_with("creating") => {
                    InstantiateError::Resource(m.clone())
                }
                ErrorKind::Link(_) => InstantiateError::Link(e.to_string()),
                // A host error or a usage error is no link error: reporting
                // it as one would let `assert_unlinkable` pass on anything.
                _ => InstantiateError::Failed(e.to_string()),
            })
        })
    }

    fn exports(&self, instance: &Instance) -> Vec<(String, Extern)> {
        self.with_store(|store| instance.exports(&*store))
    }

    fn call(&self, func: &Extern, args: &[Val]) -> Result<Vec<Val>, CallError> {
        let Extern::Func(func) = func else {
            return Err(CallError::Failed("the export is not a function".into()));
        };
        self.metered(|store| {
            let ty = func
                .ty(&*store)
                .map_err(|e| CallError::Failed(e.to_string()))?;
            let args = args
                .iter()
                .map(|v| to_weft(*v))
                .collect::<Result<Vec<_>, _>>()
                .map_err(CallError::Failed)?;
            let mut results: Vec<crate::Val> = ty
                .results()
                .iter()
                .map(|t| crate::Val::default_for(*t))
                .collect();
            match func.call(&mut *store, &args, &mut results) {
                Ok(()) => results
                    .iter()
                    .map(from_weft)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(CallError::Failed),
                Err(e) => match e.as_trap() {
                    Some(t) => Err(CallError::Trap(t.to_string())),
                    None => Err(CallError::Failed(e.to_string())),
                },
            }
        })
    }

    fn global_value(&self, global: &Extern) -> Result<Val, String> {
        let Extern::Global(global) = global else {
            return Err("the export is not a global".into());
        };
        self.with_store(|store| {
            let v = global.get(&*store).map_err(|e| e.to_string())?;
            from_weft(&v)
        })
    }

    fn host(&self, item: &HostItem) -> Result<Extern, String> {
        self.with_store(|store| match item {
            HostItem::Func(func) => {
                let ty = FuncType::new(
                    func.params.iter().map(|t| val_type(*t)),
                    func.results.iter().map(|t| val_type(*t)),
                );
                let body = func.body.clone();
                Ok(Extern::Func(Func::new(
                    &mut *store,
                    ty,
                    move |_caller, params, results| {
                        let args = params
                            .iter()
                            .map(from_weft)
                            .collect::<Result<Vec<_>, _>>()
                            .map_err(|e| crate::Error::from(ErrorKind::Host(e)))?;
                        for (slot, v) in results.iter_mut().zip(body(&args)) {
                            *slot =
                                to_weft(v).map_err(|e| crate::Error::from(ErrorKind::Host(e)))?;
                        }
                        Ok(())
                    },
                )))
            }
            HostItem::Global { ty, mutable, value } => {
                let value = to_weft(*value)?;
                Global::new(&mut *store, GlobalType::new(val_type(*ty), *mutable), value)
                    .map(Extern::Global)
                    .map_err(|e| e.to_string())
            }
            HostItem::Memory { min, max, shared } => {
                let ty = MemoryType {
                    minimum: *min,
                    maximum: *max,
                    shared: *shared,
                };
                if *shared {
                    SharedMemory::new(&self.engine, ty)
                        .map(Extern::SharedMemory)
                        .map_err(|e| e.to_string())
                } else {
                    Memory::new(&mut *store, ty)
                        .map(Extern::Memory)
                        .map_err(|e| e.to_string())
                }
            }
            HostItem::Table { elem, min, max } => {
                let (min, max) = table_limits(*min, *max)?;
                let elem_ty = val_type(ValType::Ref(*elem));
                let init = to_weft(Val::NullRef(*elem))?;
                Table::new(&mut *store, TableType::new(elem_ty, min, max), init)
                    .map(Extern::Table)
                    .map_err(|e| e.to_string())
            }
        })
    }
}

fn val_type(ty: ValType) -> crate::ValType {
    match ty {
        ValType::I32 => crate::ValType::I32,
        ValType::I64 => crate::ValType::I64,
        ValType::F32 => crate::ValType::F32,
        ValType::F64 => crate::ValType::F64,
        ValType::Ref(RefType::Func) => crate::ValType::FuncRef,
        ValType::Ref(RefType::Extern) => crate::ValType::ExternRef,
    }
}

fn to_weft(v: Val) -> Result<crate::Val, String> {
    Ok(match v {
        Val::I32(x) => crate::Val::I32(x),
        Val::I64(x) => crate::Val::I64(x),
        Val::F32(bits) => crate::Val::F32(bits),
        Val::F64(bits) => crate::Val::F64(bits),
        Val::NullRef(RefType::Func) => crate::Val::FuncRef(None),
        Val::NullRef(RefType::Extern) => crate::Val::ExternRef(None),
        Val::ExternRef(n) => crate::Val::ExternRef(Some(crate::ExternRef::new(n))),
        Val::FuncRef => {
            return Err("a non-null funcref cannot be passed in from a script".into());
        }
        Val::V128(bits) => crate::Val::V128(bits.into()),
    })
}

fn from_weft(v: &crate::Val) -> Result<Val, String> {
    Ok(match *v {
        crate::Val::I32(x) => Val::I32(x),
        crate::Val::I64(x) => Val::I64(x),
        crate::Val::F32(bits) => Val::F32(bits),
        crate::Val::F64(bits) => Val::F64(bits),
        crate::Val::FuncRef(None) => Val::NullRef(RefType::Func),
        crate::Val::FuncRef(Some(_)) => Val::FuncRef,
        crate::Val::ExternRef(None) => Val::NullRef(RefType::Extern),
        crate::Val::ExternRef(Some(r)) => Val::ExternRef(r.token()),
        crate::Val::V128(v) => Val::V128(v.as_u128()),
    })
}
