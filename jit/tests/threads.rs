//! Threads end to end: host threads, each with its own `Store` and
//! `Instance`, sharing one `SharedMemory`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use weft::{Config, Engine, Instance, MemoryType, Module, SharedMemory, Store, TrapCode};

const WAT: &str = r#"(module
  (import "env" "memory" (memory 1 4 shared))
  (func (export "add_many") (param $n i32)
    (loop $l
      (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))
      (local.tee $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l)))
  (func (export "cas_many") (param $n i32) (local $old i32)
    (loop $l
      (loop $retry
        (local.set $old (i64.atomic.load32_u offset=8 (i32.const 0)) (i32.wrap_i64))
        (br_if $retry (i32.ne (local.get $old)
          (i32.atomic.rmw.cmpxchg offset=8 (i32.const 0) (local.get $old)
            (i32.add (local.get $old) (i32.const 1))))))
      (local.tee $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l)))
  (func (export "wait") (result i32)
    (memory.atomic.wait32 (i32.const 16) (i32.const 0) (i64.const -1)))
  (func (export "notify") (result i32)
    (i32.atomic.store (i32.const 16) (i32.const 1))
    (memory.atomic.notify (i32.const 16) (i32.const 1)))
  (func (export "grow") (result i32) (memory.grow (i32.const 1)))
  (func (export "load_high") (result i32) (i32.load (i32.const 100000)))
  (func (export "unaligned") (result i32) (i32.atomic.load (i32.const 2))))"#;

fn engine() -> Engine {
    let mut config = Config::new();
    config.wasm_threads(true);
    Engine::new(&config).expect("supported host")
}

fn instantiate(engine: &Engine, module: &Module, memory: &SharedMemory) -> (Store<()>, Instance) {
    let mut store = Store::new(engine, ());
    let instance =
        Instance::new(&mut store, module, &[memory.clone().into()]).expect("instantiates");
    (store, instance)
}

#[test]
fn atomic_increments_from_four_stores_on_four_threads_all_land() {
    let engine = engine();
    let module = Module::new(&engine, WAT).expect("compiles");
    let memory = SharedMemory::new(&engine, MemoryType::shared(1, 4)).expect("memory");
    const THREADS: usize = 4;
    const N: i32 = 20_000;
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                let (mut store, i) = instantiate(&engine, &module, &memory);
                for name in ["add_many", "cas_many"] {
                    i.get_typed_func::<i32, ()>(&store, name)
                        .expect("typed")
                        .call(&mut store, N)
                        .expect("runs");
                }
            });
        }
    });
    let mut word = [0u8; 4];
    memory.read(0, &mut word).expect("in bounds");
    assert_eq!(u32::from_le_bytes(word), THREADS as u32 * N as u32);
    memory.read(8, &mut word).expect("in bounds");
    assert_eq!(u32::from_le_bytes(word), THREADS as u32 * N as u32);
}

#[test]
fn a_waiter_on_one_thread_is_woken_by_a_notify_on_another() {
    let engine = engine();
    let module = Module::new(&engine, WAT).expect("compiles");
    let memory = SharedMemory::new(&engine, MemoryType::shared(1, 4)).expect("memory");
    let woke = Arc::new(AtomicBool::new(false));
    std::thread::scope(|s| {
        let waiter = s.spawn(|| {
            let (mut store, i) = instantiate(&engine, &module, &memory);
            let r = i
                .get_typed_func::<(), i32>(&store, "wait")
                .expect("typed")
                .call(&mut store, ())
                .expect("runs");
            // Relaxed: only read after the scope joins this thread.
            woke.store(true, Ordering::Relaxed);
            r
        });
        let (mut store, i) = instantiate(&engine, &module, &memory);
        let notify = i
            .get_typed_func::<(), i32>(&store, "notify")
            .expect("typed");
        // The waiter may not be queued yet: notify until one is woken or
        // the waiter has seen the stored 1 ("not-equal").
        loop {
            if notify.call(&mut store, ()).expect("runs") == 1 || waiter.is_finished() {
                break;
            }
            std::thread::yield_now();
        }
        let result = waiter.join().expect("waiter thread");
        assert!(result == 0 || result == 1, "wait returned {result}");
    });
    assert!(woke.load(Ordering::Relaxed));
}

