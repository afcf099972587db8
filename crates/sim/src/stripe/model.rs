//! Stripe's objects (Checkout Session, PaymentIntent) and how each API version renders them.
//!
//! A session's `ui_mode` is stored as a version-free [`UiMode`] and written out in the
//! vocabulary of whoever reads it: `hosted`/`embedded` before `2026-03-25.dahlia`,
//! `hosted_page`/`embedded_page` from then on, the same as Stripe renders objects per version.

use std::collections::BTreeMap;

use serde_json::{json, Value};

/// A `Stripe-Version`, kept as sent, compared by its date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiVersion {
    /// The version text, e.g. `2026-03-25.dahlia`.
    pub raw: String,
    date: (u16, u8, u8),
}

/// The first version with the renamed `ui_mode` values.
const DAHLIA: (u16, u8, u8) = (2026, 3, 25);

impl ApiVersion {
    /// Parses `YYYY-MM-DD` with an optional `.name` suffix.
    pub fn parse(raw: &str) -> Option<ApiVersion> {
        let (date, name) = match raw.split_once('.') {
            Some((d, n)) => (d, Some(n)),
            None => (raw, None),
        };
        if name.is_some_and(|n| n.is_empty() || !n.bytes().all(|b| b.is_ascii_lowercase())) {
            return None;
        }
        let mut parts = date.split('-');
        let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return None;
        }
        let date = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
        if !(1..=12).contains(&date.1) || !(1..=31).contains(&date.2) || date.0 < 2011 {
            return None;
        }
        Some(ApiVersion { raw: raw.to_owned(), date })
    }

    /// Whether this version uses the dahlia `ui_mode` names.
    pub fn is_dahlia_or_later(&self) -> bool {
        self.date >= DAHLIA
    }
}

/// How the customer sees Checkout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UiMode {
    /// A Stripe-hosted page the browser is redirected to.
    Hosted,
    /// Stripe.js mounts Checkout in an iframe on the merchant's page.
    Embedded,
}

impl UiMode {
    /// The accepted values for a version, in Stripe's order (last one unsupported here).
    pub fn vocabulary(version: &ApiVersion) -> [&'static str; 3] {
        if version.is_dahlia_or_later() {
            ["hosted_page", "embedded_page", "elements"]
        } else {
            ["hosted", "embedded", "custom"]
        }
    }

    /// Reads a value in the given version's vocabulary.
    pub fn parse(value: &str, version: &ApiVersion) -> Option<UiMode> {
        let [hosted, embedded, _] = Self::vocabulary(version);
        if value == hosted {
            Some(UiMode::Hosted)
        } else if value == embedded {
            Some(UiMode::Embedded)
        } else {
            None
        }
    }

    /// The name in the given version's vocabulary.
    pub fn name(self, version: &ApiVersion) -> &'static str {
        let [hosted, embedded, _] = Self::vocabulary(version);
        match self {
            UiMode::Hosted => hosted,
            UiMode::Embedded => embedded,
        }
    }
}

/// `redirect_on_completion` of an embedded session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RedirectOnCompletion {
    /// Always go to `return_url`.
    Always,
    /// Only when the payment method needs a redirect (never for the simulated card).
    IfRequired,
    /// Never redirect; `onComplete` fires.
    Never,
}

impl RedirectOnCompletion {
    /// The API value.
    pub fn as_str(self) -> &'static str {
        match self {
            RedirectOnCompletion::Always => "always",
            RedirectOnCompletion::IfRequired => "if_required",
            RedirectOnCompletion::Never => "never",
        }
    }

    /// Reads the API value.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "always" => Some(RedirectOnCompletion::Always),
            "if_required" => Some(RedirectOnCompletion::IfRequired),
            "never" => Some(RedirectOnCompletion::Never),
            _ => None,
        }
    }
}

/// `status` of a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionStatus {
    /// Awaiting payment.
    Open,
    /// Paid.
    Complete,
    /// Expired before payment.
    Expired,
}

impl SessionStatus {
    /// The API value.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Open => "open",
            SessionStatus::Complete => "complete",
            SessionStatus::Expired => "expired",
        }
    }
}

/// Who is told about a session: the merchant's webhook endpoint, or a platform that created
/// the session for itself (BokaMera, which receives Stripe's webhooks internally).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Owner {
    /// Events go to the configured webhook endpoint.
    Merchant,
    /// Events are recorded but not delivered to the merchant.
    Platform(String),
}

/// One `line_items[i]` with `price_data`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineItem {
    /// `li_…`.
    pub id: String,
    /// `product_data[name]`.
    pub name: String,
    /// `product_data[description]`.
    pub description: Option<String>,
    /// Minor units per unit.
    pub unit_amount: i64,
    /// At least 1.
    pub quantity: i64,
    /// Lower-case ISO code.
    pub currency: String,
}

