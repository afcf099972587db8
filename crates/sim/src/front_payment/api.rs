//! FPGO Connect's API: the `status_code`/`is_data` envelope, Bearer auth, Laravel-style
//! validation, and the order endpoints (`docs/providers.md` §4.1–4.6 and seed 002).
//!
//! Success: `{"status_code":201,"status_message":"OK","message":…,"is_data":true,"data":{…}}`.
//! Errors: `{"status_code":404,"status_message":"Not Found","message":"orderNotFound",
//! "is_error":false,"errors":null}` (sic), 510 "Execution Exception Occurred", and for
//! validation 422 with `errors{"field.path":["…"]}` [U].

use std::sync::Arc;

use axum::{
    body::Bytes,
    extract::{Path, Query, Request, State},
    http::{header, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::{get, post},
    Router,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, value::RawValue, Map, Value};

use super::{FrontPayment, NewOrder, Order, OrderError, OrderKind, Product};
use crate::decimal::{self, format_minor};

/// An amount in øre as an exact JSON number with two decimals (`4500.00`).
pub fn exact_number(minor: i64) -> Box<RawValue> {
    RawValue::from_string(format_minor(minor, 2))
        .unwrap_or_else(|_| RawValue::from_string("0".into()).expect("0 is JSON"))
}

/// `data` of the status endpoint.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusData {
    /// `ODR…`.
    pub uuid: String,
    /// The order status.
    pub status: String,
    /// Order amount in kroner.
    pub order_amount: Box<RawValue>,
    /// Refunded amount in kroner.
    pub refunded_amount: Box<RawValue>,
}

#[derive(Serialize)]
struct Envelope<'a, T: Serialize> {
    status_code: u16,
    status_message: &'a str,
    message: &'a str,
    is_data: bool,
    data: T,
}

/// A success envelope.
pub fn ok<T: Serialize>(status: StatusCode, message: &str, data: T) -> Response {
    let body = Envelope {
        status_code: status.as_u16(),
        status_message: "OK",
        message,
        is_data: true,
        data,
    };
    let text = serde_json::to_string(&body).unwrap_or_default();
    (status, [(header::CONTENT_TYPE, "application/json")], text).into_response()
}

/// An error envelope.
pub fn error(
    status: StatusCode,
    status_message: &str,
    message: &str,
    is_error: bool,
    errors: Value,
) -> Response {
    let body = json!({
        "status_code": status.as_u16(),
        "status_message": status_message,
        "message": message,
        "is_error": is_error,
        "errors": errors,
    });
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

fn order_not_found() -> Response {
    error(StatusCode::NOT_FOUND, "Not Found", "orderNotFound", false, Value::Null)
}

/// The body an injected fault answers with (510 is Front Payment's own "execution exception").
pub fn fault_body(status: StatusCode) -> Response {
    match status.as_u16() {
        510 => {
            error(status, "Execution Exception Occurred", "Something Went Wrong", true, json!([]))
        }
        500 => error(
            status,
            "Internal Dependency Error",
            "Internal Error Occurred Please Try Again Later",
            true,
            json!({ "happenedAt": "kassa-sim", "internalErrorDetails": [] }),
        ),
        429 => error(status, "Too Many Requests", "Too Many Attempts.", true, Value::Null),
        _ => error(
            status,
            status.canonical_reason().unwrap_or("Error"),
            "Something Went Wrong",
            true,
            Value::Null,
        ),
    }
}

/// Checks `Authorization: Bearer <token>`; adds the rate-limit headers the real API sends.
pub async fn auth(State(front): State<Arc<FrontPayment>>, req: Request, next: Next) -> Response {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let mut response = if token == Some(front.config.bearer_token.as_str()) {
        next.run(req).await
    } else {
        error(StatusCode::UNAUTHORIZED, "Unauthorized", "Unauthenticated.", true, Value::Null)
    };
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-limit", HeaderValue::from_static("240"));
    headers.insert("x-ratelimit-remaining", HeaderValue::from_static("239"));
    response
}

/// The API routes.
pub fn router(front: Arc<FrontPayment>) -> Router {
    let p = front.config.api_prefix.trim_end_matches('/').to_owned();
    let mut router = Router::new()
        .route(&format!("{p}/connect/orders/regular/submit"), post(regular_submit))
        .route(&format!("{p}/connect/orders/invoice/submit"), post(invoice_submit))
        .route(&format!("{p}/connect/orders/payment-link/create"), post(payment_link_create))
        .route(&format!("{p}/connect/orders/status"), get(list_status))
        .route(&format!("{p}/connect/orders/status/{{uuid}}"), get(status))
        .route(&format!("{p}/connect/orders/details/{{uuid}}"), get(details))
        .route(&format!("{p}/connect/orders/invoice-number/{{uuid}}"), get(invoice_number))
        .route(&format!("{p}/connect/orders/cancel/{{uuid}}"), post(cancel));
    let mut hosted: Vec<String> =
        front.config.hosted_prefixes.iter().map(|h| h.trim_end_matches('/').to_owned()).collect();
    hosted.dedup();
    for prefix in hosted {
        router = router.route(
            &format!("{prefix}/connect/hosted/orders/payment-link/create"),
            post(hosted_create),
        );
    }
    router
        .fallback(|| async {
            error(StatusCode::NOT_FOUND, "Not Found", "routeNotFound", true, Value::Null)
        })
        .layer(axum::middleware::from_fn_with_state(front.clone(), auth))
        .with_state(front)
}

/// Laravel-style validation over a JSON body: errors keyed by dotted path.
#[derive(Debug)]
struct Validator<'a> {
    root: &'a Value,
    errors: Map<String, Value>,
}

