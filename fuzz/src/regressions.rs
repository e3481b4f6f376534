//! Replays every input under `fuzz/regressions/<target>/` through its
//! target, so that a finding, once fixed, stays fixed under plain
//! `cargo test`. See `fuzz/regressions/README.md` for what each input found.
//!
//! Every target keeps at least one input, and a listed directory that is
//! missing or empty fails the test: a replay of nothing would pass forever.

use std::fs;
use std::path::PathBuf;

use arbitrary::Unstructured;

/// Runs every file in `fuzz/regressions/<target>/` through `run` and
/// returns how many there were; panics with the file's name and the
/// finding if one fails, and if the directory is missing or holds no input.
fn replay(target: &str, run: fn(&mut Unstructured<'_>) -> anyhow::Result<()>) -> usize {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("regressions")
        .join(target);
    let entries = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("regression directory {} unreadable: {e}", dir.display()));
    let mut paths = entries
        .map(|entry| entry.expect("readable directory entry").path())
        .filter(|path| path.is_file())
        .collect::<Vec<_>>();
    paths.sort();
    assert!(
        !paths.is_empty(),
        "regression directory {} holds no input",
        dir.display()
    );
    for path in &paths {
        let data = fs::read(path).expect("readable regression input");
        if let Err(finding) = run(&mut Unstructured::new(&data)) {
            panic!("{} fails again: {finding:#}", path.display());
        }
    }
    paths.len()
}

#[test]
fn differential_threads_regressions() {
    // The stack-limit input fails only in the AddressSanitizer build; here
    // it checks that the program itself is fine on every engine.
    replay("differential_threads", crate::differential_threads::run);
}

#[test]
fn shared_memory_ops_regressions() {
    replay("shared_memory_ops", crate::shared_memory_ops::run);
}

#[test]
fn compile_regressions() {
    replay("compile", crate::compile::run);
}

#[test]
fn instantiate_regressions() {
    replay("instantiate", crate::instantiate::run);
}

/// Strict: a known disagreement is a failure here (the issue 16 input
/// replays strictly since the fix is on main).
#[test]
fn differential_regressions() {
    replay("differential", crate::differential::run_strict);
}

#[test]
#[should_panic(expected = "unreadable")]
fn a_missing_directory_fails() {
    replay("no-such-target", crate::compile::run);
}
