//! Stripe's wire types and the pure conversions to and from Kassa's domain (`docs/providers.md` §1).
//!
//! Everything here is a function of its arguments: no IO, no clock, no config lookups. The
//! webhook signature check lives here so it can be tested on vectors (R-K1); it must run on
//! the raw bytes before anything parses them.

use std::collections::HashMap;

use hmac::{Hmac, Mac};
use kassa_wire::{Money, PaymentEvent, ProviderId};
use serde::Deserialize;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::{amount, OrderLine, PaymentUpdate, ProviderError, SessionRequest};

const P: ProviderId = ProviderId::Stripe;

/// The first API version whose `ui_mode` values are `hosted_page` / `embedded_page`.
pub(crate) const DAHLIA: &str = "2026-03-25";

/// Which `ui_mode` vocabulary an API version speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum UiModeNames {
    /// Before `2026-03-25.dahlia`: `hosted`, `embedded`.
    Legacy,
    /// From `2026-03-25.dahlia` on: `hosted_page`, `embedded_page`.
    Dahlia,
}

impl UiModeNames {
    /// Picks the vocabulary by the version's date (`YYYY-MM-DD[.name]`).
    pub(crate) fn for_version(version: &str) -> Option<Self> {
        let date = version.get(..10)?;
        let well_formed = date.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
        if !well_formed || version.len() > 10 && !version[10..].starts_with('.') {
            return None;
        }
        Some(if date >= DAHLIA { UiModeNames::Dahlia } else { UiModeNames::Legacy })
    }

    fn name(self, ui: UiMode) -> &'static str {
        match (self, ui) {
            (UiModeNames::Legacy, UiMode::Hosted) => "hosted",
            (UiModeNames::Legacy, UiMode::Embedded) => "embedded",
            (UiModeNames::Dahlia, UiMode::Hosted) => "hosted_page",
            (UiModeNames::Dahlia, UiMode::Embedded) => "embedded_page",
        }
    }
}

/// Hosted page (redirect) or embedded checkout (Stripe.js).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum UiMode {
    /// `checkout.stripe.com`, reached by a full-page redirect.
    Hosted,
    /// Mounted by Stripe.js from the session's client secret.
    Embedded,
}

/// Stripe's `unit_amount` (see [`super::currency`]).
pub(crate) fn unit_amount(money: Money) -> Result<i64, ProviderError> {
    super::currency::to_stripe(money)
}

/// The session `locale` Stripe takes for a widget's BCP 47 language tag: Stripe's own code
/// where one of Kassa's languages has one, `auto` (the customer's browser decides) otherwise.
///
/// Stripe's codes are the `Locale` values of `Checkout.SessionCreateParams` in stripe-node
/// (`types/Checkout/Sessions.d.ts`): Norwegian is `nb` only (not `no`, `nn` or `nb-NO`).
pub(crate) fn stripe_locale(tag: &str) -> &'static str {
    let primary = tag.split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
    match primary.as_str() {
        "no" | "nb" | "nn" => "nb",
        "sv" => "sv",
        "da" => "da",
        "de" => "de",
        "en" => "en",
        _ => "auto",
    }
}

/// The form parameters of `POST /v1/checkout/sessions`, in a fixed order so the body is
/// byte-identical on every retry.
pub(crate) fn create_session_form(
    req: &SessionRequest,
    ui: UiMode,
    names: UiModeNames,
    expires_at: Option<i64>,
) -> Result<Vec<(String, String)>, ProviderError> {
    let mut form: Vec<(String, String)> = Vec::new();
    let mut put = |k: &str, v: String| form.push((k.to_owned(), v));
    put("mode", "payment".into());
    put("ui_mode", names.name(ui).into());
    put("client_reference_id", req.order_id.clone());
    put("metadata[kassa_order_id]", req.order_id.clone());
    put("payment_intent_data[metadata][kassa_order_id]", req.order_id.clone());
    for (i, line) in req.lines.iter().enumerate() {
        push_line(&mut put, i, line)?;
    }
    match ui {
        UiMode::Hosted => {
            put("success_url", req.success_url.clone());
            put("cancel_url", req.cancel_url.clone());
        }
        UiMode::Embedded => {
            put("return_url", req.success_url.clone());
            put("redirect_on_completion", "if_required".into());
        }
    }
    if let Some(email) = &req.customer.email {
        put("customer_email", email.clone());
    }
    if let Some(at) = expires_at {
        put("expires_at", at.to_string());
    }
    if let Some(tag) = &req.locale {
        put("locale", stripe_locale(tag).into());
    }
    Ok(form)
}

