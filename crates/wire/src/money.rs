//! Money: a whole number of an ISO 4217 currency's minor units.
//!
//! No floating point anywhere: amounts are `i64` minor units, decimal text is produced and
//! parsed digit by digit, and every arithmetic operation is checked. The currency table
//! (codes and exponents) comes from the `iso_currency` crate.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The largest magnitude that survives a round trip through a JavaScript number (2^53 - 1).
pub const MAX_SAFE_MINOR: i64 = 9_007_199_254_740_991;

/// An ISO 4217 currency with a defined minor unit (so not XAU, XDR and the like).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Currency(iso_currency::Currency);

impl Currency {
    /// Norwegian krone, the demo merchant's currency.
    pub const NOK: Currency = Currency(iso_currency::Currency::NOK);
    /// Swedish krona.
    pub const SEK: Currency = Currency(iso_currency::Currency::SEK);
    /// Euro.
    pub const EUR: Currency = Currency(iso_currency::Currency::EUR);
    /// US dollar.
    pub const USD: Currency = Currency(iso_currency::Currency::USD);
    /// Japanese yen (no minor unit).
    pub const JPY: Currency = Currency(iso_currency::Currency::JPY);
    /// Kuwaiti dinar (three decimals).
    pub const KWD: Currency = Currency(iso_currency::Currency::KWD);

    /// Looks up an upper-case ISO 4217 alphabetic code such as `NOK`.
    pub fn from_code(code: &str) -> Result<Self, MoneyError> {
        let currency = iso_currency::Currency::from_code(code)
            .ok_or_else(|| MoneyError::UnknownCurrency(code.to_owned()))?;
        // Funds and precious metals have no minor unit; they cannot price a cart.
        if currency.exponent().is_none() {
            return Err(MoneyError::UnknownCurrency(code.to_owned()));
        }
        Ok(Currency(currency))
    }

    /// The three-letter code, e.g. `NOK`.
    pub fn code(self) -> &'static str {
        self.0.code()
    }

    /// Digits after the decimal point: 0 for JPY, 2 for NOK, 3 for KWD.
    pub fn exponent(self) -> u8 {
        // `from_code` refuses currencies without an exponent, and ISO exponents are at most 4.
        self.0.exponent().map_or(0, |e| e as u8)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Currency::from_code(&code).map_err(serde::de::Error::custom)
    }
}

/// What can go wrong with money.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MoneyError {
    /// The code is not an ISO 4217 currency with a minor unit.
    #[error("unknown currency `{0}`")]
    UnknownCurrency(String),
    /// Two amounts in different currencies were combined.
    #[error("cannot combine {0} with {1}")]
    CurrencyMismatch(Currency, Currency),
    /// The result does not fit (or would not survive a JavaScript number).
    #[error("amount out of range")]
    Overflow,
    /// Decimal text that is not a plain amount such as `12.50`.
    #[error("`{0}` is not a decimal amount")]
    Malformed(String),
    /// More fraction digits than the currency has.
    #[error("{currency} has {exponent} decimals, `{text}` has more")]
    TooPrecise {
        /// The currency whose exponent was exceeded.
        currency: Currency,
        /// Its exponent.
        exponent: u8,
        /// The offending text.
        text: String,
    },
}

/// An amount of money: a whole number of the currency's minor units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "MoneyRepr", into = "MoneyRepr")]
pub struct Money {
    minor: i64,
    currency: Currency,
}

/// The JSON shape of [`Money`]: `{"amount_minor": 1250, "currency": "NOK"}`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MoneyRepr {
    amount_minor: i64,
    currency: Currency,
}

impl TryFrom<MoneyRepr> for Money {
    type Error = MoneyError;
    fn try_from(r: MoneyRepr) -> Result<Self, MoneyError> {
        Money::from_minor(r.amount_minor, r.currency)
    }
}

impl From<Money> for MoneyRepr {
    fn from(m: Money) -> Self {
        MoneyRepr { amount_minor: m.minor, currency: m.currency }
    }
}

