//! The checkout's screens and the rules that move between them. Pure: no DOM, no fetch.
//!
//! `flow.rs` performs requests and calls into these functions to decide what to show; the
//! components only draw a [`Screen`]. The rules that matter for money live here:
//! - a screen says "paid" only when the backend's session says `paid`, never from a URL;
//! - one `Idempotency-Key` per checkout attempt, kept when the same request is retried
//!   after a network failure, replaced when the customer starts a new attempt;
//! - every URL the backend sends is checked before it is used.

use kassa_wire::{
    Action, ApiError, CustomerDetails, CustomerField, ErrorCode, Money, PaymentMethod,
    Presentation, Session, SessionState,
};

use crate::navigate::UrlError;

/// The text shown when the backend cannot be reached (fetch failed, or a 5xx).
pub const UNREACHABLE: &str = "We can't reach the checkout service right now.";

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
    /// The backend confirmed the payment.
    Paid(PaidView),
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
            Screen::Paid(_) => "paid",
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
    pub fn announcement(&self) -> &str {
        match self {
            Screen::Loading | Screen::Picker => "",
            Screen::Creating => "Processing…",
            Screen::Iframe { title, .. } => title,
            Screen::Embedded(_) => "Card payment form",
            Screen::Confirming { .. } => "Confirming your payment…",
            Screen::Returning => "Returning to checkout…",
            Screen::Paid(_) => "Payment received",
            Screen::Failed { .. } => "Payment failed",
            Screen::Cancelled { .. } => "Payment cancelled",
            Screen::Expired { .. } => "Session expired",
            Screen::Problem(p) => &p.title,
        }
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
pub fn problem_for(failure: &ApiFailure, retry: Retry, otherwise: Next) -> Problem {
    let (title, detail, next) = match failure {
        ApiFailure::Unreachable(e) => {
            (String::from(UNREACHABLE), e.as_ref().map(|e| e.message.clone()), Next::Retry(retry))
        }
        ApiFailure::Malformed => (
            String::from("The checkout service sent an answer this checkout does not understand."),
            None,
            Next::Retry(retry),
        ),
        ApiFailure::Api(e) => {
            let next = if e.retryable { Next::Retry(retry) } else { otherwise };
            (e.message.clone(), None, next)
        }
    };
    Problem { title, detail, next, code: failure.code() }
}

/// The problem screen for a refused payment URL.
pub fn problem_for_url(error: &UrlError) -> Problem {
    Problem {
        title: error.message(),
        detail: Some(String::from(
            "Nothing was opened. Choose another way to pay, or contact the shop.",
        )),
        next: Next::Picker,
        code: String::from("url_refused"),
    }
}

/// A problem with the page's own setup, for the website owner.
pub fn page_problem(message: String) -> Problem {
    Problem {
        title: String::from("This checkout can't start"),
        detail: Some(message),
        next: Next::Nothing,
        code: String::from("invalid_page"),
    }
}

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
}

/// The settled screen for a session, or `None` while it is still open.
pub fn settled_screen(s: &Session) -> Option<Screen> {
    let session = s.id.clone();
    Some(match s.state {
        SessionState::Created | SessionState::Open => return None,
        SessionState::Paid => Screen::Paid(PaidView {
            amount: s.receipt.as_ref().map_or(s.quote.total, |r| r.amount),
            provider_reference: s.receipt.as_ref().map(|r| r.provider_reference.clone()),
            session,
        }),
        SessionState::Failed => Screen::Failed { session, method: s.method.clone() },
        SessionState::Cancelled => Screen::Cancelled { session },
        SessionState::Expired => Screen::Expired { session },
    })
}

