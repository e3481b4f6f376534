//! Numeric instructions: integer and float arithmetic, comparisons and
//! conversions, each as a plain function over values.
//!
//! Compilation maps every numeric operator to one function pointer of type
//! [`Unary`] or [`Binary`]; the executor pops, calls, pushes. Float rules
//! follow the spec's numerics chapter: `min`/`max` propagate NaN and order
//! `-0 < +0`; `nearest` rounds ties to even; `neg`/`abs`/`copysign` touch
//! only the sign bit; trapping truncations check NaN, then range.

use super::code::Instr;
use super::trap::Trap;
use super::value::Value;
use wasmparser::Operator;

/// A numeric instruction taking one operand.
pub(crate) type Unary = fn(&Value) -> Result<Value, Trap>;
/// A numeric instruction taking two operands (first pushed first).
pub(crate) type Binary = fn(&Value, &Value) -> Result<Value, Trap>;

/// `a op b` over one accessor, wrapped by one constructor, never trapping.
macro_rules! bin {
    ($get:ident, $wrap:expr, |$a:ident, $b:ident| $body:expr) => {
        Instr::Binary(|x, y| {
            let ($a, $b) = (x.$get(), y.$get());
            Ok($wrap($body))
        })
    };
}

/// `op a` over one accessor, wrapped by one constructor, never trapping.
macro_rules! un {
    ($get:ident, $wrap:expr, |$a:ident| $body:expr) => {
        Instr::Unary(|x| {
            let $a = x.$get();
            Ok($wrap($body))
        })
    };
}

