//! Threads spin forever while main calls `exit(3)`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::Duration;

static SPINS: AtomicU64 = AtomicU64::new(0);

fn main() {
    for _ in 0..3 {
        thread::spawn(|| loop {
            SPINS.fetch_add(1, Ordering::Relaxed);
        });
    }
    thread::sleep(Duration::from_millis(5));
    std::process::exit(3);
}
