//! The `/__sim/*` control plane that every provider listener carries, and the request log.
//!
//! None of this exists at the real providers. It lets tests and the demo see what a provider
//! received (`/__sim/requests`), what it sent (`/__sim/deliveries`) and what it holds
//! (`/__sim/state`), and press a hosted page's buttons without a browser
//! (`/__sim/sessions/{id}/pay|decline|expire`). Each provider supplies its part through
//! [`ControlPlane`]; the rest is shared.

use std::{
    future::Future,
    sync::{Arc, Mutex},
};

use axum::{
    extract::{Path, Request, State},
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::{
    clock::{self, Clock},
    delivery::{Attempt, Deliverer},
    faults::{self, FaultKind, FaultSpec, Faults},
    framing::{self, Framing},
};

/// One API request as the provider saw it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct LoggedRequest {
    /// HTTP method.
    pub method: String,
    /// Path without the query string.
    pub path: String,
    /// The query string, when there was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// The `Idempotency-Key` header, when sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    /// The status answered; `None` when an injected reset dropped the connection.
    pub status: Option<u16>,
    /// Whether Stripe replayed a stored answer (`Idempotent-Replayed: true`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub idempotent_replayed: bool,
    /// The injected fault, if one hit this request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<FaultKind>,
    /// Wall-clock unix seconds.
    pub at: i64,
}

/// The API requests one listener received. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct RequestLog {
    entries: Arc<Mutex<Vec<LoggedRequest>>>,
}

impl RequestLog {
    /// Every request so far, oldest first.
    pub fn entries(&self) -> Vec<LoggedRequest> {
        self.entries.lock().map(|e| e.clone()).unwrap_or_default()
    }

    fn push(&self, entry: LoggedRequest) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.push(entry);
        }
    }

    fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}

/// Middleware recording each API request and the status it got.
pub async fn record(State(log): State<RequestLog>, req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().map(str::to_owned);
    let idempotency_key =
        req.headers().get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let response = next.run(req).await;
    let fault = response.extensions().get::<faults::Applied>().map(|a| a.0);
    let replayed =
        response.headers().get("idempotent-replayed").is_some_and(|v| v.as_bytes() == b"true");
    let status = (fault != Some(FaultKind::Reset)).then(|| response.status().as_u16());
    tracing::debug!(%method, %path, ?status, "api request");
    log.push(LoggedRequest {
        method,
        path,
        query,
        idempotency_key,
        status,
        idempotent_replayed: replayed,
        fault,
        at: clock::wall_secs(),
    });
    response
}

/// A hosted-page button, pressed through the control plane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Pay successfully.
    Pay,
    /// Have the payment declined.
    Decline,
    /// Expire the session.
    Expire,
}

/// The body of `POST /__sim/webhook`.
#[derive(Clone, Debug, Deserialize)]
pub struct WebhookTarget {
    /// Where notifications go; `null` stops them.
    pub url: Option<String>,
    /// A new signing secret, for providers that sign.
    #[serde(default)]
    pub secret: Option<String>,
}

/// A control-plane request that cannot be done.
#[derive(Clone, Debug)]
pub struct ControlError {
    /// HTTP status to answer with.
    pub status: StatusCode,
    /// Why, for the test's failure message.
    pub message: String,
}

impl ControlError {
    /// 404: no object with that id.
    pub fn not_found(id: &str) -> Self {
        ControlError { status: StatusCode::NOT_FOUND, message: format!("no such session: {id}") }
    }

    /// 409: the object is not in a state that allows the action.
    pub fn conflict(message: impl Into<String>) -> Self {
        ControlError { status: StatusCode::CONFLICT, message: message.into() }
    }

    /// 400: the control request itself is wrong.
    pub fn bad_request(message: impl Into<String>) -> Self {
        ControlError { status: StatusCode::BAD_REQUEST, message: message.into() }
    }
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({ "error": self.message }))).into_response()
    }
}

/// What a provider offers the control plane.
pub trait ControlPlane: Send + Sync + 'static {
    /// Every object the provider holds, in the provider's own response shape, as JSON text
    /// (text, so that exact decimal numbers survive; see [`crate::decimal`]).
    fn state(&self) -> String;

    /// Presses a hosted-page button. Resolves after the first delivery attempt of any
    /// webhook or callback, with the object as the provider now shows it (JSON text of an
    /// [`ActResult`]).
    fn act(
        &self,
        id: String,
        action: Action,
    ) -> impl Future<Output = Result<String, ControlError>> + Send;

    /// Changes where notifications go (and the signing secret, where there is one).
    fn set_webhook(&self, target: WebhookTarget) -> Result<(), ControlError>;
}

