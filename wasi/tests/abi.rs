//! The ABI's edges, one small `.wat` program each: errnos for bad
//! pointers, descriptors and strings; thread-spawn's results; a module
//! that does not export its memory; an unknown WASI import.
//!
//! Each program reports through its exit status, which `run_command`
//! returns.

use weft::{Config, Engine, Linker, Module};
use weft_wasi::{OutputPipe, WasiCtx, WasiCtxBuilder};

fn engine() -> Engine {
    let mut config = Config::new();
    config.wasm_threads(true).epoch_interruption(true);
    Engine::new(&config).expect("an engine with threads")
}

/// Runs `wat` with `ctx`; its exit status or the error's text.
fn run_with(wat: &str, ctx: WasiCtx) -> Result<i32, String> {
    let engine = engine();
    let module = Module::new(&engine, wat).map_err(|e| e.to_string())?;
    let mut linker = Linker::new(&engine);
    weft_wasi::add_to_linker(&mut linker).expect("WASI defines");
    weft_wasi::run_command(linker, &module, ctx).map_err(|e| e.to_string())
}

fn run(wat: &str) -> Result<i32, String> {
    run_with(wat, WasiCtxBuilder::new().build().expect("a context"))
}

/// A program whose `_start` exits with the result of `body` (an i32
/// expression), with one page of unshared memory.
fn exits_with(imports: &str, body: &str) -> String {
    format!(
        r#"(module
            (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
            {imports}
            (memory (export "memory") 1)
            (func (export "_start") (call $exit {body})))"#
    )
}

const FD_WRITE: &str = r#"(import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))"#;

/// `(block (result i32) SETUP... RESULT)`: stores, then the call.
fn seq(parts: &[&str]) -> String {
    format!("(block (result i32) {})", parts.join(" "))
}

#[test]
fn fd_write_reports_bad_pointers_and_descriptors() {
    // An iovec array past the end of memory.
    let past_end = exits_with(
        FD_WRITE,
        "(call $fd_write (i32.const 1) (i32.const 65532) (i32.const 1) (i32.const 0))",
    );
    assert_eq!(run(&past_end), Ok(21), "EFAULT");
    // An iovec whose buffer is out of bounds.
    let bad_buf = exits_with(
        FD_WRITE,
        &seq(&[
            "(i32.store (i32.const 0) (i32.const 70000))",
            "(i32.store (i32.const 4) (i32.const 10))",
            "(call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 100))",
        ]),
    );
    assert_eq!(run(&bad_buf), Ok(21), "EFAULT");
    // A buffer that wraps around the 32-bit address space.
    let wraps = exits_with(
        FD_WRITE,
        &seq(&[
            "(i32.store (i32.const 0) (i32.const 16))",
            "(i32.store (i32.const 4) (i32.const -1))",
            "(call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 100))",
        ]),
    );
    assert_eq!(run(&wraps), Ok(21), "EFAULT");
    // A count in the billions is an errno, not an allocation.
    let huge = exits_with(
        FD_WRITE,
        "(call $fd_write (i32.const 1) (i32.const 0) (i32.const 2000000000) (i32.const 100))",
    );
    assert_eq!(run(&huge), Ok(28), "EINVAL");
    // The result pointer out of bounds.
    let bad_result = exits_with(
        FD_WRITE,
        "(call $fd_write (i32.const 1) (i32.const 0) (i32.const 0) (i32.const -1))",
    );
    assert_eq!(run(&bad_result), Ok(21), "EFAULT");
    // A descriptor that is not open.
    let bad_fd = exits_with(
        FD_WRITE,
        "(call $fd_write (i32.const 77) (i32.const 0) (i32.const 0) (i32.const 100))",
    );
    assert_eq!(run(&bad_fd), Ok(8), "EBADF");
}

#[test]
fn a_write_reaches_the_output_pipe() {
    let hello = exits_with(
        &format!("{FD_WRITE} (data (i32.const 100) \"hello\")"),
        &seq(&[
            "(i32.store (i32.const 0) (i32.const 100))",
            "(i32.store (i32.const 4) (i32.const 5))",
            "(drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))",
            "(i32.load (i32.const 8))",
        ]),
    );
    let out = OutputPipe::new();
    let ctx = WasiCtxBuilder::new()
        .stdout(out.clone())
        .build()
        .expect("a context");
    assert_eq!(run_with(&hello, ctx), Ok(5), "5 bytes written");
    assert_eq!(out.contents(), b"hello");
}

const PATH_OPEN: &str = r#"(import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))"#;

