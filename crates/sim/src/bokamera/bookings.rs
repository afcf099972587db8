//! BokaMera bookings, the payable entities its checkouts pay for: `POST /bookings`
//! (`CreateBooking`) and `GET /bookings?CompanyId&Id` or `&ServiceIds&BookingStart&BookingEnd`
//! (`BookingQuery`, see [`query`]), plus the
//! BokaMera-only control routes under `/__sim/bokamera/`.
//!
//! What the simulator enforces, from `https://api.bokamera.se/json/metadata?op=CreateBooking`:
//! `From` and `To` are required datetimes, `ServiceId` names one of the company's services,
//! `Quantities` counts spots (default one), and a customer booking (no admin login) carries
//! the customer's details. The booking is priced by BokaMera: the service's price per spot
//! plus the attached articles, in the company currency. Answers are
//! `BookingQueryResponse`-shaped (`Id`, `StatusId`, `Status`, `ServiceId`, `From`, `To`,
//! `Quantities`, `TotalPrice`, `CurrencyId`); `TotalPrice` is the field the third-party
//! client freestream/python-bokamera-client reads (`models/bookings.py`) and `CurrencyId` is
//! named as in BokaMera's `TotalPriceInformationResponse` [U: the booking's currency field is
//! not in the pages we could read].

use std::sync::Arc;

use axum::{
    body::Bytes,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    api::{error, not_empty, Dto, FieldError},
    Bokamera, BokameraArticle, BokameraSim, HostedPage,
};
use crate::{control::ControlError, decimal::format_minor, html::currency_exponent};

/// `ArticleTypeId` of a service [U: BokaMera's article types are not listed publicly; the
/// seed says articles "could be Service, rebate code types, etc.", and services come first].
pub const SERVICE_ARTICLE_TYPE: i64 = 1;

/// BokaMera's `BookingStatusEnum` (the values the simulator uses).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BookingStatus {
    /// 1: booked, nothing to pay online.
    Booked,
    /// 4: cancelled.
    Canceled,
    /// 5: awaiting online payment.
    AwaitingPayment,
    /// 7: paid.
    Payed,
}

impl BookingStatus {
    /// The enum's number.
    pub fn id(self) -> i64 {
        match self {
            BookingStatus::Booked => 1,
            BookingStatus::Canceled => 4,
            BookingStatus::AwaitingPayment => 5,
            BookingStatus::Payed => 7,
        }
    }

    /// The enum's name.
    pub fn name(self) -> &'static str {
        match self {
            BookingStatus::Booked => "Booked",
            BookingStatus::Canceled => "Canceled",
            BookingStatus::AwaitingPayment => "AwaitingPayment",
            BookingStatus::Payed => "Payed",
        }
    }
}

/// A booking at the simulated company.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Booking {
    /// `Id`.
    pub id: i64,
    /// The booked service.
    pub service: BokameraArticle,
    /// Spots booked.
    pub quantity: i64,
    /// Articles attached to the booking, with quantities.
    pub articles: Vec<(BokameraArticle, i64)>,
    /// `From`, as sent.
    pub from: String,
    /// `To`, as sent.
    pub to: String,
    /// The customer's email.
    pub email: Option<String>,
    /// `BookedComments`, as sent.
    pub comments: Option<String>,
    /// The status it was booked with (payment moves it on; see [`Bokamera::booking`]).
    pub status: BookingStatus,
    /// BokaMera's price for it, minor units of the company currency.
    pub price: i64,
}

impl Booking {
    /// What a checkout for this booking charges, line by line.
    pub fn lines(&self) -> Vec<(BokameraArticle, i64)> {
        let mut lines = vec![(self.service.clone(), self.quantity)];
        lines.extend(self.articles.iter().cloned());
        lines
    }
}

/// A price as BokaMera's JSON number (a `double`), written from exact minor units.
fn exact(minor: i64, currency: &str) -> Value {
    serde_json::from_str(&format_minor(minor, currency_exponent(currency))).unwrap_or(Value::Null)
}

/// The `BookingQueryResponse` of a booking (ServiceStack leaves out nulls).
pub fn booking_json(config: &BokameraSim, b: &Booking, status: BookingStatus) -> Value {
    let currency = config.currency.to_ascii_uppercase();
    let mut quantities = vec![json!({
        "Quantity": b.quantity,
        "Price": exact(b.service.price, &currency),
        "CurrencyId": currency,
    })];
    for (a, q) in &b.articles {
        quantities.push(json!({
            "ArticleId": a.article_id,
            "Quantity": q,
            "Price": exact(a.price, &currency),
            "CurrencyId": currency,
        }));
    }
    let mut v = json!({
        "Id": b.id,
        "CompanyId": config.company_id,
        "From": b.from,
        "To": b.to,
        "StatusId": status.id(),
        "Status": status.name(),
        "ServiceId": b.service.article_id,
        "ServiceName": b.service.name,
        "Quantities": quantities,
        "TotalPrice": exact(b.price, &currency),
        "CurrencyId": currency,
    });
    if let Some(email) = &b.email {
        v["Customer"] = json!({ "Email": email });
    }
    if let Some(comments) = &b.comments {
        v["BookedComments"] = json!(comments);
    }
    v
}

