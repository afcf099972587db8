//! Payfect's wire types and pure conversions (`docs/providers.md` §3): snake_case requests,
//! camelCase responses with string numbers, and the Fernet-signed snake_case callback.
//!
//! No IO and no clock here. Amounts travel as exact decimal strings in major units, never
//! through a float; the callback is trusted only after its Fernet token decrypted under our
//! key and matched the body.

use base64::Engine;
use kassa_wire::{Money, PaymentEvent, ProviderId};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::rules::{Currencies, ReadCurrency};
use crate::{amount, PaymentUpdate, ProviderError, SessionRequest};

const P: ProviderId = ProviderId::Payfect;

/// How currency codes are written in requests. Payfect's own examples use both `usdt` and
/// `CNY` [U], so this is configurable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CurrencyCase {
    /// `NOK` (the ISO 4217 form).
    #[default]
    Upper,
    /// `nok`.
    Lower,
}

/// `POST /checkouts/`.
#[derive(Debug, Serialize)]
pub(crate) struct CreateCheckout {
    pub(crate) client_reference_id: String,
    pub(crate) currency: String,
    pub(crate) invoice_items: Vec<InvoiceItem>,
    pub(crate) success_url: String,
    pub(crate) cancel_url: String,
    pub(crate) callback_url: String,
}

/// One invoice item with inline price data.
#[derive(Debug, Serialize)]
pub(crate) struct InvoiceItem {
    pub(crate) price_data: PriceData,
    pub(crate) quantity: u32,
}

/// Inline price: `unit_amount` is a decimal string in major units (`"20.5"`).
#[derive(Debug, Serialize)]
pub(crate) struct PriceData {
    pub(crate) currency: String,
    pub(crate) unit_amount: String,
    pub(crate) product_data: ProductData,
}

/// The product's name.
#[derive(Debug, Serialize)]
pub(crate) struct ProductData {
    pub(crate) name: String,
}

/// Payfect's `unit_amount`: exact major-unit decimal text; negative prices are refused.
pub(crate) fn unit_amount(money: Money) -> Result<String, ProviderError> {
    if money.minor() < 0 {
        return Err(ProviderError::AmountNotRepresentable { provider: P, amount: money });
    }
    Ok(money.to_major_string())
}

impl CreateCheckout {
    /// The checkout and every item priced in the code we send for the order's currency: the
    /// docs' curl example mixes `CNY` and `TWD`, which leaves a conversion to Payfect at a rate
    /// nobody showed us, so Kassa never does (P5).
    pub(crate) fn from_request(
        req: &SessionRequest,
        currencies: &Currencies,
    ) -> Result<Self, ProviderError> {
        let code = currencies.code_for(req.total.currency());
        let invoice_items = req
            .lines
            .iter()
            .map(|line| {
                Ok(InvoiceItem {
                    price_data: PriceData {
                        currency: currencies.code_for(line.unit_price.currency()),
                        unit_amount: unit_amount(line.unit_price)?,
                        product_data: ProductData {
                            name: if line.name.trim().is_empty() {
                                line.sku.clone()
                            } else {
                                line.name.clone()
                            },
                        },
                    },
                    quantity: line.quantity,
                })
            })
            .collect::<Result<_, ProviderError>>()?;
        Ok(CreateCheckout {
            client_reference_id: req.order_id.clone(),
            currency: code,
            invoice_items,
            success_url: req.success_url.clone(),
            cancel_url: req.cancel_url.clone(),
            callback_url: req.notify_url.clone(),
        })
    }
}

/// The checkout object (create and `GET /checkouts/{id}/`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Checkout {
    pub(crate) id: String,
    pub(crate) status: CheckoutStatus,
    #[serde(default)]
    pub(crate) amount_total: Option<Box<RawValue>>,
    #[serde(default)]
    pub(crate) currency: Option<String>,
    #[serde(default)]
    pub(crate) client_reference_id: Option<String>,
    #[serde(default)]
    pub(crate) expires_at: Option<Box<RawValue>>,
    #[serde(default)]
    pub(crate) url: Option<String>,
}

