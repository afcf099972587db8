//! The inbox of provider notifications (R-K4): each verified webhook or callback is recorded
//! under the provider's own identity for it, in the same transaction as the state change it
//! causes, so a duplicate (in sequence, concurrent, or after a crash) changes nothing and
//! a crash never leaves a change without its record or a record without its change.

use anyhow::Context as _;
use kassa_wire::PaymentEvent;
use sqlx::Row as _;

use super::{
    now,
    orders::{current_state, transition},
    Applied, Store,
};

/// A verified notification to record and apply.
#[derive(Clone, Copy, Debug)]
pub struct Notification<'a> {
    /// The provider's id (`stripe`, …).
    pub provider: &'a str,
    /// The provider's identity of this news (Stripe's `evt_…`, reference + status, …).
    pub dedup_key: &'a str,
    /// The order it concerns, if known.
    pub order_id: Option<&'a str>,
    /// What happened; `None` when nothing changed or the event must not be applied.
    pub event: Option<PaymentEvent>,
    /// The amount paid, for a `Paid` event.
    pub paid_minor: Option<i64>,
    /// Why the change happens, for the transition log.
    pub cause: &'a str,
}

/// What recording a notification did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Noted {
    /// Seen before: nothing changed.
    Duplicate,
    /// Recorded for an order we do not have.
    UnknownOrder,
    /// Recorded and applied (which may have changed nothing).
    Applied(Applied),
}

impl Noted {
    /// The word stored as the inbox row's outcome and used as a metrics label.
    pub fn as_str(self) -> &'static str {
        match self {
            Noted::Duplicate => "duplicate",
            Noted::UnknownOrder => "unknown_order",
            Noted::Applied(Applied::Moved(_)) => "applied",
            Noted::Applied(Applied::Unchanged(_)) => "unchanged",
        }
    }
}

impl Store {
    /// Records `n` in the inbox and applies its event to the order, in one transaction.
    pub async fn apply_notification(&self, n: &Notification<'_>) -> anyhow::Result<Noted> {
        let mut tx = self.begin_write().await?;
        let order_id = match n.order_id {
            Some(id) => current_state(&mut tx, id).await?.map(|_| id),
            None => None,
        };
        let inserted = sqlx::query(
            "INSERT INTO inbox (provider, dedup_key, order_id, event, outcome, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (provider, dedup_key) DO NOTHING",
        )
        .bind(n.provider)
        .bind(n.dedup_key)
        .bind(order_id)
        .bind(n.event.map(event_name))
        .bind("received")
        .bind(now())
        .execute(&mut *tx)
        .await
        .context("recording the notification")?;
        if inserted.rows_affected() == 0 {
            tx.rollback().await.context("ending a duplicate's transaction")?;
            return Ok(Noted::Duplicate);
        }
        let noted = match (order_id, n.event) {
            (None, _) => Noted::UnknownOrder,
            (Some(id), Some(event)) => Noted::Applied(
                transition(&mut tx, id, event, n.cause, n.paid_minor)
                    .await?
                    .context("the order vanished")?,
            ),
            (Some(id), None) => Noted::Applied(Applied::Unchanged(
                current_state(&mut tx, id).await?.context("the order vanished")?,
            )),
        };
        sqlx::query("UPDATE inbox SET outcome = $1 WHERE provider = $2 AND dedup_key = $3")
            .bind(noted.as_str())
            .bind(n.provider)
            .bind(n.dedup_key)
            .execute(&mut *tx)
            .await
            .context("recording the notification's outcome")?;
        tx.commit().await.context("committing the notification")?;
        Ok(noted)
    }

    /// How many notifications are in the inbox for `order_id` (tests and audits).
    pub async fn inbox_count(&self, order_id: &str) -> anyhow::Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM inbox WHERE order_id = $1")
            .bind(order_id)
            .fetch_one(&self.pool)
            .await
            .context("counting notifications")?;
        Ok(row.try_get::<i64, _>("n")?)
    }
}

fn event_name(event: PaymentEvent) -> &'static str {
    match event {
        PaymentEvent::Opened => "opened",
        PaymentEvent::Paid => "paid",
        PaymentEvent::Declined => "declined",
        PaymentEvent::Cancelled => "cancelled",
        PaymentEvent::Expired => "expired",
        PaymentEvent::Invoiced => "invoiced",
    }
}
