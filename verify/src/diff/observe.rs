//! What the harness observes of either engine, in one engine-neutral form.
//!
//! Both engines' values, traps and states are converted into the types here
//! and compared with `==`, so "what counts as the same" is decided once, in
//! this file, for both directions.

use std::fmt;

use crate::interp;

/// A value as compared across engines.
///
/// Floats are kept as bits. With NaN canonicalization on (wasm-smith's
/// `canonicalize_nans`), every NaN the program computes is canonical and
/// bits are compared exactly; without it the harness compares NaN-ness only
/// (see [`Observed::same_as`]). A function reference is compared by which
/// function it is, as far as both engines can tell: the harness knows each
/// engine's handle for every exported function, so a reference to one of
/// them is that export's position; any other non-null one is
/// [`FuncId::Unexported`]. externrefs compare by token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Observed {
    /// An `i32`.
    I32(i32),
    /// An `i64`.
    I64(i64),
    /// An `f32`, as bits.
    F32(u32),
    /// An `f64`, as bits.
    F64(u64),
    /// A `v128`, its bytes as one little-endian number. It carries no lane
    /// shape, so without exact NaNs two are the same when their bits are,
    /// or when they are the same `f32x4` or the same `f64x2` with NaN lanes
    /// matched by NaN-ness: a float vector's NaN payloads may differ
    /// between engines as a scalar's may.
    V128(u128),
    /// A `funcref`.
    FuncRef(FuncId),
    /// An `externref`: the host's token, `None` for null.
    ExternRef(Option<u32>),
}

/// Which function a `funcref` names, in terms both engines share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FuncId {
    /// `ref.null func`.
    Null,
    /// The function exported at this position among the instance's
    /// function exports (in export order).
    Export(u32),
    /// A function that is no export of the instance.
    Unexported,
}

impl FuncId {
    /// The identity of `func` given the function exports, in export order,
    /// and how to tell two handles of one engine apart.
    fn of<F>(func: Option<&F>, exports: &[F], same: impl Fn(&F, &F) -> bool) -> FuncId {
        match func {
            None => FuncId::Null,
            Some(f) => exports
                .iter()
                .position(|e| same(e, f))
                .map_or(FuncId::Unexported, |i| FuncId::Export(i as u32)),
        }
    }
}

impl Observed {
    /// Whether two values count as the same; NaNs of any payload match when
    /// `exact_nans` is false.
    pub fn same_as(&self, other: &Observed, exact_nans: bool) -> bool {
        match (self, other) {
            (Observed::F32(a), Observed::F32(b)) if !exact_nans => {
                a == b || (f32::from_bits(*a).is_nan() && f32::from_bits(*b).is_nan())
            }
            (Observed::F64(a), Observed::F64(b)) if !exact_nans => {
                a == b || (f64::from_bits(*a).is_nan() && f64::from_bits(*b).is_nan())
            }
            (Observed::V128(a), Observed::V128(b)) if !exact_nans => v128_same(*a, *b),
            _ => self == other,
        }
    }

    /// Converts an interpreter value; `exports` are the instance's exported
    /// functions in export order.
    pub fn from_interp(value: &interp::Value, exports: &[interp::FuncRef]) -> Observed {
        match value {
            interp::Value::I32(v) => Observed::I32(*v),
            interp::Value::I64(v) => Observed::I64(*v),
            interp::Value::F32(v) => Observed::F32(*v),
            interp::Value::F64(v) => Observed::F64(*v),
            interp::Value::V128(v) => Observed::V128(*v),
            interp::Value::FuncRef(r) => {
                Observed::FuncRef(FuncId::of(r.as_ref(), exports, |a, b| a == b))
            }
            interp::Value::ExternRef(r) => Observed::ExternRef(*r),
        }
    }

    /// Converts a JIT value; `exports` are the instance's exported
    /// functions in export order.
    pub fn from_jit(value: &weft::Val, exports: &[weft::Func]) -> Observed {
        match value {
            weft::Val::I32(v) => Observed::I32(*v),
            weft::Val::I64(v) => Observed::I64(*v),
            weft::Val::F32(v) => Observed::F32(*v),
            weft::Val::F64(v) => Observed::F64(*v),
            weft::Val::V128(v) => Observed::V128(v.as_u128()),
            weft::Val::FuncRef(r) => {
                Observed::FuncRef(FuncId::of(r.as_ref(), exports, |a, b| a == b))
            }
            weft::Val::ExternRef(r) => Observed::ExternRef(r.map(|r| r.token())),
        }
    }
}

