//! Prometheus metrics, served at `GET /metrics` in the OpenMetrics text format.
//!
//! What an operator needs to see that checkouts work: sessions created per provider and
//! outcome, how long provider calls take, what became of webhooks, what the recovery worker
//! did, and how often the rate limit refused someone. Labels take values from closed sets
//! (provider ids and fixed outcome words), never from request data, so a caller cannot grow
//! the series without bound. The registry is per process, as Prometheus expects.

use std::{sync::OnceLock, time::Duration};

use axum::{
    http::{header, StatusCode},
    response::{IntoResponse, Response},
};
use kassa_wire::{ProviderId, SessionState};
use prometheus_client::{
    encoding::{text::encode, EncodeLabelSet},
    metrics::{
        counter::Counter,
        family::Family,
        histogram::{exponential_buckets, Histogram},
    },
    registry::Registry,
};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    provider: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Call {
    provider: &'static str,
    operation: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Action {
    action: &'static str,
}

type Latency = Family<Call, Histogram, fn() -> Histogram>;

struct Metrics {
    registry: Registry,
    sessions: Family<Outcome, Counter>,
    provider_seconds: Latency,
    webhooks: Family<Outcome, Counter>,
    recovery: Family<Action, Counter>,
    rate_limited: Counter,
    write_groups: Counter,
    deferred_commits: Counter,
    write_transactions: Counter,
    frame_checks: Family<Outcome, Counter>,
    orders_moved: Family<Outcome, Counter>,
    answers_refused: Family<Outcome, Counter>,
}

fn latency_histogram() -> Histogram {
    // 5 ms to about 20 s.
    Histogram::new(exponential_buckets(0.005, 2.0, 13))
}

fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(|| {
        let mut registry = Registry::with_prefix("kassa");
        let sessions = Family::<Outcome, Counter>::default();
        registry.register(
            "sessions_created",
            "Provider session creations by provider and outcome (opened, unknown: retry settles it, refused)",
            sessions.clone(),
        );
        let provider_seconds: Latency = Family::new_with_constructor(latency_histogram);
        registry.register_with_unit(
            "provider_request_duration",
            "Time spent in provider calls, retries included, by provider and operation",
            prometheus_client::registry::Unit::Seconds,
            provider_seconds.clone(),
        );
        let webhooks = Family::<Outcome, Counter>::default();
        registry.register(
            "webhooks",
            "Provider webhooks and callbacks by provider and outcome (applied, unchanged, duplicate, \
             unknown_order, refused, unconfirmed, not_found, failed)",
            webhooks.clone(),
        );
        let recovery = Family::<Action, Counter>::default();
        registry.register(
            "recovery_orders",
            "Orders the recovery worker resumed, abandoned or reconciled",
            recovery.clone(),
        );
        let write_groups = Counter::default();
        registry.register(
            "sqlite_commits",
            "Commits by the SQLite writer thread; each commits the write transactions that queued meanwhile (one fsync)",
            write_groups.clone(),
        );
        let deferred_commits = Counter::default();
        registry.register(
            "sqlite_deferred_commits",
            "Of those commits, the ones that did not wait for the disk: every transaction in them was an order's first write, made durable by the order's next write (store::Durability)",
            deferred_commits.clone(),
        );
        let write_transactions = Counter::default();
        registry.register(
            "sqlite_write_transactions",
            "Write transactions the SQLite writer thread ran; divided by its commits, the group size",
            write_transactions.clone(),
        );
        let rate_limited = Counter::default();
        registry.register(
            "session_creations_rate_limited",
            "Session creations refused by the per-client rate limit",
            rate_limited.clone(),
        );
        let frame_checks = Family::<Outcome, Counter>::default();
        registry.register(
            "frame_checks",
            "Checks of a provider page before framing it, by provider and outcome (allowed, \
             refused: answered as a redirect, unknown: framed, the widget's timeout decides)",
            frame_checks.clone(),
        );
        let orders_moved = Family::<Outcome, Counter>::default();
        registry.register(
            "orders_moved",
            "Order state changes by provider and the state entered (open, paid, invoiced: an \
             invoice was issued, no money has moved yet, failed, cancelled, expired)",
            orders_moved.clone(),
        );
        let answers_refused = Family::<Outcome, Counter>::default();
        registry.register(
            "provider_answers_refused",
            "Provider answers about an order that its documents do not allow (an unknown \
             status, an amount that differs); the order was left unchanged",
            answers_refused.clone(),
        );
        Metrics {
            registry,
            orders_moved,
            answers_refused,
            sessions,
            provider_seconds,
            webhooks,
            recovery,
            rate_limited,
            write_groups,
            deferred_commits,
            write_transactions,
            frame_checks,
        }
    })
}

