//! The differential harness: one module on weft's JIT and on the reference
//! interpreter, checked call by call.
//!
//! [`Differential::start`] compiles and instantiates the module on both
//! engines (no imports: the fuzzer generates self-contained modules), and
//! [`Differential::call`] calls one export on both with the same arguments,
//! then compares the outcomes (results, or the kind of trap) and every
//! exported global, memory and table. Anything that differs is a
//! [`Mismatch`] that prints both sides.
//!
//! Some outcomes are not properties of the program but of an engine's
//! limits: stack exhaustion (the engines' stacks differ in depth) and
//! resource exhaustion (the interpreter's allocation caps). They end the
//! comparison with [`Verdict::Inconclusive`], since the two engines' states
//! may legitimately part from there.
//!
//! What counts as equal is decided in [`observe`]: floats by bits when the
//! module's NaNs are canonical ([`DiffConfig::exact_nans`]), by NaN-ness
//! otherwise; references by null-ness.
//!
//! ```
//! use weft_verify::diff::{Arg, DiffConfig, Differential, Setup, Verdict};
//! let wasm = wat::parse_str(r#"(module
//!     (memory (export "m") 1)
//!     (func (export "f") (param i32) (result i32)
//!       (i32.store (i32.const 0) (local.get 0))
//!       (i32.div_u (i32.const 100) (local.get 0))))"#).unwrap();
//! let Setup::Ready(mut diff) = Differential::start(&wasm, DiffConfig::default()).unwrap() else {
//!     panic!("both engines take this module");
//! };
//! assert_eq!(diff.call("f", &[Arg::I32(7)]).unwrap(), Verdict::Agree);
//! assert_eq!(diff.call("f", &[Arg::I32(0)]).unwrap(), Verdict::Agree); // both trap
//! ```

mod interp_side;
mod jit_side;
pub mod observe;

use std::fmt;

pub use observe::{Arg, Observed, Outcome, State, TrapKind};

use crate::interp::ValType;
use interp_side::InterpSide;
use jit_side::JitSide;

/// How to compare.
#[derive(Clone, Copy, Debug, Default)]
pub struct DiffConfig {
    /// Compare float bits exactly, NaN payloads included. Right when the
    /// module canonicalizes its NaNs (wasm-smith's `canonicalize_nans`):
    /// then a payload difference is a real bug (a NaN that escaped
    /// canonicalization, or a load/store/reinterpret that changed bits).
    pub exact_nans: bool,
    /// Run both engines with this much fuel for instantiation and for each
    /// call (`docs/interruption.md`), and compare the fuel left after each:
    /// with the trap kind, that pins an out-of-fuel trap to one segment.
    /// `None`: unmetered.
    pub fuel: Option<u64>,
}

/// The result of a step that found nothing wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Both engines did the same thing.
    Agree,
    /// An engine hit a limit (stack or resources); stop comparing.
    Inconclusive(String),
}

/// A difference between the engines: what was compared and both sides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// What was being compared (the call and the part of the state).
    pub what: String,
    /// The interpreter's side.
    pub interp: String,
    /// weft's side.
    pub jit: String,
}

impl Mismatch {
    fn new(what: impl Into<String>, interp: impl fmt::Display, jit: impl fmt::Display) -> Mismatch {
        Mismatch {
            what: what.into(),
            interp: interp.to_string(),
            jit: jit.to_string(),
        }
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "engines differ on {}\n  interpreter: {}\n  weft:        {}",
            self.what, self.interp, self.jit
        )
    }
}

impl std::error::Error for Mismatch {}

/// What [`Differential::start`] produced.
pub enum Setup {
    /// Both engines have an instance; calls can be compared.
    Ready(Differential),
    /// Nothing to compare, and nothing wrong: both rejected the module,
    /// both trapped the same way while instantiating, or an engine hit a
    /// limit. The string says which.
    Skipped(String),
}

/// An exported function and its parameter types.
#[derive(Clone, Debug)]
pub struct ExportedFunc {
    /// The export name.
    pub name: String,
    /// The parameter types, for generating arguments.
    pub params: Vec<ValType>,
}

