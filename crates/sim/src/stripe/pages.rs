//! Stripe's hosted Checkout page (`/c/pay/{id}`) and the embedded Checkout frame
//! (`/embedded/{id}`) that the Stripe.js stand-in mounts.
//!
//! The hosted page refuses framing (`X-Frame-Options: DENY`, `frame-ancestors 'none'`) as
//! checkout.stripe.com does; the embedded frame must be framed and talks to its parent only by
//! `postMessage` to the origin Stripe.js told it, after checking that origin's shape. Unless
//! the session says `redirect_on_completion: never`, the embedded page also offers "Pay with
//! bank redirect", a method that needs to leave the page: Stripe.js then sends the top window
//! to `return_url` instead of calling `onComplete` (see [`super::js`]).

use std::sync::Arc;

use axum::{
    extract::{Path, RawQuery, State},
    http::{header, HeaderValue, StatusCode},
    response::{Html, IntoResponse, Redirect, Response},
    routing::get,
    Form, Router,
};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{Owner, RedirectOnCompletion, Session, SessionStatus, Stripe, UiMode};
use crate::html::{self, Line};

/// The form a hosted-page button posts.
#[derive(Debug, Deserialize)]
pub struct PageAction {
    /// `pay`, `decline`, `cancel` or `expire`.
    pub action: String,
    /// The email typed on the page, if any.
    #[serde(default)]
    pub email: Option<String>,
}

/// The hosted and embedded page routes.
pub fn router(stripe: Arc<Stripe>) -> Router {
    Router::new()
        .route("/c/pay/{id}", get(hosted).post(hosted_action))
        .route("/embedded/{id}", get(embedded).post(embedded_action))
        .with_state(stripe)
}

/// The order table of a session.
pub fn lines_html(session: &Session) -> String {
    let lines: Vec<Line> = session
        .lines
        .iter()
        .map(|l| Line {
            name: l.name.clone(),
            quantity: l.quantity.to_string(),
            amount: html::money(l.amount(), &l.currency),
        })
        .collect();
    html::lines_table(&lines, &html::money(session.amount_total, &session.currency))
}

/// The body of an open session's page: heading, merchant, lines, message, email and buttons.
pub fn checkout_body(
    heading: &str,
    merchant: &str,
    session: &Session,
    action: &str,
    buttons: &[(&str, &str)],
    message: Option<&str>,
) -> String {
    let message = message
        .map(|m| format!("<p class=\"error\" role=\"alert\">{}</p>", html::escape(m)))
        .unwrap_or_default();
    let email = format!(
        "<label>Email <input type=\"email\" name=\"email\" autocomplete=\"email\" value=\"{}\"></label>",
        html::escape(session.customer_email.as_deref().unwrap_or(""))
    );
    format!(
        "<h1>{} {}</h1><p>Pay <strong>{}</strong></p>{}{message}{}\
         <p class=\"note\">Test mode: no real card is charged.</p>",
        html::escape(heading),
        html::escape(&html::money(session.amount_total, &session.currency)),
        html::escape(merchant),
        lines_html(session),
        html::action_form(action, buttons, &email),
    )
}

fn deny_framing(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("frame-ancestors 'none'"),
    );
    response
}

/// A hosted session this page serves: the merchant's own, or a platform's (BokaMera) whose
/// `url` names this page.
fn hosted_session(stripe: &Stripe, id: &str) -> Option<Session> {
    stripe.session(id).filter(|s| {
        s.ui_mode == UiMode::Hosted
            && (s.owner == Owner::Merchant
                || s.url.as_deref().is_some_and(|u| u.ends_with(&format!("/c/pay/{}", s.id))))
    })
}

async fn hosted(State(stripe): State<Arc<Stripe>>, Path(id): Path<String>) -> Response {
    let Some(session) = hosted_session(&stripe, &id) else {
        return deny_framing(html::not_found("Stripe Checkout"));
    };
    deny_framing(Html(hosted_page(&stripe, &session, None)).into_response())
}

fn hosted_page(stripe: &Stripe, session: &Session, message: Option<&str>) -> String {
    match session.status {
        SessionStatus::Open => html::page(
            "Stripe Checkout",
            &checkout_body(
                "Stripe Checkout:",
                &stripe.config.merchant_name,
                session,
                &format!("/c/pay/{}", session.id),
                &html::STANDARD_BUTTONS,
                message,
            ),
        ),
        SessionStatus::Complete => html::state_page(
            "Stripe Checkout",
            "Payment complete",
            "This Checkout Session has been paid.",
            session.success_url.as_deref().map(|u| session.substitute(u)).as_deref(),
        ),
        SessionStatus::Expired => {
            html::expired_page("Stripe Checkout", session.cancel_url.as_deref())
        }
    }
}

