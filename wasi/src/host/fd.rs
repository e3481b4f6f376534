//! `fd_*`: operations on open descriptors.

use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::{DirEntryExt, FileExt};

use cap_std::fs::{Metadata, MetadataExt};
use std::sync::Arc;

use rustix::event::PollFlags;
use rustix::fs::{OFlags, Timestamps};

use crate::abi::{
    DIRENT_SIZE, FDSTAT_SIZE, FILESTAT_SIZE, Fd, PRESTAT_SIZE, fdflags, filetype, fstflags, rights,
    whence,
};
use crate::ctx::WasiCtx;
use crate::errno::Errno;
use crate::fail::Fail;
use crate::guest::Guest;
use crate::stdio::Input;
use crate::table::{Desc, Entry};

/// The entry for `fd` if it has all of `needed` rights (`EBADF`,
/// `ENOTCAPABLE`).
pub(crate) fn entry(ctx: &WasiCtx, fd: Fd, needed: u64) -> Result<Entry, Fail> {
    let entry = ctx.table().get(fd)?;
    if entry.base & needed != needed {
        return Err(Errno::NOTCAPABLE.into());
    }
    Ok(entry)
}

fn file(ctx: &WasiCtx, fd: Fd, needed: u64) -> Result<Arc<crate::table::FileDesc>, Fail> {
    match entry(ctx, fd, needed)?.desc {
        Desc::File(f) => Ok(f),
        Desc::Dir(_) => Err(Errno::ISDIR.into()),
        Desc::Stdin(_) | Desc::Out(_) => Err(Errno::SPIPE.into()),
    }
}

/// `filestat` bytes for host metadata.
pub(crate) fn filestat(m: &Metadata) -> [u8; FILESTAT_SIZE] {
    let mut out = [0u8; FILESTAT_SIZE];
    let ty = filetype_of_mode(m.mode());
    let time = |s: i64, ns: i64| (s.max(0) as u64).saturating_mul(1_000_000_000) + ns.max(0) as u64;
    out[0..8].copy_from_slice(&m.dev().to_le_bytes());
    out[8..16].copy_from_slice(&m.ino().to_le_bytes());
    out[16] = ty;
    out[24..32].copy_from_slice(&m.nlink().to_le_bytes());
    out[32..40].copy_from_slice(&m.size().to_le_bytes());
    out[40..48].copy_from_slice(&time(m.atime(), m.atime_nsec()).to_le_bytes());
    out[48..56].copy_from_slice(&time(m.mtime(), m.mtime_nsec()).to_le_bytes());
    out[56..64].copy_from_slice(&time(m.ctime(), m.ctime_nsec()).to_le_bytes());
    out
}

fn filetype_of_mode(mode: u32) -> u8 {
    match rustix::fs::FileType::from_raw_mode(mode as rustix::fs::RawMode) {
        rustix::fs::FileType::RegularFile => filetype::REGULAR_FILE,
        rustix::fs::FileType::Directory => filetype::DIRECTORY,
        rustix::fs::FileType::Symlink => filetype::SYMBOLIC_LINK,
        rustix::fs::FileType::CharacterDevice => filetype::CHARACTER_DEVICE,
        rustix::fs::FileType::BlockDevice => filetype::BLOCK_DEVICE,
        rustix::fs::FileType::Socket => filetype::SOCKET_STREAM,
        _ => filetype::UNKNOWN,
    }
}

/// A WASI timestamp pair as `utimensat`'s (`EINVAL` for contradictory
/// flags).
pub(crate) fn timestamps(atim: u64, mtim: u64, flags: u16) -> Result<Timestamps, Errno> {
    let one = |t: u64, set: u16, now: u16| -> Result<rustix::fs::Timespec, Errno> {
        let (set, now) = (flags & set != 0, flags & now != 0);
        Ok(match (set, now) {
            (true, true) => return Err(Errno::INVAL),
            (false, true) => rustix::fs::Timespec {
                tv_sec: 0,
                tv_nsec: rustix::fs::UTIME_NOW,
            },
            (true, false) => rustix::fs::Timespec {
                tv_sec: (t / 1_000_000_000) as i64,
                tv_nsec: (t % 1_000_000_000) as _,
            },
            (false, false) => rustix::fs::Timespec {
                tv_sec: 0,
                tv_nsec: rustix::fs::UTIME_OMIT,
            },
        })
    };
    if flags & !0xf != 0 {
        return Err(Errno::INVAL);
    }
    Ok(Timestamps {
        last_access: one(atim, fstflags::ATIM, fstflags::ATIM_NOW)?,
        last_modification: one(mtim, fstflags::MTIM, fstflags::MTIM_NOW)?,
    })
}