fn push_line(
    put: &mut impl FnMut(&str, String),
    i: usize,
    line: &OrderLine,
) -> Result<(), ProviderError> {
    let prefix = format!("line_items[{i}]");
    let name = if line.name.trim().is_empty() { &line.sku } else { &line.name };
    put(
        &format!("{prefix}[price_data][currency]"),
        line.unit_price.currency().code().to_ascii_lowercase(),
    );
    put(&format!("{prefix}[price_data][unit_amount]"), unit_amount(line.unit_price)?.to_string());
    put(&format!("{prefix}[price_data][product_data][name]"), name.clone());
    put(&format!("{prefix}[quantity]"), line.quantity.to_string());
    Ok(())
}

/// The Checkout Session object (create, retrieve, expire, and inside events).
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct CheckoutSession {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) status: Option<SessionStatus>,
    #[serde(default)]
    pub(crate) payment_status: Option<PaymentStatus>,
    #[serde(default)]
    pub(crate) url: Option<String>,
    #[serde(default)]
    pub(crate) client_secret: Option<String>,
    #[serde(default)]
    pub(crate) amount_total: Option<i64>,
    #[serde(default)]
    pub(crate) currency: Option<String>,
    #[serde(default)]
    pub(crate) client_reference_id: Option<String>,
    #[serde(default)]
    pub(crate) metadata: Option<HashMap<String, String>>,
    #[serde(default)]
    pub(crate) payment_intent: Option<Expandable<PaymentIntent>>,
    #[serde(default)]
    pub(crate) expires_at: Option<i64>,
}

/// `status` of a Checkout Session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SessionStatus {
    Open,
    Complete,
    Expired,
    #[serde(other)]
    Unknown,
}

/// `payment_status` of a Checkout Session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PaymentStatus {
    Paid,
    Unpaid,
    NoPaymentRequired,
    #[serde(other)]
    Unknown,
}

/// A field that is an id, or the object when expanded.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum Expandable<T> {
    Object(Box<T>),
    /// Not expanded: only the id, which we do not need.
    #[allow(dead_code)]
    Id(String),
}

/// The parts of a PaymentIntent we read.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct PaymentIntent {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) metadata: Option<HashMap<String, String>>,
    #[serde(default)]
    pub(crate) last_payment_error: Option<ErrorBody>,
}

/// Stripe's error object (the `error` of the envelope, and `last_payment_error`).
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct ErrorBody {
    #[serde(default, rename = "type")]
    pub(crate) kind: Option<String>,
    #[serde(default)]
    pub(crate) code: Option<String>,
    #[serde(default)]
    pub(crate) decline_code: Option<String>,
    #[serde(default)]
    pub(crate) message: Option<String>,
    #[serde(default)]
    pub(crate) param: Option<String>,
}

/// `{"error": {...}}`.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct ErrorEnvelope {
    pub(crate) error: ErrorBody,
}

/// Maps a non-2xx answer onto the error taxonomy (R-I4).
pub(crate) fn map_error(
    status: u16,
    envelope: Option<ErrorEnvelope>,
    common: ProviderError,
) -> ProviderError {
    let Some(ErrorEnvelope { error }) = envelope else { return common };
    match (status, error.kind.as_deref()) {
        (_, Some("idempotency_error")) if status != 409 => {
            ProviderError::IdempotencyMismatch { provider: P }
        }
        (402, _) | (_, Some("card_error")) => ProviderError::Declined {
            provider: P,
            code: error.decline_code.or(error.code),
            message: error.message,
        },
        (400 | 404, Some("invalid_request_error"))
            if error.code.as_deref() == Some("resource_missing") =>
        {
            ProviderError::NotFound { provider: P }
        }
        (400 | 422, _) => ProviderError::Rejected {
            provider: P,
            status,
            message: error.message.unwrap_or_else(|| format!("HTTP {status}")),
            param: error.param,
        },
        _ => common,
    }
}

impl CheckoutSession {
    fn order_id(&self) -> Option<String> {
        self.client_reference_id
            .clone()
            .or_else(|| self.metadata.as_ref().and_then(|m| m.get("kassa_order_id").cloned()))
    }

