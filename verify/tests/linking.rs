//! Instantiation: import matching, host functions (including re-entry),
//! globals, the start function, handle thread-safety.

use std::sync::{Arc, OnceLock};
use weft_verify::interp::{
    Extern, FuncRef, FuncType, GlobalRef, Instance, InstantiationError, MemoryRef, Module, RefType,
    TableRef, Trap, ValType, Value,
};

fn module(wat: &str) -> Module {
    Module::new(&wat::parse_str(wat).expect("valid text")).expect("validates")
}

fn link_error(m: &Module, imports: &[Extern]) -> String {
    match Instance::new(m, imports) {
        Err(InstantiationError::Link(why)) => why,
        Err(other) => panic!("expected a link error, got {other:?}"),
        Ok(_) => panic!("expected a link error, got an instance"),
    }
}

#[test]
fn handles_are_send_and_sync() {
    fn check<T: Send + Sync + Clone>() {}
    check::<Instance>();
    check::<Module>();
    check::<Extern>();
    check::<FuncRef>();
    check::<MemoryRef>();
    check::<TableRef>();
    check::<GlobalRef>();
    check::<Value>();
}

#[test]
fn memory_imports_follow_limit_subtyping() {
    let m = module(r#"(module (import "m" "mem" (memory 2 4)))"#);
    let mem = |min, max, shared| Extern::Memory(MemoryRef::new(min, max, shared).unwrap());
    assert!(Instance::new(&m, &[mem(2, Some(4), false)]).is_ok());
    assert!(Instance::new(&m, &[mem(3, Some(3), false)]).is_ok());
    assert!(link_error(&m, &[mem(1, Some(4), false)]).starts_with("incompatible import type"));
    assert!(link_error(&m, &[mem(2, None, false)]).starts_with("incompatible import type"));
    assert!(link_error(&m, &[mem(2, Some(5), false)]).starts_with("incompatible import type"));
    assert!(link_error(&m, &[mem(2, Some(4), true)]).starts_with("incompatible import type"));
    assert!(link_error(&m, &[]).starts_with("unknown import"));
    let shared = module(r#"(module (import "m" "mem" (memory 1 1 shared)))"#);
    assert!(Instance::new(&shared, &[mem(1, Some(1), true)]).is_ok());
    assert!(link_error(&shared, &[mem(1, Some(1), false)]).starts_with("incompatible import type"));
}

#[test]
fn table_global_and_function_imports_are_checked() {
    let m = module(
        r#"(module (import "m" "t" (table 1 funcref)) (import "m" "g" (global (mut i32)))
                   (import "m" "f" (func (param i32))))"#,
    );
    let table = |elem, min| {
        Extern::Table(TableRef::new(elem, min, None, Value::null_of(elem).unwrap()).unwrap())
    };
    let global = |ty, mutable, v| Extern::Global(GlobalRef::new(ty, mutable, v).unwrap());
    let func = |params: Vec<ValType>| {
        Extern::Func(FuncRef::host(FuncType::new(params, []), |_| Ok(vec![])))
    };
    let good = || {
        vec![
            table(RefType::FUNCREF, 1),
            global(ValType::I32, true, Value::I32(0)),
            func(vec![ValType::I32]),
        ]
    };
    assert!(Instance::new(&m, &good()).is_ok());
    let mut bad = good();
    bad[0] = table(RefType::EXTERNREF, 1);
    assert!(link_error(&m, &bad).starts_with("incompatible import type"));
    let mut bad = good();
    bad[0] = table(RefType::FUNCREF, 0);
    assert!(link_error(&m, &bad).starts_with("incompatible import type"));
    let mut bad = good();
    bad[1] = global(ValType::I32, false, Value::I32(0));
    assert!(link_error(&m, &bad).starts_with("incompatible import type"));
    let mut bad = good();
    bad[1] = global(ValType::I64, true, Value::I64(0));
    assert!(link_error(&m, &bad).starts_with("incompatible import type"));
    let mut bad = good();
    bad[2] = func(vec![ValType::I64]);
    assert!(link_error(&m, &bad).starts_with("incompatible import type"));
    let mut bad = good();
    bad.swap(0, 1);
    assert!(link_error(&m, &bad).starts_with("incompatible import type"));
}

#[test]
fn mutable_global_is_shared_between_instances() {
    let g = GlobalRef::new(ValType::I64, true, Value::I64(1)).unwrap();
    let m = module(
        r#"(module (import "m" "g" (global $g (mut i64)))
             (func (export "get") (result i64) (global.get $g))
             (func (export "bump") (global.set $g (i64.add (global.get $g) (i64.const 1)))))"#,
    );
    let a = Instance::new(&m, &[Extern::Global(g.clone())]).unwrap();
    let b = Instance::new(&m, &[Extern::Global(g.clone())]).unwrap();
    a.invoke("bump", &[]).unwrap();
    b.invoke("bump", &[]).unwrap();
    assert_eq!(g.get(), Value::I64(3));
    assert_eq!(a.invoke("get", &[]), Ok(vec![Value::I64(3)]));
    g.set(Value::I64(10)).unwrap();
    assert_eq!(b.invoke("get", &[]), Ok(vec![Value::I64(10)]));
    assert!(g.set(Value::I32(0)).is_err());
}

