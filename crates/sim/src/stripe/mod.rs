//! Stripe Checkout Sessions, the hosted and embedded pages, Stripe.js and signed webhooks.
//!
//! [`Stripe`] holds the sessions, payment intents and events; the submodules are its faces:
//! [`api`] is `/v1/*` with Stripe's auth and [`idempotency`], [`pages`] the hosted
//! (`/c/pay/{id}`) and embedded (`/embedded/{id}`) pages, [`js`] the Stripe.js stand-in, and
//! [`webhook`] the signed events. BokaMera creates its own sessions here as a platform
//! (see [`Owner::Platform`]), because BokaMera's checkouts are real Stripe sessions.

pub mod api;
pub mod auth;
pub mod error;
pub mod idempotency;
pub mod js;
pub mod model;
pub mod pages;
pub mod webhook;

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use axum::Router;
use serde_json::{json, Value};
use tokio::{sync::watch, task::JoinHandle};

pub use model::{
    ApiVersion, LineItem, Owner, PaymentIntent, PaymentIntentStatus, RedirectOnCompletion, Session,
    SessionStatus, UiMode,
};

use crate::{
    control::{ActResult, Action, Common, ControlError, ControlPlane, WebhookTarget},
    delivery::{Attempt, DeliveryPolicy},
    ids, listener,
};

/// Configuration of the Stripe simulator.
#[derive(Clone, Debug)]
pub struct StripeSim {
    /// Port (0 = random).
    pub port: u16,
    /// The secret key the API accepts (`Bearer` or Basic username).
    pub secret_key: String,
    /// The publishable key Stripe.js must be initialised with.
    pub publishable_key: String,
    /// Where events are posted; `None` until set here or via `POST /__sim/webhook`.
    pub webhook_url: Option<String>,
    /// The endpoint's signing secret (`whsec_…`).
    pub webhook_secret: String,
    /// Shown on the hosted and embedded pages.
    pub merchant_name: String,
    /// The account's default API version, used when a request has no `Stripe-Version`
    /// (default `2025-09-30.clover`, pre-dahlia).
    pub default_api_version: String,
    /// The webhook endpoint's API version; `None` means the account default. [U] which one
    /// an endpoint created by the dashboard gets.
    pub webhook_api_version: Option<String>,
    /// [U] Whether hosted sessions must have `success_url` (default true).
    pub require_success_url: bool,
    /// [U] Whether Stripe.js allows only one live embedded checkout at a time (default true);
    /// a destroyed one never counts.
    pub single_embedded_instance: bool,
    /// Webhook timeout and retry schedule.
    pub delivery: DeliveryPolicy,
}

impl Default for StripeSim {
    fn default() -> Self {
        StripeSim {
            port: 0,
            secret_key: "sk_test_kassasim51000000000000000000000000".into(),
            publishable_key: "pk_test_kassasim51000000000000000000000000".into(),
            webhook_url: None,
            webhook_secret: "whsec_kassasim0000000000000000000000000000".into(),
            merchant_name: "Kassa Demo Shop".into(),
            default_api_version: "2025-09-30.clover".into(),
            webhook_api_version: None,
            require_success_url: true,
            single_embedded_instance: true,
            delivery: DeliveryPolicy::default(),
        }
    }
}

