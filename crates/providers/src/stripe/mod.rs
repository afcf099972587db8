//! Stripe Checkout: hosted (redirect) and embedded (Stripe.js) sessions, retrieval, expiry
//! as cancellation, and signed webhooks (`docs/providers.md` §1).
//!
//! This module does the HTTP calls and error mapping; the wire types and every pure
//! conversion are in [`transformers`], Stripe's amount encoding and minimum charges in
//! [`currency`], and how `expires_at` is counted and kept stable across retries in [`expiry`]. It must not frame the hosted page (Stripe refuses
//! framing, so `Presentation::Iframe` is unsupported) and must not parse a webhook body
//! before its signature verified (R-K1).

pub mod currency;
pub mod expiry;
// `pub(crate)` for the hostile-input harnesses in `crate::fuzzing`.
pub(crate) mod transformers;

use http::Method;
use kassa_wire::{Action, Presentation, ProviderId};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use self::transformers::{CheckoutSession, ErrorEnvelope, SessionStatus, UiMode, UiModeNames};
use crate::{
    check_reference, check_totals,
    transport::{self, Answer, Call, Replay},
    IncomingNotification, PaymentUpdate, ProviderError, ProviderSession, RetryPolicy,
    SessionRequest,
};

const P: ProviderId = ProviderId::Stripe;

/// Stripe adapter settings. Secrets are [`SecretString`]s the server fills from the
/// environment; the rest can live in the TOML config.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StripeConfig {
    /// API origin. Default `https://api.stripe.com`; tests point it at the simulator.
    pub base_url: String,
    /// Secret key `sk_…` (required), sent as `Authorization: Bearer`.
    pub secret_key: SecretString,
    /// Publishable key `pk_…`, handed to the widget for embedded checkout. Required only
    /// for `Presentation::StripeEmbedded`.
    pub publishable_key: String,
    /// Connected account `acct_…`: sent as `Stripe-Account` and handed to Stripe.js.
    pub stripe_account: Option<String>,
    /// Pinned `Stripe-Version`. Default `2026-03-25.dahlia`; versions before that date use
    /// the `hosted`/`embedded` ui_mode names, later ones `hosted_page`/`embedded_page`.
    pub api_version: String,
    /// Webhook endpoint secrets `whsec_…`; several while one is being rolled.
    pub webhook_secrets: Vec<SecretString>,
    /// Largest accepted `|now − t|` of a webhook signature, seconds. Default 300.
    pub webhook_tolerance_secs: u64,
    /// Session lifetime in seconds, counted from the create request (see [`expiry`]): 2100
    /// to 86100, Stripe's 30 min to 24 h with 5 min of margin each side. Unset sends no
    /// `expires_at`, leaving Stripe's default of 24 h.
    pub session_expiry_secs: Option<i64>,
    /// Retries and timeouts.
    pub retry: RetryPolicy,
}

impl Default for StripeConfig {
    fn default() -> Self {
        StripeConfig {
            base_url: "https://api.stripe.com".into(),
            secret_key: SecretString::default(),
            publishable_key: String::new(),
            stripe_account: None,
            api_version: "2026-03-25.dahlia".into(),
            webhook_secrets: Vec::new(),
            webhook_tolerance_secs: 300,
            session_expiry_secs: None,
            retry: RetryPolicy::default(),
        }
    }
}

/// The Stripe Checkout adapter.
#[derive(Debug)]
pub struct Stripe {
    config: StripeConfig,
    base: Url,
    names: UiModeNames,
    http: reqwest::Client,
    clock: expiry::Clock,
}

