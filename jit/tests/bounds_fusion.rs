//! Bounds-check fusion and elimination change no program: every case runs
//! with `Config::bounds_check_fusion` on and off, and the two runs must
//! agree on the result or trap, on every byte of every memory after it,
//! and on the exported global. Each case also states the outcome the spec
//! gives, so that the two runs cannot agree on something wrong.
//!
//! The addresses sit near the end of a one-page memory, where a check
//! widened too far or dropped where it was still needed shows up as a
//! different trap, a trap that should not happen, or a store missing
//! after a trap. Each case runs on an unshared and on a shared memory.

use weft::{Config, Engine, Instance, Module, Store, TrapCode, Val};

/// One page: the first address past the end of `$m`.
const END: i32 = 65536;

/// The functions under test, over one memory `$m` (declared by
/// [`module`]) and a second one `$n` of two pages. Every export takes `i32`
/// parameters and returns an `i32`. Address 100 is where the cases store a
/// marker before they may trap.
const FUNCS: &str = r#"
  (memory $n (export "mem1") 2 2)
  (global $g (export "g") (mut i32) (i32.const 0))
  (data (memory $m) (i32.const 0) "\01\00\00\00\02\00\00\00\03\00\00\00\04\00\00\00")
  (data (memory $m) (i32.const 65520) "\05\00\00\00\06\00\00\00\07\00\00\00\08\00\00\00")

  ;; Offsets 0, 8, 4: one check of end 12.
  (func (export "three_loads") (param $p i32) (result i32)
    (i32.add
      (i32.add (i32.load (local.get $p)) (i32.load offset=8 (local.get $p)))
      (i32.load offset=4 (local.get $p))))

  ;; The load's check is widened by the store: trapping at the load is
  ;; what the store's trap looks like, since nothing happened in between.
  (func (export "load_then_store") (param $p i32) (result i32)
    (i32.store offset=8 (local.get $p) (i32.load (local.get $p)))
    (i32.load offset=8 (local.get $p)))

  ;; A store between two loads: the marker must be in memory when the
  ;; second load traps.
  (func (export "store_between") (param $p i32) (result i32)
    (local $x i32)
    (local.set $x (i32.load (local.get $p)))
    (i32.store (i32.const 100) (i32.const 0x5a5a))
    (i32.add (local.get $x) (i32.load offset=8 (local.get $p))))

  ;; A store of the second memory between two loads of the first.
  (func (export "other_memory_store_between") (param $p i32) (result i32)
    (local $x i32)
    (local.set $x (i32.load (local.get $p)))
    (i32.store $n (i32.const 100) (i32.const 0x5a5a))
    (i32.add (local.get $x) (i32.load offset=8 (local.get $p))))

  ;; A division by zero between: it traps first.
  (func (export "div_between") (param $p i32) (param $d i32) (result i32)
    (local $x i32)
    (local.set $x (i32.div_u (i32.load (local.get $p)) (local.get $d)))
    (i32.add (local.get $x) (i32.load offset=8 (local.get $p))))

  ;; `global.set` between: the global is set when the second load traps.
  (func (export "global_set_between") (param $p i32) (result i32)
    (local $x i32)
    (local.set $x (i32.load (local.get $p)))
    (global.set $g (i32.const 7))
    (i32.add (local.get $x) (i32.load offset=8 (local.get $p))))

  ;; A call between, whose store must be visible after the trap.
  (func $mark (i32.store (i32.const 100) (i32.const 0x5a5a)))
  (func (export "call_between") (param $p i32) (result i32)
    (local $x i32)
    (local.set $x (i32.load (local.get $p)))
    (call $mark)
    (i32.add (local.get $x) (i32.load offset=8 (local.get $p))))

  ;; An atomic access checks alignment before bounds: a misaligned one
  ;; after an in-bounds load traps "unaligned atomic", whatever its end.
  (func (export "atomic_between") (param $p i32) (result i32)
    (i32.add (i32.load (local.get $p)) (i32.atomic.load offset=8 (local.get $p))))

  ;; Between the two loads the memory grows: the second one is then in
  ;; bounds and must not trap.
  (func (export "grow_between") (param $p i32) (result i32)
    (local $x i32)
    (local.set $x (i32.load (local.get $p)))
    (drop (memory.grow $m (i32.const 1)))
    (i32.add (local.get $x) (i32.load offset=8 (local.get $p))))

  ;; A check before the `if` covers smaller ends inside and after it; the
  ;; arm's larger check covers nothing after the `if`, which must check
  ;; again and, when the arm did not run, trap there.
  (func (export "around_if") (param $p i32) (param $c i32) (result i32)
    (local $x i32)
    (local.set $x (i32.load offset=8 (local.get $p)))
    (if (local.get $c)
      (then
        (local.set $x (i32.add (local.get $x) (i32.load offset=4 (local.get $p))))
        (local.set $x (i32.add (local.get $x) (i32.load offset=12 (local.get $p))))))
    (i32.store (i32.const 100) (local.get $x))
    (i32.add
      (i32.add (local.get $x) (i32.load (local.get $p)))
      (i32.load offset=12 (local.get $p))))

  ;; The same index in two memories: a check of one covers nothing in the
  ;; other. `$n` is twice as long as `$m`.
  (func (export "two_memories") (param $p i32) (result i32)
    (i32.add
      (i32.load $n offset=8 (local.get $p))
      (i32.add (i32.load $m (local.get $p)) (i32.load $n (local.get $p)))))

  ;; A loop reading two words per iteration off one index, storing their
  ;; sum: each iteration's store must be visible when a later one traps.
  (func (export "loop_sums") (param $p i32) (result i32)
    (loop $next
      (i32.store offset=8 (local.get $p)
        (i32.add (i32.const 1)
          (i32.add (i32.load (local.get $p)) (i32.load offset=4 (local.get $p)))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br_if $next (i32.lt_u (local.get $p) (i32.const 65536))))
    (local.get $p))
"#;

/// The module over `$m` declared as `memory` (`1 2` or `1 2 shared`).
fn module(memory: &str) -> String {
    format!(r#"(module (memory $m (export "mem0") {memory}) {FUNCS})"#)
}

/// Everything a call leaves behind that a host can see.
#[derive(Debug, PartialEq)]
struct Outcome {
    result: Result<i32, TrapCode>,
    memories: Vec<Vec<u8>>,
    global: i32,
}

fn run(wat: &str, fusion: bool, export: &str, args: &[i32]) -> Outcome {
    let mut config = Config::new();
    config
        .wasm_threads(true)
        .wasm_multi_memory(true)
        .bounds_check_fusion(fusion);
    let engine = Engine::new(&config).expect("this host supports the JIT");
    let module = Module::new(&engine, wat).expect("valid module");
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    let func = instance.get_func(&store, export).expect("exported");
    let params: Vec<Val> = args.iter().map(|&a| Val::I32(a)).collect();
    let mut results = [Val::I32(0)];
    let result = match func.call(&mut store, &params, &mut results) {
        Ok(()) => match results[0] {
            Val::I32(v) => Ok(v),
            ref other => panic!("{export} returned {other:?}"),
        },
        Err(e) => Err(e
            .as_trap()
            .map(|t| t.code())
            .unwrap_or_else(|| panic!("{export} failed without a trap: {e}"))),
    };
    let memories = ["mem0", "mem1"]
        .iter()
        .map(|name| {
            let memory = instance.get_memory(&store, name).expect("exported memory");
            let mut bytes = vec![0; memory.data_size(&store).expect("live memory")];
            memory.read(&store, 0, &mut bytes).expect("in bounds");
            bytes
        })
        .collect();
    let global = match instance
        .get_global(&store, "g")
        .expect("exported")
        .get(&store)
    {
        Ok(Val::I32(v)) => v,
        other => panic!("global g is {other:?}"),
    };
    Outcome {
        result,
        memories,
        global,
    }
}

/// Runs `export(args)` with fusion on and off, on an unshared and a shared
/// memory; checks that the two runs leave the same state behind and that
/// the result is `expected`. Returns the outcome (with fusion on, unshared).
fn check(export: &str, args: &[i32], expected: Result<i32, TrapCode>) -> Outcome {
    let mut first = None;
    for memory in ["1 2", "1 2 shared"] {
        let wat = module(memory);
        let on = run(&wat, true, export, args);
        let off = run(&wat, false, export, args);
        let differs = on
            .memories
            .iter()
            .zip(&off.memories)
            .map(|(a, b)| a.iter().zip(b).position(|(x, y)| x != y))
            .collect::<Vec<_>>();
        assert!(
            on == off,
            "{export}{args:?} on ({memory}): fusion on {:?} global {}, off {:?} global {}; \
             first differing byte per memory: {differs:?}",
            on.result,
            on.global,
            off.result,
            off.global,
        );
        assert_eq!(on.result, expected, "{export}{args:?} on ({memory})");
        first.get_or_insert(on);
    }
    first.expect("two runs")
}

fn word(outcome: &Outcome, memory: usize, at: usize) -> u32 {
    let bytes = &outcome.memories[memory][at..at + 4];
    u32::from_le_bytes(bytes.try_into().expect("four bytes"))
}

const OOB: Result<i32, TrapCode> = Err(TrapCode::MemoryOutOfBounds);

#[test]
fn fused_loads_trap_exactly_when_one_of_them_is_out_of_bounds() {
    check("three_loads", &[0], Ok(1 + 3 + 2));
    check("three_loads", &[END - 16], Ok(5 + 7 + 6));
    check("three_loads", &[END - 12], Ok(6 + 8 + 7));
    // Only the load at offset 8 is out of bounds, or the one at 4 too.
    check("three_loads", &[END - 11], OOB);
    check("three_loads", &[END - 8], OOB);
    check("three_loads", &[END - 4], OOB);
    check("three_loads", &[END], OOB);
    check("three_loads", &[-1], OOB);
}

#[test]
fn a_store_that_widens_a_load_check_stores_only_when_in_bounds() {
    let done = check("load_then_store", &[END - 12], Ok(6));
    assert_eq!(word(&done, 0, 65532), 6, "the store happened");
    let trapped = check("load_then_store", &[END - 8], OOB);
    assert_eq!(word(&trapped, 0, 65528), 7, "nothing stored");
    assert_eq!(word(&trapped, 0, 65532), 8, "nothing stored");
}

#[test]
fn a_store_before_an_out_of_bounds_load_is_visible_after_the_trap() {
    let trapped = check("store_between", &[END - 8], OOB);
    assert_eq!(word(&trapped, 0, 100), 0x5a5a);
    let trapped = check("other_memory_store_between", &[END - 8], OOB);
    assert_eq!(word(&trapped, 1, 100), 0x5a5a);
    check("store_between", &[END - 12], Ok(6 + 8));
}

#[test]
fn a_trap_between_two_loads_comes_first() {
    check(
        "div_between",
        &[END - 8, 0],
        Err(TrapCode::IntegerDivisionByZero),
    );
    check("div_between", &[END - 8, 1], OOB);
    check("div_between", &[END - 12, 2], Ok(3 + 8));
}

#[test]
fn a_global_set_before_an_out_of_bounds_load_is_visible_after_the_trap() {
    let trapped = check("global_set_between", &[END - 8], OOB);
    assert_eq!(trapped.global, 7);
}

#[test]
fn a_call_before_an_out_of_bounds_load_has_its_effects() {
    let trapped = check("call_between", &[END - 8], OOB);
    assert_eq!(word(&trapped, 0, 100), 0x5a5a);
}

#[test]
fn an_atomic_access_checks_alignment_before_any_widened_bounds() {
    check("atomic_between", &[END - 7], Err(TrapCode::UnalignedAtomic));
    check("atomic_between", &[END - 8], OOB);
    check("atomic_between", &[END - 12], Ok(6 + 8));
}

#[test]
fn a_load_after_memory_grow_sees_the_grown_memory() {
    check("grow_between", &[END - 8], Ok(7));
    check("grow_between", &[END - 4], Ok(8));
    check("grow_between", &[END], OOB);
}

#[test]
fn checks_inside_an_if_cover_nothing_after_it() {
    check("around_if", &[END - 16, 1], Ok((7 + 6 + 8) + 5 + 8));
    check("around_if", &[END - 16, 0], Ok(7 + 5 + 8));
    // The arm's load at offset 12 traps; without the arm, the load after
    // the `if` does, once the store before it happened.
    check("around_if", &[END - 12, 1], OOB);
    let trapped = check("around_if", &[END - 12, 0], OOB);
    assert_eq!(word(&trapped, 0, 100), 8);
}

#[test]
fn a_check_of_one_memory_covers_nothing_in_another() {
    check("two_memories", &[END - 2], OOB);
    check("two_memories", &[END - 4], Ok(8));
    check("two_memories", &[END - 8], Ok(7));
    check("two_memories", &[2 * END - 12], OOB);
}

#[test]
fn every_iteration_before_the_trapping_one_keeps_its_store() {
    let trapped = check("loop_sums", &[END - 24], OOB);
    // Each iteration stores 1 + the two words before; the one at END - 8,
    // which would store at END, traps.
    let words: Vec<u32> = (65520..END as usize)
        .step_by(4)
        .map(|at| word(&trapped, 0, at))
        .collect();
    assert_eq!(words, [1, 2, 4, 7]);
}
