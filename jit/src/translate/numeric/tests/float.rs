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

/// Deterministic float inputs (xorshift64), biased towards the values where
/// float operators go wrong: zeros, infinities, NaNs, subnormals, halves and
/// integers near the rounding limits.
struct FloatInputs(u64);

impl FloatInputs {
    fn next_raw(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn f32(&mut self) -> f32 {
        let raw = self.next_raw();
        let special = [
            0.0,
            -0.0,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            f32::from_bits(SIGNALLING_F32),
            f32::MIN_POSITIVE,
            f32::from_bits(1),
            0.5,
            -2.5,
            8_388_608.5,
            16_777_217.0,
            f32::MAX,
        ];
        match raw % 4 {
            0 => special[(raw >> 8) as usize % special.len()],
            // A small number with a fractional part of a few bits.
            1 => ((raw >> 8) as i16 as f32) / 4.0,
            _ => f32::from_bits((raw >> 16) as u32),
        }
    }

    fn f64(&mut self) -> f64 {
        let raw = self.next_raw();
        let special = [
            0.0,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::from_bits(SIGNALLING_F64),
            f64::MIN_POSITIVE,
            f64::from_bits(1),
            0.5,
            -2.5,
            4_503_599_627_370_495.5,
            f64::MAX,
        ];
        match raw % 4 {
            0 => special[(raw >> 8) as usize % special.len()],
            1 => ((raw >> 8) as i32 as f64) / 8.0,
            _ => f64::from_bits(self.next_raw()),
        }
    }
}

/// wasm's `min`: NaN if either is NaN, and `-0 < +0`.
fn wasm_min<F: Copy + PartialOrd>(
    x: F,
    y: F,
    is_nan: fn(F) -> bool,
    is_neg: fn(F) -> bool,
) -> Option<F> {
    if is_nan(x) || is_nan(y) {
        None
    } else if x < y || (x == y && is_neg(x)) {
        Some(x)
    } else {
        Some(y)
    }
}

/// wasm's `max`: NaN if either is NaN, and `+0 > -0`.
fn wasm_max<F: Copy + PartialOrd>(
    x: F,
    y: F,
    is_nan: fn(F) -> bool,
    is_neg: fn(F) -> bool,
) -> Option<F> {
    if is_nan(x) || is_nan(y) {
        None
    } else if x > y || (x == y && !is_neg(x)) {
        Some(x)
    } else {
        Some(y)
    }
}

type Unary32 = fn(f32) -> f32;
type Binary32 = fn(f32, f32) -> f32;
type Unary64 = fn(f64) -> f64;
type Binary64 = fn(f64, f64) -> f64;
type Compare32 = fn(f32, f32) -> bool;
type Compare64 = fn(f64, f64) -> bool;

/// Checks a float result against Rust's: identical bits, or, when Rust's is
/// a NaN from arithmetic, any arithmetic NaN.
fn check_f32(
    op: &O,
    args: &[f32],
    got: Result<Val, crate::trap::TrapCode>,
    want: f32,
    bitwise: bool,
) {
    let Ok(F32(got)) = got else {
        panic!("{op:?}{args:?} gave {got:?}");
    };
    if want.is_nan() && !bitwise {
        assert!(
            is_arithmetic_nan_f32(got),
            "{op:?}{args:?} gave {got:#x}, want a NaN"
        );
    } else {
        assert_eq!(got, want.to_bits(), "{op:?}{args:?}");
    }
}

fn check_f64(
    op: &O,
    args: &[f64],
    got: Result<Val, crate::trap::TrapCode>,
    want: f64,
    bitwise: bool,
) {
    let Ok(F64(got)) = got else {
        panic!("{op:?}{args:?} gave {got:?}");
    };
    if want.is_nan() && !bitwise {
        assert!(
            is_arithmetic_nan_f64(got),
            "{op:?}{args:?} gave {got:#x}, want a NaN"
        );
    } else {
        assert_eq!(got, want.to_bits(), "{op:?}{args:?}");
    }
}

#[test]
fn float_operators_agree_with_rust_on_many_inputs() {
    use super::harness::compile_loaded;
    const ROUNDS: usize = 3000;
    let mut inputs = FloatInputs(0x0123_4567_89ab_cdef);

    let unary32: [(O<'static>, Unary32, bool); 7] = [
        (O::F32Abs, f32::abs, true),
        (O::F32Neg, |x| -x, true),
        (O::F32Ceil, f32::ceil, false),
        (O::F32Floor, f32::floor, false),
        (O::F32Trunc, f32::trunc, false),
        (O::F32Nearest, f32::round_ties_even, false),
        (O::F32Sqrt, f32::sqrt, false),
    ];
    for (op, reference, bitwise) in unary32 {
        let compiled = compile_loaded(op.clone(), &[F32(0)]);
        for _ in 0..ROUNDS {
            let x = inputs.f32();
            check_f32(
                &op,
                &[x],
                compiled.call(&[Val::f32(x)]),
                reference(x),
                bitwise,
            );
        }
    }
    let binary32: [(O<'static>, Binary32, bool); 7] = [
        (O::F32Add, |x, y| x + y, false),
        (O::F32Sub, |x, y| x - y, false),
        (O::F32Mul, |x, y| x * y, false),
        (O::F32Div, |x, y| x / y, false),
        (
            O::F32Min,
            |x, y| wasm_min(x, y, f32::is_nan, f32::is_sign_negative).unwrap_or(f32::NAN),
            false,
        ),
        (
            O::F32Max,
            |x, y| wasm_max(x, y, f32::is_nan, f32::is_sign_negative).unwrap_or(f32::NAN),
            false,
        ),
        (O::F32Copysign, f32::copysign, true),
    ];
    for (op, reference, bitwise) in binary32 {
        let compiled = compile_loaded(op.clone(), &[F32(0), F32(0)]);
        for _ in 0..ROUNDS {
            let (x, y) = (inputs.f32(), inputs.f32());
            let got = compiled.call(&[Val::f32(x), Val::f32(y)]);
            check_f32(&op, &[x, y], got, reference(x, y), bitwise);
        }
    }

    let unary64: [(O<'static>, Unary64, bool); 7] = [
        (O::F64Abs, f64::abs, true),
        (O::F64Neg, |x| -x, true),
        (O::F64Ceil, f64::ceil, false),
        (O::F64Floor, f64::floor, false),
        (O::F64Trunc, f64::trunc, false),
        (O::F64Nearest, f64::round_ties_even, false),
        (O::F64Sqrt, f64::sqrt, false),
    ];
    for (op, reference, bitwise) in unary64 {
        let compiled = compile_loaded(op.clone(), &[F64(0)]);
        for _ in 0..ROUNDS {
            let x = inputs.f64();
            check_f64(
                &op,
                &[x],
                compiled.call(&[Val::f64(x)]),
                reference(x),
                bitwise,
            );
        }
    }
    let binary64: [(O<'static>, Binary64, bool); 7] = [
        (O::F64Add, |x, y| x + y, false),
        (O::F64Sub, |x, y| x - y, false),
        (O::F64Mul, |x, y| x * y, false),
        (O::F64Div, |x, y| x / y, false),
        (
            O::F64Min,
            |x, y| wasm_min(x, y, f64::is_nan, f64::is_sign_negative).unwrap_or(f64::NAN),
            false,
        ),
        (
            O::F64Max,
            |x, y| wasm_max(x, y, f64::is_nan, f64::is_sign_negative).unwrap_or(f64::NAN),
            false,
        ),
        (O::F64Copysign, f64::copysign, true),
    ];
    for (op, reference, bitwise) in binary64 {
        let compiled = compile_loaded(op.clone(), &[F64(0), F64(0)]);
        for _ in 0..ROUNDS {
            let (x, y) = (inputs.f64(), inputs.f64());
            let got = compiled.call(&[Val::f64(x), Val::f64(y)]);
            check_f64(&op, &[x, y], got, reference(x, y), bitwise);
        }
    }

    // Comparisons: Rust's operators have wasm's NaN rules.
    let compares32: [(O<'static>, Compare32); 6] = [
        (O::F32Eq, |x, y| x == y),
        (O::F32Ne, |x, y| x != y),
        (O::F32Lt, |x, y| x < y),
        (O::F32Gt, |x, y| x > y),
        (O::F32Le, |x, y| x <= y),
        (O::F32Ge, |x, y| x >= y),
    ];
    for (op, reference) in compares32 {
        let compiled = compile_loaded(op.clone(), &[F32(0), F32(0)]);
        for _ in 0..ROUNDS {
            let (x, y) = (
                inputs.f32(),
                if inputs.next_raw().is_multiple_of(4) {
                    0.0
                } else {
                    inputs.f32()
                },
            );
            let got = compiled.call(&[Val::f32(x), Val::f32(y)]);
            assert_eq!(got, Ok(I32(i32::from(reference(x, y)))), "{op:?}({x}, {y})");
        }
    }
    let compares64: [(O<'static>, Compare64); 6] = [
        (O::F64Eq, |x, y| x == y),
        (O::F64Ne, |x, y| x != y),
        (O::F64Lt, |x, y| x < y),
        (O::F64Gt, |x, y| x > y),
        (O::F64Le, |x, y| x <= y),
        (O::F64Ge, |x, y| x >= y),
    ];
    for (op, reference) in compares64 {
        let compiled = compile_loaded(op.clone(), &[F64(0), F64(0)]);
        for _ in 0..ROUNDS {
            let (x, y) = (inputs.f64(), inputs.f64());
            let got = compiled.call(&[Val::f64(x), Val::f64(y)]);
            assert_eq!(got, Ok(I32(i32::from(reference(x, y)))), "{op:?}({x}, {y})");
        }
    }
}
