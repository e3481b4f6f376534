//! Reading a module: validation of the module-level sections and the
//! description ([`ModuleInfo`]) that translation and instantiation use.
//!
//! Function bodies are not validated here: each is validated by its own
//! `FuncValidator`, in lockstep with its translation (see `translate`).

use std::sync::Arc;

use wasmparser::{
    CompositeInnerType, ElementItems, ElementKind, ExternalKind, FuncToValidate, FunctionBody,
    Operator, Parser, Payload, TableInit, TypeRef, ValidPayload, Validator, ValidatorResources,
};

use cranelift_entity::{EntityRef, PrimaryMap};
use weft_core::vm::{VMCounts, VMOffsets};

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::index::{
    DataIndex, DefinedFuncIndex, ElemIndex, FuncIndex, GlobalIndex, MemoryIndex, TableIndex,
    TypeIndex,
};
use crate::types::{ExternType, FuncType, GlobalType, MemoryType, TableType, ValType};

/// A constant expression (wasm 2.0: one instruction).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum ConstExpr {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
    V128(u128),
    RefNull,
    RefFunc(FuncIndex),
    GlobalGet(GlobalIndex),
}

/// What an import provides.
#[derive(Clone, Debug)]
pub(crate) struct Import {
    pub(crate) module: String,
    pub(crate) name: String,
    pub(crate) ty: ExternType,
}

/// An exported entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EntityIndex {
    Func(FuncIndex),
    Table(TableIndex),
    Memory(MemoryIndex),
    Global(GlobalIndex),
}

#[derive(Clone, Debug)]
pub(crate) enum ElementMode {
    Passive,
    Active {
        table: TableIndex,
        offset: ConstExpr,
    },
    Declared,
}

#[derive(Clone, Debug)]
pub(crate) struct ElementSegment {
    pub(crate) mode: ElementMode,
    pub(crate) items: Vec<ConstExpr>,
}

#[derive(Clone, Debug)]
pub(crate) enum DataMode {
    Passive,
    Active {
        memory: MemoryIndex,
        offset: ConstExpr,
    },
}

#[derive(Clone, Debug)]
pub(crate) struct DataSegment {
    pub(crate) mode: DataMode,
    pub(crate) bytes: Arc<[u8]>,
}

/// Everything about a module except its code.
#[derive(Debug, Default)]
pub(crate) struct ModuleInfo {
    /// The module's name from the `name` custom section, if any.
    pub(crate) name: Option<String>,
    pub(crate) types: PrimaryMap<TypeIndex, FuncType>,
    /// Engine-wide canonical id of each entry of `types`.
    pub(crate) type_ids: PrimaryMap<TypeIndex, u32>,
    /// Type of every function, imported first.
    pub(crate) funcs: PrimaryMap<FuncIndex, TypeIndex>,
    pub(crate) imports: Vec<Import>,
    pub(crate) tables: PrimaryMap<TableIndex, TableType>,
    pub(crate) memories: PrimaryMap<MemoryIndex, MemoryType>,
    pub(crate) globals: PrimaryMap<GlobalIndex, GlobalType>,
    /// Initializers of the defined globals.
    pub(crate) global_inits: Vec<ConstExpr>,
    pub(crate) exports: Vec<(String, EntityIndex)>,
    pub(crate) start: Option<FuncIndex>,
    pub(crate) elements: PrimaryMap<ElemIndex, ElementSegment>,
    pub(crate) data: PrimaryMap<DataIndex, DataSegment>,
    pub(crate) counts: VMCounts,
}

impl ModuleInfo {
    pub(crate) fn func_type(&self, func: FuncIndex) -> &FuncType {
        &self.types[self.funcs[func]]
    }

    /// The defined index of `func`, or `None` if it is imported.
    pub(crate) fn defined_func_index(&self, func: FuncIndex) -> Option<DefinedFuncIndex> {
        func.as_u32()
            .checked_sub(self.counts.imported_funcs)
            .map(DefinedFuncIndex::from_u32)
    }

    /// The module-level index of defined function `defined`.
    pub(crate) fn func_index(&self, defined: DefinedFuncIndex) -> FuncIndex {
        FuncIndex::new(self.counts.imported_funcs as usize + defined.index())
    }

    pub(crate) fn offsets(&self) -> VMOffsets {
        VMOffsets::new(self.counts).expect("validated modules have counts far below u32 overflow")
    }
}

/// A function body waiting for translation.
pub(crate) struct PendingFunc<'a> {
    pub(crate) validator: FuncToValidate<ValidatorResources>,
    pub(crate) body: FunctionBody<'a>,
}

/// The defined functions' bodies, by defined index.
pub(crate) type PendingFuncs<'a> = PrimaryMap<DefinedFuncIndex, PendingFunc<'a>>;

