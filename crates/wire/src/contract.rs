//! The HTTP contract between the widget and a merchant backend, as JSON types.
//!
//! A merchant with a PHP or Node backend implements these four endpoints (paths relative to
//! the backend URL the page gives the widget):
//!
//! | method | path | request | answer |
//! |---|---|---|---|
//! | `GET`  | `/v1/checkout/config` | – | [`CheckoutConfig`] |
//! | `POST` | `/v1/checkout/quote` | [`QuoteRequest`] | [`Quote`] |
//! | `POST` | `/v1/checkout/sessions` + header `Idempotency-Key` | [`CreateSession`] | [`Session`] |
//! | `GET`  | `/v1/checkout/sessions/{id}` | – | [`Session`] |
//! | `POST` | `/v1/checkout/sessions/{id}/cancel` | – | [`Session`] |
//!
//! Every error is an [`ApiError`] body with a 4xx or 5xx status. Field names are
//! `snake_case`; enums are tagged with `snake_case` strings; money is [`Money`].
//! The browser never states a price: requests carry SKUs and quantities only, and
//! unknown fields (such as `price`) are refused.

use serde::{Deserialize, Serialize};

use crate::{
    named::named_enum, Mark, MethodGroup, MethodId, Money, QuoteId, SessionId, SessionState,
};

/// The header that makes session creation idempotent (one per checkout attempt).
pub const IDEMPOTENCY_KEY_HEADER: &str = "Idempotency-Key";
/// The query parameter that carries the Kassa session id on the way back from a provider.
pub const RETURN_SESSION_PARAM: &str = "kassa_session";
/// The query parameter that says which provider return URL was used (`success`, `cancel`).
pub const RETURN_OUTCOME_PARAM: &str = "kassa_return";
/// Most lines a cart may have.
pub const MAX_CART_LINES: usize = 100;
/// Largest quantity of one line.
pub const MAX_QUANTITY: u32 = 99;

/// What the widget needs to draw the picker: `GET /v1/checkout/config`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckoutConfig {
    /// The merchant's name, shown above the cart.
    pub merchant_name: String,
    /// The currency every price is in.
    pub currency: crate::Currency,
    /// Payment methods in the order the picker shows them.
    pub methods: Vec<PaymentMethod>,
    /// The [`PaymentMethod::id`] the picker selects at first, the merchant's choice; absent:
    /// none is selected until the customer picks one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_method: Option<String>,
    /// The merchant's country (ISO 3166-1 alpha-2, e.g. `NO`): where a form asks for the
    /// customer's country, it starts there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// One entry in the picker: a provider, possibly narrowed to one of its methods.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaymentMethod {
    /// Stable id the widget sends back when creating a session, e.g. `stripe-hosted`.
    pub id: MethodId,
    /// Which provider handles it.
    pub provider: ProviderId,
    /// The method's name in English, e.g. `Card (Stripe)`: the merchant's label when there is
    /// one, else the name the picker would show in English. A widget that knows
    /// [`PaymentMethod::label`] and [`PaymentMethod::group`] names the method itself.
    pub display_name: String,
    /// How the provider's page reaches the customer.
    pub presentation: Presentation,
    /// Customer details this method needs; the widget asks for these and no others.
    #[serde(default)]
    pub required_fields: Vec<CustomerField>,
    /// The only countries whose private customers this method can identify by personal
    /// number (Front Payment's invoice: `NO`, as BankID checks a Norwegian number); the form
    /// says so at the personal number before Pay. Empty: every country kassa-wire reads.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub personal_number_countries: Vec<crate::CountryCode>,
    /// Details the provider's account asks for that have no [`CustomerField`] (Checkfront's
    /// booking form), labelled by the provider; the widget asks for them like the others and
    /// sends them in [`CustomerDetails::extra`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_fields: Vec<ExtraField>,
    /// Origins (`scheme://host:port`) the widget may navigate to or frame for this method.
    pub allowed_origins: Vec<String>,
    /// Where the Stripe.js script is loaded from, for `stripe_embedded`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stripe_js_url: Option<String>,
    /// What the customer picks it as: the picker groups methods by it
    /// ([`crate::group_order`]). Absent from an older backend: [`MethodGroup::Other`].
    #[serde(default)]
    pub group: MethodGroup,
    /// The marks shown beside its name, in order: files `marks/<mark>.svg` beside the widget
    /// bundle. Names this version does not know are left out.
    #[serde(
        default,
        deserialize_with = "crate::picker::known_marks",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub marks: Vec<Mark>,
    /// The merchant's own name for it, shown as written. Absent: the picker names it in the
    /// customer's language ([`crate::MethodName`]); [`PaymentMethod::display_name`] is then an
    /// English name for clients that do not know this field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

