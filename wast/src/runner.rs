//! Executes lowered script commands against an [`Engine`].
//!
//! A [`Session`] is the state one thread of a script sees: its current and
//! named instances, its module definitions, its registry of importable
//! modules (always including `spectest`), and the threads it started. The
//! main script runs in one session; each `(thread ...)` directive runs in a
//! fresh session on its own OS thread, seeded only with the shared module
//! instance it names and the `spectest` shared memory.

use std::collections::HashMap;
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;
use std::thread::{self, Scope, ScopedJoinHandle};

use crate::engine::{CallError, Engine, InstantiateError, Val};
use crate::expect;
use crate::report::{Failure, Log, Report};
use crate::script::{self, Action, Command, CommandKind, Encoded, Exec, Pos};
use crate::spectest;

/// Stack size for every thread that runs wasm. Engines recurse on the host
/// stack (the interpreter per wasm call); the spec's deep-recursion tests
/// need room to reach the engine's own `call stack exhausted` limit before
/// the host stack runs out. Only touched pages are committed.
const STACK_SIZE: usize = 256 << 20;

/// Runs a whole `.wast` script on `engine` and reports every directive.
///
/// The script runs on a fresh thread with a large stack; a script that does
/// not parse is reported as one failure at the parse error's position.
pub fn run_script<E: Engine>(engine: &E, text: &str) -> Report {
    let log = Log::default();
    run_script_into(engine, text, &log);
    log.snapshot()
}

/// Like [`run_script`], but records into `log` as each directive finishes,
/// so that another thread can see how far a script that hangs has got.
pub fn run_script_into<E: Engine>(engine: &E, text: &str, log: &Log) {
    let commands = match script::parse(text) {
        Ok(commands) => commands,
        Err(message) => {
            log.fail(start_failure(format!("script does not parse: {message}")));
            return;
        }
    };
    thread::scope(|scope| {
        let spawned = thread::Builder::new()
            .name("wast-main".into())
            .stack_size(STACK_SIZE)
            .spawn_scoped(scope, || match engine.host(&spectest::shared_memory()) {
                Ok(shared_memory) => run_session(
                    engine,
                    commands,
                    Inherited {
                        shared: None,
                        shared_memory,
                        log: log.clone(),
                    },
                ),
                Err(why) => log.fail(start_failure(format!(
                    "cannot create spectest.shared_memory: {why}"
                ))),
            });
        match spawned {
            Ok(handle) => {
                if let Err(payload) = handle.join() {
                    log.fail(start_failure(panic_message(&*payload)));
                }
            }
            Err(e) => log.fail(start_failure(format!(
                "cannot spawn the script thread: {e}"
            ))),
        }
    });
}

/// A failure that belongs to no directive, reported at the file's start.
fn start_failure(reason: String) -> Failure {
    Failure {
        pos: Pos { line: 1, col: 1 },
        reason,
    }
}

/// What a new session starts with from the thread that created it.
struct Inherited<X> {
    /// The `(shared (module $M))` instance: its name and exports.
    shared: Option<(String, Vec<(String, X)>)>,
    /// `spectest.shared_memory`, one per script.
    shared_memory: X,
    /// Where every thread of the script records its directives.
    log: Log,
}

/// An instance as the runner holds it: its exports, and the engine's handle
/// when the instance was made on this thread (an inherited one has none).
struct InstanceRecord<E: Engine> {
    exports: Vec<(String, E::Extern)>,
    _handle: Option<E::Instance>,
}

impl<E: Engine> InstanceRecord<E> {
    fn export(&self, name: &str) -> Option<&E::Extern> {
        self.exports.iter().find(|(n, _)| n == name).map(|(_, x)| x)
    }
}

struct Session<'scope, 'env, E: Engine> {
    engine: &'env E,
    scope: &'scope Scope<'scope, 'env>,
    shared_memory: E::Extern,
    current: Option<Rc<InstanceRecord<E>>>,
    instances: HashMap<String, Rc<InstanceRecord<E>>>,
    definitions: HashMap<String, Rc<E::Module>>,
    last_definition: Option<Rc<E::Module>>,
    registry: HashMap<String, HashMap<String, E::Extern>>,
    threads: HashMap<String, ScopedJoinHandle<'scope, ()>>,
    log: Log,
}

/// Runs `commands` in a new session that may start threads of its own; all
/// of them are joined before this returns.
fn run_session<E: Engine>(engine: &E, commands: Vec<Command>, inherited: Inherited<E::Extern>) {
    let log = inherited.log.clone();
    thread::scope(|scope| {
        let mut session = match Session::new(engine, scope, inherited) {
            Ok(session) => session,
            Err(why) => return log.fail(start_failure(why)),
        };
        for command in commands {
            session.run(command);
        }
        session.finish()
    })
}

