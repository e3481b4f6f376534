//! loom model of a resource limiter on a shared memory: the approver that
//! `SharedMemory::grow_with` asks runs under the grow lock, so concurrent
//! grows from several threads (several stores, each with its own limiter)
//! can never together pass a bound that each limiter enforces, and the
//! size a limiter is shown is the size the grow starts from.
//!
//! The broken variant (`broken-limiter-outside-lock`) asks the approver with
//! a size read before taking the lock; `ci/loom.sh` requires this model to
//! catch it (two grows approved from the same old size overshoot).

#![cfg(loom)]

use loom::thread;
use weft_core::memory::{MemoryLimits, ReservationPolicy, SharedMemory};
use weft_loom_tests::{assert_outcomes, check};

/// The most pages the limiters allow.
const LIMIT: u64 = 1;

/// Grows by one page, asking a limiter that allows at most `LIMIT` pages;
/// returns the grow's result and the size the limiter was shown.
fn limited_grow(memory: &SharedMemory) -> (Option<u64>, Option<u64>) {
    let mut shown = None;
    let result = memory.grow_with(1, |current, desired| {
        assert_eq!(desired, current + 1, "desired is current plus the delta");
        shown = Some(current);
        desired <= LIMIT
    });
    (result, shown)
}

#[test]
fn a_limiter_under_the_grow_lock_bounds_concurrent_grows() {
    let outcomes = check(
        "a_limiter_under_the_grow_lock_bounds_concurrent_grows",
        || {
            let limits = MemoryLimits {
                minimum: 0,
                maximum: Some(4),
                shared: true,
            };
            let memory = SharedMemory::new(limits, ReservationPolicy::default()).expect("memory");
            let other = {
                let memory = memory.clone();
                thread::spawn(move || limited_grow(&memory))
            };
            let mine = limited_grow(&memory);
            let theirs = other.join().expect("grower");
            let size = memory.size_pages();
            assert!(
                size <= LIMIT,
                "{size} pages: concurrent grows passed the limiters' bound of {LIMIT} \
             (mine {mine:?}, theirs {theirs:?})"
            );
            // An approved grow started from exactly the size its limiter saw.
            for (result, shown) in [mine, theirs] {
                if let Some(old) = result {
                    assert_eq!(Some(old), shown, "the limiter saw a stale size");
                }
            }
            match (mine.0, theirs.0) {
                (Some(0), None) => "mine-first".to_owned(),
                (None, Some(0)) => "theirs-first".to_owned(),
                other => panic!("impossible grow results {other:?}"),
            }
        },
    );
    assert_outcomes(&outcomes, &["mine-first", "theirs-first"]);
}

#[test]
fn a_limiter_sees_the_size_its_grow_starts_from() {
    // One grow asks a limiter that approves everything and records what it
    // was shown; a concurrent grow (the host's, no limiter) moves the size.
    // Whichever comes first, the limited grow's old size is what its
    // limiter saw.
    let outcomes = check("a_limiter_sees_the_size_its_grow_starts_from", || {
        let limits = MemoryLimits {
            minimum: 0,
            maximum: Some(4),
            shared: true,
        };
        let memory = SharedMemory::new(limits, ReservationPolicy::default()).expect("memory");
        let host = {
            let memory = memory.clone();
            thread::spawn(move || memory.grow(2))
        };
        let mut shown = None;
        let old = memory
            .grow_with(1, |current, _| {
                shown = Some(current);
                true
            })
            .expect("room for both grows");
        let host_old = host.join().expect("host grower").expect("room");
        assert_eq!(Some(old), shown, "the limiter saw a stale size");
        assert_eq!(memory.size_pages(), 3);
        match (old, host_old) {
            (0, 1) => "limited-first".to_owned(),
            (2, 0) => "host-first".to_owned(),
            other => panic!("impossible grow results {other:?}"),
        }
    });
    assert_outcomes(&outcomes, &["host-first", "limited-first"]);
}
