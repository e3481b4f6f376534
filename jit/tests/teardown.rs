//! Teardown never pulls a shared memory out from under a thread that still
//! uses it: dropping a store, its instances, or the `SharedMemory` handle
//! the memory was made with leaves every other user's view intact, and
//! the memory goes away only with its last user. Stores may also be dropped
//! on another thread than the one that made them.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use weft::{Config, Engine, Func, Instance, MemoryType, Module, SharedMemory, Store, TrapCode};

fn threads_engine() -> Engine {
    let mut config = Config::new();
    config.wasm_threads(true);
    Engine::new(&config).expect("this host supports the JIT")
}

/// Defines a shared memory and writes a marker into it.
const DEFINER: &str = r#"(module
  (memory (export "memory") 1 8 shared)
  (func (export "mark") (param i32 i32) (i32.atomic.store (local.get 0) (local.get 1))))"#;

/// Imports the memory and works on it: `work` runs until the flag at 0 is
/// set, touching the last word of the memory on every round and growing
/// it by one page every 4096 rounds (until the maximum refuses). It
/// returns the rounds it ran.
const USER: &str = r#"(module
  (import "env" "memory" (memory 1 8 shared))
  (func (export "work") (result i32)
    (local $rounds i32) (local $end i32)
    (drop (i32.atomic.rmw.add (i32.const 4) (i32.const 1)))
    (loop $l
      (local.set $end (i32.shl (memory.size) (i32.const 16)))
      (drop (i32.atomic.rmw.add (i32.sub (local.get $end) (i32.const 4)) (i32.const 1)))
      (if (i32.eqz (i32.and (local.get $rounds) (i32.const 4095)))
        (then (drop (memory.grow (i32.const 1)))))
      (local.set $rounds (i32.add (local.get $rounds) (i32.const 1)))
      (br_if $l (i32.eqz (i32.atomic.load (i32.const 0)))))
    (local.get $rounds))
  (func (export "load") (param i32) (result i32) (i32.atomic.load (local.get 0)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size))
  (func (export "wait") (param i32) (result i32)
    (memory.atomic.wait32 (local.get 0) (i32.const 0) (i64.const -1))))"#;

