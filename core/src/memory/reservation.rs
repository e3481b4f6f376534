//! Address-space reservations: a memory's maximum reserved up front,
//! committed page by page as it grows, so that its base never moves.
//!
//! The real backing ([`MmapReservation`]) maps `PROT_NONE` and `mprotect`s
//! on commit. Miri cannot run `mmap`/`mprotect` and loom models want no
//! system calls, so under `cfg(loom)` and `cfg(miri)` an in-process heap
//! backing ([`HeapReservation`]) stands in; it also records which pages are
//! committed so that the models and Miri can see a reader touching a page
//! it has no right to know is committed.

use super::{MemoryError, MemoryImage};

/// A fixed range of address space whose prefix is accessible.
///
/// Implementations own their range and release it on drop.
pub(crate) trait Reservation: Sized {
    /// Reserves `bytes` (a multiple of the wasm page size) of inaccessible
    /// address space.
    fn reserve(bytes: usize) -> Result<Self, MemoryError>;

    /// Where the range lies; never changes.
    fn span(&self) -> Span;

    /// The first byte of the range; never changes. Aligned to at least 8
    /// bytes (page-aligned when `len() > 0`).
    fn base(&self) -> *mut u8 {
        self.span().base
    }

    /// The reserved length in bytes; the most a memory can commit.
    fn len(&self) -> usize {
        self.span().len
    }

    /// Makes `[from, to)` accessible and zeroed, given that `[0, from)`
    /// already is.
    ///
    /// # Safety
    ///
    /// `from <= to <= ` the reserved length, both multiples of the wasm page
    /// size, `from` is exactly the committed length, no other commit runs
    /// concurrently (callers hold the grow lock or `&mut`), and no thread
    /// accesses `[from, to)` until the caller publishes it.
    unsafe fn commit(&self, from: usize, to: usize) -> Result<(), MemoryError> {
        debug_assert!(
            from <= to && to <= self.len(),
            "commit range inside the reservation"
        );
        if from == to {
            return Ok(());
        }
        // SAFETY: the caller's contract, and the range is not empty.
        unsafe { self.commit_pages(from, to) }
    }

    /// The backing's part of [`commit`](Self::commit), for a non-empty
    /// range.
    ///
    /// # Safety
    ///
    /// As for [`commit`](Self::commit), with `from < to`.
    unsafe fn commit_pages(&self, from: usize, to: usize) -> Result<(), MemoryError>;

    /// Makes `[0, image.len())` accessible with the image's contents, as
    /// [`commit`](Self::commit) would with zeros. This default commits and
    /// copies; a backing that can map the image does so instead.
    ///
    /// # Safety
    ///
    /// Nothing is committed yet, `image.len() <=` the reserved length, and
    /// no thread accesses the range until the caller publishes it.
    unsafe fn map_image(&self, image: &MemoryImage) -> Result<(), MemoryError> {
        // SAFETY: nothing is committed, so 0 is the committed length, and
        // the range is ours alone (the caller's contract).
        unsafe { self.commit(0, image.len())? };
        // SAFETY: just committed, and no one else touches it yet.
        let dst = unsafe { std::slice::from_raw_parts_mut(self.base(), image.len()) };
        image.copy_into(dst).map_err(|source| MemoryError::Commit {
            bytes: image.len() as u64,
            source,
        })
    }

    /// Checks, where the backing can, that `[start, end)` lies in committed
    /// pages that the calling thread has seen committed. The real backing
    /// cannot check and does nothing; the heap backing panics, which under
    /// loom or Miri is the bug report.
    fn check_touch(&self, start: usize, end: usize) {
        let _ = (start, end);
    }
}

/// The backing every memory uses in this build.
#[cfg(not(any(loom, miri)))]
pub(crate) type Backing = MmapReservation;
/// The backing every memory uses in this build.
#[cfg(any(loom, miri))]
pub(crate) type Backing = HeapReservation;

/// Where a reservation lies: its first byte and its length.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Span {
    base: *mut u8,
    len: usize,
}

impl Span {
    /// The span of a zero-length reservation: its base is never
    /// dereferenced (no access to a zero-length memory passes its bounds
    /// check) but non-null and aligned, so that building slices and atomics
    /// from it would be sound.
    fn empty() -> Span {
        Span {
            base: std::ptr::dangling_mut::<u64>().cast(),
            len: 0,
        }
    }
}

#[cfg(not(any(loom, miri)))]
pub(crate) use mmap::MmapReservation;

