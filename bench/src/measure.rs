//! What one repetition reports, and the statistics the table prints.
//!
//! Each repetition times only its own hot region (set-up such as spawning
//! threads or creating a fresh memory stays outside) and says how many
//! operations that region performed, so every row reads as time per
//! operation. Repetitions are summarized by median and min–max: the median is
//! robust against the machine's other tenants, and the range shows how noisy
//! the run was. Nothing here ever compares a time against a threshold.

use std::time::Duration;

use anyhow::Result;

/// The outcome of one timed repetition.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    /// Wall time of the hot region.
    pub elapsed: Duration,
    /// Operations performed in it (calls, adds, round trips, modules...).
    pub ops: u64,
    /// The kernel's checked result; the driver also requires weft and
    /// wasmtime to agree on it, so a wrong engine cannot look fast.
    pub result: i64,
}

impl Sample {
    /// Nanoseconds per operation.
    pub fn ns_per_op(&self) -> f64 {
        self.elapsed.as_secs_f64() * 1e9 / self.ops.max(1) as f64
    }
}

/// One prepared benchmark on one runtime: each call runs one repetition.
pub type Runner<'a> = Box<dyn FnMut() -> Result<Sample> + 'a>;

/// How much work a run does.
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    /// `--quick`: fewer repetitions and smaller inputs where the input size
    /// does not change what is measured.
    pub quick: bool,
}

impl Scale {
    /// `quick` in a quick run, `full` otherwise.
    pub fn pick<T>(self, quick: T, full: T) -> T {
        if self.quick { quick } else { full }
    }
}

/// Median and range of per-operation times, in nanoseconds.
#[derive(Clone, Copy, Debug)]
pub struct Stats {
    /// The median (mean of the middle two for an even count).
    pub median: f64,
    /// The fastest repetition.
    pub min: f64,
    /// The slowest repetition.
    pub max: f64,
}

impl Stats {
    /// Summarizes `values`; `None` when there are none.
    pub fn of(values: &[f64]) -> Option<Stats> {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let (&min, &max) = (sorted.first()?, sorted.last()?);
        let mid = sorted.len() / 2;
        let median = if sorted.len() % 2 == 1 {
            sorted[mid]
        } else {
            (sorted[mid - 1] + sorted[mid]) / 2.0
        };
        Some(Stats { median, min, max })
    }
}

/// Formats nanoseconds with a unit that keeps three or four digits.
pub fn format_ns(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.1} ns")
    } else if ns < 1e6 {
        format!("{:.2} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.3} s", ns / 1e9)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        let odd = Stats::of(&[5.0, 1.0, 3.0]).expect("three values");
        assert_eq!((odd.median, odd.min, odd.max), (3.0, 1.0, 5.0));
        let even = Stats::of(&[4.0, 1.0, 3.0, 2.0]).expect("four values");
        assert_eq!((even.median, even.min, even.max), (2.5, 1.0, 4.0));
        assert!(Stats::of(&[]).is_none());
    }

    #[test]
    fn units_follow_magnitude() {
        assert_eq!(format_ns(12.34), "12.3 ns");
        assert_eq!(format_ns(12_340.0), "12.34 µs");
        assert_eq!(format_ns(12_340_000.0), "12.34 ms");
        assert_eq!(format_ns(1_234_000_000.0), "1.234 s");
    }

    #[test]
    fn per_op_divides_by_ops() {
        let s = Sample {
            elapsed: Duration::from_micros(10),
            ops: 100,
            result: 0,
        };
        assert_eq!(s.ns_per_op(), 100.0);
    }
}
