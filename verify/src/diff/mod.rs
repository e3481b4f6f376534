//! The differential harness: one module on the JIT and on the interpreter (being written).
