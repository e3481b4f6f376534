//! A module's life before it runs: compiling a large module, and
//! instantiating a small one.

use std::fmt::Write as _;

use anyhow::{Result, ensure};

use super::to_binary;
use crate::measure::{Clock, Runner, Sample, Settings, Stopwatch};
use crate::runtime::{Runtime, call_once};

const INSTANTIATE: &str = include_str!("../../wat/instantiate.wat");

/// Compiles a generated module of thousands of functions, per module.
///
/// After each timed compile the module is instantiated and its `run` export
/// called (untimed): a runtime that skipped work while compiling would fail
/// there or return a different result from the other runtime.
pub fn compile<R: Runtime>(runtime: &R, settings: Settings) -> Result<Runner<'_>> {
    let functions = settings.pick(1_000, 4_000);
    let wasm = to_binary("compile", &generated_module(functions, 0x5eed))?;
    Ok(Box::new(move || {
        // The wall clock unless compilation stays on this thread.
        let clock = if settings.serial_compile {
            settings.clock
        } else {
            Clock::Wall
        };
        let start = Stopwatch::start(clock);
        let module = runtime.compile(&wasm)?;
        let elapsed = start.elapsed();
        let mut instance = runtime.instantiate(&module, None)?;
        let result = call_once(runtime, &mut instance, "run", 7)?;
        Ok(Sample {
            elapsed,
            ops: 1,
            result,
        })
    }))
}

/// Instantiates a small module (memory, data, table, elements, globals) in a
/// fresh store, per instance; the store is part of the cost, as it is for an
/// embedder that gives each request its own store.
pub fn instantiate<R: Runtime>(runtime: &R, settings: Settings) -> Result<Runner<'_>> {
    const EXPECTED: i64 = 119 + 136 + 1; // 'w', bytes 1..=16, then `$inc`.
    let module = runtime.compile(&to_binary("instantiate", INSTANTIATE)?)?;
    let count: u64 = settings.pick(2_000, 5_000);
    Ok(Box::new(move || {
        let start = Stopwatch::start(settings.clock);
        for _ in 0..count {
            drop(runtime.instantiate(&module, None)?);
        }
        let elapsed = start.elapsed();
        // The instances above are not run, so check one: its data segments,
        // table and globals must be in place.
        let mut instance = runtime.instantiate(&module, None)?;
        let result = call_once(runtime, &mut instance, "run", 0)?;
        ensure!(
            result == EXPECTED,
            "instantiate: run(0) returned {result}, expected {EXPECTED}"
        );
        Ok(Sample {
            elapsed,
            ops: count,
            result,
        })
    }))
}

/// Text of a module with `functions` functions, deterministic in `seed`.
///
/// Each function mixes the instruction families a translator handles
/// (integer, 64-bit and float arithmetic, loads and stores, a bounded loop,
/// `if`/`else`, guarded division, a call to an earlier function) so the
/// compile time is not dominated by one kind of code. Everything terminates
/// and nothing traps: the module is run after compiling.
fn generated_module(functions: usize, seed: u64) -> String {
    let mut rng = XorShift(seed | 1);
    let mut text = String::from("(module\n  (memory 2)\n");
    for k in 0..functions {
        write_function(&mut text, &mut rng, k);
    }
    // `run` calls the last few functions: together with their callees that
    // reaches a good part of the module.
    text.push_str("  (func (export \"run\") (param $n i32) (result i64)\n    (local $acc i32)\n");
    for k in functions.saturating_sub(8)..functions {
        let _ = writeln!(
            text,
            "    (local.set $acc (i32.add (local.get $acc) (call $f{k} (local.get $n) (local.get $acc))))"
        );
    }
    text.push_str("    (i64.extend_i32_u (local.get $acc)))\n)\n");
    text
}

fn write_function(text: &mut String, rng: &mut XorShift, k: usize) {
    let _ = writeln!(
        text,
        "  (func $f{k} (param $a i32) (param $b i32) (result i32)\n    \
         (local $x i32) (local $y i32) (local $i i32) (local $z i64) (local $d f64)\n    \
         (local.set $x (local.get $a)) (local.set $y (local.get $b))"
    );
    let statements = 16 + rng.below(24);
    // At most one call per function, never in a loop: the call graph is a
    // DAG of bounded fan-out, so `run` does linear work.
    let mut called = k == 0;
    for _ in 0..statements {
        let c = rng.below(1 << 16);
        let offset = rng.below(32) * 8;
        let statement = match rng.below(10) {
            0 => format!(
                "(local.set $x (i32.add (local.get $x) (i32.mul (local.get $y) (i32.const {c}))))"
            ),
            1 => format!(
                "(local.set $y (i32.xor (local.get $y) (i32.rotl (local.get $x) (i32.const {}))))",
                c % 31
            ),
            2 => format!(
                "(i32.store offset={offset} (i32.and (local.get $x) (i32.const 0xfff8)) (local.get $y))"
            ),
            3 => format!(
                "(local.set $y (i32.add (local.get $y) (i32.load offset={offset} (i32.and (local.get $y) (i32.const 0xfff8)))))"
            ),
            4 => format!(
                "(local.set $z (i64.add (local.get $z) (i64.mul (i64.extend_i32_s (local.get $x)) (i64.const {c}))))"
            ),
            5 => "(local.set $d (f64.add (f64.mul (local.get $d) (f64.const 0.5)) (f64.convert_i32_s (local.get $y))))".to_owned(),
            6 => format!(
                "(local.set $i (i32.const 0)) (loop $l (local.set $x (i32.add (local.get $x) (i32.mul (local.get $i) (i32.const {c})))) (local.set $i (i32.add (local.get $i) (i32.const 1))) (br_if $l (i32.lt_u (local.get $i) (i32.const 4))))"
            ),
            7 => format!(
                "(if (i32.lt_s (local.get $x) (local.get $y)) (then (local.set $x (i32.sub (local.get $y) (i32.const {c})))) (else (local.set $y (i32.shr_u (local.get $x) (i32.const 3)))))"
            ),
            8 => "(local.set $y (i32.div_u (local.get $y) (i32.or (local.get $x) (i32.const 1))))".to_owned(),
            _ if !called => {
                called = true;
                let callee = rng.below(k as u64);
                format!(
                    "(local.set $x (i32.add (local.get $x) (call $f{callee} (local.get $y) (local.get $x))))"
                )
            }
            _ => format!("(local.set $x (i32.sub (local.get $x) (i32.const {c})))"),
        };
        let _ = writeln!(text, "    {statement}");
    }
    text.push_str(
        "    (i32.add (i32.add (local.get $x) (local.get $y))\n      \
         (i32.add (i32.wrap_i64 (local.get $z)) (i32.trunc_sat_f64_s (local.get $d)))))\n",
    );
}

/// A fixed-seed xorshift64: the generated module is the same on every run
/// and every machine, with no dependency for it.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A value in `0..bound` (`bound > 0`).
    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_module_is_valid_and_deterministic() {
        let text = generated_module(50, 1);
        assert_eq!(text, generated_module(50, 1));
        assert_ne!(text, generated_module(50, 2));
        wat::parse_str(&text).expect("the generator writes valid wat");
    }
}
