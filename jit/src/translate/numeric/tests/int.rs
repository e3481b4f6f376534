//! Integer operators: spec edge cases, plus randomized comparison with Rust's
//! wrapping arithmetic.

use wasmparser::Operator as O;

use super::harness::{Val, compile_loaded, run};
use crate::trap::TrapCode;

use Val::{I32, I64};

fn i32_op(op: O<'static>, args: &[i32]) -> Result<i32, TrapCode> {
    let args: Vec<Val> = args.iter().map(|&x| I32(x)).collect();
    run(op, &args).map(|v| match v {
        I32(x) => x,
        other => panic!("expected an i32, got {other:?}"),
    })
}

fn i64_op(op: O<'static>, args: &[i64]) -> Result<i64, TrapCode> {
    let args: Vec<Val> = args.iter().map(|&x| I64(x)).collect();
    run(op, &args).map(|v| match v {
        I64(x) => x,
        other => panic!("expected an i64, got {other:?}"),
    })
}

/// An `i64` comparison or test, which yields an `i32`.
fn i64_test(op: O<'static>, args: &[i64]) -> i32 {
    let args: Vec<Val> = args.iter().map(|&x| I64(x)).collect();
    match run(op, &args) {
        Ok(I32(x)) => x,
        other => panic!("expected an i32, got {other:?}"),
    }
}

#[test]
fn constants_keep_all_bits() {
    assert_eq!(run(O::I32Const { value: -1 }, &[]), Ok(I32(-1)));
    assert_eq!(run(O::I32Const { value: i32::MIN }, &[]), Ok(I32(i32::MIN)));
    assert_eq!(run(O::I64Const { value: i64::MIN }, &[]), Ok(I64(i64::MIN)));
    assert_eq!(
        run(
            O::I64Const {
                value: 0x0123_4567_89ab_cdef
            },
            &[]
        ),
        Ok(I64(0x0123_4567_89ab_cdef))
    );
}

#[test]
fn arithmetic_wraps() {
    assert_eq!(i32_op(O::I32Add, &[i32::MAX, 1]), Ok(i32::MIN));
    assert_eq!(i32_op(O::I32Sub, &[i32::MIN, 1]), Ok(i32::MAX));
    assert_eq!(i32_op(O::I32Sub, &[3, 5]), Ok(-2));
    assert_eq!(i32_op(O::I32Mul, &[0x1_0000, 0x1_0000]), Ok(0));
    assert_eq!(
        i32_op(O::I32Mul, &[0x0123_4567, 0x7654_3210]),
        Ok(0x0123_4567i32.wrapping_mul(0x7654_3210))
    );
    assert_eq!(i64_op(O::I64Add, &[i64::MAX, 1]), Ok(i64::MIN));
    assert_eq!(i64_op(O::I64Mul, &[i64::MIN, -1]), Ok(i64::MIN));
    assert_eq!(i64_op(O::I64Sub, &[0, i64::MIN]), Ok(i64::MIN));
}

#[test]
fn div_s_traps_on_zero_and_overflow() {
    assert_eq!(i32_op(O::I32DivS, &[7, 2]), Ok(3));
    assert_eq!(i32_op(O::I32DivS, &[-7, 2]), Ok(-3));
    assert_eq!(i32_op(O::I32DivS, &[7, -2]), Ok(-3));
    assert_eq!(i32_op(O::I32DivS, &[i32::MIN, 1]), Ok(i32::MIN));
    assert_eq!(i32_op(O::I32DivS, &[i32::MIN, 2]), Ok(-0x4000_0000));
    assert_eq!(
        i32_op(O::I32DivS, &[i32::MIN, -1]),
        Err(TrapCode::IntegerOverflow)
    );
    assert_eq!(
        i32_op(O::I32DivS, &[1, 0]),
        Err(TrapCode::IntegerDivisionByZero)
    );
    assert_eq!(
        i32_op(O::I32DivS, &[0, 0]),
        Err(TrapCode::IntegerDivisionByZero)
    );
    assert_eq!(
        i32_op(O::I32DivS, &[i32::MIN, 0]),
        Err(TrapCode::IntegerDivisionByZero)
    );
    assert_eq!(i32_op(O::I32DivS, &[i32::MAX, -1]), Ok(-i32::MAX));
    assert_eq!(
        i64_op(O::I64DivS, &[i64::MIN, -1]),
        Err(TrapCode::IntegerOverflow)
    );
    assert_eq!(
        i64_op(O::I64DivS, &[i64::MIN, 0]),
        Err(TrapCode::IntegerDivisionByZero)
    );
    assert_eq!(i64_op(O::I64DivS, &[-7, 2]), Ok(-3));
    assert_eq!(i64_op(O::I64DivS, &[i64::MIN, 2]), Ok(i64::MIN / 2));
    // An i32 MIN inside an i64 is no overflow.
    assert_eq!(
        i64_op(O::I64DivS, &[i64::from(i32::MIN), -1]),
        Ok(0x8000_0000)
    );
}

