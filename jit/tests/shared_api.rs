//! The shared-memory API as an embedder coming from wasmtime writes it:
//! creating a `SharedMemory`, handing it to instances in any store on any
//! thread, getting one back from an instance, its host accessors, and the
//! link and validation errors that guard it.
//!
//! Each test is one promise of the API, so a regression names itself.

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use weft::{
    Config, Engine, Error, ErrorKind, Extern, Instance, Linker, Memory, MemoryType, Module,
    SharedMemory, Store, TrapCode, WaitResult,
};

fn threads_engine() -> Engine {
    let mut config = Config::new();
    config.wasm_threads(true);
    Engine::new(&config).expect("this host supports the JIT")
}

/// The trap code of `e`, or a panic that shows what `e` was instead.
fn trap_code(e: &Error) -> TrapCode {
    match e.as_trap() {
        Some(t) => t.code(),
        None => panic!("expected a trap, got: {e}"),
    }
}

fn read_u32(memory: &SharedMemory, offset: usize) -> u32 {
    let mut word = [0u8; 4];
    memory.read(offset, &mut word).expect("offset in bounds");
    u32::from_le_bytes(word)
}

/// Imports a shared memory and touches it with atomics.
const IMPORTER: &str = r#"(module
  (import "env" "memory" (memory 1 5 shared))
  (func (export "store") (param i32 i32) (i32.atomic.store (local.get 0) (local.get 1)))
  (func (export "load") (param i32) (result i32) (i32.atomic.load (local.get 0)))
  (func (export "size") (result i32) (memory.size))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "wait") (param i32 i32) (result i32)
    (memory.atomic.wait32 (local.get 0) (local.get 1) (i64.const -1))))"#;

/// Defines and exports a shared memory.
const DEFINER: &str = r#"(module
  (memory (export "memory") 1 5 shared)
  (func (export "store") (param i32 i32) (i32.atomic.store (local.get 0) (local.get 1)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#;

#[test]
fn shared_memory_new_then_memory_from_shared_memory_then_instance_new() -> weft::Result<()> {
    let engine = threads_engine();
    let module = Module::new(&engine, IMPORTER)?;
    let shared = SharedMemory::new(&engine, MemoryType::shared(1, 5))?;
    let mut store = Store::new(&engine, ());
    let memory = Memory::from_shared_memory(&mut store, &shared)?;
    let instance = Instance::new(&mut store, &module, &[memory.into()])?;

    let store_fn = instance.get_typed_func::<(i32, i32), ()>(&mut store, "store")?;
    store_fn.call(&mut store, (40, 0x1234_5678))?;
    assert_eq!(read_u32(&shared, 40), 0x1234_5678);
    assert_eq!(memory.size(&store)?, 1);
    assert_eq!(memory.ty(&store)?, MemoryType::shared(1, 5));
    // The store's handle and the shared handle are one memory.
    assert!(memory.into_shared_memory()?.same(&shared));
    Ok(())
}

#[test]
fn get_memory_of_a_defined_shared_memory_converts_into_shared_memory() -> weft::Result<()> {
    let engine = threads_engine();
    let module = Module::new(&engine, DEFINER)?;
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[])?;
    let memory = instance
        .get_memory(&mut store, "memory")
        .expect("get_memory finds an exported shared memory, as in wasmtime");
    let shared = memory.into_shared_memory()?;
    instance
        .get_typed_func::<(i32, i32), ()>(&mut store, "store")?
        .call(&mut store, (8, 77))?;
    assert_eq!(read_u32(&shared, 8), 77);
    Ok(())
}

#[test]
fn get_shared_memory_finds_a_defined_shared_memory() -> weft::Result<()> {
    let engine = threads_engine();
    let module = Module::new(&engine, DEFINER)?;
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[])?;
    let shared = instance
        .get_shared_memory(&mut store, "memory")
        .expect("the export is a shared memory");
    assert_eq!(shared.ty(), MemoryType::shared(1, 5));
    // Growth inside wasm is growth of the handle the host holds.
    let grow = instance.get_typed_func::<i32, i32>(&mut store, "grow")?;
    assert_eq!(grow.call(&mut store, 2)?, 1);
    assert_eq!(shared.size(), 3);
    // And the other way round.
    assert_eq!(shared.grow(1)?, 3);
    assert_eq!(grow.call(&mut store, 0)?, 4);
    // A name that is not exported, or not a shared memory, is `None`.
    assert!(instance.get_shared_memory(&mut store, "nope").is_none());
    assert!(instance.get_shared_memory(&mut store, "store").is_none());
    Ok(())
}

#[test]
fn shared_memory_is_clone_send_sync_and_store_is_send() {
    fn clone_send_sync<T: Clone + Send + Sync + 'static>() {}
    fn send<T: Send>() {}
    clone_send_sync::<SharedMemory>();
    clone_send_sync::<Engine>();
    clone_send_sync::<Module>();
    send::<Store<()>>();
    send::<Store<Vec<String>>>();
}

#[test]
fn size_and_grow_obey_the_maximum_and_are_seen_by_every_clone() -> weft::Result<()> {
    let engine = threads_engine();
    let shared = SharedMemory::new(&engine, MemoryType::shared(2, 5))?;
    let clone = shared.clone();
    assert!(clone.same(&shared));
    assert_eq!(shared.size(), 2);
    assert_eq!(shared.data_size(), 2 * 65536);
    assert_eq!(clone.grow(0)?, 2);
    assert_eq!(clone.grow(2)?, 2);
    assert_eq!(shared.size(), 4);
    let e = shared
        .grow(2)
        .expect_err("4 + 2 pages is past the maximum of 5");
    assert!(e.to_string().contains("grow"), "{e}");
    assert_eq!(shared.size(), 4, "a failed grow grows nothing");
    assert_eq!(shared.grow(1)?, 4);
    assert!(shared.grow(1).is_err());
    assert!(shared.grow(u64::MAX).is_err());
    assert_eq!(clone.size(), 5);
    // A memory made separately is not the same one, even with equal type.
    let other = SharedMemory::new(&engine, MemoryType::shared(2, 5))?;
    assert!(!other.same(&shared));
    Ok(())
}

