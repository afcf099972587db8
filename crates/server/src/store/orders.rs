//! Order rows: storing them under an idempotency key, leasing the provider call, and moving
//! them through the state machine with compare-and-set.

use super::{
    now,
    sql::{self, args, Columns as _, Db},
    Applied, Durability, Inserted, NewOrder, Order, Store, LEASE_SECS,
};
use anyhow::Context as _;
use kassa_wire::{Action, PaymentEvent, SessionState};

impl Store {
    /// Stores a new order, or returns the one stored earlier under the same key. A new order
    /// holds the provider-call lease and counts its first provider attempt, which follows at
    /// once (as [`Store::claim_lease`] does for a later one).
    pub async fn insert_order<R: serde::Serialize>(
        &self,
        new: &NewOrder<R>,
    ) -> anyhow::Result<Inserted> {
        let now = now();
        // RETURNING hands back the stored row in the same statement (SQLite ≥ 3.35 and
        // PostgreSQL): no second query to read what was just written. On a conflict nothing
        // is inserted and no row comes back.
        let insert = format!(
            "INSERT INTO orders (id, idempotency_key, request_hash, state, method, provider, \
             currency, total_minor, quote_json, request_json, lease_until, request_id, \
             provider_attempts, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1, $13, $13) \
             ON CONFLICT (idempotency_key) DO NOTHING RETURNING {}",
            Order::COLUMNS
        );
        let args = args![
            new.id.as_str(),
            new.idempotency_key.as_str(),
            new.request_hash.as_str(),
            SessionState::Created.as_str(),
            new.method.as_str(),
            new.provider.as_str(),
            new.total.currency().code(),
            new.total.minor(),
            serde_json::to_string(&new.quote).context("writing the quote")?,
            serde_json::to_string(&new.request).context("writing the request")?,
            now + LEASE_SECS,
            new.request_id.clone(),
            now,
        ];
        // Deferred: the next write of this order (the provider's session recorded, or the
        // failure noted) is durable and makes this one durable with it, before the customer
        // hears anything ([`Durability::Deferred`]).
        let inserted = self
            .write_as(Durability::Deferred, move |db| {
                Box::pin(async move { sql::fetch_optional(db, &insert, args).await })
            })
            .await
            .context("storing the order")?;
        if let Some(row) = inserted {
            return Ok(Inserted::New(Order::from_row(&row)?));
        }
        let existing = self
            .order_by_key(&new.idempotency_key)
            .await?
            .context("idempotency conflict without an order")?;
        Ok(Inserted::Existing(existing))
    }

    /// Claims the right to call the provider for `id` for a while; false if someone holds it.
    /// The claim counts the provider-create attempt that follows, before it is sent (R-I2,
    /// R-I5): an order whose count is above zero may have a provider session we never heard
    /// back about.
    pub async fn claim_lease(&self, id: &str) -> anyhow::Result<bool> {
        let now = now();
        let changed = self
            .execute(
                "UPDATE orders SET lease_until = $1, provider_attempts = provider_attempts + 1 \
                 WHERE id = $2 AND state = $3 \
                 AND provider_ref IS NULL AND (lease_until IS NULL OR lease_until < $4)",
                args![now + LEASE_SECS, id, SessionState::Created.as_str(), now],
            )
            .await
            .context("claiming the order")?;
        Ok(changed == 1)
    }

    /// Releases the provider-call lease without other changes (the outcome is unknown or the
    /// provider was unavailable; a retry with the same key finishes the order).
    pub async fn release_lease(&self, id: &str, error: &str) -> anyhow::Result<()> {
        self.execute(
            "UPDATE orders SET lease_until = NULL, last_error = $1, updated_at = $2 WHERE id = $3",
            args![error, now(), id],
        )
        .await
        .context("releasing the order lease")?;
        Ok(())
    }

