//! The country choice of a form: every assigned ISO 3166-1 code (kassa-wire's
//! [`CountryCode::assigned`], the list the backend checks against), each named in the
//! customer's language by the browser (`Intl.DisplayNames` with `type: "region"`) and sorted
//! as that language sorts (`Intl.Collator`), so "Østerrike" comes after "Zambia" in Norwegian
//! and "Österreich" beside "Oman" in German. The names cost the Wasm nothing (the browser has
//! them), and so does the sort: it runs in the few lines of JavaScript below, where the
//! collator is, instead of pulling a sort into the Wasm.

use js_sys::Array;
use kassa_wire::CountryCode;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
export function named_countries(locale, codes) {
  var names = new Intl.DisplayNames([locale], { type: "region" });
  var order = new Intl.Collator([locale]).compare;
  var list = [];
  for (var i = 0; i < codes.length; i += 2) {
    var code = codes.slice(i, i + 2);
    list.push([code, names.of(code) || code]);
  }
  list.sort(function (a, b) { return order(a[1], b[1]); });
  return list.flat();
}
"#)]
extern "C" {
    /// `[code, name, code, name, …]` for the two-letter `codes` run together, sorted by name.
    fn named_countries(locale: &str, codes: &str) -> Array;
}

/// Every country as `(code, name in locale)`, sorted by name as `locale` sorts. A code the
/// browser has no name for is named by its code.
pub fn country_names(locale: &str) -> Vec<(CountryCode, String)> {
    let codes: String = CountryCode::assigned().map(|c| c.as_str().to_owned()).collect();
    let flat = named_countries(locale, &codes);
    (0..flat.length() / 2)
        .filter_map(|i| {
            let code = CountryCode::parse(&flat.get(2 * i).as_string()?).ok()?;
            let name = flat.get(2 * i + 1).as_string()?;
            Some((code, name))
        })
        .collect()
}