/// `status` of a checkout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum CheckoutStatus {
    Open,
    Complete,
    Expired,
    #[serde(other)]
    Unknown,
}

impl Checkout {
    /// `amountTotal` in `currency`, parsed exactly. The currency must be one we send: a
    /// settlement or unknown currency here is not what we asked for.
    pub(crate) fn total(
        &self,
        status: u16,
        currencies: &Currencies,
    ) -> Result<Money, ProviderError> {
        let (Some(raw), Some(code)) = (&self.amount_total, &self.currency) else {
            return Err(ProviderError::unexpected(P, status));
        };
        let currency = match currencies.read(code) {
            ReadCurrency::Order(currency) => currency,
            ReadCurrency::Settlement(_) | ReadCurrency::Unknown => {
                tracing::warn!(checkout = %self.id, code = %code, "Payfect answered a checkout in a currency we did not send; the order is left as it is");
                return Err(ProviderError::unexpected(P, status));
            }
        };
        let text = amount::decimal_text(raw).ok_or(ProviderError::unexpected(P, status))?;
        amount::parse_decimal(P, &text, currency)
    }

    /// `expiresAt` is epoch **milliseconds** as a string (unlike `createdAt`, in seconds);
    /// answered in seconds.
    pub(crate) fn expires_at_secs(&self) -> Option<i64> {
        let text = amount::decimal_text(self.expires_at.as_deref()?)?;
        let whole = text.split('.').next()?;
        whole.parse::<i64>().ok().map(|ms| ms.div_euclid(1000))
    }

    /// What the checkout says now, deduplicated by id and event.
    pub(crate) fn to_update(
        &self,
        status: u16,
        currencies: &Currencies,
    ) -> Result<PaymentUpdate, ProviderError> {
        let (event, amount) = match self.status {
            CheckoutStatus::Complete => {
                (Some(PaymentEvent::Paid), Some(self.total(status, currencies)?))
            }
            CheckoutStatus::Expired => (Some(PaymentEvent::Expired), None),
            CheckoutStatus::Open => (None, None),
            CheckoutStatus::Unknown => {
                tracing::warn!(checkout = %self.id, "Payfect answered a checkout status its docs do not list (open, complete, expired); the order is left as it is");
                return Err(ProviderError::unexpected(P, status));
            }
        };
        Ok(self.update(event, amount))
    }

    /// The answer to a cancel: Payfect has no cancel call, so an open checkout is simply
    /// abandoned by us.
    pub(crate) fn cancelled_update(
        &self,
        status: u16,
        currencies: &Currencies,
    ) -> Result<PaymentUpdate, ProviderError> {
        match self.status {
            CheckoutStatus::Open => Ok(self.update(Some(PaymentEvent::Cancelled), None)),
            _ => self.to_update(status, currencies),
        }
    }

    fn update(&self, event: Option<PaymentEvent>, amount: Option<Money>) -> PaymentUpdate {
        PaymentUpdate {
            reference: self.id.clone(),
            order_id: self.client_reference_id.clone(),
            event,
            amount,
            dedup_key: format!("{}:{}", self.id, crate::event_name(event)),
        }
    }
}

/// Maps a DRF-style error body onto the taxonomy: `{"detail": "..."}` or
/// `{"field": ["msg"]}` (possibly nested) → [`ProviderError::Rejected`] naming the field.
pub(crate) fn map_error(status: u16, body: &[u8], common: ProviderError) -> ProviderError {
    if !matches!(status, 400 | 422) {
        return common;
    }
    let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(body)
    else {
        return common;
    };
    if let Some(detail) = map.get("detail").and_then(|d| d.as_str()) {
        return ProviderError::Rejected {
            provider: P,
            status,
            message: detail.to_owned(),
            param: None,
        };
    }
    match map.iter().next() {
        Some((field, value)) => ProviderError::Rejected {
            provider: P,
            status,
            message: first_text(value).unwrap_or_else(|| format!("HTTP {status}")),
            param: Some(field.clone()),
        },
        None => common,
    }
}

