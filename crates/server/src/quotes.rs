//! Quote ids: the price the customer saw, tied to the session they create.
//!
//! A quote id is stateless and signed, so any instance that shares the key can check it and
//! nothing is stored per quote:
//!
//! ```text
//! v1.<expiry, unix seconds>.<prices: base64url of 12 bytes of SHA-256 over the priced cart>
//!   .<mac: base64url of 16 bytes of HMAC-SHA256(key, "v1" expiry prices cart)>
//! ```
//!
//! The MAC covers the cart the customer sent (SKUs, quantities, dates), so an id is good
//! only for that cart; the `prices` part records what the cart cost then (each line's unit
//! price and total, the total, the currency). When a session is created the cart is priced
//! again and:
//! - a MAC that does not match (a forged id, or one of another cart) is `invalid_request`;
//! - other prices now are `price_changed`, with the fresh quote;
//! - the same prices after the expiry are `quote_expired`, with the fresh quote;
//! - otherwise the customer pays what they saw.
//!
//! Product names are not part of it: renaming a product does not change what anyone pays.
//! The key comes from `checkout.quote_key` (`KASSA_CHECKOUT__QUOTE_KEY`); without one, each
//! process draws its own at start-up and warns, because several instances behind one
//! address must share it.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use hmac::{Hmac, Mac as _};
use kassa_wire::{CartItem, Money, Quote, QuoteId, QuoteLine};
use secrecy::{ExposeSecret as _, SecretString};
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use crate::error::AppError;

/// Bytes of the price digest kept in the id.
const PRICE_BYTES: usize = 12;
/// Bytes of the MAC kept in the id.
const MAC_BYTES: usize = 16;

/// A cart priced from the catalog, before it is a [`Quote`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Priced {
    /// One line per cart item.
    pub lines: Vec<QuoteLine>,
    /// Their sum.
    pub total: Money,
}

/// Issues and checks quote ids.
pub struct Quotes {
    key: Vec<u8>,
    ttl_secs: i64,
}

impl std::fmt::Debug for Quotes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Quotes").field("ttl_secs", &self.ttl_secs).finish_non_exhaustive()
    }
}

impl Quotes {
    /// Signs with `key` (a fresh random key when `None`); quotes live `ttl_secs` (a quote
    /// is good strictly before its expiry, so 0 makes every quote expired at once).
    pub fn new(key: Option<&SecretString>, ttl_secs: u32) -> Self {
        let key = match key {
            Some(k) => k.expose_secret().as_bytes().to_vec(),
            None => uuid::Uuid::new_v4()
                .as_bytes()
                .iter()
                .chain(uuid::Uuid::new_v4().as_bytes())
                .copied()
                .collect(),
        };
        Quotes { key, ttl_secs: i64::from(ttl_secs) }
    }

    /// Prices `items` from `catalog` and issues their quote, valid from `now`:
    /// `POST /v1/checkout/quote`.
    pub fn quote(
        &self,
        catalog: &crate::catalog::Catalog,
        items: &[CartItem],
        now: i64,
    ) -> Result<Quote, AppError> {
        Ok(self.issue(items, catalog.price(items)?, now))
    }

    /// The quote for `priced` (the cart `items`), valid from `now`.
    pub fn issue(&self, items: &[CartItem], priced: Priced, now: i64) -> Quote {
        let expiry = now.saturating_add(self.ttl_secs);
        let prices = price_digest(&priced);
        let mac = self.mac(expiry, &prices, items);
        let mut id = format!("v1.{expiry}.");
        URL_SAFE_NO_PAD.encode_string(prices, &mut id);
        id.push('.');
        URL_SAFE_NO_PAD.encode_string(mac, &mut id);
        Quote {
            // Always URL-safe and short: digits, dots and base64url.
            id: QuoteId::parse(id).unwrap_or_else(|_| unreachable_id()),
            expires_at: rfc3339(expiry),
            lines: priced.lines,
            total: priced.total,
        }
    }

