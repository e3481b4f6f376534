//! `shared_memory_ops`: weft-core's `SharedMemory` driven from 2-3 host
//! threads at once, checked against invariants that hold under every
//! interleaving.
//!
//! Each thread runs a generated list of operations: `grow`, size reads,
//! atomic loads / stores / read-modify-writes of every width, `wait32` /
//! `wait64` with short timeouts, and `notify`. Afterwards:
//!
//! - **growth**: sizes a thread reads never shrink; successful grows chain
//!   (sorted by the old size they returned, each starts where the previous
//!   one ended, from the minimum up to the final size); a grow that failed
//!   would have passed the limit even from the final size; a zero-page grow
//!   never fails; nothing passes the maximum or the reservation cap;
//! - **bounds and alignment**: an unaligned access fails as unaligned, always
//!   (alignment is checked first); an out-of-bounds failure was out of bounds
//!   of the size the thread last saw, and a success is within the size it
//!   saw right after;
//! - **values**: each thread's private words behave exactly like a
//!   sequential model of them (every rmw returns the modelled old value);
//!   the shared counter ends at the sum of everything added to it;
//! - **wait/notify**: a wait on a private word with another value returns
//!   `NotEqual`; one that times out does so no earlier than its timeout;
//!   every wait ends; and the waiters that report "woken" are exactly as
//!   many as all notifies together report waking: a waiter is never woken
//!   twice nor counted by no one.

use std::time::{Duration, Instant};

use anyhow::anyhow;
use arbitrary::Unstructured;
use weft_core::memory::{AccessError, MemoryLimits, ReservationPolicy, SharedMemory};
use weft_core::wait::WaitResult;

use crate::deadline;

const PAGE: u64 = 65536;
/// Where thread `t`'s private words start (`PRIVATE_BASE + t * PRIVATE_BYTES`).
const PRIVATE_BASE: u64 = 256;
/// Bytes of private words per thread: 8 words of 8 bytes.
const PRIVATE_BYTES: u64 = 64;
/// The shared counter every thread adds to (8 bytes).
const COUNTER: u64 = 64;
/// The word every thread waits on and notifies (4-aligned, 8 bytes wide so
/// that `wait64` can use it too).
const MAILBOX: u64 = 128;
/// The mailbox's value never changes, so waits on it with the matching
/// expected value block until notified or timed out.
const MAILBOX_VALUE: u64 = 0;

/// Access widths in bytes.
const WIDTHS: [u64; 4] = [1, 2, 4, 8];

#[derive(Clone, Copy, Debug)]
enum Rmw {
    Load,
    Store,
    Swap,
    Cmpxchg { expect_current: bool },
    Add,
    Sub,
    And,
    Or,
    Xor,
}

/// Where an access goes.
#[derive(Clone, Copy, Debug)]
enum Target {
    /// One of the thread's own words: values are checked against a model.
    Private { word: u64 },
    /// Anywhere from the second page on, possibly past the end or
    /// unaligned: only the error is checked. Nothing else lives there, so
    /// such writes disturb no other check.
    Wild { offset: u64 },
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Grow {
        delta: u64,
    },
    Size,
    Access {
        rmw: Rmw,
        width: u64,
        target: Target,
        value: u64,
    },
    AddToCounter {
        value: u64,
    },
    /// A wait on the mailbox with the matching value: blocks until
    /// notified or timed out.
    WaitMailbox {
        wide: bool,
        timeout_us: u64,
    },
    /// A wait on a private word with a value it does not hold.
    WaitMismatch {
        wide: bool,
        word: u64,
    },
    Notify {
        count: u32,
    },
}

/// What one operation observed.
#[derive(Clone, Copy, Debug)]
enum Seen {
    Grow {
        delta: u64,
        old: Option<u64>,
        after: u64,
    },
    Size(u64),
    Access {
        before: u64,
        after: u64,
        result: Result<u64, AccessError>,
    },
    Wait {
        result: Result<WaitResult, AccessError>,
        timeout: Duration,
        took: Duration,
    },
    Notify(Result<u32, AccessError>),
    Unchecked,
}

/// The memory's shape for one input.
#[derive(Clone, Copy, Debug)]
struct Shape {
    minimum: u64,
    maximum: u64,
    /// The reservation cap in pages (may be below `maximum`).
    cap_pages: u64,
}

impl Shape {
    /// The size no grow can pass.
    fn limit(&self) -> u64 {
        self.maximum.min(self.cap_pages)
    }
}

