//! `weft wast`: run `.wast` scripts on the JIT.
//!
//! The scripts run through `weft-wast`, the same runner `weft-spec` uses,
//! with the JIT adapter from `weft::wast`, and print what `weft-spec
//! --engine jit FILE...` prints: each failing directive as
//! `file:line:col: reason`, one `file: N passed, M failed` line per script,
//! and `jit: N passed, M failed` last. Every file is read before any runs,
//! so a missing file stops the run before it starts. Each script has
//! `weft_wast::SCRIPT_TIME_LIMIT` to finish; a hung one counts as a failure.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, anyhow};
use clap::Args;
use weft::wast::JitEngine;

use crate::Failure;

#[derive(Args)]
pub struct WastArgs {
    /// The .wast scripts to run.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

pub fn run(args: &WastArgs) -> Result<(), Failure> {
    let scripts = args
        .files
        .iter()
        .map(|path| {
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))
                .map(|text| (path.display().to_string(), text))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;

    let started = Instant::now();
    let (mut passed, mut failed) = (0, 0);
    for (name, text) in &scripts {
        let report = weft_wast::run_within(text, weft_wast::SCRIPT_TIME_LIMIT, |text, log| {
            weft_wast::run_script_into(&JitEngine::new()?, text, log);
            Ok(())
        })
        .map_err(|e| anyhow!("{name}: {e}"))?;
        print!("{}", report.render_failures(name));
        println!(
            "{name}: {} passed, {} failed",
            report.passed,
            report.failed()
        );
        passed += report.passed;
        failed += report.failed();
    }
    eprintln!(
        "ran {} scripts in {:.2}s",
        scripts.len(),
        started.elapsed().as_secs_f64()
    );
    println!("jit: {passed} passed, {failed} failed");
    if failed > 0 {
        return Err(Failure::Reported);
    }
    Ok(())
}
