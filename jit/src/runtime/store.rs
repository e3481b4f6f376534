//! Stores: the owner of every runtime object.
//!
//! A [`Store`] owns instances, functions, memories, tables and globals;
//! handles ([`Func`], [`Memory`], ...) are indices into it, tagged with the
//! store's id so that using a handle with the wrong store is an error, not
//! undefined behaviour. A store is used by one thread at a time and is
//! `Send`: threads are host threads, each with its own store and instance,
//! sharing memory through [`SharedMemory`](crate::SharedMemory).
//!
//! Generated code reaches the store through raw pointers held in each
//! `VMContext` (the store context, the instance link); the store's state is
//! therefore boxed so that those pointers stay valid when the `Store`
//! value moves.

use std::cell::UnsafeCell;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use weft_core::vm::{
    TRAP_FRAMES, VMFuncRef, VMGlobalDefinition, VMStoreContext, VMTableDefinition, VMTrapFrame,
};

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::runtime::func::Func;
use crate::runtime::global::Global;
use crate::runtime::instance::InstanceData;
use crate::runtime::interrupt::{InterruptHandle, UpdateDeadline};
use crate::runtime::limits::{LimiterFn, LimiterHook, ResourceLimiter};
use crate::runtime::memory::{Memory, MemoryStorage};
use crate::runtime::stack;
use crate::runtime::table::Table;
use crate::trap::{Trap, TrapCode, TrapFrame};
use crate::types::{FuncType, GlobalType, TableType};

/// Owns wasm state for one thread at a time; `T` is the embedder's data,
/// reachable from host functions through [`Caller`](crate::Caller).
///
/// ```
/// let engine = weft::Engine::default();
/// let mut store = weft::Store::new(&engine, 42u32);
/// assert_eq!(*store.data(), 42);
/// ```
pub struct Store<T> {
    inner: Box<StoreInner<T>>,
}

pub(crate) struct StoreInner<T> {
    /// First field: host trampolines cast between the two.
    pub(crate) opaque: StoreOpaque,
    pub(crate) data: T,
    /// Finds the resource limiter in `data` ([`Store::limiter`]).
    pub(crate) limiter: Option<Box<LimiterFn<T>>>,
}

/// Owned by the store, freed with it: the state of host functions, whose
/// concrete type depends on `T`.
pub(crate) struct ErasedBox {
    pub(crate) ptr: *mut u8,
    pub(crate) drop: unsafe fn(*mut u8),
}

impl Drop for ErasedBox {
    fn drop(&mut self) {
        // SAFETY: `ptr` and `drop` were made together from one
        // `Box::into_raw` and its matching dropper; this runs once.
        unsafe { (self.drop)(self.ptr) }
    }
}

pub(crate) struct FuncData {
    /// Stable: inside an instance's `VMContext` or a host function's state.
    pub(crate) funcref: *const VMFuncRef,
    pub(crate) ty: FuncType,
}

pub(crate) struct TableData {
    pub(crate) ty: TableType,
    pub(crate) elements: Vec<usize>,
    /// Boxed: `VMContext`s point at it. Kept in sync with `elements`.
    pub(crate) definition: Box<UnsafeCell<VMTableDefinition>>,
}

impl TableData {
    pub(crate) fn new(ty: TableType, init: usize) -> Result<TableData> {
        if ty.minimum > MAX_TABLE_ELEMENTS {
            return Err(Error::link(format!(
                "creating table: {} elements exceed weft's limit of {MAX_TABLE_ELEMENTS}",
                ty.minimum
            )));
        }
        let mut elements = Vec::new();
        elements
            .try_reserve_exact(ty.minimum as usize)
            .map_err(|_| Error::link("out of memory allocating a table"))?;
        elements.resize(ty.minimum as usize, init);
        let mut t = TableData {
            ty,
            elements,
            definition: Box::new(UnsafeCell::new(VMTableDefinition {
                base: std::ptr::null_mut(),
                current_elements: 0,
            })),
        };
        t.sync();
        Ok(t)
    }

