//! Real-thread stress of weft's threads story: atomics under contention,
//! wait/notify handoffs, growth racing accesses, notify counts and wait
//! timeouts. Every test asserts an exact outcome (a sum, a count, a chain
//! of grows), not merely "no crash".
//!
//! Threads that could block forever on a weft bug (a lost wake-up) are
//! joined by [`join_within`], which fails the test with a description of
//! the state once it stops changing, instead of hanging the suite. Each test is sized to finish in
//! well under a second on an idle machine, so the limits leave room for a
//! loaded one.

use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use weft::{Config, Engine, Instance, MemoryType, Module, SharedMemory, Store, TrapCode};

/// How long a group of threads may go without visible progress (or, for
/// a single wait, may take) before the test calls it a hang. Far above the
/// expected time: it exists to turn a lost wake-up into a failure with a
/// message.
const HANG: Duration = Duration::from_secs(60);

/// The most any one group of threads may take, progress or not.
const LIMIT: Duration = Duration::from_secs(600);

/// How often [`join_within`] samples the state for progress.
const LOOK_EVERY: Duration = Duration::from_millis(500);

fn threads_engine() -> Engine {
    let mut config = Config::new();
    config.wasm_threads(true);
    Engine::new(&config).expect("this host supports the JIT")
}

fn instantiate(module: &Module, memory: &SharedMemory) -> (Store<()>, Instance) {
    let mut store = Store::new(module.engine(), ());
    let instance =
        Instance::new(&mut store, module, &[memory.clone().into()]).expect("instantiates");
    (store, instance)
}

fn read_bytes<const N: usize>(memory: &SharedMemory, offset: usize) -> [u8; N] {
    let mut bytes = [0u8; N];
    memory.read(offset, &mut bytes).expect("offset in bounds");
    bytes
}

fn read_u32(memory: &SharedMemory, offset: usize) -> u32 {
    u32::from_le_bytes(read_bytes(memory, offset))
}

