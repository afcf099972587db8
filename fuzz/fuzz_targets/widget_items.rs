//! The widget's `items` rules under libFuzzer: the attribute text, read the way the widget's
//! `read_items` reads it in a browser (`tests/items.rs` has the same walk and the property).
#![no_main]

use kassa::options::{parse_items, RawCart, RawLine, RawValue};
use serde_json::Value;

fn raw_cart(text: &str) -> RawCart {
    let Ok(value) = serde_json::from_str::<Value>(text) else { return RawCart::NotJson };
    let Value::Array(lines) = value else { return RawCart::NotArray };
    RawCart::Lines(
        lines
            .iter()
            .map(|line| {
                let Value::Object(object) = line else { return RawLine::NotObject };
                let get = |key: &str| match object.get(key) {
                    None | Some(Value::Null) => RawValue::Missing,
                    Some(Value::String(s)) => RawValue::Str(s.clone()),
                    Some(Value::Number(n)) => n.as_f64().map_or(RawValue::Other, RawValue::Num),
                    Some(_) => RawValue::Other,
                };
                RawLine::Object {
                    sku: get("sku"),
                    quantity: get("quantity"),
                    start_date: get("start_date"),
                    end_date: get("end_date"),
                    unknown: object
                        .keys()
                        .find(|k| {
                            !matches!(k.as_str(), "sku" | "quantity" | "start_date" | "end_date")
                        })
                        .cloned(),
                }
            })
            .collect(),
    )
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match parse_items(raw_cart(text)) {
        Ok(items) => {
            assert!((1..=kassa_wire::MAX_CART_LINES).contains(&items.len()));
            for item in &items {
                assert!((1..=kassa_wire::MAX_QUANTITY).contains(&item.quantity));
            }
        }
        Err(e) => assert!(!e.message().is_empty()),
    }
});
