//! The checkout service: creating sessions idempotently, reconciling with providers, and
//! applying verified provider news to orders.
//!
//! The order is stored before any provider is called, and every way out of a provider call
//! (success, refusal, timeout, crash) leaves it in a state that the same request, retried
//! with the same `Idempotency-Key`, or the next notification can finish.

use std::time::Duration;

use anyhow::Context as _;
use kassa_providers::{OrderLine, PaymentUpdate, Provider, SessionRequest};
use kassa_wire::{
    CreateSession, CustomerDetails, CustomerField, PaymentEvent, Receipt, Session, SessionState,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::{
    error::AppError,
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

/// Validates the idempotency key's shape.
pub fn check_idempotency_key(key: Option<&str>) -> Result<String, AppError> {
    match key {
        Some(k) if !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic()) => {
            Ok(k.to_owned())
        }
        _ => Err(AppError::IdempotencyKeyRequired),
    }
}

/// `POST /v1/checkout/sessions`.
pub async fn create_session(
    state: &AppState,
    key: String,
    req: CreateSession,
) -> Result<Session, AppError> {
    let method = state
        .methods
        .get(&req.method)
        .ok_or_else(|| AppError::UnknownMethod(req.method.clone()))?;
    let provider = state.providers.get(&method.provider).ok_or_else(|| {
        anyhow::anyhow!(
            "method {} names provider {:?}, which is not configured",
            method.id,
            method.provider
        )
    })?;
    let quote = state.catalog.quote(&req.items)?;
    let page = ReturnPage::parse(&req.return_url, &state.allowed_origins)?;
    // What the provider's account also requires (Checkfront's booking form, C3).
    let form = state.account_forms.of(provider).await.unwrap_or_default();
    let mut required = method.required_fields.clone();
    required.extend(form.required.iter().filter(|f| !method.required_fields.contains(f)));
    let mut customer = check_customer(&req.customer, &required)?;
    customer.extra = crate::account_forms::check_extra(&req.customer.extra, &form.extra)?;
    let locale = req.locale.as_deref().map(check_locale).transpose()?;

    // The hash covers what the customer asked for, so a reused key with another cart is refused.
    let request_hash = {
        let canonical =
            serde_json::to_vec(&(&req.items, &req.method, page.as_str(), &customer, &locale))
                .context("hashing the request")?;
        hex::encode(Sha256::digest(canonical))
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
        idempotency_key: key,
        request_hash,
        method: method.id.clone(),
        provider: method.provider,
        total: quote.total,
        quote_json: serde_json::to_string(&quote).context("storing the quote")?,
        request_json: serde_json::to_string(&stored).context("storing the request")?,
        request_id: crate::request_id::current(),
    };
    let inserted = state.store.insert_order(&new).await?;
    // A new order was stored with its first provider attempt already counted.
    let counted = matches!(inserted, Inserted::New(_));
    let order = match inserted {
        Inserted::New(order) => {
            tracing::info!(order = %order.id, method = %order.method, total = %order.total, "order stored");
            order
        }
        Inserted::Existing(order) if order.request_hash != new.request_hash => {
            return Err(AppError::IdempotencyKeyReused);
        }
        Inserted::Existing(order) => {
            tracing::info!(order = %order.id, "idempotent replay");
            match wait_for_lease(state, order).await? {
                Some(order) => order,
                None => return Err(AppError::IdempotencyKeyInFlight),
            }
        }
    };
    if order.state != SessionState::Created || order.provider_ref.is_some() {
        return Ok(session_view(&order));
    }
    // A new order holds the lease from its insert; an old one must claim it again.
    if order.lease_until.is_none_or(|until| until < now())
        && !state.store.claim_lease(&order.id).await?
    {
        return Err(AppError::IdempotencyKeyInFlight);
    }
    open_provider_session(state, provider, order, counted).await
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

/// Calls the provider for `order` and records the answer. `counted`: this attempt was
/// already counted when the order was stored (one write transaction fewer per checkout,
/// which matters on SQLite's single writer).
async fn open_provider_session(
    state: &AppState,
    provider: &Provider,
    order: Order,
    counted: bool,
) -> Result<Session, AppError> {
    let stored: StoredRequest =
        serde_json::from_str(&order.request_json).context("reading the stored request")?;
    let request = SessionRequest {
        order_id: order.id.clone(),
        idempotency_key: format!("kassa-{}", order.id),
        lines: order_lines(&order),
        total: order.total,
        presentation: state
            .methods
            .get(&order.method)
            .map_or(kassa_wire::Presentation::Redirect, |m| m.presentation),
        method_variant: stored.variant.clone(),
        success_url: stored.success_url.clone(),
        cancel_url: stored.cancel_url.clone(),
        notify_url: state.notify_url(order.provider),
        customer: stored.customer.clone(),
        locale: stored.locale.clone(),
        created_at: order.created_at,
        identity: identity_of(&stored.customer),
        // Always `None` today: `create_session` returns the stored session once an order has a
        // reference, and `claim_lease` (so `resume`) only takes orders without one.
        previous_reference: order.provider_ref.clone(),
    };
    // Counted before sending: an attempt whose answer is lost still counts (R-I2).
    if !counted {
        state.store.note_attempt(&order.id).await?;
    }
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
            let action_json =
                serde_json::to_string(&session.action).context("storing the action")?;
            state
                .store
                .record_provider_session(
                    &order.id,
                    &session.reference,
                    &action_json,
                    session.expires_at,
                )
                .await?;
            tracing::info!(order = %order.id, provider = provider.id().as_str(), reference = %session.reference, "provider session opened");
            let order = state.store.order(&order.id).await?.context("order vanished")?;
            Ok(session_view(&order))
        }
        Err(e) if crate::error::outcome_unknown(&e) => {
            // The order stays `created`: a retry with the same Idempotency-Key (or recovery)
            // finishes it, with the same provider idempotency key (R-I5).
            tracing::warn!(order = %order.id, attempt = order.provider_attempts + 1, error = %e, "provider outcome unknown; the order waits for a retry");
            state.store.release_lease(&order.id, &format!("outcome unknown: {e}")).await?;
            Err(AppError::from_provider(&e))
        }
        Err(e) => {
            tracing::warn!(order = %order.id, error = %e, "provider refused the session");
            state.store.note_error(&order.id, &e.to_string()).await?;
            state
                .store
                .apply_event(
                    &order.id,
                    PaymentEvent::Declined,
                    "provider refused the session",
                    None,
                )
                .await?;
            Err(AppError::from_provider(&e))
        }
    }
}

