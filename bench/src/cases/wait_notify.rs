//! Blocking hand-off between threads with `memory.atomic.wait32` and
//! `memory.atomic.notify`.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};

use super::parallel::race;
use super::to_binary;
use crate::measure::{Runner, Sample, Settings};
use crate::runtime::Runtime;

const PING_PONG: &str = include_str!("../../wat/ping_pong.wat");
const WAIT_FOREVER: &str = include_str!("../../wat/wait_forever.wat");

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

/// From `interrupt()` on one thread to the return of another thread blocked
/// in `memory.atomic.wait32` with no timeout, per interrupt (wall clock).
/// Each repetition uses a fresh instance (an interrupt is sticky), made
/// outside the timed region, and gives the waiter a few milliseconds to
/// park first. A runtime that cannot interrupt a wait is n/a.
pub fn interrupt_wait<R: Runtime>(runtime: &R, _settings: Settings) -> Result<Runner<'_>> {
    let module = runtime.compile(&to_binary("wait_forever", WAIT_FOREVER)?)?;
    let memory = runtime.shared_memory(1, 1)?;
    // Fails here, before any timing, where the runtime has no interrupter.
    drop(runtime.interrupter(&runtime.instantiate(&module, Some(&memory))?)?);
    Ok(Box::new(move || {
        let mut instance = runtime.instantiate(&module, Some(&memory))?;
        let func = runtime.func(&mut instance, "run")?;
        let interrupt = runtime.interrupter(&instance)?;
        let (sent, returned) = std::thread::scope(|s| {
            let waiter = s.spawn(|| {
                let result = runtime.call(&mut instance, &func, 0);
                (Instant::now(), result)
            });
            std::thread::sleep(Duration::from_millis(3));
            let sent = Instant::now();
            interrupt();
            (sent, waiter.join())
        });
        let (returned, result) = returned
            .ok()
            .context("interrupt_wait: the waiting thread panicked")?;
        ensure!(
            result.is_err(),
            "interrupt_wait: the wait returned {result:?} instead of trapping"
        );
        Ok(Sample {
            elapsed: returned.saturating_duration_since(sent),
            ops: 1,
            result: 0,
        })
    }))
}
