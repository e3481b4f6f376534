//! loom models of weft-core live in `tests/`; this library is the small
//! harness they share: it runs a model under loom's `Builder`, counts the
//! interleavings explored and the outcomes reached, and prints both with the
//! preemption bound, so that CI logs show how much was checked and that
//! every outcome a model claims to cover did occur.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test -p weft-loom-tests --release`
//! (`ci/loom.sh` does, with its own target directory). Without `--cfg loom`
//! the crate and its tests are empty.

#![cfg(loom)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use weft_core::wait::WaitResult;

/// The preemption bound used when `LOOM_MAX_PREEMPTIONS` is unset: the
/// bound CI runs every model at. `WEFT_LOOM_UNBOUNDED=1` lifts it.
pub const DEFAULT_PREEMPTIONS: usize = 2;

/// Outcome label -> how many explored interleavings ended with it.
pub type Outcomes = BTreeMap<String, usize>;

/// Checks `model` in every interleaving loom explores and returns how often
/// each outcome (the label the model returns) was reached.
///
/// Prints `loom model NAME: preemption bound B, N interleavings, T, outcomes
/// {...}`.
pub fn check<F>(name: &str, model: F) -> Outcomes
where
    F: Fn() -> String + Sync + Send + 'static,
{
    let mut builder = loom::model::Builder::new();
    if std::env::var_os("WEFT_LOOM_UNBOUNDED").is_some() {
        builder.preemption_bound = None;
    } else if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(DEFAULT_PREEMPTIONS);
    }
    let bound = builder.preemption_bound;
    // std, not loom: these count across iterations, outside the model.
    let iterations = Arc::new(AtomicUsize::new(0));
    let outcomes = Arc::new(Mutex::new(Outcomes::new()));
    let start = Instant::now();
    {
        let iterations = Arc::clone(&iterations);
        let outcomes = Arc::clone(&outcomes);
        builder.check(move || {
            iterations.fetch_add(1, Ordering::Relaxed);
            let outcome = model();
            *outcomes
                .lock()
                .expect("no model panics while holding the outcome lock")
                .entry(outcome)
                .or_default() += 1;
        });
    }
    let outcomes = outcomes
        .lock()
        .expect("no model panics while holding the outcome lock")
        .clone();
    let bound = bound.map_or_else(|| "unbounded".to_owned(), |b| b.to_string());
    println!(
        "loom model {name}: preemption bound {bound}, {} interleavings, {:.2?}, outcomes {outcomes:?}",
        iterations.load(Ordering::Relaxed),
        start.elapsed(),
    );
    outcomes
}

/// Asserts that every one of `expected` was reached and nothing else was.
pub fn assert_outcomes(outcomes: &Outcomes, expected: &[&str]) {
    let reached: Vec<&str> = outcomes.keys().map(String::as_str).collect();
    let mut expected = expected.to_vec();
    expected.sort_unstable();
    assert_eq!(reached, expected, "outcomes reached vs expected");
}

/// Checks that a waiter some remover other than `notify` raced (an
/// interrupt, an epoch deadline) was removed exactly once: `notify`'s count
/// `woken` includes it exactly when it returns `Ok`. Returns the outcome
/// label, e.g. `Ok/woke-1`.
pub fn counted_once(result: WaitResult, woken: u32) -> String {
    match (result, woken) {
        (WaitResult::Ok, 1) | (WaitResult::Interrupted, 0) => {}
        other => panic!("counted twice or not at all: {other:?}"),
    }
    format!("{result:?}/woke-{woken}")
}