/// Whether two vectors are the same `f32x4` or `f64x2` up to NaN payloads
/// (bitwise equal vectors are both).
fn v128_same(a: u128, b: u128) -> bool {
    let lane = |v: u128, i: u32, bits: u32| (v >> (i * bits)) as u64 & (u64::MAX >> (64 - bits));
    let f32_lanes = (0..4).all(|i| {
        let (x, y) = (lane(a, i, 32) as u32, lane(b, i, 32) as u32);
        x == y || (f32::from_bits(x).is_nan() && f32::from_bits(y).is_nan())
    });
    let f64_lanes = (0..2).all(|i| {
        let (x, y) = (lane(a, i, 64), lane(b, i, 64));
        x == y || (f64::from_bits(x).is_nan() && f64::from_bits(y).is_nan())
    });
    f32_lanes || f64_lanes
}

impl fmt::Display for Observed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Observed::I32(v) => write!(f, "i32:{v}"),
            Observed::I64(v) => write!(f, "i64:{v}"),
            Observed::F32(v) => write!(f, "f32:{:#010x} ({})", v, f32::from_bits(*v)),
            Observed::F64(v) => write!(f, "f64:{:#018x} ({})", v, f64::from_bits(*v)),
            Observed::V128(v) => write!(f, "v128:{v:#034x}"),
            Observed::FuncRef(FuncId::Null) => write!(f, "ref.null func"),
            Observed::FuncRef(FuncId::Export(i)) => write!(f, "funcref:export#{i}"),
            Observed::FuncRef(FuncId::Unexported) => write!(f, "funcref:unexported"),
            Observed::ExternRef(None) => write!(f, "ref.null extern"),
            Observed::ExternRef(Some(t)) => write!(f, "externref:{t}"),
        }
    }
}

/// An argument the harness passes to both engines. Only values that mean
/// the same in both can be arguments: numbers, vectors and null references.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
    /// An `i32`.
    I32(i32),
    /// An `i64`.
    I64(i64),
    /// An `f32`, as bits.
    F32(u32),
    /// An `f64`, as bits.
    F64(u64),
    /// A `v128`, its bytes as one little-endian number.
    V128(u128),
    /// `ref.null func`.
    NullFuncRef,
    /// `ref.null extern`.
    NullExternRef,
}

impl Arg {
    pub(crate) fn to_interp(self) -> interp::Value {
        match self {
            Arg::I32(v) => interp::Value::I32(v),
            Arg::I64(v) => interp::Value::I64(v),
            Arg::F32(v) => interp::Value::F32(v),
            Arg::F64(v) => interp::Value::F64(v),
            Arg::V128(v) => interp::Value::V128(v),
            Arg::NullFuncRef => interp::Value::FuncRef(None),
            Arg::NullExternRef => interp::Value::ExternRef(None),
        }
    }

    pub(crate) fn to_jit(self) -> weft::Val {
        match self {
            Arg::I32(v) => weft::Val::I32(v),
            Arg::I64(v) => weft::Val::I64(v),
            Arg::F32(v) => weft::Val::F32(v),
            Arg::F64(v) => weft::Val::F64(v),
            Arg::V128(v) => weft::Val::V128(v.into()),
            Arg::NullFuncRef => weft::Val::FuncRef(None),
            Arg::NullExternRef => weft::Val::ExternRef(None),
        }
    }
}

/// Why a call stopped abnormally, as compared across engines.
///
/// One kind per trap either engine can raise, and no catch-all: a trap
/// code added to either engine does not compile here until it is given its
/// own kind (the conversions below match exhaustively).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TrapKind {
    /// `unreachable`.
    Unreachable,
    /// A memory access out of bounds.
    MemoryOutOfBounds,
    /// A table access out of bounds.
    TableOutOfBounds,
    /// `call_indirect` with an index past the end of its table.
    UndefinedElement,
    /// `call_indirect` through a null entry.
    IndirectCallToNull,
    /// `call_indirect` with the wrong signature.
    BadSignature,
    /// Signed division overflow or float-to-int out of range.
    IntegerOverflow,
    /// Division or remainder by zero.
    IntegerDivisionByZero,
    /// Float-to-int of a NaN.
    BadConversionToInteger,
    /// An unaligned atomic access.
    UnalignedAtomic,
    /// `wait` on an unshared memory.
    ExpectedSharedMemory,
    /// The call stack ran out: a limit of the engine, not of the program
    /// (see [`Exhaustion`](super::Exhaustion)).
    StackExhausted,
    /// The fuel ran out (`DiffConfig::fuel`).
    OutOfFuel,
    /// weft was interrupted from outside (an interrupt handle or an epoch
    /// deadline); the interpreter has no such thing, and the harness never
    /// interrupts, so on either side it is a mismatch.
    Interrupted,
    /// A host function failed; two of these are the same only with the
    /// same message (see [`Outcome::same_as`]).
    HostError,
    /// A weft trap code this harness does not know yet (`TrapCode` is
    /// non-exhaustive), by its ABI value: it equals no interpreter kind, so
    /// it shows as a mismatch until it is given a kind of its own.
    UnknownJitCode(u32),
}

