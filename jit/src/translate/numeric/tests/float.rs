//! Float operators: rounding, signed zeros, NaN propagation and the NaN
//! canonicalization policy.

use wasmparser::{Ieee32, Ieee64, Operator as O};

use super::harness::{Val, run, run_canonical};

use Val::{F32, F64, I32};

const CANONICAL_F32: u32 = 0x7fc0_0000;
const CANONICAL_F64: u64 = 0x7ff8_0000_0000_0000;
/// A quiet NaN with a payload and the sign bit set.
const PAYLOAD_F32: u32 = 0xffc0_1234;
const PAYLOAD_F64: u64 = 0xfff8_0000_0001_2345;
/// A signalling NaN (quiet bit clear, payload nonzero).
const SIGNALLING_F32: u32 = 0x7fa0_0001;
const SIGNALLING_F64: u64 = 0x7ff4_0000_0000_0001;

fn f32_op(op: O<'static>, args: &[f32]) -> u32 {
    let args: Vec<Val> = args.iter().map(|&x| Val::f32(x)).collect();
    match run(op, &args) {
        Ok(F32(bits)) => bits,
        other => panic!("expected an f32, got {other:?}"),
    }
}

fn f64_op(op: O<'static>, args: &[f64]) -> u64 {
    let args: Vec<Val> = args.iter().map(|&x| Val::f64(x)).collect();
    match run(op, &args) {
        Ok(F64(bits)) => bits,
        other => panic!("expected an f64, got {other:?}"),
    }
}

fn test_op(op: O<'static>, args: &[Val]) -> i32 {
    match run(op, args) {
        Ok(I32(x)) => x,
        other => panic!("expected an i32, got {other:?}"),
    }
}

/// wasm's "arithmetic NaN": a NaN with the quiet bit set.
fn is_arithmetic_nan_f32(bits: u32) -> bool {
    f32::from_bits(bits).is_nan() && bits & 0x0040_0000 != 0
}

fn is_arithmetic_nan_f64(bits: u64) -> bool {
    f64::from_bits(bits).is_nan() && bits & 0x0008_0000_0000_0000 != 0
}

#[test]
fn constants_keep_nan_payloads() {
    for bits in [SIGNALLING_F32, PAYLOAD_F32, 0x8000_0000, 1] {
        let op = O::F32Const {
            value: Ieee32::from(f32::from_bits(bits)),
        };
        assert_eq!(run(op, &[]), Ok(F32(bits)));
    }
    for bits in [SIGNALLING_F64, PAYLOAD_F64, 1 << 63, 1] {
        let op = O::F64Const {
            value: Ieee64::from(f64::from_bits(bits)),
        };
        assert_eq!(run(op, &[]), Ok(F64(bits)));
    }
}

#[test]
fn basic_arithmetic_is_ieee() {
    assert_eq!(f32_op(O::F32Add, &[1.5, 2.25]), 3.75f32.to_bits());
    assert_eq!(f32_op(O::F32Sub, &[1.0, 3.0]), (-2.0f32).to_bits());
    assert_eq!(f32_op(O::F32Mul, &[-0.0, 5.0]), (-0.0f32).to_bits());
    assert_eq!(f32_op(O::F32Div, &[1.0, 3.0]), (1.0f32 / 3.0).to_bits());
    assert_eq!(f32_op(O::F32Div, &[1.0, -0.0]), f32::NEG_INFINITY.to_bits());
    assert_eq!(f32_op(O::F32Sqrt, &[2.0]), 2.0f32.sqrt().to_bits());
    assert_eq!(f32_op(O::F32Sqrt, &[-0.0]), (-0.0f32).to_bits());
    assert!(is_arithmetic_nan_f32(f32_op(O::F32Sqrt, &[-1.0])));
    assert!(is_arithmetic_nan_f32(f32_op(
        O::F32Add,
        &[f32::INFINITY, f32::NEG_INFINITY]
    )));
    assert_eq!(f64_op(O::F64Add, &[0.1, 0.2]), (0.1f64 + 0.2).to_bits());
    assert_eq!(f64_op(O::F64Sub, &[-0.0, 0.0]), (-0.0f64).to_bits());
    assert_eq!(f64_op(O::F64Mul, &[1e300, 1e300]), f64::INFINITY.to_bits());
    assert_eq!(f64_op(O::F64Div, &[-1.0, 3.0]), (-1.0f64 / 3.0).to_bits());
    assert_eq!(f64_op(O::F64Sqrt, &[2.0]), 2.0f64.sqrt().to_bits());
    assert!(is_arithmetic_nan_f64(f64_op(O::F64Div, &[0.0, 0.0])));
}

