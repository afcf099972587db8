//! HTTP routes: thin handlers that parse at the edge and call the checkout service.

mod checkout;
mod health;
mod returns;
mod webhooks;

use axum::{
    routing::{get, post},
    Router,
};

use crate::{rate_limit::RateLimiter, state::AppState};

/// The API router (without the cross-cutting layers, which `startup` adds). `limiter`, when
/// there is one, guards session creation alone (R-H7).
pub fn router(limiter: Option<RateLimiter>) -> Router<AppState> {
    let mut create_session = post(checkout::create_session);
    if let Some(limiter) = limiter {
        create_session = create_session.route_layer(axum::middleware::from_fn_with_state(
            limiter,
            crate::rate_limit::limit_session_creation,
        ));
    }
    Router::new()
        .route("/v1/checkout/config", get(checkout::config))
        .route("/v1/checkout/quote", post(checkout::quote))
        .route("/v1/checkout/sessions", create_session)
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
