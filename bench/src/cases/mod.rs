//! The benchmarks, one module per family, and the list the driver runs.
//!
//! Every benchmark is one generic `prepare` function written against
//! [`Runtime`]: it compiles and instantiates outside the timed region and
//! returns a [`Runner`] whose every call is one checked repetition. The same
//! function instantiated for weft and for wasmtime is what makes the two
//! columns comparable.

mod atomics;
mod compute;
mod grow;
mod lifecycle;
mod parallel;
pub mod real_modules;
mod wait_notify;

use anyhow::{Context, Result};

use crate::measure::{Runner, Settings};
#[cfg(feature = "weft")]
use crate::runtime::WeftRuntime;
use crate::runtime::{Runtime, WasmtimeRuntime};

/// Prepares one benchmark on one runtime.
pub type Prepare<R> = for<'a> fn(&'a R, Settings) -> Result<Runner<'a>>;

/// One row of the comparison table.
pub struct Case {
    /// The benchmark's name (fixed; the JSON output and the README use it).
    pub name: &'static str,
    /// What one operation is, for the table's "per" column.
    pub per: &'static str,
    /// The benchmark on weft.
    #[cfg(feature = "weft")]
    pub on_weft: Prepare<WeftRuntime>,
    /// The benchmark on wasmtime.
    pub on_wasmtime: Prepare<WasmtimeRuntime>,
    /// How many repetitions it gets.
    pub repetitions: Repetitions,
}

/// How many repetitions a row gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Repetitions {
    /// The run's warm-ups and repetitions.
    Default,
    /// No warm-up and 3 repetitions (1 quick) unless `--reps` says: rows
    /// whose one repetition takes seconds (the real modules).
    Few,
}

macro_rules! case {
    ($name:literal, $per:literal, $($prepare:ident)::+) => {
        case!($name, $per, $($prepare)::+, Default)
    };
    ($name:literal, $per:literal, $($prepare:ident)::+, $repetitions:ident) => {
        Case {
            name: $name,
            per: $per,
            #[cfg(feature = "weft")]
            on_weft: $($prepare)::+::<WeftRuntime>,
            on_wasmtime: $($prepare)::+::<WasmtimeRuntime>,
            repetitions: Repetitions::$repetitions,
        }
    };
}

/// Every benchmark, in the order the table prints them.
pub fn all() -> Vec<Case> {
    vec![
        case!("compile", "module", lifecycle::compile),
        case!("instantiate", "instance", lifecycle::instantiate),
        case!("fib", "fib(30)", compute::fib),
        case!("sieve", "sieve(1e6)", compute::sieve),
        case!("sieve_shared", "sieve(1e6)", compute::sieve_shared),
        case!("matmul", "128x128 f64", compute::matmul),
        case!("byte_count", "16 MiB i8x16 scan", compute::byte_count),
        case!("fnv", "16 MiB FNV-1a", compute::fnv),
        case!("fnv_shared", "16 MiB FNV-1a", compute::fnv_shared),
        case!("strided_copy", "512 Ki words", compute::strided_copy),
        case!(
            "strided_copy_shared",
            "512 Ki words",
            compute::strided_copy_shared
        ),
        case!("atomic_add", "add", atomics::add),
        case!("atomic_add_contended", "add", atomics::add_contended),
        case!("notify_no_waiters", "notify", atomics::notify_no_waiters),
        case!("ping_pong", "round trip", wait_notify::ping_pong),
        case!("grow_shared", "1-page grow", grow::grow_shared),
        case!("fib_epoch", "fib(30)", compute::fib_epoch),
        case!("sieve_epoch", "sieve(1e6)", compute::sieve_epoch),
        case!("fib_fuel", "fib(30)", compute::fib_fuel),
        case!("sieve_fuel", "sieve(1e6)", compute::sieve_fuel),
        case!("interrupt_wait", "interrupt", wait_notify::interrupt_wait),
        case!("compile_sqljs", "module", real_modules::sqljs, Few),
        case!(
            "compile_sqljs_serial",
            "module",
            real_modules::sqljs_serial,
            Few
        ),
        case!("compile_esbuild", "module", real_modules::esbuild, Few),
        case!(
            "compile_esbuild_serial",
            "module",
            real_modules::esbuild_serial,
            Few
        ),
        case!("compile_ffmpeg", "module", real_modules::ffmpeg, Few),
        case!(
            "compile_ffmpeg_serial",
            "module",
            real_modules::ffmpeg_serial,
            Few
        ),
    ]
}

/// Converts a kernel's text to the binary both runtimes are given, so that
/// neither pays for text parsing inside a timed region.
fn to_binary(name: &str, text: &str) -> Result<Vec<u8>> {
    wat::parse_str(text).with_context(|| format!("parsing the `{name}` kernel"))
}

/// Compiles a kernel and instantiates it once with no imports.
fn instance_of<R: Runtime>(runtime: &R, name: &str, text: &str) -> Result<R::Instance> {
    let module = runtime.compile(&to_binary(name, text)?)?;
    runtime.instantiate(&module, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kernel_parses() {
        let kernels = [
            ("atomics", include_str!("../../wat/atomics.wat")),
            ("byte_count", include_str!("../../wat/byte_count.wat")),
            ("fib", include_str!("../../wat/fib.wat")),
            ("fnv", include_str!("../../wat/fnv.wat")),
            ("grow", include_str!("../../wat/grow.wat")),
            ("instantiate", include_str!("../../wat/instantiate.wat")),
            ("matmul", include_str!("../../wat/matmul.wat")),
            ("ping_pong", include_str!("../../wat/ping_pong.wat")),
            ("sieve", include_str!("../../wat/sieve.wat")),
            ("strided_copy", include_str!("../../wat/strided_copy.wat")),
            ("wait_forever", include_str!("../../wat/wait_forever.wat")),
        ];
        for (name, text) in kernels {
            to_binary(name, text).expect("kernel parses");
        }
    }

    #[test]
    fn names_are_the_issue_s_names() {
        let names: Vec<_> = all().iter().map(|case| case.name).collect();
        assert_eq!(
            names,
            [
                "compile",
                "instantiate",
                "fib",
                "sieve",
                "sieve_shared",
                "matmul",
                "byte_count",
                "fnv",
                "fnv_shared",
                "strided_copy",
                "strided_copy_shared",
                "atomic_add",
                "atomic_add_contended",
                "notify_no_waiters",
                "ping_pong",
                "grow_shared",
                "fib_epoch",
                "sieve_epoch",
                "fib_fuel",
                "sieve_fuel",
                "interrupt_wait",
                "compile_sqljs",
                "compile_sqljs_serial",
                "compile_esbuild",
                "compile_esbuild_serial",
                "compile_ffmpeg",
                "compile_ffmpeg_serial",
            ]
        );
    }

    /// The real-module rows are named after the modules they load, and get
    /// few repetitions (each takes seconds).
    #[test]
    fn real_module_rows_name_their_modules() {
        let rows: Vec<_> = all()
            .into_iter()
            .filter(|case| case.repetitions == Repetitions::Few)
            .map(|case| case.name)
            .collect();
        let expected: Vec<String> = real_modules::MODULES
            .iter()
            .flat_map(|m| {
                [
                    format!("compile_{}", m.name),
                    format!("compile_{}_serial", m.name),
                ]
            })
            .collect();
        assert_eq!(rows, expected);
    }
}
