//! Inlining of small leaf functions (`Config::inlining`) changes no
//! behaviour: every module here runs with inlining on and off, and the two
//! must agree on results, memory, globals, trap codes and backtraces, and
//! on the expected values written out in each test. Which calls are
//! inlined is pinned by the golden CLIF (`tests/disas/inline_*.wat`); the
//! modules here have the same shapes.

use weft::{Config, Engine, ErrorKind, Instance, Module, Store, TrapCode, Val};

fn engine(inlining: bool, fuel: bool) -> Engine {
    let mut config = Config::new();
    config
        .wasm_threads(true)
        .inlining(inlining)
        .consume_fuel(fuel);
    Engine::new(&config).expect("supported host")
}

/// What one call did: its results, or its trap.
#[derive(Debug, PartialEq)]
enum Outcome {
    Returned(Vec<String>),
    Trapped(weft::Trap),
}

/// A trap's backtrace as (function index, module name) pairs.
fn frames(trap: &weft::Trap) -> Vec<(u32, Option<String>)> {
    trap.backtrace()
        .iter()
        .map(|f| (f.func_index(), f.module_name().map(str::to_owned)))
        .collect()
}

/// Instantiates `wat` on one engine and makes calls of its exports.
struct Run {
    store: Store<()>,
    instance: Instance,
}

impl Run {
    fn new(engine: &Engine, wat: &str) -> Run {
        let module = Module::new(engine, wat).expect("the test module compiles");
        let mut store = Store::new(engine, ());
        let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
        Run { store, instance }
    }

    fn call(&mut self, export: &str, args: &[Val]) -> Outcome {
        let func = self
            .instance
            .get_func(&mut self.store, export)
            .expect("the export exists");
        let count = func.ty(&self.store).expect("a type").results().len();
        let mut results = vec![Val::I32(0); count];
        match func.call(&mut self.store, args, &mut results) {
            Ok(()) => Outcome::Returned(results.iter().map(|v| format!("{v:?}")).collect()),
            Err(e) => Outcome::Trapped(e.as_trap().expect("only traps fail").clone()),
        }
    }

    /// `len` bytes of memory `memory` from `at`.
    fn memory(&mut self, memory: &str, at: usize, len: usize) -> Vec<u8> {
        let memory = self
            .instance
            .get_memory(&mut self.store, memory)
            .expect("the memory export exists");
        memory.data(&self.store).expect("unshared")[at..at + len].to_vec()
    }

    fn global(&mut self, global: &str) -> String {
        let global = self
            .instance
            .get_global(&mut self.store, global)
            .expect("the global export exists");
        format!("{:?}", global.get(&self.store).expect("a live global"))
    }
}

/// Runs every call of `calls` in order on one instance per setting, checks
/// that both settings agree call by call, and returns the outcomes.
fn agree(wat: &str, calls: &[(&str, Vec<Val>)]) -> Vec<Outcome> {
    let mut on = Run::new(&engine(true, false), wat);
    let mut off = Run::new(&engine(false, false), wat);
    calls
        .iter()
        .map(|(export, args)| {
            let inlined = on.call(export, args);
            assert_eq!(inlined, off.call(export, args), "{export}{args:?}");
            inlined
        })
        .collect()
}

/// The trap of an outcome that must be one.
fn trapped(outcome: &Outcome) -> &weft::Trap {
    match outcome {
        Outcome::Trapped(trap) => trap,
        Outcome::Returned(values) => panic!("expected a trap, returned {values:?}"),
    }
}

fn returned(values: &[&str]) -> Outcome {
    Outcome::Returned(values.iter().map(|v| (*v).to_owned()).collect())
}

fn i32s(values: &[i32]) -> Vec<Val> {
    values.iter().map(|&v| Val::I32(v)).collect()
}

/// matmul's `$element` and a caller that loads and stores through it.
const ELEMENT: &str = r#"(module
  (memory (export "memory") 1)
  (func $element (param $base i32) (param $n i32) (param $i i32) (param $j i32) (result i32)
    (i32.add (local.get $base)
      (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j))
        (i32.const 3))))
  (func (export "store") (param $n i32) (param $i i32) (param $j i32) (param $v i64)
    (i64.store (call $element (i32.const 8) (local.get $n) (local.get $i) (local.get $j))
      (local.get $v)))
  (func (export "load") (param $n i32) (param $i i32) (param $j i32) (result i64)
    (i64.load (call $element (i32.const 8) (local.get $n) (local.get $i) (local.get $j)))))"#;

