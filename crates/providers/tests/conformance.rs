//! Adapter conformance: one suite of behaviours, run against every adapter over real HTTP
//! against the provider simulator (`kassa-sim`), each provider on its own loopback port.
//!
//! A behaviour is written once, in terms of Kassa's domain (sessions, updates, errors), and
//! each adapter must show it: create, pay, decline, cancel, expire, duplicate, late and
//! forged notifications, provider 4xx/5xx, rate limiting, broken answers (R-I3, R-I4, R-I5,
//! R-K1–R-K4, R-R1). The only per-provider knowledge is in [`Harness`]: how to build the
//! adapter against the simulator and which request path creates a session.
//!
//! Nothing here sleeps to wait: the simulator's control plane answers after its first
//! notification attempt, so by then the notification is in the inbox.

use std::{
    sync::{Arc, Mutex},
    time::{SystemTime, UNIX_EPOCH},
};

use axum::{body::Bytes, extract::State, http::HeaderMap, routing::any, Router};
use kassa_providers::{
    bokamera::{ArticleMapping, Bokamera, BokameraConfig},
    checkfront::{ActAs, Checkfront, CheckfrontConfig, ItemMapping},
    front_payment::{FrontPayment, FrontPaymentConfig},
    payfect::{Payfect, PayfectConfig},
    stripe::{Stripe, StripeConfig},
    CustomerIdentity, IncomingNotification, OrderLine, PaymentUpdate, Provider, ProviderError,
    RetryPolicy, SessionRequest,
};
use kassa_sim::{bokamera::BokameraArticle, checkfront::CheckfrontItem, SimConfig, SimHandle};
use kassa_wire::{Action, Currency, CustomerDetails, Money, PaymentEvent, Presentation};
use secrecy::SecretString;
use serde_json::{json, Value};

/// A notification as the simulator delivered it to us.
#[derive(Clone, Debug)]
struct Captured {
    path: String,
    headers: HeaderMap,
    query: String,
    body: Bytes,
}

/// A loopback endpoint that records every notification it receives and answers 200.
#[derive(Clone, Default)]
struct Inbox {
    captured: Arc<Mutex<Vec<Captured>>>,
}

