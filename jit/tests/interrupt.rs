//! Interrupting wasm from outside: epoch deadlines, interrupt handles and
//! groups, interruptible waits, fuel. No test asserts a timing: each one
//! asserts that the stopped code stops (a hang fails the test run).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::Duration;

use weft::{
    Config, Engine, Instance, InterruptHandle, MemoryType, Module, SharedMemory, Store, TrapCode,
    UpdateDeadline,
};

const SPIN: &str = r#"(module
  (func (export "spin") (loop (br 0)))
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "count") (param i32) (result i32)
    (loop $l
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br_if $l (local.get 0)))
    (local.get 0)))"#;

const WAITER: &str = r#"(module
  (import "env" "memory" (memory 1 1 shared))
  (func (export "wait") (param i32) (result i32)
    (memory.atomic.wait32 (local.get 0) (i32.const 0) (i64.const -1)))
  (func (export "wait_for") (param i32 i64) (result i32)
    (memory.atomic.wait32 (local.get 0) (i32.const 0) (local.get 1))))"#;

fn engine(epoch: bool, fuel: bool) -> Engine {
    let mut config = Config::new();
    config
        .wasm_threads(true)
        .epoch_interruption(epoch)
        .consume_fuel(fuel);
    Engine::new(&config).expect("supported host")
}

fn trap(e: &weft::Error) -> Option<TrapCode> {
    e.as_trap().map(|t| t.code())
}

fn spin_instance(engine: &Engine, store: &mut Store<()>) -> Instance {
    let module = Module::new(engine, SPIN).expect("compiles");
    Instance::new(store, &module, &[]).expect("instantiates")
}

#[test]
fn trap_codes_print_their_messages() {
    assert_eq!(TrapCode::Interrupt.to_string(), "interrupt");
    assert_eq!(
        TrapCode::OutOfFuel.to_string(),
        "all fuel consumed by WebAssembly"
    );
    for code in [TrapCode::Interrupt, TrapCode::OutOfFuel] {
        assert_eq!(TrapCode::from_u32(code.as_u32()), Some(code));
    }
}

#[test]
fn an_infinite_loop_on_another_thread_stops_after_interrupt() {
    let engine = engine(true, false);
    let (tx, rx) = mpsc::channel();
    let runner = thread::spawn(move || {
        let mut store = Store::new(&engine, ());
        store.set_epoch_deadline(u64::MAX);
        let instance = spin_instance(&engine, &mut store);
        let spin = instance
            .get_typed_func::<(), ()>(&store, "spin")
            .expect("typed");
        tx.send(store.interrupt_handle()).expect("send");
        spin.call(&mut store, ()).map_err(|e| trap(&e))
    });
    let handle = rx.recv().expect("handle");
    handle.interrupt();
    assert_eq!(
        runner.join().expect("runner"),
        Err(Some(TrapCode::Interrupt))
    );
    assert!(handle.is_interrupted());
}

#[test]
fn an_infinite_wait_on_another_thread_returns_the_interrupt_trap() {
    // Waits are interruptible whatever the Config: no epoch checks here.
    let engine = engine(false, false);
    let memory = SharedMemory::new(&engine, MemoryType::shared(1, 1)).expect("memory");
    let module = Module::new(&engine, WAITER).expect("compiles");
    let mut store = Store::new(&engine, ());
    let handle = store.interrupt_handle();
    let waiter = {
        let memory = memory.clone();
        thread::spawn(move || {
            let instance =
                Instance::new(&mut store, &module, &[memory.into()]).expect("instantiates");
            let wait = instance
                .get_typed_func::<i32, i32>(&store, "wait")
                .expect("typed");
            wait.call(&mut store, 0).map_err(|e| trap(&e))
        })
    };
    // Interrupt at whatever point the waiter has reached: before, while or
    // after it queues, it must end with the trap and not a wake-up.
    stops_with_the_interrupt_trap(waiter, &memory, || handle.interrupt());
}

