//! Memories initialized from copy-on-write images hold exactly what
//! copying the data segments would have written, and behave like any
//! other memory afterwards; modules whose segments do not qualify copy
//! them, as before.

use weft::{
    Config, Engine, Extern, Global, GlobalType, Instance, Memory, MemoryType, Module, Store, Val,
    ValType,
};

const PAGE: usize = 65536;

fn engine(cow: bool) -> Engine {
    let mut config = Config::new();
    config.memory_init_cow(cow).wasm_threads(true);
    Engine::new(&config).expect("engine")
}

/// The bytes of memory "m" right after instantiating `wat` with `imports`,
/// with images on or off.
fn initial_memory(wat: &str, cow: bool) -> Vec<u8> {
    let engine = engine(cow);
    let module = Module::new(&engine, wat).expect("valid");
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    let memory = instance.get_memory(&store, "m").expect("exported memory");
    let mut bytes = vec![0u8; memory.data_size(&store).expect("size")];
    memory.read(&store, 0, &mut bytes).expect("in bounds");
    bytes
}

/// Zeroed memory of `pages` pages with `segments` applied in order.
fn expected(pages: usize, segments: &[(usize, &[u8])]) -> Vec<u8> {
    let mut bytes = vec![0u8; pages * PAGE];
    for &(at, data) in segments {
        bytes[at..at + data.len()].copy_from_slice(data);
    }
    bytes
}

