//! Starts the simulator and the backend (with its static site) for one test.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use tokio::net::TcpListener;

/// Test credentials, known to both the simulator and the backend.
pub mod secrets {
    /// Stripe secret key.
    pub const STRIPE_SECRET_KEY: &str = "sk_test_e2e_4eC39HqLyjWDarjtT1zdp7dc";
    /// The backend's quote-signing key (`checkout.quote_key`), so a test can issue a quote
    /// the backend honours, e.g. one from before a price change.
    pub const QUOTE_KEY: &str = "e2e-quote-key-0123456789abcdef";
    /// Stripe publishable key.
    pub const STRIPE_PUBLISHABLE_KEY: &str = "pk_test_e2e_TYooMQauvdEDq54NiTphI7jx";
    /// Stripe webhook signing secret.
    pub const STRIPE_WEBHOOK_SECRET: &str = "whsec_e2e_5f1b2c3d4e5f60718293a4b5c6d7e8f9";
    /// Payfect API key.
    pub const PAYFECT_API_KEY: &str = "AFDwuHas.CsnrZe2eTestKey0123456789";
    /// Payfect Fernet key (base64url of 32 bytes).
    pub const PAYFECT_FERNET_KEY: &str = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=";
    /// Front Payment bearer token.
    pub const FRONT_PAYMENT_TOKEN: &str = "fpgo-e2e-token-0123456789abcdef";
    /// Front Payment checksum secret.
    pub const FRONT_PAYMENT_SECRET: &str = "fpgo-e2e-secret-0123456789";
    /// Checkfront token pair.
    pub const CHECKFRONT_KEY: &str = "cf-e2e-key-0123456789";
    /// Checkfront token pair, secret half.
    pub const CHECKFRONT_SECRET: &str = "cf-e2e-secret-0123456789";
    /// BokaMera x-api-key.
    pub const BOKAMERA_KEY: &str = "0c6f7a3e-9d1b-4e2a-8f5c-1a2b3c4d5e6f";
    /// Checkfront's webhook path token (its notifications are unsigned).
    pub const CHECKFRONT_WEBHOOK_TOKEN: &str = "cf_e2e_hook_0123456789abcdefghijklmn";
    /// BokaMera's webhook path token.
    pub const BOKAMERA_WEBHOOK_TOKEN: &str = "bm_e2e_hook_0123456789abcdefghijklmn";
}

/// The simulator configured for the demo merchant: credentials, where to notify the backend
/// at `api_url`, and the demo catalogue at the booking systems.
pub fn sim_config(api_url: &str) -> kassa_sim::SimConfig {
    let mut c = kassa_sim::SimConfig::default();
    c.stripe.secret_key = secrets::STRIPE_SECRET_KEY.into();
    c.stripe.publishable_key = secrets::STRIPE_PUBLISHABLE_KEY.into();
    c.stripe.webhook_secret = secrets::STRIPE_WEBHOOK_SECRET.into();
    c.stripe.webhook_url = Some(format!("{api_url}/v1/webhooks/stripe"));
    c.payfect.api_key = secrets::PAYFECT_API_KEY.into();
    c.payfect.fernet_key = secrets::PAYFECT_FERNET_KEY.into();
    c.front_payment.bearer_token = secrets::FRONT_PAYMENT_TOKEN.into();
    c.front_payment.secret_key = secrets::FRONT_PAYMENT_SECRET.into();
    // Undocumented [U]: a declined payment is reported (callback and status FAILED).
    c.front_payment.failure_callbacks = true;
    c.checkfront.api_key = secrets::CHECKFRONT_KEY.into();
    c.checkfront.api_secret = secrets::CHECKFRONT_SECRET.into();
    c.checkfront.currency = "NOK".into();
    c.checkfront.webhook_url =
        Some(format!("{api_url}/v1/webhooks/checkfront/{}", secrets::CHECKFRONT_WEBHOOK_TOKEN));
    c.checkfront.return_url =
        Some(format!("{api_url}/v1/returns/checkfront/{{code}}?outcome=success"));
    c.checkfront.cancel_url =
        Some(format!("{api_url}/v1/returns/checkfront/{{code}}?outcome=cancel"));
    c.bokamera.api_key = secrets::BOKAMERA_KEY.into();
    c.bokamera.currency = "nok".into();
    // The booking systems sell the demo catalogue at the catalogue's prices.
    c.sell(&[
        ("kayak-2h", "Two-hour kayak tour", 65_000),
        ("life-jacket", "Life-jacket rental", 7_500),
    ]);
    c
}