/// One module, instantiated on both engines.
pub struct Differential {
    config: DiffConfig,
    interp: InterpSide,
    jit: JitSide,
    functions: Vec<ExportedFunc>,
}

impl Differential {
    /// Compiles and instantiates `bytes` on both engines and compares the
    /// instantiation and the initial state.
    pub fn start(bytes: &[u8], config: DiffConfig) -> Result<Setup, Mismatch> {
        let engine = jit_side::engine(config.fuel.is_some())
            .map_err(|e| Mismatch::new("engine creation", "-", e))?;
        crate::interp::set_fuel(config.fuel);
        let interp = InterpSide::new(bytes);
        let jit = JitSide::new(engine, bytes, config.fuel);
        use interp_side::Failure as I;
        use jit_side::Failure as J;
        let (interp, jit) = match (interp, jit) {
            (Ok(i), Ok(j)) => (i, j),
            (
                Err(I::Rejected {
                    unsupported: true,
                    message,
                }),
                _,
            ) => {
                return Ok(Setup::Skipped(format!(
                    "the interpreter does not support: {message}"
                )));
            }
            (Err(I::Resource(m)), _) => {
                return Ok(Setup::Skipped(format!("interpreter resource limit: {m}")));
            }
            (Err(I::Rejected { .. }), Err(J::Rejected(_))) => {
                return Ok(Setup::Skipped("both engines reject the module".into()));
            }
            (Err(I::Trapped(a, am)), Err(J::Trapped(b, bm))) => {
                if a == TrapKind::StackExhausted || b == TrapKind::StackExhausted {
                    return Ok(Setup::Skipped("stack exhausted while instantiating".into()));
                }
                if a != b {
                    return Err(Mismatch::new(
                        "the trap while instantiating",
                        format!("{a:?} ({am})"),
                        format!("{b:?} ({bm})"),
                    ));
                }
                return Ok(Setup::Skipped(format!(
                    "both trap while instantiating: {a:?}"
                )));
            }
            (i, j) => {
                return Err(Mismatch::new(
                    "compiling and instantiating",
                    describe_interp(&i),
                    describe_jit(&j),
                ));
            }
        };
        let functions = interp
            .functions()
            .into_iter()
            .map(|(name, params)| ExportedFunc { name, params })
            .collect();
        let diff = Differential {
            config,
            interp,
            jit,
            functions,
        };
        diff.compare_fuel("instantiation")?;
        diff.compare_state("after instantiation")?;
        Ok(Setup::Ready(diff))
    }

    /// The exported functions, in export order.
    pub fn functions(&self) -> &[ExportedFunc] {
        &self.functions
    }

    /// Calls export `name` on both engines and compares the outcome and
    /// the state after it.
    pub fn call(&mut self, name: &str, args: &[Arg]) -> Result<Verdict, Mismatch> {
        let what = || format!("`{name}({})`", list(args));
        if let Some(fuel) = self.config.fuel {
            crate::interp::set_fuel(Some(fuel));
            self.jit
                .set_fuel(fuel)
                .map_err(|e| Mismatch::new(what(), "-", e))?;
        }
        let interp = self.interp.call(name, args);
        let jit = self
            .jit
            .call(name, args)
            .map_err(|e| Mismatch::new(what(), &interp, e))?;
        if interp.is_exhaustion() || jit.is_exhaustion() {
            return Ok(Verdict::Inconclusive(format!(
                "{}: interpreter {interp}, weft {jit}",
                what()
            )));
        }
        if !interp.same_as(&jit, self.config.exact_nans) {
            return Err(Mismatch::new(what(), interp, jit));
        }
        self.compare_fuel(&what())?;
        self.compare_state(&format!("the state after {}", what()))?;
        Ok(Verdict::Agree)
    }

    /// With fuel on, compares the fuel left after `step`.
    fn compare_fuel(&self, step: &str) -> Result<(), Mismatch> {
        if self.config.fuel.is_none() {
            return Ok(());
        }
        let what = || format!("the fuel left after {step}");
        let jit = self.jit.fuel().map_err(|e| Mismatch::new(what(), "-", e))?;
        let interp = crate::interp::fuel();
        if interp != Some(jit) {
            let shown = interp.map_or_else(|| "unmetered".to_owned(), |f| f.to_string());
            return Err(Mismatch::new(what(), shown, jit));
        }
        Ok(())
    }

