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
//! limits: stack exhaustion (the engines' stacks differ in depth). When it
//! is explained (see [`Exhaustion`]: both ran out, or the depth the other
//! engine reached could have filled the stack of the one that ran out) it
//! ends the comparison with [`Verdict::Inconclusive`], since the two
//! engines' states may legitimately part from there; when it is not, it is
//! a [`Mismatch`] that reports both sides' depths.
//!
//! What counts as equal is decided in [`observe`]: floats by bits when the
//! module's NaNs are canonical ([`DiffConfig::exact_nans`]), by NaN-ness
//! otherwise; function references by which export they are; traps by kind
//! (host errors by message).
//!
//! The interpreter's operator counts ([`crate::interp::coverage`]) for
//! everything the harness ran are kept in [`Differential::coverage`], so a
//! fuzzer can report what it reached.
//!
//! ```
//! use weft_verify::diff::{Arg, DiffConfig, Differential, Setup, TrapKind, Verdict};
//! let wasm = wat::parse_str(r#"(module
//!     (memory (export "m") 1)
//!     (func (export "f") (param i32) (result i32)
//!       (i32.store (i32.const 0) (local.get 0))
//!       (i32.div_u (i32.const 100) (local.get 0))))"#).unwrap();
//! let Setup::Ready(mut diff) = Differential::start(&wasm, DiffConfig::default()).unwrap() else {
//!     panic!("both engines take this module");
//! };
//! assert_eq!(diff.call("f", &[Arg::I32(7)]).unwrap(), Verdict::Returned);
//! assert_eq!(
//!     diff.call("f", &[Arg::I32(0)]).unwrap(),
//!     Verdict::Trapped(TrapKind::IntegerDivisionByZero),
//! );
//! ```

mod interp_side;
mod jit_side;
pub mod observe;

use std::fmt;

pub use observe::{Arg, FuncId, Observed, Outcome, State, TrapKind};

use crate::interp::{ValType, coverage};
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
    /// Compile with weft's bounds-check optimizations off
    /// (`Config::bounds_check_fusion`, `loop_versioning` and `inlining`):
    /// every access is checked on its own, in the callee that makes it.
    /// A fuzzer runs one module under both settings, each against the
    /// interpreter, so that the optimized and the plain code are compared
    /// through the same oracle (`docs/bounds-checks.md`).
    pub plain_bounds_checks: bool,
}

/// The result of a step that found nothing wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Both engines returned the same values and left the same state.
    Returned,
    /// Both engines trapped with this kind and left the same state.
    Trapped(TrapKind),
    /// An engine ran out of stack, explainably; stop comparing.
    Inconclusive(Exhaustion),
}

/// Which engine ran out of stack in an [`Exhaustion`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Exhausted {
    /// Both did.
    Both,
    /// Only the interpreter did (weft returned or trapped otherwise).
    Interpreter,
    /// Only weft did.
    Jit,
}

/// The most stack, in bytes, that one weft frame of a differential module
/// is taken to need; generous for functions of wasm-smith's sizes (at most
/// a few hundred locals and a few hundred instructions, 16 bytes a value
/// at worst). weft running out while the interpreter was less deep than
/// [`jit_side::STACK_LIMIT`] / this is not explained by frame sizes.
pub const MAX_JIT_FRAME_BYTES: usize = 16 << 10;

/// The least stack, in bytes, that one weft frame needs: a return address
/// and a saved frame pointer. The interpreter running out while weft
/// returned is explained only if weft's stack could hold the interpreter's
/// depth at this size.
pub const MIN_JIT_FRAME_BYTES: usize = 16;

/// A stack exhaustion on one or both engines, with both sides' depths.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exhaustion {
    /// The call.
    pub call: String,
    /// Who ran out.
    pub exhausted: Exhausted,
    /// The interpreter's outcome.
    pub interp: String,
    /// weft's outcome.
    pub jit: String,
    /// The most wasm frames the interpreter had live during the call.
    pub interp_frames: usize,
    /// The most values (locals and operands) on the interpreter's stack.
    pub interp_values: usize,
    /// weft's stack limit in bytes (its depth is that when it ran out).
    pub jit_stack_bytes: usize,
}

impl Exhaustion {
    /// Whether the difference in depth is explained by the engines' frame
    /// sizes: both ran out; or only weft did, and the interpreter was deep
    /// enough that weft's frames, at [`MAX_JIT_FRAME_BYTES`] each, could
    /// have filled its stack; or only the interpreter did (it stops at
    /// [`crate::interp::MAX_FRAMES`] frames or [`crate::interp::MAX_VALUES`]
    /// values), and weft's stack could hold that many frames at
    /// [`MIN_JIT_FRAME_BYTES`] each.
    pub fn explained(&self) -> bool {
        match self.exhausted {
            Exhausted::Both => true,
            Exhausted::Jit => {
                self.interp_frames.saturating_mul(MAX_JIT_FRAME_BYTES) >= self.jit_stack_bytes
            }
            Exhausted::Interpreter => {
                self.interp_frames.saturating_mul(MIN_JIT_FRAME_BYTES) <= self.jit_stack_bytes
            }
        }
    }
}

impl fmt::Display for Exhaustion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: stack exhausted on {:?}; interpreter {} (at most {} frames, {} values), \
             weft {} (stack limit {} bytes)",
            self.call,
            self.exhausted,
            self.interp,
            self.interp_frames,
            self.interp_values,
            self.jit,
            self.jit_stack_bytes
        )
    }
}

