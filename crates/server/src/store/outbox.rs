//! The outbox (issue 14): events for the merchant's own systems, written in the transaction
//! that changes the order, and their deliveries to the configured endpoints.
//!
//! [`record_event`] is called by the one function that moves an order's state
//! ([`super::orders::transition`], used by every path: webhooks, polls, reconciliation,
//! cancels, recovery), so no state change the merchant must hear of can commit without its
//! event, and no event exists for a change that rolled back. The delivery worker
//! (`crate::outbox`) only ever sees committed rows, so nothing is sent before its
//! transaction committed.
//!
//! Deliveries are one row per (event, endpoint), made by [`Store::fan_out`] when the worker
//! first sees an event. A delivery is taken with a lease ([`Store::claim_delivery`]) as the
//! recovery worker takes orders, so several instances on one PostgreSQL send each delivery
//! once at a time; its end (delivered, retried later, dead) is recorded only by the lease's
//! owner. Times here are milliseconds since the epoch.

use super::{
    sql::{self, args, Columns as _, Db, Row},
    Order, Store,
};
use anyhow::Context as _;
use kassa_wire::SessionState;

/// Milliseconds since the epoch now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// One stored event.
#[derive(Clone, Debug, serde::Serialize)]
pub struct OutboxEvent {
    /// `evt_…`: the `webhook-id` every delivery of it carries.
    pub id: String,
    /// The order it is about.
    pub order_id: String,
    /// The order's transition number (1 for its first change).
    pub seq: i64,
    /// `order.paid`, …
    pub event_type: String,
    /// The exact JSON body sent and signed.
    pub payload: String,
    /// When it was stored (ms).
    pub created_at: i64,
}

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Not delivered yet; the worker tries it when due.
    Pending,
    /// The endpoint answered 2xx.
    Delivered,
    /// Dead letter: retries exhausted, or the endpoint answered 410 Gone. The operator replays.
    Dead,
}

impl DeliveryState {
    /// Every state.
    pub const ALL: [DeliveryState; 3] =
        [DeliveryState::Pending, DeliveryState::Delivered, DeliveryState::Dead];

    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Dead => "dead",
        }
    }

    /// Parses [`DeliveryState::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// One delivery of one event to one endpoint.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Delivery {
    /// The event (`webhook-id`).
    pub event_id: String,
    /// The endpoint's name in the configuration.
    pub endpoint: String,
    /// The order.
    pub order_id: String,
    /// The event type.
    pub event_type: String,
    /// Where it stands.
    pub state: DeliveryState,
    /// Attempts made.
    pub attempts: i64,
    /// When the next attempt is due (ms).
    pub next_attempt_at: i64,
    /// The last HTTP status the endpoint answered, if it answered.
    pub last_status: Option<i64>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was made (ms).
    pub created_at: i64,
    /// When the endpoint accepted it (ms).
    pub delivered_at: Option<i64>,
}

/// A due delivery with what sending it needs.
#[derive(Clone, Debug)]
pub struct DueDelivery {
    /// The event id (`webhook-id`).
    pub event_id: String,
    /// The endpoint's name.
    pub endpoint: String,
    /// Attempts made before this one.
    pub attempts: i64,
    /// The body to send.
    pub payload: String,
}

/// Which deliveries to list.
#[derive(Clone, Debug, Default)]
pub struct DeliveryFilter {
    /// Only this state.
    pub state: Option<DeliveryState>,
    /// Only this endpoint.
    pub endpoint: Option<String>,
    /// Only this order.
    pub order_id: Option<String>,
    /// At most this many (newest first).
    pub limit: i64,
}

/// Totals for the soak report and metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct OutboxCounts {
    /// Events stored.
    pub events: i64,
    /// Deliveries delivered.
    pub delivered: i64,
    /// Deliveries still pending.
    pub pending: i64,
    /// Deliveries dead-lettered.
    pub dead: i64,
    /// Attempts beyond each delivery's first (retries), over all deliveries.
    pub retries: i64,
}

/// The event type for an order entering `state`, or `None` when the merchant need not hear
/// of it (`created`, `open`: no booking yet).
pub fn event_type(state: SessionState) -> Option<&'static str> {
    match state {
        SessionState::Created | SessionState::Open => None,
        SessionState::Paid => Some("order.paid"),
        SessionState::Failed => Some("order.failed"),
        SessionState::Cancelled => Some("order.cancelled"),
        SessionState::Expired => Some("order.expired"),
        SessionState::Invoiced => Some("order.invoiced"),
    }
}

