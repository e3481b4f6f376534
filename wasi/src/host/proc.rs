//! `proc_exit` and `proc_raise`.

use crate::ctx::WasiCtx;
use crate::errno::Errno;
use crate::fail::Fail;
use crate::program::Outcome;

/// Ends the program with `code` (every thread, see `program`), then
/// unwinds the calling thread.
pub(crate) fn proc_exit(ctx: &WasiCtx, code: u32) -> Fail {
    ctx.program().finish(Outcome::Exit(code as i32));
    Fail::Exit
}

/// Signals are not part of what weft offers a program: `ENOSYS`.
/// (The function is deprecated; wasmtime traps instead.)
pub(crate) fn proc_raise(_sig: u32) -> Result<(), Fail> {
    Err(Errno::NOSYS.into())
}