/// A session to create, after validation.
#[derive(Clone, Debug, Default)]
pub struct NewSession {
    /// Hosted or embedded (`None` is hosted).
    pub ui_mode: Option<UiMode>,
    /// Lower-case ISO code.
    pub currency: String,
    /// `(name, description, unit_amount, quantity)`.
    pub lines: Vec<(String, Option<String>, i64, i64)>,
    /// Hosted only.
    pub success_url: Option<String>,
    /// Hosted only.
    pub cancel_url: Option<String>,
    /// Embedded only.
    pub return_url: Option<String>,
    /// Embedded only.
    pub redirect_on_completion: Option<RedirectOnCompletion>,
    /// Echoed.
    pub client_reference_id: Option<String>,
    /// Echoed.
    pub metadata: BTreeMap<String, String>,
    /// Prefill.
    pub customer_email: Option<String>,
    /// Unix seconds; `None` is 24 h from now.
    pub expires_at: Option<i64>,
    /// Copied to the payment intent.
    pub payment_intent_metadata: BTreeMap<String, String>,
    /// Copied to the payment intent.
    pub payment_intent_description: Option<String>,
    /// Echoed.
    pub locale: Option<String>,
    /// Default `["card"]`.
    pub payment_method_types: Vec<String>,
}

/// Why an operation on a session cannot happen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionError {
    /// No session with that id (for that account).
    NotFound,
    /// The session is no longer open.
    NotOpen(SessionStatus),
}

impl SessionError {
    fn into_control(self, id: &str) -> ControlError {
        match self {
            SessionError::NotFound => ControlError::not_found(id),
            SessionError::NotOpen(status) => {
                ControlError::conflict(format!("session {id} is {}", status.as_str()))
            }
        }
    }
}

/// An event to deliver, decided while the store was locked.
#[derive(Clone, Debug)]
pub struct PendingEvent {
    /// The event JSON (already stored in the events list).
    pub event: Value,
    /// Where it goes and with which secret, when it goes anywhere.
    pub target: Option<(String, String)>,
}

#[derive(Debug, Default)]
struct Store {
    sessions: Vec<Session>,
    intents: Vec<PaymentIntent>,
    events: Vec<Value>,
    webhook_url: Option<String>,
    webhook_secret: String,
}

/// The Stripe simulator's state and behaviour.
#[derive(Debug)]
pub struct Stripe {
    /// Configuration.
    pub config: StripeSim,
    /// Base URL of this listener.
    pub url: String,
    /// Clock, request log, faults and deliveries.
    pub common: Common,
    default_version: ApiVersion,
    webhook_version: ApiVersion,
    store: std::sync::Mutex<Store>,
    idempotency: idempotency::Store,
}

fn version_or_default(raw: Option<&str>, fallback: &str) -> ApiVersion {
    raw.and_then(ApiVersion::parse)
        .or_else(|| ApiVersion::parse(fallback))
        .or_else(|| ApiVersion::parse("2025-09-30.clover"))
        .expect("the built-in version parses")
}

impl Stripe {
    /// A simulator with no sessions, answering at `url`.
    pub fn new(config: StripeSim, url: String, common: Common) -> Self {
        let default_version = version_or_default(Some(&config.default_api_version), "");
        let webhook_version =
            version_or_default(config.webhook_api_version.as_deref(), &default_version.raw);
        let store = Store {
            webhook_url: config.webhook_url.clone(),
            webhook_secret: config.webhook_secret.clone(),
            ..Store::default()
        };
        Stripe {
            config,
            url,
            common,
            default_version,
            webhook_version,
            store: std::sync::Mutex::new(store),
            idempotency: idempotency::Store::default(),
        }
    }

    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The account's default API version.
    pub fn default_version(&self) -> &ApiVersion {
        &self.default_version
    }

