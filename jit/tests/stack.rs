//! Deep recursion traps with "call stack exhausted" and never crashes the
//! host, whatever the host thread's stack size and `max_wasm_stack`.

use weft::{Config, Engine, Instance, Module, Store, TrapCode};

const WAT: &str = r#"(module
  (func $down (export "down") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $down (i32.sub (local.get 0) (i32.const 1)))))))
  (func $forever (export "forever") (param i64 i64 i64 i64) (result i64)
    (call $forever (local.get 0) (local.get 1) (local.get 2) (local.get 3))))"#;

fn run_on_thread(stack_size: usize, max_wasm_stack: usize) -> (TrapCode, i32) {
    std::thread::Builder::new()
        .stack_size(stack_size)
        .spawn(move || {
            let mut config = Config::new();
            config.max_wasm_stack(max_wasm_stack);
            let engine = Engine::new(&config).expect("supported host");
            let module = Module::new(&engine, WAT).expect("compiles");
            let mut store = Store::new(&engine, ());
            let i = Instance::new(&mut store, &module, &[]).expect("instantiates");
            let forever = i
                .get_typed_func::<(i64, i64, i64, i64), i64>(&store, "forever")
                .expect("typed");
            let e = forever
                .call(&mut store, (1, 2, 3, 4))
                .expect_err("never returns");
            let code = e.as_trap().expect("a trap").code();
            let down = i.get_typed_func::<i32, i32>(&store, "down").expect("typed");
            let shallow = down.call(&mut store, 100).expect("100 frames fit");
            (code, shallow)
        })
        .expect("spawn")
        .join()
        .expect("the thread must not crash")
}

#[test]
fn infinite_recursion_traps_on_a_default_thread() {
    assert_eq!(
        run_on_thread(2 << 20, 1 << 20),
        (TrapCode::StackOverflow, 100)
    );
}

#[test]
fn a_limit_larger_than_the_thread_stack_is_clamped() {
    // 64 MiB of wasm stack asked for on a 1 MiB thread: the limit follows
    // the real stack, so this traps instead of hitting the guard page.
    assert_eq!(
        run_on_thread(1 << 20, 64 << 20),
        (TrapCode::StackOverflow, 100)
    );
}

#[test]
fn a_small_limit_traps_early() {
    let engine = {
        let mut config = Config::new();
        config.max_wasm_stack(64 * 1024);
        Engine::new(&config).expect("supported host")
    };
    let module = Module::new(&engine, WAT).expect("compiles");
    let mut store = Store::new(&engine, ());
    let i = Instance::new(&mut store, &module, &[]).expect("instantiates");
    let down = i.get_typed_func::<i32, i32>(&store, "down").expect("typed");
    assert_eq!(down.call(&mut store, 10).expect("fits"), 10);
    let e = down
        .call(&mut store, 1_000_000)
        .expect_err("too deep for 64 KiB");
    assert_eq!(e.as_trap().map(|t| t.code()), Some(TrapCode::StackOverflow));
}
