//! The engines this runner is built with, chosen by name at run time.
//!
//! The runner is generic over [`Engine`](crate::engine::Engine); this module
//! is the one place that lists the concrete engines, so the CLI and the test
//! harness agree on what exists. The JIT plugs in by adding `jit.rs` beside
//! `interp.rs` and a match arm in [`EngineKind::run_script`].

mod interp;

use std::fmt;
use std::str::FromStr;

use crate::report::Report;
use crate::runner;

pub use interp::InterpEngine;

/// What the JIT engine says until it is built into this runner.
pub const JIT_MISSING: &str = "the jit engine is not built into this runner yet";

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
    pub const AVAILABLE: &[EngineKind] = &[EngineKind::Interp];

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
            EngineKind::Interp => Ok(()),
            EngineKind::Jit => Err(JIT_MISSING.to_string()),
        }
    }

    /// Runs a script on this engine; `Err` if the engine is not built in.
    pub fn run_script(self, text: &str) -> Result<Report, String> {
        match self {
            EngineKind::Interp => Ok(runner::run_script(&InterpEngine, text)),
            EngineKind::Jit => Err(JIT_MISSING.to_string()),
        }
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
