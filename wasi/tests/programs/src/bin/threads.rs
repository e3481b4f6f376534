//! std threads on wasm32-wasip1-threads: atomics, Mutex/Condvar, mpsc,
//! thread::scope, and hundreds of threads spawned and joined. Prints one
//! line per check; the test compares the whole output.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;

fn main() {
    // Atomics: 8 threads add 1..=1000 each.
    let sum = Arc::new(AtomicU64::new(0));
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let sum = Arc::clone(&sum);
            thread::spawn(move || {
                for i in 1..=1000 {
                    sum.fetch_add(i, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    println!("atomics {}", sum.load(Ordering::Relaxed));

    // Mutex and Condvar: a ping-pong of 100 rounds.
    let state = Arc::new((Mutex::new(0u32), Condvar::new()));
    let other = Arc::clone(&state);
    let ponger = thread::spawn(move || {
        let (lock, cv) = &*other;
        let mut n = lock.lock().unwrap();
        while *n < 200 {
            while *n % 2 == 0 {
                n = cv.wait(n).unwrap();
            }
            *n += 1;
            cv.notify_all();
        }
    });
    {
        let (lock, cv) = &*state;
        let mut n = lock.lock().unwrap();
        while *n < 200 {
            while *n % 2 == 1 {
                n = cv.wait(n).unwrap();
            }
            if *n >= 200 {
                break;
            }
            *n += 1;
            cv.notify_all();
        }
    }
    ponger.join().unwrap();
    println!("condvar {}", *state.0.lock().unwrap());

    // mpsc: 4 producers, one consumer.
    let (tx, rx) = mpsc::channel();
    for p in 0..4u64 {
        let tx = tx.clone();
        thread::spawn(move || {
            for i in 0..250u64 {
                tx.send(p * 1000 + i).unwrap();
            }
        });
    }
    drop(tx);
    let received: Vec<u64> = rx.iter().collect();
    println!("mpsc {} {}", received.len(), received.iter().sum::<u64>());

    // thread::scope over borrowed data.
    let data: Vec<u64> = (1..=10_000).collect();
    let total = thread::scope(|s| {
        let parts: Vec<_> = data.chunks(2500).map(|c| s.spawn(move || c.iter().sum::<u64>())).collect();
        parts.into_iter().map(|h| h.join().unwrap()).sum::<u64>()
    });
    println!("scope {total}");

    // Hundreds of threads, in waves of 50 alive at once.
    let count = Arc::new(AtomicU64::new(0));
    for _ in 0..6 {
        let wave: Vec<_> = (0..50)
            .map(|_| {
                let count = Arc::clone(&count);
                thread::spawn(move || {
                    count.fetch_add(1, Ordering::SeqCst);
                })
            })
            .collect();
        for h in wave {
            h.join().unwrap();
        }
    }
    println!("spawned {}", count.load(Ordering::SeqCst));
}