impl Money {
    /// An amount in minor units; refuses magnitudes a JavaScript number cannot carry.
    pub fn from_minor(minor: i64, currency: Currency) -> Result<Self, MoneyError> {
        if minor.unsigned_abs() > MAX_SAFE_MINOR as u64 {
            return Err(MoneyError::Overflow);
        }
        Ok(Money { minor, currency })
    }

    /// Zero in `currency`.
    pub fn zero(currency: Currency) -> Self {
        Money { minor: 0, currency }
    }

    /// Parses decimal text in major units (`"12.50"`, `"1000"`, `"-3.5"`) exactly.
    ///
    /// Refuses exponents, signs other than a leading `-`, spaces, grouping, a bare `.`,
    /// and more fraction digits than the currency has.
    pub fn parse_major(text: &str, currency: Currency) -> Result<Self, MoneyError> {
        let malformed = || MoneyError::Malformed(text.to_owned());
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, fraction) = match digits.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (digits, None),
        };
        let is_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !is_digits(whole) || fraction.is_some_and(|f| !is_digits(f)) {
            return Err(malformed());
        }
        let exponent = currency.exponent();
        let fraction = fraction.unwrap_or("");
        if fraction.len() > usize::from(exponent) {
            return Err(MoneyError::TooPrecise { currency, exponent, text: text.to_owned() });
        }
        let mut minor: i64 = 0;
        let padded = fraction.bytes().chain(std::iter::repeat(b'0')).take(usize::from(exponent));
        for b in whole.bytes().chain(padded) {
            minor = minor
                .checked_mul(10)
                .and_then(|m| m.checked_add(i64::from(b - b'0')))
                .ok_or(MoneyError::Overflow)?;
        }
        Money::from_minor(if negative { -minor } else { minor }, currency)
    }

    /// The amount in minor units.
    pub fn minor(self) -> i64 {
        self.minor
    }

    /// The currency.
    pub fn currency(self) -> Currency {
        self.currency
    }

    /// True when the amount is above zero.
    pub fn is_positive(self) -> bool {
        self.minor > 0
    }

    /// `self + rhs`, refusing a currency mismatch or overflow.
    pub fn checked_add(self, rhs: Money) -> Result<Money, MoneyError> {
        self.same_currency(rhs)?;
        let sum = self.minor.checked_add(rhs.minor).ok_or(MoneyError::Overflow)?;
        Money::from_minor(sum, self.currency)
    }

    /// `self - rhs`, refusing a currency mismatch or overflow.
    pub fn checked_sub(self, rhs: Money) -> Result<Money, MoneyError> {
        self.same_currency(rhs)?;
        let diff = self.minor.checked_sub(rhs.minor).ok_or(MoneyError::Overflow)?;
        Money::from_minor(diff, self.currency)
    }

    /// `self * quantity`, refusing overflow.
    pub fn checked_mul(self, quantity: u32) -> Result<Money, MoneyError> {
        let product = self.minor.checked_mul(i64::from(quantity)).ok_or(MoneyError::Overflow)?;
        Money::from_minor(product, self.currency)
    }

    /// Exact decimal text in major units without grouping or symbol: `12.50`, `1000`, `1.250`.
    ///
    /// This is what goes to `Intl.NumberFormat` in the widget and to providers that take
    /// decimal strings; it never passes through a float.
    pub fn to_major_string(self) -> String {
        let exponent = u32::from(self.currency.exponent());
        let magnitude = self.minor.unsigned_abs();
        let sign = if self.minor < 0 { "-" } else { "" };
        if exponent == 0 {
            return format!("{sign}{magnitude}");
        }
        let scale = 10u64.pow(exponent);
        let width = exponent as usize;
        format!("{sign}{}.{:0width$}", magnitude / scale, magnitude % scale)
    }

    fn same_currency(self, rhs: Money) -> Result<(), MoneyError> {
        if self.currency == rhs.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, rhs.currency))
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.to_major_string(), self.currency)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn nok(text: &str) -> Result<Money, MoneyError> {
        Money::parse_major(text, Currency::NOK)
    }

    #[test]
    fn parses_major_units_exactly_for_every_exponent() {
        assert_eq!(nok("12.50").unwrap().minor(), 1250);
        assert_eq!(nok("12.5").unwrap().minor(), 1250);
        assert_eq!(nok("1000").unwrap().minor(), 100_000);
        assert_eq!(nok("-0.00").unwrap().minor(), 0);
        assert_eq!(Money::parse_major("1250", Currency::JPY).unwrap().minor(), 1250);
        assert_eq!(Money::parse_major("1.250", Currency::KWD).unwrap().minor(), 1250);
    }

    #[test]
    fn rejects_text_that_is_not_a_plain_amount() {
        for bad in
            ["", "-", ".", "1.", ".5", " 1", "1 ", "1e3", "+1", "1,00", "NaN", "1.2.3", "--1"]
        {
            assert!(matches!(nok(bad), Err(MoneyError::Malformed(_))), "{bad:?} was accepted");
        }
    }

    #[test]
    fn rejects_more_decimals_than_the_currency_has() {
        assert!(matches!(nok("27.005"), Err(MoneyError::TooPrecise { exponent: 2, .. })));
        assert!(matches!(
            Money::parse_major("1.5", Currency::JPY),
            Err(MoneyError::TooPrecise { exponent: 0, .. })
        ));
    }

    #[test]
    fn refuses_amounts_beyond_what_javascript_can_carry() {
        assert_eq!(Money::from_minor(MAX_SAFE_MINOR + 1, Currency::NOK), Err(MoneyError::Overflow));
        assert_eq!(nok("99999999999999999999"), Err(MoneyError::Overflow));
        let max = Money::from_minor(MAX_SAFE_MINOR, Currency::NOK).unwrap();
        assert_eq!(
            max.checked_add(Money::from_minor(1, Currency::NOK).unwrap()),
            Err(MoneyError::Overflow)
        );
        assert_eq!(max.checked_mul(2), Err(MoneyError::Overflow));
    }

    #[test]
    fn refuses_to_combine_currencies() {
        let a = Money::zero(Currency::NOK);
        let b = Money::zero(Currency::EUR);
        assert_eq!(
            a.checked_add(b),
            Err(MoneyError::CurrencyMismatch(Currency::NOK, Currency::EUR))
        );
    }

    #[test]
    fn formats_exact_decimal_text() {
        assert_eq!(Money::from_minor(1250, Currency::NOK).unwrap().to_major_string(), "12.50");
        assert_eq!(Money::from_minor(-5, Currency::NOK).unwrap().to_major_string(), "-0.05");
        assert_eq!(Money::from_minor(1250, Currency::JPY).unwrap().to_major_string(), "1250");
        assert_eq!(Money::from_minor(1250, Currency::KWD).unwrap().to_major_string(), "1.250");
    }

    #[test]
    fn json_shape_is_minor_units_and_code_and_validates() {
        let m = Money::from_minor(1250, Currency::NOK).unwrap();
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json, r#"{"amount_minor":1250,"currency":"NOK"}"#);
        assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), m);
        assert!(serde_json::from_str::<Money>(r#"{"amount_minor":1,"currency":"XXX"}"#).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"amount_minor":1,"currency":"XAU"}"#).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"amount_minor":1.5,"currency":"NOK"}"#).is_err());
        assert!(serde_json::from_str::<Money>(
            r#"{"amount_minor":9007199254740992,"currency":"NOK"}"#
        )
        .is_err());
    }

    proptest! {
        #[test]
        fn decimal_text_round_trips(minor in -MAX_SAFE_MINOR..=MAX_SAFE_MINOR, pick in 0usize..4) {
            let currency = [Currency::NOK, Currency::JPY, Currency::KWD, Currency::EUR][pick];
            let m = Money::from_minor(minor, currency).unwrap();
            prop_assert_eq!(Money::parse_major(&m.to_major_string(), currency), Ok(m));
        }

        #[test]
        fn parsing_never_panics(text in "\\PC{0,24}") {
            let _ = nok(&text);
        }
    }
}
