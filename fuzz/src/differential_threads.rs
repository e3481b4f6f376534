//! `differential_threads`: a generated multi-threaded program (see
//! [`crate::threads_program`]) run on real threads and run sequentially on
//! the interpreter; the final memories must match.
//!
//! Three runs per input:
//! 1. the reference: the interpreter, one phase of one thread at a time;
//! 2. the JIT, one host thread per wasm thread, one `Store` + `Instance` each,
//!    all importing one `SharedMemory`, barriers and all;
//! 3. the interpreter on real threads too: the oracle's own wait/notify is
//!    exercised, since a deadlock or a lost store there would make it a
//!    poor oracle.
//!
//! The reference run and the threaded runs are compared outside the
//! barrier words, which only threaded runs touch (and which are checked on
//! their own). A thread that traps, a run that does not finish within
//! [`THREAD_DEADLINE`](crate::deadline::THREAD_DEADLINE) (a lost wake-up looks like this), barrier words left
//! wrong, or any byte or size that differs is a finding.

use anyhow::{Context as _, anyhow, bail};
use arbitrary::Unstructured;
use weft_verify::interp;

use crate::threads_program::{BARRIER_BYTES, Program};
use crate::{deadline, engines};

/// Checks one generated program; see the module docs.
pub fn run(u: &mut Unstructured<'_>) -> anyhow::Result<()> {
    let Ok(program) = Program::generate(u) else {
        return Ok(());
    };
    let bytes = program.to_bytes();
    let reference = interp_sequential(&program, &bytes, false)
        .with_context(|| format!("sequential interpreter run of\n{}", program.wat))?;
    let jit = jit_threaded(&program, &bytes)
        .with_context(|| format!("threaded weft run of\n{}", program.wat))?;
    compare(
        &program,
        "interpreter, sequential",
        &reference,
        "weft, threaded",
        &jit,
    )?;
    let threaded = interp_threaded(&program, &bytes)
        .with_context(|| format!("threaded interpreter run of\n{}", program.wat))?;
    compare(
        &program,
        "interpreter, sequential",
        &reference,
        "interpreter, threaded",
        &threaded,
    )?;
    Ok(())
}

/// Runs the program on weft: one host thread per wasm thread, each with
/// its own `Store` and `Instance`, all importing one `SharedMemory`.
pub fn jit_threaded(program: &Program, bytes: &[u8]) -> anyhow::Result<FinalMemory> {
    let engine = engines::serial_threads_engine()?;
    let module = weft::Module::from_binary(engine, bytes).context("weft rejected the program")?;
    let (minimum, maximum) = program.memory_pages;
    let memory = weft::SharedMemory::new(engine, weft::MemoryType::shared(minimum, maximum))
        .context("creating the shared memory")?;
    let jobs: Vec<_> = (0..program.threads)
        .map(|thread| {
            let module = module.clone();
            let memory = memory.clone();
            move || -> Result<(), String> {
                let mut store = weft::Store::new(module.engine(), ());
                let instance = weft::Instance::new(&mut store, &module, &[memory.into()])
                    .map_err(|e| format!("instantiating: {e}"))?;
                let name = Program::thread_export(thread);
                let run = instance
                    .get_func(&store, &name)
                    .ok_or_else(|| format!("no export `{name}`"))?;
                run.call(&mut store, &[], &mut [])
                    .map_err(|e| format!("`{name}` failed: {e}"))
            }
        })
        .collect();
    deadline::run_threads(jobs)?;
    let mut snapshot = vec![0; memory.data_size()];
    memory
        .read(0, &mut snapshot)
        .map_err(|e| anyhow!("reading the final memory: {e}"))?;
    program
        .check_barrier_words(&snapshot)
        .map_err(|e| anyhow!(e))?;
    Ok(snapshot)
}

/// The final state of a run: the memory's bytes (its length gives its size).
pub type FinalMemory = Vec<u8>;