impl LineItem {
    /// `unit_amount × quantity` (checked when the session was created).
    pub fn amount(&self) -> i64 {
        self.unit_amount.saturating_mul(self.quantity)
    }
}

/// A Checkout Session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// `cs_test_…`.
    pub id: String,
    /// The connected account from `Stripe-Account`, if any.
    pub account: Option<String>,
    /// Who hears about it.
    pub owner: Owner,
    /// Unix seconds.
    pub created: i64,
    /// Unix seconds.
    pub expires_at: i64,
    /// Hosted or embedded.
    pub ui_mode: UiMode,
    /// Lower-case ISO code shared by all lines.
    pub currency: String,
    /// What is bought.
    pub lines: Vec<LineItem>,
    /// Sum of line amounts.
    pub amount_total: i64,
    /// Open, complete or expired.
    pub status: SessionStatus,
    /// Whether the payment succeeded.
    pub paid: bool,
    /// Hosted page URL (hosted) or `None`.
    pub url: Option<String>,
    /// `{id}_secret_…` (embedded) or `None`.
    pub client_secret: Option<String>,
    /// Hosted only.
    pub success_url: Option<String>,
    /// Hosted only.
    pub cancel_url: Option<String>,
    /// Embedded only.
    pub return_url: Option<String>,
    /// Embedded only.
    pub redirect_on_completion: Option<RedirectOnCompletion>,
    /// Echoed.
    pub client_reference_id: Option<String>,
    /// Echoed.
    pub metadata: BTreeMap<String, String>,
    /// Prefill, echoed.
    pub customer_email: Option<String>,
    /// The email the customer paid with (set on completion).
    pub paid_email: Option<String>,
    /// `pi_…` once a payment was attempted.
    pub payment_intent: Option<String>,
    /// `payment_intent_data[metadata]`.
    pub payment_intent_metadata: BTreeMap<String, String>,
    /// `payment_intent_data[description]`.
    pub payment_intent_description: Option<String>,
    /// `locale`, echoed.
    pub locale: Option<String>,
    /// `payment_method_types`, default `["card"]`.
    pub payment_method_types: Vec<String>,
}

impl Session {
    /// `success_url` / `return_url` with `{CHECKOUT_SESSION_ID}` replaced.
    pub fn substitute(&self, url: &str) -> String {
        url.replace("{CHECKOUT_SESSION_ID}", &self.id)
    }

    /// The session as the API returns it, in `version`'s vocabulary. `payment_intent` is the
    /// expanded object when given; `line_items` is included when `with_lines`.
    pub fn to_json(
        &self,
        version: &ApiVersion,
        payment_intent: Option<&PaymentIntent>,
        with_lines: bool,
    ) -> Value {
        let customer_details = self.paid_email.as_ref().map(|email| {
            json!({
                "address": null, "email": email, "name": null, "phone": null,
                "tax_exempt": "none", "tax_ids": []
            })
        });
        let payment_intent = match (payment_intent, &self.payment_intent) {
            (Some(pi), _) => pi.to_json(),
            (None, Some(id)) => json!(id),
            (None, None) => Value::Null,
        };
        let mut v = json!({
            "id": self.id,
            "object": "checkout.session",
            "after_expiration": null,
            "allow_promotion_codes": null,
            "amount_subtotal": self.amount_total,
            "amount_total": self.amount_total,
            "automatic_tax": { "enabled": false, "liability": null, "status": null },
            "billing_address_collection": null,
            "cancel_url": self.cancel_url,
            "client_reference_id": self.client_reference_id,
            "client_secret": self.client_secret,
            "created": self.created,
            "currency": self.currency,
            "customer": null,
            "customer_creation": "if_required",
            "customer_details": customer_details,
            "customer_email": self.customer_email,
            "expires_at": self.expires_at,
            "livemode": false,
            "locale": self.locale,
            "metadata": self.metadata,
            "mode": "payment",
            "payment_intent": payment_intent,
            "payment_method_types": self.payment_method_types,
            "payment_status": if self.paid { "paid" } else { "unpaid" },
            "redirect_on_completion": self.redirect_on_completion.map(|r| r.as_str()),
            "return_url": self.return_url,
            "status": self.status.as_str(),
            "submit_type": null,
            "success_url": self.success_url,
            "total_details": { "amount_discount": 0, "amount_shipping": 0, "amount_tax": 0 },
            "ui_mode": self.ui_mode.name(version),
            "url": if self.status == SessionStatus::Open { json!(self.url) } else { Value::Null },
        });
        if with_lines {
            v["line_items"] = self.line_items_json();
        }
        v
    }

