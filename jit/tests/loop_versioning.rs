//! Loop versioning is a fast path, never a change of behaviour: every
//! program here runs with `Config::loop_versioning` on and off, on an
//! unshared and a shared memory, and must return the same value or trap
//! with the same code, leave the same memory behind and (with fuel on)
//! consume the same fuel. The arguments put the range check on both
//! sides: passing, and failing with a trap at the first, a middle or the
//! last iteration, stores before it visible.

use weft::{Config, Engine, Instance, Module, Store, TrapCode};

/// One page, so that the memory ends at 65536.
const PAGE: i32 = 65536;

/// `{MEMORY}` becomes an exported one-page memory, unshared or shared.
const WHILE_STORE: &str = r#"(module
  {MEMORY}
  ;; Sieve's crossing-out loop: stores 1 at j, j + step, ... while j < n.
  (func (export "run") (param $j i32) (param $step i32) (param $n i32) (result i32)
    (local $count i32)
    (block $done
      (loop $multiple
        (br_if $done (i32.ge_u (local.get $j) (local.get $n)))
        (i32.store8 (local.get $j) (i32.const 1))
        (local.set $count (i32.add (local.get $count) (i32.const 1)))
        (local.set $j (i32.add (local.get $j) (local.get $step)))
        (br $multiple)))
    (local.get $count)))"#;

const DO_WHILE_STORE: &str = r#"(module
  {MEMORY}
  ;; Stores i at 4 + 4i for i = i0, i0 + step, ... while i <u n, at least once.
  (func (export "run") (param $i i32) (param $step i32) (param $n i32) (result i32)
    (loop $fill
      (i32.store offset=4 (i32.shl (local.get $i) (i32.const 2)) (local.get $i))
      (local.set $i (i32.add (local.get $i) (local.get $step)))
      (br_if $fill (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $i)))"#;

const EARLY_EXIT: &str = r#"(module
  {MEMORY}
  ;; Copies bytes from base + i to base + 2048 + i for i < n, stopping
  ;; at the first 0 (strcpy-like): an exit from inside an `if`.
  (func (export "run") (param $base i32) (param $i i32) (param $n i32) (result i32)
    (local $byte i32)
    (block $done
      (loop $copy
        (br_if $done (i32.eqz (i32.lt_u (local.get $i) (local.get $n))))
        (local.set $byte (i32.load8_u (i32.add (local.get $base) (local.get $i))))
        (if (i32.eqz (local.get $byte)) (then (br $done)))
        (i32.store8 offset=2048 (i32.add (local.get $base) (local.get $i)) (local.get $byte))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $copy)))
    (local.get $i)))"#;

const BOUND_WRITTEN: &str = r#"(module
  {MEMORY}
  ;; The bound grows as the loop runs: not versioned, and it runs into
  ;; the end of the memory.
  (func (export "run") (param $i i32) (param $grow i32) (param $n i32) (result i32)
    (block $done
      (loop $walk
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store16 (i32.mul (local.get $i) (i32.const 2)) (local.get $i))
        (local.set $n (i32.add (local.get $n) (local.get $grow)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $walk)))
    (local.get $i)))"#;

const TWO_ARRAYS: &str = r#"(module
  {MEMORY}
  ;; a[k] += b[k] over f64 arrays at a and b = a + 8n: a do-while whose
  ;; range check covers a load and a store of two address expressions.
  (func (export "run") (param $a i32) (param $k i32) (param $n i32) (result i32)
    (local $b i32)
    (local.set $b (i32.add (local.get $a) (i32.shl (local.get $n) (i32.const 3))))
    (loop $add
      (f64.store (i32.add (local.get $a) (i32.shl (local.get $k) (i32.const 3)))
        (f64.add
          (f64.load (i32.add (local.get $a) (i32.shl (local.get $k) (i32.const 3))))
          (f64.convert_i32_u
            (i32.load8_u (i32.add (local.get $b) (local.get $k))))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $add (i32.lt_u (local.get $k) (local.get $n))))
    (local.get $k)))"#;

