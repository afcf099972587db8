//! Checkfront's `/api/3.0` endpoints, each answer wrapped in the account envelope
//! (`version`, `account_id`, `host_id`, `name`, `locale`, `request{status, …}`).
//!
//! Auth is the token pair as Basic (or an OAuth Bearer token); failures are OAuth-style bodies
//! outside the envelope. Business and validation errors come inside the envelope with
//! `request.status:"ERROR"` and `request.error{id,title,details,data}`. POST bodies are
//! bracket-nested forms (`slip[]=…`, `form[customer_name]=…`, `alter[1]=2`); `booking/session`
//! also takes JSON.

use std::{collections::BTreeMap, sync::Arc};

use axum::{
    body::Bytes,
    extract::{Path, RawQuery, Request, State},
    http::{header, HeaderMap, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use base64::Engine;
use serde_json::{json, Map, Value};

use super::{
    model::{compact, date_desc, line_json, money, parse_date, CartSession, Slip},
    Behalf, CfError, Checkfront, CheckfrontItem,
};
use crate::form::{self, Node};

/// The envelope around `body`'s fields.
fn envelope(
    cf: &Checkfront,
    resource: &str,
    method: &str,
    records: usize,
    mut request: Map<String, Value>,
    body: Value,
) -> Value {
    let mut req = Map::new();
    req.insert("status".into(), json!("OK"));
    req.insert("resource".into(), json!(resource));
    req.insert("id".into(), Value::Null);
    req.insert("records".into(), json!(records));
    req.insert("limit".into(), json!(100));
    req.insert("page".into(), json!(1));
    req.insert("pages".into(), json!(1));
    req.insert("time".into(), json!(0));
    req.insert("method".into(), json!(method));
    req.append(&mut request);
    let mut out = json!({
        "version": "3.0",
        "account_id": 1,
        "host_id": cf.config.host,
        "name": cf.config.company_name,
        "locale": { "id": "en_US", "lang": "en", "currency": cf.config.currency },
        "request": req,
    });
    if let (Value::Object(out_map), Value::Object(body)) = (&mut out, body) {
        out_map.extend(body);
    }
    out
}

fn ok(cf: &Checkfront, resource: &str, method: &str, records: usize, body: Value) -> Response {
    Json(envelope(cf, resource, method, records, Map::new(), body)).into_response()
}

fn fail(cf: &Checkfront, resource: &str, method: &str, error: CfError) -> Response {
    let mut request = Map::new();
    request.insert("status".into(), json!("ERROR"));
    request.insert(
        "error".into(),
        json!({ "id": error.id, "title": error.title, "details": error.details, "data": error.data }),
    );
    (error.status, Json(envelope(cf, resource, method, 0, request, json!({})))).into_response()
}

/// The body an injected fault answers with. Checkfront documents 429 (and formerly 503) with
/// `Retry-After`; other failures are plain.
pub fn fault_body(status: StatusCode) -> Response {
    let body = match status.as_u16() {
        429 => {
            json!({ "error": "rate_limit", "error_description": "Too many requests. Please retry later." })
        }
        _ => {
            json!({ "error": "server_error", "error_description": "The server encountered an error." })
        }
    };
    (status, Json(body)).into_response()
}

fn oauth_error(error: &str, description: &str) -> Response {
    (StatusCode::UNAUTHORIZED, Json(json!({ "error": error, "error_description": description })))
        .into_response()
}

/// Paths the "Public API" mode opens to unauthenticated customers.
fn public_path(path: &str) -> bool {
    let rest = path.strip_prefix("/api/3.0/").unwrap_or("");
    rest.starts_with("item")
        || rest.starts_with("booking/session")
        || rest == "booking/form"
        || rest == "booking/create"
}

/// Authenticates and reads `X-On-Behalf` into a [`Behalf`] extension.
pub async fn auth(State(cf): State<Arc<Checkfront>>, mut req: Request, next: Next) -> Response {
    let behalf = match req.headers().get("x-on-behalf").and_then(|v| v.to_str().ok()) {
        Some(v) if v.trim().eq_ignore_ascii_case("off") => Behalf::Customer,
        _ => Behalf::Staff,
    };
    let header =
        req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let query_token = req.uri().query().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "access_token")
            .map(|(_, v)| v.into_owned())
    });
    let verdict = match (header.as_deref(), query_token) {
        (Some(h), _) => check_header(&cf, h),
        (None, Some(token)) => check_bearer(&cf, &token),
        (None, None)
            if cf.config.public_api
                && behalf == Behalf::Customer
                && public_path(req.uri().path()) =>
        {
            Ok(())
        }
        (None, None) => Err(("invalid_request", "The access token was not found.")),
    };
    match verdict {
        Ok(()) => {
            req.extensions_mut().insert(behalf);
            next.run(req).await
        }
        Err((error, description)) => oauth_error(error, description),
    }
}

