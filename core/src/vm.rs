//! The `VMContext` layout: one description shared by the JIT and the runtime.
//!
//! Every instance owns one `VMContext`, a block of memory that generated code
//! reaches through its first argument. Generated code and the runtime must
//! agree on where each field lives; this module is the only place that says
//! so. The JIT asks [`VMOffsets`] for every offset it emits and never writes a
//! literal, and the tests below assert each offset against `offset_of!`.
//!
//! Layout (all fields pointer-aligned):
//!
//! ```text
//! header     store: *mut VMStoreContext   per-store state (stack limit,
//!                                         fuel, epoch counter and deadline)
//!            instance: *mut u8            the runtime's instance, for host calls
//!            builtins: *const [fn]        the runtime's table of builtins, one
//!                                         function pointer per builtin index
//! memories   [*mut VMMemoryDefinition]    every memory the instance can touch
//! globals    [*mut VMGlobalDefinition]    every global, imported or defined
//! tables     [*mut VMTableDefinition]     every table, imported or defined
//! funcs      [VMFuncRef]                  every function, imported or defined
//! ```
//!
//! Memories, globals and tables are reached through a pointer table, whether
//! imported or defined, so one load sequence serves both. A shared memory has
//! exactly one `VMMemoryDefinition` (owned by weft-core's `SharedMemory`), and
//! every instance on every thread points at it: that is how all of them see
//! one `current_length`. Defined non-shared memories are reached the same way:
//! weft-core's `Memory::definition()` keeps its definition boxed at a stable
//! address, so nothing is inlined here and growth never has to patch a
//! `VMContext`.
//!
//! Builtins (the host functions generated code calls: `memory.grow`, the
//! bulk operations, `wait`/`notify`, ...) are reached through the header's
//! table pointer, never through an address baked into the code: the JIT
//! knows each builtin's index, the runtime owns the table. So compiled code
//! names no host address and reads the same in every build.
//!
//! Function references live inline: a `VMFuncRef` is what `ref.func` yields,
//! what tables hold, and what every call (direct or indirect) loads its code
//! pointer and callee context from.

use core::mem::{offset_of, size_of};

/// State shared by every instance of one store, reached from each
/// `VMContext` header.
#[repr(C)]
#[derive(Debug)]
pub struct VMStoreContext {
    /// The lowest stack address wasm code may use; each function compares
    /// its stack pointer against it at entry and traps below it.
    pub stack_limit: usize,
    /// The `VMContext` of the function that raised the last trap; written
    /// only where a trap originates (generated code's `raise` exit, through
    /// the runtime's `trap_raise` builtin), not where it is propagated, so
    /// that the runtime can say where it happened.
    pub trap_vmctx: *mut u8,
    /// The function index (in its module) that raised the last trap.
    pub trap_func_index: u32,
    /// Fuel left, when the engine consumes fuel: each straight-line segment
    /// of wasm code subtracts its cost on entry, and traps instead when
    /// less is left (see `docs/interruption.md`). Only the store's thread
    /// reads or writes it.
    pub fuel: u64,
    /// The engine's epoch counter (an `AtomicU64`), compared with the
    /// deadline at function entries and loop headers when epoch
    /// interruption is on.
    pub epoch_counter: *const u64,
    /// The store's epoch deadline (an `AtomicU64`, written by an interrupt
    /// from any thread: it sets the deadline to 0, already passed).
    pub epoch_deadline: *const u64,
    /// How many frames the last trap passed through: set to 1 where a trap
    /// originates and increased by 1 in every function that propagates it
    /// (the `trap_raise` and `trap_propagate` builtins), so it may exceed
    /// [`TRAP_FRAMES`].
    pub trap_frames_len: u32,
    /// The wasm backtrace of the last trap, innermost first: the first
    /// [`TRAP_FRAMES`] functions it left, written only on the trap path
    /// (so a trap-free call costs nothing). The extra last entry is where
    /// frames beyond the capacity are written and overwritten. Since
    /// generated code calls builtins for them, only the runtime reads and
    /// writes the trap fields; moving them out of this `#[repr(C)]` struct
    /// is left for a later change.
    pub trap_frames: [VMTrapFrame; TRAP_FRAMES as usize + 1],
}