#[test]
fn div_u_traps_on_zero() {
    assert_eq!(i32_op(O::I32DivU, &[i32::MIN, 2]), Ok(0x4000_0000));
    assert_eq!(i32_op(O::I32DivU, &[-1, -1]), Ok(1));
    assert_eq!(i32_op(O::I32DivU, &[i32::MIN, -1]), Ok(0));
    assert_eq!(i32_op(O::I32DivU, &[-5, 2]), Ok(0x7fff_fffd));
    assert_eq!(
        i32_op(O::I32DivU, &[1, 0]),
        Err(TrapCode::IntegerDivisionByZero)
    );
    assert_eq!(i64_op(O::I64DivU, &[-1, 2]), Ok(i64::MAX));
    assert_eq!(i64_op(O::I64DivU, &[i64::MIN, -1]), Ok(0));
    assert_eq!(
        i64_op(O::I64DivU, &[0, 0]),
        Err(TrapCode::IntegerDivisionByZero)
    );
}

#[test]
fn rem_s_takes_the_dividends_sign_and_min_rem_minus_one_is_zero() {
    assert_eq!(i32_op(O::I32RemS, &[-7, 2]), Ok(-1));
    assert_eq!(i32_op(O::I32RemS, &[7, -2]), Ok(1));
    assert_eq!(i32_op(O::I32RemS, &[-7, -2]), Ok(-1));
    assert_eq!(i32_op(O::I32RemS, &[i32::MIN, -1]), Ok(0));
    assert_eq!(i32_op(O::I32RemS, &[i32::MIN, 2]), Ok(0));
    assert_eq!(i32_op(O::I32RemS, &[i32::MIN, 3]), Ok(-2));
    assert_eq!(
        i32_op(O::I32RemS, &[5, 0]),
        Err(TrapCode::IntegerDivisionByZero)
    );
    assert_eq!(
        i32_op(O::I32RemS, &[i32::MIN, 0]),
        Err(TrapCode::IntegerDivisionByZero)
    );
    assert_eq!(i64_op(O::I64RemS, &[i64::MIN, -1]), Ok(0));
    assert_eq!(i64_op(O::I64RemS, &[-7, 2]), Ok(-1));
    assert_eq!(
        i64_op(O::I64RemS, &[i64::MIN, 0]),
        Err(TrapCode::IntegerDivisionByZero)
    );
}

#[test]
fn rem_u_traps_on_zero() {
    assert_eq!(i32_op(O::I32RemU, &[-1, 10]), Ok(5));
    assert_eq!(i32_op(O::I32RemU, &[i32::MIN, -1]), Ok(i32::MIN));
    assert_eq!(
        i32_op(O::I32RemU, &[3, 0]),
        Err(TrapCode::IntegerDivisionByZero)
    );
    assert_eq!(i64_op(O::I64RemU, &[-1, 10]), Ok(5));
    assert_eq!(
        i64_op(O::I64RemU, &[3, 0]),
        Err(TrapCode::IntegerDivisionByZero)
    );
}