/// Joins every handle, failing with `state()` if the threads are still
/// running and `state()` has not changed for [`HANG`]. Progress, not total
/// time, is what is judged: a lost wake-up freezes the state, while a
/// heavily loaded machine (each futex wake-up waiting for a time slice)
/// only makes it change slowly. [`LIMIT`] caps the whole wait. A thread
/// that panicked fails the test with its message.
fn join_within<T>(handles: Vec<JoinHandle<T>>, state: impl Fn() -> String) -> Vec<T> {
    let start = Instant::now();
    let mut last = state();
    let mut last_change = start;
    let mut next_look = start + LOOK_EVERY;
    while !handles.iter().all(JoinHandle::is_finished) {
        let now = Instant::now();
        if now >= next_look {
            let current = state();
            if current != last {
                last = current;
                last_change = now;
            }
            next_look = now + LOOK_EVERY;
        }
        assert!(
            now.duration_since(last_change) < HANG && now.duration_since(start) < LIMIT,
            "threads still running, state unchanged for {:?}, {:?} in all (a lost wake-up?): {last}",
            now.duration_since(last_change),
            now.duration_since(start),
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    handles
        .into_iter()
        .map(|h| match h.join() {
            Ok(v) => v,
            Err(panic) => std::panic::resume_unwind(panic),
        })
        .collect()
}

// ---------------------------------------------------------------------
// Atomic read-modify-writes under contention
// ---------------------------------------------------------------------

/// Each export does `$n` atomic updates. The narrow ones check, in wasm,
/// that the old value they return is zero-extended (an `unreachable` trap
/// if not), so a sign- or garbage-extended result fails the test.
const COUNTERS: &str = include_str!("wat/counters.wat");

const THREADS: usize = 4;

/// Runs `body(thread_index, store, instance)` on [`THREADS`] threads, each
/// with its own store and instance of `module` over `memory`, all released
/// together.
fn on_threads(
    module: &Module,
    memory: &SharedMemory,
    body: impl Fn(usize, &mut Store<()>, Instance) + Send + Sync + Clone + 'static,
) {
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(THREADS));
    let handles = (0..THREADS)
        .map(|t| {
            let (module, memory, body, barrier) = (
                module.clone(),
                memory.clone(),
                body.clone(),
                barrier.clone(),
            );
            std::thread::spawn(move || {
                let (mut store, instance) = instantiate(&module, &memory);
                barrier.wait();
                body(t, &mut store, instance);
            })
        })
        .collect();
    join_within(handles, || "counters".to_owned());
}

#[test]
fn i32_rmw_add_on_one_and_on_eight_words_sums_exactly() {
    const N: i32 = 200_000;
    let module = Module::new(&threads_engine(), COUNTERS).expect("compiles");
    let memory = SharedMemory::new(module.engine(), MemoryType::shared(1, 1)).expect("memory");
    on_threads(&module, &memory, |_, store, i| {
        let add32 = i
            .get_typed_func::<(i32, i32, i32), ()>(&mut *store, "add32")
            .expect("typed");
        // One hot word, then eight neighbouring words in one cache line.
        add32.call(&mut *store, (0, 1, N)).expect("runs");
        add32.call(&mut *store, (64, 8, N)).expect("runs");
    });
    assert_eq!(read_u32(&memory, 0), THREADS as u32 * N as u32);
    for w in 0..8 {
        assert_eq!(
            read_u32(&memory, 64 + 4 * w),
            THREADS as u32 * N as u32 / 8,
            "word {w}"
        );
    }
    assert_eq!(read_u32(&memory, 4), 0, "the word after the hot one");
    assert_eq!(read_u32(&memory, 96), 0, "the word after the eight");
}

#[test]
fn i64_rmw_add_and_cmpxchg_carry_across_the_halves_exactly() {
    const N: i32 = 100_000;
    // Bit 31 set: the low halves overflow many times.
    const K: i64 = 0x0000_0001_8000_0001;
    let module = Module::new(&threads_engine(), COUNTERS).expect("compiles");
    let memory = SharedMemory::new(module.engine(), MemoryType::shared(1, 1)).expect("memory");
    on_threads(&module, &memory, |_, store, i| {
        i.get_typed_func::<(i32, i64, i32), ()>(&mut *store, "add64")
            .expect("typed")
            .call(&mut *store, (8, K, N))
            .expect("runs");
        i.get_typed_func::<(i32, i64, i32), ()>(&mut *store, "cas64")
            .expect("typed")
            .call(&mut *store, (24, K, N))
            .expect("runs");
    });
    let expected = (K as u64).wrapping_mul(THREADS as u64 * N as u64);
    assert_eq!(u64::from_le_bytes(read_bytes(&memory, 8)), expected);
    assert_eq!(u64::from_le_bytes(read_bytes(&memory, 24)), expected);
    assert_eq!(u64::from_le_bytes(read_bytes(&memory, 16)), 0, "between");
    assert_eq!(u64::from_le_bytes(read_bytes(&memory, 32)), 0, "after");
}

#[test]
fn narrow_rmw_add_wraps_and_leaves_neighbours_alone() {
    const N: i32 = 200_000;
    let module = Module::new(&threads_engine(), COUNTERS).expect("compiles");
    let memory = SharedMemory::new(module.engine(), MemoryType::shared(1, 1)).expect("memory");
    // Sentinels around the 8-bit cell at 0x41 and the 16-bit cell at 0x52.
    memory
        .write(0x40, &[0xaa, 0x00, 0xbb, 0xcc])
        .expect("in bounds");
    memory
        .write(0x50, &[0xdd, 0xee, 0x00, 0x00, 0x11, 0x22])
        .expect("in bounds");
    on_threads(&module, &memory, |t, store, i| {
        // Half the threads use the i32 forms, half the i64 forms, on the
        // same cells: they must agree on width and wraparound.
        if t.is_multiple_of(2) {
            i.get_typed_func::<(i32, i32, i32), ()>(&mut *store, "add8_i32")
                .expect("typed")
                .call(&mut *store, (0x41, 3, N))
                .expect("runs");
            i.get_typed_func::<(i32, i32, i32), ()>(&mut *store, "add16_i32")
                .expect("typed")
                .call(&mut *store, (0x52, 7, N))
                .expect("runs");
        } else {
            i.get_typed_func::<(i32, i64, i32), ()>(&mut *store, "add8_i64")
                .expect("typed")
                .call(&mut *store, (0x41, 3, N))
                .expect("runs");
            i.get_typed_func::<(i32, i64, i32), ()>(&mut *store, "add16_i64")
                .expect("typed")
                .call(&mut *store, (0x52, 7, N))
                .expect("runs");
        }
    });
    let total = THREADS as u64 * N as u64;
    let byte = (3 * total % 256) as u8;
    assert_eq!(read_bytes::<4>(&memory, 0x40), [0xaa, byte, 0xbb, 0xcc]);
    let half = ((7 * total) % 65536) as u16;
    let [lo, hi] = half.to_le_bytes();
    assert_eq!(
        read_bytes::<6>(&memory, 0x50),
        [0xdd, 0xee, lo, hi, 0x11, 0x22]
    );
}

#[test]
fn narrow_cmpxchg_loops_wrap_exactly() {
    const N: i32 = 50_000;
    let module = Module::new(&threads_engine(), COUNTERS).expect("compiles");
    let memory = SharedMemory::new(module.engine(), MemoryType::shared(1, 1)).expect("memory");
    memory.write(0x80, &[0x5a; 8]).expect("in bounds");
    on_threads(&module, &memory, |_, store, i| {
        i.get_typed_func::<(i32, i32), ()>(&mut *store, "cas8")
            .expect("typed")
            .call(&mut *store, (0x83, N))
            .expect("runs");
        i.get_typed_func::<(i32, i32), ()>(&mut *store, "cas16_i64")
            .expect("typed")
            .call(&mut *store, (0x84, N))
            .expect("runs");
    });
    let total = THREADS as u64 * N as u64;
    let byte = (0x5a + total % 256) as u8;
    let [lo, hi] = ((0x5a5a + total) as u16).to_le_bytes();
    assert_eq!(
        read_bytes::<8>(&memory, 0x80),
        [0x5a, 0x5a, 0x5a, byte, lo, hi, 0x5a, 0x5a]
    );
}

#[test]
fn modules_compile_and_instantiate_concurrently_on_one_engine() {
    // Each thread compiles its own variant (a different constant, so the
    // code differs), instantiates it over the one memory, and adds its
    // constant: the sum shows every variant ran its own code.
    const PER_THREAD: usize = 12;
    let engine = threads_engine();
    let memory = SharedMemory::new(&engine, MemoryType::shared(1, 1)).expect("memory");
    let handles = (0..THREADS)
        .map(|t| {
            let (engine, memory) = (engine.clone(), memory.clone());
            std::thread::spawn(move || {
                for v in 0..PER_THREAD {
                    let k = 1 + t * PER_THREAD + v;
                    let module = Module::new(
                        &engine,
                        format!(
                            r#"(module (import "env" "memory" (memory 1 1 shared))
                                 (func (export "add") (result i32)
                                   (i32.atomic.rmw.add (i32.const 0) (i32.const {k}))))"#
                        ),
                    )
                    .expect("compiles");
                    let (mut store, i) = instantiate(&module, &memory);
                    i.get_typed_func::<(), i32>(&mut store, "add")
                        .expect("typed")
                        .call(&mut store, ())
                        .expect("runs");
                }
            })
        })
        .collect();
    join_within(handles, || "compilers".to_owned());
    let n = THREADS * PER_THREAD;
    assert_eq!(read_u32(&memory, 0) as usize, n * (n + 1) / 2);
}

