//! The backend, in-process, against the provider simulator, on either database; with the
//! requests a widget and a test make.

use std::time::Duration;

use kassa_server::{Running, Settings};
use kassa_sim::{
    bokamera::BokameraArticle, checkfront::CheckfrontItem, DeliveryPolicy, SimConfig, SimHandle,
};
use kassa_wire::{ProviderId, Session};
use serde_json::{json, Value};
use tokio::net::TcpListener;

use super::{Backend, Database};

/// The page the widget runs on (an allowed origin in the test config).
pub const SITE: &str = "http://127.0.0.1:8000";

/// The test merchant's configuration, with `${…}` placeholders.
const CONFIG: &str = include_str!("kassa.toml");

/// The key quote ids are signed with, shared by every instance a test starts.
pub const QUOTE_KEY: &str = "reliability-quote-key-0123456789";

/// The id of the quote the backend gives `items` (priced from the test configuration's
/// catalog), as the widget sends it with Pay; valid for a day.
pub fn quote_id(items: &Value) -> String {
    use figment::providers::{Format as _, Toml};
    use kassa_server::{catalog::Catalog, config::CatalogEntry, quotes::Quotes};
    let config = figment::Figment::from(Toml::string(CONFIG));
    let currency: String = config.extract_inner("merchant.currency").expect("a currency");
    let entries: Vec<CatalogEntry> = config.extract_inner("catalog").expect("the catalog");
    let currency = kassa_wire::Currency::from_code(&currency).expect("a currency code");
    let catalog = Catalog::new(currency, &entries).expect("the catalog");
    let items: Vec<kassa_wire::CartItem> = serde_json::from_value(items.clone()).expect("a cart");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs() as i64;
    let quotes = Quotes::new(Some(&QUOTE_KEY.to_owned().into()), 86_400);
    quotes.quote(&catalog, &items, now).expect("the cart prices").id.to_string()
}

/// The webhook path tokens of the providers whose notifications are unsigned (R-K3).
pub const CHECKFRONT_WEBHOOK_TOKEN: &str = "cf_hook_0123456789abcdefghijklmnopqrst";
/// BokaMera's webhook path token.
pub const BOKAMERA_WEBHOOK_TOKEN: &str = "bm_hook_0123456789abcdefghijklmnopqrst";

/// Where `provider`'s notifications go on the backend at `api`, with its path token.
pub fn webhook_url(api: &str, provider: &str) -> String {
    match provider {
        "checkfront" => format!("{api}/v1/webhooks/checkfront/{CHECKFRONT_WEBHOOK_TOKEN}"),
        "bokamera" => format!("{api}/v1/webhooks/bokamera/{BOKAMERA_WEBHOOK_TOKEN}"),
        other => format!("{api}/v1/webhooks/{other}"),
    }
}

/// The backend and the simulator.
pub struct TestApp {
    /// Base URL of the API.
    pub api: String,
    /// The simulator.
    pub sim: SimHandle,
    /// The simulator's configuration (its credentials are the backend's secrets).
    pub sim_config: SimConfig,
    /// A client that neither follows redirects nor uses a proxy.
    pub http: reqwest::Client,
    /// The database.
    pub db: Database,
    /// The backend's configuration text, to start more instances of it.
    pub toml: String,
    server: Option<Running>,
}

/// How to start a [`TestApp`].
pub struct Builder {
    backend: Backend,
    db: Option<Database>,
    sim: SimConfig,
    edits: Vec<Box<dyn FnOnce(String) -> String + Send>>,
}

impl Builder {
    /// Changes the backend's configuration text.
    pub fn config(mut self, edit: impl FnOnce(String) -> String + Send + 'static) -> Self {
        self.edits.push(Box::new(edit));
        self
    }

    /// Runs on `db` instead of a fresh database of the builder's backend.
    pub fn on(mut self, db: Database) -> Self {
        self.db = Some(db);
        self
    }

