//! Instances: instantiation, the `VMContext`, exports.

use std::sync::Arc;

use cranelift_entity::{EntityRef, PrimaryMap};
use weft_core::vm::{VMCTX_INSTANCE_OFFSET, VMCTX_STORE_OFFSET, VMFuncRef, VMOffsets};

use crate::environ::{ConstExpr, DataMode, ElementMode, EntityIndex, ModuleInfo};
use crate::error::{Error, Result};
use crate::index::{FuncIndex, GlobalIndex, MemoryIndex, TableIndex};
use crate::module::Module;
use crate::runtime::func::{Func, TypedFunc, WasmParams, WasmResults};
use crate::runtime::global::Global;
use crate::runtime::limits::{self, LimiterHook};
use crate::runtime::memory::{Memory, MemoryStorage, SharedMemory};
use crate::runtime::store::{AsContext, AsContextMut, StoreOpaque, TableData};
use crate::runtime::table::Table;
use crate::trap::{Trap, TrapCode};
use crate::types::{ExternType, MemoryType, TableType};

/// Something an instance imports or exports.
#[derive(Clone, Debug)]
pub enum Extern {
    /// A function.
    Func(Func),
    /// A global.
    Global(Global),
    /// A table.
    Table(Table),
    /// A memory of the store.
    Memory(Memory),
    /// A shared memory, importable into any store.
    SharedMemory(SharedMemory),
}

/// Generates, per kind of extern, its `From` conversion into [`Extern`]
/// and the `into_*` method that takes it back out.
macro_rules! extern_kinds {
    ($($variant:ident($ty:ty) => $into:ident, $doc:literal;)*) => {
        $(
            impl From<$ty> for Extern {
                fn from(item: $ty) -> Extern {
                    Extern::$variant(item)
                }
            }
        )*
        impl Extern {
            $(
                #[doc = $doc]
                pub fn $into(self) -> Option<$ty> {
                    match self {
                        Extern::$variant(item) => Some(item),
                        _ => None,
                    }
                }
            )*
        }
    };
}

extern_kinds! {
    Func(Func) => into_func, "The function, if it is one.";
    Global(Global) => into_global, "The global, if it is one.";
    Table(Table) => into_table, "The table, if it is one.";
    Memory(Memory) => into_memory, "The memory, if it is one.";
    SharedMemory(SharedMemory) => into_shared_memory,
        "The shared memory, if it is one. Instances export their shared memories (defined or imported) this way, so that other stores can import them.";
}

/// What a `VMContext` header points at so that builtins find their
/// instance: the store and the instance's index in it.
pub(crate) struct VMInstanceLink {
    pub(crate) store: *mut StoreOpaque,
    pub(crate) instance: usize,
}

/// The runtime side of an instance.
pub(crate) struct InstanceData {
    pub(crate) module: Module,
    /// The `VMContext`, as 8-byte words (its fields are pointer-aligned).
    vmctx: *mut [u64],
    _link: Box<VMInstanceLink>,
    pub(crate) tables: Vec<Table>,
    pub(crate) memories: Vec<Memory>,
    /// Element segments as table words; emptied by `elem.drop` and after
    /// active initialization.
    pub(crate) elements: Vec<Vec<usize>>,
    /// Data segments; emptied by `data.drop` and after active
    /// initialization.
    pub(crate) data: Vec<Arc<[u8]>>,
    /// The exports, in the order (and with the names) of the module's
    /// `info.exports`; the names are not copied per instance.
    exports: Vec<Extern>,
}

impl Drop for InstanceData {
    fn drop(&mut self) {
        // SAFETY: `vmctx` came from `Box::into_raw` in `instantiate` and is
        // freed only here; the store drops instances only when it drops, so
        // no code runs with this context any more.
        drop(unsafe { Box::from_raw(self.vmctx) });
    }
}

