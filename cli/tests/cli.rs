//! The `weft` binary as a user meets it: small modules and scripts written
//! to a temporary directory, the binary run on them, its output, error line
//! and exit status checked. Every run also checks that nothing panicked and
//! that an error is exactly one line.

use std::path::PathBuf;
use std::process::{Command, Output};

/// A scratch directory for one test, removed when the test ends.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("weft-cli-{}-{test}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("the temp dir is writable");
        Scratch(dir)
    }

    /// Writes a file and returns its path as the tests pass it to weft.
    fn file(&self, name: &str, contents: impl AsRef<[u8]>) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, contents).expect("the temp dir is writable");
        path.to_str()
            .expect("temp paths are UTF-8 here")
            .to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What one run of the binary produced.
struct Run {
    status: Option<i32>,
    stdout: String,
    stderr: String,
}

fn weft(args: &[&str]) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(args)
        .output()
        .expect("the weft binary runs");
    let run = Run {
        status: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    };
    assert!(
        !run.stderr.contains("panicked") && !run.stderr.contains("RUST_BACKTRACE"),
        "weft panicked: {}",
        run.stderr
    );
    run
}

/// Asserts the run failed with `status` and one `error:` line containing
/// every one of `parts`.
fn assert_error(run: &Run, status: i32, parts: &[&str]) {
    assert_eq!(run.status, Some(status), "stderr: {}", run.stderr);
    // A trap's message is followed by its backtrace, one line per frame.
    let (message, backtrace) = match run.stderr.split_once("\nwasm backtrace:\n") {
        Some((message, frames)) => (message, Some(frames)),
        None => (run.stderr.as_str(), None),
    };
    let lines: Vec<&str> = message.lines().collect();
    assert_eq!(lines.len(), 1, "one error line expected: {}", run.stderr);
    assert!(lines[0].starts_with("error: "), "{}", lines[0]);
    if let Some(frames) = backtrace {
        for frame in frames.lines() {
            let (depth, _) = frame.split_once(": function ").expect("a frame line");
            assert!(depth.trim().parse::<u32>().is_ok(), "{frame:?}");
        }
    }
    for part in parts {
        assert!(
            run.stderr.contains(part),
            "{part:?} not in {:?}",
            run.stderr
        );
    }
}

const ARITH: &str = r#"(module
  (func (export "add") (param i32 i64) (result i64)
    (i64.add (i64.extend_i32_s (local.get 0)) (local.get 1)))
  (func (export "swap") (param f32 f64) (result f64 f32) (local.get 1) (local.get 0))
  (func $div (export "div") (param i32 i32) (result i32)
    (i32.div_u (local.get 0) (local.get 1)))
  (func (export "via") (param i32) (result i32) (call $div (i32.const 1) (local.get 0))))"#;

#[test]
fn run_invokes_with_typed_arguments_and_prints_each_result() {
    let dir = Scratch::new("invoke");
    let wat = dir.file("arith.wat", ARITH);
    let run = weft(&["run", &wat, "--invoke", "add", "-5", "0x10"]);
    assert_eq!(
        (run.status, run.stdout.as_str()),
        (Some(0), "11\n"),
        "{}",
        run.stderr
    );

    let run = weft(&["run", &wat, "--invoke", "swap", "nan:0x1", "0.1"]);
    assert_eq!(run.stdout, "0.1\nnan:0x1\n", "{}", run.stderr);
}

#[test]
fn a_binary_module_runs_like_its_text() {
    let dir = Scratch::new("binary");
    let wasm = dir.file(
        "arith.wasm",
        wat::parse_str(ARITH).expect("the test module is valid text"),
    );
    let run = weft(&["run", &wasm, "--invoke", "add", "1", "2"]);
    assert_eq!(run.stdout, "3\n", "{}", run.stderr);
}

#[test]
fn a_trap_is_status_1_with_the_message_and_the_function() {
    let dir = Scratch::new("trap");
    let wat = dir.file("arith.wat", ARITH);
    let run = weft(&["run", &wat, "--invoke", "via", "0"]);
    assert_error(
        &run,
        1,
        &["error: wasm trap: integer divide by zero", "\"div\""],
    );
    assert_eq!(run.stdout, "");

    let start = dir.file("start.wat", "(module (func unreachable) (start 0))");
    assert_error(&weft(&["run", &start]), 1, &["wasm trap: unreachable"]);
}

