//! The checkout's screens and the rules that move between them. Pure: no DOM, no fetch.
//!
//! `flow.rs` performs requests and calls into these functions to decide what to show; the
//! components only draw a [`Screen`]. The rules that matter for money live here:
//! - a screen says "paid" only when the backend's session says `paid`, never from a URL;
//! - one `Idempotency-Key` per checkout attempt, kept when the same request is retried
//!   after a network failure, replaced when the customer starts a new attempt;
//! - every URL the backend sends is checked before it is used.

use kassa_wire::{
    Action, ApiError, CustomerDetails, CustomerField, ErrorCode, ExtraField, ExtraValue, Money,
    PaymentMethod, Presentation, RedirectReason, Session, SessionState,
};

use crate::{
    lang::{fill, Locale},
    navigate::UrlError,
    t,
};

/// What the widget shows. Each variant has exactly one `data-state` value.
#[derive(Clone, Debug, PartialEq)]
pub enum Screen {
    /// Config and quote are on their way.
    Loading,
    /// Cart, method picker, customer fields and the Pay button.
    Picker,
    /// The picker with a session request in flight.
    Creating,
    /// The provider's page framed inside the widget.
    Iframe {
        /// Kassa session id.
        session: String,
        /// The checked provider URL.
        url: String,
        /// The iframe's title, e.g. "Vipps payment page".
        title: String,
        /// Unix seconds when the provider's hold on the booking ends (Checkfront).
        expires_at: Option<i64>,
    },
    /// Stripe embedded checkout.
    Embedded(Embed),
    /// Waiting for the backend to settle the session.
    Confirming {
        /// Kassa session id.
        session: String,
        /// The polling budget ran out without a settled state.
        stalled: bool,
    },
    /// Inside a provider iframe on the way back: the parent widget takes over.
    Returning,
    /// The provider's page could not be framed: the whole page is going there.
    Redirecting,
    /// The backend confirmed the payment.
    Paid(PaidView),
    /// The provider issued an invoice (e.g. Front Payment's `INVOICED`): the booking is
    /// confirmed, no money has moved yet. Never shown as paid.
    Invoiced {
        /// Kassa session id, shown as the reference.
        session: String,
    },
    /// The provider declined.
    Failed {
        /// Kassa session id.
        session: String,
        /// The method that was used, for "Try again".
        method: String,
    },
    /// The customer cancelled.
    Cancelled {
        /// Kassa session id.
        session: String,
    },
    /// The session ran out of time.
    Expired {
        /// Kassa session id.
        session: String,
        /// The provider's hold on the booking ran out while the widget counted it down.
        hold: bool,
    },
    /// Something stopped the checkout; the problem says what and how to go on.
    Problem(Problem),
}

impl Screen {
    /// The `data-state` attribute value, stable for tests.
    pub fn as_str(&self) -> &'static str {
        match self {
            Screen::Loading => "loading",
            Screen::Picker => "picker",
            Screen::Creating => "creating",
            Screen::Iframe { .. } => "iframe",
            Screen::Embedded(_) => "embedded",
            Screen::Confirming { .. } | Screen::Returning => "confirming",
            Screen::Redirecting => "redirecting",
            Screen::Paid(_) => "paid",
            Screen::Invoiced { .. } => "invoiced",
            Screen::Failed { .. } => "failed",
            Screen::Cancelled { .. } => "cancelled",
            Screen::Expired { .. } => "expired",
            Screen::Problem(_) => "error",
        }
    }

    /// The screen as drawn: the picker stays in place (with a busy Pay button) while a
    /// session is being created, so focus and typed values are not lost.
    pub fn drawn(&self) -> Screen {
        match self {
            Screen::Creating => Screen::Picker,
            other => other.clone(),
        }
    }

    /// What the live region announces when this screen appears.
    pub fn announcement(&self, l: Locale) -> String {
        String::from(match self {
            Screen::Loading | Screen::Picker => "",
            Screen::Creating => t!(l, processing),
            Screen::Iframe { title, .. } => title,
            Screen::Embedded(_) => t!(l, pay_by_card),
            Screen::Confirming { .. } => t!(l, confirming),
            Screen::Returning => t!(l, returning),
            Screen::Redirecting => t!(l, frame_fallback),
            Screen::Paid(_) => t!(l, paid),
            Screen::Invoiced { .. } => t!(l, invoiced),
            Screen::Failed { .. } => t!(l, failed),
            Screen::Cancelled { .. } => t!(l, cancelled),
            Screen::Expired { .. } => t!(l, expired),
            Screen::Problem(p) => &p.title,
        })
    }
}

/// What Stripe embedded checkout needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Embed {
    /// Kassa session id.
    pub session: String,
    /// The Checkout Session's client secret.
    pub client_secret: String,
    /// `pk_…`.
    pub publishable_key: String,
    /// `acct_…` for a connected account.
    pub stripe_account: Option<String>,
    /// The checked Stripe.js URL.
    pub script_url: String,
}

/// The receipt as shown.
#[derive(Clone, Debug, PartialEq)]
pub struct PaidView {
    /// Kassa session id: the order reference.
    pub session: String,
    /// What the provider confirmed (or the quote's total when the receipt is not in yet).
    pub amount: Money,
    /// The provider's own reference.
    pub provider_reference: Option<String>,
}

/// A stop in the flow, with the way on.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// The heading.
    pub title: String,
    /// More detail, if any.
    pub detail: Option<String>,
    /// The button offered.
    pub next: Next,
    /// A stable code for the `kassa:error` event.
    pub code: String,
}