/// Stores the event for the order's move `from` → `to` inside the caller's transaction (the
/// one that moved it), when the merchant must hear of it. Must run after the transition was
/// logged: the event's `seq` is the order's transition count.
pub(super) async fn record_event(
    db: &mut dyn Db,
    order_id: &str,
    from: SessionState,
    to: SessionState,
    cause: &str,
) -> anyhow::Result<()> {
    let Some(event_type) = event_type(to) else { return Ok(()) };
    let select = format!("SELECT {}, request_json FROM orders WHERE id = $1", Order::COLUMNS);
    let row = sql::fetch_one(db, &select, args![order_id])
        .await
        .context("reading the order for its event")?;
    let order = Order::from_row(&row)?;
    // The creating request's customer details (whatever else it stored stays inside).
    let request: Option<serde_json::Value> = row.json("request_json").ok().flatten();
    let customer = request.and_then(|r| r.get("customer").cloned()).unwrap_or_default();
    let seq = sql::fetch_one(
        db,
        "SELECT COUNT(*) AS n FROM order_events WHERE order_id = $1",
        args![order_id],
    )
    .await
    .context("numbering the event")?
    .int_of("n")?;
    let id = format!("evt_{}", uuid::Uuid::new_v4().simple());
    let at = now_ms();
    let payload = crate::outbox::payload::build(&crate::outbox::payload::Change {
        id: &id,
        event_type,
        order: &order,
        customer: &customer,
        from,
        to,
        cause,
        seq,
        at_ms: at,
    })?;
    db.execute(
        "INSERT INTO outbox_events (id, order_id, seq, event_type, payload, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        args![id, order_id, seq, event_type, payload, at],
    )
    .await
    .context("storing the outbox event")?;
    Ok(())
}

impl Store {
    /// Makes the delivery rows of up to `limit` events not yet fanned out, one per endpoint,
    /// oldest first; answers how many events it fanned out. Safe to run on several instances
    /// at once (rows are keyed by event and endpoint). With no endpoint configured, events
    /// wait, and an endpoint configured later receives them.
    pub async fn fan_out(&self, endpoints: &[String], limit: i64) -> anyhow::Result<usize> {
        if endpoints.is_empty() {
            return Ok(0);
        }
        // A read first: most runs find nothing new, and must not queue for SQLite's writer.
        let waiting = self
            .fetch_optional("SELECT id FROM outbox_events WHERE fanned_out = 0 LIMIT 1", vec![])
            .await
            .context("looking for events to fan out")?;
        if waiting.is_none() {
            return Ok(0);
        }
        let endpoints = endpoints.to_vec();
        self.write(move |db| {
            Box::pin(async move {
                let rows = db
                    .fetch(
                        "SELECT id, order_id, seq FROM outbox_events WHERE fanned_out = 0 \
                         ORDER BY created_at, seq LIMIT $1",
                        args![limit],
                    )
                    .await
                    .context("reading events to fan out")?;
                let now = now_ms();
                for row in &rows {
                    let (id, order_id, seq) =
                        (row.text_of("id")?, row.text_of("order_id")?, row.int_of("seq")?);
                    for endpoint in &endpoints {
                        db.execute(
                            "INSERT INTO deliveries (event_id, endpoint, order_id, seq, state, \
                             attempts, next_attempt_at, created_at) \
                             VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5) \
                             ON CONFLICT (event_id, endpoint) DO NOTHING",
                            args![id.as_str(), endpoint, order_id.as_str(), seq, now],
                        )
                        .await
                        .context("making a delivery")?;
                    }
                    db.execute("UPDATE outbox_events SET fanned_out = 1 WHERE id = $1", args![id])
                        .await
                        .context("marking an event fanned out")?;
                }
                Ok(rows.len())
            })
        })
        .await
    }

