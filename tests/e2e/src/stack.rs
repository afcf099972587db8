//! Starts the simulator and the backend (with its static site) for one test.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use tokio::net::TcpListener;

/// Test credentials, known to both the simulator and the backend.
pub mod secrets {
    /// Stripe secret key.
    pub const STRIPE_SECRET_KEY: &str = "sk_test_e2e_4eC39HqLyjWDarjtT1zdp7dc";
    /// Stripe publishable key.
    pub const STRIPE_PUBLISHABLE_KEY: &str = "pk_test_e2e_TYooMQauvdEDq54NiTphI7jx";
    /// Stripe webhook signing secret.
    pub const STRIPE_WEBHOOK_SECRET: &str = "whsec_e2e_5f1b2c3d4e5f60718293a4b5c6d7e8f9";
    /// Payfect API key.
    pub const PAYFECT_API_KEY: &str = "AFDwuHas.CsnrZe2eTestKey0123456789";
    /// Payfect Fernet key (base64url of 32 bytes).
    pub const PAYFECT_FERNET_KEY: &str = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=";
}

/// Knobs for one stack.
#[derive(Clone, Debug, Default)]
pub struct StackOptions {
    /// Extra HTML pages to put on the site: (file name, body HTML inside the demo shell).
    pub pages: Vec<(String, String)>,
}

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

        let mut sim_config = kassa_sim::SimConfig::default();
        sim_config.stripe.secret_key = secrets::STRIPE_SECRET_KEY.into();
        sim_config.stripe.publishable_key = secrets::STRIPE_PUBLISHABLE_KEY.into();
        sim_config.stripe.webhook_secret = secrets::STRIPE_WEBHOOK_SECRET.into();
        sim_config.stripe.webhook_url = Some(format!("{api_url}/v1/webhooks/stripe"));
        sim_config.payfect.api_key = secrets::PAYFECT_API_KEY.into();
        sim_config.payfect.fernet_key = secrets::PAYFECT_FERNET_KEY.into();
        let sim = kassa_sim::start(sim_config).await.context("starting the simulator")?;

        let site_dir = dir.path().join("site");
        build_site(&site_dir, &api_url, &options)?;
        let db_path = dir.path().join("kassa.db");
        let toml = fill_template(&[
            ("API_BIND", "127.0.0.1:0"),
            ("API_URL", &api_url),
            ("DATABASE_URL", &format!("sqlite://{}", db_path.display())),
            ("SITE_URL", &site_url),
            ("SITE_BIND", "127.0.0.1:0"),
            ("SITE_DIR", &site_dir.display().to_string()),
            ("STRIPE_URL", &sim.stripe_url),
            ("STRIPE_PUBLISHABLE_KEY", secrets::STRIPE_PUBLISHABLE_KEY),
            ("PAYFECT_URL", &sim.payfect_url),
        ]);
        let settings = kassa_server::Settings::from_toml_with(
            &toml,
            &[
                ("providers.stripe.secret_key", secrets::STRIPE_SECRET_KEY.into()),
                ("providers.stripe.webhook_secrets", vec![secrets::STRIPE_WEBHOOK_SECRET].into()),
                ("providers.payfect.api_key", secrets::PAYFECT_API_KEY.into()),
                ("providers.payfect.fernet_key", secrets::PAYFECT_FERNET_KEY.into()),
            ],
        )?;
        let server = kassa_server::spawn_on(settings, api, Some(site)).await.context("starting the backend")?;
        Ok(Stack { sim, server, site_url, api_url, db_path, _dir: dir })
    }

    /// The demo booking page.
    pub fn booking_page(&self) -> String {
        format!("{}/index.html", self.site_url)
    }
}

/// The demo configuration with `${NAME}` placeholders filled.
pub fn fill_template(values: &[(&str, &str)]) -> String {
    let mut text = include_str!("../../../crates/server/configuration/demo.toml").to_owned();
    for (name, value) in values {
        text = text.replace(&format!("${{{name}}}"), value);
    }
    text
}

/// Writes the booking site: the demo page pointed at `api_url`, extra pages, and the widget.
fn build_site(dir: &Path, api_url: &str, options: &StackOptions) -> anyhow::Result<()> {
    let www = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../www/demo");
    std::fs::create_dir_all(dir.join("kassa"))?;
    let index = std::fs::read_to_string(www.join("index.html"))?.replace("__KASSA_ENDPOINT__", api_url);
    std::fs::write(dir.join("index.html"), &index)?;
    std::fs::copy(www.join("demo.css"), dir.join("demo.css"))?;
    for (name, body) in &options.pages {
        let shell = format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{name}</title>\
             <script src=\"kassa/kassa.js\" data-endpoint=\"{api_url}\" async></script></head><body>{body}</body></html>"
        );
        std::fs::write(dir.join(name), shell)?;
    }
    let dist = widget_dist();
    anyhow::ensure!(dist.join("kassa.js").exists(), "no widget bundle at {}; run `cargo xtask widget`", dist.display());
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
