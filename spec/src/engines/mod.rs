//! The engines this runner is built with, chosen by name at run time.
//!
//! The runner is generic over [`Engine`](crate::engine::Engine); this module
//! is the one place that lists the concrete engines, so the CLI and the test
//! harness agree on what exists. An engine plugs in as an adapter (a file
//! beside `interp.rs`, or a module of the engine's own crate, as the JIT's
//! `weft::wast`) plus a match arm in [`EngineKind::run_script_into`].

mod interp;

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use weft_wast::report::{Log, Report};

use crate::suite::{Proposals, ScriptFile};

pub use interp::InterpEngine;
pub use weft::wast::JitEngine;
pub use weft_wast::SCRIPT_TIME_LIMIT;

/// An engine selectable by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngineKind {
    /// The reference interpreter, `weft_verify::interp`.
    Interp,
    /// weft's Cranelift JIT.
    Jit,
}

impl EngineKind {
    /// The engines that can actually run scripts in this build.
    pub const AVAILABLE: &[EngineKind] = &[EngineKind::Interp, EngineKind::Jit];

    /// The engine's name as the CLI and test names spell it.
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Interp => "interp",
            EngineKind::Jit => "jit",
        }
    }

    /// `Ok` if this engine is built in; otherwise why not, for the user.
    pub fn ensure_available(self) -> Result<(), String> {
        match self {
            EngineKind::Interp | EngineKind::Jit => Ok(()),
        }
    }

    /// Runs a script on this engine; `Err` if the engine is not built in.
    pub fn run_script(self, text: &str) -> Result<Report, String> {
        let log = Log::default();
        self.run_script_into(text, &log)?;
        Ok(log.snapshot())
    }

    /// Runs a script on this engine, recording into `log` as it goes.
    pub fn run_script_into(self, text: &str, log: &Log) -> Result<(), String> {
        self.run_with(text, Proposals::default(), log)
    }

    /// Runs a script on an engine of this kind with `proposals` enabled on
    /// top of its defaults.
    fn run_with(self, text: &str, proposals: Proposals, log: &Log) -> Result<(), String> {
        match self {
            EngineKind::Interp => {
                let options = weft_verify::interp::Options {
                    multi_memory: proposals.multi_memory,
                };
                weft_wast::run_script_into(&InterpEngine::new(options), text, log)
            }
            EngineKind::Jit => {
                let mut config = weft::Config::new();
                config.wasm_threads(true);
                config.wasm_multi_memory(proposals.multi_memory);
                weft_wast::run_script_into(&JitEngine::with_config(&config)?, text, log)
            }
        }
        Ok(())
    }

    /// Like [`EngineKind::run_script`], but a script still running after
    /// `limit` gets one more failure saying so, after whatever its
    /// directives recorded until then (see [`weft_wast::run_within`]).
    pub fn run_script_within(self, text: &str, limit: Duration) -> Result<Report, String> {
        self.ensure_available()?;
        weft_wast::run_within(text, limit, move |text, log| {
            self.run_script_into(text, log)
        })
    }

    /// Like [`EngineKind::run_script_within`] for a suite's script, with
    /// the proposals that script needs ([`ScriptFile::proposals`]).
    pub fn run_file_within(self, script: &ScriptFile, limit: Duration) -> Result<Report, String> {
        self.ensure_available()?;
        let proposals = script.proposals;
        weft_wast::run_within(&script.text, limit, move |text, log| {
            self.run_with(text, proposals, log)
        })
    }
}

impl EngineKind {
    /// Like [`EngineKind::run_file_within`], with fuel on
    /// (`docs/interruption.md`): also returns the fuel the script used on
    /// all its threads, which both engines must report identically.
    pub fn run_file_metered_within(
        self,
        script: &ScriptFile,
        limit: Duration,
    ) -> Result<(Report, Option<u64>), String> {
        self.ensure_available()?;
        let proposals = script.proposals;
        let used = std::sync::Arc::new(std::sync::Mutex::new(None));
        let slot = std::sync::Arc::clone(&used);
        let report = weft_wast::run_within(&script.text, limit, move |text, log| {
            let fuel = match self {
                EngineKind::Interp => {
                    let options = weft_verify::interp::Options {
                        multi_memory: proposals.multi_memory,
                    };
                    let engine = InterpEngine::metered(options);
                    weft_wast::run_script_into(&engine, text, log);
                    engine.fuel_used()
                }
                EngineKind::Jit => {
                    let mut config = weft::Config::new();
                    config
                        .wasm_threads(true)
                        .wasm_multi_memory(proposals.multi_memory)
                        .consume_fuel(true);
                    let engine = JitEngine::with_config(&config)?;
                    weft_wast::run_script_into(&engine, text, log);
                    engine.fuel_used()
                }
            };
            *slot
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = fuel;
            Ok(())
        })?;
        let used = *used
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Ok((report, used))
    }
}

impl fmt::Display for EngineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for EngineKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "interp" => Ok(EngineKind::Interp),
            "jit" => Ok(EngineKind::Jit),
            other => Err(format!(
                "unknown engine \"{other}\" (expected interp or jit)"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hung_script_is_one_failure_after_the_limit() {
        // Waits forever: nobody will ever notify.
        let script = r#"(module (memory 1 1 shared)
              (func (export "sleep") (result i32)
                (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1))))
            (invoke "sleep")"#;
        let report = EngineKind::Interp
            .run_script_within(script, Duration::from_millis(300))
            .expect("interp is built in");
        // The module passed before the invoke hung.
        assert_eq!(report.passed, 1);
        assert_eq!(report.failed(), 1);
        assert!(report.failures[0].reason.contains("did not finish"));
    }

    #[test]
    fn a_hung_script_still_shows_what_failed_before() {
        // The thread fails one directive and ends; the main script then
        // sleeps forever. Both failures are reported, the thread's first.
        let script = r#"(module $M (memory 1 1 shared)
              (func (export "sleep") (result i32)
                (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1))))
            (thread $T (shared (module $M)) (invoke $M "missing"))
            (wait $T)
            (invoke "sleep")"#;
        let report = EngineKind::Interp
            .run_script_within(script, Duration::from_millis(500))
            .expect("interp is built in");
        let lines: Vec<usize> = report.failures.iter().map(|f| f.pos.line).collect();
        assert_eq!(lines, [4, 1], "{:?}", report.failures);
        assert!(report.failures[1].reason.contains("did not finish"));
        // module, thread, wait.
        assert_eq!(report.passed, 3);
    }

    #[test]
    fn the_jit_runs_scripts() {
        let report = EngineKind::Jit
            .run_script(r#"(module (func (export "f") (result i32) i32.const 7)) (assert_return (invoke "f") (i32.const 7))"#)
            .expect("the jit is built in");
        assert_eq!(report.failed(), 0, "{:?}", report.failures);
        assert!(report.passed >= 1);
        assert_eq!("jit".parse::<EngineKind>(), Ok(EngineKind::Jit));
        assert!("wasmtime".parse::<EngineKind>().is_err());
    }
}
