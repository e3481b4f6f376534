//! The WASI context of one program, and its builder.

use std::io;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::program::{Outcome, Program};
use crate::stdio::{Input, Output, OutputPipe};
use crate::table::{Desc, DirDesc, Entry, Table};

/// How much a preopened directory lets the program do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DirMode {
    /// Read files and list directories; create, change or remove nothing.
    ReadOnly,
    /// Everything, below the directory.
    ReadWrite,
}

/// The WASI state of one program, shared by all its threads: arguments,
/// environment, the descriptor table and the program's exit state.
///
/// Clones share it (it is an `Arc`). A context runs one program: build a
/// new one for each run.
#[derive(Clone)]
pub struct WasiCtx {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) args: Vec<String>,
    pub(crate) env: Vec<String>,
    table: Mutex<Table>,
    pub(crate) program: Program,
}

impl WasiCtx {
    /// The descriptor table, locked. Callers clone what they need and drop
    /// the guard before any I/O.
    pub(crate) fn table(&self) -> MutexGuard<'_, Table> {
        self.inner
            .table
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn program(&self) -> &Program {
        &self.inner.program
    }

    /// Ends the program from outside (a timeout, a shutdown), as if one of
    /// its threads had trapped with [`TrapCode::Interrupt`]: every thread
    /// stops (running wasm needs `Config::epoch_interruption`), blocking
    /// host calls return, and `run_command` returns that trap. Callable
    /// from any thread, before or during the run; idempotent, and a no-op
    /// once the program has ended otherwise.
    ///
    /// [`TrapCode::Interrupt`]: weft::TrapCode::Interrupt
    pub fn interrupt(&self) {
        let trap = weft::Trap::new(weft::TrapCode::Interrupt);
        self.program().finish(Outcome::Trap(trap.into()));
    }
}

impl std::fmt::Debug for WasiCtx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasiCtx")
            .field("args", &self.inner.args)
            .finish_non_exhaustive()
    }
}

/// Store data that holds a [`WasiCtx`]: what the WASI host functions need
/// from a store. `Clone` because every thread of the program gets its own
/// store, with a clone of the spawning thread's data.
pub trait WasiView: Clone + Send + 'static {
    /// The program's context.
    fn ctx(&self) -> &WasiCtx;
}

impl WasiView for WasiCtx {
    fn ctx(&self) -> &WasiCtx {
        self
    }
}

/// Builds a [`WasiCtx`]: arguments, environment, stdio, preopened
/// directories and thread limits. Nothing is inherited from the host
/// unless asked for.
pub struct WasiCtxBuilder {
    args: Vec<String>,
    env: Vec<String>,
    stdin: Input,
    stdout: Output,
    stderr: Output,
    preopens: Vec<(String, cap_std::fs::Dir, DirMode)>,
    max_threads: u32,
    stack_size: usize,
    fuel: Option<u64>,
}

impl Default for WasiCtxBuilder {
    fn default() -> Self {
        WasiCtxBuilder::new()
    }
}

impl WasiCtxBuilder {
    /// No arguments, no environment, empty stdin, discarded output, no
    /// directories; up to 1024 live threads of 4 MiB stacks.
    pub fn new() -> WasiCtxBuilder {
        WasiCtxBuilder {
            args: Vec::new(),
            env: Vec::new(),
            stdin: Input::bytes(Vec::new()),
            stdout: Output::Sink,
            stderr: Output::Sink,
            preopens: Vec::new(),
            max_threads: 1024,
            stack_size: 4 << 20,
            fuel: None,
        }
    }

    /// Appends one argument (the first is the program name).
    pub fn arg(&mut self, arg: impl Into<String>) -> &mut Self {
        self.args.push(arg.into());
        self
    }

    /// Appends arguments.
    pub fn args<S: Into<String>>(&mut self, args: impl IntoIterator<Item = S>) -> &mut Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets one environment variable.
    pub fn env(&mut self, name: &str, value: &str) -> &mut Self {
        self.env.push(format!("{name}={value}"));
        self
    }

