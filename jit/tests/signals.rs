//! weft promises to leave the process's signal handlers alone: no handler
//! is installed to catch faults, because every trap is an explicit check.
//! This test compares the disposition of every fault signal before and
//! after creating engines, compiling, running and trapping.

use weft::{Engine, Instance, Module, Store, TrapCode, Val};

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

    let after: Vec<_> = FAULT_SIGNALS.iter().map(|&s| disposition(s)).collect();
    assert_eq!(before, after, "signal dispositions changed");
}
