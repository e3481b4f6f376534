//! weft's Cranelift JIT behind the runner's [`Engine`] trait.
//!
//! JIT objects live in a `Store`, and a store belongs to one thread at a
//! time, so this engine keeps one store per OS thread (thread-local): every
//! module a thread instantiates and every host item it creates live in that
//! thread's store, and die with the thread. Externs are store handles plus
//! shared memories; a handle used on a thread other than its store's is
//! refused with an error by weft (never a panic), while shared memories work
//! everywhere, which is what the threads proposal needs.

use std::cell::RefCell;

use weft::{
    Extern, Func, FuncType, Global, GlobalType, Instance, Memory, MemoryType, Module, SharedMemory,
    Store, Table, TableType,
};

use crate::engine::{
    CallError, CompileError, Engine, HostItem, InstantiateError, RefType, Val, ValType,
};

/// The JIT as a runner engine.
pub struct JitEngine {
    engine: weft::Engine,
}

impl JitEngine {
    /// A JIT engine with the threads proposal enabled.
    pub fn new() -> Result<JitEngine, String> {
        let mut config = weft::Config::new();
        config.wasm_threads(true);
        let engine = weft::Engine::new(&config).map_err(|e| e.to_string())?;
        Ok(JitEngine { engine })
    }

    /// Runs `f` with this thread's store, creating it on first use.
    fn with_store<R>(&self, f: impl FnOnce(&mut Store<()>) -> R) -> R {
        thread_local! {
            static STORE: RefCell<Option<Store<()>>> = const { RefCell::new(None) };
        }
        STORE.with(|cell| {
            let mut slot = cell.borrow_mut();
            let store = match &mut *slot {
                Some(s) if weft::Engine::same(s.engine(), &self.engine) => s,
                _ => slot.insert(Store::new(&self.engine, ())),
            };
            f(store)
        })
    }
}

impl Engine for JitEngine {
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
        self.with_store(|store| {
            Instance::new(store, module, imports).map_err(|e| match e.kind() {
                weft::ErrorKind::Trap(t) => InstantiateError::Trap(t.to_string()),
                weft::ErrorKind::Link(m) if m.starts_with("creating") => {
                    InstantiateError::Resource(m.clone())
                }
                _ => InstantiateError::Link(e.to_string()),
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
        self.with_store(|store| {
            let ty = func
                .ty(&*store)
                .map_err(|e| CallError::Failed(e.to_string()))?;
            let args = args
                .iter()
                .map(|v| to_weft(*v))
                .collect::<Result<Vec<_>, _>>()
                .map_err(CallError::Failed)?;
            let mut results: Vec<weft::Val> = ty
                .results()
                .iter()
                .map(|t| weft::Val::default_for(*t))
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
                            .map_err(|e| weft::Error::from(weft::ErrorKind::Host(e)))?;
                        for (slot, v) in results.iter_mut().zip(body(&args)) {
                            *slot = to_weft(v)
                                .map_err(|e| weft::Error::from(weft::ErrorKind::Host(e)))?;
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
                let min =
                    u32::try_from(*min).map_err(|_| format!("table size {min} is too large"))?;
                let max = max
                    .map(|m| {
                        u32::try_from(m).map_err(|_| format!("table maximum {m} is too large"))
                    })
                    .transpose()?;
                let elem_ty = val_type(ValType::Ref(*elem));
                let init = to_weft(Val::NullRef(*elem))?;
                Table::new(&mut *store, TableType::new(elem_ty, min, max), init)
                    .map(Extern::Table)
                    .map_err(|e| e.to_string())
            }
        })
    }
}

fn val_type(ty: ValType) -> weft::ValType {
    match ty {
        ValType::I32 => weft::ValType::I32,
        ValType::I64 => weft::ValType::I64,
        ValType::F32 => weft::ValType::F32,
        ValType::F64 => weft::ValType::F64,
        ValType::Ref(RefType::Func) => weft::ValType::FuncRef,
        ValType::Ref(RefType::Extern) => weft::ValType::ExternRef,
    }
}

fn to_weft(v: Val) -> Result<weft::Val, String> {
    Ok(match v {
        Val::I32(x) => weft::Val::I32(x),
        Val::I64(x) => weft::Val::I64(x),
        Val::F32(bits) => weft::Val::F32(bits),
        Val::F64(bits) => weft::Val::F64(bits),
        Val::NullRef(RefType::Func) => weft::Val::FuncRef(None),
        Val::NullRef(RefType::Extern) => weft::Val::ExternRef(None),
        Val::ExternRef(n) => weft::Val::ExternRef(Some(weft::ExternRef::new(n))),
        Val::FuncRef => {
            return Err("a non-null funcref cannot be passed in from a script".into());
        }
    })
}

fn from_weft(v: &weft::Val) -> Result<Val, String> {
    Ok(match *v {
        weft::Val::I32(x) => Val::I32(x),
        weft::Val::I64(x) => Val::I64(x),
        weft::Val::F32(bits) => Val::F32(bits),
        weft::Val::F64(bits) => Val::F64(bits),
        weft::Val::FuncRef(None) => Val::NullRef(RefType::Func),
        weft::Val::FuncRef(Some(_)) => Val::FuncRef,
        weft::Val::ExternRef(None) => Val::NullRef(RefType::Extern),
        weft::Val::ExternRef(Some(r)) => Val::ExternRef(r.token()),
    })
}