    /// Records the provider session and moves `created` to `open`, in one transaction with
    /// the transition log.
    pub async fn record_provider_session(
        &self,
        id: &str,
        provider_ref: &str,
        action: &Action,
        expires_at: Option<i64>,
    ) -> anyhow::Result<Applied> {
        let (id, provider_ref) = (id.to_owned(), provider_ref.to_owned());
        let action = serde_json::to_string(action).context("writing the action")?;
        self.write(move |db| {
            Box::pin(async move {
                let moved = db
                    .execute(
                        "UPDATE orders SET provider_ref = $1, action_json = $2, expires_at = $3, \
                         lease_until = NULL, state = $4, updated_at = $5 WHERE id = $6 AND state = $7",
                        args![
                            provider_ref.as_str(),
                            action,
                            expires_at,
                            SessionState::Open.as_str(),
                            now(),
                            id.as_str(),
                            SessionState::Created.as_str(),
                        ],
                    )
                    .await
                    .context("recording the provider session")?;
                if moved == 1 {
                    let (from, to) = (SessionState::Created, SessionState::Open);
                    log_transition(db, &id, from, to, "provider session created").await?;
                    return Ok(Applied::Moved(SessionState::Open));
                }
                // A webhook may have settled it first; keep the reference for later lookups.
                db.execute(
                    "UPDATE orders SET provider_ref = COALESCE(provider_ref, $1), lease_until = NULL \
                     WHERE id = $2",
                    args![provider_ref, id.as_str()],
                )
                .await
                .context("recording the provider reference")?;
                Ok(Applied::Unchanged(current_state(db, &id).await?.context("no such order")?))
            })
        })
        .await
    }

    /// Notes an error on the order for operators (never shown to customers as is).
    pub async fn note_error(&self, id: &str, error: &str) -> anyhow::Result<()> {
        self.execute(
            "UPDATE orders SET last_error = $1, updated_at = $2 WHERE id = $3",
            args![error, now(), id],
        )
        .await
        .context("noting an order error")?;
        Ok(())
    }

    /// Notes that a provider answer about the order was refused (an unknown status, an amount
    /// that differs): `reason` for the operator, and the time, which tells the widget to
    /// say the payment could not be confirmed yet. The state is not touched.
    pub async fn note_unconfirmed(&self, id: &str, reason: &str) -> anyhow::Result<()> {
        let at = now();
        self.execute(
            "UPDATE orders SET last_error = $1, unconfirmed_at = $2, updated_at = $3 WHERE id = $4",
            args![reason, at, at, id],
        )
        .await
        .context("noting an unconfirmed answer")?;
        Ok(())
    }

    /// Marks that the provider was asked about the order now.
    pub async fn touch_checked(&self, id: &str) -> anyhow::Result<()> {
        self.execute("UPDATE orders SET last_checked_at = $1 WHERE id = $2", args![now(), id])
            .await
            .context("marking the order checked")?;
        Ok(())
    }

    /// One order by id.
    pub async fn order(&self, id: &str) -> anyhow::Result<Option<Order>> {
        let select = format!("SELECT {} FROM orders WHERE id = $1", Order::COLUMNS);
        let row = self.fetch_optional(select, args![id]).await.context("reading an order")?;
        row.map(|r| Order::from_row(&r)).transpose()
    }

    /// What the creating request stored with the order for calling its provider again
    /// ([`NewOrder::request`]); read only when a call must be made or rebuilt.
    pub async fn order_request<R: serde::de::DeserializeOwned>(
        &self,
        id: &str,
    ) -> anyhow::Result<Option<R>> {
        let row = self
            .fetch_optional("SELECT request_json FROM orders WHERE id = $1", args![id])
            .await
            .context("reading an order's request")?;
        Ok(row.map(|r| r.json("request_json")).transpose()?.flatten())
    }