impl InstanceData {
    pub(crate) fn vmctx_ptr(&self) -> *mut u8 {
        self.vmctx.cast()
    }

    pub(crate) fn export(&self, name: &str) -> Option<Extern> {
        let position = self
            .module
            .info()
            .exports
            .iter()
            .position(|(n, _)| n == name)?;
        self.exports.get(position).cloned()
    }
}

/// An instantiated module in a store.
///
/// ```
/// use weft::{Engine, Instance, Module, Store};
/// let engine = Engine::default();
/// let module = Module::new(&engine, r#"
///     (module (func (export "add") (param i32 i32) (result i32)
///         local.get 0 local.get 1 i32.add))"#)?;
/// let mut store = Store::new(&engine, ());
/// let instance = Instance::new(&mut store, &module, &[])?;
/// let add = instance.get_typed_func::<(i32, i32), i32>(&mut store, "add")?;
/// assert_eq!(add.call(&mut store, (2, 3))?, 5);
/// # Ok::<(), weft::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Instance {
    store_id: u64,
    index: u32,
}

fn write_word<T>(vmctx: *mut [u64], offset: u32, value: T) {
    let base = vmctx.cast::<u8>();
    // SAFETY: every offset comes from the module's `VMOffsets`, inside the
    // allocation of `offsets.size()` bytes, pointer-aligned for `T`.
    unsafe { base.add(offset as usize).cast::<T>().write(value) };
}

impl Instance {
    /// Instantiates `module` with `imports` given in the module's import
    /// order, runs its segment initializers and its start function.
    pub fn new(
        mut store: impl AsContextMut,
        module: &Module,
        imports: &[Extern],
    ) -> Result<Instance> {
        let (opaque, limiter) = limits::split(store.as_context_mut().0);
        let opaque: *mut StoreOpaque = opaque;
        // SAFETY: from the exclusive borrow above; used only through this
        // pointer (and the limiter hook, which touches only the data and
        // the limiter) until we return.
        unsafe { instantiate(opaque, module, imports, limiter) }
    }

    fn data<'s>(&self, store: &'s StoreOpaque) -> Result<&'s InstanceData> {
        store.check_store(self.store_id, "instance")?;
        store
            .instance(self.index as usize)
            .ok_or_else(|| Error::usage("instance handle out of range"))
    }

    /// The export called `name`.
    pub fn get_export(&self, store: impl AsContext, name: &str) -> Option<Extern> {
        self.data(&store.as_context().0.opaque).ok()?.export(name)
    }

    /// All exports, in the module's order.
    pub fn exports(&self, store: impl AsContext) -> Vec<(String, Extern)> {
        self.data(&store.as_context().0.opaque)
            .map(|d| {
                let names = d.module.info().exports.iter().map(|(n, _)| n.clone());
                names.zip(d.exports.iter().cloned()).collect()
            })
            .unwrap_or_default()
    }

    /// The exported function `name`.
    pub fn get_func(&self, store: impl AsContext, name: &str) -> Option<Func> {
        self.get_export(store, name)?.into_func()
    }

    /// The exported function `name`, typed; an error if missing or of
    /// another type.
    pub fn get_typed_func<Params: WasmParams, Results: WasmResults>(
        &self,
        store: impl AsContext,
        name: &str,
    ) -> Result<TypedFunc<Params, Results>> {
        let f = self
            .get_func(&store, name)
            .ok_or_else(|| Error::usage(format!("no exported function `{name}`")))?;
        f.typed(&store)
    }

    /// The exported memory `name`, shared or not. For a shared memory
    /// this is the store's handle to it;
    /// [`Memory::into_shared_memory`] or [`Instance::get_shared_memory`]
    /// give the `SharedMemory` itself.
    pub fn get_memory(&self, store: impl AsContext, name: &str) -> Option<Memory> {
        let store = &store.as_context().0.opaque;
        let data = self.data(store).ok()?;
        match data.export(name)? {
            Extern::Memory(m) => Some(m),
            Extern::SharedMemory(shared) => data.memories.iter().copied().find(|m| {
                matches!(
                    m.storage(store),
                    Ok(MemoryStorage::Shared(s)) if s.same(&shared)
                )
            }),
            _ => None,
        }
    }

    /// The exported shared memory `name` (shared memories are exported as
    /// [`Extern::SharedMemory`], so [`Instance::get_memory`] does not find
    /// them).
    pub fn get_shared_memory(&self, store: impl AsContext, name: &str) -> Option<SharedMemory> {
        match self.get_export(&store, name)? {
            Extern::SharedMemory(s) => Some(s),
            _ => None,
        }
    }

    /// The exported global `name`.
    pub fn get_global(&self, store: impl AsContext, name: &str) -> Option<Global> {
        self.get_export(store, name)?.into_global()
    }

    /// The exported table `name`.
    pub fn get_table(&self, store: impl AsContext, name: &str) -> Option<Table> {
        self.get_export(store, name)?.into_table()
    }
}