fn read_u32(memory: &SharedMemory, offset: usize) -> u32 {
    let mut word = [0u8; 4];
    memory.read(offset, &mut word).expect("offset in bounds");
    u32::from_le_bytes(word)
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The user side: instantiates `USER` over `memory` (then drops its own
/// handle, so only its store keeps the memory), reports that it is inside
/// `work`, and after `work` returns checks that the memory is still whole.
/// Returns `work`'s rounds and the size it ended with.
fn run_user(engine: &Engine, memory: SharedMemory, marker_at: i32) -> (i32, i32) {
    let module = Module::new(engine, USER).expect("compiles");
    let mut store = Store::new(engine, ());
    let instance = Instance::new(&mut store, &module, &[memory.into()]).expect("links");
    let work = instance
        .get_typed_func::<(), i32>(&mut store, "work")
        .expect("typed");
    let rounds = work
        .call(&mut store, ())
        .expect("works on while the other side is torn down");
    let load = instance
        .get_typed_func::<i32, i32>(&mut store, "load")
        .expect("typed");
    let grow = instance
        .get_typed_func::<i32, i32>(&mut store, "grow")
        .expect("typed");
    let size = instance
        .get_typed_func::<(), i32>(&mut store, "size")
        .expect("typed");
    // The marker the other side wrote before it went away is still there.
    assert_eq!(load.call(&mut store, marker_at).expect("load"), 0x5eed);
    // The memory still grows (up to its maximum of 8) and the new page is
    // usable; past the end still traps cleanly.
    let before = size.call(&mut store, ()).expect("size");
    let grew = grow.call(&mut store, 1).expect("grow");
    let after = size.call(&mut store, ()).expect("size");
    if before < 8 {
        assert_eq!((grew, after), (before, before + 1));
    } else {
        assert_eq!((grew, after), (-1, 8));
    }
    load.call(&mut store, (after << 16) - 4).expect("last word");
    let e = load
        .call(&mut store, after << 16)
        .expect_err("past the end");
    assert_eq!(
        e.as_trap().map(|t| t.code()),
        Some(TrapCode::MemoryOutOfBounds)
    );
    (rounds, after)
}

#[test]
fn dropping_the_defining_store_leaves_the_memory_to_an_importer_on_another_thread() {
    let engine = threads_engine();
    let (to_user, from_definer) = mpsc::channel::<SharedMemory>();
    let (to_main, from_definer_done) = mpsc::channel::<SharedMemory>();
    // Thread A defines the memory, hands a clone out, and drops its store
    // and instance while B is inside `work`.
    let definer = std::thread::spawn({
        let engine = engine.clone();
        move || {
            let module = Module::new(&engine, DEFINER).expect("compiles");
            let mut store = Store::new(&engine, ());
            let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
            instance
                .get_typed_func::<(i32, i32), ()>(&mut store, "mark")
                .expect("typed")
                .call(&mut store, (16, 0x5eed))
                .expect("marks");
            let memory = instance
                .get_shared_memory(&mut store, "memory")
                .expect("shared export");
            to_user.send(memory.clone()).expect("user listens");
            // Keep one handle only for the main thread to watch with.
            wait_for("the user to start working", || read_u32(&memory, 4) == 1);
            // The instance lives in the store: dropping the store drops it.
            drop(store);
            to_main.send(memory).expect("main listens");
        }
    });
    let user = std::thread::spawn({
        let engine = engine.clone();
        move || {
            let memory = from_definer.recv().expect("definer sends");
            run_user(&engine, memory, 16)
        }
    });
    let watch = from_definer_done.recv().expect("definer finishes");
    definer.join().expect("definer thread");
    // The defining store is gone; let the user run on a little (it grows
    // the memory meanwhile), then stop it.
    let rounds_before = read_u32(&watch, 65532);
    wait_for("the user to keep working", || {
        read_u32(&watch, 65532) > rounds_before || watch.size() > 1
    });
    watch.write(0, &1u32.to_le_bytes()).expect("stop");
    let (rounds, size) = user.join().expect("user thread");
    assert!(rounds > 0);
    assert_eq!(watch.size(), size as u64, "one memory, one size");
}

#[test]
fn dropping_the_original_shared_memory_handle_and_its_store_leaves_other_users_whole() {
    let engine = threads_engine();
    let original = SharedMemory::new(&engine, MemoryType::shared(1, 8)).expect("memory");
    let for_user = original.clone();
    let watch = original.clone();
    let user = std::thread::spawn({
        let engine = engine.clone();
        move || run_user(&engine, for_user, 32)
    });
    // Thread A takes the original handle, uses it from a store, and drops
    // the store and the handle while the user works.
    std::thread::spawn({
        let engine = engine.clone();
        move || {
            let module = Module::new(&engine, USER).expect("compiles");
            let mut store = Store::new(&engine, ());
            let instance =
                Instance::new(&mut store, &module, &[original.clone().into()]).expect("links");
            wait_for("the user to start working", || read_u32(&original, 4) == 1);
            original.write(32, &0x5eedu32.to_le_bytes()).expect("mark");
            let grow = instance
                .get_typed_func::<i32, i32>(&mut store, "grow")
                .expect("typed");
            // Ok either way: the user may already have grown to the maximum.
            let _ = grow.call(&mut store, 1).expect("grow runs");
            drop(store);
            drop(original);
        }
    })
    .join()
    .expect("thread A");
    watch.write(0, &1u32.to_le_bytes()).expect("stop");
    let (rounds, size) = user.join().expect("user thread");
    assert!(rounds > 0);
    assert_eq!(watch.size(), size as u64);
}

#[test]
fn a_waiter_survives_the_teardown_of_every_other_user_and_is_still_woken() {
    let engine = threads_engine();
    let memory = SharedMemory::new(&engine, MemoryType::shared(1, 8)).expect("memory");
    let module = Module::new(&engine, USER).expect("compiles");
    let waiter = std::thread::spawn({
        let (module, memory) = (module.clone(), memory.clone());
        move || {
            let mut store = Store::new(module.engine(), ());
            let instance = Instance::new(&mut store, &module, &[memory.into()]).expect("links");
            instance
                .get_typed_func::<i32, i32>(&mut store, "wait")
                .expect("typed")
                .call(&mut store, 64)
                .expect("waits")
        }
    });
    // Another store comes and goes on yet another thread while the waiter
    // sleeps; then the waiter is woken through a handle made before all
    // that.
    let notifier = memory.clone();
    std::thread::spawn({
        let (module, memory) = (module.clone(), memory);
        move || {
            let mut store = Store::new(module.engine(), ());
            let _instance = Instance::new(&mut store, &module, &[memory.into()]).expect("links");
        }
    })
    .join()
    .expect("thread");
    wait_for("the waiter to be woken", || {
        notifier.atomic_notify(64, 1).expect("notify") == 1
    });
    assert_eq!(waiter.join().expect("waiter thread"), 0);
}

#[test]
fn a_store_is_dropped_on_another_thread_than_the_one_that_made_it() {
    let engine = threads_engine();
    let module = Module::new(
        &engine,
        r#"(module
          (import "host" "note" (func $note (param i32)))
          (memory (export "memory") 1 2 shared)
          (func (export "run") (param i32) (result i32)
            (call $note (local.get 0))
            (i32.atomic.store (i32.const 0) (local.get 0))
            (i32.atomic.load (i32.const 0))))"#,
    )
    .expect("compiles");
    let mut store = Store::new(&engine, Vec::<String>::new());
    let note = Func::wrap(
        &mut store,
        |mut caller: weft::Caller<'_, Vec<String>>, x: i32| {
            caller.data_mut().push(format!("note {x}"));
        },
    );
    let instance = Instance::new(&mut store, &module, &[note.into()]).expect("links");
    let memory = instance
        .get_shared_memory(&mut store, "memory")
        .expect("shared export");
    let run = instance
        .get_typed_func::<i32, i32>(&mut store, "run")
        .expect("typed");
    assert_eq!(run.call(&mut store, 1).expect("runs"), 1);
    let notes = std::thread::spawn(move || {
        assert_eq!(run.call(&mut store, 2).expect("runs on the new thread"), 2);
        let notes = store.data().clone();
        drop(store);
        notes
    })
    .join()
    .expect("thread");
    assert_eq!(notes, ["note 1", "note 2"]);
    // The store and its instance are gone; the memory they defined is not.
    assert_eq!(read_u32(&memory, 0), 2);
    assert_eq!(memory.grow(1).expect("grows"), 1);
}

