//! Webhooks and callbacks that are forged, stale, early, replayed, duplicated, out of order or
//! about orders we do not have (R-K1..R-K5): every time the order ends in the right state,
//! the inbox holds what was taken, and a refusal never says why.

use futures::future::join_all;
use kassa_server::store::{now, Store};
use kassa_wire::{ProviderId, SessionState};
use serde_json::{json, Value};

use crate::support::{app::TestApp, Backend};

/// Words a refusal must not contain: they would tell a forger what to fix.
const TELLTALES: [&str; 8] =
    ["signature", "timestamp", "tolerance", "secret", "hmac", "checksum", "fernet", "expired"];

/// A refusal case: its name, the headers sent and the body sent.
type Case = (&'static str, Vec<(&'static str, String)>, String);

struct Hooks {
    app: TestApp,
    store: Store,
}

impl Hooks {
    async fn start() -> Hooks {
        let app = TestApp::start(Backend::Sqlite).await;
        let store = Store::connect(&app.db.url).await.unwrap();
        Hooks { app, store }
    }

    async fn post(&self, provider: &str, headers: &[(&str, String)], body: &str) -> (u16, String) {
        let mut req = self
            .app
            .http
            .post(crate::support::app::webhook_url(&self.app.api, provider))
            .body(body.to_owned());
        req = req.header("Content-Type", "application/json");
        for (name, value) in headers {
            req = req.header(*name, value);
        }
        let res = req.send().await.unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    }

    async fn get(&self, path_and_query: &str) -> (u16, String) {
        let res =
            self.app.http.get(format!("{}{path_and_query}", self.app.api)).send().await.unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    }

    fn stripe_signature(&self, t: i64, body: &str) -> String {
        kassa_sim::stripe::webhook::signature_header(
            &self.app.sim_config.stripe.webhook_secret,
            t,
            body.as_bytes(),
        )
    }

    async fn post_stripe(&self, body: &str, t: i64) -> (u16, String) {
        self.post("stripe", &[("Stripe-Signature", self.stripe_signature(t, body))], body).await
    }

    /// An open Stripe order, and the `checkout.session.completed` event the simulator makes
    /// when it is paid (with webhooks switched off, so the event is still undelivered).
    async fn stripe_paid_event(&self, key: &str) -> (String, Value) {
        let session = self.app.create_ok("stripe-hosted", key).await;
        let reference = self.app.provider_ref(&session.id).await;
        self.app
            .http
            .post(format!("{}/__sim/webhook", self.app.sim.stripe_url))
            .json(&json!({"url": null}))
            .send()
            .await
            .unwrap();
        self.app.act(ProviderId::Stripe, &reference, "pay").await;
        let state = self.app.sim_state(ProviderId::Stripe).await;
        let event = state["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| {
                e["type"] == "checkout.session.completed"
                    && e["data"]["object"]["id"] == reference.as_str()
            })
            .expect("a completion event")
            .clone();
        (session.id.to_string(), event)
    }

    fn payfect_token(&self, body: &str, at: u64) -> String {
        let fernet = fernet::Fernet::new(&self.app.sim_config.payfect.fernet_key).unwrap();
        fernet.encrypt_at_time(body.as_bytes(), at)
    }

    /// A Payfect callback body as Payfect sends it (`docs/providers.md` §3.3).
    async fn payfect_callback(&self, order_id: &str, status: &str) -> String {
        let reference = self.app.provider_ref(order_id).await;
        json!({
            "id": reference, "amount": "1450.00", "status": status, "currency": "NOK",
            "merchant": "00000000-0000-0000-0000-000000000001", "is_livemode": false,
            "payment_intent": "00000000-0000-0000-0000-000000000002",
            "payment_method": {"id": "00000000-0000-0000-0000-000000000003",
                "payment_method_detail": {"network": "tron", "currency": "usdt"}},
            "client_reference_id": order_id,
        })
        .to_string()
    }

    async fn post_payfect(&self, body: &str, at: u64) -> (u16, String) {
        self.post("payfect", &[("X-Payfect-Signature", self.payfect_token(body, at))], body).await
    }

    /// The path and query of a Front Payment callback for `uuid`, sent at `timestamp`.
    fn front_callback(&self, uuid: &str, status: &str, timestamp: i64) -> String {
        let callback = kassa_sim::front_payment::callback::Callback {
            url: format!("{}/v1/webhooks/front_payment", self.app.api),
            notice: kassa_sim::front_payment::callback::Notice {
                order_uuid: uuid.to_owned(),
                status: status.to_owned(),
                payment_method: "Visa".into(),
                amount: "1450.00".into(),
                created_at: now(),
            },
            method: reqwest::Method::GET,
            formula: self.app.sim_config.front_payment.checksum_formula,
            include_url_params: false,
            secret: self.app.sim_config.front_payment.secret_key.clone(),
        };
        let url = callback.url_at(timestamp).unwrap();
        url.strip_prefix(&self.app.api).unwrap().to_owned()
    }

    async fn state(&self, id: &str) -> SessionState {
        self.store.order(id).await.unwrap().unwrap().state
    }
}