/// An OAuth error code and its description.
type AuthError = (&'static str, &'static str);

const INVALID_TOKEN: AuthError = ("invalid_token", "The access token provided is invalid.");

fn check_bearer(cf: &Checkfront, token: &str) -> Result<(), AuthError> {
    match &cf.config.access_token {
        Some(expected) if expected == token.trim() => Ok(()),
        _ => Err(INVALID_TOKEN),
    }
}

fn check_header(cf: &Checkfront, header: &str) -> Result<(), AuthError> {
    let malformed = || ("invalid_request", "Malformed auth header.");
    let (scheme, value) = header.trim().split_once(' ').ok_or_else(malformed)?;
    if scheme.eq_ignore_ascii_case("bearer") {
        return check_bearer(cf, value);
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(malformed());
    }
    let decoded =
        base64::engine::general_purpose::STANDARD.decode(value.trim()).map_err(|_| malformed())?;
    let pair = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (key, secret) = pair.split_once(':').ok_or_else(malformed)?;
    if key == cf.config.api_key && secret == cf.config.api_secret {
        Ok(())
    } else {
        Err(INVALID_TOKEN)
    }
}

/// The `/api/3.0` routes.
pub fn router(cf: Arc<Checkfront>) -> Router {
    Router::new()
        .route("/api/3.0/item", get(items))
        .route("/api/3.0/item/{id}", get(item))
        .route("/api/3.0/booking/session", post(session_post).get(session_get))
        .route("/api/3.0/booking/session/clear", post(session_clear))
        .route("/api/3.0/booking/session/end", post(session_end))
        .route("/api/3.0/booking/form", get(booking_form))
        .route("/api/3.0/booking/create", post(booking_create))
        .route("/api/3.0/booking/index", get(booking_index))
        .route("/api/3.0/booking", get(booking_index))
        .route("/api/3.0/booking/{code}", get(booking_get))
        .route("/api/3.0/booking/{code}/update", post(booking_update))
        .fallback(|State(cf): State<Arc<Checkfront>>| async move {
            fail(
                &cf,
                "",
                "get",
                CfError::new(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    "Not found",
                    "Unknown API resource.".into(),
                ),
            )
        })
        .layer(axum::middleware::from_fn_with_state(cf.clone(), auth))
        .with_state(cf)
}

/// A booking-form field's label.
pub fn field_label(field: &str) -> String {
    match field {
        "customer_name" => "Name".into(),
        "customer_email" => "Email".into(),
        "customer_phone" => "Phone".into(),
        "customer_address" => "Address".into(),
        "customer_city" => "City".into(),
        "customer_country" => "Country".into(),
        "customer_region" => "Region".into(),
        "customer_postal_zip" => "Postal / Zip".into(),
        "customer_tos_agree" => "Terms of service".into(),
        "note" => "Note".into(),
        other => other.replace('_', " "),
    }
}

fn query_form(raw: Option<String>) -> Result<Node, CfError> {
    form::parse(raw.unwrap_or_default().as_bytes()).map_err(|e| {
        CfError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Invalid request",
            format!("{}: {}", e.key, e.message),
        )
    })
}

/// What a rated item query asks for: first and last day, and the booking parameters.
type Rating = (i64, i64, Vec<(String, u32)>);