fn lookup<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    let mut node = root;
    for part in path.split('.') {
        node = match node {
            Value::Object(map) => map.get(part)?,
            Value::Array(items) => items.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(node)
}

fn present(value: Option<&Value>) -> Option<&Value> {
    value.filter(|v| !v.is_null() && v.as_str() != Some(""))
}

impl<'a> Validator<'a> {
    fn new(root: &'a Value) -> Self {
        Validator { root, errors: Map::new() }
    }

    fn fail(&mut self, path: &str, message: String) {
        if let Some(list) =
            self.errors.entry(path.to_owned()).or_insert_with(|| json!([])).as_array_mut()
        {
            list.push(json!(message));
        }
    }

    fn get(&self, path: &str) -> Option<&'a Value> {
        present(lookup(self.root, path))
    }

    fn required(&mut self, path: &str) -> Option<&'a Value> {
        let value = self.get(path);
        if value.is_none() {
            self.fail(path, format!("The {path} field is required."));
        }
        value
    }

    fn string(&mut self, path: &str, required: bool) -> Option<String> {
        let value = if required { self.required(path)? } else { self.get(path)? };
        match value {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => {
                self.fail(path, format!("The {path} must be a string."));
                None
            }
        }
    }

    /// A numeric field in kroner, as øre.
    fn numeric(&mut self, path: &str, required: bool) -> Option<i64> {
        let value = if required { self.required(path)? } else { self.get(path)? };
        let parsed = decimal::json_text(value).and_then(|t| decimal::parse_minor(&t, 2).ok());
        if parsed.is_none() {
            self.fail(path, format!("The {path} must be a number."));
        }
        parsed
    }

    fn boolean(&mut self, path: &str, required: bool) -> Option<bool> {
        let value = if required { self.required(path)? } else { self.get(path)? };
        let parsed = match value {
            Value::Bool(b) => Some(*b),
            Value::Number(n) => match n.as_u64() {
                Some(0) => Some(false),
                Some(1) => Some(true),
                _ => None,
            },
            Value::String(s) => match s.as_str() {
                "0" | "false" => Some(false),
                "1" | "true" => Some(true),
                _ => None,
            },
            _ => None,
        };
        if parsed.is_none() {
            self.fail(path, format!("The {path} field must be true or false."));
        }
        parsed
    }

    fn url(&mut self, path: &str, required: bool) -> Option<String> {
        let text = self.string(path, required)?;
        match url::Url::parse(&text) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => Some(text),
            _ => {
                self.fail(path, format!("The {path} must be a valid URL."));
                None
            }
        }
    }

    fn email(&mut self, path: &str, required: bool) -> Option<String> {
        let text = self.string(path, required)?;
        if text.split_once('@').is_some_and(|(a, b)| !a.is_empty() && b.contains('.')) {
            Some(text)
        } else {
            self.fail(path, format!("The {path} must be a valid email address."));
            None
        }
    }

    fn one_of(&mut self, path: &str, required: bool, allowed: &[&str]) -> Option<String> {
        let text = self.string(path, required)?;
        if allowed.contains(&text.as_str()) {
            Some(text)
        } else {
            self.fail(path, format!("The selected {path} is invalid."));
            None
        }
    }

    /// A unix timestamp (as string or number). With `today` (now), one whose date in Oslo
    /// is before today's is refused: "must be current or future date" (seed 002, see
    /// [`super::oslo`]).
    fn timestamp(&mut self, path: &str, required: bool, today: Option<i64>) -> Option<i64> {
        let value = if required { self.required(path)? } else { self.get(path)? };
        let parsed = decimal::json_text(value).and_then(|t| t.trim().parse::<i64>().ok());
        match (parsed, today) {
            (None, _) => {
                self.fail(path, format!("The {path} must be a valid unix timestamp."));
                None
            }
            (Some(ts), Some(now)) if super::oslo::date(ts) < super::oslo::date(now) => {
                self.fail(path, format!("The {path} must be a date after or equal to today."));
                None
            }
            (Some(ts), _) => Some(ts),
        }
    }

    /// A field the document types as a number: a JSON number, not a string of digits.
    fn json_number(&mut self, path: &str, required: bool) -> Option<u64> {
        let value = if required { self.required(path)? } else { self.get(path)? };
        match value.as_u64() {
            Some(n) => Some(n),
            None => {
                self.fail(path, format!("The {path} must be a number."));
                None
            }
        }
    }

    /// The elements of an array, or of an object keyed `"0"`, `"1"`, … (both appear in docs).
    fn list(&mut self, path: &str) -> Vec<String> {
        match self.required(path) {
            Some(Value::Array(items)) if !items.is_empty() => {
                (0..items.len()).map(|i| format!("{path}.{i}")).collect()
            }
            Some(Value::Object(map)) if !map.is_empty() => {
                map.keys().map(|k| format!("{path}.{k}")).collect()
            }
            Some(_) => {
                self.fail(path, format!("The {path} must be an array."));
                vec![]
            }
            None => vec![],
        }
    }

    fn finish(self) -> Result<(), Value> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(Value::Object(self.errors))
        }
    }
}