fn assert_says_nothing(body: &str, case: &str) {
    let lower = body.to_lowercase();
    for word in TELLTALES {
        assert!(!lower.contains(word), "{case}: the refusal says `{word}`: {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stripe_webhook_that_fails_verification_in_any_way_is_refused_alike_and_changes_nothing()
{
    let h = Hooks::start().await;
    let (id, event) = h.stripe_paid_event("k-forged").await;
    let body = event.to_string();
    let t = now();
    let wrong_secret = kassa_sim::stripe::webhook::signature_header(
        "whsec_not_ours_0000000000000000",
        t,
        body.as_bytes(),
    );
    let tampered = body.replacen("145000", "145001", 1);
    let pretty = serde_json::to_string_pretty(&event).unwrap();
    let signature_of_body = h.stripe_signature(t, &body);
    let cases: Vec<Case> = vec![
        ("no signature header", vec![], body.clone()),
        ("an empty header", vec![("Stripe-Signature", String::new())], body.clone()),
        ("garbage", vec![("Stripe-Signature", "t=x,v1=zz".into())], body.clone()),
        ("the wrong secret", vec![("Stripe-Signature", wrong_secret)], body.clone()),
        (
            "only a v0 scheme",
            vec![("Stripe-Signature", signature_of_body.replace("v1=", "v0="))],
            body.clone(),
        ),
        ("one body byte changed", vec![("Stripe-Signature", signature_of_body.clone())], tampered),
        (
            "the JSON re-pretty-printed",
            vec![("Stripe-Signature", signature_of_body.clone())],
            pretty,
        ),
        (
            "a timestamp 301 s old",
            vec![("Stripe-Signature", h.stripe_signature(t - 301, &body))],
            body.clone(),
        ),
        (
            "a timestamp 301 s ahead",
            vec![("Stripe-Signature", h.stripe_signature(t + 301, &body))],
            body.clone(),
        ),
    ];
    let mut answers = vec![];
    for (case, headers, body) in &cases {
        let (status, text) = h.post("stripe", headers, body).await;
        assert_eq!(status, 400, "{case}: {text}");
        assert_says_nothing(&text, case);
        answers.push(text);
    }
    answers.dedup();
    assert_eq!(answers.len(), 1, "every refusal reads the same: {answers:?}");
    assert_eq!(h.state(&id).await, SessionState::Open);
    assert_eq!(h.store.inbox_count(&id).await.unwrap(), 0, "nothing unverified is stored");
    // The genuine event, signed now, is taken.
    assert_eq!(h.post_stripe(&body, t).await.0, 200);
    assert_eq!(h.state(&id).await, SessionState::Paid);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_webhook_is_refused_when_its_signature_is_stale_and_changes_nothing_when_fresh()
{
    let h = Hooks::start().await;
    let (id, event) = h.stripe_paid_event("k-replay").await;
    let body = event.to_string();
    let captured = h.stripe_signature(now() - 400, &body);
    assert_eq!(h.post_stripe(&body, now()).await.0, 200);
    // An eavesdropper replays the header it saw, long after: refused.
    let (status, text) = h.post("stripe", &[("Stripe-Signature", captured)], &body).await;
    assert_eq!(status, 400, "{text}");
    // Stripe itself redelivers (a fresh signature): acknowledged, recorded once, no change.
    assert_eq!(h.post_stripe(&body, now()).await.0, 200);
    assert_eq!(
        h.store.history(&id).await.unwrap(),
        [SessionState::Created, SessionState::Open, SessionState::Paid]
    );
    assert_eq!(h.store.inbox_count(&id).await.unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payfect_callbacks_that_are_forged_stale_or_from_the_future_are_refused_alike() {
    let h = Hooks::start().await;
    let session = h.app.create_ok("payfect-redirect", "k-pf-forged").await;
    let body = h.payfect_callback(&session.id, "succeeded").await;
    let t = u64::try_from(now()).unwrap();
    let other_key =
        fernet::Fernet::new(&fernet::Fernet::generate_key()).unwrap().encrypt(body.as_bytes());
    let cases: Vec<Case> = vec![
        ("no signature header", vec![], body.clone()),
        ("another key", vec![("X-Payfect-Signature", other_key)], body.clone()),
        (
            "a body that is not the token's",
            vec![("X-Payfect-Signature", h.payfect_token(&body, t))],
            body.replace("1450.00", "1.00"),
        ),
        (
            "a token 301 s old",
            vec![("X-Payfect-Signature", h.payfect_token(&body, t - 301))],
            body.clone(),
        ),
        (
            "a token 301 s ahead",
            vec![("X-Payfect-Signature", h.payfect_token(&body, t + 301))],
            body.clone(),
        ),
    ];
    let mut answers = vec![];
    for (case, headers, body) in &cases {
        let (status, text) = h.post("payfect", headers, body).await;
        assert_eq!(status, 400, "{case}: {text}");
        assert_says_nothing(&text, case);
        answers.push(text);
    }
    answers.dedup();
    assert_eq!(answers.len(), 1, "every refusal reads the same: {answers:?}");
    assert_eq!(h.state(&session.id).await, SessionState::Open);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn front_payment_callbacks_with_a_bad_checksum_or_a_stale_or_future_timestamp_are_refused_alike(
) {
    let h = Hooks::start().await;
    let session = h.app.create_ok("front-hosted", "k-fp-forged").await;
    let uuid = h.app.provider_ref(&session.id).await;
    h.app.act(ProviderId::FrontPayment, &uuid, "pay").await;
    let fresh = h.front_callback(&uuid, "PAID", now());
    let cases = [
        ("a checksum changed", fresh.replacen("checksum=", "checksum=0", 1)),
        ("a parameter changed", fresh.replace("amount=1450.00", "amount=1.00")),
        ("no checksum", fresh.split("&checksum=").next().unwrap().to_owned()),
        ("a timestamp 301 s old", h.front_callback(&uuid, "PAID", now() - 301)),
        ("a timestamp 301 s ahead", h.front_callback(&uuid, "PAID", now() + 301)),
    ];
    let mut answers = vec![];
    for (case, path) in &cases {
        let (status, text) = h.get(path).await;
        assert_eq!(status, 400, "{case}: {text}");
        assert_says_nothing(&text, case);
        answers.push(text);
    }
    answers.dedup();
    assert_eq!(answers.len(), 1, "every refusal reads the same: {answers:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_copies_of_each_providers_notification_change_the_order_once() {
    let h = Hooks::start().await;

    let (stripe_order, event) = h.stripe_paid_event("k-dup-stripe").await;
    let body = event.to_string();
    let answers = join_all((0..20).map(|_| h.post_stripe(&body, now()))).await;
    assert!(answers.iter().all(|(s, _)| *s == 200), "{answers:?}");

    let payfect = h.app.create_ok("payfect-redirect", "k-dup-payfect").await;
    let callback = h.payfect_callback(&payfect.id, "succeeded").await;
    let t = u64::try_from(now()).unwrap();
    let answers = join_all((0..20).map(|_| h.post_payfect(&callback, t))).await;
    assert!(answers.iter().all(|(s, _)| *s == 200), "{answers:?}");

    let front = h.app.create_ok("front-hosted", "k-dup-front").await;
    let uuid = h.app.provider_ref(&front.id).await;
    h.app.act(ProviderId::FrontPayment, &uuid, "pay").await;
    // Sent as of 100 s ago (within the tolerance), so it is not the simulator's own delivery.
    let path = h.front_callback(&uuid, "PAID", now() - 100);
    let answers = join_all((0..20).map(|_| h.get(&path))).await;
    assert!(answers.iter().all(|(s, _)| *s == 200), "{answers:?}");

    for id in [stripe_order.as_str(), payfect.id.as_str(), front.id.as_str()] {
        assert_eq!(
            h.store.history(id).await.unwrap(),
            [SessionState::Created, SessionState::Open, SessionState::Paid],
            "{id}"
        );
    }
    // Stripe and Payfect name each event once; Front Payment's identity includes the send
    // time, so its simulator delivery and the 20 copies are two entries.
    assert_eq!(h.store.inbox_count(&stripe_order).await.unwrap(), 1);
    assert_eq!(h.store.inbox_count(&payfect.id).await.unwrap(), 1);
    assert_eq!(h.store.inbox_count(&front.id).await.unwrap(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expiry_or_a_failure_that_arrives_after_the_payment_leaves_the_order_paid() {
    let h = Hooks::start().await;
    let (id, event) = h.stripe_paid_event("k-late-stripe").await;
    assert_eq!(h.post_stripe(&event.to_string(), now()).await.0, 200);
    let mut expired = event.clone();
    expired["id"] = json!("evt_late_expiry_0000000000000");
    expired["type"] = json!("checkout.session.expired");
    expired["data"]["object"]["status"] = json!("expired");
    expired["data"]["object"]["payment_status"] = json!("unpaid");
    let (status, text) = h.post_stripe(&expired.to_string(), now()).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(h.state(&id).await, SessionState::Paid);

    let payfect = h.app.create_ok("payfect-redirect", "k-late-payfect").await;
    let t = u64::try_from(now()).unwrap();
    assert_eq!(h.post_payfect(&h.payfect_callback(&payfect.id, "succeeded").await, t).await.0, 200);
    assert_eq!(h.post_payfect(&h.payfect_callback(&payfect.id, "failed").await, t).await.0, 200);
    assert_eq!(h.state(&payfect.id).await, SessionState::Paid);

    for id in [id.as_str(), payfect.id.as_str()] {
        let history = h.store.history(id).await.unwrap();
        assert_eq!(
            history,
            [SessionState::Created, SessionState::Open, SessionState::Paid],
            "{id}"
        );
        assert_eq!(
            h.store.inbox_count(id).await.unwrap(),
            2,
            "{id}: the late event is recorded, and ignored"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notification_about_an_order_we_do_not_have_is_acknowledged_and_creates_nothing() {
    let h = Hooks::start().await;
    let (_, event) = h.stripe_paid_event("k-known").await;
    let mut stranger = event.clone();
    stranger["id"] = json!("evt_stranger_000000000000000");
    stranger["data"]["object"]["id"] = json!("cs_test_not_ours");
    stranger["data"]["object"]["client_reference_id"] = json!("ks_not_ours");
    stranger["data"]["object"]["metadata"] = json!({"kassa_order_id": "ks_not_ours"});
    assert_eq!(h.post_stripe(&stranger.to_string(), now()).await.0, 200);

    let body = json!({"id": "9b2f3c1e-0000-4000-8000-000000000000", "amount": "10.00", "status": "succeeded",
        "currency": "NOK", "client_reference_id": "ks_not_ours"})
    .to_string();
    assert_eq!(h.post_payfect(&body, u64::try_from(now()).unwrap()).await.0, 200);

    let (status, text) = h.get(&h.front_callback("ODR0000000001", "PAID", now())).await;
    assert_eq!(status, 200, "an order Front Payment does not know: nothing to retry: {text}");

    assert_eq!(h.store.order_count().await.unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_checkfront_hint_changes_nothing_because_the_booking_is_read_back() {
    let h = Hooks::start().await;
    let session = h.app.create_ok("checkfront-redirect", "k-cf-forged").await;
    let code = h.app.provider_ref(&session.id).await;
    let forged = json!({"booking": {"code": code, "status_id": "PAID", "paid_total": "1450.00"}})
        .to_string();
    let (status, text) = h.post("checkfront", &[], &forged).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(
        h.state(&session.id).await,
        SessionState::Open,
        "Checkfront says the booking is unpaid (R-K3)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsigned_providers_notification_without_its_path_token_is_not_found_and_changes_nothing(
) {
    use crate::support::app::CHECKFRONT_WEBHOOK_TOKEN;
    let h = Hooks::start().await;
    // Checkfront's own notifications are lost, from before the booking on.
    let stop = h
        .app
        .http
        .post(format!("{}/__sim/webhook", h.app.sim.checkfront_url))
        .json(&json!({ "url": null }))
        .send()
        .await
        .unwrap();
    assert!(stop.status().is_success());
    let session = h.app.create_ok("checkfront-redirect", "k-cf-token").await;
    let code = h.app.provider_ref(&session.id).await;
    // The booking is really paid.
    h.app.act(ProviderId::Checkfront, &code, "pay").await;
    let hint = json!({"booking": {"code": code, "status_id": "PAID"}}).to_string();

    let wrong_token = "x".repeat(CHECKFRONT_WEBHOOK_TOKEN.len());
    let one_short = &CHECKFRONT_WEBHOOK_TOKEN[..CHECKFRONT_WEBHOOK_TOKEN.len() - 1];
    for path in [
        "/v1/webhooks/checkfront".to_owned(),
        format!("/v1/webhooks/checkfront/{wrong_token}"),
        format!("/v1/webhooks/checkfront/{one_short}"),
        format!("/v1/webhooks/checkfront/{CHECKFRONT_WEBHOOK_TOKEN}x"),
        format!("/v1/webhooks/stripe/{CHECKFRONT_WEBHOOK_TOKEN}"),
    ] {
        let res = h
            .app
            .http
            .post(format!("{}{path}", h.app.api))
            .header("Content-Type", "application/json")
            .body(hint.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{path}");
        let text = res.text().await.unwrap();
        assert!(!text.contains("token"), "a refusal does not say why: {text}");
        assert_eq!(h.state(&session.id).await, SessionState::Open, "{path}");
        assert_eq!(h.store.inbox_count(&session.id).await.unwrap(), 0, "{path}: nothing stored");
    }

    let (status, text) = h.post("checkfront", &[], &hint).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(h.state(&session.id).await, SessionState::Paid, "the right token is heard");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_sent_while_the_backend_is_down_is_taken_when_the_provider_retries() {
    let mut h = Hooks::start().await;
    let session = h.app.create_ok("stripe-hosted", "k-down").await;
    let reference = h.app.provider_ref(&session.id).await;
    h.app.stop_backend();
    let paid = h.app.act(ProviderId::Stripe, &reference, "pay").await;
    assert!(paid["delivery"]["status_code"].is_null(), "the first delivery found nobody: {paid}");
    h.app.restart_backend().await;
    // No poll asks Stripe here: only the simulator's redelivery can pay the order.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while h.state(&session.id).await != SessionState::Paid {
        assert!(tokio::time::Instant::now() < deadline, "the redelivered webhook was not taken");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(h.store.inbox_count(&session.id).await.unwrap(), 1);
}
