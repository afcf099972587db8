//! The one way adapters talk HTTP: bounded retries with backoff, per-attempt timeouts and a
//! total deadline (R-I3), and the error classes every provider shares.
//!
//! A retry re-sends the same bytes: the [`Call`] is built once, so the body and the
//! idempotency key are byte-identical on every attempt (R-I2). Calls that the provider cannot
//! deduplicate are only retried when the request surely never arrived.
//!
//! This module never follows redirects and never builds requests from caller-supplied URLs:
//! the `reqwest::Client` must be built with redirects disabled ([`build_client`] does that;
//! the server may build its own the same way), and every URL is joined onto a configured base.
//! It must not log bodies, query strings or headers, which may hold secrets or personal data.

use std::{cell::Cell, future::Future, time::Duration};

use bytes::Bytes;
use http::{HeaderMap, Method};
use kassa_wire::ProviderId;
use rand::Rng;
use serde::{de::DeserializeOwned, Deserialize};
use tokio::time::Instant;
use url::Url;

use crate::ProviderError;

/// Largest provider response body we read; more is treated as a broken answer.
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// How hard an adapter tries before giving up. Small by default so the widget's own
/// request stays bounded: 3 attempts inside 10 s.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryPolicy {
    /// Attempts in total, including the first (default 3; 1 disables retries).
    pub max_attempts: u32,
    /// Time allowed for one attempt, headers and body (default 4000 ms).
    pub attempt_timeout_ms: u64,
    /// Time allowed for all attempts and waits together (default 10000 ms).
    pub deadline_ms: u64,
    /// Wait before the second attempt; doubles each time (default 500 ms).
    pub initial_backoff_ms: u64,
    /// Longest wait between attempts, unless `Retry-After` asks for more (default 2000 ms).
    pub max_backoff_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            attempt_timeout_ms: 4_000,
            deadline_ms: 10_000,
            initial_backoff_ms: 500,
            max_backoff_ms: 2_000,
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1` (attempts count from 1): exponential with
    /// "equal jitter", so it lies in `[cap/2, cap]` where `cap = min(initial · 2^(attempt-1), max)`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let doubling = 1u64.checked_shl(attempt.saturating_sub(1)).unwrap_or(u64::MAX);
        let cap = self.initial_backoff_ms.saturating_mul(doubling).min(self.max_backoff_ms);
        let half = cap / 2;
        let jitter = if cap > half { rand::thread_rng().gen_range(0..=cap - half) } else { 0 };
        Duration::from_millis(half + jitter)
    }

    fn attempt_timeout(&self) -> Duration {
        Duration::from_millis(self.attempt_timeout_ms.max(1))
    }

    fn deadline(&self) -> Duration {
        Duration::from_millis(self.deadline_ms.max(1))
    }
}

/// Builds the HTTP client adapters expect: no redirects (R-H6: a 3xx is reported as a
/// misconfiguration, never followed), a connect timeout, rustls.
pub fn build_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(3))
        .user_agent(concat!("kassa/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Whether a call may be sent again after an attempt whose outcome is unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Replay {
    /// Reads, and writes the provider deduplicates (an idempotency key, or a create that
    /// replaces the previous one): retried on every retryable failure.
    Safe,
    /// Writes the provider cannot deduplicate: retried only when the request never left
    /// (connect errors) or the provider said it did not process it (429).
    OnlyIfNotDelivered,
}

/// One HTTP exchange, built once and sent byte-identically on every attempt.
#[derive(Clone, Debug)]
pub(crate) struct Call {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Option<Bytes>,
    pub(crate) replay: Replay,
}

impl Call {
    pub(crate) fn new(method: Method, url: Url, replay: Replay) -> Self {
        Call { method, url, headers: HeaderMap::new(), body: None, replay }
    }

    /// Adds a header. Header values built from config were validated by the constructor,
    /// so a failure here is a misconfiguration.
    pub(crate) fn header(
        mut self,
        provider: ProviderId,
        name: &'static str,
        value: &str,
    ) -> Result<Self, ProviderError> {
        let mut value = http::HeaderValue::from_str(value).map_err(|_| {
            ProviderError::misconfigured(
                provider,
                format!("a value for header {name} is not valid"),
            )
        })?;
        if name.eq_ignore_ascii_case("authorization") || name.starts_with("x-api") {
            value.set_sensitive(true);
        }
        self.headers.insert(name, value);
        Ok(self)
    }

    pub(crate) fn json_body(mut self, body: Vec<u8>) -> Self {
        self.headers
            .insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
        self.body = Some(Bytes::from(body));
        self
    }

    pub(crate) fn form_body(mut self, body: String) -> Self {
        self.headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        self.body = Some(Bytes::from(body));
        self
    }
}

/// A provider's answer, read whole.
#[derive(Clone, Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Answer {
    pub(crate) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The answer if it is a 2xx; any other status becomes the provider's error as `refusal`
    /// reads it from the answer (each adapter knows its provider's error bodies).
    pub(crate) fn success_or(
        self,
        refusal: impl FnOnce(&Answer) -> ProviderError,
    ) -> Result<Answer, ProviderError> {
        if self.is_success() {
            Ok(self)
        } else {
            Err(refusal(&self))
        }
    }

    /// Parses the body, reporting a malformed one as [`ProviderError::UnexpectedResponse`].
    pub(crate) fn json<T: DeserializeOwned>(
        &self,
        provider: ProviderId,
    ) -> Result<T, ProviderError> {
        serde_json::from_slice(&self.body).map_err(|e| {
            tracing::debug!(provider = provider.as_str(), status = self.status, error = %e, "unparseable answer");
            ProviderError::unexpected(provider, self.status)
        })
    }

    /// `Retry-After` in seconds, if present and numeric.
    pub(crate) fn retry_after(&self) -> Option<Duration> {
        let text = self.headers.get(http::header::RETRY_AFTER)?.to_str().ok()?;
        text.trim().parse::<u64>().ok().map(Duration::from_secs)
    }

    /// The error every provider shares for a status the adapter did not handle itself.
    pub(crate) fn common_error(&self, provider: ProviderId) -> ProviderError {
        match self.status {
            300..=399 => {
                let location =
                    self.headers.get(http::header::LOCATION).and_then(|v| v.to_str().ok());
                tracing::warn!(
                    provider = provider.as_str(),
                    status = self.status,
                    location,
                    "provider redirected"
                );
                ProviderError::misconfigured(
                    provider,
                    format!(
                        "the provider answered a redirect ({}); point base_url at the new host",
                        self.status
                    ),
                )
            }
            401 | 403 => ProviderError::Unauthorized { provider, status: self.status },
            404 => ProviderError::NotFound { provider },
            409 => ProviderError::Conflict { provider },
            429 | 500..=599 => ProviderError::Unavailable {
                provider,
                status: Some(self.status),
                retry_after: self.retry_after(),
                source: None,
            },
            400..=499 => ProviderError::Rejected {
                provider,
                status: self.status,
                message: format!("HTTP {}", self.status),
                param: None,
            },
            _ => ProviderError::unexpected(provider, self.status),
        }
    }
}

/// Statuses worth another attempt (R-I3), unless Stripe says otherwise.
fn retryable_status(answer: &Answer) -> bool {
    let should = answer.headers.get("stripe-should-retry").and_then(|v| v.to_str().ok());
    match should {
        Some("true") => true,
        Some("false") => false,
        _ => matches!(answer.status, 409 | 429 | 500..=599),
    }
}

/// What went wrong with one attempt that produced no usable answer.
struct Failure {
    error: Option<reqwest::Error>,
    /// The status, when headers arrived but the body did not.
    status: Option<u16>,
    /// True when the request surely never reached the provider.
    not_delivered: bool,
}

async fn attempt(
    client: &reqwest::Client,
    call: &Call,
    timeout: Duration,
) -> Result<Answer, Failure> {
    let mut request =
        client.request(call.method.clone(), call.url.clone()).headers(call.headers.clone());
    if let Some(body) = &call.body {
        request = request.body(body.clone());
    }
    let exchange = async {
        let mut response = request.send().await.map_err(|e| Failure {
            not_delivered: e.is_connect(),
            error: Some(e),
            status: None,
        })?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > MAX_BODY_BYTES {
                        return Err(Failure {
                            error: None,
                            status: Some(status),
                            not_delivered: false,
                        });
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    return Err(Failure {
                        error: Some(e),
                        status: Some(status),
                        not_delivered: false,
                    })
                }
            }
        }
        Ok(Answer { status, headers, body: Bytes::from(body) })
    };
    match tokio::time::timeout(timeout, exchange).await {
        Ok(result) => result,
        Err(_elapsed) => Err(Failure { error: None, status: None, not_delivered: false }),
    }
}

tokio::task_local! {
    /// The time this task's provider calls took so far, inside [`timed`].
    static WAITED: Cell<Duration>;
}

/// Runs `work` and answers, beside its output, how long the provider calls it made took:
/// every attempt and every wait between attempts, from the first byte sent to the last
/// received. The server reports it per request (`Server-Timing`), so that what Kassa adds
/// can be told apart from what the provider takes. Only calls made in this task count.
pub async fn timed<F: Future>(work: F) -> (F::Output, Duration) {
    WAITED
        .scope(Cell::new(Duration::ZERO), async move {
            let output = work.await;
            (output, WAITED.with(Cell::get))
        })
        .await
}

/// Sends `call` under `policy`. Answers the provider's final answer whatever its status
/// (the adapter maps non-2xx statuses), or [`ProviderError::Unavailable`] /
/// [`ProviderError::UnexpectedResponse`] when no complete answer arrived in time.
pub(crate) async fn send(
    provider: ProviderId,
    client: &reqwest::Client,
    policy: &RetryPolicy,
    call: &Call,
) -> Result<Answer, ProviderError> {
    let began = Instant::now();
    let answer = send_with_retries(provider, client, policy, call).await;
    // Outside `timed` (recovery runs, tests) there is nobody to tell.
    let _ = WAITED.try_with(|waited| waited.set(waited.get() + began.elapsed()));
    answer
}

async fn send_with_retries(
    provider: ProviderId,
    client: &reqwest::Client,
    policy: &RetryPolicy,
    call: &Call,
) -> Result<Answer, ProviderError> {
    let deadline = Instant::now() + policy.deadline();
    let attempts = policy.max_attempts.max(1);
    let mut attempt_no = 0;
    loop {
        attempt_no += 1;
        let remaining = deadline.saturating_duration_since(Instant::now());
        let timeout = policy.attempt_timeout().min(remaining);
        tracing::debug!(provider = provider.as_str(), method = %call.method, path = call.url.path(), attempt = attempt_no, "provider call");
        let outcome = attempt(client, call, timeout).await;
        let last = attempt_no >= attempts;
        let (wait, error) = match outcome {
            Ok(answer) => {
                let replayable = call.replay == Replay::Safe || answer.status == 429;
                if last || !replayable || !retryable_status(&answer) {
                    return Ok(answer);
                }
                tracing::debug!(
                    provider = provider.as_str(),
                    status = answer.status,
                    "retryable answer"
                );
                let wait = answer.retry_after().unwrap_or_else(|| policy.backoff(attempt_no));
                let fallback = Ok(answer);
                (wait, fallback)
            }
            Err(failure) => {
                let replayable = call.replay == Replay::Safe || failure.not_delivered;
                let error = match (failure.status, failure.error) {
                    (Some(status), _) => Err(ProviderError::unexpected(provider, status)),
                    (None, source) => Err(ProviderError::Unavailable {
                        provider,
                        status: None,
                        retry_after: None,
                        source,
                    }),
                };
                if last || !replayable {
                    return error;
                }
                tracing::debug!(provider = provider.as_str(), "attempt failed without an answer");
                (policy.backoff(attempt_no), error)
            }
        };
        // A wait that would overrun the deadline is not worth taking: report now.
        if Instant::now() + wait >= deadline {
            return error;
        }
        tokio::time::sleep(wait).await;
    }
}

/// Joins `path` (relative, no leading slash) onto a base URL, keeping the base's path
/// prefix: `https://h/api/v1` + `checkouts/` = `https://h/api/v1/checkouts/`.
pub(crate) fn join(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    {
        let mut base_path = url.path().trim_end_matches('/').to_owned();
        base_path.push('/');
        base_path.push_str(path.trim_start_matches('/'));
        url.set_path(&base_path);
    }
    url.set_query(None);
    url
}