#[test]
fn a_missing_file_names_the_file() {
    let dir = Scratch::new("missing");
    let missing = dir.0.join("nowhere.wasm").display().to_string();
    assert_error(
        &weft(&["run", &missing]),
        2,
        &["cannot read", "nowhere.wasm"],
    );
    assert_error(&weft(&["compile", &missing]), 2, &["nowhere.wasm"]);
    assert_error(&weft(&["wast", &missing]), 2, &["nowhere.wasm"]);
}

#[test]
fn a_malformed_module_names_the_offset() {
    let dir = Scratch::new("malformed");
    let bad = dir.file("bad.wasm", b"\0asm\x01\0\0\0\x99");
    assert_error(&weft(&["run", &bad]), 2, &["bad.wasm", "offset 0x8"]);
    assert_error(&weft(&["compile", &bad]), 2, &["bad.wasm", "offset 0x8"]);

    let invalid = dir.file("invalid.wat", "(module (func (result i32)))");
    assert_error(
        &weft(&["compile", &invalid]),
        2,
        &["invalid.wat", "offset 0x", "type mismatch"],
    );

    let text = dir.file("text.wat", "(module\n  (func (i32.add))");
    assert_error(&weft(&["run", &text]), 2, &["text.wat:2:19: expected `)`"]);
}

#[test]
fn wrong_arguments_name_the_function_or_the_param() {
    let dir = Scratch::new("args");
    let wat = dir.file("arith.wat", ARITH);
    assert_error(
        &weft(&["run", &wat, "--invoke", "add", "1"]),
        2,
        &["add takes 2 arguments (i32, i64), 1 given"],
    );
    assert_error(
        &weft(&["run", &wat, "--invoke", "add", "1", "x"]),
        2,
        &["argument 2 of add (param 1: i64)", "\"x\""],
    );
    assert_error(
        &weft(&["run", &wat, "--invoke", "add", "4294967296", "0"]),
        2,
        &["argument 1", "does not fit in 32 bits"],
    );
    assert_error(
        &weft(&["run", &wat, "--invoke", "sub"]),
        2,
        &["no export \"sub\"", "\"add\""],
    );
}

#[test]
fn without_invoke_start_then_main_runs() {
    let dir = Scratch::new("entry");
    let main = dir.file(
        "main.wat",
        r#"(module (func (export "main") (result i32) i32.const 42))"#,
    );
    let run = weft(&["run", &main]);
    assert_eq!((run.status, run.stdout.as_str()), (Some(0), "42\n"));

    let both = dir.file(
        "both.wat",
        r#"(module (func (export "main") (result i32) i32.const 1)
                   (func (export "_start") (result i32) i32.const 2))"#,
    );
    assert_eq!(weft(&["run", &both]).stdout, "2\n");

    // `main` with parameters is not an entry point; nothing else runs.
    let params = dir.file(
        "params.wat",
        r#"(module (func (export "main") (param i32)))"#,
    );
    let run = weft(&["run", &params]);
    assert_eq!(
        (run.status, run.stdout.as_str()),
        (Some(0), ""),
        "{}",
        run.stderr
    );
    assert_error(&weft(&["run", &params, "1"]), 2, &["--invoke"]);
}

#[test]
fn imports_are_refused_naming_the_first() {
    let dir = Scratch::new("imports");
    let wat = dir.file(
        "imports.wat",
        r#"(module (import "env" "memory" (memory 1 1 shared))
                   (import "env" "log" (func (param i32))))"#,
    );
    assert_error(
        &weft(&["run", &wat]),
        2,
        &["\"env\" \"memory\"", "shared memory", "only WASI"],
    );
    // A WASI program whose import does not match WASI's fails naming it.
    let mistyped = dir.file(
        "mistyped.wat",
        r#"(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32)))
                   (memory (export "memory") 1) (func (export "_start")))"#,
    );
    assert_error(&weft(&["run", &mistyped]), 2, &["fd_write"]);
}

