//! Shared test harness: start the simulator, a webhook receiver, an HTTP client, polling.

use std::{
    collections::VecDeque,
    future::Future,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, Method, StatusCode, Uri},
    Router,
};
use kassa_sim::{DeliveryPolicy, SimConfig, SimHandle};

/// Starts the simulator with short delivery retries (so retry tests finish quickly).
pub async fn start_sim(configure: impl FnOnce(&mut SimConfig)) -> SimHandle {
    let mut config = SimConfig::default();
    let fast = DeliveryPolicy { timeout_ms: 2000, retry_backoff_ms: vec![50, 100, 200] };
    config.stripe.delivery = fast.clone();
    config.payfect.delivery = fast.clone();
    config.front_payment.delivery = fast.clone();
    config.checkfront.delivery = fast;
    configure(&mut config);
    kassa_sim::start(config).await.expect("simulator starts")
}

/// An HTTP client that neither follows redirects nor uses a proxy.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client builds")
}

/// One request the receiver got.
#[derive(Clone, Debug)]
pub struct Received {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// A stand-in merchant endpoint that records every request and answers with queued statuses
/// (200 once the queue is empty).
#[derive(Clone, Debug, Default)]
pub struct Receiver {
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
    statuses: Arc<Mutex<VecDeque<u16>>>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let receiver = Receiver { url, ..Receiver::default() };
        let app = Router::new().fallback(record).with_state(receiver.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        receiver
    }

    /// Answers the next requests with these statuses.
    pub fn respond_with(&self, statuses: &[u16]) {
        self.statuses.lock().unwrap().extend(statuses);
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

async fn record(
    State(receiver): State<Receiver>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    receiver.received.lock().unwrap().push(Received { method, uri, headers, body });
    let status = receiver.statuses.lock().unwrap().pop_front().unwrap_or(200);
    StatusCode::from_u16(status).unwrap()
}

/// Polls `check` until it yields a value or the deadline passes.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// GET a JSON document.
pub async fn get_json(url: &str) -> serde_json::Value {
    client().get(url).send().await.expect("GET").json().await.expect("JSON")
}

/// POST a JSON document to a control-plane URL.
pub async fn post_json(url: &str, body: serde_json::Value) -> reqwest::Response {
    client().post(url).json(&body).send().await.expect("POST")
}