const PRODUCT_LIMIT: &str = r#"(module
  {MEMORY}
  ;; matmul's checksum loop: a do-while to n * n, computed (and wrapping)
  ;; as the loop computes it.
  (func (export "run") (param $c i32) (param $k i32) (param $n i32) (result i32)
    (local $total i64)
    (loop $check
      (local.set $total
        (i64.add (local.get $total)
          (i64.load (i32.add (local.get $c) (i32.shl (local.get $k) (i32.const 3))))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $check (i32.lt_u (local.get $k) (i32.mul (local.get $n) (local.get $n)))))
    (i32.wrap_i64 (local.get $total))))"#;

const THROUGH_A_CALL: &str = r#"(module
  {MEMORY}
  ;; matmul's addressing: row-major elements through a leaf function that
  ;; the analysis sees through; reads row 2, writes column 2.
  (func $element (param $base i32) (param $n i32) (param $i i32) (param $j i32) (result i32)
    (i32.add (local.get $base)
      (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j))
        (i32.const 3))))
  (func (export "run") (param $a i32) (param $k i32) (param $n i32) (result i32)
    (local $sum i64) (local $row i32)
    (local.set $row (i32.const 2))
    (loop $mul_k
      (local.set $sum
        (i64.add (local.get $sum)
          (i64.load (call $element (local.get $a) (local.get $n) (local.get $row) (local.get $k)))))
      (i64.store (call $element (local.get $a) (local.get $n) (local.get $k) (local.get $row))
        (local.get $sum))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $mul_k (i32.lt_u (local.get $k) (local.get $n))))
    (i32.wrap_i64 (local.get $sum))))"#;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Memory {
    Unshared,
    Shared,
}

/// What one run left behind.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    result: Result<i32, Option<TrapCode>>,
    memory: Vec<u8>,
    fuel_left: Option<u64>,
}

fn run(
    wat: &str,
    memory: Memory,
    versioning: bool,
    fuel: Option<u64>,
    args: (i32, i32, i32),
) -> Outcome {
    let decl = match memory {
        Memory::Unshared => r#"(memory (export "mem") 1)"#,
        Memory::Shared => r#"(memory (export "mem") 1 1 shared)"#,
    };
    let wat = wat.replace("{MEMORY}", decl);
    let mut config = Config::new();
    config
        .wasm_threads(true)
        .loop_versioning(versioning)
        .consume_fuel(fuel.is_some());
    let engine = Engine::new(&config).expect("supported host");
    let module = Module::new(&engine, &wat).expect("valid module");
    let mut store = Store::new(&engine, ());
    if let Some(fuel) = fuel {
        store.set_fuel(fuel).expect("fuel is on");
    }
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    let mem = instance.get_memory(&store, "mem").expect("exported");
    // Non-zero bytes for the copying loop to copy, with a 0 to stop at.
    let seed: Vec<u8> = (0..PAGE as u32).map(|k| (k % 251 + 1) as u8).collect();
    mem.write(&mut store, 0, &seed).expect("in bounds");
    mem.write(&mut store, 1000, &[0]).expect("in bounds");
    let f = instance
        .get_typed_func::<(i32, i32, i32), i32>(&store, "run")
        .expect("exported");
    let result = f
        .call(&mut store, args)
        .map_err(|e| e.as_trap().map(|t| t.code()));
    let mut bytes = vec![0; PAGE as usize];
    mem.read(&store, 0, &mut bytes).expect("in bounds");
    Outcome {
        result,
        memory: bytes,
        fuel_left: fuel.map(|_| store.get_fuel().expect("fuel is on")),
    }
}