    /// Creates a session. `hosted_url` builds the page URL of a hosted session from its id
    /// (the merchant's sessions use Stripe's `/c/pay/{id}`).
    pub fn create(
        &self,
        new: NewSession,
        account: Option<String>,
        owner: Owner,
        hosted_url: impl FnOnce(&str) -> String,
    ) -> Session {
        let now = self.common.clock.now();
        let id = format!("cs_test_a1{}", ids::alnum(56));
        let ui_mode = new.ui_mode.unwrap_or(UiMode::Hosted);
        let lines: Vec<LineItem> = new
            .lines
            .into_iter()
            .map(|(name, description, unit_amount, quantity)| LineItem {
                id: format!("li_{}", ids::alnum(24)),
                name,
                description,
                unit_amount,
                quantity,
                currency: new.currency.clone(),
            })
            .collect();
        let amount_total = lines.iter().map(LineItem::amount).sum();
        let session = Session {
            url: (ui_mode == UiMode::Hosted).then(|| hosted_url(&id)),
            client_secret: (ui_mode == UiMode::Embedded)
                .then(|| format!("{id}_secret_{}", ids::alnum(24))),
            id,
            account,
            owner,
            created: now,
            expires_at: new.expires_at.unwrap_or(now + 24 * 3600),
            ui_mode,
            currency: new.currency,
            lines,
            amount_total,
            status: SessionStatus::Open,
            paid: false,
            success_url: new.success_url,
            cancel_url: new.cancel_url,
            return_url: new.return_url,
            redirect_on_completion: new.redirect_on_completion,
            client_reference_id: new.client_reference_id,
            metadata: new.metadata,
            customer_email: new.customer_email,
            paid_email: None,
            payment_intent: None,
            payment_intent_metadata: new.payment_intent_metadata,
            payment_intent_description: new.payment_intent_description,
            locale: new.locale,
            payment_method_types: if new.payment_method_types.is_empty() {
                vec!["card".into()]
            } else {
                new.payment_method_types
            },
        };
        self.store().sessions.push(session.clone());
        session
    }

    /// The session with `id`, after applying any due expiry. `None` also when it belongs to
    /// another account than `account`.
    pub fn session(&self, id: &str) -> Option<Session> {
        let pending = self.sweep();
        self.dispatch_in_background(pending);
        self.store().sessions.iter().find(|s| s.id == id).cloned()
    }

    /// Every session, oldest first.
    pub fn sessions(&self) -> Vec<Session> {
        self.store().sessions.clone()
    }

    /// The payment intent with `id`.
    pub fn payment_intent(&self, id: &str) -> Option<PaymentIntent> {
        self.store().intents.iter().find(|p| p.id == id).cloned()
    }

    /// The event with `id`.
    pub fn event(&self, id: &str) -> Option<Value> {
        self.store().events.iter().find(|e| e["id"] == id).cloned()
    }

    /// Every event, newest first (as `GET /v1/events` lists them).
    pub fn events(&self) -> Vec<Value> {
        self.store().events.iter().rev().cloned().collect()
    }

    /// Pays the session: status `complete`, `payment_status` `paid`, a succeeded payment
    /// intent, and a `checkout.session.completed` event.
    pub fn complete(
        &self,
        id: &str,
        email: Option<String>,
    ) -> Result<(Session, Vec<PendingEvent>), SessionError> {
        let mut pending = self.sweep();
        let now = self.common.clock.now();
        let mut store = self.store();
        let index = open_index(&store, id)?;
        let pi_id = ensure_intent(&mut store, index, now);
        if let Some(pi) = store.intents.iter_mut().find(|p| p.id == pi_id) {
            pi.status = PaymentIntentStatus::Succeeded;
            pi.declined = false;
            pi.latest_charge = Some(format!("ch_{}", ids::alnum(24)));
        }
        let session = &mut store.sessions[index];
        session.status = SessionStatus::Complete;
        session.paid = true;
        session.paid_email = email
            .filter(|e| !e.trim().is_empty())
            .or_else(|| session.customer_email.clone())
            .or_else(|| Some("customer@example.com".into()));
        let session = session.clone();
        let object = session.to_json(&self.webhook_version, None, false);
        pending.push(self.record_event(&mut store, "checkout.session.completed", object, &session));
        Ok((session, pending))
    }

