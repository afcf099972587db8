//! The backend over real HTTP against the provider simulator: the widget's contract,
//! idempotency, webhooks and CORS, as a merchant's page and a provider see them.

use std::time::Duration;

use kassa_server::{
    config::{fill_placeholders, DEMO_TEMPLATE},
    Settings,
};
use kassa_wire::{ApiError, CheckoutConfig, ErrorCode, Quote, Session, SessionState};
use serde_json::{json, Value};
use tokio::net::TcpListener;

const STRIPE_SK: &str = "sk_test_api_0123456789abcdef";
const STRIPE_PK: &str = "pk_test_api_0123456789abcdef";
const STRIPE_WHSEC: &str = "whsec_api_0123456789abcdef0123";
const PAYFECT_KEY: &str = "ApiTest0.0123456789abcdefghij";
const PAYFECT_FERNET: &str = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=";
const SITE: &str = "http://127.0.0.1:8000";
const QUOTE_KEY: &str = "api-test-quote-key-0123456789";

struct App {
    api: String,
    sim: kassa_sim::SimHandle,
    http: reqwest::Client,
    _server: kassa_server::Running,
    _dir: tempfile::TempDir,
}

async fn spawn_app() -> App {
    spawn_app_with(|_| {}).await
}

/// The app against a simulator that `tweak` configured.
async fn spawn_app_with(tweak: impl FnOnce(&mut kassa_sim::SimConfig)) -> App {
    let dir = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = format!("http://{}", listener.local_addr().unwrap());
    let mut sim = kassa_sim::SimConfig::default();
    sim.stripe.secret_key = STRIPE_SK.into();
    sim.stripe.publishable_key = STRIPE_PK.into();
    sim.stripe.webhook_secret = STRIPE_WHSEC.into();
    sim.stripe.webhook_url = Some(format!("{api}/v1/webhooks/stripe"));
    sim.payfect.api_key = PAYFECT_KEY.into();
    sim.payfect.fernet_key = PAYFECT_FERNET.into();
    sim.bokamera.currency = "nok".into();
    // The booking systems sell the demo catalogue at the catalogue's prices.
    sim.sell(&[
        ("kayak-2h", "Two-hour kayak tour", 65_000),
        ("life-jacket", "Life-jacket rental", 7_500),
    ]);
    tweak(&mut sim);
    let sim = kassa_sim::start(sim).await.unwrap();
    let toml = fill_placeholders(
        DEMO_TEMPLATE,
        &[
            ("API_BIND", "127.0.0.1:0"),
            ("API_URL", &api),
            ("DATABASE_URL", &format!("sqlite://{}", dir.path().join("kassa.db").display())),
            ("SITE_URL", SITE),
            ("SITE_BIND", "127.0.0.1:0"),
            ("SITE_DIR", &dir.path().display().to_string()),
            ("STRIPE_URL", &sim.stripe_url),
            ("STRIPE_PUBLISHABLE_KEY", STRIPE_PK),
            ("PAYFECT_URL", &sim.payfect_url),
            ("FRONT_PAYMENT_URL", &sim.front_payment_url),
            ("CHECKFRONT_URL", &sim.checkfront_url),
            ("BOKAMERA_URL", &sim.bokamera_url),
        ],
    );
    // The simulator's default credentials for the providers these tests do not exercise.
    let defaults = kassa_sim::SimConfig::default();
    let settings = Settings::from_toml_with(
        &toml,
        &[
            ("providers.stripe.secret_key", STRIPE_SK.into()),
            ("providers.stripe.webhook_secrets", vec![STRIPE_WHSEC].into()),
            ("providers.payfect.api_key", PAYFECT_KEY.into()),
            ("providers.payfect.fernet_key", PAYFECT_FERNET.into()),
            ("providers.front_payment.token", defaults.front_payment.bearer_token.as_str().into()),
            (
                "providers.front_payment.secret_key",
                defaults.front_payment.secret_key.as_str().into(),
            ),
            ("providers.checkfront.api_key", defaults.checkfront.api_key.as_str().into()),
            ("providers.checkfront.api_secret", defaults.checkfront.api_secret.as_str().into()),
            ("providers.bokamera.api_key", defaults.bokamera.api_key.as_str().into()),
            ("providers.checkfront.webhook_token", "cf_api_test_0123456789abcdefghijklmn".into()),
            ("providers.bokamera.webhook_token", "bm_api_test_0123456789abcdefghijklmn".into()),
            ("checkout.quote_key", QUOTE_KEY.into()),
        ],
    )
    .unwrap();
    let server = kassa_server::spawn_on(settings, listener, None).await.unwrap();
    App { api, sim, http: reqwest::Client::new(), _server: server, _dir: dir }
}

fn cart() -> Value {
    json!([
        {"sku": "kayak-2h", "quantity": 2, "start_date": "2026-12-01", "end_date": "2026-12-01"},
        {"sku": "life-jacket", "quantity": 2}
    ])
}

fn create_body(method: &str) -> Value {
    json!({"items": cart(), "method": method, "return_url": format!("{SITE}/index.html")})
}

impl App {
    /// `GET /v1/checkout/config` as the widget reads it: the JSON text and its parsed form.
    async fn config_text(&self) -> String {
        let url = format!("{}/v1/checkout/config", self.api);
        self.http.get(url).send().await.unwrap().text().await.unwrap()
    }

