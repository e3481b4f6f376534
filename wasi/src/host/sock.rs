//! `sock_*`: weft gives a program no sockets (there is no way to preopen
//! one), so every descriptor a program can hold is not a socket. A bad
//! descriptor is `EBADF`, any other `ENOTSOCK`, after the pointers are
//! checked.

use crate::abi::Fd;
use crate::ctx::WasiCtx;
use crate::errno::Errno;
use crate::fail::Fail;

fn not_a_socket(ctx: &WasiCtx, fd: Fd) -> Result<(), Fail> {
    ctx.table().get(fd)?;
    Err(Errno::NOTSOCK.into())
}

pub(crate) fn sock_accept(ctx: &WasiCtx, fd: Fd, _flags: u32) -> Result<(), Fail> {
    not_a_socket(ctx, fd)
}

pub(crate) fn sock_recv(ctx: &WasiCtx, fd: Fd) -> Result<(), Fail> {
    not_a_socket(ctx, fd)
}

pub(crate) fn sock_send(ctx: &WasiCtx, fd: Fd) -> Result<(), Fail> {
    not_a_socket(ctx, fd)
}

pub(crate) fn sock_shutdown(ctx: &WasiCtx, fd: Fd, how: u32) -> Result<(), Fail> {
    if how & !3 != 0 {
        return Err(Errno::INVAL.into());
    }
    not_a_socket(ctx, fd)
}
