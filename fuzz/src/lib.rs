//! weft's fuzz targets. Each target's logic is a library module with a
//! `run(&mut Unstructured) -> Result<()>` and a seeded `#[test]`; the files
//! under `fuzz_targets/` are thin glue for `cargo +nightly fuzz run`.