/// The compiled form of a numeric operator, or `None` if `op` is not one.
pub(crate) fn compile(op: &Operator<'_>) -> Option<Instr> {
    use Operator as O;
    use Value as V;
    Some(match op {
        // i32 comparisons
        O::I32Eqz => un!(i32, V::from_bool, |a| a == 0),
        O::I32Eq => bin!(i32, V::from_bool, |a, b| a == b),
        O::I32Ne => bin!(i32, V::from_bool, |a, b| a != b),
        O::I32LtS => bin!(i32, V::from_bool, |a, b| a < b),
        O::I32LtU => bin!(i32, V::from_bool, |a, b| (a as u32) < (b as u32)),
        O::I32GtS => bin!(i32, V::from_bool, |a, b| a > b),
        O::I32GtU => bin!(i32, V::from_bool, |a, b| (a as u32) > (b as u32)),
        O::I32LeS => bin!(i32, V::from_bool, |a, b| a <= b),
        O::I32LeU => bin!(i32, V::from_bool, |a, b| (a as u32) <= (b as u32)),
        O::I32GeS => bin!(i32, V::from_bool, |a, b| a >= b),
        O::I32GeU => bin!(i32, V::from_bool, |a, b| (a as u32) >= (b as u32)),
        // i64 comparisons
        O::I64Eqz => un!(i64, V::from_bool, |a| a == 0),
        O::I64Eq => bin!(i64, V::from_bool, |a, b| a == b),
        O::I64Ne => bin!(i64, V::from_bool, |a, b| a != b),
        O::I64LtS => bin!(i64, V::from_bool, |a, b| a < b),
        O::I64LtU => bin!(i64, V::from_bool, |a, b| (a as u64) < (b as u64)),
        O::I64GtS => bin!(i64, V::from_bool, |a, b| a > b),
        O::I64GtU => bin!(i64, V::from_bool, |a, b| (a as u64) > (b as u64)),
        O::I64LeS => bin!(i64, V::from_bool, |a, b| a <= b),
        O::I64LeU => bin!(i64, V::from_bool, |a, b| (a as u64) <= (b as u64)),
        O::I64GeS => bin!(i64, V::from_bool, |a, b| a >= b),
        O::I64GeU => bin!(i64, V::from_bool, |a, b| (a as u64) >= (b as u64)),
        // float comparisons (IEEE: any NaN compares unequal)
        O::F32Eq => bin!(f32, V::from_bool, |a, b| a == b),
        O::F32Ne => bin!(f32, V::from_bool, |a, b| a != b),
        O::F32Lt => bin!(f32, V::from_bool, |a, b| a < b),
        O::F32Gt => bin!(f32, V::from_bool, |a, b| a > b),
        O::F32Le => bin!(f32, V::from_bool, |a, b| a <= b),
        O::F32Ge => bin!(f32, V::from_bool, |a, b| a >= b),
        O::F64Eq => bin!(f64, V::from_bool, |a, b| a == b),
        O::F64Ne => bin!(f64, V::from_bool, |a, b| a != b),
        O::F64Lt => bin!(f64, V::from_bool, |a, b| a < b),
        O::F64Gt => bin!(f64, V::from_bool, |a, b| a > b),
        O::F64Le => bin!(f64, V::from_bool, |a, b| a <= b),
        O::F64Ge => bin!(f64, V::from_bool, |a, b| a >= b),
        // i32 arithmetic
        O::I32Clz => un!(i32, V::I32, |a| a.leading_zeros() as i32),
        O::I32Ctz => un!(i32, V::I32, |a| a.trailing_zeros() as i32),
        O::I32Popcnt => un!(i32, V::I32, |a| a.count_ones() as i32),
        O::I32Add => bin!(i32, V::I32, |a, b| a.wrapping_add(b)),
        O::I32Sub => bin!(i32, V::I32, |a, b| a.wrapping_sub(b)),
        O::I32Mul => bin!(i32, V::I32, |a, b| a.wrapping_mul(b)),
        O::I32DivS => Instr::Binary(|x, y| {
            let (a, b) = (x.i32(), y.i32());
            if b == 0 {
                return Err(Trap::IntegerDivisionByZero);
            }
            a.checked_div(b).map(V::I32).ok_or(Trap::IntegerOverflow)
        }),
        O::I32DivU => Instr::Binary(|x, y| {
            let (a, b) = (x.i32() as u32, y.i32() as u32);
            a.checked_div(b)
                .map(|r| V::I32(r as i32))
                .ok_or(Trap::IntegerDivisionByZero)
        }),
        O::I32RemS => Instr::Binary(|x, y| {
            let (a, b) = (x.i32(), y.i32());
            if b == 0 {
                return Err(Trap::IntegerDivisionByZero);
            }
            // MIN % -1 is 0 in wasm, not an overflow.
            Ok(V::I32(a.wrapping_rem(b)))
        }),
        O::I32RemU => Instr::Binary(|x, y| {
            let (a, b) = (x.i32() as u32, y.i32() as u32);
            a.checked_rem(b)
                .map(|r| V::I32(r as i32))
                .ok_or(Trap::IntegerDivisionByZero)
        }),
        O::I32And => bin!(i32, V::I32, |a, b| a & b),
        O::I32Or => bin!(i32, V::I32, |a, b| a | b),
        O::I32Xor => bin!(i32, V::I32, |a, b| a ^ b),
        // Shift and rotate counts are taken modulo the bit width.
        O::I32Shl => bin!(i32, V::I32, |a, b| a.wrapping_shl(b as u32)),
        O::I32ShrS => bin!(i32, V::I32, |a, b| a.wrapping_shr(b as u32)),
        O::I32ShrU => bin!(i32, V::I32, |a, b| (a as u32).wrapping_shr(b as u32) as i32),
        O::I32Rotl => bin!(i32, V::I32, |a, b| a.rotate_left(b as u32 % 32)),
        O::I32Rotr => bin!(i32, V::I32, |a, b| a.rotate_right(b as u32 % 32)),
        // i64 arithmetic
        O::I64Clz => un!(i64, V::I64, |a| i64::from(a.leading_zeros())),
        O::I64Ctz => un!(i64, V::I64, |a| i64::from(a.trailing_zeros())),
        O::I64Popcnt => un!(i64, V::I64, |a| i64::from(a.count_ones())),
        O::I64Add => bin!(i64, V::I64, |a, b| a.wrapping_add(b)),
        O::I64Sub => bin!(i64, V::I64, |a, b| a.wrapping_sub(b)),
        O::I64Mul => bin!(i64, V::I64, |a, b| a.wrapping_mul(b)),
        O::I64DivS => Instr::Binary(|x, y| {
            let (a, b) = (x.i64(), y.i64());
            if b == 0 {
                return Err(Trap::IntegerDivisionByZero);
            }
            a.checked_div(b).map(V::I64).ok_or(Trap::IntegerOverflow)
        }),
        O::I64DivU => Instr::Binary(|x, y| {
            let (a, b) = (x.i64() as u64, y.i64() as u64);
            a.checked_div(b)
                .map(|r| V::I64(r as i64))
                .ok_or(Trap::IntegerDivisionByZero)
        }),
        O::I64RemS => Instr::Binary(|x, y| {
            let (a, b) = (x.i64(), y.i64());
            if b == 0 {
                return Err(Trap::IntegerDivisionByZero);
            }
            Ok(V::I64(a.wrapping_rem(b)))
        }),
        O::I64RemU => Instr::Binary(|x, y| {
            let (a, b) = (x.i64() as u64, y.i64() as u64);
            a.checked_rem(b)
                .map(|r| V::I64(r as i64))
                .ok_or(Trap::IntegerDivisionByZero)
        }),
        O::I64And => bin!(i64, V::I64, |a, b| a & b),
        O::I64Or => bin!(i64, V::I64, |a, b| a | b),
        O::I64Xor => bin!(i64, V::I64, |a, b| a ^ b),
        O::I64Shl => bin!(i64, V::I64, |a, b| a.wrapping_shl(b as u32)),
        O::I64ShrS => bin!(i64, V::I64, |a, b| a.wrapping_shr(b as u32)),
        O::I64ShrU => bin!(i64, V::I64, |a, b| (a as u64).wrapping_shr(b as u32) as i64),
        O::I64Rotl => bin!(i64, V::I64, |a, b| a.rotate_left((b as u64 % 64) as u32)),
        O::I64Rotr => bin!(i64, V::I64, |a, b| a.rotate_right((b as u64 % 64) as u32)),
        // f32 arithmetic; sign operations work on the bits so NaNs keep
        // their payload.
        O::F32Abs => un!(f32_bits, V::F32, |a| a & 0x7fff_ffff),
        O::F32Neg => un!(f32_bits, V::F32, |a| a ^ 0x8000_0000),
        O::F32Copysign => bin!(f32_bits, V::F32, |a, b| (a & 0x7fff_ffff)
            | (b & 0x8000_0000)),
        O::F32Ceil => un!(f32, V::from_f32, |a| quiet_32(a.ceil())),
        O::F32Floor => un!(f32, V::from_f32, |a| quiet_32(a.floor())),
        O::F32Trunc => un!(f32, V::from_f32, |a| quiet_32(a.trunc())),
        O::F32Nearest => un!(f32, V::from_f32, |a| quiet_32(a.round_ties_even())),
        O::F32Sqrt => un!(f32, V::from_f32, |a| quiet_32(a.sqrt())),
        O::F32Add => bin!(f32, V::from_f32, |a, b| a + b),
        O::F32Sub => bin!(f32, V::from_f32, |a, b| a - b),
        O::F32Mul => bin!(f32, V::from_f32, |a, b| a * b),
        O::F32Div => bin!(f32, V::from_f32, |a, b| a / b),
        O::F32Min => bin!(f32, V::from_f32, |a, b| min_f32(a, b)),
        O::F32Max => bin!(f32, V::from_f32, |a, b| max_f32(a, b)),
        // f64 arithmetic
        O::F64Abs => un!(f64_bits, V::F64, |a| a & 0x7fff_ffff_ffff_ffff),
        O::F64Neg => un!(f64_bits, V::F64, |a| a ^ 0x8000_0000_0000_0000),
        O::F64Copysign => bin!(f64_bits, V::F64, |a, b| (a & 0x7fff_ffff_ffff_ffff)
            | (b & 0x8000_0000_0000_0000)),
        O::F64Ceil => un!(f64, V::from_f64, |a| quiet_64(a.ceil())),
        O::F64Floor => un!(f64, V::from_f64, |a| quiet_64(a.floor())),
        O::F64Trunc => un!(f64, V::from_f64, |a| quiet_64(a.trunc())),
        O::F64Nearest => un!(f64, V::from_f64, |a| quiet_64(a.round_ties_even())),
        O::F64Sqrt => un!(f64, V::from_f64, |a| quiet_64(a.sqrt())),
        O::F64Add => bin!(f64, V::from_f64, |a, b| a + b),
        O::F64Sub => bin!(f64, V::from_f64, |a, b| a - b),
        O::F64Mul => bin!(f64, V::from_f64, |a, b| a * b),
        O::F64Div => bin!(f64, V::from_f64, |a, b| a / b),
        O::F64Min => bin!(f64, V::from_f64, |a, b| min_f64(a, b)),
        O::F64Max => bin!(f64, V::from_f64, |a, b| max_f64(a, b)),
        // integer width changes
        O::I32WrapI64 => un!(i64, V::I32, |a| a as i32),
        O::I64ExtendI32S => un!(i32, V::I64, |a| i64::from(a)),
        O::I64ExtendI32U => un!(i32, V::I64, |a| i64::from(a as u32)),
        O::I32Extend8S => un!(i32, V::I32, |a| i32::from(a as i8)),
        O::I32Extend16S => un!(i32, V::I32, |a| i32::from(a as i16)),
        O::I64Extend8S => un!(i64, V::I64, |a| i64::from(a as i8)),
        O::I64Extend16S => un!(i64, V::I64, |a| i64::from(a as i16)),
        O::I64Extend32S => un!(i64, V::I64, |a| i64::from(a as i32)),
        // trapping float-to-int truncation (f32 widens to f64 exactly)
        O::I32TruncF32S => {
            Instr::Unary(|x| trunc_s(f64::from(x.f32()), 32).map(|v| V::I32(v as i32)))
        }
        O::I32TruncF32U => {
            Instr::Unary(|x| trunc_u(f64::from(x.f32()), 32).map(|v| V::I32(v as i32)))
        }
        O::I32TruncF64S => Instr::Unary(|x| trunc_s(x.f64(), 32).map(|v| V::I32(v as i32))),
        O::I32TruncF64U => Instr::Unary(|x| trunc_u(x.f64(), 32).map(|v| V::I32(v as i32))),
        O::I64TruncF32S => Instr::Unary(|x| trunc_s(f64::from(x.f32()), 64).map(V::I64)),
        O::I64TruncF32U => {
            Instr::Unary(|x| trunc_u(f64::from(x.f32()), 64).map(|v| V::I64(v as i64)))
        }
        O::I64TruncF64S => Instr::Unary(|x| trunc_s(x.f64(), 64).map(V::I64)),
        O::I64TruncF64U => Instr::Unary(|x| trunc_u(x.f64(), 64).map(|v| V::I64(v as i64))),
        // saturating truncation: Rust's `as` saturates and maps NaN to 0,
        // which is exactly the spec's `trunc_sat`.
        O::I32TruncSatF32S => un!(f32, V::I32, |a| a as i32),
        O::I32TruncSatF32U => un!(f32, V::I32, |a| a as u32 as i32),
        O::I32TruncSatF64S => un!(f64, V::I32, |a| a as i32),
        O::I32TruncSatF64U => un!(f64, V::I32, |a| a as u32 as i32),
        O::I64TruncSatF32S => un!(f32, V::I64, |a| a as i64),
        O::I64TruncSatF32U => un!(f32, V::I64, |a| a as u64 as i64),
        O::I64TruncSatF64S => un!(f64, V::I64, |a| a as i64),
        O::I64TruncSatF64U => un!(f64, V::I64, |a| a as u64 as i64),
        // int-to-float: Rust's `as` rounds to nearest, ties to even.
        O::F32ConvertI32S => un!(i32, V::from_f32, |a| a as f32),
        O::F32ConvertI32U => un!(i32, V::from_f32, |a| a as u32 as f32),
        O::F32ConvertI64S => un!(i64, V::from_f32, |a| a as f32),
        O::F32ConvertI64U => un!(i64, V::from_f32, |a| a as u64 as f32),
        O::F64ConvertI32S => un!(i32, V::from_f64, |a| f64::from(a)),
        O::F64ConvertI32U => un!(i32, V::from_f64, |a| f64::from(a as u32)),
        O::F64ConvertI64S => un!(i64, V::from_f64, |a| a as f64),
        O::F64ConvertI64U => un!(i64, V::from_f64, |a| a as u64 as f64),
        O::F32DemoteF64 => un!(f64, V::from_f32, |a| a as f32),
        O::F64PromoteF32 => un!(f32, V::from_f64, |a| f64::from(a)),
        // reinterpretation: bits unchanged
        O::I32ReinterpretF32 => un!(f32_bits, V::I32, |a| a as i32),
        O::I64ReinterpretF64 => un!(f64_bits, V::I64, |a| a as i64),
        O::F32ReinterpretI32 => un!(i32, V::F32, |a| a as u32),
        O::F64ReinterpretI64 => un!(i64, V::F64, |a| a as u64),
        _ => return None,
    })
}

