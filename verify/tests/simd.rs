//! SIMD beyond what the spec files check: out-of-bounds vector accesses
//! leave memory untouched, misaligned ones are fine, invalid lane indices
//! are validation errors, and v128 crosses the embedding API intact.

use weft_verify::interp::{Extern, Instance, Module, Trap, Value};

fn instance(wat: &str) -> Instance {
    let wasm = wat::parse_str(wat).expect("valid text");
    let module = Module::new(&wasm).expect("valid module");
    Instance::new(&module, &[]).expect("instantiates")
}

fn memory_bytes(instance: &Instance) -> Vec<u8> {
    match instance.export("m") {
        Some(Extern::Memory(m)) => m.snapshot(),
        other => panic!("no memory export: {other:?}"),
    }
}

const MODULE: &str = r#"(module
  (memory (export "m") 1)
  (func (export "store") (param i32 v128) (v128.store (local.get 0) (local.get 1)))
  (func (export "store_lane") (param i32 v128)
    (v128.store64_lane offset=4 1 (local.get 0) (local.get 1)))
  (func (export "load") (param i32) (result v128) (v128.load (local.get 0)))
  (func (export "load_lane") (param i32 v128) (result v128)
    (v128.load32_lane 3 (local.get 0) (local.get 1)))
  (func (export "splat") (param i32) (result v128) (v128.load16_splat (local.get 0)))
  (func (export "extend") (param i32) (result v128) (v128.load8x8_s (local.get 0))))"#;

#[test]
fn a_partly_out_of_bounds_store_traps_and_writes_nothing() {
    let i = instance(MODULE);
    let ones = Value::V128(u128::MAX);
    assert_eq!(
        i.invoke("store", &[Value::I32(65536 - 15), ones.clone()]),
        Err(Trap::MemoryOutOfBounds)
    );
    assert_eq!(
        i.invoke("store_lane", &[Value::I32(65536 - 11), ones.clone()]),
        Err(Trap::MemoryOutOfBounds)
    );
    assert!(memory_bytes(&i).iter().all(|b| *b == 0));
    // The last byte that fits, misaligned: fine.
    assert_eq!(
        i.invoke("store", &[Value::I32(65536 - 16), ones]),
        Ok(vec![])
    );
    assert!(memory_bytes(&i)[65536 - 16..].iter().all(|b| *b == 0xff));
}

#[test]
fn loads_trap_past_the_end_and_read_lanes_little_endian() {
    let i = instance(MODULE);
    let v = 0x0f0e_0d0c_0b0a_0908_0706_0504_0302_0180u128;
    assert_eq!(
        i.invoke("store", &[Value::I32(3), Value::V128(v)]),
        Ok(vec![])
    );
    assert_eq!(i.invoke("load", &[Value::I32(3)]), Ok(vec![Value::V128(v)]));
    assert_eq!(
        i.invoke("load", &[Value::I32(65536 - 15)]),
        Err(Trap::MemoryOutOfBounds)
    );
    // Lane 3 of a zero vector from bytes 3..7 (0x80 0x01 0x02 0x03).
    assert_eq!(
        i.invoke("load_lane", &[Value::I32(3), Value::V128(0)]),
        Ok(vec![Value::V128(0x0302_0180 << 96)])
    );
    assert_eq!(
        i.invoke("load_lane", &[Value::I32(65533), Value::V128(0)]),
        Err(Trap::MemoryOutOfBounds)
    );
    // 0x0180 in all eight lanes.
    assert_eq!(
        i.invoke("splat", &[Value::I32(3)]),
        Ok(vec![Value::V128(0x0180_0180_0180_0180_0180_0180_0180_0180)])
    );
    // Bytes 0x80, 0x01 .. 0x07 sign-extended to i16 lanes.
    assert_eq!(
        i.invoke("extend", &[Value::I32(3)]),
        Ok(vec![Value::V128(0x0007_0006_0005_0004_0003_0002_0001_ff80)])
    );
}

#[test]
fn lane_indices_out_of_range_are_invalid() {
    for (op, lane) in [
        ("i8x16.extract_lane_s", 16),
        ("i16x8.replace_lane", 8),
        ("f64x2.extract_lane", 2),
    ] {
        let args = if op.contains("replace") {
            "(v128.const i64x2 0 0) (i32.const 0)"
        } else {
            "(v128.const i64x2 0 0)"
        };
        let text = format!("(module (func (drop ({op} {lane} {args}))))");
        let wasm = wat::parse_str(&text).expect("encodes");
        let err = Module::new(&wasm).expect_err("invalid lane index");
        assert!(
            err.to_string().contains("index out of bounds"),
            "{op}: {err}"
        );
    }
    let shuffle = wat::parse_str(
        "(module (func (drop (i8x16.shuffle 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 32 \
         (v128.const i64x2 0 0) (v128.const i64x2 0 0)))))",
    )
    .expect("encodes");
    assert!(Module::new(&shuffle).is_err());
}
