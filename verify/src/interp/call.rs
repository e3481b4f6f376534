//! Calls that start outside wasm code: `Instance::invoke`, `FuncRef::call`
//! (also from inside a host function, i.e. re-entry) and the start
//! function; and calls of host functions from wasm.
//!
//! Both directions check what crosses the boundary: arguments from the
//! embedder against the callee's type (an `Err`, never a panic), results
//! of host functions against theirs (a trap). Re-entry nests native
//! frames, so its depth per thread is bounded.

use super::exec;
use super::func::{FuncInner, FuncRef, HostFn};
use super::trap::Trap;
use super::value::Value;
use std::cell::Cell;
use std::sync::Arc;
use wasmparser::FuncType;

/// Most nested invocations per thread (wasm -> host -> wasm -> ...). Each
/// costs one native `run` frame, so this bounds native stack use.
pub const MAX_NESTING: u32 = 64;

thread_local! {
    static NESTING: Cell<u32> = const { Cell::new(0) };
}

/// Counts one nested invocation for as long as it lives.
struct NestingGuard;

impl NestingGuard {
    fn enter() -> Result<NestingGuard, Trap> {
        NESTING.with(|n| {
            if n.get() >= MAX_NESTING {
                return Err(Trap::StackExhausted);
            }
            n.set(n.get() + 1);
            Ok(NestingGuard)
        })
    }
}

impl Drop for NestingGuard {
    fn drop(&mut self) {
        NESTING.with(|n| n.set(n.get() - 1));
    }
}

/// Checks embedder-supplied arguments against a function type.
fn check_args(ty: &FuncType, args: &[Value]) -> Result<(), Trap> {
    if args.len() != ty.params().len() {
        return Err(Trap::InvalidInvocation(format!(
            "expected {} arguments for {ty}, got {}",
            ty.params().len(),
            args.len()
        )));
    }
    for (i, (arg, want)) in args.iter().zip(ty.params()).enumerate() {
        if !arg.has_type(*want) {
            return Err(Trap::InvalidInvocation(format!(
                "argument {i} is {arg:?}, expected {want}"
            )));
        }
    }
    Ok(())
}

/// Entry point for every call that starts outside wasm code: `invoke`,
/// `FuncRef::call`, the start function.
pub(crate) fn call_from_host(func: &FuncRef, args: &[Value]) -> Result<Vec<Value>, Trap> {
    check_args(func.ty(), args)?;
    match &*func.0 {
        FuncInner::Host { ty, call } => call_host(ty, call, args),
        FuncInner::Wasm {
            instance, index, ..
        } => {
            let _guard = NestingGuard::enter()?;
            exec::run(Arc::clone(instance), *index, args)
        }
    }
}

/// Runs a host function and checks what it returns.
pub(crate) fn call_host(ty: &FuncType, call: &HostFn, args: &[Value]) -> Result<Vec<Value>, Trap> {
    let results = call(args)?;
    let ok = results.len() == ty.results().len()
        && results
            .iter()
            .zip(ty.results())
            .all(|(v, t)| v.has_type(*t));
    if !ok {
        return Err(Trap::Host(format!(
            "host function of type {ty} returned {results:?}"
        )));
    }
    Ok(results)
}
