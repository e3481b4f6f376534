//! One running program: its outcome, its threads, and how it ends.
//!
//! ## Termination
//!
//! The wasi-threads rule is that `proc_exit` in any thread, a trap in any
//! thread, or `_start` returning ends *every* thread of the program. The
//! first of these to happen records the program's [`Outcome`] (later ones
//! are ignored) and then wakes everything that could keep a thread alive:
//!
//! - running wasm and `memory.atomic.wait`: every store of the program
//!   is in one interrupt group, and the group is interrupted, so each
//!   thread traps `interrupt` at its next check or wait (sticky: a thread
//!   spawned later traps on entry);
//! - blocking host calls (`fd_read` on stdin, `poll_oneoff`): they poll
//!   their descriptor together with the read end of a pipe that exit
//!   writes one byte to and nobody reads, so it stays readable for good.
//!
//! A thread unwinds as an error value (no `std::process::exit`, no
//! unwinding through JIT code); the runner joins every thread and only
//! then returns the recorded outcome.
//!
//! The concurrent part — first outcome wins, the exit's action runs once,
//! no tid after the exit, `join_all` joins threads spawned while joining —
//! is [`weft_core::exit::Termination`], stated, argued and loom-checked
//! there; this file supplies the outcome type, the join handles and the
//! (sticky) action: the group interrupt and the wake-pipe byte.

use std::any::Any;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::OnceLock;
use std::thread::JoinHandle;
use std::time::Duration;

use rustix::event::{PollFd, PollFlags};
use weft_core::exit::Termination;

use crate::errno::Errno;
use crate::fail::Fail;
use crate::group::Group;

/// How a program ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// `proc_exit(code)`, or `_start` returning (code 0).
    Exit(i32),
    /// A thread trapped (or failed in a host call).
    Trap(weft::Error),
}

/// The shared state of one program.
pub(crate) struct Program {
    /// The outcome, the exiting flag and the threads.
    term: Termination<Outcome, JoinHandle<()>>,
    wake_read: OwnedFd,
    wake_write: OwnedFd,
    pub(crate) stack_size: usize,
    /// Fuel given to each thread's store, if any.
    pub(crate) fuel: Option<u64>,
    /// What `thread-spawn` needs to start a thread (the linker and the
    /// module), type-erased because it is generic over the store data;
    /// set once by the runner.
    pub(crate) runner: OnceLock<Box<dyn Any + Send + Sync>>,
    group: Group,
}

impl Program {
    pub(crate) fn new(
        max_threads: u32,
        stack_size: usize,
        fuel: Option<u64>,
    ) -> std::io::Result<Program> {
        let (wake_read, wake_write) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
        Ok(Program {
            term: Termination::new(max_threads),
            wake_read,
            wake_write,
            stack_size,
            fuel,
            runner: OnceLock::new(),
            group: Group::new(),
        })
    }

    /// Puts a new store of this program in its interrupt group, with its
    /// fuel if the program has a fuel budget.
    pub(crate) fn adopt<T>(&self, store: &mut weft::Store<T>) -> weft::Result<()> {
        self.group.join(store);
        if let Some(fuel) = self.fuel {
            store.set_fuel(fuel)?;
        }
        Ok(())
    }

    /// Whether the program is ending.
    pub(crate) fn exiting(&self) -> bool {
        self.term.exiting()
    }

    /// Ends the program with `outcome` unless it has ended already; then
    /// stops every thread. Idempotent.
    pub(crate) fn finish(&self, outcome: Outcome) {
        // Both effects are sticky, as `Termination` requires: the group
        // stays interrupted and the byte is never read.
        self.term.finish(outcome, || {
            self.group.interrupt();
            // The pipe has room for this byte: it is the only one ever
            // written. A failure would leave blocked host calls blocked,
            // and there is nothing else to do about it.
            let _ = rustix::io::write(&self.wake_write, &[1]);
        });
    }

    /// Takes the outcome (once every thread is joined).
    pub(crate) fn take_outcome(&self) -> Option<Outcome> {
        self.term.take_outcome()
    }

    /// Waits until `fd` is ready for `flags` or `timeout` passes; `Exit`
    /// if the program ends first.
    pub(crate) fn wait_ready(
        &self,
        fd: Option<(std::os::fd::BorrowedFd<'_>, PollFlags)>,
        timeout: Option<Duration>,
    ) -> Result<bool, Fail> {
        let timeout = timeout.map(|d| rustix::time::Timespec {
            tv_sec: d.as_secs().min(i64::MAX as u64) as i64,
            tv_nsec: i64::from(d.subsec_nanos()),
        });
        loop {
            let mut fds = vec![PollFd::new(&self.wake_read, PollFlags::IN)];
            if let Some((fd, flags)) = fd {
                fds.push(PollFd::from_borrowed_fd(fd, flags));
            }
            match rustix::event::poll(&mut fds, timeout.as_ref()) {
                Ok(_) => {}
                Err(rustix::io::Errno::INTR) => continue,
                Err(e) => return Err(e.into()),
            }
            if !fds[0].revents().is_empty() || self.exiting() {
                return Err(Fail::Exit);
            }
            return Ok(fds.get(1).is_some_and(|f| !f.revents().is_empty()));
        }
    }

    /// A fresh thread id, unless the live-thread limit is reached or
    /// the program is ending.
    pub(crate) fn allocate_tid(&self) -> Result<u32, Errno> {
        self.term.allocate_tid().map_err(|_| Errno::AGAIN)
    }

    /// Gives `tid` back when its thread ends (or failed to start).
    pub(crate) fn release_tid(&self, tid: u32) {
        self.term.release_tid(tid);
    }

    /// Records a started thread's handle; before `thread-spawn` returns.
    pub(crate) fn add_handle(&self, handle: JoinHandle<()>) {
        self.term.add_handle(handle);
    }

    /// Joins every thread, including those spawned while joining.
    pub(crate) fn join_all(&self) {
        self.term.join_all(|handle| {
            // A thread's body catches its own failures; a panic in it (a
            // weft bug) has already been reported by the panic hook, and
            // the program still ends.
            let _ = handle.join();
        });
    }

    /// The wake pipe, for `poll_oneoff`'s own poll set.
    pub(crate) fn wake_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.wake_read.as_fd()
    }
}