/// How many frames of a trap's backtrace [`VMStoreContext`] keeps.
pub const TRAP_FRAMES: u32 = 64;

/// One frame of a trap's backtrace: a function and its instance.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct VMTrapFrame {
    /// The `VMContext` of the function's instance.
    pub vmctx: *mut u8,
    /// The function's index in its module.
    pub func_index: u32,
}

impl VMTrapFrame {
    /// A frame naming nothing.
    pub const EMPTY: VMTrapFrame = VMTrapFrame {
        vmctx: core::ptr::null_mut(),
        func_index: 0,
    };
}

/// `pub const NAME: u32` = the offset of a field, documented by its path.
macro_rules! field_offsets {
    ($ty:ident { $($name:ident => $field:ident,)* }) => {
        $(
            #[doc = concat!("Offset of [`", stringify!($ty), "::", stringify!($field), "`].")]
            pub const $name: u32 = offset_of!($ty, $field) as u32;
        )*
    };
}

field_offsets!(VMTrapFrame {
    VMTRAP_FRAME_VMCTX_OFFSET => vmctx,
    VMTRAP_FRAME_FUNC_INDEX_OFFSET => func_index,
});
/// Size of one [`VMTrapFrame`].
pub const VMTRAP_FRAME_SIZE: u32 = size_of::<VMTrapFrame>() as u32;

field_offsets!(VMStoreContext {
    VMSTORE_CONTEXT_STACK_LIMIT_OFFSET => stack_limit,
    VMSTORE_CONTEXT_TRAP_VMCTX_OFFSET => trap_vmctx,
    VMSTORE_CONTEXT_TRAP_FUNC_INDEX_OFFSET => trap_func_index,
    VMSTORE_CONTEXT_TRAP_FRAMES_LEN_OFFSET => trap_frames_len,
    VMSTORE_CONTEXT_TRAP_FRAMES_OFFSET => trap_frames,
    VMSTORE_CONTEXT_FUEL_OFFSET => fuel,
    VMSTORE_CONTEXT_EPOCH_COUNTER_OFFSET => epoch_counter,
    VMSTORE_CONTEXT_EPOCH_DEADLINE_OFFSET => epoch_deadline,
});

/// A function as generated code sees it: what to call and with which context.
///
/// `type_id` is the engine-wide canonical id of the function's signature;
/// `call_indirect` compares it with the expected id instead of comparing
/// signatures structurally.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct VMFuncRef {
    /// Entry point; see the JIT docs for the calling convention.
    pub code: *const u8,
    /// The callee's context, passed as its first argument.
    pub vmctx: *mut u8,
    /// Canonical signature id.
    pub type_id: u32,
}

/// Offset of [`VMFuncRef::code`].
pub const VMFUNC_REF_CODE_OFFSET: u32 = offset_of!(VMFuncRef, code) as u32;
/// Offset of [`VMFuncRef::vmctx`].
pub const VMFUNC_REF_VMCTX_OFFSET: u32 = offset_of!(VMFuncRef, vmctx) as u32;
/// Offset of [`VMFuncRef::type_id`].
pub const VMFUNC_REF_TYPE_ID_OFFSET: u32 = offset_of!(VMFuncRef, type_id) as u32;
/// Size of a [`VMFuncRef`].
pub const VMFUNC_REF_SIZE: u32 = size_of::<VMFuncRef>() as u32;

/// A table's storage: a pointer to its elements and their count.
///
/// Each element is one pointer-sized word: a `*const VMFuncRef` for
/// `funcref` tables, an encoded host reference for `externref` tables; zero is
/// null in both.
#[repr(C)]
#[derive(Debug)]
pub struct VMTableDefinition {
    /// First element.
    pub base: *mut usize,
    /// Number of elements.
    pub current_elements: usize,
}

