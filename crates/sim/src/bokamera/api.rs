//! BokaMera's ServiceStack API for Stripe checkouts: `POST /payment/stripe/v1/checkout` and
//! `POST /payment/stripe/v1/checkout/status`, and the bookings they pay for
//! ([`super::bookings`]).
//!
//! A checkout must name, in `InternalReferenceId`, a booking of the company that awaits
//! payment (the seed: "An internal reference id (Could be booking, rebate code etc.)"); the
//! session charges the booking's price. `ConfirmationUrl` and `CancelUrl` are required (the
//! seed's current metadata marks both "Required: Yes"). Every request needs `x-api-key`. DTOs are PascalCase; like ServiceStack, property names are
//! matched case-insensitively and null properties are left out of answers. Errors are
//! `{"ResponseStatus":{"ErrorCode","Message","Errors":[{"ErrorCode","FieldName","Message"}]}}`.

use std::sync::Arc;

use axum::{
    body::Bytes,
    extract::{Request, State},
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse, Response},
    routing::post,
    Json, Router,
};
use serde_json::{json, Map, Value};

use super::{Bokamera, NewCheckout};
use crate::stripe::UiMode;

/// One field error.
#[derive(Clone, Debug)]
pub(crate) struct FieldError {
    pub(crate) code: &'static str,
    pub(crate) field: String,
    pub(crate) message: String,
}

/// A ServiceStack error, answered as its `ResponseStatus`.
#[derive(Debug)]
pub(crate) struct ServiceError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl IntoResponse for ServiceError {
    fn into_response(self) -> Response {
        error(self.status, self.code, &self.message, &[])
    }
}

/// A ServiceStack error answer.
pub(crate) fn error(
    status: StatusCode,
    code: &str,
    message: &str,
    fields: &[FieldError],
) -> Response {
    let errors: Vec<Value> = fields
        .iter()
        .map(|f| {
            json!({
                "ErrorCode": f.code,
                "FieldName": f.field,
                "Message": f.message,
                "Meta": { "PropertyName": f.field },
            })
        })
        .collect();
    let body =
        json!({ "ResponseStatus": { "ErrorCode": code, "Message": message, "Errors": errors } });
    (status, Json(body)).into_response()
}

/// The body an injected fault answers with.
pub fn fault_body(status: StatusCode) -> Response {
    let code = match status.as_u16() {
        429 => "TooManyRequests",
        s if s >= 500 => "Exception",
        _ => "Error",
    };
    error(status, code, status.canonical_reason().unwrap_or("Error"), &[])
}

/// Checks `x-api-key` (and a bearer token when configured).
pub async fn auth(State(bm): State<Arc<Bokamera>>, req: Request, next: Next) -> Response {
    let key = req.headers().get("x-api-key").and_then(|v| v.to_str().ok()).map(str::trim);
    match key {
        None | Some("") => {
            return error(
                StatusCode::UNAUTHORIZED,
                "Unauthorized",
                "The x-api-key header is missing.",
                &[],
            )
        }
        Some(k) if !k.eq_ignore_ascii_case(&bm.config.api_key) => {
            return error(
                StatusCode::UNAUTHORIZED,
                "Unauthorized",
                "The api key is not valid.",
                &[],
            )
        }
        Some(_) => {}
    }
    if bm.config.require_bearer {
        let bearer = req
            .headers()
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if bearer != Some(bm.config.access_token.as_str()) {
            return error(StatusCode::UNAUTHORIZED, "Unauthorized", "Not Authenticated", &[]);
        }
    }
    next.run(req).await
}

/// The API routes.
pub fn router(bm: Arc<Bokamera>) -> Router {
    Router::new()
        .route("/payment/stripe/v1/checkout", post(create))
        .route("/payment/stripe/v1/checkout/status", post(status))
        .route("/bookings", post(super::bookings::create).get(super::bookings::query))
        .fallback(|| async {
            error(StatusCode::NOT_FOUND, "NotFound", "Handler for Request not found", &[])
        })
        .layer(axum::middleware::from_fn_with_state(bm.clone(), auth))
        .with_state(bm)
}

