//! BokaMera's framed Stripe checkout page, `/stripe/checkout/{session_id}` (the create
//! answer's `Url`). Unlike Stripe's own hosted page it may be framed.

use std::sync::Arc;

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::get,
    Form, Router,
};

use super::{Bokamera, Checkout};
use crate::{
    html,
    stripe::{
        pages::{checkout_body, lines_html, PageAction},
        Session, SessionStatus, UiMode,
    },
};

const PROVIDER: &str = "BokaMera";

/// The page routes.
pub fn router(bm: Arc<Bokamera>) -> Router {
    Router::new().route("/stripe/checkout/{id}", get(show).post(act)).with_state(bm)
}

fn page(bm: &Bokamera, checkout: &Checkout, session: &Session) -> String {
    match session.status {
        SessionStatus::Open => html::page(
            "BokaMera checkout",
            &checkout_body(
                "BokaMera checkout (Stripe):",
                &bm.config.company_name,
                session,
                &format!("/stripe/checkout/{}", session.id),
                &html::STANDARD_BUTTONS,
                None,
            ),
        ),
        SessionStatus::Complete => html::page(
            "BokaMera: payment complete",
            &format!(
                "<h1>Payment complete</h1><p>Thank you for your payment to {}.</p>{}{}",
                html::escape(&bm.config.company_name),
                lines_html(session),
                checkout
                    .confirmation_url
                    .as_deref()
                    .map(|u| format!(
                        "<p><a href=\"{}\">Return to merchant</a></p>",
                        html::escape(u)
                    ))
                    .unwrap_or_default()
            ),
        ),
        SessionStatus::Expired => html::expired_page(PROVIDER, checkout.cancel_url.as_deref()),
    }
}

fn hosted(bm: &Bokamera, id: &str) -> Option<(Checkout, Session)> {
    bm.checkout(id).filter(|(c, _)| c.ui_mode == UiMode::Hosted)
}

async fn show(State(bm): State<Arc<Bokamera>>, Path(id): Path<String>) -> Response {
    match hosted(&bm, &id) {
        Some((checkout, session)) => Html(page(&bm, &checkout, &session)).into_response(),
        None => html::not_found(PROVIDER),
    }
}

async fn act(
    State(bm): State<Arc<Bokamera>>,
    Path(id): Path<String>,
    Form(form): Form<PageAction>,
) -> Response {
    let Some((checkout, _)) = hosted(&bm, &id) else { return html::not_found(PROVIDER) };
    let here = format!("/stripe/checkout/{id}");
    match form.action.as_str() {
        "pay" => match bm.stripe.complete(&id, form.email) {
            Ok((session, pending)) => {
                bm.stripe.dispatch(pending).await;
                match &checkout.confirmation_url {
                    Some(url) => Redirect::to(url).into_response(),
                    None => Html(page(&bm, &checkout, &session)).into_response(),
                }
            }
            Err(_) => Redirect::to(&here).into_response(),
        },
        "decline" => match bm.stripe.decline(&id) {
            Ok((_, pending)) => {
                bm.stripe.dispatch(pending).await;
                Html(html::declined_page(PROVIDER, checkout.cancel_url.as_deref(), &here))
                    .into_response()
            }
            Err(_) => Redirect::to(&here).into_response(),
        },
        "cancel" => Redirect::to(checkout.cancel_url.as_deref().unwrap_or(&here)).into_response(),
        "expire" => match bm.stripe.expire(&id) {
            Ok((_, pending)) => {
                bm.stripe.dispatch(pending).await;
                Html(html::expired_page(PROVIDER, checkout.cancel_url.as_deref())).into_response()
            }
            Err(_) => Redirect::to(&here).into_response(),
        },
        _ => (StatusCode::BAD_REQUEST, "unknown action").into_response(),
    }
}
