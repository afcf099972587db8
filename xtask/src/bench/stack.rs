//! The product as a merchant runs it: the release `kassa-sim` and `kassa-server` binaries,
//! started with the bench's merchant (`kassa.toml` here: the demo's first four methods, fixed
//! so that figures stay comparable while the demo grows), fresh random secrets, and stderr
//! logged under `target/bench/run/logs/`.

use std::{path::PathBuf, process::Command, time::Duration};

use anyhow::Context as _;
use serde_json::{json, Value};

use super::proc::{free_port, random, random_hex, wait_http, Proc};
use crate::run::root;

/// SKUs `bench-001` … added to the catalog for the cart-size runs.
pub const BENCH_SKUS: usize = 100;

/// What to start.
#[derive(Clone, Debug)]
pub struct StackOptions {
    /// Name for log files (`sqlite`, `postgres`, `browser`).
    pub name: String,
    /// `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// The site origin allowed to use the widget and be returned to.
    pub site_origin: String,
}

/// Credentials shared by the simulator and the backend for one run.
#[derive(Clone, Debug)]
pub struct Secrets {
    /// Stripe secret key.
    pub stripe_secret: String,
    /// Stripe publishable key.
    pub stripe_publishable: String,
    /// Stripe webhook signing secret.
    pub stripe_webhook: String,
    payfect_api_key: String,
    payfect_fernet: String,
}

impl Secrets {
    fn generate() -> anyhow::Result<Secrets> {
        use base64::Engine as _;
        Ok(Secrets {
            stripe_secret: format!("sk_test_{}", random_hex(16)?),
            stripe_publishable: format!("pk_test_{}", random_hex(16)?),
            stripe_webhook: format!("whsec_{}", random_hex(24)?),
            payfect_api_key: format!("{}.{}", random_hex(4)?, random_hex(16)?),
            payfect_fernet: base64::engine::general_purpose::URL_SAFE.encode(random(32)?),
        })
    }
}

/// A running simulator and backend.
#[derive(Debug)]
pub struct Stack {
    /// `http://127.0.0.1:PORT` of the backend API.
    pub api: String,
    /// `http://127.0.0.1:PORT` of the simulated Stripe.
    pub stripe: String,
    /// The credentials.
    pub secrets: Secrets,
    /// The backend process.
    pub server: Proc,
    /// The simulator process.
    pub sim: Proc,
    /// The backend's log file.
    pub server_log: PathBuf,
    /// The database server's process (PostgreSQL), whose CPU counts too.
    pub db_pid: Option<u32>,
}

/// Where logs and scratch files of this run go.
pub fn run_dir() -> PathBuf {
    root().join("target/bench/run")
}

fn release_bin(name: &str) -> PathBuf {
    root().join("target/release").join(name)
}

impl Stack {
    /// Starts the simulator, then the backend, and waits until both answer.
    pub async fn start(options: &StackOptions, client: &reqwest::Client) -> anyhow::Result<Stack> {
        let dir = run_dir();
        let logs = dir.join("logs");
        std::fs::create_dir_all(&logs)?;
        let secrets = Secrets::generate()?;
        let api_port = free_port()?;
        let api = format!("http://127.0.0.1:{api_port}");

        let mut sim = Proc::spawn(
            "kassa-sim",
            Command::new(release_bin("kassa-sim"))
                .args(["--stripe-webhook-url", &format!("{api}/v1/webhooks/stripe")])
                .env("RUST_LOG", "kassa_sim=warn")
                .env("KASSA_SIM_STRIPE_SECRET_KEY", &secrets.stripe_secret)
                .env("KASSA_SIM_STRIPE_PUBLISHABLE_KEY", &secrets.stripe_publishable)
                .env("KASSA_SIM_STRIPE_WEBHOOK_SECRET", &secrets.stripe_webhook)
                .env("KASSA_SIM_PAYFECT_API_KEY", &secrets.payfect_api_key)
                .env("KASSA_SIM_PAYFECT_FERNET_KEY", &secrets.payfect_fernet),
            &logs.join(format!("sim-{}.log", options.name)),
        )?;
        let urls: Value =
            serde_json::from_str(&sim.first_line()?).context("reading the simulator's URLs")?;
        let url = |p: &str| {
            urls[p]
                .as_str()
                .map(str::to_owned)
                .with_context(|| format!("no {p} URL from kassa-sim"))
        };
        let stripe = url("stripe")?;
        let payfect = url("payfect")?;

        let config = config_text(options, &api, api_port, &stripe, &payfect, &secrets)?;
        let config_path = dir.join(format!("kassa-{}.toml", options.name));
        std::fs::write(&config_path, config)?;
        let server_log = logs.join(format!("server-{}.log", options.name));
        let server = Proc::spawn(
            "kassa-server",
            Command::new(release_bin("kassa-server"))
                .arg("--config")
                .arg(&config_path)
                .env("RUST_LOG", "info")
                .env("KASSA_PROVIDERS__STRIPE__SECRET_KEY", &secrets.stripe_secret)
                .env(
                    "KASSA_PROVIDERS__STRIPE__WEBHOOK_SECRETS",
                    format!("[{}]", secrets.stripe_webhook),
                )
                .env("KASSA_PROVIDERS__PAYFECT__API_KEY", &secrets.payfect_api_key)
                .env("KASSA_PROVIDERS__PAYFECT__FERNET_KEY", &secrets.payfect_fernet),
            &server_log,
        )?;
        wait_http(client, &format!("{api}/health/ready"), Duration::from_secs(30))
            .await
            .with_context(|| format!("kassa-server did not start; see {}", server_log.display()))?;
        Ok(Stack { api, stripe, secrets, server, sim, server_log, db_pid: None })
    }

