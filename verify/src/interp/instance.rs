//! Instantiation: linking imports, allocating, segment initialization, the
//! start function; and export lookup.

use super::call;
use super::code::Code;
use super::func::FuncRef;
use super::global::GlobalRef;
use super::memory::{self, MemoryRef};
use super::module::{ConstOp, ElemMode, Module, ModuleInner};
use super::slot::{Owner, Slot};
use super::table::{self, TableRef};
use super::trap::Trap;
use super::value::Value;
use super::{Extern, ExternKind, ExternType, InstantiationError};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use wasmparser::{FuncType, ValType};

/// An instantiated module. Cheap to clone, `Send + Sync`: clones are
/// handles to the same instance, usable from any thread.
#[derive(Clone)]
pub struct Instance(Arc<InstanceInner>);

impl std::fmt::Debug for Instance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let exports: Vec<&str> = self
            .0
            .module
            .exports
            .iter()
            .map(|(n, _, _)| n.as_str())
            .collect();
        f.debug_struct("Instance")
            .field("exports", &exports)
            .finish()
    }
}

/// Everything an executing function of this instance can reach.
pub(crate) struct InstanceInner {
    pub(crate) module: Arc<ModuleInner>,
    /// The imported functions; defined ones are built on demand (see
    /// `func`) so that an instance does not own handles to itself.
    pub(crate) imported_funcs: Vec<FuncRef>,
    pub(crate) tables: Vec<TableRef>,
    pub(crate) memories: Vec<MemoryRef>,
    pub(crate) globals: Vec<GlobalRef>,
    /// Passive data segments; a dropped one is empty.
    datas: Mutex<Vec<Arc<[u8]>>>,
    /// Evaluated element segments; a dropped one is empty.
    elems: Mutex<Vec<Arc<[Slot]>>>,
    /// This instance, as the owner of its element segments' entries.
    elem_owner: Owner,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Segment lists are only ever replaced element-wise.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl InstanceInner {
    /// Function `index` of this instance as a reference.
    pub(crate) fn func(self: &Arc<Self>, index: u32) -> FuncRef {
        match self.imported_funcs.get(index as usize) {
            Some(f) => f.clone(),
            None => FuncRef::wasm(
                Arc::clone(self),
                index,
                self.module.func_types[index as usize].clone(),
            ),
        }
    }

    /// The body of defined function `index` (whole index space).
    pub(crate) fn code(&self, index: u32) -> &Arc<Code> {
        &self.module.code[(index - self.module.imported_funcs) as usize]
    }

    pub(crate) fn data(&self, index: u32) -> Arc<[u8]> {
        Arc::clone(&lock(&self.datas)[index as usize])
    }

    pub(crate) fn drop_data(&self, index: u32) {
        lock(&self.datas)[index as usize] = Arc::from(&[][..]);
    }

    pub(crate) fn elem(&self, index: u32) -> Arc<[Slot]> {
        Arc::clone(&lock(&self.elems)[index as usize])
    }

    pub(crate) fn drop_elem(&self, index: u32) {
        lock(&self.elems)[index as usize] = Arc::from(Vec::new());
    }

    /// Evaluates a (validated) constant expression.
    fn eval(self: &Arc<Self>, expr: &[ConstOp]) -> Value {
        let mut stack: Vec<Value> = Vec::with_capacity(2);
        for op in expr {
            let v = match op {
                ConstOp::I32(v) => Value::I32(*v),
                ConstOp::I64(v) => Value::I64(*v),
                ConstOp::F32(v) => Value::F32(*v),
                ConstOp::F64(v) => Value::F64(*v),
                ConstOp::V128(v) => Value::V128(*v),
                ConstOp::RefNull(t) => {
                    Value::null_of(*t).expect("module.rs only decodes funcref/externref nulls")
                }
                ConstOp::RefFunc(i) => Value::FuncRef(Some(self.func(*i))),
                ConstOp::GlobalGet(i) => self.globals[*i as usize].get(),
                ConstOp::I32Add | ConstOp::I32Sub | ConstOp::I32Mul => {
                    let b = stack.pop().expect("validated constant").i32();
                    let a = stack.pop().expect("validated constant").i32();
                    Value::I32(match op {
                        ConstOp::I32Add => a.wrapping_add(b),
                        ConstOp::I32Sub => a.wrapping_sub(b),
                        _ => a.wrapping_mul(b),
                    })
                }
                ConstOp::I64Add | ConstOp::I64Sub | ConstOp::I64Mul => {
                    let b = stack.pop().expect("validated constant").i64();
                    let a = stack.pop().expect("validated constant").i64();
                    Value::I64(match op {
                        ConstOp::I64Add => a.wrapping_add(b),
                        ConstOp::I64Sub => a.wrapping_sub(b),
                        _ => a.wrapping_mul(b),
                    })
                }
            };
            stack.push(v);
        }
        stack
            .pop()
            .expect("a validated constant expression yields one value")
    }
}

fn incompatible(module: &str, name: &str, why: String) -> InstantiationError {
    InstantiationError::Link(format!(
        "incompatible import type for `{module}` `{name}`: {why}"
    ))
}

/// Limits subtyping: the actual size must be at least the declared minimum,
/// and if a maximum is declared the actual one must exist and not exceed it.
fn limits_match(actual_min: u64, actual_max: Option<u64>, min: u64, max: Option<u64>) -> bool {
    actual_min >= min
        && match max {
            None => true,
            Some(max) => actual_max.is_some_and(|a| a <= max),
        }
}

/// Checks one import against its declaration.
fn check_import(
    module: &str,
    name: &str,
    ty: &ExternType,
    import: &Extern,
) -> Result<(), InstantiationError> {
    match (ty, import) {
        (ExternType::Func(want), Extern::Func(f)) => {
            if f.ty() != want {
                return Err(incompatible(
                    module,
                    name,
                    format!("expected function {want}, got {}", f.ty()),
                ));
            }
        }
        (ExternType::Table(want), Extern::Table(t)) => {
            let have = t.ty();
            if have.element_type != want.element_type
                || !limits_match(have.initial, have.maximum, want.initial, want.maximum)
            {
                return Err(incompatible(
                    module,
                    name,
                    format!("expected table {want:?}, got {have:?}"),
                ));
            }
        }
        (ExternType::Memory(want), Extern::Memory(m)) => {
            let have = m.ty();
            if have.shared != want.shared
                || !limits_match(have.initial, have.maximum, want.initial, want.maximum)
            {
                return Err(incompatible(
                    module,
                    name,
                    format!("expected memory {want:?}, got {have:?}"),
                ));
            }
        }
        (ExternType::Global(want), Extern::Global(g)) => {
            let have = g.ty();
            if have.mutable != want.mutable || have.content_type != want.content_type {
                return Err(incompatible(
                    module,
                    name,
                    format!("expected global {want:?}, got {have:?}"),
                ));
            }
        }
        (want, have) => {
            return Err(incompatible(
                module,
                name,
                format!("expected {want:?}, got {have:?}"),
            ));
        }
    }
    Ok(())
}

impl Instance {
    /// Instantiates `module` with `imports` given in the module's import
    /// order. Runs element and data segment initialization, then the start
    /// function; a trap there is `InstantiationError::Trap` (and, as the spec
    /// says, segments already written to imported tables and memories stay
    /// written).
    pub fn new(module: &Module, imports: &[Extern]) -> Result<Instance, InstantiationError> {
        let m = Arc::clone(&module.0);
        if imports.len() != m.imports.len() {
            let missing = m
                .imports
                .get(imports.len())
                .map(|i| format!(": `{}` `{}`", i.module, i.name))
                .unwrap_or_default();
            return Err(InstantiationError::Link(format!(
                "unknown import{missing} (module declares {} imports, {} given)",
                m.imports.len(),
                imports.len()
            )));
        }
        let mut imported_funcs = Vec::new();
        let mut tables = Vec::new();
        let mut memories = Vec::new();
        let mut globals = Vec::new();
        for (decl, import) in m.imports.iter().zip(imports) {
            check_import(&decl.module, &decl.name, &decl.ty, import)?;
            match import {
                Extern::Func(f) => imported_funcs.push(f.clone()),
                Extern::Table(t) => tables.push(t.clone()),
                Extern::Memory(mem) => memories.push(mem.clone()),
                Extern::Global(g) => globals.push(g.clone()),
            }
        }
        let resource = |e: super::Error| InstantiationError::Resource(e.to_string());
        for (ty, _) in &m.tables {
            let null = Value::null_of(ty.element_type).ok_or_else(|| {
                InstantiationError::Resource(format!("table of {}", ty.element_type))
            })?;
            let initial = u32::try_from(ty.initial)
                .map_err(|_| InstantiationError::Resource("table too large".to_string()))?;
            let maximum = ty.maximum.map(|m| u32::try_from(m).unwrap_or(u32::MAX));
            tables.push(TableRef::new(ty.element_type, initial, maximum, null).map_err(resource)?);
        }
        for ty in &m.memories {
            // Validation bounds 32-bit memories to 65536 pages.
            let initial = u32::try_from(ty.initial)
                .map_err(|_| InstantiationError::Resource("memory too large".to_string()))?;
            let maximum = ty.maximum.map(|m| u32::try_from(m).unwrap_or(u32::MAX));
            memories.push(MemoryRef::new(initial, maximum, ty.shared).map_err(resource)?);
        }
        let first_defined_global = globals.len();
        for (ty, _) in &m.globals {
            // Placeholder; the initializer runs below, once `ref.func` can
            // build references to this instance.
            let zero = Value::default_for(ty.content_type).ok_or_else(|| {
                InstantiationError::Resource(format!("global of type {}", ty.content_type))
            })?;
            globals.push(GlobalRef::new(ty.content_type, ty.mutable, zero).map_err(resource)?);
        }
        let inner = Arc::new(InstanceInner {
            module: Arc::clone(&m),
            imported_funcs,
            tables,
            memories,
            globals,
            datas: Mutex::new(m.datas.iter().map(|d| Arc::clone(&d.bytes)).collect()),
            elems: Mutex::new(Vec::new()),
            elem_owner: Owner::default(),
        });
        // From here on, storing one of this instance's functions in its own
        // tables, globals or segments holds it weakly (see `slot.rs`).
        inner.elem_owner.set(&inner);
        for t in &inner.tables[inner.tables.len() - m.tables.len()..] {
            t.set_owner(&inner);
        }
        for g in &inner.globals[first_defined_global..] {
            g.set_owner(&inner);
        }
        // Globals may read earlier (imported) globals, so evaluate in order.
        for (i, (_, init)) in m.globals.iter().enumerate() {
            let value = inner.eval(init);
            inner.globals[first_defined_global + i].store(value);
        }
        for (i, (_, init)) in m.tables.iter().enumerate() {
            if let Some(init) = init {
                let value = inner.eval(init);
                let t = &inner.tables[inner.tables.len() - m.tables.len() + i];
                table::fill(t, 0, value, t.size()).map_err(InstantiationError::Trap)?;
            }
        }
        let elems: Vec<Arc<[Slot]>> = m
            .elems
            .iter()
            .map(|e| {
                e.items
                    .iter()
                    .map(|item| Slot::new(inner.eval(item), &inner.elem_owner))
                    .collect()
            })
            .collect();
        *lock(&inner.elems) = elems;

        // Spec order: element segments, then data segments, each in order;
        // active and declared segments are dropped once used.
        for (i, segment) in m.elems.iter().enumerate() {
            let i = i as u32;
            match &segment.mode {
                ElemMode::Passive => {}
                ElemMode::Declared => inner.drop_elem(i),
                ElemMode::Active { table, offset } => {
                    let offset = inner.eval(offset).i32() as u32;
                    let items = inner.elem(i);
                    let len = u32::try_from(items.len()).expect("segment lengths are u32");
                    table::init(&inner.tables[*table as usize], offset, &items, 0, len)
                        .map_err(InstantiationError::Trap)?;
                    inner.drop_elem(i);
                }
            }
        }
        for (i, segment) in m.datas.iter().enumerate() {
            if let Some((mem, offset)) = &segment.active {
                let offset = inner.eval(offset).i32() as u32;
                let len = segment.bytes.len() as u64;
                memory::init(
                    &inner.memories[*mem as usize],
                    u64::from(offset),
                    &segment.bytes,
                    0,
                    len,
                )
                .map_err(InstantiationError::Trap)?;
                inner.drop_data(i as u32);
            }
        }
        if let Some(start) = m.start {
            let f = inner.func(start);
            call::call_from_host(&f, &[]).map_err(InstantiationError::Trap)?;
        }
        Ok(Instance(inner))
    }

