//! Front Payment (FPGO Connect): card/Vipps/wallet orders, invoices, payment links, hosted
//! checkout, and query-string callbacks with a checksum.
//!
//! Sources: docs.frontpayment.no, book "FPGO Connect": "Create Checkout Session - Card, Vipps,
//! Apple & Google Pay", "Create Session for Invoice Order", "Hosted Checkout" (the seed page
//! `002_efeead955498e7c2.txt`) and "Notifications via Callback URL". What the simulator holds
//! the merchant to, each from those pages:
//! - a **private** customer's invoice order answers a BankID URL (`bankIdUrl`); the order is
//!   invoiced and the callback sent only after BankID ("after BankID verification is completed
//!   successfully our system will notify you"); a corporate one is invoiced at once;
//! - `INVOICED` is not `PAID`: an invoice may later be paid, and "our system will also notify
//!   you for any future status changes" ([`FrontPayment::pay`] on an invoiced order);
//! - `orderFrom` "must be PARTNER" and "indicates that the request originates from a registered
//!   partner": refused unless the token is a partner's ([`FrontPaymentSim::partner`]);
//! - `orderDate` "must be current or future date": a date before today in Oslo is refused
//!   ([`oslo`]);
//! - `submitPayment.via` is one of `vipps, visa, mastercard, applepay, googlepay`;
//! - the hosted create is `POST /api/v1/connect/hosted/orders/payment-link/create`, and its
//!   `customerDetails.organizationId` "Must be number".
//!
//! [`FrontPayment`] holds the orders; [`api`] is the `status_code`/`is_data` envelope API,
//! [`pages`] the payment, hosted checkout and BankID pages, [`callback`] the signed callback.
//! Amounts arrive as decimal numbers in kroner and are kept as integer øre.

pub mod api;
pub mod callback;
pub mod oslo;
pub mod pages;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::Router;

use crate::{
    control::{ActResult, Action, Common, ControlError, ControlPlane, WebhookTarget},
    decimal::format_minor_compact,
    delivery::{Attempt, DeliveryPolicy},
    ids, listener,
};

/// Configuration of the Front Payment simulator.
#[derive(Clone, Debug)]
pub struct FrontPaymentSim {
    /// Port (0 = random).
    pub port: u16,
    /// The token accepted in `Authorization: Bearer …`.
    pub bearer_token: String,
    /// The merchant's secret key in the callback checksum.
    pub secret_key: String,
    /// API base path (default `/api/v1`).
    pub api_prefix: String,
    /// Base paths of the hosted payment-link create. Default `/api/v1` only, as the hosted
    /// checkout page of seed 002 writes the endpoint (an older revision wrote `/v1`, which the
    /// simulator no longer serves).
    pub hosted_prefixes: Vec<String>,
    /// [U] Whether the bearer token is a registered partner's, which alone may send
    /// `orderFrom=PARTNER` (with `fpgoUuid`). Default false: the seed says the value
    /// "indicates that the request originates from a registered partner"; a non-partner's
    /// `PARTNER` is refused with a validation error on `orderFrom`.
    pub partner: bool,
    /// Which revision's checksum formula callbacks use (default current).
    pub checksum_formula: ChecksumFormula,
    /// [U] HTTP method of callbacks (default GET; the docs' handler reads `$_GET`).
    pub callback_method: reqwest::Method,
    /// [U] Whether query parameters already in `callbackUrl` count in the checksum
    /// (default false: only Front Payment's own parameters).
    pub checksum_includes_url_params: bool,
    /// [U] `status` of a paid order in callbacks and the status API (default `PAID`; the
    /// docs' example URL shows `success`).
    pub paid_status: String,
    /// [U] Status of an order whose payment link expired (default `EXPIRED`).
    pub expired_status: String,
    /// [U] Whether a declined payment sends a callback (default false: only success is
    /// documented).
    pub failure_callbacks: bool,
    /// [U] `status` of a declined payment's callback when sent (default `FAILED`).
    pub failed_status: String,
    /// [U] HTTP status of validation errors (default 422, Laravel's).
    pub validation_status: u16,
    /// Allowed `products.*.tax` rates (default 0, 12, 15, 25).
    pub allowed_tax_rates: Vec<u32>,
    /// Whether a private customer's invoice order goes through BankID first. Default true, as
    /// seed 002 shows (a private invoice order answers `bankIdUrl`; the callback comes after
    /// BankID). False invoices it at once, as an older reading had it.
    pub invoice_private_bankid: bool,
    /// [U] Name of the BankID URL field of an invoice submit (default `bankIdUrl`, the seed's).
    pub invoice_url_field: String,
    /// [U] Whether a (non-hosted) payment-link create returns `paymentUrl` (default false).
    pub payment_link_returns_url: bool,
    /// Callback timeout and retry schedule.
    pub delivery: DeliveryPolicy,
}

