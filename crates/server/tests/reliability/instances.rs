//! Several backend processes on one PostgreSQL database behave as one: the idempotency key,
//! the provider-call lease and the compare-and-set state changes all live in the database,
//! never in a process's memory.

use futures::future::join_all;
use kassa_server::store::Store;
use kassa_wire::ProviderId;
use serde_json::Value;

use crate::support::{
    app::{method_of, TestApp},
    Backend,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creations_with_one_key_across_two_instances_make_one_order_and_one_provider_session(
) {
    let app = TestApp::start(Backend::Postgres).await;
    let (second, _running) = app.another_instance().await;
    for provider in [ProviderId::Stripe, ProviderId::Payfect, ProviderId::FrontPayment] {
        let key = format!("two-instances-{}", provider.as_str());
        let requests = (0..20).map(|i| {
            let api = if i % 2 == 0 { app.api.clone() } else { second.clone() };
            let app = &app;
            let key = key.clone();
            async move { app.create_on(&api, method_of(provider), &key).await }
        });
        let mut ids = vec![];
        for res in join_all(requests).await {
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap();
            match status {
                200 => ids.push(body["id"].as_str().unwrap().to_owned()),
                409 => assert_eq!(body["code"], "idempotency_key_in_flight", "{body}"),
                _ => panic!("{provider:?}: HTTP {status}: {body}"),
            }
        }
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 1, "{provider:?}: both instances answer the same session: {ids:?}");
        assert_eq!(
            app.sessions_at_sim(provider, &ids[0]).await,
            1,
            "{provider:?}: one provider session"
        );
    }
    let store = Store::connect(&app.db.url).await.unwrap();
    assert_eq!(store.order_count().await.unwrap(), 3);
}
