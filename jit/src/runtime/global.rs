//! Globals in the API.

use crate::error::{Error, Result};
use crate::runtime::store::{AsContext, AsContextMut, GlobalData, StoreOpaque};
use crate::runtime::values::Val;
use crate::types::GlobalType;

/// A global of one store.
///
/// ```
/// use weft::{Engine, Global, GlobalType, Store, Val, ValType};
/// let mut store = Store::new(&Engine::default(), ());
/// let g = Global::new(&mut store, GlobalType::new(ValType::I64, true), Val::I64(7))?;
/// g.set(&mut store, Val::I64(8))?;
/// assert_eq!(g.get(&store)?, Val::I64(8));
/// # Ok::<(), weft::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Global {
    store_id: u64,
    index: u32,
}

impl Global {
    pub(crate) fn index(self) -> u32 {
        self.index
    }

    /// Creates a global of type `ty` holding `value`.
    pub fn new(mut store: impl AsContextMut, ty: GlobalType, value: Val) -> Result<Global> {
        let store = &mut store.as_context_mut().0.opaque;
        if value.ty() != ty.content {
            return Err(Error::usage(format!(
                "global of type {} initialized with {}",
                ty.content,
                value.ty()
            )));
        }
        let bits = value.to_slot(store)?;
        Ok(store.push_global(ty, bits))
    }

    pub(crate) fn from_parts(store_id: u64, index: u32) -> Global {
        Global { store_id, index }
    }

    fn data<'s>(&self, store: &'s StoreOpaque) -> Result<&'s GlobalData> {
        store.check_store(self.store_id, "global")?;
        store
            .global(self.index)
            .ok_or_else(|| Error::usage("global handle out of range"))
    }

    /// The global's type.
    pub fn ty(&self, store: impl AsContext) -> Result<GlobalType> {
        self.ty_opaque(&store.as_context().0.opaque)
    }

    pub(crate) fn ty_opaque(&self, store: &StoreOpaque) -> Result<GlobalType> {
        Ok(self.data(store)?.ty)
    }

    /// The current value.
    pub fn get(&self, store: impl AsContext) -> Result<Val> {
        let store = &store.as_context().0.opaque;
        let g = self.data(store)?;
        // SAFETY: the store is borrowed, so no wasm code runs and nothing
        // writes the definition during this read.
        let bits = unsafe { (*g.definition.get()).bits };
        Val::from_slot(store, g.ty.content, bits)
    }

    /// Sets the value; the global must be mutable and `value` of its type.
    pub fn set(&self, mut store: impl AsContextMut, value: Val) -> Result<()> {
        let store = &mut store.as_context_mut().0.opaque;
        let g = self.data(store)?;
        if !g.ty.mutable {
            return Err(Error::usage("set of an immutable global"));
        }
        if value.ty() != g.ty.content {
            return Err(Error::usage(format!(
                "global of type {} set to {}",
                g.ty.content,
                value.ty()
            )));
        }
        let bits = value.to_slot(store)?;
        let g = self.data(store)?;
        // SAFETY: exclusive store borrow: no wasm code runs, no other access.
        unsafe { (*g.definition.get()).bits = bits };
        Ok(())
    }
}
