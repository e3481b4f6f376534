//! Calls across weft's two calling conventions (`docs/jit.md`): direct
//! calls of bodies within a module (values in registers, many results
//! through Cranelift's hidden return area), array entries for the host,
//! imports and `call_indirect`, and the cached memory length after calls
//! that may or provably cannot grow a memory.

use weft::{Engine, Instance, Module, Store, TrapCode, Val};

fn instance(wat: &str) -> (Store<()>, Instance) {
    let engine = Engine::default();
    let module = Module::new(&engine, wat).expect("module compiles");
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    (store, instance)
}

/// Twelve results of every numeric type: more than any platform's return
/// registers, so the body returns most of them through memory.
const MANY_RESULTS: &str = r#"(module
  (type $many (func (param i32) (result i32 i64 f32 f64 i32 i64 f32 f64 i32 i64 f32 f64)))
  (table funcref (elem $produce))
  (func $produce (type $many)
    (local.get 0) (i64.extend_i32_s (local.get 0)) (f32.convert_i32_s (local.get 0))
    (f64.convert_i32_s (local.get 0))
    (i32.add (local.get 0) (i32.const 1)) (i64.const -2) (f32.const 2.5) (f64.const -3.25)
    (i32.const 7) (i64.const 0x7fff_ffff_ffff_ffff) (f32.const -0.0) (f64.const 1e300))
  ;; Folds all twelve into one i64 so that any misplaced result shows.
  (func $fold (param i32 i64 f32 f64 i32 i64 f32 f64 i32 i64 f32 f64) (result i64)
    local.get 0 i64.extend_i32_u
    local.get 1 i64.const 3 i64.mul i64.add
    local.get 2 i32.reinterpret_f32 i64.extend_i32_u i64.add
    local.get 3 i64.reinterpret_f64 i64.add
    local.get 4 i64.extend_i32_u i64.const 5 i64.mul i64.add
    local.get 5 i64.const 7 i64.mul i64.add
    local.get 6 i32.reinterpret_f32 i64.extend_i32_u i64.add
    local.get 7 i64.reinterpret_f64 i64.add
    local.get 8 i64.extend_i32_u i64.const 11 i64.mul i64.add
    local.get 9 i64.add
    local.get 10 i32.reinterpret_f32 i64.extend_i32_u i64.add
    local.get 11 i64.reinterpret_f64 i64.add)
  (func (export "direct") (param i32) (result i64)
    (call $fold (call $produce (local.get 0))))
  (func (export "indirect") (param i32) (result i64)
    (call $fold (call_indirect (type $many) (local.get 0) (i32.const 0))))
  (func (export "produce") (type $many) (call $produce (local.get 0))))"#;

/// `$fold` of `$produce x`, computed in Rust.
fn expected_fold(x: i32) -> i64 {
    let f32_bits = |f: f32| i64::from(f.to_bits());
    let f64_bits = |f: f64| f.to_bits() as i64;
    [
        i64::from(x as u32),
        i64::from(x).wrapping_mul(3),
        f32_bits(x as f32),
        f64_bits(f64::from(x)),
        i64::from(x.wrapping_add(1) as u32).wrapping_mul(5),
        (-2i64).wrapping_mul(7),
        f32_bits(2.5),
        f64_bits(-3.25),
        7 * 11,
        i64::MAX,
        f32_bits(-0.0),
        f64_bits(1e300),
    ]
    .into_iter()
    .fold(0i64, i64::wrapping_add)
}