#[test]
fn shared_memory_new_rejects_unshared_and_invalid_types() {
    let engine = threads_engine();
    let e = SharedMemory::new(&engine, MemoryType::new(1, Some(2))).expect_err("not shared");
    assert!(e.to_string().contains("shared"), "{e}");
    let e = SharedMemory::new(&engine, MemoryType::shared(3, 2)).expect_err("min > max");
    assert!(e.to_string().contains("maximum"), "{e}");
    let e = SharedMemory::new(&engine, MemoryType::shared(1, 65537)).expect_err("max too big");
    assert!(e.to_string().contains("65536"), "{e}");
}

#[test]
fn read_and_write_copy_in_and_out_and_check_bounds() -> weft::Result<()> {
    let engine = threads_engine();
    let module = Module::new(&engine, IMPORTER)?;
    let shared = SharedMemory::new(&engine, MemoryType::shared(1, 5))?;
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[shared.clone().into()])?;
    let load = instance.get_typed_func::<i32, i32>(&mut store, "load")?;
    let store_fn = instance.get_typed_func::<(i32, i32), ()>(&mut store, "store")?;

    // Host writes, wasm reads.
    shared.write(100, &0xdead_beef_u32.to_le_bytes())?;
    assert_eq!(load.call(&mut store, 100)? as u32, 0xdead_beef);
    // Wasm writes, host reads.
    store_fn.call(&mut store, (65532, -2))?;
    assert_eq!(read_u32(&shared, 65532), (-2i32) as u32);
    // A copy that ends exactly at the end is in bounds; one byte more is not.
    let mut tail = [0u8; 4];
    shared.read(65532, &mut tail)?;
    assert_eq!(tail, (-2i32).to_le_bytes());
    let mut five = [0u8; 5];
    let e = shared.read(65532, &mut five).expect_err("crosses the end");
    assert_eq!(trap_code(&e), TrapCode::MemoryOutOfBounds);
    let e = shared
        .write(65533, &[1, 2, 3, 4])
        .expect_err("crosses the end");
    assert_eq!(trap_code(&e), TrapCode::MemoryOutOfBounds);
    assert_eq!(read_u32(&shared, 65532), (-2i32) as u32, "no partial write");
    let e = shared.read(usize::MAX, &mut tail).expect_err("wraps");
    assert_eq!(trap_code(&e), TrapCode::MemoryOutOfBounds);
    // Empty copies at the end are fine; past it they are not.
    shared.read(65536, &mut [])?;
    assert!(shared.write(65537, &[]).is_err());
    // After growth the new page is reachable through both paths.
    shared.grow(1)?;
    shared.write(65536 + 4, &7u32.to_le_bytes())?;
    assert_eq!(load.call(&mut store, 65536 + 4)?, 7);
    Ok(())
}

#[test]
fn a_shared_memory_has_no_safe_byte_slice() -> weft::Result<()> {
    // `SharedMemory` has no `data()` at all; through a store's `Memory`
    // handle, `data` and `data_mut` refuse a shared memory, because other
    // threads may write its bytes while a `&[u8]` to them lived.
    let engine = threads_engine();
    let shared = SharedMemory::new(&engine, MemoryType::shared(1, 2))?;
    let mut store = Store::new(&engine, ());
    let memory = Memory::from_shared_memory(&mut store, &shared)?;
    let e = memory
        .data(&store)
        .expect_err("no &[u8] of a shared memory");
    assert!(e.to_string().contains("shared"), "{e}");
    let e = memory
        .data_mut(&mut store)
        .expect_err("no &mut [u8] of a shared memory");
    assert!(e.to_string().contains("shared"), "{e}");
    // The copying accessors work through the store handle too.
    memory.write(&mut store, 12, b"weft")?;
    let mut buf = [0u8; 4];
    shared.read(12, &mut buf)?;
    assert_eq!(&buf, b"weft");
    Ok(())
}

#[test]
fn host_notify_wakes_a_wasm_waiter_and_checks_its_address() -> weft::Result<()> {
    let engine = threads_engine();
    let module = Module::new(&engine, IMPORTER)?;
    let shared = SharedMemory::new(&engine, MemoryType::shared(1, 5))?;
    // No waiters: nothing to wake, whatever the count.
    assert_eq!(shared.atomic_notify(0, 0)?, 0);
    assert_eq!(shared.atomic_notify(0, u32::MAX)?, 0);
    // Alignment is checked before bounds, and bounds after it.
    let e = shared.atomic_notify(2, 1).expect_err("unaligned");
    assert_eq!(trap_code(&e), TrapCode::UnalignedAtomic);
    let e = shared
        .atomic_notify(65535, 1)
        .expect_err("unaligned and out of bounds");
    assert_eq!(trap_code(&e), TrapCode::UnalignedAtomic);
    let e = shared.atomic_notify(65536, 1).expect_err("out of bounds");
    assert_eq!(trap_code(&e), TrapCode::MemoryOutOfBounds);
    assert_eq!(
        shared.atomic_notify(65532, 1)?,
        0,
        "the last word is in bounds"
    );

    let waiter = std::thread::spawn({
        let (engine, shared) = (engine.clone(), shared.clone());
        move || -> weft::Result<i32> {
            let mut store = Store::new(&engine, ());
            let instance = Instance::new(&mut store, &module, &[shared.into()])?;
            instance
                .get_typed_func::<(i32, i32), i32>(&mut store, "wait")?
                .call(&mut store, (64, 0))
        }
    });
    // The value at 64 stays 0, so the waiter can only return by being
    // woken: notify until the host's notify reports it woke one.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match shared.atomic_notify(64, 1)? {
            0 => {
                assert!(Instant::now() < deadline, "the waiter never queued");
                std::thread::sleep(Duration::from_millis(1));
            }
            1 => break,
            n => panic!("notify(count 1) woke {n}"),
        }
    }
    assert_eq!(waiter.join().expect("waiter thread")?, 0, "woken (\"ok\")");
    Ok(())
}

