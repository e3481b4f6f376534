//! wasm-smith configurations for weft's feature set, and the one rewrite
//! generated modules need before they can run single-threaded.
//!
//! weft implements Wasm 2.0 (SIMD included), plus threads (and multi-memory
//! when asked). Every configuration here turns wasm-smith's other proposals
//! off so that what it generates is what weft must accept. `compile` and
//! `differential` generate SIMD; the other targets do not yet.

use anyhow::Context as _;
use arbitrary::Unstructured;
use wasm_encoder::reencode::{self, Reencode};
use wasm_smith::Config;
use wasmparser::WasmFeatures;

/// The largest memory a differential module may declare: every byte is
/// compared after every call, so it stays small.
pub const DIFF_MAX_MEMORY_PAGES: u64 = 4;

/// Fuel given to `ensure_termination`: the budget of loop iterations and
/// calls a module gets for the whole run (the fuel global is never reset).
pub const DIFF_FUEL: u32 = 2_000;

/// The wasmparser features weft validates with, given its two switches.
pub fn weft_features(threads: bool, multi_memory: bool) -> WasmFeatures {
    let mut features = WasmFeatures::WASM2;
    features.set(WasmFeatures::THREADS, threads);
    features.set(WasmFeatures::MULTI_MEMORY, multi_memory);
    features
}

/// Restricts `config` to the proposals weft implements.
fn restrict_to_weft(config: &mut Config, threads: bool, multi_memory: bool) {
    config.threads_enabled = threads;
    config.bulk_memory_enabled = true;
    config.reference_types_enabled = true;
    config.multi_value_enabled = true;
    config.sign_extension_ops_enabled = true;
    config.saturating_float_to_int_enabled = true;
    config.simd_enabled = false;
    config.relaxed_simd_enabled = false;
    config.exceptions_enabled = false;
    config.gc_enabled = false;
    config.tail_call_enabled = false;
    config.memory64_enabled = false;
    config.custom_page_sizes_enabled = false;
    config.extended_const_enabled = false;
    config.wide_arithmetic_enabled = false;
    config.compact_imports_enabled = false;
    config.shared_everything_threads_enabled = false;
    config.custom_descriptors_enabled = false;
    config.acquire_release_atomics_enabled = false;
    config.multibyte_array_access_enabled = false;
    config.allow_invalid_funcs = false;
    if !multi_memory {
        config.max_memories = config.max_memories.min(1);
    }
}

/// A configuration for the `compile` target: wasm-smith's own arbitrary
/// shapes and sizes, within weft's features.
pub fn compile_config(
    u: &mut Unstructured<'_>,
    threads: bool,
    multi_memory: bool,
) -> arbitrary::Result<Config> {
    let mut config: Config = u.arbitrary()?;
    restrict_to_weft(&mut config, threads, multi_memory);
    config.simd_enabled = true;
    // Large bodies make the test slow without finding more; libFuzzer's own
    // size limit still lets it grow bodies up to this.
    config.max_instructions = config.max_instructions.min(500);
    config.max_funcs = config.max_funcs.min(50);
    Ok(config)
}

/// A configuration for the `instantiate` target: imports of every kind are
/// allowed (the target provides them), memories and tables stay small enough
/// to create many per second.
pub fn instantiate_config(u: &mut Unstructured<'_>) -> arbitrary::Result<Config> {
    let mut config = Config::default();
    restrict_to_weft(&mut config, true, false);
    config.max_imports = u.int_in_range(0..=12)?;
    config.max_funcs = 20;
    config.max_memory32_bytes = 16 << 16;
    config.memory_max_size_required = u.arbitrary()?;
    config.max_table_elements = 1_000;
    config.max_tables = 3;
    config.allow_start_export = true;
    Ok(config)
}

/// A configuration for the `differential` target: no imports, everything
/// exported (so every function is called and every memory, global and table
/// compared), SIMD on, NaNs canonicalized (wasm-smith covers the `f32x4` and
/// `f64x2` arithmetic too), memories bounded.
pub fn differential_config(u: &mut Unstructured<'_>) -> arbitrary::Result<Config> {
    let mut config = Config::default();
    restrict_to_weft(&mut config, true, false);
    config.simd_enabled = true;
    config.max_imports = 0;
    config.export_everything = true;
    config.canonicalize_nans = true;
    config.max_memory32_bytes = DIFF_MAX_MEMORY_PAGES << 16;
    config.memory_max_size_required = true;
    config.max_table_elements = 200;
    config.table_max_size_required = true;
    config.max_tables = 2;
    // Random bytes spend themselves on types and globals first; keep those
    // few so that the input goes into function bodies.
    config.min_funcs = 1;
    config.max_funcs = u.int_in_range(1..=12)?;
    config.max_types = 12;
    config.max_globals = 12;
    config.max_instructions = u.int_in_range(1..=120)?;
    config.max_data_segments = 8;
    config.max_element_segments = 8;
    config.allow_start_export = true;
    Ok(config)
}

