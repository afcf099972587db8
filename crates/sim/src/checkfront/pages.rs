//! Checkfront's booking payment page, `/reserve/booking/{code}?CFX={token}&view=pay`, the URL
//! the forum answer describes (also handed out as `customer_payment_url`). It is frameable, as
//! Checkfront's own widget embeds its booking pages in an iframe.

use std::sync::Arc;

use axum::{
    extract::{Path, Query, RawQuery, State},
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::get,
    Form, Router,
};
use serde::Deserialize;

use super::{model::Booking, Checkfront};
use crate::{
    html::{self, Line},
    stripe::pages::PageAction,
};

const PROVIDER: &str = "Checkfront";

/// The page routes.
pub fn router(cf: Arc<Checkfront>) -> Router {
    Router::new().route("/reserve/booking/{key}", get(show).post(act)).with_state(cf)
}

#[derive(Debug, Deserialize)]
struct PageQuery {
    #[serde(rename = "CFX")]
    cfx: Option<String>,
}

fn nok(cf: &Checkfront, minor: i64) -> String {
    html::money(minor, &cf.config.currency)
}

/// Why a booking page cannot be shown.
#[derive(Debug)]
enum Refusal {
    NotFound,
    BadToken,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::NotFound => html::not_found(PROVIDER),
            Refusal::BadToken => (
                StatusCode::FORBIDDEN,
                Html(html::page(
                    "Checkfront",
                    "<h1>Checkfront</h1><p class=\"error\">This booking link is not valid.</p>",
                )),
            )
                .into_response(),
        }
    }
}

fn find(cf: &Checkfront, key: &str, query: &PageQuery) -> Result<Booking, Refusal> {
    let booking = cf.booking(key).ok_or(Refusal::NotFound)?;
    if query.cfx.as_deref() != Some(booking.token.as_str()) {
        return Err(Refusal::BadToken);
    }
    Ok(booking)
}

fn page(cf: &Checkfront, booking: &Booking, here: &str) -> String {
    if booking.status_id == "PAID" || booking.paid_total >= booking.total() {
        return html::state_page(
            PROVIDER,
            "Payment received",
            &format!("Booking {} is paid. Thank you!", booking.code),
            cf.return_url(booking).as_deref(),
        );
    }
    if booking.status_id == cf.config.expired_status_id
        || matches!(booking.status_id.as_str(), "VOID" | "STOP")
    {
        return html::expired_page(PROVIDER, cf.cancel_url(booking).as_deref());
    }
    let lines: Vec<Line> = booking
        .lines
        .iter()
        .map(|l| Line {
            name: format!("{} ({})", l.name, super::model::date_desc(l.slip.start, l.slip.end())),
            quantity: l.slip.qty().to_string(),
            amount: nok(cf, l.total),
        })
        .collect();
    let due = booking.total() - booking.paid_total;
    let expiry = booking
        .expires_at
        .map(|t| {
            format!(
                "<p class=\"note\">This pre-booking is held for {} more minutes.</p>",
                ((t - cf.common.clock.now()) / 60).max(0)
            )
        })
        .unwrap_or_default();
    html::page(
        "Checkfront booking payment",
        &format!(
            "<h1>Checkfront booking {}: {}</h1><p>{}</p>{}{expiry}{}",
            html::escape(&booking.code),
            html::escape(&nok(cf, due)),
            html::escape(&cf.config.company_name),
            html::lines_table(&lines, &nok(cf, due)),
            html::action_form(here, &html::STANDARD_BUTTONS, ""),
        ),
    )
}

async fn show(
    State(cf): State<Arc<Checkfront>>,
    Path(key): Path<String>,
    Query(query): Query<PageQuery>,
    RawQuery(raw): RawQuery,
) -> Response {
    match find(&cf, &key, &query) {
        Ok(booking) => {
            let here = format!("/reserve/booking/{key}?{}", raw.unwrap_or_default());
            Html(page(&cf, &booking, &here)).into_response()
        }
        Err(refusal) => refusal.into_response(),
    }
}

async fn act(
    State(cf): State<Arc<Checkfront>>,
    Path(key): Path<String>,
    Query(query): Query<PageQuery>,
    RawQuery(raw): RawQuery,
    Form(form): Form<PageAction>,
) -> Response {
    let booking = match find(&cf, &key, &query) {
        Ok(b) => b,
        Err(refusal) => return refusal.into_response(),
    };
    let here = format!("/reserve/booking/{key}?{}", raw.unwrap_or_default());
    match form.action.as_str() {
        "pay" => match cf.pay(&booking.code).await {
            Ok((booking, _)) => match cf.return_url(&booking) {
                Some(url) => Redirect::to(&url).into_response(),
                None => Html(page(&cf, &booking, &here)).into_response(),
            },
            Err(_) => Redirect::to(&here).into_response(),
        },
        "decline" => Html(html::declined_page(PROVIDER, cf.cancel_url(&booking).as_deref(), &here))
            .into_response(),
        "cancel" => {
            Redirect::to(cf.cancel_url(&booking).as_deref().unwrap_or(&here)).into_response()
        }
        "expire" => match cf.expire(&booking.code).await {
            Ok((booking, _)) => {
                Html(html::expired_page(PROVIDER, cf.cancel_url(&booking).as_deref()))
                    .into_response()
            }
            Err(_) => Redirect::to(&here).into_response(),
        },
        _ => (StatusCode::BAD_REQUEST, "unknown action").into_response(),
    }
}
