//! weft-verify: an independent reference interpreter for WebAssembly.

#[cfg(feature = "diff")]
pub mod diff;
