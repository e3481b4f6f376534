//! Conversions between the four number types: `wrap`, `extend`, `trunc`
//! (trapping and saturating), `convert`, `demote`, `promote`, `reinterpret`.
//!
//! # Trapping float-to-int conversion
//!
//! `iN.trunc_fM_s/u` traps on NaN (`invalid conversion to integer`) and when
//! the truncated value does not fit in `iN` (`integer overflow`). Both are
//! explicit checks; the conversion itself is then done with
//! `fcvt_to_*int_sat`, which cannot fault, on a value already known to fit.
//!
//! The range test compares the *untruncated* input against bounds that are
//! exact in the source type, so no rounding enters it:
//!
//! - upper: `x < 2^(N-1)` (signed) or `x < 2^N` (unsigned); powers of two are
//!   exact in both float types.
//! - lower, unsigned: `x > -1.0`, since everything in `(-1, 0]` truncates to 0.
//! - lower, signed: the truncation fits iff `x > -2^(N-1) - 1`. That bound is
//!   exact in `f64` for `N = 32`, so `i32.trunc_f64_s` uses it. Otherwise it
//!   is not representable and the nearest float below `-2^(N-1)` is already
//!   `<= -2^(N-1) - 1`, so the test becomes `x >= -2^(N-1)`.

use cranelift_codegen::ir::condcodes::FloatCC;
use cranelift_codegen::ir::immediates::{Ieee32, Ieee64};
use cranelift_codegen::ir::{self, InstBuilder, MemFlagsData, types};
use wasmparser::Operator;

use super::{NumericCx, NumericError};
use crate::trap::TrapCode;

/// Signedness of the integer side of a conversion.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sign {
    Signed,
    Unsigned,
}

/// Translates `op` if it is a conversion; `Ok(false)` otherwise.
pub(super) fn translate(cx: &mut NumericCx, op: &Operator) -> Result<bool, NumericError> {
    use Operator as O;
    use Sign::{Signed, Unsigned};
    use types::{F32, F64, I32, I64};
    match op {
        // ---- Integer width ----
        O::I32WrapI64 => {
            let x = cx.pop(I64, op)?;
            let result = cx.builder.ins().ireduce(I32, x);
            cx.push(result);
        }
        O::I64ExtendI32S => {
            let x = cx.pop(I32, op)?;
            let result = cx.builder.ins().sextend(I64, x);
            cx.push(result);
        }
        O::I64ExtendI32U => {
            let x = cx.pop(I32, op)?;
            let result = cx.builder.ins().uextend(I64, x);
            cx.push(result);
        }

        // ---- Float to int, trapping ----
        O::I32TruncF32S => trunc_checked(cx, F32, I32, Signed, op)?,
        O::I32TruncF32U => trunc_checked(cx, F32, I32, Unsigned, op)?,
        O::I32TruncF64S => trunc_checked(cx, F64, I32, Signed, op)?,
        O::I32TruncF64U => trunc_checked(cx, F64, I32, Unsigned, op)?,
        O::I64TruncF32S => trunc_checked(cx, F32, I64, Signed, op)?,
        O::I64TruncF32U => trunc_checked(cx, F32, I64, Unsigned, op)?,
        O::I64TruncF64S => trunc_checked(cx, F64, I64, Signed, op)?,
        O::I64TruncF64U => trunc_checked(cx, F64, I64, Unsigned, op)?,

        // ---- Float to int, saturating (NaN gives 0) ----
        O::I32TruncSatF32S => trunc_saturating(cx, F32, I32, Signed, op)?,
        O::I32TruncSatF32U => trunc_saturating(cx, F32, I32, Unsigned, op)?,
        O::I32TruncSatF64S => trunc_saturating(cx, F64, I32, Signed, op)?,
        O::I32TruncSatF64U => trunc_saturating(cx, F64, I32, Unsigned, op)?,
        O::I64TruncSatF32S => trunc_saturating(cx, F32, I64, Signed, op)?,
        O::I64TruncSatF32U => trunc_saturating(cx, F32, I64, Unsigned, op)?,
        O::I64TruncSatF64S => trunc_saturating(cx, F64, I64, Signed, op)?,
        O::I64TruncSatF64U => trunc_saturating(cx, F64, I64, Unsigned, op)?,

        // ---- Int to float (rounds to nearest, ties to even) ----
        O::F32ConvertI32S => int_to_float(cx, I32, F32, Signed, op)?,
        O::F32ConvertI32U => int_to_float(cx, I32, F32, Unsigned, op)?,
        O::F32ConvertI64S => int_to_float(cx, I64, F32, Signed, op)?,
        O::F32ConvertI64U => int_to_float(cx, I64, F32, Unsigned, op)?,
        O::F64ConvertI32S => int_to_float(cx, I32, F64, Signed, op)?,
        O::F64ConvertI32U => int_to_float(cx, I32, F64, Unsigned, op)?,
        O::F64ConvertI64S => int_to_float(cx, I64, F64, Signed, op)?,
        O::F64ConvertI64U => int_to_float(cx, I64, F64, Unsigned, op)?,

        // ---- Float width (arithmetic: NaN policy applies) ----
        O::F32DemoteF64 => {
            let x = cx.pop(F64, op)?;
            let result = cx.builder.ins().fdemote(F32, x);
            let result = cx.canonicalize_nan(result);
            cx.push(result);
        }
        O::F64PromoteF32 => {
            let x = cx.pop(F32, op)?;
            let result = cx.builder.ins().fpromote(F64, x);
            let result = cx.canonicalize_nan(result);
            cx.push(result);
        }

        // ---- Same bits, other type ----
        O::I32ReinterpretF32 => reinterpret(cx, F32, I32, op)?,
        O::I64ReinterpretF64 => reinterpret(cx, F64, I64, op)?,
        O::F32ReinterpretI32 => reinterpret(cx, I32, F32, op)?,
        O::F64ReinterpretI64 => reinterpret(cx, I64, F64, op)?,

        _ => return Ok(false),
    }
    Ok(true)
}

