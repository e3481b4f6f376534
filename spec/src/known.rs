//! `spec/known-failures.txt`: scripts expected to fail, each with a reason.
//!
//! One entry per line, `engine suite file  # reason`; blank lines and lines
//! starting with `#` are ignored. The list exists to become empty: the test
//! harness marks a listed script ignored while it still fails and fails it
//! the moment it passes, so an entry cannot outlive its cause.

use std::path::{Path, PathBuf};

/// One listed script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownFailure {
    /// Engine name (`interp`, `jit`).
    pub engine: String,
    /// Suite name (`wasm-v2`, `threads`, `simd`, `own`).
    pub suite: String,
    /// File name within the suite.
    pub file: String,
    /// Why it fails.
    pub reason: String,
}

/// The parsed list.
#[derive(Clone, Debug, Default)]
pub struct KnownFailures {
    entries: Vec<KnownFailure>,
}

impl KnownFailures {
    /// Where the list lives in the source tree.
    pub fn path() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("known-failures.txt")
    }

    /// Reads and parses [`KnownFailures::path`]. A missing file is an empty
    /// list; a malformed line is an error naming it.
    pub fn load() -> Result<KnownFailures, String> {
        let path = Self::path();
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::parse(&text).map_err(|e| format!("{}:{e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(KnownFailures::default()),
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    /// Parses the list's text. Errors are `line: what`.
    pub fn parse(text: &str) -> Result<KnownFailures, String> {
        let mut entries = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (fields, reason) = line.split_once('#').ok_or_else(|| {
                format!("{}: missing \"# reason\" (every entry needs one)", i + 1)
            })?;
            let reason = reason.trim();
            let fields: Vec<&str> = fields.split_whitespace().collect();
            let [engine, suite, file] = fields[..] else {
                return Err(format!(
                    "{}: expected \"engine suite file  # reason\", found {} fields",
                    i + 1,
                    fields.len()
                ));
            };
            if reason.is_empty() {
                return Err(format!("{}: the reason is empty", i + 1));
            }
            entries.push(KnownFailure {
                engine: engine.to_string(),
                suite: suite.to_string(),
                file: file.to_string(),
                reason: reason.to_string(),
            });
        }
        Ok(KnownFailures { entries })
    }

    /// The reason a script is listed, if it is.
    pub fn reason(&self, engine: &str, suite: &str, file: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|k| k.engine == engine && k.suite == suite && k.file == file)
            .map(|k| k.reason.as_str())
    }

    /// Every entry, in file order.
    pub fn entries(&self) -> &[KnownFailure] {
        &self.entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_parse_with_reasons() {
        let list = KnownFailures::parse(
            "# header\n\ninterp wasm-v2 simd.wast  # v128 not supported\njit own a.wast # b\n",
        )
        .expect("well-formed list");
        assert_eq!(list.entries().len(), 2);
        assert_eq!(
            list.reason("interp", "wasm-v2", "simd.wast"),
            Some("v128 not supported")
        );
        assert_eq!(list.reason("interp", "own", "a.wast"), None);
    }

    #[test]
    fn malformed_lines_are_errors() {
        assert!(KnownFailures::parse("interp wasm-v2 x.wast\n").is_err());
        assert!(KnownFailures::parse("interp x.wast # why\n").is_err());
        assert!(KnownFailures::parse("interp wasm-v2 x.wast #   \n").is_err());
    }
}
