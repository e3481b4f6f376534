//! weft-wast: runs WebAssembly `.wast` scripts on any engine.
//!
//! The runner knows what a script means — module definitions, names,
//! `register`, the `spectest` host module, expected results and trap
//! messages, and the threads proposal's `(thread ...)` and `(wait ...)`
//! directives — and asks an engine only to compile, instantiate, call and
//! read globals, through the small [`Engine`](engine::Engine) trait. It
//! depends on no engine: weft's JIT plugs in from `weft::wast` (feature
//! `wast` of the `weft` crate), the reference interpreter from `weft-spec`,
//! which also holds the suites, the known-failures list and the runner's
//! behaviour tests (they need a real engine, and this crate has none).
//!
//! Scripts are lowered once to owned commands ([`script`]) so that a
//! thread's commands can move to the OS thread it runs on; each directive's
//! outcome goes into a [`Log`](report::Log) the moment it finishes, which is
//! what [`run_within`] reports when a script hangs.
//!
//! The engine below refuses every module, which is enough to see the
//! runner count directives and report a failure where it happened:
//!
//! ```
//! use weft_wast::engine::{
//!     CallError, CompileError, Engine, HostItem, InstantiateError, Val,
//! };
//!
//! struct Refusing;
//!
//! impl Engine for Refusing {
//!     type Module = ();
//!     type Instance = ();
//!     type Extern = ();
//!     fn name(&self) -> &'static str { "refusing" }
//!     fn compile(&self, _: &[u8]) -> Result<(), CompileError> {
//!         Err(CompileError("this engine compiles nothing".into()))
//!     }
//!     fn imports(&self, _: &()) -> Vec<(String, String)> { Vec::new() }
//!     fn instantiate(&self, _: &(), _: &[()]) -> Result<(), InstantiateError> { Ok(()) }
//!     fn exports(&self, _: &()) -> Vec<(String, ())> { Vec::new() }
//!     fn call(&self, _: &(), _: &[Val]) -> Result<Vec<Val>, CallError> {
//!         Err(CallError::Failed("nothing to call".into()))
//!     }
//!     fn global_value(&self, _: &()) -> Result<Val, String> { Err("no globals".into()) }
//!     fn host(&self, _: &HostItem) -> Result<(), String> { Ok(()) }
//! }
//!
//! let report = weft_wast::run_script(&Refusing, r#"
//!     (assert_invalid (module (func (result i32))) "type mismatch")
//!     (module (func))
//! "#);
//! // The invalid module was refused, as expected; the valid one too.
//! assert_eq!(report.passed, 1);
//! assert_eq!(report.failures.len(), 1);
//! assert_eq!(report.failures[0].pos.line, 3);
//! ```

#![deny(missing_docs)]

pub mod engine;
mod expect;
pub mod report;
mod runner;
pub mod script;
mod spectest;
mod watchdog;

pub use runner::{run_script, run_script_into};
pub use watchdog::{SCRIPT_TIME_LIMIT, run_within};