/// Runs `stop` a little later than now, wherever the waiter on word 0 of
/// `memory` has got to; asserts that the waiter then ends with the trap
/// `interrupt`, having left the queue (nothing left to wake).
fn stops_with_the_interrupt_trap(
    waiter: thread::JoinHandle<Result<i32, Option<TrapCode>>>,
    memory: &SharedMemory,
    stop: impl FnOnce(),
) {
    thread::sleep(Duration::from_millis(5));
    stop();
    assert_eq!(
        waiter.join().expect("waiter"),
        Err(Some(TrapCode::Interrupt))
    );
    assert_eq!(memory.atomic_notify(0, u32::MAX).expect("notify"), 0);
}

#[test]
fn a_host_wait_with_the_store_handle_is_interrupted() {
    let engine = engine(false, false);
    let memory = SharedMemory::new(&engine, MemoryType::shared(1, 1)).expect("memory");
    let handle = InterruptHandle::new();
    let waiter = {
        let (memory, handle) = (memory.clone(), handle.clone());
        thread::spawn(move || {
            memory
                .atomic_wait64_interruptible(8, 0, None, &handle)
                .map_err(|e| trap(&e))
        })
    };
    handle.interrupt();
    assert_eq!(
        waiter.join().expect("waiter"),
        Err(Some(TrapCode::Interrupt))
    );
    // Started after the interrupt: returns at once, without waiting.
    assert_eq!(
        memory
            .atomic_wait32_interruptible(0, 0, None, &handle)
            .map_err(|e| trap(&e)),
        Err(Some(TrapCode::Interrupt))
    );
    // A bad address is still reported as such.
    assert_eq!(
        memory
            .atomic_wait32_interruptible(2, 0, None, &handle)
            .map_err(|e| trap(&e)),
        Err(Some(TrapCode::UnalignedAtomic))
    );
}

#[test]
fn a_group_interrupt_stops_several_stores_on_several_threads_and_no_other() {
    let engine = engine(true, false);
    let memory = SharedMemory::new(&engine, MemoryType::shared(1, 1)).expect("memory");
    let waiter_module = Module::new(&engine, WAITER).expect("compiles");
    let group = InterruptHandle::new();
    let started = Arc::new(AtomicU32::new(0));
    let mut threads = Vec::new();
    for i in 0..4 {
        let (engine, group, started) = (engine.clone(), group.clone(), Arc::clone(&started));
        let (memory, waiter_module) = (memory.clone(), waiter_module.clone());
        threads.push(thread::spawn(move || {
            let mut store = Store::new(&engine, ());
            store.set_interrupt_handle(&group);
            store.set_epoch_deadline(u64::MAX);
            started.fetch_add(1, Ordering::SeqCst);
            if i % 2 == 0 {
                let instance = spin_instance(&engine, &mut store);
                let spin = instance
                    .get_typed_func::<(), ()>(&store, "spin")
                    .expect("typed");
                spin.call(&mut store, ()).map_err(|e| trap(&e))
            } else {
                let instance = Instance::new(&mut store, &waiter_module, &[memory.into()])
                    .expect("instantiates");
                let wait = instance
                    .get_typed_func::<i32, i32>(&store, "wait")
                    .expect("typed");
                wait.call(&mut store, 4 * i)
                    .map(|_| ())
                    .map_err(|e| trap(&e))
            }
        }));
    }
    // A store outside the group keeps running.
    let mut outsider = Store::new(&engine, ());
    outsider.set_epoch_deadline(u64::MAX);
    let outside = spin_instance(&engine, &mut outsider);
    while started.load(Ordering::SeqCst) < 4 {
        thread::yield_now();
    }
    group.interrupt();
    for t in threads {
        assert_eq!(t.join().expect("member"), Err(Some(TrapCode::Interrupt)));
    }
    assert!(!outsider.interrupt_handle().is_interrupted());
    let add = outside
        .get_typed_func::<(i32, i32), i32>(&outsider, "add")
        .expect("typed");
    assert_eq!(add.call(&mut outsider, (2, 3)).expect("runs"), 5);
    // A store joining the group afterwards is interrupted at once.
    let mut late = Store::new(&engine, ());
    late.set_epoch_deadline(u64::MAX);
    let instance = spin_instance(&engine, &mut late);
    late.set_interrupt_handle(&group);
    let add = instance
        .get_typed_func::<(i32, i32), i32>(&late, "add")
        .expect("typed");
    assert_eq!(
        add.call(&mut late, (1, 1)).map_err(|e| trap(&e)),
        Err(Some(TrapCode::Interrupt))
    );
}