fn first_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Array(items) => items.iter().find_map(first_text),
        serde_json::Value::Object(map) => map.values().find_map(first_text),
        _ => None,
    }
}

/// The callback body (snake_case again).
#[derive(Debug, Deserialize)]
pub(crate) struct Callback {
    pub(crate) id: String,
    pub(crate) status: String,
    #[serde(default)]
    pub(crate) amount: Option<Box<RawValue>>,
    #[serde(default)]
    pub(crate) currency: Option<String>,
    #[serde(default)]
    pub(crate) client_reference_id: Option<String>,
}

/// Checks `X-Payfect-Signature`: a Fernet token under our key whose plaintext, parsed as
/// JSON, equals the parsed body. With `ttl_secs`, the token's own timestamp must be at most
/// that old. Answers the parsed callback; the error is a reason for debug logs only.
pub(crate) fn verify_callback(
    fernet: &fernet::Fernet,
    token: &str,
    body: &[u8],
    now: i64,
    ttl_secs: Option<u64>,
) -> Result<Callback, &'static str> {
    let now_u = u64::try_from(now).map_err(|_| "clock before 1970")?;
    let plaintext =
        fernet.decrypt_at_time(token.trim(), None, now_u).map_err(|_| "token does not decrypt")?;
    if let Some(ttl) = ttl_secs {
        let issued = token_timestamp(token).ok_or("token timestamp unreadable")?;
        if now_u.saturating_sub(issued) > ttl {
            return Err("token older than ttl");
        }
    }
    let signed: serde_json::Value =
        serde_json::from_slice(&plaintext).map_err(|_| "token is not JSON")?;
    let posted: serde_json::Value = serde_json::from_slice(body).map_err(|_| "body is not JSON")?;
    if signed != posted {
        return Err("token does not match body");
    }
    serde_json::from_value(posted).map_err(|_| "callback fields missing")
}

/// The issue time (Unix seconds) written in a Fernet token: bytes 1..9, big-endian.
fn token_timestamp(token: &str) -> Option<u64> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.trim().trim_end_matches('='))
        .ok()?;
    let stamp: [u8; 8] = bytes.get(1..9)?.try_into().ok()?;
    Some(u64::from_be_bytes(stamp))
}

/// What a verified callback tells us.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum CallbackNews {
    /// Decoded as it stands.
    Update(PaymentUpdate),
    /// A success in a settlement currency: the amount is not comparable with the order, so
    /// the checkout is read for its total in the currency we sent.
    Confirm,
}

impl Callback {
    /// `succeeded` in the currency we sent → `Paid` with the callback's amount; in a
    /// settlement currency (`usdt`) → [`CallbackNews::Confirm`]; `failed` → `Declined` only
    /// when `failed_declines` (Payfect documents success callbacks only [U]). A currency we
    /// did not ask for or a status the docs do not list is logged for the operator and
    /// changes nothing. Deduplicated by `"{id}:{status}"`.
    pub(crate) fn news(
        &self,
        failed_declines: bool,
        currencies: &Currencies,
    ) -> Result<CallbackNews, ProviderError> {
        let (event, amount) = match self.status.as_str() {
            "succeeded" => {
                let bad = || {
                    ProviderError::invalid_notification(P, "succeeded without amount or currency")
                };
                let raw = self.amount.as_deref().ok_or_else(bad)?;
                let code = self.currency.as_deref().ok_or_else(bad)?;
                let text = amount::decimal_text(raw).ok_or_else(bad)?;
                match currencies.read(code) {
                    ReadCurrency::Order(currency) => {
                        (Some(PaymentEvent::Paid), Some(amount::parse_decimal(P, &text, currency)?))
                    }
                    ReadCurrency::Settlement(_) => return Ok(CallbackNews::Confirm),
                    ReadCurrency::Unknown => {
                        tracing::warn!(checkout = %self.id, order = ?self.client_reference_id, code, "a signed Payfect callback names a currency we did not ask for; the order is left as it is");
                        (None, None)
                    }
                }
            }
            "failed" if failed_declines => (Some(PaymentEvent::Declined), None),
            "failed" => {
                tracing::info!(checkout = %self.id, "a signed Payfect failed callback; failure_callbacks is off, so polling decides");
                (None, None)
            }
            other => {
                tracing::warn!(checkout = %self.id, order = ?self.client_reference_id, status = other, "a signed Payfect callback has a status its docs do not list; the order is left as it is");
                (None, None)
            }
        };
        Ok(CallbackNews::Update(PaymentUpdate {
            reference: self.id.clone(),
            order_id: self.client_reference_id.clone(),
            event,
            amount,
            dedup_key: format!("{}:{}", self.id, self.status),
        }))
    }
}

