//! The widget's `items` rules under libFuzzer: the attribute text, read the way the widget's
//! `read_items` reads it in a browser, against the promises `tests/items.rs` also checks.
#![no_main]

#[path = "../../tests/support/items_harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Err(broken) = harness::check(text) {
        panic!("{text}: {broken}");
    }
});
