//! Front Payment over HTTP: envelopes, orders, status, pages, checksummed callbacks, faults.

use kassa_sim::{front_payment::ChecksumFormula, FrontPaymentSim, SimHandle};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::helpers::{client, eventually, post_json, start_sim, Receiver};

fn token() -> String {
    FrontPaymentSim::default().bearer_token
}

fn order_body(callback: &str) -> Value {
    json!({
        "products": [{"name": "Kayak tour", "productId": "K1", "quantity": 1, "rate": 4500, "discount": 0, "tax": 12, "amount": 4500}],
        "orderSummary": {"subTotal": 4017.86, "totalTax": 482.14, "totalDiscount": 0.00, "grandTotal": 4500.00, "shippingCost": 0.00},
        "referenceNo": "ord_9",
        "customerReference": "",
        "orderDate": kassa_sim::clock::wall_secs().to_string(),
        "withCustomer": true,
        "customerDetails": {
            "type": "private", "countryCode": "+47", "msisdn": "46567468", "email": "kari@nordmann.no",
            "name": "Kari Nordmann", "preferredLanguage": "en", "personalNumber": "28038712383", "organizationId": null,
            "address": {"street": "Luramyrveien 65", "zip": "4313", "city": "Sandnes", "country": "NO"}
        },
        "submitPayment": {"via": "visa"},
        "callback": {"callbackUrl": callback, "success": "https://shop.example/ok", "failure": "https://shop.example/failed"},
    })
}

