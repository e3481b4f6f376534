//! weft-verify: an independent reference interpreter for WebAssembly.
