//! Compute kernels: calls, memory traffic on unshared and shared memories,
//! floating point. Each checks its answer against the same computation done
//! natively.

use anyhow::{Result, ensure};

use super::instance_of;
use crate::measure::{Runner, Sample, Settings, Stopwatch};
use crate::runtime::{Interruption, Runtime};

const FIB: &str = include_str!("../../wat/fib.wat");
const SIEVE: &str = include_str!("../../wat/sieve.wat");
const MATMUL: &str = include_str!("../../wat/matmul.wat");
const BYTE_COUNT: &str = include_str!("../../wat/byte_count.wat");

/// Runs the export `run` of `text` once per repetition with `arg`, checking
/// the result against `expected`.
fn kernel<'a, R: Runtime>(
    runtime: &'a R,
    settings: Settings,
    name: &'static str,
    text: &str,
    arg: i32,
    expected: i64,
) -> Result<Runner<'a>> {
    let mut instance = instance_of(runtime, name, text)?;
    let run = runtime.func(&mut instance, "run")?;
    Ok(Box::new(move || {
        let start = Stopwatch::start(settings.clock);
        let result = runtime.call(&mut instance, &run, arg)?;
        let elapsed = start.elapsed();
        ensure!(
            result == expected,
            "{name}({arg}) returned {result}, expected {expected}"
        );
        Ok(Sample {
            elapsed,
            ops: 1,
            result,
        })
    }))
}

/// `fib(30)`, recursively: about 2.7 million wasm calls.
pub fn fib<R: Runtime>(runtime: &R, settings: Settings) -> Result<Runner<'_>> {
    const N: u32 = 30;
    kernel(
        runtime,
        settings,
        "fib",
        FIB,
        N as i32,
        i64::from(native_fib(N)),
    )
}

fn native_fib(n: u32) -> u32 {
    let (mut a, mut b) = (0u32, 1u32);
    for _ in 0..n {
        (a, b) = (b, a + b);
    }
    a
}

/// `fib` with the runtime's epoch checks compiled in (never reached).
pub fn fib_epoch<R: Runtime>(runtime: &R, settings: Settings) -> Result<Runner<'_>> {
    fib(runtime.with_interruption(Interruption::Epoch)?, settings)
}

/// `fib` consuming fuel (never running out).
pub fn fib_fuel<R: Runtime>(runtime: &R, settings: Settings) -> Result<Runner<'_>> {
    fib(runtime.with_interruption(Interruption::Fuel)?, settings)
}

/// `sieve` with the runtime's epoch checks compiled in (never reached).
pub fn sieve_epoch<R: Runtime>(runtime: &R, settings: Settings) -> Result<Runner<'_>> {
    sieve(runtime.with_interruption(Interruption::Epoch)?, settings)
}

/// `sieve` consuming fuel (never running out).
pub fn sieve_fuel<R: Runtime>(runtime: &R, settings: Settings) -> Result<Runner<'_>> {
    sieve(runtime.with_interruption(Interruption::Fuel)?, settings)
}

const SIEVE_LIMIT: u32 = 1_000_000;

/// The primes below one million, on an unshared memory.
pub fn sieve<R: Runtime>(runtime: &R, settings: Settings) -> Result<Runner<'_>> {
    let expected = i64::from(native_prime_count(SIEVE_LIMIT));
    kernel(
        runtime,
        settings,
        "sieve",
        SIEVE,
        SIEVE_LIMIT as i32,
        expected,
    )
}

/// The same kernel with its memory declared shared: nothing else changes,
/// so the difference to `sieve` is what a shared memory costs plain loads
/// and stores.
pub fn sieve_shared<R: Runtime>(runtime: &R, settings: Settings) -> Result<Runner<'_>> {
    let text = shared_variant(SIEVE)?;
    let expected = i64::from(native_prime_count(SIEVE_LIMIT));
    kernel(
        runtime,
        settings,
        "sieve_shared",
        &text,
        SIEVE_LIMIT as i32,
        expected,
    )
}

/// The sieve's text with its one memory declaration made shared.
fn shared_variant(text: &str) -> Result<String> {
    const UNSHARED: &str = "(memory 16)";
    ensure!(
        text.matches(UNSHARED).count() == 1,
        "sieve.wat must declare its memory exactly as `{UNSHARED}`"
    );
    Ok(text.replacen(UNSHARED, "(memory 16 16 shared)", 1))
}

