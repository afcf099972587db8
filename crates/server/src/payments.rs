//! The checkout service: creating sessions idempotently and asking providers about orders;
//! what they answer reaches the order through [`crate::news`].
//!
//! The order is stored before any provider is called, and every way out of a provider call
//! (success, refusal, timeout, crash) leaves it in a state that the same request, retried
//! with the same `Idempotency-Key`, or the next notification can finish.

use std::time::Duration;

use anyhow::Context as _;
use kassa_providers::{PaymentUpdate, Provider, SessionRequest};
use kassa_wire::{
    CountryCode, CreateSession, Customer, CustomerDetails, IdempotencyKey, LanguageTag,
    PaymentEvent, ProviderRef, Receipt, Session, SessionId, SessionState,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::{
    error::AppError,
    news::{self, News},
    return_url::ReturnPage,
    state::AppState,
    store::{now, Applied, Inserted, NewOrder, Order},
};

/// How long a status request waits between asking the provider about the same order.
const RECHECK_AFTER_SECS: i64 = 1;
/// How long a request waits for a concurrent one holding the same key.
const IN_FLIGHT_WAIT: Duration = Duration::from_secs(10);

/// What is stored of the creation request, enough to rebuild the provider request on retry.
#[derive(Debug, Serialize, Deserialize)]
struct StoredRequest {
    return_page: String,
    success_url: String,
    cancel_url: String,
    customer: CustomerDetails,
    locale: Option<String>,
    variant: Option<String>,
}

/// Reads the `Idempotency-Key` header.
pub fn idempotency_key(key: Option<&str>) -> Result<IdempotencyKey, AppError> {
    key.and_then(|k| IdempotencyKey::parse(k).ok()).ok_or(AppError::IdempotencyKeyRequired)
}

/// `POST /v1/checkout/sessions`.
pub async fn create_session(
    state: &AppState,
    key: IdempotencyKey,
    req: CreateSession,
) -> Result<Session, AppError> {
    let method = state
        .methods
        .get(&req.method)
        .ok_or_else(|| AppError::UnknownMethod(req.method.to_string()))?;
    let provider = state.providers.get(&method.provider).ok_or_else(|| {
        anyhow::anyhow!(
            "method {} names provider {:?}, which is not configured",
            method.id,
            method.provider
        )
    })?;
    let priced = state.catalog.price(&req.items)?;
    let page = ReturnPage::parse(&req.return_url, &state.allowed_origins)?;
    // What the provider's account also requires (Checkfront's booking form, C3).
    let form = state.account_forms.of(provider).await.unwrap_or_default();
    let mut required = method.required_fields.clone();
    required.extend(form.required.iter().filter(|f| !method.required_fields.contains(f)));
    // Read where the widget read it: in the customer's country, else the merchant's.
    let home = state.checkout_config.country.as_deref().and_then(|c| CountryCode::parse(c).ok());
    let customer =
        Customer::parse_in(&req.customer, &required, home).map_err(|e| AppError::from(e[0]))?;
    // A private customer the provider cannot identify is refused at the field, before any
    // order is stored (Front Payment's invoice takes Norwegian personal numbers only).
    customer.served_by(kassa_providers::personal_number_countries(method.provider))?;
    let mut customer = customer.details();
    customer.extra = crate::account_forms::check_extra(&req.customer.extra, &form.extra)?;
    let locale = req
        .locale
        .as_deref()
        .map(|l| LanguageTag::parse(l).map(|t| t.as_str().to_owned()))
        .transpose()
        .map_err(|e| AppError::invalid("locale", e.to_string()))?;

    // The hash covers what the customer asked for, so a reused key with another cart is refused.
    let request_hash = {
        let canonical =
            serde_json::to_vec(&(&req.items, &req.method, page.as_str(), &customer, &locale))
                .context("hashing the request")?;
        hex::encode(Sha256::digest(canonical))
    };
    // Nothing is stored or sent unless the cart costs what the customer saw (contract A).
    let quote = match state.quotes.check(&req.quote_id, &req.items, priced, now()) {
        Ok(quote) => quote,
        // A retry of a request whose order is stored answers with that order, whatever
        // became of its quote since.
        Err(refused) => match state.store.order_by_key(key.as_str()).await? {
            Some(order) => return replay(state, provider, order, &request_hash).await,
            None => return Err(refused),
        },
    };
    let id = format!("ks_{}", uuid::Uuid::new_v4().simple());
    let stored = StoredRequest {
        success_url: page.with_outcome(&id, "success"),
        cancel_url: page.with_outcome(&id, "cancel"),
        return_page: page.as_str().to_owned(),
        customer,
        locale,
        variant: method.variant.clone(),
    };
    let new = NewOrder {
        id,
        idempotency_key: key.into_string(),
        request_hash,
        method: method.id.to_string(),
        provider: method.provider,
        total: quote.total,
        quote,
        request: stored,
        request_id: crate::request_id::current(),
    };
    match state.store.insert_order(&new).await? {
        Inserted::New(order) => {
            tracing::info!(order = %order.id, method = %order.method, total = %order.total, "order stored");
            // Stored with its first provider attempt counted, and holding the lease.
            open_provider_session(state, provider, order, new.request).await
        }
        Inserted::Existing(order) => replay(state, provider, order, &new.request_hash).await,
    }
}

/// A request under a key whose order is stored: that order's session, finished if its
/// provider call never completed.
async fn replay(
    state: &AppState,
    provider: &Provider,
    order: Order,
    request_hash: &str,
) -> Result<Session, AppError> {
    if order.request_hash != request_hash {
        return Err(AppError::IdempotencyKeyReused);
    }
    tracing::info!(order = %order.id, "idempotent replay");
    let order = wait_for_lease(state, order).await?.ok_or(AppError::IdempotencyKeyInFlight)?;
    if order.state != SessionState::Created || order.provider_ref.is_some() {
        return Ok(session_view(&order));
    }
    // The lease lapsed with its holder: claim it again.
    if order.lease_until.is_none_or(|until| until < now())
        && !state.store.claim_lease(&order.id).await?
    {
        return Err(AppError::IdempotencyKeyInFlight);
    }
    let stored = stored_request(state, &order).await?;
    open_provider_session(state, provider, order, stored).await
}

/// Waits while another request holds the order's lease; `None` if it still does.
async fn wait_for_lease(state: &AppState, mut order: Order) -> Result<Option<Order>, AppError> {
    let deadline = tokio::time::Instant::now() + IN_FLIGHT_WAIT;
    let mut pause = Duration::from_millis(20);
    loop {
        let held = order.state == SessionState::Created
            && order.provider_ref.is_none()
            && order.lease_until.is_some_and(|until| until >= now());
        if !held {
            return Ok(Some(order));
        }
        if tokio::time::Instant::now() >= deadline {
            return Ok(None);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(250));
        order = state.store.order(&order.id).await?.context("order vanished")?;
    }
}

/// Calls the provider for `order`, whose attempt is counted and whose lease this request
/// holds, with what its creating request `stored`, and records the answer.
async fn open_provider_session(
    state: &AppState,
    provider: &Provider,
    order: Order,
    stored: StoredRequest,
) -> Result<Session, AppError> {
    let request = SessionRequest {
        order_id: order.id.to_string(),
        idempotency_key: format!("kassa-{}", order.id),
        lines: order.quote.lines.clone(),
        total: order.total,
        presentation: state
            .methods
            .get(order.method.as_str())
            .map_or(kassa_wire::Presentation::Redirect, |m| m.presentation),
        method_variant: stored.variant,
        success_url: stored.success_url,
        cancel_url: stored.cancel_url,
        notify_url: state.notify_url(order.provider),
        identity: identity_of(&stored.customer),
        customer: stored.customer,
        locale: stored.locale,
        created_at: order.created_at,
        // Always `None` today: `create_session` returns the stored session once an order has a
        // reference, and `claim_lease` (so `resume`) only takes orders without one.
        previous_reference: order.provider_ref.clone(),
    };
    let started = std::time::Instant::now();
    let created = provider.create_session(&request).await;
    crate::metrics::provider_call(provider.id(), "create_session", started.elapsed());
    crate::metrics::session_created(
        provider.id(),
        match &created {
            Ok(_) => "opened",
            Err(e) if crate::error::outcome_unknown(e) => "unknown",
            Err(_) => "refused",
        },
    );
    match created {
        Ok(mut session) => {
            // Before the answer is stored: a resumed or replayed session gets the same one.
            session.action =
                crate::framing::checked(state, provider.id(), session.action, &stored.return_page)
                    .await;
            let applied = state
                .store
                .record_provider_session(
                    &order.id,
                    &session.reference,
                    &session.action,
                    session.expires_at,
                )
                .await?;
            tracing::info!(order = %order.id, provider = provider.id().as_str(), reference = %session.reference, "provider session opened");
            let order = match applied {
                // What the store just wrote, so the answer needs no second read.
                Applied::Moved(SessionState::Open) => Order {
                    state: SessionState::Open,
                    provider_ref: Some(session.reference),
                    action: Some(session.action),
                    expires_at: session.expires_at,
                    lease_until: None,
                    ..order
                },
                // A webhook settled it first: what the store holds now.
                _ => state.store.order(&order.id).await?.context("order vanished")?,
            };
            Ok(session_view(&order))
        }
        Err(e) if crate::error::outcome_unknown(&e) => {
            // The order stays `created`: a retry with the same Idempotency-Key (or recovery)
            // finishes it, with the same provider idempotency key (R-I5).
            tracing::warn!(order = %order.id, attempt = order.provider_attempts, error = %e, "provider outcome unknown; the order waits for a retry");
            state.store.release_lease(&order.id, &format!("outcome unknown: {e}")).await?;
            Err(AppError::from_provider(&e))
        }
        Err(e) => {
            tracing::warn!(order = %order.id, error = %e, "provider refused the session");
            state.store.note_error(&order.id, &e.to_string()).await?;
            let refused = News::verdict(PaymentEvent::Declined, "provider refused the session");
            news::apply(state, order.provider, Some(&order), &refused).await?;
            Err(AppError::from_provider(&e).for_order(&order.id))
        }
    }
}

/// What the creating request stored with `order`.
async fn stored_request(state: &AppState, order: &Order) -> anyhow::Result<StoredRequest> {
    state.store.order_request(&order.id).await?.context("the order's request vanished")
}

/// Finishes an order whose provider call never completed (a crash, or an unknown outcome
/// nobody retried): claims the lease and calls the provider again with the order's stable
/// idempotency key (R-I2, R-I5). `Ok(None)` when a request or another instance holds it.
pub async fn resume(state: &AppState, order: Order) -> Result<Option<Session>, AppError> {
    let provider = provider_for(state, &order)?;
    if !state.store.claim_lease(&order.id).await? {
        return Ok(None);
    }
    let stored = stored_request(state, &order).await?;
    open_provider_session(state, provider, order, stored).await.map(Some)
}

/// Asks the provider where `order` stands and applies the answer, for `cause`
/// (`reconciliation`: what a lost webhook would have said, R-K7; `provider status`: the
/// customer's poll). Not hearing back changes nothing: the next ask tries again.
async fn ask_provider(state: &AppState, order: &Order, cause: &str) -> anyhow::Result<()> {
    let Some(reference) = order.provider_ref.as_deref() else {
        return Ok(());
    };
    let provider = provider_for(state, order)?;
    state.store.touch_checked(&order.id).await?;
    let started = std::time::Instant::now();
    let fetched = provider.fetch_update(reference).await;
    crate::metrics::provider_call(provider.id(), "fetch_update", started.elapsed());
    match fetched {
        Ok(update) => {
            news::apply(state, order.provider, Some(order), &News::answer(&update, cause)).await?;
        }
        Err(e) if news::is_refused_answer(&e) => {
            news::refuse_answer(state, order, &e.to_string()).await?
        }
        Err(e) => {
            tracing::warn!(order = %order.id, cause, error = %e, "could not ask the provider about an order")
        }
    }
    Ok(())
}

/// Asks the provider where an open order stands and applies the answer (R-K7).
pub async fn reconcile(state: &AppState, order: &Order) -> anyhow::Result<()> {
    ask_provider(state, order, "reconciliation").await
}

/// `GET /v1/checkout/sessions/{id}`: the stored state, reconciled with the provider while open.
pub async fn session_status(state: &AppState, id: &str) -> Result<Session, AppError> {
    let order = load(state, id).await?;
    let due = order.last_checked_at.is_none_or(|t| now() - t >= RECHECK_AFTER_SECS);
    if !order.state.awaits_provider() || order.provider_ref.is_none() || !due {
        return Ok(session_view(&order));
    }
    ask_provider(state, &order, "provider status").await?;
    Ok(session_view(&load(state, id).await?))
}

/// `POST /v1/checkout/sessions/{id}/cancel`: the customer came back without paying.
pub async fn cancel_session(state: &AppState, id: &str) -> Result<Session, AppError> {
    let order = load(state, id).await?;
    if order.state.is_settled() {
        return Ok(session_view(&order));
    }
    match order.provider_ref.as_deref() {
        None => {
            let cancelled =
                News::verdict(PaymentEvent::Cancelled, "cancelled before the provider session");
            news::apply(state, order.provider, Some(&order), &cancelled).await?;
        }
        Some(reference) => {
            let provider = provider_for(state, &order)?;
            let update =
                provider.cancel(reference).await.map_err(|e| AppError::from_provider(&e))?;
            let answer = News::answer(&update, "customer cancelled");
            news::apply(state, order.provider, Some(&order), &answer).await?;
        }
    }
    Ok(session_view(&load(state, id).await?))
}

/// Finds the order a provider update belongs to.
pub async fn order_for_update(
    state: &AppState,
    provider: &Provider,
    update: &PaymentUpdate,
) -> anyhow::Result<Option<Order>> {
    if let Some(id) = update.order_id.as_deref() {
        if let Some(order) = state.store.order(id).await? {
            if order.provider == provider.id() {
                return Ok(Some(order));
            }
        }
    }
    state.store.order_by_provider_ref(provider.id().as_str(), &update.reference).await
}

/// The stored return URL of the order a provider reference belongs to.
pub async fn return_url_for(
    state: &AppState,
    provider: kassa_wire::ProviderId,
    reference: &str,
    cancelled: bool,
) -> anyhow::Result<Option<String>> {
    if ProviderRef::parse(reference).is_err() {
        return Ok(None);
    }
    let Some(order) = state.store.order_by_provider_ref(provider.as_str(), reference).await? else {
        return Ok(None);
    };
    let stored = stored_request(state, &order).await?;
    Ok(Some(if cancelled { stored.cancel_url } else { stored.success_url }))
}

fn provider_for<'a>(state: &'a AppState, order: &Order) -> Result<&'a Provider, AppError> {
    state.providers.get(&order.provider).ok_or_else(|| {
        AppError::Unexpected(anyhow::anyhow!(
            "order {} uses a provider that is no longer configured",
            order.id
        ))
    })
}