/// A JSON object whose keys are read case-insensitively.
pub(crate) struct Dto(pub(crate) Map<String, Value>);

impl Dto {
    pub(crate) fn parse(body: &Bytes) -> Result<Dto, ServiceError> {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => Ok(Dto(map)),
            _ => Err(ServiceError {
                status: StatusCode::BAD_REQUEST,
                code: "SerializationException",
                message: "Could not deserialize the request body as JSON.".into(),
            }),
        }
    }

    pub(crate) fn get(&self, name: &str) -> Option<&Value> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
            .filter(|v| !v.is_null())
    }

    pub(crate) fn text(&self, name: &str) -> Option<String> {
        match self.get(name)? {
            Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }
}

/// Splits `CompanyId` into ServiceStack's `'Company Id'` label.
fn label(field: &str) -> String {
    let mut out = String::new();
    for (i, c) in field.chars().enumerate() {
        if i > 0 && c.is_ascii_uppercase() {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

pub(crate) fn not_empty(field: &str) -> FieldError {
    FieldError {
        code: "NotEmpty",
        field: field.into(),
        message: format!("'{}' must not be empty.", label(field)),
    }
}

fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn check_company(
    bm: &Bokamera,
    dto: &Dto,
    errors: &mut Vec<FieldError>,
) -> Result<(), ServiceError> {
    match dto.text("CompanyId") {
        None => {
            errors.push(not_empty("CompanyId"));
            Ok(())
        }
        Some(id) if uuid::Uuid::parse_str(&id).is_err() => {
            errors.push(FieldError {
                code: "Guid",
                field: "CompanyId".into(),
                message: "'Company Id' is not a valid Guid.".into(),
            });
            Ok(())
        }
        Some(id) if !id.eq_ignore_ascii_case(&bm.config.company_id) => Err(ServiceError {
            status: StatusCode::NOT_FOUND,
            code: "NotFound",
            message: "Company not found".into(),
        }),
        Some(_) => Ok(()),
    }
}

async fn create(State(bm): State<Arc<Bokamera>>, body: Bytes) -> Response {
    let dto = match Dto::parse(&body) {
        Ok(d) => d,
        Err(e) => return e.into_response(),
    };
    let mut errors = Vec::new();
    if let Err(e) = check_company(&bm, &dto, &mut errors) {
        return e.into_response();
    }
    if dto.text("CountryCode").is_none() {
        errors.push(not_empty("CountryCode"));
    }
    let reference = dto.text("InternalReferenceId");
    if reference.is_none() {
        errors.push(not_empty("InternalReferenceId"));
    }
    let ui_mode = match dto.text("UiMode").map(|m| m.to_ascii_lowercase()).as_deref() {
        None | Some("hosted") => Some(UiMode::Hosted),
        Some("embedded") => Some(UiMode::Embedded),
        Some(_) => {
            errors.push(FieldError {
                code: "Enum",
                field: "UiMode".into(),
                message: "'Ui Mode' must be one of: embedded, hosted.".into(),
            });
            None
        }
    };
    let confirmation_url = dto.text("ConfirmationUrl");
    let cancel_url = dto.text("CancelUrl");
    let embedded = ui_mode == Some(UiMode::Embedded);
    let refuse_cancel = embedded && bm.config.refuse_cancel_url_when_embedded;
    for (field, url) in [("ConfirmationUrl", &confirmation_url), ("CancelUrl", &cancel_url)] {
        match url {
            Some(url) => {
                if !url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) {
                    errors.push(FieldError {
                        code: "Url",
                        field: field.into(),
                        message: format!("'{}' is not a valid url.", label(field)),
                    });
                }
            }
            // Both are "Required: Yes" in the seed; only the [U] reading that refuses a
            // `CancelUrl` with embedded checkouts can do without it.
            None if field == "CancelUrl" && refuse_cancel => {}
            None => errors.push(not_empty(field)),
        }
    }
    if refuse_cancel && cancel_url.is_some() {
        errors.push(FieldError {
            code: "NotAllowed",
            field: "CancelUrl".into(),
            message: "'Cancel Url' is not allowed when UiMode is embedded.".into(),
        });
    }
    let mut articles = Vec::new();
    match dto.get("Articles") {
        Some(Value::Array(list)) if !list.is_empty() => {
            for (i, item) in list.iter().enumerate() {
                let item = Dto(item.as_object().cloned().unwrap_or_default());
                let id = item.get("ArticleId").and_then(integer);
                let kind = item.get("ArticleTypeId").and_then(integer);
                let quantity = item.get("Quantity").and_then(integer).unwrap_or(0);
                if quantity < 1 {
                    errors.push(FieldError {
                        code: "GreaterThan",
                        field: format!("Articles[{i}].Quantity"),
                        message: "'Quantity' must be greater than '0'.".into(),
                    });
                }
                match id.zip(kind).and_then(|(id, kind)| bm.article(id, kind)) {
                    Some(article) => articles.push((article, quantity)),
                    None => errors.push(FieldError {
                        code: "NotFound",
                        field: format!("Articles[{i}].ArticleId"),
                        message: format!(
                            "Article {} of type {} was not found.",
                            id.unwrap_or_default(),
                            kind.unwrap_or_default()
                        ),
                    }),
                }
            }
        }
        _ => errors.push(not_empty("Articles")),
    }
    if !errors.is_empty() {
        let message = errors[0].message.clone();
        return error(StatusCode::BAD_REQUEST, errors[0].code, &message, &errors);
    }
    // The payable entity: a booking of this company that awaits payment.
    let reference = reference.unwrap_or_default();
    let Some((booking, booking_status)) =
        reference.trim().parse::<i64>().ok().and_then(|id| bm.booking(id))
    else {
        return error(
            StatusCode::NOT_FOUND,
            "NotFound",
            &format!("No payable entity with internal reference id {reference} was found."),
            &[FieldError {
                code: "NotFound",
                field: "InternalReferenceId".into(),
                message: "The booking was not found.".into(),
            }],
        );
    };
    if booking_status != super::BookingStatus::AwaitingPayment {
        let message =
            format!("Booking {} is {} and awaits no payment.", booking.id, booking_status.name());
        return error(
            StatusCode::BAD_REQUEST,
            "NotPayable",
            &message,
            &[FieldError {
                code: "NotPayable",
                field: "InternalReferenceId".into(),
                message: message.clone(),
            }],
        );
    }
    let new = NewCheckout {
        internal_reference_id: reference,
        articles: booking.lines(),
        ui_mode: ui_mode.unwrap_or(UiMode::Hosted),
        confirmation_url,
        // BokaMera keeps a `CancelUrl` away from Stripe's embedded checkout, which refuses it.
        cancel_url: if embedded { None } else { cancel_url },
    };
    let (checkout, session) = bm.create(new);
    tracing::info!(session = %checkout.session_id, reference = %checkout.internal_reference_id, "bokamera checkout created");
    Json(bm.response_json(&session)).into_response()
}

async fn status(State(bm): State<Arc<Bokamera>>, body: Bytes) -> Response {
    let dto = match Dto::parse(&body) {
        Ok(d) => d,
        Err(e) => return e.into_response(),
    };
    let mut errors = Vec::new();
    if let Err(e) = check_company(&bm, &dto, &mut errors) {
        return e.into_response();
    }
    let session_id = dto.text("SessionId");
    if session_id.is_none() {
        errors.push(not_empty("SessionId"));
    }
    if !errors.is_empty() {
        let message = errors[0].message.clone();
        return error(StatusCode::BAD_REQUEST, errors[0].code, &message, &errors);
    }
    let id = session_id.unwrap_or_default();
    match bm.checkout(&id) {
        Some((_, session)) => {
            let mut v = json!({ "Status": session.status.as_str() });
            if let Some(email) = &session.paid_email {
                v["CustomerEmail"] = json!(email);
            }
            Json(v).into_response()
        }
        None => error(StatusCode::NOT_FOUND, "NotFound", "Checkout not found", &[]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_split_pascal_case() {
        assert_eq!(label("CompanyId"), "Company Id");
        assert_eq!(label("InternalReferenceId"), "Internal Reference Id");
    }
}
