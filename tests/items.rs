//! The widget's `items` rules (`kassa::options::parse_items`) on hostile input (R-M2): a
//! page's cart attribute is text from outside. Native, so that it runs with the host tests;
//! `fuzz/fuzz_targets/widget_items.rs` drives the same rules from cargo-fuzz.
#![cfg(not(target_arch = "wasm32"))]

#[path = "support/items_harness.rs"]
mod harness;

use harness::{check, raw_cart};
use kassa::options::parse_items;
use proptest::prelude::*;
use serde_json::Value;

/// Cart-shaped JSON text: often almost right, with the contract's keys and awkward values.
fn cart_text() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        prop_oneof![
            Just(0.0),
            Just(1.0),
            Just(99.0),
            Just(100.0),
            Just(-1.0),
            Just(1.5),
            Just(1e300),
            any::<f64>()
        ]
        .prop_filter("JSON numbers are finite", |f: &f64| f.is_finite())
        .prop_map(|f| serde_json::json!(f)),
        "\\PC{0,12}".prop_map(Value::String),
        "(19|20|99)[0-9]{2}-[0-1][0-9]-[0-3][0-9]".prop_map(Value::String),
        Just(Value::String("kayak-2h".into())),
        Just(serde_json::json!([])),
        Just(serde_json::json!({})),
    ];
    let key = prop_oneof![
        Just("sku"),
        Just("quantity"),
        Just("start_date"),
        Just("end_date"),
        Just("price"),
        Just("__proto__")
    ];
    let line = prop_oneof![
        prop::collection::btree_map(key.prop_map(str::to_owned), value.clone(), 0..5)
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        value,
    ];
    prop_oneof![
        prop::collection::vec(line, 0..6).prop_map(|lines| Value::Array(lines).to_string()),
        "\\PC{0,60}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    /// Whatever the page writes, the rules answer a cart or one sentence for its owner, and
    /// an accepted cart is one the backend's contract allows.
    #[test]
    fn any_items_attribute_yields_a_valid_cart_or_a_message_r_m2(text in cart_text()) {
        if let Err(broken) = check(&text) {
            prop_assert!(false, "{}: {}", text, broken);
        }
    }
}

#[test]
fn a_price_in_the_page_is_refused_by_name() {
    let err = parse_items(raw_cart(r#"[{"sku":"kayak-2h","quantity":1,"price":1}]"#)).unwrap_err();
    assert!(err.message().contains("\"price\""), "{}", err.message());
}
