//! Conversions: every trapping truncation at its exact boundaries, the
//! saturating forms, correctly rounded int-to-float, and NaN handling of
//! demote/promote/reinterpret.

use wasmparser::Operator as O;

use super::harness::{Val, compile_loaded, run, run_canonical};
use crate::trap::TrapCode::{self, BadConversionToInteger as Nan, IntegerOverflow as Overflow};

use Val::{F32, F64, I32, I64};

/// The next `f32` towards negative infinity (for finite nonzero `x`).
fn f32_below(x: f32) -> f32 {
    let bits = x.to_bits();
    f32::from_bits(if x > 0.0 { bits - 1 } else { bits + 1 })
}

/// The next `f64` towards negative infinity (for finite nonzero `x`).
fn f64_below(x: f64) -> f64 {
    let bits = x.to_bits();
    f64::from_bits(if x > 0.0 { bits - 1 } else { bits + 1 })
}

fn from_f32(op: O<'static>, x: f32) -> Result<Val, TrapCode> {
    run(op, &[Val::f32(x)])
}

fn from_f64(op: O<'static>, x: f64) -> Result<Val, TrapCode> {
    run(op, &[Val::f64(x)])
}

const TWO_31: f64 = 2_147_483_648.0;
const TWO_32: f64 = 4_294_967_296.0;
const TWO_63: f64 = 9_223_372_036_854_775_808.0;
const TWO_64: f64 = 18_446_744_073_709_551_616.0;

#[test]
fn i32_trunc_f32_s_boundaries() {
    let op = || O::I32TruncF32S;
    assert_eq!(from_f32(op(), -TWO_31 as f32), Ok(I32(i32::MIN)));
    assert_eq!(from_f32(op(), f32_below(-TWO_31 as f32)), Err(Overflow));
    assert_eq!(
        from_f32(op(), f32_below(TWO_31 as f32)),
        Ok(I32(2_147_483_520))
    );
    assert_eq!(from_f32(op(), TWO_31 as f32), Err(Overflow));
    assert_eq!(from_f32(op(), -0.999), Ok(I32(0)));
    assert_eq!(from_f32(op(), -0.0), Ok(I32(0)));
    assert_eq!(from_f32(op(), 0.0), Ok(I32(0)));
    assert_eq!(from_f32(op(), -1.9), Ok(I32(-1)));
    assert_eq!(from_f32(op(), 1.9), Ok(I32(1)));
    assert_eq!(from_f32(op(), f32::INFINITY), Err(Overflow));
    assert_eq!(from_f32(op(), f32::NEG_INFINITY), Err(Overflow));
    assert_eq!(from_f32(op(), f32::NAN), Err(Nan));
    assert_eq!(run(op(), &[F32(0xffa0_0001)]), Err(Nan));
}

#[test]
fn i32_trunc_f32_u_boundaries() {
    let op = || O::I32TruncF32U;
    assert_eq!(from_f32(op(), -0.999), Ok(I32(0)));
    assert_eq!(from_f32(op(), -0.0), Ok(I32(0)));
    assert_eq!(from_f32(op(), -1.0), Err(Overflow));
    assert_eq!(from_f32(op(), f32_below(-1.0)), Err(Overflow));
    assert_eq!(from_f32(op(), f32_below(TWO_32 as f32)), Ok(I32(-256)));
    assert_eq!(from_f32(op(), TWO_32 as f32), Err(Overflow));
    assert_eq!(from_f32(op(), TWO_31 as f32), Ok(I32(i32::MIN)));
    assert_eq!(from_f32(op(), f32::INFINITY), Err(Overflow));
    assert_eq!(from_f32(op(), f32::NEG_INFINITY), Err(Overflow));
    assert_eq!(from_f32(op(), f32::NAN), Err(Nan));
}

#[test]
fn i32_trunc_f64_s_boundaries() {
    let op = || O::I32TruncF64S;
    assert_eq!(from_f64(op(), -TWO_31), Ok(I32(i32::MIN)));
    assert_eq!(from_f64(op(), -2_147_483_648.9), Ok(I32(i32::MIN)));
    assert_eq!(
        from_f64(op(), f64_below(-2_147_483_648.0 - 0.5)),
        Ok(I32(i32::MIN))
    );
    assert_eq!(from_f64(op(), -2_147_483_649.0), Err(Overflow));
    assert_eq!(from_f64(op(), 2_147_483_647.9), Ok(I32(i32::MAX)));
    assert_eq!(from_f64(op(), f64_below(TWO_31)), Ok(I32(i32::MAX)));
    assert_eq!(from_f64(op(), TWO_31), Err(Overflow));
    assert_eq!(from_f64(op(), -0.999_999), Ok(I32(0)));
    assert_eq!(from_f64(op(), -0.0), Ok(I32(0)));
    assert_eq!(from_f64(op(), f64::INFINITY), Err(Overflow));
    assert_eq!(from_f64(op(), f64::NEG_INFINITY), Err(Overflow));
    assert_eq!(from_f64(op(), f64::NAN), Err(Nan));
}

