//! Replays every input under `fuzz/regressions/<target>/` through its
//! target, so that a finding, once fixed, stays fixed under plain
//! `cargo test`. See `fuzz/regressions/README.md` for what each input found.

use std::fs;
use std::path::PathBuf;

use arbitrary::Unstructured;

/// Runs every file in `fuzz/regressions/<target>/` through `run`; panics
/// with the file's name and the finding if any fails.
fn replay(target: &str, run: fn(&mut Unstructured<'_>) -> anyhow::Result<()>) -> usize {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("regressions")
        .join(target);
    let Ok(entries) = fs::read_dir(&dir) else {
        return 0;
    };
    let mut replayed = 0;
    for entry in entries {
        let path = entry.expect("readable directory entry").path();
        let data = fs::read(&path).expect("readable regression input");
        if let Err(finding) = run(&mut Unstructured::new(&data)) {
            panic!("{} fails again: {finding:#}", path.display());
        }
        replayed += 1;
    }
    replayed
}

#[test]
fn differential_threads_regressions() {
    // The stack-limit input fails only in the AddressSanitizer build; here
    // it checks that the program itself is fine on every engine.
    assert!(replay("differential_threads", crate::differential_threads::run) >= 1);
}

#[test]
fn shared_memory_ops_regressions() {
    assert!(replay("shared_memory_ops", crate::shared_memory_ops::run) >= 1);
}

#[test]
fn other_targets_regressions() {
    replay("compile", crate::compile::run);
    replay("instantiate", crate::instantiate::run);
    replay("differential", crate::differential::run);
}