/// A Stripe.js release train, with the API version it goes with: Stripe.js of the dahlia
/// release renamed `initEmbeddedCheckout` to `createEmbeddedCheckoutPage`, and the backend's
/// `stripe_js_url` must name the train of its pinned API version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StripeTrain {
    /// `js.stripe.com/v3/` with API version `2025-09-30.clover`.
    PreDahlia,
    /// `js.stripe.com/dahlia/stripe.js` with API version `2026-03-25.dahlia`.
    Dahlia,
}

impl StripeTrain {
    /// Both, for tests that must pass under each.
    pub const ALL: [StripeTrain; 2] = [StripeTrain::PreDahlia, StripeTrain::Dahlia];

    /// The script's path at Stripe's (or the simulator's) origin.
    pub fn script_path(self) -> &'static str {
        match self {
            StripeTrain::PreDahlia => "/v3/",
            StripeTrain::Dahlia => "/dahlia/stripe.js",
        }
    }

    /// The API version the backend pins with this train.
    pub fn api_version(self) -> &'static str {
        match self {
            StripeTrain::PreDahlia => "2025-09-30.clover",
            StripeTrain::Dahlia => "2026-03-25.dahlia",
        }
    }
}

/// The backend settings for the demo merchant against a running simulator.
pub fn settings(
    api_url: &str,
    site_url: &str,
    site_dir: &Path,
    database_url: &str,
    sim: &kassa_sim::SimHandle,
) -> anyhow::Result<kassa_server::Settings> {
    settings_for(api_url, site_url, site_dir, database_url, sim, None, None)
}

/// [`settings`], with the Stripe.js train (and API version) overridden when `train` is set,
/// and the demo config's text changed by `edit` when set.
pub fn settings_for(
    api_url: &str,
    site_url: &str,
    site_dir: &Path,
    database_url: &str,
    sim: &kassa_sim::SimHandle,
    train: Option<StripeTrain>,
    edit: Option<fn(&str) -> String>,
) -> anyhow::Result<kassa_server::Settings> {
    let template = edit.map_or_else(
        || kassa_server::config::DEMO_TEMPLATE.to_owned(),
        |edit| edit(kassa_server::config::DEMO_TEMPLATE),
    );
    let toml = kassa_server::config::fill_placeholders(
        &template,
        &[
            ("API_BIND", "127.0.0.1:0"),
            ("API_URL", api_url),
            ("DATABASE_URL", database_url),
            ("SITE_URL", site_url),
            ("SITE_BIND", "127.0.0.1:0"),
            ("SITE_DIR", &site_dir.display().to_string()),
            ("STRIPE_URL", &sim.stripe_url),
            ("STRIPE_PUBLISHABLE_KEY", secrets::STRIPE_PUBLISHABLE_KEY),
            ("PAYFECT_URL", &sim.payfect_url),
            ("FRONT_PAYMENT_URL", &sim.front_payment_url),
            ("CHECKFRONT_URL", &sim.checkfront_url),
            ("BOKAMERA_URL", &sim.bokamera_url),
        ],
    );
    let mut values: Vec<(&str, figment::value::Value)> = vec![
        ("providers.stripe.secret_key", secrets::STRIPE_SECRET_KEY.into()),
        ("providers.stripe.webhook_secrets", vec![secrets::STRIPE_WEBHOOK_SECRET].into()),
        ("providers.payfect.api_key", secrets::PAYFECT_API_KEY.into()),
        ("providers.payfect.fernet_key", secrets::PAYFECT_FERNET_KEY.into()),
        ("providers.front_payment.token", secrets::FRONT_PAYMENT_TOKEN.into()),
        ("providers.front_payment.secret_key", secrets::FRONT_PAYMENT_SECRET.into()),
        ("providers.checkfront.api_key", secrets::CHECKFRONT_KEY.into()),
        ("providers.checkfront.api_secret", secrets::CHECKFRONT_SECRET.into()),
        ("providers.bokamera.api_key", secrets::BOKAMERA_KEY.into()),
        ("providers.checkfront.webhook_token", secrets::CHECKFRONT_WEBHOOK_TOKEN.into()),
        ("providers.bokamera.webhook_token", secrets::BOKAMERA_WEBHOOK_TOKEN.into()),
        ("checkout.quote_key", secrets::QUOTE_KEY.into()),
    ];
    if let Some(train) = train {
        let script = format!("{}{}", sim.stripe_url, train.script_path());
        values.push(("providers.stripe.stripe_js_url", script.clone().into()));
        values.push(("providers.stripe.api_version", train.api_version().into()));
        // BokaMera's embedded checkout is Stripe's: the same Stripe.js.
        values.push(("providers.bokamera.stripe_js_url", script.into()));
        values.push(("providers.bokamera.stripe_api_version", train.api_version().into()));
    }
    Ok(kassa_server::Settings::from_toml_with(&toml, &values)?)
}

