//! `cargo xtask demo`: the whole product on one machine, against the provider simulator.
//!
//! Installs what is missing, builds the widget, the backend and the simulator, writes a
//! demo configuration with fresh random secrets under `target/demo/`, starts the simulator
//! and the backend (SQLite file, booking site on its own origin) and prints the URL.

use std::{
    net::TcpStream,
    path::Path,
    process::{Child, Command},
    time::{Duration, Instant},
};

use anyhow::{bail, Context as _};
use base64::Engine as _;

use crate::{
    run::{cargo, root, run as sh, step},
    setup, widget,
};

/// Options.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Port of the booking page.
    #[arg(long, default_value_t = 8000)]
    site_port: u16,
    /// Port of the merchant backend API.
    #[arg(long, default_value_t = 8080)]
    api_port: u16,
    /// First of the simulator's five ports (Stripe, Payfect, Front Payment, Checkfront, BokaMera).
    #[arg(long, default_value_t = 8101)]
    sim_port: u16,
    /// Port of the example merchant receiver (`examples/receiver`), which prints each booking.
    #[arg(long, default_value_t = 8787)]
    receiver_port: u16,
    /// Build and configure, then exit instead of serving (a smoke test of the demo).
    #[arg(long)]
    check: bool,
    /// Start only the simulator and the backend (no widget build), for `trunk serve`: its
    /// demo page (`index.html`, http://127.0.0.1:8090/) rebuilds the widget on every change
    /// and talks to this backend, which accepts that origin too.
    #[arg(long)]
    no_widget: bool,
}

/// The origin `trunk serve` serves the demo page on (`Trunk.toml`, `[serve]`).
const TRUNK_SERVE_ORIGIN: &str = "http://127.0.0.1:8090";

/// Kills the child processes when the demo ends, however it ends.
struct Children(Vec<Child>);

impl Drop for Children {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs the demo until interrupted.
pub fn run(args: &Args) -> anyhow::Result<()> {
    if !args.no_widget {
        setup::widget_tools()?;
        widget::build()?;
    }
    step("building the backend and the simulator");
    sh(cargo().args(["build", "-p", "kassa-server", "-p", "kassa-sim"]))?;

    let dir = root().join("target/demo");
    // Each demo starts a fresh simulator with fresh secrets, which knows none of an earlier
    // run's payments: an old database's open orders could never be reconciled and would
    // warn every recovery run. The demo's orders live as long as the demo.
    for file in ["kassa.db", "kassa.db-wal", "kassa.db-shm"] {
        match std::fs::remove_file(dir.join(file)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(e).with_context(|| format!("removing the last demo's {file}"));
            }
            _ => {}
        }
    }
    let site = dir.join("site");
    let host = "127.0.0.1";
    let api_url = format!("http://{host}:{}", args.api_port);
    let site_url = format!("http://{host}:{}", args.site_port);
    let port = |i: u16| args.sim_port + i;
    let url = |i: u16| format!("http://{host}:{}", port(i));
    write_site(&site, &api_url)?;