    /// The config the widget gets, read through the contract's type.
    async fn config(&self) -> CheckoutConfig {
        serde_json::from_str(&self.config_text().await).unwrap()
    }

    async fn post(&self, path: &str, key: Option<&str>, body: &Value) -> reqwest::Response {
        let mut body = body.clone();
        if path == "/v1/checkout/sessions" && body.get("quote_id").is_none() {
            body["quote_id"] = self.quote_id(&body["items"]).await;
        }
        let mut req = self.http.post(format!("{}{path}", self.api)).json(&body);
        if let Some(key) = key {
            req = req.header("Idempotency-Key", key);
        }
        req.send().await.unwrap()
    }

    /// The id of the quote the widget would show for `items` before Pay; for a cart the
    /// backend cannot price, a well-formed id, so that the cart's own error is what answers.
    async fn quote_id(&self, items: &Value) -> Value {
        let res = self
            .http
            .post(format!("{}/v1/checkout/quote", self.api))
            .json(&json!({"items": items}))
            .send()
            .await
            .unwrap();
        if res.status() != 200 {
            return json!("v1.0.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA");
        }
        res.json::<Value>().await.unwrap()["id"].clone()
    }

    async fn create(&self, method: &str, key: &str) -> Session {
        self.create_with(key, &create_body(method)).await
    }

    async fn create_with(&self, key: &str, body: &Value) -> Session {
        let res = self.post("/v1/checkout/sessions", Some(key), body).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        res.json().await.unwrap()
    }