#[test]
fn paths_that_are_bad_are_errnos() {
    let dir = std::env::temp_dir().join(format!("weft-wasi-abi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let ctx = || {
        WasiCtxBuilder::new()
            .preopened_dir(&dir, "/d", weft_wasi::DirMode::ReadWrite)
            .expect("preopen")
            .build()
            .expect("a context")
    };
    let open = |path: &str, len: &str| {
        exits_with(
            &format!("{PATH_OPEN} (data (i32.const 100) \"{path}\")"),
            &format!(
                "(call $path_open (i32.const 3) (i32.const 0) (i32.const 100) {len} (i32.const 0) (i64.const -1) (i64.const -1) (i32.const 0) (i32.const 200))"
            ),
        )
    };
    assert_eq!(
        run_with(&open("\\ff\\fe", "(i32.const 2)"), ctx()),
        Ok(25),
        "EILSEQ"
    );
    assert_eq!(
        run_with(&open("x", "(i32.const 70000)"), ctx()),
        Ok(21),
        "EFAULT"
    );
    assert_eq!(
        run_with(&open("x", "(i32.const 1)"), ctx()),
        Ok(44),
        "ENOENT"
    );
    assert_eq!(
        run_with(&open("../x", "(i32.const 4)"), ctx()),
        Ok(76),
        "ENOTCAPABLE"
    );
    assert_eq!(
        run_with(&open("/etc", "(i32.const 4)"), ctx()),
        Ok(76),
        "ENOTCAPABLE"
    );
    // fd 4 is not open.
    let bad_fd = open("x", "(i32.const 1)").replace(
        "(call $path_open (i32.const 3)",
        "(call $path_open (i32.const 4)",
    );
    assert_eq!(run_with(&bad_fd, ctx()), Ok(8), "EBADF");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn args_and_environ_check_their_buffers() {
    let args = r#"(import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))"#;
    let ctx = || {
        WasiCtxBuilder::new()
            .args(["prog", "one"])
            .build()
            .expect("a context")
    };
    let ok = exits_with(args, "(call $args_get (i32.const 0) (i32.const 100))");
    assert_eq!(run_with(&ok, ctx()), Ok(0));
    let bad = exits_with(args, "(call $args_get (i32.const 0) (i32.const 65530))");
    assert_eq!(
        run_with(&bad, ctx()),
        Ok(21),
        "EFAULT: the strings do not fit"
    );
}

const SPAWN: &str = r#"(import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))"#;

#[test]
fn thread_spawn_without_wasi_thread_start_is_negative() {
    let wat = format!(
        r#"(module
            (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
            {SPAWN}
            (import "env" "memory" (memory 1 1 shared))
            (func (export "_start")
                (call $exit (i32.lt_s (call $spawn (i32.const 0)) (i32.const 0)))))"#
    );
    assert_eq!(run(&wat), Ok(1));
}

/// Threads that wait on address 0 until it is non-zero, then return.
/// `_start` runs `body` then releases them.
fn waiting_threads(body: &str) -> String {
    format!(
        r#"(module
            (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
            {SPAWN}
            (import "env" "memory" (memory 1 1 shared))
            (export "memory" (memory 0))
            (func (export "wasi_thread_start") (param $tid i32) (param $arg i32)
                (i32.atomic.rmw.add (i32.const 8) (i32.const 1)) drop
                (block $done (loop $again
                    (br_if $done (i32.atomic.load (i32.const 0)))
                    (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1)))
                    (br $again))))
            (func $release
                (i32.atomic.store (i32.const 0) (i32.const 1))
                (drop (memory.atomic.notify (i32.const 0) (i32.const -1))))
            (func (export "_start") (local $a i32) (local $b i32) (local $c i32) (local $r i32)
                {body}
                (call $release)
                (call $exit (local.get $r))))"#
    )
}

#[test]
fn thread_ids_are_positive_distinct_and_in_range() {
    let wat = waiting_threads(
        "(local.set $a (call $spawn (i32.const 0)))
         (local.set $b (call $spawn (i32.const 0)))
         (local.set $c (call $spawn (i32.const 0)))
         (local.set $r (i32.and (i32.and
             (i32.and (i32.gt_s (local.get $a) (i32.const 0)) (i32.lt_s (local.get $a) (i32.const 536870912)))
             (i32.and (i32.gt_s (local.get $b) (i32.const 0)) (i32.gt_s (local.get $c) (i32.const 0))))
             (i32.and (i32.ne (local.get $a) (local.get $b))
                 (i32.and (i32.ne (local.get $b) (local.get $c)) (i32.ne (local.get $a) (local.get $c))))))",
    );
    for _ in 0..20 {
        assert_eq!(run(&wat), Ok(1));
    }
}

#[test]
fn the_live_thread_limit_makes_thread_spawn_negative() {
    let wat = waiting_threads(
        "(local.set $a (call $spawn (i32.const 0)))
         (local.set $b (call $spawn (i32.const 0)))
         (local.set $c (call $spawn (i32.const 0)))
         (local.set $r (i32.and (i32.and (i32.gt_s (local.get $a) (i32.const 0)) (i32.gt_s (local.get $b) (i32.const 0)))
             (i32.lt_s (local.get $c) (i32.const 0))))",
    );
    for _ in 0..20 {
        let ctx = WasiCtxBuilder::new()
            .max_threads(2)
            .build()
            .expect("a context");
        assert_eq!(run_with(&wat, ctx), Ok(1));
    }
}

#[test]
fn a_module_without_a_memory_export_fails_in_the_call() {
    let wat = format!(
        r#"(module
            {FD_WRITE}
            (import "env" "memory" (memory 1 1 shared))
            (func (export "_start")
                (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 0)))))"#
    );
    let err = run(&wat).expect_err("no memory export");
    assert!(err.contains("export its memory as `memory`"), "{err}");
}

#[test]
fn an_unknown_wasi_import_fails_at_instantiation_naming_it() {
    let wat = r#"(module
        (import "wasi_snapshot_preview1" "fd_frobnicate" (func (param i32) (result i32)))
        (memory (export "memory") 1)
        (func (export "_start")))"#;
    let err = run(wat).expect_err("unknown import");
    assert!(err.contains("fd_frobnicate"), "{err}");
}

#[test]
fn returning_from_start_is_exit_zero() {
    let wat = r#"(module (memory (export "memory") 1) (func (export "_start")))"#;
    assert_eq!(run(wat), Ok(0));
}
