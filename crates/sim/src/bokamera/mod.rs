//! BokaMera: bookings, and the Stripe checkouts BokaMera creates for a payable entity (a
//! booking) (seed 003 `StripeV1CreateCheckout`; `https://api.bokamera.se/json/metadata?op=`
//! `CreateBooking`, `CalculateTotalPriceOnService`, `CreateStripeWebhook`).
//!
//! A checkout pays a **payable entity**: `InternalReferenceId` must name a booking of the
//! company that awaits payment, or the create is refused with a ServiceStack
//! `ResponseStatus`. BokaMera prices the booking from its own services and articles
//! ([`BokameraArticle`]); the Stripe session charges that price. The booking's status is
//! BokaMera's `BookingStatusEnum`: created `AwaitingPayment (5)` when the company requires
//! online payment (else `Booked (1)`), and `Payed (7)` only once Stripe reports the money
//! (session `complete` **and** `payment_status: paid`); a delayed method leaves a complete
//! session with an unpaid booking ([`BokameraSim::delayed_payment`], or
//! `/__sim/bokamera/checkouts/{id}/pay_delayed` then `/__sim/bokamera/bookings/{id}/settle`).
//!
//! BokaMera's checkouts are real Stripe Checkout Sessions on BokaMera's connected account, so
//! the simulator creates them in the Stripe simulator as a platform ([`Owner::Platform`]): the
//! merchant's webhook endpoint hears nothing, `ClientSecret` works with the same Stripe.js
//! stand-in (with `stripeAccount`), and the status call reads the session. For
//! `UiMode=hosted` the seed calls `Url` "the url for checkout module to be placed in a
//! iframe", yet it may be Stripe's own hosted page, which refuses framing [U]: the simulator
//! serves both ([`HostedPage`], switchable at `/__sim/bokamera/hosted_page`). A new checkout
//! for an `InternalReferenceId` expires the earlier ones.

pub mod api;
pub mod bookings;
pub mod pages;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

pub use self::bookings::{Booking, BookingStatus};

use axum::Router;
use serde_json::{json, Value};

use crate::{
    control::{ActResult, Action, Common, ControlError, ControlPlane, WebhookTarget},
    listener,
    stripe::{
        NewSession, Owner, RedirectOnCompletion, SessionError, SessionStatus, Stripe, UiMode,
    },
};

/// One article the simulated company sells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BokameraArticle {
    /// `ArticleId` (a service id, say).
    pub article_id: i64,
    /// `ArticleTypeId` (service, rebate code, …).
    pub article_type_id: i64,
    /// Shown on the checkout.
    pub name: String,
    /// Price in minor units of the company currency.
    pub price: i64,
}

/// Configuration of the BokaMera simulator.
#[derive(Clone, Debug)]
pub struct BokameraSim {
    /// Port (0 = random).
    pub port: u16,
    /// The `x-api-key` (a GUID).
    pub api_key: String,
    /// The company id (a GUID) checkouts must name.
    pub company_id: String,
    /// [U] Whether the checkout operations also need `Authorization: Bearer` (default false:
    /// their metadata pages show no authentication note).
    pub require_bearer: bool,
    /// The accepted bearer token when `require_bearer` is on.
    pub access_token: String,
    /// BokaMera's connected Stripe account the sessions are created on.
    pub stripe_account: String,
    /// [U] Whether the create answer carries `StripeAccount` (default true, as the seed's
    /// response DTO lists it).
    pub return_stripe_account: bool,
    /// [U] `redirect_on_completion` of embedded sessions that have a `ConfirmationUrl`
    /// (default `if_required`: Stripe.js calls `onComplete` and the widget stays).
    pub embedded_redirect: RedirectOnCompletion,
    /// Lower-case currency of the company.
    pub currency: String,
    /// Shown on the checkout page.
    pub company_name: String,
    /// The catalogue.
    pub articles: Vec<BokameraArticle>,
    /// Whether the company requires online payment, so new bookings await it (default true);
    /// false books them at once (`Booked`), and a checkout for them is refused.
    pub payment_required: bool,
    /// Whether paid checkouts leave their booking awaiting payment (a delayed method:
    /// session `complete`, `payment_status: unpaid`) until settled. Default false.
    pub delayed_payment: bool,
    /// [U] Which page a hosted checkout's `Url` names. Default [`HostedPage::Own`].
    pub hosted_page: HostedPage,
    /// [U] The seed marks `CancelUrl` required yet says it "is not allowed if ui_mode is
    /// embedded". Default false: an embedded checkout must carry it too (the required
    /// marking) and BokaMera keeps it from Stripe; true refuses it with `UiMode=embedded`.
    pub refuse_cancel_url_when_embedded: bool,
}

