//! `bounds_loops`: loops with affine indices near the end of memory
//! ([`affine_loops`]) on weft with its bounds-check optimizations on, on
//! weft with them off, and on the reference interpreter.
//!
//! Each module is started twice through [`weft_verify::diff`], once per
//! setting of [`DiffConfig::plain_bounds_checks`], and every call goes to
//! both: each compares weft's result or trap kind, the memory (all bytes),
//! the globals `sum` and `progress` (the iteration a trap happened in) and,
//! in metered runs, the fuel left with the interpreter's; so the optimized
//! and the plain code are compared through one oracle. The calls are aimed
//! ([`loop_model::aim`]) so that the loops trap at their first, a middle or
//! their last iteration, or complete, and [`loop_model::simulate`] says
//! which: a verdict the model did not predict is a finding as well (in the
//! model or in both engines). What was reached goes into the tally's
//! [`Tally::reached`] counts, which the seeded test holds to floors.

use anyhow::{anyhow, bail};
use arbitrary::Unstructured;
use weft_verify::diff::{DiffConfig, Differential, Setup, TrapKind, Verdict};

use crate::affine_loops::{self, Generated};
use crate::loop_model::{self, Cause, Run};
use crate::seeds;
use crate::tally::{self, Tally};

/// The most calls per module.
const MAX_CALLS: usize = 16;
/// Inputs shorter than this are stretched to it ([`seeds::stretch`]): a
/// module and its calls take about a kilobyte of choices.
const MIN_INPUT: usize = 1024;

/// Reached: a bounds trap in the first iteration.
pub const TRAP_FIRST: &str = "bounds trap, first iteration";
/// Reached: a bounds trap in an iteration between the first and the last.
pub const TRAP_MIDDLE: &str = "bounds trap, middle iteration";
/// Reached: a bounds trap in the last iteration (of two or more).
pub const TRAP_LAST: &str = "bounds trap, last iteration";
/// Reached: a loop that ran one or more iterations and returned.
pub const COMPLETED: &str = "loop completed";
/// Reached: a loop that entered no iteration.
pub const ZERO_TRIPS: &str = "loop entered no iteration";
/// Reached: a trap after a store of the same call.
pub const STORE_BEFORE_TRAP: &str = "trap after a store";
/// Reached: a trap after a store in the same iteration.
pub const STORE_SAME_ITERATION: &str = "trap after a store, same iteration";
/// Reached: `i32.div_u` by zero between accesses.
pub const DIVIDE_TRAP: &str = "division trap between accesses";
/// Reached: an address computation that wrapped past 2^32.
pub const WRAPPED: &str = "address wrapped past 2^32";
/// Reached: a bounds trap on a shared memory.
pub const TRAP_SHARED: &str = "bounds trap, shared memory";
/// Reached: a bounds trap on an unshared memory.
pub const TRAP_UNSHARED: &str = "bounds trap, unshared memory";
/// Reached: a call on a memory grown by the start function or `grow`.
pub const GROWN: &str = "call on a grown memory";
/// Reached: a call of a loop with two accesses off one address value.
pub const SHARED_ADDRESS: &str = "accesses sharing one address value";
/// Reached: a call the model saw run too long, not made.
pub const TOO_LONG: &str = "call not made: too many iterations";

/// Checks one input; see the module docs. Its tally goes into the
/// process-wide one ([`tally::record`]).
pub fn run(u: &mut Unstructured<'_>) -> anyhow::Result<()> {
    let mut one = Tally::default();
    let result = run_tallied(u, &mut one);
    tally::record(&one);
    result
}

/// [`run`], counting into `tally`.
pub fn run_tallied(u: &mut Unstructured<'_>, tally: &mut Tally) -> anyhow::Result<()> {
    tally.inputs += 1;
    let rest = std::mem::replace(u, Unstructured::new(&[])).take_rest();
    let input = seeds::stretch(rest, MIN_INPUT);
    let u = &mut Unstructured::new(&input);
    // Drawn first, so that the module's choices cannot leave it to an
    // exhausted input; a quarter of the runs are metered, with a tank that
    // some loops drain: a versioned loop must burn the fuel the plain one
    // does, and run out at the same place.
    let fuel = match u.ratio(1, 4) {
        Ok(true) => Some(u.int_in_range(200..=4_000).unwrap_or(200)),
        _ => None,
    };
    let Ok(generated) = affine_loops::generate(u) else {
        tally.no_module += 1;
        return Ok(());
    };
    let bytes = wat::parse_str(&generated.text).map_err(|e| {
        anyhow!(
            "a generated module does not assemble: {e}\n{}",
            generated.text
        )
    })?;
    let mut sides = Vec::new();
    for plain_bounds_checks in [false, true] {
        let config = DiffConfig {
            exact_nans: true,
            fuel,
            plain_bounds_checks,
        };
        match Differential::start(&bytes, config) {
            Ok(Setup::Ready(diff)) => sides.push(diff),
            Ok(Setup::Skipped(skip)) => {
                tally.skip(&skip);
                return Ok(());
            }
            Err(m) => bail!(report(&generated, &m, plain_bounds_checks, &[])),
        }
    }
    tally.instantiated += 1;
    let result = calls(&generated, &mut sides, u, tally);
    // Both sides' interpreters ran the same calls: count one.
    tally.coverage.add(sides[0].coverage());
    result
}

