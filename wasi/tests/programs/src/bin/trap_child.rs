//! A child traps (an `unreachable` instruction) while main waits forever.

use std::sync::mpsc;
use std::thread;

fn main() {
    let (_tx, rx) = mpsc::channel::<()>();
    thread::spawn(|| {
        std::process::abort();
    });
    let _ = rx.recv();
}
