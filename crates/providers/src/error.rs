//! [`ProviderError`]: what went wrong talking to a provider, classified by what the caller
//! should do about it (R-I4), not by symptom.
//!
//! Messages are safe to log and to map onto the widget's error codes. They must not carry
//! secrets, provider response bodies, or (for notifications) the reason a signature failed:
//! that detail goes to a `debug` log line only, so a forger learns nothing from our answer.

use std::time::Duration;

use kassa_wire::{Money, MoneyError, ProviderId};

/// Everything an adapter can fail with.
///
/// | class | variants | caller should |
/// |---|---|---|
/// | retry later | [`Unavailable`](Self::Unavailable), [`Conflict`](Self::Conflict) | retry with the **same** idempotency key; for a create, the outcome is unknown (R-I5) |
/// | fix the request | [`Rejected`](Self::Rejected), [`NotFound`](Self::NotFound), [`AmountNotRepresentable`](Self::AmountNotRepresentable), [`BelowMinimum`](Self::BelowMinimum), [`AmountMismatch`](Self::AmountMismatch), [`Unsupported`](Self::Unsupported), [`Money`](Self::Money) | stop; report to the person who can fix it |
/// | fix the config | [`Unauthorized`](Self::Unauthorized), [`Misconfigured`](Self::Misconfigured) | stop and alert the operator |
/// | idempotency bug | [`IdempotencyMismatch`](Self::IdempotencyMismatch) | stop; never mint a new key to get round it (R-I2) |
/// | customer | [`Declined`](Self::Declined) | show a safe message, offer another method |
/// | forged or garbled input | [`InvalidNotification`](Self::InvalidNotification) | answer 400, store nothing |
/// | provider bug | [`UnexpectedResponse`](Self::UnexpectedResponse) | alert; treat the outcome as unknown |
/// | our bug | [`LinesDisagree`](Self::LinesDisagree) | alert; nothing was sent |
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProviderError {
    /// The provider could not be reached, timed out, rate-limited us or failed (5xx).
    #[error("{p} is unavailable", p = .provider.as_str())]
    Unavailable {
        /// Which provider.
        provider: ProviderId,
        /// The HTTP status, when the provider answered at all.
        status: Option<u16>,
        /// How long the provider asked us to wait (`Retry-After`).
        retry_after: Option<Duration>,
        /// The transport error, when there was one.
        #[source]
        source: Option<reqwest::Error>,
    },
    /// The provider refused the request as invalid (4xx); trying again will not help.
    #[error("{p} rejected the request: {message}", p = .provider.as_str())]
    Rejected {
        /// Which provider.
        provider: ProviderId,
        /// The HTTP status; 0 when the adapter refused the request before calling (a
        /// customer detail the provider needs is missing, say).
        status: u16,
        /// The provider's message, safe to log (it never holds our secrets).
        message: String,
        /// The request field the provider blamed, if it named one.
        param: Option<String>,
    },
    /// The provider does not know the referenced session, order or booking.
    #[error("{p} does not know that reference", p = .provider.as_str())]
    NotFound {
        /// Which provider.
        provider: ProviderId,
    },
    /// The provider refused our credentials or their permissions (401, 403).
    #[error("{p} rejected our credentials", p = .provider.as_str())]
    Unauthorized {
        /// Which provider.
        provider: ProviderId,
        /// The HTTP status.
        status: u16,
    },
    /// The adapter's configuration cannot work (bad key format, bad base URL, a redirect
    /// from the provider that means the base URL moved).
    #[error("{p} is misconfigured: {reason}", p = .provider.as_str())]
    Misconfigured {
        /// Which provider.
        provider: ProviderId,
        /// What to fix, without secret values.
        reason: String,
    },
    /// A request with the same idempotency key is still in flight at the provider.
    #[error("{p} is still processing a request with this idempotency key", p = .provider.as_str())]
    Conflict {
        /// Which provider.
        provider: ProviderId,
    },
    /// The idempotency key was used before with different parameters. A bug on our side:
    /// never answer it by minting a new key.
    #[error("{p} saw this idempotency key with different parameters", p = .provider.as_str())]
    IdempotencyMismatch {
        /// Which provider.
        provider: ProviderId,
    },
    /// The provider declined the payment.
    #[error("{p} declined the payment", p = .provider.as_str())]
    Declined {
        /// Which provider.
        provider: ProviderId,
        /// The provider's decline code, if any.
        code: Option<String>,
        /// A message meant for the customer, if the provider gave one.
        message: Option<String>,
    },
    /// A webhook or callback that failed authentication or could not be parsed.
    ///
    /// The display says only that it did not verify; `reason` is for tests and debug logs
    /// and must never be sent back to whoever posted the notification.
    #[error("notification from {p} could not be verified", p = .provider.as_str())]
    InvalidNotification {
        /// Which provider.
        provider: ProviderId,
        /// Why, for debug logs and tests only.
        reason: &'static str,
    },
    /// The provider answered with a body we could not understand (malformed or truncated
    /// JSON, a missing field, an unknown status word).
    #[error("{p} answered with something we could not understand (status {status})", p = .provider.as_str())]
    UnexpectedResponse {
        /// Which provider.
        provider: ProviderId,
        /// The HTTP status of that answer.
        status: u16,
    },
    /// The provider or adapter cannot do this (e.g. Stripe's hosted page in an iframe).
    #[error("{p} does not support {operation}", p = .provider.as_str())]
    Unsupported {
        /// Which provider.
        provider: ProviderId,
        /// What was asked for.
        operation: &'static str,
    },
    /// Money arithmetic or parsing failed.
    #[error(transparent)]
    Money(#[from] MoneyError),
    /// The amount cannot be expressed exactly in the provider's encoding.
    #[error("{p} cannot represent {amount} exactly", p = .provider.as_str())]
    AmountNotRepresentable {
        /// Which provider.
        provider: ProviderId,
        /// The amount refused.
        amount: Money,
    },
    /// The total is below the smallest charge the provider takes in its currency; the
    /// message is for the customer (a bigger cart) and the merchant (the catalog).
    #[error("{p} cannot take a payment under {minimum}; this order is {amount}", p = .provider.as_str())]
    BelowMinimum {
        /// Which provider.
        provider: ProviderId,
        /// The order's total.
        amount: Money,
        /// The provider's smallest charge in that currency.
        minimum: Money,
    },
    /// The order handed to the adapter does not add up: a line's total is not its unit price
    /// times its quantity, or the lines do not sum to the order's total. The server builds
    /// both from one quote, so this is a bug of ours, caught before anything was sent (and
    /// kept apart from [`AmountMismatch`](Self::AmountMismatch), which is the provider's
    /// price and is told to the customer as such).
    #[error("the order's lines add up to {actual}, not to {expected}; nothing was sent to {p}", p = .provider.as_str())]
    LinesDisagree {
        /// The provider the order was for.
        provider: ProviderId,
        /// The total the lines should have made.
        expected: Money,
        /// What they made.
        actual: Money,
    },
    /// The provider priced the order differently from the server's quote.
    #[error("{p} priced the order at {actual}, the quote was {expected}", p = .provider.as_str())]
    AmountMismatch {
        /// Which provider.
        provider: ProviderId,
        /// The server's total.
        expected: Money,
        /// The provider's total.
        actual: Money,
    },
}

impl ProviderError {
    /// True when the same call may succeed later (with the same idempotency key).
    pub fn is_retryable(&self) -> bool {
        matches!(self, ProviderError::Unavailable { .. } | ProviderError::Conflict { .. })
    }

    /// How long the provider asked us to wait before retrying, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ProviderError::Unavailable { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The provider concerned, where the error names one.
    pub fn provider(&self) -> Option<ProviderId> {
        use ProviderError as E;
        match self {
            E::Unavailable { provider, .. }
            | E::Rejected { provider, .. }
            | E::NotFound { provider }
            | E::Unauthorized { provider, .. }
            | E::Misconfigured { provider, .. }
            | E::Conflict { provider }
            | E::IdempotencyMismatch { provider }
            | E::Declined { provider, .. }
            | E::InvalidNotification { provider, .. }
            | E::UnexpectedResponse { provider, .. }
            | E::Unsupported { provider, .. }
            | E::AmountNotRepresentable { provider, .. }
            | E::BelowMinimum { provider, .. }
            | E::AmountMismatch { provider, .. }
            | E::LinesDisagree { provider, .. } => Some(*provider),
            E::Money(_) => None,
        }
    }

    /// A notification that did not verify; logs `reason` at debug level only.
    pub(crate) fn invalid_notification(provider: ProviderId, reason: &'static str) -> Self {
        tracing::debug!(provider = provider.as_str(), reason, "notification rejected");
        ProviderError::InvalidNotification { provider, reason }
    }

    /// A configuration that cannot work.
    pub(crate) fn misconfigured(provider: ProviderId, reason: impl Into<String>) -> Self {
        ProviderError::Misconfigured { provider, reason: reason.into() }
    }

    /// An answer we could not understand.
    pub(crate) fn unexpected(provider: ProviderId, status: u16) -> Self {
        ProviderError::UnexpectedResponse { provider, status }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unavailable_and_conflict_are_retryable() {
        let p = ProviderId::Stripe;
        let unavailable = ProviderError::Unavailable {
            provider: p,
            status: Some(503),
            retry_after: None,
            source: None,
        };
        assert!(unavailable.is_retryable());
        assert!(ProviderError::Conflict { provider: p }.is_retryable());
        for not in [
            ProviderError::Rejected { provider: p, status: 400, message: "x".into(), param: None },
            ProviderError::Unauthorized { provider: p, status: 401 },
            ProviderError::IdempotencyMismatch { provider: p },
            ProviderError::Declined { provider: p, code: None, message: None },
            ProviderError::InvalidNotification { provider: p, reason: "bad" },
            ProviderError::UnexpectedResponse { provider: p, status: 200 },
            ProviderError::Unsupported { provider: p, operation: "iframe" },
            ProviderError::Money(MoneyError::Overflow),
        ] {
            assert!(!not.is_retryable(), "{not:?} must not be retryable");
        }
    }

    #[test]
    fn an_invalid_notification_does_not_say_why_in_its_message() {
        let e =
            ProviderError::invalid_notification(ProviderId::Stripe, "timestamp outside tolerance");
        let shown = e.to_string();
        assert!(!shown.contains("timestamp"), "the display leaked the reason: {shown}");
        assert_eq!(shown, "notification from stripe could not be verified");
    }
}