    /// Publishes `elements`' current storage to generated code.
    pub(crate) fn sync(&mut self) {
        let def = self.definition.get_mut();
        def.base = self.elements.as_mut_ptr();
        def.current_elements = self.elements.len();
    }

    pub(crate) fn definition_ptr(&self) -> *mut VMTableDefinition {
        self.definition.get()
    }

    /// Grows by `delta`, filling with `init`; the old size or `None`.
    pub(crate) fn grow(&mut self, delta: u32, init: usize) -> Option<u32> {
        let old = u32::try_from(self.elements.len()).ok()?;
        let new = old.checked_add(delta)?;
        if self.ty.maximum.is_some_and(|m| new > m) || new > MAX_TABLE_ELEMENTS {
            return None;
        }
        self.elements.try_reserve_exact(delta as usize).ok()?;
        self.elements.resize(new as usize, init);
        self.sync();
        Some(old)
    }
}

/// The indices `[start, start + len)` if they lie below `length` (a
/// table's or a segment's); never overflows.
pub(crate) fn range_within(start: u32, len: u32, length: usize) -> Option<std::ops::Range<usize>> {
    let end = u64::from(start) + u64::from(len);
    let end = usize::try_from(end).ok().filter(|&end| end <= length)?;
    Some(start as usize..end)
}

/// weft's cap on table size, so that `table.grow` by a huge delta fails
/// (returns -1) instead of exhausting host memory.
const MAX_TABLE_ELEMENTS: u32 = 10_000_000;

pub(crate) struct GlobalData {
    pub(crate) ty: GlobalType,
    /// Boxed: `VMContext`s point at it; generated code writes it.
    pub(crate) definition: Box<UnsafeCell<VMGlobalDefinition>>,
}

/// The part of a store that does not depend on `T`.
pub(crate) struct StoreOpaque {
    id: u64,
    pub(crate) engine: Engine,
    /// Boxed: every `VMContext` header points at it.
    vmstore: Box<UnsafeCell<VMStoreContext>>,
    // The store's objects, by store index: private, reached through the
    // accessors below (`memory`, `instance_memory`, `push_table`, ...),
    // so that how an instance's index resolves to the store's is written
    // once.
    instances: Vec<InstanceData>,
    funcs: Vec<FuncData>,
    /// `*const VMFuncRef` -> index in `funcs`, to turn references read
    /// from tables or returned by wasm back into handles.
    funcref_index: HashMap<usize, u32>,
    memories: Vec<MemoryStorage>,
    tables: Vec<TableData>,
    globals: Vec<GlobalData>,
    host_state: Vec<ErasedBox>,
    /// The error a host function returned, until the call that reached it
    /// returns.
    pub(crate) pending_error: Option<Error>,
    /// Nesting of host-to-wasm calls on this store.
    entry_depth: u32,
    /// The largest stack frame of any module instantiated in this store;
    /// the stack limit keeps this much room above the reserve.
    max_frame_bytes: usize,
    /// `max_frame_bytes` when the outermost call set the stack limit.
    limit_frame_bytes: usize,
    /// The epoch deadline generated code compares with (through
    /// `VMStoreContext::epoch_deadline`); shared (weakly) with the
    /// interrupt group, which zeroes it on `interrupt()`.
    pub(crate) epoch_deadline: Arc<AtomicU64>,
    /// The store's interrupt group.
    pub(crate) interrupt: InterruptHandle,
    /// What reaching the epoch deadline does.
    pub(crate) deadline_behavior: DeadlineBehavior,
    /// The enclosing `StoreInner<T>`, for the deadline callback; set by
    /// `Store::new` once the box exists.
    pub(crate) inner_ptr: *mut u8,
    /// How libcalls reach the resource limiter ([`Store::limiter`]), which
    /// lives beside `T`.
    pub(crate) limiter: Option<LimiterHook>,
    /// Memories and tables the store created (not imported), as the
    /// limiter's `memories()`/`tables()` count them.
    created_memories: usize,
    created_tables: usize,
    /// Whether any memory of the store is shared, i.e. registered in the
    /// shared-handle registry that `Memory::into_shared_memory` reads.
    holds_shared_memories: bool,
}

