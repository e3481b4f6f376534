//! loom models of waits with an epoch deadline: an increment racing the
//! wait's watch, an epoch stop racing a notify, a poke that the waiter
//! answers with `Continue` before a notify, and a deadline moved by the
//! callback while the epoch keeps ticking.
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
use weft_loom_tests::{assert_outcomes, check, counted_once};

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

/// A wait on `KEY` while the word is 0, with its deadline at epoch 1 and
/// `decide(call number, from 1; the epoch)` as the deadline's callback;
/// returns the result and how often the callback ran.
fn waiter_deciding(
    s: &StdArc<Shared>,
    mut decide: impl FnMut(u32, &Epoch) -> DeadlineReached + Send + 'static,
) -> thread::JoinHandle<(WaitResult, u32)> {
    let s = StdArc::clone(s);
    thread::spawn(move || {
        let mut calls = 0;
        let mut on_reached = || {
            calls += 1;
            decide(calls, &s.epoch)
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

/// [`waiter_deciding`] whose callback always answers `decision`.
fn waiter(s: &StdArc<Shared>, decision: DeadlineReached) -> thread::JoinHandle<(WaitResult, u32)> {
    waiter_deciding(s, move |_, _| decision)
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
            format!("{result:?}")
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
        assert_eq!(s.queues.notify(KEY, 1), 0);
        counted_once(result, woken)
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
            format!("{result:?}/woke-{woken}/calls-{calls}")
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

/// (4) The callback moves the deadline from epoch 1 to 2 while a ticker
/// increments twice: the callback runs once per deadline reached, never
/// for a deadline not yet reached (a poke left over from the first
/// deadline is forgotten), and the second ends the wait.
#[test]
fn a_moved_deadline_is_reported_once_and_only_when_reached() {
    let outcomes = check(
        "a_moved_deadline_is_reported_once_and_only_when_reached",
        || {
            let s = shared();
            let waiter = waiter_deciding(&s, |call, epoch| {
                let deadline = u64::from(call);
                assert!(
                    epoch.current() >= deadline,
                    "the callback ran before its deadline"
                );
                if call == 1 {
                    DeadlineReached::Continue(2)
                } else {
                    DeadlineReached::Stop
                }
            });
            s.epoch.increment();
            s.epoch.increment();
            let (result, calls) = waiter.join().expect("waiter");
            assert_eq!((result, calls), (WaitResult::Interrupted, 2));
            assert_eq!(s.queues.notify(KEY, 1), 0);
            format!("{result:?}")
        },
    );
    assert_outcomes(&outcomes, &["Interrupted"]);
}
