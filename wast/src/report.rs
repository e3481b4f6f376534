//! What running a script produced: directive counts and the failures.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use crate::script::Pos;

/// One directive that did not do what the script expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// Where the directive starts.
    pub pos: Pos,
    /// What went wrong, in one line.
    pub reason: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.pos, self.reason)
    }
}

/// The outcome of one script: every directive (including those run by its
/// threads) is either counted as passed or listed as a failure.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Directives that did what the script expected.
    pub passed: usize,
    /// Directives that did not, in the order they finished.
    pub failures: Vec<Failure>,
}

impl Report {
    /// Number of failed directives.
    pub fn failed(&self) -> usize {
        self.failures.len()
    }

    /// Whether every directive passed.
    pub fn is_success(&self) -> bool {
        self.failures.is_empty()
    }

    /// Renders the failures one per line, each prefixed with `file:`.
    pub fn render_failures(&self, file: &str) -> String {
        let mut out = String::new();
        for failure in &self.failures {
            out.push_str(file);
            out.push(':');
            out.push_str(&failure.to_string());
            out.push('\n');
        }
        out
    }
}

/// A report that a script's threads fill in as they go.
///
/// Every thread of a script records into the same log the moment a directive
/// finishes, so whoever holds a clone can read the progress so far — which
/// is what a script that hangs (a lost wake-up, a thread that never
/// started) still has to show for itself when its time runs out.
#[derive(Clone, Debug, Default)]
pub struct Log(Arc<Mutex<Report>>);

impl Log {
    /// Counts one passed directive.
    pub fn pass(&self) {
        self.with(|r| r.passed += 1);
    }

    /// Records one failed directive.
    pub fn fail(&self, failure: Failure) {
        self.with(|r| r.failures.push(failure));
    }

    /// The report so far.
    pub fn snapshot(&self) -> Report {
        self.with(|r| r.clone())
    }

    fn with<T>(&self, f: impl FnOnce(&mut Report) -> T) -> T {
        // A panic while the lock is held can only come from pushing to a
        // Vec; the report is still a valid report, so poisoning is ignored.
        let mut report = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut report)
    }
}
