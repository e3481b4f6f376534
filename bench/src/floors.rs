//! Native reference rows: what the hardware and kernel allow, with no wasm
//! runtime in the way. They bound from below what `atomic_add` and
//! `ping_pong` can reach, so the table shows how far each runtime is from
//! the floor, not only from the other runtime.

use std::sync::Barrier;
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, bail, ensure};
use rustix::io::Errno;
use rustix::thread::futex;

use crate::measure::{Sample, Settings, Stopwatch};

/// One reference row.
pub struct Floor {
    /// The row's name.
    pub name: &'static str,
    /// The benchmark it is the floor of.
    pub floor_of: &'static str,
    /// What one operation is.
    pub per: &'static str,
    /// One repetition.
    pub run: fn(Settings) -> Result<Sample>,
}

/// Every reference row.
pub fn all() -> &'static [Floor] {
    static FLOORS: [Floor; 2] = [
        Floor {
            name: "native_fetch_add",
            floor_of: "atomic_add",
            per: "add",
            run: fetch_add,
        },
        Floor {
            name: "futex_ping_pong",
            floor_of: "ping_pong",
            per: "round trip",
            run: futex_ping_pong,
        },
    ];
    &FLOORS
}

/// `AtomicU32::fetch_add(1, SeqCst)` in a loop: the same `lock xadd` that
/// `i32.atomic.rmw.add` compiles to, with nothing around it.
fn fetch_add(settings: Settings) -> Result<Sample> {
    let n: u32 = settings.pick(2_000_000, 10_000_000);
    let word = AtomicU32::new(0);
    let start = Stopwatch::start(settings.clock);
    for _ in 0..n {
        // LLVM does not merge or elide atomic read-modify-writes, so this is
        // a loop of `n` locked adds (checked in the disassembly; a
        // `black_box(&word)` here would add a store and a reload around each
        // locked add and make the floor ~4 ns slower than the wasm loop).
        word.fetch_add(1, Ordering::SeqCst);
    }
    let elapsed = start.elapsed();
    let total = word.load(Ordering::SeqCst);
    ensure!(
        total == n,
        "native_fetch_add: word is {total}, expected {n}"
    );
    Ok(Sample {
        elapsed,
        ops: u64::from(n),
        result: i64::from(total),
    })
}

/// The ping-pong protocol of `wat/ping_pong.wat`, with raw futex calls in
/// place of `memory.atomic.wait32`/`notify`: every hand-off stores, wakes
/// unconditionally and sleeps in the kernel while the token is away.
fn futex_ping_pong(settings: Settings) -> Result<Sample> {
    let rounds: u32 = settings.pick(10_000, 50_000);
    let word = AtomicU32::new(0);
    let barrier = Barrier::new(2);
    let (ping, pong) = thread::scope(|scope| {
        let ping = scope.spawn(|| {
            barrier.wait();
            let start = Instant::now();
            for _ in 0..rounds {
                // SeqCst: the same ordering as wasm's atomic store.
                word.store(1, Ordering::SeqCst);
                futex::wake(&word, futex::Flags::PRIVATE, 1)?;
                wait_while(&word, 1)?;
            }
            Ok::<_, anyhow::Error>((start, Instant::now()))
        });
        let pong = scope.spawn(|| {
            barrier.wait();
            let start = Instant::now();
            for _ in 0..rounds {
                wait_while(&word, 0)?;
                word.store(0, Ordering::SeqCst);
                futex::wake(&word, futex::Flags::PRIVATE, 1)?;
            }
            Ok::<_, anyhow::Error>((start, Instant::now()))
        });
        (ping.join(), pong.join())
    });
    let ping = ping.map_err(|_| anyhow!("futex_ping_pong: ping panicked"))??;
    let pong = pong.map_err(|_| anyhow!("futex_ping_pong: pong panicked"))??;
    let elapsed = ping.1.max(pong.1).duration_since(ping.0.min(pong.0));
    Ok(Sample {
        elapsed,
        ops: u64::from(rounds),
        result: i64::from(rounds),
    })
}

/// Sleeps while `word == value`, with the same 10 s give-up as the kernel.
fn wait_while(word: &AtomicU32, value: u32) -> Result<()> {
    const GIVE_UP: Duration = Duration::from_secs(10);
    let timeout = futex::Timespec {
        tv_sec: GIVE_UP.as_secs() as i64,
        tv_nsec: 0,
    };
    // SeqCst: pairs with the other thread's SeqCst store of the token.
    while word.load(Ordering::SeqCst) == value {
        match futex::wait(word, futex::Flags::PRIVATE, value, Some(&timeout)) {
            // Woken, or the word changed before we slept, or a signal: look again.
            Ok(()) | Err(Errno::AGAIN) | Err(Errno::INTR) => {}
            Err(Errno::TIMEDOUT) => bail!("futex_ping_pong: no hand-off for {GIVE_UP:?}"),
            Err(e) => bail!("futex_ping_pong: futex wait failed: {e}"),
        }
    }
    Ok(())
}