fn native_prime_count(limit: u32) -> u32 {
    let limit = limit as usize;
    let mut composite = vec![false; limit];
    let mut i = 2;
    while i * i < limit {
        if !composite[i] {
            for j in (i * i..limit).step_by(i) {
                composite[j] = true;
            }
        }
        i += 1;
    }
    (2..limit).filter(|&k| !composite[k]).count() as u32
}

const MATMUL_N: u32 = 128;

/// A 128 x 128 f64 matrix product; the checksum must match bit for bit.
pub fn matmul<R: Runtime>(runtime: &R, settings: Settings) -> Result<Runner<'_>> {
    let expected = native_matmul_checksum(MATMUL_N).to_bits() as i64;
    kernel(
        runtime,
        settings,
        "matmul",
        MATMUL,
        MATMUL_N as i32,
        expected,
    )
}

/// The kernel's computation in the same order, so the rounding is the same.
fn native_matmul_checksum(n: u32) -> f64 {
    let n = n as usize;
    let a: Vec<f64> = (0..n * n)
        .map(|idx| ((3 * (idx / n) + 7 * (idx % n)) % 17) as f64 * 0.25 + 1.0)
        .collect();
    let b: Vec<f64> = (0..n * n)
        .map(|idx| ((5 * (idx / n) + 11 * (idx % n)) % 13) as f64 * 0.5 - 2.0)
        .collect();
    let mut total = 0.0;
    for i in 0..n {
        for j in 0..n {
            let mut sum = 0.0;
            for k in 0..n {
                sum += a[i * n + k] * b[k * n + j];
            }
            total += sum * ((i * n + j) % 5 + 1) as f64;
        }
    }
    total
}

/// Bytes `byte_count.wat` scans: its whole memory.
const BYTE_COUNT_BYTES: usize = 16 << 20;
const BYTE_COUNT_SEED: i32 = 7;
const BYTE_COUNT_NEEDLE: u8 = 0x2a;

/// Counts one byte value in 16 MiB with `i8x16` compares (SIMD); the count
/// must match the native count of the same LCG-filled bytes.
pub fn byte_count<R: Runtime>(runtime: &R, settings: Settings) -> Result<Runner<'_>> {
    let mut instance = instance_of(runtime, "byte_count", BYTE_COUNT)?;
    let init = runtime.func(&mut instance, "init")?;
    runtime.call(&mut instance, &init, BYTE_COUNT_SEED)?;
    let run = runtime.func(&mut instance, "run")?;
    let expected = i64::from(native_byte_count(BYTE_COUNT_SEED, BYTE_COUNT_NEEDLE));
    Ok(Box::new(move || {
        let start = Stopwatch::start(settings.clock);
        let result = runtime.call(&mut instance, &run, i32::from(BYTE_COUNT_NEEDLE))?;
        let elapsed = start.elapsed();
        ensure!(
            result == expected,
            "byte_count returned {result}, expected {expected}"
        );
        Ok(Sample {
            elapsed,
            ops: 1,
            result,
        })
    }))
}

/// The kernel's fill and count, natively.
fn native_byte_count(seed: i32, needle: u8) -> u32 {
    let mut x = seed as u32;
    let mut count = 0;
    for _ in 0..BYTE_COUNT_BYTES / 4 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        count += x.to_le_bytes().iter().filter(|&&b| b == needle).count() as u32;
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_references_are_right() {
        assert_eq!(native_fib(30), 832_040);
        assert_eq!(native_prime_count(1_000_000), 78_498);
        assert_eq!(native_prime_count(10), 4);
        // About one byte in 256 matches.
        let n = native_byte_count(BYTE_COUNT_SEED, BYTE_COUNT_NEEDLE);
        assert!((BYTE_COUNT_BYTES as u32 / 512..BYTE_COUNT_BYTES as u32 / 128).contains(&n));
    }

    #[test]
    fn shared_variant_changes_only_the_memory() {
        let text = shared_variant(SIEVE).expect("sieve.wat has one memory");
        assert!(text.contains("(memory 16 16 shared)"));
        assert_eq!(text.replace("(memory 16 16 shared)", "(memory 16)"), SIEVE);
    }
}
