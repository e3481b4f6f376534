//! `wasi_calls`: random sequences of WASI preview-1 calls with random
//! arguments and pointers, against a scratch preopen.
//!
//! A small module imports every preview-1 function and exports a wrapper
//! for each, so each call goes through the same glue as a real program's;
//! its memory (owned or shared, chosen by the input) is filled with random
//! bytes and a few real paths. Checked: no panic; every call returns an
//! errno of the witx (`0..=76`), except `proc_exit`, which must end the
//! call with an error; nothing outside the preopen is created, changed or
//! removed (a sentinel directory beside it, reachable through `..` and a
//! symlink, is compared before and after).
//!
//! `poll_oneoff` is left out: a clock subscription with a random timeout
//! would sleep for up to 584 years.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, bail};
use arbitrary::Unstructured;
use weft::{Engine, Instance, Linker, Module, Store, Val, ValType};
use weft_wasi::signatures::{self, WasiFunction};
use weft_wasi::{DirMode, WasiCtx, WasiCtxBuilder};

/// Every function fuzzed: weft-wasi's preview-1 functions (from its one
/// signature table) but `poll_oneoff` (see above); `thread-spawn` needs a
/// threaded module and is fuzzed by the threaded programs' tests instead.
fn functions() -> impl Iterator<Item = &'static WasiFunction> {
    signatures::FUNCTIONS
        .iter()
        .filter(|f| f.module == signatures::PREVIEW1 && f.name != "poll_oneoff")
}

/// The text format's name of a WASI parameter or result type.
fn wat_type(ty: ValType) -> &'static str {
    match ty {
        ValType::I64 => "i64",
        _ => "i32",
    }
}

/// `(param ...) (result ...)` of `f`, for the text format.
fn wat_signature(f: &WasiFunction) -> String {
    let params: Vec<&str> = f.params.iter().map(|&t| wat_type(t)).collect();
    let results: Vec<&str> = f.results.iter().map(|&t| wat_type(t)).collect();
    format!(
        "(param {}) (result {})",
        params.join(" "),
        results.join(" ")
    )
}

/// Where the interesting strings sit in memory, and the strings.
const PATHS_AT: u32 = 1024;
const PATHS: &[&str] = &[
    "a.txt",
    "sub",
    "sub/b.txt",
    "new",
    "..",
    "../outside/sentinel",
    "/etc/passwd",
    "link",
    "link/sentinel",
    "abs",
    ".",
    "sub/../a.txt",
    "",
];
/// Each path string gets this many bytes.
const PATH_SLOT: u32 = 32;

/// The module: memory, and a wrapper `c_NAME` per import.
fn module_text(shared: bool) -> String {
    let mut wat = String::from("(module\n");
    for f in functions() {
        wat.push_str(&format!(
            "(import \"{}\" \"{}\" (func ${} {}))\n",
            f.module,
            f.name,
            f.name,
            wat_signature(f)
        ));
    }
    if shared {
        wat.push_str(
            "(import \"env\" \"memory\" (memory 1 1 shared))\n(export \"memory\" (memory 0))\n",
        );
    } else {
        wat.push_str("(memory (export \"memory\") 1 1)\n");
    }
    for f in functions() {
        let gets: Vec<String> = (0..f.params.len())
            .map(|i| format!("(local.get {i})"))
            .collect();
        wat.push_str(&format!(
            "(func (export \"c_{}\") {} (call ${} {}))\n",
            f.name,
            wat_signature(f),
            f.name,
            gets.join(" ")
        ));
    }
    wat.push(')');
    wat
}

/// One scratch tree per run: `root/pre` is preopened, `root/outside`
/// holds a sentinel the program must not touch.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> anyhow::Result<Scratch> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let root = std::env::temp_dir().join(format!(
            "weft-fuzz-wasi-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("pre/sub"))?;
        std::fs::create_dir_all(root.join("outside"))?;
        std::fs::write(root.join("outside/sentinel"), "untouched")?;
        std::fs::write(root.join("pre/a.txt"), "0123456789")?;
        std::fs::write(root.join("pre/sub/b.txt"), "b")?;
        std::os::unix::fs::symlink("../outside", root.join("pre/link"))?;
        std::os::unix::fs::symlink("/etc", root.join("pre/abs"))?;
        Ok(Scratch(root))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every path under `dir` with its contents (files) or `None` (others).
