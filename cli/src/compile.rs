//! `weft compile`: validate and compile a module, then list its functions.
//!
//! One line per function, in index order:
//!
//! ```text
//! func[0] import env.log (param i32)
//! func[1] "add" (param i32 i32) (result i32): 9 bytes of wasm, 57 bytes of machine code
//! ```
//!
//! then the totals. Wasm sizes are those of the function bodies in the
//! binary; machine-code sizes are what the compiler placed in code memory
//! (`Module::function_code_sizes`). A module that does not
//! validate or compile is an error with its byte offset (or, for text, its
//! line and column).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use weft::{Config, Engine};

use crate::Failure;
use crate::inventory::{self, Signature};
use crate::load;

#[derive(Args)]
pub struct CompileArgs {
    /// The module: .wasm binary or .wat text.
    file: PathBuf,
}

pub fn run(args: &CompileArgs) -> Result<(), Failure> {
    let mut config = Config::new();
    config.wasm_threads(true);
    let engine = Engine::new(&config).context("cannot create the engine")?;
    let started = Instant::now();
    let loaded = load::load(&engine, &args.file)?;
    let elapsed = started.elapsed();
    let funcs =
        inventory::functions(&loaded.binary).with_context(|| format!("{}", args.file.display()))?;
    let code_sizes: std::collections::HashMap<u32, usize> =
        loaded.module.function_code_sizes().collect();

    let mut defined = 0usize;
    let mut body_bytes = 0u64;
    let mut code_bytes = 0usize;
    for f in &funcs {
        let ty = Signature(&f.ty);
        match (&f.import, f.body_size) {
            (Some((module, name)), _) => {
                println!("func[{}] import {module}.{name} {ty}", f.index);
            }
            (None, size) => {
                defined += 1;
                // A validated module has a body for every defined function.
                let size = size.unwrap_or_default();
                body_bytes += size;
                // The module compiled every defined function.
                let code = code_sizes.get(&f.index).copied().unwrap_or_default();
                code_bytes += code;
                match f.name() {
                    Some(name) => println!(
                        "func[{}] \"{name}\" {ty}: {size} bytes of wasm, {code} bytes of machine code",
                        f.index
                    ),
                    None => println!(
                        "func[{}] {ty}: {size} bytes of wasm, {code} bytes of machine code",
                        f.index
                    ),
                }
            }
        }
    }
    println!(
        "{} functions ({} imported, {defined} defined), {body_bytes} bytes of wasm code, \
         {code_bytes} bytes of machine code, compiled in {:.1} ms",
        funcs.len(),
        funcs.len() - defined,
        elapsed.as_secs_f64() * 1e3
    );
    Ok(())
}