#[test]
fn one_shared_memory_serves_stores_on_different_threads() -> weft::Result<()> {
    // Each thread writes its own slot, meets the others at a barrier, then
    // reads every slot through its own instance: one memory, not copies.
    const THREADS: usize = 4;
    let engine = threads_engine();
    let module = Module::new(&engine, IMPORTER)?;
    let shared = SharedMemory::new(&engine, MemoryType::shared(1, 5))?;
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let (engine, module, shared, barrier) = (
                engine.clone(),
                module.clone(),
                shared.clone(),
                Arc::clone(&barrier),
            );
            std::thread::spawn(move || -> weft::Result<Vec<i32>> {
                let mut store = Store::new(&engine, ());
                // Half the threads import through a store `Memory`, half
                // through the `SharedMemory` itself.
                let import: Extern = if t.is_multiple_of(2) {
                    Memory::from_shared_memory(&mut store, &shared)?.into()
                } else {
                    shared.into()
                };
                let instance = Instance::new(&mut store, &module, &[import])?;
                let store_fn = instance.get_typed_func::<(i32, i32), ()>(&mut store, "store")?;
                let load = instance.get_typed_func::<i32, i32>(&mut store, "load")?;
                store_fn.call(&mut store, (4 * t as i32, 1000 + t as i32))?;
                barrier.wait();
                (0..THREADS)
                    .map(|u| load.call(&mut store, 4 * u as i32))
                    .collect()
            })
        })
        .collect();
    let expected: Vec<i32> = (0..THREADS as i32).map(|t| 1000 + t).collect();
    for h in handles {
        assert_eq!(h.join().expect("thread")?, expected);
    }
    Ok(())
}

const EXPORTER_OF_SHARED: &str = r#"(module
  (memory (export "mem") 2 6 shared)
  (func (export "put") (param i32 i32) (i32.atomic.store (local.get 0) (local.get 1))))"#;
const IMPORTER_OF_SHARED: &str = r#"(module
  (import "a" "mem" (memory 1 6 shared))
  (func (export "get") (param i32) (result i32) (i32.atomic.load (local.get 0)))
  (func (export "size") (result i32) (memory.size)))"#;

#[test]
fn an_exported_shared_memory_links_into_another_instance_by_extern_slice() -> weft::Result<()> {
    let engine = threads_engine();
    let exporter = Module::new(&engine, EXPORTER_OF_SHARED)?;
    let importer = Module::new(&engine, IMPORTER_OF_SHARED)?;
    let mut store = Store::new(&engine, ());
    let a = Instance::new(&mut store, &exporter, &[])?;
    a.get_typed_func::<(i32, i32), ()>(&mut store, "put")?
        .call(&mut store, (65536 + 8, 31))?;
    let mem = a.get_export(&mut store, "mem").expect("exported");
    // Same store.
    let b = Instance::new(&mut store, &importer, std::slice::from_ref(&mem))?;
    assert_eq!(
        b.get_typed_func::<i32, i32>(&mut store, "get")?
            .call(&mut store, 65536 + 8)?,
        31
    );
    assert_eq!(
        b.get_typed_func::<(), i32>(&mut store, "size")?
            .call(&mut store, ())?,
        2
    );
    // Another store on another thread.
    let got = std::thread::spawn(move || -> weft::Result<i32> {
        let mut store = Store::new(importer.engine(), ());
        let c = Instance::new(&mut store, &importer, &[mem])?;
        c.get_typed_func::<i32, i32>(&mut store, "get")?
            .call(&mut store, 65536 + 8)
    })
    .join()
    .expect("thread")?;
    assert_eq!(got, 31);
    Ok(())
}

#[test]
fn an_exported_shared_memory_links_into_another_instance_by_linker() -> weft::Result<()> {
    let engine = threads_engine();
    let exporter = Module::new(&engine, EXPORTER_OF_SHARED)?;
    let importer = Module::new(&engine, IMPORTER_OF_SHARED)?;
    let mut store = Store::new(&engine, ());
    let mut linker = Linker::new(&engine);
    let a = linker.instantiate(&mut store, &exporter)?;
    linker.instance(&mut store, "a", a)?;
    a.get_typed_func::<(i32, i32), ()>(&mut store, "put")?
        .call(&mut store, (12, 5))?;
    let b = linker.instantiate(&mut store, &importer)?;
    assert_eq!(
        b.get_typed_func::<i32, i32>(&mut store, "get")?
            .call(&mut store, 12)?,
        5
    );
    // The linker's definition is the shared memory itself, so a store on
    // another thread can link against the same linker.
    let linker = Arc::new(linker);
    let got = std::thread::spawn(move || -> weft::Result<i32> {
        let mut store = Store::new(&engine, ());
        let c = linker.instantiate(&mut store, &importer)?;
        c.get_typed_func::<i32, i32>(&mut store, "get")?
            .call(&mut store, 12)
    })
    .join()
    .expect("thread")?;
    assert_eq!(got, 5);
    Ok(())
}

#[test]
fn an_unshared_memory_export_links_by_linker_and_extern_slice() -> weft::Result<()> {
    let engine = threads_engine();
    let exporter = Module::new(
        &engine,
        r#"(module (memory (export "mem") 1 2)
             (data (i32.const 16) "\2a\00\00\00"))"#,
    )?;
    let importer = Module::new(
        &engine,
        r#"(module (import "a" "mem" (memory 1 2))
             (func (export "get") (result i32) (i32.load (i32.const 16))))"#,
    )?;
    let mut store = Store::new(&engine, ());
    let a = Instance::new(&mut store, &exporter, &[])?;
    let mem = a.get_memory(&mut store, "mem").expect("unshared export");
    assert!(a.get_shared_memory(&mut store, "mem").is_none());
    assert!(mem.into_shared_memory().is_err());
    let b = Instance::new(&mut store, &importer, &[mem.into()])?;
    assert_eq!(
        b.get_typed_func::<(), i32>(&mut store, "get")?
            .call(&mut store, ())?,
        42
    );
    let mut linker = Linker::new(&engine);
    linker.instance(&mut store, "a", a)?;
    let c = linker.instantiate(&mut store, &importer)?;
    assert_eq!(
        c.get_typed_func::<(), i32>(&mut store, "get")?
            .call(&mut store, ())?,
        42
    );
    Ok(())
}

/// Asserts `result` is a link error about import 0 `env::memory`.
fn assert_memory_link_error(result: weft::Result<Instance>, why: &str) {
    let e = result.expect_err(why);
    assert!(
        matches!(e.kind(), ErrorKind::Link(_)),
        "{why}: not a link error: {e:?}"
    );
    let message = e.to_string();
    assert!(
        message.contains("env::memory") && message.contains("memory"),
        "{why}: the error should name the import: {message}"
    );
}

