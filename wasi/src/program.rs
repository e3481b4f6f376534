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

use std::any::Any;
use std::collections::BTreeSet;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use rustix::event::{PollFd, PollFlags};

use crate::errno::Errno;
use crate::fail::Fail;
use crate::group::Group;

/// Thread ids run from 1 to 2^29-1 (the wasi-threads range).
pub(crate) const MAX_TID: u32 = (1 << 29) - 1;

/// How a program ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// `proc_exit(code)`, or `_start` returning (code 0).
    Exit(i32),
    /// A thread trapped (or failed in a host call).
    Trap(weft::Error),
}

/// The live threads and their join handles.
#[derive(Default)]
struct Threads {
    live: BTreeSet<u32>,
    next: u32,
    handles: Vec<JoinHandle<()>>,
}

/// The shared state of one program.
pub(crate) struct Program {
    outcome: Mutex<Option<Outcome>>,
    exiting: AtomicBool,
    wake_read: OwnedFd,
    wake_write: OwnedFd,
    threads: Mutex<Threads>,
    pub(crate) max_threads: u32,
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
            outcome: Mutex::new(None),
            exiting: AtomicBool::new(false),
            wake_read,
            wake_write,
            threads: Mutex::new(Threads {
                next: 1,
                ..Threads::default()
            }),
            max_threads,
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
        self.exiting.load(Ordering::Acquire)
    }

    /// Ends the program with `outcome` unless it has ended already; then
    /// stops every thread. Idempotent.
    pub(crate) fn finish(&self, outcome: Outcome) {
        {
            let mut slot = self.outcome.lock().unwrap_or_else(PoisonError::into_inner);
            if slot.is_none() {
                *slot = Some(outcome);
            }
        }
        if !self.exiting.swap(true, Ordering::AcqRel) {
            self.group.interrupt();
            // The pipe has room for this byte: it is the only one ever
            // written. A failure would leave blocked host calls blocked,
            // and there is nothing else to do about it.
            let _ = rustix::io::write(&self.wake_write, &[1]);
        }
    }

    /// Takes the outcome (once every thread is joined).
    pub(crate) fn take_outcome(&self) -> Option<Outcome> {
        self.outcome
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
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
        let mut threads = self.threads.lock().unwrap_or_else(PoisonError::into_inner);
        if self.exiting() || threads.live.len() >= self.max_threads as usize {
            return Err(Errno::AGAIN);
        }
        // The limit is far below 2^29, so a free id is found quickly.
        loop {
            let tid = threads.next;
            threads.next = if tid >= MAX_TID { 1 } else { tid + 1 };
            if threads.live.insert(tid) {
                return Ok(tid);
            }
        }
    }

    /// Gives `tid` back when its thread ends (or failed to start).
    pub(crate) fn release_tid(&self, tid: u32) {
        let mut threads = self.threads.lock().unwrap_or_else(PoisonError::into_inner);
        threads.live.remove(&tid);
    }

    pub(crate) fn add_handle(&self, handle: JoinHandle<()>) {
        let mut threads = self.threads.lock().unwrap_or_else(PoisonError::into_inner);
        threads.handles.push(handle);
    }

    /// Joins every thread, including those spawned while joining: a
    /// thread's handle is recorded before the `thread-spawn` call that
    /// made it returns, so once a round finds no handles, none is left.
    pub(crate) fn join_all(&self) {
        loop {
            let handles = std::mem::take(
                &mut self
                    .threads
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .handles,
            );
            if handles.is_empty() {
                return;
            }
            for handle in handles {
                // A thread's body catches its own failures; a panic in
                // it (a weft bug) has already been reported by the panic
                // hook, and the program still ends.
                let _ = handle.join();
            }
        }
    }

    /// The wake pipe, for `poll_oneoff`'s own poll set.
    pub(crate) fn wake_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.wake_read.as_fd()
    }
}
