//! Compiling real programs: sql.js (SQLite by Emscripten, 0.7 MB), esbuild
//! (Go, 14 MB) and ffmpeg (C with pthreads and a shared memory, 24 MB).
//!
//! `bash bench/fetch-modules.sh` brings them from their npm packages,
//! checked by sha256, into `target/real-modules/` (never committed); a row
//! whose module is absent prints `n/a` with that command as the reason.
//! Each module has two rows: `compile_NAME` compiles as an embedder would
//! (in parallel, timed on the wall clock), `compile_NAME_serial` on the
//! calling thread only (timed by `--cpu-time` if given), so that the
//! scheduling of work across threads and the work per function are seen
//! apart. `--rss` adds each module's peak resident memory for one compile.

use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::measure::{Clock, Runner, Sample, Settings, Stopwatch};
use crate::runtime::Runtime;

/// One real module: its row name and the file `fetch-modules.sh` writes.
pub struct RealModule {
    /// The row's name: `compile_` and this.
    pub name: &'static str,
    /// The file under `target/real-modules/`.
    pub file: &'static str,
}

/// The modules, in the order of their rows.
pub const MODULES: [RealModule; 3] = [
    RealModule {
        name: "sqljs",
        file: "sqljs.wasm",
    },
    RealModule {
        name: "esbuild",
        file: "esbuild.wasm",
    },
    RealModule {
        name: "ffmpeg",
        file: "ffmpeg.wasm",
    },
];

/// Where `fetch-modules.sh` caches the modules: the main workspace's
/// `target/`, beside this crate.
fn cache_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/real-modules")
}

/// The bytes of `module`, or the reason the row is `n/a`.
pub fn load(module: &RealModule) -> Result<Vec<u8>> {
    let path = cache_dir().join(module.file);
    std::fs::read(&path).with_context(|| {
        format!(
            "{} is absent: run `bash bench/fetch-modules.sh`",
            path.display()
        )
    })
}

/// Compiles `module` per repetition, in parallel unless `serial`. The
/// result both runtimes must agree on is the module's export count.
fn compile<'a, R: Runtime>(
    runtime: &'a R,
    settings: Settings,
    module: &RealModule,
    serial: bool,
) -> Result<Runner<'a>> {
    let wasm = load(module)?;
    let (runtime, clock) = if serial || settings.serial_compile {
        (runtime.serial_compiler()?, settings.clock)
    } else {
        (runtime, Clock::Wall)
    };
    Ok(Box::new(move || {
        let start = Stopwatch::start(clock);
        let compiled = runtime.compile(&wasm)?;
        let elapsed = start.elapsed();
        let exports = runtime.export_count(&compiled);
        // Dropped outside the timed region: freeing code is not compiling.
        drop(compiled);
        Ok(Sample {
            elapsed,
            ops: 1,
            result: i64::try_from(exports)?,
        })
    }))
}

macro_rules! rows {
    ($($parallel:ident, $serial:ident => $index:literal;)*) => {
        $(
            #[doc = concat!("`compile_", stringify!($parallel), "`: see the module docs.")]
            pub fn $parallel<R: Runtime>(runtime: &R, settings: Settings) -> Result<Runner<'_>> {
                compile(runtime, settings, &MODULES[$index], false)
            }

            #[doc = concat!("`compile_", stringify!($serial), "`: see the module docs.")]
            pub fn $serial<R: Runtime>(runtime: &R, settings: Settings) -> Result<Runner<'_>> {
                compile(runtime, settings, &MODULES[$index], true)
            }
        )*
    };
}

rows! {
    sqljs, sqljs_serial => 0;
    esbuild, esbuild_serial => 1;
    ffmpeg, ffmpeg_serial => 2;
}
