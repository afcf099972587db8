//! Exact decimal text ⇄ integer minor units.
//!
//! Payfect sends `unit_amount` as `"20.5"`, Front Payment sends `4017.86`, Checkfront answers
//! `"450.00"`. The simulator turns such text into an integer count of minor units digit by
//! digit and back, so no amount ever passes through a float. Text with more fractional digits
//! than the scale allows is refused rather than rounded.
//!
//! Why not `rust_decimal` (issue 13 weighed it): its `FromStr` accepts `_` digit separators
//! (`"1_000.50"`, see paupino/rust-decimal issues 97 and 152), which no provider's JSON or
//! form value contains, so the simulator would have to check the text itself first anyway;
//! and it would still need the scale check and the conversion to integer minor units that
//! make up this module. The parser here is one pass over ASCII digits with checked
//! arithmetic, and the tests below pin what it refuses.

use std::fmt;

/// Why decimal text could not be read as an amount.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecimalError {
    /// Not a plain decimal number (`abc`, `1e3`, `1.2.3`, empty).
    Invalid,
    /// More digits after the point than the currency has.
    TooManyPlaces(u32),
    /// Does not fit in an `i64` of minor units.
    TooLarge,
}

impl fmt::Display for DecimalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecimalError::Invalid => f.write_str("not a decimal number"),
            DecimalError::TooManyPlaces(n) => write!(f, "more than {n} decimal places"),
            DecimalError::TooLarge => f.write_str("too large"),
        }
    }
}

/// Parses `"20.5"` at scale 2 into `2050`. Accepts an optional leading `-` or `+`.
pub fn parse_minor(text: &str, scale: u32) -> Result<i64, DecimalError> {
    let text = text.trim();
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (whole, frac) = match digits.split_once('.') {
        Some((w, f)) => (w, f),
        None => (digits, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && frac.is_empty()) || !all_digits(whole) || !all_digits(frac) {
        return Err(DecimalError::Invalid);
    }
    // Trailing zeros beyond the scale carry no value ("20.500" at scale 2 is fine).
    let frac = frac.trim_end_matches('0');
    let places = u32::try_from(frac.len()).map_err(|_| DecimalError::TooManyPlaces(scale))?;
    if places > scale {
        return Err(DecimalError::TooManyPlaces(scale));
    }
    let mut value: i64 = 0;
    for b in whole.bytes().chain(frac.bytes()) {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(i64::from(b - b'0')))
            .ok_or(DecimalError::TooLarge)?;
    }
    for _ in places..scale {
        value = value.checked_mul(10).ok_or(DecimalError::TooLarge)?;
    }
    Ok(if negative { -value } else { value })
}

/// Formats `2050` at scale 2 as `"20.50"`.
pub fn format_minor(amount: i64, scale: u32) -> String {
    let sign = if amount < 0 { "-" } else { "" };
    let abs = amount.unsigned_abs();
    if scale == 0 {
        return format!("{sign}{abs}");
    }
    let unit = 10u64.pow(scale);
    let width = scale as usize;
    format!("{sign}{}.{:0width$}", abs / unit, abs % unit)
}

/// Formats like [`format_minor`] but drops a zero fraction: `10000` at scale 2 is `"100"`,
/// `10050` is `"100.50"`.
pub fn format_minor_compact(amount: i64, scale: u32) -> String {
    let unit = 10i64.pow(scale);
    if amount % unit == 0 {
        (amount / unit).to_string()
    } else {
        format_minor(amount, scale)
    }
}

/// The text of a JSON number or string, for fields a provider accepts as either.
///
/// serde_json prints a number back as the shortest text that reads as the same value, so
/// `4017.86` in a request comes back as `"4017.86"`; that text is then parsed exactly by
/// [`parse_minor`]. No arithmetic happens on the parsed binary value.
pub fn json_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_decimal_text_exactly() {
        assert_eq!(parse_minor("20.5", 2), Ok(2050));
        assert_eq!(parse_minor("20", 2), Ok(2000));
        assert_eq!(parse_minor("0.01", 2), Ok(1));
        assert_eq!(parse_minor(".5", 2), Ok(50));
        assert_eq!(parse_minor("20.500", 2), Ok(2050));
        assert_eq!(parse_minor("-3.1", 2), Ok(-310));
        assert_eq!(parse_minor("7", 0), Ok(7));
    }

    #[test]
    fn refuses_what_it_cannot_represent_exactly() {
        assert_eq!(parse_minor("20.555", 2), Err(DecimalError::TooManyPlaces(2)));
        assert_eq!(parse_minor("1e3", 2), Err(DecimalError::Invalid));
        assert_eq!(parse_minor("", 2), Err(DecimalError::Invalid));
        assert_eq!(parse_minor(".", 2), Err(DecimalError::Invalid));
        assert_eq!(parse_minor("1.2.3", 2), Err(DecimalError::Invalid));
        assert_eq!(parse_minor("99999999999999999999", 2), Err(DecimalError::TooLarge));
    }

    #[test]
    fn formats_minor_units() {
        assert_eq!(format_minor(2050, 2), "20.50");
        assert_eq!(format_minor(5, 2), "0.05");
        assert_eq!(format_minor(-5, 2), "-0.05");
        assert_eq!(format_minor(1234, 0), "1234");
        assert_eq!(format_minor(1234, 3), "1.234");
        assert_eq!(format_minor_compact(10000, 2), "100");
        assert_eq!(format_minor_compact(10050, 2), "100.50");
    }

    #[test]
    fn json_numbers_round_trip_through_their_text() {
        let v: serde_json::Value = serde_json::from_str(r#"[4017.86, 4500, "40"]"#).unwrap();
        let texts: Vec<_> = v.as_array().unwrap().iter().filter_map(json_text).collect();
        assert_eq!(texts, ["4017.86", "4500", "40"]);
        assert_eq!(parse_minor(&texts[0], 2), Ok(401786));
    }
}