fn incompatible(i: usize, module: &str, name: &str, why: &str) -> Error {
    Error::link(format!(
        "incompatible import type for import {i} `{module}::{name}`: {why}"
    ))
}

fn limits_match(actual_min: u64, actual_max: Option<u64>, min: u64, max: Option<u64>) -> bool {
    actual_min >= min
        && match max {
            None => true,
            Some(m) => actual_max.is_some_and(|am| am <= m),
        }
}

/// What an instance's index spaces resolve to in its store, filled in
/// import order and then with the module's own definitions.
///
/// A defined function that does not escape (see `compile::escaping`) has
/// no handle: nothing outside the module can name it, so it costs an
/// instance no `Func` in the store.
#[derive(Default)]
struct Entities {
    funcs: PrimaryMap<FuncIndex, Option<Func>>,
    tables: PrimaryMap<TableIndex, Table>,
    memories: PrimaryMap<MemoryIndex, Memory>,
    globals: PrimaryMap<GlobalIndex, Global>,
}

/// Where an instance's `VMFuncRef`s lie inside its `VMContext`: what
/// `ref.func` evaluates to.
#[derive(Clone, Copy)]
struct FuncRefs<'a> {
    vmctx: *mut [u64],
    offsets: &'a VMOffsets,
}

impl FuncRefs<'_> {
    fn addr(self, func: FuncIndex) -> *const VMFuncRef {
        self.vmctx
            .cast::<u8>()
            .wrapping_add(self.offsets.func_ref(func.as_u32()) as usize)
            .cast()
    }
}

/// Instantiates `module` in steps, each below with its own doc: resolve
/// the imports, create what the module defines, set up the `VMContext`,
/// register the instance, initialize the segments, run the start
/// function. Errors come in that order.
///
/// # Safety
/// `opaque` is a live store used only through this pointer for the call.
unsafe fn instantiate(
    opaque: *mut StoreOpaque,
    module: &Module,
    imports: &[Extern],
    limiter: Option<LimiterHook>,
) -> Result<Instance> {
    // SAFETY: caller's contract.
    let store = unsafe { &mut *opaque };
    let mut entities = resolve_imports(store, module, imports)?;
    define_memories_and_tables(store, module, limiter, &mut entities)?;
    let offsets = module.info().offsets();
    let (vmctx, link) = new_vmctx(store, opaque, &offsets);
    let refs = FuncRefs {
        vmctx,
        offsets: &offsets,
    };
    define_funcs(store, module, refs, &mut entities)?;
    define_globals(store, module.info(), refs, &mut entities)?;
    write_pointers(store, vmctx, &offsets, &entities);
    let instance_index = register_instance(store, module, vmctx, link, refs, &entities)?;
    let instance = Instance {
        store_id: store.id(),
        index: instance_index as u32,
    };
    init_segments(store, module, instance_index, refs, &entities)?;
    // SAFETY: caller's contract; `store` is not used after this.
    unsafe { run_start(opaque, module.info(), &entities) }?;
    Ok(instance)
}

