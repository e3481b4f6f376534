//! Resource limits: the [`ResourceLimiter`] a store asks before it grows a
//! memory or a table and before it instantiates, and [`StoreLimits`], a
//! ready limiter built with [`StoreLimitsBuilder`]. Shaped like wasmtime's.
//!
//! Unlike wasmtime (whose issue #4240 leaves shared memories unlimited),
//! weft asks the limiter for shared memories too: a grow of a shared memory
//! asks the limiter of the store whose code (or host call) grows it, while
//! holding that memory's grow lock, so the size the limiter sees is the
//! size the grow starts from and no other thread's grow slips in between
//! (`docs/jit.md`, "Resource limits", argues this).

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};

use weft_core::memory::WASM_PAGE_SIZE;

use crate::error::{Error, ErrorKind, Result};
use crate::runtime::store::{StoreInner, StoreOpaque, TableData};
use crate::types::{MemoryType, TableType};

/// The default for [`ResourceLimiter::instances`].
pub const DEFAULT_INSTANCE_LIMIT: usize = 10_000;
/// The default for [`ResourceLimiter::tables`].
pub const DEFAULT_TABLE_LIMIT: usize = 10_000;
/// The default for [`ResourceLimiter::memories`].
pub const DEFAULT_MEMORY_LIMIT: usize = 10_000;

/// Decides whether a store's memories and tables may grow and how many of
/// them (and of instances) it may hold. Installed with
/// [`Store::limiter`](crate::Store::limiter).
///
/// Sizes are in bytes for memories and in elements for tables. Returning
/// `Ok(false)` refuses a grow (wasm's `memory.grow`/`table.grow` return
/// `-1`, the host's `grow` an `Err`) and leaves the memory or table as it
/// was; returning `Err` traps the wasm code that grows (the call returns
/// that error) or is the host call's `Err`. A limiter that panics is
/// treated as one that returned `Err`, as a panicking host function is: the
/// store stays usable.
///
/// Methods run on the thread that uses the store. For a shared memory they
/// run under the memory's grow lock, so they must not grow that memory
/// (weft refuses any shared-memory grow started from inside a limiter) and
/// should not block on other threads.
pub trait ResourceLimiter {
    /// Whether a memory may grow from `current` to `desired` bytes;
    /// `maximum` is its declared maximum in bytes, if any. Also asked, with
    /// `current` 0, before a memory is created with its minimum size.
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool>;

    /// Told that a grow this limiter approved failed anyway (past the
    /// memory's maximum, or the OS refused); an `Err` turns the failure
    /// into a trap. By default, nothing.
    fn memory_grow_failed(&mut self, error: Error) -> Result<()> {
        drop(error);
        Ok(())
    }

    /// Whether a table may grow from `current` to `desired` elements;
    /// `maximum` is its declared maximum, if any. Also asked, with
    /// `current` 0, before a table is created with its minimum size.
    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool>;

    /// As [`memory_grow_failed`](Self::memory_grow_failed), for tables.
    fn table_grow_failed(&mut self, error: Error) -> Result<()> {
        drop(error);
        Ok(())
    }

    /// The most instances the store may hold.
    fn instances(&self) -> usize {
        DEFAULT_INSTANCE_LIMIT
    }

    /// The most tables the store may create (imported ones do not count).
    fn tables(&self) -> usize {
        DEFAULT_TABLE_LIMIT
    }

    /// The most memories the store may create, shared ones included
    /// (imported ones, and shared memories the store only wraps with
    /// [`Memory::from_shared_memory`](crate::Memory::from_shared_memory),
    /// do not count).
    fn memories(&self) -> usize {
        DEFAULT_MEMORY_LIMIT
    }
}