pub(crate) fn fd_advise(
    ctx: &WasiCtx,
    fd: Fd,
    offset: u64,
    len: u64,
    advice: u32,
) -> Result<(), Fail> {
    use rustix::fs::Advice;
    let advice = match advice {
        0 => Advice::Normal,
        1 => Advice::Sequential,
        2 => Advice::Random,
        3 => Advice::WillNeed,
        4 => Advice::DontNeed,
        5 => Advice::NoReuse,
        _ => return Err(Errno::INVAL.into()),
    };
    let f = file(ctx, fd, rights::FD_ADVISE)?;
    let len = std::num::NonZeroU64::new(len);
    rustix::fs::fadvise(&f.file, offset, len, advice)?;
    Ok(())
}

pub(crate) fn fd_allocate(ctx: &WasiCtx, fd: Fd, offset: u64, len: u64) -> Result<(), Fail> {
    let f = file(ctx, fd, rights::FD_ALLOCATE)?;
    if offset
        .checked_add(len)
        .is_none_or(|end| end > i64::MAX as u64)
    {
        return Err(Errno::FBIG.into());
    }
    rustix::fs::fallocate(&f.file, rustix::fs::FallocateFlags::empty(), offset, len)?;
    Ok(())
}

pub(crate) fn fd_close(ctx: &WasiCtx, fd: Fd) -> Result<(), Fail> {
    ctx.table().remove(fd)?;
    Ok(())
}

pub(crate) fn fd_datasync(ctx: &WasiCtx, fd: Fd) -> Result<(), Fail> {
    let f = file(ctx, fd, rights::FD_DATASYNC)?;
    f.file.sync_data()?;
    Ok(())
}

pub(crate) fn fd_sync(ctx: &WasiCtx, fd: Fd) -> Result<(), Fail> {
    match entry(ctx, fd, rights::FD_SYNC)?.desc {
        Desc::File(f) => f.file.sync_all()?,
        Desc::Dir(d) => rustix::fs::fsync(&d.dir)?,
        Desc::Stdin(_) | Desc::Out(_) => return Err(Errno::INVAL.into()),
    }
    Ok(())
}

pub(crate) fn fd_fdstat_get(
    ctx: &WasiCtx,
    mem: &mut Guest<'_>,
    fd: Fd,
    out: u32,
) -> Result<(), Fail> {
    mem.check(out, FDSTAT_SIZE)?;
    let entry = ctx.table().get(fd)?;
    let flags = match &entry.desc {
        Desc::File(f) => wasi_fdflags(rustix::fs::fcntl_getfl(&f.file)?),
        Desc::Out(_) => fdflags::APPEND,
        _ => 0,
    };
    let mut bytes = [0u8; FDSTAT_SIZE];
    bytes[0] = entry.desc.filetype();
    bytes[2..4].copy_from_slice(&flags.to_le_bytes());
    bytes[8..16].copy_from_slice(&entry.base.to_le_bytes());
    bytes[16..24].copy_from_slice(&entry.inheriting.to_le_bytes());
    mem.write(out, &bytes)
}

fn wasi_fdflags(host: OFlags) -> u16 {
    let mut flags = 0;
    if host.contains(OFlags::APPEND) {
        flags |= fdflags::APPEND;
    }
    if host.contains(OFlags::NONBLOCK) {
        flags |= fdflags::NONBLOCK;
    }
    if host.contains(OFlags::SYNC) {
        flags |= fdflags::SYNC;
    } else if host.contains(OFlags::DSYNC) {
        flags |= fdflags::DSYNC;
    }
    flags
}

