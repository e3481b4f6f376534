//! The copy-on-write images of a module's defined memories: which memories
//! get one, built once per module and used by every instance.
//!
//! A defined memory gets an image when every active data segment that
//! targets it has a constant offset (`i32.const`) and lies within its
//! minimum. Then instantiating can never trap on that memory's segments,
//! and their combined effect is the same bytes every time: the memory is
//! created from the image (see weft-core's `MemoryImage`) and its segments
//! are not copied again. A memory with any other segment (a `global.get`
//! offset, one past the minimum) gets no image and its segments are
//! copied in order, as before, so that an out-of-bounds segment still traps
//! after the earlier ones took effect.
//!
//! An image only ever moves the *time* at which a memory's segments land
//! (at its creation, before the element segments and the other memories'
//! data segments), never what they write. That is observable only if
//! something else traps during instantiation, and then the instance is
//! never returned: an imaged memory is defined by the module, so without
//! the instance nothing can reach it (a defined shared memory is exported
//! only through the instance too).

use cranelift_entity::EntityRef;
use weft_core::memory::{MemoryImage, WASM_PAGE_SIZE};

use crate::environ::{ConstExpr, DataMode, ModuleInfo};
use crate::index::MemoryIndex;

/// Each defined memory's image, if it has one.
pub(crate) struct MemoryImages {
    /// Memories below this index are imported and have none.
    first_defined: usize,
    /// By defined memory.
    images: Vec<Option<MemoryImage>>,
}

impl MemoryImages {
    /// No images: every memory is initialized by copying its segments.
    pub(crate) fn none() -> MemoryImages {
        MemoryImages {
            first_defined: 0,
            images: Vec::new(),
        }
    }

    /// The images of `info`'s defined memories whose segments qualify; a
    /// memory whose image cannot be built (no memfd on this platform, the
    /// OS refused) gets none and its segments are copied.
    pub(crate) fn build(info: &ModuleInfo) -> MemoryImages {
        let first_defined = info.counts.imported_memories as usize;
        let images = (first_defined..info.memories.len())
            .map(|i| {
                let memory = MemoryIndex::new(i);
                let segments = constant_segments(info, memory)?;
                if segments.is_empty() {
                    // Nothing to copy anyway.
                    return None;
                }
                MemoryImage::new(segments.iter().copied()).ok()
            })
            .collect();
        MemoryImages {
            first_defined,
            images,
        }
    }

    /// The image memory `memory` is created from, if any.
    pub(crate) fn get(&self, memory: MemoryIndex) -> Option<&MemoryImage> {
        let defined = memory.index().checked_sub(self.first_defined)?;
        self.images.get(defined)?.as_ref()
    }
}

/// The active data segments of `memory` as `(offset, bytes)`, in order, if
/// every one has a constant offset and fits the memory's minimum; `None`
/// otherwise.
fn constant_segments(info: &ModuleInfo, memory: MemoryIndex) -> Option<Vec<(u64, &[u8])>> {
    let minimum_bytes = info.memories[memory]
        .minimum
        .checked_mul(WASM_PAGE_SIZE as u64)?;
    let mut segments = Vec::new();
    for segment in info.data.values() {
        let DataMode::Active { memory: m, offset } = &segment.mode else {
            continue;
        };
        if *m != memory {
            continue;
        }
        let ConstExpr::I32(offset) = *offset else {
            return None;
        };
        let offset = u64::from(offset as u32);
        let end = offset.checked_add(segment.bytes.len() as u64)?;
        if end > minimum_bytes {
            return None;
        }
        segments.push((offset, &segment.bytes[..]));
    }
    Some(segments)
}