impl Stripe {
    /// Checks the configuration and builds the adapter. `http` must not follow redirects
    /// (see [`crate::build_client`]).
    pub fn new(config: StripeConfig, http: reqwest::Client) -> Result<Self, ProviderError> {
        let base = transport::parse_base_url(P, &config.base_url)?;
        if config.secret_key.expose_secret().trim().is_empty() {
            return Err(ProviderError::misconfigured(P, "secret_key is empty"));
        }
        http::HeaderValue::from_str(&format!("Bearer {}", config.secret_key.expose_secret()))
            .map_err(|_| {
                ProviderError::misconfigured(P, "secret_key is not a valid header value")
            })?;
        let names = UiModeNames::for_version(&config.api_version).ok_or_else(|| {
            ProviderError::misconfigured(P, "api_version must look like 2026-03-25.dahlia")
        })?;
        if let Some(account) = &config.stripe_account {
            if !account.starts_with("acct_") || http::HeaderValue::from_str(account).is_err() {
                return Err(ProviderError::misconfigured(P, "stripe_account must be an acct_… id"));
            }
        }
        if let Some(secs) = config.session_expiry_secs {
            if !expiry::LIFETIME_RANGE.contains(&secs) {
                return Err(ProviderError::misconfigured(
                    P,
                    format!(
                        "session_expiry_secs must be {} to {} (Stripe takes 30 min to 24 h \
                         after the session's creation; Kassa keeps {} s of margin each side)",
                        expiry::LIFETIME_RANGE.start(),
                        expiry::LIFETIME_RANGE.end(),
                        expiry::MARGIN_SECS
                    ),
                ));
            }
        }
        Ok(Stripe { config, base, names, http, clock: expiry::Clock::default() })
    }

    /// The same adapter reading "now" for `expires_at` from `clock` (tests of late retries).
    pub fn with_clock(mut self, clock: expiry::Clock) -> Self {
        self.clock = clock;
        self
    }

    fn call(&self, method: Method, path: &str, replay: Replay) -> Result<Call, ProviderError> {
        let auth = format!("Bearer {}", self.config.secret_key.expose_secret());
        let mut call = Call::new(method, transport::join(&self.base, path), replay)
            .header(P, "authorization", &auth)?
            .header(P, "stripe-version", &self.config.api_version)?;
        if let Some(account) = &self.config.stripe_account {
            call = call.header(P, "stripe-account", account)?;
        }
        Ok(call)
    }

    async fn send(&self, call: &Call) -> Result<Answer, ProviderError> {
        transport::send(P, &self.http, &self.config.retry, call).await?.success_or(|a| {
            let envelope = serde_json::from_slice::<ErrorEnvelope>(&a.body).ok();
            transformers::map_error(a.status, envelope, a.common_error(P))
        })
    }

    /// Creates a Checkout Session: hosted → [`Action::Redirect`], embedded →
    /// [`Action::StripeEmbedded`]. `Idempotency-Key` is the request's key, so a retry (ours
    /// or the server's) finds the same session.
    pub async fn create_session(
        &self,
        req: &SessionRequest,
    ) -> Result<ProviderSession, ProviderError> {
        let ui = match req.presentation {
            Presentation::Redirect => UiMode::Hosted,
            Presentation::StripeEmbedded => UiMode::Embedded,
            Presentation::Iframe => {
                return Err(ProviderError::Unsupported {
                    provider: P,
                    operation: "its hosted page in an iframe",
                })
            }
        };
        if ui == UiMode::Embedded && self.config.publishable_key.is_empty() {
            return Err(ProviderError::misconfigured(
                P,
                "publishable_key is needed for embedded checkout",
            ));
        }
        check_totals(P, req)?;
        currency::check_minimum(req.total)?;
        let candidates: Vec<Option<i64>> = match self.config.session_expiry_secs {
            None => vec![None],
            Some(lifetime) => expiry::candidates(req.created_at, self.clock.now(), lifetime)
                .into_iter()
                .map(Some)
                .collect(),
        };
        // Newest first; an older value is tried only when Stripe says this key was first used
        // with another one, or that an unstored older value is out of bounds ([`expiry`]).
        let mut refused = None;
        for expires_at in candidates {
            match self.create_once(req, ui, expires_at).await {
                Err(e @ ProviderError::IdempotencyMismatch { .. }) => refused = Some(e),
                Err(e @ ProviderError::Rejected { .. }) if matches!(&e, ProviderError::Rejected { param: Some(p), .. } if p == "expires_at") => {
                    refused = Some(e)
                }
                other => return other,
            }
        }
        Err(refused.unwrap_or(ProviderError::unexpected(P, 0)))
    }

