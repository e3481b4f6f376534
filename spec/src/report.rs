//! What running a script produced: directive counts and the failures.

use std::fmt;

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

    /// Adds another report's counts and failures (a finished thread's) to
    /// this one.
    pub(crate) fn merge(&mut self, other: Report) {
        self.passed += other.passed;
        self.failures.extend(other.failures);
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
