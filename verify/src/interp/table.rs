//! Tables: the `TableRef` handle and the table instructions' semantics.

use super::instance::InstanceInner;
use super::slot::{Owner, Slot};
use super::trap::Trap;
use super::value::Value;
use super::{Error, ErrorKind};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use wasmparser::{RefType, TableType, ValType};

/// The most elements this interpreter lets a table hold: `table.grow` past
/// it fails with -1 (which the spec allows), a larger minimum fails.
pub const ALLOCATION_LIMIT_ELEMENTS: u32 = 10_000_000;

/// A table of references, shared by every clone of the handle.
#[derive(Clone)]
pub struct TableRef {
    inner: Arc<TableInner>,
    /// For a handle exported from an instance: that instance, kept alive
    /// because the table may hold its functions weakly (see `slot.rs`).
    _keep_alive: Option<Arc<InstanceInner>>,
}

struct TableInner {
    element: RefType,
    maximum: Option<u32>,
    owner: Owner,
    elements: Mutex<Vec<Slot>>,
}

impl std::fmt::Debug for TableRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableRef")
            .field("element", &self.inner.element)
            .field("size", &self.size())
            .field("maximum", &self.inner.maximum)
            .finish()
    }
}

impl TableRef {
    /// Creates a table of `minimum` copies of `init`.
    ///
    /// Errors if `init` is not a reference of type `elem`, `elem` is not
    /// `funcref` or `externref`, or the limits are invalid or too large.
    pub fn new(
        elem: RefType,
        minimum: u32,
        maximum: Option<u32>,
        init: Value,
    ) -> Result<TableRef, Error> {
        if !(elem == RefType::FUNCREF || elem == RefType::EXTERNREF) {
            return Err(Error::new(ErrorKind::Unsupported(format!(
                "table element type {elem}"
            ))));
        }
        if !init.has_type(ValType::Ref(elem)) {
            return Err(Error::new(ErrorKind::Limits(format!(
                "table initial value {init:?} is not a {elem}"
            ))));
        }
        if maximum.is_some_and(|m| m < minimum) {
            return Err(Error::new(ErrorKind::Limits(
                "size minimum must not be greater than maximum".to_string(),
            )));
        }
        if minimum > ALLOCATION_LIMIT_ELEMENTS {
            return Err(Error::new(ErrorKind::Limits(format!(
                "table of {minimum} elements is above this interpreter's limit"
            ))));
        }
        // A new table has no owner yet, so `init` is stored as is.
        let owner = Owner::default();
        let init = Slot::new(init, &owner);
        Ok(TableRef {
            inner: Arc::new(TableInner {
                element: elem,
                maximum,
                owner,
                elements: Mutex::new(vec![init; minimum as usize]),
            }),
            _keep_alive: None,
        })
    }

    /// Marks `instance` as the table's defining instance.
    pub(crate) fn set_owner(&self, instance: &Arc<InstanceInner>) {
        self.inner.owner.set(instance);
    }

    /// A handle for use outside the defining instance, keeping it alive.
    pub(crate) fn exported(&self, instance: &Arc<InstanceInner>) -> TableRef {
        TableRef {
            inner: Arc::clone(&self.inner),
            _keep_alive: Some(Arc::clone(instance)),
        }
    }

    /// The table's type, with its current size as the minimum.
    pub fn ty(&self) -> TableType {
        TableType {
            element_type: self.inner.element,
            table64: false,
            initial: u64::from(self.size()),
            maximum: self.inner.maximum.map(u64::from),
            shared: false,
        }
    }

    /// The element type.
    pub fn element(&self) -> RefType {
        self.inner.element
    }

    /// The declared maximum, if any.
    pub fn maximum(&self) -> Option<u32> {
        self.inner.maximum
    }

    /// Current number of elements.
    pub fn size(&self) -> u32 {
        u32::try_from(self.lock().len()).expect("sizes are capped at ALLOCATION_LIMIT_ELEMENTS")
    }

    /// The element at `i`, or `None` if out of bounds.
    pub fn get(&self, i: u32) -> Option<Value> {
        self.lock().get(i as usize).map(Slot::get)
    }

