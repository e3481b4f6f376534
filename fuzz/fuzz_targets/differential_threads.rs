//! Threaded programs on real threads vs. the interpreter run sequentially.
#![cfg_attr(fuzzing, no_main)]

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    weft_fuzz::drive(weft_fuzz::differential_threads::run, data);
});

#[cfg(not(fuzzing))]
fn main() {}
