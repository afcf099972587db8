//! Provider webhooks and callbacks: authenticate, turn into verified updates, apply.
//!
//! A provider with a webhook path token (required for those whose notifications are
//! unsigned, R-K3) is reached only at `/v1/webhooks/{provider}/{token}` with exactly that
//! token (compared in constant time); any other path for it answers 404 before anything is
//! read or stored, as an unknown provider does. A notification that fails authentication is
//! answered 400 with a generic body; why it failed is logged at debug level only, never
//! told to the sender.

use axum::{
    body::Bytes,
    extract::{Path, RawQuery, State},
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
    Json,
};
use kassa_providers::{IncomingNotification, ProviderError};
use kassa_wire::ProviderId;
use secrecy::ExposeSecret;
use serde_json::json;
use subtle::ConstantTimeEq;

use crate::{notifications, state::AppState, store::now};

/// `/v1/webhooks/{provider}`: providers without a path token.
pub(super) async fn receive(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    handle(state, provider, None, query, headers, body).await
}

/// `/v1/webhooks/{provider}/{token}`: providers with a path token.
pub(super) async fn receive_with_token(
    State(state): State<AppState>,
    Path((provider, token)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    handle(state, provider, Some(token), query, headers, body).await
}

/// Whether `given` is exactly the path token `provider` expects (none when it has none).
fn token_matches(state: &AppState, provider: ProviderId, given: Option<&str>) -> bool {
    match (state.webhook_tokens.get(&provider), given) {
        (None, None) => true,
        (Some(expected), Some(given)) => {
            bool::from(expected.expose_secret().as_bytes().ct_eq(given.as_bytes()))
        }
        _ => false,
    }
}

async fn handle(
    state: AppState,
    provider: String,
    token: Option<String>,
    query: Option<String>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, Json<serde_json::Value>) {
    let adapter = ProviderId::parse(&provider)
        .filter(|id| token_matches(&state, *id, token.as_deref()))
        .and_then(|id| state.providers.get(&id));
    let Some(adapter) = adapter else {
        crate::metrics::webhook(&provider, "not_found");
        return (StatusCode::NOT_FOUND, Json(json!({"error": "not found"})));
    };
    let query = query.unwrap_or_default();
    let incoming =
        IncomingNotification { headers: &headers, query: &query, body: &body, now: now() };
    let started = std::time::Instant::now();
    let handled = adapter.handle_notification(&incoming).await;
    crate::metrics::provider_call(adapter.id(), "notification", started.elapsed());
    let updates = match handled {
        Ok(updates) => updates,
        Err(e @ ProviderError::InvalidNotification { .. }) => {
            tracing::debug!(provider, error = ?e, "refused a notification");
            tracing::warn!(provider, "refused a notification that failed authentication");
            crate::metrics::webhook(&provider, "refused");
            return (StatusCode::BAD_REQUEST, Json(json!({"error": "invalid notification"})));
        }
        Err(ProviderError::NotFound { .. }) => {
            // Verified, but the provider does not know what it names: a retry cannot help,
            // and a provider that counts failures (Checkfront) would disable the endpoint.
            tracing::warn!(
                provider,
                "a notification names something the provider does not know; acknowledged"
            );
            crate::metrics::webhook(&provider, "not_found");
            return (StatusCode::OK, Json(json!({"received": true})));
        }
        Err(e) => {
            // Confirming with the provider failed; a non-2xx makes the provider try again.
            tracing::warn!(provider, error = %e, "could not confirm a notification; asking for a retry");
            crate::metrics::webhook(&provider, "unconfirmed");
            return (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"error": "try again later"})));
        }
    };
    for update in &updates {
        match notifications::take(&state, adapter, update).await {
            Ok(noted) => crate::metrics::webhook(&provider, noted.as_str()),
            Err(e) => {
                // Nothing was recorded; a non-2xx makes the provider deliver it again.
                tracing::error!(
                    provider,
                    error = format!("{e:#}"),
                    "could not record a notification"
                );
                crate::metrics::webhook(&provider, "failed");
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    Json(json!({"error": "try again later"})),
                );
            }
        }
    }
    (StatusCode::OK, Json(json!({"received": true})))
}
