//! weft promises to leave the process's signal handlers alone: no handler
//! is installed to catch faults, because every trap is an explicit check.
//! This test compares the disposition of every fault signal before and
//! after creating engines, compiling, running and trapping, with threads
//! off and on: a shared memory used from several host threads, waits that
//! block until notified, and traps on those threads.

use weft::{
    Config, Engine, Extern, Instance, MemoryType, Module, SharedMemory, Store, TrapCode, Val,
};

/// The handler address and flags for `signal`, as `sigaction` reports them.
fn disposition(signal: libc::c_int) -> (usize, libc::c_int) {
    let mut old = std::mem::MaybeUninit::<libc::sigaction>::zeroed();
    // SAFETY: a null `act` only queries; `old` is valid for writes.
    let rc = unsafe { libc::sigaction(signal, std::ptr::null(), old.as_mut_ptr()) };
    assert_eq!(rc, 0, "sigaction({signal}) failed");
    // SAFETY: `sigaction` succeeded and wrote `old`.
    let old = unsafe { old.assume_init() };
    (old.sa_sigaction, old.sa_flags)
}

const FAULT_SIGNALS: [libc::c_int; 5] = [
    libc::SIGSEGV,
    libc::SIGBUS,
    libc::SIGILL,
    libc::SIGFPE,
    libc::SIGTRAP,
];

#[test]
fn compiling_running_and_trapping_installs_no_signal_handler() {
    let before: Vec<_> = FAULT_SIGNALS.iter().map(|&s| disposition(s)).collect();

    let engine = Engine::default();
    let module = Module::new(
        &engine,
        r#"(module (memory 1)
            (func (export "oob") (result i32) i32.const 70000 i32.load)
            (func (export "div") (param i32) (result i32) i32.const 1 local.get 0 i32.div_s)
            (func $rec (export "rec") call $rec)
            (func (export "unreachable") unreachable))"#,
    )
    .expect("compiles");
    let mut store = Store::new(&engine, ());
    let instance = Instance::new(&mut store, &module, &[]).expect("instantiates");
    let cases = [
        ("oob", vec![], 1, TrapCode::MemoryOutOfBounds),
        ("div", vec![Val::I32(0)], 1, TrapCode::IntegerDivisionByZero),
        ("rec", vec![], 0, TrapCode::StackOverflow),
        ("unreachable", vec![], 0, TrapCode::Unreachable),
    ];
    for (name, args, results, expected) in cases {
        let f = instance.get_func(&store, name).expect("exported");
        let mut out = vec![Val::I32(0); results];
        let e = f.call(&mut store, &args, &mut out).expect_err("traps");
        assert_eq!(e.as_trap().map(|t| t.code()), Some(expected), "{name}");
    }
    drop(store);
    drop(module);

    threads_on_a_shared_memory();

    let after: Vec<_> = FAULT_SIGNALS.iter().map(|&s| disposition(s)).collect();
    assert_eq!(before, after, "signal dispositions changed");
}

/// Waiters on three host threads block in `memory.atomic.wait32` until the
/// main thread stores and notifies; each thread also traps twice (an
/// unaligned atomic, an access past the shared memory's end), and a wait on
/// an unshared memory traps.
fn threads_on_a_shared_memory() {
    const WAITERS: usize = 3;
    let mut config = Config::new();
    // Multi-memory for the unshared memory beside the imported shared one.
    config.wasm_threads(true).wasm_multi_memory(true);
    let engine = Engine::new(&config).expect("threads are supported");
    let module = Module::new(
        &engine,
        r#"(module
            (import "env" "mem" (memory 1 1 shared))
            (memory $private 1)
            (func (export "wait") (result i32)
              (i32.atomic.rmw.add (i32.const 4) (i32.const 1)) drop
              (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1)))
            (func (export "release") (result i32)
              (i32.atomic.store (i32.const 0) (i32.const 1))
              (memory.atomic.notify (i32.const 0) (i32.const -1)))
            (func (export "arrived") (result i32) (i32.atomic.load (i32.const 4)))
            (func (export "unaligned") (result i32) (i32.atomic.load (i32.const 1)))
            (func (export "oob") (result i32) (i32.atomic.load (i32.const 65536)))
            (func (export "unshared") (result i32)
              (memory.atomic.wait32 $private (i32.const 0) (i32.const 0) (i64.const 0))))"#,
    )
    .expect("compiles");
    let memory = SharedMemory::new(&engine, MemoryType::shared(1, 1)).expect("shared memory");
    let instantiate = || {
        let mut store = Store::new(&engine, ());
        let imports = [Extern::from(memory.clone())];
        let instance = Instance::new(&mut store, &module, &imports).expect("instantiates");
        (store, instance)
    };
    let call = |store: &mut Store<()>, instance: &Instance, name: &str| {
        let f = instance.get_func(&*store, name).expect("exported");
        let mut out = [Val::I32(0)];
        f.call(&mut *store, &[], &mut out).map(|()| out[0])
    };
    let trap_code =
        |result: weft::Result<Val>| result.expect_err("traps").as_trap().map(|t| t.code());
    std::thread::scope(|scope| {
        let waiters: Vec<_> = (0..WAITERS)
            .map(|_| {
                scope.spawn(|| {
                    let (mut store, instance) = instantiate();
                    let unaligned = trap_code(call(&mut store, &instance, "unaligned"));
                    assert_eq!(unaligned, Some(TrapCode::UnalignedAtomic));
                    let oob = trap_code(call(&mut store, &instance, "oob"));
                    assert_eq!(oob, Some(TrapCode::MemoryOutOfBounds));
                    // 0: woken by `release`; 1: `release` stored first.
                    let woke = call(&mut store, &instance, "wait").expect("waits");
                    assert!(matches!(woke, Val::I32(0 | 1)), "wait returned {woke:?}");
                })
            })
            .collect();
        let (mut store, instance) = instantiate();
        let unshared = trap_code(call(&mut store, &instance, "unshared"));
        assert_eq!(unshared, Some(TrapCode::ExpectedSharedMemory));
        // Release only once every waiter has announced itself, so that most
        // runs have waiters asleep in the kernel when the notify comes;
        // the result does not depend on it.
        while call(&mut store, &instance, "arrived").expect("loads") != Val::I32(WAITERS as i32) {
            std::thread::yield_now();
        }
        call(&mut store, &instance, "release").expect("notifies");
        for waiter in waiters {
            waiter.join().expect("waiter thread");
        }
    });
}
