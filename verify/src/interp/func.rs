//! Function references: wasm functions of an instance, or host closures.

use super::call;
use super::instance::InstanceInner;
use super::trap::Trap;
use super::value::Value;
use std::sync::Arc;
use wasmparser::FuncType;

/// The signature of a host function: arguments in, results or a trap out.
pub type HostFn = dyn Fn(&[Value]) -> Result<Vec<Value>, Trap> + Send + Sync;

/// A callable function: a wasm function of some instance, or a host closure.
#[derive(Clone)]
pub struct FuncRef(pub(crate) Arc<FuncInner>);

pub(crate) enum FuncInner {
    /// Function `index` (in the instance's whole function index space, so
    /// always at or past its imported functions) of `instance`.
    Wasm {
        instance: Arc<InstanceInner>,
        index: u32,
        ty: FuncType,
    },
    /// A host closure.
    Host { ty: FuncType, call: Box<HostFn> },
}

impl FuncRef {
    /// Wraps a host closure as a function of type `ty`. The interpreter
    /// checks its results against `ty` and traps on a mismatch.
    pub fn host(
        ty: FuncType,
        f: impl Fn(&[Value]) -> Result<Vec<Value>, Trap> + Send + Sync + 'static,
    ) -> FuncRef {
        FuncRef(Arc::new(FuncInner::Host {
            ty,
            call: Box::new(f),
        }))
    }

    pub(crate) fn wasm(instance: Arc<InstanceInner>, index: u32, ty: FuncType) -> FuncRef {
        FuncRef(Arc::new(FuncInner::Wasm {
            instance,
            index,
            ty,
        }))
    }

    /// The function's type.
    pub fn ty(&self) -> &FuncType {
        match &*self.0 {
            FuncInner::Wasm { ty, .. } | FuncInner::Host { ty, .. } => ty,
        }
    }

    /// Calls the function. Wrong argument count or types are an
    /// `Err(Trap::InvalidInvocation)`, never a panic. Safe to call from host
    /// functions that the interpreter itself is running (re-entry).
    pub fn call(&self, args: &[Value]) -> Result<Vec<Value>, Trap> {
        call::call_from_host(self, args)
    }
}

impl PartialEq for FuncRef {
    /// Identity: the same function of the same instance, or the same host
    /// closure. (`ref.func` may build several handles for one function.)
    fn eq(&self, other: &Self) -> bool {
        match (&*self.0, &*other.0) {
            (
                FuncInner::Wasm {
                    instance: a,
                    index: i,
                    ..
                },
                FuncInner::Wasm {
                    instance: b,
                    index: j,
                    ..
                },
            ) => Arc::ptr_eq(a, b) && i == j,
            _ => Arc::ptr_eq(&self.0, &other.0),
        }
    }
}

impl std::fmt::Debug for FuncRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &*self.0 {
            FuncInner::Wasm { index, ty, .. } => write!(f, "FuncRef(wasm func {index}: {ty})"),
            FuncInner::Host { ty, .. } => write!(f, "FuncRef(host: {ty})"),
        }
    }
}
