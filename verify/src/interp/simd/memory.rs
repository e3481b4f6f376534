//! `v128` loads and stores.
//!
//! Every access computes its effective address as the scalar ones do (the
//! `i32` operand plus the static offset, in 64 bits so it cannot wrap) and
//! checks the whole range it touches against the memory's current size
//! before reading or writing a byte: an access that is partly out of
//! bounds traps and leaves memory untouched. Alignment hints are hints;
//! misaligned `v128` accesses are allowed.

use super::Op;
use super::lanes::{self, Shape};
use crate::interp::code::MemArg;
use crate::interp::memory::{MemoryRef, checked_range};
use crate::interp::trap::Trap;
use crate::interp::value::Value;
use wasmparser::Operator;

/// What a `v128.load*` builds from the bytes it reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LoadKind {
    /// `v128.load`: 16 bytes as they are.
    Whole,
    /// `v128.load8x8_s` .. `v128.load32x2_u`: 8 bytes as lanes of `bits`,
    /// each extended to twice its width.
    Extend { bits: u32, signed: bool },
    /// `v128.load*_splat`: one value of `bits` in every lane.
    Splat { bits: u32 },
    /// `v128.load32_zero`, `v128.load64_zero`: one value of `bits` in lane
    /// 0, the rest zero.
    Zero { bits: u32 },
}

/// The [`Op`] of a SIMD memory operator, or `None`.
pub(super) fn compile(op: &Operator<'_>) -> Option<Op> {
    use Operator as O;
    let load = |m, kind| {
        Some(Op::Load {
            arg: MemArg::new(m)?,
            kind,
        })
    };
    let extend = |m, bits, signed| load(m, LoadKind::Extend { bits, signed });
    let load_lane = |m, bits, lane| {
        Some(Op::LoadLane {
            arg: MemArg::new(m)?,
            bits,
            lane,
        })
    };
    let store_lane = |m, bits, lane| {
        Some(Op::StoreLane {
            arg: MemArg::new(m)?,
            bits,
            lane,
        })
    };
    match op {
        O::V128Load { memarg } => load(memarg, LoadKind::Whole),
        O::V128Load8x8S { memarg } => extend(memarg, 8, true),
        O::V128Load8x8U { memarg } => extend(memarg, 8, false),
        O::V128Load16x4S { memarg } => extend(memarg, 16, true),
        O::V128Load16x4U { memarg } => extend(memarg, 16, false),
        O::V128Load32x2S { memarg } => extend(memarg, 32, true),
        O::V128Load32x2U { memarg } => extend(memarg, 32, false),
        O::V128Load8Splat { memarg } => load(memarg, LoadKind::Splat { bits: 8 }),
        O::V128Load16Splat { memarg } => load(memarg, LoadKind::Splat { bits: 16 }),
        O::V128Load32Splat { memarg } => load(memarg, LoadKind::Splat { bits: 32 }),
        O::V128Load64Splat { memarg } => load(memarg, LoadKind::Splat { bits: 64 }),
        O::V128Load32Zero { memarg } => load(memarg, LoadKind::Zero { bits: 32 }),
        O::V128Load64Zero { memarg } => load(memarg, LoadKind::Zero { bits: 64 }),
        O::V128Load8Lane { memarg, lane } => load_lane(memarg, 8, *lane),
        O::V128Load16Lane { memarg, lane } => load_lane(memarg, 16, *lane),
        O::V128Load32Lane { memarg, lane } => load_lane(memarg, 32, *lane),
        O::V128Load64Lane { memarg, lane } => load_lane(memarg, 64, *lane),
        O::V128Store { memarg } => Some(Op::Store(MemArg::new(memarg)?)),
        O::V128Store8Lane { memarg, lane } => store_lane(memarg, 8, *lane),
        O::V128Store16Lane { memarg, lane } => store_lane(memarg, 16, *lane),
        O::V128Store32Lane { memarg, lane } => store_lane(memarg, 32, *lane),
        O::V128Store64Lane { memarg, lane } => store_lane(memarg, 64, *lane),
        _ => None,
    }
}

/// The effective address: the `i32` operand, unsigned, plus the offset.
pub(super) fn address(base: Value, arg: MemArg) -> u64 {
    u64::from(base.i32() as u32) + arg.offset
}

/// Reads `N` bytes at `address`, or traps if any is out of bounds.
fn read<const N: usize>(memory: &MemoryRef, address: u64) -> Result<[u8; N], Trap> {
    let bytes = memory.lock();
    let range = checked_range(bytes.len(), address, N as u64)?;
    let mut out = [0u8; N];
    out.copy_from_slice(&bytes[range]);
    Ok(out)
}

/// Reads `bits / 8` bytes at `address` as a little-endian number.
fn read_scalar(memory: &MemoryRef, address: u64, bits: u32) -> Result<u64, Trap> {
    let mut buf = [0u8; 8];
    let bytes = memory.lock();
    let n = (bits / 8) as usize;
    let range = checked_range(bytes.len(), address, n as u64)?;
    buf[..n].copy_from_slice(&bytes[range]);
    Ok(u64::from_le_bytes(buf))
}

/// `v128.load` and its extending, splatting and zeroing forms.
pub(super) fn load(memory: &MemoryRef, address: u64, kind: LoadKind) -> Result<u128, Trap> {
    Ok(match kind {
        LoadKind::Whole => u128::from_le_bytes(read::<16>(memory, address)?),
        LoadKind::Extend { bits, signed } => {
            let raw = u128::from(u64::from_le_bytes(read::<8>(memory, address)?));
            extend(raw, bits, signed)
        }
        LoadKind::Splat { bits } => {
            let x = read_scalar(memory, address, bits)?;
            (0..(128 / bits) as u8).fold(0, |v, lane| lanes::set(v, bits, lane, x))
        }
        LoadKind::Zero { bits } => u128::from(read_scalar(memory, address, bits)?),
    })
}

/// The low 64 bits of `raw` as lanes of `bits`, each widened to `2 * bits`
/// (sign- or zero-extended).
fn extend(raw: u128, bits: u32, signed: bool) -> u128 {
    macro_rules! widen {
        ($from:ty => $to:ty; $n:literal) => {{
            let narrow = <$from>::split(raw);
            let wide: [$to; $n] = std::array::from_fn(|i| <$to>::from(narrow[i]));
            wide.join()
        }};
    }
    match (bits, signed) {
        (8, true) => widen!([i8; 16] => i16; 8),
        (8, false) => widen!([u8; 16] => u16; 8),
        (16, true) => widen!([i16; 8] => i32; 4),
        (16, false) => widen!([u16; 8] => u32; 4),
        (32, true) => widen!([i32; 4] => i64; 2),
        (32, false) => widen!([u32; 4] => u64; 2),
        _ => unreachable!("compile() makes only 8/16/32-bit extending loads"),
    }
}

/// `v128.load*_lane`: `v` with lane `lane` read from memory.
pub(super) fn load_lane(
    memory: &MemoryRef,
    address: u64,
    v: u128,
    bits: u32,
    lane: u8,
) -> Result<u128, Trap> {
    let x = read_scalar(memory, address, bits)?;
    Ok(lanes::set(v, bits, lane, x))
}

/// Writes `data` at `address`, or traps (writing nothing) if any byte is
/// out of bounds.
pub(super) fn store(memory: &MemoryRef, address: u64, data: &[u8]) -> Result<(), Trap> {
    let mut bytes = memory.lock();
    let range = checked_range(bytes.len(), address, data.len() as u64)?;
    bytes[range].copy_from_slice(data);
    Ok(())
}