named_enum! {
    /// The payment providers Kassa knows. A closed set: adding one makes the compiler point
    /// at every place that must learn about it. The name is the lowercase id used in JSON,
    /// config keys, logs and URLs.
    pub enum ProviderId {
        /// Stripe Checkout.
        Stripe = "stripe",
        /// Payfect crypto and card checkout.
        Payfect = "payfect",
        /// Front Payment (FPGO Connect).
        FrontPayment = "front_payment",
        /// Checkfront booking payment page.
        Checkfront = "checkfront",
        /// BokaMera (Stripe checkout for booked services).
        Bokamera = "bokamera",
    }
}

named_enum! {
    /// How a provider's payment page is shown.
    pub enum Presentation {
        /// The whole page goes to the provider.
        Redirect = "redirect",
        /// The provider's page is framed inside the widget.
        Iframe = "iframe",
        /// Stripe.js embedded checkout is mounted inside the widget.
        StripeEmbedded = "stripe_embedded",
    }
}

named_enum! {
    /// A customer detail a payment method may require. Its name is also the field's key in
    /// [`CustomerDetails`] and in an error's path (`customer.email`). Declared in the order
    /// a form shows them (`ALL`).
    pub enum CustomerField {
        /// A [`crate::CustomerKind`]: `private` or `corporate` (Front Payment invoices).
        CustomerType = "customer_type",
        /// Full name.
        Name = "name",
        /// Organisation number ([`crate::OrganisationNumber`]), for corporate invoices.
        OrganisationId = "organisation_id",
        /// National identity number ([`crate::PersonalNumber`]), for private invoices.
        PersonalNumber = "personal_number",
        /// E-mail address.
        Email = "email",
        /// Phone number with country code.
        Phone = "phone",
        /// Street and number.
        StreetAddress = "street_address",
        /// Postal code.
        PostalCode = "postal_code",
        /// City.
        City = "city",
        /// ISO 3166-1 alpha-2 country code, e.g. `NO`.
        Country = "country",
    }
}

/// A detail a provider's account asks for beyond the [`CustomerField`]s.
///
/// Plain strings and lists only: every type the widget decodes costs Wasm, and the widget sits
/// at its size ceiling.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtraField {
    /// The provider's field id, the id of its [`ExtraValue`].
    pub id: String,
    /// The provider's label, shown as it is.
    pub label: String,
    /// How it is asked for: [`ExtraField::TEXT`], [`ExtraField::TEXTAREA`],
    /// [`ExtraField::SELECT`] or [`ExtraField::CHECKBOX`]; anything else is asked as text.
    pub kind: String,
    /// Whether a value must be given (a checkbox must be ticked).
    pub required: bool,
    /// The choices of a `select`, in the provider's order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<FieldOption>,
}

impl ExtraField {
    /// One line of text.
    pub const TEXT: &'static str = "text";
    /// Several lines of text.
    pub const TEXTAREA: &'static str = "textarea";
    /// One of [`ExtraField::options`].
    pub const SELECT: &'static str = "select";
    /// Ticked (`"1"`) or not.
    pub const CHECKBOX: &'static str = "checkbox";
}

