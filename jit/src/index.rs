//! Typed indices for the module's index spaces.
//!
//! Wasm numbers functions, tables, memories and globals in one space per
//! kind, imports first, then the module's own definitions; types, element
//! and data segments are numbered in their section's order. wasmparser
//! hands every one of them out as a bare `u32`, so a table index passed
//! where a memory index belongs would compile and misbehave. Each space
//! gets its own newtype here (cranelift-entity's `entity_impl!`, which
//! also lets `ModuleInfo` keep its tables in `PrimaryMap`s keyed by them);
//! operators are converted once, where a translator family decodes them,
//! and the raw number comes back out with `as_u32` only at the weft-core
//! boundary (`VMOffsets`) and in emitted constants.

use cranelift_entity::entity_impl;

/// Declares each index type: a `u32` newtype with cranelift-entity's
/// `EntityRef` (so it keys a `PrimaryMap`), `from_u32` and `as_u32`.
macro_rules! index_types {
    ($($(#[$doc:meta])* $name:ident;)*) => {
        $(
            $(#[$doc])*
            #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
            pub(crate) struct $name(u32);
            entity_impl!($name);
        )*
    };
}

index_types! {
    /// A function in the module's function space: imported functions first,
    /// then the defined ones.
    FuncIndex;

    /// A function the module defines (has code for), counted from the first
    /// defined function: `FuncIndex` minus the number of imported functions.
    /// Bodies, their compiled ids and per-body facts are kept by this index.
    DefinedFuncIndex;

    /// A function type in the module's type section.
    TypeIndex;

    /// A table in the module's table space: imported tables first.
    TableIndex;

    /// A linear memory in the module's memory space: imported memories first.
    MemoryIndex;

    /// A global in the module's global space: imported globals first.
    GlobalIndex;

    /// An element segment, in the element section's order.
    ElemIndex;

    /// A data segment, in the data section's order.
    DataIndex;
}
