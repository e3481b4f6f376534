//! What a call of an [`affine_loops`] function does, and arguments that
//! make it trap where a test wants it to.
//!
//! The addresses of a generated loop depend only on its parameters, its
//! constants and the memory's size, never on loaded values, so a few lines
//! of arithmetic ([`simulate`]) say exactly which iteration and which
//! access a call traps at, or that it completes. `bounds_loops` uses that
//! to aim calls ([`aim`]: at the first, a middle or the last iteration, or
//! past the end) and to classify them, and checks it against the engines:
//! a model that disagrees with both engines is a finding too. The seeded
//! test in this module checks the model against the interpreter alone,
//! iteration included (through the `progress` global).

use arbitrary::{Result, Unstructured};
use weft_verify::diff::Arg;

use crate::affine_loops::{Base, Bound, Event, Form, LoopFunc, Operand};

/// The most iterations a call may make; calls the model sees running
/// longer are not made (a zero step never ends).
pub const MAX_TRIPS: usize = 512;

/// The arguments of one call, in parameter order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Args {
    /// `$base`.
    pub base: u32,
    /// `$start`.
    pub start: u32,
    /// `$n`.
    pub n: u32,
    /// `$step`.
    pub step: u32,
    /// `$div`.
    pub div: u32,
}

impl Args {
    /// As the harness passes them.
    pub fn to_diff(self) -> Vec<Arg> {
        [self.base, self.start, self.n, self.step, self.div]
            .into_iter()
            .map(|v| Arg::I32(v as i32))
            .collect()
    }
}

/// Why a call traps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    /// An access out of bounds.
    Bounds,
    /// `i32.div_u` by zero.
    Divide,
}

/// What one call does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    /// The induction value of every iteration the loop would enter if
    /// nothing trapped.
    pub inductions: Vec<u32>,
    /// `None`: returns; else the cause, the iteration and the body event
    /// that trap.
    pub trap: Option<(Cause, usize, usize)>,
    /// A store ran before the trap (in any iteration).
    pub store_before_trap: bool,
    /// A store ran before the trap in the trapping iteration.
    pub store_in_trapping_iteration: bool,
    /// An executed address computation wrapped past 2^32.
    pub wrapped: bool,
}

/// The induction values of the iterations `func` enters with `args` on a
/// memory of `memory_bytes`, ignoring traps; `None` past [`MAX_TRIPS`].
pub fn inductions(func: &LoopFunc, args: &Args, memory_bytes: u64) -> Option<Vec<u32>> {
    let start = value(func.start, args.start);
    let step = value(func.step, args.step);
    let bound = match func.bound {
        Bound::Const(n) => n,
        Bound::Param => args.n,
        Bound::MemoryEnd(minus) => (memory_bytes as u32).wrapping_sub(minus),
    };
    let below = |i: u32| {
        if func.signed {
            (i as i32) < (bound as i32)
        } else {
            i < bound
        }
    };
    let mut values = Vec::new();
    let mut i = start;
    loop {
        if func.form == Form::While && !below(i) {
            return Some(values);
        }
        if values.len() == MAX_TRIPS {
            return None;
        }
        values.push(i);
        i = i.wrapping_add(step);
        if func.form == Form::DoWhile && !below(i) {
            return Some(values);
        }
    }
}

fn value(op: Operand, param: u32) -> u32 {
    match op {
        Operand::Const(c) => c,
        Operand::Param => param,
    }
}

/// The accesses' base for `args` on a memory of `memory_bytes`.
fn base(func: &LoopFunc, args: &Args, memory_bytes: u64) -> u32 {
    match func.base {
        Base::Param => args.base,
        Base::MemoryEnd => (memory_bytes as u32).wrapping_sub(args.base),
    }
}

