//! `kassa_providers::fuzzing::stripe_webhook` under libFuzzer (see that module).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kassa_providers::fuzzing::stripe_webhook(data));