fn snapshot(dir: &Path) -> anyhow::Result<BTreeMap<PathBuf, Option<Vec<u8>>>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let meta = std::fs::symlink_metadata(&path)?;
        if meta.is_dir() {
            out.insert(path.clone(), None);
            out.extend(snapshot(&path)?);
        } else if meta.is_file() {
            out.insert(path.clone(), Some(std::fs::read(&path)?));
        } else {
            out.insert(path.clone(), None);
        }
    }
    Ok(out)
}

fn engine() -> &'static Engine {
    static ENGINE: std::sync::OnceLock<Engine> = std::sync::OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut config = weft::Config::new();
        config.wasm_threads(true);
        Engine::new(&config).unwrap_or_else(|e| panic!("an engine with threads: {e}"))
    })
}

/// The two modules, compiled once.
fn modules() -> &'static [Module; 2] {
    static MODULES: std::sync::OnceLock<[Module; 2]> = std::sync::OnceLock::new();
    MODULES.get_or_init(|| {
        let make = |shared| {
            Module::new(engine(), module_text(shared))
                .unwrap_or_else(|e| panic!("the wrapper module compiles: {e}"))
        };
        [make(false), make(true)]
    })
}

/// An argument: mostly values near the edges that matter.
fn arg32(u: &mut Unstructured<'_>) -> arbitrary::Result<i32> {
    Ok(match u.int_in_range(0..=9)? {
        0..=2 => u.int_in_range(0..=8)?,
        3 => (PATHS_AT + PATH_SLOT * u.int_in_range(0..=PATHS.len() as u32 - 1)?) as i32,
        4 => u.int_in_range(0..=40)?,
        5 => 65536 - u.int_in_range(0..=16)?,
        6 => u.int_in_range(0..=4096)?,
        7 => [-1, i32::MAX, 1 << 30, 65536, 2_000_000_000][u.choose_index(5)?],
        _ => u.arbitrary()?,
    })
}

fn arg64(u: &mut Unstructured<'_>) -> arbitrary::Result<i64> {
    Ok(match u.int_in_range(0..=3)? {
        0 => u.int_in_range(0..=64)?,
        1 => [-1, i64::MAX, i64::MIN, 1 << 40][u.choose_index(4)?],
        _ => u.arbitrary()?,
    })
}