/// One choice of a `select` field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldOption {
    /// What is sent.
    pub value: String,
    /// What the customer sees.
    pub label: String,
}

/// The value given for one [`ExtraField`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtraValue {
    /// The field's id.
    pub id: String,
    /// What was typed, chosen or ticked (`"1"`).
    pub value: String,
}

/// One line of what the page wants to buy. Never a price.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CartItem {
    /// The merchant's SKU.
    pub sku: String,
    /// How many, 1 to [`MAX_QUANTITY`].
    pub quantity: u32,
    /// First day of a booking, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<String>,
    /// Last day of a booking, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<String>,
}

/// `POST /v1/checkout/quote`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuoteRequest {
    /// The cart.
    pub items: Vec<CartItem>,
}

/// The backend's pricing of a cart, valid until `expires_at`.
///
/// The widget shows its total on the Pay button and names its `id` when creating the
/// session; the backend then creates nothing unless the cart still costs exactly this
/// ([`ErrorCode::PriceChanged`], [`ErrorCode::QuoteExpired`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    /// Names this pricing; opaque to the widget.
    pub id: QuoteId,
    /// When the backend stops honouring it, RFC 3339 UTC (`2026-12-01T12:15:00Z`).
    pub expires_at: String,
    /// One priced line per cart item.
    pub lines: Vec<QuoteLine>,
    /// The sum of the lines.
    pub total: Money,
}

/// A priced cart line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteLine {
    /// The SKU.
    pub sku: String,
    /// The catalog name.
    pub name: String,
    /// How many.
    pub quantity: u32,
    /// Price of one.
    pub unit_price: Money,
    /// `unit_price × quantity`.
    pub line_total: Money,
    /// Booking start, echoed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<String>,
    /// Booking end, echoed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<String>,
}

/// Customer details, only those the chosen method requires.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerDetails {
    /// Full name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Phone number with country code, e.g. `+4791234567`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// `private` or `corporate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_type: Option<String>,
    /// National identity number (11 digits); personal data, never logged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub personal_number: Option<String>,
    /// Organisation number (9 digits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation_id: Option<String>,
    /// Street and number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_address: Option<String>,
    /// Postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// City.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// ISO 3166-1 alpha-2 country code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Values of the method's [`PaymentMethod::extra_fields`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra: Vec<ExtraValue>,
}

impl CustomerDetails {
    /// The value typed for `field`.
    pub fn get(&self, field: CustomerField) -> Option<&str> {
        self.slot_ref(field).as_deref()
    }

    /// The place of `field`.
    pub fn slot(&mut self, field: CustomerField) -> &mut Option<String> {
        match field {
            CustomerField::Name => &mut self.name,
            CustomerField::Email => &mut self.email,
            CustomerField::Phone => &mut self.phone,
            CustomerField::CustomerType => &mut self.customer_type,
            CustomerField::PersonalNumber => &mut self.personal_number,
            CustomerField::OrganisationId => &mut self.organisation_id,
            CustomerField::StreetAddress => &mut self.street_address,
            CustomerField::PostalCode => &mut self.postal_code,
            CustomerField::City => &mut self.city,
            CustomerField::Country => &mut self.country,
        }
    }

    fn slot_ref(&self, field: CustomerField) -> &Option<String> {
        match field {
            CustomerField::Name => &self.name,
            CustomerField::Email => &self.email,
            CustomerField::Phone => &self.phone,
            CustomerField::CustomerType => &self.customer_type,
            CustomerField::PersonalNumber => &self.personal_number,
            CustomerField::OrganisationId => &self.organisation_id,
            CustomerField::StreetAddress => &self.street_address,
            CustomerField::PostalCode => &self.postal_code,
            CustomerField::City => &self.city,
            CustomerField::Country => &self.country,
        }
    }
}

