//! Crash soak (R-S4, R-K7, R-I2): the real `kassa-server` binary, under load from simulated
//! customers, is killed with SIGKILL at random moments and started again, while the provider
//! simulator (in this process) keeps taking payments and retrying webhooks.
//!
//! Afterwards: no order that a customer was answered about is lost; no order is left in
//! `created` (the recovery worker finishes what a crash interrupted, including orders whose
//! customer walked away); every payment made at a provider is `paid` in the store (webhooks
//! that arrived while the backend was down are taken when the simulator retries them, else
//! reconciliation finds them); Stripe holds exactly one session per order; and the server's
//! log holds none of the configured secrets or customer details. The merchant's receiver
//! (`support/receiver.mjs`, verifying with the official Standard Webhooks library) gets every
//! order event through the crashes, while it fails now and then: every paid order's
//! `order.paid` event is processed once, none is lost.
//!
//! The bounded run here is part of `cargo test` (about 15 s of load, a few kills).
//! `cargo xtask soak` runs it longer through the same environment variables:
//! `KASSA_SOAK_SECS` (load phase), `KASSA_SOAK_CUSTOMERS`, `KASSA_SOAK_DATABASE`
//! (`sqlite` or `postgres`). The figures go to `$CARGO_TARGET_TMPDIR/soak-report.json` and
//! the server's JSON log (debug level for our crates) to `soak-server.log` beside it.

