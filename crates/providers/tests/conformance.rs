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
    /// Whether a paid update carries the amount.
    reports_amount: bool,
    /// Text in the path of a status read, when the reference is not in it (BokaMera posts it).
    read_path: Option<&'static str>,
    /// Whether a new create for the same order invalidates the earlier session (BokaMera), so
    /// a re-sent create is harmless.
    create_replaces_earlier: bool,
    /// `SessionRequest::method_variant` (Front Payment's flow).
    variant: Option<&'static str>,
    /// Whether the reference is `{booking}-{session}` (BokaMera), so the simulator's control
    /// plane is addressed by the part after the first `-`.
    reference_names_booking: bool,
}

struct Env {
    _sim: SimHandle,
    harnesses: Vec<Harness>,
    http: reqwest::Client,
    /// The BokaMera harnesses' settings, for a fresh adapter (a restart, another instance).
    bokamera_config: BokameraConfig,
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
                ("kayak-2h".to_owned(), ArticleMapping::new(1, 1)),
                ("life-jacket".to_owned(), ArticleMapping::new(2, 1)),
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
                reference_names_booking: false,
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
                reference_names_booking: false,
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
                // Payfect calls back on success only; a declined checkout stays open (P3).
                reports_declines: false,
                notifies: true,
                reports_amount: true,
                read_path: None,
                create_replaces_earlier: false,
                variant: None,
                reference_names_booking: false,
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
                reference_names_booking: false,
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
                reference_names_booking: false,
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
                reference_names_booking: false,
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
                reference_names_booking: false,
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
                reports_amount: true,
                read_path: Some("/checkout/status"),
                create_replaces_earlier: true,
                variant: None,
                reference_names_booking: true,
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
                reports_amount: true,
                read_path: Some("/checkout/status"),
                create_replaces_earlier: true,
                variant: None,
                reference_names_booking: true,
            },
        ];
        let bokamera_config = bokamera(&config.bokamera.api_key);
        Env { _sim: sim, harnesses, http, bokamera_config }
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
                // What the simulated Checkfront account's booking form requires (C3).
                extra: if matches!(self.provider, Provider::Checkfront(_)) {
                    checkfront_docs::extras()
                } else {
                    Default::default()
                },
                ..CustomerDetails::default()
            },
            locale: Some("nb-NO".into()),
            created_at: now(),
            identity: CustomerIdentity::default(),
            previous_reference: None,
        }
    }

    /// The id the simulator's control plane knows a session by.
    fn sim_id<'a>(&self, reference: &'a str) -> &'a str {
        match reference.split_once('-') {
            Some((_, session)) if self.reference_names_booking => session,
            _ => reference,
        }
    }

    async fn control(&self, http: &reqwest::Client, reference: &str, action: &str) -> Value {
        let url = format!("{}/__sim/sessions/{}/{action}", self.sim_url, self.sim_id(reference));
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

        // The amount must pay the order: its total, or Payfect's documented rounding of it (P4).
        let settles = |amount: Option<Money>| match amount {
            Some(a) => h.reports_amount && h.provider.amount_settles(&req.lines, req.total, a),
            None => !h.reports_amount,
        };
        let notified = events(&h.deliver(now()).await);
        let paid: Vec<_> =
            notified.iter().filter(|u| u.event == Some(PaymentEvent::Paid)).collect();
        if h.notifies {
            assert!(!paid.is_empty(), "{}: no paid notification in {notified:?}", h.name);
            // Providers may announce one payment several ways; they must deduplicate to one (R-K4).
            assert!(paid.iter().all(|u| u.dedup_key == paid[0].dedup_key), "{}: {paid:?}", h.name);
            assert!(settles(paid[0].amount), "{}: paid amount {:?}", h.name, paid[0].amount);
            assert!(
                paid[0].reference == session.reference
                    || paid[0].order_id.as_deref() == Some(req.order_id.as_str()),
                "{}: the notification must name the session or the order",
                h.name
            );
        }

        let fetched = h.provider.fetch_update(&session.reference).await.unwrap();
        assert_eq!(fetched.event, Some(PaymentEvent::Paid), "{}", h.name);
        assert!(settles(fetched.amount), "{}: fetched amount {:?}", h.name, fetched.amount);
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
    request.identity.organisation_id = Some("923609016".into());
    // The simulator refuses a string there, as the seed types it "Must be number".
    let created = env.front.create_session(&request).await;
    assert!(created.is_ok(), "{created:?}");
    request.order_id = "ks_company2".into();
    request.identity.organisation_id = Some("NO923609016".into());
    let refused = env.front.create_session(&request).await;
    assert!(
        matches!(refused, Err(ProviderError::Rejected { param: Some(ref p), .. }) if p == "customer.organisation_id"),
        "{refused:?}"
    );
    env.sim.shutdown().await;
}

