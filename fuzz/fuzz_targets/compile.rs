//! Raw, generated and corrupted bytes through weft::Module::from_binary.
#![cfg_attr(fuzzing, no_main)]

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    weft_fuzz::drive(weft_fuzz::compile::run, data);
});

#[cfg(not(fuzzing))]
fn main() {}