/// The page a hosted checkout's `Url` names [U].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HostedPage {
    /// BokaMera's own page, which may be framed.
    #[default]
    Own,
    /// Stripe's hosted Checkout page, which refuses framing as checkout.stripe.com does.
    Stripe,
}

impl Default for BokameraSim {
    fn default() -> Self {
        BokameraSim {
            port: 0,
            api_key: "6b9f2a4e-2f0c-4c55-9d8e-0b1a2c3d4e5f".into(),
            company_id: "3f2504e0-4f89-11d3-9a0c-0305e82c3301".into(),
            require_bearer: false,
            access_token: "bokamera-test-access-token".into(),
            stripe_account: "acct_1KassaSimBokaMera".into(),
            return_stripe_account: true,
            embedded_redirect: RedirectOnCompletion::IfRequired,
            currency: "sek".into(),
            company_name: "Kassa Salong".into(),
            articles: vec![
                BokameraArticle {
                    article_id: 1,
                    article_type_id: 1,
                    name: "Haircut".into(),
                    price: 45_000,
                },
                BokameraArticle {
                    article_id: 2,
                    article_type_id: 1,
                    name: "Beard trim".into(),
                    price: 25_000,
                },
                BokameraArticle {
                    article_id: 3,
                    article_type_id: 1,
                    name: "Massage 60 min".into(),
                    price: 79_000,
                },
            ],
            payment_required: true,
            delayed_payment: false,
            hosted_page: HostedPage::Own,
            refuse_cancel_url_when_embedded: false,
        }
    }
}

/// A checkout BokaMera created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkout {
    /// The Stripe session id.
    pub session_id: String,
    /// `InternalReferenceId`.
    pub internal_reference_id: String,
    /// `UiMode`.
    pub ui_mode: UiMode,
    /// `ConfirmationUrl`.
    pub confirmation_url: Option<String>,
    /// `CancelUrl`.
    pub cancel_url: Option<String>,
    /// Paid by a delayed method whose money has not arrived: the booking still awaits it.
    pub unsettled: bool,
}

/// A validated create request.
#[derive(Clone, Debug)]
pub struct NewCheckout {
    /// `InternalReferenceId`: the booking paid for.
    pub internal_reference_id: String,
    /// What is charged: the booking's priced lines, `(article, quantity)`.
    pub articles: Vec<(BokameraArticle, i64)>,
    /// `UiMode`.
    pub ui_mode: UiMode,
    /// `ConfirmationUrl`.
    pub confirmation_url: Option<String>,
    /// `CancelUrl`.
    pub cancel_url: Option<String>,
}

/// The BokaMera simulator's state and behaviour.
#[derive(Debug)]
pub struct Bokamera {
    /// Configuration.
    pub config: BokameraSim,
    /// Base URL of this listener.
    pub url: String,
    /// Clock, request log, faults and deliveries.
    pub common: Common,
    /// The Stripe simulator the sessions live in.
    pub stripe: Arc<Stripe>,
    checkouts: Mutex<Vec<Checkout>>,
    bookings: Mutex<Vec<Booking>>,
    /// The catalogue as it stands (the control plane may reprice an article).
    articles: Mutex<Vec<BokameraArticle>>,
    hosted_page: Mutex<HostedPage>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Bokamera {
    /// A simulator with no bookings or checkouts, creating sessions in `stripe`.
    pub fn new(config: BokameraSim, url: String, common: Common, stripe: Arc<Stripe>) -> Self {
        let articles = Mutex::new(config.articles.clone());
        let hosted_page = Mutex::new(config.hosted_page);
        Bokamera {
            config,
            url,
            common,
            stripe,
            checkouts: Mutex::default(),
            bookings: Mutex::default(),
            articles,
            hosted_page,
        }
    }

    fn checkouts(&self) -> MutexGuard<'_, Vec<Checkout>> {
        lock(&self.checkouts)
    }

    /// The article with these ids, at its current price.
    pub fn article(&self, article_id: i64, article_type_id: i64) -> Option<BokameraArticle> {
        lock(&self.articles)
            .iter()
            .find(|a| a.article_id == article_id && a.article_type_id == article_type_id)
            .cloned()
    }

    /// The service (an article of type [`bookings::SERVICE_ARTICLE_TYPE`]) with this id.
    pub fn service(&self, service_id: i64) -> Option<BokameraArticle> {
        self.article(service_id, bookings::SERVICE_ARTICLE_TYPE)
    }

    /// Sets an article's price (minor units); false when no article has that id.
    pub fn reprice(&self, article_id: i64, price: i64) -> bool {
        let mut articles = lock(&self.articles);
        let mut found = false;
        for a in articles.iter_mut().filter(|a| a.article_id == article_id) {
            a.price = price;
            found = true;
        }
        found
    }