/// A provider session creation ended with `outcome` (`opened`, `unknown`, `refused`).
pub fn session_created(provider: ProviderId, outcome: &'static str) {
    metrics().sessions.get_or_create(&Outcome { provider: provider.as_str(), outcome }).inc();
}

/// A provider call (`create_session`, `fetch_update`, `notification`, …) took `elapsed`.
pub fn provider_call(provider: ProviderId, operation: &'static str, elapsed: Duration) {
    let call = Call { provider: provider.as_str(), operation };
    metrics().provider_seconds.get_or_create(&call).observe(elapsed.as_secs_f64());
}

/// A webhook or callback for `provider` (a path segment: unknown ones count as `unknown`)
/// ended with `outcome`.
pub fn webhook(provider: &str, outcome: &'static str) {
    let provider = ProviderId::parse(provider).map_or("unknown", ProviderId::as_str);
    metrics().webhooks.get_or_create(&Outcome { provider, outcome }).inc();
}

/// The recovery worker did `action` (`resumed`, `abandoned`, `reconciled`) to `n` orders.
pub fn recovery(action: &'static str, n: u32) {
    if n > 0 {
        metrics().recovery.get_or_create(&Action { action }).inc_by(u64::from(n));
    }
}

/// The SQLite writer committed a group of `transactions` write transactions, as `durably`
/// as that.
pub fn sqlite_commit(transactions: usize, durably: crate::store::Durability) {
    let m = metrics();
    m.write_groups.inc();
    if durably == crate::store::Durability::Deferred {
        m.deferred_commits.inc();
    }
    m.write_transactions.inc_by(u64::try_from(transactions).unwrap_or(u64::MAX));
}

/// The rate limit refused a session creation.
pub fn rate_limited() {
    metrics().rate_limited.inc();
}

/// A provider page was checked before framing it: `allowed`, `refused` or `unknown`.
pub fn frame_check(provider: ProviderId, outcome: &'static str) {
    metrics().frame_checks.get_or_create(&Outcome { provider: provider.as_str(), outcome }).inc();
}

/// An order of `provider` entered `state` (moves made through the API, polls, reconciling
/// and notifications).
pub fn order_moved(provider: ProviderId, state: SessionState) {
    let key = Outcome { provider: provider.as_str(), outcome: state.as_str() };
    metrics().orders_moved.get_or_create(&key).inc();
}

/// A provider answer about an order was refused as one its documents do not allow.
pub fn answer_refused(provider: ProviderId) {
    let key = Outcome { provider: provider.as_str(), outcome: "refused" };
    metrics().answers_refused.get_or_create(&key).inc();
}

/// `GET /metrics`.
pub async fn serve() -> Response {
    let mut text = String::new();
    match encode(&mut text, &metrics().registry) {
        Ok(()) => (
            [(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")],
            text,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "could not encode the metrics");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn recorded_events_appear_in_the_exposition() {
        session_created(ProviderId::Stripe, "opened");
        provider_call(ProviderId::Stripe, "create_session", Duration::from_millis(30));
        webhook("stripe", "applied");
        webhook("../../etc/passwd", "refused");
        let response = serve().await;
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(
            text.contains(r#"kassa_sessions_created_total{provider="stripe",outcome="opened"}"#),
            "{text}"
        );
        assert!(text.contains(r#"kassa_provider_request_duration_seconds_bucket{le="0.04",provider="stripe",operation="create_session"}"#) || text.contains("kassa_provider_request_duration_seconds_count"), "{text}");
        assert!(
            text.contains(r#"kassa_webhooks_total{provider="unknown",outcome="refused"}"#),
            "a path is never a label: {text}"
        );
        assert!(text.ends_with("# EOF\n"));
    }

    #[tokio::test]
    async fn an_invoiced_order_is_counted_apart_from_paid_ones() {
        order_moved(ProviderId::FrontPayment, SessionState::Invoiced);
        answer_refused(ProviderId::FrontPayment);
        let response = serve().await;
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert!(
            text.contains(
                r#"kassa_orders_moved_total{provider="front_payment",outcome="invoiced"}"#
            ),
            "{text}"
        );
        assert!(
            text.contains(
                r#"kassa_provider_answers_refused_total{provider="front_payment",outcome="refused"}"#
            ),
            "{text}"
        );
    }
}
