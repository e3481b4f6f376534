//! The interpreter's half of a differential run.

use super::observe::{Arg, Observed, Outcome, State, TrapKind};
use crate::interp::{self, ExternKind};

/// Why the interpreter did not produce an instance.
pub(crate) enum Failure {
    /// The module was rejected; `unsupported` if it is valid wasm the
    /// interpreter does not implement (then it cannot judge the JIT).
    Rejected { message: String, unsupported: bool },
    /// Segment initialization or the start function trapped.
    Trapped(TrapKind, String),
    /// The interpreter hit one of its allocation limits.
    Resource(String),
    /// Linking failed (the harness provides no imports).
    Link(String),
}

/// An instance on the interpreter and its exports, in export order.
pub(crate) struct InterpSide {
    instance: interp::Instance,
    exports: Vec<(String, ExternKind)>,
    /// The exported functions in export order: what a funcref is compared
    /// by (see [`Observed::FuncRef`]).
    funcs: Vec<interp::FuncRef>,
}

impl InterpSide {
    /// Validates, compiles and instantiates `bytes` with no imports.
    pub(crate) fn new(bytes: &[u8]) -> Result<InterpSide, Failure> {
        let module = interp::Module::new(bytes).map_err(|e| Failure::Rejected {
            unsupported: matches!(e.kind(), interp::ErrorKind::Unsupported(_)),
            message: e.to_string(),
        })?;
        let exports: Vec<(String, ExternKind)> = module
            .exports()
            .map(|(name, kind)| (name.to_string(), kind))
            .collect();
        let instance = interp::Instance::new(&module, &[]).map_err(|e| match e {
            interp::InstantiationError::Trap(t) => match TrapKind::from_interp(&t) {
                Some(kind) => Failure::Trapped(kind, t.to_string()),
                None => Failure::Link(t.to_string()),
            },
            interp::InstantiationError::Resource(m) => Failure::Resource(m),
            interp::InstantiationError::Link(m) => Failure::Link(m),
        })?;
        let funcs = exports
            .iter()
            .filter_map(|(name, _)| match instance.export(name) {
                Some(interp::Extern::Func(f)) => Some(f),
                _ => None,
            })
            .collect();
        Ok(InterpSide {
            instance,
            exports,
            funcs,
        })
    }

    /// Exported functions with their parameter types, in export order.
    pub(crate) fn functions(&self) -> Vec<(String, Vec<interp::ValType>)> {
        self.exports
            .iter()
            .filter(|(_, kind)| *kind == ExternKind::Func)
            .filter_map(|(name, _)| {
                let ty = self.instance.func_type(name)?;
                Some((name.clone(), ty.params().to_vec()))
            })
            .collect()
    }

    /// Calls export `name`; `Err` if the interpreter refused the call
    /// itself (unknown export, wrong arguments) rather than running it.
    pub(crate) fn call(&self, name: &str, args: &[Arg]) -> Result<Outcome, String> {
        let args = args.iter().map(|a| a.to_interp()).collect::<Vec<_>>();
        match self.instance.invoke(name, &args) {
            Ok(values) => Ok(Outcome::Returned(
                values.iter().map(|v| self.observe(v)).collect(),
            )),
            Err(trap) => match TrapKind::from_interp(&trap) {
                Some(kind) => Ok(Outcome::Trapped(
                    kind,
                    match &trap {
                        interp::Trap::Host(message) => message.clone(),
                        _ => trap.to_string(),
                    },
                )),
                None => Err(format!("calling `{name}`: {trap}")),
            },
        }
    }

    fn observe(&self, value: &interp::Value) -> Observed {
        Observed::from_interp(value, &self.funcs)
    }

    /// The exported globals, memories and tables.
    pub(crate) fn state(&self) -> State {
        let mut state = State::default();
        for (name, _) in &self.exports {
            match self.instance.export(name) {
                Some(interp::Extern::Global(g)) => {
                    state.globals.push((name.clone(), self.observe(&g.get())));
                }
                Some(interp::Extern::Memory(m)) => {
                    state.memories.push((name.clone(), m.snapshot()))
                }
                Some(interp::Extern::Table(t)) => {
                    let elements = (0..t.size())
                        .map(|i| match t.get(i) {
                            Some(v) => self.observe(&v),
                            None => Observed::FuncRef(super::observe::FuncId::Unexported),
                        })
                        .collect();
                    state.tables.push((name.clone(), elements));
                }
                Some(interp::Extern::Func(_)) | None => {}
            }
        }
        state
    }
}
