//! What a module's binary says about its functions, by index.
//!
//! weft's `Module` lists imports and exports by name, but not functions by
//! index, and a trap names its function by index only. This reads the
//! binary once more with wasmparser to get, for each function in the index
//! space, its import (if any), its type, its export names, its name from
//! the `name` section, and the size of its body.
//!
//! It runs only on binaries weft has already validated, so a read error
//! here is reported but not expected.

use std::fmt;

use anyhow::{Context, Result, anyhow};
use wasmparser::{ExternalKind, FuncType, KnownCustom, Name, Parser, Payload, TypeRef};

/// One function of the module's function index space.
#[derive(Debug)]
pub struct FuncInfo {
    /// Its index (imports first, then defined functions).
    pub index: u32,
    /// `module.name` if it is imported.
    pub import: Option<(String, String)>,
    /// Its signature.
    pub ty: FuncType,
    /// The names it is exported under, in export order.
    pub exports: Vec<String>,
    /// Its name in the `name` custom section, if the module has one.
    pub debug_name: Option<String>,
    /// Size in bytes of its body in the binary (locals and code); `None`
    /// for an import.
    pub body_size: Option<u64>,
}

impl FuncInfo {
    /// The best name to show a person: the first export name, else the
    /// debug name.
    pub fn name(&self) -> Option<&str> {
        self.exports
            .first()
            .or(self.debug_name.as_ref())
            .map(String::as_str)
    }

    /// `function 3 "add"` or `function 3`, for messages.
    pub fn describe(&self) -> String {
        match self.name() {
            Some(name) => format!("function {} \"{name}\"", self.index),
            None => format!("function {}", self.index),
        }
    }
}

/// A signature as `(param i32 i64) (result f32)`, the way `.wat` writes it.
pub struct Signature<'a>(pub &'a FuncType);

impl fmt::Display for Signature<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        if !self.0.params().is_empty() {
            f.write_str("(param")?;
            for p in self.0.params() {
                write!(f, " {p}")?;
            }
            f.write_str(")")?;
            sep = " ";
        }
        if !self.0.results().is_empty() {
            write!(f, "{sep}(result")?;
            for r in self.0.results() {
                write!(f, " {r}")?;
            }
            f.write_str(")")?;
        } else if self.0.params().is_empty() {
            f.write_str("()")?;
        }
        Ok(())
    }
}

/// Every function of `binary`, in index order.
pub fn functions(binary: &[u8]) -> Result<Vec<FuncInfo>> {
    read(binary).context("reading the function list")
}

fn read(binary: &[u8]) -> Result<Vec<FuncInfo>> {
    let mut types = Vec::new();
    let mut funcs: Vec<FuncInfo> = Vec::new();
    let mut next_body = 0usize;
    let imported = |funcs: &[FuncInfo]| funcs.iter().filter(|f| f.import.is_some()).count();
    for payload in Parser::new(0).parse_all(binary) {
        match payload? {
            Payload::TypeSection(reader) => {
                for ty in reader.into_iter_err_on_gc_types() {
                    types.push(ty?);
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import?;
                    if let TypeRef::Func(ty) = import.ty {
                        let index = len_u32(funcs.len());
                        funcs.push(FuncInfo {
                            index,
                            import: Some((import.module.to_string(), import.name.to_string())),
                            ty: type_at(&types, ty, index)?,
                            exports: Vec::new(),
                            debug_name: None,
                            body_size: None,
                        });
                    }
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    let ty = ty?;
                    let index = len_u32(funcs.len());
                    funcs.push(FuncInfo {
                        index,
                        import: None,
                        ty: type_at(&types, ty, index)?,
                        exports: Vec::new(),
                        debug_name: None,
                        body_size: None,
                    });
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export?;
                    if export.kind == ExternalKind::Func
                        && let Some(f) = funcs.get_mut(export.index as usize)
                    {
                        f.exports.push(export.name.to_string());
                    }
                }
            }
            Payload::CodeSectionEntry(body) => {
                let range = body.range();
                let index = imported(&funcs) + next_body;
                if let Some(f) = funcs.get_mut(index) {
                    f.body_size = Some(range.end - range.start);
                }
                next_body += 1;
            }
            Payload::CustomSection(section) => {
                if let KnownCustom::Name(names) = section.as_known() {
                    // A malformed name section is ignored, as the spec
                    // says: it is only a debugging aid.
                    for name in names.into_iter().flatten() {
                        if let Name::Function(map) = name {
                            for naming in map.into_iter().flatten() {
                                if let Some(f) = funcs.get_mut(naming.index as usize) {
                                    f.debug_name = Some(naming.name.to_string());
                                }
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Ok(funcs)
}

fn type_at(types: &[FuncType], ty: u32, func: u32) -> Result<FuncType> {
    types
        .get(ty as usize)
        .cloned()
        .ok_or_else(|| anyhow!("function {func} has type {ty}, which does not exist"))
}

/// Function counts fit in `u32`: the binary format encodes them so.
fn len_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}
