//! The fixed-width SIMD instructions (`v128`), written from the spec's
//! numerics chapter: every vector instruction is the scalar operation of
//! its lane type applied lane by lane, with the scalar's rules (wrapping,
//! saturation, NaN propagation, `-0 < +0` for `min`/`max`) in each lane.
//!
//! Nothing here is shared with the JIT: an oracle that used the same lane
//! helpers as what it checks would agree with it by construction.
//!
//! # Shape of the code
//!
//! - [`lanes`] splits a `u128` into the lane array of a shape and joins it
//!   back; lane 0 is the low (lowest-addressed) bytes.
//! - [`int`] and [`float`] map the lane-wise operators without
//!   immediates to the interpreter's ordinary [`Instr::Unary`] /
//!   [`Instr::Binary`] function pointers, so the executor runs them like
//!   any scalar numeric instruction.
//! - Instructions with an immediate (lane index, shuffle pattern, memory
//!   argument) or three operands become one [`Instr::Simd`] carrying an
//!   [`Op`], run by [`execute`]; the memory ones are in [`memory`].
//!
//! # NaNs
//!
//! Float lanes are computed with Rust's IEEE operations, as the scalar
//! instructions are (`numeric.rs`): a NaN result is an arithmetic NaN (the
//! quiet bit set), which is what the spec allows whenever some input is a
//! non-canonical NaN, and canonical when every NaN input was; `min`/`max`
//! return the canonical NaN, rounding functions get their quiet bit set.
//! `abs`, `neg`, `pmin`/`pmax`, lane moves, loads and stores never change
//! a NaN's bits. The differential harness compares NaN lanes by NaN-ness,
//! or by bits when the module canonicalizes its NaNs.

mod float;
mod int;
pub(crate) mod lanes;
mod memory;

use super::code::{Instr, MemArg};
use super::memory::MemoryRef;
use super::trap::Trap;
use super::value::Value;
use lanes::{LaneType, Shape};
use wasmparser::Operator;

/// `op a` lane-wise over shape `$S`, the result in the same shape.
macro_rules! map1 {
    ($S:ty, |$a:ident| $body:expr) => {
        $crate::interp::code::Instr::Unary(|x| {
            use $crate::interp::simd::lanes::Shape as _;
            let xs = <$S>::split(x.v128());
            let out: $S = xs.map(|$a| $body);
            Ok($crate::interp::value::Value::V128(out.join()))
        })
    };
}

/// `a op b` lane-wise over shape `$S`, the result in the same shape.
macro_rules! map2 {
    ($S:ty, |$a:ident, $b:ident| $body:expr) => {
        $crate::interp::code::Instr::Binary(|x, y| {
            use $crate::interp::simd::lanes::Shape as _;
            let (xs, ys) = (<$S>::split(x.v128()), <$S>::split(y.v128()));
            let out: $S = std::array::from_fn(|i| {
                let ($a, $b) = (xs[i], ys[i]);
                $body
            });
            Ok($crate::interp::value::Value::V128(out.join()))
        })
    };
}

/// A lane-wise comparison over shape `$S`: each result lane of shape `$M`
/// (same width, signed integer) is all ones where the condition holds.
macro_rules! cmp2 {
    ($S:ty => $M:ty, |$a:ident, $b:ident| $cond:expr) => {
        $crate::interp::code::Instr::Binary(|x, y| {
            use $crate::interp::simd::lanes::Shape as _;
            let (xs, ys) = (<$S>::split(x.v128()), <$S>::split(y.v128()));
            let out: $M = std::array::from_fn(|i| {
                let ($a, $b) = (xs[i], ys[i]);
                if $cond { -1 } else { 0 }
            });
            Ok($crate::interp::value::Value::V128(out.join()))
        })
    };
}

/// The splat of a scalar operand read with `$get` into every lane of `$S`.
macro_rules! splat {
    ($S:ty, $get:ident) => {
        $crate::interp::code::Instr::Unary(|x| {
            use $crate::interp::simd::lanes::Shape as _;
            let lane = x.$get();
            let out: $S = std::array::from_fn(|_| lane as _);
            Ok($crate::interp::value::Value::V128(out.join()))
        })
    };
}

pub(crate) use {cmp2, map1, map2, splat};

/// A SIMD instruction that needs more than [`Instr::Unary`] or
/// [`Instr::Binary`]: an immediate, three operands, or memory.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Op {
    /// `v128.bitselect`: bits of the first operand where the mask (third)
    /// is 1, of the second where it is 0.
    Bitselect,
    /// `i8x16.shuffle`: byte `i` of the result is byte `lanes[i]` of the
    /// 32 bytes of both operands, first operand first.
    Shuffle([u8; 16]),
    /// `*.extract_lane*`: the lane as a scalar; `signed` for the `_s`
    /// forms of the narrow lanes (sign- rather than zero-extended).
    Extract {
        ty: LaneType,
        lane: u8,
        signed: bool,
    },
    /// `*.replace_lane`: the vector with one lane set from the scalar.
    Replace { ty: LaneType, lane: u8 },
    /// `v128.load`, `v128.load*x*_{s,u}`, `v128.load*_splat`,
    /// `v128.load*_zero`.
    Load { arg: MemArg, kind: memory::LoadKind },
    /// `v128.load*_lane`: the vector with one lane (of `bits`) from memory.
    LoadLane { arg: MemArg, bits: u32, lane: u8 },
    /// `v128.store`.
    Store(MemArg),
    /// `v128.store*_lane`: one lane (of `bits`) to memory.
    StoreLane { arg: MemArg, bits: u32, lane: u8 },
}

