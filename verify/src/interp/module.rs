//! Decoding and validation: bytes in, a `Module` with compiled bodies out.

use super::code::Code;
use super::compile;
use super::{Error, ErrorKind, ExternKind, ExternType};
use std::sync::Arc;
use wasmparser::{
    CompositeInnerType, ConstExpr, DataKind, ElementItems, ElementKind, ExternalKind, FuncType,
    FuncValidatorAllocations, GlobalType, HeapType, MemoryType, Operator, Parser, Payload, RefType,
    TableInit, TableType, TypeRef, ValidPayload, Validator, WasmFeatures,
};

/// Wasm 2.0 (fixed-width SIMD included), plus threads: exactly what weft
/// promises by default.
const FEATURES: WasmFeatures = WasmFeatures::WASM2.union(WasmFeatures::THREADS);

/// Proposals beyond [`Module::new`]'s default set that a caller can opt
/// into, as weft's `Config` lets an embedder do. The executor already
/// handles every memory index; what an option changes is only what the
/// decoder and validator accept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// The multi-memory proposal: more than one memory per module.
    pub multi_memory: bool,
}

impl Options {
    fn features(self) -> WasmFeatures {
        let mut features = FEATURES;
        features.set(WasmFeatures::MULTI_MEMORY, self.multi_memory);
        features
    }
}

/// A validated, compiled module. Cheap to clone; immutable.
#[derive(Clone)]
pub struct Module(pub(crate) Arc<ModuleInner>);

impl std::fmt::Debug for Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Module")
            .field("imports", &self.0.imports.len())
            .field("functions", &self.0.func_types.len())
            .field("exports", &self.0.exports.len())
            .finish()
    }
}

/// One import declaration.
pub(crate) struct ImportDecl {
    pub(crate) module: String,
    pub(crate) name: String,
    pub(crate) ty: ExternType,
}

/// A constant expression, as a tiny stack program.
#[derive(Clone, Debug)]
pub(crate) enum ConstOp {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
    V128(u128),
    RefNull(RefType),
    RefFunc(u32),
    GlobalGet(u32),
    I32Add,
    I32Sub,
    I32Mul,
    I64Add,
    I64Sub,
    I64Mul,
}

pub(crate) enum ElemMode {
    Passive,
    Active { table: u32, offset: Vec<ConstOp> },
    Declared,
}

pub(crate) struct ElemSegment {
    pub(crate) mode: ElemMode,
    pub(crate) items: Vec<Vec<ConstOp>>,
}

pub(crate) struct DataSegment {
    /// `Some((memory, offset))` for an active segment.
    pub(crate) active: Option<(u32, Vec<ConstOp>)>,
    pub(crate) bytes: Arc<[u8]>,
}

#[derive(Default)]
pub(crate) struct ModuleInner {
    pub(crate) types: Vec<FuncType>,
    pub(crate) imports: Vec<ImportDecl>,
    /// Type of every function, imported ones first.
    pub(crate) func_types: Vec<FuncType>,
    pub(crate) imported_funcs: u32,
    pub(crate) tables: Vec<(TableType, Option<Vec<ConstOp>>)>,
    pub(crate) memories: Vec<MemoryType>,
    pub(crate) globals: Vec<(GlobalType, Vec<ConstOp>)>,
    pub(crate) exports: Vec<(String, ExternKind, u32)>,
    pub(crate) start: Option<u32>,
    pub(crate) elems: Vec<ElemSegment>,
    pub(crate) datas: Vec<DataSegment>,
    /// Bodies of the defined functions, in order.
    pub(crate) code: Vec<Arc<Code>>,
}

impl Module {
    /// Decodes, validates and compiles a binary module. Any bytes give `Ok`
    /// or an `Err` saying what is wrong and at which byte offset.
    pub fn new(bytes: &[u8]) -> Result<Module, Error> {
        Module::with_options(bytes, Options::default())
    }

