//! Unit tests of [`Termination`] (single-threaded rules, then real threads;
//! both also run under Miri, `ci/miri.sh`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread::JoinHandle;

use super::{MAX_TID, SpawnRefused, Termination};

type Term = Termination<i32, JoinHandle<()>>;

#[test]
fn the_first_outcome_wins_and_the_action_runs_once() {
    let t = Term::new(4);
    let runs = AtomicUsize::new(0);
    assert!(!t.exiting());
    assert!(t.finish(7, || {
        runs.fetch_add(1, Ordering::SeqCst);
    }));
    assert!(t.exiting());
    assert!(!t.finish(9, || {
        runs.fetch_add(1, Ordering::SeqCst);
    }));
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(t.take_outcome(), Some(7));
    assert_eq!(t.take_outcome(), None);
}

#[test]
fn no_tid_after_the_exit() {
    let t = Term::new(4);
    assert_eq!(t.allocate_tid(), Ok(1));
    t.finish(0, || {});
    assert_eq!(t.allocate_tid(), Err(SpawnRefused::Exiting));
    assert_eq!(t.live_threads(), 1);
}

#[test]
fn the_limit_counts_live_threads() {
    let t = Term::new(2);
    assert_eq!(t.allocate_tid(), Ok(1));
    assert_eq!(t.allocate_tid(), Ok(2));
    assert_eq!(t.allocate_tid(), Err(SpawnRefused::Limit));
    t.release_tid(1);
    assert_eq!(t.allocate_tid(), Ok(3));
    assert_eq!(t.live_threads(), 2);
    assert_eq!(Term::new(0).allocate_tid(), Err(SpawnRefused::Limit));
}

#[test]
fn tids_wrap_around_and_skip_live_ones() {
    let t = Term::starting_at(3, MAX_TID - 1);
    assert_eq!(t.allocate_tid(), Ok(MAX_TID - 1));
    assert_eq!(t.allocate_tid(), Ok(MAX_TID));
    assert_eq!(t.allocate_tid(), Ok(1));
    t.release_tid(MAX_TID);
    // The search goes on from where it stopped, not from a freed id.
    assert_eq!(t.allocate_tid(), Ok(2));
    t.release_tid(2);
    let t = Term::starting_at(2, MAX_TID);
    assert_eq!(t.allocate_tid(), Ok(MAX_TID));
    t.release_tid(MAX_TID);
    assert_eq!(t.allocate_tid(), Ok(1));
    assert_eq!(t.allocate_tid(), Ok(2));
    assert_eq!(t.allocate_tid(), Err(SpawnRefused::Limit));
}

/// Spawns a thread that runs `body`, recorded the way weft-wasi does:
/// tid first, handle before returning.
fn spawn(
    t: &Arc<Term>,
    body: impl FnOnce(&Arc<Term>) + Send + 'static,
) -> Result<u32, SpawnRefused> {
    let tid = t.allocate_tid()?;
    let t2 = Arc::clone(t);
    let handle = std::thread::spawn(move || {
        body(&t2);
        t2.release_tid(tid);
    });
    t.add_handle(handle);
    Ok(tid)
}

#[test]
fn join_all_joins_threads_spawned_while_joining() {
    let t = Arc::new(Term::new(16));
    let ran = Arc::new(AtomicUsize::new(0));
    let r = Arc::clone(&ran);
    spawn(&t, move |t| {
        r.fetch_add(1, Ordering::SeqCst);
        for _ in 0..3 {
            let r = Arc::clone(&r);
            spawn(t, move |t| {
                r.fetch_add(1, Ordering::SeqCst);
                let r = Arc::clone(&r);
                spawn(t, move |_| {
                    r.fetch_add(1, Ordering::SeqCst);
                })
                .expect("under the limit");
            })
            .expect("under the limit");
        }
    })
    .expect("under the limit");
    let mut joined = 0;
    t.join_all(|h| {
        h.join().expect("no thread panics");
        joined += 1;
    });
    assert_eq!(joined, 7);
    assert_eq!(ran.load(Ordering::SeqCst), 7);
    assert_eq!(t.live_threads(), 0);
}

#[test]
fn racing_exits_from_threads_record_one_outcome() {
    let t = Arc::new(Term::new(8));
    let runs = Arc::new(AtomicUsize::new(0));
    // Every thread is spawned before any of them exits.
    let start = Arc::new(Barrier::new(5));
    for code in 1..=4 {
        let runs = Arc::clone(&runs);
        let start = Arc::clone(&start);
        spawn(&t, move |t| {
            start.wait();
            t.finish(code, || {
                runs.fetch_add(1, Ordering::SeqCst);
            });
            // Whoever won, this thread now sees the exit.
            assert!(t.exiting());
            assert_eq!(t.allocate_tid(), Err(SpawnRefused::Exiting));
        })
        .expect("under the limit, before any exit");
    }
    start.wait();
    t.join_all(|h| h.join().expect("no thread panics"));
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert!(matches!(t.take_outcome(), Some(1..=4)));
}
