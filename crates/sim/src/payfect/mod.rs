//! Payfect: crypto/card checkouts with Fernet-signed callbacks.
//!
//! Sources: github.com/Payfect/payfect-doc: `docs/payment/create.md` (seed
//! `001_c6386d4c04e7a41f.txt`), `docs/payment/callback.md` ("Callback for Checkout
//! Success"), `docs/errors.md` (200 for success; no 201 listed). What the simulator holds
//! Kassa to, by default:
//! - a create answers **200**; only a **success** sends a callback (a decline leaves the
//!   checkout open until it expires, which a read shows); `failure_callbacks` turns on a
//!   `failed` callback [U];
//! - a unit price is stored in **whole units**, half to even, as the docs turn `"20.5"` into
//!   `"20.00"` [U] (`unit_rounding`);
//! - an item may be priced in another currency than the checkout (the curl example: `CNY`
//!   checkout, `TWD` item); it is converted at a configured rate, and refused without one;
//! - the callback names the crypto the customer paid with (`usdt`, as in the callback
//!   example), its amount converted at a configured rate [U] (`callback_currency`);
//! - `payment_method_data` is optional (default `usdt` on `tron`).
//!
//! [`Payfect`] holds checkouts, products and prices; [`api`] is the DRF-style REST API,
//! [`pages`] the hosted checkout page at `/checkouts/{id}`, [`callback`] the signed callback.
//! Checkouts expire lazily: any read after `expiresAt` sees `expired`.

pub mod api;
pub mod callback;
pub mod model;
pub mod pages;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
};

use axum::Router;
use serde_json::{json, Value};

use self::model::{Checkout, InvoiceItem, PriceData, Status};
use crate::{
    clock::Clock,
    control::{ActResult, Action, Common, ControlError, ControlPlane, WebhookTarget},
    delivery::{Attempt, DeliveryPolicy},
    ids, listener,
};

/// Configuration of the Payfect simulator.
#[derive(Clone, Debug)]
pub struct PayfectSim {
    /// Port (0 = random).
    pub port: u16,
    /// The key accepted in `Authorization: Api-Key <key>`.
    pub api_key: String,
    /// The merchant's Fernet key (base64url of 32 bytes) that signs callbacks.
    pub fernet_key: String,
    /// API base path (default `/api/v1`, the docs' curl examples).
    pub path_prefix: String,
    /// [V discrepancy] Further base paths served too (default `["/api"]`, the Python SDK's).
    pub extra_path_prefixes: Vec<String>,
    /// [U] Whether a declined payment sends a callback with status `failed` (default false:
    /// the docs describe a callback for success only).
    pub failure_callbacks: bool,
    /// HTTP status of a successful create (default 200, the only success in `errors.md`).
    pub create_status: u16,
    /// [U] How a unit price is stored (default whole units, half to even: `"20.5"` → 20).
    pub unit_rounding: UnitRounding,
    /// [U] Which currency a callback names (default the crypto paid with, `usdt`).
    pub callback_currency: CallbackCurrency,
    /// Conversion rates: an item priced in another currency than its checkout, and a
    /// callback in the paid crypto. Simulator stand-ins, not market rates.
    pub rates: Vec<Rate>,
    /// [U] Lifetime of a checkout in seconds (default 3600).
    pub checkout_ttl_secs: i64,
    /// [U] Decimal places of amounts (default 2, as `"20.00"`).
    pub amount_decimal_places: u32,
    /// The merchant's id (UUID) in responses and callbacks.
    pub merchant_id: String,
    /// The merchant's name.
    pub merchant_name: String,
    /// The dashboard webhook URL, used when a checkout has no `callback_url`.
    pub dashboard_callback_url: Option<String>,
    /// Callback timeout and retry schedule.
    pub delivery: DeliveryPolicy,
}