#[test]
fn many_results_agree_across_direct_indirect_and_host_calls() {
    let (mut store, i) = instance(MANY_RESULTS);
    for x in [0, 1, -1, 12345, i32::MIN, i32::MAX] {
        let direct = i
            .get_typed_func::<i32, i64>(&store, "direct")
            .expect("typed");
        let indirect = i
            .get_typed_func::<i32, i64>(&store, "indirect")
            .expect("typed");
        let by_body = direct.call(&mut store, x).expect("runs");
        assert_eq!(by_body, expected_fold(x), "x = {x}");
        assert_eq!(
            indirect.call(&mut store, x).expect("runs"),
            by_body,
            "x = {x}"
        );

        let produce = i.get_func(&store, "produce").expect("export");
        let mut results = vec![Val::I32(0); 12];
        produce
            .call(&mut store, &[Val::I32(x)], &mut results)
            .expect("runs");
        assert_eq!(results[0].i32(), Some(x));
        assert_eq!(results[1].i64(), Some(i64::from(x)));
        assert_eq!(results[2].f32(), Some(x as f32));
        assert_eq!(results[3].f64(), Some(f64::from(x)));
        assert_eq!(results[4].i32(), Some(x.wrapping_add(1)));
        assert_eq!(results[5].i64(), Some(-2));
        assert_eq!(results[6].f32(), Some(2.5));
        assert_eq!(results[7].f64(), Some(-3.25));
        assert_eq!(results[8].i32(), Some(7));
        assert_eq!(results[9].i64(), Some(i64::MAX));
        assert_eq!(
            results[10].f32().map(f32::to_bits),
            Some((-0.0f32).to_bits())
        );
        assert_eq!(results[11].f64(), Some(1e300));
    }
}

#[test]
fn a_trap_deep_in_direct_calls_reaches_the_host_with_its_code() {
    let (mut store, i) = instance(
        r#"(module
             (func $div (param i32 i32) (result i32 i32)
               (i32.div_s (local.get 0) (local.get 1)) (i32.const 1))
             (func $middle (param i32) (result i32)
               (i32.add (call $div (i32.const 10) (local.get 0))))
             (func (export "outer") (param i32) (result i32)
               (i32.mul (call $middle (local.get 0)) (i32.const 2))))"#,
    );
    let outer = i
        .get_typed_func::<i32, i32>(&store, "outer")
        .expect("typed");
    assert_eq!(outer.call(&mut store, 5).expect("runs"), 6);
    let trap = outer.call(&mut store, 0).expect_err("divides by zero");
    assert_eq!(
        trap.as_trap().expect("a trap").code(),
        TrapCode::IntegerDivisionByZero
    );
    // The instance is still usable after the trap.
    assert_eq!(outer.call(&mut store, 2).expect("runs"), 12);
}

/// `$helper` cannot grow memory, so the caller keeps its cached length
/// across calls to it; `$grows_via` grows it two calls deep, so the caller
/// must reload it, or the access to the new page would trap.
const GROWTH: &str = r#"(module
  (memory 1)
  (func $grow (result i32) (memory.grow (i32.const 1)))
  (func $grows_via (result i32) (call $grow))
  (func $helper (param i32) (result i32) (i32.add (local.get 0) (i32.const 0)))
  (func (export "grow_then_store") (result i32)
    (drop (i32.load (call $helper (i32.const 65532))))
    (drop (call $grows_via))
    (i32.store (call $helper (i32.const 65536)) (i32.const 7))
    (i32.load (call $helper (i32.const 65536))))
  (func (export "load") (param i32) (result i32)
    (i32.load (call $helper (local.get 0)))))"#;

#[test]
fn growth_two_calls_deep_is_seen_and_helpers_keep_the_bounds() {
    let (mut store, i) = instance(GROWTH);
    let load = i.get_typed_func::<i32, i32>(&store, "load").expect("typed");
    let trap = load.call(&mut store, 65536).expect_err("one page");
    assert_eq!(
        trap.as_trap().expect("a trap").code(),
        TrapCode::MemoryOutOfBounds
    );
    let grow_then_store = i
        .get_typed_func::<(), i32>(&store, "grow_then_store")
        .expect("typed");
    assert_eq!(grow_then_store.call(&mut store, ()).expect("runs"), 7);
    assert_eq!(load.call(&mut store, 65536).expect("two pages now"), 7);
    let trap = load.call(&mut store, 2 * 65536).expect_err("two pages");
    assert_eq!(
        trap.as_trap().expect("a trap").code(),
        TrapCode::MemoryOutOfBounds
    );
}
