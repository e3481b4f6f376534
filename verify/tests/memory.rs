//! Linear memory: loads and stores, bounds, growth, bulk operations, and the
//! host-side `MemoryRef` API.

use weft_verify::interp::{Extern, Instance, MemoryRef, Module, Trap, Value};

fn instance(wat: &str) -> Instance {
    let wasm = wat::parse_str(wat).expect("test module is valid text");
    Instance::new(&Module::new(&wasm).expect("validates"), &[]).expect("instantiates")
}

fn memory(i: &Instance) -> MemoryRef {
    match i.export("mem") {
        Some(Extern::Memory(m)) => m,
        other => panic!("expected a memory export, got {other:?}"),
    }
}

const MODULE: &str = r#"(module
  (memory (export "mem") 1 3)
  (data (i32.const 0) "\80\ff\01\02")
  (data $p "hello")
  (func (export "load8_s") (param i32) (result i32) (i32.load8_s (local.get 0)))
  (func (export "load16_u") (param i32) (result i64) (i64.load16_u offset=1 (local.get 0)))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size))
  (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init") (param i32 i32 i32) (memory.init $p (local.get 0) (local.get 1) (local.get 2)))
  (func (export "drop") (data.drop $p)))"#;

#[test]
fn loads_extend_and_offsets_apply() {
    let i = instance(MODULE);
    assert_eq!(
        i.invoke("load8_s", &[Value::I32(0)]),
        Ok(vec![Value::I32(-128)])
    );
    assert_eq!(
        i.invoke("load16_u", &[Value::I32(0)]),
        Ok(vec![Value::I64(0x01ff)])
    );
    assert_eq!(
        i.invoke("load", &[Value::I32(0)]),
        Ok(vec![Value::I32(0x0201_ff80)])
    );
}

#[test]
fn bounds_are_checked_at_the_last_byte() {
    let i = instance(MODULE);
    assert_eq!(
        i.invoke("load", &[Value::I32(65532)]),
        Ok(vec![Value::I32(0)])
    );
    assert_eq!(
        i.invoke("load", &[Value::I32(65533)]),
        Err(Trap::MemoryOutOfBounds)
    );
    assert_eq!(
        i.invoke("load", &[Value::I32(-1)]),
        Err(Trap::MemoryOutOfBounds)
    );
    assert_eq!(
        i.invoke("load16_u", &[Value::I32(65534)]),
        Err(Trap::MemoryOutOfBounds)
    );
    assert_eq!(
        i.invoke("store", &[Value::I32(65533), Value::I32(1)]),
        Err(Trap::MemoryOutOfBounds)
    );
}

#[test]
fn grow_respects_the_maximum() {
    let i = instance(MODULE);
    assert_eq!(i.invoke("grow", &[Value::I32(1)]), Ok(vec![Value::I32(1)]));
    assert_eq!(i.invoke("grow", &[Value::I32(2)]), Ok(vec![Value::I32(-1)]));
    assert_eq!(i.invoke("grow", &[Value::I32(1)]), Ok(vec![Value::I32(2)]));
    assert_eq!(i.invoke("size", &[]), Ok(vec![Value::I32(3)]));
    assert_eq!(
        i.invoke("load", &[Value::I32(3 * 65536 - 4)]),
        Ok(vec![Value::I32(0)])
    );
    assert_eq!(memory(&i).size_pages(), 3);
}

#[test]
fn bulk_operations_bounds_and_overlap() {
    let i = instance(MODULE);
    let m = memory(&i);
    i.invoke("init", &[Value::I32(100), Value::I32(0), Value::I32(5)])
        .unwrap();
    let mut buf = [0u8; 5];
    m.read(100, &mut buf).unwrap();
    assert_eq!(&buf, b"hello");
    // Overlapping copy behaves like memmove, in both directions.
    i.invoke("copy", &[Value::I32(101), Value::I32(100), Value::I32(5)])
        .unwrap();
    let mut buf = [0u8; 6];
    m.read(100, &mut buf).unwrap();
    assert_eq!(&buf, b"hhello");
    i.invoke("copy", &[Value::I32(100), Value::I32(101), Value::I32(5)])
        .unwrap();
    m.read(100, &mut buf).unwrap();
    assert_eq!(&buf, b"helloo");
    i.invoke("fill", &[Value::I32(65530), Value::I32(7), Value::I32(6)])
        .unwrap();
    assert_eq!(
        i.invoke("fill", &[Value::I32(65530), Value::I32(7), Value::I32(7)]),
        Err(Trap::MemoryOutOfBounds)
    );
    // A zero-length access at the very end is fine; one past it is not.
    i.invoke("fill", &[Value::I32(65536), Value::I32(0), Value::I32(0)])
        .unwrap();
    assert_eq!(
        i.invoke("fill", &[Value::I32(65537), Value::I32(0), Value::I32(0)]),
        Err(Trap::MemoryOutOfBounds)
    );
    assert_eq!(
        i.invoke("init", &[Value::I32(0), Value::I32(1), Value::I32(5)]),
        Err(Trap::MemoryOutOfBounds)
    );
    i.invoke("drop", &[]).unwrap();
    assert_eq!(
        i.invoke("init", &[Value::I32(0), Value::I32(0), Value::I32(1)]),
        Err(Trap::MemoryOutOfBounds)
    );
    i.invoke("init", &[Value::I32(0), Value::I32(0), Value::I32(0)])
        .unwrap();
}

#[test]
fn host_memory_api() {
    assert!(MemoryRef::new(2, Some(1), false).is_err());
    assert!(MemoryRef::new(0, Some(65537), false).is_err());
    assert!(MemoryRef::new(1, None, true).is_err());
    let m = MemoryRef::new(1, Some(2), true).unwrap();
    assert!(m.is_shared());
    m.write(65535, &[9]).unwrap();
    assert_eq!(m.write(65535, &[9, 9]), Err(Trap::MemoryOutOfBounds));
    assert_eq!(m.write(u64::MAX, &[9]), Err(Trap::MemoryOutOfBounds));
    assert_eq!(m.snapshot().len(), 65536);
    assert_eq!(m.snapshot()[65535], 9);
    assert_eq!(m.grow(1), Some(1));
    assert_eq!(m.grow(1), None);
}

#[test]
fn active_data_out_of_bounds_fails_instantiation_but_keeps_earlier_writes() {
    let host = MemoryRef::new(1, None, false).unwrap();
    let wasm = wat::parse_str(
        r#"(module (import "m" "mem" (memory 1))
             (data (i32.const 0) "ab")
             (data (i32.const 65535) "cd"))"#,
    )
    .unwrap();
    let module = Module::new(&wasm).unwrap();
    let err = Instance::new(&module, &[Extern::Memory(host.clone())]).err();
    assert_eq!(
        err.map(|e| e.to_string()),
        Some("out of bounds memory access".to_string())
    );
    let mut buf = [0u8; 2];
    host.read(0, &mut buf).unwrap();
    assert_eq!(&buf, b"ab");
}
