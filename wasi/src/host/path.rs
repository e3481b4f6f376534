//! `path_*`: operations on paths under a directory descriptor.
//!
//! Every path is resolved by cap-std relative to the directory's `Dir`,
//! which refuses absolute paths, `..` above the directory and symlinks
//! that lead out of it (`ENOTCAPABLE`). Under a read-only preopen nothing
//! may be created, changed or removed (`EPERM`).

#![allow(
    clippy::too_many_arguments,
    reason = "each function takes its witx function's parameters"
)]

use std::sync::Arc;

use cap_fs_ext::{
    DirExt, FollowSymlinks, OpenOptionsFollowExt, OpenOptionsMaybeDirExt, SystemTimeSpec,
};
use cap_std::fs::OpenOptions;

use crate::abi::{FILESTAT_SIZE, Fd, LOOKUP_SYMLINK_FOLLOW, fdflags, fstflags, oflags, rights};
use crate::ctx::WasiCtx;
use crate::errno::Errno;
use crate::fail::Fail;
use crate::guest::Guest;
use crate::host::fd::{entry, filestat};
use crate::table::{Desc, DirDesc, Entry, FileDesc};

/// The directory behind `fd` with the `needed` rights.
fn dir(ctx: &WasiCtx, fd: Fd, needed: u64) -> Result<(Arc<DirDesc>, Entry), Fail> {
    let e = entry(ctx, fd, needed)?;
    match &e.desc {
        Desc::Dir(d) => Ok((Arc::clone(d), e)),
        _ => Err(Errno::NOTDIR.into()),
    }
}

/// As [`dir`], for an operation that changes the tree.
fn writable_dir(ctx: &WasiCtx, fd: Fd, needed: u64) -> Result<Arc<DirDesc>, Fail> {
    let (d, _) = dir(ctx, fd, needed)?;
    if !d.writable {
        return Err(Errno::PERM.into());
    }
    Ok(d)
}

/// A path argument; an empty one names nothing (`ENOENT`).
fn path(mem: &Guest<'_>, ptr: u32, len: u32) -> Result<String, Fail> {
    let p = mem.string(ptr, len)?;
    if p.is_empty() {
        return Err(Errno::NOENT.into());
    }
    Ok(p)
}

pub(crate) fn path_create_directory(
    ctx: &WasiCtx,
    mem: &mut Guest<'_>,
    fd: Fd,
    p: u32,
    len: u32,
) -> Result<(), Fail> {
    let p = path(mem, p, len)?;
    let d = writable_dir(ctx, fd, rights::PATH_CREATE_DIRECTORY)?;
    d.dir.create_dir(p)?;
    Ok(())
}

pub(crate) fn path_filestat_get(
    ctx: &WasiCtx,
    mem: &mut Guest<'_>,
    fd: Fd,
    flags: u32,
    p: u32,
    len: u32,
    out: u32,
) -> Result<(), Fail> {
    mem.check(out, FILESTAT_SIZE)?;
    let p = path(mem, p, len)?;
    let (d, _) = dir(ctx, fd, rights::PATH_FILESTAT_GET)?;
    let meta = if flags & LOOKUP_SYMLINK_FOLLOW != 0 {
        d.dir.metadata(p)?
    } else {
        d.dir.symlink_metadata(p)?
    };
    mem.write(out, &filestat(&meta))
}

