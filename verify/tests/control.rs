//! Control flow: blocks, loops, branches with values, multi-value, calls,
//! recursion limits.

use weft_verify::interp::{Instance, Module, Trap, Value};

fn instance(wat: &str) -> Instance {
    let wasm = wat::parse_str(wat).expect("test module is valid text");
    let module = Module::new(&wasm).expect("test module validates");
    Instance::new(&module, &[]).expect("test module instantiates")
}

#[test]
fn factorial_by_loop_and_by_recursion() {
    let i = instance(
        r#"(module
          (func $rec (export "rec") (param i64) (result i64)
            (if (result i64) (i64.eqz (local.get 0))
              (then (i64.const 1))
              (else (i64.mul (local.get 0) (call $rec (i64.sub (local.get 0) (i64.const 1)))))))
          (func (export "iter") (param i64) (result i64) (local i64)
            (local.set 1 (i64.const 1))
            (block $done
              (loop $top
                (br_if $done (i64.eqz (local.get 0)))
                (local.set 1 (i64.mul (local.get 0) (local.get 1)))
                (local.set 0 (i64.sub (local.get 0) (i64.const 1)))
                (br $top)))
            (local.get 1)))"#,
    );
    for n in [0i64, 1, 5, 20] {
        let expect: i64 = (1..=n).product();
        assert_eq!(
            i.invoke("rec", &[Value::I64(n)]).unwrap(),
            vec![Value::I64(expect)]
        );
        assert_eq!(
            i.invoke("iter", &[Value::I64(n)]).unwrap(),
            vec![Value::I64(expect)]
        );
    }
}

#[test]
fn branches_carry_values_and_drop_the_rest() {
    let i = instance(
        r#"(module
          (func (export "f") (param i32) (result i32)
            (i32.const 100)
            (block (result i32)
              (i32.const 7)
              (br_if 0 (i32.const 42) (local.get 0))
              (drop) (drop) (i32.const 9))
            (i32.add))
          (func (export "table") (param i32) (result i32)
            (block $a (result i32)
              (block $b (result i32)
                (block $c (result i32)
                  (br_table $a $b $c (i32.const 10) (local.get 0)))
                (i32.add (i32.const 1)))
              (i32.add (i32.const 2)))))"#,
    );
    assert_eq!(
        i.invoke("f", &[Value::I32(1)]).unwrap(),
        vec![Value::I32(142)]
    );
    assert_eq!(
        i.invoke("f", &[Value::I32(0)]).unwrap(),
        vec![Value::I32(109)]
    );
    assert_eq!(
        i.invoke("table", &[Value::I32(0)]).unwrap(),
        vec![Value::I32(10)]
    );
    assert_eq!(
        i.invoke("table", &[Value::I32(1)]).unwrap(),
        vec![Value::I32(12)]
    );
    assert_eq!(
        i.invoke("table", &[Value::I32(2)]).unwrap(),
        vec![Value::I32(13)]
    );
    assert_eq!(
        i.invoke("table", &[Value::I32(99)]).unwrap(),
        vec![Value::I32(13)]
    );
}

#[test]
fn multi_value_blocks_and_functions() {
    let i = instance(
        r#"(module
          (func $swap (param i32 i32) (result i32 i32) (local.get 1) (local.get 0))
          (func (export "f") (result i32 i32 i32)
            (i32.const 1) (i32.const 2)
            (block (param i32 i32) (result i32 i32) (call $swap))
            (loop (param i32 i32) (result i32 i32 i32) (i32.const 3))))"#,
    );
    assert_eq!(
        i.invoke("f", &[]).unwrap(),
        vec![Value::I32(2), Value::I32(1), Value::I32(3)]
    );
}

#[test]
fn unbounded_recursion_is_a_trap_not_a_crash() {
    let i = instance(
        r#"(module
          (func $f (export "f") (call $f))
          (func $g (export "g") (param i64) (result i64) (i64.add (local.get 0) (call $g (local.get 0)))))"#,
    );
    assert_eq!(i.invoke("f", &[]), Err(Trap::StackExhausted));
    assert_eq!(i.invoke("g", &[Value::I64(1)]), Err(Trap::StackExhausted));
    // The instance is still usable afterwards.
    assert_eq!(i.invoke("g", &[Value::I64(0)]), Err(Trap::StackExhausted));
}

#[test]
fn bad_invocations_are_errors() {
    let i = instance(
        r#"(module (func (export "f") (param i32)) (global (export "g") i32 (i32.const 0)))"#,
    );
    assert!(matches!(
        i.invoke("nope", &[]),
        Err(Trap::InvalidInvocation(_))
    ));
    assert!(matches!(
        i.invoke("g", &[]),
        Err(Trap::InvalidInvocation(_))
    ));
    assert!(matches!(
        i.invoke("f", &[Value::I64(0)]),
        Err(Trap::InvalidInvocation(_))
    ));
    assert_eq!(i.invoke("f", &[Value::I32(0)]), Ok(vec![]));
}

#[test]
fn unreachable_traps() {
    let i = instance(r#"(module (func (export "f") (unreachable)))"#);
    assert_eq!(i.invoke("f", &[]), Err(Trap::Unreachable));
    assert_eq!(Trap::Unreachable.to_string(), "unreachable");
}
