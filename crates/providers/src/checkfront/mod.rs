//! Checkfront API 3.0: books the cart's items (rated item → booking session → booking
//! create) and sends the customer to Checkfront's own payment page.
//!
//! Sources: seed `000_5afdd411024e2f02.txt` (Checkfront staff on the payment URL) and the API
//! reference, github.com/Checkfront/API: `docs/ref/booking/{booking,create,form}.rst`,
//! `docs/ref/notifications.rst`, `docs/ref/webhook/{booking,payment}.rst`, the example answers
//! under `docs/examples/response/`, and the v3 README ("The booking token is now returned on
//! booking/create").
//!
//! Acting as a customer (`X-On-Behalf: off`) the create answer carries
//! `customer_payment_url` and the booking starts as a short-lived pre-booking; acting as
//! staff, the adapter builds `/reserve/booking/{code}?CFX={token}&view=pay` itself, where
//! `{code}` is the booking code (the reference calls every `{booking_id}` "the unique booking
//! code") and the token comes from `booking/create`'s answer; reading it back from
//! `GET booking/{code}` is only done when `token_from_get` says so [U]. The fields the
//! account's booking form requires are read with [`Checkfront::booking_form`] and sent in
//! `form[…]` (C3). The booking session's total must equal the server's quote before anything
//! is booked.
//! Checkfront's webhooks are unsigned: they are only hints that make the adapter fetch the
//! booking, and only that fetch decides an event (R-K3). This module must not trust any
//! field of a webhook other than the booking code it names.

// `pub(crate)` for the hostile-input harnesses in `crate::fuzzing`.
pub(crate) mod form;
pub(crate) mod transformers;

use std::collections::{BTreeMap, HashMap};

use base64::Engine;
use http::Method;
use kassa_wire::{Action, Currency, PaymentEvent, ProviderId};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

pub use self::transformers::BookingStatuses;
use self::transformers::{BookingAnswer, Envelope, RatedItem, SessionAnswer};
use crate::{
    check_reference, check_totals, frames_hosted_page,
    transport::{self, Answer, Call, Replay},
    AccountForm, IncomingNotification, PaymentUpdate, ProviderError, ProviderSession, RetryPolicy,
    SessionRequest,
};

const P: ProviderId = ProviderId::Checkfront;

/// Whose rules the booking is made under.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActAs {
    /// `X-On-Behalf: off`: public booking rules, pre-booking status, `customer_payment_url`.
    #[default]
    Customer,
    /// The API account itself (or `staff_id`): the adapter builds the `CFX` pay URL.
    Staff,
}

/// How one of the merchant's SKUs is booked at Checkfront.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemMapping {
    /// Checkfront `item_id`.
    pub item_id: String,
    /// The booking parameter that carries the quantity (`param[<name>]=qty`). Default `qty`.
    #[serde(default = "default_param")]
    pub param: String,
}

fn default_param() -> String {
    "qty".into()
}

/// Checkfront adapter settings. Secrets are [`SecretString`]s the server fills from the
/// environment.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CheckfrontConfig {
    /// The account's host, e.g. `https://fjord.checkfront.com` (required); API paths are
    /// `api/3.0/…` under it.
    pub base_url: String,
    /// Host suffixes `base_url` must end with (R-H6). Default `.checkfront.com`,
    /// `.bookingplatform.app`; empty allows any host (simulator, tests).
    pub allowed_host_suffixes: Vec<String>,
    /// Token-pair API key (required).
    pub api_key: SecretString,
    /// Token-pair API secret (required).
    pub api_secret: SecretString,
    /// Book as a customer (default) or as staff.
    pub act_as: ActAs,
    /// Staff account id for `X-On-Behalf` when acting as staff; none acts as the token's account.
    pub staff_id: Option<String>,
    /// SKU → Checkfront item. Every SKU sold through Checkfront needs an entry.
    pub items: HashMap<String, ItemMapping>,
    /// Fixed booking-form fields sent with every booking (e.g. `customer_tos_agree = "1"`).
    pub extra_form: BTreeMap<String, String>,
    /// Booking-form field that receives Kassa's order id, if the account has one.
    pub order_id_field: Option<String>,
    /// Staff mode: when `booking/create` answers no token, read it from
    /// `GET booking/{code}` [U]. Default false: the v3 README says create returns it, so an
    /// answer without one is an error that names this setting.
    pub token_from_get: bool,
    /// Currency when Checkfront's answer names none. Default `NOK`.
    pub currency: String,
    /// Status ids that mean paid, cancelled, expired [U].
    pub statuses: BookingStatuses,
    /// Status id set when the customer cancels. Default `VOID` (Checkfront's void status;
    /// `cancel` answers `Cancelled`, a later read says `Expired`, as for a lapsed pre-booking).
    pub cancel_status: String,
    /// How long a customer pre-booking lives, seconds [S: 15–30 min]. Default 900.
    pub prebooking_expiry_secs: Option<i64>,
    /// Retries and timeouts.
    pub retry: RetryPolicy,
}