async fn hosted_action(
    State(stripe): State<Arc<Stripe>>,
    Path(id): Path<String>,
    Form(form): Form<PageAction>,
) -> Response {
    let Some(session) = hosted_session(&stripe, &id) else {
        return deny_framing(html::not_found("Stripe Checkout"));
    };
    let back_to_page = format!("/c/pay/{id}");
    let response = match form.action.as_str() {
        "pay" => match stripe.complete(&id, form.email) {
            Ok((session, pending)) => {
                stripe.dispatch(pending).await;
                let url = session.success_url.as_deref().map(|u| session.substitute(u));
                match url {
                    Some(url) => Redirect::to(&url).into_response(),
                    None => Html(hosted_page(&stripe, &session, None)).into_response(),
                }
            }
            Err(_) => Redirect::to(&back_to_page).into_response(),
        },
        "decline" => match stripe.decline(&id) {
            Ok((session, pending)) => {
                stripe.dispatch(pending).await;
                Html(html::declined_page(
                    "Stripe Checkout",
                    session.cancel_url.as_deref(),
                    &back_to_page,
                ))
                .into_response()
            }
            Err(_) => Redirect::to(&back_to_page).into_response(),
        },
        "cancel" => match &session.cancel_url {
            Some(url) => Redirect::to(url).into_response(),
            None => Redirect::to(&back_to_page).into_response(),
        },
        "expire" => match stripe.expire(&id) {
            Ok((session, pending)) => {
                stripe.dispatch(pending).await;
                Html(html::expired_page("Stripe Checkout", session.cancel_url.as_deref()))
                    .into_response()
            }
            Err(_) => Redirect::to(&back_to_page).into_response(),
        },
        _ => (StatusCode::BAD_REQUEST, "unknown action").into_response(),
    };
    deny_framing(response)
}

/// The query Stripe.js puts on the embedded frame's URL.
#[derive(Debug, Deserialize)]
struct EmbedQuery {
    client_secret: Option<String>,
    pk: Option<String>,
    origin: Option<String>,
    account: Option<String>,
}

/// Checks that `origin` is exactly an http(s) origin such as `http://127.0.0.1:8080`.
pub fn valid_origin(origin: &str) -> bool {
    match url::Url::parse(origin) {
        Ok(u) => {
            matches!(u.scheme(), "http" | "https")
                && u.host().is_some()
                && u.origin().ascii_serialization() == origin
        }
        Err(_) => false,
    }
}

fn embed_error(status: StatusCode, text: &str) -> Response {
    (
        status,
        Html(html::page(
            "Stripe embedded checkout",
            &format!(
                "<h1>Stripe embedded checkout</h1><p class=\"error\">{}</p>",
                html::escape(text)
            ),
        )),
    )
        .into_response()
}

/// Checks what Stripe.js sends (the publishable key, the client secret and the connected
/// account) against the session, as Stripe does before it shows anything.
pub(super) fn embedded_session(
    stripe: &Stripe,
    id: &str,
    client_secret: Option<&str>,
    pk: Option<&str>,
    account: Option<&str>,
) -> Result<Session, (StatusCode, &'static str)> {
    if pk != Some(stripe.config.publishable_key.as_str()) {
        return Err((
            StatusCode::UNAUTHORIZED,
            "Invalid API Key provided: the publishable key does not match this account.",
        ));
    }
    let session = stripe
        .session(id)
        .filter(|s| s.ui_mode == UiMode::Embedded)
        .filter(|s| s.client_secret.is_some() && s.client_secret.as_deref() == client_secret)
        .ok_or((StatusCode::NOT_FOUND, "No such Checkout Session for this client secret."))?;
    if session.account.as_deref() != account {
        return Err((
            StatusCode::FORBIDDEN,
            "This Checkout Session belongs to another account: pass stripeAccount to Stripe().",
        ));
    }
    Ok(session)
}

/// Validates the frame's query against the session; returns the session and parent origin.
fn framed_session(
    stripe: &Stripe,
    id: &str,
    query: &EmbedQuery,
) -> Result<(Session, String), (StatusCode, &'static str)> {
    let origin = query.origin.clone().unwrap_or_default();
    let session = embedded_session(
        stripe,
        id,
        query.client_secret.as_deref(),
        query.pk.as_deref(),
        query.account.as_deref(),
    )?;
    if !valid_origin(&origin) {
        return Err((StatusCode::BAD_REQUEST, "Invalid parent origin."));
    }
    Ok((session, origin))
}

/// JSON for an inline `<script>`, with `<` escaped so the text cannot close the element.
fn script_json(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into()).replace('<', "\\u003c")
}

/// How the customer paid on the embedded page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Completion {
    /// A card: no redirect needed.
    Card,
    /// A method that leaves the page (a bank redirect).
    Redirect,
}

