//! `[outbox]` and `[operator]` in the configuration: where the merchant's events go, how
//! persistently, and the operator's API token.
//!
//! ```toml
//! [outbox.endpoints.bookings]
//! url = "https://booking.example/kassa-events"
//! # secret: KASSA_OUTBOX__ENDPOINTS__BOOKINGS__SECRET=whsec_… (24+ random bytes, base64)
//! ```
//!
//! Every field but the endpoints has a production default; tests shorten the schedule.

use std::collections::BTreeMap;

use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;
use url::{Host, Url};

/// The default retry schedule: the wait after each failed attempt, milliseconds. It follows
/// the Standard Webhooks spec's example ("Deliverability and reliability"): 5 s, 5 min,
/// 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h; ten attempts over 75 h 35 min before jitter,
/// which only ever lengthens a wait, so an event is tried for more than three days.
pub const DEFAULT_SCHEDULE_MS: [u64; 9] = [
    5_000,
    5 * 60_000,
    30 * 60_000,
    2 * 3_600_000,
    5 * 3_600_000,
    10 * 3_600_000,
    14 * 3_600_000,
    20 * 3_600_000,
    24 * 3_600_000,
];

/// `[outbox]`.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutboxSettings {
    /// The merchant's endpoints, by name (`[a-z0-9_-]`, as the environment spells keys).
    pub endpoints: BTreeMap<String, EndpointSettings>,
    /// The wait after each failed attempt, ms; when it is used up the delivery is dead.
    pub retry_schedule_ms: Vec<u64>,
    /// Each wait is lengthened by a random 0 to this many percent (default 25).
    pub jitter_percent: u32,
    /// Longest an attempt may take, ms (default 15 000: the spec recommends 15–30 s).
    pub attempt_timeout_ms: u64,
    /// How often each endpoint's worker looks for due deliveries, ms (default 1000).
    pub poll_interval_ms: u64,
    /// Consecutive failures that open an endpoint's circuit (default 5).
    pub breaker_failures: u32,
    /// How long an open circuit sends nothing before one trial attempt, ms (default 60 000).
    pub breaker_cooldown_ms: u64,
    /// Attempts in flight at once per endpoint (default 4).
    pub concurrency: usize,
}

impl Default for OutboxSettings {
    fn default() -> Self {
        OutboxSettings {
            endpoints: BTreeMap::new(),
            retry_schedule_ms: DEFAULT_SCHEDULE_MS.to_vec(),
            jitter_percent: 25,
            attempt_timeout_ms: 15_000,
            poll_interval_ms: 1_000,
            breaker_failures: 5,
            breaker_cooldown_ms: 60_000,
            concurrency: 4,
        }
    }
}

/// One endpoint.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointSettings {
    /// Where events are POSTed: `https://…`, or `http://` on loopback (tests, the demo).
    pub url: String,
    /// The signing secret, `whsec_` + base64 of 24 to 64 random bytes, from the environment
    /// (`KASSA_OUTBOX__ENDPOINTS__<NAME>__SECRET`). Never logged.
    #[serde(default)]
    pub secret: Option<SecretString>,
}

/// `[operator]`: the orders API.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OperatorSettings {
    /// The bearer token of the orders API, from `KASSA_OPERATOR__TOKEN` (32+ characters).
    /// Without it the orders API refuses every request.
    pub token: Option<SecretString>,
}

/// The shortest operator token accepted.
pub const OPERATOR_TOKEN_MIN: usize = 32;

/// Checks `[outbox]`; the error names the key to fix.
pub fn check(outbox: &OutboxSettings) -> Result<(), (String, String)> {
    for (name, endpoint) in &outbox.endpoints {
        let key = |field: &str| format!("outbox.endpoints.{name}.{field}");
        if name.is_empty()
            || !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err((
                format!("outbox.endpoints.{name}"),
                "an endpoint's name may hold only a-z 0-9 _ (the environment spells it \
                 KASSA_OUTBOX__ENDPOINTS__<NAME>__SECRET)"
                    .into(),
            ));
        }
        check_url(&endpoint.url).map_err(|m| (key("url"), m))?;
        match &endpoint.secret {
            None => {
                return Err((
                    key("secret"),
                    format!(
                        "required: set KASSA_OUTBOX__ENDPOINTS__{}__SECRET to whsec_ and the \
                         base64 of 24 to 64 random bytes",
                        name.to_ascii_uppercase()
                    ),
                ))
            }
            Some(secret) => check_secret(secret.expose_secret()).map_err(|m| (key("secret"), m))?,
        }
    }
    if outbox.attempt_timeout_ms == 0 || outbox.poll_interval_ms == 0 {
        return Err((
            "outbox.attempt_timeout_ms".into(),
            "the attempt timeout and the poll interval must be above 0".into(),
        ));
    }
    if outbox.concurrency == 0 || outbox.breaker_failures == 0 {
        return Err((
            "outbox.concurrency".into(),
            "concurrency and breaker_failures must be above 0".into(),
        ));
    }
    Ok(())
}