#[test]
fn sharedness_mismatches_fail_to_link() -> weft::Result<()> {
    let engine = threads_engine();
    let wants_unshared = Module::new(&engine, r#"(module (import "env" "memory" (memory 1 5)))"#)?;
    let wants_shared = Module::new(&engine, IMPORTER)?;
    let shared = SharedMemory::new(&engine, MemoryType::shared(1, 5))?;
    let mut store = Store::new(&engine, ());

    assert_memory_link_error(
        Instance::new(&mut store, &wants_unshared, &[shared.clone().into()]),
        "a SharedMemory where an unshared memory is declared",
    );
    let as_memory = Memory::from_shared_memory(&mut store, &shared)?;
    assert_memory_link_error(
        Instance::new(&mut store, &wants_unshared, &[as_memory.into()]),
        "a store Memory wrapping a shared memory where an unshared one is declared",
    );
    let unshared = Memory::new(&mut store, MemoryType::new(1, Some(5)))?;
    assert_memory_link_error(
        Instance::new(&mut store, &wants_shared, &[unshared.into()]),
        "an unshared memory where a shared one is declared",
    );
    let mut linker = Linker::new(&engine);
    linker.define("env", "memory", unshared)?;
    assert_memory_link_error(
        linker.instantiate(&mut store, &wants_shared),
        "an unshared memory from a linker where a shared one is declared",
    );
    // The matching imports do link.
    Instance::new(&mut store, &wants_unshared, &[unshared.into()])?;
    Instance::new(&mut store, &wants_shared, &[shared.into()])?;
    Ok(())
}

#[test]
fn limits_mismatches_fail_to_link_and_subtypes_link() -> weft::Result<()> {
    let engine = threads_engine();
    // Declares at least 2 pages and at most 4.
    let module = Module::new(
        &engine,
        r#"(module (import "env" "memory" (memory 2 4 shared)))"#,
    )?;
    let mut store = Store::new(&engine, ());
    let link = |store: &mut Store<()>, ty: MemoryType| -> weft::Result<Instance> {
        let shared = SharedMemory::new(&engine, ty)?;
        Instance::new(store, &module, &[shared.into()])
    };
    assert_memory_link_error(
        link(&mut store, MemoryType::shared(1, 4)),
        "current size below the declared minimum",
    );
    assert_memory_link_error(
        link(&mut store, MemoryType::shared(2, 5)),
        "maximum above the declared maximum",
    );
    link(&mut store, MemoryType::shared(2, 4))?;
    link(&mut store, MemoryType::shared(3, 3))?;
    // The minimum is checked against the current size, so growing a small
    // memory first makes it fit.
    let grown = SharedMemory::new(&engine, MemoryType::shared(1, 4))?;
    grown.grow(1)?;
    Instance::new(&mut store, &module, &[grown.into()])?;
    // A memory where a function is declared is the wrong kind.
    let e = Instance::new(
        &mut store,
        &Module::new(&engine, r#"(module (import "env" "memory" (func)))"#)?,
        &[SharedMemory::new(&engine, MemoryType::shared(1, 1))?.into()],
    )
    .expect_err("a memory is not a function");
    assert!(e.to_string().contains("env::memory"), "{e}");
    Ok(())
}

#[test]
fn without_threads_shared_memories_and_atomics_do_not_validate() {
    let engine = Engine::new(Config::new().wasm_threads(false)).expect("engine");
    for (what, wat) in [
        ("a defined shared memory", "(module (memory 1 1 shared))"),
        (
            "an imported shared memory",
            r#"(module (import "env" "memory" (memory 1 1 shared)))"#,
        ),
        (
            "an atomic rmw",
            "(module (memory 1) (func (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))))",
        ),
        (
            "memory.atomic.notify",
            "(module (memory 1) (func (drop (memory.atomic.notify (i32.const 0) (i32.const 1)))))",
        ),
        ("atomic.fence", "(module (func atomic.fence))"),
    ] {
        let e = Module::new(&engine, wat).expect_err(what);
        assert!(
            matches!(e.kind(), ErrorKind::InvalidModule { .. }),
            "{what}: {e:?}"
        );
        assert!(
            e.to_string().contains("threads"),
            "{what}: the error should say the threads proposal is off: {e}"
        );
    }
    // The same modules validate with threads on.
    let engine = threads_engine();
    assert!(Module::new(&engine, "(module (memory 1 1 shared) (func atomic.fence))").is_ok());
}

/// A module over an unshared memory, for the rules atomics keep there.
const UNSHARED: &str = r#"(module (memory 1)
  (func (export "wait32") (param i32 i32) (result i32)
    (memory.atomic.wait32 (local.get 0) (local.get 1) (i64.const 0)))
  (func (export "wait64") (param i32 i64) (result i32)
    (memory.atomic.wait64 (local.get 0) (local.get 1) (i64.const -1)))
  (func (export "notify") (param i32 i32) (result i32)
    (memory.atomic.notify (local.get 0) (local.get 1)))
  (func (export "rmw") (param i32) (result i32)
    (i32.atomic.rmw.add (local.get 0) (i32.const 1))))"#;

#[test]
fn wait_on_an_unshared_memory_traps_and_notify_there_wakes_none() -> weft::Result<()> {
    let engine = threads_engine();
    let module = Module::new(&engine, UNSHARED)?;
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[])?;
    let wait32 = instance.get_typed_func::<(i32, i32), i32>(&mut store, "wait32")?;
    let wait64 = instance.get_typed_func::<(i32, i64), i32>(&mut store, "wait64")?;
    let notify = instance.get_typed_func::<(i32, i32), i32>(&mut store, "notify")?;
    let rmw = instance.get_typed_func::<i32, i32>(&mut store, "rmw")?;

    for (addr, expected) in [(0, 0), (8, 1), (8, 0)] {
        let e = wait32
            .call(&mut store, (addr, expected))
            .expect_err("unshared");
        assert_eq!(trap_code(&e), TrapCode::ExpectedSharedMemory);
        assert!(e.to_string().contains("expected shared memory"), "{e}");
        let e = wait64
            .call(&mut store, (addr, i64::from(expected)))
            .expect_err("unshared; an infinite timeout must not block");
        assert_eq!(trap_code(&e), TrapCode::ExpectedSharedMemory);
    }
    for count in [0, 1, -1] {
        assert_eq!(notify.call(&mut store, (16, count))?, 0);
    }
    // Atomics on an unshared memory are ordinary accesses, with checks.
    assert_eq!(rmw.call(&mut store, 16)?, 0);
    assert_eq!(rmw.call(&mut store, 16)?, 1);
    // Notify still checks alignment, then bounds.
    let e = notify.call(&mut store, (18, 1)).expect_err("unaligned");
    assert_eq!(trap_code(&e), TrapCode::UnalignedAtomic);
    let e = notify
        .call(&mut store, (65536, 1))
        .expect_err("out of bounds");
    assert_eq!(trap_code(&e), TrapCode::MemoryOutOfBounds);
    Ok(())
}