    /// Compares every exported global, memory and table.
    fn compare_state(&self, when: &str) -> Result<(), Mismatch> {
        let interp = self.interp.state();
        let jit = self
            .jit
            .state()
            .map_err(|e| Mismatch::new(when, "(state read)", e))?;
        compare_states(when, &interp, &jit, self.config.exact_nans)
    }
}

fn list(args: &[Arg]) -> String {
    args.iter()
        .map(|a| format!("{a:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn describe_interp(r: &Result<InterpSide, interp_side::Failure>) -> String {
    use interp_side::Failure as I;
    match r {
        Ok(_) => "instantiated".into(),
        Err(I::Rejected { message, .. }) => format!("rejected: {message}"),
        Err(I::Trapped(k, m)) => format!("trapped while instantiating: {k:?} ({m})"),
        Err(I::Resource(m)) => format!("resource limit: {m}"),
        Err(I::Link(m)) => format!("link error: {m}"),
    }
}

fn describe_jit(r: &Result<JitSide, jit_side::Failure>) -> String {
    use jit_side::Failure as J;
    match r {
        Ok(_) => "instantiated".into(),
        Err(J::Rejected(m)) => format!("rejected: {m}"),
        Err(J::Trapped(k, m)) => format!("trapped while instantiating: {k:?} ({m})"),
        Err(J::Other(m)) => format!("failed to instantiate: {m}"),
    }
}

/// Compares two states export by export, reporting the first difference
/// with enough context to read it (for memory: the first differing offset
/// and the bytes around it on both sides).
pub fn compare_states(
    when: &str,
    interp: &State,
    jit: &State,
    exact_nans: bool,
) -> Result<(), Mismatch> {
    let names = |v: Vec<&String>| v.into_iter().cloned().collect::<Vec<_>>().join(", ");
    if interp.globals.len() != jit.globals.len()
        || interp.memories.len() != jit.memories.len()
        || interp.tables.len() != jit.tables.len()
    {
        let summary = |s: &State| {
            format!(
                "globals [{}], memories [{}], tables [{}]",
                names(s.globals.iter().map(|g| &g.0).collect()),
                names(s.memories.iter().map(|m| &m.0).collect()),
                names(s.tables.iter().map(|t| &t.0).collect()),
            )
        };
        return Err(Mismatch::new(
            format!("the exports, {when}"),
            summary(interp),
            summary(jit),
        ));
    }
    for ((name, a), (_, b)) in interp.globals.iter().zip(&jit.globals) {
        if !a.same_as(b, exact_nans) {
            return Err(Mismatch::new(format!("global `{name}`, {when}"), a, b));
        }
    }
    for ((name, a), (_, b)) in interp.memories.iter().zip(&jit.memories) {
        if a.len() != b.len() {
            return Err(Mismatch::new(
                format!("the size of memory `{name}`, {when}"),
                format!("{} bytes", a.len()),
                format!("{} bytes", b.len()),
            ));
        }
        if let Some(at) = a.iter().zip(b).position(|(x, y)| x != y) {
            let start = at & !15;
            let end = (start + 32).min(a.len());
            let count = a.iter().zip(b).filter(|(x, y)| x != y).count();
            return Err(Mismatch::new(
                format!("memory `{name}` at {at:#x} ({count} bytes differ), {when}"),
                format!("{:02x?} from {start:#x}", &a[start..end]),
                format!("{:02x?} from {start:#x}", &b[start..end]),
            ));
        }
    }
    for ((name, a), (_, b)) in interp.tables.iter().zip(&jit.tables) {
        if a != b {
            let show = |t: &Vec<bool>| {
                let nulls = t
                    .iter()
                    .map(|&n| if n { '0' } else { 'f' })
                    .collect::<String>();
                format!("{} elements, null map {nulls}", t.len())
            };
            return Err(Mismatch::new(
                format!("table `{name}`, {when}"),
                show(a),
                show(b),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