#[test]
fn an_inlined_address_computation_gives_the_same_results() {
    let outcomes = agree(
        ELEMENT,
        &[
            (
                "store",
                vec![Val::I32(4), Val::I32(1), Val::I32(2), Val::I64(77)],
            ),
            ("load", i32s(&[4, 1, 2])),
            ("load", i32s(&[2, 3, 0])),
            ("load", i32s(&[4, 0, 0])),
        ],
    );
    assert_eq!(outcomes[1], returned(&["I64(77)"]));
    // (3 * 2 + 0) == (1 * 4 + 2): the same element.
    assert_eq!(outcomes[2], returned(&["I64(77)"]));
    assert_eq!(outcomes[3], returned(&["I64(0)"]));
}

#[test]
fn an_access_through_an_inlined_address_traps_in_the_caller() {
    let outcomes = agree(ELEMENT, &[("load", i32s(&[1024, 8, 0]))]);
    let trap = trapped(&outcomes[0]);
    assert_eq!(trap.code(), TrapCode::MemoryOutOfBounds);
    // The load is the caller's (2); `$element` (0) had returned.
    assert_eq!(trap.func_index(), Some(2));
    assert_eq!(frames(trap), [(2, None)]);
}

/// Traps inside leaves, under a non-leaf `$middle` (never inlined: it
/// calls), in a named module, so that backtraces have three frames and a
/// name.
const TRAPS: &str = r#"(module $traps
  (memory 1 1 shared)
  (func $load (param i32) (result i32) (i32.load (local.get 0)))
  (func $div (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func $never (param i32) (result i32)
    (if (local.get 0) (then (unreachable)))
    (i32.const 7))
  (func $atomic (param i32) (result i32) (i32.atomic.load (local.get 0)))
  (func $middle (param $which i32) (param $a i32) (param $b i32) (result i32)
    (block $d (block $c (block $b (block $a
      (br_table $a $b $c $d (local.get $which)))
      (return (call $load (local.get $a))))
      (return (call $div (local.get $a) (local.get $b))))
      (return (call $never (local.get $a))))
    (call $atomic (local.get $a)))
  (func (export "run") (param i32 i32 i32) (result i32)
    (call $middle (local.get 0) (local.get 1) (local.get 2))))"#;

#[test]
fn a_trap_in_an_inlined_callee_has_the_backtrace_of_a_real_call() {
    let name = Some("traps".to_owned());
    let cases = [
        (i32s(&[0, 65536, 0]), TrapCode::MemoryOutOfBounds, 0),
        (i32s(&[1, 1, 0]), TrapCode::IntegerDivisionByZero, 1),
        (i32s(&[1, i32::MIN, -1]), TrapCode::IntegerOverflow, 1),
        (i32s(&[2, 1, 0]), TrapCode::Unreachable, 2),
        (i32s(&[3, 2, 0]), TrapCode::UnalignedAtomic, 3),
    ];
    for (args, code, callee) in cases {
        let outcomes = agree(TRAPS, &[("run", args.clone())]);
        let trap = trapped(&outcomes[0]);
        assert_eq!(trap.code(), code, "{args:?}");
        assert_eq!(trap.func_index(), Some(callee), "{args:?}");
        assert_eq!(trap.module_name(), name.as_deref(), "{args:?}");
        assert_eq!(
            frames(trap),
            [(callee, name.clone()), (4, name.clone()), (5, name.clone())],
            "{args:?}"
        );
    }
    let fine = agree(
        TRAPS,
        &[
            ("run", i32s(&[1, 42, 5])),
            ("run", i32s(&[2, 0, 0])),
            ("run", i32s(&[0, 0, 0])),
        ],
    );
    assert_eq!(
        fine,
        [
            returned(&["I32(8)"]),
            returned(&["I32(7)"]),
            returned(&["I32(0)"])
        ]
    );
}

#[test]
fn a_callee_that_always_traps_leaves_the_rest_of_the_caller_dead() {
    let wat = r#"(module
      (func $fail (result i32) (unreachable))
      (func (export "run") (param i32) (result i32)
        (block $out (result i32)
          (drop (br_if $out (i32.const 5) (local.get 0)))
          (i32.add (call $fail) (i32.const 1))
          (drop)
          (i32.const 9))))"#;
    let outcomes = agree(wat, &[("run", i32s(&[1])), ("run", i32s(&[0]))]);
    assert_eq!(outcomes[0], returned(&["I32(5)"]));
    let trap = trapped(&outcomes[1]);
    assert_eq!(frames(trap), [(0, None), (1, None)]);
}

