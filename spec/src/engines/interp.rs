//! The reference interpreter (`weft_verify::interp`) behind the runner's
//! [`Engine`] trait.
//!
//! The interpreter's instances and externs are reference-counted,
//! `Send + Sync` values, so the threading contract costs nothing here: an
//! extern handed to another thread is the very same memory, global, table or
//! function.

use wasmparser::{FuncType, RefType as WasmRefType, ValType as WasmValType};
use weft_verify::interp::{self, Extern, FuncRef, GlobalRef, MemoryRef, TableRef, Value};

use weft_wast::engine::{
    CallError, CompileError, Engine, HostItem, InstantiateError, RefType, Val, ValType,
    table_limits,
};

/// The reference interpreter as a runner engine.
#[derive(Debug, Default)]
pub struct InterpEngine {
    options: interp::Options,
    /// With fuel (`--fuel`): what every instantiation and call used, on
    /// any thread; each one runs with a fresh `u64::MAX` tank.
    metered: Option<std::sync::atomic::AtomicU64>,
}

impl InterpEngine {
    /// An engine whose modules are compiled with `options` (the proposals
    /// beyond the interpreter's default set that a script needs).
    pub fn new(options: interp::Options) -> InterpEngine {
        InterpEngine {
            options,
            metered: None,
        }
    }

    /// As [`new`](Self::new), consuming fuel and counting it.
    pub fn metered(options: interp::Options) -> InterpEngine {
        InterpEngine {
            options,
            metered: Some(std::sync::atomic::AtomicU64::new(0)),
        }
    }

    /// With fuel, the fuel used so far.
    pub fn fuel_used(&self) -> Option<u64> {
        // Relaxed: read after the script's threads were joined.
        self.metered
            .as_ref()
            .map(|used| used.load(std::sync::atomic::Ordering::Relaxed))
    }

    fn run_metered<R>(&self, f: impl FnOnce() -> R) -> R {
        let Some(used) = &self.metered else {
            return f();
        };
        interp::set_fuel(Some(u64::MAX));
        let result = f();
        let left = interp::fuel().unwrap_or(u64::MAX);
        interp::set_fuel(None);
        used.fetch_add(u64::MAX - left, std::sync::atomic::Ordering::Relaxed);
        result
    }
}

/// A compiled module and its export names (which the instance alone does not
/// list).
pub struct InterpModule {
    module: interp::Module,
    export_names: Vec<String>,
}

/// An instance and its export names.
pub struct InterpInstance {
    instance: interp::Instance,
    export_names: Vec<String>,
}

impl Engine for InterpEngine {
    type Module = InterpModule;
    type Instance = InterpInstance;
    type Extern = Extern;

