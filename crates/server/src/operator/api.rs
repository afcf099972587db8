//! The orders API, for the merchant's operator: `GET /v1/operator/orders` (filters: `state`,
//! `provider`, `reference` (our id or the provider's), `created_from` / `created_to` (unix
//! seconds), `limit`), `GET /v1/operator/orders/{id}` (with its provider attempts, state
//! changes, events and deliveries), `GET /v1/operator/deliveries` (filters: `state`,
//! `endpoint`, `order_id`, `limit`) and `POST /v1/operator/deliveries/replay` (`event_id`
//! and/or `endpoint`; neither: every dead delivery).
//!
//! Authentication (R-H1's spirit for an operator surface): `Authorization: Bearer <token>`,
//! the token from `KASSA_OPERATOR__TOKEN`, compared in constant time; without a configured
//! token every request is refused. The routes sit outside the CORS layer (see
//! `startup::app`), so a browser on the widget's origins gets no CORS header from them and
//! cannot read them; the token is never logged (the trace logs method and path only).

use std::{collections::HashMap, sync::Arc};

use axum::{
    extract::{Path, Query, Request, State},
    http::{header, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use kassa_wire::SessionState;
use secrecy::{ExposeSecret as _, SecretString};
use serde_json::{json, Value};
use subtle::ConstantTimeEq as _;

use super::views;
use crate::store::{DeliveryFilter, DeliveryState, OrderFilter, Store};

/// What the orders API needs.
#[derive(Clone, Debug)]
pub struct OperatorState(Arc<Inner>);

/// The parts of [`OperatorState`].
#[derive(Debug)]
pub struct Inner {
    store: Store,
    token: Option<SecretString>,
    endpoints: Vec<String>,
}

impl OperatorState {
    /// The API over `store`, opened by `token`; `endpoints` are the configured endpoint names.
    pub fn new(store: Store, token: Option<SecretString>, endpoints: Vec<String>) -> Self {
        OperatorState(Arc::new(Inner { store, token, endpoints }))
    }
}

/// The routes, with their authentication.
pub fn router(state: OperatorState) -> Router {
    Router::new()
        .route("/v1/operator/orders", get(list_orders))
        .route("/v1/operator/orders/{id}", get(show_order))
        .route("/v1/operator/deliveries", get(list_deliveries))
        .route("/v1/operator/deliveries/replay", post(replay))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), authenticate))
        .with_state(state)
}

/// An operator-facing error: `{"code": …, "message": …}`.
fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (status, Json(json!({"code": code, "message": message.into()}))).into_response()
}

fn unexpected(e: &anyhow::Error) -> Response {
    tracing::error!(error = format!("{e:#}"), "an orders API request failed");
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "reading the store failed; see the server log",
    )
}

async fn authenticate(State(state): State<OperatorState>, req: Request, next: Next) -> Response {
    let Some(token) = &state.0.token else {
        return unauthorized("the orders API is off: set KASSA_OPERATOR__TOKEN to turn it on");
    };
    let sent = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if bool::from(sent.as_bytes().ct_eq(token.expose_secret().as_bytes())) {
        next.run(req).await
    } else {
        unauthorized("send Authorization: Bearer with the operator token (KASSA_OPERATOR__TOKEN)")
    }
}

fn unauthorized(message: &str) -> Response {
    let mut res = error(StatusCode::UNAUTHORIZED, "unauthorized", message);
    res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    res
}

type Params = Query<HashMap<String, String>>;

/// Reads an optional parameter with `parse`; the error names it.
fn param<T>(
    params: &HashMap<String, String>,
    name: &str,
    parse: impl Fn(&str) -> Option<T>,
    expected: &str,
) -> Result<Option<T>, String> {
    match params.get(name) {
        None => Ok(None),
        Some(text) => parse(text).map(Some).ok_or_else(|| format!("{name}: expected {expected}")),
    }
}

