//! Compiled modules.

use std::sync::{Arc, OnceLock};

use cranelift_entity::EntityRef;

use crate::compile::{CodeMemory, compile_module};
use crate::engine::Engine;
use crate::environ::{EntityIndex, ModuleInfo, read_module};
use crate::error::{Error, ErrorKind, Result};
use crate::index::DefinedFuncIndex;
use crate::runtime::memory_images::MemoryImages;
use crate::types::ExternType;

/// A validated, compiled module: cheap to clone (`Arc`), `Send + Sync`,
/// instantiable in any store of its engine. Its code memory is freed when
/// the last clone (including those held by instances) drops.
///
/// ```
/// let engine = weft::Engine::default();
/// let module = weft::Module::new(&engine, r#"(module (func (export "f") (result i32) i32.const 1))"#)?;
/// assert_eq!(module.exports().count(), 1);
/// assert!(weft::Module::new(&engine, b"\0asm\x01\0\0\0\x99").is_err());
/// # Ok::<(), weft::Error>(())
/// ```
#[derive(Clone)]
pub struct Module {
    inner: Arc<ModuleInner>,
}

struct ModuleInner {
    engine: Engine,
    info: ModuleInfo,
    /// Array entry of each defined function that escapes (see
    /// `compile::escaping`). Kept next to `code`, which they point into;
    /// both drop together.
    entries: Vec<Option<usize>>,
    /// Machine-code size of each defined function, in bytes.
    code_sizes: Vec<usize>,
    /// The largest stack frame of any defined function, in bytes.
    max_frame_bytes: usize,
    /// The defined memories' copy-on-write images, built at the first
    /// instantiation (a module that is never instantiated pays nothing).
    memory_images: OnceLock<MemoryImages>,
    _code: CodeMemory,
}

impl Module {
    /// Compiles a module from its binary or text (`.wat`) form.
    pub fn new(engine: &Engine, bytes: impl AsRef<[u8]>) -> Result<Module> {
        let bytes = wat::parse_bytes(bytes.as_ref())
            .map_err(|e| Error::from(ErrorKind::InvalidText(e.to_string())))?;
        Module::from_binary(engine, &bytes)
    }

    /// Compiles a module from its binary form.
    pub fn from_binary(engine: &Engine, binary: &[u8]) -> Result<Module> {
        let (info, pending) = read_module(engine, binary)?;
        let compiled = compile_module(engine, &info, pending)?;
        Ok(Module {
            inner: Arc::new(ModuleInner {
                engine: engine.clone(),
                info,
                entries: compiled.entries,
                code_sizes: compiled.code_sizes,
                max_frame_bytes: compiled.max_frame_bytes,
                memory_images: OnceLock::new(),
                _code: compiled.code,
            }),
        })
    }