    /// Deliveries to `endpoint` due at `now` and not leased, oldest due first. Per order, only
    /// the earliest pending event is due: an order's events reach an endpoint in the order
    /// they happened (`invoiced` before `paid`). A dead earlier event does not hold later
    /// ones back.
    pub async fn due_deliveries(
        &self,
        endpoint: &str,
        now: i64,
        limit: i64,
    ) -> anyhow::Result<Vec<DueDelivery>> {
        let rows = self
            .fetch(
                "SELECT d.event_id, d.endpoint, d.attempts, e.payload FROM deliveries d \
             JOIN outbox_events e ON e.id = d.event_id \
             WHERE d.endpoint = $1 AND d.state = 'pending' AND d.next_attempt_at <= $2 \
             AND (d.lease_until IS NULL OR d.lease_until < $2) \
             AND NOT EXISTS (SELECT 1 FROM deliveries p WHERE p.endpoint = d.endpoint \
               AND p.order_id = d.order_id AND p.seq < d.seq AND p.state = 'pending') \
             ORDER BY d.next_attempt_at, d.seq LIMIT $3",
                args![endpoint, now, limit],
            )
            .await
            .context("reading due deliveries")?;
        rows.iter()
            .map(|r| {
                Ok(DueDelivery {
                    event_id: r.text_of("event_id")?,
                    endpoint: r.text_of("endpoint")?,
                    attempts: r.int_of("attempts")?,
                    payload: r.text_of("payload")?,
                })
            })
            .collect()
    }

    /// Takes a due delivery for `lease_ms` as `owner`; false if another instance holds it or
    /// it is no longer pending.
    pub async fn claim_delivery(
        &self,
        event_id: &str,
        endpoint: &str,
        owner: &str,
        lease_ms: i64,
    ) -> anyhow::Result<bool> {
        let now = now_ms();
        let claimed = self
            .execute(
                "UPDATE deliveries SET lease_until = $1, lease_owner = $2 \
                 WHERE event_id = $3 AND endpoint = $4 AND state = 'pending' \
                 AND (lease_until IS NULL OR lease_until < $5)",
                args![now + lease_ms, owner, event_id, endpoint, now],
            )
            .await
            .context("claiming a delivery")?;
        Ok(claimed == 1)
    }

    /// Records an attempt's end as the lease's `owner`: `next` is the new state and, for
    /// `pending`, when to try again. Answers false when the lease was lost meanwhile (another
    /// instance took it over; its record wins).
    #[allow(clippy::too_many_arguments)]
    pub async fn finish_attempt(
        &self,
        event_id: &str,
        endpoint: &str,
        owner: &str,
        next: DeliveryState,
        next_attempt_at: i64,
        status: Option<i64>,
        error: Option<&str>,
    ) -> anyhow::Result<bool> {
        let now = now_ms();
        let recorded = self
            .execute(
                "UPDATE deliveries SET state = $1, attempts = attempts + 1, next_attempt_at = $2, \
                 last_status = $3, last_error = $4, lease_until = NULL, lease_owner = NULL, \
                 delivered_at = CASE WHEN $1 = 'delivered' THEN $5 ELSE delivered_at END \
                 WHERE event_id = $6 AND endpoint = $7 AND lease_owner = $8 AND state = 'pending'",
                args![
                    next.as_str(),
                    next_attempt_at,
                    status,
                    error,
                    now,
                    event_id,
                    endpoint,
                    owner
                ],
            )
            .await
            .context("recording a delivery attempt")?;
        Ok(recorded == 1)
    }

    /// Gives a claimed delivery back unattempted (the endpoint's circuit opened meanwhile).
    pub async fn release_delivery(
        &self,
        event_id: &str,
        endpoint: &str,
        owner: &str,
    ) -> anyhow::Result<()> {
        self.execute(
            "UPDATE deliveries SET lease_until = NULL, lease_owner = NULL \
             WHERE event_id = $1 AND endpoint = $2 AND lease_owner = $3",
            args![event_id, endpoint, owner],
        )
        .await
        .context("releasing a delivery")?;
        Ok(())
    }

    /// Puts deliveries back in the queue, due now, with their attempts reset: one event's
    /// (to one endpoint, or to all), or, with `event_id` `None`, every dead one (of one
    /// endpoint, or of all). Pending ones are left as they are. Answers how many.
    pub async fn replay(
        &self,
        event_id: Option<&str>,
        endpoint: Option<&str>,
    ) -> anyhow::Result<u64> {
        let now = now_ms();
        self.execute(
            "UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = $1, \
             lease_until = NULL, lease_owner = NULL, last_error = NULL \
             WHERE state <> 'pending' \
             AND ($2 IS NULL OR event_id = $2) AND ($2 IS NOT NULL OR state = 'dead') \
             AND ($3 IS NULL OR endpoint = $3)",
            args![now, event_id, endpoint],
        )
        .await
        .context("replaying deliveries")
    }

