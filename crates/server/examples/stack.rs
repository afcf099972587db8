//! `cargo run -p kassa-server --example stack -- LOG_FILE`: the backend and the provider
//! simulator in one process, for tools that test the API from outside (schemathesis in
//! `cargo xtask test`).
//!
//! Prints one JSON line with the API's base URL and the orders API's bearer token once it is
//! serving, then serves until its standard input closes. The backend logs (JSON, debug level for Kassa's crates) to
//! `LOG_FILE`; before exiting, the stack reads that log back and fails (exit code 1) if any
//! configured secret or test customer detail appears in it. It uses the reliability tests'
//! configuration: every provider, fast retries, a SQLite file in a temporary directory.

#[allow(dead_code, unused_imports, unused_macros)]
#[path = "../tests/reliability/support/mod.rs"]
mod support;

use std::{io::Read as _, path::PathBuf, sync::Mutex};

use support::{app::TestApp, receiver::OPERATOR_TOKEN, Backend};

/// Customer details the test harness sends; they must never be logged.
const PERSONAL: [&str; 3] = ["kari@example.com", "+4791234567", "Kari Nordmann"];

fn main() -> anyhow::Result<()> {
    let log = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "stack.log".into()));
    let file = std::fs::File::create(&log)?;
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            "info,kassa_server=debug,kassa_providers=debug",
        ))
        .with_writer(Mutex::new(file))
        .init();
    let runtime = tokio::runtime::Runtime::new()?;
    // The orders API is on, so that its routes are tested past their 401.
    let app = runtime.block_on(
        TestApp::builder(Backend::Sqlite)
            .config(|toml| format!("{toml}\n[operator]\ntoken = \"{OPERATOR_TOKEN}\"\n"))
            .start(),
    );
    println!("{}", serde_json::json!({ "api": app.api, "operator_token": OPERATOR_TOKEN }));
    // Serve until whoever started us closes our stdin.
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);

    let c = app.sim_config.clone();
    let secrets = [
        c.stripe.secret_key.as_str(),
        c.stripe.webhook_secret.as_str(),
        c.payfect.api_key.as_str(),
        c.payfect.fernet_key.as_str(),
        c.front_payment.bearer_token.as_str(),
        c.front_payment.secret_key.as_str(),
        c.checkfront.api_key.as_str(),
        c.checkfront.api_secret.as_str(),
        c.bokamera.api_key.as_str(),
        support::app::CHECKFRONT_WEBHOOK_TOKEN,
        support::app::BOKAMERA_WEBHOOK_TOKEN,
        OPERATOR_TOKEN,
    ];
    runtime.block_on(async move { drop(app) });
    let text = std::fs::read_to_string(&log)?;
    let found: Vec<&str> =
        secrets.into_iter().chain(PERSONAL).filter(|s| text.contains(s)).collect();
    println!(
        "{}",
        serde_json::json!({ "log_lines": text.lines().count(), "secrets_or_personal_data_in_log": found.len() })
    );
    if !found.is_empty() {
        anyhow::bail!(
            "{} secret(s) or personal detail(s) appear in {}",
            found.len(),
            log.display()
        );
    }
    Ok(())
}