    let secrets = Secrets::generate()?;
    let mut config = std::fs::read_to_string(root().join("crates/server/configuration/demo.toml"))?;
    if args.no_widget {
        let origins = "allowed_origins = [\"${SITE_URL}\"]";
        anyhow::ensure!(config.contains(origins), "demo.toml has no `{origins}` line");
        config = config.replace(
            origins,
            &format!("allowed_origins = [\"${{SITE_URL}}\", \"{TRUNK_SERVE_ORIGIN}\"]"),
        );
    }
    let config = without_labels(&config)
        .replace("${API_BIND}", &format!("{host}:{}", args.api_port))
        .replace("${API_URL}", &api_url)
        .replace("${DATABASE_URL}", &format!("sqlite://{}", dir.join("kassa.db").display()))
        .replace("${SITE_URL}", &site_url)
        .replace("${SITE_BIND}", &format!("{host}:{}", args.site_port))
        .replace("${SITE_DIR}", &site.display().to_string())
        .replace("${STRIPE_URL}", &url(0))
        .replace("${STRIPE_PUBLISHABLE_KEY}", &secrets.stripe_publishable)
        .replace("${PAYFECT_URL}", &url(1))
        .replace("${FRONT_PAYMENT_URL}", &url(2))
        .replace("${CHECKFRONT_URL}", &url(3))
        .replace("${BOKAMERA_URL}", &url(4));
    // The merchant's receiver gets every order event, signed (issue 14).
    let config = format!(
        "{config}\n[outbox.endpoints.receiver]\nurl = \"http://{host}:{}/\"\n",
        args.receiver_port
    );
    let config_path = dir.join("kassa.toml");
    std::fs::write(&config_path, config)?;
    if args.check {
        step(&format!("demo configured in {} (--check: not starting it)", dir.display()));
        return Ok(());
    }

    step("starting the provider simulator and the backend");
    let bin = root().join("target/debug");
    let sim = Command::new(bin.join("kassa-sim"))
        .args(["--stripe-port", &port(0).to_string()])
        .args(["--payfect-port", &port(1).to_string()])
        .args(["--front-payment-port", &port(2).to_string()])
        .args(["--checkfront-port", &port(3).to_string()])
        .args(["--bokamera-port", &port(4).to_string()])
        .args(["--stripe-webhook-url", &format!("{api_url}/v1/webhooks/stripe")])
        .args([
            "--checkfront-webhook-url",
            &format!("{api_url}/v1/webhooks/checkfront/{}", secrets.checkfront_webhook_token),
        ])
        .args([
            "--checkfront-return-url",
            &format!("{api_url}/v1/returns/checkfront/{{code}}?outcome=success"),
        ])
        .args([
            "--checkfront-cancel-url",
            &format!("{api_url}/v1/returns/checkfront/{{code}}?outcome=cancel"),
        ])
        .args(["--checkfront-currency", "NOK", "--bokamera-currency", "nok"])
        .args(["--front-payment-failure-callbacks", "true"])
        .args(["--catalog", DEMO_CATALOG])
        .env("KASSA_SIM_STRIPE_SECRET_KEY", &secrets.stripe_secret)
        .env("KASSA_SIM_STRIPE_PUBLISHABLE_KEY", &secrets.stripe_publishable)
        .env("KASSA_SIM_STRIPE_WEBHOOK_SECRET", &secrets.stripe_webhook)
        .env("KASSA_SIM_PAYFECT_API_KEY", &secrets.payfect_api_key)
        .env("KASSA_SIM_PAYFECT_FERNET_KEY", &secrets.payfect_fernet)
        .env("KASSA_SIM_FRONT_PAYMENT_TOKEN", &secrets.front_payment_token)
        .env("KASSA_SIM_FRONT_PAYMENT_SECRET_KEY", &secrets.front_payment_secret)
        .env("KASSA_SIM_CHECKFRONT_API_KEY", &secrets.checkfront_key)
        .env("KASSA_SIM_CHECKFRONT_API_SECRET", &secrets.checkfront_secret)
        .env("KASSA_SIM_BOKAMERA_API_KEY", &secrets.bokamera_key)
        .stdout(std::process::Stdio::null())
        .spawn()
        .context("starting kassa-sim")?;
    let mut children = Children(vec![sim]);
    wait_for(port(0))?;
    setup::receiver()?;
    let receiver = Command::new("node")
        .arg("receiver.mjs")
        .current_dir(root().join("examples/receiver"))
        .env("KASSA_WEBHOOK_SECRET", &secrets.receiver_webhook)
        .env("PORT", args.receiver_port.to_string())
        .spawn()
        .context("starting the example receiver (node)")?;
    children.0.push(receiver);
    wait_for(args.receiver_port)?;
    let server = Command::new(bin.join("kassa-server"))
        .arg("--config")
        .arg(&config_path)
        .env("KASSA_PROVIDERS__STRIPE__SECRET_KEY", &secrets.stripe_secret)
        .env("KASSA_PROVIDERS__STRIPE__WEBHOOK_SECRETS", format!("[{}]", secrets.stripe_webhook))
        .env("KASSA_PROVIDERS__PAYFECT__API_KEY", &secrets.payfect_api_key)
        .env("KASSA_PROVIDERS__PAYFECT__FERNET_KEY", &secrets.payfect_fernet)
        .env("KASSA_PROVIDERS__FRONT_PAYMENT__TOKEN", &secrets.front_payment_token)
        .env("KASSA_PROVIDERS__FRONT_PAYMENT__SECRET_KEY", &secrets.front_payment_secret)
        .env("KASSA_PROVIDERS__CHECKFRONT__API_KEY", &secrets.checkfront_key)
        .env("KASSA_PROVIDERS__CHECKFRONT__API_SECRET", &secrets.checkfront_secret)
        .env("KASSA_PROVIDERS__BOKAMERA__API_KEY", &secrets.bokamera_key)
        .env("KASSA_PROVIDERS__CHECKFRONT__WEBHOOK_TOKEN", &secrets.checkfront_webhook_token)
        .env("KASSA_PROVIDERS__BOKAMERA__WEBHOOK_TOKEN", &secrets.bokamera_webhook_token)
        .env("KASSA_OUTBOX__ENDPOINTS__RECEIVER__SECRET", &secrets.receiver_webhook)
        .spawn()
        .context("starting kassa-server")?;
    children.0.push(server);
    wait_for(args.api_port)?;
    wait_for(args.site_port)?;

