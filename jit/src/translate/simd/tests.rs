//! Tests of the SIMD lowerings that need care on x86-64, of `v128` at
//! every boundary (params, results, locals, globals, host calls, tables)
//! and of bad input. The spec suite covers the rest lane by lane.

use crate::{
    Config, Engine, Func, FuncType, Global, GlobalType, Instance, Module, Store, TrapCode, V128,
    Val, ValType,
};

fn engine() -> Engine {
    Engine::new(&Config::new()).expect("supported host")
}

/// Instantiates `wat` (no imports) and calls its export `run` with
/// `params`, returning the one `v128` result.
fn run_v128(wat: &str, params: &[Val]) -> u128 {
    let engine = engine();
    let module = Module::new(&engine, wat).expect("valid module");
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    let run = instance.get_func(&store, "run").expect("exports run");
    let mut results = [Val::I32(0)];
    run.call(&mut store, params, &mut results).expect("runs");
    results[0].v128().expect("a v128 result").as_u128()
}

/// `v128` lanes from `i8`s, lane 0 first.
fn i8x16(lanes: [i8; 16]) -> u128 {
    u128::from_le_bytes(lanes.map(|l| l as u8))
}

fn i16x8(lanes: [i16; 8]) -> u128 {
    let mut bytes = [0u8; 16];
    for (i, l) in lanes.iter().enumerate() {
        bytes[2 * i..2 * i + 2].copy_from_slice(&l.to_le_bytes());
    }
    u128::from_le_bytes(bytes)
}

fn i32x4(lanes: [i32; 4]) -> u128 {
    let mut bytes = [0u8; 16];
    for (i, l) in lanes.iter().enumerate() {
        bytes[4 * i..4 * i + 4].copy_from_slice(&l.to_le_bytes());
    }
    u128::from_le_bytes(bytes)
}

fn f32x4(lanes: [f32; 4]) -> u128 {
    i32x4(lanes.map(|f| f.to_bits() as i32))
}

fn f64x2(lanes: [f64; 2]) -> u128 {
    u128::from(lanes[0].to_bits()) | (u128::from(lanes[1].to_bits()) << 64)
}

/// A unary operator `op` applied to the `v128` parameter.
fn unary(op: &str, x: u128) -> u128 {
    let wat = format!(
        r#"(module (func (export "run") (param v128) (result v128) ({op} (local.get 0))))"#
    );
    run_v128(&wat, &[Val::V128(x.into())])
}

/// A binary operator `op` applied to the two `v128` parameters.
fn binary(op: &str, a: u128, b: u128) -> u128 {
    let wat = format!(
        r#"(module (func (export "run") (param v128 v128) (result v128)
             ({op} (local.get 0) (local.get 1))))"#
    );
    run_v128(&wat, &[Val::V128(a.into()), Val::V128(b.into())])
}

/// A shift `op` of the `v128` parameter by the `i32` parameter.
fn shift(op: &str, x: u128, count: i32) -> u128 {
    let wat = format!(
        r#"(module (func (export "run") (param v128 i32) (result v128)
             ({op} (local.get 0) (local.get 1))))"#
    );
    run_v128(&wat, &[Val::V128(x.into()), Val::I32(count)])
}

#[test]
fn shift_counts_are_taken_modulo_the_lane_width() {
    let ones = i8x16([1; 16]);
    // 9 mod 8 = 1 for bytes; 17 mod 16 = 1 for halves; 33, 65 likewise.
    assert_eq!(shift("i8x16.shl", ones, 9), i8x16([2; 16]));
    assert_eq!(shift("i8x16.shl", ones, 8), ones);
    assert_eq!(shift("i8x16.shr_s", i8x16([-128; 16]), 15), i8x16([-1; 16]));
    assert_eq!(shift("i8x16.shr_u", i8x16([-128; 16]), 15), i8x16([1; 16]));
    assert_eq!(shift("i8x16.shr_u", i8x16([-128; 16]), -1), i8x16([1; 16]));
    assert_eq!(shift("i16x8.shl", i16x8([1; 8]), 17), i16x8([2; 8]));
    assert_eq!(shift("i32x4.shl", i32x4([1; 4]), 33), i32x4([2; 4]));
    assert_eq!(
        shift("i32x4.shr_s", i32x4([i32::MIN; 4]), 63),
        i32x4([-1; 4])
    );
    let one_one = 1u128 | (1u128 << 64);
    assert_eq!(shift("i64x2.shl", one_one, 65), one_one << 1);
    assert_eq!(shift("i64x2.shr_s", u128::MAX << 64, 127), u128::MAX << 64);
}