#[test]
fn bit_counts_of_zero_are_the_width() {
    assert_eq!(i32_op(O::I32Clz, &[0]), Ok(32));
    assert_eq!(i32_op(O::I32Clz, &[1]), Ok(31));
    assert_eq!(i32_op(O::I32Clz, &[-1]), Ok(0));
    assert_eq!(i32_op(O::I32Ctz, &[0]), Ok(32));
    assert_eq!(i32_op(O::I32Ctz, &[i32::MIN]), Ok(31));
    assert_eq!(i32_op(O::I32Ctz, &[0x0001_0000]), Ok(16));
    assert_eq!(i32_op(O::I32Popcnt, &[0]), Ok(0));
    assert_eq!(i32_op(O::I32Popcnt, &[-1]), Ok(32));
    assert_eq!(i32_op(O::I32Popcnt, &[0x5555_5555]), Ok(16));
    assert_eq!(i64_op(O::I64Clz, &[0]), Ok(64));
    assert_eq!(i64_op(O::I64Clz, &[0x0000_0001_0000_0000]), Ok(31));
    assert_eq!(i64_op(O::I64Ctz, &[0]), Ok(64));
    assert_eq!(i64_op(O::I64Ctz, &[i64::MIN]), Ok(63));
    assert_eq!(i64_op(O::I64Popcnt, &[-1]), Ok(64));
    assert_eq!(i64_op(O::I64Popcnt, &[0x00ff_0000_0000_00ff]), Ok(16));
}

#[test]
fn shifts_and_rotates_mask_the_count() {
    assert_eq!(i32_op(O::I32Shl, &[1, 33]), Ok(2));
    assert_eq!(i32_op(O::I32Shl, &[1, 31]), Ok(i32::MIN));
    assert_eq!(i32_op(O::I32Shl, &[1, -1]), Ok(i32::MIN));
    assert_eq!(i32_op(O::I32ShrS, &[-8, 1]), Ok(-4));
    assert_eq!(i32_op(O::I32ShrS, &[i32::MIN, 32]), Ok(i32::MIN));
    assert_eq!(i32_op(O::I32ShrU, &[-8, 1]), Ok(0x7fff_fffc));
    assert_eq!(i32_op(O::I32ShrU, &[-1, 63]), Ok(1));
    assert_eq!(i32_op(O::I32Rotl, &[0x8000_0001u32 as i32, 1]), Ok(3));
    assert_eq!(i32_op(O::I32Rotl, &[0x8000_0001u32 as i32, 33]), Ok(3));
    assert_eq!(i32_op(O::I32Rotl, &[0x1234_5678, 4]), Ok(0x2345_6781));
    assert_eq!(i32_op(O::I32Rotr, &[1, 1]), Ok(i32::MIN));
    assert_eq!(i32_op(O::I32Rotr, &[1, 33]), Ok(i32::MIN));
    assert_eq!(i64_op(O::I64Shl, &[1, 65]), Ok(2));
    assert_eq!(i64_op(O::I64ShrS, &[i64::MIN, 63]), Ok(-1));
    assert_eq!(i64_op(O::I64ShrU, &[i64::MIN, 63]), Ok(1));
    assert_eq!(i64_op(O::I64ShrU, &[-1, 64]), Ok(-1));
    assert_eq!(i64_op(O::I64Rotl, &[i64::MIN | 1, 65]), Ok(3));
    assert_eq!(i64_op(O::I64Rotr, &[1, 65]), Ok(i64::MIN));
    assert_eq!(
        i64_op(O::I64Rotr, &[0x0123_4567_89ab_cdef, 4]),
        Ok(0xf012_3456_789a_bcdeu64 as i64)
    );
}

#[test]
fn bitwise_operators() {
    assert_eq!(i32_op(O::I32And, &[0x0ff0, 0x00ff]), Ok(0x00f0));
    assert_eq!(i32_op(O::I32Or, &[0x0ff0, 0x00ff]), Ok(0x0fff));
    assert_eq!(i32_op(O::I32Xor, &[0x0ff0, 0x00ff]), Ok(0x0f0f));
    assert_eq!(i64_op(O::I64And, &[-1, 0x1234]), Ok(0x1234));
    assert_eq!(i64_op(O::I64Or, &[i64::MIN, 1]), Ok(i64::MIN | 1));
    assert_eq!(i64_op(O::I64Xor, &[-1, i64::MAX]), Ok(i64::MIN));
}