/// The dates and parameters of a rated query, when it is one.
fn rating(q: &Node) -> Result<Option<Rating>, CfError> {
    let Some(start_text) = q.str("start_date").or_else(|| q.str("date")) else { return Ok(None) };
    let bad_date = |t: &str| {
        CfError::new(
            StatusCode::OK,
            "invalid_date",
            "Invalid date",
            format!("{t:?} is not a date (YYYYMMDD)."),
        )
    };
    let start = parse_date(start_text).ok_or_else(|| bad_date(start_text))?;
    let end = match q.str("end_date") {
        Some(t) => parse_date(t).ok_or_else(|| bad_date(t))?,
        None => start,
    };
    if end < start || end - start > 365 {
        return Err(CfError::new(
            StatusCode::OK,
            "invalid_date",
            "Invalid date",
            "end_date must be on or after start_date.".into(),
        ));
    }
    let mut params = Vec::new();
    if let Some(map) = q.get("param").and_then(Node::as_map) {
        for (name, value) in map {
            let n = value.as_str().and_then(|v| v.trim().parse::<u32>().ok()).ok_or_else(|| {
                CfError::new(
                    StatusCode::OK,
                    "invalid_param",
                    "Invalid parameter",
                    format!("param[{name}] must be a whole number."),
                )
            })?;
            params.push((name.clone(), n));
        }
    }
    if params.is_empty() {
        params.push(("qty".into(), 1));
    }
    Ok(Some((start, end, params)))
}

fn item_json(cf: &Checkfront, item: &CheckfrontItem, rated: Option<&Rating>) -> Value {
    let mut v = json!({
        "item_id": item.item_id,
        "sku": item.sku,
        "name": item.name,
        "unit": "P",
        "category_id": 1,
        "status": "A",
        "price": { "title": "per person", "unit": money(item.price) },
    });
    if let Some((start, end, params)) = rated {
        let slip = Slip {
            item_id: item.item_id,
            start: *start,
            days: end - start + 1,
            params: params.clone(),
        };
        let qty = slip.qty();
        let available = cf.available(item.item_id, *start, *end);
        let total = item.price.saturating_mul(i64::from(qty));
        let status = if qty == 0 {
            "UNAVAILABLE"
        } else if available < qty {
            "SOLDOUT"
        } else {
            "AVAILABLE"
        };
        let dates: BTreeMap<String, Value> = (*start..=*end)
            .map(|d| {
                let stock = cf.available(item.item_id, d, d);
                let day_status = if stock >= qty && qty > 0 { "AVAILABLE" } else { "SOLDOUT" };
                (compact(d), json!({ "status": day_status, "price": money(total), "stock": stock }))
            })
            .collect();
        let param: BTreeMap<&str, u32> = params.iter().map(|(k, n)| (k.as_str(), *n)).collect();
        let mut rate = json!({
            "status": status,
            "available": available,
            "sub_total": money(total),
            "summary": {
                "title": item.name,
                "details": format!("{qty} × {}", money(item.price)),
                "date": date_desc(*start, *end),
                "price": { "total": money(total), "title": format!("{qty} × {}", item.name), "unit": money(item.price), "param": param },
            },
            "dates": dates,
        });
        if status == "AVAILABLE" {
            rate["slip"] = json!(slip.encode());
        }
        v["rate"] = rate;
    }
    v
}

async fn items(State(cf): State<Arc<Checkfront>>, RawQuery(raw): RawQuery) -> Response {
    let q = match query_form(raw) {
        Ok(q) => q,
        Err(e) => return fail(&cf, "item", "get", e),
    };
    let rated = match rating(&q) {
        Ok(r) => r,
        Err(e) => return fail(&cf, "item", "get", e),
    };
    let wanted: Option<Vec<String>> =
        q.str("item_id").map(|ids| ids.split(',').map(|s| s.trim().to_owned()).collect());
    let items: BTreeMap<String, Value> = cf
        .config
        .items
        .iter()
        .filter(|i| wanted.as_ref().is_none_or(|w| w.contains(&i.item_id.to_string())))
        .map(|i| (i.item_id.to_string(), item_json(&cf, i, rated.as_ref())))
        .collect();
    let count = items.len();
    ok(&cf, "item", "get", count, json!({ "items": items }))
}