    async fn status(&self, id: &str) -> Session {
        self.http
            .get(format!("{}/v1/checkout/sessions/{id}", self.api))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Polls the session until `want` (the provider's news may take a moment to land).
    async fn wait_state(&self, id: &str, want: SessionState) -> Session {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let s = self.status(id).await;
            if s.state == want || tokio::time::Instant::now() > deadline {
                assert_eq!(s.state, want, "session {id}");
                return s;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn sim_requests(&self, base: &str) -> Vec<Value> {
        self.http.get(format!("{base}/__sim/requests")).send().await.unwrap().json().await.unwrap()
    }

    /// The simulated provider's whole state (`GET /__sim/state`).
    async fn sim_state(&self, base: &str) -> Value {
        self.http.get(format!("{base}/__sim/state")).send().await.unwrap().json().await.unwrap()
    }

    async fn sim(&self, base: &str, path: &str) -> reqwest::Response {
        self.http.post(format!("{base}/__sim{path}")).send().await.unwrap()
    }
}

fn session_creations(requests: &[Value]) -> usize {
    requests
        .iter()
        .filter(|r| {
            r["method"] == "POST"
                && (r["path"] == "/v1/checkout/sessions" || r["path"] == "/api/v1/checkouts/")
        })
        .filter(|r| r["status"].as_u64().is_some_and(|s| (200..300).contains(&s)))
        .count()
}

#[tokio::test]
async fn config_lists_the_methods_and_no_secret() {
    let app = spawn_app().await;
    let text = app.config_text().await;
    for secret in [STRIPE_SK, STRIPE_WHSEC, PAYFECT_KEY, PAYFECT_FERNET] {
        assert!(!text.contains(secret), "the config leaks a secret");
    }
    let config: CheckoutConfig = serde_json::from_str(&text).unwrap();
    let ids: Vec<_> = config.methods.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(
        &ids[..4],
        ["stripe-hosted", "stripe-embedded", "payfect-iframe", "payfect-redirect"]
    );
    assert_eq!(ids.len(), 14, "every provider's methods are listed");
    assert_eq!(config.methods[0].allowed_origins, [app.sim.stripe_url.clone(), SITE.to_owned()]);
}

#[tokio::test]
async fn quote_prices_from_the_catalog_and_refuses_a_price_from_the_page() {
    let app = spawn_app().await;
    let quote: Quote =
        app.post("/v1/checkout/quote", None, &json!({"items": cart()})).await.json().await.unwrap();
    assert_eq!(quote.total.minor(), 145_000);
    let res = app
        .post(
            "/v1/checkout/quote",
            None,
            &json!({"items": [{"sku": "life-jacket", "quantity": 1, "price": 1}]}),
        )
        .await;
    assert_eq!(res.status(), 400);
    let err: ApiError = res.json().await.unwrap();
    assert_eq!(
        (err.code, err.field.as_deref()),
        (ErrorCode::InvalidRequest, Some("items[0].price"))
    );
}

/// A quote for `cart()` as the backend would have issued it at `issued` (unix seconds), when
/// a kayak tour cost `kayak`: the price the customer saw then.
fn quote_seen(kayak: &str, issued: i64) -> Quote {
    use kassa_server::{catalog::Catalog, config::CatalogEntry, quotes::Quotes};
    let entry = |sku: &str, price: &str| CatalogEntry {
        sku: sku.into(),
        name: sku.into(),
        unit_price: price.into(),
        requires_dates: false,
    };
    let then = Catalog::new(
        kassa_wire::Currency::NOK,
        &[entry("kayak-2h", kayak), entry("life-jacket", "75.00")],
    )
    .unwrap();
    let items: Vec<kassa_wire::CartItem> = serde_json::from_value(cart()).unwrap();
    let quotes = Quotes::new(Some(&QUOTE_KEY.to_owned().into()), 900);
    quotes.quote(&then, &items, issued).unwrap()
}

fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

#[tokio::test]
async fn a_price_changed_since_the_quote_creates_nothing_and_answers_the_new_quote() {
    let app = spawn_app().await;
    // The customer saw the kayak tour at 600.00; the catalogue now says 650.00.
    let seen = quote_seen("600.00", unix_now());
    assert_eq!(seen.total.minor(), 135_000);
    let mut body = create_body("stripe-hosted");
    body["quote_id"] = json!(seen.id);
    let res = app.post("/v1/checkout/sessions", Some("k-price"), &body).await;
    assert_eq!(res.status(), 409);
    let err: ApiError = res.json().await.unwrap();
    assert_eq!(err.code, ErrorCode::PriceChanged);
    let fresh = err.quote.expect("the answer carries the new quote");
    assert_eq!(fresh.total.minor(), 145_000);
    assert_ne!(fresh.id, seen.id);
    // Nothing reached the provider, and the key was not used up.
    assert_eq!(app.sim_requests(&app.sim.stripe_url).await.len(), 0);
    body["quote_id"] = json!(fresh.id);
    let session = app.create_with("k-price", &body).await;
    assert_eq!(session.quote.total.minor(), 145_000);
    assert_eq!(session.quote.id, fresh.id);
    assert_eq!(session_creations(&app.sim_requests(&app.sim.stripe_url).await), 1);
}

#[tokio::test]
async fn an_expired_quote_at_the_same_price_creates_nothing_and_answers_a_fresh_quote() {
    let app = spawn_app().await;
    let old = quote_seen("650.00", unix_now() - 901);
    let mut body = create_body("stripe-hosted");
    body["quote_id"] = json!(old.id);
    let res = app.post("/v1/checkout/sessions", Some("k-old"), &body).await;
    assert_eq!(res.status(), 409);
    let err: ApiError = res.json().await.unwrap();
    assert_eq!(err.code, ErrorCode::QuoteExpired);
    let fresh = err.quote.unwrap();
    assert_eq!(fresh.total, old.total);
    assert!(fresh.expires_at > old.expires_at, "{} {}", fresh.expires_at, old.expires_at);
    assert_eq!(app.sim_requests(&app.sim.stripe_url).await.len(), 0);
    body["quote_id"] = json!(fresh.id);
    let session = app.create_with("k-old", &body).await;
    // A retry of the stored request answers with its order even once its quote is old.
    body["quote_id"] = json!(old.id);
    assert_eq!(app.create_with("k-old", &body).await.id, session.id);
    assert_eq!(session_creations(&app.sim_requests(&app.sim.stripe_url).await), 1);
}

#[tokio::test]
async fn a_forged_or_malformed_quote_id_is_refused_before_anything_happens() {
    let app = spawn_app().await;
    let genuine = quote_seen("650.00", unix_now());
    let mut forged = genuine.id.to_string();
    forged.replace_range(3..4, if &forged[3..4] == "9" { "8" } else { "9" });
    let other_key = {
        use kassa_server::quotes::Quotes;
        let items: Vec<kassa_wire::CartItem> = serde_json::from_value(cart()).unwrap();
        let quotes = Quotes::new(Some(&"someone else's key".to_owned().into()), 900);
        let priced =
            kassa_server::quotes::Priced { lines: genuine.lines.clone(), total: genuine.total };
        quotes.issue(&items, priced, unix_now()).id.to_string()
    };
    for id in [forged.as_str(), other_key.as_str(), "v1.x", "not a quote id", ""] {
        let mut body = create_body("stripe-hosted");
        body["quote_id"] = json!(id);
        let res = app.post("/v1/checkout/sessions", Some("k-forged"), &body).await;
        assert_eq!(res.status(), 400, "{id}");
        let err: ApiError = res.json().await.unwrap();
        assert_eq!(
            (err.code, err.field.as_deref()),
            (ErrorCode::InvalidRequest, Some("quote_id")),
            "{id}"
        );
    }
    // A quote of another cart does not pay for this one.
    let mut body = create_body("stripe-hosted");
    body["items"] = json!([{"sku": "life-jacket", "quantity": 1}]);
    body["quote_id"] = json!(genuine.id);
    let res = app.post("/v1/checkout/sessions", Some("k-forged"), &body).await;
    assert_eq!(res.status(), 400);
    assert_eq!(app.sim_requests(&app.sim.stripe_url).await.len(), 0);
}

#[tokio::test]
async fn bad_carts_create_nothing() {
    let app = spawn_app().await;
    for (items, field) in [
        (json!([{"sku": "submarine", "quantity": 1}]), "items[0].sku"),
        (json!([{"sku": "life-jacket", "quantity": 0}]), "items[0].quantity"),
        (json!([{"sku": "life-jacket", "quantity": 10000}]), "items[0].quantity"),
    ] {
        let body = json!({"items": items, "method": "stripe-hosted", "return_url": SITE});
        let res = app.post("/v1/checkout/sessions", Some("k-bad"), &body).await;
        assert_eq!(res.status(), 400);
        let err: ApiError = res.json().await.unwrap();
        assert_eq!(err.field.as_deref(), Some(field));
    }
    assert_eq!(session_creations(&app.sim_requests(&app.sim.stripe_url).await), 0);
}

#[tokio::test]
async fn creation_needs_a_key_and_an_allowed_return_page() {
    let app = spawn_app().await;
    let res = app.post("/v1/checkout/sessions", None, &create_body("stripe-hosted")).await;
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<ApiError>().await.unwrap().code, ErrorCode::IdempotencyKeyRequired);
    let mut body = create_body("stripe-hosted");
    body["return_url"] = json!("https://evil.test/");
    let res = app.post("/v1/checkout/sessions", Some("k1"), &body).await;
    assert_eq!(res.json::<ApiError>().await.unwrap().code, ErrorCode::ReturnUrlNotAllowed);
    let res = app
        .http
        .post(format!("{}/v1/checkout/sessions", app.api))
        .header("Idempotency-Key", "k2")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
}

#[tokio::test]
async fn stripe_hosted_session_redirects_to_the_simulator_and_is_paid_by_webhook() {
    let app = spawn_app().await;
    let session = app.create("stripe-hosted", "attempt-1").await;
    assert_eq!(session.state, SessionState::Open);
    let Some(kassa_wire::Action::Redirect { url, .. }) = &session.action else {
        panic!("{:?}", session.action)
    };
    assert!(url.starts_with(&app.sim.stripe_url), "{url}");
    let cs = url.rsplit('/').next().unwrap().split(['#', '?']).next().unwrap().to_owned();
    let res = app.sim(&app.sim.stripe_url, &format!("/sessions/{cs}/pay")).await;
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
    let paid = app.wait_state(&session.id, SessionState::Paid).await;
    let receipt = paid.receipt.expect("a paid session has a receipt");
    assert_eq!(receipt.amount.minor(), 145_000);
}

#[tokio::test]
async fn one_key_makes_one_order_and_one_provider_session_even_concurrently() {
    let app = spawn_app().await;
    let body = create_body("payfect-redirect");
    let requests = (0..8).map(|_| app.post("/v1/checkout/sessions", Some("double-click"), &body));
    let answers = futures::future::join_all(requests).await;
    let mut ids = vec![];
    for res in answers {
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        if status == 200 {
            ids.push(body["id"].as_str().unwrap().to_owned());
        } else {
            assert_eq!(body["code"], "idempotency_key_in_flight", "{body}");
        }
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every answer names the same session");
    assert_eq!(session_creations(&app.sim_requests(&app.sim.payfect_url).await), 1);
    let mut other = create_body("payfect-redirect");
    other["items"] = json!([{"sku": "life-jacket", "quantity": 1}]);
    let res = app.post("/v1/checkout/sessions", Some("double-click"), &other).await;
    assert_eq!(res.status(), 422);
    assert_eq!(res.json::<ApiError>().await.unwrap().code, ErrorCode::IdempotencyKeyReused);
}

#[tokio::test]
async fn a_webhook_with_a_bad_signature_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let session = app.create("stripe-hosted", "attempt-sig").await;
    let body = json!({"id": "evt_forged", "object": "event", "type": "checkout.session.completed",
        "data": {"object": {"id": "cs_x", "client_reference_id": session.id, "status": "complete", "payment_status": "paid",
        "amount_total": 145000, "currency": "nok", "metadata": {"kassa_order_id": session.id}}}});
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let res = app
        .http
        .post(format!("{}/v1/webhooks/stripe", app.api))
        .header("Stripe-Signature", format!("t={t},v1={}", "ab".repeat(32)))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let text = res.text().await.unwrap();
    assert!(
        !text.contains("signature") && !text.contains("tolerance"),
        "the answer does not say why: {text}"
    );
    assert_eq!(app.status(&session.id).await.state, SessionState::Open);
}

#[tokio::test]
async fn payfect_callback_pays_the_order() {
    let app = spawn_app().await;
    let session = app.create("payfect-iframe", "attempt-pf").await;
    let Some(kassa_wire::Action::Iframe { url }) = &session.action else {
        panic!("{:?}", session.action)
    };
    let id = url.trim_end_matches('/').rsplit('/').next().unwrap().to_owned();
    let res = app.sim(&app.sim.payfect_url, &format!("/sessions/{id}/pay")).await;
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
    app.wait_state(&session.id, SessionState::Paid).await;
}

#[tokio::test]
async fn a_provider_page_that_refuses_frames_is_answered_as_a_redirect_that_says_why() {
    use kassa_wire::{Action, RedirectReason};
    let app = spawn_app().await;
    let framing = |policy: &'static str| {
        let (http, url) = (app.http.clone(), format!("{}/__sim/framing", app.sim.payfect_url));
        async move {
            let res = http.post(url).json(&json!({ "policy": policy })).send().await.unwrap();
            assert!(res.status().is_success());
        }
    };
    let page_url = |action: &Option<Action>| match action {
        Some(Action::Iframe { url } | Action::Redirect { url, .. }) => url.clone(),
        other => panic!("{other:?}"),
    };

    let framed = app.create("payfect-iframe", "frame-allowed").await;
    assert!(matches!(framed.action, Some(Action::Iframe { .. })), "{:?}", framed.action);

    for (n, policy) in
        ["deny", "same_origin", "ancestors_none", "ancestors_self"].into_iter().enumerate()
    {
        framing(policy).await;
        let session = app.create("payfect-iframe", &format!("frame-refused-{n}")).await;
        let Some(Action::Redirect { reason, .. }) = &session.action else {
            panic!("{policy}: {:?}", session.action)
        };
        assert_eq!(*reason, Some(RedirectReason::FrameRefused), "{policy}");
        assert!(page_url(&session.action).starts_with(&app.sim.payfect_url), "{policy}");
        let json: Value = app
            .http
            .get(format!("{}/v1/checkout/sessions/{}", app.api, session.id))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(json["action"]["type"], "redirect", "{policy}");
        assert_eq!(json["action"]["reason"], "frame_refused", "{policy}: the stored answer too");
        // The same key replays the stored answer without asking the provider again.
        let replay = app.create("payfect-iframe", &format!("frame-refused-{n}")).await;
        assert_eq!(replay.action, session.action, "{policy}");
    }

    // A method whose presentation is a redirect carries no reason.
    let plain = app.create("payfect-redirect", "plain-redirect").await;
    let Some(Action::Redirect { reason, .. }) = &plain.action else { panic!("{:?}", plain.action) };
    assert_eq!(*reason, None);

    framing("allow").await;
    let again = app.create("payfect-iframe", "frame-allowed-again").await;
    assert!(matches!(again.action, Some(Action::Iframe { .. })), "{:?}", again.action);

    let metrics = app.http.get(format!("{}/metrics", app.api)).send().await.unwrap();
    let metrics = metrics.text().await.unwrap();
    let count = |outcome: &str| {
        let needle =
            format!("kassa_frame_checks_total{{provider=\"payfect\",outcome=\"{outcome}\"}} ");
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(needle.as_str()))
            .and_then(|n| n.trim().parse::<u64>().ok())
            .unwrap_or(0)
    };
    assert!(count("refused") >= 4, "{metrics}");
    assert!(count("allowed") >= 2, "{metrics}");
}

#[tokio::test]
async fn a_declined_stripe_payment_becomes_failed_when_the_customer_returns() {
    let app = spawn_app().await;
    let session = app.create("stripe-hosted", "attempt-decline").await;
    let Some(kassa_wire::Action::Redirect { url, .. }) = &session.action else { panic!() };
    let cs = url.rsplit('/').next().unwrap().split(['#', '?']).next().unwrap().to_owned();
    app.sim(&app.sim.stripe_url, &format!("/sessions/{cs}/decline")).await;
    let res =
        app.post(&format!("/v1/checkout/sessions/{}/cancel", session.id), None, &json!({})).await;
    let after: Session = res.json().await.unwrap();
    assert_eq!(after.state, SessionState::Failed);
}

#[tokio::test]
async fn cors_answers_only_the_merchants_origin() {
    let app = spawn_app().await;
    for (origin, allowed) in [
        (SITE, true),
        ("http://127.0.0.1:8001", false),
        ("null", false),
        ("https://evil.test", false),
    ] {
        let res = app
            .http
            .request(reqwest::Method::OPTIONS, format!("{}/v1/checkout/sessions", app.api))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "content-type,idempotency-key")
            .send()
            .await
            .unwrap();
        let echoed = res
            .headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(echoed.as_deref() == Some(origin), allowed, "{origin}: {echoed:?}");
        assert_ne!(echoed.as_deref(), Some("*"));
    }
}

