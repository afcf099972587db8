//! `kassa-providers`: one adapter per payment provider.
//!
//! An adapter translates between Kassa's domain (an order priced by the server, a
//! [`PaymentEvent`]) and one provider's HTTP API. It knows `reqwest`, never axum; its base
//! URL and HTTP client come from the caller, so tests point it at the simulator. Provider
//! status vocabularies never leave an adapter: they are mapped into [`PaymentEvent`] there.
//!
//! The set of providers is closed, so the server holds a [`Provider`] enum and dispatch is a
//! `match`; adding a provider makes the compiler point at every place that must learn of it.

#![warn(missing_docs)]

use kassa_wire::{
    Action, CustomerDetails, CustomerField, ExtraField, Money, PaymentEvent, Presentation,
    ProviderId,
};
use secrecy::SecretString;

mod amount;
pub mod bokamera;
pub mod checkfront;
pub mod error;
pub mod front_payment;
#[doc(hidden)]
pub mod fuzzing;
pub mod payfect;
pub mod stripe;
pub mod transport;

pub use error::ProviderError;
pub use transport::{build_client, RetryPolicy};

/// One priced line of an order, as the server computed it: the quote's line itself
/// (`kassa_wire::QuoteLine`), so that no one copies it field by field.
pub use kassa_wire::QuoteLine as OrderLine;

/// Everything an adapter needs to open a payment at its provider.
///
/// The server has stored the order before building this, and built every URL itself from
/// its own configuration; nothing here comes unchecked from the browser.
#[derive(Clone, Debug)]
pub struct SessionRequest {
    /// Kassa's order id (`ks_…`), sent as the provider's client reference.
    pub order_id: String,
    /// Forwarded to providers that support idempotent requests; stable per order.
    pub idempotency_key: String,
    /// The priced lines.
    pub lines: Vec<OrderLine>,
    /// The sum of the lines.
    pub total: Money,
    /// How the page will show the provider.
    pub presentation: Presentation,
    /// Provider-specific method selector from config (e.g. Front Payment's `via`), if any.
    pub method_variant: Option<String>,
    /// Where the provider sends the customer after paying.
    pub success_url: String,
    /// Where the provider sends the customer after cancelling or failing.
    pub cancel_url: String,
    /// Where the provider sends server-to-server notifications for this order.
    pub notify_url: String,
    /// Customer details the method required.
    pub customer: CustomerDetails,
    /// BCP 47 language tag of the widget, if known.
    pub locale: Option<String>,
    /// Unix seconds when the server stored the order. Providers that take an absolute time
    /// (Stripe's `expires_at`, Front Payment's `orderDate`) derive it from this, never from the
    /// clock, so a create retried later with the same idempotency key sends byte-identical
    /// parameters (R-I2).
    pub created_at: i64,
    /// Who the customer is legally, for providers that invoice or check credit (Front
    /// Payment). Default: a private person with nothing more known.
    pub identity: CustomerIdentity,
    /// The provider's reference from an earlier attempt of the same order; adapters that can
    /// update an order in place (Front Payment's `fpgoUuid`) do so instead of creating
    /// another. Other adapters ignore it. `None` for an order never sent before.
    pub previous_reference: Option<String>,
}

pub use kassa_wire::CustomerKind;

/// The only countries whose private customers `provider` can identify by personal number;
/// empty: no limit beyond kassa-wire's rules. (Front Payment: [`front_payment::PERSONAL_NUMBER_COUNTRIES`].)
pub fn personal_number_countries(provider: ProviderId) -> &'static [kassa_wire::CountryCode] {
    match provider {
        ProviderId::FrontPayment => front_payment::PERSONAL_NUMBER_COUNTRIES,
        _ => &[],
    }
}

/// Customer details beyond name, e-mail and phone, needed by invoice-style methods.
///
/// Debug output never shows the personal number.
#[derive(Clone, Debug, Default)]
pub struct CustomerIdentity {
    /// Person or company.
    pub kind: CustomerKind,
    /// National identity number (Norwegian fødselsnummer, 11 digits), when the method needs it.
    pub personal_number: Option<SecretString>,
    /// Organisation number (9 digits in Norway), required for [`CustomerKind::Corporate`].
    pub organisation_id: Option<String>,
    /// Postal address.
    pub address: Option<PostalAddress>,
}

/// A postal address.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PostalAddress {
    /// Street and number.
    pub street: String,
    /// Postal code.
    pub zip: String,
    /// City.
    pub city: String,
    /// ISO 3166-1 alpha-2 country code, e.g. `NO`.
    pub country: String,
}