impl<'scope, 'env, E: Engine> Session<'scope, 'env, E> {
    fn new(
        engine: &'env E,
        scope: &'scope Scope<'scope, 'env>,
        inherited: Inherited<E::Extern>,
    ) -> Result<Self, String> {
        let mut spectest = HashMap::new();
        for (name, item) in spectest::thread_local_items() {
            let ext = engine
                .host(&item)
                .map_err(|why| format!("cannot create spectest.{name}: {why}"))?;
            spectest.insert(name.to_string(), ext);
        }
        spectest.insert(
            spectest::SHARED_MEMORY.to_string(),
            inherited.shared_memory.clone(),
        );
        let mut instances = HashMap::new();
        if let Some((name, exports)) = inherited.shared {
            let record = InstanceRecord {
                exports,
                _handle: None,
            };
            instances.insert(name, Rc::new(record));
        }
        Ok(Session {
            engine,
            scope,
            shared_memory: inherited.shared_memory,
            current: None,
            instances,
            definitions: HashMap::new(),
            last_definition: None,
            registry: HashMap::from([("spectest".to_string(), spectest)]),
            threads: HashMap::new(),
            log: inherited.log,
        })
    }

    /// Runs one command and counts it. A panic in the engine is reported as
    /// this directive's failure so that the rest of the script still runs.
    fn run(&mut self, command: Command) {
        let pos = command.pos;
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| self.execute(pos, command.kind)));
        let outcome = outcome.unwrap_or_else(|payload| Err(panic_message(&*payload)));
        match outcome {
            Ok(()) => self.log.pass(),
            Err(reason) => self.log.fail(Failure { pos, reason }),
        }
    }

    /// Joins threads the script never waited for.
    fn finish(mut self) {
        let mut names: Vec<String> = self.threads.keys().cloned().collect();
        names.sort();
        for name in names {
            if let Some(handle) = self.threads.remove(&name) {
                self.join(handle);
            }
        }
    }

    fn execute(&mut self, pos: Pos, kind: CommandKind) -> Result<(), String> {
        match kind {
            CommandKind::Module {
                name,
                wasm,
                define_only,
            } => self.module(name, wasm, define_only),
            CommandKind::ModuleInstance { instance, module } => {
                self.module_instance(instance, module)
            }
            CommandKind::Register { as_name, module } => {
                let record = self.instance(module.as_deref())?;
                let exports = record.exports.iter().cloned().collect();
                self.registry.insert(as_name, exports);
                Ok(())
            }
            CommandKind::Action(action) => {
                self.perform(&action).map(|_| ()).map_err(|e| e.to_string())
            }
            CommandKind::AssertReturn { action, expected } => match self.perform(&action) {
                Ok(values) => expect::results(&values, &expected),
                Err(e) => Err(format!("expected a return, got {e}")),
            },
            CommandKind::AssertTrap { exec, message } => self.assert_trap(exec, &message),
            CommandKind::AssertExhaustion { action, message } => match self.perform(&action) {
                Err(CallError::Trap(actual)) => trap_matches(&actual, &message),
                Err(e) => Err(format!("expected exhaustion \"{message}\", got {e}")),
                Ok(values) => Err(format!(
                    "expected exhaustion \"{message}\", returned {}",
                    expect::list(&values)
                )),
            },
            CommandKind::AssertInvalid { wasm, message } => {
                self.assert_rejected(wasm, &message, "invalid")
            }
            CommandKind::AssertMalformed { wasm, message } => {
                self.assert_rejected(wasm, &message, "malformed")
            }
            CommandKind::AssertUnlinkable { wasm, message } => {
                let module = self.compile(wasm)?;
                match self.instantiate(&module) {
                    Err(InstantiateError::Link(_)) => Ok(()),
                    Err(e) => Err(format!("expected unlinkable \"{message}\", got {e}")),
                    Ok(_) => Err(format!(
                        "expected unlinkable \"{message}\", but the module instantiated"
                    )),
                }
            }
            CommandKind::Thread {
                name,
                shared,
                commands,
            } => self.spawn(pos, name, shared, commands),
            CommandKind::Wait { thread } => match self.threads.remove(&thread) {
                Some(handle) => {
                    self.join(handle);
                    Ok(())
                }
                None => Err(format!("no running thread named ${thread}")),
            },
            CommandKind::Unsupported(what) => Err(what),
        }
    }

    fn module(
        &mut self,
        name: Option<String>,
        wasm: Encoded,
        define_only: bool,
    ) -> Result<(), String> {
        if !define_only {
            // A module that fails must not leave an older instance current:
            // the invokes that follow were written for this one.
            self.current = None;
        }
        let module = Rc::new(self.compile(wasm)?);
        if define_only {
            if let Some(name) = name {
                self.definitions.insert(name, Rc::clone(&module));
            }
            self.last_definition = Some(module);
            return Ok(());
        }
        let instance = self
            .instantiate(&module)
            .map_err(|e| format!("module failed to instantiate: {e}"))?;
        self.install(name, instance);
        Ok(())
    }

    fn module_instance(
        &mut self,
        instance: Option<String>,
        module: Option<String>,
    ) -> Result<(), String> {
        self.current = None;
        let definition = match &module {
            Some(name) => self.definitions.get(name),
            None => self.last_definition.as_ref(),
        };
        let definition = Rc::clone(definition.ok_or_else(|| match &module {
            Some(name) => format!("no module definition named ${name}"),
            None => "no module definition to instantiate".to_string(),
        })?);
        let handle = self
            .instantiate(&definition)
            .map_err(|e| format!("module failed to instantiate: {e}"))?;
        self.install(instance, handle);
        Ok(())
    }

    fn install(&mut self, name: Option<String>, handle: E::Instance) {
        let record = Rc::new(InstanceRecord {
            exports: self.engine.exports(&handle),
            _handle: Some(handle),
        });
        if let Some(name) = name {
            self.instances.insert(name, Rc::clone(&record));
        }
        self.current = Some(record);
    }

    fn compile(&self, wasm: Encoded) -> Result<E::Module, String> {
        let bytes = wasm.map_err(|why| format!("module text does not encode: {why}"))?;
        self.engine
            .compile(&bytes)
            .map_err(|e| format!("module failed to compile: {e}"))
    }

    /// Resolves imports through the registry and instantiates. An import
    /// the registry lacks is a link error, as the spec's harness reports it.
    fn instantiate(&self, module: &E::Module) -> Result<E::Instance, InstantiateError> {
        let mut externs = Vec::new();
        for (module_name, field) in self.engine.imports(module) {
            let found = self
                .registry
                .get(&module_name)
                .and_then(|exports| exports.get(&field));
            match found {
                Some(ext) => externs.push(ext.clone()),
                None => {
                    return Err(InstantiateError::Link(format!(
                        "unknown import {module_name}.{field}"
                    )));
                }
            }
        }
        self.engine.instantiate(module, &externs)
    }

    fn instance(&self, name: Option<&str>) -> Result<Rc<InstanceRecord<E>>, String> {
        match name {
            Some(name) => self
                .instances
                .get(name)
                .cloned()
                .ok_or_else(|| format!("no instance named ${name}")),
            None => self
                .current
                .clone()
                .ok_or_else(|| "no current module instance".to_string()),
        }
    }

    fn perform(&self, action: &Action) -> Result<Vec<Val>, CallError> {
        match action {
            Action::Invoke { module, name, args } => {
                let args = args
                    .as_ref()
                    .map_err(|why| CallError::Failed(why.clone()))?;
                let record = self
                    .instance(module.as_deref())
                    .map_err(CallError::Failed)?;
                let func = record
                    .export(name)
                    .ok_or_else(|| CallError::Failed(format!("no export named \"{name}\"")))?;
                self.engine.call(func, args)
            }
            Action::Get { module, name } => {
                let record = self
                    .instance(module.as_deref())
                    .map_err(CallError::Failed)?;
                let global = record
                    .export(name)
                    .ok_or_else(|| CallError::Failed(format!("no export named \"{name}\"")))?;
                let value = self
                    .engine
                    .global_value(global)
                    .map_err(CallError::Failed)?;
                Ok(vec![value])
            }
        }
    }

    fn assert_trap(&mut self, exec: Exec, message: &str) -> Result<(), String> {
        match exec {
            Exec::Action(action) => match self.perform(&action) {
                Err(CallError::Trap(actual)) => trap_matches(&actual, message),
                Err(e) => Err(format!("expected trap \"{message}\", got {e}")),
                Ok(values) => Err(format!(
                    "expected trap \"{message}\", returned {}",
                    expect::list(&values)
                )),
            },
            Exec::Instantiate(wasm) => {
                let module = self.compile(wasm)?;
                match self.instantiate(&module) {
                    Err(InstantiateError::Trap(actual)) => trap_matches(&actual, message),
                    Err(e) => Err(format!("expected trap \"{message}\", got {e}")),
                    Ok(_) => Err(format!(
                        "expected trap \"{message}\", but the module instantiated"
                    )),
                }
            }
        }
    }

    /// `assert_invalid` and `assert_malformed`: the module must not make it
    /// through encoding and compilation. Which stage rejects it, and with
    /// what words, differs between parsers and validators, so the expected
    /// message is not compared.
    fn assert_rejected(&self, wasm: Encoded, message: &str, kind: &str) -> Result<(), String> {
        let Ok(bytes) = wasm else {
            return Ok(());
        };
        match self.engine.compile(&bytes) {
            Err(_) => Ok(()),
            Ok(_) => Err(format!(
                "expected {kind} module (\"{message}\"), but it compiled"
            )),
        }
    }

    fn spawn(
        &mut self,
        pos: Pos,
        name: String,
        shared: Option<String>,
        commands: Vec<Command>,
    ) -> Result<(), String> {
        if self.threads.contains_key(&name) {
            return Err(format!("thread ${name} is already running"));
        }
        let shared = match shared {
            Some(module) => {
                let record = self.instance(Some(&module))?;
                Some((module, record.exports.clone()))
            }
            None => None,
        };
        let inherited = Inherited {
            shared,
            shared_memory: self.shared_memory.clone(),
            log: self.log.clone(),
        };
        let engine = self.engine;
        let handle = thread::Builder::new()
            .name(format!("wast-thread-{name}@{pos}"))
            .stack_size(STACK_SIZE)
            .spawn_scoped(self.scope, move || run_session(engine, commands, inherited))
            .map_err(|e| format!("cannot spawn thread ${name}: {e}"))?;
        self.threads.insert(name, handle);
        Ok(())
    }

    /// Waits for a thread. Its directives are already in the log; a thread
    /// that panicked outside any directive (which `run` would have caught)
    /// counts as one failure at the start of the file.
    fn join(&mut self, handle: ScopedJoinHandle<'scope, ()>) {
        if let Err(payload) = handle.join() {
            self.log.fail(start_failure(panic_message(&*payload)));
        }
    }
}

