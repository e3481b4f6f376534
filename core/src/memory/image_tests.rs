//! Tests of memory images: what they contain, and memories created from
//! them (mapped by the real backing, copied by the heap one).

use super::reservation::{HeapReservation, Reservation};
use super::*;

const PAGE: usize = WASM_PAGE_SIZE;

fn limits(minimum: u64, maximum: Option<u64>, shared: bool) -> MemoryLimits {
    MemoryLimits {
        minimum,
        maximum,
        shared,
    }
}

fn image(segments: &[(u64, &[u8])]) -> MemoryImage {
    MemoryImage::new(segments.iter().copied()).expect("an image on this platform")
}

/// A zeroed buffer of `len` bytes with `segments` applied in order: what
/// the image must equal.
fn expected(len: usize, segments: &[(u64, &[u8])]) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    for &(offset, data) in segments {
        bytes[offset as usize..offset as usize + data.len()].copy_from_slice(data);
    }
    bytes
}

/// Whether `bytes` are all zero; a comparison with a zeroed buffer, which
/// Miri runs as one `memcmp` rather than byte by byte.
fn all_zero(bytes: &[u8]) -> bool {
    bytes == vec![0u8; bytes.len()]
}

fn owned(minimum: u64, maximum: Option<u64>, image: &MemoryImage) -> Memory {
    Memory::with_image(
        limits(minimum, maximum, false),
        ReservationPolicy::default(),
        Some(image),
    )
    .expect("small memory")
}

#[test]
fn an_image_ends_at_the_page_of_its_last_non_zero_byte() {
    assert_eq!(image(&[]).len(), 0);
    assert!(image(&[(100, &[0, 0, 0])]).is_empty());
    assert_eq!(image(&[(0, b"a")]).len(), PAGE);
    assert_eq!(image(&[(PAGE as u64 - 1, b"a")]).len(), PAGE);
    assert_eq!(image(&[(PAGE as u64, b"a")]).len(), 2 * PAGE);
    // Trailing zeros of a segment do not lengthen the image.
    let mut tail = vec![0u8; PAGE + 1];
    tail[0] = 7;
    assert_eq!(image(&[(10, &tail)]).len(), PAGE);
}

#[test]
fn a_memory_from_an_image_holds_the_segments_later_ones_winning() {
    let far = 2 * PAGE as u64 + 5;
    let segments: &[(u64, &[u8])] = &[
        (0, b"hello, world"),
        (7, b"weft!"),
        (far, b"beyond the first page"),
        (40, b""),
        (4 * PAGE as u64 - 3, b"end"),
    ];
    let image = image(segments);
    assert_eq!(image.len(), 4 * PAGE);
    let memory = owned(4, Some(8), &image);
    assert_eq!(memory.byte_len(), 4 * PAGE);
    assert_eq!(memory.data(), &expected(4 * PAGE, segments)[..]);
    assert_eq!(&memory.data()[..12], b"hello, weft!");
}

#[test]
fn writes_to_one_memory_never_reach_the_image_or_another_memory() {
    let segments: &[(u64, &[u8])] = &[(16, b"pristine")];
    let image = image(segments);
    let mut first = owned(1, Some(1), &image);
    first.write(16, b"modified").expect("in bounds");
    first.write(PAGE as u64 - 1, &[9]).expect("in bounds");
    let second = owned(1, Some(1), &image);
    assert_eq!(second.data(), &expected(PAGE, segments)[..]);
    assert_eq!(&first.data()[16..24], b"modified");
    drop(first);
    let third = owned(1, Some(1), &image);
    assert_eq!(third.data(), &expected(PAGE, segments)[..]);
}

#[test]
fn a_memory_from_an_image_grows_past_it() {
    let image = image(&[(3, b"abc")]);
    let mut memory = owned(1, Some(3), &image);
    assert_eq!(memory.grow(2), Some(1));
    assert_eq!(memory.byte_len(), 3 * PAGE);
    assert_eq!(&memory.data()[3..6], b"abc");
    assert!(all_zero(&memory.data()[PAGE..]));
    memory.write(3 * PAGE as u64 - 1, &[1]).expect("grown");
    assert_eq!(memory.grow(1), None);
}

#[test]
fn a_minimum_longer_than_the_image_starts_zeroed_past_it() {
    let image = image(&[(0, b"x")]);
    let memory = owned(3, Some(3), &image);
    assert_eq!(memory.data()[0], b'x');
    assert!(all_zero(&memory.data()[1..]));
}

#[test]
fn an_image_longer_than_the_minimum_is_refused() {
    let image = image(&[(PAGE as u64, b"x")]);
    let refused = Memory::with_image(
        limits(1, Some(1), false),
        ReservationPolicy::default(),
        Some(&image),
    );
    assert!(
        matches!(refused, Err(MemoryError::ImageExceedsMinimum { .. })),
        "{refused:?}"
    );
}

#[test]
fn a_shared_memory_from_an_image_is_one_memory_for_every_clone() {
    let segments: &[(u64, &[u8])] = &[(8, &[1, 0, 0, 0]), (PAGE as u64, b"second page")];
    let image = image(segments);
    let memory = SharedMemory::with_image(
        limits(2, Some(4), true),
        ReservationPolicy::default(),
        Some(&image),
    )
    .expect("small shared memory");
    let clone = memory.clone();
    let mut bytes = vec![0u8; 2 * PAGE];
    memory.read(0, &mut bytes).expect("in bounds");
    assert_eq!(bytes, expected(2 * PAGE, segments));
    let writer = std::thread::spawn(move || clone.store_u32(8, 5));
    writer.join().expect("no panic").expect("in bounds");
    assert_eq!(memory.load_u32(8), Ok(5));
    assert_eq!(memory.grow(1), Some(2));
    // Another memory from the same image starts pristine.
    let other = SharedMemory::with_image(
        limits(2, Some(4), true),
        ReservationPolicy::default(),
        Some(&image),
    )
    .expect("small shared memory");
    assert_eq!(other.load_u32(8), Ok(1));
}

#[test]
fn the_heap_backing_copies_an_image_in() {
    let segments: &[(u64, &[u8])] = &[(1, b"copied"), (PAGE as u64 + 2, b"too")];
    let image = image(segments);
    let reservation = HeapReservation::reserve(3 * PAGE).expect("heap");
    // SAFETY: fresh reservation, nothing committed, the image fits.
    unsafe { reservation.map_image(&image) }.expect("copied");
    reservation.check_touch(0, 2 * PAGE);
    // SAFETY: the first two pages are committed and no one else uses them.
    let bytes = unsafe { std::slice::from_raw_parts(reservation.base(), 2 * PAGE) };
    assert_eq!(bytes, &expected(2 * PAGE, segments)[..]);
}

/// The real backing maps the image rather than copying it: the memory's
/// first page is a mapping of the memfd.
#[test]
#[cfg(all(target_os = "linux", not(any(loom, miri))))]
fn the_real_backing_maps_the_memfd() {
    let image = image(&[(0, b"mapped")]);
    let memory = owned(2, Some(2), &image);
    let base = memory.base() as usize;
    let maps = std::fs::read_to_string("/proc/self/maps").expect("procfs");
    let line = maps
        .lines()
        .find(|l| {
            l.split('-')
                .next()
                .and_then(|start| usize::from_str_radix(start, 16).ok())
                == Some(base)
        })
        .expect("a mapping starts at the memory's base");
    assert!(line.contains("memfd:weft-memory-image"), "{line}");
}
