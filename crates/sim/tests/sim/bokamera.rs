//! BokaMera over HTTP: x-api-key, ServiceStack errors, hosted and embedded checkouts backed by
//! the Stripe simulator, status polling, invalidation of earlier checkouts.

use kassa_sim::{BokameraSim, SimHandle, StripeSim};
use serde_json::{json, Value};

use crate::helpers::{client, get_json, post_json, start_sim, Receiver};

fn checkout(reference: &str, ui_mode: &str) -> Value {
    json!({
        "CompanyId": BokameraSim::default().company_id,
        "CountryCode": "SE",
        "Articles": [{"ArticleId": 1, "ArticleTypeId": 1, "Quantity": 2}],
        "InternalReferenceId": reference,
        "ConfirmationUrl": "https://salon.example/confirmed",
        "UiMode": ui_mode,
    })
}

async fn post(sim: &SimHandle, path: &str, body: &Value) -> (u16, Value) {
    let r = client()
        .post(format!("{}{path}", sim.bokamera_url))
        .header("x-api-key", BokameraSim::default().api_key)
        .json(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn status(sim: &SimHandle, session_id: &str) -> Value {
    let body = json!({"CompanyId": BokameraSim::default().company_id, "SessionId": session_id});
    let (code, answer) = post(sim, "/payment/stripe/v1/checkout/status", &body).await;
    assert_eq!(code, 200, "{answer}");
    answer
}

#[tokio::test]
async fn requests_need_the_api_key_and_valid_dtos() {
    let sim = start_sim(|_| {}).await;
    let r = client()
        .post(format!("{}/payment/stripe/v1/checkout", sim.bokamera_url))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.json::<Value>().await.unwrap()["ResponseStatus"]["Message"].is_string());

    let (code, body) = post(
        &sim,
        "/payment/stripe/v1/checkout",
        &json!({"UiMode": "embedded", "CancelUrl": "https://x.example/c"}),
    )
    .await;
    assert_eq!(code, 400);
    let fields: Vec<&str> = body["ResponseStatus"]["Errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["FieldName"].as_str().unwrap())
        .collect();
    for field in ["CompanyId", "CountryCode", "InternalReferenceId", "CancelUrl", "Articles"] {
        assert!(fields.contains(&field), "{field} in {fields:?}");
    }
    assert_eq!(body["ResponseStatus"]["Errors"][0]["ErrorCode"], "NotEmpty");
    assert_eq!(body["ResponseStatus"]["Errors"][0]["Message"], "'Company Id' must not be empty.");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_hosted_checkout_is_framed_paid_and_polled() {
    let stripe_hook = Receiver::start().await;
    let url = format!("{}/stripe", stripe_hook.url);
    let sim = start_sim(|c| c.stripe.webhook_url = Some(url)).await;
    let (code, created) =
        post(&sim, "/payment/stripe/v1/checkout", &checkout("booking-1", "hosted")).await;
    assert_eq!(code, 200, "{created}");
    let id = created["SessionId"].as_str().unwrap();
    assert!(id.starts_with("cs_test_"));
    assert_eq!(created["Status"], "open");
    assert_eq!(created["Url"], format!("{}/stripe/checkout/{id}", sim.bokamera_url));
    assert_eq!(created["StripeAccount"], BokameraSim::default().stripe_account);
    assert!(created.get("ClientSecret").is_none(), "ServiceStack leaves nulls out");

    let page = client().get(created["Url"].as_str().unwrap()).send().await.unwrap();
    assert!(page.headers().get("x-frame-options").is_none(), "BokaMera's page may be framed");
    let html = page.text().await.unwrap();
    assert!(html.contains("<h1>BokaMera checkout (Stripe): 900.00 SEK</h1>"), "{html}");

    let r = client()
        .post(created["Url"].as_str().unwrap())
        .form(&[("action", "pay"), ("email", "anna@example.se")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "https://salon.example/confirmed");
    assert_eq!(
        status(&sim, id).await,
        json!({"Status": "complete", "CustomerEmail": "anna@example.se"})
    );
    assert!(stripe_hook.received().is_empty(), "BokaMera's Stripe events never reach the merchant");
    sim.shutdown().await;
}

#[tokio::test]
async fn an_embedded_checkout_mounts_with_the_connected_account() {
    let sim = start_sim(|_| {}).await;
    let (_, created) =
        post(&sim, "/payment/stripe/v1/checkout", &checkout("booking-2", "embedded")).await;
    let id = created["SessionId"].as_str().unwrap();
    let secret = created["ClientSecret"].as_str().unwrap();
    assert!(created.get("Url").is_none());
    let pk = StripeSim::default().publishable_key;
    let account = created["StripeAccount"].as_str().unwrap();
    let frame = format!(
        "{}/embedded/{id}?client_secret={secret}&pk={pk}&origin=http%3A%2F%2F127.0.0.1%3A9",
        sim.stripe_url
    );
    assert_eq!(
        client().get(&frame).send().await.unwrap().status(),
        403,
        "without stripeAccount the session is not found on the platform"
    );
    let with_account = format!("{frame}&account={account}");
    assert_eq!(client().get(&with_account).send().await.unwrap().status(), 200);
    let paid = client()
        .post(&with_account)
        .form(&[("action", "pay")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(paid.contains("\"redirect_on_completion\":\"if_required\""), "{paid}");
    assert_eq!(status(&sim, id).await["Status"], "complete");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_new_checkout_invalidates_the_earlier_one_for_the_same_reference() {
    let sim = start_sim(|_| {}).await;
    let (_, first) =
        post(&sim, "/payment/stripe/v1/checkout", &checkout("booking-3", "hosted")).await;
    let (_, second) =
        post(&sim, "/payment/stripe/v1/checkout", &checkout("booking-3", "hosted")).await;
    let (_, other) =
        post(&sim, "/payment/stripe/v1/checkout", &checkout("booking-4", "hosted")).await;
    assert_eq!(status(&sim, first["SessionId"].as_str().unwrap()).await["Status"], "expired");
    assert_eq!(status(&sim, second["SessionId"].as_str().unwrap()).await["Status"], "open");
    assert_eq!(status(&sim, other["SessionId"].as_str().unwrap()).await["Status"], "open");

    let (code, body) = post(
        &sim,
        "/payment/stripe/v1/checkout/status",
        &json!({"CompanyId": BokameraSim::default().company_id, "SessionId": "cs_test_nope"}),
    )
    .await;
    assert_eq!(code, 404);
    assert_eq!(body["ResponseStatus"]["ErrorCode"], "NotFound");
    sim.shutdown().await;
}

#[tokio::test]
async fn framing_policy_makes_pages_refuse_frames_and_leaves_the_api_alone() {
    let sim = start_sim(|_| {}).await;
    let (_, created) =
        post(&sim, "/payment/stripe/v1/checkout", &checkout("booking-9", "hosted")).await;
    let page_url = created["Url"].as_str().unwrap().to_owned();
    let header_of = |r: &reqwest::Response, name: &str| {
        r.headers().get_all(name).iter().map(|v| v.to_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    let status_body = json!({
        "CompanyId": BokameraSim::default().company_id,
        "SessionId": created["SessionId"],
    });
    let framing = format!("{}/__sim/framing", sim.bokamera_url);
    assert_eq!(get_json(&framing).await["policy"], "allow");

    let cases = [
        ("deny", "x-frame-options", "DENY"),
        ("same_origin", "x-frame-options", "SAMEORIGIN"),
        ("ancestors_none", "content-security-policy", "frame-ancestors 'none'"),
        ("ancestors_self", "content-security-policy", "frame-ancestors 'self'"),
    ];
    for (policy, header, value) in cases {
        let set = post_json(&framing, json!({ "policy": policy })).await;
        assert_eq!(set.status(), 200, "{policy}");
        assert_eq!(get_json(&framing).await["policy"], policy);
        let page = client().get(&page_url).send().await.unwrap();
        assert_eq!(page.status(), 200);
        assert_eq!(header_of(&page, header), [value], "{policy}");
        let api = client()
            .post(format!("{}/payment/stripe/v1/checkout/status", sim.bokamera_url))
            .header("x-api-key", BokameraSim::default().api_key)
            .json(&status_body)
            .send()
            .await
            .unwrap();
        assert_eq!(api.status(), 200);
        assert!(header_of(&api, header).is_empty(), "{policy}: JSON answers carry no framing rule");
    }

    let bad = post_json(&framing, json!({ "policy": "sometimes" })).await;
    assert_eq!(bad.status(), 422, "an unknown policy is refused");
    post_json(&framing, json!({ "policy": "allow" })).await;
    let page = client().get(&page_url).send().await.unwrap();
    assert!(header_of(&page, "x-frame-options").is_empty());
    assert!(header_of(&page, "content-security-policy").is_empty());
    sim.shutdown().await;
}
