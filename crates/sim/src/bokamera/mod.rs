//! BokaMera: Stripe checkouts that BokaMera creates for a payable entity (`shared/providers.md`
//! §5, seed 003).
//!
//! BokaMera's checkouts are real Stripe Checkout Sessions on BokaMera's connected account, so
//! the simulator creates them in the Stripe simulator as a platform ([`Owner::Platform`]): the
//! merchant's webhook endpoint hears nothing, `ClientSecret` works with the same Stripe.js
//! stand-in (with `stripeAccount`), and the status call reads the session. `UiMode=hosted`
//! gets a frameable page on BokaMera's own listener, since BokaMera's `Url` is "for checkout
//! module to be placed in a iframe". A new checkout for an `InternalReferenceId` expires the
//! earlier ones.

pub mod api;
pub mod pages;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

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
}

/// A validated create request.
#[derive(Clone, Debug)]
pub struct NewCheckout {
    /// `InternalReferenceId`.
    pub internal_reference_id: String,
    /// `(article, quantity)`.
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
}

impl Bokamera {
    /// A simulator with no checkouts, creating sessions in `stripe`.
    pub fn new(config: BokameraSim, url: String, common: Common, stripe: Arc<Stripe>) -> Self {
        Bokamera { config, url, common, stripe, checkouts: Mutex::default() }
    }

    fn checkouts(&self) -> MutexGuard<'_, Vec<Checkout>> {
        self.checkouts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The article with these ids.
    pub fn article(&self, article_id: i64, article_type_id: i64) -> Option<&BokameraArticle> {
        self.config
            .articles
            .iter()
            .find(|a| a.article_id == article_id && a.article_type_id == article_type_id)
    }

    /// The framed hosted page of a session.
    pub fn page_url(&self, session_id: &str) -> String {
        format!("{}/stripe/checkout/{session_id}", self.url)
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
            |id| self.page_url(id),
        );
        let checkout = Checkout {
            session_id: session.id.clone(),
            internal_reference_id: new.internal_reference_id,
            ui_mode: new.ui_mode,
            confirmation_url: new.confirmation_url,
            cancel_url: new.cancel_url,
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
                Some(v)
            })
            .collect();
        json!({ "checkouts": checkouts }).to_string()
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
    api.merge(pages::router(bokamera.clone())).merge(crate::control::router(bokamera, common))
}