#[test]
fn compile_lists_functions_with_names_and_sizes() {
    let dir = Scratch::new("compile");
    let wat = dir.file(
        "listed.wat",
        r#"(module
             (import "env" "log" (func (param i32)))
             (func $helper (result i32) i32.const 3)
             (func (export "run") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))"#,
    );
    let run = weft(&["compile", &wat]);
    assert_eq!(run.status, Some(0), "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}", run.stdout);
    assert_eq!(lines[0], "func[0] import env.log (param i32)");
    // Machine-code sizes depend on the host CPU: check the shape, that
    // each is non-zero, and that the total adds up.
    let machine = |line: &str, prefix: &str| -> u64 {
        let rest = line
            .strip_prefix(prefix)
            .unwrap_or_else(|| panic!("{line:?} starts with {prefix:?}"));
        let bytes = rest
            .strip_suffix(" bytes of machine code")
            .unwrap_or_else(|| panic!("{line:?} ends with the machine-code size"));
        bytes.parse().expect("a byte count")
    };
    let helper = machine(
        lines[1],
        "func[1] \"helper\" (result i32): 4 bytes of wasm, ",
    );
    let run_size = machine(
        lines[2],
        "func[2] \"run\" (param i32 i32) (result i32): 7 bytes of wasm, ",
    );
    assert!(helper > 0 && run_size > 0, "{}", run.stdout);
    let total = format!(
        "3 functions (1 imported, 2 defined), 11 bytes of wasm code, {} bytes of machine code, compiled in ",
        helper + run_size
    );
    assert!(lines[3].starts_with(&total), "{}", lines[3]);
}

#[test]
fn wast_counts_directives_and_fails_on_any_failure() {
    let dir = Scratch::new("wast");
    let good = dir.file(
        "good.wast",
        "(module (memory 1 1 shared)\n\
           (func (export \"f\") (result i32) (i32.atomic.rmw.add (i32.const 0) (i32.const 1))))\n\
         (assert_return (invoke \"f\") (i32.const 0))\n\
         (assert_return (invoke \"f\") (i32.const 1))\n",
    );
    let bad = dir.file(
        "bad.wast",
        "(module (func (export \"f\") (result i32) (i32.const 1)))\n\
         (assert_return (invoke \"f\") (i32.const 2))\n\
         (assert_trap (invoke \"f\") \"unreachable\")\n",
    );
    let run = weft(&["wast", &good]);
    assert_eq!(run.status, Some(0), "{}{}", run.stdout, run.stderr);
    assert_eq!(
        run.stdout,
        format!("{good}: 3 passed, 0 failed\njit: 3 passed, 0 failed\n")
    );

    let run = weft(&["wast", &good, &bad]);
    assert_eq!(run.status, Some(1), "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    let expected = [
        format!("{good}: 3 passed, 0 failed"),
        format!("{bad}:2:2: result 0: expected i32:2, got i32:1"),
        format!("{bad}:3:2: expected trap \"unreachable\", returned [i32:1]"),
        format!("{bad}: 1 passed, 2 failed"),
        "jit: 4 passed, 2 failed".to_string(),
    ];
    assert_eq!(lines.len(), expected.len(), "{}", run.stdout);
    for (line, prefix) in lines.iter().zip(&expected) {
        assert!(line.starts_with(prefix.as_str()), "{line:?} vs {prefix:?}");
    }
}

#[test]
fn help_and_version_are_there_for_every_command() {
    let run = weft(&["--version"]);
    assert_eq!(run.status, Some(0));
    assert_eq!(
        run.stdout.trim(),
        format!("weft {}", env!("CARGO_PKG_VERSION"))
    );
    for command in ["run", "wast", "compile"] {
        let run = weft(&[command, "--help"]);
        assert_eq!(run.status, Some(0), "{command}: {}", run.stderr);
        assert!(
            run.stdout.contains(&format!("Usage: weft {command}")),
            "{command}: {}",
            run.stdout
        );
    }
    let run = weft(&["frobnicate"]);
    assert_eq!(run.status, Some(2));
}

/// A WASI command: writes its argument count and `$NAME` to stdout, a
/// file under the preopen `/out` when given, and exits with argc.
const WASI_ECHO: &str = r#"(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "hello from wasi\n")
  (func (export "_start")
    (drop (call $sizes (i32.const 0) (i32.const 4)))
    (i32.store (i32.const 8) (i32.const 100))
    (i32.store (i32.const 12) (i32.const 16))
    (drop (call $write (i32.const 1) (i32.const 8) (i32.const 1) (i32.const 16)))
    (call $exit (i32.load (i32.const 0)))))"#;

#[test]
fn run_runs_a_wasi_command_and_exits_with_its_status() {
    let dir = Scratch::new("wasi-echo");
    let wat = dir.file("echo.wat", WASI_ECHO);
    let run = weft(&["run", &wat, "one", "--two"]);
    assert_eq!(run.stdout, "hello from wasi\n");
    // The program's name and two arguments; `--two` is the program's.
    assert_eq!(run.status, Some(3), "stderr: {}", run.stderr);
}

