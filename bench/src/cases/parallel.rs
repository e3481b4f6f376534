//! Running one call per instance on as many host threads at once, timed from
//! a common start to the last finish.

use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};

use crate::runtime::Runtime;

/// Calls `calls[t].0` on `instances[t]` with argument `calls[t].1`, each on
/// its own thread, all released by one barrier. Returns the wall time from
/// the earliest start to the latest finish, and every thread's result.
///
/// Threads are spawned before the barrier and their start-up is not timed;
/// each thread reads the clock itself, so joining is not timed either.
pub fn race<R: Runtime>(
    runtime: &R,
    instances: &mut [R::Instance],
    calls: &[(R::Func, i32)],
) -> Result<(Duration, Vec<i64>)> {
    let barrier = Barrier::new(instances.len());
    let outcomes: Vec<Result<(Instant, Instant, i64)>> = thread::scope(|scope| {
        let handles: Vec<_> = instances
            .iter_mut()
            .zip(calls)
            .map(|(instance, (func, arg))| {
                let barrier = &barrier;
                scope.spawn(move || {
                    barrier.wait();
                    let start = Instant::now();
                    let result = runtime.call(instance, func, *arg)?;
                    Ok((start, Instant::now(), result))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .map_err(|_| anyhow!("a benchmark thread panicked"))?
            })
            .collect()
    });
    let outcomes = outcomes.into_iter().collect::<Result<Vec<_>>>()?;
    let start = outcomes.iter().map(|o| o.0).min();
    let end = outcomes.iter().map(|o| o.1).max();
    let elapsed = match (start, end) {
        (Some(start), Some(end)) => end.duration_since(start),
        _ => Duration::ZERO,
    };
    Ok((elapsed, outcomes.iter().map(|o| o.2).collect()))
}
