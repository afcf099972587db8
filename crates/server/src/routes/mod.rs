//! HTTP routes: thin handlers that parse at the edge and call the checkout service.

mod checkout;
mod health;
mod returns;
mod webhooks;

use axum::{
    routing::{get, post},
    Router,
};

use crate::state::AppState;

/// The API router (without the cross-cutting layers, which `startup` adds).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/checkout/config", get(checkout::config))
        .route("/v1/checkout/quote", post(checkout::quote))
        .route("/v1/checkout/sessions", post(checkout::create_session))
        .route("/v1/checkout/sessions/{id}", get(checkout::session_status))
        .route("/v1/checkout/sessions/{id}/cancel", post(checkout::cancel_session))
        .route("/v1/webhooks/{provider}", post(webhooks::receive).get(webhooks::receive))
        .route(
            "/v1/webhooks/{provider}/{token}",
            post(webhooks::receive_with_token).get(webhooks::receive_with_token),
        )
        .route("/v1/returns/{provider}/{reference}", get(returns::back_to_page))
        .route("/health/live", get(health::live))
        .route("/health/ready", get(health::ready))
        .route("/openapi.json", get(crate::openapi::serve))
        .route("/metrics", get(crate::metrics::serve))
}