    /// Which page hosted checkouts name from now on.
    pub fn set_hosted_page(&self, page: HostedPage) {
        *lock(&self.hosted_page) = page;
    }

    /// Which page hosted checkouts name.
    pub fn hosted_page(&self) -> HostedPage {
        *lock(&self.hosted_page)
    }

    /// Stores a new booking, numbering it.
    pub fn add_booking(&self, mut booking: Booking) -> Booking {
        let mut bookings = lock(&self.bookings);
        booking.id = 1000 + i64::try_from(bookings.len()).unwrap_or(0) + 1;
        bookings.push(booking.clone());
        booking
    }

    /// The booking with this id, with its status as BokaMera would report it now.
    pub fn booking(&self, id: i64) -> Option<(Booking, BookingStatus)> {
        let booking = lock(&self.bookings).iter().find(|b| b.id == id).cloned()?;
        let status = self.booking_status(&booking);
        Some((booking, status))
    }

    /// Every booking, oldest first, each with its status as BokaMera would report it now.
    pub fn bookings(&self) -> Vec<(Booking, BookingStatus)> {
        let bookings: Vec<Booking> = lock(&self.bookings).clone();
        bookings
            .into_iter()
            .map(|b| {
                let status = self.booking_status(&b);
                (b, status)
            })
            .collect()
    }

    /// `Payed` once a checkout for the booking is complete with its money arrived; until then
    /// the status it was booked with.
    fn booking_status(&self, booking: &Booking) -> BookingStatus {
        if booking.status != BookingStatus::AwaitingPayment {
            return booking.status;
        }
        let reference = booking.id.to_string();
        let sessions: Vec<String> = self
            .checkouts()
            .iter()
            .filter(|c| c.internal_reference_id == reference && !c.unsettled)
            .map(|c| c.session_id.clone())
            .collect();
        let paid = sessions.iter().any(|id| {
            self.stripe.session(id).is_some_and(|s| s.status == SessionStatus::Complete && s.paid)
        });
        if paid {
            BookingStatus::Payed
        } else {
            BookingStatus::AwaitingPayment
        }
    }

    /// Marks whether a checkout's money is still on its way.
    pub(crate) fn set_unsettled(&self, session_id: &str, unsettled: bool) -> bool {
        let mut checkouts = self.checkouts();
        let mut found = false;
        for c in checkouts.iter_mut().filter(|c| c.session_id == session_id) {
            c.unsettled = unsettled;
            found = true;
        }
        found
    }

    /// The delayed money of every checkout for `booking` arrives.
    pub fn settle(&self, booking: i64) -> bool {
        let reference = booking.to_string();
        let mut checkouts = self.checkouts();
        let mut found = false;
        for c in checkouts.iter_mut().filter(|c| c.internal_reference_id == reference) {
            c.unsettled = false;
            found = true;
        }
        found
    }

    /// The framed hosted page of a session.
    pub fn page_url(&self, session_id: &str) -> String {
        format!("{}/stripe/checkout/{session_id}", self.url)
    }

    /// Where a hosted checkout's `Url` points, by [`HostedPage`].
    fn hosted_url(&self, session_id: &str) -> String {
        match self.hosted_page() {
            HostedPage::Own => self.page_url(session_id),
            HostedPage::Stripe => format!("{}/c/pay/{session_id}", self.stripe.url),
        }
    }

    /// Creates a checkout, expiring the earlier ones for the same reference.
    pub fn create(&self, new: NewCheckout) -> (Checkout, crate::stripe::Session) {
        let earlier: Vec<String> = self
            .checkouts()
            .iter()
            .filter(|c| c.internal_reference_id == new.internal_reference_id)
            .map(|c| c.session_id.clone())
            .collect();
        for id in earlier {
            if let Ok((_, pending)) = self.stripe.expire(&id) {
                self.stripe.dispatch_in_background(pending);
            }
        }
        let (return_url, redirect) = match (new.ui_mode, &new.confirmation_url) {
            (UiMode::Hosted, _) => (None, None),
            (UiMode::Embedded, Some(url)) => {
                (Some(url.clone()), Some(self.config.embedded_redirect))
            }
            (UiMode::Embedded, None) => (None, Some(RedirectOnCompletion::Never)),
        };
        let unsettled = self.config.delayed_payment;
        let mut metadata = std::collections::BTreeMap::new();
        metadata.insert("InternalReferenceId".to_owned(), new.internal_reference_id.clone());
        metadata.insert("CompanyId".to_owned(), self.config.company_id.clone());
        let session = self.stripe.create(
            NewSession {
                ui_mode: Some(new.ui_mode),
                currency: self.config.currency.clone(),
                lines: new
                    .articles
                    .iter()
                    .map(|(a, q)| (a.name.clone(), None, a.price, *q))
                    .collect(),
                success_url: (new.ui_mode == UiMode::Hosted)
                    .then(|| new.confirmation_url.clone())
                    .flatten(),
                cancel_url: (new.ui_mode == UiMode::Hosted)
                    .then(|| new.cancel_url.clone())
                    .flatten(),
                return_url,
                redirect_on_completion: redirect,
                client_reference_id: Some(new.internal_reference_id.clone()),
                metadata,
                ..NewSession::default()
            },
            Some(self.config.stripe_account.clone()),
            Owner::Platform("bokamera".into()),
            |id| self.hosted_url(id),
        );
        let checkout = Checkout {
            session_id: session.id.clone(),
            internal_reference_id: new.internal_reference_id,
            ui_mode: new.ui_mode,
            confirmation_url: new.confirmation_url,
            cancel_url: new.cancel_url,
            unsettled,
        };
        self.checkouts().push(checkout.clone());
        (checkout, session)
    }