    fn name(&self) -> &'static str {
        "interp"
    }

    fn compile(&self, wasm: &[u8]) -> Result<InterpModule, CompileError> {
        let module = interp::Module::with_options(wasm, self.options)
            .map_err(|e| CompileError(e.to_string()))?;
        let export_names = module.exports().map(|(name, _)| name.to_string()).collect();
        Ok(InterpModule {
            module,
            export_names,
        })
    }

    fn imports(&self, module: &InterpModule) -> Vec<(String, String)> {
        module
            .module
            .imports()
            .map(|(m, n, _)| (m.to_string(), n.to_string()))
            .collect()
    }

    fn instantiate(
        &self,
        module: &InterpModule,
        imports: &[Extern],
    ) -> Result<InterpInstance, InstantiateError> {
        let instance = self
            .run_metered(|| interp::Instance::new(&module.module, imports))
            .map_err(|e| match e {
                interp::InstantiationError::Link(why) => InstantiateError::Link(why),
                interp::InstantiationError::Resource(why) => InstantiateError::Resource(why),
                interp::InstantiationError::Trap(trap) => InstantiateError::Trap(trap.to_string()),
            })?;
        Ok(InterpInstance {
            instance,
            export_names: module.export_names.clone(),
        })
    }

    fn exports(&self, instance: &InterpInstance) -> Vec<(String, Extern)> {
        instance
            .export_names
            .iter()
            .filter_map(|name| Some((name.clone(), instance.instance.export(name)?)))
            .collect()
    }

    fn call(&self, func: &Extern, args: &[Val]) -> Result<Vec<Val>, CallError> {
        let Extern::Func(func) = func else {
            return Err(CallError::Failed("the export is not a function".into()));
        };
        let args = args
            .iter()
            .map(|v| to_value(*v))
            .collect::<Result<Vec<_>, _>>()
            .map_err(CallError::Failed)?;
        match self.run_metered(|| func.call(&args)) {
            Ok(results) => results
                .iter()
                .map(from_value)
                .collect::<Result<Vec<_>, _>>()
                .map_err(CallError::Failed),
            Err(interp::Trap::InvalidInvocation(why)) => Err(CallError::Failed(why)),
            Err(trap) => Err(CallError::Trap(trap.to_string())),
        }
    }

    fn global_value(&self, global: &Extern) -> Result<Val, String> {
        let Extern::Global(global) = global else {
            return Err("the export is not a global".into());
        };
        from_value(&global.get())
    }

    fn host(&self, item: &HostItem) -> Result<Extern, String> {
        match item {
            HostItem::Func(func) => {
                let ty = FuncType::new(
                    func.params.iter().map(|t| val_type(*t)),
                    func.results.iter().map(|t| val_type(*t)),
                );
                let body = func.body.clone();
                Ok(Extern::Func(FuncRef::host(ty, move |args| {
                    let args = args
                        .iter()
                        .map(from_value)
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(interp::Trap::Host)?;
                    body(&args)
                        .into_iter()
                        .map(to_value)
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(interp::Trap::Host)
                })))
            }
            HostItem::Global { ty, mutable, value } => {
                GlobalRef::new(val_type(*ty), *mutable, to_value(*value)?)
                    .map(Extern::Global)
                    .map_err(|e| e.to_string())
            }
            HostItem::Memory { min, max, shared } => {
                let min = pages(*min)?;
                let max = max.map(pages).transpose()?;
                MemoryRef::new(min, max, *shared)
                    .map(Extern::Memory)
                    .map_err(|e| e.to_string())
            }
            HostItem::Table { elem, min, max } => {
                let (min, max) = table_limits(*min, *max)?;
                TableRef::new(ref_type(*elem), min, max, to_value(Val::NullRef(*elem))?)
                    .map(Extern::Table)
                    .map_err(|e| e.to_string())
            }
        }
    }
}

fn pages(n: u64) -> Result<u32, String> {
    u32::try_from(n).map_err(|_| format!("memory size {n} pages is too large"))
}

fn ref_type(ty: RefType) -> WasmRefType {
    match ty {
        RefType::Func => WasmRefType::FUNCREF,
        RefType::Extern => WasmRefType::EXTERNREF,
    }
}

fn val_type(ty: ValType) -> WasmValType {
    match ty {
        ValType::I32 => WasmValType::I32,
        ValType::I64 => WasmValType::I64,
        ValType::F32 => WasmValType::F32,
        ValType::F64 => WasmValType::F64,
        ValType::Ref(r) => WasmValType::Ref(ref_type(r)),
    }
}

fn to_value(v: Val) -> Result<Value, String> {
    Ok(match v {
        Val::I32(x) => Value::I32(x),
        Val::I64(x) => Value::I64(x),
        Val::F32(bits) => Value::F32(bits),
        Val::F64(bits) => Value::F64(bits),
        Val::NullRef(RefType::Func) => Value::FuncRef(None),
        Val::NullRef(RefType::Extern) => Value::ExternRef(None),
        Val::ExternRef(n) => Value::ExternRef(Some(n)),
        Val::FuncRef => {
            return Err("a non-null funcref cannot be passed in from a script".into());
        }
        Val::V128(bits) => Value::V128(bits),
    })
}

fn from_value(v: &Value) -> Result<Val, String> {
    Ok(match v {
        Value::I32(x) => Val::I32(*x),
        Value::I64(x) => Val::I64(*x),
        Value::F32(bits) => Val::F32(*bits),
        Value::F64(bits) => Val::F64(*bits),
        Value::V128(bits) => Val::V128(*bits),
        Value::FuncRef(None) => Val::NullRef(RefType::Func),
        Value::FuncRef(Some(_)) => Val::FuncRef,
        Value::ExternRef(None) => Val::NullRef(RefType::Extern),
        Value::ExternRef(Some(n)) => Val::ExternRef(*n),
    })
}
