//! The `template` target: [`paved_fuzz::template`] under libFuzzer.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| paved_fuzz::template(data));
