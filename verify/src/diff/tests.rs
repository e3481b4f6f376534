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
        Ok(Verdict::Returned)
    );
    // Out of bounds: both trap, and the state still matches.
    assert_eq!(
        diff.call("f", &[Arg::I32(65535), Arg::I64(1)]),
        Ok(Verdict::Trapped(TrapKind::MemoryOutOfBounds))
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
    assert_eq!(diff.call("f", &[v, Arg::I32(8)]), Ok(Verdict::Returned));
    // The lane store one byte past the end traps on both, memory untouched.
    assert_eq!(
        diff.call("f", &[v, Arg::I32(65535)]),
        Ok(Verdict::Trapped(TrapKind::MemoryOutOfBounds))
    );
}

#[test]
fn stack_exhaustion_is_inconclusive() {
    let mut diff = ready(r#"(module (func $r (export "r") (call $r)))"#);
    match diff.call("r", &[]) {
        Ok(Verdict::Inconclusive(e)) => {
            assert_eq!(e.exhausted, Exhausted::Both, "{e}");
            assert!(e.interp_frames > 1000, "{e}");
        }
        other => panic!("{other:?}"),
    }
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
    assert_eq!(
        diff.call("f", &[]),
        Ok(Verdict::Trapped(TrapKind::UndefinedElement))
    );
}

fn exhaustion(exhausted: Exhausted, interp_frames: usize) -> Exhaustion {
    Exhaustion {
        call: "`f()`".into(),
        exhausted,
        interp: "-".into(),
        jit: "-".into(),
        interp_frames,
        interp_values: interp_frames,
        jit_stack_bytes: 1 << 20,
    }
}

#[test]
fn one_sided_exhaustion_is_explained_only_by_depth() {
    assert!(exhaustion(Exhausted::Both, 1).explained());
    // weft ran out of 1 MiB while the interpreter was 3 frames deep: no
    // frame of a generated function is 350 KiB.
    assert!(!exhaustion(Exhausted::Jit, 3).explained());
    assert!(exhaustion(Exhausted::Jit, 5_000).explained());
    // The interpreter's 50,000 frames fit weft's 1 MiB at 16 bytes each,
    // 100,000 would not.
    assert!(exhaustion(Exhausted::Interpreter, 50_000).explained());
    assert!(!exhaustion(Exhausted::Interpreter, 100_000).explained());
}

#[test]
fn funcrefs_compare_by_which_export_they_are() {
    let mut diff = ready(
        r#"(module
             (table (export "t") 2 funcref)
             (func $a (export "a") (result funcref) (ref.func $a))
             (func $b (export "b") (result funcref) (ref.func $b))
             (func (export "fill") (table.set 0 (i32.const 0) (ref.func $b)))
             (elem declare func $a $b))"#,
    );
    assert_eq!(diff.call("a", &[]), Ok(Verdict::Returned));
    assert_eq!(diff.call("fill", &[]), Ok(Verdict::Returned));
    let a = Outcome::Returned(vec![Observed::FuncRef(FuncId::Export(0))]);
    let b = Outcome::Returned(vec![Observed::FuncRef(FuncId::Export(1))]);
    assert!(!a.same_as(&b, true), "different functions differ");
    let null = Outcome::Returned(vec![Observed::FuncRef(FuncId::Null)]);
    assert!(!a.same_as(&null, true));
}

#[test]
fn every_trap_is_its_own_kind_and_host_errors_compare_by_message() {
    let mut kinds = (1..64)
        .filter_map(weft::TrapCode::from_u32)
        .map(TrapKind::from_jit)
        .collect::<Vec<_>>();
    let codes = kinds.len();
    kinds.sort();
    kinds.dedup();
    assert_eq!(kinds.len(), codes, "two trap codes share a kind: {kinds:?}");
    assert_eq!(
        kinds,
        TrapKind::ALL,
        "a kind no trap code gives, or the reverse"
    );
    use crate::interp::Trap as T;
    let interp = [
        T::Unreachable,
        T::MemoryOutOfBounds,
        T::TableOutOfBounds,
        T::UndefinedElement,
        T::IndirectCallToNull,
        T::BadSignature,
        T::IntegerOverflow,
        T::IntegerDivisionByZero,
        T::BadConversionToInteger,
        T::UnalignedAtomic,
        T::ExpectedSharedMemory,
        T::StackExhausted,
        T::OutOfFuel,
        T::Host("x".into()),
    ];
    let mut from_interp = interp
        .iter()
        .map(|t| TrapKind::from_interp(t).expect("a trap of the program"))
        .collect::<Vec<_>>();
    from_interp.sort();
    let jit_only = [TrapKind::Interrupted];
    let expected: Vec<_> = TrapKind::ALL
        .into_iter()
        .filter(|k| !jit_only.contains(k))
        .collect();
    assert_eq!(from_interp, expected);
    assert_eq!(
        TrapKind::from_interp(&T::InvalidInvocation("x".into())),
        None
    );
    let host = |m: &str| Outcome::Trapped(TrapKind::HostError, m.into());
    assert!(host("a").same_as(&host("a"), true));
    assert!(!host("a").same_as(&host("b"), true));
    let trap = |m: &str| Outcome::Trapped(TrapKind::Unreachable, m.into());
    assert!(trap("unreachable").same_as(&trap("unreachable executed"), true));
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
            ..DiffConfig::default()
        };
        let mut diff = match Differential::start(&wasm, config) {
            Ok(Setup::Ready(diff)) => diff,
            Ok(Setup::Skipped(why)) => panic!("skipped: {why}"),
            Err(m) => panic!("{m}"),
        };
        for (name, arg) in [("mix", 5), ("div", 0), ("div", 2)] {
            let verdict = diff.call(name, &[Arg::I32(arg)]);
            assert!(
                matches!(verdict, Ok(Verdict::Returned | Verdict::Trapped(_))),
                "{verdict:?}"
            );
        }
        let trapped = diff
            .interp
            .call("mix", &[Arg::I32(5)])
            .map(|o| o.to_string())
            .unwrap_or_else(|e| e);
        outcomes.insert(trapped.contains("fuel"));
    }
    // Both the trap and the finish were reached.
    assert_eq!(outcomes.len(), 2, "{outcomes:?}");
    crate::interp::set_fuel(None);
}
