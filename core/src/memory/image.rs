//! Copy-on-write images of a memory's initial contents.
//!
//! A module whose data segments all land at constant offsets inside the
//! memory's minimum gives every instance the same initial bytes. Instead of
//! committing zero pages and copying the segments into each new memory, the
//! embedder builds a [`MemoryImage`] once per module and the memory maps it
//! at creation: on Linux the image is a sealed `memfd`, mapped
//! `MAP_PRIVATE | MAP_FIXED` over the start of the reservation, read-write.
//! The pages are then shared with the page cache until an instance writes
//! one, which gets its own copy: instantiation costs one `mmap` and the
//! first touch of a page a minor fault, whatever the size of the data.
//!
//! # Why a private mapping is right for every memory kind
//!
//! - **Owned memories**: each instance maps the image privately, so writes
//!   of one instance are never seen by another or by the image: the next
//!   instance starts from the pristine contents.
//! - **Shared memories**: a shared memory is one mapping in one address
//!   space, used by every thread (and every store) of the process through
//!   the same pages. `MAP_PRIVATE` is private to the *process*, not to a
//!   thread: the first write to a page, from any thread, replaces it in the
//!   process's page tables with an anonymous copy that all threads then
//!   read and write, exactly as they share an anonymous page. Atomic
//!   read-modify-writes on a page still shared with the file take the same
//!   copy-on-write fault as a plain store before they complete, so they
//!   stay atomic. Across `fork` the mapping behaves like anonymous private
//!   memory, as the rest of the reservation does.
//! - **Growth** commits pages past the image with `mprotect`, in the part
//!   of the reservation that is still anonymous; the image never covers
//!   more than the minimum, so a grow never touches it.
//! - **Drop** unmaps the whole reservation with one `munmap`, which removes
//!   every mapping in the range, the image's included; the image's file
//!   stays alive (and is freed) with the `MemoryImage`, independently.
//!
//! Sealing (`F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK`) makes the file's
//! contents and size immutable once built, so a private mapping can never
//! see the file change underneath it (and never fault past its end).
//!
//! Elsewhere (not Linux, or `memfd_create` refused) [`MemoryImage::new`]
//! fails and the embedder copies the segments as before. Under loom and
//! Miri, which cannot map files, the image is a heap buffer that the heap
//! reservation copies in, so the code that uses images runs there too.

use std::io;

use super::WASM_PAGE_SIZE;

/// The initial contents of a memory, built once and mapped (or copied)
/// into every memory created with it.
#[derive(Debug)]
pub struct MemoryImage {
    /// Bytes covered, a multiple of the wasm page size; `0` for an image
    /// that is all zeros, which needs no mapping at all.
    len: usize,
    /// Where the bytes are; `None` exactly when `len` is 0.
    source: Option<Source>,
}

#[derive(Debug)]
enum Source {
    /// A sealed memfd of exactly `len` bytes.
    #[cfg(all(target_os = "linux", not(any(loom, miri))))]
    Memfd(rustix::fd::OwnedFd),
    /// The bytes themselves, for the heap reservation of loom and Miri.
    #[cfg(any(loom, miri))]
    Heap(Box<[u8]>),
}