    /// Like [`Module::new`], with the proposals `options` enables.
    pub fn with_options(bytes: &[u8], options: Options) -> Result<Module, Error> {
        let features = options.features();
        let mut validator = Validator::new_with_features(features);
        let mut m = ModuleInner::default();
        let mut allocs = FuncValidatorAllocations::default();
        // The decoder needs the feature set too: without it, it decodes
        // encodings that only later proposals allow (multi-memory indices,
        // 64-bit limits) instead of rejecting them as malformed.
        let mut parser = Parser::new(0);
        parser.set_features(features);
        for payload in parser.parse_all(bytes) {
            let payload = payload.map_err(Error::invalid)?;
            match validator.payload(&payload).map_err(Error::invalid)? {
                ValidPayload::Func(to_validate, body) => {
                    let index = m.imported_funcs as usize + m.code.len();
                    let ty = m.func_types.get(index).cloned().ok_or_else(|| {
                        Error::new(ErrorKind::Unsupported(
                            "function body without a declared type".to_string(),
                        ))
                    })?;
                    let mut func_validator = to_validate.into_validator(allocs);
                    let code = compile::function(&m.types, ty, &body, &mut func_validator)
                        .map_err(|e| e.in_function(index as u32))?;
                    allocs = func_validator.into_allocations();
                    m.code.push(Arc::new(code));
                    continue;
                }
                ValidPayload::Parser(_) => {
                    return Err(Error::new(ErrorKind::Unsupported(
                        "nested modules and components".to_string(),
                    )));
                }
                ValidPayload::Ok | ValidPayload::End(_) => {}
            }
            read_section(&mut m, payload)?;
        }
        Ok(Module(Arc::new(m)))
    }

    /// The imports, in declaration order: module name, field name, type.
    pub fn imports(&self) -> impl Iterator<Item = (&str, &str, ExternType)> {
        self.0
            .imports
            .iter()
            .map(|i| (i.module.as_str(), i.name.as_str(), i.ty.clone()))
    }

    /// The exports, in declaration order: name and kind.
    pub fn exports(&self) -> impl Iterator<Item = (&str, ExternKind)> {
        self.0.exports.iter().map(|(n, k, _)| (n.as_str(), *k))
    }
}

fn unsupported(what: &str, offset: u64) -> Error {
    Error::new(ErrorKind::Unsupported(format!(
        "{what} (at offset {offset:#x})"
    )))
}

/// Records what one (already validated) section declares.
fn read_section(m: &mut ModuleInner, payload: Payload<'_>) -> Result<(), Error> {
    match payload {
        Payload::TypeSection(reader) => {
            for group in reader.into_iter_with_offsets() {
                let (offset, group) = group?;
                for sub in group.into_types() {
                    match sub.composite_type.inner {
                        CompositeInnerType::Func(ft) => m.types.push(ft),
                        _ => return Err(unsupported("non-function types", offset)),
                    }
                }
            }
        }
        Payload::ImportSection(reader) => {
            for import in reader.into_imports_with_offsets() {
                let (offset, import) = import?;
                let ty = match import.ty {
                    TypeRef::Func(idx) => {
                        let ft = func_type(m, idx, offset)?;
                        m.func_types.push(ft.clone());
                        m.imported_funcs += 1;
                        ExternType::Func(ft)
                    }
                    TypeRef::Table(t) => ExternType::Table(t),
                    TypeRef::Memory(t) => ExternType::Memory(t),
                    TypeRef::Global(t) => ExternType::Global(t),
                    TypeRef::Tag(_) | TypeRef::FuncExact(_) => {
                        return Err(unsupported("tag or exact-function imports", offset));
                    }
                };
                m.imports.push(ImportDecl {
                    module: import.module.to_string(),
                    name: import.name.to_string(),
                    ty,
                });
            }
        }
        Payload::FunctionSection(reader) => {
            for idx in reader.into_iter_with_offsets() {
                let (offset, idx) = idx?;
                let ft = func_type(m, idx, offset)?;
                m.func_types.push(ft);
            }
        }
        Payload::TableSection(reader) => {
            for table in reader.into_iter_with_offsets() {
                let (offset, table) = table?;
                let init = match table.init {
                    TableInit::RefNull => None,
                    TableInit::Expr(e) => Some(const_expr(&e, offset)?),
                };
                m.tables.push((table.ty, init));
            }
        }
        Payload::MemorySection(reader) => {
            for memory in reader {
                m.memories.push(memory?);
            }
        }
        Payload::GlobalSection(reader) => {
            for global in reader.into_iter_with_offsets() {
                let (offset, global) = global?;
                m.globals
                    .push((global.ty, const_expr(&global.init_expr, offset)?));
            }
        }
        Payload::ExportSection(reader) => {
            for export in reader.into_iter_with_offsets() {
                let (offset, export) = export?;
                let kind = match export.kind {
                    ExternalKind::Func | ExternalKind::FuncExact => ExternKind::Func,
                    ExternalKind::Table => ExternKind::Table,
                    ExternalKind::Memory => ExternKind::Memory,
                    ExternalKind::Global => ExternKind::Global,
                    ExternalKind::Tag => return Err(unsupported("tag exports", offset)),
                };
                m.exports
                    .push((export.name.to_string(), kind, export.index));
            }
        }
        Payload::StartSection { func, .. } => m.start = Some(func),
        Payload::ElementSection(reader) => {
            for elem in reader {
                let elem = elem?;
                let offset = elem.range.start;
                let mode = match elem.kind {
                    ElementKind::Passive => ElemMode::Passive,
                    ElementKind::Declared => ElemMode::Declared,
                    ElementKind::Active {
                        table_index,
                        offset_expr,
                    } => ElemMode::Active {
                        table: table_index.unwrap_or(0),
                        offset: const_expr(&offset_expr, offset)?,
                    },
                };
                let items = match elem.items {
                    ElementItems::Functions(funcs) => funcs
                        .into_iter()
                        .map(|f| f.map(|f| vec![ConstOp::RefFunc(f)]))
                        .collect::<wasmparser::Result<Vec<_>>>()?,
                    ElementItems::Expressions(_, exprs) => exprs
                        .into_iter()
                        .map(|e| const_expr(&e?, offset))
                        .collect::<Result<Vec<_>, Error>>()?,
                };
                m.elems.push(ElemSegment { mode, items });
            }
        }
        Payload::DataSection(reader) => {
            for data in reader {
                let data = data?;
                let active = match data.kind {
                    DataKind::Passive => None,
                    DataKind::Active {
                        memory_index,
                        offset_expr,
                    } => Some((memory_index, const_expr(&offset_expr, data.range.start)?)),
                };
                m.datas.push(DataSegment {
                    active,
                    bytes: Arc::from(data.data),
                });
            }
        }
        _ => {}
    }
    Ok(())
}