#[test]
fn unaligned_and_out_of_bounds_traps_unaligned_atomic_for_every_atomic() -> weft::Result<()> {
    let engine = threads_engine();
    // Every function takes an address; each access is 2, 4 or 8 bytes wide.
    let module = Module::new(
        &engine,
        r#"(module (import "env" "memory" (memory 1 1 shared))
          (func (export "load16") (param i32) (drop (i32.atomic.load16_u (local.get 0))))
          (func (export "load32") (param i32) (drop (i32.atomic.load (local.get 0))))
          (func (export "load64") (param i32) (drop (i64.atomic.load (local.get 0))))
          (func (export "store32") (param i32) (i32.atomic.store (local.get 0) (i32.const 1)))
          (func (export "store64_32") (param i32) (i64.atomic.store32 (local.get 0) (i64.const 1)))
          (func (export "rmw_add64") (param i32) (drop (i64.atomic.rmw.add (local.get 0) (i64.const 1))))
          (func (export "rmw16_xchg") (param i32)
            (drop (i32.atomic.rmw16.xchg_u (local.get 0) (i32.const 1))))
          (func (export "cmpxchg32") (param i32)
            (drop (i32.atomic.rmw.cmpxchg (local.get 0) (i32.const 0) (i32.const 1))))
          (func (export "wait32") (param i32)
            (drop (memory.atomic.wait32 (local.get 0) (i32.const 0) (i64.const 0))))
          (func (export "wait64") (param i32)
            (drop (memory.atomic.wait64 (local.get 0) (i64.const 0) (i64.const 0))))
          (func (export "notify") (param i32)
            (drop (memory.atomic.notify (local.get 0) (i32.const 1))))
          (func (export "load32_offset") (param i32)
            (drop (i32.atomic.load offset=65537 (local.get 0)))))"#,
    )?;
    let shared = SharedMemory::new(&engine, MemoryType::shared(1, 1))?;
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[shared.into()])?;
    for (name, width) in [
        ("load16", 2),
        ("load32", 4),
        ("load64", 8),
        ("store32", 4),
        ("store64_32", 4),
        ("rmw_add64", 8),
        ("rmw16_xchg", 2),
        ("cmpxchg32", 4),
        ("wait32", 4),
        ("wait64", 8),
        ("notify", 4),
    ] {
        let f = instance.get_typed_func::<i32, ()>(&mut store, name)?;
        let code = |store: &mut Store<()>, addr: i32| {
            let e = f.call(store, addr).expect_err("traps");
            trap_code(&e)
        };
        // Unaligned and past the end (just past, far past, the top of the
        // 32-bit space): alignment wins.
        for addr in [65536 + 1, 65536 * 7 + 1, -1, i32::MAX] {
            assert_eq!(
                code(&mut store, addr),
                TrapCode::UnalignedAtomic,
                "{name} at {addr:#x}"
            );
        }
        // Aligned and past the end: bounds.
        assert_eq!(
            code(&mut store, 65536),
            TrapCode::MemoryOutOfBounds,
            "{name}"
        );
        // Half over the end is unaligned for every width here (2, 4, 8).
        assert_eq!(
            code(&mut store, 65536 - width / 2),
            TrapCode::UnalignedAtomic,
            "{name} half over the end"
        );
        // Aligned and in bounds (the last slot): fine.
        f.call(&mut store, 65536 - width)?;
    }
    // The offset counts: an aligned base plus an odd offset is unaligned,
    // even when the sum is far out of bounds.
    let f = instance.get_typed_func::<i32, ()>(&mut store, "load32_offset")?;
    let e = f.call(&mut store, 0).expect_err("unaligned via offset");
    assert_eq!(trap_code(&e), TrapCode::UnalignedAtomic);
    let e = f
        .call(&mut store, 3)
        .expect_err("aligned but out of bounds");
    assert_eq!(trap_code(&e), TrapCode::MemoryOutOfBounds);
    Ok(())
}

#[test]
fn memory_handles_from_another_store_are_rejected_not_trusted() -> weft::Result<()> {
    let engine = threads_engine();
    let module = Module::new(&engine, IMPORTER)?;
    let shared = SharedMemory::new(&engine, MemoryType::shared(1, 5))?;
    let mut first = Store::new(&engine, ());
    let mut second = Store::new(&engine, ());
    let in_first = Memory::from_shared_memory(&mut first, &shared)?;
    let e = Instance::new(&mut second, &module, &[in_first.into()])
        .expect_err("a Memory of the first store in the second");
    assert!(e.to_string().contains("different store"), "{e}");
    let e = in_first
        .size(&second)
        .expect_err("size through the wrong store");
    assert!(e.to_string().contains("different store"), "{e}");
    // The handle needs no store to give back its shared memory.
    assert!(in_first.into_shared_memory()?.same(&shared));
    let mut linker = Linker::new(&engine);
    linker.define("env", "memory", in_first)?;
    assert!(linker.instantiate(&mut second, &module).is_err());
    // The SharedMemory itself belongs to no store: it links anywhere.
    Instance::new(&mut second, &module, &[shared.into()])?;
    Ok(())
}

#[test]
fn host_growth_during_a_call_is_seen_by_the_calling_function() -> weft::Result<()> {
    // The function touches page 0, so any length it keeps in a register is
    // one page; the host call grows the memory; the access to the new page
    // after the call must pass, and one past it must trap.
    let engine = threads_engine();
    let module = Module::new(
        &engine,
        r#"(module
          (import "env" "memory" (memory 1 4 shared))
          (import "host" "grow" (func $grow))
          (func (export "run") (param $at i32) (result i32)
            (i32.atomic.store (i32.const 0) (i32.const 1))
            (call $grow)
            (i32.atomic.store (local.get $at) (i32.const 2))
            (i32.atomic.load (local.get $at))))"#,
    )?;
    let shared = SharedMemory::new(&engine, MemoryType::shared(1, 4))?;
    let mut store = Store::new(&engine, ());
    let grower = shared.clone();
    let grow = weft::Func::wrap(&mut store, move |_: weft::Caller<'_, ()>| {
        grower.grow(1).expect("below the maximum");
    });
    let instance = Instance::new(&mut store, &module, &[shared.clone().into(), grow.into()])?;
    let run = instance.get_typed_func::<i32, i32>(&mut store, "run")?;
    assert_eq!(run.call(&mut store, 65536)?, 2, "the page the call added");
    assert_eq!(shared.size(), 2);
    assert_eq!(run.call(&mut store, 3 * 65536 - 4)?, 2, "the last word");
    let e = run.call(&mut store, 4 * 65536).expect_err("past the end");
    assert_eq!(trap_code(&e), TrapCode::MemoryOutOfBounds);
    Ok(())
}

