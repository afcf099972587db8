//! Fault injection for the next API calls: latency, error statuses, 429, broken bodies, resets.
//!
//! `POST /__sim/faults {"kind":"status","count":2,"status":503}` queues a fault that the next
//! two API requests (optionally only those whose path contains `path`) suffer. Faults act at
//! two depths, because where a failure happens decides what a retry sees:
//!
//! - [`outer`] sits outside the provider's own request handling (as a load balancer or the
//!   network would): `status`, `rate_limit`, `malformed_json` and `reset` answer without the
//!   provider doing anything; `truncated` lets the provider act, then cuts the answer short,
//!   so a retry with the same idempotency key gets the stored full answer.
//! - [`inner`] sits just around the handler: `latency` delays the provider while it holds
//!   the request, so a concurrent retry with the same Stripe idempotency key sees a 409.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::{header, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};

/// What goes wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// The provider takes `latency_ms` (default 5000) before handling the request.
    Latency,
    /// An error `status` (default 500) in the provider's error envelope, without acting.
    Status,
    /// HTTP 429 with `Retry-After: retry_after` (default 1), without acting.
    RateLimit,
    /// HTTP 200 with a JSON content type and a body that is not JSON, without acting.
    MalformedJson,
    /// The provider acts; the connection closes halfway through the response body.
    Truncated,
    /// The connection is dropped without a response, before the provider acts.
    Reset,
}

/// A queued fault, as posted to `/__sim/faults`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultSpec {
    /// What goes wrong.
    pub kind: FaultKind,
    /// How many of the next matching API calls suffer it.
    #[serde(default = "one")]
    pub count: u32,
    /// Status for `status` faults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Delay for `latency` faults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// `Retry-After` seconds for `rate_limit` (and optionally `status`) faults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// Only API requests whose path contains this text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

fn one() -> u32 {
    1
}

/// The queue of pending faults of one provider listener. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    queue: Arc<Mutex<Vec<FaultSpec>>>,
}

impl Faults {
    /// Queues a fault behind those already waiting.
    pub fn push(&self, spec: FaultSpec) {
        if spec.count > 0 {
            if let Ok(mut q) = self.queue.lock() {
                q.push(spec);
            }
        }
    }

    /// The faults still waiting.
    pub fn pending(&self) -> Vec<FaultSpec> {
        self.queue.lock().map(|q| q.clone()).unwrap_or_default()
    }

    /// Drops every waiting fault.
    pub fn clear(&self) {
        if let Ok(mut q) = self.queue.lock() {
            q.clear();
        }
    }

    /// Takes one use of the first fault that applies to `path`.
    pub fn take(&self, path: &str) -> Option<FaultSpec> {
        let mut queue = self.queue.lock().ok()?;
        let index =
            queue.iter().position(|f| f.path.as_deref().is_none_or(|p| path.contains(p)))?;
        let spec = queue[index].clone();
        queue[index].count -= 1;
        if queue[index].count == 0 {
            queue.remove(index);
        }
        Some(spec)
    }
}

/// Builds a provider's own error body for an injected status (Stripe's `error` envelope,
/// Front Payment's `status_code` envelope, …).
pub type ErrorBody = fn(StatusCode) -> Response;

/// State of the fault middleware on one listener.
#[derive(Clone, Debug)]
pub struct FaultLayer {
    /// The queue to take faults from.
    pub faults: Faults,
    /// The provider's error envelope.
    pub error_body: ErrorBody,
}

/// Marks a response that a fault produced or altered, for the request log.
#[derive(Clone, Copy, Debug)]
pub struct Applied(pub FaultKind);

/// Tells [`inner`] to delay this request.
#[derive(Clone, Copy, Debug)]
struct Delay(Duration);