impl Drop for StoreOpaque {
    fn drop(&mut self) {
        if self.holds_shared_memories {
            let shared = self
                .memories
                .iter()
                .enumerate()
                .filter(|(_, m)| matches!(m, MemoryStorage::Shared(_)))
                .map(|(i, _)| i as u32);
            crate::runtime::memory::unregister_shared_handles(self.id, shared);
        }
    }
}

/// The type-erased deadline callback: its argument is the store's
/// `*mut StoreInner<T>`.
pub(crate) type ErasedDeadlineCallback =
    Box<dyn FnMut(*mut u8) -> Result<UpdateDeadline> + Send + Sync>;

/// What reaching the epoch deadline does.
pub(crate) enum DeadlineBehavior {
    /// Trap `interrupt` (the default).
    Trap,
    /// Ask the embedder; `None` while the callback runs.
    Callback(Option<ErasedDeadlineCallback>),
}

// SAFETY: every raw pointer in a store points into memory the store owns
// (boxed definitions, `VMContext`s, host-function state) or into shared
// memories, which are `Sync`; the limiter hook points at the store's own
// `StoreInner`. A store is used by one thread at a time
// (`&mut`), so moving it to another thread moves all of that with it. Host
// functions and data must be `Send` for the store to be (`T: Send` below,
// `Send + Sync` bounds on host closures).
unsafe impl Send for StoreOpaque {}

static NEXT_STORE_ID: AtomicU64 = AtomicU64::new(1);

impl StoreOpaque {
    fn new(engine: &Engine) -> StoreOpaque {
        // As in wasmtime: the deadline starts at the current epoch, i.e.
        // already reached.
        let epoch_deadline = Arc::new(AtomicU64::new(engine.current_epoch()));
        let interrupt = InterruptHandle::new();
        interrupt.join(&epoch_deadline);
        StoreOpaque {
            // Relaxed: only uniqueness matters.
            id: NEXT_STORE_ID.fetch_add(1, Ordering::Relaxed),
            engine: engine.clone(),
            vmstore: Box::new(UnsafeCell::new(VMStoreContext {
                stack_limit: usize::MAX,
                trap_vmctx: std::ptr::null_mut(),
                trap_func_index: 0,
                fuel: 0,
                epoch_counter: engine.epoch_counter(),
                epoch_deadline: Arc::as_ptr(&epoch_deadline).cast(),
                trap_frames_len: 0,
                trap_frames: [VMTrapFrame::EMPTY; TRAP_FRAMES as usize + 1],
            })),
            instances: Vec::new(),
            funcs: Vec::new(),
            funcref_index: HashMap::new(),
            memories: Vec::new(),
            tables: Vec::new(),
            globals: Vec::new(),
            host_state: Vec::new(),
            pending_error: None,
            entry_depth: 0,
            max_frame_bytes: 0,
            limit_frame_bytes: 0,
            epoch_deadline,
            interrupt,
            deadline_behavior: DeadlineBehavior::Trap,
            inner_ptr: std::ptr::null_mut(),
            limiter: None,
            created_memories: 0,
            created_tables: 0,
            holds_shared_memories: false,
        }
    }

    pub(crate) fn check_store(&self, id: u64, what: &str) -> Result<()> {
        if id == self.id {
            Ok(())
        } else {
            Err(Error::usage(format!("{what} belongs to a different store")))
        }
    }

    pub(crate) fn func_data(&self, f: Func) -> Result<&FuncData> {
        self.check_store(f.store_id(), "function")?;
        self.funcs
            .get(f.index() as usize)
            .ok_or_else(|| Error::usage("function handle out of range"))
    }

    /// Registers a function; `funcref` must stay valid as long as the store.
    pub(crate) fn push_func(&mut self, funcref: *const VMFuncRef, ty: FuncType) -> Func {
        let index = u32::try_from(self.funcs.len()).expect("fewer than 2^32 functions per store");
        self.funcs.push(FuncData { funcref, ty });
        self.funcref_index.insert(funcref as usize, index);
        Func::from_parts(self.id, index)
    }

