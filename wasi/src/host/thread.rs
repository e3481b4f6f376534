//! `wasi.thread-spawn`: a new host thread running the same module.

use std::sync::Arc;

use weft::{Caller, ExternType, Linker, Module, Store, ValType};

use crate::ctx::WasiView;
use crate::program::Outcome;

/// What a spawned thread needs: the program's linker (its imports,
/// including the shared `env.memory`) and module. Set once by the runner.
pub(crate) struct Runner<T> {
    pub(crate) linker: Arc<Linker<T>>,
    pub(crate) module: Module,
}

/// The failure result of `thread-spawn` (wasmtime's value too).
const SPAWN_FAILED: i32 = -1;

/// Whether `module` exports `wasi_thread_start: (i32, i32) -> ()`.
fn has_thread_start(module: &Module) -> bool {
    module.exports().any(|(name, ty)| {
        name == "wasi_thread_start"
            && matches!(&ty, ExternType::Func(f)
                if f.params() == [ValType::I32, ValType::I32] && f.results().is_empty())
    })
}

/// Starts a thread calling `wasi_thread_start(tid, start_arg)`; its tid,
/// or a negative value if the module has no `wasi_thread_start`, the
/// program was not started by [`crate::run_command`], the live-thread
/// limit is reached, the program is exiting, or the host refuses a thread.
/// The tid is returned only once the host thread exists, so nothing is
/// visible to wasm before the thread is certain to run.
pub(crate) fn thread_spawn<T: WasiView>(caller: &mut Caller<'_, T>, start_arg: i32) -> i32 {
    let data = caller.data().clone();
    let ctx = data.ctx().clone();
    let program = ctx.program();
    let Some(runner) = program
        .runner
        .get()
        .and_then(|r| r.downcast_ref::<Runner<T>>())
    else {
        return SPAWN_FAILED;
    };
    if !has_thread_start(&runner.module) {
        return SPAWN_FAILED;
    }
    let Ok(tid) = program.allocate_tid() else {
        return SPAWN_FAILED;
    };
    let linker = Arc::clone(&runner.linker);
    let module = runner.module.clone();
    let spawned = std::thread::Builder::new()
        .name(format!("wasi-thread-{tid}"))
        .stack_size(program.stack_size)
        .spawn(move || run_thread(&linker, &module, data, tid, start_arg));
    match spawned {
        Ok(handle) => {
            program.add_handle(handle);
            // Tids stay below 2^29, so this is positive.
            tid as i32
        }
        Err(_) => {
            program.release_tid(tid);
            SPAWN_FAILED
        }
    }
}

/// The body of a spawned thread. Returning from `wasi_thread_start` ends
/// only this thread; a trap ends the program.
fn run_thread<T: WasiView>(linker: &Linker<T>, module: &Module, data: T, tid: u32, arg: i32) {
    let ctx = data.ctx().clone();
    let program = ctx.program();
    let mut store = Store::new(linker.engine(), data);
    let result = program
        .adopt(&mut store)
        .and_then(|()| linker.instantiate(&mut store, module))
        .and_then(|instance| {
            let start =
                instance.get_typed_func::<(i32, i32), ()>(&mut store, "wasi_thread_start")?;
            start.call(&mut store, (tid as i32, arg))
        });
    if let Err(e) = result {
        // Once the program is ending, every thread unwinds with an error
        // (its interrupt or the exit itself): only the first cause counts.
        if !program.exiting() {
            program.finish(Outcome::Trap(e));
        }
    }
    drop(store);
    program.release_tid(tid);
}