fn func_type(m: &ModuleInner, idx: u32, offset: u64) -> Result<FuncType, Error> {
    m.types
        .get(idx as usize)
        .cloned()
        .ok_or_else(|| unsupported("function type index out of range", offset))
}

/// Decodes a (validated) constant expression.
fn const_expr(expr: &ConstExpr<'_>, offset: u64) -> Result<Vec<ConstOp>, Error> {
    let mut reader = expr.get_operators_reader();
    let mut ops = Vec::new();
    loop {
        let op = reader.read()?;
        ops.push(match op {
            Operator::End => break,
            Operator::I32Const { value } => ConstOp::I32(value),
            Operator::I64Const { value } => ConstOp::I64(value),
            Operator::F32Const { value } => ConstOp::F32(value.bits()),
            Operator::F64Const { value } => ConstOp::F64(value.bits()),
            Operator::V128Const { value } => ConstOp::V128(u128::from_le_bytes(*value.bytes())),
            Operator::RefNull { hty } => ConstOp::RefNull(null_type(hty, offset)?),
            Operator::RefFunc { function_index } => ConstOp::RefFunc(function_index),
            Operator::GlobalGet { global_index } => ConstOp::GlobalGet(global_index),
            Operator::I32Add => ConstOp::I32Add,
            Operator::I32Sub => ConstOp::I32Sub,
            Operator::I32Mul => ConstOp::I32Mul,
            Operator::I64Add => ConstOp::I64Add,
            Operator::I64Sub => ConstOp::I64Sub,
            Operator::I64Mul => ConstOp::I64Mul,
            other => return Err(unsupported(&format!("{other:?} in a constant"), offset)),
        });
    }
    Ok(ops)
}

/// The reference type of `ref.null hty`, for the two heap types of Wasm 2.0.
pub(crate) fn null_type(hty: HeapType, offset: u64) -> Result<RefType, Error> {
    match hty {
        HeapType::Abstract {
            ty: wasmparser::AbstractHeapType::Func,
            shared: false,
        } => Ok(RefType::FUNCREF),
        HeapType::Abstract {
            ty: wasmparser::AbstractHeapType::Extern,
            shared: false,
        } => Ok(RefType::EXTERNREF),
        other => Err(unsupported(&format!("heap type {other:?}"), offset)),
    }
}
