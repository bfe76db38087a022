//! The `webhook` target: [`paved_fuzz::webhook`] under libFuzzer.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| paved_fuzz::webhook(data));