    /// The checkout and its session.
    pub fn checkout(&self, session_id: &str) -> Option<(Checkout, crate::stripe::Session)> {
        let checkout = self.checkouts().iter().find(|c| c.session_id == session_id).cloned()?;
        let session = self.stripe.session(session_id)?;
        Some((checkout, session))
    }

    /// The `StripeCheckoutQueryResponse` of a checkout (ServiceStack leaves out nulls).
    pub fn response_json(&self, session: &crate::stripe::Session) -> Value {
        let mut v = json!({ "SessionId": session.id, "Status": session.status.as_str() });
        if let Some(url) = &session.url {
            if session.status == SessionStatus::Open {
                v["Url"] = json!(url);
            }
        }
        if let Some(secret) = &session.client_secret {
            v["ClientSecret"] = json!(secret);
        }
        if let Some(pi) =
            session.payment_intent.as_deref().and_then(|p| self.stripe.payment_intent(p))
        {
            v["PaymentIntentId"] = json!(pi.id);
            v["PaymentIntentClientSecret"] = json!(pi.client_secret);
        }
        if self.config.return_stripe_account {
            v["StripeAccount"] = json!(self.config.stripe_account);
        }
        v
    }
}

fn session_error(id: &str, e: SessionError) -> ControlError {
    match e {
        SessionError::NotFound => ControlError::not_found(id),
        SessionError::NotOpen(s) => {
            ControlError::conflict(format!("checkout {id} is {}", s.as_str()))
        }
    }
}

impl ControlPlane for Bokamera {
    fn state(&self) -> String {
        let checkouts: Vec<Value> = self
            .checkouts()
            .clone()
            .iter()
            .filter_map(|c| {
                let session = self.stripe.session(&c.session_id)?;
                let mut v = self.response_json(&session);
                v["InternalReferenceId"] = json!(c.internal_reference_id);
                v["CustomerEmail"] = json!(session.paid_email);
                // The comments of the booking paid for, so tests can find an order's checkouts.
                let booking = c.internal_reference_id.parse::<i64>().ok();
                let comments = booking
                    .and_then(|id| lock(&self.bookings).iter().find(|b| b.id == id).cloned())
                    .and_then(|b| b.comments);
                v["BookedComments"] = json!(comments);
                Some(v)
            })
            .collect();
        let bookings: Vec<Booking> = lock(&self.bookings).clone();
        let bookings: Vec<Value> = bookings
            .iter()
            .map(|b| bookings::booking_json(&self.config, b, self.booking_status(b)))
            .collect();
        json!({ "checkouts": checkouts, "bookings": bookings }).to_string()
    }

    async fn act(&self, id: String, action: Action) -> Result<String, ControlError> {
        if self.checkout(&id).is_none() {
            return Err(ControlError::not_found(&id));
        }
        let (session, pending) = match action {
            Action::Pay => self.stripe.complete(&id, None),
            Action::Decline => self.stripe.decline(&id),
            Action::Expire => self.stripe.expire(&id),
        }
        .map_err(|e| session_error(&id, e))?;
        let delivery = self.stripe.dispatch(pending).await;
        Ok(ActResult { object: self.response_json(&session), delivery }.into_text())
    }

    fn set_webhook(&self, _target: WebhookTarget) -> Result<(), ControlError> {
        Err(ControlError::bad_request(
            "BokaMera notifies merchants of nothing; poll POST /payment/stripe/v1/checkout/status",
        ))
    }
}

/// Everything the BokaMera listener serves.
pub fn router(bokamera: Arc<Bokamera>, common: Common) -> Router {
    let api = listener::wrap_api(api::router(bokamera.clone()), &common, api::fault_body, |r| r);
    api.merge(pages::router(bokamera.clone()))
        .merge(bookings::control_router(bokamera.clone()))
        .merge(crate::control::router(bokamera, common))
}