    /// The order stored under an idempotency key.
    pub async fn order_by_key(&self, key: &str) -> anyhow::Result<Option<Order>> {
        let select = format!("SELECT {} FROM orders WHERE idempotency_key = $1", Order::COLUMNS);
        let row =
            self.fetch_optional(select, args![key]).await.context("reading an order by key")?;
        row.map(|r| Order::from_row(&r)).transpose()
    }

    /// The order a provider reference belongs to.
    pub async fn order_by_provider_ref(
        &self,
        provider: &str,
        reference: &str,
    ) -> anyhow::Result<Option<Order>> {
        let select = format!(
            "SELECT {} FROM orders WHERE provider = $1 AND provider_ref = $2",
            Order::COLUMNS
        );
        let row = self
            .fetch_optional(select, args![provider, reference])
            .await
            .context("reading an order by provider reference")?;
        row.map(|r| Order::from_row(&r)).transpose()
    }

    /// Orders in `state` last changed before `updated_before` (unix seconds), oldest first:
    /// what recovery and reconciliation look at.
    pub async fn orders_in_state(
        &self,
        state: SessionState,
        updated_before: i64,
        limit: i64,
    ) -> anyhow::Result<Vec<Order>> {
        let select = format!(
            "SELECT {} FROM orders WHERE state = $1 AND updated_at < $2 ORDER BY updated_at LIMIT $3",
            Order::COLUMNS
        );
        let rows = self
            .fetch(select, args![state.as_str(), updated_before, limit])
            .await
            .context("listing orders by state")?;
        rows.iter().map(Order::from_row).collect()
    }

    /// Orders in `state` that neither changed nor were asked about at their provider since
    /// `quiet_since`, oldest first: the ones to reconcile. Skipping recently asked ones in the
    /// query (not after it) keeps long-lived orders (unpaid invoices) from filling every batch.
    pub async fn orders_to_ask(
        &self,
        state: SessionState,
        quiet_since: i64,
        limit: i64,
    ) -> anyhow::Result<Vec<Order>> {
        let select = format!(
            "SELECT {} FROM orders WHERE state = $1 AND updated_at < $2 \
             AND (last_checked_at IS NULL OR last_checked_at < $2) ORDER BY updated_at LIMIT $3",
            Order::COLUMNS
        );
        let rows = self
            .fetch(select, args![state.as_str(), quiet_since, limit])
            .await
            .context("listing orders to reconcile")?;
        rows.iter().map(Order::from_row).collect()
    }

    /// How many orders are in each state (tests, the soak report, metrics).
    pub async fn state_counts(&self) -> anyhow::Result<Vec<(SessionState, i64)>> {
        let rows = self
            .fetch("SELECT state, COUNT(*) AS n FROM orders GROUP BY state ORDER BY state", vec![])
            .await
            .context("counting orders by state")?;
        rows.iter()
            .map(|r| {
                let state = r.text_of("state")?;
                let state = SessionState::parse(&state)
                    .with_context(|| format!("stored state `{state}`"))?;
                Ok((state, r.int_of("n")?))
            })
            .collect()
    }

    /// How many state changes an order went through (tests and audits).
    pub async fn transition_count(&self, id: &str) -> anyhow::Result<i64> {
        self.fetch_one("SELECT COUNT(*) AS n FROM order_events WHERE order_id = $1", args![id])
            .await
            .context("counting transitions")?
            .int_of("n")
    }

    /// The states an order went through, in order, starting with `created`. The log is
    /// chained by its states (each change starts where the last ended), which also checks
    /// that no change was lost or made twice.
    pub async fn history(&self, id: &str) -> anyhow::Result<Vec<SessionState>> {
        let rows = self
            .fetch("SELECT from_state, to_state FROM order_events WHERE order_id = $1", args![id])
            .await
            .context("reading an order's history")?;
        let mut edges = Vec::with_capacity(rows.len());
        for row in rows {
            let (from, to) = (row.text_of("from_state")?, row.text_of("to_state")?);
            let parse =
                |s: &str| SessionState::parse(s).with_context(|| format!("stored state `{s}`"));
            edges.push((parse(&from)?, parse(&to)?));
        }
        let mut states = vec![SessionState::Created];
        while !edges.is_empty() {
            let last = states[states.len() - 1];
            let i = edges.iter().position(|(from, _)| *from == last).with_context(|| {
                format!("order {id}: the transition log does not continue from {}", last.as_str())
            })?;
            states.push(edges.swap_remove(i).1);
        }
        Ok(states)
    }

