//! Multi-threaded wasm programs whose final memory cannot depend on the
//! interleaving, for `differential_threads`.
//!
//! A program runs `threads` threads in `phases` phases separated by barriers
//! built from `memory.atomic.wait32` / `memory.atomic.notify`. Determinism
//! comes from how memory is partitioned, not from luck:
//!
//! - **Blocks.** In phase `p`, thread `t` owns block `(t + p) % threads` and
//!   is the only one to read or write it. Ownership rotates, so from the
//!   second phase on a thread reads what another thread wrote before the
//!   barrier: the barrier's happens-before edge is what is under test.
//! - **Counters.** Each counter word is bound to one commutative kind of
//!   atomic read-modify-write (add/sub, and, or, xor, or an unsigned max built
//!   from a `cmpxchg` loop) at one width. Every thread may hit every counter
//!   in every phase; the values returned are dropped, since they do depend on
//!   the interleaving, but the final word does not.
//! - **Growth.** Threads `memory.grow` by one page and drop the result; the
//!   final size is `min(maximum, 1 + grows)` whatever the order.
//! - **Barrier words** (`BARRIER_COUNT`, `BARRIER_GENERATION`) are the only
//!   shared state whose history is observable; they are excluded from the
//!   cross-engine comparison and checked on their own
//!   ([`Program::check_barrier_words`]).
//!
//! A thread's running value (`$acc`, an instance global, so one per thread)
//! folds in everything it loads, so the values it stores carry the effect of
//! every earlier access. The interpreter runs the same module sequentially:
//! phase by phase, thread by thread, through the per-phase exports, which
//! skips the barriers (with one thread at a time they would block forever).

use std::fmt::Write as _;

use arbitrary::{Result, Unstructured};

/// The address of the barrier's arrival counter (i32).
pub const BARRIER_COUNT: u32 = 0;
/// The address of the barrier's generation word (i32); threads wait on it.
pub const BARRIER_GENERATION: u32 = 4;
/// Bytes at the start of memory that hold the barrier and nothing else.
pub const BARRIER_BYTES: usize = 16;
/// Where the counter words start; each is 8 bytes wide and 8-aligned.
const COUNTERS_BASE: u32 = 64;
/// Where the blocks start.
const BLOCKS_BASE: u32 = 1024;
/// Bytes per block; the last 8 receive `$acc` at the end of each phase.
const BLOCK_BYTES: u32 = 256;
/// Where in its block a thread leaves `$acc` at the end of a phase.
const ACC_SLOT: u32 = BLOCK_BYTES - 8;

/// The kind of commutative read-modify-write a counter word accepts.
#[derive(Clone, Copy, Debug)]
enum CounterKind {
    /// `rmw.add` and `rmw.sub` (they commute with each other).
    Additive,
    And,
    Or,
    Xor,
    /// Unsigned maximum through a `cmpxchg` retry loop (64-bit).
    MaxU,
}

/// One counter word: its kind and the width it is accessed at.
#[derive(Clone, Copy, Debug)]
struct Counter {
    kind: CounterKind,
    /// Access width in bytes: 1, 2, 4 or 8 (always 8 for `MaxU`).
    width: u32,
}

