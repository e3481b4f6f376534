//! Real programs: Rust std programs built for `wasm32-wasip1-threads`
//! (`tests/programs/`) and run through `run_command`, their output,
//! exit status and files checked.
//!
//! The programs are built on first use by a nested cargo with its own
//! target directory (`target/wasi-programs`): sharing the outer one would
//! deadlock on its lock. `rustup target add wasm32-wasip1-threads` must
//! have been run (`.ci/run` does it).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use weft::{Config, Engine, Linker, Module};
use weft_wasi::{DirMode, OutputPipe, WasiCtx, WasiCtxBuilder};

/// Builds the guest programs once per test process; their directory.
fn programs() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let target = manifest.join("../target/wasi-programs");
        let status = Command::new(env!("CARGO"))
            .args([
                "build",
                "--release",
                "--quiet",
                "--target",
                "wasm32-wasip1-threads",
            ])
            .arg("--manifest-path")
            .arg(manifest.join("tests/programs/Cargo.toml"))
            .arg("--target-dir")
            .arg(&target)
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .env_remove("CARGO_TARGET_DIR")
            .env_remove("CARGO_BUILD_TARGET")
            .status()
            .expect("cargo runs");
        assert!(
            status.success(),
            "building the guest programs failed (is the wasm32-wasip1-threads target installed?)"
        );
        target.join("wasm32-wasip1-threads/release")
    })
}

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut config = Config::new();
        // Epoch checks let exit stop threads busy in wasm.
        config.wasm_threads(true).epoch_interruption(true);
        Engine::new(&config).expect("an engine with threads")
    })
}

fn module(name: &str) -> Module {
    Module::from_file(engine(), programs().join(format!("{name}.wasm")))
        .expect("the program compiles")
}

/// Runs `module` with `ctx`: its status (or the error's text).
fn run(module: &Module, ctx: WasiCtx) -> Result<i32, String> {
    let mut linker = Linker::new(engine());
    weft_wasi::add_to_linker(&mut linker).expect("WASI defines");
    weft_wasi::run_command(linker, module, ctx).map_err(|e| e.to_string())
}

/// A context writing stdout and stderr to pipes.
fn piped() -> (WasiCtxBuilder, OutputPipe, OutputPipe) {
    let (out, err) = (OutputPipe::new(), OutputPipe::new());
    let mut b = WasiCtxBuilder::new();
    b.arg("prog").stdout(out.clone()).stderr(err.clone());
    (b, out, err)
}

fn text(pipe: &OutputPipe) -> String {
    String::from_utf8(pipe.contents()).expect("UTF-8 output")
}

#[test]
fn std_threads_atomics_condvar_mpsc_scope_and_hundreds_of_threads() {
    let m = module("threads");
    let (mut b, out, _) = piped();
    assert_eq!(run(&m, b.build().expect("ctx")), Ok(0));
    assert_eq!(
        text(&out),
        "atomics 4004000\ncondvar 200\nmpsc 1000 1624500\nscope 50005000\nspawned 300\n"
    );
}

#[test]
fn args_env_stdio_clocks_sleep_and_random() {
    let m = module("io");
    let (mut b, out, err) = piped();
    b.args(["a", "b"])
        .env("GREETING", "hi")
        .stdin_bytes("hello\n");
    // `exit(args.len())`: three arguments with the program name.
    assert_eq!(run(&m, b.build().expect("ctx")), Ok(3));
    assert_eq!(
        text(&out),
        "args a b\nenv hi\nstdin HELLO\nslept true\nafter 2020 true\nrandom differs true\n"
    );
    assert_eq!(text(&err), "to stderr\n");
}

/// A scratch tree: `root/data` is preopened; `root/secret.txt` is
/// outside it, reachable by `data/link -> ..`; `data/abs -> /etc`.
struct Tree(PathBuf);

