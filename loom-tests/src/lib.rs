//! loom models of weft-core live in `tests/`; this library is empty on purpose.
