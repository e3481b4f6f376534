//! Unit and property tests of limits, growth and host access.

use super::access::{check_atomic, check_bounds};
use super::limits::{grow_target, plan};
use super::reservation::{HeapReservation, Reservation};
use super::*;
use proptest::prelude::*;

const PAGE: u64 = WASM_PAGE_SIZE as u64;

fn limits(minimum: u64, maximum: Option<u64>, shared: bool) -> MemoryLimits {
    MemoryLimits {
        minimum,
        maximum,
        shared,
    }
}

fn cap(pages: u64) -> ReservationPolicy {
    ReservationPolicy {
        max_reserved_bytes: pages * PAGE,
    }
}

fn shared(minimum: u64, maximum: u64) -> SharedMemory {
    SharedMemory::new(
        limits(minimum, Some(maximum), true),
        ReservationPolicy::default(),
    )
    .expect("small shared memory")
}

#[test]
#[cfg(not(loom))]
fn definition_layout_matches_the_exported_offsets() {
    assert_eq!(VMMEMORY_DEFINITION_BASE_OFFSET, 0);
    assert_eq!(VMMEMORY_DEFINITION_CURRENT_LENGTH_OFFSET, 8);
    assert_eq!(VMMEMORY_DEFINITION_SIZE, 16);
    assert_eq!(align_of::<VMMemoryDefinition>(), 8);
}

#[test]
fn memories_cross_threads_as_promised() {
    fn send<T: Send>() {}
    fn send_sync_clone<T: Send + Sync + Clone>() {}
    send::<Memory>();
    send_sync_clone::<SharedMemory>();
    send_sync_clone::<std::sync::Arc<crate::wait::WaitQueues>>();
    let error: Box<dyn std::error::Error + Send + Sync> =
        Box::new(MemoryError::SharedWithoutMaximum);
    assert!(error.source().is_none());
}

#[test]
fn invalid_limits_are_errors_naming_the_problem() {
    let policy = ReservationPolicy::default();
    let cases = [
        (limits(3, Some(2), false), "larger than its maximum"),
        (limits(65537, None, false), "minimum (65537 pages) exceeds"),
        (
            limits(0, Some(65537), false),
            "maximum (65537 pages) exceeds",
        ),
        (limits(0, None, true), "must have a maximum"),
        (limits(u64::MAX, Some(u64::MAX), false), "minimum"),
    ];
    for (limits, message) in cases {
        let shared = limits.shared;
        let error = plan(limits, policy, shared).expect_err("invalid limits");
        assert!(error.to_string().contains(message), "{error} / {message}");
    }
    let error = Memory::new(limits(0, Some(1), true), policy).expect_err("shared Memory");
    assert!(error.to_string().contains("use SharedMemory"), "{error}");
    let error = SharedMemory::new(limits(0, Some(1), false), policy).expect_err("unshared");
    assert!(error.to_string().contains("not shared"), "{error}");
}

#[test]
fn reservation_is_the_maximum_capped_by_the_policy() {
    let no_max = plan(limits(1, None, false), ReservationPolicy::default(), false).expect("ok");
    assert_eq!(no_max.reserved_bytes as u64, 65536 * PAGE);
    assert_eq!(no_max.initial_bytes as u64, PAGE);
    let with_max = plan(limits(1, Some(3), false), cap(10), false).expect("ok");
    assert_eq!(with_max.reserved_bytes as u64, 3 * PAGE);
    // A cap that is not a whole number of pages rounds down.
    let odd = ReservationPolicy {
        max_reserved_bytes: 5 * PAGE - 1,
    };
    let capped = plan(limits(1, Some(100), false), odd, false).expect("ok");
    assert_eq!(capped.reserved_bytes as u64, 4 * PAGE);
    let error = plan(limits(5, Some(100), false), odd, false).expect_err("minimum past cap");
    assert!(matches!(
        error,
        MemoryError::ExceedsReservation { needed_bytes, cap_bytes }
            if needed_bytes == 5 * PAGE && cap_bytes == 4 * PAGE
    ));
}

#[test]
fn grow_target_edges() {
    let full = 65536 * WASM_PAGE_SIZE;
    assert_eq!(grow_target(1, 0, None, full), Some(1));
    assert_eq!(grow_target(1, u64::MAX, None, full), None);
    assert_eq!(grow_target(u64::MAX, 1, None, full), None);
    assert_eq!(grow_target(0, 65536, None, full), Some(65536));
    assert_eq!(grow_target(0, 65537, None, full), None);
    assert_eq!(grow_target(0, 65537, Some(u64::MAX), usize::MAX), None);
    assert_eq!(grow_target(2, 1, Some(3), full), Some(3));
    assert_eq!(grow_target(2, 2, Some(3), full), None);
    assert_eq!(grow_target(2, 1, Some(10), 2 * WASM_PAGE_SIZE), None);
    assert_eq!(grow_target(0, 0, Some(0), 0), Some(0));
}

