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

use super::NumericCx;
use crate::translate::error::{TranslateResult, misrouted};
use crate::trap::TrapCode;

/// Signedness of the integer side of a conversion.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sign {
    Signed,
    Unsigned,
}

/// Translates `op`, a conversion.
pub(super) fn translate(cx: &mut NumericCx, op: &Operator) -> TranslateResult<()> {
    use Operator as O;
    use Sign::{Signed, Unsigned};
    use types::{F32, F64, I32, I64};
    match op {
        // ---- Integer width ----
        O::I32WrapI64 => convert(cx, I64, op, |cx, x| cx.builder.ins().ireduce(I32, x)),
        O::I64ExtendI32S => convert(cx, I32, op, |cx, x| cx.builder.ins().sextend(I64, x)),
        O::I64ExtendI32U => convert(cx, I32, op, |cx, x| cx.builder.ins().uextend(I64, x)),

        // ---- Float to int, trapping ----
        O::I32TruncF32S => convert(cx, F32, op, trunc_checked(F32, I32, Signed)),
        O::I32TruncF32U => convert(cx, F32, op, trunc_checked(F32, I32, Unsigned)),
        O::I32TruncF64S => convert(cx, F64, op, trunc_checked(F64, I32, Signed)),
        O::I32TruncF64U => convert(cx, F64, op, trunc_checked(F64, I32, Unsigned)),
        O::I64TruncF32S => convert(cx, F32, op, trunc_checked(F32, I64, Signed)),
        O::I64TruncF32U => convert(cx, F32, op, trunc_checked(F32, I64, Unsigned)),
        O::I64TruncF64S => convert(cx, F64, op, trunc_checked(F64, I64, Signed)),
        O::I64TruncF64U => convert(cx, F64, op, trunc_checked(F64, I64, Unsigned)),

        // ---- Float to int, saturating (NaN gives 0) ----
        O::I32TruncSatF32S => convert(cx, F32, op, trunc_saturating(I32, Signed)),
        O::I32TruncSatF32U => convert(cx, F32, op, trunc_saturating(I32, Unsigned)),
        O::I32TruncSatF64S => convert(cx, F64, op, trunc_saturating(I32, Signed)),
        O::I32TruncSatF64U => convert(cx, F64, op, trunc_saturating(I32, Unsigned)),
        O::I64TruncSatF32S => convert(cx, F32, op, trunc_saturating(I64, Signed)),
        O::I64TruncSatF32U => convert(cx, F32, op, trunc_saturating(I64, Unsigned)),
        O::I64TruncSatF64S => convert(cx, F64, op, trunc_saturating(I64, Signed)),
        O::I64TruncSatF64U => convert(cx, F64, op, trunc_saturating(I64, Unsigned)),

        // ---- Int to float (rounds to nearest, ties to even) ----
        O::F32ConvertI32S => convert(cx, I32, op, int_to_float(F32, Signed)),
        O::F32ConvertI32U => convert(cx, I32, op, int_to_float(F32, Unsigned)),
        O::F32ConvertI64S => convert(cx, I64, op, int_to_float(F32, Signed)),
        O::F32ConvertI64U => convert(cx, I64, op, int_to_float(F32, Unsigned)),
        O::F64ConvertI32S => convert(cx, I32, op, int_to_float(F64, Signed)),
        O::F64ConvertI32U => convert(cx, I32, op, int_to_float(F64, Unsigned)),
        O::F64ConvertI64S => convert(cx, I64, op, int_to_float(F64, Signed)),
        O::F64ConvertI64U => convert(cx, I64, op, int_to_float(F64, Unsigned)),

        // ---- Float width (arithmetic: NaN policy applies) ----
        O::F32DemoteF64 => convert(cx, F64, op, |cx, x| {
            let result = cx.builder.ins().fdemote(F32, x);
            cx.canonicalize_nan(result)
        }),
        O::F64PromoteF32 => convert(cx, F32, op, |cx, x| {
            let result = cx.builder.ins().fpromote(F64, x);
            cx.canonicalize_nan(result)
        }),

        // ---- Same bits, other type ----
        O::I32ReinterpretF32 => convert(cx, F32, op, reinterpret(I32)),
        O::I64ReinterpretF64 => convert(cx, F64, op, reinterpret(I64)),
        O::F32ReinterpretI32 => convert(cx, I32, op, reinterpret(F32)),
        O::F64ReinterpretI64 => convert(cx, I64, op, reinterpret(F64)),

        _ => Err(misrouted("conversion", op)),
    }
}

/// Every conversion's shape: pops one `from` operand, converts it with
/// `emit`, pushes the result.
fn convert(
    cx: &mut NumericCx,
    from: ir::Type,
    op: &Operator,
    emit: impl FnOnce(&mut NumericCx, ir::Value) -> ir::Value,
) -> TranslateResult<()> {
    let x = cx.pop(from, op)?;
    let result = emit(cx, x);
    cx.push(result);
    Ok(())
}

/// `iN.trunc_fM_s/u`: NaN check, range check, then a conversion that cannot
/// fault (see the module docs for the bounds).
fn trunc_checked(
    from: ir::Type,
    to: ir::Type,
    sign: Sign,
) -> impl FnOnce(&mut NumericCx, ir::Value) -> ir::Value {
    move |cx, x| {
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

        convert_saturating(cx, to, sign, x)
    }
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
    to: ir::Type,
    sign: Sign,
) -> impl FnOnce(&mut NumericCx, ir::Value) -> ir::Value {
    move |cx, x| convert_saturating(cx, to, sign, x)
}

fn convert_saturating(cx: &mut NumericCx, to: ir::Type, sign: Sign, x: ir::Value) -> ir::Value {
    match sign {
        Sign::Signed => cx.builder.ins().fcvt_to_sint_sat(to, x),
        Sign::Unsigned => cx.builder.ins().fcvt_to_uint_sat(to, x),
    }
}

/// `fN.convert_iM_s/u`.
fn int_to_float(to: ir::Type, sign: Sign) -> impl FnOnce(&mut NumericCx, ir::Value) -> ir::Value {
    move |cx, x| match sign {
        Sign::Signed => cx.builder.ins().fcvt_from_sint(to, x),
        Sign::Unsigned => cx.builder.ins().fcvt_from_uint(to, x),
    }
}

/// `reinterpret`: the same bits as a `to`.
fn reinterpret(to: ir::Type) -> impl FnOnce(&mut NumericCx, ir::Value) -> ir::Value {
    move |cx, x| cx.builder.ins().bitcast(to, MemFlagsData::new(), x)
}