#[test]
fn interrupting_a_store_not_running_twice_and_after_its_drop_is_harmless() {
    let engine = engine(true, false);
    let mut store = Store::new(&engine, ());
    store.set_epoch_deadline(u64::MAX);
    let instance = spin_instance(&engine, &mut store);
    let add = instance
        .get_typed_func::<(i32, i32), i32>(&store, "add")
        .expect("typed");
    assert_eq!(add.call(&mut store, (1, 2)).expect("runs"), 3);
    let handle = store.interrupt_handle();
    let other_thread = {
        let handle = handle.clone();
        thread::spawn(move || {
            handle.interrupt();
            handle.interrupt();
            handle
        })
    };
    let handle_from_thread = other_thread.join().expect("interrupter");
    // Sticky: every later call traps, a new deadline does not undo it.
    store.set_epoch_deadline(u64::MAX);
    for _ in 0..2 {
        assert_eq!(
            add.call(&mut store, (1, 2)).map_err(|e| trap(&e)),
            Err(Some(TrapCode::Interrupt))
        );
    }
    drop(store);
    // The handles outlive the store.
    handle.interrupt();
    assert!(handle_from_thread.is_interrupted());
    drop(handle);
    handle_from_thread.interrupt();
}

#[test]
fn dropping_a_store_while_another_thread_interrupts_it_is_defined() {
    let engine = engine(true, false);
    for _ in 0..50 {
        let store = Store::new(&engine, ());
        let handle = store.interrupt_handle();
        let interrupter = thread::spawn(move || handle.interrupt());
        drop(store);
        interrupter.join().expect("interrupter");
    }
}

#[test]
fn the_epoch_deadline_starts_reached_and_traps_or_calls_back() {
    let engine = engine(true, false);
    let mut store = Store::new(&engine, 0u32);
    let module = Module::new(&engine, SPIN).expect("compiles");
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    let count = instance
        .get_typed_func::<i32, i32>(&store, "count")
        .expect("typed");
    // As in wasmtime: 0 ticks beyond the current epoch, already reached.
    assert_eq!(
        count.call(&mut store, 10).map_err(|e| trap(&e)),
        Err(Some(TrapCode::Interrupt))
    );
    store.set_epoch_deadline(1);
    assert_eq!(count.call(&mut store, 10).expect("runs"), 0);
    engine.increment_epoch();
    assert_eq!(
        count.call(&mut store, 10).map_err(|e| trap(&e)),
        Err(Some(TrapCode::Interrupt))
    );
    // A callback that extends the deadline: the loop of 100 iterations
    // reaches it at its first check and continues.
    store.epoch_deadline_callback(|mut ctx| {
        *ctx.data_mut() += 1;
        Ok(UpdateDeadline::Continue(u64::MAX))
    });
    assert_eq!(count.call(&mut store, 100).expect("runs"), 0);
    assert_eq!(*store.data(), 1);
    // A callback's error ends the call with that error.
    store.set_epoch_deadline(0);
    store.epoch_deadline_callback(|_| Err(weft::ErrorKind::Host("stop here".into()).into()));
    let error = count.call(&mut store, 5).expect_err("callback stops it");
    assert!(error.to_string().contains("stop here"), "{error}");
    store.epoch_deadline_trap();
    assert_eq!(
        count.call(&mut store, 5).map_err(|e| trap(&e)),
        Err(Some(TrapCode::Interrupt))
    );
    // Huge deadlines saturate.
    store.set_epoch_deadline(u64::MAX);
    engine.increment_epoch();
    assert_eq!(count.call(&mut store, 5).expect("runs"), 0);
}

