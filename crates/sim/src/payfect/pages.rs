//! Payfect's hosted checkout page, `/checkouts/{id}` (frameable; whether the real one is, is
//! unknown, so the widget may try either).

use std::sync::Arc;

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::get,
    Form, Router,
};

use super::{
    model::{Checkout, Status},
    Payfect,
};
use crate::{
    decimal::format_minor,
    html::{self, Line},
    stripe::pages::PageAction,
};

const PROVIDER: &str = "Payfect";

/// The page routes.
pub fn router(payfect: Arc<Payfect>) -> Router {
    Router::new().route("/checkouts/{id}", get(show).post(act)).with_state(payfect)
}

fn amount(payfect: &Payfect, minor: i64, currency: &str) -> String {
    format!(
        "{} {}",
        format_minor(minor, payfect.config.amount_decimal_places),
        currency.to_ascii_uppercase()
    )
}

fn page(payfect: &Payfect, checkout: &Checkout) -> String {
    match checkout.status {
        Status::Open => {
            let lines: Vec<Line> = checkout
                .invoice_items
                .iter()
                .map(|i| Line {
                    name: i.price_data.name.clone(),
                    quantity: i.quantity.to_string(),
                    amount: amount(payfect, i.amount, &i.price_data.currency),
                })
                .collect();
            let total = amount(payfect, checkout.amount_total, &checkout.currency);
            let (currency, network) = &checkout.crypto;
            html::page(
                "Payfect checkout",
                &format!(
                    "<h1>Payfect checkout: {}</h1><p>Pay <strong>{}</strong></p>{}\
                     <p class=\"note\">Send {} on the {} network. Test mode: nothing is sent.</p>{}",
                    html::escape(&total),
                    html::escape(&payfect.config.merchant_name),
                    html::lines_table(&lines, &total),
                    html::escape(&currency.to_ascii_uppercase()),
                    html::escape(network),
                    html::action_form(&format!("/checkouts/{}", checkout.id), &html::STANDARD_BUTTONS, ""),
                ),
            )
        }
        Status::Complete => html::state_page(
            PROVIDER,
            "Payment complete",
            "This checkout has been paid.",
            checkout.success_url.as_deref(),
        ),
        Status::Expired => html::expired_page(PROVIDER, checkout.cancel_url.as_deref()),
    }
}

async fn show(State(payfect): State<Arc<Payfect>>, Path(id): Path<String>) -> Response {
    match payfect.checkout(&id) {
        Some(checkout) => Html(page(&payfect, &checkout)).into_response(),
        None => html::not_found(PROVIDER),
    }
}

async fn act(
    State(payfect): State<Arc<Payfect>>,
    Path(id): Path<String>,
    Form(form): Form<PageAction>,
) -> Response {
    let Some(checkout) = payfect.checkout(&id) else { return html::not_found(PROVIDER) };
    let back = format!("/checkouts/{id}");
    match form.action.as_str() {
        "pay" => match payfect.pay(&id).await {
            Ok((checkout, _)) => match &checkout.success_url {
                Some(url) => Redirect::to(url).into_response(),
                None => Html(page(&payfect, &checkout)).into_response(),
            },
            Err(_) => Redirect::to(&back).into_response(),
        },
        "decline" => match payfect.decline(&id).await {
            Ok((checkout, _)) => {
                Html(html::declined_page(PROVIDER, checkout.cancel_url.as_deref(), &back))
                    .into_response()
            }
            Err(_) => Redirect::to(&back).into_response(),
        },
        "cancel" => Redirect::to(checkout.cancel_url.as_deref().unwrap_or(&back)).into_response(),
        "expire" => match payfect.expire(&id) {
            Ok(checkout) => {
                Html(html::expired_page(PROVIDER, checkout.cancel_url.as_deref())).into_response()
            }
            Err(_) => Redirect::to(&back).into_response(),
        },
        _ => (StatusCode::BAD_REQUEST, "unknown action").into_response(),
    }
}
