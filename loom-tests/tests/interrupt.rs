//! loom models of cancellable waits: an [`Interrupt`] racing the wait's
//! start, a notify, a timeout, and a group of waiters.
//!
//! As in `wait_notify.rs`, timeouts are `Parker::expire` from a model
//! thread; a waiter that sleeps through an interrupt shows up as a loom
//! deadlock, a waiter counted twice as a failed assertion.

#![cfg(loom)]

use loom::sync::atomic::AtomicBool;
use loom::thread;
use std::sync::Arc as StdArc;
use weft_core::sync::Arc;
use weft_core::sync::atomic::Ordering::SeqCst;
use weft_core::wait::{Interrupt, Parker, WaitQueues, WaitResult};
use weft_loom_tests::{assert_outcomes, check, counted_once};

const KEY: u64 = 8;

/// What one model shares between its threads; std `Arc` around it (see
/// `wait_notify.rs`: a failing model must not abort the binary, loom #291).
struct Shared {
    queues: WaitQueues,
    interrupt: Interrupt,
}

fn shared() -> StdArc<Shared> {
    StdArc::new(Shared {
        queues: WaitQueues::with_buckets(1),
        interrupt: Interrupt::new(),
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

/// A wait on `KEY` under the shared interrupt that records whether it got
/// as far as the compare (i.e. started queueing).
fn waiter(s: &StdArc<Shared>, parker: Arc<Parker>) -> thread::JoinHandle<(WaitResult, bool)> {
    let s = StdArc::clone(s);
    thread::spawn(move || {
        let started = AtomicBool::new(false);
        let equal = || {
            started.store(true, SeqCst);
            true
        };
        let result = s
            .queues
            .wait_interruptible(KEY, equal, &parker, &s.interrupt);
        (result, started.load(SeqCst))
    })
}

/// (1) An interrupt before, during or after the wait's start: the waiter
/// never sleeps through it (no notify ever comes, so a missed interrupt is
/// a deadlock) and returns `Interrupted`, either without queueing (the
/// interrupt came first) or from the queue. Catches the flag read outside
/// the interrupt lock (`broken-unlocked-interrupt-check`).
#[test]
fn interrupt_before_or_during_the_wait_is_never_missed() {
    let outcomes = check(
        "interrupt_before_or_during_the_wait_is_never_missed",
        || {
            let s = shared();
            let waiter = waiter(&s, Arc::new(Parker::new()));
            s.interrupt.interrupt();
            let (result, started) = waiter.join().expect("waiter");
            assert_eq!(result, WaitResult::Interrupted);
            assert_eq!(
                s.queues.notify(KEY, 1),
                0,
                "an interrupted waiter stayed queued"
            );
            assert_eq!(s.interrupt.registered(), 0);
            if started {
                "Interrupted/queued"
            } else {
                "Interrupted/never-queued"
            }
            .to_owned()
        },
    );
    assert_outcomes(
        &outcomes,
        &["Interrupted/never-queued", "Interrupted/queued"],
    );
}

/// (2) An interrupt racing a notify: the waiter is removed by exactly one
/// of them, and notify counted it exactly when it returns `Ok`. Catches the
/// cancel path without its status re-check (`broken-cancel-no-recheck`).
#[test]
fn interrupt_racing_notify_is_counted_once() {
    let outcomes = check("interrupt_racing_notify_is_counted_once", || {
        let s = shared();
        let waiter = waiter(&s, Arc::new(Parker::new()));
        let interrupter = {
            let s = StdArc::clone(&s);
            thread::spawn(move || s.interrupt.interrupt())
        };
        let woken = s.queues.notify(KEY, 1);
        interrupter.join().expect("interrupter");
        let (result, _) = waiter.join().expect("waiter");
        assert_eq!(s.queues.notify(KEY, 1), 0);
        counted_once(result, woken)
    });
    assert_outcomes(&outcomes, &["Interrupted/woke-0", "Ok/woke-1"]);
}

/// (3) An interrupt racing the wait's timeout: the waiter itself is the
/// one remover either way; it returns `TimedOut` or `Interrupted` (never
/// `Ok`, nothing notifies), leaves the queue and its count balanced.
#[test]
fn interrupt_racing_a_timeout_removes_the_waiter_once() {
    let outcomes = check("interrupt_racing_a_timeout_removes_the_waiter_once", || {
        let s = shared();
        let parker = Arc::new(Parker::new());
        let waiter = waiter(&s, Arc::clone(&parker));
        let timer = thread::spawn(move || parker.expire());
        s.interrupt.interrupt();
        timer.join().expect("timer");
        let (result, _) = waiter.join().expect("waiter");
        assert!(
            matches!(result, WaitResult::TimedOut | WaitResult::Interrupted),
            "{result:?}"
        );
        // A later waiter is still found by notify: the count is balanced.
        let later = Arc::new(Parker::new());
        assert_eq!(s.queues.notify(KEY, 1), 0);
        later.expire();
        assert_eq!(
            s.queues.wait_with_parker(KEY, || true, &later),
            WaitResult::TimedOut
        );
        label(result).to_owned()
    });
    assert_outcomes(&outcomes, &["Interrupted", "TimedOut"]);
}

/// (4) One interrupt ends a group of two waits (on two keys of one
/// bucket), whichever stage each has reached; both leave the queue.
#[test]
fn group_interrupt_ends_every_wait() {
    let outcomes = check("group_interrupt_ends_every_wait", || {
        let s = shared();
        let waiters: Vec<_> = (0..2)
            .map(|_| waiter(&s, Arc::new(Parker::new())))
            .collect();
        s.interrupt.interrupt();
        let mut queued = 0;
        for w in waiters {
            let (result, started) = w.join().expect("waiter");
            assert_eq!(result, WaitResult::Interrupted);
            queued += usize::from(started);
        }
        assert_eq!(s.queues.notify(KEY, u32::MAX), 0);
        assert_eq!(s.interrupt.registered(), 0);
        format!("queued-{queued}")
    });
    assert_outcomes(&outcomes, &["queued-0", "queued-1", "queued-2"]);
}
