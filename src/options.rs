//! The host page's attributes, parsed once into typed values.
//!
//! `<kassa-checkout items='…' endpoint="…" locale="…">` is input from outside: everything
//! here is checked before the widget talks to anyone, and a mistake becomes one sentence
//! for the website owner (who can fix it), never a request to the backend.
//!
//! The JSON of `items` is parsed by the browser (`JSON.parse`) and read into a [`RawCart`]
//! by serde-wasm-bindgen through the `Deserialize` impls below, which accept any JSON and
//! keep what the rules need to explain a mistake; the rules themselves ([`parse_items`]) are
//! pure, so that they are tested on the host (with serde_json in place of the browser).

use std::fmt;

use kassa_wire::{BookingPeriod, CartItem, PeriodError, MAX_CART_LINES, MAX_QUANTITY};
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::{format::int_text, navigate};

/// A JSON value as far as the cart rules care.
#[derive(Clone, Debug, PartialEq)]
pub enum RawValue {
    /// The key is absent (or `null`).
    Missing,
    /// A string.
    Str(String),
    /// A number. Quantities only; money never comes from the page.
    Num(f64),
    /// Anything else (object, array, boolean).
    Other,
}

/// One element of the `items` array.
#[derive(Clone, Debug, PartialEq)]
pub enum RawLine {
    /// Not a JSON object.
    NotObject,
    /// An object with the keys the cart knows, plus the first unknown key if any.
    Object {
        /// `sku`.
        sku: RawValue,
        /// `quantity`.
        quantity: RawValue,
        /// `start_date`.
        start_date: RawValue,
        /// `end_date`.
        end_date: RawValue,
        /// The first key that is none of the above (such as `price`).
        unknown: Option<String>,
    },
}

/// What the page said the cart is, before the rules.
#[derive(Clone, Debug, PartialEq)]
pub enum RawCart {
    /// No `items` attribute.
    Absent,
    /// `JSON.parse` refused the text.
    NotJson,
    /// Valid JSON, but not an array.
    NotArray,
    /// An array with more elements than a cart may have: how many.
    TooMany(usize),
    /// The array's elements.
    Lines(Vec<RawLine>),
}

/// Accepts any JSON value: an array becomes its lines (or, when too long, just its length);
/// anything else is [`RawCart::NotArray`].
impl<'de> Deserialize<'de> for RawCart {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(Shape(Kind::Cart)).map(|shape| match shape {
            Raw::Cart(cart) => cart,
            _ => RawCart::NotArray,
        })
    }
}

/// Accepts any JSON value: an object becomes its known keys (and its first unknown one);
/// anything else is [`RawLine::NotObject`].
impl<'de> Deserialize<'de> for RawLine {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(Shape(Kind::Line)).map(|shape| match shape {
            Raw::Line(line) => line,
            _ => RawLine::NotObject,
        })
    }
}

/// Accepts any JSON value.
impl<'de> Deserialize<'de> for RawValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(Shape(Kind::Value)).map(|shape| match shape {
            Raw::Value(value) => value,
            _ => RawValue::Other,
        })
    }
}

/// Which of the three raw shapes a [`Shape`] visitor reads.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Cart,
    Line,
    Value,
}

/// What a [`Shape`] visitor read.
enum Raw {
    Cart(RawCart),
    Line(RawLine),
    Value(RawValue),
    /// A value of no interest for this kind (drained, so the parser can go on).
    Other,
}

/// One visitor for all three raw shapes: one set of `visit_*` functions in the Wasm.
struct Shape(Kind);

impl Shape {
    fn scalar(&self, value: RawValue) -> Raw {
        if self.0 == Kind::Value {
            Raw::Value(value)
        } else {
            Raw::Other
        }
    }
}

