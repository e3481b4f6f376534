//! Reading a module file, binary or text, with errors that say where.
//!
//! The text is turned into a binary here rather than by `Module::new`
//! because the commands need the binary anyway (to name functions, see
//! `inventory`) and because `wat` renders its errors over several lines of
//! source; the CLI promises one line, `FILE:LINE:COL: message`.

use std::path::Path;

use anyhow::{Context, Result, anyhow};
use weft::{Engine, Module};

/// A module file as read and compiled.
pub struct Loaded {
    /// The module in binary form (converted from text if need be).
    pub binary: Vec<u8>,
    /// The compiled module.
    pub module: Module,
}

/// Reads `path` (`.wasm` or `.wat`, told apart by content) and compiles it.
pub fn load(engine: &Engine, path: &Path) -> Result<Loaded> {
    let binary = read_binary(path)?;
    let module =
        Module::from_binary(engine, &binary).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    Ok(Loaded { binary, module })
}

/// The file's module in binary form. Anything that does not start with the
/// binary magic is parsed as text, so a stray file gets a text error
/// rather than a confusing binary one.
pub fn read_binary(path: &Path) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    if wat::Detect::from_bytes(&bytes) == wat::Detect::WasmBinary {
        return Ok(bytes);
    }
    wat::Parser::new()
        .parse_bytes(Some(path), &bytes)
        .map(|binary| binary.into_owned())
        .map_err(|e| anyhow!(one_line(&e.to_string())))
}

/// Folds `wat`'s rendering — the message, then `--> file:line:col` and the
/// source line — into `file:line:col: message`; other renderings are one
/// line already and name the file.
fn one_line(rendered: &str) -> String {
    let mut lines = rendered.lines();
    let message = lines.next().unwrap_or_default().trim();
    match lines.find_map(|l| l.trim().strip_prefix("--> ")) {
        Some(location) => format!("{location}: {message}"),
        None => rendered.trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn a_rendered_text_error_becomes_one_line() {
        let rendered = "expected `(`\n     --> m.wat:3:7\n      |\n    3 | oops\n      |       ^";
        assert_eq!(one_line(rendered), "m.wat:3:7: expected `(`");
        assert_eq!(
            one_line("failed to parse `x`: input bytes aren't valid utf-8"),
            "failed to parse `x`: input bytes aren't valid utf-8"
        );
    }
}
