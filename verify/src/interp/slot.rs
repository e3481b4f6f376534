//! How tables, globals and element segments hold references without
//! making an instance own itself.
//!
//! An instance's table, global or element segment that holds one of that
//! same instance's functions would, with a plain strong reference, form a
//! cycle (instance → table → function → instance) and never be freed: a
//! fuzzer creating thousands of instances would run out of memory. So such
//! an entry is held *weakly*, and every handle that leaves the instance
//! ([`Instance::export`](super::Instance::export) of a table or global, and
//! every `FuncRef`) holds the instance strongly instead. A weak entry is
//! therefore only ever read while its owner is alive: the storage is
//! reachable only through the owner or through a handle that keeps it
//! alive. References to *other* instances' functions stay strong (a cycle
//! between two instances that store each other's functions is not broken;
//! that is rare and documented in the module docs).

use super::func::{FuncInner, FuncRef};
use super::instance::InstanceInner;
use super::value::Value;
use std::sync::{Arc, OnceLock, Weak};

/// The instance that defined a table or global, once it exists.
#[derive(Default)]
pub(crate) struct Owner(OnceLock<Weak<InstanceInner>>);

impl Owner {
    /// Records the defining instance; called once, during instantiation.
    pub(crate) fn set(&self, instance: &Arc<InstanceInner>) {
        // A second call would be an instantiation bug; ignoring it keeps the
        // first (correct) owner.
        let _ = self.0.set(Arc::downgrade(instance));
    }

    fn get(&self) -> Option<&Weak<InstanceInner>> {
        self.0.get()
    }
}

/// One stored value.
#[derive(Clone)]
pub(crate) enum Slot {
    Value(Value),
    /// Function `index` of the storage's owning instance, held weakly.
    OwnFunc {
        instance: Weak<InstanceInner>,
        index: u32,
    },
}

impl Slot {
    /// Stores `value` in storage owned by `owner`, weakening a reference to
    /// one of the owner's own functions.
    pub(crate) fn new(value: Value, owner: &Owner) -> Slot {
        if let (Value::FuncRef(Some(f)), Some(owner)) = (&value, owner.get())
            && let FuncInner::Wasm {
                instance, index, ..
            } = &*f.0
            && std::ptr::eq(Arc::as_ptr(instance), owner.as_ptr())
        {
            return Slot::OwnFunc {
                instance: Weak::clone(owner),
                index: *index,
            };
        }
        Slot::Value(value)
    }

    /// The stored value, as a strong reference.
    pub(crate) fn get(&self) -> Value {
        match self {
            Slot::Value(v) => v.clone(),
            Slot::OwnFunc { instance, index } => {
                let instance = instance
                    .upgrade()
                    .expect("storage is only reachable while its owning instance is alive");
                let ty = instance.module.func_types[*index as usize].clone();
                Value::FuncRef(Some(FuncRef::wasm(instance, *index, ty)))
            }
        }
    }
}
