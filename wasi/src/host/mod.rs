//! The host functions, one per witx function, grouped by witx module.
//!
//! Each takes the program's context, the guest's memory and its decoded
//! arguments, and returns `Ok` or a [`Fail`](crate::fail::Fail); the
//! linker glue (`crate::linker`) does the decoding and the errno mapping.

pub(crate) mod args;
pub(crate) mod clock;
pub(crate) mod fd;
pub(crate) mod path;
pub(crate) mod poll;
pub(crate) mod proc;
pub(crate) mod random;
pub(crate) mod sched;
pub(crate) mod sock;
pub(crate) mod thread;
