//! The glue between weft's `Linker` and the host functions: argument
//! decoding and errno mapping, in one place.

use weft::{Caller, Error, ErrorKind, FuncType, Linker, Val, ValType};

use crate::ctx::{WasiCtx, WasiView};
use crate::fail::Fail;
use crate::guest::{Found, Guest};
use crate::host::{args, clock, fd, path, poll, proc, random, sched, sock, thread};

/// The witx module name of preview 1.
const PREVIEW1: &str = "wasi_snapshot_preview1";

/// The error a thread unwinds with when the program ends: the real outcome
/// is in the program's state, where the runner reads it.
fn exit_error() -> Error {
    ErrorKind::Host("the program is exiting (proc_exit, or another thread ended it)".into()).into()
}

fn no_memory_error() -> Error {
    ErrorKind::Host("WASI functions need the module to export its memory as `memory`".into()).into()
}

/// The decoded arguments of one call. Linking checked the import's type
/// against the definition's, so each index has the declared type.
struct Args<'a>(&'a [Val]);

impl Args<'_> {
    fn u32(&self, i: usize) -> Result<u32, Fail> {
        match self.0.get(i) {
            Some(Val::I32(v)) => Ok(*v as u32),
            _ => Err(crate::errno::Errno::INVAL.into()),
        }
    }
    fn u64(&self, i: usize) -> Result<u64, Fail> {
        match self.0.get(i) {
            Some(Val::I64(v)) => Ok(*v as u64),
            _ => Err(crate::errno::Errno::INVAL.into()),
        }
    }
}

type Handler = dyn Fn(&WasiCtx, &mut Guest<'_>, &Args<'_>) -> Result<(), Fail> + Send + Sync;

/// Defines `name` (parameters given as `i` for i32 and `I` for i64)
/// returning an errno.
fn define<T: WasiView>(
    linker: &mut Linker<T>,
    name: &str,
    params: &str,
    f: Box<Handler>,
) -> weft::Result<()> {
    let params: Vec<ValType> = params
        .chars()
        .map(|c| if c == 'I' { ValType::I64 } else { ValType::I32 })
        .collect();
    let ty = FuncType::new(params, vec![ValType::I32]);
    linker.func_new(
        PREVIEW1,
        name,
        ty,
        move |mut caller: Caller<'_, T>, vals, results| {
            let ctx = caller.data().ctx().clone();
            let found = Found::of(&caller);
            let mut mem = Guest::new(&mut caller, found);
            let errno = match f(&ctx, &mut mem, &Args(vals)) {
                Ok(()) => 0,
                Err(Fail::Errno(e)) => i32::from(e.0),
                Err(Fail::NoMemory) => return Err(no_memory_error()),
                Err(Fail::Exit) => return Err(exit_error()),
            };
            results[0] = Val::I32(errno);
            Ok(())
        },
    )?;
    Ok(())
}