#[test]
fn multi_value_callees_with_returns_in_nested_blocks() {
    let wat = r#"(module
      (func $split (param $x i32) (result i32 i64 f64)
        (block $outer
          (block $inner
            (br_if $inner (i32.eqz (local.get $x)))
            (if (i32.gt_s (local.get $x) (i32.const 10))
              (then
                (return (local.get $x) (i64.const 10) (f64.const 1.5))))
            (br $outer))
          (return (i32.const 0) (i64.const 0) (f64.const 0)))
        (local.get $x)
        (i64.extend_i32_s (i32.mul (local.get $x) (i32.const 3)))
        (f64.convert_i32_s (local.get $x)))
      (func (export "run") (param i32) (result i64 f64 i32)
        (local $a i32) (local $b i64) (local $c f64)
        (call $split (local.get 0))
        (local.set $c)
        (local.set $b)
        (local.set $a)
        (local.get $b) (local.get $c) (local.get $a)))"#;
    let outcomes = agree(
        wat,
        &[
            ("run", i32s(&[0])),
            ("run", i32s(&[4])),
            ("run", i32s(&[11])),
        ],
    );
    assert_eq!(
        outcomes,
        [
            returned(&["I64(0)", "F64(0)", "I32(0)"]),
            returned(&["I64(12)", &format!("F64({})", 4f64.to_bits()), "I32(4)"]),
            returned(&["I64(10)", &format!("F64({})", 1.5f64.to_bits()), "I32(11)"]),
        ]
    );
}

#[test]
fn branches_count_the_callees_own_blocks() {
    // `br_if 0` at the callee's top level leaves the callee (its body is
    // the outermost label), with the value it carries; `br_if 1` from a
    // block does too. The caller's own blocks around the call are never targets.
    let wat = r#"(module
      (func $pick (param $x i32) (result i32)
        (br_if 0 (i32.const 100) (i32.eq (local.get $x) (i32.const 1)))
        (drop)
        (block (result i32)
          (br_if 1 (i32.const 200) (i32.eq (local.get $x) (i32.const 2)))
          (drop)
          (local.get $x))
        (i32.const 2)
        (i32.mul))
      (func (export "run") (param i32) (result i32)
        (block $caller (result i32)
          (i32.add (call $pick (local.get 0)) (i32.const 1)))))"#;
    let outcomes = agree(
        wat,
        &[
            ("run", i32s(&[1])),
            ("run", i32s(&[2])),
            ("run", i32s(&[5])),
        ],
    );
    assert_eq!(
        outcomes,
        [
            returned(&["I32(101)"]),
            returned(&["I32(201)"]),
            returned(&["I32(11)"])
        ]
    );
}

#[test]
fn a_callee_has_its_own_locals() {
    // The callee writes its parameter and a local; the caller's locals of
    // the same indices keep their values.
    let wat = r#"(module
      (func $bump (param $x i32) (result i32) (local $t i32)
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (local.set $x (i32.add (local.get $x) (local.get $t)))
        (local.get $x))
      (func (export "run") (param $x i32) (result i32 i32) (local $t i32)
        (local.set $t (i32.const 40))
        (call $bump (call $bump (local.get $x)))
        (i32.add (local.get $x) (local.get $t))))"#;
    let outcomes = agree(wat, &[("run", i32s(&[2]))]);
    assert_eq!(outcomes, [returned(&["I32(4)", "I32(42)"])]);
}

#[test]
fn a_callee_reads_and_writes_the_callers_globals_and_memory() {
    let wat = r#"(module
      (memory (export "memory") 1)
      (global $count (export "count") (mut i32) (i32.const 0))
      (func $push (param $v i32)
        (i32.store (i32.shl (global.get $count) (i32.const 2)) (local.get $v))
        (global.set $count (i32.add (global.get $count) (i32.const 1))))
      (func $top (result i32)
        (i32.load (i32.shl (i32.sub (global.get $count) (i32.const 1)) (i32.const 2))))
      (func (export "run") (param i32) (result i32)
        (call $push (local.get 0))
        (call $push (i32.mul (local.get 0) (i32.const 2)))
        (i32.add (call $top) (global.get $count))))"#;
    let mut on = Run::new(&engine(true, false), wat);
    let mut off = Run::new(&engine(false, false), wat);
    for run in [&mut on, &mut off] {
        assert_eq!(run.call("run", &i32s(&[5])), returned(&["I32(12)"]));
        assert_eq!(run.call("run", &i32s(&[7])), returned(&["I32(18)"]));
        assert_eq!(run.global("count"), "I32(4)");
        let words: Vec<u8> = [5u32, 10, 7, 14]
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect();
        assert_eq!(run.memory("memory", 0, 16), words);
    }
}