/// Finishes an order whose provider call never completed (a crash, or an unknown outcome
/// nobody retried): claims the lease and calls the provider again with the order's stable
/// idempotency key (R-I2, R-I5). `Ok(None)` when a request or another instance holds it.
pub async fn resume(state: &AppState, order: Order) -> Result<Option<Session>, AppError> {
    let provider = provider_for(state, &order)?;
    if !state.store.claim_lease(&order.id).await? {
        return Ok(None);
    }
    open_provider_session(state, provider, order, false).await.map(Some)
}

/// Asks the provider where an open order stands and applies the answer (R-K7): what a lost
/// webhook would have said.
pub async fn reconcile(state: &AppState, order: &Order) -> anyhow::Result<()> {
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
            apply_update(state, order, &update, "reconciliation").await?;
        }
        Err(e) if is_refused_answer(&e) => refuse_answer(state, order, &e.to_string()).await?,
        Err(e) => {
            tracing::warn!(order = %order.id, error = %e, "could not reconcile an order with its provider")
        }
    }
    Ok(())
}

/// `GET /v1/checkout/sessions/{id}`: the stored state, reconciled with the provider while open.
pub async fn session_status(state: &AppState, id: &str) -> Result<Session, AppError> {
    let order = load(state, id).await?;
    let due = order.last_checked_at.is_none_or(|t| now() - t >= RECHECK_AFTER_SECS);
    if !order.state.awaits_provider() || order.provider_ref.is_none() || !due {
        return Ok(session_view(&order));
    }
    let provider = provider_for(state, &order)?;
    let reference = order.provider_ref.clone().unwrap_or_default();
    state.store.touch_checked(&order.id).await?;
    let started = std::time::Instant::now();
    let fetched = provider.fetch_update(&reference).await;
    crate::metrics::provider_call(provider.id(), "fetch_update", started.elapsed());
    match fetched {
        Ok(update) => {
            apply_update(state, &order, &update, "provider status").await?;
        }
        Err(e) if is_refused_answer(&e) => refuse_answer(state, &order, &e.to_string()).await?,
        // The stored state is still true; the next poll asks again.
        Err(e) => {
            tracing::warn!(order = %order.id, error = %e, "could not ask the provider for the status")
        }
    }
    Ok(session_view(&load(state, id).await?))
}