/// `YYYY-MM-DDTHH:MM[:SS]` (an optional `Z` is ignored) as a sortable `YYYY-MM-DDTHH:MM:SS`.
fn datetime(text: &str) -> Option<String> {
    let t = text.strip_suffix('Z').unwrap_or(text);
    let full = match t.len() {
        16 => format!("{t}:00"),
        19 => t.to_owned(),
        _ => return None,
    };
    let b = full.as_bytes();
    let digits = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
    let shape = b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && digits.iter().all(|&i| b[i].is_ascii_digit());
    let num = |r: std::ops::Range<usize>| full[r].parse::<u32>().unwrap_or(99);
    let ok = shape
        && (1..=12).contains(&num(5..7))
        && (1..=31).contains(&num(8..10))
        && num(11..13) < 24
        && num(14..16) < 60
        && num(17..19) < 60;
    ok.then_some(full)
}

fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `POST /bookings`.
pub async fn create(State(bm): State<Arc<Bokamera>>, body: Bytes) -> Response {
    let dto = match Dto::parse(&body) {
        Ok(d) => d,
        Err(e) => return e.into_response(),
    };
    let mut errors = Vec::new();
    match dto.text("CompanyId") {
        Some(id) if !id.eq_ignore_ascii_case(&bm.config.company_id) => {
            return error(StatusCode::NOT_FOUND, "NotFound", "Company not found", &[])
        }
        Some(_) => {}
        // A customer (no admin login) must name the company.
        None => errors.push(not_empty("CompanyId")),
    }
    let from = dto.text("From");
    let to = dto.text("To");
    for (field, value) in [("From", &from), ("To", &to)] {
        match value {
            None => errors.push(not_empty(field)),
            Some(v) if datetime(v).is_none() => errors.push(FieldError {
                code: "DateTime",
                field: field.into(),
                message: format!("'{field}' is not a valid date and time."),
            }),
            Some(_) => {}
        }
    }
    let (from_at, to_at) = (from.as_deref().and_then(datetime), to.as_deref().and_then(datetime));
    if let (Some(f), Some(t)) = (&from_at, &to_at) {
        if t <= f {
            errors.push(FieldError {
                code: "GreaterThan",
                field: "To".into(),
                message: "'To' must be after 'From'.".into(),
            });
        }
    }
    let service = match dto.get("ServiceId").and_then(integer) {
        None => {
            errors.push(not_empty("ServiceId"));
            None
        }
        Some(id) => match bm.service(id) {
            Some(s) => Some(s),
            None => {
                return error(
                    StatusCode::NOT_FOUND,
                    "NotFound",
                    &format!("Service with id {id} was not found."),
                    &[],
                )
            }
        },
    };
    let mut quantity = 0i64;
    match dto.get("Quantities") {
        None => quantity = 1,
        Some(Value::Array(list)) if list.is_empty() => quantity = 1,
        Some(Value::Array(list)) => {
            for (i, q) in list.iter().enumerate() {
                let q = Dto(q.as_object().cloned().unwrap_or_default());
                match q.get("Quantity").and_then(integer) {
                    Some(n) if n >= 1 => quantity += n,
                    _ => errors.push(FieldError {
                        code: "GreaterThan",
                        field: format!("Quantities[{i}].Quantity"),
                        message: "'Quantity' must be greater than '0'.".into(),
                    }),
                }
            }
        }
        Some(_) => errors.push(not_empty("Quantities")),
    }
    let mut articles = Vec::new();
    if let Some(Value::Array(list)) = dto.get("Articles") {
        for (i, item) in list.iter().enumerate() {
            let item = Dto(item.as_object().cloned().unwrap_or_default());
            let id = item.get("ArticleId").and_then(integer);
            let kind = item.get("ArticleTypeId").and_then(integer).unwrap_or(SERVICE_ARTICLE_TYPE);
            let q = item.get("Quantity").and_then(integer).unwrap_or(1);
            match id.and_then(|id| bm.article(id, kind)) {
                Some(a) if q >= 1 => articles.push((a, q)),
                Some(_) => errors.push(FieldError {
                    code: "GreaterThan",
                    field: format!("Articles[{i}].Quantity"),
                    message: "'Quantity' must be greater than '0'.".into(),
                }),
                None => errors.push(FieldError {
                    code: "NotFound",
                    field: format!("Articles[{i}].ArticleId"),
                    message: format!("Article {} was not found.", id.unwrap_or_default()),
                }),
            }
        }
    }
    // A customer books with `CustomerToBook`, whose four fields are all "IsRequired".
    let customer = dto.get("Customer").and_then(Value::as_object).cloned().map(Dto);
    let email = customer.as_ref().and_then(|c| c.text("Email"));
    if dto.text("CustomerId").is_none() {
        for field in ["Firstname", "Lastname", "Email", "Phone"] {
            if customer.as_ref().and_then(|c| c.text(field)).is_none() {
                errors.push(not_empty(&format!("Customer.{field}")));
            }
        }
    }
    if !errors.is_empty() {
        let message = errors[0].message.clone();
        return error(StatusCode::BAD_REQUEST, errors[0].code, &message, &errors);
    }
    let Some(service) = service else {
        return error(StatusCode::BAD_REQUEST, "NotEmpty", "'Service Id' must not be empty.", &[]);
    };
    let price = [(service.clone(), quantity)]
        .iter()
        .chain(articles.iter())
        .try_fold(0i64, |sum, (a, q)| a.price.checked_mul(*q).and_then(|l| sum.checked_add(l)));
    let Some(price) = price else {
        return error(StatusCode::BAD_REQUEST, "Overflow", "The price is too large.", &[]);
    };
    let status = if bm.config.payment_required {
        BookingStatus::AwaitingPayment
    } else {
        BookingStatus::Booked
    };
    let booking = bm.add_booking(Booking {
        id: 0,
        service,
        quantity,
        articles,
        from: from_at.unwrap_or_default(),
        to: to_at.unwrap_or_default(),
        email,
        comments: dto.text("BookedComments"),
        status,
        price,
    });
    tracing::info!(booking = booking.id, price = booking.price, "bokamera booking created");
    Json(booking_json(&bm.config, &booking, status)).into_response()
}

