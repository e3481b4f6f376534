//! Numeric instructions: the edge cases where a naive implementation goes
//! wrong (traps, signed zeros, NaN bits, rounding).

use weft_verify::interp::{Instance, Module, Trap, Value};

fn run(body: &str, params: &str, result: &str, args: &[Value]) -> Result<Vec<Value>, Trap> {
    let text = format!(r#"(module (func (export "f") {params} (result {result}) {body}))"#);
    let wasm = wat::parse_str(&text).expect("test module is valid text");
    let module = Module::new(&wasm).expect("test module validates");
    Instance::new(&module, &[])
        .expect("instantiates")
        .invoke("f", args)
}

fn i32_binop(op: &str, a: i32, b: i32) -> Result<Vec<Value>, Trap> {
    run(
        &format!("({op} (local.get 0) (local.get 1))"),
        "(param i32 i32)",
        "i32",
        &[Value::I32(a), Value::I32(b)],
    )
}

#[test]
fn integer_division_traps_and_wraps() {
    assert_eq!(
        i32_binop("i32.div_s", 1, 0),
        Err(Trap::IntegerDivisionByZero)
    );
    assert_eq!(
        i32_binop("i32.div_u", 1, 0),
        Err(Trap::IntegerDivisionByZero)
    );
    assert_eq!(
        i32_binop("i32.rem_s", 1, 0),
        Err(Trap::IntegerDivisionByZero)
    );
    assert_eq!(
        i32_binop("i32.div_s", i32::MIN, -1),
        Err(Trap::IntegerOverflow)
    );
    assert_eq!(
        i32_binop("i32.rem_s", i32::MIN, -1),
        Ok(vec![Value::I32(0)])
    );
    assert_eq!(
        i32_binop("i32.div_u", -1, 2),
        Ok(vec![Value::I32(0x7fff_ffff)])
    );
    assert_eq!(i32_binop("i32.rem_s", -7, 2), Ok(vec![Value::I32(-1)]));
}

#[test]
fn shifts_and_rotates_take_counts_modulo_width() {
    assert_eq!(i32_binop("i32.shl", 1, 33), Ok(vec![Value::I32(2)]));
    assert_eq!(i32_binop("i32.shr_s", -8, 33), Ok(vec![Value::I32(-4)]));
    assert_eq!(
        i32_binop("i32.shr_u", -8, 33),
        Ok(vec![Value::I32(0x7fff_fffc)])
    );
    assert_eq!(
        i32_binop("i32.rotl", 0x8000_0001u32 as i32, 33),
        Ok(vec![Value::I32(3)])
    );
    assert_eq!(i32_binop("i32.rotr", 3, -1), Ok(vec![Value::I32(6)]));
}

#[test]
fn trapping_truncation_checks_nan_then_range() {
    let f = |op: &str, x: f64| {
        run(
            &format!("({op} (local.get 0))"),
            "(param f64)",
            "i32",
            &[Value::F64(x.to_bits())],
        )
    };
    assert_eq!(
        f("i32.trunc_f64_s", f64::NAN),
        Err(Trap::BadConversionToInteger)
    );
    assert_eq!(
        f("i32.trunc_f64_s", 2147483648.0),
        Err(Trap::IntegerOverflow)
    );
    assert_eq!(
        f("i32.trunc_f64_s", -2147483648.9),
        Ok(vec![Value::I32(i32::MIN)])
    );
    assert_eq!(
        f("i32.trunc_f64_s", -2147483649.0),
        Err(Trap::IntegerOverflow)
    );
    assert_eq!(f("i32.trunc_f64_u", -0.9), Ok(vec![Value::I32(0)]));
    assert_eq!(f("i32.trunc_f64_u", -1.0), Err(Trap::IntegerOverflow));
    assert_eq!(f("i32.trunc_f64_u", 4294967295.9), Ok(vec![Value::I32(-1)]));
    assert_eq!(f("i32.trunc_sat_f64_u", 1e300), Ok(vec![Value::I32(-1)]));
    assert_eq!(f("i32.trunc_sat_f64_s", f64::NAN), Ok(vec![Value::I32(0)]));
    let g = |x: f32| {
        run(
            "(i64.trunc_f32_u (local.get 0))",
            "(param f32)",
            "i64",
            &[Value::F32(x.to_bits())],
        )
    };
    assert_eq!(
        g(18446742974197923840.0),
        Ok(vec![Value::I64(-1099511627776)])
    );
    assert_eq!(g(18446744073709551616.0), Err(Trap::IntegerOverflow));
}

fn f32_binop(op: &str, a: f32, b: f32) -> u32 {
    match run(
        &format!("({op} (local.get 0) (local.get 1))"),
        "(param f32 f32)",
        "f32",
        &[Value::F32(a.to_bits()), Value::F32(b.to_bits())],
    )
    .expect("float ops do not trap")[..]
    {
        [Value::F32(bits)] => bits,
        ref other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn min_max_order_zeros_and_propagate_nan() {
    assert_eq!(f32_binop("f32.min", 0.0, -0.0), (-0.0f32).to_bits());
    assert_eq!(f32_binop("f32.min", -0.0, 0.0), (-0.0f32).to_bits());
    assert_eq!(f32_binop("f32.max", -0.0, 0.0), 0.0f32.to_bits());
    assert!(f32::from_bits(f32_binop("f32.min", f32::NAN, 1.0)).is_nan());
    assert!(f32::from_bits(f32_binop("f32.max", 1.0, f32::NAN)).is_nan());
    assert_eq!(f32_binop("f32.min", 1.0, 2.0), 1.0f32.to_bits());
}

#[test]
fn sign_operations_keep_nan_payloads() {
    let snan = 0x7fa0_0001u32;
    let f = |op: &str| {
        run(
            &format!("({op} (local.get 0))"),
            "(param f32)",
            "f32",
            &[Value::F32(snan)],
        )
    };
    assert_eq!(f("f32.neg"), Ok(vec![Value::F32(snan | 0x8000_0000)]));
    assert_eq!(f("f32.abs"), Ok(vec![Value::F32(snan)]));
    // Rounding must produce an arithmetic (quiet) NaN.
    for op in [
        "f32.floor",
        "f32.ceil",
        "f32.trunc",
        "f32.nearest",
        "f32.sqrt",
    ] {
        let [Value::F32(bits)] = f(op).expect("no trap")[..] else {
            panic!("{op}: one f32 result")
        };
        assert!(
            f32::from_bits(bits).is_nan() && bits & 0x0040_0000 != 0,
            "{op}: {bits:#x}"
        );
    }
}

#[test]
fn nearest_rounds_ties_to_even() {
    let f = |x: f64| {
        run(
            "(f64.nearest (local.get 0))",
            "(param f64)",
            "f64",
            &[Value::F64(x.to_bits())],
        )
    };
    assert_eq!(f(2.5), Ok(vec![Value::F64(2.0f64.to_bits())]));
    assert_eq!(f(3.5), Ok(vec![Value::F64(4.0f64.to_bits())]));
    assert_eq!(f(-0.5), Ok(vec![Value::F64((-0.0f64).to_bits())]));
}

#[test]
fn conversions_round_to_nearest_even() {
    let f = |x: i64| {
        run(
            "(f32.convert_i64_u (local.get 0))",
            "(param i64)",
            "f32",
            &[Value::I64(x)],
        )
    };
    // 2^24 + 1 is a tie between 2^24 and 2^24 + 2: even mantissa wins.
    assert_eq!(f(16777217), Ok(vec![Value::F32(16777216.0f32.to_bits())]));
    assert_eq!(
        f(-1),
        Ok(vec![Value::F32(18446744073709551616.0f32.to_bits())])
    );
    let g = |x: i32| {
        run(
            "(i64.extend_i32_u (local.get 0))",
            "(param i32)",
            "i64",
            &[Value::I32(x)],
        )
    };
    assert_eq!(g(-1), Ok(vec![Value::I64(0xffff_ffff)]));
    let h = |x: i64| {
        run(
            "(i64.extend8_s (local.get 0))",
            "(param i64)",
            "i64",
            &[Value::I64(x)],
        )
    };
    assert_eq!(h(0x180), Ok(vec![Value::I64(-128)]));
}
