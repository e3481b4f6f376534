//! `args_*` and `environ_*`: NUL-terminated strings and a pointer array.

use crate::ctx::WasiCtx;
use crate::fail::Fail;
use crate::guest::Guest;

/// Writes `strings` as pointers at `ptrs` and NUL-terminated bytes at
/// `buf`, checking both ranges first.
fn write_strings(mem: &mut Guest<'_>, strings: &[String], ptrs: u32, buf: u32) -> Result<(), Fail> {
    let total: usize = strings.iter().map(|s| s.len() + 1).sum();
    mem.check(ptrs, strings.len() * 4)?;
    mem.check(buf, total)?;
    let mut at = buf;
    for (i, s) in strings.iter().enumerate() {
        mem.put_u32(ptrs + 4 * i as u32, at)?;
        let mut bytes = s.as_bytes().to_vec();
        bytes.push(0);
        mem.write(at, &bytes)?;
        at += bytes.len() as u32;
    }
    Ok(())
}

fn write_sizes(mem: &mut Guest<'_>, strings: &[String], count: u32, size: u32) -> Result<(), Fail> {
    let total: usize = strings.iter().map(|s| s.len() + 1).sum();
    mem.check(count, 4)?;
    mem.check(size, 4)?;
    mem.put_u32(count, strings.len() as u32)?;
    mem.put_u32(size, total as u32)
}

pub(crate) fn args_get(
    ctx: &WasiCtx,
    mem: &mut Guest<'_>,
    argv: u32,
    buf: u32,
) -> Result<(), Fail> {
    write_strings(mem, &ctx.inner.args, argv, buf)
}

pub(crate) fn args_sizes_get(
    ctx: &WasiCtx,
    mem: &mut Guest<'_>,
    count: u32,
    size: u32,
) -> Result<(), Fail> {
    write_sizes(mem, &ctx.inner.args, count, size)
}

pub(crate) fn environ_get(
    ctx: &WasiCtx,
    mem: &mut Guest<'_>,
    environ: u32,
    buf: u32,
) -> Result<(), Fail> {
    write_strings(mem, &ctx.inner.env, environ, buf)
}

pub(crate) fn environ_sizes_get(
    ctx: &WasiCtx,
    mem: &mut Guest<'_>,
    count: u32,
    size: u32,
) -> Result<(), Fail> {
    write_sizes(mem, &ctx.inner.env, count, size)
}
