//! `weft run`: run a WASI program, or instantiate a module and call a
//! function.
//!
//! A module that imports WASI runs as a command (`crate::wasi`). Any
//! other module gets no imports: the CLI has no other host functions to
//! offer, so a module that imports anything else is refused before
//! instantiation with the first import named. Instantiation runs the start
//! function. Then:
//!
//! - with `--invoke NAME`, the export `NAME` is called with `ARGS` parsed by
//!   its parameter types (see `value`), and each result is printed on its
//!   own line;
//! - without it, the first of the exports `_start` and `main` that is a
//!   function without parameters is called the same way; a module with
//!   neither only runs its start function. (`main` with parameters is left
//!   alone: ask for it with `--invoke main ARGS`.)
//!
//! A trap prints `error: wasm trap: MESSAGE (in function N "name")` and
//! the wasm backtrace (innermost frame first, function names from the name
//! section), and exits with status 1.

use std::path::PathBuf;

use anyhow::{Context, anyhow, bail};
use clap::Args;
use weft::{Config, Engine, Extern, ExternType, Func, Instance, Store, Val};

use crate::Failure;
use crate::inventory::{self, FuncInfo};
use crate::load;
use crate::value;

/// The exports run without `--invoke`, in order of preference.
const ENTRY_POINTS: [&str; 2] = ["_start", "main"];

#[derive(Args)]
pub struct RunArgs {
    /// Give a WASI program the host directory HOST, as GUEST (default:
    /// the same path); repeatable.
    #[arg(long, value_name = "HOST[::GUEST]")]
    pub dir: Vec<String>,
    /// Set a WASI program's environment variable (NAME alone passes
    /// weft's own value); repeatable.
    #[arg(long, value_name = "NAME[=VAL]")]
    pub env: Vec<String>,
    /// The most threads a WASI program may have alive besides the main
    /// one (thread-spawn fails beyond it).
    #[arg(long, value_name = "N")]
    pub max_threads: Option<u32>,
    /// Run with N units of fuel (per thread for a WASI program); running
    /// out traps.
    #[arg(long, value_name = "N")]
    pub fuel: Option<u64>,
    /// Interrupt the run after DURATION (e.g. 10s, 500ms, 2m): a trap.
    #[arg(long, value_name = "DURATION", value_parser = crate::limits::parse_duration)]
    pub timeout: Option<std::time::Duration>,
    /// The module: .wasm binary or .wat text.
    pub file: PathBuf,
    /// The exported function to call; without it, `_start` or `main` is
    /// called if exported with no parameters. Not for WASI programs.
    #[arg(long, value_name = "NAME")]
    pub invoke: Option<String>,
    /// A WASI program's arguments; otherwise the function's, by its
    /// parameter types: integers in decimal or 0x hex; floats in decimal,
    /// inf, nan or nan:0xPAYLOAD.
    #[arg(
        allow_hyphen_values = true,
        trailing_var_arg = true,
        value_name = "ARGS"
    )]
    pub args: Vec<String>,
}

pub fn run(args: &RunArgs) -> Result<(), Failure> {
    let mut config = Config::new();
    config.wasm_threads(true);
    // A WASI program's exit must stop threads busy in wasm, which takes
    // the epoch checks; other modules run without them.
    let binary = load::read_binary(&args.file)?;
    config.epoch_interruption(crate::wasi::imports_wasi(&binary) || args.timeout.is_some());
    config.consume_fuel(args.fuel.is_some());
    let engine = Engine::new(&config).context("cannot create the engine")?;
    let loaded = load::load(&engine, &args.file)?;
    if crate::wasi::is_wasi(&loaded) {
        return crate::wasi::run(&engine, &loaded, args);
    }
    let file = args.file.display();
    if let Some((module, name, ty)) = loaded.module.imports().next() {
        return Err(anyhow!(
            "{file}: cannot satisfy import \"{module}\" \"{name}\" ({}): \
             `weft run` provides only WASI's imports",
            describe(&ty)
        )
        .into());
    }
    // Only used to name a function in a trap message, so a module whose
    // function list cannot be read still runs.
    let funcs = inventory::functions(&loaded.binary).unwrap_or_default();

    let mut store = Store::new(&engine, ());
    store.set_epoch_deadline(u64::MAX);
    if let Some(fuel) = args.fuel {
        store.set_fuel(fuel).context("setting the fuel")?;
    }
    let _timer = match args.timeout {
        Some(after) => {
            let handle = store.interrupt_handle();
            Some(crate::limits::Timer::start(after, move || {
                handle.interrupt()
            })?)
        }
        None => None,
    };
    let instance = Instance::new(&mut store, &loaded.module, &[])
        .map_err(|e| wasm_error(e, &funcs, "instantiating"))?;
    let (name, func) = match &args.invoke {
        Some(name) => (name.clone(), export_func(&store, &instance, name)?),
        None => match entry_point(&store, &instance) {
            Some(entry) => entry,
            None if args.args.is_empty() => return Ok(()),
            None => {
                return Err(
                    anyhow!("arguments given but nothing to call: use --invoke NAME").into(),
                );
            }
        },
    };
    let ty = func
        .ty(&store)
        .with_context(|| format!("reading the type of {name}"))?;
    let params = ty.params();
    if params.len() != args.args.len() {
        let types: Vec<String> = params.iter().map(ToString::to_string).collect();
        return Err(anyhow!(
            "{name} takes {} argument{} ({}), {} given",
            params.len(),
            if params.len() == 1 { "" } else { "s" },
            types.join(", "),
            args.args.len()
        )
        .into());
    }
    let call_args = params
        .iter()
        .zip(&args.args)
        .enumerate()
        .map(|(i, (ty, text))| {
            value::parse(*ty, text)
                .with_context(|| format!("argument {} of {name} (param {i}: {ty})", i + 1))
        })
        .collect::<anyhow::Result<Vec<Val>>>()?;
    let mut results: Vec<Val> = ty.results().iter().map(|t| Val::default_for(*t)).collect();
    func.call(&mut store, &call_args, &mut results)
        .map_err(|e| wasm_error(e, &funcs, &format!("calling {name}")))?;
    for result in &results {
        println!("{}", value::format(result));
    }
    Ok(())
}