/// `POST /v1/checkout/sessions` with an `Idempotency-Key` header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateSession {
    /// The cart; the backend prices it again.
    pub items: Vec<CartItem>,
    /// The [`Quote::id`] whose total the customer agreed to pay.
    pub quote_id: QuoteId,
    /// A [`PaymentMethod::id`] from the config.
    pub method: MethodId,
    /// The page to come back to; its origin must be one the merchant allows.
    pub return_url: String,
    /// Details the method requires.
    #[serde(default)]
    pub customer: CustomerDetails,
    /// BCP 47 language tag of the widget, passed to providers that take one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

/// A checkout session: the answer to create, status and cancel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// Kassa's session id, e.g. `ks_…`; it is also the order reference.
    pub id: SessionId,
    /// Where the payment stands, as far as the backend has verified.
    pub state: SessionState,
    /// The method chosen.
    pub method: MethodId,
    /// The provider handling it.
    pub provider: ProviderId,
    /// The priced cart.
    pub quote: Quote,
    /// What the widget does next; present while the session is open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    /// Unix seconds after which the provider session can no longer be paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    /// The verified receipt, once paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<Receipt>,
    /// True while the order waits (`created` or `open`) and the provider's latest answer
    /// about it was one its documents do not allow (an unknown status, an amount that
    /// differs from the order's): the order was left unchanged and the operator's log says
    /// why. The widget tells the customer it couldn't confirm the payment yet, with the
    /// order's reference. Absent (false) otherwise.
    #[serde(default, skip_serializing_if = "is_false")]
    pub unconfirmed: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The one thing the widget does to let the customer pay.
///
/// Written as an internally tagged object (`{"type": "redirect", "url": …}`) and read through
/// [`ActionFields`], one flat object, because serde's derived reader for an internally tagged
/// enum first copies the whole object into a buffer of its own (`Content`) to find the tag,
/// which cost the widget's Wasm its own generic decoder (`docs/toolchain.md` section 5). The
/// two read the same JSON the same way, in any key order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", try_from = "ActionFields")]
pub enum Action {
    /// Send the whole page to `url`.
    Redirect {
        /// The provider's hosted page.
        url: String,
        /// Why this is a redirect when the method frames its page; absent for a method
        /// whose presentation is a redirect. A widget that does not know the field still
        /// redirects, which is the right thing.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<RedirectReason>,
    },
    /// Frame `url` inside the widget.
    Iframe {
        /// The provider's hosted page.
        url: String,
    },
    /// Mount Stripe's embedded checkout.
    StripeEmbedded {
        /// The Checkout Session's client secret.
        client_secret: String,
        /// The merchant's publishable key (`pk_…`).
        publishable_key: String,
        /// The connected account (`acct_…`), when the session belongs to one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stripe_account: Option<String>,
    },
}

/// [`Action`] as it is read: the tag and every variant's fields, each optional; unknown
/// fields are ignored, as they are for the tagged form.
#[derive(Deserialize)]
struct ActionFields {
    #[serde(rename = "type")]
    kind: ActionKind,
    url: Option<String>,
    reason: Option<RedirectReason>,
    client_secret: Option<String>,
    publishable_key: Option<String>,
    stripe_account: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum ActionKind {
    Redirect,
    Iframe,
    StripeEmbedded,
}

/// A field the action's type requires is missing.
#[derive(Debug)]
pub struct MissingActionField(&'static str);

impl std::fmt::Display for MissingActionField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("missing field `")?;
        f.write_str(self.0)?;
        f.write_str("`")
    }
}

impl TryFrom<ActionFields> for Action {
    type Error = MissingActionField;