async fn item(
    State(cf): State<Arc<Checkfront>>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let q = match query_form(raw) {
        Ok(q) => q,
        Err(e) => return fail(&cf, "item", "get", e),
    };
    let Some(item) = id.parse().ok().and_then(|id| cf.item(id)) else {
        return fail(
            &cf,
            "item",
            "get",
            CfError::new(
                StatusCode::NOT_FOUND,
                "item_not_found",
                "Item not found",
                format!("No item {id}."),
            ),
        );
    };
    match rating(&q) {
        Ok(rated) => {
            ok(&cf, "item", "get", 1, json!({ "item": item_json(&cf, item, rated.as_ref()) }))
        }
        Err(e) => fail(&cf, "item", "get", e),
    }
}

fn session_json(cf: &Checkfront, session: &CartSession, now: i64) -> Value {
    let total: i64 = session.lines.iter().map(|l| l.total).sum();
    let start = session.lines.iter().map(|l| l.slip.start).min();
    let end = session.lines.iter().map(|l| l.slip.end()).max();
    let items: BTreeMap<String, Value> = session
        .lines
        .iter()
        .map(|l| {
            (
                l.line_id.clone(),
                line_json(l, cf.available(l.slip.item_id, l.slip.start, l.slip.end())),
            )
        })
        .collect();
    json!({
        "booking": {
            "session": {
                "id": session.id,
                "age": now - session.created,
                "summary": session.lines.iter().map(|l| l.name.as_str()).collect::<Vec<_>>().join(", "),
                "start_date": start.map(compact),
                "end_date": end.map(compact),
                "date_desc": start.zip(end).map(|(s, e)| date_desc(s, e)),
                "currency_id": cf.config.currency,
                "sub_total": money(total),
                "tax_total": money(0),
                "discount": money(0),
                "total": money(total),
                "due": money(total),
                "paid_total": money(0),
                "deposit": money(0),
                "qty": session.lines.iter().map(|l| l.slip.qty()).sum::<u32>(),
                "item": items,
            }
        }
    })
}

/// A POST body as a form tree; JSON objects are accepted too (the how-to posts JSON).
fn body_form(headers: &HeaderMap, body: &Bytes) -> Result<Node, CfError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/json"));
    let invalid =
        |m: String| CfError::new(StatusCode::BAD_REQUEST, "invalid_request", "Invalid request", m);
    if !is_json {
        return form::parse(body).map_err(|e| invalid(format!("{}: {}", e.key, e.message)));
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|e| invalid(format!("invalid JSON: {e}")))?;
    fn to_node(v: &Value) -> Node {
        match v {
            Value::Object(m) => Node::Map(m.iter().map(|(k, v)| (k.clone(), to_node(v))).collect()),
            Value::Array(a) => Node::List(a.iter().map(to_node).collect()),
            Value::String(s) => Node::Value(s.clone()),
            Value::Null => Node::Value(String::new()),
            other => Node::Value(other.to_string()),
        }
    }
    Ok(to_node(&value))
}

/// `slip` or `slip[]` values.
fn slips(form: &Node) -> Vec<String> {
    match form.get("slip") {
        Some(Node::Value(v)) if !v.is_empty() => vec![v.clone()],
        Some(node) => node
            .as_list()
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(_, n)| n.as_str().map(str::to_owned))
            .collect(),
        None => vec![],
    }
}

/// `session_id` from the form or the `session_id` cookie.
fn session_id(form: &Node, headers: &HeaderMap) -> Option<String> {
    form.str("session_id").filter(|s| !s.is_empty()).map(str::to_owned).or_else(|| {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .find_map(|c| c.trim().strip_prefix("session_id=").map(str::to_owned))
    })
}

