//! The widget's `items` rules on any text, shared by the property test (`tests/items.rs`)
//! and the cargo-fuzz target (`fuzz/fuzz_targets/widget_items.rs`), which include this file.

use kassa::options::{parse_items, RawCart};
use kassa_wire::{MAX_CART_LINES, MAX_QUANTITY};

/// What `lib.rs`'s `read_items` makes of the attribute in a browser: the same
/// `Deserialize` impl, with serde_json in place of `JSON.parse` + serde-wasm-bindgen.
pub fn raw_cart(text: &str) -> RawCart {
    serde_json::from_str(text).unwrap_or(RawCart::NotJson)
}

/// Whatever the page writes, the rules answer a cart or one sentence for its owner, and an
/// accepted cart is one the backend's contract allows and reads back unchanged. `Err` says
/// which promise broke.
pub fn check(text: &str) -> Result<(), String> {
    let items = match parse_items(raw_cart(text)) {
        Ok(items) => items,
        Err(e) if e.message().starts_with("This page's cart is invalid: ") => return Ok(()),
        Err(e) => return Err(format!("a message not meant for the page's owner: {}", e.message())),
    };
    if !(1..=MAX_CART_LINES).contains(&items.len()) {
        return Err(format!("{} lines accepted", items.len()));
    }
    for item in &items {
        if !(1..=MAX_QUANTITY).contains(&item.quantity) {
            return Err(format!("quantity accepted: {item:?}"));
        }
        if item.sku.trim().is_empty() || item.sku.chars().any(char::is_control) {
            return Err(format!("sku accepted: {item:?}"));
        }
        let dates = [&item.start_date, &item.end_date];
        if dates.into_iter().flatten().any(|date| date.len() != 10) {
            return Err(format!("date accepted: {item:?}"));
        }
        if let (Some(start), Some(end)) = (&item.start_date, &item.end_date) {
            if end < start {
                return Err(format!("end before start accepted: {item:?}"));
            }
        }
    }
    // The accepted cart, written back as the page would, is accepted unchanged.
    let written = serde_json::to_string(&items).map_err(|e| e.to_string())?;
    match parse_items(raw_cart(&written)) {
        Ok(again) if again == items => Ok(()),
        other => Err(format!("{written} read back as {other:?}")),
    }
}