/// The fields every create endpoint validates the same way.
#[derive(Debug)]
struct OrderFields {
    products: Vec<Product>,
    amount: i64,
    callback_url: Option<String>,
    success_url: Option<String>,
    failure_url: Option<String>,
    customer_type: Option<String>,
    customer_uuid: Option<String>,
    customer_name: Option<String>,
    customer_email: Option<String>,
}

/// Which customer fields a flow requires.
#[derive(Clone, Copy, Debug)]
struct CustomerRules {
    present: bool,
    address: bool,
    personal_number_if_private: bool,
    /// `customerDetails.organizationId` must be a JSON number (the hosted create: "Must be
    /// number"); elsewhere the seed types it "string … alphanumeric".
    numeric_organization_id: bool,
}

fn validate_common(
    v: &mut Validator<'_>,
    front: &FrontPayment,
    customer: CustomerRules,
    callbacks_required: bool,
) -> OrderFields {
    let mut products = Vec::new();
    for p in v.list("products") {
        let name = v.string(&format!("{p}.name"), true);
        let quantity = v.numeric(&format!("{p}.quantity"), true);
        v.numeric(&format!("{p}.rate"), true);
        v.numeric(&format!("{p}.discount"), false);
        if let Some(tax) = v.numeric(&format!("{p}.tax"), true) {
            let allowed = front.config.allowed_tax_rates.iter().any(|r| i64::from(*r) * 100 == tax);
            if !allowed {
                v.fail(&format!("{p}.tax"), format!("The selected {p}.tax is invalid."));
            }
        }
        let amount = v.numeric(&format!("{p}.amount"), true);
        v.string(&format!("{p}.productId"), false);
        if let (Some(name), Some(q), Some(amount)) = (name, quantity, amount) {
            products.push(Product { name, quantity: format_minor_compact_qty(q), amount });
        }
    }
    v.numeric("orderSummary.subTotal", true);
    v.numeric("orderSummary.totalTax", true);
    v.numeric("orderSummary.totalDiscount", true);
    v.numeric("orderSummary.shippingCost", false);
    let amount = v.numeric("orderSummary.grandTotal", true).unwrap_or_default();
    if v.get("orderSummary.grandTotal").is_some() && amount <= 0 {
        v.fail(
            "orderSummary.grandTotal",
            "The orderSummary.grandTotal must be greater than 0.".into(),
        );
    }
    // "must be current or future date" on the regular and hosted pages; the invoice page
    // does not repeat it, and the simulator holds every create to it (at least as strict).
    v.timestamp("orderDate", true, Some(front.common.clock.now()));

    let mut customer_type = None;
    let (mut customer_name, mut customer_email, mut customer_uuid) = (None, None, None);
    if customer.present {
        customer_type = v.one_of("customerDetails.type", true, &["private", "corporate"]);
        v.string("customerDetails.countryCode", true);
        v.string("customerDetails.msisdn", true);
        customer_email = v.email("customerDetails.email", true);
        customer_name = v.string("customerDetails.name", true);
        customer_uuid = v.string("customerDetails.customerUuid", false);
        v.one_of("customerDetails.preferredLanguage", false, &["en", "no", "sv", "da", "de"]);
        if let Some(pn) = v.string(
            "customerDetails.personalNumber",
            customer.personal_number_if_private && customer_type.as_deref() == Some("private"),
        ) {
            if pn.chars().count() != 11 {
                v.fail(
                    "customerDetails.personalNumber",
                    "The customerDetails.personalNumber must be 11 characters.".into(),
                );
            }
        }
        let corporate = customer_type.as_deref() == Some("corporate");
        if customer.numeric_organization_id {
            v.json_number("customerDetails.organizationId", corporate);
        } else if let Some(org) = v.string("customerDetails.organizationId", corporate) {
            if !org.bytes().all(|b| b.is_ascii_alphanumeric()) {
                v.fail(
                    "customerDetails.organizationId",
                    "The customerDetails.organizationId must only contain letters and numbers."
                        .into(),
                );
            }
        }
        v.string("customerDetails.address.street", customer.address);
        v.string("customerDetails.address.zip", customer.address);
        v.string("customerDetails.address.city", customer.address);
        if let Some(country) = v.string("customerDetails.address.country", customer.address) {
            if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
                v.fail(
                    "customerDetails.address.country",
                    "The customerDetails.address.country must be a valid ISO alpha-2 country code."
                        .into(),
                );
            }
        }
    }
    let callback_url = v.url("callback.callbackUrl", callbacks_required);
    let success_url = v.url("callback.success", callbacks_required);
    let failure_url = v.url("callback.failure", callbacks_required);
    OrderFields {
        products,
        amount,
        callback_url,
        success_url,
        failure_url,
        customer_type,
        customer_uuid,
        customer_name,
        customer_email,
    }
}

