//! Globals: the `GlobalRef` handle.

use super::value::Value;
use super::{Error, ErrorKind};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use wasmparser::{GlobalType, ValType};

/// A global variable, shared by every clone of the handle (so an exported
/// mutable global is seen by every importer).
#[derive(Clone)]
pub struct GlobalRef(Arc<GlobalInner>);

struct GlobalInner {
    ty: ValType,
    mutable: bool,
    value: Mutex<Value>,
}

impl std::fmt::Debug for GlobalRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GlobalRef")
            .field("ty", &self.0.ty)
            .field("mutable", &self.0.mutable)
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
        Ok(GlobalRef(Arc::new(GlobalInner {
            ty,
            mutable,
            value: Mutex::new(value),
        })))
    }

    /// The global's type.
    pub fn ty(&self) -> GlobalType {
        GlobalType {
            content_type: self.0.ty,
            mutable: self.0.mutable,
            shared: false,
        }
    }

    /// The current value.
    pub fn get(&self) -> Value {
        self.lock().clone()
    }

    /// Sets the value from the host; errors if the global is immutable or the
    /// value has the wrong type.
    pub fn set(&self, value: Value) -> Result<(), Error> {
        if !self.0.mutable {
            return Err(Error::new(ErrorKind::Limits(
                "cannot set an immutable global".to_string(),
            )));
        }
        if !value.has_type(self.0.ty) {
            return Err(Error::new(ErrorKind::Limits(format!(
                "value {value:?} is not a {}",
                self.0.ty
            ))));
        }
        *self.lock() = value;
        Ok(())
    }

    /// `global.set` from validated code (type and mutability already
    /// checked), and the initial write during instantiation.
    pub(crate) fn store(&self, value: Value) {
        *self.lock() = value;
    }

    fn lock(&self) -> MutexGuard<'_, Value> {
        // A value is replaced in one assignment: never half-written.
        self.0.value.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
