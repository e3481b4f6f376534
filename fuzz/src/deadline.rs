//! Running a handful of host threads with a deadline.
//!
//! Concurrency bugs in wait/notify show up as threads that never finish. A
//! fuzz target must report that rather than hang, so the threads are spawned
//! detached and joined through a channel with a timeout; a thread still
//! running at the deadline is reported and left behind (a thread cannot be
//! killed, and a stuck thread is exactly the finding).

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// How long a group of threads may take before it counts as stuck. Far more
/// than any generated program or op sequence needs, so that a slow, loaded
/// CI machine does not produce false findings.
pub const THREAD_DEADLINE: Duration = Duration::from_secs(20);

/// Runs each job on its own thread and returns their results in job order,
/// waiting at most [`THREAD_DEADLINE`] for all of them. A job's `Err` is
/// reported with its index; so is a panic (the job's thread dies and its
/// result never arrives, which this tells apart from a timeout).
pub fn run_threads<T, F>(jobs: Vec<F>) -> anyhow::Result<Vec<T>>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, String> + Send + 'static,
{
    let (done, finished) = mpsc::channel();
    let count = jobs.len();
    let mut handles = Vec::with_capacity(count);
    for (index, job) in jobs.into_iter().enumerate() {
        let done = done.clone();
        let handle = thread::Builder::new()
            .name(format!("fuzz-thread-{index}"))
            .spawn(move || {
                // The receiver is gone only after a deadline; nothing to do.
                let _ = done.send((index, job()));
            })
            .context("spawning a thread")?;
        handles.push(handle);
    }
    // Only the threads hold senders now: if they all die, `recv` says so.
    drop(done);
    let deadline = Instant::now() + THREAD_DEADLINE;
    let mut results: Vec<Option<T>> = (0..count).map(|_| None).collect();
    let mut failures = Vec::new();
    for _ in 0..count {
        let left = deadline.saturating_duration_since(Instant::now());
        match finished.recv_timeout(left) {
            Ok((index, Ok(value))) => results[index] = Some(value),
            Ok((index, Err(e))) => failures.push(format!("thread {index}: {e}")),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                failures.push("a thread panicked".to_string());
                break;
            }
            // The stuck threads are left behind, detached.
            Err(mpsc::RecvTimeoutError::Timeout) => bail!(
                "threads still running after {THREAD_DEADLINE:?} (deadlock or lost wake-up); \
                 other failures: {failures:?}"
            ),
        }
    }
    // Every thread has reported (or died), so these joins return at once.
    // Joining matters: a thread that is still tearing down its thread-locals
    // when the next input starts looks like a leak to LeakSanitizer.
    for handle in handles {
        // A panic was already counted above, as a missing result.
        let _ = handle.join();
    }
    if !failures.is_empty() {
        bail!("{}", failures.join("; "));
    }
    Ok(results
        .into_iter()
        .map(|r| r.expect("every thread reported a result when none failed"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_job_order() {
        let jobs = (0..3u32)
            .map(|i| move || Ok::<u32, String>(i * 10))
            .collect::<Vec<_>>();
        assert_eq!(run_threads(jobs).expect("no failure"), [0, 10, 20]);
    }

    #[test]
    fn a_failing_job_is_reported_by_index() {
        let jobs: Vec<Box<dyn FnOnce() -> Result<(), String> + Send>> =
            vec![Box::new(|| Ok(())), Box::new(|| Err("boom".to_string()))];
        let err = run_threads(jobs).expect_err("job 1 fails");
        assert!(err.to_string().contains("thread 1: boom"), "{err}");
    }
}