/// `POST /v1/checkout/sessions/{id}/cancel`: the customer came back without paying.
pub async fn cancel_session(state: &AppState, id: &str) -> Result<Session, AppError> {
    let order = load(state, id).await?;
    if order.state.is_settled() {
        return Ok(session_view(&order));
    }
    match order.provider_ref.clone() {
        None => {
            state
                .store
                .apply_event(
                    &order.id,
                    PaymentEvent::Cancelled,
                    "cancelled before the provider session",
                    None,
                )
                .await?;
        }
        Some(reference) => {
            let provider = provider_for(state, &order)?;
            let update =
                provider.cancel(&reference).await.map_err(|e| AppError::from_provider(&e))?;
            apply_update(state, &order, &update, "customer cancelled").await?;
        }
    }
    Ok(session_view(&load(state, id).await?))
}

/// The order's priced lines as the adapters take them.
fn order_lines(order: &Order) -> Vec<OrderLine> {
    order
        .quote
        .lines
        .iter()
        .map(|l| OrderLine {
            sku: l.sku.clone(),
            name: l.name.clone(),
            quantity: l.quantity,
            unit_price: l.unit_price,
            line_total: l.line_total,
            start_date: l.start_date.clone(),
            end_date: l.end_date.clone(),
        })
        .collect()
}

/// Whether `reported` pays `order`: its total, or what the provider's documented rounding
/// makes of it (Payfect); a real difference or another currency never does.
pub fn amount_settles(provider: &Provider, order: &Order, reported: kassa_wire::Money) -> bool {
    provider.amount_settles(&order_lines(order), order.total, reported)
}

/// Applies verified provider news to the order, refusing a payment whose amount differs.
pub async fn apply_update(
    state: &AppState,
    order: &Order,
    update: &PaymentUpdate,
    cause: &str,
) -> anyhow::Result<Applied> {
    let Some(event) = update.event else {
        return Ok(Applied::Unchanged(order.state));
    };
    let mut paid_minor = None;
    if matches!(event, PaymentEvent::Paid | PaymentEvent::Invoiced) {
        if let Some(amount) = update.amount {
            if !provider_for(state, order).is_ok_and(|p| amount_settles(p, order, amount)) {
                let reason = format!(
                    "amount mismatch: expected {}, provider reported {amount}",
                    order.total
                );
                refuse_answer(state, order, &reason).await?;
                return Ok(Applied::Unchanged(order.state));
            }
            paid_minor = (event == PaymentEvent::Paid).then_some(amount.minor());
        }
    }
    let applied = state.store.apply_event(&order.id, event, cause, paid_minor).await?;
    if let Applied::Moved(to) = applied {
        tracing::info!(order = %order.id, state = to.as_str(), cause, "order moved");
        crate::metrics::order_moved(order.provider, to);
    }
    Ok(applied)
}