/// Outer fault middleware; see the module docs.
pub async fn outer(State(layer): State<FaultLayer>, mut req: Request, next: Next) -> Response {
    let Some(fault) = layer.faults.take(req.uri().path()) else {
        return next.run(req).await;
    };
    tracing::info!(kind = ?fault.kind, path = req.uri().path(), "injecting fault");
    let mut response = match fault.kind {
        FaultKind::Latency => {
            let ms = fault.latency_ms.unwrap_or(5_000);
            req.extensions_mut().insert(Delay(Duration::from_millis(ms)));
            next.run(req).await
        }
        FaultKind::Status => {
            let status = fault
                .status
                .and_then(|s| StatusCode::from_u16(s).ok())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut response = (layer.error_body)(status);
            if let Some(secs) = fault.retry_after {
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            response
        }
        FaultKind::RateLimit => {
            let mut response = (layer.error_body)(StatusCode::TOO_MANY_REQUESTS);
            let secs = fault.retry_after.unwrap_or(1);
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
            response
        }
        FaultKind::MalformedJson => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            "{\"id\": \"sim_malformed\", \"object\": <html>oops",
        )
            .into_response(),
        FaultKind::Truncated => truncate(next.run(req).await).await,
        FaultKind::Reset => reset(),
    };
    response.extensions_mut().insert(Applied(fault.kind));
    response
}

/// Inner fault middleware: applies the delay [`outer`] asked for.
pub async fn inner(req: Request, next: Next) -> Response {
    if let Some(Delay(delay)) = req.extensions().get::<Delay>().copied() {
        tokio::time::sleep(delay).await;
    }
    next.run(req).await
}

/// A response whose body fails immediately, which makes hyper drop the connection.
fn reset() -> Response {
    let stream = futures_util::stream::iter([Err::<Bytes, _>(std::io::Error::new(
        std::io::ErrorKind::ConnectionReset,
        "injected reset",
    ))]);
    Response::new(Body::from_stream(stream))
}

/// Sends the status, headers and first half of the body, then drops the connection.
async fn truncate(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return reset();
    };
    let half = bytes.slice(..bytes.len() / 2);
    // The pause lets hyper flush the head and the first half before the error aborts the
    // connection; without it the client would see no response at all (a reset).
    let stream = futures_util::stream::unfold(Some(half), |state| async move {
        match state {
            Some(half) => Some((Ok(half), None)),
            None => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                let error =
                    std::io::Error::new(std::io::ErrorKind::ConnectionReset, "injected truncation");
                Some((Err(error), None))
            }
        }
    });
    parts.headers.insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    Response::from_parts(parts, Body::from_stream(stream))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(kind: FaultKind, count: u32, path: Option<&str>) -> FaultSpec {
        FaultSpec {
            kind,
            count,
            status: None,
            latency_ms: None,
            retry_after: None,
            path: path.map(Into::into),
        }
    }

    #[test]
    fn a_fault_is_used_count_times_then_gone() {
        let faults = Faults::default();
        faults.push(spec(FaultKind::Status, 2, None));
        assert!(faults.take("/a").is_some());
        assert!(faults.take("/b").is_some());
        assert!(faults.take("/c").is_none());
    }

    #[test]
    fn a_path_filter_skips_other_requests() {
        let faults = Faults::default();
        faults.push(spec(FaultKind::Reset, 1, Some("/checkout/sessions")));
        assert!(faults.take("/v1/payment_intents/pi_1").is_none());
        assert_eq!(faults.take("/v1/checkout/sessions").map(|f| f.kind), Some(FaultKind::Reset));
        assert!(faults.pending().is_empty());
    }

    #[test]
    fn the_posted_json_shape_parses() {
        let spec: FaultSpec =
            serde_json::from_str(r#"{"kind":"rate_limit","count":3,"retry_after":2}"#).unwrap();
        assert_eq!(spec.kind, FaultKind::RateLimit);
        assert_eq!(spec.count, 3);
        let spec: FaultSpec = serde_json::from_str(r#"{"kind":"malformed_json"}"#).unwrap();
        assert_eq!(spec.count, 1, "count defaults to one");
    }
}
