//! How a host function fails: an errno for the guest, or something that
//! must end the calling thread.

use std::io;

use crate::errno::Errno;

/// The error side of every host function.
#[derive(Debug)]
pub(crate) enum Fail {
    /// Returned to the guest as the function's result.
    Errno(Errno),
    /// The module exports no `memory`, so pointers mean nothing: the call
    /// fails as a host error (wasmtime does the same).
    NoMemory,
    /// The program is exiting (this thread called `proc_exit`, or another
    /// thread ended the program while this one was blocked): unwind this
    /// thread through wasm as an error value.
    Exit,
}

impl From<Errno> for Fail {
    fn from(e: Errno) -> Fail {
        Fail::Errno(e)
    }
}

impl From<io::Error> for Fail {
    fn from(e: io::Error) -> Fail {
        Fail::Errno(e.into())
    }
}

impl From<rustix::io::Errno> for Fail {
    fn from(e: rustix::io::Errno) -> Fail {
        Fail::Errno(e.into())
    }
}
