//! A per-client rate limit on session creation (`docs/security.md` R-H7, ASVS V11.1.4).
//!
//! Creating a session costs a provider call and stores an order, so a script hammering
//! `POST /v1/checkout/sessions` could burn the merchant's provider quota (Stripe allows 25
//! requests a second) or fill the store. Each client IP may create `sessions_per_minute`
//! sessions a minute, in bursts of up to that many; the next one is answered 429 with
//! `Retry-After` and the contract's `rate_limited` error, before any work is done.
//!
//! The counter is a GCRA ("virtual scheduling"): one timestamp per client, no timers. It
//! counts per process: with several instances behind a load balancer, each counts its own
//! share. The client is the TCP peer, or, with `trusted_proxy_hops`, the address the last
//! trusted proxy appended to `X-Forwarded-For` (anything further left can be forged).

use std::{
    collections::HashMap,
    net::{IpAddr, Ipv4Addr, SocketAddr},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    extract::{ConnectInfo, Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    Json,
};
use kassa_wire::{ApiError, ErrorCode};

use crate::reliability::ReliabilitySettings;

/// The limited route.
const PATH: &str = "/v1/checkout/sessions";
/// Clients remembered before idle ones are forgotten.
const PRUNE_AT: usize = 10_000;

/// The limiter of one backend process. Cheap to clone.
#[derive(Clone, Debug)]
pub struct RateLimiter {
    /// Time between two requests at the steady rate.
    interval: Duration,
    /// How far ahead of the steady schedule a client may run (the burst).
    tolerance: Duration,
    trusted_hops: usize,
    /// Per client, the theoretical arrival time of its next request.
    clients: Arc<Mutex<HashMap<IpAddr, Instant>>>,
}

impl RateLimiter {
    /// The limiter the settings ask for; `None` when `sessions_per_minute` is 0 (no limit).
    pub fn new(settings: &ReliabilitySettings) -> Option<Self> {
        let per_minute = settings.sessions_per_minute;
        if per_minute == 0 {
            return None;
        }
        let interval = Duration::from_secs(60) / per_minute;
        Some(RateLimiter {
            interval,
            tolerance: interval * (per_minute - 1),
            trusted_hops: settings.trusted_proxy_hops,
            clients: Arc::default(),
        })
    }

    /// Counts a request from `client` now: `Ok` if allowed, else how long to wait.
    pub fn check(&self, client: IpAddr) -> Result<(), Duration> {
        self.check_at(client, Instant::now())
    }

    /// Counts a request from `client` at `now` (tests drive the clock).
    pub fn check_at(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if clients.len() >= PRUNE_AT {
            clients.retain(|_, tat| *tat > now);
        }
        let tat = clients.get(&client).copied().unwrap_or(now).max(now);
        let earliest = tat.checked_sub(self.tolerance).unwrap_or(now).max(now);
        if earliest > now {
            return Err(earliest - now);
        }
        clients.insert(client, tat + self.interval);
        Ok(())
    }

    /// The client a request comes from (see the module docs).
    pub fn client(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> IpAddr {
        let peer = peer.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        if self.trusted_hops == 0 {
            return peer;
        }
        let forwarded: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse().ok())
            .collect();
        // The last trusted proxy appended the address it saw, at the right end.
        forwarded
            .len()
            .checked_sub(self.trusted_hops)
            .and_then(|i| forwarded.get(i).copied())
            .unwrap_or(peer)
    }
}

/// Middleware: limits `POST /v1/checkout/sessions` per client; lets everything else through.
pub async fn limit_session_creation(
    State(limiter): State<Option<RateLimiter>>,
    req: Request,
    next: Next,
) -> Response {
    let Some(limiter) = limiter else {
        return next.run(req).await;
    };
    if req.method() != Method::POST || req.uri().path() != PATH {
        return next.run(req).await;
    }
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let client = limiter.client(peer, req.headers());
    match limiter.check(client) {
        Ok(()) => next.run(req).await,
        Err(wait) => {
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            tracing::warn!(%client, retry_after = secs, "session creation rate-limited");
            crate::metrics::rate_limited();
            too_many(secs)
        }
    }
}

fn too_many(secs: u64) -> Response {
    let body = ApiError {
        code: ErrorCode::RateLimited,
        message: format!("too many checkout attempts from this address; try again in {secs} s"),
        field: None,
        retryable: true,
        quote: None,
    };
    let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(per_minute: u32, trusted_proxy_hops: usize) -> RateLimiter {
        let settings = ReliabilitySettings {
            sessions_per_minute: per_minute,
            trusted_proxy_hops,
            ..Default::default()
        };
        RateLimiter::new(&settings).unwrap()
    }

    const A: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    const B: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));

    #[test]
    fn a_burst_of_the_limit_passes_and_the_next_request_waits_r_h7() {
        let (limiter, t0) = (limiter(30, 0), Instant::now());
        for i in 0..30 {
            assert_eq!(limiter.check_at(A, t0), Ok(()), "request {i}");
        }
        let wait = limiter.check_at(A, t0).unwrap_err();
        assert_eq!(wait, Duration::from_secs(2), "one request per 2 s at 30 a minute");
        assert_eq!(limiter.check_at(B, t0), Ok(()), "another client has its own allowance");
    }

    #[test]
    fn the_allowance_comes_back_with_time_r_h7() {
        let (limiter, t0) = (limiter(30, 0), Instant::now());
        for _ in 0..30 {
            limiter.check_at(A, t0).unwrap();
        }
        assert!(limiter.check_at(A, t0).is_err());
        let t1 = t0 + Duration::from_secs(2);
        assert_eq!(limiter.check_at(A, t1), Ok(()), "one more after one interval");
        assert!(limiter.check_at(A, t1).is_err());
        let t2 = t1 + Duration::from_secs(60);
        for i in 0..30 {
            assert_eq!(
                limiter.check_at(A, t2),
                Ok(()),
                "a full burst after a quiet minute, request {i}"
            );
        }
    }

    #[test]
    fn refused_requests_do_not_count_against_the_client() {
        let (limiter, t0) = (limiter(1, 0), Instant::now());
        limiter.check_at(A, t0).unwrap();
        for _ in 0..100 {
            assert!(limiter.check_at(A, t0).is_err());
        }
        assert_eq!(limiter.check_at(A, t0 + Duration::from_secs(60)), Ok(()));
    }

    #[test]
    fn without_trusted_proxies_a_forwarded_for_header_is_ignored() {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_static("203.0.113.9"));
        assert_eq!(limiter(30, 0).client(Some(A), &headers), A);
    }

    #[test]
    fn behind_one_proxy_the_client_is_the_address_it_appended_not_what_the_client_wrote() {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_static("10.9.9.9, 203.0.113.9"));
        assert_eq!(
            limiter(30, 1).client(Some(A), &headers),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        assert_eq!(limiter(30, 1).client(Some(A), &HeaderMap::new()), A, "no header: the peer");
        headers.insert("x-forwarded-for", HeaderValue::from_static("not an address"));
        assert_eq!(limiter(30, 1).client(Some(A), &headers), A);
    }
}