impl Default for FrontPaymentSim {
    fn default() -> Self {
        FrontPaymentSim {
            port: 0,
            bearer_token: "fpgo-test-token-kassa-sim-0000000000".into(),
            secret_key: "fpgo-test-secret-kassa-sim".into(),
            api_prefix: "/api/v1".into(),
            hosted_prefixes: vec!["/api/v1".into()],
            partner: false,
            checksum_formula: ChecksumFormula::Current,
            callback_method: reqwest::Method::GET,
            checksum_includes_url_params: false,
            paid_status: "PAID".into(),
            expired_status: "EXPIRED".into(),
            failure_callbacks: false,
            failed_status: "FAILED".into(),
            validation_status: 422,
            allowed_tax_rates: vec![0, 12, 15, 25],
            invoice_private_bankid: true,
            invoice_url_field: "bankIdUrl".into(),
            payment_link_returns_url: false,
            delivery: DeliveryPolicy::default(),
        }
    }
}

/// The callback checksum formulas the docs have had.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChecksumFormula {
    /// sha256(all query values except `checksum`, in order, then the secret key).
    Current,
    /// sha256(orderUuid . status . createdAt . amount . timestamp . secretKey), rev ~1179.
    Rev1179,
    /// sha256(orderUuid . status . createdAt . secretKey), rev ~936.
    Rev936,
    /// sha256(orderUuid . status . createdAt), no secret, rev ~934.
    Rev934,
}

impl std::str::FromStr for ChecksumFormula {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "current" => Ok(ChecksumFormula::Current),
            "rev1179" => Ok(ChecksumFormula::Rev1179),
            "rev936" => Ok(ChecksumFormula::Rev936),
            "rev934" => Ok(ChecksumFormula::Rev934),
            other => Err(format!(
                "unknown checksum formula {other:?} (current, rev1179, rev936, rev934)"
            )),
        }
    }
}

/// Which call created an order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrderKind {
    /// `regular/submit` with `submitPayment.via`.
    Regular {
        /// `vipps`, `visa`, `mastercard`, `applepay` or `googlepay`.
        via: String,
    },
    /// `invoice/submit`.
    Invoice,
    /// `payment-link/create` (sent by SMS/e-mail).
    PaymentLink,
    /// `hosted/orders/payment-link/create`.
    Hosted,
}

/// One product line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Product {
    /// `name`.
    pub name: String,
    /// `quantity` as sent.
    pub quantity: String,
    /// `amount`, øre.
    pub amount: i64,
}

/// An order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Order {
    /// `ODR…`.
    pub uuid: String,
    /// `CSRT…`.
    pub customer_uuid: String,
    /// How it was created.
    pub kind: OrderKind,
    /// `SENT`, `PAID`, `INVOICED`, `CANCELLED`, …
    pub status: String,
    /// `private` or `corporate`, when customer details were given.
    pub customer_type: Option<String>,
    /// `orderSummary.grandTotal`, øre.
    pub amount: i64,
    /// Refunded so far, øre.
    pub refunded: i64,
    /// Unix seconds the order was created.
    pub created_at: i64,
    /// `dueDateForPaymentLink`, unix seconds.
    pub due_at: Option<i64>,
    /// `callback.callbackUrl`.
    pub callback_url: Option<String>,
    /// `callback.success`.
    pub success_url: Option<String>,
    /// `callback.failure`.
    pub failure_url: Option<String>,
    /// Lines.
    pub products: Vec<Product>,
    /// `referenceNo` / `referencesNo`.
    pub reference: Option<String>,
    /// `customerDetails.name`.
    pub customer_name: Option<String>,
    /// `customerDetails.email`.
    pub customer_email: Option<String>,
    /// The method paid with.
    pub payment_method: Option<String>,
    /// The invoice number, once invoiced.
    pub invoice_number: Option<String>,
}

