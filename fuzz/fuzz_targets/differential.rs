//! A generated module on weft's JIT vs. the reference interpreter.
#![cfg_attr(fuzzing, no_main)]

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    weft_fuzz::drive(weft_fuzz::differential::run, data);
});

#[cfg(not(fuzzing))]
fn main() {}