    async fn create_once(
        &self,
        req: &SessionRequest,
        ui: UiMode,
        expires_at: Option<i64>,
    ) -> Result<ProviderSession, ProviderError> {
        let form = transformers::create_session_form(req, ui, self.names, expires_at)?;
        let body =
            serde_urlencoded::to_string(&form).map_err(|_| ProviderError::unexpected(P, 0))?;
        let call = self
            .call(Method::POST, "v1/checkout/sessions", Replay::Safe)?
            .header(P, "idempotency-key", &req.idempotency_key)?
            .form_body(body);
        let answer = self.send(&call).await?;
        let session: CheckoutSession = answer.json(P)?;
        let action = match ui {
            UiMode::Hosted => {
                Action::redirect(session.url.ok_or(ProviderError::unexpected(P, answer.status))?)
            }
            UiMode::Embedded => Action::StripeEmbedded {
                client_secret: session
                    .client_secret
                    .ok_or(ProviderError::unexpected(P, answer.status))?,
                publishable_key: self.config.publishable_key.clone(),
                stripe_account: self.config.stripe_account.clone(),
            },
        };
        Ok(ProviderSession { reference: session.id, action, expires_at: session.expires_at })
    }

    async fn retrieve(&self, reference: &str) -> Result<CheckoutSession, ProviderError> {
        check_reference(P, reference)?;
        let mut call =
            self.call(Method::GET, &format!("v1/checkout/sessions/{reference}"), Replay::Safe)?;
        call.url.set_query(Some("expand[]=payment_intent"));
        self.send(&call).await?.json(P)
    }

    /// Retrieves the session (with its PaymentIntent expanded): complete and paid → `Paid`,
    /// expired → `Expired`, open with a failed attempt → `Declined`, otherwise no event.
    pub async fn fetch_update(&self, reference: &str) -> Result<PaymentUpdate, ProviderError> {
        self.retrieve(reference).await?.to_update()
    }

    /// Expires an open session. A session that was paid first answers `Paid`; one that had
    /// a failed attempt answers `Declined`, otherwise `Cancelled`.
    pub async fn cancel(&self, reference: &str) -> Result<PaymentUpdate, ProviderError> {
        let session = self.retrieve(reference).await?;
        if session.status != Some(SessionStatus::Open) {
            return session.to_update();
        }
        let call = self.call(
            Method::POST,
            &format!("v1/checkout/sessions/{reference}/expire"),
            Replay::Safe,
        )?;
        match self.send(&call).await {
            Ok(answer) => {
                let expired: CheckoutSession = answer.json(P)?;
                // Keep the expanded PaymentIntent from the retrieve: `expire` does not expand it.
                let merged = CheckoutSession { payment_intent: session.payment_intent, ..expired };
                Ok(merged.cancelled_update())
            }
            // Paid, or expired by Stripe, between our retrieve and our expire: say what it is now.
            Err(ProviderError::Rejected { .. }) => {
                let now = self.retrieve(reference).await?;
                match now.status {
                    Some(SessionStatus::Expired) => Ok(now.cancelled_update()),
                    _ => now.to_update(),
                }
            }
            Err(other) => Err(other),
        }
    }

    /// Verifies `Stripe-Signature` on the raw body against every configured secret, then
    /// decodes the event (R-K1). Unknown event types give no updates.
    pub async fn handle_notification(
        &self,
        incoming: &IncomingNotification<'_>,
    ) -> Result<Vec<PaymentUpdate>, ProviderError> {
        if self.config.webhook_secrets.is_empty() {
            return Err(ProviderError::misconfigured(P, "no webhook_secrets configured"));
        }
        let header =
            incoming.headers.get("stripe-signature").and_then(|v| v.to_str().ok()).ok_or_else(
                || ProviderError::invalid_notification(P, "no Stripe-Signature header"),
            )?;
        let secrets: Vec<&[u8]> =
            self.config.webhook_secrets.iter().map(|s| s.expose_secret().as_bytes()).collect();
        transformers::verify_signature(
            header,
            incoming.body,
            &secrets,
            self.config.webhook_tolerance_secs,
            incoming.now,
        )
        .map_err(|reason| ProviderError::invalid_notification(P, reason))?;
        let event: transformers::Event = serde_json::from_slice(incoming.body)
            .map_err(|_| ProviderError::invalid_notification(P, "event does not parse"))?;
        transformers::event_updates(event)
    }
}