/// Up to [`MAX_CALLS`] aimed calls (and grows) on both sides.
fn calls(
    generated: &Generated,
    sides: &mut [Differential],
    u: &mut Unstructured<'_>,
    tally: &mut Tally,
) -> anyhow::Result<()> {
    let memory = &generated.memory;
    let mut pages = memory.initial_pages();
    let mut made = Vec::new();
    for _ in 0..MAX_CALLS {
        if u.is_empty() {
            break;
        }
        let grow = memory.grow_export && u.ratio(1, 8)?;
        let (name, args, run) = if grow {
            ("grow", Vec::new(), None)
        } else {
            let func = u.choose(&generated.funcs)?;
            let bytes = u64::from(pages) << 16;
            let planned = loop_model::aim(u, func, bytes)?;
            let Some((args, run)) =
                planned.and_then(|args| Some((args, loop_model::simulate(func, &args, bytes)?)))
            else {
                tally.reach(TOO_LONG);
                continue;
            };
            made.push(format!("{}({args:?})", func.name));
            if func.shares_an_address() {
                tally.reach(SHARED_ADDRESS);
            }
            (func.name.as_str(), args.to_diff(), Some(run))
        };
        if grow {
            made.push("grow()".to_owned());
        }
        let mut verdict = None;
        for (side, plain) in sides.iter_mut().zip([false, true]) {
            match side.call(name, &args) {
                Ok(v) => {
                    tally.verdict(&v);
                    verdict = Some(v);
                }
                Err(m) => bail!(report(generated, &m, plain, &made)),
            }
        }
        let Some(verdict) = verdict else {
            continue;
        };
        if let Verdict::Inconclusive(_) = verdict {
            return Ok(());
        }
        let Some(run) = run else {
            // A `grow` that ran out of fuel grew nothing.
            if verdict == Verdict::Returned {
                pages += u32::from(memory.grows_from(pages));
            }
            continue;
        };
        let expected = match run.trap {
            None => Verdict::Returned,
            Some((Cause::Bounds, ..)) => Verdict::Trapped(TrapKind::MemoryOutOfBounds),
            Some((Cause::Divide, ..)) => Verdict::Trapped(TrapKind::IntegerDivisionByZero),
        };
        if verdict == Verdict::Trapped(TrapKind::OutOfFuel) {
            continue;
        }
        if verdict != expected {
            bail!(
                "the loop model expected {expected:?}, both engines say {verdict:?}: {run:?}\n\
                 calls so far: {made:?}\nmodule:\n{}",
                generated.text
            );
        }
        classify(&run, memory.shared, pages > memory.minimum, tally);
    }
    Ok(())
}

/// Counts what `run`, a call the engines agreed on, reached.
fn classify(run: &Run, shared: bool, grown: bool, tally: &mut Tally) {
    if grown {
        tally.reach(GROWN);
    }
    if run.wrapped {
        tally.reach(WRAPPED);
    }
    let trips = run.inductions.len();
    match run.trap {
        None if trips == 0 => tally.reach(ZERO_TRIPS),
        None => tally.reach(COMPLETED),
        Some((cause, iteration, _)) => {
            if cause == Cause::Divide {
                tally.reach(DIVIDE_TRAP);
            } else {
                tally.reach(if shared { TRAP_SHARED } else { TRAP_UNSHARED });
                tally.reach(match iteration {
                    0 => TRAP_FIRST,
                    k if k + 1 == trips => TRAP_LAST,
                    _ => TRAP_MIDDLE,
                });
            }
            if run.store_before_trap {
                tally.reach(STORE_BEFORE_TRAP);
            }
            if run.store_in_trapping_iteration {
                tally.reach(STORE_SAME_ITERATION);
            }
        }
    }
}

fn report(
    generated: &Generated,
    m: &weft_verify::diff::Mismatch,
    plain: bool,
    calls: &[String],
) -> String {
    let setting = if plain { "off" } else { "on" };
    format!(
        "{m}\n(weft with its bounds-check optimizations {setting})\ncalls so far: {calls:?}\n\
         module:\n{}",
        generated.text
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    use weft_verify::interp::coverage::Family;

    /// The seeded corpus agrees on all three engines and reaches what the
    /// target is for: traps at the first, a middle and the last iteration,
    /// completed loops, stores before a trap, both kinds of memory.
    #[test]
    fn seeded_loops_agree_and_reach_the_floors() {
        let mut tally = Tally::default();
        seeds::for_each_input(300, 256..2048, |data| {
            if let Err(finding) = run_tallied(&mut Unstructured::new(data), &mut tally) {
                panic!("{finding:#}");
            }
        });
        println!("{tally}");
        assert!(tally.instantiated >= 250, "{tally}");
        assert!(tally.compared_calls >= 3_000, "{tally}");
        for (what, floor) in FLOORS {
            assert!(
                tally.reached(what) >= floor,
                "{what}: {} < {floor}\n{tally}",
                tally.reached(what)
            );
        }
        assert!(tally.coverage.get(Family::Simd) >= 15_000, "{tally}");
        assert!(tally.traps(TrapKind::OutOfFuel) >= 100, "{tally}");
    }

    /// What the seeded corpus must reach, at about a third of what it did
    /// when the floors were set.
    const FLOORS: [(&str, u64); 13] = [
        (TRAP_FIRST, 800),
        (TRAP_MIDDLE, 150),
        (TRAP_LAST, 150),
        (COMPLETED, 200),
        (ZERO_TRIPS, 50),
        (STORE_BEFORE_TRAP, 400),
        (STORE_SAME_ITERATION, 250),
        (DIVIDE_TRAP, 60),
        (WRAPPED, 700),
        (TRAP_SHARED, 550),
        (TRAP_UNSHARED, 550),
        (GROWN, 500),
        (SHARED_ADDRESS, 100),
    ];
}
