//! Concurrency over HTTP, on SQLite and on PostgreSQL (R-S2, R-S5, R-K4): a double-clicking
//! customer and a provider that delivers one webhook many times at once each leave one
//! order, one provider session and one state change, and are never answered with a 500 (a
//! busy database must wait, not fail).

use futures::future::join_all;
use kassa_server::store::Store;
use kassa_wire::{ProviderId, SessionState};
use serde_json::Value;

use crate::support::{
    app::{method_of, TestApp},
    on_both_backends, Backend,
};

on_both_backends!(
    fifty_concurrent_creations_with_one_key_answer_one_session_and_never_a_500,
    fifty_concurrent_copies_of_a_webhook_change_the_order_once_and_are_all_acknowledged,
);

async fn fifty_concurrent_creations_with_one_key_answer_one_session_and_never_a_500(
    backend: Backend,
) {
    let app = TestApp::start(backend).await;
    for provider in [ProviderId::Stripe, ProviderId::Payfect] {
        let key = format!("double-click-{}", provider.as_str());
        let answers = join_all((0..50).map(|_| app.create(method_of(provider), &key))).await;
        let mut ids = vec![];
        for res in answers {
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap();
            match status {
                200 => ids.push(body["id"].as_str().unwrap().to_owned()),
                409 => assert_eq!(body["code"], "idempotency_key_in_flight", "{body}"),
                _ => panic!("{backend:?} {provider:?}: HTTP {status}: {body}"),
            }
        }
        ids.dedup();
        assert_eq!(ids.len(), 1, "{provider:?}: every answer names the same session: {ids:?}");
        assert_eq!(
            app.sessions_at_sim(provider, &ids[0]).await,
            1,
            "{provider:?}: one provider session"
        );
    }
    let store = Store::connect(&app.db.url).await.unwrap();
    assert_eq!(store.order_count().await.unwrap(), 2);
}

async fn fifty_concurrent_copies_of_a_webhook_change_the_order_once_and_are_all_acknowledged(
    backend: Backend,
) {
    let app = TestApp::start(backend).await;
    let session = app.create_ok("stripe-hosted", "k-webhook").await;
    let reference = app.provider_ref(&session.id).await;
    // Pay at the simulator with its webhook stopped, then deliver the real event 50 times at once.
    app.http
        .post(format!("{}/__sim/webhook", app.sim.stripe_url))
        .json(&serde_json::json!({"url": null}))
        .send()
        .await
        .unwrap();
    app.act(ProviderId::Stripe, &reference, "pay").await;
    let state = app.sim_state(ProviderId::Stripe).await;
    let event = state["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "checkout.session.completed")
        .expect("the simulator made a completion event")
        .to_string();
    let secret = app.sim_config.stripe.webhook_secret.clone();
    let deliveries = (0..50).map(|_| {
        let t = kassa_server::store::now();
        app.http
            .post(format!("{}/v1/webhooks/stripe", app.api))
            .header(
                "Stripe-Signature",
                kassa_sim::stripe::webhook::signature_header(&secret, t, event.as_bytes()),
            )
            .header("Content-Type", "application/json")
            .body(event.clone())
            .send()
    });
    for res in join_all(deliveries).await {
        let res = res.unwrap();
        assert_eq!(res.status(), 200, "{backend:?}: {}", res.text().await.unwrap());
    }
    let store = Store::connect(&app.db.url).await.unwrap();
    assert_eq!(
        store.history(&session.id).await.unwrap(),
        [SessionState::Created, SessionState::Open, SessionState::Paid]
    );
    assert_eq!(store.inbox_count(&session.id).await.unwrap(), 1);
}