/// Quantities are numeric too; show them without trailing zeros.
fn format_minor_compact_qty(hundredths: i64) -> String {
    decimal::format_minor_compact(hundredths, 2)
}

/// The JSON object body, or the validation errors to answer with.
fn parse_body(body: &Bytes) -> Result<Value, Value> {
    match serde_json::from_slice::<Value>(body) {
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => Err(json!({ "body": ["The request body must be a JSON object."] })),
    }
}

fn validation(front: &FrontPayment, errors: Value) -> Response {
    let status = StatusCode::from_u16(front.config.validation_status)
        .unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
    error(
        status,
        status.canonical_reason().unwrap_or("Unprocessable Entity"),
        "The given data was invalid.",
        true,
        errors,
    )
}

fn new_order(
    kind: OrderKind,
    common: OrderFields,
    reference: Option<String>,
    due_at: Option<i64>,
) -> NewOrder {
    NewOrder {
        kind,
        customer_type: common.customer_type,
        customer_uuid: common.customer_uuid,
        amount: common.amount,
        due_at,
        callback_url: common.callback_url,
        success_url: common.success_url,
        failure_url: common.failure_url,
        products: common.products,
        reference,
        customer_name: common.customer_name,
        customer_email: common.customer_email,
    }
}

/// `fpgoUuid` and `orderFrom` (seed 002): the order a create updates instead of adding one.
/// `orderFrom` is required with `fpgoUuid` and, when given, must be `PARTNER`, which "indicates
/// that the request originates from a registered partner": from a token that is not a
/// partner's ([`super::FrontPaymentSim::partner`]) it is refused [U].
fn order_to_update(v: &mut Validator<'_>, front: &FrontPayment) -> Option<String> {
    let uuid = v.string("fpgoUuid", false);
    if uuid.is_some() && v.get("orderFrom").is_none() {
        v.fail("orderFrom", "The orderFrom field is required when fpgoUuid is present.".into());
    } else if v.one_of("orderFrom", false, &["PARTNER"]).is_some() && !front.config.partner {
        v.fail("orderFrom", "The orderFrom PARTNER is only for registered partners.".into());
    }
    uuid
}

