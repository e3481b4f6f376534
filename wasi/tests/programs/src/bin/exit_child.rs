//! A child calls `exit(7)` while main waits forever on a channel.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

fn main() {
    let (_tx, rx) = mpsc::channel::<()>();
    thread::spawn(|| {
        thread::sleep(Duration::from_millis(5));
        std::process::exit(7);
    });
    let _ = rx.recv();
    unreachable!("main is woken only by the program's end");
}