/// Only `APPEND` and `NONBLOCK` can change on an open file (as on
/// Linux); asking for the sync flags is `ENOTSUP`.
pub(crate) fn fd_fdstat_set_flags(ctx: &WasiCtx, fd: Fd, flags: u32) -> Result<(), Fail> {
    let flags = u16::try_from(flags).map_err(|_| Errno::INVAL)?;
    if flags & (fdflags::DSYNC | fdflags::RSYNC | fdflags::SYNC) != 0 {
        return Err(Errno::NOTSUP.into());
    }
    if flags & !(fdflags::APPEND | fdflags::NONBLOCK) != 0 {
        return Err(Errno::INVAL.into());
    }
    let f = file(ctx, fd, rights::FD_FDSTAT_SET_FLAGS)?;
    let mut host = OFlags::empty();
    if flags & fdflags::APPEND != 0 {
        host |= OFlags::APPEND;
    }
    if flags & fdflags::NONBLOCK != 0 {
        host |= OFlags::NONBLOCK;
    }
    rustix::fs::fcntl_setfl(&f.file, host)?;
    Ok(())
}

/// Rights may only be dropped, never gained (`ENOTCAPABLE`).
pub(crate) fn fd_fdstat_set_rights(
    ctx: &WasiCtx,
    fd: Fd,
    base: u64,
    inheriting: u64,
) -> Result<(), Fail> {
    let mut table = ctx.table();
    let entry = table.get_mut(fd)?;
    if base & !entry.base != 0 || inheriting & !entry.inheriting != 0 {
        return Err(Errno::NOTCAPABLE.into());
    }
    entry.base = base;
    entry.inheriting = inheriting;
    Ok(())
}

pub(crate) fn fd_filestat_get(
    ctx: &WasiCtx,
    mem: &mut Guest<'_>,
    fd: Fd,
    out: u32,
) -> Result<(), Fail> {
    mem.check(out, FILESTAT_SIZE)?;
    let bytes = match entry(ctx, fd, rights::FD_FILESTAT_GET)?.desc {
        Desc::File(f) => filestat(&Metadata::from_file(&f.file)?),
        Desc::Dir(d) => filestat(&d.dir.dir_metadata()?),
        Desc::Stdin(_) | Desc::Out(_) => {
            let mut b = [0u8; FILESTAT_SIZE];
            b[16] = filetype::CHARACTER_DEVICE;
            b
        }
    };
    mem.write(out, &bytes)
}

pub(crate) fn fd_filestat_set_size(ctx: &WasiCtx, fd: Fd, size: u64) -> Result<(), Fail> {
    let f = file(ctx, fd, rights::FD_FILESTAT_SET_SIZE)?;
    if size > i64::MAX as u64 {
        return Err(Errno::FBIG.into());
    }
    f.file.set_len(size)?;
    Ok(())
}

pub(crate) fn fd_filestat_set_times(
    ctx: &WasiCtx,
    fd: Fd,
    atim: u64,
    mtim: u64,
    flags: u32,
) -> Result<(), Fail> {
    let flags = u16::try_from(flags).map_err(|_| Errno::INVAL)?;
    let times = timestamps(atim, mtim, flags)?;
    match entry(ctx, fd, rights::FD_FILESTAT_SET_TIMES)?.desc {
        Desc::File(f) => rustix::fs::futimens(&f.file, &times)?,
        Desc::Dir(d) => rustix::fs::futimens(&d.dir, &times)?,
        Desc::Stdin(_) | Desc::Out(_) => return Err(Errno::INVAL.into()),
    }
    Ok(())
}

