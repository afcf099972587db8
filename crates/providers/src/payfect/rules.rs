//! What Payfect's documents leave open, decided once and configurable: which currency code
//! an order's currency is sent as and how the codes in Payfect's answers are read back (P1,
//! P2), and how Payfect rounds a unit price (P4).
//!
//! Sources: the docs' "Create a Checkout" page (seed `001_c6386d4c04e7a41f.txt`,
//! `docs/payment/create.md` in github.com/Payfect/payfect-doc) and "Callback for Checkout
//! Success" (`docs/payment/callback.md`).
//!
//! - **Currency.** `currency` is "Currency code (usdt)"; the same page's curl example sends
//!   `CNY` for the checkout and `TWD` for its item, and `payment_method_data` names the
//!   crypto the customer pays with (`usdt` on `tron`). So Payfect takes ISO codes as the
//!   pricing currency and settles in crypto. Kassa prices in ISO 4217 and never converts: the
//!   order's currency is sent as its ISO code (or the code the merchant maps it to, e.g.
//!   `USD = "usdt"` for a merchant who accepts the peg), amounts stay the order's. The
//!   callback example names `usdt`: a callback in a *settlement* currency (`usdt` by default)
//!   carries an amount Kassa cannot compare with a fiat order, so it is confirmed by reading
//!   the checkout, whose `amountTotal` is in the currency we sent. Any other currency is one
//!   we did not ask for and is refused.
//! - **Rounding.** The docs' example sends `unit_amount: "20.5"` and answers `amount` and
//!   `amountTotal` `"20.00"`: Payfect stores a unit price in whole units [U]. Whether it
//!   rounds half to even (Python's `decimal` default, which turns 20.5 into 20) or down is
//!   not published; both fit the example. The default is half to even; `exact` turns it off.
//!   Payfect's total is accepted when it equals ours exactly or by that rule, and refused
//!   otherwise.

use std::collections::BTreeMap;

use kassa_wire::{Currency, Money, ProviderId};
use serde::Deserialize;

use crate::{OrderLine, ProviderError};

const P: ProviderId = ProviderId::Payfect;

/// How Payfect rounds a unit price before it multiplies by the quantity [U].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AmountRounding {
    /// No rounding: Payfect's total must equal ours exactly.
    Exact,
    /// Whole major units, a half to the even neighbour (`20.5` → `20`, `21.5` → `22`).
    #[default]
    WholeUnitsHalfEven,
    /// Whole major units, the fraction dropped (`20.5` → `20`).
    WholeUnitsDown,
}

impl AmountRounding {
    /// A unit price as Payfect stores it under this rule.
    pub fn round_unit(self, unit: Money) -> Result<Money, ProviderError> {
        let factor = 10i64.pow(u32::from(unit.currency().exponent()));
        let minor = unit.minor();
        if self == AmountRounding::Exact || factor == 1 || minor < 0 {
            return Ok(unit);
        }
        let (whole, rest) = (minor / factor, minor % factor);
        let up = match self {
            AmountRounding::WholeUnitsDown | AmountRounding::Exact => false,
            AmountRounding::WholeUnitsHalfEven => {
                rest * 2 > factor || (rest * 2 == factor && whole % 2 == 1)
            }
        };
        let units = if up { whole + 1 } else { whole };
        let rounded = units
            .checked_mul(factor)
            .ok_or(ProviderError::AmountNotRepresentable { provider: P, amount: unit })?;
        Ok(Money::from_minor(rounded, unit.currency())?)
    }

    /// The total Payfect charges for `lines` under this rule.
    pub fn charged_total(self, lines: &[OrderLine]) -> Result<Option<Money>, ProviderError> {
        let Some(first) = lines.first() else { return Ok(None) };
        let mut sum = Money::zero(first.unit_price.currency());
        for line in lines {
            sum = sum.checked_add(self.round_unit(line.unit_price)?.checked_mul(line.quantity)?)?;
        }
        Ok(Some(sum))
    }

    /// Whether `reported` settles an order of `lines` totalling `total`: equal to it, or to
    /// what this rule makes of it. Anything else is a real difference.
    pub fn settles(self, lines: &[OrderLine], total: Money, reported: Money) -> bool {
        reported == total
            || self.charged_total(lines).ok().flatten().is_some_and(|charged| charged == reported)
    }
}

/// What a currency code in one of Payfect's answers means to us.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadCurrency {
    /// The code we send for this order currency: the amount is comparable.
    Order(Currency),
    /// A settlement currency (`usdt`): what the customer paid with, not comparable.
    Settlement(String),
    /// A currency we did not ask for.
    Unknown,
}

/// The order currency ⇄ Payfect code mapping.
#[derive(Clone, Debug)]
pub struct Currencies {
    mapped: Vec<(Currency, String)>,
    settlement: Vec<String>,
    lowercase: bool,
}

impl Currencies {
    /// Checks and builds the mapping from configuration.
    pub fn new(
        codes: &BTreeMap<String, String>,
        settlement: &[String],
        lowercase: bool,
    ) -> Result<Self, ProviderError> {
        let code_ok = |c: &str| {
            !c.is_empty() && c.len() <= 16 && c.bytes().all(|b| b.is_ascii_alphanumeric())
        };
        let mut mapped = Vec::new();
        for (iso, code) in codes {
            let currency = Currency::from_code(&iso.to_ascii_uppercase()).map_err(|_| {
                ProviderError::misconfigured(P, "currency_codes keys must be ISO 4217 codes")
            })?;
            if !code_ok(code) {
                return Err(ProviderError::misconfigured(
                    P,
                    "currency_codes values must be 1 to 16 letters or digits",
                ));
            }
            mapped.push((currency, code.clone()));
        }
        if !settlement.iter().all(|c| code_ok(c)) {
            return Err(ProviderError::misconfigured(
                P,
                "settlement_currencies must be 1 to 16 letters or digits each",
            ));
        }
        Ok(Currencies { mapped, settlement: settlement.to_vec(), lowercase })
    }