pub(crate) fn path_filestat_set_times(
    ctx: &WasiCtx,
    mem: &mut Guest<'_>,
    fd: Fd,
    flags: u32,
    p: u32,
    len: u32,
    atim: u64,
    mtim: u64,
    fst: u32,
) -> Result<(), Fail> {
    let p = path(mem, p, len)?;
    let fst = u16::try_from(fst).map_err(|_| Errno::INVAL)?;
    // Checks the flags the same way as `fd_filestat_set_times`.
    crate::host::fd::timestamps(atim, mtim, fst)?;
    let d = writable_dir(ctx, fd, rights::PATH_FILESTAT_SET_TIMES)?;
    let spec = |t: u64, set: u16, now: u16| {
        if fst & now != 0 {
            Some(SystemTimeSpec::SymbolicNow)
        } else if fst & set != 0 {
            let at = std::time::UNIX_EPOCH + std::time::Duration::from_nanos(t);
            Some(SystemTimeSpec::Absolute(
                cap_std::time::SystemTime::from_std(at),
            ))
        } else {
            None
        }
    };
    let a = spec(atim, fstflags::ATIM, fstflags::ATIM_NOW);
    let m = spec(mtim, fstflags::MTIM, fstflags::MTIM_NOW);
    if flags & LOOKUP_SYMLINK_FOLLOW != 0 {
        d.dir.set_times(p, a, m)?;
    } else {
        d.dir.set_symlink_times(p, a, m)?;
    }
    Ok(())
}

pub(crate) fn path_link(
    ctx: &WasiCtx,
    mem: &mut Guest<'_>,
    old_fd: Fd,
    old_flags: u32,
    old: u32,
    old_len: u32,
    new_fd: Fd,
    new: u32,
    new_len: u32,
) -> Result<(), Fail> {
    let old = path(mem, old, old_len)?;
    let new = path(mem, new, new_len)?;
    if old_flags & LOOKUP_SYMLINK_FOLLOW != 0 {
        // Linking through a symlink is not something cap-std offers.
        return Err(Errno::INVAL.into());
    }
    let from = writable_dir(ctx, old_fd, rights::PATH_LINK_SOURCE)?;
    let to = writable_dir(ctx, new_fd, rights::PATH_LINK_TARGET)?;
    from.dir.hard_link(old, &to.dir, new)?;
    Ok(())
}

pub(crate) fn path_open(
    ctx: &WasiCtx,
    mem: &mut Guest<'_>,
    fd: Fd,
    dirflags: u32,
    p: u32,
    len: u32,
    oflags: u32,
    base: u64,
    inheriting: u64,
    fdflags: u32,
    out: u32,
) -> Result<(), Fail> {
    mem.check(out, 4)?;
    let p = path(mem, p, len)?;
    let (d, parent) = dir(ctx, fd, rights::PATH_OPEN)?;
    let oflags = u16::try_from(oflags).map_err(|_| Errno::INVAL)?;
    let fdflags = u16::try_from(fdflags).map_err(|_| Errno::INVAL)?;
    // Rights beyond the directory's inheriting rights are not granted;
    // asking for them is not an error (wasi-libc asks for everything).
    let base = base & parent.inheriting;
    let inheriting = inheriting & parent.inheriting;
    let follow = if dirflags & LOOKUP_SYMLINK_FOLLOW != 0 {
        FollowSymlinks::Yes
    } else {
        FollowSymlinks::No
    };
    let creates = oflags & (oflags::CREAT | oflags::TRUNC) != 0;
    let write = base & (rights::FD_WRITE | rights::FD_ALLOCATE | rights::FD_FILESTAT_SET_SIZE) != 0;
    if (creates || write) && !d.writable {
        return Err(Errno::PERM.into());
    }
    let is_dir = oflags & oflags::DIRECTORY != 0
        || (!creates
            && match follow {
                FollowSymlinks::Yes => d.dir.metadata(&p),
                FollowSymlinks::No => d.dir.symlink_metadata(&p),
            }
            .is_ok_and(|m| m.is_dir()));
    let desc = if is_dir {
        if oflags & (oflags::CREAT | oflags::EXCL | oflags::TRUNC) != 0 {
            return Err(Errno::ISDIR.into());
        }
        let sub = match follow {
            FollowSymlinks::Yes => d.dir.open_dir(&p)?,
            FollowSymlinks::No => d.dir.open_dir_nofollow(&p)?,
        };
        Desc::Dir(Arc::new(DirDesc {
            dir: sub,
            preopen: None,
            writable: d.writable,
        }))
    } else {
        let read = base & (rights::FD_READ | rights::FD_READDIR) != 0 || !write;
        let mut opts = OpenOptions::new();
        opts.read(read).write(write);
        if oflags & oflags::CREAT != 0 {
            if oflags & oflags::EXCL != 0 {
                opts.create_new(true);
            } else {
                opts.create(true);
            }
            opts.write(true);
        }
        if oflags & oflags::TRUNC != 0 {
            opts.truncate(true).write(true);
        }
        if fdflags & fdflags::APPEND != 0 {
            opts.append(true);
        }
        opts.follow(follow).maybe_dir(false);
        let file = d.dir.open_with(&p, &opts)?.into_std();
        let writable = write || creates;
        Desc::File(Arc::new(FileDesc {
            file,
            readable: read,
            writable,
        }))
    };
    let mut e = Entry::new(desc);
    e.base &= base | if is_dir { rights::DIRECTORY } else { 0 };
    e.inheriting &= inheriting;
    let new_fd = ctx.table().push(e)?;
    mem.put_u32(out, new_fd)
}

