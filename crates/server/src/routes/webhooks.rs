//! Provider webhooks and callbacks: authenticate, turn into verified updates, apply.
//!
//! A notification that fails authentication is answered 400 with a generic body; why it
//! failed is logged at debug level only, never told to the sender.

use axum::{
    body::Bytes,
    extract::{Path, RawQuery, State},
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
    Json,
};
use kassa_providers::{IncomingNotification, ProviderError};
use kassa_wire::ProviderId;
use serde_json::json;

use crate::{notifications, state::AppState, store::now};

pub(super) async fn receive(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    let Some(adapter) = ProviderId::parse(&provider).and_then(|id| state.providers.get(&id)) else {
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
