//! What an operator sees: Prometheus metrics that count checkouts, provider calls and
//! webhooks, and health endpoints that follow the database (R-R2), through an outage of the
//! database and after it.

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

/// `name;dur=…` of a `Server-Timing` value, in milliseconds.
fn timing(header: &str, name: &str) -> Option<f64> {
    header.split(',').find_map(|metric| {
        let mut parts = metric.trim().split(';');
        (parts.next()? == name).then_some(())?;
        parts.find_map(|p| p.strip_prefix("dur="))?.parse().ok()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_that_waited_for_a_provider_says_how_long_in_server_timing() {
    let app = TestApp::start(Backend::Sqlite).await;
    app.fault(
        ProviderId::Stripe,
        serde_json::json!({"kind": "latency", "latency_ms": 150, "count": 1,
            "path": "/v1/checkout/sessions"}),
    )
    .await;
    let res = app.create("stripe-hosted", "k-timing").await;
    assert_eq!(res.status(), 200);
    let header = res.headers()["server-timing"].to_str().unwrap().to_owned();
    let provider = timing(&header, "provider").unwrap_or_else(|| panic!("{header}"));
    let app_ms = timing(&header, "app").unwrap_or_else(|| panic!("{header}"));
    // The simulator held the answer 150 ms; our own part is the rest, and far less.
    assert!(provider >= 150.0, "{header}");
    assert!(app_ms > 0.0 && app_ms < provider, "{header}");

    // A quote asks no provider: no header.
    let res = app
        .http
        .post(format!("{}/v1/checkout/quote", app.api))
        .json(&serde_json::json!({"items": crate::support::app::cart()}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("server-timing").is_none());
}

/// A backend on a PostgreSQL server of its own, which the test may stop.
async fn on_its_own_postgres() -> (PgServer, TestApp) {
    let server =
        tokio::task::spawn_blocking(PgServer::start).await.unwrap().expect("a PostgreSQL server");
    let db = Database::at(server.fresh_database().await);
    let app = TestApp::builder(Backend::Postgres).on(db).start().await;
    (server, app)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_its_database_the_backend_says_not_ready_and_answers_503_to_retry_never_500() {
    let (server, app) = on_its_own_postgres().await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_database_outage_the_backend_recovers_and_finishes_what_was_refused() {
    let (server, app) = on_its_own_postgres().await;
    let paid_during = app.create_ok("stripe-hosted", "k-outage-1").await;
    let reference = app.provider_ref(&paid_during.id).await;
    let ready =
        || async { app.http.get(format!("{}/health/ready", app.api)).send().await.unwrap() };

    server.pause();
    assert_eq!(ready().await.status(), 503);
    // The customer pays while the database is down: the webhook is refused, so Stripe will
    // deliver it again; a checkout started now is refused with a retryable 503.
    app.act(ProviderId::Stripe, &reference, "pay").await;
    let refused = app.create("stripe-hosted", "k-outage-2").await;
    assert_eq!(refused.status(), 503);

    let _server = tokio::task::spawn_blocking(move || server.resume().map(|()| server))
        .await
        .unwrap()
        .expect("PostgreSQL starts again");
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    while ready().await.status() != 200 {
        assert!(tokio::time::Instant::now() < deadline, "the backend never became ready again");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    // The refused checkout goes through on the customer's retry with the same key...
    let retried = app.create_ok("stripe-hosted", "k-outage-2").await;
    assert_eq!(retried.state, kassa_wire::SessionState::Open);
    // ...and the payment made during the outage reaches its order.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let status: kassa_wire::Session =
            app.get_json(&format!("{}/v1/checkout/sessions/{}", app.api, paid_during.id)).await;
        if status.state == kassa_wire::SessionState::Paid {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the order stayed {:?}", status.state);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let deliveries: Vec<serde_json::Value> =
        app.get_json(&format!("{}/__sim/deliveries", app.sim.stripe_url)).await;
    // Not acknowledged while the database was down (a 503, or no answer within the
    // provider's timeout while the pool waits for a connection), so Stripe delivered again.
    assert!(
        deliveries.iter().any(|d| d["status_code"].as_u64().is_none_or(|c| c >= 500)),
        "the webhook was not acknowledged while the database was down: {deliveries:?}"
    );
}