#[test]
fn i32_trunc_f64_u_boundaries() {
    let op = || O::I32TruncF64U;
    assert_eq!(from_f64(op(), 4_294_967_295.9), Ok(I32(-1)));
    assert_eq!(from_f64(op(), TWO_32), Err(Overflow));
    assert_eq!(from_f64(op(), -0.999_999), Ok(I32(0)));
    assert_eq!(from_f64(op(), -0.0), Ok(I32(0)));
    assert_eq!(from_f64(op(), -1.0), Err(Overflow));
    assert_eq!(from_f64(op(), 1e16), Err(Overflow));
    assert_eq!(from_f64(op(), f64::INFINITY), Err(Overflow));
    assert_eq!(from_f64(op(), f64::NAN), Err(Nan));
}

#[test]
fn i64_trunc_f32_boundaries() {
    let s = || O::I64TruncF32S;
    assert_eq!(from_f32(s(), -TWO_63 as f32), Ok(I64(i64::MIN)));
    assert_eq!(from_f32(s(), f32_below(-TWO_63 as f32)), Err(Overflow));
    assert_eq!(
        from_f32(s(), f32_below(TWO_63 as f32)),
        Ok(I64(9_223_371_487_098_961_920))
    );
    assert_eq!(from_f32(s(), TWO_63 as f32), Err(Overflow));
    assert_eq!(from_f32(s(), -0.999), Ok(I64(0)));
    assert_eq!(from_f32(s(), f32::NEG_INFINITY), Err(Overflow));
    assert_eq!(from_f32(s(), f32::NAN), Err(Nan));

    let u = || O::I64TruncF32U;
    assert_eq!(
        from_f32(u(), f32_below(TWO_64 as f32)),
        Ok(I64(18_446_742_974_197_923_840u64 as i64))
    );
    assert_eq!(from_f32(u(), TWO_64 as f32), Err(Overflow));
    assert_eq!(from_f32(u(), TWO_63 as f32), Ok(I64(i64::MIN)));
    assert_eq!(from_f32(u(), -0.999), Ok(I64(0)));
    assert_eq!(from_f32(u(), -1.0), Err(Overflow));
    assert_eq!(from_f32(u(), f32::INFINITY), Err(Overflow));
    assert_eq!(from_f32(u(), f32::NAN), Err(Nan));
}

#[test]
fn i64_trunc_f64_boundaries() {
    let s = || O::I64TruncF64S;
    assert_eq!(from_f64(s(), -TWO_63), Ok(I64(i64::MIN)));
    assert_eq!(from_f64(s(), f64_below(-TWO_63)), Err(Overflow));
    assert_eq!(
        from_f64(s(), f64_below(TWO_63)),
        Ok(I64(9_223_372_036_854_774_784))
    );
    assert_eq!(from_f64(s(), TWO_63), Err(Overflow));
    assert_eq!(from_f64(s(), -0.999_999), Ok(I64(0)));
    assert_eq!(from_f64(s(), -1.5), Ok(I64(-1)));
    assert_eq!(from_f64(s(), f64::INFINITY), Err(Overflow));
    assert_eq!(from_f64(s(), f64::NAN), Err(Nan));

    let u = || O::I64TruncF64U;
    assert_eq!(
        from_f64(u(), f64_below(TWO_64)),
        Ok(I64(18_446_744_073_709_549_568u64 as i64))
    );
    assert_eq!(from_f64(u(), TWO_64), Err(Overflow));
    assert_eq!(from_f64(u(), TWO_63), Ok(I64(i64::MIN)));
    assert_eq!(from_f64(u(), -0.999_999), Ok(I64(0)));
    assert_eq!(from_f64(u(), -0.0), Ok(I64(0)));
    assert_eq!(from_f64(u(), -1.0), Err(Overflow));
    assert_eq!(from_f64(u(), f64::NEG_INFINITY), Err(Overflow));
    assert_eq!(from_f64(u(), f64::NAN), Err(Nan));
}

/// What a saturating truncation should give, computed in Rust.
type SatReference32 = fn(f32) -> Val;
type SatReference64 = fn(f64) -> Val;

