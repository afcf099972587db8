//! Checkfront API 3.0: rated items with SLIPs, booking sessions, the booking form, booking
//! create as customer or staff, the booking payment page, and unsigned webhooks.
//!
//! Sources: seed `000_5afdd411024e2f02.txt` and github.com/Checkfront/API (`docs/ref/booking/`,
//! `docs/ref/notifications.rst`, `docs/examples/response/`, the v3 README). What the simulator
//! holds Kassa to, by default:
//! - a booking is found by its **code** only, in the API and in the pay URL (the reference
//!   calls every `{booking_id}` "the unique booking code"); a numeric id finds nothing;
//! - the booking **token** comes back on `booking/create` ("now returned on booking/create")
//!   and in `booking/index`, not on `GET booking/{code}` unless `token_on_get` [U];
//! - `GET booking/form` lists the account's fields, among them required ones Kassa has no
//!   field for (`form_fields`: a guide-language select and a pickup-point text by default);
//!   `booking/create` refuses a booking that misses a required field, or names a choice the
//!   select does not have, with Checkfront's `validation_error`;
//! - webhooks are JSON, or XML (`webhook_format`), the XML with the customer's `<code>` before
//!   the booking's, as element order means nothing.
//!
//! [`Checkfront`] holds the catalogue, carts and bookings; [`api`] is the enveloped API,
//! [`pages`] the `/reserve/booking/{code}?CFX=…&view=pay` page, [`webhook`] the payloads.
//! A booking made acting as a customer (`X-On-Behalf: off`) is a pre-booking that lapses after
//! `prebooking_ttl_secs`; a sweeper (and every read) expires it.

pub mod api;
pub mod model;
pub mod pages;
pub mod webhook;

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::Duration,
};

