//! `weft-spec`: runs `.wast` suites or files on one engine and prints a
//! directive count.
//!
//! ```text
//! weft-spec --engine interp|jit [--suite wasm-v2|threads|simd|own|all] [--fuel] [FILE.wast ...]
//! ```
//!
//! With neither `--suite` nor files it runs `all`. Each failing directive is
//! printed as `file:line:col: reason`, each script as `file: N passed, M
//! failed`, and the last line is `<engine>: N passed, M failed`. Scripts in
//! `spec/known-failures.txt` are run and reported separately and count
//! neither way; the exit status is non-zero when any other directive fails.
//! With `--fuel` both engines consume fuel and each script also prints
//! `file: fuel used N`, which must be the same on both engines.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use weft_spec::engines::{EngineKind, SCRIPT_TIME_LIMIT};
use weft_spec::known::KnownFailures;
use weft_spec::suite::{ScriptFile, Suite};

#[derive(Parser)]
#[command(about = "Runs WebAssembly .wast spec scripts on a weft engine")]
struct Cli {
    /// Engine to run on: interp or jit.
    #[arg(long)]
    engine: EngineKind,
    /// Suite to run: wasm-v2, threads, simd, own or all.
    #[arg(long)]
    suite: Option<String>,
    /// Consume fuel (docs/interruption.md) and print the fuel each script
    /// used (all threads): the two engines' lines must be identical.
    #[arg(long)]
    fuel: bool,
    /// Individual .wast files to run (as suite `file`).
    files: Vec<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("weft-spec: {message}");
            ExitCode::from(2)
        }
    }
}

/// Runs everything asked for; `Ok(passed)` or an error that stops the run
/// before any script (bad arguments, engine not built in).
fn run(cli: &Cli) -> Result<bool, String> {
    cli.engine.ensure_available()?;
    let scripts = select(cli)?;
    let known = KnownFailures::load()?;
    let engine = cli.engine.name();

    let mut totals = Counts::default();
    let mut fuel_total = 0u64;
    let mut known_totals = Counts::default();
    let mut now_passing = Vec::new();
    let started = Instant::now();
    for script in &scripts {
        let (report, fuel) = if cli.fuel {
            cli.engine
                .run_file_metered_within(script, SCRIPT_TIME_LIMIT)?
        } else {
            (cli.engine.run_file_within(script, SCRIPT_TIME_LIMIT)?, None)
        };
        let name = script.display_name();
        if let Some(fuel) = fuel {
            println!("{name}: fuel used {fuel}");
            fuel_total = fuel_total.wrapping_add(fuel);
        }
        let counts = Counts {
            files: 1,
            passed: report.passed,
            failed: report.failed(),
        };
        match known.reason(engine, &script.suite, &script.name) {
            Some(reason) => {
                if report.is_success() {
                    println!(
                        "{name}: {} passed, 0 failed (known failure now passes: remove it from {})",
                        report.passed,
                        KnownFailures::path().display()
                    );
                    now_passing.push(name);
                } else {
                    println!(
                        "{name}: {} passed, {} failed (known failure: {reason})",
                        report.passed,
                        report.failed()
                    );
                }
                known_totals.add(counts);
            }
            None => {
                print!("{}", report.render_failures(&name));
                println!(
                    "{name}: {} passed, {} failed",
                    report.passed,
                    report.failed()
                );
                totals.add(counts);
            }
        }
    }
    if known_totals.files > 0 {
        println!(
            "known failures: {} files, {} passed, {} failed (not counted below); {} now pass{}",
            known_totals.files,
            known_totals.passed,
            known_totals.failed,
            now_passing.len(),
            if now_passing.is_empty() {
                String::new()
            } else {
                format!(": {}", now_passing.join(", "))
            }
        );
    }
    eprintln!(
        "ran {} scripts in {:.2}s",
        scripts.len(),
        started.elapsed().as_secs_f64()
    );
    if cli.fuel {
        println!("{engine}: fuel used in total {fuel_total}");
    }
    println!(
        "{engine}: {} passed, {} failed",
        totals.passed, totals.failed
    );
    Ok(totals.failed == 0)
}

fn select(cli: &Cli) -> Result<Vec<ScriptFile>, String> {
    let mut scripts = Vec::new();
    let suites: Vec<Suite> = match cli.suite.as_deref() {
        Some("all") => Suite::ALL.to_vec(),
        Some(name) => vec![name.parse()?],
        None if cli.files.is_empty() => Suite::ALL.to_vec(),
        None => Vec::new(),
    };
    for suite in suites {
        scripts.extend(suite.files()?);
    }
    for path in &cli.files {
        scripts.push(ScriptFile::read(path)?);
    }
    Ok(scripts)
}

#[derive(Clone, Copy, Default)]
struct Counts {
    files: usize,
    passed: usize,
    failed: usize,
}

impl Counts {
    fn add(&mut self, other: Counts) {
        self.files += other.files;
        self.passed += other.passed;
        self.failed += other.failed;
    }
}
