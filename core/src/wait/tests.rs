//! Wait/notify on real threads.

use std::sync::atomic::AtomicU32 as StdAtomicU32;
use std::thread;
use std::time::{Duration, Instant};

use super::*;
use crate::memory::{MemoryLimits, ReservationPolicy, SharedMemory};

/// A one-page shared memory for the threaded wait tests (also those of
/// `interrupt_tests` and `epoch_tests`).
pub(super) fn memory() -> SharedMemory {
    let limits = MemoryLimits {
        minimum: 1,
        maximum: Some(1),
        shared: true,
    };
    SharedMemory::new(limits, ReservationPolicy::default()).expect("shared memory")
}

/// Waits (yielding, bounded) until `done()`; `what` names it in the
/// failure.
pub(super) fn until(what: &str, done: impl Fn() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(20), "never {what}");
        thread::yield_now();
    }
}

impl WaitQueues {
    /// How many waiters on `key` are queued now.
    fn queued(&self, key: u64) -> usize {
        let queue = sync::lock(&self.bucket(key).queue);
        queue.iter().filter(|entry| entry.key == key).count()
    }
}

/// Waits (yielding, bounded) until `n` waiters are queued on `key`.
fn until_queued(queues: &WaitQueues, key: u64, n: usize) {
    let start = Instant::now();
    while queues.queued(key) < n {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "waiters never queued"
        );
        thread::yield_now();
    }
}

fn queues_of(memory: &SharedMemory) -> &WaitQueues {
    memory.queues()
}

#[test]
fn wait_returns_not_equal_without_waiting() {
    let memory = memory();
    memory.store_u32(0, 1).expect("store");
    assert_eq!(memory.wait32(0, 0, -1), Ok(WaitResult::NotEqual));
    memory.store_u64(8, 5).expect("store");
    assert_eq!(memory.wait64(8, 4, i64::MAX), Ok(WaitResult::NotEqual));
    assert_eq!(queues_of(&memory).queued(0), 0);
    assert_eq!(memory.notify(0, u32::MAX), Ok(0));
}

#[test]
fn zero_and_short_timeouts_time_out() {
    let memory = memory();
    assert_eq!(memory.wait32(0, 0, 0), Ok(WaitResult::TimedOut));
    let start = Instant::now();
    assert_eq!(memory.wait64(8, 0, 5_000_000), Ok(WaitResult::TimedOut));
    assert!(start.elapsed() >= Duration::from_millis(5));
    // The timed-out waiters left the queue and the count.
    assert_eq!(queues_of(&memory).queued(0), 0);
    assert_eq!(memory.notify(0, 1), Ok(0));
    assert_eq!(memory.notify(8, 1), Ok(0));
}

#[test]
fn unrepresentable_deadlines_mean_forever() {
    assert!(deadline_after(-1).is_none());
    assert!(deadline_after(i64::MIN).is_none());
    assert!(deadline_after(0).is_some());
    // 292 years: representable or not, computing it must not panic.
    let _ = deadline_after(i64::MAX);
}

#[test]
fn negative_and_huge_timeouts_wait_for_notify() {
    for timeout in [-1, i64::MIN, i64::MAX] {
        let memory = memory();
        let waiters: Vec<_> = [(8, false), (16, true)]
            .into_iter()
            .map(|(addr, wide)| {
                let memory = memory.clone();
                thread::spawn(move || {
                    if wide {
                        memory.wait64(addr, 0, timeout)
                    } else {
                        memory.wait32(addr, 0, timeout)
                    }
                })
            })
            .collect();
        until_queued(queues_of(&memory), 8, 1);
        until_queued(queues_of(&memory), 16, 1);
        assert_eq!(memory.notify(8, 1), Ok(1));
        assert_eq!(memory.notify(16, 1), Ok(1));
        for waiter in waiters {
            assert_eq!(waiter.join().expect("waiter"), Ok(WaitResult::Ok));
        }
    }
}

#[test]
fn notify_wakes_exactly_count_oldest_first() {
    let n = if cfg!(miri) { 3 } else { 6 };
    let memory = memory();
    let order = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut waiters = Vec::new();
    for id in 0..n {
        let waiter_memory = memory.clone();
        let order = order.clone();
        waiters.push(thread::spawn(move || {
            let result = waiter_memory.wait32(16, 0, -1);
            order.lock().expect("order").push(id);
            result
        }));
        // Queue them one by one so the FIFO order is known.
        until_queued(queues_of(&memory), 16, id + 1);
    }
    // Another address in the same memory is not woken.
    assert_eq!(memory.notify(20, u32::MAX), Ok(0));
    assert_eq!(memory.notify(16, 0), Ok(0));
    assert_eq!(memory.notify(16, 2), Ok(2));
    until_queued(queues_of(&memory), 16, n - 2);
    let woken_first = loop {
        let order = order.lock().expect("order").clone();
        if order.len() == 2 {
            break order;
        }
        thread::yield_now();
    };
    let mut woken_first = woken_first;
    woken_first.sort_unstable();
    assert_eq!(woken_first, vec![0, 1]);
    assert_eq!(memory.notify(16, u32::MAX), Ok(n as u32 - 2));
    for waiter in waiters {
        assert_eq!(waiter.join().expect("waiter"), Ok(WaitResult::Ok));
    }
    assert_eq!(memory.notify(16, u32::MAX), Ok(0));
}