#[test]
fn a_store_memory_handle_grows_and_copies_the_shared_memory() -> weft::Result<()> {
    let engine = threads_engine();
    let shared = SharedMemory::new(&engine, MemoryType::shared(1, 3))?;
    let mut store = Store::new(&engine, ());
    let memory = Memory::from_shared_memory(&mut store, &shared)?;
    assert_eq!(memory.grow(&mut store, 1)?, 1);
    assert_eq!(shared.size(), 2, "the store handle grew the shared memory");
    assert_eq!(memory.data_size(&store)?, 2 * 65536);
    shared.grow(1)?;
    assert_eq!(memory.size(&store)?, 3, "and sees growth made elsewhere");
    assert!(memory.grow(&mut store, 1).is_err(), "past the maximum");
    memory.write(&mut store, 3 * 65536 - 2, &[1, 2])?;
    let mut buf = [0u8; 2];
    shared.read(3 * 65536 - 2, &mut buf)?;
    assert_eq!(buf, [1, 2]);
    let e = memory
        .write(&mut store, 3 * 65536 - 1, &[1, 2])
        .expect_err("crosses the end");
    assert_eq!(trap_code(&e), TrapCode::MemoryOutOfBounds);
    Ok(())
}

#[test]
fn shared_memory_new_fails_on_an_engine_without_threads() {
    // Threads are off by default (Config::new), as in wasmtime.
    for engine in [
        Engine::default(),
        Engine::new(Config::new().wasm_threads(false)).expect("engine"),
    ] {
        let e = SharedMemory::new(&engine, MemoryType::shared(1, 1)).expect_err("no threads");
        assert!(e.to_string().contains("threads"), "{e}");
        // A shared type through the store's Memory::new obeys the same rule.
        let mut store = Store::new(&engine, ());
        let e = Memory::new(&mut store, MemoryType::shared(1, 1)).expect_err("no threads");
        assert!(e.to_string().contains("threads"), "{e}");
    }
}

#[test]
fn extern_into_shared_memory_returns_the_exported_memory() -> weft::Result<()> {
    let engine = threads_engine();
    let module = Module::new(&engine, DEFINER)?;
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[])?;
    let export = instance
        .get_export(&mut store, "memory")
        .expect("exported memory");
    let shared = export.clone().into_shared_memory().expect("shared");
    assert!(export.clone().into_memory().is_none());
    assert!(export.into_func().is_none());
    let grow = instance.get_typed_func::<i32, i32>(&mut store, "grow")?;
    assert_eq!(grow.call(&mut store, 1)?, 1);
    assert_eq!(shared.size(), 2, "the same memory");
    let store_fn = instance.get_typed_func::<(i32, i32), ()>(&mut store, "store")?;
    assert!(Extern::from(store_fn.func()).into_shared_memory().is_none());
    Ok(())
}

/// Reservation cap: 64 pages.
fn capped_engine() -> Engine {
    let mut config = Config::new();
    config.wasm_threads(true).max_memory_reservation(64 * 65536);
    Engine::new(&config).expect("engine")
}

const GROWER: &str = r#"(module
  (memory (export "memory") 1 1000)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size)))"#;

#[test]
fn the_reservation_cap_bounds_growth_of_owned_memories() -> weft::Result<()> {
    let engine = capped_engine();
    let module = Module::new(&engine, GROWER)?;
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[])?;
    let grow = instance.get_typed_func::<i32, i32>(&mut store, "grow")?;
    let size = instance.get_typed_func::<(), i32>(&mut store, "size")?;
    assert_eq!(grow.call(&mut store, 63)?, 1, "up to the cap");
    assert_eq!(size.call(&mut store, ())?, 64);
    assert_eq!(grow.call(&mut store, 1)?, -1, "past the cap, below the max");
    assert_eq!(grow.call(&mut store, 0)?, 64, "growing by 0 still works");
    let memory = instance.get_memory(&mut store, "memory").expect("memory");
    assert!(
        memory.grow(&mut store, 1).is_err(),
        "the host is capped too"
    );
    assert_eq!(memory.size(&store)?, 64);
    // Memory::new under the same engine.
    let own = Memory::new(&mut store, MemoryType::new(60, Some(1000)))?;
    assert_eq!(own.grow(&mut store, 4)?, 60);
    assert!(own.grow(&mut store, 1).is_err());
    Ok(())
}

