//! A child calls `exit(9)` while main sleeps for an hour (`poll_oneoff`).

use std::thread;
use std::time::Duration;

fn main() {
    thread::spawn(|| {
        thread::sleep(Duration::from_millis(2));
        std::process::exit(9);
    });
    thread::sleep(Duration::from_secs(3600));
    unreachable!("main is woken only by the program's end");
}