/// The way on from a [`Problem`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Next {
    /// Nothing the customer can do (the page itself is broken).
    Nothing,
    /// "Retry" the same request (same idempotency key when it is a session request).
    Retry(Retry),
    /// "Choose another method": back to the picker.
    Picker,
    /// "Start over": drop the session and load the checkout afresh.
    StartOver,
    /// Stripe's card form did not start: "Try again" (the same session) and "Choose another
    /// way to pay" (cancels it).
    Embed(Embed),
}

/// The request that "Retry" repeats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Retry {
    /// Loading config and quote.
    Load,
    /// Creating the session, with the pending attempt's key.
    Create,
    /// Confirming a session.
    Confirm {
        /// Kassa session id.
        session: String,
        /// The customer came back through the cancel URL.
        cancelled: bool,
    },
}

/// How a request to the backend failed.
#[derive(Clone, Debug, PartialEq)]
pub enum ApiFailure {
    /// The request never got an answer, or the answer was a 5xx (with its body, if any).
    Unreachable(Option<ApiError>),
    /// A 4xx with an [`ApiError`] body.
    Api(ApiError),
    /// An answer the widget cannot read.
    Malformed,
}

impl ApiFailure {
    /// The failure for an answer that was not a 2xx: its status and the [`ApiError`] in its
    /// body, if one could be read. A 5xx means the backend (or what is behind it) is not
    /// there, except a provider that answered and refused the payment (`provider_rejected`,
    /// a 502: a total under the provider's minimum charge, a price the booking system
    /// changed). Retrying cannot help with that one, so it is shown as the backend wrote it,
    /// with another way to pay.
    pub fn for_answer(status: u16, error: Option<ApiError>) -> ApiFailure {
        match (status >= 500, error) {
            (true, Some(e)) if e.code == ErrorCode::ProviderRejected => ApiFailure::Api(e),
            (true, e) => ApiFailure::Unreachable(e),
            (false, Some(e)) => ApiFailure::Api(e),
            (false, None) => ApiFailure::Malformed,
        }
    }

    /// The `kassa:error` code.
    pub fn code(&self) -> String {
        match self {
            ApiFailure::Unreachable(_) => String::from("unreachable"),
            ApiFailure::Malformed => String::from("malformed_response"),
            ApiFailure::Api(e) => error_code_str(e.code).to_owned(),
        }
    }
}

fn error_code_str(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::InvalidRequest => "invalid_request",
        ErrorCode::UnknownSku => "unknown_sku",
        ErrorCode::UnknownMethod => "unknown_method",
        ErrorCode::ReturnUrlNotAllowed => "return_url_not_allowed",
        ErrorCode::IdempotencyKeyRequired => "idempotency_key_required",
        ErrorCode::IdempotencyKeyReused => "idempotency_key_reused",
        ErrorCode::IdempotencyKeyInFlight => "idempotency_key_in_flight",
        ErrorCode::SessionNotFound => "session_not_found",
        ErrorCode::ProviderUnavailable => "provider_unavailable",
        ErrorCode::ProviderRejected => "provider_rejected",
        ErrorCode::RateLimited => "rate_limited",
        ErrorCode::PayloadTooLarge => "payload_too_large",
        ErrorCode::UnsupportedMediaType => "unsupported_media_type",
        _ => "internal",
    }
}

/// The problem screen for a failed request. `retry` is what "Retry" repeats; `otherwise` is
/// offered when retrying cannot help.
///
/// The backend writes its messages in English; where the customer can act on the error code
/// alone, the widget says it in the customer's language and keeps the backend's text out.
pub fn problem_for(failure: &ApiFailure, retry: Retry, otherwise: Next, l: Locale) -> Problem {
    let (title, detail, next) = match failure {
        ApiFailure::Unreachable(e) => {
            // The backend's own words, in English, only for an English page.
            let detail = e.as_ref().filter(|_| l == Locale::en).map(|e| e.message.clone());
            (t!(l, unreachable).into(), detail, Next::Retry(retry))
        }
        ApiFailure::Malformed => (t!(l, malformed).into(), None, Next::Retry(retry)),
        ApiFailure::Api(e) => {
            let next = if e.retryable { Next::Retry(retry) } else { otherwise };
            let title = match e.code {
                ErrorCode::ProviderUnavailable => t!(l, provider_unavailable).into(),
                ErrorCode::RateLimited => t!(l, rate_limited).into(),
                _ if l == Locale::en => e.message.clone(),
                _ => t!(l, not_started).into(),
            };
            (title, None, next)
        }
    };
    Problem { title, detail, next, code: failure.code() }
}

/// The problem screen for a refused payment URL (the reason goes to the console).
pub fn problem_for_url(error: &UrlError, l: Locale) -> Problem {
    web_log(&error.message());
    Problem {
        title: t!(l, url_refused).into(),
        detail: Some(t!(l, url_refused_text).into()),
        next: Next::Picker,
        code: String::from("url_refused"),
    }
}

/// A problem with the page's own setup: the detail is for the website owner, in English.
pub fn page_problem(message: String, l: Locale) -> Problem {
    Problem {
        title: t!(l, cant_start).into(),
        detail: Some(message),
        next: Next::Nothing,
        code: String::from("invalid_page"),
    }
}

#[cfg(target_arch = "wasm32")]
fn web_log(message: &str) {
    web_sys::console::error_1(&wasm_bindgen::JsValue::from_str(message));
}

#[cfg(not(target_arch = "wasm32"))]
fn web_log(_message: &str) {}