async fn post(sim: &SimHandle, path: &str, body: &Value) -> (u16, Value) {
    let response = client()
        .post(format!("{}{path}", sim.front_payment_url))
        .bearer_auth(token())
        .json(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn status_text(sim: &SimHandle, uuid: &str) -> (u16, String) {
    let response = client()
        .get(format!("{}/api/v1/connect/orders/status/{uuid}", sim.front_payment_url))
        .bearer_auth(token())
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

fn verify_current_checksum(query: &str, secret: &str) -> bool {
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    let Some((_, given)) = pairs.iter().find(|(k, _)| k == "checksum") else { return false };
    let mut input: String =
        pairs.iter().filter(|(k, _)| k != "checksum").map(|(_, v)| v.as_str()).collect();
    input.push_str(secret);
    hex::encode(Sha256::digest(input.as_bytes())) == *given
}

#[tokio::test]
async fn a_regular_order_is_submitted_and_reported_in_the_envelope() {
    let sim = start_sim(|_| {}).await;
    let (status, body) =
        post(&sim, "/api/v1/connect/orders/regular/submit", &order_body("https://shop.example/cb"))
            .await;
    assert_eq!(status, 201);
    assert_eq!(body["status_code"], 201);
    assert_eq!(body["status_message"], "OK");
    assert_eq!(body["is_data"], true);
    let uuid = body["data"]["orderUuid"].as_str().unwrap();
    assert!(uuid.starts_with("ODR") && uuid.len() == 13);
    assert!(body["data"]["customerUuid"].as_str().unwrap().starts_with("CSRT"));
    assert_eq!(body["data"]["paymentUrl"], format!("{}/order/{uuid}/pay", sim.front_payment_url));

    let (status, text) = status_text(&sim, uuid).await;
    assert_eq!(status, 200);
    assert!(text.contains("\"orderAmount\":4500.00"), "exact amount: {text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["data"]["status"], "SENT");
    assert_eq!(body["data"]["uuid"], uuid);

    let (status, text) = status_text(&sim, "ODR0000000000").await;
    assert_eq!(status, 404);
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        body,
        json!({"status_code": 404, "status_message": "Not Found", "message": "orderNotFound", "is_error": false, "errors": null})
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn auth_and_validation_errors_use_the_envelope() {
    let sim = start_sim(|_| {}).await;
    let response = client()
        .post(format!("{}/api/v1/connect/orders/regular/submit", sim.front_payment_url))
        .bearer_auth("wrong")
        .json(&order_body("https://shop.example/cb"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);

    let mut body = order_body("https://shop.example/cb");
    body["products"][0]["tax"] = json!(13);
    body["submitPayment"]["via"] = json!("cash");
    body["callback"]["success"] = json!("not a url");
    body["orderSummary"].as_object_mut().unwrap().remove("grandTotal");
    let (status, body) = post(&sim, "/api/v1/connect/orders/regular/submit", &body).await;
    assert_eq!(status, 422);
    assert_eq!(body["is_error"], true);
    for field in
        ["products.0.tax", "submitPayment.via", "callback.success", "orderSummary.grandTotal"]
    {
        assert!(body["errors"][field].is_array(), "{field} is reported: {body}");
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn paying_sends_a_checksummed_callback_then_redirects() {
    let receiver = Receiver::start().await;
    let sim = start_sim(|_| {}).await;
    let (_, body) = post(
        &sim,
        "/api/v1/connect/orders/regular/submit",
        &order_body(&format!("{}/fp/cb/ord_9", receiver.url)),
    )
    .await;
    let uuid = body["data"]["orderUuid"].as_str().unwrap();
    let page = body["data"]["paymentUrl"].as_str().unwrap();
    let html = client().get(page).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("<h1>Front Payment: 4500.00 NOK</h1>"), "{html}");

    let response = client().post(page).form(&[("action", "pay")]).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "https://shop.example/ok");

    let received = receiver.received();
    assert_eq!(received.len(), 1, "the callback arrived before the redirect");
    let callback = &received[0];
    assert_eq!(callback.method, "GET");
    assert_eq!(callback.uri.path(), "/fp/cb/ord_9");
    let query = callback.uri.query().unwrap();
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    let names: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        ["orderUuid", "status", "paymentMethod", "amount", "createdAt", "timestamp", "checksum"]
    );
    assert_eq!(pairs[0].1, uuid);
    assert_eq!(pairs[1].1, "PAID");
    assert_eq!(pairs[2].1, "Visa");
    assert_eq!(pairs[3].1, "4500");
    assert!(verify_current_checksum(query, &FrontPaymentSim::default().secret_key));
    assert!(!verify_current_checksum(query, "another secret"));

    let (_, text) = status_text(&sim, uuid).await;
    assert!(text.contains("\"status\":\"PAID\""));
    sim.shutdown().await;
}

const HOSTED: &str = "/api/v1/connect/hosted/orders/payment-link/create";

fn hosted_body() -> Value {
    let mut body = order_body("https://shop.example/cb");
    body.as_object_mut().unwrap().remove("submitPayment");
    body.as_object_mut().unwrap().remove("withCustomer");
    body["dueDateForPaymentLink"] = json!((kassa_sim::clock::wall_secs() + 3600).to_string());
    body
}

#[tokio::test]
async fn the_hosted_payment_link_is_served_under_api_v1_only_f5() {
    let sim = start_sim(|_| {}).await;
    let (status, created) = post(&sim, HOSTED, &hosted_body()).await;
    assert_eq!(status, 201, "{created}");
    let uuid = created["data"]["orderUuid"].as_str().unwrap();
    assert_eq!(
        created["data"]["paymentUrl"],
        format!("{}/order/hosted/{uuid}/checkout", sim.front_payment_url)
    );
    let (status, answer) =
        post(&sim, "/v1/connect/hosted/orders/payment-link/create", &hosted_body()).await;
    assert_eq!(status, 404, "the old /v1 alias is gone: {answer}");
    sim.shutdown().await;
}

#[tokio::test]
async fn via_is_one_of_the_five_documented_methods_and_never_invoice_f5() {
    let sim = start_sim(|_| {}).await;
    let regular = "/api/v1/connect/orders/regular/submit";
    for via in ["vipps", "visa", "mastercard", "applepay", "googlepay"] {
        let mut body = order_body("https://shop.example/cb");
        body["submitPayment"]["via"] = json!(via);
        let (status, answer) = post(&sim, regular, &body).await;
        assert_eq!(status, 201, "{via}: {answer}");
    }
    let mut body = order_body("https://shop.example/cb");
    body["submitPayment"]["via"] = json!("invoice");
    let (status, answer) = post(&sim, regular, &body).await;
    assert_eq!(status, 422, "{answer}");
    assert!(answer["errors"]["submitPayment.via"].is_array(), "{answer}");
    sim.shutdown().await;
}

#[tokio::test]
async fn an_order_date_before_today_in_oslo_is_refused_and_earlier_today_is_not_f3() {
    let sim = start_sim(|_| {}).await;
    let regular = "/api/v1/connect/orders/regular/submit";
    let now = kassa_sim::clock::wall_secs();
    let oslo_offset = kassa_sim::front_payment::oslo::offset_secs;
    // Midnight in Oslo today, as a unix second (summer time changes at 01:00 UTC, so the
    // offset an hour before the local day's start is the offset at midnight).
    let local_day = (now + oslo_offset(now)).div_euclid(86_400) * 86_400;
    let midnight = local_day - oslo_offset(local_day - 3600);
    assert_eq!(
        kassa_sim::front_payment::oslo::date(midnight),
        kassa_sim::front_payment::oslo::date(now)
    );
    let mut body = order_body("https://shop.example/cb");
    body["orderDate"] = json!(midnight.to_string());
    let (status, answer) = post(&sim, regular, &body).await;
    assert_eq!(status, 201, "the first second of today in Oslo is current: {answer}");
    body["orderDate"] = json!((midnight - 1).to_string());
    let (status, answer) = post(&sim, regular, &body).await;
    assert_eq!(status, 422, "the last second of yesterday in Oslo: {answer}");
    assert!(answer["errors"]["orderDate"].is_array(), "{answer}");
    // The invoice and hosted creates are held to it as well.
    let mut invoice = order_body("https://shop.example/cb");
    invoice["invoiceFeeApplicable"] = json!(false);
    invoice["orderDate"] = json!((midnight - 1).to_string());
    let (status, _) = post(&sim, "/api/v1/connect/orders/invoice/submit", &invoice).await;
    assert_eq!(status, 422);
    let mut hosted = hosted_body();
    hosted["orderDate"] = json!((midnight - 1).to_string());
    let (status, _) = post(&sim, HOSTED, &hosted).await;
    assert_eq!(status, 422);
    sim.shutdown().await;
}

#[tokio::test]
async fn the_hosted_create_takes_the_organisation_number_as_a_number_only_f6() {
    let sim = start_sim(|_| {}).await;
    let mut body = hosted_body();
    body["customerDetails"]["type"] = json!("corporate");
    body["customerDetails"]["organizationId"] = json!("987654321");
    let (status, answer) = post(&sim, HOSTED, &body).await;
    assert_eq!(status, 422, "{answer}");
    assert!(answer["errors"]["customerDetails.organizationId"].is_array(), "{answer}");
    body["customerDetails"]["organizationId"] = json!(987_654_321);
    let (status, answer) = post(&sim, HOSTED, &body).await;
    assert_eq!(status, 201, "{answer}");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_payment_link_expires_at_its_due_date() {
    let sim = start_sim(|_| {}).await;
    let mut body = order_body("https://shop.example/cb");
    body["dueDateForPaymentLink"] = json!((kassa_sim::clock::wall_secs() + 600).to_string());
    let (_, created) = post(&sim, HOSTED, &body).await;
    let uuid = created["data"]["orderUuid"].as_str().unwrap();
    post_json(&format!("{}/__sim/clock", sim.front_payment_url), json!({"advance_secs": 601}))
        .await;
    let (_, text) = status_text(&sim, uuid).await;
    assert!(text.contains("\"status\":\"EXPIRED\""), "{text}");
    let html = client()
        .get(created["data"]["paymentUrl"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<h1>Session expired</h1>") && !html.contains(">Pay<"));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_private_invoice_goes_through_bankid_before_it_is_invoiced_and_called_back_f1() {
    let receiver = Receiver::start().await;
    let sim = start_sim(|_| {}).await;
    let mut body = order_body(&format!("{}/cb", receiver.url));
    body["invoiceFeeApplicable"] = json!(false);
    let (status, created) = post(&sim, "/api/v1/connect/orders/invoice/submit", &body).await;
    assert_eq!(status, 201, "{created}");
    let uuid = created["data"]["orderUuid"].as_str().unwrap().to_owned();
    let bankid =
        created["data"]["bankIdUrl"].as_str().expect("a private invoice answers bankIdUrl");
    assert_eq!(bankid, format!("{}/bankid/{uuid}", sim.front_payment_url));
    assert!(created["data"].get("paymentUrl").is_none(), "{created}");
    let (_, text) = status_text(&sim, &uuid).await;
    assert!(text.contains("\"status\":\"SENT\""), "not invoiced before BankID: {text}");
    assert!(receiver.received().is_empty(), "no callback before BankID");

    let page = client().get(bankid).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("BankID"), "{page}");
    let response = client().post(bankid).form(&[("action", "pay")]).send().await.unwrap();
    assert_eq!(response.status(), 303);
    let (_, text) = status_text(&sim, &uuid).await;
    assert!(text.contains("\"status\":\"INVOICED\""), "{text}");
    let callback =
        eventually("the INVOICED callback", || async { receiver.received().first().cloned() })
            .await;
    assert!(callback.uri.query().unwrap().contains("status=INVOICED"));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_corporate_invoice_or_one_configured_without_bankid_is_invoiced_at_once() {
    let receiver = Receiver::start().await;
    let sim = start_sim(|_| {}).await;
    let mut body = order_body(&format!("{}/cb", receiver.url));
    body["invoiceFeeApplicable"] = json!(false);
    body["customerDetails"]["type"] = json!("corporate");
    body["customerDetails"]["organizationId"] = json!("123456789");
    let (_, created) = post(&sim, "/api/v1/connect/orders/invoice/submit", &body).await;
    assert!(created["data"].get("bankIdUrl").is_none(), "{created}");
    let uuid = created["data"]["orderUuid"].as_str().unwrap();
    let (_, text) = status_text(&sim, uuid).await;
    assert!(text.contains("\"status\":\"INVOICED\""), "{text}");
    sim.shutdown().await;

    let sim = start_sim(|c| c.front_payment.invoice_private_bankid = false).await;
    let mut body = order_body(&format!("{}/cb", receiver.url));
    body["invoiceFeeApplicable"] = json!(false);
    let (_, created) = post(&sim, "/api/v1/connect/orders/invoice/submit", &body).await;
    assert!(created["data"].get("bankIdUrl").is_none(), "{created}");
    let (_, text) = status_text(&sim, created["data"]["orderUuid"].as_str().unwrap()).await;
    assert!(text.contains("\"status\":\"INVOICED\""), "{text}");
    sim.shutdown().await;
}

#[tokio::test]
async fn an_invoiced_order_is_not_paid_until_the_invoice_is_and_then_calls_back_paid_f4() {
    let receiver = Receiver::start().await;
    let sim = start_sim(|c| c.front_payment.invoice_private_bankid = false).await;
    let mut body = order_body(&format!("{}/cb", receiver.url));
    body["invoiceFeeApplicable"] = json!(false);
    let (_, created) = post(&sim, "/api/v1/connect/orders/invoice/submit", &body).await;
    let uuid = created["data"]["orderUuid"].as_str().unwrap().to_owned();
    eventually("the INVOICED callback", || async { receiver.received().first().cloned() }).await;
    let response = client()
        .post(format!("{}/__sim/sessions/{uuid}/pay", sim.front_payment_url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (_, text) = status_text(&sim, &uuid).await;
    assert!(text.contains("\"status\":\"PAID\""), "{text}");
    let paid = eventually("the PAID callback", || async {
        receiver
            .received()
            .into_iter()
            .find(|r| r.uri.query().unwrap_or("").contains("status=PAID"))
    })
    .await;
    assert!(paid.uri.query().unwrap().contains(&format!("orderUuid={uuid}")));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_historical_checksum_formula_can_be_selected() {
    let receiver = Receiver::start().await;
    let sim = start_sim(|c| c.front_payment.checksum_formula = ChecksumFormula::Rev936).await;
    let (_, body) = post(
        &sim,
        "/api/v1/connect/orders/regular/submit",
        &order_body(&format!("{}/cb", receiver.url)),
    )
    .await;
    let uuid = body["data"]["orderUuid"].as_str().unwrap();
    client()
        .post(format!("{}/__sim/sessions/{uuid}/pay", sim.front_payment_url))
        .send()
        .await
        .unwrap();
    let query = receiver.received()[0].uri.query().unwrap().to_owned();
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).unwrap().1.clone();
    let expected = hex::encode(Sha256::digest(
        format!(
            "{}{}{}{}",
            get("orderUuid"),
            get("status"),
            get("createdAt"),
            FrontPaymentSim::default().secret_key
        )
        .as_bytes(),
    ));
    assert_eq!(get("checksum"), expected);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_510_fault_uses_front_payments_envelope() {
    let sim = start_sim(|_| {}).await;
    post_json(
        &format!("{}/__sim/faults", sim.front_payment_url),
        json!({"kind": "status", "status": 510}),
    )
    .await;
    let (status, body) =
        post(&sim, "/api/v1/connect/orders/regular/submit", &order_body("https://shop.example/cb"))
            .await;
    assert_eq!(status, 510);
    assert_eq!(body["status_message"], "Execution Exception Occurred");
    assert_eq!(body["is_error"], true);
    sim.shutdown().await;
}

async fn get_json(sim: &SimHandle, path: &str) -> Value {
    client()
        .get(format!("{}{path}", sim.front_payment_url))
        .bearer_auth(token())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The same order, now two kayak tours with another callback, updating `uuid`.
fn update_body(uuid: &str) -> Value {
    let mut body = order_body("https://shop.example/cb2");
    body["products"][0]["quantity"] = json!(2);
    body["products"][0]["amount"] = json!(9000);
    body["orderSummary"] = json!({"subTotal": 8035.71, "totalTax": 964.29, "totalDiscount": 0.00, "grandTotal": 9000.00, "shippingCost": 0.00});
    body["customerDetails"]["name"] = json!("Ola Nordmann");
    body["fpgoUuid"] = json!(uuid);
    body["orderFrom"] = json!("PARTNER");
    body
}

#[tokio::test]
async fn fpgo_uuid_updates_the_order_in_place_instead_of_adding_another() {
    let sim = start_sim(|c| c.front_payment.partner = true).await;
    let regular = "/api/v1/connect/orders/regular/submit";
    let (_, created) = post(&sim, regular, &order_body("https://shop.example/cb")).await;
    let uuid = created["data"]["orderUuid"].as_str().unwrap().to_owned();
    // A cancelled (not paid) order opens again.
    let (status, _) =
        post(&sim, &format!("/api/v1/connect/orders/cancel/{uuid}"), &json!({})).await;
    assert_eq!(status, 200);

    let (status, updated) = post(&sim, regular, &update_body(&uuid)).await;
    assert_eq!(status, 201, "{updated}");
    assert_eq!(updated["data"]["orderUuid"], uuid.as_str());
    assert_eq!(updated["data"]["customerUuid"], created["data"]["customerUuid"]);
    assert_eq!(
        updated["data"]["paymentUrl"],
        format!("{}/order/{uuid}/pay", sim.front_payment_url)
    );

    let list = get_json(&sim, "/api/v1/connect/orders/status").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "one order, not two: {list}");
    let (_, text) = status_text(&sim, &uuid).await;
    assert!(text.contains("\"orderAmount\":9000.00"), "{text}");
    assert!(text.contains("\"status\":\"SENT\""), "{text}");
    let details = get_json(&sim, &format!("/api/v1/connect/orders/details/{uuid}")).await;
    assert_eq!(details["data"]["customerName"], "Ola Nordmann");
    assert_eq!(details["data"]["products"][0]["quantity"], "2");

    // The hosted and invoice creates take it too.
    let hosted_path = HOSTED;
    let due = json!((kassa_sim::clock::wall_secs() + 600).to_string());
    let mut body = order_body("https://shop.example/cb");
    body["dueDateForPaymentLink"] = due.clone();
    let (_, hosted) = post(&sim, hosted_path, &body).await;
    let hosted_uuid = hosted["data"]["orderUuid"].as_str().unwrap().to_owned();
    let mut body = update_body(&hosted_uuid);
    body["dueDateForPaymentLink"] = due;
    let (status, again) = post(&sim, hosted_path, &body).await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(again["data"]["orderUuid"], hosted_uuid.as_str());
    // A private invoice waits for BankID, so it can still be updated.
    let mut private = order_body("https://shop.example/cb");
    private["invoiceFeeApplicable"] = json!(false);
    let invoice = "/api/v1/connect/orders/invoice/submit";
    let (_, first) = post(&sim, invoice, &private).await;
    let invoice_uuid = first["data"]["orderUuid"].as_str().unwrap().to_owned();
    private["fpgoUuid"] = json!(invoice_uuid);
    private["orderFrom"] = json!("PARTNER");
    let (status, again) = post(&sim, invoice, &private).await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(again["data"]["orderUuid"], invoice_uuid.as_str());
    let list = get_json(&sim, "/api/v1/connect/orders/status").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 3, "{list}");
    sim.shutdown().await;
}

#[tokio::test]
async fn order_from_partner_is_refused_from_a_merchant_that_is_not_a_partner_f2() {
    let sim = start_sim(|_| {}).await;
    let regular = "/api/v1/connect/orders/regular/submit";
    let (_, created) = post(&sim, regular, &order_body("https://shop.example/cb")).await;
    let uuid = created["data"]["orderUuid"].as_str().unwrap().to_owned();
    let (status, answer) = post(&sim, regular, &update_body(&uuid)).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["status_code"], 422);
    assert_eq!(answer["message"], "The given data was invalid.");
    assert_eq!(answer["is_error"], true);
    assert!(answer["errors"]["orderFrom"][0].as_str().unwrap().contains("partner"), "{answer}");
    let (_, text) = status_text(&sim, &uuid).await;
    assert!(text.contains("\"orderAmount\":4500.00"), "the order is unchanged: {text}");
    sim.shutdown().await;
}

#[tokio::test]
async fn fpgo_uuid_needs_order_from_partner_and_an_order_that_exists() {
    let sim = start_sim(|c| c.front_payment.partner = true).await;
    let regular = "/api/v1/connect/orders/regular/submit";
    let (_, created) = post(&sim, regular, &order_body("https://shop.example/cb")).await;
    let uuid = created["data"]["orderUuid"].as_str().unwrap().to_owned();

    let mut body = update_body(&uuid);
    body.as_object_mut().unwrap().remove("orderFrom");
    let (status, answer) = post(&sim, regular, &body).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["message"], "The given data was invalid.");
    assert!(answer["errors"]["orderFrom"].is_array(), "{answer}");

    body["orderFrom"] = json!("MERCHANT");
    let (status, answer) = post(&sim, regular, &body).await;
    assert_eq!(status, 422, "{answer}");
    assert!(answer["errors"]["orderFrom"].is_array(), "{answer}");

    let (status, answer) = post(&sim, regular, &update_body("ODR0000000000")).await;
    assert_eq!(status, 404);
    assert_eq!(
        answer,
        json!({"status_code": 404, "status_message": "Not Found", "message": "orderNotFound", "is_error": false, "errors": null})
    );
    let (_, text) = status_text(&sim, &uuid).await;
    assert!(text.contains("\"orderAmount\":4500.00"), "refused updates change nothing: {text}");
    let list = get_json(&sim, "/api/v1/connect/orders/status").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_paid_order_is_not_updated_through_fpgo_uuid() {
    let sim = start_sim(|c| c.front_payment.partner = true).await;
    let regular = "/api/v1/connect/orders/regular/submit";
    let (_, created) = post(&sim, regular, &order_body("https://shop.example/cb")).await;
    let uuid = created["data"]["orderUuid"].as_str().unwrap().to_owned();
    client()
        .post(format!("{}/__sim/sessions/{uuid}/pay", sim.front_payment_url))
        .send()
        .await
        .unwrap();

    let (status, answer) = post(&sim, regular, &update_body(&uuid)).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["is_error"], true);
    assert_eq!(answer["message"], "orderCannotBeUpdated: order is PAID");
    let (_, text) = status_text(&sim, &uuid).await;
    assert!(
        text.contains("\"status\":\"PAID\"") && text.contains("\"orderAmount\":4500.00"),
        "{text}"
    );
    sim.shutdown().await;
}