    /// Starts the simulator, then the backend on a fresh database.
    pub async fn start(self) -> TestApp {
        let db = match self.db {
            Some(db) => db,
            None => self.backend.database().await,
        };
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("binding the API");
        let api = format!("http://{}", listener.local_addr().expect("an address"));
        let mut sim_config = self.sim;
        sim_config.stripe.webhook_url = Some(format!("{api}/v1/webhooks/stripe"));
        sim_config.checkfront.webhook_url = Some(webhook_url(&api, "checkfront"));
        let sim = kassa_sim::start(sim_config.clone()).await.expect("the simulator starts");
        let mut toml = CONFIG
            .replace("${API_URL}", &api)
            .replace("${DATABASE_URL}", &db.url)
            .replace("${SITE_URL}", SITE)
            .replace("${STRIPE_URL}", &sim.stripe_url)
            .replace("${STRIPE_PUBLISHABLE_KEY}", &sim_config.stripe.publishable_key)
            .replace("${PAYFECT_URL}", &sim.payfect_url)
            .replace("${FRONT_PAYMENT_URL}", &sim.front_payment_url)
            .replace("${CHECKFRONT_URL}", &sim.checkfront_url)
            .replace("${BOKAMERA_URL}", &sim.bokamera_url)
            .replace("${BOKAMERA_COMPANY_ID}", &sim_config.bokamera.company_id);
        for edit in self.edits {
            toml = edit(toml);
        }
        let settings = settings(&toml, &sim_config);
        let server =
            kassa_server::spawn_on(settings, listener, None).await.expect("the backend starts");
        TestApp { api, sim, sim_config, http: client(), db, toml, server: Some(server) }
    }
}

/// The backend's settings: `toml` plus the secrets, layered as the environment layers them.
pub fn settings(toml: &str, sim: &SimConfig) -> Settings {
    Settings::from_toml_with(
        toml,
        &[
            ("providers.stripe.secret_key", sim.stripe.secret_key.clone().into()),
            ("providers.stripe.webhook_secrets", vec![sim.stripe.webhook_secret.clone()].into()),
            ("providers.payfect.api_key", sim.payfect.api_key.clone().into()),
            ("providers.payfect.fernet_key", sim.payfect.fernet_key.clone().into()),
            ("providers.front_payment.token", sim.front_payment.bearer_token.clone().into()),
            ("providers.front_payment.secret_key", sim.front_payment.secret_key.clone().into()),
            ("providers.checkfront.api_key", sim.checkfront.api_key.clone().into()),
            ("providers.checkfront.api_secret", sim.checkfront.api_secret.clone().into()),
            ("providers.bokamera.api_key", sim.bokamera.api_key.clone().into()),
            ("providers.checkfront.webhook_token", CHECKFRONT_WEBHOOK_TOKEN.into()),
            ("providers.bokamera.webhook_token", BOKAMERA_WEBHOOK_TOKEN.into()),
            ("checkout.quote_key", QUOTE_KEY.into()),
        ],
    )
    .unwrap_or_else(|e| panic!("the test configuration: {e}"))
}

/// The simulator with quick delivery retries, so redelivery tests finish in seconds.
pub fn fast_sim() -> SimConfig {
    let mut config = SimConfig::default();
    let fast =
        DeliveryPolicy { timeout_ms: 3000, retry_backoff_ms: vec![50, 100, 200, 400, 800, 1600] };
    config.stripe.delivery = fast.clone();
    config.payfect.delivery = fast.clone();
    config.front_payment.delivery = fast.clone();
    config.checkfront.delivery = fast;
    // Both booking systems sell what the merchant's catalog sells, at the same prices.
    config.checkfront.items = vec![
        CheckfrontItem {
            item_id: 1,
            sku: "kayak-2h".into(),
            name: "Two-hour kayak tour".into(),
            price: 65_000,
            stock: 10_000,
        },
        CheckfrontItem {
            item_id: 2,
            sku: "life-jacket".into(),
            name: "Life-jacket rental".into(),
            price: 7_500,
            stock: 10_000,
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
            price: 7_500,
        },
    ];
    config
}

/// An HTTP client that neither follows redirects nor uses a proxy.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client")
}

/// A cart the test catalog prices at NOK 1450.00 (dated throughout: Checkfront books every
/// line for a day).
pub fn cart() -> Value {
    json!([
        {"sku": "kayak-2h", "quantity": 2, "start_date": "2026-12-01", "end_date": "2026-12-01"},
        {"sku": "life-jacket", "quantity": 2, "start_date": "2026-12-01"}
    ])
}

