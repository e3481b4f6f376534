//! Guest memory as the host functions see it: bounds-checked copies.
//!
//! A host function never holds a `&[u8]` over guest memory. For a shared
//! memory another thread may write the same bytes at any moment, so a Rust
//! slice over it would be a data race; for both kinds, copying in and out
//! through weft's accessors ([`Memory::read`], [`SharedMemory::read`], ...)
//! keeps every access checked. Every pointer and length is checked against
//! the memory's size *before* any work is done, and a failed check is
//! `EFAULT`, never a trap or a panic. (A shared memory only grows, so a
//! range checked once stays valid.)

use weft::{AsContextMut, Caller, Extern, Memory, SharedMemory};

use crate::abi::IOVEC_SIZE;
use crate::errno::Errno;
use crate::fail::Fail;

/// The most iovecs one call takes (POSIX's usual `IOV_MAX`); more is
/// `EINVAL`, so a count in the billions never becomes an allocation.
pub(crate) const MAX_IOVECS: u32 = 1024;

/// The most bytes one read or write moves: more is a short transfer, as
/// POSIX allows, so a length in the billions never becomes an allocation.
pub(crate) const MAX_TRANSFER: usize = 16 << 20;

/// The longest path or string argument taken.
pub(crate) const MAX_PATH: u32 = 64 << 10;

/// Byte access to one memory: the few operations the guest view needs.
trait Raw {
    fn size(&self) -> usize;
    fn read(&self, offset: usize, buf: &mut [u8]) -> bool;
    fn write(&mut self, offset: usize, data: &[u8]) -> bool;
}

impl Raw for SharedMemory {
    fn size(&self) -> usize {
        self.data_size()
    }
    fn read(&self, offset: usize, buf: &mut [u8]) -> bool {
        SharedMemory::read(self, offset, buf).is_ok()
    }
    fn write(&mut self, offset: usize, data: &[u8]) -> bool {
        SharedMemory::write(self, offset, data).is_ok()
    }
}

/// An unshared memory, reached through the calling store.
struct Owned<'a, 'b, T> {
    caller: &'a mut Caller<'b, T>,
    memory: Memory,
}

impl<T> Raw for Owned<'_, '_, T> {
    fn size(&self) -> usize {
        self.memory.data_size(&*self.caller).unwrap_or(0)
    }
    fn read(&self, offset: usize, buf: &mut [u8]) -> bool {
        self.memory.read(&*self.caller, offset, buf).is_ok()
    }
    fn write(&mut self, offset: usize, data: &[u8]) -> bool {
        self.memory
            .write(self.caller.as_context_mut(), offset, data)
            .is_ok()
    }
}

/// The calling instance's exported `memory`, if it has one.
pub(crate) enum Found {
    Owned(Memory),
    Shared(SharedMemory),
    Missing,
}

impl Found {
    pub(crate) fn of<T>(caller: &Caller<'_, T>) -> Found {
        match caller.get_export("memory") {
            Some(Extern::Memory(m)) => Found::Owned(m),
            Some(Extern::SharedMemory(s)) => Found::Shared(s),
            _ => Found::Missing,
        }
    }
}

/// The guest's memory for one host call.
pub(crate) struct Guest<'a> {
    raw: Option<Box<dyn Raw + 'a>>,
}