    /// Whether the customer, who saw `quote_id`, may pay `fresh` (the cart `items` priced
    /// now). On success, the quote to store with the order: the customer's id and expiry.
    pub fn check(
        &self,
        quote_id: &QuoteId,
        items: &[CartItem],
        fresh: Priced,
        now: i64,
    ) -> Result<Quote, AppError> {
        let forged =
            || AppError::invalid("quote_id", "is not a quote of this cart; ask for a new quote");
        let (expiry, prices, mac) = parse(quote_id).ok_or_else(forged)?;
        let expected = self.mac(expiry, &prices, items);
        if !bool::from(expected[..].ct_eq(&mac[..])) {
            return Err(forged());
        }
        if price_digest(&fresh) != prices {
            return Err(AppError::PriceChanged(Box::new(self.issue(items, fresh, now))));
        }
        if expiry <= now {
            return Err(AppError::QuoteExpired(Box::new(self.issue(items, fresh, now))));
        }
        Ok(Quote {
            id: quote_id.clone(),
            expires_at: rfc3339(expiry),
            lines: fresh.lines,
            total: fresh.total,
        })
    }

    fn mac(&self, expiry: i64, prices: &[u8; PRICE_BYTES], items: &[CartItem]) -> [u8; MAC_BYTES] {
        let mut mac = <Hmac<Sha256>>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(b"v1");
        mac.update(&expiry.to_be_bytes());
        mac.update(prices);
        for item in items {
            field(&mut mac, item.sku.as_bytes());
            mac.update(&item.quantity.to_be_bytes());
            field(&mut mac, item.start_date.as_deref().unwrap_or("").as_bytes());
            field(&mut mac, item.end_date.as_deref().unwrap_or("").as_bytes());
        }
        let full = mac.finalize().into_bytes();
        let mut out = [0; MAC_BYTES];
        out.copy_from_slice(&full[..MAC_BYTES]);
        out
    }
}

/// A length-prefixed field, so that no two carts feed the MAC the same bytes.
fn field(mac: &mut Hmac<Sha256>, bytes: &[u8]) {
    mac.update(&(bytes.len() as u64).to_be_bytes());
    mac.update(bytes);
}

/// What the cart costs: currency, each line's unit price and total, the total.
fn price_digest(priced: &Priced) -> [u8; PRICE_BYTES] {
    let mut hash = Sha256::new();
    hash.update(priced.total.currency().code().as_bytes());
    for line in &priced.lines {
        hash.update(line.unit_price.currency().code().as_bytes());
        hash.update(line.unit_price.minor().to_be_bytes());
        hash.update(line.line_total.minor().to_be_bytes());
    }
    hash.update(priced.total.minor().to_be_bytes());
    let full = hash.finalize();
    let mut out = [0; PRICE_BYTES];
    out.copy_from_slice(&full[..PRICE_BYTES]);
    out
}

/// `v1.<expiry>.<prices>.<mac>`, or `None` for anything else.
fn parse(id: &QuoteId) -> Option<(i64, [u8; PRICE_BYTES], [u8; MAC_BYTES])> {
    let mut parts = id.as_str().split('.');
    let (Some("v1"), Some(expiry), Some(prices), Some(mac), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    if expiry.is_empty() || expiry.len() > 12 || !expiry.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let expiry = expiry.parse().ok()?;
    let prices = URL_SAFE_NO_PAD.decode(prices).ok()?.try_into().ok()?;
    let mac = URL_SAFE_NO_PAD.decode(mac).ok()?.try_into().ok()?;
    Some((expiry, prices, mac))
}

/// Unix seconds as RFC 3339 UTC, `2026-12-01T12:15:00Z`.
fn rfc3339(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| "9999-12-31T23:59:59Z".to_owned())
}

#[cold]
fn unreachable_id() -> QuoteId {
    QuoteId::parse("v1.0.invalid").unwrap_or_else(|_| unreachable!("a constant id is valid"))
}

#[cfg(test)]
mod tests {
    use kassa_wire::{Currency, ErrorCode};