#[cfg(test)]
mod tests {
    use kassa_wire::{Currency, CustomerDetails, Presentation};

    use super::*;
    use crate::{CustomerIdentity, OrderLine};

    fn money(minor: i64, currency: Currency) -> Money {
        Money::from_minor(minor, currency).unwrap()
    }

    fn request(unit: Money) -> SessionRequest {
        SessionRequest {
            order_id: "ks_1".into(),
            idempotency_key: "idem-1".into(),
            lines: vec![OrderLine {
                sku: "tour".into(),
                name: "Fjord tour".into(),
                quantity: 2,
                unit_price: unit,
                line_total: unit.checked_mul(2).unwrap(),
                start_date: None,
                end_date: None,
            }],
            total: unit.checked_mul(2).unwrap(),
            presentation: Presentation::Redirect,
            method_variant: None,
            success_url: "https://shop.test/ok".into(),
            cancel_url: "https://shop.test/cancel".into(),
            notify_url: "https://api.shop.test/notify/payfect".into(),
            customer: CustomerDetails::default(),
            locale: None,
            created_at: 1_700_000_000,
            identity: CustomerIdentity::default(),
            previous_reference: None,
        }
    }

    fn currencies(case: CurrencyCase) -> Currencies {
        Currencies::new(&Default::default(), &["usdt".into()], case == CurrencyCase::Lower).unwrap()
    }

    fn body(req: &SessionRequest, case: CurrencyCase) -> serde_json::Value {
        serde_json::to_value(CreateCheckout::from_request(req, &currencies(case)).unwrap()).unwrap()
    }

    #[test]
    fn a_mapped_currency_goes_as_payfects_code_on_checkout_and_items_alike() {
        let pegged = Currencies::new(
            &[("USD".to_owned(), "usdt".to_owned())].into(),
            &["usdt".into()],
            false,
        )
        .unwrap();
        let json = serde_json::to_value(
            CreateCheckout::from_request(&request(money(2050, Currency::USD)), &pegged).unwrap(),
        )
        .unwrap();
        assert_eq!(json["currency"], "usdt");
        assert_eq!(json["invoice_items"][0]["price_data"]["currency"], "usdt");
        assert_eq!(json["invoice_items"][0]["price_data"]["unit_amount"], "20.50");
        assert!(json.get("payment_method_data").is_none(), "P6: never sent");
    }

    #[test]
    fn requests_are_snake_case_with_decimal_string_amounts_and_our_urls() {
        let json = body(&request(money(2050, Currency::NOK)), CurrencyCase::Upper);
        assert_eq!(
            json,
            serde_json::json!({
                "client_reference_id": "ks_1",
                "currency": "NOK",
                "invoice_items": [{
                    "price_data": {"currency": "NOK", "unit_amount": "20.50", "product_data": {"name": "Fjord tour"}},
                    "quantity": 2
                }],
                "success_url": "https://shop.test/ok",
                "cancel_url": "https://shop.test/cancel",
                "callback_url": "https://api.shop.test/notify/payfect"
            })
        );
    }