    /// Passes the host's environment (the variables that are UTF-8).
    pub fn inherit_env(&mut self) -> &mut Self {
        for (name, value) in std::env::vars_os() {
            if let (Some(name), Some(value)) = (name.to_str(), value.to_str()) {
                self.env(name, value);
            }
        }
        self
    }

    /// The host's stdin, stdout and stderr.
    pub fn inherit_stdio(&mut self) -> &mut Self {
        self.inherit_stdin().inherit_stdout().inherit_stderr()
    }

    /// The host's stdin.
    pub fn inherit_stdin(&mut self) -> &mut Self {
        self.stdin = Input::Inherit;
        self
    }

    /// The host's stdout.
    pub fn inherit_stdout(&mut self) -> &mut Self {
        self.stdout = Output::Stdout;
        self
    }

    /// The host's stderr.
    pub fn inherit_stderr(&mut self) -> &mut Self {
        self.stderr = Output::Stderr;
        self
    }

    /// Stdin reads these bytes, then end of file.
    pub fn stdin_bytes(&mut self, bytes: impl Into<Vec<u8>>) -> &mut Self {
        self.stdin = Input::bytes(bytes.into());
        self
    }

    /// Stdout goes into `pipe`.
    pub fn stdout(&mut self, pipe: OutputPipe) -> &mut Self {
        self.stdout = Output::Pipe(pipe);
        self
    }

    /// Stderr goes into `pipe`.
    pub fn stderr(&mut self, pipe: OutputPipe) -> &mut Self {
        self.stderr = Output::Pipe(pipe);
        self
    }

    /// Opens the host directory `host` now and gives it to the program as
    /// `guest`. Paths the program opens under it are resolved by cap-std
    /// inside it: `..`, absolute paths and symlinks cannot leave it.
    pub fn preopened_dir(
        &mut self,
        host: impl AsRef<Path>,
        guest: &str,
        mode: DirMode,
    ) -> io::Result<&mut Self> {
        let dir = cap_std::fs::Dir::open_ambient_dir(host, cap_std::ambient_authority())?;
        self.preopens.push((guest.to_string(), dir, mode));
        Ok(self)
    }

    /// The most threads that may be alive at once besides the main one
    /// (`thread-spawn` fails beyond it).
    pub fn max_threads(&mut self, count: u32) -> &mut Self {
        self.max_threads = count;
        self
    }

    /// The host stack size of each spawned thread, in bytes.
    pub fn thread_stack_size(&mut self, bytes: usize) -> &mut Self {
        self.stack_size = bytes;
        self
    }

    /// Gives each thread's store `fuel` units of fuel (the engine needs
    /// `Config::consume_fuel(true)`); a thread that runs out traps, which
    /// ends the program.
    pub fn fuel_per_thread(&mut self, fuel: u64) -> &mut Self {
        self.fuel = Some(fuel);
        self
    }

    /// The context. Fails only if the host cannot make the pipe that
    /// wakes blocking calls on exit (out of descriptors).
    pub fn build(&mut self) -> io::Result<WasiCtx> {
        let mut table = Table::default();
        table.insert_at(0, Entry::new(Desc::Stdin(self.stdin.clone())));
        table.insert_at(1, Entry::new(Desc::Out(self.stdout.clone())));
        table.insert_at(2, Entry::new(Desc::Out(self.stderr.clone())));
        for (guest, dir, mode) in std::mem::take(&mut self.preopens) {
            let desc = Desc::Dir(Arc::new(DirDesc {
                dir,
                preopen: Some(guest),
                writable: mode == DirMode::ReadWrite,
            }));
            table
                .push(Entry::new(desc))
                .map_err(|_| io::Error::other("too many preopened directories"))?;
        }
        let program = Program::new(self.max_threads, self.stack_size, self.fuel)?;
        Ok(WasiCtx {
            inner: Arc::new(Inner {
                args: self.args.clone(),
                env: self.env.clone(),
                table: Mutex::new(table),
                program,
            }),
        })
    }
}