/// Offset of [`VMTableDefinition::base`].
pub const VMTABLE_DEFINITION_BASE_OFFSET: u32 = offset_of!(VMTableDefinition, base) as u32;
/// Offset of [`VMTableDefinition::current_elements`].
pub const VMTABLE_DEFINITION_CURRENT_ELEMENTS_OFFSET: u32 =
    offset_of!(VMTableDefinition, current_elements) as u32;
/// Size of one table element.
pub const VMTABLE_ELEMENT_SIZE: u32 = size_of::<usize>() as u32;

/// A global's storage: sixteen bytes, enough for a `v128`.
#[repr(C, align(16))]
#[derive(Debug, Default)]
pub struct VMGlobalDefinition {
    /// The value's bits, little-endian from offset 0: a `v128` fills all
    /// sixteen bytes, an `i32`/`f32` the low four (zero-extended), an
    /// `i64`/`f64` or reference the low eight.
    pub bits: u128,
}

/// Offset of [`VMGlobalDefinition::bits`].
pub const VMGLOBAL_DEFINITION_BITS_OFFSET: u32 = offset_of!(VMGlobalDefinition, bits) as u32;

/// How many of each entity one module's instances hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VMCounts {
    /// Imported functions.
    pub imported_funcs: u32,
    /// Functions defined by the module.
    pub defined_funcs: u32,
    /// Imported tables.
    pub imported_tables: u32,
    /// Tables defined by the module.
    pub defined_tables: u32,
    /// Imported memories.
    pub imported_memories: u32,
    /// Memories defined by the module.
    pub defined_memories: u32,
    /// Imported globals.
    pub imported_globals: u32,
    /// Globals defined by the module.
    pub defined_globals: u32,
}

/// Where everything lives in one module's `VMContext`.
///
/// Computed once per module from its [`VMCounts`]; generated code and the
/// runtime both take every offset from here. Every offset fits in `u32`
/// because counts are bounded by wasm's limits (each index space is a `u32`
/// and [`VMOffsets::new`] refuses layouts that overflow).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VMOffsets {
    counts: VMCounts,
    memories: u32,
    globals: u32,
    tables: u32,
    funcs: u32,
    size: u32,
}

const POINTER_SIZE: u32 = size_of::<usize>() as u32;

/// Offset of the `*mut VMStoreContext` in the header.
pub const VMCTX_STORE_OFFSET: u32 = 0;
/// Offset of the runtime's instance pointer in the header.
pub const VMCTX_INSTANCE_OFFSET: u32 = POINTER_SIZE;
/// Offset of the pointer to the runtime's builtin table in the header.
pub const VMCTX_BUILTIN_FUNCTIONS_OFFSET: u32 = 2 * POINTER_SIZE;
/// Size of the header.
pub const VMCTX_HEADER_SIZE: u32 = 3 * POINTER_SIZE;

impl VMOffsets {
    /// Computes the layout for these counts; `None` if it would not fit in
    /// `u32` bytes (no valid wasm module comes near that).
    pub fn new(counts: VMCounts) -> Option<VMOffsets> {
        let memories = VMCTX_HEADER_SIZE;
        let n_memories = counts
            .imported_memories
            .checked_add(counts.defined_memories)?;
        let n_globals = counts
            .imported_globals
            .checked_add(counts.defined_globals)?;
        let n_tables = counts.imported_tables.checked_add(counts.defined_tables)?;
        let n_funcs = counts.imported_funcs.checked_add(counts.defined_funcs)?;
        let globals = memories.checked_add(n_memories.checked_mul(POINTER_SIZE)?)?;
        let tables = globals.checked_add(n_globals.checked_mul(POINTER_SIZE)?)?;
        let funcs = tables.checked_add(n_tables.checked_mul(POINTER_SIZE)?)?;
        let size = funcs.checked_add(n_funcs.checked_mul(VMFUNC_REF_SIZE)?)?;
        Some(VMOffsets {
            counts,
            memories,
            globals,
            tables,
            funcs,
            size,
        })
    }

    /// The counts this layout was computed from.
    pub fn counts(&self) -> VMCounts {
        self.counts
    }

