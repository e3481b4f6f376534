//! weft-core's SharedMemory from several threads, checked against invariants.
#![cfg_attr(fuzzing, no_main)]

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    weft_fuzz::drive(weft_fuzz::shared_memory_ops::run, data);
});

#[cfg(not(fuzzing))]
fn main() {}