/// Knobs for one stack.
/// One page per language for [`StackOptions::pages`]: `{lang}.html`, a booking heading and
/// the widget for `items` (the `items` attribute's JSON) in that language.
pub fn pages_per_language(langs: &[&str], items: &str) -> Vec<(String, String)> {
    langs
        .iter()
        .map(|lang| {
            let body = format!(
                "<main><h1>Booking</h1><kassa-checkout items='{items}' locale=\"{lang}\"></kassa-checkout></main>"
            );
            (format!("{lang}.html"), body)
        })
        .collect()
}

#[derive(Clone, Debug, Default)]
pub struct StackOptions {
    /// Extra HTML pages to put on the site: (file name, body HTML inside the demo shell).
    pub pages: Vec<(String, String)>,
    /// Whole documents to put on the site as they are: (file name, HTML). `__KASSA_ENDPOINT__`
    /// is replaced by the backend's URL.
    pub documents: Vec<(String, String)>,
    /// Response headers per page: (file name, header, value). When there are any (or with
    /// `own_site`), the site is served by the harness instead of the backend.
    pub headers: Vec<(String, String, String)>,
    /// Serve the site from the harness, so that [`Stack::set_page_headers`] works.
    pub own_site: bool,
    /// The Stripe.js train (and API version) of the backend; `None` keeps the demo config's.
    pub stripe_train: Option<StripeTrain>,
    /// Changes the demo config's text before it is read (a merchant's other choices, such as
    /// a default method); `None` keeps it.
    pub config_edit: Option<fn(&str) -> String>,
}

/// Headers per page of a site the harness serves.
type PageHeaders = std::sync::Arc<std::sync::RwLock<Vec<(String, String, String)>>>;

/// A running simulator + backend + site.
#[derive(Debug)]
pub struct Stack {
    /// The simulator.
    pub sim: kassa_sim::SimHandle,
    /// The backend.
    pub server: kassa_server::Running,
    /// `http://127.0.0.1:PORT` of the booking site.
    pub site_url: String,
    /// `http://127.0.0.1:PORT` of the backend API.
    pub api_url: String,
    /// The SQLite file.
    pub db_path: PathBuf,
    /// The site's files (the widget bundle is in `kassa/`).
    pub site_dir: PathBuf,
    page_headers: Option<PageHeaders>,
    _dir: tempfile::TempDir,
}

/// The built widget bundle (`cargo xtask widget`).
pub fn widget_dist() -> PathBuf {
    std::env::var_os("KASSA_WIDGET_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../dist/kassa"))
}

