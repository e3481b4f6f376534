//! Golden tests for generated code: each `jit/tests/disas/*.wat` file is
//! translated (before Cranelift's optimizations, which is what the
//! translator is responsible for) and compared with the `.clif` file next to
//! it. `WEFT_BLESS=1 cargo test -p weft golden` rewrites the expectations,
//! so codegen changes show up as diffs in review.
//!
//! Keep the inputs free of builtin calls: those embed host addresses that
//! change from build to build. The one exception is the epoch check's cold
//! call, whose address is printed as `<epoch_interrupt>`.
//!
//! A first line `;; config: epoch_interruption consume_fuel` (either word)
//! turns those features on for that input; without it both are off.

use std::path::{Path, PathBuf};

use cranelift_codegen::ir;
use cranelift_frontend::FunctionBuilderContext;
use wasmparser::FuncValidatorAllocations;

use super::{TranslateEnv, translate_function};
use crate::engine::Engine;
use crate::environ::read_module;

/// The translated CLIF of every defined function of `wat`.
fn translate_to_clif(wat: &str) -> String {
    let mut config = crate::Config::new();
    config.wasm_threads(true);
    if let Some(words) = wat
        .lines()
        .next()
        .and_then(|l| l.strip_prefix(";; config:"))
    {
        for word in words.split_whitespace() {
            match word {
                "epoch_interruption" => config.epoch_interruption(true),
                "consume_fuel" => config.consume_fuel(true),
                other => panic!("unknown golden config word {other}"),
            };
        }
    }
    let engine = Engine::new(&config).expect("supported host");
    let bytes = wat::parse_str(wat).expect("golden inputs are valid text");
    let (info, pending) = read_module(&engine, &bytes).expect("golden inputs are valid");
    let env = TranslateEnv::new(&engine, &info, &pending);
    let mut fctx = FunctionBuilderContext::new();
    let mut allocs = FuncValidatorAllocations::default();
    let mut out = String::new();
    for (i, p) in pending.into_iter().enumerate() {
        let index = info.counts.imported_funcs + i as u32;
        let mut func = ir::Function::new();
        func.name = ir::UserFuncName::user(0, index);
        let validator = p.validator.into_validator(allocs);
        let validator = translate_function(&env, index, validator, &p.body, &mut func, &mut fctx)
            .expect("golden inputs translate");
        allocs = validator.into_allocations();
        out.push_str(&func.display().to_string());
        out.push('\n');
    }
    let address = crate::builtins::Builtin::epoch_interrupt.address() as i64;
    let shown = ir::immediates::Imm64::new(address).to_string();
    out.replace(&shown, "<epoch_interrupt>")
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/disas")
}

#[test]
fn golden_clif_matches() {
    let bless = std::env::var_os("WEFT_BLESS").is_some();
    let mut inputs: Vec<_> = std::fs::read_dir(golden_dir())
        .expect("tests/disas exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "wat"))
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "no golden inputs");
    let mut mismatches = Vec::new();
    for wat_path in inputs {
        let wat = std::fs::read_to_string(&wat_path).expect("readable input");
        let actual = translate_to_clif(&wat);
        let clif_path = wat_path.with_extension("clif");
        if bless {
            std::fs::write(&clif_path, &actual).expect("writable expectation");
            continue;
        }
        let expected = std::fs::read_to_string(&clif_path).unwrap_or_default();
        if expected != actual {
            mismatches.push(format!(
                "{}: translation changed (WEFT_BLESS=1 to accept)\n--- expected\n{expected}\n--- actual\n{actual}",
                wat_path.display()
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
