//! Wasm backtraces of traps: collected on the trap path, without unwinding.

use weft::{Engine, Instance, Module, Store, TrapCode};

fn trap_of(wat: &str, export: &str) -> weft::Trap {
    let engine = Engine::default();
    let module = Module::new(&engine, wat).expect("the test module compiles");
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    let run = instance
        .get_typed_func::<(), ()>(&mut store, export)
        .expect("export");
    let error = run.call(&mut store, ()).expect_err("the call traps");
    error.as_trap().expect("a trap").clone()
}

fn indices(trap: &weft::Trap) -> Vec<u32> {
    trap.backtrace().iter().map(|f| f.func_index()).collect()
}

#[test]
fn a_trap_lists_every_frame_it_leaves_innermost_first() {
    let trap = trap_of(
        r#"(module
            (type $v (func))
            (table 1 funcref)
            (elem (i32.const 0) $deep)
            (func $deep unreachable)
            (func $middle (call_indirect (type $v) (i32.const 0)))
            (func $outer call $middle)
            (func (export "run") call $outer))"#,
        "run",
    );
    assert_eq!(trap.code(), TrapCode::Unreachable);
    assert_eq!(trap.func_index(), Some(0));
    assert_eq!(indices(&trap), [0, 1, 2, 3]);
    assert_eq!(trap.omitted_frames(), 0);
}

#[test]
fn a_later_trap_does_not_inherit_an_earlier_backtrace() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module
            (func $deep unreachable)
            (func (export "deep") call $deep)
            (func (export "shallow") unreachable))"#,
    )
    .expect("compiles");
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    for (export, expected) in [
        ("deep", vec![0, 1]),
        ("shallow", vec![2]),
        ("deep", vec![0, 1]),
    ] {
        let run = instance
            .get_typed_func::<(), ()>(&mut store, export)
            .expect("export");
        let error = run.call(&mut store, ()).expect_err("traps");
        assert_eq!(
            indices(error.as_trap().expect("a trap")),
            expected,
            "{export}"
        );
    }
}

#[test]
fn deep_recursion_keeps_the_innermost_64_frames_and_counts_the_rest() {
    // $down recurses 100 times, then divides by zero: 101 frames of $down
    // and the export's own.
    let trap = trap_of(
        r#"(module
            (func $down (param i32)
              local.get 0
              if
                local.get 0
                i32.const 1
                i32.sub
                call $down
              else
                i32.const 1
                i32.const 0
                i32.div_u
                drop
              end)
            (func (export "run") i32.const 100 call $down))"#,
        "run",
    );
    assert_eq!(trap.code(), TrapCode::IntegerDivisionByZero);
    assert_eq!(indices(&trap), vec![0; 64]);
    assert_eq!(trap.omitted_frames(), 102 - 64);
}