#[test]
fn the_reservation_cap_bounds_growth_of_shared_memories() -> weft::Result<()> {
    let engine = capped_engine();
    let shared = SharedMemory::new(&engine, MemoryType::shared(1, 1000))?;
    assert_eq!(shared.grow(63)?, 1);
    assert!(shared.grow(1).is_err(), "past the cap");
    assert_eq!(shared.size(), 64);
    // And from wasm importing it.
    let module = Module::new(
        &engine,
        r#"(module (import "env" "memory" (memory 1 1000 shared))
             (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#,
    )?;
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[shared.clone().into()])?;
    let grow = instance.get_typed_func::<i32, i32>(&mut store, "grow")?;
    assert_eq!(grow.call(&mut store, 1)?, -1);
    assert_eq!(grow.call(&mut store, 0)?, 64);
    // A shared memory defined by an instance is capped as well.
    let module = Module::new(
        &engine,
        r#"(module (memory 1 1000 shared)
             (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#,
    )?;
    let instance = Instance::new(&mut store, &module, &[])?;
    let grow = instance.get_typed_func::<i32, i32>(&mut store, "grow")?;
    assert_eq!(grow.call(&mut store, 63)?, 1);
    assert_eq!(grow.call(&mut store, 1)?, -1);
    Ok(())
}

#[test]
fn a_minimum_beyond_the_reservation_cap_fails_naming_the_cap() -> weft::Result<()> {
    let engine = capped_engine();
    let cap = (64 * 65536).to_string();
    let names_cap = |e: Error| {
        let text = e.to_string();
        assert!(
            text.contains(&cap) && text.contains("max_memory_reservation"),
            "{text}"
        );
    };
    names_cap(SharedMemory::new(&engine, MemoryType::shared(65, 1000)).expect_err("over"));
    let mut store = Store::new(&engine, ());
    names_cap(Memory::new(&mut store, MemoryType::new(65, None)).expect_err("over"));
    let module = Module::new(&engine, "(module (memory 65))")?;
    names_cap(Instance::new(&mut store, &module, &[]).expect_err("over"));
    // Exactly the cap is fine.
    Memory::new(&mut store, MemoryType::new(64, Some(64)))?;
    Ok(())
}

#[test]
fn host_atomics_load_store_and_read_modify_write() -> weft::Result<()> {
    let engine = threads_engine();
    let shared = SharedMemory::new(&engine, MemoryType::shared(1, 1))?;
    shared.atomic_store_u32(8, 40)?;
    assert_eq!(shared.atomic_fetch_add_u32(8, 2)?, 40);
    assert_eq!(shared.atomic_load_u32(8)?, 42);
    assert_eq!(shared.atomic_fetch_sub_u32(8, 43)?, 42);
    assert_eq!(shared.atomic_load_u32(8)?, u32::MAX, "wrapping");
    assert_eq!(shared.atomic_compare_exchange_u32(8, 0, 1)?, Err(u32::MAX));
    assert_eq!(
        shared.atomic_compare_exchange_u32(8, u32::MAX, 7)?,
        Ok(u32::MAX)
    );
    assert_eq!(shared.atomic_swap_u32(8, 0b1100)?, 7);
    assert_eq!(shared.atomic_fetch_and_u32(8, 0b1010)?, 0b1100);
    assert_eq!(shared.atomic_fetch_or_u32(8, 0b0001)?, 0b1000);
    assert_eq!(shared.atomic_fetch_xor_u32(8, 0b1111)?, 0b1001);
    assert_eq!(shared.atomic_load_u32(8)?, 0b0110);
    // Little-endian, as wasm sees it.
    assert_eq!(read_u32(&shared, 8), 0b0110);

    shared.atomic_store_u64(16, u64::MAX - 1)?;
    assert_eq!(shared.atomic_fetch_add_u64(16, 3)?, u64::MAX - 1);
    assert_eq!(shared.atomic_load_u64(16)?, 1);
    assert_eq!(shared.atomic_compare_exchange_u64(16, 1, 1 << 40)?, Ok(1));
    assert_eq!(shared.atomic_load_u64(16)?, 1 << 40);
    assert_eq!(
        shared.atomic_load_u16(20)?,
        1 << 8,
        "bits 32..48 of 1 << 40"
    );
    assert_eq!(shared.atomic_load_u8(21)?, 1);
    shared.atomic_store_u8(0, 0xAB)?;
    assert_eq!(shared.atomic_fetch_add_u16(0, 1)?, 0xAB);
    Ok(())
}

#[test]
fn host_atomics_check_alignment_then_bounds_and_never_panic() -> weft::Result<()> {
    let engine = threads_engine();
    let shared = SharedMemory::new(&engine, MemoryType::shared(1, 1))?;
    let code = |r: weft::Result<u32>| trap_code(&r.expect_err("must fail"));
    assert_eq!(code(shared.atomic_load_u32(2)), TrapCode::UnalignedAtomic);
    assert_eq!(
        code(shared.atomic_fetch_add_u32(65535, 1)),
        TrapCode::UnalignedAtomic
    );
    assert_eq!(
        code(shared.atomic_load_u32(65536)),
        TrapCode::MemoryOutOfBounds
    );
    assert_eq!(
        code(shared.atomic_swap_u32(u64::MAX - 3, 1)),
        TrapCode::MemoryOutOfBounds
    );
    let e = shared.atomic_store_u64(4, 1).expect_err("unaligned u64");
    assert_eq!(trap_code(&e), TrapCode::UnalignedAtomic);
    let e = shared.atomic_load_u64(65536).expect_err("out of bounds");
    assert_eq!(trap_code(&e), TrapCode::MemoryOutOfBounds);
    let e = shared.atomic_load_u16(1).expect_err("unaligned u16");
    assert_eq!(trap_code(&e), TrapCode::UnalignedAtomic);
    let e = shared
        .atomic_wait32(6, 0, None)
        .expect_err("unaligned wait32");
    assert_eq!(trap_code(&e), TrapCode::UnalignedAtomic);
    let e = shared
        .atomic_wait64(4, 0, None)
        .expect_err("unaligned wait64");
    assert_eq!(trap_code(&e), TrapCode::UnalignedAtomic);
    let e = shared
        .atomic_wait64(65536, 0, None)
        .expect_err("out of bounds");
    assert_eq!(trap_code(&e), TrapCode::MemoryOutOfBounds);
    assert_eq!(
        shared.atomic_load_u32(65532)?,
        0,
        "the last word is in bounds"
    );
    Ok(())
}

#[test]
fn host_waits_report_mismatch_and_timeout() -> weft::Result<()> {
    let engine = threads_engine();
    let shared = SharedMemory::new(&engine, MemoryType::shared(1, 1))?;
    shared.atomic_store_u32(0, 5)?;
    assert_eq!(shared.atomic_wait32(0, 4, None)?, WaitResult::Mismatch);
    shared.atomic_store_u64(8, 1 << 33)?;
    assert_eq!(
        shared.atomic_wait64(8, 1, None)?,
        WaitResult::Mismatch,
        "all 64 bits compared"
    );
    let started = Instant::now();
    let timeout = Some(Duration::from_millis(20));
    assert_eq!(shared.atomic_wait32(0, 5, timeout)?, WaitResult::TimedOut);
    assert_eq!(
        shared.atomic_wait64(8, 1 << 33, timeout)?,
        WaitResult::TimedOut
    );
    assert!(started.elapsed() >= Duration::from_millis(40));
    assert_eq!(
        shared.atomic_wait32(0, 5, Some(Duration::ZERO))?,
        WaitResult::TimedOut
    );
    Ok(())
}

/// Notifies `addr` until one waiter wakes (the waiter may not have queued
/// yet when the first notify runs).
fn notify_until_one_wakes(mut notify: impl FnMut() -> weft::Result<u32>) -> weft::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match notify()? {
            0 => {
                assert!(Instant::now() < deadline, "the waiter never queued");
                std::thread::sleep(Duration::from_millis(1));
            }
            1 => return Ok(()),
            n => panic!("notify(count 1) woke {n}"),
        }
    }
}

