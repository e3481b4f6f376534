//! weft's demo: a parallel histogram on N host threads sharing one memory.
//!
//! Each host thread gets its own `Store` and `Instance` of
//! `examples/histogram.wat`, all importing one `SharedMemory`. The threads
//! synchronize only inside wasm, through a mutex and a barrier built from
//! atomics and `memory.atomic.wait32`/`notify`. The result is checked
//! against a sequential run and printed with throughput.
//!
//! ```text
//! cargo run --release -p weft --example demo -- [--threads N] [--mib N]
//! ```

use std::sync::Barrier;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use weft::{Config, Engine, Instance, Memory, MemoryType, Module, SharedMemory, Store};

/// The module's memory limits, in pages: `(memory 1 4096 shared)`.
const MEMORY_MAX_PAGES: u32 = 4096;
/// The module refuses more threads than it has private histograms for.
const MAX_THREADS: usize = 60;

struct Options {
    threads: usize,
    bytes: u32,
}

fn parse_options() -> Result<Options> {
    let mut options = Options {
        threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
        bytes: 64 << 20,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| -> Result<usize> {
            let text = args
                .next()
                .with_context(|| format!("{name} needs a value"))?;
            text.parse()
                .with_context(|| format!("{name}: `{text}` is not a number"))
        };
        match arg.as_str() {
            "--threads" => options.threads = value("--threads")?,
            "--mib" => {
                let mib = value("--mib")?;
                ensure!((1..=200).contains(&mib), "--mib must be between 1 and 200");
                options.bytes = u32::try_from(mib << 20).context("--mib is too large")?;
            }
            other => bail!("unknown argument `{other}`; usage: demo [--threads N] [--mib N]"),
        }
    }
    ensure!(
        (1..=MAX_THREADS).contains(&options.threads),
        "--threads must be between 1 and {MAX_THREADS}"
    );
    Ok(options)
}

/// One thread's view of the program: its own store and instance over the
/// shared memory.
fn instantiate(
    engine: &Engine,
    module: &Module,
    memory: &SharedMemory,
) -> Result<(Store<()>, Instance)> {
    let mut store = Store::new(engine, ());
    let memory = Memory::from_shared_memory(&mut store, memory)?;
    let instance = Instance::new(&mut store, module, &[memory.into()])?;
    Ok((store, instance))
}

fn main() -> Result<()> {
    let options = parse_options()?;
    let mut config = Config::new();
    config.wasm_threads(true);
    let engine = Engine::new(&config)?;
    let module = Module::from_file(
        &engine,
        concat!(env!("CARGO_MANIFEST_DIR"), "/examples/histogram.wat"),
    )?;
    let memory = SharedMemory::new(&engine, MemoryType::shared(1, MEMORY_MAX_PAGES))?;

    let (mut store, main_instance) = instantiate(&engine, &module, &memory)?;
    let setup = main_instance.get_typed_func::<(i32, i32), i32>(&mut store, "setup")?;
    let threads = i32::try_from(options.threads).context("thread count")?;
    let len = i32::try_from(options.bytes).context("data size")?;
    ensure!(
        setup.call(&mut store, (threads, len))? == 0,
        "setup refused {threads} threads over {len} bytes"
    );

    let parallel = run_parallel(&engine, &module, &memory, options.threads)?;

    let sequential_start = Instant::now();
    main_instance
        .get_typed_func::<(), ()>(&mut store, "sequential")?
        .call(&mut store, ())?;
    let sequential = sequential_start.elapsed();

    let wrong = main_instance
        .get_typed_func::<(), i32>(&mut store, "verify")?
        .call(&mut store, ())?;
    let bin = main_instance.get_typed_func::<i32, i32>(&mut store, "bin")?;
    let mut bins = [0u64; 256];
    for (b, slot) in (0..).zip(bins.iter_mut()) {
        *slot = u64::from(bin.call(&mut store, b)?.cast_unsigned());
    }

    print_histogram(&bins);
    let total: u64 = bins.iter().sum();
    println!();
    println!(
        "{} threads, one shared memory of {} pages, {} MiB of data",
        options.threads,
        memory.size(),
        options.bytes >> 20
    );
    println!(
        "parallel   (fill + barrier + count + merge): {}",
        rate(options.bytes, parallel)
    );
    println!(
        "sequential (generate + count, one thread):   {}",
        rate(options.bytes, sequential)
    );
    ensure!(
        total == u64::from(options.bytes),
        "the histogram counts {total} bytes, expected {}",
        options.bytes
    );
    ensure!(
        wrong == 0,
        "{wrong} of 256 bins differ from the sequential run"
    );
    println!("OK: the parallel histogram matches the sequential run in all 256 bins");
    Ok(())
}

/// Runs `worker(tid)` on `threads` host threads and returns the wall time
/// from the moment all of them were instantiated and released together.
fn run_parallel(
    engine: &Engine,
    module: &Module,
    memory: &SharedMemory,
    threads: usize,
) -> Result<Duration> {
    let ready = Barrier::new(threads + 1);
    let failed = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|tid| {
                let (ready, failed) = (&ready, &failed);
                scope.spawn(move || -> Result<()> {
                    let prepared =
                        instantiate(engine, module, memory).and_then(|(mut store, instance)| {
                            let worker =
                                instance.get_typed_func::<i32, ()>(&mut store, "worker")?;
                            Ok((store, worker))
                        });
                    if prepared.is_err() {
                        failed.store(true, Ordering::Relaxed);
                    }
                    // Every thread passes this barrier, having recorded
                    // whether it is ready; after it, all agree on `failed`.
                    // Without that agreement the others would wait in the
                    // wasm barrier for a thread that never comes.
                    ready.wait();
                    let (mut store, worker) = prepared?;
                    if failed.load(Ordering::Relaxed) {
                        return Ok(());
                    }
                    worker.call(&mut store, i32::try_from(tid)?)?;
                    Ok(())
                })
            })
            .collect();
        ready.wait();
        let start = Instant::now();
        for worker in workers {
            worker
                .join()
                .map_err(|_| anyhow::anyhow!("a worker thread panicked"))??;
        }
        Ok(start.elapsed())
    })
}

fn rate(bytes: u32, time: Duration) -> String {
    let mib = f64::from(bytes) / f64::from(1u32 << 20);
    format!(
        "{:8.1} ms, {:8.1} MiB/s",
        time.as_secs_f64() * 1e3,
        mib / time.as_secs_f64()
    )
}

/// Prints the 256 bins folded into 16 rows of 16 values each.
fn print_histogram(bins: &[u64; 256]) {
    let rows: Vec<u64> = bins.chunks(16).map(|row| row.iter().sum()).collect();
    let widest = rows.iter().copied().max().unwrap_or(1).max(1);
    println!("byte values   count");
    for (i, count) in rows.iter().enumerate() {
        let bar = "#".repeat(usize::try_from(count * 50 / widest).unwrap_or(50));
        println!("{:3}..{:3}  {count:>10}  {bar}", i * 16, i * 16 + 15);
    }
}