/// Signed truncation to a `bits`-wide integer, trapping on NaN and range.
fn trunc_s(x: f64, bits: u32) -> Result<i64, Trap> {
    if x.is_nan() {
        return Err(Trap::BadConversionToInteger);
    }
    let t = x.trunc();
    // -2^(bits-1) <= t < 2^(bits-1); both bounds are exact in f64.
    let bound = 2f64.powi(bits as i32 - 1);
    if t < -bound || t >= bound {
        return Err(Trap::IntegerOverflow);
    }
    Ok(t as i64)
}

/// Unsigned truncation to a `bits`-wide integer, trapping on NaN and range.
/// Values in (-1, 0) truncate to 0 and are allowed.
fn trunc_u(x: f64, bits: u32) -> Result<u64, Trap> {
    if x.is_nan() {
        return Err(Trap::BadConversionToInteger);
    }
    let t = x.trunc();
    let bound = 2f64.powi(bits as i32);
    if t < 0.0 || t >= bound {
        return Err(Trap::IntegerOverflow);
    }
    Ok(t as u64)
}

// Rounding functions may hand a signalling NaN back unchanged (libm
// does, without SSE4.1), but wasm requires an arithmetic (quiet) NaN: set
// the quiet bit, keep the payload.

pub(crate) fn quiet_32(r: f32) -> f32 {
    if r.is_nan() {
        f32::from_bits(r.to_bits() | 0x0040_0000)
    } else {
        r
    }
}

