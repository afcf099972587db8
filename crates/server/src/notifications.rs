//! Verified provider notifications, applied to orders.
//!
//! An adapter has already authenticated the webhook or callback (or confirmed it with the
//! provider's API); here the update finds its order (by our order id, else the provider's
//! reference), its amount is checked against the order before it may mean `paid` or
//! `invoiced` (R-I1; a different amount is refused, see [`payments::refuse_answer`]), and
//! it is recorded in the inbox in the same transaction as the state change (R-K4). Duplicates,
//! replays and late events therefore change nothing (R-K5), however many arrive at once.

use kassa_providers::{PaymentUpdate, Provider};
use kassa_wire::PaymentEvent;

use crate::{
    payments,
    state::AppState,
    store::{Noted, Notification, Order},
};

/// Records and applies one verified update. An error means nothing was recorded: answer the
/// provider with a non-2xx so that it delivers the notification again.
pub async fn take(
    state: &AppState,
    provider: &Provider,
    update: &PaymentUpdate,
) -> anyhow::Result<Noted> {
    let order = payments::order_for_update(state, provider, update).await?;
    let (event, paid_minor) = match &order {
        Some(order) => checked_event(state, provider, order, update).await?,
        None => (update.event, None),
    };
    let noted = state
        .store
        .apply_notification(&Notification {
            provider: provider.id().as_str(),
            dedup_key: &update.dedup_key,
            order_id: order.as_ref().map(|o| o.id.as_str()),
            event,
            paid_minor,
            cause: "provider notification",
        })
        .await?;
    if let Noted::Applied(crate::store::Applied::Moved(to)) = noted {
        crate::metrics::order_moved(provider.id(), to);
    }
    let origin = order.as_ref().and_then(|o| o.request_id.as_deref()).unwrap_or("-");
    let order_id = order.as_ref().map_or("-", |o| o.id.as_str());
    match noted {
        Noted::UnknownOrder => {
            tracing::warn!(provider = provider.id().as_str(), reference = %update.reference, "notification for an unknown order")
        }
        _ => tracing::info!(
            provider = provider.id().as_str(),
            order = order_id,
            origin_request_id = origin,
            outcome = noted.as_str(),
            "notification taken"
        ),
    }
    Ok(noted)
}

/// The event to apply: a payment whose amount differs from the order's total (beyond the
/// provider's documented rounding) is not applied
/// (the order keeps its state and an operator is told), anything else is.
async fn checked_event(
    state: &AppState,
    provider: &Provider,
    order: &Order,
    update: &PaymentUpdate,
) -> anyhow::Result<(Option<PaymentEvent>, Option<i64>)> {
    if !matches!(update.event, Some(PaymentEvent::Paid | PaymentEvent::Invoiced)) {
        return Ok((update.event, None));
    }
    match update.amount {
        Some(amount) if !payments::amount_settles(provider, order, amount) => {
            let note =
                format!("amount mismatch: expected {}, provider reported {amount}", order.total);
            payments::refuse_answer(state, order, &note).await?;
            Ok((None, None))
        }
        Some(amount) if update.event == Some(PaymentEvent::Paid) => {
            Ok((update.event, Some(amount.minor())))
        }
        _ => Ok((update.event, None)),
    }
}
