//! Provider faults through the simulator (R-R1, R-I2, R-I3, R-I5): for every provider and
//! every fault the simulator can play, the customer gets a clear, retryable error; the order
//! stays open to a retry with the same `Idempotency-Key`; that retry finishes it; and the
//! simulator ends up holding the sessions the table below says.
//!
//! What "exactly one session" costs depends on the provider. Stripe takes an idempotency key,
//! so a create whose answer was lost is replayed, never repeated; BokaMera replaces a
//! booking's previous checkout when another is created for it, so only one can be paid.
//! Payfect, Front Payment and Checkfront document no idempotency and no way to find a session
//! by our reference, so when their answer is lost *after* they acted (a truncated body), the
//! retry must open a second session: the first one's URL never reached anyone, so it cannot be
//! paid, and it expires on its own (the README's Reliability section says so). Every fault that
//! strikes before the provider acts (5xx, 429, 510, malformed JSON, a reset, a timeout that
//! abandons the request) ends with exactly one.

use kassa_server::store::Store;
use kassa_wire::{ApiError, ErrorCode, ProviderId, SessionState};
use serde_json::{json, Value};

use crate::support::{
    app::{method_of, TestApp},
    Backend,
};

/// The faults the simulator plays, as `/__sim/faults` specs (without `count` and `path`).
fn faults() -> Vec<(&'static str, Value)> {
    vec![
        ("latency past our timeout", json!({"kind": "latency", "latency_ms": 2500})),
        ("429 with Retry-After", json!({"kind": "rate_limit", "retry_after": 7})),
        ("500", json!({"kind": "status", "status": 500})),
        ("503", json!({"kind": "status", "status": 503})),
        ("Front Payment's 510", json!({"kind": "status", "status": 510})),
        ("malformed JSON", json!({"kind": "malformed_json"})),
        ("a truncated body", json!({"kind": "truncated"})),
        ("a reset connection", json!({"kind": "reset"})),
    ]
}

/// The part of the create call's path a fault is aimed at.
fn create_path(provider: ProviderId) -> &'static str {
    match provider {
        ProviderId::Stripe => "/v1/checkout/sessions",
        ProviderId::Payfect => "/checkouts/",
        ProviderId::FrontPayment => "/payment-link/create",
        ProviderId::Checkfront => "/booking/create",
        ProviderId::Bokamera => "/payment/stripe/v1/checkout",
    }
}

/// Payable sessions at the simulator after the fault and the retry (see the module docs).
fn sessions_expected(provider: ProviderId, fault: &str) -> usize {
    let settles_lost_answers = matches!(provider, ProviderId::Stripe | ProviderId::Bokamera);
    if fault == "a truncated body" && !settles_lost_answers {
        2
    } else {
        1
    }
}

