//! Orders in SQL, on SQLite or PostgreSQL, chosen by the database URL.
//!
//! One set of portable queries through sqlx's `Any` driver, so both backends pass the same
//! tests. Every state change is a compare-and-set (`UPDATE … WHERE state = $old`), so
//! concurrent requests, webhooks and several backend processes can never move an order
//! twice or backwards; the pure rules live in [`kassa_wire::SessionState::apply`].

use anyhow::Context as _;
use kassa_wire::{PaymentEvent, SessionState};
use sqlx::{any::AnyPoolOptions, AnyPool, Row as _};

mod order;

pub use order::{NewOrder, Order};

/// The order store.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
}

/// What applying an event did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// The order moved to this state.
    Moved(SessionState),
    /// The event changed nothing (duplicate, stale, or a final state).
    Unchanged(SessionState),
}

/// Result of inserting an order under an idempotency key.
#[derive(Debug)]
pub enum Inserted {
    /// A new order was stored.
    New(Order),
    /// The key was used before; this is that order.
    Existing(Order),
}

impl Store {
    /// Connects (creating a SQLite file if needed) and runs the migrations.
    pub async fn connect(database_url: &str) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let url = if database_url.starts_with("sqlite:") && !database_url.contains("mode=") {
            let sep = if database_url.contains('?') { '&' } else { '?' };
            format!("{database_url}{sep}mode=rwc")
        } else {
            database_url.to_owned()
        };
        let pool = AnyPoolOptions::new()
            .max_connections(if url.starts_with("sqlite:") { 4 } else { 16 })
            .acquire_timeout(std::time::Duration::from_secs(5))
            .connect(&url)
            .await
            .with_context(|| format!("opening the database at {}", redact(database_url)))?;
        sqlx::migrate!("./migrations").run(&pool).await.context("running database migrations")?;
        Ok(Store { pool })
    }

    /// Stores a new order, or returns the one stored earlier under the same key.
    pub async fn insert_order(&self, new: &NewOrder) -> anyhow::Result<Inserted> {
        let now = now();
        let done = sqlx::query(
            "INSERT INTO orders (id, idempotency_key, request_hash, state, method, provider, \
             currency, total_minor, quote_json, request_json, lease_until, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) \
             ON CONFLICT (idempotency_key) DO NOTHING",
        )
        .bind(&new.id)
        .bind(&new.idempotency_key)
        .bind(&new.request_hash)
        .bind(SessionState::Created.as_str())
        .bind(&new.method)
        .bind(new.provider.as_str())
        .bind(new.total.currency().code())
        .bind(new.total.minor())
        .bind(&new.quote_json)
        .bind(&new.request_json)
        .bind(now + LEASE_SECS)
        .bind(now)
        .execute(&self.pool)
        .await
        .context("storing the order")?;
        if done.rows_affected() == 1 {
            let order = self.order(&new.id).await?.context("the order vanished after insert")?;
            return Ok(Inserted::New(order));
        }
        let existing = self
            .order_by_key(&new.idempotency_key)
            .await?
            .context("idempotency conflict without an order")?;
        Ok(Inserted::Existing(existing))
    }

    /// Claims the right to call the provider for `id` for a while; false if someone holds it.
    pub async fn claim_lease(&self, id: &str) -> anyhow::Result<bool> {
        let now = now();
        let done = sqlx::query(
            "UPDATE orders SET lease_until = $1 WHERE id = $2 AND state = $3 \
             AND provider_ref IS NULL AND (lease_until IS NULL OR lease_until < $4)",
        )
        .bind(now + LEASE_SECS)
        .bind(id)
        .bind(SessionState::Created.as_str())
        .bind(now)
        .execute(&self.pool)
        .await
        .context("claiming the order")?;
        Ok(done.rows_affected() == 1)
    }

    /// Releases the provider-call lease without other changes (the call failed retryably).
    pub async fn release_lease(&self, id: &str, error: &str) -> anyhow::Result<()> {
        sqlx::query("UPDATE orders SET lease_until = NULL, last_error = $1, updated_at = $2 WHERE id = $3")
            .bind(error)
            .bind(now())
            .bind(id)
            .execute(&self.pool)
            .await
            .context("releasing the order lease")?;
        Ok(())
    }

    /// Records the provider session and moves `created` to `open`.
    pub async fn record_provider_session(
        &self,
        id: &str,
        provider_ref: &str,
        action_json: &str,
        expires_at: Option<i64>,
    ) -> anyhow::Result<Applied> {
        let now = now();
        let done = sqlx::query(
            "UPDATE orders SET provider_ref = $1, action_json = $2, expires_at = $3, \
             lease_until = NULL, state = $4, updated_at = $5 WHERE id = $6 AND state = $7",
        )
        .bind(provider_ref)
        .bind(action_json)
        .bind(expires_at)
        .bind(SessionState::Open.as_str())
        .bind(now)
        .bind(id)
        .bind(SessionState::Created.as_str())
        .execute(&self.pool)
        .await
        .context("recording the provider session")?;
        if done.rows_affected() == 1 {
            self.log_transition(id, SessionState::Created, SessionState::Open, "provider session created")
                .await?;
            return Ok(Applied::Moved(SessionState::Open));
        }
        // A webhook may have settled it first; keep the reference for later lookups.
        sqlx::query("UPDATE orders SET provider_ref = COALESCE(provider_ref, $1), lease_until = NULL WHERE id = $2")
            .bind(provider_ref)
            .bind(id)
            .execute(&self.pool)
            .await
            .context("recording the provider reference")?;
        let order = self.order(id).await?.context("order vanished")?;
        Ok(Applied::Unchanged(order.state))
    }

    /// Applies `event` to the order through the state machine, with compare-and-set.
    pub async fn apply_event(
        &self,
        id: &str,
        event: PaymentEvent,
        cause: &str,
        paid_minor: Option<i64>,
    ) -> anyhow::Result<Applied> {
        // A lost compare-and-set means someone else moved the order; read again and retry.
        for _ in 0..8 {
            let order = self.order(id).await?.context("no such order")?;
            let Some(next) = order.state.apply(event) else {
                return Ok(Applied::Unchanged(order.state));
            };
            let now = now();
            let done = sqlx::query(
                "UPDATE orders SET state = $1, updated_at = $2, \
                 paid_minor = COALESCE($3, paid_minor), paid_at = CASE WHEN $1 = 'paid' THEN $2 ELSE paid_at END \
                 WHERE id = $4 AND state = $5",
            )
            .bind(next.as_str())
            .bind(now)
            .bind(paid_minor)
            .bind(id)
            .bind(order.state.as_str())
            .execute(&self.pool)
            .await
            .context("moving the order")?;
            if done.rows_affected() == 1 {
                self.log_transition(id, order.state, next, cause).await?;
                return Ok(Applied::Moved(next));
            }
        }
        anyhow::bail!("order {id} kept changing under us")
    }

    /// Records that a provider notification was seen; false if it was seen before.
    pub async fn record_notification(
        &self,
        provider: &str,
        dedup_key: &str,
        order_id: Option<&str>,
        event: Option<PaymentEvent>,
        outcome: &str,
    ) -> anyhow::Result<bool> {
        let done = sqlx::query(
            "INSERT INTO inbox (provider, dedup_key, order_id, event, outcome, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (provider, dedup_key) DO NOTHING",
        )
        .bind(provider)
        .bind(dedup_key)
        .bind(order_id)
        .bind(event.map(event_name))
        .bind(outcome)
        .bind(now())
        .execute(&self.pool)
        .await
        .context("recording the notification")?;
        Ok(done.rows_affected() == 1)
    }

    /// Notes an error on the order for operators (never shown to customers as is).
    pub async fn note_error(&self, id: &str, error: &str) -> anyhow::Result<()> {
        sqlx::query("UPDATE orders SET last_error = $1, updated_at = $2 WHERE id = $3")
            .bind(error)
            .bind(now())
            .bind(id)
            .execute(&self.pool)
            .await
            .context("noting an order error")?;
        Ok(())
    }

    /// Marks that the provider was asked about the order now.
    pub async fn touch_checked(&self, id: &str) -> anyhow::Result<()> {
        sqlx::query("UPDATE orders SET last_checked_at = $1 WHERE id = $2")
            .bind(now())
            .bind(id)
            .execute(&self.pool)
            .await
            .context("marking the order checked")?;
        Ok(())
    }

    /// One order by id.
    pub async fn order(&self, id: &str) -> anyhow::Result<Option<Order>> {
        let row = sqlx::query(&format!("SELECT {} FROM orders WHERE id = $1", Order::COLUMNS))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .context("reading an order")?;
        row.map(|r| Order::from_row(&r)).transpose()
    }

    /// The order stored under an idempotency key.
    pub async fn order_by_key(&self, key: &str) -> anyhow::Result<Option<Order>> {
        let row = sqlx::query(&format!("SELECT {} FROM orders WHERE idempotency_key = $1", Order::COLUMNS))
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .context("reading an order by key")?;
        row.map(|r| Order::from_row(&r)).transpose()
    }

    /// The order a provider reference belongs to.
    pub async fn order_by_provider_ref(&self, provider: &str, reference: &str) -> anyhow::Result<Option<Order>> {
        let row = sqlx::query(&format!(
            "SELECT {} FROM orders WHERE provider = $1 AND provider_ref = $2",
            Order::COLUMNS
        ))
        .bind(provider)
        .bind(reference)
        .fetch_optional(&self.pool)
        .await
        .context("reading an order by provider reference")?;
        row.map(|r| Order::from_row(&r)).transpose()
    }

    /// How many state changes an order went through (tests and audits).
    pub async fn transition_count(&self, id: &str) -> anyhow::Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM order_events WHERE order_id = $1")
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .context("counting transitions")?;
        Ok(row.try_get::<i64, _>("n")?)
    }

    /// Number of orders (tests and metrics).
    pub async fn order_count(&self) -> anyhow::Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM orders").fetch_one(&self.pool).await?;
        Ok(row.try_get::<i64, _>("n")?)
    }

    async fn log_transition(&self, id: &str, from: SessionState, to: SessionState, cause: &str) -> anyhow::Result<()> {
        sqlx::query("INSERT INTO order_events (order_id, from_state, to_state, cause, at) VALUES ($1, $2, $3, $4, $5)")
            .bind(id)
            .bind(from.as_str())
            .bind(to.as_str())
            .bind(cause)
            .bind(now())
            .execute(&self.pool)
            .await
            .context("logging a transition")?;
        Ok(())
    }
}

/// How long a request may hold an order while it calls the provider.
const LEASE_SECS: i64 = 30;

fn event_name(event: PaymentEvent) -> &'static str {
    match event {
        PaymentEvent::Opened => "opened",
        PaymentEvent::Paid => "paid",
        PaymentEvent::Declined => "declined",
        PaymentEvent::Cancelled => "cancelled",
        PaymentEvent::Expired => "expired",
    }
}

/// Unix seconds now.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// A database URL with any password removed, fit for logs.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}
