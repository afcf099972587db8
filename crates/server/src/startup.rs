//! Building the application (router + layers) and serving it. Requirement ids (`R-H1`, …)
//! are those of `docs/security.md`.

use std::{net::SocketAddr, time::Duration};

use anyhow::Context as _;
use axum::{
    extract::DefaultBodyLimit,
    http::{header, HeaderName, HeaderValue, Method, StatusCode},
    Router,
};
use tokio::net::TcpListener;
use tower_http::{
    cors::{AllowOrigin, CorsLayer},
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    services::ServeDir,
    set_header::SetResponseHeaderLayer,
    trace::TraceLayer,
};

use crate::{config::Settings, routes, state::AppState};

/// Largest request body accepted (session creation, webhooks).
pub const BODY_LIMIT: usize = 64 * 1024;

/// The API with its cross-cutting layers, and no orders API (tests of the checkout alone).
pub fn app(state: AppState) -> Router {
    let operator = crate::operator::api::OperatorState::new(state.store.clone(), None, Vec::new());
    app_with_operator(state, operator)
}

/// The API with its cross-cutting layers, and the orders API beside it: outside the CORS
/// layer, so no browser on the widget's origins may read it (issue 14), but inside the
/// security headers, timeouts and request ids.
pub fn app_with_operator(state: AppState, operator: crate::operator::api::OperatorState) -> Router {
    let origins: Vec<HeaderValue> =
        state.allowed_origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
    // Exact origins only: never `*`, never `null`, never a reflected unknown origin (R-H1).
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE, HeaderName::from_static("idempotency-key")])
        .max_age(Duration::from_secs(600));
    let request_id = HeaderName::from_static("x-request-id");
    let limiter = crate::rate_limit::RateLimiter::new(&state.reliability);
    let timeout = Duration::from_millis(state.reliability.request_timeout_ms.max(1));
    routes::router(limiter)
        .with_state(state)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        // A body sent a byte at a time cannot hold a worker past the timeout (R-H3).
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, timeout))
        .layer(cors)
        .merge(
            crate::operator::api::router(operator)
                .layer(DefaultBodyLimit::max(BODY_LIMIT))
                .layer(tower_http::timeout::TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, timeout)),
        )
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .layer(axum::middleware::from_fn(crate::server_timing::report))
        .layer(axum::middleware::from_fn(crate::request_id::scope))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), path = %logged_path(req.uri().path()), request_id = %id)
        }))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// The path as logs may show it: a webhook path's token segment (a secret, R-K3) and
/// anything after it are replaced by `…`.
fn logged_path(path: &str) -> std::borrow::Cow<'_, str> {
    let Some(rest) = path.strip_prefix("/v1/webhooks/") else { return path.into() };
    match rest.split_once('/') {
        Some((provider, _)) => format!("/v1/webhooks/{provider}/…").into(),
        None => path.into(),
    }
}

/// A running backend.
#[derive(Debug)]
pub struct Running {
    /// Where the API listens.
    pub api_addr: SocketAddr,
    /// Where the static site listens, if configured.
    pub site_addr: Option<SocketAddr>,
    api: tokio::task::JoinHandle<()>,
    site: Option<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// Stops the API, leaving the site up (tests of a backend that is down).
    pub fn stop_api(&self) {
        self.api.abort();
    }

    /// Stops serving everything.
    pub fn abort(&self) {
        self.api.abort();
        if let Some(site) = &self.site {
            site.abort();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.abort();
    }
}

/// Binds the configured addresses and serves in the background.
pub async fn spawn(settings: Settings) -> anyhow::Result<Running> {
    let listener = TcpListener::bind(settings.server.bind)
        .await
        .with_context(|| format!("listening on {}", settings.server.bind))?;
    spawn_on(settings, listener, None).await
}

/// Serves on already-bound listeners (tests bind port 0 first to learn the addresses). The
/// site is served when configured, on `site_listener` or else on its configured address.
pub async fn spawn_on(
    mut settings: Settings,
    listener: TcpListener,
    site_listener: Option<TcpListener>,
) -> anyhow::Result<Running> {
    let site = settings.site.take();
    for warning in settings.stripe_minimum_warnings() {
        tracing::warn!("{warning}");
    }
    for warning in crate::methods::look_alike_warnings(&crate::methods::public(&settings)) {
        tracing::warn!("{warning}");
    }
    let outbox_settings = std::mem::take(&mut settings.outbox);
    let operator_token = settings.operator.token.take();
    let state = AppState::build(settings).await?;
    let outbox = std::sync::Arc::new(crate::outbox::Outbox::build(&outbox_settings)?);
    let operator = crate::operator::api::OperatorState::new(
        state.store.clone(),
        operator_token,
        outbox.endpoint_names(),
    );
    let api_addr = listener.local_addr()?;
    let api = tokio::spawn(async move {
        // Recovery runs as long as the API does (R-S4); dropping the task stops both.
        let _recovery = crate::recovery::spawn(state.clone());
        // So does the merchant-event worker (issue 14).
        let _outbox = crate::outbox::spawn(state.store.clone(), outbox);
        let service =
            app_with_operator(state, operator).into_make_service_with_connect_info::<SocketAddr>();
        if let Err(e) = axum::serve(listener, service).await {
            tracing::error!(error = %e, "the API server stopped");
        }
    });
    let (mut site_addr, mut site_handle) = (None, None);
    if let Some(site) = site {
        let listener = match site_listener {
            Some(l) => l,
            None => TcpListener::bind(site.bind)
                .await
                .with_context(|| format!("listening on {}", site.bind))?,
        };
        site_addr = Some(listener.local_addr()?);
        let service = Router::new().fallback_service(ServeDir::new(&site.dir)).layer(
            SetResponseHeaderLayer::overriding(
                header::CACHE_CONTROL,
                HeaderValue::from_static("no-cache"),
            ),
        );
        site_handle = Some(tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, service).await {
                tracing::error!(error = %e, "the site server stopped");
            }
        }));
    }
    Ok(Running { api_addr, site_addr, api, site: site_handle })
}

#[cfg(test)]
mod tests {
    use super::logged_path;

    #[test]
    fn webhook_path_tokens_never_reach_the_log() {
        let secret = "cf_0123456789abcdefghijklmnopqrstuv";
        assert_eq!(
            logged_path(&format!("/v1/webhooks/checkfront/{secret}")),
            "/v1/webhooks/checkfront/…"
        );
        assert_eq!(
            logged_path(&format!("/v1/webhooks/checkfront/{secret}/x")),
            "/v1/webhooks/checkfront/…"
        );
        assert_eq!(logged_path("/v1/webhooks/stripe"), "/v1/webhooks/stripe");
        assert_eq!(logged_path("/v1/checkout/sessions/ks_1"), "/v1/checkout/sessions/ks_1");
    }
}