    /// Makes `funcref` (an imported function's `VMFuncRef` copied into
    /// an instance) another reference to the function `f`.
    pub(crate) fn register_funcref(&mut self, funcref: *const VMFuncRef, f: Func) {
        self.funcref_index.insert(funcref as usize, f.index());
    }

    /// The handle for a `*const VMFuncRef` produced by wasm (0 is null).
    pub(crate) fn func_from_ref(&self, funcref: usize) -> Result<Option<Func>> {
        if funcref == 0 {
            return Ok(None);
        }
        match self.funcref_index.get(&funcref) {
            Some(&i) => Ok(Some(Func::from_parts(self.id, i))),
            None => Err(Error::usage("unknown function reference (weft bug)")),
        }
    }

    /// Sets the epoch deadline `ticks` beyond the current epoch
    /// (saturating), unless the group is interrupted.
    pub(crate) fn set_epoch_deadline(&self, ticks: u64) {
        let deadline = self.engine.current_epoch().saturating_add(ticks);
        // SeqCst: then the flag is re-read; see `runtime::interrupt`.
        self.epoch_deadline.store(deadline, Ordering::SeqCst);
        self.interrupt.zero_if_interrupted(&self.epoch_deadline);
    }

    /// Where a trap starts: function `func` of the instance `vmctx`, the
    /// first frame of its backtrace (generated code's `raise` exit, through
    /// the `trap_raise` builtin).
    pub(crate) fn record_trap_origin(&mut self, vmctx: *mut u8, func: u32) {
        let vmstore = self.vmstore.get_mut();
        vmstore.trap_vmctx = vmctx;
        vmstore.trap_func_index = func;
        vmstore.trap_frames_len = 0;
        self.record_trap_frame(vmctx, func);
    }

    /// Appends function `func` of the instance `vmctx` to the backtrace of
    /// the trap in flight (generated code's `propagate` exit, through the
    /// `trap_propagate` builtin). Past [`TRAP_FRAMES`] frames the spare last
    /// slot is overwritten and only the count goes on, so the runtime can
    /// say how many frames were left out.
    pub(crate) fn record_trap_frame(&mut self, vmctx: *mut u8, func: u32) {
        let vmstore = self.vmstore.get_mut();
        let slot = vmstore.trap_frames_len.min(TRAP_FRAMES) as usize;
        vmstore.trap_frames[slot] = VMTrapFrame {
            vmctx,
            func_index: func,
        };
        vmstore.trap_frames_len = vmstore.trap_frames_len.saturating_add(1);
    }

    pub(crate) fn vmstore_ptr(&self) -> *mut VMStoreContext {
        self.vmstore.get()
    }

