//! Payfect over HTTP: create, retrieve, DRF errors, Fernet-signed callbacks, expiry, and
//! what the docs show (seed `001_c6386d4c04e7a41f.txt`, `docs/payment/callback.md`): 200 on
//! create, whole-unit prices, mixed currencies, success-only `usdt` callbacks.

use kassa_sim::{
    payfect::{CallbackCurrency, UnitRounding},
    PayfectSim, SimHandle,
};
use serde_json::{json, Value};

use crate::helpers::{client, get_json, post_json, start_sim, Receiver};

fn api_key() -> String {
    format!("Api-Key {}", PayfectSim::default().api_key)
}

fn checkout_body(callback_url: &str) -> Value {
    json!({
        "client_reference_id": "ord_7",
        "currency": "usdt",
        "invoice_items": [{
            "price_data": {
                "product_data": {"name": "Standard Plan", "description": "A standard plan"},
                "currency": "usdt",
                "unit_amount": "20.5",
            },
            "quantity": 2,
        }, {
            "price_data": {"product_data": {"name": "Fee"}, "currency": "usdt", "unit_amount": 1.5},
            "quantity": 1,
        }],
        "success_url": "https://shop.example/ok",
        "cancel_url": "https://shop.example/cancel",
        "callback_url": callback_url,
        "payment_method_data": {
            "type": "cryptopaymentmethoddetail",
            "paymentMethodDetail": {"currency": "usdt", "network": "tron"},
        },
    })
}

async fn create(sim: &SimHandle, body: &Value) -> reqwest::Response {
    client()
        .post(format!("{}/api/v1/checkouts/", sim.payfect_url))
        .header("Authorization", api_key())
        .json(body)
        .send()
        .await
        .expect("create request")
}

async fn created(sim: &SimHandle, callback_url: &str) -> Value {
    let response = create(sim, &checkout_body(callback_url)).await;
    assert_eq!(response.status(), 200, "P7: errors.md lists 200, not 201");
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_checkout_has_payfects_camel_case_shape_and_exact_amounts() {
    let sim = start_sim(|_| {}).await;
    let checkout = created(&sim, "https://shop.example/cb").await;
    let id = checkout["id"].as_str().unwrap();
    assert_eq!(id.len(), 36, "a UUID");
    assert_eq!(checkout["amountTotal"], "42.00", "P4: 20.5 → 20 (× 2), 1.5 → 2, as the docs round");
    assert_eq!(checkout["invoiceItems"][0]["amount"], "40.00");
    assert_eq!(checkout["status"], "open");
    assert_eq!(checkout["clientReferenceId"], "ord_7");
    assert_eq!(checkout["currency"], "usdt");
    assert_eq!(checkout["isLivemode"], false);
    assert_eq!(checkout["url"], format!("{}/checkouts/{id}", sim.payfect_url));
    assert_eq!(checkout["merchant"]["name"], "Kassa Demo Shop");
    let created_at = checkout["createdAt"].as_str().unwrap();
    let (secs, frac) = created_at.split_once('.').expect("seconds with a fraction");
    assert_eq!(frac.len(), 6);
    let expires_ms: i64 = checkout["expiresAt"].as_str().unwrap().parse().unwrap();
    let created_s: i64 = secs.parse().unwrap();
    assert!((expires_ms / 1000 - created_s - 3600).abs() <= 1, "expires in 60 minutes, in ms");
    assert_eq!(checkout["paymentIntent"].as_str().unwrap().len(), 36);

    for path in [format!("/api/v1/checkouts/{id}/"), format!("/api/checkouts/{id}/")] {
        let response = client()
            .get(format!("{}{path}", sim.payfect_url))
            .header("Authorization", api_key())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.json::<Value>().await.unwrap()["id"], id);
    }
    let no_slash = client()
        .get(format!("{}/api/v1/checkouts/{id}", sim.payfect_url))
        .header("Authorization", api_key())
        .send()
        .await
        .unwrap();
    assert_eq!(no_slash.status(), 404);
    sim.shutdown().await;
}

