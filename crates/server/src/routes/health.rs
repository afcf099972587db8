//! Liveness and readiness for load balancers and orchestrators.

use axum::{extract::State, http::StatusCode};

use crate::state::AppState;

pub(super) async fn live() -> &'static str {
    "ok"
}

/// Ready when the database answers.
pub(super) async fn ready(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match state.store.order_count().await {
        Ok(_) => (StatusCode::OK, "ready"),
        Err(e) => {
            tracing::warn!(error = format!("{e:#}"), "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}
