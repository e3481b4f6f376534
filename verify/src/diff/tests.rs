use super::*;

fn ready(wat: &str) -> Differential {
    let wasm = wat::parse_str(wat).expect("valid text");
    match Differential::start(
        &wasm,
        DiffConfig {
            exact_nans: true,
            ..DiffConfig::default()
        },
    ) {
        Ok(Setup::Ready(diff)) => diff,
        Ok(Setup::Skipped(why)) => panic!("skipped: {why}"),
        Err(m) => panic!("{m}"),
    }
}

#[test]
fn agreeing_engines_agree_on_results_traps_and_memory() {
    let mut diff = ready(
        r#"(module
             (memory (export "mem") 1 2)
             (global (export "g") (mut i64) (i64.const 5))
             (table (export "t") 2 funcref)
             (func $f (export "f") (param i32 i64) (result i64 f32)
               (i32.store offset=8 (local.get 0) (local.get 0))
               (global.set 0 (i64.add (global.get 0) (local.get 1)))
               (table.set 0 (i32.const 1) (ref.func $f))
               (global.get 0)
               (f32.const nan)))"#,
    );
    assert_eq!(diff.functions().len(), 1);
    assert_eq!(
        diff.call("f", &[Arg::I32(16), Arg::I64(-2)]),
        Ok(Verdict::Agree)
    );
    // Out of bounds: both trap, and the state still matches.
    assert_eq!(
        diff.call("f", &[Arg::I32(65535), Arg::I64(1)]),
        Ok(Verdict::Agree)
    );
}

#[test]
fn v128_arguments_results_globals_and_lane_stores_agree() {
    let mut diff = ready(
        r#"(module
             (memory (export "mem") 1)
             (global (export "g") (mut v128) (v128.const i32x4 1 2 3 4))
             (func (export "f") (param v128 i32) (result v128 i32)
               (v128.store8_lane offset=1 15 (local.get 1) (local.get 0))
               (global.set 0 (i32x4.add (global.get 0) (local.get 0)))
               (i8x16.shuffle 31 0 30 1 29 2 28 3 27 4 26 5 25 6 24 7
                 (local.get 0) (global.get 0))
               (i8x16.bitmask (local.get 0))))"#,
    );
    let v = Arg::V128(0x8000_7fff_0123_4567_89ab_cdef_ff00_ff00);
    assert_eq!(diff.call("f", &[v, Arg::I32(8)]), Ok(Verdict::Agree));
    // The lane store one byte past the end traps on both, memory untouched.
    assert_eq!(diff.call("f", &[v, Arg::I32(65535)]), Ok(Verdict::Agree));
}

