//! Linear memories in the API: [`Memory`] (a handle into a store) and
//! [`SharedMemory`] (a `Send + Sync` memory that many stores import).

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use weft_core::memory::{
    self as core_memory, AccessError, MemoryImage, MemoryLimits, VMMemoryDefinition,
};

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::runtime::limits::{self, LimiterHook, in_limiter, pages_to_bytes, split};
use crate::runtime::store::{AsContext, AsContextMut, StoreOpaque};
use crate::trap::{Trap, TrapCode};
use crate::types::MemoryType;

/// A memory as a store holds it.
pub(crate) enum MemoryStorage {
    /// Owned by one instance of this store.
    Owned(core_memory::Memory, MemoryType),
    /// Imported (or defined) shared memory; other stores may hold it too.
    Shared(SharedMemory),
}

fn limits(ty: &MemoryType) -> MemoryLimits {
    MemoryLimits {
        minimum: ty.minimum,
        maximum: ty.maximum,
        shared: ty.shared,
    }
}

impl MemoryStorage {
    /// A new memory of type `ty`, its reservation capped by `engine`'s
    /// configuration, starting from `image`'s contents if given (zeros
    /// otherwise).
    pub(crate) fn new(
        engine: &Engine,
        ty: MemoryType,
        image: Option<&MemoryImage>,
    ) -> Result<MemoryStorage> {
        if ty.shared {
            Ok(MemoryStorage::Shared(SharedMemory::create(
                engine, ty, image,
            )?))
        } else {
            let policy = engine.config().reservation_policy();
            let m = core_memory::Memory::with_image(limits(&ty), policy, image)
                .map_err(|e| creation_error("memory", &e))?;
            Ok(MemoryStorage::Owned(m, ty))
        }
    }

    pub(crate) fn definition(&self) -> *mut VMMemoryDefinition {
        match self {
            MemoryStorage::Owned(m, _) => m.definition(),
            MemoryStorage::Shared(s) => s.inner.definition(),
        }
    }

    pub(crate) fn ty(&self) -> MemoryType {
        match self {
            MemoryStorage::Owned(_, ty) => *ty,
            MemoryStorage::Shared(s) => s.ty,
        }
    }

    pub(crate) fn size_pages(&self) -> u64 {
        match self {
            MemoryStorage::Owned(m, _) => m.size_pages(),
            MemoryStorage::Shared(s) => s.inner.size_pages(),
        }
    }

    pub(crate) fn byte_len(&self) -> usize {
        match self {
            MemoryStorage::Owned(m, _) => m.byte_len(),
            MemoryStorage::Shared(s) => s.inner.byte_len(),
        }
    }

    /// Grows by `delta` pages, asking `limiter` first (for a shared memory,
    /// under its grow lock: see `SharedMemory::grow_with` in weft-core).
    /// `Ok(Some(old size))`, `Ok(None)` if refused or failed with the
    /// memory unchanged, `Err` if the limiter returned one (or panicked):
    /// a trap for wasm.
    pub(crate) fn grow(&mut self, delta: u64, limiter: Option<LimiterHook>) -> Result<Option<u64>> {
        let Some(hook) = limiter else {
            return Ok(match self {
                MemoryStorage::Owned(m, _) => m.grow(delta),
                MemoryStorage::Shared(s) => s.inner.grow(delta),
            });
        };
        if in_limiter() && matches!(self, MemoryStorage::Shared(_)) {
            // The limiter asking may hold a grow lock (see `IN_LIMITER`).
            return Err(Error::usage(
                "a shared memory cannot be grown from inside a ResourceLimiter",
            ));
        }
        let maximum = self.ty().maximum.map(pages_to_bytes);
        let mut verdict: Option<Result<bool>> = None;
        let approve = |current: u64, desired: u64| {
            // SAFETY: we are inside a call of the hook's store (a libcall
            // or a host API method), which borrows only its `opaque` part.
            let answer = unsafe {
                hook.ask(|l| {
                    l.memory_growing(pages_to_bytes(current), pages_to_bytes(desired), maximum)
                })
            };
            let approved = matches!(answer, Ok(true));
            verdict = Some(answer);
            approved
        };
        let grown = match self {
            MemoryStorage::Owned(m, _) => m.grow_with(delta, approve),
            MemoryStorage::Shared(s) => s.inner.grow_with(delta, approve),
        };
        match verdict {
            Some(Err(e)) => Err(e),
            Some(Ok(true)) if grown.is_none() => {
                let failure = Error::usage(format!(
                    "failed to grow memory by {delta} pages past its maximum or the OS's means"
                ));
                // SAFETY: as above.
                unsafe { hook.ask(|l| l.memory_grow_failed(failure)) }?;
                Ok(None)
            }
            _ => Ok(grown),
        }
    }