use axum::{extract::State, http::StatusCode, routing::post, Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::{sync::watch, task::JoinHandle};

pub use self::model::CheckfrontItem;
use self::model::{money, Booking, CartSession, Line, Slip};
use crate::{
    control::{ActResult, Action, Common, ControlError, ControlPlane, WebhookTarget},
    delivery::{Attempt, DeliveryPolicy},
    ids, listener,
};

/// Configuration of the Checkfront simulator.
#[derive(Clone, Debug)]
pub struct CheckfrontSim {
    /// Port (0 = random).
    pub port: u16,
    /// Token pair: API key (Basic username).
    pub api_key: String,
    /// Token pair: API secret (Basic password).
    pub api_secret: String,
    /// An OAuth2 access token also accepted as `Bearer`, if any.
    pub access_token: Option<String>,
    /// "Public API" mode: item, session, form and create work without credentials when
    /// acting as a customer (default false).
    pub public_api: bool,
    /// Webhook URL (also settable with `POST /__sim/webhook`).
    pub webhook_url: Option<String>,
    /// Which webhooks are subscribed: `booking` (status changes) and/or `transaction`
    /// (new payments). Default both.
    pub webhook_events: Vec<String>,
    /// Consecutive failures after which the webhook is disabled (default 5; 0 never).
    pub webhook_disable_after: u32,
    /// [U] Pre-booking lifetime in seconds (the forum says 15 or 30 minutes; default 900).
    pub prebooking_ttl_secs: i64,
    /// [U] Status id of a customer pre-booking (default `PEND`; its real id was not found).
    pub prebooking_status_id: String,
    /// [U] Status id a lapsed pre-booking gets (default `VOID`).
    pub expired_status_id: String,
    /// Status id of a booking made as staff (default `PEND`).
    pub staff_status_id: String,
    /// [U] HTTP status of a validation error inside the envelope (default 200).
    pub validation_error_status: u16,
    /// The booking form's fields, in order (`GET booking/form`).
    pub form_fields: Vec<FormField>,
    /// [U] Whether `GET booking/{code}` also answers the booking's token (default false).
    pub token_on_get: bool,
    /// Whether `booking/create` answers the token (default true, as the v3 README says);
    /// off, for testing a reader that must find it elsewhere.
    pub token_on_create: bool,
    /// How webhooks are encoded: JSON (default) or XML, as the merchant picks in Checkfront.
    pub webhook_format: WebhookFormat,
    /// Booking-form fields required when acting as a customer.
    pub customer_required_fields: Vec<String>,
    /// Booking-form fields required when acting as staff.
    pub staff_required_fields: Vec<String>,
    /// The account's name in the envelope.
    pub company_name: String,
    /// The account's host, as in `host_id` and the webhooks.
    pub host: String,
    /// The account currency (default `NOK`).
    pub currency: String,
    /// The catalogue.
    pub items: Vec<CheckfrontItem>,
    /// Where the payment page sends the customer after paying (the account's redirect
    /// setting); `{code}` is replaced by the booking code. Without it a receipt is shown.
    pub return_url: Option<String>,
    /// Where Cancel and the declined page lead; without it, back to the booking page.
    pub cancel_url: Option<String>,
    /// Webhook timeout and retry schedule.
    pub delivery: DeliveryPolicy,
}

impl Default for CheckfrontSim {
    fn default() -> Self {
        CheckfrontSim {
            port: 0,
            api_key: "cf-test-key-kassa-sim".into(),
            api_secret: "cf-test-secret-kassa-sim".into(),
            access_token: None,
            public_api: false,
            webhook_url: None,
            webhook_events: vec!["booking".into(), "transaction".into()],
            webhook_disable_after: 5,
            prebooking_ttl_secs: 900,
            prebooking_status_id: "PEND".into(),
            expired_status_id: "VOID".into(),
            staff_status_id: "PEND".into(),
            validation_error_status: 200,
            form_fields: FormField::defaults(),
            token_on_get: false,
            token_on_create: true,
            webhook_format: WebhookFormat::Json,
            customer_required_fields: vec![
                "customer_name".into(),
                "customer_email".into(),
                "guide_language".into(),
                "pickup_point".into(),
            ],
            staff_required_fields: vec!["customer_name".into(), "guide_language".into()],
            company_name: "Kassa Fjord Tours".into(),
            host: "kassa-sim.checkfront.com".into(),
            currency: "NOK".into(),
            items: model::default_items(),
            return_url: None,
            cancel_url: None,
            delivery: DeliveryPolicy::default(),
        }
    }
}

/// How the booking form asks for a field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormField {
    /// Field id, the key in `form[…]`.
    pub id: String,
    /// `layout.lbl`.
    pub label: String,
    /// `layout.type`: `text`, `textarea`, `select` or `checkbox`.
    pub kind: String,
    /// A select's choices, value → label. The simulator's JSON objects keep their keys
    /// sorted, so the choices are answered in value order whatever order they are given in.
    pub options: Vec<(String, String)>,
}

impl FormField {
    fn new(id: &str, label: &str, kind: &str) -> Self {
        FormField { id: id.into(), label: label.into(), kind: kind.into(), options: vec![] }
    }

    /// The standard fields and the two this simulated account adds.
    pub fn defaults() -> Vec<FormField> {
        let mut language = FormField::new("guide_language", "Guide language", "select");
        language.options = [("de", "Deutsch"), ("en", "English"), ("nb", "Norsk")]
            .iter()
            .map(|(v, l)| ((*v).to_owned(), (*l).to_owned()))
            .collect();
        let mut country = FormField::new("customer_country", "Country", "select");
        country.options = [("NO", "Norway"), ("SE", "Sweden"), ("DK", "Denmark")]
            .iter()
            .map(|(v, l)| ((*v).to_owned(), (*l).to_owned()))
            .collect();
        vec![
            FormField::new("customer_name", "Name", "text"),
            FormField::new("customer_email", "Email", "text"),
            FormField::new("customer_phone", "Phone", "text"),
            language,
            FormField::new("pickup_point", "Pickup point", "text"),
            FormField::new("customer_address", "Address", "text"),
            FormField::new("customer_city", "City", "text"),
            country,
            FormField::new("customer_postal_zip", "Postal / Zip", "text"),
            FormField::new("note", "Note", "textarea"),
        ]
    }
}

