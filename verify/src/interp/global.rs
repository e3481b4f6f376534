//! Globals: the `GlobalRef` handle.

use super::instance::InstanceInner;
use super::slot::{Owner, Slot};
use super::value::Value;
use super::{Error, ErrorKind};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use wasmparser::{GlobalType, ValType};

/// A global variable, shared by every clone of the handle (so an exported
/// mutable global is seen by every importer).
#[derive(Clone)]
pub struct GlobalRef {
    inner: Arc<GlobalInner>,
    /// For a handle exported from an instance: that instance, kept alive
    /// because the global may hold its function weakly (see `slot.rs`).
    _keep_alive: Option<Arc<InstanceInner>>,
}

struct GlobalInner {
    ty: ValType,
    mutable: bool,
    owner: Owner,
    value: Mutex<Slot>,
}

impl std::fmt::Debug for GlobalRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GlobalRef")
            .field("ty", &self.inner.ty)
            .field("mutable", &self.inner.mutable)
            .field("value", &self.get())
            .finish()
    }
}

impl GlobalRef {
    /// Creates a global; errors if `value` is not of type `ty`.
    pub fn new(ty: ValType, mutable: bool, value: Value) -> Result<GlobalRef, Error> {
        if !value.has_type(ty) {
            return Err(Error::new(ErrorKind::Limits(format!(
                "global initial value {value:?} is not a {ty}"
            ))));
        }
        let owner = Owner::default();
        let value = Slot::new(value, &owner);
        Ok(GlobalRef {
            inner: Arc::new(GlobalInner {
                ty,
                mutable,
                owner,
                value: Mutex::new(value),
            }),
            _keep_alive: None,
        })
    }

    /// Marks `instance` as the global's defining instance.
    pub(crate) fn set_owner(&self, instance: &Arc<InstanceInner>) {
        self.inner.owner.set(instance);
    }

    /// A handle for use outside the defining instance, keeping it alive.
    pub(crate) fn exported(&self, instance: &Arc<InstanceInner>) -> GlobalRef {
        GlobalRef {
            inner: Arc::clone(&self.inner),
            _keep_alive: Some(Arc::clone(instance)),
        }
    }

    /// The global's type.
    pub fn ty(&self) -> GlobalType {
        GlobalType {
            content_type: self.inner.ty,
            mutable: self.inner.mutable,
            shared: false,
        }
    }

    /// The current value.
    pub fn get(&self) -> Value {
        self.lock().get()
    }

    /// Sets the value from the host; errors if the global is immutable or the
    /// value has the wrong type.
    pub fn set(&self, value: Value) -> Result<(), Error> {
        if !self.inner.mutable {
            return Err(Error::new(ErrorKind::Limits(
                "cannot set an immutable global".to_string(),
            )));
        }
        if !value.has_type(self.inner.ty) {
            return Err(Error::new(ErrorKind::Limits(format!(
                "value {value:?} is not a {}",
                self.inner.ty
            ))));
        }
        self.store(value);
        Ok(())
    }

    /// `global.set` from validated code (type and mutability already
    /// checked), and the initial write during instantiation.
    pub(crate) fn store(&self, value: Value) {
        let slot = Slot::new(value, &self.inner.owner);
        *self.lock() = slot;
    }

    fn lock(&self) -> MutexGuard<'_, Slot> {
        // A value is replaced in one assignment: never half-written.
        self.inner
            .value
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}