/// One step of a thread's phase.
#[derive(Clone, Debug)]
enum Step {
    /// A plain store into the owned block.
    Store {
        op: &'static str,
        offset: u32,
        from_acc: bool,
        constant: i64,
    },
    /// A plain or atomic load from the owned block, folded into `$acc`.
    Load {
        op: &'static str,
        wide: bool,
        offset: u32,
    },
    /// `$acc = $acc * 31 + constant` (or xor / rotl).
    Mix { op: &'static str, constant: i64 },
    /// An atomic rmw or cmpxchg on the owned block; its result is
    /// deterministic there and is folded into `$acc`.
    PrivateAtomic {
        op: String,
        wide: bool,
        cmpxchg: Option<Cmpxchg>,
        offset: u32,
    },
    /// An operation on a shared counter word; its result is dropped.
    Counter {
        index: usize,
        subtract: bool,
        wide_instr: bool,
    },
    /// `memory.grow 1`, result dropped.
    Grow,
    /// `memory.atomic.notify` on the owned block: nobody waits there, so the
    /// count is 0 and is folded into `$acc`.
    Notify { offset: u32 },
    /// A wait on the owned block that cannot block: either the expected
    /// value differs (result 1) or the timeout is 0 (result 2).
    Wait {
        wide: bool,
        offset: u32,
        mismatch: bool,
    },
    /// A counted loop around a few steps (never nested).
    Repeat { count: u32, body: Vec<Step> },
}

/// How a private `cmpxchg` picks its expected value.
#[derive(Clone, Debug)]
struct Cmpxchg {
    /// The atomic load of the same width, giving the current value.
    load: String,
    /// Expect the current value (the exchange happens) or `$acc` (it
    /// usually does not).
    expect_current: bool,
}

/// A generated program: the module and how to drive it.
#[derive(Clone, Debug)]
pub struct Program {
    /// Number of threads (2 or 3).
    pub threads: usize,
    /// Number of phases (barriers run between consecutive phases).
    pub phases: usize,
    /// The shared memory's initial and maximum size in pages.
    pub memory_pages: (u32, u32),
    /// The module in text form (kept for reports: a failure prints it).
    pub wat: String,
}

impl Program {
    /// Generates a program from fuzz input.
    pub fn generate(u: &mut Unstructured<'_>) -> Result<Program> {
        let threads = u.int_in_range(2..=3)?;
        let phases = u.int_in_range(1..=3)?;
        let counter_count = u.int_in_range(1..=6)?;
        let mut counters = Vec::with_capacity(counter_count);
        for _ in 0..counter_count {
            let kind = *u.choose(&[
                CounterKind::Additive,
                CounterKind::And,
                CounterKind::Or,
                CounterKind::Xor,
                CounterKind::MaxU,
            ])?;
            let width = match kind {
                CounterKind::MaxU => 8,
                _ => *u.choose(&[1, 2, 4, 8])?,
            };
            counters.push(Counter { kind, width });
        }
        let mut bodies = vec![Vec::new(); threads * phases];
        for body in &mut bodies {
            let len = u.int_in_range(0..=10)?;
            for _ in 0..len {
                body.push(step(u, &counters, true)?);
            }
        }
        let grows = bodies.iter().flatten().map(count_grows).sum::<u32>();
        let maximum = 1 + u.int_in_range(0..=grows)?;
        let seeds = (0..threads)
            .map(|_| u.arbitrary::<i64>())
            .collect::<Result<Vec<_>>>()?;
        let mut wat = String::new();
        emit_module(
            &mut wat, threads, phases, maximum, &counters, &bodies, &seeds,
        );
        Ok(Program {
            threads,
            phases,
            memory_pages: (1, maximum),
            wat,
        })
    }

    /// The module's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        // The text is ours and fixed in shape; a parse failure is a bug in
        // the emitter, which the seeded test catches.
        wat::parse_str(&self.wat).expect("generated thread programs are valid text")
    }

    /// The export that thread `thread` runs on a real thread: every phase
    /// with barriers in between.
    pub fn thread_export(thread: usize) -> String {
        format!("run_t{thread}")
    }

    /// The export that runs one phase of one thread, without barriers.
    pub fn phase_export(thread: usize, phase: usize) -> String {
        format!("t{thread}_p{phase}")
    }

    /// The order in which a sequential engine calls [`Program::phase_export`]s
    /// so that it reaches the same final memory as any threaded run.
    /// `reverse_threads` flips the thread order within each phase: both must
    /// give the same result, which tests the generator's own claim.
    pub fn sequential_schedule(&self, reverse_threads: bool) -> Vec<(usize, usize)> {
        let mut order = Vec::with_capacity(self.threads * self.phases);
        for phase in 0..self.phases {
            for i in 0..self.threads {
                let thread = if reverse_threads {
                    self.threads - 1 - i
                } else {
                    i
                };
                order.push((thread, phase));
            }
        }
        order
    }