impl Default for PayfectSim {
    fn default() -> Self {
        PayfectSim {
            port: 0,
            api_key: "KassaSim.payfect-test-api-key-0000000000".into(),
            fernet_key: "a2Fzc2Etc2ltLXBheWZlY3QtZmVybmV0LWtleS0zMmI=".into(),
            path_prefix: "/api/v1".into(),
            extra_path_prefixes: vec!["/api".into()],
            failure_callbacks: false,
            create_status: 200,
            unit_rounding: UnitRounding::WholeUnitsHalfEven,
            callback_currency: CallbackCurrency::Paid,
            rates: vec![
                Rate::new("NOK", "usdt", 94_000),
                Rate::new("USD", "usdt", 1_000_000),
                Rate::new("TWD", "CNY", 225_000),
            ],
            checkout_ttl_secs: 3600,
            amount_decimal_places: 2,
            merchant_id: "6f1c1f7e-3b7a-4d7e-9a53-6b8a9b2c4d10".into(),
            merchant_name: "Kassa Demo Shop".into(),
            dashboard_callback_url: None,
            delivery: DeliveryPolicy::default(),
        }
    }
}

/// How the simulated Payfect stores a unit price [U].
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum UnitRounding {
    /// As sent.
    Exact,
    /// Whole units, a half to the even neighbour (`20.5` → `20`, the docs' example).
    WholeUnitsHalfEven,
    /// Whole units, the fraction dropped.
    WholeUnitsDown,
}

impl UnitRounding {
    /// `minor` at `scale` decimal places, rounded by this rule.
    pub fn apply(self, minor: i64, scale: u32) -> i64 {
        let factor = 10i64.pow(scale);
        if self == UnitRounding::Exact || factor == 1 || minor < 0 {
            return minor;
        }
        let (whole, rest) = (minor / factor, minor % factor);
        let up = self == UnitRounding::WholeUnitsHalfEven
            && (rest * 2 > factor || (rest * 2 == factor && whole % 2 == 1));
        (whole + i64::from(up)).saturating_mul(factor)
    }
}

/// Which currency the callback's `currency` and `amount` are in [U].
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CallbackCurrency {
    /// The checkout's own currency and `amountTotal`.
    Checkout,
    /// The crypto paid with (`payment_method_data`, default `usdt`), converted at
    /// [`PayfectSim::rates`]; the checkout's currency when no rate is configured.
    Paid,
}

/// Units of `to` per unit of `from`, in millionths.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rate {
    /// Currency code (any case).
    pub from: String,
    /// Currency code (any case).
    pub to: String,
    /// `to` per `from` × 1 000 000.
    pub micros: i64,
}

impl Rate {
    /// A rate.
    pub fn new(from: &str, to: &str, micros: i64) -> Self {
        Rate { from: from.into(), to: to.into(), micros }
    }
}

/// `minor` of `from` in `to` at the configured rate (both at the same scale), half up;
/// `None` without a rate. The same currency converts to itself.
pub fn convert(rates: &[Rate], minor: i64, from: &str, to: &str) -> Option<i64> {
    if from.eq_ignore_ascii_case(to) {
        return Some(minor);
    }
    let rate = rates
        .iter()
        .find(|r| r.from.eq_ignore_ascii_case(from) && r.to.eq_ignore_ascii_case(to))?;
    let scaled = i128::from(minor) * i128::from(rate.micros);
    i64::try_from((scaled + 500_000) / 1_000_000).ok()
}

/// A validated invoice item.
#[derive(Clone, Debug)]
pub struct NewItem {
    /// The stored price it came from, if any.
    pub price: Option<String>,
    /// Its price details.
    pub price_data: PriceData,
    /// At least 1.
    pub quantity: i64,
}

