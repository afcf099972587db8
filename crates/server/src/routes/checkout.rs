//! The widget-facing contract (see `kassa_wire::contract`).

use axum::{
    extract::{Path, State},
    http::HeaderMap,
    Json,
};
use kassa_wire::{
    CheckoutConfig, CreateSession, Quote, QuoteRequest, Session, IDEMPOTENCY_KEY_HEADER,
};

use crate::{error::AppError, json::StrictJson, payments, state::AppState};

pub(super) async fn config(State(state): State<AppState>) -> Json<CheckoutConfig> {
    Json(state.config_answer().await)
}

pub(super) async fn quote(
    State(state): State<AppState>,
    StrictJson(req): StrictJson<QuoteRequest>,
) -> Result<Json<Quote>, AppError> {
    Ok(Json(state.quotes.quote(&state.catalog, &req.items, crate::store::now())?))
}

pub(super) async fn create_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    StrictJson(req): StrictJson<CreateSession>,
) -> Result<Json<Session>, AppError> {
    let key = headers.get(IDEMPOTENCY_KEY_HEADER).and_then(|v| v.to_str().ok());
    let key = payments::idempotency_key(key)?;
    Ok(Json(payments::create_session(&state, key, req).await?))
}

pub(super) async fn session_status(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Session>, AppError> {
    Ok(Json(payments::session_status(&state, &id).await?))
}

pub(super) async fn cancel_session(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Session>, AppError> {
    Ok(Json(payments::cancel_session(&state, &id).await?))
}