// ---------------------------------------------------------------------
// wait / notify
// ---------------------------------------------------------------------

/// Thread `$k` of `$threads` owns the slot at `256 + 4k`. In round `r` it
/// waits until its slot reaches `r + 1`, then, as the only thread allowed
/// to, bumps a plain (non-atomic) counter at 512 after checking that it
/// holds `r * threads + k`, then passes the token to the next slot and
/// notifies it. The plain counter is correct only if every handoff both
/// wakes the next thread and orders the memory between them.
const RING: &str = include_str!("wat/ring.wat");

#[test]
fn a_token_passed_around_a_ring_of_four_threads_is_never_lost() {
    const ROUNDS: i32 = 5000;
    let module = Module::new(&threads_engine(), RING).expect("compiles");
    let memory = SharedMemory::new(module.engine(), MemoryType::shared(1, 1)).expect("memory");
    // Thread 0 holds the token for round 0.
    memory.write(256, &1u32.to_le_bytes()).expect("in bounds");
    let handles = (0..THREADS)
        .map(|k| {
            let (module, memory) = (module.clone(), memory.clone());
            std::thread::spawn(move || {
                let (mut store, i) = instantiate(&module, &memory);
                i.get_typed_func::<(i32, i32, i32), i32>(&mut store, "ring")
                    .expect("typed")
                    .call(&mut store, (k as i32, THREADS as i32, ROUNDS))
                    .expect("every handoff checks out")
            })
        })
        .collect();
    let woken = join_within(handles, || {
        format!(
            "plain counter {}, slots {:?}",
            read_u32(&memory, 512),
            (0..THREADS)
                .map(|k| read_u32(&memory, 256 + 4 * k))
                .collect::<Vec<_>>()
        )
    });
    assert_eq!(read_u32(&memory, 512), THREADS as u32 * ROUNDS as u32);
    // Every thread passed the token on once per round; the last pass goes
    // back to thread 0, which no longer waits.
    assert_eq!(read_u32(&memory, 256), ROUNDS as u32 + 1);
    for k in 1..THREADS {
        assert_eq!(read_u32(&memory, 256 + 4 * k), ROUNDS as u32, "slot {k}");
    }
    // No wait can end as "woken" without a notify that counted it, and a
    // thread is woken at most once per round.
    let total: i32 = woken.iter().sum();
    eprintln!("ring: {total} waits ended by a notify, per thread {woken:?}");
    assert!(
        total <= THREADS as i32 * ROUNDS,
        "woken {total} times, {woken:?}"
    );
}

/// Sleepers announce themselves at 0 and wait at 4, whose value stays 0.
const SLEEPERS: &str = include_str!("wat/sleepers.wat");

