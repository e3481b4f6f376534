//! weft-verify: weft's independent reference interpreter and the tools that
//! check the JIT against it.
//!
//! [`interp`] is the oracle: a small, spec-shaped interpreter for Wasm 2.0
//! (SIMD included) plus threads, which depends on neither `weft-core` nor
//! `weft`.
#![deny(missing_docs)]

pub mod interp;

#[cfg(feature = "diff")]
pub mod diff;