fn private_invoice_body() -> Value {
    let mut body = create_body("fp-invoice");
    body["customer"] = json!({
        "customer_type": "private", "name": "Kari Nordmann", "personal_number": "01017012343",
        "email": "kari@example.no", "phone": "+4791234567", "street_address": "Storgata 1",
        "postal_code": "0155", "city": "Oslo", "country": "NO"
    });
    body
}

/// F1 and F4 (seed 002): a private invoice sends the customer to BankID; once signed, the
/// order is `invoiced`, not paid, and becomes paid only when Front Payment reports PAID.
#[tokio::test]
async fn a_private_invoice_goes_through_bankid_is_invoiced_and_paid_only_when_front_payment_says_so(
) {
    let app = spawn_app().await;
    let res = app.post("/v1/checkout/sessions", Some("invoice-1"), &private_invoice_body()).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let session: Session = res.json().await.unwrap();
    assert_eq!(session.state, SessionState::Open);
    let Some(kassa_wire::Action::Redirect { url: bankid, .. }) = session.action.clone() else {
        panic!("a redirect to BankID: {session:?}")
    };
    assert!(
        bankid.starts_with(&format!("{}/bankid/ODR", app.sim.front_payment_url)),
        "the customer goes to BankID first: {bankid}"
    );
    assert_eq!(app.status(&session.id).await.state, SessionState::Open, "not before BankID");

    // The customer signs with BankID; Front Payment invoices and calls back.
    // The page sends the customer on to the shop's page, which this test does not serve.
    let browser =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let signed = browser.post(&bankid).form(&[("action", "pay")]).send().await.unwrap();
    assert_eq!(signed.status(), 303);
    let invoiced = app.wait_state(&session.id, SessionState::Invoiced).await;
    assert!(invoiced.receipt.is_none(), "an invoice is not a payment: {invoiced:?}");
    assert!(!invoiced.unconfirmed);
    // The customer cannot cancel an invoice from the widget.
    let cancel =
        app.post(&format!("/v1/checkout/sessions/{}/cancel", session.id), None, &json!({})).await;
    assert_eq!(cancel.json::<Session>().await.unwrap().state, SessionState::Invoiced);

    // The invoice is paid at Front Payment, which reports PAID to the callback URL.
    let reference = bankid.rsplit('/').next().unwrap().to_owned();
    let paid = app.sim(&app.sim.front_payment_url, &format!("/sessions/{reference}/pay")).await;
    assert_eq!(paid.status(), 200, "{}", paid.text().await.unwrap());
    let paid = app.wait_state(&session.id, SessionState::Paid).await;
    assert_eq!(paid.receipt.unwrap().provider_reference, reference);
}

