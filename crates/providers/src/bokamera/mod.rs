//! BokaMera: a Stripe checkout that BokaMera creates for a payable entity, shown as its
//! framed hosted page or as Stripe's embedded checkout, and settled by polling BokaMera's
//! checkout status (providers.md §5, seed 003).
//!
//! HTTP calls and error mapping here; DTOs in [`transformers`]. BokaMera receives Stripe's
//! webhooks itself and notifies merchants of nothing, so a notification is at most a hint
//! naming a `SessionId`, and only the status call decides an event (R-K3). A new checkout
//! for the same `InternalReferenceId` invalidates the previous one, which makes a re-sent
//! create safe.

// `pub(crate)` for the hostile-input harnesses in `crate::fuzzing`.
pub(crate) mod transformers;

use std::collections::HashMap;

use http::Method;
use kassa_wire::{Action, PaymentEvent, Presentation, ProviderId};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

pub use self::transformers::CheckoutStatuses;
use self::transformers::{Article, CheckoutAnswer, CreateCheckout, StatusAnswer, StatusQuery};
use crate::{
    check_reference, check_totals,
    transport::{self, Answer, Call, Replay},
    IncomingNotification, PaymentUpdate, ProviderError, ProviderSession, RetryPolicy,
    SessionRequest,
};

const P: ProviderId = ProviderId::Bokamera;

/// What BokaMera sells for one of the merchant's SKUs.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArticleMapping {
    /// `ArticleId` (e.g. the service id).
    pub article_id: i64,
    /// `ArticleTypeId` (service, rebate code, …).
    pub article_type_id: i64,
}

/// BokaMera adapter settings. Secrets are [`SecretString`]s the server fills from the
/// environment.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BokameraConfig {
    /// API host. Default `https://api.bokamera.se` (test: `https://testapi.bokamera.se`).
    pub base_url: String,
    /// `x-api-key` (required).
    pub api_key: SecretString,
    /// Bearer token, if the checkout calls turn out to need a user [U: they seem not to].
    pub access_token: Option<SecretString>,
    /// The merchant's `CompanyId` (a GUID, required).
    pub company_id: String,
    /// `CountryCode`. Default `SE`.
    pub country_code: String,
    /// SKU → article. Every SKU sold through BokaMera needs an entry.
    pub articles: HashMap<String, ArticleMapping>,
    /// Publishable key for embedded checkout; BokaMera does not return one [U].
    pub publishable_key: String,
    /// Connected account for Stripe.js when BokaMera's answer has no `StripeAccount`.
    pub stripe_account: Option<String>,
    /// Which status words mean paid, expired, open [U].
    pub statuses: CheckoutStatuses,
    /// Retries and timeouts.
    pub retry: RetryPolicy,
}

impl Default for BokameraConfig {
    fn default() -> Self {
        BokameraConfig {
            base_url: "https://api.bokamera.se".into(),
            api_key: SecretString::default(),
            access_token: None,
            company_id: String::new(),
            country_code: "SE".into(),
            articles: HashMap::new(),
            publishable_key: String::new(),
            stripe_account: None,
            statuses: CheckoutStatuses::default(),
            retry: RetryPolicy::default(),
        }
    }
}

/// The BokaMera adapter.
#[derive(Debug)]
pub struct Bokamera {
    config: Box<BokameraConfig>,
    base: Url,
    http: reqwest::Client,
}

impl Bokamera {
    /// Checks the configuration and builds the adapter. `http` must not follow redirects
    /// (see [`crate::build_client`]).
    pub fn new(config: BokameraConfig, http: reqwest::Client) -> Result<Self, ProviderError> {
        let base = transport::parse_base_url(P, &config.base_url)?;
        let key = config.api_key.expose_secret();
        if key.trim().is_empty() || http::HeaderValue::from_str(key).is_err() {
            return Err(ProviderError::misconfigured(
                P,
                "api_key is empty or not a valid header value",
            ));
        }
        let guid = config.company_id.len() == 36
            && config.company_id.bytes().enumerate().all(|(i, b)| match i {
                8 | 13 | 18 | 23 => b == b'-',
                _ => b.is_ascii_hexdigit(),
            });
        if !guid {
            return Err(ProviderError::misconfigured(P, "company_id must be a GUID"));
        }
        if let Some(token) = &config.access_token {
            http::HeaderValue::from_str(&format!("Bearer {}", token.expose_secret())).map_err(
                |_| ProviderError::misconfigured(P, "access_token is not a valid header value"),
            )?;
        }
        Ok(Bokamera { config: Box::new(config), base, http })
    }

    fn call(&self, path: &str, locale: Option<&str>) -> Result<Call, ProviderError> {
        let mut call = Call::new(Method::POST, transport::join(&self.base, path), Replay::Safe)
            .header(P, "x-api-key", self.config.api_key.expose_secret())?
            .header(P, "accept", "application/json")?;
        if let Some(token) = &self.config.access_token {
            call = call.header(P, "authorization", &format!("Bearer {}", token.expose_secret()))?;
        }
        if let Some(language) = transformers::language(locale) {
            call = call.header(P, "x-language", language)?;
        }
        Ok(call)
    }

