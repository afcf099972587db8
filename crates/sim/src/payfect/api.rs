//! Payfect's REST API (`docs/providers.md` §3): checkouts, products and prices, answered the
//! way Django REST Framework answers.
//!
//! Requests are snake_case JSON, responses camelCase. Auth is `Authorization: Api-Key <key>`;
//! failures are `{"detail": "…"}` with 401; validation errors are DRF's field map
//! (`{"currency": ["This field is required."]}`) with 400. Paths keep their trailing slash;
//! without it the answer is DRF's 404.

use std::sync::Arc;

use axum::{
    body::Bytes,
    extract::{Path, Request, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use serde_json::{json, Map, Value};

use super::{model::PriceData, NewCheckout, NewItem, Payfect};
use crate::decimal::{self, DecimalError};

/// A DRF-style error answer.
#[derive(Debug)]
pub struct DrfError(pub StatusCode, pub Value);

impl DrfError {
    fn detail(status: StatusCode, text: &str) -> Self {
        DrfError(status, json!({ "detail": text }))
    }
}

impl IntoResponse for DrfError {
    fn into_response(self) -> Response {
        let mut response = (self.0, Json(self.1)).into_response();
        if self.0 == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Api-Key"));
        }
        response
    }
}

/// The body an injected fault answers with.
pub fn fault_body(status: StatusCode) -> Response {
    let text = match status.as_u16() {
        429 => "Request was throttled. Expected available in 1 second.",
        s if s >= 500 => "A server error occurred.",
        _ => "The request could not be processed.",
    };
    DrfError::detail(status, text).into_response()
}

/// Checks `Authorization: Api-Key <key>`.
pub async fn auth(State(payfect): State<Arc<Payfect>>, req: Request, next: Next) -> Response {
    let header = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let Some(header) = header.filter(|h| !h.trim().is_empty()) else {
        return DrfError::detail(
            StatusCode::UNAUTHORIZED,
            "Authentication credentials were not provided.",
        )
        .into_response();
    };
    match header.trim().split_once(' ') {
        Some((scheme, key)) if scheme == "Api-Key" && key.trim() == payfect.config.api_key => {
            next.run(req).await
        }
        Some(("Api-Key", _)) => {
            DrfError::detail(StatusCode::UNAUTHORIZED, "Incorrect authentication credentials.")
                .into_response()
        }
        _ => DrfError::detail(
            StatusCode::UNAUTHORIZED,
            "Authentication credentials were not provided.",
        )
        .into_response(),
    }
}

/// The API routes under every configured prefix.
pub fn router(payfect: Arc<Payfect>) -> Router {
    let mut router = Router::new();
    for prefix in payfect.prefixes() {
        router = router
            .route(&format!("{prefix}/checkouts/"), post(create_checkout))
            .route(&format!("{prefix}/checkouts/{{id}}/"), get(retrieve_checkout))
            .route(&format!("{prefix}/products/"), post(create_product))
            .route(&format!("{prefix}/prices/"), post(create_price));
    }
    router.layer(axum::middleware::from_fn_with_state(payfect.clone(), auth)).with_state(payfect)
}

/// DRF's 404 for unknown paths (including a missing trailing slash).
pub async fn not_found() -> DrfError {
    DrfError::detail(StatusCode::NOT_FOUND, "Not found.")
}

/// Parses a JSON object body as DRF's JSONParser does.
fn json_body(headers: &HeaderMap, body: &Bytes) -> Result<Map<String, Value>, DrfError> {
    let content_type =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !content_type.starts_with("application/json") {
        return Err(DrfError::detail(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            &format!("Unsupported media type \"{content_type}\" in request."),
        ));
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        DrfError::detail(StatusCode::BAD_REQUEST, &format!("JSON parse error - {e}"))
    })?;
    match value {
        Value::Object(map) => Ok(map),
        other => Err(DrfError(
            StatusCode::BAD_REQUEST,
            json!({ "non_field_errors": [format!("Invalid data. Expected a dictionary, but got {}.", type_name(&other))] }),
        )),
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// Collects DRF field errors.
#[derive(Debug, Default)]
struct Errors(Map<String, Value>);

impl Errors {
    fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.insert(field.to_owned(), json!([message.into()]));
    }

    fn nested(&mut self, field: &str, value: Value) {
        self.0.insert(field.to_owned(), value);
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

const REQUIRED: &str = "This field is required.";

/// A required or optional string field.
fn string_field(
    obj: &Map<String, Value>,
    key: &str,
    required: bool,
    errors: &mut Errors,
) -> Option<String> {
    match obj.get(key) {
        None if required => {
            errors.add(key, REQUIRED);
            None
        }
        None => None,
        Some(Value::Null) if required => {
            errors.add(key, "This field may not be null.");
            None
        }
        Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() && required => {
            errors.add(key, "This field may not be blank.");
            None
        }
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(_) => {
            errors.add(key, "Not a valid string.");
            None
        }
    }
}

fn url_field(obj: &Map<String, Value>, key: &str, errors: &mut Errors) -> Option<String> {
    let value = string_field(obj, key, false, errors)?;
    match url::Url::parse(&value) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Some(value),
        _ => {
            errors.add(key, "Enter a valid URL.");
            None
        }
    }
}

fn integer_field(
    obj: &Map<String, Value>,
    key: &str,
    min: i64,
    errors: &mut Errors,
) -> Option<i64> {
    let value = match obj.get(key) {
        None => {
            errors.add(key, REQUIRED);
            return None;
        }
        Some(Value::Number(n)) => n.as_i64().or_else(|| {
            // DRF accepts 2.0 but not 2.5.
            let text = n.to_string();
            text.strip_suffix(".0").and_then(|t| t.parse().ok())
        }),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    match value {
        Some(v) if v >= min => Some(v),
        Some(_) => {
            errors.add(key, format!("Ensure this value is greater than or equal to {min}."));
            None
        }
        None => {
            errors.add(key, "A valid integer is required.");
            None
        }
    }
}

fn decimal_field(
    obj: &Map<String, Value>,
    key: &str,
    scale: u32,
    errors: &mut Errors,
) -> Option<i64> {
    let Some(value) = obj.get(key) else {
        errors.add(key, REQUIRED);
        return None;
    };
    let Some(text) = decimal::json_text(value) else {
        errors.add(key, "A valid number is required.");
        return None;
    };
    match decimal::parse_minor(&text, scale) {
        Ok(v) if v >= 0 => Some(v),
        Ok(_) => {
            errors.add(key, "Ensure this value is greater than or equal to 0.");
            None
        }
        Err(DecimalError::TooManyPlaces(places)) => {
            errors.add(key, format!("Ensure that there are no more than {places} decimal places."));
            None
        }
        Err(DecimalError::TooLarge) => {
            errors.add(key, "Ensure that there are no more than 20 digits in total.");
            None
        }
        Err(DecimalError::Invalid) => {
            errors.add(key, "A valid number is required.");
            None
        }
    }
}

fn object<'a>(
    value: &'a Value,
    field: &str,
    errors: &mut Errors,
) -> Option<&'a Map<String, Value>> {
    match value {
        Value::Object(map) => Some(map),
        other => {
            errors.add(
                field,
                format!("Invalid data. Expected a dictionary, but got {}.", type_name(other)),
            );
            None
        }
    }
}

fn price_data(value: &Value, scale: u32, errors: &mut Errors) -> Option<PriceData> {
    let obj = object(value, "non_field_errors", errors)?;
    let currency = string_field(obj, "currency", true, errors);
    let unit_amount = decimal_field(obj, "unit_amount", scale, errors);
    let mut product_errors = Errors::default();
    let product = match obj.get("product_data") {
        None => {
            errors.add("product_data", REQUIRED);
            None
        }
        Some(value) => object(value, "non_field_errors", &mut product_errors).and_then(|p| {
            let name = string_field(p, "name", true, &mut product_errors);
            let description = string_field(p, "description", false, &mut product_errors);
            let images = match p.get("images") {
                None | Some(Value::Null) => vec![],
                Some(Value::Array(items)) => {
                    items.iter().filter_map(|i| i.as_str().map(str::to_owned)).collect()
                }
                Some(_) => {
                    product_errors.add("images", "Expected a list of items but got type \"str\".");
                    vec![]
                }
            };
            name.map(|name| (name, description, images))
        }),
    };
    if !product_errors.is_empty() {
        errors.nested("product_data", Value::Object(product_errors.0));
    }
    let (name, description, images) = product?;
    Some(PriceData { currency: currency?, unit_amount: unit_amount?, name, description, images })
}

/// Validates a `POST /checkouts/` body; DRF field errors when invalid.
pub fn validate_checkout(
    body: &Map<String, Value>,
    payfect: &Payfect,
) -> Result<NewCheckout, Value> {
    let scale = payfect.config.amount_decimal_places;
    let mut errors = Errors::default();
    let currency = string_field(body, "currency", true, &mut errors);
    let client_reference_id = string_field(body, "client_reference_id", false, &mut errors);
    let success_url = url_field(body, "success_url", &mut errors);
    let cancel_url = url_field(body, "cancel_url", &mut errors);
    let callback_url = url_field(body, "callback_url", &mut errors);

    let mut items = Vec::new();
    match body.get("invoice_items") {
        None => errors.add("invoice_items", REQUIRED),
        Some(Value::Array(list)) if list.is_empty() => {
            errors.add("invoice_items", "This list may not be empty.")
        }
        Some(Value::Array(list)) => {
            let mut item_errors = Vec::new();
            let mut any = false;
            for value in list {
                let mut e = Errors::default();
                if let Some(obj) = object(value, "non_field_errors", &mut e) {
                    let quantity = integer_field(obj, "quantity", 1, &mut e);
                    let price = match (obj.get("price"), obj.get("price_data")) {
                        (Some(Value::String(id)), _) => match payfect.price(id) {
                            Some(p) => Some((Some(id.clone()), p)),
                            None => {
                                e.add(
                                    "price",
                                    format!("Invalid pk \"{id}\" - object does not exist."),
                                );
                                None
                            }
                        },
                        (_, Some(pd)) => {
                            let mut pe = Errors::default();
                            let data = price_data(pd, scale, &mut pe);
                            if !pe.is_empty() {
                                e.nested("price_data", Value::Object(pe.0));
                            }
                            data.map(|d| (None, d))
                        }
                        _ => {
                            e.add("price_data", REQUIRED);
                            None
                        }
                    };
                    // An item may be priced in another currency than the checkout, as in
                    // the docs' curl example (CNY checkout, TWD item); `Payfect::create`
                    // converts it, or refuses it without a rate.
                    if let (Some(quantity), Some((price_id, data))) = (quantity, price) {
                        items.push(NewItem { price: price_id, price_data: data, quantity });
                    }
                }
                any |= !e.is_empty();
                item_errors.push(Value::Object(e.0));
            }
            if any {
                errors.nested("invoice_items", Value::Array(item_errors));
            }
        }
        Some(other) => errors.add(
            "invoice_items",
            format!("Expected a list of items but got type \"{}\".", type_name(other)),
        ),
    }

    let mut crypto = ("usdt".to_owned(), "tron".to_owned());
    if let Some(pmd) = body.get("payment_method_data").filter(|v| !v.is_null()) {
        match pmd.as_object() {
            Some(obj) => {
                let detail =
                    obj.get("paymentMethodDetail").or_else(|| obj.get("payment_method_detail"));
                if let Some(detail) = detail.and_then(Value::as_object) {
                    if let Some(c) = detail.get("currency").and_then(Value::as_str) {
                        crypto.0 = c.to_owned();
                    }
                    if let Some(n) = detail.get("network").and_then(Value::as_str) {
                        crypto.1 = n.to_owned();
                    }
                }
            }
            None => errors
                .add("payment_method_data", "Expected a dictionary of items but got type \"str\"."),
        }
    }
    let payment_method_types = match body.get("payment_method_types") {
        None | Some(Value::Null) => vec!["crypto".to_owned(), "card".to_owned()],
        Some(Value::Array(list)) => {
            let mut types = Vec::new();
            for t in list {
                match t.as_str() {
                    Some(v @ ("crypto" | "card")) => types.push(v.to_owned()),
                    _ => errors.add(
                        "payment_method_types",
                        format!("\"{}\" is not a valid choice.", t.as_str().unwrap_or("?")),
                    ),
                }
            }
            types
        }
        Some(_) => {
            errors.add("payment_method_types", "Expected a list of items but got type \"str\".");
            vec![]
        }
    };
    let metadata = match body.get("metadata") {
        Some(Value::Object(m)) => Value::Object(m.clone()),
        _ => json!({}),
    };

    if !errors.is_empty() {
        return Err(Value::Object(errors.0));
    }
    Ok(NewCheckout {
        currency: currency.unwrap_or_default(),
        items,
        client_reference_id,
        success_url,
        cancel_url,
        callback_url,
        payment_method_types,
        crypto,
        metadata,
    })
}

async fn create_checkout(
    State(payfect): State<Arc<Payfect>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, DrfError> {
    let body = json_body(&headers, &body)?;
    let new =
        validate_checkout(&body, &payfect).map_err(|e| DrfError(StatusCode::BAD_REQUEST, e))?;
    let checkout = payfect.create(new).map_err(|e| DrfError(StatusCode::BAD_REQUEST, e))?;
    tracing::info!(checkout = %checkout.id, "payfect checkout created");
    let status = StatusCode::from_u16(payfect.config.create_status).unwrap_or(StatusCode::OK);
    Ok((status, Json(payfect.render(&checkout))).into_response())
}

async fn retrieve_checkout(
    State(payfect): State<Arc<Payfect>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, DrfError> {
    payfect
        .checkout(&id)
        .map(|c| Json(payfect.render(&c)))
        .ok_or_else(|| DrfError::detail(StatusCode::NOT_FOUND, "Not found."))
}

async fn create_product(
    State(payfect): State<Arc<Payfect>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, DrfError> {
    let body = json_body(&headers, &body)?;
    let mut errors = Errors::default();
    let name = string_field(&body, "name", true, &mut errors);
    let description = string_field(&body, "description", false, &mut errors);
    let images: Vec<String> = body
        .get("images")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|i| i.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    if !errors.is_empty() {
        return Err(DrfError(StatusCode::BAD_REQUEST, Value::Object(errors.0)));
    }
    let product = payfect.create_product(name.unwrap_or_default(), description, images);
    Ok((StatusCode::CREATED, Json(product)).into_response())
}

async fn create_price(
    State(payfect): State<Arc<Payfect>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, DrfError> {
    let body = json_body(&headers, &body)?;
    let mut errors = Errors::default();
    let product = string_field(&body, "product", true, &mut errors);
    let currency = string_field(&body, "currency", true, &mut errors);
    let unit_amount =
        decimal_field(&body, "unit_amount", payfect.config.amount_decimal_places, &mut errors);
    if let Some(id) = &product {
        if !payfect.has_product(id) {
            errors.add("product", format!("Invalid pk \"{id}\" - object does not exist."));
        }
    }
    if !errors.is_empty() {
        return Err(DrfError(StatusCode::BAD_REQUEST, Value::Object(errors.0)));
    }
    let price = payfect.create_price(
        product.unwrap_or_default(),
        currency.unwrap_or_default(),
        unit_amount.unwrap_or_default(),
    );
    Ok((StatusCode::CREATED, Json(price)).into_response())
}
