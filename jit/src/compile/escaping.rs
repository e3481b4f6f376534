//! Which defined functions escape: the ones reachable through a
//! `VMFuncRef`, which need an array entry.
//!
//! Code inside a module calls a defined function's body directly; only a
//! call through a `VMFuncRef` (from the host, another instance, a table,
//! or the start function's invocation) goes through the function's array
//! entry. A `VMFuncRef` of a defined function can only come from:
//!
//! - an export (the host's `Func`, or another module importing it);
//! - an element segment item, of any mode (a table, `table.init`);
//! - `ref.func` in a module-level constant expression (a global's
//!   initializer, an element item);
//! - `ref.func` in a function body, which validation accepts only for a
//!   function *declared* by one of the above (wasm's `C.refs`: wasmparser
//!   fails such a body with "undeclared function reference");
//! - the start function, which the runtime invokes through its entry.
//!
//! So the set below, read from exactly those places, holds every function
//! whose entry can ever be asked for; the others get none compiled. Their
//! `VMFuncRef`s (the slots exist for every function) hold a host stub that
//! returns a "weft bug" trap instead of an entry, so even a bug in this
//! argument could not jump to missing code.

use cranelift_entity::PrimaryMap;

use crate::environ::{ConstExpr, DataMode, ElementMode, EntityIndex, ModuleInfo};
use crate::index::{DefinedFuncIndex, FuncIndex};

/// For each defined function of `info`, whether it escapes.
pub(crate) fn escaping_functions(info: &ModuleInfo) -> PrimaryMap<DefinedFuncIndex, bool> {
    let mut escaping: PrimaryMap<DefinedFuncIndex, bool> =
        (0..info.counts.defined_funcs).map(|_| false).collect();
    let mut mark = |func: FuncIndex| {
        if let Some(d) = info.defined_func_index(func)
            && let Some(flag) = escaping.get_mut(d)
        {
            *flag = true;
        }
    };
    for (_, index) in &info.exports {
        if let EntityIndex::Func(f) = *index {
            mark(f);
        }
    }
    if let Some(start) = info.start {
        mark(start);
    }
    for expr in module_const_exprs(info) {
        if let ConstExpr::RefFunc(f) = expr {
            mark(f);
        }
    }
    escaping
}

/// Every constant expression outside function bodies: globals'
/// initializers, element segments' offsets and items, data segments'
/// offsets.
fn module_const_exprs(info: &ModuleInfo) -> impl Iterator<Item = ConstExpr> + '_ {
    let globals = info.global_inits.iter().copied();
    let elements = info.elements.values().flat_map(|seg| {
        let offset = match &seg.mode {
            ElementMode::Active { offset, .. } => Some(*offset),
            ElementMode::Passive | ElementMode::Declared => None,
        };
        offset.into_iter().chain(seg.items.iter().copied())
    });
    let data = info.data.values().filter_map(|seg| match &seg.mode {
        DataMode::Active { offset, .. } => Some(*offset),
        DataMode::Passive => None,
    });
    globals.chain(elements).chain(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Engine;
    use crate::environ::read_module;

    fn escaping(wat: &str) -> Vec<bool> {
        let engine = Engine::default();
        let binary = wat::parse_str(wat).expect("valid text");
        let (info, _) = read_module(&engine, &binary).expect("valid module");
        escaping_functions(&info).values().copied().collect()
    }

    #[test]
    fn exports_elements_ref_funcs_and_start_escape_and_nothing_else() {
        let flags = escaping(
            r#"(module
                 (import "env" "f" (func))
                 (table 2 funcref)
                 (func $internal)
                 (func $exported (export "e"))
                 (func $in_active_table)
                 (func $in_passive)
                 (func $in_declared)
                 (func $in_global)
                 (func $start)
                 (func $internal_too (call $internal))
                 (elem (i32.const 0) func $in_active_table)
                 (elem func $in_passive)
                 (elem declare funcref (ref.func $in_declared))
                 (global funcref (ref.func $in_global))
                 (start $start))"#,
        );
        assert_eq!(
            flags,
            [false, true, true, true, true, true, true, false],
            "by defined index"
        );
    }

    #[test]
    fn a_body_cannot_take_a_reference_to_an_undeclared_function() {
        let engine = Engine::default();
        let undeclared = r#"(module
            (func $hidden)
            (func (export "f") (result funcref) (ref.func $hidden)))"#;
        let error = crate::Module::new(&engine, undeclared).expect_err("invalid");
        assert!(
            error.to_string().contains("undeclared function reference"),
            "{error}"
        );
    }
}