    fn paid_amount(&self) -> Result<Money, ProviderError> {
        let (Some(total), Some(code)) = (self.amount_total, self.currency.as_deref()) else {
            return Err(ProviderError::unexpected(P, 200));
        };
        let currency = amount::currency(P, code)?;
        let minor = super::currency::from_stripe(total, currency)
            .ok_or(ProviderError::unexpected(P, 200))?;
        Ok(Money::from_minor(minor, currency)?)
    }

    fn recorded_decline(&self) -> bool {
        matches!(&self.payment_intent, Some(Expandable::Object(pi)) if pi.last_payment_error.is_some())
    }

    /// What a retrieved session says, as an update deduplicated by reference and event.
    pub(crate) fn to_update(&self) -> Result<PaymentUpdate, ProviderError> {
        let (event, amount) = match (self.status, self.payment_status) {
            (Some(SessionStatus::Complete), Some(PaymentStatus::Paid)) => {
                (Some(PaymentEvent::Paid), Some(self.paid_amount()?))
            }
            (Some(SessionStatus::Expired), _) => (Some(PaymentEvent::Expired), None),
            (Some(SessionStatus::Open), _) if self.recorded_decline() => {
                (Some(PaymentEvent::Declined), None)
            }
            (Some(SessionStatus::Open | SessionStatus::Complete), _) => (None, None),
            _ => return Err(ProviderError::unexpected(P, 200)),
        };
        Ok(self.update(event, amount, None))
    }

    /// Answer to a cancel once the session was expired by us: a recorded decline is the
    /// truer story than "cancelled".
    pub(crate) fn cancelled_update(&self) -> PaymentUpdate {
        let event =
            if self.recorded_decline() { PaymentEvent::Declined } else { PaymentEvent::Cancelled };
        self.update(Some(event), None, None)
    }

    fn update(
        &self,
        event: Option<PaymentEvent>,
        amount: Option<Money>,
        dedup: Option<&str>,
    ) -> PaymentUpdate {
        let dedup_key = match dedup {
            Some(key) => key.to_owned(),
            None => format!("{}:{}", self.id, crate::event_name(event)),
        };
        PaymentUpdate {
            reference: self.id.clone(),
            order_id: self.order_id(),
            event,
            amount,
            dedup_key,
        }
    }
}

/// A webhook event envelope.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct Event {
    pub(crate) id: String,
    #[serde(rename = "type")]
    pub(crate) kind: String,
    pub(crate) data: EventData,
}

/// `data` of an event.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct EventData {
    pub(crate) object: serde_json::Value,
}

/// Turns a verified event into updates; unknown event types give none.
pub(crate) fn event_updates(event: Event) -> Result<Vec<PaymentUpdate>, ProviderError> {
    let bad = |_| ProviderError::invalid_notification(P, "event object does not parse");
    let session =
        |object: serde_json::Value| serde_json::from_value::<CheckoutSession>(object).map_err(bad);
    let dedup = Some(event.id.as_str());
    let update = match event.kind.as_str() {
        "checkout.session.completed" => {
            let s = session(event.data.object)?;
            match s.payment_status {
                Some(PaymentStatus::Paid) => {
                    let amount = s.paid_amount().map_err(|_| {
                        ProviderError::invalid_notification(P, "paid without amount")
                    })?;
                    s.update(Some(PaymentEvent::Paid), Some(amount), dedup)
                }
                // Delayed methods: the money follows in `async_payment_succeeded`.
                _ => s.update(None, None, dedup),
            }
        }
        "checkout.session.async_payment_succeeded" => {
            let s = session(event.data.object)?;
            let amount = s
                .paid_amount()
                .map_err(|_| ProviderError::invalid_notification(P, "paid without amount"))?;
            s.update(Some(PaymentEvent::Paid), Some(amount), dedup)
        }
        "checkout.session.async_payment_failed" => {
            session(event.data.object)?.update(Some(PaymentEvent::Declined), None, dedup)
        }
        "checkout.session.expired" => {
            session(event.data.object)?.update(Some(PaymentEvent::Expired), None, dedup)
        }
        "payment_intent.payment_failed" => {
            // Reference is the PaymentIntent: the server finds the order by `order_id`.
            let pi: PaymentIntent = serde_json::from_value(event.data.object).map_err(bad)?;
            PaymentUpdate {
                order_id: pi.metadata.as_ref().and_then(|m| m.get("kassa_order_id").cloned()),
                reference: pi.id,
                event: Some(PaymentEvent::Declined),
                amount: None,
                dedup_key: event.id,
            }
        }
        _ => return Ok(Vec::new()),
    };
    Ok(vec![update])
}