pub(crate) fn quiet_64(r: f64) -> f64 {
    if r.is_nan() {
        f64::from_bits(r.to_bits() | 0x0008_0000_0000_0000)
    } else {
        r
    }
}

// min/max: NaN if either operand is NaN (the canonical NaN, which the spec
// accepts for both its canonical and arithmetic cases), and -0 < +0, which
// Rust's `f32::min` does not promise.

pub(crate) fn min_f32(a: f32, b: f32) -> f32 {
    if a.is_nan() || b.is_nan() {
        f32::NAN
    } else if a == 0.0 && b == 0.0 {
        f32::from_bits(a.to_bits() | b.to_bits())
    } else {
        a.min(b)
    }
}

pub(crate) fn max_f32(a: f32, b: f32) -> f32 {
    if a.is_nan() || b.is_nan() {
        f32::NAN
    } else if a == 0.0 && b == 0.0 {
        f32::from_bits(a.to_bits() & b.to_bits())
    } else {
        a.max(b)
    }
}

pub(crate) fn min_f64(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a == 0.0 && b == 0.0 {
        f64::from_bits(a.to_bits() | b.to_bits())
    } else {
        a.min(b)
    }
}

pub(crate) fn max_f64(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a == 0.0 && b == 0.0 {
        f64::from_bits(a.to_bits() & b.to_bits())
    } else {
        a.max(b)
    }
}