/// One checkout attempt: what was asked for, under which idempotency key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    /// The `Idempotency-Key`.
    pub key: String,
    /// The method id.
    pub method: String,
    /// The details sent.
    pub customer: CustomerDetails,
}

/// The attempt for a Pay press: the pending one when it asks for the same thing (its earlier
/// request may have reached the backend), otherwise a new one with a fresh key.
pub fn attempt_for(
    pending: Option<&Attempt>,
    method: &str,
    customer: &CustomerDetails,
    new_key: impl FnOnce() -> String,
) -> Attempt {
    match pending {
        Some(a) if a.method == method && a.customer == *customer => a.clone(),
        _ => Attempt { key: new_key(), method: method.to_owned(), customer: customer.clone() },
    }
}

/// Whether an attempt stays pending (and its key is reused) after this failure: yes when the
/// backend may have acted on the request (no answer, 5xx) or asks us to come back later.
pub fn key_survives(failure: &ApiFailure) -> bool {
    match failure {
        ApiFailure::Unreachable(_) | ApiFailure::Malformed => true,
        ApiFailure::Api(e) => {
            matches!(e.code, ErrorCode::IdempotencyKeyInFlight | ErrorCode::RateLimited)
        }
    }
}

/// What to do with a session the backend returned.
#[derive(Clone, Debug, PartialEq)]
pub enum AfterSession {
    /// Show this screen.
    Show(Screen),
    /// Send the whole page to this (checked) URL.
    Redirect(String),
    /// The method frames its page, but this one refuses to be framed here (the backend
    /// checked): say so, then send the whole page to this (checked) URL.
    FrameRefused(String),
}

/// The settled screen for a session, or `None` while it is still open. An open session
/// about which the provider answered something the backend could not accept (its documents
/// do not allow it: an unknown status, an amount that differs) is a problem, never "paid":
/// "We couldn't confirm your payment yet" with the order's reference, and a way to ask again.
pub fn settled_screen(s: &Session, l: Locale) -> Option<Screen> {
    let session = s.id.clone();
    Some(match s.state {
        SessionState::Created | SessionState::Open if s.unconfirmed => Screen::Problem(Problem {
            title: fill(t!(l, unconfirmed), &session),
            detail: None,
            next: Next::Retry(Retry::Confirm { session, cancelled: false }),
            code: "unconfirmed".into(),
        }),
        SessionState::Created | SessionState::Open => return None,
        SessionState::Invoiced => Screen::Invoiced { session },
        SessionState::Paid => Screen::Paid(PaidView {
            amount: s.receipt.as_ref().map_or(s.quote.total, |r| r.amount),
            provider_reference: s.receipt.as_ref().map(|r| r.provider_reference.clone()),
            session,
        }),
        SessionState::Failed => Screen::Failed { session, method: s.method.clone() },
        SessionState::Cancelled => Screen::Cancelled { session },
        SessionState::Expired => Screen::Expired { session, hold: false },
    })
}

/// What follows a session answer: a settled screen, or the session's action after its URL
/// passed `check` (the navigate rules for `method`'s allowed origins).
pub fn after_session(
    s: &Session,
    method: Option<&PaymentMethod>,
    check: impl Fn(&str, &[String]) -> Result<(), UrlError>,
    l: Locale,
) -> Result<AfterSession, UrlError> {
    if let Some(screen) = settled_screen(s, l) {
        return Ok(AfterSession::Show(screen));
    }
    let confirming =
        AfterSession::Show(Screen::Confirming { session: s.id.clone(), stalled: false });
    let (Some(action), Some(method)) = (&s.action, method) else {
        return Ok(confirming);
    };
    let allowed = &method.allowed_origins;
    Ok(match action {
        Action::Redirect { url, reason } => {
            check(url, allowed)?;
            match reason {
                Some(RedirectReason::FrameRefused) => AfterSession::FrameRefused(url.clone()),
                Some(RedirectReason::Unknown) | None => AfterSession::Redirect(url.clone()),
            }
        }
        Action::Iframe { url } => {
            check(url, allowed)?;
            let title = fill(t!(l, payment_page), &method.display_name);
            AfterSession::Show(Screen::Iframe {
                session: s.id.clone(),
                url: url.clone(),
                title,
                expires_at: s.expires_at,
            })
        }
        Action::StripeEmbedded { client_secret, publishable_key, stripe_account } => {
            let script = method.stripe_js_url.as_deref().ok_or(UrlError::Malformed)?;
            check(script, allowed)?;
            AfterSession::Show(Screen::Embedded(Embed {
                session: s.id.clone(),
                client_secret: client_secret.clone(),
                publishable_key: publishable_key.clone(),
                stripe_account: stripe_account.clone(),
                script_url: script.to_owned(),
            }))
        }
    })
}

/// The height to give a provider frame for a `{type: "…:resize", height}` message (already
/// known to come from the frame, on the provider's origin): whole pixels, 120 to 4000.
pub fn frame_height(kind: Option<&str>, height: Option<f64>) -> Option<u32> {
    let h = height.filter(|h| h.is_finite())?;
    (kind?.ends_with(":resize") && (1.0..=10_000.0).contains(&h))
        .then(|| h.ceil().clamp(120.0, 4000.0) as u32)
}

/// Whether a method is one this widget can present.
pub fn supported(method: &PaymentMethod) -> bool {
    method.presentation != Presentation::StripeEmbedded || method.stripe_js_url.is_some()
}

/// The wait before poll number `n` (0-based): 0.5 s doubling to 4 s.
pub fn poll_delay_ms(n: u32) -> u32 {
    500u32.saturating_mul(1 << n.min(3)).min(4_000)
}