/// A validated create request.
#[derive(Clone, Debug)]
pub struct NewCheckout {
    /// As sent.
    pub currency: String,
    /// Lines.
    pub items: Vec<NewItem>,
    /// Echoed.
    pub client_reference_id: Option<String>,
    /// Browser redirect.
    pub success_url: Option<String>,
    /// Browser redirect.
    pub cancel_url: Option<String>,
    /// Server callback.
    pub callback_url: Option<String>,
    /// e.g. `["crypto", "card"]`.
    pub payment_method_types: Vec<String>,
    /// `(currency, network)`.
    pub crypto: (String, String),
    /// Echoed.
    pub metadata: Value,
}

#[derive(Debug, Default)]
struct Store {
    checkouts: Vec<Checkout>,
    products: HashMap<String, Value>,
    prices: HashMap<String, PriceData>,
    dashboard_callback_url: Option<String>,
}

/// The Payfect simulator's state and behaviour.
pub struct Payfect {
    /// Configuration.
    pub config: PayfectSim,
    /// Base URL of this listener.
    pub url: String,
    /// Clock, request log, faults and deliveries.
    pub common: Common,
    fernet: Option<Arc<fernet::Fernet>>,
    store: Mutex<Store>,
}

impl std::fmt::Debug for Payfect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Payfect").field("url", &self.url).finish_non_exhaustive()
    }
}

/// Why a checkout cannot be acted on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckoutError {
    /// Unknown id.
    NotFound,
    /// No longer open.
    NotOpen(Status),
}

impl CheckoutError {
    fn into_control(self, id: &str) -> ControlError {
        match self {
            CheckoutError::NotFound => ControlError::not_found(id),
            CheckoutError::NotOpen(s) => {
                ControlError::conflict(format!("checkout {id} is {}", s.as_str()))
            }
        }
    }
}