/// A ready [`ResourceLimiter`]: caps on each memory's size, each table's
/// size and the numbers of instances, tables and memories.
///
/// ```
/// use weft::{Engine, Instance, Module, Store, StoreLimitsBuilder};
/// let engine = Engine::default();
/// let module = Module::new(&engine, r#"(module (memory 1)
///     (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#)?;
/// let mut store = Store::new(&engine, StoreLimitsBuilder::new().memory_size(2 << 16).build());
/// store.limiter(|limits| limits);
/// let instance = Instance::new(&mut store, &module, &[])?;
/// let grow = instance.get_typed_func::<i32, i32>(&mut store, "grow")?;
/// assert_eq!(grow.call(&mut store, 1)?, 1); // to 2 pages: allowed
/// assert_eq!(grow.call(&mut store, 1)?, -1); // to 3 pages: refused
/// # Ok::<(), weft::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct StoreLimits {
    memory_size: Option<usize>,
    table_elements: Option<usize>,
    instances: usize,
    tables: usize,
    memories: usize,
    trap_on_grow_failure: bool,
}

impl Default for StoreLimits {
    /// No caps on sizes; the default counts.
    fn default() -> StoreLimits {
        StoreLimits {
            memory_size: None,
            table_elements: None,
            instances: DEFAULT_INSTANCE_LIMIT,
            tables: DEFAULT_TABLE_LIMIT,
            memories: DEFAULT_MEMORY_LIMIT,
            trap_on_grow_failure: false,
        }
    }
}

/// Builds a [`StoreLimits`].
#[derive(Clone, Debug, Default)]
pub struct StoreLimitsBuilder(StoreLimits);

impl StoreLimitsBuilder {
    /// No caps on sizes; the default counts.
    pub fn new() -> StoreLimitsBuilder {
        StoreLimitsBuilder::default()
    }

    /// The most bytes any one memory may have.
    pub fn memory_size(mut self, bytes: usize) -> StoreLimitsBuilder {
        self.0.memory_size = Some(bytes);
        self
    }

    /// The most elements any one table may have.
    pub fn table_elements(mut self, elements: usize) -> StoreLimitsBuilder {
        self.0.table_elements = Some(elements);
        self
    }

    /// The most instances the store may hold.
    pub fn instances(mut self, count: usize) -> StoreLimitsBuilder {
        self.0.instances = count;
        self
    }

    /// The most tables the store may create.
    pub fn tables(mut self, count: usize) -> StoreLimitsBuilder {
        self.0.tables = count;
        self
    }

    /// The most memories the store may create.
    pub fn memories(mut self, count: usize) -> StoreLimitsBuilder {
        self.0.memories = count;
        self
    }

    /// Whether a refused or failed grow traps instead of returning `-1`
    /// (default: `false`).
    pub fn trap_on_grow_failure(mut self, trap: bool) -> StoreLimitsBuilder {
        self.0.trap_on_grow_failure = trap;
        self
    }

    /// The limits.
    pub fn build(self) -> StoreLimits {
        self.0
    }
}

impl StoreLimits {
    fn decide(&self, what: &str, desired: usize, limit: Option<usize>) -> Result<bool> {
        let allowed = limit.is_none_or(|limit| desired <= limit);
        if !allowed && self.trap_on_grow_failure {
            return Err(ErrorKind::ResourceLimit(format!(
                "growing a {what} to {desired} exceeds the store's limit of {}",
                limit.unwrap_or(usize::MAX)
            ))
            .into());
        }
        Ok(allowed)
    }
}

impl ResourceLimiter for StoreLimits {
    fn memory_growing(&mut self, _: usize, desired: usize, _: Option<usize>) -> Result<bool> {
        self.decide("memory (bytes)", desired, self.memory_size)
    }

    fn memory_grow_failed(&mut self, error: Error) -> Result<()> {
        if self.trap_on_grow_failure {
            Err(error)
        } else {
            Ok(())
        }
    }

    fn table_growing(&mut self, _: usize, desired: usize, _: Option<usize>) -> Result<bool> {
        self.decide("table (elements)", desired, self.table_elements)
    }

    fn table_grow_failed(&mut self, error: Error) -> Result<()> {
        if self.trap_on_grow_failure {
            Err(error)
        } else {
            Ok(())
        }
    }

    fn instances(&self) -> usize {
        self.instances
    }

    fn tables(&self) -> usize {
        self.tables
    }

    fn memories(&self) -> usize {
        self.memories
    }
}

