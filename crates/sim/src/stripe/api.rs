//! Stripe's `/v1` endpoints for Checkout: create, list, retrieve and expire sessions, their line
//! items, payment intents and events. Validation follows `docs/providers.md` §1.3.

use std::{collections::BTreeMap, sync::Arc};

use axum::{
    body::Bytes,
    extract::{FromRequestParts, Path, RawQuery, Request, State},
    http::{request::Parts, HeaderValue, Method, Uri},
    middleware::Next,
    response::Response,
    routing::{get, post},
    Json, Router,
};
use serde_json::{json, Value};

use super::{
    error::StripeError, model::ApiVersion, NewSession, Owner, RedirectOnCompletion, SessionError,
    Stripe, UiMode,
};
use crate::{form, form::Node, ids};

/// The `Request-Id` of the current request.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// Gives every API response a `Request-Id: req_…` header.
pub async fn request_id(mut req: Request, next: Next) -> Response {
    let id = format!("req_{}", ids::alnum(14));
    req.extensions_mut().insert(RequestId(id.clone()));
    let mut response = next.run(req).await;
    if !response.headers().contains_key("request-id") {
        if let Ok(value) = HeaderValue::from_str(&id) {
            response.headers_mut().insert("request-id", value);
        }
    }
    response
}

/// Per-request context: the API version and the connected account.
#[derive(Clone, Debug)]
pub struct Ctx {
    /// From `Stripe-Version`, or the account default.
    pub version: ApiVersion,
    /// From `Stripe-Account`.
    pub account: Option<String>,
}

impl FromRequestParts<Arc<Stripe>> for Ctx {
    type Rejection = StripeError;

    async fn from_request_parts(
        parts: &mut Parts,
        stripe: &Arc<Stripe>,
    ) -> Result<Self, Self::Rejection> {
        let header = |name: &str| parts.headers.get(name).map(|v| v.to_str().unwrap_or("\u{fffd}"));
        let version = match header("stripe-version") {
            None => stripe.default_version().clone(),
            Some(raw) => ApiVersion::parse(raw.trim()).ok_or_else(|| {
                StripeError::request(format!("Invalid Stripe API version: {raw}"))
            })?,
        };
        let account = match header("stripe-account") {
            None => None,
            Some(raw) if raw.starts_with("acct_") && raw.len() > 5 => Some(raw.to_owned()),
            Some(raw) => {
                return Err(StripeError::unauthorized(format!(
                    "The provided key does not have access to account '{raw}' (or that account \
                     does not exist). Application access may have been revoked."
                )))
            }
        };
        Ok(Ctx { version, account })
    }
}

/// The `/v1` routes, with Stripe's 404 for anything else.
pub fn router(stripe: Arc<Stripe>) -> Router {
    Router::new()
        .route("/v1/checkout/sessions", post(create_session).get(list_sessions))
        .route("/v1/checkout/sessions/{id}", get(retrieve_session))
        .route("/v1/checkout/sessions/{id}/line_items", get(session_line_items))
        .route("/v1/checkout/sessions/{id}/expire", post(expire_session))
        .route("/v1/payment_intents/{id}", get(retrieve_payment_intent))
        .route("/v1/events", get(list_events))
        .route("/v1/events/{id}", get(retrieve_event))
        .fallback(unrecognized)
        .with_state(stripe)
}

async fn unrecognized(method: Method, uri: Uri) -> StripeError {
    let mut error = StripeError::request(format!(
        "Unrecognized request URL ({method}: {}). Please see https://stripe.com/docs or we can \
         help at https://support.stripe.com/.",
        uri.path()
    ));
    error.status = axum::http::StatusCode::NOT_FOUND;
    error
}

fn parse_form(bytes: &[u8]) -> Result<Node, StripeError> {
    form::parse(bytes).map_err(|e| StripeError::invalid(e.key, e.message))
}

/// `expand[]` values, checked against what the object can expand.
fn expansions(form: &Node, allowed: &[&str]) -> Result<Vec<String>, StripeError> {
    let Some(node) = form.get("expand") else { return Ok(vec![]) };
    let items = node.as_list().ok_or_else(|| StripeError::invalid("expand", "Invalid array"))?;
    let mut out = Vec::new();
    for (i, item) in items {
        let value = item
            .as_str()
            .ok_or_else(|| StripeError::invalid(format!("expand[{i}]"), "Invalid string"))?;
        if !allowed.contains(&value) {
            return Err(StripeError::invalid(
                format!("expand[{i}]"),
                format!("This property cannot be expanded ({value})."),
            ));
        }
        out.push(value.to_owned());
    }
    Ok(out)
}

