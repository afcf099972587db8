//! Verified provider notifications, applied to orders.
//!
//! An adapter has already authenticated the webhook or callback (or confirmed it with the
//! provider's API); here the update finds its order (by our order id, else the provider's
//! reference) and goes the one way news reaches an order ([`news::apply`]: the amount is
//! checked, and it is recorded in the inbox in the same transaction as the state change).
//! Duplicates, replays and late events therefore change nothing (R-K5), however many
//! arrive at once.

use kassa_providers::{PaymentUpdate, Provider};

use crate::{
    news::{self, News},
    payments,
    state::AppState,
    store::Noted,
};

/// Records and applies one verified update. An error means nothing was recorded: answer the
/// provider with a non-2xx so that it delivers the notification again.
pub async fn take(
    state: &AppState,
    provider: &Provider,
    update: &PaymentUpdate,
) -> anyhow::Result<Noted> {
    let order = payments::order_for_update(state, provider, update).await?;
    let noted =
        news::apply(state, provider.id(), order.as_ref(), &News::notification(update)).await?;
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