/// A validated create request.
#[derive(Clone, Debug)]
pub struct NewOrder {
    /// How it is created.
    pub kind: OrderKind,
    /// `private` or `corporate`.
    pub customer_type: Option<String>,
    /// Reuse of an existing customer.
    pub customer_uuid: Option<String>,
    /// øre.
    pub amount: i64,
    /// Unix seconds.
    pub due_at: Option<i64>,
    /// `callback.callbackUrl`.
    pub callback_url: Option<String>,
    /// `callback.success`.
    pub success_url: Option<String>,
    /// `callback.failure`.
    pub failure_url: Option<String>,
    /// Lines.
    pub products: Vec<Product>,
    /// Our reference.
    pub reference: Option<String>,
    /// Customer name.
    pub customer_name: Option<String>,
    /// Customer email.
    pub customer_email: Option<String>,
}

/// Statuses that end an order's payment.
fn is_open(status: &str) -> bool {
    status == "SENT"
}

/// A display name for a payment method value.
pub fn method_name(via: &str) -> String {
    match via {
        "visa" => "Visa".into(),
        "mastercard" => "Mastercard".into(),
        "vipps" => "Vipps".into(),
        "applepay" => "Apple Pay".into(),
        "googlepay" => "Google Pay".into(),
        "invoice" => "Invoice".into(),
        other => other.to_owned(),
    }
}

#[derive(Debug, Default)]
struct Store {
    orders: Vec<Order>,
}

/// Why an order cannot be acted on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrderError {
    /// Unknown uuid.
    NotFound,
    /// Not awaiting payment.
    NotOpen(String),
}

impl OrderError {
    fn into_control(self, id: &str) -> ControlError {
        match self {
            OrderError::NotFound => ControlError::not_found(id),
            OrderError::NotOpen(status) => {
                ControlError::conflict(format!("order {id} is {status}"))
            }
        }
    }
}

/// The Front Payment simulator's state and behaviour.
#[derive(Debug)]
pub struct FrontPayment {
    /// Configuration.
    pub config: FrontPaymentSim,
    /// Base URL of this listener.
    pub url: String,
    /// Clock, request log, faults and deliveries.
    pub common: Common,
    store: Mutex<Store>,
}

