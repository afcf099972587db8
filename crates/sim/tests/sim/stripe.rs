//! Stripe Checkout over HTTP: create, retrieve, idempotency, versions, webhooks, pages, faults.

use hmac::{Hmac, Mac};
use kassa_sim::{SimConfig, SimHandle, StripeSim};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::helpers::{client, eventually, get_json, post_json, start_sim, Receiver};

const LINES: &[(&str, &str)] = &[
    ("mode", "payment"),
    ("line_items[0][price_data][currency]", "eur"),
    ("line_items[0][price_data][unit_amount]", "1250"),
    ("line_items[0][price_data][product_data][name]", "Kayak tour"),
    ("line_items[0][quantity]", "2"),
    ("line_items[1][price_data][currency]", "eur"),
    ("line_items[1][price_data][unit_amount]", "300"),
    ("line_items[1][price_data][product_data][name]", "Dry bag"),
    ("line_items[1][quantity]", "1"),
    ("metadata[order_id]", "ord_42"),
    ("client_reference_id", "ord_42"),
];

fn hosted_form() -> Vec<(&'static str, &'static str)> {
    let mut form = LINES.to_vec();
    form.push(("success_url", "https://shop.example/ok?session={CHECKOUT_SESSION_ID}"));
    form.push(("cancel_url", "https://shop.example/cancel"));
    form
}

fn embedded_form() -> Vec<(&'static str, &'static str)> {
    let mut form = LINES.to_vec();
    form.push(("ui_mode", "embedded"));
    form.push(("return_url", "https://shop.example/return?session={CHECKOUT_SESSION_ID}"));
    form
}

fn key() -> String {
    StripeSim::default().secret_key
}

async fn create(
    sim: &SimHandle,
    form: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = client()
        .post(format!("{}/v1/checkout/sessions", sim.stripe_url))
        .bearer_auth(key())
        .form(form);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("create request")
}

async fn created(sim: &SimHandle, form: &[(&str, &str)]) -> Value {
    let response = create(sim, form, &[]).await;
    assert_eq!(response.status(), 200, "create succeeds");
    response.json().await.expect("session JSON")
}

fn verify_signature(header: &str, body: &[u8], secret: &str) -> bool {
    let mut t = None;
    let mut v1 = vec![];
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = Some(value.to_owned()),
            Some(("v1", value)) => v1.push(value.to_owned()),
            _ => {}
        }
    }
    let Some(t) = t else { return false };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    let expected = hex::encode(mac.finalize().into_bytes());
    let fresh = (t.parse::<i64>().unwrap() - kassa_sim::clock::wall_secs()).abs() < 300;
    fresh && v1.contains(&expected)
}

async fn sim_with_webhook() -> (SimHandle, Receiver) {
    let receiver = Receiver::start().await;
    let url = format!("{}/webhooks/stripe", receiver.url);
    let sim = start_sim(|c: &mut SimConfig| c.stripe.webhook_url = Some(url)).await;
    (sim, receiver)
}

#[tokio::test]
async fn a_hosted_session_has_the_documented_shape() {
    let sim = start_sim(|_| {}).await;
    let session = created(&sim, &hosted_form()).await;
    let id = session["id"].as_str().unwrap();
    assert!(id.starts_with("cs_test_"));
    assert_eq!(session["object"], "checkout.session");
    assert_eq!(session["url"], format!("{}/c/pay/{id}", sim.stripe_url));
    assert_eq!(session["client_secret"], Value::Null);
    assert_eq!(session["ui_mode"], "hosted");
    assert_eq!(session["amount_subtotal"], 2800);
    assert_eq!(session["amount_total"], 2800);
    assert_eq!(session["currency"], "eur");
    assert_eq!(session["status"], "open");
    assert_eq!(session["payment_status"], "unpaid");
    assert_eq!(session["payment_intent"], Value::Null);
    assert_eq!(session["livemode"], false);
    assert_eq!(session["client_reference_id"], "ord_42");
    assert_eq!(session["metadata"], json!({"order_id": "ord_42"}));
    let ttl = session["expires_at"].as_i64().unwrap() - session["created"].as_i64().unwrap();
    assert_eq!(ttl, 24 * 3600, "expires 24 h after creation by default");

    let retrieved = get_with_key(&format!("{}/v1/checkout/sessions/{id}", sim.stripe_url)).await;
    assert_eq!(retrieved.0, 200);
    assert_eq!(retrieved.1, session, "retrieve returns the same object");
    sim.shutdown().await;
}