impl<'de> Visitor<'de> for Shape {
    type Value = Raw;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Raw, E> {
        Ok(self.scalar(RawValue::Other))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Raw, E> {
        Ok(self.scalar(RawValue::Num(n as f64)))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Raw, E> {
        Ok(self.scalar(RawValue::Num(n as f64)))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Raw, E> {
        Ok(self.scalar(RawValue::Num(n)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Raw, E> {
        Ok(self.scalar(RawValue::Str(s.to_owned())))
    }

    fn visit_string<E>(self, s: String) -> Result<Raw, E> {
        Ok(self.scalar(RawValue::Str(s)))
    }

    fn visit_unit<E>(self) -> Result<Raw, E> {
        Ok(self.scalar(RawValue::Missing))
    }

    fn visit_none<E>(self) -> Result<Raw, E> {
        Ok(self.scalar(RawValue::Missing))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
        if self.0 != Kind::Cart {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            return Ok(self.scalar(RawValue::Other));
        }
        let mut lines = Vec::new();
        while lines.len() <= MAX_CART_LINES {
            match seq.next_element::<RawLine>()? {
                Some(line) => lines.push(line),
                None => return Ok(Raw::Cart(RawCart::Lines(lines))),
            }
        }
        // Too many to be valid; the count is all the message needs.
        let mut count = lines.len();
        while seq.next_element::<IgnoredAny>()?.is_some() {
            count += 1;
        }
        Ok(Raw::Cart(RawCart::TooMany(count)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
        if self.0 != Kind::Line {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            return Ok(self.scalar(RawValue::Other));
        }
        let (mut sku, mut quantity) = (RawValue::Missing, RawValue::Missing);
        let (mut start_date, mut end_date) = (RawValue::Missing, RawValue::Missing);
        let mut unknown = None;
        while let Some(key) = map.next_key::<String>()? {
            let slot = match key.as_str() {
                "sku" => &mut sku,
                "quantity" => &mut quantity,
                "start_date" => &mut start_date,
                "end_date" => &mut end_date,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    unknown.get_or_insert(key);
                    continue;
                }
            };
            *slot = map.next_value::<RawValue>()?;
        }
        Ok(Raw::Line(RawLine::Object { sku, quantity, start_date, end_date, unknown }))
    }
}

/// Why the page's cart cannot be used. Item numbers are 1-based, as a person counts.
#[derive(Clone, Debug, PartialEq)]
pub enum ItemsError {
    /// No `items` attribute at all.
    Absent,
    /// Not JSON.
    NotJson,
    /// JSON that is not an array.
    NotArray,
    /// An empty array.
    Empty,
    /// More lines than the contract allows.
    TooMany(usize),
    /// A line that is not an object.
    NotObject(usize),
    /// A line with a key the contract does not have.
    UnknownField(usize, String),
    /// A line without a usable SKU.
    Sku(usize),
    /// A line whose quantity is not a whole number from 1 to 99; the text says what it was.
    Quantity(usize, Option<String>),
    /// A date that is not `YYYY-MM-DD`.
    Date(usize, &'static str),
    /// `end_date` before `start_date`.
    DatesReversed(usize),
}

impl ItemsError {
    /// One sentence for the website owner, shown inside the widget.
    pub fn message(&self) -> String {
        let mut m = String::from("This page's cart is invalid: ");
        let item = |m: &mut String, n: usize| {
            m.push_str("item ");
            m.push_str(&int_text(n as u64));
        };
        match self {
            ItemsError::Absent => {
                m.push_str("the <kassa-checkout> element has no items attribute.")
            }
            ItemsError::NotJson => m.push_str("the items attribute is not valid JSON."),
            ItemsError::NotArray => {
                m.push_str("the items attribute must be a JSON array of items.")
            }
            ItemsError::Empty => m.push_str("the items attribute lists no items."),
            ItemsError::TooMany(n) => {
                m.push_str("it has ");
                m.push_str(&int_text(*n as u64));
                m.push_str(" items; at most ");
                m.push_str(&int_text(MAX_CART_LINES as u64));
                m.push_str(" are allowed.");
            }
            ItemsError::NotObject(n) => {
                item(&mut m, *n);
                m.push_str(" is not an object like {\"sku\":\"…\",\"quantity\":1}.");
            }
            ItemsError::UnknownField(n, key) => {
                item(&mut m, *n);
                m.push_str(" has an unknown field \"");
                m.push_str(key);
                m.push_str("\"; items take sku, quantity, start_date and end_date (prices come from the backend).");
            }
            ItemsError::Sku(n) => {
                item(&mut m, *n);
                m.push_str(" has no sku; every item needs a non-empty \"sku\" text.");
            }
            ItemsError::Quantity(n, shown) => {
                item(&mut m, *n);
                match shown {
                    Some(q) => {
                        m.push_str(" has quantity ");
                        m.push_str(q);
                    }
                    None => m.push_str(" has no whole-number quantity"),
                }
                m.push_str("; quantities must be 1–");
                m.push_str(&int_text(u64::from(MAX_QUANTITY)));
                m.push('.');
            }
            ItemsError::Date(n, field) => {
                item(&mut m, *n);
                m.push_str(" has a ");
                m.push_str(field);
                m.push_str(" that is not a date like 2026-12-01.");
            }
            ItemsError::DatesReversed(n) => {
                item(&mut m, *n);
                m.push_str(" ends before it starts.");
            }
        }
        m
    }
}

/// The longest SKU the widget passes on.
const MAX_SKU_LEN: usize = 100;

/// Applies the cart rules: 1 to 100 lines, each with a SKU, a quantity of 1 to 99 and
/// optional ISO dates, and nothing else (a page never states a price).
pub fn parse_items(raw: RawCart) -> Result<Vec<CartItem>, ItemsError> {
    let lines = match raw {
        RawCart::Absent => return Err(ItemsError::Absent),
        RawCart::NotJson => return Err(ItemsError::NotJson),
        RawCart::NotArray => return Err(ItemsError::NotArray),
        RawCart::TooMany(n) => return Err(ItemsError::TooMany(n)),
        RawCart::Lines(lines) => lines,
    };
    if lines.is_empty() {
        return Err(ItemsError::Empty);
    }
    if lines.len() > MAX_CART_LINES {
        return Err(ItemsError::TooMany(lines.len()));
    }
    let mut items = Vec::with_capacity(lines.len());
    for (i, line) in lines.into_iter().enumerate() {
        let n = i + 1;
        let RawLine::Object { sku, quantity, start_date, end_date, unknown } = line else {
            return Err(ItemsError::NotObject(n));
        };
        if let Some(key) = unknown {
            return Err(ItemsError::UnknownField(n, key));
        }
        let sku = match sku {
            RawValue::Str(s) if valid_sku(&s) => s,
            _ => return Err(ItemsError::Sku(n)),
        };
        let quantity = parse_quantity(&quantity).map_err(|shown| ItemsError::Quantity(n, shown))?;
        let (start_date, end_date) = parse_dates(n, start_date, end_date)?;
        items.push(CartItem { sku, quantity, start_date, end_date });
    }
    Ok(items)
}

fn valid_sku(s: &str) -> bool {
    !s.trim().is_empty() && s.len() <= MAX_SKU_LEN && !s.chars().any(char::is_control)
}

/// A whole number from 1 to [`MAX_QUANTITY`]; on error, the offending value as text when it
/// can be shown exactly.
fn parse_quantity(v: &RawValue) -> Result<u32, Option<String>> {
    match *v {
        RawValue::Num(q) => {
            // Quantities are counts, not money; a float is how JSON numbers arrive.
            if q.fract() != 0.0 || !q.is_finite() || q.abs() > 1e15 {
                return Err(None);
            }
            let whole = q as i64;
            if (1..=i64::from(MAX_QUANTITY)).contains(&whole) {
                Ok(whole as u32)
            } else {
                let mut text = String::new();
                if whole < 0 {
                    text.push('-');
                }
                text.push_str(&int_text(whole.unsigned_abs()));
                Err(Some(text))
            }
        }
        RawValue::Str(ref s) => {
            let mut text = String::from("\"");
            text.extend(s.chars().take(20));
            text.push_str("\" (text, not a number)");
            Err(Some(text))
        }
        RawValue::Missing | RawValue::Other => Err(None),
    }
}

/// A line's dates by kassa-wire's [`BookingPeriod`] rule, the backend's own: each optional,
/// a day the calendar has, the end never before the start.
fn parse_dates(
    n: usize,
    start: RawValue,
    end: RawValue,
) -> Result<(Option<String>, Option<String>), ItemsError> {
    let text = |v: RawValue, field: &'static str| match v {
        RawValue::Missing => Ok(None),
        RawValue::Str(s) => Ok(Some(s)),
        _ => Err(ItemsError::Date(n, field)),
    };
    let (start, end) = (text(start, "start_date")?, text(end, "end_date")?);
    BookingPeriod::parse(start.as_deref(), end.as_deref()).map_err(|e| match e {
        PeriodError::Reversed => ItemsError::DatesReversed(n),
        e => ItemsError::Date(n, e.field()),
    })?;
    Ok((start, end))
}

/// Why the endpoint cannot be used.
#[derive(Clone, Debug, PartialEq)]
pub enum EndpointError {
    /// Neither the element nor the loader names a backend.
    Missing,
    /// Not an absolute `https://` (or `http://`) URL.
    Invalid(String),
}

impl EndpointError {
    /// One sentence for the website owner.
    pub fn message(&self) -> String {
        match self {
            EndpointError::Missing => String::from(
                "This checkout is not set up: no backend address. Set data-endpoint on the kassa.js script tag or endpoint on <kassa-checkout>.",
            ),
            EndpointError::Invalid(text) => {
                let mut m = String::from("This checkout is not set up: the backend address \"");
                m.extend(text.chars().take(100));
                m.push_str("\" is not an absolute https:// URL.");
                m
            }
        }
    }
}

/// The backend base URL: the element's `endpoint` attribute, else the loader's
/// `data-endpoint`. Must be an absolute `http(s)` URL without credentials; a trailing `/`
/// is dropped so that paths can be appended.
pub fn parse_endpoint(attr: Option<&str>, default: &str) -> Result<String, EndpointError> {
    let text = match attr.map(str::trim) {
        Some(a) if !a.is_empty() => a,
        _ => default.trim(),
    };
    if text.is_empty() {
        return Err(EndpointError::Missing);
    }
    if navigate::origin_of(text).is_err() || text.contains(['?', '#']) {
        return Err(EndpointError::Invalid(text.to_owned()));
    }
    Ok(text.trim_end_matches('/').to_owned())
}

/// A plausible BCP 47 tag from the `locale` attribute (`nb_NO` becomes `nb-NO`), or `None`
/// to use the browser's language. The browser (`Intl`) has the last word.
pub fn parse_locale(attr: Option<&str>) -> Option<String> {
    let text = attr?.trim();
    let ok = (2..=35).contains(&text.len())
        && text.as_bytes()[0].is_ascii_alphabetic()
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    ok.then(|| text.replace('_', "-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(sku: &str, q: f64) -> RawLine {
        RawLine::Object {
            sku: RawValue::Str(sku.into()),
            quantity: RawValue::Num(q),
            start_date: RawValue::Missing,
            end_date: RawValue::Missing,
            unknown: None,
        }
    }

    fn err(lines: Vec<RawLine>) -> String {
        parse_items(RawCart::Lines(lines)).unwrap_err().message()
    }

    #[test]
    fn a_valid_cart_with_dates_is_accepted() {
        let booked = RawLine::Object {
            sku: RawValue::Str("kayak-2h".into()),
            quantity: RawValue::Num(2.0),
            start_date: RawValue::Str("2026-12-01".into()),
            end_date: RawValue::Str("2026-12-01".into()),
            unknown: None,
        };
        let items = parse_items(RawCart::Lines(vec![booked, line("life-jacket", 2.0)])).unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].start_date.as_deref(), Some("2026-12-01"));
        assert_eq!(
            items[1],
            CartItem { sku: "life-jacket".into(), quantity: 2, start_date: None, end_date: None }
        );
    }

    #[test]
    fn quantity_zero_names_the_item_and_the_range() {
        assert_eq!(
            err(vec![line("a", 0.0)]),
            "This page's cart is invalid: item 1 has quantity 0; quantities must be 1–99."
        );
    }

    #[test]
    fn quantity_of_one_hundred_or_negative_or_fractional_is_refused() {
        assert!(err(vec![line("a", 1.0), line("b", 100.0)]).contains("item 2 has quantity 100;"));
        assert!(err(vec![line("a", -3.0)]).contains("item 1 has quantity -3;"));
        assert!(err(vec![line("a", 1.5)]).contains("item 1 has no whole-number quantity;"));
        assert_eq!(parse_items(RawCart::Lines(vec![line("a", 99.0)])).unwrap()[0].quantity, 99);
    }

    #[test]
    fn a_quantity_given_as_text_is_refused_and_quoted() {
        let l = RawLine::Object {
            sku: RawValue::Str("a".into()),
            quantity: RawValue::Str("2".into()),
            start_date: RawValue::Missing,
            end_date: RawValue::Missing,
            unknown: None,
        };
        assert!(err(vec![l]).contains("quantity \"2\" (text, not a number)"));
    }

    #[test]
    fn a_missing_or_empty_sku_is_refused() {
        let no_sku = RawLine::Object {
            sku: RawValue::Missing,
            quantity: RawValue::Num(1.0),
            start_date: RawValue::Missing,
            end_date: RawValue::Missing,
            unknown: None,
        };
        assert!(err(vec![line("a", 1.0), no_sku]).contains("item 2 has no sku"));
        assert!(err(vec![line("  ", 1.0)]).contains("item 1 has no sku"));
    }

    #[test]
    fn more_than_one_hundred_lines_are_refused() {
        let lines = (0..101).map(|_| line("a", 1.0)).collect();
        assert!(err(lines).contains("it has 101 items; at most 100"));
        let ok: Vec<_> = (0..100).map(|_| line("a", 1.0)).collect();
        assert!(parse_items(RawCart::Lines(ok)).is_ok());
    }

    #[test]
    fn malformed_json_non_arrays_and_empty_carts_are_refused() {
        assert_eq!(parse_items(RawCart::NotJson), Err(ItemsError::NotJson));
        assert_eq!(parse_items(RawCart::NotArray), Err(ItemsError::NotArray));
        assert_eq!(parse_items(RawCart::Absent), Err(ItemsError::Absent));
        assert_eq!(parse_items(RawCart::Lines(vec![])), Err(ItemsError::Empty));
        assert!(err(vec![RawLine::NotObject]).contains("item 1 is not an object"));
    }

    #[test]
    fn a_price_from_the_page_is_refused() {
        let priced = RawLine::Object {
            sku: RawValue::Str("a".into()),
            quantity: RawValue::Num(1.0),
            start_date: RawValue::Missing,
            end_date: RawValue::Missing,
            unknown: Some("price".into()),
        };
        assert!(err(vec![priced]).contains("item 1 has an unknown field \"price\""));
    }

    #[test]
    fn dates_must_be_iso_and_in_order() {
        let dated = |s: &str, e: &str| RawLine::Object {
            sku: RawValue::Str("a".into()),
            quantity: RawValue::Num(1.0),
            start_date: RawValue::Str(s.into()),
            end_date: RawValue::Str(e.into()),
            unknown: None,
        };
        assert!(
            err(vec![dated("2026-13-01", "2026-12-01")]).contains("start_date that is not a date")
        );
        assert!(err(vec![dated("2026-12-01", "1/12/2026")]).contains("end_date that is not a date"));
        assert!(
            err(vec![dated("2026-12-02", "2026-12-01")]).contains("item 1 ends before it starts")
        );
        // A day the calendar lacks: refused here as the backend (the same kassa-wire rule)
        // would refuse it.
        assert!(
            err(vec![dated("2026-02-29", "2026-03-01")]).contains("start_date that is not a date")
        );
        let leap = parse_items(RawCart::Lines(vec![dated("2028-02-29", "2028-03-01")])).unwrap();
        assert_eq!(leap[0].start_date.as_deref(), Some("2028-02-29"));
    }

    #[test]
    fn the_element_endpoint_wins_over_the_loader_default() {
        assert_eq!(
            parse_endpoint(Some("https://b.example/"), "https://a.example").unwrap(),
            "https://b.example"
        );
        assert_eq!(parse_endpoint(None, "https://a.example/api").unwrap(), "https://a.example/api");
        assert_eq!(parse_endpoint(Some(" "), "https://a.example").unwrap(), "https://a.example");
        assert_eq!(parse_endpoint(None, ""), Err(EndpointError::Missing));
    }

    #[test]
    fn an_endpoint_must_be_an_absolute_web_url_without_credentials() {
        for bad in [
            "/api",
            "backend.example",
            "javascript:alert(1)",
            "https://u:p@b.example",
            "ftp://b.example",
        ] {
            assert!(parse_endpoint(Some(bad), "").is_err(), "{bad} must be refused");
        }
        assert!(EndpointError::Invalid("/api".into()).message().contains("\"/api\""));
    }

    #[test]
    fn locales_are_normalised_or_dropped() {
        assert_eq!(parse_locale(Some("nb-NO")).as_deref(), Some("nb-NO"));
        assert_eq!(parse_locale(Some("nb_NO")).as_deref(), Some("nb-NO"));
        assert_eq!(parse_locale(Some("<script>")), None);
        assert_eq!(parse_locale(Some("")), None);
        assert_eq!(parse_locale(None), None);
    }
}