/// Validates `bytes` at the module level and describes the module.
pub(crate) fn read_module<'a>(
    engine: &Engine,
    bytes: &'a [u8],
) -> Result<(ModuleInfo, PendingFuncs<'a>)> {
    let features = engine.config().features();
    let mut validator = Validator::new_with_features(features);
    let mut info = ModuleInfo::default();
    let mut pending = PendingFuncs::new();
    // Decode with the enabled features too (the parser's default is "all"):
    // encodings that only later proposals allow are malformed here.
    let mut parser = Parser::new(0);
    parser.set_features(features);
    for payload in parser.parse_all(bytes) {
        let payload = payload?;
        match validator.payload(&payload)? {
            ValidPayload::Func(validator, body) => {
                pending.push(PendingFunc { validator, body });
                continue;
            }
            ValidPayload::End(_) => break,
            _ => {}
        }
        read_section(engine, &mut info, payload)?;
    }
    Ok((info, pending))
}

fn unsupported(offset: u64, what: impl std::fmt::Display) -> Error {
    Error::invalid(offset, format!("unsupported: {what}"))
}

fn read_section(engine: &Engine, info: &mut ModuleInfo, payload: Payload<'_>) -> Result<()> {
    match payload {
        Payload::TypeSection(reader) => {
            let offset = reader.range().start;
            for group in reader {
                for sub in group?.into_types() {
                    match &sub.composite_type.inner {
                        CompositeInnerType::Func(ft) => {
                            let ty = FuncType::from_wasm(ft).map_err(|e| unsupported(offset, e))?;
                            info.type_ids.push(engine.type_id(&ty));
                            info.types.push(ty);
                        }
                        other => return Err(unsupported(offset, format!("type {other:?}"))),
                    }
                }
            }
        }
        Payload::ImportSection(reader) => {
            let offset = reader.range().start;
            for import in reader.into_imports() {
                let import = import?;
                let ty = match import.ty {
                    TypeRef::Func(t) | TypeRef::FuncExact(t) => {
                        let t = TypeIndex::from_u32(t);
                        info.funcs.push(t);
                        info.counts.imported_funcs += 1;
                        ExternType::Func(info.types[t].clone())
                    }
                    TypeRef::Table(t) => {
                        let t = table_type(offset, &t)?;
                        info.tables.push(t);
                        info.counts.imported_tables += 1;
                        ExternType::Table(t)
                    }
                    TypeRef::Memory(m) => {
                        let m = memory_type(offset, &m)?;
                        info.memories.push(m);
                        info.counts.imported_memories += 1;
                        ExternType::Memory(m)
                    }
                    TypeRef::Global(g) => {
                        let g = global_type(offset, &g)?;
                        info.globals.push(g);
                        info.counts.imported_globals += 1;
                        ExternType::Global(g)
                    }
                    TypeRef::Tag(_) => return Err(unsupported(offset, "tag import")),
                };
                info.imports.push(Import {
                    module: import.module.to_owned(),
                    name: import.name.to_owned(),
                    ty,
                });
            }
        }
        Payload::FunctionSection(reader) => {
            for ty in reader {
                info.funcs.push(TypeIndex::from_u32(ty?));
                info.counts.defined_funcs += 1;
            }
        }
        Payload::TableSection(reader) => {
            let offset = reader.range().start;
            for table in reader {
                let table = table?;
                if let TableInit::Expr(_) = table.init {
                    return Err(unsupported(offset, "table initializer expression"));
                }
                info.tables.push(table_type(offset, &table.ty)?);
                info.counts.defined_tables += 1;
            }
        }
        Payload::MemorySection(reader) => {
            let offset = reader.range().start;
            for memory in reader {
                info.memories.push(memory_type(offset, &memory?)?);
                info.counts.defined_memories += 1;
            }
        }
        Payload::GlobalSection(reader) => {
            let offset = reader.range().start;
            for global in reader {
                let global = global?;
                info.globals.push(global_type(offset, &global.ty)?);
                info.global_inits.push(const_expr(&global.init_expr)?);
                info.counts.defined_globals += 1;
            }
        }
        Payload::ExportSection(reader) => {
            for export in reader {
                let export = export?;
                let i = export.index;
                let index = match export.kind {
                    ExternalKind::Func | ExternalKind::FuncExact => {
                        EntityIndex::Func(FuncIndex::from_u32(i))
                    }
                    ExternalKind::Table => EntityIndex::Table(TableIndex::from_u32(i)),
                    ExternalKind::Memory => EntityIndex::Memory(MemoryIndex::from_u32(i)),
                    ExternalKind::Global => EntityIndex::Global(GlobalIndex::from_u32(i)),
                    ExternalKind::Tag => return Err(unsupported(0, "tag export")),
                };
                info.exports.push((export.name.to_owned(), index));
            }
        }
        Payload::StartSection { func, .. } => info.start = Some(FuncIndex::from_u32(func)),
        Payload::CustomSection(section) => {
            // Custom sections are not validated by wasm: a malformed name
            // section is ignored, never an error.
            if let wasmparser::KnownCustom::Name(names) = section.as_known() {
                for name in names.into_iter() {
                    match name {
                        Ok(wasmparser::Name::Module { name, .. }) => {
                            info.name = Some(name.to_owned());
                        }
                        Ok(_) => {}
                        Err(_) => break,
                    }
                }
            }
        }
        Payload::ElementSection(reader) => {
            for element in reader {
                let element = element?;
                let mode = match element.kind {
                    ElementKind::Passive => ElementMode::Passive,
                    ElementKind::Declared => ElementMode::Declared,
                    ElementKind::Active {
                        table_index,
                        offset_expr,
                    } => ElementMode::Active {
                        table: TableIndex::from_u32(table_index.unwrap_or(0)),
                        offset: const_expr(&offset_expr)?,
                    },
                };
                let items = match element.items {
                    ElementItems::Functions(funcs) => funcs
                        .into_iter()
                        .map(|f| Ok(ConstExpr::RefFunc(FuncIndex::from_u32(f?))))
                        .collect::<Result<_>>()?,
                    ElementItems::Expressions(_, exprs) => exprs
                        .into_iter()
                        .map(|e| const_expr(&e?))
                        .collect::<Result<_>>()?,
                };
                info.elements.push(ElementSegment { mode, items });
            }
        }
        Payload::DataSection(reader) => {
            for data in reader {
                let data = data?;
                let mode = match data.kind {
                    wasmparser::DataKind::Passive => DataMode::Passive,
                    wasmparser::DataKind::Active {
                        memory_index,
                        offset_expr,
                    } => DataMode::Active {
                        memory: MemoryIndex::from_u32(memory_index),
                        offset: const_expr(&offset_expr)?,
                    },
                };
                info.data.push(DataSegment {
                    mode,
                    bytes: data.data.into(),
                });
            }
        }
        _ => {}
    }
    Ok(())
}