    /// Why the order became `paid` (the cause logged with that transition), if it did.
    pub async fn paid_cause(&self, id: &str) -> anyhow::Result<Option<String>> {
        let row = self
            .fetch_optional(
                "SELECT cause FROM order_events WHERE order_id = $1 AND to_state = $2",
                args![id, SessionState::Paid.as_str()],
            )
            .await
            .context("reading why an order was paid")?;
        row.map(|r| r.text_of("cause")).transpose()
    }

    /// Number of orders (tests and metrics).
    pub async fn order_count(&self) -> anyhow::Result<i64> {
        self.fetch_one("SELECT COUNT(*) AS n FROM orders", vec![]).await?.int_of("n")
    }
}

/// The order's state as this transaction sees it; `None` if there is no such order.
pub(super) async fn current_state(
    db: &mut dyn Db,
    id: &str,
) -> anyhow::Result<Option<SessionState>> {
    let row = sql::fetch_optional(db, "SELECT state FROM orders WHERE id = $1", args![id])
        .await
        .context("reading an order's state")?;
    row.map(|r| {
        let state = r.text_of("state")?;
        SessionState::parse(&state).with_context(|| format!("stored state `{state}`"))
    })
    .transpose()
}

/// Moves the order by `event` inside the caller's transaction; `None` if there is no such
/// order. `known` is the state this transaction already read, if it did (saves reading it
/// again). On PostgreSQL another transaction may win the row between the read and the
/// compare-and-set; then the state is read again (it is newer now) and the rules re-applied.
pub(super) async fn transition(
    db: &mut dyn Db,
    id: &str,
    mut known: Option<SessionState>,
    event: PaymentEvent,
    cause: &str,
    paid_minor: Option<i64>,
) -> anyhow::Result<Option<Applied>> {
    for _ in 0..8 {
        let current = match known.take() {
            Some(state) => state,
            None => match current_state(db, id).await? {
                Some(state) => state,
                None => return Ok(None),
            },
        };
        let Some(next) = current.apply(event) else {
            return Ok(Some(Applied::Unchanged(current)));
        };
        let moved = db
            .execute(
                "UPDATE orders SET state = $1, updated_at = $2, lease_until = NULL, \
                 paid_minor = COALESCE($3, paid_minor), \
                 paid_at = CASE WHEN $1 = 'paid' THEN $2 ELSE paid_at END \
                 WHERE id = $4 AND state = $5",
                args![next.as_str(), now(), paid_minor, id, current.as_str()],
            )
            .await
            .context("moving the order")?;
        if moved == 1 {
            log_transition(db, id, current, next, cause).await?;
            // The merchant's event, in this same transaction (issue 14).
            super::outbox::record_event(db, id, current, next, cause).await?;
            return Ok(Some(Applied::Moved(next)));
        }
    }
    anyhow::bail!("order {id} kept changing under us")
}

async fn log_transition(
    db: &mut dyn Db,
    id: &str,
    from: SessionState,
    to: SessionState,
    cause: &str,
) -> anyhow::Result<()> {
    db.execute(
        "INSERT INTO order_events (order_id, from_state, to_state, cause, at) \
         VALUES ($1, $2, $3, $4, $5)",
        args![id, from.as_str(), to.as_str(), cause, now()],
    )
    .await
    .context("logging a transition")?;
    Ok(())
}