/// How webhooks are encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum WebhookFormat {
    /// The XML-to-JSON rendering (`@attributes`).
    Json,
    /// `<checkfront-notify>` XML.
    Xml,
}

/// An error reported inside the envelope: `request.status:"ERROR"` and `request.error`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CfError {
    /// HTTP status.
    pub status: StatusCode,
    /// `error.id`.
    pub id: &'static str,
    /// `error.title`.
    pub title: String,
    /// `error.details`.
    pub details: String,
    /// `error.data`. Boxed: it is seldom set, and a `Value` inline would make every
    /// `Result<_, CfError>` carry its bytes (clippy `result_large_err`).
    pub data: Box<Value>,
}

impl CfError {
    fn new(status: StatusCode, id: &'static str, title: &str, details: String) -> Self {
        CfError { status, id, title: title.into(), details, data: Box::new(json!({})) }
    }
}

/// Who the request acts as (`X-On-Behalf`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Behalf {
    /// `X-On-Behalf: off`.
    Customer,
    /// A staff id, or the token's own account.
    Staff,
}

#[derive(Debug, Default)]
struct Store {
    sessions: Vec<CartSession>,
    bookings: Vec<Booking>,
    next_booking_id: u64,
    webhook_url: Option<String>,
    return_url: Option<String>,
    cancel_url: Option<String>,
}

/// The Checkfront simulator's state and behaviour.
#[derive(Debug)]
pub struct Checkfront {
    /// Configuration.
    pub config: CheckfrontSim,
    /// Base URL of this listener.
    pub url: String,
    /// Clock, request log, faults and deliveries.
    pub common: Common,
    health: Arc<webhook::Health>,
    store: Mutex<Store>,
}

/// Webhooks decided while the store was locked.
type Pending = Vec<(String, Value)>;