    /// Makes every simulated provider API call take `ms` milliseconds (0 clears).
    pub async fn set_provider_latency(
        &self,
        client: &reqwest::Client,
        ms: u64,
    ) -> anyhow::Result<()> {
        let url = format!("{}/__sim/faults", self.stripe);
        client.delete(&url).send().await?;
        if ms > 0 {
            let r = client
                .post(&url)
                .json(&json!({"kind": "latency", "count": u32::MAX, "latency_ms": ms}))
                .send()
                .await?;
            anyhow::ensure!(
                r.status().is_success(),
                "kassa-sim refused the latency fault: {}",
                r.status()
            );
        }
        Ok(())
    }

    /// Lines of the backend's log containing `needle` (the server logs each duplicate
    /// notification it recognises, whatever the exact wording).
    pub fn count_log(&self, needle: &str) -> usize {
        std::fs::read_to_string(&self.server_log)
            .map(|t| t.lines().filter(|l| l.contains(needle)).count())
            .unwrap_or(0)
    }
}

fn config_text(
    options: &StackOptions,
    api: &str,
    api_port: u16,
    stripe: &str,
    payfect: &str,
    secrets: &Secrets,
) -> anyhow::Result<String> {
    let mut text = include_str!("kassa.toml")
        .replace("${API_BIND}", &format!("127.0.0.1:{api_port}"))
        .replace("${API_URL}", api)
        .replace("${DATABASE_URL}", &options.database_url)
        .replace("${SITE_URL}", &options.site_origin)
        .replace("${STRIPE_URL}", stripe)
        .replace("${STRIPE_PUBLISHABLE_KEY}", &secrets.stripe_publishable)
        .replace("${PAYFECT_URL}", payfect);
    let unknown =
        text.lines().filter(|l| !l.trim_start().starts_with('#')).find(|l| l.contains("${"));
    anyhow::ensure!(
        unknown.is_none(),
        "kassa.toml has a placeholder the bench does not fill: {}",
        unknown.unwrap_or_default()
    );
    text.push_str("\n# Added by `cargo xtask bench` for the cart-size runs.\n");
    for i in 1..=BENCH_SKUS {
        text.push_str(&format!(
            "\n[[catalog]]\nsku = \"{}\"\nname = \"Bench item {i}\"\nunit_price = \"{}.00\"\n",
            bench_sku(i),
            10 + i
        ));
    }
    Ok(text)
}

/// The i-th (1-based) bench SKU.
pub fn bench_sku(i: usize) -> String {
    format!("bench-{i:03}")
}

/// The demo page's cart: a two-hour kayak tour for two and two life-jackets.
pub fn demo_cart() -> Value {
    json!([
        {"sku": "kayak-2h", "quantity": 2, "start_date": "2026-12-01", "end_date": "2026-12-01"},
        {"sku": "life-jacket", "quantity": 2}
    ])
}

/// A cart of `lines` distinct lines (SKUs repeat past [`BENCH_SKUS`]).
pub fn cart_of(lines: usize) -> Value {
    Value::Array(
        (0..lines).map(|i| json!({"sku": bench_sku(i % BENCH_SKUS + 1), "quantity": 1})).collect(),
    )
}