    /// Copies out `buf.len()` bytes at `offset`.
    pub(crate) fn read(&self, offset: u64, buf: &mut [u8]) -> Result<(), AccessError> {
        match self {
            MemoryStorage::Owned(m, _) => m.read(offset, buf),
            MemoryStorage::Shared(s) => s.inner.read(offset, buf),
        }
    }

    /// Copies `data` in at `offset`.
    pub(crate) fn write(&mut self, offset: u64, data: &[u8]) -> Result<(), AccessError> {
        match self {
            MemoryStorage::Owned(m, _) => m.write(offset, data),
            MemoryStorage::Shared(s) => s.inner.write(offset, data),
        }
    }

    /// Fills `len` bytes at `offset` with `value`.
    pub(crate) fn fill(&mut self, offset: u64, value: u8, len: u64) -> Result<(), AccessError> {
        match self {
            MemoryStorage::Owned(m, _) => m.fill(offset, value, len),
            MemoryStorage::Shared(s) => s.inner.fill(offset, value, len),
        }
    }

    /// Copies `len` bytes from `src` to `dst` within this memory.
    pub(crate) fn copy_within(&mut self, dst: u64, src: u64, len: u64) -> Result<(), AccessError> {
        match self {
            MemoryStorage::Owned(m, _) => m.copy_within(dst, src, len),
            MemoryStorage::Shared(s) => s.inner.copy_within(dst, src, len),
        }
    }

    /// Copies `len` bytes of `src` at `src_offset` to `dst_offset` in
    /// `self`, another memory of the store (which may still be the same
    /// shared memory, imported twice).
    pub(crate) fn copy_from(
        &mut self,
        dst_offset: u64,
        src: &MemoryStorage,
        src_offset: u64,
        len: u64,
    ) -> Result<(), AccessError> {
        let dst = match self {
            MemoryStorage::Owned(m, _) => core_memory::CopyTarget::Owned(m),
            MemoryStorage::Shared(s) => core_memory::CopyTarget::Shared(&s.inner),
        };
        let src = match src {
            MemoryStorage::Owned(m, _) => core_memory::CopySource::Owned(m),
            MemoryStorage::Shared(s) => core_memory::CopySource::Shared(&s.inner),
        };
        core_memory::copy(dst, dst_offset, src, src_offset, len)
    }

    /// Wasm's `memory.atomic.notify`: alignment, then bounds, then the
    /// waiters woken (none on an unshared memory).
    pub(crate) fn notify(&self, addr: u64, count: u32) -> Result<u32, AccessError> {
        match self {
            MemoryStorage::Owned(m, _) => m.notify(addr, count),
            MemoryStorage::Shared(s) => s.inner.notify(addr, count),
        }
    }
}

/// The error for a memory weft-core refused to create; one over the
/// reservation cap also says which setting sets the cap.
fn creation_error(what: &str, e: &core_memory::MemoryError) -> Error {
    match e {
        core_memory::MemoryError::ExceedsReservation { .. } => Error::link(format!(
            "creating {what}: {e} (Config::max_memory_reservation)"
        )),
        _ => Error::link(format!("creating {what}: {e}")),
    }
}

pub(crate) fn access_trap(e: AccessError) -> TrapCode {
    match e {
        AccessError::Unaligned => TrapCode::UnalignedAtomic,
        AccessError::OutOfBounds => TrapCode::MemoryOutOfBounds,
    }
}

/// A linear memory of one store.
///
/// ```
/// use weft::{Engine, Memory, MemoryType, Store};
/// let mut store = Store::new(&Engine::default(), ());
/// let memory = Memory::new(&mut store, MemoryType::new(1, Some(2)))?;
/// memory.write(&mut store, 8, b"weft")?;
/// let mut buf = [0u8; 4];
/// memory.read(&store, 8, &mut buf)?;
/// assert_eq!(&buf, b"weft");
/// assert_eq!(memory.grow(&mut store, 1)?, 1);
/// assert!(memory.grow(&mut store, 1).is_err()); // past the maximum
/// # Ok::<(), weft::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Memory {
    store_id: u64,
    index: u32,
    /// Whether the memory is a [`SharedMemory`], which
    /// [`into_shared_memory`](Memory::into_shared_memory) then finds in
    /// the registry of shared handles without needing the store.
    shared: bool,
}