impl Stack {
    /// Starts everything with the demo configuration.
    pub async fn start(options: StackOptions) -> anyhow::Result<Stack> {
        let dir = tempfile::tempdir()?;
        let api = TcpListener::bind("127.0.0.1:0").await?;
        let site = TcpListener::bind("127.0.0.1:0").await?;
        let api_url = format!("http://{}", api.local_addr()?);
        let site_url = format!("http://{}", site.local_addr()?);

        let sim = kassa_sim::start(sim_config(&api_url)).await.context("starting the simulator")?;
        let site_dir = dir.path().join("site");
        build_site(&site_dir, &api_url, &options)?;
        let db_path = dir.path().join("kassa.db");
        let database_url = format!("sqlite://{}", db_path.display());
        let settings = settings_for(
            &api_url,
            &site_url,
            &site_dir,
            &database_url,
            &sim,
            options.stripe_train,
            options.config_edit,
        )?;
        let (site, page_headers) = if options.headers.is_empty() && !options.own_site {
            (Some(site), None)
        } else {
            let headers: PageHeaders =
                std::sync::Arc::new(std::sync::RwLock::new(options.headers.clone()));
            serve_site(site, site_dir.clone(), headers.clone());
            (None, Some(headers))
        };
        let server =
            kassa_server::spawn_on(settings, api, site).await.context("starting the backend")?;
        Ok(Stack { sim, server, site_url, api_url, db_path, site_dir, page_headers, _dir: dir })
    }

    /// Replaces the per-page headers (file name, header, value) of a site the harness serves
    /// (`own_site`), e.g. a Content-Security-Policy naming the stack's own origins.
    pub fn set_page_headers(&self, headers: Vec<(String, String, String)>) {
        if let Some(h) = &self.page_headers {
            if let Ok(mut h) = h.write() {
                *h = headers;
            }
        }
    }

    /// The demo booking page.
    pub fn booking_page(&self) -> String {
        format!("{}/index.html", self.site_url)
    }
}

/// Writes the booking site: the demo page pointed at `api_url`, extra pages, and the widget.
fn build_site(dir: &Path, api_url: &str, options: &StackOptions) -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::create_dir_all(dir.join("kassa"))?;
    // The page `trunk serve` shows (index.html), served as it is, pointed at this backend.
    let page = std::fs::read_to_string(root.join("index.html"))?;
    let trunk_endpoint = "data-endpoint=\"http://127.0.0.1:8080\"";
    anyhow::ensure!(page.contains(trunk_endpoint), "index.html no longer names {trunk_endpoint}");
    let index = page.replace(trunk_endpoint, &format!("data-endpoint=\"{api_url}\""));
    std::fs::write(dir.join("index.html"), &index)?;
    std::fs::copy(root.join("www/demo/demo.css"), dir.join("demo.css"))?;
    for (name, html) in &options.documents {
        std::fs::write(dir.join(name), html.replace("__KASSA_ENDPOINT__", api_url))?;
    }
    for (name, body) in &options.pages {
        let shell = format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{name}</title>\
             <script src=\"kassa/kassa.js\" data-endpoint=\"{api_url}\" async></script></head><body>{body}</body></html>"
        );
        std::fs::write(dir.join(name), shell)?;
    }
    let dist = widget_dist();
    anyhow::ensure!(
        dist.join("kassa.js").exists(),
        "no widget bundle at {}; run `cargo xtask widget`",
        dist.display()
    );
    copy_dir(&dist, &dir.join("kassa"))
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// Serves `dir` on `listener`, adding `headers` (file name, header, value) to their pages.
fn serve_site(listener: TcpListener, dir: PathBuf, headers: PageHeaders) {
    use axum::{extract::Request, middleware::Next, response::Response};
    let add = move |request: Request, next: Next| {
        let headers = headers.clone();
        async move {
            let path = request.uri().path().trim_start_matches('/').to_owned();
            let mut response: Response = next.run(request).await;
            let headers = headers.read().map(|h| h.clone()).unwrap_or_default();
            for (page, name, value) in headers.iter() {
                if *page == path {
                    if let (Ok(n), Ok(v)) = (
                        axum::http::HeaderName::from_bytes(name.as_bytes()),
                        axum::http::HeaderValue::from_str(value),
                    ) {
                        response.headers_mut().insert(n, v);
                    }
                }
            }
            response
        }
    };
    let app = axum::Router::new()
        .fallback_service(tower_http::services::ServeDir::new(dir))
        .layer(axum::middleware::from_fn(add));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
}
