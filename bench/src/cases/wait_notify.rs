//! Blocking hand-off between threads with `memory.atomic.wait32` and
//! `memory.atomic.notify`.

use anyhow::{Result, ensure};

use super::parallel::race;
use super::to_binary;
use crate::measure::{Runner, Sample, Settings};
use crate::runtime::Runtime;

const PING_PONG: &str = include_str!("../../wat/ping_pong.wat");

/// Two threads pass a token back and forth, per round trip (two hand-offs,
/// each a store, a notify, and usually a sleep and a wake-up). Both threads
/// must complete every round; a wait that times out fails the run.
pub fn ping_pong<R: Runtime>(runtime: &R, settings: Settings) -> Result<Runner<'_>> {
    let rounds: i32 = settings.pick(10_000, 50_000);
    let module = runtime.compile(&to_binary("ping_pong", PING_PONG)?)?;
    let memory = runtime.shared_memory(1, 1)?;
    let mut instances = vec![
        runtime.instantiate(&module, Some(&memory))?,
        runtime.instantiate(&module, Some(&memory))?,
    ];
    let calls = vec![
        (runtime.func(&mut instances[0], "ping")?, rounds),
        (runtime.func(&mut instances[1], "pong")?, rounds),
    ];
    Ok(Box::new(move || {
        // Every run ends with pong's store of 0, so each starts from the
        // same state without a reset.
        let (elapsed, results) = race(runtime, &mut instances, &calls)?;
        for (side, result) in ["ping", "pong"].iter().zip(&results) {
            ensure!(
                *result == i64::from(rounds),
                "ping_pong: {side} completed {result} of {rounds} rounds (-1: a wait timed out)"
            );
        }
        Ok(Sample {
            elapsed,
            ops: rounds as u64,
            result: results.iter().sum(),
        })
    }))
}
