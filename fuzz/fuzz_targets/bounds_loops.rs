//! Affine loops near the end of memory on weft with and without its
//! bounds-check optimizations vs. the reference interpreter.
#![cfg_attr(fuzzing, no_main)]

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    weft_fuzz::drive(weft_fuzz::bounds_loops::run, data);
});

#[cfg(not(fuzzing))]
fn main() {}
