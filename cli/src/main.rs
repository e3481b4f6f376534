//! `weft`: run, test and compile WebAssembly modules on weft's JIT.
//!
//! ```text
//! weft run [--dir H::G] [--env N=V] FILE [ARGS...]   run a WASI program
//! weft run FILE [--invoke NAME] [ARGS...]   instantiate a module, call a function
//! weft wast FILE...                         run .wast scripts on the JIT
//! weft compile FILE                         validate and compile, list the functions
//! ```
//!
//! Every failure is one line on stderr, `error: what (where)` (a trap's
//! wasm backtrace follows it, one line per frame), and a non-zero exit
//! status: 1 when wasm trapped or a script had failures, 2
//! when the input or the arguments were wrong (what clap itself uses for
//! bad arguments). `docs/cli.md` has the details; each subcommand's file
//! says what it does.

mod compile;
mod inventory;
mod limits;
mod load;
mod run;
mod value;
mod wasi;
mod wast;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// A failure that ends the command: how to exit and what to say.
#[derive(Debug)]
enum Failure {
    /// The input, the arguments or the environment were wrong: exit 2.
    Usage(anyhow::Error),
    /// Wasm ran and failed (a trap): exit 1.
    Wasm(anyhow::Error),
    /// Something failed and the output already says what (a script's
    /// failing directives): exit 1 without another line.
    Reported,
    /// A WASI program exited with this non-zero status: exit with it.
    Exit(u8),
    /// A WASI program trapped: exit 134, as wasmtime does.
    Trap(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Failure {
        Failure::Usage(e)
    }
}

#[derive(Parser)]
#[command(
    name = "weft",
    version,
    about = "Run, test and compile WebAssembly on weft's Cranelift JIT",
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Instantiate a module (.wasm or .wat) and call a function.
    Run(run::RunArgs),
    /// Run .wast scripts on the JIT and count their directives.
    Wast(wast::WastArgs),
    /// Validate and compile a module; list its functions.
    Compile(compile::CompileArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Run(args) => run::run(&args),
        Command::Wast(args) => wast::run(&args),
        Command::Compile(args) => compile::run(&args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Wasm(e)) => {
            report(&e);
            ExitCode::from(1)
        }
        Err(Failure::Reported) => ExitCode::from(1),
        Err(Failure::Exit(code)) => ExitCode::from(code),
        Err(Failure::Trap(e)) => {
            report(&e);
            ExitCode::from(134)
        }
        Err(Failure::Usage(e)) => {
            report(&e);
            ExitCode::from(2)
        }
    }
}

/// Prints an error and its causes on one line: `error: outer: inner`; a
/// trap's wasm backtrace (see `run::trap_message`) follows on lines of its
/// own.
fn report(e: &anyhow::Error) {
    let full = format!("{e:#}");
    let (text, backtrace) = match full.split_once(run::BACKTRACE_HEADER) {
        Some((text, frames)) => (text, Some(frames)),
        None => (full.as_str(), None),
    };
    // Causes may be multi-line (a `.wat` parse error renders the source);
    // one line per error is the promise, so fold them.
    let one_line: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    eprintln!("error: {}", one_line.join(" "));
    if let Some(frames) = backtrace {
        eprintln!("{}{frames}", run::BACKTRACE_HEADER.trim_start());
    }
}
