//! Bad input never panics, and weft accepts exactly what it should: on
//! arbitrary bytes and on mutated modules `Module::from_binary` succeeds
//! exactly when wasmparser validates the bytes under weft's features, and
//! a rejection is an `InvalidModule` error.

use std::sync::OnceLock;

use arbitrary::Unstructured;
use proptest::prelude::*;
use weft::{Config, Engine, Module};

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut config = Config::new();
        config.wasm_threads(true);
        Engine::new(&config).expect("the host is supported")
    })
}

fn features() -> wasmparser::WasmFeatures {
    use wasmparser::WasmFeatures as F;
    let mut f = F::WASM2;
    f.remove(F::SIMD);
    f.insert(F::THREADS);
    f
}

/// A wasm-smith configuration limited to what weft implements.
fn smith_config(u: &mut Unstructured<'_>) -> arbitrary::Result<wasm_smith::Config> {
    let mut c: wasm_smith::Config = u.arbitrary()?;
    c.threads_enabled = true;
    c.bulk_memory_enabled = true;
    c.reference_types_enabled = true;
    c.multi_value_enabled = true;
    c.sign_extension_ops_enabled = true;
    c.saturating_float_to_int_enabled = true;
    c.simd_enabled = false;
    c.relaxed_simd_enabled = false;
    c.exceptions_enabled = false;
    c.gc_enabled = false;
    c.tail_call_enabled = false;
    c.memory64_enabled = false;
    c.custom_page_sizes_enabled = false;
    c.extended_const_enabled = false;
    c.wide_arithmetic_enabled = false;
    c.compact_imports_enabled = false;
    c.shared_everything_threads_enabled = false;
    c.custom_descriptors_enabled = false;
    c.acquire_release_atomics_enabled = false;
    c.multibyte_array_access_enabled = false;
    c.allow_invalid_funcs = false;
    c.max_memories = c.max_memories.min(1);
    c.max_instructions = c.max_instructions.min(300);
    c.max_funcs = c.max_funcs.min(30);
    Ok(c)
}

/// Checks what weft must do with `bytes`: compile them if and only if
/// wasmparser validates them under weft's features, and reject them
/// otherwise as an invalid module (which carries the offset).
fn accepts_exactly_the_valid(bytes: &[u8]) -> Result<(), String> {
    let valid = wasmparser::Validator::new_with_features(features())
        .validate_all(bytes)
        .map(drop);
    match (Module::from_binary(engine(), bytes), valid) {
        (Ok(_), Ok(())) => Ok(()),
        (Err(e), Err(_)) if matches!(e.kind(), weft::ErrorKind::InvalidModule { .. }) => Ok(()),
        (Err(e), Err(_)) => Err(format!("rejected, but not as an invalid module: {e}")),
        (Ok(_), Err(why)) => Err(format!("accepted a module wasmparser rejects: {why}")),
        (Err(e), Ok(())) => Err(format!("refused a valid module: {e}")),
    }
}

fn smith_module(seed: &[u8]) -> Option<Vec<u8>> {
    let mut u = Unstructured::new(seed);
    let config = smith_config(&mut u).ok()?;
    let module = wasm_smith::Module::new(config, &mut u).ok()?;
    Some(module.to_bytes())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_are_accepted_exactly_when_valid(
        bytes in proptest::collection::vec(any::<u8>(), 0..512),
    ) {
        prop_assert_eq!(accepts_exactly_the_valid(&bytes), Ok(()));
        let mut with_header = b"\0asm\x01\0\0\0".to_vec();
        with_header.extend_from_slice(&bytes);
        prop_assert_eq!(accepts_exactly_the_valid(&with_header), Ok(()));
    }

    #[test]
    fn valid_modules_compile_and_mutants_are_accepted_exactly_when_valid(
        seed in proptest::collection::vec(any::<u8>(), 64..4096),
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
    ) {
        let Some(bytes) = smith_module(&seed) else { return Ok(()) };
        let valid = wasmparser::Validator::new_with_features(features())
            .validate_all(&bytes)
            .is_ok();
        let compiled = Module::from_binary(engine(), &bytes);
        if valid {
            prop_assert!(compiled.is_ok(), "valid module refused: {:?}", compiled.err());
        }
        let mut mutant = bytes.clone();
        for (at, value) in flips {
            let i = at % mutant.len();
            mutant[i] = value;
        }
        prop_assert_eq!(accepts_exactly_the_valid(&mutant), Ok(()));
    }
}

/// A deterministic sweep that also shows the generator produces real
/// modules (proptest's shrinking-friendly seeds are often tiny).
#[test]
fn two_hundred_generated_modules_all_compile() {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut compiled = 0;
    let mut functions = 0;
    for _ in 0..200 {
        let seed: Vec<u8> = (0..2048).map(|_| next() as u8).collect();
        let Some(bytes) = smith_module(&seed) else {
            continue;
        };
        wasmparser::Validator::new_with_features(features())
            .validate_all(&bytes)
            .expect("wasm-smith generates valid modules");
        let module = Module::from_binary(engine(), &bytes)
            .unwrap_or_else(|e| panic!("valid module refused: {e}"));
        compiled += 1;
        functions += module.exports().len();
    }
    assert!(compiled >= 150, "only {compiled} modules generated");
    assert!(functions > 0, "generated modules export nothing");
}