    /// Calls wasm (or a host function) through `funcref` with `values` as
    /// its values area, on this thread.
    ///
    /// # Safety
    /// `funcref` must be a function of this store, and `values` must hold
    /// its parameters (encoded per `Val::to_slot`) in at least
    /// `value_slots()` slots.
    pub(crate) unsafe fn invoke(
        this: *mut StoreOpaque,
        funcref: *const VMFuncRef,
        values: &mut [u128],
    ) -> Result<()> {
        // SAFETY: the caller passes a live store; no other reference to it
        // is used while this one is.
        let store = unsafe { &mut *this };
        // An interrupted group runs no more wasm, checks compiled or not.
        if store.interrupt.is_interrupted() {
            return Err(Trap::new(TrapCode::Interrupt).into());
        }
        let outermost = store.entry_depth == 0;
        let saved_limit;
        {
            let vmstore = store.vmstore.get_mut();
            saved_limit = vmstore.stack_limit;
            if outermost {
                vmstore.stack_limit = stack::limit_for_entry(
                    store.engine.config().max_wasm_stack,
                    store.max_frame_bytes,
                );
                store.limit_frame_bytes = store.max_frame_bytes;
            } else if store.max_frame_bytes > store.limit_frame_bytes {
                // A host function instantiated a module with larger frames
                // than any before: raise the floor for this inner call.
                if let Some(floor) = stack::floor(store.max_frame_bytes) {
                    vmstore.stack_limit = vmstore.stack_limit.max(floor);
                }
            }
        }
        store.entry_depth += 1;
        // SAFETY: `funcref` is a live function of this store (caller's
        // contract), so `code` follows the calling convention of
        // `translate` and `vmctx` is the context it expects.
        let code = unsafe {
            let f: unsafe extern "C" fn(*mut u8, *mut u8, *mut u128) -> u32 =
                std::mem::transmute((*funcref).code);
            f((*funcref).vmctx, std::ptr::null_mut(), values.as_mut_ptr())
        };
        // SAFETY: as above; the wasm call has returned, so nothing else
        // uses the store now.
        let store = unsafe { &mut *this };
        store.entry_depth -= 1;
        store.vmstore.get_mut().stack_limit = saved_limit;
        if code == 0 {
            store.pending_error = None;
            return Ok(());
        }
        if let Some(e) = store.pending_error.take() {
            return Err(e);
        }
        let Some(trap) = TrapCode::from_u32(code) else {
            return Err(Error::usage(format!("unknown trap code {code} (weft bug)")));
        };
        let vmstore = store.vmstore.get_mut();
        let (vmctx, func) = (vmstore.trap_vmctx, vmstore.trap_func_index);
        vmstore.trap_vmctx = std::ptr::null_mut();
        if vmctx.is_null() {
            return Err(Trap::new(trap).into());
        }
        let recorded = vmstore.trap_frames_len.min(TRAP_FRAMES) as usize;
        let frames: Vec<(*mut u8, u32)> = vmstore.trap_frames[..recorded]
            .iter()
            .map(|f| (f.vmctx, f.func_index))
            .collect();
        let omitted = vmstore.trap_frames_len.saturating_sub(TRAP_FRAMES);
        let module_name = |vmctx: *mut u8| {
            store
                .instance_by_vmctx(vmctx)
                .and_then(|i| i.module.name().map(str::to_owned))
        };
        let backtrace = frames
            .into_iter()
            .map(|(vmctx, func_index)| TrapFrame::new(func_index, module_name(vmctx)))
            .collect();
        Err(Trap::at(trap, func, module_name(vmctx))
            .with_backtrace(backtrace, omitted)
            .into())
    }
}

/// Two memories of one instance, as `memory.copy` needs them.
pub(crate) enum MemoryPair<'a> {
    /// Both indices name the same memory of the store.
    Same(&'a mut MemoryStorage),
    /// Two memories of the store (possibly one shared memory imported
    /// twice): the destination and the source.
    Distinct(&'a mut MemoryStorage, &'a MemoryStorage),
}

/// The store's objects: registering them, and finding them by store index
/// (handles) or by an instance's own index (generated code, whose indices
/// were validated at compile time, so a bad one is a weft bug and panics).
impl StoreOpaque {
    /// The memory at store index `index`.
    pub(crate) fn memory(&self, index: u32) -> Option<&MemoryStorage> {
        self.memories.get(index as usize)
    }

    /// The memory at store index `index`, mutably.
    pub(crate) fn memory_mut(&mut self, index: u32) -> Option<&mut MemoryStorage> {
        self.memories.get_mut(index as usize)
    }

    /// The table at store index `index`.
    pub(crate) fn table(&self, index: u32) -> Option<&TableData> {
        self.tables.get(index as usize)
    }

    /// The table at store index `index`, mutably.
    pub(crate) fn table_mut(&mut self, index: u32) -> Option<&mut TableData> {
        self.tables.get_mut(index as usize)
    }

    /// The global at store index `index`.
    pub(crate) fn global(&self, index: u32) -> Option<&GlobalData> {
        self.globals.get(index as usize)
    }

    /// The instance at store index `index`.
    pub(crate) fn instance(&self, index: usize) -> Option<&InstanceData> {
        self.instances.get(index)
    }

    /// The instance at `index`, which generated code or instantiation
    /// holds (so it exists).
    pub(crate) fn instance_mut(&mut self, index: usize) -> &mut InstanceData {
        &mut self.instances[index]
    }

    /// How many instances the store holds.
    pub(crate) fn instance_count(&self) -> usize {
        self.instances.len()
    }