#[tokio::test]
async fn auth_and_validation_errors_look_like_drf() {
    let sim = start_sim(|_| {}).await;
    let url = format!("{}/api/v1/checkouts/", sim.payfect_url);
    let response = client().post(&url).json(&json!({})).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"detail": "Authentication credentials were not provided."})
    );
    let response = client()
        .post(&url)
        .header("Authorization", "Api-Key nope")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);

    let response = create(&sim, &json!({"invoice_items": [{"price_data": {"currency": "usdt", "unit_amount": "1.234", "product_data": {}}, "quantity": "x"}]})).await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["currency"], json!(["This field is required."]));
    let item = &body["invoice_items"][0];
    assert_eq!(item["quantity"], json!(["A valid integer is required."]));
    assert_eq!(
        item["price_data"]["unit_amount"],
        json!(["Ensure that there are no more than 2 decimal places."])
    );
    assert_eq!(item["price_data"]["product_data"]["name"], json!(["This field is required."]));
    sim.shutdown().await;
}

#[tokio::test]
async fn paying_sends_a_fernet_signed_callback() {
    let receiver = Receiver::start().await;
    let sim = start_sim(|_| {}).await;
    let checkout = created(&sim, &format!("{}/payfect/callback", receiver.url)).await;
    let id = checkout["id"].as_str().unwrap();

    let result =
        client().post(format!("{}/__sim/sessions/{id}/pay", sim.payfect_url)).send().await.unwrap();
    assert_eq!(result.status(), 200);
    let received = receiver.received();
    assert_eq!(received.len(), 1);
    let callback = &received[0];
    assert_eq!(callback.method, "POST");
    assert_eq!(callback.uri.path(), "/payfect/callback");
    let body: Value = serde_json::from_slice(&callback.body).unwrap();
    assert_eq!(body["id"], id);
    assert_eq!(body["status"], "succeeded");
    assert_eq!(body["amount"], "42.00");
    assert_eq!(body["currency"], "usdt");
    assert_eq!(body["is_livemode"], false);
    assert_eq!(body["client_reference_id"], "ord_7");
    assert_eq!(body["payment_intent"], checkout["paymentIntent"]);
    assert_eq!(
        body["payment_method"]["payment_method_detail"],
        json!({"network": "tron", "currency": "usdt"})
    );

    let token = callback.headers["x-payfect-signature"].to_str().unwrap();
    let fernet = fernet::Fernet::new(&PayfectSim::default().fernet_key).unwrap();
    let plaintext = fernet.decrypt(token).expect("the token decrypts with the merchant key");
    assert_eq!(serde_json::from_slice::<Value>(&plaintext).unwrap(), body);
    let wrong = fernet::Fernet::new(&fernet::Fernet::generate_key()).unwrap();
    assert!(wrong.decrypt(token).is_err(), "another key cannot read it");

    let retrieved = client()
        .get(format!("{}/api/v1/checkouts/{id}/", sim.payfect_url))
        .header("Authorization", api_key())
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(retrieved["status"], "complete");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_decline_sends_no_callback_by_default_and_keeps_the_checkout_open_p3() {
    let receiver = Receiver::start().await;
    let sim = start_sim(|_| {}).await;
    let checkout = created(&sim, &format!("{}/cb", receiver.url)).await;
    let page = checkout["url"].as_str().unwrap();
    let html = client()
        .post(page)
        .form(&[("action", "decline")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<h1>Payment declined</h1>"));
    assert!(receiver.received().is_empty(), "the docs' callback is for success only");
    let state = get_json(&format!("{}/__sim/state", sim.payfect_url)).await;
    assert_eq!(state["checkouts"][0]["status"], "open");

    let response = client().post(page).form(&[("action", "pay")]).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "https://shop.example/ok");
    let body: Value = serde_json::from_slice(&receiver.received()[0].body).unwrap();
    assert_eq!(body["status"], "succeeded");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_failed_callback_is_sent_only_when_configured_p3() {
    let receiver = Receiver::start().await;
    let sim = start_sim(|c| c.payfect.failure_callbacks = true).await;
    let checkout = created(&sim, &format!("{}/cb", receiver.url)).await;
    let id = checkout["id"].as_str().unwrap();
    client().post(format!("{}/__sim/sessions/{id}/decline", sim.payfect_url)).send().await.unwrap();
    let body: Value = serde_json::from_slice(&receiver.received()[0].body).unwrap();
    assert_eq!(body["status"], "failed");
    sim.shutdown().await;
}

#[tokio::test]
async fn exact_pricing_is_a_setting_p4() {
    let sim = start_sim(|c| c.payfect.unit_rounding = UnitRounding::Exact).await;
    let checkout = created(&sim, "https://shop.example/cb").await;
    assert_eq!(checkout["amountTotal"], "42.50", "20.5 × 2 + 1.5");
    sim.shutdown().await;
}

#[tokio::test]
async fn the_docs_curl_example_with_a_twd_item_in_a_cny_checkout_is_accepted_p5() {
    let sim = start_sim(|_| {}).await;
    let curl = json!({
        "client_reference_id": "6befb0e4-e9a0-4151-8999-8b67eae19553",
        "currency": "CNY",
        "invoice_items": [{
            "price_data": {
                "currency": "TWD",
                "product_data": {"name": "Standard Plan", "description": "A standard plan", "images": ["https://i.imgur.com/EHyR2nP.png"]},
                "unit_amount": "20"
            },
            "quantity": 1
        }],
        "success_url": "https://example.com/success",
        "cancel_url": "https://example.com/cancel",
        "callback_url": "https://example.com/callback",
        "payment_method_data": {"type": "cryptopaymentmethoddetail", "paymentMethodDetail": {"currency": "TWD", "network": "tron"}}
    });
    let response = create(&sim, &curl).await;
    assert_eq!(response.status(), 200);
    let checkout: Value = response.json().await.unwrap();
    assert_eq!(checkout["currency"], "CNY");
    assert_eq!(checkout["amountTotal"], "4.50", "20 TWD at the simulator's 0.225");

    let mut no_rate = curl.clone();
    no_rate["invoice_items"][0]["price_data"]["currency"] = json!("EUR");
    let response = create(&sim, &no_rate).await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["invoice_items"][0]["price_data"]["currency"][0],
        "No exchange rate from EUR to CNY."
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_callback_names_the_crypto_paid_with_unless_configured_p1_p2() {
    for (setting, currency, amount) in
        [(CallbackCurrency::Paid, "usdt", "122.20"), (CallbackCurrency::Checkout, "NOK", "1300.00")]
    {
        let receiver = Receiver::start().await;
        let sim = start_sim(|c| c.payfect.callback_currency = setting).await;
        let mut body = checkout_body(&format!("{}/cb", receiver.url));
        body["currency"] = json!("NOK");
        body["invoice_items"] = json!([{
            "price_data": {"product_data": {"name": "Kayak"}, "currency": "NOK", "unit_amount": "650.00"},
            "quantity": 2,
        }]);
        body.as_object_mut().unwrap().remove("payment_method_data");
        let checkout: Value = create(&sim, &body).await.json().await.unwrap();
        assert_eq!(checkout["currency"], "NOK");
        assert_eq!(checkout["amountTotal"], "1300.00");
        let id = checkout["id"].as_str().unwrap();
        client().post(format!("{}/__sim/sessions/{id}/pay", sim.payfect_url)).send().await.unwrap();
        let callback: Value = serde_json::from_slice(&receiver.received()[0].body).unwrap();
        assert_eq!(callback["currency"], currency, "{setting:?}");
        assert_eq!(callback["amount"], amount, "{setting:?}: 1300 NOK at the simulator's 0.094");
        assert_eq!(callback["payment_method"]["payment_method_detail"]["currency"], "usdt");
        sim.shutdown().await;
    }
}

#[tokio::test]
async fn a_checkout_expires_after_its_lifetime() {
    let sim = start_sim(|_| {}).await;
    let checkout = created(&sim, "https://shop.example/cb").await;
    let id = checkout["id"].as_str().unwrap();
    post_json(&format!("{}/__sim/clock", sim.payfect_url), json!({"advance_secs": 3601})).await;
    let retrieved = client()
        .get(format!("{}/api/v1/checkouts/{id}/", sim.payfect_url))
        .header("Authorization", api_key())
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(retrieved["status"], "expired");
    let html =
        client().get(checkout["url"].as_str().unwrap()).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Session expired") && !html.contains(">Pay<"));
    sim.shutdown().await;
}