    /// Total number of memories (imported first, then defined).
    pub fn num_memories(&self) -> u32 {
        self.counts.imported_memories + self.counts.defined_memories
    }

    /// Total number of globals (imported first, then defined).
    pub fn num_globals(&self) -> u32 {
        self.counts.imported_globals + self.counts.defined_globals
    }

    /// Total number of tables (imported first, then defined).
    pub fn num_tables(&self) -> u32 {
        self.counts.imported_tables + self.counts.defined_tables
    }

    /// Total number of functions (imported first, then defined).
    pub fn num_funcs(&self) -> u32 {
        self.counts.imported_funcs + self.counts.defined_funcs
    }

    /// Size in bytes of the whole `VMContext`.
    pub fn size(&self) -> u32 {
        self.size
    }

    /// Offset of the header's pointer to the builtin table (the same in
    /// every layout: it is part of the header).
    pub fn builtin_functions(&self) -> u32 {
        VMCTX_BUILTIN_FUNCTIONS_OFFSET
    }

    /// Offset, inside the builtin table, of the function pointer of
    /// builtin `index`: the table is one pointer per builtin, in index
    /// order.
    pub fn builtin_function(&self, index: u32) -> u32 {
        index * POINTER_SIZE
    }

    /// Offset of the `*mut VMMemoryDefinition` of memory `index`.
    ///
    /// # Panics
    /// If `index` is out of range: callers index with validated module indices.
    pub fn memory_pointer(&self, index: u32) -> u32 {
        slot(
            self.memories,
            POINTER_SIZE,
            index,
            self.num_memories(),
            "memory",
        )
    }

    /// Offset of the `*mut VMGlobalDefinition` of global `index`.
    ///
    /// # Panics
    /// If `index` is out of range: callers index with validated module indices.
    pub fn global_pointer(&self, index: u32) -> u32 {
        slot(
            self.globals,
            POINTER_SIZE,
            index,
            self.num_globals(),
            "global",
        )
    }

    /// Offset of the `*mut VMTableDefinition` of table `index`.
    ///
    /// # Panics
    /// If `index` is out of range: callers index with validated module indices.
    pub fn table_pointer(&self, index: u32) -> u32 {
        slot(self.tables, POINTER_SIZE, index, self.num_tables(), "table")
    }

    /// Offset of the inline [`VMFuncRef`] of function `index`.
    ///
    /// # Panics
    /// If `index` is out of range: callers index with validated module indices.
    pub fn func_ref(&self, index: u32) -> u32 {
        slot(
            self.funcs,
            VMFUNC_REF_SIZE,
            index,
            self.num_funcs(),
            "function",
        )
    }
}