/// Checks that `module` may be instantiated in `store` and resolves
/// `imports` (in the module's import order) against its imports' types:
/// functions, tables, memories and globals of the store, and shared
/// memories, which join the store here.
fn resolve_imports(
    store: &mut StoreOpaque,
    module: &Module,
    imports: &[Extern],
) -> Result<Entities> {
    if !crate::Engine::same(module.engine(), &store.engine) {
        return Err(Error::usage("module and store belong to different engines"));
    }
    let info = module.info();
    // Before any code of the module can run (its start function).
    store.raise_max_frame_bytes(module.max_frame_bytes());
    if imports.len() != info.imports.len() {
        return Err(Error::link(format!(
            "expected {} imports, got {}",
            info.imports.len(),
            imports.len()
        )));
    }
    let mut entities = Entities {
        funcs: PrimaryMap::with_capacity(info.funcs.len()),
        tables: PrimaryMap::with_capacity(info.tables.len()),
        memories: PrimaryMap::with_capacity(info.memories.len()),
        globals: PrimaryMap::with_capacity(info.globals.len()),
    };
    for (i, (import, ext)) in info.imports.iter().zip(imports).enumerate() {
        let bad = |why: &str| incompatible(i, &import.module, &import.name, why);
        match (&import.ty, ext) {
            (ExternType::Func(ty), Extern::Func(f)) => {
                let data = store.func_data(*f)?;
                if data.ty != *ty {
                    return Err(bad(&format!("expected {ty}, found {}", data.ty)));
                }
                entities.funcs.push(Some(*f));
            }
            (ExternType::Table(ty), Extern::Table(t)) => {
                let actual: TableType = t.ty_opaque(store)?;
                if actual.element != ty.element
                    || !limits_match(
                        actual.minimum.into(),
                        actual.maximum.map(u64::from),
                        ty.minimum.into(),
                        ty.maximum.map(u64::from),
                    )
                {
                    return Err(bad("table type or limits"));
                }
                entities.tables.push(*t);
            }
            (ExternType::Memory(ty), Extern::Memory(m)) => {
                let storage = m.storage(store)?;
                let actual: MemoryType = storage.ty();
                if actual.shared != ty.shared
                    || !limits_match(storage.size_pages(), actual.maximum, ty.minimum, ty.maximum)
                {
                    return Err(bad("memory type or limits"));
                }
                entities.memories.push(*m);
            }
            (ExternType::Memory(ty), Extern::SharedMemory(s)) => {
                s.check_engine(
                    &store.engine,
                    &format!("import {i} `{}::{}`", import.module, import.name),
                )?;
                let actual = s.ty();
                if !ty.shared || !limits_match(s.size(), actual.maximum, ty.minimum, ty.maximum) {
                    return Err(bad("shared memory type or limits"));
                }
                let handle = store.push_memory(MemoryStorage::Shared(s.clone()));
                entities.memories.push(handle);
            }
            (ExternType::Global(ty), Extern::Global(g)) => {
                if g.ty_opaque(store)? != *ty {
                    return Err(bad("global type"));
                }
                entities.globals.push(*g);
            }
            _ => return Err(bad("wrong kind of import")),
        }
    }
    Ok(entities)
}