async fn session_post(
    State(cf): State<Arc<Checkfront>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = match body_form(&headers, &body) {
        Ok(f) => f,
        Err(e) => return fail(&cf, "booking/session", "post", e),
    };
    let alter: BTreeMap<String, String> = form
        .get("alter")
        .and_then(Node::as_map)
        .map(|m| {
            m.iter().filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned()))).collect()
        })
        .unwrap_or_default();
    match cf.session_update(session_id(&form, &headers).as_deref(), &slips(&form), &alter) {
        Ok(session) => ok(
            &cf,
            "booking/session",
            "post",
            1,
            session_json(&cf, &session, cf.common.clock.now()),
        ),
        Err(e) => fail(&cf, "booking/session", "post", e),
    }
}

async fn session_get(
    State(cf): State<Arc<Checkfront>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let q = query_form(raw).unwrap_or_else(|_| Node::empty());
    let Some(session) = session_id(&q, &headers).and_then(|id| cf.session(&id)) else {
        return fail(
            &cf,
            "booking/session",
            "get",
            CfError::new(
                StatusCode::OK,
                "invalid_session",
                "Invalid session",
                "No open booking session.".into(),
            ),
        );
    };
    ok(&cf, "booking/session", "get", 1, session_json(&cf, &session, cf.common.clock.now()))
}

async fn session_clear(
    State(cf): State<Arc<Checkfront>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    session_close(&cf, &headers, &body, false, "booking/session/clear")
}

async fn session_end(
    State(cf): State<Arc<Checkfront>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    session_close(&cf, &headers, &body, true, "booking/session/end")
}

fn session_close(
    cf: &Checkfront,
    headers: &HeaderMap,
    body: &Bytes,
    end: bool,
    resource: &str,
) -> Response {
    let form = body_form(headers, body).unwrap_or_else(|_| Node::empty());
    match session_id(&form, headers) {
        Some(id) if cf.session_clear(&id, end) => ok(cf, resource, "post", 0, json!({})),
        _ => fail(
            cf,
            resource,
            "post",
            CfError::new(
                StatusCode::OK,
                "invalid_session",
                "Invalid session",
                "No open booking session.".into(),
            ),
        ),
    }
}

async fn booking_form(State(cf): State<Arc<Checkfront>>, req: Request) -> Response {
    let behalf = req.extensions().get::<Behalf>().cloned().unwrap_or(Behalf::Staff);
    let required = |list: &[String], f: &str| u8::from(list.iter().any(|r| r == f));
    let define = |id: &str, label: &str, kind: &str, options: &[(String, String)]| {
        let customer_req = required(&cf.config.customer_required_fields, id);
        let staff_req = required(&cf.config.staff_required_fields, id);
        let mut layout = json!({
            "lbl": label,
            "type": kind,
            "customer": { "form": 1, "required": customer_req, "invoice": 1 },
            "staff": { "form": 1, "required": staff_req, "invoice": 1 },
            "sys": 0,
        });
        if !options.is_empty() {
            // Checkfront sends a select's choices as an object, value → label.
            let map: Map<String, Value> =
                options.iter().map(|(v, l)| (v.clone(), json!(l))).collect();
            layout["options"] = Value::Object(map);
        }
        json!({
            "value": "",
            "define": {
                "required": if behalf == Behalf::Customer { customer_req } else { staff_req },
                "layout": layout,
            },
        })
    };
    let mut ui = Map::new();
    ui.insert("msg".into(), json!([]));
    ui.insert("errors".into(), json!(0));
    ui.insert("mode".into(), json!("html"));
    for f in &cf.config.form_fields {
        ui.insert(f.id.clone(), define(&f.id, &f.label, &f.kind, &f.options));
    }
    ui.insert(
        "booking_policy".into(),
        json!({
            "body": "Bookings are confirmed once paid.",
            "fields": {
                "customer_tos_agree": define(
                    "customer_tos_agree",
                    &field_label("customer_tos_agree"),
                    "checkbox",
                    &[],
                ),
            },
        }),
    );
    ok(&cf, "booking/form", "get", cf.config.form_fields.len(), json!({ "booking_form_ui": ui }))
}

