//! Atomic accesses, `wait` and `notify`, including blocking across OS
//! threads that share one memory.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use weft_verify::interp::{Extern, Instance, MemoryRef, Module, Trap, Value};

const ATOMICS: &str = r#"(module
  (import "env" "mem" (memory 1 1 shared))
  (func (export "add8") (param i32 i32) (result i32) (i32.atomic.rmw8.add_u (local.get 0) (local.get 1)))
  (func (export "sub16") (param i32 i64) (result i64) (i64.atomic.rmw16.sub_u (local.get 0) (local.get 1)))
  (func (export "xchg") (param i32 i64) (result i64) (i64.atomic.rmw.xchg (local.get 0) (local.get 1)))
  (func (export "or32") (param i32 i64) (result i64) (i64.atomic.rmw32.or_u (local.get 0) (local.get 1)))
  (func (export "cmpxchg8") (param i32 i32 i32) (result i32)
    (i32.atomic.rmw8.cmpxchg_u (local.get 0) (local.get 1) (local.get 2)))
  (func (export "load") (param i32) (result i32) (i32.atomic.load (local.get 0)))
  (func (export "load64") (param i32) (result i64) (i64.atomic.load (local.get 0)))
  (func (export "store") (param i32 i32) (i32.atomic.store (local.get 0) (local.get 1)))
  (func (export "wait32") (param i32 i32 i64) (result i32)
    (memory.atomic.wait32 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "wait64") (param i32 i64 i64) (result i32)
    (memory.atomic.wait64 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "notify") (param i32 i32) (result i32)
    (memory.atomic.notify (local.get 0) (local.get 1)))
  (func (export "fence") (atomic.fence)))"#;

fn instantiate(mem: &MemoryRef) -> Instance {
    let wasm = wat::parse_str(ATOMICS).expect("test module is valid text");
    let module = Module::new(&wasm).expect("validates");
    Instance::new(&module, &[Extern::Memory(mem.clone())]).expect("instantiates")
}

fn shared() -> MemoryRef {
    MemoryRef::new(1, Some(1), true).expect("valid limits")
}

#[test]
fn narrow_rmw_wraps_and_zero_extends() {
    let mem = shared();
    let i = instantiate(&mem);
    mem.write(0, &[0xff, 0x01]).unwrap();
    assert_eq!(
        i.invoke("add8", &[Value::I32(0), Value::I32(0x102)]),
        Ok(vec![Value::I32(0xff)])
    );
    // 0xff + 0x02 wraps to 0x01 in one byte; the neighbour is untouched.
    assert_eq!(
        i.invoke("load", &[Value::I32(0)]),
        Ok(vec![Value::I32(0x0101)])
    );
    assert_eq!(
        i.invoke("sub16", &[Value::I32(0), Value::I64(0x0102)]),
        Ok(vec![Value::I64(0x0101)])
    );
    assert_eq!(
        i.invoke("load", &[Value::I32(0)]),
        Ok(vec![Value::I32(0xffff)])
    );
    assert_eq!(
        i.invoke("or32", &[Value::I32(0), Value::I64(-1)]),
        Ok(vec![Value::I64(0xffff)])
    );
    assert_eq!(i.invoke("load", &[Value::I32(0)]), Ok(vec![Value::I32(-1)]));
    assert_eq!(
        i.invoke("xchg", &[Value::I32(0), Value::I64(5)]),
        Ok(vec![Value::I64(0xffff_ffff)])
    );
    assert_eq!(
        i.invoke("load64", &[Value::I32(0)]),
        Ok(vec![Value::I64(5)])
    );
}

#[test]
fn cmpxchg_compares_the_wrapped_expected_value() {
    let mem = shared();
    let i = instantiate(&mem);
    mem.write(0, &[0x11]).unwrap();
    let r = i.invoke(
        "cmpxchg8",
        &[Value::I32(0), Value::I32(0x1111_1111), Value::I32(0xcdcd)],
    );
    assert_eq!(r, Ok(vec![Value::I32(0x11)]));
    assert_eq!(
        i.invoke("load", &[Value::I32(0)]),
        Ok(vec![Value::I32(0xcd)])
    );
    let r = i.invoke(
        "cmpxchg8",
        &[Value::I32(0), Value::I32(0x11), Value::I32(0)],
    );
    assert_eq!(r, Ok(vec![Value::I32(0xcd)]));
    assert_eq!(
        i.invoke("load", &[Value::I32(0)]),
        Ok(vec![Value::I32(0xcd)])
    );
}