/// Parses a configured base URL: absolute `http(s)`, no query, no credentials.
pub(crate) fn parse_base_url(provider: ProviderId, text: &str) -> Result<Url, ProviderError> {
    let url = Url::parse(text)
        .map_err(|_| ProviderError::misconfigured(provider, "base_url is not an absolute URL"))?;
    if !matches!(url.scheme(), "https" | "http") || url.host().is_none() {
        return Err(ProviderError::misconfigured(
            provider,
            "base_url must be an http(s) URL with a host",
        ));
    }
    if url.query().is_some() || !url.username().is_empty() || url.password().is_some() {
        return Err(ProviderError::misconfigured(
            provider,
            "base_url must not carry a query or credentials",
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use std::sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    };

    use axum::{http::StatusCode, response::IntoResponse, routing::post, Router};

    use super::*;

    type Script = Arc<Vec<(u16, Vec<(&'static str, &'static str)>)>>;

    /// A loopback server that answers the scripted statuses in turn (then 200) and counts
    /// calls and the idempotency keys and bodies it saw.
    async fn scripted(script: Vec<(u16, Vec<(&'static str, &'static str)>)>) -> (Url, Arc<Seen>) {
        let seen = Arc::new(Seen::default());
        let state = (Arc::new(script), seen.clone());
        let app = Router::new()
            .route(
                "/op",
                post(
                    |axum::extract::State((script, seen)): axum::extract::State<(
                        Script,
                        Arc<Seen>,
                    )>,
                     headers: axum::http::HeaderMap,
                     body: Bytes| async move {
                        let n = seen.calls.fetch_add(1, Ordering::SeqCst);
                        let key = headers
                            .get("idempotency-key")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_owned();
                        seen.requests.lock().unwrap().push((key, body));
                        let (status, extra) = script.get(n).cloned().unwrap_or((200, vec![]));
                        let mut response =
                            (StatusCode::from_u16(status).unwrap(), "{}").into_response();
                        for (k, v) in extra {
                            response.headers_mut().insert(k, v.parse().unwrap());
                        }
                        response
                    },
                ),
            )
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (Url::parse(&format!("http://{addr}/op")).unwrap(), seen)
    }

    #[derive(Default)]
    struct Seen {
        calls: AtomicUsize,
        requests: std::sync::Mutex<Vec<(String, Bytes)>>,
    }

    fn fast() -> RetryPolicy {
        RetryPolicy { initial_backoff_ms: 5, max_backoff_ms: 20, ..RetryPolicy::default() }
    }

    fn call(url: Url, replay: Replay) -> Call {
        Call::new(Method::POST, url, replay)
            .header(ProviderId::Stripe, "idempotency-key", "key-1")
            .unwrap()
            .form_body("a=1&b=2".into())
    }

    #[tokio::test]
    async fn two_server_errors_then_success_take_three_calls_with_the_same_key_and_body_r_i3() {
        let (url, seen) = scripted(vec![(503, vec![]), (500, vec![])]).await;
        let answer =
            send(ProviderId::Stripe, &build_client().unwrap(), &fast(), &call(url, Replay::Safe))
                .await
                .unwrap();
        assert_eq!(answer.status, 200);
        assert_eq!(seen.calls.load(Ordering::SeqCst), 3);
        let requests = seen.requests.lock().unwrap();
        assert!(requests.iter().all(|r| r.0 == "key-1" && r.1 == Bytes::from_static(b"a=1&b=2")));
    }

    #[tokio::test]
    async fn timed_counts_every_call_in_its_task_with_the_waits_between_attempts() {
        let (url, _) = scripted(vec![(503, vec![])]).await;
        let (client, policy) = (
            build_client().unwrap(),
            RetryPolicy { initial_backoff_ms: 60, max_backoff_ms: 60, ..fast() },
        );
        let started = Instant::now();
        let (answers, waited) = timed(async {
            let first =
                send(ProviderId::Stripe, &client, &policy, &call(url.clone(), Replay::Safe)).await;
            let second = send(ProviderId::Stripe, &client, &policy, &call(url, Replay::Safe)).await;
            (first.unwrap().status, second.unwrap().status)
        })
        .await;
        assert_eq!(answers, (200, 200));
        // The first call waited at least half its 60 ms backoff; nothing else was counted.
        assert!(waited >= Duration::from_millis(30), "{waited:?}");
        assert!(waited <= started.elapsed(), "{waited:?}");
        // Outside `timed`, a call counts nowhere and does not fail for it.
        let (url, _) = scripted(vec![]).await;
        assert!(send(ProviderId::Stripe, &client, &policy, &call(url, Replay::Safe)).await.is_ok());
    }

    #[tokio::test]
    async fn a_client_error_is_not_retried_r_i3() {
        let (url, seen) = scripted(vec![(400, vec![])]).await;
        let answer =
            send(ProviderId::Stripe, &build_client().unwrap(), &fast(), &call(url, Replay::Safe))
                .await
                .unwrap();
        assert_eq!(answer.status, 400);
        assert_eq!(seen.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn stripe_should_retry_false_stops_retries_r_i3() {
        let (url, seen) = scripted(vec![(500, vec![("stripe-should-retry", "false")])]).await;
        let answer =
            send(ProviderId::Stripe, &build_client().unwrap(), &fast(), &call(url, Replay::Safe))
                .await
                .unwrap();
        assert_eq!(answer.status, 500);
        assert_eq!(seen.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn retry_after_is_obeyed_r_i3() {
        let (url, seen) = scripted(vec![(429, vec![("retry-after", "1")])]).await;
        let started = std::time::Instant::now();
        let answer =
            send(ProviderId::Stripe, &build_client().unwrap(), &fast(), &call(url, Replay::Safe))
                .await
                .unwrap();
        assert_eq!(answer.status, 200);
        assert_eq!(seen.calls.load(Ordering::SeqCst), 2);
        assert!(started.elapsed() >= Duration::from_secs(1), "did not wait for Retry-After");
    }

    #[tokio::test]
    async fn a_retry_after_beyond_the_deadline_is_reported_at_once() {
        let (url, seen) = scripted(vec![(429, vec![("retry-after", "3600")])]).await;
        let answer =
            send(ProviderId::Stripe, &build_client().unwrap(), &fast(), &call(url, Replay::Safe))
                .await
                .unwrap();
        assert_eq!(answer.status, 429);
        assert_eq!(answer.retry_after(), Some(Duration::from_secs(3600)));
        assert_eq!(seen.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_write_the_provider_cannot_deduplicate_is_not_resent_after_a_server_error() {
        let (url, seen) = scripted(vec![(502, vec![])]).await;
        let answer = send(
            ProviderId::Payfect,
            &build_client().unwrap(),
            &fast(),
            &call(url, Replay::OnlyIfNotDelivered),
        )
        .await
        .unwrap();
        assert_eq!(answer.status, 502);
        assert_eq!(seen.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_refused_connection_is_unavailable_and_retryable() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = Url::parse(&format!("http://{}/op", listener.local_addr().unwrap())).unwrap();
        drop(listener);
        let err = send(
            ProviderId::Stripe,
            &build_client().unwrap(),
            &fast(),
            &call(url, Replay::OnlyIfNotDelivered),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, ProviderError::Unavailable { status: None, .. }), "{err:?}");
        assert!(err.is_retryable());
    }

    #[tokio::test]
    async fn a_hanging_provider_times_out_within_the_deadline() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}/op", listener.local_addr().unwrap())).unwrap();
        // Accept connections and never answer.
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        let policy = RetryPolicy { attempt_timeout_ms: 100, deadline_ms: 400, ..fast() };
        let started = std::time::Instant::now();
        let err =
            send(ProviderId::Stripe, &build_client().unwrap(), &policy, &call(url, Replay::Safe))
                .await
                .unwrap_err();
        assert!(matches!(err, ProviderError::Unavailable { .. }), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(2), "overran the deadline");
    }

    #[test]
    fn backoff_doubles_within_jitter_and_stays_under_the_cap() {
        let policy = RetryPolicy::default();
        for _ in 0..100 {
            let first = policy.backoff(1);
            assert!(
                first >= Duration::from_millis(250) && first <= Duration::from_millis(500),
                "{first:?}"
            );
            let second = policy.backoff(2);
            assert!(second >= Duration::from_millis(500) && second <= Duration::from_millis(1000));
            assert!(policy.backoff(40) <= Duration::from_millis(2000));
        }
    }

    #[test]
    fn join_keeps_the_base_path_prefix() {
        let base = Url::parse("https://api.payfect.finance/api/v1").unwrap();
        assert_eq!(
            join(&base, "checkouts/").as_str(),
            "https://api.payfect.finance/api/v1/checkouts/"
        );
        let base = Url::parse("https://api.stripe.com/").unwrap();
        assert_eq!(
            join(&base, "v1/checkout/sessions").as_str(),
            "https://api.stripe.com/v1/checkout/sessions"
        );
    }

    #[test]
    fn base_urls_with_credentials_or_queries_are_refused() {
        for bad in ["ftp://x", "https://u:p@x", "https://x/?a=1", "not a url"] {
            assert!(parse_base_url(ProviderId::Stripe, bad).is_err(), "{bad} accepted");
        }
    }
}