#[test]
fn stack_exhaustion_is_inconclusive() {
    let mut diff = ready(r#"(module (func $r (export "r") (call $r)))"#);
    assert!(matches!(diff.call("r", &[]), Ok(Verdict::Inconclusive(_))));
}

#[test]
fn both_rejecting_is_skipped() {
    let result = Differential::start(b"\0asm\x01\0\0\0\x01", DiffConfig::default());
    assert!(matches!(result, Ok(Setup::Skipped(_))));
}

#[test]
fn a_start_trap_on_both_sides_is_skipped() {
    let wasm = wat::parse_str("(module (func unreachable) (start 0))").expect("valid text");
    assert!(matches!(
        Differential::start(&wasm, DiffConfig::default()),
        Ok(Setup::Skipped(_))
    ));
}

#[test]
fn state_differences_are_reported_with_both_sides() {
    let interp = State {
        globals: vec![("g".into(), Observed::I32(1))],
        memories: vec![("m".into(), vec![0, 1, 2, 3])],
        tables: vec![],
    };
    assert!(compare_states("now", &interp, &interp.clone(), true).is_ok());

    let mut jit = interp.clone();
    jit.memories[0].1[2] = 9;
    let m = compare_states("now", &interp, &jit, true).expect_err("a byte differs");
    assert!(m.what.contains("memory `m` at 0x2"), "{m}");
    assert!(m.interp.contains("02") && m.jit.contains("09"), "{m}");

    let mut jit = interp.clone();
    jit.globals[0].1 = Observed::I32(2);
    assert!(compare_states("now", &interp, &jit, true).is_err());

    let mut jit = interp.clone();
    jit.memories[0].1.push(0);
    assert!(compare_states("now", &interp, &jit, true).is_err());
}

#[test]
fn nans_compare_by_bits_only_when_asked() {
    let a = Outcome::Returned(vec![Observed::F32(0x7fc0_0000)]);
    let b = Outcome::Returned(vec![Observed::F32(0x7fc0_0001)]);
    assert!(!a.same_as(&b, true));
    assert!(a.same_as(&b, false));
    let one = Outcome::Returned(vec![Observed::F32(1.0f32.to_bits())]);
    assert!(!a.same_as(&one, false));
}

#[test]
fn v128_nans_compare_lane_wise_only_when_asked() {
    // f32x4 [nan, 1.0, nan:0x1, 0] against [nan:0x2, 1.0, nan, 0].
    let a = Observed::V128(0x0000_0000_7fc0_0001_3f80_0000_7fc0_0000);
    let b = Observed::V128(0x0000_0000_7fc0_0000_3f80_0000_7fc0_0002);
    assert!(a.same_as(&b, false));
    assert!(!a.same_as(&b, true));
    // f64x2 [nan, 2.0] against [nan:0x5, 2.0]: not an f32x4 match (the
    // low f64 NaN's low half is not an f32 NaN), but an f64x2 one.
    let a = Observed::V128(0x4000_0000_0000_0000_7ff8_0000_0000_0000);
    let b = Observed::V128(0x4000_0000_0000_0000_7ff8_0000_0000_0005);
    assert!(a.same_as(&b, false));
    // A non-NaN lane that differs is a difference in every view.
    let c = Observed::V128(0x4000_0000_0000_0001_7ff8_0000_0000_0000);
    assert!(!a.same_as(&c, false));
    let d = Observed::V128(1);
    assert!(!Observed::V128(2).same_as(&d, false));
}

#[test]
fn call_indirect_past_the_table_is_an_undefined_element_on_both_engines() {
    let mut diff = ready(
        r#"(module (table 1 funcref)
             (func (export "f") (call_indirect (i32.const 5))))"#,
    );
    assert_eq!(diff.call("f", &[]), Ok(Verdict::Agree));
}

/// Every fuel amount from 0 up past what a call needs: both engines trap
/// at the same segment (same fuel left) or finish with the same fuel left.
#[test]
fn fuel_left_and_out_of_fuel_traps_agree_at_every_amount() {
    let wat = r#"(module
      (memory (export "mem") 1)
      (func $sq (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
      (func (export "mix") (param i32) (result i32) (local i32)
        (block $out
          (loop $l
            (br_if $out (i32.eqz (local.get 0)))
            (if (i32.and (local.get 0) (i32.const 1))
              (then (local.set 1 (i32.add (local.get 1) (call $sq (local.get 0)))))
              (else (i32.store (i32.const 0) (local.get 1))))
            (block $a (block $b
              (br_table $a $b $a (i32.rem_u (local.get 0) (i32.const 3)))
              (nop))
              (local.set 1 (i32.sub (local.get 1) (i32.const 1))))
            (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
            (br $l)))
        (local.get 1))
      (func (export "div") (param i32) (result i32)
        (if (result i32) (local.get 0)
          (then (i32.div_u (i32.const 7) (local.get 0)))
          (else (unreachable)))))"#;
    let wasm = wat::parse_str(wat).expect("valid text");
    let mut outcomes = std::collections::BTreeSet::new();
    for fuel in (0..160).chain([u64::MAX]) {
        let config = DiffConfig {
            exact_nans: true,
            fuel: Some(fuel),
        };
        let mut diff = match Differential::start(&wasm, config) {
            Ok(Setup::Ready(diff)) => diff,
            Ok(Setup::Skipped(why)) => panic!("skipped: {why}"),
            Err(m) => panic!("{m}"),
        };
        for (name, arg) in [("mix", 5), ("div", 0), ("div", 2)] {
            assert_eq!(diff.call(name, &[Arg::I32(arg)]), Ok(Verdict::Agree));
        }
        let trapped = diff.interp.call("mix", &[Arg::I32(5)]).to_string();
        outcomes.insert(trapped.contains("fuel"));
    }
    // Both the trap and the finish were reached.
    assert_eq!(outcomes.len(), 2, "{outcomes:?}");
    crate::interp::set_fuel(None);
}
