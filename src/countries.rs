//! The country choice of a form: every assigned ISO 3166-1 code (kassa-wire's
//! [`CountryCode::assigned`], the list the backend checks against), each named in the
//! customer's language by the browser (`Intl.DisplayNames` with `type: "region"`) and sorted
//! as that language sorts (`Intl.Collator`), so "Østerrike" comes after "Zambia" in Norwegian
//! and "Österreich" beside "Oman" in German. The names cost the Wasm nothing: the browser has
//! them.

use js_sys::{Array, Function, Intl, Object, Reflect};
use kassa_wire::CountryCode;
use wasm_bindgen::prelude::*;

/// Every country as `(code, name in locale)`, sorted by name as `locale` sorts. A code the
/// browser has no name for is named by its code.
pub fn country_names(locale: &str) -> Vec<(CountryCode, String)> {
    let locales = Array::of1(&JsValue::from_str(locale));
    let options = Object::new();
    let _ = Reflect::set(&options, &JsValue::from_str("type"), &JsValue::from_str("region"));
    let names = Intl::DisplayNames::new(&locales, &options);
    let mut list: Vec<(CountryCode, JsValue)> = CountryCode::assigned()
        .map(|code| {
            let name = names.of(code.as_str()).map_or_else(|| code.as_str().into(), JsValue::from);
            (code, name)
        })
        .collect();
    let compare: Function = Intl::Collator::new(&locales, &Object::new()).compare();
    list.sort_by(|(_, a), (_, b)| {
        let order = compare.call2(&JsValue::UNDEFINED, a, b).ok().and_then(|o| o.as_f64());
        order.unwrap_or(0.0).partial_cmp(&0.0).unwrap_or(core::cmp::Ordering::Equal)
    });
    list.into_iter()
        .map(|(code, name)| (code, name.as_string().unwrap_or_else(|| code.as_str().to_owned())))
        .collect()
}