/// The closure [`Store::limiter`](crate::Store::limiter) stores: it finds
/// the limiter inside the store's data.
pub(crate) type LimiterFn<T> =
    dyn FnMut(&mut T) -> &mut (dyn ResourceLimiter) + Send + Sync + 'static;

thread_local! {
    /// Whether this thread is inside a limiter call. A limiter of a shared
    /// memory runs under that memory's grow lock; a grow of a shared memory
    /// started from inside it could wait for a lock this thread holds (or,
    /// across two threads, form a cycle), so it is refused instead.
    static IN_LIMITER: Cell<bool> = const { Cell::new(false) };
}

/// Whether this thread is running a limiter method now.
pub(crate) fn in_limiter() -> bool {
    IN_LIMITER.get()
}

/// How the type-erased half of a store (all that generated code's libcalls
/// reach) calls the limiter, which lives beside the embedder's `T`.
///
/// `inner` is the store's `StoreInner<T>`; `call` the monomorphized
/// [`call_limiter`] that casts it back. Only the `limiter` and `data`
/// fields are touched through it, never `opaque`, so it may be used while
/// the caller holds a `&mut StoreOpaque`.
#[derive(Clone, Copy)]
pub(crate) struct LimiterHook {
    inner: *mut u8,
    call: CallLimiter,
}

/// The signature of [`call_limiter`].
type CallLimiter = unsafe fn(*mut u8, &mut dyn FnMut(&mut dyn ResourceLimiter));

impl LimiterHook {
    /// The hook for the store behind `inner`.
    pub(crate) fn new<T>(inner: *mut StoreInner<T>) -> LimiterHook {
        LimiterHook {
            inner: inner.cast(),
            call: call_limiter::<T>,
        }
    }

    /// Runs `f` on the store's limiter. A panic (in the embedder's closure
    /// that finds the limiter, or in the limiter) becomes an `Err`; nothing
    /// unwinds past here, so no lock held by a caller is poisoned and no
    /// wasm frame is unwound.
    ///
    /// # Safety
    /// The store this hook was made for is alive, and no reference to its
    /// data or its limiter closure is live (the store is inside a call of
    /// its own: a libcall, a host API method or instantiation).
    pub(crate) unsafe fn ask<R>(
        self,
        f: impl FnOnce(&mut dyn ResourceLimiter) -> Result<R>,
    ) -> Result<R> {
        let mut f = Some(f);
        let mut out = None;
        let was_inside = IN_LIMITER.replace(true);
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: the caller's contract; `call_limiter::<T>` was made
            // for this `inner`.
            unsafe {
                (self.call)(self.inner, &mut |limiter| {
                    if let Some(f) = f.take() {
                        out = Some(f(limiter));
                    }
                });
            }
        }));
        IN_LIMITER.set(was_inside);
        match outcome {
            Ok(()) => out.unwrap_or_else(|| Err(Error::usage("the store's limiter is gone"))),
            Err(panic) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "no message".to_owned());
                Err(ErrorKind::Host(format!("the resource limiter panicked: {message}")).into())
            }
        }
    }
}

/// Calls `f` with the limiter of the `StoreInner<T>` at `inner`.
///
/// # Safety
/// `inner` is a live `StoreInner<T>` whose `data` and `limiter` fields no
/// live reference points into.
unsafe fn call_limiter<T>(inner: *mut u8, f: &mut dyn FnMut(&mut dyn ResourceLimiter)) {
    let inner = inner.cast::<StoreInner<T>>();
    // SAFETY: the caller's contract; the two fields are disjoint from each
    // other and from `opaque`, which the caller may be borrowing.
    let (get, data) = unsafe { (&mut (*inner).limiter, &mut (*inner).data) };
    if let Some(get) = get {
        f(get(data));
    }
}

/// `pages` wasm pages in bytes, saturating (a limiter sees `usize::MAX` for
/// a size no memory can have).
pub(crate) fn pages_to_bytes(pages: u64) -> usize {
    usize::try_from(pages.saturating_mul(WASM_PAGE_SIZE as u64)).unwrap_or(usize::MAX)
}