async fn load(state: &AppState, id: &str) -> Result<Order, AppError> {
    if SessionId::parse(id).is_err() {
        return Err(AppError::SessionNotFound(id.chars().take(SessionId::MAX_LEN).collect()));
    }
    state.store.order(id).await?.ok_or_else(|| AppError::SessionNotFound(id.to_owned()))
}

/// The contract's view of an order.
pub fn session_view(order: &Order) -> Session {
    let receipt = (order.state == SessionState::Paid).then(|| Receipt {
        amount: order
            .paid_minor
            .and_then(|m| kassa_wire::Money::from_minor(m, order.total.currency()).ok())
            .unwrap_or(order.total),
        provider_reference: order.provider_ref.clone().unwrap_or_default(),
        paid_at: order.paid_at.unwrap_or_default(),
    });
    Session {
        id: order.id.clone(),
        state: order.state,
        method: order.method.clone(),
        provider: order.provider,
        quote: order.quote.clone(),
        action: (order.state == SessionState::Open).then(|| order.action.clone()).flatten(),
        expires_at: order.expires_at,
        receipt,
        unconfirmed: order.unconfirmed_at.is_some() && !order.state.is_settled(),
    }
}

/// The typed identity the adapters need (Front Payment invoices), from validated details.
fn identity_of(customer: &CustomerDetails) -> kassa_providers::CustomerIdentity {
    use kassa_providers::{CustomerIdentity, CustomerKind, PostalAddress};
    let address = match (
        &customer.street_address,
        &customer.postal_code,
        &customer.city,
        &customer.country,
    ) {
        (Some(street), Some(zip), Some(city), Some(country)) => Some(PostalAddress {
            street: street.clone(),
            zip: zip.clone(),
            city: city.clone(),
            country: country.clone(),
        }),
        _ => None,
    };
    CustomerIdentity {
        kind: customer
            .customer_type
            .as_deref()
            .and_then(CustomerKind::parse)
            .unwrap_or(CustomerKind::Private),
        personal_number: customer.personal_number.clone().map(secrecy::SecretString::from),
        organisation_id: customer.organisation_id.clone(),
        address,
    }
}
