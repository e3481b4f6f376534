//! The translator: wasm operators to Cranelift IR, one module per
//! instruction family.

pub(crate) mod numeric;
