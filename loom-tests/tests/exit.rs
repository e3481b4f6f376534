//! loom models of a program's termination ([`Termination`]): racing exits,
//! an exit racing a spawn, and `join_all` racing a spawn.
//!
//! Model threads are loom threads and their join handles loom's; the
//! "on-exit action" is a sticky latch (a loom `Mutex<bool>` and `Condvar`)
//! standing for weft-wasi's interrupt group, so a spawned thread that never
//! observes the exit sleeps forever: a loom deadlock.

#![cfg(loom)]

use loom::sync::atomic::AtomicUsize;
use loom::sync::{Condvar, Mutex};
use loom::thread;
use std::sync::Arc as StdArc;
use weft_core::exit::{SpawnRefused, Termination};
use weft_core::sync::atomic::Ordering::SeqCst;
use weft_loom_tests::{assert_outcomes, check};

type Term = Termination<u32, thread::JoinHandle<()>>;

/// The on-exit action's effect: set once, for good, and waited on.
#[derive(Default)]
struct Latch {
    set: Mutex<bool>,
    cond: Condvar,
    /// How many times the action ran.
    runs: AtomicUsize,
}

impl Latch {
    fn fire(&self) {
        self.runs.fetch_add(1, SeqCst);
        *self.set.lock().expect("no poison") = true;
        self.cond.notify_all();
    }

    /// Blocks until the latch is set (a thread blocked in wasm until the
    /// exit interrupts it).
    fn wait(&self) {
        let mut set = self.set.lock().expect("no poison");
        while !*set {
            set = self.cond.wait(set).expect("no poison");
        }
    }
}

/// What one model shares; std `Arc` around it, as in `wait_notify.rs` (a
/// failing model must not abort the binary, loom #291).
struct Shared {
    term: Term,
    latch: Latch,
}

fn shared(max_threads: u32) -> StdArc<Shared> {
    StdArc::new(Shared {
        term: Term::new(max_threads),
        latch: Latch::default(),
    })
}

/// Ends the program with `code`, the latch as the on-exit action.
fn exit(s: &Shared, code: u32) -> bool {
    s.term.finish(code, || s.latch.fire())
}

/// (1) Two threads race to exit: exactly one outcome is recorded, it is
/// the code of one of them, the action ran exactly once and by the call
/// that says so. Catches the flag set by load + store instead of a swap
/// (`broken-exit-load-store`): "the on-exit action ran twice".
#[test]
fn racing_exits_record_one_outcome_and_act_once() {
    let outcomes = check("racing_exits_record_one_outcome_and_act_once", || {
        let s = shared(4);
        let other = {
            let s = StdArc::clone(&s);
            thread::spawn(move || exit(&s, 2))
        };
        let mine = exit(&s, 1);
        let theirs = other.join().expect("exiter");
        assert_eq!(
            s.latch.runs.load(SeqCst),
            1,
            "the on-exit action ran twice (or never)"
        );
        assert!(mine != theirs, "both or neither exit claims the action");
        assert!(s.term.exiting());
        let outcome = s.term.take_outcome().expect("an outcome is recorded");
        assert!(outcome == 1 || outcome == 2);
        assert_eq!(s.term.take_outcome(), None);
        format!("outcome {outcome}, action by {}", if mine { 1 } else { 2 })
    });
    // Either exit can win the slot, and either can set the flag first.
    assert_outcomes(
        &outcomes,
        &[
            "outcome 1, action by 1",
            "outcome 1, action by 2",
            "outcome 2, action by 1",
            "outcome 2, action by 2",
        ],
    );
}

/// (2) An exit racing a spawn: either the spawn is refused (and then the
/// exit had happened: the refusal says `Exiting`), or the spawned thread,
/// which blocks until the exit's action reaches it, is woken — it never
/// sleeps through the exit, whether it starts before or after it — and is
/// joined.
#[test]
fn a_spawn_racing_the_exit_is_refused_or_interrupted() {
    let outcomes = check("a_spawn_racing_the_exit_is_refused_or_interrupted", || {
        let s = shared(4);
        let spawner = {
            let s = StdArc::clone(&s);
            thread::spawn(move || match s.term.allocate_tid() {
                Ok(tid) => {
                    let child = {
                        let s = StdArc::clone(&s);
                        thread::spawn(move || {
                            s.latch.wait();
                            assert!(s.term.exiting(), "woken before the exit");
                            s.term.release_tid(tid);
                        })
                    };
                    s.term.add_handle(child);
                    Ok(tid)
                }
                Err(e) => Err(e),
            })
        };
        exit(&s, 3);
        let spawned = spawner.join().expect("spawner");
        let mut joined = 0;
        s.term.join_all(|h| {
            h.join().expect("child");
            joined += 1;
        });
        assert_eq!(s.term.live_threads(), 0);
        assert_eq!(s.term.take_outcome(), Some(3));
        match spawned {
            Ok(_) => {
                assert_eq!(joined, 1);
                "spawned, interrupted".to_owned()
            }
            Err(refused) => {
                assert_eq!(refused, SpawnRefused::Exiting);
                assert_eq!(joined, 0);
                "refused".to_owned()
            }
        }
    });
    assert_outcomes(&outcomes, &["refused", "spawned, interrupted"]);
}

/// (3) `join_all` while a thread spawns: main starts A, A starts B and
/// ends; main's `join_all` (racing A) still joins both, and both ran.
#[test]
fn join_all_joins_a_thread_spawned_while_joining() {
    let outcomes = check("join_all_joins_a_thread_spawned_while_joining", || {
        let s = shared(4);
        let ran = StdArc::new(AtomicUsize::new(0));
        let a_tid = s.term.allocate_tid().expect("under the limit");
        let a = {
            let s = StdArc::clone(&s);
            let ran = StdArc::clone(&ran);
            thread::spawn(move || {
                let b_tid = s.term.allocate_tid().expect("under the limit");
                let b = {
                    let s = StdArc::clone(&s);
                    let ran = StdArc::clone(&ran);
                    thread::spawn(move || {
                        ran.fetch_add(1, SeqCst);
                        s.term.release_tid(b_tid);
                    })
                };
                s.term.add_handle(b);
                ran.fetch_add(1, SeqCst);
                s.term.release_tid(a_tid);
            })
        };
        s.term.add_handle(a);
        let mut rounds_joined = 0;
        s.term.join_all(|h| {
            h.join().expect("thread");
            rounds_joined += 1;
        });
        assert_eq!(rounds_joined, 2, "a spawned thread was never joined");
        assert_eq!(
            ran.load(SeqCst),
            2,
            "join_all returned before a thread ended"
        );
        assert_eq!(s.term.live_threads(), 0);
        "both joined".to_owned()
    });
    assert_outcomes(&outcomes, &["both joined"]);
}