#[test]
fn growth_on_one_thread_is_seen_by_accesses_on_another() {
    let engine = engine();
    let module = Module::new(&engine, WAT).expect("compiles");
    let memory = SharedMemory::new(&engine, MemoryType::shared(1, 4)).expect("memory");
    let (mut store, i) = instantiate(&engine, &module, &memory);
    let load_high = i
        .get_typed_func::<(), i32>(&store, "load_high")
        .expect("typed");
    let e = load_high.call(&mut store, ()).expect_err("beyond one page");
    assert_eq!(
        e.as_trap().map(|t| t.code()),
        Some(TrapCode::MemoryOutOfBounds)
    );
    std::thread::scope(|s| {
        s.spawn(|| {
            let (mut store, i) = instantiate(&engine, &module, &memory);
            let old = i
                .get_typed_func::<(), i32>(&store, "grow")
                .expect("typed")
                .call(&mut store, ())
                .expect("runs");
            assert_eq!(old, 1);
        });
    });
    assert_eq!(load_high.call(&mut store, ()).expect("now in bounds"), 0);
    assert_eq!(memory.size(), 2);
}

#[test]
fn atomics_check_alignment_and_wait_needs_a_shared_memory() {
    let engine = engine();
    let module = Module::new(&engine, WAT).expect("compiles");
    let memory = SharedMemory::new(&engine, MemoryType::shared(1, 4)).expect("memory");
    let (mut store, i) = instantiate(&engine, &module, &memory);
    let e = i
        .get_typed_func::<(), i32>(&store, "unaligned")
        .expect("typed")
        .call(&mut store, ())
        .expect_err("unaligned");
    assert_eq!(
        e.as_trap().map(|t| t.code()),
        Some(TrapCode::UnalignedAtomic)
    );

    let unshared = Module::new(
        &engine,
        r#"(module (memory 1)
            (func (export "wait") (result i32)
              (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const 0)))
            (func (export "notify") (result i32)
              (memory.atomic.notify (i32.const 0) (i32.const 1))))"#,
    )
    .expect("compiles");
    let mut store = Store::new(&engine, ());
    let i = Instance::new(&mut store, &unshared, &[]).expect("instantiates");
    let e = i
        .get_typed_func::<(), i32>(&store, "wait")
        .expect("typed")
        .call(&mut store, ())
        .expect_err("unshared");
    assert_eq!(
        e.as_trap().map(|t| t.code()),
        Some(TrapCode::ExpectedSharedMemory)
    );
    let n = i
        .get_typed_func::<(), i32>(&store, "notify")
        .expect("typed")
        .call(&mut store, ())
        .expect("notify on unshared memory");
    assert_eq!(n, 0);
}

#[test]
fn a_shared_memory_export_is_importable_from_another_thread() {
    let engine = engine();
    let exporter = Module::new(
        &engine,
        r#"(module (memory (export "m") 1 1 shared)
            (func (export "put") (i32.atomic.store (i32.const 4) (i32.const 99))))"#,
    )
    .expect("compiles");
    let importer = Module::new(
        &engine,
        r#"(module (import "e" "m" (memory 1 1 shared))
            (func (export "get") (result i32) (i32.atomic.load (i32.const 4))))"#,
    )
    .expect("compiles");
    let mut store = Store::new(&engine, ());
    let i = Instance::new(&mut store, &exporter, &[]).expect("instantiates");
    i.get_typed_func::<(), ()>(&store, "put")
        .expect("typed")
        .call(&mut store, ())
        .expect("runs");
    let shared = i.get_shared_memory(&store, "m").expect("shared export");
    let got = std::thread::spawn({
        let engine = engine.clone();
        move || {
            let mut store = Store::new(&engine, ());
            let i = Instance::new(&mut store, &importer, &[shared.into()]).expect("links");
            i.get_typed_func::<(), i32>(&store, "get")
                .expect("typed")
                .call(&mut store, ())
                .expect("runs")
        }
    })
    .join()
    .expect("thread");
    assert_eq!(got, 99);
}