/// The query of `GET /bookings` the simulator reads: `Id`, and the filters the third-party
/// client freestream/python-bokamera-client (`resources/bookings.py`, `list`) sends to
/// `BookingQuery`: `ServiceIds` (a comma-separated list, ServiceStack's way), and
/// `BookingStart`/`BookingEnd` ("bookings starting on or after / on or before this
/// datetime"). Nothing else filters: `BookedComments` is in each answer, not a filter.
#[derive(Debug, Deserialize)]
pub struct BookingQuery {
    #[serde(rename = "CompanyId", alias = "companyId", alias = "companyid")]
    company_id: Option<String>,
    #[serde(rename = "Id", alias = "id")]
    id: Option<String>,
    #[serde(rename = "ServiceIds", alias = "serviceIds", alias = "serviceids")]
    service_ids: Option<String>,
    #[serde(rename = "BookingStart", alias = "bookingStart", alias = "bookingstart")]
    booking_start: Option<String>,
    #[serde(rename = "BookingEnd", alias = "bookingEnd", alias = "bookingend")]
    booking_end: Option<String>,
}

/// What a query answers at most (`MaxLimit`'s documented default).
const MAX_RESULTS: usize = 100;

fn bad_query(field: &str, what: &str) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "SerializationException",
        &format!("'{field}' is not a valid {what}."),
        &[],
    )
}

