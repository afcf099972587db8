//! The `[reliability]` settings: crash recovery, reconciliation with providers, the
//! per-client rate limit on session creation and the request timeout. Every field has a
//! production default, so the section is optional; tests and the soak run shorten the
//! intervals. Requirement ids (`R-K7`, …) are those of `docs/security.md`.

use serde::Deserialize;

/// `[reliability]` in the configuration.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct ReliabilitySettings {
    /// How often the recovery worker looks for orders to finish or reconcile, milliseconds
    /// (default 10 000; 0 turns the worker off). See [`crate::recovery`].
    pub recovery_interval_ms: u64,
    /// An open order not heard of for this long is asked about at its provider (default 60 s),
    /// in case its webhook never came (R-K7).
    pub reconcile_after_secs: i64,
    /// A `created` order older than this is expired instead of retried (default 23 h: within
    /// the 24 h for which Stripe keeps idempotency keys, R-I2).
    pub abandon_after_secs: i64,
    /// Session creations allowed per client IP per minute (default 30; 0 means no limit;
    /// R-H7). Each backend instance counts on its own.
    pub sessions_per_minute: u32,
    /// How many proxies in front of the backend append to `X-Forwarded-For` (default 0: the
    /// client is the TCP peer). With 1, the client is the last address the proxy appended.
    pub trusted_proxy_hops: usize,
    /// Longest a request may take, reading its body included, milliseconds (default 30 000;
    /// R-H3): a client that sends its body a byte at a time gets 408, not a worker forever.
    pub request_timeout_ms: u64,
}

impl Default for ReliabilitySettings {
    fn default() -> Self {
        ReliabilitySettings {
            recovery_interval_ms: 10_000,
            reconcile_after_secs: 60,
            abandon_after_secs: 23 * 3600,
            sessions_per_minute: 30,
            trusted_proxy_hops: 0,
            request_timeout_ms: 30_000,
        }
    }
}
