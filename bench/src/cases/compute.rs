//! Compute kernels: calls, memory traffic on unshared and shared memories,
//! floating point. Each checks its answer against the same computation done
//! natively.

use anyhow::{Result, ensure};

use super::instance_of;
use crate::measure::{Runner, Sample, Settings, Stopwatch};
use crate::runtime::{Interruption, Runtime, call_once};

const FIB: &str = include_str!("../../wat/fib.wat");
const SIEVE: &str = include_str!("../../wat/sieve.wat");
const MATMUL: &str = include_str!("../../wat/matmul.wat");
const BYTE_COUNT: &str = include_str!("../../wat/byte_count.wat");
const FNV: &str = include_str!("../../wat/fnv.wat");
const STRIDED_COPY: &str = include_str!("../../wat/strided_copy.wat");

/// One kernel row: the export `run` of `text`, called with `arg` once per
/// repetition, must return `expected`.
struct Kernel<'t> {
    name: &'static str,
    text: &'t str,
    /// Calls the export `init` with this seed first (outside the timing).
    init: Option<i32>,
    arg: i32,
    expected: i64,
    /// After every repetition (outside the timing), the export `check`
    /// called with the first value must return the second: for kernels
    /// whose answer is in memory.
    check: Option<(i32, i64)>,
}

impl<'t> Kernel<'t> {
    /// A kernel with neither `init` nor `check`.
    fn plain(name: &'static str, text: &'t str, arg: i32, expected: i64) -> Kernel<'t> {
        Kernel {
            name,
            text,
            init: None,
            arg,
            expected,
            check: None,
        }
    }
}

/// Prepares `k` on `runtime`: compiles, instantiates and runs `init`, then
/// times one call of `run` per repetition and checks its answer.
fn kernel<'a, R: Runtime>(runtime: &'a R, settings: Settings, k: Kernel<'_>) -> Result<Runner<'a>> {
    let Kernel {
        name,
        text,
        init,
        arg,
        expected,
        check,
    } = k;
    let mut instance = instance_of(runtime, name, text)?;
    if let Some(seed) = init {
        call_once(runtime, &mut instance, "init", seed)?;
    }
    let run = runtime.func(&mut instance, "run")?;
    Ok(Box::new(move || {
        let start = Stopwatch::start(settings.clock);
        let result = runtime.call(&mut instance, &run, arg)?;
        let elapsed = start.elapsed();
        ensure!(
            result == expected,
            "{name}({arg}) returned {result}, expected {expected}"
        );
        if let Some((check_arg, check_expected)) = check {
            let checked = call_once(runtime, &mut instance, "check", check_arg)?;
            ensure!(
                checked == check_expected,
                "{name}: check({check_arg}) returned {checked}, expected {check_expected}"
            );
        }
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
    let expected = i64::from(native_fib(N));
    kernel(
        runtime,
        settings,
        Kernel::plain("fib", FIB, N as i32, expected),
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
    let k = Kernel::plain("sieve", SIEVE, SIEVE_LIMIT as i32, expected);
    kernel(runtime, settings, k)
}

/// The same kernel with its memory declared shared: nothing else changes,
/// so the difference to `sieve` is what a shared memory costs plain loads
/// and stores.
pub fn sieve_shared<R: Runtime>(runtime: &R, settings: Settings) -> Result<Runner<'_>> {
    let text = shared_variant(SIEVE, 16)?;
    let expected = i64::from(native_prime_count(SIEVE_LIMIT));
    let k = Kernel::plain("sieve_shared", &text, SIEVE_LIMIT as i32, expected);
    kernel(runtime, settings, k)
}

/// A kernel's text with its one memory declaration, `(memory <pages>)`,
/// made shared with the same maximum.
fn shared_variant(text: &str, pages: u32) -> Result<String> {
    let unshared = format!("(memory {pages})");
    ensure!(
        text.matches(&unshared).count() == 1,
        "the kernel must declare its memory exactly as `{unshared}`"
    );
    Ok(text.replacen(&unshared, &format!("(memory {pages} {pages} shared)"), 1))
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
    let k = Kernel::plain("matmul", MATMUL, MATMUL_N as i32, expected);
    kernel(runtime, settings, k)
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
    let expected = i64::from(native_byte_count(BYTE_COUNT_SEED, BYTE_COUNT_NEEDLE));
    let k = Kernel {
        init: Some(BYTE_COUNT_SEED),
        ..Kernel::plain(
            "byte_count",
            BYTE_COUNT,
            i32::from(BYTE_COUNT_NEEDLE),
            expected,
        )
    };
    kernel(runtime, settings, k)
}

/// The bytes the kernels' `init` writes: 32-bit words of the LCG
/// `x = x * 1103515245 + 12345` from `seed`, little-endian.
fn lcg_bytes(seed: i32, len: usize) -> Vec<u8> {
    let mut x = seed as u32;
    let mut bytes = Vec::with_capacity(len);
    while bytes.len() < len {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    bytes.truncate(len);
    bytes
}

/// The kernel's fill and count, natively.
fn native_byte_count(seed: i32, needle: u8) -> u32 {
    let bytes = lcg_bytes(seed, BYTE_COUNT_BYTES);
    bytes.iter().filter(|&&b| b == needle).count() as u32
}

/// Bytes `fnv.wat` hashes: its whole memory.
const FNV_BYTES: usize = 16 << 20;
const FNV_SEED: i32 = 11;

/// FNV-1a, 64-bit, over `units` (bytes, or the copy's words).
fn fnv1a(units: impl Iterator<Item = u64>) -> u64 {
    units.fold(0xcbf2_9ce4_8422_2325, |h, unit| {
        (h ^ unit).wrapping_mul(0x100_0000_01b3)
    })
}

/// FNV-1a over `bytes`.
fn native_fnv(bytes: &[u8]) -> u64 {
    fnv1a(bytes.iter().map(|&b| u64::from(b)))
}

/// FNV-1a over 16 MiB, one byte load per byte, on an unshared memory; the
/// hash must match the native hash of the same LCG-filled bytes.
pub fn fnv<R: Runtime>(runtime: &R, settings: Settings) -> Result<Runner<'_>> {
    kernel(runtime, settings, fnv_kernel("fnv", FNV))
}

/// `fnv` with its memory declared shared.
pub fn fnv_shared<R: Runtime>(runtime: &R, settings: Settings) -> Result<Runner<'_>> {
    let text = shared_variant(FNV, 256)?;
    kernel(runtime, settings, fnv_kernel("fnv_shared", &text))
}

fn fnv_kernel<'t>(name: &'static str, text: &'t str) -> Kernel<'t> {
    let expected = native_fnv(&lcg_bytes(FNV_SEED, FNV_BYTES)) as i64;
    Kernel {
        init: Some(FNV_SEED),
        ..Kernel::plain(name, text, FNV_BYTES as i32, expected)
    }
}

/// `strided_copy.wat`'s layout: the source is the first 12 MiB, the
/// destination the 4 MiB after it.
const COPY_SRC_BYTES: usize = 12 << 20;
const COPY_STRIDE: usize = 24;
const COPY_SEED: i32 = 5;

/// The words `strided_copy.wat` copies (12 MiB / stride of them) and the
/// FNV-1a hash over them, word by word, that its `check` returns.
fn native_strided_copy(seed: i32, stride: usize) -> (usize, u64) {
    let src = lcg_bytes(seed, COPY_SRC_BYTES);
    let words = COPY_SRC_BYTES / stride;
    let hash = fnv1a((0..words).map(|i| {
        let at = i * stride;
        u64::from_le_bytes(src[at..at + 8].try_into().expect("8 bytes"))
    }));
    (words, hash)
}

/// Copies every 24th-byte word of 12 MiB into the last 4 MiB of an
/// unshared memory; the count and the hash of the copy must match native.
pub fn strided_copy<R: Runtime>(runtime: &R, settings: Settings) -> Result<Runner<'_>> {
    let k = strided_copy_kernel("strided_copy", STRIDED_COPY);
    kernel(runtime, settings, k)
}

/// `strided_copy` with its memory declared shared.
pub fn strided_copy_shared<R: Runtime>(runtime: &R, settings: Settings) -> Result<Runner<'_>> {
    let text = shared_variant(STRIDED_COPY, 256)?;
    kernel(
        runtime,
        settings,
        strided_copy_kernel("strided_copy_shared", &text),
    )
}