    #[test]
    fn currency_case_is_configurable() {
        let json = body(&request(money(2050, Currency::NOK)), CurrencyCase::Lower);
        assert_eq!(json["currency"], "nok");
        assert_eq!(json["invoice_items"][0]["price_data"]["currency"], "nok");
    }

    #[test]
    fn zero_two_and_three_decimal_currencies_are_exact_decimal_strings() {
        let unit = |m: Money| {
            body(&request(m), CurrencyCase::Upper)["invoice_items"][0]["price_data"]["unit_amount"]
                .clone()
        };
        assert_eq!(unit(money(1250, Currency::JPY)), "1250");
        assert_eq!(unit(money(45000, Currency::NOK)), "450.00");
        assert_eq!(unit(money(1255, Currency::KWD)), "1.255");
        assert!(matches!(
            unit_amount(money(-1, Currency::NOK)),
            Err(ProviderError::AmountNotRepresentable { .. })
        ));
    }

    const CHECKOUT: &str = r#"{
        "id":"ed8d24aa-a860-426b-8e56-87cb9f55a081","merchant":{"id":"m","name":"Fjordtur"},
        "amountTotal":"41.00","status":"open","createdAt":"1690532072.288761",
        "clientReferenceId":"ks_1","currency":"NOK","expiresAt":"1703939166000",
        "url":"https://buy.payfect.test/checkouts/ed8d24aa","isLivemode":false}"#;

    fn checkout(status: &str) -> Checkout {
        serde_json::from_str(
            &CHECKOUT.replace(r#""status":"open""#, &format!(r#""status":"{status}""#)),
        )
        .unwrap()
    }

    #[test]
    fn expires_at_milliseconds_become_seconds() {
        assert_eq!(checkout("open").expires_at_secs(), Some(1_703_939_166));
    }

    #[test]
    fn the_response_total_is_parsed_exactly() {
        assert_eq!(
            checkout("open").total(201, &currencies(CurrencyCase::Upper)).unwrap(),
            money(4100, Currency::NOK)
        );
        let yen: Checkout = serde_json::from_str(
            r#"{"id":"x","status":"open","amountTotal":"1250.00","currency":"jpy"}"#,
        )
        .unwrap();
        assert_eq!(
            yen.total(200, &currencies(CurrencyCase::Upper)).unwrap(),
            money(1250, Currency::JPY)
        );
        let dinar: Checkout = serde_json::from_str(
            r#"{"id":"x","status":"open","amountTotal":"1.255","currency":"KWD"}"#,
        )
        .unwrap();
        assert_eq!(
            dinar.total(200, &currencies(CurrencyCase::Upper)).unwrap(),
            money(1255, Currency::KWD)
        );
        let too_precise: Checkout = serde_json::from_str(
            r#"{"id":"x","status":"open","amountTotal":"1.005","currency":"NOK"}"#,
        )
        .unwrap();
        assert!(too_precise.total(200, &currencies(CurrencyCase::Upper)).is_err());
        for foreign in ["usdt", "doge"] {
            let other: Checkout = serde_json::from_str(&format!(
                r#"{{"id":"x","status":"complete","amountTotal":"41.00","currency":"{foreign}"}}"#
            ))
            .unwrap();
            assert!(
                other.to_update(200, &currencies(CurrencyCase::Upper)).is_err(),
                "a checkout in {foreign}, which we did not send, is not read as paid"
            );
        }
    }

    #[test]
    fn checkout_statuses_map_to_events() {
        assert_eq!(
            checkout("complete").to_update(200, &currencies(CurrencyCase::Upper)).unwrap().event,
            Some(PaymentEvent::Paid)
        );
        assert_eq!(
            checkout("complete").to_update(200, &currencies(CurrencyCase::Upper)).unwrap().amount,
            Some(money(4100, Currency::NOK))
        );
        assert_eq!(
            checkout("expired").to_update(200, &currencies(CurrencyCase::Upper)).unwrap().event,
            Some(PaymentEvent::Expired)
        );
        assert_eq!(
            checkout("open").to_update(200, &currencies(CurrencyCase::Upper)).unwrap().event,
            None
        );
        assert!(checkout("weird").to_update(200, &currencies(CurrencyCase::Upper)).is_err());
        assert_eq!(
            checkout("open").cancelled_update(200, &currencies(CurrencyCase::Upper)).unwrap().event,
            Some(PaymentEvent::Cancelled)
        );
        assert_eq!(
            checkout("complete")
                .cancelled_update(200, &currencies(CurrencyCase::Upper))
                .unwrap()
                .event,
            Some(PaymentEvent::Paid)
        );
    }

    fn common() -> ProviderError {
        ProviderError::Unauthorized { provider: P, status: 401 }
    }

    #[test]
    fn drf_error_shapes_become_rejections_naming_the_field_r_i4() {
        match map_error(400, br#"{"currency":["\"xyz\" is not a valid choice."]}"#, common()) {
            ProviderError::Rejected { param, message, .. } => {
                assert_eq!(param.as_deref(), Some("currency"));
                assert_eq!(message, "\"xyz\" is not a valid choice.");
            }
            other => panic!("{other:?}"),
        }
        match map_error(
            400,
            br#"{"invoice_items":[{"price_data":{"unit_amount":["bad"]}}]}"#,
            common(),
        ) {
            ProviderError::Rejected { param, message, .. } => {
                assert_eq!(param.as_deref(), Some("invoice_items"));
                assert_eq!(message, "bad");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            map_error(400, br#"{"detail":"JSON parse error"}"#, common()),
            ProviderError::Rejected { param: None, .. }
        ));
        assert!(matches!(
            map_error(
                401,
                br#"{"detail":"Authentication credentials were not provided."}"#,
                common()
            ),
            ProviderError::Unauthorized { .. }
        ));
        assert!(matches!(map_error(400, b"<html>", common()), ProviderError::Unauthorized { .. }));
    }

    const KEY: &str = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=";
    const CALLBACK: &str = r#"{"id":"ed8d24aa","amount":"41.00","status":"succeeded","currency":"NOK","merchant":"m","is_livemode":false,"payment_intent":"pi","payment_method":{"id":"pm","payment_method_detail":{"network":"tron","currency":"usdt"}},"client_reference_id":"ks_1"}"#;
    const NOW: i64 = 1_700_000_000;

    fn fernet() -> fernet::Fernet {
        fernet::Fernet::new(KEY).unwrap()
    }

    fn token_at(plaintext: &str, at: i64) -> String {
        fernet().encrypt_at_time(plaintext.as_bytes(), at as u64)
    }

    #[test]
    fn a_callback_whose_token_decrypts_to_the_same_json_verifies() {
        // Key order and whitespace differ: the comparison is of parsed values.
        let reordered = r#"{ "client_reference_id":"ks_1", "status":"succeeded", "id":"ed8d24aa", "amount":"41.00", "currency":"NOK", "merchant":"m", "is_livemode":false, "payment_intent":"pi", "payment_method":{"payment_method_detail":{"currency":"usdt","network":"tron"},"id":"pm"} }"#;
        let cb =
            verify_callback(&fernet(), &token_at(reordered, NOW), CALLBACK.as_bytes(), NOW, None)
                .unwrap();
        let CallbackNews::Update(update) = cb.news(true, &currencies(CurrencyCase::Upper)).unwrap()
        else {
            panic!("a NOK callback is read as it stands")
        };
        assert_eq!(update.event, Some(PaymentEvent::Paid));
        assert_eq!(update.amount, Some(money(4100, Currency::NOK)));
        assert_eq!(update.order_id.as_deref(), Some("ks_1"));
        assert_eq!(update.dedup_key, "ed8d24aa:succeeded");
    }

    #[test]
    fn a_tampered_body_is_refused() {
        let token = token_at(CALLBACK, NOW);
        let tampered = CALLBACK.replace("41.00", "1.00");
        assert_eq!(
            verify_callback(&fernet(), &token, tampered.as_bytes(), NOW, None).err(),
            Some("token does not match body")
        );
    }

    #[test]
    fn a_token_under_another_key_is_refused() {
        let other = fernet::Fernet::new(&fernet::Fernet::generate_key()).unwrap();
        let token = other.encrypt_at_time(CALLBACK.as_bytes(), NOW as u64);
        assert_eq!(
            verify_callback(&fernet(), &token, CALLBACK.as_bytes(), NOW, None).err(),
            Some("token does not decrypt")
        );
        assert!(verify_callback(&fernet(), "not-a-token", CALLBACK.as_bytes(), NOW, None).is_err());
    }

    #[test]
    fn an_optional_ttl_refuses_old_tokens() {
        let token = token_at(CALLBACK, NOW - 600);
        assert!(verify_callback(&fernet(), &token, CALLBACK.as_bytes(), NOW, None).is_ok());
        assert!(verify_callback(&fernet(), &token, CALLBACK.as_bytes(), NOW, Some(900)).is_ok());
        assert_eq!(
            verify_callback(&fernet(), &token, CALLBACK.as_bytes(), NOW, Some(300)).err(),
            Some("token older than ttl")
        );
    }

    #[test]
    fn failed_callbacks_decline_only_when_configured_and_other_statuses_say_nothing() {
        let failed: Callback =
            serde_json::from_str(r#"{"id":"c","status":"failed","client_reference_id":"ks_1"}"#)
                .unwrap();
        assert_eq!(news(&failed, true).event, Some(PaymentEvent::Declined));
        assert_eq!(news(&failed, false).event, None);
        let pending: Callback = serde_json::from_str(r#"{"id":"c","status":"pending"}"#).unwrap();
        assert_eq!(news(&pending, true).event, None);
        assert_eq!(news(&pending, true).dedup_key, "c:pending");
    }

    #[test]
    fn a_succeeded_callback_without_an_amount_is_refused() {
        let cb: Callback =
            serde_json::from_str(r#"{"id":"c","status":"succeeded","currency":"NOK"}"#).unwrap();
        assert!(matches!(
            cb.news(true, &currencies(CurrencyCase::Upper)),
            Err(ProviderError::InvalidNotification { .. })
        ));
    }

    fn news(cb: &Callback, failed_declines: bool) -> PaymentUpdate {
        match cb.news(failed_declines, &currencies(CurrencyCase::Upper)).unwrap() {
            CallbackNews::Update(update) => update,
            CallbackNews::Confirm => panic!("{cb:?} asked for a read"),
        }
    }

    #[test]
    fn a_usdt_callback_as_in_the_docs_is_confirmed_and_an_unasked_currency_changes_nothing() {
        let docs: Callback = serde_json::from_str(
            r#"{"id":"ed8d24aa","amount":"20.00","status":"succeeded","currency":"usdt","client_reference_id":"ks_1"}"#,
        )
        .unwrap();
        assert_eq!(
            docs.news(false, &currencies(CurrencyCase::Upper)).unwrap(),
            CallbackNews::Confirm
        );
        let foreign: Callback = serde_json::from_str(
            r#"{"id":"ed8d24aa","amount":"20.00","status":"succeeded","currency":"doge"}"#,
        )
        .unwrap();
        let update = news(&foreign, false);
        assert_eq!((update.event, update.amount), (None, None));
        let twd: Callback = serde_json::from_str(
            r#"{"id":"ed8d24aa","amount":"20.00","status":"succeeded","currency":"TWD"}"#,
        )
        .unwrap();
        assert_eq!(
            news(&twd, false).amount.map(|m| m.currency().code()),
            Some("TWD"),
            "read as TWD; the server compares it with the order's currency and refuses it"
        );
    }

    proptest::proptest! {
        #[test]
        fn callback_verification_never_panics(token in "\\PC{0,120}", body in proptest::collection::vec(0u8.., 0..64), now in proptest::num::i64::ANY) {
            let _ = verify_callback(&fernet(), &token, &body, now, Some(300));
        }
    }
}
