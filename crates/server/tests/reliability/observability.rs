//! What an operator sees: Prometheus metrics that count checkouts, provider calls and
//! webhooks, and health endpoints that follow the database (R-R2).

use kassa_wire::{ApiError, ProviderId};

use crate::support::{app::TestApp, pg::PgServer, Backend, Database};

/// The value of the sample `name{labels}` in an OpenMetrics text, if present.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_sessions_provider_calls_and_webhooks() {
    let app = TestApp::start(Backend::Sqlite).await;
    let session = app.create_ok("stripe-hosted", "k-metrics").await;
    let reference = app.provider_ref(&session.id).await;
    app.act(ProviderId::Stripe, &reference, "pay").await;
    let res = app.http.get(format!("{}/metrics", app.api)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/openmetrics-text"));
    let text = res.text().await.unwrap();
    let at_least_one = |series: &str| {
        let value = sample(&text, series).unwrap_or_else(|| panic!("no {series} in\n{text}"));
        assert!(value >= 1.0, "{series} = {value}");
    };
    at_least_one(r#"kassa_sessions_created_total{provider="stripe",outcome="opened"}"#);
    at_least_one(
        r#"kassa_provider_request_duration_seconds_count{provider="stripe",operation="create_session"}"#,
    );
    at_least_one(r#"kassa_webhooks_total{provider="stripe",outcome="applied"}"#);
    assert!(text.ends_with("# EOF\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_its_database_the_backend_says_not_ready_and_answers_503_to_retry_never_500() {
    let server =
        tokio::task::spawn_blocking(PgServer::start).await.unwrap().expect("a PostgreSQL server");
    let db = Database::at(server.fresh_database().await);
    let app = TestApp::builder(Backend::Postgres).on(db).start().await;
    let session = app.create_ok("stripe-hosted", "k-db-1").await;
    let ready = app.http.get(format!("{}/health/ready", app.api)).send().await.unwrap();
    assert_eq!(ready.status(), 200);

    drop(server); // PostgreSQL stops.

    let ready = app.http.get(format!("{}/health/ready", app.api)).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let live = app.http.get(format!("{}/health/live", app.api)).send().await.unwrap();
    assert_eq!(live.status(), 200, "the process itself is fine");
    for res in [
        app.http
            .get(format!("{}/v1/checkout/sessions/{}", app.api, session.id))
            .send()
            .await
            .unwrap(),
        app.create("stripe-hosted", "k-db-2").await,
    ] {
        assert_eq!(res.status(), 503);
        assert!(res.headers().contains_key("retry-after"));
        let error: ApiError = res.json().await.unwrap();
        assert!(error.retryable);
    }
    let webhook =
        app.http.post(format!("{}/v1/webhooks/payfect", app.api)).body("{}").send().await.unwrap();
    assert_ne!(webhook.status().as_u16(), 200, "a provider must deliver again later");
}