/// The shared memories behind live `Memory` handles, by (store id, index in
/// the store).
///
/// `Memory` is a `Copy` pair of integers, so
/// [`Memory::into_shared_memory`], which takes no store, cannot reach the
/// store's list of memories; it looks here instead. A store registers each
/// shared memory it holds and removes them all when it drops, so a handle
/// that outlives its store finds nothing and gets an `Err`. Store ids are
/// never reused, so a stale handle can never find another store's memory.
/// The lock is taken only when a store gains a shared memory, when a store
/// holding one drops, and by `into_shared_memory`: never by wasm code.
static SHARED_HANDLES: Mutex<BTreeMap<(u64, u32), SharedMemory>> = Mutex::new(BTreeMap::new());

fn shared_handles() -> MutexGuard<'static, BTreeMap<(u64, u32), SharedMemory>> {
    // The map is never left half-updated (each critical section is one
    // insert, remove or lookup), so a poisoned lock is still consistent.
    SHARED_HANDLES
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

/// Registers the shared memory behind the handle `(store_id, index)`.
pub(crate) fn register_shared_handle(store_id: u64, index: u32, memory: &SharedMemory) {
    shared_handles().insert((store_id, index), memory.clone());
}

/// Forgets the shared memories of a store that is dropping; `indices` are
/// the store's memories that are shared.
pub(crate) fn unregister_shared_handles(store_id: u64, indices: impl Iterator<Item = u32>) {
    let mut map = shared_handles();
    for index in indices {
        map.remove(&(store_id, index));
    }
}

impl Memory {
    pub(crate) fn from_parts(store_id: u64, index: u32, shared: bool) -> Memory {
        Memory {
            store_id,
            index,
            shared,
        }
    }

    pub(crate) fn index(self) -> u32 {
        self.index
    }

    /// Creates a memory in `store` (shared if `ty` says so), if the store's
    /// [`ResourceLimiter`](crate::ResourceLimiter) allows another memory of
    /// that minimum size.
    pub fn new(mut store: impl AsContextMut, ty: MemoryType) -> Result<Memory> {
        let (store, limiter) = split(store.as_context_mut().0);
        limits::check_counts(store, limiter, 0, 1, 0)?;
        limits::check_memory_minimum(limiter, &ty)?;
        let storage = MemoryStorage::new(&store.engine, ty, None)?;
        Ok(store.push_created_memory(storage))
    }

    /// Wraps a shared memory as a memory of `store`, to import it into
    /// instances of `store` or to use it through the `Memory` API.
    ///
    /// An error if `shared` was created by another engine than `store`'s
    /// (as modules and functions of another engine are refused).
    pub fn from_shared_memory(
        mut store: impl AsContextMut,
        shared: &SharedMemory,
    ) -> Result<Memory> {
        let store = &mut store.as_context_mut().0.opaque;
        shared.check_engine(&store.engine, "Memory::from_shared_memory")?;
        Ok(store.push_memory(MemoryStorage::Shared(shared.clone())))
    }

