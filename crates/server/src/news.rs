//! News about an order: one way in.
//!
//! Whatever brings it (a provider's webhook or callback, the customer's status poll, the
//! recovery worker's reconciliation, a cancel, or the backend's own verdict such as a
//! provider refusing the session), news about an order passes through [`apply`]:
//! - a payment or an invoice is checked against the order once, amount and currency (R-I1):
//!   one that differs beyond the provider's documented rounding is refused and the order
//!   keeps its state ([`refuse_answer`]);
//! - the state machine ([`kassa_wire::SessionState::apply`]) is applied once, in the store's
//!   one change transaction ([`crate::store::Store::apply`]), which also records a
//!   notification in the inbox (R-K4), so duplicates, replays and late events change nothing
//!   (R-K5).

use kassa_providers::{PaymentUpdate, ProviderError};
use kassa_wire::{Money, PaymentEvent, ProviderId};

use crate::{
    state::AppState,
    store::{Applied, Change, InboxKey, Noted, Order},
};

/// What is known, and where it came from.
#[derive(Clone, Copy, Debug)]
pub struct News<'a> {
    /// What happened; `None` for nothing new.
    pub event: Option<PaymentEvent>,
    /// The amount the provider reported with a payment or an invoice.
    pub amount: Option<Money>,
    /// Why, for the transition log.
    pub cause: &'a str,
    /// A notification's identity at its provider (the inbox key); `None` for an answer the
    /// backend asked for, or its own verdict.
    pub dedup_key: Option<&'a str>,
}

impl<'a> News<'a> {
    /// A provider's answer the backend asked for (status, reconciliation, cancel).
    pub fn answer(update: &PaymentUpdate, cause: &'a str) -> Self {
        News { event: update.event, amount: update.amount, cause, dedup_key: None }
    }

    /// A verified notification the provider sent.
    pub fn notification(update: &'a PaymentUpdate) -> Self {
        News {
            event: update.event,
            amount: update.amount,
            cause: "provider notification",
            dedup_key: Some(&update.dedup_key),
        }
    }

    /// The backend's own verdict (the provider refused the session, the customer cancelled
    /// before there was one, an order was abandoned).
    pub fn verdict(event: PaymentEvent, cause: &'a str) -> Self {
        News { event: Some(event), amount: None, cause, dedup_key: None }
    }
}

/// Applies `news` from `provider` to `order` (`None`: a notification for an order we do
/// not have, recorded all the same).
pub async fn apply(
    state: &AppState,
    provider: ProviderId,
    order: Option<&Order>,
    news: &News<'_>,
) -> anyhow::Result<Noted> {
    let mut event = news.event;
    let mut paid_minor = None;
    if let (Some(order), Some(PaymentEvent::Paid | PaymentEvent::Invoiced), Some(amount)) =
        (order, event, news.amount)
    {
        let settles = state
            .providers
            .get(&order.provider)
            .is_some_and(|p| p.amount_settles(&order.quote.lines, order.total, amount));
        if settles {
            paid_minor = (event == Some(PaymentEvent::Paid)).then_some(amount.minor());
        } else {
            let reason =
                format!("amount mismatch: expected {}, provider reported {amount}", order.total);
            refuse_answer(state, order, &reason).await?;
            event = None;
        }
    }
    if let (None, None, Some(order)) = (event, news.dedup_key, order) {
        // Nothing to apply and nothing to record.
        return Ok(Noted::Applied(Applied::Unchanged(order.state)));
    }
    let noted = state
        .store
        .apply(&Change {
            order_id: order.map(|o| o.id.as_str()),
            event,
            paid_minor,
            cause: news.cause,
            inbox: news
                .dedup_key
                .map(|dedup_key| InboxKey { provider: provider.as_str(), dedup_key }),
        })
        .await?;
    if let (Noted::Applied(Applied::Moved(to)), Some(order)) = (noted, order) {
        tracing::info!(order = %order.id, state = to.as_str(), cause = news.cause, "order moved");
        crate::metrics::order_moved(provider, to);
    }
    Ok(noted)
}

/// Whether a provider error means it answered something its documents do not allow about
/// an order (a status word it never lists, a body we cannot read, a total that differs),
/// as opposed to not answering at all.
pub fn is_refused_answer(e: &ProviderError) -> bool {
    matches!(e, ProviderError::UnexpectedResponse { .. } | ProviderError::AmountMismatch { .. })
}

/// A provider answer about `order` that its documents do not allow: the order keeps its
/// state, the operator's log and `last_error` say why, and while the order waits the
/// customer is told the payment could not be confirmed yet (`Session::unconfirmed`).
pub async fn refuse_answer(state: &AppState, order: &Order, reason: &str) -> anyhow::Result<()> {
    tracing::error!(
        order = %order.id,
        provider = order.provider.as_str(),
        state = order.state.as_str(),
        reason,
        "refused a provider answer its documents do not allow; the order is unchanged"
    );
    crate::metrics::answer_refused(order.provider);
    state.store.note_unconfirmed(&order.id, reason).await
}
