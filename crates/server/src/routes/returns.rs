//! `GET /v1/returns/{provider}/{reference}?outcome=success|cancel`: sends a customer who
//! comes back from a provider to the page their checkout started on.
//!
//! Some providers (Checkfront) send every customer of an account to one configured URL,
//! naming only their own booking code. The merchant points that URL here; the backend finds
//! the order by the provider's reference and redirects to the return URL it built and stored
//! for that order, so the page gets its `kassa_session` back. It only ever redirects to a URL
//! the server itself built from an allow-listed origin, so it is no open redirect.

use axum::{
    extract::{Path, Query, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
};
use kassa_wire::ProviderId;
use serde::Deserialize;

use crate::{payments, state::AppState};

#[derive(Debug, Deserialize)]
pub(super) struct Outcome {
    #[serde(default)]
    outcome: Option<String>,
}

pub(super) async fn back_to_page(
    State(state): State<AppState>,
    Path((provider, reference)): Path<(String, String)>,
    Query(query): Query<Outcome>,
) -> Response {
    let not_found = || (StatusCode::NOT_FOUND, "This payment is not known here.").into_response();
    let Some(provider) = ProviderId::parse(&provider) else { return not_found() };
    let cancelled = query.outcome.as_deref() == Some("cancel");
    match payments::return_url_for(&state, provider, &reference, cancelled).await {
        Ok(Some(url)) => (StatusCode::SEE_OTHER, [(header::LOCATION, url)]).into_response(),
        Ok(None) => not_found(),
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "could not look up a returning customer");
            (StatusCode::SERVICE_UNAVAILABLE, "Please try again in a moment.").into_response()
        }
    }
}