/// Runs `wat` with versioning on and off on both memories and asserts
/// the outcomes agree; returns the result (the same everywhere).
fn same_either_way(wat: &str, args: (i32, i32, i32)) -> Result<i32, Option<TrapCode>> {
    let mut result = None;
    for memory in [Memory::Unshared, Memory::Shared] {
        for fuel in [None, Some(1_000_000_000)] {
            let plain = run(wat, memory, false, fuel, args);
            let versioned = run(wat, memory, true, fuel, args);
            assert!(
                plain == versioned,
                "{memory:?}, fuel {fuel:?}, args {args:?}: plain {:?} / fuel {:?}, versioned {:?} / fuel {:?}",
                plain.result,
                plain.fuel_left,
                versioned.result,
                versioned.fuel_left,
            );
            assert_eq!(
                *result.get_or_insert(plain.result),
                plain.result,
                "{memory:?}"
            );
        }
    }
    result.expect("ran")
}

const OOB: Result<i32, Option<TrapCode>> = Err(Some(TrapCode::MemoryOutOfBounds));

#[test]
fn a_while_loop_in_bounds_runs_to_its_end() {
    assert_eq!(same_either_way(WHILE_STORE, (0, 1, PAGE)), Ok(PAGE));
    assert_eq!(same_either_way(WHILE_STORE, (4, 7, 60_000)), Ok(8571));
    assert_eq!(same_either_way(WHILE_STORE, (5, 3, 0)), Ok(0), "n = 0");
    assert_eq!(same_either_way(WHILE_STORE, (9, 3, 9)), Ok(0), "j = n");
}

#[test]
fn a_while_loop_past_the_end_traps_where_the_plain_one_does() {
    assert_eq!(
        same_either_way(WHILE_STORE, (PAGE, 1, PAGE + 5)),
        OOB,
        "first"
    );
    assert_eq!(
        same_either_way(WHILE_STORE, (0, 16, 2 * PAGE)),
        OOB,
        "middle"
    );
    assert_eq!(same_either_way(WHILE_STORE, (0, 1, PAGE + 1)), OOB, "last");
    assert_eq!(same_either_way(WHILE_STORE, (-3, 1, -1)), OOB, "near 2^32");
}

#[test]
fn a_while_loop_whose_index_wraps_ends_like_the_plain_one() {
    // j + step wraps below n again: the loop stores at 2^32 - 8 first.
    assert_eq!(same_either_way(WHILE_STORE, (-8, 16, -1)), OOB);
    // Wrapping back into bounds without ever leaving them: 8, then 2^32 - 8.
    assert_eq!(same_either_way(WHILE_STORE, (8, -16, 100)), Ok(1));
}

#[test]
fn a_do_while_loop_in_bounds_runs_to_its_end() {
    let last = (PAGE - 8) / 4;
    assert_eq!(same_either_way(DO_WHILE_STORE, (0, 1, last)), Ok(last));
    assert_eq!(same_either_way(DO_WHILE_STORE, (3, 5, 40)), Ok(43));
    // The body runs once even when the entry value is past the bound.
    assert_eq!(same_either_way(DO_WHILE_STORE, (50, 1, 10)), Ok(51));
}

#[test]
fn a_do_while_loop_past_the_end_traps_where_the_plain_one_does() {
    let past = (PAGE - 8) / 4 + 1;
    assert_eq!(
        same_either_way(DO_WHILE_STORE, (past, 1, 0)),
        OOB,
        "first, once"
    );
    assert_eq!(
        same_either_way(DO_WHILE_STORE, (past, 1, past + 9)),
        OOB,
        "first"
    );
    assert_eq!(
        same_either_way(DO_WHILE_STORE, (0, 3, past + 3000)),
        OOB,
        "middle"
    );
    assert_eq!(
        same_either_way(DO_WHILE_STORE, (0, 1, past + 1)),
        OOB,
        "last"
    );
}