/// Few cases and no failure files under Miri (it is slow, and isolated from
/// the file system).
fn proptest_config() -> ProptestConfig {
    if cfg!(miri) {
        ProptestConfig {
            cases: 8,
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    } else {
        ProptestConfig::with_cases(512)
    }
}

proptest! {
    #![proptest_config(proptest_config())]

    #[test]
    fn grow_target_is_exact(
        current in prop_oneof![0..70_000u64, any::<u64>()],
        delta in prop_oneof![0..70_000u64, any::<u64>()],
        maximum in proptest::option::of(prop_oneof![0..70_000u64, any::<u64>()]),
        reserved_pages in 0..70_000usize,
    ) {
        let reserved = reserved_pages * WASM_PAGE_SIZE;
        let got = grow_target(current, delta, maximum, reserved);
        let wanted = u128::from(current) + u128::from(delta);
        let limit = u128::from(maximum.unwrap_or(65536).min(65536)).min(reserved_pages as u128);
        prop_assert_eq!(got.map(u128::from), (wanted <= limit).then_some(wanted));
    }

    #[test]
    fn grows_add_up_and_never_pass_the_limits(
        minimum in 0..4u64,
        maximum in proptest::option::of(0..12u64),
        cap_pages in 0..10u64,
        deltas in proptest::collection::vec(prop_oneof![0..4u64, Just(u64::MAX)], 0..12),
    ) {
        let limits = limits(minimum, maximum.map(|m| m.max(minimum)), false);
        let Ok(mut memory) = Memory::new(limits, cap(cap_pages)) else {
            prop_assert!(minimum > cap_pages);
            return Ok(());
        };
        let limit = limits.maximum.unwrap_or(65536).min(cap_pages);
        let mut expected = minimum;
        for delta in deltas {
            let got = memory.grow(delta);
            if expected.checked_add(delta).is_some_and(|target| target <= limit) {
                prop_assert_eq!(got, Some(expected));
                expected += delta;
            } else {
                prop_assert_eq!(got, None);
            }
            prop_assert_eq!(memory.size_pages(), expected);
            prop_assert_eq!(memory.data().len() as u64, expected * PAGE);
        }
    }
}

#[test]
fn memory_grows_in_place_with_zeroed_pages() {
    let mut memory =
        Memory::new(limits(1, Some(4), false), ReservationPolicy::default()).expect("memory");
    let base = memory.base();
    let definition = memory.definition();
    memory.data_mut()[PAGE as usize - 1] = 7;
    assert_eq!(memory.grow(2), Some(1));
    assert_eq!(memory.base(), base);
    assert_eq!(memory.byte_len(), 3 * WASM_PAGE_SIZE);
    assert_eq!(memory.data()[PAGE as usize - 1], 7);
    assert!(memory.data()[PAGE as usize..].iter().all(|&b| b == 0));
    memory.data_mut()[3 * PAGE as usize - 1] = 9;
    // The definition follows the memory even after it moves.
    let moved = Box::new(memory);
    assert_eq!(moved.definition(), definition);
    // SAFETY: `definition` points into `moved`, alive here.
    let seen = unsafe { &*definition };
    assert_eq!(seen.base, base);
    assert_eq!(
        seen.current_length
            .load(crate::sync::atomic::Ordering::SeqCst),
        3 * WASM_PAGE_SIZE
    );
    assert_eq!(moved.limits(), limits(1, Some(4), false));
}

#[test]
fn memory_without_maximum_grows_to_the_cap() {
    let mut memory = Memory::new(limits(0, None, false), cap(3)).expect("memory");
    assert_eq!(memory.grow(0), Some(0));
    assert_eq!(memory.grow(4), None);
    assert_eq!(memory.grow(3), Some(0));
    assert_eq!(memory.grow(1), None);
    assert_eq!(memory.grow(u64::MAX), None);
    assert_eq!(memory.size_pages(), 3);
}

#[test]
fn zero_sized_memories_work() {
    let mut memory = Memory::new(limits(0, Some(0), false), cap(0)).expect("memory");
    assert_eq!(memory.grow(0), Some(0));
    assert_eq!(memory.grow(1), None);
    assert!(memory.data().is_empty());
    assert!(memory.data_mut().is_empty());
    let shared = shared(0, 0);
    assert_eq!(shared.read(0, &mut []), Ok(()));
    assert_eq!(shared.load_u8(0), Err(AccessError::OutOfBounds));
}

#[test]
#[cfg_attr(miri, ignore = "reserves 4 GiB of address space")]
fn default_policy_reserves_4_gib_without_committing_it() {
    let memories: Vec<_> = (0..8)
        .map(|_| Memory::new(limits(1, None, false), ReservationPolicy::default()).expect("4 GiB"))
        .collect();
    assert!(memories.iter().all(|m| m.byte_len() == WASM_PAGE_SIZE));
}

#[test]
fn bounds_checks_never_overflow() {
    assert_eq!(check_bounds(0, 0, 0), Ok(0));
    assert_eq!(check_bounds(10, 0, 10), Ok(10));
    assert_eq!(check_bounds(11, 0, 10), Err(AccessError::OutOfBounds));
    assert_eq!(check_bounds(u64::MAX, 1, 10), Err(AccessError::OutOfBounds));
    assert_eq!(check_bounds(1, u64::MAX, 10), Err(AccessError::OutOfBounds));
    assert_eq!(
        check_bounds(u64::MAX, u64::MAX, usize::MAX),
        Err(AccessError::OutOfBounds)
    );
    assert_eq!(check_atomic(2, 4, 100), Err(AccessError::Unaligned));
    // Alignment is checked before bounds.
    assert_eq!(check_atomic(u64::MAX, 8, 100), Err(AccessError::Unaligned));
    assert_eq!(
        check_atomic(u64::MAX - 7, 8, 100),
        Err(AccessError::OutOfBounds)
    );
    assert_eq!(check_atomic(96, 4, 100), Ok(96));
    assert_eq!(check_atomic(100, 4, 100), Err(AccessError::OutOfBounds));
}

#[test]
fn shared_host_access_checks_alignment_then_bounds() {
    let memory = shared(1, 2);
    let end = PAGE;
    assert_eq!(memory.store_u32(end - 4, 0xdead_beef), Ok(()));
    assert_eq!(memory.load_u32(end - 4), Ok(0xdead_beef));
    assert_eq!(memory.load_u16(end - 2), Ok(0xdead));
    assert_eq!(memory.load_u8(end - 1), Ok(0xde));
    assert_eq!(memory.load_u32(end), Err(AccessError::OutOfBounds));
    assert_eq!(memory.load_u32(end - 2), Err(AccessError::Unaligned));
    assert_eq!(memory.load_u64(end + 1), Err(AccessError::Unaligned));
    assert_eq!(
        memory.store_u64(u64::MAX - 7, 1),
        Err(AccessError::OutOfBounds)
    );
    assert_eq!(memory.load_u8(u64::MAX), Err(AccessError::OutOfBounds));
    assert_eq!(memory.wait32(2, 0, 0), Err(AccessError::Unaligned));
    assert_eq!(memory.wait64(4, 0, 0), Err(AccessError::Unaligned));
    assert_eq!(memory.wait32(end, 0, 0), Err(AccessError::OutOfBounds));
    assert_eq!(
        memory.wait64(u64::MAX - 7, 0, 0),
        Err(AccessError::OutOfBounds)
    );
    assert_eq!(memory.notify(1, 1), Err(AccessError::Unaligned));
    assert_eq!(memory.notify(end, 1), Err(AccessError::OutOfBounds));
    assert_eq!(memory.notify(end - 4, 1), Ok(0));
    assert_eq!(AccessError::Unaligned.to_string(), "unaligned atomic");
    assert_eq!(
        AccessError::OutOfBounds.to_string(),
        "out of bounds memory access"
    );
    // After a grow the same offsets are in bounds.
    assert_eq!(memory.grow(1), Some(1));
    assert_eq!(memory.load_u32(end), Ok(0));
}

#[test]
fn shared_read_modify_writes_return_the_old_value() {
    let memory = shared(1, 1);
    assert_eq!(memory.fetch_add_u32(8, 5), Ok(0));
    assert_eq!(memory.fetch_sub_u32(8, 2), Ok(5));
    assert_eq!(memory.fetch_and_u32(8, 1), Ok(3));
    assert_eq!(memory.fetch_or_u32(8, 6), Ok(1));
    assert_eq!(memory.fetch_xor_u32(8, 0xff), Ok(7));
    assert_eq!(memory.swap_u32(8, 1), Ok(0xf8));
    assert_eq!(memory.compare_exchange_u32(8, 2, 9), Ok(1));
    assert_eq!(memory.load_u32(8), Ok(1));
    assert_eq!(memory.compare_exchange_u32(8, 1, 9), Ok(1));
    assert_eq!(memory.load_u32(8), Ok(9));
    assert_eq!(memory.fetch_add_u64(16, u64::MAX), Ok(0));
    assert_eq!(memory.fetch_add_u64(16, 2), Ok(u64::MAX));
    assert_eq!(memory.compare_exchange_u64(16, 1, 3), Ok(1));
    assert_eq!(memory.fetch_add_u8(0, 255), Ok(0));
    assert_eq!(memory.fetch_add_u8(0, 2), Ok(255));
    assert_eq!(memory.compare_exchange_u16(2, 0, 0xbeef), Ok(0));
    assert_eq!(memory.load_u32(0), Ok(0xbeef_0001));
}

#[test]
fn shared_copies_check_bounds_and_round_trip() {
    let memory = shared(1, 3);
    let data: Vec<u8> = (0..=255).collect();
    assert_eq!(memory.write(PAGE - 256, &data), Ok(()));
    let mut back = vec![0; 256];
    assert_eq!(memory.read(PAGE - 256, &mut back), Ok(()));
    assert_eq!(back, data);
    assert_eq!(
        memory.write(PAGE - 255, &data),
        Err(AccessError::OutOfBounds)
    );
    assert_eq!(
        memory.read(u64::MAX, &mut back),
        Err(AccessError::OutOfBounds)
    );
    assert_eq!(
        memory.read(u64::MAX - 100, &mut back),
        Err(AccessError::OutOfBounds)
    );
    assert_eq!(memory.write(PAGE, &[]), Ok(()));
    assert_eq!(memory.write(PAGE + 1, &[]), Err(AccessError::OutOfBounds));
    let clone = memory.clone();
    assert!(clone.same(&memory));
    assert!(!clone.same(&shared(1, 1)));
    assert_eq!(clone.definition(), memory.definition());
    assert_eq!(clone.grow(2), Some(1));
    assert_eq!(memory.size_pages(), 3);
    assert_eq!(memory.limits(), limits(1, Some(3), true));
}

#[test]
fn concurrent_grows_serialize() {
    let threads = if cfg!(miri) { 3 } else { 8 };
    let grows_each = if cfg!(miri) { 2 } else { 20 };
    let maximum = threads * grows_each;
    let memory = shared(0, maximum);
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let memory = memory.clone();
            std::thread::spawn(move || {
                let mut olds = Vec::new();
                for _ in 0..grows_each {
                    let before = memory.size_pages();
                    let old = memory.grow(1).expect("room for every grow");
                    assert!(old >= before, "size never decreases");
                    // Every byte below the length we saw is ours to touch.
                    let len = memory.byte_len() as u64;
                    assert_eq!(memory.load_u8(len - 1), Ok(0));
                    olds.push(old);
                }
                olds
            })
        })
        .collect();
    // A reader that never takes the grow lock: whatever length it sees, the
    // pages below it must be committed for it (Miri reports a data race with
    // the commit otherwise, e.g. if the length were published Relaxed).
    let reader = {
        let memory = memory.clone();
        std::thread::spawn(move || {
            let mut last = 0;
            while last < maximum {
                let len = memory.byte_len() as u64;
                if len > 0 {
                    assert_eq!(memory.load_u8(len - 1), Ok(0));
                    let mut page_end = [1u8; 8];
                    assert_eq!(memory.read(len - 8, &mut page_end), Ok(()));
                    assert_eq!(page_end, [0; 8]);
                }
                assert!(len / PAGE >= last, "size never decreases");
                last = len / PAGE;
                std::thread::yield_now();
            }
        })
    };
    reader.join().expect("reader");
    let mut olds: Vec<u64> = handles
        .into_iter()
        .flat_map(|h| h.join().expect("grower"))
        .collect();
    olds.sort_unstable();
    assert_eq!(olds, (0..maximum).collect::<Vec<_>>());
    assert_eq!(memory.grow(1), None);
}

#[test]
fn heap_reservation_tracks_committed_pages() {
    let reservation = HeapReservation::reserve(3 * WASM_PAGE_SIZE).expect("heap");
    assert_eq!(reservation.len(), 3 * WASM_PAGE_SIZE);
    assert_eq!(reservation.base() as usize % WASM_PAGE_SIZE, 0);
    // SAFETY: a fresh reservation, used by this thread only.
    unsafe { reservation.commit(0, WASM_PAGE_SIZE) }.expect("commit");
    reservation.check_touch(0, WASM_PAGE_SIZE);
    let touch = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        reservation.check_touch(0, WASM_PAGE_SIZE + 1)
    }));
    assert!(touch.is_err(), "an uncommitted page is reported");
    let empty = HeapReservation::reserve(0).expect("empty");
    assert_eq!(empty.len(), 0);
}