    async fn send(&self, call: &Call) -> Result<Answer, ProviderError> {
        let answer = transport::send(P, &self.http, &self.config.retry, call).await?;
        if answer.is_success() {
            Ok(answer)
        } else {
            Err(transformers::map_error(answer.status, &answer.body, answer.common_error(P)))
        }
    }

    /// Creates the checkout: `Redirect`/`Iframe` use `UiMode=hosted` and BokaMera's `Url`;
    /// `StripeEmbedded` uses `UiMode=embedded` and its `ClientSecret`.
    pub async fn create_session(
        &self,
        req: &SessionRequest,
    ) -> Result<ProviderSession, ProviderError> {
        check_totals(P, req)?;
        let embedded = req.presentation == Presentation::StripeEmbedded;
        if embedded && self.config.publishable_key.is_empty() {
            return Err(ProviderError::misconfigured(
                P,
                "publishable_key is needed for embedded checkout",
            ));
        }
        let articles = req
            .lines
            .iter()
            .map(|line| {
                let a = self.config.articles.get(&line.sku).ok_or_else(|| {
                    ProviderError::misconfigured(
                        P,
                        format!("SKU `{}` has no entry in articles", line.sku),
                    )
                })?;
                Ok(Article {
                    article_id: a.article_id,
                    article_type_id: a.article_type_id,
                    quantity: line.quantity,
                })
            })
            .collect::<Result<Vec<_>, ProviderError>>()?;
        let body = CreateCheckout {
            company_id: self.config.company_id.clone(),
            country_code: self.config.country_code.clone(),
            articles,
            internal_reference_id: req.order_id.clone(),
            confirmation_url: req.success_url.clone(),
            cancel_url: (!embedded).then(|| req.cancel_url.clone()),
            ui_mode: if embedded { "embedded" } else { "hosted" },
        };
        let body = serde_json::to_vec(&body).map_err(|_| ProviderError::unexpected(P, 0))?;
        let call = self.call("payment/stripe/v1/checkout", req.locale.as_deref())?.json_body(body);
        let answer = self.send(&call).await?;
        let checkout: CheckoutAnswer = answer.json(P)?;
        check_reference(P, &checkout.session_id)
            .map_err(|_| ProviderError::unexpected(P, answer.status))?;
        let missing = || ProviderError::unexpected(P, answer.status);
        let action = match req.presentation {
            Presentation::Redirect => Action::redirect(checkout.url.ok_or_else(missing)?),
            Presentation::Iframe => Action::Iframe { url: checkout.url.ok_or_else(missing)? },
            Presentation::StripeEmbedded => Action::StripeEmbedded {
                client_secret: checkout.client_secret.ok_or_else(missing)?,
                publishable_key: self.config.publishable_key.clone(),
                stripe_account: checkout
                    .stripe_account
                    .filter(|a| !a.is_empty())
                    .or_else(|| self.config.stripe_account.clone()),
            },
        };
        Ok(ProviderSession { reference: checkout.session_id, action, expires_at: None })
    }

    /// `POST /payment/stripe/v1/checkout/status` mapped through `statuses`.
    pub async fn fetch_update(&self, reference: &str) -> Result<PaymentUpdate, ProviderError> {
        check_reference(P, reference)?;
        let query = StatusQuery {
            company_id: self.config.company_id.clone(),
            session_id: reference.to_owned(),
        };
        let body = serde_json::to_vec(&query).map_err(|_| ProviderError::unexpected(P, 0))?;
        let call = self.call("payment/stripe/v1/checkout/status", None)?.json_body(body);
        let answer = self.send(&call).await?;
        answer.json::<StatusAnswer>(P)?.to_update(reference, &self.config.statuses, answer.status)
    }

    /// BokaMera has no call to cancel a checkout: reads its status and answers `Paid` or
    /// `Expired` if it got there first, else `Cancelled` (the checkout is left to expire).
    pub async fn cancel(&self, reference: &str) -> Result<PaymentUpdate, ProviderError> {
        let now = self.fetch_update(reference).await?;
        if now.event.is_some() {
            return Ok(now);
        }
        Ok(PaymentUpdate {
            event: Some(PaymentEvent::Cancelled),
            dedup_key: format!("{reference}:cancelled"),
            ..now
        })
    }

    /// BokaMera notifies merchants of nothing; a JSON body naming a `SessionId` (the shape of
    /// BokaMera's own IPN) is taken as a hint to read that checkout's status.
    pub async fn handle_notification(
        &self,
        incoming: &IncomingNotification<'_>,
    ) -> Result<Vec<PaymentUpdate>, ProviderError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Hint {
            session_id: String,
        }
        let hint: Hint = serde_json::from_slice(incoming.body)
            .map_err(|_| ProviderError::invalid_notification(P, "no SessionId"))?;
        check_reference(P, &hint.session_id)
            .map_err(|_| ProviderError::invalid_notification(P, "malformed SessionId"))?;
        Ok(vec![self.fetch_update(&hint.session_id).await?])
    }
}