    /// Checks the barrier words after a threaded run: every barrier reset
    /// its counter and advanced the generation once.
    pub fn check_barrier_words(&self, memory: &[u8]) -> std::result::Result<(), String> {
        let word = |at: u32| {
            let at = at as usize;
            memory
                .get(at..at + 4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        };
        let count = word(BARRIER_COUNT).ok_or("memory too small for the barrier")?;
        let generation = word(BARRIER_GENERATION).ok_or("memory too small for the barrier")?;
        let barriers = (self.phases - 1) as u32;
        if count != 0 || generation != barriers {
            return Err(format!(
                "barrier words: count {count} (expected 0), generation {generation} \
                 (expected {barriers})"
            ));
        }
        Ok(())
    }
}

fn count_grows(step: &Step) -> u32 {
    match step {
        Step::Grow => 1,
        Step::Repeat { count, body } => count * body.iter().map(count_grows).sum::<u32>(),
        _ => 0,
    }
}

/// An offset inside a block, aligned to `align` bytes, leaving room for
/// `width` bytes and keeping clear of the `$acc` slot.
fn block_offset(u: &mut Unstructured<'_>, width: u32, align: u32) -> Result<u32> {
    let slots = (ACC_SLOT - width) / align;
    Ok(u.int_in_range(0..=slots)? * align)
}

fn step(u: &mut Unstructured<'_>, counters: &[Counter], allow_repeat: bool) -> Result<Step> {
    const STORES: [(&str, u32); 7] = [
        ("i32.store", 4),
        ("i32.store8", 1),
        ("i32.store16", 2),
        ("i64.store", 8),
        ("i64.store8", 1),
        ("i64.store16", 2),
        ("i64.store32", 4),
    ];
    // (op, result is i64, width, atomic)
    const LOADS: [(&str, bool, u32, bool); 17] = [
        ("i32.load", false, 4, false),
        ("i32.load8_s", false, 1, false),
        ("i32.load8_u", false, 1, false),
        ("i32.load16_s", false, 2, false),
        ("i32.load16_u", false, 2, false),
        ("i64.load", true, 8, false),
        ("i64.load8_s", true, 1, false),
        ("i64.load16_u", true, 2, false),
        ("i64.load32_s", true, 4, false),
        ("i64.load32_u", true, 4, false),
        ("i32.atomic.load", false, 4, true),
        ("i32.atomic.load8_u", false, 1, true),
        ("i32.atomic.load16_u", false, 2, true),
        ("i64.atomic.load", true, 8, true),
        ("i64.atomic.load8_u", true, 1, true),
        ("i64.atomic.load16_u", true, 2, true),
        ("i64.atomic.load32_u", true, 4, true),
    ];
    // (prefix, result is i64, width); the operation name is appended.
    const RMW: [(&str, bool, u32); 7] = [
        ("i32.atomic.rmw", false, 4),
        ("i32.atomic.rmw8", false, 1),
        ("i32.atomic.rmw16", false, 2),
        ("i64.atomic.rmw", true, 8),
        ("i64.atomic.rmw8", true, 1),
        ("i64.atomic.rmw16", true, 2),
        ("i64.atomic.rmw32", true, 4),
    ];
    const RMW_OPS: [&str; 7] = ["add", "sub", "and", "or", "xor", "xchg", "cmpxchg"];

    let choice = u.int_in_range(0..=if allow_repeat { 9 } else { 8 })?;
    Ok(match choice {
        0 | 1 => {
            let &(op, width) = u.choose(&STORES)?;
            // Plain stores may be unaligned.
            let offset = block_offset(u, width, 1)?;
            Step::Store {
                op,
                offset,
                from_acc: u.arbitrary()?,
                constant: u.arbitrary()?,
            }
        }
        2 | 3 => {
            let &(op, wide, width, atomic) = u.choose(&LOADS)?;
            let offset = block_offset(u, width, if atomic { width } else { 1 })?;
            Step::Load { op, wide, offset }
        }
        4 => {
            let op = *u.choose(&["mul", "xor", "rotl"])?;
            Step::Mix {
                op,
                constant: u.arbitrary()?,
            }
        }
        5 => {
            let &(prefix, wide, width) = u.choose(&RMW)?;
            let name = *u.choose(&RMW_OPS)?;
            let suffix = if width < 4 || (wide && width == 4) {
                "_u"
            } else {
                ""
            };
            let cmpxchg = if name == "cmpxchg" {
                let load = prefix.replace("rmw", "load");
                Some(Cmpxchg {
                    load: format!("{load}{suffix}"),
                    expect_current: u.arbitrary()?,
                })
            } else {
                None
            };
            let op = format!("{prefix}.{name}{suffix}");
            Step::PrivateAtomic {
                op,
                wide,
                cmpxchg,
                offset: block_offset(u, width, width)?,
            }
        }
        6 => Step::Counter {
            index: u.choose_index(counters.len())?,
            subtract: u.arbitrary()?,
            wide_instr: u.arbitrary()?,
        },
        7 => {
            if u.ratio(1, 3)? {
                Step::Grow
            } else {
                Step::Notify {
                    offset: block_offset(u, 4, 4)?,
                }
            }
        }
        8 => {
            let wide = u.arbitrary()?;
            let width = if wide { 8 } else { 4 };
            Step::Wait {
                wide,
                offset: block_offset(u, width, width)?,
                mismatch: u.arbitrary()?,
            }
        }
        _ => {
            let count = u.int_in_range(1..=4)?;
            let len = u.int_in_range(1..=4)?;
            let body = (0..len)
                .map(|_| step(u, counters, false))
                .collect::<Result<Vec<_>>>()?;
            Step::Repeat { count, body }
        }
    })
}

// ---- emission -------------------------------------------------------------
//
// `write!` into a `String` cannot fail, hence the ignored results below.

fn emit_module(
    out: &mut String,
    threads: usize,
    phases: usize,
    maximum: u32,
    counters: &[Counter],
    bodies: &[Vec<Step>],
    seeds: &[i64],
) {
    let _ = writeln!(out, "(module");
    let _ = writeln!(
        out,
        "  (import \"env\" \"mem\" (memory 1 {maximum} shared))"
    );
    let _ = writeln!(out, "  (global $acc (mut i64) (i64.const 0))");
    emit_barrier(out, threads);
    for thread in 0..threads {
        for phase in 0..phases {
            let block = BLOCKS_BASE + ((thread + phase) % threads) as u32 * BLOCK_BYTES;
            let name = Program::phase_export(thread, phase);
            let _ = writeln!(
                out,
                "  (func ${name} (export \"{name}\") (local $i i32) (local $old i64)"
            );
            if phase == 0 {
                // The seed makes threads' values differ from the first store.
                let _ = writeln!(out, "    (global.set $acc (i64.const {}))", seeds[thread]);
            }
            for s in &bodies[thread * phases + phase] {
                emit_step(out, s, block, counters, 2);
            }
            let _ = writeln!(
                out,
                "    (i64.store (i32.const {}) (global.get $acc)))",
                block + ACC_SLOT
            );
        }
        let run = Program::thread_export(thread);
        let _ = write!(out, "  (func (export \"{run}\")");
        for phase in 0..phases {
            if phase > 0 {
                let _ = write!(out, " (call $barrier)");
            }
            let _ = write!(out, " (call ${})", Program::phase_export(thread, phase));
        }
        let _ = writeln!(out, ")");
    }
    let _ = writeln!(out, ")");
}

/// A sense-reversing-free barrier: arrive on the counter; the last arrival
/// resets it, bumps the generation and wakes everyone; the others wait until
/// the generation they read on entry has moved on.
fn emit_barrier(out: &mut String, threads: usize) {
    let _ = writeln!(
        out,
        "  (func $barrier (local $gen i32)
    (local.set $gen (i32.atomic.load (i32.const {gen})))
    (if (i32.eq (i32.add (i32.atomic.rmw.add (i32.const {count}) (i32.const 1)) (i32.const 1))
                (i32.const {threads}))
      (then
        (i32.atomic.store (i32.const {count}) (i32.const 0))
        (drop (i32.atomic.rmw.add (i32.const {gen}) (i32.const 1)))
        (drop (memory.atomic.notify (i32.const {gen}) (i32.const -1))))
      (else
        (loop $again
          (drop (memory.atomic.wait32 (i32.const {gen}) (local.get $gen) (i64.const -1)))
          (br_if $again (i32.eq (i32.atomic.load (i32.const {gen})) (local.get $gen)))))))",
        gen = BARRIER_GENERATION,
        count = BARRIER_COUNT,
    );
}

