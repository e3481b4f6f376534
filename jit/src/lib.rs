//! weft: a WebAssembly runtime whose point is threads you can trust.

pub mod trap;
#[allow(dead_code)] // Filled in as the translator lands.
mod translate;

pub use trap::TrapCode;