impl Checkfront {
    /// A simulator with the configured catalogue and no bookings.
    pub fn new(config: CheckfrontSim, url: String, common: Common) -> Self {
        let store = Store {
            next_booking_id: 157,
            webhook_url: config.webhook_url.clone(),
            return_url: config.return_url.clone(),
            cancel_url: config.cancel_url.clone(),
            ..Store::default()
        };
        Checkfront { config, url, common, health: Arc::default(), store: Mutex::new(store) }
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A form field's label, as the form gives it.
    pub fn field_label(&self, id: &str) -> String {
        self.config
            .form_fields
            .iter()
            .find(|f| f.id == id)
            .map_or_else(|| api::field_label(id), |f| f.label.clone())
    }

    /// The item with `item_id`.
    pub fn item(&self, item_id: u32) -> Option<&CheckfrontItem> {
        self.config.items.iter().find(|i| i.item_id == item_id)
    }

    /// A status id's display name.
    pub fn status_name(&self, booking: &Booking) -> String {
        if booking.as_customer
            && booking.status_id == self.config.prebooking_status_id
            && booking.paid_total == 0
        {
            return "Pre-Booking".into();
        }
        match booking.status_id.as_str() {
            "PEND" => "Pending",
            "HOLD" => "Hold",
            "PART" => "Deposit",
            "PAID" => "Paid",
            "WAIT" => "Waiting",
            "STOP" => "Stop",
            "VOID" => "Void",
            other => other,
        }
        .into()
    }

    fn holds_inventory(&self, booking: &Booking) -> bool {
        !matches!(booking.status_id.as_str(), "VOID" | "STOP")
            && booking.status_id != self.config.expired_status_id
    }

    /// Units of `item_id` still free on `day`.
    fn available_in(&self, store: &Store, item_id: u32, day: i64) -> u32 {
        let stock = self.item(item_id).map_or(0, |i| i.stock);
        let taken: u32 = store
            .bookings
            .iter()
            .filter(|b| self.holds_inventory(b))
            .flat_map(|b| b.lines.iter())
            .filter(|l| l.slip.item_id == item_id && l.slip.start <= day && day <= l.slip.end())
            .map(|l| l.slip.qty())
            .sum();
        stock.saturating_sub(taken)
    }

    /// The fewest units free on any day of `[start, end]`.
    pub fn available(&self, item_id: u32, start: i64, end: i64) -> u32 {
        let mut store = self.store();
        let pending = self.expire_due(&mut store);
        let free = (start..=end).map(|d| self.available_in(&store, item_id, d)).min().unwrap_or(0);
        drop(store);
        self.send_in_background(pending);
        free
    }

    fn line(&self, line_id: String, slip: Slip) -> Result<Line, CfError> {
        if slip.qty() == 0 {
            return Err(CfError::new(
                StatusCode::OK,
                "invalid_slip",
                "Invalid SLIP",
                "Nothing is booked on this SLIP.".into(),
            ));
        }
        let item = self.item(slip.item_id).ok_or_else(|| {
            CfError::new(
                StatusCode::OK,
                "invalid_slip",
                "Invalid SLIP",
                format!("No item {}", slip.item_id),
            )
        })?;
        let total = item.price.checked_mul(i64::from(slip.qty())).ok_or_else(|| {
            CfError::new(
                StatusCode::OK,
                "invalid_slip",
                "Invalid SLIP",
                "quantity too large".into(),
            )
        })?;
        Ok(Line { line_id, name: item.name.clone(), sku: item.sku.clone(), total, slip })
    }

    fn parse_slip(text: &str) -> Result<Slip, CfError> {
        Slip::parse(text).ok_or_else(|| {
            CfError::new(
                StatusCode::OK,
                "invalid_slip",
                "Invalid SLIP",
                format!("The SLIP {text:?} is not valid."),
            )
        })
    }

    /// `POST booking/session`: starts or extends a cart. `alter` maps line ids to a new
    /// quantity or `remove`.
    pub fn session_update(
        &self,
        session_id: Option<&str>,
        slips: &[String],
        alter: &BTreeMap<String, String>,
    ) -> Result<CartSession, CfError> {
        let now = self.common.clock.now();
        let mut store = self.store();
        let index = match session_id.filter(|s| !s.is_empty()) {
            Some(id) => {
                store.sessions.iter().position(|s| s.id == id && !s.ended).ok_or_else(|| {
                    CfError::new(
                        StatusCode::OK,
                        "invalid_session",
                        "Invalid session",
                        format!("No open booking session {id}."),
                    )
                })?
            }
            None => {
                store.sessions.push(CartSession {
                    id: ids::alnum(26).to_ascii_lowercase(),
                    created: now,
                    lines: vec![],
                    ended: false,
                });
                store.sessions.len() - 1
            }
        };
        let mut lines = store.sessions[index].lines.clone();
        for text in slips {
            let next =
                lines.iter().filter_map(|l| l.line_id.parse::<u32>().ok()).max().unwrap_or(0) + 1;
            lines.push(self.line(next.to_string(), Self::parse_slip(text)?)?);
        }
        for (line_id, change) in alter {
            let Some(pos) = lines.iter().position(|l| &l.line_id == line_id) else {
                return Err(CfError::new(
                    StatusCode::OK,
                    "invalid_line",
                    "Invalid line",
                    format!("No line {line_id}."),
                ));
            };
            if change == "remove" {
                lines.remove(pos);
                continue;
            }
            let qty: u32 = change.parse().map_err(|_| {
                CfError::new(
                    StatusCode::OK,
                    "invalid_alter",
                    "Invalid change",
                    format!("{change:?} is not a quantity."),
                )
            })?;
            let mut slip = lines[pos].slip.clone();
            slip.params = vec![(slip.params.first().map_or("qty".into(), |(n, _)| n.clone()), qty)];
            lines[pos] = self.line(line_id.clone(), slip)?;
        }
        store.sessions[index].lines = lines;
        Ok(store.sessions[index].clone())
    }

    /// `GET booking/session?session_id=…`.
    pub fn session(&self, id: &str) -> Option<CartSession> {
        self.store().sessions.iter().find(|s| s.id == id && !s.ended).cloned()
    }

    /// `POST booking/session/clear` (`end` also closes it).
    pub fn session_clear(&self, id: &str, end: bool) -> bool {
        let mut store = self.store();
        match store.sessions.iter_mut().find(|s| s.id == id && !s.ended) {
            Some(session) => {
                session.lines.clear();
                session.ended = end;
                true
            }
            None => false,
        }
    }

    /// `POST booking/create`.
    pub fn create_booking(
        &self,
        session_id: Option<&str>,
        slips: &[String],
        fields: BTreeMap<String, String>,
        behalf: &Behalf,
    ) -> Result<(Booking, Pending), CfError> {
        let lines = match session_id.filter(|s| !s.is_empty()) {
            Some(id) => {
                self.session(id)
                    .ok_or_else(|| {
                        CfError::new(
                            StatusCode::OK,
                            "invalid_session",
                            "Invalid session",
                            format!("No open booking session {id}."),
                        )
                    })?
                    .lines
            }
            None => slips
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    Self::parse_slip(s).and_then(|slip| self.line((i + 1).to_string(), slip))
                })
                .collect::<Result<Vec<_>, _>>()?,
        };
        if lines.is_empty() {
            return Err(CfError::new(
                StatusCode::OK,
                "empty_booking",
                "Nothing to book",
                "The booking session is empty.".into(),
            ));
        }
        let required = match behalf {
            Behalf::Customer => &self.config.customer_required_fields,
            Behalf::Staff => &self.config.staff_required_fields,
        };
        let missing: Vec<&String> = required
            .iter()
            .filter(|f| fields.get(*f).is_none_or(|v| v.trim().is_empty()))
            .collect();
        if !missing.is_empty() {
            let labels: Vec<String> = missing.iter().map(|f| self.field_label(f)).collect();
            let data: BTreeMap<&str, String> =
                missing.iter().map(|f| (f.as_str(), self.field_label(f))).collect();
            let mut error = CfError::new(
                StatusCode::from_u16(self.config.validation_error_status).unwrap_or(StatusCode::OK),
                "validation_error",
                "Missing required fields",
                format!("The following fields are required: {}", labels.join(", ")),
            );
            error.data = Box::new(json!(data));
            return Err(error);
        }
        let bad_choice = self.config.form_fields.iter().find(|f| {
            !f.options.is_empty()
                && fields
                    .get(&f.id)
                    .is_some_and(|v| !v.is_empty() && !f.options.iter().any(|(o, _)| o == v))
        });
        if let Some(f) = bad_choice {
            let mut error = CfError::new(
                StatusCode::from_u16(self.config.validation_error_status).unwrap_or(StatusCode::OK),
                "validation_error",
                "Invalid field",
                format!("{} is not one of the choices.", f.label),
            );
            error.data = Box::new(json!({ f.id.clone(): f.label }));
            return Err(error);
        }

