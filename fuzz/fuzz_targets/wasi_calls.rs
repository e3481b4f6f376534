//! Random WASI call sequences against a scratch preopen.
#![cfg_attr(fuzzing, no_main)]

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    weft_fuzz::drive(weft_fuzz::wasi_calls::run, data);
});

#[cfg(not(fuzzing))]
fn main() {}
