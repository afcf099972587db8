//! Exact amount encodings shared by the adapters: decimal text in major units, in and out.
//!
//! Nothing here touches a float. Provider decimals are read as text (a JSON string, or a JSON
//! number's own text through `RawValue`) and parsed digit by digit; a value with more
//! significant fraction digits than the currency has is refused, never rounded.

use kassa_wire::{Currency, Money, ProviderId};
use serde_json::value::RawValue;

use crate::ProviderError;

/// Parses provider decimal text such as `"20.00"`, `"4500"` or `"1.250"` exactly.
///
/// Trailing zeros beyond the currency's exponent are accepted (`"1250.00"` JPY is 1250), since
/// providers that format with a fixed two decimals say nothing more by them; a non-zero digit
/// there is refused.
pub(crate) fn parse_decimal(
    provider: ProviderId,
    text: &str,
    currency: Currency,
) -> Result<Money, ProviderError> {
    let trimmed = match text.split_once('.') {
        Some((whole, fraction)) => {
            let keep = usize::from(currency.exponent());
            // Bytes, not a `str` slice: `keep` may fall inside a multi-byte character of
            // hostile text (found by `fuzzing::amounts`). When every byte after it is `0`,
            // it is a character boundary, so the slice below is safe.
            if fraction.len() > keep && fraction.as_bytes()[keep..].iter().all(|b| *b == b'0') {
                let fraction = &fraction[..keep];
                if fraction.is_empty() {
                    whole.to_owned()
                } else {
                    format!("{whole}.{fraction}")
                }
            } else {
                text.to_owned()
            }
        }
        None => text.to_owned(),
    };
    Money::parse_major(&trimmed, currency).map_err(|e| {
        tracing::debug!(provider = provider.as_str(), error = %e, "provider amount did not parse");
        ProviderError::from(e)
    })
}

/// A JSON number whose text is the exact major-unit decimal of `money` (`4017.86`).
pub(crate) fn json_number(money: Money) -> Box<RawValue> {
    // `to_major_string` yields `-?digits(.digits)?`, which is always a valid JSON number.
    RawValue::from_string(money.to_major_string()).unwrap_or_else(|_| unreachable_number())
}

#[cold]
fn unreachable_number() -> Box<RawValue> {
    // Only reachable if `to_major_string` stopped producing JSON numbers; fail loudly in tests.
    debug_assert!(false, "to_major_string produced text that is not a JSON number");
    RawValue::from_string("0".to_owned()).unwrap_or_default()
}

/// Reads a JSON value that should be a decimal (a string like `"20.00"` or a bare number like
/// `4500.00`) as exact text.
pub(crate) fn decimal_text(raw: &RawValue) -> Option<String> {
    let text = raw.get().trim();
    if let Some(inner) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        return Some(inner.to_owned());
    }
    let numeric =
        !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'-');
    numeric.then(|| text.to_owned())
}

/// Parses a provider currency code in any case (`usd`, `NOK`).
pub(crate) fn currency(provider: ProviderId, code: &str) -> Result<Currency, ProviderError> {
    Currency::from_code(&code.to_ascii_uppercase()).map_err(|_| {
        tracing::debug!(provider = provider.as_str(), code, "unknown currency from provider");
        ProviderError::unexpected(provider, 200)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: ProviderId = ProviderId::Payfect;

    #[test]
    fn trailing_zeros_beyond_the_exponent_are_accepted_for_every_exponent() {
        assert_eq!(parse_decimal(P, "1250.00", Currency::JPY).unwrap().minor(), 1250);
        assert_eq!(parse_decimal(P, "20.00", Currency::NOK).unwrap().minor(), 2000);
        assert_eq!(parse_decimal(P, "20.5", Currency::NOK).unwrap().minor(), 2050);
        assert_eq!(parse_decimal(P, "1.2500", Currency::KWD).unwrap().minor(), 1250);
    }

    #[test]
    fn significant_digits_beyond_the_exponent_are_refused() {
        assert!(parse_decimal(P, "1250.50", Currency::JPY).is_err());
        assert!(parse_decimal(P, "27.005", Currency::NOK).is_err());
        assert!(parse_decimal(P, "1.2505", Currency::KWD).is_err());
        assert!(parse_decimal(P, "1e3", Currency::NOK).is_err());
    }

    #[test]
    fn json_numbers_carry_exact_decimal_text() {
        let m = Money::from_minor(401786, Currency::NOK).unwrap();
        assert_eq!(json_number(m).get(), "4017.86");
        assert_eq!(json_number(Money::from_minor(5, Currency::KWD).unwrap()).get(), "0.005");
        assert_eq!(json_number(Money::from_minor(4500, Currency::JPY).unwrap()).get(), "4500");
    }

    #[test]
    fn decimal_text_reads_strings_and_numbers_but_not_other_json() {
        let read = |s: &str| decimal_text(&serde_json::from_str::<Box<RawValue>>(s).unwrap());
        assert_eq!(read(r#""20.00""#).as_deref(), Some("20.00"));
        assert_eq!(read("4500.00").as_deref(), Some("4500.00"));
        assert_eq!(read("null"), None);
        assert_eq!(read("1e2"), None);
    }
}
