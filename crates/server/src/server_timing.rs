//! `Server-Timing` on every answer that needed a payment provider: how long the provider
//! calls took (`provider`) and how long the rest of the request did (`app`), in
//! milliseconds, e.g. `provider;dur=31.42, app;dur=1.87`.
//!
//! A browser's developer tools show it beside the request, so a merchant who finds the
//! checkout slow sees at once whether the wait was the provider's or ours; the bench reads
//! it to measure Kassa's own overhead per request rather than against the provider's
//! nominal latency. It holds durations only. Other origins' scripts cannot read it (there
//! is no `Timing-Allow-Origin`), and an answer that called no provider has none.

use std::time::{Duration, Instant};

use axum::{
    extract::Request,
    http::{HeaderName, HeaderValue},
    middleware::Next,
    response::Response,
};

/// The header's name.
pub const HEADER: HeaderName = HeaderName::from_static("server-timing");

/// Middleware: times the request's provider calls and the request, and says so.
pub async fn report(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let (mut response, provider) = kassa_providers::transport::timed(next.run(req)).await;
    if !provider.is_zero() {
        let app = started.elapsed().saturating_sub(provider);
        let value = format!("provider;dur={:.2}, app;dur={:.2}", ms(provider), ms(app));
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(HEADER, value);
        }
    }
    response
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