/// Creates the order, or updates the one `fpgoUuid` names.
fn create_or_update(
    front: &FrontPayment,
    fpgo_uuid: Option<String>,
    new: NewOrder,
) -> Result<Order, OrderError> {
    let Some(uuid) = fpgo_uuid else { return Ok(front.create(new)) };
    let order = front.update(&uuid, new)?;
    tracing::info!(order = %order.uuid, "front payment order updated through fpgoUuid");
    Ok(order)
}

/// Why an `fpgoUuid` update was refused: 404 `orderNotFound` for an unknown uuid, 400 for a
/// paid or invoiced order [U].
fn update_refused(e: OrderError) -> Response {
    match e {
        OrderError::NotFound => order_not_found(),
        OrderError::NotOpen(status) => error(
            StatusCode::BAD_REQUEST,
            "Bad Request",
            &format!("orderCannotBeUpdated: order is {status}"),
            true,
            Value::Null,
        ),
    }
}

/// `submitPayment.via`: "Available payment methods vipps, visa, mastercard, applepay, or
/// googlepay" (seed 002). Invoices have their own endpoint.
const VIA: &[&str] = &["vipps", "visa", "mastercard", "applepay", "googlepay"];

async fn regular_submit(State(front): State<Arc<FrontPayment>>, body: Bytes) -> Response {
    let body = match parse_body(&body) {
        Ok(b) => b,
        Err(errors) => return validation(&front, errors),
    };
    let mut v = Validator::new(&body);
    let with_customer = v.boolean("withCustomer", true).unwrap_or(false);
    let rules = CustomerRules {
        present: with_customer,
        address: true,
        personal_number_if_private: false,
        numeric_organization_id: false,
    };
    let common = validate_common(&mut v, &front, rules, true);
    let via = v.one_of("submitPayment.via", true, VIA);
    let reference = v.string("referenceNo", false);
    let fpgo_uuid = order_to_update(&mut v, &front);
    if let Err(errors) = v.finish() {
        return validation(&front, errors);
    }
    let new =
        new_order(OrderKind::Regular { via: via.unwrap_or_default() }, common, reference, None);
    let order = match create_or_update(&front, fpgo_uuid, new) {
        Ok(order) => order,
        Err(e) => return update_refused(e),
    };
    tracing::info!(order = %order.uuid, "front payment regular order submitted");
    ok(
        StatusCode::CREATED,
        "Order Submitted Successfully",
        json!({ "orderUuid": order.uuid, "customerUuid": order.customer_uuid, "paymentUrl": front.payment_url(&order) }),
    )
}