/// Folds an i64 expression into `$acc`: `acc = acc * 31 + value`.
fn fold(out: &mut String, indent: usize, value: &str) {
    let _ = writeln!(
        out,
        "{:indent$}(global.set $acc (i64.add (i64.mul (global.get $acc) (i64.const 31)) {value}))",
        "",
        indent = indent * 2
    );
}

fn widen(wide: bool, expr: String) -> String {
    if wide {
        expr
    } else {
        format!("(i64.extend_i32_u {expr})")
    }
}

fn acc_as(wide: bool) -> &'static str {
    if wide {
        "(global.get $acc)"
    } else {
        "(i32.wrap_i64 (global.get $acc))"
    }
}

fn emit_step(out: &mut String, s: &Step, block: u32, counters: &[Counter], indent: usize) {
    let pad = indent * 2;
    match s {
        Step::Store {
            op,
            offset,
            from_acc,
            constant,
        } => {
            let wide = op.starts_with("i64");
            let value = match (from_acc, wide) {
                (true, _) => acc_as(wide).to_string(),
                (false, true) => format!("(i64.const {constant})"),
                (false, false) => format!("(i32.const {})", *constant as i32),
            };
            let _ = writeln!(
                out,
                "{:pad$}({op} (i32.const {}) {value})",
                "",
                block + offset
            );
        }
        Step::Load { op, wide, offset } => {
            let value = widen(*wide, format!("({op} (i32.const {}))", block + offset));
            fold(out, indent, &value);
        }
        Step::Mix { op, constant } => {
            let _ = writeln!(
                out,
                "{:pad$}(global.set $acc (i64.{op} (global.get $acc) (i64.const {constant})))",
                ""
            );
        }
        Step::PrivateAtomic {
            op,
            wide,
            cmpxchg,
            offset,
        } => {
            let addr = format!("(i32.const {})", block + offset);
            let operand = acc_as(*wide);
            let expr = match cmpxchg {
                Some(Cmpxchg {
                    load,
                    expect_current,
                }) => {
                    let expected = if *expect_current {
                        format!("({load} {addr})")
                    } else {
                        operand.to_string()
                    };
                    format!("({op} {addr} {expected} {})", rotated_acc(*wide))
                }
                None => format!("({op} {addr} {operand})"),
            };
            fold(out, indent, &widen(*wide, expr));
        }
        Step::Counter {
            index,
            subtract,
            wide_instr,
        } => {
            let c = counters[*index];
            let addr = COUNTERS_BASE + 8 * *index as u32;
            emit_counter(out, c, addr, *subtract, *wide_instr, pad);
        }
        Step::Grow => {
            let _ = writeln!(out, "{:pad$}(drop (memory.grow (i32.const 1)))", "");
        }
        Step::Notify { offset } => {
            let value = format!(
                "(memory.atomic.notify (i32.const {}) (i32.const 1))",
                block + offset
            );
            fold(out, indent, &widen(false, value));
        }
        Step::Wait {
            wide,
            offset,
            mismatch,
        } => {
            let addr = block + offset;
            let (ty, bits) = if *wide { ("i64", "64") } else { ("i32", "32") };
            let current = format!("({ty}.atomic.load (i32.const {addr}))");
            let (expected, timeout) = if *mismatch {
                (format!("({ty}.xor {current} ({ty}.const 1))"), "-1")
            } else {
                (current, "0")
            };
            let value = format!(
                "(memory.atomic.wait{bits} (i32.const {addr}) {expected} (i64.const {timeout}))"
            );
            fold(out, indent, &widen(false, value));
        }
        Step::Repeat { count, body } => {
            let _ = writeln!(out, "{:pad$}(local.set $i (i32.const {count}))", "");
            let _ = writeln!(out, "{:pad$}(loop $repeat", "");
            for inner in body {
                emit_step(out, inner, block, counters, indent + 1);
            }
            let _ = writeln!(
                out,
                "{:pad$}  (br_if $repeat (local.tee $i (i32.sub (local.get $i) (i32.const 1)))))",
                ""
            );
        }
    }
}