fn table_type(offset: u64, t: &wasmparser::TableType) -> Result<TableType> {
    if t.table64 || t.shared {
        return Err(unsupported(offset, "64-bit or shared table"));
    }
    let element = ValType::from_ref(t.element_type).map_err(|e| unsupported(offset, e))?;
    let minimum = u32::try_from(t.initial).map_err(|_| unsupported(offset, "table size"))?;
    let maximum = t
        .maximum
        .map(u32::try_from)
        .transpose()
        .map_err(|_| unsupported(offset, "table size"))?;
    Ok(TableType {
        element,
        minimum,
        maximum,
    })
}

fn memory_type(offset: u64, m: &wasmparser::MemoryType) -> Result<MemoryType> {
    if m.memory64 || m.page_size_log2.is_some() {
        return Err(unsupported(offset, "64-bit memory or custom page size"));
    }
    Ok(MemoryType {
        minimum: m.initial,
        maximum: m.maximum,
        shared: m.shared,
    })
}

fn global_type(offset: u64, g: &wasmparser::GlobalType) -> Result<GlobalType> {
    if g.shared {
        return Err(unsupported(offset, "shared global"));
    }
    let content = ValType::from_wasm(g.content_type).map_err(|e| unsupported(offset, e))?;
    Ok(GlobalType {
        content,
        mutable: g.mutable,
    })
}

/// Reads a validated constant expression. Wasm 2.0 allows exactly one
/// instruction before `end`; anything else is reported, not assumed.
fn const_expr(expr: &wasmparser::ConstExpr<'_>) -> Result<ConstExpr> {
    let mut reader = expr.get_operators_reader();
    let offset = reader.original_position();
    let op = reader.read()?;
    let value = match op {
        Operator::I32Const { value } => ConstExpr::I32(value),
        Operator::I64Const { value } => ConstExpr::I64(value),
        Operator::F32Const { value } => ConstExpr::F32(value.bits()),
        Operator::F64Const { value } => ConstExpr::F64(value.bits()),
        Operator::V128Const { value } => ConstExpr::V128(value.i128() as u128),
        Operator::RefNull { .. } => ConstExpr::RefNull,
        Operator::RefFunc { function_index } => {
            ConstExpr::RefFunc(FuncIndex::from_u32(function_index))
        }
        Operator::GlobalGet { global_index } => {
            ConstExpr::GlobalGet(GlobalIndex::from_u32(global_index))
        }
        other => {
            return Err(unsupported(
                offset,
                format!("constant expression {other:?}"),
            ));
        }
    };
    match reader.read()? {
        Operator::End => Ok(value),
        _ => Err(unsupported(offset, "extended constant expression")),
    }
}
