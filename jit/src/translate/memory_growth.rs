//! Which defined functions may grow a memory, directly or through the
//! functions they call.
//!
//! The translator caches an unshared memory's length and reloads it after
//! every call, since the callee may have grown the memory. A call to a
//! function that provably cannot grow one needs no reload; small helpers
//! (an address computation, an accessor) are the common case, and their
//! callers are the hot loops.
//!
//! Growth can only come from `memory.grow` or from code weft cannot see at
//! compile time: an imported function (the host may grow any memory it can
//! reach) or an indirect call (any function of any table). A function is
//! free of growth if it has none of those and calls only functions that are
//! free of growth themselves: a least fixed point over the call graph,
//! computed by propagating "may grow" from callees to callers.

use cranelift_entity::{EntityRef, PrimaryMap};
use wasmparser::{FunctionBody, Operator, WasmFeatures};

use crate::index::DefinedFuncIndex;

/// For each body (defined function, in order), whether calling it may
/// change the length of a memory. A body that does not decode counts as
/// growing: validation will reject it anyway.
pub(crate) fn may_grow_memory(
    imported_funcs: u32,
    bodies: &[&FunctionBody<'_>],
    features: WasmFeatures,
) -> PrimaryMap<DefinedFuncIndex, bool> {
    let mut may_grow: PrimaryMap<DefinedFuncIndex, bool> = vec![false; bodies.len()].into();
    // callers[callee] = defined functions that call `callee` directly.
    let mut callers: PrimaryMap<DefinedFuncIndex, Vec<DefinedFuncIndex>> =
        vec![Vec::new(); bodies.len()].into();
    for (index, body) in bodies.iter().enumerate() {
        let index = DefinedFuncIndex::new(index);
        match direct_callees(imported_funcs, body, features) {
            Some(callees) => {
                for callee in callees {
                    // The body is not validated yet: the index is checked
                    // before it becomes a `DefinedFuncIndex`.
                    if (callee as usize) < bodies.len() {
                        callers[DefinedFuncIndex::from_u32(callee)].push(index);
                    } else {
                        // Out of range: invalid, rejected later.
                        may_grow[index] = true;
                    }
                }
            }
            None => may_grow[index] = true,
        }
    }
    let mut work: Vec<DefinedFuncIndex> = may_grow
        .iter()
        .filter_map(|(i, &grows)| grows.then_some(i))
        .collect();
    while let Some(callee) = work.pop() {
        for &caller in &callers[callee] {
            if !may_grow[caller] {
                may_grow[caller] = true;
                work.push(caller);
            }
        }
    }
    may_grow
}

/// The defined functions (by defined index) `body` calls directly, or
/// `None` if it may grow a memory itself: it has `memory.grow`, calls an
/// import, calls indirectly, or does not decode.
fn direct_callees(
    imported_funcs: u32,
    body: &FunctionBody<'_>,
    features: WasmFeatures,
) -> Option<Vec<u32>> {
    let mut binary = body.get_binary_reader_for_operators().ok()?;
    binary.set_features(features);
    let mut reader = wasmparser::OperatorsReader::new(binary);
    let mut callees = Vec::new();
    while !reader.eof() {
        match reader.read().ok()? {
            Operator::MemoryGrow { .. }
            | Operator::CallIndirect { .. }
            | Operator::ReturnCallIndirect { .. }
            | Operator::CallRef { .. }
            | Operator::ReturnCallRef { .. } => return None,
            Operator::Call { function_index } | Operator::ReturnCall { function_index } => {
                callees.push(function_index.checked_sub(imported_funcs)?);
            }
            _ => {}
        }
    }
    Some(callees)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyse(wat: &str) -> Vec<bool> {
        analyse_binary(&wat::parse_str(wat).expect("valid text"))
    }

    fn analyse_binary(bytes: &[u8]) -> Vec<bool> {
        let mut bodies = Vec::new();
        let mut imported = 0;
        for payload in wasmparser::Parser::new(0).parse_all(bytes) {
            match payload.expect("valid module") {
                wasmparser::Payload::ImportSection(s) => {
                    for import in s.into_imports() {
                        if matches!(
                            import.expect("valid import").ty,
                            wasmparser::TypeRef::Func(_)
                        ) {
                            imported += 1;
                        }
                    }
                }
                wasmparser::Payload::CodeSectionEntry(body) => bodies.push(body),
                _ => {}
            }
        }
        let refs: Vec<&FunctionBody<'_>> = bodies.iter().collect();
        may_grow_memory(imported, &refs, WasmFeatures::default()).into()
    }

    #[test]
    fn growth_propagates_from_callees_to_callers_only() {
        let flags = analyse(
            r#"(module
                 (memory 1)
                 (func $leaf (result i32) (i32.const 4))
                 (func $grows (drop (memory.grow (i32.const 1))))
                 (func $calls_leaf (drop (call $leaf)))
                 (func $calls_grows (call $grows))
                 (func $indirectly (call $calls_grows))
                 (func $recursive_clean (call $recursive_clean))
                 (func $loop_a (call $loop_b))
                 (func $loop_b (call $loop_a) (call $grows)))"#,
        );
        assert_eq!(
            flags,
            [false, true, false, true, true, false, true, true],
            "leaf, grows, calls_leaf, calls_grows, indirectly, recursive, loop_a, loop_b"
        );
    }

    #[test]
    fn imports_and_indirect_calls_count_as_growth() {
        let flags = analyse(
            r#"(module
                 (import "host" "f" (func $host))
                 (memory 1)
                 (table 1 funcref)
                 (type $t (func))
                 (func $calls_host (call $host))
                 (func $calls_table (call_indirect (type $t) (i32.const 0)))
                 (func $clean))"#,
        );
        assert_eq!(flags, [true, true, false]);
    }

    #[test]
    fn a_call_beyond_every_index_counts_as_growth_without_panicking() {
        // Not validated yet: `call 0xffff_ffff` is no function's index
        // (and, as a `u32`, no entity index at all).
        let bytes = [
            0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // header
            0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type 0: () -> ()
            0x03, 0x02, 0x01, 0x00, // one function of type 0
            0x0a, 0x0a, 0x01, 0x08, 0x00, // code: one body, no locals
            0x10, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x0b, // call 0xffff_ffff, end
        ];
        assert_eq!(analyse_binary(&bytes), [true]);
    }
}