    /// The code Payfect gets for `currency`.
    pub fn code_for(&self, currency: Currency) -> String {
        match self.mapped.iter().find(|(c, _)| *c == currency) {
            Some((_, code)) => code.clone(),
            None if self.lowercase => currency.code().to_ascii_lowercase(),
            None => currency.code().to_owned(),
        }
    }

    /// What `code` (any case) in an answer means.
    pub fn read(&self, code: &str) -> ReadCurrency {
        let code = code.trim();
        if let Some((currency, _)) = self.mapped.iter().find(|(_, c)| c.eq_ignore_ascii_case(code))
        {
            return ReadCurrency::Order(*currency);
        }
        if let Some(s) = self.settlement.iter().find(|s| s.eq_ignore_ascii_case(code)) {
            return ReadCurrency::Settlement(s.clone());
        }
        match Currency::from_code(&code.to_ascii_uppercase()) {
            // A currency sent under another code is not one we asked for by its ISO name.
            Ok(currency) if !self.mapped.iter().any(|(c, _)| *c == currency) => {
                ReadCurrency::Order(currency)
            }
            _ => ReadCurrency::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nok(minor: i64) -> Money {
        Money::from_minor(minor, Currency::NOK).unwrap()
    }

    fn line(unit: Money, quantity: u32) -> OrderLine {
        OrderLine {
            sku: "s".into(),
            name: "n".into(),
            quantity,
            unit_price: unit,
            line_total: unit.checked_mul(quantity).unwrap(),
            start_date: None,
            end_date: None,
        }
    }

    #[test]
    fn the_docs_example_20_5_becomes_20_under_both_whole_unit_rules() {
        for rule in [AmountRounding::WholeUnitsHalfEven, AmountRounding::WholeUnitsDown] {
            assert_eq!(rule.round_unit(nok(2050)).unwrap(), nok(2000), "{rule:?}");
        }
        assert_eq!(AmountRounding::Exact.round_unit(nok(2050)).unwrap(), nok(2050));
    }

    #[test]
    fn half_even_and_down_differ_where_they_should() {
        let even = AmountRounding::WholeUnitsHalfEven;
        assert_eq!(even.round_unit(nok(2150)).unwrap(), nok(2200));
        assert_eq!(even.round_unit(nok(2051)).unwrap(), nok(2100));
        assert_eq!(even.round_unit(nok(2049)).unwrap(), nok(2000));
        assert_eq!(AmountRounding::WholeUnitsDown.round_unit(nok(2099)).unwrap(), nok(2000));
        let yen = Money::from_minor(1250, Currency::JPY).unwrap();
        assert_eq!(even.round_unit(yen).unwrap(), yen, "no fraction to round");
    }

    #[test]
    fn a_rounded_total_settles_and_a_real_difference_does_not() {
        let lines = [line(nok(2050), 2), line(nok(7550), 1)];
        let total = nok(2050 * 2 + 7550);
        let rule = AmountRounding::WholeUnitsHalfEven;
        // 20 × 2 + 76 = 116.00 by Payfect's rule; 116.50 is ours.
        assert!(rule.settles(&lines, total, nok(11_600)));
        assert!(rule.settles(&lines, total, total));
        assert!(!rule.settles(&lines, total, nok(11_500)));
        assert!(!rule.settles(&lines, total, nok(11_700)));
        assert!(!rule.settles(&lines, total, Money::from_minor(11_650, Currency::EUR).unwrap()));
        assert!(!AmountRounding::Exact.settles(&lines, total, nok(11_600)));
    }

    #[test]
    fn currencies_are_sent_as_iso_or_as_mapped_and_read_back() {
        let none = Currencies::new(&BTreeMap::new(), &["usdt".into()], false).unwrap();
        assert_eq!(none.code_for(Currency::NOK), "NOK");
        assert_eq!(none.read("nok"), ReadCurrency::Order(Currency::NOK));
        assert_eq!(none.read("TWD"), ReadCurrency::Order(Currency::from_code("TWD").unwrap()));
        assert_eq!(none.read("USDT"), ReadCurrency::Settlement("usdt".into()));
        assert_eq!(none.read("doge"), ReadCurrency::Unknown);

        let pegged =
            Currencies::new(&[("USD".into(), "usdt".into())].into(), &["usdt".into()], true)
                .unwrap();
        assert_eq!(pegged.code_for(Currency::USD), "usdt");
        assert_eq!(pegged.code_for(Currency::NOK), "nok");
        assert_eq!(pegged.read("usdt"), ReadCurrency::Order(Currency::USD));
        assert_eq!(pegged.read("USD"), ReadCurrency::Unknown, "we sent usdt, not USD");

        assert!(Currencies::new(&[("XYZ".into(), "usdt".into())].into(), &[], false).is_err());
        assert!(Currencies::new(&[("NOK".into(), "u s".into())].into(), &[], false).is_err());
    }
}
