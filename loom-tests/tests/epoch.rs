//! loom models of waits with an epoch deadline: an increment racing the
//! wait's watch, an epoch stop racing a notify, and a poke that the waiter
//! answers with `Continue` before a notify.
//!
//! A waiter that sleeps through a reached deadline shows up as a loom
//! deadlock (nothing else would wake it), a waiter counted twice or not at
//! all as a failed assertion.

#![cfg(loom)]

use loom::sync::atomic::AtomicU32;
use loom::thread;
use std::sync::Arc as StdArc;
use weft_core::sync::Arc;
use weft_core::sync::atomic::Ordering::SeqCst;
use weft_core::wait::{
    DeadlineReached, Epoch, EpochWatch, Parker, WaitEnds, WaitQueues, WaitResult,
};
use weft_loom_tests::{assert_outcomes, check};

const KEY: u64 = 8;

/// What one model shares between its threads; std `Arc` around it (see
/// `wait_notify.rs`: a failing model must not abort the binary, loom #291).
struct Shared {
    queues: WaitQueues,
    epoch: Epoch,
    /// The word waited on: 0 until the notifier stores 1.
    word: AtomicU32,
}

fn shared() -> StdArc<Shared> {
    StdArc::new(Shared {
        queues: WaitQueues::with_buckets(1),
        epoch: Epoch::new(),
        word: AtomicU32::new(0),
    })
}

fn label(result: WaitResult) -> &'static str {
    match result {
        WaitResult::Ok => "Ok",
        WaitResult::NotEqual => "NotEqual",
        WaitResult::TimedOut => "TimedOut",
        WaitResult::Interrupted => "Interrupted",
    }
}

/// A wait on `KEY` while the word is 0, with its deadline at epoch 1 and
/// `decide` as the deadline's callback; returns the result and how often
/// the callback ran.
fn waiter(s: &StdArc<Shared>, decide: DeadlineReached) -> thread::JoinHandle<(WaitResult, u32)> {
    let s = StdArc::clone(s);
    thread::spawn(move || {
        let mut calls = 0;
        let mut on_reached = || {
            calls += 1;
            decide
        };
        let ends = WaitEnds {
            interrupt: None,
            epoch: Some(EpochWatch {
                epoch: &s.epoch,
                deadline: 1,
                on_reached: &mut on_reached,
            }),
        };
        let parker = Arc::new(Parker::new());
        let equal = || s.word.load(SeqCst) == 0;
        let result = s.queues.wait_with_ends(KEY, equal, &parker, ends);
        assert_eq!(s.epoch.watching(), 0, "a finished wait still watches");
        (result, calls)
    })
}

/// (1) An increment reaching the deadline, racing the wait's watch (before
/// it, during it, after it): the waiter never sleeps past the deadline (no
/// notify ever comes, so a missed poke is a deadlock), asks its callback
/// exactly once and leaves the queue. Catches the Dekker pair without its
/// fences (`broken-epoch-no-fence`).
#[test]
fn an_increment_racing_the_watch_is_never_slept_through() {
    let outcomes = check(
        "an_increment_racing_the_watch_is_never_slept_through",
        || {
            let s = shared();
            let waiter = waiter(&s, DeadlineReached::Stop);
            s.epoch.increment();
            let (result, calls) = waiter.join().expect("waiter");
            assert_eq!((result, calls), (WaitResult::Interrupted, 1));
            assert_eq!(s.queues.notify(KEY, 1), 0, "a stopped waiter stayed queued");
            label(result).to_owned()
        },
    );
    assert_outcomes(&outcomes, &["Interrupted"]);
}

/// (2) An epoch stop racing a notify: the waiter is removed by exactly one
/// of them, and notify counted it exactly when it returns `Ok`.
#[test]
fn an_epoch_stop_racing_notify_is_counted_once() {
    let outcomes = check("an_epoch_stop_racing_notify_is_counted_once", || {
        let s = shared();
        let waiter = waiter(&s, DeadlineReached::Stop);
        let ticker = {
            let s = StdArc::clone(&s);
            thread::spawn(move || s.epoch.increment())
        };
        let woken = s.queues.notify(KEY, 1);
        ticker.join().expect("ticker");
        let (result, _) = waiter.join().expect("waiter");
        match (result, woken) {
            (WaitResult::Ok, 1) | (WaitResult::Interrupted, 0) => {}
            other => panic!("counted twice or not at all: {other:?}"),
        }
        assert_eq!(s.queues.notify(KEY, 1), 0);
        format!("{}/woke-{woken}", label(result))
    });
    assert_outcomes(&outcomes, &["Interrupted/woke-0", "Ok/woke-1"]);
}

/// (3) A poke answered with `Continue` (a deadline far away), then the
/// program's `store; notify`: the waiter stayed queued through the
/// callback, so it is woken `Ok` and counted once (never a spurious
/// `NotEqual` after the callback, never lost); `NotEqual` only when the
/// store came before its compare, and then without any callback.
#[test]
fn a_poke_then_continue_then_notify_wakes_the_waiter_once() {
    let outcomes = check(
        "a_poke_then_continue_then_notify_wakes_the_waiter_once",
        || {
            let s = shared();
            let waiter = waiter(&s, DeadlineReached::Continue(u64::MAX));
            s.epoch.increment();
            s.word.store(1, SeqCst);
            let woken = s.queues.notify(KEY, 1);
            let (result, calls) = waiter.join().expect("waiter");
            match (result, woken, calls) {
                (WaitResult::Ok, 1, 0 | 1) | (WaitResult::NotEqual, 0, 0) => {}
                other => panic!("a continued waiter was not woken once: {other:?}"),
            }
            format!("{}/woke-{woken}/calls-{calls}", label(result))
        },
    );
    assert_outcomes(
        &outcomes,
        &[
            "NotEqual/woke-0/calls-0",
            "Ok/woke-1/calls-0",
            "Ok/woke-1/calls-1",
        ],
    );
}