/// Why [`Differential::start`] found nothing to compare.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Skip {
    /// The interpreter does not implement something the module uses.
    Unsupported(String),
    /// The interpreter hit an allocation limit while instantiating.
    InterpreterResource(String),
    /// Both engines rejected the module.
    BothReject,
    /// Stack exhausted while instantiating (the start function).
    StackExhaustedInstantiating,
    /// Both trapped while instantiating, with this kind.
    BothTrapInstantiating(TrapKind),
}

impl Skip {
    /// A short name of the reason, for tallies.
    pub fn reason(&self) -> String {
        match self {
            Skip::Unsupported(_) => "interpreter unsupported".into(),
            Skip::InterpreterResource(_) => "interpreter resource limit".into(),
            Skip::BothReject => "both reject".into(),
            Skip::StackExhaustedInstantiating => "stack exhausted instantiating".into(),
            Skip::BothTrapInstantiating(kind) => format!("both trap instantiating: {kind:?}"),
        }
    }
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Skip::Unsupported(m) => write!(f, "the interpreter does not support: {m}"),
            Skip::InterpreterResource(m) => write!(f, "interpreter resource limit: {m}"),
            _ => f.write_str(&self.reason()),
        }
    }
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
    /// limit.
    Skipped(Skip),
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
    /// Boxed: it is most of the struct, and `Setup` holds one by value.
    coverage: Box<coverage::Coverage>,
}

impl Differential {
    /// Compiles and instantiates `bytes` on both engines and compares the
    /// instantiation and the initial state.
    pub fn start(bytes: &[u8], config: DiffConfig) -> Result<Setup, Mismatch> {
        let engine = jit_side::engine(config.fuel.is_some(), config.plain_bounds_checks)
            .map_err(|e| Mismatch::new("engine creation", "-", e))?;
        crate::interp::set_fuel(config.fuel);
        // Counts from before this module are not its own.
        coverage::take();
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
                return Ok(Setup::Skipped(Skip::Unsupported(message)));
            }
            (Err(I::Resource(m)), _) => {
                return Ok(Setup::Skipped(Skip::InterpreterResource(m)));
            }
            (Err(I::Rejected { .. }), Err(J::Rejected(_))) => {
                return Ok(Setup::Skipped(Skip::BothReject));
            }
            (Err(I::Trapped(a, am)), Err(J::Trapped(b, bm))) => {
                if a == TrapKind::StackExhausted || b == TrapKind::StackExhausted {
                    return Ok(Setup::Skipped(Skip::StackExhaustedInstantiating));
                }
                if a != b {
                    return Err(Mismatch::new(
                        "the trap while instantiating",
                        format!("{a:?} ({am})"),
                        format!("{b:?} ({bm})"),
                    ));
                }
                return Ok(Setup::Skipped(Skip::BothTrapInstantiating(a)));
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
            coverage: Box::new(coverage::take()),
        };
        diff.compare_fuel("instantiation")?;
        diff.compare_state("after instantiation")?;
        Ok(Setup::Ready(diff))
    }

    /// The exported functions, in export order.
    pub fn functions(&self) -> &[ExportedFunc] {
        &self.functions
    }

    /// What the interpreter executed for this module so far (its start
    /// function and every call), by operator family.
    pub fn coverage(&self) -> &coverage::Coverage {
        &self.coverage
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
        coverage::take();
        let interp = self.interp.call(name, args);
        let reached = coverage::take();
        self.coverage.add(&reached);
        let interp = interp.map_err(|e| Mismatch::new(what(), e, "(not compared)"))?;
        let jit = self
            .jit
            .call(name, args)
            .map_err(|e| Mismatch::new(what(), &interp, e))?;
        let exhausted = match (interp.is_exhaustion(), jit.is_exhaustion()) {
            (true, true) => Some(Exhausted::Both),
            (true, false) => Some(Exhausted::Interpreter),
            (false, true) => Some(Exhausted::Jit),
            (false, false) => None,
        };
        if let Some(exhausted) = exhausted {
            let exhaustion = Exhaustion {
                call: what(),
                exhausted,
                interp: interp.to_string(),
                jit: jit.to_string(),
                interp_frames: reached.max_frames,
                interp_values: reached.max_values,
                jit_stack_bytes: jit_side::STACK_LIMIT,
            };
            if !exhaustion.explained() {
                return Err(Mismatch::new(
                    format!(
                        "{} (unexplained one-sided stack exhaustion: {exhaustion})",
                        what()
                    ),
                    interp,
                    jit,
                ));
            }
            return Ok(Verdict::Inconclusive(exhaustion));
        }
        if !interp.same_as(&jit, self.config.exact_nans) {
            return Err(Mismatch::new(what(), interp, jit));
        }
        self.compare_fuel(&what())?;
        self.compare_state(&format!("the state after {}", what()))?;
        Ok(match interp {
            Outcome::Returned(_) => Verdict::Returned,
            Outcome::Trapped(kind, _) => Verdict::Trapped(kind),
        })
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
        if a.len() != b.len() || a.iter().zip(b).any(|(x, y)| !x.same_as(y, exact_nans)) {
            let show = |t: &Vec<Observed>| {
                let elements = t.iter().map(|e| e.to_string()).collect::<Vec<_>>();
                format!("{} elements: [{}]", t.len(), elements.join(", "))
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
