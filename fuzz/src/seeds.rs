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

/// `data`, followed by pseudo-random bytes seeded by all of it up to `len`
/// bytes if it is shorter. For targets whose every choice draws on the
/// input: libFuzzer's inputs start a few bytes long, and an exhausted
/// `Unstructured` answers every later choice with its lowest value, so
/// without this most early executions would make the same module and the
/// same calls. A mutation of any byte still changes what follows.
pub fn stretch(data: &[u8], len: usize) -> Vec<u8> {
    let mut out = data.to_vec();
    if out.len() < len {
        // FNV-1a of the input as the generator's seed, never zero.
        let hash = data.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        let mut rng = XorShift(hash | 1);
        out.extend((data.len()..len).map(|_| (rng.next() >> 56) as u8));
    }
    out
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

    #[test]
    fn stretched_inputs_keep_their_prefix_and_depend_on_all_of_it() {
        let long = stretch(b"abc", 64);
        assert_eq!(long.len(), 64);
        assert_eq!(&long[..3], b"abc");
        assert_ne!(long[3..], stretch(b"abd", 64)[3..]);
        assert_ne!(long[3..], stretch(b"ab", 64)[2..63]);
        assert_eq!(stretch(&long, 16), long, "long inputs stay as they are");
    }
}