impl Payfect {
    /// A simulator with no checkouts, answering at `url`.
    pub fn new(config: PayfectSim, url: String, common: Common) -> Self {
        let fernet = fernet::Fernet::new(&config.fernet_key).map(Arc::new);
        if fernet.is_none() {
            tracing::error!(
                "payfect fernet key is not base64url of 32 bytes; callbacks will not be sent"
            );
        }
        let store = Store {
            dashboard_callback_url: config.dashboard_callback_url.clone(),
            ..Store::default()
        };
        Payfect { config, url, common, fernet, store: Mutex::new(store) }
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn clock(&self) -> &Clock {
        &self.common.clock
    }

    /// The API base paths served.
    pub fn prefixes(&self) -> Vec<String> {
        let mut prefixes = vec![self.config.path_prefix.trim_end_matches('/').to_owned()];
        for extra in &self.config.extra_path_prefixes {
            let extra = extra.trim_end_matches('/').to_owned();
            if !prefixes.contains(&extra) {
                prefixes.push(extra);
            }
        }
        prefixes
    }

    /// The hosted page URL of a checkout.
    pub fn page_url(&self, id: &str) -> String {
        format!("{}/checkouts/{id}", self.url)
    }

    /// The checkout as the API returns it.
    pub fn render(&self, checkout: &Checkout) -> Value {
        checkout.to_json(
            &self.config.merchant_id,
            &self.config.merchant_name,
            &self.page_url(&checkout.id),
            self.config.amount_decimal_places,
        )
    }

    /// A stored price's details.
    pub fn price(&self, id: &str) -> Option<PriceData> {
        self.store().prices.get(id).cloned()
    }

    /// Whether a product exists.
    pub fn has_product(&self, id: &str) -> bool {
        self.store().products.contains_key(id)
    }

    /// `POST /products/`.
    pub fn create_product(
        &self,
        name: String,
        description: Option<String>,
        images: Vec<String>,
    ) -> Value {
        let id = ids::uuid();
        let now = model::epoch_seconds_text(self.clock().now_micros());
        let product = json!({
            "id": id, "name": name, "description": description, "images": images,
            "createdAt": now, "updatedAt": now, "isLivemode": false,
        });
        self.store().products.insert(id, product.clone());
        product
    }

    /// `POST /prices/`.
    pub fn create_price(&self, product: String, currency: String, unit_amount: i64) -> Value {
        let id = ids::uuid();
        let mut store = self.store();
        let product_json = store.products.get(&product).cloned().unwrap_or(Value::Null);
        let data = PriceData {
            currency: currency.clone(),
            unit_amount,
            name: product_json["name"].as_str().unwrap_or_default().to_owned(),
            description: product_json["description"].as_str().map(str::to_owned),
            images: vec![],
        };
        store.prices.insert(id.clone(), data);
        json!({
            "id": id, "product": product, "currency": currency,
            "unitAmount": crate::decimal::format_minor(unit_amount, self.config.amount_decimal_places),
            "isLivemode": false,
        })
    }

    /// Creates a checkout; DRF errors when the total does not fit.
    pub fn create(&self, new: NewCheckout) -> Result<Checkout, Value> {
        let mut total: i64 = 0;
        let mut items = Vec::new();
        let scale = self.config.amount_decimal_places;
        for mut item in new.items {
            item.price_data.unit_amount =
                self.config.unit_rounding.apply(item.price_data.unit_amount, scale);
            let unit = convert(
                &self.config.rates,
                item.price_data.unit_amount,
                &item.price_data.currency,
                &new.currency,
            )
            .ok_or_else(|| {
                json!({ "invoice_items": [{ "price_data": { "currency": [format!(
                    "No exchange rate from {} to {}.",
                    item.price_data.currency, new.currency
                )] } }] })
            })?;
            let amount = unit
                .checked_mul(item.quantity)
                .ok_or_else(|| json!({ "invoice_items": ["Amount too large."] }))?;
            total = total
                .checked_add(amount)
                .ok_or_else(|| json!({ "invoice_items": ["Amount too large."] }))?;
            items.push(InvoiceItem {
                id: ids::uuid(),
                price: item.price,
                price_data: item.price_data,
                quantity: item.quantity,
                amount,
            });
        }
        let now_us = self.clock().now_micros();
        let checkout = Checkout {
            id: ids::uuid(),
            invoice_items: items,
            amount_total: total,
            status: Status::Open,
            created_at_us: now_us,
            updated_at_us: now_us,
            expires_at_ms: now_us / 1000 + self.config.checkout_ttl_secs * 1000,
            client_reference_id: new.client_reference_id,
            currency: new.currency,
            success_url: new.success_url,
            cancel_url: new.cancel_url,
            callback_url: new.callback_url,
            payment_intent: ids::uuid(),
            payment_method_types: new.payment_method_types,
            crypto: new.crypto,
            payment_method_id: None,
            metadata: new.metadata,
        };
        self.store().checkouts.push(checkout.clone());
        Ok(checkout)
    }

    fn expire_due(&self, store: &mut Store) {
        let now_ms = self.clock().now_ms();
        let now_us = self.clock().now_micros();
        for c in &mut store.checkouts {
            if c.status == Status::Open && c.expires_at_ms <= now_ms {
                c.status = Status::Expired;
                c.updated_at_us = now_us;
            }
        }
    }

    /// The checkout with `id`, expired first if its time has passed.
    pub fn checkout(&self, id: &str) -> Option<Checkout> {
        let mut store = self.store();
        self.expire_due(&mut store);
        store.checkouts.iter().find(|c| c.id == id).cloned()
    }

    fn with_open<T>(
        &self,
        id: &str,
        f: impl FnOnce(&mut Checkout) -> T,
    ) -> Result<T, CheckoutError> {
        let mut store = self.store();
        self.expire_due(&mut store);
        let checkout =
            store.checkouts.iter_mut().find(|c| c.id == id).ok_or(CheckoutError::NotFound)?;
        if checkout.status != Status::Open {
            return Err(CheckoutError::NotOpen(checkout.status));
        }
        Ok(f(checkout))
    }

    /// Pays the checkout and sends the `succeeded` callback, awaiting its first attempt.
    pub async fn pay(&self, id: &str) -> Result<(Checkout, Option<Attempt>), CheckoutError> {
        let now_us = self.clock().now_micros();
        let checkout = self.with_open(id, |c| {
            c.status = Status::Complete;
            c.updated_at_us = now_us;
            c.payment_method_id = Some(ids::uuid());
            c.clone()
        })?;
        let attempt = self.send_callback(&checkout, "succeeded").await;
        Ok((checkout, attempt))
    }

    /// Records a declined payment: the checkout stays open; a `failed` callback is sent when
    /// `failure_callbacks` is on.
    pub async fn decline(&self, id: &str) -> Result<(Checkout, Option<Attempt>), CheckoutError> {
        let checkout = self.with_open(id, |c| c.clone())?;
        let attempt = if self.config.failure_callbacks {
            self.send_callback(&checkout, "failed").await
        } else {
            None
        };
        Ok((checkout, attempt))
    }

    /// Expires the checkout now (no callback: Payfect sends none for expiry).
    pub fn expire(&self, id: &str) -> Result<Checkout, CheckoutError> {
        let now_us = self.clock().now_micros();
        self.with_open(id, |c| {
            c.status = Status::Expired;
            c.updated_at_us = now_us;
            c.expires_at_ms = now_us / 1000;
            c.clone()
        })
    }

    async fn send_callback(&self, checkout: &Checkout, status: &str) -> Option<Attempt> {
        let url = checkout
            .callback_url
            .clone()
            .or_else(|| self.store().dashboard_callback_url.clone())?;
        let fernet = self.fernet.clone()?;
        let (currency, amount) = match self.config.callback_currency {
            CallbackCurrency::Paid => {
                let paid = &checkout.crypto.0;
                match convert(&self.config.rates, checkout.amount_total, &checkout.currency, paid) {
                    Some(amount) => (paid.clone(), amount),
                    None => (checkout.currency.clone(), checkout.amount_total),
                }
            }
            CallbackCurrency::Checkout => (checkout.currency.clone(), checkout.amount_total),
        };
        let body = callback::body(
            checkout,
            status,
            (&currency, amount),
            &self.config.merchant_id,
            self.config.amount_decimal_places,
        );
        let body = serde_json::to_vec(&body).unwrap_or_default();
        let label = format!("callback {status} {}", checkout.id);
        self.common.deliverer.deliver(label, callback::SignedCallback { url, body, fernet }).await
    }
}

impl ControlPlane for Payfect {
    fn state(&self) -> String {
        let mut store = self.store();
        self.expire_due(&mut store);
        let checkouts: Vec<Value> = store.checkouts.iter().map(|c| self.render(c)).collect();
        json!({ "checkouts": checkouts, "dashboard_callback_url": store.dashboard_callback_url })
            .to_string()
    }

    async fn act(&self, id: String, action: Action) -> Result<String, ControlError> {
        let (checkout, delivery) = match action {
            Action::Pay => self.pay(&id).await,
            Action::Decline => self.decline(&id).await,
            Action::Expire => self.expire(&id).map(|c| (c, None)),
        }
        .map_err(|e| e.into_control(&id))?;
        Ok(ActResult { object: self.render(&checkout), delivery }.into_text())
    }

    fn set_webhook(&self, target: WebhookTarget) -> Result<(), ControlError> {
        if target.secret.is_some() {
            return Err(ControlError::bad_request(
                "Payfect signs with the Fernet key from the configuration; it cannot change at run time",
            ));
        }
        self.store().dashboard_callback_url = target.url;
        Ok(())
    }
}

/// Everything the Payfect listener serves.
pub fn router(payfect: Arc<Payfect>, common: Common) -> Router {
    let api = listener::wrap_api(api::router(payfect.clone()), &common, api::fault_body, |r| r)
        .fallback(api::not_found);
    api.merge(pages::router(payfect.clone())).merge(crate::control::router(payfect, common))
}