#[test]
fn a_host_waiter_is_woken_by_wasm_notify() -> weft::Result<()> {
    let engine = threads_engine();
    let module = Module::new(
        &engine,
        r#"(module (import "env" "memory" (memory 1 5 shared))
             (func (export "notify") (param i32 i32) (result i32)
               (memory.atomic.notify (local.get 0) (local.get 1))))"#,
    )?;
    let shared = SharedMemory::new(&engine, MemoryType::shared(1, 5))?;
    for wide in [false, true] {
        let waiter = std::thread::spawn({
            let shared = shared.clone();
            move || {
                if wide {
                    shared.atomic_wait64(128, 0, None)
                } else {
                    shared.atomic_wait32(128, 0, None)
                }
            }
        });
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &module, &[shared.clone().into()])?;
        let notify = instance.get_typed_func::<(i32, i32), i32>(&mut store, "notify")?;
        notify_until_one_wakes(|| Ok(notify.call(&mut store, (128, 1))? as u32))?;
        assert_eq!(waiter.join().expect("waiter thread")?, WaitResult::Ok);
    }
    Ok(())
}

#[test]
fn a_wasm_waiter_is_woken_by_host_notify_after_a_host_store() -> weft::Result<()> {
    let engine = threads_engine();
    let module = Module::new(&engine, IMPORTER)?;
    let shared = SharedMemory::new(&engine, MemoryType::shared(1, 5))?;
    let waiter = std::thread::spawn({
        let (engine, shared) = (engine.clone(), shared.clone());
        move || -> weft::Result<i32> {
            let mut store = Store::new(&engine, ());
            let instance = Instance::new(&mut store, &module, &[shared.into()])?;
            instance
                .get_typed_func::<(i32, i32), i32>(&mut store, "wait")?
                .call(&mut store, (256, 0))
        }
    });
    // Wait until the wasm waiter has queued, then publish and notify as a
    // wasm program would: a store, then a notify.
    notify_until_one_wakes(|| {
        shared.atomic_store_u32(256, 0)?;
        shared.atomic_notify(256, 1)
    })?;
    assert_eq!(waiter.join().expect("waiter thread")?, 0, "woken (\"ok\")");
    // After the store of a new value, a new waiter sees the mismatch.
    shared.atomic_store_u32(256, 1)?;
    assert_eq!(shared.atomic_wait32(256, 0, None)?, WaitResult::Mismatch);
    Ok(())
}

#[test]
fn into_shared_memory_needs_no_store_and_fails_cleanly_once_the_store_is_gone() -> weft::Result<()>
{
    let engine = threads_engine();
    let module = Module::new(&engine, DEFINER)?;
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[])?;
    let memory = instance
        .get_memory(&mut store, "memory")
        .expect("exported shared memory");
    let shared = memory.into_shared_memory()?;
    assert!(
        memory.into_shared_memory()?.same(&shared),
        "twice, the same"
    );
    drop(store);
    let e = memory
        .into_shared_memory()
        .expect_err("the handle's store is gone");
    assert!(e.to_string().contains("store has been dropped"), "{e}");
    // The memory itself lives on in the `SharedMemory` taken out before.
    assert_eq!(shared.grow(1)?, 1);

    let mut store = Store::new(&engine, ());
    let owned = Memory::new(&mut store, MemoryType::new(1, None))?;
    let e = owned.into_shared_memory().expect_err("unshared");
    assert!(e.to_string().contains("not shared"), "{e}");
    Ok(())
}

#[test]
fn a_shared_memory_of_another_engine_is_refused_everywhere() -> weft::Result<()> {
    let (ours, theirs) = (threads_engine(), threads_engine());
    let module = Module::new(&ours, IMPORTER)?;
    let foreign = SharedMemory::new(&theirs, MemoryType::shared(1, 5))?;
    assert!(Engine::same(foreign.engine(), &theirs));
    let mut store = Store::new(&ours, ());
    let e = Memory::from_shared_memory(&mut store, &foreign)
        .expect_err("a memory of another engine wrapped into our store");
    assert!(e.to_string().contains("different engine"), "{e}");
    let e = Instance::new(&mut store, &module, &[foreign.clone().into()])
        .expect_err("a memory of another engine imported");
    assert!(e.to_string().contains("different engine"), "{e}");
    let mut linker = Linker::new(&ours);
    linker.define("env", "memory", foreign.clone())?;
    let e = linker
        .instantiate(&mut store, &module)
        .expect_err("a memory of another engine linked");
    assert!(e.to_string().contains("different engine"), "{e}");
    // Refusals change nothing: the store still links a memory of its own.
    let own = SharedMemory::new(&ours, MemoryType::shared(1, 5))?;
    let memory = Memory::from_shared_memory(&mut store, &own)?;
    Instance::new(&mut store, &module, &[memory.into()])?;
    Ok(())
}

/// One shared memory imported twice (multi-memory): `memory.copy` from
/// the second index to the first is a copy within one memory, so
/// overlapping ranges move as if through a buffer, however long (longer
/// than any chunk a copy might go in).
#[test]
fn memory_copy_between_two_imports_of_one_shared_memory_overlaps_right() -> weft::Result<()> {
    let mut config = Config::new();
    config.wasm_threads(true).wasm_multi_memory(true);
    let engine = Engine::new(&config)?;
    let memory = SharedMemory::new(&engine, MemoryType::shared(3, 3))?;
    let module = Module::new(
        &engine,
        r#"(module
          (import "env" "a" (memory 3 3 shared))
          (import "env" "b" (memory 3 3 shared))
          (func (export "copy") (param i32 i32 i32)
            (memory.copy 0 1 (local.get 0) (local.get 1) (local.get 2))))"#,
    )?;
    let mut store = Store::new(&engine, ());
    let imports = [memory.clone().into(), memory.clone().into()];
    let instance = Instance::new(&mut store, &module, &imports)?;
    let copy = instance.get_typed_func::<(i32, i32, i32), ()>(&mut store, "copy")?;
    let len = 150_000usize;
    let original: Vec<u8> = (0..len + 1).map(|i| (i % 253) as u8).collect();
    memory.write(0, &original)?;
    copy.call(&mut store, (1, 0, len as i32))?;
    let mut expected = original.clone();
    expected.copy_within(0..len, 1);
    let mut back = vec![0u8; len + 1];
    memory.read(0, &mut back)?;
    assert!(back == expected, "the overlapping copy smeared its source");
    Ok(())
}