/// How long to keep polling before offering "Check again".
pub const POLL_BUDGET_MS: u32 = 60_000;

/// The Kassa parameters on a return URL, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Return {
    /// Kassa session id.
    pub session: String,
    /// The provider sent the customer to the cancel URL.
    pub cancelled: bool,
    /// No outcome: not a return from the provider but a reload of a page on which the
    /// widget showed the provider's page in a frame (or Stripe's embedded checkout) and had
    /// written the session id into the address for exactly this.
    pub reload: bool,
}

/// Reads `kassa_session` and `kassa_return` from the page URL. A malformed id is ignored.
pub fn parse_return(session: Option<String>, outcome: Option<String>) -> Option<Return> {
    let session = session.filter(|s| valid_session_id(s))?;
    Some(Return {
        session,
        cancelled: outcome.as_deref() == Some("cancel"),
        reload: outcome.is_none(),
    })
}

/// Reads a `{type: "kassa:return", session, outcome}` message from a child frame.
pub fn parse_return_message(
    kind: Option<String>,
    session: Option<String>,
    outcome: Option<String>,
) -> Option<Return> {
    if kind.as_deref() != Some("kassa:return") {
        return None;
    }
    let cancelled = match outcome.as_deref() {
        Some("success") => false,
        Some("cancel") => true,
        _ => return None,
    };
    let session = session.filter(|s| valid_session_id(s))?;
    Some(Return { session, cancelled, reload: false })
}

fn valid_session_id(s: &str) -> bool {
    (1..=128).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// How a customer field is asked for: label, input type, autocomplete token, inputmode.
pub struct FieldSpec {
    /// The visible label.
    pub label: &'static str,
    /// The `<input type>`.
    pub kind: &'static str,
    /// The autocomplete token (WCAG 1.3.5), `off` where none fits.
    pub autocomplete: &'static str,
    /// The `inputmode` for on-screen keyboards, when not implied by `kind`.
    pub inputmode: Option<&'static str>,
}

/// How `field` is asked for in `l`.
pub fn field_spec(field: CustomerField, l: Locale) -> FieldSpec {
    let (label, kind, autocomplete, inputmode) = match field {
        CustomerField::Name => (t!(l, name), "text", "name", None),
        CustomerField::Email => (t!(l, email), "email", "email", None),
        CustomerField::Phone => (t!(l, phone), "tel", "tel", None),
        CustomerField::CustomerType => (t!(l, customer_type), "radio", "off", None),
        CustomerField::PersonalNumber => (t!(l, personal_number), "text", "off", Some("numeric")),
        CustomerField::OrganisationId => (t!(l, organisation_id), "text", "off", Some("numeric")),
        CustomerField::StreetAddress => (t!(l, street_address), "text", "street-address", None),
        CustomerField::PostalCode => (t!(l, postal_code), "text", "postal-code", None),
        CustomerField::City => (t!(l, city), "text", "address-level2", None),
        CustomerField::Country => (t!(l, country), "text", "country", None),
    };
    FieldSpec { label, kind, autocomplete, inputmode }
}

/// The element attribute that prefills a field, e.g. `customer-email`.
pub fn field_attribute(field: CustomerField) -> &'static str {
    match field {
        CustomerField::Name => "customer-name",
        CustomerField::Email => "customer-email",
        CustomerField::Phone => "customer-phone",
        CustomerField::CustomerType => "customer-type",
        CustomerField::PersonalNumber => "customer-personal-number",
        CustomerField::OrganisationId => "customer-organisation-id",
        CustomerField::StreetAddress => "customer-street-address",
        CustomerField::PostalCode => "customer-postal-code",
        CustomerField::City => "customer-city",
        CustomerField::Country => "customer-country",
    }
}

/// The stable id part of a field (`name`, `email`, `phone`, …).
pub fn field_key(field: CustomerField) -> &'static str {
    match field {
        CustomerField::Name => "name",
        CustomerField::Email => "email",
        CustomerField::Phone => "phone",
        CustomerField::CustomerType => "customer_type",
        CustomerField::PersonalNumber => "personal_number",
        CustomerField::OrganisationId => "organisation_id",
        CustomerField::StreetAddress => "street_address",
        CustomerField::PostalCode => "postal_code",
        CustomerField::City => "city",
        CustomerField::Country => "country",
    }
}

/// The fields to show for a method, in form order: with a customer type, the personal number
/// only for a private person and the organisation number only for a company (neither until
/// the type is chosen).
pub fn visible_fields(required: &[CustomerField], typed: &CustomerDetails) -> Vec<CustomerField> {
    let by_type = required.contains(&CustomerField::CustomerType);
    let kind = typed.customer_type.as_deref();
    CustomerField::ALL
        .into_iter()
        .filter(|f| required.contains(f))
        .filter(|f| match f {
            CustomerField::PersonalNumber if by_type => kind == Some("private"),
            CustomerField::OrganisationId if by_type => kind == Some("corporate"),
            _ => true,
        })
        .collect()
}