#[test]
fn an_invalid_callee_is_reported_at_its_own_index() {
    // The caller (0) is valid and comes first; the small leaf it calls (1)
    // returns an i64 as an i32. Whether or not the call would be inlined,
    // the error is the callee's.
    let wat = r#"(module
      (func (export "run") (param i32) (result i32) (call 1 (local.get 0)))
      (func (param i32) (result i32) (i64.const 0)))"#;
    let mut messages = Vec::new();
    for inlining in [true, false] {
        let error = Module::new(&engine(inlining, false), wat).expect_err("invalid");
        match error.kind() {
            ErrorKind::InvalidModule { func_index, .. } => {
                assert_eq!(*func_index, Some(1), "inlining: {inlining}");
            }
            other => panic!("not a validation error: {other}"),
        }
        messages.push(error.to_string());
    }
    assert_eq!(messages[0], messages[1]);
}

#[test]
fn fuel_is_charged_exactly_as_without_inlining() {
    // With fuel on nothing is inlined: each body charges its own segments.
    let mut left = Vec::new();
    for inlining in [true, false] {
        let engine = engine(inlining, true);
        let module = Module::new(&engine, ELEMENT).expect("compiles");
        let mut store = Store::new(&engine, ());
        store.set_fuel(1_000).expect("fuel is on");
        let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
        let load = instance
            .get_typed_func::<(i32, i32, i32), i64>(&mut store, "load")
            .expect("export");
        load.call(&mut store, (4, 1, 2)).expect("in bounds");
        left.push(store.get_fuel().expect("fuel is on"));
    }
    assert_eq!(left[0], left[1]);
    assert!(left[0] < 1_000);
}

/// Inlining meets bounds-check fusion (on by default): a check inside an
/// inlined callee need not dominate the code after the call (here a
/// conditional `return` skips it), so it must not cover the caller's
/// access of the same address; and a check the caller opened before the
/// call must not be widened by a callee access, whose trap names the
/// callee.
const FUSION_ACROSS_THE_CALL: &str = r#"(module
  (memory (export "memory") 1)
  (func $maybe_load (param $p i32) (param $skip i32)
    (if (local.get $skip) (then (return)))
    (drop (i32.load (local.get $p))))
  (func $load_further (param $p i32) (result i32)
    (i32.load offset=8 (local.get $p)))
  (func (export "after_a_skipped_check") (param $p i32) (param $skip i32) (result i32)
    (call $maybe_load (local.get $p) (local.get $skip))
    (i32.load (local.get $p)))
  (func (export "before_a_callee_access") (param $p i32) (result i32)
    (i32.add (i32.load (local.get $p)) (call $load_further (local.get $p)))))"#;

#[test]
fn bounds_checks_are_not_shared_across_an_inlined_body() {
    let outcomes = agree(
        FUSION_ACROSS_THE_CALL,
        &[
            ("after_a_skipped_check", i32s(&[65536, 1])),
            ("after_a_skipped_check", i32s(&[65536, 0])),
            ("after_a_skipped_check", i32s(&[16, 1])),
            ("before_a_callee_access", i32s(&[65528])),
            ("before_a_callee_access", i32s(&[16])),
        ],
    );
    assert_eq!(trapped(&outcomes[0]).code(), TrapCode::MemoryOutOfBounds);
    assert_eq!(
        trapped(&outcomes[0]).func_index(),
        Some(2),
        "the caller's load"
    );
    assert_eq!(
        trapped(&outcomes[1]).func_index(),
        Some(0),
        "the callee's load"
    );
    assert_eq!(outcomes[2], returned(&["I32(0)"]));
    let callee = trapped(&outcomes[3]);
    assert_eq!(callee.code(), TrapCode::MemoryOutOfBounds);
    assert_eq!(
        frames(callee).iter().map(|f| f.0).collect::<Vec<_>>(),
        [1, 3],
        "the callee's access traps, not the caller's widened check"
    );
    assert_eq!(outcomes[4], returned(&["I32(0)"]));
}
