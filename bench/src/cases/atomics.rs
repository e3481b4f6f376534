//! Atomic read-modify-write, alone and contended, and `memory.atomic.notify`
//! with nobody waiting: the operations a lock or a work queue in wasm does
//! on its fast path.

use anyhow::{Result, ensure};

use super::parallel::race;
use super::to_binary;
use crate::measure::{Runner, Sample, Settings, Stopwatch};
use crate::runtime::{Runtime, call_once};

const ATOMICS: &str = include_str!("../../wat/atomics.wat");

/// `count` instances of the atomics kernel sharing one fresh memory.
fn instances<R: Runtime>(runtime: &R, count: usize) -> Result<Vec<R::Instance>> {
    let module = runtime.compile(&to_binary("atomics", ATOMICS)?)?;
    let memory = runtime.shared_memory(1, 1)?;
    (0..count)
        .map(|_| runtime.instantiate(&module, Some(&memory)))
        .collect()
}

/// Uncontended `i32.atomic.rmw.add` in a loop, per add.
pub fn add<R: Runtime>(runtime: &R, settings: Settings) -> Result<Runner<'_>> {
    let n: i32 = settings.pick(2_000_000, 10_000_000);
    let mut instance = instances(runtime, 1)?.remove(0);
    let add = runtime.func(&mut instance, "add")?;
    Ok(Box::new(move || {
        call_once(runtime, &mut instance, "reset", 0)?;
        let start = Stopwatch::start(settings.clock);
        runtime.call(&mut instance, &add, n)?;
        let elapsed = start.elapsed();
        let total = call_once(runtime, &mut instance, "get", 0)?;
        ensure!(
            total == i64::from(n),
            "atomic_add: word is {total}, expected {n}"
        );
        Ok(Sample {
            elapsed,
            ops: n as u64,
            result: total,
        })
    }))
}

/// Two threads adding to one word, per add (wall time over both threads'
/// adds); the word must end at exactly the number of adds.
pub fn add_contended<R: Runtime>(runtime: &R, settings: Settings) -> Result<Runner<'_>> {
    const THREADS: usize = 2;
    let n: i32 = settings.pick(1_000_000, 5_000_000);
    let mut instances = instances(runtime, THREADS)?;
    let calls = instances
        .iter_mut()
        .map(|instance| Ok((runtime.func(instance, "add")?, n)))
        .collect::<Result<Vec<_>>>()?;
    Ok(Box::new(move || {
        call_once(runtime, &mut instances[0], "reset", 0)?;
        let (elapsed, _) = race(runtime, &mut instances, &calls)?;
        let total = call_once(runtime, &mut instances[0], "get", 0)?;
        let expected = THREADS as i64 * i64::from(n);
        ensure!(
            total == expected,
            "atomic_add_contended: word is {total}, expected {expected}: adds were lost"
        );
        Ok(Sample {
            elapsed,
            ops: expected as u64,
            result: total,
        })
    }))
}

/// `memory.atomic.notify` on a word nobody waits on, per notify; the woken
/// count must stay 0.
pub fn notify_no_waiters<R: Runtime>(runtime: &R, settings: Settings) -> Result<Runner<'_>> {
    let n: i32 = settings.pick(2_000_000, 10_000_000);
    let mut instance = instances(runtime, 1)?.remove(0);
    let notify = runtime.func(&mut instance, "notify")?;
    Ok(Box::new(move || {
        let start = Stopwatch::start(settings.clock);
        let woken = runtime.call(&mut instance, &notify, n)?;
        let elapsed = start.elapsed();
        ensure!(
            woken == 0,
            "notify_no_waiters: woke {woken} waiters that do not exist"
        );
        Ok(Sample {
            elapsed,
            ops: n as u64,
            result: woken,
        })
    }))
}