impl TrapKind {
    /// Every kind either engine raises today, for tallies and tests.
    pub const ALL: [TrapKind; 15] = [
        TrapKind::Unreachable,
        TrapKind::MemoryOutOfBounds,
        TrapKind::TableOutOfBounds,
        TrapKind::UndefinedElement,
        TrapKind::IndirectCallToNull,
        TrapKind::BadSignature,
        TrapKind::IntegerOverflow,
        TrapKind::IntegerDivisionByZero,
        TrapKind::BadConversionToInteger,
        TrapKind::UnalignedAtomic,
        TrapKind::ExpectedSharedMemory,
        TrapKind::StackExhausted,
        TrapKind::OutOfFuel,
        TrapKind::Interrupted,
        TrapKind::HostError,
    ];

    /// Classifies an interpreter trap; `None` for
    /// [`interp::Trap::InvalidInvocation`], which is the harness calling
    /// wrongly, not the program trapping.
    pub fn from_interp(trap: &interp::Trap) -> Option<TrapKind> {
        use interp::Trap as T;
        Some(match trap {
            T::Unreachable => TrapKind::Unreachable,
            T::MemoryOutOfBounds => TrapKind::MemoryOutOfBounds,
            T::TableOutOfBounds => TrapKind::TableOutOfBounds,
            T::UndefinedElement => TrapKind::UndefinedElement,
            T::IndirectCallToNull => TrapKind::IndirectCallToNull,
            T::BadSignature => TrapKind::BadSignature,
            T::IntegerOverflow => TrapKind::IntegerOverflow,
            T::IntegerDivisionByZero => TrapKind::IntegerDivisionByZero,
            T::BadConversionToInteger => TrapKind::BadConversionToInteger,
            T::UnalignedAtomic => TrapKind::UnalignedAtomic,
            T::ExpectedSharedMemory => TrapKind::ExpectedSharedMemory,
            T::StackExhausted => TrapKind::StackExhausted,
            T::OutOfFuel => TrapKind::OutOfFuel,
            T::Host(_) => TrapKind::HostError,
            T::InvalidInvocation(_) => return None,
        })
    }

    /// Classifies a JIT trap code.
    pub fn from_jit(code: weft::TrapCode) -> TrapKind {
        use weft::TrapCode as C;
        match code {
            C::Unreachable => TrapKind::Unreachable,
            C::MemoryOutOfBounds => TrapKind::MemoryOutOfBounds,
            C::TableOutOfBounds => TrapKind::TableOutOfBounds,
            C::IndirectCallToNull => TrapKind::IndirectCallToNull,
            C::BadSignature => TrapKind::BadSignature,
            C::IntegerOverflow => TrapKind::IntegerOverflow,
            C::IntegerDivisionByZero => TrapKind::IntegerDivisionByZero,
            C::BadConversionToInteger => TrapKind::BadConversionToInteger,
            C::UnalignedAtomic => TrapKind::UnalignedAtomic,
            C::ExpectedSharedMemory => TrapKind::ExpectedSharedMemory,
            C::StackOverflow => TrapKind::StackExhausted,
            C::UndefinedElement => TrapKind::UndefinedElement,
            C::OutOfFuel => TrapKind::OutOfFuel,
            C::Interrupt => TrapKind::Interrupted,
            C::HostError => TrapKind::HostError,
            unknown => TrapKind::UnknownJitCode(unknown.as_u32()),
        }
    }
}

/// How one call ended on one engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It returned these values.
    Returned(Vec<Observed>),
    /// It trapped; the message is the engine's own, for the report.
    Trapped(TrapKind, String),
}

impl Outcome {
    /// Whether this outcome ran into an engine limit rather than a property
    /// of the program.
    pub fn is_exhaustion(&self) -> bool {
        matches!(self, Outcome::Trapped(TrapKind::StackExhausted, _))
    }

    /// Whether two outcomes count as the same: the same results, or the
    /// same trap kind (messages may differ, except a host error's, which is
    /// all that tells two host errors apart).
    pub fn same_as(&self, other: &Outcome, exact_nans: bool) -> bool {
        match (self, other) {
            (Outcome::Returned(a), Outcome::Returned(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_as(y, exact_nans))
            }
            (
                Outcome::Trapped(TrapKind::HostError, a),
                Outcome::Trapped(TrapKind::HostError, b),
            ) => a == b,
            (Outcome::Trapped(a, _), Outcome::Trapped(b, _)) => a == b,
            _ => false,
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Returned(values) => {
                f.write_str("returned [")?;
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            Outcome::Trapped(kind, message) => write!(f, "trapped: {kind:?} ({message})"),
        }
    }
}

/// Everything exported that a call can change, in export order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct State {
    /// Exported globals' values.
    pub globals: Vec<(String, Observed)>,
    /// Exported memories' bytes (their length gives the size).
    pub memories: Vec<(String, Vec<u8>)>,
    /// Exported tables' elements.
    pub tables: Vec<(String, Vec<Observed>)>,
}
