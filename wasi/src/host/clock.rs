//! `clock_res_get` and `clock_time_get`, on the host's POSIX clocks.

use rustix::time::{ClockId, Timespec};

use crate::abi::clockid;
use crate::errno::Errno;
use crate::fail::Fail;
use crate::guest::Guest;

/// The host clock behind a WASI clock id.
pub(crate) fn host_clock(id: u32) -> Result<ClockId, Errno> {
    Ok(match id {
        clockid::REALTIME => ClockId::Realtime,
        clockid::MONOTONIC => ClockId::Monotonic,
        clockid::PROCESS_CPUTIME_ID => ClockId::ProcessCPUTime,
        clockid::THREAD_CPUTIME_ID => ClockId::ThreadCPUTime,
        _ => return Err(Errno::INVAL),
    })
}

pub(crate) fn nanos(t: Timespec) -> u64 {
    (t.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(t.tv_nsec as u64)
}

/// The current time of a WASI clock, in nanoseconds.
pub(crate) fn now(id: u32) -> Result<u64, Errno> {
    Ok(nanos(rustix::time::clock_gettime(host_clock(id)?)))
}

pub(crate) fn clock_res_get(mem: &mut Guest<'_>, id: u32, resolution: u32) -> Result<(), Fail> {
    mem.check(resolution, 8)?;
    let res = nanos(rustix::time::clock_getres(host_clock(id)?)).max(1);
    mem.put_u64(resolution, res)
}

pub(crate) fn clock_time_get(
    mem: &mut Guest<'_>,
    id: u32,
    _precision: u64,
    time: u32,
) -> Result<(), Fail> {
    mem.check(time, 8)?;
    let t = now(id)?;
    mem.put_u64(time, t)
}
