//! Golden tests for generated code: each `jit/tests/disas/*.wat` file is
//! translated (before Cranelift's optimizations, which is what the
//! translator is responsible for) and compared with the `.clif` file next to
//! it by the shared harness (`super::golden`). `WEFT_BLESS=1 cargo test -p
//! weft golden` rewrites the expectations, so codegen changes show up as
//! diffs in review. Builtin calls hold no host address (they load the entry
//! from the `VMContext`'s builtin table), so they are golden-tested too.
//!
//! A first line `;; config: epoch_interruption consume_fuel` (either word)
//! turns those features on for that input; without it both are off.
//! `no_bounds_check_fusion` there turns `Config::bounds_check_fusion` off.
//! `no_loop_versioning` there turns loop versioning (on by default) off.
//! `no_inlining` on that line turns inlining (on by default) off.

use std::path::Path;

use cranelift_codegen::ir;
use cranelift_frontend::FunctionBuilderContext;
use wasmparser::FuncValidatorAllocations;

use super::golden::check_golden;
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
                "no_bounds_check_fusion" => config.bounds_check_fusion(false),
                "no_loop_versioning" => config.loop_versioning(false),
                "no_inlining" => config.inlining(false),
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
    for (defined, p) in pending {
        let index = info.func_index(defined);
        let mut func = ir::Function::new();
        func.name = ir::UserFuncName::user(0, index.as_u32());
        let validator = p.validator.into_validator(allocs);
        let validator = translate_function(&env, index, validator, &p.body, &mut func, &mut fctx)
            .expect("golden inputs translate");
        allocs = validator.into_allocations();
        out.push_str(&func.display().to_string());
        out.push('\n');
    }
    out
}

#[test]
fn golden_clif_matches() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/disas");
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/disas exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "wat"))
        .collect();
    inputs.sort();
    let cases = inputs.into_iter().map(|wat_path| {
        let wat = std::fs::read_to_string(&wat_path).expect("readable input");
        let name = wat_path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("golden inputs have UTF-8 names")
            .to_owned();
        (name, translate_to_clif(&wat))
    });
    check_golden(&dir, cases);
}
