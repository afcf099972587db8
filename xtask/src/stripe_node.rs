//! A step of `cargo xtask test`: Stripe's official Node library (npm `stripe`, pinned in
//! `tests/stripe-node/package.json` and its lockfile) against the real `kassa-sim` and
//! `kassa-server` binaries on loopback ports.
//!
//! The script (`tests/stripe-node/library.test.mjs`, run by node's test runner) creates,
//! retrieves, lists, pages and expires sessions through the library, replays and misuses
//! idempotency keys, checks the library's error classes, verifies every webhook the
//! simulator delivers with `stripe.webhooks.constructEvent`, and posts library-signed
//! webhooks (valid, tampered, stale, wrongly signed) to the backend. Output goes to the
//! terminal; the backend's and the simulator's logs to `target/tmp/stripe-node/`.

use std::{
    io::{BufRead as _, BufReader},
    path::Path,
    process::{Child, ChildStdout, Command, Stdio},
};

use anyhow::{bail, Context as _};

use crate::{
    run::{cargo, root, run as sh, step},
    setup,
};

/// The simulator's Stripe keys for this run (test-mode shapes; nothing real).
const SECRET_KEY: &str = "sk_test_kassanode5100000000000000000000000";
const PUBLISHABLE_KEY: &str = "pk_test_kassanode5100000000000000000000000";
const WEBHOOK_SECRET: &str = "whsec_kassanode000000000000000000000000000";

/// Kills the child processes however the step ends.
struct Children(Vec<Child>);

impl Drop for Children {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs the library's test against fresh processes; fails when any check fails.
pub fn run() -> anyhow::Result<()> {
    setup::stripe_node()?;
    step("Stripe's official Node library against the simulator and the backend");
    sh(cargo().args(["build", "-p", "kassa-server", "-p", "kassa-sim"]))?;
    let tmp = root().join("target/tmp/stripe-node");
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp)?;
    }
    std::fs::create_dir_all(&tmp)?;
    let bin = root().join("target/debug");

    let mut sim = Command::new(bin.join("kassa-sim"))
        .env("KASSA_SIM_STRIPE_SECRET_KEY", SECRET_KEY)
        .env("KASSA_SIM_STRIPE_PUBLISHABLE_KEY", PUBLISHABLE_KEY)
        .env("KASSA_SIM_STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(tmp.join("sim.log"))?)
        .spawn()
        .context("starting kassa-sim")?;
    let sim_out = first_line(sim.stdout.take())?;
    let mut children = Children(vec![sim]);
    // One JSON object of base URLs, e.g. {"stripe":"http://127.0.0.1:41234",...}.
    let stripe_url = sim_out
        .split("\"stripe\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .filter(|url| url.starts_with("http://127.0.0.1:"))
        .with_context(|| format!("kassa-sim printed {sim_out}"))?
        .to_owned();

    let site = "http://127.0.0.1:9";
    let config = tmp.join("kassa.toml");
    std::fs::write(&config, backend_config(&stripe_url, &tmp.join("kassa.db"), site))?;
    let mut server = Command::new(bin.join("kassa-server"))
        .arg("--config")
        .arg(&config)
        .env("KASSA_PROVIDERS__STRIPE__SECRET_KEY", SECRET_KEY)
        .env("KASSA_PROVIDERS__STRIPE__WEBHOOK_SECRETS", format!("[{WEBHOOK_SECRET}]"))
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(tmp.join("server.log"))?)
        .spawn()
        .context("starting kassa-server")?;
    let server_out = first_line(server.stdout.take())?;
    children.0.push(server);
    let api = server_out
        .rsplit(' ')
        .next()
        .filter(|url| url.starts_with("http://127.0.0.1:"))
        .with_context(|| format!("kassa-server printed {server_out}"))?
        .to_owned();

    let dir = root().join("tests/stripe-node");
    let status = Command::new("node")
        .args(["--test", "--test-reporter=spec", "library.test.mjs"])
        .current_dir(&dir)
        .env("STRIPE_API", &stripe_url)
        .env("STRIPE_SECRET_KEY", SECRET_KEY)
        .env("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
        .env("KASSA_API", &api)
        .env("KASSA_RETURN_URL", format!("{site}/shop"))
        .status()
        .context("running node")?;
    drop(children);
    if !status.success() {
        bail!(
            "Stripe's Node library disagrees with the simulator or the backend (logs in {})",
            tmp.display()
        );
    }
    let log = std::fs::read_to_string(tmp.join("server.log"))?;
    let warning = "catalog[1] `sticker` costs 1.00 NOK, less than Stripe's smallest charge";
    if !log.contains(warning) {
        bail!("kassa-server did not warn at startup: {warning} (see {})", tmp.display());
    }
    Ok(())
}

/// The first line a child prints on stdout (where it listens); the rest is drained, so the
/// child never writes into a closed pipe.
fn first_line(stdout: Option<ChildStdout>) -> anyhow::Result<String> {
    let mut reader = BufReader::new(stdout.context("no stdout")?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    if line.trim().is_empty() {
        bail!("the process exited before saying where it listens");
    }
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    Ok(line.trim().to_owned())
}

/// A backend selling one item through Stripe (hosted and embedded), on the simulator.
fn backend_config(stripe_url: &str, db: &Path, site: &str) -> String {
    format!(
        r#"[server]
bind = "127.0.0.1:0"
public_url = "http://127.0.0.1:9"
database_url = "sqlite://{db}"
allowed_origins = ["{site}"]

[merchant]
name = "Stripe library test"
currency = "NOK"

[[catalog]]
sku = "life-jacket"
name = "Life-jacket rental"
unit_price = "75.50"

# Under Stripe's 3.00 NOK minimum on its own: the server warns at startup, and a cart of one
# is refused before Stripe is called.
[[catalog]]
sku = "sticker"
name = "Sticker"
unit_price = "1.00"

[[methods]]
id = "stripe-hosted"
provider = "stripe"
display_name = "Card (Stripe)"
presentation = "redirect"

[[methods]]
id = "stripe-embedded"
provider = "stripe"
display_name = "Card, on this page (Stripe)"
presentation = "stripe_embedded"

[providers.stripe]
base_url = "{stripe_url}"
page_origins = ["{stripe_url}"]
stripe_js_url = "{stripe_url}/dahlia/stripe.js"
publishable_key = "{PUBLISHABLE_KEY}"
api_version = "2026-03-25.dahlia"
session_expiry_secs = 3600
"#,
        db = db.display()
    )
}