fn session_json(stripe: &Stripe, ctx: &Ctx, session: &super::Session, expand: &[String]) -> Value {
    let pi = if expand.iter().any(|e| e == "payment_intent") {
        session.payment_intent.as_deref().and_then(|id| stripe.payment_intent(id))
    } else {
        None
    };
    session.to_json(&ctx.version, pi.as_ref(), expand.iter().any(|e| e == "line_items"))
}

fn find_session(stripe: &Stripe, ctx: &Ctx, id: &str) -> Result<super::Session, StripeError> {
    stripe
        .session(id)
        .filter(|s| s.account == ctx.account)
        .ok_or_else(|| StripeError::no_such("checkout.session", id, "session"))
}

async fn create_session(
    State(stripe): State<Arc<Stripe>>,
    ctx: Ctx,
    body: Bytes,
) -> Result<Json<Value>, StripeError> {
    let form = parse_form(&body)?;
    let expand = expansions(&form, &["payment_intent", "line_items"])?;
    let new = validate_create(
        &form,
        &ctx.version,
        stripe.common.clock.now(),
        stripe.config.require_success_url,
    )?;
    let base = stripe.url.clone();
    let session =
        stripe.create(new, ctx.account.clone(), Owner::Merchant, |id| format!("{base}/c/pay/{id}"));
    tracing::info!(session = %session.id, amount = session.amount_total, "stripe session created");
    Ok(Json(session_json(&stripe, &ctx, &session, &expand)))
}

