//! Waits with an epoch deadline on real threads (also run under Miri by
//! `ci/miri.sh`, through its `wait::` filter).

use std::sync::Arc as StdArc;
use std::sync::atomic::{AtomicU32, Ordering as StdOrdering};
use std::thread;

use super::tests::{memory, until};
use super::*;
use crate::memory::SharedMemory;

/// An infinite wait on word 0 with `deadline`, on its own thread, whose
/// callback answers with `decide(call number)`; returns the result, and
/// the count of the callback's calls (shared, for watching it from here).
fn watched_waiter(
    memory: &SharedMemory,
    epoch: &StdArc<Epoch>,
    deadline: u64,
    decide: fn(u32, &Epoch) -> DeadlineReached,
) -> (thread::JoinHandle<(WaitResult, u32)>, StdArc<AtomicU32>) {
    let calls = StdArc::new(AtomicU32::new(0));
    let (memory, epoch) = (memory.clone(), StdArc::clone(epoch));
    let counted = StdArc::clone(&calls);
    let waiter = thread::spawn(move || {
        let mut on_reached = || decide(counted.fetch_add(1, StdOrdering::SeqCst), &epoch);
        let ends = WaitEnds {
            interrupt: None,
            epoch: Some(EpochWatch {
                epoch: &epoch,
                deadline,
                on_reached: &mut on_reached,
            }),
        };
        let result = memory.wait32_with_ends(0, 0, -1, ends).expect("wait");
        (result, counted.load(StdOrdering::SeqCst))
    });
    (waiter, calls)
}

#[test]
fn an_increment_reaching_the_deadline_stops_an_infinite_wait() {
    let memory = memory();
    let epoch = StdArc::new(Epoch::new());
    let (waiter, _) = watched_waiter(&memory, &epoch, 2, |_, _| DeadlineReached::Stop);
    until("watched", || epoch.watching() == 1);
    epoch.increment();
    epoch.increment();
    assert_eq!(waiter.join().expect("waiter"), (WaitResult::Interrupted, 1));
    assert_eq!(epoch.watching(), 0);
    assert_eq!(
        memory.notify(0, 1),
        Ok(0),
        "the stopped waiter stayed queued"
    );
}

#[test]
fn a_deadline_already_reached_does_not_sleep() {
    let memory = memory();
    let epoch = StdArc::new(Epoch::new());
    epoch.increment();
    // Nobody increments or notifies again: only the watch's own re-read of
    // the epoch can end this wait.
    let (waiter, _) = watched_waiter(&memory, &epoch, 1, |_, _| DeadlineReached::Stop);
    assert_eq!(waiter.join().expect("waiter"), (WaitResult::Interrupted, 1));
}

#[test]
fn a_not_equal_word_returns_before_any_deadline_decision() {
    let memory = memory();
    let epoch = StdArc::new(Epoch::new());
    memory.store_u32(0, 7).expect("store");
    let (waiter, _) = watched_waiter(&memory, &epoch, 0, |_, _| DeadlineReached::Stop);
    assert_eq!(waiter.join().expect("waiter"), (WaitResult::NotEqual, 0));
    assert_eq!(epoch.watching(), 0);
}

#[test]
fn continue_keeps_the_waiter_queued_for_a_later_notify() {
    let memory = memory();
    let epoch = StdArc::new(Epoch::new());
    // The first call extends the deadline far away; a second call would
    // mean a poke for the old deadline was not forgotten.
    let (waiter, calls) = watched_waiter(&memory, &epoch, 1, |call, epoch| match call {
        0 => DeadlineReached::Continue(epoch.current() + 1_000),
        _ => DeadlineReached::Stop,
    });
    until("watched", || epoch.watching() == 1);
    epoch.increment();
    until("called back", || calls.load(StdOrdering::SeqCst) > 0);
    for _ in 0..3 {
        epoch.increment();
    }
    // Still queued through the callback: a notify finds and counts it.
    assert_eq!(memory.notify(0, 1), Ok(1));
    assert_eq!(waiter.join().expect("waiter"), (WaitResult::Ok, 1));
}

#[test]
fn a_stop_racing_notify_is_counted_once() {
    let rounds = if cfg!(miri) { 4 } else { 200 };
    let memory = memory();
    let (mut notified, mut ok) = (0, 0);
    for round in 0..rounds {
        let epoch = StdArc::new(Epoch::new());
        let (waiter, _) = watched_waiter(&memory, &epoch, 1, |_, _| DeadlineReached::Stop);
        if round % 2 == 0 {
            until("watched", || epoch.watching() == 1);
        }
        epoch.increment();
        notified += memory.notify(0, 1).expect("notify");
        match waiter.join().expect("waiter").0 {
            WaitResult::Ok => ok += 1,
            WaitResult::Interrupted => {}
            other => panic!("neither woken nor stopped: {other:?}"),
        }
    }
    assert_eq!(notified, ok);
    assert_eq!(memory.notify(0, u32::MAX), Ok(0));
}

#[test]
fn increments_with_no_waiters_touch_nothing_but_the_counter() {
    let epoch = Epoch::new();
    for _ in 0..5 {
        epoch.increment();
    }
    assert_eq!(epoch.current(), 5);
    assert_eq!(epoch.watching(), 0);
    // SAFETY: the pointer is to the live counter, read while no thread
    // writes it.
    assert_eq!(unsafe { epoch.counter_ptr().read() }, 5);
}
