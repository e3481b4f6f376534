//! `weft run` for WASI programs: a module importing
//! `wasi_snapshot_preview1` or wasi-threads' `wasi` runs as a command,
//! with stdio passed through, and `weft` exits with its exit status.
//!
//! A trap in any thread prints `error: wasm trap: MESSAGE (in function N
//! "name")` and that thread's wasm backtrace (innermost first, names from
//! the name section), and exits 134, as wasmtime does.

use anyhow::{Context, anyhow};
use weft::{Engine, Linker};
use weft_wasi::{DirMode, WasiCtx, WasiCtxBuilder};

use crate::Failure;
use crate::inventory;
use crate::load::Loaded;
use crate::run::{RunArgs, trap_message};

/// The import modules that make a module a WASI program.
const WASI_MODULES: [&str; 2] = ["wasi_snapshot_preview1", "wasi"];

/// Whether `loaded` imports anything from WASI.
pub fn is_wasi(loaded: &Loaded) -> bool {
    loaded
        .module
        .imports()
        .any(|(module, _, _)| WASI_MODULES.contains(&module))
}

/// Whether a module binary imports WASI, read before it is compiled (the
/// engine's configuration depends on it). An unreadable binary is not
/// WASI; compiling it reports the problem.
pub fn imports_wasi(binary: &[u8]) -> bool {
    inventory::functions(binary).is_ok_and(|funcs| {
        funcs.iter().any(|f| {
            f.import
                .as_ref()
                .is_some_and(|(m, _)| WASI_MODULES.contains(&m.as_str()))
        })
    })
}

/// Runs the WASI program; `Failure::Exit` carries a non-zero status.
pub fn run(engine: &Engine, loaded: &Loaded, args: &RunArgs) -> Result<(), Failure> {
    if args.invoke.is_some() {
        return Err(anyhow!(
            "--invoke is for modules without WASI; this one imports WASI and runs as a command"
        )
        .into());
    }
    let mut builder = WasiCtxBuilder::new();
    builder.inherit_stdio();
    builder.arg(args.file.display().to_string());
    builder.args(args.args.iter().cloned());
    for spec in &args.env {
        match spec.split_once('=') {
            Some((name, value)) => builder.env(name, value),
            None => match std::env::var(spec) {
                Ok(value) => builder.env(spec, &value),
                Err(_) => {
                    return Err(
                        anyhow!("--env {spec}: no such variable in weft's environment").into(),
                    );
                }
            },
        };
    }
    for spec in &args.dir {
        let (host, guest) = spec
            .split_once("::")
            .unwrap_or((spec.as_str(), spec.as_str()));
        builder
            .preopened_dir(host, guest, DirMode::ReadWrite)
            .with_context(|| format!("--dir {spec}: cannot open {host}"))?;
    }
    if let Some(n) = args.max_threads {
        builder.max_threads(n);
    }
    if let Some(fuel) = args.fuel {
        builder.fuel_per_thread(fuel);
    }
    let ctx = builder.build().context("cannot set up WASI")?;
    let _timer = match args.timeout {
        Some(after) => {
            let ctx = ctx.clone();
            Some(crate::limits::Timer::start(after, move || ctx.interrupt())?)
        }
        None => None,
    };
    let mut linker: Linker<WasiCtx> = Linker::new(engine);
    weft_wasi::add_to_linker(&mut linker).context("cannot define the WASI functions")?;
    match weft_wasi::run_command(linker, &loaded.module, ctx) {
        Ok(0) => Ok(()),
        // As a process exit status, only the low byte survives.
        Ok(code) => Err(Failure::Exit((code & 0xff) as u8)),
        Err(e) => match e.as_trap() {
            Some(trap) => {
                let funcs = inventory::functions(&loaded.binary).unwrap_or_default();
                Err(Failure::Trap(anyhow!(trap_message(trap, &funcs))))
            }
            None => Err(Failure::Usage(anyhow!("{}: {e}", args.file.display()))),
        },
    }
}