#[test]
fn an_epoch_ticking_thread_stops_an_infinite_loop() {
    let engine = engine(true, false);
    let mut store = Store::new(&engine, ());
    store.set_epoch_deadline(1);
    let instance = spin_instance(&engine, &mut store);
    let spin = instance
        .get_typed_func::<(), ()>(&store, "spin")
        .expect("typed");
    let ticker = {
        let engine = engine.clone();
        thread::spawn(move || engine.increment_epoch())
    };
    assert_eq!(
        spin.call(&mut store, ()).map_err(|e| trap(&e)),
        Err(Some(TrapCode::Interrupt))
    );
    ticker.join().expect("ticker");
}

/// The export `name` of [`WAITER`] instantiated on `memory` in `store`.
fn waiter_func<T, P: weft::WasmParams, R: weft::WasmResults>(
    engine: &Engine,
    store: &mut Store<T>,
    memory: &SharedMemory,
    name: &str,
) -> weft::TypedFunc<P, R> {
    let module = Module::new(engine, WAITER).expect("compiles");
    let instance =
        Instance::new(&mut *store, &module, &[memory.clone().into()]).expect("instantiates");
    instance
        .get_typed_func::<P, R>(&*store, name)
        .expect("typed")
}

/// Notifies word 0 until one waiter is woken (bounded: a waiter that
/// never queues fails the test).
fn notify_one_waiter(memory: &SharedMemory) {
    let start = std::time::Instant::now();
    while memory.atomic_notify(0, 1).expect("notify") == 0 {
        assert!(start.elapsed() < Duration::from_secs(20), "never queued");
        thread::yield_now();
    }
}

#[test]
fn an_epoch_deadline_passing_during_an_infinite_wait_ends_it_with_the_interrupt_trap() {
    let engine = engine(true, false);
    let memory = SharedMemory::new(&engine, MemoryType::shared(1, 1)).expect("memory");
    let (ready, deadline_set) = mpsc::channel();
    let waiter = {
        let (engine, memory) = (engine.clone(), memory.clone());
        thread::spawn(move || {
            let mut store = Store::new(&engine, ());
            store.set_epoch_deadline(1);
            let wait = waiter_func::<_, i32, i32>(&engine, &mut store, &memory, "wait");
            ready.send(()).expect("send");
            wait.call(&mut store, 0).map_err(|e| trap(&e))
        })
    };
    // Tick at whatever point the waiter has reached once its deadline is
    // set (before its call, in it, queued): it must end with the trap, not
    // sleep on.
    deadline_set.recv().expect("ready");
    stops_with_the_interrupt_trap(waiter, &memory, || engine.increment_epoch());
}

