//! weft's fuzz targets.
//!
//! Each target's logic is a library module with a
//! `run(&mut Unstructured) -> anyhow::Result<()>` and a seeded `#[test]`; the
//! files under `fuzz_targets/` are thin glue for `cargo +nightly fuzz run`.
//!
//! The contract of every `run`: `Ok(())` means the input was checked and
//! nothing was wrong (or the input ran out before anything could be checked);
//! `Err` is a finding and says what differed, with both sides. The glue turns
//! an `Err` into a panic, which is how libFuzzer learns about a finding.

#![deny(missing_docs)]

pub mod affine_loops;
pub mod atomic_probes;
pub mod bounds_loops;
pub mod compile;
pub mod deadline;
pub mod differential;
pub mod differential_threads;
pub mod engines;
pub mod instantiate;
pub mod loop_model;
#[cfg(test)]
mod regressions;
pub mod seeds;
pub mod shared_memory_ops;
pub mod smith;
pub mod tally;
pub mod threads_program;
pub mod wasi_calls;

use arbitrary::Unstructured;

/// Runs one target's `run` over raw fuzzer bytes and panics on a finding.
/// This is what every file in `fuzz_targets/` calls.
pub fn drive(run: fn(&mut Unstructured<'_>) -> anyhow::Result<()>, data: &[u8]) {
    let mut u = Unstructured::new(data);
    if let Err(finding) = run(&mut u) {
        panic!("finding: {finding:#}");
    }
}
