//! How compile jobs reach the compile threads: one queue, largest first.
//!
//! A fixed split of the jobs into one batch per thread (what weft did
//! before) leaves a thread idle while another still works through the large
//! functions that landed in its batch; on sql.js that cost 18% of the ideal
//! time on two threads and 53% on four (`docs/jit.md`, "Compile time on real
//! modules"). Here every thread takes the next job from one queue, and the
//! queue is sorted by estimated cost, largest first (a body's size in bytes;
//! array entries, small and all alike, last), so the longest jobs start
//! first and the small ones fill the gaps at the end.
//!
//! Errors stay deterministic whatever the threads' timing: the error
//! reported is the one of the failing job that comes first in module order
//! (function index, body before entry), as a serial compile in module order
//! would report it. Once a job fails, jobs later in module order are
//! skipped (they cannot change the outcome); earlier ones still run, since
//! one of them may fail too and take precedence.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use cranelift_module::FuncId;

use super::Job;
use crate::error::Error;
use crate::index::FuncIndex;

/// One compile job: for function `.0`, the code of id `.1`.
pub(super) type Queued<'m> = (FuncIndex, FuncId, Job<'m>);

/// The shared queue of a module's compile jobs.
pub(super) struct JobQueue<'m> {
    jobs: Mutex<std::vec::IntoIter<Queued<'m>>>,
    /// The module-order key of the first failing job seen so far
    /// (`u64::MAX`: none).
    first_failure: AtomicU64,
}

/// A job's place in module order.
pub(super) fn module_order(func_index: FuncIndex, job: &Job<'_>) -> u64 {
    let entry = u64::from(matches!(job, Job::ArrayEntry(_)));
    u64::from(func_index.as_u32()) * 2 + entry
}

/// A job's estimated cost: what the queue sorts by.
fn cost(job: &Job<'_>) -> u64 {
    match job {
        Job::Body(pending) => {
            let range = pending.body.range();
            range.end - range.start
        }
        Job::ArrayEntry(_) => 0,
    }
}

impl<'m> JobQueue<'m> {
    /// The queue of `jobs`, largest first (ties in module order).
    pub(super) fn new(mut jobs: Vec<Queued<'m>>) -> Self {
        jobs.sort_by_key(|(index, _, job)| {
            (std::cmp::Reverse(cost(job)), module_order(*index, job))
        });
        JobQueue {
            jobs: Mutex::new(jobs.into_iter()),
            first_failure: AtomicU64::new(u64::MAX),
        }
    }

    /// The next job worth running, or `None` when the queue is empty.
    pub(super) fn next(&self) -> Option<Queued<'m>> {
        loop {
            // The lock is held only to advance the iterator, which cannot
            // panic, so it is never poisoned; recover anyway rather than
            // lose the jobs.
            let job = self
                .jobs
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .next()?;
            // Relaxed: a stale read only runs a job that could be skipped.
            if module_order(job.0, &job.2) < self.first_failure.load(Ordering::Relaxed) {
                return Some(job);
            }
        }
    }

    /// Records that the job at `order` failed.
    pub(super) fn failed(&self, order: u64) {
        self.first_failure.fetch_min(order, Ordering::Relaxed);
    }
}

/// The error to report of all `failures` (with their module-order keys):
/// the first in module order.
pub(super) fn first_failure(failures: Vec<(u64, Error)>) -> Option<Error> {
    failures
        .into_iter()
        .min_by_key(|(order, _)| *order)
        .map(|(_, error)| error)
}