/// A 400 naming the parameter at fault.
fn invalid(message: String) -> Response {
    error(StatusCode::BAD_REQUEST, "invalid_request", message)
}

fn known(params: &HashMap<String, String>, allowed: &[&str]) -> Result<(), String> {
    match params.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(format!("unknown parameter `{k}`; use {}", allowed.join(", "))),
        None => Ok(()),
    }
}

fn text(s: &str) -> Option<String> {
    (!s.is_empty() && s.len() <= 255).then(|| s.to_owned())
}

async fn list_orders(State(state): State<OperatorState>, Query(params): Params) -> Response {
    let filter = (|| {
        known(&params, &["state", "provider", "reference", "created_from", "created_to", "limit"])?;
        Ok::<_, String>(OrderFilter {
            state: param(&params, "state", SessionState::parse, "an order state such as paid")?,
            provider: param(
                &params,
                "provider",
                |p| kassa_wire::ProviderId::parse(p).map(|p| p.as_str().to_owned()),
                "a provider id such as stripe",
            )?,
            reference: param(&params, "reference", text, "an order id or provider reference")?,
            created_from: param(&params, "created_from", |t| t.parse().ok(), "unix seconds")?,
            created_to: param(&params, "created_to", |t| t.parse().ok(), "unix seconds")?,
            limit: views::limit(param(&params, "limit", views::parse_limit, &views::limit_rule())?),
        })
    })();
    let filter = match filter {
        Ok(f) => f,
        Err(message) => return invalid(message),
    };
    match state.0.store.search_orders(&filter).await {
        Ok(orders) => {
            Json(json!({"orders": orders.iter().map(views::summary).collect::<Vec<Value>>()}))
                .into_response()
        }
        Err(e) => unexpected(&e),
    }
}

async fn show_order(State(state): State<OperatorState>, Path(id): Path<String>) -> Response {
    match views::detail(&state.0.store, &id).await {
        Ok(Some(body)) => Json(body).into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, "not_found", format!("there is no order `{id}`")),
        Err(e) => unexpected(&e),
    }
}

async fn list_deliveries(State(state): State<OperatorState>, Query(params): Params) -> Response {
    let filter = (|| {
        known(&params, &["state", "endpoint", "order_id", "limit"])?;
        Ok::<_, String>(DeliveryFilter {
            state: param(&params, "state", DeliveryState::parse, "pending, delivered or dead")?,
            endpoint: param(&params, "endpoint", text, "an endpoint name")?,
            order_id: param(&params, "order_id", text, "an order id")?,
            limit: views::limit(param(&params, "limit", views::parse_limit, &views::limit_rule())?),
        })
    })();
    let filter = match filter {
        Ok(f) => f,
        Err(message) => return invalid(message),
    };
    match state.0.store.deliveries(&filter).await {
        Ok(list) => Json(json!({"deliveries": list})).into_response(),
        Err(e) => unexpected(&e),
    }
}

async fn replay(State(state): State<OperatorState>, Query(params): Params) -> Response {
    let parsed = (|| {
        known(&params, &["event_id", "endpoint"])?;
        let event = param(&params, "event_id", text, "an event id (evt_…)")?;
        let endpoint = param(&params, "endpoint", text, "an endpoint name")?;
        if let Some(name) = &endpoint {
            if !state.0.endpoints.contains(name) {
                return Err(format!(
                    "endpoint: `{name}` is not configured ({})",
                    state.0.endpoints.join(", ")
                ));
            }
        }
        Ok((event, endpoint))
    })();
    let (event, endpoint) = match parsed {
        Ok(p) => p,
        Err(message) => return invalid(message),
    };
    match state.0.store.replay(event.as_deref(), endpoint.as_deref()).await {
        Ok(n) => {
            tracing::info!(replayed = n, event = ?event, endpoint = ?endpoint, "the operator replayed deliveries");
            Json(json!({"replayed": n})).into_response()
        }
        Err(e) => unexpected(&e),
    }
}