/// `GET /bookings?CompanyId&Id` or `?CompanyId&ServiceIds&BookingStart&BookingEnd`: a
/// `QueryResponse` of `BookingQueryResponse`, oldest first. A query naming no filter answers
/// nothing (a customer's key sees no company-wide list).
pub async fn query(State(bm): State<Arc<Bokamera>>, Query(q): Query<BookingQuery>) -> Response {
    if let Some(company) = &q.company_id {
        if !company.eq_ignore_ascii_case(&bm.config.company_id) {
            return error(StatusCode::NOT_FOUND, "NotFound", "Company not found", &[]);
        }
    }
    let id = match q.id.as_deref().map(str::parse::<i64>) {
        Some(Ok(id)) => Some(id),
        Some(Err(_)) => return bad_query("Id", "integer"),
        None => None,
    };
    let services = match &q.service_ids {
        Some(list) => match list.split(',').map(|s| s.trim().parse::<i64>()).collect() {
            Ok(ids) => Some(ids),
            Err(_) => return bad_query("ServiceIds", "list of integers"),
        },
        None => None,
    };
    let services: Option<Vec<i64>> = services;
    let mut bounds = [None, None];
    for (slot, (field, value)) in
        bounds.iter_mut().zip([("BookingStart", &q.booking_start), ("BookingEnd", &q.booking_end)])
    {
        if let Some(text) = value {
            match datetime(text) {
                Some(at) => *slot = Some(at),
                None => return bad_query(field, "date and time"),
            }
        }
    }
    let [start, end] = bounds;
    let filtered = id.is_some() || services.is_some() || start.is_some() || end.is_some();
    let results: Vec<Value> = if filtered {
        bm.bookings()
            .into_iter()
            .filter(|(b, _)| id.is_none_or(|id| b.id == id))
            .filter(|(b, _)| services.as_ref().is_none_or(|s| s.contains(&b.service.article_id)))
            .filter(|(b, _)| start.as_ref().is_none_or(|s| b.from >= *s))
            .filter(|(b, _)| end.as_ref().is_none_or(|e| b.from <= *e))
            .take(MAX_RESULTS)
            .map(|(b, status)| booking_json(&bm.config, &b, status))
            .collect()
    } else {
        Vec::new()
    };
    Json(json!({ "Offset": 0, "Total": results.len(), "Results": results })).into_response()
}

#[derive(Debug, Deserialize)]
struct HostedPageBody {
    kind: HostedPage,
}

#[derive(Debug, Deserialize)]
struct PriceBody {
    price: i64,
}

/// The BokaMera-only control routes: `hosted_page`, repricing an article, and a delayed
/// payment that completes the session while the booking waits for the money.
pub fn control_router(bm: Arc<Bokamera>) -> Router {
    Router::new()
        .route("/__sim/bokamera/hosted_page", get(get_hosted_page).post(set_hosted_page))
        .route("/__sim/bokamera/articles/{id}/price", post(reprice))
        .route("/__sim/bokamera/checkouts/{id}/pay_delayed", post(pay_delayed))
        .route("/__sim/bokamera/bookings/{id}/settle", post(settle))
        .with_state(bm)
}

async fn get_hosted_page(State(bm): State<Arc<Bokamera>>) -> Response {
    Json(json!({ "kind": bm.hosted_page() })).into_response()
}

async fn set_hosted_page(State(bm): State<Arc<Bokamera>>, body: Bytes) -> Response {
    match serde_json::from_slice::<HostedPageBody>(&body) {
        Ok(b) => {
            bm.set_hosted_page(b.kind);
            Json(json!({ "kind": b.kind })).into_response()
        }
        Err(e) => (StatusCode::UNPROCESSABLE_ENTITY, format!("{{\"error\":{:?}}}", e.to_string()))
            .into_response(),
    }
}

async fn reprice(
    State(bm): State<Arc<Bokamera>>,
    Path(id): Path<i64>,
    Json(body): Json<PriceBody>,
) -> Result<Response, ControlError> {
    if body.price < 0 || !bm.reprice(id, body.price) {
        return Err(ControlError::not_found(&id.to_string()));
    }
    Ok(Json(json!({ "article_id": id, "price": body.price })).into_response())
}

async fn pay_delayed(
    State(bm): State<Arc<Bokamera>>,
    Path(id): Path<String>,
) -> Result<Response, ControlError> {
    if !bm.set_unsettled(&id, true) {
        return Err(ControlError::not_found(&id));
    }
    let (session, pending) = bm
        .stripe
        .complete(&id, None)
        .map_err(|_| ControlError::conflict(format!("checkout {id} is not open")))?;
    bm.stripe.dispatch(pending).await;
    Ok(Json(bm.response_json(&session)).into_response())
}

async fn settle(
    State(bm): State<Arc<Bokamera>>,
    Path(id): Path<i64>,
) -> Result<Response, ControlError> {
    if !bm.settle(id) {
        return Err(ControlError::not_found(&id.to_string()));
    }
    let (booking, status) =
        bm.booking(id).ok_or_else(|| ControlError::not_found(&id.to_string()))?;
    Ok(Json(booking_json(&bm.config, &booking, status)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_take_minutes_or_seconds_and_check_the_calendar() {
        assert_eq!(datetime("2026-12-01T09:00").as_deref(), Some("2026-12-01T09:00:00"));
        assert_eq!(datetime("2026-12-01T09:00:30Z").as_deref(), Some("2026-12-01T09:00:30"));
        assert_eq!(datetime("2026-13-01T09:00"), None);
        assert_eq!(datetime("2026-12-01 09:00"), None);
        assert_eq!(datetime("tomorrow"), None);
    }
}
