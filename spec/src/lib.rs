//! weft-spec: runs `.wast` spec tests on weft's engines.