/// What a run reached: errnos seen per function (for the seeded test).
#[derive(Default, Debug)]
pub struct Reached {
    /// (function, errno) pairs that occurred.
    pub results: std::collections::BTreeSet<(&'static str, i32)>,
}

/// Checks one input; see the module docs.
pub fn run(u: &mut Unstructured<'_>) -> anyhow::Result<()> {
    run_reaching(u, &mut Reached::default())
}

/// [`run`], recording what was reached.
pub fn run_reaching(u: &mut Unstructured<'_>, reached: &mut Reached) -> anyhow::Result<()> {
    let Ok(shared) = u.arbitrary::<bool>() else {
        return Ok(());
    };
    let scratch = Scratch::new().context("making the scratch tree")?;
    let outside_before = snapshot(&scratch.0.join("outside"))?;
    let ctx = WasiCtxBuilder::new()
        .args(["prog", "arg"])
        .env("K", "V")
        .stdin_bytes(b"input".to_vec())
        .preopened_dir(scratch.0.join("pre"), "/pre", DirMode::ReadWrite)?
        .preopened_dir(scratch.0.join("pre/sub"), "/ro", DirMode::ReadOnly)?
        .build()?;
    let module = &modules()[usize::from(shared)];
    let mut linker: Linker<WasiCtx> = Linker::new(engine());
    weft_wasi::add_to_linker(&mut linker)?;
    if shared {
        let memory = weft::SharedMemory::new(
            engine(),
            weft::MemoryType {
                minimum: 1,
                maximum: Some(1),
                shared: true,
            },
        )?;
        linker.define("env", "memory", memory)?;
    }
    let mut store = Store::new(engine(), ctx);
    let instance = linker.instantiate(&mut store, module)?;
    fill_memory(u, &mut store, &instance)?;
    let fuzzed: Vec<&WasiFunction> = functions().collect();
    let count = u.int_in_range(1..=32).unwrap_or(1);
    for _ in 0..count {
        let Ok(index) = u.choose_index(fuzzed.len()) else {
            break;
        };
        let f = fuzzed[index];
        let name = f.name;
        let args = f
            .params
            .iter()
            .map(|&ty| {
                Ok(if ty == ValType::I64 {
                    Val::I64(arg64(u)?)
                } else {
                    Val::I32(arg32(u)?)
                })
            })
            .collect::<arbitrary::Result<Vec<Val>>>();
        let Ok(args) = args else { break };
        let func = instance
            .get_func(&store, &format!("c_{name}"))
            .context("the wrapper is exported")?;
        let mut results = vec![Val::I32(0); f.results.len()];
        let outcome = func.call(&mut store, &args, &mut results);
        match (name, outcome) {
            ("proc_exit", Err(_)) => {
                reached.results.insert((name, -1));
                break;
            }
            ("proc_exit", Ok(())) => bail!("proc_exit returned"),
            (_, Err(e)) => bail!("{name}{args:?} failed instead of returning an errno: {e}"),
            (_, Ok(())) => match results[0] {
                Val::I32(errno @ 0..=76) => {
                    reached.results.insert((name, errno));
                }
                ref other => bail!("{name}{args:?} returned {other:?}, not an errno"),
            },
        }
    }
    drop(store);
    let outside_after = snapshot(&scratch.0.join("outside"))?;
    if outside_before != outside_after {
        bail!(
            "the directory beside the preopen changed: before {outside_before:?}, after {outside_after:?}"
        );
    }
    let root: Vec<_> = std::fs::read_dir(&scratch.0)?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<Result<_, _>>()?;
    if root.len() != 2 {
        bail!("something was created beside the preopen: {root:?}");
    }
    Ok(())
}

/// Random bytes over the first 4 KiB of memory, then the paths.
fn fill_memory(
    u: &mut Unstructured<'_>,
    store: &mut Store<WasiCtx>,
    instance: &Instance,
) -> anyhow::Result<()> {
    let mut bytes = vec![0u8; 4096];
    let n = u.len().min(512);
    if let Ok(random) = u.bytes(n) {
        for (i, b) in random.iter().enumerate() {
            bytes[(i * 8) % 4096] = *b;
        }
    }
    for (i, p) in PATHS.iter().enumerate() {
        let at = PATHS_AT as usize + i * PATH_SLOT as usize;
        bytes[at..at + p.len()].copy_from_slice(p.as_bytes());
    }
    match instance.get_export(&*store, "memory") {
        Some(weft::Extern::Memory(m)) => m.write(&mut *store, 0, &bytes)?,
        Some(weft::Extern::SharedMemory(m)) => m.write(0, &bytes)?,
        _ => bail!("the module exports its memory"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seeds;

    #[test]
    fn seeded_call_sequences_return_errnos_and_stay_in_the_preopen() {
        let mut reached = Reached::default();
        seeds::for_each_input(200, 64..2048, |data| {
            if let Err(finding) = run_reaching(&mut Unstructured::new(data), &mut reached) {
                panic!("{finding:#}");
            }
        });
        let errnos: std::collections::BTreeSet<i32> =
            reached.results.iter().map(|(_, e)| *e).collect();
        // Successes, EFAULT, EBADF and ENOTCAPABLE must all be reached for
        // the run to have tested anything.
        for wanted in [0, 21, 8, 76] {
            assert!(
                errnos.contains(&wanted),
                "errno {wanted} never seen: {errnos:?}"
            );
        }
        let succeeded: std::collections::BTreeSet<&str> = reached
            .results
            .iter()
            .filter(|(_, e)| *e == 0)
            .map(|(n, _)| *n)
            .collect();
        assert!(succeeded.len() >= 10, "only these succeeded: {succeeded:?}");
    }
}