impl Default for CheckfrontConfig {
    fn default() -> Self {
        CheckfrontConfig {
            base_url: String::new(),
            allowed_host_suffixes: vec![".checkfront.com".into(), ".bookingplatform.app".into()],
            api_key: SecretString::default(),
            api_secret: SecretString::default(),
            act_as: ActAs::Customer,
            staff_id: None,
            items: HashMap::new(),
            extra_form: BTreeMap::new(),
            order_id_field: None,
            token_from_get: false,
            currency: "NOK".into(),
            statuses: BookingStatuses::default(),
            cancel_status: "VOID".into(),
            prebooking_expiry_secs: Some(900),
            retry: RetryPolicy::default(),
        }
    }
}

/// The Checkfront adapter.
#[derive(Debug)]
pub struct Checkfront {
    config: Box<CheckfrontConfig>,
    base: Url,
    currency: Currency,
    http: reqwest::Client,
}

impl Checkfront {
    /// Checks the configuration and builds the adapter. `http` must not follow redirects:
    /// a host migration (301) is reported as a misconfiguration naming the new host.
    pub fn new(config: CheckfrontConfig, http: reqwest::Client) -> Result<Self, ProviderError> {
        let base = transport::parse_base_url(P, &config.base_url)?;
        let host = base.host_str().unwrap_or_default().to_ascii_lowercase();
        if !config.allowed_host_suffixes.is_empty()
            && !config.allowed_host_suffixes.iter().any(|s| host.ends_with(&s.to_ascii_lowercase()))
        {
            return Err(ProviderError::misconfigured(
                P,
                "base_url's host is not a Checkfront host",
            ));
        }
        if config.api_key.expose_secret().is_empty() || config.api_secret.expose_secret().is_empty()
        {
            return Err(ProviderError::misconfigured(P, "api_key and api_secret are required"));
        }
        let currency = Currency::from_code(&config.currency)
            .map_err(|_| ProviderError::misconfigured(P, "currency is not an ISO 4217 code"))?;
        Ok(Checkfront { config: Box::new(config), base, currency, http })
    }

