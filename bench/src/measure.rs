//! What one repetition reports, and the statistics the table prints.
//!
//! Each repetition times only its own hot region (set-up such as spawning
//! threads or creating a fresh memory stays outside) and says how many
//! operations that region performed, so every row reads as time per
//! operation. Repetitions are summarized by median and min–max: the median is
//! robust against the machine's other tenants, and the range shows how noisy
//! the run was. Nothing here ever compares a time against a threshold.

use std::time::{Duration, Instant};

use anyhow::Result;
use rustix::time::{ClockId, clock_gettime};

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

/// How a run measures.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// `--quick`: fewer repetitions and smaller inputs where the input size
    /// does not change what is measured.
    pub quick: bool,
    /// The clock single-threaded benchmarks are timed with.
    pub clock: Clock,
    /// `--serial-compile`: both runtimes compile on the calling thread.
    pub serial_compile: bool,
}

impl Settings {
    /// `quick` in a quick run, `full` otherwise.
    pub fn pick<T>(self, quick: T, full: T) -> T {
        if self.quick { quick } else { full }
    }
}

/// Which clock times a single-threaded repetition.
///
/// Wall time is what a user waits, and the default. On a machine shared
/// with other work, though, a repetition's wall time includes whatever time
/// the thread spent preempted; the thread's CPU clock (user plus system
/// time of the calling thread only) does not, so it separates the runtimes
/// far more sharply there. Benchmarks that involve other threads (compile,
/// contended atomics, ping-pong) always use the wall clock, where the CPU
/// clock of one thread would not mean anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// `Instant`: elapsed real time.
    Wall,
    /// `CLOCK_THREAD_CPUTIME_ID`: CPU time consumed by the calling thread.
    ThreadCpu,
}

/// A started measurement on one clock.
pub struct Stopwatch {
    clock: Clock,
    wall: Instant,
    cpu: Duration,
}

impl Stopwatch {
    /// Starts measuring on `clock`.
    pub fn start(clock: Clock) -> Stopwatch {
        Stopwatch {
            clock,
            cpu: thread_cpu_time(),
            wall: Instant::now(),
        }
    }

    /// Time since `start` on its clock.
    pub fn elapsed(&self) -> Duration {
        match self.clock {
            Clock::Wall => self.wall.elapsed(),
            Clock::ThreadCpu => thread_cpu_time().saturating_sub(self.cpu),
        }
    }
}

fn thread_cpu_time() -> Duration {
    let now = clock_gettime(ClockId::ThreadCPUTime);
    // The kernel reports a non-negative time with nanoseconds below 1e9.
    Duration::new(
        u64::try_from(now.tv_sec).unwrap_or(0),
        u32::try_from(now.tv_nsec).unwrap_or(0),
    )
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
    fn both_clocks_advance() {
        for clock in [Clock::Wall, Clock::ThreadCpu] {
            let watch = Stopwatch::start(clock);
            // Burn some CPU on this thread so that its CPU clock moves too.
            let mut x = 0u64;
            while watch.elapsed() < Duration::from_millis(2) {
                x = std::hint::black_box(x.wrapping_add(1));
            }
            assert!(x > 0);
        }
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