#[test]
fn swizzle_selects_zero_for_out_of_range_indices() {
    let table = u128::from_le_bytes(core::array::from_fn(|i| 0x10 + i as u8));
    let idx = i8x16([
        0, 15, 16, 17, 31, 32, 127, -128, -1, 1, 2, 3, 0x70, 0x7f, 8, 0,
    ]);
    let expected = u128::from_le_bytes([
        0x10, 0x1f, 0, 0, 0, 0, 0, 0, 0, 0x11, 0x12, 0x13, 0, 0, 0x18, 0x10,
    ]);
    assert_eq!(binary("i8x16.swizzle", table, idx), expected);
}

#[test]
fn popcnt_counts_every_byte() {
    let x = u128::from_le_bytes(core::array::from_fn(|i| {
        [0, 1, 3, 0x80, 0xff, 0x55, 0xf0, 7][i % 8]
    }));
    let expected = u128::from_le_bytes(core::array::from_fn(|i| [0, 1, 2, 1, 8, 4, 4, 3][i % 8]));
    assert_eq!(unary("i8x16.popcnt", x), expected);
}

#[test]
fn q15mulr_saturates_only_min_times_min() {
    let a = i16x8([i16::MIN, i16::MIN, 0x4000, -0x4000, 1, i16::MAX, 0x0001, -1]);
    let b = i16x8([
        i16::MIN,
        i16::MAX,
        0x4000,
        0x4000,
        1,
        i16::MAX,
        0x4000,
        0x4000,
    ]);
    // (a * b + 0x4000) >> 15, saturated.
    let expected = i16x8([i16::MAX, -32767, 0x2000, -0x2000, 0, 32766, 1, 0]);
    assert_eq!(binary("i16x8.q15mulr_sat_s", a, b), expected);
}

#[test]
fn min_and_max_follow_wasm_for_nans_and_signed_zeros() {
    let nan = f32::from_bits(0x7fc0_0000);
    let a = f32x4([0.0, -0.0, nan, 1.0]);
    let b = f32x4([-0.0, 0.0, 1.0, nan]);
    let min = binary("f32x4.min", a, b);
    let max = binary("f32x4.max", a, b);
    let lanes = |v: u128| -> [u32; 4] { core::array::from_fn(|i| (v >> (32 * i)) as u32) };
    assert_eq!(lanes(min)[0], (-0.0f32).to_bits());
    assert_eq!(lanes(min)[1], (-0.0f32).to_bits());
    assert!(f32::from_bits(lanes(min)[2]).is_nan());
    assert!(f32::from_bits(lanes(min)[3]).is_nan());
    assert_eq!(lanes(max)[0], 0.0f32.to_bits());
    assert_eq!(lanes(max)[1], 0.0f32.to_bits());
    assert!(f32::from_bits(lanes(max)[2]).is_nan());
    assert!(f32::from_bits(lanes(max)[3]).is_nan());
    // f64x2 likewise.
    let a = f64x2([-0.0, f64::NAN]);
    let b = f64x2([0.0, 0.0]);
    let min = binary("f64x2.min", a, b);
    assert_eq!(min as u64, (-0.0f64).to_bits());
    assert!(f64::from_bits((min >> 64) as u64).is_nan());
    let max = binary("f64x2.max", a, b);
    assert_eq!(max as u64, 0.0f64.to_bits());
}

#[test]
fn pmin_and_pmax_are_the_compare_and_select_expressions() {
    let nan = f32::from_bits(0x7fc0_0001);
    let a = f32x4([0.0, nan, 1.0, -0.0]);
    let b = f32x4([-0.0, 1.0, nan, 0.0]);
    // pmin: b < a ? b : a; pmax: a < b ? b : a. Unordered picks `a`.
    assert_eq!(binary("f32x4.pmin", a, b), a);
    assert_eq!(binary("f32x4.pmax", a, b), a);
    let a = f32x4([2.0, 1.0, 3.0, -1.0]);
    let b = f32x4([1.0, 2.0, 3.0, -2.0]);
    assert_eq!(binary("f32x4.pmin", a, b), f32x4([1.0, 1.0, 3.0, -2.0]));
    assert_eq!(binary("f32x4.pmax", a, b), f32x4([2.0, 2.0, 3.0, -1.0]));
}