    /// Declines a payment attempt: the payment intent needs a new payment method and carries
    /// `card_declined`; the session stays open; `payment_intent.payment_failed` is sent.
    pub fn decline(&self, id: &str) -> Result<(Session, Vec<PendingEvent>), SessionError> {
        let mut pending = self.sweep();
        let now = self.common.clock.now();
        let mut store = self.store();
        let index = open_index(&store, id)?;
        let pi_id = ensure_intent(&mut store, index, now);
        let pi = store.intents.iter_mut().find(|p| p.id == pi_id).map(|pi| {
            pi.status = PaymentIntentStatus::RequiresPaymentMethod;
            pi.declined = true;
            pi.to_json()
        });
        let session = store.sessions[index].clone();
        if let Some(object) = pi {
            pending.push(self.record_event(
                &mut store,
                "payment_intent.payment_failed",
                object,
                &session,
            ));
        }
        Ok((session, pending))
    }

    /// Expires an open session (and cancels its unfinished payment intent), with a
    /// `checkout.session.expired` event.
    pub fn expire(&self, id: &str) -> Result<(Session, Vec<PendingEvent>), SessionError> {
        let mut pending = self.sweep();
        let mut store = self.store();
        let index = open_index(&store, id)?;
        pending.push(self.expire_at(&mut store, index));
        Ok((store.sessions[index].clone(), pending))
    }

    fn expire_at(&self, store: &mut Store, index: usize) -> PendingEvent {
        let session = &mut store.sessions[index];
        session.status = SessionStatus::Expired;
        let session = session.clone();
        if let Some(pi_id) = &session.payment_intent {
            if let Some(pi) = store.intents.iter_mut().find(|p| &p.id == pi_id) {
                pi.status = PaymentIntentStatus::Canceled;
            }
        }
        let object = session.to_json(&self.webhook_version, None, false);
        self.record_event(store, "checkout.session.expired", object, &session)
    }

    /// Expires every open session whose `expires_at` has passed.
    pub fn sweep(&self) -> Vec<PendingEvent> {
        let now = self.common.clock.now();
        let mut store = self.store();
        let due: Vec<usize> = (0..store.sessions.len())
            .filter(|&i| {
                let s = &store.sessions[i];
                s.status == SessionStatus::Open && s.expires_at <= now
            })
            .collect();
        due.into_iter().map(|i| self.expire_at(&mut store, i)).collect()
    }

    fn record_event(
        &self,
        store: &mut Store,
        kind: &str,
        object: Value,
        session: &Session,
    ) -> PendingEvent {
        let target = match (&session.owner, &store.webhook_url) {
            (Owner::Merchant, Some(url)) => Some((url.clone(), store.webhook_secret.clone())),
            _ => None,
        };
        let event = webhook::event(
            kind,
            object,
            &self.webhook_version.raw,
            self.common.clock.now(),
            session.account.as_deref(),
            target.is_some(),
        );
        store.events.push(event.clone());
        PendingEvent { event, target }
    }

    /// Delivers the events, awaiting each first attempt; returns the first event's attempt.
    pub async fn dispatch(&self, pending: Vec<PendingEvent>) -> Option<Attempt> {
        let mut first = None;
        for p in pending {
            let Some((url, secret)) = p.target else { continue };
            let label = format!("{} {}", p.event["type"].as_str().unwrap_or(""), p.event["id"]);
            let body = serde_json::to_vec_pretty(&p.event).unwrap_or_default();
            let attempt = self
                .common
                .deliverer
                .deliver(label, webhook::SignedEvent { url, secret, body })
                .await;
            first = first.or(attempt);
        }
        first
    }

    /// Delivers the events without waiting.
    pub fn dispatch_in_background(&self, pending: Vec<PendingEvent>) {
        for p in pending {
            let Some((url, secret)) = p.target else { continue };
            let label = format!("{} {}", p.event["type"].as_str().unwrap_or(""), p.event["id"]);
            let body = serde_json::to_vec_pretty(&p.event).unwrap_or_default();
            self.common
                .deliverer
                .deliver_in_background(label, webhook::SignedEvent { url, secret, body });
        }
    }
}