#[cfg(not(any(loom, miri)))]
mod mmap {
    use super::{MemoryError, MemoryImage, Reservation, Span};
    use rustix::mm::{MapFlags, MprotectFlags, ProtFlags};

    /// An anonymous `PROT_NONE` mapping, made readable and writable page by
    /// page.
    #[derive(Debug)]
    pub(crate) struct MmapReservation {
        span: Span,
    }

    // SAFETY: the mapping is plain memory owned by this value; which thread
    // maps, protects or unmaps it does not matter to the kernel.
    unsafe impl Send for MmapReservation {}
    // SAFETY: the only `&self` operation that mutates is `commit`, whose
    // contract (grow lock) excludes concurrent commits; the bytes themselves
    // are accessed through raw pointers under the memories' own rules.
    unsafe impl Sync for MmapReservation {}

    impl Reservation for MmapReservation {
        fn reserve(bytes: usize) -> Result<Self, MemoryError> {
            if bytes == 0 {
                return Ok(Self {
                    span: Span::empty(),
                });
            }
            // SAFETY: a fresh anonymous mapping at an address of the
            // kernel's choosing cannot overlap anything we own. NORESERVE:
            // inaccessible pages must not count against overcommit.
            let base = unsafe {
                rustix::mm::mmap_anonymous(
                    std::ptr::null_mut(),
                    bytes,
                    ProtFlags::empty(),
                    MapFlags::PRIVATE | MapFlags::NORESERVE,
                )
            }
            .map_err(|errno| MemoryError::Reserve {
                bytes: bytes as u64,
                source: errno.into(),
            })?;
            Ok(Self {
                span: Span {
                    base: base.cast(),
                    len: bytes,
                },
            })
        }

        fn span(&self) -> Span {
            self.span
        }

        unsafe fn commit_pages(&self, from: usize, to: usize) -> Result<(), MemoryError> {
            // SAFETY: the caller guarantees `[from, to)` is inside our
            // mapping and that nobody uses it yet; `from` is a multiple of
            // 64 KiB, so `base + from` is page-aligned for any host page
            // size up to 64 KiB. Fresh anonymous pages read as zero.
            unsafe {
                rustix::mm::mprotect(
                    self.span.base.add(from).cast(),
                    to - from,
                    MprotectFlags::READ | MprotectFlags::WRITE,
                )
            }
            .map_err(|errno| MemoryError::Commit {
                bytes: (to - from) as u64,
                source: errno.into(),
            })
        }

        #[cfg(target_os = "linux")]
        unsafe fn map_image(&self, image: &MemoryImage) -> Result<(), MemoryError> {
            match image.memfd() {
                // SAFETY: the caller's contract, passed on.
                Some(memfd) => unsafe { self.map_memfd(image, memfd) },
                // An all-zero image: committing zeros is all there is.
                // SAFETY: nothing is committed yet (the caller's contract).
                None => unsafe { self.commit(0, image.len()) },
            }
        }
    }

    #[cfg(target_os = "linux")]
    impl MmapReservation {
        /// Maps `image`'s memfd privately over the start of the range.
        ///
        /// # Safety
        ///
        /// As for [`Reservation::map_image`].
        unsafe fn map_memfd(
            &self,
            image: &MemoryImage,
            memfd: rustix::fd::BorrowedFd<'_>,
        ) -> Result<(), MemoryError> {
            // SAFETY: `[base, base + len)` lies inside our reservation (the
            // caller's contract) and nothing uses it yet, so replacing its
            // PROT_NONE pages with the file's (FIXED) cannot affect anything
            // else. PRIVATE: writes go to per-mapping copies, never to the
            // sealed file; the file is exactly `len` bytes long, so no page
            // of the mapping lies past its end. `base` is page-aligned.
            let mapped = unsafe {
                rustix::mm::mmap(
                    self.span.base.cast(),
                    image.len(),
                    ProtFlags::READ | ProtFlags::WRITE,
                    MapFlags::PRIVATE | MapFlags::FIXED,
                    memfd,
                    0,
                )
            };
            match mapped {
                Ok(at) if at.cast() == self.span.base => Ok(()),
                Ok(_) => Err(MemoryError::Commit {
                    bytes: image.len() as u64,
                    source: std::io::Error::other("MAP_FIXED mapped elsewhere"),
                }),
                Err(errno) => Err(MemoryError::Commit {
                    bytes: image.len() as u64,
                    source: errno.into(),
                }),
            }
        }
    }

