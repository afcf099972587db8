//! Payfect crypto and card checkout: create a checkout, read it back, and verify the
//! Fernet-signed callback.
//!
//! Sources: github.com/Payfect/payfect-doc (`docs/payment/create.md` = seed
//! `001_c6386d4c04e7a41f.txt`, `docs/payment/callback.md` "Callback for Checkout Success",
//! `docs/errors.md`). The callback is sent on success only, so a declined or abandoned
//! checkout is found by reading it (`open` until `expired`); a signed `failed` callback is
//! believed only when `failure_callbacks` is set [U]. `payment_method_data` (the crypto and
//! network the customer pays with) is optional and never sent: the customer picks on
//! Payfect's page. Currencies and rounding: [`rules`].
//!
//! HTTP calls and error mapping live here; wire types and pure conversions in
//! [`transformers`]. Payfect documents no idempotency support, so a create is never re-sent
//! once it may have arrived (the server settles an unknown outcome, R-I5). This module must
//! not trust a callback that did not decrypt under our key and match its body.

pub mod rules;
// `pub(crate)` for the hostile-input harnesses in `crate::fuzzing`.
pub(crate) mod transformers;

use std::collections::BTreeMap;

use http::Method;
use kassa_wire::{Action, Money, ProviderId};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

pub use self::rules::AmountRounding;
use self::rules::Currencies;
pub use self::transformers::CurrencyCase;
use self::transformers::{CallbackNews, Checkout, CreateCheckout};
use crate::{
    check_reference, check_totals, frames_hosted_page,
    transport::{self, Answer, Call, Replay},
    IncomingNotification, OrderLine, PaymentUpdate, ProviderError, ProviderSession, RetryPolicy,
    SessionRequest,
};

const P: ProviderId = ProviderId::Payfect;

/// Payfect adapter settings. Secrets are [`SecretString`]s the server fills from the
/// environment.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PayfectConfig {
    /// API base including its path prefix. Default `https://api.payfect.finance/api/v1`
    /// (the docs; the Python SDK uses `/api` without `/v1` [U]).
    pub base_url: String,
    /// API key (required), sent as `Authorization: Api-Key <key>`.
    pub api_key: SecretString,
    /// Fernet key (32 bytes, url-safe base64) that signs callbacks (required).
    pub fernet_key: SecretString,
    /// How an order's ISO code is written when `currency_codes` does not map it [U].
    /// Default `upper` (`NOK`, like the docs' `CNY`).
    pub currency_case: CurrencyCase,
    /// The Payfect code to send for an order currency, e.g. `{ USD = "usdt" }` for a
    /// merchant who accepts USDT's peg [U]. Amounts are never converted: an order in NOK is
    /// priced in NOK. Default: none, every currency goes as its ISO code.
    pub currency_codes: BTreeMap<String, String>,
    /// Currencies the customer may settle in (the callback example's `usdt`). A callback
    /// naming one is confirmed by reading the checkout, whose total is in the currency we
    /// sent [U]. Default `["usdt"]`.
    pub settlement_currencies: Vec<String>,
    /// How Payfect rounds a unit price [U]: the docs turn `"20.5"` into `"20.00"`. Default
    /// `whole_units_half_even`; `exact` demands the total to the minor unit.
    pub amount_rounding: AmountRounding,
    /// When set, callbacks whose Fernet token is older than this many seconds are refused.
    /// Payfect documents no TTL [U], so the default is none.
    pub callback_ttl_secs: Option<u64>,
    /// Whether a signed callback with `status: "failed"` declines the order. Payfect
    /// documents success callbacks only ("Callback for Checkout Success") [U]. Default false:
    /// failures are found by reading the checkout.
    pub failure_callbacks: bool,
    /// Retries and timeouts.
    pub retry: RetryPolicy,
}

impl Default for PayfectConfig {
    fn default() -> Self {
        PayfectConfig {
            base_url: "https://api.payfect.finance/api/v1".into(),
            api_key: SecretString::default(),
            fernet_key: SecretString::default(),
            currency_case: CurrencyCase::Upper,
            currency_codes: BTreeMap::new(),
            settlement_currencies: vec!["usdt".into()],
            amount_rounding: AmountRounding::default(),
            callback_ttl_secs: None,
            failure_callbacks: false,
            retry: RetryPolicy::default(),
        }
    }
}

/// The Payfect adapter.
#[derive(Debug)]
pub struct Payfect {
    config: PayfectConfig,
    base: Url,
    currencies: Currencies,
    http: reqwest::Client,
}

impl Payfect {
    /// Checks the configuration (key formats included) and builds the adapter. `http` must
    /// not follow redirects (see [`crate::build_client`]).
    pub fn new(config: PayfectConfig, http: reqwest::Client) -> Result<Self, ProviderError> {
        let base = transport::parse_base_url(P, &config.base_url)?;
        let key = config.api_key.expose_secret();
        if key.trim().is_empty() || http::HeaderValue::from_str(&format!("Api-Key {key}")).is_err()
        {
            return Err(ProviderError::misconfigured(
                P,
                "api_key is empty or not a valid header value",
            ));
        }
        if fernet::Fernet::new(config.fernet_key.expose_secret()).is_none() {
            return Err(ProviderError::misconfigured(
                P,
                "fernet_key is not a 32-byte url-safe base64 key",
            ));
        }
        let currencies = Currencies::new(
            &config.currency_codes,
            &config.settlement_currencies,
            config.currency_case == CurrencyCase::Lower,
        )?;
        Ok(Payfect { config, base, currencies, http })
    }