/// Bad input: a status Front Payment's documents do not list leaves the order as it was,
/// and the widget is told the payment could not be confirmed yet (never "paid").
#[tokio::test]
async fn an_unknown_front_payment_status_leaves_the_order_unchanged_and_unconfirmed() {
    let app = spawn_app_with(|sim| sim.front_payment.paid_status = "SETTLED_MAYBE".into()).await;
    let mut body = create_body("fp-vipps");
    body["customer"] =
        json!({"name": "Kari Nordmann", "email": "kari@example.no", "phone": "+4791234567"});
    let res = app.post("/v1/checkout/sessions", Some("unknown-1"), &body).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let session: Session = res.json().await.unwrap();
    assert!(!session.unconfirmed);
    let requests = app.sim_requests(&app.sim.front_payment_url).await;
    let created = requests.iter().find(|r| r["method"] == "POST").unwrap();
    assert_eq!(created["status"], 201);
    let state: Value = app.sim_state(&app.sim.front_payment_url).await;
    let reference = state["orders"][0]["uuid"].as_str().unwrap().to_owned();
    app.sim(&app.sim.front_payment_url, &format!("/sessions/{reference}/pay")).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let seen = loop {
        let s = app.status(&session.id).await;
        if s.unconfirmed || tokio::time::Instant::now() > deadline {
            break s;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(seen.unconfirmed, "the customer is told it is not confirmed yet: {seen:?}");
    assert_eq!(seen.state, SessionState::Open, "the order is unchanged");
    assert!(seen.receipt.is_none());
}

#[tokio::test]
async fn an_invoice_without_the_customers_identity_is_refused_before_anything_is_sent() {
    let app = spawn_app().await;
    let mut body = create_body("fp-invoice");
    body["customer"] = json!({"customer_type": "corporate", "name": "Fjord AS", "email": "post@fjord.no",
        "phone": "+4791234567", "street_address": "Storgata 1", "postal_code": "0155", "city": "Oslo", "country": "NO"});
    let res = app.post("/v1/checkout/sessions", Some("invoice-2"), &body).await;
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.json::<ApiError>().await.unwrap().field.as_deref(),
        Some("customer.organisation_id")
    );
    body["customer"]["organisation_id"] = json!("12345");
    let res = app.post("/v1/checkout/sessions", Some("invoice-3"), &body).await;
    assert_eq!(
        res.json::<ApiError>().await.unwrap().field.as_deref(),
        Some("customer.organisation_id")
    );
    let requests = app.sim_requests(&app.sim.front_payment_url).await;
    assert!(
        requests.iter().all(|r| r["method"] != "POST"),
        "nothing reached Front Payment: {requests:?}"
    );
}

#[tokio::test]
async fn a_private_invoice_customer_outside_norway_is_refused_at_the_personal_number_first() {
    let app = spawn_app().await;
    // The config tells the widget which countries the private invoice serves.
    let config: Value = serde_json::from_str(&app.config_text().await).unwrap();
    let methods = config["methods"].as_array().unwrap();
    let invoice = methods.iter().find(|m| m["id"] == "fp-invoice").unwrap();
    assert_eq!(invoice["personal_number_countries"], json!(["NO"]), "{invoice}");
    let vipps = methods.iter().find(|m| {
        m["required_fields"].as_array().is_some_and(|f| !f.contains(&json!("personal_number")))
    });
    assert!(vipps.is_some_and(|m| m.get("personal_number_countries").is_none()), "{vipps:?}");

    let mut body = create_body("fp-invoice");
    body["customer"] = json!({"customer_type": "private", "name": "Sven Svensson", "email": "sven@example.se",
        "phone": "+46701234567", "personal_number": "811218-9876", "street_address": "Drottninggatan 1",
        "postal_code": "111 51", "city": "Stockholm", "country": "SE"});
    let res = app.post("/v1/checkout/sessions", Some("invoice-se"), &body).await;
    assert_eq!(res.status(), 400);
    let error = res.json::<ApiError>().await.unwrap();
    assert_eq!(error.field.as_deref(), Some("customer.personal_number"), "{error:?}");
    let requests = app.sim_requests(&app.sim.front_payment_url).await;
    assert!(requests.iter().all(|r| r["method"] != "POST"), "nothing sent: {requests:?}");
}

/// Going live: the example production configuration for Front Payment is a configuration the
/// backend accepts, aimed at Front Payment's production API, and its adapter builds.
#[test]
fn the_front_payment_production_example_is_valid_and_points_at_the_real_api() {
    let text = include_str!("../configuration/front_payment.production.toml");
    let settings = Settings::from_toml_with(
        text,
        &[
            ("providers.front_payment.token", "fpgo-live-token".into()),
            ("providers.front_payment.secret_key", "fpgo-live-secret".into()),
        ],
    )
    .unwrap();
    let front = settings.providers.front_payment.expect("Front Payment is enabled");
    assert_eq!(front.adapter.base_url, "https://apigo.frontpayment.no/api/v1");
    assert!(!front.adapter.partner, "the documented reading: not a partner until told so");
    assert!(front.page_origins.iter().all(|o| o.starts_with("https://")));
    let http = kassa_providers::build_client().unwrap();
    kassa_providers::front_payment::FrontPayment::new(front.adapter, http).unwrap();
}

/// A BokaMera session body: BokaMera books the customer, so name, email and phone go along.
fn bokamera_body() -> Value {
    let mut body = create_body("bokamera-frame");
    body["customer"] =
        json!({"name": "Kari Nordmann", "email": "kari@example.no", "phone": "+4791234567"});
    body
}

#[tokio::test]
async fn a_bokamera_checkout_on_stripes_own_page_is_a_redirect_because_it_refuses_frames_k2() {
    use kassa_wire::{Action, RedirectReason};
    let app = spawn_app().await;
    let res = app.post("/v1/checkout/sessions", Some("bm-own-page"), &bokamera_body()).await;
    assert_eq!(res.status(), 200);
    let framed: Session = res.json().await.unwrap();
    let Some(Action::Iframe { url }) = &framed.action else { panic!("{:?}", framed.action) };
    assert!(url.starts_with(&app.sim.bokamera_url), "BokaMera's own page is framed: {url}");

    let kind = format!("{}/__sim/bokamera/hosted_page", app.sim.bokamera_url);
    let set = app.http.post(&kind).json(&json!({"kind": "stripe"})).send().await.unwrap();
    assert!(set.status().is_success());
    let res = app.post("/v1/checkout/sessions", Some("bm-stripe-page"), &bokamera_body()).await;
    assert_eq!(res.status(), 200);
    let session: Session = res.json().await.unwrap();
    let Some(Action::Redirect { url, reason }) = &session.action else {
        panic!("{:?}", session.action)
    };
    assert_eq!(*reason, Some(RedirectReason::FrameRefused));
    assert!(url.starts_with(&format!("{}/c/pay/cs_", app.sim.stripe_url)), "{url}");
}

#[tokio::test]
async fn a_bokamera_price_that_differs_from_the_quote_is_refused_and_the_order_kept_k3() {
    let app = spawn_app().await;
    let quote = app.post("/v1/checkout/quote", None, &json!({"items": cart()})).await;
    let quote: Quote = quote.json().await.unwrap();
    assert_eq!(quote.total.minor(), 145_000);
    let reprice = format!("{}/__sim/bokamera/articles/2/price", app.sim.bokamera_url);
    let set = app.http.post(&reprice).json(&json!({"price": 8_000})).send().await.unwrap();
    assert!(set.status().is_success());

    let res = app.post("/v1/checkout/sessions", Some("bm-repriced"), &bokamera_body()).await;
    assert_eq!(res.status(), 502);
    let error: ApiError = res.json().await.unwrap();
    // A code of its own: the customer is told the price differs, not that the payment was
    // declined, and offered another method (which takes the quote's total).
    assert_eq!(error.code, ErrorCode::ProviderPriceMismatch);
    assert!(!error.retryable, "the same request gets the same price: {error:?}");
    // BokaMera's reason is for the developer, in `detail`; the message stays general.
    let detail = error.detail.as_deref().unwrap_or_default();
    assert!(detail.contains("1460.00"), "BokaMera's price is named: {detail}");
    assert!(detail.contains("1450.00"), "and the quote: {detail}");
    assert!(!error.message.contains("1460.00"), "not in the message: {}", error.message);
    let reference = error.reference.clone().expect("the stored order is named");
    assert!(reference.starts_with("ks_"), "{reference}");
    let state: Value = app.sim_state(&app.sim.bokamera_url).await;
    assert_eq!(state["checkouts"], json!([]), "no checkout, nothing charged: {state}");
    // The order is kept, and says it did not go through.
    let again = app.post("/v1/checkout/sessions", Some("bm-repriced"), &bokamera_body()).await;
    let kept: Session = again.json().await.unwrap();
    assert_eq!(kept.state, SessionState::Failed);
    assert_eq!(kept.id.as_str(), reference, "the reference is the kept order's");
    assert!(kept.receipt.is_none());
}

#[tokio::test]
async fn a_bokamera_answer_the_documents_do_not_allow_leaves_the_order_open_until_one_does() {
    use kassa_wire::Action;
    let app = spawn_app().await;
    let res = app.post("/v1/checkout/sessions", Some("bm-bad-answer"), &bokamera_body()).await;
    let session: Session = res.json().await.unwrap();
    let Some(Action::Iframe { url }) = &session.action else { panic!("{:?}", session.action) };
    let cs = url.rsplit('/').next().unwrap().to_owned();
    // Every read of the booking answers what BokaMera's documents do not allow.
    let fault = json!({"kind": "malformed_json", "path": "/bookings", "count": 1000});
    let set = app
        .http
        .post(format!("{}/__sim/faults", app.sim.bokamera_url))
        .json(&fault)
        .send()
        .await
        .unwrap();
    assert!(set.status().is_success());
    assert!(app
        .sim(&app.sim.bokamera_url, &format!("/sessions/{cs}/pay"))
        .await
        .status()
        .is_success());
    assert!(!session.unconfirmed);
    // The checkout says complete, but the booking cannot be read: never paid, nothing changed,
    // however often the customer's widget asks (until BokaMera has answered badly twice), and
    // the customer is told the payment could not be confirmed yet.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let now = app.status(&session.id).await;
        assert_eq!(now.state, SessionState::Open, "a bad answer changes nothing");
        assert!(now.receipt.is_none());
        let reads = app.sim_requests(&app.sim.bokamera_url).await;
        let bad = reads
            .iter()
            .filter(|r| r["path"] == "/bookings" && r["fault"] == "malformed_json")
            .count();
        if bad >= 2 && now.unconfirmed {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the booking was never read, or the customer never told: {now:?} {reads:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.http.delete(format!("{}/__sim/faults", app.sim.bokamera_url)).send().await.unwrap();
    let paid = app.wait_state(&session.id, SessionState::Paid).await;
    assert!(!paid.unconfirmed, "a paid order is confirmed");
    assert_eq!(paid.receipt.unwrap().amount.minor(), 145_000);
}

/// The Payfect checkout id behind a session's page URL (`…/checkouts/{id}`).
fn payfect_checkout(session: &Session) -> String {
    let url = match &session.action {
        Some(kassa_wire::Action::Iframe { url } | kassa_wire::Action::Redirect { url, .. }) => url,
        other => panic!("{other:?}"),
    };
    url.trim_end_matches('/').rsplit('/').next().unwrap().to_owned()
}

#[tokio::test]
async fn payfect_answers_its_documents_do_not_allow_leave_the_order_open_and_unpaid() {
    let app = spawn_app().await;
    let fernet = fernet::Fernet::new(PAYFECT_FERNET).unwrap();
    let mut last = None;
    for (n, (why, status, currency, amount)) in [
        ("a status the docs do not list", "refunded", "NOK", "1450.00"),
        ("an ISO currency we did not ask for", "succeeded", "EUR", "1450.00"),
        ("a currency nobody knows", "succeeded", "doge", "1450.00"),
        ("an amount beyond Payfect's rounding", "succeeded", "NOK", "1449.00"),
    ]
    .into_iter()
    .enumerate()
    {
        // One order each: a callback is deduplicated by checkout and status.
        let session = app.create("payfect-redirect", &format!("pf-bad-input-{n}")).await;
        let checkout = payfect_checkout(&session);
        let body = json!({"id": checkout, "amount": amount, "status": status, "currency": currency,
            "merchant": "m", "is_livemode": false, "client_reference_id": session.id})
        .to_string();
        let res = app
            .http
            .post(format!("{}/v1/webhooks/payfect", app.api))
            .header("content-type", "application/json")
            .header("x-payfect-signature", fernet.encrypt(body.as_bytes()))
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{why}: a verified callback is acknowledged");
        let now = app.status(&session.id).await;
        assert_eq!(now.state, SessionState::Open, "{why}: the order is left as it was");
        assert!(now.receipt.is_none(), "{why}");
        last = Some((session, checkout));
    }
    // The real payment still lands: the simulator names usdt, as Payfect's docs do.
    let (session, checkout) = last.unwrap();
    let res = app.sim(&app.sim.payfect_url, &format!("/sessions/{checkout}/pay")).await;
    assert!(res.status().is_success());
    let paid = app.wait_state(&session.id, SessionState::Paid).await;
    assert_eq!(paid.receipt.unwrap().amount.minor(), 145_000);
}

#[tokio::test]
async fn checkfront_asks_for_the_accounts_own_booking_fields_and_checks_them_c3() {
    let app = spawn_app().await;
    let config = app.config().await;
    let method = config.methods.iter().find(|m| m.id == "checkfront").unwrap();
    let ids: Vec<&str> = method.extra_fields.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["guide_language", "pickup_point"], "read from Checkfront's booking/form");
    let language = &method.extra_fields[0];
    assert_eq!(language.label, "Guide language");
    assert!(language.required);
    assert_eq!(
        language.options.iter().map(|o| o.value.as_str()).collect::<Vec<_>>(),
        ["de", "en", "nb"]
    );
    let stripe = config.methods.iter().find(|m| m.id == "stripe-hosted").unwrap();
    assert!(stripe.extra_fields.is_empty());

    let mut body = create_body("checkfront");
    // Checkfront books every line for a date.
    body["items"][1]["start_date"] = json!("2026-12-01");
    body["customer"] = json!({"name": "Kari Nordmann", "email": "kari@example.com"});
    let refused = |res: reqwest::Response| async move {
        assert_eq!(res.status(), 400);
        res.json::<ApiError>().await.unwrap().field
    };
    let res = app.post("/v1/checkout/sessions", Some("cf-extra-1"), &body).await;
    assert_eq!(refused(res).await.as_deref(), Some("customer.extra.guide_language"));
    body["customer"]["extra"] = json!([{"id": "guide_language", "value": "fr"}, {"id": "pickup_point", "value": "Bryggen"}]);
    let res = app.post("/v1/checkout/sessions", Some("cf-extra-2"), &body).await;
    assert_eq!(refused(res).await.as_deref(), Some("customer.extra.guide_language"));
    body["customer"]["extra"] = json!([{"id": "guide_language", "value": "nb"},
        {"id": "pickup_point", "value": "Bryggen"}, {"id": "price", "value": "0"}]);
    let res = app.post("/v1/checkout/sessions", Some("cf-extra-3"), &body).await;
    assert_eq!(refused(res).await.as_deref(), Some("customer.extra.price"));
    assert_eq!(
        app.sim_state(&app.sim.checkfront_url).await["bookings"],
        json!([]),
        "nothing was booked"
    );

    body["customer"]["extra"] = json!([{"id": "guide_language", "value": "nb"}, {"id": "pickup_point", "value": "Bryggen"}]);
    let session = app.create_with("cf-extra-4", &body).await;
    assert_eq!(session.state, SessionState::Open);
    let state = app.sim_state(&app.sim.checkfront_url).await;
    assert_eq!(state["bookings"][0]["fields"]["guide_language"], "nb");
    assert_eq!(state["bookings"][0]["fields"]["pickup_point"], "Bryggen");
}