#[test]
fn comparisons_yield_i32_zero_or_one() {
    assert_eq!(i32_op(O::I32Eqz, &[0]), Ok(1));
    assert_eq!(i32_op(O::I32Eqz, &[i32::MIN]), Ok(0));
    assert_eq!(i32_op(O::I32Eq, &[-1, -1]), Ok(1));
    assert_eq!(i32_op(O::I32Ne, &[-1, -1]), Ok(0));
    assert_eq!(i32_op(O::I32LtS, &[-1, 0]), Ok(1));
    assert_eq!(i32_op(O::I32LtU, &[-1, 0]), Ok(0));
    assert_eq!(i32_op(O::I32GtS, &[-1, 0]), Ok(0));
    assert_eq!(i32_op(O::I32GtU, &[-1, 0]), Ok(1));
    assert_eq!(i32_op(O::I32LeS, &[i32::MIN, i32::MIN]), Ok(1));
    assert_eq!(i32_op(O::I32LeU, &[i32::MIN, 1]), Ok(0));
    assert_eq!(i32_op(O::I32GeS, &[i32::MIN, 1]), Ok(0));
    assert_eq!(i32_op(O::I32GeU, &[i32::MIN, 1]), Ok(1));
    assert_eq!(i64_test(O::I64Eqz, &[0]), 1);
    // Only the high half set: an `i64` test must look at all 64 bits.
    assert_eq!(i64_test(O::I64Eqz, &[0x1_0000_0000]), 0);
    assert_eq!(i64_test(O::I64Eq, &[0x1_0000_0000, 0]), 0);
    assert_eq!(i64_test(O::I64Ne, &[0x1_0000_0000, 0]), 1);
    assert_eq!(i64_test(O::I64LtS, &[-1, 0]), 1);
    assert_eq!(i64_test(O::I64LtU, &[-1, 0]), 0);
    assert_eq!(i64_test(O::I64GtS, &[i64::MAX, i64::MIN]), 1);
    assert_eq!(i64_test(O::I64GtU, &[i64::MAX, i64::MIN]), 0);
    assert_eq!(i64_test(O::I64LeS, &[5, 5]), 1);
    assert_eq!(i64_test(O::I64LeU, &[-1, 5]), 0);
    assert_eq!(i64_test(O::I64GeS, &[-1, 5]), 0);
    assert_eq!(i64_test(O::I64GeU, &[-1, 5]), 1);
}

#[test]
fn sign_extension_from_the_low_bits() {
    assert_eq!(i32_op(O::I32Extend8S, &[0x80]), Ok(-128));
    assert_eq!(i32_op(O::I32Extend8S, &[0x7f]), Ok(127));
    assert_eq!(i32_op(O::I32Extend8S, &[0x1234_5680]), Ok(-128));
    assert_eq!(i32_op(O::I32Extend16S, &[0x8000]), Ok(-32768));
    assert_eq!(i32_op(O::I32Extend16S, &[0x7fff_7fff]), Ok(0x7fff));
    assert_eq!(i64_op(O::I64Extend8S, &[0x0123_4567_89ab_cdff]), Ok(-1));
    assert_eq!(i64_op(O::I64Extend16S, &[0x8000]), Ok(-32768));
    assert_eq!(i64_op(O::I64Extend32S, &[0x8000_0000]), Ok(-0x8000_0000));
    assert_eq!(i64_op(O::I64Extend32S, &[0x1_7fff_ffff]), Ok(0x7fff_ffff));
}

/// A small deterministic generator (xorshift64*), biased towards the values
/// where integer operators go wrong.
struct Inputs(u64);

impl Inputs {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let raw = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d);
        const EDGES: [u64; 8] = [
            0,
            1,
            u64::MAX,
            1 << 63,
            (1 << 63) - 1,
            1 << 31,
            (1 << 31) - 1,
            0xffff_ffff,
        ];
        match raw % 4 {
            0 => EDGES[(raw >> 8) as usize % EDGES.len()],
            1 => raw & 0xff,
            _ => raw,
        }
    }
}

type Reference32 = fn(i32, i32) -> Option<i32>;
type Reference64 = fn(i64, i64) -> Option<i64>;

