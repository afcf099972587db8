//! Recovery and reconciliation (R-S4, R-K7): a background worker that finishes what a crash,
//! a lost answer or a lost webhook left unfinished.
//!
//! Every order is stored before its provider is called, so after a crash (or a provider
//! answer that never arrived) an order can sit in `created`, maybe with a provider session we
//! never heard of. Its lease lapses after [`LEASE_SECS`]; then the worker claims it and calls
//! the provider again with the order's stable idempotency key, which settles the unknown
//! outcome (Stripe replays its answer; BokaMera replaces the checkout). Orders too old for
//! that are expired instead. An `open` order (or an `invoiced` one whose invoice is not paid
//! yet) not heard of for a while is asked about at its provider, in case its webhook was
//! lost; webhooks that arrive late change nothing twice.
//!
//! Every instance runs the worker; leases and compare-and-set make concurrent runs safe.

use std::time::Duration;

use kassa_wire::{PaymentEvent, SessionState};
use tokio::task::JoinHandle;

use crate::{
    payments,
    state::AppState,
    store::{now, Order, LEASE_SECS},
};

/// Orders looked at per state per run.
const BATCH: i64 = 100;

/// What one run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// `created` orders whose provider session was opened (or found) again.
    pub resumed: u32,
    /// `created` orders that could not be finished this time (provider still unavailable).
    pub still_unsettled: u32,
    /// `created` orders too old to retry, now expired.
    pub abandoned: u32,
    /// `open` and `invoiced` orders asked about at their provider.
    pub reconciled: u32,
}

/// The running worker; stops when dropped.
#[derive(Debug)]
pub struct Worker(JoinHandle<()>);

impl Drop for Worker {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Starts the worker: one run at once (a restarted process picks up what its predecessor
/// left), then one every `recovery_interval_ms`. `None` when the interval is 0.
pub fn spawn(state: AppState) -> Option<Worker> {
    let interval = state.reliability.recovery_interval_ms;
    if interval == 0 {
        return None;
    }
    Some(Worker(tokio::spawn(async move {
        let mut ticks = tokio::time::interval(Duration::from_millis(interval));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match run_once(&state).await {
                Ok(report) if report != Report::default() => {
                    crate::metrics::recovery("resumed", report.resumed);
                    crate::metrics::recovery("abandoned", report.abandoned);
                    crate::metrics::recovery("reconciled", report.reconciled);
                    tracing::info!(?report, "recovery run");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(
                    error = format!("{e:#}"),
                    "recovery run failed; trying again later"
                ),
            }
        }
    })))
}

/// One pass over unfinished orders.
pub async fn run_once(state: &AppState) -> anyhow::Result<Report> {
    let mut report = Report::default();
    let now = now();
    for order in state.store.orders_in_state(SessionState::Created, now - LEASE_SECS, BATCH).await?
    {
        if !due(&order, now) {
            continue;
        }
        let origin = order.request_id.clone().unwrap_or_else(|| "-".into());
        if now - order.created_at > state.reliability.abandon_after_secs {
            let abandoned = crate::news::News::verdict(
                PaymentEvent::Expired,
                "abandoned before the provider answered",
            );
            crate::news::apply(state, order.provider, Some(&order), &abandoned).await?;
            tracing::warn!(order = %order.id, origin_request_id = %origin, "expired an order left unfinished too long");
            report.abandoned += 1;
            continue;
        }
        match payments::resume(state, order.clone()).await {
            Ok(Some(_)) => {
                tracing::info!(order = %order.id, origin_request_id = %origin, "resumed an unfinished order");
                report.resumed += 1;
            }
            Ok(None) => {}
            Err(e) => {
                tracing::info!(order = %order.id, origin_request_id = %origin, error = %e, "an unfinished order stays unfinished for now");
                report.still_unsettled += 1;
            }
        }
    }
    let quiet_since = now - state.reliability.reconcile_after_secs;
    // Open orders, and invoices not yet paid: Front Payment calls back when an invoice is
    // paid, and this is what a lost callback would have said.
    for waiting in [SessionState::Open, SessionState::Invoiced] {
        for order in state.store.orders_to_ask(waiting, quiet_since, BATCH).await? {
            payments::reconcile(state, &order).await?;
            report.reconciled += 1;
        }
    }
    Ok(report)
}

/// Whether a `created` order is due another attempt: the wait doubles with each attempt made
/// (from the lease length up to an hour), so a provider that stays down is not hammered.
fn due(order: &Order, now: i64) -> bool {
    let doublings =
        u32::try_from(order.provider_attempts.saturating_sub(1).clamp(0, 8)).unwrap_or(8);
    let wait = (LEASE_SECS << doublings).min(3600);
    now - order.updated_at >= wait
}

#[cfg(test)]
mod tests {
    use kassa_wire::{Currency, MethodId, Money, ProviderId, Quote, QuoteId, SessionId};

    use super::*;

    fn order(attempts: i64, updated_at: i64) -> Order {
        Order {
            id: SessionId::parse("ks_1").unwrap(),
            request_hash: String::new(),
            state: SessionState::Created,
            method: MethodId::parse("m").unwrap(),
            provider: ProviderId::Stripe,
            total: Money::from_minor(100, Currency::NOK).unwrap(),
            quote: Quote {
                id: QuoteId::parse("q").unwrap(),
                expires_at: String::new(),
                lines: vec![],
                total: Money::from_minor(100, Currency::NOK).unwrap(),
            },
            provider_ref: None,
            action: None,
            expires_at: None,
            lease_until: None,
            paid_minor: None,
            paid_at: None,
            last_error: None,
            last_checked_at: None,
            unconfirmed_at: None,
            provider_attempts: attempts,
            request_id: None,
            created_at: 0,
            updated_at,
        }
    }

    #[test]
    fn an_order_left_by_a_crash_is_due_once_its_lease_has_lapsed() {
        assert!(!due(&order(1, 1000), 1000 + LEASE_SECS - 1));
        assert!(due(&order(1, 1000), 1000 + LEASE_SECS));
        assert!(due(&order(0, 1000), 1000 + LEASE_SECS));
    }

    #[test]
    fn each_failed_attempt_doubles_the_wait_up_to_an_hour() {
        assert!(!due(&order(3, 0), 4 * LEASE_SECS - 1));
        assert!(due(&order(3, 0), 4 * LEASE_SECS));
        assert!(due(&order(40, 0), 3600));
    }
}