    /// `GET /v1/checkout/sessions/{id}/line_items`.
    pub fn line_items_json(&self) -> Value {
        let data: Vec<Value> = self
            .lines
            .iter()
            .map(|line| {
                json!({
                    "id": line.id,
                    "object": "item",
                    "amount_discount": 0,
                    "amount_subtotal": line.amount(),
                    "amount_tax": 0,
                    "amount_total": line.amount(),
                    "currency": line.currency,
                    "description": line.name,
                    "quantity": line.quantity,
                    "price": {
                        "id": format!("price_{}", &line.id[3..]),
                        "object": "price",
                        "active": false,
                        "currency": line.currency,
                        "livemode": false,
                        "product": format!("prod_{}", &line.id[3..]),
                        "type": "one_time",
                        "unit_amount": line.unit_amount,
                        "unit_amount_decimal": line.unit_amount.to_string(),
                    },
                })
            })
            .collect();
        json!({
            "object": "list",
            "data": data,
            "has_more": false,
            "url": format!("/v1/checkout/sessions/{}/line_items", self.id),
        })
    }
}

/// `status` of a PaymentIntent (the ones a card Checkout reaches).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaymentIntentStatus {
    /// The last attempt failed (or none was made yet).
    RequiresPaymentMethod,
    /// Paid.
    Succeeded,
    /// The session expired with the payment unfinished.
    Canceled,
}

impl PaymentIntentStatus {
    /// The API value.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentIntentStatus::RequiresPaymentMethod => "requires_payment_method",
            PaymentIntentStatus::Succeeded => "succeeded",
            PaymentIntentStatus::Canceled => "canceled",
        }
    }
}

/// A PaymentIntent, created when the customer first tries to pay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentIntent {
    /// `pi_…`.
    pub id: String,
    /// The session it belongs to.
    pub session_id: String,
    /// The connected account, if any.
    pub account: Option<String>,
    /// Minor units.
    pub amount: i64,
    /// Lower-case ISO code.
    pub currency: String,
    /// Where it stands.
    pub status: PaymentIntentStatus,
    /// Whether the last attempt was declined (and not since paid).
    pub declined: bool,
    /// The session's metadata, `payment_intent_data[metadata]` and `checkout_session`.
    pub metadata: BTreeMap<String, String>,
    /// `payment_intent_data[description]`.
    pub description: Option<String>,
    /// `{id}_secret_…`.
    pub client_secret: String,
    /// Unix seconds.
    pub created: i64,
    /// `ch_…` after a successful payment.
    pub latest_charge: Option<String>,
}

impl PaymentIntent {
    /// The object as the API returns it.
    pub fn to_json(&self) -> Value {
        let last_payment_error = if self.declined {
            json!({
                "type": "card_error",
                "code": "card_declined",
                "decline_code": "generic_decline",
                "doc_url": "https://stripe.com/docs/error-codes/card-declined",
                "message": "Your card was declined.",
            })
        } else {
            Value::Null
        };
        json!({
            "id": self.id,
            "object": "payment_intent",
            "amount": self.amount,
            "amount_received": if self.status == PaymentIntentStatus::Succeeded { self.amount } else { 0 },
            "canceled_at": null,
            "capture_method": "automatic_async",
            "client_secret": self.client_secret,
            "confirmation_method": "automatic",
            "created": self.created,
            "currency": self.currency,
            "description": self.description,
            "last_payment_error": last_payment_error,
            "latest_charge": self.latest_charge,
            "livemode": false,
            "metadata": self.metadata,
            "payment_method_types": ["card"],
            "status": self.status.as_str(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_by_date() {
        let old = ApiVersion::parse("2025-09-30.clover").expect("valid");
        let dahlia = ApiVersion::parse("2026-03-25.dahlia").expect("valid");
        let preview = ApiVersion::parse("2026-08-26.dahlia").expect("valid");
        let plain = ApiVersion::parse("2024-06-20").expect("valid");
        assert!(!old.is_dahlia_or_later());
        assert!(!plain.is_dahlia_or_later());
        assert!(dahlia.is_dahlia_or_later());
        assert!(preview.is_dahlia_or_later());
    }

    #[test]
    fn malformed_versions_are_refused() {
        for bad in ["", "2025", "2025-13-01", "2025-1-01", "2025-01-01.", "latest", "2025-01-01.X"]
        {
            assert!(ApiVersion::parse(bad).is_none(), "{bad:?} is refused");
        }
    }

    #[test]
    fn ui_mode_names_follow_the_version() {
        let old = ApiVersion::parse("2025-09-30.clover").unwrap();
        let new = ApiVersion::parse("2026-03-25.dahlia").unwrap();
        assert_eq!(UiMode::parse("embedded", &old), Some(UiMode::Embedded));
        assert_eq!(UiMode::parse("embedded", &new), None);
        assert_eq!(UiMode::parse("embedded_page", &new), Some(UiMode::Embedded));
        assert_eq!(UiMode::parse("hosted_page", &old), None);
        assert_eq!(UiMode::Hosted.name(&new), "hosted_page");
        assert_eq!(UiMode::Hosted.name(&old), "hosted");
    }
}
