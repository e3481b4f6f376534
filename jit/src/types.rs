//! Wasm types as the API shows them.

use std::fmt;

use cranelift_codegen::ir::{self, types};

use crate::error::{Error, Result};

/// A value type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValType {
    /// 32-bit integer.
    I32,
    /// 64-bit integer.
    I64,
    /// 32-bit float.
    F32,
    /// 64-bit float.
    F64,
    /// 128-bit vector (the fixed-width SIMD proposal).
    V128,
    /// Nullable function reference.
    FuncRef,
    /// Nullable host reference.
    ExternRef,
}

impl ValType {
    /// Whether this is a reference type.
    pub fn is_ref(self) -> bool {
        matches!(self, ValType::FuncRef | ValType::ExternRef)
    }

    pub(crate) fn from_wasm(ty: wasmparser::ValType) -> Result<ValType> {
        Ok(match ty {
            wasmparser::ValType::I32 => ValType::I32,
            wasmparser::ValType::I64 => ValType::I64,
            wasmparser::ValType::F32 => ValType::F32,
            wasmparser::ValType::F64 => ValType::F64,
            wasmparser::ValType::Ref(r) => ValType::from_ref(r)?,
            wasmparser::ValType::V128 => ValType::V128,
        })
    }

    pub(crate) fn from_ref(r: wasmparser::RefType) -> Result<ValType> {
        if r == wasmparser::RefType::FUNCREF {
            Ok(ValType::FuncRef)
        } else if r == wasmparser::RefType::EXTERNREF {
            Ok(ValType::ExternRef)
        } else {
            Err(Error::usage(format!("reference type {r} is not supported")))
        }
    }

    /// The Cranelift type generated code uses for values of this type.
    pub(crate) fn clif(self, pointer: ir::Type) -> ir::Type {
        match self {
            ValType::I32 => types::I32,
            ValType::I64 => types::I64,
            ValType::F32 => types::F32,
            ValType::F64 => types::F64,
            // One type for every `v128` that crosses a block, a local or a
            // call; lane operations bitcast to their lane shape.
            ValType::V128 => types::I8X16,
            ValType::FuncRef | ValType::ExternRef => pointer,
        }
    }
}

impl fmt::Display for ValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
            ValType::F32 => "f32",
            ValType::F64 => "f64",
            ValType::V128 => "v128",
            ValType::FuncRef => "funcref",
            ValType::ExternRef => "externref",
        })
    }
}

/// A function signature.
///
/// Cheap to clone (reference-counted lists): the store keeps one per
/// function handle, so instantiating copies one per escaping function.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FuncType {
    params: std::sync::Arc<[ValType]>,
    results: std::sync::Arc<[ValType]>,
}

impl FuncType {
    /// A signature from its parameter and result types.
    pub fn new(
        params: impl IntoIterator<Item = ValType>,
        results: impl IntoIterator<Item = ValType>,
    ) -> FuncType {
        FuncType {
            params: params.into_iter().collect(),
            results: results.into_iter().collect(),
        }
    }

    /// Parameter types.
    pub fn params(&self) -> &[ValType] {
        &self.params
    }

    /// Result types.
    pub fn results(&self) -> &[ValType] {
        &self.results
    }

    pub(crate) fn from_wasm(ty: &wasmparser::FuncType) -> Result<FuncType> {
        let params = ty
            .params()
            .iter()
            .map(|t| ValType::from_wasm(*t))
            .collect::<Result<_>>()?;
        let results = ty
            .results()
            .iter()
            .map(|t| ValType::from_wasm(*t))
            .collect::<Result<_>>()?;
        Ok(FuncType { params, results })
    }

    /// Slots of the values array a call with this signature needs: params
    /// go in, results come back in the same slots.
    pub(crate) fn value_slots(&self) -> usize {
        self.params.len().max(self.results.len())
    }
}

impl fmt::Display for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "(func")?;
        for p in self.params.iter() {
            write!(f, " (param {p})")?;
        }
        for r in self.results.iter() {
            write!(f, " (result {r})")?;
        }
        write!(f, ")")
    }
}

/// A global's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GlobalType {
    /// The value type.
    pub content: ValType,
    /// Whether `global.set` may change it.
    pub mutable: bool,
}

impl GlobalType {
    /// A global type.
    pub fn new(content: ValType, mutable: bool) -> GlobalType {
        GlobalType { content, mutable }
    }
}

/// A table's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TableType {
    /// `FuncRef` or `ExternRef`.
    pub element: ValType,
    /// Initial size in elements.
    pub minimum: u32,
    /// Maximum size, if bounded.
    pub maximum: Option<u32>,
}

impl TableType {
    /// A table type.
    pub fn new(element: ValType, minimum: u32, maximum: Option<u32>) -> TableType {
        TableType {
            element,
            minimum,
            maximum,
        }
    }
}

/// A linear memory's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MemoryType {
    /// Initial size in 64 KiB pages.
    pub minimum: u64,
    /// Maximum size in pages, if bounded (shared memories always are).
    pub maximum: Option<u64>,
    /// Whether the memory is shared between threads.
    pub shared: bool,
}

impl MemoryType {
    /// An unshared memory type.
    pub fn new(minimum: u32, maximum: Option<u32>) -> MemoryType {
        MemoryType {
            minimum: minimum.into(),
            maximum: maximum.map(u64::from),
            shared: false,
        }
    }

    /// A shared memory type; shared memories need a maximum.
    pub fn shared(minimum: u32, maximum: u32) -> MemoryType {
        MemoryType {
            minimum: minimum.into(),
            maximum: Some(maximum.into()),
            shared: true,
        }
    }
}

/// The type of an import or export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExternType {
    /// A function.
    Func(FuncType),
    /// A global.
    Global(GlobalType),
    /// A table.
    Table(TableType),
    /// A memory.
    Memory(MemoryType),
}