/// `iN.trunc_fM_s/u`: NaN check, range check, then a conversion that cannot
/// fault (see the module docs for the bounds).
fn trunc_checked(
    cx: &mut NumericCx,
    from: ir::Type,
    to: ir::Type,
    sign: Sign,
    op: &Operator,
) -> Result<(), NumericError> {
    let x = cx.pop(from, op)?;

    let is_nan = cx.builder.ins().fcmp(FloatCC::Unordered, x, x);
    cx.traps
        .trap_if(cx.builder, is_nan, TrapCode::BadConversionToInteger);

    let bounds = TruncBounds::new(from, to, sign);
    let lower = float_const(cx, from, bounds.lower);
    let upper = float_const(cx, from, bounds.upper);
    let below_cc = if bounds.lower_inclusive {
        FloatCC::LessThan
    } else {
        FloatCC::LessThanOrEqual
    };
    let too_low = cx.builder.ins().fcmp(below_cc, x, lower);
    let too_high = cx.builder.ins().fcmp(FloatCC::GreaterThanOrEqual, x, upper);
    let out_of_range = cx.builder.ins().bor(too_low, too_high);
    cx.traps
        .trap_if(cx.builder, out_of_range, TrapCode::IntegerOverflow);

    let result = convert_saturating(cx, to, sign, x);
    cx.push(result);
    Ok(())
}

/// The range in which a trapping truncation from a `from` float to a `to`
/// integer succeeds, as float values exact in `from`: `lower` (inclusive
/// or exclusive) up to `upper` (exclusive).
struct TruncBounds {
    lower: f64,
    lower_inclusive: bool,
    upper: f64,
}

impl TruncBounds {
    fn new(from: ir::Type, to: ir::Type, sign: Sign) -> TruncBounds {
        let bits = to.bits();
        // Powers of two up to 2^64 are exact in f64 and f32 alike.
        let pow2 = |exp: u32| 2f64.powi(i32::try_from(exp).expect("integer widths are 32 or 64"));
        match sign {
            Sign::Unsigned => TruncBounds {
                lower: -1.0,
                lower_inclusive: false,
                upper: pow2(bits),
            },
            Sign::Signed => {
                let min = -pow2(bits - 1);
                // `min - 1` = -(2^(N-1) + 1) needs N significant bits: only
                // f64 (53 bits) for a 32-bit target has them.
                let significand_bits = if from == types::F32 {
                    f32::MANTISSA_DIGITS
                } else {
                    f64::MANTISSA_DIGITS
                };
                let exclusive = min - 1.0;
                let exact = bits <= significand_bits;
                if exact {
                    TruncBounds {
                        lower: exclusive,
                        lower_inclusive: false,
                        upper: -min,
                    }
                } else {
                    TruncBounds {
                        lower: min,
                        lower_inclusive: true,
                        upper: -min,
                    }
                }
            }
        }
    }
}

/// A float constant of type `ty` whose value `value` is exact in `ty`.
fn float_const(cx: &mut NumericCx, ty: ir::Type, value: f64) -> ir::Value {
    if ty == types::F32 {
        // Exactness of the narrowing is a precondition, checked in tests.
        cx.builder.ins().f32const(Ieee32::with_float(value as f32))
    } else {
        cx.builder.ins().f64const(Ieee64::with_float(value))
    }
}

/// `iN.trunc_sat_fM_s/u`: CLIF's saturating conversion is exactly wasm's
/// (NaN to 0, out-of-range to the nearest bound).
fn trunc_saturating(
    cx: &mut NumericCx,
    from: ir::Type,
    to: ir::Type,
    sign: Sign,
    op: &Operator,
) -> Result<(), NumericError> {
    let x = cx.pop(from, op)?;
    let result = convert_saturating(cx, to, sign, x);
    cx.push(result);
    Ok(())
}

fn convert_saturating(cx: &mut NumericCx, to: ir::Type, sign: Sign, x: ir::Value) -> ir::Value {
    match sign {
        Sign::Signed => cx.builder.ins().fcvt_to_sint_sat(to, x),
        Sign::Unsigned => cx.builder.ins().fcvt_to_uint_sat(to, x),
    }
}

fn int_to_float(
    cx: &mut NumericCx,
    from: ir::Type,
    to: ir::Type,
    sign: Sign,
    op: &Operator,
) -> Result<(), NumericError> {
    let x = cx.pop(from, op)?;
    let result = match sign {
        Sign::Signed => cx.builder.ins().fcvt_from_sint(to, x),
        Sign::Unsigned => cx.builder.ins().fcvt_from_uint(to, x),
    };
    cx.push(result);
    Ok(())
}

fn reinterpret(
    cx: &mut NumericCx,
    from: ir::Type,
    to: ir::Type,
    op: &Operator,
) -> Result<(), NumericError> {
    let x = cx.pop(from, op)?;
    let result = cx.builder.ins().bitcast(to, MemFlagsData::new(), x);
    cx.push(result);
    Ok(())
}
