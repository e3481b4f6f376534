//! Tables and references: `call_indirect` checks, table instructions,
//! element segments.

use weft_verify::interp::{Extern, Instance, Module, RefType, TableRef, Trap, Value};

fn instance(wat: &str) -> Instance {
    let wasm = wat::parse_str(wat).expect("test module is valid text");
    Instance::new(&Module::new(&wasm).expect("validates"), &[]).expect("instantiates")
}

const MODULE: &str = r#"(module
  (type $ii (func (param i32) (result i32)))
  (table $t (export "t") 4 8 funcref)
  (table $e 2 externref)
  (elem (table $t) (i32.const 0) func $inc $dbl)
  (elem $later func $dbl $inc)
  (elem declare func $f64)
  (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))
  (func $dbl (type $ii) (i32.mul (local.get 0) (i32.const 2)))
  (func $f64 (param i64) (result i64) (local.get 0))
  (func (export "call") (param i32 i32) (result i32)
    (call_indirect $t (type $ii) (local.get 1) (local.get 0)))
  (func (export "grow") (param i32) (result i32) (table.grow $t (ref.null func) (local.get 0)))
  (func (export "size") (result i32) (table.size $t))
  (func (export "init") (param i32 i32 i32) (table.init $t $later (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy") (param i32 i32 i32) (table.copy $t $t (local.get 0) (local.get 1) (local.get 2)))
  (func (export "put-f64") (param i32) (table.set $t (local.get 0) (ref.func $f64)))
  (func (export "is-null") (param i32) (result i32) (ref.is_null (table.get $t (local.get 0))))
  (func (export "fill-e") (param i32 externref i32) (table.fill $e (local.get 0) (local.get 1) (local.get 2)))
  (func (export "get-e") (param i32) (result externref) (table.get $e (local.get 0))))"#;

#[test]
fn call_indirect_distinguishes_its_three_traps() {
    let i = instance(MODULE);
    assert_eq!(
        i.invoke("call", &[Value::I32(0), Value::I32(5)]),
        Ok(vec![Value::I32(6)])
    );
    assert_eq!(
        i.invoke("call", &[Value::I32(1), Value::I32(5)]),
        Ok(vec![Value::I32(10)])
    );
    assert_eq!(
        i.invoke("call", &[Value::I32(2), Value::I32(5)]),
        Err(Trap::IndirectCallToNull)
    );
    assert_eq!(
        i.invoke("call", &[Value::I32(4), Value::I32(5)]),
        Err(Trap::UndefinedElement)
    );
    i.invoke("put-f64", &[Value::I32(3)]).unwrap();
    assert_eq!(
        i.invoke("call", &[Value::I32(3), Value::I32(5)]),
        Err(Trap::BadSignature)
    );
    assert_eq!(
        Trap::IndirectCallToNull.to_string(),
        "uninitialized element"
    );
    assert_eq!(Trap::UndefinedElement.to_string(), "undefined element");
    assert_eq!(
        Trap::BadSignature.to_string(),
        "indirect call type mismatch"
    );
}

#[test]
fn table_growth_init_and_copy() {
    let i = instance(MODULE);
    assert_eq!(i.invoke("grow", &[Value::I32(2)]), Ok(vec![Value::I32(4)]));
    assert_eq!(i.invoke("grow", &[Value::I32(3)]), Ok(vec![Value::I32(-1)]));
    assert_eq!(i.invoke("size", &[]), Ok(vec![Value::I32(6)]));
    i.invoke("init", &[Value::I32(4), Value::I32(0), Value::I32(2)])
        .unwrap();
    assert_eq!(
        i.invoke("call", &[Value::I32(4), Value::I32(5)]),
        Ok(vec![Value::I32(10)])
    );
    assert_eq!(
        i.invoke("call", &[Value::I32(5), Value::I32(5)]),
        Ok(vec![Value::I32(6)])
    );
    assert_eq!(
        i.invoke("init", &[Value::I32(5), Value::I32(0), Value::I32(2)]),
        Err(Trap::TableOutOfBounds)
    );
    // Overlapping copy, like memmove.
    i.invoke("copy", &[Value::I32(1), Value::I32(0), Value::I32(2)])
        .unwrap();
    assert_eq!(
        i.invoke("call", &[Value::I32(1), Value::I32(5)]),
        Ok(vec![Value::I32(6)])
    );
    assert_eq!(
        i.invoke("call", &[Value::I32(2), Value::I32(5)]),
        Ok(vec![Value::I32(10)])
    );
    assert_eq!(
        i.invoke("is-null", &[Value::I32(3)]),
        Ok(vec![Value::I32(1)])
    );
    assert_eq!(
        i.invoke("is-null", &[Value::I32(6)]),
        Err(Trap::TableOutOfBounds)
    );
}

#[test]
fn externrefs_round_trip() {
    let i = instance(MODULE);
    i.invoke(
        "fill-e",
        &[Value::I32(0), Value::ExternRef(Some(7)), Value::I32(2)],
    )
    .unwrap();
    assert_eq!(
        i.invoke("get-e", &[Value::I32(1)]),
        Ok(vec![Value::ExternRef(Some(7))])
    );
    assert_eq!(
        i.invoke(
            "fill-e",
            &[Value::I32(1), Value::ExternRef(None), Value::I32(2)]
        ),
        Err(Trap::TableOutOfBounds)
    );
}

#[test]
fn exported_table_is_shared_with_the_host() {
    let i = instance(MODULE);
    let Some(Extern::Table(t)) = i.export("t") else {
        panic!("table export")
    };
    assert_eq!(t.size(), 4);
    let Some(Value::FuncRef(Some(f))) = t.get(1) else {
        panic!("element 1 is set")
    };
    assert_eq!(f.call(&[Value::I32(21)]), Ok(vec![Value::I32(42)]));
    assert!(t.get(4).is_none());
    assert!(TableRef::new(RefType::FUNCREF, 1, None, Value::ExternRef(None)).is_err());
}
