//! BokaMera: the customer's booking is made at BokaMera, priced by BokaMera, and paid through
//! the Stripe checkout BokaMera creates for it, shown as its hosted page (framed when the page
//! allows it) or as Stripe's embedded checkout; settled by polling.
//!
//! Sources: seed 003 (`StripeV1CreateCheckout`); BokaMera's metadata pages
//! `https://api.bokamera.se/json/metadata?op=CreateBooking`, `op=CalculateTotalPriceOnService`,
//! `op=CreateStripeWebhook`, `op=MarkBookingAsPayed`; the third-party client
//! freestream/python-bokamera-client (`resources/bookings.py`, `resources/billing.py`,
//! `models/bookings.py`).
//!
//! How an order is paid (K1, K3):
//! 1. `POST /bookings` books the cart's first line as the service (`ServiceId`, its spots in
//!    `Quantities`, `From`/`To` from the line's dates and the SKU's configured times) with the
//!    further lines as `Articles`, for the customer's name, email and phone. BokaMera prices
//!    it, and `BookedComments` names Kassa's order (`Kassa order {order id}`).
//!    Booking is not idempotent at BokaMera (no idempotency key), so before booking the adapter
//!    looks for the order's booking: `GET /bookings?CompanyId&ServiceIds&BookingStart&BookingEnd`
//!    (the filters of `BookingQuery` that freestream/python-bokamera-client's
//!    `resources/bookings.py` sends; `BookingStart`/`BookingEnd` bound the booking's start)
//!    narrowed to the service and the start time it would book, and takes the oldest answer
//!    whose `BookedComments` names the order and that is not released (`Unbooked`, `Canceled`). So a create retried
//!    after its answer was lost, by a restarted process or by another instance, pays the one
//!    booking; nothing is kept in the process. An earlier reference of the order
//!    (`SessionRequest::previous_reference`) names its booking directly.
//! 2. `GET /bookings?CompanyId&Id` reads the booking back: it must await payment and its
//!    `TotalPrice` (in its `CurrencyId`) must equal the quote the customer saw, else
//!    [`ProviderError::AmountMismatch`] and no checkout is made, so nothing is charged.
//! 3. `POST /payment/stripe/v1/checkout` with `InternalReferenceId` = the booking id (the
//!    "payable entity"), `ConfirmationUrl` and `CancelUrl` (both "Required: Yes", K5).
//!
//! The session reference Kassa keeps is `{booking id}-{SessionId}`. A checkout is paid only
//! when its status is `complete` **and** the booking reads `Payed (7)` (K4): the status answer
//! is `{CustomerEmail, Status}` with no `payment_status`, and a delayed method completes the
//! session before the money arrives. The paid update carries the booking's price, which the
//! server compares with the order again.
//!
//! Notifications (K6): BokaMera receives Stripe's webhooks itself. `CreateStripeWebhook` can
//! point Stripe at a merchant URL, but it needs an administrator login and its answer
//! (`{Id, Events, Url}`) holds no signing secret, so Kassa could not verify those events; it
//! does not register one. A JSON body naming `SessionId` and `InternalReferenceId` (the shape of
//! BokaMera's own IPN) is only a hint to read that checkout's status.
//!
//! A new checkout for the same `InternalReferenceId` invalidates the previous one, which
//! makes a re-sent checkout create safe.

// `pub(crate)` for the hostile-input harnesses in `crate::fuzzing`.
pub(crate) mod transformers;

use std::collections::HashMap;

use http::Method;
use kassa_wire::{Action, PaymentEvent, Presentation, ProviderId};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use self::transformers::{
    Article, BookingAnswer, BookingList, BookingPayment, CheckoutAnswer, CreateBooking,
    CreateCheckout, CustomerToBook, QuantityToBook, StatusAnswer, StatusQuery,
};
pub use self::transformers::{CheckoutState, CheckoutStatuses};
use crate::{
    check_reference, check_totals,
    transport::{self, Answer, Call, Replay},
    IncomingNotification, OrderLine, PaymentUpdate, ProviderError, ProviderSession, RetryPolicy,
    SessionRequest,
};

const P: ProviderId = ProviderId::Bokamera;

/// What BokaMera sells for one of the merchant's SKUs.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArticleMapping {
    /// `ArticleId`: for the cart's first line, the `ServiceId` booked.
    pub article_id: i64,
    /// `ArticleTypeId` (service, rebate code, …).
    pub article_type_id: i64,
    /// [U] Booking start time on the line's `start_date`, `HH:MM` in the company's time.
    /// BokaMera books a time span; Kassa's cart carries dates. Default `00:00`.
    #[serde(default = "ArticleMapping::day_start")]
    pub start_time: String,
    /// [U] Booking end time on the line's `end_date` (else `start_date`). Default `23:59`.
    #[serde(default = "ArticleMapping::day_end")]
    pub end_time: String,
}

