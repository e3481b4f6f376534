//! Linear memories: the `MemoryRef` handle, plain loads and stores, and the
//! bulk memory instructions.
//!
//! Every memory, shared or not, is one `Mutex<Vec<u8>>`. Each access takes
//! the lock, so every access is trivially atomic and free of data races, and
//! sequentially consistent across threads: the simplest model that is
//! obviously a correct implementation of the threads proposal (which allows
//! any behaviour a sequentially consistent execution would have). It is slow
//! under contention, which an oracle can afford.

use super::trap::Trap;
use super::wait::WaitQueue;
use super::{Error, ErrorKind};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use wasmparser::MemoryType;

/// Bytes in a wasm page.
pub const PAGE_SIZE: u64 = 65536;
/// The most pages a 32-bit memory may declare (4 GiB).
pub const MAX_PAGES: u32 = 65536;
/// The most pages this interpreter will actually allocate (1 GiB): larger
/// `memory.grow` requests fail with -1, as the spec allows, and larger
/// minimums fail instantiation.
pub const ALLOCATION_LIMIT_PAGES: u32 = 16384;

/// A linear memory, shared by every clone of the handle.
#[derive(Clone)]
pub struct MemoryRef(Arc<MemoryInner>);

pub(crate) struct MemoryInner {
    bytes: Mutex<Vec<u8>>,
    maximum: Option<u32>,
    shared: bool,
    pub(crate) waiters: WaitQueue,
}

impl std::fmt::Debug for MemoryRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryRef")
            .field("pages", &self.size_pages())
            .field("maximum", &self.0.maximum)
            .field("shared", &self.0.shared)
            .finish()
    }
}

impl MemoryRef {
    /// Creates a zeroed memory of `minimum` pages.
    ///
    /// Errors if the limits are invalid (minimum above maximum, above 65536
    /// pages, a shared memory without a maximum) or if `minimum` is above
    /// [`ALLOCATION_LIMIT_PAGES`] or cannot be allocated.
    pub fn new(minimum: u32, maximum: Option<u32>, shared: bool) -> Result<MemoryRef, Error> {
        let limits = |msg: String| Error::new(ErrorKind::Limits(msg));
        if minimum > MAX_PAGES || maximum.is_some_and(|m| m > MAX_PAGES) {
            return Err(limits(
                "memory size must be at most 65536 pages (4GiB)".to_string(),
            ));
        }
        if maximum.is_some_and(|m| m < minimum) {
            return Err(limits(
                "size minimum must not be greater than maximum".to_string(),
            ));
        }
        if shared && maximum.is_none() {
            return Err(limits("shared memory must have maximum".to_string()));
        }
        if minimum > ALLOCATION_LIMIT_PAGES {
            return Err(limits(format!(
                "memory of {minimum} pages is above this interpreter's limit of {ALLOCATION_LIMIT_PAGES}"
            )));
        }
        let mut bytes = Vec::new();
        grow_zeroed(&mut bytes, u64::from(minimum) * PAGE_SIZE)
            .ok_or_else(|| limits(format!("cannot allocate a memory of {minimum} pages")))?;
        Ok(MemoryRef(Arc::new(MemoryInner {
            bytes: Mutex::new(bytes),
            maximum,
            shared,
            waiters: WaitQueue::default(),
        })))
    }

    /// The memory's type, with its current size as the minimum (which is
    /// what import matching compares against).
    pub fn ty(&self) -> MemoryType {
        MemoryType {
            memory64: false,
            shared: self.0.shared,
            initial: u64::from(self.size_pages()),
            maximum: self.0.maximum.map(u64::from),
            page_size_log2: None,
        }
    }

    /// Current size in pages.
    pub fn size_pages(&self) -> u32 {
        let len = self.lock().len() as u64;
        u32::try_from(len / PAGE_SIZE).expect("sizes are capped at ALLOCATION_LIMIT_PAGES")
    }

    /// Whether this memory was created `shared`.
    pub fn is_shared(&self) -> bool {
        self.0.shared
    }

    /// The declared maximum in pages, if any.
    pub fn maximum(&self) -> Option<u32> {
        self.0.maximum
    }

    /// Copies `buf.len()` bytes at `offset` out of memory.
    pub fn read(&self, offset: u64, buf: &mut [u8]) -> Result<(), Trap> {
        let bytes = self.lock();
        let range = checked_range(bytes.len(), offset, buf.len() as u64)?;
        buf.copy_from_slice(&bytes[range]);
        Ok(())
    }

    /// Copies `data` into memory at `offset`.
    pub fn write(&self, offset: u64, data: &[u8]) -> Result<(), Trap> {
        let mut bytes = self.lock();
        let range = checked_range(bytes.len(), offset, data.len() as u64)?;
        bytes[range].copy_from_slice(data);
        Ok(())
    }

    /// The whole contents, for comparing two engines' final states.
    pub fn snapshot(&self) -> Vec<u8> {
        self.lock().clone()
    }