#[test]
fn rounding_operators() {
    // nearest: ties to even, keeping the sign of zero.
    assert_eq!(f32_op(O::F32Nearest, &[2.5]), 2.0f32.to_bits());
    assert_eq!(f32_op(O::F32Nearest, &[3.5]), 4.0f32.to_bits());
    assert_eq!(f32_op(O::F32Nearest, &[-0.5]), (-0.0f32).to_bits());
    assert_eq!(f32_op(O::F32Nearest, &[0.5]), 0.0f32.to_bits());
    assert_eq!(f32_op(O::F32Nearest, &[-1.5]), (-2.0f32).to_bits());
    assert_eq!(f32_op(O::F32Nearest, &[8388609.0]), 8388609.0f32.to_bits());
    assert_eq!(f64_op(O::F64Nearest, &[2.5]), 2.0f64.to_bits());
    assert_eq!(f64_op(O::F64Nearest, &[-0.5]), (-0.0f64).to_bits());
    assert_eq!(f64_op(O::F64Nearest, &[-3.5]), (-4.0f64).to_bits());
    assert_eq!(
        f64_op(O::F64Nearest, &[4503599627370497.0]),
        4503599627370497.0f64.to_bits()
    );
    // ceil, floor, trunc, with their signed zeros.
    assert_eq!(f32_op(O::F32Ceil, &[-0.5]), (-0.0f32).to_bits());
    assert_eq!(f32_op(O::F32Ceil, &[1.1]), 2.0f32.to_bits());
    assert_eq!(f32_op(O::F32Floor, &[-0.5]), (-1.0f32).to_bits());
    assert_eq!(f32_op(O::F32Floor, &[-0.0]), (-0.0f32).to_bits());
    assert_eq!(f32_op(O::F32Trunc, &[-1.5]), (-1.0f32).to_bits());
    assert_eq!(f32_op(O::F32Trunc, &[-0.5]), (-0.0f32).to_bits());
    assert_eq!(f64_op(O::F64Ceil, &[-0.5]), (-0.0f64).to_bits());
    assert_eq!(f64_op(O::F64Floor, &[1.9]), 1.0f64.to_bits());
    assert_eq!(f64_op(O::F64Floor, &[-1.1]), (-2.0f64).to_bits());
    assert_eq!(f64_op(O::F64Trunc, &[-1.9]), (-1.0f64).to_bits());
    assert_eq!(
        f64_op(O::F64Trunc, &[f64::NEG_INFINITY]),
        f64::NEG_INFINITY.to_bits()
    );
    assert!(is_arithmetic_nan_f64(f64_op(
        O::F64Ceil,
        &[f64::from_bits(SIGNALLING_F64)]
    )));
    assert!(is_arithmetic_nan_f32(f32_op(
        O::F32Nearest,
        &[f32::from_bits(SIGNALLING_F32)]
    )));
}

#[test]
fn min_max_order_zeros_and_propagate_nan() {
    for (x, y) in [(0.0f32, -0.0f32), (-0.0, 0.0)] {
        assert_eq!(
            f32_op(O::F32Min, &[x, y]),
            (-0.0f32).to_bits(),
            "min({x}, {y})"
        );
        assert_eq!(
            f32_op(O::F32Max, &[x, y]),
            0.0f32.to_bits(),
            "max({x}, {y})"
        );
    }
    for (x, y) in [(0.0f64, -0.0f64), (-0.0, 0.0)] {
        assert_eq!(
            f64_op(O::F64Min, &[x, y]),
            (-0.0f64).to_bits(),
            "min({x}, {y})"
        );
        assert_eq!(
            f64_op(O::F64Max, &[x, y]),
            0.0f64.to_bits(),
            "max({x}, {y})"
        );
    }
    for op in [O::F32Min, O::F32Max] {
        for args in [
            [f32::NAN, 1.0],
            [1.0, f32::NAN],
            [f32::from_bits(SIGNALLING_F32), f32::INFINITY],
        ] {
            assert!(
                is_arithmetic_nan_f32(f32_op(op.clone(), &args)),
                "{op:?}{args:?}"
            );
        }
    }
    for op in [O::F64Min, O::F64Max] {
        for args in [
            [f64::NAN, 1.0],
            [1.0, f64::NAN],
            [f64::NEG_INFINITY, f64::from_bits(SIGNALLING_F64)],
        ] {
            assert!(
                is_arithmetic_nan_f64(f64_op(op.clone(), &args)),
                "{op:?}{args:?}"
            );
        }
    }
    assert_eq!(
        f32_op(O::F32Min, &[f32::NEG_INFINITY, -1.0]),
        f32::NEG_INFINITY.to_bits()
    );
    assert_eq!(f32_op(O::F32Max, &[-1.0, -2.0]), (-1.0f32).to_bits());
    assert_eq!(
        f64_op(O::F64Max, &[f64::INFINITY, 1.0]),
        f64::INFINITY.to_bits()
    );
    assert_eq!(f64_op(O::F64Min, &[3.0, 2.0]), 2.0f64.to_bits());
}