async fn every_fault_is_retryable_and_a_same_key_retry_finishes_the_order(provider: ProviderId) {
    for (name, spec) in faults() {
        // A fresh simulator per fault, so its session count is this scenario's alone.
        let app = TestApp::start(Backend::Sqlite).await;
        let store = Store::connect(&app.db.url).await.unwrap();
        let key = format!("fault-{}-{}", provider.as_str(), name.replace(' ', "-"));
        let mut spec = spec.clone();
        // Every attempt of the first request suffers the fault; the retry finds it gone.
        spec["count"] = json!(10);
        spec["path"] = json!(create_path(provider));
        app.fault(provider, spec).await;

        let res = app.create(method_of(provider), &key).await;
        let status = res.status().as_u16();
        let retry_after = res.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
        let body = res.text().await.unwrap();
        let error: ApiError = serde_json::from_str(&body)
            .unwrap_or_else(|_| panic!("{provider:?}, {name}: HTTP {status}: {body}"));
        assert_eq!(
            (status, error.code, error.retryable),
            (503, ErrorCode::ProviderUnavailable, true),
            "{provider:?}, {name}: {body}"
        );
        assert!(error.message.contains("try again"), "{provider:?}, {name}: {}", error.message);
        if name.starts_with("429") {
            assert_eq!(retry_after.as_deref(), Some("7"), "{provider:?}: Retry-After is passed on");
        }
        let order =
            store.order_by_key(&key).await.unwrap().expect("the order is stored before the call");
        assert_eq!(
            order.state,
            SessionState::Created,
            "{provider:?}, {name}: the order waits for a retry"
        );

        app.clear_faults(provider).await;
        let session = app.create_ok(method_of(provider), &key).await;
        assert_eq!(
            (session.id.as_str(), session.state),
            (order.id.as_str(), SessionState::Open),
            "{provider:?}, {name}"
        );
        assert!(session.action.is_some(), "{provider:?}, {name}: the customer can pay");
        assert_eq!(
            app.sessions_at_sim(provider, &order.id).await,
            sessions_expected(provider, name),
            "{provider:?}, {name}: sessions at the provider: {:#}",
            serde_json::Value::Array(app.sessions_at(provider).await)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stripe_faults_are_retryable_and_a_same_key_retry_finishes_the_order() {
    every_fault_is_retryable_and_a_same_key_retry_finishes_the_order(ProviderId::Stripe).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payfect_faults_are_retryable_and_a_same_key_retry_finishes_the_order() {
    every_fault_is_retryable_and_a_same_key_retry_finishes_the_order(ProviderId::Payfect).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn front_payment_faults_are_retryable_and_a_same_key_retry_finishes_the_order() {
    every_fault_is_retryable_and_a_same_key_retry_finishes_the_order(ProviderId::FrontPayment)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkfront_faults_are_retryable_and_a_same_key_retry_finishes_the_order() {
    every_fault_is_retryable_and_a_same_key_retry_finishes_the_order(ProviderId::Checkfront).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bokamera_faults_are_retryable_and_a_same_key_retry_finishes_the_order() {
    every_fault_is_retryable_and_a_same_key_retry_finishes_the_order(ProviderId::Bokamera).await;
}

/// BokaMera books before it makes the checkout, and booking takes no idempotency key: a
/// create whose checkout answer was lost, retried after the backend restarted (a new process,
/// as another instance would be), finds the order's booking at BokaMera and pays that one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bokamera_create_retried_after_a_restart_pays_the_one_booking_it_made() {
    let provider = ProviderId::Bokamera;
    let mut app = TestApp::start(Backend::Sqlite).await;
    let store = Store::connect(&app.db.url).await.unwrap();
    let key = "bokamera-lost-checkout-answer";
    app.fault(provider, json!({"kind": "truncated", "count": 10, "path": create_path(provider)}))
        .await;
    let res = app.create(method_of(provider), key).await;
    assert_eq!(res.status(), 503, "{}", res.text().await.unwrap());
    let order = store.order_by_key(key).await.unwrap().expect("the order is stored");
    assert_eq!(order.state, SessionState::Created, "the order waits for a retry");
    let bookings_of_order = |state: Value| -> Vec<Value> {
        let comment = format!("Kassa order {}", order.id);
        state["bookings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|b| b["BookedComments"] == comment.as_str())
            .cloned()
            .collect()
    };
    assert_eq!(bookings_of_order(app.sim_state(provider).await).len(), 1, "BokaMera booked");

    app.clear_faults(provider).await;
    app.restart_backend().await;
    let session = app.create_ok(method_of(provider), key).await;
    assert_eq!((session.id.as_str(), session.state), (order.id.as_str(), SessionState::Open));
    let bookings = bookings_of_order(app.sim_state(provider).await);
    assert_eq!(bookings.len(), 1, "the retry booked again: {bookings:?}");
    let reference = app.provider_ref(&order.id).await;
    let (booking, checkout) = reference.split_once('-').unwrap();
    assert_eq!(bookings[0]["Id"].to_string(), booking, "the checkout pays the one booking");
    app.act(provider, checkout, "pay").await;
    let store_paid = async {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
        loop {
            let s: Value =
                app.get_json(&format!("{}/v1/checkout/sessions/{}", app.api, order.id)).await;
            if s["state"] == "paid" || tokio::time::Instant::now() > deadline {
                break s;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    };
    let paid = store_paid.await;
    assert_eq!(paid["state"], "paid", "{paid}");
}