const SEGMENTS: &str = r#"(module (memory (export "m") 3 5)
    (data (i32.const 0) "first segment")
    (data (i32.const 6) "SEGMENT")
    (data (i32.const 70000) "second page")
    (data (i32.const 500) "")
    (data (i32.const 196605) "end")
    (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
    (func (export "store") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
    (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#;

#[test]
fn an_image_holds_the_segments_as_copying_does() {
    let want = expected(
        3,
        &[
            (0, b"first segment"),
            (6, b"SEGMENT"),
            (70000, b"second page"),
            (3 * PAGE - 3, b"end"),
        ],
    );
    assert_eq!(&want[..13], b"first SEGMENT");
    assert_eq!(initial_memory(SEGMENTS, true), want);
    assert_eq!(initial_memory(SEGMENTS, false), want);
}

#[test]
fn every_instance_starts_from_the_pristine_image_and_grows_past_it() {
    let engine = engine(true);
    let module = Module::new(&engine, SEGMENTS).expect("valid");
    let mut store = Store::new(&engine, ());
    let first = Instance::new(&mut store, &module, &[]).expect("instantiates");
    let store_byte = first
        .get_typed_func::<(i32, i32), ()>(&store, "store")
        .expect("store");
    store_byte.call(&mut store, (0, 0x58)).expect("in bounds");
    store_byte
        .call(&mut store, (70000, 0x58))
        .expect("in bounds");
    let grow = first
        .get_typed_func::<i32, i32>(&store, "grow")
        .expect("grow");
    assert_eq!(grow.call(&mut store, 2).expect("grows"), 3);
    store_byte
        .call(&mut store, (5 * PAGE as i32 - 1, 9))
        .expect("grown memory is writable");
    let load = first
        .get_typed_func::<i32, i32>(&store, "load")
        .expect("load");
    assert_eq!(load.call(&mut store, 5 * PAGE as i32 - 1).expect("ok"), 9);
    assert_eq!(load.call(&mut store, 4 * PAGE as i32).expect("ok"), 0);
    assert_eq!(grow.call(&mut store, 1).expect("runs"), -1);

    let mut other_store = Store::new(&engine, ());
    let second = Instance::new(&mut other_store, &module, &[]).expect("instantiates");
    let memory = second.get_memory(&other_store, "m").expect("memory");
    assert_eq!(memory.data_size(&other_store).expect("size"), 3 * PAGE);
    let mut bytes = vec![0u8; 3 * PAGE];
    memory.read(&other_store, 0, &mut bytes).expect("in bounds");
    assert_eq!(bytes, initial_memory(SEGMENTS, false));
}

#[test]
fn a_shared_memory_defined_by_the_module_starts_from_its_image() {
    let wat = r#"(module (memory (export "m") 2 4 shared)
        (data (i32.const 8) "\2a\00\00\00")
        (data (i32.const 65540) "shared"))"#;
    let engine = engine(true);
    let module = Module::new(&engine, wat).expect("valid");
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    let shared = instance
        .get_shared_memory(&store, "m")
        .expect("exported shared memory");
    let mut bytes = vec![0u8; 2 * PAGE];
    shared.read(0, &mut bytes).expect("in bounds");
    assert_eq!(
        bytes,
        expected(2, &[(8, &[42, 0, 0, 0]), (65540, b"shared")])
    );
    let other_thread = shared.clone();
    std::thread::spawn(move || other_thread.write(8, &[7]))
        .join()
        .expect("no panic")
        .expect("in bounds");
    shared.read(8, &mut bytes[..1]).expect("in bounds");
    assert_eq!(bytes[0], 7);
    assert_eq!(shared.grow(1).expect("grows"), 2);
}

#[test]
fn an_out_of_bounds_segment_still_traps_after_the_earlier_ones_took_effect() {
    // The imported memory gets no image; the defined one's last segment is
    // out of bounds, so it gets none either and instantiation traps.
    let wat = r#"(module
        (import "env" "mem" (memory 1))
        (memory 1)
        (data (memory 0) (i32.const 0) "kept")
        (data (memory 1) (i32.const 0) "fine")
        (data (memory 1) (i32.const 65535) "too far"))"#;
    let mut config = Config::new();
    config.wasm_multi_memory(true);
    let engine = Engine::new(&config).expect("engine");
    let module = Module::new(&engine, wat).expect("valid");
    let mut store = Store::new(&engine, ());
    let imported = Memory::new(&mut store, MemoryType::new(1, None)).expect("memory");
    let error =
        Instance::new(&mut store, &module, &[Extern::Memory(imported)]).expect_err("out of bounds");
    assert!(
        error.to_string().contains("out of bounds memory access"),
        "{error}"
    );
    let mut kept = [0u8; 4];
    imported.read(&store, 0, &mut kept).expect("in bounds");
    assert_eq!(&kept, b"kept");
}

#[test]
fn segments_at_imported_global_offsets_are_copied() {
    let wat = r#"(module (import "env" "at" (global i32))
        (memory (export "m") 1)
        (data (i32.const 0) "constant")
        (data (global.get 0) "from a global"))"#;
    let engine = engine(true);
    let module = Module::new(&engine, wat).expect("valid");
    let mut store = Store::new(&engine, ());
    let at = Global::new(
        &mut store,
        GlobalType::new(ValType::I32, false),
        Val::I32(4),
    )
    .expect("global");
    let instance = Instance::new(&mut store, &module, &[Extern::Global(at)]).expect("instantiates");
    let memory = instance.get_memory(&store, "m").expect("memory");
    let mut bytes = [0u8; 17];
    memory.read(&store, 0, &mut bytes).expect("in bounds");
    assert_eq!(&bytes, b"consfrom a global");
}

#[test]
fn active_segments_are_dropped_after_an_image_applied_them() {
    let wat = r#"(module (memory 1)
        (data (i32.const 0) "active")
        (func (export "init") (param i32)
            (memory.init 0 (i32.const 100) (i32.const 0) (local.get 0))))"#;
    let engine = engine(true);
    let module = Module::new(&engine, wat).expect("valid");
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    let init = instance
        .get_typed_func::<i32, ()>(&store, "init")
        .expect("init");
    init.call(&mut store, 0)
        .expect("a zero-length init of a dropped segment");
    let error = init
        .call(&mut store, 1)
        .expect_err("the segment is dropped");
    assert!(
        error.to_string().contains("out of bounds memory access"),
        "{error}"
    );
}