#[test]
fn unsigned_truncation_saturates_at_the_edges() {
    let x = f32x4([f32::NAN, -0.5, 2_147_483_648.0, 4_294_967_296.0]);
    assert_eq!(
        unary("i32x4.trunc_sat_f32x4_u", x),
        i32x4([0, 0, i32::MIN, -1])
    );
    let x = f32x4([f32::INFINITY, f32::NEG_INFINITY, 4_294_967_040.0, 1.9]);
    assert_eq!(unary("i32x4.trunc_sat_f32x4_u", x), i32x4([-1, 0, -256, 1]));
    let x = f32x4([f32::NAN, 2_147_483_648.0, -2_147_483_904.0, -1.9]);
    assert_eq!(
        unary("i32x4.trunc_sat_f32x4_s", x),
        i32x4([0, i32::MAX, i32::MIN, -1])
    );
    let x = f64x2([4_294_967_296.0, -1.0]);
    assert_eq!(
        unary("i32x4.trunc_sat_f64x2_u_zero", x),
        i32x4([-1, 0, 0, 0])
    );
    let x = f64x2([f64::NAN, -3e10]);
    assert_eq!(
        unary("i32x4.trunc_sat_f64x2_s_zero", x),
        i32x4([0, i32::MIN, 0, 0])
    );
}

#[test]
fn dot_product_wraps_the_one_overflowing_pair() {
    let a = i16x8([i16::MIN, i16::MIN, 1, 2, 3, 4, -5, 6]);
    let b = i16x8([i16::MIN, i16::MIN, 7, 8, 9, 10, 11, 12]);
    let expected = i32x4([i32::MIN, 7 + 16, 27 + 40, -55 + 72]);
    assert_eq!(binary("i32x4.dot_i16x8_s", a, b), expected);
}

#[test]
fn v128_crosses_params_results_locals_globals_and_blocks() {
    let wat = r#"(module
      (global $g (mut v128) (v128.const i32x4 1 2 3 4))
      (func (export "run") (param $x v128) (result v128)
        (local $l v128)
        (local.set $l (i32x4.add (local.get $x) (global.get $g)))
        (global.set $g (local.get $l))
        (if (result v128) (i32.const 1)
          (then (global.get $g))
          (else (v128.const i64x2 0 0)))))"#;
    let x = i32x4([10, 20, 30, 40]);
    assert_eq!(
        run_v128(wat, &[Val::V128(x.into())]),
        i32x4([11, 22, 33, 44])
    );
    // A fresh local is zero.
    let wat = r#"(module (func (export "run") (result v128) (local v128) (local.get 0)))"#;
    assert_eq!(run_v128(wat, &[]), 0);
}

#[test]
fn v128_crosses_host_calls_tables_and_typed_funcs() -> crate::Result<()> {
    let engine = engine();
    let module = Module::new(
        &engine,
        r#"(module
          (import "host" "flip" (func $flip (param v128 i32) (result v128 i64)))
          (type $t (func (param v128) (result v128)))
          (table 2 funcref)
          (elem (i32.const 0) $not $via_host)
          (func $not (type $t) (v128.not (local.get 0)))
          (func $via_host (type $t)
            (drop (call $flip (local.get 0) (i32.const 7))))
          (func (export "indirect") (param v128 i32) (result v128)
            (call_indirect (type $t) (local.get 0) (local.get 1))))"#,
    )?;
    let mut store = Store::new(&engine, ());
    let ty = FuncType::new([ValType::V128, ValType::I32], [ValType::V128, ValType::I64]);
    let flip = Func::new(&mut store, ty, |_, params, results| {
        let x = params[0].v128().expect("v128 param").as_u128();
        let n = params[1].i32().expect("i32 param");
        results[0] = Val::V128(x.swap_bytes().into());
        results[1] = Val::I64(i64::from(n));
        Ok(())
    });
    let instance = Instance::new(&mut store, &module, &[flip.into()])?;
    let indirect = instance.get_typed_func::<(V128, i32), V128>(&store, "indirect")?;
    let x: u128 = 0x0011_2233_4455_6677_8899_aabb_ccdd_eeff;
    assert_eq!(indirect.call(&mut store, (x.into(), 0))?.as_u128(), !x);
    assert_eq!(
        indirect.call(&mut store, (x.into(), 1))?.as_u128(),
        x.swap_bytes()
    );
    Ok(())
}

