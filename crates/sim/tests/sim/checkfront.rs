//! Checkfront over HTTP: envelope, auth, rated items, session, create as customer and staff,
//! the booking form and its required fields, the pay page by booking code, the token on
//! create, unsigned JSON and XML webhooks, pre-booking expiry.

use base64::Engine;
use kassa_sim::{checkfront::WebhookFormat, CheckfrontSim, SimHandle};
use serde_json::{json, Value};

use crate::helpers::{client, eventually, get_json, post_json, start_sim, Receiver};

fn basic() -> String {
    let c = CheckfrontSim::default();
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", c.api_key, c.api_secret))
    )
}

const DATE: &str = "20301205";

async fn get(sim: &SimHandle, path: &str, behalf: &str) -> (u16, Value) {
    let r = client()
        .get(format!("{}/api/3.0/{path}", sim.checkfront_url))
        .header("Authorization", basic())
        .header("X-On-Behalf", behalf)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn post_form(
    sim: &SimHandle,
    path: &str,
    behalf: &str,
    form: &[(&str, &str)],
) -> (u16, Value) {
    let r = client()
        .post(format!("{}/api/3.0/{path}", sim.checkfront_url))
        .header("Authorization", basic())
        .header("X-On-Behalf", behalf)
        .form(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// Rated item → session → create; returns the create answer.
async fn book(sim: &SimHandle, behalf: &str, qty: &str) -> Value {
    let (status, rated) =
        get(sim, &format!("item/1?start_date={DATE}&end_date={DATE}&param[qty]={qty}"), behalf)
            .await;
    assert_eq!(status, 200);
    assert_eq!(rated["request"]["status"], "OK");
    let slip =
        rated["item"]["rate"]["slip"].as_str().expect("an available item has a slip").to_owned();
    let (_, session) = post_form(sim, "booking/session", behalf, &[("slip[]", &slip)]).await;
    let session_id = session["booking"]["session"]["id"].as_str().unwrap().to_owned();
    let (status, created) = post_form(
        sim,
        "booking/create",
        behalf,
        &[
            ("session_id", &session_id),
            ("form[customer_name]", "Kari Nordmann"),
            ("form[customer_email]", "kari@example.no"),
            ("form[guide_language]", "nb"),
            ("form[pickup_point]", "Bryggen"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(created["request"]["status"], "OK", "{created}");
    created
}

#[tokio::test]
async fn auth_failures_are_oauth_bodies_outside_the_envelope() {
    let sim = start_sim(|_| {}).await;
    let r = client().get(format!("{}/api/3.0/item", sim.checkfront_url)).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"error": "invalid_request", "error_description": "The access token was not found."})
    );
    let r = client()
        .get(format!("{}/api/3.0/item", sim.checkfront_url))
        .header("Authorization", "Basic eDp5")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error_description"],
        "The access token provided is invalid."
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_rated_item_carries_a_slip_and_the_session_prices_it() {
    let sim = start_sim(|_| {}).await;
    let (_, rated) = get(&sim, &format!("item/1?start_date={DATE}&param[qty]=2"), "off").await;
    assert_eq!(rated["version"], "3.0");
    assert_eq!(rated["locale"]["currency"], "NOK");
    let rate = &rated["item"]["rate"];
    assert_eq!(rate["status"], "AVAILABLE");
    assert_eq!(rate["sub_total"], "900.00");
    let slip = rate["slip"].as_str().unwrap();
    let (_, session) = post_form(&sim, "booking/session", "off", &[("slip[]", slip)]).await;
    let s = &session["booking"]["session"];
    assert_eq!(s["total"], "900.00");
    assert_eq!(s["currency_id"], "NOK");
    assert_eq!(s["item"]["1"]["slip"], slip);

    let (_, sold_out) = get(&sim, &format!("item/1?start_date={DATE}&param[qty]=99"), "off").await;
    assert_eq!(sold_out["item"]["rate"]["status"], "SOLDOUT");
    assert!(sold_out["item"]["rate"].get("slip").is_none());
    sim.shutdown().await;
}

#[tokio::test]
async fn validation_errors_come_inside_the_envelope() {
    let sim = start_sim(|_| {}).await;
    let (_, rated) = get(&sim, &format!("item/2?start_date={DATE}&param[qty]=1"), "off").await;
    let slip = rated["item"]["rate"]["slip"].as_str().unwrap();
    let (status, body) = post_form(
        &sim,
        "booking/create",
        "off",
        &[("slip[]", slip), ("form[customer_email]", "a@b.no")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["request"]["status"], "ERROR");
    assert_eq!(body["request"]["error"]["id"], "validation_error");
    assert_eq!(body["request"]["error"]["title"], "Missing required fields");
    assert_eq!(
        body["request"]["error"]["details"],
        "The following fields are required: Name, Guide language, Pickup point"
    );
    assert_eq!(
        body["request"]["error"]["data"],
        json!({"customer_name": "Name", "guide_language": "Guide language", "pickup_point": "Pickup point"})
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn the_booking_form_lists_the_accounts_required_fields_and_create_enforces_them_c3() {
    let sim = start_sim(|_| {}).await;
    let (status, form) = get(&sim, "booking/form", "off").await;
    assert_eq!(status, 200);
    let ui = &form["booking_form_ui"];
    let language = &ui["guide_language"]["define"];
    assert_eq!(language["required"], 1);
    assert_eq!(language["layout"]["type"], "select");
    assert_eq!(language["layout"]["lbl"], "Guide language");
    assert_eq!(language["layout"]["options"]["nb"], "Norsk");
    assert_eq!(ui["pickup_point"]["define"]["layout"]["customer"]["required"], 1);
    assert_eq!(ui["pickup_point"]["define"]["layout"]["staff"]["required"], 0);
    assert_eq!(ui["customer_phone"]["define"]["required"], 0);
    assert_eq!(
        ui["booking_policy"]["fields"]["customer_tos_agree"]["define"]["layout"]["type"],
        "checkbox"
    );

    let (_, rated) = get(&sim, &format!("item/2?start_date={DATE}&param[qty]=1"), "off").await;
    let slip = rated["item"]["rate"]["slip"].as_str().unwrap();
    let (_, body) = post_form(
        &sim,
        "booking/create",
        "off",
        &[
            ("slip[]", slip),
            ("form[customer_name]", "Kari"),
            ("form[customer_email]", "a@b.no"),
            ("form[guide_language]", "fr"),
            ("form[pickup_point]", "Bryggen"),
        ],
    )
    .await;
    assert_eq!(body["request"]["status"], "ERROR", "a choice the select does not have");
    assert_eq!(body["request"]["error"]["id"], "validation_error");
    assert_eq!(body["request"]["error"]["data"], json!({"guide_language": "Guide language"}));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_booking_is_found_by_its_code_never_by_its_numeric_id_c1() {
    let sim = start_sim(|_| {}).await;
    let created = book(&sim, "off", "1").await;
    let code = created["booking"]["code"].as_str().unwrap();
    let id = created["booking"]["booking_id"].as_u64().unwrap();
    let token = created["booking"]["token"].as_str().unwrap();
    let page = |key: String| {
        client()
            .get(format!("{}/reserve/booking/{key}?CFX={token}&view=pay", sim.checkfront_url))
            .send()
    };
    assert_eq!(page(code.to_owned()).await.unwrap().status(), 200);
    assert_eq!(page(id.to_string()).await.unwrap().status(), 404, "a numeric id is no code");
    let (status, body) = get(&sim, &format!("booking/{id}"), "off").await;
    assert_eq!((status, &body["request"]["status"]), (404, &json!("ERROR")));
    sim.shutdown().await;
}

#[tokio::test]
async fn the_token_comes_on_create_and_on_get_only_when_configured_c2() {
    let sim = start_sim(|_| {}).await;
    let created = book(&sim, "1", "1").await;
    let code = created["booking"]["code"].as_str().unwrap();
    assert!(created["booking"]["token"].as_str().is_some_and(|t| !t.is_empty()));
    let (_, booking) = get(&sim, &format!("booking/{code}"), "1").await;
    assert!(booking["booking"].get("token").is_none(), "{booking}");
    sim.shutdown().await;

    let sim = start_sim(|c| c.checkfront.token_on_get = true).await;
    let created = book(&sim, "1", "1").await;
    let code = created["booking"]["code"].as_str().unwrap();
    let (_, booking) = get(&sim, &format!("booking/{code}"), "1").await;
    assert_eq!(booking["booking"]["token"], created["booking"]["token"]);
    sim.shutdown().await;
}

#[tokio::test]
async fn xml_webhooks_put_the_customers_code_before_the_bookings_c4() {
    let receiver = Receiver::start().await;
    let hook = format!("{}/hook", receiver.url);
    let sim = start_sim(|c| {
        c.checkfront.webhook_url = Some(hook);
        c.checkfront.webhook_format = WebhookFormat::Xml;
    })
    .await;
    let created = book(&sim, "off", "1").await;
    let code = created["booking"]["code"].as_str().unwrap().to_owned();
    client()
        .post(format!("{}/__sim/sessions/{code}/pay", sim.checkfront_url))
        .send()
        .await
        .unwrap();
    let received = receiver.received();
    let xml = received
        .iter()
        .map(|r| String::from_utf8(r.body.to_vec()).unwrap())
        .find(|b| b.contains("<status>PAID</status>") && b.contains("<booking "))
        .expect("a PAID booking notice in XML");
    assert!(xml.starts_with("<?xml"), "{xml}");
    let first_code = xml.find("<code>").unwrap();
    assert!(!xml[first_code..].starts_with(&format!("<code>{code}")), "customer first: {xml}");
    assert!(xml.contains(&format!("<code>{code}</code>")), "{xml}");
    let content_type = received[0].headers["content-type"].to_str().unwrap().to_owned();
    assert_eq!(content_type, "application/xml");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_customer_booking_gets_a_payment_url_and_paying_sends_webhooks() {
    let receiver = Receiver::start().await;
    let sim = start_sim(|_| {}).await;
    post_json(
        &format!("{}/__sim/webhook", sim.checkfront_url),
        json!({"url": format!("{}/cf/hook", receiver.url)}),
    )
    .await;
    post_json(&format!("{}/__sim/return-urls", sim.checkfront_url), json!({"success": "https://shop.example/ok?b={code}", "cancel": "https://shop.example/cancel"})).await;
    let created = book(&sim, "off", "2").await;
    let code = created["booking"]["code"].as_str().unwrap().to_owned();
    let url = created["booking"]["customer_payment_url"].as_str().unwrap().to_owned();
    assert_eq!(created["request"]["url"], url);
    let token = created["booking"]["token"].as_str().unwrap();
    assert_eq!(url, format!("{}/reserve/booking/{code}?CFX={token}&view=pay", sim.checkfront_url));

    let (_, booking) = get(&sim, &format!("booking/{code}"), "off").await;
    assert_eq!(booking["booking"]["status_id"], "PEND");
    assert_eq!(booking["booking"]["total"], "900.00");

    let html = client().get(&url).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(&format!("<h1>Checkfront booking {code}: 900.00 NOK</h1>")), "{html}");
    let wrong = client().get(url.replace(token, "nope")).send().await.unwrap();
    assert_eq!(wrong.status(), 403);

    let response = client().post(&url).form(&[("action", "pay")]).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], format!("https://shop.example/ok?b={code}"));

    let hooks: Vec<Value> =
        receiver.received().iter().map(|r| serde_json::from_slice(&r.body).unwrap()).collect();
    let paid =
        hooks.iter().find(|h| h["booking"]["status"] == "PAID").expect("a PAID booking webhook");
    assert_eq!(paid["booking"]["code"], code.as_str());
    assert_eq!(paid["booking"]["order"]["paid_total"], "900.00");
    assert!(
        paid["booking"]["order"]["items"]["item"].is_object(),
        "one item is an object, not an array"
    );
    let txn = hooks.iter().find(|h| h["type"] == "transaction").expect("a payment webhook");
    assert_eq!(txn["transaction"]["booking_id"], code.as_str());
    assert!(receiver.received().iter().all(|r| r.headers.get("x-signature").is_none()));

    let (_, booking) = get(&sim, &format!("booking/{code}"), "off").await;
    assert_eq!(booking["booking"]["status_id"], "PAID");
    assert_eq!(booking["booking"]["paid_total"], "900.00");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_staff_booking_has_no_payment_url_but_the_cfx_page_works() {
    let sim = start_sim(|_| {}).await;
    let created = book(&sim, "1", "1").await;
    assert!(created["booking"].get("customer_payment_url").is_none());
    assert!(created["request"].get("url").is_none());
    let code = created["booking"]["code"].as_str().unwrap();
    let (_, index) = get(&sim, "booking/index", "1").await;
    let row = index["booking/index"].as_object().unwrap().values().next().unwrap().clone();
    assert_eq!(row["code"], code);
    let token = row["token"].as_str().unwrap();
    let page = client()
        .get(format!("{}/reserve/booking/{code}?CFX={token}&view=pay", sim.checkfront_url))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers().get("x-frame-options").is_none(), "frameable");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_pre_booking_lapses_and_releases_its_stock() {
    let receiver = Receiver::start().await;
    let hook = format!("{}/hook", receiver.url);
    let sim = start_sim(|c| c.checkfront.webhook_url = Some(hook)).await;
    let created = book(&sim, "off", "12").await;
    let code = created["booking"]["code"].as_str().unwrap().to_owned();
    let (_, rated) = get(&sim, &format!("item/1?start_date={DATE}&param[qty]=1"), "off").await;
    assert_eq!(rated["item"]["rate"]["status"], "SOLDOUT", "the pre-booking holds the stock");

    post_json(&format!("{}/__sim/clock", sim.checkfront_url), json!({"advance_secs": 901})).await;
    let (_, booking) = get(&sim, &format!("booking/{code}"), "off").await;
    assert_eq!(booking["booking"]["status_id"], "VOID");
    let (_, rated) = get(&sim, &format!("item/1?start_date={DATE}&param[qty]=1"), "off").await;
    assert_eq!(rated["item"]["rate"]["status"], "AVAILABLE");
    eventually("the lapse webhook", || async {
        receiver
            .received()
            .iter()
            .any(|r| {
                serde_json::from_slice::<Value>(&r.body).unwrap()["booking"]["status"] == "VOID"
            })
            .then_some(())
    })
    .await;
    let state = get_json(&format!("{}/__sim/state", sim.checkfront_url)).await;
    assert_eq!(state["bookings"][0]["status_id"], "VOID");
    sim.shutdown().await;
}
