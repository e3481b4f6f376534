//! The golden-file harness every CLIF golden test uses: the generated text
//! of each case is compared with `<dir>/<name>.clif`, and `WEFT_BLESS=1`
//! rewrites the files instead, so codegen changes show up in review as
//! diffs of checked-in text.
//!
//! One harness for all of them, so that blessing, reporting and stale-file
//! detection behave the same whichever translator part a golden covers
//! (`translate::tests` for whole modules under `jit/tests/disas`,
//! `numeric::tests::golden` for single numeric operators).

use std::collections::BTreeSet;
use std::path::Path;

/// Whether this run rewrites the expectations (`WEFT_BLESS=1`).
fn blessing() -> bool {
    std::env::var_os("WEFT_BLESS").is_some_and(|v| v == "1")
}

/// Checks every `(name, actual)` case against `dir/<name>.clif`, or
/// rewrites the files when blessing. A `.clif` file in `dir` that no case
/// produced is stale: an error, removed when blessing. Panics with every
/// difference at once.
pub(crate) fn check_golden(dir: &Path, cases: impl IntoIterator<Item = (String, String)>) {
    let bless = blessing();
    let mut names = BTreeSet::new();
    let mut mismatches = Vec::new();
    for (name, actual) in cases {
        let path = dir.join(format!("{name}.clif"));
        if bless {
            std::fs::create_dir_all(dir).expect("golden directory is writable");
            std::fs::write(&path, &actual).expect("golden file is writable");
        } else {
            match std::fs::read_to_string(&path) {
                Ok(expected) if expected == actual => {}
                Ok(expected) => mismatches.push(format!(
                    "{}: translation changed\n--- expected\n{expected}\n--- actual\n{actual}",
                    path.display()
                )),
                Err(e) => mismatches.push(format!("{}: {e}\n--- actual\n{actual}", path.display())),
            }
        }
        assert!(names.insert(name.clone()), "two golden cases named {name}");
    }
    assert!(!names.is_empty(), "no golden cases for {}", dir.display());
    for entry in std::fs::read_dir(dir).expect("golden directory is readable") {
        let path = entry.expect("readable entry").path();
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        if path.extension().is_some_and(|e| e == "clif") && !names.contains(stem) {
            if bless {
                std::fs::remove_file(&path).expect("stale golden file is removable");
            } else {
                mismatches.push(format!("{}: stale, no case produces it", path.display()));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "golden CLIF differs (rerun with WEFT_BLESS=1 to accept):\n{}",
        mismatches.join("\n")
    );
}