#[test]
fn notify_counts_add_up_to_the_sleepers_woken() {
    const SLEEPERS_N: u32 = 6;
    let module = Module::new(&threads_engine(), SLEEPERS).expect("compiles");
    let memory = SharedMemory::new(module.engine(), MemoryType::shared(1, 1)).expect("memory");
    let sleepers: Vec<_> = (0..SLEEPERS_N)
        .map(|_| {
            let (module, memory) = (module.clone(), memory.clone());
            std::thread::spawn(move || {
                let (mut store, i) = instantiate(&module, &memory);
                i.get_typed_func::<(), i32>(&mut store, "sleep")
                    .expect("typed")
                    .call(&mut store, ())
                    .expect("waits")
            })
        })
        .collect();
    let deadline = Instant::now() + HANG;
    while read_u32(&memory, 0) < SLEEPERS_N {
        assert!(Instant::now() < deadline, "sleepers never started");
        std::thread::sleep(Duration::from_millis(1));
    }
    // Every sleeper has announced itself; some may not be queued yet, so a
    // notify may wake fewer than it could, but never more than asked, never
    // more than are left, and in the end exactly all of them.
    let (mut store, i) = instantiate(&module, &memory);
    let notify = i
        .get_typed_func::<i32, i32>(&mut store, "notify")
        .expect("typed");
    let mut woken = 0u32;
    let mut calls = 0u32;
    while woken < SLEEPERS_N {
        assert!(
            Instant::now() < deadline,
            "woke only {woken} of {SLEEPERS_N} sleepers"
        );
        let count = calls % 4; // 0, 1, 2, 3, 0, ...
        let n = if calls.is_multiple_of(2) {
            notify
                .call(&mut store, count as i32)
                .expect("notify in wasm") as u32
        } else {
            memory
                .atomic_notify(4, count)
                .expect("notify from the host")
        };
        assert!(n <= count, "notify({count}) woke {n}");
        assert!(
            n <= SLEEPERS_N - woken,
            "notify woke {n} with {} left",
            SLEEPERS_N - woken
        );
        woken += n;
        calls += 1;
        if n == 0 {
            std::thread::yield_now();
        }
    }
    let results = join_within(sleepers, || format!("woke {woken}"));
    assert!(
        results.iter().all(|&r| r == 0),
        "every sleeper returns \"ok\": {results:?}"
    );
    assert_eq!(notify.call(&mut store, -1).expect("notify"), 0, "none left");
}

/// Waits with parameters, for the timeout tests.
const WAITS: &str = include_str!("wat/waits.wat");

#[test]
fn waits_time_out_with_2_and_mismatches_return_1_at_once_on_every_thread() {
    const ROUNDS: usize = 20;
    let module = Module::new(&threads_engine(), WAITS).expect("compiles");
    let memory = SharedMemory::new(module.engine(), MemoryType::shared(1, 1)).expect("memory");
    // A 64-bit word whose low half is 0 and high half is 1.
    memory
        .write(64, &0x1_0000_0000u64.to_le_bytes())
        .expect("in bounds");
    on_threads(&module, &memory, |t, store, i| {
        let wait32 = i
            .get_typed_func::<(i32, i32, i64), i32>(&mut *store, "wait32")
            .expect("typed");
        let wait64 = i
            .get_typed_func::<(i32, i64, i64), i32>(&mut *store, "wait64")
            .expect("typed");
        // Threads share address 0 half of the time and use their own the
        // other half, so timeouts happen with and without company.
        for round in 0..ROUNDS {
            let addr = if round.is_multiple_of(2) {
                0
            } else {
                8 * (t as i32 + 1)
            };
            let start = Instant::now();
            assert_eq!(
                wait32.call(&mut *store, (addr, 0, 1_000_000)).expect("w"),
                2
            );
            assert!(start.elapsed() >= Duration::from_millis(1), "waited 1 ms");
            assert_eq!(wait64.call(&mut *store, (addr, 0, 0)).expect("w"), 2);
            // Mismatches return at once, whatever the timeout: were they
            // to wait, the HANG watchdog would fire.
            assert_eq!(wait32.call(&mut *store, (addr, 1, -1)).expect("w"), 1);
            assert_eq!(wait64.call(&mut *store, (64, 0, -1)).expect("w"), 1, "high");
            assert_eq!(
                wait64
                    .call(&mut *store, (64, 0x1_0000_0001, -1))
                    .expect("w"),
                1,
                "low"
            );
            // The low half alone does match.
            assert_eq!(wait32.call(&mut *store, (64, 0, 0)).expect("w"), 2);
            assert_eq!(wait32.call(&mut *store, (68, 1, 1000)).expect("w"), 2);
        }
    });
}

/// Waits and notifies whose static offsets carry the address.
const OFFSET_WAITS: &str = include_str!("wat/offset_waits.wat");

