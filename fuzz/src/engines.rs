//! weft engines for the targets, one per feature combination, created once
//! per process: building Cranelift's ISA for every input would dominate a
//! fuzz run.

use std::sync::OnceLock;

/// The engine with `threads` and `multi_memory` as given. `Err` says why
/// weft could not create it (a finding: the configurations are valid).
pub fn engine(threads: bool, multi_memory: bool) -> anyhow::Result<&'static weft::Engine> {
    static ENGINES: [OnceLock<Result<weft::Engine, String>>; 4] = [const { OnceLock::new() }; 4];
    let slot = &ENGINES[usize::from(threads) * 2 + usize::from(multi_memory)];
    slot.get_or_init(|| {
        let mut config = weft::Config::new();
        config.wasm_threads(threads).wasm_multi_memory(multi_memory);
        weft::Engine::new(&config).map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| {
        anyhow::anyhow!("creating an engine (threads {threads}, multi-memory {multi_memory}): {e}")
    })
}