/// Checks the operator token's length (never repeating it).
pub fn check_operator(operator: &OperatorSettings) -> Result<(), (String, String)> {
    match &operator.token {
        Some(token) if token.expose_secret().len() < OPERATOR_TOKEN_MIN => Err((
            "operator.token".into(),
            format!("must be at least {OPERATOR_TOKEN_MIN} characters (KASSA_OPERATOR__TOKEN)"),
        )),
        _ => Ok(()),
    }
}

/// An endpoint URL: `https`, or `http` on loopback; no credentials; and the SSRF rules of
/// [`crate::outbound`] (no private, link-local or metadata address in any spelling; a
/// loopback endpoint is allowed as such, for tests and the demo).
pub fn check_url(text: &str) -> Result<(), String> {
    let url = Url::parse(text).map_err(|_| format!("`{text}` is not an absolute URL"))?;
    let loopback = is_loopback(&url);
    if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
        return Err(format!(
            "`{}` must be https (plain http only on loopback, for tests)",
            shown(&url)
        ));
    }
    crate::outbound::check_base(text, loopback).map_err(|why| format!("`{}` {why}", shown(&url)))
}

/// Whether the URL's host is loopback (`127.0.0.0/8`, `[::1]`, `localhost`).
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(v4)) => v4.is_loopback(),
        Some(Host::Ipv6(v6)) => v6.is_loopback(),
        Some(Host::Domain(name)) => {
            name.eq_ignore_ascii_case("localhost") || name.ends_with(".localhost")
        }
        None => false,
    }
}

/// The URL without credentials, query or fragment, fit for an error or a log.
pub fn shown(url: &Url) -> String {
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.set_query(None);
    url.set_fragment(None);
    url.to_string()
}

/// A Standard Webhooks symmetric secret: `whsec_` + base64 of 24 to 64 bytes (the spec's
/// "Signature scheme" table: at least 192 bits, 512 at most).
fn check_secret(secret: &str) -> Result<(), String> {
    use base64::Engine as _;
    let Some(encoded) = secret.strip_prefix("whsec_") else {
        return Err("must start with whsec_ (a Standard Webhooks secret)".into());
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|_| "is not whsec_ followed by base64".to_owned())?;
    if !(24..=64).contains(&bytes.len()) {
        return Err(format!("must hold 24 to 64 bytes (it holds {})", bytes.len()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_must_be_https_except_on_loopback() {
        assert_eq!(check_url("https://booking.example/hook"), Ok(()));
        assert_eq!(check_url("http://127.0.0.1:9/hook"), Ok(()));
        assert_eq!(check_url("http://localhost:9/hook"), Ok(()));
        let e = check_url("http://booking.example/hook").unwrap_err();
        assert!(e.contains("http://booking.example/hook") && e.contains("https"), "{e}");
        for url in [
            "https://169.254.169.254/",
            "https://10.0.0.4/",
            "https://[fe80::1]/",
            "https://2852039166/",
        ] {
            assert!(check_url(url).is_err(), "{url} was accepted");
        }
        assert!(check_url("https://user:pw@booking.example/").is_err());
    }

    #[test]
    fn the_default_schedule_retries_for_more_than_three_days() {
        let total: u64 = DEFAULT_SCHEDULE_MS.iter().sum();
        assert!(total > 72 * 3_600_000, "{total} ms");
    }

    #[test]
    fn secrets_are_standard_webhooks_secrets() {
        assert!(check_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_ok());
        assert!(check_secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_err());
        assert!(check_secret("whsec_c2hvcnQ=").unwrap_err().contains("24 to 64"));
    }
}