/// Runs the program on the interpreter without threads, in
/// [`Program::sequential_schedule`] order.
pub fn interp_sequential(
    program: &Program,
    bytes: &[u8],
    reverse_threads: bool,
) -> anyhow::Result<FinalMemory> {
    let module = interp::Module::new(bytes).context("the interpreter rejected the program")?;
    let (minimum, maximum) = program.memory_pages;
    let memory = interp::MemoryRef::new(minimum, Some(maximum), true)
        .context("creating the shared memory")?;
    let instances = (0..program.threads)
        .map(|_| interp::Instance::new(&module, &[interp::Extern::Memory(memory.clone())]))
        .collect::<Result<Vec<_>, _>>()
        .context("instantiating the program")?;
    for (thread, phase) in program.sequential_schedule(reverse_threads) {
        let name = Program::phase_export(thread, phase);
        instances[thread]
            .invoke(&name, &[])
            .map_err(|trap| anyhow!("`{name}` trapped: {trap}"))?;
    }
    Ok(memory.snapshot())
}

/// Runs the program on the interpreter with one OS thread per wasm thread.
pub fn interp_threaded(program: &Program, bytes: &[u8]) -> anyhow::Result<FinalMemory> {
    let module = interp::Module::new(bytes).context("the interpreter rejected the program")?;
    let (minimum, maximum) = program.memory_pages;
    let memory = interp::MemoryRef::new(minimum, Some(maximum), true)
        .context("creating the shared memory")?;
    let instances = (0..program.threads)
        .map(|_| interp::Instance::new(&module, &[interp::Extern::Memory(memory.clone())]))
        .collect::<Result<Vec<_>, _>>()
        .context("instantiating the program")?;
    let jobs: Vec<_> = instances
        .into_iter()
        .enumerate()
        .map(|(thread, instance)| {
            move || {
                let name = Program::thread_export(thread);
                instance
                    .invoke(&name, &[])
                    .map(drop)
                    .map_err(|trap| format!("`{name}` trapped: {trap}"))
            }
        })
        .collect();
    deadline::run_threads(jobs)?;
    let snapshot = memory.snapshot();
    program
        .check_barrier_words(&snapshot)
        .map_err(|e| anyhow!(e))?;
    Ok(snapshot)
}

/// Compares two final memories outside the barrier words.
pub fn compare(
    program: &Program,
    left_name: &str,
    left: &[u8],
    right_name: &str,
    right: &[u8],
) -> anyhow::Result<()> {
    if left.len() != right.len() {
        bail!(
            "final memory size differs: {left_name} {} bytes, {right_name} {} bytes\n{}",
            left.len(),
            right.len(),
            program.wat
        );
    }
    let differing = left
        .iter()
        .zip(right)
        .enumerate()
        .skip(BARRIER_BYTES)
        .filter(|(_, (a, b))| a != b)
        .map(|(at, _)| at)
        .collect::<Vec<_>>();
    if let Some(&first) = differing.first() {
        let window = |mem: &[u8]| {
            let start = first & !15;
            let end = (start + 32).min(mem.len());
            format!("{:02x?}", &mem[start..end])
        };
        bail!(
            "final memory differs at {} byte(s), first at {first:#x}:\n  {left_name}: {}\n  {right_name}: {}\n{}",
            differing.len(),
            window(left),
            window(right),
            program.wat
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeds;

    #[test]
    fn seeded_inputs_agree() {
        seeds::for_each_input(150, 64..2048, |data| {
            if let Err(finding) = run(&mut Unstructured::new(data)) {
                panic!("{finding:#}");
            }
        });
    }

    /// The generator's claim, checked on the oracle: the order of threads
    /// within a phase does not change the final memory.
    #[test]
    fn thread_order_within_a_phase_does_not_matter() {
        let mut checked = 0;
        seeds::for_each_input(200, 64..2048, |data| {
            let Ok(program) = Program::generate(&mut Unstructured::new(data)) else {
                return;
            };
            let bytes = program.to_bytes();
            let forward = interp_sequential(&program, &bytes, false).expect("forward run");
            let reverse = interp_sequential(&program, &bytes, true).expect("reverse run");
            compare(&program, "forward", &forward, "reverse", &reverse).expect("same memory");
            checked += 1;
        });
        assert!(checked > 150, "only {checked} programs");
    }

    /// The comparison is not vacuous: programs do write their blocks.
    #[test]
    fn programs_leave_their_mark() {
        let data = seeds::input(1, 1500..1501);
        let program = Program::generate(&mut Unstructured::new(&data)).expect("enough input");
        let memory = interp_sequential(&program, &program.to_bytes(), false).expect("runs");
        assert!(memory[BARRIER_BYTES..].iter().any(|&b| b != 0));
    }
}
