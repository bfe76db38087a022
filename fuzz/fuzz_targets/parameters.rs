//! The `parameters` target: [`paved_fuzz::parameters`] under libFuzzer.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| paved_fuzz::parameters(data));