async fn booking_create(State(cf): State<Arc<Checkfront>>, req: Request) -> Response {
    let behalf = req.extensions().get::<Behalf>().cloned().unwrap_or(Behalf::Staff);
    let headers = req.headers().clone();
    let body = axum::body::to_bytes(req.into_body(), 1 << 20).await.unwrap_or_default();
    let form = match body_form(&headers, &body) {
        Ok(f) => f,
        Err(e) => return fail(&cf, "booking/create", "post", e),
    };
    let fields: BTreeMap<String, String> = form
        .get("form")
        .and_then(Node::as_map)
        .map(|m| {
            m.iter().filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned()))).collect()
        })
        .unwrap_or_default();
    let session = session_id(&form, &headers);
    match cf.create_booking(session.as_deref(), &slips(&form), fields, &behalf) {
        Ok((booking, pending)) => {
            cf.announce(pending);
            tracing::info!(booking = %booking.code, "checkfront booking created");
            let mut request = Map::new();
            let mut data = json!({
                "id": booking.booking_id,
                "booking_id": booking.booking_id,
                "code": booking.code,
                "status": booking.status_id,
                "status_id": booking.status_id,
                "total": money(booking.total()),
            });
            if cf.config.token_on_create {
                data["token"] = json!(booking.token);
            }
            if behalf == Behalf::Customer {
                let url = cf.pay_url(&booking);
                request.insert("url".into(), json!(url));
                data["customer_payment_url"] = json!(url);
            }
            Json(envelope(&cf, "booking/create", "post", 1, request, json!({ "booking": data })))
                .into_response()
        }
        Err(e) => fail(&cf, "booking/create", "post", e),
    }
}

async fn booking_get(State(cf): State<Arc<Checkfront>>, Path(code): Path<String>) -> Response {
    match cf.booking(&code) {
        Some(b) => {
            let mut booking = b.to_json(&cf.config.currency, &cf.status_name(&b));
            if cf.config.token_on_get {
                booking["token"] = json!(b.token);
            }
            ok(&cf, "booking", "get", 1, json!({ "booking": booking }))
        }
        None => fail(
            &cf,
            "booking",
            "get",
            CfError::new(
                StatusCode::NOT_FOUND,
                "booking_not_found",
                "Booking not found",
                format!("No booking {code}."),
            ),
        ),
    }
}

async fn booking_index(State(cf): State<Arc<Checkfront>>, RawQuery(raw): RawQuery) -> Response {
    let q = query_form(raw).unwrap_or_else(|_| Node::empty());
    let limit = q.str("limit").and_then(|l| l.parse::<usize>().ok()).unwrap_or(100).clamp(1, 100);
    let rows: Map<String, Value> = cf
        .bookings()
        .iter()
        .filter(|b| q.str("status_id").is_none_or(|s| b.status_id == s))
        .filter(|b| {
            q.str("customer_email")
                .is_none_or(|e| b.fields.get("customer_email").is_some_and(|v| v == e))
        })
        .take(limit)
        .map(|b| (b.booking_id.to_string(), b.index_row(&cf.status_name(b))))
        .collect();
    let count = rows.len();
    // PHP renders an empty associative array as `[]`.
    let index = if rows.is_empty() { json!([]) } else { Value::Object(rows) };
    ok(&cf, "booking/index", "get", count, json!({ "booking/index": index }))
}

async fn booking_update(
    State(cf): State<Arc<Checkfront>>,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = match body_form(&headers, &body) {
        Ok(f) => f,
        Err(e) => return fail(&cf, "booking/update", "post", e),
    };
    let Some(status_id) = form.str("status_id").filter(|s| !s.is_empty()) else {
        let mut e = CfError::new(
            StatusCode::OK,
            "validation_error",
            "Missing required fields",
            "The following fields are required: status_id".into(),
        );
        e.data = Box::new(json!({ "status_id": "status_id" }));
        return fail(&cf, "booking/update", "post", e);
    };
    let set_paid = form.str("set_paid").is_some_and(|v| v == "1" || v == "true");
    match cf.update(&code, status_id, set_paid) {
        Ok(b) => ok(
            &cf,
            "booking/update",
            "post",
            1,
            json!({ "booking": b.to_json(&cf.config.currency, &cf.status_name(&b)) }),
        ),
        Err(e) => fail(&cf, "booking/update", "post", e),
    }
}