use std::{
    collections::{BTreeMap, HashMap},
    path::{Path, PathBuf},
    process::Stdio,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use kassa_server::store::Store;
use kassa_sim::{DeliveryPolicy, SimHandle};
use kassa_wire::{ProviderId, SessionState};
use rand::{Rng as _, SeedableRng as _};
use serde::Serialize;
use serde_json::Value;
use tokio::process::{Child, Command};

use crate::support::{
    app::{
        client, create_body, fast_sim, method_of, payable_sessions, session_reference, sim_sessions,
    },
    receiver::{outbox_toml, Receiver, OPERATOR_TOKEN, SECRET},
    Backend,
};

/// The providers customers pay with: the three that notify (webhook or callback).
const PROVIDERS: [ProviderId; 3] =
    [ProviderId::Stripe, ProviderId::Payfect, ProviderId::FrontPayment];

/// The soak's figures, written as JSON for the README.
#[derive(Debug, Default, Serialize)]
struct Report {
    database: String,
    load_secs: u64,
    customers: usize,
    crashes: u32,
    /// Orders in the store at the end.
    orders_created: usize,
    /// Orders whose creation a customer saw answered.
    orders_acknowledged: usize,
    /// Customers who walked away after a failed attempt (their orders are the worker's).
    customers_walked_away: usize,
    orders_lost: usize,
    orders_left_unfinished: usize,
    payments_made_at_providers: usize,
    payments_missing: usize,
    paid_by_webhook: usize,
    paid_by_reconciliation_or_poll: usize,
    webhook_attempts_failed_while_down: usize,
    stripe_orders_with_more_than_one_session: usize,
    orphan_sessions_at_providers_without_idempotency: usize,
    secrets_or_personal_data_in_log: usize,
    /// Webhook log lines whose `origin_request_id` is not the customer's request id.
    log_trails_broken: usize,
    /// Log lines that carry the customer's request id (order stored, webhook taken).
    log_trails_followed: usize,
    final_states: BTreeMap<String, i64>,
    /// Merchant events stored (issue 14).
    events_created: i64,
    /// Distinct events the receiver processed.
    events_delivered: usize,
    /// Attempts beyond each delivery's first (the receiver failed, or a crash interrupted).
    delivery_attempts_retried: i64,
    /// Events answered 2xx more than once (a crash between the answer and its record); the
    /// receiver processed each once by its id.
    events_redelivered_after_success: usize,
    /// Paid orders whose `order.paid` event never reached the receiver, plus stored events
    /// it never processed.
    events_lost: usize,
    /// Deliveries the receiver refused as badly signed.
    deliveries_failing_verification: usize,
    /// From the event's commit to the receiver processing it, milliseconds.
    delivery_latency_ms_p50: i64,
    /// The same, at the 95th percentile.
    delivery_latency_ms_p95: i64,
    /// The same, the longest.
    delivery_latency_ms_max: i64,
    wall_secs: u64,
}

/// What the customers did and saw (the ground truth).
#[derive(Debug, Default)]
struct Truth {
    /// Order id → provider, for every creation answered 200.
    acknowledged: HashMap<String, ProviderId>,
    /// Order id → the request id the customer sent (its idempotency key).
    request_ids: HashMap<String, String>,
    /// Orders paid at the provider's page.
    paid: Vec<String>,
    walked_away: usize,
}

struct Settings {
    load: Duration,
    customers: usize,
    backend: Backend,
}

impl Settings {
    fn from_env() -> Settings {
        let num = |name: &str, default: u64| {
            std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
        };
        let backend = match std::env::var("KASSA_SOAK_DATABASE").as_deref() {
            Ok("postgres") => Backend::Postgres,
            _ => Backend::Sqlite,
        };
        Settings {
            load: Duration::from_secs(num("KASSA_SOAK_SECS", 15)),
            customers: usize::try_from(num("KASSA_SOAK_CUSTOMERS", 6)).unwrap_or(6),
            backend,
        }
    }
}

/// The backend as a child process on a fixed port.
struct Server {
    child: Option<Child>,
    config: PathBuf,
    env: Vec<(String, String)>,
    log: PathBuf,
    api: String,
    http: reqwest::Client,
}

impl Server {
    async fn start(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("the log file");
        let mut command = Command::new(env!("CARGO_BIN_EXE_kassa-server"));
        // KASSA_* is the server's configuration namespace; none of ours (the soak's own
        // settings) may leak into it.
        for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("KASSA_")) {
            command.env_remove(name);
        }
        let child = command
            .arg("--config")
            .arg(&self.config)
            .envs(self.env.iter().cloned())
            .env("KASSA_LOG_FORMAT", "json")
            .env("RUST_LOG", "info,kassa_server=debug,kassa_providers=debug")
            .stdout(Stdio::from(log.try_clone().expect("the log file")))
            .stderr(Stdio::from(log))
            .kill_on_drop(true)
            .spawn()
            .expect("kassa-server starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = self.http.get(format!("{}/health/ready", self.api)).send().await;
            if ready.is_ok_and(|r| r.status() == 200) {
                return;
            }
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(5).collect();
                panic!(
                    "kassa-server exited ({status}); the end of {}:\n{}",
                    self.log.display(),
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                );
            }
            assert!(Instant::now() < deadline, "kassa-server was not ready within 30 s");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// SIGKILL: no shutdown code runs, exactly as in a power cut of the process.
    async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.start_kill().expect("SIGKILL");
            child.wait().await.expect("the child is reaped");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_backend_killed_at_random_under_load_loses_no_order_and_leaves_none_unfinished() {
    let settings = Settings::from_env();
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let db = settings.backend.database().await;
    let port = port_outside_the_ephemeral_range();
    let api = format!("http://127.0.0.1:{port}");

    // Fresh secrets for this run, shared by the simulator and the backend's environment.
    let mut sim_config = fast_sim();
    let secret = |prefix: &str| format!("{prefix}{}", uuid::Uuid::new_v4().simple());
    sim_config.stripe.secret_key = secret("sk_test_soak");
    sim_config.stripe.webhook_secret = secret("whsec_soak");
    sim_config.payfect.api_key = format!("Soak{}.{}", &secret("")[..4], secret(""));
    sim_config.front_payment.bearer_token = secret("fpgo-soak-");
    sim_config.front_payment.secret_key = secret("fpgo-soak-secret-");
    sim_config.stripe.webhook_url = Some(format!("{api}/v1/webhooks/stripe"));
    // Webhooks keep coming back for a minute, as a provider's do for days.
    let patient = DeliveryPolicy {
        timeout_ms: 3000,
        retry_backoff_ms: [200, 400, 800, 1600].into_iter().chain([2000; 30]).collect(),
    };
    sim_config.stripe.delivery = patient.clone();
    sim_config.payfect.delivery = patient.clone();
    sim_config.front_payment.delivery = patient;
    let sim = kassa_sim::start(sim_config.clone()).await.unwrap();
    let receiver = Receiver::start().await;

    let toml = include_str!("support/kassa.toml")
        .replace("bind = \"127.0.0.1:0\"", &format!("bind = \"127.0.0.1:{port}\""))
        .replace("${API_URL}", &api)
        .replace("${DATABASE_URL}", &db.url)
        .replace("${SITE_URL}", crate::support::app::SITE)
        .replace("${STRIPE_URL}", &sim.stripe_url)
        .replace("${STRIPE_PUBLISHABLE_KEY}", &sim_config.stripe.publishable_key)
        .replace("${PAYFECT_URL}", &sim.payfect_url)
        .replace("${FRONT_PAYMENT_URL}", &sim.front_payment_url)
        .replace("${CHECKFRONT_URL}", &sim.checkfront_url)
        .replace("${BOKAMERA_URL}", &sim.bokamera_url)
        .replace("${BOKAMERA_COMPANY_ID}", &sim_config.bokamera.company_id)
        .replace(
            "recovery_interval_ms = 10000",
            "recovery_interval_ms = 1000\nreconcile_after_secs = 10",
        )
        + &outbox_toml(&receiver.url).replace("poll_interval_ms = 50", "poll_interval_ms = 200");
    let config = dir.path().join("kassa.toml");
    std::fs::write(&config, toml).unwrap();
    let env: Vec<(String, String)> = [
        ("KASSA_PROVIDERS__STRIPE__SECRET_KEY", sim_config.stripe.secret_key.clone()),
        (
            "KASSA_PROVIDERS__STRIPE__WEBHOOK_SECRETS",
            format!("[{}]", sim_config.stripe.webhook_secret),
        ),
        ("KASSA_PROVIDERS__PAYFECT__API_KEY", sim_config.payfect.api_key.clone()),
        ("KASSA_PROVIDERS__PAYFECT__FERNET_KEY", sim_config.payfect.fernet_key.clone()),
        ("KASSA_PROVIDERS__FRONT_PAYMENT__TOKEN", sim_config.front_payment.bearer_token.clone()),
        ("KASSA_PROVIDERS__FRONT_PAYMENT__SECRET_KEY", sim_config.front_payment.secret_key.clone()),
        ("KASSA_PROVIDERS__CHECKFRONT__API_KEY", sim_config.checkfront.api_key.clone()),
        ("KASSA_PROVIDERS__CHECKFRONT__API_SECRET", sim_config.checkfront.api_secret.clone()),
        ("KASSA_PROVIDERS__BOKAMERA__API_KEY", sim_config.bokamera.api_key.clone()),
        (
            "KASSA_PROVIDERS__CHECKFRONT__WEBHOOK_TOKEN",
            crate::support::app::CHECKFRONT_WEBHOOK_TOKEN.to_owned(),
        ),
        (
            "KASSA_PROVIDERS__BOKAMERA__WEBHOOK_TOKEN",
            crate::support::app::BOKAMERA_WEBHOOK_TOKEN.to_owned(),
        ),
        ("KASSA_CHECKOUT__QUOTE_KEY", crate::support::app::QUOTE_KEY.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let mut secrets: Vec<String> =
        env.iter().map(|(_, v)| v.trim_matches(['[', ']']).to_owned()).collect();
    secrets.extend([SECRET.to_owned(), OPERATOR_TOKEN.to_owned()]);

    let log = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("soak-server.log");
    let _ = std::fs::remove_file(&log);
    let mut server =
        Server { child: None, config, env, log: log.clone(), api: api.clone(), http: client() };
    server.start().await;

    // Customers until the load deadline; a killer meanwhile.
    let truth = Arc::new(Mutex::new(Truth::default()));
    let load_until = Instant::now() + settings.load;
    let give_up_at = load_until + Duration::from_secs(60);
    let customers: Vec<_> = (0..settings.customers)
        .map(|n| {
            let (api, sim_urls, truth) = (api.clone(), sim_urls(&sim), truth.clone());
            tokio::spawn(async move {
                customer(n as u64, &api, &sim_urls, &truth, load_until, give_up_at).await
            })
        })
        .collect();
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed);
    let mut crashes = 0u32;
    while Instant::now() + Duration::from_secs(2) < load_until {
        tokio::time::sleep(Duration::from_millis(rng.gen_range(1500..4000))).await;
        server.kill().await;
        crashes += 1;
        tokio::time::sleep(Duration::from_millis(rng.gen_range(0..500))).await;
        server.start().await;
        // The merchant's system has its bad moments too.
        receiver.mode(if rng.gen_bool(0.3) { "fail" } else { "ok" }, 0).await;
    }
    receiver.mode("ok", 0).await;
    for c in customers {
        c.await.expect("a customer finished");
    }

    // Drain: every order leaves `created`, every payment reaches the store.
    let store = Store::connect(&db.url).await.unwrap();
    let truth = std::mem::take(&mut *truth.lock().unwrap());
    let drain_until = Instant::now() + Duration::from_secs(60);
    loop {
        let unfinished =
            store.orders_in_state(SessionState::Created, i64::MAX, 1).await.unwrap().len();
        let mut missing = 0;
        for id in &truth.paid {
            if store.order(id).await.unwrap().map(|o| o.state) != Some(SessionState::Paid) {
                missing += 1;
            }
        }
        let events = store.outbox_events().await.unwrap();
        let processed = receiver.log().await.processed;
        let undelivered = events.iter().filter(|e| !processed.contains_key(&e.id)).count();
        if (unfinished == 0 && missing == 0 && undelivered == 0) || Instant::now() > drain_until {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    server.kill().await;

    let mut report =
        measure(&settings, &store, &truth, &sim, crashes, &secrets, &log, started).await;
    measure_events(&mut report, &store, &truth, &receiver).await;
    let text = serde_json::to_string_pretty(&report).unwrap();
    println!("soak report:\n{text}");
    std::fs::write(PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("soak-report.json"), &text)
        .unwrap();

    assert!(report.crashes >= 1, "the soak killed the backend {} times", report.crashes);
    assert!(report.orders_acknowledged > 0, "customers were served");
    assert_eq!(report.orders_lost, 0, "orders lost");
    assert_eq!(report.orders_left_unfinished, 0, "orders left in `created`");
    assert_eq!(report.payments_missing, 0, "payments made at a provider but not recorded");
    assert_eq!(report.stripe_orders_with_more_than_one_session, 0, "Stripe sessions per order");
    assert_eq!(
        report.secrets_or_personal_data_in_log,
        0,
        "secrets or personal data in {}",
        log.display()
    );
    assert_eq!(report.log_trails_broken, 0, "a log line lost the checkout's request id");
    assert!(report.log_trails_followed > report.orders_acknowledged, "the log shows the checkouts");
    assert!(report.events_created > 0, "paid orders made merchant events");
    assert_eq!(report.events_lost, 0, "merchant events lost");
    assert_eq!(report.deliveries_failing_verification, 0, "badly signed deliveries");
}

/// The merchant events' figures: what the store holds against what the receiver processed.
async fn measure_events(report: &mut Report, store: &Store, truth: &Truth, receiver: &Receiver) {
    let events = store.outbox_events().await.unwrap();
    let counts = store.outbox_counts().await.unwrap();
    let log = receiver.log().await;
    report.events_created = counts.events;
    report.events_delivered = log.processed.len();
    report.delivery_attempts_retried = counts.retries;
    report.events_redelivered_after_success = log.acked.values().filter(|n| **n > 1).count();
    report.deliveries_failing_verification = log.attempts.iter().filter(|a| !a.verified).count();
    let mut lost = events.iter().filter(|e| !log.processed.contains_key(&e.id)).count();
    for order in &truth.paid {
        let paid_event =
            events.iter().find(|e| &e.order_id == order && e.event_type == "order.paid");
        if paid_event.is_none() {
            lost += 1;
        }
    }
    report.events_lost = lost;
    let created: HashMap<&str, i64> =
        events.iter().map(|e| (e.id.as_str(), e.created_at)).collect();
    let mut latencies: Vec<i64> =
        log.booked.iter().filter_map(|b| created.get(b.id.as_str()).map(|at| b.at - at)).collect();
    latencies.sort_unstable();
    let at = |q: usize| {
        latencies
            .get((latencies.len() * q / 100).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    report.delivery_latency_ms_p50 = at(50);
    report.delivery_latency_ms_p95 = at(95);
    report.delivery_latency_ms_max = latencies.last().copied().unwrap_or(0);
}

/// A free port below the kernel's ephemeral range, so that it stays ours while the backend is
/// down between a kill and a restart.
///
/// A port from `bind(…:0)` lies inside that range: while nothing listens on it, any outgoing
/// connection of this test process (the simulator's webhooks, other tests' clients) may be given
/// it as its local port, and a client connecting to it can even be connected to itself (TCP
/// simultaneous open), after which the restarted backend cannot bind it. A port below the range
/// is never handed out for outgoing connections.
fn port_outside_the_ephemeral_range() -> u16 {
    let range =
        std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").unwrap_or_default();
    let low: u16 = range.split_whitespace().next().and_then(|n| n.parse().ok()).unwrap_or(32768);
    let mut rng = rand::rngs::StdRng::from_entropy();
    (0..1000)
        .map(|_| rng.gen_range(10_000..low.max(10_001)))
        .find(|&port| std::net::TcpListener::bind(("127.0.0.1", port)).is_ok())
        .expect("a free port below the ephemeral range")
}

/// Base URLs of the simulated providers the customers use.
fn sim_urls(sim: &SimHandle) -> HashMap<ProviderId, String> {
    [
        (ProviderId::Stripe, sim.stripe_url.clone()),
        (ProviderId::Payfect, sim.payfect_url.clone()),
        (ProviderId::FrontPayment, sim.front_payment_url.clone()),
    ]
    .into()
}

/// One customer: checks out again and again until `load_until`; each time retries with the
/// same key through crashes, then pays at the provider (half the time) or leaves the session
/// open. One attempt in five, after a failed try, the customer walks away instead.
async fn customer(
    n: u64,
    api: &str,
    sims: &HashMap<ProviderId, String>,
    truth: &Mutex<Truth>,
    load_until: Instant,
    give_up_at: Instant,
) {
    let http = client();
    let mut rng = rand::rngs::StdRng::seed_from_u64(n);
    while Instant::now() < load_until {
        let provider = PROVIDERS[rng.gen_range(0..PROVIDERS.len())];
        let key = format!("soak-{n}-{}", uuid::Uuid::new_v4().simple());
        let walks_away = rng.gen_bool(0.2);
        let mut order = None;
        while Instant::now() < give_up_at {
            let sent = http
                .post(format!("{api}/v1/checkout/sessions"))
                .header("Idempotency-Key", &key)
                // The widget's own request id, to be found again in the webhook's log line.
                .header("x-request-id", &key)
                .json(&create_body(method_of(provider)))
                .timeout(Duration::from_secs(15))
                .send()
                .await;
            match sent {
                Ok(res) if res.status() == 200 => {
                    let body: Value = res.json().await.unwrap_or(Value::Null);
                    order = body["id"].as_str().map(str::to_owned);
                    break;
                }
                Ok(res) if matches!(res.status().as_u16(), 409 | 503) => {}
                Ok(res) => {
                    panic!("HTTP {}: {}", res.status(), res.text().await.unwrap_or_default())
                }
                Err(_) => {} // the backend is down or was killed mid-request
            }
            if walks_away {
                truth.lock().unwrap().walked_away += 1;
                break;
            }
            tokio::time::sleep(Duration::from_millis(rng.gen_range(100..400))).await;
        }
        let Some(order) = order else { continue };
        {
            let mut truth = truth.lock().unwrap();
            truth.acknowledged.insert(order.clone(), provider);
            truth.request_ids.insert(order.clone(), key.clone());
        }
        if rng.gen_bool(0.5) {
            let sim = &sims[&provider];
            let sessions = sim_sessions(&http, sim, provider).await;
            let session = *payable_sessions(provider, &sessions, &order)
                .last()
                .expect("the order's session at the provider");
            let reference = session_reference(provider, session);
            let paid =
                http.post(format!("{sim}/__sim/sessions/{reference}/pay")).send().await.unwrap();
            assert!(
                paid.status().is_success(),
                "paying {reference}: {}",
                paid.text().await.unwrap_or_default()
            );
            truth.lock().unwrap().paid.push(order);
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn measure(
    settings: &Settings,
    store: &Store,
    truth: &Truth,
    sim: &SimHandle,
    crashes: u32,
    secrets: &[String],
    log: &Path,
    started: Instant,
) -> Report {
    let http = client();
    let mut report = Report {
        database: format!("{:?}", settings.backend).to_lowercase(),
        load_secs: settings.load.as_secs(),
        customers: settings.customers,
        crashes,
        orders_acknowledged: truth.acknowledged.len(),
        customers_walked_away: truth.walked_away,
        payments_made_at_providers: truth.paid.len(),
        ..Report::default()
    };
    report.orders_created = usize::try_from(store.order_count().await.unwrap()).unwrap();
    for (state, n) in store.state_counts().await.unwrap() {
        report.final_states.insert(state.as_str().to_owned(), n);
    }
    report.orders_left_unfinished =
        store.orders_in_state(SessionState::Created, i64::MAX, 1_000_000).await.unwrap().len();
    for id in truth.acknowledged.keys() {
        if store.order(id).await.unwrap().is_none() {
            report.orders_lost += 1;
        }
    }
    for id in &truth.paid {
        match store.order(id).await.unwrap() {
            Some(order) if order.state == SessionState::Paid => {}
            _ => report.payments_missing += 1,
        }
    }
    let (by_webhook, by_other) = paid_causes(store, &truth.paid).await;
    report.paid_by_webhook = by_webhook;
    report.paid_by_reconciliation_or_poll = by_other;

    let urls = sim_urls(sim);
    for provider in PROVIDERS {
        let sessions = sim_sessions(&http, &urls[&provider], provider).await;
        for (id, p) in &truth.acknowledged {
            if *p != provider {
                continue;
            }
            let n = payable_sessions(provider, &sessions, id).len();
            if provider == ProviderId::Stripe && n > 1 {
                report.stripe_orders_with_more_than_one_session += 1;
            } else if n > 1 {
                report.orphan_sessions_at_providers_without_idempotency += n - 1;
            }
        }
        let deliveries: Vec<Value> = http
            .get(format!("{}/__sim/deliveries", urls[&provider]))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        report.webhook_attempts_failed_while_down +=
            deliveries.iter().filter(|d| d["status_code"].is_null()).count();
    }

    let text = std::fs::read_to_string(log).unwrap_or_default();
    let personal = ["kari@example.com", "+4791234567", "Kari Nordmann", "4791234567"];
    for needle in secrets.iter().map(String::as_str).chain(personal) {
        if text.contains(needle) {
            eprintln!(
                "the log contains a secret or personal detail starting {:?}",
                &needle[..needle.len().min(6)]
            );
            report.secrets_or_personal_data_in_log += 1;
        }
    }
    let (followed, broken) = log_trails(&text, &truth.request_ids);
    report.log_trails_followed = followed;
    report.log_trails_broken = broken;
    report.wall_secs = started.elapsed().as_secs();
    report
}

/// Follows each checkout through the JSON log: the line that stored the order carries the
/// customer's request id, and every webhook line about that order names it as
/// `origin_request_id`. Answers (followed, broken).
fn log_trails(log: &str, request_ids: &HashMap<String, String>) -> (usize, usize) {
    let (mut followed, mut broken) = (0, 0);
    for line in log.lines() {
        let Ok(event) = serde_json::from_str::<Value>(line) else { continue };
        let fields = &event["fields"];
        let Some(id) = fields["order"].as_str().and_then(|order| request_ids.get(order)) else {
            continue;
        };
        let trail = match fields["message"].as_str() {
            Some("order stored") => event["span"]["request_id"].as_str(),
            Some("notification taken") => fields["origin_request_id"].as_str(),
            _ => continue,
        };
        if trail == Some(id.as_str()) {
            followed += 1;
        } else {
            broken += 1;
        }
    }
    (followed, broken)
}

/// How the paid orders were paid: by a provider notification, or otherwise (reconciliation,
/// a status poll).
async fn paid_causes(store: &Store, paid: &[String]) -> (usize, usize) {
    let mut by_webhook = 0;
    for id in paid {
        if store.paid_cause(id).await.unwrap().as_deref() == Some("provider notification") {
            by_webhook += 1;
        }
    }
    (by_webhook, paid.len() - by_webhook)
}
