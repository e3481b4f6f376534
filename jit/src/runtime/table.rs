//! Tables in the API.

use crate::error::{Error, Result};
use crate::runtime::limits;
use crate::runtime::store::{AsContext, AsContextMut, StoreOpaque, TableData};
use crate::runtime::values::Val;
use crate::types::TableType;

/// A table of one store.
///
/// ```
/// use weft::{Engine, Store, Table, TableType, Val, ValType};
/// let mut store = Store::new(&Engine::default(), ());
/// let t = Table::new(&mut store, TableType::new(ValType::FuncRef, 2, None), Val::FuncRef(None))?;
/// assert_eq!(t.grow(&mut store, 3, Val::FuncRef(None))?, 2);
/// assert_eq!(t.size(&store)?, 5);
/// # Ok::<(), weft::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Table {
    store_id: u64,
    index: u32,
}

impl Table {
    pub(crate) fn from_parts(store_id: u64, index: u32) -> Table {
        Table { store_id, index }
    }

    pub(crate) fn index(self) -> u32 {
        self.index
    }

    /// Creates a table of type `ty` with every element `init`, if the
    /// store's [`ResourceLimiter`](crate::ResourceLimiter) allows another
    /// table of that minimum size.
    pub fn new(mut store: impl AsContextMut, ty: TableType, init: Val) -> Result<Table> {
        let (store, limiter) = limits::split(store.as_context_mut().0);
        if init.ty() != ty.element {
            return Err(Error::usage("table initializer of the wrong type"));
        }
        let init = init.to_slot(store)? as usize;
        limits::check_counts(store, limiter, 0, 0, 1)?;
        limits::check_table_minimum(limiter, &ty)?;
        let data = TableData::new(ty, init)?;
        Ok(store.push_created_table(data))
    }

    fn data<'s>(&self, store: &'s StoreOpaque) -> Result<&'s TableData> {
        store.check_store(self.store_id, "table")?;
        store.table(self.index).ok_or_else(out_of_range)
    }

    fn data_mut<'s>(&self, store: &'s mut StoreOpaque) -> Result<&'s mut TableData> {
        store.check_store(self.store_id, "table")?;
        store.table_mut(self.index).ok_or_else(out_of_range)
    }

    /// The table's type (its minimum is the current size).
    pub fn ty(&self, store: impl AsContext) -> Result<TableType> {
        self.ty_opaque(&store.as_context().0.opaque)
    }

    pub(crate) fn ty_opaque(&self, store: &StoreOpaque) -> Result<TableType> {
        let t = self.data(store)?;
        let mut ty = t.ty;
        ty.minimum = t.elements.len() as u32;
        Ok(ty)
    }

    /// Current size in elements.
    pub fn size(&self, store: impl AsContext) -> Result<u32> {
        Ok(self.data(&store.as_context().0.opaque)?.elements.len() as u32)
    }

    /// Element `index`, or `None` if out of bounds.
    pub fn get(&self, store: impl AsContext, index: u32) -> Result<Option<Val>> {
        let store = &store.as_context().0.opaque;
        let t = self.data(store)?;
        match t.elements.get(index as usize) {
            Some(&bits) => Ok(Some(Val::from_slot(store, t.ty.element, bits as u128)?)),
            None => Ok(None),
        }
    }

    /// Sets element `index`.
    pub fn set(&self, mut store: impl AsContextMut, index: u32, value: Val) -> Result<()> {
        let store = &mut store.as_context_mut().0.opaque;
        let ty = self.data(store)?.ty;
        if value.ty() != ty.element {
            return Err(Error::usage("table element of the wrong type"));
        }
        let bits = value.to_slot(store)? as usize;
        let slot = self
            .data_mut(store)?
            .elements
            .get_mut(index as usize)
            .ok_or_else(|| Error::usage("table index out of bounds"))?;
        *slot = bits;
        Ok(())
    }

    /// Grows by `delta` elements set to `init`; the old size. Asks the
    /// store's [`ResourceLimiter`](crate::ResourceLimiter) first: a refusal
    /// is an `Err` with the table unchanged.
    pub fn grow(&self, mut store: impl AsContextMut, delta: u32, init: Val) -> Result<u32> {
        let (store, limiter) = limits::split(store.as_context_mut().0);
        let ty = self.data(store)?.ty;
        if init.ty() != ty.element {
            return Err(Error::usage("table initializer of the wrong type"));
        }
        let bits = init.to_slot(store)? as usize;
        limits::grow_table(self.data_mut(store)?, delta, bits, limiter)?
            .ok_or_else(|| Error::usage(format!("failed to grow table by {delta}")))
    }
}

fn out_of_range() -> Error {
    Error::usage("table handle out of range")
}
