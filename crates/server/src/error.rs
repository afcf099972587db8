//! `AppError`: every way a request can fail, and how each becomes an [`ApiError`] answer.
//!
//! Client mistakes are 4xx with a message for the person who can fix them and the offending
//! field; provider trouble is 502/503 marked retryable; anything unexpected is an opaque 500
//! whose cause is logged, never sent.

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use kassa_providers::ProviderError;
use kassa_wire::{ApiError, ErrorCode, MoneyError};

/// A failed request.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A malformed or out-of-range value.
    #[error("{message}")]
    Invalid {
        /// Dotted path of the field.
        field: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// A SKU that is not in the catalog.
    #[error("there is no product with SKU `{sku}`")]
    UnknownSku {
        /// Dotted path of the field.
        field: String,
        /// The SKU.
        sku: String,
    },
    /// A method id that is not configured.
    #[error("there is no payment method `{0}`")]
    UnknownMethod(String),
    /// The return URL is not on an allowed origin.
    #[error("{0}")]
    ReturnUrlNotAllowed(String),
    /// Missing or malformed `Idempotency-Key`.
    #[error("send an Idempotency-Key header of 1 to 255 visible ASCII characters, one per checkout attempt")]
    IdempotencyKeyRequired,
    /// Key reused with a different body.
    #[error("this Idempotency-Key was used for a different request; use a new key for a new checkout attempt")]
    IdempotencyKeyReused,
    /// Another request with the key is running.
    #[error("a request with this Idempotency-Key is still being processed; retry shortly")]
    IdempotencyKeyInFlight,
    /// No such session.
    #[error("there is no checkout session `{0}`")]
    SessionNotFound(String),
    /// The provider failed in a way a retry may fix.
    #[error("the payment provider is not answering right now; please try again")]
    ProviderUnavailable {
        /// Seconds to wait, if the provider said.
        retry_after: Option<u64>,
    },
    /// The provider refused the request. Its reason is for the developer (the answer's
    /// `detail` and the log), never the customer's screen; `reference` is the stored order.
    #[error("the payment provider refused this payment; `detail` gives its reason")]
    ProviderRejected {
        /// The provider's reason, as the adapter reported it.
        detail: String,
        /// The order the refusal belongs to, once one is stored.
        reference: Option<String>,
    },
    /// The provider has its own price for the order and it is not the quote's (a booking
    /// system's price list, `docs/providers.md` section 5.2): nothing was booked or charged. Both
    /// totals are for the developer (`detail`); the customer is told in their language and
    /// offered another method, which takes the quote's total.
    #[error("the payment provider priced this order differently from the quote, so nothing was charged; `detail` gives both totals")]
    ProviderPriceMismatch {
        /// Both totals, as the adapter reported them.
        detail: String,
        /// The order the refusal belongs to, once one is stored.
        reference: Option<String>,
    },
    /// The cart costs something else than the quote the customer saw; the fresh quote.
    #[error("the price has changed since the quote; show the customer the new total and create the session with the new quote")]
    PriceChanged(Box<kassa_wire::Quote>),
    /// The quote is too old (the price is the same); a fresh one to create the session with.
    #[error("the quote has expired; create the session again with the new quote")]
    QuoteExpired(Box<kassa_wire::Quote>),
    /// Wrong content type.
    #[error("send the body as application/json")]
    UnsupportedMediaType,
    /// Body too large.
    #[error("the request body is too large")]
    PayloadTooLarge,
    /// Anything else; logged with its cause, answered opaquely.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<kassa_wire::CustomerError> for AppError {
    fn from(e: kassa_wire::CustomerError) -> Self {
        AppError::invalid(e.path(), e.message())
    }
}