/// Verifies a `Stripe-Signature` header over the raw body (R-K1): any `v1` value may match
/// the HMAC-SHA256 of `"{t}.{body}"` under any configured secret, compared in constant time,
/// and `|now − t|` must be within `tolerance` seconds in either direction.
///
/// The error is a reason for debug logs, never for the sender.
pub(crate) fn verify_signature(
    header: &str,
    body: &[u8],
    secrets: &[&[u8]],
    tolerance_secs: u64,
    now: i64,
) -> Result<(), &'static str> {
    let mut timestamp: Option<&str> = None;
    let mut signatures: Vec<Vec<u8>> = Vec::new();
    for item in header.split(',') {
        let Some((key, value)) = item.trim().split_once('=') else { continue };
        match key {
            "t" => timestamp = Some(value),
            "v1" => {
                if let Ok(bytes) = hex::decode(value) {
                    signatures.push(bytes);
                }
            }
            _ => {}
        }
    }
    let t_text = timestamp.ok_or("no timestamp")?;
    let t: i64 = t_text.parse().map_err(|_| "timestamp is not a number")?;
    if signatures.is_empty() {
        return Err("no v1 signature");
    }
    if secrets.is_empty() {
        return Err("no webhook secret configured");
    }
    let mut matched = subtle::Choice::from(0u8);
    for secret in secrets {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else { continue };
        mac.update(t_text.as_bytes());
        mac.update(b".");
        mac.update(body);
        let expected = mac.finalize().into_bytes();
        for signature in &signatures {
            matched |= expected.as_slice().ct_eq(signature.as_slice());
        }
    }
    if !bool::from(matched) {
        return Err("no signature matches");
    }
    let skew = now.checked_sub(t).map(i64::unsigned_abs).ok_or("timestamp out of range")?;
    if skew > tolerance_secs {
        return Err("timestamp outside tolerance");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use kassa_wire::{Currency, CustomerDetails, Presentation};

    use super::*;
    use crate::CustomerIdentity;

    fn money(minor: i64, currency: Currency) -> Money {
        Money::from_minor(minor, currency).unwrap()
    }

    fn request(unit: Money, quantity: u32) -> SessionRequest {
        let line_total = unit.checked_mul(quantity).unwrap();
        SessionRequest {
            order_id: "ks_1".into(),
            idempotency_key: "idem-1".into(),
            lines: vec![OrderLine {
                sku: "tour".into(),
                name: "Fjord tour".into(),
                quantity,
                unit_price: unit,
                line_total,
                start_date: None,
                end_date: None,
            }],
            total: line_total,
            presentation: Presentation::Redirect,
            method_variant: None,
            success_url: "https://shop.test/ok?kassa_session=ks_1".into(),
            cancel_url: "https://shop.test/cancel?kassa_session=ks_1".into(),
            notify_url: "https://api.shop.test/webhooks/stripe".into(),
            customer: CustomerDetails {
                email: Some("kari@example.test".into()),
                ..Default::default()
            },
            locale: None,
            created_at: 1_700_000_000,
            identity: CustomerIdentity::default(),
            previous_reference: None,
        }
    }

    /// `check_totals` (every adapter's first step, here Stripe's) tells an order of ours that
    /// does not add up apart from a provider's own price: it is a bug of ours, not a price
    /// the customer should hear about.
    #[test]
    fn an_order_that_does_not_add_up_is_our_bug_not_the_providers_price() {
        let nok = |minor| money(minor, Currency::NOK);
        assert!(crate::check_totals(ProviderId::Stripe, &request(nok(45_000), 2)).is_ok());
        let mut short_total = request(nok(45_000), 2);
        short_total.total = nok(89_000);
        let mut bad_line = request(nok(45_000), 2);
        bad_line.lines[0].line_total = nok(45_000);
        bad_line.total = nok(45_000);
        for (req, expected, actual) in
            [(short_total, nok(89_000), nok(90_000)), (bad_line, nok(90_000), nok(45_000))]
        {
            match crate::check_totals(ProviderId::Stripe, &req) {
                Err(crate::ProviderError::LinesDisagree { expected: e, actual: a, .. }) => {
                    assert_eq!((e, a), (expected, actual));
                }
                other => panic!("{other:?}"),
            }
        }
    }

    fn get<'a>(form: &'a [(String, String)], key: &str) -> Option<&'a str> {
        form.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    #[test]
    fn hosted_sessions_carry_return_urls_order_id_and_minor_unit_lines() {
        let req = request(money(45000, Currency::NOK), 2);
        let form =
            create_session_form(&req, UiMode::Hosted, UiModeNames::Dahlia, Some(1_700_003_600))
                .unwrap();
        assert_eq!(get(&form, "mode"), Some("payment"));
        assert_eq!(get(&form, "ui_mode"), Some("hosted_page"));
        assert_eq!(get(&form, "client_reference_id"), Some("ks_1"));
        assert_eq!(get(&form, "metadata[kassa_order_id]"), Some("ks_1"));
        assert_eq!(get(&form, "payment_intent_data[metadata][kassa_order_id]"), Some("ks_1"));
        assert_eq!(get(&form, "line_items[0][price_data][currency]"), Some("nok"));
        assert_eq!(get(&form, "line_items[0][price_data][unit_amount]"), Some("45000"));
        assert_eq!(get(&form, "line_items[0][price_data][product_data][name]"), Some("Fjord tour"));
        assert_eq!(get(&form, "line_items[0][quantity]"), Some("2"));
        assert_eq!(get(&form, "success_url"), Some(req.success_url.as_str()));
        assert_eq!(get(&form, "cancel_url"), Some(req.cancel_url.as_str()));
        assert_eq!(get(&form, "return_url"), None);
        assert_eq!(get(&form, "customer_email"), Some("kari@example.test"));
        assert_eq!(get(&form, "expires_at"), Some("1700003600"));
    }

    #[test]
    fn embedded_sessions_use_return_url_and_never_cancel_url() {
        let req = request(money(45000, Currency::NOK), 1);
        let form = create_session_form(&req, UiMode::Embedded, UiModeNames::Dahlia, None).unwrap();
        assert_eq!(get(&form, "ui_mode"), Some("embedded_page"));
        assert_eq!(get(&form, "return_url"), Some(req.success_url.as_str()));
        assert_eq!(get(&form, "redirect_on_completion"), Some("if_required"));
        assert_eq!(get(&form, "success_url"), None);
        assert_eq!(get(&form, "cancel_url"), None);
        assert_eq!(get(&form, "expires_at"), None);
    }

    #[test]
    fn ui_mode_names_follow_the_pinned_api_version() {
        assert_eq!(UiModeNames::for_version("2026-03-25.dahlia"), Some(UiModeNames::Dahlia));
        assert_eq!(UiModeNames::for_version("2026-08-26.dahlia"), Some(UiModeNames::Dahlia));
        assert_eq!(UiModeNames::for_version("2025-09-30.clover"), Some(UiModeNames::Legacy));
        assert_eq!(UiModeNames::for_version("2020-08-27"), Some(UiModeNames::Legacy));
        assert_eq!(UiModeNames::for_version("latest"), None);
        assert_eq!(UiModeNames::for_version("2026-3-25.x"), None);
        let req = request(money(100, Currency::NOK), 1);
        let legacy =
            create_session_form(&req, UiMode::Embedded, UiModeNames::Legacy, None).unwrap();
        assert_eq!(get(&legacy, "ui_mode"), Some("embedded"));
    }

    #[test]
    fn the_widget_language_becomes_stripes_locale_code_s7() {
        for (tag, code) in [
            ("nb-NO", "nb"),
            ("no", "nb"),
            ("nn-NO", "nb"),
            ("NB", "nb"),
            ("sv-SE", "sv"),
            ("da", "da"),
            ("de-AT", "de"),
            ("en-GB", "en"),
            ("fr", "auto"),
            ("", "auto"),
        ] {
            assert_eq!(stripe_locale(tag), code, "{tag}");
        }
        let mut req = request(money(45000, Currency::NOK), 1);
        let form = create_session_form(&req, UiMode::Hosted, UiModeNames::Dahlia, None).unwrap();
        assert_eq!(get(&form, "locale"), None, "no tag, no locale: Stripe's own auto");
        req.locale = Some("nb-NO".into());
        let form = create_session_form(&req, UiMode::Hosted, UiModeNames::Dahlia, None).unwrap();
        assert_eq!(get(&form, "locale"), Some("nb"));
    }

    #[test]
    fn an_iceland_krona_payment_reads_back_in_whole_kronur() {
        let s = session(
            r#"{"id":"cs_1","status":"complete","payment_status":"paid","amount_total":499000,"currency":"isk"}"#,
        );
        let isk = Currency::from_code("ISK").unwrap();
        assert_eq!(s.to_update().unwrap().amount, Some(money(4990, isk)));
        let fractional = session(
            r#"{"id":"cs_1","status":"complete","payment_status":"paid","amount_total":499050,"currency":"isk"}"#,
        );
        assert!(fractional.to_update().is_err());
    }

    #[test]
    fn zero_decimal_currency_is_sent_as_whole_yen() {
        let form = create_session_form(
            &request(money(1250, Currency::JPY), 1),
            UiMode::Hosted,
            UiModeNames::Dahlia,
            None,
        )
        .unwrap();
        assert_eq!(get(&form, "line_items[0][price_data][currency]"), Some("jpy"));
        assert_eq!(get(&form, "line_items[0][price_data][unit_amount]"), Some("1250"));
    }

    #[test]
    fn three_decimal_currency_is_sent_in_thousandths_and_refused_when_the_last_digit_is_not_zero() {
        let ok = create_session_form(
            &request(money(1250, Currency::KWD), 1),
            UiMode::Hosted,
            UiModeNames::Dahlia,
            None,
        )
        .unwrap();
        assert_eq!(get(&ok, "line_items[0][price_data][unit_amount]"), Some("1250"));
        let refused = create_session_form(
            &request(money(1255, Currency::KWD), 1),
            UiMode::Hosted,
            UiModeNames::Dahlia,
            None,
        );
        assert!(
            matches!(refused, Err(ProviderError::AmountNotRepresentable { .. })),
            "{refused:?}"
        );
    }

    #[test]
    fn negative_prices_are_refused() {
        assert!(matches!(
            unit_amount(money(-1, Currency::NOK)),
            Err(ProviderError::AmountNotRepresentable { .. })
        ));
    }

    fn envelope(json: &str) -> Option<ErrorEnvelope> {
        serde_json::from_str(json).ok()
    }

    fn common() -> ProviderError {
        ProviderError::Unavailable {
            provider: P,
            status: Some(500),
            retry_after: None,
            source: None,
        }
    }

    #[test]
    fn stripe_error_types_map_onto_the_taxonomy_r_i4() {
        let invalid = envelope(
            r#"{"error":{"type":"invalid_request_error","message":"Missing ui_mode","param":"ui_mode"}}"#,
        );
        match map_error(400, invalid, common()) {
            ProviderError::Rejected { status: 400, param, message, .. } => {
                assert_eq!(param.as_deref(), Some("ui_mode"));
                assert_eq!(message, "Missing ui_mode");
            }
            other => panic!("{other:?}"),
        }
        let idem = envelope(
            r#"{"error":{"type":"idempotency_error","message":"Keys for idempotent requests can only be used with the same parameters"}}"#,
        );
        assert!(matches!(
            map_error(400, idem, common()),
            ProviderError::IdempotencyMismatch { .. }
        ));
        let missing =
            envelope(r#"{"error":{"type":"invalid_request_error","code":"resource_missing"}}"#);
        assert!(matches!(map_error(404, missing, common()), ProviderError::NotFound { .. }));
        let card = envelope(
            r#"{"error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds","message":"Your card has insufficient funds."}}"#,
        );
        match map_error(402, card, common()) {
            ProviderError::Declined { code, message, .. } => {
                assert_eq!(code.as_deref(), Some("insufficient_funds"));
                assert!(message.is_some());
            }
            other => panic!("{other:?}"),
        }
        let api = envelope(r#"{"error":{"type":"api_error"}}"#);
        assert!(map_error(500, api, common()).is_retryable());
        assert!(map_error(502, None, common()).is_retryable());
    }

    fn session(json: &str) -> CheckoutSession {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_complete_paid_session_is_paid_with_its_total() {
        let s = session(
            r#"{"id":"cs_1","object":"checkout.session","status":"complete","payment_status":"paid",
                "amount_total":90000,"currency":"nok","client_reference_id":"ks_1","metadata":{},
                "payment_intent":{"id":"pi_1","last_payment_error":null}}"#,
        );
        let u = s.to_update().unwrap();
        assert_eq!(u.event, Some(PaymentEvent::Paid));
        assert_eq!(u.amount, Some(money(90000, Currency::NOK)));
        assert_eq!(u.order_id.as_deref(), Some("ks_1"));
        assert_eq!(u.dedup_key, "cs_1:paid");
    }

    #[test]
    fn an_open_session_with_a_failed_attempt_is_declined_and_without_one_is_unchanged() {
        let declined = session(
            r#"{"id":"cs_1","status":"open","payment_status":"unpaid",
                "payment_intent":{"id":"pi_1","last_payment_error":{"type":"card_error","code":"card_declined"}}}"#,
        );
        assert_eq!(declined.to_update().unwrap().event, Some(PaymentEvent::Declined));
        let open = session(
            r#"{"id":"cs_1","status":"open","payment_status":"unpaid","payment_intent":null}"#,
        );
        assert_eq!(open.to_update().unwrap().event, None);
        let not_expanded = session(
            r#"{"id":"cs_1","status":"open","payment_status":"unpaid","payment_intent":"pi_1"}"#,
        );
        assert_eq!(not_expanded.to_update().unwrap().event, None);
    }

    #[test]
    fn an_expired_session_is_expired() {
        let s = session(
            r#"{"id":"cs_1","status":"expired","payment_status":"unpaid","metadata":{"kassa_order_id":"ks_9"}}"#,
        );
        let u = s.to_update().unwrap();
        assert_eq!(u.event, Some(PaymentEvent::Expired));
        assert_eq!(u.order_id.as_deref(), Some("ks_9"));
    }

    #[test]
    fn a_complete_but_unpaid_session_waits_for_the_delayed_payment() {
        let s = session(r#"{"id":"cs_1","status":"complete","payment_status":"unpaid"}"#);
        assert_eq!(s.to_update().unwrap().event, None);
    }

    fn event(kind: &str, object: &str) -> Event {
        serde_json::from_str(&format!(
            r#"{{"id":"evt_1","object":"event","type":"{kind}","data":{{"object":{object}}}}}"#
        ))
        .unwrap()
    }

    const PAID_SESSION: &str = r#"{"id":"cs_1","object":"checkout.session","status":"complete","payment_status":"paid","amount_total":1250,"currency":"kwd","client_reference_id":"ks_1"}"#;

    #[test]
    fn checkout_completed_and_paid_is_paid_deduplicated_by_event_id() {
        let updates = event_updates(event("checkout.session.completed", PAID_SESSION)).unwrap();
        assert_eq!(updates.len(), 1);
        assert_eq!(updates[0].event, Some(PaymentEvent::Paid));
        assert_eq!(updates[0].amount, Some(money(1250, Currency::KWD)));
        assert_eq!(updates[0].reference, "cs_1");
        assert_eq!(updates[0].dedup_key, "evt_1");
    }

    #[test]
    fn checkout_completed_but_unpaid_carries_no_event() {
        let s = r#"{"id":"cs_1","status":"complete","payment_status":"unpaid","amount_total":1,"currency":"nok"}"#;
        let updates = event_updates(event("checkout.session.completed", s)).unwrap();
        assert_eq!(updates[0].event, None);
    }

    #[test]
    fn async_outcomes_expiry_and_failed_intents_map_to_events() {
        let paid =
            event_updates(event("checkout.session.async_payment_succeeded", PAID_SESSION)).unwrap();
        assert_eq!(paid[0].event, Some(PaymentEvent::Paid));
        let failed =
            event_updates(event("checkout.session.async_payment_failed", PAID_SESSION)).unwrap();
        assert_eq!(failed[0].event, Some(PaymentEvent::Declined));
        let expired = event_updates(event("checkout.session.expired", PAID_SESSION)).unwrap();
        assert_eq!(expired[0].event, Some(PaymentEvent::Expired));
        let pi = event_updates(event(
            "payment_intent.payment_failed",
            r#"{"id":"pi_1","object":"payment_intent","metadata":{"kassa_order_id":"ks_1"}}"#,
        ))
        .unwrap();
        assert_eq!(pi[0].event, Some(PaymentEvent::Declined));
        assert_eq!(pi[0].reference, "pi_1");
        assert_eq!(pi[0].order_id.as_deref(), Some("ks_1"));
    }

    #[test]
    fn unknown_event_types_are_acknowledged_without_updates() {
        assert!(event_updates(event("customer.created", r#"{"id":"cus_1"}"#)).unwrap().is_empty());
    }

    // R-K1 vectors, made with the same scheme as Stripe's `generateTestHeaderString`.
    const BODY: &[u8] = br#"{"id":"evt_1","type":"checkout.session.completed"}"#;
    const NOW: i64 = 1_700_000_000;

    fn sign(secret: &str, t: i64, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{t}.").as_bytes());
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    }

    fn verify(header: &str, body: &[u8], secrets: &[&str]) -> Result<(), &'static str> {
        let secrets: Vec<&[u8]> = secrets.iter().map(|s| s.as_bytes()).collect();
        verify_signature(header, body, &secrets, 300, NOW)
    }

    #[test]
    fn a_valid_signature_verifies_r_k1() {
        let header = format!("t={NOW},v1={}", sign("whsec_a", NOW, BODY));
        assert_eq!(verify(&header, BODY, &["whsec_a"]), Ok(()));
    }

    #[test]
    fn one_changed_body_byte_fails_r_k1() {
        let header = format!("t={NOW},v1={}", sign("whsec_a", NOW, BODY));
        let mut tampered = BODY.to_vec();
        tampered[3] ^= 1;
        assert!(verify(&header, &tampered, &["whsec_a"]).is_err());
    }

    #[test]
    fn re_pretty_printed_json_fails_r_k1() {
        let header = format!("t={NOW},v1={}", sign("whsec_a", NOW, BODY));
        let value: serde_json::Value = serde_json::from_slice(BODY).unwrap();
        let pretty = serde_json::to_vec_pretty(&value).unwrap();
        assert!(verify(&header, &pretty, &["whsec_a"]).is_err());
    }

    #[test]
    fn a_wrong_secret_fails_r_k1() {
        let header = format!("t={NOW},v1={}", sign("whsec_other", NOW, BODY));
        assert_eq!(verify(&header, BODY, &["whsec_a"]), Err("no signature matches"));
    }

    #[test]
    fn timestamps_beyond_tolerance_either_way_fail_r_k1() {
        for t in [NOW - 301, NOW + 301] {
            let header = format!("t={t},v1={}", sign("whsec_a", t, BODY));
            assert_eq!(
                verify(&header, BODY, &["whsec_a"]),
                Err("timestamp outside tolerance"),
                "t={t}"
            );
        }
        for t in [NOW - 300, NOW + 300] {
            let header = format!("t={t},v1={}", sign("whsec_a", t, BODY));
            assert_eq!(verify(&header, BODY, &["whsec_a"]), Ok(()), "t={t}");
        }
    }

    #[test]
    fn missing_empty_and_v0_only_headers_fail_r_k1() {
        assert!(verify("", BODY, &["whsec_a"]).is_err());
        assert!(verify(&format!("t={NOW}"), BODY, &["whsec_a"]).is_err());
        let v0 = format!("t={NOW},v0={}", sign("whsec_a", NOW, BODY));
        assert_eq!(verify(&v0, BODY, &["whsec_a"]), Err("no v1 signature"));
        assert!(verify("t=abc,v1=00", BODY, &["whsec_a"]).is_err());
        assert!(verify(&format!("t={},v1=00", i64::MIN), BODY, &["whsec_a"]).is_err());
    }

    #[test]
    fn any_of_several_v1_values_may_match_r_k1() {
        let header = format!(
            "t={NOW},v1={},v1={}",
            sign("whsec_old", NOW, BODY),
            sign("whsec_a", NOW, BODY)
        );
        assert_eq!(verify(&header, BODY, &["whsec_a"]), Ok(()));
    }

    #[test]
    fn the_second_of_two_rolling_secrets_verifies_r_k1() {
        let header = format!("t={NOW},v1={}", sign("whsec_b", NOW, BODY));
        assert_eq!(verify(&header, BODY, &["whsec_a", "whsec_b"]), Ok(()));
    }

    proptest::proptest! {
        #[test]
        fn the_signature_parser_never_panics(header in "\\PC{0,80}", body in proptest::collection::vec(0u8.., 0..64)) {
            let _ = verify(&header, &body, &["whsec_a"]);
        }
    }
}
