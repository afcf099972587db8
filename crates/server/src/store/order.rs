//! The stored order and its mapping from a database row.

use super::sql::Columns;
use anyhow::Context as _;
use kassa_wire::{Action, Currency, MethodId, Money, ProviderId, Quote, SessionId, SessionState};

/// What the server knows about one checkout attempt.
#[derive(Clone, Debug)]
pub struct Order {
    /// Kassa's id, `ks_…`.
    pub id: SessionId,
    /// Hash of the normalised request, to refuse a reused key with another body.
    pub request_hash: String,
    /// Where it stands.
    pub state: SessionState,
    /// The method id.
    pub method: MethodId,
    /// The provider.
    pub provider: ProviderId,
    /// The server's total.
    pub total: Money,
    /// The priced cart, as the customer agreed to it.
    pub quote: Quote,
    /// The provider's session reference once created.
    pub provider_ref: Option<String>,
    /// What the widget should do while the order is open.
    pub action: Option<Action>,
    /// When the provider session expires.
    pub expires_at: Option<i64>,
    /// Lease on calling the provider.
    pub lease_until: Option<i64>,
    /// What the provider confirmed as paid.
    pub paid_minor: Option<i64>,
    /// When the payment was confirmed.
    pub paid_at: Option<i64>,
    /// The last operator-facing error.
    pub last_error: Option<String>,
    /// When the provider was last asked about this order.
    pub last_checked_at: Option<i64>,
    /// When a provider answer about this order was last refused as one its documents do not
    /// allow (the order kept its state; `last_error` says why).
    pub unconfirmed_at: Option<i64>,
    /// Provider-create attempts made so far (more than one means a retry after an unknown
    /// or failed outcome).
    pub provider_attempts: i64,
    /// The `x-request-id` of the request that created the order, so that logs of later
    /// webhooks and polls can be tied to the checkout that started it.
    pub request_id: Option<String>,
    /// When the order was stored.
    pub created_at: i64,
    /// When the order last changed.
    pub updated_at: i64,
}

/// A new order to store, with `R`, what the caller needs to call the provider again later
/// (read back by [`super::Store::order_request`], and only then).
#[derive(Clone, Debug)]
pub struct NewOrder<R> {
    /// Kassa's id.
    pub id: String,
    /// The widget's idempotency key.
    pub idempotency_key: String,
    /// Hash of the normalised request.
    pub request_hash: String,
    /// Method id.
    pub method: String,
    /// Provider.
    pub provider: ProviderId,
    /// Server-computed total.
    pub total: Money,
    /// The quote the customer agreed to.
    pub quote: Quote,
    /// The normalised request.
    pub request: R,
    /// The creating request's `x-request-id`.
    pub request_id: Option<String>,
}

impl Order {
    pub(super) const COLUMNS: &'static str = "id, request_hash, state, method, provider, currency, total_minor, \
        quote_json, provider_ref, action_json, expires_at, lease_until, paid_minor, paid_at, \
        last_error, last_checked_at, unconfirmed_at, provider_attempts, request_id, created_at, updated_at";

    pub(super) fn from_row(row: &impl Columns) -> anyhow::Result<Order> {
        let state = row.text_of("state")?;
        let provider = row.text_of("provider")?;
        let currency = Currency::from_code(&row.text_of("currency")?).context("stored currency")?;
        let quote: StoredQuote = row.json("quote_json")?.context("the order has no quote")?;
        Ok(Order {
            id: SessionId::parse(row.text_of("id")?).context("stored id")?,
            request_hash: row.text_of("request_hash")?,
            state: SessionState::parse(&state)
                .with_context(|| format!("stored state `{state}`"))?,
            method: MethodId::parse(row.text_of("method")?).context("stored method")?,
            provider: ProviderId::parse(&provider)
                .with_context(|| format!("stored provider `{provider}`"))?,
            total: Money::from_minor(row.int_of("total_minor")?, currency)?,
            quote: quote.into_quote()?,
            provider_ref: row.text("provider_ref")?,
            action: row.json::<Action>("action_json")?,
            expires_at: row.int("expires_at")?,
            lease_until: row.int("lease_until")?,
            paid_minor: row.int("paid_minor")?,
            paid_at: row.int("paid_at")?,
            last_error: row.text("last_error")?,
            last_checked_at: row.int("last_checked_at")?,
            unconfirmed_at: row.int("unconfirmed_at")?,
            provider_attempts: row.int_of("provider_attempts")?,
            request_id: row.text("request_id")?,
            created_at: row.int_of("created_at")?,
            updated_at: row.int_of("updated_at")?,
        })
    }
}

/// The stored quote. Orders stored before quotes had ids have neither id nor expiry; they
/// read as the quote `legacy` that expired at the epoch (nothing checks it again).
#[derive(serde::Deserialize)]
struct StoredQuote {
    id: Option<kassa_wire::QuoteId>,
    expires_at: Option<String>,
    lines: Vec<kassa_wire::QuoteLine>,
    total: Money,
}

impl StoredQuote {
    fn into_quote(self) -> anyhow::Result<Quote> {
        Ok(Quote {
            id: match self.id {
                Some(id) => id,
                None => kassa_wire::QuoteId::parse("legacy").context("legacy quote id")?,
            },
            expires_at: self.expires_at.unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned()),
            lines: self.lines,
            total: self.total,
        })
    }
}