impl Inbox {
    async fn start() -> (Inbox, String) {
        let inbox = Inbox::default();
        let app =
            Router::new().fallback(any(
                |State(inbox): State<Inbox>,
                 uri: axum::http::Uri,
                 headers: HeaderMap,
                 body: Bytes| async move {
                    let captured = Captured {
                        path: uri.path().to_owned(),
                        headers,
                        query: uri.query().unwrap_or_default().to_owned(),
                        body,
                    };
                    inbox.captured.lock().unwrap().push(captured);
                    "ok"
                },
            ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = app.with_state(inbox.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (inbox, url)
    }

    /// Takes the notifications received so far on `path`.
    fn take(&self, path: &str) -> Vec<Captured> {
        let mut all = self.captured.lock().unwrap();
        let (mine, rest): (Vec<_>, Vec<_>) = all.drain(..).partition(|c| c.path == path);
        *all = rest;
        mine
    }
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        attempt_timeout_ms: 2_000,
        deadline_ms: 6_000,
        initial_backoff_ms: 20,
        max_backoff_ms: 100,
    }
}

/// One adapter wired to the simulator.
struct Harness {
    name: &'static str,
    /// Appended to order ids, so harnesses sharing a simulated provider never share a key.
    slug: &'static str,
    provider: Provider,
    /// The adapter built with a wrong API key.
    wrong_key: Provider,
    /// The simulated provider's base URL (control plane lives there).
    sim_url: String,
    presentation: Presentation,
    /// Text contained in the create call's path, for fault targeting and request counting.
    create_path: &'static str,
    /// Where the simulator sends this provider's notifications.
    notify_path: &'static str,
    notify_url: String,
    /// Where notifications land.
    inbox: Inbox,
    /// Whether the provider reports a declined attempt at all. Front Payment keeps the order
    /// open for another try and says nothing, which is also a correct answer.
    reports_declines: bool,
    /// Whether the provider notifies us at all (BokaMera takes Stripe's webhooks itself).
    notifies: bool,
    /// Whether a paid update carries the amount (BokaMera reports none).
    reports_amount: bool,
    /// Text in the path of a status read, when the reference is not in it (BokaMera posts it).
    read_path: Option<&'static str>,
    /// Whether a new create for the same order invalidates the earlier session (BokaMera), so
    /// a re-sent create is harmless.
    create_replaces_earlier: bool,
    /// `SessionRequest::method_variant` (Front Payment's flow).
    variant: Option<&'static str>,
}

struct Env {
    _sim: SimHandle,
    harnesses: Vec<Harness>,
    http: reqwest::Client,
}

impl Env {
    async fn start() -> Env {
        let (inbox, inbox_url) = Inbox::start().await;
        let mut config = SimConfig::default();
        config.stripe.webhook_url = Some(format!("{inbox_url}/stripe"));
        config.checkfront.webhook_url = Some(format!("{inbox_url}/checkfront"));
        // The Checkfront account sells what the other harnesses' catalogue sells, at the same prices.
        config.checkfront.items = vec![
            CheckfrontItem {
                item_id: 1,
                sku: "kayak-2h".into(),
                name: "Two-hour kayak tour".into(),
                price: 65_000,
                stock: 50,
            },
            CheckfrontItem {
                item_id: 2,
                sku: "life-jacket".into(),
                name: "Life-jacket rental".into(),
                price: 7_550,
                stock: 50,
            },
        ];
        config.bokamera.currency = "nok".into();
        config.bokamera.articles = vec![
            BokameraArticle {
                article_id: 1,
                article_type_id: 1,
                name: "Two-hour kayak tour".into(),
                price: 65_000,
            },
            BokameraArticle {
                article_id: 2,
                article_type_id: 1,
                name: "Life-jacket rental".into(),
                price: 7_550,
            },
        ];
        let sim = kassa_sim::start(config.clone()).await.unwrap();
        let http = kassa_providers::build_client().unwrap();

        let stripe = |secret: &str| StripeConfig {
            base_url: sim.stripe_url.clone(),
            secret_key: SecretString::from(secret),
            publishable_key: config.stripe.publishable_key.clone(),
            webhook_secrets: vec![SecretString::from(config.stripe.webhook_secret.clone())],
            retry: fast_retries(),
            ..StripeConfig::default()
        };
        let payfect = |key: &str| PayfectConfig {
            base_url: format!("{}{}", sim.payfect_url, config.payfect.path_prefix),
            api_key: SecretString::from(key),
            fernet_key: SecretString::from(config.payfect.fernet_key.clone()),
            callback_ttl_secs: Some(300),
            retry: fast_retries(),
            ..PayfectConfig::default()
        };
        let front = |token: &str| FrontPaymentConfig {
            base_url: format!("{}{}", sim.front_payment_url, config.front_payment.api_prefix),
            token: SecretString::from(token),
            secret_key: SecretString::from(config.front_payment.secret_key.clone()),
            retry: fast_retries(),
            ..FrontPaymentConfig::default()
        };
        let checkfront = |secret: &str, act_as: ActAs| CheckfrontConfig {
            act_as,
            base_url: sim.checkfront_url.clone(),
            allowed_host_suffixes: vec![],
            api_key: SecretString::from(config.checkfront.api_key.clone()),
            api_secret: SecretString::from(secret),
            items: [
                ("kayak-2h".to_owned(), ItemMapping { item_id: "1".into(), param: "qty".into() }),
                (
                    "life-jacket".to_owned(),
                    ItemMapping { item_id: "2".into(), param: "qty".into() },
                ),
            ]
            .into(),
            retry: fast_retries(),
            ..CheckfrontConfig::default()
        };
        let bokamera = |key: &str| BokameraConfig {
            base_url: sim.bokamera_url.clone(),
            api_key: SecretString::from(key),
            company_id: config.bokamera.company_id.clone(),
            articles: [
                ("kayak-2h".to_owned(), ArticleMapping { article_id: 1, article_type_id: 1 }),
                ("life-jacket".to_owned(), ArticleMapping { article_id: 2, article_type_id: 1 }),
            ]
            .into(),
            publishable_key: config.stripe.publishable_key.clone(),
            retry: fast_retries(),
            ..BokameraConfig::default()
        };
        let harnesses = vec![
            Harness {
                name: "stripe (hosted)",
                slug: "sh",
                provider: Provider::Stripe(
                    Stripe::new(stripe(&config.stripe.secret_key), http.clone()).unwrap(),
                ),
                wrong_key: Provider::Stripe(
                    Stripe::new(stripe("sk_test_wrong"), http.clone()).unwrap(),
                ),
                sim_url: sim.stripe_url.clone(),
                presentation: Presentation::Redirect,
                create_path: "/v1/checkout/sessions",
                notify_path: "/stripe",
                notify_url: format!("{inbox_url}/stripe"),
                inbox: inbox.clone(),
                reports_declines: true,
                notifies: true,
                reports_amount: true,
                read_path: None,
                create_replaces_earlier: false,
                variant: None,
            },
            Harness {
                name: "stripe (embedded)",
                slug: "se",
                provider: Provider::Stripe(
                    Stripe::new(stripe(&config.stripe.secret_key), http.clone()).unwrap(),
                ),
                wrong_key: Provider::Stripe(
                    Stripe::new(stripe("sk_test_wrong"), http.clone()).unwrap(),
                ),
                sim_url: sim.stripe_url.clone(),
                presentation: Presentation::StripeEmbedded,
                create_path: "/v1/checkout/sessions",
                notify_path: "/stripe",
                notify_url: format!("{inbox_url}/stripe"),
                inbox: inbox.clone(),
                reports_declines: true,
                notifies: true,
                reports_amount: true,
                read_path: None,
                create_replaces_earlier: false,
                variant: None,
            },
            Harness {
                name: "payfect (iframe)",
                slug: "pf",
                provider: Provider::Payfect(
                    Payfect::new(payfect(&config.payfect.api_key), http.clone()).unwrap(),
                ),
                wrong_key: Provider::Payfect(
                    Payfect::new(payfect("Wrong.key"), http.clone()).unwrap(),
                ),
                sim_url: sim.payfect_url.clone(),
                presentation: Presentation::Iframe,
                create_path: "/checkouts/",
                notify_path: "/payfect",
                notify_url: format!("{inbox_url}/payfect"),
                inbox: inbox.clone(),
                reports_declines: true,
                notifies: true,
                reports_amount: true,
                read_path: None,
                create_replaces_earlier: false,
                variant: None,
            },
            Harness {
                name: "front payment (hosted link)",
                slug: "fp",
                provider: Provider::FrontPayment(
                    FrontPayment::new(front(&config.front_payment.bearer_token), http.clone())
                        .unwrap(),
                ),
                wrong_key: Provider::FrontPayment(
                    FrontPayment::new(front("wrong-token"), http.clone()).unwrap(),
                ),
                sim_url: sim.front_payment_url.clone(),
                presentation: Presentation::Redirect,
                create_path: "/payment-link/create",
                notify_path: "/front_payment",
                notify_url: format!("{inbox_url}/front_payment"),
                inbox: inbox.clone(),
                reports_declines: false,
                notifies: true,
                reports_amount: true,
                read_path: None,
                create_replaces_earlier: false,
                variant: None,
            },
            Harness {
                name: "front payment (regular, vipps)",
                slug: "fv",
                provider: Provider::FrontPayment(
                    FrontPayment::new(front(&config.front_payment.bearer_token), http.clone())
                        .unwrap(),
                ),
                wrong_key: Provider::FrontPayment(
                    FrontPayment::new(front("wrong-token"), http.clone()).unwrap(),
                ),
                sim_url: sim.front_payment_url.clone(),
                presentation: Presentation::Redirect,
                create_path: "/regular/submit",
                notify_path: "/front_payment",
                notify_url: format!("{inbox_url}/front_payment"),
                inbox: inbox.clone(),
                reports_declines: false,
                notifies: true,
                reports_amount: true,
                read_path: None,
                create_replaces_earlier: false,
                variant: Some("vipps"),
            },
            Harness {
                name: "checkfront (customer, iframe)",
                slug: "cf",
                provider: Provider::Checkfront(
                    Checkfront::new(
                        checkfront(&config.checkfront.api_secret, ActAs::Customer),
                        http.clone(),
                    )
                    .unwrap(),
                ),
                wrong_key: Provider::Checkfront(
                    Checkfront::new(checkfront("wrong-secret", ActAs::Customer), http.clone())
                        .unwrap(),
                ),
                sim_url: sim.checkfront_url.clone(),
                presentation: Presentation::Iframe,
                create_path: "/booking/create",
                notify_path: "/checkfront",
                notify_url: format!("{inbox_url}/checkfront"),
                inbox: inbox.clone(),
                reports_declines: false,
                notifies: true,
                reports_amount: true,
                read_path: None,
                create_replaces_earlier: false,
                variant: None,
            },
            Harness {
                name: "checkfront (staff, redirect)",
                slug: "cs",
                provider: Provider::Checkfront(
                    Checkfront::new(
                        checkfront(&config.checkfront.api_secret, ActAs::Staff),
                        http.clone(),
                    )
                    .unwrap(),
                ),
                wrong_key: Provider::Checkfront(
                    Checkfront::new(checkfront("wrong-secret", ActAs::Staff), http.clone())
                        .unwrap(),
                ),
                sim_url: sim.checkfront_url.clone(),
                presentation: Presentation::Redirect,
                create_path: "/booking/create",
                notify_path: "/checkfront",
                notify_url: format!("{inbox_url}/checkfront"),
                inbox: inbox.clone(),
                reports_declines: false,
                notifies: true,
                reports_amount: true,
                read_path: None,
                create_replaces_earlier: false,
                variant: None,
            },
            Harness {
                name: "bokamera (hosted, iframe)",
                slug: "bh",
                provider: Provider::Bokamera(
                    Bokamera::new(bokamera(&config.bokamera.api_key), http.clone()).unwrap(),
                ),
                wrong_key: Provider::Bokamera(
                    Bokamera::new(bokamera("00000000-0000-0000-0000-000000000000"), http.clone())
                        .unwrap(),
                ),
                sim_url: sim.bokamera_url.clone(),
                presentation: Presentation::Iframe,
                create_path: "/payment/stripe/v1/checkout",
                notify_path: "/bokamera",
                notify_url: format!("{inbox_url}/bokamera"),
                inbox: inbox.clone(),
                reports_declines: false,
                notifies: false,
                reports_amount: false,
                read_path: Some("/checkout/status"),
                create_replaces_earlier: true,
                variant: None,
            },
            Harness {
                name: "bokamera (embedded)",
                slug: "be",
                provider: Provider::Bokamera(
                    Bokamera::new(bokamera(&config.bokamera.api_key), http.clone()).unwrap(),
                ),
                wrong_key: Provider::Bokamera(
                    Bokamera::new(bokamera("00000000-0000-0000-0000-000000000000"), http.clone())
                        .unwrap(),
                ),
                sim_url: sim.bokamera_url.clone(),
                presentation: Presentation::StripeEmbedded,
                create_path: "/payment/stripe/v1/checkout",
                notify_path: "/bokamera",
                notify_url: format!("{inbox_url}/bokamera"),
                inbox: inbox.clone(),
                reports_declines: false,
                notifies: false,
                reports_amount: false,
                read_path: Some("/checkout/status"),
                create_replaces_earlier: true,
                variant: None,
            },
        ];
        Env { _sim: sim, harnesses, http }
    }
}

fn nok(minor: i64) -> Money {
    Money::from_minor(minor, Currency::NOK).unwrap()
}

impl Harness {
    fn request(&self, order: &str) -> SessionRequest {
        let order = format!("{order}_{}", self.slug);
        let order = order.as_str();
        let kayak = OrderLine {
            sku: "kayak-2h".into(),
            name: "Two-hour kayak tour".into(),
            quantity: 2,
            unit_price: nok(65_000),
            line_total: nok(130_000),
            start_date: Some("2026-07-01".into()),
            end_date: None,
        };
        let jacket = OrderLine {
            sku: "life-jacket".into(),
            name: "Life-jacket rental".into(),
            quantity: 1,
            unit_price: nok(7_550),
            line_total: nok(7_550),
            start_date: Some("2026-07-01".into()),
            end_date: None,
        };
        SessionRequest {
            order_id: order.into(),
            idempotency_key: format!("kassa-{order}"),
            lines: vec![kayak, jacket],
            total: nok(137_550),
            presentation: self.presentation,
            method_variant: self.variant.map(str::to_owned),
            success_url: format!(
                "https://shop.test/return?kassa_session={order}&kassa_return=success"
            ),
            cancel_url: format!(
                "https://shop.test/return?kassa_session={order}&kassa_return=cancel"
            ),
            notify_url: self.notify_url.clone(),
            customer: CustomerDetails {
                name: Some("Kari Nordmann".into()),
                email: Some("kari@example.test".into()),
                phone: Some("+4746567468".into()),
                ..CustomerDetails::default()
            },
            locale: Some("nb-NO".into()),
            created_at: now(),
            identity: CustomerIdentity::default(),
            previous_reference: None,
        }
    }

    async fn control(&self, http: &reqwest::Client, reference: &str, action: &str) -> Value {
        let url = format!("{}/__sim/sessions/{reference}/{action}", self.sim_url);
        let response = http.post(url).send().await.unwrap();
        assert!(
            response.status().is_success(),
            "{}: {action} failed: {}",
            self.name,
            response.text().await.unwrap()
        );
        response.json().await.unwrap()
    }

    async fn fault(&self, http: &reqwest::Client, spec: Value) {
        let response =
            http.post(format!("{}/__sim/faults", self.sim_url)).json(&spec).send().await.unwrap();
        assert!(response.status().is_success(), "{}: fault refused", self.name);
    }

    /// The path text that targets a fault at reads of `reference`.
    fn read_target(&self, reference: &str) -> String {
        self.read_path.map_or_else(|| reference.to_owned(), str::to_owned)
    }

    async fn requests(&self, http: &reqwest::Client) -> Vec<Value> {
        http.get(format!("{}/__sim/requests", self.sim_url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Creates that the provider executed (not replays of a stored answer).
    async fn executed_creates(&self, http: &reqwest::Client) -> usize {
        self.requests(http)
            .await
            .iter()
            .filter(|r| {
                r["method"] == "POST"
                    && r["path"].as_str().is_some_and(|p| p.ends_with(self.create_path))
            })
            .filter(|r| r["status"].as_u64().is_some_and(|s| (200..300).contains(&s)))
            .filter(|r| r["idempotent_replayed"] != json!(true))
            .count()
    }

    /// Feeds every notification the simulator sent us through the adapter.
    async fn deliver(&self, at: i64) -> Vec<Result<Vec<PaymentUpdate>, ProviderError>> {
        let mut results = Vec::new();
        for c in self.inbox.take(self.notify_path) {
            results.push(self.handle(&c, at).await);
        }
        results
    }

    async fn handle(&self, c: &Captured, at: i64) -> Result<Vec<PaymentUpdate>, ProviderError> {
        let incoming =
            IncomingNotification { headers: &c.headers, query: &c.query, body: &c.body, now: at };
        self.provider.handle_notification(&incoming).await
    }
}

/// The text with its first digit changed: a one-character tampering.
fn bump_first_digit(text: &[u8]) -> Vec<u8> {
    let mut out = text.to_vec();
    if let Some(pos) = out.iter().position(u8::is_ascii_digit) {
        out[pos] = if out[pos] == b'9' { b'8' } else { out[pos] + 1 };
    }
    out
}

fn events(results: &[Result<Vec<PaymentUpdate>, ProviderError>]) -> Vec<PaymentUpdate> {
    results.iter().flat_map(|r| r.as_ref().unwrap().clone()).collect()
}

#[tokio::test]
async fn a_new_session_shows_the_providers_page_and_reads_back_open() {
    let env = Env::start().await;
    for h in &env.harnesses {
        let session = h.provider.create_session(&h.request("ks_open")).await.unwrap();
        match (&session.action, h.presentation) {
            (Action::Redirect { url, .. }, Presentation::Redirect)
            | (Action::Iframe { url }, Presentation::Iframe) => {
                assert!(url.starts_with(&h.sim_url), "{}: page {url} is not the provider's", h.name)
            }
            (
                Action::StripeEmbedded { client_secret, publishable_key, .. },
                Presentation::StripeEmbedded,
            ) => {
                assert!(
                    !client_secret.is_empty() && publishable_key.starts_with("pk_"),
                    "{}",
                    h.name
                )
            }
            (action, presentation) => panic!("{}: {action:?} for {presentation:?}", h.name),
        }
        let update = h.provider.fetch_update(&session.reference).await.unwrap();
        assert_eq!(update.event, None, "{}: a new session must read back open", h.name);
        assert_eq!(update.reference, session.reference, "{}", h.name);
    }
}

#[tokio::test]
async fn a_payment_is_confirmed_by_notification_where_sent_and_by_a_fetch_with_the_full_amount() {
    let env = Env::start().await;
    for h in &env.harnesses {
        let req = h.request("ks_paid");
        let session = h.provider.create_session(&req).await.unwrap();
        h.control(&env.http, &session.reference, "pay").await;

        let expected_amount = h.reports_amount.then_some(req.total);
        let notified = events(&h.deliver(now()).await);
        let paid: Vec<_> =
            notified.iter().filter(|u| u.event == Some(PaymentEvent::Paid)).collect();
        if h.notifies {
            assert!(!paid.is_empty(), "{}: no paid notification in {notified:?}", h.name);
            // Providers may announce one payment several ways; they must deduplicate to one (R-K4).
            assert!(paid.iter().all(|u| u.dedup_key == paid[0].dedup_key), "{}: {paid:?}", h.name);
            assert_eq!(paid[0].amount, expected_amount, "{}: paid amount", h.name);
            assert!(
                paid[0].reference == session.reference
                    || paid[0].order_id.as_deref() == Some(req.order_id.as_str()),
                "{}: the notification must name the session or the order",
                h.name
            );
        }

        let fetched = h.provider.fetch_update(&session.reference).await.unwrap();
        assert_eq!(fetched.event, Some(PaymentEvent::Paid), "{}", h.name);
        assert_eq!(fetched.amount, expected_amount, "{}", h.name);
    }
}

#[tokio::test]
async fn a_decline_is_reported_or_left_open_and_never_paid() {
    let env = Env::start().await;
    for h in &env.harnesses {
        let session = h.provider.create_session(&h.request("ks_declined")).await.unwrap();
        h.control(&env.http, &session.reference, "decline").await;
        let notified = events(&h.deliver(now()).await);
        assert!(
            notified.iter().all(|u| u.event != Some(PaymentEvent::Paid)),
            "{}: {notified:?}",
            h.name
        );
        let fetched = h.provider.fetch_update(&session.reference).await.unwrap();
        assert_ne!(fetched.event, Some(PaymentEvent::Paid), "{}", h.name);
        let declined =
            notified.iter().chain([&fetched]).any(|u| u.event == Some(PaymentEvent::Declined));
        if h.reports_declines {
            assert!(declined, "{}: neither notification nor fetch said declined", h.name);
        } else {
            assert!(declined || fetched.event.is_none(), "{}: {fetched:?}", h.name);
        }
    }
}

#[tokio::test]
async fn cancelling_answers_cancelled_unless_the_customer_paid_first() {
    let env = Env::start().await;
    for h in &env.harnesses {
        let open = h.provider.create_session(&h.request("ks_cancel")).await.unwrap();
        let cancelled = h.provider.cancel(&open.reference).await.unwrap();
        assert_eq!(cancelled.event, Some(PaymentEvent::Cancelled), "{}", h.name);

        let paid = h.provider.create_session(&h.request("ks_paid_then_cancel")).await.unwrap();
        h.control(&env.http, &paid.reference, "pay").await;
        h.inbox.take(h.notify_path);
        let answer = h.provider.cancel(&paid.reference).await.unwrap();
        assert_eq!(answer.event, Some(PaymentEvent::Paid), "{}: evidence of money wins", h.name);
    }
}

#[tokio::test]
async fn an_expired_session_reads_back_expired() {
    let env = Env::start().await;
    for h in &env.harnesses {
        let session = h.provider.create_session(&h.request("ks_expired")).await.unwrap();
        h.control(&env.http, &session.reference, "expire").await;
        let notified = events(&h.deliver(now()).await);
        assert!(
            notified.iter().all(|u| matches!(u.event, None | Some(PaymentEvent::Expired))),
            "{}: {notified:?}",
            h.name
        );
        let fetched = h.provider.fetch_update(&session.reference).await.unwrap();
        assert_eq!(fetched.event, Some(PaymentEvent::Expired), "{}", h.name);
    }
}

#[tokio::test]
async fn a_duplicate_notification_gives_the_same_dedup_key_and_event_r_k4() {
    let env = Env::start().await;
    for h in &env.harnesses {
        let session = h.provider.create_session(&h.request("ks_dup")).await.unwrap();
        h.control(&env.http, &session.reference, "pay").await;
        let captured = h.inbox.take(h.notify_path);
        assert!(!captured.is_empty() || !h.notifies, "{}: no notification arrived", h.name);
        for c in &captured {
            let first = h.handle(c, now()).await.unwrap();
            let again = h.handle(c, now()).await.unwrap();
            assert_eq!(first, again, "{}: a duplicate must decode identically", h.name);
        }
    }
}

#[tokio::test]
async fn a_late_or_tampered_notification_never_changes_the_story_r_k1_r_k2_r_k3() {
    let env = Env::start().await;
    for h in &env.harnesses {
        let session = h.provider.create_session(&h.request("ks_late")).await.unwrap();
        h.control(&env.http, &session.reference, "pay").await;
        let captured = h.inbox.take(h.notify_path);
        let truth = h.provider.fetch_update(&session.reference).await.unwrap();
        for c in &captured {
            let mut tampered = c.clone();
            if c.body.iter().any(u8::is_ascii_digit) {
                tampered.body = Bytes::from(bump_first_digit(&c.body));
            } else {
                tampered.query = String::from_utf8(bump_first_digit(c.query.as_bytes())).unwrap();
            }
            for (what, c, at) in [("an hour late", c, now() + 3600), ("tampered", &tampered, now())]
            {
                match h.handle(c, at).await {
                    Err(ProviderError::InvalidNotification { .. }) => {}
                    Ok(updates) => assert!(
                        updates.iter().all(|u| u.event == truth.event && u.amount == truth.amount),
                        "{}: a notification {what} was believed: {updates:?}",
                        h.name
                    ),
                    Err(other) => panic!("{}: a notification {what} gave {other:?}", h.name),
                }
            }
        }
    }
}

#[tokio::test]
async fn a_forged_notification_without_credentials_is_refused() {
    let env = Env::start().await;
    for h in &env.harnesses {
        let forged = Captured {
            path: h.notify_path.into(),
            headers: HeaderMap::new(),
            query: String::new(),
            body: Bytes::from_static(
                br#"{"id":"evt_forged","type":"checkout.session.completed","status":"succeeded"}"#,
            ),
        };
        let result = h.handle(&forged, now()).await;
        assert!(
            matches!(result, Err(ProviderError::InvalidNotification { .. })),
            "{}: {result:?}",
            h.name
        );
    }
}

#[tokio::test]
async fn wrong_credentials_are_unauthorized_and_not_retryable_r_i4() {
    let env = Env::start().await;
    for h in &env.harnesses {
        let result = h.wrong_key.create_session(&h.request("ks_wrong_key")).await;
        match result {
            Err(e @ ProviderError::Unauthorized { .. }) => assert!(!e.is_retryable()),
            other => panic!("{}: {other:?}", h.name),
        }
    }
}

#[tokio::test]
async fn a_provider_client_error_is_a_rejection_and_not_retried_r_i3_r_i4() {
    let env = Env::start().await;
    for h in &env.harnesses {
        h.fault(&env.http, json!({"kind": "status", "status": 400, "path": h.create_path})).await;
        let result = h.provider.create_session(&h.request("ks_rejected")).await;
        assert!(matches!(result, Err(ProviderError::Rejected { .. })), "{}: {result:?}", h.name);
        assert!(!result.unwrap_err().is_retryable());
    }
}

#[tokio::test]
async fn a_server_error_on_a_read_is_retried_and_the_read_succeeds_r_i3() {
    let env = Env::start().await;
    for h in &env.harnesses {
        let session = h.provider.create_session(&h.request("ks_read_500")).await.unwrap();
        h.fault(
            &env.http,
            json!({"kind": "status", "status": 503, "path": h.read_target(&session.reference)}),
        )
        .await;
        let update = h.provider.fetch_update(&session.reference).await.unwrap();
        assert_eq!(update.event, None, "{}", h.name);
    }
}

#[tokio::test]
async fn rate_limiting_is_waited_out_r_i3() {
    let env = Env::start().await;
    for h in &env.harnesses {
        let session = h.provider.create_session(&h.request("ks_429")).await.unwrap();
        h.fault(
            &env.http,
            json!({"kind": "rate_limit", "retry_after": 1, "path": h.read_target(&session.reference)}),
        )
        .await;
        let started = std::time::Instant::now();
        h.provider.fetch_update(&session.reference).await.unwrap();
        assert!(
            started.elapsed() >= std::time::Duration::from_secs(1),
            "{}: Retry-After was not obeyed",
            h.name
        );
    }
}

#[tokio::test]
async fn a_server_error_on_create_never_makes_two_sessions_r_i5() {
    let env = Env::start().await;
    for h in &env.harnesses {
        let before = h.executed_creates(&env.http).await;
        h.fault(&env.http, json!({"kind": "status", "status": 500, "path": h.create_path})).await;
        match h.provider.create_session(&h.request("ks_create_500")).await {
            Ok(_) => {}
            Err(e) => assert!(e.is_retryable(), "{}: {e:?}", h.name),
        }
        assert!(
            h.executed_creates(&env.http).await - before <= 1,
            "{}: more than one session",
            h.name
        );
    }
}

#[tokio::test]
async fn a_truncated_create_answer_never_makes_two_sessions_r_i5() {
    let env = Env::start().await;
    for h in &env.harnesses {
        let before = h.executed_creates(&env.http).await;
        h.fault(&env.http, json!({"kind": "truncated", "path": h.create_path})).await;
        match h.provider.create_session(&h.request("ks_truncated")).await {
            Ok(session) if h.create_replaces_earlier => {
                // The re-sent create replaced the first session; the one we hold is payable.
                let now = h.provider.fetch_update(&session.reference).await.unwrap();
                assert_eq!(now.event, None, "{}: the session handed out must be open", h.name);
            }
            Ok(_) => {}
            Err(ProviderError::UnexpectedResponse { .. } | ProviderError::Unavailable { .. }) => {}
            Err(other) => panic!("{}: {other:?}", h.name),
        }
        let made = h.executed_creates(&env.http).await - before;
        if !h.create_replaces_earlier {
            assert_eq!(made, 1, "{}: the provider must hold exactly one session", h.name);
        }
    }
}

#[tokio::test]
async fn malformed_json_is_an_unexpected_response_r_i4() {
    let env = Env::start().await;
    for h in &env.harnesses {
        let session = h.provider.create_session(&h.request("ks_malformed")).await.unwrap();
        h.fault(
            &env.http,
            json!({"kind": "malformed_json", "path": h.read_target(&session.reference)}),
        )
        .await;
        let result = h.provider.fetch_update(&session.reference).await;
        assert!(
            matches!(result, Err(ProviderError::UnexpectedResponse { .. })),
            "{}: {result:?}",
            h.name
        );
    }
}

#[tokio::test]
async fn a_dropped_connection_on_a_read_is_retried_r_i3() {
    let env = Env::start().await;
    for h in &env.harnesses {
        let session = h.provider.create_session(&h.request("ks_reset")).await.unwrap();
        h.fault(&env.http, json!({"kind": "reset", "path": h.read_target(&session.reference)}))
            .await;
        let update = h.provider.fetch_update(&session.reference).await.unwrap();
        assert_eq!(update.event, None, "{}", h.name);
    }
}

#[tokio::test]
async fn a_merchant_that_is_not_a_partner_creates_a_new_order_on_a_second_create_f2() {
    let env = Env::start().await;
    let front: Vec<&Harness> =
        env.harnesses.iter().filter(|h| matches!(h.provider, Provider::FrontPayment(_))).collect();
    assert!(!front.is_empty());
    for h in front {
        let request = h.request("ks_fpgo");
        let first = h.provider.create_session(&request).await.unwrap();
        let retry = SessionRequest { previous_reference: Some(first.reference.clone()), ..request };
        // The simulator refuses orderFrom=PARTNER from a non-partner's token, so this passes
        // only if the adapter leaves fpgoUuid and orderFrom out.
        let second = h.provider.create_session(&retry).await.unwrap();
        assert_ne!(second.reference, first.reference, "{}: a new order", h.name);
        let url = format!("{}/__sim/state", h.sim_url);
        let state: Value = env.http.get(url).send().await.unwrap().json().await.unwrap();
        let mine = state["orders"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["reference"] == json!(retry.order_id))
            .count();
        assert_eq!(mine, 2, "{}: two orders, the first one untouched", h.name);
    }
}

/// Front Payment alone, with the simulator and adapter configured by `sim` and `adapter`.
struct FrontEnv {
    sim: SimHandle,
    front: FrontPayment,
    inbox: Inbox,
    notify_url: String,
    http: reqwest::Client,
}

impl FrontEnv {
    async fn start(
        sim: impl FnOnce(&mut kassa_sim::FrontPaymentSim),
        adapter: impl FnOnce(&mut FrontPaymentConfig),
    ) -> FrontEnv {
        let (inbox, inbox_url) = Inbox::start().await;
        let mut config = SimConfig::default();
        sim(&mut config.front_payment);
        let handle = kassa_sim::start(config.clone()).await.unwrap();
        let http = kassa_providers::build_client().unwrap();
        let mut front = FrontPaymentConfig {
            base_url: format!("{}{}", handle.front_payment_url, config.front_payment.api_prefix),
            token: SecretString::from(config.front_payment.bearer_token.clone()),
            secret_key: SecretString::from(config.front_payment.secret_key.clone()),
            retry: fast_retries(),
            ..FrontPaymentConfig::default()
        };
        adapter(&mut front);
        let front = FrontPayment::new(front, http.clone()).unwrap();
        FrontEnv {
            sim: handle,
            front,
            inbox,
            notify_url: format!("{inbox_url}/front_payment"),
            http,
        }
    }

    fn request(&self, order: &str, variant: &str) -> SessionRequest {
        let identity = CustomerIdentity {
            personal_number: Some(SecretString::from("28038712383")),
            address: Some(kassa_providers::PostalAddress {
                street: "Luramyrveien 65".into(),
                zip: "4313".into(),
                city: "Sandnes".into(),
                country: "NO".into(),
            }),
            ..CustomerIdentity::default()
        };
        SessionRequest {
            order_id: order.into(),
            idempotency_key: format!("kassa-{order}"),
            lines: vec![OrderLine {
                sku: "kayak-2h".into(),
                name: "Two-hour kayak tour".into(),
                quantity: 2,
                unit_price: nok(65_000),
                line_total: nok(130_000),
                start_date: None,
                end_date: None,
            }],
            total: nok(130_000),
            presentation: Presentation::Redirect,
            method_variant: Some(variant.into()),
            success_url: format!("https://shop.test/r?kassa_session={order}&kassa_return=success"),
            cancel_url: format!("https://shop.test/r?kassa_session={order}&kassa_return=cancel"),
            notify_url: self.notify_url.clone(),
            customer: CustomerDetails {
                name: Some("Kari Nordmann".into()),
                email: Some("kari@example.test".into()),
                phone: Some("+4746567468".into()),
                ..CustomerDetails::default()
            },
            locale: Some("nb-NO".into()),
            created_at: now(),
            identity,
            previous_reference: None,
        }
    }

    async fn control(&self, reference: &str, action: &str) {
        let url = format!("{}/__sim/sessions/{reference}/{action}", self.sim.front_payment_url);
        let response = self.http.post(url).send().await.unwrap();
        assert!(response.status().is_success(), "{action}: {}", response.text().await.unwrap());
    }

    /// The callbacks received so far, each verified and confirmed by the adapter.
    async fn callbacks(&self) -> Vec<PaymentUpdate> {
        let mut updates = Vec::new();
        for c in self.inbox.take("/front_payment") {
            let incoming = IncomingNotification {
                headers: &c.headers,
                query: &c.query,
                body: &c.body,
                now: now(),
            };
            updates.extend(self.front.handle_notification(&incoming).await.unwrap());
        }
        updates
    }

    async fn orders(&self) -> Vec<Value> {
        let url = format!("{}/__sim/state", self.sim.front_payment_url);
        let state: Value = self.http.get(url).send().await.unwrap().json().await.unwrap();
        state["orders"].as_array().unwrap().clone()
    }
}

#[tokio::test]
async fn a_partner_updates_the_one_order_in_place_with_order_from_partner_f2() {
    let env = FrontEnv::start(|s| s.partner = true, |a| a.partner = true).await;
    let request = env.request("ks_partner", "vipps");
    let first = env.front.create_session(&request).await.unwrap();
    let retry = SessionRequest { previous_reference: Some(first.reference.clone()), ..request };
    let second = env.front.create_session(&retry).await.unwrap();
    assert_eq!(second.reference, first.reference, "the same order");
    let orders = env.orders().await;
    assert_eq!(orders.len(), 1, "exactly one order at the provider: {orders:?}");
    assert_eq!(orders[0]["status"], "SENT");
    assert_eq!(env.front.fetch_update(&second.reference).await.unwrap().event, None);
    // A paid order is never changed: the update is refused and nothing new is created.
    env.control(&first.reference, "pay").await;
    let refused = env.front.create_session(&retry).await;
    assert!(matches!(refused, Err(ProviderError::Rejected { .. })), "{refused:?}");
    assert_eq!(env.orders().await.len(), 1);
    env.sim.shutdown().await;
}

#[tokio::test]
async fn a_private_invoice_goes_through_bankid_and_is_invoiced_then_paid_f1_f4() {
    let env = FrontEnv::start(|_| {}, |_| {}).await;
    let session = env.front.create_session(&env.request("ks_invoice", "invoice")).await.unwrap();
    let bankid = format!("{}/bankid/{}", env.sim.front_payment_url, session.reference);
    assert_eq!(session.action, Action::redirect(bankid.clone()), "the customer goes to BankID");
    let waiting = env.front.fetch_update(&session.reference).await.unwrap();
    assert_eq!(waiting.event, None, "nothing is invoiced before BankID");
    assert!(env.callbacks().await.is_empty(), "no callback before BankID");

    // The customer signs with BankID on the simulator's page.
    let signed = env.http.post(&bankid).form(&[("action", "pay")]).send().await.unwrap();
    assert_eq!(signed.status(), 303);
    let invoiced = env.front.fetch_update(&session.reference).await.unwrap();
    assert_eq!(invoiced.event, Some(PaymentEvent::Invoiced), "an invoice is not a payment");
    assert_eq!(
        invoiced.amount,
        Some(nok(130_000)),
        "the invoiced amount is reported to be checked"
    );
    // The page answers after the callback's first attempt, so it has arrived by now.
    let callbacks = env.callbacks().await;
    assert_eq!(callbacks.len(), 1, "the INVOICED callback after BankID");
    assert_eq!(callbacks[0].event, Some(PaymentEvent::Invoiced));

    // The customer pays the invoice; Front Payment reports PAID.
    env.control(&session.reference, "pay").await;
    let paid = env.callbacks().await;
    assert_eq!(paid.len(), 1);
    assert_eq!(paid[0].event, Some(PaymentEvent::Paid));
    assert_eq!(
        env.front.fetch_update(&session.reference).await.unwrap().event,
        Some(PaymentEvent::Paid)
    );
    env.sim.shutdown().await;
}

#[tokio::test]
async fn a_late_retry_sends_the_current_order_date_not_the_orders_creation_f3() {
    let env = FrontEnv::start(|_| {}, |_| {}).await;
    for variant in ["hosted", "vipps", "invoice"] {
        let mut request = env.request(&format!("ks_late_{variant}"), variant);
        // Stored three days ago; the simulator refuses an orderDate before today in Oslo.
        request.created_at = now() - 3 * 86_400;
        let created = env.front.create_session(&request).await;
        assert!(created.is_ok(), "{variant}: {created:?}");
    }
    env.sim.shutdown().await;
}

#[tokio::test]
async fn a_company_pays_on_the_hosted_page_with_a_numeric_organisation_number_f6() {
    let env = FrontEnv::start(|_| {}, |_| {}).await;
    let mut request = env.request("ks_company", "hosted");
    request.identity.kind = kassa_providers::CustomerKind::Corporate;
    request.identity.organisation_id = Some("987654321".into());
    // The simulator refuses a string there, as the seed types it "Must be number".
    let created = env.front.create_session(&request).await;
    assert!(created.is_ok(), "{created:?}");
    request.order_id = "ks_company2".into();
    request.identity.organisation_id = Some("NO987654321".into());
    let refused = env.front.create_session(&request).await;
    assert!(
        matches!(refused, Err(ProviderError::Rejected { param: Some(ref p), .. }) if p == "customer.organisation_id"),
        "{refused:?}"
    );
    env.sim.shutdown().await;
}

#[tokio::test]
async fn a_status_the_documents_do_not_list_is_refused_not_taken_as_news() {
    let env = FrontEnv::start(|s| s.paid_status = "SETTLED_MAYBE".into(), |_| {}).await;
    let session = env.front.create_session(&env.request("ks_unknown", "vipps")).await.unwrap();
    env.control(&session.reference, "pay").await;
    let read = env.front.fetch_update(&session.reference).await;
    assert!(matches!(read, Err(ProviderError::UnexpectedResponse { .. })), "{read:?}");
    for c in env.inbox.take("/front_payment") {
        let incoming = IncomingNotification {
            headers: &c.headers,
            query: &c.query,
            body: &c.body,
            now: now(),
        };
        let handled = env.front.handle_notification(&incoming).await;
        assert!(matches!(handled, Err(ProviderError::UnexpectedResponse { .. })), "{handled:?}");
    }
    env.sim.shutdown().await;
}