/// Checks one generated run; see the module docs.
pub fn run(u: &mut Unstructured<'_>) -> anyhow::Result<()> {
    let Ok((shape, plans)) = generate(u) else {
        return Ok(());
    };
    let limits = MemoryLimits {
        minimum: shape.minimum,
        maximum: Some(shape.maximum),
        shared: true,
    };
    let policy = ReservationPolicy {
        max_reserved_bytes: shape.cap_pages * PAGE,
    };
    let memory = SharedMemory::new(limits, policy)
        .map_err(|e| anyhow!("SharedMemory::new({limits:?}, {policy:?}) failed: {e}"))?;
    let jobs: Vec<_> = plans
        .iter()
        .enumerate()
        .map(|(thread, plan)| {
            let memory = memory.clone();
            let plan = plan.clone();
            move || execute(&memory, thread as u64, &plan)
        })
        .collect();
    let seen = deadline::run_threads(jobs)?;
    check(&shape, &plans, &seen, &memory)
        .map_err(|e| anyhow!("{e}\nshape: {shape:?}\nops: {plans:#?}\nseen: {seen:#?}"))
}

fn generate(u: &mut Unstructured<'_>) -> arbitrary::Result<(Shape, Vec<Vec<Op>>)> {
    let minimum = u.int_in_range(1..=3)?;
    let maximum = minimum + u.int_in_range(0..=6)?;
    let cap_pages = if u.ratio(1, 4)? {
        u.int_in_range(minimum..=maximum)?
    } else {
        maximum
    };
    let shape = Shape {
        minimum,
        maximum,
        cap_pages,
    };
    let threads = u.int_in_range(2..=3)?;
    let mut plans = Vec::with_capacity(threads);
    for _ in 0..threads {
        let len = u.int_in_range(1..=24)?;
        let mut ops = Vec::with_capacity(len);
        for _ in 0..len {
            ops.push(op(u, &shape)?);
        }
        plans.push(ops);
    }
    Ok((shape, plans))
}

fn op(u: &mut Unstructured<'_>, shape: &Shape) -> arbitrary::Result<Op> {
    Ok(match u.int_in_range(0..=9)? {
        0 => Op::Grow {
            delta: u.int_in_range(0..=3)?,
        },
        1 => Op::Size,
        2..=4 => {
            let rmw = match u.int_in_range(0..=8)? {
                0 => Rmw::Load,
                1 => Rmw::Store,
                2 => Rmw::Swap,
                3 => Rmw::Cmpxchg {
                    expect_current: u.arbitrary()?,
                },
                4 => Rmw::Add,
                5 => Rmw::Sub,
                6 => Rmw::And,
                7 => Rmw::Or,
                _ => Rmw::Xor,
            };
            let width = *u.choose(&WIDTHS)?;
            let target = if u.ratio(2, 3)? {
                Target::Private {
                    word: u.int_in_range(0..=PRIVATE_BYTES / 8 - 1)?,
                }
            } else {
                // Around the end of the memory as it may be by now, and
                // past the maximum now and then.
                let page = u.int_in_range(1..=shape.maximum)?;
                let back = u.int_in_range(0..=16)?;
                Target::Wild {
                    offset: page * PAGE - back,
                }
            };
            Op::Access {
                rmw,
                width,
                target,
                value: u.arbitrary()?,
            }
        }
        5 => Op::AddToCounter {
            value: u.arbitrary()?,
        },
        6 | 7 => Op::WaitMailbox {
            wide: u.arbitrary()?,
            timeout_us: u.int_in_range(0..=300)?,
        },
        8 => Op::WaitMismatch {
            wide: u.arbitrary()?,
            word: u.int_in_range(0..=PRIVATE_BYTES / 8 - 1)?,
        },
        _ => Op::Notify {
            count: *u.choose(&[0, 1, 2, u32::MAX])?,
        },
    })
}