    use super::*;

    fn nok(minor: i64) -> Money {
        Money::from_minor(minor, Currency::NOK).unwrap()
    }

    fn priced(unit: i64) -> Priced {
        Priced {
            lines: vec![QuoteLine {
                sku: "kayak".into(),
                name: "Kayak".into(),
                quantity: 2,
                unit_price: nok(unit),
                line_total: nok(unit * 2),
                start_date: None,
                end_date: None,
            }],
            total: nok(unit * 2),
        }
    }

    fn items() -> Vec<CartItem> {
        vec![CartItem { sku: "kayak".into(), quantity: 2, start_date: None, end_date: None }]
    }

    fn code(e: AppError) -> ErrorCode {
        match e {
            AppError::PriceChanged(_) => ErrorCode::PriceChanged,
            AppError::QuoteExpired(_) => ErrorCode::QuoteExpired,
            AppError::Invalid { .. } => ErrorCode::InvalidRequest,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_same_price_in_time_passes_and_is_stored_with_the_customers_id() {
        let quotes = Quotes::new(None, 900);
        let quote = quotes.issue(&items(), priced(100), 1_000);
        assert!(quote.id.len() < 100, "{}", quote.id);
        assert_eq!(quote.expires_at, "1970-01-01T00:31:40Z");
        let mut renamed = priced(100);
        renamed.lines[0].name = "Sea kayak".into();
        let kept = quotes.check(&quote.id, &items(), renamed, 1_899).unwrap();
        assert_eq!(kept.id, quote.id);
        assert_eq!(kept.lines[0].name, "Sea kayak");
    }

    #[test]
    fn a_new_price_or_an_old_quote_answers_with_a_fresh_quote() {
        let quotes = Quotes::new(None, 900);
        let quote = quotes.issue(&items(), priced(100), 1_000);
        let changed = quotes.check(&quote.id, &items(), priced(101), 1_001).unwrap_err();
        let AppError::PriceChanged(fresh) = &changed else { panic!("{changed:?}") };
        assert_eq!(fresh.total, nok(202));
        assert!(quotes.check(&fresh.id, &items(), priced(101), 1_001).is_ok());
        assert_eq!(
            code(quotes.check(&quote.id, &items(), priced(100), 1_901).unwrap_err()),
            ErrorCode::QuoteExpired
        );
        // A changed price wins over an expired quote: the customer must see the new total.
        assert_eq!(
            code(quotes.check(&quote.id, &items(), priced(99), 5_000).unwrap_err()),
            ErrorCode::PriceChanged
        );
    }

    #[test]
    fn a_forged_tampered_or_foreign_id_is_invalid() {
        let quotes = Quotes::new(None, 900);
        let quote = quotes.issue(&items(), priced(100), 1_000);
        let other_key = Quotes::new(Some(&SecretString::from("another key")), 900);
        assert_eq!(
            code(other_key.check(&quote.id, &items(), priced(100), 1_001).unwrap_err()),
            ErrorCode::InvalidRequest
        );
        // A later expiry written into the id breaks the MAC.
        let later = quote.id.replacen("v1.1900.", "v1.9900.", 1);
        let later = QuoteId::parse(later).unwrap();
        assert_eq!(
            code(quotes.check(&later, &items(), priced(100), 1_001).unwrap_err()),
            ErrorCode::InvalidRequest
        );
        let mut more = items();
        more[0].quantity = 3;
        assert_eq!(
            code(quotes.check(&quote.id, &more, priced(100), 1_001).unwrap_err()),
            ErrorCode::InvalidRequest
        );
        for junk in
            ["v1", "v1.1.a.b", "v2.1900.AAAA.BBBB", "x", "v1.-5.a.b", "v1.1900..", "v1.1.2.3.4"]
        {
            let id = QuoteId::parse(junk).unwrap();
            assert_eq!(
                code(quotes.check(&id, &items(), priced(100), 1).unwrap_err()),
                ErrorCode::InvalidRequest,
                "{junk}"
            );
        }
    }
}