/// Checks one field and returns the value to send, or a message for the customer in `l`.
pub fn check_field(field: CustomerField, value: &str, l: Locale) -> Result<String, &'static str> {
    let v = value.trim();
    match field {
        CustomerField::Name => {
            if v.is_empty() || v.chars().count() > 200 {
                Err(t!(l, err_name))
            } else {
                Ok(v.to_owned())
            }
        }
        CustomerField::Email => {
            let ok = v.len() <= 254
                && !v.contains(char::is_whitespace)
                && v.split_once('@').is_some_and(|(local, domain)| {
                    !local.is_empty()
                        && !domain.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                });
            if ok {
                Ok(v.to_owned())
            } else {
                Err(t!(l, err_email))
            }
        }
        CustomerField::Phone => {
            let compact: String =
                v.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.')).collect();
            let digits = compact.strip_prefix('+').or_else(|| compact.strip_prefix("00"));
            match digits {
                Some(d) if (7..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()) => {
                    let mut e164 = String::from("+");
                    e164.push_str(d);
                    Ok(e164)
                }
                _ => Err(t!(l, err_phone)),
            }
        }
        CustomerField::CustomerType => match v {
            "private" | "corporate" => Ok(v.to_owned()),
            _ => Err(t!(l, err_customer_type)),
        },
        CustomerField::PersonalNumber => digits(v, 11, t!(l, err_personal_number)),
        CustomerField::OrganisationId => digits(v, 9, t!(l, err_organisation_id)),
        CustomerField::StreetAddress | CustomerField::City => {
            if v.is_empty() || v.chars().count() > 200 {
                Err(t!(l, err_required))
            } else {
                Ok(v.to_owned())
            }
        }
        CustomerField::PostalCode => {
            if (3..=10).contains(&v.len())
                && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b' ')
            {
                Ok(v.to_owned())
            } else {
                Err(t!(l, err_postal_code))
            }
        }
        CustomerField::Country => {
            if v.len() == 2 && v.bytes().all(|b| b.is_ascii_alphabetic()) {
                Ok(v.to_ascii_uppercase())
            } else {
                Err(t!(l, err_country))
            }
        }
    }
}

/// Exactly `n` digits (spaces allowed while typing).
fn digits(v: &str, n: usize, message: &'static str) -> Result<String, &'static str> {
    let compact: String = v.chars().filter(|c| *c != ' ').collect();
    if compact.len() == n && compact.bytes().all(|b| b.is_ascii_digit()) {
        Ok(compact)
    } else {
        Err(message)
    }
}

/// Reads the details a method needs from what was typed; every other field (and the number
/// that does not go with the customer type) is left out.
pub fn customer_for(
    required: &[CustomerField],
    typed: &CustomerDetails,
    l: Locale,
) -> Result<CustomerDetails, Vec<(CustomerField, &'static str)>> {
    let mut out = CustomerDetails::default();
    let mut errors = Vec::new();
    for field in visible_fields(required, typed) {
        match check_field(field, typed.get(field).unwrap_or(""), l) {
            Ok(v) => *out.slot(field) = Some(v),
            Err(e) => errors.push((field, e)),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The id part of a provider's extra field (`x-` and its id, anything but `[A-Za-z0-9_-]`
/// as `-`), for element ids: `kassa-field-x-guide_language`.
pub fn extra_key(id: &str) -> String {
    let mut key = String::from("x-");
    key.extend(id.chars().map(|c| {
        if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
            c
        } else {
            '-'
        }
    }));
    key
}

/// Checks the value typed for a provider's extra field: what to send (`None` for an optional
/// field left empty), or a message for the customer in `l`. Length is bounded by the input.
pub fn check_extra(
    field: &ExtraField,
    value: &str,
    l: Locale,
) -> Result<Option<String>, &'static str> {
    let v = value.trim();
    let ok = match field.kind.as_str() {
        ExtraField::SELECT => v.is_empty() || field.options.iter().any(|o| o.value == v),
        ExtraField::CHECKBOX => v.is_empty() || v == "1",
        _ => true,
    };
    match (v.is_empty(), ok) {
        (_, false) => Err(t!(l, err_required)),
        (true, _) if field.required => Err(t!(l, err_required)),
        (true, _) => Ok(None),
        (false, _) => Ok(Some(v.to_owned())),
    }
}

/// What was typed for extra field `id`.
pub fn typed_extra<'a>(typed: &'a CustomerDetails, id: &str) -> &'a str {
    typed.extra.iter().find(|v| v.id == id).map_or("", |v| v.value.as_str())
}

/// Records what was typed for extra field `id`.
pub fn set_typed_extra(typed: &mut CustomerDetails, id: &str, value: String) {
    match typed.extra.iter_mut().find(|v| v.id == id) {
        Some(slot) => slot.value = value,
        None => typed.extra.push(ExtraValue { id: id.to_owned(), value }),
    }
}