    fn call(&self, method: Method, path: &str, replay: Replay) -> Result<Call, ProviderError> {
        let pair = format!(
            "{}:{}",
            self.config.api_key.expose_secret(),
            self.config.api_secret.expose_secret()
        );
        let auth = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair));
        let mut call =
            Call::new(method, transport::join(&self.base, &format!("api/3.0/{path}")), replay)
                .header(P, "authorization", &auth)?
                .header(P, "accept", "application/json")?;
        match (self.config.act_as, &self.config.staff_id) {
            (ActAs::Customer, _) => call = call.header(P, "x-on-behalf", "off")?,
            (ActAs::Staff, Some(staff)) => call = call.header(P, "x-on-behalf", staff)?,
            (ActAs::Staff, None) => {}
        }
        Ok(call)
    }

    async fn send(&self, call: &Call) -> Result<Answer, ProviderError> {
        let answer = transport::send(P, &self.http, &self.config.retry, call).await?;
        match transformers::error(answer.status, &answer.body, || answer.common_error(P)) {
            Some(error) => Err(error),
            None => Ok(answer),
        }
    }

    fn form(pairs: &[(String, String)]) -> Result<String, ProviderError> {
        serde_urlencoded::to_string(pairs).map_err(|_| ProviderError::unexpected(P, 0))
    }

    async fn slip(&self, index: usize, line: &crate::OrderLine) -> Result<String, ProviderError> {
        let mapping = self.config.items.get(&line.sku).ok_or_else(|| {
            ProviderError::misconfigured(P, format!("SKU `{}` has no entry in items", line.sku))
        })?;
        let date_error = |field: &str| ProviderError::Rejected {
            provider: P,
            status: 0,
            message: "a booking date (YYYY-MM-DD) is required".into(),
            param: Some(format!("items[{index}].{field}")),
        };
        let start = line
            .start_date
            .as_deref()
            .and_then(transformers::compact_date)
            .ok_or_else(|| date_error("start_date"))?;
        let end = match line.end_date.as_deref() {
            Some(d) => transformers::compact_date(d).ok_or_else(|| date_error("end_date"))?,
            None => start.clone(),
        };
        check_reference(P, &mapping.item_id)?;
        let mut call =
            self.call(Method::GET, &format!("item/{}", mapping.item_id), Replay::Safe)?;
        call.url
            .query_pairs_mut()
            .append_pair("start_date", &start)
            .append_pair("end_date", &end)
            .append_pair(&format!("param[{}]", mapping.param), &line.quantity.to_string());
        let answer = self.send(&call).await?;
        answer.json::<RatedItem>(P)?.slip(index)
    }

    /// Books the cart and answers Checkfront's payment page. The booking session's total
    /// must equal `req.total` ([`ProviderError::AmountMismatch`] otherwise, and nothing is
    /// booked).
    pub async fn create_session(
        &self,
        req: &SessionRequest,
    ) -> Result<ProviderSession, ProviderError> {
        let frame = frames_hosted_page(P, req.presentation)?;
        check_totals(P, req)?;
        let mut slips = Vec::with_capacity(req.lines.len());
        for (i, line) in req.lines.iter().enumerate() {
            slips.push(self.slip(i, line).await?);
        }

        let cart: Vec<(String, String)> =
            slips.into_iter().map(|s| ("slip[]".to_owned(), s)).collect();
        let call = self
            .call(Method::POST, "booking/session", Replay::OnlyIfNotDelivered)?
            .form_body(Self::form(&cart)?);
        let answer = self.send(&call).await?;
        let session = answer.json::<SessionAnswer>(P)?.booking.session;
        let currency = match session.currency_id.as_deref() {
            Some(code) => crate::amount::currency(P, code)?,
            None => req.total.currency(),
        };
        let quoted = transformers::money(session.total.as_deref(), currency, answer.status)?;
        if quoted != req.total {
            self.end_session(&session.id).await;
            return Err(ProviderError::AmountMismatch {
                provider: P,
                expected: req.total,
                actual: quoted,
            });
        }

        let mut form = vec![("session_id".to_owned(), session.id.clone())];
        for (field, kassa) in form::STANDARD {
            if let Some(value) = req.customer.get(kassa) {
                form.push((format!("form[{field}]"), value.to_owned()));
            }
        }
        // The account's own fields (C3), checked by the server against `booking_form`.
        for given in &req.customer.extra {
            if !self.config.extra_form.contains_key(&given.id) {
                form.push((format!("form[{}]", given.id), given.value.clone()));
            }
        }
        for (field, value) in &self.config.extra_form {
            form.push((format!("form[{field}]"), value.clone()));
        }
        if let Some(field) = &self.config.order_id_field {
            form.push((format!("form[{field}]"), req.order_id.clone()));
        }
        let call = self
            .call(Method::POST, "booking/create", Replay::OnlyIfNotDelivered)?
            .form_body(Self::form(&form)?);
        let answer = self.send(&call).await?;
        let value: serde_json::Value = answer.json(P)?;
        let created = transformers::created_booking(&value)
            .ok_or(ProviderError::unexpected(P, answer.status))?;
        check_reference(P, &created.code)
            .map_err(|_| ProviderError::unexpected(P, answer.status))?;

        let (url, expires_at) = match self.config.act_as {
            ActAs::Customer => {
                let url = created
                    .payment_url
                    .clone()
                    .ok_or(ProviderError::unexpected(P, answer.status))?;
                (url, self.config.prebooking_expiry_secs.map(|s| req.created_at.saturating_add(s)))
            }
            ActAs::Staff => (self.pay_url(&created).await?, None),
        };
        let action = if frame { Action::Iframe { url } } else { Action::redirect(url) };
        Ok(ProviderSession { reference: created.code, action, expires_at })
    }

    /// `https://{host}/reserve/booking/{code}?CFX={token}&view=pay` with the booking code and
    /// the token `booking/create` answered (C1, C2); the token is read from the booking only
    /// when `token_from_get` is set.
    async fn pay_url(
        &self,
        created: &transformers::CreatedBooking,
    ) -> Result<String, ProviderError> {
        let token = match &created.token {
            Some(token) => token.clone(),
            None if self.config.token_from_get => self
                .booking(&created.code)
                .await?
                .0
                .booking
                .token
                .ok_or(ProviderError::unexpected(P, 200))?,
            None => {
                tracing::error!(
                    booking = %created.code,
                    "Checkfront's booking/create answered no token, so no pay URL can be built; if this account returns it only on GET booking/{{code}}, set providers.checkfront.token_from_get"
                );
                return Err(ProviderError::unexpected(P, 200));
            }
        };
        check_reference(P, &created.code)?;
        let mut url = self.base.clone();
        url.set_path(&format!("/reserve/booking/{}", created.code));
        url.query_pairs_mut().clear().append_pair("CFX", &token).append_pair("view", "pay");
        Ok(url.into())
    }

    /// Releases a cart's held inventory; best effort, since the session expires anyway.
    async fn end_session(&self, session_id: &str) {
        let form = [("session_id".to_owned(), session_id.to_owned())];
        let Ok(body) = Self::form(&form) else { return };
        if let Ok(call) = self.call(Method::POST, "booking/session/end", Replay::Safe) {
            if let Err(e) = self.send(&call.form_body(body)).await {
                tracing::debug!(error = %e, "could not end a Checkfront booking session");
            }
        }
    }

    async fn booking(&self, code: &str) -> Result<(BookingAnswer, Currency, u16), ProviderError> {
        check_reference(P, code)?;
        let call = self.call(Method::GET, &format!("booking/{code}"), Replay::Safe)?;
        let answer = self.send(&call).await?;
        let envelope: Envelope = answer.json(P)?;
        let currency = match envelope.locale.and_then(|l| l.currency) {
            Some(code) => crate::amount::currency(P, &code)?,
            None => self.currency,
        };
        Ok((answer.json(P)?, currency, answer.status))
    }

    /// `GET /api/3.0/booking/{code}` mapped through `statuses`.
    pub async fn fetch_update(&self, reference: &str) -> Result<PaymentUpdate, ProviderError> {
        let (answer, currency, status) = self.booking(reference).await?;
        answer.booking.to_update(reference, &self.config.statuses, currency, status)
    }

    /// Sets the booking to `cancel_status` unless it is settled; a settled one answers what it is.
    pub async fn cancel(&self, reference: &str) -> Result<PaymentUpdate, ProviderError> {
        let before = self.fetch_update(reference).await?;
        if before.event.is_some() {
            return Ok(before);
        }
        let form = [("status_id".to_owned(), self.config.cancel_status.clone())];
        let call = self
            .call(Method::POST, &format!("booking/{reference}/update"), Replay::Safe)?
            .form_body(Self::form(&form)?);
        match self.send(&call).await {
            Ok(_) => Ok(PaymentUpdate {
                event: Some(PaymentEvent::Cancelled),
                dedup_key: format!("{}:{}", before.reference, self.config.cancel_status),
                ..before
            }),
            Err(ProviderError::Rejected { .. }) => self.fetch_update(reference).await,
            Err(other) => Err(other),
        }
    }

    /// `GET booking/form`: what this account requires of a customer (as we act), less the
    /// fields the configuration fills itself (`extra_form`, `order_id_field`).
    pub async fn booking_form(&self) -> Result<AccountForm, ProviderError> {
        let call = self.call(Method::GET, "booking/form", Replay::Safe)?;
        let answer = self.send(&call).await?;
        let mut skip: Vec<&str> = self.config.extra_form.keys().map(String::as_str).collect();
        skip.extend(self.config.order_id_field.as_deref());
        form::read(&answer.body, self.config.act_as, &skip)
    }

    /// Reads the booking code a webhook names and fetches that booking; the webhook's own
    /// status and amounts are ignored (R-K3). The endpoint's path token is the server's job.
    pub async fn handle_notification(
        &self,
        incoming: &IncomingNotification<'_>,
    ) -> Result<Vec<PaymentUpdate>, ProviderError> {
        let code = transformers::webhook_booking_code(incoming.body).ok_or_else(|| {
            ProviderError::invalid_notification(P, "the webhook names no booking")
        })?;
        check_reference(P, &code)
            .map_err(|_| ProviderError::invalid_notification(P, "malformed booking code"))?;
        Ok(vec![self.fetch_update(&code).await?])
    }
}