fn embedded_page(
    stripe: &Stripe,
    session: &Session,
    origin: &str,
    query: &str,
    message: Option<&str>,
    completed: Option<Completion>,
) -> String {
    // A bank redirect needs to leave the page: Stripe offers such methods only to sessions
    // that allow a redirect (`redirect_on_completion` other than `never`).
    let redirects = session.redirect_on_completion != Some(RedirectOnCompletion::Never);
    let buttons: &[(&str, &str)] = if redirects {
        &[("pay", "Pay"), ("pay_redirect", "Pay with bank redirect"), ("decline", "Decline")]
    } else {
        &[("pay", "Pay"), ("decline", "Decline")]
    };
    let body = match session.status {
        SessionStatus::Open => checkout_body(
            "Stripe embedded checkout:",
            &stripe.config.merchant_name,
            session,
            &format!("/embedded/{}?{query}", session.id),
            buttons,
            message,
        ),
        SessionStatus::Complete => format!(
            "<h1>Payment successful</h1><p>Thanks for your payment to {}.</p>{}",
            html::escape(&stripe.config.merchant_name),
            lines_html(session)
        ),
        SessionStatus::Expired => {
            "<h1>Session expired</h1><p>This Checkout Session has expired.</p>".to_owned()
        }
    };
    let complete = if let Some(completion) = completed {
        let message = json!({
            "type": "kassa-sim:stripe:complete",
            "needs_redirect": completion == Completion::Redirect,
            "redirect_on_completion": session.redirect_on_completion.map(|r| r.as_str()),
            "return_url": session.return_url.as_deref().map(|u| session.substitute(u)),
        });
        format!("post({});", script_json(&message))
    } else {
        String::new()
    };
    let script = format!(
        "<script>(function(){{var origin={};\
         function post(m){{try{{window.parent.postMessage(m,origin);}}catch(e){{}}}}\
         function size(){{post({{type:\"kassa-sim:stripe:resize\",\
         height:document.documentElement.offsetHeight}});}}\
         size();window.addEventListener(\"load\",size);{complete}}})();</script>",
        script_json(&json!(origin)),
    );
    html::page("Stripe embedded checkout", &format!("{body}{script}"))
}

async fn embedded(
    State(stripe): State<Arc<Stripe>>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    axum::extract::Query(query): axum::extract::Query<EmbedQuery>,
) -> Response {
    match framed_session(&stripe, &id, &query) {
        Ok((session, origin)) => {
            Html(embedded_page(&stripe, &session, &origin, &raw.unwrap_or_default(), None, None))
                .into_response()
        }
        Err((status, text)) => embed_error(status, text),
    }
}

async fn embedded_action(
    State(stripe): State<Arc<Stripe>>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    axum::extract::Query(query): axum::extract::Query<EmbedQuery>,
    Form(form): Form<PageAction>,
) -> Response {
    let (session, origin) = match framed_session(&stripe, &id, &query) {
        Ok(found) => found,
        Err((status, text)) => return embed_error(status, text),
    };
    let raw = raw.unwrap_or_default();
    match form.action.as_str() {
        "pay" | "pay_redirect" => {
            let how = if form.action == "pay" { Completion::Card } else { Completion::Redirect };
            if how == Completion::Redirect
                && session.redirect_on_completion == Some(RedirectOnCompletion::Never)
            {
                return (StatusCode::BAD_REQUEST, "no redirect methods for this session")
                    .into_response();
            }
            match stripe.complete(&id, form.email) {
                Ok((session, pending)) => {
                    stripe.dispatch(pending).await;
                    Html(embedded_page(&stripe, &session, &origin, &raw, None, Some(how)))
                        .into_response()
                }
                Err(_) => Html(embedded_page(&stripe, &session, &origin, &raw, None, None))
                    .into_response(),
            }
        }
        "decline" => match stripe.decline(&id) {
            Ok((session, pending)) => {
                stripe.dispatch(pending).await;
                Html(embedded_page(
                    &stripe,
                    &session,
                    &origin,
                    &raw,
                    Some("Your card was declined."),
                    None,
                ))
                .into_response()
            }
            Err(_) => {
                Html(embedded_page(&stripe, &session, &origin, &raw, None, None)).into_response()
            }
        },
        _ => (StatusCode::BAD_REQUEST, "unknown action").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bare_http_origins_are_valid() {
        assert!(valid_origin("http://127.0.0.1:8080"));
        assert!(valid_origin("https://shop.example"));
        assert!(!valid_origin("https://shop.example/"), "a trailing slash is a URL, not an origin");
        assert!(!valid_origin("https://shop.example/path"));
        assert!(!valid_origin("javascript:alert(1)"));
        assert!(!valid_origin("null"));
        assert!(!valid_origin("*"));
    }

    #[test]
    fn script_json_cannot_close_the_script_element() {
        assert_eq!(script_json(&json!("</script>")), "\"\\u003c/script>\"");
    }
}