/// Reads the values of a method's extra fields from what was typed; others are left out.
pub fn extra_for(
    fields: &[ExtraField],
    typed: &CustomerDetails,
    l: Locale,
) -> Result<Vec<ExtraValue>, Vec<(String, &'static str)>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for field in fields {
        match check_extra(field, typed_extra(typed, &field.id), l) {
            Ok(Some(value)) => out.push(ExtraValue { id: field.id.clone(), value }),
            Ok(None) => {}
            Err(e) => errors.push((field.id.clone(), e)),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The place of `field` in a [`CustomerDetails`].
pub fn slot(details: &mut CustomerDetails, field: CustomerField) -> &mut Option<String> {
    details.slot(field)
}

#[cfg(test)]
mod tests {
    use kassa_wire::{Currency, ProviderId, Quote, Receipt};

    use super::*;
    use crate::navigate::check_pure;

    fn check(url: &str, allowed: &[String]) -> Result<(), UrlError> {
        check_pure(url, allowed).map(drop)
    }

    fn nok(minor: i64) -> Money {
        Money::from_minor(minor, Currency::NOK).unwrap()
    }

    fn session(state: SessionState, action: Option<Action>) -> Session {
        Session {
            id: "ks_1".into(),
            state,
            method: "vipps".into(),
            provider: ProviderId::FrontPayment,
            quote: Quote { lines: vec![], total: nok(145_000) },
            action,
            expires_at: None,
            receipt: None,
            unconfirmed: false,
        }
    }

    fn method(presentation: Presentation) -> PaymentMethod {
        PaymentMethod {
            id: "vipps".into(),
            provider: ProviderId::FrontPayment,
            display_name: "Vipps".into(),
            presentation,
            required_fields: vec![],
            extra_fields: vec![],
            allowed_origins: vec!["https://pay.example.com".into()],
            stripe_js_url: Some("https://pay.example.com/v3".into()),
            group: kassa_wire::MethodGroup::Vipps,
            marks: vec![kassa_wire::Mark::Vipps],
            label: None,
        }
    }

    #[test]
    fn paid_comes_only_from_the_session_state() {
        let mut s = session(SessionState::Paid, None);
        s.receipt =
            Some(Receipt { amount: nok(145_000), provider_reference: "pi_9".into(), paid_at: 0 });
        let Some(Screen::Paid(view)) = settled_screen(&s, Locale::en) else {
            panic!("paid session must show paid")
        };
        assert_eq!(view.provider_reference.as_deref(), Some("pi_9"));
        assert_eq!(view.session, "ks_1");
        assert_eq!(settled_screen(&session(SessionState::Open, None), Locale::en), None);
        assert_eq!(settled_screen(&session(SessionState::Created, None), Locale::en), None);
    }

    #[test]
    fn each_settled_state_has_its_screen() {
        let shown = |st| settled_screen(&session(st, None), Locale::en).unwrap().as_str();
        assert_eq!(shown(SessionState::Failed), "failed");
        assert_eq!(shown(SessionState::Cancelled), "cancelled");
        assert_eq!(shown(SessionState::Expired), "expired");
        assert_eq!(shown(SessionState::Invoiced), "invoiced");
    }

    #[test]
    fn an_invoiced_session_is_never_shown_as_paid() {
        let s = session(SessionState::Invoiced, None);
        assert_eq!(
            settled_screen(&s, Locale::en),
            Some(Screen::Invoiced { session: "ks_1".into() })
        );
        let text = Screen::Invoiced { session: "ks_1".into() }.announcement(Locale::en);
        assert_eq!(text, "Booking confirmed: the invoice is on its way");
    }

    #[test]
    fn an_answer_the_backend_could_not_accept_shows_unconfirmed_with_the_reference() {
        for state in [SessionState::Open, SessionState::Created] {
            let s = Session { unconfirmed: true, ..session(state, None) };
            let Some(Screen::Problem(problem)) = settled_screen(&s, Locale::en) else {
                panic!("a problem screen")
            };
            assert_eq!(
                problem.title,
                "We couldn't confirm your payment yet. Your order reference is ks_1."
            );
            assert_eq!(problem.code, "unconfirmed");
            assert_eq!(
                problem.next,
                Next::Retry(Retry::Confirm { session: "ks_1".into(), cancelled: false })
            );
            let Some(Screen::Problem(nb)) = settled_screen(&s, Locale::nb) else { panic!() };
            assert!(nb.title.contains("ks_1") && nb.title.starts_with("Vi kunne ikke"));
        }
        // A settled state wins over the flag: paid is paid.
        let paid = Session { unconfirmed: true, ..session(SessionState::Paid, None) };
        assert_eq!(settled_screen(&paid, Locale::en).unwrap().as_str(), "paid");
    }

    #[test]
    fn an_open_session_acts_only_on_an_allowed_url() {
        let m = method(Presentation::Redirect);
        let ok = session(SessionState::Open, Some(Action::redirect("https://pay.example.com/x")));
        assert_eq!(
            after_session(&ok, Some(&m), check, Locale::en),
            Ok(AfterSession::Redirect("https://pay.example.com/x".into()))
        );
        let evil = session(SessionState::Open, Some(Action::redirect("https://evil.example/x")));
        assert_eq!(
            after_session(&evil, Some(&m), check, Locale::en),
            Err(UrlError::Origin("https://evil.example".into()))
        );
        let js =
            session(SessionState::Open, Some(Action::Iframe { url: "javascript:alert(1)".into() }));
        assert_eq!(after_session(&js, Some(&m), check, Locale::en), Err(UrlError::Scheme));
    }

    #[test]
    fn a_refused_frame_is_announced_before_the_checked_redirect() {
        let m = method(Presentation::Iframe);
        let refused = |url: &str| {
            session(
                SessionState::Open,
                Some(Action::Redirect {
                    url: url.into(),
                    reason: Some(RedirectReason::FrameRefused),
                }),
            )
        };
        assert_eq!(
            after_session(&refused("https://pay.example.com/f"), Some(&m), check, Locale::en),
            Ok(AfterSession::FrameRefused("https://pay.example.com/f".into()))
        );
        assert_eq!(
            after_session(&refused("https://evil.example/f"), Some(&m), check, Locale::en),
            Err(UrlError::Origin("https://evil.example".into())),
            "the reason does not skip the origin check"
        );
    }

    #[test]
    fn an_iframe_is_titled_after_the_method() {
        let m = method(Presentation::Iframe);
        let s = session(
            SessionState::Open,
            Some(Action::Iframe { url: "https://pay.example.com/f".into() }),
        );
        let Ok(AfterSession::Show(Screen::Iframe { title, .. })) =
            after_session(&s, Some(&m), check, Locale::en)
        else {
            panic!("iframe action must show the iframe")
        };
        assert_eq!(title, "Vipps payment page");
    }

    #[test]
    fn stripe_embedded_checks_the_script_origin() {
        let mut m = method(Presentation::StripeEmbedded);
        let action = Action::StripeEmbedded {
            client_secret: "cs_1".into(),
            publishable_key: "pk_1".into(),
            stripe_account: None,
        };
        let s = session(SessionState::Open, Some(action));
        assert!(matches!(
            after_session(&s, Some(&m), check, Locale::en),
            Ok(AfterSession::Show(Screen::Embedded(_)))
        ));
        m.stripe_js_url = Some("https://js.evil.example/v3".into());
        assert!(after_session(&s, Some(&m), check, Locale::en).is_err());
        m.stripe_js_url = None;
        assert!(!supported(&m));
    }

    #[test]
    fn an_open_session_without_action_is_confirmed() {
        let s = session(SessionState::Open, None);
        assert_eq!(
            after_session(&s, None, check, Locale::en),
            Ok(AfterSession::Show(Screen::Confirming { session: "ks_1".into(), stalled: false }))
        );
    }

    #[test]
    fn a_retry_after_a_network_error_reuses_the_key() {
        let customer = CustomerDetails::default();
        let first = attempt_for(None, "vipps", &customer, || "k1".into());
        assert!(key_survives(&ApiFailure::Unreachable(None)));
        let again = attempt_for(Some(&first), "vipps", &customer, || "k2".into());
        assert_eq!(again.key, "k1");
    }

    #[test]
    fn a_different_request_gets_a_new_key() {
        let customer = CustomerDetails::default();
        let first = attempt_for(None, "vipps", &customer, || "k1".into());
        assert_eq!(attempt_for(Some(&first), "card", &customer, || "k2".into()).key, "k2");
        let other = CustomerDetails { email: Some("a@b.no".into()), ..CustomerDetails::default() };
        assert_eq!(attempt_for(Some(&first), "vipps", &other, || "k3".into()).key, "k3");
    }

    #[test]
    fn a_definite_refusal_ends_the_attempt() {
        let refused = ApiError {
            code: ErrorCode::UnknownSku,
            message: "We don't sell that.".into(),
            field: None,
            retryable: false,
        };
        assert!(!key_survives(&ApiFailure::Api(refused.clone())));
        let in_flight = ApiError {
            code: ErrorCode::IdempotencyKeyInFlight,
            retryable: true,
            ..refused.clone()
        };
        assert!(key_survives(&ApiFailure::Api(in_flight)));
        let p = problem_for(&ApiFailure::Api(refused), Retry::Create, Next::Picker, Locale::en);
        assert_eq!(p.title, "We don't sell that.");
        assert_eq!(p.next, Next::Picker);
        assert_eq!(p.code, "unknown_sku");
        let refused = ApiFailure::Api(ApiError {
            code: ErrorCode::UnknownSku,
            message: "We don't sell that.".into(),
            field: None,
            retryable: false,
        });
        let de = problem_for(&refused, Retry::Create, Next::Picker, Locale::de);
        assert_eq!(
            de.title, "Die Zahlung konnte nicht gestartet werden.",
            "no English on a German page"
        );
    }

    #[test]
    fn a_provider_that_refused_the_payment_is_not_an_unreachable_backend() {
        let refused = ApiError {
            code: ErrorCode::ProviderRejected,
            message: "The total 2.00 NOK is below Stripe's minimum charge of 3.00 NOK.".into(),
            field: None,
            retryable: false,
        };
        let failure = ApiFailure::for_answer(502, Some(refused.clone()));
        assert_eq!(failure, ApiFailure::Api(refused.clone()));
        let p = problem_for(&failure, Retry::Create, Next::Picker, Locale::en);
        assert_eq!(p.title, refused.message);
        assert_eq!(p.next, Next::Picker, "another way to pay, not a retry of the same");
        let down = ApiError { code: ErrorCode::ProviderUnavailable, ..refused };
        assert!(matches!(ApiFailure::for_answer(503, Some(down)), ApiFailure::Unreachable(_)));
        assert_eq!(ApiFailure::for_answer(500, None), ApiFailure::Unreachable(None));
        assert_eq!(ApiFailure::for_answer(404, None), ApiFailure::Malformed);
    }

    #[test]
    fn an_unreachable_backend_offers_retry() {
        let p = problem_for(&ApiFailure::Unreachable(None), Retry::Load, Next::Nothing, Locale::en);
        assert_eq!(p.title, t!(Locale::en, unreachable));
        assert_eq!(p.next, Next::Retry(Retry::Load));
        assert_eq!(Screen::Problem(p).as_str(), "error");
    }

    #[test]
    fn polling_backs_off_from_half_a_second_to_four() {
        let delays: Vec<_> = (0..6).map(poll_delay_ms).collect();
        assert_eq!(delays, [500, 1000, 2000, 4000, 4000, 4000]);
        assert_eq!(poll_delay_ms(u32::MAX), 4000);
    }

    #[test]
    fn return_parameters_are_checked() {
        let r = parse_return(Some("ks_abc".into()), Some("cancel".into())).unwrap();
        assert!(r.cancelled && !r.reload);
        let back = parse_return(Some("ks_abc".into()), Some("success".into())).unwrap();
        assert!(!back.cancelled && !back.reload);
        let reload = parse_return(Some("ks_abc".into()), None).unwrap();
        assert!(reload.reload && !reload.cancelled, "an id without an outcome is a reload");
        assert_eq!(parse_return(None, Some("success".into())), None);
        assert_eq!(parse_return(Some("ks<script>".into()), None), None);
        assert_eq!(parse_return(Some(String::new()), None), None);
    }

    #[test]
    fn return_messages_must_have_the_exact_shape() {
        let msg = |t: &str, s: &str, o: &str| {
            parse_return_message(Some(t.into()), Some(s.into()), Some(o.into()))
        };
        assert_eq!(
            msg("kassa:return", "ks_1", "success"),
            Some(Return { session: "ks_1".into(), cancelled: false, reload: false })
        );
        assert_eq!(msg("kassa:return", "ks_1", "paid"), None);
        assert_eq!(msg("other", "ks_1", "success"), None);
        assert_eq!(
            parse_return_message(Some("kassa:return".into()), None, Some("cancel".into())),
            None
        );
    }

    #[test]
    fn extra_fields_are_checked_by_kind_and_only_known_ones_are_sent() {
        let language = ExtraField {
            id: "guide_language".into(),
            label: "Guide language".into(),
            kind: ExtraField::SELECT.into(),
            required: true,
            options: vec![kassa_wire::FieldOption { value: "en".into(), label: "English".into() }],
        };
        let note = ExtraField {
            id: "note".into(),
            label: "Note".into(),
            kind: ExtraField::TEXTAREA.into(),
            required: false,
            options: vec![],
        };
        let fields = [language, note];
        let mut typed = CustomerDetails::default();
        let errors = extra_for(&fields, &typed, Locale::en).unwrap_err();
        assert_eq!(errors, [("guide_language".to_owned(), t!(Locale::en, err_required))]);
        set_typed_extra(&mut typed, "guide_language", "fr".into());
        assert!(extra_for(&fields, &typed, Locale::en).is_err(), "not one of the choices");
        set_typed_extra(&mut typed, "guide_language", " en ".into());
        set_typed_extra(&mut typed, "stray", "x".into());
        let sent = extra_for(&fields, &typed, Locale::en).unwrap();
        assert_eq!(sent, [ExtraValue { id: "guide_language".into(), value: "en".into() }]);
        assert_eq!(extra_key("a b/c"), "x-a-b-c");
    }

    #[test]
    fn only_required_fields_are_sent_and_each_is_checked() {
        let typed = CustomerDetails {
            name: Some(" Kari Nordmann ".into()),
            email: Some("kari@example.no".into()),
            phone: Some("+47 912 34 567".into()),
            ..CustomerDetails::default()
        };
        let got = customer_for(&[CustomerField::Email, CustomerField::Phone], &typed, Locale::en)
            .unwrap();
        assert_eq!(got.name, None);
        assert_eq!(got.email.as_deref(), Some("kari@example.no"));
        assert_eq!(got.phone.as_deref(), Some("+4791234567"));
        let errors = customer_for(
            &[CustomerField::Name, CustomerField::Email],
            &CustomerDetails::default(),
            Locale::en,
        )
        .unwrap_err();
        assert_eq!(errors.len(), 2);
    }

    #[test]
    fn the_customer_type_decides_which_number_is_asked_for() {
        let invoice = [
            CustomerField::CustomerType,
            CustomerField::Name,
            CustomerField::PersonalNumber,
            CustomerField::OrganisationId,
        ];
        let mut typed = CustomerDetails::default();
        assert_eq!(
            visible_fields(&invoice, &typed),
            [CustomerField::CustomerType, CustomerField::Name]
        );
        typed.customer_type = Some("private".into());
        assert!(visible_fields(&invoice, &typed).contains(&CustomerField::PersonalNumber));
        assert!(!visible_fields(&invoice, &typed).contains(&CustomerField::OrganisationId));
        typed.customer_type = Some("corporate".into());
        typed.name = Some("Fjord AS".into());
        typed.organisation_id = Some("912 345 678".into());
        typed.personal_number = Some("01019012345".into());
        let sent = customer_for(&invoice, &typed, Locale::en).unwrap();
        assert_eq!(sent.organisation_id.as_deref(), Some("912345678"));
        assert_eq!(sent.personal_number, None, "a company sends no personal number");
        let none = customer_for(&invoice, &CustomerDetails::default(), Locale::nb).unwrap_err();
        assert_eq!(none[0], (CustomerField::CustomerType, "Velg privatperson eller bedrift."));
    }

    #[test]
    fn field_rules_accept_real_values_and_refuse_junk() {
        let check = |f, v| check_field(f, v, Locale::en);
        assert!(check(CustomerField::Email, "a@b").is_err());
        assert!(check(CustomerField::Email, "a b@c.no").is_err());
        assert!(check(CustomerField::Email, "@c.no").is_err());
        assert_eq!(check(CustomerField::Phone, "0047 91234567").unwrap(), "+4791234567");
        assert!(check(CustomerField::Phone, "91234567").is_err());
        assert!(check(CustomerField::Phone, "+47 abc").is_err());
        assert!(check(CustomerField::Name, "   ").is_err());
        assert_eq!(check(CustomerField::Country, "no").unwrap(), "NO");
        let email = field_spec(CustomerField::Email, Locale::de);
        assert_eq!((email.label, email.kind, email.autocomplete), ("E-Mail", "email", "email"));
        assert_eq!(field_spec(CustomerField::Phone, Locale::en).autocomplete, "tel");
        assert_eq!(field_spec(CustomerField::PostalCode, Locale::en).autocomplete, "postal-code");
    }
}