/// Runs one thread's operations, recording what each observed.
fn execute(memory: &SharedMemory, thread: u64, plan: &[Op]) -> Result<Vec<Seen>, String> {
    let private = PRIVATE_BASE + thread * PRIVATE_BYTES;
    let mut seen = Vec::with_capacity(plan.len());
    for op in plan {
        seen.push(match *op {
            Op::Grow { delta } => {
                let old = memory.grow(delta);
                Seen::Grow {
                    delta,
                    old,
                    after: memory.size_pages(),
                }
            }
            Op::Size => Seen::Size(memory.size_pages()),
            Op::Access {
                rmw,
                width,
                target,
                value,
            } => {
                let offset = match target {
                    Target::Private { word } => private + word * 8,
                    Target::Wild { offset } => offset,
                };
                let before = memory.size_pages();
                let result = access(memory, rmw, width, offset, value);
                Seen::Access {
                    before,
                    after: memory.size_pages(),
                    result,
                }
            }
            Op::AddToCounter { value } => {
                memory
                    .fetch_add_u64(COUNTER, value)
                    .map_err(|e| format!("counter add: {e}"))?;
                Seen::Unchecked
            }
            Op::WaitMailbox { wide, timeout_us } => {
                let timeout = Duration::from_micros(timeout_us);
                let ns = timeout.as_nanos() as i64;
                let start = Instant::now();
                let result = if wide {
                    memory.wait64(MAILBOX, MAILBOX_VALUE, ns)
                } else {
                    memory.wait32(MAILBOX, MAILBOX_VALUE as u32, ns)
                };
                Seen::Wait {
                    result,
                    timeout,
                    took: start.elapsed(),
                }
            }
            Op::WaitMismatch { wide, word } => {
                let addr = private + word * 8;
                let start = Instant::now();
                // Reading our own word is race-free: only we write it.
                let result = if wide {
                    memory
                        .load_u64(addr)
                        .and_then(|v| memory.wait64(addr, v ^ 1, -1))
                } else {
                    memory
                        .load_u32(addr)
                        .and_then(|v| memory.wait32(addr, v ^ 1, -1))
                };
                Seen::Wait {
                    result,
                    timeout: Duration::MAX,
                    took: start.elapsed(),
                }
            }
            Op::Notify { count } => Seen::Notify(memory.notify(MAILBOX, count)),
        });
    }
    Ok(seen)
}

/// Performs one access of `width` bytes, returning the old value
/// (zero-extended; for a store, the value stored).
fn access(
    memory: &SharedMemory,
    rmw: Rmw,
    width: u64,
    offset: u64,
    value: u64,
) -> Result<u64, AccessError> {
    macro_rules! by_width {
        ($m:ident, $($ty:ty => [$load:ident, $store:ident, $swap:ident, $cx:ident, $add:ident, $sub:ident, $and:ident, $or:ident, $xor:ident]),*) => {
            match width {
                $(w if w == size_of::<$ty>() as u64 => {
                    let v = value as $ty;
                    let old = match rmw {
                        Rmw::Load => $m.$load(offset)?,
                        Rmw::Store => { $m.$store(offset, v)?; v }
                        Rmw::Swap => $m.$swap(offset, v)?,
                        Rmw::Cmpxchg { expect_current } => {
                            let expected = if expect_current { $m.$load(offset)? } else { v.rotate_left(3) };
                            $m.$cx(offset, expected, v)?
                        }
                        Rmw::Add => $m.$add(offset, v)?,
                        Rmw::Sub => $m.$sub(offset, v)?,
                        Rmw::And => $m.$and(offset, v)?,
                        Rmw::Or => $m.$or(offset, v)?,
                        Rmw::Xor => $m.$xor(offset, v)?,
                    };
                    Ok(old as u64)
                })*
                _ => unreachable!("widths come from WIDTHS"),
            }
        };
    }
    by_width!(memory,
        u8 => [load_u8, store_u8, swap_u8, compare_exchange_u8, fetch_add_u8, fetch_sub_u8, fetch_and_u8, fetch_or_u8, fetch_xor_u8],
        u16 => [load_u16, store_u16, swap_u16, compare_exchange_u16, fetch_add_u16, fetch_sub_u16, fetch_and_u16, fetch_or_u16, fetch_xor_u16],
        u32 => [load_u32, store_u32, swap_u32, compare_exchange_u32, fetch_add_u32, fetch_sub_u32, fetch_and_u32, fetch_or_u32, fetch_xor_u32],
        u64 => [load_u64, store_u64, swap_u64, compare_exchange_u64, fetch_add_u64, fetch_sub_u64, fetch_and_u64, fetch_or_u64, fetch_xor_u64])
}

/// The little-endian model of one thread's private words.
struct PrivateModel([u8; PRIVATE_BYTES as usize]);

impl PrivateModel {
    fn get(&self, at: usize, width: usize) -> u64 {
        let mut bytes = [0u8; 8];
        bytes[..width].copy_from_slice(&self.0[at..at + width]);
        u64::from_le_bytes(bytes)
    }

    fn set(&mut self, at: usize, width: usize, value: u64) {
        self.0[at..at + width].copy_from_slice(&value.to_le_bytes()[..width]);
    }