/// Adds every `wasi_snapshot_preview1` function and wasi-threads'
/// `wasi.thread-spawn` to `linker`, for stores whose data is a
/// [`WasiView`].
pub fn add_to_linker<T: WasiView>(linker: &mut Linker<T>) -> weft::Result<()> {
    macro_rules! def {
        ($name:literal, $params:literal, |$c:ident, $m:ident, $a:ident| $body:expr) => {
            define(
                linker,
                $name,
                $params,
                Box::new(|$c: &WasiCtx, $m: &mut Guest<'_>, $a: &Args<'_>| {
                    let _ = (&$c, &$m, &$a);
                    $body
                }),
            )?
        };
    }
    def!("args_get", "ii", |c, m, a| args::args_get(
        c,
        m,
        a.u32(0)?,
        a.u32(1)?
    ));
    def!("args_sizes_get", "ii", |c, m, a| args::args_sizes_get(
        c,
        m,
        a.u32(0)?,
        a.u32(1)?
    ));
    def!("environ_get", "ii", |c, m, a| args::environ_get(
        c,
        m,
        a.u32(0)?,
        a.u32(1)?
    ));
    def!(
        "environ_sizes_get",
        "ii",
        |c, m, a| args::environ_sizes_get(c, m, a.u32(0)?, a.u32(1)?)
    );
    def!("clock_res_get", "ii", |c, m, a| clock::clock_res_get(
        m,
        a.u32(0)?,
        a.u32(1)?
    ));
    def!("clock_time_get", "iIi", |c, m, a| clock::clock_time_get(
        m,
        a.u32(0)?,
        a.u64(1)?,
        a.u32(2)?
    ));
    def!("fd_advise", "iIIi", |c, m, a| fd::fd_advise(
        c,
        a.u32(0)?,
        a.u64(1)?,
        a.u64(2)?,
        a.u32(3)?
    ));
    def!("fd_allocate", "iII", |c, m, a| fd::fd_allocate(
        c,
        a.u32(0)?,
        a.u64(1)?,
        a.u64(2)?
    ));
    def!("fd_close", "i", |c, m, a| fd::fd_close(c, a.u32(0)?));
    def!("fd_datasync", "i", |c, m, a| fd::fd_datasync(c, a.u32(0)?));
    def!("fd_fdstat_get", "ii", |c, m, a| fd::fd_fdstat_get(
        c,
        m,
        a.u32(0)?,
        a.u32(1)?
    ));
    def!("fd_fdstat_set_flags", "ii", |c, m, a| {
        fd::fd_fdstat_set_flags(c, a.u32(0)?, a.u32(1)?)
    });
    def!("fd_fdstat_set_rights", "iII", |c, m, a| {
        fd::fd_fdstat_set_rights(c, a.u32(0)?, a.u64(1)?, a.u64(2)?)
    });
    def!("fd_filestat_get", "ii", |c, m, a| fd::fd_filestat_get(
        c,
        m,
        a.u32(0)?,
        a.u32(1)?
    ));
    def!("fd_filestat_set_size", "iI", |c, m, a| {
        fd::fd_filestat_set_size(c, a.u32(0)?, a.u64(1)?)
    });
    def!("fd_filestat_set_times", "iIIi", |c, m, a| {
        fd::fd_filestat_set_times(c, a.u32(0)?, a.u64(1)?, a.u64(2)?, a.u32(3)?)
    });
    def!("fd_pread", "iiiIi", |c, m, a| fd::fd_pread(
        c,
        m,
        a.u32(0)?,
        a.u32(1)?,
        a.u32(2)?,
        a.u64(3)?,
        a.u32(4)?
    ));
    def!("fd_prestat_get", "ii", |c, m, a| fd::fd_prestat_get(
        c,
        m,
        a.u32(0)?,
        a.u32(1)?
    ));
    def!("fd_prestat_dir_name", "iii", |c, m, a| {
        fd::fd_prestat_dir_name(c, m, a.u32(0)?, a.u32(1)?, a.u32(2)?)
    });
    def!("fd_pwrite", "iiiIi", |c, m, a| fd::fd_pwrite(
        c,
        m,
        a.u32(0)?,
        a.u32(1)?,
        a.u32(2)?,
        a.u64(3)?,
        a.u32(4)?
    ));
    def!("fd_read", "iiii", |c, m, a| fd::fd_read(
        c,
        m,
        a.u32(0)?,
        a.u32(1)?,
        a.u32(2)?,
        a.u32(3)?
    ));
    def!("fd_readdir", "iiiIi", |c, m, a| fd::fd_readdir(
        c,
        m,
        a.u32(0)?,
        a.u32(1)?,
        a.u32(2)?,
        a.u64(3)?,
        a.u32(4)?
    ));
    def!("fd_renumber", "ii", |c, m, a| fd::fd_renumber(
        c,
        a.u32(0)?,
        a.u32(1)?
    ));
    def!("fd_seek", "iIii", |c, m, a| fd::fd_seek(
        c,
        m,
        a.u32(0)?,
        a.u64(1)? as i64,
        a.u32(2)?,
        a.u32(3)?
    ));
    def!("fd_sync", "i", |c, m, a| fd::fd_sync(c, a.u32(0)?));
    def!("fd_tell", "ii", |c, m, a| fd::fd_tell(
        c,
        m,
        a.u32(0)?,
        a.u32(1)?
    ));
    def!("fd_write", "iiii", |c, m, a| fd::fd_write(
        c,
        m,
        a.u32(0)?,
        a.u32(1)?,
        a.u32(2)?,
        a.u32(3)?
    ));
    def!("path_create_directory", "iii", |c, m, a| {
        path::path_create_directory(c, m, a.u32(0)?, a.u32(1)?, a.u32(2)?)
    });
    def!("path_filestat_get", "iiiii", |c, m, a| {
        path::path_filestat_get(c, m, a.u32(0)?, a.u32(1)?, a.u32(2)?, a.u32(3)?, a.u32(4)?)
    });
    def!("path_filestat_set_times", "iiiiIIi", |c, m, a| {
        path::path_filestat_set_times(
            c,
            m,
            a.u32(0)?,
            a.u32(1)?,
            a.u32(2)?,
            a.u32(3)?,
            a.u64(4)?,
            a.u64(5)?,
            a.u32(6)?,
        )
    });
    def!("path_link", "iiiiiii", |c, m, a| path::path_link(
        c,
        m,
        a.u32(0)?,
        a.u32(1)?,
        a.u32(2)?,
        a.u32(3)?,
        a.u32(4)?,
        a.u32(5)?,
        a.u32(6)?
    ));
    def!("path_open", "iiiiiIIii", |c, m, a| path::path_open(
        c,
        m,
        a.u32(0)?,
        a.u32(1)?,
        a.u32(2)?,
        a.u32(3)?,
        a.u32(4)?,
        a.u64(5)?,
        a.u64(6)?,
        a.u32(7)?,
        a.u32(8)?
    ));
    def!("path_readlink", "iiiiii", |c, m, a| path::path_readlink(
        c,
        m,
        a.u32(0)?,
        a.u32(1)?,
        a.u32(2)?,
        a.u32(3)?,
        a.u32(4)?,
        a.u32(5)?
    ));
    def!("path_remove_directory", "iii", |c, m, a| {
        path::path_remove_directory(c, m, a.u32(0)?, a.u32(1)?, a.u32(2)?)
    });
    def!("path_rename", "iiiiii", |c, m, a| path::path_rename(
        c,
        m,
        a.u32(0)?,
        a.u32(1)?,
        a.u32(2)?,
        a.u32(3)?,
        a.u32(4)?,
        a.u32(5)?
    ));
    def!("path_symlink", "iiiii", |c, m, a| path::path_symlink(
        c,
        m,
        a.u32(0)?,
        a.u32(1)?,
        a.u32(2)?,
        a.u32(3)?,
        a.u32(4)?
    ));
    def!("path_unlink_file", "iii", |c, m, a| path::path_unlink_file(
        c,
        m,
        a.u32(0)?,
        a.u32(1)?,
        a.u32(2)?
    ));
    def!("poll_oneoff", "iiii", |c, m, a| poll::poll_oneoff(
        c,
        m,
        a.u32(0)?,
        a.u32(1)?,
        a.u32(2)?,
        a.u32(3)?
    ));
    def!("proc_raise", "i", |c, m, a| proc::proc_raise(a.u32(0)?));
    def!("sched_yield", "", |c, m, a| sched::sched_yield());
    def!("random_get", "ii", |c, m, a| random::random_get(
        m,
        a.u32(0)?,
        a.u32(1)?
    ));
    def!("sock_accept", "iii", |c, m, a| {
        m.check(a.u32(2)?, 4)?;
        sock::sock_accept(c, a.u32(0)?, a.u32(1)?)
    });
    def!("sock_recv", "iiiiii", |c, m, a| {
        m.iovecs(a.u32(1)?, a.u32(2)?)?;
        m.check(a.u32(4)?, 4)?;
        m.check(a.u32(5)?, 2)?;
        sock::sock_recv(c, a.u32(0)?)
    });
    def!("sock_send", "iiiii", |c, m, a| {
        m.iovecs(a.u32(1)?, a.u32(2)?)?;
        m.check(a.u32(4)?, 4)?;
        sock::sock_send(c, a.u32(0)?)
    });
    def!("sock_shutdown", "ii", |c, m, a| sock::sock_shutdown(
        c,
        a.u32(0)?,
        a.u32(1)?
    ));
    // `proc_exit` returns nothing: it always unwinds.
    linker.func_wrap(
        PREVIEW1,
        "proc_exit",
        |caller: Caller<'_, T>, code: i32| -> weft::Result<()> {
            let ctx = caller.data().ctx().clone();
            match proc::proc_exit(&ctx, code as u32) {
                Fail::NoMemory => Err(no_memory_error()),
                _ => Err(exit_error()),
            }
        },
    )?;
    linker.func_wrap(
        "wasi",
        "thread-spawn",
        |mut caller: Caller<'_, T>, start_arg: i32| thread::thread_spawn(&mut caller, start_arg),
    )?;
    Ok(())
}