    /// The instance whose `VMContext` is `vmctx`.
    pub(crate) fn instance_by_vmctx(&self, vmctx: *mut u8) -> Option<&InstanceData> {
        self.instances.iter().find(|i| i.vmctx_ptr() == vmctx)
    }

    /// Memory `index` of instance `instance`, resolved to the store's.
    pub(crate) fn instance_memory(&mut self, instance: usize, index: u32) -> &mut MemoryStorage {
        let m = self.instances[instance].memories[index as usize].index();
        &mut self.memories[m as usize]
    }

    /// Memories `dst` and `src` of instance `instance`, resolved to the
    /// store's.
    pub(crate) fn instance_memory_pair(
        &mut self,
        instance: usize,
        dst: u32,
        src: u32,
    ) -> MemoryPair<'_> {
        let memories = &self.instances[instance].memories;
        let (d, s) = (
            memories[dst as usize].index() as usize,
            memories[src as usize].index() as usize,
        );
        if d == s {
            return MemoryPair::Same(&mut self.memories[d]);
        }
        let [d, s] = self
            .memories
            .get_disjoint_mut([d, s])
            .expect("an instance's memories are distinct store entries in range");
        MemoryPair::Distinct(d, s)
    }

    /// Table `index` of instance `instance`, resolved to the store's.
    pub(crate) fn instance_table(&mut self, instance: usize, index: u32) -> &mut TableData {
        let t = self.instances[instance].tables[index as usize].index();
        &mut self.tables[t as usize]
    }

    /// Registers an instance; its index in the store.
    pub(crate) fn push_instance(&mut self, data: InstanceData) -> usize {
        self.instances.push(data);
        self.instances.len() - 1
    }

    /// Keeps a host function's state until the store drops.
    pub(crate) fn push_host_state(&mut self, state: ErasedBox) {
        self.host_state.push(state);
    }

    /// The store's id, which its handles carry.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// Makes room on the stack for frames of up to `bytes` (a module's
    /// largest), before any code of that module runs.
    pub(crate) fn raise_max_frame_bytes(&mut self, bytes: usize) {
        self.max_frame_bytes = self.max_frame_bytes.max(bytes);
    }

    /// How many memories and tables the store created (not imported), as
    /// the limiter's `memories()`/`tables()` count them.
    pub(crate) fn created_counts(&self) -> (usize, usize) {
        (self.created_memories, self.created_tables)
    }

    /// Registers a memory the store created (counted against the
    /// limiter's `memories()`).
    pub(crate) fn push_created_memory(&mut self, storage: MemoryStorage) -> Memory {
        self.created_memories += 1;
        self.push_memory(storage)
    }

    /// Registers a table the store created (counted against the limiter's
    /// `tables()`).
    pub(crate) fn push_created_table(&mut self, data: TableData) -> Table {
        self.created_tables += 1;
        self.push_table(data)
    }

    /// Registers a table.
    fn push_table(&mut self, data: TableData) -> Table {
        let index = u32::try_from(self.tables.len()).expect("fewer than 2^32 tables per store");
        self.tables.push(data);
        Table::from_parts(self.id, index)
    }

    /// Registers a memory; a shared one also in the registry that
    /// `Memory::into_shared_memory` reads.
    pub(crate) fn push_memory(&mut self, storage: MemoryStorage) -> Memory {
        let index = u32::try_from(self.memories.len()).expect("fewer than 2^32 memories per store");
        let shared = match &storage {
            MemoryStorage::Shared(s) => {
                crate::runtime::memory::register_shared_handle(self.id, index, s);
                self.holds_shared_memories = true;
                true
            }
            MemoryStorage::Owned(..) => false,
        };
        self.memories.push(storage);
        Memory::from_parts(self.id, index, shared)
    }

    /// Registers a global of type `ty` holding `bits`.
    pub(crate) fn push_global(&mut self, ty: GlobalType, bits: u128) -> Global {
        let index = u32::try_from(self.globals.len()).expect("fewer than 2^32 globals per store");
        self.globals.push(GlobalData {
            ty,
            definition: Box::new(UnsafeCell::new(VMGlobalDefinition { bits })),
        });
        Global::from_parts(self.id, index)
    }
}