/// What calling `func` with `args` does on a memory of `memory_bytes`;
/// `None` if it would run past [`MAX_TRIPS`].
pub fn simulate(func: &LoopFunc, args: &Args, memory_bytes: u64) -> Option<Run> {
    let inductions = inductions(func, args, memory_bytes)?;
    let base = base(func, args, memory_bytes);
    let mut run = Run {
        inductions,
        trap: None,
        store_before_trap: false,
        store_in_trapping_iteration: false,
        wrapped: false,
    };
    for (iteration, &i) in run.inductions.iter().enumerate() {
        let mut stored_here = false;
        for (e, event) in func.body.iter().enumerate() {
            let cause = match event {
                Event::Mix => continue,
                Event::Divide if args.div == 0 => Cause::Divide,
                Event::Divide => continue,
                Event::Access(a) => {
                    let exact =
                        u64::from(base) + u64::from(i) * u64::from(a.scale) + u64::from(a.bump);
                    run.wrapped |= exact >= 1 << 32;
                    let address = base
                        .wrapping_add(i.wrapping_mul(a.scale))
                        .wrapping_add(a.bump);
                    let end = u64::from(address) + u64::from(a.offset) + u64::from(a.width);
                    if end <= memory_bytes {
                        stored_here |= a.store;
                        run.store_before_trap |= a.store;
                        continue;
                    }
                    Cause::Bounds
                }
            };
            run.trap = Some((cause, iteration, e));
            run.store_in_trapping_iteration = stored_here;
            return Some(run);
        }
    }
    Some(run)
}

/// Where [`aim`] tries to put the trap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    /// At this iteration's widest access.
    Iteration(usize),
    /// Nowhere: every iteration in bounds.
    Complete,
    /// Wherever an edge-valued base puts it.
    Anywhere,
}

