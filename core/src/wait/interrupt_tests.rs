//! Interruptible waits on real threads (also run under Miri by
//! `ci/miri.sh`, through its `wait::` filter).

use std::sync::Arc as StdArc;
use std::thread;
use std::time::{Duration, Instant};

use super::tests::memory;
use super::*;

/// Waits (yielding, bounded) until `n` waits are registered with `interrupt`.
fn until_registered(interrupt: &Interrupt, n: usize) {
    let start = Instant::now();
    while interrupt.registered() < n {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "waiters never registered"
        );
        thread::yield_now();
    }
}

#[test]
fn interrupt_before_the_wait_returns_at_once_without_queueing() {
    let memory = memory();
    let interrupt = Interrupt::new();
    interrupt.interrupt();
    interrupt.interrupt(); // idempotent
    assert!(interrupt.is_interrupted());
    assert_eq!(
        memory.wait32_with_ends(0, 0, -1, WaitEnds::by_interrupt(&interrupt)),
        Ok(WaitResult::Interrupted)
    );
    assert_eq!(
        memory.wait64_with_ends(8, 0, -1, WaitEnds::by_interrupt(&interrupt)),
        Ok(WaitResult::Interrupted)
    );
    assert_eq!(interrupt.registered(), 0);
    assert_eq!(memory.notify(0, u32::MAX), Ok(0));
    // Bad addresses are still reported as such, interrupted or not.
    assert!(
        memory
            .wait32_with_ends(2, 0, -1, WaitEnds::by_interrupt(&interrupt))
            .is_err()
    );
    assert!(
        memory
            .wait64_with_ends(1 << 20, 0, -1, WaitEnds::by_interrupt(&interrupt))
            .is_err()
    );
}

#[test]
fn not_interrupted_waits_behave_as_plain_waits() {
    let memory = memory();
    let interrupt = Interrupt::new();
    memory.store_u32(0, 3).expect("store");
    assert_eq!(
        memory.wait32_with_ends(0, 0, -1, WaitEnds::by_interrupt(&interrupt)),
        Ok(WaitResult::NotEqual)
    );
    assert_eq!(
        memory.wait64_with_ends(8, 0, 1_000, WaitEnds::by_interrupt(&interrupt)),
        Ok(WaitResult::TimedOut)
    );
    assert_eq!(interrupt.registered(), 0);
    assert!(!interrupt.is_interrupted());
}

#[test]
fn interrupt_wakes_a_group_of_infinite_waits() {
    let n = if cfg!(miri) { 2 } else { 4 };
    let memory = memory();
    let interrupt = StdArc::new(Interrupt::new());
    let waiters: Vec<_> = (0..n)
        .map(|i| {
            let (memory, interrupt) = (memory.clone(), StdArc::clone(&interrupt));
            thread::spawn(move || {
                memory.wait32_with_ends(4 * i, 0, -1, WaitEnds::by_interrupt(&interrupt))
            })
        })
        .collect();
    until_registered(&interrupt, n as usize);
    interrupt.interrupt();
    for waiter in waiters {
        assert_eq!(waiter.join().expect("waiter"), Ok(WaitResult::Interrupted));
    }
    // Every waiter left its queue and its count: nothing left to wake.
    for i in 0..n {
        assert_eq!(memory.notify(4 * i, u32::MAX), Ok(0));
    }
    assert_eq!(interrupt.registered(), 0);
}

#[test]
fn interrupt_racing_notify_is_counted_once() {
    let rounds = if cfg!(miri) { 4 } else { 200 };
    let memory = memory();
    let mut notified = 0;
    let mut ok = 0;
    for round in 0..rounds {
        let interrupt = StdArc::new(Interrupt::new());
        let waiter = {
            let (memory, interrupt) = (memory.clone(), StdArc::clone(&interrupt));
            thread::spawn(move || {
                memory.wait32_with_ends(0, 0, -1, WaitEnds::by_interrupt(&interrupt))
            })
        };
        if round % 2 == 0 {
            thread::yield_now();
        }
        notified += memory.notify(0, 1).expect("notify");
        interrupt.interrupt();
        match waiter.join().expect("waiter").expect("wait") {
            WaitResult::Ok => ok += 1,
            WaitResult::Interrupted => {}
            other => panic!("neither woken nor interrupted: {other:?}"),
        }
    }
    assert_eq!(notified, ok);
    assert_eq!(memory.notify(0, u32::MAX), Ok(0));
}

#[test]
fn other_groups_are_not_interrupted() {
    let memory = memory();
    let ours = StdArc::new(Interrupt::new());
    let theirs = Interrupt::new();
    let waiter = {
        let (memory, ours) = (memory.clone(), StdArc::clone(&ours));
        thread::spawn(move || memory.wait32_with_ends(0, 0, -1, WaitEnds::by_interrupt(&ours)))
    };
    until_registered(&ours, 1);
    theirs.interrupt();
    assert!(!ours.is_interrupted());
    // Still waiting: only a notify (or our interrupt) ends it.
    let start = Instant::now();
    while memory.notify(0, 1) == Ok(0) {
        assert!(start.elapsed() < Duration::from_secs(20), "never queued");
        thread::yield_now();
    }
    assert_eq!(waiter.join().expect("waiter"), Ok(WaitResult::Ok));
}

#[test]
fn a_cancelled_parker_stays_cancelled() {
    let queues = WaitQueues::with_buckets(1);
    let parker = Arc::new(Parker::new());
    parker.cancel();
    assert!(parker.is_cancelled());
    assert_eq!(
        queues.wait_with_parker(0, || true, &parker),
        WaitResult::Interrupted
    );
    // Expired too: the cancel wins.
    parker.expire();
    assert_eq!(
        queues.wait_with_parker(0, || true, &parker),
        WaitResult::Interrupted
    );
    assert_eq!(queues.notify(0, 1), 0);
}