#[test]
fn trunc_sat_saturates_and_maps_nan_to_zero() {
    let cases32: [(O<'static>, SatReference32); 4] = [
        (O::I32TruncSatF32S, |x| I32(x as i32)),
        (O::I32TruncSatF32U, |x| I32(x as u32 as i32)),
        (O::I64TruncSatF32S, |x| I64(x as i64)),
        (O::I64TruncSatF32U, |x| I64(x as u64 as i64)),
    ];
    // Rust's `as` from float to int is exactly wasm's saturating truncation.
    let inputs32 = [
        f32::NAN,
        -f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        0.0,
        -0.0,
        -0.999,
        -1.0,
        1.5,
        -1.5,
        TWO_31 as f32,
        f32_below(TWO_31 as f32),
        -TWO_31 as f32,
        f32_below(-TWO_31 as f32),
        TWO_32 as f32,
        f32_below(TWO_32 as f32),
        TWO_63 as f32,
        -TWO_63 as f32,
        f32_below(-TWO_63 as f32),
        TWO_64 as f32,
        f32_below(TWO_64 as f32),
        f32::MAX,
        f32::MIN,
    ];
    for (op, reference) in cases32 {
        for x in inputs32 {
            assert_eq!(from_f32(op.clone(), x), Ok(reference(x)), "{op:?}({x})");
        }
    }

    let cases64: [(O<'static>, SatReference64); 4] = [
        (O::I32TruncSatF64S, |x| I32(x as i32)),
        (O::I32TruncSatF64U, |x| I32(x as u32 as i32)),
        (O::I64TruncSatF64S, |x| I64(x as i64)),
        (O::I64TruncSatF64U, |x| I64(x as u64 as i64)),
    ];
    let inputs64 = [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        -0.0,
        -0.999_999,
        -1.0,
        2_147_483_647.9,
        -2_147_483_648.9,
        -2_147_483_649.0,
        TWO_31,
        TWO_32,
        4_294_967_295.9,
        TWO_63,
        f64_below(TWO_63),
        -TWO_63,
        f64_below(-TWO_63),
        TWO_64,
        f64_below(TWO_64),
        f64::MAX,
        f64::MIN,
    ];
    for (op, reference) in cases64 {
        for x in inputs64 {
            assert_eq!(from_f64(op.clone(), x), Ok(reference(x)), "{op:?}({x})");
        }
    }
}

#[test]
fn trapping_truncation_agrees_with_rust_on_many_inputs() {
    // Rust's `as` saturates; wasm traps exactly where saturation or NaN
    // would change the value, so the two agree everywhere else.
    let ops: [(O<'static>, bool, u32, bool); 8] = [
        (O::I32TruncF32S, false, 32, true),
        (O::I32TruncF32U, false, 32, false),
        (O::I64TruncF32S, false, 64, true),
        (O::I64TruncF32U, false, 64, false),
        (O::I32TruncF64S, true, 32, true),
        (O::I32TruncF64U, true, 32, false),
        (O::I64TruncF64S, true, 64, true),
        (O::I64TruncF64U, true, 64, false),
    ];
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for (op, from_f64, bits, signed) in ops {
        let sample = if from_f64 {
            Val::f64(0.0)
        } else {
            Val::f32(0.0)
        };
        let compiled = compile_loaded(op.clone(), &[sample]);
        for i in 0..4000u64 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            // Values near the interesting powers of two, in both signs.
            let exp = [0, 31, 32, 63, 64][(i % 5) as usize];
            let scale = 2f64.powi(exp);
            let jitter = (seed as i64 as f64) / 2f64.powi(63) * 4.0;
            let raw = if seed & 1 == 0 {
                scale + jitter
            } else {
                -scale + jitter
            };
            let x = if from_f64 { raw } else { f64::from(raw as f32) };
            let arg = if from_f64 {
                Val::f64(x)
            } else {
                Val::f32(x as f32)
            };
            let truncated = x.trunc();
            let (lo, hi) = if signed {
                (-(2f64.powi(bits as i32 - 1)), 2f64.powi(bits as i32 - 1))
            } else {
                (0.0, 2f64.powi(bits as i32))
            };
            let want = if truncated < lo || truncated >= hi {
                Err(Overflow)
            } else {
                Ok(match (bits, signed) {
                    (32, true) => I32(x as i32),
                    (32, false) => I32(x as u32 as i32),
                    (64, true) => I64(x as i64),
                    _ => I64(x as u64 as i64),
                })
            };
            assert_eq!(compiled.call(&[arg]), want, "{op:?}({x})");
        }
    }
}

#[test]
fn int_to_float_rounds_to_nearest_even() {
    // Spec testsuite values that catch double rounding.
    assert_eq!(
        run(O::F32ConvertI32S, &[I32(16_777_217)]),
        Ok(Val::f32(16_777_216.0))
    );
    assert_eq!(
        run(O::F32ConvertI32S, &[I32(16_777_219)]),
        Ok(Val::f32(16_777_220.0))
    );
    assert_eq!(
        run(O::F32ConvertI32U, &[I32(-1)]),
        Ok(Val::f32(4_294_967_296.0))
    );
    assert_eq!(
        run(O::F32ConvertI32U, &[I32(i32::MIN)]),
        Ok(Val::f32(2_147_483_648.0))
    );
    assert_eq!(
        run(O::F32ConvertI64S, &[I64(9_007_199_791_611_905)]),
        Ok(Val::f32(9_007_200_328_482_816.0))
    );
    // 2^63 + 2^39 + 1 is just above half an f32 ulp past 2^63: rounds up.
    assert_eq!(
        run(O::F32ConvertI64U, &[I64(0x8000_0080_0000_0001u64 as i64)]),
        Ok(Val::f32(9_223_373_136_366_403_584.0))
    );
    // Exactly half: ties to the even 2^63.
    assert_eq!(
        run(O::F32ConvertI64U, &[I64(0x8000_0080_0000_0000u64 as i64)]),
        Ok(Val::f32(TWO_63 as f32))
    );
    assert_eq!(
        run(O::F32ConvertI64U, &[I64(-1)]),
        Ok(Val::f32(TWO_64 as f32))
    );
    assert_eq!(
        run(O::F64ConvertI64U, &[I64(0x8000_0000_0000_0401u64 as i64)]),
        Ok(Val::f64(9_223_372_036_854_777_856.0))
    );
    assert_eq!(
        run(O::F64ConvertI64U, &[I64(0x8000_0000_0000_0400u64 as i64)]),
        Ok(Val::f64(TWO_63))
    );
    assert_eq!(run(O::F64ConvertI64U, &[I64(-1)]), Ok(Val::f64(TWO_64)));
    assert_eq!(
        run(O::F64ConvertI64S, &[I64(i64::MIN)]),
        Ok(Val::f64(-TWO_63))
    );
    assert_eq!(run(O::F64ConvertI32S, &[I32(-1)]), Ok(Val::f64(-1.0)));
    assert_eq!(
        run(O::F64ConvertI32U, &[I32(-1)]),
        Ok(Val::f64(4_294_967_295.0))
    );

    // Rust's `as` from int to float is round-to-nearest-even: compare on
    // values with long mantissas around the rounding points.
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let f32_s = compile_loaded(O::F32ConvertI64S, &[I64(0)]);
    let f32_u = compile_loaded(O::F32ConvertI64U, &[I64(0)]);
    let f64_s = compile_loaded(O::F64ConvertI64S, &[I64(0)]);
    let f64_u = compile_loaded(O::F64ConvertI64U, &[I64(0)]);
    let f32_u32 = compile_loaded(O::F32ConvertI32U, &[I32(0)]);
    for i in 0..4000u32 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        // Keep a random number of high bits, so ties and near-ties show up.
        let x = seed >> (i % 48);
        let x = if i % 3 == 0 { x | 1 << 63 } else { x };
        assert_eq!(
            f32_s.call(&[I64(x as i64)]),
            Ok(Val::f32(x as i64 as f32)),
            "{x:#x}"
        );
        assert_eq!(
            f32_u.call(&[I64(x as i64)]),
            Ok(Val::f32(x as f32)),
            "{x:#x}"
        );
        assert_eq!(
            f64_s.call(&[I64(x as i64)]),
            Ok(Val::f64(x as i64 as f64)),
            "{x:#x}"
        );
        assert_eq!(
            f64_u.call(&[I64(x as i64)]),
            Ok(Val::f64(x as f64)),
            "{x:#x}"
        );
        let y = x as u32;
        assert_eq!(
            f32_u32.call(&[I32(y as i32)]),
            Ok(Val::f32(y as f32)),
            "{y:#x}"
        );
    }
}

#[test]
fn demote_and_promote_round_and_keep_nans_nan() {
    assert_eq!(
        run(O::F32DemoteF64, &[Val::f64(1e300)]),
        Ok(Val::f32(f32::INFINITY))
    );
    assert_eq!(
        run(O::F32DemoteF64, &[Val::f64(-1e-300)]),
        Ok(Val::f32(-0.0))
    );
    // 1 + 2^-24 is a tie between 1 and 1 + 2^-23: to even, 1.
    assert_eq!(
        run(O::F32DemoteF64, &[Val::f64(1.0 + 2f64.powi(-24))]),
        Ok(Val::f32(1.0))
    );
    assert_eq!(
        run(O::F32DemoteF64, &[Val::f64(1.0 + 3.0 * 2f64.powi(-24))]),
        Ok(Val::f32(1.0 + 2f32.powi(-22)))
    );
    assert_eq!(run(O::F64PromoteF32, &[Val::f32(-0.0)]), Ok(Val::f64(-0.0)));
    assert_eq!(
        run(O::F64PromoteF32, &[F32(1)]),
        Ok(Val::f64(f64::from(f32::from_bits(1))))
    );

    // The spec: a canonical NaN stays canonical (either sign); any NaN
    // becomes an arithmetic NaN.
    let demoted = run(O::F32DemoteF64, &[F64(0x7ff8_0000_0000_0000)]).expect("no trap");
    assert_eq!(demoted, F32(0x7fc0_0000));
    let promoted = run(O::F64PromoteF32, &[F32(0xffc0_0000)]).expect("no trap");
    assert_eq!(promoted, F64(0xfff8_0000_0000_0000));
    match run(O::F32DemoteF64, &[F64(0x7ff4_0000_0000_0001)]) {
        Ok(F32(bits)) => assert!(
            f32::from_bits(bits).is_nan() && bits & 0x0040_0000 != 0,
            "{bits:#x}"
        ),
        other => panic!("{other:?}"),
    }
    match run(O::F64PromoteF32, &[F32(0x7fa0_0001)]) {
        Ok(F64(bits)) => assert!(
            f64::from_bits(bits).is_nan() && bits & 1 << 51 != 0,
            "{bits:#x}"
        ),
        other => panic!("{other:?}"),
    }
    // Canonicalization makes both exact.
    assert_eq!(
        run_canonical(O::F32DemoteF64, &[F64(0xfff4_0000_0000_0001)]),
        Ok(F32(0x7fc0_0000))
    );
    assert_eq!(
        run_canonical(O::F64PromoteF32, &[F32(0xffa0_0001)]),
        Ok(F64(0x7ff8_0000_0000_0000))
    );
    assert_eq!(
        run_canonical(O::F64PromoteF32, &[Val::f32(1.5)]),
        Ok(Val::f64(1.5))
    );
}

#[test]
fn reinterpret_keeps_every_bit() {
    for bits in [0x7fa0_0001u32, 0xffc0_1234, 0x8000_0000, 1] {
        assert_eq!(
            run(O::I32ReinterpretF32, &[F32(bits)]),
            Ok(I32(bits as i32))
        );
        assert_eq!(
            run(O::F32ReinterpretI32, &[I32(bits as i32)]),
            Ok(F32(bits))
        );
        assert_eq!(
            run_canonical(O::F32ReinterpretI32, &[I32(bits as i32)]),
            Ok(F32(bits))
        );
    }
    for bits in [0x7ff4_0000_0000_0001u64, 0xfff8_0000_0001_2345, 1 << 63, 1] {
        assert_eq!(
            run(O::I64ReinterpretF64, &[F64(bits)]),
            Ok(I64(bits as i64))
        );
        assert_eq!(
            run(O::F64ReinterpretI64, &[I64(bits as i64)]),
            Ok(F64(bits))
        );
    }
}

#[test]
fn wrap_and_extend() {
    assert_eq!(run(O::I32WrapI64, &[I64(0x1_0000_0005)]), Ok(I32(5)));
    assert_eq!(run(O::I32WrapI64, &[I64(-1)]), Ok(I32(-1)));
    assert_eq!(
        run(O::I32WrapI64, &[I64(0xffff_ffff_8000_0000u64 as i64)]),
        Ok(I32(i32::MIN))
    );
    assert_eq!(run(O::I64ExtendI32S, &[I32(-1)]), Ok(I64(-1)));
    assert_eq!(
        run(O::I64ExtendI32S, &[I32(i32::MAX)]),
        Ok(I64(i64::from(i32::MAX)))
    );
    assert_eq!(run(O::I64ExtendI32U, &[I32(-1)]), Ok(I64(0xffff_ffff)));
    assert_eq!(
        run(O::I64ExtendI32U, &[I32(i32::MIN)]),
        Ok(I64(0x8000_0000))
    );
}