    pub(crate) fn storage<'s>(&self, store: &'s StoreOpaque) -> Result<&'s MemoryStorage> {
        store.check_store(self.store_id, "memory")?;
        store
            .memory(self.index)
            .ok_or_else(|| Error::usage("memory handle out of range"))
    }

    fn storage_mut<'s>(&self, store: &'s mut StoreOpaque) -> Result<&'s mut MemoryStorage> {
        store.check_store(self.store_id, "memory")?;
        store
            .memory_mut(self.index)
            .ok_or_else(|| Error::usage("memory handle out of range"))
    }

    /// The memory's type.
    pub fn ty(&self, store: impl AsContext) -> Result<MemoryType> {
        Ok(self.storage(&store.as_context().0.opaque)?.ty())
    }

    /// Current size in pages.
    pub fn size(&self, store: impl AsContext) -> Result<u64> {
        Ok(self.storage(&store.as_context().0.opaque)?.size_pages())
    }

    /// Current size in bytes.
    pub fn data_size(&self, store: impl AsContext) -> Result<usize> {
        Ok(self.storage(&store.as_context().0.opaque)?.byte_len())
    }

    /// Grows by `delta` pages and returns the old size; an error if the
    /// memory cannot grow that far.
    ///
    /// Asks the store's [`ResourceLimiter`](crate::ResourceLimiter) first,
    /// also for a shared memory: a refusal is an `Err` with the memory
    /// unchanged.
    pub fn grow(&self, mut store: impl AsContextMut, delta: u64) -> Result<u64> {
        let (store, limiter) = split(store.as_context_mut().0);
        self.storage_mut(store)?
            .grow(delta, limiter)?
            .ok_or_else(|| Error::usage(format!("failed to grow memory by {delta} pages")))
    }

    /// Copies `buf.len()` bytes at `offset` out of the memory.
    pub fn read(&self, store: impl AsContext, offset: usize, buf: &mut [u8]) -> Result<()> {
        self.storage(&store.as_context().0.opaque)?
            .read(offset as u64, buf)
            .map_err(|e| Trap::new(access_trap(e)).into())
    }

    /// Copies `data` into the memory at `offset`.
    pub fn write(&self, mut store: impl AsContextMut, offset: usize, data: &[u8]) -> Result<()> {
        self.storage_mut(&mut store.as_context_mut().0.opaque)?
            .write(offset as u64, data)
            .map_err(|e| Trap::new(access_trap(e)).into())
    }

    /// The bytes of an unshared memory (shared memories may change under
    /// any slice; use [`SharedMemory`]'s accessors for them).
    pub fn data<'a, T: 'a>(
        &self,
        store: impl Into<crate::StoreContext<'a, T>>,
    ) -> Result<&'a [u8]> {
        let store = store.into();
        match self.storage(&store.0.opaque)? {
            MemoryStorage::Owned(m, _) => Ok(m.data()),
            MemoryStorage::Shared(_) => Err(Error::usage("data() of a shared memory")),
        }
    }

    /// The bytes of an unshared memory, mutably.
    pub fn data_mut<'a, T: 'a>(
        &self,
        store: impl Into<crate::StoreContextMut<'a, T>>,
    ) -> Result<&'a mut [u8]> {
        let store = store.into();
        match self.storage_mut(&mut store.0.opaque)? {
            MemoryStorage::Owned(m, _) => Ok(m.data_mut()),
            MemoryStorage::Shared(_) => Err(Error::usage("data_mut() of a shared memory")),
        }
    }

    /// The shared memory behind this handle: an error if the memory is
    /// not shared, or if its store has been dropped.
    ///
    /// Takes no store (as in wasmtime): the handle finds its shared memory
    /// in a process-wide registry that stores fill and empty (see
    /// `SHARED_HANDLES`).
    pub fn into_shared_memory(self) -> Result<SharedMemory> {
        if !self.shared {
            return Err(Error::usage("into_shared_memory: the memory is not shared"));
        }
        shared_handles()
            .get(&(self.store_id, self.index))
            .cloned()
            .ok_or_else(|| Error::usage("into_shared_memory: the memory's store has been dropped"))
    }
}

impl<'a, T> From<&'a crate::Store<T>> for crate::StoreContext<'a, T> {
    fn from(store: &'a crate::Store<T>) -> Self {
        store.as_context()
    }
}

impl<'a, T> From<&'a mut crate::Store<T>> for crate::StoreContextMut<'a, T> {
    fn from(store: &'a mut crate::Store<T>) -> Self {
        store.as_context_mut()
    }
}

/// A shared linear memory: `Send + Sync`, cheap to clone, importable by
/// instances in any number of stores on any threads.
///
/// ```
/// use weft::{Config, Engine, MemoryType, SharedMemory};
/// let engine = Engine::new(Config::new().wasm_threads(true))?;
/// let memory = SharedMemory::new(&engine, MemoryType::shared(1, 4))?;
/// let other = memory.clone();
/// std::thread::spawn(move || other.grow(1)).join().unwrap()?;
/// assert_eq!(memory.size(), 2);
/// # Ok::<(), weft::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct SharedMemory {
    pub(crate) inner: core_memory::SharedMemory,
    ty: MemoryType,
    /// The engine that created it: only stores of this engine may use it,
    /// as only they may instantiate this engine's modules (its
    /// configuration decided the memory's reservation, and instances of
    /// one engine agree on what a shared memory is).
    engine: Engine,
}

