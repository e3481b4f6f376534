//! Compiling in parallel from one queue, largest functions first, still
//! reports the error a serial compile in module order would: the first
//! invalid function by index, whatever the threads' timing.

use weft::{Config, Engine, ErrorKind, Module};

/// A module of `count` functions of different sizes, the last exported as
/// `f`, where the functions in `invalid` return an `i64` where an `i32` is
/// declared.
fn module(count: u32, invalid: &[u32]) -> String {
    let mut text = String::from("(module\n");
    for f in 0..count {
        // Later functions are larger, so the queue starts with them: the
        // invalid ones late in module order fail first.
        let mut sum = String::from("(i32.const 0)");
        for i in 0..f * 8 {
            sum = format!("(i32.add {sum} (i32.const {i}))");
        }
        let body = if invalid.contains(&f) {
            format!("(drop {sum}) (i64.const 0)")
        } else {
            sum
        };
        let export = if f + 1 == count {
            "(export \"f\") "
        } else {
            ""
        };
        text.push_str(&format!("  (func {export}(result i32) {body})\n"));
    }
    text.push(')');
    text
}

fn invalid_function(engine: &Engine, text: &str) -> Option<u32> {
    let error = Module::new(engine, text).expect_err("the module is invalid");
    match error.kind() {
        ErrorKind::InvalidModule { func_index, .. } => *func_index,
        other => panic!("not a validation error: {other}"),
    }
}

#[test]
fn the_first_invalid_function_in_module_order_is_reported() {
    let text = module(48, &[9, 40, 41]);
    for parallel in [false, true] {
        let mut config = Config::new();
        config.parallel_compilation(parallel);
        let engine = Engine::new(&config).expect("engine");
        for _ in 0..20 {
            assert_eq!(
                invalid_function(&engine, &text),
                Some(9),
                "parallel: {parallel}"
            );
        }
    }
}

#[test]
fn a_valid_module_of_many_sizes_compiles_and_runs() {
    let text = module(48, &[]);
    let engine = Engine::default();
    let module = Module::new(&engine, &text).expect("valid");
    let mut store = weft::Store::new(&engine, ());
    let instance = weft::Instance::new(&mut store, &module, &[]).expect("instantiates");
    let f = instance
        .get_typed_func::<(), i32>(&mut store, "f")
        .expect("exported");
    // Function 47 adds 0..376.
    assert_eq!(f.call(&mut store, ()).expect("runs"), (0..376).sum::<i32>());
}
