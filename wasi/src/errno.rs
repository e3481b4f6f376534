//! `errno`, and the one place host errors become guest error numbers.
//!
//! Every host function returns `Result<_, Errno>` (or [`Fail`], which
//! can also unwind the calling thread); the linker glue turns `Err(errno)`
//! into the function's `i32` result.

use std::io;

/// A WASI error number (`errno` in the witx), a `u16` on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Errno(pub u16);

#[allow(missing_docs, reason = "the names are the witx's")]
impl Errno {
    pub const SUCCESS: Errno = Errno(0);
    pub const TOOBIG: Errno = Errno(1);
    pub const ACCES: Errno = Errno(2);
    pub const AGAIN: Errno = Errno(6);
    pub const BADF: Errno = Errno(8);
    pub const BUSY: Errno = Errno(10);
    pub const EXIST: Errno = Errno(20);
    pub const FAULT: Errno = Errno(21);
    pub const FBIG: Errno = Errno(22);
    pub const ILSEQ: Errno = Errno(25);
    pub const INTR: Errno = Errno(27);
    pub const INVAL: Errno = Errno(28);
    pub const IO: Errno = Errno(29);
    pub const ISDIR: Errno = Errno(31);
    pub const LOOP: Errno = Errno(32);
    pub const MFILE: Errno = Errno(33);
    pub const MLINK: Errno = Errno(34);
    pub const NAMETOOLONG: Errno = Errno(37);
    pub const NFILE: Errno = Errno(41);
    pub const NOENT: Errno = Errno(44);
    pub const NOMEM: Errno = Errno(48);
    pub const NOSPC: Errno = Errno(51);
    pub const NOSYS: Errno = Errno(52);
    pub const NOTDIR: Errno = Errno(54);
    pub const NOTEMPTY: Errno = Errno(55);
    pub const NOTSOCK: Errno = Errno(57);
    pub const NOTSUP: Errno = Errno(58);
    pub const NOTTY: Errno = Errno(59);
    pub const NXIO: Errno = Errno(60);
    pub const OVERFLOW: Errno = Errno(61);
    pub const PERM: Errno = Errno(63);
    pub const PIPE: Errno = Errno(64);
    pub const RANGE: Errno = Errno(68);
    pub const ROFS: Errno = Errno(69);
    pub const SPIPE: Errno = Errno(70);
    pub const TIMEDOUT: Errno = Errno(73);
    pub const TXTBSY: Errno = Errno(74);
    pub const XDEV: Errno = Errno(75);
    pub const NOTCAPABLE: Errno = Errno(76);
}

impl From<io::Error> for Errno {
    /// The host's errno when there is one; cap-std's sandbox refusals
    /// (a path that would leave its directory) carry none and are
    /// `ENOTCAPABLE`.
    fn from(e: io::Error) -> Errno {
        match e.raw_os_error() {
            Some(raw) => from_host(rustix::io::Errno::from_raw_os_error(raw)),
            None => match e.kind() {
                io::ErrorKind::PermissionDenied => Errno::NOTCAPABLE,
                io::ErrorKind::NotFound => Errno::NOENT,
                io::ErrorKind::AlreadyExists => Errno::EXIST,
                io::ErrorKind::InvalidInput => Errno::INVAL,
                io::ErrorKind::InvalidData => Errno::ILSEQ,
                io::ErrorKind::Unsupported => Errno::NOTSUP,
                io::ErrorKind::WouldBlock => Errno::AGAIN,
                io::ErrorKind::Interrupted => Errno::INTR,
                io::ErrorKind::BrokenPipe => Errno::PIPE,
                io::ErrorKind::OutOfMemory => Errno::NOMEM,
                io::ErrorKind::IsADirectory => Errno::ISDIR,
                io::ErrorKind::NotADirectory => Errno::NOTDIR,
                io::ErrorKind::DirectoryNotEmpty => Errno::NOTEMPTY,
                io::ErrorKind::ReadOnlyFilesystem => Errno::ROFS,
                _ => Errno::IO,
            },
        }
    }
}

impl From<rustix::io::Errno> for Errno {
    fn from(e: rustix::io::Errno) -> Errno {
        from_host(e)
    }
}

/// The host's errno as WASI's (the numbering differs).
fn from_host(e: rustix::io::Errno) -> Errno {
    use rustix::io::Errno as H;
    match e {
        H::TOOBIG => Errno::TOOBIG,
        H::ACCESS => Errno::ACCES,
        H::AGAIN => Errno::AGAIN,
        H::BADF => Errno::BADF,
        H::BUSY => Errno::BUSY,
        H::EXIST => Errno::EXIST,
        H::FAULT => Errno::FAULT,
        H::FBIG => Errno::FBIG,
        H::ILSEQ => Errno::ILSEQ,
        H::INTR => Errno::INTR,
        H::INVAL => Errno::INVAL,
        H::IO => Errno::IO,
        H::ISDIR => Errno::ISDIR,
        H::LOOP => Errno::LOOP,
        H::MFILE => Errno::MFILE,
        H::MLINK => Errno::MLINK,
        H::NAMETOOLONG => Errno::NAMETOOLONG,
        H::NFILE => Errno::NFILE,
        H::NOENT => Errno::NOENT,
        H::NOMEM => Errno::NOMEM,
        H::NOSPC => Errno::NOSPC,
        H::NOSYS => Errno::NOSYS,
        H::NOTDIR => Errno::NOTDIR,
        H::NOTEMPTY => Errno::NOTEMPTY,
        H::NOTSOCK => Errno::NOTSOCK,
        H::NOTSUP => Errno::NOTSUP,
        H::NOTTY => Errno::NOTTY,
        H::NXIO => Errno::NXIO,
        H::OVERFLOW => Errno::OVERFLOW,
        H::PERM => Errno::PERM,
        H::PIPE => Errno::PIPE,
        H::RANGE => Errno::RANGE,
        H::ROFS => Errno::ROFS,
        H::SPIPE => Errno::SPIPE,
        H::TIMEDOUT => Errno::TIMEDOUT,
        H::TXTBSY => Errno::TXTBSY,
        H::XDEV => Errno::XDEV,
        _ => Errno::IO,
    }
}
