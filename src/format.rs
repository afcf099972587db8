//! Text for people: money and dates through the browser's `Intl`, and small integers.
//!
//! Money goes to `Intl.NumberFormat` as the exact decimal string from
//! [`Money::to_major_string`], never as a float, and the browser does the grouping,
//! decimal mark and currency sign for the customer's locale.

use std::cell::RefCell;

use js_sys::{Array, Function, Object, Reflect};
use kassa_wire::Money;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `Intl.getCanonicalLocales`, which throws a RangeError for a malformed tag.
    #[wasm_bindgen(js_namespace = Intl, js_name = getCanonicalLocales, catch)]
    fn canonical_locales(tag: &str) -> Result<Array, JsValue>;
}

/// Decimal text of an unsigned integer, without `core::fmt`.
pub fn int_text(mut n: u64) -> String {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf[i..].iter().map(|&b| char::from(b)).collect()
}

/// The locale to format with: the attribute's tag if the browser accepts it, else the
/// first of the browser's languages (`navigator.languages`) that we speak, else its first
/// language, else `en`.
pub fn resolve_locale(requested: Option<String>) -> String {
    let navigator = web_sys::window().map(|w| w.navigator());
    let browser: Vec<String> = navigator
        .as_ref()
        .map(|n| n.languages().iter().filter_map(|t| t.as_string()).collect())
        .unwrap_or_default();
    let preferred = crate::lang::first_spoken(&browser)
        .or(browser.first())
        .cloned()
        .or_else(|| navigator.and_then(|n| n.language()));
    [requested, preferred]
        .into_iter()
        .flatten()
        .find_map(|tag| canonical_locales(&tag).ok().and_then(|a| a.get(0).as_string()))
        .unwrap_or_else(|| String::from("en"))
}

fn options(pairs: &[(&str, &str)]) -> Object {
    let o = Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&o, &JsValue::from_str(k), &JsValue::from_str(v));
    }
    o
}

fn locales(locale: &str) -> Array {
    Array::of1(&JsValue::from_str(locale))
}

/// The `format` function of an `Intl` formatter for `key`, made by `make` on first use and
/// kept for the page's lifetime. Making one costs 0.1-1 ms in Chromium (the first of the
/// page far more: ICU starts up, see `www/kassa.js`), and a picker writes a price or a date
/// for every cart line, the total and the Pay button, with the same few formatters.
fn formatter(key: &str, make: impl FnOnce() -> Function) -> Function {
    thread_local! {
        static MADE: RefCell<Vec<(String, Function)>> = const { RefCell::new(Vec::new()) };
    }
    MADE.with(|made| {
        if let Some((_, f)) = made.borrow().iter().find(|(k, _)| k == key) {
            return f.clone();
        }
        let f = make();
        made.borrow_mut().push((key.to_owned(), f.clone()));
        f
    })
}

/// `12.50 NOK` as the locale writes it, e.g. `NOK 1,450.00` (en) or `kr 1 450,00` (nb-NO).
///
/// `locale` must come from [`resolve_locale`].
pub fn money(amount: Money, locale: &str) -> String {
    let decimal = amount.to_major_string();
    let code = amount.currency().code();
    // A currency code and a space: no locale tag (the key of a date formatter) has one.
    let mut key = String::from(code);
    key.push(' ');
    key.push_str(locale);
    let format = formatter(&key, || {
        js_sys::Intl::NumberFormat::new(
            &locales(locale),
            &options(&[("style", "currency"), ("currency", code)]),
        )
        .format()
    });
    format
        .call1(&JsValue::UNDEFINED, &JsValue::from_str(&decimal))
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| {
            let mut s = String::from(code);
            s.push(' ');
            s.push_str(&decimal);
            s
        })
}

/// An ISO `YYYY-MM-DD` date as the locale writes it (`1 Dec 2026`); the input is shown as is
/// if the browser cannot read it.
pub fn date(iso: &str, locale: &str) -> String {
    let d = js_sys::Date::new(&JsValue::from_str(iso));
    if d.get_time().is_nan() {
        return iso.to_owned();
    }
    let format = formatter(locale, || {
        js_sys::Intl::DateTimeFormat::new(
            &locales(locale),
            &options(&[("dateStyle", "medium"), ("timeZone", "UTC")]),
        )
        .format()
    });
    format
        .call1(&JsValue::UNDEFINED, &d)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| iso.to_owned())
}

/// Time left as the locale says it, e.g. "in 14 minutes" / "om 14 minutter", through
/// `Intl.RelativeTimeFormat`: whole minutes (rounded up) from two minutes on, else seconds.
pub fn time_left(seconds: i64, locale: &str) -> String {
    let (value, unit) =
        if seconds >= 120 { ((seconds + 59) / 60, "minute") } else { (seconds, "second") };
    let rtf =
        js_sys::Intl::RelativeTimeFormat::new(&locales(locale), &options(&[("numeric", "always")]));
    rtf.format(value as f64, unit).as_string().unwrap_or_else(|| int_text(value.unsigned_abs()))
}

#[cfg(test)]
mod tests {
    use super::int_text;

    #[test]
    fn integers_are_written_in_decimal() {
        assert_eq!(int_text(0), "0");
        assert_eq!(int_text(7), "7");
        assert_eq!(int_text(1450), "1450");
        assert_eq!(int_text(u64::MAX), "18446744073709551615");
    }
}
