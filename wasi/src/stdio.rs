//! Standard input and output: the host's own, or in memory.

use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex, PoisonError};

/// Where a program's stdin comes from.
#[derive(Clone)]
pub(crate) enum Input {
    /// The host process's stdin. Reads wait until data arrives *or* the
    /// program exits (see `Program::wait_ready`).
    Inherit,
    /// Fixed bytes, then end of file.
    Bytes(Arc<Mutex<io::Cursor<Vec<u8>>>>),
}

impl Input {
    pub(crate) fn bytes(data: Vec<u8>) -> Input {
        Input::Bytes(Arc::new(Mutex::new(io::Cursor::new(data))))
    }

    /// Reads what is there (for `Inherit`, after the caller has waited
    /// until stdin is readable).
    pub(crate) fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Input::Inherit => io::stdin().lock().read(buf),
            Input::Bytes(cursor) => cursor
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .read(buf),
        }
    }
}

/// An in-memory stdout or stderr: what the program wrote, for the
/// embedder to read. Clones share the buffer.
#[derive(Clone, Default, Debug)]
pub struct OutputPipe {
    buffer: Arc<Mutex<Vec<u8>>>,
}

impl OutputPipe {
    /// An empty pipe.
    pub fn new() -> OutputPipe {
        OutputPipe::default()
    }

    /// Everything written so far.
    pub fn contents(&self) -> Vec<u8> {
        self.buffer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Where a program's stdout or stderr goes.
#[derive(Clone)]
pub(crate) enum Output {
    Stdout,
    Stderr,
    Pipe(OutputPipe),
    /// Discarded (the default, as nothing was asked for).
    Sink,
}

impl Output {
    pub(crate) fn write(&self, data: &[u8]) -> io::Result<usize> {
        match self {
            Output::Stdout => {
                let mut out = io::stdout().lock();
                out.write_all(data)?;
                out.flush()?;
            }
            Output::Stderr => io::stderr().lock().write_all(data)?,
            Output::Pipe(pipe) => pipe
                .buffer
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend_from_slice(data),
            Output::Sink => {}
        }
        Ok(data.len())
    }
}