/// The answer to `POST /__sim/sessions/{id}/{action}`.
#[derive(Debug, Serialize)]
pub struct ActResult<T: Serialize> {
    /// The object after the action, in the provider's shape.
    pub object: T,
    /// The first attempt of the webhook or callback the action sent, if any.
    pub delivery: Option<Attempt>,
}

impl<T: Serialize> ActResult<T> {
    /// The JSON text.
    pub fn into_text(self) -> String {
        serde_json::to_string(&self).unwrap_or_default()
    }
}

/// JSON text with the `application/json` content type.
fn json_text(text: String) -> Response {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], text).into_response()
}

/// What every listener's control plane shares.
#[derive(Clone, Debug)]
pub struct Common {
    /// The simulator clock (shared by all providers).
    pub clock: Clock,
    /// This listener's API requests.
    pub requests: RequestLog,
    /// This listener's pending faults.
    pub faults: Faults,
    /// This listener's outgoing notifications.
    pub deliverer: Deliverer,
    /// Whether this listener's pages may be framed.
    pub framing: Framing,
}

/// The `/__sim` routes for one provider.
pub fn router<P: ControlPlane>(provider: Arc<P>, common: Common) -> Router {
    let provider_routes = Router::new()
        .route("/__sim/state", get(state::<P>))
        .route("/__sim/webhook", post(set_webhook::<P>))
        .route("/__sim/sessions/{id}/{action}", post(act::<P>))
        .with_state(provider);
    let common_routes = Router::new()
        .route("/__sim/requests", get(requests).delete(clear_requests))
        .route("/__sim/deliveries", get(deliveries))
        .route("/__sim/faults", get(list_faults).post(add_fault).delete(clear_faults))
        .route("/__sim/clock", get(get_clock).post(advance_clock))
        .with_state(common.clone());
    let framing_routes = Router::new()
        .route("/__sim/framing", get(framing::get).post(framing::set))
        .with_state(common.framing);
    provider_routes.merge(common_routes).merge(framing_routes)
}

async fn state<P: ControlPlane>(State(p): State<Arc<P>>) -> Response {
    json_text(p.state())
}

async fn act<P: ControlPlane>(
    State(p): State<Arc<P>>,
    Path((id, action)): Path<(String, String)>,
) -> Result<Response, ControlError> {
    let action = match action.as_str() {
        "pay" => Action::Pay,
        "decline" => Action::Decline,
        "expire" => Action::Expire,
        other => return Err(ControlError::bad_request(format!("unknown action {other:?}"))),
    };
    p.act(id, action).await.map(json_text)
}

async fn set_webhook<P: ControlPlane>(
    State(p): State<Arc<P>>,
    Json(target): Json<WebhookTarget>,
) -> Result<Json<Value>, ControlError> {
    if let Some(url) = &target.url {
        url::Url::parse(url)
            .map_err(|e| ControlError::bad_request(format!("webhook url {url:?}: {e}")))?;
    }
    let url = target.url.clone();
    p.set_webhook(target)?;
    Ok(Json(json!({ "url": url })))
}

async fn requests(State(c): State<Common>) -> Json<Vec<LoggedRequest>> {
    Json(c.requests.entries())
}

async fn clear_requests(State(c): State<Common>) -> StatusCode {
    c.requests.clear();
    StatusCode::NO_CONTENT
}

async fn deliveries(State(c): State<Common>) -> Json<Vec<Attempt>> {
    Json(c.deliverer.attempts())
}

async fn list_faults(State(c): State<Common>) -> Json<Vec<FaultSpec>> {
    Json(c.faults.pending())
}

async fn add_fault(State(c): State<Common>, Json(spec): Json<FaultSpec>) -> Json<Vec<FaultSpec>> {
    c.faults.push(spec);
    Json(c.faults.pending())
}

async fn clear_faults(State(c): State<Common>) -> StatusCode {
    c.faults.clear();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct AdvanceClock {
    advance_secs: i64,
}

async fn get_clock(State(c): State<Common>) -> Json<Value> {
    Json(json!({ "now": c.clock.now(), "offset_secs": c.clock.offset_secs() }))
}

async fn advance_clock(State(c): State<Common>, Json(body): Json<AdvanceClock>) -> Json<Value> {
    c.clock.advance_secs(body.advance_secs);
    Json(json!({ "now": c.clock.now(), "offset_secs": c.clock.offset_secs() }))
}
