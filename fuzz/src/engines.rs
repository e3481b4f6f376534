//! weft engines for the targets, one per configuration, created once per
//! process: building Cranelift's ISA for every input would dominate a fuzz
//! run.

use std::sync::OnceLock;

/// The engine with `threads` and `multi_memory` as given and weft's default
/// (parallel) compilation. `Err` says why weft could not create it (a
/// finding: the configurations are valid).
pub fn engine(threads: bool, multi_memory: bool) -> anyhow::Result<&'static weft::Engine> {
    static ENGINES: [OnceLock<Result<weft::Engine, String>>; 4] = [const { OnceLock::new() }; 4];
    let slot = &ENGINES[usize::from(threads) * 2 + usize::from(multi_memory)];
    cached(slot, |config| {
        config.wasm_threads(threads).wasm_multi_memory(multi_memory);
    })
}

/// The threads engine, compiling on the calling thread.
///
/// For `differential_threads`: its programs are a dozen short functions,
/// and in the sanitizer build starting weft's compile workers (a new thread
/// each, with ASan's per-thread fake stack to fault in) cost about a fifth
/// of each execution (400 runs in 38 s parallel, 30 s serial). Parallel
/// compilation stays covered by the other targets.
pub fn serial_threads_engine() -> anyhow::Result<&'static weft::Engine> {
    static ENGINE: OnceLock<Result<weft::Engine, String>> = OnceLock::new();
    cached(&ENGINE, |config| {
        config.wasm_threads(true).parallel_compilation(false);
    })
}

fn cached(
    slot: &'static OnceLock<Result<weft::Engine, String>>,
    configure: impl FnOnce(&mut weft::Config),
) -> anyhow::Result<&'static weft::Engine> {
    slot.get_or_init(|| {
        let mut config = weft::Config::new();
        configure(&mut config);
        weft::Engine::new(&config).map_err(|e| format!("{e} (configuration {config:?})"))
    })
    .as_ref()
    .map_err(|e| anyhow::anyhow!("creating a weft engine: {e}"))
}