#[test]
fn host_functions_can_reenter_the_interpreter() {
    // "host" calls back into the instance's "down" export until n reaches 0.
    let slot: Arc<OnceLock<Instance>> = Arc::new(OnceLock::new());
    let weak = Arc::clone(&slot);
    let ty = FuncType::new([ValType::I32], [ValType::I32]);
    let host = FuncRef::host(ty, move |args| {
        let instance = weak.get().expect("set before any call");
        let Value::I32(n) = args[0] else {
            return Err(Trap::Host("bad arg".into()));
        };
        instance.invoke("down", &[Value::I32(n - 1)])
    });
    let m = module(
        r#"(module (import "h" "f" (func $h (param i32) (result i32)))
             (func (export "down") (param i32) (result i32)
               (if (result i32) (i32.eqz (local.get 0))
                 (then (i32.const 100))
                 (else (i32.add (i32.const 1) (call $h (local.get 0)))))))"#,
    );
    let instance = Instance::new(&m, &[Extern::Func(host)]).unwrap();
    slot.set(instance.clone()).expect("set once");
    assert_eq!(
        instance.invoke("down", &[Value::I32(10)]),
        Ok(vec![Value::I32(110)])
    );
    // Unbounded re-entry ends in a trap, not a native stack overflow.
    assert_eq!(
        instance.invoke("down", &[Value::I32(-1)]),
        Err(Trap::StackExhausted)
    );
}

#[test]
fn host_traps_and_bad_results_propagate() {
    let failing = FuncRef::host(FuncType::new([], []), |_| Err(Trap::Host("boom".into())));
    let lying = FuncRef::host(FuncType::new([], [ValType::I32]), |_| {
        Ok(vec![Value::I64(1)])
    });
    let m = module(
        r#"(module (import "h" "a" (func $a)) (import "h" "b" (func $b (result i32)))
             (func (export "a") (call $a)) (func (export "b") (result i32) (call $b)))"#,
    );
    let i = Instance::new(&m, &[Extern::Func(failing), Extern::Func(lying)]).unwrap();
    assert_eq!(i.invoke("a", &[]), Err(Trap::Host("boom".into())));
    assert!(matches!(i.invoke("b", &[]), Err(Trap::Host(_))));
}

#[test]
fn start_function_runs_and_its_trap_fails_instantiation() {
    let m = module(
        r#"(module (global $g (export "g") (mut i32) (i32.const 0))
             (func $s (global.set $g (i32.const 7))) (start $s))"#,
    );
    let i = Instance::new(&m, &[]).unwrap();
    let Some(Extern::Global(g)) = i.export("g") else {
        panic!()
    };
    assert_eq!(g.get(), Value::I32(7));
    let m = module(r#"(module (func $s (unreachable)) (start $s))"#);
    assert!(matches!(
        Instance::new(&m, &[]),
        Err(InstantiationError::Trap(Trap::Unreachable))
    ));
}

#[test]
fn invalid_modules_are_errors_with_offsets() {
    for bytes in [
        &b""[..],
        b"\0asm",
        b"\0asm\x01\0\0\0\x01",
        b"not wasm at all",
    ] {
        let err = Module::new(bytes).expect_err("invalid");
        assert!(err.to_string().contains("offset"), "{err}");
    }
    // Fixed-width SIMD is Wasm 2.0; relaxed SIMD is a later proposal.
    let simd = wat::parse_str(r#"(module (func (drop (v128.const i64x2 0 0))))"#).unwrap();
    assert!(Module::new(&simd).is_ok());
    let relaxed = wat::parse_str(
        r#"(module (func (drop (f32x4.relaxed_min (v128.const i64x2 0 0) (v128.const i64x2 0 0)))))"#,
    )
    .unwrap();
    assert!(Module::new(&relaxed).is_err());
    let m =
        module(r#"(module (import "a" "b" (func)) (func (export "c")) (memory (export "m") 1))"#);
    assert_eq!(
        m.imports().map(|(a, b, _)| (a, b)).collect::<Vec<_>>(),
        vec![("a", "b")]
    );
    assert_eq!(m.exports().count(), 2);
}
