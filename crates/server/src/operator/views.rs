//! What the operator sees of an order, as JSON: the same shape from the API and the CLI.

use serde_json::{json, Value};

use crate::store::{DeliveryFilter, Order, Store};

/// Most rows one list answers.
pub const MAX_LIMIT: i64 = 500;
/// Rows a list answers when not told.
pub const DEFAULT_LIMIT: i64 = 50;

/// One order in a list.
pub fn summary(order: &Order) -> Value {
    json!({
        "id": order.id,
        "state": order.state,
        "provider": order.provider,
        "method": order.method,
        "total": order.total,
        "provider_reference": order.provider_ref,
        "paid_minor": order.paid_minor,
        "provider_attempts": order.provider_attempts,
        "last_error": order.last_error,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
    })
}

/// One order with its provider attempts, state changes, merchant events and their
/// deliveries; `None` when there is no such order.
pub async fn detail(store: &Store, id: &str) -> anyhow::Result<Option<Value>> {
    let Some(order) = store.order(id).await? else { return Ok(None) };
    let transitions = store.transitions(id).await?;
    let events: Vec<Value> = store
        .order_outbox(id)
        .await?
        .into_iter()
        .map(|e| {
            json!({
                "id": e.id,
                "type": e.event_type,
                "sequence": e.seq,
                "created_at_ms": e.created_at,
                "payload": serde_json::from_str::<Value>(&e.payload).unwrap_or(Value::Null),
            })
        })
        .collect();
    let deliveries = store
        .deliveries(&DeliveryFilter {
            order_id: Some(id.to_owned()),
            limit: MAX_LIMIT,
            ..DeliveryFilter::default()
        })
        .await?;
    let mut body = summary(&order);
    body["lines"] = json!(order.quote.lines);
    body["transitions"] = json!(transitions);
    body["events"] = json!(events);
    body["deliveries"] = json!(deliveries);
    Ok(Some(body))
}

/// A list limit the caller asked for, if it is one: 1 to [`MAX_LIMIT`]. A limit outside is
/// refused rather than clamped, so that nobody reads "every order" from a page that was cut.
pub fn parse_limit(text: &str) -> Option<i64> {
    text.parse().ok().filter(|n| (1..=MAX_LIMIT).contains(n))
}

/// What [`parse_limit`] takes, in words for an error message.
pub fn limit_rule() -> String {
    format!("a whole number from 1 to {MAX_LIMIT}")
}

/// The limit of a list: the caller's, else [`DEFAULT_LIMIT`].
pub fn limit(asked: Option<i64>) -> i64 {
    asked.unwrap_or(DEFAULT_LIMIT)
}