        let now = self.common.clock.now();
        let mut store = self.store();
        let mut pending = self.expire_due(&mut store);
        for line in &lines {
            let free = (line.slip.start..=line.slip.end())
                .map(|d| self.available_in(&store, line.slip.item_id, d))
                .min()
                .unwrap_or(0);
            if free < line.slip.qty() {
                return Err(CfError::new(
                    StatusCode::OK,
                    "unavailable",
                    "Not available",
                    format!("{} is not available for those dates ({free} left).", line.name),
                ));
            }
        }
        let as_customer = *behalf == Behalf::Customer;
        let booking = Booking {
            booking_id: store.next_booking_id,
            code: format!("{}-{}", ids::upper(4), ids::digits(6)),
            token: ids::alnum(32).to_ascii_lowercase(),
            status_id: if as_customer {
                self.config.prebooking_status_id.clone()
            } else {
                self.config.staff_status_id.clone()
            },
            created: now,
            expires_at: as_customer.then_some(now + self.config.prebooking_ttl_secs),
            as_customer,
            lines,
            paid_total: 0,
            fields,
        };
        store.next_booking_id += 1;
        store.bookings.push(booking.clone());
        if let Some(id) = session_id {
            if let Some(s) = store.sessions.iter_mut().find(|s| s.id == id) {
                s.ended = true;
            }
        }
        pending.extend(self.booking_hook(&store, &booking));
        Ok((booking, pending))
    }

    /// The payment page URL of a booking.
    pub fn pay_url(&self, booking: &Booking) -> String {
        format!("{}/reserve/booking/{}?CFX={}&view=pay", self.url, booking.code, booking.token)
    }

    /// The booking with this code; a numeric booking id finds nothing, as the reference
    /// names every booking by code.
    pub fn booking(&self, key: &str) -> Option<Booking> {
        let mut store = self.store();
        let pending = self.expire_due(&mut store);
        let found = store.bookings.iter().find(|b| b.code == key).cloned();
        drop(store);
        self.send_in_background(pending);
        found
    }

    /// Every booking, oldest first.
    pub fn bookings(&self) -> Vec<Booking> {
        let mut store = self.store();
        let pending = self.expire_due(&mut store);
        let all = store.bookings.clone();
        drop(store);
        self.send_in_background(pending);
        all
    }

    fn awaiting_payment(&self, booking: &Booking) -> bool {
        self.holds_inventory(booking)
            && booking.status_id != "PAID"
            && booking.paid_total < booking.total()
    }

    /// Pays the balance on the payment page: status `PAID`, webhooks awaited.
    pub async fn pay(&self, key: &str) -> Result<(Booking, Option<Attempt>), ControlError> {
        let now = self.common.clock.now();
        let (booking, pending) = {
            let mut store = self.store();
            let mut pending = self.expire_due(&mut store);
            let booking = store
                .bookings
                .iter_mut()
                .find(|b| b.code == key)
                .ok_or_else(|| ControlError::not_found(key))?;
            if !self.awaiting_payment(booking) {
                return Err(ControlError::conflict(format!(
                    "booking {key} is {}",
                    booking.status_id
                )));
            }
            booking.status_id = "PAID".into();
            booking.paid_total = booking.total();
            booking.expires_at = None;
            let booking = booking.clone();
            pending.extend(self.booking_hook(&store, &booking));
            pending.extend(self.transaction_hook(&store, &booking, now));
            (booking, pending)
        };
        let attempt = self.send(pending).await;
        Ok((booking, attempt))
    }

    /// Expires a pre-booking now (as if its time ran out).
    pub async fn expire(&self, key: &str) -> Result<(Booking, Option<Attempt>), ControlError> {
        let (booking, pending) = {
            let mut store = self.store();
            let mut pending = self.expire_due(&mut store);
            let booking = store
                .bookings
                .iter_mut()
                .find(|b| b.code == key)
                .ok_or_else(|| ControlError::not_found(key))?;
            if !self.awaiting_payment(booking) {
                return Err(ControlError::conflict(format!(
                    "booking {key} is {}",
                    booking.status_id
                )));
            }
            booking.status_id = self.config.expired_status_id.clone();
            booking.expires_at = None;
            let booking = booking.clone();
            pending.extend(self.booking_hook(&store, &booking));
            (booking, pending)
        };
        let attempt = self.send(pending).await;
        Ok((booking, attempt))
    }

    /// `POST booking/{code}/update`: a new status, optionally recording a payment.
    pub fn update(&self, key: &str, status_id: &str, set_paid: bool) -> Result<Booking, CfError> {
        let now = self.common.clock.now();
        let mut store = self.store();
        let mut pending = self.expire_due(&mut store);
        let booking = store.bookings.iter_mut().find(|b| b.code == key).ok_or_else(|| {
            CfError::new(
                StatusCode::NOT_FOUND,
                "booking_not_found",
                "Booking not found",
                format!("No booking {key}."),
            )
        })?;
        booking.status_id = status_id.to_owned();
        booking.expires_at = None;
        let paid_now = set_paid && status_id == "PAID" && booking.paid_total < booking.total();
        if paid_now {
            booking.paid_total = booking.total();
        }
        let booking = booking.clone();
        pending.extend(self.booking_hook(&store, &booking));
        if paid_now {
            pending.extend(self.transaction_hook(&store, &booking, now));
        }
        drop(store);
        self.send_in_background(pending);
        Ok(booking)
    }

    /// Lapses customer pre-bookings whose time is up; returns their webhooks.
    fn expire_due(&self, store: &mut Store) -> Pending {
        let now = self.common.clock.now();
        let mut lapsed = Vec::new();
        for booking in &mut store.bookings {
            if booking.expires_at.is_some_and(|t| t <= now) && booking.paid_total == 0 {
                booking.status_id = self.config.expired_status_id.clone();
                booking.expires_at = None;
                lapsed.push(booking.clone());
            }
        }
        lapsed.iter().flat_map(|b| self.booking_hook(store, b)).collect()
    }

    /// Lapses due pre-bookings and sends their webhooks (the sweeper's tick).
    pub fn sweep(&self) {
        let mut store = self.store();
        let pending = self.expire_due(&mut store);
        drop(store);
        self.send_in_background(pending);
    }

    fn subscribed(&self, event: &str) -> bool {
        self.config.webhook_events.iter().any(|e| e == event)
    }

    fn booking_hook(&self, store: &Store, booking: &Booking) -> Option<(String, Value)> {
        let url = store.webhook_url.clone().filter(|_| self.subscribed("booking"))?;
        let body = webhook::booking_payload(booking, &self.config.host, &self.config.currency);
        Some((url, body))
    }

    fn transaction_hook(
        &self,
        store: &Store,
        booking: &Booking,
        now: i64,
    ) -> Option<(String, Value)> {
        let url = store.webhook_url.clone().filter(|_| self.subscribed("transaction"))?;
        let id = format!("TXN-{}", ids::digits(8));
        Some((url, webhook::transaction_payload(booking, &self.config.host, &id, now)))
    }

    fn message(&self, url: String, body: &Value) -> webhook::Webhook {
        let (body, content_type) = match self.config.webhook_format {
            WebhookFormat::Json => {
                (serde_json::to_vec(body).unwrap_or_default(), "application/json")
            }
            WebhookFormat::Xml => (webhook::to_xml(body).into_bytes(), "application/xml"),
        };
        webhook::Webhook {
            url,
            body,
            content_type,
            health: self.health.clone(),
            disable_after: self.config.webhook_disable_after,
        }
    }

    fn label(body: &Value) -> String {
        match (body.pointer("/booking/code"), body.pointer("/transaction/booking_id")) {
            (Some(code), _) => format!("booking {}", code.as_str().unwrap_or_default()),
            (_, Some(code)) => format!("transaction {}", code.as_str().unwrap_or_default()),
            _ => "webhook".into(),
        }
    }

    async fn send(&self, pending: Pending) -> Option<Attempt> {
        let mut first = None;
        for (url, body) in pending {
            let attempt =
                self.common.deliverer.deliver(Self::label(&body), self.message(url, &body)).await;
            first = first.or(attempt);
        }
        first
    }

    fn send_in_background(&self, pending: Pending) {
        for (url, body) in pending {
            self.common
                .deliverer
                .deliver_in_background(Self::label(&body), self.message(url, &body));
        }
    }

    /// Where the payment page sends the customer after paying, if configured.
    pub fn return_url(&self, booking: &Booking) -> Option<String> {
        self.store().return_url.as_ref().map(|u| u.replace("{code}", &booking.code))
    }

    /// Where Cancel leads, if configured.
    pub fn cancel_url(&self, booking: &Booking) -> Option<String> {
        self.store().cancel_url.as_ref().map(|u| u.replace("{code}", &booking.code))
    }

    /// Sends a booking's webhook for its creation (not awaited).
    pub fn announce(&self, pending: Pending) {
        self.send_in_background(pending);
    }
}