/// Creates the memories and tables the module defines, once the limiter
/// has approved all of them: a refused instantiation leaves the store as
/// it was.
fn define_memories_and_tables(
    store: &mut StoreOpaque,
    module: &Module,
    limiter: Option<LimiterHook>,
    entities: &mut Entities,
) -> Result<()> {
    let info = module.info();
    let defined_memories = &info.memories.as_values_slice()[entities.memories.len()..];
    let defined_tables = &info.tables.as_values_slice()[entities.tables.len()..];
    limits::check_counts(
        store,
        limiter,
        1,
        defined_memories.len(),
        defined_tables.len(),
    )?;
    for ty in defined_memories {
        limits::check_memory_minimum(limiter, ty)?;
    }
    for ty in defined_tables {
        limits::check_table_minimum(limiter, ty)?;
    }
    let images = module.memory_images();
    for ty in defined_memories {
        let image = images.get(entities.memories.next_key());
        let m = MemoryStorage::new(&store.engine, *ty, image)?;
        entities.memories.push(store.push_created_memory(m));
    }
    for ty in defined_tables {
        let t = TableData::new(*ty, 0)?;
        entities.tables.push(store.push_created_table(t));
    }
    Ok(())
}

/// Allocates the zeroed `VMContext` of the next instance of `store` and
/// writes its header: the store context, the link through which builtins
/// find the store and the instance, and the builtin table generated code
/// calls them through.
fn new_vmctx(
    store: &StoreOpaque,
    opaque: *mut StoreOpaque,
    offsets: &VMOffsets,
) -> (*mut [u64], Box<VMInstanceLink>) {
    let words = (offsets.size() as usize).div_ceil(8);
    let vmctx: *mut [u64] = Box::into_raw(vec![0u64; words].into_boxed_slice());
    let link = Box::new(VMInstanceLink {
        store: opaque,
        instance: store.instance_count(),
    });
    write_word(vmctx, VMCTX_STORE_OFFSET, store.vmstore_ptr());
    write_word(vmctx, VMCTX_INSTANCE_OFFSET, &raw const *link);
    write_word(
        vmctx,
        offsets.builtin_functions(),
        crate::runtime::builtins::table(),
    );
    (vmctx, link)
}

/// Writes every function's `VMFuncRef` into the `VMContext`: an import's
/// is copied from its own, a defined function's points at the module's
/// code with this context; the defined ones join the store.
fn define_funcs(
    store: &mut StoreOpaque,
    module: &Module,
    refs: FuncRefs<'_>,
    entities: &mut Entities,
) -> Result<()> {
    let info = module.info();
    for (index, &type_index) in &info.funcs {
        let offset = refs.offsets.func_ref(index.as_u32());
        let funcref_addr = refs.addr(index);
        let Some(defined) = info.defined_func_index(index) else {
            let f = entities.funcs[index].expect("imports are resolved to handles");
            let data = store.func_data(f)?;
            // SAFETY: `data.funcref` is a live funcref of this store.
            let imported = unsafe { *data.funcref };
            write_word(refs.vmctx, offset, imported);
            store.register_funcref(funcref_addr, f);
            continue;
        };
        let entry = module.entry(defined);
        write_word(
            refs.vmctx,
            offset,
            VMFuncRef {
                code: entry.map_or(no_array_entry as *const u8, |e| e as *const u8),
                vmctx: refs.vmctx.cast(),
                type_id: info.type_ids[type_index],
            },
        );
        let func = entry.map(|_| store.push_func(funcref_addr, info.types[type_index].clone()));
        entities.funcs.push(func);
    }
    Ok(())
}

/// What the `VMFuncRef` of a function without an array entry calls
/// instead: nothing can reach such a reference (see `compile::escaping`),
/// so this only turns a weft bug into an error ("unknown trap code")
/// rather than a jump to code that does not exist.
extern "C" fn no_array_entry(_callee: *mut u8, _caller: *mut u8, _values: *mut u128) -> u32 {
    u32::MAX
}

/// The handle of `func`, which escapes (an export, the start function).
fn escaping_handle(entities: &Entities, func: FuncIndex) -> Func {
    entities.funcs[func].expect("exports and the start function escape, so they have handles")
}