    /// The export called `name`, if any.
    pub fn export(&self, name: &str) -> Option<Extern> {
        let (_, kind, index) = self.0.module.exports.iter().find(|(n, _, _)| n == name)?;
        let index = *index as usize;
        Some(match kind {
            ExternKind::Func => Extern::Func(self.0.func(index as u32)),
            ExternKind::Table => Extern::Table(self.0.tables[index].exported(&self.0)),
            ExternKind::Memory => Extern::Memory(self.0.memories[index].clone()),
            ExternKind::Global => Extern::Global(self.0.globals[index].exported(&self.0)),
        })
    }

    /// Calls the exported function `name`. An unknown name, a non-function
    /// export, or arguments of the wrong number or types give
    /// `Err(Trap::InvalidInvocation)`.
    pub fn invoke(&self, name: &str, args: &[Value]) -> Result<Vec<Value>, Trap> {
        match self.export(name) {
            Some(Extern::Func(f)) => f.call(args),
            Some(_) => Err(Trap::InvalidInvocation(format!(
                "export `{name}` is not a function"
            ))),
            None => Err(Trap::InvalidInvocation(format!("unknown export `{name}`"))),
        }
    }

    /// The type of function export `name`, if it is one.
    pub fn func_type(&self, name: &str) -> Option<FuncType> {
        match self.export(name)? {
            Extern::Func(f) => Some(f.ty().clone()),
            _ => None,
        }
    }

    /// The value type of global export `name`, if it is one.
    pub fn global_type(&self, name: &str) -> Option<ValType> {
        match self.export(name)? {
            Extern::Global(g) => Some(g.ty().content_type),
            _ => None,
        }
    }
}
