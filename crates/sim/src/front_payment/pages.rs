//! Front Payment's customer pages: the payment page behind a regular order's `paymentUrl`
//! (`/order/{uuid}/pay`), the hosted checkout (`/order/hosted/{uuid}/checkout`) with its method
//! choice, and the simulated BankID verification (`/bankid/{uuid}`) of invoice orders.

use std::sync::Arc;

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::get,
    Form, Router,
};
use serde::Deserialize;

use super::{method_name, FrontPayment, Order, OrderKind};
use crate::html::{self, Line};

const PROVIDER: &str = "Front Payment";

/// Which page a form was posted from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Pay,
    Hosted,
    BankId,
}

/// A page button press; `method` is the hosted checkout's choice.
#[derive(Debug, Deserialize)]
struct PageAction {
    action: String,
    #[serde(default)]
    method: Option<String>,
}

/// The page routes.
pub fn router(front: Arc<FrontPayment>) -> Router {
    Router::new()
        .route("/order/{uuid}/pay", get(show_pay).post(act_pay))
        .route("/order/hosted/{uuid}/checkout", get(show_hosted).post(act_hosted))
        .route("/bankid/{uuid}", get(show_bankid).post(act_bankid))
        .with_state(front)
}

fn nok(minor: i64) -> String {
    html::money(minor, "NOK")
}

fn path(kind: Kind, order: &Order) -> String {
    match kind {
        Kind::Pay => format!("/order/{}/pay", order.uuid),
        Kind::Hosted => format!("/order/hosted/{}/checkout", order.uuid),
        Kind::BankId => format!("/bankid/{}", order.uuid),
    }
}

fn page(front: &FrontPayment, kind: Kind, order: &Order) -> String {
    if order.status != "SENT" {
        if order.status == front.config.expired_status {
            return html::expired_page(PROVIDER, order.failure_url.as_deref());
        }
        let (heading, back) = if order.status == front.config.paid_status {
            ("Payment complete", order.success_url.as_deref())
        } else if order.status == "INVOICED" {
            ("Invoice created", order.success_url.as_deref())
        } else {
            ("Order closed", order.failure_url.as_deref())
        };
        return html::state_page(
            PROVIDER,
            heading,
            &format!("Order {} is {}.", order.uuid, order.status),
            back,
        );
    }
    let lines: Vec<Line> = order
        .products
        .iter()
        .map(|p| Line { name: p.name.clone(), quantity: p.quantity.clone(), amount: nok(p.amount) })
        .collect();
    let (title, note, extra) = match kind {
        Kind::Pay => {
            let via = match &order.kind {
                OrderKind::Regular { via } => method_name(via),
                _ => "Card".into(),
            };
            ("Front Payment", format!("Pay with {via}. Test mode: nothing is charged."), String::new())
        }
        Kind::Hosted => (
            "Front Payment checkout",
            "Choose how to pay. Test mode: nothing is charged.".to_owned(),
            "<label>Payment method <select name=\"method\">\
             <option value=\"visa\">Visa</option><option value=\"mastercard\">Mastercard</option>\
             <option value=\"vipps\">Vipps</option><option value=\"applepay\">Apple Pay</option>\
             <option value=\"googlepay\">Google Pay</option><option value=\"invoice\">Pay by invoice</option>\
             </select></label>"
                .to_owned(),
        ),
        Kind::BankId => (
            "BankID verification for Front Payment",
            "Verify your identity with BankID to accept the invoice. Test mode: Pay verifies and signs.".to_owned(),
            String::new(),
        ),
    };
    html::page(
        title,
        &format!(
            "<h1>{}: {}</h1><p>Order {}</p>{}<p class=\"note\">{}</p>{}",
            html::escape(title),
            html::escape(&nok(order.amount)),
            html::escape(&order.uuid),
            html::lines_table(&lines, &nok(order.amount)),
            html::escape(&note),
            html::action_form(&path(kind, order), &html::STANDARD_BUTTONS, &extra),
        ),
    )
}

fn show(front: &FrontPayment, uuid: &str, kind: Kind) -> Response {
    match front.order(uuid) {
        Some(order) => Html(page(front, kind, &order)).into_response(),
        None => html::not_found(PROVIDER),
    }
}

async fn show_pay(State(front): State<Arc<FrontPayment>>, Path(uuid): Path<String>) -> Response {
    show(&front, &uuid, Kind::Pay)
}

async fn show_hosted(State(front): State<Arc<FrontPayment>>, Path(uuid): Path<String>) -> Response {
    show(&front, &uuid, Kind::Hosted)
}

async fn show_bankid(State(front): State<Arc<FrontPayment>>, Path(uuid): Path<String>) -> Response {
    show(&front, &uuid, Kind::BankId)
}

async fn act_pay(
    State(f): State<Arc<FrontPayment>>,
    Path(uuid): Path<String>,
    Form(a): Form<PageAction>,
) -> Response {
    act(&f, &uuid, Kind::Pay, a).await
}

async fn act_hosted(
    State(f): State<Arc<FrontPayment>>,
    Path(uuid): Path<String>,
    Form(a): Form<PageAction>,
) -> Response {
    act(&f, &uuid, Kind::Hosted, a).await
}

async fn act_bankid(
    State(f): State<Arc<FrontPayment>>,
    Path(uuid): Path<String>,
    Form(a): Form<PageAction>,
) -> Response {
    act(&f, &uuid, Kind::BankId, a).await
}

async fn act(front: &FrontPayment, uuid: &str, kind: Kind, action: PageAction) -> Response {
    let Some(order) = front.order(uuid) else { return html::not_found(PROVIDER) };
    let here = path(kind, &order);
    match action.action.as_str() {
        "pay" => {
            let method = match kind {
                Kind::BankId => Some("invoice".to_owned()),
                Kind::Hosted => Some(action.method.unwrap_or_else(|| "visa".into())),
                Kind::Pay => None,
            };
            // A private customer paying by invoice on the hosted page verifies with BankID first.
            if kind == Kind::Hosted
                && method.as_deref() == Some("invoice")
                && order.customer_type.as_deref() != Some("corporate")
            {
                return Redirect::to(&path(Kind::BankId, &order)).into_response();
            }
            match front.pay(uuid, method.as_deref()).await {
                Ok((order, _)) => match &order.success_url {
                    Some(url) => Redirect::to(url).into_response(),
                    None => Html(page(front, kind, &order)).into_response(),
                },
                Err(_) => Redirect::to(&here).into_response(),
            }
        }
        "decline" => match front.decline(uuid).await {
            Ok((order, _)) => {
                Html(html::declined_page(PROVIDER, order.failure_url.as_deref(), &here))
                    .into_response()
            }
            Err(_) => Redirect::to(&here).into_response(),
        },
        "cancel" => Redirect::to(order.failure_url.as_deref().unwrap_or(&here)).into_response(),
        "expire" => match front.expire(uuid) {
            Ok(order) => {
                Html(html::expired_page(PROVIDER, order.failure_url.as_deref())).into_response()
            }
            Err(_) => Redirect::to(&here).into_response(),
        },
        _ => (StatusCode::BAD_REQUEST, "unknown action").into_response(),
    }
}
