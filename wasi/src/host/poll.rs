//! `poll_oneoff`: wait for clocks and descriptors, or for the program to
//! exit.
//!
//! Host descriptors (the inherited stdio) are polled together with the
//! program's wake pipe, so the wait ends when any thread ends the program.
//! Files and in-memory stdio are always ready, as on POSIX.

use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags};

use crate::abi::{
    EVENT_FD_READWRITE_HANGUP, EVENT_SIZE, SUBSCRIPTION_CLOCK_ABSTIME, SUBSCRIPTION_SIZE,
    eventtype, rights,
};
use crate::ctx::WasiCtx;
use crate::errno::Errno;
use crate::fail::Fail;
use crate::guest::Guest;
use crate::host::clock;
use crate::stdio::{Input, Output};
use crate::table::Desc;

/// More subscriptions than this in one call is `EINVAL`.
const MAX_SUBSCRIPTIONS: u32 = 4096;

/// One event to report.
struct Event {
    userdata: u64,
    error: Errno,
    kind: u8,
    hangup: bool,
}

/// Which host stream an fd subscription waits on.
#[derive(Clone, Copy)]
enum HostStream {
    Stdin,
    Stdout,
    Stderr,
}

pub(crate) fn poll_oneoff(
    ctx: &WasiCtx,
    mem: &mut Guest<'_>,
    input: u32,
    output: u32,
    n: u32,
    nevents: u32,
) -> Result<(), Fail> {
    if n == 0 || n > MAX_SUBSCRIPTIONS {
        return Err(Errno::INVAL.into());
    }
    mem.check(input, n as usize * SUBSCRIPTION_SIZE)?;
    mem.check(output, n as usize * EVENT_SIZE)?;
    mem.check(nevents, 4)?;
    let started = Instant::now();
    let mut ready: Vec<Event> = Vec::new();
    // (userdata, time left) of each clock; (userdata, kind, stream) of
    // each host-stream wait.
    let mut clocks: Vec<(u64, Duration)> = Vec::new();
    let mut streams: Vec<(u64, u8, HostStream)> = Vec::new();
    for i in 0..n {
        let at = input + i * SUBSCRIPTION_SIZE as u32;
        let userdata = mem.u64(at)?;
        let tag = mem.u8(at + 8)?;
        match tag {
            eventtype::CLOCK => {
                let id = mem.u32(at + 16)?;
                let timeout = mem.u64(at + 24)?;
                let flags = mem.u16(at + 40)?;
                let left = if flags & SUBSCRIPTION_CLOCK_ABSTIME != 0 {
                    clock::now(id).map(|now| timeout.saturating_sub(now))
                } else {
                    clock::host_clock(id).map(|_| timeout)
                };
                match left {
                    Ok(ns) => clocks.push((userdata, Duration::from_nanos(ns))),
                    Err(error) => ready.push(Event {
                        userdata,
                        error,
                        kind: tag,
                        hangup: false,
                    }),
                }
            }
            eventtype::FD_READ | eventtype::FD_WRITE => {
                let fd = mem.u32(at + 16)?;
                let reading = tag == eventtype::FD_READ;
                let entry = ctx.table().get(fd);
                let stream = match entry {
                    Err(error) => Err(error),
                    Ok(e) if e.base & rights::POLL_FD_READWRITE == 0 => Err(Errno::NOTCAPABLE),
                    Ok(e) => match (e.desc, reading) {
                        (Desc::Stdin(Input::Inherit), true) => Ok(Some(HostStream::Stdin)),
                        (Desc::Out(Output::Stdout), false) => Ok(Some(HostStream::Stdout)),
                        (Desc::Out(Output::Stderr), false) => Ok(Some(HostStream::Stderr)),
                        (Desc::Stdin(_), false) | (Desc::Out(_), true) => Err(Errno::BADF),
                        (Desc::Dir(_), _) => Err(Errno::ISDIR),
                        _ => Ok(None),
                    },
                };
                match stream {
                    Ok(Some(s)) => streams.push((userdata, tag, s)),
                    Ok(None) => ready.push(Event {
                        userdata,
                        error: Errno::SUCCESS,
                        kind: tag,
                        hangup: false,
                    }),
                    Err(error) => ready.push(Event {
                        userdata,
                        error,
                        kind: tag,
                        hangup: false,
                    }),
                }
            }
            _ => return Err(Errno::INVAL.into()),
        }
    }
    if ready.is_empty() {
        wait(ctx, &clocks, &streams, started, &mut ready)?;
    }
    let count = ready.len() as u32;
    for (i, e) in ready.iter().enumerate() {
        let mut bytes = [0u8; EVENT_SIZE];
        bytes[0..8].copy_from_slice(&e.userdata.to_le_bytes());
        bytes[8..10].copy_from_slice(&e.error.0.to_le_bytes());
        bytes[10] = e.kind;
        if e.hangup {
            bytes[24..26].copy_from_slice(&EVENT_FD_READWRITE_HANGUP.to_le_bytes());
        }
        mem.write(output + (i * EVENT_SIZE) as u32, &bytes)?;
    }
    mem.put_u32(nevents, count)
}

/// Blocks until a stream is ready, the first clock fires or the program
/// exits (`Fail::Exit`).
fn wait(
    ctx: &WasiCtx,
    clocks: &[(u64, Duration)],
    streams: &[(u64, u8, HostStream)],
    started: Instant,
    ready: &mut Vec<Event>,
) -> Result<(), Fail> {
    let (stdin, stdout, stderr) = (std::io::stdin(), std::io::stdout(), std::io::stderr());
    loop {
        let first = clocks.iter().map(|(_, d)| *d).min();
        let left = first.map(|d| d.saturating_sub(started.elapsed()));
        let program = ctx.program();
        let mut fds = vec![PollFd::from_borrowed_fd(program.wake_fd(), PollFlags::IN)];
        for (_, _, s) in streams {
            let (fd, flags) = match s {
                HostStream::Stdin => (stdin.as_fd(), PollFlags::IN),
                HostStream::Stdout => (stdout.as_fd(), PollFlags::OUT),
                HostStream::Stderr => (stderr.as_fd(), PollFlags::OUT),
            };
            fds.push(PollFd::from_borrowed_fd(fd, flags));
        }
        let timeout = left.map(|d| rustix::time::Timespec {
            tv_sec: d.as_secs().min(i64::MAX as u64) as i64,
            tv_nsec: i64::from(d.subsec_nanos()),
        });
        match rustix::event::poll(&mut fds, timeout.as_ref()) {
            Ok(_) | Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
        if !fds[0].revents().is_empty() || program.exiting() {
            return Err(Fail::Exit);
        }
        for (f, (userdata, kind, _)) in fds[1..].iter().zip(streams) {
            let revents = f.revents();
            if !revents.is_empty() {
                ready.push(Event {
                    userdata: *userdata,
                    error: Errno::SUCCESS,
                    kind: *kind,
                    hangup: revents.contains(PollFlags::HUP),
                });
            }
        }
        let elapsed = started.elapsed();
        for (userdata, d) in clocks {
            if *d <= elapsed {
                ready.push(Event {
                    userdata: *userdata,
                    error: Errno::SUCCESS,
                    kind: eventtype::CLOCK,
                    hangup: false,
                });
            }
        }
        if !ready.is_empty() {
            return Ok(());
        }
    }
}
