//! The `catalog` target: [`paved_fuzz::catalog`] under libFuzzer.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| paved_fuzz::catalog(data));