#[test]
fn abs_neg_copysign_only_touch_the_sign_bit() {
    let abs32 = run(O::F32Abs, &[F32(PAYLOAD_F32)]);
    assert_eq!(abs32, Ok(F32(PAYLOAD_F32 & 0x7fff_ffff)));
    assert_eq!(
        run(O::F32Neg, &[F32(SIGNALLING_F32)]),
        Ok(F32(SIGNALLING_F32 | 0x8000_0000))
    );
    assert_eq!(run(O::F32Neg, &[Val::f32(0.0)]), Ok(Val::f32(-0.0)));
    assert_eq!(
        run(O::F64Abs, &[F64(PAYLOAD_F64)]),
        Ok(F64(PAYLOAD_F64 & !(1 << 63)))
    );
    assert_eq!(
        run(O::F64Neg, &[F64(SIGNALLING_F64)]),
        Ok(F64(SIGNALLING_F64 | 1 << 63))
    );
    assert_eq!(f32_op(O::F32Copysign, &[1.0, -0.0]), (-1.0f32).to_bits());
    assert_eq!(f32_op(O::F32Copysign, &[-1.0, 0.0]), 1.0f32.to_bits());
    assert_eq!(
        run(O::F32Copysign, &[F32(SIGNALLING_F32), Val::f32(-1.0)]),
        Ok(F32(SIGNALLING_F32 | 0x8000_0000))
    );
    assert_eq!(
        run(O::F32Copysign, &[Val::f32(2.0), F32(PAYLOAD_F32)]),
        Ok(Val::f32(-2.0))
    );
    assert_eq!(
        f64_op(O::F64Copysign, &[f64::INFINITY, -0.0]),
        f64::NEG_INFINITY.to_bits()
    );
    assert_eq!(
        run(O::F64Copysign, &[F64(PAYLOAD_F64), Val::f64(1.0)]),
        Ok(F64(PAYLOAD_F64 & !(1 << 63)))
    );
}

#[test]
fn comparisons_are_false_on_nan_except_ne() {
    let nan32 = Val::f32(f32::NAN);
    let one32 = Val::f32(1.0);
    for (op, want) in [
        (O::F32Eq, 0),
        (O::F32Ne, 1),
        (O::F32Lt, 0),
        (O::F32Gt, 0),
        (O::F32Le, 0),
        (O::F32Ge, 0),
    ] {
        assert_eq!(test_op(op.clone(), &[nan32, one32]), want, "{op:?}(nan, 1)");
        assert_eq!(
            test_op(op.clone(), &[nan32, nan32]),
            want,
            "{op:?}(nan, nan)"
        );
    }
    let nan64 = F64(PAYLOAD_F64);
    let one64 = Val::f64(1.0);
    for (op, want) in [
        (O::F64Eq, 0),
        (O::F64Ne, 1),
        (O::F64Lt, 0),
        (O::F64Gt, 0),
        (O::F64Le, 0),
        (O::F64Ge, 0),
    ] {
        assert_eq!(test_op(op.clone(), &[one64, nan64]), want, "{op:?}(1, nan)");
    }
    // Zeros compare equal whatever their signs.
    assert_eq!(test_op(O::F32Eq, &[Val::f32(0.0), Val::f32(-0.0)]), 1);
    assert_eq!(test_op(O::F32Lt, &[Val::f32(-0.0), Val::f32(0.0)]), 0);
    assert_eq!(test_op(O::F64Ge, &[Val::f64(-0.0), Val::f64(0.0)]), 1);
    // Ordered results.
    assert_eq!(test_op(O::F32Lt, &[Val::f32(-1.0), one32]), 1);
    assert_eq!(test_op(O::F32Gt, &[Val::f32(-1.0), one32]), 0);
    assert_eq!(test_op(O::F32Le, &[one32, one32]), 1);
    assert_eq!(test_op(O::F32Ge, &[Val::f32(-1.0), one32]), 0);
    assert_eq!(test_op(O::F32Ne, &[one32, one32]), 0);
    assert_eq!(test_op(O::F64Lt, &[Val::f64(f64::NEG_INFINITY), one64]), 1);
    assert_eq!(test_op(O::F64Gt, &[Val::f64(2.0), one64]), 1);
    assert_eq!(test_op(O::F64Le, &[Val::f64(2.0), one64]), 0);
    assert_eq!(test_op(O::F64Eq, &[one64, one64]), 1);
    assert_eq!(test_op(O::F64Ne, &[Val::f64(2.0), one64]), 1);
}

