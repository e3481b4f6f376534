//! weft's half of a differential run.

use std::sync::OnceLock;

use super::observe::{Arg, Observed, Outcome, State, TrapKind};

/// Why weft did not produce an instance.
pub(crate) enum Failure {
    /// `Module::new` refused the bytes.
    Rejected(String),
    /// Segment initialization or the start function trapped.
    Trapped(TrapKind, String),
    /// Anything else `Instance::new` reported.
    Other(String),
}

/// An instance on weft, in its own store, and its exports in export order.
pub(crate) struct JitSide {
    store: weft::Store<()>,
    exports: Vec<(String, weft::Extern)>,
    /// The exported functions in export order: what a funcref is compared
    /// by (see [`Observed::FuncRef`]).
    funcs: Vec<weft::Func>,
}

/// The wasm stack weft may use in a differential run, in bytes (weft's
/// default, set explicitly because the exhaustion rule in
/// [`super::Exhaustion`] reasons about it).
pub(crate) const STACK_LIMIT: usize = 1 << 20;

/// The engine differential runs use: threads on (the interpreter always
/// has them), fuel on if asked, the bounds-check optimizations off if
/// `plain` (see [`super::DiffConfig::plain_bounds_checks`]), everything
/// else weft's default. Created once per process (each kind): building
/// the ISA for every generated module would dominate a fuzz run.
pub(crate) fn engine(fuel: bool, plain: bool) -> Result<&'static weft::Engine, String> {
    static ENGINES: [OnceLock<Result<weft::Engine, String>>; 4] = [const { OnceLock::new() }; 4];
    let cell = &ENGINES[usize::from(fuel) * 2 + usize::from(plain)];
    cell.get_or_init(|| {
        let mut config = weft::Config::new();
        config
            .wasm_threads(true)
            .consume_fuel(fuel)
            .max_wasm_stack(STACK_LIMIT)
            .bounds_check_fusion(!plain)
            .loop_versioning(!plain)
            .inlining(!plain);
        weft::Engine::new(&config).map_err(|e| format!("creating weft's engine: {e}"))
    })
    .as_ref()
    .map_err(Clone::clone)
}

impl JitSide {
    /// Compiles and instantiates `bytes` with no imports.
    /// With `fuel`, the store starts with that much (the engine must
    /// consume fuel).
    pub(crate) fn new(
        engine: &weft::Engine,
        bytes: &[u8],
        fuel: Option<u64>,
    ) -> Result<JitSide, Failure> {
        let module = weft::Module::from_binary(engine, bytes)
            .map_err(|e| Failure::Rejected(e.to_string()))?;
        let mut store = weft::Store::new(engine, ());
        if let Some(fuel) = fuel {
            store
                .set_fuel(fuel)
                .map_err(|e| Failure::Other(e.to_string()))?;
        }
        let instance =
            weft::Instance::new(&mut store, &module, &[]).map_err(|e| match e.as_trap() {
                Some(t) => Failure::Trapped(TrapKind::from_jit(t.code()), t.to_string()),
                None => Failure::Other(e.to_string()),
            })?;
        let exports = instance.exports(&store);
        let funcs = exports
            .iter()
            .filter_map(|(_, e)| match e {
                weft::Extern::Func(f) => Some(*f),
                _ => None,
            })
            .collect();
        Ok(JitSide {
            store,
            exports,
            funcs,
        })
    }

    /// Calls export `name`; `Err` if weft refused the call itself (unknown
    /// export, wrong arguments) rather than running it.
    pub(crate) fn call(&mut self, name: &str, args: &[Arg]) -> Result<Outcome, String> {
        let Some(weft::Extern::Func(func)) = self.export(name) else {
            return Err(format!("weft has no function export `{name}`"));
        };
        let ty = func.ty(&self.store).map_err(|e| e.to_string())?;
        let args = args.iter().map(|a| a.to_jit()).collect::<Vec<_>>();
        let mut results = ty
            .results()
            .iter()
            .map(|t| weft::Val::default_for(*t))
            .collect::<Vec<_>>();
        match func.call(&mut self.store, &args, &mut results) {
            Ok(()) => Ok(Outcome::Returned(
                results
                    .iter()
                    .map(|v| Observed::from_jit(v, &self.funcs))
                    .collect(),
            )),
            Err(e) => match e.kind() {
                weft::ErrorKind::Trap(t) => Ok(Outcome::Trapped(
                    TrapKind::from_jit(t.code()),
                    t.to_string(),
                )),
                weft::ErrorKind::Host(message) => {
                    Ok(Outcome::Trapped(TrapKind::HostError, message.clone()))
                }
                _ => Err(format!("calling `{name}`: {e}")),
            },
        }
    }

    /// Sets the store's fuel (fuel must be on).
    pub(crate) fn set_fuel(&mut self, fuel: u64) -> Result<(), String> {
        self.store.set_fuel(fuel).map_err(|e| e.to_string())
    }

    /// The store's fuel left (fuel must be on).
    pub(crate) fn fuel(&self) -> Result<u64, String> {
        self.store.get_fuel().map_err(|e| e.to_string())
    }

    fn export(&self, name: &str) -> Option<weft::Extern> {
        self.exports
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, e)| e.clone())
    }

    /// The exported globals, memories and tables; `Err` if weft's API could
    /// not read one of its own exports.
    pub(crate) fn state(&self) -> Result<State, String> {
        let mut state = State::default();
        let store = &self.store;
        for (name, export) in &self.exports {
            let failed = |e: weft::Error| format!("reading export `{name}`: {e}");
            match export {
                weft::Extern::Global(g) => {
                    let value = g.get(store).map_err(failed)?;
                    state
                        .globals
                        .push((name.clone(), Observed::from_jit(&value, &self.funcs)));
                }
                weft::Extern::Memory(m) => {
                    let mut bytes = vec![0; m.data_size(store).map_err(failed)?];
                    m.read(store, 0, &mut bytes).map_err(failed)?;
                    state.memories.push((name.clone(), bytes));
                }
                weft::Extern::SharedMemory(m) => {
                    let mut bytes = vec![0; m.data_size()];
                    m.read(0, &mut bytes).map_err(failed)?;
                    state.memories.push((name.clone(), bytes));
                }
                weft::Extern::Table(t) => {
                    let size = t.size(store).map_err(failed)?;
                    let mut elements = Vec::with_capacity(size as usize);
                    for i in 0..size {
                        let value = t.get(store, i).map_err(failed)?;
                        elements.push(match value {
                            Some(v) => Observed::from_jit(&v, &self.funcs),
                            None => Observed::FuncRef(super::observe::FuncId::Unexported),
                        });
                    }
                    state.tables.push((name.clone(), elements));
                }
                weft::Extern::Func(_) => {}
            }
        }
        Ok(state)
    }
}
