//! `kassa_providers::fuzzing::amounts` under libFuzzer (see that module).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kassa_providers::fuzzing::amounts(data));