/// Whether a provider error means it answered something its documents do not allow about
/// an order (a status word it never lists, a body we cannot read, a total that differs),
/// as opposed to not answering at all.
pub fn is_refused_answer(e: &kassa_providers::ProviderError) -> bool {
    matches!(
        e,
        kassa_providers::ProviderError::UnexpectedResponse { .. }
            | kassa_providers::ProviderError::AmountMismatch { .. }
    )
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
    if reference.len() > 128 {
        return Ok(None);
    }
    let Some(order) = state.store.order_by_provider_ref(provider.as_str(), reference).await? else {
        return Ok(None);
    };
    let stored: StoredRequest =
        serde_json::from_str(&order.request_json).context("reading the stored request")?;
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
    if id.len() > 64 || !id.starts_with("ks_") {
        return Err(AppError::SessionNotFound(id.chars().take(64).collect()));
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

fn check_customer(
    customer: &CustomerDetails,
    required: &[CustomerField],
) -> Result<CustomerDetails, AppError> {
    let mut out = CustomerDetails::default();
    // With a customer type, the personal or organisation number is required by type below.
    let by_type = required.contains(&CustomerField::CustomerType);
    for field in CustomerField::ALL {
        let value = customer.get(field).map(str::trim).filter(|v| !v.is_empty());
        let conditional = by_type
            && matches!(field, CustomerField::PersonalNumber | CustomerField::OrganisationId);
        match value {
            Some(v) => *out.slot(field) = Some(check_customer_field(field, v)?),
            None if required.contains(&field) && !conditional => {
                return Err(AppError::invalid(field_path(field), "this payment method needs it"));
            }
            None => {}
        }
    }
    // A corporate customer is identified by organisation number, a private one by personal number.
    let corporate = out.customer_type.as_deref() == Some("corporate");
    if required.contains(&CustomerField::CustomerType) {
        let (needed, field) = if corporate {
            (
                out.organisation_id.is_none() && required.contains(&CustomerField::OrganisationId),
                CustomerField::OrganisationId,
            )
        } else {
            (
                out.personal_number.is_none() && required.contains(&CustomerField::PersonalNumber),
                CustomerField::PersonalNumber,
            )
        };
        if needed {
            return Err(AppError::invalid(
                field_path(field),
                "this payment method needs it for this customer type",
            ));
        }
    }
    Ok(out)
}

fn field_path(field: CustomerField) -> String {
    let name = serde_json::to_value(field)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    format!("customer.{name}")
}

/// Validates one customer detail; messages name what is expected, never echo the value.
fn check_customer_field(field: CustomerField, v: &str) -> Result<String, AppError> {
    let bad = |why: &str| Err(AppError::invalid(field_path(field), why));
    let digits = |n: usize| v.len() == n && v.bytes().all(|b| b.is_ascii_digit());
    match field {
        CustomerField::Name | CustomerField::StreetAddress | CustomerField::City
            if v.chars().count() > 200 =>
        {
            bad("at most 200 characters")
        }
        CustomerField::Email => {
            let ok = v.len() <= 254
                && !v.contains(char::is_whitespace)
                && v.split_once('@').is_some_and(|(local, domain)| {
                    !local.is_empty()
                        && !domain.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                });
            if ok {
                Ok(v.to_owned())
            } else {
                bad("is not an e-mail address")
            }
        }
        CustomerField::Phone => {
            let d = v.strip_prefix('+').unwrap_or("");
            if (6..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()) {
                Ok(v.to_owned())
            } else {
                bad("give the number with its country code, like +4791234567")
            }
        }
        CustomerField::CustomerType => match v {
            "private" | "corporate" => Ok(v.to_owned()),
            _ => bad("must be private or corporate"),
        },
        CustomerField::PersonalNumber if !digits(11) => bad("must be 11 digits"),
        CustomerField::OrganisationId if !digits(9) => bad("must be 9 digits"),
        CustomerField::PostalCode
            if !(3..=10).contains(&v.len())
                || !v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b' ') =>
        {
            bad("is not a postal code")
        }
        CustomerField::Country if v.len() != 2 || !v.bytes().all(|b| b.is_ascii_uppercase()) => {
            bad("must be an ISO 3166-1 alpha-2 code such as NO")
        }
        _ => Ok(v.to_owned()),
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
        kind: if customer.customer_type.as_deref() == Some("corporate") {
            CustomerKind::Corporate
        } else {
            CustomerKind::Private
        },
        personal_number: customer.personal_number.clone().map(secrecy::SecretString::from),
        organisation_id: customer.organisation_id.clone(),
        address,
    }
}

fn check_locale(text: &str) -> Result<String, AppError> {
    let ok = (2..=35).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if ok {
        Ok(text.to_owned())
    } else {
        Err(AppError::invalid("locale", "give a BCP 47 language tag such as nb-NO"))
    }
}