#[test]
fn waits_compare_the_exact_bits_at_the_offset_address() {
    let module = Module::new(&threads_engine(), OFFSET_WAITS).expect("compiles");
    let memory = SharedMemory::new(module.engine(), MemoryType::shared(1, 1)).expect("memory");
    let (mut store, i) = instantiate(&module, &memory);
    let wait32 = i
        .get_typed_func::<(i32, i32, i64), i32>(&mut store, "wait32")
        .expect("typed");
    let wait64 = i
        .get_typed_func::<(i32, i64, i64), i32>(&mut store, "wait64")
        .expect("typed");
    // All ones at 64 and the sign bit alone at 72: an expected value
    // extended the wrong way (sign vs zero) would compare unequal.
    memory
        .write(64, &u32::MAX.to_le_bytes())
        .expect("in bounds");
    memory.write(68, &0u32.to_le_bytes()).expect("in bounds");
    memory
        .write(72, &(i64::MIN as u64).to_le_bytes())
        .expect("in bounds");
    let call32 = |store: &mut Store<()>, addr, expected| {
        wait32.call(store, (addr, expected, 0)).expect("waits")
    };
    let call64 = |store: &mut Store<()>, addr, expected| {
        wait64.call(store, (addr, expected, 0)).expect("waits")
    };
    assert_eq!(call32(&mut store, 0, -1), 2, "equal: times out");
    assert_eq!(call32(&mut store, 0, i32::MAX), 1, "not equal");
    assert_eq!(call32(&mut store, 4, 0), 2);
    assert_eq!(call64(&mut store, 0, 0xffff_ffff), 2, "64-bit: high half 0");
    assert_eq!(call64(&mut store, 0, -1), 1, "64-bit: not all ones");
    assert_eq!(call64(&mut store, 8, i64::MIN), 2, "sign bit alone");
    assert_eq!(call64(&mut store, 8, 0), 1);
    assert_eq!(call64(&mut store, 8, 0x8000_0000), 1);
    assert_eq!(call32(&mut store, 12, i32::MIN), 2, "the high word of 72");

    // A waiter at 64 + 16 is found by a host notify at 80 and by a wasm
    // notify whose own offset (60) and index (20) add up to 80.
    for through_wasm in [false, true] {
        let waiter = {
            let (module, memory) = (module.clone(), memory.clone());
            std::thread::spawn(move || {
                let (mut store, i) = instantiate(&module, &memory);
                i.get_typed_func::<(i32, i32, i64), i32>(&mut store, "wait32")
                    .expect("typed")
                    .call(&mut store, (16, 0, -1))
                    .expect("waits")
            })
        };
        let notify = i
            .get_typed_func::<(i32, i32), i32>(&mut store, "notify")
            .expect("typed");
        let deadline = Instant::now() + HANG;
        loop {
            let woken = if through_wasm {
                notify.call(&mut store, (20, 1)).expect("notify") as u32
            } else {
                memory.atomic_notify(80, 1).expect("notify")
            };
            if woken == 1 {
                break;
            }
            assert!(!waiter.is_finished(), "the waiter returned by itself");
            assert!(
                Instant::now() < deadline,
                "the waiter at 80 was never found"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(join_within(vec![waiter], String::new), [0]);
    }

    // Offsets count for the alignment and bounds checks too.
    for (name, code) in [
        ("wait32_odd", TrapCode::UnalignedAtomic),
        ("wait64_half", TrapCode::UnalignedAtomic),
        ("notify_odd", TrapCode::UnalignedAtomic),
        ("wait64_past", TrapCode::MemoryOutOfBounds),
    ] {
        let e = i
            .get_typed_func::<(), i32>(&mut store, name)
            .expect("typed")
            .call(&mut store, ())
            .expect_err("traps");
        assert_eq!(e.as_trap().map(|t| t.code()), Some(code), "{name}: {e}");
    }
}

#[test]
fn negative_and_huge_timeouts_wait_until_notified() {
    // Any negative timeout means "forever", and a timeout too far away to
    // be a deadline must not overflow into "now": each of these waits can
    // only end by being notified.
    let module = Module::new(&threads_engine(), WAITS).expect("compiles");
    let memory = SharedMemory::new(module.engine(), MemoryType::shared(1, 1)).expect("memory");
    let timeouts = [-1, -2, i64::MIN, i64::MAX, i64::MAX - 1];
    let waiters: Vec<_> = timeouts
        .iter()
        .enumerate()
        .map(|(k, &timeout)| {
            let (module, memory) = (module.clone(), memory.clone());
            std::thread::spawn(move || {
                let (mut store, i) = instantiate(&module, &memory);
                let addr = 8 * k as i32;
                if k % 2 == 0 {
                    i.get_typed_func::<(i32, i32, i64), i32>(&mut store, "wait32")
                        .expect("typed")
                        .call(&mut store, (addr, 0, timeout))
                } else {
                    i.get_typed_func::<(i32, i64, i64), i32>(&mut store, "wait64")
                        .expect("typed")
                        .call(&mut store, (addr, 0, timeout))
                }
                .expect("waits")
            })
        })
        .collect();
    let deadline = Instant::now() + HANG;
    for (k, waiter) in waiters.iter().enumerate() {
        // Until the notify finds the waiter; were the wait to have
        // returned on its own, it would be finished and never found.
        while memory.atomic_notify(8 * k as u64, 1).expect("notify") == 0 {
            assert!(
                !waiter.is_finished(),
                "the wait with timeout {} returned without a notify",
                timeouts[k]
            );
            assert!(Instant::now() < deadline, "waiter {k} never queued");
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    let results = join_within(waiters, String::new);
    assert_eq!(results, [0; 5], "every wait was woken (\"ok\")");
}

#[test]
fn a_notify_racing_short_timeouts_counts_each_woken_waiter_once() {
    const WAITS_PER_THREAD: usize = 1000;
    let module = Module::new(&threads_engine(), WAITS).expect("compiles");
    let memory = SharedMemory::new(module.engine(), MemoryType::shared(1, 1)).expect("memory");
    let waiters: Vec<_> = (0..THREADS - 1)
        .map(|_| {
            let (module, memory) = (module.clone(), memory.clone());
            std::thread::spawn(move || {
                let (mut store, i) = instantiate(&module, &memory);
                let wait32 = i
                    .get_typed_func::<(i32, i32, i64), i32>(&mut store, "wait32")
                    .expect("typed");
                let mut woken = 0u64;
                for _ in 0..WAITS_PER_THREAD {
                    // 50 us: short enough that timeouts and notifies meet.
                    match wait32.call(&mut store, (0, 0, 50_000)).expect("waits") {
                        0 => woken += 1,
                        2 => {}
                        r => panic!("wait on an unchanged value returned {r}"),
                    }
                }
                woken
            })
        })
        .collect();
    let (mut store, i) = instantiate(&module, &memory);
    let notify = i
        .get_typed_func::<(i32, i32), i32>(&mut store, "notify")
        .expect("typed");
    let mut notified = 0u64;
    let deadline = Instant::now() + HANG;
    while !waiters.iter().all(JoinHandle::is_finished) {
        assert!(Instant::now() < deadline, "waiters never finished");
        notified += notify.call(&mut store, (0, 1)).expect("notify") as u64;
        std::thread::yield_now();
    }
    let woken: u64 = join_within(waiters, String::new).into_iter().sum();
    eprintln!(
        "racing timeouts: {woken} of {} waits woken by a notify",
        (THREADS - 1) * WAITS_PER_THREAD
    );
    assert_eq!(
        woken, notified,
        "each waiter a notify counted returned \"ok\", and only those"
    );
}

/// Publication: the writer stores item `k` with a plain store, then sets
/// its flag with an atomic store and notifies it; the reader takes flag `k`
/// (waiting on it if it is not set yet) and then reads the item with a
/// plain load. Each notify almost always finds no waiter, so this drives
/// notify's lock-free fast path against waiters arriving at that moment:
/// a lost wake-up hangs the reader (the watchdog reports it), a missing
/// ordering shows as a stale item (an `unreachable` trap).
const PUBLISH: &str = include_str!("wat/publish.wat");

#[test]
fn items_published_through_atomics_and_notify_are_seen_whole_and_no_wakeup_is_lost() {
    publish(false);
}

#[test]
fn flags_set_by_plain_stores_before_notify_lose_no_wakeup() {
    // A plain store leaves the flag in the writer's store buffer while
    // notify checks for waiters: only the fences in weft's wait/notify
    // fast path keep a waiter arriving then from being missed.
    publish(true);
}

fn publish(plain: bool) {
    // 4n + 8n bytes fit the 8 pages.
    const ITEMS: i32 = 40_000;
    let module = Module::new(&threads_engine(), PUBLISH).expect("compiles");
    let memory = SharedMemory::new(module.engine(), MemoryType::shared(8, 8)).expect("memory");
    let reader = {
        let (module, memory) = (module.clone(), memory.clone());
        std::thread::spawn(move || {
            let (mut store, i) = instantiate(&module, &memory);
            i.get_typed_func::<(i32, i32), i32>(&mut store, "read")
                .expect("typed")
                .call(&mut store, (ITEMS, i32::from(!plain)))
                .expect("every item is whole when its flag is seen")
        })
    };
    let writer = {
        let (module, memory) = (module.clone(), memory.clone());
        std::thread::spawn(move || {
            let (mut store, i) = instantiate(&module, &memory);
            i.get_typed_func::<(i32, i32), ()>(&mut store, "write")
                .expect("typed")
                .call(&mut store, (ITEMS, i32::from(plain)))
                .expect("writes");
            0
        })
    };
    let waits = join_within(vec![reader, writer], || {
        let seen = (0..ITEMS as usize)
            .take_while(|k| read_u32(&memory, 4 * k) == 1)
            .count();
        format!("the writer has set {seen} flags")
    })[0];
    eprintln!(
        "publication (plain flags: {plain}): the reader waited {waits} times for {ITEMS} items"
    );
}

/// Each waiter announces itself at 1024 + 4 * its index, then waits at
/// its own address with an infinite timeout.
const ADDRESSED: &str = include_str!("wat/addressed.wat");

#[test]
fn notify_wakes_only_waiters_on_its_own_address_of_its_own_memory() {
    let module = Module::new(&threads_engine(), ADDRESSED).expect("compiles");
    let first = SharedMemory::new(module.engine(), MemoryType::shared(1, 1)).expect("memory");
    let second = SharedMemory::new(module.engine(), MemoryType::shared(1, 1)).expect("memory");
    // Neighbouring words, words that may share a queue bucket, the last
    // word, and the same address in another memory.
    let waiters: Vec<(SharedMemory, u64)> = [0u64, 4, 8, 64, 4096, 8192, 65532]
        .into_iter()
        .map(|addr| (first.clone(), addr))
        .chain([(second.clone(), 0), (second.clone(), 4096)])
        .collect();
    let mut handles: Vec<Option<JoinHandle<i32>>> = waiters
        .iter()
        .enumerate()
        .map(|(index, (memory, addr))| {
            let (module, memory, addr) = (module.clone(), memory.clone(), *addr);
            Some(std::thread::spawn(move || {
                let (mut store, i) = instantiate(&module, &memory);
                i.get_typed_func::<(i32, i32), i32>(&mut store, "wait_at")
                    .expect("typed")
                    .call(&mut store, (index as i32, addr as i32))
                    .expect("waits")
            }))
        })
        .collect();
    let deadline = Instant::now() + HANG;
    for (index, (memory, _)) in waiters.iter().enumerate() {
        while read_u32(memory, 1024 + 4 * index) == 0 {
            assert!(Instant::now() < deadline, "waiter {index} never started");
            std::thread::yield_now();
        }
    }
    // Wake them one address at a time, asking for every waiter there is:
    // exactly one wakes per address, and it is that address's waiter.
    for (index, (memory, addr)) in waiters.iter().enumerate() {
        let mut woken = 0;
        while woken == 0 {
            assert!(Instant::now() < deadline, "waiter {index} never queued");
            woken = memory.atomic_notify(*addr, u32::MAX).expect("notify");
            std::thread::yield_now();
        }
        assert_eq!(woken, 1, "notify at {addr:#x} woke {woken}");
        let handle = handles[index].take().expect("joined once");
        let result = join_within(vec![handle], || {
            format!("notify at {addr:#x} woke someone, but not waiter {index}")
        });
        assert_eq!(result, [0]);
    }
    for memory in [&first, &second] {
        for addr in [0, 4, 8, 64, 4096, 8192, 65532] {
            assert_eq!(memory.atomic_notify(addr, u32::MAX).expect("notify"), 0);
        }
    }
}

/// Store buffering: each side stores 1 to its own cell then loads the
/// other side's, for `n` cell pairs; with sequentially consistent atomics
/// at least one side of every pair must see the other's store. Both sides
/// start together (a spin at word 0), and before cell `k` each waits a
/// little (a bounded spin) for the other to have stored cell `k - 1`, so
/// that they run over the same cells at the same time: that is when a
/// store still in a store buffer can be missed.
const STORE_BUFFERING: &str = include_str!("wat/store_buffering.wat");

#[test]
fn sequentially_consistent_stores_are_never_both_missed() {
    // 4 arrays of n words fit the 16 pages with room to spare.
    const CELLS: usize = 20_000;
    const ROUNDS: usize = 5;
    let module = Module::new(&threads_engine(), STORE_BUFFERING).expect("compiles");
    let mut both_saw = 0usize;
    for _ in 0..ROUNDS {
        let memory =
            SharedMemory::new(module.engine(), MemoryType::shared(16, 16)).expect("memory");
        let sides: Vec<_> = (0..2)
            .map(|side| {
                let (module, memory) = (module.clone(), memory.clone());
                std::thread::spawn(move || {
                    let (mut store, i) = instantiate(&module, &memory);
                    i.get_typed_func::<(i32, i32), ()>(&mut store, "side")
                        .expect("typed")
                        .call(&mut store, (side, CELLS as i32))
                        .expect("runs")
                })
            })
            .collect();
        join_within(sides, || "store buffering".to_owned());
        let mut results = vec![0u8; 8 * CELLS];
        memory
            .read(64 + 8 * CELLS, &mut results)
            .expect("in bounds");
        let (zero, one) = results.split_at(4 * CELLS);
        for k in 0..CELLS {
            let r0 = u32::from_le_bytes(zero[4 * k..4 * k + 4].try_into().expect("4 bytes"));
            let r1 = u32::from_le_bytes(one[4 * k..4 * k + 4].try_into().expect("4 bytes"));
            assert!(
                r0 == 1 || r1 == 1,
                "cell pair {k}: both sides missed the other's store"
            );
            both_saw += usize::from(r0 == 1 && r1 == 1);
        }
    }
    eprintln!(
        "store buffering: {both_saw} of {} pairs overlapped",
        ROUNDS * CELLS
    );
}

// ---------------------------------------------------------------------
// Growth racing accesses
// ---------------------------------------------------------------------

/// The maximum `growth.wat` declares for its imported memory.
const MAX_PAGES: u32 = 160;

/// `chase` runs as one long call, so any length it cached at entry goes
/// stale as other threads grow the memory: every access to the last page
/// that `memory.size` reports must still succeed (the bounds check must
/// reload the length, not trust its cache). It stops when the host sets
/// the flag at 0 and returns how many times it went round; each round adds
/// 1 to the last word of the memory as it saw it, so the host can account
/// for every round.
const GROWTH: &str = include_str!("wat/growth.wat");

/// What one grower did: each successful grow's (old size, delta).
type Grows = Vec<(u64, u64)>;

#[test]
fn concurrent_grows_chain_exactly_and_accesses_never_miss_them() {
    // Several rounds, each on a fresh memory: the interleavings differ.
    let module = Module::new(&threads_engine(), GROWTH).expect("compiles");
    for _ in 0..4 {
        grow_while_chasing(&module);
    }
}

/// One round: chasers inside long calls, growers, and a prober at the
/// edge, over a fresh memory; then the exact accounting.
fn grow_while_chasing(module: &Module) {
    const CHASERS: usize = 2;
    let memory =
        SharedMemory::new(module.engine(), MemoryType::shared(1, MAX_PAGES)).expect("memory");

    let chasers: Vec<_> = (0..CHASERS)
        .map(|_| {
            let (module, memory) = (module.clone(), memory.clone());
            std::thread::spawn(move || {
                let (mut store, i) = instantiate(&module, &memory);
                let rounds = i
                    .get_typed_func::<(), i32>(&mut store, "chase")
                    .expect("typed")
                    .call(&mut store, ())
                    .expect("no access to a page memory.size reported may trap");
                (rounds as u64, store, i)
            })
        })
        .collect();
    // Wait for the chasers to be inside their long call, so that their
    // cached lengths are the initial one.
    let deadline = Instant::now() + HANG;
    while read_u32(&memory, 8) < CHASERS as u32 {
        assert!(Instant::now() < deadline, "chasers never started");
        std::thread::yield_now();
    }

    // Growers: two in wasm (deltas 1 and 3), one through the host API
    // (delta 2). Each grows until refused, pausing between grows so the
    // chasers see many sizes.
    let growers: Vec<_> = [(1u64, true), (3, true), (2, false)]
        .into_iter()
        .map(|(delta, in_wasm)| {
            let (module, memory) = (module.clone(), memory.clone());
            std::thread::spawn(move || -> Grows {
                let (mut store, i) = instantiate(&module, &memory);
                let grow = i
                    .get_typed_func::<i32, i32>(&mut store, "grow")
                    .expect("typed");
                let mut grows = Vec::new();
                loop {
                    let old = if in_wasm {
                        match grow.call(&mut store, delta as i32).expect("grow runs") {
                            -1 => None,
                            old => Some(old as u64),
                        }
                    } else {
                        memory.grow(delta).ok()
                    };
                    match old {
                        Some(old) => grows.push((old, delta)),
                        None => break,
                    }
                    std::thread::sleep(Duration::from_micros(300));
                }
                grows
            })
        })
        .collect();

    // A prober checks the edge while it moves: an access at the size it
    // just read either traps "out of bounds" or, if it succeeded, the
    // memory must have grown past that size in between.
    let prober = {
        let (module, memory) = (module.clone(), memory.clone());
        std::thread::spawn(move || {
            let (mut store, i) = instantiate(&module, &memory);
            let load = i.get_typed_func::<i32, i32>(&mut store, "load").expect("t");
            let size = i.get_typed_func::<(), i32>(&mut store, "size").expect("t");
            let (mut trapped, mut raced) = (0u32, 0u32);
            // At least once more after the growers stop, when the edge is
            // still: that probe must trap.
            loop {
                let stopped = read_u32(&memory, 4) != 0;
                let s = size.call(&mut store, ()).expect("size");
                match load.call(&mut store, s << 16) {
                    Err(e) => {
                        assert_eq!(
                            e.as_trap().map(|t| t.code()),
                            Some(TrapCode::MemoryOutOfBounds),
                            "{e}"
                        );
                        trapped += 1;
                    }
                    Ok(_) => {
                        assert!(
                            size.call(&mut store, ()).expect("size") > s,
                            "an access at {s} pages succeeded but the memory did not grow"
                        );
                        raced += 1;
                    }
                }
                if stopped {
                    break;
                }
            }
            (trapped, raced)
        })
    };

    let grows: Vec<Grows> = join_within(growers, || {
        format!("growers: memory at {} pages", memory.size())
    });
    memory
        .write(4, &1u32.to_le_bytes())
        .expect("stop the prober");
    memory
        .write(0, &1u32.to_le_bytes())
        .expect("stop the chasers");
    let chased = join_within(chasers, || "chasers".to_owned());
    let (trapped, raced) = join_within(vec![prober], || "prober".to_owned())[0];
    assert!(
        trapped > 0,
        "the prober's last probe, past the still edge, trapped"
    );

    // The grows chain: sorted by old size, each starts where the previous
    // ended, from the initial page to the final size, with no old size
    // returned twice.
    let mut all: Grows = grows.into_iter().flatten().collect();
    all.sort_unstable();
    let mut expected_old = 1;
    for &(old, delta) in &all {
        assert_eq!(old, expected_old, "grows overlapped or left a gap: {all:?}");
        expected_old = old + delta;
    }
    let final_size = memory.size();
    assert_eq!(
        final_size, expected_old,
        "final = initial + successful deltas"
    );
    // The delta-1 grower stops only when refused, which is at the maximum.
    assert_eq!(final_size, u64::from(MAX_PAGES));

    // Every chase round landed on the last word of some size it saw.
    let rounds: u64 = chased.iter().map(|(r, _, _)| r).sum();
    let landed: u64 = (1..=final_size)
        .map(|p| u64::from(read_u32(&memory, (p as usize) * 65536 - 4)))
        .sum();
    assert_eq!(landed, rounds, "increments on last words vs chase rounds");
    eprintln!(
        "growth: {} grows, {rounds} chase rounds, probes past the end: \
         {trapped} trapped, {raced} raced a grow",
        all.len()
    );

    // Once still, the edge is exact on every chaser's instance: the last
    // word is in bounds, the next one traps cleanly.
    for (_, mut store, i) in chased {
        let end = (final_size as i32) << 16;
        for name in ["load", "atomic_load"] {
            let f = i.get_typed_func::<i32, i32>(&mut store, name).expect("t");
            f.call(&mut store, end - 4).expect("last word in bounds");
            let e = f.call(&mut store, end).expect_err("just past the end");
            assert_eq!(
                e.as_trap().map(|t| t.code()),
                Some(TrapCode::MemoryOutOfBounds),
                "{name}: {e}"
            );
        }
    }
}