/// The compiled form of a SIMD operator, or `None` if `op` is not one.
pub(crate) fn compile(op: &Operator<'_>) -> Option<Instr> {
    use Operator as O;
    let simd = |op| Some(Instr::Simd(op));
    let extract = |ty, lane, signed| simd(Op::Extract { ty, lane, signed });
    let replace = |ty, lane| simd(Op::Replace { ty, lane });
    match op {
        O::V128Const { value } => Some(Instr::Const(Value::V128(u128::from_le_bytes(
            *value.bytes(),
        )))),
        O::V128Bitselect => simd(Op::Bitselect),
        O::I8x16Shuffle { lanes } => simd(Op::Shuffle(*lanes)),
        O::I8x16ExtractLaneS { lane } => extract(LaneType::I8, *lane, true),
        O::I8x16ExtractLaneU { lane } => extract(LaneType::I8, *lane, false),
        O::I16x8ExtractLaneS { lane } => extract(LaneType::I16, *lane, true),
        O::I16x8ExtractLaneU { lane } => extract(LaneType::I16, *lane, false),
        O::I32x4ExtractLane { lane } => extract(LaneType::I32, *lane, false),
        O::I64x2ExtractLane { lane } => extract(LaneType::I64, *lane, false),
        O::F32x4ExtractLane { lane } => extract(LaneType::F32, *lane, false),
        O::F64x2ExtractLane { lane } => extract(LaneType::F64, *lane, false),
        O::I8x16ReplaceLane { lane } => replace(LaneType::I8, *lane),
        O::I16x8ReplaceLane { lane } => replace(LaneType::I16, *lane),
        O::I32x4ReplaceLane { lane } => replace(LaneType::I32, *lane),
        O::I64x2ReplaceLane { lane } => replace(LaneType::I64, *lane),
        O::F32x4ReplaceLane { lane } => replace(LaneType::F32, *lane),
        O::F64x2ReplaceLane { lane } => replace(LaneType::F64, *lane),
        other => memory::compile(other)
            .map(Instr::Simd)
            .or_else(|| int::compile(other))
            .or_else(|| float::compile(other)),
    }
}

/// Runs one [`Op`] on the operand stack. Validation has fixed the operand
/// types and the lane indices' ranges; traps come only from memory bounds.
pub(crate) fn execute(op: &Op, stack: &mut Vec<Value>, memories: &[MemoryRef]) -> Result<(), Trap> {
    let pop = |stack: &mut Vec<Value>| stack.pop().expect("validated code: operand present");
    let result = match *op {
        Op::Bitselect => {
            let mask = pop(stack).v128();
            let b = pop(stack).v128();
            let a = pop(stack).v128();
            Value::V128((a & mask) | (b & !mask))
        }
        Op::Shuffle(lanes) => {
            let b = pop(stack).v128().to_le_bytes();
            let a = pop(stack).v128().to_le_bytes();
            let out: [u8; 16] = lanes.map(|l| {
                let l = usize::from(l);
                if l < 16 { a[l] } else { b[l - 16] }
            });
            Value::V128(out.join())
        }
        Op::Extract { ty, lane, signed } => {
            let raw = lanes::get(pop(stack).v128(), ty.bits(), lane);
            match ty {
                LaneType::I8 if signed => Value::I32(i32::from(raw as u8 as i8)),
                LaneType::I16 if signed => Value::I32(i32::from(raw as u16 as i16)),
                LaneType::I8 | LaneType::I16 | LaneType::I32 => Value::I32(raw as u32 as i32),
                LaneType::I64 => Value::I64(raw as i64),
                LaneType::F32 => Value::F32(raw as u32),
                LaneType::F64 => Value::F64(raw),
            }
        }
        Op::Replace { ty, lane } => {
            let x = match pop(stack) {
                Value::I32(x) => u64::from(x as u32),
                Value::I64(x) => x as u64,
                Value::F32(bits) => u64::from(bits),
                Value::F64(bits) => bits,
                other => panic!("validated code: replace_lane of {other:?}"),
            };
            let v = pop(stack).v128();
            Value::V128(lanes::set(v, ty.bits(), lane, x))
        }
        Op::Load { arg, kind } => {
            let address = memory::address(pop(stack), arg);
            let memory = &memories[arg.memory as usize];
            Value::V128(memory::load(memory, address, kind)?)
        }
        Op::LoadLane { arg, bits, lane } => {
            let v = pop(stack).v128();
            let address = memory::address(pop(stack), arg);
            let memory = &memories[arg.memory as usize];
            Value::V128(memory::load_lane(memory, address, v, bits, lane)?)
        }
        Op::Store(arg) => {
            let v = pop(stack).v128();
            let address = memory::address(pop(stack), arg);
            let memory = &memories[arg.memory as usize];
            return memory::store(memory, address, &v.to_le_bytes());
        }
        Op::StoreLane { arg, bits, lane } => {
            let v = pop(stack).v128();
            let address = memory::address(pop(stack), arg);
            let memory = &memories[arg.memory as usize];
            let bytes = lanes::get(v, bits, lane).to_le_bytes();
            return memory::store(memory, address, &bytes[..(bits / 8) as usize]);
        }
    };
    stack.push(result);
    Ok(())
}
