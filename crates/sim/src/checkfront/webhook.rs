//! Checkfront's webhooks: unsigned JSON bodies (an XML-to-JSON rendering, hence
//! `@attributes`) for booking changes and payments (§2.4).
//!
//! There is no signature; receivers must treat them as hints and fetch the booking. After
//! `disable_after` consecutive failed attempts the endpoint is disabled, as Checkfront does
//! after five, until it is set again.

use std::sync::{
    atomic::{AtomicU32, Ordering},
    Arc,
};

use serde_json::{json, Value};

use super::model::{compact, money, Booking};
use crate::delivery::{Message, Outgoing};

/// Consecutive failures of the webhook endpoint.
#[derive(Debug, Default)]
pub struct Health {
    failures: AtomicU32,
}

impl Health {
    /// Forgets past failures (the endpoint was set again).
    pub fn reset(&self) {
        self.failures.store(0, Ordering::Relaxed);
    }

    /// Consecutive failed attempts so far.
    pub fn failures(&self) -> u32 {
        self.failures.load(Ordering::Relaxed)
    }
}

/// One webhook on its way.
#[derive(Clone, Debug)]
pub struct Webhook {
    /// Endpoint.
    pub url: String,
    /// JSON body.
    pub body: Vec<u8>,
    /// The endpoint's failure count.
    pub health: Arc<Health>,
    /// Failures after which the endpoint is disabled.
    pub disable_after: u32,
}

impl Message for Webhook {
    fn build(&self) -> Option<Outgoing> {
        if self.disable_after > 0 && self.health.failures() >= self.disable_after {
            tracing::warn!("checkfront webhook endpoint disabled after consecutive failures");
            return None;
        }
        Some(Outgoing {
            method: reqwest::Method::POST,
            url: self.url.clone(),
            headers: vec![("content-type".into(), "application/json".into())],
            body: self.body.clone(),
        })
    }

    fn on_result(&self, success: bool) {
        if success {
            self.health.reset();
        } else {
            self.health.failures.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The *Booking Modified / Status Change* payload.
pub fn booking_payload(booking: &Booking, host: &str, currency: &str) -> Value {
    let (start, end) = booking.dates();
    let field = |name: &str| booking.fields.get(name).cloned().unwrap_or_default();
    let items: Vec<Value> = booking
        .lines
        .iter()
        .map(|l| {
            json!({
                "@attributes": { "line_id": l.line_id, "item_id": l.slip.item_id.to_string() },
                "start_date": compact(l.slip.start),
                "end_date": compact(l.slip.end()),
                "sku": l.sku,
                "slip": l.slip.encode(),
                "package_id": "0",
                "status": booking.status_id,
                "total": money(l.total),
                "tax_total": money(0),
                "qty": l.slip.qty().to_string(),
            })
        })
        .collect();
    // A single item comes as an object rather than a one-element array, as in the real payloads.
    let items = match <[Value; 1]>::try_from(items) {
        Ok([one]) => one,
        Err(many) => Value::Array(many),
    };
    json!({
        "@attributes": { "version": "3.0", "host": host },
        "booking": {
            "@attributes": { "booking_id": booking.booking_id.to_string() },
            "status": booking.status_id,
            "code": booking.code,
            "created_date": booking.created.to_string(),
            "staff_id": if booking.as_customer { "0" } else { "1" },
            "source_ip": "127.0.0.1",
            "start_date": compact(start),
            "end_date": compact(end),
            "tid": "",
            "customer": {
                "code": format!("CUST-{}", booking.booking_id),
                "name": field("customer_name"),
                "email": field("customer_email"),
                "phone": field("customer_phone"),
                "address": field("customer_address"),
                "city": field("customer_city"),
                "region": field("customer_region"),
                "country": field("customer_country"),
                "postal_zip": field("customer_postal_zip"),
            },
            "fields": booking.fields,
            "meta": {},
            "order": {
                "@attributes": { "currency_id": currency },
                "sub_total": money(booking.total()),
                "tax_total": money(0),
                "paid_total": money(booking.paid_total),
                "total": money(booking.total()),
                "taxes": {},
                "items": { "item": items },
            },
        },
    })
}

/// The *New Payment* payload.
pub fn transaction_payload(
    booking: &Booking,
    host: &str,
    transaction_id: &str,
    date: i64,
) -> Value {
    json!({
        "version": "3.0",
        "host": host,
        "type": "transaction",
        "action": "insert",
        "transaction": {
            "transaction_id": transaction_id,
            "date": date.to_string(),
            "status": "PAID",
            "amount": money(booking.paid_total),
            "gateway_id": "kassa_sim",
            "payment_mask": "************4242",
            "payment_type": "credit",
            "payment_customer": booking.fields.get("customer_name").cloned().unwrap_or_default(),
            "booking_id": booking.code,
        },
    })
}
