//! Args, environment, stdin to stdout, stderr, clocks, sleep and random.

use std::io::{Read, Write};
use std::time::{Duration, Instant, SystemTime};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    println!("args {}", args[1..].join(" "));
    println!("env {}", std::env::var("GREETING").unwrap_or_default());
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).unwrap();
    println!("stdin {}", input.trim().to_uppercase());
    eprintln!("to stderr");
    std::io::stderr().flush().unwrap();
    let start = Instant::now();
    std::thread::sleep(Duration::from_millis(20));
    println!("slept {}", start.elapsed() >= Duration::from_millis(20));
    let since = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap();
    println!("after 2020 {}", since.as_secs() > 1_577_836_800);
    let mut a = [0u8; 32];
    let mut b = [0u8; 32];
    getrandom(&mut a);
    getrandom(&mut b);
    println!("random differs {}", a != b);
    std::process::exit(args.len() as i32);
}

/// `random_get` through the raw import (std has no public entry point).
fn getrandom(buf: &mut [u8]) {
    #[link(wasm_import_module = "wasi_snapshot_preview1")]
    unsafe extern "C" {
        fn random_get(buf: *mut u8, len: usize) -> u16;
    }
    // SAFETY: `buf` is valid for `len` bytes of writes.
    let errno = unsafe { random_get(buf.as_mut_ptr(), buf.len()) };
    assert_eq!(errno, 0);
}