#[test]
fn canonicalization_replaces_nan_results_of_arithmetic() {
    let nan32 = F32(PAYLOAD_F32);
    let nan64 = F64(PAYLOAD_F64);
    let unary32 = [
        O::F32Sqrt,
        O::F32Ceil,
        O::F32Floor,
        O::F32Trunc,
        O::F32Nearest,
    ];
    for op in unary32 {
        assert_eq!(
            run_canonical(op.clone(), &[nan32]),
            Ok(F32(CANONICAL_F32)),
            "{op:?}"
        );
        assert_eq!(
            run_canonical(op.clone(), &[Val::f32(2.5)]),
            run(op.clone(), &[Val::f32(2.5)]),
            "{op:?}"
        );
    }
    let unary64 = [
        O::F64Sqrt,
        O::F64Ceil,
        O::F64Floor,
        O::F64Trunc,
        O::F64Nearest,
    ];
    for op in unary64 {
        assert_eq!(
            run_canonical(op.clone(), &[nan64]),
            Ok(F64(CANONICAL_F64)),
            "{op:?}"
        );
        assert_eq!(
            run_canonical(op.clone(), &[Val::f64(2.5)]),
            run(op.clone(), &[Val::f64(2.5)]),
            "{op:?}"
        );
    }
    let binary32 = [
        O::F32Add,
        O::F32Sub,
        O::F32Mul,
        O::F32Div,
        O::F32Min,
        O::F32Max,
    ];
    for op in binary32 {
        assert_eq!(
            run_canonical(op.clone(), &[Val::f32(1.0), nan32]),
            Ok(F32(CANONICAL_F32)),
            "{op:?}"
        );
        assert_eq!(
            run_canonical(op.clone(), &[F32(SIGNALLING_F32), Val::f32(1.0)]),
            Ok(F32(CANONICAL_F32)),
            "{op:?}"
        );
        let numbers = [Val::f32(3.0), Val::f32(-0.5)];
        assert_eq!(
            run_canonical(op.clone(), &numbers),
            run(op.clone(), &numbers),
            "{op:?}"
        );
    }
    let binary64 = [
        O::F64Add,
        O::F64Sub,
        O::F64Mul,
        O::F64Div,
        O::F64Min,
        O::F64Max,
    ];
    for op in binary64 {
        assert_eq!(
            run_canonical(op.clone(), &[nan64, Val::f64(1.0)]),
            Ok(F64(CANONICAL_F64)),
            "{op:?}"
        );
        let numbers = [Val::f64(3.0), Val::f64(-0.5)];
        assert_eq!(
            run_canonical(op.clone(), &numbers),
            run(op.clone(), &numbers),
            "{op:?}"
        );
    }
    // A NaN made from numbers: x64 produces the negative "default NaN" here,
    // which canonicalization must turn positive.
    assert_eq!(
        run_canonical(O::F32Div, &[Val::f32(0.0), Val::f32(0.0)]),
        Ok(F32(CANONICAL_F32))
    );
    assert_eq!(
        run_canonical(
            O::F64Sub,
            &[Val::f64(f64::INFINITY), Val::f64(f64::INFINITY)]
        ),
        Ok(F64(CANONICAL_F64))
    );
}

#[test]
fn canonicalization_leaves_bitwise_operators_alone() {
    assert_eq!(
        run_canonical(O::F32Neg, &[F32(SIGNALLING_F32)]),
        Ok(F32(SIGNALLING_F32 | 0x8000_0000))
    );
    assert_eq!(
        run_canonical(O::F32Abs, &[F32(PAYLOAD_F32)]),
        Ok(F32(PAYLOAD_F32 & 0x7fff_ffff))
    );
    assert_eq!(
        run_canonical(O::F64Copysign, &[F64(SIGNALLING_F64), Val::f64(-1.0)]),
        Ok(F64(SIGNALLING_F64 | 1 << 63))
    );
}

#[test]
fn without_canonicalization_hardware_nans_pass_through() {
    // The counterpart of the canonicalization test: the same NaN-producing
    // operation keeps the hardware's bits when the policy is off. On x64
    // that is the negative default NaN, so the canonicalization test above
    // cannot pass by accident.
    let raw = run(O::F32Div, &[Val::f32(0.0), Val::f32(0.0)]).expect("no trap");
    assert!(raw.is_nan());
    if cfg!(target_arch = "x86_64") {
        assert_eq!(raw, F32(0xffc0_0000));
    }
}