/// The replacement value of a private `cmpxchg`: `$acc` rotated, so that it
/// differs from what was there.
fn rotated_acc(wide: bool) -> String {
    if wide {
        "(i64.rotl (global.get $acc) (i64.const 7))".to_string()
    } else {
        "(i32.rotl (i32.wrap_i64 (global.get $acc)) (i32.const 7))".to_string()
    }
}

fn emit_counter(
    out: &mut String,
    c: Counter,
    addr: u32,
    subtract: bool,
    wide_instr: bool,
    pad: usize,
) {
    // A narrow counter may be driven through the i32 or the i64 form of the
    // instruction: both act on the same bytes the same way.
    let wide = c.width == 8 || (wide_instr && c.width <= 4);
    let ty = if wide { "i64" } else { "i32" };
    let operand = acc_as(wide);
    let (prefix, suffix) = match (c.width, wide) {
        (8, _) | (4, false) => (format!("{ty}.atomic.rmw"), ""),
        (w, _) => (format!("{ty}.atomic.rmw{}", w * 8), "_u"),
    };
    let name = match c.kind {
        CounterKind::Additive if subtract => "sub",
        CounterKind::Additive => "add",
        CounterKind::And => "and",
        CounterKind::Or => "or",
        CounterKind::Xor => "xor",
        CounterKind::MaxU => {
            // Unsigned max by compare-and-swap: retry until the word is at
            // least our value or our exchange went through.
            let _ = writeln!(
                out,
                "{:pad$}(block $done (loop $retry
{:pad$}  (local.set $old (i64.atomic.load (i32.const {addr})))
{:pad$}  (br_if $done (i64.ge_u (local.get $old) (global.get $acc)))
{:pad$}  (br_if $retry (i64.ne (local.get $old)
{:pad$}    (i64.atomic.rmw.cmpxchg (i32.const {addr}) (local.get $old) (global.get $acc))))))",
                "", "", "", "", ""
            );
            return;
        }
    };
    let op = format!("{prefix}.{name}{suffix}");
    let _ = writeln!(out, "{:pad$}(drop ({op} (i32.const {addr}) {operand}))", "");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeds;

    #[test]
    fn generated_programs_validate_with_threads_enabled() {
        let mut features = wasmparser::WasmFeatures::WASM2;
        features.insert(wasmparser::WasmFeatures::THREADS);
        let mut generated = 0;
        seeds::for_each_input(300, 64..2048, |data| {
            let mut u = Unstructured::new(data);
            let Ok(program) = Program::generate(&mut u) else {
                return;
            };
            let bytes = program.to_bytes();
            if let Err(e) = wasmparser::Validator::new_with_features(features).validate_all(&bytes)
            {
                panic!("invalid program: {e}\n{}", program.wat);
            }
            generated += 1;
        });
        assert!(generated > 250, "only {generated} programs generated");
    }
}