/// Generates a module from `config`; with `fuel`, adds wasm-smith's
/// termination fuel; then bounds every wait (see [`bound_waits`]).
///
/// `Err` from `arbitrary` means the input ran out or could not shape a
/// module: the caller has nothing to check. The inner `anyhow` error is a
/// harness failure (the rewrite could not read wasm-smith's own output).
pub fn generate(
    config: Config,
    u: &mut Unstructured<'_>,
    fuel: Option<u32>,
) -> arbitrary::Result<anyhow::Result<Vec<u8>>> {
    let mut module = wasm_smith::Module::new(config, u)?;
    if let Some(fuel) = fuel {
        // Fails only for function bodies made of raw bytes, which the
        // configurations here never ask for.
        if module.ensure_termination(fuel).is_err() {
            return Err(arbitrary::Error::IncorrectFormat);
        }
    }
    Ok(bound_waits(&module.to_bytes()))
}

/// Rewrites every `memory.atomic.wait32/64` so that its timeout is 0.
///
/// wasm-smith draws the timeout from the operand stack, and a negative one
/// means "forever": a single-threaded run that waits on a shared memory with
/// the current value would block for good. With a zero timeout the result is
/// still fully specified ("not-equal" or "timed-out", or a trap), so the
/// engines can be compared on it. The rewrite inserts `drop; i64.const 0`
/// in front of the wait, which keeps the module valid.
pub fn bound_waits(bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut out = wasm_encoder::Module::new();
    WaitBounder
        .parse_core_module(&mut out, wasmparser::Parser::new(0), bytes)
        .map_err(|e| anyhow::anyhow!("{e:?}"))
        .context("re-encoding a generated module to bound its waits")?;
    Ok(out.finish())
}

/// The re-encoder behind [`bound_waits`]: everything is copied as is except
/// function bodies, which get the timeout rewrite.
struct WaitBounder;

impl Reencode for WaitBounder {
    type Error = std::convert::Infallible;

    fn parse_function_body(
        &mut self,
        code: &mut wasm_encoder::CodeSection,
        func: wasmparser::FunctionBody<'_>,
    ) -> Result<(), reencode::Error<Self::Error>> {
        use wasm_encoder::Instruction;
        use wasmparser::Operator;

        let mut function = self.new_function_with_parsed_locals(&func)?;
        let mut reader = func.get_operators_reader()?;
        while !reader.eof() {
            let op = reader.read()?;
            if matches!(
                op,
                Operator::MemoryAtomicWait32 { .. } | Operator::MemoryAtomicWait64 { .. }
            ) {
                function.instruction(&Instruction::Drop);
                function.instruction(&Instruction::I64Const(0));
            }
            function.instruction(&self.instruction(op)?);
        }
        code.function(&function);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeds;

    fn validate(bytes: &[u8]) -> Result<(), wasmparser::BinaryReaderError> {
        wasmparser::Validator::new_with_features(weft_features(true, false))
            .validate_all(bytes)
            .map(drop)
    }

    /// For each wait in `bytes`, whether it is preceded by `drop; i64.const 0`.
    fn wait_preludes(bytes: &[u8]) -> Vec<bool> {
        use wasmparser::Operator;
        let mut found = Vec::new();
        for payload in wasmparser::Parser::new(0).parse_all(bytes) {
            let Ok(wasmparser::Payload::CodeSectionEntry(body)) = payload else {
                continue;
            };
            let ops = body
                .get_operators_reader()
                .expect("valid body")
                .into_iter()
                .collect::<Result<Vec<_>, _>>()
                .expect("valid body");
            for (i, op) in ops.iter().enumerate() {
                if matches!(
                    op,
                    Operator::MemoryAtomicWait32 { .. } | Operator::MemoryAtomicWait64 { .. }
                ) {
                    found.push(
                        i >= 2
                            && matches!(ops[i - 2], Operator::Drop)
                            && matches!(ops[i - 1], Operator::I64Const { value: 0 }),
                    );
                }
            }
        }
        found
    }

    #[test]
    fn differential_modules_validate_and_have_bounded_waits() {
        let mut generated = 0;
        seeds::for_each_input(200, 256..4096, |data| {
            let mut u = Unstructured::new(data);
            let Ok(config) = differential_config(&mut u) else {
                return;
            };
            let Ok(bytes) = generate(config, &mut u, Some(DIFF_FUEL)) else {
                return;
            };
            let bytes = bytes.expect("wasm-smith output re-encodes");
            validate(&bytes).expect("rewritten modules stay valid");
            generated += 1;
            for bounded in wait_preludes(&bytes) {
                assert!(bounded, "a wait kept its generated timeout");
            }
        });
        assert!(generated > 150, "only {generated} modules generated");
    }

    #[test]
    fn bound_waits_rewrites_a_forever_wait() {
        let bytes = wat::parse_str(
            r#"(module (memory 1 1 shared)
                 (func (export "w") (result i32)
                   (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1))))"#,
        )
        .expect("valid text");
        let rewritten = bound_waits(&bytes).expect("re-encodes");
        validate(&rewritten).expect("still valid");
        assert_eq!(wait_preludes(&bytes), [false]);
        assert_eq!(wait_preludes(&rewritten), [true]);
    }
}