    /// Stores `value` at `i`; errors if out of bounds or of the wrong type.
    pub fn set(&self, i: u32, value: Value) -> Result<(), Trap> {
        if !value.has_type(ValType::Ref(self.inner.element)) {
            return Err(Trap::InvalidInvocation(format!(
                "{value:?} is not a {}",
                self.inner.element
            )));
        }
        let slot = Slot::new(value, &self.inner.owner);
        let mut elements = self.lock();
        *elements.get_mut(i as usize).ok_or(Trap::TableOutOfBounds)? = slot;
        Ok(())
    }

    /// `table.grow`: appends `delta` copies of `init`, returning the old size,
    /// or `None` (wasm's -1) past the maximum or the allocation limit.
    pub fn grow(&self, delta: u32, init: Value) -> Option<u32> {
        let mut elements = self.lock();
        let old = u32::try_from(elements.len()).expect("sizes are capped");
        let new = old.checked_add(delta)?;
        let limit = self
            .inner
            .maximum
            .unwrap_or(u32::MAX)
            .min(ALLOCATION_LIMIT_ELEMENTS);
        if new > limit {
            return None;
        }
        elements.try_reserve_exact(delta as usize).ok()?;
        elements.resize(new as usize, Slot::new(init, &self.inner.owner));
        Some(old)
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Slot>> {
        // Element updates are single assignments: a panic elsewhere cannot
        // leave the vector inconsistent.
        self.inner
            .elements
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn same_as(&self, other: &TableRef) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

/// `[start, start + len)` if it lies within `size` elements.
fn checked_range(size: usize, start: u32, len: u32) -> Result<std::ops::Range<usize>, Trap> {
    let end = u64::from(start) + u64::from(len);
    if end > size as u64 {
        return Err(Trap::TableOutOfBounds);
    }
    Ok(start as usize..end as usize)
}

/// `table.fill`.
pub(crate) fn fill(table: &TableRef, dst: u32, value: Value, len: u32) -> Result<(), Trap> {
    let slot = Slot::new(value, &table.inner.owner);
    let mut elements = table.lock();
    let range = checked_range(elements.len(), dst, len)?;
    elements[range].fill(slot);
    Ok(())
}

/// `table.copy`, overlap-safe, also between two tables.
pub(crate) fn copy(
    dst_table: &TableRef,
    dst: u32,
    src_table: &TableRef,
    src: u32,
    len: u32,
) -> Result<(), Trap> {
    if dst_table.same_as(src_table) {
        // One lock for both ends: the copy is atomic, and slots move as
        // they are (same owner).
        let mut elements = dst_table.lock();
        let src_range = checked_range(elements.len(), src, len)?;
        let dst_range = checked_range(elements.len(), dst, len)?;
        let staged = elements[src_range].to_vec();
        elements[dst_range].clone_from_slice(&staged);
        return Ok(());
    }
    // Two tables: never hold both locks. Values are re-stored, so a weak
    // slot of one owner becomes right for the other.
    let staged: Vec<Value> = {
        let elements = src_table.lock();
        elements[checked_range(elements.len(), src, len)?]
            .iter()
            .map(Slot::get)
            .collect()
    };
    let staged: Vec<Slot> = staged
        .into_iter()
        .map(|v| Slot::new(v, &dst_table.inner.owner))
        .collect();
    let mut elements = dst_table.lock();
    let range = checked_range(elements.len(), dst, len)?;
    elements[range].clone_from_slice(&staged);
    Ok(())
}

/// `table.init`: copies `len` elements of a segment from `src` to `dst`.
pub(crate) fn init(
    table: &TableRef,
    dst: u32,
    segment: &[Slot],
    src: u32,
    len: u32,
) -> Result<(), Trap> {
    let src_range = checked_range(segment.len(), src, len)?;
    let staged: Vec<Slot> = segment[src_range]
        .iter()
        .map(|s| Slot::new(s.get(), &table.inner.owner))
        .collect();
    let mut elements = table.lock();
    let dst_range = checked_range(elements.len(), dst, len)?;
    elements[dst_range].clone_from_slice(&staged);
    Ok(())
}
