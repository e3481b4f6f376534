//! Memory limits, the reservation policy, and the growth arithmetic.
//!
//! All of the "can this memory have that many pages" decisions live here as
//! pure functions over `u64`, so that they can be property-tested without
//! mapping anything and so that `Memory` and `SharedMemory` make exactly the
//! same decisions.

use std::fmt;

use super::{WASM_PAGE_SIZE, WASM32_MAX_PAGES};

/// The limits a memory is declared with, in wasm pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryLimits {
    /// Pages the memory starts with.
    pub minimum: u64,
    /// Pages the memory may grow to; `None` means the 32-bit limit of
    /// [`WASM32_MAX_PAGES`].
    pub maximum: Option<u64>,
    /// Whether the memory is shared between threads (wasm `shared`).
    pub shared: bool,
}

/// How much address space the engine lets one memory reserve.
///
/// Every memory reserves its whole maximum up front so that its base never
/// moves; this cap bounds that reservation. A memory whose maximum lies
/// beyond the cap reserves the cap and fails any `grow` past it.
#[derive(Clone, Copy, Debug)]
pub struct ReservationPolicy {
    /// The most bytes of address space one memory may reserve. Rounded down
    /// to a whole number of wasm pages.
    pub max_reserved_bytes: u64,
}

impl Default for ReservationPolicy {
    /// 4 GiB: the whole 32-bit index space, so the default never limits a
    /// wasm32 memory.
    fn default() -> Self {
        Self {
            max_reserved_bytes: WASM32_MAX_PAGES * WASM_PAGE_SIZE as u64,
        }
    }
}

/// Why a memory could not be created.
#[derive(Debug)]
#[non_exhaustive]
pub enum MemoryError {
    /// The declared minimum is larger than the declared maximum.
    MinimumExceedsMaximum {
        /// Declared minimum, in pages.
        minimum: u64,
        /// Declared maximum, in pages.
        maximum: u64,
    },
    /// The declared minimum is beyond the 65536 pages of a 32-bit memory.
    MinimumTooLarge {
        /// Declared minimum, in pages.
        minimum: u64,
    },
    /// The declared maximum is beyond the 65536 pages of a 32-bit memory.
    MaximumTooLarge {
        /// Declared maximum, in pages.
        maximum: u64,
    },
    /// A shared memory must declare a maximum (the wasm threads rule).
    SharedWithoutMaximum,
    /// The limits' `shared` flag does not match the kind of memory asked
    /// for: `Memory` is never shared, `SharedMemory` always is.
    SharednessMismatch {
        /// Whether the limits said `shared`.
        limits_shared: bool,
    },
    /// The minimum alone needs more address space than the policy allows.
    ExceedsReservation {
        /// Bytes the minimum needs.
        needed_bytes: u64,
        /// Bytes the policy allows (rounded down to whole pages).
        cap_bytes: u64,
    },
    /// A memory image covers more than the memory's minimum.
    ImageExceedsMinimum {
        /// Bytes the image covers.
        image_bytes: u64,
        /// Bytes of the memory's minimum.
        minimum_bytes: u64,
    },
    /// The operating system refused to reserve the address space.
    Reserve {
        /// Bytes asked for.
        bytes: u64,
        /// The OS error.
        source: std::io::Error,
    },
    /// The operating system refused to make reserved pages accessible.
    Commit {
        /// Bytes asked for.
        bytes: u64,
        /// The OS error.
        source: std::io::Error,
    },
}