/// A session creation body for `method`, with every customer detail any method needs (and,
/// for Checkfront, the simulated account's own required booking fields).
pub fn create_body(method: &str) -> Value {
    let mut body = json!({
        "items": cart(),
        "quote_id": quote_id(&cart()),
        "method": method,
        "return_url": format!("{SITE}/index.html"),
        "customer": {"name": "Kari Nordmann", "email": "kari@example.com", "phone": "+4791234567"},
    });
    if method.starts_with("checkfront") {
        body["customer"]["extra"] = json!([{"id": "guide_language", "value": "nb"}, {"id": "pickup_point", "value": "Bryggen"}]);
    }
    body
}

/// The method the test config offers for `provider`.
pub fn method_of(provider: ProviderId) -> &'static str {
    match provider {
        ProviderId::Stripe => "stripe-hosted",
        ProviderId::Payfect => "payfect-redirect",
        ProviderId::FrontPayment => "front-hosted",
        ProviderId::Checkfront => "checkfront-redirect",
        ProviderId::Bokamera => "bokamera-iframe",
    }
}

impl TestApp {
    /// Starting options.
    pub fn builder(backend: Backend) -> Builder {
        Builder { backend, db: None, sim: fast_sim(), edits: vec![] }
    }

    /// The default app on `backend`.
    pub async fn start(backend: Backend) -> TestApp {
        Self::builder(backend).start().await
    }

