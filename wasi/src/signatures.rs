//! The import signature of every function weft-wasi defines, listed once.
//!
//! [`add_to_linker`](crate::add_to_linker) defines each function with the
//! type this table gives it, and tools that import the same functions (the
//! `wasi_calls` fuzzer builds a module importing all of them) read the same
//! table, so a signature cannot drift between the two. The types are
//! preview 1's witx lowered to core wasm: every pointer, size, fd and flag
//! word is an `i32`; timestamps, file sizes, offsets, rights and cookies are
//! `i64`; every function but `proc_exit` returns an errno.

use weft::{FuncType, ValType};

/// The import module of WASI preview 1.
pub const PREVIEW1: &str = "wasi_snapshot_preview1";

/// The import module of wasi-threads' `thread-spawn`.
pub const WASI_THREADS: &str = "wasi";

/// One function weft-wasi defines: where it is imported from, and its type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WasiFunction {
    /// The import module: [`PREVIEW1`] or [`WASI_THREADS`].
    pub module: &'static str,
    /// The import name.
    pub name: &'static str,
    /// The parameter types.
    pub params: &'static [ValType],
    /// The result types: an errno (`i32`), except `proc_exit` (none) and
    /// `thread-spawn` (the new thread's id, or a negated errno).
    pub results: &'static [ValType],
}

impl WasiFunction {
    /// The function's type.
    pub fn ty(&self) -> FuncType {
        FuncType::new(self.params.iter().copied(), self.results.iter().copied())
    }
}

const I: ValType = ValType::I32;
const L: ValType = ValType::I64;

/// A preview-1 function returning an errno: `name(param types)`.
macro_rules! errno {
    ($name:ident($($param:ident),*)) => {
        WasiFunction {
            module: PREVIEW1,
            name: stringify!($name),
            params: &[$($param),*],
            results: &[I],
        }
    };
}

/// Every function [`add_to_linker`](crate::add_to_linker) defines: the
/// preview-1 functions that return an errno, then `proc_exit`, then
/// `thread-spawn`.
pub static FUNCTIONS: [WasiFunction; 47] = [
    errno!(args_get(I, I)),
    errno!(args_sizes_get(I, I)),
    errno!(environ_get(I, I)),
    errno!(environ_sizes_get(I, I)),
    errno!(clock_res_get(I, I)),
    errno!(clock_time_get(I, L, I)),
    errno!(fd_advise(I, L, L, I)),
    errno!(fd_allocate(I, L, L)),
    errno!(fd_close(I)),
    errno!(fd_datasync(I)),
    errno!(fd_fdstat_get(I, I)),
    errno!(fd_fdstat_set_flags(I, I)),
    errno!(fd_fdstat_set_rights(I, L, L)),
    errno!(fd_filestat_get(I, I)),
    errno!(fd_filestat_set_size(I, L)),
    errno!(fd_filestat_set_times(I, L, L, I)),
    errno!(fd_pread(I, I, I, L, I)),
    errno!(fd_prestat_get(I, I)),
    errno!(fd_prestat_dir_name(I, I, I)),
    errno!(fd_pwrite(I, I, I, L, I)),
    errno!(fd_read(I, I, I, I)),
    errno!(fd_readdir(I, I, I, L, I)),
    errno!(fd_renumber(I, I)),
    errno!(fd_seek(I, L, I, I)),
    errno!(fd_sync(I)),
    errno!(fd_tell(I, I)),
    errno!(fd_write(I, I, I, I)),
    errno!(path_create_directory(I, I, I)),
    errno!(path_filestat_get(I, I, I, I, I)),
    errno!(path_filestat_set_times(I, I, I, I, L, L, I)),
    errno!(path_link(I, I, I, I, I, I, I)),
    errno!(path_open(I, I, I, I, I, L, L, I, I)),
    errno!(path_readlink(I, I, I, I, I, I)),
    errno!(path_remove_directory(I, I, I)),
    errno!(path_rename(I, I, I, I, I, I)),
    errno!(path_symlink(I, I, I, I, I)),
    errno!(path_unlink_file(I, I, I)),
    errno!(poll_oneoff(I, I, I, I)),
    errno!(proc_raise(I)),
    errno!(sched_yield()),
    errno!(random_get(I, I)),
    errno!(sock_accept(I, I, I)),
    errno!(sock_recv(I, I, I, I, I, I)),
    errno!(sock_send(I, I, I, I, I)),
    errno!(sock_shutdown(I, I)),
    WasiFunction {
        module: PREVIEW1,
        name: "proc_exit",
        params: &[I],
        results: &[],
    },
    WasiFunction {
        module: WASI_THREADS,
        name: "thread-spawn",
        params: &[I],
        results: &[I],
    },
];

/// The row for `module::name`, if weft-wasi defines it.
pub fn find(module: &str, name: &str) -> Option<&'static WasiFunction> {
    FUNCTIONS
        .iter()
        .find(|f| f.module == module && f.name == name)
}