/// What a provider account asks of every customer, read from the provider (Checkfront's
/// `GET booking/form`): the widget asks for it like any method field, the server checks it
/// before a session is created, and the adapter sends it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountForm {
    /// Details the account requires that Kassa has a field for (name, e-mail, address…).
    pub required: Vec<CustomerField>,
    /// Required details Kassa has no field for, as the provider labels them.
    pub extra: Vec<ExtraField>,
}

/// A provider session that the customer can now pay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderSession {
    /// The provider's id for it (`cs_…`, a Payfect UUID, an FPGO order uuid, …).
    pub reference: String,
    /// What the widget does next.
    pub action: Action,
    /// Unix seconds after which it can no longer be paid, if the provider says.
    pub expires_at: Option<i64>,
}

/// Verified news about one provider session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentUpdate {
    /// The provider's session reference ([`ProviderSession::reference`]).
    pub reference: String,
    /// Kassa's order id, when the provider echoes it.
    pub order_id: Option<String>,
    /// What happened; `None` when the session is still open and nothing changed.
    pub event: Option<PaymentEvent>,
    /// The amount the provider says was paid, compared with the order before it is `paid`.
    pub amount: Option<Money>,
    /// A stable identity for deduplication (Stripe's `evt_…`, or provider ref + status).
    pub dedup_key: String,
}

/// A webhook or callback as it arrived, before any trust is given to it.
#[derive(Clone, Debug)]
pub struct IncomingNotification<'a> {
    /// The request headers.
    pub headers: &'a http::HeaderMap,
    /// The raw query string (without `?`), in the order received.
    pub query: &'a str,
    /// The raw body bytes.
    pub body: &'a [u8],
    /// Unix seconds now, injected so that tests control the clock.
    pub now: i64,
}

/// Whether `provider` signs its notifications (Stripe's signature header, Payfect's Fernet
/// token, Front Payment's checksum). Those that do not (Checkfront; BokaMera, whose hints
/// carry only a session id) are hints the adapter confirms with the provider, and their
/// endpoint is guarded by a secret path token (R-K3).
pub fn signs_notifications(provider: ProviderId) -> bool {
    match provider {
        ProviderId::Stripe | ProviderId::Payfect | ProviderId::FrontPayment => true,
        ProviderId::Checkfront | ProviderId::Bokamera => false,
    }
}

/// The configured adapters. A closed set.
#[derive(Debug)]
#[non_exhaustive]
pub enum Provider {
    /// Stripe Checkout.
    Stripe(stripe::Stripe),
    /// Payfect.
    Payfect(payfect::Payfect),
    /// Front Payment (FPGO Connect).
    FrontPayment(front_payment::FrontPayment),
    /// Checkfront booking payment page.
    Checkfront(checkfront::Checkfront),
    /// BokaMera (Stripe checkout for booked services).
    Bokamera(bokamera::Bokamera),
}

impl Provider {
    /// Which provider this is.
    pub fn id(&self) -> ProviderId {
        match self {
            Provider::Stripe(_) => ProviderId::Stripe,
            Provider::Payfect(_) => ProviderId::Payfect,
            Provider::FrontPayment(_) => ProviderId::FrontPayment,
            Provider::Checkfront(_) => ProviderId::Checkfront,
            Provider::Bokamera(_) => ProviderId::Bokamera,
        }
    }

    /// Opens a payment at the provider for an order the server already stored.
    pub async fn create_session(
        &self,
        req: &SessionRequest,
    ) -> Result<ProviderSession, ProviderError> {
        match self {
            Provider::Stripe(p) => p.create_session(req).await,
            Provider::Payfect(p) => p.create_session(req).await,
            Provider::FrontPayment(p) => p.create_session(req).await,
            Provider::Checkfront(p) => p.create_session(req).await,
            Provider::Bokamera(p) => p.create_session(req).await,
        }
    }

    /// Asks the provider where a session stands now (reconciliation and status polls).
    pub async fn fetch_update(&self, reference: &str) -> Result<PaymentUpdate, ProviderError> {
        match self {
            Provider::Stripe(p) => p.fetch_update(reference).await,
            Provider::Payfect(p) => p.fetch_update(reference).await,
            Provider::FrontPayment(p) => p.fetch_update(reference).await,
            Provider::Checkfront(p) => p.fetch_update(reference).await,
            Provider::Bokamera(p) => p.fetch_update(reference).await,
        }
    }