#[test]
fn instances_outlive_every_module_and_engine_handle() {
    // The store keeps what its instances need: dropping the embedder's
    // Engine and Module handles, on another thread, leaves the code and the
    // memory usable.
    let (mut store, run, memory) = {
        let engine = threads_engine();
        let module = Module::new(&engine, DEFINER).expect("compiles");
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
        let run = instance
            .get_typed_func::<(i32, i32), ()>(&mut store, "mark")
            .expect("typed");
        let memory = instance
            .get_shared_memory(&mut store, "memory")
            .expect("shared export");
        std::thread::spawn(move || drop((engine, module)))
            .join()
            .expect("thread");
        (store, run, memory)
    };
    let memory = std::thread::spawn(move || {
        run.call(&mut store, (4, 9)).expect("code still mapped");
        memory
    })
    .join()
    .expect("thread");
    assert_eq!(read_u32(&memory, 4), 9);
}

/// Virtual memory of this process in bytes (Linux's `VmSize`).
#[cfg(target_os = "linux")]
fn vm_size() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("procfs");
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmSize:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmSize line");
    kib * 1024
}

#[test]
#[cfg(target_os = "linux")]
fn the_reservation_is_released_with_the_last_user_and_not_before() {
    // A memory with a maximum of 65536 pages reserves 4 GiB of address
    // space. Four of them move VmSize by 16 GiB, far above anything the
    // other tests in this binary allocate at the same time (they keep
    // their memories at 8 pages).
    const GIB: u64 = 1 << 30;
    const MEMORIES: usize = 4;
    let engine = threads_engine();
    // USER's maximum of 8 pages does not admit these memories.
    let module = Module::new(
        &engine,
        r#"(module (import "env" "memory" (memory 1 65536 shared))
             (func (export "bump") (result i32)
               (i32.atomic.rmw.add (i32.const 0) (i32.const 1))))"#,
    )
    .expect("compiles");
    let base = vm_size();
    let memories: Vec<SharedMemory> = (0..MEMORIES)
        .map(|_| SharedMemory::new(&engine, MemoryType::shared(1, 65536)).expect("4 GiB"))
        .collect();
    let reserved = vm_size();
    assert!(
        reserved >= base + (4 * MEMORIES as u64 - 1) * GIB,
        "creating reserved {} GiB",
        (reserved.saturating_sub(base)) / GIB
    );

    // Two users per memory, each on its own thread with its own store;
    // the handles the memories were made with are dropped at once.
    let (release_first, first_rx) = mpsc::channel::<()>();
    let (release_second, second_rx) = mpsc::channel::<()>();
    let (done_tx, done_rx) = mpsc::channel::<&'static str>();
    let spawn_user = |memories: Vec<SharedMemory>, rx: mpsc::Receiver<()>, name| {
        let (module, done) = (module.clone(), done_tx.clone());
        std::thread::spawn(move || {
            let mut store = Store::new(module.engine(), ());
            let instances: Vec<Instance> = memories
                .into_iter()
                .map(|m| Instance::new(&mut store, &module, &[m.into()]).expect("links"))
                .collect();
            for i in &instances {
                i.get_typed_func::<(), i32>(&mut store, "bump")
                    .expect("typed")
                    .call(&mut store, ())
                    .expect("runs");
            }
            done.send(name).expect("main listens");
            rx.recv().expect("released");
            // Still usable after the other user is gone.
            for i in &instances {
                i.get_typed_func::<(), i32>(&mut store, "bump")
                    .expect("typed")
                    .call(&mut store, ())
                    .expect("runs");
            }
            drop(store);
            done.send(name).expect("main listens");
        })
    };
    let first = spawn_user(memories.clone(), first_rx, "first");
    let second = spawn_user(memories, second_rx, "second");
    for _ in 0..2 {
        done_rx.recv().expect("a user is set up");
    }
    assert!(
        vm_size() >= base + (4 * MEMORIES as u64 - 1) * GIB,
        "the original handles are gone but both users remain"
    );
    release_first.send(()).expect("first listens");
    assert_eq!(done_rx.recv().expect("first done"), "first");
    first.join().expect("first user");
    assert!(
        vm_size() >= base + (4 * MEMORIES as u64 - 1) * GIB,
        "one user remains: nothing may be unmapped yet"
    );
    release_second.send(()).expect("second listens");
    assert_eq!(done_rx.recv().expect("second done"), "second");
    second.join().expect("second user");
    let after = vm_size();
    eprintln!(
        "VmSize: {} MiB at start, {} MiB with the memories, {} MiB after the last user",
        base >> 20,
        reserved >> 20,
        after >> 20
    );
    // Leaking even one memory would leave 4 GiB; the 2 GiB allowance is
    // for what the allocator and other tests' threads map meanwhile
    // (glibc reserves 64 MiB per malloc arena).
    assert!(
        after < base + 2 * GIB,
        "the last user is gone: {} GiB still reserved",
        after.saturating_sub(base) / GIB
    );
}
