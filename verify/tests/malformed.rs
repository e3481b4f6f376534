//! Any bytes give `Ok` or `Err` from `Module::new`, never a panic: mutated
//! and truncated versions of valid modules exercise every decoder and the
//! body compiler's error paths.

use weft_verify::interp::Module;

const SEEDS: &[&str] = &[
    r#"(module
      (type $t (func (param i32) (result i32)))
      (import "env" "mem" (memory 1 2 shared))
      (import "env" "f" (func $f (type $t)))
      (table 4 funcref) (elem (i32.const 0) $f $g)
      (global $g0 (mut i64) (i64.const 7))
      (func $g (type $t)
        (block (result i32)
          (loop (drop (br_if 1 (local.get 0) (i32.eqz (local.get 0)))))
          (i32.atomic.rmw.add (i32.const 0) (local.get 0))))
      (func (export "w") (result i32)
        (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const 0)))
      (data (i32.const 8) "xyz"))"#,
    r#"(module
      (memory 1) (table $t 2 externref)
      (func (export "f") (param f64) (result i64 f32)
        (i64.trunc_sat_f64_s (local.get 0))
        (f32.demote_f64 (local.get 0))
        (if (param i64 f32) (result i64 f32) (i32.const 1) (then) (else))
        (br_table 0 0 (i32.const 0)))
      (func (table.fill $t (i32.const 0) (ref.null extern) (i32.const 1))
        (memory.copy (i32.const 0) (i32.const 1) (i32.const 2))))"#,
];

/// A small deterministic generator, so failures reproduce.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn mutated_modules_never_panic() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let (mut ok, mut err) = (0, 0);
    for seed in SEEDS {
        let wasm = wat::parse_str(seed).expect("seed is valid text");
        Module::new(&wasm).expect("seed validates");
        for _ in 0..3000 {
            let mut bytes = wasm.clone();
            for _ in 0..1 + rng.next() % 4 {
                let i = (rng.next() % bytes.len() as u64) as usize;
                bytes[i] = rng.next() as u8;
            }
            if rng.next().is_multiple_of(4) {
                bytes.truncate((rng.next() % bytes.len() as u64) as usize);
            }
            match Module::new(&bytes) {
                Ok(_) => ok += 1,
                Err(e) => {
                    assert!(!e.to_string().is_empty());
                    err += 1;
                }
            }
        }
    }
    // Both outcomes occur, so the loop really reaches the compiler.
    assert!(ok > 0 && err > 0, "ok {ok}, err {err}");
}

#[test]
fn body_errors_name_the_function_and_offset() {
    let wasm = wat::parse_str(
        r#"(module (import "a" "b" (func)) (func) (func (result i32) (i64.const 0)))"#,
    )
    .expect("valid text, invalid types");
    let err = Module::new(&wasm).expect_err("type mismatch");
    let text = err.to_string();
    assert!(text.contains("type mismatch"), "{text}");
    assert!(text.contains("in function 2"), "{text}");
    assert!(text.contains("at offset 0x"), "{text}");
}