impl<T> Store<T> {
    /// A new, empty store.
    pub fn new(engine: &Engine, data: T) -> Store<T> {
        let mut inner = Box::new(StoreInner {
            opaque: StoreOpaque::new(engine),
            data,
            limiter: None,
        });
        let ptr: *mut StoreInner<T> = &mut *inner;
        inner.opaque.inner_ptr = ptr.cast();
        Store { inner }
    }

    /// Sets the epoch deadline `ticks_beyond_current` ticks beyond the
    /// engine's current epoch (saturating: `u64::MAX` is never reached).
    /// Meaningful with [`Config::epoch_interruption`](crate::Config::epoch_interruption);
    /// an interrupted group keeps its deadline at 0.
    pub fn set_epoch_deadline(&mut self, ticks_beyond_current: u64) {
        self.inner.opaque.set_epoch_deadline(ticks_beyond_current);
    }

    /// Reaching the epoch deadline traps with [`TrapCode::Interrupt`] (the
    /// default).
    pub fn epoch_deadline_trap(&mut self) {
        self.inner.opaque.deadline_behavior = DeadlineBehavior::Trap;
    }

    /// Reaching the epoch deadline calls `callback` on the store's thread,
    /// at the check that noticed it: `Ok(UpdateDeadline::Continue(n))`
    /// resumes with the deadline `n` ticks beyond the current epoch; `Err`
    /// traps, and the call that reached the check returns that error. An
    /// interrupt of the group traps without calling it.
    pub fn epoch_deadline_callback(
        &mut self,
        mut callback: impl FnMut(StoreContextMut<'_, T>) -> Result<UpdateDeadline>
        + Send
        + Sync
        + 'static,
    ) {
        let erased: ErasedDeadlineCallback = Box::new(move |inner: *mut u8| {
            // SAFETY: the libcall passes the store's own `inner_ptr` (this
            // store's `StoreInner<T>`) after ending every other borrow of
            // the store; the callback was taken out of the store first.
            let inner = unsafe { &mut *inner.cast::<StoreInner<T>>() };
            callback(StoreContextMut(inner))
        });
        self.inner.opaque.deadline_behavior = DeadlineBehavior::Callback(Some(erased));
    }

    /// Sets the fuel left. `Err` unless [`Config::consume_fuel`](crate::Config::consume_fuel)
    /// is on. Any amount is fine, `0` (the next segment traps) to
    /// `u64::MAX`.
    pub fn set_fuel(&mut self, fuel: u64) -> Result<()> {
        self.check_fuel_enabled()?;
        self.inner.opaque.vmstore.get_mut().fuel = fuel;
        Ok(())
    }

    /// The fuel left. `Err` unless [`Config::consume_fuel`](crate::Config::consume_fuel)
    /// is on.
    pub fn get_fuel(&self) -> Result<u64> {
        self.check_fuel_enabled()?;
        // SAFETY: generated code writes the fuel only during a call, which
        // holds the store exclusively; we hold `&self`, so none runs.
        Ok(unsafe { (*self.inner.opaque.vmstore.get()).fuel })
    }

    fn check_fuel_enabled(&self) -> Result<()> {
        if self.inner.opaque.engine.config().consume_fuel {
            Ok(())
        } else {
            Err(Error::usage(
                "fuel is not enabled: use Config::consume_fuel(true)",
            ))
        }
    }

    /// The handle on this store's interrupt group.
    pub fn interrupt_handle(&self) -> InterruptHandle {
        self.inner.opaque.interrupt.clone()
    }

    /// Moves this store into `handle`'s group (leaving its own): the
    /// group's `interrupt()` then stops it too, at once if it already
    /// happened.
    pub fn set_interrupt_handle(&mut self, handle: &InterruptHandle) {
        let opaque = &mut self.inner.opaque;
        if opaque.interrupt.same_group(handle) {
            return;
        }
        opaque.interrupt.leave(&opaque.epoch_deadline);
        opaque.interrupt = handle.clone();
        opaque.interrupt.join(&opaque.epoch_deadline);
    }

    /// The engine this store uses.
    pub fn engine(&self) -> &Engine {
        &self.inner.opaque.engine
    }

    /// The embedder's data.
    pub fn data(&self) -> &T {
        &self.inner.data
    }

    /// The embedder's data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        &mut self.inner.data
    }