/// What follows a session answer: a settled screen, or the session's action after its URL
/// passed `check` (the navigate rules for `method`'s allowed origins).
pub fn after_session(
    s: &Session,
    method: Option<&PaymentMethod>,
    check: impl Fn(&str, &[String]) -> Result<(), UrlError>,
) -> Result<AfterSession, UrlError> {
    if let Some(screen) = settled_screen(s) {
        return Ok(AfterSession::Show(screen));
    }
    let confirming =
        AfterSession::Show(Screen::Confirming { session: s.id.clone(), stalled: false });
    let (Some(action), Some(method)) = (&s.action, method) else {
        return Ok(confirming);
    };
    let allowed = &method.allowed_origins;
    Ok(match action {
        Action::Redirect { url } => {
            check(url, allowed)?;
            AfterSession::Redirect(url.clone())
        }
        Action::Iframe { url } => {
            check(url, allowed)?;
            let mut title = method.display_name.clone();
            title.push_str(" payment page");
            AfterSession::Show(Screen::Iframe { session: s.id.clone(), url: url.clone(), title })
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
}

/// Reads `kassa_session` and `kassa_return` from the page URL. A malformed id is ignored.
pub fn parse_return(session: Option<String>, outcome: Option<String>) -> Option<Return> {
    let session = session.filter(|s| valid_session_id(s))?;
    Some(Return { session, cancelled: outcome.as_deref() == Some("cancel") })
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
    Some(Return { session, cancelled })
}

fn valid_session_id(s: &str) -> bool {
    (1..=128).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// The label, input type and autocomplete token of a customer field.
pub fn field_spec(field: CustomerField) -> (&'static str, &'static str, &'static str) {
    match field {
        CustomerField::Name => ("Full name", "text", "name"),
        CustomerField::Email => ("Email", "email", "email"),
        CustomerField::Phone => ("Phone (with country code)", "tel", "tel"),
        CustomerField::CustomerType => ("Private or company (private / corporate)", "text", "off"),
        CustomerField::PersonalNumber => ("National identity number (11 digits)", "text", "off"),
        CustomerField::OrganisationId => ("Organisation number (9 digits)", "text", "organization"),
        CustomerField::StreetAddress => ("Street address", "text", "street-address"),
        CustomerField::PostalCode => ("Postal code", "text", "postal-code"),
        CustomerField::City => ("City", "text", "address-level2"),
        CustomerField::Country => ("Country code (e.g. NO)", "text", "country"),
    }
}

/// The stable id part of a field (`name`, `email`, `phone`).
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

/// Checks one field and returns the value to send, or a message for the customer.
pub fn check_field(field: CustomerField, value: &str) -> Result<String, &'static str> {
    let v = value.trim();
    match field {
        CustomerField::Name => {
            if v.is_empty() || v.chars().count() > 200 {
                Err("Enter your full name.")
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
                Err("Enter an email address like name@example.com.")
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
                _ => Err("Enter a phone number with country code, like +47 912 34 567."),
            }
        }
        CustomerField::CustomerType => match v.to_ascii_lowercase().as_str() {
            "private" | "corporate" => Ok(v.to_ascii_lowercase()),
            _ => Err("Enter private or corporate."),
        },
        CustomerField::PersonalNumber => digits(v, 11, "Enter the 11 digits of your national identity number."),
        CustomerField::OrganisationId => digits(v, 9, "Enter the 9 digits of the organisation number."),
        CustomerField::StreetAddress | CustomerField::City => {
            if v.is_empty() || v.chars().count() > 200 {
                Err("This field is required.")
            } else {
                Ok(v.to_owned())
            }
        }
        CustomerField::PostalCode => {
            if (3..=10).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b' ') {
                Ok(v.to_owned())
            } else {
                Err("Enter a postal code.")
            }
        }
        CustomerField::Country => {
            if v.len() == 2 && v.bytes().all(|b| b.is_ascii_alphabetic()) {
                Ok(v.to_ascii_uppercase())
            } else {
                Err("Enter a two-letter country code, like NO.")
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

/// Reads the details a method needs from what was typed; every other field is left out.
pub fn customer_for(
    required: &[CustomerField],
    typed: &CustomerDetails,
) -> Result<CustomerDetails, Vec<(CustomerField, &'static str)>> {
    let mut out = CustomerDetails::default();
    let mut errors = Vec::new();
    for &field in required {
        match check_field(field, typed.get(field).unwrap_or("")) {
            Ok(v) => *slot(&mut out, field) = Some(v),
            Err(e) => errors.push((field, e)),
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
        }
    }

    fn method(presentation: Presentation) -> PaymentMethod {
        PaymentMethod {
            id: "vipps".into(),
            provider: ProviderId::FrontPayment,
            display_name: "Vipps".into(),
            presentation,
            required_fields: vec![],
            allowed_origins: vec!["https://pay.example.com".into()],
            stripe_js_url: Some("https://pay.example.com/v3".into()),
        }
    }

    #[test]
    fn paid_comes_only_from_the_session_state() {
        let mut s = session(SessionState::Paid, None);
        s.receipt =
            Some(Receipt { amount: nok(145_000), provider_reference: "pi_9".into(), paid_at: 0 });
        let Some(Screen::Paid(view)) = settled_screen(&s) else {
            panic!("paid session must show paid")
        };
        assert_eq!(view.provider_reference.as_deref(), Some("pi_9"));
        assert_eq!(view.session, "ks_1");
        assert_eq!(settled_screen(&session(SessionState::Open, None)), None);
        assert_eq!(settled_screen(&session(SessionState::Created, None)), None);
    }

    #[test]
    fn each_settled_state_has_its_screen() {
        let shown = |st| settled_screen(&session(st, None)).unwrap().as_str();
        assert_eq!(shown(SessionState::Failed), "failed");
        assert_eq!(shown(SessionState::Cancelled), "cancelled");
        assert_eq!(shown(SessionState::Expired), "expired");
    }

    #[test]
    fn an_open_session_acts_only_on_an_allowed_url() {
        let m = method(Presentation::Redirect);
        let ok = session(
            SessionState::Open,
            Some(Action::Redirect { url: "https://pay.example.com/x".into() }),
        );
        assert_eq!(
            after_session(&ok, Some(&m), check),
            Ok(AfterSession::Redirect("https://pay.example.com/x".into()))
        );
        let evil = session(
            SessionState::Open,
            Some(Action::Redirect { url: "https://evil.example/x".into() }),
        );
        assert_eq!(
            after_session(&evil, Some(&m), check),
            Err(UrlError::Origin("https://evil.example".into()))
        );
        let js =
            session(SessionState::Open, Some(Action::Iframe { url: "javascript:alert(1)".into() }));
        assert_eq!(after_session(&js, Some(&m), check), Err(UrlError::Scheme));
    }

    #[test]
    fn an_iframe_is_titled_after_the_method() {
        let m = method(Presentation::Iframe);
        let s = session(
            SessionState::Open,
            Some(Action::Iframe { url: "https://pay.example.com/f".into() }),
        );
        let Ok(AfterSession::Show(Screen::Iframe { title, .. })) =
            after_session(&s, Some(&m), check)
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
            after_session(&s, Some(&m), check),
            Ok(AfterSession::Show(Screen::Embedded(_)))
        ));
        m.stripe_js_url = Some("https://js.evil.example/v3".into());
        assert!(after_session(&s, Some(&m), check).is_err());
        m.stripe_js_url = None;
        assert!(!supported(&m));
    }

    #[test]
    fn an_open_session_without_action_is_confirmed() {
        let s = session(SessionState::Open, None);
        assert_eq!(
            after_session(&s, None, check),
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
        let p = problem_for(&ApiFailure::Api(refused), Retry::Create, Next::Picker);
        assert_eq!(p.title, "We don't sell that.");
        assert_eq!(p.next, Next::Picker);
        assert_eq!(p.code, "unknown_sku");
    }

    #[test]
    fn an_unreachable_backend_offers_retry() {
        let p = problem_for(&ApiFailure::Unreachable(None), Retry::Load, Next::Nothing);
        assert_eq!(p.title, UNREACHABLE);
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
        assert!(r.cancelled);
        assert!(!parse_return(Some("ks_abc".into()), Some("success".into())).unwrap().cancelled);
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
            Some(Return { session: "ks_1".into(), cancelled: false })
        );
        assert_eq!(msg("kassa:return", "ks_1", "paid"), None);
        assert_eq!(msg("other", "ks_1", "success"), None);
        assert_eq!(
            parse_return_message(Some("kassa:return".into()), None, Some("cancel".into())),
            None
        );
    }

    #[test]
    fn only_required_fields_are_sent_and_each_is_checked() {
        let typed = CustomerDetails {
            name: Some(" Kari Nordmann ".into()),
            email: Some("kari@example.no".into()),
            phone: Some("+47 912 34 567".into()),
        };
        let got = customer_for(&[CustomerField::Email, CustomerField::Phone], &typed).unwrap();
        assert_eq!(got.name, None);
        assert_eq!(got.email.as_deref(), Some("kari@example.no"));
        assert_eq!(got.phone.as_deref(), Some("+4791234567"));
        let errors =
            customer_for(&[CustomerField::Name, CustomerField::Email], &CustomerDetails::default())
                .unwrap_err();
        assert_eq!(errors.len(), 2);
    }

    #[test]
    fn field_rules_accept_real_values_and_refuse_junk() {
        assert!(check_field(CustomerField::Email, "a@b").is_err());
        assert!(check_field(CustomerField::Email, "a b@c.no").is_err());
        assert!(check_field(CustomerField::Email, "@c.no").is_err());
        assert_eq!(check_field(CustomerField::Phone, "0047 91234567").unwrap(), "+4791234567");
        assert!(check_field(CustomerField::Phone, "91234567").is_err());
        assert!(check_field(CustomerField::Phone, "+47 abc").is_err());
        assert!(check_field(CustomerField::Name, "   ").is_err());
        assert_eq!(field_spec(CustomerField::Email), ("Email", "email", "email"));
        assert_eq!(field_spec(CustomerField::Phone).2, "tel");
    }
}