    /// Deliveries by `filter`, newest first.
    pub async fn deliveries(&self, filter: &DeliveryFilter) -> anyhow::Result<Vec<Delivery>> {
        let rows = self
            .fetch(
                "SELECT d.event_id, d.endpoint, d.order_id, e.event_type, d.state, d.attempts, \
             d.next_attempt_at, d.last_status, d.last_error, d.created_at, d.delivered_at \
             FROM deliveries d JOIN outbox_events e ON e.id = d.event_id \
             WHERE ($1 IS NULL OR d.state = $1) AND ($2 IS NULL OR d.endpoint = $2) \
             AND ($3 IS NULL OR d.order_id = $3) \
             ORDER BY d.created_at DESC, d.seq DESC LIMIT $4",
                args![
                    filter.state.map(DeliveryState::as_str),
                    filter.endpoint.as_deref(),
                    filter.order_id.as_deref(),
                    filter.limit.max(1),
                ],
            )
            .await
            .context("listing deliveries")?;
        rows.iter().map(delivery_from_row).collect()
    }

    /// The events of one order, in the order they happened.
    pub async fn order_outbox(&self, order_id: &str) -> anyhow::Result<Vec<OutboxEvent>> {
        let rows = self
            .fetch(
                "SELECT id, order_id, seq, event_type, payload, created_at FROM outbox_events \
                 WHERE order_id = $1 ORDER BY seq",
                args![order_id],
            )
            .await
            .context("reading an order's events")?;
        rows.iter().map(event_from_row).collect()
    }

    /// Every event (tests and the soak), in no particular order.
    pub async fn outbox_events(&self) -> anyhow::Result<Vec<OutboxEvent>> {
        let rows = self
            .fetch(
                "SELECT id, order_id, seq, event_type, payload, created_at FROM outbox_events",
                vec![],
            )
            .await
            .context("reading events")?;
        rows.iter().map(event_from_row).collect()
    }

    /// Totals over the outbox.
    pub async fn outbox_counts(&self) -> anyhow::Result<OutboxCounts> {
        let events =
            self.fetch_one("SELECT COUNT(*) AS n FROM outbox_events", vec![]).await?.int_of("n")?;
        let mut counts = OutboxCounts { events, ..OutboxCounts::default() };
        let rows = self
            .fetch(
                "SELECT state, COUNT(*) AS n, \
                 CAST(SUM(CASE WHEN attempts > 1 THEN attempts - 1 ELSE 0 END) AS BIGINT) AS r \
                 FROM deliveries GROUP BY state",
                vec![],
            )
            .await
            .context("counting deliveries")?;
        for row in rows {
            let state = row.text_of("state")?;
            let n = row.int_of("n")?;
            // SUM over BIGINT is NUMERIC on PostgreSQL, hence the CAST in the query.
            let retries = row.int("r")?.unwrap_or(0);
            counts.retries += retries;
            match DeliveryState::parse(&state) {
                Some(DeliveryState::Delivered) => counts.delivered = n,
                Some(DeliveryState::Pending) => counts.pending = n,
                Some(DeliveryState::Dead) => counts.dead = n,
                None => anyhow::bail!("stored delivery state `{state}`"),
            }
        }
        Ok(counts)
    }
}

/// An `outbox_events` row as an [`OutboxEvent`].
fn event_from_row(r: &Row) -> anyhow::Result<OutboxEvent> {
    Ok(OutboxEvent {
        id: r.text_of("id")?,
        order_id: r.text_of("order_id")?,
        seq: r.int_of("seq")?,
        event_type: r.text_of("event_type")?,
        payload: r.text_of("payload")?,
        created_at: r.int_of("created_at")?,
    })
}

/// A `deliveries` row as a [`Delivery`].
fn delivery_from_row(r: &Row) -> anyhow::Result<Delivery> {
    let state = r.text_of("state")?;
    Ok(Delivery {
        event_id: r.text_of("event_id")?,
        endpoint: r.text_of("endpoint")?,
        order_id: r.text_of("order_id")?,
        event_type: r.text_of("event_type")?,
        state: DeliveryState::parse(&state)
            .with_context(|| format!("stored delivery state `{state}`"))?,
        attempts: r.int_of("attempts")?,
        next_attempt_at: r.int_of("next_attempt_at")?,
        last_status: r.int("last_status")?,
        last_error: r.text("last_error")?,
        created_at: r.int_of("created_at")?,
        delivered_at: r.int("delivered_at")?,
    })
}
