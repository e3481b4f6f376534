//! weft-core: the concurrency-critical heart of weft.
//!
//! Shared-memory growth, the wait/notify queues and the VM layout that the
//! JIT compiles against. Everything here is model-checked with loom
//! (`loom-tests/`) and checked with Miri.

pub mod sync;
pub mod memory;
pub mod wait;
pub mod vm;
