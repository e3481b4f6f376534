//! Main returns while every other thread is blocked forever (a condvar
//! nobody signals, a join of a thread that never ends, a sleep): the
//! program ends with status 0 all the same.

use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Duration;

fn main() {
    let pair = Arc::new((Mutex::new(()), Condvar::new()));
    for _ in 0..4 {
        let pair = Arc::clone(&pair);
        thread::spawn(move || {
            let (lock, cv) = &*pair;
            let mut guard = lock.lock().unwrap();
            loop {
                guard = cv.wait(guard).unwrap();
            }
        });
    }
    thread::spawn(|| thread::sleep(Duration::from_secs(3600)));
    thread::spawn(|| {
        let forever = thread::spawn(|| loop {
            thread::park();
        });
        forever.join().unwrap();
    });
    thread::sleep(Duration::from_millis(5));
    println!("main done");
}
