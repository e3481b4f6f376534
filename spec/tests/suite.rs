//! Every script of every suite as its own test, for every engine built in:
//! `interp::wasm-v2::i32.wast`, `interp::own::notify_count.wast`, ...
//!
//! Scripts listed in `spec/known-failures.txt` still run: while they fail
//! they are reported as ignored with the listed reason, and once they pass
//! the trial fails, asking for the entry to be removed — so the list only
//! shrinks.
//!
//! `<engine>::own::threads-repeated` runs each of weft's own multi-threaded
//! scripts many times in a row (`WEFT_SPEC_REPEAT`, default 50) to show that
//! their outcomes do not depend on the interleaving.

use std::time::Instant;

use libtest_mimic::{Arguments, Completion, Failed, Trial};
use weft_spec::engines::{EngineKind, SCRIPT_TIME_LIMIT};
use weft_spec::known::KnownFailures;
use weft_spec::suite::{ScriptFile, Suite};

const DEFAULT_REPEAT: usize = 50;

fn main() {
    let args = Arguments::from_args();
    let trials = match trials() {
        Ok(trials) => trials,
        Err(message) => {
            eprintln!("cannot list the spec trials: {message}");
            std::process::exit(2);
        }
    };
    libtest_mimic::run(&args, trials).exit();
}

fn trials() -> Result<Vec<Trial>, String> {
    let known = KnownFailures::load()?;
    let mut trials = Vec::new();
    for &engine in EngineKind::AVAILABLE {
        let mut threaded = Vec::new();
        for suite in Suite::ALL {
            for script in suite.files()? {
                let name = format!("{engine}::{suite}::{}", script.name);
                let reason = known
                    .reason(engine.name(), &script.suite, &script.name)
                    .map(str::to_string);
                if suite == Suite::Own && script.text.contains("(thread") {
                    threaded.push(script.clone());
                }
                trials.push(Trial::ignorable_test(name, move || {
                    run_one(engine, &script, reason)
                }));
            }
        }
        trials.push(Trial::test(
            format!("{engine}::own::threads-repeated"),
            move || repeat(engine, &threaded),
        ));
    }
    trials.push(Trial::test(
        "known-failures::entries-name-real-scripts",
        move || check_known(&known),
    ));
    trials.push(Trial::test(
        "cli::prints-failures-counts-and-summary",
        cli_output,
    ));
    Ok(trials)
}

fn run_one(
    engine: EngineKind,
    script: &ScriptFile,
    known_reason: Option<String>,
) -> Result<Completion, Failed> {
    let report = engine.run_file_within(script, SCRIPT_TIME_LIMIT)?;
    let name = script.display_name();
    match (report.is_success(), known_reason) {
        (true, None) => Ok(Completion::Completed),
        (false, Some(reason)) => Ok(Completion::ignored_with(format!(
            "known failure ({} of {} directives fail): {reason}",
            report.failed(),
            report.passed + report.failed()
        ))),
        (true, Some(_)) => Err(format!(
            "{name} is listed in {} but now passes all {} directives: remove the entry",
            KnownFailures::path().display(),
            report.passed
        )
        .into()),
        (false, None) => Err(format!(
            "{}{name}: {} passed, {} failed",
            report.render_failures(&name),
            report.passed,
            report.failed()
        )
        .into()),
    }
}

fn repeat(engine: EngineKind, scripts: &[ScriptFile]) -> Result<(), Failed> {
    if scripts.is_empty() {
        return Err("no multi-threaded scripts found under spec/tests".into());
    }
    let rounds = match std::env::var("WEFT_SPEC_REPEAT") {
        Ok(text) => text
            .parse::<usize>()
            .map_err(|e| format!("WEFT_SPEC_REPEAT={text}: {e}"))?,
        Err(_) => DEFAULT_REPEAT,
    };
    let started = Instant::now();
    for round in 0..rounds {
        for script in scripts {
            let report = engine.run_file_within(script, SCRIPT_TIME_LIMIT)?;
            if !report.is_success() {
                let name = script.display_name();
                return Err(format!(
                    "round {round} of {rounds}:\n{}{name}: {} passed, {} failed",
                    report.render_failures(&name),
                    report.passed,
                    report.failed()
                )
                .into());
            }
        }
    }
    eprintln!(
        "{engine}: {} threaded scripts x {rounds} rounds in {:.1}s",
        scripts.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The CLI's output contract: each failing directive as `file:line:col:
/// reason`, one count line per file, one summary line last, and a failing
/// exit status when anything failed.
fn cli_output() -> Result<(), Failed> {
    let dir = std::env::temp_dir().join(format!("weft-spec-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let good = dir.join("good.wast");
    let bad = dir.join("bad.wast");
    std::fs::write(
        &good,
        "(module (func (export \"f\") (result i32) (i32.const 1)))\n\
         (assert_return (invoke \"f\") (i32.const 1))\n",
    )
    .map_err(|e| e.to_string())?;
    std::fs::write(
        &bad,
        "(module (func (export \"f\") (result i32) (i32.const 1)))\n\
         (assert_return (invoke \"f\") (i32.const 2))\n\
         (assert_trap (invoke \"f\") \"unreachable\")\n",
    )
    .map_err(|e| e.to_string())?;
    let run = |files: &[&std::path::Path]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_weft-spec"))
            .args(["--engine", "interp"])
            .args(files)
            .output()
            .map_err(|e| e.to_string())
    };

    let out = run(&[&good, &bad])?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    let (good, bad) = (good.display(), bad.display());
    let expected_prefixes = [
        format!("{good}: 2 passed, 0 failed"),
        format!("{bad}:2:2: result 0: expected i32:2, got i32:1"),
        format!("{bad}:3:2: expected trap \"unreachable\", returned [i32:1]"),
        format!("{bad}: 1 passed, 2 failed"),
        "interp: 3 passed, 2 failed".to_string(),
    ];
    let matches = lines.len() == expected_prefixes.len()
        && lines
            .iter()
            .zip(&expected_prefixes)
            .all(|(line, prefix)| line.starts_with(prefix.as_str()));
    if !matches || out.status.success() {
        return Err(format!(
            "unexpected CLI output (status {}):\n{stdout}\nexpected lines starting with:\n{}",
            out.status,
            expected_prefixes.join("\n")
        )
        .into());
    }

    let out = run(&[std::path::Path::new(&*good.to_string())])?;
    if !out.status.success()
        || !String::from_utf8_lossy(&out.stdout).ends_with("interp: 2 passed, 0 failed\n")
    {
        return Err(format!("a passing file should exit 0 with a clean summary: {out:?}").into());
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Every entry of the known-failures list must name an engine, a suite and a
/// script that exist; a typo would otherwise silently ignore nothing.
fn check_known(known: &KnownFailures) -> Result<(), Failed> {
    for entry in known.entries() {
        entry
            .engine
            .parse::<EngineKind>()
            .map_err(|e| format!("{}: {e}", KnownFailures::path().display()))?;
        let suite: Suite = entry
            .suite
            .parse()
            .map_err(|e| format!("{}: {e}", KnownFailures::path().display()))?;
        if !suite.files()?.iter().any(|f| f.name == entry.file) {
            return Err(format!(
                "{}: no script {} in suite {suite}",
                KnownFailures::path().display(),
                entry.file
            )
            .into());
        }
    }
    Ok(())
}