/// Evaluates the defined globals' initializers, in order (each may read
/// the ones before it), and adds the globals to the store.
fn define_globals(
    store: &mut StoreOpaque,
    info: &ModuleInfo,
    refs: FuncRefs<'_>,
    entities: &mut Entities,
) -> Result<()> {
    for init in &info.global_inits {
        let ty = info.globals[entities.globals.next_key()];
        let bits = eval_const(store, &entities.globals, refs, *init)?;
        entities.globals.push(store.push_global(ty, bits));
    }
    Ok(())
}

/// Writes the `VMContext`'s pointers to every memory, table and global
/// definition the instance uses.
fn write_pointers(
    store: &StoreOpaque,
    vmctx: *mut [u64],
    offsets: &VMOffsets,
    entities: &Entities,
) {
    for (i, m) in &entities.memories {
        let def = store
            .memory(m.index())
            .expect("a memory of this store")
            .definition();
        write_word(vmctx, offsets.memory_pointer(i.as_u32()), def);
    }
    for (i, t) in &entities.tables {
        let def = store
            .table(t.index())
            .expect("a table of this store")
            .definition_ptr();
        write_word(vmctx, offsets.table_pointer(i.as_u32()), def);
    }
    for (i, g) in &entities.globals {
        let def = store
            .global(g.index())
            .expect("a global of this store")
            .definition
            .get();
        write_word(vmctx, offsets.global_pointer(i.as_u32()), def);
    }
}

/// Adds the instance to the store with its passive element segments'
/// items evaluated (the active ones go straight into their tables in
/// `init_segments`, the declared ones are dropped: both start empty), its
/// data segments and its exports; its index in the store.
fn register_instance(
    store: &mut StoreOpaque,
    module: &Module,
    vmctx: *mut [u64],
    link: Box<VMInstanceLink>,
    refs: FuncRefs<'_>,
    entities: &Entities,
) -> Result<usize> {
    let info = module.info();
    let mut elements = Vec::with_capacity(info.elements.len());
    for seg in info.elements.values() {
        let mut items = Vec::new();
        if let ElementMode::Passive = seg.mode {
            items.reserve_exact(seg.items.len());
            for item in &seg.items {
                items.push(eval_const(store, &entities.globals, refs, *item)? as usize);
            }
        }
        elements.push(items);
    }
    let data: Vec<Arc<[u8]>> = info.data.values().map(|d| Arc::clone(&d.bytes)).collect();
    let mut exports = Vec::with_capacity(info.exports.len());
    for (_, index) in &info.exports {
        let e = match *index {
            EntityIndex::Func(f) => Extern::Func(escaping_handle(entities, f)),
            EntityIndex::Table(t) => Extern::Table(entities.tables[t]),
            // A shared memory is exported as itself, not as a handle into
            // this store, so that instances on other threads can import it.
            EntityIndex::Memory(m) => {
                let handle = entities.memories[m];
                match store.memory(handle.index()) {
                    Some(MemoryStorage::Shared(s)) => Extern::SharedMemory(s.clone()),
                    _ => Extern::Memory(handle),
                }
            }
            EntityIndex::Global(g) => Extern::Global(entities.globals[g]),
        };
        exports.push(e);
    }
    let expected = link.instance;
    let index = store.push_instance(InstanceData {
        module: module.clone(),
        vmctx,
        _link: link,
        tables: entities.tables.values().copied().collect(),
        memories: entities.memories.values().copied().collect(),
        elements,
        data,
        exports,
    });
    debug_assert_eq!(index, expected, "the link names the instance's index");
    Ok(index)
}

