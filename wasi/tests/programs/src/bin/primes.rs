//! Counts the primes below N with T threads (`primes [T] [N]`), each
//! sieving its own segment, and checks the count against a sequential
//! sieve. Useful parallel work for the README's command.

use std::thread;
use std::time::Instant;

/// The primes up to `limit` (inclusive), by a plain sieve.
fn small_primes(limit: usize) -> Vec<usize> {
    let mut composite = vec![false; limit + 1];
    let mut primes = Vec::new();
    for n in 2..=limit {
        if !composite[n] {
            primes.push(n);
            let mut m = n * n;
            while m <= limit {
                composite[m] = true;
                m += n;
            }
        }
    }
    primes
}

/// How many primes lie in `lo..hi`, sieving with `base` (all primes up
/// to the square root of `hi`).
fn count_segment(lo: usize, hi: usize, base: &[usize]) -> usize {
    let mut composite = vec![false; hi - lo];
    for &p in base {
        let start = (p * p).max(lo.div_ceil(p) * p);
        let mut m = start;
        while m < hi {
            composite[m - lo] = true;
            m += p;
        }
    }
    (lo..hi).filter(|&n| n >= 2 && !composite[n - lo]).count()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let threads: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(4).max(1);
    let n: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(20_000_000).max(2);
    let base = small_primes(n.isqrt() + 1);
    let started = Instant::now();
    let chunk = n.div_ceil(threads);
    let parallel: usize = thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let base = &base;
                let (lo, hi) = (t * chunk, ((t + 1) * chunk).min(n));
                s.spawn(move || if lo < hi { count_segment(lo, hi, base) } else { 0 })
            })
            .collect();
        workers.into_iter().map(|w| w.join().expect("a worker panicked")).sum()
    });
    let parallel_time = started.elapsed();
    let started = Instant::now();
    let sequential = count_segment(0, n, &base);
    let sequential_time = started.elapsed();
    println!("primes below {n}: {parallel} with {threads} threads in {parallel_time:.2?}");
    println!("sequential check: {sequential} in {sequential_time:.2?}");
    if parallel != sequential {
        eprintln!("mismatch");
        std::process::exit(1);
    }
}