    /// Installs a resource limiter: `limiter` finds it in the store's data,
    /// and the store asks it before every memory or table grow (wasm's
    /// `memory.grow`/`table.grow` and the host's `grow`, shared memories
    /// included) and before it creates instances, memories and tables.
    ///
    /// ```
    /// use weft::{Engine, Memory, MemoryType, Store, StoreLimitsBuilder};
    /// let limits = StoreLimitsBuilder::new().memories(1).build();
    /// let mut store = Store::new(&Engine::default(), limits);
    /// store.limiter(|limits| limits);
    /// Memory::new(&mut store, MemoryType::new(1, None))?;
    /// assert!(Memory::new(&mut store, MemoryType::new(1, None)).is_err());
    /// # Ok::<(), weft::Error>(())
    /// ```
    pub fn limiter(
        &mut self,
        limiter: impl FnMut(&mut T) -> &mut (dyn ResourceLimiter) + Send + Sync + 'static,
    ) {
        self.inner.limiter = Some(Box::new(limiter));
        let hook = LimiterHook::new(&raw mut *self.inner);
        self.inner.opaque.limiter = Some(hook);
    }

    /// Consumes the store, returning the embedder's data.
    pub fn into_data(self) -> T {
        let inner = *self.inner;
        inner.data
    }
}

impl<T> std::fmt::Debug for Store<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("id", &self.inner.opaque.id)
            .finish()
    }
}

/// Shared access to a store, as API methods take it.
pub struct StoreContext<'a, T>(pub(crate) &'a StoreInner<T>);

/// Exclusive access to a store, as API methods take it.
pub struct StoreContextMut<'a, T>(pub(crate) &'a mut StoreInner<T>);

impl<T> StoreContextMut<'_, T> {
    /// The embedder's data.
    pub fn data(&self) -> &T {
        &self.0.data
    }

    /// The embedder's data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        &mut self.0.data
    }
}

/// Types that give shared access to a store: `&Store<T>`,
/// `&mut Store<T>`, `Caller<T>`.
pub trait AsContext {
    /// The store's data type.
    type Data;
    /// Shared access to the store.
    fn as_context(&self) -> StoreContext<'_, Self::Data>;
}

/// Types that give exclusive access to a store.
pub trait AsContextMut: AsContext {
    /// Exclusive access to the store.
    fn as_context_mut(&mut self) -> StoreContextMut<'_, Self::Data>;
}

impl<T> AsContext for Store<T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext(&self.inner)
    }
}

impl<T> AsContextMut for Store<T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        StoreContextMut(&mut self.inner)
    }
}

impl<T> AsContext for StoreContext<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext(self.0)
    }
}

impl<T> AsContext for StoreContextMut<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext(self.0)
    }
}

impl<T> AsContextMut for StoreContextMut<'_, T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        StoreContextMut(self.0)
    }
}

impl<C: AsContext + ?Sized> AsContext for &C {
    type Data = C::Data;
    fn as_context(&self) -> StoreContext<'_, C::Data> {
        (**self).as_context()
    }
}

impl<C: AsContext + ?Sized> AsContext for &mut C {
    type Data = C::Data;
    fn as_context(&self) -> StoreContext<'_, C::Data> {
        (**self).as_context()
    }
}

impl<C: AsContextMut + ?Sized> AsContextMut for &mut C {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, C::Data> {
        (**self).as_context_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>() {}

    #[test]
    fn huge_tables_are_refused_not_allocated() {
        let ty = TableType::new(crate::ValType::FuncRef, u32::MAX, None);
        assert!(TableData::new(ty, 0).is_err());
        let mut t = TableData::new(TableType::new(crate::ValType::FuncRef, 1, None), 0)
            .expect("small table");
        assert_eq!(t.grow(u32::MAX, 0), None);
        assert_eq!(t.grow(2, 0), Some(1));
    }

    #[test]
    fn store_is_send() {
        assert_send::<Store<()>>();
        assert_send::<Store<String>>();
    }
}