pub(crate) fn fd_read(
    ctx: &WasiCtx,
    mem: &mut Guest<'_>,
    fd: Fd,
    iovs: u32,
    count: u32,
    nread: u32,
) -> Result<(), Fail> {
    mem.check(nread, 4)?;
    let iovs = mem.iovecs(iovs, count)?;
    let want: usize = iovs.iter().map(|(_, l)| l).sum();
    let mut buf = vec![0u8; want];
    let n = match entry(ctx, fd, rights::FD_READ)?.desc {
        Desc::File(f) => {
            if !f.readable {
                return Err(Errno::BADF.into());
            }
            (&f.file).read(&mut buf)?
        }
        Desc::Stdin(input) => read_stdin(ctx, &input, &mut buf)?,
        Desc::Dir(_) => return Err(Errno::ISDIR.into()),
        Desc::Out(_) => return Err(Errno::BADF.into()),
    };
    mem.scatter(&iovs, &buf[..n])?;
    mem.put_u32(nread, n as u32)
}

/// Reads stdin; for the host's, first waits until it is readable or the
/// program exits, so that `proc_exit` in another thread ends this one.
fn read_stdin(ctx: &WasiCtx, input: &Input, buf: &mut [u8]) -> Result<usize, Fail> {
    if buf.is_empty() {
        return Ok(0);
    }
    if let Input::Inherit = input {
        let stdin = std::io::stdin();
        ctx.program()
            .wait_ready(Some((stdin.as_fd(), PollFlags::IN)), None)?;
    }
    Ok(input.read(buf)?)
}

pub(crate) fn fd_pread(
    ctx: &WasiCtx,
    mem: &mut Guest<'_>,
    fd: Fd,
    iovs: u32,
    count: u32,
    offset: u64,
    nread: u32,
) -> Result<(), Fail> {
    mem.check(nread, 4)?;
    let iovs = mem.iovecs(iovs, count)?;
    let f = file(ctx, fd, rights::FD_READ | rights::FD_SEEK)?;
    let want: usize = iovs.iter().map(|(_, l)| l).sum();
    let mut buf = vec![0u8; want];
    let n = f.file.read_at(&mut buf, offset)?;
    mem.scatter(&iovs, &buf[..n])?;
    mem.put_u32(nread, n as u32)
}

pub(crate) fn fd_write(
    ctx: &WasiCtx,
    mem: &mut Guest<'_>,
    fd: Fd,
    iovs: u32,
    count: u32,
    nwritten: u32,
) -> Result<(), Fail> {
    mem.check(nwritten, 4)?;
    let iovs = mem.iovecs(iovs, count)?;
    let data = mem.gather(&iovs)?;
    let n = match entry(ctx, fd, rights::FD_WRITE)?.desc {
        Desc::File(f) => {
            if !f.writable {
                return Err(Errno::BADF.into());
            }
            (&f.file).write(&data)?
        }
        Desc::Out(out) => out.write(&data)?,
        Desc::Dir(_) => return Err(Errno::ISDIR.into()),
        Desc::Stdin(_) => return Err(Errno::BADF.into()),
    };
    mem.put_u32(nwritten, n as u32)
}

pub(crate) fn fd_pwrite(
    ctx: &WasiCtx,
    mem: &mut Guest<'_>,
    fd: Fd,
    iovs: u32,
    count: u32,
    offset: u64,
    nwritten: u32,
) -> Result<(), Fail> {
    mem.check(nwritten, 4)?;
    let iovs = mem.iovecs(iovs, count)?;
    let data = mem.gather(&iovs)?;
    let f = file(ctx, fd, rights::FD_WRITE | rights::FD_SEEK)?;
    let n = f.file.write_at(&data, offset)?;
    mem.put_u32(nwritten, n as u32)
}

pub(crate) fn fd_prestat_get(
    ctx: &WasiCtx,
    mem: &mut Guest<'_>,
    fd: Fd,
    out: u32,
) -> Result<(), Fail> {
    mem.check(out, PRESTAT_SIZE)?;
    let name = preopen_name(ctx, fd)?;
    let mut bytes = [0u8; PRESTAT_SIZE];
    bytes[4..8].copy_from_slice(&(name.len() as u32).to_le_bytes());
    mem.write(out, &bytes)
}

pub(crate) fn fd_prestat_dir_name(
    ctx: &WasiCtx,
    mem: &mut Guest<'_>,
    fd: Fd,
    path: u32,
    len: u32,
) -> Result<(), Fail> {
    mem.check(path, len as usize)?;
    let name = preopen_name(ctx, fd)?;
    if (len as usize) < name.len() {
        return Err(Errno::NAMETOOLONG.into());
    }
    mem.write(path, name.as_bytes())
}