fn trap_matches(actual: &str, expected: &str) -> Result<(), String> {
    if expect::trap_message(actual, expected) {
        Ok(())
    } else {
        Err(format!(
            "expected trap \"{expected}\", got trap \"{actual}\""
        ))
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let text = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-string payload".to_string());
    format!("engine panicked: {text}")
}

#[cfg(test)]
mod tests {
    use crate::engine::{CallError, CompileError, Engine, HostItem, InstantiateError, Val};

    /// Compiles everything; every instantiation fails with the configured
    /// error.
    struct Failing(InstantiateError);

    impl Engine for Failing {
        type Module = ();
        type Instance = ();
        type Extern = ();
        fn name(&self) -> &'static str {
            "failing"
        }
        fn compile(&self, _: &[u8]) -> Result<(), CompileError> {
            Ok(())
        }
        fn imports(&self, _: &()) -> Vec<(String, String)> {
            Vec::new()
        }
        fn instantiate(&self, _: &(), _: &[()]) -> Result<(), InstantiateError> {
            Err(self.0.clone())
        }
        fn exports(&self, _: &()) -> Vec<(String, ())> {
            Vec::new()
        }
        fn call(&self, _: &(), _: &[Val]) -> Result<Vec<Val>, CallError> {
            Err(CallError::Failed("nothing to call".into()))
        }
        fn global_value(&self, _: &()) -> Result<Val, String> {
            Err("no globals".into())
        }
        fn host(&self, _: &HostItem) -> Result<(), String> {
            Ok(())
        }
    }

    fn unlinkable_passes(error: InstantiateError) -> bool {
        let report = crate::run_script(
            &Failing(error),
            r#"(assert_unlinkable (module (import "m" "f" (func))) "unknown import")"#,
        );
        assert_eq!(report.passed + report.failures.len(), 1, "{report:?}");
        report.passed == 1
    }

    #[test]
    fn assert_unlinkable_passes_only_on_a_link_error() {
        assert!(unlinkable_passes(InstantiateError::Link("no".into())));
        assert!(!unlinkable_passes(InstantiateError::Resource("big".into())));
        assert!(!unlinkable_passes(InstantiateError::Trap(
            "unreachable".into()
        )));
        assert!(!unlinkable_passes(InstantiateError::Failed("host".into())));
    }
}