    impl Drop for MmapReservation {
        fn drop(&mut self) {
            let Span { base, len } = self.span;
            if len == 0 {
                return;
            }
            // SAFETY: we own exactly this mapping and nothing refers to it
            // any more (every memory drops its reservation last).
            let result = unsafe { rustix::mm::munmap(base.cast(), len) };
            // munmap of a range we mapped cannot fail; if it did, leaking
            // address space is the only safe outcome.
            debug_assert!(result.is_ok(), "munmap of our own mapping: {result:?}");
        }
    }
}

#[cfg(any(loom, miri, test))]
pub(crate) use heap::HeapReservation;

#[cfg(any(loom, miri, test))]
mod heap {
    use super::{MemoryError, Reservation, Span};
    use crate::memory::WASM_PAGE_SIZE;
    use crate::sync::cell::UnsafeCell;
    use std::alloc::Layout;

    /// A zeroed heap allocation of the whole reservation, with a
    /// committed-flag per page written once by `commit` and read by
    /// `check_touch`, so that loom's causality checks and Miri's data-race
    /// detector see the commit-then-publish protocol.
    #[derive(Debug)]
    pub(crate) struct HeapReservation {
        span: Span,
        committed: Box<[UnsafeCell<bool>]>,
    }

    // SAFETY: the allocation is owned by this value; see `Sync`.
    unsafe impl Send for HeapReservation {}
    // SAFETY: a page flag is written only by `commit` (exclusive by its
    // contract) before the page is published, and read only by threads that
    // have seen the publication; the bytes follow the memories' own rules.
    unsafe impl Sync for HeapReservation {}

    impl HeapReservation {
        fn layout(len: usize) -> Option<Layout> {
            Layout::from_size_align(len, WASM_PAGE_SIZE).ok()
        }
    }

    impl Reservation for HeapReservation {
        fn reserve(bytes: usize) -> Result<Self, MemoryError> {
            let pages = bytes / WASM_PAGE_SIZE;
            let committed = (0..pages).map(|_| UnsafeCell::new(false)).collect();
            if bytes == 0 {
                return Ok(Self {
                    span: Span::empty(),
                    committed,
                });
            }
            let failed = |what: &str| MemoryError::Reserve {
                bytes: bytes as u64,
                source: std::io::Error::new(std::io::ErrorKind::OutOfMemory, what.to_owned()),
            };
            let layout = Self::layout(bytes).ok_or_else(|| failed("size overflows a layout"))?;
            // SAFETY: `layout` has a non-zero size (checked above).
            let base = unsafe { std::alloc::alloc_zeroed(layout) };
            if base.is_null() {
                return Err(failed("heap allocation failed"));
            }
            Ok(Self {
                span: Span { base, len: bytes },
                committed,
            })
        }

        fn span(&self) -> Span {
            self.span
        }

        unsafe fn commit_pages(&self, from: usize, to: usize) -> Result<(), MemoryError> {
            // SAFETY: `[from, to)` is inside our allocation and, by the
            // caller's contract, unused by any other thread. The bytes are
            // already zero; writing them anyway is what lets Miri report a
            // reader that is not ordered after this commit.
            unsafe { self.span.base.add(from).write_bytes(0, to - from) };
            for flag in &self.committed[from / WASM_PAGE_SIZE..to / WASM_PAGE_SIZE] {
                // SAFETY: only `commit` writes a flag, once, exclusively by
                // its contract; readers come after the publication.
                flag.with_mut(|flag| unsafe { *flag = true });
            }
            Ok(())
        }

        fn check_touch(&self, start: usize, end: usize) {
            if start == end {
                return;
            }
            let pages = start / WASM_PAGE_SIZE..end.div_ceil(WASM_PAGE_SIZE);
            for flag in &self.committed[pages] {
                // SAFETY: the flag was written by `commit` before the length
                // covering it was published; loom checks that this read is
                // ordered after that write.
                let committed = flag.with(|flag| unsafe { *flag });
                assert!(committed, "touched a page not known to be committed");
            }
        }
    }

    impl Drop for HeapReservation {
        fn drop(&mut self) {
            let Span { base, len } = self.span;
            if len == 0 {
                return;
            }
            let layout = Self::layout(len).expect("the same layout was valid in reserve");
            // SAFETY: allocated in `reserve` with this layout, freed once.
            unsafe { std::alloc::dealloc(base, layout) };
        }
    }
}
