//! Generated modules instantiated with generated imports, start function run.
#![cfg_attr(fuzzing, no_main)]

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    weft_fuzz::drive(weft_fuzz::instantiate::run, data);
});

#[cfg(not(fuzzing))]
fn main() {}