    /// Ends a session at the provider because the customer cancelled, where the provider
    /// can; answers the update that results (which may be `Paid` if the customer paid first).
    pub async fn cancel(&self, reference: &str) -> Result<PaymentUpdate, ProviderError> {
        match self {
            Provider::Stripe(p) => p.cancel(reference).await,
            Provider::Payfect(p) => p.cancel(reference).await,
            Provider::FrontPayment(p) => p.cancel(reference).await,
            Provider::Checkfront(p) => p.cancel(reference).await,
            Provider::Bokamera(p) => p.cancel(reference).await,
        }
    }

    /// What the provider account asks of every customer, for providers whose accounts
    /// define it (Checkfront); `None` for the others.
    pub async fn account_form(&self) -> Result<Option<AccountForm>, ProviderError> {
        match self {
            Provider::Checkfront(p) => p.booking_form().await.map(Some),
            _ => Ok(None),
        }
    }

    /// Whether `reported`, an amount the provider says was paid, pays an order of `lines`
    /// totalling `total`. Exact for every provider except those whose documents show them
    /// rounding (Payfect), which are compared by that rule; a real difference never settles.
    pub fn amount_settles(&self, lines: &[OrderLine], total: Money, reported: Money) -> bool {
        match self {
            Provider::Payfect(p) => p.amount_settles(lines, total, reported),
            _ => reported == total,
        }
    }

    /// Authenticates a webhook or callback and turns it into verified updates. Where the
    /// provider's notification cannot be trusted alone, the adapter confirms it with the
    /// provider's API first.
    pub async fn handle_notification(
        &self,
        incoming: &IncomingNotification<'_>,
    ) -> Result<Vec<PaymentUpdate>, ProviderError> {
        match self {
            Provider::Stripe(p) => p.handle_notification(incoming).await,
            Provider::Payfect(p) => p.handle_notification(incoming).await,
            Provider::FrontPayment(p) => p.handle_notification(incoming).await,
            Provider::Checkfront(p) => p.handle_notification(incoming).await,
            Provider::Bokamera(p) => p.handle_notification(incoming).await,
        }
    }
}

/// Checks a provider reference before it goes into a URL path: 1 to 255 characters of
/// `[A-Za-z0-9_-]`. Anything else cannot be one of ours, so it is [`ProviderError::NotFound`].
pub(crate) fn check_reference(provider: ProviderId, reference: &str) -> Result<(), ProviderError> {
    let ok = !reference.is_empty()
        && reference.len() <= 255
        && reference.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(ProviderError::NotFound { provider })
    }
}

/// Whether a provider whose payment page is only ever hosted (redirected to or framed)
/// frames it. Stripe's embedded checkout is mounted by Stripe.js for a Stripe session, so
/// every other provider refuses it.
pub(crate) fn frames_hosted_page(
    provider: ProviderId,
    presentation: Presentation,
) -> Result<bool, ProviderError> {
    match presentation {
        Presentation::Redirect => Ok(false),
        Presentation::Iframe => Ok(true),
        Presentation::StripeEmbedded => {
            Err(ProviderError::Unsupported { provider, operation: "Stripe embedded checkout" })
        }
    }
}

/// Checks that the lines are in one currency and add up to the total, before any of them
/// is encoded for a provider.
pub(crate) fn check_totals(
    provider: ProviderId,
    req: &SessionRequest,
) -> Result<(), ProviderError> {
    let mut sum = Money::zero(req.total.currency());
    for line in &req.lines {
        sum = sum.checked_add(line.line_total)?;
        let expected_line = line.unit_price.checked_mul(line.quantity)?;
        if expected_line != line.line_total {
            return Err(ProviderError::LinesDisagree {
                provider,
                expected: expected_line,
                actual: line.line_total,
            });
        }
    }
    if sum != req.total {
        return Err(ProviderError::LinesDisagree { provider, expected: req.total, actual: sum });
    }
    if req.lines.is_empty() || !req.total.is_positive() {
        return Err(ProviderError::Rejected {
            provider,
            status: 0,
            message: "an order needs at least one line and a positive total".into(),
            param: None,
        });
    }
    Ok(())
}

/// The lowercase name of an event (or `open` for none), for deduplication keys.
pub(crate) fn event_name(event: Option<PaymentEvent>) -> &'static str {
    match event {
        None => "open",
        Some(PaymentEvent::Opened) => "opened",
        Some(PaymentEvent::Paid) => "paid",
        Some(PaymentEvent::Declined) => "declined",
        Some(PaymentEvent::Cancelled) => "cancelled",
        Some(PaymentEvent::Expired) => "expired",
        Some(PaymentEvent::Invoiced) => "invoiced",
    }
}