#[test]
fn binary_operators_agree_with_rust_on_many_inputs() {
    let ops32: [(O<'static>, Reference32); 15] = [
        (O::I32Add, |x, y| Some(x.wrapping_add(y))),
        (O::I32Sub, |x, y| Some(x.wrapping_sub(y))),
        (O::I32Mul, |x, y| Some(x.wrapping_mul(y))),
        (O::I32DivS, |x, y| x.checked_div(y)),
        (O::I32DivU, |x, y| {
            (x as u32).checked_div(y as u32).map(|r| r as i32)
        }),
        (O::I32RemS, |x, y| {
            if y == 0 {
                None
            } else {
                Some(x.wrapping_rem(y))
            }
        }),
        (O::I32RemU, |x, y| {
            (x as u32).checked_rem(y as u32).map(|r| r as i32)
        }),
        (O::I32And, |x, y| Some(x & y)),
        (O::I32Or, |x, y| Some(x | y)),
        (O::I32Xor, |x, y| Some(x ^ y)),
        (O::I32Shl, |x, y| Some(x.wrapping_shl(y as u32))),
        (O::I32ShrS, |x, y| Some(x.wrapping_shr(y as u32))),
        (O::I32ShrU, |x, y| {
            Some((x as u32).wrapping_shr(y as u32) as i32)
        }),
        (O::I32Rotl, |x, y| Some(x.rotate_left(y as u32 % 32))),
        (O::I32Rotr, |x, y| Some(x.rotate_right(y as u32 % 32))),
    ];
    let mut inputs = Inputs(0x9e37_79b9_7f4a_7c15);
    for (op, reference) in ops32 {
        let compiled = compile_loaded(op.clone(), &[I32(0), I32(0)]);
        for _ in 0..2000 {
            let (x, y) = (inputs.next() as i32, inputs.next() as i32);
            let got = compiled.call(&[I32(x), I32(y)]);
            match reference(x, y) {
                Some(want) => assert_eq!(got, Ok(I32(want)), "{op:?}({x}, {y})"),
                None => assert!(got.is_err(), "{op:?}({x}, {y}) traps, got {got:?}"),
            }
        }
    }

    let ops64: [(O<'static>, Reference64); 15] = [
        (O::I64Add, |x, y| Some(x.wrapping_add(y))),
        (O::I64Sub, |x, y| Some(x.wrapping_sub(y))),
        (O::I64Mul, |x, y| Some(x.wrapping_mul(y))),
        (O::I64DivS, |x, y| x.checked_div(y)),
        (O::I64DivU, |x, y| {
            (x as u64).checked_div(y as u64).map(|r| r as i64)
        }),
        (O::I64RemS, |x, y| {
            if y == 0 {
                None
            } else {
                Some(x.wrapping_rem(y))
            }
        }),
        (O::I64RemU, |x, y| {
            (x as u64).checked_rem(y as u64).map(|r| r as i64)
        }),
        (O::I64And, |x, y| Some(x & y)),
        (O::I64Or, |x, y| Some(x | y)),
        (O::I64Xor, |x, y| Some(x ^ y)),
        (O::I64Shl, |x, y| Some(x.wrapping_shl(y as u32))),
        (O::I64ShrS, |x, y| Some(x.wrapping_shr(y as u32))),
        (O::I64ShrU, |x, y| {
            Some((x as u64).wrapping_shr(y as u32) as i64)
        }),
        (O::I64Rotl, |x, y| {
            Some(x.rotate_left((y as u64 % 64) as u32))
        }),
        (O::I64Rotr, |x, y| {
            Some(x.rotate_right((y as u64 % 64) as u32))
        }),
    ];
    for (op, reference) in ops64 {
        let compiled = compile_loaded(op.clone(), &[I64(0), I64(0)]);
        for _ in 0..2000 {
            let (x, y) = (inputs.next() as i64, inputs.next() as i64);
            let got = compiled.call(&[I64(x), I64(y)]);
            match reference(x, y) {
                Some(want) => assert_eq!(got, Ok(I64(want)), "{op:?}({x}, {y})"),
                None => assert!(got.is_err(), "{op:?}({x}, {y}) traps, got {got:?}"),
            }
        }
    }
}