fn preopen_name(ctx: &WasiCtx, fd: Fd) -> Result<String, Fail> {
    match ctx.table().get(fd)?.desc {
        Desc::Dir(d) => d.preopen.clone().ok_or(Errno::BADF.into()),
        _ => Err(Errno::BADF.into()),
    }
}

pub(crate) fn fd_readdir(
    ctx: &WasiCtx,
    mem: &mut Guest<'_>,
    fd: Fd,
    buf: u32,
    len: u32,
    cookie: u64,
    used: u32,
) -> Result<(), Fail> {
    mem.check(buf, len as usize)?;
    mem.check(used, 4)?;
    let dir = match entry(ctx, fd, rights::FD_READDIR)?.desc {
        Desc::Dir(d) => d,
        _ => return Err(Errno::NOTDIR.into()),
    };
    // The listing is read afresh from the start on every call and the
    // cookie is the index of the next entry: simple and stable as long as
    // the directory does not change between calls.
    let mut names: Vec<(Vec<u8>, u64, u8)> = Vec::new();
    let here = dir.dir.dir_metadata()?;
    names.push((b".".to_vec(), here.ino(), filetype::DIRECTORY));
    names.push((b"..".to_vec(), 0, filetype::DIRECTORY));
    for e in dir.dir.entries()? {
        let e = e?;
        let ty = match e.file_type() {
            Ok(t) if t.is_dir() => filetype::DIRECTORY,
            Ok(t) if t.is_file() => filetype::REGULAR_FILE,
            Ok(t) if t.is_symlink() => filetype::SYMBOLIC_LINK,
            _ => filetype::UNKNOWN,
        };
        names.push((e.file_name().into_encoded_bytes(), e.ino(), ty));
    }
    let mut out = Vec::new();
    let limit = len as usize;
    for (i, (name, ino, ty)) in names
        .iter()
        .enumerate()
        .skip(cookie.min(usize::MAX as u64) as usize)
    {
        if out.len() >= limit {
            break;
        }
        let mut d = [0u8; DIRENT_SIZE];
        d[0..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
        d[8..16].copy_from_slice(&ino.to_le_bytes());
        d[16..20].copy_from_slice(&(name.len() as u32).to_le_bytes());
        d[20] = *ty;
        out.extend_from_slice(&d);
        out.extend_from_slice(name);
    }
    // A full buffer means "there may be more": the last entry may be cut.
    out.truncate(limit);
    mem.write(buf, &out)?;
    mem.put_u32(used, out.len() as u32)
}

pub(crate) fn fd_renumber(ctx: &WasiCtx, from: Fd, to: Fd) -> Result<(), Fail> {
    ctx.table().renumber(from, to)?;
    Ok(())
}

pub(crate) fn fd_seek(
    ctx: &WasiCtx,
    mem: &mut Guest<'_>,
    fd: Fd,
    offset: i64,
    how: u32,
    out: u32,
) -> Result<(), Fail> {
    mem.check(out, 8)?;
    let needed = if offset == 0 && how == u32::from(whence::CUR) {
        rights::FD_TELL
    } else {
        rights::FD_SEEK
    };
    let f = file(ctx, fd, needed)?;
    let pos = match u8::try_from(how).map_err(|_| Errno::INVAL)? {
        whence::SET => SeekFrom::Start(u64::try_from(offset).map_err(|_| Errno::INVAL)?),
        whence::CUR => SeekFrom::Current(offset),
        whence::END => SeekFrom::End(offset),
        _ => return Err(Errno::INVAL.into()),
    };
    let at = (&f.file).seek(pos)?;
    mem.put_u64(out, at)
}

pub(crate) fn fd_tell(ctx: &WasiCtx, mem: &mut Guest<'_>, fd: Fd, out: u32) -> Result<(), Fail> {
    mem.check(out, 8)?;
    let f = file(ctx, fd, rights::FD_TELL)?;
    let at = (&f.file).stream_position()?;
    mem.put_u64(out, at)
}