/// The type-erased half of a store and the hook to its limiter (if it has
/// one), both derived from one fresh exclusive borrow of the whole store,
/// for host API methods that have it.
pub(crate) fn split<T>(inner: &mut StoreInner<T>) -> (&mut StoreOpaque, Option<LimiterHook>) {
    let hook = inner
        .limiter
        .is_some()
        .then(|| LimiterHook::new(&raw mut *inner));
    (&mut inner.opaque, hook)
}

fn exceeded(message: String) -> Error {
    ErrorKind::ResourceLimit(message).into()
}

/// An error if the store may not hold `instances` more instances and create
/// `memories` and `tables` more memories and tables, by its limiter's
/// counts (no limiter, no counts).
pub(crate) fn check_counts(
    store: &StoreOpaque,
    limiter: Option<LimiterHook>,
    instances: usize,
    memories: usize,
    tables: usize,
) -> Result<()> {
    let Some(hook) = limiter else {
        return Ok(());
    };
    // SAFETY: inside one of the store's own calls, which borrows only its
    // `opaque` part.
    let (max_instances, max_memories, max_tables) =
        unsafe { hook.ask(|l| Ok((l.instances(), l.memories(), l.tables()))) }?;
    let (created_memories, created_tables) = store.created_counts();
    let checks = [
        ("instance", store.instance_count(), instances, max_instances),
        ("memory", created_memories, memories, max_memories),
        ("table", created_tables, tables, max_tables),
    ];
    for (what, have, more, max) in checks {
        if more > 0 && have.saturating_add(more) > max {
            return Err(exceeded(format!(
                "{what} count: the store holds {have}, {more} more would pass its limit of {max}"
            )));
        }
    }
    Ok(())
}

/// An error if the limiter refuses a new memory of type `ty` its minimum
/// size (asked as a grow from 0).
pub(crate) fn check_memory_minimum(limiter: Option<LimiterHook>, ty: &MemoryType) -> Result<()> {
    let Some(hook) = limiter else {
        return Ok(());
    };
    let (minimum, maximum) = (pages_to_bytes(ty.minimum), ty.maximum.map(pages_to_bytes));
    // SAFETY: as in `check_counts`.
    if unsafe { hook.ask(|l| l.memory_growing(0, minimum, maximum)) }? {
        Ok(())
    } else {
        Err(exceeded(format!(
            "a memory's minimum of {} pages is refused by the store's limiter",
            ty.minimum
        )))
    }
}

/// An error if the limiter refuses a new table of type `ty` its minimum
/// size (asked as a grow from 0).
pub(crate) fn check_table_minimum(limiter: Option<LimiterHook>, ty: &TableType) -> Result<()> {
    let Some(hook) = limiter else {
        return Ok(());
    };
    let maximum = ty.maximum.map(|m| m as usize);
    // SAFETY: as in `check_counts`.
    if unsafe { hook.ask(|l| l.table_growing(0, ty.minimum as usize, maximum)) }? {
        Ok(())
    } else {
        Err(exceeded(format!(
            "a table's minimum of {} elements is refused by the store's limiter",
            ty.minimum
        )))
    }
}

/// Grows `table` by `delta` elements set to `init`, asking `limiter` first:
/// `Ok(Some(old size))`, `Ok(None)` if refused or failed (the table
/// unchanged), `Err` if the limiter returned one or panicked.
pub(crate) fn grow_table(
    table: &mut TableData,
    delta: u32,
    init: usize,
    limiter: Option<LimiterHook>,
) -> Result<Option<u32>> {
    let Some(hook) = limiter.filter(|_| delta > 0) else {
        return Ok(table.grow(delta, init));
    };
    let current = table.elements.len();
    let desired = current.saturating_add(delta as usize);
    let maximum = table.ty.maximum.map(|m| m as usize);
    // SAFETY: as in `check_counts`.
    if !unsafe { hook.ask(|l| l.table_growing(current, desired, maximum)) }? {
        return Ok(None);
    }
    let grown = table.grow(delta, init);
    if grown.is_none() {
        let failure = Error::usage(format!(
            "failed to grow table by {delta} elements past its maximum or weft's limit"
        ));
        // SAFETY: as in `check_counts`.
        unsafe { hook.ask(|l| l.table_grow_failed(failure)) }?;
    }
    Ok(grown)
}