    fn try_from(a: ActionFields) -> Result<Self, Self::Error> {
        let need = |v: Option<String>, name| v.ok_or(MissingActionField(name));
        Ok(match a.kind {
            ActionKind::Redirect => Action::Redirect { url: need(a.url, "url")?, reason: a.reason },
            ActionKind::Iframe => Action::Iframe { url: need(a.url, "url")? },
            ActionKind::StripeEmbedded => Action::StripeEmbedded {
                client_secret: need(a.client_secret, "client_secret")?,
                publishable_key: need(a.publishable_key, "publishable_key")?,
                stripe_account: a.stripe_account,
            },
        })
    }
}

impl Action {
    /// A plain redirect to the provider's page: the method's own presentation.
    pub fn redirect(url: impl Into<String>) -> Self {
        Action::Redirect { url: url.into(), reason: None }
    }
}

/// Why the backend answered [`Action::Redirect`] for a method that frames its page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RedirectReason {
    /// The provider's page forbids being framed on the merchant's page (`X-Frame-Options`
    /// or CSP `frame-ancestors`), so a frame would stay blank; the widget says so and sends
    /// the whole page instead.
    FrameRefused,
    /// A reason this version does not know (from a newer backend). Never sent; read as a
    /// plain redirect, so that a new reason never breaks an older widget.
    #[serde(skip_serializing)]
    Unknown,
}

/// Read by hand as a string: any value is accepted (see [`RedirectReason::Unknown`]), and
/// the widget gets no second enum decoder (about 2 KB of Wasm).
impl<'de> Deserialize<'de> for RedirectReason {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(match text.as_str() {
            "frame_refused" => RedirectReason::FrameRefused,
            _ => RedirectReason::Unknown,
        })
    }
}

/// What the backend verified about a paid order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Receipt {
    /// The amount the provider confirmed.
    pub amount: Money,
    /// The provider's own reference (payment intent, order uuid, booking code).
    pub provider_reference: String,
    /// Unix seconds when the backend learned of the payment.
    pub paid_at: i64,
}

/// The body of every error answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// Stable machine-readable code.
    pub code: ErrorCode,
    /// A sentence for the person who can fix it.
    pub message: String,
    /// The offending field, as a dotted path (`items[0].quantity`), when one is to blame.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// True when the same request may succeed if tried again later.
    #[serde(default)]
    pub retryable: bool,
    /// The fresh quote, with [`ErrorCode::PriceChanged`] and [`ErrorCode::QuoteExpired`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote: Option<Quote>,
    /// For the developer: what is behind the error in the words of whoever refused
    /// (with [`ErrorCode::ProviderRejected`], the provider's reason; with
    /// [`ErrorCode::ProviderPriceMismatch`], both totals). Never shown to the
    /// customer, who gets a sentence in their language chosen by [`ApiError::code`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The order reference (`ks_…`, the session id) when an order was stored before the
    /// error: the customer can quote it to the shop, and the order is not lost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

