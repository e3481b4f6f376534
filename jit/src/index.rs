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

/// A function in the module's function space: imported functions first,
/// then the defined ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct FuncIndex(u32);
entity_impl!(FuncIndex);

/// A function the module defines (has code for), counted from the first
/// defined function: `FuncIndex` minus the number of imported functions.
/// Bodies, their compiled ids and per-body facts are kept by this index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct DefinedFuncIndex(u32);
entity_impl!(DefinedFuncIndex);

/// A function type in the module's type section.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct TypeIndex(u32);
entity_impl!(TypeIndex);

/// A table in the module's table space: imported tables first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct TableIndex(u32);
entity_impl!(TableIndex);

/// A linear memory in the module's memory space: imported memories first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct MemoryIndex(u32);
entity_impl!(MemoryIndex);

/// A global in the module's global space: imported globals first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct GlobalIndex(u32);
entity_impl!(GlobalIndex);

/// An element segment, in the element section's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct ElemIndex(u32);
entity_impl!(ElemIndex);

/// A data segment, in the data section's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct DataIndex(u32);
entity_impl!(DataIndex);