async fn get_with_key(url: &str) -> (u16, Value) {
    let response = client().get(url).bearer_auth(key()).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn an_embedded_session_has_a_client_secret_and_no_url() {
    let sim = start_sim(|_| {}).await;
    let session = created(&sim, &embedded_form()).await;
    let id = session["id"].as_str().unwrap();
    assert_eq!(session["url"], Value::Null);
    assert!(session["client_secret"].as_str().unwrap().starts_with(&format!("{id}_secret_")));
    assert_eq!(session["redirect_on_completion"], "always");
    assert_eq!(session["ui_mode"], "embedded");
    sim.shutdown().await;
}

#[tokio::test]
async fn unknown_ids_bad_keys_and_bad_params_get_stripe_errors() {
    let sim = start_sim(|_| {}).await;
    let (status, body) =
        get_with_key(&format!("{}/v1/checkout/sessions/cs_test_nope", sim.stripe_url)).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "resource_missing");
    assert_eq!(body["error"]["type"], "invalid_request_error");

    let response = client()
        .post(format!("{}/v1/checkout/sessions", sim.stripe_url))
        .bearer_auth("sk_test_wrong")
        .form(&hosted_form())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().starts_with("Invalid API Key provided"));

    let response = client()
        .post(format!("{}/v1/checkout/sessions", sim.stripe_url))
        .basic_auth(key(), Some(""))
        .form(&hosted_form())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "Basic auth with the key as username works");

    let mut form = hosted_form();
    form.push(("line_items[0][quantity]", "0"));
    let response = create(&sim, &form, &[]).await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["param"], "line_items[0][quantity]");
    sim.shutdown().await;
}

/// A one-line hosted form in `currency` for `unit_amount`.
fn one_line(
    currency: &'static str,
    unit_amount: &'static str,
) -> Vec<(&'static str, &'static str)> {
    vec![
        ("mode", "payment"),
        ("line_items[0][price_data][currency]", currency),
        ("line_items[0][price_data][unit_amount]", unit_amount),
        ("line_items[0][price_data][product_data][name]", "Life-jacket"),
        ("line_items[0][quantity]", "1"),
        ("success_url", "https://shop.example/ok"),
    ]
}