async fn invoice_submit(State(front): State<Arc<FrontPayment>>, body: Bytes) -> Response {
    let body = match parse_body(&body) {
        Ok(b) => b,
        Err(errors) => return validation(&front, errors),
    };
    let mut v = Validator::new(&body);
    let rules = CustomerRules {
        present: true,
        address: true,
        personal_number_if_private: true,
        numeric_organization_id: false,
    };
    let common = validate_common(&mut v, &front, rules, true);
    v.boolean("invoiceFeeApplicable", true);
    v.boolean("separateInvoices", false);
    v.one_of("invoiceInterval", false, &["0", "1", "2"]);
    v.numeric("invoiceMaturity", false);
    let reference = v.string("referenceNo", false);
    let fpgo_uuid = order_to_update(&mut v, &front);
    if let Err(errors) = v.finish() {
        return validation(&front, errors);
    }
    let new = new_order(OrderKind::Invoice, common, reference, None);
    let order = match create_or_update(&front, fpgo_uuid, new) {
        Ok(order) => order,
        Err(e) => return update_refused(e),
    };
    let mut data = json!({ "orderUuid": order.uuid, "customerUuid": order.customer_uuid });
    if order.status == "SENT" {
        data[front.config.invoice_url_field.as_str()] = json!(front.bankid_url(&order));
    }
    ok(StatusCode::CREATED, "orderCreatedSuccessfully", data)
}

async fn payment_link_create(State(front): State<Arc<FrontPayment>>, body: Bytes) -> Response {
    let body = match parse_body(&body) {
        Ok(b) => b,
        Err(errors) => return validation(&front, errors),
    };
    let mut v = Validator::new(&body);
    let rules = CustomerRules {
        present: true,
        address: false,
        personal_number_if_private: false,
        numeric_organization_id: false,
    };
    let common = validate_common(&mut v, &front, rules, false);
    v.boolean("sendOrderBy.sms", true);
    v.boolean("sendOrderBy.email", true);
    v.boolean("sendOrderBy.invoice", false);
    let due = v.timestamp("dueDateForPaymentLink", false, None);
    let reference = v.string("referenceNo", false);
    if let Err(errors) = v.finish() {
        return validation(&front, errors);
    }
    let order = front.create(new_order(OrderKind::PaymentLink, common, reference, due));
    let mut data = json!({ "orderUuid": order.uuid, "customerUuid": order.customer_uuid });
    if front.config.payment_link_returns_url {
        data["paymentUrl"] = json!(front.payment_url(&order));
    }
    ok(StatusCode::CREATED, "Payment Link Created Successfully", data)
}

async fn hosted_create(State(front): State<Arc<FrontPayment>>, body: Bytes) -> Response {
    let body = match parse_body(&body) {
        Ok(b) => b,
        Err(errors) => return validation(&front, errors),
    };
    let mut v = Validator::new(&body);
    let rules = CustomerRules {
        present: true,
        address: false,
        personal_number_if_private: false,
        numeric_organization_id: true,
    };
    let common = validate_common(&mut v, &front, rules, true);
    let due = v.timestamp("dueDateForPaymentLink", true, None);
    v.one_of("checkoutLanguage", false, &["en", "no", "sv", "da", "de"]);
    let reference = v.string("referencesNo", false).or_else(|| v.string("referenceNo", false));
    let fpgo_uuid = order_to_update(&mut v, &front);
    if let Err(errors) = v.finish() {
        return validation(&front, errors);
    }
    let new = new_order(OrderKind::Hosted, common, reference, due);
    let order = match create_or_update(&front, fpgo_uuid, new) {
        Ok(order) => order,
        Err(e) => return update_refused(e),
    };
    tracing::info!(order = %order.uuid, "front payment hosted payment link created");
    ok(
        StatusCode::CREATED,
        "Payment Link Created Successfully",
        json!({ "orderUuid": order.uuid, "customerUuid": order.customer_uuid, "paymentUrl": front.payment_url(&order) }),
    )
}

