//! Hostile HTTP input (R-H1, R-H3..R-H7): oversized and slow bodies, unknown fields, wrong
//! content types, absurd quantities, return URLs that inject headers or leave the merchant's
//! origins, ids that are not ours, request floods, foreign origins, and attempts to make the
//! backend fetch what it should not. Each is refused with a 4xx naming what to fix, never a
//! 500, and every answer carries the security headers.

use std::time::Duration;

use kassa_server::Settings;
use kassa_wire::{ApiError, ErrorCode, ProviderId};
use proptest::prelude::*;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::support::{
    app::{cart, create_body, TestApp, SITE},
    Backend,
};

async fn app() -> TestApp {
    TestApp::start(Backend::Sqlite).await
}

async fn post_raw(
    app: &TestApp,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (u16, Value) {
    let mut req = app
        .http
        .post(format!("{}{path}", app.api))
        .header("Idempotency-Key", "k-hostile")
        .body(body);
    if let Some(ct) = content_type {
        req = req.header("Content-Type", ct);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn create_json(app: &TestApp, body: &Value) -> (u16, Value) {
    post_raw(app, "/v1/checkout/sessions", Some("application/json"), body.to_string().into_bytes())
        .await
}

#[tokio::test]
async fn a_body_one_byte_over_the_limit_is_refused_whether_its_length_is_declared_or_not_r_h3() {
    let app = app().await;
    let limit = kassa_server::startup::BODY_LIMIT;
    let padding = |n: usize| {
        let (open, close) = (r#"{"items":[],"pad":""#, r#""}"#);
        format!("{open}{}{close}", "x".repeat(n - open.len() - close.len())).into_bytes()
    };
    assert_eq!(padding(limit + 1).len(), limit + 1);
    let (status, body) =
        post_raw(&app, "/v1/checkout/quote", Some("application/json"), padding(limit + 1)).await;
    assert_eq!((status, body["code"].as_str()), (413, Some("payload_too_large")), "{body}");
    // No Content-Length: a chunked stream that runs past the limit.
    let mut socket =
        tokio::net::TcpStream::connect(app.api.trim_start_matches("http://")).await.unwrap();
    let head = "POST /v1/checkout/quote HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    socket.write_all(head.as_bytes()).await.unwrap();
    let chunk = format!("400\r\n{}\r\n", " ".repeat(1024));
    for _ in 0..=limit / 1024 {
        if socket.write_all(chunk.as_bytes()).await.is_err() {
            break; // the backend stopped reading: fine, its answer is waiting
        }
    }
    let mut answer = vec![0; 256];
    let n = socket.read(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    let (status, _) =
        post_raw(&app, "/v1/webhooks/stripe", Some("application/json"), padding(limit + 1)).await;
    assert_eq!(status, 413, "raw-body webhooks are limited too");
}

#[tokio::test]
async fn a_body_sent_a_byte_at_a_time_is_cut_off_at_the_request_timeout_r_h3() {
    let app = TestApp::builder(Backend::Sqlite)
        .config(|t| {
            t.replace(
                "recovery_interval_ms = 10000",
                "recovery_interval_ms = 10000\nrequest_timeout_ms = 300",
            )
        })
        .start()
        .await;
    let mut socket =
        tokio::net::TcpStream::connect(app.api.trim_start_matches("http://")).await.unwrap();
    let head = "POST /v1/checkout/quote HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{";
    socket.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0; 1024];
    let n = tokio::time::timeout(Duration::from_secs(10), socket.read(&mut answer))
        .await
        .expect("the backend answers a stalled body instead of waiting for it")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

#[tokio::test]
async fn unknown_fields_anywhere_are_refused_with_their_path_r_h4() {
    let app = app().await;
    let mut with_price = create_body("stripe-hosted");
    with_price["items"][1]["price"] = json!(1);
    let mut with_amount = create_body("stripe-hosted");
    with_amount["amount"] = json!({"amount_minor": 1, "currency": "NOK"});
    let mut with_currency = create_body("stripe-hosted");
    with_currency["currency"] = json!("XXX");
    let mut with_extra_customer = create_body("stripe-hosted");
    with_extra_customer["customer"]["ssn"] = json!("01010112345");
    for (body, field) in [
        (with_price, "items[1].price"),
        (with_amount, "amount"),
        (with_currency, "currency"),
        (with_extra_customer, "customer.ssn"),
    ] {
        let (status, error) = create_json(&app, &body).await;
        assert_eq!(
            (status, error["code"].as_str()),
            (400, Some("invalid_request")),
            "{field}: {error}"
        );
        assert!(
            error["message"].as_str().unwrap().contains(field.rsplit('.').next().unwrap()),
            "{error}"
        );
    }
    assert_eq!(app.sessions_at(ProviderId::Stripe).await.len(), 0, "nothing reached the provider");
}

#[tokio::test]
async fn other_content_types_are_refused_with_415_r_h4() {
    let app = app().await;
    let body = create_body("stripe-hosted").to_string().into_bytes();
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        Some("application/jsonp"),
        Some("text/json"),
        Some("application/json\r\nX-Injected: 1"),
    ] {
        let Ok(value) = content_type.map(reqwest::header::HeaderValue::from_str).transpose() else {
            continue; // the client itself refuses a header with a line break
        };
        let (status, error) = post_raw(
            &app,
            "/v1/checkout/sessions",
            value.as_ref().map(|v| v.to_str().unwrap()),
            body.clone(),
        )
        .await;
        assert_eq!(
            (status, error["code"].as_str()),
            (415, Some("unsupported_media_type")),
            "{content_type:?}"
        );
    }
    let (status, _) =
        post_raw(&app, "/v1/checkout/sessions", Some("Application/JSON; charset=utf-8"), body)
            .await;
    assert_eq!(status, 200, "the media type is case-insensitive and may carry a charset");
}

#[tokio::test]
async fn absurd_quantities_and_carts_are_refused_with_their_path_r_h4() {
    let app = app().await;
    for quantity in [
        json!(0),
        json!(100),
        json!(-1),
        json!(4_294_967_296_u64),
        json!(1.5),
        json!("2"),
        json!(1e300),
        json!(null),
    ] {
        let mut body = create_body("stripe-hosted");
        body["items"][1]["quantity"] = quantity.clone();
        let (status, error) = create_json(&app, &body).await;
        assert_eq!(
            (status, error["field"].as_str()),
            (400, Some("items[1].quantity")),
            "{quantity}: {error}"
        );
    }
    let mut many = create_body("stripe-hosted");
    many["items"] = Value::Array(vec![json!({"sku": "life-jacket", "quantity": 99}); 101]);
    let (status, error) = create_json(&app, &many).await;
    assert_eq!((status, error["field"].as_str()), (400, Some("items")), "{error}");
    let mut empty = create_body("stripe-hosted");
    empty["items"] = json!([]);
    assert_eq!(create_json(&app, &empty).await.0, 400);
}

#[tokio::test]
async fn return_urls_that_leave_the_merchants_origins_or_inject_headers_are_refused_r_h5() {
    let app = app().await;
    for url in [
        "https://evil.test/",
        "http://127.0.0.1:8001/",
        "https://127.0.0.1:8000/",
        "http://127.0.0.1:8000.evil.test/",
        "http://127.0.0.1:8000@evil.test/",
        "//evil.test/",
        "javascript:alert(1)//http://127.0.0.1:8000/",
        "data:text/html,<script>alert(1)</script>",
        "http://127.0.0.1:8000/\r\nSet-Cookie: a=b",
        "http://127.0.0.1:8000/\nLocation: https://evil.test/",
        "http://127.0.0.1:8000/%0d%0a\tx",
        "http://169.254.169.254/latest/meta-data/",
        "file:///etc/passwd",
    ] {
        let mut body = create_body("stripe-hosted");
        body["return_url"] = json!(url);
        let (status, error) = create_json(&app, &body).await;
        assert_eq!(
            (status, error["code"].as_str()),
            (400, Some("return_url_not_allowed")),
            "{url:?}: {error}"
        );
    }
    // Percent-encoded line breaks in an allowed page stay encoded all the way to the provider.
    let mut body = create_body("stripe-hosted");
    body["return_url"] = json!(format!("{SITE}/book?x=%0d%0aSet-Cookie:%20a=b"));
    let (status, session) = create_json(&app, &body).await;
    assert_eq!(status, 200, "{session}");
    let sent =
        app.sessions_at(ProviderId::Stripe).await[0]["success_url"].as_str().unwrap().to_owned();
    assert!(!sent.contains(['\r', '\n']) && sent.contains("%0D%0A"), "{sent}");
}

#[tokio::test]
async fn session_ids_that_are_not_ours_are_not_found_never_an_error() {
    let app = app().await;
    for id in [
        "ks_nope",
        "..%2f..%2fetc%2fpasswd",
        "ks_%00",
        &"k".repeat(5000),
        "ks_%E2%80%AE",
        "ks_'%20OR%20'1'='1",
    ] {
        for (method, path) in [
            ("GET", format!("/v1/checkout/sessions/{id}")),
            ("POST", format!("/v1/checkout/sessions/{id}/cancel")),
        ] {
            let url = format!("{}{path}", app.api);
            let res = if method == "GET" { app.http.get(url) } else { app.http.post(url) }
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            assert!(matches!(status, 404 | 414 | 431), "{method} {path}: {status}");
        }
    }
}

#[tokio::test]
async fn session_creation_is_limited_per_client_with_retry_after_r_h7() {
    let app = TestApp::builder(Backend::Sqlite)
        .config(|t| t.replace("sessions_per_minute = 0", "sessions_per_minute = 3"))
        .start()
        .await;
    for n in 0..3 {
        let res = app.create("stripe-hosted", &format!("k-rate-{n}")).await;
        assert_eq!(res.status(), 200, "creation {n}");
    }
    // A forged X-Forwarded-For does not make a new client when no proxy is trusted.
    let res = app
        .http
        .post(format!("{}/v1/checkout/sessions", app.api))
        .header("Idempotency-Key", "k-rate-3")
        .header("X-Forwarded-For", "203.0.113.77")
        .json(&create_body("stripe-hosted"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    let retry_after: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=20).contains(&retry_after), "Retry-After {retry_after}");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    let error: ApiError = res.json().await.unwrap();
    assert_eq!((error.code, error.retryable), (ErrorCode::RateLimited, true));
    assert_eq!(
        app.sessions_at(ProviderId::Stripe).await.len(),
        3,
        "the refused request did nothing"
    );
    // Reading is not limited.
    let res = app.http.get(format!("{}/v1/checkout/config", app.api)).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn cors_allows_exactly_the_listed_origin_and_never_null_r_h1() {
    let app = app().await;
    for (origin, allowed) in [
        (SITE, true),
        ("null", false),
        ("http://127.0.0.1:8001", false),
        ("https://127.0.0.1:8000", false),
        ("http://127.0.0.1:8000/", false),
        ("HTTP://127.0.0.1:8000", false),
        ("http://127.0.0.1:8000.evil.test", false),
        ("http://evil.test", false),
        ("*", false),
        ("", false),
    ] {
        let preflight = app
            .http
            .request(reqwest::Method::OPTIONS, format!("{}/v1/checkout/sessions", app.api))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "content-type,idempotency-key")
            .send()
            .await
            .unwrap();
        let simple = app
            .http
            .get(format!("{}/v1/checkout/config", app.api))
            .header("Origin", origin)
            .send()
            .await
            .unwrap();
        for res in [preflight, simple] {
            let echoed = res
                .headers()
                .get("access-control-allow-origin")
                .map(|v| v.to_str().unwrap().to_owned());
            assert_eq!(echoed.as_deref() == Some(origin), allowed, "{origin:?}: {echoed:?}");
            assert!(
                echoed.is_none() || echoed.as_deref() == Some(SITE),
                "{origin:?} got {echoed:?}"
            );
            if allowed {
                assert!(res.headers().get_all("vary").iter().any(|v| v
                    .to_str()
                    .unwrap()
                    .to_lowercase()
                    .contains("origin")));
            }
        }
    }
}

#[tokio::test]
async fn every_answer_carries_the_security_headers_r_w9() {
    let app = app().await;
    let api = &app.api;
    let h = &app.http;
    let json = "application/json";
    let requests = vec![
        ("config", h.get(format!("{api}/v1/checkout/config"))),
        (
            "quote",
            h.post(format!("{api}/v1/checkout/quote"))
                .header("Content-Type", json)
                .body(json!({"items": cart()}).to_string()),
        ),
        (
            "bad quote",
            h.post(format!("{api}/v1/checkout/quote")).header("Content-Type", json).body("{"),
        ),
        ("415", h.post(format!("{api}/v1/checkout/sessions")).body("x")),
        (
            "413",
            h.post(format!("{api}/v1/checkout/quote"))
                .header("Content-Type", json)
                .body(vec![b' '; 70_000]),
        ),
        ("unknown path", h.get(format!("{api}/wp-admin"))),
        ("wrong method", h.delete(format!("{api}/v1/checkout/config"))),
        ("unknown session", h.get(format!("{api}/v1/checkout/sessions/ks_x"))),
        ("forged webhook", h.post(format!("{api}/v1/webhooks/stripe")).body("{}")),
        ("unknown provider", h.post(format!("{api}/v1/webhooks/paypal")).body("{}")),
        ("liveness", h.get(format!("{api}/health/live"))),
        ("readiness", h.get(format!("{api}/health/ready"))),
        ("openapi", h.get(format!("{api}/openapi.json"))),
        ("metrics", h.get(format!("{api}/metrics"))),
        (
            "preflight",
            h.request(reqwest::Method::OPTIONS, format!("{api}/v1/checkout/sessions"))
                .header("Origin", SITE)
                .header("Access-Control-Request-Method", "POST"),
        ),
    ];
    for (name, req) in requests {
        let res = req.send().await.unwrap();
        let headers = res.headers();
        let has = |k: &str, v: &str| headers.get(k).is_some_and(|h| h == v);
        assert!(has("x-content-type-options", "nosniff"), "{name}: {headers:?}");
        assert!(has("x-frame-options", "DENY"), "{name}");
        assert!(
            has("content-security-policy", "default-src 'none'; frame-ancestors 'none'"),
            "{name}"
        );
        assert!(has("referrer-policy", "no-referrer"), "{name}");
        assert!(headers.contains_key("cache-control"), "{name}");
        assert!(headers.contains_key("x-request-id"), "{name}");
        assert_ne!(res.status().as_u16(), 500, "{name}");
    }
}

#[tokio::test]
async fn a_provider_that_redirects_is_not_followed_r_h6() {
    // A "provider" that answers every call with a redirect to an internal address.
    let target = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let target_url = format!("http://{}/latest/meta-data/", target.local_addr().unwrap());
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = hits.clone();
    tokio::spawn(async move {
        while let Ok((_socket, _)) = target.accept().await {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    });
    let redirector = axum::Router::new().fallback(move || {
        let to = target_url.clone();
        async move { (axum::http::StatusCode::FOUND, [("location", to)]) }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let redirector_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, redirector).await });

    let app = TestApp::builder(Backend::Sqlite)
        .config(move |t| {
            let stripe = t
                .split("[providers.stripe]")
                .nth(1)
                .unwrap()
                .split('\n')
                .nth(1)
                .unwrap()
                .to_owned();
            t.replace(&stripe, &format!("base_url = \"{redirector_url}\""))
        })
        .start()
        .await;
    let res = app.create("stripe-hosted", "k-redirect").await;
    assert_eq!(res.status(), 502, "{}", res.text().await.unwrap());
    assert_eq!(
        hits.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the redirect target was never contacted"
    );
}

#[tokio::test]
async fn a_public_backend_refuses_provider_urls_that_are_not_public_in_any_spelling_r_h6() {
    let app = app().await;
    for base in [
        "http://169.254.169.254",
        "http://2852039166",
        "http://0xa9fea9fe",
        "http://[::ffff:169.254.169.254]",
        "http://127.1",
        "http://10.0.4.17",
    ] {
        let toml = app
            .toml
            .replace(
                &format!("public_url = \"{}\"", app.api),
                "public_url = \"https://pay.shop.example\"",
            )
            .replace(
                &format!("base_url = \"{}\"", app.sim.stripe_url),
                &format!("base_url = \"{base}\""),
            );
        let settings: Settings = crate::support::app::settings(&toml, &app.sim_config);
        let err = kassa_server::state::AppState::build(settings).await.expect_err(base).to_string();
        assert!(err.contains("providers.stripe.base_url"), "{base}: {err}");
    }
}

/// JSON that is roughly what a session creation looks like, and often wrong.
fn hostile_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter("JSON has no NaN", |f| f.is_finite()).prop_map(|f| json!(f)),
        "\\PC{0,40}".prop_map(Value::String),
        Just(json!("kayak-2h")),
        Just(json!("stripe-hosted")),
        Just(json!(SITE)),
    ];
    let value = leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("sku".to_owned()),
                    Just("quantity".to_owned()),
                    Just("items".to_owned()),
                    "[a-z_]{1,12}"
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    (value, any::<u8>()).prop_map(|(noise, pick)| {
        let mut body = create_body("payfect-redirect");
        match pick % 6 {
            0 => noise,
            1 => {
                body["items"] = noise;
                body
            }
            2 => {
                body["items"][0] = noise;
                body
            }
            3 => {
                body["customer"] = noise;
                body
            }
            4 => {
                body["return_url"] = noise;
                body
            }
            _ => {
                body["method"] = noise;
                body
            }
        }
    })
}

#[test]
fn random_json_bodies_are_answered_with_a_4xx_or_a_session_never_a_5xx_r_h4() {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let app = runtime.block_on(app());
    let config = ProptestConfig { cases: 200, ..ProptestConfig::default() };
    proptest!(config, |(body in hostile_json(), key in "[!-~]{1,40}")| {
        let (status, answer) = runtime.block_on(async {
            let res = app
                .http
                .post(format!("{}/v1/checkout/sessions", app.api))
                .header("Idempotency-Key", key)
                .header("Content-Type", "application/json")
                .body(body.to_string())
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), res.text().await.unwrap())
        });
        prop_assert!(status == 200 || (400..500).contains(&status), "{} for {}: {}", status, body, answer);
        if status != 200 {
            let error: ApiError = serde_json::from_str(&answer).unwrap();
            prop_assert!(!error.message.is_empty());
        }
    });
}