named_enum! {
    /// Stable error codes of the contract.
    #[non_exhaustive]
    pub enum ErrorCode {
        /// The body or a parameter is malformed or out of range.
        InvalidRequest = "invalid_request",
        /// A SKU that the catalog does not have.
        UnknownSku = "unknown_sku",
        /// A method id that the config does not have.
        UnknownMethod = "unknown_method",
        /// The return URL's origin is not allowed.
        ReturnUrlNotAllowed = "return_url_not_allowed",
        /// The `Idempotency-Key` header is missing or malformed.
        IdempotencyKeyRequired = "idempotency_key_required",
        /// The key was used before with a different body.
        IdempotencyKeyReused = "idempotency_key_reused",
        /// A request with the same key is still being processed.
        IdempotencyKeyInFlight = "idempotency_key_in_flight",
        /// No session with that id.
        SessionNotFound = "session_not_found",
        /// The provider refused or failed; trying again may help.
        ProviderUnavailable = "provider_unavailable",
        /// The provider refused our request; trying again will not help.
        ProviderRejected = "provider_rejected",
        /// The provider has its own price for the order (a booking system's price list, a
        /// crypto checkout's total) and it differs from the quote: nothing was booked or
        /// charged, the order is kept (`reference`), and another method may take the quote.
        /// `detail` gives both totals, for the developer.
        ProviderPriceMismatch = "provider_price_mismatch",
        /// The price of the cart differs from the quote the customer saw (409); the answer's
        /// `quote` is the fresh one, and nothing was created.
        PriceChanged = "price_changed",
        /// The quote is too old, though the price is the same (409); the answer's `quote` is
        /// a fresh one to create the session with, and nothing was created.
        QuoteExpired = "quote_expired",
        /// Too many requests; see `Retry-After`.
        RateLimited = "rate_limited",
        /// The body is too large.
        PayloadTooLarge = "payload_too_large",
        /// The content type is not `application/json`.
        UnsupportedMediaType = "unsupported_media_type",
        /// Something went wrong on the backend.
        Internal = "internal",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redirect_reason_round_trips_and_an_unknown_one_reads_as_a_plain_redirect() {
        let refused = Action::Redirect {
            url: "https://p/x".into(),
            reason: Some(RedirectReason::FrameRefused),
        };
        let text = serde_json::to_string(&refused).unwrap();
        assert_eq!(text, r#"{"type":"redirect","url":"https://p/x","reason":"frame_refused"}"#);
        assert_eq!(serde_json::from_str::<Action>(&text).unwrap(), refused);
        assert_eq!(
            serde_json::to_string(&Action::redirect("u")).unwrap(),
            r#"{"type":"redirect","url":"u"}"#
        );
        let newer: Action =
            serde_json::from_str(r#"{"type":"redirect","url":"u","reason":"popup_blocked"}"#)
                .unwrap();
        assert_eq!(
            newer,
            Action::Redirect { url: "u".into(), reason: Some(RedirectReason::Unknown) }
        );
        assert!(
            serde_json::from_str::<Action>(r#"{"type":"redirect","url":"u","reason":7}"#).is_err()
        );
    }

    /// Read through `ActionFields`: every variant round-trips, the tag may come anywhere,
    /// unknown fields are ignored, a missing required field or an unknown type is refused.
    #[test]
    fn every_action_reads_back_in_any_key_order() {
        let all = [
            Action::redirect("https://p/r"),
            Action::Iframe { url: "https://p/f".into() },
            Action::StripeEmbedded {
                client_secret: "cs_1".into(),
                publishable_key: "pk_1".into(),
                stripe_account: Some("acct_1".into()),
            },
            Action::StripeEmbedded {
                client_secret: "cs_2".into(),
                publishable_key: "pk_2".into(),
                stripe_account: None,
            },
        ];
        for action in all {
            let text = serde_json::to_string(&action).unwrap();
            assert_eq!(serde_json::from_str::<Action>(&text).unwrap(), action, "{text}");
        }
        let read = |t: &str| serde_json::from_str::<Action>(t);
        assert_eq!(
            read(r#"{"url":"u","extra":1,"type":"iframe"}"#).unwrap(),
            Action::Iframe { url: "u".into() }
        );
        assert_eq!(
            read(r#"{"publishable_key":"pk","client_secret":"cs","type":"stripe_embedded","stripe_account":null}"#)
                .unwrap(),
            Action::StripeEmbedded {
                client_secret: "cs".into(),
                publishable_key: "pk".into(),
                stripe_account: None
            }
        );
        let missing = read(r#"{"type":"stripe_embedded","client_secret":"cs"}"#).unwrap_err();
        assert!(missing.to_string().contains("publishable_key"), "{missing}");
        assert!(read(r#"{"type":"iframe"}"#).unwrap_err().to_string().contains("url"));
        assert!(read(r#"{"type":"popup","url":"u"}"#).is_err());
        assert!(read(r#"{"url":"u"}"#).is_err());
        assert!(read(r#"{"type":"iframe","url":5}"#).is_err());
    }
}