/// Arguments for `func` on a memory of `memory_bytes` that make it trap at
/// its first, a middle or its last iteration, or complete (about equally
/// often), or at an edge-valued base; `None` if the trip count drawn is
/// too long (see [`MAX_TRIPS`]). What the call then does is
/// [`simulate`]'s to say: the aim is exact for the usual shapes, not for
/// all (mixed scales, wrapping).
pub fn aim(u: &mut Unstructured<'_>, func: &LoopFunc, memory_bytes: u64) -> Result<Option<Args>> {
    let mut args = Args {
        step: *u.choose(&[1, 1, 2, 4, 8, 3, 16, 64, 0x1000, 0])?,
        div: if u.ratio(1, 6)? {
            0
        } else {
            u.int_in_range(1..=9)?
        },
        ..Args::default()
    };
    let step = value(func.step, args.step);
    let trips: u32 = if u.ratio(1, 8)? {
        u.int_in_range(0..=300)?
    } else {
        u.int_in_range(1..=40)?
    };
    let span = step.wrapping_mul(trips);
    let rest = u.int_in_range(0..=step.saturating_sub(1).min(7))?;
    match (func.start, func.bound) {
        (Operand::Param, Bound::Const(n)) => args.start = n.wrapping_sub(span).wrapping_add(rest),
        (Operand::Param, Bound::MemoryEnd(minus)) => {
            let bound = (memory_bytes as u32).wrapping_sub(minus);
            args.start = bound.wrapping_sub(span).wrapping_add(rest);
        }
        (start, Bound::Param) => {
            args.start = *u.choose(&[0, 0, 1, 7, 100, 0, 0x1000_0000, 0x7fff_0000])?;
            args.n = value(start, args.start)
                .wrapping_add(span)
                .wrapping_sub(rest);
        }
        (Operand::Const(_), _) => {}
    }
    let Some(inductions) = inductions(func, &args, memory_bytes) else {
        return Ok(None);
    };
    let target = match (u.int_in_range(0..=4)?, inductions.len()) {
        (_, 0) | (4, _) => Target::Anywhere,
        (0, _) => Target::Iteration(0),
        (1, n) if n >= 3 => Target::Iteration(u.int_in_range(1..=n - 2)?),
        (2, n) => Target::Iteration(n - 1),
        _ => Target::Complete,
    };
    // The widest extent past `base` that iteration `k` reaches, a bump
    // counting as negative when it is (`p[-2]`).
    let reach = |k: usize| -> i128 {
        func.accesses()
            .map(|a| {
                let scaled = inductions[k].wrapping_mul(a.scale);
                i128::from(scaled)
                    + i128::from(a.bump as i32)
                    + i128::from(a.offset)
                    + i128::from(a.width)
            })
            .max()
            .unwrap_or(0)
    };
    let wrap = |v: i128| v.rem_euclid(1 << 32) as u32;
    let base = match target {
        Target::Iteration(k) => {
            // Past the end by 1 + slack at `k`, in bounds at `k - 1`
            // while the slack stays below the reach's growth.
            let growth = match k {
                0 => 4,
                _ => (reach(k) - reach(k - 1)).clamp(1, 256),
            };
            let slack = u.int_in_range(0..=growth - 1)?;
            wrap(i128::from(memory_bytes) + 1 + slack - reach(k))
        }
        Target::Complete => {
            let widest = (0..inductions.len()).map(reach).max().unwrap_or(0);
            let slack: i128 = u.int_in_range(0..=7)?;
            wrap(i128::from(memory_bytes) - slack - widest)
        }
        Target::Anywhere => {
            let edges = [
                0,
                1,
                memory_bytes as u32 - 1,
                memory_bytes as u32 - 16,
                0xffff_fff0,
                0x8000_0000,
                u.arbitrary()?,
            ];
            *u.choose(&edges)?
        }
    };
    args.base = match func.base {
        Base::Param => base,
        Base::MemoryEnd => (memory_bytes as u32).wrapping_sub(base),
    };
    Ok(Some(args))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{affine_loops, seeds};
    use weft_verify::interp;

    /// The model's claim, checked on the interpreter alone: for aimed
    /// calls, whether it traps, why, and (through the `progress` global,
    /// which functions that have it set at the start of every iteration)
    /// at which iteration.
    #[test]
    fn the_model_predicts_the_interpreter() {
        let (mut calls, mut iterations_checked) = (0, 0);
        seeds::for_each_input(80, 256..2048, |data| {
            let mut u = Unstructured::new(data);
            let Ok(generated) = affine_loops::generate(&mut u) else {
                return;
            };
            let bytes = wat::parse_str(&generated.text).expect("assembles");
            let module = interp::Module::new(&bytes).expect("the interpreter takes it");
            let instance = interp::Instance::new(&module, &[]).expect("instantiates");
            let memory_bytes = u64::from(generated.memory.initial_pages()) << 16;
            for func in &generated.funcs {
                let Ok(Some(args)) = aim(&mut u, func, memory_bytes) else {
                    continue;
                };
                let Some(run) = simulate(func, &args, memory_bytes) else {
                    continue;
                };
                let values = args
                    .to_diff()
                    .into_iter()
                    .map(|a| match a {
                        Arg::I32(v) => interp::Value::I32(v),
                        _ => unreachable!("all parameters are i32"),
                    })
                    .collect::<Vec<_>>();
                let outcome = instance.invoke(&func.name, &values);
                let context = || format!("{}({args:?}): {run:?}\n{}", func.name, generated.text);
                match (&run.trap, &outcome) {
                    (None, Ok(_)) => {}
                    (Some((Cause::Bounds, ..)), Err(interp::Trap::MemoryOutOfBounds)) => {}
                    (Some((Cause::Divide, ..)), Err(interp::Trap::IntegerDivisionByZero)) => {}
                    _ => panic!("interpreter: {outcome:?}; {}", context()),
                }
                calls += 1;
                let last = match run.trap {
                    Some((_, iteration, _)) => Some(iteration),
                    None => run.inductions.len().checked_sub(1),
                };
                if let (true, Some(k)) = (func.progress, last) {
                    let Some(interp::Extern::Global(g)) = instance.export("progress") else {
                        panic!("no progress global");
                    };
                    let expected = run.inductions[k] as i32;
                    let progress = g.get();
                    assert!(
                        matches!(progress, interp::Value::I32(v) if v == expected),
                        "progress {progress:?}, expected {expected}; {}",
                        context()
                    );
                    iterations_checked += 1;
                }
            }
        });
        assert!(calls >= 100, "{calls} calls");
        assert!(iterations_checked >= 40, "{iterations_checked} iterations");
    }
}
