//! Code memory is freed when the last `Module` (or instance holding it)
//! goes: compiling and dropping many modules does not grow the process's
//! mappings. (Alone in its binary so that no other test maps memory
//! meanwhile.)

use weft::{Engine, Instance, Module, Store};

/// Bytes of anonymous executable mappings: JIT code. (Counting lines
/// would not do: adjacent mappings with equal permissions merge.)
fn jit_code_bytes() -> usize {
    std::fs::read_to_string("/proc/self/maps")
        .expect("linux exposes /proc/self/maps")
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let range = fields.next()?;
            let perms = fields.next()?;
            let path = fields.nth(3);
            if !perms.contains('x') || path.is_some() {
                return None;
            }
            let (start, end) = range.split_once('-')?;
            let start = usize::from_str_radix(start, 16).ok()?;
            let end = usize::from_str_radix(end, 16).ok()?;
            Some(end - start)
        })
        .sum()
}

#[test]
fn dropping_modules_and_stores_unmaps_their_code() {
    let engine = Engine::default();
    let wat = r#"(module (memory 1)
        (func (export "f") (param i32) (result i32) local.get 0 i32.const 1 i32.add))"#;
    // Warm up allocators and thread pools before taking the baseline.
    for _ in 0..5 {
        drop(Module::new(&engine, wat).expect("compiles"));
    }
    let before = jit_code_bytes();
    for k in 0..300 {
        let module = Module::new(&engine, wat).expect("compiles");
        let mut store = Store::new(&engine, ());
        let i = Instance::new(&mut store, &module, &[]).expect("instantiates");
        let f = i.get_typed_func::<i32, i32>(&store, "f").expect("typed");
        assert_eq!(f.call(&mut store, k).expect("runs"), k + 1);
        drop(store);
        drop(module);
    }
    let after = jit_code_bytes();
    // A leak of at least one page per module would add 1.2 MB.
    assert!(
        after < before + 256 * 1024,
        "executable mappings grew from {before} to {after} bytes over 300 modules"
    );
}