    println!("\nKassa demo is running.\n");
    if args.no_widget {
        println!(
            "  Booking page:      {TRUNK_SERVE_ORIGIN}/ (run `trunk serve` in another terminal)"
        );
        println!("  Last built bundle: {site_url}/");
    } else {
        println!("  Booking page:      {site_url}/");
    }
    println!("  Merchant backend:  {api_url}/v1/checkout/config");
    println!(
        "  Provider simulator: Stripe {} · Payfect {} · Front Payment {} · Checkfront {} · BokaMera {}",
        url(0),
        url(1),
        url(2),
        url(3),
        url(4)
    );
    println!(
        "  Merchant receiver: http://{host}:{} (examples/receiver: prints each paid booking here)",
        args.receiver_port
    );
    println!("\nPress Ctrl-C to stop.");
    loop {
        for child in &mut children.0 {
            if let Some(status) = child.try_wait()? {
                bail!("a demo process exited ({status}); see its log above");
            }
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Random credentials shared by the simulator and the backend for this run.
struct Secrets {
    stripe_secret: String,
    stripe_publishable: String,
    stripe_webhook: String,
    payfect_api_key: String,
    payfect_fernet: String,
    front_payment_token: String,
    front_payment_secret: String,
    checkfront_key: String,
    checkfront_secret: String,
    bokamera_key: String,
    checkfront_webhook_token: String,
    bokamera_webhook_token: String,
    receiver_webhook: String,
}

impl Secrets {
    fn generate() -> anyhow::Result<Self> {
        let hex = |n: usize| -> anyhow::Result<String> {
            Ok(random(n)?.iter().map(|b| format!("{b:02x}")).collect())
        };
        Ok(Secrets {
            stripe_secret: format!("sk_test_{}", hex(16)?),
            stripe_publishable: format!("pk_test_{}", hex(16)?),
            stripe_webhook: format!("whsec_{}", hex(24)?),
            payfect_api_key: format!("{}.{}", hex(4)?, hex(16)?),
            payfect_fernet: base64::engine::general_purpose::URL_SAFE.encode(random(32)?),
            front_payment_token: hex(24)?,
            front_payment_secret: hex(24)?,
            checkfront_key: hex(16)?,
            checkfront_secret: hex(16)?,
            bokamera_key: uuid_like(&random(16)?),
            checkfront_webhook_token: hex(24)?,
            bokamera_webhook_token: hex(24)?,
            receiver_webhook: format!(
                "whsec_{}",
                base64::engine::general_purpose::STANDARD.encode(random(32)?)
            ),
        })
    }
}

/// The demo catalogue as the booking systems in the simulator know it (`sku:Name:price_minor`);
/// it matches `crates/server/configuration/demo.toml`.
const DEMO_CATALOG: &str = "kayak-2h:Two-hour kayak tour:65000,life-jacket:Life-jacket rental:7500";

/// A GUID-shaped key (BokaMera's API keys are GUIDs).
/// The demo config without the methods' own labels (`display_name`/`label`), so the demo's
/// picker names each method as a merchant who sets no label gets it: by what the customer
/// pays with, in the customer's language, with the provider named only where two methods
/// would otherwise read the same. (The end-to-end tests keep the labels, as fixed English
/// names to choose methods by.)
fn without_labels(config: &str) -> String {
    config
        .lines()
        .filter(|line| !line.starts_with("display_name =") && !line.starts_with("label ="))
        .flat_map(|line| [line, "\n"])
        .collect()
}

fn uuid_like(b: &[u8]) -> String {
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

fn random(n: usize) -> anyhow::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut buf = vec![0; n];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut buf)?;
    Ok(buf)
}

/// The backend that `index.html` names for `trunk serve` (`cargo xtask demo --no-widget`).
const TRUNK_PAGE_ENDPOINT: &str = "data-endpoint=\"http://127.0.0.1:8080\"";

/// `index.html` (Trunk's page, served as it is) pointed at the backend at `api_url`.
fn booking_page(page: &str, api_url: &str) -> anyhow::Result<String> {
    anyhow::ensure!(
        page.contains(TRUNK_PAGE_ENDPOINT),
        "index.html no longer names its backend as {TRUNK_PAGE_ENDPOINT}"
    );
    Ok(page.replace(TRUNK_PAGE_ENDPOINT, &format!("data-endpoint=\"{api_url}\"")))
}

/// Writes the booking site: the demo page pointed at the backend, and the widget bundle.
fn write_site(site: &Path, api_url: &str) -> anyhow::Result<()> {
    if site.exists() {
        std::fs::remove_dir_all(site)?;
    }
    std::fs::create_dir_all(site.join("kassa"))?;
    let page = std::fs::read_to_string(root().join("index.html"))?;
    std::fs::write(site.join("index.html"), booking_page(&page, api_url)?)?;
    std::fs::copy(root().join("www/demo/demo.css"), site.join("demo.css"))?;
    if !widget::dist_dir().exists() {
        // `--no-widget` before any `cargo xtask widget`: the trunk serve page is the one to use.
        return Ok(());
    }
    for entry in walk(&widget::dist_dir())? {
        let rel = entry.strip_prefix(widget::dist_dir())?;
        let target = site.join("kassa").join(rel);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::copy(&entry, target)?;
    }
    Ok(())
}

fn walk(dir: &Path) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let mut out = vec![];
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            out.extend(walk(&path)?);
        } else {
            out.push(path);
        }
    }
    Ok(out)
}

/// Waits until something listens on `port` (the process prints its own errors otherwise).
fn wait_for(port: u16) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            bail!("nothing is listening on port {port} after 30 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_shows_the_default_labels() {
        let template =
            std::fs::read_to_string(root().join("crates/server/configuration/demo.toml")).unwrap();
        assert!(template.contains("display_name = \"Card (Stripe)\""));
        let demo = without_labels(&template);
        assert!(!demo.contains("display_name") && !demo.contains("\nlabel ="), "{demo}");
        assert_eq!(demo.matches("[[methods]]").count(), template.matches("[[methods]]").count());
        assert!(demo.contains("id = \"fp-vipps\"\n"));
    }
}