    /// Applies an access and returns the old value it must have reported.
    fn apply(&mut self, rmw: Rmw, at: usize, width: usize, value: u64) -> u64 {
        let mask = if width == 8 {
            u64::MAX
        } else {
            (1u64 << (width * 8)) - 1
        };
        let v = value & mask;
        let old = self.get(at, width);
        let new = match rmw {
            Rmw::Load => old,
            Rmw::Store => {
                self.set(at, width, v);
                return v;
            }
            Rmw::Swap => v,
            Rmw::Cmpxchg { expect_current } => {
                let expected = if expect_current {
                    old
                } else {
                    // As in `access`: the rotation happens at the width.
                    rotate_at_width(v, width)
                };
                if expected == old { v } else { old }
            }
            Rmw::Add => old.wrapping_add(v) & mask,
            Rmw::Sub => old.wrapping_sub(v) & mask,
            Rmw::And => old & v,
            Rmw::Or => old | v,
            Rmw::Xor => old ^ v,
        };
        self.set(at, width, new);
        old
    }
}

fn rotate_at_width(v: u64, width: usize) -> u64 {
    match width {
        1 => (v as u8).rotate_left(3) as u64,
        2 => (v as u16).rotate_left(3) as u64,
        4 => (v as u32).rotate_left(3) as u64,
        _ => v.rotate_left(3),
    }
}

fn check(
    shape: &Shape,
    plans: &[Vec<Op>],
    seen: &[Vec<Seen>],
    memory: &SharedMemory,
) -> Result<(), String> {
    let final_size = memory.size_pages();
    if final_size > shape.limit() {
        return Err(format!(
            "final size {final_size} is past the limit {}",
            shape.limit()
        ));
    }
    check_growth(shape, seen, final_size)?;
    let mut counter = 0u64;
    let mut woken = 0u64;
    let mut notified = 0u64;
    for (thread, (plan, seen)) in plans.iter().zip(seen).enumerate() {
        let mut model = PrivateModel([0; PRIVATE_BYTES as usize]);
        let mut last_size = shape.minimum;
        for (i, (op, s)) in plan.iter().zip(seen).enumerate() {
            let at = |what: String| format!("thread {thread}, op {i} ({op:?}): {what}");
            match (*op, *s) {
                (Op::Size, Seen::Size(size))
                | (Op::Grow { .. }, Seen::Grow { after: size, .. }) => {
                    if size < last_size {
                        return Err(at(format!("size went from {last_size} to {size}")));
                    }
                    last_size = size;
                }
                (
                    Op::Access {
                        rmw,
                        width,
                        target,
                        value,
                    },
                    Seen::Access {
                        before,
                        after,
                        result,
                    },
                ) => {
                    if before < last_size || after < before {
                        return Err(at(format!("sizes {last_size} -> {before} -> {after}")));
                    }
                    last_size = after;
                    let offset = match target {
                        Target::Private { word } => {
                            PRIVATE_BASE + thread as u64 * PRIVATE_BYTES + word * 8
                        }
                        Target::Wild { offset } => offset,
                    };
                    check_access_error(offset, width, before, after, &result).map_err(at)?;
                    if let (Target::Private { word }, Ok(old)) = (target, result) {
                        let expected = model.apply(rmw, (word * 8) as usize, width as usize, value);
                        if old != expected {
                            return Err(at(format!(
                                "returned {old:#x}, the model says {expected:#x}"
                            )));
                        }
                    }
                }
                (Op::AddToCounter { value }, Seen::Unchecked) => {
                    counter = counter.wrapping_add(value)
                }
                (
                    Op::WaitMailbox { .. },
                    Seen::Wait {
                        result,
                        timeout,
                        took,
                    },
                ) => match result {
                    Ok(WaitResult::Ok) => woken += 1,
                    Ok(WaitResult::TimedOut) if took < timeout => {
                        return Err(at(format!("timed out after {took:?}, before {timeout:?}")));
                    }
                    Ok(WaitResult::TimedOut) => {}
                    other => return Err(at(format!("mailbox wait gave {other:?}"))),
                },
                (Op::WaitMismatch { .. }, Seen::Wait { result, .. }) => {
                    if !matches!(result, Ok(WaitResult::NotEqual)) {
                        return Err(at(format!("wait with a wrong value gave {result:?}")));
                    }
                }
                (Op::Notify { count }, Seen::Notify(result)) => match result {
                    Ok(n) if n <= count => notified += u64::from(n),
                    other => return Err(at(format!("notify({count}) gave {other:?}"))),
                },
                (op, s) => {
                    return Err(format!("thread {thread}, op {i}: {op:?} recorded as {s:?}"));
                }
            }
        }
        // The model and the memory must agree on the private words at the end.
        let base = PRIVATE_BASE + thread as u64 * PRIVATE_BYTES;
        let mut actual = [0u8; PRIVATE_BYTES as usize];
        memory
            .read(base, &mut actual)
            .map_err(|e| format!("reading thread {thread}'s words: {e}"))?;
        if actual != model.0 {
            return Err(format!(
                "thread {thread}'s words are {actual:02x?}, the model says {:02x?}",
                model.0
            ));
        }
    }
    let total = memory
        .load_u64(COUNTER)
        .map_err(|e| format!("reading the counter: {e}"))?;
    if total != counter {
        return Err(format!(
            "counter is {total:#x}, the adds sum to {counter:#x}"
        ));
    }
    if woken != notified {
        return Err(format!(
            "{woken} waits report a wake-up but notifies report waking {notified}"
        ));
    }
    Ok(())
}

