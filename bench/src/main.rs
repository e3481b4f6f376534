//! weft and wasmtime side by side: the same kernels, run alternately in one
//! process, summarized as medians, ranges and ratios.
//!
//! ```text
//! cargo run --release --manifest-path bench/Cargo.toml -- [--quick] [--json FILE] [FILTER]
//! ```
//!
//! Running both runtimes in the same process, repetition by repetition in
//! alternating order, means both see the same machine state (frequency,
//! other tenants, page cache) as closely as a shared machine allows; the
//! ratio is the number to read, the absolute times drift with the load.

mod cases;
mod floors;
mod measure;
mod report;
mod rss;
mod runtime;

use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use crate::cases::Case;
use crate::floors::Floor;
use crate::measure::{Clock, Runner, Settings, Stats};
use crate::report::{Column, Row, Table};
use crate::runtime::WasmtimeRuntime;
#[cfg(feature = "weft")]
use crate::runtime::WeftRuntime;

const USAGE: &str = "\
usage: weft-bench [--quick] [--json FILE] [--reps N] [--cpu-time] [--serial-compile]
                  [--wasmtime-explicit-checks] [--only weft|wasmtime] [--rss] [FILTER]

  --quick                      fewer repetitions and smaller inputs (under a minute)
  --json FILE                  also write one JSON object per benchmark to FILE
  --reps N                     timed repetitions per runtime (default 5 quick, 15 full)
  --cpu-time                   time single-threaded benchmarks by the thread's CPU
                               clock instead of the wall clock (steadier on a busy
                               machine; multi-threaded ones stay on the wall clock)
  --serial-compile             both runtimes compile on the calling thread only (so
                               `compile` compares work, and --cpu-time applies to it)
  --only weft|wasmtime         run one side only, without the floors (for profilers
                               and syscall counts)
  --wasmtime-explicit-checks   run wasmtime without signal handlers and guard
                               pages (bounds-checked like weft), to isolate
                               what that design choice costs
  --rss                        after the table, each real module's peak resident
                               memory for one compile, one child process per runtime
  FILTER                       run only benchmarks whose name contains FILTER

The compile_sqljs, compile_esbuild and compile_ffmpeg rows (and their _serial
twins) need `bash bench/fetch-modules.sh` first; they run 3 repetitions and
no warm-up (1 with --quick) unless --reps is given.";

/// The n/a reason of the side `--only` leaves out.
const SKIPPED: &str = "skipped (--only)";

/// The command line.
struct Options {
    settings: Settings,
    repetitions: Option<usize>,
    json: Option<String>,
    explicit_checks: bool,
    only: Option<String>,
    rss: bool,
    filter: Option<String>,
}

fn parse_options() -> Result<Option<Options>> {
    let mut options = Options {
        settings: Settings {
            quick: false,
            clock: Clock::Wall,
            serial_compile: false,
        },
        repetitions: None,
        json: None,
        explicit_checks: false,
        only: None,
        rss: false,
        filter: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => options.settings.quick = true,
            "--cpu-time" => options.settings.clock = Clock::ThreadCpu,
            "--reps" => {
                let count = args.next().context("--reps needs a number")?;
                let count: usize =
                    count.parse().ok().filter(|&n| n > 0).with_context(|| {
                        format!("--reps needs a positive number, not `{count}`")
                    })?;
                options.repetitions = Some(count);
            }
            "--json" => options.json = Some(args.next().context("--json needs a file name")?),
            "--wasmtime-explicit-checks" => options.explicit_checks = true,
            "--serial-compile" => options.settings.serial_compile = true,
            "--rss" => options.rss = true,
            "--only" => {
                let side = args.next().context("--only needs `weft` or `wasmtime`")?;
                if side != "weft" && side != "wasmtime" {
                    bail!("--only needs `weft` or `wasmtime`, not `{side}`");
                }
                options.only = Some(side);
            }
            "-h" | "--help" => return Ok(None),
            flag if flag.starts_with('-') => bail!("unknown option `{flag}`\n\n{USAGE}"),
            filter => {
                if options.filter.replace(filter.to_owned()).is_some() {
                    bail!("only one FILTER may be given\n\n{USAGE}");
                }
            }
        }
    }
    Ok(Some(options))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(rss::CHILD_OPTION) {
        return match rss::child(&args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{e:#}");
                ExitCode::FAILURE
            }
        };
    }
    match parse_options().and_then(|options| match options {
        Some(options) => run(&options),
        None => {
            println!("{USAGE}");
            Ok(())
        }
    }) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("weft-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(options: &Options) -> Result<()> {
    let settings = options.settings;
    let repetitions = options.repetitions.unwrap_or(settings.pick(5, 15));
    let warm_ups = settings.pick(1, 2);
    let matches = |name: &str| options.filter.as_deref().is_none_or(|f| name.contains(f));

    let wasmtime = WasmtimeRuntime::new(options.explicit_checks, !settings.serial_compile)?;
    #[cfg(feature = "weft")]
    let weft =
        WeftRuntime::new(!settings.serial_compile).map_err(|e| format!("weft engine: {e:#}"));

    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "{} run: {repetitions} repetitions after {warm_ups} warm-up(s), weft and wasmtime alternating; \
         {} clock; {} compilation; {cpus} CPUs; wasmtime 48.0.8 ({})",
        if settings.quick { "quick" } else { "full" },
        match settings.clock {
            Clock::Wall => "wall",
            Clock::ThreadCpu => "thread CPU (single-threaded rows)",
        },
        if settings.serial_compile {
            "serial"
        } else {
            "parallel"
        },
        if options.explicit_checks {
            "explicit bounds checks, no signals"
        } else {
            "default configuration"
        }
    );
    let mut table = Table::new();
    table.print_header();
    let floors = floors::all();
    for case in cases::all().into_iter().filter(|case| matches(case.name)) {
        #[cfg(feature = "weft")]
        let weft_runner = match &weft {
            _ if options.only.as_deref() == Some("wasmtime") => Err(SKIPPED.to_owned()),
            Ok(weft) => (case.on_weft)(weft, settings).map_err(|e| format!("{e:#}")),
            Err(e) => Err(e.clone()),
        };
        #[cfg(not(feature = "weft"))]
        let weft_runner: Result<Runner<'_>, String> =
            Err("bench built without the `weft` feature".to_owned());
        let wasmtime_runner = if options.only.as_deref() == Some("weft") {
            Err(SKIPPED.to_owned())
        } else {
            (case.on_wasmtime)(&wasmtime, settings).map_err(|e| format!("{e:#}"))
        };
        let floor = floors
            .iter()
            .find(|floor| floor.floor_of == case.name)
            .filter(|_| options.only.is_none());
        let (warm_ups, repetitions) = match case.repetitions {
            cases::Repetitions::Default => (warm_ups, repetitions),
            // Seconds per compile: a warm-up would only double the wait.
            cases::Repetitions::Few => (0, options.repetitions.unwrap_or(settings.pick(1, 3))),
        };
        let row = compare(
            &case,
            weft_runner,
            wasmtime_runner,
            floor,
            settings,
            warm_ups,
            repetitions,
        );
        table.print_row(&row);
        table.push(row);
    }
    table.print_floors();
    if options.rss {
        rss::report(!settings.serial_compile)?;
    }

    if let Some(path) = &options.json {
        std::fs::write(path, table.json_lines())
            .with_context(|| format!("writing the JSON results to {path}"))?;
        println!("\nwrote {path}");
    }
    Ok(())
}

