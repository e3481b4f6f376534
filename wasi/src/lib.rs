//! weft-wasi: WASI preview 1 and wasi-threads on weft.
//!
//! Every function of `wasi_snapshot_preview1` (the 46 of its witx) and
//! wasi-threads' `wasi.thread-spawn` are host functions on a weft
//! [`Linker`](weft::Linker). A program is a command module: its `_start`
//! runs on the calling thread, each `thread-spawn` starts a host thread
//! with its own store instantiating the same module with the same imports
//! (the shared `env.memory` included), and [`run_command`] returns the
//! exit status once every thread has ended.
//!
//! ```no_run
//! use weft::{Config, Engine, Linker, Module};
//! use weft_wasi::{DirMode, WasiCtxBuilder};
//!
//! let mut config = Config::new();
//! // Epoch checks let `proc_exit` stop threads that are busy in wasm.
//! config.wasm_threads(true).epoch_interruption(true);
//! let engine = Engine::new(&config)?;
//! let module = Module::from_file(&engine, "program.wasm")?;
//! let mut linker = Linker::new(&engine);
//! weft_wasi::add_to_linker(&mut linker)?;
//! let ctx = WasiCtxBuilder::new()
//!     .arg("program")
//!     .inherit_stdio()
//!     .preopened_dir(".", ".", DirMode::ReadOnly)?
//!     .build()?;
//! let status = weft_wasi::run_command(linker, &module, ctx)?;
//! println!("exited with {status}");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! `docs/wasi.md` says what is implemented, how termination works, what
//! the sandbox guarantees, and where weft differs from wasmtime 46.
//!
//! - **Sandbox**: preopened directories are cap-std `Dir`s and are the
//!   only roots; `..`, absolute paths and symlinks cannot leave them.
//! - **Guest memory** is copied in and out through weft's accessors, with
//!   every pointer and length checked first (`EFAULT`).
//! - **One context per program**, shared by its threads; the descriptor
//!   table is behind a lock that is never held across blocking I/O.
//! - **Termination**: `proc_exit` or a trap in any thread ends every
//!   thread; the library never calls `std::process::exit`.

#![deny(missing_docs)]

#[allow(dead_code, reason = "the witx's vocabulary is written out whole")]
mod abi;
mod ctx;
mod errno;
mod fail;
mod group;
mod guest;
mod host;
mod linker;
mod program;
mod run;
pub mod signatures;
mod stdio;
mod table;

pub use ctx::{DirMode, WasiCtx, WasiCtxBuilder, WasiView};
pub use linker::add_to_linker;
pub use run::run_command;
pub use stdio::OutputPipe;
