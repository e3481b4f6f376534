//! weft: a WebAssembly runtime whose point is threads you can trust.