impl Tree {
    fn new(name: &str) -> Tree {
        let root = std::env::temp_dir().join(format!("weft-wasi-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("data")).expect("temp dir");
        std::fs::write(root.join("secret.txt"), "secret").expect("temp file");
        std::os::unix::fs::symlink("..", root.join("data/link")).expect("symlink");
        std::os::unix::fs::symlink("/etc", root.join("data/abs")).expect("symlink");
        Tree(root)
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn files_from_several_threads_and_no_escape_from_the_preopen() {
    let tree = Tree::new("files");
    let m = module("files");
    let (mut b, out, _) = piped();
    b.preopened_dir(tree.0.join("data"), "/data", DirMode::ReadWrite)
        .expect("preopen");
    assert_eq!(run(&m, b.build().expect("ctx")), Ok(0));
    assert_eq!(
        text(&out),
        "lines 400\nlisting abs,link,sub,t1.txt,t2.txt,t3.txt\nsize 490\n\
         escape /data/../outside.txt true\nescape /etc/passwd true\n\
         escape /data/link/secret.txt true\nescape /data/abs/passwd true\n\
         create outside true\n"
    );
    let mut outside: Vec<String> = std::fs::read_dir(&tree.0)
        .expect("listing")
        .map(|e| e.expect("entry").file_name().into_string().expect("UTF-8"))
        .collect();
    outside.sort();
    assert_eq!(
        outside,
        ["data", "secret.txt"],
        "nothing was created outside the preopen"
    );
}

#[test]
fn a_read_only_preopen_refuses_writes() {
    let tree = Tree::new("readonly");
    std::fs::write(tree.0.join("data/a.txt"), "kept").expect("temp file");
    let m = module("readonly");
    let (mut b, out, _) = piped();
    b.preopened_dir(tree.0.join("data"), "/data", DirMode::ReadOnly)
        .expect("preopen");
    assert_eq!(run(&m, b.build().expect("ctx")), Ok(0));
    assert_eq!(
        text(&out),
        "read kept\ncreate true\nwrite true\nmkdir true\nremove true\n"
    );
    let mut left: Vec<String> = std::fs::read_dir(tree.0.join("data"))
        .expect("listing")
        .map(|e| e.expect("entry").file_name().into_string().expect("UTF-8"))
        .collect();
    left.sort();
    assert_eq!(left, ["a.txt", "abs", "link"]);
    assert_eq!(
        std::fs::read_to_string(tree.0.join("data/a.txt")).expect("kept"),
        "kept"
    );
}

/// How often each termination test runs: a termination bug is usually a
/// race, so one pass proves little.
const TERMINATION_RUNS: usize = 100;

#[test]
fn a_child_calling_exit_ends_main_sleeping_in_poll_oneoff() {
    let m = module("sleep_exit");
    for _ in 0..TERMINATION_RUNS {
        let (mut b, _, _) = piped();
        assert_eq!(run(&m, b.build().expect("ctx")), Ok(9));
    }
}

#[test]
fn a_child_calling_exit_ends_main_waiting_forever() {
    let m = module("exit_child");
    for _ in 0..TERMINATION_RUNS {
        let (mut b, _, _) = piped();
        assert_eq!(run(&m, b.build().expect("ctx")), Ok(7));
    }
}

#[test]
fn main_returning_ends_threads_blocked_forever() {
    let m = module("main_returns");
    for _ in 0..TERMINATION_RUNS {
        let (mut b, out, _) = piped();
        assert_eq!(run(&m, b.build().expect("ctx")), Ok(0));
        assert_eq!(text(&out), "main done\n");
    }
}

#[test]
fn a_trap_in_a_child_ends_the_program_with_that_trap() {
    let m = module("trap_child");
    for _ in 0..TERMINATION_RUNS {
        let (mut b, _, _) = piped();
        let err = run(&m, b.build().expect("ctx")).expect_err("a trap");
        assert!(err.contains("unreachable"), "{err}");
    }
}

#[test]
fn exit_in_main_ends_threads_in_busy_loops() {
    let m = module("busy_exit");
    for _ in 0..TERMINATION_RUNS {
        let (mut b, _, _) = piped();
        assert_eq!(run(&m, b.build().expect("ctx")), Ok(3));
    }
}
