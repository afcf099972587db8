//! Stripe's `Idempotency-Key` semantics for POST requests.
//!
//! Keyed by (API key, `Stripe-Account`, idempotency key). The first request's status and body
//! are stored once the endpoint has run and replayed on retries with
//! `Idempotent-Replayed: true`, including 5xx answers. Reusing a key with other parameters is
//! a 400 `idempotency_error`; a retry while the first is still running is a 409. Requests that
//! fail validation (400), authentication (401) or rate limiting (429) are not stored, so they
//! can be retried. Keys are forgotten after 24 hours.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::{header, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::{auth::ApiKey, error::StripeError, Stripe};
use crate::form;

type Scope = (String, String, String);

#[derive(Clone, Debug)]
enum Entry {
    InFlight { fingerprint: String, created: i64 },
    Done { fingerprint: String, created: i64, status: StatusCode, body: Bytes, request_id: String },
}

impl Entry {
    fn fingerprint(&self) -> &str {
        match self {
            Entry::InFlight { fingerprint, .. } | Entry::Done { fingerprint, .. } => fingerprint,
        }
    }

    fn created(&self) -> i64 {
        match self {
            Entry::InFlight { created, .. } | Entry::Done { created, .. } => *created,
        }
    }
}

/// Stored idempotent results.
#[derive(Debug, Default)]
pub struct Store {
    entries: Arc<Mutex<HashMap<Scope, Entry>>>,
}

/// How long a key is remembered.
const RETENTION_SECS: i64 = 24 * 3600;

/// The longest key Stripe accepts.
const MAX_KEY_LEN: usize = 255;

/// Removes an in-flight marker if the request is abandoned (client gone) before finishing.
struct InFlightGuard {
    entries: Arc<Mutex<HashMap<Scope, Entry>>>,
    scope: Option<Scope>,
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        if let Some(scope) = self.scope.take() {
            if let Ok(mut entries) = self.entries.lock() {
                if matches!(entries.get(&scope), Some(Entry::InFlight { .. })) {
                    entries.remove(&scope);
                }
            }
        }
    }
}

/// The middleware; see the module docs.
pub async fn middleware(State(stripe): State<Arc<Stripe>>, req: Request, next: Next) -> Response {
    let key = req.headers().get("idempotency-key").map(|v| v.to_str().map(str::to_owned));
    let key = match key {
        None => return next.run(req).await,
        Some(Ok(key)) if req.method() == Method::POST => key,
        Some(Ok(_)) => return next.run(req).await,
        Some(Err(_)) => {
            return StripeError::request("Invalid idempotency key: must be ASCII text.")
                .into_response()
        }
    };
    if key.is_empty() || key.len() > MAX_KEY_LEN {
        return StripeError::request(format!(
            "Invalid idempotency key: must be between 1 and {MAX_KEY_LEN} characters long."
        ))
        .into_response();
    }
    let api_key = req.extensions().get::<ApiKey>().map(|k| k.0.clone()).unwrap_or_default();
    let account = req
        .headers()
        .get("stripe-account")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let scope = (api_key, account, key.clone());

    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return StripeError::request("The request body could not be read.").into_response();
    };
    let params = form::parse(&bytes)
        .map(|f| f.fingerprint())
        .unwrap_or_else(|_| String::from_utf8_lossy(&bytes).into_owned());
    let fingerprint = format!("{} {} {params}", parts.method, parts.uri.path());
    let now = stripe.common.clock.now();

    {
        let mut entries = stripe.idempotency.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|_, e| now - e.created() < RETENTION_SECS);
        match entries.get(&scope) {
            Some(existing) if existing.fingerprint() != fingerprint => {
                return mismatch(&key).into_response();
            }
            Some(Entry::InFlight { .. }) => return in_flight(&key).into_response(),
            Some(Entry::Done { status, body, request_id, .. }) => {
                return replay(*status, body.clone(), request_id);
            }
            None => {
                entries.insert(
                    scope.clone(),
                    Entry::InFlight { fingerprint: fingerprint.clone(), created: now },
                );
            }
        }
    }
    let mut guard =
        InFlightGuard { entries: stripe.idempotency.entries.clone(), scope: Some(scope.clone()) };

    let request_id =
        parts.extensions.get::<super::api::RequestId>().map(|r| r.0.clone()).unwrap_or_default();
    let response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    let status = response.status();
    let storable = !matches!(status.as_u16(), 400 | 401 | 409 | 429);
    if !storable {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Ok(mut entries) = stripe.idempotency.entries.lock() {
        entries.insert(
            scope,
            Entry::Done { fingerprint, created: now, status, body: body.clone(), request_id },
        );
    }
    guard.scope = None;
    Response::from_parts(parts, Body::from(body))
}

fn replay(status: StatusCode, body: Bytes, original_request: &str) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    if let Ok(value) = HeaderValue::from_str(original_request) {
        headers.insert("original-request", value);
    }
    response
}

fn mismatch(key: &str) -> StripeError {
    StripeError {
        status: StatusCode::BAD_REQUEST,
        kind: "idempotency_error",
        code: None,
        message: format!(
            "Keys for idempotent requests can only be used with the same parameters they were \
             first used with. Try using a key other than '{key}' if you meant to execute a \
             different request."
        ),
        param: None,
    }
}

fn in_flight(key: &str) -> StripeError {
    StripeError {
        status: StatusCode::CONFLICT,
        kind: "idempotency_error",
        code: Some("idempotency_key_in_use"),
        message: format!(
            "There is currently another in-progress request using this Idempotent Key (that \
             probably means you submitted twice, and the other request is still going \
             through): {key}. Please try again later."
        ),
        param: None,
    }
}
