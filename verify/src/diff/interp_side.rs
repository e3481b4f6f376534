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
}

impl InterpSide {
    /// Validates, compiles and instantiates `bytes` with no imports.
    pub(crate) fn new(bytes: &[u8]) -> Result<InterpSide, Failure> {
        let module = interp::Module::new(bytes).map_err(|e| Failure::Rejected {
            unsupported: matches!(e.kind(), interp::ErrorKind::Unsupported(_)),
            message: e.to_string(),
        })?;
        let exports = module
            .exports()
            .map(|(name, kind)| (name.to_string(), kind))
            .collect();
        let instance = interp::Instance::new(&module, &[]).map_err(|e| match e {
            interp::InstantiationError::Trap(t) => {
                Failure::Trapped(TrapKind::from_interp(&t), t.to_string())
            }
            interp::InstantiationError::Resource(m) => Failure::Resource(m),
            interp::InstantiationError::Link(m) => Failure::Link(m),
        })?;
        Ok(InterpSide { instance, exports })
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

    /// Calls export `name`.
    pub(crate) fn call(&self, name: &str, args: &[Arg]) -> Outcome {
        let args = args.iter().map(|a| a.to_interp()).collect::<Vec<_>>();
        match self.instance.invoke(name, &args) {
            Ok(values) => Outcome::Returned(values.iter().map(Observed::from_interp).collect()),
            Err(trap) => Outcome::Trapped(TrapKind::from_interp(&trap), trap.to_string()),
        }
    }

    /// The exported globals, memories and tables.
    pub(crate) fn state(&self) -> State {
        let mut state = State::default();
        for (name, _) in &self.exports {
            match self.instance.export(name) {
                Some(interp::Extern::Global(g)) => {
                    state
                        .globals
                        .push((name.clone(), Observed::from_interp(&g.get())));
                }
                Some(interp::Extern::Memory(m)) => {
                    state.memories.push((name.clone(), m.snapshot()))
                }
                Some(interp::Extern::Table(t)) => {
                    let nulls = (0..t.size())
                        .map(|i| t.get(i).is_none_or(|v| v.is_null()))
                        .collect();
                    state.tables.push((name.clone(), nulls));
                }
                Some(interp::Extern::Func(_)) | None => {}
            }
        }
        state
    }
}
