//! weft-core: the concurrency-critical heart of weft.
//!
//! This crate holds everything in weft that several threads touch at once,
//! kept small so that it can be model-checked with loom (`loom-tests/`)
//! and run under Miri:
//!
//! * [`memory`]: linear memories. The [`VMMemoryDefinition`](memory::VMMemoryDefinition)
//!   layout that JIT code reads, address-space reservation (the base never
//!   moves), growth, the owned [`Memory`](memory::Memory) and the
//!   [`SharedMemory`](memory::SharedMemory) with its host accessors.
//! * [`wait`]: the wait/notify queues behind `memory.atomic.wait*` and
//!   `memory.atomic.notify`, with the argument for why no wake-up is lost.
//! * [`exit`]: how a multi-threaded program ends (first outcome wins, the
//!   exit's action runs once, no spawn past the exit, every thread joined).
//! * [`sync`]: the `std`/loom facade every lock and atomic comes through.
//! * [`vm`]: the `VMContext` layout shared with the JIT.
//!
//! ```
//! use weft_core::memory::{MemoryLimits, ReservationPolicy, SharedMemory};
//! use weft_core::wait::WaitResult;
//!
//! let limits = MemoryLimits { minimum: 1, maximum: Some(2), shared: true };
//! let memory = SharedMemory::new(limits, ReservationPolicy::default())?;
//! memory.store_u32(8, 7)?;
//! // The word is not 0, so the wait returns at once.
//! assert_eq!(memory.wait32(8, 0, -1)?, WaitResult::NotEqual);
//! assert_eq!(memory.grow(1), Some(1));
//! assert_eq!(memory.grow(1), None); // past the maximum
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]

pub mod exit;
pub mod memory;
pub mod sync;
/// The `VMContext` layout shared by the JIT and the runtime.
pub mod vm;
pub mod wait;
