//! A per-client rate limit on session creation (`docs/security.md` R-H7, ASVS V11.1.4).
//!
//! Creating a session costs a provider call and stores an order, so a script hammering
//! `POST /v1/checkout/sessions` could burn the merchant's provider quota (Stripe allows 25
//! requests a second) or fill the store. Each client IP may create `sessions_per_minute`
//! sessions a minute, in bursts of up to that many; the next one is answered 429 with
//! `Retry-After` and the contract's `rate_limited` error, before any work is done.
//!
//! The counting is the `governor` crate's keyed GCRA (one timestamp per client, no timers),
//! with `Quota::per_minute`: a burst of the limit, then one request per `60 s / limit`. It
//! counts per process: with several instances behind a load balancer, each counts its own
//! share. The middleware is a route layer on `POST /v1/checkout/sessions` alone (see
//! `routes::router`), so no other route pays for it.
//!
//! Who the client is stays our own rule, not `tower_governor`'s key extractors (whose
//! "smart" extractor believes the leftmost `X-Forwarded-For`, which the client writes): the
//! client is the TCP peer, or, with `trusted_proxy_hops`, the address the last trusted proxy
//! appended to `X-Forwarded-For` (anything further left can be forged).

use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    num::NonZeroU32,
    sync::Arc,
    time::Duration,
};

use axum::{
    extract::{ConnectInfo, Request, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    Json,
};
use governor::{
    clock::{Clock, MonotonicClock},
    middleware::NoOpMiddleware,
    state::keyed::DefaultKeyedStateStore,
    Quota,
};
use kassa_wire::{ApiError, ErrorCode};

use crate::reliability::ReliabilitySettings;

/// Clients remembered before those whose allowance is full again are forgotten.
const PRUNE_AT: usize = 10_000;

/// governor's keyed limiter over client addresses, on clock `C`.
type Gcra<C> = governor::RateLimiter<
    IpAddr,
    DefaultKeyedStateStore<IpAddr>,
    C,
    NoOpMiddleware<<C as Clock>::Instant>,
>;

/// The limiter of one backend process. Cheap to clone. Tests drive the clock through `C`.
#[derive(Clone, Debug)]
pub struct RateLimiter<C: Clock = MonotonicClock> {
    gcra: Arc<Gcra<C>>,
    clock: C,
    trusted_hops: usize,
}

impl RateLimiter {
    /// The limiter the settings ask for; `None` when `sessions_per_minute` is 0 (no limit).
    pub fn new(settings: &ReliabilitySettings) -> Option<Self> {
        Self::with_clock(settings, MonotonicClock)
    }
}

impl<C: Clock + Clone> RateLimiter<C> {
    /// Like [`RateLimiter::new`], on `clock`.
    pub fn with_clock(settings: &ReliabilitySettings, clock: C) -> Option<Self> {
        let per_minute = NonZeroU32::new(settings.sessions_per_minute)?;
        let gcra = governor::RateLimiter::new(
            Quota::per_minute(per_minute),
            DefaultKeyedStateStore::default(),
            clock.clone(),
        );
        Some(RateLimiter { gcra: Arc::new(gcra), clock, trusted_hops: settings.trusted_proxy_hops })
    }

    /// Counts a request from `client` now: `Ok` if allowed, else how long to wait.
    pub fn check(&self, client: IpAddr) -> Result<(), Duration> {
        if self.gcra.len() >= PRUNE_AT {
            self.gcra.retain_recent();
        }
        self.gcra.check_key(&client).map_err(|refused| refused.wait_time_from(self.clock.now()))
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

/// Middleware for the session-creation route: counts the request against its client and
/// answers 429 when the client's allowance is spent.
pub async fn limit_session_creation(
    State(limiter): State<RateLimiter>,
    req: Request,
    next: Next,
) -> Response {
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
        detail: None,
        reference: None,
    };
    let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    response
}

#[cfg(test)]
mod tests {
    use governor::clock::FakeRelativeClock;

    use super::*;

    fn limiter(per_minute: u32, trusted_proxy_hops: usize) -> RateLimiter<FakeRelativeClock> {
        let settings = ReliabilitySettings {
            sessions_per_minute: per_minute,
            trusted_proxy_hops,
            ..Default::default()
        };
        RateLimiter::with_clock(&settings, FakeRelativeClock::default()).unwrap()
    }

    const A: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    const B: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));

    #[test]
    fn no_limit_when_the_setting_is_zero() {
        let settings = ReliabilitySettings { sessions_per_minute: 0, ..Default::default() };
        assert!(RateLimiter::new(&settings).is_none());
    }

    #[test]
    fn a_burst_of_the_limit_passes_and_the_next_request_waits_r_h7() {
        let limiter = limiter(30, 0);
        for i in 0..30 {
            assert_eq!(limiter.check(A), Ok(()), "request {i}");
        }
        let wait = limiter.check(A).unwrap_err();
        assert_eq!(wait, Duration::from_secs(2), "one request per 2 s at 30 a minute");
        assert_eq!(limiter.check(B), Ok(()), "another client has its own allowance");
    }

    #[test]
    fn the_allowance_comes_back_with_time_r_h7() {
        let limiter = limiter(30, 0);
        for _ in 0..30 {
            limiter.check(A).unwrap();
        }
        assert!(limiter.check(A).is_err());
        limiter.clock.advance(Duration::from_secs(2));
        assert_eq!(limiter.check(A), Ok(()), "one more after one interval");
        assert!(limiter.check(A).is_err());
        limiter.clock.advance(Duration::from_secs(60));
        for i in 0..30 {
            assert_eq!(limiter.check(A), Ok(()), "a full burst after a quiet minute, request {i}");
        }
    }

    #[test]
    fn refused_requests_do_not_count_against_the_client() {
        let limiter = limiter(1, 0);
        limiter.check(A).unwrap();
        for _ in 0..100 {
            assert!(limiter.check(A).is_err());
        }
        limiter.clock.advance(Duration::from_secs(60));
        assert_eq!(limiter.check(A), Ok(()));
    }

    #[test]
    fn clients_whose_allowance_is_full_again_are_forgotten_past_the_prune_mark() {
        let limiter = limiter(2, 0);
        for i in 0..PRUNE_AT {
            let n = u32::try_from(i).unwrap();
            limiter.check(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n))).unwrap();
        }
        assert_eq!(limiter.gcra.len(), PRUNE_AT);
        limiter.clock.advance(Duration::from_secs(60));
        limiter.check(A).unwrap();
        assert_eq!(limiter.gcra.len(), 1, "only the client just counted is remembered");
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