#[tokio::test]
async fn a_swedish_company_written_with_a_hyphen_is_invoiced_by_its_alphanumeric_number() {
    // `organizationId` "Must be alphanumeric" (seed 002); the simulator refuses anything else,
    // so the Swedish way of writing it (`556036-0793`) must reach it as `5560360793`.
    let env = FrontEnv::start(|_| {}, |_| {}).await;
    let mut request = env.request("ks_swedish_company", "invoice");
    request.identity.kind = kassa_providers::CustomerKind::Corporate;
    request.identity.personal_number = None;
    request.identity.organisation_id = Some("556036-0793".into());
    request.identity.address.as_mut().unwrap().country = "SE".into();
    let created = env.front.create_session(&request).await;
    assert!(created.is_ok(), "{created:?}");
    request.order_id = "ks_swedish_company2".into();
    request.identity.organisation_id = Some("556036-0794".into());
    let refused = env.front.create_session(&request).await;
    assert!(
        matches!(refused, Err(ProviderError::Rejected { param: Some(ref p), .. }) if p == "customer.organisation_id"),
        "a mistyped digit is refused before Front Payment sees it: {refused:?}"
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

// ---------------------------------------------------------------- BokaMera's payable entity

fn bokamera_harnesses(env: &Env) -> Vec<&Harness> {
    let found: Vec<&Harness> =
        env.harnesses.iter().filter(|h| matches!(h.provider, Provider::Bokamera(_))).collect();
    assert!(!found.is_empty());
    found
}

async fn sim_state(http: &reqwest::Client, sim_url: &str) -> Value {
    http.get(format!("{sim_url}/__sim/state")).send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn bokamera_checkouts_pay_a_booking_that_bokamera_priced_k1_k5() {
    let env = Env::start().await;
    for h in bokamera_harnesses(&env) {
        let req = h.request("ks_booking");
        let session = h.provider.create_session(&req).await.unwrap();
        let (booking, cs) = session.reference.split_once('-').unwrap();
        let state = sim_state(&env.http, &h.sim_url).await;
        let checkout = state["checkouts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["SessionId"] == cs)
            .unwrap_or_else(|| panic!("{}: no checkout {cs} in {state}", h.name))
            .clone();
        assert_eq!(
            checkout["InternalReferenceId"], booking,
            "{}: the checkout pays the booking, not Kassa's order id",
            h.name
        );
        assert_ne!(checkout["InternalReferenceId"], json!(req.order_id), "{}", h.name);
        let booked = state["bookings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["Id"].as_i64() == booking.parse::<i64>().ok())
            .unwrap_or_else(|| panic!("{}: no booking {booking}", h.name))
            .clone();
        assert_eq!(booked["StatusId"], 5, "{}: awaiting payment", h.name);
        assert_eq!(booked["TotalPrice"], json!(1375.5), "{}: BokaMera's price", h.name);
        assert_eq!(booked["ServiceId"], 1, "{}: the first line is the service booked", h.name);
        assert_eq!(booked["From"], "2026-07-01T00:00:00", "{}", h.name);
        // The simulator refuses a checkout without ConfirmationUrl or CancelUrl (both
        // "Required: Yes"), so this one carried both, embedded or not (K5).
        h.control(&env.http, &session.reference, "pay").await;
        let paid = h.provider.fetch_update(&session.reference).await.unwrap();
        assert_eq!(paid.event, Some(PaymentEvent::Paid), "{}", h.name);
        assert_eq!(paid.amount, Some(req.total), "{}: the booking's price comes back", h.name);
    }
}

/// The bookings the simulated BokaMera holds whose `BookedComments` names `order`.
fn bookings_of(state: &Value, order: &str) -> Vec<Value> {
    let comment = format!("Kassa order {order}");
    state["bookings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["BookedComments"] == comment.as_str())
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_bokamera_create_retried_after_a_restart_pays_the_one_booking_it_made() {
    let env = Env::start().await;
    for h in bokamera_harnesses(&env) {
        let req = h.request(&format!("ks_restart_{}", h.slug));
        // BokaMera books and creates the checkout, but every answer of the checkout call is
        // cut off: the outcome is unknown and the process holding it goes away.
        h.fault(
            &env.http,
            json!({"kind": "truncated", "count": 10, "path": "/payment/stripe/v1/checkout"}),
        )
        .await;
        let lost = h.provider.create_session(&req).await;
        assert!(lost.is_err(), "{}: the answer was lost: {lost:?}", h.name);
        // Clear what is left of the fault queue.
        let cleared = env.http.delete(format!("{}/__sim/faults", h.sim_url)).send().await.unwrap();
        assert!(cleared.status().is_success(), "{}", h.name);
        let state = sim_state(&env.http, &h.sim_url).await;
        assert_eq!(bookings_of(&state, &req.order_id).len(), 1, "{}: booked once", h.name);
        // Another process (a restart, or another instance) retries the same order.
        let restarted = Bokamera::new(env.bokamera_config.clone(), env.http.clone()).unwrap();
        let session = restarted.create_session(&req).await.unwrap();
        let state = sim_state(&env.http, &h.sim_url).await;
        let bookings = bookings_of(&state, &req.order_id);
        assert_eq!(bookings.len(), 1, "{}: the retry booked again: {bookings:?}", h.name);
        let (booking, _) = session.reference.split_once('-').unwrap();
        assert_eq!(bookings[0]["Id"].as_i64(), booking.parse::<i64>().ok(), "{}", h.name);
        h.control(&env.http, &session.reference, "pay").await;
        let paid = restarted.fetch_update(&session.reference).await.unwrap();
        assert_eq!(paid.event, Some(PaymentEvent::Paid), "{}", h.name);
    }
}

#[tokio::test]
async fn a_bokamera_booking_of_another_order_at_the_same_time_is_not_taken() {
    let env = Env::start().await;
    let h = bokamera_harnesses(&env)[0];
    // Two orders for the same service and start time: each gets its own booking.
    let (a, b) = (h.request("ks_same_slot_a"), h.request("ks_same_slot_b"));
    let first = h.provider.create_session(&a).await.unwrap();
    let second = h.provider.create_session(&b).await.unwrap();
    let booking = |r: &str| r.split_once('-').unwrap().0.to_owned();
    assert_ne!(booking(&first.reference), booking(&second.reference));
    let state = sim_state(&env.http, &h.sim_url).await;
    assert_eq!(bookings_of(&state, &a.order_id).len(), 1);
    assert_eq!(bookings_of(&state, &b.order_id).len(), 1);
}

#[tokio::test]
async fn a_bokamera_price_that_differs_from_the_quote_makes_no_checkout_k3() {
    let env = Env::start().await;
    let h = bokamera_harnesses(&env)[0];
    let repriced = env
        .http
        .post(format!("{}/__sim/bokamera/articles/2/price", h.sim_url))
        .json(&json!({"price": 8_000}))
        .send()
        .await
        .unwrap();
    assert!(repriced.status().is_success());
    let before = h.executed_creates(&env.http).await;
    let req = h.request("ks_repriced");
    match h.provider.create_session(&req).await {
        Err(ProviderError::AmountMismatch { expected, actual, .. }) => {
            assert_eq!(expected, req.total);
            assert_eq!(actual, nok(138_000), "BokaMera's price of the booking");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(h.executed_creates(&env.http).await, before, "no checkout, nothing charged");
}

#[tokio::test]
async fn a_complete_bokamera_checkout_whose_money_is_on_its_way_is_not_paid_k4() {
    let env = Env::start().await;
    for h in bokamera_harnesses(&env) {
        let session = h.provider.create_session(&h.request("ks_delayed")).await.unwrap();
        let (booking, cs) = session.reference.split_once('-').unwrap();
        let delayed = env
            .http
            .post(format!("{}/__sim/bokamera/checkouts/{cs}/pay_delayed", h.sim_url))
            .send()
            .await
            .unwrap();
        assert!(delayed.status().is_success(), "{}", h.name);
        let waiting = h.provider.fetch_update(&session.reference).await.unwrap();
        assert_eq!(waiting.event, None, "{}: complete but unpaid is not paid", h.name);
        assert!(waiting.dedup_key.ends_with(":complete-awaiting-payment"), "{}", h.name);
        let settled = env
            .http
            .post(format!("{}/__sim/bokamera/bookings/{booking}/settle", h.sim_url))
            .send()
            .await
            .unwrap();
        assert!(settled.status().is_success(), "{}", h.name);
        let paid = h.provider.fetch_update(&session.reference).await.unwrap();
        assert_eq!(paid.event, Some(PaymentEvent::Paid), "{}", h.name);
    }
}

#[tokio::test]
async fn a_stripe_event_posted_to_the_bokamera_endpoint_is_never_believed_k6() {
    let env = Env::start().await;
    let h = bokamera_harnesses(&env)[0];
    let session = h.provider.create_session(&h.request("ks_k6")).await.unwrap();
    let (booking, cs) = session.reference.split_once('-').unwrap();
    // What a webhook registered through BokaMera would carry: a Stripe event, signed with a
    // secret Kassa never holds. It is not a hint either.
    let mut headers = HeaderMap::new();
    headers.insert("stripe-signature", format!("t={},v1=00", now()).parse().unwrap());
    let event = Captured {
        path: "/bokamera".into(),
        headers,
        query: String::new(),
        body: Bytes::from(
            json!({"id": "evt_1", "type": "checkout.session.completed",
                   "data": {"object": {"id": cs, "payment_status": "paid"}}})
            .to_string(),
        ),
    };
    assert!(matches!(
        h.handle(&event, now()).await,
        Err(ProviderError::InvalidNotification { .. })
    ));
    // A hint naming the checkout and its booking is read back at BokaMera: still open.
    let hint = Captured {
        body: Bytes::from(json!({"SessionId": cs, "InternalReferenceId": booking}).to_string()),
        ..event
    };
    let updates = h.handle(&hint, now()).await.unwrap();
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].event, None, "the hint's word is not taken");
    assert_eq!(updates[0].reference, session.reference);
}

/// Stripe only: what the adapter decides around the create call (S4, S7, S8 of the audit).
mod stripe_session {
    use kassa_providers::stripe::expiry;

    use super::*;

    struct StripeEnv {
        sim: SimHandle,
        config: SimConfig,
        http: reqwest::Client,
    }

    impl StripeEnv {
        async fn start() -> StripeEnv {
            let config = SimConfig::default();
            let sim = kassa_sim::start(config.clone()).await.unwrap();
            StripeEnv { sim, config, http: kassa_providers::build_client().unwrap() }
        }

        /// The adapter, with a session lifetime and a clock `ahead_secs` in the future.
        fn adapter(&self, lifetime: Option<i64>, ahead_secs: i64) -> Stripe {
            let config = StripeConfig {
                base_url: self.sim.stripe_url.clone(),
                secret_key: SecretString::from(self.config.stripe.secret_key.clone()),
                publishable_key: self.config.stripe.publishable_key.clone(),
                session_expiry_secs: lifetime,
                retry: fast_retries(),
                ..StripeConfig::default()
            };
            Stripe::new(config, self.http.clone())
                .unwrap()
                .with_clock(expiry::Clock::from_fn(move || now() + ahead_secs))
        }

        /// Moves the simulated Stripe's clock, as the real one moves while we wait.
        async fn advance(&self, secs: i64) {
            self.http
                .post(format!("{}/__sim/clock", self.sim.stripe_url))
                .json(&json!({ "advance_secs": secs }))
                .send()
                .await
                .unwrap();
        }

        /// Every session at the simulated Stripe, newest first.
        async fn sessions(&self) -> Vec<Value> {
            let list: Value = self
                .http
                .get(format!("{}/v1/checkout/sessions?limit=100", self.sim.stripe_url))
                .bearer_auth(&self.config.stripe.secret_key)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            list["data"].as_array().unwrap().clone()
        }

        async fn pay(&self, reference: &str) {
            let response = self
                .http
                .post(format!("{}/__sim/sessions/{reference}/pay", self.sim.stripe_url))
                .send()
                .await
                .unwrap();
            assert!(response.status().is_success(), "{}", response.text().await.unwrap());
        }
    }

    fn order(id: &str, unit_price: Money, quantity: u32) -> SessionRequest {
        let total = unit_price.checked_mul(quantity).unwrap();
        SessionRequest {
            order_id: id.into(),
            idempotency_key: format!("kassa-{id}"),
            lines: vec![OrderLine {
                sku: "life-jacket".into(),
                name: "Life-jacket rental".into(),
                quantity,
                unit_price,
                line_total: total,
                start_date: None,
                end_date: None,
            }],
            total,
            presentation: Presentation::Redirect,
            method_variant: None,
            success_url: format!("https://shop.test/return?kassa_session={id}"),
            cancel_url: format!("https://shop.test/return?kassa_session={id}&cancel=1"),
            notify_url: "https://api.shop.test/v1/webhooks/stripe".into(),
            customer: CustomerDetails::default(),
            locale: None,
            created_at: now(),
            identity: CustomerIdentity::default(),
            previous_reference: None,
        }
    }

    #[tokio::test]
    async fn a_total_below_stripes_minimum_is_refused_before_any_call() {
        let env = StripeEnv::start().await;
        let refused = env.adapter(None, 0).create_session(&order("ks_small", nok(100), 2)).await;
        match refused {
            Err(e @ ProviderError::BelowMinimum { .. }) => {
                assert!(e.to_string().contains("3.00 NOK"), "{e}");
            }
            other => panic!("{other:?}"),
        }
        assert!(env.sessions().await.is_empty(), "nothing reached Stripe");
        let ok = env.adapter(None, 0).create_session(&order("ks_enough", nok(150), 2)).await;
        assert!(ok.is_ok(), "{ok:?}");
    }

    #[tokio::test]
    async fn the_widget_language_reaches_stripe_as_stripes_own_locale_code() {
        let env = StripeEnv::start().await;
        let stripe = env.adapter(None, 0);
        for (i, (tag, want)) in [
            ("nb-NO", "nb"),
            ("no", "nb"),
            ("nn", "nb"),
            ("sv-SE", "sv"),
            ("da", "da"),
            ("de", "de"),
            ("en-GB", "en"),
            ("fr", "auto"),
        ]
        .into_iter()
        .enumerate()
        {
            let req = SessionRequest {
                locale: Some(tag.into()),
                ..order(&format!("ks_l{i}"), nok(7_550), 1)
            };
            let session = stripe.create_session(&req).await.unwrap();
            let at_stripe = env.sessions().await;
            let mine = at_stripe.iter().find(|s| s["id"] == json!(session.reference)).unwrap();
            assert_eq!(mine["locale"], want, "{tag}");
        }
    }

    #[tokio::test]
    async fn iceland_krona_goes_to_stripe_in_hundredths_and_comes_back_whole() {
        let env = StripeEnv::start().await;
        let stripe = env.adapter(None, 0);
        let isk = Money::from_minor(4_990, Currency::from_code("ISK").unwrap()).unwrap();
        let session = stripe.create_session(&order("ks_isk", isk, 1)).await.unwrap();
        assert_eq!(env.sessions().await[0]["amount_total"], 499_000);
        env.pay(&session.reference).await;
        let update = stripe.fetch_update(&session.reference).await.unwrap();
        assert_eq!(update.event, Some(PaymentEvent::Paid));
        assert_eq!(update.amount, Some(isk));
    }

    #[tokio::test]
    async fn a_late_first_attempt_counts_expires_at_from_the_request_s4() {
        let env = StripeEnv::start().await;
        let req = order("ks_late", nok(7_550), 1);
        // 50 minutes after the order was stored: its own +1 h would be 10 minutes away.
        env.advance(3_000).await;
        let session = env.adapter(Some(3_600), 3_000).create_session(&req).await.unwrap();
        let expires_at = session.expires_at.unwrap();
        assert_eq!(expires_at, req.created_at + 3_600 + expiry::STEP_SECS);
        assert!(expires_at - (now() + 3_000) >= 30 * 60, "inside Stripe's window");
    }

    #[tokio::test]
    async fn a_late_retry_replays_the_session_of_a_first_attempt_whose_answer_was_lost_r_i2() {
        let env = StripeEnv::start().await;
        let req = order("ks_lost", nok(7_550), 1);
        let first = env.adapter(Some(3_600), 0).create_session(&req).await.unwrap();
        assert_eq!(first.expires_at, Some(req.created_at + 3_600), "from the request");
        // The answer was lost; the retry comes 50 minutes later, with the same key.
        env.advance(3_000).await;
        let retry = env.adapter(Some(3_600), 3_000).create_session(&req).await.unwrap();
        assert_eq!(retry.reference, first.reference, "Stripe replayed the first session");
        assert_eq!(env.sessions().await.len(), 1, "no second session");
    }

    #[tokio::test]
    async fn a_prompt_retry_sends_the_same_parameters_r_i2() {
        let env = StripeEnv::start().await;
        let req = order("ks_prompt", nok(7_550), 1);
        let first = env.adapter(Some(7_200), 0).create_session(&req).await.unwrap();
        env.advance(600).await;
        let retry = env.adapter(Some(7_200), 600).create_session(&req).await.unwrap();
        assert_eq!(retry.reference, first.reference);
        assert_eq!(retry.expires_at, first.expires_at);
        assert_eq!(env.sessions().await.len(), 1);
    }

    #[test]
    fn lifetimes_outside_stripes_window_with_margin_are_refused_at_startup() {
        let build = |secs| {
            Stripe::new(
                StripeConfig {
                    secret_key: SecretString::from("sk_test_x"),
                    session_expiry_secs: Some(secs),
                    ..StripeConfig::default()
                },
                kassa_providers::build_client().unwrap(),
            )
        };
        for bad in [1_800, 2_099, 86_101, 86_400] {
            let e = build(bad).unwrap_err().to_string();
            assert!(e.contains("2100 to 86100"), "{bad}: {e}");
        }
        for good in [2_100, 3_600, 86_100] {
            assert!(build(good).is_ok(), "{good}");
        }
    }
}

/// Payfect as its documents say (seed `001_c6386d4c04e7a41f.txt`, Payfect/payfect-doc
/// `docs/payment/callback.md`, `docs/errors.md`): one simulator and inbox per test, with the
/// simulator and adapter settings each row needs.
mod payfect_docs {
    use kassa_providers::payfect::AmountRounding;
    use kassa_sim::payfect::{CallbackCurrency, UnitRounding};

    use super::*;

    struct Pf {
        sim: SimHandle,
        config: SimConfig,
        inbox: Inbox,
        inbox_url: String,
        http: reqwest::Client,
    }

    impl Pf {
        async fn start(configure: impl FnOnce(&mut SimConfig)) -> Pf {
            let (inbox, inbox_url) = Inbox::start().await;
            let mut config = SimConfig::default();
            configure(&mut config);
            let sim = kassa_sim::start(config.clone()).await.unwrap();
            Pf { sim, config, inbox, inbox_url, http: kassa_providers::build_client().unwrap() }
        }

        fn adapter(&self, configure: impl FnOnce(&mut PayfectConfig)) -> Payfect {
            let mut config = PayfectConfig {
                base_url: format!("{}{}", self.sim.payfect_url, self.config.payfect.path_prefix),
                api_key: SecretString::from(self.config.payfect.api_key.clone()),
                fernet_key: SecretString::from(self.config.payfect.fernet_key.clone()),
                retry: fast_retries(),
                ..PayfectConfig::default()
            };
            configure(&mut config);
            Payfect::new(config, self.http.clone()).unwrap()
        }

        /// Two kayak tours at 650.00 and a life jacket at 75.50 (which Payfect rounds).
        fn request(&self, order: &str, currency: Currency) -> SessionRequest {
            let money = |minor| Money::from_minor(minor, currency).unwrap();
            let line = |sku: &str, quantity: u32, unit: i64| OrderLine {
                sku: sku.into(),
                name: sku.into(),
                quantity,
                unit_price: money(unit),
                line_total: money(unit * i64::from(quantity)),
                start_date: None,
                end_date: None,
            };
            SessionRequest {
                order_id: order.into(),
                idempotency_key: format!("kassa-{order}"),
                lines: vec![line("kayak-2h", 2, 65_000), line("life-jacket", 1, 7_550)],
                total: money(137_550),
                presentation: Presentation::Redirect,
                method_variant: None,
                success_url: "https://shop.test/ok".into(),
                cancel_url: "https://shop.test/cancel".into(),
                notify_url: format!("{}/payfect", self.inbox_url),
                customer: CustomerDetails::default(),
                locale: None,
                created_at: now(),
                identity: CustomerIdentity::default(),
                previous_reference: None,
            }
        }

        async fn act(&self, reference: &str, action: &str) {
            let url = format!("{}/__sim/sessions/{reference}/{action}", self.sim.payfect_url);
            assert!(self.http.post(url).send().await.unwrap().status().is_success());
        }

        async fn callbacks(&self, adapter: &Payfect) -> Vec<(Value, Vec<PaymentUpdate>)> {
            let mut out = Vec::new();
            for c in self.inbox.take("/payfect") {
                let incoming = IncomingNotification {
                    headers: &c.headers,
                    query: &c.query,
                    body: &c.body,
                    now: now(),
                };
                let body = serde_json::from_slice(&c.body).unwrap();
                out.push((body, adapter.handle_notification(&incoming).await.unwrap()));
            }
            out
        }

        async fn sent_checkouts(&self) -> Vec<Value> {
            let requests: Vec<Value> = self
                .http
                .get(format!("{}/__sim/requests", self.sim.payfect_url))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            requests
                .into_iter()
                .filter(|r| r["method"] == "POST" && r["path"] == "/api/v1/checkouts/")
                .collect()
        }
    }

    fn nok(minor: i64) -> Money {
        Money::from_minor(minor, Currency::NOK).unwrap()
    }

    #[tokio::test]
    async fn a_usdt_callback_for_a_nok_order_is_read_and_confirmed_in_nok_p1_p2() {
        let pf = Pf::start(|_| {}).await;
        let adapter = pf.adapter(|_| {});
        let req = pf.request("ks_pf_usdt", Currency::NOK);
        let session = adapter.create_session(&req).await.unwrap();
        pf.act(&session.reference, "pay").await;
        let callbacks = pf.callbacks(&adapter).await;
        assert_eq!(callbacks.len(), 1);
        let (body, updates) = &callbacks[0];
        assert_eq!(body["currency"], "usdt", "the simulator names the crypto, as the docs do");
        assert_eq!(updates.len(), 1);
        assert_eq!(updates[0].event, Some(PaymentEvent::Paid));
        // Confirmed by reading the checkout: 650 × 2 + 76 (75.50 rounded) in NOK.
        assert_eq!(updates[0].amount, Some(nok(137_600)));
        assert!(adapter.amount_settles(&req.lines, req.total, nok(137_600)));
        assert_eq!(pf.sent_checkouts().await[0]["status"], 200, "P7: 200 on create");
    }

    #[tokio::test]
    async fn a_merchant_mapping_usd_to_usdt_sends_and_reads_usdt_p1() {
        let pf = Pf::start(|_| {}).await;
        let adapter =
            pf.adapter(|c| c.currency_codes = [("USD".to_owned(), "usdt".to_owned())].into());
        let req = pf.request("ks_pf_peg", Currency::USD);
        let session = adapter.create_session(&req).await.unwrap();
        let usd = |minor| Money::from_minor(minor, Currency::USD).unwrap();
        let read = adapter.fetch_update(&session.reference).await.unwrap();
        assert_eq!(read.event, None);
        pf.act(&session.reference, "pay").await;
        let callbacks = pf.callbacks(&adapter).await;
        assert_eq!(callbacks[0].0["currency"], "usdt");
        assert_eq!(callbacks[0].1[0].event, Some(PaymentEvent::Paid));
        assert_eq!(callbacks[0].1[0].amount, Some(usd(137_600)), "usdt read back as USD");
        let fetched = adapter.fetch_update(&session.reference).await.unwrap();
        assert_eq!(fetched.amount, Some(usd(137_600)));
    }

    #[tokio::test]
    async fn a_total_payfect_rounds_passes_by_its_rule_and_a_real_difference_is_caught_p4() {
        let pf = Pf::start(|_| {}).await;
        let req = pf.request("ks_pf_round", Currency::NOK);
        let rounded = pf.adapter(|_| {}).create_session(&req).await;
        assert!(rounded.is_ok(), "1376.00 for 1375.50 is Payfect's rounding: {rounded:?}");
        for rule in [AmountRounding::WholeUnitsDown, AmountRounding::Exact] {
            let adapter = pf.adapter(|c| c.amount_rounding = rule);
            let refused = adapter
                .create_session(&pf.request(&format!("ks_pf_{rule:?}"), Currency::NOK))
                .await;
            assert!(
                matches!(refused, Err(ProviderError::AmountMismatch { .. })),
                "{rule:?}: 1376.00 is not our total by that rule: {refused:?}"
            );
        }
        let payfect = Provider::Payfect(pf.adapter(|_| {}));
        assert!(!payfect.amount_settles(&req.lines, req.total, nok(137_700)), "a krone too much");
        assert!(!payfect.amount_settles(&req.lines, req.total, nok(137_500)), "a krone short");

        let exact_sim = Pf::start(|c| c.payfect.unit_rounding = UnitRounding::Exact).await;
        let exact = exact_sim
            .adapter(|_| {})
            .create_session(&exact_sim.request("ks_pf_exact", Currency::NOK))
            .await;
        assert!(exact.is_ok(), "an exact total is always accepted: {exact:?}");
    }

    #[tokio::test]
    async fn a_decline_is_found_by_polling_and_a_failed_callback_believed_only_when_configured_p3()
    {
        let pf = Pf::start(|_| {}).await;
        let adapter = pf.adapter(|_| {});
        let session =
            adapter.create_session(&pf.request("ks_pf_decline", Currency::NOK)).await.unwrap();
        pf.act(&session.reference, "decline").await;
        assert!(pf.callbacks(&adapter).await.is_empty(), "success-only callbacks by default");
        assert_eq!(adapter.fetch_update(&session.reference).await.unwrap().event, None);
        pf.act(&session.reference, "expire").await;
        assert_eq!(
            adapter.fetch_update(&session.reference).await.unwrap().event,
            Some(PaymentEvent::Expired)
        );

        let failing = Pf::start(|c| c.payfect.failure_callbacks = true).await;
        for (believe, want) in [(false, None), (true, Some(PaymentEvent::Declined))] {
            let adapter = failing.adapter(|c| c.failure_callbacks = believe);
            let order = format!("ks_pf_failed_{believe}");
            let session =
                adapter.create_session(&failing.request(&order, Currency::NOK)).await.unwrap();
            failing.act(&session.reference, "decline").await;
            let callbacks = failing.callbacks(&adapter).await;
            assert_eq!(callbacks[0].0["status"], "failed");
            assert_eq!(callbacks[0].1[0].event, want, "failure_callbacks = {believe}");
        }
    }

    #[tokio::test]
    async fn a_callback_in_the_checkout_currency_is_read_as_it_stands() {
        let pf = Pf::start(|c| c.payfect.callback_currency = CallbackCurrency::Checkout).await;
        let adapter = pf.adapter(|_| {});
        let session =
            adapter.create_session(&pf.request("ks_pf_nok_cb", Currency::NOK)).await.unwrap();
        pf.act(&session.reference, "pay").await;
        let callbacks = pf.callbacks(&adapter).await;
        assert_eq!(callbacks[0].0["currency"], "NOK");
        assert_eq!(callbacks[0].1[0].amount, Some(nok(137_600)));
    }
}

/// Checkfront as its documents say (seed `000_5afdd411024e2f02.txt`, github.com/Checkfront/API
/// `docs/ref/booking/*.rst`, `docs/examples/response/webhook-booking.xml`, the v3 README).
mod checkfront_docs {
    use kassa_sim::checkfront::WebhookFormat;
    use kassa_wire::{CustomerField, ExtraField, ExtraValue};

    use super::*;

    /// Values for the simulated account's required booking-form fields.
    pub(super) fn extras() -> Vec<ExtraValue> {
        [("guide_language", "nb"), ("pickup_point", "Bryggen")]
            .into_iter()
            .map(|(id, value)| ExtraValue { id: id.to_owned(), value: value.to_owned() })
            .collect()
    }

    struct Cf {
        sim: SimHandle,
        config: SimConfig,
        inbox: Inbox,
        inbox_url: String,
        http: reqwest::Client,
    }

    impl Cf {
        async fn start(configure: impl FnOnce(&mut SimConfig)) -> Cf {
            let (inbox, inbox_url) = Inbox::start().await;
            let mut config = SimConfig::default();
            config.checkfront.webhook_url = Some(format!("{inbox_url}/checkfront"));
            configure(&mut config);
            let sim = kassa_sim::start(config.clone()).await.unwrap();
            Cf { sim, config, inbox, inbox_url, http: kassa_providers::build_client().unwrap() }
        }

        fn adapter(
            &self,
            act_as: ActAs,
            configure: impl FnOnce(&mut CheckfrontConfig),
        ) -> Checkfront {
            let mut config = CheckfrontConfig {
                act_as,
                base_url: self.sim.checkfront_url.clone(),
                allowed_host_suffixes: vec![],
                api_key: SecretString::from(self.config.checkfront.api_key.clone()),
                api_secret: SecretString::from(self.config.checkfront.api_secret.clone()),
                items: [(
                    "tour".to_owned(),
                    ItemMapping { item_id: "1".into(), param: "qty".into() },
                )]
                .into(),
                retry: fast_retries(),
                ..CheckfrontConfig::default()
            };
            configure(&mut config);
            Checkfront::new(config, self.http.clone()).unwrap()
        }

        fn request(&self, order: &str, extra: Vec<ExtraValue>) -> SessionRequest {
            let price = self.config.checkfront.items[0].price;
            let unit = Money::from_minor(price, Currency::NOK).unwrap();
            SessionRequest {
                order_id: order.into(),
                idempotency_key: format!("kassa-{order}"),
                lines: vec![OrderLine {
                    sku: "tour".into(),
                    name: "Tour".into(),
                    quantity: 1,
                    unit_price: unit,
                    line_total: unit,
                    start_date: Some("2030-07-01".into()),
                    end_date: None,
                }],
                total: unit,
                presentation: Presentation::Redirect,
                method_variant: None,
                success_url: "https://shop.test/ok".into(),
                cancel_url: "https://shop.test/cancel".into(),
                notify_url: format!("{}/checkfront", self.inbox_url),
                customer: CustomerDetails {
                    name: Some("Kari Nordmann".into()),
                    email: Some("kari@example.test".into()),
                    extra,
                    ..CustomerDetails::default()
                },
                locale: None,
                created_at: now(),
                identity: CustomerIdentity::default(),
                previous_reference: None,
            }
        }

        async fn state(&self) -> Value {
            let url = format!("{}/__sim/state", self.sim.checkfront_url);
            self.http.get(url).send().await.unwrap().json().await.unwrap()
        }

        async fn requests(&self) -> Vec<Value> {
            let url = format!("{}/__sim/requests", self.sim.checkfront_url);
            self.http.get(url).send().await.unwrap().json().await.unwrap()
        }
    }

    fn url_of(action: &Action) -> &str {
        match action {
            Action::Redirect { url, .. } | Action::Iframe { url } => url,
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn the_staff_pay_url_names_the_booking_code_and_the_page_opens_c1() {
        let cf = Cf::start(|_| {}).await;
        let adapter = cf.adapter(ActAs::Staff, |_| {});
        let session = adapter.create_session(&cf.request("ks_cf_code", extras())).await.unwrap();
        let url = url::Url::parse(url_of(&session.action)).unwrap();
        assert_eq!(url.path(), format!("/reserve/booking/{}", session.reference));
        let state = cf.state().await;
        let booking = &state["bookings"][0];
        assert_eq!(booking["code"], session.reference.as_str());
        assert_ne!(booking["booking_id"].to_string(), session.reference, "the code, not the id");
        let page = cf.http.get(url.as_str()).send().await.unwrap();
        assert_eq!(page.status(), 200, "the simulator finds the booking by its code");
    }

    #[tokio::test]
    async fn the_token_is_taken_from_create_and_read_back_only_when_configured_c2() {
        let cf = Cf::start(|_| {}).await;
        let session = cf
            .adapter(ActAs::Staff, |_| {})
            .create_session(&cf.request("ks_cf_token", extras()))
            .await
            .unwrap();
        let token = cf.state().await["bookings"][0]["token"].as_str().unwrap().to_owned();
        assert!(url_of(&session.action).contains(&format!("CFX={token}")));
        let reads = cf.requests().await;
        assert!(
            !reads.iter().any(|r| r["method"] == "GET"
                && r["path"] == format!("/api/3.0/booking/{}", session.reference)),
            "the token came from booking/create; no read was needed"
        );

        let hidden = Cf::start(|c| {
            c.checkfront.token_on_create = false;
            c.checkfront.token_on_get = true;
        })
        .await;
        let refused = hidden
            .adapter(ActAs::Staff, |_| {})
            .create_session(&hidden.request("ks_cf_no_token", extras()))
            .await;
        assert!(
            matches!(refused, Err(ProviderError::UnexpectedResponse { .. })),
            "without token_from_get a create answer without a token is an error: {refused:?}"
        );
        let read = hidden
            .adapter(ActAs::Staff, |c| c.token_from_get = true)
            .create_session(&hidden.request("ks_cf_get_token", extras()))
            .await
            .unwrap();
        let token = hidden.state().await["bookings"][1]["token"].as_str().unwrap().to_owned();
        assert!(url_of(&read.action).contains(&format!("CFX={token}")));
    }

    #[tokio::test]
    async fn the_booking_form_names_the_accounts_own_fields_and_a_booking_without_them_is_refused_c3(
    ) {
        let cf = Cf::start(|_| {}).await;
        for act_as in [ActAs::Customer, ActAs::Staff] {
            let adapter = cf.adapter(act_as, |_| {});
            let form = adapter.booking_form().await.unwrap();
            assert!(form.required.contains(&CustomerField::Name), "{act_as:?}");
            let language = form.extra.iter().find(|f| f.id == "guide_language").unwrap();
            assert_eq!(language.kind, ExtraField::SELECT);
            assert_eq!(language.label, "Guide language");
            assert_eq!(language.options.len(), 3);
            let pickup = form.extra.iter().any(|f| f.id == "pickup_point");
            assert_eq!(pickup, act_as == ActAs::Customer, "staff need no pickup point");
        }
        let adapter = cf.adapter(ActAs::Customer, |_| {});
        let refused = adapter.create_session(&cf.request("ks_cf_no_extras", Vec::new())).await;
        match refused {
            Err(ProviderError::Rejected { param, .. }) => {
                assert!(param.is_some_and(|p| p == "guide_language" || p == "pickup_point"))
            }
            other => panic!("{other:?}"),
        }
        adapter.create_session(&cf.request("ks_cf_extras", extras())).await.unwrap();
        let fields = &cf.state().await["bookings"][0]["fields"];
        assert_eq!(fields["guide_language"], "nb");
        assert_eq!(fields["pickup_point"], "Bryggen");
        let configured = cf.adapter(ActAs::Customer, |c| {
            c.extra_form = [("pickup_point".to_owned(), "Harbour".to_owned())].into();
        });
        let form = configured.booking_form().await.unwrap();
        assert!(!form.extra.iter().any(|f| f.id == "pickup_point"), "filled by configuration");
    }

    #[tokio::test]
    async fn an_xml_notice_is_read_for_the_bookings_code_not_the_customers_c4() {
        let cf = Cf::start(|c| c.checkfront.webhook_format = WebhookFormat::Xml).await;
        let adapter = cf.adapter(ActAs::Customer, |_| {});
        let session = adapter.create_session(&cf.request("ks_cf_xml", extras())).await.unwrap();
        let url = format!("{}/__sim/sessions/{}/pay", cf.sim.checkfront_url, session.reference);
        assert!(cf.http.post(url).send().await.unwrap().status().is_success());
        let captured = cf.inbox.take("/checkfront");
        let paid = captured
            .iter()
            .find(|c| std::str::from_utf8(&c.body).unwrap().contains("<status>PAID</status>"))
            .expect("an XML booking notice");
        let body = std::str::from_utf8(&paid.body).unwrap();
        assert!(
            body.find("<code>").unwrap()
                < body.find(&format!("<code>{}", session.reference)).unwrap()
        );
        let incoming = IncomingNotification {
            headers: &paid.headers,
            query: &paid.query,
            body: &paid.body,
            now: now(),
        };
        let updates = adapter.handle_notification(&incoming).await.unwrap();
        assert_eq!(updates.len(), 1);
        assert_eq!(updates[0].reference, session.reference, "the booking's code was read");
        assert_eq!(updates[0].event, Some(PaymentEvent::Paid));
    }
}
