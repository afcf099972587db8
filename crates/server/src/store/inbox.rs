//! The inbox of provider notifications (R-K4): each verified webhook or callback is recorded
//! under the provider's own identity for it, in the same transaction as the state change it
//! causes, so a duplicate (in sequence, concurrent, or after a crash) changes nothing and
//! a crash never leaves a change without its record or a record without its change.

use anyhow::Context as _;
use kassa_wire::{PaymentEvent, SessionState};

use super::{
    now,
    orders::{current_state, transition},
    sql::{args, Columns as _},
    Applied, Store,
};

/// A change to an order's state: the one way news reaches an order in the store (the
/// provider session's creation, [`Store::record_provider_session`], aside).
#[derive(Clone, Copy, Debug)]
pub struct Change<'a> {
    /// The order it concerns, if known.
    pub order_id: Option<&'a str>,
    /// What happened; `None` when nothing changes or the event must not be applied.
    pub event: Option<PaymentEvent>,
    /// The amount paid, for a `Paid` event.
    pub paid_minor: Option<i64>,
    /// Why the change happens, for the transition log.
    pub cause: &'a str,
    /// For a provider notification: its identity, recorded in the inbox in the same
    /// transaction, so that the same notification again changes nothing.
    pub inbox: Option<InboxKey<'a>>,
}

/// The provider's identity of one notification.
#[derive(Clone, Copy, Debug)]
pub struct InboxKey<'a> {
    /// The provider's id (`stripe`, …).
    pub provider: &'a str,
    /// Its identity of this news (Stripe's `evt_…`, reference + status, …).
    pub dedup_key: &'a str,
}

/// What applying a [`Change`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Noted {
    /// Seen before: nothing changed.
    Duplicate,
    /// For an order we do not have (a notification is recorded all the same).
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
    /// Applies `c`'s event to its order through the state machine (compare-and-set, and the
    /// transition log), recording a notification in the inbox first, in one transaction.
    pub async fn apply(&self, c: &Change<'_>) -> anyhow::Result<Noted> {
        let order_id = c.order_id.map(str::to_owned);
        let (event, paid_minor, cause) = (c.event, c.paid_minor, c.cause.to_owned());
        let inbox = c.inbox.map(|k| (k.provider.to_owned(), k.dedup_key.to_owned()));
        self.write(move |db| {
            Box::pin(async move {
                let order_id = order_id.as_deref();
                // The inbox row names the order only if it exists; the state read to learn
                // that is the transition's starting point too (one read, not two).
                let (order_id, known) = match (order_id, &inbox) {
                    (Some(id), Some(_)) => match current_state(db, id).await? {
                        Some(state) => (Some(id), Some(state)),
                        None => (None, None),
                    },
                    (id, None) => (id, None),
                    (None, Some(_)) => (None, None),
                };
                // The outcome is written with the row. It is foreseen from the state just read:
                // on SQLite's one writer nothing can move the order before the transition
                // below, so the forecast is the outcome; on PostgreSQL another transaction may
                // move it first, and then the row is corrected after the transition.
                let foreseen = foresee(order_id, known, event);
                if let Some((provider, dedup_key)) = &inbox {
                    let recorded = db
                        .execute(
                            "INSERT INTO inbox (provider, dedup_key, order_id, event, outcome, \
                             received_at) VALUES ($1, $2, $3, $4, $5, $6) \
                             ON CONFLICT (provider, dedup_key) DO NOTHING",
                            args![
                                provider.as_str(),
                                dedup_key.as_str(),
                                order_id,
                                event.map(PaymentEvent::as_str),
                                foreseen.as_str(),
                                now(),
                            ],
                        )
                        .await
                        .context("recording the notification")?;
                    if recorded == 0 {
                        // Nothing was written: the same notification was recorded before.
                        return Ok(Noted::Duplicate);
                    }
                }
                let noted = match (order_id, event) {
                    (None, _) => Noted::UnknownOrder,
                    (Some(id), Some(event)) => {
                        match transition(db, id, known, event, &cause, paid_minor).await? {
                            Some(applied) => Noted::Applied(applied),
                            None => Noted::UnknownOrder,
                        }
                    }
                    (Some(id), None) => {
                        let state = match known {
                            Some(state) => Some(state),
                            None => current_state(db, id).await?,
                        };
                        match state {
                            Some(state) => Noted::Applied(Applied::Unchanged(state)),
                            None => Noted::UnknownOrder,
                        }
                    }
                };
                if let Some((provider, dedup_key)) = inbox.as_ref().filter(|_| noted != foreseen) {
                    db.execute(
                        "UPDATE inbox SET outcome = $1 WHERE provider = $2 AND dedup_key = $3",
                        args![noted.as_str(), provider.as_str(), dedup_key.as_str()],
                    )
                    .await
                    .context("recording the notification's outcome")?;
                }
                Ok(noted)
            })
        })
        .await
    }

    /// [`Store::apply`] for news that is no notification: `event` to order `id`. `Noted`
    /// becomes [`Applied`]; an order that does not exist is an error.
    pub async fn apply_event(
        &self,
        id: &str,
        event: PaymentEvent,
        cause: &str,
        paid_minor: Option<i64>,
    ) -> anyhow::Result<Applied> {
        let change =
            Change { order_id: Some(id), event: Some(event), paid_minor, cause, inbox: None };
        match self.apply(&change).await? {
            Noted::Applied(applied) => Ok(applied),
            other => anyhow::bail!("order {id}: {}", other.as_str()),
        }
    }

    /// The outcome recorded for one notification, if it is in the inbox (tests and audits).
    pub async fn inbox_outcome(
        &self,
        provider: &str,
        dedup_key: &str,
    ) -> anyhow::Result<Option<String>> {
        let row = self
            .fetch_optional(
                "SELECT outcome FROM inbox WHERE provider = $1 AND dedup_key = $2",
                args![provider, dedup_key],
            )
            .await
            .context("reading a notification's outcome")?;
        row.map(|r| r.text_of("outcome")).transpose()
    }

    /// How many notifications are in the inbox for `order_id` (tests and audits).
    pub async fn inbox_count(&self, order_id: &str) -> anyhow::Result<i64> {
        self.fetch_one("SELECT COUNT(*) AS n FROM inbox WHERE order_id = $1", args![order_id])
            .await
            .context("counting notifications")?
            .int_of("n")
    }
}

/// What [`Store::apply`] will note for `event` to an order found in `known` state (or not
/// found: `order_id` is `None` then), if nothing moves the order in between.
fn foresee(
    order_id: Option<&str>,
    known: Option<SessionState>,
    event: Option<PaymentEvent>,
) -> Noted {
    match (order_id, known) {
        (Some(_), Some(state)) => Noted::Applied(match event.and_then(|e| state.apply(e)) {
            Some(next) => Applied::Moved(next),
            None => Applied::Unchanged(state),
        }),
        _ => Noted::UnknownOrder,
    }
}