/// What an import asks for, in a few words.
fn describe(ty: &ExternType) -> String {
    match ty {
        ExternType::Func(f) => format!("a function {f}"),
        ExternType::Memory(m) if m.shared => "a shared memory".to_string(),
        ExternType::Memory(_) => "a memory".to_string(),
        ExternType::Table(_) => "a table".to_string(),
        ExternType::Global(_) => "a global".to_string(),
    }
}

/// The exported function `name`, or an error listing what is exported.
fn export_func(store: &Store<()>, instance: &Instance, name: &str) -> anyhow::Result<Func> {
    match instance.get_export(store, name) {
        Some(Extern::Func(func)) => Ok(func),
        Some(_) => bail!("export \"{name}\" is not a function"),
        None => {
            let funcs: Vec<String> = instance
                .exports(store)
                .into_iter()
                .filter(|(_, x)| matches!(x, Extern::Func(_)))
                .map(|(n, _)| format!("\"{n}\""))
                .collect();
            if funcs.is_empty() {
                bail!("no export \"{name}\": the module exports no functions")
            }
            bail!(
                "no export \"{name}\"; exported functions: {}",
                funcs.join(", ")
            )
        }
    }
}

/// The entry point to call without `--invoke`, if the module has one.
fn entry_point(store: &Store<()>, instance: &Instance) -> Option<(String, Func)> {
    ENTRY_POINTS.iter().find_map(|&name| {
        let func = instance.get_func(store, name)?;
        let ty = func.ty(store).ok()?;
        ty.params().is_empty().then(|| (name.to_string(), func))
    })
}

/// A trap is wasm failing (exit 1), named by function; anything else from
/// instantiating or calling is a usage problem (exit 2).
fn wasm_error(e: weft::Error, funcs: &[FuncInfo], doing: &str) -> Failure {
    match e.as_trap() {
        Some(trap) => Failure::Wasm(anyhow!(trap_message(trap, funcs))),
        None => Failure::Usage(anyhow!("{doing}: {e}")),
    }
}

/// What separates a trap's message from its backtrace in [`trap_message`].
pub const BACKTRACE_HEADER: &str = "\nwasm backtrace:";

/// `wasm trap: MESSAGE (in function N "name")`, then the wasm backtrace,
/// innermost frame first, one `  K: function N "name"` line per frame.
pub fn trap_message(trap: &weft::Trap, funcs: &[FuncInfo]) -> String {
    let describe = |index: u32| match funcs.get(index as usize) {
        Some(f) => f.describe(),
        None => format!("function {index}"),
    };
    let place = trap
        .func_index()
        .map(|index| format!(" (in {})", describe(index)))
        .unwrap_or_default();
    let mut message = format!("wasm trap: {trap}{place}");
    if !trap.backtrace().is_empty() {
        message.push_str(BACKTRACE_HEADER);
        for (depth, frame) in trap.backtrace().iter().enumerate() {
            message.push_str(&format!("\n  {depth:>3}: {}", describe(frame.func_index())));
        }
        if trap.omitted_frames() > 0 {
            message.push_str(&format!(
                "\n       ... {} more frames",
                trap.omitted_frames()
            ));
        }
    }
    message
}