    /// Starts one more backend instance on the same database and simulator; answers its URL.
    pub async fn another_instance(&self) -> (String, Running) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("binding the API");
        let api = format!("http://{}", listener.local_addr().expect("an address"));
        let running =
            kassa_server::spawn_on(settings(&self.toml, &self.sim_config), listener, None)
                .await
                .expect("the second instance starts");
        (api, running)
    }

    /// The simulator's base URL for `provider`.
    pub fn sim_url(&self, provider: ProviderId) -> &str {
        match provider {
            ProviderId::Stripe => &self.sim.stripe_url,
            ProviderId::Payfect => &self.sim.payfect_url,
            ProviderId::FrontPayment => &self.sim.front_payment_url,
            ProviderId::Checkfront => &self.sim.checkfront_url,
            ProviderId::Bokamera => &self.sim.bokamera_url,
        }
    }

    /// `POST /v1/checkout/sessions` on `api` with `key`.
    pub async fn create_on(&self, api: &str, method: &str, key: &str) -> reqwest::Response {
        self.http
            .post(format!("{api}/v1/checkout/sessions"))
            .header("Idempotency-Key", key)
            .json(&create_body(method))
            .send()
            .await
            .expect("the backend answers")
    }

    /// `POST /v1/checkout/sessions` with `key`.
    pub async fn create(&self, method: &str, key: &str) -> reqwest::Response {
        self.create_on(&self.api, method, key).await
    }

    /// A session that must be created.
    pub async fn create_ok(&self, method: &str, key: &str) -> Session {
        let res = self.create(method, key).await;
        let status = res.status();
        let text = res.text().await.expect("a body");
        assert_eq!(status, 200, "creating with {method}: {text}");
        serde_json::from_str(&text).expect("a session")
    }

    /// What the simulated `provider` holds (`/__sim/state`).
    pub async fn sim_state(&self, provider: ProviderId) -> Value {
        self.get_json(&format!("{}/__sim/state", self.sim_url(provider))).await
    }

    /// `GET url`, read as JSON (the backend's or the simulator's).
    pub async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> T {
        let res = self.http.get(url).send().await.unwrap_or_else(|e| panic!("GET {url}: {e}"));
        res.json().await.unwrap_or_else(|e| panic!("GET {url}: not the JSON expected: {e}"))
    }

    /// The payment sessions the simulated `provider` holds, as JSON objects.
    pub async fn sessions_at(&self, provider: ProviderId) -> Vec<Value> {
        sim_sessions(&self.http, self.sim_url(provider), provider).await
    }

    /// How many payable sessions the simulated `provider` holds for Kassa order `order_id`
    /// (see [`payable_sessions`]).
    pub async fn sessions_at_sim(&self, provider: ProviderId, order_id: &str) -> usize {
        payable_sessions(provider, &self.sessions_at(provider).await, order_id).len()
    }

    /// Queues a fault at the simulated `provider` (`/__sim/faults`).
    pub async fn fault(&self, provider: ProviderId, spec: Value) {
        let url = format!("{}/__sim/faults", self.sim_url(provider));
        let res = self.http.post(url).json(&spec).send().await.expect("the simulator answers");
        assert!(res.status().is_success(), "queueing {spec}");
    }

    /// Drops every queued fault at the simulated `provider`.
    pub async fn clear_faults(&self, provider: ProviderId) {
        let url = format!("{}/__sim/faults", self.sim_url(provider));
        self.http.delete(url).send().await.expect("the simulator answers");
    }

    /// Presses a hosted-page button at the simulator (`pay`, `decline`, `expire`).
    pub async fn act(&self, provider: ProviderId, reference: &str, action: &str) -> Value {
        let url = format!("{}/__sim/sessions/{reference}/{action}", self.sim_url(provider));
        let res = self.http.post(url).send().await.expect("the simulator answers");
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{action} {reference}: {body}");
        body
    }

    /// The provider's reference of a stored order.
    pub async fn provider_ref(&self, order_id: &str) -> String {
        let store = kassa_server::store::Store::connect(&self.db.url).await.expect("the store");
        let order = store.order(order_id).await.expect("a read").expect("the order");
        order.provider_ref.expect("a provider session")
    }

    /// Stops the backend (the simulator keeps running and retrying deliveries).
    pub fn stop_backend(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }

    /// Starts the backend again on the same address and database.
    pub async fn restart_backend(&mut self) {
        self.stop_backend();
        let addr = self.api.trim_start_matches("http://").to_owned();
        // The stopped server's listener closes as its task winds down; bind when it has.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        let listener = loop {
            match TcpListener::bind(&addr).await {
                Ok(listener) => break listener,
                Err(e) if tokio::time::Instant::now() > deadline => panic!("rebinding {addr}: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        };
        let settings = settings(&self.toml, &self.sim_config);
        self.server = Some(
            kassa_server::spawn_on(settings, listener, None).await.expect("the backend restarts"),
        );
    }
}

/// The payment sessions a simulated provider holds (`/__sim/state`), as JSON objects.
pub async fn sim_sessions(
    http: &reqwest::Client,
    sim_url: &str,
    provider: ProviderId,
) -> Vec<Value> {
    let state: Value = http
        .get(format!("{sim_url}/__sim/state"))
        .send()
        .await
        .expect("the simulator answers")
        .json()
        .await
        .expect("JSON");
    let list = match provider {
        ProviderId::Stripe => "checkout_sessions",
        ProviderId::Payfect => "checkouts",
        ProviderId::FrontPayment => "orders",
        ProviderId::Checkfront => "bookings",
        ProviderId::Bokamera => "checkouts",
    };
    state[list].as_array().cloned().unwrap_or_default()
}

/// The sessions among `all` that belong to Kassa order `order_id` and can still be paid.
/// Checkfront's bookings do not carry our id (no `order_id_field` in the test config), so for
/// Checkfront this is every booking. A BokaMera checkout pays a booking whose `BookedComments`
/// name the order; one that a later create for the same booking replaced (`Status: expired`)
/// cannot be paid and is left out.
pub fn payable_sessions<'a>(
    provider: ProviderId,
    all: &'a [Value],
    order_id: &str,
) -> Vec<&'a Value> {
    let field = match provider {
        ProviderId::Stripe => "client_reference_id",
        ProviderId::Payfect => "clientReferenceId",
        ProviderId::FrontPayment => "reference",
        // A BokaMera checkout pays a booking; the booking's comments name the order.
        ProviderId::Bokamera => {
            return all
                .iter()
                .filter(|s| s["BookedComments"] == format!("Kassa order {order_id}"))
                .filter(|s| s["Status"] != "expired")
                .collect()
        }
        ProviderId::Checkfront => return all.iter().collect(),
    };
    all.iter().filter(|s| s[field] == order_id).collect()
}

/// The provider's own id of a session JSON object from [`sim_sessions`].
pub fn session_reference(provider: ProviderId, session: &Value) -> String {
    let field = match provider {
        ProviderId::Stripe | ProviderId::Payfect => "id",
        ProviderId::FrontPayment => "uuid",
        ProviderId::Checkfront => "code",
        ProviderId::Bokamera => "SessionId",
    };
    session[field].as_str().unwrap_or_default().to_owned()
}