#[test]
fn a_do_while_loop_whose_addresses_wrap_ends_like_the_plain_one() {
    // i << 2 wraps to 0, 4, 8, 12: in bounds, though the exact product is not.
    let wraps = 0x4000_0000;
    assert_eq!(
        same_either_way(DO_WHILE_STORE, (wraps, 1, wraps + 4)),
        Ok(wraps + 4)
    );
    // 4 * (2^30 - 1) + 4 is exactly 2^32: out of bounds before wrapping.
    assert_eq!(
        same_either_way(DO_WHILE_STORE, (wraps - 1, 1, wraps + 2)),
        OOB
    );
}

#[test]
fn early_exits_leave_a_versioned_loop_like_the_plain_one() {
    assert_eq!(
        same_either_way(EARLY_EXIT, (0, 0, 4000)),
        Ok(1000),
        "at the 0"
    );
    assert_eq!(same_either_way(EARLY_EXIT, (0, 0, 500)), Ok(500), "at n");
    assert_eq!(same_either_way(EARLY_EXIT, (1001, 0, 3000)), Ok(3000));
    // The store side runs off the end: 61440 + 2048 + 2048 > 65536.
    assert_eq!(same_either_way(EARLY_EXIT, (PAGE - 4096, 0, 4000)), OOB);
}

#[test]
fn a_loop_whose_bound_is_written_in_it_stays_correct() {
    assert_eq!(same_either_way(BOUND_WRITTEN, (0, 0, 100)), Ok(100));
    assert_eq!(same_either_way(BOUND_WRITTEN, (0, 1, 1)), OOB);
}

#[test]
fn a_loop_with_two_address_expressions_checks_both() {
    assert_eq!(same_either_way(TWO_ARRAYS, (0, 0, 512)), Ok(512));
    assert_eq!(same_either_way(TWO_ARRAYS, (8, 100, 7250)), Ok(7250));
    // a's side fits (8 * 7300 < 65536), b = a + 8n does not: 58400 + 7300.
    assert_eq!(same_either_way(TWO_ARRAYS, (0, 0, 7300)), OOB);
}

#[test]
fn a_limit_computed_in_the_loop_is_computed_as_the_loop_does() {
    let sum = |c: i32, k: i32, n: i32| same_either_way(PRODUCT_LIMIT, (c, k, n));
    assert!(sum(0, 0, 90).is_ok(), "8 * 90 * 90 fits");
    assert_eq!(sum(0, 0, 91), OOB, "8 * 91 * 91 does not");
    // 65536 * 65536 wraps to 0: the body runs once, at k = 5.
    assert_eq!(sum(0, 5, 65536), sum(40, 0, 1));
    assert!(sum(PAGE - 8, 0, 1).is_ok());
    assert_eq!(sum(PAGE - 7, 0, 1), OOB);
}

#[test]
fn addresses_computed_by_a_leaf_function_are_checked_like_any_other() {
    let run = |a: i32, k: i32, n: i32| same_either_way(THROUGH_A_CALL, (a, k, n));
    assert!(run(0, 0, 80).is_ok(), "8 * (79 * 80 + 2) + 8 fits");
    assert!(run(16, 3, 90).is_ok());
    assert_eq!(run(0, 0, 91), OOB, "8 * (90 * 91 + 2) + 8 does not: last");
    assert_eq!(run(0, 0, 100), OOB, "middle");
    assert_eq!(run(PAGE, 0, 1), OOB, "first");
}

#[test]
fn fuel_runs_out_at_the_same_operator_either_way() {
    for memory in [Memory::Unshared, Memory::Shared] {
        for fuel in [0, 1, 5, 97, 1000, 54_321] {
            for wat in [WHILE_STORE, DO_WHILE_STORE, EARLY_EXIT, THROUGH_A_CALL] {
                let plain = run(wat, memory, false, Some(fuel), (0, 1, 5000));
                let versioned = run(wat, memory, true, Some(fuel), (0, 1, 5000));
                assert_eq!(plain.result, versioned.result, "{memory:?} {fuel}");
                assert_eq!(plain.fuel_left, versioned.fuel_left, "{memory:?} {fuel}");
                assert!(plain.memory == versioned.memory, "{memory:?} {fuel}");
            }
        }
    }
}
