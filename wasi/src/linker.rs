//! The glue between weft's `Linker` and the host functions: argument
//! decoding and errno mapping, in one place.

use weft::{Caller, Error, ErrorKind, FuncType, Linker, Val};

use crate::ctx::{WasiCtx, WasiView};
use crate::fail::Fail;
use crate::guest::{Found, Guest};
use crate::host::{args, clock, fd, path, poll, proc, random, sched, sock, thread};
use crate::signatures::{self, PREVIEW1, WASI_THREADS};

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

/// The type of `module::name` from the one signature table.
fn signature(module: &str, name: &str) -> weft::Result<FuncType> {
    match signatures::find(module, name) {
        Some(row) => Ok(row.ty()),
        None => Err(ErrorKind::Host(format!(
            "weft-wasi defines {module}::{name} but its signature table has no row for it"
        ))
        .into()),
    }
}

/// Defines preview-1 function `name`, which returns an errno, with the type
/// the signature table gives it.
fn define<T: WasiView>(linker: &mut Linker<T>, name: &str, f: Box<Handler>) -> weft::Result<()> {
    let ty = signature(PREVIEW1, name)?;
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
        ($name:literal, |$c:ident, $m:ident, $a:ident| $body:expr) => {
            define(
                linker,
                $name,
                Box::new(|$c: &WasiCtx, $m: &mut Guest<'_>, $a: &Args<'_>| {
                    let _ = (&$c, &$m, &$a);
                    $body
                }),
            )?
        };
    }
    def!("args_get", |c, m, a| args::args_get(
        c,
        m,
        a.u32(0)?,
        a.u32(1)?
    ));
    def!("args_sizes_get", |c, m, a| args::args_sizes_get(
        c,
        m,
        a.u32(0)?,
        a.u32(1)?
    ));
    def!("environ_get", |c, m, a| args::environ_get(
        c,
        m,
        a.u32(0)?,
        a.u32(1)?
    ));
    def!("environ_sizes_get", |c, m, a| args::environ_sizes_get(
        c,
        m,
        a.u32(0)?,
        a.u32(1)?
    ));
    def!("clock_res_get", |c, m, a| clock::clock_res_get(
        m,
        a.u32(0)?,
        a.u32(1)?
    ));
    def!("clock_time_get", |c, m, a| clock::clock_time_get(
        m,
        a.u32(0)?,
        a.u64(1)?,
        a.u32(2)?
    ));
    def!("fd_advise", |c, m, a| fd::fd_advise(
        c,
        a.u32(0)?,
        a.u64(1)?,
        a.u64(2)?,
        a.u32(3)?
    ));
    def!("fd_allocate", |c, m, a| fd::fd_allocate(
        c,
        a.u32(0)?,
        a.u64(1)?,
        a.u64(2)?
    ));
    def!("fd_close", |c, m, a| fd::fd_close(c, a.u32(0)?));
    def!("fd_datasync", |c, m, a| fd::fd_datasync(c, a.u32(0)?));
    def!("fd_fdstat_get", |c, m, a| fd::fd_fdstat_get(
        c,
        m,
        a.u32(0)?,
        a.u32(1)?
    ));
    def!("fd_fdstat_set_flags", |c, m, a| {
        fd::fd_fdstat_set_flags(c, a.u32(0)?, a.u32(1)?)
    });
    def!("fd_fdstat_set_rights", |c, m, a| {
        fd::fd_fdstat_set_rights(c, a.u32(0)?, a.u64(1)?, a.u64(2)?)
    });
    def!("fd_filestat_get", |c, m, a| fd::fd_filestat_get(
        c,
        m,
        a.u32(0)?,
        a.u32(1)?
    ));
    def!("fd_filestat_set_size", |c, m, a| {
        fd::fd_filestat_set_size(c, a.u32(0)?, a.u64(1)?)
    });
    def!("fd_filestat_set_times", |c, m, a| {
        fd::fd_filestat_set_times(c, a.u32(0)?, a.u64(1)?, a.u64(2)?, a.u32(3)?)
    });
    def!("fd_pread", |c, m, a| fd::fd_pread(
        c,
        m,
        a.u32(0)?,
        a.u32(1)?,
        a.u32(2)?,
        a.u64(3)?,
        a.u32(4)?
    ));
    def!("fd_prestat_get", |c, m, a| fd::fd_prestat_get(
        c,
        m,
        a.u32(0)?,
        a.u32(1)?
    ));
    def!("fd_prestat_dir_name", |c, m, a| {
        fd::fd_prestat_dir_name(c, m, a.u32(0)?, a.u32(1)?, a.u32(2)?)
    });
    def!("fd_pwrite", |c, m, a| fd::fd_pwrite(
        c,
        m,
        a.u32(0)?,
        a.u32(1)?,
        a.u32(2)?,
        a.u64(3)?,
        a.u32(4)?
    ));
    def!("fd_read", |c, m, a| fd::fd_read(
        c,
        m,
        a.u32(0)?,
        a.u32(1)?,
        a.u32(2)?,
        a.u32(3)?
    ));
    def!("fd_readdir", |c, m, a| fd::fd_readdir(
        c,
        m,
        a.u32(0)?,
        a.u32(1)?,
        a.u32(2)?,
        a.u64(3)?,
        a.u32(4)?
    ));
    def!("fd_renumber", |c, m, a| fd::fd_renumber(
        c,
        a.u32(0)?,
        a.u32(1)?
    ));
    def!("fd_seek", |c, m, a| fd::fd_seek(
        c,
        m,
        a.u32(0)?,
        a.u64(1)? as i64,
        a.u32(2)?,
        a.u32(3)?
    ));
    def!("fd_sync", |c, m, a| fd::fd_sync(c, a.u32(0)?));
    def!("fd_tell", |c, m, a| fd::fd_tell(c, m, a.u32(0)?, a.u32(1)?));
    def!("fd_write", |c, m, a| fd::fd_write(
        c,
        m,
        a.u32(0)?,
        a.u32(1)?,
        a.u32(2)?,
        a.u32(3)?
    ));
    def!("path_create_directory", |c, m, a| {
        path::path_create_directory(c, m, a.u32(0)?, a.u32(1)?, a.u32(2)?)
    });
    def!("path_filestat_get", |c, m, a| {
        path::path_filestat_get(c, m, a.u32(0)?, a.u32(1)?, a.u32(2)?, a.u32(3)?, a.u32(4)?)
    });
    def!("path_filestat_set_times", |c, m, a| {
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
    def!("path_link", |c, m, a| path::path_link(
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
    def!("path_open", |c, m, a| path::path_open(
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
    def!("path_readlink", |c, m, a| path::path_readlink(
        c,
        m,
        a.u32(0)?,
        a.u32(1)?,
        a.u32(2)?,
        a.u32(3)?,
        a.u32(4)?,
        a.u32(5)?
    ));
    def!("path_remove_directory", |c, m, a| {
        path::path_remove_directory(c, m, a.u32(0)?, a.u32(1)?, a.u32(2)?)
    });
    def!("path_rename", |c, m, a| path::path_rename(
        c,
        m,
        a.u32(0)?,
        a.u32(1)?,
        a.u32(2)?,
        a.u32(3)?,
        a.u32(4)?,
        a.u32(5)?
    ));
    def!("path_symlink", |c, m, a| path::path_symlink(
        c,
        m,
        a.u32(0)?,
        a.u32(1)?,
        a.u32(2)?,
        a.u32(3)?,
        a.u32(4)?
    ));
    def!("path_unlink_file", |c, m, a| path::path_unlink_file(
        c,
        m,
        a.u32(0)?,
        a.u32(1)?,
        a.u32(2)?
    ));
    def!("poll_oneoff", |c, m, a| poll::poll_oneoff(
        c,
        m,
        a.u32(0)?,
        a.u32(1)?,
        a.u32(2)?,
        a.u32(3)?
    ));
    def!("proc_raise", |c, m, a| proc::proc_raise(a.u32(0)?));
    def!("sched_yield", |c, m, a| sched::sched_yield());
    def!("random_get", |c, m, a| random::random_get(
        m,
        a.u32(0)?,
        a.u32(1)?
    ));
    def!("sock_accept", |c, m, a| {
        m.check(a.u32(2)?, 4)?;
        sock::sock_accept(c, a.u32(0)?, a.u32(1)?)
    });
    def!("sock_recv", |c, m, a| {
        m.iovecs(a.u32(1)?, a.u32(2)?)?;
        m.check(a.u32(4)?, 4)?;
        m.check(a.u32(5)?, 2)?;
        sock::sock_recv(c, a.u32(0)?)
    });
    def!("sock_send", |c, m, a| {
        m.iovecs(a.u32(1)?, a.u32(2)?)?;
        m.check(a.u32(4)?, 4)?;
        sock::sock_send(c, a.u32(0)?)
    });
    def!("sock_shutdown", |c, m, a| sock::sock_shutdown(
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
        WASI_THREADS,
        "thread-spawn",
        |mut caller: Caller<'_, T>, start_arg: i32| thread::thread_spawn(&mut caller, start_arg),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use weft::{Engine, Extern, Store};

    use super::*;
    use crate::WasiCtxBuilder;

    /// The linker defines exactly the table's functions, each with the
    /// table's type (`proc_exit` and `thread-spawn` are typed by their
    /// closures, so this is what keeps them in step).
    #[test]
    fn the_linker_defines_every_row_of_the_signature_table_with_its_type() {
        let engine = Engine::default();
        let mut linker = Linker::new(&engine);
        add_to_linker(&mut linker).expect("defines");
        let mut store = Store::new(&engine, WasiCtxBuilder::new().build().expect("a context"));
        for row in &signatures::FUNCTIONS {
            let Some(Extern::Func(func)) = linker.get(&mut store, row.module, row.name) else {
                panic!("{}::{} is not defined", row.module, row.name);
            };
            assert_eq!(func.ty(&store).expect("typed"), row.ty(), "{}", row.name);
        }
        let names: std::collections::HashSet<_> = signatures::FUNCTIONS
            .iter()
            .map(|r| (r.module, r.name))
            .collect();
        assert_eq!(
            names.len(),
            signatures::FUNCTIONS.len(),
            "a row is listed twice"
        );
    }
}
