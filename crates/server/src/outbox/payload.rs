//! The body of an event, built once when it is stored and sent byte for byte on every
//! attempt (the signature covers these exact bytes).
//!
//! Shape per the Standard Webhooks spec's payload recommendation
//! (github.com/standard-webhooks/standard-webhooks, `spec/standard-webhooks.md`, "Payload
//! structure"): `type` (full-stop delimited), `timestamp` (when the change happened, RFC 3339)
//! and `data`. `data` is a full payload: what a booking system needs to confirm the booking
//! without calling back (the priced lines, the customer's details, the amounts in minor
//! units with their currency), because the merchant's system may not be able to reach us.

use kassa_wire::SessionState;
use serde_json::{json, Value};

use crate::store::Order;

/// What changed.
#[derive(Clone, Copy, Debug)]
pub struct Change<'a> {
    /// The event id (`evt_…`), also in the body so a receiver that logs bodies has it.
    pub id: &'a str,
    /// `order.paid`, …
    pub event_type: &'a str,
    /// The order as it is after the change.
    pub order: &'a Order,
    /// The customer's details as the creating request stored them.
    pub customer: &'a Value,
    /// The state before.
    pub from: SessionState,
    /// The state after.
    pub to: SessionState,
    /// Why it changed.
    pub cause: &'a str,
    /// The order's transition number.
    pub seq: i64,
    /// When (ms since the epoch).
    pub at_ms: i64,
}

/// The JSON text of the event.
pub fn build(change: &Change<'_>) -> anyhow::Result<String> {
    let order = change.order;
    let body = json!({
        "type": change.event_type,
        "timestamp": rfc3339(change.at_ms),
        "data": {
            "event_id": change.id,
            "order_id": order.id,
            "sequence": change.seq,
            "state": change.to,
            "previous_state": change.from,
            "cause": change.cause,
            "provider": order.provider,
            "provider_reference": order.provider_ref,
            "method": order.method,
            "total": order.total,
            "paid_minor": order.paid_minor,
            "lines": order.quote.lines,
            "customer": change.customer,
            "created_at": rfc3339(order.created_at.saturating_mul(1000)),
        },
    });
    Ok(serde_json::to_string(&body)?)
}

/// `2026-12-07T00:31:02.123Z` for milliseconds since the epoch.
pub fn rfc3339(ms: i64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_in_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_765_067_462_123), "2025-12-07T00:31:02.123Z");
    }
}
