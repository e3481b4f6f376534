//! Running a command module: `_start` on the calling thread, every
//! spawned thread joined, the exit status returned.

use std::sync::Arc;

use weft::{Error, ErrorKind, ExternType, Linker, Module, SharedMemory, Store};

use crate::ctx::WasiView;
use crate::host::thread::Runner;
use crate::program::Outcome;

/// Runs the command module `module` with `data` (which holds the
/// program's [`WasiCtx`](crate::WasiCtx)) and returns its exit status:
/// the code of the first `proc_exit`, or 0 when `_start` returns. A trap
/// in any thread (or a failure to instantiate) is the `Err`.
///
/// `linker` must have the WASI functions ([`crate::add_to_linker`]); a
/// shared memory the module imports and the linker does not define is
/// created here from the import's type, so that every thread gets the
/// same one. Returns only when every thread of the program has ended;
/// never exits the process.
pub fn run_command<T: WasiView>(
    mut linker: Linker<T>,
    module: &Module,
    data: T,
) -> weft::Result<i32> {
    let ctx = data.ctx().clone();
    let program = ctx.program();
    let engine = linker.engine().clone();
    let mut store = Store::new(&engine, data);
    program.adopt(&mut store)?;
    for (m, n, ty) in module.imports() {
        if let ExternType::Memory(ty) = ty
            && ty.shared
            && linker.get(&mut store, m, n).is_none()
        {
            let memory = SharedMemory::new(&engine, ty)?;
            linker.define(m, n, memory)?;
        }
    }
    let linker = Arc::new(linker);
    let runner = Runner {
        linker: Arc::clone(&linker),
        module: module.clone(),
    };
    if program.runner.set(Box::new(runner)).is_err() {
        return Err(ErrorKind::Usage(
            "this WasiCtx has already run a program: build one per run".into(),
        )
        .into());
    }
    let result = linker.instantiate(&mut store, module).and_then(|instance| {
        let start = instance
            .get_typed_func::<(), ()>(&mut store, "_start")
            .map_err(|_| {
                Error::from(ErrorKind::Link(
                    "a command module exports `_start: () -> ()`; this module does not".into(),
                ))
            })?;
        start.call(&mut store, ())
    });
    match result {
        // Returning from `_start` is `proc_exit(0)`: it ends the other
        // threads too.
        Ok(()) => program.finish(Outcome::Exit(0)),
        Err(e) if !program.exiting() => program.finish(Outcome::Trap(e)),
        Err(_) => {}
    }
    program.join_all();
    drop(store);
    match program.take_outcome() {
        Some(Outcome::Exit(code)) => Ok(code),
        Some(Outcome::Trap(e)) => Err(e),
        None => Ok(0),
    }
}
