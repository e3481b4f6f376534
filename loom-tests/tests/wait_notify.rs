//! loom models of the wait/notify queues.
//!
//! The "word" is a loom atomic read by the waiter's `equal` closure (loom
//! cannot track words inside a byte buffer), and timeouts are driven with
//! `Parker::expire` from a model thread, so loom places them at every point
//! of the protocol. A waiter that sleeps forever shows up as a loom deadlock.

#![cfg(loom)]

use loom::sync::atomic::AtomicU32;
use loom::thread;
use std::sync::Arc as StdArc;
use std::sync::Mutex as StdMutex;
use weft_core::sync::Arc;
use weft_core::sync::atomic::Ordering::SeqCst;
use weft_core::wait::{Parker, WaitQueues, WaitResult};
use weft_loom_tests::{assert_outcomes, check};

const KEY: u64 = 8;

/// The state one model shares between its threads. std `Arc` around it:
/// its reference count is not under test, and a std `Arc` keeps a failing
/// model from aborting the whole test binary (loom #291).
struct Shared {
    queues: WaitQueues,
    word: AtomicU32,
}

fn shared(buckets: usize) -> StdArc<Shared> {
    StdArc::new(Shared {
        queues: WaitQueues::with_buckets(buckets),
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

/// (2) A waiter that compared equal before the store is woken by the
/// notify after it; one that compares after the store returns NotEqual.
/// Catches a missing fast-path fence on either side (the waiter then
/// sleeps forever: loom reports a deadlock).
#[test]
fn no_lost_wakeup_wait_vs_store_notify() {
    let outcomes = check("no_lost_wakeup_wait_vs_store_notify", || {
        let s = shared(1);
        let waiter = {
            let s = StdArc::clone(&s);
            thread::spawn(move || {
                let parker = Arc::new(Parker::new());
                s.queues
                    .wait_with_parker(KEY, || s.word.load(SeqCst) == 0, &parker)
            })
        };
        s.word.store(1, SeqCst);
        let woken = s.queues.notify(KEY, 1);
        let result = waiter.join().expect("waiter");
        match (result, woken) {
            (WaitResult::Ok, 1) | (WaitResult::NotEqual, 0) => {}
            other => panic!("waiter and notify disagree: {other:?}"),
        }
        format!("{}/woke-{woken}", label(result))
    });
    assert_outcomes(&outcomes, &["NotEqual/woke-0", "Ok/woke-1"]);
}

/// (3) Two waiters, `notify(1)` then `notify(2)`, then both time out: the
/// woken are exactly what the notifies returned, at most their counts, and
/// always the oldest queued (a prefix of the enqueue order: FIFO).
#[test]
fn notify_wakes_exactly_count_in_fifo_order() {
    let outcomes = check("notify_wakes_exactly_count_in_fifo_order", || {
        let s = shared(1);
        // Enqueue order, recorded by the compare closures, which run under
        // the bucket lock right before the enqueue.
        let order = StdArc::new(StdMutex::new(Vec::new()));
        let parkers: Vec<_> = (0..2).map(|_| Arc::new(Parker::new())).collect();
        let waiters: Vec<_> = (0..2)
            .map(|id| {
                let (s, order, parker) = (
                    StdArc::clone(&s),
                    StdArc::clone(&order),
                    Arc::clone(&parkers[id]),
                );
                thread::spawn(move || {
                    let equal = || {
                        order.lock().expect("order").push(id);
                        true
                    };
                    s.queues.wait_with_parker(KEY, equal, &parker)
                })
            })
            .collect();
        let first = s.queues.notify(KEY, 1);
        let second = s.queues.notify(KEY, 2);
        assert!(first <= 1 && second <= 2);
        for parker in &parkers {
            parker.expire();
        }
        let results: Vec<_> = waiters
            .into_iter()
            .map(|w| w.join().expect("waiter"))
            .collect();
        let order = order.lock().expect("order").clone();
        let ok: Vec<usize> = order
            .iter()
            .copied()
            .filter(|&id| results[id] == WaitResult::Ok)
            .collect();
        assert_eq!(
            ok.len() as u32,
            first + second,
            "woken vs notify counts: {results:?}"
        );
        assert_eq!(
            ok[..],
            order[..ok.len()],
            "woken are not the oldest: {order:?} {results:?}"
        );
        assert!(results.iter().all(|&r| r != WaitResult::NotEqual));
        format!("notify1-{first}/notify2-{second}")
    });
    assert_outcomes(
        &outcomes,
        &[
            "notify1-0/notify2-0",
            "notify1-0/notify2-1",
            "notify1-0/notify2-2",
            "notify1-1/notify2-0",
            "notify1-1/notify2-1",
        ],
    );
}

/// (4) A timeout firing at any point against a notify: the waiter returns
/// exactly one of TimedOut or Ok, and notify counted it exactly when Ok.
#[test]
fn timeout_racing_notify_is_counted_once() {
    let outcomes = check("timeout_racing_notify_is_counted_once", || {
        let s = shared(1);
        let parker = Arc::new(Parker::new());
        let waiter = {
            let (s, parker) = (StdArc::clone(&s), Arc::clone(&parker));
            thread::spawn(move || s.queues.wait_with_parker(KEY, || true, &parker))
        };
        let timer = {
            let parker = Arc::clone(&parker);
            thread::spawn(move || parker.expire())
        };
        let woken = s.queues.notify(KEY, 1);
        timer.join().expect("timer");
        let result = waiter.join().expect("waiter");
        match (result, woken) {
            (WaitResult::Ok, 1) | (WaitResult::TimedOut, 0) => {}
            other => panic!("counted twice or not at all: {other:?}"),
        }
        // Whoever won, the waiter left the queue: nothing more to wake.
        assert_eq!(s.queues.notify(KEY, 1), 0);
        label(result).to_owned()
    });
    assert_outcomes(&outcomes, &["Ok", "TimedOut"]);
}

/// (5) The no-waiter fast path over a two-round handoff: each side waits
/// for its turn, then stores the next turn and notifies. Many notifies find
/// no waiter and skip the lock; none may leave the other side asleep.
#[test]
fn handoff_never_sleeps_through_a_notify() {
    let outcomes = check("handoff_never_sleeps_through_a_notify", || {
        let s = shared(1);
        let player = |me: u32, s: StdArc<Shared>| {
            move || {
                let mut slept = 0;
                for round in 0..2 {
                    let turn = round * 2 + me;
                    loop {
                        let now = s.word.load(SeqCst);
                        if now == turn {
                            break;
                        }
                        let parker = Arc::new(Parker::new());
                        if s.queues
                            .wait_with_parker(KEY, || s.word.load(SeqCst) == now, &parker)
                            == WaitResult::Ok
                        {
                            slept += 1;
                        }
                    }
                    s.word.store(turn + 1, SeqCst);
                    s.queues.notify(KEY, 1);
                }
                slept
            }
        };
        let other = thread::spawn(player(1, StdArc::clone(&s)));
        let mine = player(0, StdArc::clone(&s))();
        let theirs = other.join().expect("player 1");
        assert_eq!(s.word.load(SeqCst), 4);
        format!("slept-{}", mine + theirs)
    });
    assert!(outcomes.contains_key("slept-0"), "{outcomes:?}");
    assert!(
        outcomes.keys().any(|k| k != "slept-0"),
        "no interleaving slept: {outcomes:?}"
    );
}

/// (6) A notify wakes only its own address, even when another address
/// shares the bucket.
#[test]
fn notify_wakes_only_its_address() {
    let outcomes = check("notify_wakes_only_its_address", || {
        let s = shared(1);
        let parkers: Vec<_> = (0..2).map(|_| Arc::new(Parker::new())).collect();
        let waiters: Vec<_> = [KEY, KEY + 4]
            .into_iter()
            .zip(&parkers)
            .map(|(key, parker)| {
                let (s, parker) = (StdArc::clone(&s), Arc::clone(parker));
                thread::spawn(move || s.queues.wait_with_parker(key, || true, &parker))
            })
            .collect();
        let woken = s.queues.notify(KEY, u32::MAX);
        for parker in &parkers {
            parker.expire();
        }
        let results: Vec<_> = waiters
            .into_iter()
            .map(|w| w.join().expect("waiter"))
            .collect();
        assert_eq!(results[1], WaitResult::TimedOut, "other address woken");
        assert_eq!(results[0] == WaitResult::Ok, woken == 1);
        label(results[0]).to_owned()
    });
    assert_outcomes(&outcomes, &["Ok", "TimedOut"]);
}

/// (7) A waiter whose word already differs returns NotEqual without ever
/// queueing, whatever the notifier does, and leaves the count balanced:
/// a later waiter is still found by notify, and once every wait has
/// returned the bucket's count is zero (a count leaking upward would only
/// send every later notify down the slow path, which nothing else sees).
#[test]
fn not_equal_leaves_the_count_balanced() {
    let outcomes = check("not_equal_leaves_the_count_balanced", || {
        let s = shared(1);
        s.word.store(1, SeqCst);
        let quick = {
            let s = StdArc::clone(&s);
            thread::spawn(move || {
                let parker = Arc::new(Parker::new());
                s.queues
                    .wait_with_parker(KEY, || s.word.load(SeqCst) == 0, &parker)
            })
        };
        let woken = s.queues.notify(KEY, 1);
        assert_eq!(woken, 0);
        assert_eq!(quick.join().expect("quick"), WaitResult::NotEqual);
        let parker = Arc::new(Parker::new());
        let sleeper = {
            let (s, parker) = (StdArc::clone(&s), Arc::clone(&parker));
            thread::spawn(move || s.queues.wait_with_parker(KEY, || true, &parker))
        };
        let woken = s.queues.notify(KEY, 1);
        if woken == 0 {
            parker.expire();
        }
        let result = sleeper.join().expect("sleeper");
        assert_eq!(result == WaitResult::Ok, woken == 1);
        assert_eq!(
            s.queues.announced_waiters(KEY),
            0,
            "waiter count unbalanced after every wait returned"
        );
        label(result).to_owned()
    });
    assert_outcomes(&outcomes, &["Ok", "TimedOut"]);
}
