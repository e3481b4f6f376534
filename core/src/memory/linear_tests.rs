//! Tests of the rules `Linear` implements once for both memory kinds:
//! `fill` and `copy` are all or nothing, overlapping copies move as if
//! through a buffer, and an unshared memory's `notify` checks what a shared
//! one's does.

use super::*;

const PAGE: u64 = WASM_PAGE_SIZE as u64;

/// A memory of either kind, so that each scenario runs on both.
enum Either {
    Owned(Memory),
    Shared(SharedMemory),
}

impl Either {
    fn both(pages: u64) -> [Either; 2] {
        let owned = MemoryLimits {
            minimum: pages,
            maximum: Some(pages),
            shared: false,
        };
        let shared = MemoryLimits {
            shared: true,
            ..owned
        };
        let policy = ReservationPolicy::default();
        [
            Either::Owned(Memory::new(owned, policy).expect("owned memory")),
            Either::Shared(SharedMemory::new(shared, policy).expect("shared memory")),
        ]
    }

    fn write(&mut self, offset: u64, data: &[u8]) -> Result<(), AccessError> {
        match self {
            Either::Owned(m) => m.write(offset, data),
            Either::Shared(s) => s.write(offset, data),
        }
    }

    fn read(&self, offset: u64, len: usize) -> Vec<u8> {
        let mut buf = vec![0; len];
        match self {
            Either::Owned(m) => m.read(offset, &mut buf),
            Either::Shared(s) => s.read(offset, &mut buf),
        }
        .expect("read in bounds");
        buf
    }

    fn fill(&mut self, offset: u64, value: u8, len: u64) -> Result<(), AccessError> {
        match self {
            Either::Owned(m) => m.fill(offset, value, len),
            Either::Shared(s) => s.fill(offset, value, len),
        }
    }

    fn copy_within(&mut self, dst: u64, src: u64, len: u64) -> Result<(), AccessError> {
        match self {
            Either::Owned(m) => m.copy_within(dst, src, len),
            Either::Shared(s) => s.copy_within(dst, src, len),
        }
    }

    fn target(&mut self) -> CopyTarget<'_> {
        match self {
            Either::Owned(m) => CopyTarget::Owned(m),
            Either::Shared(s) => CopyTarget::Shared(s),
        }
    }

    fn source(&self) -> CopySource<'_> {
        match self {
            Either::Owned(m) => CopySource::Owned(m),
            Either::Shared(s) => CopySource::Shared(s),
        }
    }
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8 + 1).collect()
}

#[test]
fn fill_is_all_or_nothing() {
    for mut memory in Either::both(1) {
        memory.write(PAGE - 16, &pattern(16)).expect("in bounds");
        assert_eq!(
            memory.fill(PAGE - 8, 0xaa, 9),
            Err(AccessError::OutOfBounds)
        );
        assert_eq!(
            memory.fill(u64::MAX, 0xaa, 2),
            Err(AccessError::OutOfBounds)
        );
        assert_eq!(
            memory.fill(8, 0xaa, u64::MAX),
            Err(AccessError::OutOfBounds)
        );
        assert_eq!(memory.read(PAGE - 16, 16), pattern(16));
        assert_eq!(memory.fill(PAGE - 8, 0xaa, 8), Ok(()));
        assert_eq!(memory.fill(PAGE, 0xaa, 0), Ok(()));
        let mut expected = pattern(16);
        expected[8..].fill(0xaa);
        assert_eq!(memory.read(PAGE - 16, 16), expected);
    }
}

#[test]
fn overlapping_copies_move_as_if_through_a_buffer() {
    // (dst, src): destination above the source, below it, and the same.
    for (dst, src) in [(10u64, 3u64), (3, 10), (5, 5)] {
        for mut memory in Either::both(1) {
            memory.write(0, &pattern(64)).expect("in bounds");
            let mut expected = pattern(64);
            expected.copy_within(src as usize..src as usize + 40, dst as usize);
            assert_eq!(memory.copy_within(dst, src, 40), Ok(()));
            assert_eq!(memory.read(0, 64), expected, "dst {dst}, src {src}");
        }
    }
    for mut memory in Either::both(1) {
        memory.write(0, &pattern(64)).expect("in bounds");
        let past = PAGE - 39;
        assert_eq!(
            memory.copy_within(past, 0, 40),
            Err(AccessError::OutOfBounds)
        );
        assert_eq!(
            memory.copy_within(0, past, 40),
            Err(AccessError::OutOfBounds)
        );
        assert_eq!(memory.read(0, 64), pattern(64));
    }
}

#[test]
fn copies_between_memories_of_either_kind() {
    for mut dst in Either::both(1) {
        for src in Either::both(1) {
            let mut src = src;
            src.write(100, &pattern(32)).expect("in bounds");
            assert_eq!(
                copy(dst.target(), 0, src.source(), PAGE - 31, 32),
                Err(AccessError::OutOfBounds)
            );
            assert_eq!(
                copy(dst.target(), PAGE - 31, src.source(), 100, 32),
                Err(AccessError::OutOfBounds)
            );
            assert_eq!(dst.read(0, 32), vec![0; 32]);
            assert_eq!(copy(dst.target(), 7, src.source(), 100, 32), Ok(()));
            assert_eq!(dst.read(7, 32), pattern(32));
            dst.fill(0, 0, 64).expect("in bounds");
        }
    }
}

#[test]
fn a_shared_memory_copied_into_itself_through_two_handles_overlaps_right() {
    let [_, Either::Shared(memory)] = Either::both(1) else {
        unreachable!("both() gives an owned and a shared memory");
    };
    let other = memory.clone();
    memory.write(0, &pattern(64)).expect("in bounds");
    let mut expected = pattern(64);
    expected.copy_within(0..40, 10);
    let (dst, src) = (CopyTarget::Shared(&memory), CopySource::Shared(&other));
    assert_eq!(copy(dst, 10, src, 0, 40), Ok(()));
    let mut back = vec![0; 64];
    memory.read(0, &mut back).expect("in bounds");
    assert_eq!(back, expected);
}

#[test]
fn unshared_notify_checks_alignment_then_bounds_and_wakes_no_one() {
    let [Either::Owned(memory), _] = Either::both(1) else {
        unreachable!("both() gives an owned and a shared memory");
    };
    assert_eq!(memory.notify(1, 1), Err(AccessError::Unaligned));
    assert_eq!(memory.notify(u64::MAX, 1), Err(AccessError::Unaligned));
    assert_eq!(memory.notify(PAGE, 1), Err(AccessError::OutOfBounds));
    assert_eq!(memory.notify(PAGE - 4, u32::MAX), Ok(0));
}