/// The status endpoint's data for an order.
pub fn status_data(order: &Order) -> StatusData {
    StatusData {
        uuid: order.uuid.clone(),
        status: order.status.clone(),
        order_amount: exact_number(order.amount),
        refunded_amount: exact_number(order.refunded),
    }
}

async fn status(State(front): State<Arc<FrontPayment>>, Path(uuid): Path<String>) -> Response {
    match front.order(&uuid) {
        Some(order) => {
            ok(StatusCode::OK, "Order Status Retrieved Successfully", status_data(&order))
        }
        None => order_not_found(),
    }
}

#[derive(Debug, Deserialize)]
struct StatusQuery {
    #[serde(rename = "type")]
    kind: Option<String>,
}

async fn list_status(
    State(front): State<Arc<FrontPayment>>,
    Query(q): Query<StatusQuery>,
) -> Response {
    let list: Vec<Value> = front
        .orders(q.kind.as_deref())
        .iter()
        .map(|o| json!({ "uuid": o.uuid, "status": o.status }))
        .collect();
    ok(StatusCode::OK, "Order Status Retrieved Successfully", list)
}

async fn details(State(front): State<Arc<FrontPayment>>, Path(uuid): Path<String>) -> Response {
    let Some(order) = front.order(&uuid) else { return order_not_found() };
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Line {
        name: String,
        quantity: String,
        amount: Box<RawValue>,
    }
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Details {
        order_uuid: String,
        customer_uuid: String,
        status: String,
        order_date: i64,
        grand_total: Box<RawValue>,
        reference_no: Option<String>,
        customer_name: Option<String>,
        customer_email: Option<String>,
        payment_method: Option<String>,
        products: Vec<Line>,
    }
    let data = Details {
        order_uuid: order.uuid.clone(),
        customer_uuid: order.customer_uuid.clone(),
        status: order.status.clone(),
        order_date: order.created_at,
        grand_total: exact_number(order.amount),
        reference_no: order.reference.clone(),
        customer_name: order.customer_name.clone(),
        customer_email: order.customer_email.clone(),
        payment_method: order.payment_method.clone(),
        products: order
            .products
            .iter()
            .map(|p| Line {
                name: p.name.clone(),
                quantity: p.quantity.clone(),
                amount: exact_number(p.amount),
            })
            .collect(),
    };
    ok(StatusCode::OK, "Order Details Retrieved Successfully", data)
}

async fn invoice_number(
    State(front): State<Arc<FrontPayment>>,
    Path(uuid): Path<String>,
) -> Response {
    match front.order(&uuid) {
        Some(o) => ok(
            StatusCode::OK,
            "Invoice Number Retrieved Successfully",
            json!({ "orderUuid": o.uuid, "invoiceNumber": o.invoice_number, "status": o.status }),
        ),
        None => order_not_found(),
    }
}

async fn cancel(State(front): State<Arc<FrontPayment>>, Path(uuid): Path<String>) -> Response {
    match front.cancel(&uuid) {
        Ok(order) => ok(StatusCode::OK, "Order Cancelled Successfully", status_data(&order)),
        Err(OrderError::NotFound) => order_not_found(),
        Err(OrderError::NotOpen(status)) => error(
            StatusCode::BAD_REQUEST,
            "Bad Request",
            &format!("orderCannotBeCancelled: order is {status}"),
            true,
            Value::Null,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_numbers_keep_two_decimals() {
        assert_eq!(exact_number(450_000).get(), "4500.00");
        assert_eq!(exact_number(401_786).get(), "4017.86");
        #[derive(Serialize)]
        struct W {
            a: Box<RawValue>,
        }
        assert_eq!(serde_json::to_string(&W { a: exact_number(5) }).unwrap(), r#"{"a":0.05}"#);
    }

    #[test]
    fn lookup_walks_objects_and_arrays() {
        let v = json!({"products": [{"name": "x"}], "o": {"0": {"n": 1}}});
        assert_eq!(lookup(&v, "products.0.name"), Some(&json!("x")));
        assert_eq!(lookup(&v, "o.0.n"), Some(&json!(1)));
        assert_eq!(lookup(&v, "products.1.name"), None);
    }
}