impl FrontPayment {
    /// A simulator with no orders, answering at `url`.
    pub fn new(config: FrontPaymentSim, url: String, common: Common) -> Self {
        FrontPayment { config, url, common, store: Mutex::new(Store::default()) }
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The page a customer pays an order on.
    pub fn payment_url(&self, order: &Order) -> String {
        match &order.kind {
            OrderKind::Hosted => format!("{}/order/hosted/{}/checkout", self.url, order.uuid),
            OrderKind::Invoice => self.bankid_url(order),
            _ => format!("{}/order/{}/pay", self.url, order.uuid),
        }
    }

    /// The simulated BankID verification page of an order.
    pub fn bankid_url(&self, order: &Order) -> String {
        format!("{}/bankid/{}", self.url, order.uuid)
    }

    /// Creates an order. An invoice order is invoiced at once, with its callback sent in the
    /// background, when no BankID is due: for a corporate customer ("BankID flow will be
    /// skipped"), or for a private one when `invoice_private_bankid` is off.
    pub fn create(&self, new: NewOrder) -> Order {
        let now = self.common.clock.now();
        let mut order = Order {
            uuid: format!("ODR{}", ids::digits(10)),
            customer_uuid: new.customer_uuid.unwrap_or_else(|| format!("CSRT{}", ids::digits(10))),
            kind: new.kind,
            status: "SENT".into(),
            customer_type: new.customer_type,
            amount: new.amount,
            refunded: 0,
            created_at: now,
            due_at: new.due_at,
            callback_url: new.callback_url,
            success_url: new.success_url,
            failure_url: new.failure_url,
            products: new.products,
            reference: new.reference,
            customer_name: new.customer_name,
            customer_email: new.customer_email,
            payment_method: None,
            invoice_number: None,
        };
        let instant_invoice = self.invoice_at_once(&mut order);
        self.store().orders.push(order.clone());
        if instant_invoice {
            self.send_invoiced_callback(&order);
        }
        order
    }

    /// Invoices an invoice order at once when it needs no BankID; true if it did.
    fn invoice_at_once(&self, order: &mut Order) -> bool {
        let corporate = order.customer_type.as_deref() == Some("corporate");
        let instant =
            order.kind == OrderKind::Invoice && (corporate || !self.config.invoice_private_bankid);
        if instant {
            order.status = "INVOICED".into();
            order.payment_method = Some("invoice".into());
            order.invoice_number = Some(ids::digits(8));
        }
        instant
    }

    fn send_invoiced_callback(&self, order: &Order) {
        if let Some(callback) = self.callback(order) {
            self.common
                .deliverer
                .deliver_in_background(format!("callback INVOICED {}", order.uuid), callback);
        }
    }

    /// Updates order `uuid` in place from a create that carried `fpgoUuid` (seed 002: "Pass
    /// the orderUuid from a previous response to update that specific order"): new products,
    /// amount, customer and callbacks, and `SENT` again, keeping its uuid. A paid or invoiced
    /// order is not changed ([`OrderError::NotOpen`]); a cancelled or expired one reopens [U].
    pub fn update(&self, uuid: &str, new: NewOrder) -> Result<Order, OrderError> {
        let mut store = self.store();
        self.expire_due(&mut store);
        let order = store.orders.iter_mut().find(|o| o.uuid == uuid).ok_or(OrderError::NotFound)?;
        if order.status == self.config.paid_status || order.status == "INVOICED" {
            return Err(OrderError::NotOpen(order.status.clone()));
        }
        if let Some(customer_uuid) = new.customer_uuid {
            order.customer_uuid = customer_uuid;
        }
        order.kind = new.kind;
        order.status = "SENT".into();
        order.customer_type = new.customer_type;
        order.amount = new.amount;
        order.due_at = new.due_at;
        order.callback_url = new.callback_url;
        order.success_url = new.success_url;
        order.failure_url = new.failure_url;
        order.products = new.products;
        order.reference = new.reference;
        order.customer_name = new.customer_name;
        order.customer_email = new.customer_email;
        order.payment_method = None;
        order.invoice_number = None;
        let instant_invoice = self.invoice_at_once(order);
        let order = order.clone();
        drop(store);
        if instant_invoice {
            self.send_invoiced_callback(&order);
        }
        Ok(order)
    }

    /// Marks payment links past their due date as expired.
    fn expire_due(&self, store: &mut Store) {
        let now = self.common.clock.now();
        for order in &mut store.orders {
            if is_open(&order.status) && order.due_at.is_some_and(|due| due < now) {
                order.status = self.config.expired_status.clone();
            }
        }
    }

    /// The order with `uuid`.
    pub fn order(&self, uuid: &str) -> Option<Order> {
        let mut store = self.store();
        self.expire_due(&mut store);
        store.orders.iter().find(|o| o.uuid == uuid).cloned()
    }

    /// Every order whose status matches `status` (case-insensitive), or all.
    pub fn orders(&self, status: Option<&str>) -> Vec<Order> {
        let mut store = self.store();
        self.expire_due(&mut store);
        store
            .orders
            .iter()
            .filter(|o| status.is_none_or(|s| o.status.eq_ignore_ascii_case(s)))
            .cloned()
            .collect()
    }

    fn update_open(&self, uuid: &str, f: impl FnOnce(&mut Order)) -> Result<Order, OrderError> {
        let mut store = self.store();
        self.expire_due(&mut store);
        let order = store.orders.iter_mut().find(|o| o.uuid == uuid).ok_or(OrderError::NotFound)?;
        if !is_open(&order.status) {
            return Err(OrderError::NotOpen(order.status.clone()));
        }
        f(order);
        Ok(order.clone())
    }

    /// Pays (or, for invoice methods, invoices) the order and sends the callback, awaiting
    /// its first attempt. `method` is the method chosen on a page, if any. An invoiced order
    /// is paid by this too: the customer paid the invoice, and Front Payment reports the
    /// change to the callback URL as it does for any later status change of an invoice.
    pub async fn pay(
        &self,
        uuid: &str,
        method: Option<&str>,
    ) -> Result<(Order, Option<Attempt>), OrderError> {
        let paid_status = self.config.paid_status.clone();
        let invoice_paid = {
            let mut store = self.store();
            let order = store.orders.iter_mut().find(|o| o.uuid == uuid);
            match order {
                Some(order) if order.status == "INVOICED" => {
                    order.status = paid_status.clone();
                    Some(order.clone())
                }
                _ => None,
            }
        };
        if let Some(order) = invoice_paid {
            return Ok((order.clone(), self.send_callback(&order).await));
        }
        let order = self.update_open(uuid, |order| {
            let via = match (&order.kind, method) {
                (_, Some(m)) => m.to_owned(),
                (OrderKind::Regular { via }, None) => via.clone(),
                (OrderKind::Invoice, None) => "invoice".into(),
                _ => "visa".into(),
            };
            if via == "invoice" {
                order.status = "INVOICED".into();
                order.invoice_number = Some(ids::digits(8));
            } else {
                order.status = paid_status;
            }
            order.payment_method = Some(via);
        })?;
        let attempt = self.send_callback(&order).await;
        Ok((order, attempt))
    }

    /// Sends the order's callback with its current status, awaiting the first attempt.
    async fn send_callback(&self, order: &Order) -> Option<Attempt> {
        let cb = self.callback(order)?;
        self.common.deliverer.deliver(format!("callback {} {}", order.status, order.uuid), cb).await
    }

    /// Records a declined payment. Without `failure_callbacks` (the documented behaviour) the
    /// order stays `SENT` and nobody is told; with it [U], the order takes `failed_status`, which
    /// both the callback and the status endpoint then report.
    pub async fn decline(&self, uuid: &str) -> Result<(Order, Option<Attempt>), OrderError> {
        if !self.config.failure_callbacks {
            let order = self.update_open(uuid, |_| {})?;
            return Ok((order, None));
        }
        let failed_status = self.config.failed_status.clone();
        let order = self.update_open(uuid, |o| o.status = failed_status)?;
        let failed = order.clone();
        let attempt = match self.callback(&failed) {
            Some(cb) => {
                self.common
                    .deliverer
                    .deliver(format!("callback {} {}", failed.status, order.uuid), cb)
                    .await
            }
            None => None,
        };
        Ok((order, attempt))
    }

    /// Expires the order's payment link now.
    pub fn expire(&self, uuid: &str) -> Result<Order, OrderError> {
        let expired = self.config.expired_status.clone();
        self.update_open(uuid, |order| order.status = expired)
    }

    /// `POST /connect/orders/cancel/{uuid}`.
    pub fn cancel(&self, uuid: &str) -> Result<Order, OrderError> {
        self.update_open(uuid, |order| order.status = "CANCELLED".into())
    }

    fn callback(&self, order: &Order) -> Option<callback::Callback> {
        let url = order.callback_url.clone()?;
        Some(callback::Callback {
            url,
            notice: callback::Notice {
                order_uuid: order.uuid.clone(),
                status: order.status.clone(),
                payment_method: method_name(order.payment_method.as_deref().unwrap_or("visa")),
                amount: format_minor_compact(order.amount, 2),
                created_at: order.created_at,
            },
            method: self.config.callback_method.clone(),
            formula: self.config.checksum_formula,
            include_url_params: self.config.checksum_includes_url_params,
            secret: self.config.secret_key.clone(),
        })
    }
}

impl ControlPlane for FrontPayment {
    fn state(&self) -> String {
        #[derive(serde::Serialize)]
        #[serde(rename_all = "camelCase")]
        struct StateOrder {
            uuid: String,
            status: String,
            order_amount: Box<serde_json::value::RawValue>,
            refunded_amount: Box<serde_json::value::RawValue>,
            customer_uuid: String,
            payment_url: String,
            payment_method: Option<String>,
            reference: Option<String>,
        }
        let orders: Vec<StateOrder> = self
            .orders(None)
            .into_iter()
            .map(|o| StateOrder {
                payment_url: self.payment_url(&o),
                order_amount: api::exact_number(o.amount),
                refunded_amount: api::exact_number(o.refunded),
                uuid: o.uuid,
                status: o.status,
                customer_uuid: o.customer_uuid,
                payment_method: o.payment_method,
                reference: o.reference,
            })
            .collect();
        #[derive(serde::Serialize)]
        struct State {
            orders: Vec<StateOrder>,
        }
        serde_json::to_string(&State { orders }).unwrap_or_default()
    }

    async fn act(&self, id: String, action: Action) -> Result<String, ControlError> {
        let (order, delivery) = match action {
            Action::Pay => self.pay(&id, None).await,
            Action::Decline => self.decline(&id).await,
            Action::Expire => self.expire(&id).map(|o| (o, None)),
        }
        .map_err(|e| e.into_control(&id))?;
        Ok(ActResult { object: api::status_data(&order), delivery }.into_text())
    }

    fn set_webhook(&self, _target: WebhookTarget) -> Result<(), ControlError> {
        Err(ControlError::bad_request(
            "Front Payment sends callbacks to each order's callback.callbackUrl; there is no account-wide URL",
        ))
    }
}

/// Everything the Front Payment listener serves.
pub fn router(front: Arc<FrontPayment>, common: Common) -> Router {
    let api = listener::wrap_api(api::router(front.clone()), &common, api::fault_body, |r| r);
    api.merge(pages::router(front.clone())).merge(crate::control::router(front, common))
}