#[test]
fn a_wasi_trap_exits_134_naming_the_function() {
    let dir = Scratch::new("wasi-trap");
    let wat = dir.file(
        "trap.wat",
        r#"(module
          (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
          (memory (export "memory") 1)
          (func $boom unreachable)
          (func (export "_start") (call $boom)))"#,
    );
    assert_error(
        &weft(&["run", &wat]),
        134,
        &[
            "wasm trap: unreachable",
            "wasm backtrace:\n    0: function 1 \"boom\"\n    1: function 2 \"_start\"",
        ],
    );
}

#[test]
fn wasi_options_are_checked() {
    let dir = Scratch::new("wasi-options");
    let wat = dir.file("echo.wat", WASI_ECHO);
    let missing = dir.0.join("nowhere").display().to_string();
    assert_error(
        &weft(&["run", "--dir", &missing, &wat]),
        2,
        &["--dir", "nowhere"],
    );
    assert_error(
        &weft(&["run", &wat, "--invoke", "_start"]),
        2,
        &["--invoke"],
    );
}

/// A spawned thread calls `proc_exit(11)` while `_start` blocks reading
/// weft's stdin (wasi-threads, one shared memory).
const EXIT_WHILE_READING: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (import "env" "memory" (memory 1 1 shared))
  (export "memory" (memory 0))
  (func (export "wasi_thread_start") (param i32 i32) (call $exit (i32.const 11)))
  (func (export "_start")
    (drop (call $spawn (i32.const 0)))
    (i32.store (i32.const 8) (i32.const 100))
    (i32.store (i32.const 12) (i32.const 16))
    (drop (call $read (i32.const 0) (i32.const 8) (i32.const 1) (i32.const 16)))
    (call $exit (i32.const 1))))"#;

#[test]
fn exit_in_a_thread_ends_a_read_of_stdin_in_another() {
    let dir = Scratch::new("wasi-stdin-exit");
    let wat = dir.file("exit.wat", EXIT_WHILE_READING);
    // 100 runs: termination bugs are races.
    for _ in 0..100 {
        // weft's stdin is a pipe kept open and never written: the read can
        // only end with the program.
        let mut child = Command::new(env!("CARGO_BIN_EXE_weft"))
            .args(["run", &wat])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("weft runs");
        let stdin = child.stdin.take();
        let out = child.wait_with_output().expect("weft ends");
        drop(stdin);
        assert_eq!(
            out.status.code(),
            Some(11),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn fuel_and_timeout_end_a_spinning_run_with_a_trap() {
    let dir = Scratch::new("limits");
    let plain = dir.file(
        "spin.wat",
        r#"(module (func (export "_start") (loop $l (br $l))))"#,
    );
    let wasi = dir.file(
        "wspin.wat",
        r#"(module (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
                   (memory (export "memory") 1) (func (export "_start") (loop $l (br $l))))"#,
    );
    assert_error(
        &weft(&["run", "--fuel", "1000", &plain]),
        1,
        &["all fuel consumed"],
    );
    assert_error(
        &weft(&["run", "--timeout", "100ms", &plain]),
        1,
        &["wasm trap: interrupt"],
    );
    assert_error(
        &weft(&["run", "--fuel", "1000", &wasi]),
        134,
        &["all fuel consumed"],
    );
    assert_error(
        &weft(&["run", "--timeout", "100ms", &wasi]),
        134,
        &["wasm trap: interrupt"],
    );
    // A usage error, which clap reports in its own format.
    let bad = weft(&["run", "--timeout", "soon", &plain]);
    assert_eq!(bad.status, Some(2));
    assert!(
        bad.stderr.contains("\"soon\" is not a duration"),
        "{}",
        bad.stderr
    );
}

#[test]
fn timeout_ends_a_run_blocked_in_an_infinite_wait() {
    let dir = Scratch::new("limits-wait");
    let plain = dir.file(
        "wait.wat",
        r#"(module (memory 1 1 shared)
                   (func (export "_start")
                     (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1)))))"#,
    );
    let wasi = dir.file(
        "wwait.wat",
        r#"(module (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
                   (memory (export "memory") 1 1 shared)
                   (func (export "_start")
                     (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const -1)))))"#,
    );
    assert_error(
        &weft(&["run", "--timeout", "100ms", &plain]),
        1,
        &["wasm trap: interrupt"],
    );
    assert_error(
        &weft(&["run", "--timeout", "100ms", &wasi]),
        134,
        &["wasm trap: interrupt"],
    );
}