impl SharedMemory {
    /// Creates a shared memory; `ty` must be shared, with a maximum, and
    /// `engine` must have threads enabled ([`Config::wasm_threads`]; off by
    /// default). Its reservation is capped by
    /// [`Config::max_memory_reservation`].
    ///
    /// [`Config::wasm_threads`]: crate::Config::wasm_threads
    /// [`Config::max_memory_reservation`]: crate::Config::max_memory_reservation
    pub fn new(engine: &Engine, ty: MemoryType) -> Result<SharedMemory> {
        if !ty.shared {
            return Err(Error::usage("SharedMemory::new needs a shared memory type"));
        }
        SharedMemory::create(engine, ty, None)
    }

    /// Also behind `Memory::new` of a shared type, which obeys the same
    /// rule: no shared memory on an engine without threads.
    fn create(
        engine: &Engine,
        ty: MemoryType,
        image: Option<&MemoryImage>,
    ) -> Result<SharedMemory> {
        if !engine.config().threads {
            return Err(Error::usage(
                "shared memories need an engine with threads enabled (Config::wasm_threads)",
            ));
        }
        let policy = engine.config().reservation_policy();
        let inner = core_memory::SharedMemory::with_image(limits(&ty), policy, image)
            .map_err(|e| creation_error("shared memory", &e))?;
        Ok(SharedMemory {
            inner,
            ty,
            engine: engine.clone(),
        })
    }

    /// The type it was created with.
    pub fn ty(&self) -> MemoryType {
        self.ty
    }

    /// Current size in pages.
    pub fn size(&self) -> u64 {
        self.inner.size_pages()
    }

    /// Current size in bytes.
    pub fn data_size(&self) -> usize {
        self.inner.byte_len()
    }

    /// Grows by `delta` pages (visible to every thread at once); the old
    /// size.
    ///
    /// No store is involved, so no [`ResourceLimiter`](crate::ResourceLimiter)
    /// is asked; grows from wasm code or through a store's
    /// [`Memory`](crate::Memory) handle ask that store's limiter. Refused
    /// from inside a limiter (which may hold this memory's grow lock).
    pub fn grow(&self, delta: u64) -> Result<u64> {
        if in_limiter() {
            return Err(Error::usage(
                "a shared memory cannot be grown from inside a ResourceLimiter",
            ));
        }
        self.inner
            .grow(delta)
            .ok_or_else(|| Error::usage(format!("failed to grow shared memory by {delta} pages")))
    }

    /// Copies bytes out (each byte atomically; not a snapshot).
    pub fn read(&self, offset: usize, buf: &mut [u8]) -> Result<()> {
        self.inner
            .read(offset as u64, buf)
            .map_err(|e| Trap::new(access_trap(e)).into())
    }

    /// Copies bytes in (each byte atomically).
    pub fn write(&self, offset: usize, data: &[u8]) -> Result<()> {
        self.inner
            .write(offset as u64, data)
            .map_err(|e| Trap::new(access_trap(e)).into())
    }

    /// Wakes up to `count` waiters at `addr`, oldest first, whether they
    /// wait in wasm (`memory.atomic.wait*`) or on the host
    /// ([`atomic_wait32`](Self::atomic_wait32)); how many woke. As wasm's
    /// `memory.atomic.notify`, checks alignment (4) and bounds.
    pub fn atomic_notify(&self, addr: u64, count: u32) -> Result<u32> {
        self.inner
            .notify(addr, count)
            .map_err(|e| Trap::new(access_trap(e)).into())
    }

    /// Whether two handles are the same memory.
    pub fn same(&self, other: &SharedMemory) -> bool {
        self.inner.same(&other.inner)
    }

    /// The engine that created this memory.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// An error unless this memory was created by `engine`: a memory of
    /// another engine is refused wherever a store would take it in, as a
    /// module of another engine is.
    pub(crate) fn check_engine(&self, engine: &Engine, what: &str) -> Result<()> {
        if Engine::same(&self.engine, engine) {
            Ok(())
        } else {
            Err(Error::usage(format!(
                "{what}: the shared memory belongs to a different engine than the store"
            )))
        }
    }
}