async fn list_sessions(
    State(stripe): State<Arc<Stripe>>,
    ctx: Ctx,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, StripeError> {
    let form = parse_form(query.unwrap_or_default().as_bytes())?;
    let limit = match form.str("limit") {
        None => 10,
        Some(text) => {
            text.parse::<usize>().ok().filter(|n| (1..=100).contains(n)).ok_or_else(|| {
                StripeError::invalid("limit", "This value must be between 1 and 100.")
            })?
        }
    };
    let pending = stripe.sweep();
    stripe.dispatch_in_background(pending);
    let mut sessions: Vec<_> = stripe
        .sessions()
        .into_iter()
        .rev()
        .filter(|s| s.account == ctx.account)
        .filter(|s| {
            form.str("payment_intent").is_none_or(|pi| s.payment_intent.as_deref() == Some(pi))
        })
        .filter(|s| form.str("status").is_none_or(|st| s.status.as_str() == st))
        .filter(|s| {
            form.str("client_reference_id")
                .is_none_or(|c| s.client_reference_id.as_deref() == Some(c))
        })
        .collect();
    // Cursor pagination, newest first, as the official libraries' auto-pagination uses it
    // (docs.stripe.com/api/pagination): `starting_after` an id gives the older ones,
    // `ending_before` an id the newer ones closest to it.
    let position = |param: &str, id: &str| {
        sessions.iter().position(|s| s.id == id).ok_or_else(|| {
            StripeError::invalid(param, format!("No such checkout.session: '{id}'"))
                .with_code("resource_missing")
        })
    };
    let has_more = match (form.str("starting_after"), form.str("ending_before")) {
        (Some(_), Some(_)) => {
            return Err(StripeError::request(
                "You may only specify one of these parameters: ending_before, starting_after.",
            ))
        }
        (Some(after), None) => {
            let at = position("starting_after", after)?;
            sessions.drain(..=at);
            let more = sessions.len() > limit;
            sessions.truncate(limit);
            more
        }
        (None, Some(before)) => {
            let at = position("ending_before", before)?;
            sessions.truncate(at);
            let more = sessions.len() > limit;
            let skip = sessions.len().saturating_sub(limit);
            sessions.drain(..skip);
            more
        }
        (None, None) => {
            let more = sessions.len() > limit;
            sessions.truncate(limit);
            more
        }
    };
    let data: Vec<Value> = sessions.iter().map(|s| session_json(&stripe, &ctx, s, &[])).collect();
    Ok(Json(json!({
        "object": "list", "data": data, "has_more": has_more, "url": "/v1/checkout/sessions"
    })))
}

async fn retrieve_session(
    State(stripe): State<Arc<Stripe>>,
    ctx: Ctx,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, StripeError> {
    let form = parse_form(query.unwrap_or_default().as_bytes())?;
    let expand = expansions(&form, &["payment_intent", "line_items"])?;
    let session = find_session(&stripe, &ctx, &id)?;
    Ok(Json(session_json(&stripe, &ctx, &session, &expand)))
}

async fn session_line_items(
    State(stripe): State<Arc<Stripe>>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<Value>, StripeError> {
    Ok(Json(find_session(&stripe, &ctx, &id)?.line_items_json()))
}

async fn expire_session(
    State(stripe): State<Arc<Stripe>>,
    ctx: Ctx,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, StripeError> {
    let form = parse_form(&body)?;
    let expand = expansions(&form, &["payment_intent", "line_items"])?;
    find_session(&stripe, &ctx, &id)?;
    let (session, pending) = stripe.expire(&id).map_err(|e| match e {
        SessionError::NotFound => StripeError::no_such("checkout.session", &id, "session"),
        SessionError::NotOpen(status) => StripeError::request(format!(
            "Only Checkout Sessions with a status in [\"open\"] can be expired. This Checkout \
             Session has a status of \"{}\".",
            status.as_str()
        )),
    })?;
    stripe.dispatch_in_background(pending);
    Ok(Json(session_json(&stripe, &ctx, &session, &expand)))
}

async fn retrieve_payment_intent(
    State(stripe): State<Arc<Stripe>>,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<Value>, StripeError> {
    stripe
        .payment_intent(&id)
        .filter(|pi| pi.account == ctx.account)
        .map(|pi| Json(pi.to_json()))
        .ok_or_else(|| StripeError::no_such("payment_intent", &id, "intent"))
}

async fn retrieve_event(
    State(stripe): State<Arc<Stripe>>,
    _ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Json<Value>, StripeError> {
    stripe.event(&id).map(Json).ok_or_else(|| StripeError::no_such("event", &id, "id"))
}

async fn list_events(
    State(stripe): State<Arc<Stripe>>,
    _ctx: Ctx,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, StripeError> {
    let form = parse_form(query.unwrap_or_default().as_bytes())?;
    let data: Vec<Value> = stripe
        .events()
        .into_iter()
        .filter(|e| form.str("type").is_none_or(|t| e["type"] == t))
        .take(100)
        .collect();
    Ok(Json(json!({ "object": "list", "data": data, "has_more": false, "url": "/v1/events" })))
}

/// Top-level parameters of `POST /v1/checkout/sessions` that Stripe knows.
const KNOWN_PARAMS: &[&str] = &[
    "adaptive_pricing",
    "after_expiration",
    "allow_promotion_codes",
    "automatic_tax",
    "billing_address_collection",
    "branding_settings",
    "cancel_url",
    "client_reference_id",
    "consent_collection",
    "currency",
    "custom_fields",
    "custom_text",
    "customer",
    "customer_account",
    "customer_creation",
    "customer_email",
    "customer_update",
    "discounts",
    "excluded_payment_method_types",
    "expand",
    "expires_at",
    "invoice_creation",
    "line_items",
    "locale",
    "metadata",
    "mode",
    "name_collection",
    "optional_items",
    "origin_context",
    "payment_intent_data",
    "payment_method_collection",
    "payment_method_configuration",
    "payment_method_data",
    "payment_method_options",
    "payment_method_types",
    "permissions",
    "phone_number_collection",
    "redirect_on_completion",
    "return_url",
    "saved_payment_method_options",
    "setup_intent_data",
    "shipping_address_collection",
    "shipping_options",
    "submit_type",
    "subscription_data",
    "success_url",
    "tax_id_collection",
    "ui_mode",
    "wallet_options",
];

const LINE_ITEM_PARAMS: &[&str] = &[
    "adjustable_quantity",
    "dynamic_tax_rates",
    "metadata",
    "price",
    "price_data",
    "quantity",
    "tax_rates",
];
const PRICE_DATA_PARAMS: &[&str] = &[
    "currency",
    "product",
    "product_data",
    "recurring",
    "tax_behavior",
    "unit_amount",
    "unit_amount_decimal",
];
const PRODUCT_DATA_PARAMS: &[&str] =
    &["description", "images", "metadata", "name", "tax_code", "unit_label"];

/// Stripe's largest amount (eight digits of minor units).
const MAX_AMOUNT: i64 = 99_999_999;

fn check_known(node: &Node, prefix: &str, known: &[&str]) -> Result<(), StripeError> {
    if let Some(map) = node.as_map() {
        if let Some(key) = map.keys().find(|k| !known.contains(&k.as_str())) {
            let name = if prefix.is_empty() { key.clone() } else { format!("{prefix}[{key}]") };
            return Err(StripeError::unknown(&name));
        }
    }
    Ok(())
}

fn string<'a>(form: &'a Node, key: &str) -> Result<Option<&'a str>, StripeError> {
    match form.get(key) {
        None => Ok(None),
        Some(Node::Value(v)) => Ok(Some(v.as_str())),
        Some(_) => {
            Err(StripeError::invalid(key, format!("Invalid string: {key} must be a string")))
        }
    }
}

fn integer(param: &str, text: &str) -> Result<i64, StripeError> {
    let valid =
        !text.is_empty() && text.trim_start_matches('-').bytes().all(|b| b.is_ascii_digit());
    if !valid {
        return Err(StripeError::invalid_integer(param, text));
    }
    text.parse().map_err(|_| StripeError::invalid_integer(param, text))
}

fn url_param(form: &Node, key: &str) -> Result<Option<String>, StripeError> {
    let Some(text) = string(form, key)? else { return Ok(None) };
    // `{CHECKOUT_SESSION_ID}` is a placeholder, not part of the URL to validate.
    let probe = text.replace("{CHECKOUT_SESSION_ID}", "cs_test_placeholder");
    match url::Url::parse(&probe) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
            Ok(Some(text.to_owned()))
        }
        _ => Err(StripeError::invalid(key, "Not a valid URL").with_code("url_invalid")),
    }
}

fn string_map(node: Option<&Node>, param: &str) -> Result<BTreeMap<String, String>, StripeError> {
    let mut out = BTreeMap::new();
    let Some(node) = node else { return Ok(out) };
    // `metadata=` (empty) unsets everything.
    if node.as_str() == Some("") {
        return Ok(out);
    }
    let map = node.as_map().ok_or_else(|| StripeError::invalid(param, "Invalid object"))?;
    if map.len() > 50 {
        return Err(StripeError::invalid(param, "Metadata can have at most 50 keys."));
    }
    for (key, value) in map {
        let value = value.as_str().ok_or_else(|| {
            StripeError::invalid(
                format!("{param}[{key}]"),
                "Invalid string: metadata values must be strings",
            )
        })?;
        if key.chars().count() > 40 {
            return Err(StripeError::invalid(
                format!("{param}[{key}]"),
                "Metadata keys can be at most 40 characters long.",
            ));
        }
        if value.chars().count() > 500 {
            return Err(StripeError::invalid(
                format!("{param}[{key}]"),
                "Metadata values can be at most 500 characters long.",
            ));
        }
        if !value.is_empty() {
            out.insert(key.clone(), value.to_owned());
        }
    }
    Ok(out)
}

/// The smallest total Stripe charges in a currency, in Stripe's units: the published table of
/// docs.stripe.com/currencies ("Minimum and maximum charge amounts"), and $0.50's order of
/// magnitude for the others (Stripe converts "the equivalent of $0.50" itself).
pub fn minimum_charge(currency: &str) -> i64 {
    match currency {
        "usd" | "aud" | "brl" | "cad" | "chf" | "eur" | "inr" | "nzd" | "sgd" => 50,
        "gbp" => 30,
        "bgn" => 100,
        "aed" | "myr" | "pln" | "ron" => 200,
        "dkk" => 250,
        "nok" | "sek" => 300,
        "hkd" => 400,
        "mxn" | "thb" => 1_000,
        "czk" => 1_500,
        "huf" => 17_500,
        "jpy" => 50,
        _ => 50,
    }
}

/// Currencies whose Stripe amounts must be whole units although Stripe keeps two decimals
/// for them: ISK since 14 April 2023 (support.stripe.com, "Deprecation of fractional ISK
/// charges and refunds"; docs.stripe.com/currencies, "Special cases").
const WHOLE_UNITS_WITH_TWO_DECIMALS: &[&str] = &["isk"];

/// The `locale` values Checkout takes: `Checkout.SessionCreateParams.Locale` of stripe-node
/// 23 (`types/Checkout/Sessions.d.ts`).
pub const LOCALES: &[&str] = &[
    "auto", "bg", "cs", "da", "de", "el", "en", "en-GB", "es", "es-419", "et", "fi", "fil", "fr",
    "fr-CA", "hi-IN", "hr", "hu", "id", "it", "ja", "ko", "lt", "lv", "ms", "mt", "nb", "nl", "pl",
    "pt", "pt-BR", "ro", "ru", "sk", "sl", "sv", "th", "tr", "vi", "zh", "zh-HK", "zh-TW",
];

/// Validates a create request per `docs/providers.md` §1.3.
pub fn validate_create(
    form: &Node,
    version: &ApiVersion,
    now: i64,
    require_success_url: bool,
) -> Result<NewSession, StripeError> {
    check_known(form, "", KNOWN_PARAMS)?;

    match string(form, "mode")? {
        None | Some("payment") => {}
        Some("setup" | "subscription") => {
            return Err(StripeError::invalid("mode", "kassa-sim supports only mode=payment."))
        }
        Some(_) => {
            return Err(StripeError::invalid_enum("mode", &["payment", "setup", "subscription"]))
        }
    }

    let vocabulary = UiMode::vocabulary(version);
    let ui_mode = match string(form, "ui_mode")? {
        None => UiMode::Hosted,
        Some(value) => match UiMode::parse(value, version) {
            Some(mode) => mode,
            None if value == vocabulary[2] => {
                return Err(StripeError::invalid(
                    "ui_mode",
                    format!("kassa-sim does not simulate ui_mode={value}."),
                ))
            }
            None => return Err(StripeError::invalid_enum("ui_mode", &vocabulary)),
        },
    };

    let (currency, lines) = validate_lines(form)?;
    let mut total: i64 = 0;
    for (_, _, unit, qty) in &lines {
        total = unit
            .checked_mul(*qty)
            .and_then(|line| total.checked_add(line))
            .filter(|t| *t <= MAX_AMOUNT)
            .ok_or_else(|| {
                StripeError::request("Amount must be no more than 99999999 in minor units.")
            })?;
    }
    if WHOLE_UNITS_WITH_TWO_DECIMALS.contains(&currency.as_str()) {
        if let Some(i) = lines.iter().position(|(_, _, unit, _)| unit % 100 != 0) {
            return Err(StripeError::invalid(
                format!("line_items[{i}][price_data][unit_amount]"),
                format!(
                    "Invalid amount. {} amounts are charged in whole units and must be evenly \
                     divisible by 100. See https://stripe.com/docs/currencies#special-cases.",
                    currency.to_ascii_uppercase()
                ),
            )
            .with_code("invalid_charge_amount_no_decimal_compatible"));
        }
    }
    let minimum = minimum_charge(&currency);
    if total < minimum {
        return Err(StripeError::request(format!(
            "The Checkout Session's total amount due must add up to at least {} {currency}",
            crate::html::money(minimum, &currency).split(' ').next().unwrap_or_default()
        ))
        .with_code("amount_too_small"));
    }

    let success_url = url_param(form, "success_url")?;
    let cancel_url = url_param(form, "cancel_url")?;
    let return_url = url_param(form, "return_url")?;
    let redirect = match string(form, "redirect_on_completion")? {
        None => None,
        Some(v) => Some(RedirectOnCompletion::parse(v).ok_or_else(|| {
            StripeError::invalid_enum("redirect_on_completion", &["always", "if_required", "never"])
        })?),
    };
    let ui_name = ui_mode.name(version);
    let redirect_on_completion = match ui_mode {
        UiMode::Hosted => {
            if return_url.is_some() {
                return Err(StripeError::invalid(
                    "return_url",
                    format!(
                        "`return_url` can only be used with `ui_mode={}`.",
                        UiMode::Embedded.name(version)
                    ),
                ));
            }
            if redirect.is_some() {
                return Err(StripeError::invalid(
                    "redirect_on_completion",
                    format!(
                        "`redirect_on_completion` can only be used with `ui_mode={}`.",
                        UiMode::Embedded.name(version)
                    ),
                ));
            }
            if success_url.is_none() && require_success_url {
                return Err(StripeError::missing("success_url"));
            }
            None
        }
        UiMode::Embedded => {
            for (param, value) in [("success_url", &success_url), ("cancel_url", &cancel_url)] {
                if value.is_some() {
                    return Err(StripeError::invalid(
                        param,
                        format!("`{param}` is not allowed when `ui_mode` is `{ui_name}`."),
                    ));
                }
            }
            let redirect = redirect.unwrap_or(RedirectOnCompletion::Always);
            match (redirect, &return_url) {
                (RedirectOnCompletion::Never, Some(_)) => {
                    return Err(StripeError::invalid(
                        "return_url",
                        "`return_url` cannot be set when `redirect_on_completion` is `never`.",
                    ))
                }
                (RedirectOnCompletion::Always | RedirectOnCompletion::IfRequired, None) => {
                    return Err(StripeError::invalid(
                        "return_url",
                        format!(
                            "`return_url` is required when `ui_mode` is `{ui_name}` unless \
                             `redirect_on_completion` is `never`."
                        ),
                    )
                    .with_code("parameter_missing"))
                }
                _ => {}
            }
            Some(redirect)
        }
    };

    let client_reference_id = string(form, "client_reference_id")?.map(str::to_owned);
    if client_reference_id.as_ref().is_some_and(|c| c.chars().count() > 200) {
        return Err(StripeError::invalid(
            "client_reference_id",
            "client_reference_id can be at most 200 characters.",
        ));
    }
    let customer_email = string(form, "customer_email")?.map(str::to_owned);
    if let Some(email) = &customer_email {
        let valid = email.split_once('@').is_some_and(|(a, b)| !a.is_empty() && b.contains('.'));
        if !valid {
            return Err(StripeError::invalid(
                "customer_email",
                format!("Invalid email address: {email}"),
            )
            .with_code("email_invalid"));
        }
    }
    let expires_at = match string(form, "expires_at")? {
        None => None,
        Some(text) => {
            let at = integer("expires_at", text)?;
            if at < now + 30 * 60 {
                return Err(StripeError::invalid(
                    "expires_at",
                    "The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.",
                ));
            }
            if at > now + 24 * 3600 {
                return Err(StripeError::invalid(
                    "expires_at",
                    "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
                ));
            }
            Some(at)
        }
    };
    let metadata = string_map(form.get("metadata"), "metadata")?;
    let pi_data = form.get("payment_intent_data");
    let payment_intent_metadata =
        string_map(pi_data.and_then(|n| n.get("metadata")), "payment_intent_data[metadata]")?;
    let payment_intent_description = pi_data.and_then(|n| n.str("description")).map(str::to_owned);
    let payment_method_types = match form.get("payment_method_types") {
        None => vec![],
        Some(node) => node
            .as_list()
            .ok_or_else(|| StripeError::invalid("payment_method_types", "Invalid array"))?
            .into_iter()
            .filter_map(|(_, n)| n.as_str().map(str::to_owned))
            .collect(),
    };

    Ok(NewSession {
        ui_mode: Some(ui_mode),
        currency,
        lines,
        success_url,
        cancel_url,
        return_url,
        redirect_on_completion,
        client_reference_id,
        metadata,
        customer_email,
        expires_at,
        payment_intent_metadata,
        payment_intent_description,
        locale: match string(form, "locale")? {
            None => None,
            Some(l) if LOCALES.contains(&l) => Some(l.to_owned()),
            Some(_) => return Err(StripeError::invalid_enum("locale", LOCALES)),
        },
        payment_method_types,
    })
}

type Lines = Vec<(String, Option<String>, i64, i64)>;

fn validate_lines(form: &Node) -> Result<(String, Lines), StripeError> {
    let node = form.get("line_items").ok_or_else(|| StripeError::missing("line_items"))?;
    let items =
        node.as_list().ok_or_else(|| StripeError::invalid("line_items", "Invalid array"))?;
    if items.is_empty() {
        return Err(StripeError::missing("line_items"));
    }
    let mut currency: Option<String> = None;
    let mut lines = Vec::new();
    for (index, item) in items {
        let p = format!("line_items[{index}]");
        check_known(item, &p, LINE_ITEM_PARAMS)?;
        if let Some(price) = item.str("price") {
            return Err(StripeError::invalid(
                format!("{p}[price]"),
                format!("No such price: '{price}'"),
            )
            .with_code("resource_missing"));
        }
        let price_data = item
            .get("price_data")
            .ok_or_else(|| StripeError::missing(&format!("{p}[price_data]")))?;
        let pd = format!("{p}[price_data]");
        check_known(price_data, &pd, PRICE_DATA_PARAMS)?;
        let code = price_data
            .str("currency")
            .ok_or_else(|| StripeError::missing(&format!("{pd}[currency]")))?;
        let known = iso_currency::Currency::from_code(&code.to_ascii_uppercase()).is_some();
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_lowercase()) || !known {
            return Err(StripeError::invalid(
                format!("{pd}[currency]"),
                format!("Invalid currency: {code}. Stripe currently supports these currencies: usd, eur, gbp, nok, sek, dkk, … (ISO codes in lower case)."),
            ));
        }
        if let Some(first) = &currency {
            if first != code {
                return Err(StripeError::invalid(
                    format!("{pd}[currency]"),
                    "All line items must be in the same currency.",
                ));
            }
        } else {
            currency = Some(code.to_owned());
        }
        if price_data.get("unit_amount_decimal").is_some() {
            return Err(StripeError::invalid(
                format!("{pd}[unit_amount_decimal]"),
                "kassa-sim supports only integer unit_amount.",
            ));
        }
        if price_data.get("recurring").is_some() {
            return Err(StripeError::invalid(
                format!("{pd}[recurring]"),
                "You must use `mode=subscription` for recurring prices.",
            ));
        }
        let unit_text = price_data
            .str("unit_amount")
            .ok_or_else(|| StripeError::missing(&format!("{pd}[unit_amount]")))?;
        let unit_amount = integer(&format!("{pd}[unit_amount]"), unit_text)?;
        if unit_amount < 0 {
            return Err(StripeError::invalid(
                format!("{pd}[unit_amount]"),
                "This value must be greater than or equal to 0.",
            ));
        }
        if price_data.get("product").is_some() {
            let product = price_data.str("product").unwrap_or_default();
            return Err(StripeError::invalid(
                format!("{pd}[product]"),
                format!("No such product: '{product}'"),
            )
            .with_code("resource_missing"));
        }
        let product = price_data
            .get("product_data")
            .ok_or_else(|| StripeError::missing(&format!("{pd}[product_data]")))?;
        check_known(product, &format!("{pd}[product_data]"), PRODUCT_DATA_PARAMS)?;
        let name = product
            .str("name")
            .filter(|n| !n.trim().is_empty())
            .ok_or_else(|| StripeError::missing(&format!("{pd}[product_data][name]")))?;
        let description = product.str("description").filter(|d| !d.is_empty()).map(str::to_owned);
        let qty_text =
            item.str("quantity").ok_or_else(|| StripeError::missing(&format!("{p}[quantity]")))?;
        let quantity = integer(&format!("{p}[quantity]"), qty_text)?;
        if !(1..=999_999).contains(&quantity) {
            return Err(StripeError::invalid(
                format!("{p}[quantity]"),
                "Quantity must be between 1 and 999999.",
            ));
        }
        lines.push((name.to_owned(), description, unit_amount, quantity));
    }
    Ok((currency.unwrap_or_default(), lines))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn version(v: &str) -> ApiVersion {
        ApiVersion::parse(v).unwrap()
    }

    fn validate(body: &str, v: &str) -> Result<NewSession, StripeError> {
        validate_create(&form::parse(body.as_bytes()).unwrap(), &version(v), NOW, true)
    }

    const LINES: &str = "line_items[0][price_data][currency]=eur\
        &line_items[0][price_data][unit_amount]=1250\
        &line_items[0][price_data][product_data][name]=Kayak\
        &line_items[0][quantity]=2";

    #[test]
    fn a_hosted_session_with_one_line_is_valid() {
        let new = validate(
            &format!(
                "mode=payment&{LINES}&success_url=https://m.example/ok?s={{CHECKOUT_SESSION_ID}}"
            ),
            "2025-09-30.clover",
        )
        .unwrap();
        assert_eq!(new.ui_mode, Some(UiMode::Hosted));
        assert_eq!(new.lines, vec![("Kayak".to_owned(), None, 1250, 2)]);
        assert_eq!(new.currency, "eur");
    }

    #[test]
    fn ui_mode_vocabulary_depends_on_the_version() {
        let embedded = format!("{LINES}&ui_mode=embedded&return_url=https://m.example/r");
        assert!(validate(&embedded, "2025-09-30.clover").is_ok());
        let e = validate(&embedded, "2026-03-25.dahlia").unwrap_err();
        assert_eq!(e.param.as_deref(), Some("ui_mode"));
        assert_eq!(e.kind, "invalid_request_error");
        let new = format!("{LINES}&ui_mode=embedded_page&return_url=https://m.example/r");
        assert!(validate(&new, "2026-03-25.dahlia").is_ok());
        assert_eq!(
            validate(&new, "2025-09-30.clover").unwrap_err().param.as_deref(),
            Some("ui_mode")
        );
    }

    #[test]
    fn urls_must_match_the_ui_mode() {
        let e = validate(
            &format!("{LINES}&success_url=https://m.example/ok&return_url=https://m.example/r"),
            "2025-09-30.clover",
        )
        .unwrap_err();
        assert_eq!(e.param.as_deref(), Some("return_url"));
        let e = validate(&format!("{LINES}&ui_mode=embedded&return_url=https://m.example/r&success_url=https://m.example/ok"), "2025-09-30.clover").unwrap_err();
        assert_eq!(e.param.as_deref(), Some("success_url"));
        let e = validate(&format!("{LINES}&ui_mode=embedded"), "2025-09-30.clover").unwrap_err();
        assert_eq!(e.param.as_deref(), Some("return_url"));
        assert!(validate(
            &format!("{LINES}&ui_mode=embedded&redirect_on_completion=never"),
            "2025-09-30.clover"
        )
        .is_ok());
        let e = validate(LINES, "2025-09-30.clover").unwrap_err();
        assert_eq!(e.param.as_deref(), Some("success_url"), "hosted needs success_url");
    }

    #[test]
    fn amounts_currencies_and_quantities_are_checked() {
        let ok = "&success_url=https://m.example/ok";
        let cases = [
            (LINES.replace("=eur", "=EUR"), "line_items[0][price_data][currency]"),
            (LINES.replace("=1250", "=12.50"), "line_items[0][price_data][unit_amount]"),
            (LINES.replace("=1250", "=-1"), "line_items[0][price_data][unit_amount]"),
            (LINES.replace("[quantity]=2", "[quantity]=0"), "line_items[0][quantity]"),
            (
                LINES.replace("[product_data][name]=Kayak", "[product_data][description]=x"),
                "line_items[0][price_data][product_data][name]",
            ),
            (format!("{LINES}&bogus=1"), "bogus"),
        ];
        for (body, param) in cases {
            let e = validate(&format!("{body}{ok}"), "2025-09-30.clover").unwrap_err();
            assert_eq!(e.param.as_deref(), Some(param), "{body}");
        }
    }

    #[test]
    fn totals_below_the_minimum_charge_are_refused() {
        let body = LINES.replace("=1250", "=10").replace("[quantity]=2", "[quantity]=1");
        assert!(validate(&format!("{body}&success_url=https://m.example/ok"), "2025-09-30.clover")
            .is_err());
    }

    #[test]
    fn expires_at_must_be_between_30_minutes_and_24_hours_away() {
        let base = format!("{LINES}&success_url=https://m.example/ok");
        assert!(
            validate(&format!("{base}&expires_at={}", NOW + 1799), "2025-09-30.clover").is_err()
        );
        assert!(validate(&format!("{base}&expires_at={}", NOW + 1800), "2025-09-30.clover").is_ok());
        assert!(
            validate(&format!("{base}&expires_at={}", NOW + 86400), "2025-09-30.clover").is_ok()
        );
        assert!(
            validate(&format!("{base}&expires_at={}", NOW + 86401), "2025-09-30.clover").is_err()
        );
    }

    #[test]
    fn metadata_is_kept_and_empty_values_dropped() {
        let new = validate(
            &format!("{LINES}&success_url=https://m.example/ok&metadata[order_id]=7&metadata[x]="),
            "2025-09-30.clover",
        )
        .unwrap();
        assert_eq!(new.metadata.get("order_id").map(String::as_str), Some("7"));
        assert!(!new.metadata.contains_key("x"));
    }
}
