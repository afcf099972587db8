//! The Stripe.js stand-in over HTTP: one script per release train, the session fetch it
//! makes while starting, its faults, and the embedded page's redirect method.

use kassa_sim::{SimHandle, StripeSim};
use serde_json::{json, Value};

use crate::helpers::{client, post_json, start_sim};

async fn embedded(sim: &SimHandle, redirect: Option<&str>) -> Value {
    let mut form = vec![
        ("mode", "payment"),
        ("ui_mode", "embedded"),
        ("line_items[0][price_data][currency]", "eur"),
        ("line_items[0][price_data][unit_amount]", "1250"),
        ("line_items[0][price_data][product_data][name]", "Kayak tour"),
        ("line_items[0][quantity]", "1"),
    ];
    if redirect != Some("never") {
        form.push(("return_url", "https://shop.example/return?session={CHECKOUT_SESSION_ID}"));
    }
    if let Some(r) = redirect {
        form.push(("redirect_on_completion", r));
    }
    let response = client()
        .post(format!("{}/v1/checkout/sessions", sim.stripe_url))
        .bearer_auth(StripeSim::default().secret_key)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn script(sim: &SimHandle, path: &str) -> (u16, String) {
    let r = client().get(format!("{}{path}", sim.stripe_url)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn each_release_train_has_its_own_path_and_an_unknown_release_is_404() {
    let sim = start_sim(|_| {}).await;
    for (path, dahlia) in
        [("/v3", false), ("/v3/", false), ("/clover/stripe.js", false), ("/dahlia/stripe.js", true)]
    {
        let (status, text) = script(&sim, path).await;
        assert_eq!(status, 200, "{path}");
        assert!(text.contains(&format!("var DAHLIA = {dahlia};")), "{path}");
    }
    assert_eq!(script(&sim, "/zinnia/stripe.js").await.0, 404);
    sim.shutdown().await;
}

#[tokio::test]
async fn starting_fetches_the_session_with_cors_and_checks_the_keys() {
    let sim = start_sim(|_| {}).await;
    let session = embedded(&sim, None).await;
    let (id, secret) =
        (session["id"].as_str().unwrap(), session["client_secret"].as_str().unwrap());
    let pk = StripeSim::default().publishable_key;
    let init = |pk: &str, secret: &str| {
        format!("{}/v1/payment_pages/{id}/init?client_secret={secret}&pk={pk}", sim.stripe_url)
    };
    let ok = client().get(init(&pk, secret)).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["access-control-allow-origin"], "*", "a page on any origin may ask");
    let body: Value = ok.json().await.unwrap();
    assert_eq!(body, json!({"status": "open", "fault": null}));
    let wrong_key = client().get(init("pk_test_other", secret)).send().await.unwrap();
    assert_eq!(wrong_key.status(), 401);
    let wrong_secret = client().get(init(&pk, "cs_x_secret_y")).send().await.unwrap();
    assert_eq!(wrong_secret.status(), 404);
    sim.shutdown().await;
}

#[tokio::test]
async fn faults_hit_the_next_load_or_start_once() {
    let sim = start_sim(|_| {}).await;
    let control = format!("{}/__sim/stripe-js", sim.stripe_url);
    post_json(&control, json!({"fault": "load_error"})).await;
    post_json(&control, json!({"fault": "mount_error", "count": 1})).await;
    assert_eq!(script(&sim, "/dahlia/stripe.js").await.0, 500, "the load fails");
    assert_eq!(script(&sim, "/dahlia/stripe.js").await.0, 200, "once");

    let session = embedded(&sim, None).await;
    let (id, secret) =
        (session["id"].as_str().unwrap(), session["client_secret"].as_str().unwrap());
    let init = format!(
        "{}/v1/payment_pages/{id}/init?client_secret={secret}&pk={}",
        sim.stripe_url,
        StripeSim::default().publishable_key
    );
    let first: Value = client().get(&init).send().await.unwrap().json().await.unwrap();
    assert_eq!(first["fault"], "mount_error");
    let second: Value = client().get(&init).send().await.unwrap().json().await.unwrap();
    assert_eq!(second["fault"], Value::Null);
    let left: Value = client().get(&control).send().await.unwrap().json().await.unwrap();
    assert_eq!(left, json!([]));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_redirect_method_is_offered_unless_the_session_never_redirects() {
    let sim = start_sim(|_| {}).await;
    let pk = StripeSim::default().publishable_key;
    let frame = |s: &Value| {
        format!(
            "{}/embedded/{}?client_secret={}&pk={pk}&origin=http%3A%2F%2F127.0.0.1%3A9",
            sim.stripe_url,
            s["id"].as_str().unwrap(),
            s["client_secret"].as_str().unwrap()
        )
    };
    let if_required = embedded(&sim, Some("if_required")).await;
    let page = client().get(frame(&if_required)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(">Pay with bank redirect<"), "{page}");
    let paid = client()
        .post(frame(&if_required))
        .form(&[("action", "pay_redirect")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(paid.contains(r#""needs_redirect":true"#), "Stripe.js is told to redirect: {paid}");
    assert!(paid.contains(r#""redirect_on_completion":"if_required""#));

    let never = embedded(&sim, Some("never")).await;
    let page = client().get(frame(&never)).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("bank redirect"), "no redirect method when the session never redirects");
    let refused =
        client().post(frame(&never)).form(&[("action", "pay_redirect")]).send().await.unwrap();
    assert_eq!(refused.status(), 400);
    sim.shutdown().await;
}
