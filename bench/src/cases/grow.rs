//! Growing a shared memory: the grow lock, committing pages, and publishing
//! the new length to every thread.

use anyhow::{Result, ensure};

use super::to_binary;
use crate::measure::{Runner, Sample, Settings, Stopwatch};
use crate::runtime::Runtime;

const GROW: &str = include_str!("../../wat/grow.wat");

/// `memory.grow 1` on a shared memory, per grow. Each repetition gets a
/// fresh one-page memory (created and instantiated untimed) and grows it to
/// `1 + grows` pages; every grow must return the previous size.
pub fn grow_shared<R: Runtime>(runtime: &R, settings: Settings) -> Result<Runner<'_>> {
    let grows: i32 = settings.pick(500, 1_000);
    let module = runtime.compile(&to_binary("grow", GROW)?)?;
    Ok(Box::new(move || {
        let memory = runtime.shared_memory(1, 1 + grows as u32)?;
        let mut instance = runtime.instantiate(&module, Some(&memory))?;
        let run = runtime.func(&mut instance, "run")?;
        let start = Stopwatch::start(settings.clock);
        let pages = runtime.call(&mut instance, &run, grows)?;
        let elapsed = start.elapsed();
        let expected = 1 + i64::from(grows);
        ensure!(
            pages == expected,
            "grow_shared: ended at {pages} pages, expected {expected} (negative: grow {} failed)",
            -1 - pages
        );
        Ok(Sample {
            elapsed,
            ops: grows as u64,
            result: pages,
        })
    }))
}