/// Runs one benchmark on both runtimes, repetition by repetition, in
/// alternating order (weft first on even repetitions, wasmtime first on odd
/// ones) so that neither always runs on the warmer or the colder machine.
/// A native floor, if the benchmark has one, takes its turn in the same
/// rotation, so it is measured under the same load as the runtimes.
fn compare<'a>(
    case: &Case,
    weft: Result<Runner<'a>, String>,
    wasmtime: Result<Runner<'a>, String>,
    floor: Option<&'static Floor>,
    settings: Settings,
    warm_ups: usize,
    repetitions: usize,
) -> Row {
    let floor_runner: Runner<'a> = match floor {
        Some(floor) => Box::new(move || (floor.run)(settings)),
        None => Box::new(|| bail!("no floor")),
    };
    let mut sides = [
        Side::new(weft),
        Side::new(wasmtime),
        Side::new(Ok(floor_runner)),
    ];
    let rotation: &[usize] = if floor.is_some() { &[0, 1, 2] } else { &[0, 1] };
    for rep in 0..warm_ups + repetitions {
        let mut results = [None, None, None];
        for step in 0..rotation.len() {
            let index = rotation[(rep + step) % rotation.len()];
            results[index] = sides[index].repeat(rep >= warm_ups);
        }
        // Each kernel checks its own answer; requiring the two runtimes to
        // agree as well catches what a kernel's check cannot see (the
        // compiled module's output in `compile`, for one).
        if let [Some(weft), Some(wasmtime), _] = results
            && weft != wasmtime
        {
            sides[0].fail(format!(
                "result {weft} differs from wasmtime's {wasmtime} (repetition {rep})"
            ));
        }
    }
    let [weft, wasmtime, floor_column] = sides.map(Side::finish);
    Row {
        name: case.name,
        per: case.per,
        weft,
        wasmtime,
        floor: floor.map(|floor| (floor, floor_column)),
    }
}

/// One runtime's progress through a benchmark.
struct Side<'a> {
    runner: Result<Runner<'a>, String>,
    times: Vec<f64>,
}

impl<'a> Side<'a> {
    fn new(runner: Result<Runner<'a>, String>) -> Side<'a> {
        Side {
            runner,
            times: Vec::new(),
        }
    }

    /// Runs one repetition, keeping its time if `counted`; returns the
    /// kernel's result, or `None` once this side has failed.
    fn repeat(&mut self, counted: bool) -> Option<i64> {
        let runner = self.runner.as_mut().ok()?;
        match runner() {
            Ok(sample) => {
                if counted {
                    self.times.push(sample.ns_per_op());
                }
                Some(sample.result)
            }
            Err(e) => {
                self.fail(format!("{e:#}"));
                None
            }
        }
    }

    fn fail(&mut self, reason: String) {
        self.runner = Err(reason);
    }

    fn finish(self) -> Column {
        match self.runner {
            Err(reason) => Column::NotAvailable(reason),
            Ok(_) => Stats::of(&self.times).map_or_else(
                || Column::NotAvailable("no repetitions".to_owned()),
                Column::Measured,
            ),
        }
    }
}