/// Offset of slot `index` of an array of `count` slots of `size` bytes at
/// `start`: the accessors above, which index with validated module indices.
///
/// # Panics
/// If `index` is out of range.
fn slot(start: u32, size: u32, index: u32, count: u32, what: &str) -> u32 {
    assert!(index < count, "{what} index out of range");
    start + index * size
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn struct_offsets_match_the_constants() {
        assert_eq!(VMSTORE_CONTEXT_STACK_LIMIT_OFFSET, 0);
        assert_eq!(
            VMSTORE_CONTEXT_TRAP_VMCTX_OFFSET as usize,
            size_of::<usize>()
        );
        assert_eq!(
            VMSTORE_CONTEXT_TRAP_FUNC_INDEX_OFFSET as usize,
            2 * size_of::<usize>()
        );
        assert_eq!(
            VMSTORE_CONTEXT_FUEL_OFFSET as usize,
            (2 * size_of::<usize>() + 4).next_multiple_of(8)
        );
        assert_eq!(
            VMSTORE_CONTEXT_EPOCH_DEADLINE_OFFSET,
            VMSTORE_CONTEXT_EPOCH_COUNTER_OFFSET + size_of::<usize>() as u32
        );
        assert_eq!(
            VMSTORE_CONTEXT_TRAP_FRAMES_LEN_OFFSET,
            VMSTORE_CONTEXT_EPOCH_DEADLINE_OFFSET + size_of::<usize>() as u32
        );
        assert_eq!(
            VMSTORE_CONTEXT_TRAP_FRAMES_OFFSET as usize,
            (VMSTORE_CONTEXT_TRAP_FRAMES_LEN_OFFSET as usize + 4).next_multiple_of(8)
        );
        assert_eq!(VMTRAP_FRAME_VMCTX_OFFSET, 0);
        assert_eq!(VMTRAP_FRAME_FUNC_INDEX_OFFSET as usize, size_of::<usize>());
        assert_eq!(VMTRAP_FRAME_SIZE as usize, 2 * size_of::<usize>());
        assert_eq!(VMFUNC_REF_CODE_OFFSET, 0);
        assert_eq!(VMFUNC_REF_VMCTX_OFFSET as usize, size_of::<usize>());
        assert_eq!(VMFUNC_REF_TYPE_ID_OFFSET as usize, 2 * size_of::<usize>());
        assert_eq!(VMFUNC_REF_SIZE as usize, 3 * size_of::<usize>());
        assert_eq!(VMTABLE_DEFINITION_BASE_OFFSET, 0);
        assert_eq!(
            VMTABLE_DEFINITION_CURRENT_ELEMENTS_OFFSET as usize,
            size_of::<usize>()
        );
        assert_eq!(VMGLOBAL_DEFINITION_BITS_OFFSET, 0);
        assert_eq!(size_of::<VMGlobalDefinition>(), 16);
    }

    #[test]
    fn layout_places_each_array_after_the_previous() {
        let counts = VMCounts {
            imported_funcs: 2,
            defined_funcs: 3,
            imported_tables: 1,
            defined_tables: 1,
            imported_memories: 1,
            defined_memories: 2,
            imported_globals: 0,
            defined_globals: 4,
        };
        let o = VMOffsets::new(counts).expect("small counts fit");
        let p = size_of::<usize>() as u32;
        assert_eq!(o.memory_pointer(0), VMCTX_HEADER_SIZE);
        assert_eq!(o.memory_pointer(2), VMCTX_HEADER_SIZE + 2 * p);
        assert_eq!(o.global_pointer(0), VMCTX_HEADER_SIZE + 3 * p);
        assert_eq!(o.table_pointer(0), VMCTX_HEADER_SIZE + 7 * p);
        assert_eq!(o.func_ref(0), VMCTX_HEADER_SIZE + 9 * p);
        assert_eq!(o.func_ref(4), o.func_ref(0) + 4 * VMFUNC_REF_SIZE);
        assert_eq!(o.size(), o.func_ref(4) + VMFUNC_REF_SIZE);
        assert_eq!(o.num_funcs(), 5);
    }

    #[test]
    fn the_header_holds_store_instance_and_builtins() {
        let o = VMOffsets::new(VMCounts::default()).expect("empty fits");
        let p = size_of::<usize>() as u32;
        assert_eq!(VMCTX_STORE_OFFSET, 0);
        assert_eq!(VMCTX_INSTANCE_OFFSET, p);
        assert_eq!(o.builtin_functions(), 2 * p);
        assert_eq!(VMCTX_HEADER_SIZE, 3 * p);
        assert_eq!(o.builtin_function(0), 0);
        assert_eq!(o.builtin_function(5), 5 * p);
    }

    #[test]
    fn empty_module_is_just_the_header() {
        let o = VMOffsets::new(VMCounts::default()).expect("empty fits");
        assert_eq!(o.size(), VMCTX_HEADER_SIZE);
    }

    #[test]
    fn overflowing_counts_are_refused() {
        let counts = VMCounts {
            defined_funcs: u32::MAX,
            ..VMCounts::default()
        };
        assert!(VMOffsets::new(counts).is_none());
    }

    #[test]
    #[should_panic(expected = "memory index out of range")]
    fn out_of_range_index_is_a_bug() {
        VMOffsets::new(VMCounts::default())
            .expect("empty fits")
            .memory_pointer(0);
    }
}
