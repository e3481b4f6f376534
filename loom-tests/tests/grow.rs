//! loom models of shared-memory growth: concurrent grows serialize, the
//! length only increases and never passes the maximum, and a reader that
//! sees a length can touch every byte below it (the heap reservation's
//! committed-page flags make loom check that last part for causality).

#![cfg(loom)]

use loom::thread;
use weft_core::memory::{MemoryLimits, ReservationPolicy, SharedMemory, WASM_PAGE_SIZE};
use weft_loom_tests::{assert_outcomes, check};

fn memory(maximum: u64) -> SharedMemory {
    let limits = MemoryLimits {
        minimum: 0,
        maximum: Some(maximum),
        shared: true,
    };
    SharedMemory::new(limits, ReservationPolicy::default()).expect("small shared memory")
}

/// Reads the length twice, touching every page below each (its first and
/// last byte): sizes never decrease and every page below a seen length is
/// committed, not only the last one.
fn read_twice(memory: &SharedMemory) -> (u64, u64) {
    let mut seen = [0u64; 2];
    for slot in &mut seen {
        let len = memory.byte_len() as u64;
        touch_pages_below(memory, len);
        *slot = len / WASM_PAGE_SIZE as u64;
    }
    assert!(seen[0] <= seen[1], "size decreased: {seen:?}");
    (seen[0], seen[1])
}

/// Loads the first and the last byte of every page below `len`.
fn touch_pages_below(memory: &SharedMemory, len: u64) {
    let page = WASM_PAGE_SIZE as u64;
    for start in (0..len).step_by(page as usize) {
        for at in [start, (start + page).min(len) - 1] {
            assert_eq!(
                memory.load_u8(at),
                Ok(0),
                "byte {at:#x} below the seen length {len:#x}"
            );
        }
    }
}

#[test]
fn concurrent_grows_serialize_and_readers_see_committed_pages() {
    let outcomes = check(
        "concurrent_grows_serialize_and_readers_see_committed_pages",
        || {
            let memory = memory(3);
            let one = {
                let memory = memory.clone();
                thread::spawn(move || memory.grow(1))
            };
            let two = {
                let memory = memory.clone();
                thread::spawn(move || memory.grow(2))
            };
            let (first, second) = read_twice(&memory);
            let one = one.join().expect("grow 1").expect("room for both grows");
            let two = two.join().expect("grow 2").expect("room for both grows");
            // Distinct old sizes that add up: one grow saw the other's result.
            assert!(
                (one, two) == (0, 1) || (one, two) == (2, 0),
                "old sizes {one} and {two}"
            );
            assert_eq!(memory.size_pages(), 3);
            for seen in [first, second] {
                assert!(
                    [0, 3, if one == 0 { 1 } else { 2 }].contains(&seen),
                    "reader saw {seen} pages"
                );
            }
            let order = if one == 0 {
                "grow1-first"
            } else {
                "grow2-first"
            };
            let reader = if second > first {
                "reader-saw-growth"
            } else {
                "reader-saw-one-size"
            };
            format!("{order}/{reader}")
        },
    );
    assert_outcomes(
        &outcomes,
        &[
            "grow1-first/reader-saw-growth",
            "grow1-first/reader-saw-one-size",
            "grow2-first/reader-saw-growth",
            "grow2-first/reader-saw-one-size",
        ],
    );
}

#[test]
fn racing_grows_never_pass_the_maximum() {
    let outcomes = check("racing_grows_never_pass_the_maximum", || {
        let memory = memory(2);
        let growers: Vec<_> = [1u64, 2]
            .into_iter()
            .map(|delta| {
                let memory = memory.clone();
                thread::spawn(move || memory.grow(delta))
            })
            .collect();
        let (_, last) = read_twice(&memory);
        assert!(last <= 2, "reader saw {last} pages past the maximum");
        let results: Vec<_> = growers
            .into_iter()
            .map(|g| g.join().expect("grower"))
            .collect();
        let size = memory.size_pages();
        assert!(size <= 2);
        match results[..] {
            // grow(1) first: 0 -> 1, then grow(2) would reach 3.
            [Some(0), None] => {
                assert_eq!(size, 1);
                "grow1-won".to_owned()
            }
            // grow(2) first: 0 -> 2, then grow(1) would reach 3.
            [None, Some(0)] => {
                assert_eq!(size, 2);
                "grow2-won".to_owned()
            }
            ref other => panic!("impossible grow results {other:?}"),
        }
    });
    assert_outcomes(&outcomes, &["grow1-won", "grow2-won"]);
}

#[test]
fn shared_clones_see_one_length() {
    // One memory, two handles: one grows while the other reads the length
    // through the definition pointer that JIT code uses.
    let outcomes = check("shared_clones_see_one_length", || {
        let memory = memory(1);
        let definition = memory.definition();
        let grower = {
            let memory = memory.clone();
            thread::spawn(move || memory.grow(1))
        };
        let len = {
            // SAFETY: the definition lives as long as `memory`, alive here.
            let definition = unsafe { &*definition };
            definition
                .current_length
                .load(weft_core::sync::atomic::Ordering::SeqCst)
        };
        touch_pages_below(&memory, len as u64);
        assert_eq!(grower.join().expect("grower"), Some(0));
        if len == 0 {
            "saw-0".to_owned()
        } else {
            "saw-1".to_owned()
        }
    });
    assert_outcomes(&outcomes, &["saw-0", "saw-1"]);
}
