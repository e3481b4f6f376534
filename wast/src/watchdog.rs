//! Running a script with a time limit.
//!
//! A lost wake-up or a deadlock in an engine would otherwise hang a whole
//! suite run on one script. The script runs on a thread of its own and
//! records into a shared [`Log`] as each directive finishes; if it is still
//! running when the limit passes, the caller gets what was recorded so far
//! plus one failure saying so.

use std::sync::mpsc;
use std::time::Duration;

use crate::report::{Failure, Log, Report};
use crate::script::Pos;

/// How long one script may run before [`run_within`] gives up on it. The
/// slowest script takes well under a second on the interpreter; this only
/// exists so that a hang fails one script instead of the whole run.
pub const SCRIPT_TIME_LIMIT: Duration = Duration::from_secs(120);

/// Runs `run(text, log)` on a new thread and waits at most `limit` for it.
///
/// `run` is whatever executes the script on an engine, usually a call to
/// [`run_script_into`](crate::run_script_into) on an engine it creates
/// itself (so that the engine need not be `Send`). Its `Err` is an engine
/// that could not be set up and is returned as is. A script still running
/// after `limit` gets one more failure, after whatever its directives
/// recorded until then. Its threads cannot be stopped from outside, so they
/// are left running (detached) until the process exits.
pub fn run_within<F>(text: &str, limit: Duration, run: F) -> Result<Report, String>
where
    F: FnOnce(&str, &Log) -> Result<(), String> + Send + 'static,
{
    let (send, receive) = mpsc::channel();
    let text = text.to_string();
    let log = Log::default();
    let script_log = log.clone();
    std::thread::Builder::new()
        .name("wast-watchdog".into())
        .spawn(move || {
            // The receiver is gone only if the limit passed; nobody is
            // left to tell.
            let _ = send.send(run(&text, &script_log));
        })
        .map_err(|e| format!("cannot spawn a script thread: {e}"))?;
    match receive.recv_timeout(limit) {
        Ok(outcome) => outcome.map(|()| log.snapshot()),
        Err(mpsc::RecvTimeoutError::Timeout) => {
            let mut report = log.snapshot();
            report.failures.push(Failure {
                pos: Pos { line: 1, col: 1 },
                reason: format!(
                    "the script did not finish within {} s (a deadlock or a lost wake-up?)",
                    limit.as_secs()
                ),
            });
            Ok(report)
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            Err("the script thread ended without a report".to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_past_the_limit_keeps_its_records_and_adds_one_failure() {
        let report = run_within("", Duration::from_millis(100), |_, log| {
            log.pass();
            std::thread::sleep(Duration::from_secs(5));
            Ok(())
        })
        .expect("the thread starts");
        assert_eq!(report.passed, 1);
        assert_eq!(report.failed(), 1);
        assert!(report.failures[0].reason.contains("did not finish"));
    }

    #[test]
    fn a_run_within_the_limit_reports_what_it_recorded() {
        let report = run_within("text", Duration::from_secs(60), |text, log| {
            assert_eq!(text, "text");
            log.pass();
            log.pass();
            Ok(())
        })
        .expect("the thread starts");
        assert_eq!(report.passed, 2);
        assert!(report.is_success());
    }

    #[test]
    fn a_setup_error_is_returned_as_is() {
        let outcome = run_within("", Duration::from_secs(60), |_, _| Err("no engine".into()));
        assert_eq!(outcome, Err("no engine".to_string()));
    }
}
