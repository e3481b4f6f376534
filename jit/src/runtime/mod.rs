//! The runtime: stores, instances and the objects they own, and the entry
//! points generated code calls.

pub(crate) mod builtins;
pub(crate) mod func;
pub(crate) mod global;
pub(crate) mod instance;
pub(crate) mod interrupt;
pub(crate) mod libcalls;
pub(crate) mod limits;
pub(crate) mod memory;
pub(crate) mod memory_images;
pub(crate) mod shared_atomics;
pub(crate) mod stack;
pub(crate) mod store;
pub(crate) mod table;
pub(crate) mod values;