#[tokio::test]
async fn stripes_locales_are_taken_and_others_refused() {
    let sim = start_sim(|_| {}).await;
    for locale in ["nb", "sv", "da", "de", "en", "auto"] {
        let mut form = hosted_form();
        form.push(("locale", locale));
        assert_eq!(created(&sim, &form).await["locale"], locale);
    }
    for locale in ["no", "nb-NO", "nn", "xx"] {
        let mut form = hosted_form();
        form.push(("locale", locale));
        let response = create(&sim, &form, &[]).await;
        assert_eq!(response.status(), 400, "{locale}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["param"], "locale", "{locale}");
        assert_eq!(body["error"]["type"], "invalid_request_error");
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn totals_below_the_minimum_charge_get_amount_too_small() {
    let sim = start_sim(|_| {}).await;
    for (currency, below, enough) in
        [("nok", "299", "300"), ("huf", "17499", "17500"), ("gbp", "29", "30")]
    {
        let response = create(&sim, &one_line(currency, below), &[]).await;
        assert_eq!(response.status(), 400, "{currency}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "amount_too_small", "{currency}");
        assert_eq!(body["error"]["type"], "invalid_request_error");
        assert_eq!(
            created(&sim, &one_line(currency, enough)).await["amount_total"],
            enough.parse::<i64>().unwrap()
        );
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn iceland_krona_takes_two_decimals_that_must_be_zero() {
    let sim = start_sim(|_| {}).await;
    let response = create(&sim, &one_line("isk", "499050"), &[]).await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_charge_amount_no_decimal_compatible");
    assert_eq!(body["error"]["param"], "line_items[0][price_data][unit_amount]");
    assert_eq!(created(&sim, &one_line("isk", "499000")).await["amount_total"], 499_000);
    sim.shutdown().await;
}

#[tokio::test]
async fn the_session_list_pages_with_cursors_like_the_official_libraries() {
    let sim = start_sim(|_| {}).await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(created(&sim, &hosted_form()).await["id"].as_str().unwrap().to_owned());
    }
    ids.reverse(); // newest first, as Stripe lists
    let list = |query: String| {
        let url = format!("{}/v1/checkout/sessions?{query}", sim.stripe_url);
        async move { get_with_key(&url).await }
    };
    let page_ids = |body: &Value| -> Vec<String> {
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, first) = list("limit=2".into()).await;
    assert_eq!(page_ids(&first), ids[0..2]);
    assert_eq!(first["has_more"], true);
    let (_, second) = list(format!("limit=2&starting_after={}", ids[1])).await;
    assert_eq!(page_ids(&second), ids[2..4]);
    assert_eq!(second["has_more"], true);
    let (_, last) = list(format!("limit=2&starting_after={}", ids[3])).await;
    assert_eq!(page_ids(&last), ids[4..5]);
    assert_eq!(last["has_more"], false);
    let (_, back) = list(format!("limit=2&ending_before={}", ids[4])).await;
    assert_eq!(page_ids(&back), ids[2..4]);
    let (status, missing) = list("starting_after=cs_test_nope".into()).await;
    assert_eq!(status, 400);
    assert_eq!(missing["error"]["param"], "starting_after");
    sim.shutdown().await;
}

#[tokio::test]
async fn an_idempotent_retry_replays_the_first_answer() {
    let sim = start_sim(|_| {}).await;
    let key_header = [("Idempotency-Key", "order-42-attempt-1")];
    let first = create(&sim, &hosted_form(), &key_header).await;
    assert_eq!(first.status(), 200);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await.unwrap();

    let second = create(&sim, &hosted_form(), &key_header).await;
    assert_eq!(second.status(), 200);
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    let second: Value = second.json().await.unwrap();
    assert_eq!(first, second, "the replay is byte-for-byte the first answer");

    let state = get_json(&format!("{}/__sim/state", sim.stripe_url)).await;
    assert_eq!(state["checkout_sessions"].as_array().unwrap().len(), 1, "exactly one session");
    let requests = get_json(&format!("{}/__sim/requests", sim.stripe_url)).await;
    let creates: Vec<&Value> = requests
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["path"] == "/v1/checkout/sessions" && r["method"] == "POST")
        .collect();
    assert_eq!(creates.len(), 2);
    assert_eq!(creates[0]["idempotency_key"], "order-42-attempt-1");
    assert_eq!(creates[1]["idempotent_replayed"], true);

    let mut other = hosted_form();
    other.push(("metadata[extra]", "1"));
    let mismatch = create(&sim, &other, &key_header).await;
    assert_eq!(mismatch.status(), 400);
    let body: Value = mismatch.json().await.unwrap();
    assert_eq!(body["error"]["type"], "idempotency_error");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_retry_while_the_first_request_runs_gets_409() {
    let sim = start_sim(|_| {}).await;
    post_json(
        &format!("{}/__sim/faults", sim.stripe_url),
        json!({"kind": "latency", "latency_ms": 1500, "path": "/v1/checkout/sessions"}),
    )
    .await;
    let headers = [("Idempotency-Key", "slow-1")];
    let form = hosted_form();
    let slow = create(&sim, &form, &headers);
    let retry = async {
        // The first request holds the key once it is logged as in flight at the simulator.
        eventually("the first request to be in flight", || async {
            let faults = get_json(&format!("{}/__sim/faults", sim.stripe_url)).await;
            faults.as_array().unwrap().is_empty().then_some(())
        })
        .await;
        create(&sim, &hosted_form(), &headers).await
    };
    let (slow, retry) = tokio::join!(slow, retry);
    assert_eq!(retry.status(), 409);
    let body: Value = retry.json().await.unwrap();
    assert_eq!(body["error"]["type"], "idempotency_error");
    assert_eq!(slow.status(), 200, "the first request still succeeds");
    let replay = create(&sim, &hosted_form(), &headers).await;
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    sim.shutdown().await;
}

#[tokio::test]
async fn the_stripe_version_decides_the_ui_mode_vocabulary() {
    let sim = start_sim(|_| {}).await;
    let dahlia = [("Stripe-Version", "2026-03-25.dahlia")];
    let response = create(&sim, &embedded_form(), &dahlia).await;
    assert_eq!(response.status(), 400, "old names are refused from dahlia on");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert_eq!(body["error"]["param"], "ui_mode");

    let mut form = embedded_form();
    form.retain(|(k, _)| *k != "ui_mode");
    form.push(("ui_mode", "embedded_page"));
    let response = create(&sim, &form, &dahlia).await;
    assert_eq!(response.status(), 200);
    let session: Value = response.json().await.unwrap();
    assert_eq!(session["ui_mode"], "embedded_page");

    let response = create(&sim, &form, &[("Stripe-Version", "2025-09-30.clover")]).await;
    assert_eq!(response.status(), 400, "new names are refused before dahlia");

    let id = session["id"].as_str().unwrap();
    let (_, old_view) =
        get_with_key(&format!("{}/v1/checkout/sessions/{id}", sim.stripe_url)).await;
    assert_eq!(old_view["ui_mode"], "embedded", "objects render in the reader's version");
    sim.shutdown().await;
}

#[tokio::test]
async fn paying_delivers_a_signed_completed_event_before_answering() {
    let (sim, receiver) = sim_with_webhook().await;
    let session = created(&sim, &hosted_form()).await;
    let id = session["id"].as_str().unwrap();

    let response =
        client().post(format!("{}/__sim/sessions/{id}/pay", sim.stripe_url)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let result: Value = response.json().await.unwrap();
    assert_eq!(result["delivery"]["status_code"], 200);

    let received = receiver.received();
    assert_eq!(received.len(), 1, "the webhook arrived before the control call returned");
    let hook = &received[0];
    let signature = hook.headers["stripe-signature"].to_str().unwrap();
    assert!(verify_signature(signature, &hook.body, &StripeSim::default().webhook_secret));
    let event: Value = serde_json::from_slice(&hook.body).unwrap();
    assert_eq!(event["type"], "checkout.session.completed");
    assert_eq!(event["object"], "event");
    assert_eq!(event["livemode"], false);
    assert_eq!(event["pending_webhooks"], 1);
    assert_eq!(event["request"], json!({"id": null, "idempotency_key": null}));
    assert_eq!(event["data"]["object"]["id"], id);
    assert_eq!(event["data"]["object"]["payment_status"], "paid");
    assert_eq!(event["data"]["object"]["status"], "complete");

    let (_, session) = get_with_key(&format!(
        "{}/v1/checkout/sessions/{id}?expand[]=payment_intent",
        sim.stripe_url
    ))
    .await;
    assert_eq!(session["payment_intent"]["object"], "payment_intent");
    assert_eq!(session["payment_intent"]["status"], "succeeded");
    assert_eq!(session["payment_intent"]["amount"], 2800);
    let pi = session["payment_intent"]["id"].as_str().unwrap();
    let (status, pi_json) =
        get_with_key(&format!("{}/v1/payment_intents/{pi}", sim.stripe_url)).await;
    assert_eq!(status, 200);
    assert_eq!(pi_json["status"], "succeeded");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_decline_sends_payment_failed_and_leaves_the_session_open() {
    let (sim, receiver) = sim_with_webhook().await;
    let session = created(&sim, &hosted_form()).await;
    let id = session["id"].as_str().unwrap();
    client().post(format!("{}/__sim/sessions/{id}/decline", sim.stripe_url)).send().await.unwrap();

    let event: Value = serde_json::from_slice(&receiver.received()[0].body).unwrap();
    assert_eq!(event["type"], "payment_intent.payment_failed");
    let pi = &event["data"]["object"];
    assert_eq!(pi["status"], "requires_payment_method");
    assert_eq!(pi["last_payment_error"]["code"], "card_declined");
    assert_eq!(pi["last_payment_error"]["decline_code"], "generic_decline");
    assert_eq!(pi["metadata"]["order_id"], "ord_42");
    assert_eq!(pi["metadata"]["checkout_session"], id);

    let (_, session) = get_with_key(&format!("{}/v1/checkout/sessions/{id}", sim.stripe_url)).await;
    assert_eq!(session["status"], "open");
    assert_eq!(session["payment_intent"], pi["id"]);
    sim.shutdown().await;
}

#[tokio::test]
async fn expire_works_once_and_sends_the_expired_event() {
    let (sim, receiver) = sim_with_webhook().await;
    let session = created(&sim, &hosted_form()).await;
    let id = session["id"].as_str().unwrap();
    let expire = || {
        client()
            .post(format!("{}/v1/checkout/sessions/{id}/expire", sim.stripe_url))
            .bearer_auth(key())
            .send()
    };
    let response = expire().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "expired");
    assert_eq!(body["url"], Value::Null);
    assert_eq!(expire().await.unwrap().status(), 400, "only open sessions expire");
    let event = eventually("the expired event", || async {
        receiver.received().first().map(|r| serde_json::from_slice::<Value>(&r.body).unwrap())
    })
    .await;
    assert_eq!(event["type"], "checkout.session.expired");
    sim.shutdown().await;
}

#[tokio::test]
async fn failed_deliveries_are_retried() {
    let (sim, receiver) = sim_with_webhook().await;
    receiver.respond_with(&[500, 503]);
    let session = created(&sim, &hosted_form()).await;
    let id = session["id"].as_str().unwrap();
    client().post(format!("{}/__sim/sessions/{id}/pay", sim.stripe_url)).send().await.unwrap();
    let deliveries = eventually("a successful retry", || async {
        let d = get_json(&format!("{}/__sim/deliveries", sim.stripe_url)).await;
        (d.as_array().unwrap().len() == 3).then_some(d)
    })
    .await;
    let codes: Vec<_> =
        deliveries.as_array().unwrap().iter().map(|d| d["status_code"].as_u64()).collect();
    assert_eq!(codes, [Some(500), Some(503), Some(200)]);
    let attempts: Vec<_> =
        deliveries.as_array().unwrap().iter().map(|d| d["attempt"].as_u64()).collect();
    assert_eq!(attempts, [Some(1), Some(2), Some(3)]);
    assert_eq!(receiver.received().len(), 3);
    sim.shutdown().await;
}

#[tokio::test]
async fn the_hosted_page_pays_and_redirects_after_the_webhook() {
    let (sim, receiver) = sim_with_webhook().await;
    let session = created(&sim, &hosted_form()).await;
    let url = session["url"].as_str().unwrap();
    let id = session["id"].as_str().unwrap();

    let page = client().get(url).send().await.unwrap();
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    assert_eq!(page.headers()["content-security-policy"], "frame-ancestors 'none'");
    let html = page.text().await.unwrap();
    assert!(html.contains("<h1>Stripe Checkout: 28.00 EUR</h1>"));
    for label in [">Pay<", ">Decline<", ">Cancel<", ">Expire session<"] {
        assert!(html.contains(label), "{label} button");
    }

    let response = client().post(url).form(&[("action", "pay")]).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], format!("https://shop.example/ok?session={id}"));
    assert_eq!(receiver.received().len(), 1, "the backend heard first");

    let html = client().get(url).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Payment complete"));
    assert!(!html.contains(">Pay<"), "no Pay button on a paid session");
    sim.shutdown().await;
}

#[tokio::test]
async fn the_hosted_page_cancel_and_expire_buttons() {
    let sim = start_sim(|_| {}).await;
    let session = created(&sim, &hosted_form()).await;
    let url = session["url"].as_str().unwrap();
    let response = client().post(url).form(&[("action", "cancel")]).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "https://shop.example/cancel");

    let html = client()
        .post(url)
        .form(&[("action", "decline")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<h1>Payment declined</h1>"));
    assert!(html.contains("Return to merchant"));

    let html = client()
        .post(url)
        .form(&[("action", "expire")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<h1>Session expired</h1>"));
    let (_, session) = get_with_key(&format!(
        "{}/v1/checkout/sessions/{}",
        sim.stripe_url,
        session["id"].as_str().unwrap()
    ))
    .await;
    assert_eq!(session["status"], "expired");
    sim.shutdown().await;
}

#[tokio::test]
async fn the_embedded_frame_checks_its_keys_and_reports_completion() {
    let sim = start_sim(|_| {}).await;
    let session = created(&sim, &embedded_form()).await;
    let id = session["id"].as_str().unwrap();
    let secret = session["client_secret"].as_str().unwrap();
    let pk = StripeSim::default().publishable_key;
    let frame = |pk: &str, origin: &str| {
        format!(
            "{}/embedded/{id}?client_secret={secret}&pk={pk}&origin={}",
            sim.stripe_url,
            url::form_urlencoded::byte_serialize(origin.as_bytes()).collect::<String>()
        )
    };
    let ok = frame(&pk, "http://127.0.0.1:8080");
    let page = client().get(&ok).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers().get("x-frame-options").is_none(), "the embedded frame is frameable");
    let html = page.text().await.unwrap();
    assert!(html.contains("kassa-sim:stripe:resize"));
    assert!(html.contains(">Pay<") && html.contains(">Decline<"));

    assert_eq!(
        client()
            .get(frame("pk_test_wrong", "http://127.0.0.1:8080"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        client().get(frame(&pk, "http://127.0.0.1:8080/path")).send().await.unwrap().status(),
        400
    );

    let declined = client()
        .post(&ok)
        .form(&[("action", "decline")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(declined.contains("Your card was declined."));
    assert!(declined.contains(">Pay<"), "the customer can try again");

    let paid =
        client().post(&ok).form(&[("action", "pay")]).send().await.unwrap().text().await.unwrap();
    assert!(paid.contains("kassa-sim:stripe:complete"));
    assert!(paid.contains(&format!("https://shop.example/return?session={id}")));
    let (_, session) = get_with_key(&format!("{}/v1/checkout/sessions/{id}", sim.stripe_url)).await;
    assert_eq!(session["status"], "complete");
    sim.shutdown().await;
}

#[tokio::test]
async fn stripe_js_is_served_as_javascript() {
    let sim = start_sim(|_| {}).await;
    for path in ["/v3", "/v3/", "/dahlia/stripe.js"] {
        let response = client().get(format!("{}{path}", sim.stripe_url)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/javascript"));
        let text = response.text().await.unwrap();
        assert!(
            text.contains("initEmbeddedCheckout") && text.contains("createEmbeddedCheckoutPage")
        );
        assert!(text.contains(&format!("var ORIGIN = \"{}\"", sim.stripe_url)));
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn injected_faults_hit_the_next_api_calls() {
    let sim = start_sim(|_| {}).await;
    let faults = format!("{}/__sim/faults", sim.stripe_url);
    post_json(&faults, json!({"kind": "status", "status": 503})).await;
    let response = create(&sim, &hosted_form(), &[]).await;
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["type"], "api_error");

    post_json(&faults, json!({"kind": "rate_limit", "retry_after": 2})).await;
    let response = create(&sim, &hosted_form(), &[]).await;
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "2");

    post_json(&faults, json!({"kind": "reset"})).await;
    let sent = client()
        .post(format!("{}/v1/checkout/sessions", sim.stripe_url))
        .bearer_auth(key())
        .form(&hosted_form())
        .send()
        .await;
    let failed = match sent {
        Err(_) => true,
        Ok(r) => r.bytes().await.is_err(),
    };
    assert!(failed, "a reset fails the request");

    post_json(&faults, json!({"kind": "malformed_json"})).await;
    let response = create(&sim, &hosted_form(), &[]).await;
    assert_eq!(response.status(), 200);
    assert!(response.json::<Value>().await.is_err(), "the body is not JSON");

    // A truncated answer: the session exists, and the retry replays the full answer.
    post_json(&faults, json!({"kind": "truncated"})).await;
    let headers = [("Idempotency-Key", "trunc-1")];
    let cut = create(&sim, &hosted_form(), &headers).await;
    assert!(cut.bytes().await.is_err(), "the body is cut short");
    let retry = create(&sim, &hosted_form(), &headers).await;
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    let session: Value = retry.json().await.unwrap();
    assert!(session["id"].as_str().unwrap().starts_with("cs_test_"));

    let state = get_json(&format!("{}/__sim/state", sim.stripe_url)).await;
    assert_eq!(
        state["checkout_sessions"].as_array().unwrap().len(),
        1,
        "only the truncated create reached the provider"
    );
    sim.shutdown().await;
}
