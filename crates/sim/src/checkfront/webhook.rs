//! Checkfront's webhooks: unsigned bodies for booking changes and payments, JSON (an
//! XML-to-JSON rendering, hence `@attributes`) or `<checkfront-notify>` XML, as the merchant
//! picks (github.com/Checkfront/API `docs/ref/notifications.rst`,
//! `docs/examples/response/webhook-{booking,payment}.{json,xml}`).
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
    /// The body.
    pub body: Vec<u8>,
    /// Its media type.
    pub content_type: &'static str,
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
            headers: vec![("content-type".into(), self.content_type.into())],
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

/// The XML form of a JSON payload: `<checkfront-notify>` with `@attributes` (and a top-level
/// `version`/`host`) as attributes, arrays as repeated elements. Within an element, a
/// `customer` child comes first, so that a reader taking the first `<code>` it meets gets the
/// customer's code, not the booking's: element order means nothing in these notices.
pub fn to_xml(payload: &Value) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<checkfront-notify");
    let mut attributes: Vec<(String, String)> = Vec::new();
    if let Some(map) = payload.as_object() {
        if let Some(Value::Object(attrs)) = map.get("@attributes") {
            attributes.extend(attrs.iter().map(|(k, v)| (k.clone(), text(v))));
        }
        for key in ["version", "host"] {
            if let Some(v) = map.get(key) {
                attributes.push((key.to_owned(), text(v)));
            }
        }
    }
    for (k, v) in &attributes {
        out.push_str(&format!(" {k}=\"{}\"", escape(v)));
    }
    out.push('>');
    if let Some(map) = payload.as_object() {
        for (k, v) in ordered(map) {
            if k != "@attributes" && k != "version" && k != "host" {
                element(&mut out, k, v);
            }
        }
    }
    out.push_str("</checkfront-notify>\n");
    out
}

fn ordered(map: &serde_json::Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut entries: Vec<_> = map.iter().collect();
    entries.sort_by_key(|(k, _)| k.as_str() != "customer");
    entries
}

fn element(out: &mut String, name: &str, value: &Value) {
    match value {
        Value::Array(items) => {
            for item in items {
                element(out, name, item);
            }
        }
        Value::Object(map) => {
            out.push('<');
            out.push_str(name);
            if let Some(Value::Object(attrs)) = map.get("@attributes") {
                for (k, v) in attrs {
                    out.push_str(&format!(" {k}=\"{}\"", escape(&text(v))));
                }
            }
            out.push('>');
            for (k, v) in ordered(map) {
                if k != "@attributes" {
                    element(out, k, v);
                }
            }
            out.push_str(&format!("</{name}>"));
        }
        other => out.push_str(&format!("<{name}>{}</{name}>", escape(&text(other)))),
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_puts_attributes_on_elements_and_the_customer_before_the_booking_code() {
        let payload = json!({
            "@attributes": {"version": "3.0", "host": "x.checkfront.com"},
            "booking": {
                "@attributes": {"booking_id": "157"},
                "code": "KMVQ-060314",
                "status": "PAID",
                "customer": {"code": "CUST-157", "name": "A & B <c>"},
                "order": {"items": {"item": [{"sku": "a"}, {"sku": "b"}]}},
            },
        });
        let xml = to_xml(&payload);
        let root = &xml[xml.find("<checkfront-notify").unwrap()..];
        let root = &root[..root.find('>').unwrap()];
        assert!(root.contains(r#"version="3.0""#) && root.contains(r#"host="x.checkfront.com""#));
        assert!(
            xml.contains(r#"<booking booking_id="157"><customer><code>CUST-157</code>"#),
            "{xml}"
        );
        assert!(xml.contains("<name>A &amp; B &lt;c&gt;</name>"), "{xml}");
        assert!(
            xml.contains("<items><item><sku>a</sku></item><item><sku>b</sku></item></items>"),
            "{xml}"
        );
        let first_code = xml.find("<code>").unwrap();
        assert!(xml[first_code..].starts_with("<code>CUST-157"), "the customer's code comes first");
    }
}