impl ControlPlane for Checkfront {
    fn state(&self) -> String {
        let bookings: Vec<Value> = self
            .bookings()
            .iter()
            .map(|b| {
                let mut v = b.to_json(&self.config.currency, &self.status_name(b));
                v["pay_url"] = json!(self.pay_url(b));
                v["token"] = json!(b.token);
                v["expires_at"] = json!(b.expires_at);
                v
            })
            .collect();
        let store = self.store();
        json!({
            "bookings": bookings,
            "sessions": store.sessions.iter().map(|s| json!({"id": s.id, "ended": s.ended, "lines": s.lines.len(), "total": money(s.lines.iter().map(|l| l.total).sum())})).collect::<Vec<_>>(),
            "webhook_url": store.webhook_url,
            "webhook_failures": self.health.failures(),
            "return_url": store.return_url,
            "cancel_url": store.cancel_url,
        })
        .to_string()
    }

    async fn act(&self, id: String, action: Action) -> Result<String, ControlError> {
        let (booking, delivery) = match action {
            Action::Pay => self.pay(&id).await?,
            Action::Expire => self.expire(&id).await?,
            Action::Decline => {
                let booking = self.booking(&id).ok_or_else(|| ControlError::not_found(&id))?;
                if !self.awaiting_payment(&booking) {
                    return Err(ControlError::conflict(format!(
                        "booking {id} is {}",
                        booking.status_id
                    )));
                }
                (booking, None)
            }
        };
        let object = booking.to_json(&self.config.currency, &self.status_name(&booking));
        Ok(ActResult { object, delivery }.into_text())
    }