pub(crate) fn path_readlink(
    ctx: &WasiCtx,
    mem: &mut Guest<'_>,
    fd: Fd,
    p: u32,
    len: u32,
    buf: u32,
    buf_len: u32,
    used: u32,
) -> Result<(), Fail> {
    mem.check(buf, buf_len as usize)?;
    mem.check(used, 4)?;
    let p = path(mem, p, len)?;
    let (d, _) = dir(ctx, fd, rights::PATH_READLINK)?;
    let target = d.dir.read_link_contents(p)?;
    let bytes = target.into_os_string().into_encoded_bytes();
    let n = bytes.len().min(buf_len as usize);
    mem.write(buf, &bytes[..n])?;
    mem.put_u32(used, n as u32)
}

pub(crate) fn path_remove_directory(
    ctx: &WasiCtx,
    mem: &mut Guest<'_>,
    fd: Fd,
    p: u32,
    len: u32,
) -> Result<(), Fail> {
    let p = path(mem, p, len)?;
    let d = writable_dir(ctx, fd, rights::PATH_REMOVE_DIRECTORY)?;
    d.dir.remove_dir(p)?;
    Ok(())
}

pub(crate) fn path_rename(
    ctx: &WasiCtx,
    mem: &mut Guest<'_>,
    fd: Fd,
    old: u32,
    old_len: u32,
    new_fd: Fd,
    new: u32,
    new_len: u32,
) -> Result<(), Fail> {
    let old = path(mem, old, old_len)?;
    let new = path(mem, new, new_len)?;
    let from = writable_dir(ctx, fd, rights::PATH_RENAME_SOURCE)?;
    let to = writable_dir(ctx, new_fd, rights::PATH_RENAME_TARGET)?;
    from.dir.rename(old, &to.dir, new)?;
    Ok(())
}

/// The link's target is stored as given; cap-std refuses to create one
/// that is absolute, and following any link stays inside the preopen.
pub(crate) fn path_symlink(
    ctx: &WasiCtx,
    mem: &mut Guest<'_>,
    old: u32,
    old_len: u32,
    fd: Fd,
    new: u32,
    new_len: u32,
) -> Result<(), Fail> {
    let old = path(mem, old, old_len)?;
    let new = path(mem, new, new_len)?;
    let d = writable_dir(ctx, fd, rights::PATH_SYMLINK)?;
    if old.starts_with('/') {
        return Err(Errno::NOTCAPABLE.into());
    }
    d.dir.symlink(old, new)?;
    Ok(())
}

pub(crate) fn path_unlink_file(
    ctx: &WasiCtx,
    mem: &mut Guest<'_>,
    fd: Fd,
    p: u32,
    len: u32,
) -> Result<(), Fail> {
    let p = path(mem, p, len)?;
    let d = writable_dir(ctx, fd, rights::PATH_UNLINK_FILE)?;
    d.dir.remove_file_or_symlink(p)?;
    Ok(())
}