impl AppError {
    /// An invalid-field error.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Invalid { field: Some(field.into()), message: message.into() }
    }

    /// A money error while pricing (an absurd quantity times price).
    pub fn money(e: MoneyError) -> Self {
        AppError::Invalid {
            field: Some("items".into()),
            message: format!("the cart total is out of range: {e}"),
        }
    }

    /// The field at fault, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::Invalid { field, .. } => field.as_deref(),
            AppError::UnknownSku { field, .. } => Some(field),
            AppError::UnknownMethod(_) => Some("method"),
            AppError::ReturnUrlNotAllowed(_) => Some("return_url"),
            AppError::IdempotencyKeyRequired => Some("Idempotency-Key"),
            _ => None,
        }
    }

    fn status_and_code(&self) -> (StatusCode, ErrorCode) {
        match self {
            AppError::Invalid { .. } => (StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest),
            AppError::UnknownSku { .. } => (StatusCode::BAD_REQUEST, ErrorCode::UnknownSku),
            AppError::UnknownMethod(_) => (StatusCode::BAD_REQUEST, ErrorCode::UnknownMethod),
            AppError::ReturnUrlNotAllowed(_) => {
                (StatusCode::BAD_REQUEST, ErrorCode::ReturnUrlNotAllowed)
            }
            AppError::IdempotencyKeyRequired => {
                (StatusCode::BAD_REQUEST, ErrorCode::IdempotencyKeyRequired)
            }
            AppError::IdempotencyKeyReused => {
                (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::IdempotencyKeyReused)
            }
            AppError::IdempotencyKeyInFlight => {
                (StatusCode::CONFLICT, ErrorCode::IdempotencyKeyInFlight)
            }
            AppError::SessionNotFound(_) => (StatusCode::NOT_FOUND, ErrorCode::SessionNotFound),
            AppError::ProviderUnavailable { .. } => {
                (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::ProviderUnavailable)
            }
            AppError::ProviderRejected { .. } => {
                (StatusCode::BAD_GATEWAY, ErrorCode::ProviderRejected)
            }
            AppError::ProviderPriceMismatch { .. } => {
                (StatusCode::BAD_GATEWAY, ErrorCode::ProviderPriceMismatch)
            }
            AppError::PriceChanged(_) => (StatusCode::CONFLICT, ErrorCode::PriceChanged),
            AppError::QuoteExpired(_) => (StatusCode::CONFLICT, ErrorCode::QuoteExpired),
            AppError::UnsupportedMediaType => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, ErrorCode::UnsupportedMediaType)
            }
            AppError::PayloadTooLarge => {
                (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge)
            }
            AppError::Unexpected(_) => (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal),
        }
    }

    /// The provider error as the customer and merchant should see it. An answer we could
    /// not read (malformed or truncated) leaves the outcome unknown, which a retry settles, so
    /// it is retryable for the customer too (R-I5). A total of the provider's own that is not
    /// the quote's has a code of its own: the customer can do something about it (pay the
    /// quote another way), and the merchant must (align the two price lists).
    pub fn from_provider(e: &ProviderError) -> Self {
        match e {
            e if outcome_unknown(e) => AppError::ProviderUnavailable {
                retry_after: e.retry_after().map(|d| d.as_secs().max(1)),
            },
            ProviderError::AmountMismatch { .. } => {
                AppError::ProviderPriceMismatch { detail: e.to_string(), reference: None }
            }
            // Our own order did not add up: nothing for the customer or the provider to fix.
            ProviderError::LinesDisagree { .. } => AppError::Unexpected(anyhow::anyhow!("{e}")),
            e => AppError::ProviderRejected { detail: e.to_string(), reference: None },
        }
    }

    /// The same error, naming the stored order `reference` where the customer is told of it.
    pub fn for_order(self, reference: &str) -> Self {
        match self {
            AppError::ProviderRejected { detail, .. } => {
                AppError::ProviderRejected { detail, reference: Some(reference.to_owned()) }
            }
            AppError::ProviderPriceMismatch { detail, .. } => {
                AppError::ProviderPriceMismatch { detail, reference: Some(reference.to_owned()) }
            }
            other => other,
        }
    }
}

/// True when a failed provider call may have done its work without our hearing of it, or may
/// work if tried again: the order must stay open to a retry with the same key, never be
/// settled as refused (R-I5).
pub fn outcome_unknown(e: &ProviderError) -> bool {
    e.is_retryable() || matches!(e, ProviderError::UnexpectedResponse { .. })
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = match &self {
            AppError::Unexpected(e) => {
                tracing::error!(error = format!("{e:#}"), "request failed unexpectedly");
                "something went wrong on the checkout server; please try again".to_owned()
            }
            other => other.to_string(),
        };
        let retryable = matches!(
            self,
            AppError::ProviderUnavailable { .. }
                | AppError::IdempotencyKeyInFlight
                | AppError::Unexpected(_)
        );
        let field = self.field().map(str::to_owned);
        let quote = match self {
            AppError::PriceChanged(ref q) | AppError::QuoteExpired(ref q) => Some((**q).clone()),
            _ => None,
        };
        let (detail, reference) = match self {
            AppError::ProviderRejected { ref detail, ref reference }
            | AppError::ProviderPriceMismatch { ref detail, ref reference } => {
                (Some(detail.clone()), reference.clone())
            }
            _ => (None, None),
        };
        let body = ApiError { code, message, field, retryable, quote, detail, reference };
        let mut response = (status, Json(body)).into_response();
        if let AppError::ProviderUnavailable { retry_after: Some(secs) } = self {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        } else if let AppError::Unexpected(e) = &self {
            if database_unavailable(e) {
                // Nothing is wrong with the request; the store is out of reach for now (R-R2).
                *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
        }
        response
    }
}

/// True when `e` comes from a database that cannot be reached (down, or no connection free
/// in time), as opposed to a bug: the request may succeed when retried.
fn database_unavailable(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        let sqlx_down = matches!(
            cause.downcast_ref::<sqlx::Error>(),
            Some(
                sqlx::Error::PoolTimedOut
                    | sqlx::Error::Io(_)
                    | sqlx::Error::PoolClosed
                    | sqlx::Error::Tls(_)
            )
        );
        // The SQLite writer thread: gone, or another process held the write lock past the
        // busy timeout.
        let writer_down = cause.is::<crate::store::Unavailable>()
            || matches!(
                cause.downcast_ref::<rusqlite::Error>(),
                Some(rusqlite::Error::SqliteFailure(e, _))
                    if matches!(e.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
            );
        sqlx_down || writer_down
    })
}

#[cfg(test)]
mod tests {
    use kassa_wire::{Currency, Money, ProviderId};

    use super::*;

    fn nok(minor: i64) -> Money {
        Money::from_minor(minor, Currency::NOK).unwrap()
    }

    /// A provider's own price is the customer's news (a code of its own, naming both totals);
    /// an order of ours that does not add up is our bug, said as an internal error.
    #[test]
    fn a_providers_price_and_our_own_sum_are_told_apart() {
        let provider = ProviderId::Checkfront;
        let theirs =
            ProviderError::AmountMismatch { provider, expected: nok(100), actual: nok(90) };
        let ours = ProviderError::LinesDisagree { provider, expected: nok(100), actual: nok(90) };
        assert_eq!(
            AppError::from_provider(&theirs).status_and_code(),
            (StatusCode::BAD_GATEWAY, ErrorCode::ProviderPriceMismatch)
        );
        assert_eq!(
            AppError::from_provider(&ours).status_and_code(),
            (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal)
        );
    }
}