impl ArticleMapping {
    /// A whole-day booking of this article.
    pub fn new(article_id: i64, article_type_id: i64) -> Self {
        ArticleMapping {
            article_id,
            article_type_id,
            start_time: Self::day_start(),
            end_time: Self::day_end(),
        }
    }

    fn day_start() -> String {
        "00:00".into()
    }

    fn day_end() -> String {
        "23:59".into()
    }
}

/// `HH:MM` on a 24-hour clock.
fn is_clock_time(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 5
        && b[2] == b':'
        && [0, 1, 3, 4].iter().all(|&i| b[i].is_ascii_digit())
        && text[..2].parse::<u8>().is_ok_and(|h| h < 24)
        && text[3..].parse::<u8>().is_ok_and(|m| m < 60)
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
    /// Which status words mean complete, expired, open [U].
    pub statuses: CheckoutStatuses,
    /// [U] Send `CancelUrl` with `UiMode=embedded` too. The current metadata marks it
    /// required, yet its description (Stripe's) says it "is not allowed if ui_mode is
    /// embedded". Default true (the required marking); false leaves it out.
    pub send_cancel_url_when_embedded: bool,
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
            send_cancel_url_when_embedded: true,
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

/// BokaMera's released booking statuses (`BookingStatusEnum` `Unbooked` 2, `Canceled` 4): such a
/// booking is not reused.
const RELEASED_STATUSES: [i64; 2] = [2, 4];

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
        for (sku, a) in &config.articles {
            if !is_clock_time(&a.start_time) || !is_clock_time(&a.end_time) {
                return Err(ProviderError::misconfigured(
                    P,
                    format!("articles.{sku}: start_time and end_time must be HH:MM"),
                ));
            }
        }
        Ok(Bokamera { config: Box::new(config), base, http })
    }

    fn call(&self, path: &str, locale: Option<&str>) -> Result<Call, ProviderError> {
        self.call_as(Method::POST, path, Replay::Safe, locale)
    }

    fn call_as(
        &self,
        method: Method,
        path: &str,
        replay: Replay,
        locale: Option<&str>,
    ) -> Result<Call, ProviderError> {
        let mut call = Call::new(method, transport::join(&self.base, path), replay)
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
        transport::send(P, &self.http, &self.config.retry, call)
            .await?
            .success_or(|a| transformers::map_error(a.status, &a.body, a.common_error(P)))
    }

    /// The BokaMera article of every line, in cart order.
    fn articles<'a>(
        &'a self,
        req: &'a SessionRequest,
    ) -> Result<Vec<(&'a OrderLine, &'a ArticleMapping)>, ProviderError> {
        req.lines
            .iter()
            .map(|line| {
                let a = self.config.articles.get(&line.sku).ok_or_else(|| {
                    ProviderError::misconfigured(
                        P,
                        format!("SKU `{}` has no entry in articles", line.sku),
                    )
                })?;
                Ok((line, a))
            })
            .collect()
    }

    /// The `CreateBooking` of the cart: the first line is the service, the rest its articles.
    fn booking_body(
        &self,
        req: &SessionRequest,
        articles: &[(&OrderLine, &ArticleMapping)],
    ) -> Result<CreateBooking, ProviderError> {
        let refuse = |message: &str, param: &str| ProviderError::Rejected {
            provider: P,
            status: 0,
            message: message.to_owned(),
            param: Some(param.to_owned()),
        };
        let Some(((service_line, service), extras)) = articles.split_first() else {
            return Err(refuse("the cart is empty", "items"));
        };
        let start = service_line.start_date.as_deref().ok_or_else(|| {
            refuse("BokaMera books a date: give start_date", "items[0].start_date")
        })?;
        let end = service_line.end_date.as_deref().unwrap_or(start);
        let name = req.customer.name.as_deref().map(str::trim).unwrap_or_default();
        let (firstname, lastname) = match name.rsplit_once(' ') {
            Some((first, last)) if !first.trim().is_empty() => (first.trim(), last),
            _ => return Err(refuse("BokaMera needs a first and a last name", "customer.name")),
        };
        let email = req
            .customer
            .email
            .clone()
            .ok_or_else(|| refuse("BokaMera needs the customer's email", "customer.email"))?;
        let phone = req
            .customer
            .phone
            .clone()
            .ok_or_else(|| refuse("BokaMera needs the customer's phone", "customer.phone"))?;
        let body = CreateBooking {
            company_id: self.config.company_id.clone(),
            service_id: service.article_id,
            from: format!("{start}T{}:00", service.start_time),
            to: format!("{end}T{}:00", service.end_time),
            quantities: vec![QuantityToBook { price_id: 0, quantity: service_line.quantity }],
            articles: wire_articles(extras),
            customer: CustomerToBook {
                firstname: firstname.to_owned(),
                lastname: lastname.to_owned(),
                email,
                phone,
            },
            booked_comments: order_comment(&req.order_id),
        };
        Ok(body)
    }

    /// The order's booking at BokaMera if an earlier attempt made one: the oldest booking of
    /// the service starting at `From` whose `BookedComments` names the order, not released.
    async fn find_booking(&self, body: &CreateBooking) -> Result<Option<i64>, ProviderError> {
        let mut call = self.call_as(Method::GET, "bookings", Replay::Safe, None)?;
        call.url
            .query_pairs_mut()
            .append_pair("CompanyId", &self.config.company_id)
            .append_pair("ServiceIds", &body.service_id.to_string())
            .append_pair("BookingStart", &body.from)
            .append_pair("BookingEnd", &body.from);
        let answer = self.send(&call).await?;
        let list: BookingList = answer.json(P)?;
        Ok(list
            .results
            .into_iter()
            .filter(|b| b.booked_comments.as_deref() == Some(body.booked_comments.as_str()))
            .filter(|b| !b.status_id.is_some_and(|s| RELEASED_STATUSES.contains(&s)))
            .map(|b| b.id)
            .min())
    }

    /// `POST /bookings`.
    async fn create_booking(
        &self,
        body: &CreateBooking,
        locale: Option<&str>,
    ) -> Result<i64, ProviderError> {
        let body = serde_json::to_vec(body).map_err(|_| ProviderError::unexpected(P, 0))?;
        // Booking twice is not harmless: re-sent only when it cannot have arrived.
        let call = self
            .call_as(Method::POST, "bookings", Replay::OnlyIfNotDelivered, locale)?
            .json_body(body);
        let answer = self.send(&call).await?;
        Ok(answer.json::<BookingAnswer>(P)?.id)
    }

    /// `GET /bookings?CompanyId&Id`: the booking as BokaMera holds it now.
    async fn read_booking(&self, id: i64) -> Result<(BookingAnswer, u16), ProviderError> {
        let mut call = self.call_as(Method::GET, "bookings", Replay::Safe, None)?;
        call.url
            .query_pairs_mut()
            .append_pair("CompanyId", &self.config.company_id)
            .append_pair("Id", &id.to_string());
        let answer = self.send(&call).await?;
        let list: BookingList = answer.json(P)?;
        let booking = list
            .results
            .into_iter()
            .find(|b| b.id == id)
            .ok_or(ProviderError::NotFound { provider: P })?;
        Ok((booking, answer.status))
    }

    /// The booking must await payment at the price the customer was shown (K3).
    fn check_booking(
        &self,
        booking: &BookingAnswer,
        http_status: u16,
        req: &SessionRequest,
    ) -> Result<(), ProviderError> {
        let refuse = |message: String| ProviderError::Rejected {
            provider: P,
            status: 0,
            message,
            param: None,
        };
        match booking.payment(http_status)? {
            BookingPayment::Awaiting => {}
            BookingPayment::Paid => {
                return Err(refuse(format!("BokaMera booking {} is already paid", booking.id)))
            }
            BookingPayment::NotPayable(status) => {
                return Err(refuse(format!(
                    "BokaMera booking {} has status {status}, not awaiting payment; the \
                     company's payment settings must require online payment",
                    booking.id
                )))
            }
        }
        let price = booking.price(req.total.currency(), http_status)?;
        if price != req.total {
            return Err(ProviderError::AmountMismatch {
                provider: P,
                expected: req.total,
                actual: price,
            });
        }
        Ok(())
    }

    /// Books the cart at BokaMera, checks BokaMera's price against the quote, and creates
    /// the checkout for the booking: `Redirect`/`Iframe` use `UiMode=hosted` and BokaMera's
    /// `Url`; `StripeEmbedded` uses `UiMode=embedded` and its `ClientSecret`.
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
        let articles = self.articles(req)?;
        let earlier = req.previous_reference.as_deref().and_then(split_reference).map(|(b, _)| b);
        let booking_id = match earlier {
            Some(booking) => booking,
            None => {
                let body = self.booking_body(req, &articles)?;
                match self.find_booking(&body).await? {
                    Some(booking) => {
                        tracing::info!(order = %req.order_id, booking, "BokaMera already holds this order's booking; paying it");
                        booking
                    }
                    None => self.create_booking(&body, req.locale.as_deref()).await?,
                }
            }
        };
        let (booking, status) = self.read_booking(booking_id).await?;
        if let Err(e) = self.check_booking(&booking, status, req) {
            tracing::warn!(order = %req.order_id, booking = booking_id, error = %e, "BokaMera's booking does not match the order; no checkout created");
            return Err(e);
        }
        let body = CreateCheckout {
            company_id: self.config.company_id.clone(),
            country_code: self.config.country_code.clone(),
            articles: wire_articles(&articles),
            internal_reference_id: booking_id.to_string(),
            confirmation_url: req.success_url.clone(),
            cancel_url: (!embedded || self.config.send_cancel_url_when_embedded)
                .then(|| req.cancel_url.clone()),
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
        Ok(ProviderSession {
            reference: reference(booking_id, &checkout.session_id),
            action,
            expires_at: None,
        })
    }

    /// `POST /payment/stripe/v1/checkout/status`, and for a complete checkout the booking:
    /// paid only when the booking reads `Payed` (K4).
    pub async fn fetch_update(&self, reference: &str) -> Result<PaymentUpdate, ProviderError> {
        check_reference(P, reference)?;
        let (booking_id, session_id) =
            split_reference(reference).ok_or(ProviderError::NotFound { provider: P })?;
        let query = StatusQuery {
            company_id: self.config.company_id.clone(),
            session_id: session_id.to_owned(),
        };
        let body = serde_json::to_vec(&query).map_err(|_| ProviderError::unexpected(P, 0))?;
        let call = self.call("payment/stripe/v1/checkout/status", None)?.json_body(body);
        let answer = self.send(&call).await?;
        let state = answer.json::<StatusAnswer>(P)?.state(&self.config.statuses, answer.status)?;
        let booking = if state == CheckoutState::Complete {
            let (booking, status) = self.read_booking(booking_id).await?;
            // The price in the booking's own currency, for the server to compare with the
            // order once more; without a `CurrencyId` it was checked at create only [U].
            let price = match booking.currency_id.as_deref() {
                Some(code) => Some(booking.price(crate::amount::currency(P, code)?, status)?),
                None => None,
            };
            Some((booking.payment(status)?, price))
        } else {
            None
        };
        transformers::update(reference, state, booking)
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

    /// BokaMera notifies merchants of nothing; a JSON body naming `SessionId` and
    /// `InternalReferenceId` (the shape of BokaMera's own IPN) is taken as a hint to read that
    /// checkout's status. Nothing in it is believed.
    pub async fn handle_notification(
        &self,
        incoming: &IncomingNotification<'_>,
    ) -> Result<Vec<PaymentUpdate>, ProviderError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Hint {
            session_id: String,
            internal_reference_id: serde_json::Value,
        }
        let hint: Hint = serde_json::from_slice(incoming.body)
            .map_err(|_| ProviderError::invalid_notification(P, "no SessionId"))?;
        let booking = match &hint.internal_reference_id {
            serde_json::Value::Number(n) => n.as_i64(),
            serde_json::Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
        .ok_or_else(|| ProviderError::invalid_notification(P, "no booking id"))?;
        check_reference(P, &hint.session_id)
            .map_err(|_| ProviderError::invalid_notification(P, "malformed SessionId"))?;
        Ok(vec![self.fetch_update(&reference(booking, &hint.session_id)).await?])
    }
}

/// The `BookedComments` that names Kassa's order on its booking.
fn order_comment(order_id: &str) -> String {
    format!("Kassa order {order_id}")
}

/// The reference Kassa keeps for a checkout: `{booking id}-{SessionId}`.
fn reference(booking: i64, session_id: &str) -> String {
    format!("{booking}-{session_id}")
}

/// The booking id and `SessionId` of a reference.
fn split_reference(reference: &str) -> Option<(i64, &str)> {
    let (booking, session) = reference.split_once('-')?;
    let booking = booking.parse::<i64>().ok().filter(|b| *b > 0)?;
    (!session.is_empty()).then_some((booking, session))
}

/// The cart lines as BokaMera's `Articles` (the booking's extras, and every line of a checkout).
fn wire_articles(lines: &[(&OrderLine, &ArticleMapping)]) -> Vec<Article> {
    lines
        .iter()
        .map(|(line, a)| Article {
            article_id: a.article_id,
            article_type_id: a.article_type_id,
            quantity: line.quantity,
        })
        .collect()
}