impl<'a> Guest<'a> {
    /// The view for a call from `caller`; `found` is what
    /// [`Found::of`] said.
    pub(crate) fn new<'b: 'a, T: 'static>(
        caller: &'a mut Caller<'b, T>,
        found: Found,
    ) -> Guest<'a> {
        let raw: Option<Box<dyn Raw + 'a>> = match found {
            Found::Owned(memory) => Some(Box::new(Owned { caller, memory })),
            Found::Shared(shared) => Some(Box::new(shared)),
            Found::Missing => None,
        };
        Guest { raw }
    }

    fn raw(&self) -> Result<&(dyn Raw + 'a), Fail> {
        self.raw.as_deref().ok_or(Fail::NoMemory)
    }

    /// `ptr..ptr+len` as a host offset, or `EFAULT` if it is not all in
    /// bounds.
    pub(crate) fn check(&self, ptr: u32, len: usize) -> Result<usize, Fail> {
        let size = self.raw()?.size();
        let start = ptr as usize;
        match start.checked_add(len) {
            Some(end) if end <= size => Ok(start),
            _ => Err(Errno::FAULT.into()),
        }
    }

    /// Copies `buf.len()` bytes out from `ptr`.
    pub(crate) fn read(&self, ptr: u32, buf: &mut [u8]) -> Result<(), Fail> {
        let offset = self.check(ptr, buf.len())?;
        if self.raw()?.read(offset, buf) {
            Ok(())
        } else {
            Err(Errno::FAULT.into())
        }
    }

    /// Copies `data` in at `ptr`.
    pub(crate) fn write(&mut self, ptr: u32, data: &[u8]) -> Result<(), Fail> {
        let offset = self.check(ptr, data.len())?;
        let raw = self.raw.as_deref_mut().ok_or(Fail::NoMemory)?;
        if raw.write(offset, data) {
            Ok(())
        } else {
            Err(Errno::FAULT.into())
        }
    }

    /// `len` bytes from `ptr`, checked before the buffer is allocated.
    pub(crate) fn bytes(&self, ptr: u32, len: u32) -> Result<Vec<u8>, Fail> {
        self.check(ptr, len as usize)?;
        let mut buf = vec![0; len as usize];
        self.read(ptr, &mut buf)?;
        Ok(buf)
    }

    pub(crate) fn u8(&self, ptr: u32) -> Result<u8, Fail> {
        let mut b = [0; 1];
        self.read(ptr, &mut b)?;
        Ok(b[0])
    }

    pub(crate) fn u16(&self, ptr: u32) -> Result<u16, Fail> {
        let mut b = [0; 2];
        self.read(ptr, &mut b)?;
        Ok(u16::from_le_bytes(b))
    }

    pub(crate) fn u32(&self, ptr: u32) -> Result<u32, Fail> {
        let mut b = [0; 4];
        self.read(ptr, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    pub(crate) fn u64(&self, ptr: u32) -> Result<u64, Fail> {
        let mut b = [0; 8];
        self.read(ptr, &mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    pub(crate) fn put_u32(&mut self, ptr: u32, v: u32) -> Result<(), Fail> {
        self.write(ptr, &v.to_le_bytes())
    }

    pub(crate) fn put_u64(&mut self, ptr: u32, v: u64) -> Result<(), Fail> {
        self.write(ptr, &v.to_le_bytes())
    }

    /// A path or name argument: at most [`MAX_PATH`] bytes
    /// (`ENAMETOOLONG`), UTF-8 (`EILSEQ`).
    pub(crate) fn string(&self, ptr: u32, len: u32) -> Result<String, Fail> {
        if len > MAX_PATH {
            self.check(ptr, len as usize)?;
            return Err(Errno::NAMETOOLONG.into());
        }
        let bytes = self.bytes(ptr, len)?;
        String::from_utf8(bytes).map_err(|_| Errno::ILSEQ.into())
    }

    /// An iovec array: `(buf, len)` pairs, each buffer checked, the total
    /// clipped to [`MAX_TRANSFER`].
    pub(crate) fn iovecs(&self, ptr: u32, count: u32) -> Result<Vec<(u32, usize)>, Fail> {
        if count > MAX_IOVECS {
            return Err(Errno::INVAL.into());
        }
        self.check(ptr, count as usize * IOVEC_SIZE)?;
        let mut out = Vec::with_capacity(count as usize);
        let mut total = 0usize;
        for i in 0..count {
            let at = ptr + i * IOVEC_SIZE as u32;
            let buf = self.u32(at)?;
            let len = self.u32(at + 4)? as usize;
            self.check(buf, len)?;
            let len = len.min(MAX_TRANSFER - total);
            total += len;
            out.push((buf, len));
        }
        Ok(out)
    }

    /// The bytes an iovec array names, gathered (for writes).
    pub(crate) fn gather(&self, iovs: &[(u32, usize)]) -> Result<Vec<u8>, Fail> {
        let total: usize = iovs.iter().map(|(_, l)| l).sum();
        let mut out = vec![0; total];
        let mut at = 0;
        for &(buf, len) in iovs {
            self.read(buf, &mut out[at..at + len])?;
            at += len;
        }
        Ok(out)
    }

    /// Scatters `data` over an iovec array (for reads).
    pub(crate) fn scatter(&mut self, iovs: &[(u32, usize)], data: &[u8]) -> Result<(), Fail> {
        let mut rest = data;
        for &(buf, len) in iovs {
            if rest.is_empty() {
                break;
            }
            let n = len.min(rest.len());
            self.write(buf, &rest[..n])?;
            rest = &rest[n..];
        }
        Ok(())
    }
}