    fn set_webhook(&self, target: WebhookTarget) -> Result<(), ControlError> {
        if target.secret.is_some() {
            return Err(ControlError::bad_request(
                "Checkfront webhooks are unsigned; there is no secret",
            ));
        }
        self.store().webhook_url = target.url;
        self.health.reset();
        Ok(())
    }
}

/// The body of `POST /__sim/return-urls`.
#[derive(Debug, Deserialize)]
struct ReturnUrls {
    #[serde(default)]
    success: Option<String>,
    #[serde(default)]
    cancel: Option<String>,
}

async fn set_return_urls(
    State(cf): State<Arc<Checkfront>>,
    Json(urls): Json<ReturnUrls>,
) -> Json<Value> {
    let mut store = cf.store();
    store.return_url = urls.success;
    store.cancel_url = urls.cancel;
    Json(json!({ "success": store.return_url, "cancel": store.cancel_url }))
}

/// Everything the Checkfront listener serves.
pub fn router(cf: Arc<Checkfront>, common: Common) -> Router {
    let api = listener::wrap_api(api::router(cf.clone()), &common, api::fault_body, |r| r);
    api.merge(pages::router(cf.clone()))
        .merge(
            Router::new().route("/__sim/return-urls", post(set_return_urls)).with_state(cf.clone()),
        )
        .merge(crate::control::router(cf, common))
}

/// Lapses due pre-bookings every quarter second.
pub fn spawn_sweeper(cf: Arc<Checkfront>, mut shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(250)) => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
            cf.sweep();
        }
    })
}