/// Initializes the segments, in order: the active element segments are
/// copied into their tables and dropped (the declared ones dropped too),
/// then the active data segments are written into their memories and
/// dropped. A failure traps with the earlier segments' effects kept, as
/// wasm 2.0 specifies. The segments of a memory created from an image are
/// already in it (see `memory_images`): they are only dropped.
fn init_segments(
    store: &mut StoreOpaque,
    module: &Module,
    instance: usize,
    refs: FuncRefs<'_>,
    entities: &Entities,
) -> Result<()> {
    let info = module.info();
    let images = module.memory_images();
    let offset = |store: &StoreOpaque, expr: &ConstExpr| {
        eval_const(store, &entities.globals, refs, *expr).map(|bits| bits as u32)
    };
    for seg in info.elements.values() {
        match &seg.mode {
            ElementMode::Active { table, offset: at } => {
                let start = offset(store, at)? as usize;
                let len = store
                    .instance_table(instance, table.as_u32())
                    .elements
                    .len();
                match start.checked_add(seg.items.len()) {
                    Some(end) if end <= len => {}
                    _ => return Err(Trap::new(TrapCode::TableOutOfBounds).into()),
                }
                for (k, item) in seg.items.iter().enumerate() {
                    let word = eval_const(store, &entities.globals, refs, *item)? as usize;
                    store.instance_table(instance, table.as_u32()).elements[start + k] = word;
                }
            }
            // Registered empty: dropped from the start.
            ElementMode::Declared | ElementMode::Passive => {}
        }
    }
    for (i, seg) in &info.data {
        if let DataMode::Active { memory, offset: at } = &seg.mode {
            store.instance_mut(instance).data[i.index()] = dropped_segment();
            if images.get(*memory).is_some() {
                continue;
            }
            let start = offset(store, at)?;
            store
                .instance_memory(instance, memory.as_u32())
                .write(u64::from(start), &seg.bytes)
                .map_err(|_| Trap::new(TrapCode::MemoryOutOfBounds))?;
        }
    }
    Ok(())
}

/// What a dropped data segment holds: no bytes. One shared allocation,
/// so that dropping segments (at instantiation, `data.drop`) allocates
/// nothing.
pub(crate) fn dropped_segment() -> Arc<[u8]> {
    static EMPTY: std::sync::LazyLock<Arc<[u8]>> = std::sync::LazyLock::new(|| Arc::from(&[][..]));
    Arc::clone(&EMPTY)
}

/// Runs the module's start function, if it has one.
///
/// # Safety
/// As for [`instantiate`].
unsafe fn run_start(
    opaque: *mut StoreOpaque,
    info: &ModuleInfo,
    entities: &Entities,
) -> Result<()> {
    let Some(start) = info.start else {
        return Ok(());
    };
    let f = escaping_handle(entities, start);
    // SAFETY: caller's contract; the reference ends before the call.
    let funcref = unsafe { &*opaque }.func_data(f)?.funcref;
    let mut values = vec![0u128; 1];
    // SAFETY: `start` takes no parameters and returns none (validated);
    // `funcref` is this store's.
    unsafe { StoreOpaque::invoke(opaque, funcref, &mut values) }
}

/// Evaluates a constant expression to its slot bits.
fn eval_const(
    store: &StoreOpaque,
    globals: &PrimaryMap<GlobalIndex, Global>,
    refs: FuncRefs<'_>,
    expr: ConstExpr,
) -> Result<u128> {
    Ok(match expr {
        ConstExpr::I32(v) => u128::from(v as u32),
        ConstExpr::I64(v) => u128::from(v as u64),
        ConstExpr::F32(b) => u128::from(b),
        ConstExpr::F64(b) => u128::from(b),
        ConstExpr::V128(b) => b,
        ConstExpr::RefNull => 0,
        ConstExpr::RefFunc(f) => refs.addr(f) as usize as u128,
        ConstExpr::GlobalGet(g) => {
            let g = globals
                .get(g)
                .ok_or_else(|| Error::link("constant expression reads an undefined global"))?;
            let def = store
                .global(g.index())
                .ok_or_else(|| Error::link("constant expression reads an undefined global"))?
                .definition
                .get();
            // SAFETY: the store is exclusively ours; no code runs.
            unsafe { (*def).bits }
        }
    })
}