#[test]
fn alignment_is_checked_before_bounds() {
    let i = instantiate(&shared());
    assert_eq!(
        i.invoke("load", &[Value::I32(1)]),
        Err(Trap::UnalignedAtomic)
    );
    assert_eq!(
        i.invoke("load", &[Value::I32(65533)]),
        Err(Trap::UnalignedAtomic)
    );
    assert_eq!(
        i.invoke("load", &[Value::I32(65536)]),
        Err(Trap::MemoryOutOfBounds)
    );
    assert_eq!(
        i.invoke("notify", &[Value::I32(2), Value::I32(1)]),
        Err(Trap::UnalignedAtomic)
    );
    assert_eq!(
        i.invoke("wait64", &[Value::I32(4), Value::I64(0), Value::I64(0)]),
        Err(Trap::UnalignedAtomic)
    );
    assert_eq!(
        i.invoke("notify", &[Value::I32(65536), Value::I32(1)]),
        Err(Trap::MemoryOutOfBounds)
    );
}

#[test]
fn unshared_memory_wait_traps_and_notify_returns_zero() {
    let wasm = wat::parse_str(
        r#"(module (memory 1 1)
          (func (export "wait") (param i32) (result i32)
            (memory.atomic.wait32 (local.get 0) (i32.const 0) (i64.const 0)))
          (func (export "notify") (param i32) (result i32)
            (memory.atomic.notify (local.get 0) (i32.const 1))))"#,
    )
    .unwrap();
    let i = Instance::new(&Module::new(&wasm).unwrap(), &[]).unwrap();
    assert_eq!(
        i.invoke("wait", &[Value::I32(0)]),
        Err(Trap::ExpectedSharedMemory)
    );
    assert_eq!(
        i.invoke("wait", &[Value::I32(1)]),
        Err(Trap::UnalignedAtomic)
    );
    assert_eq!(
        i.invoke("notify", &[Value::I32(0)]),
        Ok(vec![Value::I32(0)])
    );
    assert_eq!(
        i.invoke("notify", &[Value::I32(65536)]),
        Err(Trap::MemoryOutOfBounds)
    );
    assert_eq!(
        Trap::ExpectedSharedMemory.to_string(),
        "expected shared memory"
    );
}

#[test]
fn wait_returns_not_equal_and_timed_out() {
    let mem = shared();
    let i = instantiate(&mem);
    mem.write(8, &[1]).unwrap();
    assert_eq!(
        i.invoke("wait32", &[Value::I32(8), Value::I32(0), Value::I64(-1)]),
        Ok(vec![Value::I32(1)])
    );
    let start = Instant::now();
    assert_eq!(
        i.invoke(
            "wait64",
            &[Value::I32(8), Value::I64(1), Value::I64(20_000_000)]
        ),
        Ok(vec![Value::I32(2)])
    );
    assert!(start.elapsed() >= Duration::from_millis(20));
    // A huge timeout must not overflow; with the value unequal it returns at once.
    assert_eq!(
        i.invoke(
            "wait64",
            &[Value::I32(8), Value::I64(2), Value::I64(i64::MAX)]
        ),
        Ok(vec![Value::I32(1)])
    );
    assert_eq!(
        i.invoke("notify", &[Value::I32(8), Value::I32(10)]),
        Ok(vec![Value::I32(0)])
    );
}

/// Spins (with sleeps) until `n` threads are parked on the instance's
/// address: notify with count 0 wakes nobody, so we poll via a counter that
/// each thread bumps just before it calls `wait`, then give them time to
/// block. A late waiter is still correct: it either sees the updated value
/// (not-equal) or is woken.
fn wait_for_started(started: &AtomicUsize, n: usize) {
    while started.load(Ordering::SeqCst) < n {
        std::thread::sleep(Duration::from_millis(1));
    }
    std::thread::sleep(Duration::from_millis(50));
}