fn open_index(store: &Store, id: &str) -> Result<usize, SessionError> {
    let index = store.sessions.iter().position(|s| s.id == id).ok_or(SessionError::NotFound)?;
    match store.sessions[index].status {
        SessionStatus::Open => Ok(index),
        other => Err(SessionError::NotOpen(other)),
    }
}

/// The session's payment intent, created on the first payment attempt.
fn ensure_intent(store: &mut Store, index: usize, now: i64) -> String {
    if let Some(id) = store.sessions[index].payment_intent.clone() {
        return id;
    }
    let session = &store.sessions[index];
    let id = format!("pi_{}", ids::alnum(24));
    let mut metadata = session.metadata.clone();
    metadata.extend(session.payment_intent_metadata.clone());
    metadata.insert("checkout_session".into(), session.id.clone());
    let intent = PaymentIntent {
        client_secret: format!("{id}_secret_{}", ids::alnum(24)),
        id: id.clone(),
        session_id: session.id.clone(),
        account: session.account.clone(),
        amount: session.amount_total,
        currency: session.currency.clone(),
        status: PaymentIntentStatus::RequiresPaymentMethod,
        declined: false,
        metadata,
        description: session
            .payment_intent_description
            .clone()
            .or_else(|| Some(format!("Checkout session {}", session.id))),
        created: now,
        latest_charge: None,
    };
    store.intents.push(intent);
    store.sessions[index].payment_intent = Some(id.clone());
    id
}

impl ControlPlane for Stripe {
    fn state(&self) -> String {
        let pending = self.sweep();
        self.dispatch_in_background(pending);
        let store = self.store();
        let sessions: Vec<Value> = store
            .sessions
            .iter()
            .map(|s| {
                let mut v = s.to_json(&self.default_version, None, true);
                if let Some(account) = &s.account {
                    v["account"] = json!(account);
                }
                v
            })
            .collect();
        let intents: Vec<Value> = store.intents.iter().map(PaymentIntent::to_json).collect();
        json!({
            "checkout_sessions": sessions,
            "payment_intents": intents,
            "events": store.events,
            "webhook_url": store.webhook_url,
        })
        .to_string()
    }

    async fn act(&self, id: String, action: Action) -> Result<String, ControlError> {
        let result = match action {
            Action::Pay => self.complete(&id, None),
            Action::Decline => self.decline(&id),
            Action::Expire => self.expire(&id),
        };
        let (session, pending) = result.map_err(|e| e.into_control(&id))?;
        let delivery = self.dispatch(pending).await;
        let pi = session.payment_intent.as_deref().and_then(|p| self.payment_intent(p));
        let object = session.to_json(&self.default_version, pi.as_ref(), false);
        Ok(ActResult { object, delivery }.into_text())
    }

    fn set_webhook(&self, target: WebhookTarget) -> Result<(), ControlError> {
        let mut store = self.store();
        store.webhook_url = target.url;
        if let Some(secret) = target.secret {
            store.webhook_secret = secret;
        }
        Ok(())
    }
}

/// Everything the Stripe listener serves.
pub fn router(stripe: Arc<Stripe>, common: Common) -> Router {
    let api = listener::wrap_api(api::router(stripe.clone()), &common, error::fault_body, |r| {
        r.layer(axum::middleware::from_fn_with_state(stripe.clone(), idempotency::middleware))
            .layer(axum::middleware::from_fn_with_state(stripe.clone(), auth::middleware))
    })
    .layer(axum::middleware::from_fn(api::request_id));
    api.merge(pages::router(stripe.clone()))
        .merge(js::router(stripe.clone()))
        .merge(crate::control::router(stripe, common))
}

/// Expires overdue sessions every quarter second and sends their events.
pub fn spawn_sweeper(stripe: Arc<Stripe>, mut shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(250)) => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
            let pending = stripe.sweep();
            stripe.dispatch_in_background(pending);
        }
    })
}