#[test]
fn handoff_chain_over_many_rounds() {
    // Two threads pass a token back and forth through one word: each waits
    // while the word is not its turn, then flips it and notifies.
    let rounds: u32 = if cfg!(miri) { 20 } else { 2000 };
    let memory = memory();
    let player = |me: u32, memory: SharedMemory| {
        move || {
            let mut woken = 0;
            for round in 0..rounds {
                let turn = round * 2 + me;
                loop {
                    let now = memory.load_u32(0).expect("load");
                    if now == turn {
                        break;
                    }
                    if memory.wait32(0, now, -1).expect("wait") == WaitResult::Ok {
                        woken += 1;
                    }
                }
                memory.store_u32(0, turn + 1).expect("store");
                memory.notify(0, 1).expect("notify");
            }
            woken
        }
    };
    let a = thread::spawn(player(0, memory.clone()));
    let b = thread::spawn(player(1, memory.clone()));
    a.join().expect("a");
    b.join().expect("b");
    assert_eq!(memory.load_u32(0), Ok(rounds * 2));
    assert_eq!(queues_of(&memory).queued(0), 0);
}

#[test]
fn timeouts_racing_notify_are_counted_once() {
    let rounds = if cfg!(miri) { 5 } else { 300 };
    let memory = memory();
    let mut notified = 0;
    let mut ok = 0;
    for round in 0..rounds {
        let waiter = {
            let memory = memory.clone();
            thread::spawn(move || memory.wait32(0, 0, (round % 7) * 20_000))
        };
        if round % 2 == 0 {
            thread::yield_now();
        }
        notified += memory.notify(0, 1).expect("notify");
        match waiter.join().expect("waiter").expect("wait") {
            WaitResult::Ok => ok += 1,
            WaitResult::TimedOut => {}
            other @ (WaitResult::NotEqual | WaitResult::Interrupted) => {
                panic!("the word never changes, nothing interrupts: {other:?}")
            }
        }
    }
    assert_eq!(notified, ok);
    assert_eq!(queues_of(&memory).queued(0), 0);
    assert_eq!(memory.notify(0, u32::MAX), Ok(0));
}

#[test]
fn expire_wakes_a_parked_waiter_unless_notified() {
    let queues = std::sync::Arc::new(WaitQueues::with_buckets(1));
    let parker = Arc::new(Parker::new());
    let word = std::sync::Arc::new(StdAtomicU32::new(0));
    let waiter = {
        let (queues, parker, word) = (queues.clone(), parker.clone(), word.clone());
        thread::spawn(move || {
            queues.wait_with_parker(
                4,
                || word.load(std::sync::atomic::Ordering::SeqCst) == 0,
                &parker,
            )
        })
    };
    until_queued(&queues, 4, 1);
    parker.expire();
    assert!(parker.is_expired());
    assert_eq!(waiter.join().expect("waiter"), WaitResult::TimedOut);
    assert_eq!(queues.notify(4, 1), 0);
    // An expired parker stays expired: the next wait times out at once.
    assert_eq!(
        queues.wait_with_parker(4, || true, &parker),
        WaitResult::TimedOut
    );
    assert_eq!(
        queues.wait_with_parker(4, || false, &parker),
        WaitResult::NotEqual
    );
}

#[test]
fn many_keys_share_few_buckets() {
    let queues = std::sync::Arc::new(WaitQueues::with_buckets(2));
    let keys = [0u64, 4, 8, 12];
    let waiters: Vec<_> = keys
        .iter()
        .map(|&key| {
            let queues = queues.clone();
            thread::spawn(move || queues.wait(key, || true, None))
        })
        .collect();
    for key in keys {
        until_queued(&queues, key, 1);
    }
    for key in keys {
        assert_eq!(queues.notify(key, u32::MAX), 1);
    }
    for waiter in waiters {
        assert_eq!(waiter.join().expect("waiter"), WaitResult::Ok);
    }
    assert_eq!(WaitResult::Ok as u32, 0);
    assert_eq!(WaitResult::NotEqual as u32, 1);
    assert_eq!(WaitResult::TimedOut as u32, 2);
}