impl MemoryImage {
    /// Builds the image of a zeroed memory into which `segments`
    /// (`(offset, bytes)`, applied in order, so a later one wins where they
    /// overlap) are written, covering the wasm pages up to the last one
    /// that a segment writes a non-zero byte into.
    ///
    /// Fails if the platform has no way to map an image, the OS refuses,
    /// or a segment's end overflows; the caller then copies the segments
    /// instead. The caller checks that the segments fit the memory.
    pub fn new<'a>(segments: impl Iterator<Item = (u64, &'a [u8])> + Clone) -> io::Result<Self> {
        let len = image_len(segments.clone())?;
        if len == 0 {
            return Ok(MemoryImage { len, source: None });
        }
        let source = Source::build(len, segments)?;
        Ok(MemoryImage {
            len,
            source: Some(source),
        })
    }

    /// The bytes the image covers, a multiple of the wasm page size; the
    /// memory's pages past them start zeroed.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the image is all zeros (and so maps nothing).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Copies the image into `dst`, which is `len()` bytes long: how a
    /// backing that cannot map it takes it.
    pub(crate) fn copy_into(&self, dst: &mut [u8]) -> io::Result<()> {
        debug_assert_eq!(dst.len(), self.len, "the image fills its range");
        match &self.source {
            None => Ok(()),
            #[cfg(all(target_os = "linux", not(any(loom, miri))))]
            Some(Source::Memfd(fd)) => {
                let mut done = 0;
                while done < dst.len() {
                    match rustix::io::pread(fd, &mut dst[done..], done as u64)? {
                        0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                        n => done += n,
                    }
                }
                Ok(())
            }
            #[cfg(any(loom, miri))]
            Some(Source::Heap(bytes)) => {
                dst.copy_from_slice(bytes);
                Ok(())
            }
            // No source can be built on this platform.
            #[cfg(not(any(target_os = "linux", loom, miri)))]
            Some(_) => Err(io::ErrorKind::Unsupported.into()),
        }
    }

    /// The memfd to map, if the image is one.
    #[cfg(all(target_os = "linux", not(any(loom, miri))))]
    pub(crate) fn memfd(&self) -> Option<rustix::fd::BorrowedFd<'_>> {
        use rustix::fd::AsFd;
        self.source.as_ref().map(|Source::Memfd(fd)| fd.as_fd())
    }
}

/// The image's length: the end of the last page a segment writes a
/// non-zero byte into. A later segment may zero what an earlier one
/// wrote, so this can be a page or more longer than needed, never shorter:
/// every non-zero byte of the result comes from some segment's non-zero
/// byte.
fn image_len<'a>(segments: impl Iterator<Item = (u64, &'a [u8])>) -> io::Result<usize> {
    let mut end = 0u64;
    for (offset, bytes) in segments {
        let Some(last) = bytes.iter().rposition(|&b| b != 0) else {
            continue;
        };
        let segment_end = offset
            .checked_add(last as u64 + 1)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "segment end overflows"))?;
        end = end.max(segment_end);
    }
    let pages = end.div_ceil(WASM_PAGE_SIZE as u64);
    pages
        .checked_mul(WASM_PAGE_SIZE as u64)
        .and_then(|bytes| usize::try_from(bytes).ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "image too large"))
}

impl Source {
    /// A memfd of `len` zero bytes with `segments` written in, sealed.
    #[cfg(all(target_os = "linux", not(any(loom, miri))))]
    fn build<'a>(len: usize, segments: impl Iterator<Item = (u64, &'a [u8])>) -> io::Result<Self> {
        use rustix::fs::{MemfdFlags, SealFlags};
        let fd = rustix::fs::memfd_create(
            "weft-memory-image",
            MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING,
        )?;
        // Holes read as zero: only the pages segments write take memory.
        rustix::fs::ftruncate(&fd, len as u64)?;
        for (offset, bytes) in segments {
            // Past the image only zeros remain (see `image_len`), which the
            // file already reads as; writing them would grow it.
            let room = (len as u64).saturating_sub(offset);
            let bytes = &bytes[..bytes.len().min(room as usize)];
            let mut done = 0;
            while done < bytes.len() {
                done += rustix::io::pwrite(&fd, &bytes[done..], offset + done as u64)?;
            }
        }
        rustix::fs::fcntl_add_seals(&fd, SealFlags::WRITE | SealFlags::GROW | SealFlags::SHRINK)?;
        Ok(Source::Memfd(fd))
    }

    /// A zeroed buffer of `len` bytes with `segments` written in.
    #[cfg(any(loom, miri))]
    fn build<'a>(len: usize, segments: impl Iterator<Item = (u64, &'a [u8])>) -> io::Result<Self> {
        let mut image = vec![0u8; len].into_boxed_slice();
        for (offset, bytes) in segments {
            let start = usize::try_from(offset).unwrap_or(usize::MAX).min(len);
            let n = bytes.len().min(len - start);
            image[start..start + n].copy_from_slice(&bytes[..n]);
        }
        Ok(Source::Heap(image))
    }

    /// No way to map an image here: the caller copies.
    #[cfg(not(any(target_os = "linux", loom, miri)))]
    fn build<'a>(
        _len: usize,
        _segments: impl Iterator<Item = (u64, &'a [u8])>,
    ) -> io::Result<Self> {
        Err(io::ErrorKind::Unsupported.into())
    }
}