#[test]
fn host_globals_hold_v128() -> crate::Result<()> {
    let engine = engine();
    let mut store = Store::new(&engine, ());
    let ty = GlobalType::new(ValType::V128, true);
    let g = Global::new(&mut store, ty, Val::V128(u128::MAX.into()))?;
    assert_eq!(g.get(&store)?, Val::V128(u128::MAX.into()));
    let module = Module::new(
        &engine,
        r#"(module (import "env" "g" (global $g (mut v128)))
             (func (export "bump")
               (global.set $g (i64x2.add (global.get $g) (v128.const i64x2 2 3)))))"#,
    )?;
    let instance = Instance::new(&mut store, &module, &[g.into()])?;
    instance
        .get_typed_func::<(), ()>(&store, "bump")?
        .call(&mut store, ())?;
    let expected = 1u128 | (2u128 << 64);
    assert_eq!(g.get(&store)?, Val::V128(expected.into()));
    Ok(())
}

#[test]
fn lane_accesses_are_bounds_checked_and_misalignment_is_allowed() -> crate::Result<()> {
    let engine = engine();
    let module = Module::new(
        &engine,
        r#"(module
          (memory 1)
          (func (export "load") (param i32) (result v128) (v128.load align=1 (local.get 0)))
          (func (export "load_lane") (param i32) (result v128)
            (v128.load32_lane 1 (local.get 0) (v128.const i64x2 0 0)))
          (func (export "store_lane") (param i32)
            (v128.store64_lane 1 (local.get 0) (v128.const i64x2 -1 -1)))
          (func (export "splat") (param i32) (result v128) (v128.load16_splat (local.get 0)))
          (func (export "zero") (param i32) (result v128) (v128.load64_zero (local.get 0))))"#,
    )?;
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[])?;
    let load = instance.get_typed_func::<i32, V128>(&store, "load")?;
    let load_lane = instance.get_typed_func::<i32, V128>(&store, "load_lane")?;
    let store_lane = instance.get_typed_func::<i32, ()>(&store, "store_lane")?;
    let splat = instance.get_typed_func::<i32, V128>(&store, "splat")?;
    let zero = instance.get_typed_func::<i32, V128>(&store, "zero")?;
    let oob = |e: crate::Error| e.as_trap().map(|t| t.code());
    // Misaligned, in bounds.
    store_lane.call(&mut store, 3)?;
    assert_eq!(
        load.call(&mut store, 1)?.as_u128(),
        0xffff_ffff_ffff_ffff << 16
    );
    assert_eq!(load.call(&mut store, 65536 - 16)?.as_u128(), 0);
    assert_eq!(load_lane.call(&mut store, 65536 - 4)?.as_u128(), 0);
    assert_eq!(splat.call(&mut store, 3)?.as_u128(), u128::MAX);
    assert_eq!(zero.call(&mut store, 3)?.as_u128(), u128::from(u64::MAX));
    // Each access crossing the end by one byte traps.
    let e = load
        .call(&mut store, 65536 - 15)
        .expect_err("crosses the end");
    assert_eq!(oob(e), Some(TrapCode::MemoryOutOfBounds));
    let e = load_lane
        .call(&mut store, 65536 - 3)
        .expect_err("crosses the end");
    assert_eq!(oob(e), Some(TrapCode::MemoryOutOfBounds));
    let e = store_lane
        .call(&mut store, 65536 - 7)
        .expect_err("crosses the end");
    assert_eq!(oob(e), Some(TrapCode::MemoryOutOfBounds));
    let e = splat.call(&mut store, 65535).expect_err("crosses the end");
    assert_eq!(oob(e), Some(TrapCode::MemoryOutOfBounds));
    let e = zero.call(&mut store, -1).expect_err("far past the end");
    assert_eq!(oob(e), Some(TrapCode::MemoryOutOfBounds));
    Ok(())
}