/// Alignment is checked before bounds; a bounds failure must be against a
/// size no larger than the one seen before, a success within the one after.
fn check_access_error(
    offset: u64,
    width: u64,
    before: u64,
    after: u64,
    result: &Result<u64, AccessError>,
) -> Result<(), String> {
    let aligned = offset.is_multiple_of(width);
    let end = offset + width;
    match result {
        Err(AccessError::Unaligned) if aligned => Err("aligned access failed as unaligned".into()),
        Err(AccessError::Unaligned) => Ok(()),
        _ if !aligned => Err(format!("unaligned access gave {result:?}")),
        Err(AccessError::OutOfBounds) if end <= before * PAGE => {
            Err(format!("out of bounds at end {end:#x} with {before} pages"))
        }
        Ok(_) if end > after * PAGE => Err(format!("succeeded at end {end:#x} with {after} pages")),
        _ => Ok(()),
    }
}

/// Successful grows chain from the minimum to the final size; failed ones
/// would have failed from the final size too.
fn check_growth(shape: &Shape, seen: &[Vec<Seen>], final_size: u64) -> Result<(), String> {
    let mut grown = Vec::new();
    for s in seen.iter().flatten() {
        if let Seen::Grow { delta, old, .. } = *s {
            match old {
                Some(old) => grown.push((old, delta)),
                None if delta == 0 => return Err("grow(0) failed".into()),
                None if final_size + delta <= shape.limit() => {
                    return Err(format!(
                        "grow({delta}) failed, yet {final_size} + {delta} fits under {}",
                        shape.limit()
                    ));
                }
                None => {}
            }
        }
    }
    grown.sort_unstable();
    let mut size = shape.minimum;
    for &(old, delta) in &grown {
        if old != size {
            return Err(format!(
                "grows do not chain: {grown:?} from {}",
                shape.minimum
            ));
        }
        size += delta;
    }
    if size != final_size {
        return Err(format!(
            "grows {grown:?} from {} end at {size}, memory has {final_size}",
            shape.minimum
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeds;

    #[test]
    fn seeded_inputs_hold_the_invariants() {
        seeds::for_each_input(300, 16..1024, |data| {
            if let Err(finding) = run(&mut Unstructured::new(data)) {
                panic!("{finding:#}");
            }
        });
    }

    #[test]
    fn the_model_matches_a_hand_worked_sequence() {
        let mut m = PrivateModel([0; PRIVATE_BYTES as usize]);
        assert_eq!(m.apply(Rmw::Store, 0, 4, 0x1_0000_00ff), 0xff);
        assert_eq!(m.apply(Rmw::Add, 0, 1, 1), 0xff);
        assert_eq!(m.get(0, 4), 0);
        assert_eq!(
            m.apply(
                Rmw::Cmpxchg {
                    expect_current: true
                },
                0,
                2,
                7
            ),
            0
        );
        assert_eq!(
            m.apply(
                Rmw::Cmpxchg {
                    expect_current: false
                },
                0,
                2,
                9
            ),
            7
        );
        assert_eq!(m.get(0, 8), 7);
    }

    #[test]
    fn growth_checks_catch_a_broken_chain() {
        let shape = Shape {
            minimum: 1,
            maximum: 4,
            cap_pages: 4,
        };
        let grow = |old| Seen::Grow {
            delta: 1,
            old,
            after: 0,
        };
        assert!(check_growth(&shape, &[vec![grow(Some(1)), grow(Some(2))]], 3).is_ok());
        assert!(check_growth(&shape, &[vec![grow(Some(1)), grow(Some(1))]], 3).is_err());
        assert!(check_growth(&shape, &[vec![grow(None)]], 1).is_err());
    }
}
