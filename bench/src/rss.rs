//! `--rss`: the peak resident memory of compiling each real module once.
//!
//! A process's peak RSS only ever rises, so the two runtimes cannot be
//! measured in one process: each measurement is a child process (this
//! binary, with the hidden option `--rss-child SIDE MODULE`) that reads the
//! module, compiles it once on one runtime and prints its own `VmHWM` from
//! `/proc/self/status`. The side `none` only reads the module: the floor
//! that both runtimes' numbers include (the binary, its libraries, the
//! module's bytes).

use std::process::Command;

use anyhow::{Context, Result, bail, ensure};

use crate::cases::real_modules::{MODULES, RealModule, load};
#[cfg(feature = "weft")]
use crate::runtime::WeftRuntime;
use crate::runtime::{Runtime, WasmtimeRuntime};

/// The option that makes this binary a measuring child.
pub const CHILD_OPTION: &str = "--rss-child";

/// The sides a child can measure.
const SIDES: [&str; 3] = ["none", "weft", "wasmtime"];

/// Runs the children and prints one line per module, in MiB.
pub fn report(parallel_compile: bool) -> Result<()> {
    println!("\npeak RSS of one compile (MiB; `none` reads the module only)");
    println!(
        "{:<18} {:>8} {:>8} {:>9} {:>14}",
        "module", "none", "weft", "wasmtime", "weft/wasmtime"
    );
    let exe = std::env::current_exe().context("finding this binary to run its children")?;
    for module in &MODULES {
        let mut peaks = Vec::with_capacity(SIDES.len());
        for side in SIDES {
            let mut command = Command::new(&exe);
            command.args([CHILD_OPTION, side, module.name]);
            if !parallel_compile {
                command.arg("--serial-compile");
            }
            let output = command
                .output()
                .with_context(|| format!("running the {side} child for {}", module.name))?;
            peaks.push(if output.status.success() {
                String::from_utf8_lossy(&output.stdout).trim().parse::<u64>().ok()
            } else {
                let why = String::from_utf8_lossy(&output.stderr);
                println!("  {side} on {}: n/a ({})", module.name, why.trim());
                None
            });
        }
        let mib = |kib: Option<u64>| {
            kib.map_or("n/a".to_owned(), |k| format!("{:.0}", k as f64 / 1024.0))
        };
        let ratio = match (peaks[1], peaks[2]) {
            (Some(w), Some(t)) if t > 0 => format!("{:.2}x", w as f64 / t as f64),
            _ => "n/a".to_owned(),
        };
        println!(
            "{:<18} {:>8} {:>8} {:>9} {:>14}",
            format!("compile_{}", module.name),
            mib(peaks[0]),
            mib(peaks[1]),
            mib(peaks[2]),
            ratio
        );
    }
    Ok(())
}

/// The child's job: `args` are the side and the module name (and
/// optionally `--serial-compile`); prints the peak RSS in KiB.
pub fn child(args: &[String]) -> Result<()> {
    let [side, name, rest @ ..] = args else {
        bail!("{CHILD_OPTION} needs a side and a module name");
    };
    let parallel = !rest.iter().any(|a| a == "--serial-compile");
    let module: &RealModule = MODULES
        .iter()
        .find(|m| m.name == name)
        .with_context(|| format!("no real module named `{name}`"))?;
    let wasm = load(module)?;
    match side.as_str() {
        "none" => {}
        "wasmtime" => compile_once(&WasmtimeRuntime::new(false, parallel)?, &wasm)?,
        #[cfg(feature = "weft")]
        "weft" => compile_once(&WeftRuntime::new(parallel)?, &wasm)?,
        other => bail!("no side `{other}` in this build"),
    }
    println!("{}", peak_rss_kib()?);
    Ok(())
}

fn compile_once<R: Runtime>(runtime: &R, wasm: &[u8]) -> Result<()> {
    let module = runtime.compile(wasm)?;
    ensure!(
        runtime.export_count(&module) > 0,
        "the module exports nothing"
    );
    Ok(())
}

/// `VmHWM` (the peak resident set) of this process, in KiB.
fn peak_rss_kib() -> Result<u64> {
    let status =
        std::fs::read_to_string("/proc/self/status").context("reading /proc/self/status")?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmHWM line in /proc/self/status")
}
