//! The descriptor table, shared by every thread of a program.
//!
//! Entries are cheap to clone (stdio handles and `Arc`s): a host function
//! clones its entry out under the table lock and releases the lock before
//! doing any I/O, so a thread blocked in `fd_read` never holds up another
//! thread's `fd_write` or `path_open`.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::abi::{Fd, filetype, rights};
use crate::errno::Errno;
use crate::stdio::{Input, Output};

/// The most descriptors one program may have open (`EMFILE` beyond).
const MAX_FDS: usize = 1 << 14;

/// An open file.
pub(crate) struct FileDesc {
    pub(crate) file: std::fs::File,
    pub(crate) readable: bool,
    pub(crate) writable: bool,
}

/// An open directory.
pub(crate) struct DirDesc {
    pub(crate) dir: cap_std::fs::Dir,
    /// The guest path, if this is a preopen (`fd_prestat_get`).
    pub(crate) preopen: Option<String>,
    /// False under a read-only preopen: nothing below may be created,
    /// changed or removed.
    pub(crate) writable: bool,
}

/// What a descriptor refers to.
#[derive(Clone)]
pub(crate) enum Desc {
    Stdin(Input),
    Out(Output),
    File(Arc<FileDesc>),
    Dir(Arc<DirDesc>),
}

impl Desc {
    pub(crate) fn filetype(&self) -> u8 {
        match self {
            Desc::Stdin(_) | Desc::Out(_) => filetype::CHARACTER_DEVICE,
            Desc::File(_) => filetype::REGULAR_FILE,
            Desc::Dir(_) => filetype::DIRECTORY,
        }
    }
}

/// A descriptor and its rights.
#[derive(Clone)]
pub(crate) struct Entry {
    pub(crate) desc: Desc,
    pub(crate) base: u64,
    pub(crate) inheriting: u64,
}

impl Entry {
    pub(crate) fn new(desc: Desc) -> Entry {
        let (base, inheriting) = match &desc {
            Desc::Stdin(_) | Desc::Out(_) => (rights::STDIO, 0),
            Desc::File(f) => {
                let mut base = rights::FILE;
                if !f.readable {
                    base &= !rights::FD_READ;
                }
                if !f.writable {
                    base &= !(rights::FD_WRITE
                        | rights::FD_ALLOCATE
                        | rights::FD_FILESTAT_SET_SIZE
                        | rights::FD_DATASYNC);
                }
                (base, 0)
            }
            Desc::Dir(_) => (rights::DIRECTORY, rights::DIRECTORY | rights::FILE),
        };
        Entry {
            desc,
            base,
            inheriting,
        }
    }
}

/// Descriptor number → entry.
#[derive(Default)]
pub(crate) struct Table {
    entries: BTreeMap<Fd, Entry>,
}

impl Table {
    pub(crate) fn get(&self, fd: Fd) -> Result<Entry, Errno> {
        self.entries.get(&fd).cloned().ok_or(Errno::BADF)
    }

    pub(crate) fn get_mut(&mut self, fd: Fd) -> Result<&mut Entry, Errno> {
        self.entries.get_mut(&fd).ok_or(Errno::BADF)
    }

    /// Puts `entry` at the lowest free number, as POSIX does.
    pub(crate) fn push(&mut self, entry: Entry) -> Result<Fd, Errno> {
        if self.entries.len() >= MAX_FDS {
            return Err(Errno::MFILE);
        }
        let mut fd = 0;
        for &used in self.entries.keys() {
            if used != fd {
                break;
            }
            fd += 1;
        }
        self.entries.insert(fd, entry);
        Ok(fd)
    }

    pub(crate) fn insert_at(&mut self, fd: Fd, entry: Entry) {
        self.entries.insert(fd, entry);
    }

    pub(crate) fn remove(&mut self, fd: Fd) -> Result<Entry, Errno> {
        self.entries.remove(&fd).ok_or(Errno::BADF)
    }

    /// `fd_renumber`: `from` takes `to`'s place, closing what was there.
    pub(crate) fn renumber(&mut self, from: Fd, to: Fd) -> Result<(), Errno> {
        if !self.entries.contains_key(&to) {
            return Err(Errno::BADF);
        }
        let entry = self.remove(from)?;
        self.entries.insert(to, entry);
        Ok(())
    }
}