    /// Reads and compiles a `.wasm` or `.wat` file.
    pub fn from_file(engine: &Engine, path: impl AsRef<std::path::Path>) -> Result<Module> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| {
            Error::from(ErrorKind::Io {
                path: path.display().to_string(),
                source,
            })
        })?;
        Module::new(engine, bytes)
    }

    /// Validates a binary module without compiling it.
    pub fn validate(engine: &Engine, binary: &[u8]) -> Result<()> {
        let mut validator = wasmparser::Validator::new_with_features(engine.config().features());
        validator.validate_all(binary)?;
        // Also refuse what weft does not support, as `new` would.
        read_module(engine, binary).map(|_| ())
    }

    /// The engine the module was compiled for.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// The module's name, from its `name` custom section (`(module $name)`
    /// in text).
    pub fn name(&self) -> Option<&str> {
        self.inner.info.name.as_deref()
    }

    /// The imports: module name, field name, type.
    pub fn imports(&self) -> impl ExactSizeIterator<Item = (&str, &str, ExternType)> + '_ {
        self.inner
            .info
            .imports
            .iter()
            .map(|i| (i.module.as_str(), i.name.as_str(), i.ty.clone()))
    }

    /// The exports: name and type.
    pub fn exports(&self) -> impl ExactSizeIterator<Item = (&str, ExternType)> + '_ {
        let info = &self.inner.info;
        info.exports.iter().map(move |(name, index)| {
            let ty = match *index {
                EntityIndex::Func(f) => ExternType::Func(info.func_type(f).clone()),
                EntityIndex::Table(t) => ExternType::Table(info.tables[t]),
                EntityIndex::Memory(m) => ExternType::Memory(info.memories[m]),
                EntityIndex::Global(g) => ExternType::Global(info.globals[g]),
            };
            (name.as_str(), ty)
        })
    }

    /// The size of each defined function's machine code: `(function
    /// index, bytes)` in index order. Function indices count imported
    /// functions first, as in wasm, so the first defined function's index
    /// is the number of imported functions. The bytes are the function's
    /// body plus its array entry, the small adapter through which the host,
    /// tables and other modules call it, which only functions reachable
    /// that way (exported, in an element segment, named by `ref.func`, the
    /// start function) have (see `docs/jit.md`).
    ///
    /// ```
    /// let engine = weft::Engine::default();
    /// let module = weft::Module::new(&engine, r#"(module
    ///     (import "env" "f" (func))
    ///     (func (result i32) i32.const 7))"#)?;
    /// let sizes: Vec<(u32, usize)> = module.function_code_sizes().collect();
    /// assert_eq!(sizes.len(), 1);
    /// assert_eq!(sizes[0].0, 1);
    /// assert!(sizes[0].1 > 0);
    /// # Ok::<(), weft::Error>(())
    /// ```
    pub fn function_code_sizes(&self) -> impl ExactSizeIterator<Item = (u32, usize)> + '_ {
        let info = &self.inner.info;
        self.inner
            .code_sizes
            .iter()
            .enumerate()
            .map(move |(i, &size)| (info.func_index(DefinedFuncIndex::new(i)).as_u32(), size))
    }

    /// The largest stack frame of any of the module's functions, in bytes.
    pub(crate) fn max_frame_bytes(&self) -> usize {
        self.inner.max_frame_bytes
    }

    /// The images the module's defined memories start from, built on the
    /// first call (none if the engine's `memory_init_cow` is off).
    pub(crate) fn memory_images(&self) -> &MemoryImages {
        self.inner.memory_images.get_or_init(|| {
            if self.inner.engine.config().memory_init_cow {
                MemoryImages::build(&self.inner.info)
            } else {
                MemoryImages::none()
            }
        })
    }

    pub(crate) fn info(&self) -> &ModuleInfo {
        &self.inner.info
    }

    /// The address of defined function `defined`'s array entry; `None` if
    /// it does not escape, and so has none.
    pub(crate) fn entry(&self, defined: DefinedFuncIndex) -> Option<usize> {
        self.inner.entries[defined.index()]
    }
}

impl std::fmt::Debug for Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Module")
            .field("funcs", &self.inner.info.funcs.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn module_is_send_and_sync() {
        assert_send_sync::<Module>();
    }

    #[test]
    fn the_largest_frame_is_measured() {
        // 3,000 i64 locals loaded from globals and live across a call: at
        // least 24,000 bytes of spill slots in `big`'s frame.
        let locals = 3_000;
        let mut wat = String::from(
            "(module (func $next (param i32) (result i64) (i64.const 0))
               (func $big (param i32) (result i64)",
        );
        let mut globals = String::new();
        for k in 0..locals {
            wat.push_str(" (local i64)");
            globals.push_str(&format!("(global (mut i64) (i64.const {k}))"));
        }
        for k in 1..=locals {
            wat.push_str(&format!("(local.set {k} (global.get {}))", k - 1));
        }
        wat.push_str("(local.get 1)");
        for k in 2..=locals {
            wat.push_str(&format!("(local.get {k}) i64.xor"));
        }
        wat.push_str("(global.set 0) (call $next (local.get 0))");
        for k in 1..=locals {
            wat.push_str(&format!("(local.get {k}) i64.add"));
        }
        wat.push(')');
        wat.push_str(&globals);
        wat.push(')');
        // A real call: inlined, `$next` would no longer clobber the
        // registers the locals live in.
        let mut config = crate::Config::new();
        config.inlining(false);
        let engine = Engine::new(&config).expect("supported host");
        let module = Module::new(&engine, &wat).expect("valid");
        assert!(
            module.max_frame_bytes() >= 8 * locals,
            "{} bytes",
            module.max_frame_bytes()
        );
        let small = Module::new(&engine, "(module (func))").expect("valid");
        assert!(
            small.max_frame_bytes() < 1024,
            "{}",
            small.max_frame_bytes()
        );
    }

    #[test]
    fn the_name_section_names_the_module() {
        let engine = Engine::default();
        let named = Module::new(&engine, "(module $calc)").expect("valid");
        assert_eq!(named.name(), Some("calc"));
        let anonymous = Module::new(&engine, "(module)").expect("valid");
        assert_eq!(anonymous.name(), None);
    }
}