#[test]
fn notify_wakes_waiters_across_threads() {
    let mem = shared();
    let started = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let mem = mem.clone();
            let started = Arc::clone(&started);
            std::thread::spawn(move || {
                // Each thread has its own instance over the shared memory.
                let i = instantiate(&mem);
                started.fetch_add(1, Ordering::SeqCst);
                i.invoke("wait32", &[Value::I32(16), Value::I32(0), Value::I64(-1)])
            })
        })
        .collect();
    let i = instantiate(&mem);
    wait_for_started(&started, 4);
    // Wake two, then the rest; every waiter is woken exactly once.
    let first = i
        .invoke("notify", &[Value::I32(16), Value::I32(2)])
        .unwrap();
    let rest = i
        .invoke("notify", &[Value::I32(16), Value::I32(-1)])
        .unwrap();
    let [Value::I32(first)] = first[..] else {
        panic!()
    };
    let [Value::I32(rest)] = rest[..] else {
        panic!()
    };
    assert_eq!(first, 2);
    assert_eq!(first + rest, 4);
    for t in threads {
        assert_eq!(t.join().expect("no panic"), Ok(vec![Value::I32(0)]));
    }
}

#[test]
fn a_store_then_notify_is_never_lost() {
    // A waiter that compares before the store must be queued when the notify
    // runs; one that compares after sees the new value. Either way it returns.
    for _ in 0..50 {
        let mem = shared();
        let waiter = {
            let mem = mem.clone();
            std::thread::spawn(move || {
                let i = instantiate(&mem);
                i.invoke("wait32", &[Value::I32(0), Value::I32(0), Value::I64(-1)])
            })
        };
        let i = instantiate(&mem);
        i.invoke("store", &[Value::I32(0), Value::I32(1)]).unwrap();
        i.invoke("notify", &[Value::I32(0), Value::I32(1)]).unwrap();
        let r = waiter.join().expect("no panic").expect("no trap");
        assert!(
            r == vec![Value::I32(0)] || r == vec![Value::I32(1)],
            "{r:?}"
        );
    }
}

#[test]
fn atomic_counter_is_exact_under_contention() {
    let mem = shared();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let mem = mem.clone();
            std::thread::spawn(move || {
                let i = instantiate(&mem);
                for _ in 0..500 {
                    i.invoke("add8", &[Value::I32(32), Value::I32(1)]).unwrap();
                    i.invoke("fence", &[]).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("no panic");
    }
    let mut byte = [0u8; 1];
    mem.read(32, &mut byte).unwrap();
    assert_eq!(byte[0], (2000 % 256) as u8);
}

#[test]
fn a_wake_racing_a_timeout_is_counted_exactly_once() {
    // Waiters with timeouts close to when notify runs: whatever interleaving
    // happens, the number notify reports must equal the number of waiters
    // that return 0 ("woken"); the others return 2 ("timed out").
    let mem = shared();
    let notifier = instantiate(&mem);
    let mut reported = 0;
    let mut woken = 0;
    for round in 0..40u64 {
        let waiters: Vec<_> = (0..3)
            .map(|k| {
                let mem = mem.clone();
                std::thread::spawn(move || {
                    let i = instantiate(&mem);
                    let timeout = Value::I64(((round + k) % 5 * 200_000) as i64);
                    i.invoke("wait32", &[Value::I32(64), Value::I32(0), timeout])
                })
            })
            .collect();
        std::thread::sleep(Duration::from_micros(round % 7 * 100));
        let [Value::I32(n)] = notifier
            .invoke("notify", &[Value::I32(64), Value::I32(-1)])
            .expect("no trap")[..]
        else {
            panic!("one i32 result")
        };
        reported += n;
        for w in waiters {
            match w.join().expect("no panic").expect("no trap")[..] {
                [Value::I32(0)] => woken += 1,
                [Value::I32(2)] => {}
                ref other => panic!("unexpected wait result {other:?}"),
            }
        }
        // Late waiters (that joined after this round's notify) timed out;
        // none may be left in the queue for the next round.
        let [Value::I32(left)] = notifier
            .invoke("notify", &[Value::I32(64), Value::I32(-1)])
            .expect("no trap")[..]
        else {
            panic!("one i32 result")
        };
        assert_eq!(left, 0, "a finished waiter was still queued");
    }
    assert_eq!(reported, woken);
}
