//! How Stripe counts money, where it differs from ISO 4217, and the smallest charge it takes.
//!
//! Stripe's API takes `unit_amount` in "the currency's smallest unit", which is ISO 4217's
//! minor unit with exceptions listed at <https://docs.stripe.com/currencies> ("Special cases"
//! and "Minimum and maximum charge amounts"):
//!
//! - **Three-decimal currencies** (BHD, JOD, KWD, OMR, TND): thousandths, but card payments
//!   need the last digit to be 0, so such amounts are refused here rather than rounded.
//! - **ISK**: ISO gives it no minor unit, but Stripe kept it two-decimal for backwards
//!   compatibility and, since 14 April 2023, refuses any amount not divisible by 100
//!   (`invalid_charge_amount_no_decimal_compatible`; support.stripe.com "Deprecation of
//!   fractional ISK charges and refunds"). Kassa's ISK amounts are whole krónur (ISO), so
//!   they are sent ×100 and read back ÷100.
//! - **HUF, TWD**: two-decimal for charges, as in ISO; only *payouts* are whole units, which
//!   Kassa does not make. Nothing to convert.
//! - **UGX**: zero-decimal in ISO and in Stripe's zero-decimal list, so sent as is. \[U\] The
//!   currencies page lists UGX among its special cases without our having its text; the
//!   simulator follows the zero-decimal list too, so a change here would show in
//!   `crates/sim/src/stripe/api.rs`'s tests.
//!
//! The minimum charge amounts are Stripe's table for the currencies it publishes one for; for
//! the others Stripe asks for "the equivalent of $0.50", which only Stripe can convert, so no
//! check is made here and Stripe's own `amount_too_small` answer reaches the customer.

use kassa_wire::{Currency, Money, ProviderId};

use crate::ProviderError;

const P: ProviderId = ProviderId::Stripe;

/// How many of Stripe's units make one ISO minor unit (1, or 100 for ISK).
fn scale(currency: Currency) -> i64 {
    match currency.code() {
        "ISK" => 100,
        _ => 1,
    }
}

/// `money` in Stripe's units for `unit_amount`: refused (never rounded) when Stripe could not
/// charge it exactly.
pub(crate) fn to_stripe(money: Money) -> Result<i64, ProviderError> {
    let refuse = || ProviderError::AmountNotRepresentable { provider: P, amount: money };
    if money.minor() < 0 {
        return Err(refuse());
    }
    if money.currency().exponent() == 3 && money.minor() % 10 != 0 {
        return Err(refuse());
    }
    money.minor().checked_mul(scale(money.currency())).ok_or_else(refuse)
}

/// An amount Stripe reported (`amount_total`) back in ISO minor units; `None` when it is not
/// a whole number of them (an ISK amount not divisible by 100).
pub(crate) fn from_stripe(amount: i64, currency: Currency) -> Option<i64> {
    let scale = scale(currency);
    (amount % scale == 0).then(|| amount / scale)
}

/// The smallest total Stripe charges in `currency`, in ISO minor units, where Stripe's table
/// names one (docs.stripe.com/currencies, "Minimum and maximum charge amounts").
pub fn minimum_charge(currency: Currency) -> Option<Money> {
    let minor = match currency.code() {
        "USD" | "AUD" | "BRL" | "CAD" | "CHF" | "EUR" | "INR" | "NZD" | "SGD" => 50,
        "GBP" => 30,
        "BGN" => 100,
        "AED" | "MYR" | "PLN" | "RON" => 200,
        "DKK" => 250,
        "NOK" | "SEK" => 300,
        "HKD" => 400,
        "MXN" | "THB" => 1_000,
        "CZK" => 1_500,
        "HUF" => 17_500,
        "JPY" => 50,
        _ => return None,
    };
    Money::from_minor(minor, currency).ok()
}

/// Refuses a total below Stripe's minimum before any call, with a message the customer can
/// read (R-I4: bad input is refused by the person who can fix it, here the cart).
pub(crate) fn check_minimum(total: Money) -> Result<(), ProviderError> {
    match minimum_charge(total.currency()) {
        Some(minimum) if total.minor() < minimum.minor() => {
            Err(ProviderError::BelowMinimum { provider: P, amount: total, minimum })
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(minor: i64, code: &str) -> Money {
        Money::from_minor(minor, Currency::from_code(code).unwrap()).unwrap()
    }

    #[test]
    fn most_currencies_are_sent_in_their_iso_minor_units() {
        assert_eq!(to_stripe(money(45_000, "NOK")).unwrap(), 45_000);
        assert_eq!(to_stripe(money(1_250, "JPY")).unwrap(), 1_250);
        assert_eq!(to_stripe(money(50_000, "UGX")).unwrap(), 50_000);
        assert_eq!(to_stripe(money(17_550, "HUF")).unwrap(), 17_550);
        assert_eq!(to_stripe(money(3_001, "TWD")).unwrap(), 3_001);
    }

    #[test]
    fn iceland_krona_is_sent_with_two_zero_decimals_and_read_back() {
        let isk = Currency::from_code("ISK").unwrap();
        assert_eq!(isk.exponent(), 0, "ISO gives ISK no minor unit");
        assert_eq!(to_stripe(money(4_990, "ISK")).unwrap(), 499_000);
        assert_eq!(from_stripe(499_000, isk), Some(4_990));
        assert_eq!(from_stripe(499_050, isk), None, "a fraction of a króna is not ours");
        assert_eq!(from_stripe(45_000, Currency::NOK), Some(45_000));
    }

    #[test]
    fn three_decimal_amounts_must_end_in_zero() {
        assert_eq!(to_stripe(money(1_250, "KWD")).unwrap(), 1_250);
        assert!(matches!(
            to_stripe(money(1_255, "KWD")),
            Err(ProviderError::AmountNotRepresentable { .. })
        ));
        assert!(matches!(
            to_stripe(money(-1, "NOK")),
            Err(ProviderError::AmountNotRepresentable { .. })
        ));
    }

    #[test]
    fn totals_below_the_published_minimum_are_refused_with_both_amounts() {
        assert!(check_minimum(money(300, "NOK")).is_ok());
        match check_minimum(money(299, "NOK")) {
            Err(e @ ProviderError::BelowMinimum { .. }) => {
                let text = e.to_string();
                assert!(text.contains("3.00 NOK") && text.contains("2.99 NOK"), "{text}");
            }
            other => panic!("{other:?}"),
        }
        assert!(check_minimum(money(17_499, "HUF")).is_err());
        assert!(check_minimum(money(49, "JPY")).is_err());
        assert!(check_minimum(money(29, "GBP")).is_err());
        // No published minimum: Stripe decides.
        assert!(check_minimum(money(1, "ISK")).is_ok());
    }
}