impl fmt::Display for MemoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MinimumExceedsMaximum { minimum, maximum } => write!(
                f,
                "memory minimum ({minimum} pages) is larger than its maximum ({maximum} pages)"
            ),
            Self::MinimumTooLarge { minimum } => write!(
                f,
                "memory minimum ({minimum} pages) exceeds the limit of {WASM32_MAX_PAGES} pages"
            ),
            Self::MaximumTooLarge { maximum } => write!(
                f,
                "memory maximum ({maximum} pages) exceeds the limit of {WASM32_MAX_PAGES} pages"
            ),
            Self::SharedWithoutMaximum => write!(f, "shared memory must have a maximum size"),
            Self::SharednessMismatch {
                limits_shared: true,
            } => write!(
                f,
                "limits are shared but a non-shared memory was asked for (use SharedMemory)"
            ),
            Self::SharednessMismatch {
                limits_shared: false,
            } => write!(f, "limits are not shared but a shared memory was asked for"),
            Self::ExceedsReservation {
                needed_bytes,
                cap_bytes,
            } => write!(
                f,
                "memory minimum needs {needed_bytes} bytes, more than the reservation cap of {cap_bytes} bytes"
            ),
            Self::ImageExceedsMinimum {
                image_bytes,
                minimum_bytes,
            } => write!(
                f,
                "memory image of {image_bytes} bytes exceeds the memory's minimum of {minimum_bytes} bytes"
            ),
            Self::Reserve { bytes, source } => {
                write!(f, "cannot reserve {bytes} bytes of address space: {source}")
            }
            Self::Commit { bytes, source } => {
                write!(f, "cannot commit {bytes} bytes of memory: {source}")
            }
        }
    }
}

impl std::error::Error for MemoryError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Reserve { source, .. } | Self::Commit { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// What to map for a memory: decided once, at creation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Bytes of address space to reserve; a whole number of pages.
    pub(crate) reserved_bytes: usize,
    /// Bytes to commit at creation (the minimum).
    pub(crate) initial_bytes: usize,
}

/// Checks `limits` and decides the reservation under `policy`.
///
/// `want_shared` is the kind of memory being created; it must match
/// `limits.shared`.
pub(crate) fn plan(
    limits: MemoryLimits,
    policy: ReservationPolicy,
    want_shared: bool,
) -> Result<Plan, MemoryError> {
    if limits.shared != want_shared {
        return Err(MemoryError::SharednessMismatch {
            limits_shared: limits.shared,
        });
    }
    if limits.minimum > WASM32_MAX_PAGES {
        return Err(MemoryError::MinimumTooLarge {
            minimum: limits.minimum,
        });
    }
    if let Some(maximum) = limits.maximum {
        if maximum > WASM32_MAX_PAGES {
            return Err(MemoryError::MaximumTooLarge { maximum });
        }
        if limits.minimum > maximum {
            return Err(MemoryError::MinimumExceedsMaximum {
                minimum: limits.minimum,
                maximum,
            });
        }
    } else if limits.shared {
        return Err(MemoryError::SharedWithoutMaximum);
    }
    let page = WASM_PAGE_SIZE as u64;
    // Both products are at most 65536 * 65536 = 2^32: no overflow in u64.
    let wanted = limits.maximum.unwrap_or(WASM32_MAX_PAGES) * page;
    let cap = policy.max_reserved_bytes / page * page;
    let reserved = wanted.min(cap);
    let initial = limits.minimum * page;
    if initial > reserved {
        return Err(MemoryError::ExceedsReservation {
            needed_bytes: initial,
            cap_bytes: cap,
        });
    }
    let too_big = |bytes: u64| MemoryError::Reserve {
        bytes,
        source: std::io::Error::new(
            std::io::ErrorKind::OutOfMemory,
            "larger than this host's address space",
        ),
    };
    Ok(Plan {
        reserved_bytes: usize::try_from(reserved).map_err(|_| too_big(reserved))?,
        initial_bytes: usize::try_from(initial).map_err(|_| too_big(initial))?,
    })
}

/// The page count after growing `current_pages` by `delta_pages`, or `None`
/// (wasm's `-1`) if it would pass the declared maximum, the 65536-page limit
/// or the reservation. Never overflows, for any inputs.
pub(crate) fn grow_target(
    current_pages: u64,
    delta_pages: u64,
    maximum: Option<u64>,
    reserved_bytes: usize,
) -> Option<u64> {
    let target = current_pages.checked_add(delta_pages)?;
    let limit = maximum
        .unwrap_or(WASM32_MAX_PAGES)
        .min(WASM32_MAX_PAGES)
        .min(reserved_bytes as u64 / WASM_PAGE_SIZE as u64);
    (target <= limit).then_some(target)
}