    fn call(&self, method: Method, path: &str, replay: Replay) -> Result<Call, ProviderError> {
        let auth = format!("Api-Key {}", self.config.api_key.expose_secret());
        Call::new(method, transport::join(&self.base, path), replay)
            .header(P, "authorization", &auth)?
            .header(P, "accept", "application/json")
    }

    async fn send(&self, call: &Call) -> Result<Answer, ProviderError> {
        transport::send(P, &self.http, &self.config.retry, call)
            .await?
            .success_or(|a| transformers::map_error(a.status, &a.body, a.common_error(P)))
    }

    /// Creates a checkout; its `url` is redirected to or framed. Payfect's total must be in
    /// the currency we sent and equal ours, exactly or by its rounding rule.
    pub async fn create_session(
        &self,
        req: &SessionRequest,
    ) -> Result<ProviderSession, ProviderError> {
        let frame = frames_hosted_page(P, req.presentation)?;
        check_totals(P, req)?;
        let body = serde_json::to_vec(&CreateCheckout::from_request(req, &self.currencies)?)
            .map_err(|_| ProviderError::unexpected(P, 0))?;
        let call =
            self.call(Method::POST, "checkouts/", Replay::OnlyIfNotDelivered)?.json_body(body);
        let answer = self.send(&call).await?;
        let checkout: Checkout = answer.json(P)?;
        let total = checkout.total(answer.status, &self.currencies)?;
        if !self.amount_settles(&req.lines, req.total, total) {
            return Err(ProviderError::AmountMismatch {
                provider: P,
                expected: req.total,
                actual: total,
            });
        }
        let url = checkout.url.clone().ok_or(ProviderError::unexpected(P, answer.status))?;
        let action = if frame { Action::Iframe { url } } else { Action::redirect(url) };
        Ok(ProviderSession {
            reference: checkout.id.clone(),
            action,
            expires_at: checkout.expires_at_secs(),
        })
    }

    async fn retrieve(&self, reference: &str) -> Result<(Checkout, u16), ProviderError> {
        check_reference(P, reference)?;
        let call = self.call(Method::GET, &format!("checkouts/{reference}/"), Replay::Safe)?;
        let answer = self.send(&call).await?;
        Ok((answer.json(P)?, answer.status))
    }

    /// `GET /checkouts/{id}/`: complete → `Paid`, expired → `Expired`, open → no event.
    pub async fn fetch_update(&self, reference: &str) -> Result<PaymentUpdate, ProviderError> {
        let (checkout, status) = self.retrieve(reference).await?;
        checkout.to_update(status, &self.currencies)
    }

    /// Whether `reported` pays an order of `lines` totalling `total` by Payfect's rounding.
    pub fn amount_settles(&self, lines: &[OrderLine], total: Money, reported: Money) -> bool {
        self.config.amount_rounding.settles(lines, total, reported)
    }

    /// Payfect has no cancel call: reads the checkout and answers `Paid` or `Expired` if it
    /// got there first, else `Cancelled` (the checkout is left to expire).
    pub async fn cancel(&self, reference: &str) -> Result<PaymentUpdate, ProviderError> {
        let (checkout, status) = self.retrieve(reference).await?;
        checkout.cancelled_update(status, &self.currencies)
    }

    /// Verifies `X-Payfect-Signature` (a Fernet token of the JSON body under our key) and
    /// decodes the callback. A callback in a settlement currency is confirmed by reading the
    /// checkout, whose amount is comparable with the order.
    pub async fn handle_notification(
        &self,
        incoming: &IncomingNotification<'_>,
    ) -> Result<Vec<PaymentUpdate>, ProviderError> {
        let token =
            incoming.headers.get("x-payfect-signature").and_then(|v| v.to_str().ok()).ok_or_else(
                || ProviderError::invalid_notification(P, "no X-Payfect-Signature header"),
            )?;
        let fernet = fernet::Fernet::new(self.config.fernet_key.expose_secret())
            .ok_or_else(|| ProviderError::misconfigured(P, "fernet_key is not a valid key"))?;
        let callback = transformers::verify_callback(
            &fernet,
            token,
            incoming.body,
            incoming.now,
            self.config.callback_ttl_secs,
        )
        .map_err(|reason| ProviderError::invalid_notification(P, reason))?;
        match callback.news(self.config.failure_callbacks, &self.currencies)? {
            CallbackNews::Update(update) => Ok(vec![update]),
            CallbackNews::Confirm => {
                let (checkout, status) = self.retrieve(&callback.id).await?;
                let mut update = checkout.to_update(status, &self.currencies)?;
                if update.event != Some(kassa_wire::PaymentEvent::Paid) {
                    tracing::warn!(
                        checkout = %callback.id,
                        "a success callback arrived but the checkout does not read complete yet; left to polling"
                    );
                    update.event = None;
                }
                Ok(vec![update])
            }
        }
    }
}
