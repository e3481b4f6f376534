//! Deterministic pseudo-random inputs, so that plain `cargo test` runs every
//! fuzz target's logic over the same few hundred buffers each time.
//!
//! A failing seed is reproducible from its index alone; the test's panic
//! message prints it together with the buffer's length.

use std::ops::Range;

/// A xorshift64* generator: tiny, fast and good enough to make fuzz input.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// The `index`th seeded input, with a length drawn from `len`.
pub fn input(index: u64, len: Range<usize>) -> Vec<u8> {
    // Never a zero state: xorshift would stay at zero forever.
    let mut rng = XorShift(index.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let span = (len.end.saturating_sub(len.start)).max(1) as u64;
    let n = len.start + (rng.next() % span) as usize;
    (0..n).map(|_| (rng.next() >> 56) as u8).collect()
}

/// Calls `f` on `count` seeded inputs with lengths drawn from `len`.
pub fn for_each_input(count: u64, len: Range<usize>, mut f: impl FnMut(&[u8])) {
    for index in 0..count {
        f(&input(index, len.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_reproducible_and_distinct() {
        assert_eq!(input(7, 10..100), input(7, 10..100));
        assert_ne!(input(7, 10..100), input(8, 10..100));
        let a = input(3, 50..51);
        assert_eq!(a.len(), 50);
        assert!(a.iter().any(|&b| b != a[0]), "bytes vary");
    }
}