fn strided_copy_kernel<'t>(name: &'static str, text: &'t str) -> Kernel<'t> {
    let (words, hash) = native_strided_copy(COPY_SEED, COPY_STRIDE);
    Kernel {
        init: Some(COPY_SEED),
        check: Some((words as i32, hash as i64)),
        ..Kernel::plain(name, text, COPY_STRIDE as i32, words as i64)
    }
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
        for (text, pages) in [(SIEVE, 16), (FNV, 256), (STRIDED_COPY, 256)] {
            let shared = shared_variant(text, pages).expect("the kernel has one memory");
            let (unshared, declared) = (
                format!("(memory {pages})"),
                format!("(memory {pages} {pages} shared)"),
            );
            assert!(shared.contains(&declared));
            assert_eq!(shared.replace(&declared, &unshared), text);
        }
        assert!(shared_variant(SIEVE, 256).is_err());
    }

    /// The LCG's first words, and the hashes against FNV-1a's published
    /// test vectors.
    #[test]
    fn fnv_and_strided_copy_references_are_right() {
        let x1 = 7u32.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let x2 = x1.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let mut first = x1.to_le_bytes().to_vec();
        first.extend_from_slice(&x2.to_le_bytes()[..2]);
        assert_eq!(lcg_bytes(7, 6), first);
        assert_eq!(native_fnv(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(native_fnv(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(native_fnv(b"foobar"), 0x8594_4171_f739_67e8);
        // The copy fills the destination exactly to the end of memory.
        let (words, hash) = native_strided_copy(COPY_SEED, COPY_STRIDE);
        assert_eq!(COPY_SRC_BYTES + words * 8, 16 << 20);
        assert_ne!(hash, native_strided_copy(COPY_SEED, 16).1);
    }
}