#[test]
fn a_deadline_callback_continuing_a_wait_keeps_it_queued_for_a_notify() {
    let engine = engine(true, false);
    let memory = SharedMemory::new(&engine, MemoryType::shared(1, 1)).expect("memory");
    let calls = Arc::new(AtomicU32::new(0));
    let (ready, deadline_set) = mpsc::channel();
    let waiter = {
        let (engine, memory, calls) = (engine.clone(), memory.clone(), Arc::clone(&calls));
        thread::spawn(move || {
            let mut store = Store::new(&engine, ());
            store.set_epoch_deadline(1);
            store.epoch_deadline_callback(move |_| {
                calls.fetch_add(1, Ordering::SeqCst);
                Ok(UpdateDeadline::Continue(u64::MAX))
            });
            let wait = waiter_func::<_, i32, i32>(&engine, &mut store, &memory, "wait");
            ready.send(()).expect("send");
            wait.call(&mut store, 0).map_err(|e| trap(&e))
        })
    };
    // The callback runs once, whether the tick finds the waiter before its
    // call (at the entry check) or in its wait; either way the wait then
    // goes on until the notify, which it returns as a wake-up.
    deadline_set.recv().expect("ready");
    thread::sleep(Duration::from_millis(5));
    engine.increment_epoch();
    let start = std::time::Instant::now();
    while calls.load(Ordering::SeqCst) == 0 {
        assert!(start.elapsed() < Duration::from_secs(20), "no callback");
        thread::yield_now();
    }
    notify_one_waiter(&memory);
    assert_eq!(waiter.join().expect("waiter"), Ok(0));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn a_deadline_already_reached_when_a_wait_starts_does_not_sleep() {
    let engine = engine(true, false);
    let memory = SharedMemory::new(&engine, MemoryType::shared(1, 1)).expect("memory");
    let mut store = Store::new(&engine, 0u32);
    // The entry check's call extends the deadline by 0 ticks (still
    // reached); the wait must see that at once and ask again, and this
    // second answer ends it. Nobody ticks or notifies: a wait that slept
    // would hang the test on this one thread.
    store.epoch_deadline_callback(|mut ctx| {
        *ctx.data_mut() += 1;
        match *ctx.data() {
            1 => Ok(UpdateDeadline::Continue(0)),
            _ => Err(weft::ErrorKind::Host("stopped in the wait".into()).into()),
        }
    });
    let wait = waiter_func::<_, i32, i32>(&engine, &mut store, &memory, "wait");
    let error = wait
        .call(&mut store, 0)
        .expect_err("the deadline ends the wait");
    assert!(error.to_string().contains("stopped in the wait"), "{error}");
    assert_eq!(*store.data(), 2);
    assert_eq!(memory.atomic_notify(0, u32::MAX).expect("notify"), 0);
}

#[test]
fn without_epoch_interruption_a_reached_deadline_leaves_waits_alone() {
    // The store's deadline starts reached, but no checks are compiled: a
    // wait with a timeout times out (2) as it would without epochs.
    let engine = engine(false, false);
    let memory = SharedMemory::new(&engine, MemoryType::shared(1, 1)).expect("memory");
    let mut store = Store::new(&engine, ());
    let wait_for = waiter_func::<_, (i32, i64), i32>(&engine, &mut store, &memory, "wait_for");
    engine.increment_epoch();
    assert_eq!(wait_for.call(&mut store, (0, 1_000_000)).expect("waits"), 2);
}

#[test]
fn fuel_is_counted_by_segments_and_runs_out_exactly() {
    let engine = engine(false, true);
    let mut store = Store::new(&engine, ());
    let instance = spin_instance(&engine, &mut store);
    let add = instance
        .get_typed_func::<(i32, i32), i32>(&store, "add")
        .expect("typed");
    let count = instance
        .get_typed_func::<i32, i32>(&store, "count")
        .expect("typed");
    assert_eq!(store.get_fuel().expect("fuel on"), 0);
    // `add` is one segment of 4 operators: local.get, local.get, i32.add, end.
    assert_eq!(
        add.call(&mut store, (1, 2)).map_err(|e| trap(&e)),
        Err(Some(TrapCode::OutOfFuel))
    );
    store.set_fuel(3).expect("fuel on");
    assert_eq!(
        add.call(&mut store, (1, 2)).map_err(|e| trap(&e)),
        Err(Some(TrapCode::OutOfFuel))
    );
    assert_eq!(
        store.get_fuel().expect("fuel on"),
        3,
        "a failed charge takes nothing"
    );
    store.set_fuel(4).expect("fuel on");
    assert_eq!(add.call(&mut store, (1, 2)).expect("runs"), 3);
    assert_eq!(store.get_fuel().expect("fuel on"), 0);
    // `count(n)`: [loop] 1, then n times the 6-operator body, then [end]
    // 1 and [local.get end] 2.
    store.set_fuel(u64::MAX).expect("fuel on");
    assert_eq!(count.call(&mut store, 10).expect("runs"), 0);
    assert_eq!(
        u64::MAX - store.get_fuel().expect("fuel on"),
        1 + 10 * 6 + 1 + 2
    );
    // Runs out in the ninth iteration: 1 + 8 * 6 + 5 left.
    store.set_fuel(1 + 8 * 6 + 5).expect("fuel on");
    assert_eq!(
        count.call(&mut store, 10).map_err(|e| trap(&e)),
        Err(Some(TrapCode::OutOfFuel))
    );
    assert_eq!(store.get_fuel().expect("fuel on"), 5);
}

#[test]
fn fuel_calls_are_errors_when_fuel_is_off() {
    let engine = engine(false, false);
    let mut store = Store::new(&engine, ());
    assert!(store.set_fuel(10).is_err());
    assert!(store.get_fuel().is_err());
}