/// Whether `e` is the validator's complaint about a lane index.
fn is_lane_error(e: &crate::Error) -> bool {
    let text = e.to_string();
    text.contains("invalid module")
        && (text.contains("index out of bounds") || text.contains("lane"))
}

#[test]
fn invalid_lane_indices_fail_validation() {
    let engine = engine();
    for body in [
        "(i8x16.extract_lane_s 16 (v128.const i64x2 0 0))",
        "(i64x2.extract_lane 2 (v128.const i64x2 0 0))",
        "(v128.load32_lane 4 (i32.const 0) (v128.const i64x2 0 0))",
    ] {
        let wat = format!("(module (memory 1) (func (drop {body})))");
        // The text parser checks some indices itself; encode what it accepts.
        let Ok(bytes) = wat::parse_str(&wat) else {
            continue;
        };
        let e = Module::new(&engine, &bytes).expect_err("invalid lane index");
        assert!(is_lane_error(&e), "{body}: {e}");
    }
    // Shuffle lanes must be below 32: patch a valid shuffle's last lane.
    let wat = "(module (func (result v128)
        (i8x16.shuffle 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 31
          (v128.const i64x2 0 0) (v128.const i64x2 0 0))))";
    let mut bytes = wat::parse_str(wat).expect("valid text");
    let at = bytes.iter().rposition(|&b| b == 31).expect("the lane byte");
    bytes[at] = 32;
    let e = Module::new(&engine, &bytes).expect_err("lane 32");
    assert!(is_lane_error(&e), "{e}");
}

#[test]
fn simd_off_rejects_modules_that_use_it() {
    let mut config = Config::new();
    config.wasm_simd(false);
    let engine = Engine::new(&config).expect("supported host");
    for wat in [
        "(module (func (drop (v128.const i64x2 0 0))))",
        "(module (func (param v128)))",
        "(module (global v128 (v128.const i64x2 0 0)))",
    ] {
        let e = Module::new(&engine, wat).expect_err("SIMD is off");
        assert!(e.to_string().contains("SIMD"), "{wat}: {e}");
    }
    Module::new(&engine, "(module (func (drop (i32.const 0))))").expect("no SIMD used");
}

#[test]
fn nan_canonicalization_covers_vector_lanes() -> crate::Result<()> {
    let mut config = Config::new();
    config.cranelift_nan_canonicalization(true);
    let engine = Engine::new(&config)?;
    let module = Module::new(
        &engine,
        r#"(module
          (func (export "add") (param v128 v128) (result v128)
            (f32x4.add (local.get 0) (local.get 1)))
          (func (export "min") (param v128 v128) (result v128)
            (f64x2.min (local.get 0) (local.get 1)))
          (func (export "neg") (param v128) (result v128)
            (f32x4.neg (local.get 0))))"#,
    )?;
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[])?;
    let add = instance.get_typed_func::<(V128, V128), V128>(&store, "add")?;
    let min = instance.get_typed_func::<(V128, V128), V128>(&store, "min")?;
    let neg = instance.get_typed_func::<V128, V128>(&store, "neg")?;
    let odd_nan = f32::from_bits(0xffc0_1234);
    let a = f32x4([odd_nan, 1.0, f32::from_bits(0x7f80_0001), 2.0]);
    let b = f32x4([1.0, 2.0, 3.0, 4.0]);
    let sum = add.call(&mut store, (a.into(), b.into()))?.as_u128();
    let canonical = f32::from_bits(0x7fc0_0000);
    assert_eq!(
        i32x4_bits(sum),
        i32x4_bits(f32x4([canonical, 3.0, canonical, 6.0]))
    );
    let a = f64x2([f64::from_bits(0xfff8_0000_0000_0abc), 1.0]);
    let b = f64x2([0.0, -1.0]);
    let m = min.call(&mut store, (a.into(), b.into()))?.as_u128();
    assert_eq!(m, f64x2([f64::from_bits(0x7ff8_0000_0000_0000), -1.0]));
    // `neg` is a bit operation: its NaN keeps its payload, sign flipped.
    let n = neg.call(&mut store, f32x4([odd_nan; 4]).into())?.as_u128();
    assert_eq!(n, f32x4([f32::from_bits(0x7fc0_1234); 4]));
    Ok(())
}

fn i32x4_bits(v: u128) -> [u32; 4] {
    core::array::from_fn(|i| (v >> (32 * i)) as u32)
}