    /// `memory.grow`: adds `delta` zeroed pages and returns the old size in
    /// pages, or `None` (wasm's -1) if that would pass the maximum or the
    /// allocation limit.
    pub fn grow(&self, delta: u32) -> Option<u32> {
        let mut bytes = self.lock();
        let old = u32::try_from(bytes.len() as u64 / PAGE_SIZE)
            .expect("sizes are capped at ALLOCATION_LIMIT_PAGES");
        let new = old.checked_add(delta)?;
        let limit = self
            .0
            .maximum
            .unwrap_or(MAX_PAGES)
            .min(ALLOCATION_LIMIT_PAGES);
        if new > limit {
            return None;
        }
        grow_zeroed(&mut bytes, u64::from(new) * PAGE_SIZE)?;
        Some(old)
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Vec<u8>> {
        // Every update under this lock is a plain byte copy, so the bytes are
        // meaningful even if another thread panicked mid-way.
        self.0.bytes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn inner(&self) -> &MemoryInner {
        &self.0
    }

    pub(crate) fn same_as(&self, other: &MemoryRef) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// Resizes to `len` zeroed bytes without aborting the process on allocation
/// failure.
fn grow_zeroed(bytes: &mut Vec<u8>, len: u64) -> Option<()> {
    let len = usize::try_from(len).ok()?;
    let extra = len.checked_sub(bytes.len())?;
    bytes.try_reserve_exact(extra).ok()?;
    bytes.resize(len, 0);
    Some(())
}

/// The byte range `[start, start + len)` if it lies within `size` bytes.
pub(crate) fn checked_range(
    size: usize,
    start: u64,
    len: u64,
) -> Result<std::ops::Range<usize>, Trap> {
    let end = start.checked_add(len).ok_or(Trap::MemoryOutOfBounds)?;
    if end > size as u64 {
        return Err(Trap::MemoryOutOfBounds);
    }
    // Both fit in usize: they are at most `size`.
    Ok(start as usize..end as usize)
}

/// Reads `width` bytes (1, 2, 4 or 8) little-endian at `address`, zero-extended.
pub(crate) fn read_le(bytes: &[u8], address: u64, width: u8) -> Result<u64, Trap> {
    let range = checked_range(bytes.len(), address, u64::from(width))?;
    let mut buf = [0u8; 8];
    buf[..usize::from(width)].copy_from_slice(&bytes[range]);
    Ok(u64::from_le_bytes(buf))
}

/// Writes the low `width` bytes of `value` little-endian at `address`.
pub(crate) fn write_le(bytes: &mut [u8], address: u64, width: u8, value: u64) -> Result<(), Trap> {
    let range = checked_range(bytes.len(), address, u64::from(width))?;
    bytes[range].copy_from_slice(&value.to_le_bytes()[..usize::from(width)]);
    Ok(())
}

/// Sign-extends the low `width` bytes of `raw`.
pub(crate) fn sign_extend(raw: u64, width: u8) -> u64 {
    let shift = 64 - 8 * u32::from(width);
    (((raw << shift) as i64) >> shift) as u64
}

/// `memory.fill`.
pub(crate) fn fill(mem: &MemoryRef, dst: u64, value: u8, len: u64) -> Result<(), Trap> {
    let mut bytes = mem.lock();
    let range = checked_range(bytes.len(), dst, len)?;
    bytes[range].fill(value);
    Ok(())
}

/// `memory.copy`, also between two different memories. Overlap is handled
/// as if through a temporary buffer (`copy_within` is memmove).
pub(crate) fn copy(
    dst_mem: &MemoryRef,
    dst: u64,
    src_mem: &MemoryRef,
    src: u64,
    len: u64,
) -> Result<(), Trap> {
    if dst_mem.same_as(src_mem) {
        let mut bytes = dst_mem.lock();
        let src_range = checked_range(bytes.len(), src, len)?;
        let dst_range = checked_range(bytes.len(), dst, len)?;
        bytes.copy_within(src_range, dst_range.start);
        return Ok(());
    }
    // Two memories: never hold both locks (no lock-order question arises).
    let staged = {
        let bytes = src_mem.lock();
        bytes[checked_range(bytes.len(), src, len)?].to_vec()
    };
    let mut bytes = dst_mem.lock();
    let range = checked_range(bytes.len(), dst, len)?;
    bytes[range].copy_from_slice(&staged);
    Ok(())
}

/// `memory.init`: copies `len` bytes of a data segment at `src` to `dst`.
pub(crate) fn init(mem: &MemoryRef, dst: u64, data: &[u8], src: u64, len: u64) -> Result<(), Trap> {
    let src_range = checked_range(data.len(), src, len)?;
    let mut bytes = mem.lock();
    let dst_range = checked_range(bytes.len(), dst, len)?;
    bytes[dst_range].copy_from_slice(&data[src_range]);
    Ok(())
}
